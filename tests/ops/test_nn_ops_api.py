"""The nn functional ops (softmax, norms, dropout, one_hot, embedding, interpolate...): defaults,
argument errors, stateful behaviour, agreement with torch where installed, and the composite
expansions against their primitives."""
import math

import numpy as np
import pytest
from scipy import special

import sporen as ms
from sporen import ops
from sporen.ops.composite import EXPANSIONS, expand
from sporen.ops.registry import OPS
from tests.ops import cases_loss, cases_nn_ops
from tests.ops.harness import as_tuple

T = ms.Tensor


def rand(*shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


# --- composite expansions ------------------------------------------------------------------------
def _all_cases():
    import importlib
    import pkgutil

    import tests.ops as cases_pkg
    found = list(cases_nn_ops.CASES + cases_loss.CASES)
    for info in pkgutil.iter_modules(cases_pkg.__path__):
        if info.name.startswith("cases_") and info.name not in ("cases_nn_ops", "cases_loss"):
            found.extend(importlib.import_module(f"tests.ops.{info.name}").CASES)
    return found


EXPANDABLE = [c for c in _all_cases() if c.op in EXPANSIONS]


def test_every_expansion_names_a_primitive_with_cases():
    for name in EXPANSIONS:
        assert name in OPS, name
        assert any(c.op == name for c in EXPANDABLE), f"no case exercises the expansion of {name}"
    with pytest.raises(ValueError, match="no expansion"):
        expand("add", T(1.0), T(2.0))


@pytest.mark.parametrize("case", EXPANDABLE, ids=[c.id(i) for i, c in enumerate(EXPANDABLE)])
def test_expansion_matches_primitive(case):
    rng = np.random.default_rng(1)
    arrays = case.make(rng, "float64")
    prim = OPS[case.op]
    tensors = [T._wrap(a) for a in arrays]
    want = as_tuple(prim(*tensors, **case.attrs))
    got = as_tuple(expand(case.op, *tensors, **case.attrs))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g.asnumpy(), w.asnumpy(), rtol=1e-10, atol=1e-12)
    if not case.grad or any(a.size == 0 for a in arrays):
        return
    cots = [T._wrap(rng.standard_normal(w.shape)) for w in want]
    idx = tuple(i for i, a in enumerate(arrays) if a.dtype.kind == "f")

    def objective(fn):
        def f(*ts):
            outs = as_tuple(fn(*ts))
            total = None
            for o, c in zip(outs, cots):
                term = ops.sum(o * c)
                total = term if total is None else total + term
            return total
        return f

    g_prim = ms.grad(objective(lambda *ts: prim(*ts, **case.attrs)), grad_position=idx)(*tensors)
    g_exp = ms.grad(objective(lambda *ts: expand(case.op, *ts, **case.attrs)), grad_position=idx)(*tensors)
    for a, b in zip(as_tuple(g_prim), as_tuple(g_exp)):
        np.testing.assert_allclose(a.asnumpy(), b.asnumpy(), rtol=1e-8, atol=1e-10)


# --- softmax family ---------------------------------------------------------------------------------
def test_softmax_defaults_and_dtype():
    x = rand(2, 3, 4)
    np.testing.assert_allclose(ops.softmax(T(x)).asnumpy(), special.softmax(x, axis=-1), rtol=1e-5)
    np.testing.assert_allclose(ops.softmax(T(x), axis=0).asnumpy(), special.softmax(x, axis=0), rtol=1e-5)
    np.testing.assert_allclose(ops.softmax(T(x), axis=(1, 2)).asnumpy(), special.softmax(x, axis=(1, 2)), rtol=1e-5)
    out = ops.softmax(T(x), dtype=ms.float64)
    assert out.dtype == ms.float64
    np.testing.assert_allclose(ops.log_softmax(T(x), 1).asnumpy(), special.log_softmax(x, axis=1), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ops.softmin(T(x)).asnumpy(), special.softmax(-x, axis=-1), rtol=1e-5)


