"""Optimizers: each update compared step by step with MindSpore's formulas written out here
independently (float64), with torch.optim where the math coincides, plus groups, dynamic learning
rates, weight decay rules, loss scale, state names and argument errors."""
import numpy as np
import pytest

import sporen as ms
from sporen import nn, ops, Parameter, Tensor

STEPS = 4


def make_params(seed=0, shapes=((3, 4), (4,)), names=("fc.weight", "fc.bias"), dtype=np.float32):
    rng = np.random.default_rng(seed)
    return [Parameter(rng.normal(size=s).astype(dtype), name=n) for s, n in zip(shapes, names)]


def make_grads(params, steps=STEPS, seed=1):
    rng = np.random.default_rng(seed)
    return [[rng.normal(size=p.shape).astype(np.float32) for p in params] for _ in range(steps)]


def run(opt, params, grads):
    """Apply the optimizer to each step's gradients; return the parameter values after every step."""
    history = []
    for step_grads in grads:
        assert opt(tuple(Tensor(g) for g in step_grads)) is True
        history.append([p.asnumpy().astype(np.float64).copy() for p in params])
    return history


def check(history, expected, rtol=2e-5, atol=1e-6):
    for step, (got, want) in enumerate(zip(history, expected)):
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, err_msg=f"step {step}")


def f32(x):
    return float(np.float32(x))


# --- independent references: MindSpore's documented update rules, float64 -------------------------
def ref_momentum(p0, grads, lr, momentum, nesterov=False, wd=0.0, decay_mask=None, loss_scale=1.0):
    p = [x.astype(np.float64) for x in p0]
    v = [np.zeros_like(x) for x in p]
    out = []
    mom = f32(momentum)
    for gs in grads:
        for i, g in enumerate(gs):
            g = g.astype(np.float64)
            if wd and (decay_mask is None or decay_mask[i]):
                g = g + wd * loss_scale * p[i]
            g = g / loss_scale
            v[i] = mom * v[i] + g
            if nesterov:
                p[i] = p[i] - (g * lr + v[i] * mom * lr)
            else:
                p[i] = p[i] - lr * v[i]
        out.append([x.copy() for x in p])
    return out


def ref_sgd(p0, grads, lr, momentum, dampening=0.0, wd=0.0, nesterov=False):
    p = [x.astype(np.float64) for x in p0]
    v = [None for _ in p]
    out = []
    mom = f32(momentum)
    for gs in grads:
        for i, g in enumerate(gs):
            g = g.astype(np.float64) + wd * p[i]
            if mom > 0:
                v[i] = g.copy() if v[i] is None else mom * v[i] + (1 - dampening) * g
                g = g + mom * v[i] if nesterov else v[i]
            p[i] = p[i] - lr * g
        out.append([x.copy() for x in p])
    return out


def ref_adam(p0, grads, lr, b1, b2, eps, wd=0.0, nesterov=False, amsgrad=False):
    b1, b2, eps = f32(b1), f32(b2), f32(eps)
    p = [x.astype(np.float64) for x in p0]
    m = [np.zeros_like(x) for x in p]
    v = [np.zeros_like(x) for x in p]
    vmax = [np.zeros_like(x) for x in p]
    out = []
    for t, gs in enumerate(grads, start=1):
        lr_t = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        for i, g in enumerate(gs):
            g = g.astype(np.float64) + wd * p[i]
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            if amsgrad:
                vmax[i] = np.maximum(vmax[i], v[i])
                p[i] = p[i] - lr_t * m[i] / (np.sqrt(vmax[i]) + eps)
            elif nesterov:
                p[i] = p[i] - lr_t * (b1 * m[i] + (1 - b1) * g) / (np.sqrt(v[i]) + eps)
            else:
                p[i] = p[i] - lr_t * m[i] / (np.sqrt(v[i]) + eps)
        out.append([x.copy() for x in p])
    return out


def ref_adam_weight_decay(p0, grads, lr, b1, b2, eps, wd, decay_mask):
    b1, b2, eps, wd = f32(b1), f32(b2), f32(eps), f32(wd)
    p = [x.astype(np.float64) for x in p0]
    m = [np.zeros_like(x) for x in p]
    v = [np.zeros_like(x) for x in p]
    out = []
    for gs in grads:
        for i, g in enumerate(gs):
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            update = m[i] / (np.sqrt(v[i]) + eps)
            if decay_mask[i]:
                update = update + wd * p[i]
            p[i] = p[i] - lr * update
        out.append([x.copy() for x in p])
    return out


def ref_rmsprop(p0, grads, lr, decay, momentum, eps, centered=False):
    p = [x.astype(np.float64) for x in p0]
    ms_ = [np.ones_like(x) for x in p]
    mg = [np.zeros_like(x) for x in p]
    mom = [np.zeros_like(x) for x in p]
    out = []
    for gs in grads:
        for i, g in enumerate(gs):
            ms_[i] = decay * ms_[i] + (1 - decay) * g * g
            if centered:
                mg[i] = decay * mg[i] + (1 - decay) * g
                denom = np.sqrt(ms_[i] - mg[i] * mg[i] + eps)
            else:
                denom = np.sqrt(ms_[i] + eps)
            mom[i] = momentum * mom[i] + lr * g / denom
            p[i] = p[i] - mom[i]
        out.append([x.copy() for x in p])
    return out


