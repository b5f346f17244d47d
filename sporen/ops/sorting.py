"""Sorting and searching: the sort, topk and searchsorted primitives (a sort's gradient scatters
dout back through the permutation), bucketize, and the eager functions whose output shape depends
on the values (unique, unique_consecutive, nonzero, argwhere). Split from ``gather_scatter.py`` for
size; its public names are re-exported through ``gather_scatter.__all__``."""
import numpy as np

from .. import dtype as mstype
from ..tensor import Tensor
from . import _rules as R
from ._helpers import check_bool, check_int, check_tensor
from .gather_scatter import _check_index, _zeros, gather_elements_p, tensor_scatter_elements_p
from .registry import NOT_DIFFERENTIABLE, OPS, Aval, register

__all__ = ["sort", "argsort", "topk", "unique", "unique_consecutive", "nonzero", "argwhere", "searchsorted",
           "bucketize", "msort", "top_k", "unique_with_pad"]

_wrap = Tensor._wrap


# --- sort, topk, searchsorted ------------------------------------------------------------------
def _stable_argsort(x, axis, descending):
    if not descending:
        return np.argsort(x, axis=axis, kind="stable")
    # reverse, sort ascending stably, reverse back: descending with ties in their original order
    n = x.shape[axis]
    rev = np.flip(x, axis)
    idx = np.flip(np.argsort(rev, axis=axis, kind="stable"), axis)
    return n - 1 - idx


def _sort_kernel(x, axis, descending):
    idx = _stable_argsort(x, axis, descending)
    return np.take_along_axis(x, idx, axis=axis), idx.astype(np.int32)


def _sort_rule(x, axis, descending):
    return Aval(x.shape, x.dtype), Aval(x.shape, mstype.int32)


def _sort_bprop(x, out, dout, axis, descending):
    zeros = _zeros(x.shape, dout[0])
    return (tensor_scatter_elements_p(zeros, out[1], dout[0], axis=axis, reduction="none"),)


sort_p = register("sort", infer=_sort_rule, kernel=_sort_kernel, bprop=_sort_bprop, nout=2, family="movement")


def sort(input_x, axis=-1, descending=False):
    """``(values, indices)`` sorted along ``axis``; ties keep their order (stable); indices are int32."""
    check_tensor("sort", input_x, "input_x")
    a = R.normalize_axis("sort", axis, input_x.ndim)
    check_bool("sort", descending, "descending")
    if input_x.ndim == 0:
        return input_x, _wrap(np.zeros((), np.int32))
    return sort_p(input_x, axis=a, descending=bool(descending))


def argsort(input, axis=-1, descending=False):
    """The int32 indices that sort ``input`` along ``axis``."""
    check_tensor("argsort", input)
    return sort(input, axis, descending)[1]


def _topk_kernel(x, k, dim, largest, sorted):
    idx = _stable_argsort(x, dim, largest)
    idx = np.take(idx, np.arange(k), axis=dim)
    return np.take_along_axis(x, idx, axis=dim), idx.astype(np.int32)


def _topk_rule(x, k, dim, largest, sorted):
    if k > x.shape[dim]:
        raise ValueError(f"topk: 'k' ({k}) must not exceed the size {x.shape[dim]} of dim {dim}")
    shape = x.shape[:dim] + (k,) + x.shape[dim + 1:]
    return Aval(shape, x.dtype), Aval(shape, mstype.int32)


def _topk_bprop(x, out, dout, k, dim, largest, sorted):
    zeros = _zeros(x.shape, dout[0])
    return (tensor_scatter_elements_p(zeros, out[1], dout[0], axis=dim, reduction="none"),)


topk_p = register("topk", infer=_topk_rule, kernel=_topk_kernel, bprop=_topk_bprop, nout=2, family="movement")


