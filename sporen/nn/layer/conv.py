"""Convolution layers: Conv1d/2d/3d and their transposes (MindSpore's ``nn.layer.conv``).

Conv1d keeps MindSpore's 4-D weight (C_out, C_in/group, 1, kernel_size) so checkpoints load
unchanged; it runs as a 2-D convolution over a height of 1."""
import math

from ... import dtype as mstype
from ...common.initializer import HeUniform, Uniform
from ...ops import functional as F
from ..cell import Cell
from .basic import _check_bool, _check_str, _int_tuple, _make_param, _non_negative_int, _positive_int

__all__ = ["Conv1d", "Conv2d", "Conv3d", "Conv1dTranspose", "Conv2dTranspose", "Conv3dTranspose", "Conv2dBnAct"]

_PAD_MODES = ("same", "valid", "pad")


def _padding(cls, padding, n, pad_mode):
    """MindSpore's padding: an int, or a tuple of 2n ints (before/after for each spatial dim)."""
    if isinstance(padding, int) and not isinstance(padding, bool):
        _non_negative_int(cls, "padding", padding)
        pads = (padding,) * (2 * n)
    elif isinstance(padding, tuple) and len(padding) == 2 * n:
        for p in padding:
            _non_negative_int(cls, "padding", p)
        pads = tuple(int(p) for p in padding)
    else:
        raise TypeError(f"{cls}: 'padding' must be a non-negative int or a tuple of {2 * n} ints, got "
                        f"{padding!r}")
    if pad_mode != "pad" and any(pads):
        raise ValueError(f"{cls}: 'padding' must be 0 when 'pad_mode' is '{pad_mode}', got {padding!r}")
    return padding, pads


def _fan_in(shape):
    receptive = 1
    for s in shape[2:]:
        receptive *= s
    return shape[1] * receptive


