"""Math and image cells of MindSpore's ``nn`` (Norm, ClipByNorm, Moments, Roll, Range, MatMul,
CentralCrop, ImageGradients...); split from basic.py, which re-exports them."""
import math
import numbers

import numpy as np

from ... import dtype as mstype
from ...ops import functional as F
from ...tensor import Tensor
from ..cell import Cell

__all__ = ["Tril", "Triu", "Norm", "ClipByNorm", "L1Regularizer", "OneHot", "Moments", "Roll", "Range",
           "ReduceLogSumExp", "MatMul", "MatDet", "MatInverse", "CentralCrop", "ImageGradients", "Unfold",
           "TimeDistributed", "LRN", "MatrixDiag", "MatrixDiagPart", "MatrixSetDiag"]


def _check_bool(cls, name, value):
    if not isinstance(value, bool):
        raise TypeError(f"{cls}: '{name}' must be a bool, got {type(value).__name__}")
    return value


def _check_int(cls, name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{cls}: '{name}' must be an int, got {type(value).__name__}")
    return int(value)


def _check_number(cls, name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{cls}: '{name}' must be a number, got {type(value).__name__}")
    return value


# --- small math cells ---------------------------------------------------------------------------
class Tril(Cell):
    """The lower triangle of the last two dims: ``Tril()(x, k=0)``."""

    def construct(self, x, k=0):
        return F.tril(x, k)


class Triu(Cell):
    """The upper triangle of the last two dims: ``Triu()(x, k=0)``."""

    def construct(self, x, k=0):
        return F.triu(x, k)


def _axis_tuple(cls, axis):
    if isinstance(axis, numbers.Integral) and not isinstance(axis, bool):
        return (int(axis),)
    if isinstance(axis, (tuple, list)) and all(isinstance(a, numbers.Integral) and not isinstance(a, bool)
                                               for a in axis):
        return tuple(int(a) for a in axis)
    raise TypeError(f"{cls}: 'axis' must be an int or a tuple of ints, got {axis!r}")


class Norm(Cell):
    """The Euclidean norm over ``axis`` (all dims when ``axis`` is ())."""

    def __init__(self, axis=(), keep_dims=False):
        super().__init__()
        self.axis = _axis_tuple("Norm", axis)
        self.keep_dims = _check_bool("Norm", "keep_dims", keep_dims)

    def construct(self, x):
        axis = self.axis if self.axis else None
        return F.sqrt(F.sum(F.square(x), axis, self.keep_dims))

    def extend_repr(self):
        return f"axis={self.axis}, keep_dims={self.keep_dims}"


class ClipByNorm(Cell):
    """Scale ``x`` so that its L2 norm over ``axis`` is at most ``clip_norm``."""

    def __init__(self, axis=None):
        super().__init__()
        self.axis = None if axis is None else _axis_tuple("ClipByNorm", axis)

    def construct(self, x, clip_norm):
        clip = clip_norm if isinstance(clip_norm, Tensor) else Tensor(clip_norm, x.dtype)
        clip = F.cast(clip, x.dtype)
        norm = F.sqrt(F.sum(F.square(x), self.axis, True))
        # x * clip / max(norm, clip): unchanged when already within the norm
        return F.div(F.mul(x, clip), F.maximum(norm, clip))


class L1Regularizer(Cell):
    """``scale * sum(|weights|)``."""

    def __init__(self, scale):
        super().__init__()
        _check_number("L1Regularizer", "scale", scale)
        if scale <= 0 or math.isinf(scale) or math.isnan(scale):
            raise ValueError(f"L1Regularizer: 'scale' must be a positive finite number, got {scale}")
        self.scale = float(scale)

    def construct(self, weights):
        return F.mul(F.sum(F.abs(weights)), Tensor(self.scale, weights.dtype))


class OneHot(Cell):
    """One-hot encoding of integer indices along ``axis``."""

    def __init__(self, axis=-1, depth=1, on_value=1.0, off_value=0.0, dtype=mstype.float32):
        super().__init__()
        self.axis = _check_int("OneHot", "axis", axis)
        self.depth = _positive_int("OneHot", "depth", depth)
        self.on_value = Tensor(on_value, dtype)
        self.off_value = Tensor(off_value, dtype)
        self.dtype = mstype.to_dtype(dtype)

    def construct(self, indices):
        return F.one_hot(indices, self.depth, self.on_value, self.off_value, self.axis)


class Moments(Cell):
    """``(mean, variance)`` of ``x`` over ``axis`` (population variance)."""

    def __init__(self, axis=None, keep_dims=None):
        super().__init__()
        self.axis = None if axis is None else _axis_tuple("Moments", axis)
        self.keep_dims = bool(keep_dims)

    def construct(self, x):
        mean = F.mean(x, self.axis, True)
        var = F.mean(F.square(F.sub(x, mean)), self.axis, self.keep_dims)
        if not self.keep_dims:
            mean = F.mean(x, self.axis, False)
        return mean, var


def _positive_int(cls, name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{cls}: '{name}' must be a positive int, got {value!r}")
    return int(value)


class Roll(Cell):
    """Roll the elements of ``input_x`` by ``shift`` along ``axis`` (ints or tuples of ints)."""

    def __init__(self, shift, axis):
        super().__init__()
        self.shift = shift
        self.axis = axis
        shifts = shift if isinstance(shift, (tuple, list)) else (shift,)
        axes = axis if isinstance(axis, (tuple, list)) else (axis,)
        for v in tuple(shifts) + tuple(axes):
            _check_int("Roll", "shift/axis", v)
        if len(shifts) != len(axes):
            raise ValueError(f"Roll: 'shift' and 'axis' must have the same length, got {shift!r} and {axis!r}")

    def construct(self, input_x):
        return F.roll(input_x, self.shift, self.axis)


class Range(Cell):
    """``construct()`` gives [start, limit) by ``delta`` (from 0 to ``start`` when limit is None);
    int32 when every argument is an int, else float32."""

    def __init__(self, start, limit=None, delta=1):
        super().__init__()
        for name, v in (("start", start), ("limit", limit), ("delta", delta)):
            if v is not None:
                _check_number("Range", name, v)
        if delta == 0:
            raise ValueError("Range: 'delta' must not be 0")
        if limit is None:
            start, limit = 0, start
        self.start, self.limit, self.delta = start, limit, delta
        ints = all(isinstance(v, numbers.Integral) for v in (start, limit, delta))
        self.dtype = mstype.int32 if ints else mstype.float32

    def construct(self):
        return Tensor(np.arange(self.start, self.limit, self.delta), self.dtype)


class ReduceLogSumExp(Cell):
    """``log(sum(exp(x)))`` over ``axis``, computed stably."""

    def __init__(self, axis, keep_dims=False):
        super().__init__()
        self.axis = _axis_tuple("ReduceLogSumExp", axis) if axis != () else ()
        self.keep_dims = _check_bool("ReduceLogSumExp", "keep_dims", keep_dims)

    def construct(self, x):
        axis = self.axis if self.axis else tuple(range(x.ndim))
        return F.logsumexp(x, axis, self.keep_dims)


class MatMul(Cell):
    """Batched matrix product with broadcasting, optionally transposing the last two dims."""

    def __init__(self, transpose_x1=False, transpose_x2=False):
        super().__init__()
        self.transpose_x1 = _check_bool("MatMul", "transpose_x1", transpose_x1)
        self.transpose_x2 = _check_bool("MatMul", "transpose_x2", transpose_x2)

    def construct(self, x1, x2):
        if self.transpose_x1:
            x1 = F.swapaxes(x1, -1, -2)
        if self.transpose_x2:
            x2 = F.swapaxes(x2, -1, -2)
        return F.matmul(x1, x2)


class MatDet(Cell):
    """Determinants of a batch of square matrices."""

    def construct(self, a):
        return F.det(a)


class MatInverse(Cell):
    """Inverses of a batch of square matrices."""

    def construct(self, a):
        return F.inverse(a)


class CentralCrop(Cell):
    """Crop the central ``central_fraction`` of the H and W dims of (C, H, W) or (N, C, H, W)."""

    def __init__(self, central_fraction):
        super().__init__()
        _check_number("CentralCrop", "central_fraction", central_fraction)
        if not 0 < central_fraction <= 1:
            raise ValueError(f"CentralCrop: 'central_fraction' must be in (0, 1], got {central_fraction}")
        self.central_fraction = float(central_fraction)

    def construct(self, image):
        if image.ndim not in (3, 4):
            raise ValueError(f"CentralCrop: the image must be 3-D or 4-D, got shape {tuple(image.shape)}")
        if self.central_fraction == 1.0:
            return image
        h, w = image.shape[-2:]
        top = int((h - np.float32(h * self.central_fraction)) / 2)
        left = int((w - np.float32(w * self.central_fraction)) / 2)
        begin = [0] * (image.ndim - 2) + [top, left]
        size = list(image.shape[:-2]) + [h - 2 * top, w - 2 * left]
        return F.slice(image, begin, size)


class ImageGradients(Cell):
    """``(dy, dx)`` of (N, C, H, W) images: forward differences, zero in the last row / column."""

    def construct(self, images):
        if images.ndim != 4:
            raise ValueError(f"ImageGradients: the images must be 4-D, got shape {tuple(images.shape)}")
        n, c, h, w = images.shape
        dy = F.sub(F.slice(images, [0, 0, 1, 0], [n, c, h - 1, w]), F.slice(images, [0, 0, 0, 0], [n, c, h - 1, w]))
        dx = F.sub(F.slice(images, [0, 0, 0, 1], [n, c, h, w - 1]), F.slice(images, [0, 0, 0, 0], [n, c, h, w - 1]))
        dy = F.pad(dy, (0, 0, 0, 1), mode="constant", value=0)
        dx = F.pad(dx, (0, 1), mode="constant", value=0)
        return dy, dx



class Unfold(Cell):
    """Image patches (TensorFlow's extract_image_patches): (N, C, H, W) -> (N, kh*kw*C, out_h, out_w),
    the depth ordered (row, col, channel). ``ksizes``, ``strides`` and ``rates`` are [1, r, c, 1]."""

    def __init__(self, ksizes, strides, rates, padding="valid"):
        super().__init__()
        self.ksizes = self._four("ksizes", ksizes)
        self.strides = self._four("strides", strides)
        self.rates = self._four("rates", rates)
        if not isinstance(padding, str) or padding.lower() not in ("same", "valid"):
            raise ValueError(f"Unfold: 'padding' must be 'same' or 'valid', got {padding!r}")
        self.padding = padding.lower()

    @staticmethod
    def _four(name, value):
        if (not isinstance(value, (tuple, list)) or len(value) != 4 or value[0] != 1 or value[3] != 1
                or any(isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1 for v in value)):
            raise ValueError(f"Unfold: '{name}' must be [1, row, col, 1] with positive ints, got {value!r}")
        return tuple(int(v) for v in value)

    def construct(self, x):
        if x.ndim != 4:
            raise ValueError(f"Unfold: the input must be 4-D, got shape {tuple(x.shape)}")
        kh, kw = self.ksizes[1:3]
        sh, sw = self.strides[1:3]
        rh, rw = self.rates[1:3]
        n, c, h, w = x.shape
        if self.padding == "same":
            pads = ()
            for size, k, s, r in ((w, kw, sw, rw), (h, kh, sh, rh)):
                out = -(-size // s)
                total = max((out - 1) * s + r * (k - 1) + 1 - size, 0)
                pads += (total // 2, total - total // 2)
            x = F.pad(x, pads, mode="constant", value=0)
            h, w = x.shape[2:]
        out_h = (h - rh * (kh - 1) - 1) // sh + 1
        out_w = (w - rw * (kw - 1) - 1) // sw + 1
        cols = F.unfold(x, (kh, kw), (rh, rw), 0, (sh, sw))
        cols = F.reshape(cols, (n, c, kh * kw, out_h, out_w))
        cols = F.transpose(cols, (0, 2, 1, 3, 4))
        return F.reshape(cols, (n, kh * kw * c, out_h, out_w))


class TimeDistributed(Cell):
    """Apply ``layer`` to every step along ``time_axis`` and stack the results there."""

    def __init__(self, layer, time_axis, reshape_with_axis=None):
        super().__init__()
        if not isinstance(layer, Cell) and not callable(layer):
            raise TypeError(f"TimeDistributed: 'layer' must be a Cell or a Primitive, got {type(layer).__name__}")
        self.layer = layer
        self.time_axis = _check_int("TimeDistributed", "time_axis", time_axis)
        self.reshape_with_axis = (None if reshape_with_axis is None
                                  else _check_int("TimeDistributed", "reshape_with_axis", reshape_with_axis))

    def construct(self, inputs):
        axis = self.time_axis % inputs.ndim
        steps = F.unstack(inputs, axis)
        outputs = [self.layer(step) for step in steps]
        return F.stack(outputs, axis)


class LRN(Cell):
    """Local response normalisation across channels of (N, C, H, W):
    ``x / (bias + alpha * sum of x^2 over channels c-r..c+r) ** beta``."""

    def __init__(self, depth_radius=5, bias=1.0, alpha=1.0, beta=0.5, norm_region="ACROSS_CHANNELS"):
        super().__init__()
        self.depth_radius = _check_int("LRN", "depth_radius", depth_radius)
        if depth_radius < 0:
            raise ValueError(f"LRN: 'depth_radius' must be non-negative, got {depth_radius}")
        self.bias = float(_check_number("LRN", "bias", bias))
        self.alpha = float(_check_number("LRN", "alpha", alpha))
        self.beta = float(_check_number("LRN", "beta", beta))
        if norm_region != "ACROSS_CHANNELS":
            raise ValueError(f"LRN: 'norm_region' must be 'ACROSS_CHANNELS', got {norm_region!r}")
        self.norm_region = norm_region

    def construct(self, x):
        if x.ndim != 4:
            raise ValueError(f"LRN: the input must be 4-D, got shape {tuple(x.shape)}")
        r = self.depth_radius
        n, c, h, w = x.shape
        # windowed channel sums as differences of a cumulative sum over the zero-padded channels
        sq = F.pad(F.square(x), (0, 0, 0, 0, r + 1, r), mode="constant", value=0)
        cs = F.cumsum(sq, 1)
        window = F.sub(F.slice(cs, [0, 2 * r + 1, 0, 0], [n, c, h, w]), F.slice(cs, [0, 0, 0, 0], [n, c, h, w]))
        scale = F.add(F.mul(window, self.alpha), self.bias)
        return F.div(x, F.pow(scale, self.beta))


class MatrixDiag(Cell):
    """Diagonal matrices from the last dim: (..., K) -> (..., K, K)."""

    def construct(self, input_x):
        return F.diag_embed(input_x)


class MatrixDiagPart(Cell):
    """The main diagonals of the last two dims: (..., M, N) -> (..., min(M, N))."""

    def construct(self, input_x):
        return F.diagonal(input_x, 0, -2, -1)


class MatrixSetDiag(Cell):
    """Replace the main diagonals of the last two dims of ``input_x`` by ``diagonal``."""

    def construct(self, input_x, diagonal):
        m, n = input_x.shape[-2:]
        k = min(m, n)
        if tuple(diagonal.shape) != tuple(input_x.shape[:-2]) + (k,):
            raise ValueError(f"MatrixSetDiag: 'diagonal' must have shape {tuple(input_x.shape[:-2]) + (k,)}, "
                             f"got {tuple(diagonal.shape)}")
        off = Tensor(1.0 - np.eye(m, n, dtype=input_x.dtype.np))
        placed = F.pad(F.diag_embed(diagonal), (0, n - k, 0, m - k), mode="constant", value=0)
        return F.add(F.mul(input_x, off), placed)
