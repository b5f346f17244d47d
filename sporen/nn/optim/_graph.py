"""The optimizers' update rules written with sporen ops, used while a function is traced (graph
mode): the same math as the in-place numpy rules, but every new value is computed by ops and
written with ``Parameter.set_data``, so that the trace records the updates as write-backs."""
from ... import ops
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
    """Raise NotImplementedError for what the traced rules do not cover yet."""
    if not getattr(opt, "_graph_update", False):
        raise NotImplementedError(f"{opt.cls_name}: its update has no graph-mode (traced) rule yet; "
                                  f"SGD, Momentum, Adam, LazyAdam, AdamWeightDecay, RMSProp and Adagrad "
                                  f"have one; or run it in PyNative mode")
    if opt.dynamic_weight_decay or (opt.dynamic_lr and not _table_lr(opt)):
        raise NotImplementedError(f"{opt.cls_name}: a LearningRateSchedule or a dynamic weight decay is not "
                                  f"supported in graph mode yet (the schedules compute on numpy); use a fixed "
                                  f"learning rate or a list / 1-d Tensor of them, or run in PyNative mode")


def _table_lr(opt):
    """True when every dynamic learning rate is a table (list / 1-d Tensor) or a fixed value."""
    from .optimizer import _ConvertToCell, _IteratorLearningRate
    lrs = opt.learning_rate if opt.is_group_lr else (opt.learning_rate,)
    return all(isinstance(lr, (_ConvertToCell, _IteratorLearningRate)) for lr in lrs)


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


def decay_weight(opt, gradients):
    """``g + weight_decay * p`` for the parameters that decay, with ops."""
    if not opt.exec_weight_decay:
        return gradients
    wds = opt._weight_decay_values()
    return tuple(g + p * wd if wd else g for p, g, wd in zip(opt._parameters, gradients, wds))


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
    if weight_decay:
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
