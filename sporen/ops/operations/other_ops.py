"""Primitive classes that are not math: Print, Assign, Depend, optimizer updates (``P.ApplyMomentum``...)."""
import sys

from ...tensor import Tensor
from .. import functional as F
from ._base import spec

_M = "other_ops"


def _print(self, *inputs):
    parts = []
    for x in inputs:
        if isinstance(x, Tensor):
            parts.append(repr(x))
        elif isinstance(x, (tuple, list)):
            parts.append(str(type(x)(repr(v) if isinstance(v, Tensor) else v for v in x)))
        elif isinstance(x, (str, bool, int, float)):
            parts.append(str(x))
        else:
            raise TypeError(f"Print: inputs must be Tensor, str, bool, int, float, tuple or list, "
                            f"got {type(x).__name__}")
    sys.stdout.write("\n".join(parts) + "\n")
    return None


spec("Print", (), _print, module=_M)


def _write(variable, value):
    """Write ``value`` into ``variable`` in place (Parameter semantics: keep its dtype and shape)."""
    if not isinstance(variable, Tensor):
        raise TypeError(f"Assign: 'variable' must be a Parameter or Tensor, got {type(variable).__name__}")
    arr = value._array() if isinstance(value, Tensor) else Tensor(value)._array()
    old = variable._array()
    if arr.shape != old.shape:
        import numpy as np
        arr = np.broadcast_to(arr, old.shape)
    if arr.dtype != old.dtype:
        arr = arr.astype(old.dtype)
    variable._data = arr.copy() if arr.base is not None else arr
    return variable


def _assign(self, variable, value):
    return _write(variable, value)


def _assign_add(self, variable, value):
    return _write(variable, F.add(variable, value))


def _assign_sub(self, variable, value):
    return _write(variable, F.sub(variable, value))


spec("Assign", (), _assign, io=(["ref", "value"], ["output"]), module=_M)
spec("AssignAdd", "add", _assign_add, io=(["ref", "value"], ["output"]), module=_M)
spec("AssignSub", "sub", _assign_sub, io=(["ref", "value"], ["output"]), module=_M)
spec("Depend", (), lambda self, value, expr: value, module=_M)
spec("StopGradient", "stop_gradient", lambda self, x: F.stop_gradient(x), module=_M)


def _scatter(fn, nd):
    """MindSpore's Scatter*/ScatterNd* on a Parameter: compute with the tensor_scatter op, then
    write into the Parameter (duplicate indices accumulate, as MindSpore's do)."""
    def call(self, var, indices, updates):
        if not isinstance(indices, Tensor):
            indices = Tensor(indices)
        if nd:
            out = getattr(F, fn)(var, indices, updates)
        else:
            rows = F.reshape(indices, (-1, 1))
            flat = F.reshape(updates, (-1,) + tuple(var.shape[1:]))
            out = getattr(F, fn)(var, rows, flat)
        return _write(var, out)
    call.__name__ = "__call__"
    return call


for _name, _fn, _nd in [("ScatterAdd", "tensor_scatter_add", False), ("ScatterSub", "tensor_scatter_sub", False),
                        ("ScatterUpdate", "tensor_scatter_update", False),
                        ("ScatterNdAdd", "tensor_scatter_add", True), ("ScatterNdSub", "tensor_scatter_sub", True),
                        ("ScatterNdUpdate", "tensor_scatter_update", True)]:
    spec(_name, (_fn, "reshape"), _scatter(_fn, _nd), attrs=(("use_locking", False),), module=_M)


def _index_add(self, x, indices, y):
    return _write(x, F.index_add(x, indices, y, self.axis))


spec("IndexAdd", "index_add", _index_add, attrs=(("axis", 0), ("use_lock", True), ("check_index_bound", True)),
     module=_M)


def _apply_momentum(self, variable, accumulation, learning_rate, gradient, momentum):
    """accum = accum * momentum + grad; var -= lr * (grad + accum * momentum if nesterov else accum)."""
    accum = F.add(F.mul(accumulation, momentum), F.mul(gradient, self.gradient_scale))
    _write(accumulation, accum)
    if self.use_nesterov:
        step = F.mul(F.add(gradient, F.mul(accum, momentum)), learning_rate)
    else:
        step = F.mul(accum, learning_rate)
    return _write(variable, F.sub(variable, step))


spec("ApplyMomentum", ("add", "mul", "sub"), _apply_momentum,
     attrs=(("use_nesterov", False), ("use_locking", False), ("gradient_scale", 1.0)), module=_M)


def _apply_gradient_descent(self, var, alpha, delta):
    return _write(var, F.sub(var, F.mul(delta, alpha)))


spec("ApplyGradientDescent", ("sub", "mul"), _apply_gradient_descent, attrs=(("use_locking", False),),
     module=_M)


