"""Reduction primitives: sum, mean, max, min, prod, all/any, argmax/argmin, logsumexp, cumulative
sums/products/extremes, and their functional ops. Statistics over them (std/var, median,
quantile, norm...) are in reduce_stats.py."""
import builtins

import numpy as np

from .. import dtype as mstype
from ..tensor import Tensor
from . import _rules as R
from ._helpers import check_bool, check_tensor
from .registry import NOT_DIFFERENTIABLE, OPS, Aval, register

__all__ = ["sum", "mean", "reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod",
           "prod", "amax", "amin", "max", "min", "aminmax", "argmax", "argmin", "all", "any",
           "reduce_all", "reduce_any", "count_nonzero", "logsumexp", "cumsum", "cumprod", "cummax",
           "cummin", "logcumsumexp"]


_ALL_AXES = [tuple(range(n)) for n in range(65)]


def _sum_kernel(x, axis, keepdims):
    if len(axis) == x.ndim:
        axis = None  # numpy's full reduction is twice as fast as naming every axis
    if x.dtype.kind in "fc":
        return x.sum(axis=axis, keepdims=keepdims)
    if x.dtype == np.bool_:
        x = x.astype(np.int64)
    return x.sum(axis=axis, keepdims=keepdims, dtype=x.dtype)  # keep int32 as int32 (numpy widens)


def _expand_to(dout, x, axis, keepdims):
    """Bring a reduced gradient back to x's shape (insert the reduced axes, then broadcast)."""
    from .registry import OPS
    if not keepdims:
        shape = tuple(1 if i in axis else s for i, s in enumerate(x.shape))
        dout = OPS["reshape"](dout, shape=shape)
    return OPS["broadcast_to"](dout, shape=x.shape)


def _sum_bprop(x, out, dout, axis, keepdims):
    return (_expand_to(dout, x, axis, keepdims),)


reduce_sum_p = register("reduce_sum", infer=R.reduce("reduce_sum"), kernel=_sum_kernel,
                        bprop=_sum_bprop, expr="+", family="reduce")


def _mean_kernel(x, axis, keepdims):
    if x.dtype.char in "fd" and x.size:
        # sum then one division: numpy's mean goes through a slow Python-level path
        count = 1
        for a in axis:
            count *= x.shape[a]
        total = x.sum(axis=None if len(axis) == x.ndim else axis, keepdims=keepdims)
        return total / x.dtype.type(count)
    if len(axis) == x.ndim:
        axis = None
    if x.dtype.kind in "fc":
        return x.mean(axis=axis, keepdims=keepdims)
    return x.mean(axis=axis, keepdims=keepdims, dtype=x.dtype)


def _mean_bprop(x, out, dout, axis, keepdims):
    n = 1
    for a in axis:
        n *= x.shape[a]
    from .elementwise import div_p, _const
    return (_expand_to(div_p(dout, _const(builtins.max(n, 1), dout)), x, axis, keepdims),)


reduce_mean_p = register("reduce_mean", infer=R.reduce("reduce_mean"),
                         kernel=_mean_kernel, bprop=_mean_bprop, expr="mean", family="reduce")


def sum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum over ``dim`` (all axes by default), MindSpore's ``ops.sum``."""
    if dim is None and keepdim is False and dtype is None and type(input) is Tensor:
        return reduce_sum_p(input, axis=_ALL_AXES[input._data.ndim], keepdims=False)  # the common call
    check_tensor("sum", input)
    check_bool("sum", keepdim, "keepdim")
    axis = R.normalize_axes("sum", dim, input.ndim, "dim")
    if dtype is not None:
        from .elementwise import cast
        input = cast(input, dtype)
    return reduce_sum_p(input, axis=axis, keepdims=bool(keepdim))


def reduce_sum(input, axis=None, keep_dims=False):
    check_tensor("reduce_sum", input)
    return reduce_sum_p(input, axis=R.normalize_axes("reduce_sum", axis, input.ndim), keepdims=bool(keep_dims))


