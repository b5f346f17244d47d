"""Reduction primitives: sum, mean, max, min, prod, argmax/argmin, logsumexp, std/var, cumulative."""
import numpy as np

from . import _rules as R
from ._helpers import check_bool, check_tensor
from .registry import register

__all__ = ["sum", "mean", "reduce_sum", "reduce_mean"]


def _sum_kernel(x, axis, keepdims):
    if x.dtype == np.bool_:
        x = x.astype(np.int64)
    return np.sum(x, axis=axis, keepdims=keepdims, dtype=x.dtype)


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
    return np.mean(x, axis=axis, keepdims=keepdims, dtype=x.dtype)


def _mean_bprop(x, out, dout, axis, keepdims):
    n = 1
    for a in axis:
        n *= x.shape[a]
    from .elementwise import div_p, _const
    return (_expand_to(div_p(dout, _const(max(n, 1), dout)), x, axis, keepdims),)


reduce_mean_p = register("reduce_mean", infer=R.reduce("reduce_mean"),
                         kernel=_mean_kernel, bprop=_mean_bprop, expr="mean", family="reduce")


def sum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum over ``dim`` (all axes by default), MindSpore's ``ops.sum``."""
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
    if input.dtype.kind not in "fc":
        raise TypeError(f"mean: 'input' must be a float tensor, got {input.dtype}")
    return reduce_mean_p(input, axis=axes, keepdims=bool(keep_dims))


reduce_mean = mean
