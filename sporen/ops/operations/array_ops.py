"""Array Primitive classes (``P.Reshape``, ``P.Concat``, ``P.Gather``, ``P.Shape``...) as specs over the
functional ops."""
import numpy as np

from ... import dtype as mstype
from ...tensor import Tensor
from .. import functional as F
from ._base import shape_arg, spec

_M = "array_ops"


def _cast(self, x, dtype):
    if not isinstance(x, Tensor):
        return Tensor(x, dtype)
    return F.cast(x, dtype)


spec("Cast", "cast", _cast, io=(["x", "dst_type"], ["output"]), module=_M)
spec("Reshape", "reshape", lambda self, x, shape: F.reshape(x, shape_arg(shape)),
     io=(["tensor", "shape"], ["output"]), module=_M)
spec("Transpose", "transpose", lambda self, x, perm: F.transpose(x, shape_arg(perm)),
     io=(["x", "perm"], ["output"]), module=_M)
spec("ExpandDims", "expand_dims", lambda self, x, axis: F.expand_dims(x, int(axis)),
     io=(["x", "axis"], ["output"]), module=_M)


def _squeeze(self, x):
    axis = self.axis
    if isinstance(axis, (tuple, list)) and len(axis) == 0:
        axis = None
    return F.squeeze(x, axis)


spec("Squeeze", "squeeze", _squeeze, attrs=(("axis", ()),), io=(["x"], ["output"]), module=_M)
spec("Flatten", "reshape", lambda self, x: F.reshape(x, (x.shape[0] if x.ndim else 1, -1)), module=_M)
spec("Concat", "concat", lambda self, xs: F.concat(tuple(xs), self.axis), attrs=(("axis", 0),), module=_M)
spec("Stack", "stack", lambda self, xs: F.stack(tuple(xs), self.axis), attrs=(("axis", 0),), module=_M)
spec("Pack", "stack", lambda self, xs: F.stack(tuple(xs), self.axis), attrs=(("axis", 0),), module=_M)
spec("Unstack", "unstack", lambda self, x: tuple(F.unstack(x, self.axis)),
     attrs=(("axis", 0), ("num", None)), module=_M)
spec("Unpack", "unstack", lambda self, x: tuple(F.unstack(x, self.axis)), attrs=(("axis", 0),), module=_M)


