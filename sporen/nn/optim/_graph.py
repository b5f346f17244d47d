"""The optimizers' update rules written with sporen ops, used while a function is traced (graph
mode): the same math as the in-place numpy rules, but every new value is computed by ops and
written with ``Parameter.set_data``, so that the trace records the updates as write-backs."""
from ... import dtype as mstype
from ... import ops
from ...tensor import Tensor
from ...frontend.trace import TRACES


def tracing():
    """True while a graph is being traced (the optimizer must use the op rules)."""
    return bool(TRACES)


def assign(param, value):
    """Write ``value`` (a Tensor, maybe symbolic) into ``param``, cast to its dtype."""
    if value.dtype != param.dtype:
        value = ops.cast(value, param.dtype)
    param.set_data(value)


def check_supported(opt):
    """Raise NotImplementedError for one of sporen's optimizers whose update has no traced rule
    (its numpy rule would be baked into the graph). An optimizer defined outside sporen is traced
    as it is: like MindSpore's, it is expected to compute with ops and write with ``set_data``
    (one that reads a gradient's value meets the trace's clear error naming its line)."""
    if getattr(opt, "_graph_update", False) or not type(opt).__module__.startswith("sporen."):
        return
    raise NotImplementedError(f"{opt.cls_name}: its update has no graph-mode (traced) rule yet; run it in "
                              f"PyNative mode")


def f64(x):
    """``x`` cast to float64: scalar formulas the eager rules compute on Python floats (double
    precision) are computed the same way, then cast back with :func:`f32`."""
    return ops.cast(x, mstype.float64)


def f32(x):
    """``x`` cast to float32."""
    return ops.cast(x, mstype.float32)


def scalar(x):
    """``x`` (a one-element Tensor, e.g. a step of shape (1,)) as a 0-d Tensor, so that it
    broadcasts without changing a parameter's shape."""
    if x.shape == ():
        return x
    return ops.reshape(x, ())


def lr_at_step(table, global_step):
    """``table[step]``, 0 past either end (as _IteratorLearningRate), with ops."""
    n = table.shape[0]
    step = global_step
    valid = ops.logical_and(step >= 0, step < n)
    index = ops.minimum(ops.maximum(step, 0), max(n - 1, 0))
    values = ops.gather(table, index, 0)
    return ops.where(valid, values, ops.zeros_like(values))


def lr_tensors(opt):
    """The learning rate of each parameter as a 0-d Tensor (the optimizer's Parameters, so that a
    change of the learning rate between steps is seen by the compiled graph)."""
    lr = opt.get_lr()
    if opt.is_group_lr:
        return list(lr)
    return [lr] * opt.param_length


def weight_decay_values(opt):
    """The weight decay of each parameter: a float (0.0 where it does not decay), or a 0-d Tensor
    computed by ops when the weight decay is a Cell of the step."""
    wd = opt.get_weight_decay()
    if opt.is_group:
        return [_wd_value(w) if flag else 0.0 for w, flag in zip(wd, opt.decay_flags)]
    value = _wd_value(wd)
    return [value if flag else 0.0 for flag in opt.decay_flags]


def _wd_value(wd):
    if isinstance(wd, Tensor):
        return scalar(wd)
    return float(wd)


def has_decay(wd):
    """True when ``wd`` (from :func:`weight_decay_values`) may be nonzero."""
    return isinstance(wd, Tensor) or wd != 0.0


def decay_weight(opt, gradients):
    """``g + weight_decay * p`` for the parameters that decay, with ops."""
    if not opt.exec_weight_decay:
        return gradients
    wds = weight_decay_values(opt)
    return tuple(g + p * wd if has_decay(wd) else g for p, g, wd in zip(opt._parameters, gradients, wds))


def gradients_centralization(opt, gradients):
    """Subtract the mean over all axes but the first (as Optimizer.gradients_centralization)."""
    if not opt.is_group or not any(opt.grad_centralization_flags):
        return gradients
    out = []
    for g, flag in zip(gradients, opt.grad_centralization_flags):
        if flag and g.ndim > 1 and g.shape[1] % 16 == 0:
            g = g - ops.mean(g, axis=tuple(range(1, g.ndim)), keep_dims=True)
        out.append(g)
    return tuple(out)


def scale_grad(opt, gradients):
    """Divide the gradients by the loss scale, with ops."""
    if not opt.need_scale:
        return gradients
    return tuple(g * opt.reciprocal_scale for g in gradients)


def prepare(opt, gradients, decay=True):
    """The common gradient preprocessing of Momentum and Adam (weight decay, centralization, scale)."""
    if decay:
        gradients = decay_weight(opt, gradients)
    gradients = gradients_centralization(opt, gradients)
    return scale_grad(opt, gradients)


