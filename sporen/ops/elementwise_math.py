"""Elementwise math primitives: exponentials and logarithms, trigonometry, erf, binary math
(remainder, atan2, hypot...), bitwise ops, value tests, complex parts, and composites over them.
The second half of the elementwise family (elementwise.py holds arithmetic, comparisons, casts)."""
import math

import numpy as np

from .. import dtype as mstype
from ..tensor import Tensor
from . import _rules as R
from ._helpers import binary_args, check_tensor, unbroadcast
from .elementwise import (NOT_DIFFERENTIABLE, _cmp, _const, _float_unary, _to_bool, _unary, abs_p, add,
                          add_p, cast, cast_p, div, div_p, equal_p, exp_p, floor_divide, floor_divide_p,
                          greater_p, less_p, log_p, logical_and_p, logical_not_p, logical_or_p, maximum_p,
                          minimum_p, mul, mul_p, neg_p, pow_p, sign_p, sqrt_p, sub, sub_p, trunc_p, where_p)
from .registry import Aval, register

__all__ = [
    "expm1", "log1p", "log2", "log10", "exp2", "rsqrt", "sin", "cos", "tan", "asin", "acos",
    "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "arcsin", "arccos", "arctan", "arcsinh",
    "arccosh", "arctanh", "erf", "erfc", "erfinv", "deg2rad", "rad2deg", "sinc", "remainder",
    "floor_mod", "floormod", "fmod", "atan2", "arctan2", "hypot", "logaddexp", "logaddexp2",
    "copysign", "bitwise_and", "bitwise_or", "bitwise_xor", "heaviside", "logical_xor", "invert",
    "bitwise_not", "xlogy", "float_power", "true_divide", "subtract", "positive", "lerp",
    "addcmul", "addcdiv", "clamp", "clip", "isnan", "isinf", "isfinite", "isneginf", "isposinf",
    "isclose", "allclose", "nan_to_num", "real", "imag", "conj", "angle"]


# --- unary math ----------------------------------------------------------------------------------
_LN2 = float(np.log(2.0))
_LN10 = float(np.log(10.0))
_TWO_OVER_SQRT_PI = float(2.0 / np.sqrt(np.pi))

# Eigen's/XLA's rational approximation of erf for float32 (max error ~4e-7 on [-4, 4]; erf is
# +-1 in float32 beyond). float64 uses libm's erf, exact but ~0.2 us an element.
_ERF_NUM = (-2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06,
            -5.69250639462346e-05, -7.34990630326855e-04, -2.95459980854025e-03,
            -1.60960333262415e-02)
_ERF_DEN = (-1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03,
            -7.37332916720468e-03, -1.42647390514189e-02)
_erf_object = np.frompyfunc(math.erf, 1, 1)
_erfc_object = np.frompyfunc(math.erfc, 1, 1)


def _math_erf(x):
    # frompyfunc gives objects (a Python float for 0-d input): back to a float64 array
    return np.asarray(_erf_object(x), dtype=np.float64)


def _math_erfc(x):
    return np.asarray(_erfc_object(x), dtype=np.float64)


def _erf_kernel(x):
    x = np.asarray(x)
    if x.dtype == np.float64:
        return _math_erf(x)
    if x.size <= 64:  # libm per element beats twenty numpy calls on tiny inputs
        return _math_erf(x).astype(x.dtype)
    xf = np.clip(x, -4.0, 4.0, dtype=np.float32)
    x2 = xf * xf
    # Horner's rule in place: two polynomials in x^2, no temporaries per step
    p = np.full_like(x2, _ERF_NUM[0])
    for c in _ERF_NUM[1:]:
        p *= x2
        p += np.float32(c)
    q = np.full_like(x2, _ERF_DEN[0])
    for c in _ERF_DEN[1:]:
        q *= x2
        q += np.float32(c)
    p *= xf
    p /= q
    return p.astype(x.dtype, copy=False)


def _erfc_kernel(x):
    # erfc directly (not 1 - erf), so the tail keeps its relative precision
    return _math_erfc(x).astype(x.dtype)


def _erfinv_kernel(x):
    with np.errstate(divide="ignore", invalid="ignore"):  # +-1 give +-inf, set explicitly below
        return _erfinv(x)


