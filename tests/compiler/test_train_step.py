"""Training steps compiled by jit and by GRAPH_MODE: optimizer updates, BatchNorm running stats and
in-place setitem traced as write-backs, equal to PyNative."""
import warnings

import numpy as np
import pytest

import sporen as ms
from sporen import jit, nn, ops
from sporen.experimental import optim as xoptim
from sporen.runtime import cache

from ..backends import BACKENDS, assert_matches_reference, on_reference, ulps_of_max


@pytest.fixture(autouse=True)
def _pynative_after():
    yield
    ms.set_context(mode=ms.PYNATIVE_MODE)


class _MLP(nn.Cell):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Dense(8, 16)
        self.relu = nn.ReLU()
        self.fc2 = nn.Dense(16, 4)

    def construct(self, x):
        return self.fc2(self.relu(self.fc1(x)))


_OPTIMIZERS = {
    "momentum": lambda ps: nn.Momentum(ps, 0.1, 0.9),
    "momentum_nesterov_wd_scale": lambda ps: nn.Momentum(ps, 0.1, 0.9, weight_decay=0.01, use_nesterov=True,
                                                         loss_scale=2.0),
    "sgd": lambda ps: nn.SGD(ps, 0.1),
    "sgd_momentum": lambda ps: nn.SGD(ps, 0.1, momentum=0.9, dampening=0.1, weight_decay=0.01),
    "adam": lambda ps: nn.Adam(ps, 0.01, weight_decay=0.01),
    "adam_nesterov": lambda ps: nn.Adam(ps, 0.01, use_nesterov=True),
    "adam_amsgrad": lambda ps: nn.Adam(ps, 0.01, use_amsgrad=True),
    "adam_weight_decay": lambda ps: nn.AdamWeightDecay(ps, 0.01, weight_decay=0.01),
    # dynamic learning rates given as tables: the global step advances inside the graph (and
    # past the end the rate is 0, as eager)
    "momentum_lr_list": lambda ps: nn.Momentum(ps, [0.1, 0.05, 0.02], 0.9),
    "adam_lr_tensor": lambda ps: nn.Adam(ps, ms.Tensor(np.array([0.01, 0.005, 0.001, 0.0005], np.float32))),
    "rmsprop": lambda ps: nn.RMSProp(ps, 0.01, momentum=0.5, weight_decay=0.01),
    "rmsprop_centered": lambda ps: nn.RMSProp(ps, 0.01, centered=True),
    "adagrad": lambda ps: nn.Adagrad(ps, learning_rate=0.05),
    "sgd_groups": lambda ps: nn.SGD([{"params": ps[:2], "lr": [0.1, 0.2, 0.3, 0.4]}, {"params": ps[2:]}], 0.05,
                                    momentum=0.9),
    "lazy_adam": lambda ps: nn.LazyAdam(ps, 0.01),
    "adamax": lambda ps: nn.AdaMax(ps, 0.01, weight_decay=0.01),
    "adadelta": lambda ps: nn.Adadelta(ps, 1.0, weight_decay=0.01),
    "adafactor_relative_step": lambda ps: nn.AdaFactor(ps),
    "adafactor_warmup_init": lambda ps: nn.AdaFactor(ps, warmup_init=True, beta1=0.0),
    "adafactor_fixed_lr": lambda ps: nn.AdaFactor(ps, learning_rate=0.01, relative_step=False, weight_decay=0.01,
                                                  beta1=0.0),
    "asgd": lambda ps: nn.ASGD(ps, 0.05, lambd=0.01, t0=2.0),  # t0 = 2: the average starts moving at step 3
    "ftrl": lambda ps: nn.FTRL(ps, learning_rate=0.05, l1=0.001, l2=0.01),
    "lamb": lambda ps: nn.Lamb(ps, 0.01, weight_decay=0.01),
    "lars": lambda ps: nn.LARS(nn.Momentum(ps, 0.1, 0.9, weight_decay=0.01, loss_scale=2.0), coefficient=0.5),
    "lars_clip": lambda ps: nn.LARS(nn.Momentum(ps, 0.1, 0.9), coefficient=0.5, use_clip=True),
    "lars_clip_schedule": lambda ps: nn.LARS(nn.Momentum(ps, nn.WarmUpLR(0.1, 2), 0.9), coefficient=0.5,
                                             use_clip=True),  # lr 0 at step 0: trust 1
    "lamb_groups": lambda ps: nn.Lamb([{"params": ps[:2], "weight_decay": 0.1}, {"params": ps[2:], "lr": 0.02}], 0.01),
    "asgd_schedule": lambda ps: nn.ASGD(ps, nn.WarmUpLR(0.05, 2), lambd=0.01, t0=2.0),
    "proximal_adagrad": lambda ps: nn.ProximalAdagrad(ps, learning_rate=0.05, l1=0.001, l2=0.01),
    "rprop": lambda ps: nn.Rprop(ps, 0.01, weight_decay=0.01),
    # sporen.experimental.optim (PyTorch-like)
    "x_sgd": lambda ps: xoptim.SGD(ps, 0.1, momentum=0.9, weight_decay=0.01, nesterov=True),
    "x_sgd_groups": lambda ps: xoptim.SGD([{"params": ps[:2], "lr": 0.05}, {"params": ps[2:]}], 0.1,
                                          momentum=0.5, dampening=0.1),
    "x_adam": lambda ps: xoptim.Adam(ps, 0.01, weight_decay=0.01),
    "x_adam_amsgrad": lambda ps: xoptim.Adam(ps, 0.01, amsgrad=True),
    "x_adamw": lambda ps: xoptim.AdamW(ps, 0.01),
    "x_adamw_amsgrad": lambda ps: xoptim.AdamW(ps, 0.01, amsgrad=True),
    "x_rmsprop_centered": lambda ps: xoptim.RMSprop(ps, 0.01, momentum=0.5, centered=True, weight_decay=0.01),
    "x_rmsprop": lambda ps: xoptim.RMSprop(ps, 0.01),
    "x_adagrad": lambda ps: xoptim.Adagrad(ps, 0.05, lr_decay=0.1, weight_decay=0.01),
    # LearningRateSchedule cells: computed with ops, from the global step read in the graph
    "schedule_exponential_stair": lambda ps: nn.Momentum(ps, nn.ExponentialDecayLR(0.1, 0.9, 2, True), 0.9),
    "schedule_natural_exp": lambda ps: nn.Momentum(ps, nn.NaturalExpDecayLR(0.1, 0.9, 2, True), 0.9),
    "schedule_inverse": lambda ps: nn.Adam(ps, nn.InverseDecayLR(0.01, 0.5, 2)),
    "schedule_cosine": lambda ps: nn.SGD(ps, nn.CosineDecayLR(0.01, 0.1, 3)),
    "schedule_polynomial": lambda ps: nn.RMSProp(ps, nn.PolynomialDecayLR(0.01, 0.001, 3, 2.0,
                                                                          update_decay_steps=True)),
    "schedule_warmup": lambda ps: nn.AdaMax(ps, nn.WarmUpLR(0.05, 3)),
    "schedule_groups": lambda ps: nn.Momentum([{"params": ps[:2], "lr": nn.WarmUpLR(0.1, 2)}, {"params": ps[2:]}],
                                              0.05, 0.9),
    # a weight decay that is a Cell of the step
    "dynamic_weight_decay": lambda ps: nn.AdamWeightDecay(ps, 0.01, weight_decay=nn.ExponentialDecayLR(0.1, 0.5, 1)),
    "dynamic_weight_decay_momentum": lambda ps: nn.Momentum(ps, 0.1, 0.9,
                                                            weight_decay=nn.CosineDecayLR(0.001, 0.01, 3)),
    "lamb_schedules": lambda ps: nn.Lamb(ps, nn.WarmUpLR(0.01, 2), weight_decay=nn.InverseDecayLR(0.01, 0.5, 1)),
}