def test_softmax_errors():
    with pytest.raises(TypeError, match="softmax: 'input' must be a float tensor"):
        ops.softmax(T([1, 2, 3]))
    with pytest.raises(ValueError, match="softmax: 'axis' must be in"):
        ops.softmax(T(rand(2, 3)), axis=2)
    with pytest.raises(TypeError, match="softmax: 'input' must be a Tensor"):
        ops.softmax([1.0, 2.0])
    with pytest.raises(TypeError, match="log_softmax: 'logits' must be a float tensor"):
        ops.log_softmax(T([1, 2]))


def test_softmax_second_derivative():
    x = T(rand(4, seed=3).astype(np.float64))
    w = T(rand(4, seed=4).astype(np.float64))

    def f(t):
        return ops.sum(ops.softmax(t) * w)

    g2 = ms.grad(lambda t: ops.sum(ms.grad(f)(t) * w))(x)
    # numeric: directional second derivative along w of f, via central differences of the gradient
    eps = 1e-5
    up = ms.grad(f)(T(x.asnumpy() + eps * w.asnumpy())).asnumpy()
    down = ms.grad(f)(T(x.asnumpy() - eps * w.asnumpy())).asnumpy()
    hess_w = (up - down) / (2 * eps)  # H @ w; H is symmetric so grad of (grad . w) equals H @ w
    np.testing.assert_allclose(g2.asnumpy(), hess_w, rtol=1e-5, atol=1e-8)


# --- layer/group/batch norm -------------------------------------------------------------------------
def test_layer_norm_values_and_errors():
    x = rand(2, 3, 4)
    w = rand(3, 4, seed=1)
    b = rand(3, 4, seed=2)
    mean = x.mean(axis=(1, 2), keepdims=True)
    var = x.var(axis=(1, 2), keepdims=True)
    want = (x - mean) / np.sqrt(var + 1e-5) * w + b
    np.testing.assert_allclose(ops.layer_norm(T(x), (3, 4), T(w), T(b)).asnumpy(), want, rtol=1e-4, atol=1e-5)
    plain = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-3)
    np.testing.assert_allclose(ops.layer_norm(T(x), 4, eps=1e-3).asnumpy(), plain, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="'normalized_shape' \\[3\\] must be the trailing"):
        ops.layer_norm(T(x), (3,))
    with pytest.raises(ValueError, match="'weight' of shape \\[5\\]"):
        ops.layer_norm(T(x), (4,), T(rand(5)))


def test_group_norm_values():
    x = rand(2, 6, 3, 2)
    w = rand(6, seed=1)
    b = rand(6, seed=2)
    g = x.reshape(2, 3, -1)
    norm = ((g - g.mean(-1, keepdims=True)) / np.sqrt(g.var(-1, keepdims=True) + 1e-5)).reshape(x.shape)
    want = norm * w.reshape(1, 6, 1, 1) + b.reshape(1, 6, 1, 1)
    np.testing.assert_allclose(ops.group_norm(T(x), 3, T(w), T(b)).asnumpy(), want, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="divisible by 'num_groups' 4"):
        ops.group_norm(T(x), 4)


