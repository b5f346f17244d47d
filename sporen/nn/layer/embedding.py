"""Embedding layers: Embedding and EmbeddingExt (MindSpore's ``nn.layer.embedding``)."""
import numbers

import numpy as np

from ... import dtype as mstype
from ...common.initializer import Normal
from ...ops import functional as F
from ...ops.registry import OPS
from ...tensor import Parameter, Tensor
from ..cell import Cell
from .basic import _check_bool, _make_param, _positive_int

__all__ = ["Embedding", "EmbeddingExt", "EmbeddingLookup"]


class Embedding(Cell):
    """A lookup table ``embedding_table`` of shape (vocab_size, embedding_size): ``ids`` of any
    shape give ``ids.shape + (embedding_size,)``. ``dtype`` is the dtype of the ids (MindSpore's
    meaning); the table is float32. ``padding_idx``'s row starts at zero."""

    def __init__(self, vocab_size, embedding_size, use_one_hot=False, embedding_table="normal",
                 dtype=mstype.int32, padding_idx=None):
        super().__init__()
        self.vocab_size = _positive_int("Embedding", "vocab_size", vocab_size)
        self.embedding_size = _positive_int("Embedding", "embedding_size", embedding_size)
        self.use_one_hot = _check_bool("Embedding", "use_one_hot", use_one_hot)
        self.dtype = mstype.to_dtype(dtype, "dtype")
        if self.dtype not in (mstype.int32, mstype.int64):
            raise TypeError(f"Embedding: 'dtype' (of the ids) must be int32 or int64, got {self.dtype}")
        if padding_idx is not None:
            if (isinstance(padding_idx, bool) or not isinstance(padding_idx, numbers.Integral)
                    or not 0 <= padding_idx < vocab_size):
                raise ValueError(f"Embedding: 'padding_idx' must be an int in [0, {vocab_size}), got {padding_idx!r}")
        self.padding_idx = padding_idx
        self.init_tensor = embedding_table
        table = _make_param("Embedding", embedding_table, (vocab_size, embedding_size), mstype.float32,
                            "embedding_table")
        if padding_idx is not None:
            table.asnumpy()[padding_idx] = 0
        self.embedding_table = table

    def construct(self, ids):
        if not isinstance(ids, Tensor) or ids.dtype.kind not in "iu":
            raise TypeError(f"Embedding: 'ids' must be an integer Tensor, got "
                            f"{ids.dtype if isinstance(ids, Tensor) else type(ids).__name__}")
        if self.use_one_hot:
            flat = F.reshape(ids, (-1,))
            on = Tensor(1.0, mstype.float32)
            off = Tensor(0.0, mstype.float32)
            one_hot = F.one_hot(flat, self.vocab_size, on, off, -1)
            out = OPS["matmul"](one_hot, self.embedding_table, transpose_a=False, transpose_b=False)
            return F.reshape(out, tuple(ids.shape) + (self.embedding_size,))
        # gradients reach every looked-up row, padding_idx's too, as with MindSpore's Gather
        return F.embedding(ids, self.embedding_table)

    def extend_repr(self):
        return (f"vocab_size={self.vocab_size}, embedding_size={self.embedding_size}, "
                f"use_one_hot={self.use_one_hot}, embedding_table={self.embedding_table}, dtype={self.dtype}, "
                f"padding_idx={self.padding_idx}")


class EmbeddingExt(Cell):
    """The PyTorch-style embedding (``mint.nn.Embedding``): ``weight`` of shape (num_embeddings,
    embedding_dim) from N(0, 1); ``padding_idx``'s row is zero and gets no gradient."""

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, _weight=None, _freeze=False, dtype=None):
        super().__init__()
        self.num_embeddings = _positive_int("EmbeddingExt", "num_embeddings", num_embeddings)
        self.embedding_dim = _positive_int("EmbeddingExt", "embedding_dim", embedding_dim)
        if padding_idx is not None:
            if (isinstance(padding_idx, bool) or not isinstance(padding_idx, numbers.Integral)
                    or not -num_embeddings <= padding_idx < num_embeddings):
                raise ValueError(f"EmbeddingExt: 'padding_idx' must be an int in [{-num_embeddings}, "
                                 f"{num_embeddings}), got {padding_idx!r}")
            padding_idx = int(padding_idx) % num_embeddings
        self.padding_idx = padding_idx
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        dt = mstype.float32 if dtype is None else dtype
        if _weight is None:
            weight = _make_param("EmbeddingExt", Normal(1.0), (num_embeddings, embedding_dim), dt, "weight",
                                 requires_grad=not _freeze)
            if padding_idx is not None:
                weight.asnumpy()[padding_idx] = 0
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError(f"EmbeddingExt: '_weight' must have shape {(num_embeddings, embedding_dim)}, "
                                 f"got {tuple(_weight.shape)}")
            weight = Parameter(Tensor._wrap(np.array(_weight.asnumpy())), name="weight", requires_grad=not _freeze)
        self.weight = weight

    def construct(self, input):
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                           self.scale_grad_by_freq)

    def extend_repr(self):
        return (f"num_embeddings={self.num_embeddings}, embedding_dim={self.embedding_dim}, "
                f"padding_idx={self.padding_idx}")


class EmbeddingLookup(Cell):
    """A lookup table ``embedding_table`` (vocab_size, embedding_size) for host-side or sharded
    lookups in MindSpore; here one device, so a plain lookup. ``max_norm`` clips the looked-up rows'
    L2 norms (outputs only; the table is not changed)."""

    def __init__(self, vocab_size, embedding_size, param_init="normal", target="CPU", slice_mode="batch_slice",
                 manual_shapes=None, max_norm=None, sparse=True, vocab_cache_size=0, dtype=mstype.float32):
        super().__init__()
        self.vocab_size = _positive_int("EmbeddingLookup", "vocab_size", vocab_size)
        self.embedding_size = _positive_int("EmbeddingLookup", "embedding_size", embedding_size)
        if target not in ("CPU", "DEVICE"):
            raise ValueError(f"EmbeddingLookup: 'target' must be 'CPU' or 'DEVICE', got {target!r}")
        self.target = target
        self.slice_mode = slice_mode
        self.sparse = sparse
        self.max_norm = max_norm
        self.embedding_table = _make_param("EmbeddingLookup", param_init, (vocab_size, embedding_size), dtype,
                                           "embedding_table")

    def construct(self, indices):
        out = F.embedding(indices, self.embedding_table)
        if self.max_norm is None:
            return out
        norm = F.sqrt(F.sum(F.square(out), -1, True))
        limit = Tensor(float(self.max_norm), out.dtype)
        return F.mul(out, F.div(limit, F.maximum(norm, limit)))
