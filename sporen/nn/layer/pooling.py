"""Pooling layers: max/avg pooling in 1-3 dims, adaptive pooling and LP pooling (MindSpore's
``nn.layer.pooling``). MindSpore's defaults: kernel_size=1, stride=1, pad_mode='valid'.

pad_mode 'same' is TensorFlow's: the output is ceil(size / stride), the padding is split with the
extra pixel after, max pooling ignores the padding and average pooling divides by the number of
real (unpadded) elements."""
import numbers

import numpy as np

from ...ops import functional as F
from ...tensor import Tensor
from ..cell import Cell
from .basic import _check_bool, _check_number, _check_str, _int_tuple, _non_negative_int, _positive_int

__all__ = ["MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d", "AdaptiveAvgPool1d",
           "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d",
           "AdaptiveMaxPool3d", "LPPool1d", "LPPool2d", "AvgPool1dExt", "AvgPool2dExt", "AvgPool3dExt",
           "MaxPool2dExt", "MaxUnpool1d", "MaxUnpool2d", "MaxUnpool3d"]


def _pool_padding(cls, padding, n, pad_mode):
    """An int, or a tuple of 1 or ``n`` ints (one per spatial dim, both sides)."""
    if isinstance(padding, numbers.Integral) and not isinstance(padding, bool):
        pads = (_non_negative_int(cls, "padding", padding),) * n
    elif isinstance(padding, (tuple, list)) and len(padding) in (1, n):
        pads = tuple(_non_negative_int(cls, "padding", p) for p in padding)
        pads = pads * n if len(pads) == 1 else pads
    else:
        raise ValueError(f"{cls}: 'padding' must be a non-negative int or a tuple of {n} ints, got {padding!r}")
    if pad_mode != "pad" and any(pads):
        raise ValueError(f"{cls}: 'padding' must be 0 when 'pad_mode' is '{pad_mode}', got {padding!r}")
    return pads