def ref_adagrad(p0, grads, lr, accum0, update_slots=True):
    p = [x.astype(np.float64) for x in p0]
    acc = [np.full_like(x, accum0) for x in p]
    out = []
    for gs in grads:
        for i, g in enumerate(gs):
            if update_slots:
                acc[i] = acc[i] + g * g
            p[i] = p[i] - lr * g / np.sqrt(acc[i])
        out.append([x.copy() for x in p])
    return out


def ref_adadelta(p0, grads, lr, rho, eps):
    p = [x.astype(np.float64) for x in p0]
    acc = [np.zeros_like(x) for x in p]
    acc_up = [np.zeros_like(x) for x in p]
    out = []
    for gs in grads:
        for i, g in enumerate(gs):
            acc[i] = rho * acc[i] + (1 - rho) * g * g
            update = np.sqrt(acc_up[i] + eps) / np.sqrt(acc[i] + eps) * g
            acc_up[i] = rho * acc_up[i] + (1 - rho) * update * update
            p[i] = p[i] - lr * update
        out.append([x.copy() for x in p])
    return out


def ref_adamax(p0, grads, lr, b1, b2, eps):
    b1, b2, eps = f32(b1), f32(b2), f32(eps)
    p = [x.astype(np.float64) for x in p0]
    m = [np.zeros_like(x) for x in p]
    u = [np.zeros_like(x) for x in p]
    out = []
    for t, gs in enumerate(grads, start=1):
        for i, g in enumerate(gs):
            m[i] = b1 * m[i] + (1 - b1) * g
            u[i] = np.maximum(b2 * u[i], np.abs(g))
            p[i] = p[i] - lr / (1 - b1 ** t) * m[i] / (u[i] + eps)
        out.append([x.copy() for x in p])
    return out


def ref_lamb(p0, grads, lr, b1, b2, eps, wd, decay_mask):
    b1, b2, eps, wd = f32(b1), f32(b2), f32(eps), f32(wd)
    p = [x.astype(np.float64) for x in p0]
    m = [np.zeros_like(x) for x in p]
    v = [np.zeros_like(x) for x in p]
    out = []
    for t, gs in enumerate(grads, start=1):
        for i, g in enumerate(gs):
            decay = wd if decay_mask[i] else 0.0
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
            mh = m[i] / (1 - b1 ** t)
            vh = v[i] / (1 - b2 ** t)
            w_norm = np.linalg.norm(p[i])
            g_norm = np.linalg.norm(g)
            hat_norm = np.linalg.norm(mh / np.sqrt(vh + eps) + decay * p[i])
            ratio = w_norm / hat_norm if (w_norm > 0 and g_norm > 0) else 1.0
            ratio = min(max(ratio, 0.0), 10.0)
            p[i] = p[i] - ratio * lr * (mh / (np.sqrt(vh) + eps) + decay * p[i])
        out.append([x.copy() for x in p])
    return out


def initial(params):
    return [p.asnumpy().copy() for p in params]


# --- each optimizer against its reference ------------------------------------------------------
@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_matches_formula(nesterov):
    params = make_params()
    p0 = initial(params)
    grads = make_grads(params)
    opt = nn.Momentum(params, learning_rate=0.1, momentum=0.9, use_nesterov=nesterov)
    check(run(opt, params, grads), ref_momentum(p0, grads, f32(0.1), 0.9, nesterov))


def test_momentum_weight_decay_skips_beta_gamma_and_loss_scale_divides():
    params = make_params(shapes=((3, 4), (4,), (4,)), names=("conv.weight", "bn.gamma", "bn.beta"))
    p0 = initial(params)
    grads = make_grads(params)
    opt = nn.Momentum(params, learning_rate=0.05, momentum=0.8, weight_decay=0.01, loss_scale=4.0)
    assert opt.decay_flags == (True, False, False)
    check(run(opt, params, grads),
          ref_momentum(p0, grads, f32(0.05), 0.8, wd=0.01, decay_mask=[True, False, False], loss_scale=4.0))


@pytest.mark.parametrize("momentum,dampening,wd,nesterov", [(0.0, 0.0, 0.0, False), (0.9, 0.0, 0.0, False),
                                                           (0.9, 0.3, 0.01, False), (0.8, 0.0, 0.02, True)])
def test_sgd_matches_formula(momentum, dampening, wd, nesterov):
    params = make_params()
    p0 = initial(params)
    grads = make_grads(params)
    opt = nn.SGD(params, learning_rate=0.1, momentum=momentum, dampening=dampening, weight_decay=wd,
                 nesterov=nesterov)
    check(run(opt, params, grads), ref_sgd(p0, grads, f32(0.1), momentum, dampening, wd, nesterov))


