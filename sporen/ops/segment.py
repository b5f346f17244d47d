"""Segment reductions: ``out[s]`` combines the rows of ``x`` whose segment id is ``s``
(unsorted_segment_sum/max/min/prod). Ids outside ``[0, num_segments)`` are dropped, as in MindSpore.
The sum is a scatter-add (``index_add``); max, min and prod are primitives of their own, whose
gradients route ``dout`` back through the gathered segment results. Part of the gather/scatter
family, re-exported through ``gather_scatter.__all__``."""
import numpy as np

from ..tensor import Tensor
from ._helpers import check_int, check_tensor
from .gather_scatter import _check_index, _zeros, index_add_p, index_select_p, gather_p
from .registry import OPS, Aval, register

__all__ = ["unsorted_segment_sum", "unsorted_segment_max", "unsorted_segment_min", "unsorted_segment_prod"]

_wrap = Tensor._wrap


def _segment_args(name, input_x, segment_ids, num_segments):
    """Flatten the ids to 1-D and x to ``(n,) + rest``; returns (x, ids, num_segments, rest)."""
    check_tensor(name, input_x, "input_x")
    _check_index(name, segment_ids, "segment_ids")
    if isinstance(num_segments, Tensor):
        num_segments = num_segments.item()
    num = check_int(name, num_segments, "num_segments", 0)
    k = segment_ids.ndim
    if tuple(input_x.shape[:k]) != tuple(segment_ids.shape):
        raise ValueError(f"{name}: 'segment_ids' shape {list(segment_ids.shape)} must be a prefix of "
                         f"'input_x' shape {list(input_x.shape)}")
    n = segment_ids.size
    rest = tuple(input_x.shape[k:])
    if k == 1:
        return input_x, segment_ids, num, rest
    x = OPS["reshape"](input_x, shape=(n,) + rest)
    ids = OPS["reshape"](segment_ids, shape=(n,))
    return x, ids, num, rest


def unsorted_segment_sum(input_x, segment_ids, num_segments):
    """``out[s] = sum of input_x[i] over segment_ids[i] == s``; shape
    ``(num_segments,) + input_x.shape[segment_ids.ndim:]``."""
    x, ids, num, rest = _segment_args("unsorted_segment_sum", input_x, segment_ids, num_segments)
    ids_np = ids.asnumpy()
    valid = (ids_np >= 0) & (ids_np < num)
    if not valid.all():  # dropped ids: keep only the valid rows (the ids are data, read eagerly)
        keep = _wrap(np.nonzero(valid)[0].astype(np.int64))
        x = index_select_p(x, keep, axis=0)
        ids = index_select_p(ids, keep, axis=0)
    return index_add_p(_zeros((num,) + rest, input_x), ids, x, axis=0)


# --- max, min, prod ----------------------------------------------------------------------------
def _initial(ufunc, dtype):
    """The value an empty segment holds: the identity of the reduction."""
    if ufunc is np.multiply:
        return np.ones((), dtype)
    if dtype.kind == "f":
        try:
            info = np.finfo(dtype)
        except ValueError:  # bfloat16 and friends
            import ml_dtypes
            info = ml_dtypes.finfo(dtype)
        return np.array(info.min if ufunc is np.maximum else info.max, dtype)
    if dtype.kind == "b":
        return np.array(ufunc is np.minimum, dtype)
    info = np.iinfo(dtype)
    return np.array(info.min if ufunc is np.maximum else info.max, dtype)


def _segment_kernel(ufunc):
    def kernel(x, ids, num_segments):
        out = np.full((num_segments,) + x.shape[1:], _initial(ufunc, x.dtype), x.dtype)
        valid = (ids >= 0) & (ids < num_segments)
        if valid.all():
            ufunc.at(out, ids, x)
        else:
            ufunc.at(out, ids[valid], x[valid])
        return out
    kernel.__name__ = f"segment_{ufunc.__name__}"
    return kernel


def _segment_rule(name):
    def rule(x, ids, num_segments):
        if len(ids.shape) != 1 or ids.dtype.kind not in "iu" or not x.shape or x.shape[0] != ids.shape[0]:
            raise ValueError(f"{name}: 'segment_ids' must be 1-D integer ids, one per row of 'input_x', got "
                             f"{ids.dtype}{list(ids.shape)} for {list(x.shape)}")
        return Aval((num_segments,) + tuple(x.shape[1:]), x.dtype)
    return rule


