"""Activation functions (MindSpore's ``ops.relu``, ``ops.gelu``...): relu, gelu and silu are
primitives with their own gradient rules (they sit on every hot path); the rest are composites
of elementwise primitives, so fusion sees through them."""
import math

import numpy as np

from . import _rules as R
from ._helpers import check_tensor
from .elementwise import (_const, _in_place_safe, _sigmoid_kernel, abs_p, add_p, cast_p, div_p, exp_p, greater_p,
                          maximum_p, minimum_p, mul_p, sigmoid_p, sub_p, tanh_p, where_p)
from .elementwise_math import _erf_kernel, erf_p, expm1_p, log1p_p
from .registry import OPS, register

__all__ = ["relu", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "fast_gelu", "silu", "mish",
           "softplus", "softsign", "hardswish", "hardsigmoid", "hardtanh", "hardshrink", "softshrink",
           "soft_shrink", "tanhshrink", "logsigmoid", "prelu", "glu", "swiglu", "rrelu", "threshold"]

_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TANH_K = math.sqrt(2.0 / math.pi)
_TANH_C = 0.044715
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _float(name, x):
    check_tensor(name, x)
    if x.dtype.kind not in "f":
        raise TypeError(f"{name}: 'input' must be a float tensor, got {x.dtype}")
    return x


def _number(name, v, argname):
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: '{argname}' must be a float, got {type(v).__name__}")
    return float(v)


# --- relu -----------------------------------------------------------------------------------------
def _relu_kernel(x):
    return np.maximum(x, 0)  # a Python 0 is a weak scalar (NEP 50): the dtype stays x's


def _relu_grad_kernel(dout, out):
    return np.where(out > 0, dout, dout.dtype.type(0))


def _relu_grad_rule(dout, out):
    return R.broadcast("relu_grad")(dout, out)


# relu's gradient is one kernel (not compare, cast and multiply); it is linear in dout, so its own
# gradient is itself
relu_grad_p = register("relu_grad", infer=_relu_grad_rule, kernel=_relu_grad_kernel,
                       bprop=lambda dout, out, res, ddout: (relu_grad_p(ddout, out), None),
                       expr="({1} > 0 ? {0} : 0)", family="activation")
relu_p = register("relu", infer=R.same("relu"), kernel=_relu_kernel,
                  bprop=lambda x, out, dout: (relu_grad_p(dout, out),), expr="fmax({0}, 0)",
                  family="activation")


def relu(input):
    """``max(input, 0)``."""
    check_tensor("relu", input)
    return relu_p(input)


def relu6(x):
    """``min(max(x, 0), 6)``."""
    check_tensor("relu6", x)
    return minimum_p(relu_p(x), _const(6, x))


# --- gelu ---------------------------------------------------------------------------------------------
@_in_place_safe
def _gelu_kernel(x):
    out = _erf_kernel(x * x.dtype.type(_SQRT_HALF))
    out += 1
    out *= x
    out *= x.dtype.type(0.5)
    return out


def _gelu_bprop(x, out, dout):
    # d/dx x * Phi(x) = Phi(x) + x * phi(x)
    cdf = mul_p(add_p(erf_p(mul_p(x, _const(_SQRT_HALF, x))), _const(1, x)), _const(0.5, x))
    pdf = mul_p(exp_p(mul_p(mul_p(x, x), _const(-0.5, x))), _const(_INV_SQRT_2PI, x))
    return (mul_p(dout, add_p(cdf, mul_p(x, pdf))),)


@_in_place_safe
def _gelu_tanh_kernel(x):
    inner = x * x
    inner *= x.dtype.type(_TANH_C)
    inner += 1
    inner *= x
    inner *= x.dtype.type(_TANH_K)
    out = np.tanh(inner, out=inner)
    out += 1
    out *= x
    out *= x.dtype.type(0.5)
    return out


def _gelu_tanh_bprop(x, out, dout):
    x2 = mul_p(x, x)
    t = tanh_p(mul_p(mul_p(x, add_p(_const(1, x), mul_p(x2, _const(_TANH_C, x)))), _const(_TANH_K, x)))
    half = _const(0.5, x)
    left = mul_p(half, add_p(_const(1, x), t))
    du = mul_p(add_p(_const(1, x), mul_p(x2, _const(3 * _TANH_C, x))), _const(_TANH_K, x))
    right = mul_p(mul_p(half, x), mul_p(sub_p(_const(1, x), mul_p(t, t)), du))
    return (mul_p(dout, add_p(left, right)),)


gelu_p = register("gelu", infer=R.float_unary("gelu"), kernel=_gelu_kernel, bprop=_gelu_bprop,
                  expr="(0.5 * {0} * (1 + erf({0} * 0.7071067811865476)))", family="activation")
gelu_tanh_p = register("gelu_tanh", infer=R.float_unary("gelu_tanh"), kernel=_gelu_tanh_kernel,
                       bprop=_gelu_tanh_bprop,
                       expr="(0.5 * {0} * (1 + tanh(0.7978845608028654 * ({0} + 0.044715 * {0} * {0} * {0}))))",
                       family="activation")


