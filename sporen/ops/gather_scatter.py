"""Gather/scatter primitives (gather, gather_elements, gather_nd, index_select, index_add,
scatter_nd, tensor_scatter_update, tensor_scatter_elements) and the functions built on them:
masks, diagonals, triangles, slice/diagonal scatters, in-place Parameter scatters.

A gather's gradient is a scatter-add of dout into zeros and a scatter's gradient is a gather, so
every pair differentiates again. Ops whose output shape depends on the values (unique, nonzero,
argwhere, the index part of masked_select) are eager functions over the data, not primitives:
their shape cannot be known from input shapes, so no shape rule could describe them.
Sorting and searching live in ``sorting.py`` (re-exported here)."""
import builtins
import numbers

import numpy as np

from .. import dtype as mstype
from ..tensor import Tensor, Parameter
from . import _rules as R
from ._helpers import check_int, check_tensor
from .registry import OPS, Aval, register

__all__ = ["gather", "gather_elements", "gather_nd", "index_select", "index_add", "scatter", "scatter_add",
           "scatter_nd", "tensor_scatter_update", "tensor_scatter_add", "tensor_scatter_sub",
           "tensor_scatter_elements", "masked_fill", "masked_select", "diag", "diagonal", "diag_embed",
           "tril", "triu", "trace", "slice_scatter", "select_scatter", "diagonal_scatter",
           "index_fill", "scatter_nd_add", "scatter_nd_sub", "scatter_nd_update", "scatter_update",
           "gather_d", "diagflat", "take", "unsorted_segment_sum",
           "masked_scatter", "index_put", "scatter_max", "scatter_min", "scatter_mul", "scatter_div"]

_pyslice = builtins.slice
_wrap = Tensor._wrap


def _zeros(shape, like):
    return _wrap(np.zeros(shape, like._data.dtype))


def _check_index(name, index, argname="indices"):
    check_tensor(name, index, argname)
    if index.dtype.kind not in "iu":
        raise TypeError(f"{name}: '{argname}' must be an int32 or int64 Tensor, got {index.dtype}")
    return index


def _index_error(name, exc):
    return IndexError(f"{name}: {exc}")


# --- gather / index_select / index_add ---------------------------------------------------------
def _gather_kernel(x, indices, axis):
    try:
        return np.take(x, indices, axis=axis)
    except IndexError as exc:
        raise _index_error("gather", exc) from None


def _gather_rule(x, indices, axis):
    if indices.dtype.kind not in "iu":
        raise TypeError(f"gather: 'input_indices' must be an integer tensor, got {indices.dtype}")
    return Aval(x.shape[:axis] + indices.shape + x.shape[axis + 1:], x.dtype)


def _gather_bprop(x, indices, out, dout, axis):
    n = int(np.prod(indices.shape))
    flat = OPS["reshape"](indices, shape=(n,))
    g = OPS["reshape"](dout, shape=x.shape[:axis] + (n,) + x.shape[axis + 1:])
    return (index_add_p(_zeros(x.shape, dout), flat, g, axis=axis), None)


gather_p = register("gather", infer=_gather_rule, kernel=_gather_kernel, bprop=_gather_bprop, family="movement")


def _batch_gather(params, indices, axis, b):
    """gather with batch_dims b: out[B..., M..., I..., post] = params[B..., M..., idx[B..., I...], post]."""
    pshape = params.shape
    ishape = indices.shape
    if ishape[:b] != pshape[:b]:
        raise ValueError(f"gather: the first {b} dims of 'input_indices' {list(ishape)} must equal those of "
                         f"'input_params' {list(pshape)}")
    # move the gathered axis right after the batch dims, then gather_nd with (batch coords, index)
    perm = tuple(range(b)) + (axis,) + tuple(i for i in range(b, len(pshape)) if i != axis)
    moved = OPS["transpose"](params, perm=perm) if perm != tuple(range(len(pshape))) else params
    coords = [_wrap(np.broadcast_to(np.arange(pshape[k]).reshape((-1,) + (1,) * (len(ishape) - k - 1)),
                                    ishape).astype(np.int64)) for k in range(b)]
    idx = OPS["cast"](indices, dtype=mstype.int64) if indices.dtype is not mstype.int64 else indices
    full = OPS["stack"](*coords, idx, axis=len(ishape))
    out = gather_nd_p(moved, full)  # B + I + M + post
    nb, ni, nm = b, len(ishape) - b, axis - b
    order = tuple(range(nb)) + tuple(range(nb + ni, nb + ni + nm)) + tuple(range(nb, nb + ni))
    order += tuple(range(nb + ni + nm, out.ndim))
    return OPS["transpose"](out, perm=order) if order != tuple(range(out.ndim)) else out


