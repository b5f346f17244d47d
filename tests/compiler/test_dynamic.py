"""Dynamic batch size in graph mode: Cell.set_inputs with None dims and jit(dynamic=1) share one
graph template over sizes (no retrace), equal PyNative, fall back to a trace per size where the graph
is not affine in the size, and reject calls that do not match the declaration."""
import numpy as np
import pytest

import sporen as ms
from sporen import nn, ops
from sporen.demo import LeNet5
from sporen.frontend import dynamic as dynamic_module
from sporen.frontend.dynamic import (DELTA, DynamicFunction, NotAffine, _constants_as_literals, _fit, _Template,
                                   enable_dynamic)
from sporen.frontend.trace import jit, trace_full, TracedFunction
from sporen.ir.graph import Literal
from sporen.ir.printer import dump
from sporen.ir.verify import verify
from sporen.passes.pipeline import optimize

from .test_models import _MODELS, EncoderClassifier, SmallResNet
from .test_models import _assert_same_params as _models_same_params
from .test_models import _data as _models_data
from .test_models import _train_step as _models_train_step


@pytest.fixture(autouse=True)
def _pynative_after():
    yield
    ms.set_context(mode=ms.PYNATIVE_MODE)


class _MLP(nn.Cell):
    def __init__(self, n_in=8):
        super().__init__()
        self.fc1 = nn.Dense(n_in, 16)
        self.relu = nn.ReLU()
        self.fc2 = nn.Dense(16, 4)

    def construct(self, x):
        return self.fc2(self.relu(self.fc1(x)))


class _Flatten(nn.Cell):
    """Reshape targets that depend on the batch: ``view(b, -1)`` and ``reshape(2b, -1)``."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Dense(12, 3)

    def construct(self, x):
        flat = x.view(x.shape[0], -1)
        halves = x.reshape(x.shape[0] * 2, -1)
        return self.fc(flat), halves.sum(axis=1) * x.shape[0]


class _UnrolledLoop(nn.Cell):
    """A Python loop over ``x.shape[0]``: the graph's structure depends on the batch size."""

    def construct(self, x):
        out = x[0]
        for i in range(1, x.shape[0]):
            out = out * 0.5 + x[i]
        return out


