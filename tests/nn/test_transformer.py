"""nn.MultiheadAttention and the Transformer layers against an independent numpy implementation
(and PyTorch when installed): outputs for the flag combinations, bool and float masks, parameter
names and initialisation, gradients to every parameter, errors."""
import itertools
import math

import numpy as np
import pytest

import sporen as ms
from sporen import nn


# --- the numpy model -----------------------------------------------------------------------------
def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _as_additive(mask):
    if mask is None:
        return None
    mask = np.asarray(mask)
    if mask.dtype == bool:
        return np.where(mask, -np.inf, 0.0)
    return mask.astype(np.float64)


def ref_mha(p, q, k, v, heads, key_padding_mask=None, attn_mask=None, add_zero_attn=False, average=True):
    """Time-major (L, N, E) attention, head by head and batch element by batch element."""
    tgt, batch, e = q.shape
    hd = e // heads
    if "in_proj_weight" in p:
        w_q, w_k, w_v = np.split(p["in_proj_weight"], 3)
    else:
        w_q, w_k, w_v = p["q_proj_weight"], p["k_proj_weight"], p["v_proj_weight"]
    b_q, b_k, b_v = np.split(p["in_proj_bias"], 3) if "in_proj_bias" in p else (0, 0, 0)
    qp = q @ w_q.T + b_q
    kp = k @ w_k.T + b_k
    vp = v @ w_v.T + b_v
    am = _as_additive(attn_mask)
    kpm = _as_additive(key_padding_mask)
    if "bias_k" in p:
        kp = np.concatenate([kp, np.repeat(p["bias_k"], batch, axis=1)])
        vp = np.concatenate([vp, np.repeat(p["bias_v"], batch, axis=1)])
        am = None if am is None else np.concatenate([am, np.zeros(am.shape[:-1] + (1,))], axis=-1)
        kpm = None if kpm is None else np.concatenate([kpm, np.zeros((batch, 1))], axis=-1)
    if add_zero_attn:
        kp = np.concatenate([kp, np.zeros((1, batch, e))])
        vp = np.concatenate([vp, np.zeros((1, batch, e))])
        am = None if am is None else np.concatenate([am, np.zeros(am.shape[:-1] + (1,))], axis=-1)
        kpm = None if kpm is None else np.concatenate([kpm, np.zeros((batch, 1))], axis=-1)
    src = kp.shape[0]
    out = np.zeros((tgt, batch, e))
    weights = np.zeros((batch, heads, tgt, src))
    for n in range(batch):
        for h in range(heads):
            cols = slice(h * hd, (h + 1) * hd)
            s = qp[:, n, cols] @ kp[:, n, cols].T / math.sqrt(hd)
            if am is not None:
                s = s + (am if am.ndim == 2 else am[n * heads + h])
            if kpm is not None:
                s = s + kpm[n][None, :]
            w = _softmax(s)
            weights[n, h] = w
            out[:, n, cols] = w @ vp[:, n, cols]
    out = out @ p["out_proj.weight"].T
    if "out_proj.bias" in p:
        out = out + p["out_proj.bias"]
    return out, (weights.mean(axis=1) if average else weights)


def _layer_norm(x, gamma, beta, eps):
    mu = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * gamma + beta


def _sub(p, prefix):
    return {k[len(prefix):]: v for k, v in p.items() if k.startswith(prefix)}


def ref_encoder_layer(p, x, heads, norm_first, eps=1e-5, src_mask=None, kpm=None, act="relu"):
    def sa(y):
        return ref_mha(_sub(p, "self_attn."), y, y, y, heads, kpm, src_mask)[0]

    def ff(y):
        hid = y @ p["dense1.weight"].T + p["dense1.bias"]
        hid = np.maximum(hid, 0) if act == "relu" else _gelu(hid)
        return hid @ p["dense2.weight"].T + p["dense2.bias"]

    def n(i, y):
        return _layer_norm(y, p[f"norm{i}.gamma"], p[f"norm{i}.beta"], eps)

    if norm_first:
        x = x + sa(n(1, x))
        return x + ff(n(2, x))
    x = n(1, x + sa(x))
    return n(2, x + ff(x))