def gather(input_params, input_indices, axis, batch_dims=0):
    """Slices of ``input_params`` along ``axis`` at ``input_indices``; output shape
    ``params.shape[:axis] + indices.shape[batch_dims:] + params.shape[axis+1:]``."""
    check_tensor("gather", input_params, "input_params")
    _check_index("gather", input_indices, "input_indices")
    a = R.normalize_axis("gather", axis, input_params.ndim)
    b = check_int("gather", batch_dims, "batch_dims")
    if b < 0:
        b += input_indices.ndim
    if b < 0 or b > a or b > input_indices.ndim:
        raise ValueError(f"gather: 'batch_dims' must be in [0, min(axis, indices.ndim)], got {batch_dims}")
    if b:
        return _batch_gather(input_params, input_indices, a, b)
    return gather_p(input_params, input_indices, axis=a)


def _index_select_rule(x, index, axis):
    if index.dtype.kind not in "iu" or len(index.shape) > 1:
        raise TypeError(f"index_select: 'index' must be a 1-D integer tensor, got {index.dtype}{list(index.shape)}")
    return Aval(x.shape[:axis] + tuple(index.shape) + x.shape[axis + 1:], x.dtype)


def _index_select_bprop(x, index, out, dout, axis):
    return (index_add_p(_zeros(x.shape, dout), index, dout, axis=axis), None)


index_select_p = register("index_select", infer=_index_select_rule, kernel=_gather_kernel,
                          bprop=_index_select_bprop, family="movement")


def index_select(input, axis, index):
    """The entries of ``input`` at the 1-D ``index`` along ``axis``."""
    check_tensor("index_select", input)
    _check_index("index_select", index, "index")
    if index.ndim > 1:
        raise ValueError(f"index_select: 'index' must be 0-D or 1-D, got {index.ndim} dims")
    a = R.normalize_axis("index_select", axis, input.ndim)
    if index.ndim == 0:
        index = OPS["reshape"](index, shape=(1,))
    return index_select_p(input, index, axis=a)


def _index_add_kernel(x, indices, y, axis):
    out = x.copy()
    try:
        np.add.at(out, (_pyslice(None),) * axis + (indices,), y)
    except IndexError as exc:
        raise _index_error("index_add", exc) from None
    return out


def _index_add_rule(x, indices, y, axis):
    want = x.shape[:axis] + tuple(indices.shape) + x.shape[axis + 1:]
    if tuple(y.shape) != want:
        raise ValueError(f"index_add: 'y' must have shape {list(want)}, got {list(y.shape)}")
    return Aval(x.shape, R.check_same_dtype("index_add", x, y))


def _index_add_bprop(x, indices, y, out, dout, axis):
    return (dout, None, index_select_p(dout, indices, axis=axis))


index_add_p = register("index_add", infer=_index_add_rule, kernel=_index_add_kernel, bprop=_index_add_bprop,
                       family="movement")


def _write_back(target, out):
    """MindSpore's scatter/index ops on a Parameter update it in place; on a Tensor they only return."""
    if isinstance(target, Parameter):
        target._data = out._data
    return out


def index_add(x, indices, y, axis, use_lock=True, check_index_bound=True):
    """Add ``y`` into ``x`` at the 1-D ``indices`` along ``axis`` (repeated indices add up)."""
    check_tensor("index_add", x, "x")
    _check_index("index_add", indices)
    check_tensor("index_add", y, "y")
    if indices.ndim != 1:
        raise ValueError(f"index_add: 'indices' must be 1-D, got {indices.ndim} dims")
    a = R.normalize_axis("index_add", axis, x.ndim)
    if y.dtype is not x.dtype:
        y = OPS["cast"](y, dtype=x.dtype)
    _index_add_rule(Aval(x.shape, x.dtype), Aval(indices.shape, indices.dtype), Aval(y.shape, y.dtype), a)
    return _write_back(x, index_add_p(x, indices, y, axis=a))


# --- gather_elements / tensor_scatter_elements -------------------------------------------------
def _crop_to(x, shape, axis):
    if all(s == d or k == axis for k, (s, d) in enumerate(zip(shape, x.shape))):
        return x
    return x[tuple(_pyslice(None) if k == axis else _pyslice(0, s) for k, s in enumerate(shape))]


def _gather_elements_kernel(x, index, dim):
    try:
        return np.take_along_axis(_crop_to(x, index.shape, dim), index, axis=dim)
    except IndexError as exc:
        raise _index_error("gather_elements", exc) from None


def _gather_elements_rule(x, index, dim):
    if len(index.shape) != len(x.shape):
        raise ValueError(f"gather_elements: 'index' must have {len(x.shape)} dims like 'input', got {len(index.shape)}")
    for k, (i, d) in enumerate(zip(index.shape, x.shape)):
        if k != dim and i > d:
            raise ValueError(f"gather_elements: 'index' shape {list(index.shape)} exceeds 'input' shape "
                             f"{list(x.shape)} at dim {k}")
    return Aval(index.shape, x.dtype)