def _erfinv(x):
    # Giles' single-precision approximation, then two Newton steps on erf in float64
    w = -np.log((1.0 - x.astype(np.float64)) * (1.0 + x))
    small = w < 5.0
    ws = np.where(small, w - 2.5, np.sqrt(np.maximum(w, 5.0)) - 3.0)
    cs = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
          -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
    cl = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
          -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)
    p = np.where(small, cs[0], cl[0])
    for a, b in zip(cs[1:], cl[1:]):
        p = np.where(small, a, b) + p * ws
    y = p * x
    xf = x.astype(np.float64)
    finite = np.abs(xf) < 1
    for _ in range(2):
        err = _math_erf(np.where(finite, y, 0.0)) - xf
        y = np.where(finite, y - err / (_TWO_OVER_SQRT_PI * np.exp(-y * y)), y)
    y = np.where(xf == 1, np.inf, np.where(xf == -1, -np.inf, y))
    return y.astype(x.dtype)


def _math1(name, kernel, bprop, expr):
    return register(name, infer=R.float_unary(name), kernel=kernel, bprop=bprop, expr=expr,
                    family="elementwise")


def _c(value, like):
    return _const(value, like)


expm1_p = _math1("expm1", np.expm1, lambda x, out, dout: (mul_p(dout, add_p(out, _c(1, out))),),
                 "expm1({0})")
log1p_p = _math1("log1p", np.log1p, lambda x, out, dout: (div_p(dout, add_p(x, _c(1, x))),),
                 "log1p({0})")
log2_p = _math1("log2", np.log2, lambda x, out, dout: (div_p(dout, mul_p(x, _c(_LN2, x))),),
                "log2({0})")
log10_p = _math1("log10", np.log10, lambda x, out, dout: (div_p(dout, mul_p(x, _c(_LN10, x))),),
                 "log10({0})")
exp2_p = _math1("exp2", np.exp2, lambda x, out, dout: (mul_p(dout, mul_p(out, _c(_LN2, out))),),
                "exp2({0})")
rsqrt_p = _math1("rsqrt", lambda x: np.reciprocal(np.sqrt(x)),
                 lambda x, out, dout: (mul_p(dout, mul_p(mul_p(out, mul_p(out, out)), _c(-0.5, out))),),
                 "(1 / sqrt({0}))")
sin_p = _math1("sin", np.sin, lambda x, out, dout: (mul_p(dout, cos_p(x)),), "sin({0})")
cos_p = _math1("cos", np.cos, lambda x, out, dout: (neg_p(mul_p(dout, sin_p(x))),), "cos({0})")
tan_p = _math1("tan", np.tan, lambda x, out, dout: (mul_p(dout, add_p(_c(1, out), mul_p(out, out))),),
               "tan({0})")


def _one_minus_sq(x):
    return sub_p(_c(1, x), mul_p(x, x))


asin_p = _math1("asin", np.arcsin, lambda x, out, dout: (div_p(dout, sqrt_p(_one_minus_sq(x))),),
                "asin({0})")
acos_p = _math1("acos", np.arccos, lambda x, out, dout: (neg_p(div_p(dout, sqrt_p(_one_minus_sq(x)))),),
                "acos({0})")
atan_p = _math1("atan", np.arctan, lambda x, out, dout: (div_p(dout, add_p(_c(1, x), mul_p(x, x))),),
                "atan({0})")
sinh_p = _math1("sinh", np.sinh, lambda x, out, dout: (mul_p(dout, cosh_p(x)),), "sinh({0})")
cosh_p = _math1("cosh", np.cosh, lambda x, out, dout: (mul_p(dout, sinh_p(x)),), "cosh({0})")
asinh_p = _math1("asinh", np.arcsinh,
                 lambda x, out, dout: (div_p(dout, sqrt_p(add_p(mul_p(x, x), _c(1, x)))),), "asinh({0})")
acosh_p = _math1("acosh", np.arccosh,
                 lambda x, out, dout: (div_p(dout, sqrt_p(sub_p(mul_p(x, x), _c(1, x)))),), "acosh({0})")
atanh_p = _math1("atanh", np.arctanh, lambda x, out, dout: (div_p(dout, _one_minus_sq(x)),), "atanh({0})")


def _erf_grad(x):
    return mul_p(exp_p(neg_p(mul_p(x, x))), _c(_TWO_OVER_SQRT_PI, x))


erf_p = _math1("erf", _erf_kernel, lambda x, out, dout: (mul_p(dout, _erf_grad(x)),), "erf({0})")
erfc_p = _math1("erfc", _erfc_kernel, lambda x, out, dout: (neg_p(mul_p(dout, _erf_grad(x))),),
                "erfc({0})")
# erfinv and digamma have no C library function (no fusion expression): they run their numpy
# kernels between fused groups
erfinv_p = _math1("erfinv", _erfinv_kernel,
                  lambda x, out, dout: (div_p(dout, _erf_grad(out)),), None)

