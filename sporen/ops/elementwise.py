"""Elementwise primitives: arithmetic, math functions, comparisons, logic, casts.

Each primitive is one ``register`` call with its rule, kernel, bprop and C expression; the
functional ``ops.xxx`` wrapper below it converts arguments and promotes dtypes."""

import numpy as np

from .. import dtype as mstype
from ..tensor import Tensor
from . import _rules as R
from ._helpers import binary_args, check_int, check_tensor, unbroadcast
from .registry import NOT_DIFFERENTIABLE, Aval, register

__all__ = ["cast", "add", "sub", "mul", "div", "neg", "exp", "log", "sqrt", "square", "tanh",
           "sigmoid", "maximum", "minimum", "pow", "equal", "not_equal", "less", "less_equal",
           "greater", "greater_equal", "logical_not", "logical_and", "logical_or", "abs",
           "stop_gradient", "select", "reciprocal", "sign"]


# --- cast ---------------------------------------------------------------------------------------
def _cast_rule(x, dtype):
    return Aval(x.shape, dtype)


def _cast_bprop(x, out, dout, dtype):
    if x.dtype.kind not in "fc":
        return (None,)
    return (cast_p(dout, dtype=x.dtype),)


cast_p = register("cast", infer=_cast_rule, kernel=lambda x, dtype: x.astype(dtype.np),
                  bprop=_cast_bprop, expr="({dtype}){0}", family="elementwise")


def cast(input, dtype):
    """Convert ``input`` to ``dtype`` (MindSpore's ``ops.cast``)."""
    check_tensor("cast", input)
    t = mstype.to_dtype(dtype, "dtype")
    if input._data.dtype == t.np:
        return input
    return cast_p(input, dtype=t)


# --- arithmetic ----------------------------------------------------------------------------------
def _add_bprop(x, y, out, dout):
    return unbroadcast(dout, x.shape), unbroadcast(dout, y.shape)


def _sub_bprop(x, y, out, dout):
    return unbroadcast(dout, x.shape), unbroadcast(neg_p(dout), y.shape)


def _mul_bprop(x, y, out, dout):
    return unbroadcast(mul_p(dout, y), x.shape), unbroadcast(mul_p(dout, x), y.shape)


def _div_bprop(x, y, out, dout):
    gx = div_p(dout, y)
    return unbroadcast(gx, x.shape), unbroadcast(neg_p(mul_p(gx, out)), y.shape)


def _div_kernel(x, y):
    if x.dtype.kind in "iub":
        return np.true_divide(x, y).astype(np.float32)
    return np.true_divide(x, y)


def _div_rule(x, y):
    out = R.broadcast("div")(x, y)
    if out.dtype.kind in "iub":
        return Aval(out.shape, mstype.float32)
    return out


add_p = register("add", infer=R.broadcast("add"), kernel=np.add, bprop=_add_bprop,
                 expr="({0} + {1})", family="elementwise")
sub_p = register("sub", infer=R.broadcast("sub"), kernel=np.subtract, bprop=_sub_bprop,
                 expr="({0} - {1})", family="elementwise")
mul_p = register("mul", infer=R.broadcast("mul"), kernel=np.multiply, bprop=_mul_bprop,
                 expr="({0} * {1})", family="elementwise")
div_p = register("div", infer=_div_rule, kernel=_div_kernel, bprop=_div_bprop,
                 expr="({0} / {1})", family="elementwise")
neg_p = register("neg", infer=R.same("neg"), kernel=np.negative,
                 bprop=lambda x, out, dout: (neg_p(dout),), expr="(-{0})", family="elementwise")


def add(input, other):
    """``input + other`` with broadcasting and MindSpore's type promotion."""
    x, y = binary_args("add", input, other)
    return add_p(x, y)


def sub(input, other):
    """``input - other``."""
    x, y = binary_args("sub", input, other)
    return sub_p(x, y)