@pytest.mark.parametrize("kwargs", [{}, {"use_nesterov": True}, {"use_amsgrad": True}, {"weight_decay": 0.1}])
def test_adam_matches_formula(kwargs):
    params = make_params()
    p0 = initial(params)
    grads = make_grads(params, steps=6)
    opt = nn.Adam(params, learning_rate=0.01, **kwargs)
    expected = ref_adam(p0, grads, f32(0.01), 0.9, 0.999, 1e-8, wd=kwargs.get("weight_decay", 0.0),
                        nesterov=kwargs.get("use_nesterov", False), amsgrad=kwargs.get("use_amsgrad", False))
    check(run(opt, params, grads), expected)
    np.testing.assert_allclose(opt.beta1_power.asnumpy(), np.float32(0.9) ** 6, rtol=1e-5)


def test_adam_weight_decay_matches_formula():
    params = make_params(shapes=((3, 4), (4,)), names=("dense.weight", "norm.beta"))
    p0 = initial(params)
    grads = make_grads(params)
    opt = nn.AdamWeightDecay(params, learning_rate=0.01, weight_decay=0.1)
    check(run(opt, params, grads), ref_adam_weight_decay(p0, grads, f32(0.01), 0.9, 0.999, 1e-6, 0.1, [True, False]))


@pytest.mark.parametrize("centered,momentum", [(False, 0.0), (False, 0.5), (True, 0.3)])
def test_rmsprop_matches_formula(centered, momentum):
    params = make_params()
    p0 = initial(params)
    grads = make_grads(params)
    opt = nn.RMSProp(params, learning_rate=0.01, decay=0.9, momentum=momentum, epsilon=1e-6, centered=centered)
    check(run(opt, params, grads), ref_rmsprop(p0, grads, f32(0.01), 0.9, momentum, 1e-6, centered))
    assert int(opt.global_step.asnumpy()[0]) == STEPS  # RMSProp advances the step on every call


@pytest.mark.parametrize("update_slots", [True, False])
def test_adagrad_matches_formula(update_slots):
    params = make_params()
    p0 = initial(params)
    grads = make_grads(params)
    opt = nn.Adagrad(params, accum=0.1, learning_rate=0.01, update_slots=update_slots)
    check(run(opt, params, grads), ref_adagrad(p0, grads, f32(0.01), 0.1, update_slots))


def test_adadelta_matches_formula():
    params = make_params()
    p0 = initial(params)
    grads = make_grads(params)
    opt = nn.Adadelta(params, learning_rate=1.0, rho=0.9, epsilon=1e-6)
    check(run(opt, params, grads), ref_adadelta(p0, grads, 1.0, 0.9, 1e-6))


def test_adamax_matches_formula():
    params = make_params()
    p0 = initial(params)
    grads = make_grads(params)
    opt = nn.AdaMax(params, learning_rate=0.01)
    check(run(opt, params, grads), ref_adamax(p0, grads, f32(0.01), 0.9, 0.999, 1e-8))


def test_lamb_matches_formula():
    params = make_params(shapes=((3, 4), (4,)), names=("dense.weight", "ln.gamma"))
    p0 = initial(params)
    grads = make_grads(params)
    opt = nn.Lamb(params, learning_rate=0.01, weight_decay=0.01)
    check(run(opt, params, grads), ref_lamb(p0, grads, f32(0.01), 0.9, 0.999, 1e-6, 0.01, [True, False]))


def test_lamb_trust_ratio_is_one_for_zero_weights():
    params = [Parameter(np.zeros((4,), np.float32), name="w")]
    opt = nn.Lamb(params, learning_rate=0.1)
    opt((Tensor(np.array([1.0, -2.0, 3.0, 0.5], np.float32)),))
    # first step: m' = g, v' = g^2, so the Adam direction is sign(g) (up to eps) and the ratio is 1
    np.testing.assert_allclose(params[0].asnumpy(), -0.1 * np.sign([1.0, -2.0, 3.0, 0.5]), rtol=1e-5)


# --- torch, where the math coincides ---------------------------------------------------------------
def torch_run(torch_opt_factory, p0, grads):
    torch = pytest.importorskip("torch")
    tparams = [torch.tensor(x.astype(np.float64), requires_grad=True) for x in p0]
    topt = torch_opt_factory(tparams)
    out = []
    for gs in grads:
        for tp, g in zip(tparams, gs):
            tp.grad = torch.tensor(g.astype(np.float64))
        topt.step()
        out.append([tp.detach().numpy().copy() for tp in tparams])
    return out


@pytest.mark.parametrize("momentum,dampening,wd,nesterov", [(0.0, 0.0, 0.0, False), (0.9, 0.1, 0.01, False),
                                                           (0.9, 0.0, 0.0, True)])
def test_sgd_matches_torch(momentum, dampening, wd, nesterov):
    torch = pytest.importorskip("torch")
    params = make_params()
    p0 = initial(params)
    grads = make_grads(params)
    expected = torch_run(lambda ps: torch.optim.SGD(ps, lr=f32(0.1), momentum=f32(momentum), dampening=dampening,
                                                    weight_decay=wd, nesterov=nesterov), p0, grads)
    opt = nn.SGD(params, learning_rate=0.1, momentum=momentum, dampening=dampening, weight_decay=wd, nesterov=nesterov)
    check(run(opt, params, grads), expected)