def test_batch_norm_training_updates_running_stats_in_place():
    x = rand(8, 3, 4, 5)
    rm = ms.Parameter(T(np.zeros(3, np.float32)), name="rm")
    rv = ms.Parameter(T(np.ones(3, np.float32)), name="rv")
    w = T(np.full(3, 2.0, np.float32))
    b = T(np.full(3, 0.5, np.float32))
    storage = rm._data
    y = ops.batch_norm(T(x), rm, rv, w, b, training=True, momentum=0.1, eps=1e-5)
    axes = (0, 2, 3)
    mean = x.mean(axis=axes)
    var = x.var(axis=axes)
    want = (x - mean.reshape(1, 3, 1, 1)) / np.sqrt(var.reshape(1, 3, 1, 1) + 1e-5) * 2.0 + 0.5
    np.testing.assert_allclose(y.asnumpy(), want, rtol=1e-4, atol=1e-5)
    n = x.size // 3
    np.testing.assert_allclose(rm.asnumpy(), 0.1 * mean, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(rv.asnumpy(), 0.9 + 0.1 * var * n / (n - 1), rtol=1e-5)
    assert rm._data is storage  # updated in place


def test_batch_norm_inference_uses_running_stats():
    x = rand(4, 2, 3)
    rm = T(np.array([0.5, -1.0], np.float32))
    rv = T(np.array([2.0, 0.5], np.float32))
    w = T(np.ones(2, np.float32))
    b = T(np.zeros(2, np.float32))
    y = ops.batch_norm(T(x), rm, rv, w, b)
    want = (x - np.array([0.5, -1.0]).reshape(1, 2, 1)) / np.sqrt(np.array([2.0, 0.5]).reshape(1, 2, 1) + 1e-5)
    np.testing.assert_allclose(y.asnumpy(), want, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(rm.asnumpy(), [0.5, -1.0])
    with pytest.raises(ValueError, match="'momentum' must be a float in \\[0, 1\\]"):
        ops.batch_norm(T(x), rm, rv, w, b, momentum=1.5)
    with pytest.raises(ValueError, match="'weight' must have shape \\[2\\]"):
        ops.batch_norm(T(x), rm, rv, T(np.ones(3, np.float32)), b)


def test_norms_match_torch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    x = rand(4, 6, 5, 3)
    w = rand(6, seed=1)
    b = rand(6, seed=2)
    np.testing.assert_allclose(ops.group_norm(T(x), 2, T(w), T(b)).asnumpy(),
                               tf.group_norm(torch.tensor(x), 2, torch.tensor(w), torch.tensor(b)).numpy(),
                               rtol=1e-4, atol=1e-5)
    rm, rv = np.zeros(6, np.float32), np.ones(6, np.float32)
    trm, trv = torch.tensor(rm), torch.tensor(rv)
    prm, prv = ms.Parameter(T(rm.copy()), name="m"), ms.Parameter(T(rv.copy()), name="v")
    want = tf.batch_norm(torch.tensor(x), trm, trv, torch.tensor(w), torch.tensor(b), training=True, momentum=0.3)
    got = ops.batch_norm(T(x), prm, prv, T(w), T(b), training=True, momentum=0.3)
    np.testing.assert_allclose(got.asnumpy(), want.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(prm.asnumpy(), trm.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(prv.asnumpy(), trv.numpy(), rtol=1e-5, atol=1e-6)


# --- dropout -------------------------------------------------------------------------------------
def test_dropout_statistics_scaling_and_seed():
    x = T(np.ones((200, 100), np.float32))
    ms.set_seed(5)
    a = ops.dropout(x, p=0.3).asnumpy()
    kept = a != 0
    assert abs(1 - kept.mean() - 0.3) < 0.02
    np.testing.assert_allclose(a[kept], 1 / 0.7, rtol=1e-6)
    ms.set_seed(5)
    b = ops.dropout(x, p=0.3).asnumpy()
    np.testing.assert_array_equal(a, b)
    c = ops.dropout(x, p=0.3).asnumpy()
    assert not np.array_equal(b, c)
    np.testing.assert_array_equal(ops.dropout(x, p=0.3, seed=7).asnumpy(), ops.dropout(x, p=0.3, seed=7).asnumpy())


def test_dropout_identity_cases_and_errors():
    x = T(rand(3, 4))
    assert ops.dropout(x, p=0.5, training=False) is x
    assert ops.dropout(x, p=0.0) is x
    np.testing.assert_array_equal(ops.dropout(x, p=1.0).asnumpy(), np.zeros((3, 4)))
    with pytest.raises(ValueError, match="dropout: 'p' must be in \\[0, 1\\]"):
        ops.dropout(x, p=1.5)
    with pytest.raises(TypeError, match="dropout: 'input' must be a float tensor"):
        ops.dropout(T([1, 2]))
    with pytest.raises(ValueError, match="dropout2d: 'input' must be a 4D tensor"):
        ops.dropout2d(x)


def test_dropout_gradient_uses_the_same_mask():
    x = T(rand(50, 40) + 3.0)
    ms.set_seed(1)
    out, g = ms.value_and_grad(lambda t: ops.sum(ops.dropout(t, p=0.4)))(x)
    ms.set_seed(1)
    y = ops.dropout(x, p=0.4).asnumpy()
    np.testing.assert_allclose(g.asnumpy(), y / x.asnumpy(), rtol=1e-5)


def test_channel_dropout_zeroes_whole_channels():
    x = T(np.ones((4, 16, 3, 3), np.float32))
    y = ops.dropout2d(x, p=0.5).asnumpy()
    per_channel = y.reshape(4, 16, -1)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2.0).all(-1))
    assert 0 < (per_channel == 0).all(-1).sum() < 64
    y1 = ops.dropout1d(T(np.ones((8, 5), np.float32)), p=0.5).asnumpy()
    assert np.all((y1 == 0).all(-1) | (y1 == 2.0).all(-1))
    y3 = ops.dropout3d(T(np.ones((2, 6, 2, 2, 2), np.float32)), p=0.5).asnumpy().reshape(2, 6, -1)
    assert np.all((y3 == 0).all(-1) | (y3 == 2.0).all(-1))


# --- one_hot -----------------------------------------------------------------------------------
def test_one_hot_defaults_and_values():
    idx = T(np.array([0, 1, 2, 4]))
    out = ops.one_hot(idx, 5)
    assert out.dtype == ms.int64
    np.testing.assert_array_equal(out.asnumpy(), np.eye(5, dtype=np.int64)[[0, 1, 2, 4]])
    out = ops.one_hot(T(np.array([[0, 2], [1, -1]])), 3, 10, 4, axis=0)
    assert out.shape == (3, 2, 2)
    np.testing.assert_array_equal(out.asnumpy()[:, 1, 1], [4, 4, 4])
    np.testing.assert_array_equal(out.asnumpy()[:, 0, 1], [4, 4, 10])
    f = ops.one_hot(idx, 5, T(1.0), T(0.0))
    assert f.dtype == ms.float32


def test_one_hot_errors():
    with pytest.raises(TypeError, match="one_hot: 'indices' must be an int32 or int64 tensor"):
        ops.one_hot(T([1.0]), 3)
    with pytest.raises(ValueError, match="one_hot: 'depth' must be >= 0"):
        ops.one_hot(T([1]), -1)
    with pytest.raises(ValueError, match="one_hot: 'axis' must be in \\[-1, 1\\]"):
        ops.one_hot(T([1]), 3, axis=2)


# --- embedding -------------------------------------------------------------------------------------
def test_embedding_lookup_gradient_and_padding():
    w = ms.Parameter(T(rand(6, 3)), name="w")
    idx = T(np.array([[1, 2, 1], [0, 5, 1]]))
    np.testing.assert_array_equal(ops.embedding(idx, w).asnumpy(), w.asnumpy()[idx.asnumpy()])
    g = ms.grad(lambda weight: ops.sum(ops.embedding(idx, weight)))(w).asnumpy()
    np.testing.assert_array_equal(g[:, 0], [1, 3, 1, 0, 0, 1])
    g = ms.grad(lambda weight: ops.sum(ops.embedding(idx, weight, padding_idx=1)))(w).asnumpy()
    np.testing.assert_array_equal(g[:, 0], [1, 0, 1, 0, 0, 1])
    g = ms.grad(lambda weight: ops.sum(ops.embedding(idx, weight, padding_idx=-1)))(w).asnumpy()
    np.testing.assert_array_equal(g[:, 0], [1, 3, 1, 0, 0, 0])


def test_embedding_max_norm_and_errors():
    w = ms.Parameter(T(np.full((4, 2), 3.0, np.float32)), name="w")
    ops.embedding(T(np.array([0, 2])), w, max_norm=1.0)
    norms = np.linalg.norm(w.asnumpy(), axis=1)
    np.testing.assert_allclose(norms[[0, 2]], 1.0, rtol=1e-5)
    np.testing.assert_allclose(norms[[1, 3]], math.sqrt(18), rtol=1e-6)
    with pytest.raises(TypeError, match="embedding: 'input' must be an int32 or int64 tensor"):
        ops.embedding(T([0.0]), w)
    with pytest.raises(ValueError, match="embedding: 'weight' must be 2-D"):
        ops.embedding(T([0]), T(rand(3)))
    with pytest.raises(ValueError, match="'padding_idx' must be an int in \\[-4, 4\\)"):
        ops.embedding(T([0]), w, padding_idx=4)


# --- interpolate -----------------------------------------------------------------------------------
TORCH_MODES = [("nearest", None, (1, 2, 5, 6), (7, 4)), ("bilinear", False, (2, 2, 5, 6), (7, 9)),
               ("bilinear", True, (2, 2, 5, 6), (3, 9)), ("bicubic", False, (1, 2, 5, 6), (8, 4)),
               ("bicubic", True, (1, 2, 5, 6), (8, 4)), ("linear", False, (2, 3, 7), (4,)),
               ("trilinear", True, (1, 1, 3, 4, 5), (5, 3, 6)), ("area", None, (1, 2, 8, 6), (3, 4)),
               ("nearest-exact", None, (1, 2, 5), (8,))]


@pytest.mark.parametrize("mode,align,shape,size", TORCH_MODES)
def test_interpolate_matches_torch(mode, align, shape, size):
    torch = pytest.importorskip("torch")
    x = rand(*shape)
    want = torch.nn.functional.interpolate(torch.tensor(x), size=size, mode=mode, align_corners=align)
    got = ops.interpolate(T(x), size=size, mode=mode, align_corners=align)
    np.testing.assert_allclose(got.asnumpy(), want.numpy(), rtol=1e-4, atol=1e-5)
    if mode != "nearest":
        # gradient against torch's
        tx = torch.tensor(x.astype(np.float64), requires_grad=True)
        cot = rand(*want.shape, seed=9).astype(np.float64)
        resized = torch.nn.functional.interpolate(tx, size=size, mode=mode, align_corners=align)
        (resized * torch.tensor(cot)).sum().backward()
        g = ms.grad(lambda t: ops.sum(ops.interpolate(t, size=size, mode=mode, align_corners=align) * T(cot)))(
            T(x.astype(np.float64)))
        np.testing.assert_allclose(g.asnumpy(), tx.grad.numpy(), rtol=1e-8, atol=1e-10)


def test_interpolate_scale_factor_matches_torch():
    torch = pytest.importorskip("torch")
    x = rand(1, 2, 5, 7)
    for mode in ("nearest", "bilinear"):
        want = torch.nn.functional.interpolate(torch.tensor(x), scale_factor=1.7, mode=mode)
        got = ops.interpolate(T(x), scale_factor=1.7, mode=mode)
        np.testing.assert_allclose(got.asnumpy(), want.numpy(), rtol=1e-4, atol=1e-5)
        want = torch.nn.functional.interpolate(torch.tensor(x), scale_factor=(0.6, 2.0), mode=mode,
                                               recompute_scale_factor=True)
        got = ops.interpolate(T(x), scale_factor=(0.6, 2.0), mode=mode, recompute_scale_factor=True)
        np.testing.assert_allclose(got.asnumpy(), want.numpy(), rtol=1e-4, atol=1e-5)


def test_interpolate_errors():
    x = T(rand(1, 2, 4, 4))
    with pytest.raises(ValueError, match="exactly one of 'size' and 'scale_factor'"):
        ops.interpolate(x)
    with pytest.raises(ValueError, match="'align_corners' can only be set"):
        ops.interpolate(x, size=(2, 2), align_corners=True)
    with pytest.raises(ValueError, match="mode 'linear' needs a 3-D input"):
        ops.interpolate(x, size=(2, 2), mode="linear")
    with pytest.raises(ValueError, match="'mode' must be one of"):
        ops.interpolate(x, size=(2, 2), mode="cubic")
    with pytest.raises(ValueError, match="'size' must have 2 elements"):
        ops.interpolate(x, size=(2, 2, 2))


# --- pixel shuffle, distances, unfold/fold --------------------------------------------------------
def test_pixel_shuffle_roundtrip_and_errors():
    x = T(rand(2, 18, 3, 4))
    y = ops.pixel_shuffle(x, 3)
    assert y.shape == (2, 2, 9, 12)
    np.testing.assert_array_equal(ops.pixel_unshuffle(y, 3).asnumpy(), x.asnumpy())
    with pytest.raises(ValueError, match="channels 18 must be divisible by upscale_factor\\^2 = 16"):
        ops.pixel_shuffle(x, 4)
    with pytest.raises(ValueError, match="'upscale_factor' must be a positive int"):
        ops.pixel_shuffle(x, 0)


def test_cosine_similarity_and_cdist():
    a = rand(4, 5)
    b = rand(4, 5, seed=1)
    want = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    np.testing.assert_allclose(ops.cosine_similarity(T(a), T(b)).asnumpy(), want, rtol=1e-5)
    np.testing.assert_allclose(ops.cosine_similarity(T(a), T(b[:1]), dim=1).asnumpy(),
                               (a * b[:1]).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b[0])), rtol=1e-5)
    from scipy.spatial import distance
    np.testing.assert_allclose(ops.cdist(T(a), T(b)).asnumpy(), distance.cdist(a, b), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ops.cdist(T(a), T(b), p=1.0).asnumpy(), distance.cdist(a, b, "cityblock"), rtol=1e-5)
    with pytest.raises(ValueError, match="cdist: shapes \\[4, 5\\] and \\[4, 3\\]"):
        ops.cdist(T(a), T(rand(4, 3)))
    with pytest.raises(ValueError, match="cdist: 'p' must be >= 0"):
        ops.cdist(T(a), T(b), p=-1.0)