def sgd(param, accum, stat, grad, lr, momentum, dampening, weight_decay, nesterov):
    """The traced ``apply_sgd``: the first step with momentum takes the gradient as the velocity
    (``stat`` > 0), chosen by ``where`` since the flag is only known when the graph runs."""
    g = grad
    if weight_decay > 0:
        g = g + param * weight_decay
    if momentum > 0:
        first = stat > 0
        later = accum * momentum + (g * (1.0 - dampening) if dampening != 0 else g)
        v = ops.where(first, g, later)
        assign(accum, v)
        assign(stat, ops.zeros_like(stat))
        g = g + v * momentum if nesterov else v
    assign(param, param - g * lr)


def momentum(param, moment, grad, lr, mom, use_nesterov):
    """The traced ``apply_momentum``: v = momentum * v + g; p -= lr * v (Nesterov:
    p -= lr * g + lr * momentum * v)."""
    v = moment * mom + grad
    assign(moment, v)
    if use_nesterov:
        new = param - grad * lr - v * mom * lr
    else:
        new = param - v * lr
    assign(param, new)


def adam_step_size(lr, beta1_power, beta2_power):
    """lr * sqrt(1 - beta2^t) / (1 - beta1^t), with ops."""
    return lr * ops.sqrt(1.0 - beta2_power) / (1.0 - beta1_power)


def adam(param, m, v, grad, lr_t, beta1, beta2, eps, use_nesterov):
    """The traced ``apply_adam``."""
    m_new = m + (grad - m) * (1.0 - beta1)
    v_new = v + (grad * grad - v) * (1.0 - beta2)
    assign(m, m_new)
    assign(v, v_new)
    denom = ops.sqrt(v_new) + eps
    if use_nesterov:
        step = (m_new * beta1 + grad * (1.0 - beta1)) / denom
    else:
        step = m_new / denom
    assign(param, param - step * lr_t)


def adam_amsgrad(param, m, v, vhat, grad, lr_t, beta1, beta2, eps):
    """The traced ``apply_adam_amsgrad``."""
    m_new = m * beta1 + grad * (1.0 - beta1)
    v_new = v * beta2 + grad * grad * (1.0 - beta2)
    vhat_new = ops.maximum(vhat, v_new)
    assign(m, m_new)
    assign(v, v_new)
    assign(vhat, vhat_new)
    assign(param, param - m_new / (ops.sqrt(vhat_new) + eps) * lr_t)


def adam_weight_decay(param, m, v, grad, lr, beta1, beta2, eps, weight_decay):
    """The traced ``apply_adam_weight_decay`` (no bias correction, decoupled weight decay)."""
    m_new = m + (grad - m) * (1.0 - beta1)
    v_new = v + (grad * grad - v) * (1.0 - beta2)
    assign(m, m_new)
    assign(v, v_new)
    step = m_new / (ops.sqrt(v_new) + eps)
    if has_decay(weight_decay):
        step = step + param * weight_decay
    assign(param, param - step * lr)


def rmsprop(param, ms, mom, grad, lr, decay, momentum, epsilon):
    """The traced ``apply_rmsprop``."""
    ms_new = ms + (grad * grad - ms) * (1.0 - decay)
    mom_new = mom * momentum + grad / ops.sqrt(ms_new + epsilon) * lr
    assign(ms, ms_new)
    assign(mom, mom_new)
    assign(param, param - mom_new)


def centered_rmsprop(param, mg, ms, mom, grad, lr, decay, momentum, epsilon):
    """The traced ``apply_centered_rmsprop``."""
    mg_new = mg + (grad - mg) * (1.0 - decay)
    ms_new = ms + (grad * grad - ms) * (1.0 - decay)
    mom_new = mom * momentum + grad / ops.sqrt(ms_new - mg_new * mg_new + epsilon) * lr
    assign(mg, mg_new)
    assign(ms, ms_new)
    assign(mom, mom_new)
    assign(param, param - mom_new)


def adagrad(param, accum, grad, lr, update_slots):
    """The traced ``apply_adagrad``."""
    acc = accum
    if update_slots:
        acc = accum + grad * grad
        assign(accum, acc)
    assign(param, param - grad / ops.sqrt(acc) * lr)


def adamax(param, m, v, grad, lr, beta1, beta2, eps, beta1_power):
    """The traced ``apply_adamax``: m = beta1 * m + (1 - beta1) * g; v = max(beta2 * v, |g|);
    p -= lr / (1 - beta1^t) * m / (v + eps)."""
    m_new = m * beta1 + grad * (1.0 - beta1)
    v_new = ops.maximum(v * beta2, ops.abs(grad))
    assign(m, m_new)
    assign(v, v_new)
    assign(param, param - m_new / (v_new + eps) * (lr / (1.0 - beta1_power)))