def _step(make_opt):
    ms.set_seed(1)
    net = _MLP()
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    return nn.TrainOneStepCell(nn.WithLossCell(net, loss), make_opt(net.trainable_params()))


def _data():
    rng = np.random.default_rng(0)
    x = ms.Tensor(rng.standard_normal((5, 8)).astype(np.float32))
    y = ms.Tensor(np.array([0, 1, 2, 3, 1], np.int32))
    return x, y


def _assert_same_params(a, b):
    pa = dict(a.parameters_and_names())
    pb = dict(b.parameters_and_names())
    assert pa.keys() == pb.keys()
    for name in pa:
        assert isinstance(pb[name]._data, np.ndarray)
        want = pa[name].asnumpy()
        atol = 1e-7
        if not on_reference():
            # a native step rounds differently (FMA-contracted updates, other summation orders), and
            # RMSprop/Adam divide by sqrt(v), carrying a small gradient's relative rounding into
            # their state: up to 14 ulps of the array's largest value after 5 steps (the moment of
            # x_rmsprop_centered; 1.6 with -ffp-contract=off; given the same gradients the updates
            # agree closer: test_every_optimizers_update_on_cpu_equals_the_reference)
            atol = max(atol, ulps_of_max(want, 32))
        np.testing.assert_allclose(pb[name].asnumpy(), want, rtol=1e-5, atol=atol, err_msg=name)