def test_unfold_fold_match_torch():
    torch = pytest.importorskip("torch")
    x = rand(2, 3, 7, 6)
    kw = dict(kernel_size=(3, 2), dilation=(2, 1), padding=1, stride=(1, 2))
    want = torch.nn.functional.unfold(torch.tensor(x), **kw)
    got = ops.unfold(T(x), **kw)
    np.testing.assert_allclose(got.asnumpy(), want.numpy(), rtol=1e-6)
    back = ops.fold(got, (7, 6), **kw)
    np.testing.assert_allclose(back.asnumpy(), torch.nn.functional.fold(want, (7, 6), **kw).numpy(), rtol=1e-5)
    with pytest.raises(ValueError, match="fold: input of shape"):
        ops.fold(got, (8, 6), **kw)
    with pytest.raises(TypeError, match="unfold: 'kernel_size' must be an int or a tuple of 2 ints"):
        ops.unfold(T(x), kernel_size=(1, 2, 3))


def test_embedding_scale_grad_by_freq():
    w = T(rand(5, 2))
    idx = T(np.array([1, 1, 1, 3, 0]))
    g = ms.grad(lambda weight: ops.sum(ops.embedding(idx, weight, scale_grad_by_freq=True)))(w).asnumpy()
    np.testing.assert_allclose(g[:, 0], [1, 1, 0, 1, 0])