def _gather_elements_bprop(x, index, out, dout, dim):
    return (tensor_scatter_elements_p(_zeros(x.shape, dout), index, dout, axis=dim, reduction="add"), None)


gather_elements_p = register("gather_elements", infer=_gather_elements_rule, kernel=_gather_elements_kernel,
                             bprop=_gather_elements_bprop, family="movement")


def gather_elements(input, dim, index):
    """``out[i][j] = input[index[i][j]][j]`` for dim 0 (and so on): numpy's ``take_along_axis``."""
    check_tensor("gather_elements", input)
    _check_index("gather_elements", index, "index")
    d = R.normalize_axis("gather_elements", dim, input.ndim, "dim")
    _gather_elements_rule(Aval(input.shape, input.dtype), Aval(index.shape, index.dtype), d)
    return gather_elements_p(input, index, dim=d)


def _element_coords(indices, axis):
    coords = list(np.indices(indices.shape, sparse=True))
    coords[axis] = indices
    return tuple(coords)


def _tse_kernel(x, indices, updates, axis, reduction):
    out = x.copy()
    coords = _element_coords(indices, axis)
    try:
        if reduction == "none":
            out[coords] = updates
        else:
            np.add.at(out, coords, updates)
    except IndexError as exc:
        raise _index_error("tensor_scatter_elements", exc) from None
    return out


def _tse_rule(x, indices, updates, axis, reduction):
    if tuple(indices.shape) != tuple(updates.shape):
        raise ValueError(f"tensor_scatter_elements: 'updates' must have the shape of 'indices' "
                         f"{list(indices.shape)}, got {list(updates.shape)}")
    if len(indices.shape) != len(x.shape):
        raise ValueError(f"tensor_scatter_elements: 'indices' must have {len(x.shape)} dims, got {len(indices.shape)}")
    return Aval(x.shape, R.check_same_dtype("tensor_scatter_elements", x, updates))


def _tse_bprop(x, indices, updates, out, dout, axis, reduction):
    gu = gather_elements_p(dout, indices, dim=axis)
    if reduction == "add":
        return (dout, None, gu)
    gx = tensor_scatter_elements_p(dout, indices, _zeros(updates.shape, dout), axis=axis, reduction="none")
    return (gx, None, gu)


tensor_scatter_elements_p = register("tensor_scatter_elements", infer=_tse_rule, kernel=_tse_kernel,
                                     bprop=_tse_bprop, family="movement")


def tensor_scatter_elements(input_x, indices, updates, axis=0, reduction="none"):
    """Write (``reduction='none'``) or add (``'add'``) ``updates`` into ``input_x`` at ``indices``
    along ``axis``: the inverse of ``gather_elements``."""
    check_tensor("tensor_scatter_elements", input_x, "input_x")
    _check_index("tensor_scatter_elements", indices)
    check_tensor("tensor_scatter_elements", updates, "updates")
    if reduction not in ("none", "add"):
        raise ValueError(f"tensor_scatter_elements: 'reduction' must be 'none' or 'add', got {reduction!r}")
    a = R.normalize_axis("tensor_scatter_elements", axis, input_x.ndim)
    if updates.dtype is not input_x.dtype:
        updates = OPS["cast"](updates, dtype=input_x.dtype)
    _tse_rule(Aval(input_x.shape, input_x.dtype), Aval(indices.shape, indices.dtype),
              Aval(updates.shape, updates.dtype), a, reduction)
    return tensor_scatter_elements_p(input_x, indices, updates, axis=a, reduction=reduction)


def scatter(input, axis, index, src):
    """Write ``src`` into ``input`` at ``index`` along ``axis`` (out-of-place)."""
    return tensor_scatter_elements(input, index, src, axis, "none")


def scatter_add(input_x, indices, updates):
    """Add ``updates`` (shape ``indices.shape + input_x.shape[1:]``) into the rows ``indices`` of
    ``input_x``; a Parameter is updated in place, as in MindSpore."""
    check_tensor("scatter_add", input_x, "input_x")
    _check_index("scatter_add", indices)
    check_tensor("scatter_add", updates, "updates")
    want = tuple(indices.shape) + tuple(input_x.shape[1:])
    if tuple(updates.shape) != want:
        raise ValueError(f"scatter_add: 'updates' must have shape indices.shape + input_x.shape[1:] = "
                         f"{list(want)}, got {list(updates.shape)}")
    n = indices.size
    flat = OPS["reshape"](indices, shape=(n,))
    upd = OPS["reshape"](updates, shape=(n,) + tuple(input_x.shape[1:]))
    if upd.dtype is not input_x.dtype:
        upd = OPS["cast"](upd, dtype=input_x.dtype)
    return _write_back(input_x, index_add_p(input_x, flat, upd, axis=0))