def mean(input, axis=None, keep_dims=False):
    """Mean over ``axis`` (all axes by default), MindSpore's ``ops.mean``."""
    check_tensor("mean", input)
    axes = R.normalize_axes("mean", axis, input.ndim)
    if input._data.dtype.kind not in "fc":
        raise TypeError(f"mean: 'input' must be a float tensor, got {input.dtype}")
    return reduce_mean_p(input, axis=axes, keepdims=bool(keep_dims))


reduce_mean = mean


def _ew():
    # the elementwise family, looked up when first needed (no import cycle at load time)
    from . import elementwise
    return elementwise


def _keep_shape(shape, axis):
    return tuple(1 if i in axis else s for i, s in enumerate(shape))


# --- max, min, prod -------------------------------------------------------------------------------
def _extreme_bprop(x, out, dout, axis, keepdims):
    # the gradient is shared equally between tied extremes
    E = _ew()
    out_full = out if keepdims else OPS["reshape"](out, shape=_keep_shape(x.shape, axis))
    mask = E.cast_p(E.equal_p(x, out_full), dtype=x.dtype)
    count = reduce_sum_p(mask, axis=axis, keepdims=True)
    return (E.mul_p(_expand_to(dout, x, axis, keepdims), E.div_p(mask, count)),)


reduce_max_p = register("reduce_max", infer=R.reduce("reduce_max"),
                        kernel=lambda x, axis, keepdims: np.max(x, axis=axis, keepdims=keepdims),
                        bprop=_extreme_bprop, expr="max", family="reduce")
reduce_min_p = register("reduce_min", infer=R.reduce("reduce_min"),
                        kernel=lambda x, axis, keepdims: np.min(x, axis=axis, keepdims=keepdims),
                        bprop=_extreme_bprop, expr="min", family="reduce")


def _prod_kernel(x, axis, keepdims):
    if x.dtype == np.bool_:
        x = x.astype(np.int64)
    return np.prod(x, axis=axis, keepdims=keepdims, dtype=x.dtype)


def _prod_rule(x, axis, keepdims):
    out = R.reduce("reduce_prod")(x, axis=axis, keepdims=keepdims)
    return Aval(out.shape, mstype.int64) if out.dtype is mstype.bool_ else out


def _prod_bprop(x, out, dout, axis, keepdims):
    # d prod / d x_i is the product of the others. Without zeros that is prod / x_i; with one zero it
    # is nonzero only at the zero (the product of the rest); with two or more it is zero everywhere.
    E = _ew()
    zero = E.equal_p(x, E._const(0, x))
    zeros = reduce_sum_p(E.cast_p(zero, dtype=x.dtype), axis=axis, keepdims=True)
    safe = E.where_p(zero, E._const(1, x), x)
    rest = reduce_prod_p(safe, axis=axis, keepdims=True)
    at_zero = E.where_p(E.equal_p(zeros, E._const(1, zeros)), rest, E._const(0, rest))
    elsewhere = E.where_p(E.equal_p(zeros, E._const(0, zeros)), E.div_p(rest, safe), E._const(0, x))
    grad = E.where_p(zero, at_zero, elsewhere)
    return (E.mul_p(_expand_to(dout, x, axis, keepdims), grad),)


reduce_prod_p = register("reduce_prod", infer=_prod_rule, kernel=_prod_kernel, bprop=_prod_bprop,
                         expr="*", family="reduce")


def _reduce_args(name, input, axis, keepdims, axis_name="axis", keep_name="keep_dims"):
    check_tensor(name, input)
    check_bool(name, keepdims, keep_name)
    return R.normalize_axes(name, axis, input.ndim, axis_name), bool(keepdims)


def reduce_max(input, axis=None, keep_dims=False):
    """Maximum over ``axis`` (all axes by default)."""
    axes, keep = _reduce_args("reduce_max", input, axis, keep_dims)
    return reduce_max_p(input, axis=axes, keepdims=keep)