def _same_pads(spatial, kernel, stride):
    pads = []
    for size, k, s in zip(spatial, kernel, stride):
        out = -(-size // s)
        total = max((out - 1) * s + k - size, 0)
        pads.append((total // 2, total - total // 2))
    return pads


def _flat_pads(pads):
    flat = ()
    for before, after in reversed(pads):
        flat += (before, after)
    return flat


class _Pool(Cell):
    """Shared checks of MaxPool*/AvgPool*."""

    _n = 2

    def __init__(self, kernel_size, stride, pad_mode, padding, ceil_mode):
        super().__init__()
        cls = type(self).__name__
        self.kernel_size = _int_tuple(cls, "kernel_size", kernel_size, self._n)
        self.stride = _int_tuple(cls, "stride", stride, self._n)
        self.pad_mode = _check_str(cls, "pad_mode", pad_mode.lower() if isinstance(pad_mode, str) else pad_mode,
                                   ("same", "valid", "pad"))
        self.padding = _pool_padding(cls, padding, self._n, self.pad_mode)
        self.ceil_mode = _check_bool(cls, "ceil_mode", ceil_mode)

    def _batched(self, x):
        """Inputs without a batch dim are accepted, as MindSpore does."""
        cls = type(self).__name__
        if x.ndim == self._n + 1:
            return F.reshape(x, (1,) + tuple(x.shape)), True
        if x.ndim != self._n + 2:
            raise ValueError(f"{cls}: the input must be {self._n + 1}-D or {self._n + 2}-D, got shape "
                             f"{tuple(x.shape)}")
        return x, False

    def extend_repr(self):
        # MindSpore's pooling layers print these three
        return f"kernel_size={self.kernel_size}, stride={self.stride}, pad_mode={self.pad_mode.upper()}"


class _MaxPool(_Pool):
    def __init__(self, kernel_size, stride, pad_mode, padding, dilation, return_indices, ceil_mode):
        super().__init__(kernel_size, stride, pad_mode, padding, ceil_mode)
        cls = type(self).__name__
        self.dilation = _int_tuple(cls, "dilation", dilation, self._n)
        self.return_indices = _check_bool(cls, "return_indices", return_indices)
        if self.pad_mode == "same" and self.return_indices:
            raise ValueError(f"{cls}: 'return_indices' needs pad_mode 'valid' or 'pad'")

    def _pool(self, x):
        fn = F.max_pool3d if self._n == 3 else F.max_pool2d
        if self.pad_mode == "same":
            pads = _same_pads(x.shape[2:], self.kernel_size, self.stride)
            if self.dilation != (1,) * self._n:
                raise ValueError(f"{type(self).__name__}: pad_mode 'same' needs dilation 1")
            if any(a != b for a, b in pads):
                x = F.pad(x, _flat_pads(pads), mode="constant", value=float("-inf"))
                padding = 0
            else:
                padding = tuple(a for a, _ in pads)
            return fn(x, self.kernel_size, self.stride, padding, 1, False, False)
        ceil = self.ceil_mode if self.pad_mode == "pad" else False
        if self._n == 3:
            return fn(x, self.kernel_size, self.stride, self.padding, self.dilation, ceil, self.return_indices)
        return fn(x, self.kernel_size, self.stride, self.padding, self.dilation, self.return_indices, ceil)

    def construct(self, x):
        x, added = self._batched(x)
        out = self._pool(x)
        if added:
            if isinstance(out, tuple):
                return tuple(F.reshape(o, tuple(o.shape[1:])) for o in out)
            return F.reshape(out, tuple(out.shape[1:]))
        return out


class MaxPool2d(_MaxPool):
    """Max pooling over (N, C, H, W) or (C, H, W)."""

    _n = 2

    def __init__(self, kernel_size=1, stride=1, pad_mode="valid", padding=0, dilation=1, return_indices=False,
                 ceil_mode=False, data_format="NCHW"):
        if data_format != "NCHW":
            raise ValueError(f"MaxPool2d: only data_format='NCHW' is supported on the CPU, got {data_format!r}")
        super().__init__(kernel_size, stride, pad_mode, padding, dilation, return_indices, ceil_mode)
        self.format = data_format


class MaxPool3d(_MaxPool):
    """Max pooling over (N, C, D, H, W) or (C, D, H, W)."""

    _n = 3

    def __init__(self, kernel_size=1, stride=1, pad_mode="valid", padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__(kernel_size, stride, pad_mode, padding, dilation, return_indices, ceil_mode)


class MaxPool1d(_MaxPool):
    """Max pooling over (N, C, L) or (C, L), run as a 2-D pooling over a height of 1."""

    _n = 1

    def __init__(self, kernel_size=1, stride=1, pad_mode="valid", padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__(kernel_size, stride, pad_mode, padding, dilation, return_indices, ceil_mode)

    def _pool(self, x):
        n, c, length = x.shape
        x4 = F.reshape(x, (n, c, 1, length))
        if self.pad_mode == "same":
            (before, after), = _same_pads((length,), self.kernel_size, self.stride)
            if before or after:
                x4 = F.pad(x4, (before, after), mode="constant", value=float("-inf"))
            out = F.max_pool2d(x4, (1,) + self.kernel_size, (1,) + self.stride, 0, 1, False, False)
        else:
            ceil = self.ceil_mode if self.pad_mode == "pad" else False
            out = F.max_pool2d(x4, (1,) + self.kernel_size, (1,) + self.stride, (0,) + self.padding,
                               (1,) + self.dilation, self.return_indices, ceil)
        if isinstance(out, tuple):
            return tuple(F.reshape(o, (o.shape[0], o.shape[1], o.shape[3])) for o in out)
        return F.reshape(out, (out.shape[0], out.shape[1], out.shape[3]))


class _AvgPool(_Pool):
    def __init__(self, kernel_size, stride, pad_mode, padding, ceil_mode, count_include_pad, divisor_override):
        super().__init__(kernel_size, stride, pad_mode, padding, ceil_mode)
        cls = type(self).__name__
        self.count_include_pad = _check_bool(cls, "count_include_pad", count_include_pad)
        if divisor_override is not None and divisor_override != 0:
            _positive_int(cls, "divisor_override", divisor_override)
        self.divisor_override = divisor_override or None

    def _avg(self, x, kernel, stride, padding, ceil, count_include_pad, divisor):
        if len(kernel) == 3:
            return F.avg_pool3d(x, kernel, stride, padding, ceil, count_include_pad, divisor or 0)
        return F.avg_pool2d(x, kernel, stride, padding, ceil, count_include_pad, divisor or 0)

    def _pool_nd(self, x, kernel, stride, padding):
        if self.pad_mode == "same":
            pads = _same_pads(x.shape[2:], kernel, stride)
            if all(a == b for a, b in pads):
                return self._avg(x, kernel, stride, tuple(a for a, _ in pads), False, False, None)
            # asymmetric: average over zero padding, then rescale by the share of real elements
            flat = _flat_pads(pads)
            xp = F.pad(x, flat, mode="constant", value=0)
            ones = Tensor._wrap(np.ones((1, 1) + tuple(x.shape[2:]), dtype=x.dtype.np))
            share = self._avg(F.pad(ones, flat, mode="constant", value=0), kernel, stride, 0, False, True, None)
            return F.div(self._avg(xp, kernel, stride, 0, False, True, None), share)
        ceil = self.ceil_mode if self.pad_mode == "pad" else False
        return self._avg(x, kernel, stride, padding, ceil, self.count_include_pad, self.divisor_override)

    def construct(self, x):
        x, added = self._batched(x)
        out = self._pool(x)
        if added:
            return F.reshape(out, tuple(out.shape[1:]))
        return out

    def _pool(self, x):
        return self._pool_nd(x, self.kernel_size, self.stride, self.padding)


class AvgPool2d(_AvgPool):
    """Average pooling over (N, C, H, W) or (C, H, W)."""

    _n = 2

    def __init__(self, kernel_size=1, stride=1, pad_mode="valid", padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None, data_format="NCHW"):
        if data_format != "NCHW":
            raise ValueError(f"AvgPool2d: only data_format='NCHW' is supported on the CPU, got {data_format!r}")
        super().__init__(kernel_size, stride, pad_mode, padding, ceil_mode, count_include_pad, divisor_override)
        self.format = data_format


class AvgPool3d(_AvgPool):
    """Average pooling over (N, C, D, H, W) or (C, D, H, W)."""

    _n = 3

    def __init__(self, kernel_size=1, stride=1, pad_mode="valid", padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__(kernel_size, stride, pad_mode, padding, ceil_mode, count_include_pad, divisor_override)


class AvgPool1d(_AvgPool):
    """Average pooling over (N, C, L) or (C, L), run as a 2-D pooling over a height of 1."""

    _n = 1

    def __init__(self, kernel_size=1, stride=1, pad_mode="valid", padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__(kernel_size, stride, pad_mode, padding, ceil_mode, count_include_pad, None)

    def _pool(self, x):
        n, c, length = x.shape
        x4 = F.reshape(x, (n, c, 1, length))
        out = self._pool_nd(x4, (1,) + self.kernel_size, (1,) + self.stride, (0,) + self.padding)
        return F.reshape(out, (out.shape[0], out.shape[1], out.shape[3]))


# --- adaptive pooling ---------------------------------------------------------------------------
def _output_size(cls, output_size, n, allow_none=True):
    if isinstance(output_size, numbers.Integral) and not isinstance(output_size, bool):
        output_size = (int(output_size),) * n
    if not isinstance(output_size, (tuple, list)) or len(output_size) != n:
        raise ValueError(f"{cls}: 'output_size' must be an int or a tuple of {n} ints, got {output_size!r}")
    for v in output_size:
        if v is None and allow_none and n > 1:
            continue
        _positive_int(cls, "output_size", v)
    return tuple(output_size)


class AdaptiveAvgPool1d(Cell):
    """Average pooling of (N, C, L) to a length of ``output_size``."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = _positive_int("AdaptiveAvgPool1d", "output_size", output_size)

    def construct(self, input):
        return F.adaptive_avg_pool1d(input, self.output_size)


class AdaptiveAvgPool2d(Cell):
    """Average pooling of (N, C, H, W) or (C, H, W) to ``output_size`` (None keeps that dim)."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = _output_size("AdaptiveAvgPool2d", output_size, 2)

    def construct(self, input):
        return F.adaptive_avg_pool2d(input, self.output_size)


class AdaptiveAvgPool3d(Cell):
    """Average pooling of (N, C, D, H, W) or (C, D, H, W) to ``output_size``."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = _output_size("AdaptiveAvgPool3d", output_size, 3)

    def construct(self, input):
        return F.adaptive_avg_pool3d(input, self.output_size)


class AdaptiveMaxPool1d(Cell):
    """Max pooling of (N, C, L) to a length of ``output_size``."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = _positive_int("AdaptiveMaxPool1d", "output_size", output_size)

    def construct(self, input):
        return F.adaptive_max_pool1d(input, self.output_size)


class AdaptiveMaxPool2d(Cell):
    """Max pooling of (N, C, H, W) or (C, H, W) to ``output_size``; with ``return_indices`` also
    the flat indices of the maxima."""

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size = _output_size("AdaptiveMaxPool2d", output_size, 2)
        self.return_indices = _check_bool("AdaptiveMaxPool2d", "return_indices", return_indices)

    def construct(self, input):
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool3d(Cell):
    """Max pooling of (N, C, D, H, W) or (C, D, H, W) to ``output_size``."""

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size = _output_size("AdaptiveMaxPool3d", output_size, 3)
        self.return_indices = _check_bool("AdaptiveMaxPool3d", "return_indices", return_indices)

    def construct(self, input):
        return F.adaptive_max_pool3d(input, self.output_size, self.return_indices)


class LPPool1d(Cell):
    """Power-average pooling: ``(sum over the window of x^p)^(1/p)`` over (N, C, L) or (C, L)."""

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type = _check_number("LPPool1d", "norm_type", norm_type)
        self.kernel_size = _positive_int("LPPool1d", "kernel_size", kernel_size)
        self.stride = self.kernel_size if stride is None else _positive_int("LPPool1d", "stride", stride)
        self.ceil_mode = _check_bool("LPPool1d", "ceil_mode", ceil_mode)

    def construct(self, x):
        return F.lp_pool1d(x, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)


class LPPool2d(Cell):
    """Power-average pooling over (N, C, H, W) or (C, H, W)."""

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type = _check_number("LPPool2d", "norm_type", norm_type)
        self.kernel_size = _int_tuple("LPPool2d", "kernel_size", kernel_size, 2)
        self.stride = self.kernel_size if stride is None else _int_tuple("LPPool2d", "stride", stride, 2)
        self.ceil_mode = _check_bool("LPPool2d", "ceil_mode", ceil_mode)

    def construct(self, x):
        return F.lp_pool2d(x, self.norm_type, self.kernel_size, self.stride, self.ceil_mode)


# --- PyTorch-style pooling (mint.nn): stride defaults to the kernel size, explicit padding -------------
class _PoolExt(Cell):
    _n = 2

    def __init__(self, kernel_size, stride, padding, ceil_mode):
        super().__init__()
        cls = type(self).__name__
        self.kernel_size = _int_tuple(cls, "kernel_size", kernel_size, self._n)
        self.stride = self.kernel_size if stride is None else _int_tuple(cls, "stride", stride, self._n)
        self.padding = _pool_padding(cls, padding, self._n, "pad")
        for k, p in zip(self.kernel_size, self.padding):
            if p > k // 2:
                raise ValueError(f"{cls}: 'padding' {self.padding} must be at most half of 'kernel_size' "
                                 f"{self.kernel_size}")
        self.ceil_mode = _check_bool(cls, "ceil_mode", ceil_mode)

    def extend_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"ceil_mode={self.ceil_mode}")


class AvgPool2dExt(_PoolExt):
    """``mint.nn.AvgPool2d``."""

    _n = 2

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__(kernel_size, stride, padding, ceil_mode)
        self.count_include_pad = _check_bool("AvgPool2dExt", "count_include_pad", count_include_pad)
        self.divisor_override = divisor_override

    def construct(self, input):
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override or 0)


class AvgPool3dExt(_PoolExt):
    """``mint.nn.AvgPool3d``."""

    _n = 3

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__(kernel_size, stride, padding, ceil_mode)
        self.count_include_pad = _check_bool("AvgPool3dExt", "count_include_pad", count_include_pad)
        self.divisor_override = divisor_override

    def construct(self, input):
        return F.avg_pool3d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override or 0)


class AvgPool1dExt(_PoolExt):
    """``mint.nn.AvgPool1d``."""

    _n = 1

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__(kernel_size, stride, padding, ceil_mode)
        self.count_include_pad = _check_bool("AvgPool1dExt", "count_include_pad", count_include_pad)

    def construct(self, input):
        return F.avg_pool1d(input, self.kernel_size[0], self.stride[0], self.padding[0], self.ceil_mode,
                            self.count_include_pad)


class MaxPool2dExt(_PoolExt):
    """``mint.nn.MaxPool2d``."""

    _n = 2

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__(kernel_size, stride, padding, ceil_mode)
        self.dilation = _int_tuple("MaxPool2dExt", "dilation", dilation, 2)
        self.return_indices = _check_bool("MaxPool2dExt", "return_indices", return_indices)

    def construct(self, input):
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.return_indices,
                            self.ceil_mode)


# --- unpooling -------------------------------------------------------------------------------------
class _MaxUnpool(Cell):
    """The partial inverse of max pooling: values go back to the flat positions ``indices`` that
    max pooling with ``return_indices=True`` gave; everything else is zero."""

    _n = 2

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        cls = type(self).__name__
        self.kernel_size = _int_tuple(cls, "kernel_size", kernel_size, self._n)
        self.stride = self.kernel_size if stride is None else _int_tuple(cls, "stride", stride, self._n)
        self.padding = _pool_padding(cls, padding, self._n, "pad")

    def construct(self, x, indices, output_size=None):
        fn = {1: F.max_unpool1d, 2: F.max_unpool2d, 3: F.max_unpool3d}[self._n]
        return fn(x, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extend_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpool):
    """Inverse of MaxPool1d over (N, C, L) or (C, L)."""

    _n = 1


class MaxUnpool2d(_MaxUnpool):
    """Inverse of MaxPool2d over (N, C, H, W) or (C, H, W)."""

    _n = 2


class MaxUnpool3d(_MaxUnpool):
    """Inverse of MaxPool3d over (N, C, D, H, W) or (C, D, H, W)."""

    _n = 3
