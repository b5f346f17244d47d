"""Math Primitive classes (``P.Add``, ``P.MatMul``, ``P.ReduceSum``...) as specs over the functional ops."""
from .. import functional as F
from ..registry import OPS
from ._base import axes_arg, spec

_M = "math_ops"


def _unary(name, fn):
    spec(name, fn, None, io=(["x"], ["y"]), module=_M, direct=(fn, 1))


def _binary(name, fn):
    spec(name, fn, None, io=(["x", "y"], ["output"]), module=_M, direct=(fn, 2))


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
        ("Log2", "log2"), ("Log10", "log10"), ("Exp2", "exp2"), ("Rint", "round")]:
    _unary(_name, _fn)

for _name, _fn in [
        ("Add", "add"), ("Sub", "sub"), ("Mul", "mul"), ("RealDiv", "div"), ("Div", "div"),
        ("FloorDiv", "floor_divide"), ("FloorMod", "floor_mod"), ("Mod", "fmod"), ("TruncateMod", "fmod"),
        ("Pow", "pow"), ("Maximum", "maximum"), ("Minimum", "minimum"), ("Equal", "equal"),
        ("NotEqual", "not_equal"), ("Less", "less"), ("LessEqual", "less_equal"),
        ("Greater", "greater"), ("GreaterEqual", "greater_equal"), ("LogicalAnd", "logical_and"),
        ("LogicalOr", "logical_or"), ("LogicalXor", "logical_xor"), ("BitwiseAnd", "bitwise_and"),
        ("BitwiseOr", "bitwise_or"), ("BitwiseXor", "bitwise_xor"), ("Atan2", "atan2"),
        ("Xlogy", "xlogy"), ("Hypot", "hypot"), ("Heaviside", "heaviside"),
        ("NextAfter", "nextafter"), ("Gcd", "gcd"), ("Lcm", "lcm"), ("Polar", "polar"),
        ("Complex", "complex"), ("TensorAdd", "add"), ("Ger", "ger")]:
    _binary(_name, _fn)


def _squared_difference(self, x, y):
    d = F.sub(x, y)
    return F.mul(d, d)


spec("SquaredDifference", ("sub", "mul"), _squared_difference, module=_M)
spec("Lerp", "lerp", lambda self, start, end, weight: F.lerp(start, end, weight), module=_M)
spec("Addcdiv", "addcdiv", lambda self, x, t1, t2, value: F.addcdiv(x, t1, t2, value), module=_M)
spec("Addcmul", "addcmul", lambda self, x, t1, t2, value: F.addcmul(x, t1, t2, value), module=_M)
def _addn(self, xs):
    if not isinstance(xs, (tuple, list)) or not xs:
        raise TypeError(f"{self.name}: 'x' must be a non-empty tuple or list of Tensors, got {xs!r}")
    out = xs[0]
    for x in xs[1:]:
        out = F.add(out, x)
    return out


spec("AddN", "add", _addn, module=_M)
spec("AccumulateNV2", "add", _addn, module=_M)


def _div_no_nan(self, x, y):
    """x / y, and 0 where y is 0."""
    zero = F.equal(y, 0)
    q = F.div(x, F.select(zero, F.ones_like(y), y))
    return F.select(zero, F.zeros_like(q), q)


def _xdivy(self, x, y):
    """x / y, and 0 where x is 0."""
    zero = F.equal(x, 0)
    q = F.div(x, F.select(zero, F.ones_like(y), y))
    return F.select(zero, F.zeros_like(q), q)


def _truncate_div(self, x, y):
    q = F.trunc(F.div(x, y))
    return F.cast(q, x.dtype) if x.dtype != q.dtype else q


spec("DivNoNan", ("div", "select", "equal", "ones_like", "zeros_like"), _div_no_nan, module=_M)
spec("Xdivy", ("div", "select", "equal", "ones_like", "zeros_like"), _xdivy, module=_M)
spec("TruncateDiv", ("div", "trunc", "cast"), _truncate_div, module=_M)


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
spec("MatrixInverse", "matrix_inverse", lambda self, x: F.matrix_inverse(x, self.adjoint), attrs=(("adjoint", False),),
     module=_M)
spec("MatrixDeterminant", "det", lambda self, x: F.det(x), module=_M)
spec("LogMatrixDeterminant", "slogdet", lambda self, x: tuple(F.slogdet(x)), module=_M)
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
spec("ClipByValue", "clamp", lambda self, x, lo, hi: F.clamp(x, lo, hi), module=_M)
spec("IsClose", "isclose", lambda self, x, y: F.isclose(x, y, self.rtol, self.atol, self.equal_nan),
     attrs=(("rtol", 1e-5), ("atol", 1e-8), ("equal_nan", True)), module=_M)


def _mul_no_nan(self, x, y):
    """x * y, and 0 where y is 0 (even where x is inf or nan)."""
    return F.mul(F.select(F.equal(y, 0), F.zeros_like(x), x), y)


spec("MulNoNan", ("mul", "select", "equal", "zeros_like"), _mul_no_nan, module=_M)


def _square_sum_all(self, x, y):
    return F.sum(F.mul(x, x)), F.sum(F.mul(y, y))


spec("SquareSumAll", ("sum", "mul"), _square_sum_all, module=_M)


def _count_nonzero(self, x):
    from ... import dtype as mstype
    dims = () if self.dims is None else self.dims
    return F.count_nonzero(x, dims, False, mstype.int64)


