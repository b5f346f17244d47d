"""Activation layers and ``get_activation`` (MindSpore's ``nn.layer.activation``)."""
import numbers

from ... import dtype as mstype
from ...common.initializer import initializer
from ...ops import functional as F
from ...tensor import Parameter, Tensor
from ..cell import Cell
from .basic import _check_bool, _check_int, _check_number, _positive_int

__all__ = ["ReLU", "ReLU6", "LeakyReLU", "ELU", "SeLU", "CELU", "GELU", "FastGelu", "SiLU", "Mish",
           "Sigmoid", "Tanh", "Softmax", "Softmax2d", "LogSoftmax", "Softmin", "Softplus", "Softsign",
           "HSwish", "HSigmoid", "Hardtanh", "HShrink", "SoftShrink", "Tanhshrink", "LogSigmoid",
           "PReLU", "PReLUExt", "LogSoftmaxExt", "GLU", "Threshold", "RReLU", "get_activation"]


def _check_float_input(cls, x):
    if not isinstance(x, Tensor):
        raise TypeError(f"{cls}: the input must be a Tensor, got {type(x).__name__}")


class ReLU(Cell):
    """``max(x, 0)``."""

    def construct(self, x):
        return F.relu(x)


class ReLU6(Cell):
    """``min(max(x, 0), 6)``."""

    def construct(self, x):
        return F.relu6(x)


class LeakyReLU(Cell):
    """``x`` for x >= 0, ``alpha * x`` otherwise (MindSpore's default alpha is 0.2)."""

    def __init__(self, alpha=0.2):
        super().__init__()
        self.alpha = _check_number("LeakyReLU", "alpha", alpha)

    def construct(self, x):
        return F.leaky_relu(x, self.alpha)

    def extend_repr(self):
        return f"alpha={self.alpha}"


class ELU(Cell):
    """``x`` for x > 0, ``alpha * (exp(x) - 1)`` otherwise."""

    def __init__(self, alpha=1.0):
        super().__init__()
        self.alpha = _check_number("ELU", "alpha", alpha)

    def construct(self, x):
        return F.elu(x, self.alpha)


class SeLU(Cell):
    """Scaled ELU with the fixed self-normalising constants."""

    def construct(self, x):
        return F.selu(x)


class CELU(Cell):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""

    def __init__(self, alpha=1.0):
        super().__init__()
        _check_number("CELU", "alpha", alpha)
        if alpha == 0:
            raise ValueError("CELU: 'alpha' must not be 0")
        self.alpha = alpha

    def construct(self, x):
        return F.celu(x, self.alpha)


class GELU(Cell):
    """Gaussian error linear unit; MindSpore's nn.GELU uses the tanh approximation by default."""

    def __init__(self, approximate=True):
        super().__init__()
        self.approximate = _check_bool("GELU", "approximate", approximate)

    def construct(self, x):
        return F.gelu(x, approximate="tanh" if self.approximate else "none")


class FastGelu(Cell):
    """``x / (1 + exp(-1.702 |x|)) * exp(0.851 (x - |x|))``."""

    def construct(self, x):
        return F.fast_gelu(x)


class SiLU(Cell):
    """``x * sigmoid(x)``."""

    def construct(self, x):
        return F.silu(x)


class Mish(Cell):
    """``x * tanh(softplus(x))``."""

    def construct(self, x):
        return F.mish(x)


class Sigmoid(Cell):
    """``1 / (1 + exp(-x))``."""

    def construct(self, x):
        return F.sigmoid(x)


class Tanh(Cell):
    """Hyperbolic tangent."""

    def construct(self, x):
        return F.tanh(x)


class Softmax(Cell):
    """Softmax over ``axis``."""

    def __init__(self, axis=-1):
        super().__init__()
        if isinstance(axis, (tuple, list)):
            if len(axis) != 1:
                raise ValueError(f"Softmax: 'axis' must be an int or a tuple of one int, got {axis!r}")
            axis = axis[0]
        self.axis = _check_int("Softmax", "axis", axis)

    def construct(self, x):
        return F.softmax(x, self.axis)


class Softmax2d(Cell):
    """Softmax over the channel dim of (C, H, W) or (N, C, H, W) inputs."""

    def construct(self, x):
        if x.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: the input must be 3-D or 4-D, got shape {tuple(x.shape)}")
        return F.softmax(x, -3)


