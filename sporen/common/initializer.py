"""Parameter initializers (MindSpore's ``mindspore.common.initializer``)."""
import math
import numbers

import numpy as np

from .. import dtype as mstype
from ..context import RANDOM

__all__ = ["Initializer", "initializer", "Zero", "One", "Constant", "Normal", "Uniform",
           "TruncatedNormal", "XavierUniform", "XavierNormal", "HeUniform", "HeNormal",
           "Orthogonal", "Identity", "Dirac", "Sparse", "VarianceScaling"]


def _fans(shape, name="initializer"):
    if len(shape) < 2:
        raise ValueError(f"{name}: fan_in and fan_out need a shape of at least 2 dims, got {list(shape)}")
    receptive = 1
    for s in shape[2:]:
        receptive *= s
    return shape[1] * receptive, shape[0] * receptive


def _check_number(cls, name, value, positive=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{cls}: '{name}' must be a number, got {type(value).__name__}")
    if positive and value <= 0:
        raise ValueError(f"{cls}: '{name}' must be positive, got {value}")


def _gain(nonlinearity, param=None):
    linear = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
              "conv_transpose3d", "sigmoid")
    if nonlinearity in linear:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"initializer: unsupported nonlinearity {nonlinearity!r}")


class Initializer:
    """Base class of initializers.

    A built-in initializer computes its values in ``_fill(shape, rng)``. A user's subclass may,
    as in MindSpore, override ``_initialize(self, arr)`` instead and write into the numpy array
    ``arr`` in place. Randomness comes from the generator that ``set_seed`` resets.
    """

    def __init__(self, **kwargs):
        self._kwargs = kwargs
        self.shape = None
        self.dtype = mstype.float32

    def _fill(self, shape, rng):
        if type(self)._initialize is Initializer._initialize:
            raise NotImplementedError(f"{type(self).__name__}: an Initializer must define _initialize(arr)")
        arr = np.zeros(shape, dtype=np.float64)
        self._initialize(arr)
        return arr

    def _initialize(self, arr):
        arr[...] = self._fill(arr.shape, RANDOM.generator)

    def __call__(self, arr):
        """Fill the numpy array ``arr`` in place."""
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"{type(self).__name__}: 'arr' must be a numpy.ndarray, got {type(arr).__name__}")
        self._initialize(arr)

    def init_data(self):
        return _materialize(self, self.shape, self.dtype.np)

    def __repr__(self):
        args = ", ".join(f"{k}={v}" for k, v in self._kwargs.items())
        return f"{type(self).__name__}({args})"


class Zero(Initializer):
    """All zeros."""

    def _fill(self, shape, rng):
        return np.zeros(shape)


class One(Initializer):
    """All ones."""

    def _fill(self, shape, rng):
        return np.ones(shape)


class Constant(Initializer):
    """Every element set to ``value``."""

    def __init__(self, value):
        super().__init__(value=value)
        self.value = value

    def _fill(self, shape, rng):
        return np.full(shape, self.value)


class Normal(Initializer):
    """Normal(mean, sigma); MindSpore's default sigma is 0.01."""

    def __init__(self, sigma=0.01, mean=0.0):
        super().__init__(sigma=sigma, mean=mean)
        _check_number("Normal", "sigma", sigma, positive=True)
        _check_number("Normal", "mean", mean)
        self.sigma = sigma
        self.mean = mean

    def _fill(self, shape, rng):
        return rng.normal(self.mean, self.sigma, size=shape)


class Uniform(Initializer):
    """Uniform(-scale, scale); MindSpore's default scale is 0.07."""

    def __init__(self, scale=0.07):
        super().__init__(scale=scale)
        _check_number("Uniform", "scale", scale, positive=True)
        self.scale = scale

    def _fill(self, shape, rng):
        return rng.uniform(-self.scale, self.scale, size=shape)


class TruncatedNormal(Initializer):
    """Normal(mean, sigma) truncated to [a, b] by resampling."""

    def __init__(self, sigma=0.01, mean=0.0, a=-2.0, b=2.0):
        super().__init__(sigma=sigma, mean=mean, a=a, b=b)
        _check_number("TruncatedNormal", "sigma", sigma, positive=True)
        if not a < b:
            raise ValueError(f"TruncatedNormal: 'a' must be less than 'b', got a={a}, b={b}")
        self.sigma, self.mean, self.a, self.b = sigma, mean, a, b

    def _fill(self, shape, rng):
        out = rng.normal(self.mean, self.sigma, size=shape)
        bad = (out < self.a) | (out > self.b)
        while bad.any():
            out[bad] = rng.normal(self.mean, self.sigma, size=int(bad.sum()))
            bad = (out < self.a) | (out > self.b)
        return out


