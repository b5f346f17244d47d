"""nn.Adam (with AMSGrad and Nesterov variants) and nn.AdamWeightDecay (decoupled weight decay, no
bias correction), with MindSpore's update formulas and state names."""
import math

import numpy as np

from ...tensor import Parameter, Tensor
from . import _graph
from ._check import check_bool, check_open_range, check_positive_float
from .optimizer import Optimizer

__all__ = ["Adam", "AdamWeightDecay", "LazyAdam"]


def apply_adam(param, m, v, grad, lr, beta1, beta2, eps, beta1_power, beta2_power, use_nesterov, work):
    """One Adam step on numpy arrays, in place (MindSpore's ``Adam`` kernel):
    lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t); m += (g - m) * (1 - beta1);
    v += (g * g - v) * (1 - beta2); p -= lr_t * m / (sqrt(v) + eps), or with Nesterov
    p -= lr_t * (beta1 * m + (1 - beta1) * g) / (sqrt(v) + eps)."""
    lr_t = lr * math.sqrt(1.0 - beta2_power) / (1.0 - beta1_power)
    np.subtract(grad, m, out=work, casting="same_kind")
    work *= 1.0 - beta1
    m += work
    np.square(grad, out=work, casting="same_kind")
    work -= v
    work *= 1.0 - beta2
    v += work
    np.sqrt(v, out=work)
    work += eps
    if use_nesterov:
        numerator = m * beta1
        numerator += grad * (1.0 - beta1)
        np.divide(numerator, work, out=work)
    else:
        np.divide(m, work, out=work)
    work *= lr_t
    param -= work


def apply_adam_amsgrad(param, m, v, vhat, grad, lr, beta1, beta2, eps, beta1_power, beta2_power, work):
    """One AMSGrad step on numpy arrays, in place (MindSpore's ``ApplyAdamWithAmsgrad``):
    m = beta1 * m + (1 - beta1) * g; v = beta2 * v + (1 - beta2) * g^2; vhat = max(vhat, v);
    p -= lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(vhat) + eps)."""
    lr_t = lr * math.sqrt(1.0 - beta2_power) / (1.0 - beta1_power)
    m *= beta1
    np.multiply(grad, 1.0 - beta1, out=work, casting="same_kind")
    m += work
    v *= beta2
    np.square(grad, out=work, casting="same_kind")
    work *= 1.0 - beta2
    v += work
    np.maximum(vhat, v, out=vhat)
    np.sqrt(vhat, out=work)
    work += eps
    np.divide(m, work, out=work)
    work *= lr_t
    param -= work


def apply_adam_weight_decay(param, m, v, grad, lr, beta1, beta2, eps, weight_decay, work):
    """One AdamWeightDecay step on numpy arrays, in place (MindSpore's ``AdamWeightDecay`` kernel, no
    bias correction): m = beta1 * m + (1 - beta1) * g; v = beta2 * v + (1 - beta2) * g^2;
    p -= lr * (m / (sqrt(v) + eps) + weight_decay * p)."""
    np.subtract(grad, m, out=work, casting="same_kind")
    work *= 1.0 - beta1
    m += work
    np.square(grad, out=work, casting="same_kind")
    work -= v
    work *= 1.0 - beta2
    v += work
    np.sqrt(v, out=work)
    work += eps
    np.divide(m, work, out=work)
    if weight_decay:
        work += param * np.asarray(weight_decay, param.dtype)
    work *= lr
    param -= work


def _check_param_value(beta1, beta2, eps, cls_name):
    check_open_range(beta1, 0.0, 1.0, "beta1", cls_name)
    check_open_range(beta2, 0.0, 1.0, "beta2", cls_name)
    if isinstance(eps, bool) or not isinstance(eps, float):
        raise TypeError(f"For '{cls_name}', the argument 'eps' must be a float, but got {type(eps).__name__}.")
    check_positive_float(eps, "eps", cls_name)


def _f32(value):
    return float(np.float32(value))


