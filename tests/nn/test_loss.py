"""Functional losses (ops.cross_entropy...) and loss Cells (nn.CrossEntropyLoss...): values against
formulas written here with numpy, against torch.nn.functional where installed (values and
gradients), MindSpore's documented examples, defaults and argument errors."""
import math

import numpy as np
import pytest
from scipy import special

import sporen as ms
from sporen import nn, ops

T = ms.Tensor


def rand(*shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def ints(shape, hi, seed=0):
    return np.random.default_rng(seed).integers(0, hi, size=shape).astype(np.int64)


def close(got, want, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(got.asnumpy(), np.float64), want, rtol=rtol, atol=atol)


# --- cross entropy / nll --------------------------------------------------------------------------
def ref_ce_indices(x, t, weight=None, ignore=-100, reduction="mean", ls=0.0):
    log_p = special.log_softmax(x.astype(np.float64), axis=1)
    c = x.shape[1]
    w = np.ones(c) if weight is None else weight.astype(np.float64)
    lp = np.moveaxis(log_p, 1, -1).reshape(-1, c)
    tt = t.reshape(-1)
    losses = np.zeros(len(tt))
    wsum = 0.0
    for i, k in enumerate(tt):
        if k == ignore:
            continue
        nll = -w[k] * lp[i, k]
        smooth = -(w * lp[i]).sum()
        losses[i] = (1 - ls) * nll + ls / c * smooth
        wsum += w[k]
    if reduction == "none":
        return losses.reshape(t.shape)
    if reduction == "sum":
        return losses.sum()
    return losses.sum() / wsum


@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 4, 2)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_class_indices(shape, reduction):
    x = rand(*shape)
    t_shape = shape[:1] + shape[2:]
    t = ints(t_shape, shape[1], seed=1)
    t.reshape(-1)[0] = -100
    close(ops.cross_entropy(T(x), T(t), reduction=reduction), ref_ce_indices(x, t, reduction=reduction))
    w = np.abs(rand(shape[1], seed=2)) + 0.1
    for ls in (0.0, 0.2):
        close(ops.cross_entropy(T(x), T(t), T(w), reduction=reduction, label_smoothing=ls),
              ref_ce_indices(x, t, w, reduction=reduction, ls=ls))
    t2 = t.copy()
    t2.reshape(-1)[0] = 1
    close(ops.cross_entropy(T(x), T(t2), ignore_index=1, reduction=reduction),
          ref_ce_indices(x, t2, ignore=1, reduction=reduction))


def test_cross_entropy_probability_targets():
    x = rand(4, 5)
    p = special.softmax(rand(4, 5, seed=3), axis=1).astype(np.float32)
    log_p = special.log_softmax(x.astype(np.float64), axis=1)
    close(ops.cross_entropy(T(x), T(p)), -(p * log_p).sum(1).mean())
    w = np.arange(1, 6, dtype=np.float32)
    close(ops.cross_entropy(T(x), T(p), T(w), reduction="sum"), -(p * log_p * w).sum())
    smooth = p * 0.9 + 0.1 / 5
    close(ops.cross_entropy(T(x), T(p), reduction="none", label_smoothing=0.1), -(smooth * log_p).sum(1))


def test_nll_loss_and_1d_input():
    lp = special.log_softmax(rand(6, 3), axis=1).astype(np.float32)
    t = ints((6,), 3, seed=4)
    close(ops.nll_loss(T(lp), T(t)), -lp[np.arange(6), t].mean())
    w = np.array([0.2, 1.0, 3.0], np.float32)
    close(ops.nll_loss(T(lp), T(t), T(w)), -(w[t] * lp[np.arange(6), t]).sum() / w[t].sum())
    x = rand(5)
    close(ops.cross_entropy(T(x), T(np.array(2))), -special.log_softmax(x.astype(np.float64))[2])


def test_cross_entropy_errors():
    x = T(rand(4, 3))
    msg = "cross_entropy: 'reduction' must be one of \\['none', 'mean', 'sum'\\], got 'avg'"
    with pytest.raises(ValueError, match=msg):
        ops.cross_entropy(x, T(np.zeros(4, np.int64)), reduction="avg")
    with pytest.raises(ValueError, match="'target' must have shape \\[4\\]"):
        ops.cross_entropy(x, T(np.zeros(3, np.int64)))
    with pytest.raises(TypeError, match="'target' must be an integer tensor of class indices or a float"):
        ops.cross_entropy(x, T(np.zeros((4,), np.bool_)))
    with pytest.raises(ValueError, match="'weight' must have shape \\[3\\]"):
        ops.cross_entropy(x, T(np.zeros(4, np.int64)), T(np.ones(4, np.float32)))
    with pytest.raises(ValueError, match="'label_smoothing' must be in \\[0, 1\\]"):
        ops.cross_entropy(x, T(np.zeros(4, np.int64)), label_smoothing=1.5)
    with pytest.raises(TypeError, match="nll_loss: 'target' must be an integer tensor"):
        ops.nll_loss(x, T(np.zeros(4, np.float32)))