# --- gather_nd / scatter_nd / tensor_scatter_update --------------------------------------------
def _nd_index(indices):
    return tuple(np.moveaxis(indices, -1, 0))


def _gather_nd_kernel(x, indices):
    try:
        return x[_nd_index(indices)]
    except IndexError as exc:
        raise _index_error("gather_nd", exc) from None


def _gather_nd_rule(x, indices):
    k = indices.shape[-1] if indices.shape else 0
    if not indices.shape or k > len(x.shape):
        raise ValueError(f"gather_nd: the last dim of 'indices' {list(indices.shape)} must be at most the rank "
                         f"{len(x.shape)} of 'input_x'")
    return Aval(tuple(indices.shape[:-1]) + tuple(x.shape[k:]), x.dtype)


def _gather_nd_bprop(x, indices, out, dout):
    return (scatter_nd_p(indices, dout, shape=x.shape), None)


gather_nd_p = register("gather_nd", infer=_gather_nd_rule, kernel=_gather_nd_kernel, bprop=_gather_nd_bprop,
                       family="movement")


def gather_nd(input_x, indices):
    """``out[i...] = input_x[indices[i..., 0], indices[i..., 1], ...]``."""
    check_tensor("gather_nd", input_x, "input_x")
    _check_index("gather_nd", indices)
    _gather_nd_rule(Aval(input_x.shape, input_x.dtype), Aval(indices.shape, indices.dtype))
    return gather_nd_p(input_x, indices)


def _scatter_nd_kernel(indices, updates, shape):
    out = np.zeros(shape, updates.dtype)
    try:
        np.add.at(out, _nd_index(indices), updates)
    except IndexError as exc:
        raise _index_error("scatter_nd", exc) from None
    return out


def _scatter_nd_rule(indices, updates, shape):
    k = indices.shape[-1] if indices.shape else 0
    want = tuple(indices.shape[:-1]) + tuple(shape[k:])
    if not indices.shape or k > len(shape) or tuple(updates.shape) != want:
        raise ValueError(f"scatter_nd: 'updates' must have shape indices.shape[:-1] + shape[indices.shape[-1]:] "
                         f"= {list(want)}, got {list(updates.shape)}")
    return Aval(tuple(shape), updates.dtype)


def _scatter_nd_bprop(indices, updates, out, dout, shape):
    return (None, gather_nd_p(dout, indices))


scatter_nd_p = register("scatter_nd", infer=_scatter_nd_rule, kernel=_scatter_nd_kernel,
                        bprop=_scatter_nd_bprop, family="movement")


def _nd_shape(name, shape):
    if isinstance(shape, Tensor):
        shape = shape.asnumpy().tolist()
    if not isinstance(shape, (tuple, list)) or not shape:
        raise TypeError(f"{name}: 'shape' must be a non-empty tuple of ints, got {shape!r}")
    for s in shape:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0:
            raise ValueError(f"{name}: 'shape' must hold non-negative ints, got {list(shape)}")
    return tuple(int(s) for s in shape)


def scatter_nd(indices, updates, shape):
    """A zero tensor of ``shape`` with ``updates`` added at the N-d ``indices`` (repeats add up)."""
    _check_index("scatter_nd", indices)
    check_tensor("scatter_nd", updates, "updates")
    shape = _nd_shape("scatter_nd", shape)
    _scatter_nd_rule(Aval(indices.shape, indices.dtype), Aval(updates.shape, updates.dtype), shape)
    return scatter_nd_p(indices, updates, shape=shape)


def _tsu_kernel(x, indices, updates):
    out = x.copy()
    try:
        out[_nd_index(indices)] = updates
    except IndexError as exc:
        raise _index_error("tensor_scatter_update", exc) from None
    return out


def _tsu_rule(x, indices, updates):
    _scatter_nd_rule(indices, updates, x.shape)
    return Aval(x.shape, R.check_same_dtype("tensor_scatter_update", x, updates))


def _tsu_bprop(x, indices, updates, out, dout):
    gx = tensor_scatter_update_p(dout, indices, _zeros(updates.shape, dout))
    return (gx, None, gather_nd_p(dout, indices))


tensor_scatter_update_p = register("tensor_scatter_update", infer=_tsu_rule, kernel=_tsu_kernel,
                                   bprop=_tsu_bprop, family="movement")


def _scatter_args(name, input_x, indices, updates):
    check_tensor(name, input_x, "input_x")
    _check_index(name, indices)
    check_tensor(name, updates, "updates")
    if updates.dtype is not input_x.dtype:
        updates = OPS["cast"](updates, dtype=input_x.dtype)
    _scatter_nd_rule(Aval(indices.shape, indices.dtype), Aval(updates.shape, updates.dtype), input_x.shape)
    return updates