def test_adam_matches_torch():
    torch = pytest.importorskip("torch")
    params = make_params()
    p0 = initial(params)
    grads = make_grads(params, steps=6)
    # MindSpore adds eps to sqrt(v) before bias correction, torch after: equal up to eps-sized terms
    expected = torch_run(lambda ps: torch.optim.Adam(ps, lr=f32(0.01), betas=(f32(0.9), f32(0.999)), eps=1e-8),
                         p0, grads)
    check(run(nn.Adam(params, learning_rate=0.01), params, grads), expected, rtol=1e-4)


def test_rmsprop_matches_torch_from_zero_mean_square():
    torch = pytest.importorskip("torch")
    params = make_params()
    p0 = initial(params)
    grads = make_grads(params)
    expected = torch_run(lambda ps: torch.optim.RMSprop(ps, lr=f32(0.01), alpha=0.9, eps=1e-10, momentum=0.5),
                         p0, grads)
    opt = nn.RMSProp(params, learning_rate=0.01, decay=0.9, momentum=0.5, epsilon=1e-10)
    for ms_state in opt.ms:  # torch starts the mean square at zero, MindSpore at one
        ms_state.set_data(Tensor(np.zeros(ms_state.shape, np.float32)))
    check(run(opt, params, grads), expected, rtol=1e-4)


def test_adagrad_matches_torch():
    torch = pytest.importorskip("torch")
    params = make_params()
    p0 = initial(params)
    grads = make_grads(params)
    expected = torch_run(lambda ps: torch.optim.Adagrad(ps, lr=f32(0.01), initial_accumulator_value=0.1, eps=0.0),
                         p0, grads)
    check(run(nn.Adagrad(params, accum=0.1, learning_rate=0.01), params, grads), expected)


def test_adadelta_matches_torch():
    torch = pytest.importorskip("torch")
    params = make_params()
    p0 = initial(params)
    grads = make_grads(params)
    expected = torch_run(lambda ps: torch.optim.Adadelta(ps, lr=1.0, rho=0.9, eps=1e-6), p0, grads)
    check(run(nn.Adadelta(params, learning_rate=1.0, rho=0.9, epsilon=1e-6), params, grads), expected)


# --- groups, learning rates, weight decay -----------------------------------------------------------
def test_group_params_lr_weight_decay_and_order():
    conv_w, conv_b, fc_w = make_params(shapes=((2, 3), (3,), (3, 2)), names=("conv.weight", "conv.bias", "fc.weight"))
    p0 = initial([conv_w, conv_b, fc_w])
    groups = [{"params": [conv_w, conv_b], "weight_decay": 0.01},
              {"params": [fc_w], "lr": 0.01},
              {"order_params": [fc_w, conv_w, conv_b]}]
    opt = nn.Momentum(groups, learning_rate=0.1, momentum=0.9)
    assert [p.name for p in opt.parameters] == ["fc.weight", "conv.weight", "conv.bias"]
    assert opt.is_group and opt.is_group_lr
    assert opt.decay_flags == (False, True, True)
    lr_conv = opt.get_lr_parameter(conv_w)
    lr_fc = opt.get_lr_parameter([fc_w])[0]
    np.testing.assert_allclose(lr_conv.asnumpy(), 0.1)
    np.testing.assert_allclose(lr_fc.asnumpy(), 0.01)
    assert lr_fc.name == "learning_rate_group_1"
    rng = np.random.default_rng(3)
    g = [rng.normal(size=p.shape).astype(np.float32) for p in opt.parameters]
    opt(tuple(Tensor(x) for x in g))
    fc_want = p0[2] - f32(0.01) * g[0]
    conv_want = p0[0] - f32(0.1) * (g[1] + 0.01 * p0[0])
    bias_want = p0[1] - f32(0.1) * (g[2] + 0.01 * p0[1])
    np.testing.assert_allclose(fc_w.asnumpy(), fc_want, rtol=1e-6)
    np.testing.assert_allclose(conv_w.asnumpy(), conv_want, rtol=1e-6)
    np.testing.assert_allclose(conv_b.asnumpy(), bias_want, rtol=1e-6)


def test_group_params_errors():
    a, b = make_params()
    with pytest.raises(KeyError):
        nn.SGD([{"params": [a], "momentum": 0.1}])
    with pytest.raises(RuntimeError, match="already exists"):
        nn.SGD([{"params": [a]}, {"params": [a, b]}])
    with pytest.raises(ValueError, match="order"):
        nn.SGD([{"params": [a]}, {"params": [b]}, {"order_params": [a]}])
    with pytest.raises(TypeError, match="Parameter"):
        nn.SGD([{"params": [a, 3]}])
    with pytest.raises(TypeError, match="'Parameter' or 'dict'"):
        nn.SGD([a, {"params": [b]}])
    with pytest.raises(ValueError, match="empty"):
        nn.SGD([])
    with pytest.raises(ValueError, match="None"):
        nn.SGD(None)