# --- the other functional losses against numpy formulas --------------------------------------------
def test_binary_losses():
    p = special.expit(rand(3, 4)).astype(np.float32)
    y = (rand(3, 4, seed=1) > 0).astype(np.float32)
    w = np.abs(rand(4, seed=2))
    bce = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    close(ops.binary_cross_entropy(T(p), T(y)), bce.mean())
    close(ops.binary_cross_entropy(T(p), T(y), T(w), reduction="none"), bce * w)
    edge = ops.binary_cross_entropy(T(np.array([0.0, 1.0], np.float32)), T(np.array([1.0, 0.0], np.float32)),
                                    reduction="none")
    close(edge, [100.0, 100.0])
    x = rand(3, 4) * 3
    pw = np.array([1.0, 2.0, 0.5, 3.0], np.float32)
    s = special.expit(x.astype(np.float64))
    want = -(pw * y * np.log(s) + (1 - y) * np.log(1 - s))
    close(ops.binary_cross_entropy_with_logits(T(x), T(y), pos_weight=T(pw), reduction="none"), want, rtol=1e-5)
    close(ops.binary_cross_entropy_with_logits(T(x), T(y), T(w), reduction="sum"),
          (-(y * np.log(s) + (1 - y) * np.log(1 - s)) * w).sum(), rtol=1e-5)


def test_regression_losses():
    a = rand(3, 4)
    b = rand(4, seed=1) * 2
    d = a - b
    close(ops.mse_loss(T(a), T(b)), (d ** 2).mean())
    close(ops.l1_loss(T(a), T(b), reduction="sum"), np.abs(d).sum())
    for beta in (1.0, 0.5):
        want = np.where(np.abs(d) < beta, 0.5 * d ** 2 / beta, np.abs(d) - 0.5 * beta)
        close(ops.smooth_l1_loss(T(a), T(np.broadcast_to(b, a.shape).copy()), beta), want)
    for delta in (1.0, 0.3):
        want = np.where(np.abs(d) <= delta, 0.5 * d ** 2, delta * (np.abs(d) - 0.5 * delta))
        close(ops.huber_loss(T(a), T(b), "none", delta), want)
    with pytest.raises(ValueError, match="smooth_l1_loss: 'beta' must be > 0"):
        ops.smooth_l1_loss(T(a), T(a), beta=0.0)
    with pytest.raises(ValueError, match="mse_loss: 'input' of shape \\[3, 4\\] and 'target' of shape \\[3\\]"):
        ops.mse_loss(T(a), T(rand(3)))


def test_kl_div_reductions():
    logits = np.log(special.softmax(rand(3, 4), axis=1)).astype(np.float32)
    labels = special.softmax(rand(3, 4, seed=1), axis=1).astype(np.float32)
    labels[0, 0] = 0.0
    pointwise = np.where(labels > 0, labels * np.log(np.where(labels > 0, labels, 1)), 0) - labels * logits
    close(ops.kl_div(T(logits), T(labels), "none"), pointwise)
    close(ops.kl_div(T(logits), T(labels)), pointwise.mean())
    close(ops.kl_div(T(logits), T(labels), "batchmean"), pointwise.sum() / 3)
    close(ops.kl_div(T(np.array([0.2, 0.7, 0.1], np.float32)), T(np.array([0., 1., 0.], np.float32))), -0.23333333)
    with pytest.raises(ValueError, match="kl_div: 'reduction' must be one of"):
        ops.kl_div(T(logits), T(labels), "avg")