def tensor_scatter_update(input_x, indices, updates):
    """``input_x`` with the N-d ``indices`` replaced by ``updates``."""
    updates = _scatter_args("tensor_scatter_update", input_x, indices, updates)
    return tensor_scatter_update_p(input_x, indices, updates)


def tensor_scatter_add(input_x, indices, updates):
    """``input_x`` with ``updates`` added at the N-d ``indices``."""
    updates = _scatter_args("tensor_scatter_add", input_x, indices, updates)
    return OPS["add"](input_x, scatter_nd_p(indices, updates, shape=input_x.shape))


def tensor_scatter_sub(input_x, indices, updates):
    """``input_x`` with ``updates`` subtracted at the N-d ``indices``."""
    updates = _scatter_args("tensor_scatter_sub", input_x, indices, updates)
    return OPS["sub"](input_x, scatter_nd_p(indices, updates, shape=input_x.shape))


# --- masks -------------------------------------------------------------------------------------
def _bool_mask(name, mask):
    check_tensor(name, mask, "mask")
    if mask.dtype is not mstype.bool_:
        raise TypeError(f"{name}: 'mask' must be a Bool tensor, got {mask.dtype}")
    return mask


def masked_fill(input_x, mask, value):
    """``value`` where ``mask`` is True, ``input_x`` elsewhere (broadcasting)."""
    check_tensor("masked_fill", input_x, "input_x")
    _bool_mask("masked_fill", mask)
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise ValueError(f"masked_fill: a Tensor 'value' must be 0-D, got shape {list(value.shape)}")
        if value.dtype is not input_x.dtype:
            value = OPS["cast"](value, dtype=input_x.dtype)
    elif isinstance(value, (numbers.Number, np.generic)):
        value = _wrap(np.array(value, input_x._data.dtype))
    else:
        raise TypeError(f"masked_fill: 'value' must be a number or a 0-D Tensor, got {type(value).__name__}")
    return OPS["where"](mask, value, input_x)


def masked_select(input, mask):
    """The elements of ``input`` where ``mask`` is True, as a 1-D tensor (both are broadcast)."""
    check_tensor("masked_select", input)
    _bool_mask("masked_select", mask)
    shape = R._broadcast_shapes("masked_select", input.shape, mask.shape)
    x = input if input.shape == shape else OPS["broadcast_to"](input, shape=shape)
    m = np.broadcast_to(mask.asnumpy(), shape)
    if not shape:
        x = OPS["reshape"](x, shape=(1,))
        m = m.reshape(1)
    coords = np.argwhere(m).astype(np.int64)  # data-dependent: computed eagerly, then a gather
    return gather_nd_p(x, _wrap(coords))


# --- diagonals and triangles -------------------------------------------------------------------
def _diag_coords(n1, n2, offset):
    if offset >= 0:
        length = builtins.max(0, builtins.min(n1, n2 - offset))
        rows = np.arange(length)
        cols = rows + offset
    else:
        length = builtins.max(0, builtins.min(n1 + offset, n2))
        cols = np.arange(length)
        rows = cols - offset
    return rows.astype(np.int64), cols.astype(np.int64)


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal (``offset`` above the main one) of the planes ``dim1``/``dim2``, as the last dim."""
    check_tensor("diagonal", input)
    if input.ndim < 2:
        raise ValueError(f"diagonal: 'input' must have at least 2 dims, got {input.ndim}")
    offset = check_int("diagonal", offset, "offset")
    a = R.normalize_axis("diagonal", dim1, input.ndim, "dim1")
    b = R.normalize_axis("diagonal", dim2, input.ndim, "dim2")
    if a == b:
        raise ValueError(f"diagonal: 'dim1' and 'dim2' must differ, got {dim1} and {dim2}")
    perm = tuple(i for i in range(input.ndim) if i not in (a, b)) + (a, b)
    x = OPS["transpose"](input, perm=perm) if perm != tuple(range(input.ndim)) else input
    rows, cols = _diag_coords(input.shape[a], input.shape[b], offset)
    nb = input.ndim - 2
    index = tuple(("s", 0, x.shape[k], 1) for k in range(nb)) + (("t", 0), ("t", 1))
    return OPS["getitem"](x, _wrap(rows), _wrap(cols), index=index)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Tensors whose (``dim1``, ``dim2``) planes have ``input``'s last dim on their ``offset`` diagonal."""
    check_tensor("diag_embed", input)
    offset = check_int("diag_embed", offset, "offset")
    nd = input.ndim + 1
    a = R.normalize_axis("diag_embed", dim1, nd, "dim1")
    b = R.normalize_axis("diag_embed", dim2, nd, "dim2")
    if a == b:
        raise ValueError(f"diag_embed: 'dim1' and 'dim2' must differ, got {dim1} and {dim2}")
    if input.ndim == 0:
        raise ValueError("diag_embed: 'input' must have at least 1 dim")
    n = input.shape[-1]
    m = n + builtins.abs(offset)
    batch = input.shape[:-1]
    rows, cols = _diag_coords(m, m, offset)
    zeros = _zeros(batch + (m, m), input)
    index = tuple(("s", 0, s, 1) for s in batch) + (("t", 0), ("t", 1))
    out = OPS["setitem"](zeros, input, _wrap(rows), _wrap(cols), index=index, accumulate=False)
    # out has the plane as its last two dims; move them to (a, b)
    rest = [i for i in range(nd) if i not in (a, b)]
    perm = [0] * nd
    for src, dst in enumerate(rest):
        perm[dst] = src
    perm[a] = nd - 2
    perm[b] = nd - 1
    perm = tuple(perm)
    return OPS["transpose"](out, perm=perm) if perm != tuple(range(nd)) else out