def gelu(input, approximate="none"):
    """Gaussian error linear unit: ``x * Phi(x)`` (``approximate='none'``) or its tanh
    approximation (``approximate='tanh'``)."""
    _float("gelu", input)
    if approximate == "none":
        return gelu_p(input)
    if approximate == "tanh":
        return gelu_tanh_p(input)
    raise ValueError(f"gelu: 'approximate' must be 'none' or 'tanh', got {approximate!r}")


def fast_gelu(x):
    """MindSpore's FastGelu: ``x / (1 + exp(-1.702 |x|)) * exp(0.851 (x - |x|))``, which equals
    ``x * sigmoid(1.702 x)``."""
    _float("fast_gelu", x)
    return mul_p(x, sigmoid_p(mul_p(x, _const(1.702, x))))


# --- silu ----------------------------------------------------------------------------------------
@_in_place_safe
def _silu_kernel(x):
    out = _sigmoid_kernel(x)
    out *= x
    return out


def _silu_bprop(x, out, dout):
    s = sigmoid_p(x)
    return (mul_p(dout, mul_p(s, add_p(_const(1, x), mul_p(x, sub_p(_const(1, s), s))))),)


silu_p = register("silu", infer=R.float_unary("silu"), kernel=_silu_kernel, bprop=_silu_bprop,
                  expr="({0} / (1 + exp(-{0})))", family="activation")


def silu(input):
    """``input * sigmoid(input)`` (swish)."""
    _float("silu", input)
    return silu_p(input)


# --- exponential family: elu, selu, celu, softplus, mish, logsigmoid ------------------------------------
def _negative_part_expm1(x, scale):
    # expm1 only of the non-positive part: the unselected branch never overflows (so where's
    # gradient never multiplies 0 by inf)
    neg = minimum_p(x, _const(0, x))
    if scale != 1.0:
        neg = mul_p(neg, _const(1.0 / scale, x))
    return expm1_p(neg)


def elu(input_x, alpha=1.0):
    """``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise."""
    x = _float("elu", input_x)
    a = _number("elu", alpha, "alpha")
    return where_p(greater_p(x, _const(0, x)), x, mul_p(_negative_part_expm1(x, 1.0), _const(a, x)))


def selu(input_x):
    """Scaled ELU with the self-normalising constants."""
    x = _float("selu", input_x)
    neg = mul_p(_negative_part_expm1(x, 1.0), _const(_SELU_ALPHA, x))
    return mul_p(where_p(greater_p(x, _const(0, x)), x, neg), _const(_SELU_SCALE, x))


def celu(x, alpha=1.0):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``."""
    x = _float("celu", x)
    a = _number("celu", alpha, "alpha")
    if a == 0:
        raise ValueError("celu: 'alpha' must not be 0")
    return where_p(greater_p(x, _const(0, x)), x, mul_p(_negative_part_expm1(x, a), _const(a, x)))


def softplus(input, beta=1, threshold=20):
    """``log(1 + exp(beta * x)) / beta``; linear where ``beta * x > threshold``."""
    x = _float("softplus", input)
    b = _number("softplus", beta, "beta")
    t = _number("softplus", threshold, "threshold")
    bx = mul_p(x, _const(b, x)) if b != 1 else x
    smooth = log1p_p(exp_p(minimum_p(bx, _const(t, x))))
    if b != 1:
        smooth = mul_p(smooth, _const(1.0 / b, x))
    return where_p(greater_p(bx, _const(t, x)), x, smooth)


def logsigmoid(x):
    """``log(sigmoid(x))``, computed as ``min(x, 0) - log1p(exp(-|x|))``."""
    x = _float("logsigmoid", x)
    return sub_p(minimum_p(x, _const(0, x)), log1p_p(exp_p(mul_p(abs_p(x), _const(-1, x)))))


def mish(input):
    """``x * tanh(softplus(x))``."""
    x = _float("mish", input)
    return mul_p(x, tanh_p(softplus(x)))


# --- piecewise linear --------------------------------------------------------------------------------
def leaky_relu(input, alpha=0.2):
    """``x`` for ``x > 0``, ``alpha * x`` otherwise."""
    check_tensor("leaky_relu", input)
    a = _number("leaky_relu", alpha, "alpha")
    return where_p(greater_p(input, _const(0, input)), input, mul_p(input, _const(a, input)))


def hardtanh(input, min_val=-1.0, max_val=1.0):
    """``input`` clamped to ``[min_val, max_val]``."""
    check_tensor("hardtanh", input)
    lo = _number("hardtanh", min_val, "min_val")
    hi = _number("hardtanh", max_val, "max_val")
    if lo > hi:
        raise ValueError(f"hardtanh: 'min_val' must be <= 'max_val', got {lo} and {hi}")
    return minimum_p(maximum_p(input, _const(lo, input)), _const(hi, input))


def hardsigmoid(input):
    """``relu6(x + 3) / 6``."""
    x = _float("hardsigmoid", input)
    return mul_p(relu6(add_p(x, _const(3, x))), _const(1 / 6, x))


def hardswish(x):
    """``x * relu6(x + 3) / 6``."""
    x = _float("hardswish", x)
    return mul_p(x, hardsigmoid(x))


def _lambd(name, lambd):
    v = _number(name, lambd, "lambd")
    if v < 0:
        raise ValueError(f"{name}: 'lambd' must be non-negative, got {v}")
    return v


def hardshrink(x, lambd=0.5):
    """``x`` where ``|x| > lambd``, else 0."""
    check_tensor("hardshrink", x)
    lam = _lambd("hardshrink", lambd)
    return where_p(greater_p(abs_p(x), _const(lam, x)), x, _const(0, x))


def softshrink(x, lambd=0.5):
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, else 0: ``x - clamp(x, -l, l)``."""
    check_tensor("softshrink", x)
    lam = _lambd("softshrink", lambd)
    return sub_p(x, minimum_p(maximum_p(x, _const(-lam, x)), _const(lam, x)))