def test_margin_losses():
    x1, x2 = rand(5), rand(5, seed=1)
    y = np.array([1, -1, 1, -1, 1], np.float32)
    close(ops.margin_ranking_loss(T(x1), T(x2), T(y), 0.3, "none"), np.maximum(0, -y * (x1 - x2) + 0.3))
    close(ops.soft_margin_loss(T(x1), T(y)), np.log1p(np.exp(-y * x1)).mean())
    close(ops.hinge_embedding_loss(T(x1), T(y), 0.5, "none"), np.where(y == 1, x1, np.maximum(0, 0.5 - x1)))
    a, b = rand(4, 3), rand(4, 3, seed=2)
    t = np.array([1, -1, -1, 1], np.float32)
    cos = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    close(ops.cosine_embedding_loss(T(a), T(b), T(t), 0.1, "none"), np.where(t == 1, 1 - cos, np.maximum(0, cos - 0.1)))
    n = rand(4, 3, seed=3)

    def dist(u, v, p):
        return (np.abs(u - v + 1e-6) ** p).sum(-1) ** (1 / p)
    for p in (2, 1, 3):
        close(ops.triplet_margin_loss(T(a), T(b), T(n), margin=0.5, p=p, reduction="none"),
              np.maximum(dist(a, b, p) - dist(a, n, p) + 0.5, 0), rtol=1e-5)
    close(ops.triplet_margin_loss(T(a), T(b), T(n), swap=True, reduction="sum"),
          np.maximum(dist(a, b, 2) - np.minimum(dist(a, n, 2), dist(b, n, 2)) + 1.0, 0).sum(), rtol=1e-5)


def test_multi_class_margin_losses():
    x = rand(3, 4)
    t = np.array([3, 0, 2])
    w = np.array([1.0, 2.0, 0.5, 1.5], np.float32)
    for p in (1, 2):
        want = np.zeros(3)
        for i in range(3):
            for j in range(4):
                if j != t[i]:
                    want[i] += w[t[i]] * max(0.0, 0.7 - x[i, t[i]] + x[i, j]) ** p / 4
        close(ops.multi_margin_loss(T(x), T(t), p=p, margin=0.7, weight=T(w), reduction="none"), want)
    target = np.array([[3, 0, -1, 1], [1, 2, 3, -1], [-1, 0, 0, 0]])
    want = np.zeros(3)
    for i in range(3):
        listed = []
        for k in target[i]:
            if k < 0:
                break
            listed.append(k)
        for j in listed:
            for k in range(4):
                if k not in listed:
                    want[i] += max(0.0, 1 - (x[i, j] - x[i, k])) / 4
    close(ops.multilabel_margin_loss(T(x), T(target), "none"), want)
    y = (rand(3, 4, seed=5) > 0).astype(np.float32)
    s = special.expit(x.astype(np.float64))
    close(ops.multilabel_soft_margin_loss(T(x), T(y), T(w)),
          (-(y * np.log(s) + (1 - y) * np.log(1 - s)) * w).mean(1).mean())


def test_gaussian_nll_loss():
    x, t = rand(4, 3), rand(4, 3, seed=1)
    var = np.abs(rand(4, 3, seed=2)) + 0.1
    base = 0.5 * (np.log(var) + (x - t) ** 2 / var)
    close(ops.gaussian_nll_loss(T(x), T(t), T(var)), base.mean())
    close(ops.gaussian_nll_loss(T(x), T(t), T(var), full=True, reduction="none"), base + 0.5 * math.log(2 * math.pi))
    v1 = var[:, 0]
    close(ops.gaussian_nll_loss(T(x), T(t), T(v1), reduction="sum"),
          (0.5 * (np.log(v1[:, None]) + (x - t) ** 2 / v1[:, None])).sum(), rtol=1e-5)
    tiny = np.full((4, 3), 1e-9, np.float32)
    close(ops.gaussian_nll_loss(T(x), T(t), T(tiny), eps=1e-3, reduction="none"),
          0.5 * (np.log(1e-3) + (x - t) ** 2 / 1e-3), rtol=1e-5)
    g = ms.grad(lambda v: ops.gaussian_nll_loss(T(x), T(t), v, eps=1e-3, reduction="sum"))(T(tiny))
    assert np.all(g.asnumpy() != 0)  # the clamp keeps the gradient flowing, as PyTorch's


