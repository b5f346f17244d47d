"""nn.AdaMax: Adam with the infinity norm (MindSpore's ``ApplyAdaMax``)."""
import numpy as np

from ...tensor import Parameter
from . import _graph
from .adam import _check_param_value, _f32
from .optimizer import Optimizer

__all__ = ["AdaMax"]


def apply_adamax(param, m, v, grad, lr, beta1, beta2, eps, beta1_power, work):
    """One AdaMax step on numpy arrays, in place: m = beta1 * m + (1 - beta1) * g;
    v = max(beta2 * v, |g|); p -= lr / (1 - beta1^t) * m / (v + eps)."""
    m *= beta1
    np.multiply(grad, 1.0 - beta1, out=work, casting="same_kind")
    m += work
    v *= beta2
    np.abs(grad, out=work, casting="same_kind")
    np.maximum(v, work, out=v)
    np.add(v, eps, out=work)
    np.divide(m, work, out=work)
    work *= lr / (1.0 - beta1_power)
    param -= work


class AdaMax(Optimizer):
    """AdaMax (MindSpore's ``nn.AdaMax``). State: ``beta1_power``, ``moment1.<name>``,
    ``moment2.<name>``. Like MindSpore it advances the global step on every call."""

    def __init__(self, params, learning_rate=0.001, beta1=0.9, beta2=0.999, eps=1e-08, weight_decay=0.0,
                 loss_scale=1.0):
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        _check_param_value(beta1, beta2, eps, self.cls_name)
        self.beta1 = _f32(beta1)
        self.beta2 = _f32(beta2)
        self.eps = _f32(eps)
        self.beta1_power = Parameter(np.ones((1,), np.float32), name="beta1_power", requires_grad=False)
        self.moment1 = self._clone_state("moment1", "moment1", "zeros")
        self.moment2 = self._clone_state("moment2", "moment2", "zeros")
        self._graph_update = True

    def construct(self, gradients):
        gradients = self._check_grads(gradients)
        if _graph.tracing():
            return self._traced_update(gradients)
        gradients = self._preprocess(gradients)
        lrs = self._lr_values()
        self.global_step._data += 1
        b1p = self.beta1_power._data
        b1p *= np.float32(self.beta1)
        beta1_power = float(b1p[0])
        for i, (p, g) in enumerate(zip(self._parameters, gradients)):
            apply_adamax(p._data, self.moment1[i]._data, self.moment2[i]._data, g._data, lrs[i], self.beta1,
                         self.beta2, self.eps, beta1_power, self._work_buffer(i))
        return True

    def _traced_update(self, gradients):
        gradients = _graph.prepare(self, gradients)
        lrs = _graph.lr_tensors(self)
        _graph.assign(self.global_step, self.global_step + 1)
        b1p = self.beta1_power * self.beta1
        _graph.assign(self.beta1_power, b1p)
        b1p = _graph.scalar(b1p)
        for i, (p, g) in enumerate(zip(self._parameters, gradients)):
            _graph.adamax(p, self.moment1[i], self.moment2[i], g, lrs[i], self.beta1, self.beta2, self.eps, b1p)
        return True