def ref_decoder_layer(p, x, mem, heads, norm_first, eps=1e-5, tgt_mask=None, memory_mask=None):
    def sa(y):
        return ref_mha(_sub(p, "self_attn."), y, y, y, heads, None, tgt_mask)[0]

    def ca(y):
        return ref_mha(_sub(p, "multihead_attn."), y, mem, mem, heads, None, memory_mask)[0]

    def ff(y):
        return np.maximum(y @ p["dense1.weight"].T + p["dense1.bias"], 0) @ p["dense2.weight"].T + p["dense2.bias"]

    def n(i, y):
        return _layer_norm(y, p[f"norm{i}.gamma"], p[f"norm{i}.beta"], eps)

    if norm_first:
        x = x + sa(n(1, x))
        x = x + ca(n(2, x))
        return x + ff(n(3, x))
    x = n(1, x + sa(x))
    x = n(2, x + ca(x))
    return n(3, x + ff(x))


def _gelu(x):
    from scipy.special import erf
    return 0.5 * x * (1 + erf(x / math.sqrt(2)))


def _params(net):
    return {name: p.asnumpy().astype(np.float64) for name, p in net.parameters_and_names()}


def _t(a, dtype=ms.float32):
    return ms.Tensor(np.asarray(a), dtype)


# --- MultiheadAttention --------------------------------------------------------------------------
MHA_COMBOS = list(itertools.product((False, True), (False, True), (False, True), (False, True), (False, True)))