def reduce_min(input, axis=None, keep_dims=False):
    """Minimum over ``axis`` (all axes by default)."""
    axes, keep = _reduce_args("reduce_min", input, axis, keep_dims)
    return reduce_min_p(input, axis=axes, keepdims=keep)


def reduce_prod(input, axis=None, keep_dims=False):
    """Product over ``axis`` (all axes by default)."""
    axes, keep = _reduce_args("reduce_prod", input, axis, keep_dims)
    return reduce_prod_p(input, axis=axes, keepdims=keep)


def prod(input, axis=None, keep_dims=False, dtype=None):
    """Product over ``axis`` (MindSpore's ``ops.prod``); ``dtype`` casts the input first."""
    axes, keep = _reduce_args("prod", input, axis, keep_dims)
    if dtype is not None:
        input = _ew().cast(input, dtype)
    return reduce_prod_p(input, axis=axes, keepdims=keep)


def _masked(name, input, initial, where, fill_name):
    """Apply amax/amin's ``where`` (positions left out take ``initial``)."""
    if where is None:
        return input
    if initial is None:
        raise ValueError(f"{name}: 'initial' is required when 'where' is given")
    check_tensor(name, where, "where")
    E = _ew()
    return E.where_p(E._to_bool(name, where), input, E._const(initial, input))


def _with_initial(fn, value, initial):
    if initial is None:
        return value
    return fn(value, _ew()._const(initial, value))


def amax(input, axis=None, keepdims=False, *, initial=None, where=None):
    """Maximum over ``axis``; ``initial`` is a lower bound, ``where`` masks elements."""
    axes, keep = _reduce_args("amax", input, axis, keepdims, keep_name="keepdims")
    x = _masked("amax", input, initial, where, "initial")
    return _with_initial(_ew().maximum_p, reduce_max_p(x, axis=axes, keepdims=keep), initial)


def amin(input, axis=None, keepdims=False, *, initial=None, where=None):
    """Minimum over ``axis``; ``initial`` is an upper bound, ``where`` masks elements."""
    axes, keep = _reduce_args("amin", input, axis, keepdims, keep_name="keepdims")
    x = _masked("amin", input, initial, where, "initial")
    return _with_initial(_ew().minimum_p, reduce_min_p(x, axis=axes, keepdims=keep), initial)


# --- argmax, argmin ---------------------------------------------------------------------------------
def _arg_rule(name):
    def rule(x, axis, keepdims, dtype):
        if axis is None:
            shape = (1,) * len(x.shape) if keepdims else ()
        else:
            a = R.normalize_axis(name, axis, len(x.shape))
            shape = R.reduce(name)(x, axis=(a,) if x.shape else (), keepdims=keepdims).shape
        return Aval(shape, dtype)
    return rule


def _arg_kernel(fn):
    def kernel(x, axis, keepdims, dtype):
        if axis is None:
            out = fn(x.reshape(-1), axis=0)
            return np.asarray(out, dtype=dtype.np).reshape((1,) * x.ndim if keepdims else ())
        if x.ndim == 0:
            return np.zeros((), dtype=dtype.np)
        return fn(x, axis=axis, keepdims=keepdims).astype(dtype.np, copy=False)
    return kernel


argmax_p = register("argmax", infer=_arg_rule("argmax"), kernel=_arg_kernel(np.argmax),
                    bprop=NOT_DIFFERENTIABLE, family="reduce")
argmin_p = register("argmin", infer=_arg_rule("argmin"), kernel=_arg_kernel(np.argmin),
                    bprop=NOT_DIFFERENTIABLE, family="reduce")


def _arg_axis(name, axis, x, argname):
    if axis is None:
        return None
    return R.normalize_axis(name, axis, x.ndim, argname)


def argmax(input, dim=None, keepdim=False):
    """Index (int64) of the first maximum over ``dim`` (of the flattened input when None)."""
    check_tensor("argmax", input)
    check_bool("argmax", keepdim, "keepdim")
    return argmax_p(input, axis=_arg_axis("argmax", dim, input, "dim"), keepdims=bool(keepdim),
                    dtype=mstype.int64)


