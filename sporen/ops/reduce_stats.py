"""Statistical reductions: std/var (and with the mean), nan-ignoring sums and means, median and
nanmedian, quantiles, vector and matrix norms, covariance, histograms, trapezoid integration.
The second half of the reduce family (reduce.py holds the primitive reductions and cumulative ops)."""
import numpy as np

from .. import dtype as mstype
from ..tensor import Tensor
from . import _rules as R
from ._helpers import check_bool, check_int, check_tensor
from .reduce import (_ew, _keep_shape, _reduce_args, _scatter_along, reduce_max_p, reduce_mean_p,
                     reduce_min_p, reduce_sum_p)
from .registry import NOT_DIFFERENTIABLE, OPS, Aval, register

__all__ = ["std", "var", "std_mean", "var_mean", "nansum", "nanmean", "median", "norm"]


# --- std, var --------------------------------------------------------------------------------------
def _ddof(name, ddof):
    if isinstance(ddof, (bool, np.bool_)):
        return int(ddof)
    return check_int(name, ddof, "ddof")


def _var(name, input, axis, ddof, keepdims):
    axes, keep = _reduce_args(name, input, axis, keepdims, keep_name="keepdims")
    d = _ddof(name, ddof)
    if input.dtype.kind not in "fc":
        raise TypeError(f"{name}: 'input' must be a float tensor, got {input.dtype}")
    E = _ew()
    n = 1
    for a in axes:
        n *= input.shape[a]
    mean_keep = reduce_mean_p(input, axis=axes, keepdims=True)
    centred = E.sub_p(input, mean_keep)
    ss = reduce_sum_p(E.mul_p(centred, centred), axis=axes, keepdims=keep)
    # n - ddof <= 0 gives inf/nan, as numpy and MindSpore do
    var = E.div_p(ss, E._const(n - d, ss))
    mean = mean_keep if keep else OPS["reshape"](mean_keep, shape=var.shape)
    return var, mean


def var(input, axis=None, ddof=0, keepdims=False):
    """Variance over ``axis`` with divisor ``N - ddof`` (``ddof=True`` is 1)."""
    return _var("var", input, axis, ddof, keepdims)[0]


def std(input, axis=None, ddof=0, keepdims=False):
    """Standard deviation over ``axis`` with divisor ``N - ddof``."""
    return _ew().sqrt_p(_var("std", input, axis, ddof, keepdims)[0])


def var_mean(input, axis=None, ddof=0, keepdims=False):
    """``(variance, mean)`` over ``axis``."""
    return _var("var_mean", input, axis, ddof, keepdims)


def std_mean(input, axis=None, ddof=0, keepdims=False):
    """``(standard deviation, mean)`` over ``axis``."""
    v, m = _var("std_mean", input, axis, ddof, keepdims)
    return _ew().sqrt_p(v), m


# --- nan-ignoring reductions ----------------------------------------------------------------------
def _nan_zeroed(input):
    if input.dtype.kind not in "fc":
        return input
    E = _ew()
    return E.where_p(OPS["isnan"](input), E._const(0, input), input)


def nansum(input, axis=None, keepdims=False, *, dtype=None):
    """Sum over ``axis`` treating nan as zero."""
    axes, keep = _reduce_args("nansum", input, axis, keepdims, keep_name="keepdims")
    x = _nan_zeroed(input)
    if dtype is not None:
        x = _ew().cast(x, dtype)
    return reduce_sum_p(x, axis=axes, keepdims=keep)


def nanmean(input, axis=None, keepdims=False, *, dtype=None):
    """Mean over ``axis`` of the elements that are not nan."""
    axes, keep = _reduce_args("nanmean", input, axis, keepdims, keep_name="keepdims")
    E = _ew()
    if dtype is not None:
        input = E.cast(input, dtype)
    if input.dtype.kind not in "fc":
        raise TypeError(f"nanmean: 'input' must be a float tensor, got {input.dtype}")
    total = reduce_sum_p(_nan_zeroed(input), axis=axes, keepdims=keep)
    count = reduce_sum_p(E.cast_p(E.logical_not_p(OPS["isnan"](input)), dtype=input.dtype), axis=axes,
                         keepdims=keep)
    return E.div_p(total, count)