@pytest.mark.parametrize("batch_first,has_bias,add_bias_kv,add_zero_attn,kv_dims", MHA_COMBOS)
def test_mha_matches_numpy(batch_first, has_bias, add_bias_kv, add_zero_attn, kv_dims):
    rng = np.random.default_rng(MHA_COMBOS.index((batch_first, has_bias, add_bias_kv, add_zero_attn, kv_dims)))
    e, heads, tgt, src, batch = 8, 2, 3, 5, 2
    kdim, vdim = (6, 7) if kv_dims else (None, None)
    mha = nn.MultiheadAttention(e, heads, has_bias=has_bias, add_bias_kv=add_bias_kv, add_zero_attn=add_zero_attn,
                                kdim=kdim, vdim=vdim, batch_first=batch_first)
    q = rng.standard_normal((tgt, batch, e))
    k = rng.standard_normal((src, batch, kdim or e))
    v = rng.standard_normal((src, batch, vdim or e))
    kpm = rng.random((batch, src)) < 0.3
    kpm[:, 0] = False  # no row fully masked
    want, want_w = ref_mha(_params(mha), q, k, v, heads, key_padding_mask=kpm, add_zero_attn=add_zero_attn)
    args = [q, k, v]
    if batch_first:
        args = [a.transpose(1, 0, 2) for a in args]
        want = want.transpose(1, 0, 2)
    out, w = mha(*[_t(a) for a in args], key_padding_mask=ms.Tensor(kpm))
    assert out.shape == want.shape
    np.testing.assert_allclose(out.asnumpy(), want, rtol=1e-5, atol=1e-5)
    assert w.shape == (batch, tgt, want_w.shape[-1])
    np.testing.assert_allclose(w.asnumpy(), want_w, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("batch_first", [False, True])
def test_mha_self_attention_same_tensor(batch_first):
    rng = np.random.default_rng(3)
    mha = nn.MultiheadAttention(6, 3, batch_first=batch_first)
    x = rng.standard_normal((4, 2, 6))
    want, want_w = ref_mha(_params(mha), x, x, x, 3, average=False)
    xt = _t(x.transpose(1, 0, 2) if batch_first else x)
    out, w = mha(xt, xt, xt, average_attn_weights=False)
    np.testing.assert_allclose(out.asnumpy(), want.transpose(1, 0, 2) if batch_first else want, rtol=1e-5,
                               atol=1e-5)
    assert w.shape == (2, 3, 4, 4)
    np.testing.assert_allclose(w.asnumpy(), want_w, rtol=1e-5, atol=1e-6)
    # key is value but not query (cross-attention over memory)
    mem = rng.standard_normal((5, 2, 6))
    want2, _ = ref_mha(_params(mha), x, mem, mem, 3)
    mt = _t(mem.transpose(1, 0, 2) if batch_first else mem)
    out2, _ = mha(xt, mt, mt)
    np.testing.assert_allclose(out2.asnumpy(), want2.transpose(1, 0, 2) if batch_first else want2, rtol=1e-5,
                               atol=1e-5)


def test_mha_unbatched():
    rng = np.random.default_rng(4)
    mha = nn.MultiheadAttention(4, 2)
    q = rng.standard_normal((3, 4))
    k = rng.standard_normal((5, 4))
    kpm = np.array([False, True, False, False, True])
    want, want_w = ref_mha(_params(mha), q[:, None], k[:, None], k[:, None], 2, key_padding_mask=kpm[None])
    out, w = mha(_t(q), _t(k), _t(k), key_padding_mask=ms.Tensor(kpm))
    assert out.shape == (3, 4) and w.shape == (3, 5)
    np.testing.assert_allclose(out.asnumpy(), want[:, 0], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(w.asnumpy(), want_w[0], rtol=1e-5, atol=1e-6)
    out, w = mha(_t(q), _t(k), _t(k), average_attn_weights=False)
    assert w.shape == (2, 3, 5)


def test_mha_masks_bool_float_and_3d():
    rng = np.random.default_rng(5)
    e, heads, tgt, src, batch = 4, 2, 3, 4, 2
    mha = nn.MultiheadAttention(e, heads)
    p = _params(mha)
    q = rng.standard_normal((tgt, batch, e))
    k = rng.standard_normal((src, batch, e))
    bool_mask = rng.random((tgt, src)) < 0.4
    bool_mask[:, 0] = False
    float_mask = rng.standard_normal((tgt, src))
    for mask in (bool_mask, float_mask):
        want, _ = ref_mha(p, q, k, k, heads, attn_mask=mask)
        out, _ = mha(_t(q), _t(k), _t(k), attn_mask=ms.Tensor(mask) if mask.dtype == bool else _t(mask))
        np.testing.assert_allclose(out.asnumpy(), want, rtol=1e-5, atol=1e-5)
    # a bool mask equals the float mask with -inf where True
    out_b, w_b = mha(_t(q), _t(k), _t(k), attn_mask=ms.Tensor(bool_mask))
    out_f, w_f = mha(_t(q), _t(k), _t(k), attn_mask=_t(np.where(bool_mask, -np.inf, 0.0)))
    np.testing.assert_allclose(out_b.asnumpy(), out_f.asnumpy(), rtol=1e-6, atol=1e-6)
    assert np.all(w_b.asnumpy()[:, bool_mask] == 0)
    # per (batch * head) masks
    mask3 = rng.random((batch * heads, tgt, src)) < 0.4
    mask3[:, :, 1] = False
    want, _ = ref_mha(p, q, k, k, heads, attn_mask=mask3)
    out, _ = mha(_t(q), _t(k), _t(k), attn_mask=ms.Tensor(mask3))
    np.testing.assert_allclose(out.asnumpy(), want, rtol=1e-5, atol=1e-5)
    # float key padding mask together with a bool attention mask
    kpm = rng.standard_normal((batch, src))
    want, _ = ref_mha(p, q, k, k, heads, attn_mask=bool_mask, key_padding_mask=kpm)
    out, _ = mha(_t(q), _t(k), _t(k), attn_mask=ms.Tensor(bool_mask), key_padding_mask=_t(kpm))
    np.testing.assert_allclose(out.asnumpy(), want, rtol=1e-5, atol=1e-5)


def test_mha_is_causal():
    rng = np.random.default_rng(6)
    mha = nn.MultiheadAttention(4, 1)
    x = _t(rng.standard_normal((4, 2, 4)))
    causal = np.triu(np.ones((4, 4), bool), 1)
    out, w = mha(x, x, x, is_causal=True)
    want, want_w = mha(x, x, x, attn_mask=ms.Tensor(causal))
    np.testing.assert_allclose(out.asnumpy(), want.asnumpy(), rtol=1e-6, atol=1e-6)
    assert np.all(w.asnumpy()[:, causal] == 0)
    # the hint does not override a given mask
    full = np.zeros((4, 4), bool)
    out_full, _ = mha(x, x, x, attn_mask=ms.Tensor(full), is_causal=True)
    plain, _ = mha(x, x, x)
    np.testing.assert_allclose(out_full.asnumpy(), plain.asnumpy(), rtol=1e-6, atol=1e-6)


def test_mha_need_weights_false():
    mha = nn.MultiheadAttention(4, 2)
    x = _t(np.ones((3, 2, 4)))
    out, w = mha(x, x, x, need_weights=False)
    assert out.shape == (3, 2, 4) and w is None


def test_mha_parameters_and_init():
    mha = nn.MultiheadAttention(8, 2)
    assert [n for n, _ in mha.parameters_and_names()] == ["in_proj_weight", "in_proj_bias", "out_proj.weight",
                                                          "out_proj.bias"]
    assert mha.in_proj_weight.shape == (24, 8)
    assert np.all(mha.in_proj_bias.asnumpy() == 0)
    bound = math.sqrt(6 / (24 + 8))  # Xavier uniform
    assert np.abs(mha.in_proj_weight.asnumpy()).max() <= bound
    assert np.abs(mha.out_proj.bias.asnumpy()).max() <= 1 / math.sqrt(8)
    other = nn.MultiheadAttention(8, 2, kdim=5, vdim=3, add_bias_kv=True, has_bias=False)
    names = [n for n, _ in other.parameters_and_names()]
    assert names == ["q_proj_weight", "k_proj_weight", "v_proj_weight", "bias_k", "bias_v", "out_proj.weight"]
    assert other.k_proj_weight.shape == (8, 5) and other.v_proj_weight.shape == (8, 3)
    assert other.bias_k.shape == (1, 1, 8)
    assert other.in_proj_weight is None and other.in_proj_bias is None


def test_mha_gradients_reach_every_parameter():
    rng = np.random.default_rng(7)
    mha = nn.MultiheadAttention(4, 2, add_bias_kv=True, kdim=3, vdim=5)
    q = _t(rng.standard_normal((3, 2, 4)))
    k = _t(rng.standard_normal((4, 2, 3)))
    v = _t(rng.standard_normal((4, 2, 5)))
    params = mha.trainable_params()

    def loss(q, k, v):
        out, w = mha(q, k, v)
        return (out * out).sum() + (w * w).sum()

    gq, gw = ms.grad(loss, grad_position=0, weights=params)(q, k, v)
    assert gq.shape == q.shape and np.abs(gq.asnumpy()).max() > 0
    for p, g in zip(params, gw):
        assert g.shape == p.shape
        assert np.abs(g.asnumpy()).max() > 0, p.name


def test_mha_gradient_matches_central_differences():
    rng = np.random.default_rng(8)
    mha = nn.MultiheadAttention(4, 2, dtype=ms.float64)
    q = rng.standard_normal((3, 2, 4))
    k = rng.standard_normal((5, 2, 4))
    r = rng.standard_normal((3, 2, 4))
    mask = rng.standard_normal((3, 5))
    params = mha.trainable_params()

    def loss(qt):
        return (mha(qt, _t(k, ms.float64), _t(k, ms.float64), attn_mask=_t(mask, ms.float64))[0]
                * _t(r, ms.float64)).sum()

    gq, gw = ms.grad(loss, grad_position=0, weights=params)(_t(q, ms.float64))
    p = _params(mha)
    eps = 1e-6
    for name, g in zip([x.name for x in params], gw):
        value = p[name]
        numeric = np.zeros_like(value)
        for i in np.ndindex(value.shape):
            old = value[i]
            value[i] = old + eps
            up = (ref_mha(p, q, k, k, 2, attn_mask=mask)[0] * r).sum()
            value[i] = old - eps
            down = (ref_mha(p, q, k, k, 2, attn_mask=mask)[0] * r).sum()
            value[i] = old
            numeric[i] = (up - down) / (2 * eps)
        np.testing.assert_allclose(g.asnumpy(), numeric, rtol=1e-5, atol=1e-7, err_msg=name)


def test_mha_dropout_in_training_only():
    rng = np.random.default_rng(9)
    mha = nn.MultiheadAttention(4, 2, dropout=0.5)
    x = _t(rng.standard_normal((6, 2, 4)))
    eval_out, _ = mha(x, x, x)
    again, _ = mha(x, x, x)
    np.testing.assert_array_equal(eval_out.asnumpy(), again.asnumpy())
    mha.set_train(True)
    train_out, _ = mha(x, x, x)
    assert not np.allclose(train_out.asnumpy(), eval_out.asnumpy(), atol=1e-4)


def test_mha_errors():
    with pytest.raises(ValueError, match="'embed_dim' \\(10\\) must be divisible by 'num_heads' \\(3\\)"):
        nn.MultiheadAttention(10, 3)
    with pytest.raises(ValueError, match="'num_heads' must be a positive int"):
        nn.MultiheadAttention(10, 0)
    with pytest.raises(TypeError, match="'embed_dim' must be an int"):
        nn.MultiheadAttention(8.0, 2)
    with pytest.raises(ValueError, match="'dropout'"):
        nn.MultiheadAttention(8, 2, dropout=1.5)
    mha = nn.MultiheadAttention(4, 2)
    x = _t(np.ones((3, 2, 4)))
    with pytest.raises(TypeError, match="'key_padding_mask' must be a bool or float Tensor"):
        mha(x, x, x, key_padding_mask=ms.Tensor(np.zeros((2, 3), np.int32)))
    with pytest.raises(ValueError, match="'key_padding_mask' must have shape \\[2, 3\\]"):
        mha(x, x, x, key_padding_mask=ms.Tensor(np.zeros((3, 2), bool)))
    with pytest.raises(ValueError, match="2-D 'attn_mask' must have shape \\[3, 3\\]"):
        mha(x, x, x, attn_mask=ms.Tensor(np.zeros((3, 4), bool)))
    with pytest.raises(ValueError, match="3-D 'attn_mask' must have shape \\[4, 3, 3\\]"):
        mha(x, x, x, attn_mask=ms.Tensor(np.zeros((2, 3, 3), bool)))
    with pytest.raises(ValueError, match="4 features"):
        mha(_t(np.ones((3, 2, 5))), x, x)
    with pytest.raises(ValueError, match="3-D \\(batched\\) or 2-D"):
        mha(x, _t(np.ones((3, 4))), x)


# --- encoder and decoder layers ------------------------------------------------------------------
@pytest.mark.parametrize("norm_first,batch_first,activation", list(itertools.product((False, True), (False, True),
                                                                                      ("relu", "gelu"))))
def test_encoder_layer_matches_numpy(norm_first, batch_first, activation):
    rng = np.random.default_rng(10)
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.1, activation=activation,
                                       norm_first=norm_first, batch_first=batch_first)
    x = rng.standard_normal((5, 2, 8))
    mask = np.triu(np.ones((5, 5), bool), 1)
    kpm = np.array([[False] * 5, [False, False, False, True, True]])
    want = ref_encoder_layer(_params(layer), x, 2, norm_first, src_mask=mask, kpm=kpm, act=activation)
    xt = _t(x.transpose(1, 0, 2) if batch_first else x)
    out = layer(xt, src_mask=ms.Tensor(mask), src_key_padding_mask=ms.Tensor(kpm))
    np.testing.assert_allclose(out.asnumpy(), want.transpose(1, 0, 2) if batch_first else want, rtol=1e-4,
                               atol=1e-5)


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer_matches_numpy(norm_first):
    rng = np.random.default_rng(11)
    layer = nn.TransformerDecoderLayer(8, 4, dim_feedforward=12, norm_first=norm_first)
    tgt = rng.standard_normal((4, 2, 8))
    mem = rng.standard_normal((6, 2, 8))
    tgt_mask = np.triu(np.ones((4, 4), bool), 1)
    memory_mask = rng.standard_normal((4, 6))
    want = ref_decoder_layer(_params(layer), tgt, mem, 4, norm_first, tgt_mask=tgt_mask, memory_mask=memory_mask)
    out = layer(_t(tgt), _t(mem), tgt_mask=ms.Tensor(tgt_mask), memory_mask=_t(memory_mask))
    np.testing.assert_allclose(out.asnumpy(), want, rtol=1e-4, atol=1e-5)


def test_layer_parameter_names():
    enc = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16)
    assert [n for n, _ in enc.parameters_and_names()] == [
        "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight", "self_attn.out_proj.bias",
        "dense1.weight", "dense1.bias", "dense2.weight", "dense2.bias", "norm1.gamma", "norm1.beta",
        "norm2.gamma", "norm2.beta"]
    dec = nn.TransformerDecoderLayer(8, 2, dim_feedforward=16)
    names = [n for n, _ in dec.parameters_and_names()]
    assert names[4:8] == ["multihead_attn.in_proj_weight", "multihead_attn.in_proj_bias",
                          "multihead_attn.out_proj.weight", "multihead_attn.out_proj.bias"]
    assert names[-2:] == ["norm3.gamma", "norm3.beta"]
    assert enc.dense1.weight.shape == (16, 8) and enc.dense2.weight.shape == (8, 16)
    assert np.abs(enc.dense2.bias.asnumpy()).max() <= 1 / math.sqrt(16)


