"""Neural-network primitives over spatial dimensions: interpolation (resize), pixel shuffle,
distances (cdist, cosine similarity) and im2col (unfold/fold). Part of the nn family (nn_ops.py
re-exports these names)."""
import functools
import math

import numpy as np

from ..tensor import Tensor
from ._helpers import binary_args, check_tensor, tensor_like
from .registry import OPS, Aval, register

__all__ = ["interpolate", "upsample", "pixel_shuffle", "pixel_unshuffle", "cosine_similarity", "cdist",
           "pdist", "unfold", "fold"]

_wrap = Tensor._wrap


class _Prims:
    def __getattr__(self, name):
        return OPS[name]


P = _Prims()


# --- interpolate -----------------------------------------------------------------------------
# Every mode is separable: along each spatial axis the output is a fixed (out, in) matrix times the
# input. The gradient applies the transposed matrix, which is the same primitive with
# transpose=True, so gradients of gradients come for free.

def _cubic_weights(t, a=-0.75):
    def near(d):
        return ((a + 2) * d - (a + 3)) * d * d + 1

    def far(d):
        return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a
    return far(t + 1), near(t), near(1 - t), far(2 - t)


@functools.lru_cache(maxsize=256)
def _axis_matrix(n_in, n_out, mode, align_corners, scale):
    """The (n_out, n_in) float64 matrix resizing one axis. ``scale`` is the user's scale factor
    (or None, meaning n_in/n_out is used)."""
    m = np.zeros((n_out, n_in))
    dst = np.arange(n_out, dtype=np.float64)
    rows = np.arange(n_out)
    if align_corners:
        ratio = (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    else:
        ratio = 1.0 / scale if scale else n_in / n_out
    if mode == "nearest":
        src = np.minimum(np.floor(dst * ratio).astype(np.int64), n_in - 1)
        m[rows, src] = 1.0
    elif mode == "nearest-exact":
        src = np.minimum(np.floor((dst + 0.5) * ratio).astype(np.int64), n_in - 1)
        m[rows, src] = 1.0
    elif mode == "area":
        for i in range(n_out):
            start = (i * n_in) // n_out
            end = -((-(i + 1) * n_in) // n_out)
            m[i, start:end] = 1.0 / (end - start)
    elif mode in ("linear", "bilinear", "trilinear"):
        src = dst * ratio if align_corners else np.maximum((dst + 0.5) * ratio - 0.5, 0.0)
        i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
        i1 = np.minimum(i0 + 1, n_in - 1)
        lam = src - i0
        np.add.at(m, (rows, i0), 1.0 - lam)
        np.add.at(m, (rows, i1), lam)
    elif mode == "bicubic":
        src = dst * ratio if align_corners else (dst + 0.5) * ratio - 0.5
        base = np.floor(src).astype(np.int64)
        ws = _cubic_weights(src - base)
        for k, w in enumerate(ws):
            idx = np.clip(base - 1 + k, 0, n_in - 1)
            np.add.at(m, (rows, idx), w)
    else:
        raise ValueError(f"interpolate: unknown mode {mode!r}")
    return m


def _matrices(in_size, out_size, mode, align_corners, scales, dtype):
    return [_axis_matrix(i, o, mode, align_corners, None if scales is None else s).astype(dtype, copy=False)
            for i, o, s in zip(in_size, out_size, scales or (None,) * len(in_size))]


def _apply_axis(x, m, axis):
    """Multiply axis ``axis`` of x by the matrix m (out, in)."""
    if axis == x.ndim - 1:
        lead = x.shape[:-1]
        return (x.reshape(-1, x.shape[-1]) @ m.T).reshape(lead + (m.shape[0],))
    before = x.shape[:axis]
    after = x.shape[axis + 1:]
    x3 = x.reshape(int(np.prod(before)), x.shape[axis], int(np.prod(after)))
    return np.matmul(m, x3).reshape(before + (m.shape[0],) + after)


def _resize_rule(x, in_size, out_size, mode, align_corners, scales, transpose):
    if x.dtype.kind != "f":
        raise TypeError(f"interpolate: 'input' must be a float tensor, got {x.dtype}")
    k = len(in_size)
    src, dst = (out_size, in_size) if transpose else (in_size, out_size)
    if tuple(x.shape[-k:]) != tuple(src):
        raise ValueError(f"interpolate: input spatial shape {list(x.shape[-k:])} does not match {list(src)}")
    return Aval(tuple(x.shape[:-k]) + tuple(dst), x.dtype)


def _resize_kernel(x, in_size, out_size, mode, align_corners, scales, transpose):
    mats = _matrices(in_size, out_size, mode, align_corners, scales, x.dtype)
    k = len(mats)
    if mode == "nearest" and not transpose:
        # nearest is a pure gather: index instead of multiplying by a one-hot matrix
        for j, m in enumerate(mats):
            x = np.take(x, np.argmax(m, axis=1), axis=x.ndim - k + j)
        return x
    for j, m in enumerate(mats):
        x = _apply_axis(x, m.T if transpose else m, x.ndim - k + j)
    return x


def _resize_bprop(x, out, dout, in_size, out_size, mode, align_corners, scales, transpose):
    return (resize_p(dout, in_size=in_size, out_size=out_size, mode=mode, align_corners=align_corners,
                     scales=scales, transpose=not transpose),)


resize_p = register("resize", infer=_resize_rule, kernel=_resize_kernel, bprop=_resize_bprop, family="nn")

_MODE_DIMS = {"nearest": (3, 4, 5), "nearest-exact": (3, 4), "area": (3, 4, 5), "linear": (3,),
              "bilinear": (4,), "bicubic": (4,), "trilinear": (5,)}
_ALIGNABLE = ("linear", "bilinear", "bicubic", "trilinear")


def _spatial_tuple(name, value, k, argname, kind):
    if isinstance(value, Tensor):
        value = value.asnumpy().tolist()
    if isinstance(value, (list, tuple)):
        if len(value) != k:
            raise ValueError(f"{name}: '{argname}' must have {k} elements for a {k + 2}-D input, got {len(value)}")
        return tuple(kind(v) for v in value)
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"{name}: '{argname}' must be a number or a tuple, got {type(value).__name__}")
    return (kind(value),) * k


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None):
    """Resize the spatial dimensions of ``input`` (N, C, *) to ``size`` or by ``scale_factor``.
    Modes: 'nearest', 'nearest-exact', 'area' (3-5D), 'linear' (3D), 'bilinear', 'bicubic' (4D),
    'trilinear' (5D); ``align_corners`` only for the linear and cubic modes."""
    check_tensor("interpolate", input)
    if mode not in _MODE_DIMS:
        raise ValueError(f"interpolate: 'mode' must be one of {list(_MODE_DIMS)}, got {mode!r}")
    if input.ndim not in _MODE_DIMS[mode]:
        raise ValueError(f"interpolate: mode '{mode}' needs a {' or '.join(f'{d}-D' for d in _MODE_DIMS[mode])} "
                         f"input, got shape {list(input.shape)}")
    if input.dtype.kind != "f":
        raise TypeError(f"interpolate: 'input' must be a float tensor, got {input.dtype}")
    if align_corners is not None and mode not in _ALIGNABLE:
        raise ValueError(f"interpolate: 'align_corners' can only be set for modes {list(_ALIGNABLE)}, "
                         f"got mode '{mode}'")
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: exactly one of 'size' and 'scale_factor' must be given")
    k = input.ndim - 2
    in_size = tuple(input.shape[2:])
    scales = None
    if size is not None:
        out_size = _spatial_tuple("interpolate", size, k, "size", int)
        if any(s <= 0 for s in out_size):
            raise ValueError(f"interpolate: 'size' must be positive, got {list(out_size)}")
    else:
        factors = _spatial_tuple("interpolate", scale_factor, k, "scale_factor", float)
        if any(f <= 0 for f in factors):
            raise ValueError(f"interpolate: 'scale_factor' must be positive, got {list(factors)}")
        out_size = tuple(int(math.floor(i * f)) for i, f in zip(in_size, factors))
        if not recompute_scale_factor:
            scales = factors
    align = bool(align_corners) if mode in _ALIGNABLE else False
    if out_size == in_size and scales is None and mode in ("nearest", "linear", "bilinear", "trilinear"):
        return input
    return resize_p(input, in_size=in_size, out_size=out_size, mode=mode, align_corners=align,
                    scales=scales, transpose=False)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
             recompute_scale_factor=None):
    """Alias of ``interpolate``."""
    return interpolate(input, size, scale_factor, mode, align_corners, recompute_scale_factor)