@pytest.mark.parametrize("opt", sorted(_OPTIMIZERS))
def test_jit_train_step_equals_eager(opt):
    eager = _step(_OPTIMIZERS[opt])
    graph = _step(_OPTIMIZERS[opt])
    compiled = jit(graph)
    x, y = _data()
    losses = []
    for _ in range(5):
        want = eager(x, y).asnumpy()
        got = compiled(x, y).asnumpy()
        np.testing.assert_allclose(got, want, rtol=1e-5)
        losses.append(float(got))
    assert compiled.trace_count == 1
    assert losses[-1] < losses[0]  # it trains
    _assert_same_params(eager, graph)


@pytest.mark.parametrize("opt", sorted(_OPTIMIZERS))
def test_graph_mode_train_step_called_directly(opt):
    eager = _step(_OPTIMIZERS[opt])
    x, y = _data()
    want = [eager(x, y).asnumpy() for _ in range(3)]
    graph = _step(_OPTIMIZERS[opt])
    ms.set_context(mode=ms.GRAPH_MODE)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # compiled, no fallback
        got = [graph(x, y).asnumpy() for _ in range(3)]
    np.testing.assert_allclose(got, want, rtol=1e-5)
    assert graph._graph_jit.trace_count == 1
    _assert_same_params(eager, graph)


class _OpsRule(nn.Optimizer):
    """A user optimizer written with ops, as in MindSpore: traced as it is."""

    def construct(self, gradients):
        lr = self.get_lr()
        for p, g in zip(self._parameters, gradients):
            p.set_data(p - g * lr)
        return True


class _NumpyRule(nn.Optimizer):
    """A user optimizer reading the gradients' values: it cannot be traced."""

    def construct(self, gradients):
        for p, g in zip(self._parameters, gradients):
            p.set_data(p.asnumpy() - 0.1 * g.asnumpy())
        return True


def test_user_optimizer_written_with_ops_compiles():
    eager = _step(lambda ps: _OpsRule(ms.Tensor(np.array([0.1, 0.05, 0.02], np.float32)), ps))
    graph = _step(lambda ps: _OpsRule(ms.Tensor(np.array([0.1, 0.05, 0.02], np.float32)), ps))
    compiled = jit(graph)
    x, y = _data()
    for _ in range(4):
        np.testing.assert_allclose(compiled(x, y).asnumpy(), eager(x, y).asnumpy(), rtol=1e-6)
    assert compiled.trace_count == 1
    _assert_same_params(eager, graph)


def test_user_optimizer_reading_values_is_a_clear_error():
    step = _step(lambda ps: _NumpyRule(0.1, ps))
    x, y = _data()
    with pytest.raises(RuntimeError, match=r"test_train_step\.py:\d+.*asnumpy"):
        jit(step)(x, y)


def test_sporen_optimizer_without_a_traced_rule_is_a_clear_error():
    step = _step(lambda ps: nn.Adagrad(ps))
    step.optimizer._graph_update = False
    x, y = _data()
    with pytest.raises(NotImplementedError, match="Adagrad: its update has no graph-mode"):
        jit(step)(x, y)