expm1 = _float_unary("expm1", expm1_p)
log1p = _float_unary("log1p", log1p_p)
log2 = _float_unary("log2", log2_p)
log10 = _float_unary("log10", log10_p)
exp2 = _float_unary("exp2", exp2_p)
rsqrt = _float_unary("rsqrt", rsqrt_p)
sin = _float_unary("sin", sin_p)
cos = _float_unary("cos", cos_p)
tan = _float_unary("tan", tan_p)
asin = arcsin = _float_unary("asin", asin_p)
acos = arccos = _float_unary("acos", acos_p)
atan = arctan = _float_unary("atan", atan_p)
sinh = _float_unary("sinh", sinh_p)
cosh = _float_unary("cosh", cosh_p)
asinh = arcsinh = _float_unary("asinh", asinh_p)
acosh = arccosh = _float_unary("acosh", acosh_p)
atanh = arctanh = _float_unary("atanh", atanh_p)
erf = _float_unary("erf", erf_p)
erfc = _float_unary("erfc", erfc_p)
erfinv = _float_unary("erfinv", erfinv_p)


def deg2rad(x):
    """Degrees to radians."""
    x = _float_input("deg2rad", x)
    return mul_p(x, _c(np.pi / 180.0, x))


def rad2deg(x):
    """Radians to degrees."""
    x = _float_input("rad2deg", x)
    return mul_p(x, _c(180.0 / np.pi, x))


def sinc(input):
    """``sin(pi x) / (pi x)``, 1 at 0."""
    x = _float_input("sinc", input)
    zero = equal_p(x, _c(0, x))
    pix = mul_p(where_p(zero, _c(1, x), x), _c(np.pi, x))
    return where_p(zero, _c(1, x), div_p(sin_p(pix), pix))


def _float_input(name, x):
    check_tensor(name, x)
    if x.dtype.kind in "iub":
        return cast_p(x, dtype=mstype.float32)
    return x


# --- binary math -----------------------------------------------------------------------------
def _binary_p(name, kernel, bprop, expr, rule=None):
    return register(name, infer=rule or R.broadcast(name), kernel=kernel, bprop=bprop, expr=expr,
                    family="elementwise")


def _remainder_bprop(x, y, out, dout):
    return unbroadcast(dout, x.shape), unbroadcast(neg_p(mul_p(dout, floor_divide_p(x, y))), y.shape)


def _fmod_bprop(x, y, out, dout):
    return unbroadcast(dout, x.shape), unbroadcast(neg_p(mul_p(dout, trunc_p(div_p(x, y)))), y.shape)


def _atan2_bprop(y, x, out, dout):
    g = div_p(dout, add_p(mul_p(x, x), mul_p(y, y)))
    return unbroadcast(mul_p(g, x), y.shape), unbroadcast(neg_p(mul_p(g, y)), x.shape)


def _hypot_bprop(x, y, out, dout):
    g = div_p(dout, out)
    return unbroadcast(mul_p(g, x), x.shape), unbroadcast(mul_p(g, y), y.shape)


def _logaddexp_bprop(x, y, out, dout):
    return (unbroadcast(mul_p(dout, exp_p(sub_p(x, out))), x.shape),
            unbroadcast(mul_p(dout, exp_p(sub_p(y, out))), y.shape))


def _copysign_bprop(x, y, out, dout):
    return unbroadcast(mul_p(dout, mul_p(sign_p(x), sign_p(out))), x.shape), None


def _float_broadcast(name):
    rule = R.broadcast(name)

    def float_rule(x, y):
        out = rule(x, y)
        if out.dtype.kind not in "f":
            raise TypeError(f"{name}: inputs must be float tensors, got {out.dtype}")
        return out
    return float_rule


def _int_broadcast(name):
    rule = R.broadcast(name)

    def int_rule(*avals):
        out = rule(*avals)
        if out.dtype.kind not in "iub":
            raise TypeError(f"{name}: inputs must be integer or bool tensors, got {out.dtype}")
        return out
    return int_rule


remainder_p = _binary_p("remainder", np.remainder, _remainder_bprop, "floormod({0}, {1})")
fmod_p = _binary_p("fmod", np.fmod, _fmod_bprop, "fmod({0}, {1})")
atan2_p = _binary_p("atan2", np.arctan2, _atan2_bprop, "atan2({0}, {1})", _float_broadcast("atan2"))
hypot_p = _binary_p("hypot", np.hypot, _hypot_bprop, "hypot({0}, {1})", _float_broadcast("hypot"))
logaddexp_p = _binary_p("logaddexp", np.logaddexp, _logaddexp_bprop,
                        "logaddexp({0}, {1})", _float_broadcast("logaddexp"))