def argmin(input, axis=None, keepdims=False):
    """Index (int32, as MindSpore's Argmin) of the first minimum over ``axis``."""
    check_tensor("argmin", input)
    check_bool("argmin", keepdims, "keepdims")
    return argmin_p(input, axis=_arg_axis("argmin", axis, input, "axis"), keepdims=bool(keepdims),
                    dtype=mstype.int32)


def _value_index(name, reduce_p, arg_p, input, axis, keepdims, initial, where):
    check_tensor(name, input)
    check_bool(name, keepdims, "keepdims")
    if input.dtype.kind == "c":
        raise TypeError(f"{name}: 'input' must not be complex, got {input.dtype}")
    if axis is None:  # MindSpore: the whole tensor, index 0, keepdims ignored
        value = reduce_p(input, axis=tuple(range(input.ndim)), keepdims=False)
        return value, Tensor._wrap(np.zeros((), np.int32))
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{name}: 'axis' must be an int or None, got {type(axis).__name__}")
    a = R.normalize_axis(name, axis, input.ndim)
    x = _masked(name, input, initial, where, "initial")
    value = reduce_p(x, axis=(a,) if input.ndim else (), keepdims=bool(keepdims))
    if initial is not None:
        fn = _ew().maximum_p if reduce_p is reduce_max_p else _ew().minimum_p
        value = _with_initial(fn, value, initial)
    index = arg_p(x, axis=a, keepdims=bool(keepdims), dtype=mstype.int32)
    return value, index


def max(input, axis=None, keepdims=False, *, initial=None, where=None):
    """``(values, indices)`` of the maximum over ``axis`` (MindSpore 2.x's ``ops.max``); with
    ``axis=None`` the maximum of all elements and index 0."""
    return _value_index("max", reduce_max_p, argmax_p, input, axis, keepdims, initial, where)


def min(input, axis=None, keepdims=False, *, initial=None, where=None):
    """``(values, indices)`` of the minimum over ``axis`` (MindSpore 2.x's ``ops.min``)."""
    return _value_index("min", reduce_min_p, argmin_p, input, axis, keepdims, initial, where)


def aminmax(input, *, axis=0, keepdims=False):
    """``(min, max)`` over ``axis``."""
    axes, keep = _reduce_args("aminmax", input, axis, keepdims, keep_name="keepdims")
    return reduce_min_p(input, axis=axes, keepdims=keep), reduce_max_p(input, axis=axes, keepdims=keep)


# --- all, any, count_nonzero ---------------------------------------------------------------------
def _bool_reduce_rule(name):
    rule = R.reduce(name, out_dtype=mstype.bool_)
    return rule


reduce_all_p = register("reduce_all", infer=_bool_reduce_rule("reduce_all"),
                        kernel=lambda x, axis, keepdims: np.all(x, axis=axis, keepdims=keepdims),
                        bprop=NOT_DIFFERENTIABLE, expr="&&", family="reduce")
reduce_any_p = register("reduce_any", infer=_bool_reduce_rule("reduce_any"),
                        kernel=lambda x, axis, keepdims: np.any(x, axis=axis, keepdims=keepdims),
                        bprop=NOT_DIFFERENTIABLE, expr="||", family="reduce")


def all(input, axis=None, keep_dims=False):
    """True where every element over ``axis`` is non-zero (all axes by default)."""
    axes, keep = _reduce_args("all", input, axis, keep_dims)
    return reduce_all_p(input, axis=axes, keepdims=keep)


def any(input, axis=None, keep_dims=False):
    """True where some element over ``axis`` is non-zero (all axes by default)."""
    axes, keep = _reduce_args("any", input, axis, keep_dims)
    return reduce_any_p(input, axis=axes, keepdims=keep)


reduce_all = all
reduce_any = any