_SCHEDULES = {
    "exponential": lambda: nn.ExponentialDecayLR(0.1, 0.9, 4),
    "exponential_stair": lambda: nn.ExponentialDecayLR(0.1, 0.9, 4, is_stair=True),
    "natural_exp": lambda: nn.NaturalExpDecayLR(0.1, 0.9, 4),
    "natural_exp_stair": lambda: nn.NaturalExpDecayLR(0.1, 0.9, 4, is_stair=True),
    "inverse": lambda: nn.InverseDecayLR(0.1, 0.5, 4),
    "inverse_stair": lambda: nn.InverseDecayLR(0.1, 0.5, 4, is_stair=True),
    "cosine": lambda: nn.CosineDecayLR(0.01, 0.1, 4),
    "polynomial": lambda: nn.PolynomialDecayLR(0.1, 0.01, 4, 0.5),
    "polynomial_update_decay_steps": lambda: nn.PolynomialDecayLR(0.1, 0.01, 4, 2.0, update_decay_steps=True),
    "warmup": lambda: nn.WarmUpLR(0.1, 4),
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", sorted(_SCHEDULES))
def test_schedule_values_in_the_graph_follow_the_global_step(name, backend):
    """Exact on the reference; on "cpu" within 2 ulps: C contracts cosine's ``min + delta * (1 +
    cos)`` into a fused multiply-add (1 ulp measured; bit-identical with -ffp-contract=off)."""
    ms.set_context(backend=backend)
    sched = _SCHEDULES[name]()
    compiled = jit(sched)
    for k in (0, 1, 3, 4, 6, 9):
        step = ms.Tensor(np.array([k], np.int32))
        want = sched(step)
        got = compiled(step)
        assert got.shape == want.shape == (1,) and got.dtype == want.dtype == ms.float32
        assert_matches_reference(got.asnumpy(), want.asnumpy(), ulps=2, err_msg=f"step {k}")
    assert compiled.trace_count == 1


_SHAPES = [(16, 8), (16,), (4, 16), (4,)]  # _MLP's parameters


def _all_optimizers_updated(backend, steps=3):
    """Every optimizer of _OPTIMIZERS on parameters of its own, all updated by one jit graph from
    the same random gradients ``steps`` times on ``backend``: name -> final array, for each
    parameter and each optimizer state."""
    ms.set_context(backend=backend)
    rng = np.random.default_rng(0)
    optimizers = {}
    for opt in sorted(_OPTIMIZERS):
        params = [ms.Parameter(ms.Tensor((rng.standard_normal(shape) * 0.5).astype(np.float32)), name=f"{opt}.p{j}")
                  for j, shape in enumerate(_SHAPES)]
        optimizers[opt] = (params, _OPTIMIZERS[opt](params))

    def update(*grads):
        for _, optimizer in optimizers.values():
            optimizer(grads)
        return grads[0]

    compiled = jit(update)
    for _ in range(steps):
        compiled(*[ms.Tensor((rng.standard_normal(shape) * 0.1).astype(np.float32)) for shape in _SHAPES])
    assert compiled.trace_count == 1
    arrays = {}
    for opt, (params, optimizer) in optimizers.items():
        arrays.update((p.name, p.asnumpy()) for p in params)
        arrays.update((f"{opt}: {name}", p.asnumpy()) for name, p in optimizer.parameters_and_names())
    return arrays


@pytest.mark.skipif(cache.compiler() is None, reason="no C compiler")
def test_every_optimizers_update_on_cpu_equals_the_reference():
    """The fused update kernels on "cpu", given the same gradients as the numpy graph, so that a
    wrong formula or output dtype in a kernel shows, not only a training run's drift. They differ only
    where C contracts ``a * b + c`` into a fused multiply-add (with -ffp-contract=off they are bit
    for bit the same): within 2 ulps of each array's largest value, except Adam's parameters
    (4.6 measured, adam_nesterov): its bias correction ``1 - beta2_power * beta2`` is one FMA
    (the exact product) where numpy rounds the product first, and 1 - 0.999^t cancels, moving
    lr_t by up to 1e-5 relative. 16 allowed."""
    want = _all_optimizers_updated("numpy")
    got = _all_optimizers_updated("cpu")
    assert got.keys() == want.keys()
    for name in want:
        assert_matches_reference(got[name], want[name], ulps=16, err_msg=name)


def _bn_net():
    ms.set_seed(2)
    return nn.SequentialCell([nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.ReLU()])


@pytest.mark.parametrize("graph_mode", [False, True])
def test_batch_norm_training_updates_running_stats(graph_mode):
    eager = _bn_net()
    graph = _bn_net()
    eager.set_train()
    graph.set_train()
    run = graph
    if graph_mode:
        ms.set_context(mode=ms.GRAPH_MODE)
    else:
        run = jit(graph)
    x = ms.Tensor(np.random.default_rng(3).standard_normal((2, 3, 6, 6)).astype(np.float32))
    before = graph.cells()[1].moving_mean.asnumpy().copy()
    for _ in range(3):
        got = run(x).asnumpy()
        ms.set_context(mode=ms.PYNATIVE_MODE)
        want = eager(x).asnumpy()
        if graph_mode:
            ms.set_context(mode=ms.GRAPH_MODE)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert not np.allclose(graph.cells()[1].moving_mean.asnumpy(), before)
    _assert_same_params(eager, graph)


def test_setitem_in_jit_equals_eager():
    def fn(x, v):
        y = x * 2
        y[1] = v
        y[:, 0] = 5.0
        return y + 1

    rng = np.random.default_rng(4)
    x = ms.Tensor(rng.standard_normal((3, 4)).astype(np.float32))
    v = ms.Tensor(np.ones(4, np.float32))
    np.testing.assert_array_equal(jit(fn)(x, v).asnumpy(), fn(x, v).asnumpy())


def test_setitem_on_an_argument_in_jit_writes_it_back():
    def fn(x):
        x[0] = 0.0
        return x.sum()

    a = ms.Tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
    b = ms.Tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
    assert float(fn(a)) == float(jit(fn)(b)) == 12.0
    np.testing.assert_array_equal(b.asnumpy(), a.asnumpy())


def test_setitem_on_a_parameter_in_jit_is_written_back():
    p = ms.Parameter(np.zeros((2, 3), np.float32), name="p")

    def fn(v):
        p[1] = v
        return p * 1

    out = jit(fn)(ms.Tensor(np.float32(3)))
    np.testing.assert_array_equal(p.asnumpy(), [[0, 0, 0], [3, 3, 3]])
    np.testing.assert_array_equal(out.asnumpy(), p.asnumpy())


def test_asnumpy_of_a_traced_tensor_is_a_clear_error():
    def fn(x):
        return ms.Tensor(x.asnumpy() + 1)

    with pytest.raises(RuntimeError, match=r"test_train_step\.py:\d+.*asnumpy"):
        jit(fn)(ms.Tensor(np.ones(2, np.float32)))


class _DataDependent(nn.Cell):
    def construct(self, x):
        # masked_select's output shape depends on the values: it has no graph path
        return ops.masked_select(x, x > 0) * 2


class _DataDependentIf(nn.Cell):
    def construct(self, x):
        if x.sum() > 0:  # tensor-dependent control flow: an If node
            return x * 2
        return x - 1


def test_graph_mode_falls_back_to_eager_with_one_warning():
    net = _DataDependent()
    some = ms.Tensor(np.array([1, -1, 3], np.float32))
    others = ms.Tensor(np.array([-1, 2, 5, 7], np.float32))
    ms.set_context(mode=ms.GRAPH_MODE)
    with pytest.warns(RuntimeWarning, match=r"_DataDependent.*PyNative.*not supported yet"):
        np.testing.assert_array_equal(net(some).asnumpy(), [2, 6])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warned once only
        np.testing.assert_array_equal(net(others).asnumpy(), [4, 10, 14])


def test_graph_mode_compiles_a_tensor_dependent_if_once():
    net = _DataDependentIf()
    pos = ms.Tensor(np.ones(3, np.float32))
    neg = ms.Tensor(-np.ones(3, np.float32))
    ms.set_context(mode=ms.GRAPH_MODE)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # compiled, no fallback
        np.testing.assert_array_equal(net(pos).asnumpy(), [2, 2, 2])
        np.testing.assert_array_equal(net(neg).asnumpy(), [-2, -2, -2])
    assert net._graph_jit.trace_count == 1


def test_graph_mode_retraces_when_the_phase_changes():
    net = _bn_net()
    x = ms.Tensor(np.random.default_rng(5).standard_normal((2, 3, 6, 6)).astype(np.float32))
    ms.set_context(mode=ms.GRAPH_MODE)
    net.set_train()
    net(x)
    stats = net.cells()[1].moving_mean.asnumpy().copy()
    net.set_train(False)
    out = net(x).asnumpy()
    np.testing.assert_array_equal(net.cells()[1].moving_mean.asnumpy(), stats)  # eval: stats unchanged
    ms.set_context(mode=ms.PYNATIVE_MODE)
    np.testing.assert_allclose(out, net(x).asnumpy(), rtol=1e-6)
    assert net._graph_jit.trace_count == 2


class _LeNet(nn.Cell):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, pad_mode="valid")
        self.conv2 = nn.Conv2d(6, 16, 5, pad_mode="valid")
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2, 2)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Dense(16 * 4 * 4, 32)
        self.fc2 = nn.Dense(32, 10)

    def construct(self, x):
        x = self.pool(self.relu(self.conv1(x)))
        x = self.pool(self.relu(self.conv2(x)))
        return self.fc2(self.relu(self.fc1(self.flatten(x))))