def topk(input, k, dim=None, largest=True, sorted=True):
    """The ``k`` largest (or smallest) entries along ``dim`` (the last by default) and their int32
    indices; equal values come in index order."""
    check_tensor("topk", input)
    k = check_int("topk", k, "k", 0)
    check_bool("topk", largest, "largest")
    check_bool("topk", sorted, "sorted")
    if input.ndim == 0:
        if k > 1:
            raise ValueError(f"topk: 'k' ({k}) must not exceed 1 for a 0-D input")
        return input, _wrap(np.zeros((), np.int32))
    d = R.normalize_axis("topk", -1 if dim is None else dim, input.ndim, "dim")
    _topk_rule(Aval(input.shape, input.dtype), k, d, largest, sorted)
    return topk_p(input, k=k, dim=d, largest=bool(largest), sorted=bool(sorted))


def _searchsorted_kernel(seq, values, right, out_int32):
    side = "right" if right else "left"
    dt = np.int32 if out_int32 else np.int64
    if seq.ndim == 1:
        return np.searchsorted(seq, values, side=side).astype(dt)
    lead = seq.shape[:-1]
    s2 = seq.reshape(-1, seq.shape[-1])
    v2 = values.reshape(-1, values.shape[-1])
    out = np.empty(v2.shape, dt)
    for i in range(s2.shape[0]):
        out[i] = np.searchsorted(s2[i], v2[i], side=side)
    return out.reshape(lead + values.shape[-1:])


def _searchsorted_rule(seq, values, right, out_int32):
    if len(seq.shape) > 1 and tuple(seq.shape[:-1]) != tuple(values.shape[:-1]):
        raise ValueError(f"searchsorted: 'sorted_sequence' {list(seq.shape)} and 'values' {list(values.shape)} "
                         f"must agree in all but the last dimension")
    return Aval(values.shape, mstype.int32 if out_int32 else mstype.int64)


searchsorted_p = register("searchsorted", infer=_searchsorted_rule, kernel=_searchsorted_kernel,
                          bprop=NOT_DIFFERENTIABLE, family="movement")


def searchsorted(sorted_sequence, values, *, out_int32=False, right=False, side=None, sorter=None):
    """Insertion indices of ``values`` in ``sorted_sequence`` (along its last dim); ``right`` or
    ``side='right'`` places equal values after; ``sorter`` gives the sorting permutation."""
    check_tensor("searchsorted", sorted_sequence, "sorted_sequence")
    if not isinstance(values, Tensor):
        values = Tensor(values, sorted_sequence.dtype)
    check_bool("searchsorted", out_int32, "out_int32")
    check_bool("searchsorted", right, "right")
    if side is not None:
        if side not in ("left", "right"):
            raise ValueError(f"searchsorted: 'side' must be 'left' or 'right', got {side!r}")
        if right and side == "left":
            raise ValueError("searchsorted: 'side' is 'left' but 'right' is True")
        right = side == "right"
    seq = sorted_sequence
    if sorter is not None:
        _check_index("searchsorted", sorter, "sorter")
        seq = gather_elements_p(seq, sorter, dim=seq.ndim - 1)
    if values.dtype is not seq.dtype:
        d = mstype.promote(values.dtype, seq.dtype)
        seq = OPS["cast"](seq, dtype=d) if seq.dtype is not d else seq
        values = OPS["cast"](values, dtype=d) if values.dtype is not d else values
    _searchsorted_rule(Aval(seq.shape, seq.dtype), Aval(values.shape, values.dtype), right, out_int32)
    return searchsorted_p(seq, values, right=bool(right), out_int32=bool(out_int32))


def bucketize(input, boundaries, *, right=False):
    """The bucket of each element of ``input`` for the sorted ``boundaries`` (a list of numbers):
    with right=False, ``boundaries[i-1] < x <= boundaries[i]`` gives i. Returns int32."""
    check_tensor("bucketize", input)
    if not isinstance(boundaries, (list, tuple)):
        raise TypeError(f"bucketize: 'boundaries' must be a list of numbers, got {type(boundaries).__name__}")
    check_bool("bucketize", right, "right")
    b = Tensor(np.asarray(boundaries, dtype=np.float64).astype(input._data.dtype if input.dtype.kind == "f"
                                                               else np.float64))
    x = input if input.dtype is b.dtype else OPS["cast"](input, dtype=b.dtype)
    flat = OPS["reshape"](x, shape=(x.size,)) if x.ndim != 1 else x
    out = searchsorted_p(b, flat, right=bool(right), out_int32=True)
    return OPS["reshape"](out, shape=input.shape) if input.ndim != 1 else out