class _Conv(Cell):
    """Shared construction: argument checks, weight (HeUniform(sqrt(5)) by default) and bias
    (U(-1/sqrt(fan_in), 1/sqrt(fan_in)) by default)."""

    _n = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride, pad_mode, padding, dilation, group,
                 has_bias, weight_init, bias_init, data_format, dtype, transposed=False, output_padding=0):
        super().__init__()
        cls = type(self).__name__
        n = self._n
        self.in_channels = _positive_int(cls, "in_channels", in_channels)
        self.out_channels = _positive_int(cls, "out_channels", out_channels)
        self.kernel_size = _int_tuple(cls, "kernel_size", kernel_size, n)
        self.stride = _int_tuple(cls, "stride", stride, n)
        self.dilation = _int_tuple(cls, "dilation", dilation, n)
        self.pad_mode = _check_str(cls, "pad_mode", pad_mode.lower() if isinstance(pad_mode, str) else pad_mode,
                                   _PAD_MODES)
        self.padding, self._pads = _padding(cls, padding, n, self.pad_mode)
        self.group = _positive_int(cls, "group", group)
        if in_channels % group or out_channels % group:
            raise ValueError(f"{cls}: 'in_channels' ({in_channels}) and 'out_channels' ({out_channels}) must "
                             f"be divisible by 'group' ({group})")
        self.has_bias = _check_bool(cls, "has_bias", has_bias)
        self.data_format = data_format
        self.output_padding = _int_tuple(cls, "output_padding", output_padding, n, minimum=0)
        kernel = self._weight_kernel()
        if transposed:
            shape = (in_channels, out_channels // group) + kernel
        else:
            shape = (out_channels, in_channels // group) + kernel
        self.weight_init = weight_init
        self.bias_init = bias_init
        if weight_init is None:
            weight_init = HeUniform(math.sqrt(5))
        self.weight = _make_param(cls, weight_init, shape, dtype, "weight")
        self.bias = None
        if self.has_bias:
            if bias_init is None:
                fan_in = _fan_in(shape)
                bias_init = Uniform(1 / math.sqrt(fan_in)) if fan_in else "zeros"
            self.bias = _make_param(cls, bias_init, (out_channels,), dtype, "bias")

    def _weight_kernel(self):
        return self.kernel_size

    def _check_input(self, x, ndim):
        if x.ndim != ndim:
            raise ValueError(f"{type(self).__name__}: the input must be {ndim}-D, got shape {tuple(x.shape)}")
        if x.shape[1] != self.in_channels:
            raise ValueError(f"{type(self).__name__}: the input has {x.shape[1]} channels, expected "
                             f"in_channels={self.in_channels}")

    def _add_bias(self, out):
        if not self.has_bias:
            return out
        shape = (1, self.out_channels) + (1,) * (out.ndim - 2)
        return F.add(out, F.reshape(self.bias, shape))

    def extend_repr(self):
        return (f"input_channels={self.in_channels}, output_channels={self.out_channels}, "
                f"kernel_size={self.kernel_size}, stride={self.stride}, pad_mode={self.pad_mode}, "
                f"padding={self.padding}, dilation={self.dilation}, group={self.group}, "
                f"has_bias={self.has_bias}, weight_init={self.weight_init}, bias_init={self.bias_init}, "
                f"format={self.data_format}")


def _same_pads(size, k, s, d):
    """TensorFlow-style 'same' padding for one dim: the extra pixel goes after."""
    out = -(-size // s)
    total = max((out - 1) * s + d * (k - 1) + 1 - size, 0)
    return total // 2, total - total // 2


def _conv_pads(layer, spatial):
    """(before, after) padding per spatial dim for the forward convolutions."""
    if layer.pad_mode == "valid":
        return [(0, 0)] * len(spatial)
    if layer.pad_mode == "pad":
        p = layer._pads
        return [(p[2 * i], p[2 * i + 1]) for i in range(len(spatial))]
    return [_same_pads(size, k, s, d) for size, k, s, d in
            zip(spatial, layer.kernel_size, layer.stride, layer.dilation)]


def _run_conv(fn, x, weight, layer, spatial_pads, stride, dilation):
    flat = ()
    symmetric = all(a == b for a, b in spatial_pads)
    if symmetric:
        padding = tuple(a for a, _ in spatial_pads)
        return fn(x, weight, None, stride, "pad", padding, dilation, layer.group)
    # asymmetric padding: pad explicitly, then a valid convolution
    for before, after in reversed(spatial_pads):
        flat += (before, after)
    x = F.pad(x, flat, mode="constant", value=0)
    return fn(x, weight, None, stride, "valid", 0, dilation, layer.group)


class Conv2d(_Conv):
    """2-D convolution over (N, C_in, H, W); weight (C_out, C_in/group, kh, kw). Defaults as
    MindSpore: pad_mode='same', has_bias=False."""

    _n = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, pad_mode="same", padding=0,
                 dilation=1, group=1, has_bias=False, weight_init=None, bias_init=None, data_format="NCHW",
                 dtype=mstype.float32):
        if data_format != "NCHW":
            raise ValueError(f"Conv2d: only data_format='NCHW' is supported on the CPU, got {data_format!r}")
        super().__init__(in_channels, out_channels, kernel_size, stride, pad_mode, padding, dilation, group,
                         has_bias, weight_init, bias_init, data_format, dtype)

    def construct(self, x):
        self._check_input(x, 4)
        pads = _conv_pads(self, x.shape[2:])
        out = _run_conv(F.conv2d, x, self.weight, self, pads, self.stride, self.dilation)
        return self._add_bias(out)


class Conv1d(_Conv):
    """1-D convolution over (N, C_in, L); weight (C_out, C_in/group, 1, kernel_size) as MindSpore's."""

    _n = 1

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, pad_mode="same", padding=0,
                 dilation=1, group=1, has_bias=False, weight_init=None, bias_init=None, dtype=mstype.float32):
        for name, v in (("kernel_size", kernel_size), ("stride", stride), ("dilation", dilation)):
            if isinstance(v, bool) or not isinstance(v, int):
                raise TypeError(f"Conv1d: '{name}' must be an int, got {type(v).__name__}")
        super().__init__(in_channels, out_channels, kernel_size, stride, pad_mode, padding, dilation, group,
                         has_bias, weight_init, bias_init, "NCW", dtype)

    def _weight_kernel(self):
        return (1,) + self.kernel_size

    def construct(self, x):
        self._check_input(x, 3)
        (before, after), = _conv_pads(self, x.shape[2:])
        x4 = F.reshape(x, (x.shape[0], x.shape[1], 1, x.shape[2]))
        out = _run_conv(F.conv2d, x4, self.weight, self, [(0, 0), (before, after)], (1,) + self.stride,
                        (1,) + self.dilation)
        out = F.reshape(out, (out.shape[0], out.shape[1], out.shape[3]))
        return self._add_bias(out)


class Conv3d(_Conv):
    """3-D convolution over (N, C_in, D, H, W); weight (C_out, C_in/group, kd, kh, kw)."""

    _n = 3

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, pad_mode="same", padding=0,
                 dilation=1, group=1, has_bias=False, weight_init=None, bias_init=None, data_format="NCDHW",
                 dtype=mstype.float32):
        if data_format != "NCDHW":
            raise ValueError(f"Conv3d: 'data_format' must be 'NCDHW', got {data_format!r}")
        super().__init__(in_channels, out_channels, kernel_size, stride, pad_mode, padding, dilation, group,
                         has_bias, weight_init, bias_init, data_format, dtype)

    def construct(self, x):
        self._check_input(x, 5)
        pads = _conv_pads(self, x.shape[2:])
        out = _run_conv(F.conv3d, x, self.weight, self, pads, self.stride, self.dilation)
        return self._add_bias(out)


