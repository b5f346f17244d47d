"""nn.Momentum: heavy-ball momentum (MindSpore's ``ApplyMomentum``: v = momentum * v + g)."""
import numpy as np

from ...tensor import Parameter
from . import _graph
from ._check import check_bool
from .optimizer import Optimizer

__all__ = ["Momentum"]


def apply_momentum(param, moment, grad, lr, momentum, use_nesterov, work):
    """One Momentum step on numpy arrays, in place: v = momentum * v + g; then
    p -= lr * v, or with Nesterov p -= lr * g + lr * momentum * v."""
    moment *= momentum
    moment += grad
    if use_nesterov:
        np.multiply(grad, lr, out=work, casting="same_kind")
        param -= work
        np.multiply(moment, momentum, out=work)
        work *= lr
        param -= work
    else:
        np.multiply(moment, lr, out=work)
        param -= work


class Momentum(Optimizer):
    """Momentum (MindSpore's ``nn.Momentum``): v = v * momentum + g; p -= lr * v (Nesterov:
    p -= lr * g + lr * momentum * v). State: ``moments.<name>``."""

    def __init__(self, params, learning_rate, momentum, weight_decay=0.0, loss_scale=1.0, use_nesterov=False):
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        if isinstance(momentum, bool) or not isinstance(momentum, float):
            raise TypeError(f"For 'Momentum', the argument 'momentum' must be a float, "
                            f"but got {type(momentum).__name__}.")
        if momentum < 0.0:
            raise ValueError(f"For 'Momentum', the argument 'momentum' must be at least 0.0, but got {momentum}")
        self.momentum = Parameter(np.array(momentum, np.float32), name="momentum", requires_grad=False)
        # a plain attribute: the network owns these parameters, the optimizer only refers to them
        object.__setattr__(self, "params", self._parameters)
        self.use_nesterov = check_bool(use_nesterov, "use_nesterov", self.cls_name)
        self.moments = self._clone_state("moments", "moments", "zeros")
        self._graph_update = True

    def construct(self, gradients):
        gradients = self._check_grads(gradients)
        if _graph.tracing():
            return self._traced_update(gradients)
        gradients = self._preprocess(gradients)
        lrs = self._lr_values()
        momentum = float(self.momentum._data)
        for i, (p, g) in enumerate(zip(self._parameters, gradients)):
            apply_momentum(p._data, self.moments[i]._data, g._data, lrs[i], momentum, self.use_nesterov,
                           self._work_buffer(i))
        return True

    def _traced_update(self, gradients):
        gradients = _graph.prepare(self, gradients)
        lrs = _graph.lr_tensors(self)
        momentum = float(self.momentum._data)
        for i, (p, g) in enumerate(zip(self._parameters, gradients)):
            _graph.momentum(p, self.moments[i], g, lrs[i], momentum, self.use_nesterov)
        return True