# --- gumbel_softmax -------------------------------------------------------------------------------
def test_gumbel_softmax_samples_the_categorical():
    probs = np.array([0.1, 0.2, 0.7], np.float32)
    logits = T(np.log(np.tile(probs, (20000, 1))))
    ms.set_seed(3)
    hard = ops.gumbel_softmax(logits, hard=True).asnumpy()
    assert set(np.unique(hard)) == {0.0, 1.0}
    np.testing.assert_array_equal(hard.sum(1), 1.0)
    np.testing.assert_allclose(hard.mean(0), probs, atol=0.015)
    soft = ops.gumbel_softmax(logits, tau=0.5).asnumpy()
    np.testing.assert_allclose(soft.sum(1), 1.0, rtol=1e-5)
    assert soft.min() >= 0 and (soft.max(1) < 0.99).mean() > 0.3  # soft samples, not one-hot


def test_gumbel_softmax_hard_has_the_soft_gradient():
    x = T(rand(6, 4))
    c = T(rand(6, 4, seed=1))
    ms.set_seed(11)
    g_hard = ms.grad(lambda t: ops.sum(ops.gumbel_softmax(t, 0.7, True) * c))(x)
    ms.set_seed(11)
    g_soft = ms.grad(lambda t: ops.sum(ops.gumbel_softmax(t, 0.7, False) * c))(x)
    np.testing.assert_allclose(g_hard.asnumpy(), g_soft.asnumpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="gumbel_softmax: 'tau' must be a positive number"):
        ops.gumbel_softmax(x, tau=0)
    with pytest.raises(ValueError, match="gumbel_softmax: 'dim' must be in"):
        ops.gumbel_softmax(x, dim=2)