def diag(input):
    """A tensor of shape ``input.shape * 2`` with ``input`` on its diagonal (a 1-D input gives a
    diagonal matrix)."""
    check_tensor("diag", input)
    if input.ndim == 0:
        raise ValueError("diag: 'input' must have at least 1 dim")
    n = input.size
    flat = OPS["reshape"](input, shape=(n,)) if input.ndim != 1 else input
    mat = diag_embed(flat)
    return OPS["reshape"](mat, shape=input.shape * 2) if input.ndim != 1 else mat


def _triangle(name, input, diagonal, lower):
    check_tensor(name, input)
    if input.ndim < 2:
        raise ValueError(f"{name}: 'input' must have at least 2 dims, got {input.ndim}")
    k = check_int(name, diagonal, "diagonal")
    n, m = input.shape[-2:]
    ones = np.ones((n, m), bool)
    mask = np.tril(ones, k) if lower else np.triu(ones, k)
    zero = _wrap(np.zeros((), input._data.dtype))
    return OPS["where"](_wrap(mask), input, zero)


def tril(input, diagonal=0):
    """The lower triangle (on and below the ``diagonal``-th diagonal) of the last two dims."""
    return _triangle("tril", input, diagonal, True)


def triu(input, diagonal=0):
    """The upper triangle (on and above the ``diagonal``-th diagonal) of the last two dims."""
    return _triangle("triu", input, diagonal, False)


def trace(input):
    """The sum of the main diagonal of a 2-D tensor."""
    check_tensor("trace", input)
    if input.ndim != 2:
        raise ValueError(f"trace: 'input' must be 2-D, got {input.ndim} dims")
    d = diagonal(input)
    return OPS["reduce_sum"](d, axis=(0,), keepdims=False)


# --- out-of-place writes into slices, selections and diagonals ---------------------------------
def _setitem_out_of_place(name, input, index, src):
    """``input`` with ``input[index] = src`` as a new tensor (differentiable in both)."""
    from .indexing import _normalize, _target_shape, setitem_p
    check_tensor(name, input)
    check_tensor(name, src, "src")
    desc, tensors = _normalize(index, input.shape, name)
    target = _target_shape(input.shape, input._data.dtype, desc, [t.shape for t in tensors])
    if tuple(src.shape) != tuple(target):
        raise ValueError(f"{name}: 'src' must have shape {list(target)}, got {list(src.shape)}")
    if src.dtype is not input.dtype:
        src = OPS["cast"](src, dtype=input.dtype)
    return setitem_p(input, src, *tensors, index=desc, accumulate=False)


def slice_scatter(input, src, axis=0, start=None, end=None, step=1):
    """``input`` with ``src`` written into ``input[..., start:end:step, ...]`` along ``axis``."""
    check_tensor("slice_scatter", input)
    a = R.normalize_axis("slice_scatter", axis, input.ndim)
    index = (_pyslice(None),) * a + (_pyslice(start, end, step),)
    return _setitem_out_of_place("slice_scatter", input, index, src)


def select_scatter(input, src, axis, index):
    """``input`` with ``src`` written into the slice ``index`` of ``axis``."""
    check_tensor("select_scatter", input)
    a = R.normalize_axis("select_scatter", axis, input.ndim)
    i = check_int("select_scatter", index, "index")
    return _setitem_out_of_place("select_scatter", input, (_pyslice(None),) * a + (i,), src)


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """``input`` with ``src`` written onto the diagonal that ``diagonal(input, offset, dim1, dim2)``
    reads."""
    check_tensor("diagonal_scatter", input)
    offset = check_int("diagonal_scatter", offset, "offset")
    a = R.normalize_axis("diagonal_scatter", dim1, input.ndim, "dim1")
    b = R.normalize_axis("diagonal_scatter", dim2, input.ndim, "dim2")
    if a == b:
        raise ValueError(f"diagonal_scatter: 'dim1' and 'dim2' must differ, got {dim1} and {dim2}")
    rows, cols = _diag_coords(input.shape[a], input.shape[b], offset)
    index = [_pyslice(None)] * input.ndim
    index[a] = rows
    index[b] = cols
    # numpy puts the diagonal first when the two index arrays are not adjacent, last (at a) when they are
    if builtins.abs(a - b) != 1:
        src = OPS["transpose"](src, perm=(src.ndim - 1,) + tuple(range(src.ndim - 1)))
    elif src.ndim > 1:
        lo = builtins.min(a, b)
        perm = tuple(range(lo)) + (src.ndim - 1,) + tuple(range(lo, src.ndim - 1))
        src = OPS["transpose"](src, perm=perm)
    return _setitem_out_of_place("diagonal_scatter", input, tuple(index), src)