copysign_p = _binary_p("copysign", np.copysign, _copysign_bprop, "copysign({0}, {1})",
                       _float_broadcast("copysign"))
heaviside_p = _binary_p("heaviside", np.heaviside, NOT_DIFFERENTIABLE,
                        "({0} == 0 ? {1} : ({0} > 0 ? 1 : 0))")
bitwise_and_p = _binary_p("bitwise_and", np.bitwise_and, NOT_DIFFERENTIABLE, "({0} & {1})",
                          _int_broadcast("bitwise_and"))
bitwise_or_p = _binary_p("bitwise_or", np.bitwise_or, NOT_DIFFERENTIABLE, "({0} | {1})",
                         _int_broadcast("bitwise_or"))
bitwise_xor_p = _binary_p("bitwise_xor", np.bitwise_xor, NOT_DIFFERENTIABLE, "({0} ^ {1})",
                          _int_broadcast("bitwise_xor"))
logical_xor_p = _cmp("logical_xor", np.logical_xor, "(!{0} != !{1})")


def _invert_rule(x):
    if x.dtype.kind not in "iub":
        raise TypeError(f"invert: 'input' must be an integer or bool tensor, got {x.dtype}")
    return Aval(x.shape, x.dtype)


invert_p = register("invert", infer=_invert_rule, kernel=np.invert, bprop=NOT_DIFFERENTIABLE,
                    expr="(~{0})", family="elementwise")


def _binary_fn(name, prim, first="input", second="other", floats=False):
    def fn(input, other):
        x, y = binary_args(name, input, other)
        if floats and x.dtype.kind in "iub":
            x = cast_p(x, dtype=mstype.float32)
            y = cast_p(y, dtype=mstype.float32)
        return prim(x, y)
    fn.__name__ = name
    fn.__qualname__ = name
    fn.__doc__ = f"Elementwise ``{name}`` with broadcasting and type promotion (MindSpore's ``ops.{name}``)."
    return fn


remainder = floor_mod = floormod = _binary_fn("remainder", remainder_p)
fmod = _binary_fn("fmod", fmod_p)
atan2 = arctan2 = _binary_fn("atan2", atan2_p, floats=True)
hypot = _binary_fn("hypot", hypot_p, floats=True)
logaddexp = _binary_fn("logaddexp", logaddexp_p, floats=True)
copysign = _binary_fn("copysign", copysign_p, floats=True)
bitwise_and = _binary_fn("bitwise_and", bitwise_and_p)
bitwise_or = _binary_fn("bitwise_or", bitwise_or_p)
bitwise_xor = _binary_fn("bitwise_xor", bitwise_xor_p)


def heaviside(input, values):
    """Heaviside step: 0 below zero, 1 above, ``values`` at zero."""
    x, y = binary_args("heaviside", input, values)
    return heaviside_p(x, y)


def logical_xor(input, other):
    """Elementwise logical xor; returns Bool."""
    return logical_xor_p(_to_bool("logical_xor", input), _to_bool("logical_xor", other))


def invert(x):
    """Bitwise not of an integer or bool tensor."""
    check_tensor("invert", x)
    return invert_p(x)


bitwise_not = invert


def logaddexp2(input, other):
    """``log2(2**input + 2**other)``, computed stably."""
    x, y = binary_args("logaddexp2", input, other)
    if x.dtype.kind in "iub":
        x = cast_p(x, dtype=mstype.float32)
        y = cast_p(y, dtype=mstype.float32)
    ln2 = _c(_LN2, x)
    return div_p(logaddexp_p(mul_p(x, ln2), mul_p(y, ln2)), ln2)


def xlogy(input, other):
    """``input * log(other)``, 0 where ``input`` is 0 (also when ``other`` is 0)."""
    x, y = binary_args("xlogy", input, other)
    if x.dtype.kind in "iub":
        x = cast_p(x, dtype=mstype.float32)
        y = cast_p(y, dtype=mstype.float32)
    # log of a safe value where x == 0, so neither the value nor its gradient turns into nan
    safe = where_p(equal_p(x, _c(0, x)), _c(1, y), y)
    return mul_p(x, log_p(safe))


def float_power(input, exponent):
    """``input ** exponent`` computed in float64 (complex128 for complex inputs)."""
    x, y = binary_args("float_power", input, exponent)
    t = mstype.complex128 if x.dtype.kind == "c" else mstype.float64
    return pow_p(cast(x, t), cast(y, t))


def true_divide(dividend, divisor):
    """``dividend / divisor`` (always true division)."""
    return div(dividend, divisor)


