"""nn.Adagrad (MindSpore's ``ApplyAdagrad``: no epsilon, the accumulator starts at ``accum``)."""
import numpy as np

from . import _graph
from ._check import check_bool, check_float, check_non_negative_float
from .optimizer import Optimizer

__all__ = ["Adagrad"]


def apply_adagrad(param, accum, grad, lr, update_slots, work):
    """One Adagrad step on numpy arrays, in place: accum += g^2 (if update_slots);
    p -= lr * g / sqrt(accum)."""
    if update_slots:
        np.square(grad, out=work, casting="same_kind")
        accum += work
    np.sqrt(accum, out=work)
    np.divide(grad, work, out=work, casting="same_kind")
    work *= lr
    param -= work


class Adagrad(Optimizer):
    """Adagrad (MindSpore's ``nn.Adagrad``). State: ``accum.<name>``, initialised to ``accum``."""

    def __init__(self, params, accum=0.1, learning_rate=0.001, update_slots=True, loss_scale=1.0, weight_decay=0.0):
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        check_float(accum, "accum", self.cls_name)
        check_bool(update_slots, "update_slots", self.cls_name)
        check_non_negative_float(accum, "accum", self.cls_name)
        self.update_slots = update_slots
        self.accum = self._clone_state("accum", "accum", accum)
        self._graph_update = True

    def construct(self, grads):
        grads = self._check_grads(grads)
        if _graph.tracing():
            grads = _graph.prepare(self, grads)
            lrs = _graph.lr_tensors(self)
            for i, (p, g) in enumerate(zip(self._parameters, grads)):
                _graph.adagrad(p, self.accum[i], g, lrs[i], self.update_slots)
            return True
        grads = self._preprocess(grads)
        lrs = self._lr_values()
        for i, (p, g) in enumerate(zip(self._parameters, grads)):
            apply_adagrad(p._data, self.accum[i]._data, g._data, lrs[i], self.update_slots, self._work_buffer(i))
        return True