class XavierUniform(Initializer):
    """Glorot uniform: U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out))."""

    def __init__(self, gain=1):
        super().__init__(gain=gain)
        self.gain = gain

    def _fill(self, shape, rng):
        fan_in, fan_out = _fans(shape, "XavierUniform")
        bound = self.gain * math.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-bound, bound, size=shape)


class XavierNormal(Initializer):
    """Glorot normal: N(0, gain * sqrt(2 / (fan_in + fan_out)))."""

    def __init__(self, gain=1):
        super().__init__(gain=gain)
        self.gain = gain

    def _fill(self, shape, rng):
        fan_in, fan_out = _fans(shape, "XavierNormal")
        return rng.normal(0, self.gain * math.sqrt(2.0 / (fan_in + fan_out)), size=shape)


class HeUniform(Initializer):
    """Kaiming uniform: U(-b, b), b = gain(nonlinearity, a) * sqrt(3 / fan)."""

    def __init__(self, negative_slope=0, mode="fan_in", nonlinearity="leaky_relu"):
        super().__init__(negative_slope=negative_slope, mode=mode, nonlinearity=nonlinearity)
        if mode not in ("fan_in", "fan_out"):
            raise ValueError(f"HeUniform: 'mode' must be 'fan_in' or 'fan_out', got {mode!r}")
        self.negative_slope, self.mode, self.nonlinearity = negative_slope, mode, nonlinearity

    def _fill(self, shape, rng):
        fan_in, fan_out = _fans(shape, "HeUniform")
        fan = fan_in if self.mode == "fan_in" else fan_out
        bound = _gain(self.nonlinearity, self.negative_slope) * math.sqrt(3.0 / fan)
        return rng.uniform(-bound, bound, size=shape)


class HeNormal(Initializer):
    """Kaiming normal: N(0, gain(nonlinearity, a) / sqrt(fan))."""

    def __init__(self, negative_slope=0, mode="fan_in", nonlinearity="leaky_relu"):
        super().__init__(negative_slope=negative_slope, mode=mode, nonlinearity=nonlinearity)
        if mode not in ("fan_in", "fan_out"):
            raise ValueError(f"HeNormal: 'mode' must be 'fan_in' or 'fan_out', got {mode!r}")
        self.negative_slope, self.mode, self.nonlinearity = negative_slope, mode, nonlinearity

    def _fill(self, shape, rng):
        fan_in, fan_out = _fans(shape, "HeNormal")
        fan = fan_in if self.mode == "fan_in" else fan_out
        return rng.normal(0, _gain(self.nonlinearity, self.negative_slope) / math.sqrt(fan), size=shape)


class Orthogonal(Initializer):
    """A (semi-)orthogonal matrix times ``gain``, from the QR decomposition of a normal matrix."""

    def __init__(self, gain=1.0):
        super().__init__(gain=gain)
        self.gain = gain

    def _fill(self, shape, rng):
        if len(shape) < 2:
            raise ValueError(f"Orthogonal: needs a shape of at least 2 dims, got {list(shape)}")
        rows = shape[0]
        cols = int(np.prod(shape[1:]))
        flat = rng.normal(size=(rows, cols))
        if rows < cols:
            flat = flat.T
        q, r = np.linalg.qr(flat)
        q = q * np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return self.gain * q.reshape(shape)


class Identity(Initializer):
    """The identity matrix (2-D shapes)."""

    def _fill(self, shape, rng):
        if len(shape) != 2:
            raise ValueError(f"Identity: needs a 2-D shape, got {list(shape)}")
        return np.eye(shape[0], shape[1])