def subtract(input, other, *, alpha=1):
    """``input - alpha * other``."""
    if alpha == 1:
        return sub(input, other)
    x, y = binary_args("subtract", input, other)
    return sub_p(x, mul_p(y, _c(alpha, y)))


def positive(input):
    """``input`` itself (a bool tensor raises, as in MindSpore)."""
    check_tensor("positive", input)
    if input.dtype is mstype.bool_:
        raise TypeError("positive: 'input' must be a numeric tensor, got Bool")
    return input


def lerp(input, end, weight):
    """``input + weight * (end - input)``; ``weight`` a float or Tensor."""
    check_tensor("lerp", input)
    x, e = binary_args("lerp", input, end)
    if isinstance(weight, Tensor):
        w = weight if weight._data.dtype == x._data.dtype else cast_p(weight, dtype=x.dtype)
    elif isinstance(weight, (float, int)) and not isinstance(weight, bool):
        w = _c(weight, x)
    else:
        raise TypeError(f"lerp: 'weight' must be a float or a Tensor, got {type(weight).__name__}")
    return add_p(x, mul_p(w, sub_p(e, x)))


def addcmul(input, tensor1, tensor2, value=1):
    """``input + value * tensor1 * tensor2``."""
    check_tensor("addcmul", input)
    prod = mul(tensor1, tensor2)
    if not (isinstance(value, (int, float)) and value == 1):
        prod = mul(prod, value)
    return add(input, prod)


def addcdiv(input, tensor1, tensor2, value=1):
    """``input + value * tensor1 / tensor2``."""
    check_tensor("addcdiv", input)
    quot = div(tensor1, tensor2)
    if not (isinstance(value, (int, float)) and value == 1):
        quot = mul(quot, value)
    return add(input, quot)


def _bound(name, v, x, argname):
    if isinstance(v, Tensor):
        return v if v._data.dtype == x._data.dtype else cast_p(v, dtype=x.dtype)
    if isinstance(v, (int, float, np.number)) and not isinstance(v, bool):
        return _c(v, x)
    raise TypeError(f"{name}: '{argname}' must be a Tensor, float or int, got {type(v).__name__}")


def clamp(input, min=None, max=None):
    """Clamp ``input`` to ``[min, max]``; each bound a number, a Tensor or None (not both None)."""
    check_tensor("clamp", input)
    if min is None and max is None:
        raise ValueError("clamp: at least one of 'min' and 'max' must be given")
    x = input
    if x.dtype.kind in "iu" and any(isinstance(v, float) for v in (min, max)):
        x = cast_p(x, dtype=mstype.float32)
    if min is not None:
        x = maximum_p(x, _bound("clamp", min, x, "min"))
    if max is not None:
        x = minimum_p(x, _bound("clamp", max, x, "max"))
    return x


clip = clamp


# --- tests of values ------------------------------------------------------------------------
def _bool_unary(name, kernel, expr):
    return register(name, infer=lambda x: Aval(x.shape, mstype.bool_), kernel=kernel,
                    bprop=NOT_DIFFERENTIABLE, expr=expr, family="elementwise")


isnan_p = _bool_unary("isnan", np.isnan, "isnan({0})")
isinf_p = _bool_unary("isinf", np.isinf, "isinf({0})")
isfinite_p = _bool_unary("isfinite", np.isfinite, "isfinite({0})")
isnan = _unary("isnan", isnan_p)
isinf = _unary("isinf", isinf_p)
isfinite = _unary("isfinite", isfinite_p)


def isneginf(input):
    """True where ``input`` is -inf."""
    check_tensor("isneginf", input)
    return logical_and_p(isinf_p(input), less_p(input, _c(0, input)))


def isposinf(input):
    """True where ``input`` is +inf."""
    check_tensor("isposinf", input)
    return logical_and_p(isinf_p(input), greater_p(input, _c(0, input)))


def _isclose_rule(x, y, rtol, atol, equal_nan):
    return Aval(R._broadcast_shapes("isclose", x.shape, y.shape), mstype.bool_)


isclose_p = register("isclose", infer=_isclose_rule,
                     kernel=lambda x, y, rtol, atol, equal_nan: np.isclose(x, y, rtol, atol, equal_nan),
                     bprop=NOT_DIFFERENTIABLE, family="elementwise")


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True where ``|input - other| <= atol + rtol * |other|``."""
    check_tensor("isclose", input)
    check_tensor("isclose", other, "other")
    if rtol < 0 or atol < 0:
        raise ValueError(f"isclose: 'rtol' and 'atol' must be non-negative, got {rtol} and {atol}")
    x, y = binary_args("isclose", input, other)
    return isclose_p(x, y, rtol=float(rtol), atol=float(atol), equal_nan=bool(equal_nan))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True (a Python bool) when every element is close."""
    return bool(np.all(isclose(input, other, rtol, atol, equal_nan)._data))