def mul(input, other):
    """``input * other``."""
    x, y = binary_args("mul", input, other)
    return mul_p(x, y)


def div(input, other, *, rounding_mode=None):
    """``input / other``; integer inputs give float32. ``rounding_mode`` 'floor' or 'trunc'."""
    x, y = binary_args("div", input, other)
    if rounding_mode is None:
        return div_p(x, y)
    if rounding_mode == "floor":
        return floor_divide_p(x, y)
    if rounding_mode == "trunc":
        if x.dtype.kind in "iu":
            return cast_p(trunc_p(div_p(x, y)), dtype=x.dtype)
        return trunc_p(div_p(x, y))
    raise ValueError(f"div: 'rounding_mode' must be None, 'floor' or 'trunc', got {rounding_mode!r}")


def neg(input):
    """``-input``."""
    check_tensor("neg", input)
    return neg_p(input)


# --- unary math ----------------------------------------------------------------------------------
exp_p = register("exp", infer=R.float_unary("exp"), kernel=np.exp,
                 bprop=lambda x, out, dout: (mul_p(dout, out),), expr="exp({0})", family="elementwise")
log_p = register("log", infer=R.float_unary("log"), kernel=np.log,
                 bprop=lambda x, out, dout: (div_p(dout, x),), expr="log({0})", family="elementwise")


def _sqrt_bprop(x, out, dout):
    return (div_p(dout, mul_p(out, _const(2.0, out))),)


sqrt_p = register("sqrt", infer=R.float_unary("sqrt"), kernel=np.sqrt, bprop=_sqrt_bprop,
                  expr="sqrt({0})", family="elementwise")
square_p = register("square", infer=R.same("square"), kernel=np.square,
                    bprop=lambda x, out, dout: (mul_p(dout, mul_p(x, _const(2, x))),),
                    expr="({0} * {0})", family="elementwise")


def _tanh_bprop(x, out, dout):
    return (mul_p(dout, sub_p(_const(1, out), mul_p(out, out))),)


tanh_p = register("tanh", infer=R.float_unary("tanh"), kernel=np.tanh, bprop=_tanh_bprop,
                  expr="tanh({0})", family="elementwise")


def _in_place_safe(kernel):
    """Let a kernel that works in place (``out=``) accept 0-d input, for which numpy's ufuncs
    return immutable scalars: it runs on a 1-element view instead."""
    def wrapped(x):
        if x.ndim == 0:
            return kernel(x.reshape(1)).reshape(())
        return kernel(x)
    wrapped.__name__ = kernel.__name__
    return wrapped


# exp(-x) is kept below the dtype's overflow point, so no inf and no warning; below it sigmoid is
# under 1e-38 (float32) anyway
_EXP_LIMIT = {np.dtype(np.float32): np.float32(88.0), np.dtype(np.float64): np.float64(709.0)}


@_in_place_safe
def _sigmoid_kernel(x):
    limit = _EXP_LIMIT.get(x.dtype)
    if limit is None:  # half precision computes in float32
        return _sigmoid_kernel(x.astype(np.float32)).astype(x.dtype)
    # 1 / (1 + exp(-x)), in place: no cancellation on either side, four passes, one allocation
    e = np.negative(x)
    np.minimum(e, limit, out=e)
    np.exp(e, out=e)
    e += 1
    return np.reciprocal(e, out=e)


def _sigmoid_bprop(x, out, dout):
    return (mul_p(dout, mul_p(out, sub_p(_const(1, out), out))),)


sigmoid_p = register("sigmoid", infer=R.float_unary("sigmoid"), kernel=_sigmoid_kernel,
                     bprop=_sigmoid_bprop, expr="(1 / (1 + exp(-{0})))", family="elementwise")


def _abs_bprop(x, out, dout):
    return (mul_p(dout, sign_p(x)),)


