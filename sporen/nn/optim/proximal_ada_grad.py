"""nn.ProximalAdagrad: Adagrad followed by the proximal step of l1/l2 regularisation (MindSpore's
``ApplyProximalAdagrad``)."""
import numpy as np

from . import _graph
from ._check import check_bool, check_float
from .optimizer import Optimizer

__all__ = ["ProximalAdagrad"]


def apply_proximal_adagrad(param, accum, grad, lr, l1, l2, work):
    """One ProximalAdagrad step on numpy arrays, in place: accum += g^2;
    v = w - lr * g / sqrt(accum); w = sign(v) / (1 + lr * l2) * max(|v| - lr * l1, 0)."""
    np.square(grad, out=work, casting="same_kind")
    accum += work
    np.sqrt(accum, out=work)
    np.divide(grad, work, out=work, casting="same_kind")
    work *= lr
    np.subtract(param, work, out=work)
    shrunk = np.abs(work)
    shrunk -= lr * l1
    np.maximum(shrunk, 0, out=shrunk)
    np.sign(work, out=work)
    work *= shrunk
    work /= 1.0 + lr * l2
    np.copyto(param, work)


class ProximalAdagrad(Optimizer):
    """ProximalAdagrad (MindSpore's ``nn.ProximalAdagrad``). State: ``accum.<name>``."""

    def __init__(self, params, accum=0.1, learning_rate=0.001, l1=0.0, l2=0.0, use_locking=False, loss_scale=1.0,
                 weight_decay=0.0):
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        name = self.cls_name
        for arg, value in (("accum", accum), ("l1", l1), ("l2", l2)):
            check_float(value, arg, name)
            if value < 0:
                raise ValueError(f"For '{name}', the argument '{arg}' must be >= 0, but got {value}.")
        check_bool(use_locking, "use_locking", name)
        self.accum = self._clone_state("accum", "accum", accum)
        self.l1 = l1
        self.l2 = l2
        self.use_locking = use_locking
        self._graph_update = True

    def construct(self, grads):
        grads = self._check_grads(grads)
        if _graph.tracing():
            return self._traced_update(grads)
        grads = self._preprocess(grads)
        lrs = self._lr_values()
        for i, (p, g) in enumerate(zip(self._parameters, grads)):
            apply_proximal_adagrad(p._data, self.accum[i]._data, g._data, lrs[i], self.l1, self.l2,
                                   self._work_buffer(i))
        return True

    def _traced_update(self, grads):
        grads = _graph.prepare(self, grads)
        lrs = _graph.lr_tensors(self)
        for i, (p, g) in enumerate(zip(self._parameters, grads)):
            _graph.proximal_adagrad(p, self.accum[i], g, lrs[i], self.l1, self.l2)
        return True