def _row_mask(ids, num_segments, like):
    """Float mask (n, 1, ...) of the rows whose id is in range, and the ids clamped into range."""
    valid = OPS["logical_and"](OPS["greater_equal"](ids, _wrap(np.zeros((), ids._data.dtype))),
                               OPS["less"](ids, _wrap(np.array(num_segments, ids._data.dtype))))
    safe = OPS["where"](valid, ids, _wrap(np.zeros((), ids._data.dtype)))
    shape = (ids.shape[0],) + (1,) * (like.ndim - 1)
    mask = OPS["reshape"](OPS["cast"](valid, dtype=like.dtype), shape=shape)
    return mask, safe


def _extreme_bprop(x, ids, out, dout, num_segments):
    # dout goes to the rows equal to their segment's extreme, split evenly between ties
    mask, safe = _row_mask(ids, num_segments, x)
    hit = OPS["mul"](OPS["cast"](OPS["equal"](x, gather_p(out, safe, axis=0)), dtype=x.dtype), mask)
    counts = index_add_p(_zeros(out.shape, x), safe, hit, axis=0)
    share = OPS["div"](hit, OPS["maximum"](gather_p(counts, safe, axis=0), _wrap(np.ones((), x._data.dtype))))
    return (OPS["mul"](gather_p(dout, safe, axis=0), share), None)


def _prod_bprop(x, ids, out, dout, num_segments):
    # d prod / d x_i is the product of the other rows: out / x_i, except at zeros, where it is the
    # product of the non-zero rows if x_i is the segment's only zero, and 0 otherwise
    mask, safe = _row_mask(ids, num_segments, x)
    one = _wrap(np.ones((), x._data.dtype))
    zero = _wrap(np.zeros((), x._data.dtype))
    is_zero = OPS["equal"](x, zero)
    nonzero_x = OPS["where"](is_zero, one, x)
    nonzero_prod = unsorted_segment_prod_p(nonzero_x, ids, num_segments=num_segments)
    zeros_per_segment = index_add_p(_zeros(out.shape, x), safe,
                                    OPS["mul"](OPS["cast"](is_zero, dtype=x.dtype), mask), axis=0)
    lone_zero = OPS["equal"](gather_p(zeros_per_segment, safe, axis=0), one)
    at_zero = OPS["where"](lone_zero, gather_p(nonzero_prod, safe, axis=0), zero)
    elsewhere = OPS["div"](gather_p(out, safe, axis=0), nonzero_x)
    local = OPS["where"](is_zero, at_zero, elsewhere)
    return (OPS["mul"](OPS["mul"](gather_p(dout, safe, axis=0), local), mask), None)


unsorted_segment_max_p = register("unsorted_segment_max", infer=_segment_rule("unsorted_segment_max"),
                                  kernel=_segment_kernel(np.maximum), bprop=_extreme_bprop, family="movement")
unsorted_segment_min_p = register("unsorted_segment_min", infer=_segment_rule("unsorted_segment_min"),
                                  kernel=_segment_kernel(np.minimum), bprop=_extreme_bprop, family="movement")
unsorted_segment_prod_p = register("unsorted_segment_prod", infer=_segment_rule("unsorted_segment_prod"),
                                   kernel=_segment_kernel(np.multiply), bprop=_prod_bprop, family="movement")


def _segment_fn(name, prim):
    def fn(x, segment_ids, num_segments):
        flat, ids, num, rest = _segment_args(name, x, segment_ids, num_segments)
        return prim(flat, ids, num_segments=num)
    fn.__name__ = name
    fn.__qualname__ = name
    what = name.rsplit("_", 1)[1]
    fn.__doc__ = (f"``out[s]`` = the {what} of the rows of ``x`` whose ``segment_ids`` entry is ``s``; "
                  f"empty segments hold the reduction's identity (the dtype's lowest/highest value for "
                  f"max/min, 1 for prod).")
    return fn


unsorted_segment_max = _segment_fn("unsorted_segment_max", unsorted_segment_max_p)
unsorted_segment_min = _segment_fn("unsorted_segment_min", unsorted_segment_min_p)
unsorted_segment_prod = _segment_fn("unsorted_segment_prod", unsorted_segment_prod_p)
