"""Shape and movement primitives: reshape, transpose, broadcast, concat/stack/split, slicing, and
the shape functions built on them (squeeze, flatten, chunk...).

Padding, flip/roll/tile and repeats live in ``reorder.py`` (re-exported here); gather/scatter,
sorting, masks and diagonals in ``gather_scatter.py``."""
import builtins
import math

import numpy as np

from .. import dtype as mstype
from ..tensor import Tensor
from . import _rules as R
from ._helpers import check_int, check_tensor, unbroadcast
from .registry import OPS, Aval, register

__all__ = ["reshape", "broadcast_to", "transpose", "permute", "swapaxes", "swapdims", "moveaxis",
           "movedim", "t", "expand_dims", "unsqueeze", "squeeze", "flatten", "ravel", "concat", "cat",
           "stack", "hstack", "vstack", "column_stack", "dstack", "row_stack", "split", "tensor_split",
           "chunk", "unbind", "unstack", "hsplit", "vsplit", "dsplit", "narrow", "slice", "strided_slice",
           "atleast_1d", "atleast_2d", "atleast_3d"]

_pyslice = builtins.slice
_wrap = Tensor._wrap


def _axis(name, axis, ndim, argname="axis"):
    return R.normalize_axis(name, axis, ndim, argname)


def _int_tuple(name, value, argname):
    """An int or a sequence of ints (a Tensor too) as a tuple of Python ints."""
    if isinstance(value, Tensor):
        value = value.asnumpy().tolist()
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value),)
    if isinstance(value, (tuple, list)):
        for v in value:
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise TypeError(f"{name}: '{argname}' must hold ints, got {v!r}")
        return tuple(int(v) for v in value)
    raise TypeError(f"{name}: '{argname}' must be an int or a tuple of ints, got {type(value).__name__}")


def _tensor_list(name, tensors, argname="tensors"):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (tuple, list)):
        raise TypeError(f"{name}: '{argname}' must be a tuple or list of Tensors, got {type(tensors).__name__}")
    if not tensors:
        raise ValueError(f"{name}: '{argname}' must hold at least one Tensor")
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(f"{name}: '{argname}[{i}]' must be a Tensor, got {type(x).__name__}")
    return _promoted(tensors)


def _promoted(tensors):
    """Bring a list of tensors to one dtype by MindSpore's promotion."""
    d = tensors[0].dtype
    for x in tensors[1:]:
        d = mstype.promote(d, x.dtype)
    return [x if x.dtype is d else OPS["cast"](x, dtype=d) for x in tensors]


# --- reshape and broadcast_to ------------------------------------------------------------------
def _reshape_rule(x, shape):
    if math.prod(shape) != math.prod(x.shape):
        raise ValueError(f"reshape: cannot reshape a tensor of shape {list(x.shape)} "
                         f"({math.prod(x.shape)} elements) to {list(shape)}")
    return Aval(shape, x.dtype)


reshape_p = register("reshape", infer=_reshape_rule, kernel=lambda x, shape: x.reshape(shape),
                     bprop=lambda x, out, dout, shape: (reshape_p(dout, shape=x.shape),),
                     family="movement")