class LogSoftmax(Cell):
    """``log(softmax(x))`` over ``axis``, computed stably."""

    def __init__(self, axis=-1):
        super().__init__()
        self.axis = _check_int("LogSoftmax", "axis", axis)

    def construct(self, x):
        return F.log_softmax(x, self.axis)


class Softmin(Cell):
    """``softmax(-x)`` over ``axis``."""

    def __init__(self, axis=-1):
        super().__init__()
        if isinstance(axis, (tuple, list)):
            if len(axis) != 1:
                raise ValueError(f"Softmin: 'axis' must be an int or a tuple of one int, got {axis!r}")
            axis = axis[0]
        self.axis = _check_int("Softmin", "axis", axis)

    def construct(self, x):
        return F.softmin(x, self.axis)


class Softplus(Cell):
    """``log(1 + exp(beta x)) / beta``, linear above ``threshold``."""

    def __init__(self, beta=1, threshold=20):
        super().__init__()
        self.beta = _check_number("Softplus", "beta", beta)
        self.threshold = _check_number("Softplus", "threshold", threshold)

    def construct(self, x):
        return F.softplus(x, self.beta, self.threshold)


class Softsign(Cell):
    """``x / (1 + |x|)``."""

    def construct(self, x):
        return F.softsign(x)


class HSwish(Cell):
    """Hard swish: ``x * relu6(x + 3) / 6``."""

    def construct(self, x):
        return F.hardswish(x)


class HSigmoid(Cell):
    """Hard sigmoid: ``relu6(x + 3) / 6``."""

    def construct(self, x):
        return F.hardsigmoid(x)


class Hardtanh(Cell):
    """Clamp to [min_val, max_val]."""

    def __init__(self, min_val=-1.0, max_val=1.0):
        super().__init__()
        _check_number("Hardtanh", "min_val", min_val)
        _check_number("Hardtanh", "max_val", max_val)
        if min_val >= max_val:
            raise ValueError(f"Hardtanh: 'min_val' must be less than 'max_val', got {min_val} and {max_val}")
        self.min_val = min_val
        self.max_val = max_val

    def construct(self, x):
        return F.hardtanh(x, self.min_val, self.max_val)


class HShrink(Cell):
    """``x`` where |x| > lambd, else 0."""

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = _check_number("HShrink", "lambd", lambd)

    def construct(self, input_x):
        return F.hardshrink(input_x, self.lambd)


class SoftShrink(Cell):
    """``x - lambd`` above lambd, ``x + lambd`` below -lambd, else 0."""

    def __init__(self, lambd=0.5):
        super().__init__()
        _check_number("SoftShrink", "lambd", lambd)
        if lambd < 0:
            raise ValueError(f"SoftShrink: 'lambd' must be non-negative, got {lambd}")
        self.lambd = lambd

    def construct(self, input_x):
        return F.softshrink(input_x, self.lambd)


class Tanhshrink(Cell):
    """``x - tanh(x)``."""

    def construct(self, x):
        return F.sub(x, F.tanh(x))


class LogSigmoid(Cell):
    """``log(sigmoid(x))``, computed stably."""

    def construct(self, input_x):
        return F.logsigmoid(input_x)


class PReLU(Cell):
    """``max(0, x) + w * min(0, x)`` with a learnable slope ``w`` (one, or one per channel)."""

    def __init__(self, channel=1, w=0.25):
        super().__init__()
        self.channel = _positive_int("PReLU", "channel", channel)
        if isinstance(w, (numbers.Real,)) and not isinstance(w, bool):
            w = initializer(float(w), (channel,), mstype.float32)
        elif isinstance(w, (list, tuple)):
            if len(w) != channel:
                raise ValueError(f"PReLU: 'w' must have {channel} values, got {len(w)}")
            w = Tensor(list(w), mstype.float32)
        elif isinstance(w, Tensor):
            if w.dtype not in (mstype.float16, mstype.float32):
                raise TypeError(f"PReLU: 'w' must be float16 or float32, got {w.dtype}")
            if w.ndim != 1 or w.shape[0] != channel:
                raise ValueError(f"PReLU: 'w' must be 1-D with {channel} values, got shape {tuple(w.shape)}")
        else:
            raise TypeError(f"PReLU: 'w' must be a number, a list/tuple or a Tensor, got {type(w).__name__}")
        # MindSpore names this parameter "a" (checkpoints store prelu.a)
        self.w = Parameter(w, name="a")

    def construct(self, x):
        return F.prelu(x, self.w)