def _lenet_step():
    ms.set_seed(3)
    net = _LeNet()
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    return nn.TrainOneStepCell(nn.WithLossCell(net, loss), nn.Momentum(net.trainable_params(), 0.05, 0.9))


def test_graph_mode_lenet_trains_like_pynative():
    rng = np.random.default_rng(6)
    x = ms.Tensor(rng.standard_normal((8, 1, 28, 28)).astype(np.float32))
    y = ms.Tensor(rng.integers(0, 10, 8).astype(np.int32))
    eager = _lenet_step()
    want = [eager(x, y).asnumpy() for _ in range(4)]
    graph = _lenet_step()
    ms.set_context(mode=ms.GRAPH_MODE)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # compiled, no fallback
        got = [graph(x, y).asnumpy() for _ in range(4)]
    np.testing.assert_allclose(got, want, rtol=1e-5)
    assert got[-1] < got[0]
    assert graph._graph_jit.trace_count == 1
    _assert_same_params(eager, graph)


class _FromNumpy(nn.Cell):
    def construct(self, x):
        return ms.Tensor(x) * 2


def test_graph_mode_cell_given_numpy_arrays_runs_eagerly():
    net = _FromNumpy()
    ms.set_context(mode=ms.GRAPH_MODE)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for k in range(3):
            np.testing.assert_array_equal(net(np.full(2, k, np.float32)).asnumpy(), [2 * k, 2 * k])
    assert net._graph_jit.trace_count == 0  # never traced (the arrays would be baked)


