"""The model-level suite of graph mode: each model trains for several steps with TrainOneStepCell in
PyNative and in GRAPH_MODE from the same seed; the losses of every step and all parameters at the
end (BatchNorm running statistics included) agree at rtol 1e-5, and the graph run really compiled
(no PyNative fallback warning, traced once)."""
import warnings

import numpy as np
import pytest

import sporen as ms
from sporen import nn, ops
from sporen.demo import LeNet5

from ..backends import on_reference, ulps_of_max

STEPS = 5


@pytest.fixture(autouse=True)
def _pynative_after():
    yield
    ms.set_context(mode=ms.PYNATIVE_MODE)


# --- the models --------------------------------------------------------------------------------------
class MLP(nn.Cell):
    """784-64-10 with a ReLU."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Dense(784, 64)
        self.relu = nn.ReLU()
        self.fc2 = nn.Dense(64, 10)

    def construct(self, x):
        return self.fc2(self.relu(self.fc1(x)))


class BasicBlock(nn.Cell):
    """ResNet's basic block: two 3x3 convolutions with BatchNorm, a projection shortcut when the
    shape changes."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, pad_mode="pad", padding=1, has_bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, pad_mode="pad", padding=1, has_bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU()
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.SequentialCell([nn.Conv2d(cin, cout, 1, stride, has_bias=False), nn.BatchNorm2d(cout)])

    def construct(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        shortcut = x if self.down is None else self.down(x)
        return self.relu(out + shortcut)


class SmallResNet(nn.Cell):
    """A stem, two basic blocks (the second one strided, with a projection), global average
    pooling and a classifier."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, pad_mode="pad", padding=1, has_bias=False)
        self.bn = nn.BatchNorm2d(8)
        self.relu = nn.ReLU()
        self.block1 = BasicBlock(8, 8, 1)
        self.block2 = BasicBlock(8, 16, 2)
        self.fc = nn.Dense(16, 10)

    def construct(self, x):
        x = self.relu(self.bn(self.stem(x)))
        x = self.block2(self.block1(x))
        return self.fc(x.mean(axis=(2, 3)))


class LSTMClassifier(nn.Cell):
    """A 2-layer batch-first LSTM, then a Dense layer on the last step's output."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(8, 16, num_layers=2, batch_first=True)
        self.fc = nn.Dense(16, 4)

    def construct(self, x):
        out, _ = self.lstm(x)
        return self.fc(out[:, -1, :])


class EncoderClassifier(nn.Cell):
    """A 2-layer Transformer encoder (d_model 32, 4 heads), mean over the sequence, a classifier."""

    def __init__(self, dropout=0.0):
        super().__init__()
        layer = nn.TransformerEncoderLayer(32, 4, dim_feedforward=64, dropout=dropout, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2)
        self.fc = nn.Dense(32, 4)

    def construct(self, x):
        return self.fc(self.encoder(x).mean(axis=1))


class WhileNet(nn.Cell):
    """A tensor-dependent while loop: a contracting layer (a nested cell) is applied until the
    largest activation is below a threshold, so the trip count depends on the data and weights."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Dense(8, 16)
        self.fc2 = nn.Dense(16, 16, has_bias=False)
        self.out = nn.Dense(16, 4)

    def construct(self, x):
        h = ops.tanh(self.fc1(x))
        while ops.abs(h).max() > 0.05:
            h = self.fc2(h) * 0.3
        return self.out(h)


def _momentum(params):
    return nn.Momentum(params, 0.05, 0.9)


def _adam(params):
    return nn.Adam(params, 1e-3)


# name -> (model, input shape, classes, optimizer). The Transformer trains with Momentum: the
# gradient of its key projection bias is zero up to rounding (softmax ignores a shift of the
# scores), and Adam's normalised step turns that rounding noise into steps of size lr whose signs
# differ between any two summation orders.
_MODELS = {
    "mlp_momentum": (MLP, (8, 784), 10, _momentum),
    "mlp_adam": (MLP, (8, 784), 10, _adam),
    "lenet_momentum": (LeNet5, (4, 1, 32, 32), 10, _momentum),
    "lenet_adam": (LeNet5, (4, 1, 32, 32), 10, _adam),
    "resnet_momentum": (SmallResNet, (4, 3, 8, 8), 10, _momentum),
    "resnet_adam": (SmallResNet, (4, 3, 8, 8), 10, _adam),
    "lstm_momentum": (LSTMClassifier, (4, 5, 8), 4, _momentum),
    "lstm_adam": (LSTMClassifier, (4, 5, 8), 4, _adam),
    "transformer_momentum": (EncoderClassifier, (4, 6, 32), 4, _momentum),
}

# the models with tensor-dependent control flow (If/While nodes), kept apart: other suites (dynamic
# shapes, memory plans, expansion) iterate over _MODELS
_CONTROL_FLOW_MODELS = {
    "while_loop_momentum": (WhileNet, (4, 8), 4, _momentum),
    "while_loop_adam": (WhileNet, (4, 8), 4, _adam),
}
_ALL_MODELS = {**_MODELS, **_CONTROL_FLOW_MODELS}


def _train_step(model, make_opt):
    ms.set_seed(1)
    net = model()
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    step = nn.TrainOneStepCell(nn.WithLossCell(net, loss), make_opt(net.trainable_params()))
    step.set_train()
    return step


def _data(shape, classes, seed=0):
    rng = np.random.default_rng(seed)
    x = ms.Tensor(rng.standard_normal(shape).astype(np.float32))
    y = ms.Tensor(rng.integers(0, classes, shape[0]).astype(np.int32))
    return x, y


def _assert_same_params(eager, graph):
    pe = dict(eager.parameters_and_names())
    pg = dict(graph.parameters_and_names())
    assert pe.keys() == pg.keys()
    for name in pe:
        want = pe[name].asnumpy()
        atol = 1e-6
        if not on_reference():
            # a native step sums in other orders (conv kernels, BLAS panels, vectorised BatchNorm
            # statistics): the gradients agree within 7 ulps of their largest value, but behind
            # BatchNorm a conv weight's gradient can be 1e-5 of that, with a relative error of 2e-3,
            # and an Adam-type step (m / sqrt(v)) moves it by lr whatever its size: 84 ulps of the
            # weights' largest value after 3 steps (ResNet, dynamic_weight_decay; 45 with
            # -ffp-contract=off)
            atol = max(atol, ulps_of_max(want, 256))
        np.testing.assert_allclose(pg[name].asnumpy(), want, rtol=1e-5, atol=atol, err_msg=name)


def _run_graph_mode(step, x, y, n):
    """``n`` calls of ``step`` in GRAPH_MODE; any warning (a PyNative fallback) is an error."""
    ms.set_context(mode=ms.GRAPH_MODE)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return [float(step(x, y).asnumpy()) for _ in range(n)]
    finally:
        ms.set_context(mode=ms.PYNATIVE_MODE)


@pytest.mark.parametrize("name", sorted(_ALL_MODELS))
def test_model_trains_the_same_in_graph_mode_and_pynative(name):
    model, shape, classes, make_opt = _ALL_MODELS[name]
    x, y = _data(shape, classes)
    eager = _train_step(model, make_opt)
    want = [float(eager(x, y).asnumpy()) for _ in range(STEPS)]
    graph = _train_step(model, make_opt)
    got = _run_graph_mode(graph, x, y, STEPS)
    np.testing.assert_allclose(got, want, rtol=1e-5)
    assert want[-1] < want[0]  # it trains
    assert graph._graph_jit.trace_count == 1
    assert graph._graph_jit.fallback is None
    _assert_same_params(eager, graph)


def _compiled_graph(cell):
    cache = cell._graph_jit.fn.cache
    return cache[next(iter(cache))].graph


def test_while_loop_model_compiles_to_a_while_node_and_its_gradient():
    x, y = _data((4, 8), 4)
    step = _train_step(WhileNet, _momentum)
    _run_graph_mode(step, x, y, 1)
    ops_with_subgraphs = [n.op.name for n in _compiled_graph(step).nodes if n.subgraphs]
    assert "while" in ops_with_subgraphs  # not unrolled: the loop is in the graph
    assert len(ops_with_subgraphs) == 2  # the loop and its gradient


def test_while_loop_trip_count_follows_the_data_without_retracing():
    ms.set_seed(1)
    net = WhileNet()
    small = ms.Tensor(np.full((2, 8), 0.01, np.float32))
    big = ms.Tensor(np.full((2, 8), 3.0, np.float32))
    want = [net(small).asnumpy(), net(big).asnumpy()]
    ms.set_context(mode=ms.GRAPH_MODE)
    got = [net(small).asnumpy(), net(big).asnumpy()]
    np.testing.assert_allclose(got[0], want[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got[1], want[1], rtol=1e-5, atol=1e-6)
    assert net._graph_jit.trace_count == 1


def test_resnet_running_statistics_move_the_same_in_both_modes():
    x, y = _data((4, 3, 8, 8), 10)
    eager = _train_step(SmallResNet, _momentum)
    graph = _train_step(SmallResNet, _momentum)
    before = graph.network.backbone_network.block2.bn2.moving_variance.asnumpy().copy()
    for _ in range(2):
        eager(x, y)
    _run_graph_mode(graph, x, y, 2)
    bn_e = eager.network.backbone_network.block2.bn2
    bn_g = graph.network.backbone_network.block2.bn2
    assert not np.allclose(bn_g.moving_variance.asnumpy(), before)
    np.testing.assert_allclose(bn_g.moving_mean.asnumpy(), bn_e.moving_mean.asnumpy(), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(bn_g.moving_variance.asnumpy(), bn_e.moving_variance.asnumpy(), rtol=1e-5)


def test_trained_model_evaluates_the_same_in_both_modes():
    x, y = _data((4, 3, 8, 8), 10)
    step = _train_step(SmallResNet, _momentum)
    _run_graph_mode(step, x, y, 2)
    net = step.network.backbone_network
    net.set_train(False)
    want = net(x).asnumpy()
    ms.set_context(mode=ms.GRAPH_MODE)
    got = net(x).asnumpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert net._graph_jit.trace_count == 1


def test_transformer_with_dropout_draws_new_masks_at_every_run():
    x, y = _data((4, 6, 32), 4)
    ms.set_seed(1)
    net = EncoderClassifier(dropout=0.3)
    net.set_train()
    ms.set_context(mode=ms.GRAPH_MODE)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        first = net(x).asnumpy()
        second = net(x).asnumpy()
    assert net._graph_jit.trace_count == 1
    assert not np.allclose(first, second)  # the random stream advances at every run of the graph
    net.set_train(False)
    third = net(x).asnumpy()
    fourth = net(x).asnumpy()
    np.testing.assert_array_equal(third, fourth)  # eval: no dropout
    ms.set_context(mode=ms.PYNATIVE_MODE)
    np.testing.assert_allclose(net(x).asnumpy(), third, rtol=1e-5, atol=1e-6)


def test_transformer_with_dropout_trains_in_graph_mode():
    x, y = _data((4, 6, 32), 4)
    step = _train_step(lambda: EncoderClassifier(dropout=0.2), _momentum)
    losses = _run_graph_mode(step, x, y, STEPS)
    assert np.all(np.isfinite(losses))
    assert len(set(losses)) == STEPS
    assert step._graph_jit.trace_count == 1


# optimizers whose rules meet something the MLP of test_train_step does not have: 4-d convolution
# weights (AdaFactor's factored moments over the last two axes, trust ratios of whole kernels) and
# BatchNorm's gamma / beta (left out of the default weight decay)
_RESNET_OPTIMIZERS = ("adafactor_relative_step", "adafactor_fixed_lr", "lamb", "lars", "adamax", "rprop", "asgd",
                      "ftrl", "proximal_adagrad", "adadelta", "x_adamw", "dynamic_weight_decay")


@pytest.mark.parametrize("opt", _RESNET_OPTIMIZERS)
def test_resnet_trains_the_same_in_both_modes_with_each_optimizer(opt):
    from .test_train_step import _OPTIMIZERS
    x, y = _data((4, 3, 8, 8), 10)
    eager = _train_step(SmallResNet, _OPTIMIZERS[opt])
    want = [float(eager(x, y).asnumpy()) for _ in range(3)]
    graph = _train_step(SmallResNet, _OPTIMIZERS[opt])
    got = _run_graph_mode(graph, x, y, 3)
    np.testing.assert_allclose(got, want, rtol=1e-5)
    assert graph._graph_jit.trace_count == 1
    _assert_same_params(eager, graph)