def test_grad_centralization_for_groups():
    w = Parameter(np.zeros((2, 16), np.float32), name="conv.weight")
    b = Parameter(np.zeros((16,), np.float32), name="conv.bias")
    opt = nn.SGD([{"params": [w, b], "grad_centralization": True}], learning_rate=1.0)
    g = np.arange(32, dtype=np.float32).reshape(2, 16)
    gb = np.arange(16, dtype=np.float32)
    opt((Tensor(g), Tensor(gb)))
    np.testing.assert_allclose(w.asnumpy(), -(g - g.mean(axis=1, keepdims=True)), rtol=1e-6)
    np.testing.assert_allclose(b.asnumpy(), -gb)  # rank 1: not centralized


def test_dynamic_lr_list_and_global_step():
    (w,) = make_params(shapes=((3,),), names=("w",))
    p0 = w.asnumpy().copy()
    lrs = [0.1, 0.05, 0.01]
    opt = nn.SGD([w], learning_rate=lrs)
    assert opt.dynamic_lr
    g = np.ones(3, np.float32)
    expected = p0.astype(np.float64)
    for step, lr in enumerate(lrs):
        np.testing.assert_array_equal(opt.global_step.asnumpy(), [step])
        opt((Tensor(g),))
        expected = expected - f32(lr) * g
        np.testing.assert_allclose(w.asnumpy(), expected, rtol=1e-6)
    # past the end of the table MindSpore's Gather reads 0: no further update
    opt((Tensor(g),))
    np.testing.assert_allclose(w.asnumpy(), expected, rtol=1e-6)


def test_learning_rate_schedule_drives_the_optimizer():
    (w,) = make_params(shapes=((2,),), names=("w",))
    p0 = w.asnumpy().astype(np.float64)
    schedule = nn.ExponentialDecayLR(0.1, 0.5, 1)
    opt = nn.Momentum([w], learning_rate=schedule, momentum=0.0)
    g = np.array([1.0, 2.0], np.float32)
    for _ in range(3):
        opt((Tensor(g),))
    np.testing.assert_allclose(w.asnumpy(), p0 - (0.1 + 0.05 + 0.025) * g, rtol=1e-6)
    assert int(opt.global_step.asnumpy()[0]) == 3
    assert opt.learning_rate is schedule


def test_fixed_lr_does_not_advance_step_and_get_lr():
    (w,) = make_params(shapes=((2,),), names=("w",))
    opt = nn.Momentum([w], learning_rate=Tensor(np.float32(0.3)), momentum=0.9)
    opt((Tensor(np.ones(2, np.float32)),))
    assert int(opt.global_step.asnumpy()[0]) == 0
    lr = opt.get_lr()
    assert isinstance(lr, Parameter) and lr.name == "learning_rate"
    np.testing.assert_allclose(lr.asnumpy(), 0.3, rtol=1e-7)


def test_dynamic_weight_decay_cell():
    class Halving(nn.Cell):
        def construct(self, global_step):
            return Tensor(np.float32(0.1) * np.float32(0.5) ** global_step.asnumpy().astype(np.float32))

    (w,) = make_params(shapes=((3,),), names=("w",))
    p = w.asnumpy().astype(np.float64)
    opt = nn.Momentum([w], learning_rate=0.1, momentum=0.0, weight_decay=Halving())
    assert opt.dynamic_weight_decay
    g = np.ones(3, np.float32)
    for step in range(3):
        wd = 0.1 * 0.5 ** step
        p = p - f32(0.1) * (g + wd * p)
        opt((Tensor(g),))
        np.testing.assert_allclose(w.asnumpy(), p, rtol=1e-5)


def test_state_names_and_registration():
    params = make_params()
    opt = nn.Adam(params, use_amsgrad=True)
    names = [p.name for p in opt.get_parameters()]
    for prefix in ("moment1", "moment2", "vhat"):
        assert f"{prefix}.fc.weight" in names and f"{prefix}.fc.bias" in names
    assert {"global_step", "beta1_power", "beta2_power", "learning_rate"} <= set(names)
    assert [p.name for p in nn.Momentum(params, 0.1, 0.9).moments] == ["moments.fc.weight", "moments.fc.bias"]
    assert [p.name for p in nn.AdamWeightDecay(params).moments1] == ["adam_m.fc.weight", "adam_m.fc.bias"]
    rms = nn.RMSProp(params, centered=True)
    assert rms.ms[0].name == "mean_square.fc.weight" and rms.mg[0].name == "mean_grad.fc.weight"
    np.testing.assert_array_equal(rms.ms[0].asnumpy(), np.ones((3, 4), np.float32))
    ada = nn.Adagrad(params, accum=0.25)
    np.testing.assert_array_equal(ada.accum[1].asnumpy(), np.full((4,), 0.25, np.float32))
    sgd = nn.SGD(params, momentum=0.9)
    assert sgd.stat[0].name == "stat.fc.weight" and sgd.accum[0].name == "accum.fc.weight"


def test_float16_parameters_keep_their_dtype():
    params = make_params(dtype=np.float16)
    grads = make_grads(params, steps=2)
    for opt in (nn.Adam(params), nn.Momentum(params, 0.1, 0.9), nn.RMSProp(params), nn.SGD(params, momentum=0.9)):
        run(opt, params, grads)
        assert all(p.dtype == ms.float16 for p in params)
        assert all(np.isfinite(p.asnumpy()).all() for p in params)