def test_layer_without_bias():
    enc = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, bias=False)
    names = [p.name for p in enc.trainable_params()]
    assert names == ["self_attn.in_proj_weight", "self_attn.out_proj.weight", "dense1.weight", "dense2.weight",
                     "norm1.gamma", "norm2.gamma"]
    out = enc(_t(np.random.default_rng(0).standard_normal((3, 2, 8))))
    assert out.shape == (3, 2, 8)


def test_encoder_layer_unbatched_and_dropout():
    rng = np.random.default_rng(12)
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=8, dropout=0.5)
    x = rng.standard_normal((3, 4))
    want = ref_encoder_layer(_params(layer), x[:, None], 2, False)[:, 0]
    out = layer(_t(x))
    assert out.shape == (3, 4)
    np.testing.assert_allclose(out.asnumpy(), want, rtol=1e-4, atol=1e-5)
    layer.set_train(True)
    assert not np.allclose(layer(_t(x)).asnumpy(), want, atol=1e-3)


def test_encoder_and_decoder_stacks():
    rng = np.random.default_rng(13)
    enc_layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16)
    norm = nn.LayerNorm((8,))
    encoder = nn.TransformerEncoder(enc_layer, num_layers=3, norm=norm)
    names = [n for n, _ in encoder.parameters_and_names()]
    assert "layers.0.self_attn.in_proj_weight" in names and "layers.2.norm2.beta" in names
    assert names[-2:] == ["norm.gamma", "norm.beta"]
    # each layer has its own parameters
    w0 = encoder.layers[0].self_attn.in_proj_weight
    w1 = encoder.layers[1].self_attn.in_proj_weight
    assert w0 is not w1 and not np.array_equal(w0.asnumpy(), w1.asnumpy())
    x = rng.standard_normal((4, 2, 8))
    p = _params(encoder)
    want = x
    for i in range(3):
        want = ref_encoder_layer(_sub(p, f"layers.{i}."), want, 2, False)
    want = _layer_norm(want, p["norm.gamma"], p["norm.beta"], 1e-5)
    np.testing.assert_allclose(encoder(_t(x)).asnumpy(), want, rtol=1e-4, atol=1e-5)

    decoder = nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, dim_feedforward=16), num_layers=2)
    mem = rng.standard_normal((5, 2, 8))
    tgt = rng.standard_normal((3, 2, 8))
    p = _params(decoder)
    want = tgt
    for i in range(2):
        want = ref_decoder_layer(_sub(p, f"layers.{i}."), want, mem, 2, False)
    np.testing.assert_allclose(decoder(_t(tgt), _t(mem)).asnumpy(), want, rtol=1e-4, atol=1e-5)