def _adam(self, var, m, v, beta1_power, beta2_power, lr, beta1, beta2, epsilon, grad):
    """MindSpore's Adam kernel: bias correction folded into the learning rate."""
    m_new = F.add(m, F.mul(F.sub(grad, m), F.sub(1.0, beta1)))
    v_new = F.add(v, F.mul(F.sub(F.mul(grad, grad), v), F.sub(1.0, beta2)))
    _write(m, m_new)
    _write(v, v_new)
    lr_t = F.div(F.mul(lr, F.sqrt(F.sub(1.0, beta2_power))), F.sub(1.0, beta1_power))
    if self.use_nesterov:
        num = F.add(F.mul(m_new, beta1), F.mul(grad, F.sub(1.0, beta1)))
    else:
        num = m_new
    _write(var, F.sub(var, F.div(F.mul(num, lr_t), F.add(F.sqrt(v_new), epsilon))))
    return var, m, v


spec("Adam", ("add", "sub", "mul", "div", "sqrt"), _adam,
     attrs=(("use_locking", False), ("use_nesterov", False)), module=_M)


def _adam_weight_decay(self, var, m, v, lr, beta1, beta2, epsilon, decay, gradient):
    """AdamWeightDecay: Adam's moments, then var -= lr * (m / (sqrt(v) + eps) + decay * var)."""
    m_new = F.add(F.mul(m, beta1), F.mul(gradient, F.sub(1.0, beta1)))
    v_new = F.add(F.mul(v, beta2), F.mul(F.mul(gradient, gradient), F.sub(1.0, beta2)))
    update = F.add(F.div(m_new, F.add(F.sqrt(v_new), epsilon)), F.mul(var, decay))
    _write(m, m_new)
    _write(v, v_new)
    _write(var, F.sub(var, F.mul(update, lr)))
    return var, m, v


spec("AdamWeightDecay", ("add", "sub", "mul", "div", "sqrt"), _adam_weight_decay,
     attrs=(("use_locking", False),), module=_M)


def _apply_adagrad(self, var, accum, lr, grad):
    """accum += grad^2 (when update_slots); var -= lr * grad / sqrt(accum)."""
    if self.update_slots:
        _write(accum, F.add(accum, F.mul(grad, grad)))
    _write(var, F.sub(var, F.div(F.mul(grad, lr), F.sqrt(accum))))
    return var, accum


spec("ApplyAdagrad", ("add", "sub", "mul", "div", "sqrt"), _apply_adagrad,
     attrs=(("update_slots", True),), module=_M)


def _apply_rms_prop(self, var, mean_square, moment, learning_rate, grad, decay, momentum, epsilon):
    """ms = decay*ms + (1-decay)*g^2; mom = momentum*mom + lr*g/sqrt(ms + eps); var -= mom."""
    ms_new = F.add(F.mul(mean_square, decay), F.mul(F.mul(grad, grad), F.sub(1.0, decay)))
    mom_new = F.add(F.mul(moment, momentum), F.div(F.mul(grad, learning_rate), F.sqrt(F.add(ms_new, epsilon))))
    _write(mean_square, ms_new)
    _write(moment, mom_new)
    return _write(var, F.sub(var, mom_new))


spec("ApplyRMSProp", ("add", "sub", "mul", "div", "sqrt"), _apply_rms_prop, attrs=(("use_locking", False),),
     module=_M)


def _sgd(self, parameters, gradient, learning_rate, accum, momentum, stat):
    """MindSpore's SGD kernel: weight decay, momentum with dampening (the first step, flagged by
    ``stat`` > 0, takes the gradient as the accumulation), optional Nesterov."""
    g = gradient
    if self.weight_decay != 0:
        g = F.add(g, F.mul(parameters, self.weight_decay))
    if float(momentum) > 0:
        if float(stat) > 0:
            acc = g
        else:
            acc = F.add(F.mul(accum, momentum), F.mul(g, 1.0 - self.dampening))
        _write(accum, acc)
        g = F.add(g, F.mul(acc, momentum)) if self.nesterov else acc
    _write(stat, F.mul(stat, 0))
    return _write(parameters, F.sub(parameters, F.mul(g, learning_rate)))


spec("SGD", ("add", "sub", "mul"), _sgd, attrs=(("dampening", 0.0), ("weight_decay", 0.0), ("nesterov", False)),
     module=_M)


def _float_status(self, x):
    """[1.] when x holds an inf or nan, else [0.] (float32)."""
    bad = F.logical_not(F.all(F.isfinite(x)))
    return F.reshape(F.cast(bad, "float32"), (1,))


spec("FloatStatus", ("logical_not", "all", "isfinite", "cast", "reshape"), _float_status, module=_M)
spec("IdentityN", (), lambda self, x: tuple(x) if isinstance(x, (tuple, list)) else x, module=_M)


def _partial(self, fn, *args):
    import functools
    return functools.partial(fn, *args)


spec("Partial", (), _partial, module=_M)


def _assert(self, condition, input_data):
    """Raise when ``condition`` is False, printing the first ``summarize`` entries of each input."""
    ok = bool(condition.asnumpy().all()) if isinstance(condition, Tensor) else bool(condition)
    if not ok:
        shown = []
        for x in input_data:
            arr = x.asnumpy().reshape(-1)[:self.summarize] if isinstance(x, Tensor) else x
            shown.append(str(arr))
        raise ValueError("Assert: the condition is False; inputs: " + "; ".join(shown))
    return None


spec("Assert", (), _assert, attrs=(("summarize", 3),), module=_M)