class _HalfBatch(nn.Cell):
    """``b // 2`` in a slice: not affine in b, which the template must notice."""

    def construct(self, x):
        return x[: x.shape[0] // 2] * 2.0


def _batch(rng, b, shape=(8,)):
    return ms.Tensor(rng.standard_normal((b, *shape)).astype(np.float32))


def _both_modes(cell, *args):
    ms.set_context(mode=ms.PYNATIVE_MODE)
    eager = cell(*args)
    ms.set_context(mode=ms.GRAPH_MODE)
    graph = cell(*args)
    return eager, graph


def _assert_close(a, b):
    if isinstance(a, (tuple, list)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _assert_close(x, y)
        return
    assert a.shape == b.shape
    np.testing.assert_allclose(b.asnumpy(), a.asnumpy(), rtol=1e-5, atol=1e-6)


# --- the placeholder Tensor ------------------------------------------------------------------

def test_placeholder_tensor_has_dynamic_dims_and_no_data():
    t = ms.Tensor(shape=[None, 3], dtype=ms.float32)
    assert t.shape == (-1, 3)
    assert t.dtype == ms.float32
    assert t.ndim == 2
    assert repr(t) == "Tensor(shape=[-1, 3], dtype=Float32, value=<dynamic>)"
    with pytest.raises(ValueError, match=r"Tensor: a Tensor of shape \[-1, 3\].*holds no data"):
        t.asnumpy()
    assert ms.Tensor(shape=(None,), dtype=ms.int32).shape == (-1,)
    assert ms.Tensor(shape=[2, 3], dtype=ms.float32).asnumpy().shape == (2, 3)  # static: zeros, as before


def test_set_inputs_validates_and_get_inputs_returns_them():
    net = _MLP()
    assert net.get_inputs() is None
    x = ms.Tensor(shape=[None, 8], dtype=ms.float32)
    net.set_inputs(x)
    assert net.get_inputs() == (x,)
    with pytest.raises(TypeError, match="Cell.set_inputs: input 0 must be a Tensor.*got str"):
        net.set_inputs("x")


# --- forward cells in GRAPH_MODE -------------------------------------------------------------

def test_mlp_forward_one_template_over_batch_sizes():
    rng = np.random.default_rng(0)
    ms.set_seed(0)
    net = _MLP()
    net.set_inputs(ms.Tensor(shape=[None, 8], dtype=ms.float32))
    for b in (3, 5, 7, 64, 5):
        eager, graph = _both_modes(net, _batch(rng, b))
        _assert_close(eager, graph)
    fn = net._graph_jit.fn
    assert isinstance(fn, DynamicFunction)
    assert fn.trace_count == 2  # the call at 3 and one probe
    assert fn.instance_count == 3  # 5, 7 and 64; the second 5 is a cache hit
    assert fn.fallback_count == 0


def test_lenet_forward_one_template():
    rng = np.random.default_rng(1)
    ms.set_seed(1)
    net = LeNet5()
    net.set_inputs(ms.Tensor(shape=[None, 1, 32, 32], dtype=ms.float32))
    for b in (2, 3, 6):
        eager, graph = _both_modes(net, _batch(rng, b, (1, 32, 32)))
        _assert_close(eager, graph)
    fn = net._graph_jit.fn
    assert (fn.trace_count, fn.instance_count, fn.fallback_count) == (2, 2, 0)


def test_batch_dependent_reshape_targets_and_python_size_constants():
    rng = np.random.default_rng(2)
    ms.set_seed(2)
    net = _Flatten()
    net.set_inputs(ms.Tensor(shape=[None, 3, 4], dtype=ms.float32))
    for b in (2, 5, 9):
        eager, graph = _both_modes(net, _batch(rng, b, (3, 4)))
        _assert_close(eager, graph)
    fn = net._graph_jit.fn
    assert (fn.trace_count, fn.instance_count, fn.fallback_count) == (2, 2, 0)


def _literals(graph):
    out = []
    for node in graph.nodes:
        out += [v.value for v in node.inputs if isinstance(v, Literal)]
        for sub in node.subgraphs:
            out += _literals(sub)
    return out


def _assert_same_graph(made, fresh):
    """The same text (ops, wiring, shapes, attributes) and the same constants, bit for bit."""
    assert dump(made) == dump(fresh)
    made_literals = _literals(made)
    fresh_literals = _literals(fresh)
    assert len(made_literals) == len(fresh_literals)
    for a, b in zip(made_literals, fresh_literals):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


def test_instantiated_graph_equals_a_fresh_trace():
    rng = np.random.default_rng(3)
    net = _Flatten()
    net.set_inputs(ms.Tensor(shape=[None, 3, 4], dtype=ms.float32))
    ms.set_context(mode=ms.GRAPH_MODE)
    net(_batch(rng, 4, (3, 4)))
    (template,) = net._graph_jit.fn.templates.values()
    assert isinstance(template, _Template)
    made = template.instantiate([11])
    verify(made.graph)
    fresh = optimize(trace_full(net, (_batch(rng, 11, (3, 4)),)).graph)
    _assert_same_graph(made.graph, fresh)
    assert "reshape" in dump(made.graph) and "[22, 6]" in dump(made.graph)


@pytest.mark.parametrize("name", ["mlp_momentum", "resnet_momentum", "lstm_momentum"])
def test_instantiated_training_step_equals_a_fresh_trace(name):
    """The whole step: the mean's 1/batch, BatchNorm's n/(n-1), an LSTM's batch-sized zero state."""
    model, shape, classes, make_opt = _MODELS[name]
    step = _models_train_step(model, make_opt)
    fn = DynamicFunction(step, "numpy", inputs=(ms.Tensor(shape=[None, *shape[1:]], dtype=ms.float32),
                                                ms.Tensor(shape=[None], dtype=ms.int32)))
    fn(*_models_data((4, *shape[1:]), classes))
    (template,) = fn.templates.values()
    made = template.instantiate([13])
    verify(made.graph)
    with _constants_as_literals():  # as the template's traces are made
        fresh = TracedFunction(step, "numpy")._compile(_models_data((13, *shape[1:]), classes), {})
    _assert_same_graph(made.graph, fresh.graph)


# --- a whole training step ---------------------------------------------------------------------

def _train_step(net):
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    return nn.TrainOneStepCell(nn.WithLossCell(net, loss), nn.Momentum(net.trainable_params(), 0.1, 0.9))


def _assert_same_params(a, b):
    pa = dict(a.parameters_and_names())
    pb = dict(b.parameters_and_names())
    assert pa.keys() == pb.keys()
    for name in pa:
        np.testing.assert_allclose(pb[name].asnumpy(), pa[name].asnumpy(), rtol=1e-5, atol=1e-7, err_msg=name)


@pytest.mark.parametrize("make", [lambda: _MLP(784), lambda: _MLP(8)], ids=["mlp784", "mlp8"])
def test_training_step_with_mean_loss_over_batch_sizes(make):
    n_in = make().fc1.in_channels
    ms.set_seed(4)
    eager = _train_step(make())
    ms.set_seed(4)
    graph = _train_step(make())
    graph.set_inputs(ms.Tensor(shape=[None, n_in], dtype=ms.float32), ms.Tensor(shape=[None], dtype=ms.int32))
    rng = np.random.default_rng(4)
    # an epoch of 32-batches whose last batch is smaller (drop_remainder=False), twice
    for b in (32, 32, 32, 7, 32, 32, 32, 7, 13):
        x = _batch(rng, b, (n_in,))
        y = ms.Tensor(rng.integers(0, 4, b).astype(np.int32))
        loss_eager, loss_graph = _both_modes_step(eager, graph, x, y)
        np.testing.assert_allclose(loss_graph.asnumpy(), loss_eager.asnumpy(), rtol=1e-5)
    _assert_same_params(eager, graph)
    fn = graph._graph_jit.fn
    assert (fn.trace_count, fn.instance_count, fn.fallback_count) == (2, 2, 0)


def _both_modes_step(eager, graph, x, y):
    ms.set_context(mode=ms.PYNATIVE_MODE)
    le = eager(x, y)
    ms.set_context(mode=ms.GRAPH_MODE)
    lg = graph(x, y)
    return le, lg


def test_batch_of_one_is_traced_on_its_own_and_stays_correct():
    ms.set_seed(5)
    eager = _train_step(_MLP())
    ms.set_seed(5)
    graph = _train_step(_MLP())
    graph.set_inputs(ms.Tensor(shape=[None, 8], dtype=ms.float32), ms.Tensor(shape=[None], dtype=ms.int32))
    rng = np.random.default_rng(5)
    for b in (4, 1, 6, 1):
        x = _batch(rng, b)
        y = ms.Tensor(rng.integers(0, 4, b).astype(np.int32))
        le, lg = _both_modes_step(eager, graph, x, y)
        np.testing.assert_allclose(lg.asnumpy(), le.asnumpy(), rtol=1e-5)
    _assert_same_params(eager, graph)
    fn = graph._graph_jit.fn
    assert (fn.trace_count, fn.instance_count, fn.fallback_count) == (3, 1, 1)
    assert fn.fallback_reasons == ["a dynamic size of 0 or 1 is traced on its own"]


class _Refine(nn.Cell):
    """A tensor-dependent while loop (a while node with subgraphs) whose condition is a mean over
    the batch: the 1/batch inside the loop's subgraphs is solved as well."""

    def __init__(self):
        super().__init__()
        self.inp = nn.Dense(4, 8)
        self.cell = nn.Dense(8, 8)
        self.out = nn.Dense(8, 3)

    def construct(self, x):
        h = ops.tanh(self.inp(x))
        steps = 0
        while (h * h).mean() > 0.05 and steps < 5:
            h = ops.tanh(self.cell(h)) * 0.8
            steps += 1
        return self.out(h)


def test_training_step_with_a_tensor_while_loop_over_batch_sizes():
    ms.set_seed(12)
    eager = _train_step(_Refine())
    ms.set_seed(12)
    graph = _train_step(_Refine())
    graph.set_inputs(ms.Tensor(shape=[None, 4], dtype=ms.float32), ms.Tensor(shape=[None], dtype=ms.int32))
    rng = np.random.default_rng(12)
    for b in (6, 4, 9, 6, 3):
        x = ms.Tensor(rng.standard_normal((b, 4)).astype(np.float32) * 2)
        y = ms.Tensor(rng.integers(0, 3, b).astype(np.int32))
        le, lg = _both_modes_step(eager, graph, x, y)
        np.testing.assert_allclose(lg.asnumpy(), le.asnumpy(), rtol=1e-5)
    _assert_same_params(eager, graph)
    fn = graph._graph_jit.fn
    assert any(node.op.name == "while" for node in next(iter(fn.templates.values())).base.graph.nodes)
    assert (fn.trace_count, fn.instance_count, fn.fallback_count) == (2, 3, 0)


def test_batchnorm_train_then_eval_phase_each_one_template():
    """Train-phase calls update BatchNorm's running statistics with the batch's (unbiased)
    variance; after set_train(False) the templates are dropped and the eval graph is templated."""
    ms.set_seed(15)
    eager = SmallResNet()
    ms.set_seed(15)
    graph = SmallResNet()
    graph.set_inputs(ms.Tensor(shape=[None, 3, 8, 8], dtype=ms.float32))
    rng = np.random.default_rng(15)
    for train, sizes in ((True, (4, 6, 3)), (False, (5, 2, 7))):
        eager.set_train(train)
        graph.set_train(train)
        for b in sizes:
            x = _batch(rng, b, (3, 8, 8))
            ms.set_context(mode=ms.PYNATIVE_MODE)
            want = eager(x)
            ms.set_context(mode=ms.GRAPH_MODE)
            _assert_close(want, graph(x))
    _assert_same_params(eager, graph)
    fn = graph._graph_jit.fn
    assert (fn.trace_count, fn.instance_count, fn.fallback_count) == (4, 4, 0)


# --- graphs that are not affine in the size fall back to a trace per size ------------------------

def test_python_loop_over_the_batch_falls_back_per_size():
    rng = np.random.default_rng(6)
    net = _UnrolledLoop()
    net.set_inputs(ms.Tensor(shape=[None, 3], dtype=ms.float32))
    sizes = (2, 4, 5, 4)
    for b in sizes:
        eager, graph = _both_modes(net, _batch(rng, b, (3,)))
        _assert_close(eager, graph)
    fn = net._graph_jit.fn
    assert fn.instance_count == 0
    assert fn.trace_count == 4  # 2 and its probe, then 4 and 5; the second 4 is cached
    assert fn.fallback_count == 3
    assert "different number of params, nodes or outputs" in fn.fallback_reasons[0]


def test_floor_division_of_the_batch_is_not_taken_for_affine():
    rng = np.random.default_rng(7)
    net = _HalfBatch()
    net.set_inputs(ms.Tensor(shape=[None, 3], dtype=ms.float32))
    for b in (4, 6, 9, 30):
        eager, graph = _both_modes(net, _batch(rng, b, (3,)))
        _assert_close(eager, graph)
    fn = net._graph_jit.fn
    assert fn.instance_count == 0
    assert "is not a polynomial of degree 1" in fn.fallback_reasons[0]


def test_fit_solves_polynomials_and_float_forms_and_rejects_floor_division():
    def fit(values, base, integer=True, degree=1, dtype=np.float32):
        points = [(base,), (base + DELTA,)] + ([(base + 2 * DELTA,)] if degree == 2 else [])
        coefs, form = _fit(values, points, "x", integer, dtype, degree)
        return [float(c) for c in coefs], form

    assert fit([6, 6 + 2 * DELTA], 3) == ([0.0, 2.0], "affine")
    assert fit([np.float32(1 / 5), np.float32(1 / (5 + DELTA))], 5, integer=False) == ([0.0, 1.0], "reciprocal")
    # BatchNorm's unbiased variance over n = 16 * batch values: n / (n - 1)
    n0, n1 = 64, 64 + 16 * DELTA
    assert fit([np.float32(n0 / (n0 - 1)), np.float32(n1 / (n1 - 1))], 4, integer=False) == ([0.0, 16.0], "ratio")
    with pytest.raises(NotAffine, match="x is not a polynomial of degree 1"):
        fit([np.float32(0.3), np.float32(0.7)], 4, integer=False)
    # a square fits a line through two points (the verifier catches that); at degree 2 it is solved
    assert fit([4 * 4 + 1, 65 * 65 + 1, 126 * 126 + 1], 4, degree=2) == ([1.0, 0.0, 1.0], "affine")
    for b in (2, 3, 8, 64, 100):
        for k in range(2, DELTA + 1):
            with pytest.raises(NotAffine):
                fit([b // k, (b + DELTA) // k], b)
            with pytest.raises(NotAffine):
                fit([b // k, (b + DELTA) // k, (b + 2 * DELTA) // k], b, degree=2)


def test_batch_and_length_both_dynamic_solve_their_product():
    """A Transformer encoder over (batch, length, features) with both dims dynamic: its Dense layers
    flatten to (batch * length, features), which the affine template misses; the verifier notices
    and the template is solved again with products of the sizes."""
    ms.set_seed(10)
    net = EncoderClassifier()
    net.set_train(False)
    net.set_inputs(ms.Tensor(shape=[None, None, 32], dtype=ms.float32))
    rng = np.random.default_rng(10)
    for b, length in ((2, 6), (3, 5), (4, 9), (7, 3)):
        eager, graph = _both_modes(net, _batch(rng, b, (length, 32)))
        _assert_close(eager, graph)
    fn = net._graph_jit.fn
    # (2, 6) and 2 probes; at (3, 5) the affine template fails the verifier: 3 more probes, then
    # (3, 5), (4, 9) and (7, 3) are instantiated
    assert (fn.trace_count, fn.instance_count, fn.fallback_count) == (6, 3, 0)


# --- the declaration is checked as MindSpore does ----------------------------------------------

def test_call_not_matching_the_declaration_is_a_value_error():
    net = _MLP()
    net.set_inputs(ms.Tensor(shape=[None, 8], dtype=ms.float32))
    ms.set_context(mode=ms.GRAPH_MODE)
    with pytest.raises(ValueError) as info:
        net(ms.Tensor(np.zeros((4, 6), np.float32)))
    assert str(info.value) == ("The 1th input shape of 'set_inputs' must be the same as network's input, but got "
                               "'set_inputs': (-1, 8) and network's input: (4, 6).")
    with pytest.raises(ValueError, match=r"The 1th input dims of 'set_inputs' must be the same as network's "
                                         r"input, but got 'set_inputs': 2 and network's input: 3\."):
        net(ms.Tensor(np.zeros((4, 8, 1), np.float32)))
    with pytest.raises(ValueError, match=r"The 1th input type of 'set_inputs' must be the same as network's "
                                         r"input, but got 'set_inputs': Float32 and network's input: Float16\."):
        net(ms.Tensor(np.zeros((4, 8), np.float16)))
    with pytest.raises(ValueError, match=r"The number of 'set_inputs' Tensor must be equal to network's inputs, "
                                         r"but got 'set_inputs': 1 and network's input: 2\."):
        net(ms.Tensor(np.zeros((4, 8), np.float32)), ms.Tensor(np.zeros((4, 8), np.float32)))
    assert net._graph_jit.fn.trace_count == 0


class _TwoInputs(nn.Cell):
    def __init__(self):
        super().__init__()
        self.fc = nn.Dense(8, 4)

    def construct(self, x, bias, scale=2.0):
        return self.fc(x) * scale + bias


def test_set_inputs_by_name_declares_some_inputs():
    ms.set_seed(16)
    net = _TwoInputs()
    net.set_inputs(x=ms.Tensor(shape=[None, 8], dtype=ms.float32))
    assert net.get_inputs()[1:] == (None, None)
    rng = np.random.default_rng(16)
    bias = ms.Tensor(np.ones(4, np.float32))
    for b in (3, 5, 6):
        eager, graph = _both_modes(net, _batch(rng, b), bias)
        _assert_close(eager, graph)
    fn = net._graph_jit.fn
    assert (fn.trace_count, fn.instance_count) == (2, 2)
    with pytest.raises(ValueError, match=r"The 1th input shape of 'set_inputs' .* \(-1, 8\) and network's input: "
                                         r"\(3, 7\)"):
        net(ms.Tensor(np.zeros((3, 7), np.float32)), bias)
    with pytest.raises(ValueError, match=r"Cell.set_inputs: 'y' is not an argument of _TwoInputs.construct; its "
                                         r"arguments are \['x', 'bias', 'scale'\]"):
        net.set_inputs(y=ms.Tensor(shape=[None], dtype=ms.float32))
    with pytest.raises(ValueError, match="For Cell, set_inputs should only set inputs or kwargs"):
        net.set_inputs(ms.Tensor(shape=[None, 8], dtype=ms.float32), bias=bias)


def test_set_inputs_after_a_static_compile_switches_to_the_template():
    rng = np.random.default_rng(11)
    net = _MLP()
    ms.set_context(mode=ms.GRAPH_MODE)
    net(_batch(rng, 3))
    assert not isinstance(net._graph_jit.fn, DynamicFunction)
    net.set_inputs(ms.Tensor(shape=[None, 8], dtype=ms.float32))
    for b in (3, 4, 5):
        eager, graph = _both_modes(net, _batch(rng, b))
        _assert_close(eager, graph)
    fn = net._graph_jit.fn
    assert isinstance(fn, DynamicFunction)
    assert (fn.trace_count, fn.instance_count) == (2, 2)


def test_static_declaration_checks_shapes_and_compiles_per_signature():
    net = _MLP()
    net.set_inputs(ms.Tensor(shape=[4, 8], dtype=ms.float32))
    rng = np.random.default_rng(8)
    eager, graph = _both_modes(net, _batch(rng, 4))
    _assert_close(eager, graph)
    with pytest.raises(ValueError, match=r"'set_inputs': \(4, 8\) and network's input: \(5, 8\)"):
        net(_batch(rng, 5))
    assert net._graph_jit.fn.trace_count == 1


# --- jit(dynamic=1): the dims that change between calls become dynamic ----------------------------

def test_jit_dynamic_1_builds_a_dynamic_function():
    assert isinstance(jit(lambda x: x * 2, dynamic=1), DynamicFunction)
    assert not isinstance(jit(lambda x: x * 2), DynamicFunction)


def test_jit_dynamic_detects_the_changing_dim():
    ms.set_seed(9)
    net = _MLP()
    rng = np.random.default_rng(9)
    compiled = jit(lambda x, scale: net(x) * scale, dynamic=1)
    scale = ms.Tensor(np.float32(0.5))
    for b in (4, 6, 9, 20, 6):
        x = _batch(rng, b)
        _assert_close(net(x) * scale, compiled(x, scale))
    # 4 traced static; at 6 the first dim is seen to change: 6 and its probe traced; 9 and 20 instantiated
    assert (compiled.trace_count, compiled.instance_count, compiled.fallback_count) == (3, 2, 0)


# --- the model suite with a dynamic batch --------------------------------------------------------

@pytest.mark.parametrize("name", sorted(_MODELS))
def test_model_suite_trains_with_a_dynamic_batch_like_pynative(name):
    """MLP, LeNet, ResNet with BatchNorm (its unbiased variance n/(n-1) is solved), LSTM (its zero
    state has the batch's shape) and Transformer encoder: one template over the batch sizes."""
    model, shape, classes, make_opt = _MODELS[name]
    eager = _models_train_step(model, make_opt)
    graph = _models_train_step(model, make_opt)
    graph.set_inputs(ms.Tensor(shape=[None, *shape[1:]], dtype=ms.float32), ms.Tensor(shape=[None], dtype=ms.int32))
    for step, b in enumerate((4, 6, 3, 4)):
        x, y = _models_data((b, *shape[1:]), classes, seed=step)
        le, lg = _both_modes_step(eager, graph, x, y)
        np.testing.assert_allclose(lg.asnumpy(), le.asnumpy(), rtol=1e-5)
    _models_same_params(eager, graph)
    fn = graph._graph_jit.fn
    assert (fn.trace_count, fn.instance_count, fn.fallback_count) == (2, 2, 0)


# --- enable_dynamic (MindSpore's decorator above @jit) and the cache bound ------------------------

def test_enable_dynamic_declares_named_arguments():
    ms.set_seed(13)
    net = _MLP()
    rng = np.random.default_rng(13)

    @enable_dynamic(x=ms.Tensor(shape=[None, 8], dtype=ms.float32))
    @jit
    def scaled(x, scale):
        return net(x) * scale

    assert isinstance(scaled, DynamicFunction)
    scale = ms.Tensor(np.float32(0.5))
    for b in (3, 5, 8):
        x = _batch(rng, b)
        _assert_close(net(x) * scale, scaled(x, scale))
    assert (scaled.trace_count, scaled.instance_count) == (2, 2)
    with pytest.raises(ValueError, match=r"The 1th input shape of 'enable_dynamic' must be the same as network's "
                                         r"input, but got 'enable_dynamic': \(-1, 8\) and network's input: \(4, 2\)"):
        scaled(ms.Tensor(np.zeros((4, 2), np.float32)), scale)
    with pytest.raises(TypeError, match="enable_dynamic: it decorates a function compiled by jit"):
        enable_dynamic(x=ms.Tensor(shape=[None], dtype=ms.float32))(lambda x: x)
    with pytest.raises(ValueError, match=r"enable_dynamic: 'z' is not an argument of .*\['x'\]"):
        enable_dynamic(z=ms.Tensor(shape=[None], dtype=ms.float32))(jit(lambda x: x))
    with pytest.raises(TypeError, match="enable_dynamic: 'x' must be a Tensor, or a tuple or list of Tensors, got int"):
        enable_dynamic(x=3)


def test_many_sizes_keep_a_bounded_cache(monkeypatch):
    monkeypatch.setattr(dynamic_module, "MAX_CACHED", 3)
    net = _MLP()
    net.set_inputs(ms.Tensor(shape=[None, 8], dtype=ms.float32))
    rng = np.random.default_rng(14)
    for b in (2, 3, 4, 5, 6, 2):
        eager, graph = _both_modes(net, _batch(rng, b))
        _assert_close(eager, graph)
    fn = net._graph_jit.fn
    assert len(fn.cache) == 3
    assert (fn.trace_count, fn.instance_count) == (2, 5)  # size 2 was forgotten and made again
