"""Attention and Transformer layers: MultiheadAttention, TransformerEncoderLayer,
TransformerDecoderLayer, TransformerEncoder, TransformerDecoder and Transformer (MindSpore's
``nn.MultiheadAttention`` ... ``nn.Transformer``, whose math is PyTorch's)."""
import math
import numbers

import numpy as np

from ... import dtype as mstype
from ...common.initializer import HeUniform, Uniform, XavierNormal, XavierUniform, initializer
from ...ops import functional as F
from ...tensor import Parameter, Tensor
from ..cell import Cell
from ...ops._helpers import check_bool as _check_bool, check_positive_int as _check_positive_int

__all__ = ["MultiheadAttention", "TransformerEncoderLayer", "TransformerDecoderLayer", "TransformerEncoder",
           "TransformerDecoder", "Transformer"]


# --- argument checks -----------------------------------------------------------------------------


def _check_probability(cls_name, value, argname):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{cls_name}: '{argname}' must be a float, got {type(value).__name__}")
    if not 0 <= value <= 1:
        raise ValueError(f"{cls_name}: '{argname}' must be in [0.0, 1.0], got {value}")
    return float(value)


def _is_mask_dtype(t):
    return t.dtype == mstype.bool_ or t.dtype.kind == "f"


def _additive_mask(mask, dtype):
    """A mask as the float to add to attention scores: a bool mask gives -inf where True."""
    if mask.dtype == mstype.bool_:
        return F.select(mask, Tensor(float("-inf"), dtype), Tensor(0.0, dtype))
    return F.cast(mask, dtype)


def _pad_last(mask, extra):
    """Append ``extra`` zero columns to an additive mask (for bias_k/v and the zero attention)."""
    zeros = F.zeros(tuple(mask.shape[:-1]) + (extra,), mask.dtype)
    return F.concat([mask, zeros], axis=-1)


def _linear(x, weight, bias):
    """x @ weight.T + bias on a 2-D ``x``."""
    y = F.matmul(x, F.transpose(weight, (1, 0)))
    if bias is not None:
        y = y + bias
    return y


