"""Movement primitives that rearrange or replicate elements: pad, flip, roll, tile, and the
functions built on them (rot90, repeat_interleave, meshgrid). Split from ``movement.py`` for size;
its public names are re-exported through ``movement.__all__``."""
import builtins
import numbers

import numpy as np

from ..tensor import Tensor
from ._helpers import check_int, check_tensor
from .movement import _axis, _int_tuple, _reshape_to, broadcast_to_p, reshape_p, transpose_p
from .registry import OPS, Aval, register

__all__ = ["pad", "flip", "fliplr", "flipud", "rot90", "roll", "tile", "repeat_interleave", "repeat_elements",
           "meshgrid",
           "reverse", "reverse_sequence"]

_pyslice = builtins.slice
_wrap = Tensor._wrap


# --- pad ---------------------------------------------------------------------------------------
_NP_PAD_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _pad_kernel(x, paddings, mode, value):
    if mode == "constant":
        # negative pads crop; positive pads fill a new array around a copy of the rest
        # (np.full + one slice assignment is several times faster than np.pad for small tensors)
        crop = tuple(_pyslice(-lo if lo < 0 else 0, d + hi if hi < 0 else d)
                     for (lo, hi), d in zip(paddings, x.shape))
        x = x[crop]
        shape = tuple(d + builtins.max(lo, 0) + builtins.max(hi, 0) for (lo, hi), d in zip(paddings, x.shape))
        if shape == x.shape:
            return x
        out = np.full(shape, value, x.dtype)
        out[tuple(_pyslice(builtins.max(lo, 0), builtins.max(lo, 0) + d)
                  for (lo, hi), d in zip(paddings, x.shape))] = x
        return out
    return np.pad(x, paddings, mode=_NP_PAD_MODES[mode])


def _pad_rule(x, paddings, mode, value):
    if len(paddings) != len(x.shape):
        raise ValueError(f"pad: 'padding' must cover {len(x.shape)} dims, got {len(paddings)}")
    shape = []
    for (lo, hi), d in zip(paddings, x.shape):
        if mode == "reflect" and (lo >= d or hi >= d) and (lo or hi):
            raise ValueError(f"pad: reflect padding ({lo}, {hi}) must be smaller than the dimension size {d}")
        if mode != "constant" and (lo < 0 or hi < 0):
            raise ValueError(f"pad: negative padding is only allowed in 'constant' mode, got ({lo}, {hi})")
        if mode in ("replicate", "circular") and d == 0 and (lo or hi):
            raise ValueError(f"pad: cannot pad an empty dimension in '{mode}' mode")
        n = d + lo + hi
        if n < 0:
            raise ValueError(f"pad: padding ({lo}, {hi}) removes more than the dimension size {d}")
        shape.append(n)
    return Aval(tuple(shape), x.dtype)


def _pad_bprop(x, out, dout, paddings, mode, value):
    if mode == "constant":
        neg = tuple((-lo, -hi) for lo, hi in paddings)
        return (pad_p(dout, paddings=neg, mode="constant", value=0),)
    # reflect/replicate/circular: each output position reads one input position per axis, so the
    # gradient adds dout back along each padded axis (the axes are independent)
    g = dout
    for axis, ((lo, hi), d) in enumerate(zip(paddings, x.shape)):
        if not (lo or hi):
            continue
        src = np.pad(np.arange(d), (lo, hi), mode=_NP_PAD_MODES[mode])
        shape = g.shape[:axis] + (d,) + g.shape[axis + 1:]
        zeros = _wrap(np.zeros(shape, dout._data.dtype))
        g = OPS["index_add"](zeros, _wrap(src.astype(np.int64)), g, axis=axis)
    return (g,)


pad_p = register("pad", infer=_pad_rule, kernel=_pad_kernel, bprop=_pad_bprop, family="movement")