def _nan_to_num_bprop(x, out, dout, nan, posinf, neginf):
    return (mul_p(dout, cast_p(isfinite_p(x), dtype=dout.dtype)),)


nan_to_num_p = register("nan_to_num", infer=R.same("nan_to_num"),
                        kernel=lambda x, nan, posinf, neginf: np.nan_to_num(x, nan=nan, posinf=posinf,
                                                                            neginf=neginf),
                        bprop=_nan_to_num_bprop, family="elementwise")


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """Replace nan, +inf and -inf by ``nan``, ``posinf`` and ``neginf`` (defaults: 0 and the
    dtype's largest and lowest finite values)."""
    check_tensor("nan_to_num", input)
    if input.dtype.kind not in "f":
        return input
    return nan_to_num_p(input, nan=float(nan), posinf=None if posinf is None else float(posinf),
                        neginf=None if neginf is None else float(neginf))


# --- complex numbers -----------------------------------------------------------------------------
def _complex_part_rule(name):
    def rule(x):
        d = {mstype.complex64: mstype.float32, mstype.complex128: mstype.float64}.get(x.dtype, x.dtype)
        return Aval(x.shape, d)
    rule.__name__ = f"complex_part[{name}]"
    return rule


# Gradients of complex functions are not supported by the tape yet (it differentiates real inputs).
real_p = register("real", infer=_complex_part_rule("real"), kernel=np.real, bprop=NOT_DIFFERENTIABLE,
                  expr="creal({0})", family="elementwise")
imag_p = register("imag", infer=_complex_part_rule("imag"), kernel=np.imag, bprop=NOT_DIFFERENTIABLE,
                  expr="cimag({0})", family="elementwise")
angle_p = register("angle", infer=_complex_part_rule("angle"),
                   kernel=lambda x: np.angle(x).astype(_complex_part_rule("angle")(
                       Aval(x.shape, mstype.from_numpy_dtype(x.dtype))).dtype.np, copy=False),
                   bprop=NOT_DIFFERENTIABLE, expr="carg({0})", family="elementwise")
conj_p = register("conj", infer=R.same("conj"), kernel=np.conj, bprop=NOT_DIFFERENTIABLE,
                  expr="conj({0})", family="elementwise")


def real(input):
    """The real part (the input itself for a real tensor)."""
    check_tensor("real", input)
    return real_p(input) if input.dtype.kind == "c" else input


def imag(input):
    """The imaginary part (zeros for a real tensor)."""
    check_tensor("imag", input)
    return imag_p(input) if input.dtype.kind == "c" else sub_p(input, input)


def conj(input):
    """The complex conjugate (the input itself for a real tensor)."""
    check_tensor("conj", input)
    return conj_p(input) if input.dtype.kind == "c" else input


def angle(input):
    """The argument of each complex element (0 or pi for real ones)."""
    check_tensor("angle", input)
    return angle_p(input)


# --- special functions ------------------------------------------------------------------------------
_lgamma_object = np.frompyfunc(math.lgamma, 1, 1)


def _lgamma_kernel(x):
    xd = np.asarray(x, dtype=np.float64)
    poles = (xd <= 0) & (xd == np.floor(xd))  # lgamma is +inf there; math.lgamma raises
    out = np.asarray(_lgamma_object(np.where(poles, 1.0, xd)), dtype=np.float64)
    return np.where(poles, np.inf, out).astype(x.dtype, copy=False)


def _digamma_kernel(x):
    """psi(x): the recurrence psi(x) = psi(x + 1) - 1/x lifts x above 10, where the asymptotic
    series is accurate to double precision (error ~1e-14); negative x use the reflection formula."""
    xd = x.astype(np.float64)
    with np.errstate(all="ignore"):
        reflect = xd < 0.5
        z = np.where(reflect, 1.0 - xd, xd)
        shift = np.zeros_like(z)
        for _ in range(10):
            small = z < 10
            shift = np.where(small, shift - 1.0 / z, shift)
            z = np.where(small, z + 1, z)
        inv2 = 1.0 / (z * z)
        series = inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 * (1 / 240 - inv2 * (1 / 132)))))
        psi = np.log(z) - 0.5 / z - series + shift
        psi = np.where(reflect, psi - np.pi / np.tan(np.pi * xd), psi)
        psi = np.where((xd < 0) & (xd == np.floor(xd)), np.nan, psi)
        psi = np.where(xd == 0, np.copysign(np.inf, -np.copysign(1.0, xd)), psi)  # -inf at +0, +inf at -0
    return psi.astype(x.dtype, copy=False)


