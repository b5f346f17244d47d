"""Training wrappers: WithLossCell, WithEvalCell, WithGradCell, ForwardValueAndGrad, TrainOneStepCell
(a tiny model trains; one step equals the hand-computed gradient step) and loss scaling."""
import numpy as np
import pytest

import sporen as ms
from sporen import nn, ops, Parameter, Tensor


class Linear(nn.Cell):
    """y = sum(x * w, 1) + b, written with elementwise ops only."""

    def __init__(self):
        super().__init__()
        self.w = Parameter(np.array([0.5, -0.3, 0.2], np.float32), name="w")
        self.b = Parameter(np.array(0.1, np.float32), name="b")

    def construct(self, x):
        return ops.reduce_sum(x * self.w, 1) + self.b


class MSE(nn.Cell):
    def construct(self, pred, label):
        d = pred - label
        return ops.mean(d * d)


def data(n=16, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype(np.float32)
    y = (x @ np.array([2.0, -1.0, 0.5]) + 0.3).astype(np.float32)
    return Tensor(x), Tensor(y)


def mse_grads(w, b, x, y):
    """d/dw, d/db of mean((x w + b - y)^2), by hand."""
    r = x @ w + b - y
    return 2 * x.T @ r / len(y), 2 * r.mean()


def test_with_loss_cell():
    net = Linear()
    loss_net = nn.WithLossCell(net, MSE())
    x, y = data()
    want = np.mean((x.asnumpy() @ net.w.asnumpy() + 0.1 - y.asnumpy()) ** 2)
    np.testing.assert_allclose(loss_net(x, y).asnumpy(), want, rtol=1e-6)
    assert loss_net.backbone_network is net
    assert [p.name for p in loss_net.trainable_params()] == ["w", "b"]  # no prefix added


def test_with_eval_cell_casts_to_float32():
    class Half(nn.Cell):
        def construct(self, x):
            return ops.cast(x, ms.float16)

    x = Tensor(np.array([1.0, 2.0], np.float32))
    label = Tensor(np.array([1.0, 1.0], np.float16))
    loss, out, lab = nn.WithEvalCell(Half(), MSE(), add_cast_fp32=True)(x, label)
    assert out.dtype == ms.float32 and lab.dtype == ms.float32
    np.testing.assert_allclose(loss.asnumpy(), 0.5)
    _, out16, _ = nn.WithEvalCell(Half(), MSE())(x, label)
    assert out16.dtype == ms.float16


def test_train_one_step_equals_hand_gradient_step():
    net = Linear()
    x, y = data()
    w0, b0 = net.w.asnumpy().astype(np.float64), float(net.b.asnumpy())
    opt = nn.SGD(net.trainable_params(), learning_rate=0.1)
    step = nn.TrainOneStepCell(nn.WithLossCell(net, MSE()), opt)
    loss = step(x, y)
    gw, gb = mse_grads(w0, b0, x.asnumpy().astype(np.float64), y.asnumpy().astype(np.float64))
    np.testing.assert_allclose(loss.asnumpy(), np.mean((x.asnumpy() @ w0 + b0 - y.asnumpy()) ** 2), rtol=1e-5)
    np.testing.assert_allclose(net.w.asnumpy(), w0 - np.float32(0.1) * gw, rtol=1e-5)
    np.testing.assert_allclose(net.b.asnumpy(), b0 - np.float32(0.1) * gb, rtol=1e-5)


def test_tiny_model_loss_decreases():
    net = Linear()
    x, y = data(64)
    step = nn.TrainOneStepCell(nn.WithLossCell(net, MSE()), nn.Adam(net.trainable_params(), learning_rate=0.05))
    step.set_train()
    losses = [float(step(x, y).asnumpy()) for _ in range(150)]
    assert losses[-1] < 0.01 * losses[0]
    assert losses[0] > losses[25] > losses[75] > losses[-1]
    np.testing.assert_allclose(net.w.asnumpy(), [2.0, -1.0, 0.5], atol=0.05)


def test_train_one_step_sens_and_return_grad():
    x, y = data()
    ref_net = Linear()
    ref = nn.TrainOneStepCell(nn.WithLossCell(ref_net, MSE()), nn.SGD(ref_net.trainable_params(), learning_rate=0.1),
                              return_grad=True)
    loss, grads = ref(x, y)
    assert set(grads) == {"w", "b"}
    net = Linear()
    scaled = nn.TrainOneStepCell(nn.WithLossCell(net, MSE()), nn.SGD(net.trainable_params(), learning_rate=0.1),
                                 sens=2.0, return_grad=True)
    loss2, grads2 = scaled(x, y)
    np.testing.assert_allclose(loss2.asnumpy(), loss.asnumpy())
    np.testing.assert_allclose(grads2["w"].asnumpy(), 2 * grads["w"].asnumpy(), rtol=1e-6)
    w0 = Linear().w.asnumpy()
    np.testing.assert_allclose(net.w.asnumpy() - w0, 2 * (ref_net.w.asnumpy() - w0), rtol=1e-5)


def test_train_one_step_errors():
    net = nn.WithLossCell(Linear(), MSE())
    opt = nn.SGD(net.trainable_params())
    with pytest.raises(TypeError, match="network"):
        nn.TrainOneStepCell(lambda x: x, opt)
    with pytest.raises(ValueError, match="sens"):
        nn.TrainOneStepCell(net, opt, sens=0)
    with pytest.raises(TypeError, match="sens"):
        nn.TrainOneStepCell(net, opt, sens="1")


def test_train_one_step_checkpointable_state():
    net = Linear()
    step = nn.TrainOneStepCell(nn.WithLossCell(net, MSE()), nn.Momentum(net.trainable_params(), 0.1, 0.9))
    names = [p.name for p in step.get_parameters()]
    assert names[:2] == ["w", "b"]
    assert {"moments.w", "moments.b", "learning_rate", "momentum", "global_step"} <= set(names)


def test_with_grad_cell_and_forward_value_and_grad():
    net = Linear()
    x, y = data()
    w0, b0 = net.w.asnumpy().astype(np.float64), float(net.b.asnumpy())
    gw, gb = mse_grads(w0, b0, x.asnumpy().astype(np.float64), y.asnumpy().astype(np.float64))
    grads = nn.WithGradCell(net, MSE())(x, y)
    np.testing.assert_allclose(grads[0].asnumpy(), gw, rtol=1e-5)
    np.testing.assert_allclose(grads[1].asnumpy(), gb, rtol=1e-5)
    loss_net = nn.WithLossCell(net, MSE())
    fvg = nn.ForwardValueAndGrad(loss_net, weights=net.trainable_params(), get_by_list=True)
    loss, wgrads = fvg(x, y)
    np.testing.assert_allclose(loss.asnumpy(), np.mean((x.asnumpy() @ w0 + b0 - y.asnumpy()) ** 2), rtol=1e-5)
    np.testing.assert_allclose(wgrads[0].asnumpy(), gw, rtol=1e-5)
    both = nn.ForwardValueAndGrad(loss_net, weights=net.trainable_params(), get_all=True, get_by_list=True)
    _, (in_grads, wgrads2) = both(x, y)
    assert len(in_grads) == 2 and in_grads[0].shape == (16, 3)
    np.testing.assert_allclose(wgrads2[1].asnumpy(), gb, rtol=1e-5)
    with pytest.raises(TypeError, match="weights"):
        nn.ForwardValueAndGrad(loss_net, get_by_list=True)


def test_loss_scale_fixed_unscales_gradients():
    x, y = data()
    net = Linear()
    w0, b0 = net.w.asnumpy().astype(np.float64), float(net.b.asnumpy())
    step = nn.TrainOneStepWithLossScaleCell(nn.WithLossCell(net, MSE()), nn.SGD(net.trainable_params(), 0.1),
                                            scale_sense=nn.FixedLossScaleUpdateCell(1024.0))
    loss, overflow, scale = step(x, y)
    assert not bool(overflow.asnumpy())
    np.testing.assert_allclose(scale.asnumpy(), 1024.0)
    gw, _ = mse_grads(w0, b0, x.asnumpy().astype(np.float64), y.asnumpy().astype(np.float64))
    np.testing.assert_allclose(net.w.asnumpy(), w0 - np.float32(0.1) * gw, rtol=1e-5)


def test_loss_scale_overflow_skips_update_and_dynamic_scale_adjusts():
    class Blowup(nn.Cell):
        """A loss whose gradient is inf once the scale is big enough (float32 overflow)."""

        def __init__(self):
            super().__init__()
            self.w = Parameter(np.array([1.0], np.float32), name="w")

        def construct(self, x):
            return ops.reduce_sum(self.w * x)

    net = Blowup()
    manager = nn.DynamicLossScaleUpdateCell(loss_scale_value=2.0 ** 120, scale_factor=2, scale_window=2)
    step = nn.TrainOneStepWithLossScaleCell(net, nn.SGD(net.trainable_params(), 0.1), scale_sense=manager)
    x = Tensor(np.array([2.0 ** 10], np.float32))
    _, overflow, scale = step(x)
    assert bool(overflow.asnumpy())
    np.testing.assert_array_equal(net.w.asnumpy(), [1.0])  # skipped
    np.testing.assert_allclose(step.scale_sense.asnumpy(), 2.0 ** 119)
    np.testing.assert_allclose(scale.asnumpy(), 2.0 ** 120)  # the scale used for this step
    small = Tensor(np.array([1.0], np.float32))
    _, overflow, _ = step(small)
    assert not bool(overflow.asnumpy())
    np.testing.assert_allclose(net.w.asnumpy(), [1.0 - 0.1], rtol=1e-6)
    np.testing.assert_allclose(step.scale_sense.asnumpy(), 2.0 ** 119)
    step(small)  # two clean steps since the last overflow: the scale grows
    np.testing.assert_allclose(step.scale_sense.asnumpy(), 2.0 ** 120)


def test_dynamic_loss_scale_cell_never_below_one():
    cell = nn.DynamicLossScaleUpdateCell(loss_scale_value=1.5, scale_factor=2, scale_window=1000)
    scale = Parameter(np.array(1.5, np.float32), name="scale")
    cell(scale, Tensor(np.array(True)))
    np.testing.assert_allclose(scale.asnumpy(), 1.0)
    assert cell.get_loss_scale() == 1.5
    with pytest.raises(TypeError):
        nn.TrainOneStepWithLossScaleCell(nn.WithLossCell(Linear(), MSE()), nn.SGD(Linear().trainable_params()),
                                         scale_sense=3.0)
    with pytest.raises(ValueError, match="shape"):
        net = nn.WithLossCell(Linear(), MSE())
        nn.TrainOneStepWithLossScaleCell(net, nn.SGD(net.trainable_params()),
                                         scale_sense=Tensor(np.ones((2,), np.float32)))


def test_parameter_update():
    p = Parameter(np.zeros(3, np.float32), name="p")
    update = nn.ParameterUpdate(p)
    value = Tensor(np.array([1.0, 2.0, 3.0], np.float32))
    assert update(value) is value
    np.testing.assert_array_equal(p.asnumpy(), [1.0, 2.0, 3.0])
    with pytest.raises(ValueError):
        update(Tensor(np.ones(2, np.float32)))
    with pytest.raises(TypeError, match="Parameter"):
        nn.ParameterUpdate(value)