abs_p = register("abs", infer=R.same("abs"), kernel=np.abs, bprop=_abs_bprop, expr="fabs({0})",
                 family="elementwise")
sign_p = register("sign", infer=R.same("sign"), kernel=np.sign,
                  bprop=lambda x, out, dout: (mul_p(dout, _const(0, x)),), expr="sign({0})",
                  family="elementwise")
reciprocal_p = register("reciprocal", infer=R.same("reciprocal"), kernel=np.reciprocal,
                        bprop=lambda x, out, dout: (neg_p(mul_p(dout, mul_p(out, out))),),
                        expr="(1 / {0})", family="elementwise")


def _const(value, like):
    return Tensor._wrap(np.array(value, dtype=like._data.dtype))


def _unary(name, prim):
    def fn(input):
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: 'input' must be a Tensor, got {type(input).__name__}")
        return prim(input)
    fn.__name__ = name
    fn.__qualname__ = name
    fn.__doc__ = f"Elementwise ``{name}`` of ``input`` (MindSpore's ``ops.{name}``)."
    return fn


def _float_unary(name, prim):
    """A float math function: int and bool inputs are computed in float32, as MindSpore does."""
    def fn(input):
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: 'input' must be a Tensor, got {type(input).__name__}")
        if input._data.dtype.kind in "iub":
            input = cast_p(input, dtype=mstype.float32)
        return prim(input)
    fn.__name__ = name
    fn.__qualname__ = name
    fn.__doc__ = f"Elementwise ``{name}`` of ``input`` (MindSpore's ``ops.{name}``); ints give float32."
    return fn


exp = _float_unary("exp", exp_p)
log = _float_unary("log", log_p)
sqrt = _float_unary("sqrt", sqrt_p)
square = _unary("square", square_p)
tanh = _float_unary("tanh", tanh_p)
sigmoid = _float_unary("sigmoid", sigmoid_p)
abs = _unary("abs", abs_p)
sign = _unary("sign", sign_p)
reciprocal = _unary("reciprocal", reciprocal_p)


# --- binary math -------------------------------------------------------------------------------
def _maximum_bprop(x, y, out, dout):
    mask = cast_p(greater_equal_p(x, y), dtype=dout.dtype)
    return (unbroadcast(mul_p(dout, mask), x.shape),
            unbroadcast(mul_p(dout, sub_p(_const(1, mask), mask)), y.shape))


def _minimum_bprop(x, y, out, dout):
    mask = cast_p(less_equal_p(x, y), dtype=dout.dtype)
    return (unbroadcast(mul_p(dout, mask), x.shape),
            unbroadcast(mul_p(dout, sub_p(_const(1, mask), mask)), y.shape))


maximum_p = register("maximum", infer=R.broadcast("maximum"), kernel=np.maximum, bprop=_maximum_bprop,
                     expr="fmax({0}, {1})", family="elementwise")
minimum_p = register("minimum", infer=R.broadcast("minimum"), kernel=np.minimum, bprop=_minimum_bprop,
                     expr="fmin({0}, {1})", family="elementwise")


def _pow_bprop(x, y, out, dout):
    gx = mul_p(dout, mul_p(y, pow_p(x, sub_p(y, _const(1, y)))))
    safe = where_p(greater_p(x, _const(0, x)), x, _const(1, x))
    gy = mul_p(dout, mul_p(out, log_p(safe)))
    return unbroadcast(gx, x.shape), unbroadcast(gy, y.shape)


def _pow_kernel(x, y):
    if x.dtype.kind in "iu" and y.dtype.kind in "iu":
        return np.power(x, np.abs(y)) * (y >= 0) if (y < 0).any() else np.power(x, y)
    return np.power(x, y)


pow_p = register("pow", infer=R.broadcast("pow"), kernel=_pow_kernel, bprop=_pow_bprop,
                 expr="pow({0}, {1})", family="elementwise")