def test_transformer_shapes_init_and_numpy():
    rng = np.random.default_rng(14)
    model = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=16,
                           batch_first=True)
    p = _params(model)
    for name, value in p.items():
        if value.ndim > 1:
            fan_out, fan_in = value.shape
            assert np.abs(value).max() <= math.sqrt(6 / (fan_in + fan_out)) + 1e-7, name
    src = rng.standard_normal((2, 5, 8))
    tgt = rng.standard_normal((2, 3, 8))
    out = model(_t(src), _t(tgt))
    assert out.shape == (2, 3, 8)
    mem = src.transpose(1, 0, 2)
    for i in range(2):
        mem = ref_encoder_layer(_sub(p, f"encoder.layers.{i}."), mem, 2, False)
    mem = _layer_norm(mem, p["encoder.norm.gamma"], p["encoder.norm.beta"], 1e-5)
    want = ref_decoder_layer(_sub(p, "decoder.layers.0."), tgt.transpose(1, 0, 2), mem, 2, False)
    want = _layer_norm(want, p["decoder.norm.gamma"], p["decoder.norm.beta"], 1e-5)
    np.testing.assert_allclose(out.asnumpy(), want.transpose(1, 0, 2), rtol=1e-4, atol=1e-5)


def test_transformer_gradients_reach_every_parameter():
    rng = np.random.default_rng(15)
    model = nn.Transformer(d_model=4, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=8,
                           dropout=0.0)
    src = _t(rng.standard_normal((3, 2, 4)))
    tgt = _t(rng.standard_normal((2, 2, 4)))
    r = _t(rng.standard_normal((2, 2, 4)))
    params = model.trainable_params()
    grads = ms.grad(lambda s, t: (model(s, t) * r).sum(), grad_position=None, weights=params)(src, tgt)
    for p, g in zip(params, grads):
        assert g.shape == p.shape
        assert np.abs(g.asnumpy()).max() > 0, p.name