soft_shrink = softshrink


def tanhshrink(input):
    """``x - tanh(x)``."""
    x = _float("tanhshrink", input)
    return sub_p(x, tanh_p(x))


def softsign(x):
    """``x / (1 + |x|)``."""
    x = _float("softsign", x)
    return div_p(x, add_p(_const(1, x), abs_p(x)))


def threshold(input, thr, value):
    """``input`` where ``input > thr``, else ``value``."""
    check_tensor("threshold", input)
    t = _number("threshold", thr, "thr")
    v = _number("threshold", value, "value")
    return where_p(greater_p(input, _const(t, input)), input, _const(v, input))


def prelu(x, weight):
    """``x`` for ``x > 0``, ``weight * x`` otherwise; ``weight`` is per channel (axis 1) or one value."""
    check_tensor("prelu", x)
    check_tensor("prelu", weight, "weight")
    if weight.ndim > 1:
        raise ValueError(f"prelu: 'weight' must be 1-D, got shape {list(weight.shape)}")
    channels = x.shape[1] if x.ndim >= 2 else 1
    if weight.size not in (1, channels):
        raise ValueError(f"prelu: 'weight' must have 1 or {channels} (the channels of x) elements, "
                         f"got {weight.size}")
    w = weight if weight._data.dtype == x._data.dtype else cast_p(weight, dtype=x.dtype)
    if w.size == channels and x.ndim >= 2:
        w = OPS["reshape"](w, shape=(channels,) + (1,) * (x.ndim - 2))
    elif w.ndim:
        w = OPS["reshape"](w, shape=())
    return where_p(greater_p(x, _const(0, x)), x, mul_p(w, x))


def glu(x, axis=-1):
    """Gated linear unit: ``a * sigmoid(b)`` where ``a, b`` are the halves of ``x`` along ``axis``."""
    _float("glu", x)
    a = R.normalize_axis("glu", axis, x.ndim)
    n = x.shape[a]
    if n % 2:
        raise ValueError(f"glu: the size of 'axis' {axis} must be even, got {n}")
    size = list(x.shape)
    size[a] = n // 2
    begin = [0] * x.ndim
    first = OPS["slice"](x, begin=tuple(begin), size=tuple(size))
    begin[a] = n // 2
    second = OPS["slice"](x, begin=tuple(begin), size=tuple(size))
    return mul_p(first, sigmoid_p(second))


def swiglu(input, dim=-1):
    """``silu(a) * b`` where ``a, b`` are the halves of ``input`` along ``dim``."""
    _float("swiglu", input)
    a = R.normalize_axis("swiglu", dim, input.ndim, "dim")
    n = input.shape[a]
    if n % 2:
        raise ValueError(f"swiglu: the size of 'dim' {dim} must be even, got {n}")
    size = list(input.shape)
    size[a] = n // 2
    begin = [0] * input.ndim
    first = OPS["slice"](input, begin=tuple(begin), size=tuple(size))
    begin[a] = n // 2
    second = OPS["slice"](input, begin=tuple(begin), size=tuple(size))
    return mul_p(silu_p(first), second)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3):
    """Randomised leaky relu: negative inputs are scaled by a slope drawn uniformly from
    ``[lower, upper]`` for each element (from the global generator; see ``sporen.set_seed``)."""
    x = _float("rrelu", input)
    lo = _number("rrelu", lower, "lower")
    hi = _number("rrelu", upper, "upper")
    if lo > hi:
        raise ValueError(f"rrelu: 'lower' must be <= 'upper', got {lo} and {hi}")
    u = OPS["random_uniform"](shape=tuple(x.shape), dtype=x.dtype, seed=None)
    slope = add_p(mul_p(u, _const(hi - lo, x)), _const(lo, x))
    return where_p(greater_p(x, _const(0, x)), x, mul_p(x, slope))