# --- torch as a second reference, values and gradients ------------------------------------------------
def _torch_cases(tf, torch):
    x = rand(4, 5)
    t = ints((4,), 5, seed=1)
    p = special.expit(rand(4, 5, seed=2)).astype(np.float32)
    y = (rand(4, 5, seed=3) > 0).astype(np.float32)
    pm = np.where(rand(4, seed=4) > 0, 1, -1).astype(np.float32)
    a, b, n = rand(4, 5, seed=5), rand(4, 5, seed=6), rand(4, 5, seed=7)
    w = np.abs(rand(5, seed=8)) + 0.2
    var = np.abs(rand(4, 5, seed=9)) + 0.2
    ml = np.array([[3, 0, -1, 1, 2], [1, -1, 3, 2, 0], [4, 3, 2, 1, 0], [-1, 0, 0, 0, 0]])
    def L(a):
        a = np.asarray(a)
        return torch.tensor(a.astype(np.float64) if a.dtype.kind == "f" else a)
    return [
        ("cross_entropy", lambda u: ops.cross_entropy(u, T(t), T(w), label_smoothing=0.1),
         lambda u: tf.cross_entropy(u, L(t), weight=L(w), label_smoothing=0.1), x),
        ("cross_entropy_probs", lambda u: ops.cross_entropy(u, T(p / p.sum(1, keepdims=True))),
         lambda u: tf.cross_entropy(u, L(p / p.sum(1, keepdims=True))), x),
        ("nll_loss", lambda u: ops.nll_loss(u, T(t), ignore_index=2, reduction="sum"),
         lambda u: tf.nll_loss(u, L(t), ignore_index=2, reduction="sum"), x),
        ("bce", lambda u: ops.binary_cross_entropy(u, T(y)), lambda u: tf.binary_cross_entropy(u, L(y)), p),
        ("bce_logits", lambda u: ops.binary_cross_entropy_with_logits(u, T(y), pos_weight=T(w)),
         lambda u: tf.binary_cross_entropy_with_logits(u, L(y), pos_weight=L(w)), x),
        ("smooth_l1", lambda u: ops.smooth_l1_loss(u, T(b), beta=0.5, reduction="mean"),
         lambda u: tf.smooth_l1_loss(u, L(b), beta=0.5), x),
        ("huber", lambda u: ops.huber_loss(u, T(b), delta=0.7), lambda u: tf.huber_loss(u, L(b), delta=0.7), x),
        ("kl_div", lambda u: ops.kl_div(u, T(p), "batchmean"), lambda u: tf.kl_div(u, L(p), reduction="batchmean"), x),
        ("soft_margin", lambda u: ops.soft_margin_loss(u, T(np.sign(b))),
         lambda u: tf.soft_margin_loss(u, L(np.sign(b))), x),
        ("margin_ranking", lambda u: ops.margin_ranking_loss(u, T(b), T(np.sign(b)), 0.2),
         lambda u: tf.margin_ranking_loss(u, L(b), L(np.sign(b)), margin=0.2), a),
        ("hinge_embedding", lambda u: ops.hinge_embedding_loss(u, T(np.sign(b)), 0.5),
         lambda u: tf.hinge_embedding_loss(u, L(np.sign(b)), margin=0.5), a),
        ("cosine_embedding", lambda u: ops.cosine_embedding_loss(u, T(b), T(pm), 0.1),
         lambda u: tf.cosine_embedding_loss(u, L(b), L(pm), margin=0.1), a),
        ("triplet", lambda u: ops.triplet_margin_loss(u, T(b), T(n), swap=True),
         lambda u: tf.triplet_margin_loss(u, L(b), L(n), swap=True), a),
        ("multi_margin", lambda u: ops.multi_margin_loss(u, T(t), p=2, margin=0.8, weight=T(w)),
         lambda u: tf.multi_margin_loss(u, L(t), p=2, margin=0.8, weight=L(w)), x),
        ("multilabel_margin", lambda u: ops.multilabel_margin_loss(u, T(ml)),
         lambda u: tf.multilabel_margin_loss(u, L(ml)), x),
        ("multilabel_soft_margin", lambda u: ops.multilabel_soft_margin_loss(u, T(y), T(w)),
         lambda u: tf.multilabel_soft_margin_loss(u, L(y), weight=L(w)), x),
        ("gaussian_nll", lambda u: ops.gaussian_nll_loss(u, T(b), T(var), full=True),
         lambda u: tf.gaussian_nll_loss(u, L(b), L(var), full=True), a),
    ]


def test_losses_match_torch_values_and_gradients():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    for name, ours, theirs, x in _torch_cases(tf, torch):
        x64 = x.astype(np.float64)
        tx = torch.tensor(x64, requires_grad=True)
        want = theirs(tx)
        want.backward()
        value, grad = ms.value_and_grad(ours)(T(x64))
        np.testing.assert_allclose(value.asnumpy(), want.detach().numpy(), rtol=1e-6, atol=1e-8, err_msg=name)
        np.testing.assert_allclose(grad.asnumpy(), tx.grad.numpy(), rtol=1e-6, atol=1e-8, err_msg=name)