def test_graph_mode_cell_can_be_copied_and_pickled_after_compiling():
    import copy
    import pickle
    ms.set_seed(0)
    net = nn.Dense(3, 2)
    x = ms.Tensor(np.ones((1, 3), np.float32))
    ms.set_context(mode=ms.GRAPH_MODE)
    net(x)
    twin = copy.deepcopy(net)
    twin.weight.set_data(np.zeros((2, 3), np.float32))
    np.testing.assert_allclose(twin(x).asnumpy(), twin.bias.asnumpy()[None], rtol=1e-6)
    assert not np.allclose(net(x).asnumpy(), twin(x).asnumpy())
    clone = pickle.loads(pickle.dumps(net))
    np.testing.assert_allclose(clone(x).asnumpy(), net(x).asnumpy(), rtol=1e-6)


def test_grad_through_setitem_in_jit_equals_eager():
    def fn(x, v):
        y = x * 2
        y[1] = v * 3
        return (y * y).sum()

    g = ms.grad(fn, grad_position=(0, 1))
    x = ms.Tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
    v = ms.Tensor(np.ones(3, np.float32))
    want = g(x, v)
    got = jit(g)(x, v)
    np.testing.assert_array_equal(got[0].asnumpy(), want[0].asnumpy())
    np.testing.assert_array_equal(got[1].asnumpy(), want[1].asnumpy())
    np.testing.assert_array_equal(got[0].asnumpy(), [[0, 8, 16], [0, 0, 0]])


def _loss_scale_step(sense, make_opt):
    ms.set_seed(1)
    net = _MLP()
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    opt = make_opt(net.trainable_params())
    return nn.TrainOneStepWithLossScaleCell(nn.WithLossCell(net, loss), opt, sense())


_SENSES = {
    "tensor": lambda: ms.Tensor(np.float32(1024)),
    "tensor_1d": lambda: ms.Tensor(np.array([256], np.float32)),
    "dynamic": lambda: nn.DynamicLossScaleUpdateCell(2.0 ** 12, 2.0, 2),
    "fixed": lambda: nn.FixedLossScaleUpdateCell(128.0),
}


