"""Basic layers: Dense, BiDense, Flatten, Identity, dropouts, padding, upsampling and small math
cells (MindSpore's ``nn.layer.basic``). Also the argument checks the other layer files share."""
import math
import numbers


from ... import dtype as mstype
from ...common.initializer import HeUniform, Initializer, Uniform, initializer
from ...ops import functional as F
from ...ops.registry import OPS
from ...tensor import Parameter, Tensor
from ..cell import Cell

__all__ = ["Dense", "BiDense", "Flatten", "Unflatten", "Identity", "Dropout", "Dropout1d", "Dropout2d",
           "Dropout3d", "Pad", "ZeroPad2d", "ConstantPad1d", "ConstantPad2d", "ConstantPad3d",
           "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d",
           "ReplicationPad2d", "ReplicationPad3d", "Upsample", "PixelShuffle", "PixelUnshuffle", "ChannelShuffle",
           "Linear", "DenseBnAct", "DropoutExt", "Dropout2dExt"]


# --- checks shared by the layer files -------------------------------------------------------------



def _positive_int(cls, name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{cls}: '{name}' must be a positive int, got {value!r}")
    return int(value)


def _non_negative_int(cls, name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{cls}: '{name}' must be a non-negative int, got {value!r}")
    return int(value)


def _check_bool(cls, name, value):
    if not isinstance(value, bool):
        raise TypeError(f"{cls}: '{name}' must be a bool, got {type(value).__name__}")
    return value


def _check_number(cls, name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{cls}: '{name}' must be a number, got {type(value).__name__}")
    return value


def _check_int(cls, name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{cls}: '{name}' must be an int, got {type(value).__name__}")
    return int(value)


def _check_str(cls, name, value, allowed):
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{cls}: '{name}' must be one of {list(allowed)}, got {value!r}")
    return value


def _int_tuple(cls, name, value, n, minimum=1):
    """An int or a tuple of ``n`` ints, each >= minimum, as a tuple of ``n`` ints."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (int(value),) * n
    if (not isinstance(value, (tuple, list)) or len(value) != n
            or any(isinstance(v, bool) or not isinstance(v, numbers.Integral) for v in value)):
        what = "a positive int" if minimum == 1 else "an int"
        raise ValueError(f"{cls}: '{name}' must be {what} or a tuple of {n} ints, got {value!r}")
    if any(v < minimum for v in value):
        raise ValueError(f"{cls}: '{name}' must hold ints >= {minimum}, got {tuple(value)!r}")
    return tuple(int(v) for v in value)


def _make_param(cls, init, shape, dtype, name, requires_grad=True):
    """A Parameter of ``shape`` from an initializer, a name, a number or a Tensor of that shape."""
    shape = tuple(shape)
    t = mstype.to_dtype(dtype, "dtype")
    if isinstance(init, Tensor):
        if tuple(init.shape) != shape:
            raise ValueError(f"{cls}: the initial value of '{name}' must have shape {shape}, got "
                             f"{tuple(init.shape)}")
        data = init if init.dtype is t else Tensor(init.asnumpy(), t)
        return Parameter(Tensor._wrap(data.asnumpy().copy()), name=name, requires_grad=requires_grad)
    if not isinstance(init, (Initializer, str, numbers.Number)):
        raise TypeError(f"{cls}: the initializer of '{name}' must be a Tensor, str, Initializer or number, "
                        f"got {type(init).__name__}")
    return Parameter(initializer(init, shape, t), name=name, requires_grad=requires_grad)


def _activation(cls, activation):
    """A Cell from an activation name, a Cell or a callable (or None)."""
    if activation is None:
        return None
    if isinstance(activation, str):
        from .activation import get_activation
        return get_activation(activation)
    if isinstance(activation, Cell) or callable(activation):
        return activation
    raise TypeError(f"{cls}: 'activation' must be a str, a Cell or a Primitive, got {type(activation).__name__}")


def _check_input(cls, x):
    if not isinstance(x, Tensor):
        raise TypeError(f"{cls}: the input must be a Tensor, got {type(x).__name__}")


# --- linear layers ------------------------------------------------------------------------------
class Dense(Cell):
    """Fully connected layer: ``activation(x @ weight.T + bias)``, weight of shape
    (out_channels, in_channels). Default weight HeUniform(sqrt(5)), bias U(-1/sqrt(in), 1/sqrt(in))."""

    def __init__(self, in_channels, out_channels, weight_init=None, bias_init=None, has_bias=True,
                 activation=None, dtype=mstype.float32):
        super().__init__()
        self.in_channels = _positive_int("Dense", "in_channels", in_channels)
        self.out_channels = _positive_int("Dense", "out_channels", out_channels)
        self.has_bias = _check_bool("Dense", "has_bias", has_bias)
        if weight_init is None:
            weight_init = HeUniform(math.sqrt(5))
        self.weight = _make_param("Dense", weight_init, (out_channels, in_channels), dtype, "weight")
        self.bias = None
        if self.has_bias:
            if bias_init is None:
                bias_init = Uniform(1 / math.sqrt(in_channels))
            self.bias = _make_param("Dense", bias_init, (out_channels,), dtype, "bias")
        self.activation = _activation("Dense", activation)
        self.activation_flag = self.activation is not None

    def construct(self, x):
        shape = x.shape
        if not shape or shape[-1] != self.in_channels:
            raise ValueError(f"Dense: the last dim of the input must be in_channels={self.in_channels}, "
                             f"got shape {tuple(shape)}")
        if len(shape) != 2:
            x = F.reshape(x, (-1, self.in_channels))
        y = OPS["matmul"](x, self.weight, transpose_a=False, transpose_b=True)
        if self.has_bias:
            y = F.add(y, self.bias)
        if self.activation_flag:
            y = self.activation(y)
        if len(shape) != 2:
            y = F.reshape(y, tuple(shape[:-1]) + (self.out_channels,))
        return y

    def extend_repr(self):
        s = f"input_channels={self.in_channels}, output_channels={self.out_channels}"
        if self.has_bias:
            s += f", has_bias={self.has_bias}"
        if self.activation_flag:
            s += f", activation={self.activation}"
        return s


class BiDense(Cell):
    """Bilinear layer: ``y[..., o] = x1 @ weight[o] @ x2 + bias[o]``, weight of shape
    (out_channels, in1_channels, in2_channels); default init U(-1/sqrt(in1), 1/sqrt(in1))."""

    def __init__(self, in1_channels, in2_channels, out_channels, weight_init=None, bias_init=None,
                 has_bias=True, dtype=mstype.float32):
        super().__init__()
        self.in1_channels = _positive_int("BiDense", "in1_channels", in1_channels)
        self.in2_channels = _positive_int("BiDense", "in2_channels", in2_channels)
        self.out_channels = _positive_int("BiDense", "out_channels", out_channels)
        self.has_bias = _check_bool("BiDense", "has_bias", has_bias)
        bound = 1 / math.sqrt(in1_channels)
        if weight_init is None:
            weight_init = Uniform(bound)
        self.weight = _make_param("BiDense", weight_init, (out_channels, in1_channels, in2_channels), dtype,
                                  "weight")
        self.bias = None
        if self.has_bias:
            if bias_init is None:
                bias_init = Uniform(bound)
            self.bias = _make_param("BiDense", bias_init, (out_channels,), dtype, "bias")

    def construct(self, input1, input2):
        s1 = input1.shape
        s2 = input2.shape
        if not s1 or s1[-1] != self.in1_channels or not s2 or s2[-1] != self.in2_channels:
            raise ValueError(f"BiDense: the inputs' last dims must be {self.in1_channels} and "
                             f"{self.in2_channels}, got shapes {tuple(s1)} and {tuple(s2)}")
        if tuple(s1[:-1]) != tuple(s2[:-1]):
            raise ValueError(f"BiDense: the inputs' leading dims must match, got {tuple(s1)} and {tuple(s2)}")
        x1 = F.reshape(input1, (-1, self.in1_channels))
        x2 = F.reshape(input2, (-1, self.in2_channels))
        # (N, in1) @ (in1, out*in2) -> (N, out, in2), then contract in2 with x2
        w = F.reshape(F.transpose(self.weight, (1, 0, 2)), (self.in1_channels, -1))
        t = F.reshape(OPS["matmul"](x1, w, transpose_a=False, transpose_b=False),
                      (-1, self.out_channels, self.in2_channels))
        y = F.sum(F.mul(t, F.reshape(x2, (-1, 1, self.in2_channels))), -1)
        if self.has_bias:
            y = F.add(y, self.bias)
        return F.reshape(y, tuple(s1[:-1]) + (self.out_channels,))

    def extend_repr(self):
        return (f"in1_channels={self.in1_channels}, in2_channels={self.in2_channels}, "
                f"output_channels={self.out_channels}, has_bias={self.has_bias}")


class Linear(Cell):
    """The PyTorch-style fully connected layer (MindSpore 2.x ``nn.Linear``): ``x @ weight.T + bias``
    with weight (out_features, in_features); default init as Dense's."""

    def __init__(self, in_features, out_features, bias=True, weight_init=None, bias_init=None, dtype=None):
        super().__init__()
        self.in_features = _positive_int("Linear", "in_features", in_features)
        self.out_features = _positive_int("Linear", "out_features", out_features)
        self.has_bias = _check_bool("Linear", "bias", bias)
        dt = mstype.float32 if dtype is None else dtype
        if weight_init is None:
            weight_init = HeUniform(math.sqrt(5))
        self.weight = _make_param("Linear", weight_init, (out_features, in_features), dt, "weight")
        self.bias = None
        if bias:
            if bias_init is None:
                bias_init = Uniform(1 / math.sqrt(in_features))
            self.bias = _make_param("Linear", bias_init, (out_features,), dt, "bias")

    def construct(self, x):
        shape = x.shape
        if not shape or shape[-1] != self.in_features:
            raise ValueError(f"Linear: the last dim of the input must be in_features={self.in_features}, "
                             f"got shape {tuple(shape)}")
        y = OPS["matmul"](F.reshape(x, (-1, self.in_features)), self.weight, transpose_a=False, transpose_b=True)
        if self.has_bias:
            y = F.add(y, self.bias)
        return F.reshape(y, tuple(shape[:-1]) + (self.out_features,))

    def extend_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.has_bias}"


class DenseBnAct(Cell):
    """Dense, then optionally BatchNorm1d, then an optional activation (sub-cells ``dense``,
    ``batchnorm``, ``activation``)."""

    def __init__(self, in_channels, out_channels, weight_init="normal", bias_init="zeros", has_bias=True,
                 has_bn=False, momentum=0.9, eps=1e-5, activation=None, alpha=0.2, after_fake=True):
        super().__init__()
        self.dense = Dense(in_channels, out_channels, weight_init, bias_init, has_bias)
        self.has_bn = _check_bool("DenseBnAct", "has_bn", has_bn)
        self.has_act = activation is not None
        if has_bn:
            from .normalization import BatchNorm1d
            self.batchnorm = BatchNorm1d(out_channels, eps, momentum)
        if isinstance(activation, str) and activation.lower() == "leakyrelu":
            from .activation import LeakyReLU
            self.activation = LeakyReLU(alpha)
        else:
            self.activation = _activation("DenseBnAct", activation)

    def construct(self, x):
        x = self.dense(x)
        if self.has_bn:
            x = self.batchnorm(x)
        if self.has_act:
            x = self.activation(x)
        return x


# --- shape cells --------------------------------------------------------------------------------
class Flatten(Cell):
    """Flatten the dims ``start_dim``..``end_dim`` into one (MindSpore 2.x: start_dim=1)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = _check_int("Flatten", "start_dim", start_dim)
        self.end_dim = _check_int("Flatten", "end_dim", end_dim)

    def construct(self, x):
        shape = tuple(x.shape)
        n = len(shape)
        if n == 0:
            return F.reshape(x, (1,))
        start = self.start_dim + n if self.start_dim < 0 else self.start_dim
        end = self.end_dim + n if self.end_dim < 0 else self.end_dim
        if not 0 <= start < n or not 0 <= end < n:
            raise ValueError(f"Flatten: 'start_dim' {self.start_dim} and 'end_dim' {self.end_dim} must be "
                             f"in [-{n}, {n}) for a {n}-D input")
        if start > end:
            raise ValueError(f"Flatten: 'start_dim' {self.start_dim} must not come after 'end_dim' "
                             f"{self.end_dim}")
        size = 1
        for s in shape[start:end + 1]:
            size *= s
        return F.reshape(x, shape[:start] + (size,) + shape[end + 1:])

    def extend_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Cell):
    """Split dim ``axis`` into ``unflattened_size``."""

    def __init__(self, axis, unflattened_size):
        super().__init__()
        self.axis = _check_int("Unflatten", "axis", axis)
        if not isinstance(unflattened_size, (tuple, list)) or not unflattened_size or any(
                isinstance(v, bool) or not isinstance(v, numbers.Integral) for v in unflattened_size):
            raise TypeError(f"Unflatten: 'unflattened_size' must be a non-empty tuple of ints, got "
                            f"{unflattened_size!r}")
        self.unflattened_size = tuple(int(v) for v in unflattened_size)

    def construct(self, x):
        shape = tuple(x.shape)
        axis = self.axis + len(shape) if self.axis < 0 else self.axis
        if not 0 <= axis < len(shape):
            raise ValueError(f"Unflatten: 'axis' {self.axis} is out of range for a {len(shape)}-D input")
        return F.reshape(x, shape[:axis] + self.unflattened_size + shape[axis + 1:])


class Identity(Cell):
    """Returns its input."""

    def construct(self, x):
        return x


# --- dropout ------------------------------------------------------------------------------------
class Dropout(Cell):
    """Zero each element with probability ``p`` (or ``1 - keep_prob``) in training, scaling the rest
    by 1/(1-p); the identity in inference. ``p`` takes precedence over the older ``keep_prob``."""

    def __init__(self, keep_prob=0.5, p=None, dtype=mstype.float32):
        super().__init__()
        if p is None:
            if isinstance(keep_prob, bool) or not isinstance(keep_prob, float):
                raise TypeError(f"Dropout: 'keep_prob' must be a float, got {type(keep_prob).__name__}")
            if keep_prob <= 0 or keep_prob > 1:
                raise ValueError(f"Dropout: 'keep_prob' must be in (0, 1], got {keep_prob}")
            self.drop_prob = 1.0 - keep_prob
        else:
            _check_number("Dropout", "p", p)
            if p < 0 or p >= 1:
                raise ValueError(f"Dropout: 'p' must be in [0, 1), got {p}")
            self.drop_prob = float(p)
        self.p = p
        self.keep_prob = keep_prob

    def construct(self, x):
        if not self.training or self.drop_prob == 0:
            return x
        return F.dropout(x, p=self.drop_prob, training=True)

    def extend_repr(self):
        if self.p is None:
            return f"keep_prob={self.keep_prob}"
        return f"p={self.p}"


class DropoutExt(Cell):
    """The PyTorch-style dropout: zero with probability ``p`` in training, scale the rest."""

    def __init__(self, p=0.5):
        super().__init__()
        _check_number("DropoutExt", "p", p)
        if not 0 <= p <= 1:
            raise ValueError(f"DropoutExt: 'p' must be in [0, 1], got {p}")
        self.p = float(p)

    def construct(self, x):
        if not self.training or self.p == 0:
            return x
        return F.dropout(x, p=self.p, training=True)

    def extend_repr(self):
        return f"p={self.p}"


class _ChannelDropout(Cell):
    """Zero whole channels with probability ``p`` in training (Dropout1d/2d/3d)."""

    _ndims = ()

    def __init__(self, p=0.5):
        super().__init__()
        _check_number(type(self).__name__, "p", p)
        if not 0 <= p <= 1:
            raise ValueError(f"{type(self).__name__}: 'p' must be in [0, 1], got {p}")
        self.p = float(p)
        self.keep_prob = 1.0 - self.p

    def construct(self, x):
        if x.ndim not in self._ndims:
            raise ValueError(f"{type(self).__name__}: the input must be {' or '.join(map(str, self._ndims))}-D, "
                             f"got shape {tuple(x.shape)}")
        if not self.training or self.p == 0:
            return x
        # the mask is drawn by a primitive, so a compiled graph draws a new one every step
        return self._dropout(x, p=self.p, training=True)

    def extend_repr(self):
        return f"p={self.p}"


class Dropout1d(_ChannelDropout):
    """Channel dropout for (N, C, L) or (C, L) inputs."""

    _ndims = (2, 3)

    @staticmethod
    def _dropout(x, p, training):
        return F.dropout1d(x, p, training)


class Dropout2d(_ChannelDropout):
    """Channel dropout for (N, C, H, W) inputs."""

    _ndims = (4,)

    @staticmethod
    def _dropout(x, p, training):
        return F.dropout2d(x, p, training)


class Dropout2dExt(Dropout2d):
    """The PyTorch-style channel dropout for (N, C, H, W) inputs."""


class Dropout3d(_ChannelDropout):
    """Channel dropout for (N, C, D, H, W) inputs."""

    _ndims = (5,)

    @staticmethod
    def _dropout(x, p, training):
        return F.dropout3d(x, p, training)


# --- padding ------------------------------------------------------------------------------------
class Pad(Cell):
    """Pad with ``paddings``, one (before, after) pair per input dim; mode 'CONSTANT' (zeros),
    'REFLECT' or 'SYMMETRIC'."""

    def __init__(self, paddings, mode="CONSTANT"):
        super().__init__()
        if not isinstance(paddings, (tuple, list)) or any(
                not isinstance(p, (tuple, list)) or len(p) != 2 for p in paddings):
            raise TypeError(f"Pad: 'paddings' must be a tuple of (before, after) pairs, got {paddings!r}")
        for pair in paddings:
            for v in pair:
                _non_negative_int("Pad", "paddings", v)
        self.paddings = tuple(tuple(int(v) for v in p) for p in paddings)
        self.mode = _check_str("Pad", "mode", mode.upper() if isinstance(mode, str) else mode,
                               ("CONSTANT", "REFLECT", "SYMMETRIC"))

    def construct(self, x):
        if len(self.paddings) != x.ndim:
            raise ValueError(f"Pad: 'paddings' has {len(self.paddings)} pairs for a {x.ndim}-D input")
        if self.mode == "SYMMETRIC":
            return _symmetric_pad(x, self.paddings)
        flat = ()
        for before, after in reversed(self.paddings):
            flat += (before, after)
        mode = "constant" if self.mode == "CONSTANT" else "reflect"
        return F.pad(x, flat, mode=mode) if mode == "reflect" else F.pad(x, flat, mode=mode, value=0)

    def extend_repr(self):
        return f"paddings={self.paddings}, mode={self.mode}"


def _symmetric_pad(x, paddings):
    """Mirror padding that repeats the edge element, built from slices, flips and concats."""
    for axis, (before, after) in enumerate(paddings):
        n = x.shape[axis]
        if before > n or after > n:
            raise ValueError(f"Pad: SYMMETRIC padding {before, after} is larger than dim {axis} ({n})")
        parts = []
        if before:
            parts.append(F.flip(_take(x, axis, 0, before), (axis,)))
        parts.append(x)
        if after:
            parts.append(F.flip(_take(x, axis, n - after, n), (axis,)))
        if len(parts) > 1:
            x = F.concat(parts, axis)
    return x


def _take(x, axis, start, stop):
    begin = [0] * x.ndim
    size = list(x.shape)
    begin[axis] = start
    size[axis] = stop - start
    return F.slice(x, begin, size)


class _PadNd(Cell):
    """Pads the last ``_n`` dims; ``padding`` is an int or (left, right[, top, bottom[, front, back]])."""

    _n = 1
    _mode = "constant"

    def __init__(self, padding, value=None):
        super().__init__()
        cls = type(self).__name__
        if isinstance(padding, numbers.Integral) and not isinstance(padding, bool):
            padding = (int(padding),) * (2 * self._n)
        if (not isinstance(padding, (tuple, list)) or len(padding) % 2 or len(padding) > 2 * self._n
                or any(isinstance(v, bool) or not isinstance(v, numbers.Integral) for v in padding)):
            raise TypeError(f"{cls}: 'padding' must be an int or a tuple of up to {2 * self._n} ints, got "
                            f"{padding!r}")
        if self._mode != "constant" and any(v < 0 for v in padding):
            raise ValueError(f"{cls}: 'padding' must be non-negative, got {tuple(padding)}")
        self.padding = tuple(int(v) for v in padding)
        if value is not None:
            _check_number(cls, "value", value)
        self.value = value

    def construct(self, x):
        if x.ndim < len(self.padding) // 2 + 1:
            raise ValueError(f"{type(self).__name__}: the input needs at least {len(self.padding) // 2 + 1} "
                             f"dims, got shape {tuple(x.shape)}")
        if self._mode == "constant":
            return F.pad(x, self.padding, mode="constant", value=self.value)
        return F.pad(x, self.padding, mode=self._mode)

    def extend_repr(self):
        if self._mode == "constant":
            return f"padding={self.padding}, value={self.value}"
        return f"padding={self.padding}"


class ConstantPad1d(_PadNd):
    """Pad the last dim with ``value``."""

    _n = 1

    def __init__(self, padding, value):
        super().__init__(padding, value)


class ConstantPad2d(_PadNd):
    """Pad the last 2 dims with ``value``."""

    _n = 2

    def __init__(self, padding, value):
        super().__init__(padding, value)


class ConstantPad3d(_PadNd):
    """Pad the last 3 dims with ``value``."""

    _n = 3

    def __init__(self, padding, value):
        super().__init__(padding, value)


class ZeroPad2d(_PadNd):
    """Pad the last 2 dims with zeros."""

    _n = 2

    def __init__(self, padding):
        super().__init__(padding, 0)


class ReflectionPad1d(_PadNd):
    """Reflect-pad the last dim (the edge is not repeated)."""

    _n = 1
    _mode = "reflect"

    def __init__(self, padding):
        super().__init__(padding)


class ReflectionPad2d(ReflectionPad1d):
    """Reflect-pad the last 2 dims."""

    _n = 2


class ReflectionPad3d(ReflectionPad1d):
    """Reflect-pad the last 3 dims."""

    _n = 3


class ReplicationPad1d(_PadNd):
    """Pad the last dim by repeating the edge value."""

    _n = 1
    _mode = "replicate"

    def __init__(self, padding):
        super().__init__(padding)


class ReplicationPad2d(ReplicationPad1d):
    """Replicate-pad the last 2 dims."""

    _n = 2


class ReplicationPad3d(ReplicationPad1d):
    """Replicate-pad the last 3 dims."""

    _n = 3


# --- resampling ---------------------------------------------------------------------------------
class Upsample(Cell):
    """Resize by ``size`` or ``scale_factor`` with ``ops.interpolate``."""

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        if size is None and scale_factor is None:
            raise ValueError("Upsample: one of 'size' and 'scale_factor' must be given")
        if size is not None and scale_factor is not None:
            raise ValueError("Upsample: only one of 'size' and 'scale_factor' may be given")
        self.size = size
        self.scale_factor = scale_factor
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def construct(self, x):
        return F.interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners,
                             self.recompute_scale_factor)

    def extend_repr(self):
        return f"size={self.size}, scale_factor={self.scale_factor}, mode={self.mode}"


class PixelShuffle(Cell):
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r)."""

    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = _positive_int("PixelShuffle", "upscale_factor", upscale_factor)

    def construct(self, x):
        return F.pixel_shuffle(x, self.upscale_factor)


class PixelUnshuffle(Cell):
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W)."""

    def __init__(self, downscale_factor):
        super().__init__()
        self.downscale_factor = _positive_int("PixelUnshuffle", "downscale_factor", downscale_factor)

    def construct(self, x):
        return F.pixel_unshuffle(x, self.downscale_factor)


class ChannelShuffle(Cell):
    """Interleave the channels of ``groups`` groups: (N, g*k, ...) -> (N, k*g, ...)."""

    def __init__(self, groups):
        super().__init__()
        self.groups = _positive_int("ChannelShuffle", "groups", groups)

    def construct(self, x):
        g = self.groups
        shape = tuple(x.shape)
        if len(shape) < 3 or shape[1] % g:
            raise ValueError(f"ChannelShuffle: the input needs >= 3 dims and channels divisible by {g}, "
                             f"got shape {shape}")
        y = F.reshape(x, (shape[0], g, shape[1] // g) + shape[2:])
        perm = (0, 2, 1) + tuple(range(3, len(shape) + 1))
        return F.reshape(F.transpose(y, perm), shape)


# the math and image cells live in basic_math.py (this file would pass ~800 lines); they are part
# of this module's public names so that nn.layer picks them up
from .basic_math import *  # noqa: E402,F401,F403
from . import basic_math as _basic_math  # noqa: E402

__all__ += _basic_math.__all__