# --- median ------------------------------------------------------------------------------------------
def _median_kernel(x, axis, keepdims):
    if x.ndim == 0:
        return x.copy(), np.zeros((), np.int64)
    k = (x.shape[axis] - 1) // 2  # the lower of the two middle values, as MindSpore and PyTorch
    order = np.argsort(x, axis=axis, kind="stable")
    index = np.take(order, [k], axis=axis)
    values = np.take_along_axis(x, index, axis=axis)
    if not keepdims:
        index = np.squeeze(index, axis)
        values = np.squeeze(values, axis)
    return values, index.astype(np.int64)


def _median_rule(x, axis, keepdims):
    if not x.shape:
        return Aval((), x.dtype), Aval((), mstype.int64)
    out = R.reduce("median")(x, axis=(axis,), keepdims=keepdims)
    return out, Aval(out.shape, mstype.int64)


def _median_bprop(x, out, dout, axis, keepdims):
    if x.ndim == 0:
        return (dout[0],)
    g, index = dout[0], out[1]
    if not keepdims:
        keep = _keep_shape(x.shape, (axis,))
        g = OPS["reshape"](g, shape=keep)
        index = OPS["reshape"](index, shape=keep)
    return (_scatter_along(g, index, axis, x.shape[axis]),)


median_p = register("median", infer=_median_rule, kernel=_median_kernel, bprop=_median_bprop, nout=2,
                    family="reduce")


def median(input, axis=-1, keepdims=False):
    """``(values, indices)``: the median along ``axis`` (the lower middle value for an even count)."""
    check_tensor("median", input)
    check_bool("median", keepdims, "keepdims")
    a = R.normalize_axis("median", axis, input.ndim)
    return median_p(input, axis=a, keepdims=bool(keepdims))


# --- norm --------------------------------------------------------------------------------------------
def _safe_root(total, root):
    """``root(total)`` with a zero gradient (not nan) where ``total`` is 0, as PyTorch's norms: the
    root only ever sees positive values."""
    E = _ew()
    zero = E.equal_p(total, E._const(0, total))
    safe = E.where_p(zero, E._const(1, total), total)
    return E.where_p(zero, E._const(0, total), root(safe))


def _vector_norm(x, ord, axes, keep):
    E = _ew()
    if ord == 2:
        return _safe_root(reduce_sum_p(E.mul_p(x, x), axis=axes, keepdims=keep), E.sqrt_p)
    a = E.abs_p(x)
    if ord == float("inf"):
        return reduce_max_p(a, axis=axes, keepdims=keep)
    if ord == float("-inf"):
        return reduce_min_p(a, axis=axes, keepdims=keep)
    if ord == 0:
        return reduce_sum_p(E.cast_p(E.not_equal_p(x, E._const(0, x)), dtype=x.dtype), axis=axes, keepdims=keep)
    if ord == 1:
        return reduce_sum_p(a, axis=axes, keepdims=keep)
    p = E._const(ord, x)
    total = reduce_sum_p(E.pow_p(a, p), axis=axes, keepdims=keep)
    return _safe_root(total, lambda t: E.pow_p(t, E._const(1.0 / ord, t)))


