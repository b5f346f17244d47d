"""Convolution (N-d, channels-first NCHW layout): the primitives and MindSpore's functional ops
(conv1d/2d/3d, conv_transpose2d, conv3d_transpose). Pooling lives in pool.py, re-exported here.

Three primitives carry every convolution: ``conv`` (x, w -> y), ``conv_transpose`` (y, w -> x)
and ``conv_weight_grad`` (x, y -> w). They are the three partial derivatives of one trilinear form
<conv(x, w), y>, so each one's bprop is written with the other two, and gradients of any order
stay convolutions. Kernels lower to im2col (a strided view, one copy) plus one batched GEMM."""
import functools
import itertools

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..tensor import Tensor
from ._helpers import Scratch as _Scratch, check_tensor, scratch_bytes as _scratch_bytes
from .linalg import gemm
from .registry import OPS, Aval, register

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose2d", "conv3d_transpose"]

_wrap = Tensor._wrap


def _prod(values):
    n = 1
    for v in values:
        n *= v
    return n


# --- geometry ----------------------------------------------------------------------------------
def _conv_out_len(length, k, s, d, lo, hi):
    return (length + lo + hi - d * (k - 1) - 1) // s + 1


def _padded_shape(shape, padding):
    return tuple(shape[:2]) + tuple(shape[2 + i] + lo + hi for i, (lo, hi) in enumerate(padding))


def _pad_array(x, padding, value=0, scratch=None):
    """Pad the spatial dims of an (N, C, *spatial) array by (lo, hi) pairs; no copy when zero."""
    if not any(lo or hi for lo, hi in padding):
        return x
    if scratch is None:
        return np.pad(x, ((0, 0), (0, 0)) + tuple(padding), constant_values=value)
    xp = scratch.empty(_padded_shape(x.shape, padding), x.dtype)
    xp.fill(value)
    inner = tuple(slice(lo, lo + x.shape[2 + i]) for i, (lo, _) in enumerate(padding))
    xp[(slice(None), slice(None)) + inner] = x
    return xp


def _pad_bytes(shape, padding, itemsize):
    if not any(lo or hi for lo, hi in padding):
        return 0
    return _prod(_padded_shape(shape, padding)) * itemsize


def _im2col(xp, ksize, stride, dilation, out, batch_inside=False, scratch=None):
    """The padded input's windows made contiguous: (N, C, *k, *out), the GEMM's (C*K, P) operand
    per image; or with ``batch_inside`` (C, *k, N, *out), one (C*K, N*P) operand for all images.
    The strided view costs nothing; the one copy is the im2col."""
    nsp = len(ksize)
    st = xp.strides
    taps = tuple(st[2 + i] * dilation[i] for i in range(nsp))
    steps = tuple(st[2 + i] * stride[i] for i in range(nsp))
    if batch_inside:
        shape = (xp.shape[1],) + tuple(ksize) + (xp.shape[0],) + tuple(out)
        strides = (st[1],) + taps + (st[0],) + steps
    else:
        shape = xp.shape[:2] + tuple(ksize) + tuple(out)
        strides = st[:2] + taps + steps
    view = as_strided(xp, shape, strides, writeable=False)
    if scratch is None:
        return np.ascontiguousarray(view)
    cols = scratch.empty(shape, xp.dtype)
    np.copyto(cols, view)
    return cols


def _conv_rule_common(name, x, w, stride, padding, dilation, groups):
    nsp = len(stride)
    if len(x.shape) != nsp + 2 or len(w.shape) != nsp + 2:
        raise ValueError(f"{name}: 'input' and 'weight' must be {nsp + 2}-D, got shapes {list(x.shape)} "
                         f"and {list(w.shape)}")
    if x.dtype is not w.dtype:
        raise TypeError(f"{name}: 'input' and 'weight' must have one dtype, got {x.dtype} and {w.dtype}")
    if x.dtype.kind not in "f":
        raise TypeError(f"{name}: 'input' must be a float tensor, got {x.dtype}")