# --- pixel shuffle -----------------------------------------------------------------------------
def _shuffle_rule(name, up):
    def rule(x, factor):
        if len(x.shape) < 3:
            raise ValueError(f"{name}: 'input' must have at least 3 dims, got shape {list(x.shape)}")
        *lead, c, h, w = x.shape
        if up:
            if c % (factor * factor):
                raise ValueError(f"{name}: channels {c} must be divisible by upscale_factor^2 = {factor * factor}")
            return Aval(tuple(lead) + (c // (factor * factor), h * factor, w * factor), x.dtype)
        if h % factor or w % factor:
            raise ValueError(f"{name}: height {h} and width {w} must be divisible by downscale_factor {factor}")
        return Aval(tuple(lead) + (c * factor * factor, h // factor, w // factor), x.dtype)
    return rule


def _pixel_shuffle_kernel(x, factor):
    *lead, c, h, w = x.shape
    r = factor
    n = len(lead)
    y = x.reshape(tuple(lead) + (c // (r * r), r, r, h, w))
    y = y.transpose(tuple(range(n)) + (n, n + 3, n + 1, n + 4, n + 2))
    return y.reshape(tuple(lead) + (c // (r * r), h * r, w * r))


def _pixel_unshuffle_kernel(x, factor):
    *lead, c, h, w = x.shape
    r = factor
    n = len(lead)
    y = x.reshape(tuple(lead) + (c, h // r, r, w // r, r))
    y = y.transpose(tuple(range(n)) + (n, n + 2, n + 4, n + 1, n + 3))
    return y.reshape(tuple(lead) + (c * r * r, h // r, w // r))


pixel_shuffle_p = register("pixel_shuffle", infer=_shuffle_rule("pixel_shuffle", True),
                           kernel=_pixel_shuffle_kernel,
                           bprop=lambda x, out, dout, factor: (pixel_unshuffle_p(dout, factor=factor),),
                           family="nn")
pixel_unshuffle_p = register("pixel_unshuffle", infer=_shuffle_rule("pixel_unshuffle", False),
                             kernel=_pixel_unshuffle_kernel,
                             bprop=lambda x, out, dout, factor: (pixel_shuffle_p(dout, factor=factor),),
                             family="nn")


def _check_factor(name, v, argname):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v <= 0:
        raise ValueError(f"{name}: '{argname}' must be a positive int, got {v!r}")
    return int(v)


def pixel_shuffle(input, upscale_factor):
    """Rearrange (*, C*r*r, H, W) into (*, C, H*r, W*r)."""
    check_tensor("pixel_shuffle", input)
    r = _check_factor("pixel_shuffle", upscale_factor, "upscale_factor")
    _shuffle_rule("pixel_shuffle", True)(Aval(input.shape, input.dtype), r)
    return pixel_shuffle_p(input, factor=r)


def pixel_unshuffle(input, downscale_factor):
    """Rearrange (*, C, H*r, W*r) into (*, C*r*r, H, W)."""
    check_tensor("pixel_unshuffle", input)
    r = _check_factor("pixel_unshuffle", downscale_factor, "downscale_factor")
    _shuffle_rule("pixel_unshuffle", False)(Aval(input.shape, input.dtype), r)
    return pixel_unshuffle_p(input, factor=r)


# --- distances ---------------------------------------------------------------------------------
def cosine_similarity(x1, x2, dim=1, eps=1e-08):
    """``sum(x1 * x2) / max(|x1| * |x2|, eps)`` along ``dim`` (inputs broadcast)."""
    x1, x2 = binary_args("cosine_similarity", x1, x2)
    if x1.dtype.kind != "f":
        raise TypeError(f"cosine_similarity: inputs must be float tensors, got {x1.dtype}")
    ndim = max(x1.ndim, x2.ndim)
    if isinstance(dim, bool) or not isinstance(dim, int) or not -ndim <= dim < ndim:
        raise ValueError(f"cosine_similarity: 'dim' must be an int in [{-ndim}, {ndim}), got {dim!r}")
    axis = (dim % ndim,)
    if x1.shape != x2.shape:
        shape = np.broadcast_shapes(x1.shape, x2.shape)
        x1 = P.broadcast_to(x1, shape=shape) if x1.shape != shape else x1
        x2 = P.broadcast_to(x2, shape=shape) if x2.shape != shape else x2
    dot = P.reduce_sum(P.mul(x1, x2), axis=axis, keepdims=False)
    n1 = P.reduce_sum(P.mul(x1, x1), axis=axis, keepdims=False)
    n2 = P.reduce_sum(P.mul(x2, x2), axis=axis, keepdims=False)
    denom = P.sqrt(P.maximum(P.mul(n1, n2), tensor_like(float(eps) ** 2, n1)))
    return P.div(dot, denom)


def _cdist_rule(x1, x2, p):
    if x1.dtype.kind != "f" or x1.dtype is not x2.dtype:
        raise TypeError(f"cdist: 'x1' and 'x2' must be float tensors of one dtype, got {x1.dtype} and {x2.dtype}")
    if len(x1.shape) < 2 or len(x1.shape) != len(x2.shape):
        raise ValueError(f"cdist: 'x1' and 'x2' must have the same rank >= 2, got shapes {list(x1.shape)} "
                         f"and {list(x2.shape)}")
    if x1.shape[:-2] != x2.shape[:-2] or x1.shape[-1] != x2.shape[-1]:
        raise ValueError(f"cdist: shapes {list(x1.shape)} and {list(x2.shape)} must agree in the batch "
                         f"and last dimensions")
    return Aval(x1.shape[:-1] + (x2.shape[-2],), x1.dtype)


def _cdist_kernel(x1, x2, p):
    if p == 2.0:
        a2 = np.sum(np.square(x1), axis=-1)[..., :, None]
        b2 = np.sum(np.square(x2), axis=-1)[..., None, :]
        d2 = a2 + b2 - 2 * (x1 @ np.swapaxes(x2, -1, -2))
        return np.sqrt(np.maximum(d2, 0, out=d2))
    diff = np.abs(x1[..., :, None, :] - x2[..., None, :, :])
    if p == 0.0:
        return np.count_nonzero(diff, axis=-1).astype(x1.dtype)
    if p == math.inf:
        return np.max(diff, axis=-1, initial=0).astype(x1.dtype, copy=False)
    if p == 1.0:
        return np.sum(diff, axis=-1)
    return np.power(np.sum(np.power(diff, p), axis=-1), 1.0 / p)


def _cdist_bprop(x1, x2, out, dout, p):
    nb = x1.ndim - 2
    n, m, d = x1.shape[-2], x2.shape[-2], x1.shape[-1]
    lead = x1.shape[:nb]
    diff = P.sub(P.reshape(x1, shape=lead + (n, 1, d)), P.reshape(x2, shape=lead + (1, m, d)))
    g_out = P.reshape(dout, shape=lead + (n, m, 1))
    dist = P.reshape(out, shape=lead + (n, m, 1))
    zero = tensor_like(0.0, x1)
    one = tensor_like(1.0, x1)
    if p == 0.0:
        g = P.mul(diff, zero)
    elif p == 1.0:
        g = P.mul(P.sign(diff), g_out)
    elif p == math.inf:
        adiff = P.abs(diff)
        hit = P.cast(P.equal(adiff, dist), dtype=x1.dtype)
        g = P.mul(P.mul(P.sign(diff), hit), g_out)
    else:
        positive = P.greater(dist, zero)
        safe_dist = P.where(positive, dist, one)
        w = P.where(positive, P.div(g_out, P.pow(safe_dist, tensor_like(p - 1, x1))), zero)
        if p == 2.0:
            g = P.mul(diff, w)
        else:
            adiff = P.abs(diff)
            safe = P.where(P.greater(adiff, zero), adiff, one)
            g = P.mul(P.mul(P.sign(diff), P.pow(safe, tensor_like(p - 1, x1))), w)
    dx1 = P.reduce_sum(g, axis=(nb + 1,), keepdims=False)
    dx2 = P.neg(P.reduce_sum(g, axis=(nb,), keepdims=False))
    return dx1, dx2


cdist_p = register("cdist", infer=_cdist_rule, kernel=_cdist_kernel, bprop=_cdist_bprop, family="nn")


def cdist(x1, x2, p=2.0):
    """The p-norm distance between each row of ``x1`` (B, P, M) and each row of ``x2`` (B, R, M):
    a (B, P, R) tensor. ``p`` in [0, inf]."""
    check_tensor("cdist", x1, "x1")
    check_tensor("cdist", x2, "x2")
    if isinstance(p, bool) or not isinstance(p, (int, float)):
        raise TypeError(f"cdist: 'p' must be a float, got {type(p).__name__}")
    if p < 0:
        raise ValueError(f"cdist: 'p' must be >= 0, got {p}")
    _cdist_rule(Aval(x1.shape, x1.dtype), Aval(x2.shape, x2.dtype), float(p))
    return cdist_p(x1, x2, p=float(p))


def pdist(input, p=2.0):
    """The p-norm distances between every pair of rows i < j of ``input`` (*, N, M): a
    (*, N*(N-1)/2) tensor, in row-major order of the upper triangle."""
    check_tensor("pdist", input)
    if input.ndim < 2:
        raise ValueError(f"pdist: 'input' must have at least 2 dims (N, M), got shape {list(input.shape)}")
    if isinstance(p, bool) or not isinstance(p, (int, float)) or p < 0:
        raise ValueError(f"pdist: 'p' must be a number >= 0, got {p!r}")
    n = input.shape[-2]
    d = cdist(input, input, float(p))
    flat = P.reshape(d, shape=d.shape[:-2] + (n * n,))
    rows, cols = np.triu_indices(n, 1)
    index = Tensor._wrap((rows * n + cols).astype(np.int64))
    return P.gather(flat, index, axis=flat.ndim - 1)


# --- unfold / fold (im2col) ------------------------------------------------------------------
def _out_len(size, k, d, pad, s):
    return (size + 2 * pad - d * (k - 1) - 1) // s + 1


def _windows(kernel_size, dilation, padding, stride, out_hw):
    """(i, j, row slice, column slice) of every kernel offset into the padded input."""
    (kh, kw), (dh, dw), (sh, sw), (oh, ow) = kernel_size, dilation, stride, out_hw
    for i in range(kh):
        for j in range(kw):
            yield i, j, slice(i * dh, i * dh + sh * (oh - 1) + 1, sh), slice(j * dw, j * dw + sw * (ow - 1) + 1, sw)


def _im2col_rule(x, kernel_size, dilation, padding, stride):
    if len(x.shape) != 4:
        raise ValueError(f"unfold: 'input' must be 4-D (N, C, H, W), got shape {list(x.shape)}")
    n, c, h, w = x.shape
    oh = _out_len(h, kernel_size[0], dilation[0], padding[0], stride[0])
    ow = _out_len(w, kernel_size[1], dilation[1], padding[1], stride[1])
    if oh <= 0 or ow <= 0:
        raise ValueError(f"unfold: the kernel does not fit into the padded input of shape {list(x.shape)}")
    return Aval((n, c * kernel_size[0] * kernel_size[1], oh * ow), x.dtype)


def _im2col_kernel(x, kernel_size, dilation, padding, stride):
    n, c, h, w = x.shape
    ph, pw = padding
    oh = _out_len(h, kernel_size[0], dilation[0], ph, stride[0])
    ow = _out_len(w, kernel_size[1], dilation[1], pw, stride[1])
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if ph or pw else x
    cols = np.empty((n, c) + tuple(kernel_size) + (oh, ow), dtype=x.dtype)
    for i, j, rows, colsl in _windows(kernel_size, dilation, padding, stride, (oh, ow)):
        cols[:, :, i, j] = xp[:, :, rows, colsl]
    return cols.reshape(n, c * kernel_size[0] * kernel_size[1], oh * ow)


def _col2im_rule(x, output_size, kernel_size, dilation, padding, stride):
    if len(x.shape) != 3:
        raise ValueError(f"fold: 'input' must be 3-D (N, C*kh*kw, L), got shape {list(x.shape)}")
    n, ckk, length = x.shape
    kk = kernel_size[0] * kernel_size[1]
    oh = _out_len(output_size[0], kernel_size[0], dilation[0], padding[0], stride[0])
    ow = _out_len(output_size[1], kernel_size[1], dilation[1], padding[1], stride[1])
    if ckk % kk or oh * ow != length:
        raise ValueError(f"fold: input of shape {list(x.shape)} does not match kernel_size "
                         f"{list(kernel_size)} and output_size {list(output_size)} ({oh * ow} blocks)")
    return Aval((n, ckk // kk) + tuple(output_size), x.dtype)


def _col2im_kernel(x, output_size, kernel_size, dilation, padding, stride):
    n, ckk, _ = x.shape
    kh, kw = kernel_size
    c = ckk // (kh * kw)
    h, w = output_size
    ph, pw = padding
    oh = _out_len(h, kh, dilation[0], ph, stride[0])
    ow = _out_len(w, kw, dilation[1], pw, stride[1])
    cols = x.reshape(n, c, kh, kw, oh, ow)
    xp = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=x.dtype)
    for i, j, rows, colsl in _windows(kernel_size, dilation, padding, stride, (oh, ow)):
        xp[:, :, rows, colsl] += cols[:, :, i, j]
    return np.ascontiguousarray(xp[:, :, ph:ph + h, pw:pw + w])


def _im2col_bprop(x, out, dout, kernel_size, dilation, padding, stride):
    return (col2im_p(dout, output_size=tuple(x.shape[2:]), kernel_size=kernel_size, dilation=dilation,
                     padding=padding, stride=stride),)


def _col2im_bprop(x, out, dout, output_size, kernel_size, dilation, padding, stride):
    return (im2col_p(dout, kernel_size=kernel_size, dilation=dilation, padding=padding, stride=stride),)


im2col_p = register("im2col", infer=_im2col_rule, kernel=_im2col_kernel, bprop=_im2col_bprop, family="nn")
col2im_p = register("col2im", infer=_col2im_rule, kernel=_col2im_kernel, bprop=_col2im_bprop, family="nn")


def _is_int(v):
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _pair(name, v, argname, minimum):
    if isinstance(v, Tensor):
        v = v.asnumpy().tolist()
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        v = (int(v), int(v))
    if not isinstance(v, (tuple, list)) or len(v) != 2 or not all(_is_int(e) for e in v):
        raise TypeError(f"{name}: '{argname}' must be an int or a tuple of 2 ints, got {v!r}")
    if any(e < minimum for e in v):
        raise ValueError(f"{name}: '{argname}' must be >= {minimum}, got {v!r}")
    return (int(v[0]), int(v[1]))


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """im2col: the sliding (kh, kw) blocks of a (N, C, H, W) input as a (N, C*kh*kw, L) tensor."""
    check_tensor("unfold", input)
    attrs = dict(kernel_size=_pair("unfold", kernel_size, "kernel_size", 1),
                 dilation=_pair("unfold", dilation, "dilation", 1),
                 padding=_pair("unfold", padding, "padding", 0),
                 stride=_pair("unfold", stride, "stride", 1))
    _im2col_rule(Aval(input.shape, input.dtype), **attrs)
    return im2col_p(input, **attrs)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """col2im: sum the (N, C*kh*kw, L) blocks back into a (N, C, *output_size) tensor."""
    check_tensor("fold", input)
    attrs = dict(output_size=_pair("fold", output_size, "output_size", 1),
                 kernel_size=_pair("fold", kernel_size, "kernel_size", 1),
                 dilation=_pair("fold", dilation, "dilation", 1),
                 padding=_pair("fold", padding, "padding", 0),
                 stride=_pair("fold", stride, "stride", 1))
    _col2im_rule(Aval(input.shape, input.dtype), **attrs)
    return col2im_p(input, **attrs)