# --- multi-head attention ------------------------------------------------------------------------
class MultiheadAttention(Cell):
    r"""Multi-head attention (*Attention is all you need*):
    :math:`Concat(head_1, ..., head_h) W^O` with :math:`head_i = softmax(Q_i K_i^T / \sqrt{d}) V_i`.

    Args: embed_dim, num_heads (``embed_dim`` must be divisible by it), dropout=0.0 (on the
    attention weights, in training), has_bias=True, add_bias_kv=False, add_zero_attn=False,
    kdim=None, vdim=None (default ``embed_dim``), batch_first=False, dtype=float32.

    Parameters: ``in_proj_weight`` (3E, E) (or ``q_proj_weight``, ``k_proj_weight``,
    ``v_proj_weight`` when kdim/vdim differ from E), ``in_proj_bias`` (3E), ``out_proj.weight``,
    ``out_proj.bias``, and ``bias_k``, ``bias_v`` (1, 1, E) with ``add_bias_kv``.

    Call ``mha(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False)`` with (L, N, E) inputs ((N, L, E) if batch_first,
    (L, E) unbatched). Bool masks are True where attention is not allowed; float masks are added to
    the scores. ``is_causal`` without ``attn_mask`` applies the causal mask. Returns
    ``(attn_output, attn_weights)``; the weights are None unless ``need_weights``.
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, has_bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, dtype=mstype.float32):
        super().__init__()
        name = "MultiheadAttention"
        embed_dim = _check_positive_int(name, embed_dim, "embed_dim")
        num_heads = _check_positive_int(name, num_heads, "num_heads")
        if embed_dim % num_heads:
            raise ValueError(f"{name}: 'embed_dim' ({embed_dim}) must be divisible by 'num_heads' ({num_heads})")
        self.kdim = embed_dim if kdim is None else _check_positive_int(name, kdim, "kdim")
        self.vdim = embed_dim if vdim is None else _check_positive_int(name, vdim, "vdim")
        _check_bool(name, has_bias, "has_bias")
        _check_bool(name, add_bias_kv, "add_bias_kv")
        _check_bool(name, add_zero_attn, "add_zero_attn")
        _check_bool(name, batch_first, "batch_first")
        dtype = mstype.float32 if dtype is None else mstype.to_dtype(dtype, "dtype")
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.head_dim = embed_dim // num_heads
        self.dropout = _check_probability(name, dropout, "dropout")
        self.batch_first = batch_first
        self.add_zero_attn = add_zero_attn
        self.dtype = dtype
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(initializer(XavierUniform(), (3 * embed_dim, embed_dim), dtype),
                                            name="in_proj_weight")
            self.q_proj_weight = None
            self.k_proj_weight = None
            self.v_proj_weight = None
        else:
            self.q_proj_weight = Parameter(initializer(XavierUniform(), (embed_dim, embed_dim), dtype),
                                           name="q_proj_weight")
            self.k_proj_weight = Parameter(initializer(XavierUniform(), (embed_dim, self.kdim), dtype),
                                           name="k_proj_weight")
            self.v_proj_weight = Parameter(initializer(XavierUniform(), (embed_dim, self.vdim), dtype),
                                           name="v_proj_weight")
            self.in_proj_weight = None
        if has_bias:
            self.in_proj_bias = Parameter(initializer("zeros", (3 * embed_dim,), dtype), name="in_proj_bias")
        else:
            self.in_proj_bias = None
        from .basic import Dense
        bound = 1 / math.sqrt(embed_dim)
        self.out_proj = Dense(embed_dim, embed_dim, weight_init=HeUniform(math.sqrt(5)), bias_init=Uniform(bound),
                              has_bias=has_bias, dtype=dtype)
        if add_bias_kv:
            self.bias_k = Parameter(initializer(XavierNormal(), (1, 1, embed_dim), dtype), name="bias_k")
            self.bias_v = Parameter(initializer(XavierNormal(), (1, 1, embed_dim), dtype), name="bias_v")
        else:
            self.bias_k = None
            self.bias_v = None

    def extend_repr(self):
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}"

    def construct(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                  average_attn_weights=True, is_causal=False):
        name = "MultiheadAttention"
        for argname, t in (("query", query), ("key", key), ("value", value)):
            if not isinstance(t, Tensor):
                raise TypeError(f"{name}: '{argname}' must be a Tensor, got {type(t).__name__}")
        is_batched = query.ndim == 3
        if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
            raise ValueError(f"{name}: 'query', 'key' and 'value' must all be 3-D (batched) or 2-D (unbatched), "
                             f"got shapes {list(query.shape)}, {list(key.shape)}, {list(value.shape)}")
        if key_padding_mask is not None and not _is_mask_dtype(key_padding_mask):
            raise TypeError(f"{name}: 'key_padding_mask' must be a bool or float Tensor, got "
                            f"{key_padding_mask.dtype}")
        if attn_mask is not None and not _is_mask_dtype(attn_mask):
            raise TypeError(f"{name}: 'attn_mask' must be a bool or float Tensor, got {attn_mask.dtype}")
        key_is_value = key is value
        query_is_key = query is key
        if is_batched:
            if self.batch_first:
                # keep the identities, so that self-attention still projects with one product
                query = F.transpose(query, (1, 0, 2))
                key = query if query_is_key else F.transpose(key, (1, 0, 2))
                value = key if key_is_value else F.transpose(value, (1, 0, 2))
        else:
            query = F.reshape(query, (query.shape[0], 1, query.shape[1]))
            key = query if query_is_key else F.reshape(key, (key.shape[0], 1, key.shape[1]))
            value = key if key_is_value else F.reshape(value, (value.shape[0], 1, value.shape[1]))
            if key_padding_mask is not None:
                key_padding_mask = F.reshape(key_padding_mask, (1,) + tuple(key_padding_mask.shape))
        out, weights = self._attend(query, key, value, key_padding_mask, need_weights, attn_mask,
                                    average_attn_weights, is_causal, query_is_key and key_is_value, key_is_value)
        if is_batched:
            if self.batch_first:
                out = F.transpose(out, (1, 0, 2))
        else:
            out = F.reshape(out, (out.shape[0], out.shape[2]))
            if weights is not None:
                weights = F.reshape(weights, tuple(weights.shape[1:]))
        return out, weights

    def _project(self, query, key, value, same_qkv, same_kv):
        """The query, key and value projections, each 2-D (seq * batch, E); one matrix product
        when query, key and value are one tensor."""
        dtype = query.dtype
        e = self.embed_dim
        bias = self.in_proj_bias
        if bias is not None:
            bias = F.cast(bias, dtype)
        q2 = F.reshape(query, (-1, query.shape[2]))
        if self._qkv_same_embed_dim:
            weight = F.cast(self.in_proj_weight, dtype)
            if same_qkv:
                return F.split(_linear(q2, weight, bias), e, axis=1)
            w_q, w_kv = F.split(weight, [e, 2 * e], axis=0)
            b_q, b_kv = F.split(bias, [e, 2 * e], axis=0) if bias is not None else (None, None)
            q = _linear(q2, w_q, b_q)
            k2 = F.reshape(key, (-1, key.shape[2]))
            if same_kv:
                k, v = F.split(_linear(k2, w_kv, b_kv), e, axis=1)
                return q, k, v
            w_k, w_v = F.split(w_kv, e, axis=0)
            b_k, b_v = F.split(b_kv, e, axis=0) if bias is not None else (None, None)
            v2 = F.reshape(value, (-1, value.shape[2]))
            return q, _linear(k2, w_k, b_k), _linear(v2, w_v, b_v)
        b_q, b_k, b_v = F.split(bias, e, axis=0) if bias is not None else (None, None, None)
        k2 = F.reshape(key, (-1, key.shape[2]))
        v2 = F.reshape(value, (-1, value.shape[2]))
        return (_linear(q2, F.cast(self.q_proj_weight, dtype), b_q),
                _linear(k2, F.cast(self.k_proj_weight, dtype), b_k),
                _linear(v2, F.cast(self.v_proj_weight, dtype), b_v))

    def _attend(self, query, key, value, key_padding_mask, need_weights, attn_mask, average_attn_weights,
                is_causal, same_qkv, same_kv):
        """Attention on time-major inputs (L, N, E), (S, N, kdim), (S, N, vdim)."""
        name = "MultiheadAttention"
        tgt_len, batch, e = query.shape
        src_len = key.shape[0]
        if e != self.embed_dim:
            raise ValueError(f"{name}: 'query' must have {self.embed_dim} features (embed_dim), got {e}")
        if key.shape[2] != self.kdim or value.shape[2] != self.vdim:
            raise ValueError(f"{name}: 'key' and 'value' must have {self.kdim} and {self.vdim} features, got "
                             f"{key.shape[2]} and {value.shape[2]}")
        if key.shape[:2] != value.shape[:2] or key.shape[1] != batch:
            raise ValueError(f"{name}: 'key' {list(key.shape)} and 'value' {list(value.shape)} must have the same "
                             f"sequence length and the batch size of 'query' ({batch})")
        dtype = query.dtype
        heads = self.num_heads
        head_dim = self.head_dim
        if is_causal and attn_mask is None:
            attn_mask = Tensor(np.triu(np.ones((tgt_len, src_len), dtype=bool), 1))
        masks = []
        if attn_mask is not None:
            masks.append(self._check_attn_mask(attn_mask, tgt_len, src_len, batch, dtype))
        if key_padding_mask is not None:
            if tuple(key_padding_mask.shape) != (batch, src_len):
                raise ValueError(f"{name}: 'key_padding_mask' must have shape {[batch, src_len]}, got "
                                 f"{list(key_padding_mask.shape)}")
            masks.append(F.reshape(_additive_mask(key_padding_mask, dtype), (batch, 1, 1, src_len)))
        q, k, v = self._project(query, key, value, same_qkv, same_kv)
        k = F.reshape(k, (src_len, batch, e))
        v = F.reshape(v, (src_len, batch, e))
        extra = 0
        if self.bias_k is not None:
            k = F.concat([k, F.broadcast_to(F.cast(self.bias_k, dtype), (1, batch, e))], axis=0)
            v = F.concat([v, F.broadcast_to(F.cast(self.bias_v, dtype), (1, batch, e))], axis=0)
            extra += 1
        if self.add_zero_attn:
            zeros = F.zeros((1, batch, e), dtype)
            k = F.concat([k, zeros], axis=0)
            v = F.concat([v, zeros], axis=0)
            extra += 1
        if extra:
            masks = [_pad_last(m, extra) for m in masks]
        keys = src_len + extra
        # (batch, heads, L, head_dim) @ (batch, heads, head_dim, S): all heads in one product
        q = F.transpose(F.reshape(q, (tgt_len, batch, heads, head_dim)), (1, 2, 0, 3))
        k_t = F.transpose(F.reshape(k, (keys, batch, heads, head_dim)), (1, 2, 3, 0))
        v = F.transpose(F.reshape(v, (keys, batch, heads, head_dim)), (1, 2, 0, 3))
        scores = F.matmul(q * (1.0 / math.sqrt(head_dim)), k_t)
        for m in masks:
            scores = scores + m
        weights = F.softmax(scores, axis=-1)
        if self.training and self.dropout > 0:
            weights = F.dropout(weights, p=self.dropout, training=True)
        out = F.matmul(weights, v)
        out = F.reshape(F.transpose(out, (2, 0, 1, 3)), (tgt_len * batch, e))
        out_weight = F.cast(self.out_proj.weight, dtype)
        out_bias = self.out_proj.bias
        if out_bias is not None:
            out_bias = F.cast(out_bias, dtype)
        out = F.reshape(_linear(out, out_weight, out_bias), (tgt_len, batch, e))
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = F.mean(weights, axis=1)
        return out, weights

    def _check_attn_mask(self, attn_mask, tgt_len, src_len, batch, dtype):
        """The attention mask as an additive float mask broadcastable to (N, heads, L, S)."""
        name = "MultiheadAttention"
        mask = _additive_mask(attn_mask, dtype)
        if mask.ndim == 2:
            if tuple(mask.shape) != (tgt_len, src_len):
                raise ValueError(f"{name}: a 2-D 'attn_mask' must have shape {[tgt_len, src_len]}, got "
                                 f"{list(mask.shape)}")
            return mask
        if mask.ndim == 3:
            expected = (batch * self.num_heads, tgt_len, src_len)
            if tuple(mask.shape) != expected:
                raise ValueError(f"{name}: a 3-D 'attn_mask' must have shape {list(expected)}, got "
                                 f"{list(mask.shape)}")
            return F.reshape(mask, (batch, self.num_heads, tgt_len, src_len))
        raise ValueError(f"{name}: 'attn_mask' must be 2-D or 3-D, got shape {list(mask.shape)}")


# --- encoder and decoder layers ------------------------------------------------------------------
def _resolve_activation(cls_name, activation):
    """'relu' / 'gelu' become ops.relu / ops.gelu; a Cell or a callable is used as given."""
    if isinstance(activation, str):
        if activation == "relu":
            return F.relu
        if activation == "gelu":
            return F.gelu
        raise ValueError(f"{cls_name}: 'activation' must be 'relu' or 'gelu', got {activation!r}")
    if isinstance(activation, Cell) or callable(activation):
        return activation
    raise ValueError(f"{cls_name}: 'activation' must be a str, a Cell or a callable, got {activation!r}")


def _feedforward_dense(d_in, d_out, bias, dtype):
    """A Dense with MindSpore's (and PyTorch's) Linear initialisation."""
    from .basic import Dense
    return Dense(d_in, d_out, weight_init=HeUniform(math.sqrt(5)), bias_init=Uniform(1 / math.sqrt(d_in)),
                 has_bias=bias, dtype=dtype)


class _TransformerLayerBase(Cell):
    """The parts shared by the encoder and decoder layers: checks, feedforward block, norms."""

    def __init__(self, cls_name, d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                 batch_first, norm_first, bias, dtype, num_norms):
        super().__init__()
        from .basic import Dropout
        from .normalization import LayerNorm
        d_model = _check_positive_int(cls_name, d_model, "d_model")
        nhead = _check_positive_int(cls_name, nhead, "nhead")
        dim_feedforward = _check_positive_int(cls_name, dim_feedforward, "dim_feedforward")
        dropout = _check_probability(cls_name, dropout, "dropout")
        _check_bool(cls_name, batch_first, "batch_first")
        _check_bool(cls_name, norm_first, "norm_first")
        _check_bool(cls_name, bias, "bias")
        if isinstance(layer_norm_eps, bool) or not isinstance(layer_norm_eps, numbers.Real):
            raise TypeError(f"{cls_name}: 'layer_norm_eps' must be a float, got {type(layer_norm_eps).__name__}")
        self.activation = _resolve_activation(cls_name, activation)
        dtype = mstype.float32 if dtype is None else mstype.to_dtype(dtype, "dtype")
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, has_bias=bias, batch_first=batch_first,
                                            dtype=dtype)
        if num_norms == 3:
            self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, has_bias=bias,
                                                     batch_first=batch_first, dtype=dtype)
        self.dense1 = _feedforward_dense(d_model, dim_feedforward, bias, dtype)
        self.dropout = Dropout(p=dropout)
        self.dense2 = _feedforward_dense(dim_feedforward, d_model, bias, dtype)
        for i in range(1, num_norms + 1):
            norm = LayerNorm((d_model,), epsilon=float(layer_norm_eps), dtype=dtype)
            if not bias:
                # no additive term: the shift stays at its initial zero
                norm.beta.requires_grad = False
            setattr(self, f"norm{i}", norm)
        for i in range(1, num_norms + 1):
            setattr(self, f"dropout{i}", Dropout(p=dropout))
        # the configuration, kept so that TransformerEncoder/Decoder can build more layers alike
        self.activation1 = activation
        self.d_model = d_model
        self.nhead = nhead
        self.dim_feedforward = dim_feedforward
        self.dropout_num = dropout
        self.layernorm_eps = float(layer_norm_eps)
        self.batch_first = batch_first
        self.norm_first = norm_first
        self.bias = bias
        self.dtype = dtype

    def _config(self):
        return (self.d_model, self.nhead, self.dim_feedforward, self.dropout_num, self.activation1,
                self.layernorm_eps, self.batch_first, self.norm_first, self.bias, self.dtype)

    def _sa_block(self, x, attn_mask, key_padding_mask):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask, need_weights=False)[0]
        return self.dropout1(x)

    def _ff_block(self, x, last_dropout):
        x = self.dense2(self.dropout(self.activation(self.dense1(x))))
        return last_dropout(x)


def _check_key_padding_mask(mask, argname):
    if mask is not None and not _is_mask_dtype(mask):
        raise AssertionError(f"'{argname}' must be a bool or float Tensor, got {mask.dtype}")


class TransformerEncoderLayer(_TransformerLayerBase):
    """One encoder layer: self-attention and a feedforward block, each with a residual connection
    and LayerNorm (after the residual, or before the block when ``norm_first``).

    Args: d_model, nhead, dim_feedforward=2048, dropout=0.1, activation='relu' ('relu', 'gelu',
    a Cell or a callable), layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True,
    dtype=float32. Parameters: ``self_attn.*``, ``dense1.*``, ``dense2.*``, ``norm1.*``,
    ``norm2.*``. Call ``layer(src, src_mask=None, src_key_padding_mask=None)``.
    """

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, dtype=mstype.float32):
        super().__init__("TransformerEncoderLayer", d_model, nhead, dim_feedforward, dropout, activation,
                         layer_norm_eps, batch_first, norm_first, bias, dtype, 2)

    def construct(self, src, src_mask=None, src_key_padding_mask=None):
        _check_key_padding_mask(src_key_padding_mask, "src_key_padding_mask")
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask)
            x = x + self._ff_block(self.norm2(x), self.dropout2)
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask))
            x = self.norm2(x + self._ff_block(x, self.dropout2))
        return x


class TransformerDecoderLayer(_TransformerLayerBase):
    """One decoder layer: self-attention, attention over the encoder's output (memory) and a
    feedforward block, each with a residual connection and LayerNorm.

    Args as :class:`TransformerEncoderLayer`. Parameters: ``self_attn.*``, ``multihead_attn.*``,
    ``dense1.*``, ``dense2.*``, ``norm1.*`` .. ``norm3.*``. Call ``layer(tgt, memory,
    tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None, memory_key_padding_mask=None)``.
    """

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, dtype=mstype.float32):
        super().__init__("TransformerDecoderLayer", d_model, nhead, dim_feedforward, dropout, activation,
                         layer_norm_eps, batch_first, norm_first, bias, dtype, 3)

    def construct(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                  memory_key_padding_mask=None):
        _check_key_padding_mask(tgt_key_padding_mask, "tgt_key_padding_mask")
        _check_key_padding_mask(memory_key_padding_mask, "memory_key_padding_mask")
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask, memory_key_padding_mask)
            x = x + self._ff_block(self.norm3(x), self.dropout3)
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask))
            x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask))
            x = self.norm3(x + self._ff_block(x, self.dropout3))
        return x

    def _mha_block(self, x, memory, attn_mask, key_padding_mask):
        x = self.multihead_attn(x, memory, memory, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                                need_weights=False)[0]
        return self.dropout2(x)


# --- stacks --------------------------------------------------------------------------------------
def _stack_layers(cls_name, layer, layer_cls, num_layers):
    """``num_layers`` layers configured as ``layer``, each with its own freshly initialised
    parameters (as MindSpore builds them from the layer's configuration)."""
    from .container import CellList
    if not isinstance(layer, layer_cls):
        raise TypeError(f"{cls_name}: the layer must be a {layer_cls.__name__}, got {type(layer).__name__}")
    num_layers = _check_positive_int(cls_name, num_layers, "num_layers")
    config = layer._config()
    return CellList([layer_cls(*config[:-1], dtype=config[-1]) for _ in range(num_layers)]), num_layers


class TransformerEncoder(Cell):
    """A stack of ``num_layers`` encoder layers configured as ``encoder_layer``, then ``norm``
    (optional). Call ``encoder(src, src_mask=None, src_key_padding_mask=None)``."""

    def __init__(self, encoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers, self.num_layers = _stack_layers("TransformerEncoder", encoder_layer, TransformerEncoderLayer,
                                                     num_layers)
        self.norm = norm

    def construct(self, src, src_mask=None, src_key_padding_mask=None):
        _check_key_padding_mask(src_key_padding_mask, "src_key_padding_mask")
        output = src
        for layer in self.layers:
            output = layer(output, src_mask=src_mask, src_key_padding_mask=src_key_padding_mask)
        if self.norm is not None:
            output = self.norm(output)
        return output


class TransformerDecoder(Cell):
    """A stack of ``num_layers`` decoder layers configured as ``decoder_layer``, then ``norm``
    (optional). Call ``decoder(tgt, memory, tgt_mask=None, memory_mask=None,
    tgt_key_padding_mask=None, memory_key_padding_mask=None)``."""

    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers, self.num_layers = _stack_layers("TransformerDecoder", decoder_layer, TransformerDecoderLayer,
                                                     num_layers)
        self.norm = norm

    def construct(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                  memory_key_padding_mask=None):
        output = tgt
        for layer in self.layers:
            output = layer(output, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                           tgt_key_padding_mask=tgt_key_padding_mask,
                           memory_key_padding_mask=memory_key_padding_mask)
        if self.norm is not None:
            output = self.norm(output)
        return output


class Transformer(Cell):
    """Encoder-decoder Transformer: ``decoder(tgt, encoder(src))``. Every parameter of more than
    one dimension is re-drawn from Xavier uniform after construction, as MindSpore does.

    Args: d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6, dim_feedforward=2048,
    dropout=0.1, activation='relu', custom_encoder=None, custom_decoder=None, layer_norm_eps=1e-5,
    batch_first=False, norm_first=False, bias=True, dtype=float32. Call ``model(src, tgt,
    src_mask=None, tgt_mask=None, memory_mask=None, src_key_padding_mask=None,
    tgt_key_padding_mask=None, memory_key_padding_mask=None)``.
    """

    def __init__(self, d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6, dim_feedforward=2048,
                 dropout=0.1, activation="relu", custom_encoder=None, custom_decoder=None, layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, dtype=mstype.float32):
        super().__init__()
        from .normalization import LayerNorm
        dtype = mstype.float32 if dtype is None else mstype.to_dtype(dtype, "dtype")
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            layer = TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                                            batch_first, norm_first, bias, dtype=dtype)
            norm = LayerNorm((d_model,), epsilon=float(layer_norm_eps), dtype=dtype)
            self.encoder = TransformerEncoder(layer, num_encoder_layers, norm)
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            layer = TransformerDecoderLayer(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                                            batch_first, norm_first, bias, dtype=dtype)
            norm = LayerNorm((d_model,), epsilon=float(layer_norm_eps), dtype=dtype)
            self.decoder = TransformerDecoder(layer, num_decoder_layers, norm)
        for _, p in self.parameters_and_names():
            if p.ndim > 1:
                p.set_data(initializer("xavier_uniform", p.shape, p.dtype))
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = batch_first

    def construct(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None, src_key_padding_mask=None,
                  tgt_key_padding_mask=None, memory_key_padding_mask=None):
        if src.ndim == 3 and tgt.ndim == 3:
            axis = 0 if self.batch_first else 1
            if src.shape[axis] != tgt.shape[axis]:
                raise ValueError(f"Transformer: 'src' and 'tgt' must have the same batch size, got "
                                 f"{src.shape[axis]} and {tgt.shape[axis]}")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise ValueError(f"Transformer: 'src' and 'tgt' must have d_model={self.d_model} features, got "
                             f"{src.shape[-1]} and {tgt.shape[-1]}")
        memory = self.encoder(src, src_mask=src_mask, src_key_padding_mask=src_key_padding_mask)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask)