def _conv_rule(x, w, stride, padding, dilation, groups):
    _conv_rule_common("conv", x, w, stride, padding, dilation, groups)
    c = x.shape[1]
    o = w.shape[0]
    if w.shape[1] * groups != c or o % groups:
        raise ValueError(f"conv: 'weight' {list(w.shape)} does not fit 'input' {list(x.shape)} with "
                         f"groups={groups}")
    out = tuple(_conv_out_len(x.shape[2 + i], w.shape[2 + i], stride[i], dilation[i], *padding[i])
                for i in range(len(stride)))
    if any(v <= 0 for v in out):
        raise ValueError(f"conv: the kernel {list(w.shape[2:])} (dilation {list(dilation)}) is larger than "
                         f"the padded input {[x.shape[2 + i] + sum(padding[i]) for i in range(len(stride))]}")
    return Aval((x.shape[0], o) + out, x.dtype)


_SMALL_PLANE = 1024  # output pixels per image below which the images share one GEMM


def _conv_plan(x_shape, w_shape, stride, padding, dilation, groups):
    """``(out spatial, P, C*K per group, small)``: the geometry the conv kernels share; ``small``:
    the images share one GEMM (small feature maps)."""
    n = x_shape[0]
    ksize = w_shape[2:]
    out = tuple(_conv_out_len(x_shape[2 + i], ksize[i], stride[i], dilation[i], *padding[i])
                for i in range(len(ksize)))
    p = _prod(out)
    ck = (x_shape[1] // groups) * _prod(ksize)
    return out, p, ck, groups == 1 and p < _SMALL_PLANE and n > 1


def _conv_kernel(x, w, stride, padding, dilation, groups, out=None, ws=None):
    n = x.shape[0]
    o = w.shape[0]
    ksize = w.shape[2:]
    osp, p, ck, small = _conv_plan(x.shape, w.shape, stride, padding, dilation, groups)
    scratch = _Scratch(ws) if out is not None else None
    xp = _pad_array(x, padding, scratch=scratch)
    if small:
        # small feature maps: one GEMM over every image beats N thin ones; the output transpose
        # back to NCHW is cheap next to the im2col
        cols = _im2col(xp, ksize, stride, dilation, osp, batch_inside=True, scratch=scratch)
        y = gemm(w.reshape(o, ck), cols.reshape(ck, n * p),
                 out=None if out is None else scratch.empty((o, n * p), x.dtype)).reshape(o, n, p)
        if out is None:
            return np.ascontiguousarray(y.transpose(1, 0, 2)).reshape((n, o) + osp)
        np.copyto(out.reshape(n, o, p), y.transpose(1, 0, 2))
        return out
    cols = _im2col(xp, ksize, stride, dilation, osp, scratch=scratch)
    if groups == 1:
        y = gemm(w.reshape(o, ck), cols.reshape(n, ck, p),  # (N, O, P): already NCHW
                 out=None if out is None else out.reshape(n, o, p))
    else:
        cols = cols.reshape(n, groups, ck, p)
        y = gemm(w.reshape(groups, o // groups, ck), cols,  # (N, G, O/G, P)
                 out=None if out is None else out.reshape(n, groups, o // groups, p))
    return y.reshape((n, o) + osp) if out is None else out


def _half(dtype):
    return dtype.itemsize == 2  # half precision goes through float32 copies in gemm: no out= form


def _conv_scratch(x, w, stride, padding, dilation, groups):
    if _half(x.dtype):
        return None
    n = x.shape[0]
    item = x.dtype.itemsize
    _, p, ck, small = _conv_plan(x.shape, w.shape, stride, padding, dilation, groups)
    pad = _pad_bytes(x.shape, padding, item)
    if small:
        return _scratch_bytes(pad, ck * n * p * item, w.shape[0] * n * p * item)
    return _scratch_bytes(pad, n * groups * ck * p * item)


_conv_kernel.scratch = _conv_scratch


def _output_padding(x_shape, y_shape, w_shape, stride, padding, dilation):
    """The extra trailing input positions a conv skipped (floor division), per spatial dim."""
    return tuple(x_shape[2 + i] + padding[i][0] + padding[i][1] - dilation[i] * (w_shape[2 + i] - 1) - 1
                 - (y_shape[2 + i] - 1) * stride[i] for i in range(len(stride)))


def _conv_bprop(x, w, out, dout, stride, padding, dilation, groups, needs=(True, True)):
    attrs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    dx = None
    dw = None
    if needs[0]:  # skipped for the first layer, whose input is data
        op = _output_padding(x.shape, out.shape, w.shape, stride, padding, dilation)
        dx = conv_transpose_p(dout, w, output_padding=op, **attrs)
    if needs[1]:
        dw = conv_weight_grad_p(x, dout, kernel_size=tuple(w.shape[2:]), **attrs)
    return dx, dw


conv_p = register("conv", infer=_conv_rule, kernel=_conv_kernel, bprop=_conv_bprop, family="conv",
                  needs=True)


def _transposed_len(length, k, s, d, lo, hi, extra):
    return (length - 1) * s - lo - hi + d * (k - 1) + 1 + extra


def _conv_transpose_rule(y, w, stride, padding, dilation, groups, output_padding):
    _conv_rule_common("conv_transpose", y, w, stride, padding, dilation, groups)
    if w.shape[0] != y.shape[1] or y.shape[1] % groups:
        raise ValueError(f"conv_transpose: 'weight' {list(w.shape)} does not fit 'input' {list(y.shape)} "
                         f"with groups={groups}")
    out = tuple(_transposed_len(y.shape[2 + i], w.shape[2 + i], stride[i], dilation[i], *padding[i],
                                output_padding[i]) for i in range(len(stride)))
    if any(v <= 0 for v in out):
        raise ValueError(f"conv_transpose: the output size {list(out)} is not positive")
    return Aval((y.shape[0], w.shape[1] * groups) + out, y.dtype)


def _conv_transpose_full(y_shape, ksize, stride, dilation, output_padding):
    """The uncropped spatial size the taps of a transposed convolution scatter into."""
    return tuple((y_shape[2 + i] - 1) * stride[i] + dilation[i] * (ksize[i] - 1) + 1 + output_padding[i]
                 for i in range(len(ksize)))


def _conv_transpose_kernel(y, w, stride, padding, dilation, groups, output_padding, out=None, ws=None):
    n, o = y.shape[:2]
    cg = w.shape[1]
    ksize = w.shape[2:]
    ysp = y.shape[2:]
    nsp = len(ksize)
    p = _prod(ysp)
    scratch = _Scratch(ws) if out is not None else None
    # col = W^T dy: (N, G, Cg*K, P), then col2im scatters each kernel tap back (one add per tap)
    wm = w.reshape(groups, o // groups, cg * _prod(ksize))
    if groups == 1 and p < _SMALL_PLANE and n > 1:
        # small feature maps: one GEMM over every image, cols laid out (C, *k, N, *out)
        if scratch is None:
            ym = np.ascontiguousarray(y.reshape(n, o, p).transpose(1, 0, 2)).reshape(o, n * p)
        else:
            ym = scratch.empty((o, n * p), y.dtype)
            np.copyto(ym.reshape(o, n, p), y.reshape(n, o, p).transpose(1, 0, 2))
        cols = gemm(wm[0].T, ym, out=None if scratch is None else scratch.empty((cg * _prod(ksize), n * p), y.dtype))
        cols = cols.reshape((cg,) + tuple(ksize) + (n,) + tuple(ysp))
        cols = np.moveaxis(cols, nsp + 1, 0)  # a view: (N, C, *k, *out)
    else:
        cols = gemm(np.swapaxes(wm, 1, 2), y.reshape(n, groups, o // groups, p),
                    out=None if scratch is None else scratch.empty((n, groups, cg * _prod(ksize), p), y.dtype))
        cols = cols.reshape((n, groups * cg) + tuple(ksize) + tuple(ysp))
    full = _conv_transpose_full(y.shape, ksize, stride, dilation, output_padding)
    crop = tuple(slice(padding[i][0], full[i] - padding[i][1]) for i in range(nsp))
    cropped = any(lo or hi for lo, hi in padding)
    if scratch is None:
        xp = np.zeros((n, groups * cg) + full, dtype=y.dtype)
    else:
        xp = scratch.empty((n, groups * cg) + full, y.dtype) if cropped else out
        xp.fill(0)
    for taps in itertools.product(*[range(k) for k in ksize]):
        idx = tuple(slice(taps[i] * dilation[i], taps[i] * dilation[i] + stride[i] * (ysp[i] - 1) + 1, stride[i])
                    for i in range(nsp))
        xp[(slice(None), slice(None)) + idx] += cols[(slice(None), slice(None)) + taps]
    if out is not None and cropped:
        np.copyto(out, xp[(slice(None), slice(None)) + crop])
        return out
    return xp[(slice(None), slice(None)) + crop]


def _conv_transpose_scratch(y, w, stride, padding, dilation, groups, output_padding):
    if _half(y.dtype):
        return None
    n, o = y.shape[:2]
    item = y.dtype.itemsize
    ck = w.shape[1] * _prod(w.shape[2:])
    p = _prod(y.shape[2:])
    sizes = [o * n * p * item, ck * n * p * item] if groups == 1 and p < _SMALL_PLANE and n > 1 else \
        [n * groups * ck * p * item]
    if any(lo or hi for lo, hi in padding):
        full = _conv_transpose_full(y.shape, w.shape[2:], stride, dilation, output_padding)
        sizes.append(n * groups * w.shape[1] * _prod(full) * item)
    return _scratch_bytes(*sizes)


_conv_transpose_kernel.scratch = _conv_transpose_scratch


def _conv_transpose_bprop(y, w, out, dout, stride, padding, dilation, groups, output_padding):
    attrs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    dy = conv_p(dout, w, **attrs)
    dw = conv_weight_grad_p(dout, y, kernel_size=tuple(w.shape[2:]), **attrs)
    return dy, dw


conv_transpose_p = register("conv_transpose", infer=_conv_transpose_rule, kernel=_conv_transpose_kernel,
                            bprop=_conv_transpose_bprop, family="conv")


def _conv_weight_grad_rule(x, y, stride, padding, dilation, groups, kernel_size):
    _conv_rule_common("conv_weight_grad", x, y, stride, padding, dilation, groups)
    out = tuple(_conv_out_len(x.shape[2 + i], kernel_size[i], stride[i], dilation[i], *padding[i])
                for i in range(len(stride)))
    if tuple(y.shape[2:]) != out or x.shape[0] != y.shape[0] or x.shape[1] % groups or y.shape[1] % groups:
        raise ValueError(f"conv_weight_grad: 'dout' {list(y.shape)} is not the output of a convolution of "
                         f"{list(x.shape)} with kernel {list(kernel_size)} (expected spatial {list(out)})")
    return Aval((y.shape[1], x.shape[1] // groups) + tuple(kernel_size), x.dtype)


def _conv_weight_grad_kernel(x, y, stride, padding, dilation, groups, kernel_size, out=None, ws=None):
    n, c = x.shape[:2]
    o = y.shape[1]
    ysp = y.shape[2:]
    p = _prod(ysp)
    scratch = _Scratch(ws) if out is not None else None
    xp = _pad_array(x, padding, scratch=scratch)
    ck = (c // groups) * _prod(kernel_size)
    if groups == 1 and p < _SMALL_PLANE and n > 1:
        # small feature maps: one GEMM with the images and pixels as its long inner dimension
        cols = _im2col(xp, kernel_size, stride, dilation, ysp, batch_inside=True, scratch=scratch).reshape(ck, n * p)
        if scratch is None:
            ym = np.ascontiguousarray(y.reshape(n, o, p).transpose(1, 0, 2)).reshape(o, n * p)
            return gemm(ym, cols.T).reshape((o, c) + tuple(kernel_size))
        ym = scratch.empty((o, n * p), y.dtype)
        np.copyto(ym.reshape(o, n, p), y.reshape(n, o, p).transpose(1, 0, 2))
        gemm(ym, cols.T, out=out.reshape(o, ck))
        return out
    cols = _im2col(xp, kernel_size, stride, dilation, ysp, scratch=scratch).reshape(n, groups, ck, p)
    ym = y.reshape(n, groups, o // groups, p)
    # per image (O/G, P) x (P, Cg*K) with the transposed operand passed to BLAS as is, then sum images
    if scratch is None:
        dw = gemm(ym, np.swapaxes(cols, -1, -2)).sum(axis=0)
        return dw.reshape((o, c // groups) + tuple(kernel_size))
    dw = gemm(ym, np.swapaxes(cols, -1, -2), out=scratch.empty((n, groups, o // groups, ck), x.dtype))
    np.add.reduce(dw, axis=0, out=out.reshape(groups, o // groups, ck))
    return out


def _conv_weight_grad_scratch(x, y, stride, padding, dilation, groups, kernel_size):
    if _half(x.dtype):
        return None
    n, c = x.shape[:2]
    o = y.shape[1]
    item = x.dtype.itemsize
    p = _prod(y.shape[2:])
    ck = (c // groups) * _prod(kernel_size)
    pad = _pad_bytes(x.shape, padding, item)
    if groups == 1 and p < _SMALL_PLANE and n > 1:
        return _scratch_bytes(pad, ck * n * p * item, o * n * p * item)
    return _scratch_bytes(pad, n * groups * ck * p * item, n * o * ck * item)


_conv_weight_grad_kernel.scratch = _conv_weight_grad_scratch


def _conv_weight_grad_bprop(x, y, out, dout, stride, padding, dilation, groups, kernel_size):
    attrs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    op = _output_padding(x.shape, y.shape, dout.shape, stride, padding, dilation)
    dx = conv_transpose_p(y, dout, output_padding=op, **attrs)
    dy = conv_p(x, dout, **attrs)
    return dx, dy


conv_weight_grad_p = register("conv_weight_grad", infer=_conv_weight_grad_rule, kernel=_conv_weight_grad_kernel,
                              bprop=_conv_weight_grad_bprop, family="conv")


# --- argument checking shared by the functional ops ----------------------------------------------
def _int_tuple(name, value, n, argname, minimum=1, allow=(1,)):
    """An int or a tuple of ``n`` ints (or of a length in ``allow`` that is broadcast)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        vals = (int(value),) * n
    elif isinstance(value, (tuple, list)) and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                                                   for v in value):
        if len(value) == n:
            vals = tuple(int(v) for v in value)
        elif len(value) in allow and len(value) == 1:
            vals = (int(value[0]),) * n
        else:
            raise ValueError(f"{name}: '{argname}' must be an int or a tuple of {n} ints, got {value!r}")
    else:
        raise TypeError(f"{name}: '{argname}' must be an int or a tuple of {n} ints, got {value!r}")
    for v in vals:
        if v < minimum:
            kind = "positive" if minimum == 1 else "non-negative"
            raise ValueError(f"{name}: '{argname}' must be {kind}, got {value!r}")
    return vals


def _pad_pairs(name, padding, n):
    """MindSpore's conv padding: an int, n ints (both sides) or 2n ints (lo/hi per dim)."""
    if isinstance(padding, (int, np.integer)) and not isinstance(padding, bool):
        if padding < 0:
            raise ValueError(f"{name}: 'padding' must be non-negative, got {padding}")
        return ((int(padding), int(padding)),) * n
    if not isinstance(padding, (tuple, list)) or not all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in padding):
        raise TypeError(f"{name}: 'padding' must be an int or a tuple of ints, got {padding!r}")
    if any(v < 0 for v in padding):
        raise ValueError(f"{name}: 'padding' must be non-negative, got {padding!r}")
    if len(padding) == 1:
        return ((int(padding[0]), int(padding[0])),) * n
    if len(padding) == n:
        return tuple((int(v), int(v)) for v in padding)
    if len(padding) == 2 * n:
        return tuple((int(padding[2 * i]), int(padding[2 * i + 1])) for i in range(n))
    raise ValueError(f"{name}: 'padding' must be an int or a tuple of {n} or {2 * n} ints, got {padding!r}")


def _check_input(name, x, nsp, argname="input", layout=None):
    check_tensor(name, x, argname)
    if x.ndim != nsp + 2:
        layout = layout or {1: "(N, C, L)", 2: "(N, C, H, W)", 3: "(N, C, D, H, W)"}[nsp]
        raise ValueError(f"{name}: '{argname}' must be a {nsp + 2}-D tensor {layout}, got shape {list(x.shape)}")
    return x


def _add_bias(name, y, bias):
    if bias is None:
        return y
    check_tensor(name, bias, "bias")
    if bias.shape != (y.shape[1],):
        raise ValueError(f"{name}: 'bias' must have shape [{y.shape[1]}] (one value per output channel), "
                         f"got {list(bias.shape)}")
    from .elementwise import add_p
    b = OPS["reshape"](bias, shape=(1, y.shape[1]) + (1,) * (y.ndim - 2))
    if b.dtype is not y.dtype:
        b = OPS["cast"](b, dtype=y.dtype)
    return add_p(y, b)


def _hashable(v):
    return tuple(v) if isinstance(v, list) else v


@functools.lru_cache(maxsize=512)
def _conv_attrs(name, nsp, xshape, wshape, stride, pad_mode, padding, dilation, groups):
    """Check a conv's arguments against the shapes and normalise them to the primitive's attributes.
    Cached on everything it reads, so a training loop pays for the checks once per layer."""
    stride = _int_tuple(name, stride, nsp, "stride")
    dilation = _int_tuple(name, dilation, nsp, "dilation")
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)):
        raise TypeError(f"{name}: 'groups' must be an int, got {type(groups).__name__}")
    if groups < 1:
        raise ValueError(f"{name}: 'groups' must be a positive int, got {groups}")
    c = xshape[1]
    o = wshape[0]
    if c % groups or o % groups:
        raise ValueError(f"{name}: the input channels {c} and output channels {o} must both be divisible "
                         f"by 'groups' {groups}")
    if wshape[1] * groups != c:
        raise ValueError(f"{name}: 'weight' has {wshape[1]} input channels per group, so 'input' must "
                         f"have {wshape[1] * groups} channels with groups={groups}, got {c}")
    if not isinstance(pad_mode, str):
        raise TypeError(f"{name}: 'pad_mode' must be a str, got {type(pad_mode).__name__}")
    mode = pad_mode.lower()
    ksize = wshape[2:]
    if mode == "pad":
        pads = _pad_pairs(name, padding, nsp)
    elif mode in ("valid", "same"):
        if padding != 0 and padding != (0,) * len(padding if isinstance(padding, tuple) else ()):
            raise ValueError(f"{name}: 'padding' must be 0 when 'pad_mode' is '{pad_mode}', got {padding!r}; "
                             f"use pad_mode='pad' for explicit padding")
        if mode == "valid":
            pads = ((0, 0),) * nsp
        else:
            pads = []
            for i in range(nsp):
                length = xshape[2 + i]
                out = -(-length // stride[i])
                total = max((out - 1) * stride[i] + dilation[i] * (ksize[i] - 1) + 1 - length, 0)
                pads.append((total // 2, total - total // 2))  # the odd one goes to the end
            pads = tuple(pads)
    else:
        raise ValueError(f"{name}: 'pad_mode' must be 'valid', 'same' or 'pad', got {pad_mode!r}")
    for i in range(nsp):
        if xshape[2 + i] + sum(pads[i]) < dilation[i] * (ksize[i] - 1) + 1:
            raise ValueError(f"{name}: the kernel {list(ksize)} (dilation {list(dilation)}) is larger than the "
                             f"padded input {[xshape[2 + j] + sum(pads[j]) for j in range(nsp)]}")
    return dict(stride=stride, padding=pads, dilation=dilation, groups=int(groups))


def _conv(name, nsp, input, weight, bias, stride, pad_mode, padding, dilation, groups):
    _check_input(name, input, nsp)
    check_tensor(name, weight, "weight")
    if weight.ndim != nsp + 2:
        raise ValueError(f"{name}: 'weight' must be a {nsp + 2}-D tensor (C_out, C_in / groups, *kernel), got "
                         f"shape {list(weight.shape)}")
    if input.dtype is not weight.dtype:
        raise TypeError(f"{name}: 'input' and 'weight' must have one dtype, got {input.dtype} and {weight.dtype}")
    if input.dtype.kind != "f":
        raise TypeError(f"{name}: 'input' must be a float tensor, got {input.dtype}")
    attrs = _conv_attrs(name, nsp, input.shape, weight.shape, _hashable(stride), pad_mode, _hashable(padding),
                        _hashable(dilation), groups)
    y = conv_p(input, weight, **attrs)
    return _add_bias(name, y, bias)


def conv1d(input, weight, bias=None, stride=1, pad_mode="valid", padding=0, dilation=1, groups=1):
    """1-D convolution of (N, C_in, L) with weight (C_out, C_in / groups, K) (``ops.conv1d``)."""
    return _conv("conv1d", 1, input, weight, bias, stride, pad_mode, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, pad_mode="valid", padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation) of (N, C_in, H, W) with weight (C_out, C_in / groups, kH, kW)
    (``ops.conv2d``). ``pad_mode`` is 'valid', 'same' or 'pad' (then ``padding`` is an int, 2 ints
    or 4 ints top/bottom/left/right)."""
    return _conv("conv2d", 2, input, weight, bias, stride, pad_mode, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, pad_mode="valid", padding=0, dilation=1, groups=1):
    """3-D convolution of (N, C_in, D, H, W) with weight (C_out, C_in / groups, kD, kH, kW) (``ops.conv3d``)."""
    return _conv("conv3d", 3, input, weight, bias, stride, pad_mode, padding, dilation, groups)


def _conv_transpose(name, nsp, input, weight, bias, stride, pads, output_padding, groups, dilation):
    _check_input(name, input, nsp)
    check_tensor(name, weight, "weight")
    if weight.ndim != nsp + 2:
        raise ValueError(f"{name}: 'weight' must be a {nsp + 2}-D tensor (C_in, C_out / groups, *kernel), got "
                         f"shape {list(weight.shape)}")
    if input.dtype is not weight.dtype:
        raise TypeError(f"{name}: 'input' and 'weight' must have one dtype, got {input.dtype} and {weight.dtype}")
    if input.dtype.kind != "f":
        raise TypeError(f"{name}: 'input' must be a float tensor, got {input.dtype}")
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{name}: 'groups' must be a positive int, got {groups!r}")
    if input.shape[1] != weight.shape[0] or input.shape[1] % groups:
        raise ValueError(f"{name}: 'weight' {list(weight.shape)} must have as many rows as 'input' has channels "
                         f"({input.shape[1]}), divisible by groups={groups}")
    for i in range(nsp):
        if output_padding[i] >= max(stride[i], dilation[i]):
            raise ValueError(f"{name}: 'output_padding' {list(output_padding)} must be smaller than 'stride' "
                             f"{list(stride)} or 'dilation' {list(dilation)}")
    out = [_transposed_len(input.shape[2 + i], weight.shape[2 + i], stride[i], dilation[i], *pads[i],
                           output_padding[i]) for i in range(nsp)]
    if any(v <= 0 for v in out):
        raise ValueError(f"{name}: the output size {out} is not positive")
    y = conv_transpose_p(input, weight, stride=stride, padding=pads, dilation=dilation, groups=int(groups),
                         output_padding=output_padding)
    return _add_bias(name, y, bias)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-D transposed convolution (the gradient of conv2d w.r.t. its input) of (N, C_in, H, W) with
    weight (C_in, C_out / groups, kH, kW) (``ops.conv_transpose2d``)."""
    name = "conv_transpose2d"
    stride = _int_tuple(name, stride, 2, "stride")
    dilation = _int_tuple(name, dilation, 2, "dilation")
    pad = _int_tuple(name, padding, 2, "padding", minimum=0)
    op = _int_tuple(name, output_padding, 2, "output_padding", minimum=0)
    return _conv_transpose(name, 2, input, weight, bias, stride, tuple((p, p) for p in pad), op, groups, dilation)


def conv3d_transpose(inputs, weight, pad_mode="valid", padding=0, stride=1, dilation=1, group=1, output_padding=0):
    """3-D transposed convolution (``ops.conv3d_transpose``): 'valid' gives (D-1)*s + d*(k-1) + 1,
    'same' gives D*s, 'pad' subtracts ``padding`` (an int or 6 ints head/tail/top/bottom/left/right)."""
    name = "conv3d_transpose"
    stride = _int_tuple(name, stride, 3, "stride")
    dilation = _int_tuple(name, dilation, 3, "dilation")
    op = _int_tuple(name, output_padding, 3, "output_padding", minimum=0)
    if not isinstance(pad_mode, str):
        raise TypeError(f"{name}: 'pad_mode' must be a str, got {type(pad_mode).__name__}")
    mode = pad_mode.lower()
    _check_input(name, inputs, 3, "inputs")
    check_tensor(name, weight, "weight")
    if mode == "pad":
        pads = _pad_pairs(name, padding, 3)
    elif mode == "valid":
        pads = ((0, 0),) * 3
    elif mode == "same":
        # output D * s: crop the excess of (D-1)*s + d*(k-1) + 1, or extend by output padding
        pads = []
        extra = []
        for i in range(3):
            k = weight.shape[2 + i] if weight.ndim == 5 else 1
            total = dilation[i] * (k - 1) + 1 - stride[i]
            pads.append((max(total, 0) // 2, max(total, 0) - max(total, 0) // 2))
            extra.append(op[i] + max(-total, 0))
        pads = tuple(pads)
        op = tuple(extra)
    else:
        raise ValueError(f"{name}: 'pad_mode' must be 'valid', 'same' or 'pad', got {pad_mode!r}")
    return _conv_transpose(name, 3, inputs, weight, None, stride, pads, op, group, dilation)


# pooling shares this module's argument helpers; its public names are part of this family's
from . import pool as _pool  # noqa: E402
from .pool import *  # noqa: E402,F401,F403

__all__ += _pool.__all__