spec("CountNonZero", "count_nonzero", _count_nonzero, attrs=(("dims", None),), module=_M)


def _cum_extreme(fn):
    def call(self, x):
        return tuple(getattr(F, fn)(x, self.axis))
    call.__name__ = "__call__"
    return call


spec("Cummax", "cummax", _cum_extreme("cummax"), attrs=(("axis", 0),), module=_M)
spec("Cummin", "cummin", _cum_extreme("cummin"), attrs=(("axis", 0),), module=_M)
spec("NanToNum", "nan_to_num", lambda self, x: F.nan_to_num(x, self.nan, self.posinf, self.neginf),
     attrs=(("nan", 0.0), ("posinf", None), ("neginf", None)), module=_M)


def _bucketize(self, x):
    from ... import dtype as mstype
    return F.cast(F.bucketize(x, list(self.boundaries)), mstype.int32)


spec("Bucketize", ("bucketize", "cast"), _bucketize, attrs=(("boundaries", ()),), module=_M)
spec("Cdist", "cdist", lambda self, x1, x2: F.cdist(x1, x2, self.p), attrs=(("p", 2.0),), module=_M)


def _search_sorted(self, sorted_sequence, values):
    from ... import dtype as mstype
    return F.searchsorted(sorted_sequence, values, out_int32=self.dtype == mstype.int32, right=self.right)


def _int64():
    from ... import dtype as mstype
    return mstype.int64


spec("SearchSorted", "searchsorted", _search_sorted, attrs=(("dtype", _int64()), ("right", False)), module=_M)
spec("LpNorm", "norm", lambda self, x: F.norm(x, self.p, _norm_axis(self.axis), self.keep_dims),
     attrs=(("axis", ()), ("p", 2), ("keep_dims", False), ("epsilon", 1e-12)), module=_M)


def _norm_axis(axis):
    if isinstance(axis, (tuple, list)):
        return tuple(axis) if len(axis) != 1 else axis[0]
    return axis


def _lin_space(self, start, stop, num):
    return F.linspace(start, stop, int(num))


spec("LinSpace", "linspace", _lin_space, module=_M)


# --- linear algebra ------------------------------------------------------------------------------
spec("Cholesky", "cholesky", lambda self, x: F.cholesky(x, self.upper), attrs=(("upper", False),), module=_M)
spec("CholeskyInverse", "cholesky_inverse", lambda self, x: F.cholesky_inverse(x, self.upper),
     attrs=(("upper", False),), module=_M)
spec("CholeskySolve", "cholesky_solve", lambda self, x1, x2: F.cholesky_solve(x1, x2, self.upper),
     attrs=(("upper", False),), module=_M)
spec("Qr", "qr", lambda self, x: tuple(F.qr(x, "complete" if self.full_matrices else "reduced")),
     attrs=(("full_matrices", False),), module=_M)
spec("Svd", "svd", lambda self, x: tuple(F.svd(x, self.full_matrices, self.compute_uv)),
     attrs=(("full_matrices", False), ("compute_uv", True)), module=_M)
spec("MatrixPower", "matrix_power", lambda self, x: F.matrix_power(x, self.n), attrs=(("n", 1),), module=_M)


def _matrix_band_part(self, x, lower, upper):
    """Keep the band lower <= below-diagonal, upper >= above-diagonal (negative: keep all)."""
    import numpy as np
    from ...tensor import Tensor
    m, n = x.shape[-2], x.shape[-1]
    i = np.arange(m)[:, None]
    j = np.arange(n)[None, :]
    lo = int(lower)
    hi = int(upper)
    keep = ((lo < 0) | (i - j <= lo)) & ((hi < 0) | (j - i <= hi))
    return F.select(Tensor(np.broadcast_to(keep, x.shape).copy()), x, F.zeros_like(x))


spec("MatrixBandPart", ("select", "zeros_like"), _matrix_band_part, module=_M)


# --- more elementwise --------------------------------------------------------------------------
def _nan_aware(pick):
    def call(self, x1, x2):
        picked = getattr(F, pick)(x1, x2)
        return F.select(F.isnan(x1), F.broadcast_to(x2, picked.shape) if x2.shape != picked.shape else x2,
                        F.select(F.isnan(x2), x1, picked))
    call.__name__ = "__call__"
    return call


spec("Fmax", ("maximum", "select", "isnan", "broadcast_to"), _nan_aware("maximum"), module=_M)
spec("Fmin", ("minimum", "select", "isnan", "broadcast_to"), _nan_aware("minimum"), module=_M)


def _logit(self, x):
    if self.eps >= 0:
        x = F.clamp(x, self.eps, 1 - self.eps)
    return F.log(F.div(x, F.sub(1, x)))


spec("Logit", ("clamp", "log", "div", "sub"), _logit, attrs=(("eps", -1.0),), module=_M)


def _cum_logsumexp(self, x, axis):
    if self.exclusive:
        raise ValueError("CumulativeLogsumexp: sporen supports exclusive=False only")
    axis = int(axis)
    if self.reverse:
        return F.flip(F.logcumsumexp(F.flip(x, (axis,)), axis), (axis,))
    return F.logcumsumexp(x, axis)


spec("CumulativeLogsumexp", ("logcumsumexp", "flip"), _cum_logsumexp,
     attrs=(("exclusive", False), ("reverse", False)), module=_M)