def _matrix_norm(x, ord, axes, keep):
    E = _ew()
    r, c = axes
    if ord == "fro":
        return _safe_root(reduce_sum_p(E.mul_p(x, x), axis=axes, keepdims=keep), E.sqrt_p)
    if ord in (1, -1, float("inf"), float("-inf")):
        a = E.abs_p(x)
        summed, other = (r, c) if ord in (1, -1) else (c, r)
        sums = reduce_sum_p(a, axis=(summed,), keepdims=True)
        pick = reduce_max_p if ord in (1, float("inf")) else reduce_min_p
        out = pick(sums, axis=(other,), keepdims=True)
        if keep:
            return out
        return OPS["reshape"](out, shape=tuple(s for i, s in enumerate(x.shape) if i not in axes))
    if ord in ("nuc", 2, -2):
        if "svd" not in OPS:
            raise NotImplementedError(f"norm: matrix norm ord={ord!r} needs singular values (ops.svd), "
                                      "which this build does not provide")
        raise NotImplementedError(f"norm: matrix norm ord={ord!r} is not implemented yet")
    raise ValueError(f"norm: 'ord' {ord!r} is not a matrix norm; use 'fro', 'nuc', inf, -inf, 1, -1, 2 or -2")


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """Vector or matrix norm (MindSpore's ``ops.norm``): ``ord=None`` is the 2-norm of the
    flattened input (Frobenius for a matrix); an int ``dim`` or a 1-D input gives a vector norm, a
    2-tuple ``dim`` or a 2-D input with ``ord`` a matrix norm."""
    check_tensor("norm", A)
    check_bool("norm", keepdim, "keepdim")
    E = _ew()
    x = A if dtype is None else E.cast(A, dtype)
    if x.dtype.kind != "f":  # complex norms are not supported yet
        raise TypeError(f"norm: 'A' must be a real float tensor (or give 'dtype'), got {x.dtype}")
    if isinstance(dim, (int, np.integer)) and not isinstance(dim, bool):
        dim = (int(dim),)
    if dim is not None:
        axes = tuple(R.normalize_axis("norm", d, x.ndim, "dim") for d in dim)
        if len(set(axes)) != len(axes):
            raise ValueError(f"norm: 'dim' has repeated axes: {dim}")
    elif ord is None:
        axes = tuple(range(x.ndim))
    elif x.ndim in (1, 2):
        axes = tuple(range(x.ndim))
    else:
        raise ValueError(f"norm: 'A' must be 1-D or 2-D when 'ord' is given without 'dim', got {x.ndim}-D")
    if ord is None:
        return _vector_norm(x, 2, axes, bool(keepdim))
    if len(axes) == 1:
        if isinstance(ord, str):
            raise ValueError(f"norm: 'ord' {ord!r} is only valid for matrix norms")
        return _vector_norm(x, float(ord), axes, bool(keepdim))
    if len(axes) == 2:
        return _matrix_norm(x, ord, axes, bool(keepdim))
    raise ValueError(f"norm: 'dim' must name 1 or 2 axes when 'ord' is given, got {dim}")


def vector_norm(x, ord=2, axis=None, keepdims=False, *, dtype=None):
    """The vector ``ord``-norm over ``axis`` (all elements by default)."""
    check_tensor("vector_norm", x)
    check_bool("vector_norm", keepdims, "keepdims")
    if isinstance(ord, (str, bool)) or not isinstance(ord, (int, float)):
        raise TypeError(f"vector_norm: 'ord' must be a number, got {ord!r}")
    t = x if dtype is None else _ew().cast(x, dtype)
    if t.dtype.kind != "f":
        raise TypeError(f"vector_norm: 'x' must be a real float tensor (or give 'dtype'), got {t.dtype}")
    axes = R.normalize_axes("vector_norm", axis, t.ndim)
    return _vector_norm(t, float(ord), axes, bool(keepdims))


def matrix_norm(A, ord="fro", axis=(-2, -1), keepdims=False, *, dtype=None):
    """The matrix norm of the matrices on ``axis`` (the last two by default)."""
    check_tensor("matrix_norm", A)
    if A.ndim < 2:
        raise ValueError(f"matrix_norm: 'A' must have at least 2 dimensions, got {A.ndim}")
    if not isinstance(axis, (tuple, list)) or len(axis) != 2:
        raise ValueError(f"matrix_norm: 'axis' must be a tuple of 2 ints, got {axis!r}")
    return norm(A, ord, tuple(axis), keepdims, dtype=dtype)