# Euler-Maclaurin tail coefficients B_2j / (2j)! for j = 1..5
_TAIL_BERNOULLI = (1 / 12, -1 / 720, 1 / 30240, -1 / 1209600, 1 / 47900160)


def _polygamma_kernel(x, n):
    """psi^(n)(x) = (-1)^(n+1) n! sum_k 1/(x+k)^(n+1) for n >= 1: the first terms summed until
    x + k >= 20, the tail by Euler-Maclaurin (relative error below 1e-15)."""
    xd = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        poles = (xd <= 0) & (xd == np.floor(xd))
        w = np.where(poles | ~np.isfinite(xd), 20.0, xd)
        total = np.zeros_like(w)
        steps = int(np.ceil(20 - w.min())) if w.size else 0
        for _ in range(max(steps, 0)):
            small = w < 20
            total = np.where(small, total + w ** -(n + 1), total)
            w = np.where(small, w + 1, w)
        tail = w ** -n / n + 0.5 * w ** -(n + 1)
        rising = 1.0  # (n+1)(n+2)...(n+2j-1)
        for j, b in enumerate(_TAIL_BERNOULLI, 1):
            rising *= (n + 2 * j - 1) if j == 1 else (n + 2 * j - 2) * (n + 2 * j - 1)
            tail = tail + b * rising * w ** -(n + 2 * j)
        out = (-1) ** (n + 1) * math.factorial(n) * (total + tail)
        out = np.where(poles, np.nan, np.where(np.isposinf(xd), 0.0, out))
        out = np.where(np.isnan(xd) | np.isneginf(xd), np.nan, out)
    return out.astype(np.asarray(x).dtype, copy=False)


def _polygamma_rule(x, n):
    return R.float_unary("polygamma")(x)


lgamma_p = _math1("lgamma", _lgamma_kernel, lambda x, out, dout: (mul_p(dout, digamma_p(x)),), "lgamma({0})")
digamma_p = _math1("digamma", _digamma_kernel, lambda x, out, dout: (mul_p(dout, polygamma_p(x, n=1)),),
                   None)
polygamma_p = register("polygamma", infer=_polygamma_rule, kernel=_polygamma_kernel,
                       bprop=lambda x, out, dout, n: (mul_p(dout, polygamma_p(x, n=n + 1)),),
                       family="elementwise")
lgamma = _float_unary("lgamma", lgamma_p)
digamma = _float_unary("digamma", digamma_p)


def polygamma(n, input):
    """The n-th derivative of digamma (``n=0`` is digamma itself)."""
    if isinstance(n, Tensor):
        n = int(n.item())
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"polygamma: 'n' must be a non-negative int, got {n!r}")
    x = _float_input("polygamma", input)
    if n == 0:
        return digamma_p(x)
    return polygamma_p(x, n=int(n))


def logit(input, eps=None):
    """``log(p / (1 - p))``; with ``eps`` the input is first clamped to ``[eps, 1 - eps]``."""
    x = _float_input("logit", input)
    if eps is not None:
        e = float(eps)
        x = minimum_p(maximum_p(x, _c(e, x)), _c(1 - e, x))
    return log_p(div_p(x, sub_p(_c(1, x), x)))


def sgn(input):
    """The sign of a real tensor; ``z / |z|`` (0 at 0) for a complex one."""
    check_tensor("sgn", input)
    if input.dtype.kind != "c":
        return sign_p(input)
    return sgn_p(input)


def _sgn_kernel(z):
    magnitude = np.abs(z)
    with np.errstate(all="ignore"):
        return np.where(magnitude == 0, 0, z / magnitude).astype(z.dtype, copy=False)


sgn_p = register("sgn", infer=R.same("sgn"), kernel=_sgn_kernel, bprop=NOT_DIFFERENTIABLE, family="elementwise")
signbit_p = _bool_unary("signbit", np.signbit, "signbit({0})")


def signbit(input):
    """True where the sign bit is set (negative numbers and -0.0)."""
    check_tensor("signbit", input)
    return signbit_p(input)


def isreal(input):
    """True where the imaginary part is 0 (everywhere for a real tensor)."""
    check_tensor("isreal", input)
    if input.dtype.kind != "c":
        return equal_p(input, input) if input.dtype.kind != "f" else logical_or_p(equal_p(input, input),
                                                                                 isnan_p(input))
    return equal_p(imag_p(input), _c(0, imag_p(input)))