def test_optimizer_is_not_recorded_on_a_tape():
    (w,) = make_params(shapes=((2,),), names=("w",))
    opt = nn.SGD([w], learning_rate=0.5)

    def fn(x):
        opt((Tensor(np.ones(2, np.float32)),))
        return ops.reduce_sum(x * w)

    g = ms.grad(fn)(Tensor(np.ones(2, np.float32)))
    np.testing.assert_allclose(g.asnumpy(), w.asnumpy())


def test_argument_errors():
    params = make_params()
    with pytest.raises(TypeError, match="momentum"):
        nn.Momentum(params, 0.1, 1)
    with pytest.raises(ValueError, match="momentum"):
        nn.Momentum(params, 0.1, -0.5)
    with pytest.raises(ValueError, match="learning_rate"):
        nn.SGD(params, learning_rate=-1.0)
    with pytest.raises(TypeError, match="learning_rate"):
        nn.SGD(params, learning_rate="fast")
    with pytest.raises(ValueError, match="dimension"):
        nn.SGD(params, learning_rate=Tensor(np.ones((2, 2), np.float32)))
    with pytest.raises(ValueError, match="weight_decay"):
        nn.Adam(params, weight_decay=-0.1)
    with pytest.raises(TypeError, match="weight_decay"):
        nn.Adam(params, weight_decay="x")
    with pytest.raises(ValueError, match="loss_scale"):
        nn.Adam(params, loss_scale=0.0)
    with pytest.raises(ValueError, match="beta1"):
        nn.Adam(params, beta1=1.0)
    with pytest.raises(TypeError, match="beta2"):
        nn.Adam(params, beta2=1)
    with pytest.raises(ValueError, match="eps"):
        nn.Adam(params, eps=0.0)
    with pytest.raises(ValueError, match="nesterov"):
        nn.SGD(params, momentum=0.0, nesterov=True)
    with pytest.raises(ValueError, match="use_lazy"):
        nn.Adam(params, use_lazy=True, use_offload=True)
    with pytest.raises(TypeError, match="epsilon"):
        nn.RMSProp(params, epsilon=1)
    with pytest.raises(ValueError, match="rho"):
        nn.Adadelta(params, rho=1.5)
    with pytest.raises(TypeError, match="dynamic weight decay"):
        nn.SGD(params, weight_decay=nn.WarmUpLR(0.1, 2))
    opt = nn.SGD(params)
    with pytest.raises(ValueError, match="2 parameters"):
        opt((Tensor(np.ones((3, 4), np.float32)),))
    with pytest.raises(ValueError, match="shape"):
        opt((Tensor(np.ones((4, 3), np.float32)), Tensor(np.ones(4, np.float32))))
    with pytest.raises(TypeError, match="tuple"):
        opt(Tensor(np.ones((3, 4), np.float32)))
    with pytest.raises(ValueError, match="not in optimizer"):
        opt.get_lr_parameter(Parameter(np.ones(1, np.float32), name="other"))


def test_clip_by_global_norm():
    from sporen.nn.optim.clip import clip_by_global_norm
    a = np.array([3.0, 0.0], np.float32)
    b = np.array([[4.0]], np.float32)
    out = clip_by_global_norm((Tensor(a), Tensor(b)), clip_norm=1.0)
    np.testing.assert_allclose(out[0].asnumpy(), a / 5.0, rtol=1e-6)
    np.testing.assert_allclose(out[1].asnumpy(), b / 5.0, rtol=1e-6)
    small = clip_by_global_norm([Tensor(a * 0.01)], clip_norm=1.0)
    np.testing.assert_allclose(small[0].asnumpy(), a * 0.01, rtol=1e-6)  # under the norm: unchanged
    # differentiable: d/dx sum(clip(x)) for |x| > clip_norm, x = (3, 4)
    x = Tensor(np.array([3.0, 4.0], np.float32))
    g = ms.grad(lambda t: ops.reduce_sum(clip_by_global_norm((t,), 1.0)[0]))(x)
    xv = np.array([3.0, 4.0])
    n = np.linalg.norm(xv)
    want = 1.0 / n - xv * xv.sum() / n ** 3
    np.testing.assert_allclose(g.asnumpy(), want, rtol=1e-5)
    with pytest.raises(TypeError):
        clip_by_global_norm(Tensor(a))
    with pytest.raises(ValueError):
        clip_by_global_norm((Tensor(a),), clip_norm=0.0)