def count_nonzero(x, axis=(), keep_dims=False, dtype=mstype.int32):
    """Number of non-zero elements over ``axis`` (``()``: all axes), as ``dtype``."""
    axes, keep = _reduce_args("count_nonzero", x, axis, keep_dims)
    E = _ew()
    nonzero = E.cast_p(E.not_equal_p(x, E._const(0, x)), dtype=mstype.to_dtype(dtype))
    return reduce_sum_p(nonzero, axis=axes, keepdims=keep)


# --- logsumexp -----------------------------------------------------------------------------------------
def _logsumexp_kernel(x, axis, keepdims):
    if x.size == 0:
        return np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims))
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0).astype(x.dtype, copy=False)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def _logsumexp_bprop(x, out, dout, axis, keepdims):
    E = _ew()
    out_full = out if keepdims else OPS["reshape"](out, shape=_keep_shape(x.shape, axis))
    return (E.mul_p(_expand_to(dout, x, axis, keepdims), E.exp_p(E.sub_p(x, out_full))),)


logsumexp_p = register("logsumexp", infer=R.reduce("logsumexp"), kernel=_logsumexp_kernel,
                       bprop=_logsumexp_bprop, family="reduce")


def logsumexp(input, axis, keep_dims=False):
    """``log(sum(exp(input)))`` over ``axis``, computed stably."""
    axes, keep = _reduce_args("logsumexp", input, axis, keep_dims)
    if input.dtype.kind in "iub":
        input = _ew().cast_p(input, dtype=mstype.float32)
    return logsumexp_p(input, axis=axes, keepdims=keep)


# --- cumulative ---------------------------------------------------------------------------------------
def _reverse_cumsum(g, axis):
    flip = OPS["flip"]
    return flip(cumsum_p(flip(g, dims=(axis,)), axis=axis), dims=(axis,))


def _cumsum_kernel(x, axis):
    if x.dtype == np.bool_:
        x = x.astype(np.int64)
    return np.cumsum(x, axis=axis, dtype=x.dtype)


def _cumprod_kernel(x, axis):
    if x.dtype == np.bool_:
        x = x.astype(np.int64)
    return np.cumprod(x, axis=axis, dtype=x.dtype)


def _cum_rule(name):
    def rule(x, axis):
        R.normalize_axis(name, axis, len(x.shape))
        return Aval(x.shape, mstype.int64 if x.dtype is mstype.bool_ else x.dtype)
    return rule


def _cumprod_bprop(x, out, dout, axis):
    # d/dx_i of sum_j g_j prod_{k<=j} x_k. Before the first zero it is revcumsum(g * out)_i / x_i
    # (x_i is not 0 there); at the first zero it is revcumsum(g * cumprod(x with that zero set to
    # 1)); after it, every product holds the zero, so 0. Exact with zeros, no division by them.
    E = _ew()
    zero = E.equal_p(x, E._const(0, x))
    zeros_so_far = cumsum_p(E.cast_p(zero, dtype=x.dtype), axis=axis)
    before = E.equal_p(zeros_so_far, E._const(0, x))
    first_zero = E.logical_and_p(zero, E.equal_p(zeros_so_far, E._const(1, x)))
    safe = E.where_p(zero, E._const(1, x), x)
    grad_before = E.div_p(_reverse_cumsum(E.mul_p(dout, out), axis), safe)
    skip_zero = cumprod_p(E.where_p(first_zero, E._const(1, x), x), axis=axis)
    grad_at_zero = _reverse_cumsum(E.mul_p(dout, skip_zero), axis)
    return (E.where_p(before, grad_before, E.where_p(first_zero, grad_at_zero, E._const(0, x))),)


cumsum_p = register("cumsum", infer=_cum_rule("cumsum"), kernel=_cumsum_kernel,
                    bprop=lambda x, out, dout, axis: (_reverse_cumsum(dout, axis),), family="reduce")
cumprod_p = register("cumprod", infer=_cum_rule("cumprod"), kernel=_cumprod_kernel,
                     bprop=_cumprod_bprop, family="reduce")


