"""nn.RMSProp, plain and centered (MindSpore's ``ApplyRMSProp`` / ``ApplyCenteredRMSProp``: epsilon
inside the square root, mean square initialised to ones)."""
import numpy as np

from . import _graph
from ._check import check_bool, check_float, check_non_negative_float, check_positive_float
from .optimizer import Optimizer

__all__ = ["RMSProp"]


def apply_rmsprop(param, ms, mom, grad, lr, decay, momentum, epsilon, work):
    """One RMSProp step on numpy arrays, in place: ms = decay * ms + (1 - decay) * g^2;
    mom = momentum * mom + lr * g / sqrt(ms + eps); p -= mom."""
    np.square(grad, out=work, casting="same_kind")
    work -= ms
    work *= 1.0 - decay
    ms += work
    np.add(ms, epsilon, out=work)
    np.sqrt(work, out=work)
    np.divide(grad, work, out=work, casting="same_kind")
    work *= lr
    mom *= momentum
    mom += work
    param -= mom


def apply_centered_rmsprop(param, mg, ms, mom, grad, lr, decay, momentum, epsilon, work):
    """One centered RMSProp step on numpy arrays, in place: mg = decay * mg + (1 - decay) * g;
    ms = decay * ms + (1 - decay) * g^2; mom = momentum * mom + lr * g / sqrt(ms - mg^2 + eps);
    p -= mom."""
    np.subtract(grad, mg, out=work, casting="same_kind")
    work *= 1.0 - decay
    mg += work
    np.square(grad, out=work, casting="same_kind")
    work -= ms
    work *= 1.0 - decay
    ms += work
    np.square(mg, out=work)
    np.subtract(ms, work, out=work)
    work += epsilon
    np.sqrt(work, out=work)
    np.divide(grad, work, out=work, casting="same_kind")
    work *= lr
    mom *= momentum
    mom += work
    param -= mom


class RMSProp(Optimizer):
    """RMSProp (MindSpore's ``nn.RMSProp``). State: ``mean_square.<name>`` (starts at ones),
    ``moment.<name>`` and, when centered, ``mean_grad.<name>``. Like MindSpore it advances the
    global step on every call (and once more inside get_lr when the learning rate is dynamic)."""

    def __init__(self, params, learning_rate=0.1, decay=0.9, momentum=0.0, epsilon=1e-10,
                 use_locking=False, centered=False, loss_scale=1.0, weight_decay=0.0):
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        check_float(decay, "decay", self.cls_name)
        check_non_negative_float(decay, "decay", self.cls_name)
        check_float(momentum, "momentum", self.cls_name)
        check_non_negative_float(momentum, "momentum", self.cls_name)
        check_float(epsilon, "epsilon", self.cls_name)
        check_positive_float(epsilon, "epsilon", self.cls_name)
        check_bool(use_locking, "use_locking", self.cls_name)
        check_bool(centered, "centered", self.cls_name)
        self.centered = centered
        if centered:
            self.mg = self._clone_state("mg", "mean_grad", "zeros")
        self.momentum = momentum
        self.ms = self._clone_state("ms", "mean_square", "ones")
        self.moment = self._clone_state("moment", "moment", "zeros")
        self.epsilon = epsilon
        self.decay = decay
        self._graph_update = True

    def construct(self, gradients):
        gradients = self._check_grads(gradients)
        if _graph.tracing():
            return self._traced_update(gradients)
        gradients = self._preprocess(gradients)
        lrs = self._lr_values()
        self.global_step._data += 1
        for i, (p, g) in enumerate(zip(self._parameters, gradients)):
            if self.centered:
                apply_centered_rmsprop(p._data, self.mg[i]._data, self.ms[i]._data, self.moment[i]._data, g._data,
                                       lrs[i], self.decay, self.momentum, self.epsilon, self._work_buffer(i))
            else:
                apply_rmsprop(p._data, self.ms[i]._data, self.moment[i]._data, g._data, lrs[i], self.decay,
                              self.momentum, self.epsilon, self._work_buffer(i))
        return True

    def _traced_update(self, gradients):
        gradients = _graph.prepare(self, gradients)
        lrs = _graph.lr_tensors(self)
        _graph.assign(self.global_step, self.global_step + 1)
        for i, (p, g) in enumerate(zip(self._parameters, gradients)):
            if self.centered:
                _graph.centered_rmsprop(p, self.mg[i], self.ms[i], self.moment[i], g, lrs[i], self.decay,
                                        self.momentum, self.epsilon)
            else:
                _graph.rmsprop(p, self.ms[i], self.moment[i], g, lrs[i], self.decay, self.momentum, self.epsilon)
        return True