# --- transposed convolutions -----------------------------------------------------------------------
def _transpose_crop(layer, spatial, kernel, stride, dilation, pads, output_padding):
    """(crop before, target size) per dim, from the full transposed output
    (size - 1) * stride + dilation * (k - 1) + 1."""
    result = []
    for i, (size, k, s, d) in enumerate(zip(spatial, kernel, stride, dilation)):
        full = (size - 1) * s + d * (k - 1) + 1
        if layer.pad_mode == "same":
            target = size * s
            total = full - target
            before = max(total, 0) // 2
        elif layer.pad_mode == "valid":
            target = full + output_padding[i]
            before = 0
        else:
            before = pads[2 * i]
            target = full - pads[2 * i] - pads[2 * i + 1] + output_padding[i]
        result.append((before, target, full))
    return result


def _crop_or_extend(out, crops):
    """Cut each spatial dim to [before, before + target), padding zeros past the full output."""
    ndim = out.ndim
    begin = [0, 0]
    size = [out.shape[0], out.shape[1]]
    extra = []
    for before, target, full in crops:
        keep = min(target, full - before)
        begin.append(before)
        size.append(keep)
        extra.append(target - keep)
    if tuple(begin) != (0,) * ndim or tuple(size) != tuple(out.shape):
        out = F.slice(out, begin, size)
    if any(extra):
        flat = ()
        for e in reversed(extra):
            flat += (0, e)
        out = F.pad(out, flat, mode="constant", value=0)
    return out


class _ConvTranspose(_Conv):
    def _transpose(self, fn, x, spatial, kernel, stride, dilation, output_padding):
        full = fn(x, self.weight, None, stride, 0, 0, self.group, dilation)
        crops = _transpose_crop(self, spatial, kernel, stride, dilation, self._pads_for(len(spatial)),
                                output_padding)
        return _crop_or_extend(full, crops)

    def _pads_for(self, n):
        return self._pads

    def extend_repr(self):
        return super().extend_repr() + f", output_padding={self.output_padding}"


class Conv2dTranspose(_ConvTranspose):
    """2-D transposed convolution; weight (C_in, C_out/group, kh, kw). Output size: 'same':
    H*stride; 'valid': (H-1)*stride + dilation*(k-1) + 1 + output_padding; 'pad': that minus the
    padding."""

    _n = 2

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, pad_mode="same", padding=0,
                 output_padding=0, dilation=1, group=1, has_bias=False, weight_init=None, bias_init=None,
                 dtype=mstype.float32):
        super().__init__(in_channels, out_channels, kernel_size, stride, pad_mode, padding, dilation, group,
                         has_bias, weight_init, bias_init, "NCHW", dtype, transposed=True,
                         output_padding=output_padding)

    def construct(self, x):
        self._check_input(x, 4)
        out = self._transpose(F.conv_transpose2d, x, x.shape[2:], self.kernel_size, self.stride,
                              self.dilation, self.output_padding)
        return self._add_bias(out)


