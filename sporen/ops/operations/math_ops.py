"""Math Primitive classes (``P.Add``, ``P.MatMul``, ``P.ReduceSum``...) as specs over the functional ops."""
from .. import functional as F
from ..registry import OPS
from ._base import axes_arg, spec

_M = "math_ops"


def _unary(name, fn):
    def call(self, x):
        return getattr(F, fn)(x)
    call.__name__ = "__call__"
    spec(name, fn, call, io=(["x"], ["y"]), module=_M)


def _binary(name, fn):
    def call(self, x, y):
        return getattr(F, fn)(x, y)
    call.__name__ = "__call__"
    spec(name, fn, call, io=(["x", "y"], ["output"]), module=_M)


for _name, _fn in [
        ("Neg", "neg"), ("Exp", "exp"), ("Log", "log"), ("Log1p", "log1p"), ("Expm1", "expm1"),
        ("Sqrt", "sqrt"), ("Rsqrt", "rsqrt"), ("Square", "square"), ("Abs", "abs"), ("Sign", "sign"),
        ("Reciprocal", "reciprocal"), ("Inv", "reciprocal"), ("Floor", "floor"), ("Ceil", "ceil"),
        ("Round", "round"), ("Trunc", "trunc"), ("Sin", "sin"), ("Cos", "cos"), ("Tan", "tan"),
        ("Asin", "asin"), ("ACos", "acos"), ("Atan", "atan"), ("Sinh", "sinh"), ("Cosh", "cosh"),
        ("Asinh", "asinh"), ("Acosh", "acosh"), ("Atanh", "atanh"), ("Erf", "erf"), ("Erfc", "erfc"),
        ("Erfinv", "erfinv"), ("Lgamma", "lgamma"), ("Digamma", "digamma"), ("LogicalNot", "logical_not"),
        ("Invert", "bitwise_not"), ("IsNan", "isnan"), ("IsInf", "isinf"), ("IsFinite", "isfinite"),
        ("Conj", "conj"), ("Real", "real"), ("Imag", "imag"), ("Angle", "angle"), ("Sinc", "sinc"),
        ("Log2", "log2"), ("Log10", "log10"), ("Exp2", "exp2")]:
    _unary(_name, _fn)

for _name, _fn in [
        ("Add", "add"), ("Sub", "sub"), ("Mul", "mul"), ("RealDiv", "div"), ("Div", "div"),
        ("DivNoNan", "div_no_nan"), ("FloorDiv", "floor_divide"), ("FloorMod", "floor_mod"),
        ("Mod", "fmod"), ("TruncateDiv", "truncate_div"), ("TruncateMod", "truncate_mod"),
        ("Pow", "pow"), ("Maximum", "maximum"), ("Minimum", "minimum"), ("Equal", "equal"),
        ("NotEqual", "not_equal"), ("Less", "less"), ("LessEqual", "less_equal"),
        ("Greater", "greater"), ("GreaterEqual", "greater_equal"), ("LogicalAnd", "logical_and"),
        ("LogicalOr", "logical_or"), ("LogicalXor", "logical_xor"), ("BitwiseAnd", "bitwise_and"),
        ("BitwiseOr", "bitwise_or"), ("BitwiseXor", "bitwise_xor"), ("Atan2", "atan2"),
        ("Xdivy", "xdivy"), ("Xlogy", "xlogy"), ("Hypot", "hypot"), ("Heaviside", "heaviside"),
        ("NextAfter", "nextafter"), ("Gcd", "gcd"), ("Lcm", "lcm"), ("Polar", "polar"),
        ("Complex", "complex")]:
    _binary(_name, _fn)


def _squared_difference(self, x, y):
    d = F.sub(x, y)
    return F.mul(d, d)


spec("SquaredDifference", ("sub", "mul"), _squared_difference, module=_M)
spec("Lerp", "lerp", lambda self, start, end, weight: F.lerp(start, end, weight), module=_M)
spec("Addcdiv", "addcdiv", lambda self, x, t1, t2, value: F.addcdiv(x, t1, t2, value), module=_M)
spec("Addcmul", "addcmul", lambda self, x, t1, t2, value: F.addcmul(x, t1, t2, value), module=_M)
spec("AddN", "addn", lambda self, x: F.addn(x), module=_M)
spec("AccumulateNV2", "addn", lambda self, x: F.addn(x), module=_M)


def _approx_equal(self, x, y):
    return F.less(F.abs(F.sub(x, y)), self.tolerance)


spec("ApproximateEqual", ("sub", "abs", "less"), _approx_equal, attrs=(("tolerance", 1e-5),), module=_M)


# --- reductions: ctor(keep_dims), call(x, axis=()) -------------------------------------------
def _reduce(name, fn, extra=()):
    def call(self, x, axis=()):
        return getattr(F, fn)(x, axes_arg(axis), self.keep_dims)
    call.__name__ = "__call__"
    spec(name, fn, call, attrs=(("keep_dims", False),) + extra, io=(["input_x", "axis"], ["y"]), module=_M)


_reduce("ReduceSum", "sum", (("skip_mode", False),))
_reduce("ReduceMean", "mean")
_reduce("ReduceMax", "amax")
_reduce("ReduceMin", "amin")
_reduce("ReduceProd", "prod")
_reduce("ReduceAll", "all")
_reduce("ReduceAny", "any")