class PReLUExt(Cell):
    """The PyTorch-style PReLU (``mint.nn.PReLU``): a learnable ``weight`` of ``num_parameters``
    slopes, all ``init`` at first."""

    def __init__(self, num_parameters=1, init=0.25, dtype=None):
        super().__init__()
        self.num_parameters = _positive_int("PReLUExt", "num_parameters", num_parameters)
        _check_number("PReLUExt", "init", init)
        dt = mstype.float32 if dtype is None else dtype
        self.weight = Parameter(initializer(float(init), (num_parameters,), dt), name="weight")

    def construct(self, input):
        return F.prelu(input, self.weight)

    def extend_repr(self):
        return f"num_parameters={self.num_parameters}"


class LogSoftmaxExt(Cell):
    """``log_softmax`` over ``dim``; with ``dim=None`` the legacy choice: 0 for 0-, 1- and 3-D
    inputs, else 1."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = None if dim is None else _check_int("LogSoftmaxExt", "dim", dim)

    def construct(self, input):
        dim = self.dim
        if dim is None:
            dim = 0 if input.ndim in (0, 1, 3) else 1
        return F.log_softmax(input, dim)


class GLU(Cell):
    """Gated linear unit: split ``x`` in two along ``axis``, ``a * sigmoid(b)``."""

    def __init__(self, axis=-1):
        super().__init__()
        self.dim = _check_int("GLU", "axis", axis)

    def construct(self, x):
        return F.glu(x, self.dim)


class Threshold(Cell):
    """``x`` where x > threshold, else ``value``."""

    def __init__(self, threshold, value):
        super().__init__()
        self.threshold = _check_number("Threshold", "threshold", threshold)
        self.value = _check_number("Threshold", "value", value)

    def construct(self, input_x):
        return F.threshold(input_x, self.threshold, self.value)


class RReLU(Cell):
    """Randomized leaky ReLU: slope drawn from U(lower, upper) in training, their mean otherwise."""

    def __init__(self, lower=1 / 8, upper=1 / 3):
        super().__init__()
        _check_number("RReLU", "lower", lower)
        _check_number("RReLU", "upper", upper)
        if lower > upper:
            raise ValueError(f"RReLU: 'lower' must be <= 'upper', got {lower} and {upper}")
        self.lower = lower
        self.upper = upper

    def construct(self, x):
        if not self.training:
            return F.leaky_relu(x, (self.lower + self.upper) / 2)
        return F.rrelu(x, self.lower, self.upper)


_ACTIVATIONS = {
    "softmax": Softmax, "logsoftmax": LogSoftmax, "relu": ReLU, "relu6": ReLU6, "rrelu": RReLU,
    "silu": SiLU, "tanh": Tanh, "tanhshrink": Tanhshrink, "hardtanh": Hardtanh, "gelu": GELU,
    "fast_gelu": FastGelu, "elu": ELU, "sigmoid": Sigmoid, "softsign": Softsign, "prelu": PReLU,
    "leakyrelu": LeakyReLU, "hswish": HSwish, "hsigmoid": HSigmoid, "logsigmoid": LogSigmoid,
    "softshrink": SoftShrink, "hshrink": HShrink, "threshold": Threshold, "mish": Mish,
    "softmin": Softmin, "softmax2d": Softmax2d, "softplus": Softplus, "selu": SeLU, "celu": CELU, "glu": GLU,
}


def get_activation(name, prelu_para=None):
    """The activation Cell for ``name`` (e.g. 'relu', 'gelu', 'leakyrelu'); None for None.
    ``prelu_para`` is passed to PReLU."""
    if name is None:
        return None
    if not isinstance(name, str):
        raise TypeError(f"get_activation: 'name' must be a str, got {type(name).__name__}")
    cls = _ACTIVATIONS.get(name.lower())
    if cls is None:
        raise KeyError(f"get_activation: unknown activation {name!r}; known: {sorted(_ACTIVATIONS)}")
    if cls is PReLU and prelu_para is not None:
        return PReLU(**prelu_para) if isinstance(prelu_para, dict) else PReLU(prelu_para)
    if cls is Threshold:
        raise ValueError("get_activation: 'threshold' needs arguments; use nn.Threshold(threshold, value)")
    return cls()