def _split(self, x):
    n = x.shape[self.axis]
    if n % self.output_num:
        raise ValueError(f"Split: the size {n} of axis {self.axis} is not divisible by "
                         f"'output_num' {self.output_num}")
    return tuple(F.split(x, n // self.output_num, self.axis))


spec("Split", "split", _split, attrs=(("axis", 0), ("output_num", 1)), module=_M)
spec("Tile", "tile", lambda self, x, multiples: F.tile(x, shape_arg(multiples)),
     io=(["x", "multiples"], ["output"]), module=_M)
spec("BroadcastTo", "broadcast_to", lambda self, x: F.broadcast_to(x, self.shape), attrs=(("shape", ()),),
     module=_M)


def _gather(self, params, indices, axis):
    if self.batch_dims:
        return F.gather(params, indices, int(axis), self.batch_dims)
    return F.gather(params, indices, int(axis))


spec("Gather", "gather", _gather, attrs=(("batch_dims", 0),), io=(["params", "indices", "axis"], ["output"]),
     module=_M)
spec("GatherV2", "gather", _gather, attrs=(("batch_dims", 0),), module=_M)
spec("GatherD", "gather_elements", lambda self, x, dim, index: F.gather_elements(x, int(dim), index),
     module=_M)
spec("GatherNd", "gather_nd", lambda self, x, indices: F.gather_nd(x, indices), module=_M)
spec("ScatterNd", "scatter_nd", lambda self, indices, updates, shape: F.scatter_nd(indices, updates, shape_arg(shape)),
     module=_M)
spec("TensorScatterUpdate", "tensor_scatter_update",
     lambda self, x, indices, updates: F.tensor_scatter_update(x, indices, updates), module=_M)
spec("TensorScatterAdd", "tensor_scatter_add",
     lambda self, x, indices, updates: F.tensor_scatter_add(x, indices, updates), module=_M)
spec("TensorScatterElements", "tensor_scatter_elements",
     lambda self, x, indices, updates: F.tensor_scatter_elements(x, indices, updates, self.axis, self.reduction),
     attrs=(("axis", 0), ("reduction", "none")), module=_M)
spec("OneHot", "one_hot",
     lambda self, indices, depth, on_value, off_value: F.one_hot(indices, int(depth), on_value, off_value, self.axis),
     attrs=(("axis", -1),), io=(["indices", "depth", "on_value", "off_value"], ["output"]), module=_M)
spec("Select", "select", lambda self, cond, x, y: F.select(cond, x, y), module=_M)


def _strided_slice(self, x, begin, end, strides):
    return F.strided_slice(x, shape_arg(begin), shape_arg(end), shape_arg(strides), self.begin_mask,
                           self.end_mask, self.ellipsis_mask, self.new_axis_mask, self.shrink_axis_mask)


spec("StridedSlice", "strided_slice", _strided_slice,
     attrs=(("begin_mask", 0), ("end_mask", 0), ("ellipsis_mask", 0), ("new_axis_mask", 0),
            ("shrink_axis_mask", 0)), module=_M)
spec("Slice", "slice", lambda self, x, begin, size: F.slice(x, shape_arg(begin), shape_arg(size)), module=_M)


def _topk(self, x, k):
    return tuple(F.topk(x, int(k), -1, True, self.sorted))


spec("TopK", "topk", _topk, attrs=(("sorted", True),), io=(["input", "k"], ["values", "indices"]), module=_M)
spec("Sort", "sort", lambda self, x: tuple(F.sort(x, self.axis, self.descending)),
     attrs=(("axis", -1), ("descending", False)), module=_M)
spec("ReverseV2", "flip", lambda self, x: F.flip(x, tuple(self.axis)), attrs=(("axis", ()),), module=_M)
spec("Roll", "roll", lambda self, x: F.roll(x, self.shift, self.axis), attrs=(("shift", 0), ("axis", 0)),
     module=_M)


def _pad(self, x):
    flat = []
    for before, after in reversed(self.paddings):
        flat.extend([int(before), int(after)])
    return F.pad(x, tuple(flat))


spec("Pad", "pad", _pad, attrs=(("paddings", ()),), module=_M)
spec("Tril", "tril", lambda self, x: F.tril(x, self.diagonal), attrs=(("diagonal", 0),), module=_M)
spec("Triu", "triu", lambda self, x: F.triu(x, self.diagonal), attrs=(("diagonal", 0),), module=_M)
spec("Diag", "diag", lambda self, x: F.diag(x), module=_M)
spec("MaskedFill", "masked_fill", lambda self, x, mask, value: F.masked_fill(x, mask, value), module=_M)
spec("MaskedSelect", "masked_select", lambda self, x, mask: F.masked_select(x, mask), module=_M)
spec("Meshgrid", "meshgrid", lambda self, inputs: tuple(F.meshgrid(*inputs, indexing=self.indexing)),
     attrs=(("indexing", "xy"),), module=_M)
spec("Unique", "unique", lambda self, x: tuple(F.unique(x)), module=_M)
spec("Identity", (), lambda self, x: x, module=_M)


def _range(self, start, limit, delta):
    return F.arange(start, limit, delta)


spec("Range", "arange", _range, attrs=(("maxlen", 1000000),), module=_M)


# --- creation: Zeros()(shape, dtype), Ones(), Fill()(dtype, shape, value), Eye()(n, m, dtype) ---
def _zeros(self, size, dtype=None):
    return Tensor._wrap(np.zeros(shape_arg(size), dtype=_np_dtype(dtype)))


def _ones(self, size, dtype=None):
    return Tensor._wrap(np.ones(shape_arg(size), dtype=_np_dtype(dtype)))


def _fill(self, dtype, shape, value):
    if isinstance(value, Tensor):
        value = value.item()
    return Tensor._wrap(np.full(shape_arg(shape), value, dtype=_np_dtype(dtype)))


def _eye(self, n, m, dtype):
    return Tensor._wrap(np.eye(int(n), int(m), dtype=_np_dtype(dtype)))


def _np_dtype(dtype):
    if dtype is None:
        return np.float32
    return mstype.to_dtype(dtype).np


spec("Zeros", (), _zeros, module=_M)
spec("Ones", (), _ones, module=_M)
spec("Fill", (), _fill, module=_M)
spec("Fills", "fill", lambda self, x, value: F.fill(x.dtype, x.shape, value), module=_M)
spec("Eye", (), _eye, module=_M)
spec("ZerosLike", "zeros_like", lambda self, x: F.zeros_like(x), module=_M)
spec("OnesLike", "ones_like", lambda self, x: F.ones_like(x), module=_M)


# --- tensor facts: Shape, Rank, Size, DType ----------------------------------------------------
def _check_tensor(name, x):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: 'input_x' must be a Tensor, got {type(x).__name__}")
    return x


spec("Shape", (), lambda self, x: tuple(_check_tensor("Shape", x).shape), module=_M)
spec("TensorShape", (), lambda self, x: Tensor(np.array(_check_tensor("TensorShape", x).shape, dtype=np.int64)),
     module=_M)
spec("Rank", (), lambda self, x: _check_tensor("Rank", x).ndim, module=_M)
spec("Size", (), lambda self, x: _check_tensor("Size", x).size, module=_M)
spec("DType", (), lambda self, x: _check_tensor("DType", x).dtype, module=_M)


def _scalar_to_tensor(self, x, dtype=mstype.float32):
    return Tensor(x, dtype)


spec("ScalarToTensor", (), _scalar_to_tensor, module=_M)
spec("TupleToArray", (), lambda self, x: Tensor(x), module=_M)
spec("ScalarCast", (), lambda self, x, t: mstype.dtype_to_pytype(t)(x), module=_M)


spec("Expand", "broadcast_to", lambda self, x, shape: F.broadcast_to(x, shape_arg(shape)), module=_M)
spec("NonZero", "nonzero", lambda self, x: F.nonzero(x), module=_M)
spec("TensorScatterSub", "tensor_scatter_sub",
     lambda self, x, indices, updates: F.tensor_scatter_sub(x, indices, updates), module=_M)


def _tril_indices(fn):
    def call(self):
        return getattr(F, fn)(self.row, self.col, self.offset, dtype=self.dtype)
    call.__name__ = "__call__"
    return call


spec("TrilIndices", "tril_indices", _tril_indices("tril_indices"),
     attrs=(("row", 1), ("col", 1), ("offset", 0), ("dtype", mstype.int32)), module=_M)
spec("TriuIndices", "triu_indices", _tril_indices("triu_indices"),
     attrs=(("row", 1), ("col", 1), ("offset", 0), ("dtype", mstype.int32)), module=_M)
spec("UniqueConsecutive", "unique_consecutive",
     lambda self, x: F.unique_consecutive(x, self.return_idx, self.return_counts, self.axis),
     attrs=(("return_idx", False), ("return_counts", False), ("axis", None)), module=_M)


def _diag_part(self, x):
    if x.ndim != 2:
        raise ValueError(f"DiagPart: sporen supports 2-d inputs, got {x.ndim} dims")
    return F.diagonal(x)


spec("DiagPart", "diagonal", _diag_part, module=_M)


def _depth_to_space(self, x):
    n, c, h, w = x.shape
    bs = self.block_size
    if c % (bs * bs):
        raise ValueError(f"DepthToSpace: channels {c} must be divisible by block_size**2 = {bs * bs}")
    y = F.reshape(x, (n, bs, bs, c // (bs * bs), h, w))
    y = F.transpose(y, (0, 3, 4, 1, 5, 2))
    return F.reshape(y, (n, c // (bs * bs), h * bs, w * bs))


def _space_to_depth(self, x):
    n, c, h, w = x.shape
    bs = self.block_size
    if h % bs or w % bs:
        raise ValueError(f"SpaceToDepth: height {h} and width {w} must be divisible by block_size {bs}")
    y = F.reshape(x, (n, c, h // bs, bs, w // bs, bs))
    y = F.transpose(y, (0, 3, 5, 1, 2, 4))
    return F.reshape(y, (n, c * bs * bs, h // bs, w // bs))


def _check_block_size(self):
    if isinstance(self.block_size, bool) or not isinstance(self.block_size, int) or self.block_size < 2:
        raise ValueError(f"{self.name}: 'block_size' must be an int >= 2, got {self.block_size}")


spec("DepthToSpace", ("reshape", "transpose"), _depth_to_space, attrs=(("block_size", 2),),
     check=_check_block_size, module=_M)
spec("SpaceToDepth", ("reshape", "transpose"), _space_to_depth, attrs=(("block_size", 2),),
     check=_check_block_size, module=_M)


def _mirror_pad(self, x, paddings):
    pairs = paddings.tolist() if isinstance(paddings, Tensor) else paddings
    flat = []
    for before, after in reversed(pairs):
        flat.extend([int(before), int(after)])
    if self.mode != "REFLECT":
        raise ValueError(f"MirrorPad: sporen supports mode 'REFLECT' only, got {self.mode!r}")
    return F.pad(x, tuple(flat), mode="reflect")


spec("MirrorPad", "pad", _mirror_pad, attrs=(("mode", "REFLECT"),), module=_M)


def _rows(indices):
    """Row indices of the Inplace* ops (an int or a tuple) as an (n, 1) index tensor."""
    if isinstance(indices, int):
        indices = (indices,)
    return Tensor(np.array(indices, dtype=np.int64).reshape(-1, 1))


def _inplace(fn):
    def call(self, x, v):
        rows = _rows(self.indices)
        if v.ndim == x.ndim - 1:
            v = F.expand_dims(v, 0)
        return getattr(F, fn)(x, rows, v)
    call.__name__ = "__call__"
    return call


spec("InplaceAdd", ("tensor_scatter_add", "expand_dims"), _inplace("tensor_scatter_add"),
     attrs=(("indices", 0),), module=_M)
spec("InplaceSub", ("tensor_scatter_sub", "expand_dims"), _inplace("tensor_scatter_sub"),
     attrs=(("indices", 0),), module=_M)
spec("InplaceUpdate", ("tensor_scatter_update", "expand_dims"), _inplace("tensor_scatter_update"),
     attrs=(("indices", 0),), module=_M)

spec("SparseGatherV2", "gather", _gather, attrs=(("batch_dims", 0),), module=_M)
spec("DynamicShape", (), lambda self, x: Tensor(np.array(_check_tensor("DynamicShape", x).shape, dtype=np.int64)),
     module=_M)


def _embedding_lookup(self, params, indices, offset):
    return F.gather(params, F.sub(indices, int(offset)), 0)


spec("EmbeddingLookup", ("gather", "sub"), _embedding_lookup, module=_M)


def _unsorted_segment_sum(self, x, segment_ids, num_segments):
    """Sum the rows of x that share a segment id; ids outside [0, num_segments) are dropped (sent to
    an extra segment that is cut off)."""
    n = int(num_segments)
    if hasattr(F, "unsorted_segment_sum"):
        return F.unsorted_segment_sum(x, segment_ids, n)
    ids = segment_ids
    bad = F.logical_or(F.less(ids, 0), F.greater_equal(ids, n))
    ids = F.select(bad, F.full_like(ids, n), ids)
    rest = tuple(x.shape[ids.ndim:])
    flat_ids = F.reshape(ids, (-1, 1))
    flat_x = F.reshape(x, (-1,) + rest)
    out = F.tensor_scatter_add(Tensor(np.zeros((n + 1,) + rest, dtype=x.dtype.np)), flat_ids, flat_x)
    return F.narrow(out, 0, 0, n)


spec("UnsortedSegmentSum", ("tensor_scatter_add", "select", "full_like", "logical_or", "less", "greater_equal",
                            "reshape", "narrow"), _unsorted_segment_sum, module=_M)


def _padding(self, x):
    """Pad the last dimension (of size 1) with zeros up to pad_dim_size."""
    if x.shape[-1] != 1:
        raise ValueError(f"Padding: the last dimension of 'x' must be 1, got {x.shape[-1]}")
    pads = (0, self.pad_dim_size - 1) + (0, 0) * (x.ndim - 1)
    return F.pad(x, pads)


spec("Padding", "pad", _padding, attrs=(("pad_dim_size", 8),), module=_M)
spec("IndexFill", "index_fill", lambda self, x, dim, index, value: F.index_fill(x, int(dim), index, value),
     module=_M)


def _masked_scatter(self, x, mask, updates):
    return x.masked_scatter(mask, updates)


spec("MaskedScatter", ("broadcast_to", "reshape", "cumsum", "cast", "sub", "clamp", "gather", "select"),
     _masked_scatter, module=_M)


def _fill_diagonal(self, x):
    return x.fill_diagonal(self.fill_value, self.wrap)


spec("FillDiagonal", ("select", "full_like"), _fill_diagonal, attrs=(("fill_value", 0.0), ("wrap", False)),
     module=_M)


def _invert_permutation(self, x):
    perm = [int(v) for v in x]
    if sorted(perm) != list(range(len(perm))):
        raise ValueError(f"InvertPermutation: 'input_x' must be a permutation of 0..{len(perm) - 1}, got {perm}")
    out = [0] * len(perm)
    for i, p in enumerate(perm):
        out[p] = i
    return tuple(out)


spec("InvertPermutation", (), _invert_permutation, module=_M)