def test_transformer_layer_errors():
    with pytest.raises(ValueError, match="'activation' must be 'relu' or 'gelu', got 'tanh'"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
    with pytest.raises(ValueError, match="'activation'"):
        nn.TransformerDecoderLayer(8, 2, activation=3)
    with pytest.raises(ValueError, match="divisible"):
        nn.TransformerEncoderLayer(8, 3)
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=8)
    x = _t(np.ones((3, 2, 4)))
    with pytest.raises(AssertionError, match="'src_key_padding_mask' must be a bool or float"):
        layer(x, src_key_padding_mask=ms.Tensor(np.zeros((2, 3), np.int64)))
    with pytest.raises(TypeError, match="TransformerEncoderLayer"):
        nn.TransformerEncoder(nn.TransformerDecoderLayer(4, 2), 2)
    with pytest.raises(ValueError, match="'num_layers'"):
        nn.TransformerEncoder(layer, 0)
    model = nn.Transformer(d_model=4, nhead=2, num_encoder_layers=1, num_decoder_layers=1, dim_feedforward=8)
    with pytest.raises(ValueError, match="same batch size"):
        model(_t(np.ones((3, 2, 4))), _t(np.ones((3, 3, 4))))
    with pytest.raises(ValueError, match="d_model=4"):
        model(_t(np.ones((3, 2, 4))), _t(np.ones((3, 2, 5))))