# --- data-dependent shapes: eager functions ----------------------------------------------------
def unique(input):
    """``(output, idx)``: the sorted unique elements of ``input`` and, for each input element, the
    int32 position of its value in ``output`` (shaped like ``input``)."""
    check_tensor("unique", input)
    arr = input.asnumpy()
    out, inv = np.unique(arr, return_inverse=True)
    return _wrap(out), _wrap(inv.reshape(arr.shape).astype(np.int32))


def unique_consecutive(input, return_idx=False, return_counts=False, axis=None):
    """Collapse runs of equal consecutive elements (or slices along ``axis``); optionally also the
    index of each input element's run and the length of each run."""
    check_tensor("unique_consecutive", input)
    check_bool("unique_consecutive", return_idx, "return_idx")
    check_bool("unique_consecutive", return_counts, "return_counts")
    arr = input.asnumpy()
    if axis is None:
        flat = arr.reshape(-1)
        if flat.size == 0:
            change = np.zeros(0, bool)
        else:
            change = np.concatenate([[True], flat[1:] != flat[:-1]])
        out = flat[change]
        run = np.cumsum(change) - 1
        idx = run.reshape(arr.shape)
        n = flat.size
    else:
        a = R.normalize_axis("unique_consecutive", axis, arr.ndim)
        moved = np.moveaxis(arr, a, 0).reshape(arr.shape[a], -1)
        n = moved.shape[0]
        if n == 0:
            change = np.zeros(0, bool)
        else:
            change = np.concatenate([[True], np.any(moved[1:] != moved[:-1], axis=1)])
        out = np.take(arr, np.nonzero(change)[0], axis=a)
        idx = np.cumsum(change) - 1
    starts = np.nonzero(change)[0]
    counts = np.diff(np.append(starts, n))
    res = [_wrap(out)]
    if return_idx:
        res.append(_wrap(idx.astype(np.int64)))
    if return_counts:
        res.append(_wrap(counts.astype(np.int64)))
    return res[0] if len(res) == 1 else tuple(res)


def nonzero(input, as_tuple=False):
    """Indices of the non-zero elements: an int64 ``(count, ndim)`` tensor, or with ``as_tuple`` one
    1-D int64 tensor per dimension."""
    check_tensor("nonzero", input)
    check_bool("nonzero", as_tuple, "as_tuple")
    arr = input.asnumpy()
    if as_tuple:
        if arr.ndim == 0:
            return (_wrap(np.zeros(int(arr != 0), np.int64)),)
        return tuple(_wrap(i.astype(np.int64)) for i in np.nonzero(arr))
    return _wrap(np.argwhere(arr).astype(np.int64))


def argwhere(input):
    """Indices of the non-zero elements, an int64 ``(count, ndim)`` tensor."""
    check_tensor("argwhere", input)
    return _wrap(np.argwhere(input.asnumpy()).astype(np.int64))


def msort(input):
    """``input`` sorted along its first dimension (values only)."""
    check_tensor("msort", input)
    return sort(input, 0)[0]


def top_k(input_x, k, sorted=True):
    """The ``k`` largest entries along the last dimension and their int32 indices."""
    return topk(input_x, k, None, True, sorted)


def unique_with_pad(x, pad_num):
    """``(y, idx)`` of ``unique`` for a 1-D ``x``, with ``y`` padded by ``pad_num`` to ``x``'s length."""
    check_tensor("unique_with_pad", x, "x")
    if x.ndim != 1:
        raise ValueError(f"unique_with_pad: 'x' must be 1-D, got {x.ndim} dims")
    arr = x.asnumpy()
    # MindSpore keeps the order of first occurrence here
    out, first, inv = np.unique(arr, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    y = np.full(arr.shape, pad_num, arr.dtype)
    y[:out.size] = out[order]
    return _wrap(y), _wrap(rank[inv].astype(arr.dtype if arr.dtype.kind in "iu" else np.int32))