# --- the Cells -------------------------------------------------------------------------------------
def test_cell_defaults():
    assert nn.SmoothL1Loss().reduction == "none"
    assert nn.SoftmaxCrossEntropyWithLogits().reduction == "none"
    assert nn.SoftmaxCrossEntropyWithLogits().sparse is False
    assert nn.CrossEntropyLoss().ignore_index == -100
    assert nn.HuberLoss().delta == 1.0
    assert nn.MSELoss().reduction == "mean"
    for cls in (nn.MSELoss, nn.L1Loss, nn.BCELoss, nn.CrossEntropyLoss, nn.NLLLoss, nn.SmoothL1Loss):
        with pytest.raises(ValueError, match=f"{cls.__name__}: 'reduction' must be one of"):
            cls(reduction="avg")


def test_mindspore_documented_examples():
    close(nn.L1Loss()(T(np.array([1, 2, 3], np.float32)), T(np.array([1, 2, 2], np.float32))), 0.33333334)
    close(nn.MSELoss()(T(np.array([1, 2, 3], np.float32)), T(np.array([1, 1, 1], np.float32))), 1.6666667)
    out = nn.MSELoss(reduction="none")(T(np.array([1, 2, 3], np.float32)),
                                       T(np.array([[1, 1, 1], [1, 2, 2]], np.float32)))
    close(out, [[0, 1, 4], [0, 0, 1]])
    close(nn.RMSELoss()(T(np.array([1, 2, 3], np.float32)), T(np.array([1, 2, 2], np.float32))), 0.57735026)
    logits = T(np.array([[2, 4, 1, 4, 5], [2, 1, 2, 4, 3]], np.float32))
    labels = T(np.array([[0, 0, 0, 0, 1], [0, 0, 0, 1, 0]], np.float32))
    close(nn.SoftmaxCrossEntropyWithLogits()(logits, labels), [0.5899297, 0.52374405])
    sparse = nn.SoftmaxCrossEntropyWithLogits(sparse=True)
    close(sparse(T(np.array([[3, 5, 6, 9, 12, 33, 42, 12, 32, 72]], np.float32)), T(np.array([1], np.int32))), [67.0])
    focal = nn.FocalLoss(weight=T([1, 2]), gamma=2.0, reduction="mean")
    close(focal(T([[0.8, 1.4], [0.5, 0.9], [1.2, 0.9]], ms.float32), T([[1], [1], [0]], ms.int32)), 0.12516622)
    dice = nn.DiceLoss(smooth=1e-5)
    close(dice(T([[0.2, 0.5], [0.3, 0.1], [0.9, 0.6]], ms.float32), T([[0, 1], [1, 0], [0, 1]], ms.float32)),
          0.38596618)
    multi = nn.MultiClassDiceLoss(weights=None, ignore_indiex=None, activation="softmax")
    close(multi(T([[0.2, 0.5, 0.7], [0.3, 0.1, 0.5], [0.9, 0.6, 0.3]], ms.float32),
                T([[0, 1, 0], [1, 0, 0], [0, 0, 1]], ms.float32)), 0.54958105)


def test_cells_delegate_to_the_functional_losses():
    x = rand(4, 3)
    t = ints((4,), 3)
    close(nn.CrossEntropyLoss(label_smoothing=0.1)(T(x), T(t)),
          ops.cross_entropy(T(x), T(t), label_smoothing=0.1).asnumpy())
    close(nn.NLLLoss(reduction="sum")(T(x), T(t)), ops.nll_loss(T(x), T(t), reduction="sum").asnumpy())
    y = (rand(4, 3, seed=1) > 0).astype(np.float32)
    close(nn.BCEWithLogitsLoss()(T(x), T(y)), ops.binary_cross_entropy_with_logits(T(x), T(y)).asnumpy())
    close(nn.KLDivLoss("batchmean")(T(x), T(np.abs(x))), ops.kl_div(T(x), T(np.abs(x)), "batchmean").asnumpy())
    close(nn.TripletMarginLoss()(T(x), T(x * 2), T(-x), 0.5),
          ops.triplet_margin_loss(T(x), T(x * 2), T(-x), 0.5).asnumpy())
    close(nn.MAELoss(reduction="sum")(T(x), T(y)), np.abs(x - y).sum())


