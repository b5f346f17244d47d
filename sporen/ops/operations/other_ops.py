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