def index_fill(x, axis, index, value):
    """``x`` with the entries at ``index`` along ``axis`` set to ``value`` (a number or 0-D Tensor)."""
    check_tensor("index_fill", x, "x")
    _check_index("index_fill", index, "index")
    a = R.normalize_axis("index_fill", axis, x.ndim)
    from .indexing import _normalize, _target_shape, setitem_p
    desc, tensors = _normalize((_pyslice(None),) * a + (index,), x.shape, "index_fill")
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise ValueError(f"index_fill: a Tensor 'value' must be 0-D, got shape {list(value.shape)}")
        v = value if value.dtype is x.dtype else OPS["cast"](value, dtype=x.dtype)
    elif isinstance(value, (numbers.Number, np.generic)):
        v = _wrap(np.array(value, x._data.dtype))
    else:
        raise TypeError(f"index_fill: 'value' must be a number or a 0-D Tensor, got {type(value).__name__}")
    _target_shape(x.shape, x._data.dtype, desc, [t.shape for t in tensors])
    return setitem_p(x, v, *tensors, index=desc, accumulate=False)


def scatter_nd_add(input_x, indices, updates, use_locking=False):
    """Add ``updates`` at the N-d ``indices`` of ``input_x`` (a Parameter is updated in place)."""
    return _write_back(input_x, tensor_scatter_add(input_x, indices, updates))


def scatter_nd_sub(input_x, indices, updates, use_locking=False):
    """Subtract ``updates`` at the N-d ``indices`` of ``input_x`` (a Parameter is updated in place)."""
    return _write_back(input_x, tensor_scatter_sub(input_x, indices, updates))


def scatter_nd_update(input_x, indices, updates, use_locking=True):
    """Write ``updates`` at the N-d ``indices`` of ``input_x`` (a Parameter is updated in place)."""
    return _write_back(input_x, tensor_scatter_update(input_x, indices, updates))


def scatter_update(input_x, indices, updates):
    """Write ``updates`` (shape ``indices.shape + input_x.shape[1:]``) into the rows ``indices``
    of ``input_x`` (a Parameter is updated in place)."""
    _check_index("scatter_update", indices)
    nd = OPS["reshape"](indices, shape=tuple(indices.shape) + (1,))
    return _write_back(input_x, tensor_scatter_update(input_x, nd, updates))


# --- aliases and segment reductions ------------------------------------------------------------
def gather_d(x, dim, index):
    """Alias of ``gather_elements`` (MindSpore's older name)."""
    return gather_elements(x, dim, index)


def diagflat(input, offset=0):
    """A 2-D tensor with the flattened ``input`` on its ``offset`` diagonal."""
    check_tensor("diagflat", input)
    flat = OPS["reshape"](input, shape=(input.size,)) if input.ndim != 1 else input
    return diag_embed(flat, check_int("diagflat", offset, "offset"))


def masked_scatter(input, mask, source):
    """``input`` with its positions where ``mask`` is True filled, in order, by the first elements
    of ``source`` (``mask`` broadcasts to ``input``)."""
    from .indexing import setitem_p
    check_tensor("masked_scatter", input)
    _bool_mask("masked_scatter", mask)
    check_tensor("masked_scatter", source, "source")
    m = mask.asnumpy()
    if m.shape != tuple(input.shape):
        try:
            m = np.broadcast_to(m, input.shape)
        except ValueError:
            raise ValueError(f"masked_scatter: 'mask' of shape {list(mask.shape)} does not broadcast to "
                             f"'input' {list(input.shape)}") from None
    coords = np.nonzero(m)  # data-dependent: the positions are read eagerly
    count = coords[0].size if m.ndim else int(m)
    if count > source.size:
        raise ValueError(f"masked_scatter: 'source' has {source.size} elements, the mask selects {count}")
    src = source if source.dtype is input.dtype else OPS["cast"](source, dtype=input.dtype)
    flat = OPS["reshape"](src, shape=(source.size,))
    values = OPS["slice"](flat, begin=(0,), size=(count,))
    if not m.ndim:
        return OPS["reshape"](values, shape=()) if count else input
    tensors = [_wrap(c.astype(np.int64)) for c in coords]
    index = tuple(("t", k) for k in range(len(tensors)))
    return setitem_p(input, values, *tensors, index=index, accumulate=False)


