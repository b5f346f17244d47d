"""Cases for the nn family (nn_ops.py, nn_spatial.py): references written with scipy or plain
loops, independent of the kernels."""
import math

import numpy as np
from scipy import special
from scipy.spatial import distance

from tests.ops.harness import Case


def ints(shape, lo, hi):
    return lambda rng, dt: rng.integers(lo, hi, size=shape).astype(np.int64)


def positive(shape):
    return lambda rng, dt: (rng.random(shape) + 0.5).astype(dt)


def ones(shape):
    return lambda rng, dt: np.ones(shape, dt)


# --- softmax / log_softmax -------------------------------------------------------------------------
def ref_softmax(x, axis):
    return special.softmax(x.astype(np.float64), axis=axis) if x.size else x


def ref_log_softmax(x, axis):
    return special.log_softmax(x.astype(np.float64), axis=axis) if x.size else x


CASES = []
for shape, axis in [((3, 5), (1,)), ((2, 3, 4), (0,)), ((2, 3, 4), (1, 2)), ((4,), (0,)), ((0, 3), (1,))]:
    CASES.append(Case("softmax", [shape], ref_softmax, attrs={"axis": axis}))
    CASES.append(Case("log_softmax", [shape], ref_log_softmax, attrs={"axis": axis}))
CASES.append(Case("softmax", [lambda rng, dt: np.array([[1000.0, 0.0, -1000.0]], dt)], ref_softmax,
                  attrs={"axis": (1,)}, grad=False, name="large"))
CASES.append(Case("log_softmax", [lambda rng, dt: np.array([[1000.0, 0.0, -1000.0]], dt)], ref_log_softmax,
                  attrs={"axis": (1,)}, grad=False, name="large"))


# --- layer_norm ----------------------------------------------------------------------------------
def ref_layer_norm(x, g, b, begin_norm_axis, begin_params_axis, epsilon):
    x64 = x.astype(np.float64)
    axes = tuple(range(begin_norm_axis, x.ndim))
    mean = x64.mean(axis=axes, keepdims=True)
    var = ((x64 - mean) ** 2).mean(axis=axes, keepdims=True)
    rstd = 1 / np.sqrt(var + epsilon)
    return (x64 - mean) * rstd * g + b, mean, rstd


for shape, axis in [((4, 6), 1), ((2, 3, 5), 1), ((2, 3, 5), 2), ((3,), 0)]:
    pshape = shape[axis:]
    CASES.append(Case("layer_norm", [shape, pshape, pshape], ref_layer_norm,
                      attrs={"begin_norm_axis": axis, "begin_params_axis": axis, "epsilon": 1e-5}))
CASES.append(Case("layer_norm", [(2, 4, 3), ones(()), lambda rng, dt: np.zeros((), dt)], ref_layer_norm,
                  attrs={"begin_norm_axis": 2, "begin_params_axis": 2, "epsilon": 1e-3}, name="scalar_params"))


# --- rms_norm ------------------------------------------------------------------------------------
def ref_rms_norm(x, g, begin_axis, epsilon):
    x64 = x.astype(np.float64)
    axes = tuple(range(begin_axis, x.ndim))
    rstd = 1 / np.sqrt((x64 ** 2).mean(axis=axes, keepdims=True) + epsilon)
    return x64 * rstd * g, rstd


CASES += [Case("rms_norm", [(3, 5), (5,)], ref_rms_norm, attrs={"begin_axis": 1, "epsilon": 1e-6}),
          Case("rms_norm", [(2, 3, 4), (3, 4)], ref_rms_norm, attrs={"begin_axis": 1, "epsilon": 1e-3}),
          Case("rms_norm", [(4,), (4,)], ref_rms_norm, attrs={"begin_axis": 0, "epsilon": 1e-6})]


# --- batch_norm ----------------------------------------------------------------------------------
def ref_batch_norm(x, scale, bias, mean, var, training, epsilon):
    x64 = x.astype(np.float64)
    axes = (0,) + tuple(range(2, x.ndim))
    if training:
        mean = x64.mean(axis=axes)
        var = x64.var(axis=axes)
    shape = (1, -1) + (1,) * (x.ndim - 2)
    y = (x64 - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + epsilon) * scale.reshape(shape) + bias.reshape(shape)
    return y, mean, var


for shape in [(4, 3), (2, 3, 4, 5), (3, 2, 4)]:
    c = shape[1]
    for training in (True, False):
        CASES.append(Case("batch_norm", [shape, (c,), (c,), (c,), positive((c,))], ref_batch_norm,
                          attrs={"training": training, "epsilon": 1e-5}))