def pad(input_x, padding, mode="constant", value=None):
    """Pad ``input_x``. ``padding`` lists (before, after) pairs from the LAST dimension backwards:
    ``(left, right, top, bottom, ...)``. ``mode``: 'constant' (with ``value``, default 0; negative
    padding crops), 'reflect', 'replicate' or 'circular'."""
    check_tensor("pad", input_x, "input_x")
    padding = _int_tuple("pad", padding, "padding")
    if len(padding) % 2 or len(padding) // 2 > input_x.ndim:
        raise ValueError(f"pad: 'padding' must hold an even number of ints, at most 2 * ndim "
                         f"({2 * input_x.ndim}), got {len(padding)}")
    if mode not in ("constant", "reflect", "replicate", "circular"):
        raise ValueError(f"pad: 'mode' must be 'constant', 'reflect', 'replicate' or 'circular', got {mode!r}")
    if value is not None and mode != "constant":
        raise ValueError(f"pad: 'value' can only be given in 'constant' mode, got mode {mode!r}")
    if value is None:
        value = 0
    if isinstance(value, Tensor):
        value = value.item()
    if not isinstance(value, numbers.Number):
        raise TypeError(f"pad: 'value' must be a number, got {type(value).__name__}")
    nd = input_x.ndim
    pairs = [(0, 0)] * nd
    for k in range(len(padding) // 2):
        pairs[nd - 1 - k] = (padding[2 * k], padding[2 * k + 1])
    pairs = tuple(pairs)
    _pad_rule(Aval(input_x.shape, input_x.dtype), pairs, mode, value)
    return pad_p(input_x, paddings=pairs, mode=mode, value=value)


# --- flip, roll, tile, repeat ------------------------------------------------------------------
def _flip_rule(x, dims):
    return Aval(x.shape, x.dtype)


flip_p = register("flip", infer=_flip_rule, kernel=lambda x, dims: np.flip(x, dims),
                  bprop=lambda x, out, dout, dims: (flip_p(dout, dims=dims),), family="movement")


def flip(input, dims):
    """Reverse the order of elements along ``dims``."""
    check_tensor("flip", input)
    axes = tuple(sorted(set(_axis("flip", a, input.ndim, "dims") for a in _int_tuple("flip", dims, "dims"))))
    if not axes:
        return input
    return flip_p(input, dims=axes)


def fliplr(input):
    """Flip along axis 1 (at least 2-D)."""
    check_tensor("fliplr", input)
    if input.ndim < 2:
        raise ValueError(f"fliplr: 'input' must have at least 2 dimensions, got {input.ndim}")
    return flip_p(input, dims=(1,))


def flipud(input):
    """Flip along axis 0 (at least 1-D)."""
    check_tensor("flipud", input)
    if input.ndim < 1:
        raise ValueError("flipud: 'input' must have at least 1 dimension, got 0")
    return flip_p(input, dims=(0,))


def rot90(input, k=1, dims=(0, 1)):
    """Rotate by 90 degrees ``k`` times in the plane ``dims`` (from the first towards the second)."""
    check_tensor("rot90", input)
    k = check_int("rot90", k, "k") % 4
    d = _int_tuple("rot90", dims, "dims")
    if len(d) != 2:
        raise ValueError(f"rot90: 'dims' must hold 2 axes, got {list(d)}")
    a = _axis("rot90", d[0], input.ndim, "dims")
    b = _axis("rot90", d[1], input.ndim, "dims")
    if a == b:
        raise ValueError(f"rot90: 'dims' must be two different axes, got {list(d)}")
    if k == 0:
        return input
    if k == 2:
        return flip_p(input, dims=tuple(sorted((a, b))))
    perm = list(range(input.ndim))
    perm[a], perm[b] = perm[b], perm[a]
    if k == 1:
        return transpose_p(flip_p(input, dims=(b,)), perm=tuple(perm))
    return flip_p(transpose_p(input, perm=tuple(perm)), dims=(b,))


def _roll_kernel(x, shifts, dims):
    return np.roll(x, shifts, dims)


roll_p = register("roll", infer=lambda x, shifts, dims: Aval(x.shape, x.dtype), kernel=_roll_kernel,
                  bprop=lambda x, out, dout, shifts, dims: (roll_p(dout, shifts=tuple(-s for s in shifts), dims=dims),),
                  family="movement")


def roll(input, shifts, dims=None):
    """Shift elements along ``dims`` by ``shifts`` (circularly); ``dims=None`` rolls the flattened
    tensor and restores the shape."""
    check_tensor("roll", input)
    shifts = _int_tuple("roll", shifts, "shifts")
    if dims is None:
        if len(shifts) != 1:
            raise ValueError(f"roll: with dims=None 'shifts' must be one int, got {list(shifts)}")
        flat = _reshape_to(input, (input.size,))
        return _reshape_to(roll_p(flat, shifts=shifts, dims=(0,)), input.shape)
    dims = tuple(_axis("roll", a, input.ndim, "dims") for a in _int_tuple("roll", dims, "dims"))
    if len(dims) != len(shifts):
        raise ValueError(f"roll: 'shifts' and 'dims' must have the same length, got {len(shifts)} and {len(dims)}")
    return roll_p(input, shifts=shifts, dims=dims)


def _tile_rule(x, multiples):
    if len(multiples) != len(x.shape):
        raise ValueError(f"tile: 'multiples' must have {len(x.shape)} entries, got {list(multiples)}")
    return Aval(tuple(d * m for d, m in zip(x.shape, multiples)), x.dtype)


def _tile_bprop(x, out, dout, multiples):
    inter = []
    for m, d in zip(multiples, x.shape):
        inter += [m, d]
    g = reshape_p(dout, shape=tuple(inter))
    g = OPS["reduce_sum"](g, axis=tuple(range(0, 2 * len(multiples), 2)), keepdims=False)
    return (g,)


tile_p = register("tile", infer=_tile_rule, kernel=lambda x, multiples: np.tile(x, multiples),
                  bprop=_tile_bprop, family="movement")


def tile(input, dims):
    """Repeat ``input`` ``dims[i]`` times along each dimension (dims may be longer than the rank)."""
    check_tensor("tile", input)
    reps = _int_tuple("tile", dims, "dims")
    for r in reps:
        if r < 0:
            raise ValueError(f"tile: 'dims' must be non-negative, got {list(reps)}")
    x = input
    if len(reps) > x.ndim:
        x = reshape_p(x, shape=(1,) * (len(reps) - x.ndim) + x.shape)
    elif len(reps) < x.ndim:
        reps = (1,) * (x.ndim - len(reps)) + reps
    return tile_p(x, multiples=reps)


def repeat_interleave(input, repeats, axis=None):
    """Repeat each element ``repeats`` times along ``axis`` (the flattened tensor when None);
    ``repeats`` is an int or one count per element."""
    check_tensor("repeat_interleave", input)
    x = input
    if axis is None:
        x = _reshape_to(x, (x.size,))
        axis = 0
    a = _axis("repeat_interleave", axis, x.ndim)
    if isinstance(repeats, Tensor):
        repeats = repeats.asnumpy().tolist()
    if isinstance(repeats, (int, np.integer)) and not isinstance(repeats, bool):
        r = int(repeats)
        if r < 0:
            raise ValueError(f"repeat_interleave: 'repeats' must be non-negative, got {r}")
        shape = x.shape
        y = reshape_p(x, shape=shape[:a + 1] + (1,) + shape[a + 1:])
        y = broadcast_to_p(y, shape=shape[:a + 1] + (r,) + shape[a + 1:])
        return reshape_p(y, shape=shape[:a] + (shape[a] * r,) + shape[a + 1:])
    reps = _int_tuple("repeat_interleave", repeats, "repeats")
    if len(reps) == 1:
        return repeat_interleave(x, reps[0], a)
    if len(reps) != x.shape[a] or builtins.min(reps, default=0) < 0:
        raise ValueError(f"repeat_interleave: 'repeats' must hold {x.shape[a]} non-negative counts, got {list(reps)}")
    index = np.repeat(np.arange(x.shape[a]), reps).astype(np.int64)
    return OPS["index_select"](x, _wrap(index), axis=a)


def repeat_elements(x, rep, axis=0):
    """Repeat each element ``rep`` times along ``axis``."""
    check_tensor("repeat_elements", x, "x")
    rep = check_int("repeat_elements", rep, "rep", 1)
    return repeat_interleave(x, rep, _axis("repeat_elements", axis, x.ndim))


def meshgrid(*inputs, indexing="xy"):
    """Coordinate grids from 1-D tensors (``indexing`` 'xy': Cartesian, 'ij': matrix)."""
    if len(inputs) == 1 and isinstance(inputs[0], (tuple, list)):
        inputs = tuple(inputs[0])
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: 'indexing' must be 'xy' or 'ij', got {indexing!r}")
    for i, x in enumerate(inputs):
        check_tensor("meshgrid", x, f"inputs[{i}]")
        if x.ndim != 1:
            raise ValueError(f"meshgrid: 'inputs[{i}]' must be 1-D, got {x.ndim} dims")
    n = len(inputs)
    sizes = [x.shape[0] for x in inputs]
    if indexing == "xy" and n >= 2:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for i, x in enumerate(inputs):
        pos = i
        if indexing == "xy" and n >= 2 and i < 2:
            pos = 1 - i
        shape = [1] * n
        shape[pos] = x.shape[0]
        out.append(broadcast_to_p(_reshape_to(x, shape), shape=tuple(sizes)))
    return tuple(out)


def reverse(x, axis):
    """Alias of ``flip`` (MindSpore's older name)."""
    return flip(x, axis)


def reverse_sequence(x, seq_lengths, seq_dim, batch_dim=0):
    """Reverse the first ``seq_lengths[b]`` entries along ``seq_dim`` of each batch entry ``b``
    (along ``batch_dim``); the rest stays in place."""
    check_tensor("reverse_sequence", x, "x")
    check_tensor("reverse_sequence", seq_lengths, "seq_lengths")
    s = _axis("reverse_sequence", seq_dim, x.ndim, "seq_dim")
    b = _axis("reverse_sequence", batch_dim, x.ndim, "batch_dim")
    if s == b:
        raise ValueError("reverse_sequence: 'seq_dim' and 'batch_dim' must differ")
    lengths = seq_lengths.asnumpy().astype(np.int64).reshape(-1)
    if lengths.size != x.shape[b]:
        raise ValueError(f"reverse_sequence: 'seq_lengths' must hold {x.shape[b]} lengths, got {lengths.size}")
    n = x.shape[s]
    if (lengths < 0).any() or (lengths > n).any():
        raise ValueError(f"reverse_sequence: 'seq_lengths' must be in [0, {n}], got {lengths.tolist()}")
    pos = np.arange(n)[None, :]
    lens = lengths[:, None]
    src = np.where(pos < lens, lens - 1 - pos, pos)  # (batch, seq)
    shape = [1] * x.ndim
    shape[b] = x.shape[b]
    shape[s] = n
    src = src if b < s else src.T
    index = np.broadcast_to(src.reshape(shape), x.shape).astype(np.int64)
    return OPS["gather_elements"](x, _wrap(np.ascontiguousarray(index)), dim=s)