def maximum(input, other):
    """Elementwise maximum."""
    x, y = binary_args("maximum", input, other)
    return maximum_p(x, y)


def minimum(input, other):
    """Elementwise minimum."""
    x, y = binary_args("minimum", input, other)
    return minimum_p(x, y)


def pow(input, exponent):
    """``input ** exponent``."""
    x, y = binary_args("pow", input, exponent)
    return pow_p(x, y)


# --- comparison and logic -------------------------------------------------------------------
def _cmp(name, kernel, expr):
    return register(name, infer=R.compare(name), kernel=kernel, bprop=NOT_DIFFERENTIABLE, expr=expr,
                    family="elementwise")


equal_p = _cmp("equal", np.equal, "({0} == {1})")
not_equal_p = _cmp("not_equal", np.not_equal, "({0} != {1})")
less_p = _cmp("less", np.less, "({0} < {1})")
less_equal_p = _cmp("less_equal", np.less_equal, "({0} <= {1})")
greater_p = _cmp("greater", np.greater, "({0} > {1})")
greater_equal_p = _cmp("greater_equal", np.greater_equal, "({0} >= {1})")
logical_and_p = _cmp("logical_and", np.logical_and, "({0} && {1})")
logical_or_p = _cmp("logical_or", np.logical_or, "({0} || {1})")
logical_not_p = register("logical_not", infer=lambda x: Aval(x.shape, mstype.bool_), kernel=np.logical_not,
                         bprop=NOT_DIFFERENTIABLE, expr="(!{0})", family="elementwise")


def _binary_cmp(name, prim):
    def fn(input, other):
        x, y = binary_args(name, input, other)
        return prim(x, y)
    fn.__name__ = name
    fn.__qualname__ = name
    fn.__doc__ = f"Elementwise ``{name}`` with broadcasting; returns a Bool tensor."
    return fn


equal = _binary_cmp("equal", equal_p)
not_equal = _binary_cmp("not_equal", not_equal_p)
less = _binary_cmp("less", less_p)
less_equal = _binary_cmp("less_equal", less_equal_p)
greater = _binary_cmp("greater", greater_p)
greater_equal = _binary_cmp("greater_equal", greater_equal_p)


def _to_bool(name, x):
    x = x if isinstance(x, Tensor) else Tensor(x)
    return x if x._data.dtype == np.bool_ else cast_p(x, dtype=mstype.bool_)


def logical_and(input, other):
    """Elementwise logical and; returns Bool."""
    return logical_and_p(_to_bool("logical_and", input), _to_bool("logical_and", other))


def logical_or(input, other):
    """Elementwise logical or; returns Bool."""
    return logical_or_p(_to_bool("logical_or", input), _to_bool("logical_or", other))


def logical_not(input):
    """Elementwise logical not; returns Bool."""
    return logical_not_p(_to_bool("logical_not", input))


# --- selection -------------------------------------------------------------------------------
def _where_rule(c, x, y):
    if c.dtype is not mstype.bool_:
        raise TypeError(f"where: 'condition' must be a Bool tensor, got {c.dtype}")
    d = R.check_same_dtype("where", x, y)
    return Aval(R._broadcast_shapes("where", c.shape, x.shape, y.shape), d)


def _where_bprop(c, x, y, out, dout):
    zeros = _const(0, dout)
    return (None, unbroadcast(where_p(c, dout, zeros), x.shape),
            unbroadcast(where_p(c, zeros, dout), y.shape))


where_p = register("where", infer=_where_rule, kernel=np.where, bprop=_where_bprop,
                   expr="({0} ? {1} : {2})", family="elementwise")


def select(cond, x, y):
    """``x`` where ``cond`` is True, else ``y`` (MindSpore's ``ops.select``)."""
    check_tensor("select", cond, "cond")
    x, y = binary_args("select", x, y)
    return where_p(_to_bool("select", cond), x, y)


