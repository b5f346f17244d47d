"""nn.Lamb: layer-wise adaptive moments (MindSpore's ``Lamb``: Adam direction plus weight decay,
scaled per parameter by the trust ratio ||w|| / ||update|| clipped to [0, 10])."""
import numpy as np

from ...tensor import Tensor
from . import _graph
from .adam import _check_param_value, _f32
from .optimizer import Optimizer

__all__ = ["Lamb"]


def apply_lamb(param, m, v, grad, lr, beta1, beta2, eps, weight_decay, step, work):
    """One LAMB step on numpy arrays, in place, at step ``step`` (1 on the first call):
    m = beta1 * m + (1 - beta1) * g; v = beta2 * v + (1 - beta2) * g^2;
    m' = m / (1 - beta1^step); v' = v / (1 - beta2^step);
    r = m' / (sqrt(v') + eps) + wd * w; trust = ||w|| / ||m' / sqrt(v' + eps) + wd * w||
    when ||w|| > 0 and ||g|| > 0, else 1, clipped to [0, 10]; w -= lr * trust * r."""
    m *= beta1
    np.multiply(grad, 1.0 - beta1, out=work, casting="same_kind")
    m += work
    v *= beta2
    np.square(grad, out=work, casting="same_kind")
    work *= 1.0 - beta2
    v += work
    m_hat = m / (1.0 - beta1 ** step)
    v_hat = v / (1.0 - beta2 ** step)
    w_norm = float(np.linalg.norm(param.reshape(-1).astype(np.float32)))
    g_norm = float(np.linalg.norm(grad.reshape(-1).astype(np.float32)))
    decayed = param * np.asarray(weight_decay, param.dtype)
    norm_dir = m_hat / np.sqrt(v_hat + eps) + decayed
    g_norm_hat = float(np.linalg.norm(norm_dir.reshape(-1).astype(np.float32)))
    trust_ratio = 1.0
    if w_norm > 0 and g_norm > 0:
        trust_ratio = w_norm / g_norm_hat
    trust_ratio = min(max(trust_ratio, 0.0), 10.0)
    np.sqrt(v_hat, out=work)
    work += eps
    np.divide(m_hat, work, out=work)
    work += decayed
    work *= trust_ratio * lr
    param -= work


class Lamb(Optimizer):
    """LAMB (MindSpore's ``nn.Lamb``). State: ``lamb_m.<name>``, ``lamb_v.<name>``; the global step
    advances on every call and gives the bias correction."""

    _support_parallel_optimizer = True

    def __init__(self, params, learning_rate, beta1=0.9, beta2=0.999, eps=1e-6, weight_decay=0.0):
        super().__init__(learning_rate, params, weight_decay)
        _check_param_value(beta1, beta2, eps, self.cls_name)
        self.beta1 = _f32(beta1)
        self.beta2 = _f32(beta2)
        self.eps = _f32(eps)
        # a plain attribute: the network owns these parameters, the optimizer only refers to them
        object.__setattr__(self, "params", self._parameters)
        self.moments1 = self._clone_state("moments1", "lamb_m", "zeros")
        self.moments2 = self._clone_state("moments2", "lamb_v", "zeros")
        self._graph_update = True

    def construct(self, gradients):
        gradients = self._check_grads(gradients)
        if _graph.tracing():
            return self._traced_update(gradients)
        wds = self._weight_decay_values()
        lrs = self._lr_values()
        self.global_step._data += 1
        step = float(self.global_step._data[0])
        gradients = self.gradients_centralization(gradients)
        for i, (p, g) in enumerate(zip(self._parameters, gradients)):
            apply_lamb(p._data, self.moments1[i]._data, self.moments2[i]._data, g._data, lrs[i], self.beta1,
                       self.beta2, self.eps, _f32(wds[i]), step, self._work_buffer(i))
        return True

    def _traced_update(self, gradients):
        wds = _graph.weight_decay_values(self)
        lrs = _graph.lr_tensors(self)
        _graph.assign(self.global_step, self.global_step + 1)
        step = _graph.scalar(self.global_step)
        gradients = _graph.gradients_centralization(self, gradients)
        for i, (p, g) in enumerate(zip(self._parameters, gradients)):
            wd = wds[i] if isinstance(wds[i], Tensor) else _f32(wds[i])
            _graph.lamb(p, self.moments1[i], self.moments2[i], g, lrs[i], self.beta1, self.beta2, self.eps, wd, step)
        return True