def test_poisson_nll_loss_cell():
    x = rand(3, 4)
    t = np.abs(rand(3, 4, seed=1)) * 3
    close(nn.PoissonNLLLoss()(T(x), T(t)), (np.exp(x) - t * x).mean(), rtol=1e-5)
    xp = np.abs(x) + 0.1
    big = np.where(t > 1, t, 1)
    stirling = np.where(t > 1, big * np.log(big) - big + 0.5 * np.log(2 * np.pi * big), 0)
    close(nn.PoissonNLLLoss(log_input=False, full=True, reduction="sum")(T(xp), T(t)),
          (xp - t * np.log(xp + 1e-8) + stirling).sum(), rtol=1e-5)


def test_cell_errors():
    msg = "SoftmaxCrossEntropyWithLogits: with sparse=True 'labels' must be int32 or int64"
    with pytest.raises(TypeError, match=msg):
        nn.SoftmaxCrossEntropyWithLogits(sparse=True)(T(rand(2, 3)), T(np.zeros(2, np.float32)))
    with pytest.raises(ValueError, match="SoftmaxCrossEntropyWithLogits: 'labels' must have the logits' shape"):
        nn.SoftmaxCrossEntropyWithLogits()(T(rand(2, 3)), T(rand(2, 4)))
    with pytest.raises(TypeError, match="MSELoss: 'logits' must be a Tensor"):
        nn.MSELoss()(np.zeros(3), T(rand(3)))
    with pytest.raises(TypeError, match="CrossEntropyLoss: 'weight' must be a Tensor or None"):
        nn.CrossEntropyLoss(weight=[1.0, 2.0])
    with pytest.raises(ValueError, match="CosineEmbeddingLoss: 'margin' must be in \\[-1, 1\\]"):
        nn.CosineEmbeddingLoss(margin=2.0)
    with pytest.raises(ValueError, match="DiceLoss: 'logits' and 'label' must have one shape"):
        nn.DiceLoss()(T(rand(2, 3)), T(rand(3, 2)))


def test_loss_cell_trains_a_parameter():
    w = ms.Parameter(T(np.zeros((3, 4), np.float32)), name="w")
    x = T(rand(8, 3))
    t = T(ints((8,), 4, seed=2))
    loss_fn = nn.CrossEntropyLoss()

    def step():
        return loss_fn(ops.matmul(x, w), t)
    first = step().asnumpy()
    for _ in range(20):
        _, g = ms.value_and_grad(step, None, [w])()
        w.set_data(T(w.asnumpy() - 0.5 * g[0].asnumpy()))
    assert step().asnumpy() < first * 0.7


# --- CTC ---------------------------------------------------------------------------------------------
def _ctc_inputs():
    logits = rand(12, 3, 5, seed=11).astype(np.float64)
    targets = np.array([[1, 2, 2, 4], [3, 1, 0, 0], [4, 4, 4, 1]])
    return logits, targets, np.array([12, 9, 10]), np.array([4, 2, 3])


def test_ctc_loss_matches_torch_values_and_gradients():
    torch = pytest.importorskip("torch")
    logits, targets, il, tl = _ctc_inputs()
    for reduction in ("none", "mean", "sum"):
        tz = torch.tensor(logits, requires_grad=True)
        want = torch.nn.functional.ctc_loss(tz.log_softmax(-1), torch.tensor(targets), torch.tensor(il),
                                            torch.tensor(tl), blank=0, reduction=reduction)
        want.backward(torch.ones_like(want))

        def f(z, reduction=reduction):
            return ops.ctc_loss(ops.log_softmax(z, -1), T(targets), T(il), T(tl), 0, reduction)[0]
        value, grad = ms.value_and_grad(f)(T(logits))
        np.testing.assert_allclose(value.asnumpy(), want.detach().numpy(), rtol=1e-7, err_msg=reduction)
        np.testing.assert_allclose(grad.asnumpy(), tz.grad.numpy(), rtol=1e-6, atol=1e-9, err_msg=reduction)