def _fminmax_bprop(pick_first):
    def bprop(x, y, out, dout):
        first = cast_p(pick_first(x, y, out), dtype=dout.dtype)
        return (unbroadcast(mul_p(dout, first), x.shape),
                unbroadcast(mul_p(dout, sub_p(_c(1, first), first)), y.shape))
    return bprop


def _takes_first(x, y, out):
    # where out came from x (ties go to x); a nan x loses to a number y
    return logical_and_p(equal_p(out, x), logical_or_p(equal_p(x, x), logical_not_p(equal_p(y, y))))


fmax_p = _binary_p("fmax", np.fmax, _fminmax_bprop(_takes_first), "fmax({0}, {1})")
fmin_p = _binary_p("fmin", np.fmin, _fminmax_bprop(_takes_first), "fmin({0}, {1})")
gcd_p = _binary_p("gcd", np.gcd, NOT_DIFFERENTIABLE, "gcd({0}, {1})", _int_broadcast("gcd"))
lcm_p = _binary_p("lcm", np.lcm, NOT_DIFFERENTIABLE, "lcm({0}, {1})", _int_broadcast("lcm"))
nextafter_p = _binary_p("nextafter", np.nextafter, NOT_DIFFERENTIABLE, "nextafter({0}, {1})",
                        _float_broadcast("nextafter"))
left_shift_p = _binary_p("left_shift", np.left_shift, NOT_DIFFERENTIABLE, "({0} << {1})",
                         _int_broadcast("left_shift"))
right_shift_p = _binary_p("right_shift", np.right_shift, NOT_DIFFERENTIABLE, "({0} >> {1})",
                          _int_broadcast("right_shift"))
fmax = _binary_fn("fmax", fmax_p)
fmin = _binary_fn("fmin", fmin_p)
gcd = _binary_fn("gcd", gcd_p)
lcm = _binary_fn("lcm", lcm_p)
nextafter = _binary_fn("nextafter", nextafter_p, floats=True)
bitwise_left_shift = _binary_fn("bitwise_left_shift", left_shift_p)
bitwise_right_shift = _binary_fn("bitwise_right_shift", right_shift_p)


def ldexp(x, other):
    """``x * 2 ** other``."""
    a, b = binary_args("ldexp", x, other)
    if a.dtype.kind in "iub":
        a = cast_p(a, dtype=mstype.float32)
        b = cast_p(b, dtype=mstype.float32)
    return mul_p(a, pow_p(_c(2, a), b))


def xdivy(x, y):
    """``x / y``, 0 where ``x`` is 0 (also when ``y`` is 0)."""
    a, b = binary_args("xdivy", x, y)
    safe = where_p(equal_p(a, _c(0, a)), _c(1, b), b)
    return div_p(a, safe)


def truncate_div(input_x, input_y):
    """Division rounded towards zero (integer inputs stay integer)."""
    return div(input_x, input_y, rounding_mode="trunc")


def truncate_mod(x, y):
    """The remainder of truncated division, with the sign of ``x`` (C's fmod)."""
    return fmod(x, y)


def inv(x):
    """``1 / x``."""
    x = _float_input("inv", x)
    return div_p(_c(1, x), x)


def approximate_equal(x, y, tolerance=1e-05):
    """True where ``|x - y| < tolerance``."""
    a, b = binary_args("approximate_equal", x, y)
    return less_p(abs_p(sub_p(a, b)), _c(tolerance, a))


def addn(x):
    """The elementwise sum of a list or tuple of Tensors of one shape."""
    if not isinstance(x, (list, tuple)) or not x:
        raise TypeError(f"addn: 'x' must be a non-empty list or tuple of Tensors, got {type(x).__name__}")
    total = check_tensor("addn", x[0], "x[0]")
    for i, t in enumerate(x[1:], 1):
        check_tensor("addn", t, f"x[{i}]")
        if t.shape != total.shape:
            raise ValueError(f"addn: all Tensors must have one shape, got {list(total.shape)} and {list(t.shape)}")
        total = add(total, t)
    return total


accumulate_n = addn
floordiv = floor_divide
clip_by_value = clamp

__all__ += ["lgamma", "digamma", "polygamma", "logit", "sgn", "signbit", "isreal", "fmax", "fmin", "gcd", "lcm",
            "nextafter", "bitwise_left_shift", "bitwise_right_shift", "ldexp", "xdivy", "truncate_div",
            "truncate_mod", "inv", "approximate_equal", "addn", "accumulate_n", "floordiv", "clip_by_value"]
