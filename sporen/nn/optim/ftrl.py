"""nn.FTRL: follow-the-regularized-leader (MindSpore's ``ApplyFtrl``)."""
import numpy as np

from . import _graph
from ._check import check_bool, check_float
from .optimizer import Optimizer

__all__ = ["FTRL"]


def apply_ftrl(param, accum, linear, grad, lr, l1, l2, lr_power, work):
    """One FTRL step on numpy arrays, in place: accum' = accum + g^2;
    linear += g - (accum'^(-p) - accum^(-p)) / lr * w; w = (sign(linear) * l1 - linear) /
    (accum'^(-p) / lr + 2 * l2) where |linear| > l1, else 0; accum = accum'."""
    old_power = np.power(accum, -lr_power)
    np.square(grad, out=work, casting="same_kind")
    accum += work
    new_power = np.power(accum, -lr_power)
    np.subtract(new_power, old_power, out=work)
    work /= lr
    work *= param
    linear += grad
    linear -= work
    quadratic = new_power
    quadratic /= lr
    quadratic += 2.0 * l2
    np.sign(linear, out=work)
    work *= l1
    work -= linear
    work /= quadratic
    np.copyto(param, np.where(np.abs(linear) > l1, work, 0))


class FTRL(Optimizer):
    """FTRL (MindSpore's ``nn.FTRL``): a fixed learning rate only. State: ``moments.<name>`` (the
    accumulators, starting at ``initial_accum``) and ``linear.<name>``. Without groups the weight
    decay applies to every parameter."""

    def __init__(self, params, initial_accum=0.1, learning_rate=0.001, lr_power=-0.5, l1=0.0, l2=0.0,
                 use_locking=False, loss_scale=1.0, weight_decay=0.0):
        super().__init__(learning_rate, params, weight_decay, loss_scale=loss_scale)
        if self.dynamic_lr or self.is_group_lr:
            raise ValueError(f"For 'FTRL', dynamic learning rate and group learning rate are currently not supported "
                             f"in FTRL, they should all be false, but got dynamic learning rate {self.dynamic_lr} and "
                             f"group learning rate {self.is_group_lr}.")
        name = self.cls_name
        check_float(initial_accum, "initial_accum", name)
        if initial_accum < 0:
            raise ValueError(f"For '{name}', the argument 'initial_accum' must be >= 0, but got {initial_accum}.")
        check_float(learning_rate, "learning_rate", name)
        check_float(lr_power, "lr_power", name)
        if lr_power > 0:
            raise ValueError(f"For '{name}', the argument 'lr_power' must be <= 0, but got {lr_power}.")
        for arg, value in (("l1", l1), ("l2", l2)):
            check_float(value, arg, name)
            if value < 0:
                raise ValueError(f"For '{name}', the argument '{arg}' must be >= 0, but got {value}.")
        check_bool(use_locking, "use_locking", name)
        self.moments = self._clone_state("moments", "moments", initial_accum)
        self.linear = self._clone_state("linear", "linear", "zeros")
        self.l1 = l1
        self.l2 = l2
        self.lr = learning_rate
        self.lr_power = lr_power
        self.use_locking = use_locking
        if not self.is_group:
            self.decay_flags = (True,) * self.param_length
        self._graph_update = True

    def construct(self, grads):
        grads = self._check_grads(grads)
        if _graph.tracing():
            return self._traced_update(grads)
        grads = self._preprocess(grads)
        lrs = self._lr_values()
        for i, (p, g) in enumerate(zip(self._parameters, grads)):
            apply_ftrl(p._data, self.moments[i]._data, self.linear[i]._data, g._data, lrs[i], self.l1, self.l2,
                       self.lr_power, self._work_buffer(i))
        return True

    def _traced_update(self, grads):
        grads = _graph.prepare(self, grads)
        lrs = _graph.lr_tensors(self)
        for i, (p, g) in enumerate(zip(self._parameters, grads)):
            _graph.ftrl(p, self.moments[i], self.linear[i], g, lrs[i], self.l1, self.l2, self.lr_power)
        return True