def where(condition, input, other):
    """``input`` where ``condition`` is True, else ``other`` (numbers or Tensors, broadcast and
    promoted), MindSpore's ``ops.where``."""
    if not isinstance(condition, Tensor):
        condition = Tensor(condition)
    x, y = binary_args("where", input, other)
    return where_p(_to_bool("where", condition), x, y)


def _stop_gradient_kernel(x):
    return x


stop_gradient_p = register("stop_gradient", infer=R.same("stop_gradient"), kernel=_stop_gradient_kernel,
                           bprop=NOT_DIFFERENTIABLE, expr="{0}", family="elementwise")


def stop_gradient(value):
    """The same value, with no gradient flowing through it."""
    if isinstance(value, (tuple, list)):
        return type(value)(stop_gradient(v) for v in value)
    if not isinstance(value, Tensor):
        return value
    return stop_gradient_p(value)


# --- rounding ----------------------------------------------------------------------------------
# The derivative of a rounding function is zero almost everywhere: NOT_DIFFERENTIABLE gives exactly
# that (the output is a constant for the tape) at no cost.
def _rounding(name, kernel, expr):
    return register(name, infer=R.same(name), kernel=kernel, bprop=NOT_DIFFERENTIABLE, expr=expr,
                    family="elementwise")


floor_p = _rounding("floor", np.floor, "floor({0})")
ceil_p = _rounding("ceil", np.ceil, "ceil({0})")
trunc_p = _rounding("trunc", np.trunc, "trunc({0})")
round_p = _rounding("round", lambda x, decimals: np.round(x, decimals),
                   "(rint({0} * pow(10, {decimals})) / pow(10, {decimals}))")


def _rounding_fn(name, prim):
    def fn(input):
        check_tensor(name, input)
        if input.dtype.kind in "iub":  # already integral
            return input
        return prim(input)
    fn.__name__ = name
    fn.__qualname__ = name
    fn.__doc__ = f"Elementwise ``{name}``; integer tensors are returned unchanged."
    return fn


floor = _rounding_fn("floor", floor_p)
ceil = _rounding_fn("ceil", ceil_p)
trunc = _rounding_fn("trunc", trunc_p)
fix = trunc


def round(input, *, decimals=0):
    """Round half to even, to ``decimals`` decimal places (MindSpore's ``ops.round``)."""
    check_tensor("round", input)
    check_int("round", decimals, "decimals")
    if input.dtype.kind in "iub":
        return input
    return round_p(input, decimals=int(decimals))


def frac(input):
    """The fractional part ``input - trunc(input)``, with the sign of ``input``."""
    check_tensor("frac", input)
    if input.dtype.kind in "iub":
        return sub_p(input, input)
    return sub_p(input, trunc_p(input))


floor_divide_p = register("floor_divide", infer=R.broadcast("floor_divide"), kernel=np.floor_divide,
                          bprop=NOT_DIFFERENTIABLE, expr="floordiv({0}, {1})", family="elementwise")


def floor_divide(input, other):
    """``floor(input / other)``, integer for integer inputs."""
    x, y = binary_args("floor_divide", input, other)
    return floor_divide_p(x, y)


floor_div = floor_divide


# --- aliases: the same function objects under MindSpore's other names ---------------------------
multiply = mul
divide = div
negative = neg
absolute = abs
eq = equal
ne = not_equal
lt = less
le = less_equal
gt = greater
ge = greater_equal

__all__ += [
    "where", "floor", "ceil", "trunc", "fix", "round", "frac", "floor_divide", "floor_div", "multiply",
    "divide", "negative", "absolute", "eq", "ne", "lt", "le", "gt", "ge"]

# the math functions live in elementwise_math.py (split to keep files readable); they join this
# family's public names here
from .elementwise_math import *  # noqa: E402,F401,F403
from .elementwise_math import __all__ as _math_all  # noqa: E402

__all__ += _math_all