# --- nanmedian, quantile -----------------------------------------------------------------------------
def _nanmedian_kernel(x, axis, keepdims):
    if x.ndim == 0:
        return x.copy(), np.zeros((), np.int64)
    order = np.argsort(x, axis=axis, kind="stable")  # nan sorts last
    count = np.sum(~np.isnan(x), axis=axis, keepdims=True)
    k = np.maximum((count - 1) // 2, 0)
    index = np.take_along_axis(order, k, axis=axis)
    values = np.take_along_axis(x, index, axis=axis)
    values = np.where(count == 0, np.nan, values).astype(x.dtype, copy=False)
    if not keepdims:
        index = np.squeeze(index, axis)
        values = np.squeeze(values, axis)
    return values, index.astype(np.int64)


def _nanmedian_bprop(x, out, dout, axis, keepdims):
    if x.ndim == 0:
        return (dout[0],)
    g, index = dout[0], out[1]
    if not keepdims:
        keep = _keep_shape(x.shape, (axis,))
        g = OPS["reshape"](g, shape=keep)
        index = OPS["reshape"](index, shape=keep)
    return (_scatter_along(g, index, axis, x.shape[axis]),)


nanmedian_p = register("nanmedian", infer=lambda x, axis, keepdims: _median_rule(x, axis, keepdims),
                       kernel=_nanmedian_kernel, bprop=_nanmedian_bprop, nout=2, family="reduce")


def nanmedian(input, axis=-1, keepdims=False):
    """``(values, indices)``: the median of the non-nan values along ``axis`` (nan where all are)."""
    check_tensor("nanmedian", input)
    check_bool("nanmedian", keepdims, "keepdims")
    a = R.normalize_axis("nanmedian", axis, input.ndim)
    return nanmedian_p(input, axis=a, keepdims=bool(keepdims))


def _quantile(name, input, q, axis, keepdims, ignore_nan):
    check_tensor(name, input)
    check_bool(name, keepdims, "keepdims")
    E = _ew()
    if input.dtype.kind != "f":
        raise TypeError(f"{name}: 'input' must be a float tensor, got {input.dtype}")
    qs = q.asnumpy() if isinstance(q, Tensor) else np.asarray(q, dtype=np.float64)
    if qs.ndim > 1 or qs.dtype.kind not in "fi":
        raise TypeError(f"{name}: 'q' must be a float or a 1-D float tensor, got {q!r}")
    if np.any((qs < 0) | (qs > 1)):
        raise ValueError(f"{name}: 'q' must be in [0, 1], got {qs.tolist()}")
    x = input
    if axis is None:
        x = OPS["reshape"](input, shape=(input.size,))
        a = 0
    else:
        a = R.normalize_axis(name, axis, input.ndim)
    n = x.shape[a]
    keep = _keep_shape(x.shape, (a,))
    sorted_x = OPS["sort"](x, axis=a, descending=False)[0]  # nan sorts last
    nan_mask = OPS["isnan"](x)
    if ignore_nan:
        count = reduce_sum_p(E.cast_p(E.logical_not_p(nan_mask), dtype=x.dtype), axis=(a,), keepdims=True)
    else:
        count = Tensor._wrap(np.full(keep, n, x._data.dtype))
    last = E.maximum_p(E.sub_p(count, E._const(1, count)), E._const(0, count))
    results = []
    for qv in qs.reshape(-1):
        pos = E.mul_p(last, E._const(float(qv), last))
        low = E.floor_p(pos)
        high = E.minimum_p(E.add_p(low, E._const(1, low)), last)
        frac = E.sub_p(pos, low)
        v_low = OPS["gather_elements"](sorted_x, E.cast_p(low, dtype=mstype.int64), dim=a)
        v_high = OPS["gather_elements"](sorted_x, E.cast_p(high, dtype=mstype.int64), dim=a)
        value = E.add_p(v_low, E.mul_p(frac, E.sub_p(v_high, v_low)))
        if ignore_nan:
            empty = E.equal_p(count, E._const(0, count))
        else:
            empty = OPS["reduce_any"](nan_mask, axis=(a,), keepdims=True)
        value = E.where_p(empty, E._const(np.nan, value), value)
        if not keepdims:
            value = OPS["reshape"](value, shape=tuple(s for i, s in enumerate(keep) if i != a))
        elif axis is None:
            value = OPS["reshape"](value, shape=(1,) * input.ndim)
        results.append(value)
    if qs.ndim == 0:
        return results[0]
    return OPS["stack"](*results, axis=0)


def quantile(input, q, axis=None, keepdims=False):
    """The ``q``-th quantiles along ``axis`` (flattened when None) with linear interpolation; a 1-D
    ``q`` adds a leading dimension. A row holding nan gives nan."""
    return _quantile("quantile", input, q, axis, keepdims, ignore_nan=False)


def nanquantile(input, q, axis=None, keepdims=False):
    """Like ``quantile``, ignoring nan values (nan where a row has none)."""
    return _quantile("nanquantile", input, q, axis, keepdims, ignore_nan=True)


# --- covariance, histograms, integration -----------------------------------------------------------
def cov(input, *, correction=1, fweights=None, aweights=None):
    """Covariance of the variables in the rows of ``input`` (observations in columns), with
    frequency and/or analytic observation weights, as numpy's ``cov``."""
    check_tensor("cov", input)
    if input.ndim > 2:
        raise ValueError(f"cov: 'input' must be 1-D or 2-D, got {input.ndim}-D")
    check_int("cov", correction, "correction")
    E = _ew()
    x = input if input.dtype.kind in "fc" else E.cast_p(input, dtype=mstype.float32)
    if x.ndim < 2:
        x = OPS["reshape"](x, shape=(1, x.size))
    n = x.shape[1]
    w = None
    if fweights is not None:
        check_tensor("cov", fweights, "fweights")
        if fweights.dtype.kind not in "iu":
            raise TypeError(f"cov: 'fweights' must be an integer tensor, got {fweights.dtype}")
        w = E.cast_p(fweights, dtype=x.dtype)
    if aweights is not None:
        check_tensor("cov", aweights, "aweights")
        a = E.cast_p(aweights, dtype=x.dtype) if aweights._data.dtype != x._data.dtype else aweights
        w = a if w is None else E.mul_p(w, a)
    for name, wt in (("fweights", fweights), ("aweights", aweights)):
        if wt is not None and wt.shape != (n,):
            raise ValueError(f"cov: '{name}' must have shape [{n}] (one weight per observation), got {list(wt.shape)}")
    if w is None:
        mean = reduce_mean_p(x, axis=(1,), keepdims=True)
        centred = E.sub_p(x, mean)
        factor = E._const(n - correction, x)
        weighted = centred
    else:
        w_sum = reduce_sum_p(w, axis=(0,), keepdims=False)
        mean = E.div_p(reduce_sum_p(E.mul_p(x, w), axis=(1,), keepdims=True), w_sum)
        centred = E.sub_p(x, mean)
        if aweights is None:
            factor = E.sub_p(w_sum, E._const(correction, w_sum))
        else:
            wa = reduce_sum_p(E.mul_p(w, a), axis=(0,), keepdims=False)
            factor = E.sub_p(w_sum, E.div_p(E.mul_p(wa, E._const(correction, wa)), w_sum))
        weighted = E.mul_p(centred, w)
    c = OPS["matmul"](weighted, E.conj(centred), transpose_a=False, transpose_b=True)
    c = E.div_p(c, factor)
    return OPS["reshape"](c, shape=()) if input.ndim < 2 else c


def _histc_kernel(x, bins, min, max):
    lo, hi = min, max
    if lo == hi == 0 and x.size:
        lo, hi = float(np.min(x)), float(np.max(x))
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    counts, _ = np.histogram(x, bins=bins, range=(lo, hi))
    return counts.astype(x.dtype)


histc_p = register("histc", infer=lambda x, bins, min, max: Aval((bins,), x.dtype), kernel=_histc_kernel,
                   bprop=NOT_DIFFERENTIABLE, family="reduce")


def histc(input, bins=100, min=0.0, max=0.0):
    """Histogram of ``input`` in ``bins`` equal bins over ``[min, max]`` (the data's range when both
    are 0); elements outside are ignored."""
    check_tensor("histc", input)
    b = check_int("histc", bins, "bins", minimum=1)
    if min > max:
        raise ValueError(f"histc: 'min' must be <= 'max', got {min} and {max}")
    x = input if input.dtype.kind == "f" else _ew().cast_p(input, dtype=mstype.float32)
    return histc_p(x, bins=b, min=float(min), max=float(max))


def _bincount_rule(x, *weights, minlength, length):
    return Aval((length,), weights[0].dtype if weights else mstype.int64)


def _bincount_kernel(x, *weights, minlength, length):
    if not weights:
        return np.bincount(x, minlength=minlength).astype(np.int64, copy=False)
    # numpy sums weights in float64; the result keeps the weights' dtype
    return np.bincount(x, weights[0], minlength).astype(weights[0].dtype, copy=False)


def _bincount_bprop(x, *rest, minlength, length):
    if len(rest) == 2:  # (out, dout): no weights, nothing to differentiate
        return (None,)
    weights, out, dout = rest
    # each weight was added to the bin of its value: its gradient is that bin's
    return None, OPS["gather_elements"](dout, _ew().cast_p(x, dtype=mstype.int64), dim=0)


bincount_p = register("bincount", infer=_bincount_rule, kernel=_bincount_kernel, bprop=_bincount_bprop,
                      family="reduce")


def bincount(input, weights=None, minlength=0):
    """Counts (or summed ``weights``) of each non-negative integer value in 1-D ``input``."""
    check_tensor("bincount", input)
    if input.ndim != 1 or input.dtype.kind not in "iu":
        raise TypeError(f"bincount: 'input' must be a 1-D integer tensor, got {input.dtype}{list(input.shape)}")
    m = check_int("bincount", minlength, "minlength", minimum=0)
    data = input.asnumpy()
    if data.size and data.min() < 0:
        raise ValueError("bincount: 'input' must hold non-negative values")
    length = max(m, int(data.max()) + 1 if data.size else 0)
    if weights is None:
        return bincount_p(input, minlength=m, length=length)
    check_tensor("bincount", weights, "weights")
    if weights.shape != input.shape:
        raise ValueError(f"bincount: 'weights' must have the shape of 'input' {list(input.shape)}, "
                         f"got {list(weights.shape)}")
    return bincount_p(input, weights, minlength=m, length=length)


def trapz(y, x=None, *, dx=None, dim=-1):
    """Trapezoid-rule integral of ``y`` along ``dim``, at sample points ``x`` or spacing ``dx``."""
    check_tensor("trapz", y)
    E = _ew()
    a = R.normalize_axis("trapz", dim, y.ndim, "dim")
    n = y.shape[a]
    yf = y if y.dtype.kind in "fc" else E.cast_p(y, dtype=mstype.float32)

    def part(t, start, size):
        begin = [0] * t.ndim
        sizes = list(t.shape)
        begin[a if t.ndim == yf.ndim else 0] = start
        sizes[a if t.ndim == yf.ndim else 0] = size
        return OPS["slice"](t, begin=tuple(begin), size=tuple(sizes))

    if n < 2:
        return reduce_sum_p(E.mul_p(yf, E._const(0, yf)), axis=(a,), keepdims=False)
    avg = E.mul_p(E.add_p(part(yf, 1, n - 1), part(yf, 0, n - 1)), E._const(0.5, yf))
    if x is None:
        step = E._const(1.0 if dx is None else float(dx), yf)
        return E.mul_p(reduce_sum_p(avg, axis=(a,), keepdims=False), step)
    if dx is not None:
        raise ValueError("trapz: give 'x' or 'dx', not both")
    check_tensor("trapz", x, "x")
    xs = x if x._data.dtype == yf._data.dtype else E.cast_p(x, dtype=yf.dtype)
    if xs.ndim == 1:
        if xs.shape[0] != n:
            raise ValueError(f"trapz: 'x' must have {n} points along 'dim', got {xs.shape[0]}")
        d = E.sub_p(part(xs, 1, n - 1), part(xs, 0, n - 1))
        d = OPS["reshape"](d, shape=tuple(n - 1 if i == a else 1 for i in range(yf.ndim)))
    else:
        d = E.sub_p(part(xs, 1, n - 1), part(xs, 0, n - 1))
    return reduce_sum_p(E.mul_p(avg, d), axis=(a,), keepdims=False)


__all__ += ["vector_norm", "matrix_norm", "nanmedian", "quantile", "nanquantile", "cov", "histc", "bincount",
            "trapz"]