@pytest.mark.parametrize("opt", ["momentum", "schedule_warmup", "adam"])
@pytest.mark.parametrize("sense", sorted(_SENSES))
def test_loss_scale_step_in_graph_mode_equals_pynative_with_overflows(sense, opt):
    x, y = _data()
    bad = x.asnumpy().copy()
    bad[1, 3] = np.inf  # the gradients overflow: the update is skipped, the dynamic scale halves
    bad = ms.Tensor(bad)
    inputs = [x, bad, x, x, bad, x, x, x]
    eager = _loss_scale_step(_SENSES[sense], _OPTIMIZERS[opt])
    want = [eager(d, y) for d in inputs]
    graph = _loss_scale_step(_SENSES[sense], _OPTIMIZERS[opt])
    ms.set_context(mode=ms.GRAPH_MODE)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # compiled (no fallback), and no numpy warning from the infs
        got = [graph(d, y) for d in inputs]
    assert graph._graph_jit.trace_count == 1
    assert [bool(w[1].asnumpy()) for w in want] == [False, True, False, False, True, False, False, False]
    for w, g in zip(want, got):
        for a, b in zip(w, g):
            assert a.shape == b.shape and a.dtype == b.dtype
            np.testing.assert_allclose(b.asnumpy(), a.asnumpy(), rtol=1e-5)
    if sense == "dynamic":
        assert [float(w[2].asnumpy()) for w in want] == [4096, 4096, 2048, 2048, 4096, 2048, 2048, 4096]
    _assert_same_params(eager, graph)


def test_loss_scale_step_under_jit_equals_pynative():
    x, y = _data()
    eager = _loss_scale_step(_SENSES["dynamic"], _OPTIMIZERS["adam"])
    graph = _loss_scale_step(_SENSES["dynamic"], _OPTIMIZERS["adam"])
    compiled = jit(graph)
    for _ in range(3):
        want = eager(x, y)
        got = compiled(x, y)
        for a, b in zip(want, got):
            np.testing.assert_allclose(b.asnumpy(), a.asnumpy(), rtol=1e-5)
    assert compiled.trace_count == 1
    _assert_same_params(eager, graph)


@pytest.mark.parametrize("opt", ["momentum", "x_adamw"])
def test_learning_rate_changed_between_steps_is_seen_by_the_graph(opt):
    def set_lr(step, value):
        optimizer = step.optimizer
        if hasattr(optimizer, "param_groups"):
            optimizer.param_groups[0]["lr"].set_data(ms.Tensor(np.float32(value)))
        else:
            optimizer.learning_rate.set_data(ms.Tensor(np.float32(value)))

    x, y = _data()
    eager = _step(_OPTIMIZERS[opt])
    graph = _step(_OPTIMIZERS[opt])
    compiled = jit(graph)
    for lr in (0.1, 0.0, 0.03):  # an lr scheduler changing the Parameter between steps
        set_lr(eager, lr)
        set_lr(graph, lr)
        np.testing.assert_allclose(compiled(x, y).asnumpy(), eager(x, y).asnumpy(), rtol=1e-5)
    assert compiled.trace_count == 1
    _assert_same_params(eager, graph)


@pytest.mark.parametrize("make", [
    lambda ps: xoptim.SGD(ps, 0.1, momentum=0.9, maximize=True),
    lambda ps: xoptim.Adam(ps, 0.01, maximize=True),
    lambda ps: xoptim.AdamW([{"params": ps[:2], "maximize": True}, {"params": ps[2:]}], 0.01),
    lambda ps: xoptim.RMSprop(ps, 0.01, maximize=True),
    lambda ps: xoptim.Adagrad(ps, 0.05, maximize=True),
], ids=["sgd", "adam", "adamw_group", "rmsprop", "adagrad"])
def test_experimental_optimizers_maximize_in_graph_mode(make):
    x, y = _data()
    eager = _step(make)
    want = [float(eager(x, y).asnumpy()) for _ in range(3)]
    graph = _step(make)
    ms.set_context(mode=ms.GRAPH_MODE)
    got = [float(graph(x, y).asnumpy()) for _ in range(3)]
    np.testing.assert_allclose(got, want, rtol=1e-5)
    assert graph._graph_jit.trace_count == 1
    _assert_same_params(eager, graph)