# --- the other optimizers of the checklist -------------------------------------------------------
def test_ftrl_matches_formula():
    params = make_params()
    p0 = initial(params)
    grads = make_grads(params)
    lr, l1, l2, power = 0.1, 0.01, 0.02, -0.5
    opt = nn.FTRL(params, initial_accum=0.1, learning_rate=lr, lr_power=power, l1=l1, l2=l2)
    w = [x.astype(np.float64) for x in p0]
    acc = [np.full_like(x, 0.1) for x in w]
    lin = [np.zeros_like(x) for x in w]
    expected = []
    for gs in grads:
        for i, g in enumerate(gs):
            new_acc = acc[i] + g * g
            lin[i] = lin[i] + g - (new_acc ** -power - acc[i] ** -power) / lr * w[i]
            quad = new_acc ** -power / lr + 2 * l2
            w[i] = np.where(np.abs(lin[i]) > l1, (np.sign(lin[i]) * l1 - lin[i]) / quad, 0.0)
            acc[i] = new_acc
        expected.append([x.copy() for x in w])
    check(run(opt, params, grads), expected, rtol=1e-4, atol=1e-6)
    assert opt.moments[0].name == "moments.fc.weight" and opt.linear[0].name == "linear.fc.weight"
    with pytest.raises(ValueError, match="dynamic learning rate"):
        nn.FTRL(params, learning_rate=[0.1, 0.2])
    with pytest.raises(ValueError, match="lr_power"):
        nn.FTRL(params, lr_power=0.5)


def test_proximal_adagrad_matches_formula():
    params = make_params()
    p0 = initial(params)
    grads = make_grads(params)
    lr, l1, l2 = f32(0.1), 0.05, 0.1
    opt = nn.ProximalAdagrad(params, accum=0.1, learning_rate=0.1, l1=l1, l2=l2)
    w = [x.astype(np.float64) for x in p0]
    acc = [np.full_like(x, 0.1) for x in w]
    expected = []
    for gs in grads:
        for i, g in enumerate(gs):
            acc[i] = acc[i] + g * g
            v = w[i] - lr * g / np.sqrt(acc[i])
            w[i] = np.sign(v) / (1 + lr * l2) * np.maximum(np.abs(v) - lr * l1, 0)
        expected.append([x.copy() for x in w])
    check(run(opt, params, grads), expected)


def test_lazy_adam_with_dense_gradients_is_adam():
    a = make_params()
    b = make_params()
    grads = make_grads(a)
    check(run(nn.LazyAdam(a, learning_rate=0.01), a, grads), run(nn.Adam(b, learning_rate=0.01), b, grads), rtol=0)


def test_lars_wraps_momentum():
    params = make_params(shapes=((3, 4), (4,)), names=("fc.weight", "fc.bias"))
    p0 = initial(params)
    grads = make_grads(params)
    inner = nn.Momentum(params, learning_rate=0.1, momentum=0.9, weight_decay=0.01)
    opt = nn.LARS(inner, epsilon=1e-5, coefficient=0.02)
    w = [x.astype(np.float64) for x in p0]
    v = [np.zeros_like(x) for x in w]
    mom = f32(0.9)
    expected = []
    for gs in grads:
        for i, g in enumerate(gs):
            g = g.astype(np.float64)
            if i == 0:  # the weight: LARS-scaled, with weight decay folded in
                wn, gn = np.linalg.norm(w[i]), np.linalg.norm(g)
                trust = 0.02 * wn / (gn + 0.01 * wn + 1e-5)
                g = trust * (g + 0.01 * w[i])
            v[i] = mom * v[i] + g  # the bias: filtered out of LARS and no longer decayed
            w[i] = w[i] - f32(0.1) * v[i]
        expected.append([x.copy() for x in w])
    check(run(opt, params, grads), expected)
    assert opt.lars_flag == (True, False)
    assert not inner.exec_weight_decay
    with pytest.raises(TypeError, match="optimizer"):
        nn.LARS(params)


def test_rprop_matches_formula():
    params = make_params()
    p0 = initial(params)
    rng = np.random.default_rng(5)
    # signs that repeat and flip, so every branch (grow, shrink, keep) is taken
    grads = [[np.sign(rng.normal(size=p.shape)).astype(np.float32) * rng.uniform(0.5, 1.5, size=p.shape)
              .astype(np.float32) for p in params] for _ in range(5)]
    opt = nn.Rprop(params, learning_rate=0.1, etas=(0.5, 1.2), step_sizes=(1e-3, 0.15))
    w = [x.astype(np.float64) for x in p0]
    prev = [np.zeros_like(x) for x in w]
    size = [np.full_like(x, f32(0.1)) for x in w]
    expected = []
    for gs in grads:
        for i, g in enumerate(gs):
            s = np.sign(g * prev[i])
            factor = np.where(s > 0, f32(1.2), np.where(s < 0, 0.5, 1.0))
            size[i] = np.clip(size[i] * factor, 1e-3, 0.15)
            g_used = np.where(s < 0, 0.0, g)
            w[i] = w[i] - np.sign(g_used) * size[i]
            prev[i] = g_used
        expected.append([x.copy() for x in w])
    check(run(opt, params, grads), expected)
    with pytest.raises(ValueError, match="etaplus"):
        nn.Rprop(params, etas=(0.5, 0.9))