def test_ctc_loss_outputs_cell_and_errors():
    logits, targets, il, tl = _ctc_inputs()
    lp = T(special.log_softmax(logits, -1).astype(np.float32))
    nll, log_alpha = ops.ctc_loss(lp, T(targets), tuple(il), tuple(tl), reduction="none")
    assert nll.shape == (3,) and log_alpha.shape == (3, 12, 9)
    # the loss is -logsumexp of the last two forward variables at each sample's last step
    la = log_alpha.asnumpy()
    for b in range(3):
        end = 2 * tl[b]
        np.testing.assert_allclose(-np.logaddexp(la[b, il[b] - 1, end], la[b, il[b] - 1, end - 1]), nll.asnumpy()[b],
                                   rtol=1e-5)
    cell = nn.CTCLoss()
    np.testing.assert_allclose(cell(lp, T(targets), T(il), T(tl)).asnumpy(), (nll.asnumpy() / tl).mean(), rtol=1e-5)
    short = T(np.array([1, 9, 10]))
    inf_loss, _ = ops.ctc_loss(lp, T(targets), short, T(tl), reduction="none")
    assert np.isinf(inf_loss.asnumpy()[0])
    zeroed, _ = ops.ctc_loss(lp, T(targets), short, T(tl), reduction="none", zero_infinity=True)
    assert zeroed.asnumpy()[0] == 0.0
    with pytest.raises(ValueError, match="ctc_loss: 'log_probs' must be 3-D"):
        ops.ctc_loss(T(rand(3, 4)), T(targets), T(il), T(tl))
    with pytest.raises(ValueError, match="ctc_loss: 'blank' must be an int in \\[0, 5\\)"):
        ops.ctc_loss(lp, T(targets), T(il), T(tl), blank=5)
    with pytest.raises(ValueError, match="ctc_loss: 'input_lengths' must have shape \\[3\\]"):
        ops.ctc_loss(lp, T(targets), T(il[:2]), T(tl))
    with pytest.raises(TypeError, match="ctc_loss: 'targets' must be an int32 or int64 tensor"):
        ops.ctc_loss(lp, T(targets.astype(np.float32)), T(il), T(tl))


def test_triplet_margin_with_distance_and_ext_losses():
    a, p, n = rand(4, 3), rand(4, 3, seed=1), rand(4, 3, seed=2)

    def d(u, v):
        return np.sqrt(((u - v + 1e-6) ** 2).sum(-1))
    close(nn.TripletMarginWithDistanceLoss(reduction="none")(T(a), T(p), T(n)), np.maximum(d(a, p) - d(a, n) + 1, 0),
          rtol=1e-5)
    l1 = nn.TripletMarginWithDistanceLoss(distance_function=lambda u, v: ops.sum(ops.abs(u - v), 1), swap=True,
                                          margin=0.5, reduction="sum")
    d1 = np.abs(a - p).sum(1)
    dn = np.minimum(np.abs(a - n).sum(1), np.abs(p - n).sum(1))
    close(l1(T(a), T(p), T(n)), np.maximum(d1 - dn + 0.5, 0).sum(), rtol=1e-5)
    with pytest.raises(TypeError, match="'distance_function' must be callable"):
        nn.TripletMarginWithDistanceLoss(distance_function=3)
    close(nn.L1LossExt()(T(a), T(p)), np.abs(a - p).mean())
    close(ops.mse_loss_ext(T(a), T(p[0])), ((a - p[0]) ** 2).mean())


def _numeric_grad(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[idx] += eps
        down[idx] -= eps
        g[idx] = (float(f(T(up)).asnumpy()) - float(f(T(down)).asnumpy())) / (2 * eps)
    return g


@pytest.mark.parametrize("name", ["focal_index", "focal_onehot", "dice", "multiclass_dice", "poisson", "rmse",
                                  "sce_dense", "sce_sparse"])
def test_cell_gradients_match_finite_differences(name):
    x = rand(3, 4, seed=21).astype(np.float64)
    y = (rand(3, 4, seed=22) > 0).astype(np.float64)
    cells = {
        "focal_index": (nn.FocalLoss(weight=T(np.array([1.0, 2.0, 0.5, 1.0])), gamma=2.0),
                        T(np.array([[1], [3], [0]]))),
        "focal_onehot": (nn.FocalLoss(gamma=1.5), T(np.eye(4)[[1, 3, 0]].astype(np.float32))),
        "dice": (nn.DiceLoss(), T(y)),
        "multiclass_dice": (nn.MultiClassDiceLoss(), T(np.eye(4)[[1, 3, 0]])),
        "poisson": (nn.PoissonNLLLoss(), T(np.abs(y) * 2)),
        "rmse": (nn.RMSELoss(), T(y)),
        "sce_dense": (nn.SoftmaxCrossEntropyWithLogits(reduction="mean"), T(np.eye(4)[[1, 3, 0]])),
        "sce_sparse": (nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="sum"), T(np.array([1, 3, 0]))),
    }
    cell, labels = cells[name]

    def f(t):
        return cell(t, labels)
    got = ms.grad(f)(T(x)).asnumpy()
    # LossBase.get_loss reduces in float32 (as MindSpore does), so the differences use a wide step
    np.testing.assert_allclose(got, _numeric_grad(f, x, eps=1e-3), rtol=2e-3, atol=1e-4)