def adadelta(param, accum, accum_update, grad, lr, rho, epsilon):
    """The traced ``apply_adadelta``."""
    acc = accum * rho + ops.square(grad) * (1.0 - rho)
    update = ops.sqrt(accum_update + epsilon) / ops.sqrt(acc + epsilon) * grad
    assign(accum, acc)
    assign(accum_update, accum_update * rho + ops.square(update) * (1.0 - rho))
    assign(param, param - update * lr)


def proximal_adagrad(param, accum, grad, lr, l1, l2):
    """The traced ``apply_proximal_adagrad``: accum += g^2; v = w - lr * g / sqrt(accum);
    w = sign(v) * max(|v| - lr * l1, 0) / (1 + lr * l2)."""
    acc = accum + ops.square(grad)
    assign(accum, acc)
    v = param - grad / ops.sqrt(acc) * lr
    shrunk = ops.maximum(ops.abs(v) - lr * l1, 0.0)
    assign(param, ops.sign(v) * shrunk / (1.0 + lr * l2))


def ftrl(param, accum, linear, grad, lr, l1, l2, lr_power):
    """The traced ``apply_ftrl``."""
    old_power = ops.pow(accum, -lr_power)
    acc = accum + ops.square(grad)
    new_power = ops.pow(acc, -lr_power)
    lin = linear + grad - (new_power - old_power) / lr * param
    quadratic = new_power / lr + 2.0 * l2
    shrunk = (ops.sign(lin) * l1 - lin) / quadratic
    assign(accum, acc)
    assign(linear, lin)
    assign(param, ops.where(ops.abs(lin) > l1, shrunk, ops.zeros_like(shrunk)))


def rprop(param, prev, step_size, grad, lr, first, etaminus, etaplus, step_min, step_max):
    """The traced ``apply_rprop``; ``first`` (a 0-d bool Tensor) starts the step sizes at lr."""
    size = ops.where(first, ops.zeros_like(step_size) + lr, step_size)
    product = ops.sign(grad * prev)
    ones = ops.ones_like(step_size)
    factor = ops.where(product > 0, ones * etaplus, ops.where(product < 0, ones * etaminus, ones))
    size = ops.minimum(ops.maximum(size * factor, step_min), step_max)
    update = ops.where(product < 0, ops.zeros_like(grad), grad)
    assign(step_size, size)
    assign(param, param - ops.sign(update) * size)
    assign(prev, update)


def asgd(param, ax, eta, mu, grad, lr, step, lambd, alpha, t0):
    """The traced ASGD step: eta (lr on the first step) and mu are the values the previous step
    left; the new ones follow from ``step`` (a float32 0-d Tensor). Scalars in float64 as eager."""
    eta_now = ops.where(step == 1.0, lr, eta)
    new = param * f32(1.0 - f64(eta_now) * lambd) - grad * eta_now
    assign(param, new)
    assign(ax, ops.where(mu == 1.0, new, ax + (new - ax) * mu))
    lr64 = f64(lr)
    step64 = f64(step)
    assign(eta, f32(lr64 / ops.pow(1.0 + lr64 * step64 * lambd, alpha)))
    assign(mu, f32(1.0 / ops.maximum(step64 - t0, 1.0)))


def norm(x):
    """sqrt(sum(x^2)) in float32, as the eager rules compute their norms."""
    return ops.sqrt(ops.sum(ops.square(f32(x))))


def lamb(param, m, v, grad, lr, beta1, beta2, eps, weight_decay, step):
    """The traced ``apply_lamb`` at ``step`` (a 0-d Tensor, 1 on the first call); the bias
    corrections in float64 as eager, the trust ratio chosen by ``where``."""
    m_new = m * beta1 + grad * (1.0 - beta1)
    v_new = v * beta2 + ops.square(grad) * (1.0 - beta2)
    assign(m, m_new)
    assign(v, v_new)
    step64 = f64(step)
    m_hat = m_new / f32(1.0 - ops.pow(beta1, step64))
    v_hat = v_new / f32(1.0 - ops.pow(beta2, step64))
    w_norm = norm(param)
    g_norm = norm(grad)
    decayed = param * weight_decay
    g_norm_hat = norm(m_hat / ops.sqrt(v_hat + eps) + decayed)
    ok = ops.logical_and(w_norm > 0, g_norm > 0)
    safe = ops.where(g_norm_hat > 0, g_norm_hat, ops.ones_like(g_norm_hat))
    trust = ops.where(ok, f64(w_norm) / f64(safe), ops.ones_like(f64(w_norm)))
    trust = ops.minimum(ops.maximum(trust, 0.0), 10.0)
    update = (m_hat / (ops.sqrt(v_hat) + eps) + decayed) * f32(trust * f64(lr))
    assign(param, param - update)