class Conv1dTranspose(_ConvTranspose):
    """1-D transposed convolution; weight (C_in, C_out/group, 1, kernel_size) as MindSpore's."""

    _n = 1

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, pad_mode="same", padding=0,
                 dilation=1, group=1, has_bias=False, weight_init=None, bias_init=None, dtype=mstype.float32):
        for name, v in (("kernel_size", kernel_size), ("stride", stride), ("dilation", dilation)):
            if isinstance(v, bool) or not isinstance(v, int):
                raise TypeError(f"Conv1dTranspose: '{name}' must be an int, got {type(v).__name__}")
        super().__init__(in_channels, out_channels, kernel_size, stride, pad_mode, padding, dilation, group,
                         has_bias, weight_init, bias_init, "NCW", dtype, transposed=True)

    def _weight_kernel(self):
        return (1,) + self.kernel_size

    def _pads_for(self, n):
        return (0, 0) + self._pads

    def construct(self, x):
        self._check_input(x, 3)
        x4 = F.reshape(x, (x.shape[0], x.shape[1], 1, x.shape[2]))
        out = self._transpose(F.conv_transpose2d, x4, x4.shape[2:], (1,) + self.kernel_size,
                              (1,) + self.stride, (1,) + self.dilation, (0,) + self.output_padding)
        out = F.reshape(out, (out.shape[0], out.shape[1], out.shape[3]))
        return self._add_bias(out)


def _conv_transpose3d(x, weight, bias, stride, padding, output_padding, groups, dilation):
    """The full ('valid') 3-D transposed convolution, in conv_transpose2d's argument order."""
    return F.conv3d_transpose(x, weight, "valid", 0, stride, dilation, groups, 0)


class Conv3dTranspose(_ConvTranspose):
    """3-D transposed convolution; weight (C_in, C_out/group, kd, kh, kw)."""

    _n = 3

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, pad_mode="same", padding=0,
                 dilation=1, group=1, output_padding=0, has_bias=False, weight_init=None, bias_init=None,
                 data_format="NCDHW", dtype=mstype.float32):
        if data_format != "NCDHW":
            raise ValueError(f"Conv3dTranspose: 'data_format' must be 'NCDHW', got {data_format!r}")
        super().__init__(in_channels, out_channels, kernel_size, stride, pad_mode, padding, dilation, group,
                         has_bias, weight_init, bias_init, data_format, dtype, transposed=True,
                         output_padding=output_padding)

    def construct(self, x):
        self._check_input(x, 5)
        out = self._transpose(_conv_transpose3d, x, x.shape[2:], self.kernel_size, self.stride,
                              self.dilation, self.output_padding)
        return self._add_bias(out)


class Conv2dBnAct(Cell):
    """Conv2d, then optionally BatchNorm2d, then an optional activation (sub-cells ``conv``,
    ``batchnorm``, ``activation``)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, pad_mode="same", padding=0, dilation=1,
                 group=1, has_bias=False, weight_init="normal", bias_init="zeros", has_bn=False, momentum=0.997,
                 eps=1e-5, activation=None, alpha=0.2, after_fake=True):
        super().__init__()
        self.conv = Conv2d(in_channels, out_channels, kernel_size, stride, pad_mode, padding, dilation, group,
                           has_bias, weight_init, bias_init)
        self.has_bn = _check_bool("Conv2dBnAct", "has_bn", has_bn)
        self.has_act = activation is not None
        if has_bn:
            from .normalization import BatchNorm2d
            self.batchnorm = BatchNorm2d(out_channels, eps, momentum)
        if isinstance(activation, str) and activation.lower() == "leakyrelu":
            from .activation import LeakyReLU
            self.activation = LeakyReLU(alpha)
        else:
            from .basic import _activation
            self.activation = _activation("Conv2dBnAct", activation)

    def construct(self, x):
        x = self.conv(x)
        if self.has_bn:
            x = self.batchnorm(x)
        if self.has_act:
            x = self.activation(x)
        return x
