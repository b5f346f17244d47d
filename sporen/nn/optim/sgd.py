"""nn.SGD: stochastic gradient descent with optional momentum, dampening and Nesterov (MindSpore's
``SGD`` primitive: the first step with momentum takes the gradient as the velocity)."""
import numpy as np

from ...tensor import Parameter
from . import _graph
from ._check import check_bool
from .optimizer import Optimizer

__all__ = ["SGD"]


def apply_sgd(param, accum, stat, grad, lr, momentum, dampening, weight_decay, nesterov, work):
    """One SGD step on numpy arrays, in place:
    g = grad + weight_decay * param; with momentum: v = g on the first step (stat > 0, then
    stat = 0), else v = momentum * v + (1 - dampening) * g; g = g + momentum * v (Nesterov) or v;
    param -= lr * g."""
    if momentum <= 0 and weight_decay <= 0:
        np.multiply(grad, lr, out=work, casting="same_kind")
        param -= work
        return
    np.copyto(work, grad, casting="same_kind")
    if weight_decay > 0:
        work += param * np.asarray(weight_decay, param.dtype)
    if momentum > 0:
        if stat.size and stat.flat[0] > 0:
            np.copyto(accum, work)
            stat.fill(0)
        else:
            accum *= momentum
            # (1 - dampening) * g is added through param-sized scratch only when it is not 1
            if dampening != 0:
                accum += work * np.asarray(1.0 - dampening, accum.dtype)
            else:
                accum += work
        if nesterov:
            work += accum * np.asarray(momentum, accum.dtype)
        else:
            np.copyto(work, accum)
    work *= lr
    param -= work


class SGD(Optimizer):
    """Stochastic gradient descent (MindSpore's ``nn.SGD``).

    v = momentum * v + (1 - dampening) * g (v = g on the first step); p -= lr * (g + momentum * v)
    with Nesterov, else p -= lr * v. Weight decay (a float only) is added to the gradient inside the
    update. State: ``accum.<name>`` (velocity) and ``stat.<name>`` (first-step flags).
    """

    def __init__(self, params, learning_rate=0.1, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False,
                 loss_scale=1.0):
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        self._graph_update = True
        if isinstance(momentum, int) and not isinstance(momentum, bool):
            momentum = float(momentum)
        if not isinstance(momentum, float):
            raise TypeError(f"For 'SGD', the argument 'momentum' must be float type, "
                            f"but got {type(momentum).__name__}.")
        if momentum < 0.0:
            raise ValueError(f"For 'SGD', the argument 'momentum' must be at least 0.0, but got {momentum}.")
        if isinstance(dampening, int) and not isinstance(dampening, bool):
            dampening = float(dampening)
        if not isinstance(dampening, float):
            raise TypeError(f"For 'SGD', the argument 'dampening' must be float type, "
                            f"but got {type(dampening).__name__}.")
        if dampening < 0.0:
            raise ValueError(f"For 'SGD', the argument 'dampening' must be at least 0.0, but got 'dampening' "
                             f"{dampening}")
        self.dampening = dampening
        check_bool(nesterov, "nesterov", self.cls_name)
        if nesterov and (momentum <= 0.0 or dampening != 0.0):
            raise ValueError(f"For 'SGD', if 'nesterov' is true, 'momentum' must be > 0.0 and 'dampening' must "
                             f"equal to 0.0, but got 'momentum' {momentum}, 'dampening' {dampening}")
        self.nesterov = nesterov
        if self.dynamic_weight_decay:
            raise TypeError("For 'SGD', dynamic weight decay is currently not supported, the argument "
                            "'weight_decay' or 'weight_decay' set in grouped 'params' must be float or int type.")
        # As MindSpore: with groups the SGD kernel gets each group's (loss-scaled) weight decay,
        # without groups the raw argument.
        if self.is_group:
            self._sgd_weight_decay = tuple(float(wd) for wd in self.group_weight_decay)
        else:
            self._sgd_weight_decay = (float(weight_decay),) * self.param_length
        self.momentum = Parameter(np.array(momentum, np.float32), name="momentum", requires_grad=False)
        self.accum = self._clone_state("accum", "accum", "zeros")
        self.stat = self._clone_state("stat", "stat", "ones")

    def construct(self, gradients):
        gradients = self._check_grads(gradients)
        if _graph.tracing():
            return self._traced_update(gradients)
        gradients = self.gradients_centralization(gradients)
        gradients = self.scale_grad(gradients)
        lrs = self._lr_values()
        momentum = float(self.momentum._data)
        for i, (p, g) in enumerate(zip(self._parameters, gradients)):
            apply_sgd(p._data, self.accum[i]._data, self.stat[i]._data, g._data, lrs[i], momentum,
                      self.dampening, self._sgd_weight_decay[i], self.nesterov, self._work_buffer(i))
        return True

    def _traced_update(self, gradients):
        gradients = _graph.prepare(self, gradients, decay=False)
        lrs = _graph.lr_tensors(self)
        momentum = float(self.momentum._data)
        for i, (p, g) in enumerate(zip(self._parameters, gradients)):
            _graph.sgd(p, self.accum[i], self.stat[i], g, lrs[i], momentum, self.dampening,
                       self._sgd_weight_decay[i], self.nesterov)
        return True
