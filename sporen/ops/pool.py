"""Pooling (N-d, NCHW): the primitives and MindSpore's functional max/avg/adaptive/lp pooling.

``max_pool`` has its bprop through ``max_pool_indices`` and ``max_pool_grad`` (a scatter to the
argmax positions); its adjoint ``max_pool_grad_grad`` gathers from them, and the two are each
other's bprop, so every order is exact. ``avg_pool`` and ``avg_pool_grad`` are adjoint linear maps,
each the other's bprop. ``adaptive_max_pool`` reuses ``max_pool_grad``. Adaptive average pooling is
a composite: one small matmul with an averaging matrix per spatial axis (or one mean when global)."""
import functools
import itertools

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .. import dtype as mstype
from ..tensor import Tensor
from ._helpers import check_tensor
from .conv import _Scratch, _check_input, _int_tuple, _pad_array, _pad_bytes, _pad_pairs, _prod, _scratch_bytes
from .registry import NOT_DIFFERENTIABLE, OPS, Aval, register

__all__ = ["max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
           "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d", "lp_pool1d", "lp_pool2d",
           "max_unpool1d", "max_unpool2d", "max_unpool3d"]

_wrap = Tensor._wrap


# --- pooling geometry -----------------------------------------------------------------------------
def _pool_out_len(length, k, s, d, lo, hi, ceil_mode):
    span = length + lo + hi - d * (k - 1) - 1
    if ceil_mode:
        out = -(-span // s) + 1
        if (out - 1) * s >= length + lo:  # the last window must start inside the input or left pad
            out -= 1
    else:
        out = span // s + 1
    return out


@functools.lru_cache(maxsize=512)
def _pool_geometry(spatial, kernel_size, stride, padding, dilation, ceil_mode):
    out = tuple(_pool_out_len(spatial[i], kernel_size[i], stride[i], dilation[i], *padding[i], ceil_mode)
                for i in range(len(spatial)))
    # right padding actually read by the windows (ceil_mode may read past the declared padding)
    need = tuple(max((out[i] - 1) * stride[i] + dilation[i] * (kernel_size[i] - 1) + 1
                     - spatial[i] - padding[i][0], 0) for i in range(len(spatial)))
    return out, tuple((padding[i][0], need[i]) for i in range(len(spatial)))


@functools.lru_cache(maxsize=512)
def _taps(kernel_size, stride, dilation, out):
    """For each kernel tap: (tap, index of the padded input giving that tap of every window)."""
    result = []
    for taps in itertools.product(*[range(k) for k in kernel_size]):
        idx = tuple(slice(taps[i] * dilation[i], taps[i] * dilation[i] + stride[i] * (out[i] - 1) + 1, stride[i])
                    for i in range(len(taps)))
        result.append((taps, (slice(None), slice(None)) + idx))
    return tuple(result)


def _lowest(dtype):
    """The padding value of max pooling: below every value of ``dtype``."""
    if dtype.kind in "iu":
        return np.iinfo(dtype).min
    if dtype.kind == "b":
        return False
    return -np.inf  # floats, and ml_dtypes' bfloat16 (numpy kind 'V')


def _pool_rule(name):
    def rule(x, kernel_size, stride, padding, dilation, ceil_mode, **attrs):
        nsp = len(kernel_size)
        if len(x.shape) != nsp + 2:
            raise ValueError(f"{name}: 'input' must be {nsp + 2}-D, got shape {list(x.shape)}")
        out, _ = _pool_geometry(x.shape[2:], kernel_size, stride, padding, dilation, ceil_mode)
        if any(v <= 0 for v in out):
            raise ValueError(f"{name}: the output size {list(out)} is not positive for input {list(x.shape)}")
        return Aval(x.shape[:2] + out, x.dtype)
    rule.__name__ = f"pool[{name}]"
    return rule


def _max_pool_kernel(x, kernel_size, stride, padding, dilation, ceil_mode, out=None, ws=None):
    osp, pads = _pool_geometry(x.shape[2:], kernel_size, stride, padding, dilation, ceil_mode)
    xp = _pad_array(x, pads, _lowest(x.dtype), scratch=None if out is None else _Scratch(ws))
    res = out
    for _, idx in _taps(kernel_size, stride, dilation, osp):
        if res is None:
            res = xp[idx].copy()
        elif res is out and idx is _taps(kernel_size, stride, dilation, osp)[0][1]:
            np.copyto(res, xp[idx])
        else:
            np.maximum(res, xp[idx], out=res)
    return res


def _max_pool_scratch(x, kernel_size, stride, padding, dilation, ceil_mode):
    _, pads = _pool_geometry(x.shape[2:], kernel_size, stride, padding, dilation, ceil_mode)
    return _scratch_bytes(_pad_bytes(x.shape, pads, x.dtype.itemsize))


_max_pool_kernel.scratch = _max_pool_scratch


@functools.lru_cache(maxsize=256)
def _window_offsets(spatial, kernel_size, stride, dilation, out, pads):
    """``(tap_offset, corner)``: the flat offset in the unpadded plane of each kernel tap, and of
    each window's corner (read-only arrays, made once per geometry)."""
    nsp = len(spatial)
    plane_strides = [_prod(spatial[i + 1:]) for i in range(nsp)]
    tap_offset = np.zeros(kernel_size, dtype=np.int64)
    corner = np.zeros(out, dtype=np.int64)
    for i in range(nsp):
        shape = (-1,) + (1,) * (nsp - 1 - i)
        tap_offset = tap_offset + (np.arange(kernel_size[i]) * dilation[i] * plane_strides[i]).reshape(shape)
        corner = corner + ((np.arange(out[i]) * stride[i] - pads[i][0]) * plane_strides[i]).reshape(shape)
    tap_offset = tap_offset.reshape(-1)
    tap_offset.flags.writeable = False
    corner.flags.writeable = False
    return tap_offset, corner


def _max_pool_indices_kernel(x, kernel_size, stride, padding, dilation, ceil_mode, out=None, ws=None):
    spatial = x.shape[2:]
    nsp = len(spatial)
    osp, pads = _pool_geometry(spatial, kernel_size, stride, padding, dilation, ceil_mode)
    scratch = None if out is None else _Scratch(ws)
    xp = _pad_array(x, pads, _lowest(x.dtype), scratch=scratch)
    # every window as a row of K taps (one copy), argmax per row (the first maximum wins, as in
    # MindSpore and PyTorch), then the winning tap becomes a flat index into the unpadded plane
    st = xp.strides
    shape = xp.shape[:2] + tuple(osp) + tuple(kernel_size)
    strides = (st[:2] + tuple(st[2 + i] * stride[i] for i in range(nsp))
               + tuple(st[2 + i] * dilation[i] for i in range(nsp)))
    view = as_strided(xp, shape, strides, writeable=False)
    rows = xp.shape[:2] + tuple(osp) + (_prod(kernel_size),)
    tap_offset, corner = _window_offsets(tuple(spatial), tuple(kernel_size), tuple(stride), tuple(dilation),
                                         tuple(osp), tuple(pads))
    if scratch is None:
        best_tap = np.ascontiguousarray(view).reshape(rows).argmax(axis=-1)
        flat = tap_offset[best_tap]
    else:
        windows = scratch.empty(shape, x.dtype)
        np.copyto(windows, view)
        best_tap = windows.reshape(rows).argmax(axis=-1, out=scratch.empty(rows[:-1], np.intp))
        flat = np.take(tap_offset, best_tap, out=out)
    # flat index = the window's corner + the winning tap's offset (a padded tap never wins: -inf)
    flat += corner
    if any(lo or hi for lo, hi in pads):
        # only a window of nothing but -inf can pick a padded tap; keep its index inside the plane
        np.clip(flat, 0, _prod(spatial) - 1, out=flat)
    return flat


def _max_pool_indices_scratch(x, kernel_size, stride, padding, dilation, ceil_mode):
    osp, pads = _pool_geometry(x.shape[2:], kernel_size, stride, padding, dilation, ceil_mode)
    windows = _prod(x.shape[:2]) * _prod(osp)
    return _scratch_bytes(_pad_bytes(x.shape, pads, x.dtype.itemsize),
                          windows * _prod(kernel_size) * x.dtype.itemsize, windows * np.dtype(np.intp).itemsize)


_max_pool_indices_kernel.scratch = _max_pool_indices_scratch


def _max_pool_bprop(x, out, dout, kernel_size, stride, padding, dilation, ceil_mode):
    idx = max_pool_indices_p(x, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation,
                             ceil_mode=ceil_mode)
    return (max_pool_grad_p(dout, idx, input_shape=tuple(x.shape)),)


max_pool_p = register("max_pool", infer=_pool_rule("max_pool"), kernel=_max_pool_kernel, bprop=_max_pool_bprop,
                      family="conv")


def _max_pool_indices_rule(x, **attrs):
    a = _pool_rule("max_pool_indices")(x, **attrs)
    return Aval(a.shape, mstype.int64)


max_pool_indices_p = register("max_pool_indices", infer=_max_pool_indices_rule, kernel=_max_pool_indices_kernel,
                              bprop=NOT_DIFFERENTIABLE, family="conv")


def _max_pool_grad_rule(dout, indices, input_shape):
    if tuple(dout.shape) != tuple(indices.shape):
        raise ValueError(f"max_pool_grad: 'dout' {list(dout.shape)} and 'indices' {list(indices.shape)} differ")
    return Aval(tuple(input_shape), dout.dtype)


def _max_pool_grad_kernel(dout, indices, input_shape, out=None, ws=None):
    """Scatter-add each window's gradient to its argmax (an index into the window's plane), summed
    in float64 in the order of the windows, then rounded once."""
    planes = _prod(input_shape[:2])
    plane = _prod(input_shape[2:])
    offsets = _plane_offsets(tuple(input_shape[:2]), plane, dout.ndim)
    if out is None:
        flat = (indices + offsets).ravel()
        dx = np.bincount(flat, weights=dout.ravel(), minlength=planes * plane)
        return dx.astype(dout.dtype, copy=False).reshape(input_shape)
    scratch = _Scratch(ws)
    flat = np.add(indices, offsets, out=scratch.empty(indices.shape, np.int64))
    weights = scratch.empty((dout.size,), np.float64)
    np.copyto(weights, dout.reshape(-1))  # add.at is fast only with matching dtypes
    acc = scratch.empty((planes * plane,), np.float64)
    acc.fill(0)
    np.add.at(acc, flat.reshape(-1), weights)
    np.copyto(out.reshape(-1), acc, casting="unsafe")
    return out


@functools.lru_cache(maxsize=256)
def _plane_offsets(batch_channels, plane, ndim):
    """The flat offset of each (image, channel) plane, shaped to broadcast over a window index."""
    offsets = (np.arange(_prod(batch_channels), dtype=np.int64) * plane).reshape(batch_channels + (1,) * (ndim - 2))
    offsets.flags.writeable = False
    return offsets


def _max_pool_grad_scratch(dout, indices, input_shape):
    if dout.dtype.kind != "f" or _prod(input_shape) == 0:
        return None
    return _scratch_bytes(indices.size * 8, dout.size * 8, _prod(input_shape) * 8)


_max_pool_grad_kernel.scratch = _max_pool_grad_scratch


def _max_pool_grad_bprop(dout, indices, out, ddx, input_shape):
    # linear in dout: the adjoint of the scatter is the gather from the same positions
    return max_pool_grad_grad_p(ddx, indices), None


max_pool_grad_p = register("max_pool_grad", infer=_max_pool_grad_rule, kernel=_max_pool_grad_kernel,
                           bprop=_max_pool_grad_bprop, family="conv")


def _max_pool_grad_grad_rule(g, indices):
    if tuple(g.shape[:2]) != tuple(indices.shape[:2]):
        raise ValueError(f"max_pool_grad_grad: 'input' {list(g.shape)} and 'indices' {list(indices.shape)} "
                         f"differ in batch or channels")
    return Aval(tuple(indices.shape), g.dtype)


def _max_pool_grad_grad_kernel(g, indices):
    """Pick each window's value at its argmax: ``g`` (N, C, *in) gathered at ``indices`` (N, C, *out)."""
    n, c = g.shape[:2]
    picked = np.take_along_axis(g.reshape(n, c, -1), indices.reshape(n, c, -1), axis=2)
    return picked.reshape(indices.shape)


def _max_pool_grad_grad_bprop(g, indices, out, dout):
    return max_pool_grad_p(dout, indices, input_shape=tuple(g.shape)), None


max_pool_grad_grad_p = register("max_pool_grad_grad", infer=_max_pool_grad_grad_rule,
                                kernel=_max_pool_grad_grad_kernel, bprop=_max_pool_grad_grad_bprop,
                                family="conv")


def _divisor(spatial, out, kernel_size, stride, padding, count_include_pad, divisor_override):
    """The per-window divisor of average pooling, shape (*out) (separable: a product of 1-D counts)."""
    if divisor_override:
        return None
    div = np.ones((), dtype=np.float64)
    for i, length in enumerate(spatial):
        lo, hi = padding[i]
        start = np.arange(out[i]) * stride[i] - lo
        end = start + kernel_size[i]
        if count_include_pad:
            # windows count the declared padding but not what ceil_mode reads past it
            count = np.minimum(end, length + hi) - start
        else:
            count = np.minimum(end, length) - np.maximum(start, 0)
        div = np.multiply.outer(div, count.astype(np.float64))
    return div


def _avg_pool_kernel(x, kernel_size, stride, padding, dilation, ceil_mode, count_include_pad, divisor_override):
    out, pads = _pool_geometry(x.shape[2:], kernel_size, stride, padding, dilation, ceil_mode)
    xp = _pad_array(x, pads)
    acc_dtype = x.dtype if x.dtype.kind == "f" else np.float64
    res = np.zeros(x.shape[:2] + out, dtype=acc_dtype)
    for _, idx in _taps(kernel_size, stride, dilation, out):
        res += xp[idx]
    div = _divisor(x.shape[2:], out, kernel_size, stride, padding, count_include_pad, divisor_override)
    if div is None:
        res /= divisor_override
    else:
        res /= div.astype(acc_dtype)
    return res.astype(x.dtype, copy=False)


def _avg_pool_bprop(x, out, dout, **attrs):
    return (avg_pool_grad_p(dout, input_shape=tuple(x.shape), **attrs),)


avg_pool_p = register("avg_pool", infer=_pool_rule("avg_pool"), kernel=_avg_pool_kernel, bprop=_avg_pool_bprop,
                      family="conv")


def _avg_pool_grad_rule(dout, input_shape, **attrs):
    return Aval(tuple(input_shape), dout.dtype)


def _avg_pool_grad_kernel(dout, input_shape, kernel_size, stride, padding, dilation, ceil_mode, count_include_pad,
                          divisor_override):
    spatial = input_shape[2:]
    out = dout.shape[2:]
    _, pads = _pool_geometry(spatial, kernel_size, stride, padding, dilation, ceil_mode)
    div = _divisor(spatial, out, kernel_size, stride, padding, count_include_pad, divisor_override)
    g = dout / (divisor_override if div is None else div.astype(dout.dtype))
    full = tuple(spatial[i] + pads[i][0] + pads[i][1] for i in range(len(spatial)))
    xp = np.zeros(tuple(input_shape[:2]) + full, dtype=dout.dtype)
    for _, idx in _taps(kernel_size, stride, dilation, out):
        xp[idx] += g
    crop = tuple(slice(pads[i][0], pads[i][0] + spatial[i]) for i in range(len(spatial)))
    return xp[(slice(None), slice(None)) + crop]


def _avg_pool_grad_bprop(dout, out, ddx, input_shape, **attrs):
    return (avg_pool_p(ddx, **attrs),)


avg_pool_grad_p = register("avg_pool_grad", infer=_avg_pool_grad_rule, kernel=_avg_pool_grad_kernel,
                           bprop=_avg_pool_grad_bprop, family="conv")


# --- functional pooling ---------------------------------------------------------------------------
def _pool_pads(name, padding, nsp, kernel_size, allow_pairs=True):
    if allow_pairs:
        pads = _pad_pairs(name, padding, nsp)
    else:
        pads = tuple((p, p) for p in _int_tuple(name, padding, nsp, "padding", minimum=0))
    for i in range(nsp):
        if max(pads[i]) * 2 > kernel_size[i]:
            raise ValueError(f"{name}: 'padding' {padding!r} must be at most half of 'kernel_size' "
                             f"{list(kernel_size)}")
    return pads


def _hashable(v):
    return tuple(v) if isinstance(v, list) else v


@functools.lru_cache(maxsize=512)
def _max_pool_attrs(name, nsp, shape, kernel_size, stride, padding, dilation, ceil_mode):
    """Checked primitive attributes, cached on everything they depend on (a layer pays once)."""
    ks = _int_tuple(name, kernel_size, nsp, "kernel_size")
    st = ks if stride is None else _int_tuple(name, stride, nsp, "stride")
    dil = _int_tuple(name, dilation, nsp, "dilation")
    pads = _pool_pads(name, padding, nsp, ks, allow_pairs=False)
    if not isinstance(ceil_mode, (bool, np.bool_)):
        raise TypeError(f"{name}: 'ceil_mode' must be a bool, got {type(ceil_mode).__name__}")
    attrs = dict(kernel_size=ks, stride=st, padding=pads, dilation=dil, ceil_mode=bool(ceil_mode))
    out, _ = _pool_geometry(shape[2:], ks, st, pads, dil, bool(ceil_mode))
    if any(v <= 0 for v in out):
        raise ValueError(f"{name}: the output size {list(out)} is not positive for input {list(shape)}")
    return attrs


def _max_pool(name, nsp, x, kernel_size, stride, padding, dilation, return_indices, ceil_mode):
    _check_input(name, x, nsp)
    attrs = _max_pool_attrs(name, nsp, x.shape, _hashable(kernel_size), _hashable(stride), _hashable(padding),
                            _hashable(dilation), ceil_mode)
    out = max_pool_p(x, **attrs)
    if return_indices:
        return out, max_pool_indices_p(x, **attrs)
    return out


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
    """2-D max pooling of (N, C, H, W) (``ops.max_pool2d``); with ``return_indices`` also the argmax as
    a flat index into each H*W plane (int64)."""
    return _max_pool("max_pool2d", 2, x, kernel_size, stride, padding, dilation, return_indices, ceil_mode)


def max_pool3d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """3-D max pooling of (N, C, D, H, W) (``ops.max_pool3d``)."""
    return _max_pool("max_pool3d", 3, x, kernel_size, stride, padding, dilation, return_indices, ceil_mode)


def _avg_pool(name, nsp, x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    _check_input(name, x, nsp, "input_x")
    ks = _int_tuple(name, kernel_size, nsp, "kernel_size")
    st = ks if stride is None else _int_tuple(name, stride, nsp, "stride")
    pads = _pool_pads(name, padding, nsp, ks)
    if not isinstance(ceil_mode, (bool, np.bool_)):
        raise TypeError(f"{name}: 'ceil_mode' must be a bool, got {type(ceil_mode).__name__}")
    if not isinstance(count_include_pad, (bool, np.bool_)):
        raise TypeError(f"{name}: 'count_include_pad' must be a bool, got {type(count_include_pad).__name__}")
    if divisor_override is None:
        divisor_override = 0
    if isinstance(divisor_override, bool) or not isinstance(divisor_override, (int, np.integer)):
        raise TypeError(f"{name}: 'divisor_override' must be an int, got {type(divisor_override).__name__}")
    if divisor_override < 0:
        raise ValueError(f"{name}: 'divisor_override' must be non-negative, got {divisor_override}")
    if x.dtype.kind != "f":
        raise TypeError(f"{name}: 'input_x' must be a float tensor, got {x.dtype}")
    attrs = dict(kernel_size=ks, stride=st, padding=pads, dilation=(1,) * nsp, ceil_mode=bool(ceil_mode),
                 count_include_pad=bool(count_include_pad), divisor_override=int(divisor_override))
    _pool_rule(name)(Aval(x.shape, x.dtype), **attrs)
    return avg_pool_p(x, **attrs)


def avg_pool1d(input_x, kernel_size=1, stride=1, padding=0, ceil_mode=False, count_include_pad=True):
    """1-D average pooling of (N, C, L) (``ops.avg_pool1d``); ``padding`` is an int or (left, right)."""
    return _avg_pool("avg_pool1d", 1, input_x, kernel_size, stride, padding, ceil_mode, count_include_pad, 0)


def avg_pool2d(input_x, kernel_size=1, stride=1, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=0):
    """2-D average pooling of (N, C, H, W) (``ops.avg_pool2d``); ``padding`` is an int, 2 ints or 4 ints
    (top, bottom, left, right); ``divisor_override`` (non-zero) replaces the window size."""
    return _avg_pool("avg_pool2d", 2, input_x, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override)


def avg_pool3d(input_x, kernel_size=1, stride=1, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=0):
    """3-D average pooling of (N, C, D, H, W) (``ops.avg_pool3d``)."""
    return _avg_pool("avg_pool3d", 3, input_x, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override)


def _output_size(name, output_size, spatial):
    nsp = len(spatial)
    if isinstance(output_size, (int, np.integer)) and not isinstance(output_size, bool):
        sizes = (int(output_size),) * nsp
    elif isinstance(output_size, (tuple, list)) and len(output_size) == nsp:
        sizes = tuple(spatial[i] if v is None else v for i, v in enumerate(output_size))
    elif isinstance(output_size, (tuple, list)) and len(output_size) == 1:
        sizes = (output_size[0],) * nsp
    else:
        raise TypeError(f"{name}: 'output_size' must be an int or a tuple of {nsp} ints, got {output_size!r}")
    for v in sizes:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v <= 0:
            raise ValueError(f"{name}: 'output_size' must hold positive ints, got {output_size!r}")
    return tuple(int(v) for v in sizes)


def _adaptive_bounds(length, out):
    start = (np.arange(out) * length) // out
    end = -((-(np.arange(out) + 1) * length) // out)  # ceil((i + 1) * L / out)
    return start, end


def _averaging_matrix(length, out, dtype):
    start, end = _adaptive_bounds(length, out)
    pos = np.arange(length)
    m = ((pos >= start[:, None]) & (pos < end[:, None])).astype(np.float64)
    m /= m.sum(axis=1, keepdims=True)
    return m.astype(dtype)


def _adaptive_avg(name, nsp, x, output_size):
    check_tensor(name, x)
    if x.ndim not in (nsp + 1, nsp + 2):
        raise ValueError(f"{name}: 'input' must be {nsp + 1}-D or {nsp + 2}-D, got shape {list(x.shape)}")
    if x.dtype.kind != "f":
        raise TypeError(f"{name}: 'input' must be a float tensor, got {x.dtype}")
    spatial = x.shape[-nsp:]
    sizes = _output_size(name, output_size, spatial)
    if all(v == 1 for v in sizes):
        # global average pooling: one mean
        return OPS["reduce_mean"](x, axis=tuple(range(x.ndim - nsp, x.ndim)), keepdims=True)
    y = x
    # averaging along each spatial axis is a small matmul; gradients come from batch_matmul's
    for i in range(nsp):
        axis = x.ndim - nsp + i
        if sizes[i] == spatial[i]:
            continue
        m = _wrap(_averaging_matrix(spatial[i], sizes[i], x.dtype.np))
        lead = y.shape[:axis]
        rest = y.shape[axis + 1:]
        y2 = OPS["reshape"](y, shape=(_prod(lead), spatial[i], _prod(rest)))
        y2 = _left_matmul(m, y2)
        y = OPS["reshape"](y2, shape=lead + (sizes[i],) + rest)
    return y


def _left_matmul(m, y):
    """(out, L) applied to the middle axis of (B, L, R): one batch_matmul with m broadcast."""
    from .linalg import batch_matmul_p
    m3 = OPS["reshape"](m, shape=(1,) + m.shape)
    return batch_matmul_p(m3, y, transpose_a=False, transpose_b=False)


def adaptive_avg_pool1d(input, output_size):
    """1-D adaptive average pooling of (N, C, L) to ``output_size`` (``ops.adaptive_avg_pool1d``)."""
    return _adaptive_avg("adaptive_avg_pool1d", 1, input, output_size)


def adaptive_avg_pool2d(input, output_size):
    """2-D adaptive average pooling of (N, C, H, W) or (C, H, W) to ``output_size``, where a None entry
    keeps that size (``ops.adaptive_avg_pool2d``)."""
    return _adaptive_avg("adaptive_avg_pool2d", 2, input, output_size)


def adaptive_avg_pool3d(input, output_size):
    """3-D adaptive average pooling (``ops.adaptive_avg_pool3d``)."""
    return _adaptive_avg("adaptive_avg_pool3d", 3, input, output_size)


def _adaptive_max_rule(x, output_size):
    nsp = len(output_size)
    if len(x.shape) != nsp + 2:
        raise ValueError(f"adaptive_max_pool: 'input' must be {nsp + 2}-D, got shape {list(x.shape)}")
    shape = tuple(x.shape[:2]) + tuple(output_size)
    return Aval(shape, x.dtype), Aval(shape, mstype.int64)


def _adaptive_max_kernel(x, output_size):
    spatial = x.shape[2:]
    nsp = len(spatial)
    bounds = [_adaptive_bounds(spatial[i], output_size[i]) for i in range(nsp)]
    out = np.empty(x.shape[:2] + tuple(output_size), dtype=x.dtype)
    idx = np.empty(x.shape[:2] + tuple(output_size), dtype=np.int64)
    lead = x.shape[:2]
    # one vectorised reduction per output cell (there are few: the output is small by design)
    for cell in itertools.product(*[range(o) for o in output_size]):
        lo = [int(bounds[i][0][cell[i]]) for i in range(nsp)]
        hi = [int(bounds[i][1][cell[i]]) for i in range(nsp)]
        win = x[(slice(None), slice(None)) + tuple(slice(lo[i], hi[i]) for i in range(nsp))]
        flatwin = win.reshape(lead + (-1,))
        arg = np.argmax(flatwin, axis=-1)
        out[(slice(None), slice(None)) + cell] = np.take_along_axis(flatwin, arg[..., None], axis=-1)[..., 0]
        local = np.unravel_index(arg, tuple(hi[i] - lo[i] for i in range(nsp)))
        flat = np.zeros(arg.shape, dtype=np.int64)
        for i in range(nsp):
            flat = flat * spatial[i] + (local[i] + lo[i])
        idx[(slice(None), slice(None)) + cell] = flat
    return out, idx


def _adaptive_max_bprop(x, out, dout, output_size):
    return (max_pool_grad_p(dout[0], out[1], input_shape=tuple(x.shape)),)


adaptive_max_pool_p = register("adaptive_max_pool", infer=_adaptive_max_rule, kernel=_adaptive_max_kernel,
                               bprop=_adaptive_max_bprop, nout=2, family="conv")


def _adaptive_max(name, nsp, x, output_size, return_indices):
    check_tensor(name, x)
    if x.ndim not in (nsp + 1, nsp + 2):
        raise ValueError(f"{name}: 'input' must be {nsp + 1}-D or {nsp + 2}-D, got shape {list(x.shape)}")
    sizes = _output_size(name, output_size, x.shape[-nsp:])
    unbatched = x.ndim == nsp + 1
    if unbatched:
        x = OPS["reshape"](x, shape=(1,) + x.shape)
    out, idx = adaptive_max_pool_p(x, output_size=sizes)
    if unbatched:
        out = OPS["reshape"](out, shape=out.shape[1:])
        idx = OPS["reshape"](idx, shape=idx.shape[1:])
    if return_indices:
        return out, idx
    return out


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """1-D adaptive max pooling of (N, C, L) (``ops.adaptive_max_pool1d``)."""
    return _adaptive_max("adaptive_max_pool1d", 1, input, output_size, return_indices)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """2-D adaptive max pooling of (N, C, H, W) or (C, H, W) (``ops.adaptive_max_pool2d``); indices
    are flat positions in each H*W plane."""
    return _adaptive_max("adaptive_max_pool2d", 2, input, output_size, return_indices)


def _lp_pool(name, nsp, x, norm_type, kernel_size, stride, ceil_mode):
    from .elementwise import mul_p, pow
    check_tensor(name, x, "x")
    ks = _int_tuple(name, kernel_size, nsp, "kernel_size")
    if isinstance(norm_type, bool) or not isinstance(norm_type, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: 'norm_type' must be a number, got {type(norm_type).__name__}")
    p = float(norm_type)
    if p == 0:
        raise ValueError(f"{name}: 'norm_type' must not be 0")
    avg = _avg_pool(name, nsp, pow(x, p), ks, stride, 0, ceil_mode, True, 0)
    # the window sum: a window mean times the window area
    total = mul_p(avg, _wrap(np.array(_prod(ks), dtype=x.dtype.np)))
    return pow(total, 1.0 / p)


def lp_pool1d(x, norm_type, kernel_size, stride=None, ceil_mode=False):
    """1-D power-average pooling: (sum over the window of x**p) ** (1/p) (``ops.lp_pool1d``)."""
    return _lp_pool("lp_pool1d", 1, x, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(x, norm_type, kernel_size, stride=None, ceil_mode=False):
    """2-D power-average pooling (``ops.lp_pool2d``)."""
    return _lp_pool("lp_pool2d", 2, x, norm_type, kernel_size, stride, ceil_mode)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """3-D adaptive max pooling of (N, C, D, H, W) or (C, D, H, W) (``ops.adaptive_max_pool3d``)."""
    return _adaptive_max("adaptive_max_pool3d", 3, input, output_size, return_indices)


def _max_unpool(name, nsp, x, indices, kernel_size, stride, padding, output_size):
    check_tensor(name, x, "x")
    check_tensor(name, indices, "indices")
    if x.ndim not in (nsp + 1, nsp + 2):
        raise ValueError(f"{name}: 'x' must be {nsp + 1}-D or {nsp + 2}-D, got shape {list(x.shape)}")
    if indices.shape != x.shape:
        raise ValueError(f"{name}: 'indices' {list(indices.shape)} must have the shape of 'x' {list(x.shape)}")
    if indices.dtype.kind not in "iu":
        raise TypeError(f"{name}: 'indices' must be an int32 or int64 tensor, got {indices.dtype}")
    ks = _int_tuple(name, kernel_size, nsp, "kernel_size")
    st = ks if stride is None or stride == 0 else _int_tuple(name, stride, nsp, "stride")
    pad = _int_tuple(name, padding, nsp, "padding", minimum=0)
    spatial = tuple((x.shape[-nsp + i] - 1) * st[i] - 2 * pad[i] + ks[i] for i in range(nsp))
    if output_size is not None and tuple(output_size) != ():
        want = tuple(int(v) for v in output_size)[-nsp:]
        for i in range(nsp):
            if not spatial[i] - st[i] < want[i] < spatial[i] + st[i]:
                raise ValueError(f"{name}: 'output_size' {list(output_size)} must be within one stride of the "
                                 f"default size {list(spatial)}")
        spatial = want
    unbatched = x.ndim == nsp + 1
    if unbatched:
        x = OPS["reshape"](x, shape=(1,) + x.shape)
        indices = OPS["reshape"](indices, shape=(1,) + indices.shape)
    if indices.dtype is not mstype.int64:
        indices = OPS["cast"](indices, dtype=mstype.int64)
    plane = _prod(spatial)
    data = getattr(indices, "_data", None)
    if type(data) is np.ndarray and data.size and (int(data.min()) < 0 or int(data.max()) >= plane):
        raise ValueError(f"{name}: 'indices' must be in [0, {plane - 1}] for the output size {list(spatial)}")
    out = max_pool_grad_p(x, indices, input_shape=tuple(x.shape[:2]) + spatial)
    if unbatched:
        out = OPS["reshape"](out, shape=out.shape[1:])
    return out


def max_unpool1d(x, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The inverse of max_pool1d: each value goes back to its argmax, zeros elsewhere (``ops.max_unpool1d``)."""
    return _max_unpool("max_unpool1d", 1, x, indices, kernel_size, stride, padding, output_size)


def max_unpool2d(x, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The inverse of max_pool2d: (N, C, H, W) values scattered to their ``indices`` (flat positions in
    the output plane) of an (H-1)*s - 2p + k sized output (``ops.max_unpool2d``)."""
    return _max_unpool("max_unpool2d", 2, x, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(x, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The inverse of max_pool3d (``ops.max_unpool3d``)."""
    return _max_unpool("max_unpool3d", 3, x, indices, kernel_size, stride, padding, output_size)