# --- PyTorch, whose math MindSpore's layers follow -----------------------------------------------
def _torch_name(name):
    return (name.replace("dense1", "linear1").replace("dense2", "linear2").replace(".gamma", ".weight")
            .replace(".beta", ".bias"))


def _copy_to_torch(torch, net, ref):
    state = ref.state_dict()
    with torch.no_grad():
        for name, p in net.parameters_and_names():
            state[_torch_name(name)].copy_(torch.from_numpy(p.asnumpy().copy()).reshape(state[_torch_name(name)].shape))


def test_mha_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(16)
    mha = nn.MultiheadAttention(8, 2, add_bias_kv=True, add_zero_attn=True, batch_first=True)
    ref = torch.nn.MultiheadAttention(8, 2, add_bias_kv=True, add_zero_attn=True, batch_first=True)
    _copy_to_torch(torch, mha, ref)
    q = rng.standard_normal((2, 3, 8)).astype(np.float32)
    k = rng.standard_normal((2, 5, 8)).astype(np.float32)
    kpm = np.array([[False] * 5, [False, True, False, True, False]])
    mask = np.triu(np.ones((3, 5), bool), 3)
    ref.eval()
    kt = torch.from_numpy(k)
    want, want_w = ref(torch.from_numpy(q), kt, kt, key_padding_mask=torch.from_numpy(kpm),
                       attn_mask=torch.from_numpy(mask))
    out, w = mha(_t(q), _t(k), _t(k), key_padding_mask=ms.Tensor(kpm), attn_mask=ms.Tensor(mask))
    np.testing.assert_allclose(out.asnumpy(), want.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(w.asnumpy(), want_w.detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.filterwarnings("ignore:enable_nested_tensor")
def test_transformer_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(17)
    model = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=16,
                           norm_first=True, activation="gelu")
    ref = torch.nn.Transformer(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=16,
                               norm_first=True, activation="gelu")
    _copy_to_torch(torch, model, ref)
    ref.eval()
    src = rng.standard_normal((5, 2, 8)).astype(np.float32)
    tgt = rng.standard_normal((4, 2, 8)).astype(np.float32)
    tgt_mask = np.triu(np.full((4, 4), -np.inf, np.float32), 1)
    want = ref(torch.from_numpy(src), torch.from_numpy(tgt), tgt_mask=torch.from_numpy(tgt_mask))
    out = model(_t(src), _t(tgt), tgt_mask=_t(tgt_mask))
    np.testing.assert_allclose(out.asnumpy(), want.detach().numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_gradient_matches_central_differences(norm_first):
    rng = np.random.default_rng(18)
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, dropout=0.0, norm_first=norm_first, dtype=ms.float64)
    x = rng.standard_normal((3, 2, 4))
    r = rng.standard_normal((3, 2, 4))
    kpm = np.array([[False, False, True], [False, False, False]])
    params = layer.trainable_params()

    def loss(xt):
        return (layer(xt, src_key_padding_mask=ms.Tensor(kpm)) * _t(r, ms.float64)).sum()

    gx, gw = ms.grad(loss, grad_position=0, weights=params)(_t(x, ms.float64))
    p = _params(layer)
    eps = 1e-6
    picker = np.random.default_rng(0)
    for param, g in zip(params, gw):
        value = p[param.name]
        for k in picker.choice(value.size, size=min(6, value.size), replace=False):
            i = np.unravel_index(k, value.shape)
            old = value[i]
            value[i] = old + eps
            up = (ref_encoder_layer(p, x, 2, norm_first, kpm=kpm) * r).sum()
            value[i] = old - eps
            down = (ref_encoder_layer(p, x, 2, norm_first, kpm=kpm) * r).sum()
            value[i] = old
            np.testing.assert_allclose(g.asnumpy()[i], (up - down) / (2 * eps), rtol=1e-5, atol=1e-7,
                                       err_msg=param.name)
    # and the input gradient, one element
    xp = x.copy()
    xp[1, 0, 2] += eps
    xm = x.copy()
    xm[1, 0, 2] -= eps
    numeric = ((ref_encoder_layer(p, xp, 2, norm_first, kpm=kpm) - ref_encoder_layer(p, xm, 2, norm_first, kpm=kpm))
               * r).sum() / (2 * eps)
    np.testing.assert_allclose(gx.asnumpy()[1, 0, 2], numeric, rtol=1e-5, atol=1e-7)