def _reduce_std(self, x):
    axis = axes_arg(self.axis)
    std = F.std(x, axis, ddof=1 if self.unbiased else 0, keepdims=self.keep_dims)
    mean = F.mean(x, axis, self.keep_dims)
    return std, mean


spec("ReduceStd", ("std", "mean"), _reduce_std,
     attrs=(("axis", ()), ("unbiased", True), ("keep_dims", False)), module=_M)


def _check_output_type(self):
    from ... import dtype as mstype
    t = mstype.to_dtype(self.output_type, "output_type")
    if t.kind not in "iu":
        raise TypeError(f"{self.name}: 'output_type' must be an int type, got {t}")


def _argmax(self, x):
    return F.cast(F.argmax(x, self.axis, False), self.output_type)


def _argmin(self, x):
    return F.cast(F.argmin(x, self.axis, False), self.output_type)


def _int32():
    from ... import dtype as mstype
    return mstype.int32


spec("Argmax", ("argmax", "cast"), _argmax, attrs=(("axis", -1), ("output_type", _int32())),
     check=_check_output_type, module=_M)
spec("Argmin", ("argmin", "cast"), _argmin, attrs=(("axis", -1), ("output_type", _int32())),
     check=_check_output_type, module=_M)


def _arg_max_with_value(self, x):
    values, index = F.max(x, self.axis, self.keep_dims)
    return index, values


def _arg_min_with_value(self, x):
    values, index = F.min(x, self.axis, self.keep_dims)
    return index, values


spec("ArgMaxWithValue", "max", _arg_max_with_value, attrs=(("axis", 0), ("keep_dims", False)),
     io=(["x"], ["index", "output_x"]), module=_M)
spec("ArgMinWithValue", "min", _arg_min_with_value, attrs=(("axis", 0), ("keep_dims", False)),
     io=(["x"], ["index", "output_x"]), module=_M)


def _cum(fn):
    def call(self, x, axis):
        axis = int(axis)
        if self.reverse:
            x = F.flip(x, (axis,))
        out = getattr(F, fn)(x, axis)
        if self.exclusive:
            # shift by one along axis: the first entry becomes the identity of the operation
            n = x.shape[axis]
            ident = F.zeros_like(x) if fn == "cumsum" else F.ones_like(x)
            head = F.narrow(ident, axis, 0, 1)
            out = F.concat((head, F.narrow(out, axis, 0, n - 1)), axis) if n > 0 else out
        if self.reverse:
            out = F.flip(out, (axis,))
        return out
    call.__name__ = "__call__"
    return call


spec("CumSum", ("cumsum", "flip", "narrow", "concat", "zeros_like"), _cum("cumsum"),
     attrs=(("exclusive", False), ("reverse", False)), module=_M)
spec("CumProd", ("cumprod", "flip", "narrow", "concat", "ones_like"), _cum("cumprod"),
     attrs=(("exclusive", False), ("reverse", False)), module=_M)


# --- matrix products -------------------------------------------------------------------------
def _matmul(self, x, y):
    if "matmul" in OPS and x.dtype == y.dtype and x.ndim == 2 and y.ndim == 2:
        return OPS["matmul"](x, y, transpose_a=self.transpose_a, transpose_b=self.transpose_b)
    if self.transpose_a:
        x = F.swapaxes(x, -1, -2)
    if self.transpose_b:
        y = F.swapaxes(y, -1, -2)
    return F.matmul(x, y)


spec("MatMul", ("matmul", "swapaxes"), _matmul, attrs=(("transpose_a", False), ("transpose_b", False)),
     io=(["x1", "x2"], ["output"]), module=_M)
spec("BatchMatMul", ("matmul", "swapaxes"), _matmul, attrs=(("transpose_a", False), ("transpose_b", False)),
     io=(["x1", "x2"], ["output"]), module=_M)
spec("Einsum", "einsum", lambda self, inputs: F.einsum(self.equation, *inputs), attrs=(("equation", ""),),
     module=_M)
spec("MatrixInverse", "inverse", lambda self, x: F.inverse(x), attrs=(("adjoint", False),), module=_M)
spec("MatrixDeterminant", "det", lambda self, x: F.det(x), module=_M)
spec("Trace", "trace", lambda self, x: F.trace(x), module=_M)
spec("Cross", "cross", lambda self, x1, x2: F.cross(x1, x2, self.dim), attrs=(("dim", -65530),), module=_M)


def _bias_add(self, x, bias):
    if self.data_format == "NHWC" or x.ndim == 2:
        return F.add(x, bias)
    shape = (1, bias.shape[0]) + (1,) * (x.ndim - 2)
    return F.add(x, F.reshape(bias, shape))


def _check_data_format(self):
    if self.data_format not in ("NCHW", "NHWC", "NCDHW"):
        raise ValueError(f"{self.name}: 'data_format' must be 'NCHW', 'NHWC' or 'NCDHW', got {self.data_format!r}")


spec("BiasAdd", ("add", "reshape"), _bias_add, attrs=(("data_format", "NCHW"),), check=_check_data_format,
     io=(["x", "b"], ["output"]), module="nn_ops")


# --- clipping, comparisons with attrs -------------------------------------------------------
spec("ClipByValue", "clip_by_value", lambda self, x, lo, hi: F.clip_by_value(x, lo, hi), module=_M)
spec("IsClose", "isclose", lambda self, x, y: F.isclose(x, y, self.rtol, self.atol, self.equal_nan),
     attrs=(("rtol", 1e-5), ("atol", 1e-8), ("equal_nan", True)), module=_M)