def _scatter_along(dout, index, axis, n):
    """The gradient of picking ``x[..., index, ...]`` along ``axis`` (``x.shape[axis] == n``): each
    ``dout`` element added at its index, by a scatter-add (whose own gradient is a gather)."""
    shape = dout.shape[:axis] + (n,) + dout.shape[axis + 1:]
    zeros = Tensor._wrap(np.zeros(shape, dout._data.dtype))
    return OPS["tensor_scatter_elements"](zeros, index, dout, axis=axis, reduction="add")


def _cum_extreme_kernel(accumulate):
    def kernel(x, axis):
        if x.ndim == 0:
            return x.copy(), np.zeros((), np.int64)
        values = accumulate(x, axis=axis)
        n = x.shape[axis]
        positions = np.arange(n).reshape((n,) + (1,) * (x.ndim - axis - 1))
        # a new extreme or a tie takes the latest index; otherwise the previous one carries on
        hits = np.where(x == values, positions, -1)
        return values, np.maximum.accumulate(hits, axis=axis).astype(np.int64)
    return kernel


def _cum_extreme_rule(name):
    def rule(x, axis):
        R.normalize_axis(name, axis, len(x.shape))
        return Aval(x.shape, x.dtype), Aval(x.shape, mstype.int64)
    return rule


def _cum_extreme_bprop(x, out, dout, axis):
    if x.ndim == 0:
        return (dout[0],)
    return (_scatter_along(dout[0], out[1], axis, x.shape[axis]),)


cummax_p = register("cummax", infer=_cum_extreme_rule("cummax"), kernel=_cum_extreme_kernel(np.maximum.accumulate),
                    bprop=_cum_extreme_bprop, nout=2, family="reduce")
cummin_p = register("cummin", infer=_cum_extreme_rule("cummin"), kernel=_cum_extreme_kernel(np.minimum.accumulate),
                    bprop=_cum_extreme_bprop, nout=2, family="reduce")


def _cum_axis(name, input, axis, argname):
    check_tensor(name, input)
    return R.normalize_axis(name, axis, input.ndim, argname)


def cumsum(x, axis, dtype=None):
    """Cumulative sum along ``axis``; ``dtype`` casts the input first."""
    a = _cum_axis("cumsum", x, axis, "axis")
    if dtype is not None:
        x = _ew().cast(x, dtype)
    return cumsum_p(x, axis=a)


def cumprod(input, dim, dtype=None):
    """Cumulative product along ``dim``; ``dtype`` casts the input first."""
    a = _cum_axis("cumprod", input, dim, "dim")
    if dtype is not None:
        input = _ew().cast(input, dtype)
    return cumprod_p(input, axis=a)


def cummax(input, axis):
    """``(values, indices)``: the running maximum along ``axis`` and where it was found (int64)."""
    return cummax_p(input, axis=_cum_axis("cummax", input, axis, "axis"))


def cummin(input, axis):
    """``(values, indices)``: the running minimum along ``axis`` and where it was found (int64)."""
    return cummin_p(input, axis=_cum_axis("cummin", input, axis, "axis"))


def logcumsumexp(input, axis):
    """``log(cumsum(exp(input)))`` along ``axis``, shifted by the axis maximum for stability."""
    a = _cum_axis("logcumsumexp", input, axis, "axis")
    E = _ew()
    if input.dtype.kind not in "f":
        raise TypeError(f"logcumsumexp: 'input' must be a float tensor, got {input.dtype}")
    if input.ndim == 0:
        return input
    m = E.stop_gradient(reduce_max_p(input, axis=(a,), keepdims=True))
    return E.add_p(E.log_p(cumsum_p(E.exp_p(E.sub_p(input, m)), axis=a)), m)


# statistics (std/var, nan-ignoring reductions, median, quantile, norms, histograms) live in
# reduce_stats.py, the second half of this family (split to keep files readable)
from .reduce_stats import *  # noqa: E402,F401,F403
from .reduce_stats import __all__ as _stats_all  # noqa: E402

__all__ += _stats_all