class Dirac(Initializer):
    """Dirac delta for convolution weights: keeps the input's channels (groups supported)."""

    def __init__(self, groups=1):
        super().__init__(groups=groups)
        if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
            raise ValueError(f"Dirac: 'groups' must be a positive int, got {groups!r}")
        self.groups = groups

    def _fill(self, shape, rng):
        if len(shape) not in (3, 4, 5):
            raise ValueError(f"Dirac: needs a 3-, 4- or 5-D shape, got {list(shape)}")
        if shape[0] % self.groups:
            raise ValueError(f"Dirac: out channels {shape[0]} must be divisible by groups {self.groups}")
        out = np.zeros(shape)
        per = shape[0] // self.groups
        centre = tuple(s // 2 for s in shape[2:])
        for g in range(self.groups):
            for d in range(min(per, shape[1])):
                out[(g * per + d, d) + centre] = 1
        return out


class Sparse(Initializer):
    """A 2-D matrix with a fraction ``sparsity`` of each column zero, the rest N(0, sigma)."""

    def __init__(self, sparsity, sigma=0.01):
        super().__init__(sparsity=sparsity, sigma=sigma)
        _check_number("Sparse", "sparsity", sparsity)
        if not 0 <= sparsity <= 1:
            raise ValueError(f"Sparse: 'sparsity' must be in [0, 1], got {sparsity}")
        self.sparsity, self.sigma = sparsity, sigma

    def _fill(self, shape, rng):
        if len(shape) != 2:
            raise ValueError(f"Sparse: needs a 2-D shape, got {list(shape)}")
        rows, cols = shape
        out = rng.normal(0, self.sigma, size=shape)
        zeros = int(math.ceil(self.sparsity * rows))
        for c in range(cols):
            out[rng.permutation(rows)[:zeros], c] = 0
        return out


class VarianceScaling(Initializer):
    """Scale / fan variance, from a truncated normal, normal or uniform distribution."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal"):
        super().__init__(scale=scale, mode=mode, distribution=distribution)
        _check_number("VarianceScaling", "scale", scale, positive=True)
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"VarianceScaling: 'mode' must be fan_in, fan_out or fan_avg, got {mode!r}")
        if distribution not in ("uniform", "truncated_normal", "untruncated_normal"):
            raise ValueError(f"VarianceScaling: bad 'distribution' {distribution!r}")
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def _fill(self, shape, rng):
        fan_in, fan_out = _fans(shape, "VarianceScaling") if len(shape) >= 2 else (shape[0], shape[0])
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        var = self.scale / max(1.0, fan)
        if self.distribution == "uniform":
            b = math.sqrt(3 * var)
            return rng.uniform(-b, b, size=shape)
        if self.distribution == "untruncated_normal":
            return rng.normal(0, math.sqrt(var), size=shape)
        std = math.sqrt(var) / 0.87962566103423978
        return TruncatedNormal(std, 0, -2 * std, 2 * std)._fill(shape, rng)


_BY_NAME = {
    "zeros": Zero, "zero": Zero, "ones": One, "one": One, "normal": Normal, "uniform": Uniform,
    "truncatednormal": TruncatedNormal, "xavier_uniform": XavierUniform, "xavieruniform": XavierUniform,
    "xavier_normal": XavierNormal, "xaviernormal": XavierNormal, "he_uniform": HeUniform,
    "heuniform": HeUniform, "he_normal": HeNormal, "henormal": HeNormal, "orthogonal": Orthogonal,
    "identity": Identity, "dirac": Dirac, "variancescaling": VarianceScaling, "sparse": Sparse,
    "constant": Constant,
}


def _materialize(init, shape, np_dtype):
    rng = RANDOM.generator
    if isinstance(init, Initializer):
        data = init._fill(tuple(shape), rng)
        if not isinstance(data, np.ndarray) or data.shape != tuple(shape):
            data = np.broadcast_to(np.asarray(data), tuple(shape))
    elif isinstance(init, str):
        data = _by_name(init)._fill(tuple(shape), rng)
    elif isinstance(init, numbers.Number):
        data = np.full(shape, init)
    else:
        raise TypeError(f"initializer: 'init' must be an Initializer, a str or a number, got {init!r}")
    return np.asarray(data).astype(np_dtype)


def _by_name(name):
    cls = _BY_NAME.get(name.lower())
    if cls is None:
        raise ValueError(f"initializer: unknown initializer name {name!r}; known: {sorted(_BY_NAME)}")
    try:
        return cls()
    except TypeError:
        raise ValueError(f"initializer: {name!r} needs arguments; pass {cls.__name__}(...) instead") from None


def initializer(init, shape=None, dtype=mstype.float32):
    """A Tensor of ``shape`` and ``dtype`` filled by ``init`` (an Initializer, a name such as
    'normal' or 'xavier_uniform', a number, or a Tensor whose shape must match)."""
    from ..tensor import Tensor
    if isinstance(init, Tensor):
        if shape is not None and tuple(init.shape) != tuple(shape if not isinstance(shape, int) else (shape,)):
            raise ValueError(f"initializer: the Tensor's shape {init.shape} differs from 'shape' {shape}")
        return init
    if shape is None:
        raise ValueError("initializer: 'shape' is required")
    if isinstance(shape, numbers.Integral):
        shape = (int(shape),)
    shape = tuple(int(s) for s in shape)
    for s in shape:
        if s < 0:
            raise ValueError(f"initializer: 'shape' must hold non-negative ints, got {list(shape)}")
    t = mstype.to_dtype(dtype)
    if isinstance(init, str):
        init = _by_name(init)
    if not isinstance(init, (Initializer, numbers.Number)):
        raise TypeError(f"initializer: 'init' must be an Initializer, a str, a number or a Tensor, got "
                        f"{type(init).__name__}")
    return Tensor._wrap(_materialize(init, shape, t.np))