def lars_gradient(weight, grad, weight_decay, lr, epsilon, coefficient, use_clip):
    """The traced ``lars_gradient``: trust * (g + wd * w), the trust ratio in float64 as eager."""
    w_norm = f64(norm(weight))
    g_norm = f64(norm(grad))
    ok = ops.logical_and(w_norm > 0, g_norm > 0)
    wd64 = f64(weight_decay) if isinstance(weight_decay, Tensor) else weight_decay
    denom = g_norm + w_norm * wd64 + epsilon
    safe = ops.where(ok, denom, ops.ones_like(denom))
    trust = ops.where(ok, w_norm * coefficient / safe, ops.ones_like(denom))
    if use_clip:
        lr64 = f64(lr)
        positive = lr64 > 0
        clipped = ops.minimum(trust / ops.where(positive, lr64, ops.ones_like(lr64)), 1.0)
        trust = ops.where(positive, clipped, ops.ones_like(clipped))
    return (weight * weight_decay + grad) * f32(trust)


def rms(x):
    """The root mean square of ``x`` (float32)."""
    return ops.sqrt(ops.mean(ops.square(f32(x))))


def adafactor(param, exp_avg, row, col, sq, grad, lr, eps, clip_threshold, beta1, beta2t, weight_decay,
              scale_parameter, use_first_moment):
    """The traced ``apply_adafactor``; ``lr`` and ``beta2t`` are 0-d float32 Tensors, the
    per-step scalars (``max``) are computed in float64 as eager."""
    g = f32(grad)
    p = f32(param)
    lr_update = lr
    if scale_parameter:
        lr_update = f32(f64(lr) * ops.maximum(f64(rms(p)), eps[1]))
    squared = ops.square(g) + eps[0]
    if g.ndim >= 2:
        row_new = row * beta2t + ops.mean(squared, axis=-1) * (1.0 - beta2t)
        col_new = col * beta2t + ops.mean(squared, axis=-2) * (1.0 - beta2t)
        assign(row, row_new)
        assign(col, col_new)
        r_factor = 1.0 / ops.sqrt(row_new / ops.mean(row_new, axis=-1, keep_dims=True))
        c_factor = 1.0 / ops.sqrt(col_new)
        update = ops.expand_dims(r_factor, -1) * ops.expand_dims(c_factor, -2) * g
    else:
        sq_new = sq * ops.cast(beta2t, sq.dtype) + ops.cast(squared * (1.0 - beta2t), sq.dtype)
        assign(sq, sq_new)
        update = g / ops.sqrt(f32(sq_new))
    coefficient = f32(ops.maximum(f64(rms(update)) / clip_threshold, 1.0))
    update = update / coefficient * lr_update
    if use_first_moment:
        avg = exp_avg * beta1 + ops.cast(update * (1.0 - beta1), exp_avg.dtype)
        assign(exp_avg, avg)
        update = avg
    new_param = p
    if weight_decay:
        new_param = new_param + new_param * f32(f64(lr_update) * -weight_decay)
    assign(param, new_param - update)


def adamw(param, m, v, vmax, grad, lr, beta1, beta2, eps, weight_decay, step, amsgrad):
    """The traced ``apply_adamw`` (PyTorch's formula); ``step`` a 0-d float Tensor, the scalar
    factors in float64 as eager."""
    lr64 = f64(lr)
    step64 = f64(step)
    p = param * f32(1.0 - lr64 * weight_decay)
    m_new = m * beta1 + grad * (1.0 - beta1)
    v_new = v * beta2 + ops.square(grad) * (1.0 - beta2)
    assign(m, m_new)
    assign(v, v_new)
    bias_correction1 = 1.0 - ops.pow(beta1, step64)
    bias_correction2_sqrt = ops.sqrt(1.0 - ops.pow(beta2, step64))
    if amsgrad:
        vm = ops.maximum(vmax, v_new)
        assign(vmax, vm)
        denom = ops.sqrt(vm)
    else:
        denom = ops.sqrt(v_new)
    denom = denom / f32(bias_correction2_sqrt) + eps
    assign(param, p - m_new / denom * f32(lr64 / bias_correction1))


def rmsprop_torch(param, square_avg, grad_avg, mom, grad, lr, alpha, eps, momentum, centered):
    """The traced ``apply_rmsprop_torch``."""
    sq = square_avg * alpha + ops.square(grad) * (1.0 - alpha)
    assign(square_avg, sq)
    if centered:
        ga = grad_avg * alpha + grad * (1.0 - alpha)
        assign(grad_avg, ga)
        avg = ops.sqrt(sq - ops.square(ga))
    else:
        avg = ops.sqrt(sq)
    step = grad / (avg + eps)
    if momentum > 0:
        b = mom * momentum + step
        assign(mom, b)
        step = b * lr
    else:
        step = step * lr
    assign(param, param - step)