# --- dropout_mask (random: only the deterministic keep_prob=1 case is checked here; statistics and
# reproducibility are tested in test_nn_ops_api.py) -------------------------------------------------
CASES.append(Case("dropout_mask", [(3, 4)], lambda x, keep_prob, noise_shape, seed: np.ones(noise_shape),
                  attrs={"keep_prob": 1.0, "noise_shape": (3, 1), "seed": None}, grad=False))


# --- one_hot -------------------------------------------------------------------------------------
def ref_one_hot(indices, on, off, depth, axis):
    out = np.full(indices.shape + (depth,), off, dtype=on.dtype)
    for pos in np.ndindex(indices.shape):
        if 0 <= indices[pos] < depth:
            out[pos + (indices[pos],)] = on
    return np.moveaxis(out, -1, axis) if axis != -1 else out


CASES += [Case("one_hot", [ints((5,), -1, 4), np.array(1.0, np.float32), np.array(0.0, np.float32)],
               ref_one_hot, attrs={"depth": 4, "axis": -1}, dtypes=("float32",), grad=False),
          Case("one_hot", [ints((2, 3), 0, 3), np.array(7, np.int64), np.array(-2, np.int64)],
               ref_one_hot, attrs={"depth": 3, "axis": 0}, dtypes=("float32",), grad=False),
          Case("one_hot", [ints((2, 3), 0, 5), np.array(1.0, np.float32), np.array(0.0, np.float32)],
               ref_one_hot, attrs={"depth": 5, "axis": 1}, dtypes=("float32",), grad=False),
          Case("one_hot", [ints((), 0, 3), np.array(1, np.int32), np.array(0, np.int32)],
               ref_one_hot, attrs={"depth": 3, "axis": -1}, dtypes=("float32",), grad=False)]


# --- embedding -----------------------------------------------------------------------------------
def ref_embedding(weight, indices, padding_idx, scale_grad_by_freq):
    out = np.empty(indices.shape + weight.shape[1:], weight.dtype)
    for pos in np.ndindex(indices.shape):
        out[pos] = weight[indices[pos]]
    return out


_PLAIN = {"padding_idx": None, "scale_grad_by_freq": False}


def ref_embedding_grad(dout, indices, num_weights, padding_idx, scale_grad_by_freq):
    rest = dout.shape[indices.ndim:]
    g = np.zeros((num_weights,) + rest)
    count = np.zeros(num_weights)
    for pos in np.ndindex(indices.shape):
        count[indices[pos]] += 1
        if indices[pos] != padding_idx:
            g[indices[pos]] += dout[pos]
    if scale_grad_by_freq:
        for r in range(num_weights):
            g[r] /= max(count[r], 1)
    return g


CASES += [Case("embedding", [(6, 3), ints((4,), 0, 6)], ref_embedding, attrs=_PLAIN),
          # padding_idx cuts the padding row's gradient on purpose (checked in test_nn_ops_api.py)
          Case("embedding", [(5, 2), ints((2, 3), 0, 5)], ref_embedding, attrs=dict(_PLAIN, padding_idx=1), grad=False),
          Case("embedding", [(5, 2), ints((), 0, 5)], ref_embedding, attrs=_PLAIN),
          Case("embedding", [(5, 2), ints((0,), 0, 5)], ref_embedding, attrs=_PLAIN),
          Case("embedding_dense_grad", [(2, 3, 4), np.array([[0, 2, 0], [4, 4, 1]])], ref_embedding_grad,
               attrs={"num_weights": 5, "padding_idx": None, "scale_grad_by_freq": False}),
          Case("embedding_dense_grad", [(2, 3, 4), np.array([[0, 2, 0], [4, 4, 1]])], ref_embedding_grad,
               attrs={"num_weights": 5, "padding_idx": 2, "scale_grad_by_freq": True}, name="by_freq"),
          Case("embedding_dense_grad", [(4, 2), np.array([0, 2, 0, 3])], ref_embedding_grad,
               attrs={"num_weights": 4, "padding_idx": 0, "scale_grad_by_freq": False})]


# --- resize (interpolate) ----------------------------------------------------------------------------
def _src_index(dst, n_in, n_out, align, scale, half_pixel):
    if align:
        return dst * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    ratio = 1.0 / scale if scale else n_in / n_out
    return (dst + 0.5) * ratio - 0.5 if half_pixel else dst * ratio