def _resolve_shape(name, shape, size):
    if isinstance(shape, int):
        shape = (shape,)
    shape = tuple(int(s) for s in shape)
    if shape.count(-1) > 1:
        raise ValueError(f"{name}: 'shape' can hold at most one -1, got {list(shape)}")
    if -1 in shape:
        known = 1
        for s in shape:
            if s != -1:
                known *= s
        if known == 0 or size % known:
            raise ValueError(f"{name}: cannot reshape {size} elements to {list(shape)}")
        shape = tuple(size // known if s == -1 else s for s in shape)
    for s in shape:
        if s < 0:
            raise ValueError(f"{name}: 'shape' must hold non-negative sizes (or one -1), got {list(shape)}")
    return shape


def reshape(input, shape):
    """A tensor with ``input``'s data in a new ``shape`` (one -1 is inferred)."""
    if type(input) is Tensor and type(shape) is tuple and -1 not in shape and input._data.size == math.prod(shape):
        for s in shape:
            if type(s) is not int or s < 0:
                break
        else:
            return reshape_p(input, shape=shape)  # a complete shape of ints: nothing to resolve
    check_tensor("reshape", input)
    if not isinstance(shape, (tuple, list, int)):
        if hasattr(shape, "tolist"):
            shape = tuple(shape.tolist())
        else:
            raise TypeError(f"reshape: 'shape' must be a tuple of ints, got {type(shape).__name__}")
    size = math.prod(input.shape)
    shape = _resolve_shape("reshape", shape, size)
    if math.prod(shape) != size:
        raise ValueError(f"reshape: cannot reshape a tensor of shape {list(input.shape)} "
                         f"({size} elements) to {list(shape)}")
    return reshape_p(input, shape=shape)


def _reshape_to(x, shape):
    """Internal: reshape without checks, skipping the no-op."""
    shape = tuple(shape)
    if x.shape == shape:
        return x
    return reshape_p(x, shape=shape)


def _broadcast_to_rule(x, shape):
    try:
        out = np.broadcast_shapes(x.shape, shape)
    except ValueError:
        out = None
    if out != tuple(shape):
        raise ValueError(f"broadcast_to: cannot broadcast shape {list(x.shape)} to {list(shape)}")
    return Aval(shape, x.dtype)


def _broadcast_to_bprop(x, out, dout, shape):
    return (unbroadcast(dout, x.shape),)


# np.broadcast_to returns a read-only view: every writer in sporen copies before writing
broadcast_to_p = register("broadcast_to", infer=_broadcast_to_rule,
                          kernel=lambda x, shape: np.broadcast_to(x, shape),
                          bprop=_broadcast_to_bprop, family="movement")


def broadcast_to(input, shape):
    """``input`` broadcast to ``shape`` (-1 keeps that dimension)."""
    check_tensor("broadcast_to", input)
    shape = tuple(int(s) for s in shape)
    nd = len(shape) - input.ndim
    if nd < 0:
        raise ValueError(f"broadcast_to: 'shape' {list(shape)} has fewer dims than the input {list(input.shape)}")
    shape = tuple(input.shape[i - nd] if s == -1 else s for i, s in enumerate(shape))
    if shape == input.shape:
        # a new Tensor object even when nothing changes: in-place writes must not alias the input
        return reshape_p(input, shape=shape)
    _broadcast_to_rule(Aval(input.shape, input.dtype), shape)
    return broadcast_to_p(input, shape=shape)


# --- transpose and friends ---------------------------------------------------------------------
def _transpose_rule(x, perm):
    if sorted(perm) != list(range(len(x.shape))):
        raise ValueError(f"transpose: 'perm' must be a permutation of {len(x.shape)} axes, got {perm}")
    return Aval(tuple(x.shape[p] for p in perm), x.dtype)


def _inverse_perm(perm):
    inv = [0] * len(perm)
    for i, p in enumerate(perm):
        inv[p] = i
    return tuple(inv)


transpose_p = register("transpose", infer=_transpose_rule, kernel=lambda x, perm: np.transpose(x, perm),
                       bprop=lambda x, out, dout, perm: (transpose_p(dout, perm=_inverse_perm(perm)),),
                       family="movement")


def _perm(name, perm, ndim, argname):
    if type(perm) is tuple and len(perm) == ndim and all(type(p) is int for p in perm) \
            and set(perm) == set(range(ndim)):
        return perm  # the common case: already a permutation of non-negative axes
    perm = _int_tuple(name, perm, argname)
    if len(perm) != ndim:
        raise ValueError(f"{name}: '{argname}' must have {ndim} entries (one per axis), got {perm}")
    norm = tuple(_axis(name, p, ndim, argname) for p in perm)
    if len(set(norm)) != ndim:
        raise ValueError(f"{name}: '{argname}' must be a permutation of the axes, got {perm}")
    return norm


def _transpose(x, perm):
    if perm == tuple(range(len(perm))):
        return x
    return transpose_p(x, perm=perm)


def transpose(input, input_perm):
    """Permute the dimensions of ``input`` (MindSpore's ``ops.transpose``)."""
    check_tensor("transpose", input)
    return _transpose(input, _perm("transpose", input_perm, input.ndim, "input_perm"))


def permute(input, axis):
    """Permute the dimensions of ``input`` by ``axis`` (a tuple of ints)."""
    check_tensor("permute", input)
    return _transpose(input, _perm("permute", axis, input.ndim, "axis"))


def swapaxes(input, axis0, axis1):
    """Swap two axes of ``input``."""
    check_tensor("swapaxes", input)
    a = _axis("swapaxes", axis0, input.ndim, "axis0")
    b = _axis("swapaxes", axis1, input.ndim, "axis1")
    perm = list(range(input.ndim))
    perm[a], perm[b] = perm[b], perm[a]
    return _transpose(input, tuple(perm))


def swapdims(input, dim0, dim1):
    """Swap two dimensions of ``input`` (alias of ``swapaxes``)."""
    check_tensor("swapdims", input)
    a = _axis("swapdims", dim0, input.ndim, "dim0")
    b = _axis("swapdims", dim1, input.ndim, "dim1")
    return swapaxes(input, a, b)


def moveaxis(x, source, destination):
    """Move axes ``source`` to positions ``destination``, the others keeping their order."""
    check_tensor("moveaxis", x)
    src = tuple(_axis("moveaxis", a, x.ndim, "source") for a in _int_tuple("moveaxis", source, "source"))
    dst = tuple(_axis("moveaxis", a, x.ndim, "destination")
                for a in _int_tuple("moveaxis", destination, "destination"))
    if len(src) != len(dst):
        raise ValueError(f"moveaxis: 'source' and 'destination' must have the same length, got {source} "
                         f"and {destination}")
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ValueError("moveaxis: 'source' and 'destination' must not repeat an axis")
    rest = [a for a in range(x.ndim) if a not in src]
    perm = [None] * x.ndim
    for s, d in zip(src, dst):
        perm[d] = s
    it = iter(rest)
    perm = tuple(p if p is not None else next(it) for p in perm)
    return _transpose(x, perm)


def movedim(x, source, destination):
    """Alias of ``moveaxis``."""
    return moveaxis(x, source, destination)


def t(input):
    """Transpose of a tensor of at most 2 dimensions."""
    check_tensor("t", input)
    if input.ndim > 2:
        raise ValueError(f"t: 'input' must have at most 2 dimensions, got {input.ndim}")
    if input.ndim < 2:
        return input
    return transpose_p(input, perm=(1, 0))


# --- adding and removing dimensions ------------------------------------------------------------
def expand_dims(input_x, axis):
    """Insert a dimension of size 1 at ``axis`` (in ``[-ndim-1, ndim]``)."""
    check_tensor("expand_dims", input_x, "input_x")
    a = _axis("expand_dims", axis, input_x.ndim + 1)
    shape = input_x.shape[:a] + (1,) + input_x.shape[a:]
    return reshape_p(input_x, shape=shape)


def unsqueeze(input, dim):
    """Insert a dimension of size 1 at ``dim``."""
    check_tensor("unsqueeze", input)
    a = _axis("unsqueeze", dim, input.ndim + 1, "dim")
    return reshape_p(input, shape=input.shape[:a] + (1,) + input.shape[a:])


def squeeze(input, axis=None):
    """Remove dimensions of size 1 (all of them, or those in ``axis``; other sizes are an error)."""
    check_tensor("squeeze", input)
    shape = input.shape
    if axis is None:
        new = tuple(s for s in shape if s != 1)
    else:
        axes = set(_axis("squeeze", a, input.ndim) for a in _int_tuple("squeeze", axis, "axis"))
        for a in axes:
            if shape[a] != 1:
                raise ValueError(f"squeeze: 'axis' {a} has size {shape[a]}, only size-1 dimensions "
                                 f"can be squeezed")
        new = tuple(s for i, s in enumerate(shape) if i not in axes)
    return _reshape_to(input, new)


def flatten(input, order="C", *, start_dim=1, end_dim=-1):
    """Flatten dimensions ``start_dim..end_dim`` into one (MindSpore's default keeps dimension 0)."""
    check_tensor("flatten", input)
    if order not in ("C", "F"):
        raise ValueError(f"flatten: 'order' must be 'C' or 'F', got {order!r}")
    if input.ndim == 0:
        return reshape_p(input, shape=(1,))
    if input.ndim == 1 and start_dim == 1 and end_dim == -1:
        return input  # MindSpore's Flatten keeps dim 0, so a 1-D tensor is already flat
    s = _axis("flatten", start_dim, input.ndim, "start_dim")
    e = _axis("flatten", end_dim, input.ndim, "end_dim")
    if s > e:
        raise ValueError(f"flatten: 'start_dim' ({start_dim}) must not come after 'end_dim' ({end_dim})")
    x = input
    if order == "F":
        x = _transpose(x, tuple(range(x.ndim - 1, -1, -1)))
    shape = x.shape
    n = 1
    for d in shape[s:e + 1]:
        n *= d
    return _reshape_to(x, shape[:s] + (n,) + shape[e + 1:])


def ravel(input):
    """A 1-D view of ``input``'s elements."""
    check_tensor("ravel", input)
    return _reshape_to(input, (input.size,))


def atleast_1d(inputs):
    """Tensors with at least one dimension."""
    return _atleast(inputs, 1)


def atleast_2d(inputs):
    """Tensors with at least two dimensions."""
    return _atleast(inputs, 2)


def atleast_3d(inputs):
    """Tensors with at least three dimensions (numpy's placement of the new axes)."""
    return _atleast(inputs, 3)


def _atleast(inputs, n):
    if isinstance(inputs, (tuple, list)):
        return tuple(_atleast(x, n) for x in inputs)
    check_tensor(f"atleast_{n}d", inputs, "inputs")
    shape = inputs.shape
    if len(shape) >= n:
        return inputs
    if n == 3 and len(shape) == 2:
        return reshape_p(inputs, shape=shape + (1,))
    if n == 3 and len(shape) == 1:
        return reshape_p(inputs, shape=(1,) + shape + (1,))
    return reshape_p(inputs, shape=(1,) * (n - len(shape)) + shape)


# --- concat, stack, split ----------------------------------------------------------------------
def _concat_rule(*xs, axis):
    d = R.check_same_dtype("concat", *xs)
    first = xs[0].shape
    for i, x in enumerate(xs[1:], 1):
        if len(x.shape) != len(first) or any(a != b for k, (a, b) in enumerate(zip(x.shape, first)) if k != axis):
            raise ValueError(f"concat: 'tensors[{i}]' has shape {list(x.shape)}, which does not match "
                             f"{list(first)} outside axis {axis}")
    total = builtins.sum(x.shape[axis] for x in xs)
    return Aval(first[:axis] + (total,) + first[axis + 1:], d)


def _concat_bprop(*args, axis):
    xs = args[:-2]
    dout = args[-1]
    sizes = tuple(x.shape[axis] for x in xs)
    if len(xs) == 1:
        return (dout,)
    return tuple(split_p(dout, axis=axis, sizes=sizes))


concat_p = register("concat", infer=_concat_rule, kernel=lambda *xs, axis: np.concatenate(xs, axis=axis),
                    bprop=_concat_bprop, family="movement")


def concat(tensors, axis=0):
    """Join ``tensors`` along an existing ``axis`` (MindSpore's ``ops.concat``)."""
    xs = _tensor_list("concat", tensors)
    a = _axis("concat", axis, xs[0].ndim)
    if len(xs) == 1:
        return xs[0]
    # no pre-check: a shape mismatch fails in the kernel and the op's rule then explains it
    return concat_p(*xs, axis=a)


def cat(tensors, axis=0):
    """Alias of ``concat``."""
    return concat(tensors, axis)


def _stack_rule(*xs, axis):
    d = R.check_same_dtype("stack", *xs)
    first = xs[0].shape
    for i, x in enumerate(xs[1:], 1):
        if x.shape != first:
            raise ValueError(f"stack: every tensor must have shape {list(first)}, 'tensors[{i}]' has "
                             f"{list(x.shape)}")
    return Aval(first[:axis] + (len(xs),) + first[axis:], d)


def _stack_bprop(*args, axis):
    xs = args[:-2]
    dout = args[-1]
    parts = split_p(dout, axis=axis, sizes=(1,) * len(xs)) if len(xs) > 1 else (dout,)
    return tuple(reshape_p(p, shape=x.shape) for p, x in zip(parts, xs))


stack_p = register("stack", infer=_stack_rule, kernel=lambda *xs, axis: np.stack(xs, axis=axis),
                   bprop=_stack_bprop, family="movement")


def stack(tensors, axis=0):
    """Join same-shaped ``tensors`` along a new ``axis``."""
    xs = _tensor_list("stack", tensors)
    a = _axis("stack", axis, xs[0].ndim + 1)
    return stack_p(*xs, axis=a)  # a shape mismatch fails in the kernel and the rule explains it


def hstack(tensors):
    """Concatenate along axis 1 (axis 0 for 1-D tensors)."""
    xs = [atleast_1d(x) for x in _tensor_list("hstack", tensors)]
    return concat(xs, 0 if xs[0].ndim == 1 else 1)


def vstack(inputs):
    """Concatenate along axis 0 after making every tensor at least 2-D."""
    return concat([atleast_2d(x) for x in _tensor_list("vstack", inputs, "inputs")], 0)


row_stack = vstack


def dstack(inputs):
    """Concatenate along axis 2 after making every tensor at least 3-D."""
    return concat([atleast_3d(x) for x in _tensor_list("dstack", inputs, "inputs")], 2)


def column_stack(tensors):
    """Stack 1-D tensors as columns (2-D tensors are concatenated along axis 1)."""
    xs = _tensor_list("column_stack", tensors)
    xs = [reshape_p(x, shape=(x.size, 1)) if x.ndim < 2 else x for x in xs]
    return concat(xs, 1)


def _split_kernel(x, axis, sizes):
    lead = (_pyslice(None),) * axis
    parts = []
    start = 0
    for s in sizes:
        parts.append(x[lead + (_pyslice(start, start + s),)])
        start += s
    return tuple(parts)


def _split_rule(x, axis, sizes):
    if builtins.sum(sizes) != x.shape[axis]:
        raise ValueError(f"split: the sizes {list(sizes)} must add up to the size {x.shape[axis]} of axis {axis}")
    return tuple(Aval(x.shape[:axis] + (s,) + x.shape[axis + 1:], x.dtype) for s in sizes)


def _split_bprop(x, out, dout, axis, sizes):
    return (concat_p(*dout, axis=axis) if len(dout) > 1 else dout[0],)


# nout=-1: the number of outputs is len(sizes), set per call
split_p = register("split", infer=_split_rule, kernel=_split_kernel, bprop=_split_bprop, nout=-1,
                   family="movement")


def _split_sizes(x, axis, sizes):
    return tuple(split_p(x, axis=axis, sizes=tuple(sizes)))


def split(tensor, split_size_or_sections, axis=0):
    """Split into chunks of ``split_size_or_sections`` (an int: equal chunks, the last smaller) or
    of the given sizes (a list/tuple) along ``axis``."""
    check_tensor("split", tensor, "tensor")
    a = _axis("split", axis, tensor.ndim)
    n = tensor.shape[a]
    s = split_size_or_sections
    if isinstance(s, (int, np.integer)) and not isinstance(s, bool):
        if s <= 0:
            raise ValueError(f"split: 'split_size_or_sections' must be a positive int, got {s}")
        sizes = [s] * (n // s) + ([n % s] if n % s else [])
    elif isinstance(s, (tuple, list)):
        sizes = list(_int_tuple("split", s, "split_size_or_sections"))
        if builtins.sum(sizes) != n or builtins.min(sizes, default=0) < 0:
            raise ValueError(f"split: 'split_size_or_sections' {list(s)} must add up to the size {n} of axis {a}")
    else:
        raise TypeError(f"split: 'split_size_or_sections' must be an int or a list of ints, got "
                        f"{type(s).__name__}")
    if not sizes:
        sizes = [0]
    return _split_sizes(tensor, a, sizes)


def tensor_split(input, indices_or_sections, axis=0):
    """numpy's ``array_split``: ``n`` nearly equal parts, or split before the given indices."""
    check_tensor("tensor_split", input)
    a = _axis("tensor_split", axis, input.ndim)
    n = input.shape[a]
    s = indices_or_sections
    if isinstance(s, (int, np.integer)) and not isinstance(s, bool):
        if s <= 0:
            raise ValueError(f"tensor_split: 'indices_or_sections' must be a positive int, got {s}")
        q, r = divmod(n, s)
        sizes = [q + 1] * r + [q] * (s - r)
    elif isinstance(s, (tuple, list)):
        idx = _int_tuple("tensor_split", s, "indices_or_sections")
        bounds = [0] + [builtins.min(builtins.max(i if i >= 0 else i + n, 0), n) for i in idx] + [n]
        sizes = [builtins.max(bounds[k + 1] - bounds[k], 0) for k in range(len(bounds) - 1)]
        starts = bounds[:-1]
        parts = []
        for st, sz in zip(starts, sizes):
            parts.append(_slice_axis(input, a, st, sz))
        return tuple(parts)
    else:
        raise TypeError(f"tensor_split: 'indices_or_sections' must be an int or a list of ints, got "
                        f"{type(s).__name__}")
    return _split_sizes(input, a, sizes)


def _slice_axis(x, axis, start, size):
    begin = [0] * x.ndim
    sizes = list(x.shape)
    begin[axis] = start
    sizes[axis] = size
    return slice_p(x, begin=tuple(begin), size=tuple(sizes))


def hsplit(input, indices_or_sections):
    """``tensor_split`` along axis 1 (axis 0 for 1-D)."""
    return tensor_split(input, indices_or_sections, 0 if input.ndim == 1 else 1)


def vsplit(input, indices_or_sections):
    """``tensor_split`` along axis 0."""
    return tensor_split(input, indices_or_sections, 0)


def dsplit(input, indices_or_sections):
    """``tensor_split`` along axis 2."""
    return tensor_split(input, indices_or_sections, 2)


def chunk(input, chunks, axis=0):
    """Split into ``chunks`` parts of ``ceil(n / chunks)`` elements (fewer parts if it divides so)."""
    check_tensor("chunk", input)
    chunks = check_int("chunk", chunks, "chunks", 1)
    a = _axis("chunk", axis, input.ndim)
    n = input.shape[a]
    size = -(-n // chunks) if n else 1
    return split(input, builtins.max(size, 1), a)


def unstack(input_x, axis=0):
    """The slices of ``input_x`` along ``axis``, as a tuple of tensors of one dimension less."""
    check_tensor("unstack", input_x, "input_x")
    a = _axis("unstack", axis, input_x.ndim)
    n = input_x.shape[a]
    if n == 0:
        raise ValueError(f"unstack: axis {a} of 'input_x' has size 0")
    shape = input_x.shape[:a] + input_x.shape[a + 1:]
    parts = _split_sizes(input_x, a, [1] * n)
    return tuple(reshape_p(p, shape=shape) for p in parts)


def unbind(input, dim=0):
    """The slices of ``input`` along ``dim`` (like ``unstack``)."""
    check_tensor("unbind", input)
    return unstack(input, _axis("unbind", dim, input.ndim, "dim"))


# --- slicing -----------------------------------------------------------------------------------
def _slice_rule(x, begin, size):
    if len(begin) != len(x.shape) or len(size) != len(x.shape):
        raise ValueError(f"slice: 'begin' and 'size' must have {len(x.shape)} entries, got {begin} and {size}")
    for b, s, d in zip(begin, size, x.shape):
        if b < 0 or s < 0 or b + s > d:
            raise ValueError(f"slice: begin {list(begin)} with size {list(size)} is out of range for "
                             f"shape {list(x.shape)}")
    return Aval(size, x.dtype)


def _slice_kernel(x, begin, size):
    return x[tuple(_pyslice(b, b + s) for b, s in zip(begin, size))]


def _slice_bprop(x, out, dout, begin, size):
    pads = tuple((b, d - b - s) for b, s, d in zip(begin, size, x.shape))
    return (OPS["pad"](dout, paddings=pads, mode="constant", value=0),)


slice_p = register("slice", infer=_slice_rule, kernel=_slice_kernel, bprop=_slice_bprop, family="movement")


def slice(input_x, begin, size):
    """The block of ``input_x`` starting at ``begin`` with ``size`` (-1: to the end)."""
    check_tensor("slice", input_x, "input_x")
    begin = _int_tuple("slice", begin, "begin")
    size = _int_tuple("slice", size, "size")
    shape = input_x.shape
    if len(begin) != len(shape) or len(size) != len(shape):
        raise ValueError(f"slice: 'begin' and 'size' must have {len(shape)} entries, got {list(begin)} "
                         f"and {list(size)}")
    size = tuple(d - b if s == -1 else s for b, s, d in zip(begin, size, shape))
    _slice_rule(Aval(shape, input_x.dtype), begin, size)
    return slice_p(input_x, begin=begin, size=size)


def narrow(input, axis, start, length):
    """``length`` elements of ``input`` along ``axis`` from ``start``."""
    check_tensor("narrow", input)
    a = _axis("narrow", axis, input.ndim)
    n = input.shape[a]
    start = check_int("narrow", start, "start")
    length = check_int("narrow", length, "length", 0)
    if start < -n or start > n:
        raise ValueError(f"narrow: 'start' must be in [{-n}, {n}], got {start}")
    start %= builtins.max(n, 1)
    if start + length > n:
        raise ValueError(f"narrow: 'start' + 'length' ({start} + {length}) exceeds the size {n} of axis {a}")
    return _slice_axis(input, a, start, length)


def _strided_index(ndim, begin, end, strides, begin_mask, end_mask, ellipsis_mask, new_axis_mask,
                   shrink_axis_mask):
    """TensorFlow/MindSpore StridedSlice attributes -> a numpy index tuple."""
    idx = []
    for i, (b, e, s) in enumerate(zip(begin, end, strides)):
        bit = 1 << i
        if ellipsis_mask & bit:
            idx.append(Ellipsis)
        elif new_axis_mask & bit:
            idx.append(None)
        elif shrink_axis_mask & bit:
            idx.append(b)
        else:
            idx.append(_pyslice(None if begin_mask & bit else b, None if end_mask & bit else e, s))
    return tuple(idx)


def _strided_kernel(x, **attrs):
    return x[_strided_index(x.ndim, **attrs)]


def _strided_rule(x, **attrs):
    idx = _strided_index(len(x.shape), **attrs)
    try:
        shape = np.broadcast_to(np.zeros((), x.dtype.np), x.shape)[idx].shape
    except IndexError as exc:
        raise IndexError(f"strided_slice: {exc}") from None
    return Aval(shape, x.dtype)


def _strided_bprop(x, out, dout, **attrs):
    from .indexing import _normalize_basic
    index = _normalize_basic(_strided_index(x.ndim, **attrs), x.shape)
    zeros = _wrap(np.zeros(x.shape, dout._data.dtype))
    return (OPS["setitem"](zeros, dout, index=index, accumulate=False),)


strided_slice_p = register("strided_slice", infer=_strided_rule, kernel=_strided_kernel, bprop=_strided_bprop,
                           family="movement")


def strided_slice(input_x, begin, end, strides, begin_mask=0, end_mask=0, ellipsis_mask=0, new_axis_mask=0,
                  shrink_axis_mask=0):
    """MindSpore's ``StridedSlice``: Python slicing spelled as ``begin``/``end``/``strides`` tuples;
    bit ``i`` of a mask applies to entry ``i`` (begin_mask/end_mask: ignore that bound;
    ellipsis_mask: entry i is ``...``; new_axis_mask: a new axis; shrink_axis_mask: an int index)."""
    check_tensor("strided_slice", input_x, "input_x")
    begin = _int_tuple("strided_slice", begin, "begin")
    end = _int_tuple("strided_slice", end, "end")
    strides = _int_tuple("strided_slice", strides, "strides")
    if not (len(begin) == len(end) == len(strides)):
        raise ValueError(f"strided_slice: 'begin', 'end' and 'strides' must have one length, got "
                         f"{len(begin)}, {len(end)} and {len(strides)}")
    if 0 in strides:
        raise ValueError(f"strided_slice: 'strides' must not hold 0, got {list(strides)}")
    attrs = {}
    for name, v in (("begin_mask", begin_mask), ("end_mask", end_mask), ("ellipsis_mask", ellipsis_mask),
                    ("new_axis_mask", new_axis_mask), ("shrink_axis_mask", shrink_axis_mask)):
        attrs[name] = check_int("strided_slice", v, name, 0)
    if bin(attrs["ellipsis_mask"]).count("1") > 1:
        raise ValueError("strided_slice: 'ellipsis_mask' can have at most one bit set")
    _strided_rule(Aval(input_x.shape, input_x.dtype), begin=begin, end=end, strides=strides, **attrs)
    return strided_slice_p(input_x, begin=begin, end=end, strides=strides, **attrs)


# pad, flip, roll, tile and friends live in reorder.py (file size); they are part of this family
from .reorder import *  # noqa: E402,F401,F403
from .reorder import __all__ as _reorder_all  # noqa: E402

__all__ += _reorder_all