def test_asgd_matches_formula():
    params = make_params()
    p0 = initial(params)
    grads = make_grads(params)
    lr, lambd, alpha, t0 = f32(0.1), 1e-2, 0.75, 2.0
    opt = nn.ASGD(params, learning_rate=0.1, lambd=lambd, alpha=alpha, t0=t0)
    w = [x.astype(np.float64) for x in p0]
    ax = [np.zeros_like(x) for x in w]
    eta = [lr for _ in w]
    mu = [1.0 for _ in w]
    expected = []
    for t, gs in enumerate(grads, start=1):
        for i, g in enumerate(gs):
            w[i] = w[i] * (1 - lambd * eta[i]) - eta[i] * g
            ax[i] = ax[i] + (w[i] - ax[i]) * mu[i] if mu[i] != 1 else w[i].copy()
            eta[i] = lr / (1 + lambd * lr * t) ** alpha
            mu[i] = 1 / max(1.0, t - t0)
        expected.append([x.copy() for x in w])
    check(run(opt, params, grads), expected)
    np.testing.assert_allclose(opt.ax[0].asnumpy(), ax[0], rtol=1e-5)
    assert opt.ax[0].name == "ax_.fc.weight" and opt.mu[0].name == "mu_fc.weight"


def test_user_defined_optimizer_with_the_public_api():
    class MySGD(nn.Optimizer):
        def __init__(self, params, learning_rate):
            super().__init__(learning_rate, params, weight_decay=0.1)

        def construct(self, gradients):
            gradients = self.decay_weight(gradients)
            lr = self.get_lr()
            for p, g in zip(self.parameters, gradients):
                p.set_data(p - lr * g)
            return True

    params = make_params(shapes=((2,), (2,)), names=("w", "bn.gamma"))
    p0 = initial(params)
    opt = MySGD(params, learning_rate=[0.5, 0.25])
    g = np.ones(2, np.float32)
    opt((Tensor(g), Tensor(g)))
    opt((Tensor(g), Tensor(g)))
    w = p0[0].astype(np.float64)
    for lr in (0.5, 0.25):
        w = w - lr * (g + 0.1 * w)
    np.testing.assert_allclose(params[0].asnumpy(), w, rtol=1e-6)
    np.testing.assert_allclose(params[1].asnumpy(), p0[1] - 0.75 * g, rtol=1e-6)  # gamma: no decay


def ref_adafactor(p0, grads, eps=(1e-30, 1e-3), clip=1.0, decay=0.8, beta1=0.9, wd=0.0, lr=None):
    """AdaFactor as MindSpore's documentation and Python path describe it, float64."""
    w = [x.astype(np.float64) for x in p0]
    m = [np.zeros_like(x) for x in w]
    row = [np.zeros(x.shape[:-1]) if x.ndim > 1 else None for x in w]
    col = [np.zeros(x.shape[:-2] + x.shape[-1:]) if x.ndim > 1 else None for x in w]
    sq = [np.zeros_like(x) for x in w]
    out = []
    for t, gs in enumerate(grads, start=1):
        rho = min(1e-2, 1 / np.sqrt(t)) if lr is None else lr
        beta2t = 1 - t ** -decay
        for i, g in enumerate(gs):
            g = g.astype(np.float64)
            alpha = rho * max(eps[1], np.sqrt(np.mean(w[i] ** 2))) if lr is None else rho
            g2 = g * g + eps[0]
            if g.ndim > 1:
                row[i] = beta2t * row[i] + (1 - beta2t) * g2.mean(axis=-1)
                col[i] = beta2t * col[i] + (1 - beta2t) * g2.mean(axis=-2)
                v = np.outer(row[i] / row[i].mean(), col[i])
            else:
                sq[i] = beta2t * sq[i] + (1 - beta2t) * g2
                v = sq[i]
            u = g / np.sqrt(v)
            u = u / max(1.0, np.sqrt(np.mean(u * u)) / clip) * alpha
            if beta1 > 0:
                m[i] = beta1 * m[i] + (1 - beta1) * u
                u = m[i]
            if wd:
                w[i] = w[i] - wd * alpha * w[i]
            w[i] = w[i] - u
        out.append([x.copy() for x in w])
    return out


@pytest.mark.parametrize("kwargs", [{}, {"beta1": 0.0}, {"learning_rate": 0.01, "relative_step": False,
                                                          "scale_parameter": False, "weight_decay": 0.1}])
def test_adafactor_matches_formula(kwargs):
    params = make_params()
    p0 = initial(params)
    grads = make_grads(params)
    opt = nn.AdaFactor(params, **kwargs)
    want = ref_adafactor(p0, grads, beta1=kwargs.get("beta1", 0.9), wd=kwargs.get("weight_decay", 0.0),
                         lr=kwargs.get("learning_rate"))
    check(run(opt, params, grads), want, rtol=1e-4, atol=1e-6)
    names = {p.name for p in opt.get_parameters()}
    assert {"exp_avg_sq_row_fc.weight", "exp_avg_sq_col_fc.weight", "exp_avg_sq_fc.bias", "afactor_step"} <= names
    assert opt.exp_avg_sq_row[0].shape == (3,) and opt.exp_avg_sq_col[0].shape == (4,)


def test_adafactor_argument_errors():
    params = make_params()
    with pytest.raises(ValueError, match="relative_step"):
        nn.AdaFactor(params, learning_rate=0.1)
    with pytest.raises(ValueError, match="warmup_init"):
        nn.AdaFactor(params, learning_rate=0.1, relative_step=False, warmup_init=True)
    with pytest.raises(ValueError, match="decay_rate"):
        nn.AdaFactor(params, decay_rate=1.5)