def _resize_1d(v, n_out, mode, align, scale):
    """Resize a 1-D array by the textbook per-element formula."""
    n_in = len(v)
    out = np.zeros(n_out)
    for i in range(n_out):
        if mode == "nearest":
            out[i] = v[min(int(math.floor(_src_index(i, n_in, n_out, False, scale, False))), n_in - 1)]
        elif mode == "nearest-exact":
            ratio = 1 / scale if scale else n_in / n_out
            out[i] = v[min(int(math.floor((i + 0.5) * ratio)), n_in - 1)]
        elif mode == "area":
            a = (i * n_in) // n_out
            b = math.ceil((i + 1) * n_in / n_out)
            out[i] = v[a:b].mean()
        elif mode in ("linear", "bilinear", "trilinear"):
            s = max(_src_index(i, n_in, n_out, align, scale, True), 0.0)
            lo = min(int(math.floor(s)), n_in - 1)
            hi = min(lo + 1, n_in - 1)
            t = s - lo
            out[i] = v[lo] * (1 - t) + v[hi] * t
        elif mode == "bicubic":
            s = _src_index(i, n_in, n_out, align, scale, True)
            f = int(math.floor(s))
            t = s - f
            a = -0.75
            dists = [1 + t, t, 1 - t, 2 - t]
            for k, d in enumerate(dists):
                if d <= 1:
                    w = (a + 2) * d ** 3 - (a + 3) * d ** 2 + 1
                else:
                    w = a * d ** 3 - 5 * a * d ** 2 + 8 * a * d - 4 * a
                out[i] += w * v[min(max(f - 1 + k, 0), n_in - 1)]
    return out


def ref_resize(x, in_size, out_size, mode, align_corners, scales, transpose):
    y = x.astype(np.float64)
    k = len(in_size)
    if transpose:
        # the adjoint: build each axis' matrix column by column from the 1-D formula
        for j in range(k):
            axis = x.ndim - k + j
            n_in, n_out = in_size[j], out_size[j]
            m = np.stack([_resize_1d(np.eye(n_in)[c], n_out, mode, align_corners, scales and scales[j])
                          for c in range(n_in)], axis=1)
            y = np.moveaxis(np.tensordot(m.T, y, axes=([1], [axis])), 0, axis)
        return y
    for j in range(k):
        axis = x.ndim - k + j
        y = np.apply_along_axis(_resize_1d, axis, y, out_size[j], mode, align_corners, scales and scales[j])
    return y


def _resize_case(shape, out_size, mode, align=False, scales=None, transpose=False):
    k = len(out_size)
    in_size = tuple(shape[-k:])
    src_shape = shape[:-k] + (out_size if transpose else in_size)
    return Case("resize", [src_shape], ref_resize,
                attrs={"in_size": in_size, "out_size": tuple(out_size), "mode": mode, "align_corners": align,
                       "scales": scales, "transpose": transpose},
                name=f"{mode}{'_ac' if align else ''}{'_T' if transpose else ''}_{'x'.join(map(str, out_size))}")


CASES += [_resize_case((1, 2, 3, 4), (5, 7), "bilinear"),
          _resize_case((1, 2, 3, 4), (5, 7), "bilinear", align=True),
          _resize_case((2, 1, 6, 5), (3, 2), "bilinear"),
          _resize_case((1, 1, 4), (9,), "linear"),
          _resize_case((1, 1, 4), (9,), "linear", align=True),
          _resize_case((1, 1, 2, 3, 2), (3, 4, 3), "trilinear"),
          _resize_case((1, 2, 3, 4), (6, 8), "nearest"),
          _resize_case((1, 2, 5, 4), (3, 3), "nearest"),
          _resize_case((1, 1, 5), (3,), "nearest-exact"),
          _resize_case((1, 1, 4, 4), (6, 5), "bicubic"),
          _resize_case((1, 1, 4, 4), (6, 5), "bicubic", align=True),
          _resize_case((1, 2, 6, 5), (4, 3), "area"),
          _resize_case((1, 2, 3, 4), (6, 10), "bilinear", scales=(2.0, 2.5)),
          _resize_case((1, 2, 3, 4), (5, 7), "bilinear", transpose=True),
          _resize_case((1, 2, 3, 4), (6, 8), "nearest", transpose=True)]