def index_put(input, indices, values, accumulate=False):
    """``input`` with ``input[indices] = values`` (``indices`` a tuple of integer Tensors, one per
    leading dimension); with ``accumulate`` repeated positions add up."""
    from .indexing import setitem_p
    check_tensor("index_put", input)
    check_tensor("index_put", values, "values")
    if not isinstance(indices, (tuple, list)) or not indices:
        raise TypeError(f"index_put: 'indices' must be a non-empty tuple of integer Tensors, got {indices!r}")
    for i, t in enumerate(indices):
        _check_index("index_put", t, f"indices[{i}]")
    if len(indices) > input.ndim:
        raise ValueError(f"index_put: {len(indices)} index tensors for a tensor of {input.ndim} dims")
    if not isinstance(accumulate, bool):
        raise TypeError(f"index_put: 'accumulate' must be a bool, got {type(accumulate).__name__}")
    v = values if values.dtype is input.dtype else OPS["cast"](values, dtype=input.dtype)
    index = tuple(("t", k) for k in range(len(indices)))
    index += tuple(("s", 0, d, 1) for d in input.shape[len(indices):])
    from .indexing import _setitem_rule
    _setitem_rule(Aval(input.shape, input.dtype), Aval(v.shape, v.dtype),
                  *[Aval(t.shape, t.dtype) for t in indices], index=index, accumulate=accumulate)
    return setitem_p(input, v, *indices, index=index, accumulate=accumulate)


def _scatter_ufunc(name, ufunc):
    def fn(input_x, indices, updates):
        check_tensor(name, input_x, "input_x")
        _check_index(name, indices)
        check_tensor(name, updates, "updates")
        want = tuple(indices.shape) + tuple(input_x.shape[1:])
        if tuple(updates.shape) != want:
            raise ValueError(f"{name}: 'updates' must have shape indices.shape + input_x.shape[1:] = {list(want)}, "
                             f"got {list(updates.shape)}")
        out = input_x.asnumpy().copy()
        upd = updates.asnumpy().astype(out.dtype, copy=False)
        try:
            ufunc.at(out, indices.asnumpy(), upd)
        except IndexError as exc:
            raise _index_error(name, exc) from None
        return _write_back(input_x, _wrap(out))
    fn.__name__ = name
    fn.__qualname__ = name
    fn.__doc__ = (f"Combine ``updates`` into the rows ``indices`` of ``input_x`` with {ufunc.__name__} (repeats "
                  f"combine in turn); a Parameter is updated in place. Like MindSpore's, it has no gradient.")
    return fn


scatter_max = _scatter_ufunc("scatter_max", np.maximum)
scatter_min = _scatter_ufunc("scatter_min", np.minimum)
scatter_mul = _scatter_ufunc("scatter_mul", np.multiply)
scatter_div = _scatter_ufunc("scatter_div", np.divide)


# sorting.py (sort, topk, searchsorted, unique...) and segment.py (segment reductions) belong to
# this family; they are separate files for size
from .sorting import *  # noqa: E402,F401,F403
from .sorting import __all__ as _sorting_all  # noqa: E402
from .segment import *  # noqa: E402,F401,F403
from .segment import __all__ as _segment_all  # noqa: E402

__all__ += _sorting_all + _segment_all


def take(x, indices, axis=None, mode="clip"):
    """Elements of ``x`` at ``indices`` along ``axis`` (the flattened ``x`` when None). Indices out
    of range: ``mode='clip'`` clamps them into ``[0, n-1]`` (so negatives read index 0), ``'wrap'``
    wraps them around, ``'raise'`` is an error."""
    check_tensor("take", x, "x")
    _check_index("take", indices)
    if mode not in ("clip", "wrap", "raise"):
        raise ValueError(f"take: 'mode' must be 'raise', 'wrap' or 'clip', got {mode!r}")
    if axis is None:
        x = OPS["reshape"](x, shape=(x.size,)) if x.ndim != 1 else x
        a = 0
    else:
        a = R.normalize_axis("take", axis, x.ndim)
    n = x.shape[a]
    if mode == "clip":
        lo = _wrap(np.zeros((), indices._data.dtype))
        hi = _wrap(np.array(builtins.max(n - 1, 0), indices._data.dtype))
        indices = OPS["minimum"](OPS["maximum"](indices, lo), hi)
    elif mode == "wrap":
        indices = OPS["remainder"](indices, _wrap(np.array(n, indices._data.dtype)))
    return gather_p(x, indices, axis=a)