class Adam(Optimizer):
    """Adam (MindSpore's ``nn.Adam``): weight decay is added to the gradient (L2), then
    m, v and the bias-corrected step lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + eps).
    ``use_amsgrad`` keeps the running maximum ``vhat``; ``use_nesterov`` looks ahead in m.
    State: ``beta1_power``, ``beta2_power``, ``moment1.<name>``, ``moment2.<name>`` (``vhat.<name>``).
    """

    def __init__(self, params, learning_rate=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, use_locking=False,
                 use_nesterov=False, weight_decay=0.0, loss_scale=1.0, use_amsgrad=False, **kwargs):
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        use_lazy = kwargs.get("use_lazy", False)
        use_offload = kwargs.get("use_offload", False)
        _check_param_value(beta1, beta2, eps, self.cls_name)
        check_bool(use_locking, "use_locking", self.cls_name)
        check_bool(use_nesterov, "use_nesterov", self.cls_name)
        check_bool(use_amsgrad, "use_amsgrad", self.cls_name)
        check_bool(use_lazy, "use_lazy", self.cls_name)
        check_bool(use_offload, "use_offload", self.cls_name)
        if use_lazy and use_offload:
            raise ValueError(f"For 'Adam', 'use_lazy' and 'use_offload' can not both be True.But got "
                             f"use_lazy={use_lazy}, use_offload={use_offload}.")
        if use_amsgrad and (use_lazy or use_offload):
            raise ValueError(f"For lazy Adam and Adam with offload, there is no parameter named 'use_amsgrad'."
                             f"but got 'use_amsgrad'={use_amsgrad}.")
        # beta and eps are float32 tensors in MindSpore: compute with their float32 values
        self.beta1 = _f32(beta1)
        self.beta2 = _f32(beta2)
        self.eps = _f32(eps)
        self.beta1_power = Parameter(np.array(1.0, np.float32), name="beta1_power", requires_grad=False)
        self.beta2_power = Parameter(np.array(1.0, np.float32), name="beta2_power", requires_grad=False)
        self.use_nesterov = use_nesterov
        self.use_locking = use_locking
        self.use_amsgrad = use_amsgrad
        self.use_lazy = use_lazy
        self.use_offload = use_offload
        self.moment1 = self._clone_state("moment1", "moment1", "zeros")
        self.moment2 = self._clone_state("moment2", "moment2", "zeros")
        if use_amsgrad:
            self.vhat = self._clone_state("vhat", "vhat", "zeros")
        self._graph_update = True

    def _traced_update(self, gradients):
        gradients = _graph.decay_weight(self, gradients)
        if not self.use_offload:
            gradients = _graph.gradients_centralization(self, gradients)
        gradients = _graph.scale_grad(self, gradients)
        lrs = _graph.lr_tensors(self)
        b1p = self.beta1_power * self.beta1
        b2p = self.beta2_power * self.beta2
        _graph.assign(self.beta1_power, b1p)
        _graph.assign(self.beta2_power, b2p)
        for i, (p, g) in enumerate(zip(self._parameters, gradients)):
            lr_t = _graph.adam_step_size(lrs[i], b1p, b2p)
            if self.use_amsgrad:
                _graph.adam_amsgrad(p, self.moment1[i], self.moment2[i], self.vhat[i], g, lr_t, self.beta1,
                                    self.beta2, self.eps)
            else:
                _graph.adam(p, self.moment1[i], self.moment2[i], g, lr_t, self.beta1, self.beta2, self.eps,
                            self.use_nesterov)
        return True

    def construct(self, gradients):
        gradients = self._check_grads(gradients)
        if _graph.tracing():
            return self._traced_update(gradients)
        gradients = self.decay_weight(gradients)
        if not self.use_offload:
            gradients = self.gradients_centralization(gradients)
        gradients = self.scale_grad(gradients)
        lrs = self._lr_values()
        b1p = self.beta1_power._data
        b2p = self.beta2_power._data
        b1p *= np.float32(self.beta1)
        b2p *= np.float32(self.beta2)
        beta1_power = float(b1p)
        beta2_power = float(b2p)
        for i, (p, g) in enumerate(zip(self._parameters, gradients)):
            if self.use_amsgrad:
                apply_adam_amsgrad(p._data, self.moment1[i]._data, self.moment2[i]._data, self.vhat[i]._data,
                                   g._data, lrs[i], self.beta1, self.beta2, self.eps, beta1_power, beta2_power,
                                   self._work_buffer(i))
            else:
                apply_adam(p._data, self.moment1[i]._data, self.moment2[i]._data, g._data, lrs[i], self.beta1,
                           self.beta2, self.eps, beta1_power, beta2_power, self.use_nesterov,
                           self._work_buffer(i))
        return True


class AdamWeightDecay(Optimizer):
    """Adam with decoupled weight decay (MindSpore's ``nn.AdamWeightDecay``; no bias correction):
    p -= lr * (m / (sqrt(v) + eps) + weight_decay * p). State: ``adam_m.<name>``, ``adam_v.<name>``.
    """

    _support_parallel_optimizer = True

    def __init__(self, params, learning_rate=1e-3, beta1=0.9, beta2=0.999, eps=1e-6, weight_decay=0.0):
        super().__init__(learning_rate, params, weight_decay)
        _check_param_value(beta1, beta2, eps, self.cls_name)
        self.beta1 = _f32(beta1)
        self.beta2 = _f32(beta2)
        self.eps = _f32(eps)
        self.moments1 = self._clone_state("moments1", "adam_m", "zeros")
        self.moments2 = self._clone_state("moments2", "adam_v", "zeros")
        self._graph_update = True

    def construct(self, gradients):
        gradients = self._check_grads(gradients)
        if _graph.tracing():
            wds = _graph.weight_decay_values(self)
            lrs = _graph.lr_tensors(self)
            for i, (p, g) in enumerate(zip(self._parameters, gradients)):
                wd = wds[i] if isinstance(wds[i], Tensor) else _f32(wds[i])
                _graph.adam_weight_decay(p, self.moments1[i], self.moments2[i], g, lrs[i], self.beta1,
                                         self.beta2, self.eps, wd)
            return True
        wds = self._weight_decay_values()
        lrs = self._lr_values()
        for i, (p, g) in enumerate(zip(self._parameters, gradients)):
            apply_adam_weight_decay(p._data, self.moments1[i]._data, self.moments2[i]._data, g._data, lrs[i],
                                    self.beta1, self.beta2, self.eps, _f32(wds[i]), self._work_buffer(i))
        return True


class LazyAdam(Adam):
    """Lazy Adam (MindSpore's ``nn.LazyAdam``): with dense gradients, as here, it is Adam; the lazy
    variant only differs for sparse (row) gradients, which sporen does not produce."""

    def __init__(self, params, learning_rate=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, use_locking=False,
                 use_nesterov=False, weight_decay=0.0, loss_scale=1.0):
        super().__init__(params, learning_rate, beta1, beta2, eps, use_locking, use_nesterov, weight_decay,
                         loss_scale)