def test_rms_norm_documented_example_and_errors():
    x = T(np.array([[1, 2, 3], [1, 2, 3]], np.float32))
    y, rstd = ops.rms_norm(x, T(np.ones(3, np.float32)))
    np.testing.assert_allclose(y.asnumpy(), [[0.46290997, 0.92581993, 1.3887299]] * 2, rtol=1e-6)
    np.testing.assert_allclose(rstd.asnumpy(), [[0.46290997]] * 2, rtol=1e-6)
    with pytest.raises(ValueError, match="rms_norm: 'epsilon' must be a float in \\(0, 1\\]"):
        ops.rms_norm(x, T(np.ones(3, np.float32)), epsilon=0.0)
    with pytest.raises(TypeError, match="rms_norm: 'gamma' must have the dtype of 'x'"):
        ops.rms_norm(x, T(np.ones(3, np.float64)))
    with pytest.raises(ValueError, match="rms_norm: 'gamma' of shape \\[2\\]"):
        ops.rms_norm(x, T(np.ones(2, np.float32)))


def test_pdist_matches_scipy_with_gradient():
    from scipy.spatial import distance
    x = rand(5, 3).astype(np.float64)
    for p in (2.0, 1.0, 3.0):
        np.testing.assert_allclose(ops.pdist(T(x), p).asnumpy(), distance.pdist(x, "minkowski", p=p), rtol=1e-6)
    batched = rand(2, 4, 3)
    got = ops.pdist(T(batched)).asnumpy()
    np.testing.assert_allclose(got, np.stack([distance.pdist(b) for b in batched]), rtol=1e-4, atol=1e-5)
    g = ms.grad(lambda t: ops.sum(ops.pdist(t)))(T(x)).asnumpy()
    eps = 1e-6
    num = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[idx] += eps
        down[idx] -= eps
        num[idx] = (distance.pdist(up).sum() - distance.pdist(down).sum()) / (2 * eps)
    np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-7)
    with pytest.raises(ValueError, match="pdist: 'input' must have at least 2 dims"):
        ops.pdist(T(rand(3)))


def test_add_layer_norm_and_add_rms_norm():
    a, b = rand(2, 3, 4), rand(2, 3, 4, seed=1)
    g, be = rand(4, seed=2), rand(4, seed=3)
    x = a + b
    mean = x.mean(-1, keepdims=True)
    rstd = 1 / np.sqrt(x.var(-1, keepdims=True) + 1e-5)
    y, m, r, s = ops.add_layer_norm(T(a), T(b), T(g), T(be))
    np.testing.assert_allclose(y.asnumpy(), (x - mean) * rstd * g + be, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(m.asnumpy(), mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(r.asnumpy(), rstd, rtol=1e-4)
    np.testing.assert_allclose(s.asnumpy(), x, rtol=1e-6)
    y, r, s = ops.add_rms_norm(T(a), T(b), T(g))
    rr = 1 / np.sqrt((x ** 2).mean(-1, keepdims=True) + 1e-6)
    np.testing.assert_allclose(y.asnumpy(), x * rr * g, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(r.asnumpy(), rr, rtol=1e-4)
    with pytest.raises(ValueError, match="add_rms_norm: 'x2' must have the shape of 'x1'"):
        ops.add_rms_norm(T(a), T(b[0]), T(g))
