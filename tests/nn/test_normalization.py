"""Normalization layers against numpy formulas: batch statistics in training, moving statistics
in inference, MindSpore's momentum convention, parameter names and gradients."""
import numpy as np
import pytest

import sporen as ms
from sporen import Tensor, nn, ops

RNG = np.random.default_rng(2)


def rand(*shape, scale=1.0, shift=0.0):
    return (RNG.normal(size=shape) * scale + shift).astype(np.float32)


def bn_ref(x, mean, var, gamma, beta, eps):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * gamma.reshape(shape) + beta.reshape(shape)


@pytest.mark.parametrize("cls,shape", [(nn.BatchNorm1d, (8, 3)), (nn.BatchNorm1d, (4, 3, 5)),
                                       (nn.BatchNorm2d, (4, 3, 5, 2)), (nn.BatchNorm3d, (2, 3, 2, 3, 2))])
def test_batch_norm_train_and_eval(cls, shape):
    x = rand(*shape, scale=2.0, shift=1.0)
    bn = cls(3, momentum=0.8, gamma_init=Tensor(np.array([1.0, 2.0, 0.5], np.float32)), beta_init=0.25)
    axes = (0,) + tuple(range(2, len(shape)))
    n = x.size // 3
    bn.set_train()
    out = bn(Tensor(x)).asnumpy()
    mean = x.mean(axes)
    var = x.var(axes)
    np.testing.assert_allclose(out, bn_ref(x, mean, var, np.array([1.0, 2.0, 0.5]), np.full(3, 0.25), 1e-5),
                               rtol=1e-4, atol=1e-5)
    # MindSpore's momentum is the share kept: moving = 0.8 * moving + 0.2 * batch
    np.testing.assert_allclose(bn.moving_mean.asnumpy(), 0.2 * mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn.moving_variance.asnumpy(), 0.8 + 0.2 * var * n / (n - 1), rtol=1e-5)
    bn.set_train(False)
    mm = bn.moving_mean.asnumpy().copy()
    mv = bn.moving_variance.asnumpy().copy()
    out_eval = bn(Tensor(x)).asnumpy()
    np.testing.assert_allclose(out_eval, bn_ref(x, mm, mv, np.array([1.0, 2.0, 0.5]), np.full(3, 0.25), 1e-5),
                               rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(bn.moving_mean.asnumpy(), mm)


def test_batch_norm_parameters_and_gradients():
    bn = nn.BatchNorm2d(2)
    assert [p.name for p in bn.get_parameters()] == ["moving_mean", "moving_variance", "gamma", "beta"]
    assert [p.name for p in bn.trainable_params()] == ["gamma", "beta"]
    np.testing.assert_array_equal(bn.moving_variance.asnumpy(), [1, 1])
    assert bn.momentum == pytest.approx(0.1)

    class Net(nn.Cell):
        def __init__(self):
            super().__init__()
            self.bn = nn.BatchNorm2d(2)

        def construct(self, x, r):
            return ops.sum(self.bn(x) * r)

    net = Net().set_train()
    assert [p.name for p in net.trainable_params()] == ["bn.gamma", "bn.beta"]
    x = rand(3, 2, 2, 2)
    r = rand(3, 2, 2, 2)
    gg, gb = ms.grad(net, None, net.trainable_params())(Tensor(x), Tensor(r))
    xhat = (x - x.mean((0, 2, 3), keepdims=True)) / np.sqrt(x.var((0, 2, 3), keepdims=True) + 1e-5)
    np.testing.assert_allclose(gg.asnumpy(), (r * xhat).sum((0, 2, 3)), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(gb.asnumpy(), r.sum((0, 2, 3)), rtol=1e-5, atol=1e-6)
    frozen = nn.BatchNorm2d(2, affine=False)
    assert frozen.trainable_params() == []


def test_use_batch_statistics_overrides_mode():
    x = rand(4, 2, 3, 3, shift=3.0)
    fixed = nn.BatchNorm2d(2, use_batch_statistics=False).set_train()
    np.testing.assert_allclose(fixed(Tensor(x)).asnumpy(), x / np.sqrt(1 + 1e-5), rtol=1e-5)
    np.testing.assert_array_equal(fixed.moving_mean.asnumpy(), [0, 0])
    batch = nn.BatchNorm2d(2, use_batch_statistics=True)
    out = batch(Tensor(x)).asnumpy()
    assert np.abs(out.mean((0, 2, 3))).max() < 1e-5
    assert np.abs(batch.moving_mean.asnumpy()).max() > 0


def test_batch_norm_errors():
    with pytest.raises(ValueError, match="BatchNorm2d: 'num_features' must be a positive int, got 0"):
        nn.BatchNorm2d(0)
    with pytest.raises(ValueError, match="momentum"):
        nn.BatchNorm2d(3, momentum=1.5)
    with pytest.raises(ValueError, match="use_batch_statistics"):
        nn.BatchNorm2d(3, use_batch_statistics=1)
    with pytest.raises(ValueError, match="4-D"):
        nn.BatchNorm2d(3)(Tensor(rand(2, 3)))
    with pytest.raises(ValueError, match="channels"):
        nn.BatchNorm1d(3)(Tensor(rand(2, 4)))


def test_layer_norm():
    x = rand(2, 3, 4, scale=3.0)
    ln = nn.LayerNorm((4,))
    assert ln.epsilon == 1e-7
    mean = x.mean(-1, keepdims=True)
    var = x.var(-1, keepdims=True)
    np.testing.assert_allclose(ln(Tensor(x)).asnumpy(), (x - mean) / np.sqrt(var + 1e-7), rtol=1e-4, atol=1e-5)
    wide = nn.LayerNorm((3, 4), begin_norm_axis=1, begin_params_axis=1, gamma_init=2.0, beta_init=1.0, epsilon=1e-5)
    mean = x.mean((1, 2), keepdims=True)
    var = x.var((1, 2), keepdims=True)
    np.testing.assert_allclose(wide(Tensor(x)).asnumpy(), (x - mean) / np.sqrt(var + 1e-5) * 2 + 1, rtol=1e-4,
                               atol=1e-5)
    gamma = Tensor(np.arange(4.0, dtype=np.float32))
    split = nn.LayerNorm((4,), begin_norm_axis=1, begin_params_axis=-1, gamma_init=gamma)
    np.testing.assert_allclose(split(Tensor(x)).asnumpy(), (x - mean) / np.sqrt(var + 1e-7) * np.arange(4.0),
                               rtol=1e-4, atol=1e-5)
    r = rand(2, 3, 4)
    gg, gb = ms.grad(lambda a: ops.sum(ln(a) * Tensor(r)), None, ln.trainable_params())(Tensor(x))
    xhat = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-7)
    np.testing.assert_allclose(gg.asnumpy(), (r * xhat).sum((0, 1)), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(gb.asnumpy(), r.sum((0, 1)), rtol=1e-5, atol=1e-6)
    with pytest.raises(TypeError, match="normalized_shape"):
        nn.LayerNorm(4)
    with pytest.raises(ValueError, match="normalized_shape"):
        ln(Tensor(rand(2, 5)))


def test_group_norm_and_instance_norm():
    x = rand(2, 6, 3, 2, scale=2.0, shift=-1.0)
    gn = nn.GroupNorm(3, 6, gamma_init=Tensor(np.arange(1.0, 7.0, dtype=np.float32)), beta_init=0.5)
    g = x.reshape(2, 3, -1)
    ref = ((g - g.mean(-1, keepdims=True)) / np.sqrt(g.var(-1, keepdims=True) + 1e-5)).reshape(x.shape)
    ref = ref * np.arange(1.0, 7.0).reshape(1, 6, 1, 1) + 0.5
    np.testing.assert_allclose(gn(Tensor(x)).asnumpy(), ref, rtol=1e-4, atol=1e-5)
    grads = ms.grad(lambda a: ops.sum(gn(a)), None, gn.trainable_params())(Tensor(x))
    np.testing.assert_allclose(grads[1].asnumpy(), np.full(6, 12.0))
    with pytest.raises(ValueError, match="divisible"):
        nn.GroupNorm(4, 6)
    inorm = nn.InstanceNorm2d(6)
    flat = x.reshape(2, 6, -1)
    ref_in = ((flat - flat.mean(-1, keepdims=True)) / np.sqrt(flat.var(-1, keepdims=True) + 1e-5)).reshape(x.shape)
    np.testing.assert_allclose(inorm(Tensor(x)).asnumpy(), ref_in, rtol=1e-4, atol=1e-5)
    x1 = rand(2, 3, 5)
    ref1 = (x1 - x1.mean(-1, keepdims=True)) / np.sqrt(x1.var(-1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(nn.InstanceNorm1d(3)(Tensor(x1)).asnumpy(), ref1, rtol=1e-4, atol=1e-5)
    assert nn.InstanceNorm3d(3)(Tensor(rand(1, 3, 2, 2, 2))).shape == (1, 3, 2, 2, 2)
    with pytest.raises(ValueError, match="4-D"):
        inorm(Tensor(rand(2, 6, 3)))


def numeric_input_grad(fn, x, r, eps=1e-6):
    g = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        xp = x.copy()
        xp[idx] += eps
        xm = x.copy()
        xm[idx] -= eps
        g[idx] = ((fn(Tensor(xp)).asnumpy() * r).sum() - (fn(Tensor(xm)).asnumpy() * r).sum()) / (2 * eps)
    return g


@pytest.mark.parametrize("make,shape", [
    (lambda: nn.BatchNorm2d(2, use_batch_statistics=True, gamma_init=1.5, dtype=ms.float64), (3, 2, 2, 2)),
    (lambda: nn.BatchNorm1d(3, dtype=ms.float64), (4, 3)),
    (lambda: nn.LayerNorm((4,), begin_norm_axis=1, begin_params_axis=2, gamma_init=2.0, dtype=ms.float64), (2, 3, 4)),
    (lambda: nn.GroupNorm(2, 4, dtype=ms.float64), (2, 4, 3)),
    (lambda: nn.InstanceNorm1d(2, dtype=ms.float64), (2, 2, 5)),
])
def test_input_gradients_match_central_differences(make, shape):
    net = make()
    x = RNG.normal(size=shape) * 2 + 1
    r = RNG.normal(size=shape)
    g = ms.grad(lambda a: ops.sum(net(a) * Tensor(r)))(Tensor(x))
    # the statistics update is a side effect; the output does not depend on it here
    np.testing.assert_allclose(g.asnumpy(), numeric_input_grad(net, x, r), rtol=1e-5, atol=1e-7)


def test_batch_norm_under_to_float_keeps_float32_statistics():
    net = nn.SequentialCell([nn.Dense(3, 4), nn.BatchNorm1d(4)]).to_float(ms.float16)
    net.set_train()
    x = rand(8, 3)
    out = net(Tensor(x))
    assert out.dtype == ms.float16
    bn = net[1]
    assert bn.moving_mean.dtype == ms.float32
    # the running mean moved towards the batch mean of the dense output
    h = x @ net[0].weight.asnumpy().T + net[0].bias.asnumpy()
    np.testing.assert_allclose(bn.moving_mean.asnumpy(), 0.1 * h.mean(0), rtol=2e-2, atol=2e-3)
    grads = ms.grad(lambda a: ops.sum(net(a)), None, net.trainable_params())(Tensor(x))
    assert all(g.dtype == ms.float32 for g in grads)
