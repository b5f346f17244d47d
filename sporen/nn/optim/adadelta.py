"""nn.Adadelta (MindSpore's ``ApplyAdadelta``)."""
import numpy as np

from . import _graph
from ._check import check_float, check_non_negative_float
from .optimizer import Optimizer

__all__ = ["Adadelta"]


def apply_adadelta(param, accum, accum_update, grad, lr, rho, epsilon, work):
    """One Adadelta step on numpy arrays, in place: accum = rho * accum + (1 - rho) * g^2;
    u = sqrt(accum_update + eps) / sqrt(accum + eps) * g;
    accum_update = rho * accum_update + (1 - rho) * u^2; p -= lr * u."""
    accum *= rho
    np.square(grad, out=work, casting="same_kind")
    work *= 1.0 - rho
    accum += work
    update = np.add(accum_update, epsilon)
    np.sqrt(update, out=update)
    np.add(accum, epsilon, out=work)
    np.sqrt(work, out=work)
    update /= work
    update *= grad
    accum_update *= rho
    np.square(update, out=work)
    work *= 1.0 - rho
    accum_update += work
    update *= lr
    param -= update


class Adadelta(Optimizer):
    """Adadelta (MindSpore's ``nn.Adadelta``). State: ``accum.<name>``, ``accum_update.<name>``.
    Like MindSpore it advances the global step on every call."""

    def __init__(self, params, learning_rate=1.0, rho=0.9, epsilon=1e-6, loss_scale=1.0, weight_decay=0.0):
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        check_float(rho, "rho", self.cls_name)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"For '{self.cls_name}', the argument 'rho' must be in range [0.0, 1.0], but got {rho}.")
        check_float(epsilon, "epsilon", self.cls_name)
        check_non_negative_float(epsilon, "epsilon", self.cls_name)
        self.accum = self._clone_state("accum", "accum", 0.0)
        self.accum_update = self._clone_state("accum_update", "accum_update", 0.0)
        self.rho = rho
        self.epsilon = epsilon
        self._graph_update = True

    def construct(self, grads):
        if not isinstance(grads, tuple) or not grads or not all(hasattr(g, "shape") for g in grads):
            raise TypeError("For 'Adadelta', the 'grads' must be a tuple of Tensor.")
        grads = self._check_grads(grads)
        if _graph.tracing():
            return self._traced_update(grads)
        grads = self._preprocess(grads)
        lrs = self._lr_values()
        self.global_step._data += 1
        for i, (p, g) in enumerate(zip(self._parameters, grads)):
            apply_adadelta(p._data, self.accum[i]._data, self.accum_update[i]._data, g._data, lrs[i], self.rho,
                           self.epsilon, self._work_buffer(i))
        return True

    def _traced_update(self, grads):
        grads = _graph.prepare(self, grads)
        lrs = _graph.lr_tensors(self)
        _graph.assign(self.global_step, self.global_step + 1)
        for i, (p, g) in enumerate(zip(self._parameters, grads)):
            _graph.adadelta(p, self.accum[i], self.accum_update[i], g, lrs[i], self.rho, self.epsilon)
        return True