# --- pixel shuffle ----------------------------------------------------------------------------------
def ref_pixel_shuffle(x, factor):
    r = factor
    *lead, c, h, w = x.shape
    out = np.zeros(tuple(lead) + (c // (r * r), h * r, w * r), x.dtype)
    for ch in range(c // (r * r)):
        for i in range(r):
            for j in range(r):
                out[..., ch, i::r, j::r] = x[..., ch * r * r + i * r + j, :, :]
    return out


def ref_pixel_unshuffle(x, factor):
    r = factor
    *lead, c, h, w = x.shape
    out = np.zeros(tuple(lead) + (c * r * r, h // r, w // r), x.dtype)
    for ch in range(c):
        for i in range(r):
            for j in range(r):
                out[..., ch * r * r + i * r + j, :, :] = x[..., ch, i::r, j::r]
    return out


CASES += [Case("pixel_shuffle", [(1, 8, 2, 3)], ref_pixel_shuffle, attrs={"factor": 2}),
          Case("pixel_shuffle", [(9, 2, 2)], ref_pixel_shuffle, attrs={"factor": 3}),
          Case("pixel_unshuffle", [(2, 2, 4, 6)], ref_pixel_unshuffle, attrs={"factor": 2}),
          Case("pixel_unshuffle", [(1, 3, 3)], ref_pixel_unshuffle, attrs={"factor": 3})]


# --- cdist --------------------------------------------------------------------------------------
def ref_cdist(x1, x2, p):
    if x1.ndim == 2:
        return ref_cdist(x1[None], x2[None], p)[0]
    out = np.zeros(x1.shape[:-1] + (x2.shape[-2],))
    for b in range(x1.shape[0]):
        if p == math.inf:
            out[b] = distance.cdist(x1[b], x2[b], "chebyshev")
        elif p == 0:
            out[b] = distance.cdist(x1[b], x2[b], "hamming") * x1.shape[-1]
        else:
            out[b] = distance.cdist(x1[b], x2[b], "minkowski", p=p)
    return out


for p in (2.0, 1.0, 3.0, math.inf):
    CASES.append(Case("cdist", [(2, 3, 4), (2, 5, 4)], ref_cdist, attrs={"p": p}, rtol=1e-5, atol=1e-5))
CASES.append(Case("cdist", [(3, 2), (4, 2)], ref_cdist, attrs={"p": 2.0}, rtol=1e-5, atol=1e-5))
CASES.append(Case("cdist", [(3, 2), (4, 2)], ref_cdist, attrs={"p": 0.0}, grad=False))


# --- im2col / col2im -----------------------------------------------------------------------------
def ref_im2col(x, kernel_size, dilation, padding, stride):
    n, c, h, w = x.shape
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = kernel_size, dilation, padding, stride
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, c * kh * kw, oh * ow), x.dtype)
    for ch in range(c):
        for i in range(kh):
            for j in range(kw):
                for oy in range(oh):
                    for ox in range(ow):
                        y = oy * sh - ph + i * dh
                        xx = ox * sw - pw + j * dw
                        if 0 <= y < h and 0 <= xx < w:
                            out[:, ch * kh * kw + i * kw + j, oy * ow + ox] = x[:, ch, y, xx]
    return out


def ref_col2im(cols, output_size, kernel_size, dilation, padding, stride):
    n, ckk, _ = cols.shape
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = kernel_size, dilation, padding, stride
    h, w = output_size
    c = ckk // (kh * kw)
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, c, h, w))
    for ch in range(c):
        for i in range(kh):
            for j in range(kw):
                for oy in range(oh):
                    for ox in range(ow):
                        y = oy * sh - ph + i * dh
                        xx = ox * sw - pw + j * dw
                        if 0 <= y < h and 0 <= xx < w:
                            out[:, ch, y, xx] += cols[:, ch * kh * kw + i * kw + j, oy * ow + ox]
    return out


_IM2COL = [dict(kernel_size=(2, 2), dilation=(1, 1), padding=(0, 0), stride=(1, 1)),
           dict(kernel_size=(3, 2), dilation=(1, 2), padding=(1, 1), stride=(2, 1))]
CASES += [Case("im2col", [(2, 2, 5, 6)], ref_im2col, attrs=a) for a in _IM2COL]
CASES += [Case("col2im", [(2, 8, 20)], ref_col2im, attrs=dict(output_size=(5, 6), **_IM2COL[0])),
          Case("col2im", [(1, 12, 18)], ref_col2im, attrs=dict(output_size=(5, 6), **_IM2COL[1]))]


# --- summary (impure: hands its value to the summary sink; the output is a constant True; what the
# sink receives, in PyNative and in compiled graphs, is tested in tests/train/test_summary_ops.py) -----
CASES.append(Case("summary", [(3, 4)], lambda x, tag, kind: np.array(True),
                  attrs={"tag": "t", "kind": "Tensor"}, grad=False))
