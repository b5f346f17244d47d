"""nn.ASGD: averaged stochastic gradient descent (MindSpore's ``nn.ASGD``)."""
import numpy as np

from ...tensor import Parameter
from . import _graph
from ._check import check_float
from .optimizer import Optimizer

__all__ = ["ASGD"]


def apply_asgd(param, ax, grad, eta, mu, lambd):
    """One ASGD step on numpy arrays, in place: param = param * (1 - lambd * eta) - eta * g; then the
    average follows: ax += (param - ax) * mu, or ax = param when mu == 1."""
    param *= 1.0 - lambd * eta
    param -= np.asarray(eta, param.dtype) * grad
    if mu != 1:
        ax += (param - ax) * np.asarray(mu, ax.dtype)
    else:
        np.copyto(ax, param)


class ASGD(Optimizer):
    """ASGD (MindSpore's ``nn.ASGD``): w = w * (1 - lambd * eta) - eta * g, with eta and mu per
    parameter updated from the step: eta = lr / (1 + lambd * lr * t) ** alpha, mu = 1 / max(1, t - t0);
    ``ax`` is the running average. State: ``mu_<name>``, ``eta_<name>``, ``ax_.<name>``."""

    def __init__(self, params, learning_rate=0.1, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.0):
        super().__init__(learning_rate, params, weight_decay)
        check_float(lambd, "lambd", self.cls_name)
        check_float(alpha, "alpha", self.cls_name)
        check_float(t0, "t0", self.cls_name)
        self.lambd = lambd
        self.alpha = alpha
        self.t0 = t0
        mu = []
        eta = []
        for p in self._parameters:
            mu.append(Parameter(np.array(1.0, np.float32), name="mu_" + p.name, requires_grad=False))
            eta.append(Parameter(np.array(0.0, np.float32), name="eta_" + p.name, requires_grad=False))
        self.lens = len(self._parameters)
        self._register_state("mu", mu)
        self._register_state("eta", eta)
        self.ax = self._clone_state("ax", "ax_", "zeros")
        self._graph_update = True

    def construct(self, gradients):
        gradients = self._check_grads(gradients)
        if _graph.tracing():
            return self._traced_update(gradients)
        gradients = self._preprocess(gradients)
        lrs = self._lr_values()
        if not (self.dynamic_lr or self.dynamic_weight_decay):
            self.global_step._data += 1
        step = float(np.float32(self.global_step._data[0]))
        for i, (p, g) in enumerate(zip(self._parameters, gradients)):
            lr = lrs[i]
            eta_param = self.eta[i]._data
            mu_param = self.mu[i]._data
            if step == 1:
                eta_param[...] = lr
            eta = float(eta_param)
            mu = float(mu_param)
            apply_asgd(p._data, self.ax[i]._data, g._data, eta, mu, self.lambd)
            eta_param[...] = lr / (1.0 + self.lambd * lr * step) ** self.alpha
            mu_param[...] = 1.0 / max(1.0, step - self.t0)
        return True

    def _traced_update(self, gradients):
        gradients = _graph.prepare(self, gradients)
        lrs = _graph.lr_tensors(self)
        if not (self.dynamic_lr or self.dynamic_weight_decay):
            _graph.assign(self.global_step, self.global_step + 1)
        step = _graph.f32(_graph.scalar(self.global_step))
        for i, (p, g) in enumerate(zip(self._parameters, gradients)):
            _graph.asgd(p, self.ax[i], self.eta[i], self.mu[i], g, lrs[i], step, self.lambd, self.alpha, self.t0)
        return True
