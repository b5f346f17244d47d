"""The PyTorch-like experimental optimizers (sporen.nn.optim.experimental, MindSpore's
``mindspore.experimental.optim``): AdamW against torch.optim.AdamW exactly, SGD against torch.optim.SGD,
Adam against MindSpore's kernel formula; param groups, maximize and state names."""
import numpy as np
import pytest

from sporen import Parameter, Tensor
from sporen.nn.optim import experimental as optim


def make(seed=0):
    rng = np.random.default_rng(seed)
    return [Parameter(rng.normal(size=(3, 4)).astype(np.float32), name="fc.weight"),
            Parameter(rng.normal(size=(4,)).astype(np.float32), name="fc.bias")]


def grads_for(params, steps=5, seed=1):
    rng = np.random.default_rng(seed)
    return [[rng.normal(size=p.shape).astype(np.float32) for p in params] for _ in range(steps)]


def run(opt, params, grads):
    out = []
    for gs in grads:
        assert opt(tuple(Tensor(g) for g in gs)) is True
        out.append([p.asnumpy().astype(np.float64).copy() for p in params])
    return out


def torch_run(factory, p0, grads):
    torch = pytest.importorskip("torch")
    tparams = [torch.tensor(x.astype(np.float64), requires_grad=True) for x in p0]
    opt = factory(tparams)
    out = []
    for gs in grads:
        for tp, g in zip(tparams, gs):
            tp.grad = torch.tensor(g.astype(np.float64))
        opt.step()
        out.append([tp.detach().numpy().copy() for tp in tparams])
    return out


def check(got, want, rtol=2e-5):
    for step, (g_step, w_step) in enumerate(zip(got, want)):
        for g, w in zip(g_step, w_step):
            np.testing.assert_allclose(g, w, rtol=rtol, atol=1e-6, err_msg=f"step {step}")


def f32(x):
    return float(np.float32(x))


@pytest.mark.parametrize("kwargs", [{}, {"amsgrad": True}, {"weight_decay": 0.1, "maximize": True}])
def test_adamw_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    params = make()
    p0 = [p.asnumpy().copy() for p in params]
    grads = grads_for(params)
    want = torch_run(lambda ps: torch.optim.AdamW(ps, lr=f32(0.01), **kwargs), p0, grads)
    check(run(optim.AdamW(params, lr=0.01, **kwargs), params, grads), want)


@pytest.mark.parametrize("kwargs", [{"momentum": 0.9}, {"momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
                                    {"momentum": 0.5, "dampening": 0.2, "maximize": True}])
def test_sgd_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    params = make()
    p0 = [p.asnumpy().copy() for p in params]
    grads = grads_for(params)
    tkw = dict(kwargs)
    if "momentum" in tkw:
        tkw["momentum"] = f32(tkw["momentum"])
    want = torch_run(lambda ps: torch.optim.SGD(ps, lr=f32(0.1), **tkw), p0, grads)
    check(run(optim.SGD(params, lr=0.1, **kwargs), params, grads), want)


def test_adam_uses_mindspores_kernel_formula():
    params = make()
    w = [p.asnumpy().astype(np.float64) for p in params]
    grads = grads_for(params)
    b1, b2, eps, lr, wd = f32(0.9), f32(0.999), f32(1e-8), f32(0.01), 0.05
    m = [np.zeros_like(x) for x in w]
    v = [np.zeros_like(x) for x in w]
    want = []
    for t, gs in enumerate(grads, start=1):
        lr_t = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        for i, g in enumerate(gs):
            g = g + wd * w[i]
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            w[i] = w[i] - lr_t * m[i] / (np.sqrt(v[i]) + eps)
        want.append([x.copy() for x in w])
    opt = optim.Adam(params, lr=0.01, weight_decay=wd)
    check(run(opt, params, grads), want)
    assert int(opt.state_step.asnumpy()) == len(grads)


def test_param_groups_and_state_names():
    a, b = make()
    opt = optim.AdamW([{"params": [a], "lr": 0.1}, {"params": b, "weight_decay": 0.0}], lr=0.01)
    assert len(opt.param_groups) == 2 and opt.group_start_id == [0, 1, 2]
    assert opt.param_groups[0]["lr"].name == "learning_rate_group_0"
    np.testing.assert_allclose(opt.param_groups[1]["lr"].asnumpy(), 0.01)
    assert opt.param_groups[1]["betas"] == (0.9, 0.999)
    names = {p.name for p in opt.get_parameters()}
    assert {"exp_avg.fc.weight", "exp_avg_sq.fc.bias", "max_exp_avg_sq.fc.weight", "state_step",
            "learning_rate_group_0", "learning_rate_group_1"} <= names
    # an lr scheduler changes the group's lr Parameter in place: the next step uses it
    opt.param_groups[0]["lr"].set_data(Tensor(np.float32(0.0)))
    before = a.asnumpy().copy()
    opt((Tensor(np.ones((3, 4), np.float32)), Tensor(np.ones(4, np.float32))))
    np.testing.assert_allclose(a.asnumpy(), before)  # lr 0 and decay lr * wd = 0: unchanged
    with pytest.raises(ValueError, match="more than one"):
        optim.SGD([{"params": [a]}, {"params": [a]}], lr=0.1)
    with pytest.raises(TypeError, match="ordered"):
        optim.SGD([{"params": {a}}], lr=0.1)
    with pytest.raises(ValueError, match="beta"):
        optim.Adam([a], betas=(1.0, 0.9))
    with pytest.raises(ValueError, match="nesterov"):
        optim.SGD([a], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="2 parameters"):
        opt((Tensor(np.ones((3, 4), np.float32)),))
    assert "Parameter Group 0" in repr(opt)


@pytest.mark.parametrize("kwargs", [{}, {"momentum": 0.5, "centered": True, "weight_decay": 0.01},
                                    {"momentum": 0.9, "maximize": True}])
def test_rmsprop_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    params = make()
    p0 = [p.asnumpy().copy() for p in params]
    grads = grads_for(params)
    want = torch_run(lambda ps: torch.optim.RMSprop(ps, lr=f32(0.01), **kwargs), p0, grads)
    opt = optim.RMSprop(params, lr=0.01, **kwargs)
    check(run(opt, params, grads), want)
    assert opt.mean_square[0].name == "mean_square.fc.weight"


@pytest.mark.parametrize("kwargs", [{}, {"lr_decay": 0.1, "initial_accumulator_value": 0.2, "weight_decay": 0.01},
                                    {"maximize": True}])
def test_adagrad_matches_torch(kwargs):
    torch = pytest.importorskip("torch")
    params = make()
    p0 = [p.asnumpy().copy() for p in params]
    grads = grads_for(params)
    want = torch_run(lambda ps: torch.optim.Adagrad(ps, lr=f32(0.1), **kwargs), p0, grads)
    opt = optim.Adagrad(params, lr=0.1, **kwargs)
    check(run(opt, params, grads), want)
    assert int(opt.step_t.asnumpy()) == len(grads)
    with pytest.raises(ValueError, match="eps"):
        optim.Adagrad(params, eps=0.0)