# --- sampled softmax ------------------------------------------------------------------------------
def ref_sampled_softmax(w, b, labels, x, sampled, true_count, sampled_count, remove_hits=True):
    n, num_true = labels.shape
    true_logits = np.einsum("nd,ntd->nt", x, w[labels]) + b[labels] - np.log(true_count)
    sampled_logits = x @ w[sampled].T + b[sampled] - np.log(sampled_count)
    if remove_hits:
        for i in range(n):
            for j, s in enumerate(sampled):
                if s in labels[i]:
                    sampled_logits[i, j] = -1e30
    logits = np.concatenate([true_logits, sampled_logits], 1)
    targets = np.concatenate([np.full((n, num_true), 1.0 / num_true), np.zeros_like(sampled_logits)], 1)
    return -(targets * special.log_softmax(logits, axis=1)).sum(1)


def test_sampled_softmax_loss_with_given_samples():
    w, b = rand(10, 4, seed=1).astype(np.float64), rand(10, seed=2).astype(np.float64)
    x = rand(3, 4, seed=3).astype(np.float64)
    labels = np.array([[1, 4], [2, 0], [7, 7]])
    sampled = np.array([0, 3, 7, 9])
    tc = np.abs(rand(3, 2, seed=4)).astype(np.float32) + 0.1
    sc = np.abs(rand(4, seed=5)).astype(np.float32) + 0.1
    loss = nn.SampledSoftmaxLoss(4, 10, num_true=2, sampled_values=(T(sampled), T(tc), T(sc)))
    got = loss(T(w), T(b), T(labels), T(x))
    close(got, ref_sampled_softmax(w, b, labels, x, sampled, tc, sc), rtol=1e-5)
    keep = nn.SampledSoftmaxLoss(4, 10, num_true=2, sampled_values=(T(sampled), T(tc), T(sc)),
                                 remove_accidental_hits=False, reduction="sum")
    close(keep(T(w), T(b), T(labels), T(x)), ref_sampled_softmax(w, b, labels, x, sampled, tc, sc, False).sum(),
          rtol=1e-5)

    def f(t):
        return loss(T(w), T(b), T(labels), t)
    g = ms.grad(lambda t: ops.sum(f(t)))(T(x)).asnumpy()
    np.testing.assert_allclose(g, _numeric_grad(lambda t: ops.sum(f(t)), x, eps=1e-3), rtol=2e-3, atol=1e-4)


def test_sampled_softmax_loss_sampler():
    ms.set_seed(4)
    labels = T(np.array([[0], [5], [99]]))
    loss = nn.SampledSoftmaxLoss(num_sampled=20, num_classes=100)
    out = loss(T(rand(100, 8)), T(rand(100)), labels, T(rand(3, 8, seed=1)))
    assert out.shape == (3,) and np.all(np.isfinite(out.asnumpy()))
    from sporen.ops.loss_ops import log_uniform_candidates_p
    counts = np.zeros(50)
    for _ in range(200):
        sampled, tc, sc = log_uniform_candidates_p(labels, num_true=1, num_sampled=5, unique=True, range_max=50,
                                                   seed=0)
        s = sampled.asnumpy()
        assert len(set(s.tolist())) == 5 and s.min() >= 0 and s.max() < 50
        counts[s] += 1
        assert np.all((sc.asnumpy() > 0) & (sc.asnumpy() <= 1))
    assert counts[0] > counts[10] > counts[45]  # the log-uniform distribution favours small ids
    with pytest.raises(ValueError, match="'num_sampled' \\(20\\) must not exceed 'num_classes' \\(10\\)"):
        nn.SampledSoftmaxLoss(20, 10)
    with pytest.raises(TypeError, match="SampledSoftmaxLoss: 'labels' must be int32 or int64"):
        nn.SampledSoftmaxLoss(2, 10)(T(rand(10, 2)), T(rand(10)), T(np.zeros((2, 1), np.float32)), T(rand(2, 2)))
