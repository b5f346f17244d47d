"""nn.LARS: layer-wise adaptive rate scaling around another optimizer (MindSpore's ``nn.LARS``):
each selected gradient becomes trust * (g + wd * w) before the wrapped optimizer runs."""
import numpy as np

from ...tensor import Parameter
from . import _graph
from ._check import check_bool, check_float
from .optimizer import Optimizer, scalar_of

__all__ = ["LARS"]


def lars_gradient(weight, grad, weight_decay, lr, epsilon, coefficient, use_clip):
    """The LARS gradient (MindSpore's ``LARSUpdate``): trust = coefficient * ||w|| /
    (||g|| + wd * ||w|| + eps) when both norms are > 0, else 1; with use_clip, min(trust / lr, 1);
    returns trust * (g + wd * w) as a new array."""
    w_norm = float(np.sqrt(np.sum(np.square(weight, dtype=np.float32))))
    g_norm = float(np.sqrt(np.sum(np.square(grad, dtype=np.float32))))
    trust = 1.0
    if w_norm > 0 and g_norm > 0:
        trust = coefficient * w_norm / (g_norm + weight_decay * w_norm + epsilon)
    if use_clip:
        # a learning rate of 0 (e.g. a warm-up's first step) gives trust / lr = inf, clipped to 1
        trust = min(trust / lr, 1.0) if lr > 0 else 1.0
    out = weight * np.asarray(weight_decay, weight.dtype)
    out += grad
    out *= trust
    return out


class LARS(Optimizer):
    """LARS (MindSpore's ``nn.LARS``): wraps ``optimizer``, takes over its weight decay and loss-scale
    division, rescales the gradients of the parameters chosen by ``lars_filter`` (by default those
    whose name contains neither 'LayerNorm' nor 'bias'), then calls the wrapped optimizer."""

    def __init__(self, optimizer, epsilon=1e-05, coefficient=0.001, use_clip=False,
                 lars_filter=lambda x: "LayerNorm" not in x.name and "bias" not in x.name):
        super().__init__(0.0, [Parameter(np.array(0.0, np.float32), name="fake_param")])
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"For 'LARS', the argument 'optimizer' must be an Optimizer, "
                            f"but got {type(optimizer).__name__}.")
        check_float(epsilon, "epsilon", self.cls_name)
        check_float(coefficient, "coefficient", self.cls_name)
        check_bool(use_clip, "use_clip", self.cls_name)
        self.opt = optimizer
        self.dynamic_decay_flags = optimizer.dynamic_decay_flags
        self.dynamic_weight_decay = optimizer.dynamic_weight_decay
        object.__setattr__(self, "weight_decay", optimizer.weight_decay)
        self._params.pop("global_step", None)
        object.__setattr__(self, "global_step", optimizer.global_step)
        object.__setattr__(self, "parameters", optimizer.parameters)
        object.__setattr__(self, "_parameters", optimizer.parameters)
        self.param_length = optimizer.param_length
        self.use_clip = use_clip
        self.lars_flag = tuple(bool(lars_filter(p)) for p in self._parameters)
        self.is_group = optimizer.is_group
        self._params.pop("learning_rate", None)
        self.learning_rate = Parameter(np.array(0.0, np.float32), name="fake_lr", requires_grad=False)
        self.decay_flags = optimizer.decay_flags
        self.reciprocal_scale = optimizer.reciprocal_scale
        self.need_scale = optimizer.need_scale
        self.loss_scale = optimizer.loss_scale
        self.epsilon = epsilon
        self.coefficient = coefficient
        self.is_group_lr = optimizer.is_group_lr if use_clip else False
        self.dynamic_lr = optimizer.dynamic_lr if use_clip else False
        if use_clip:
            self.origin_learning_rate = optimizer.learning_rate
            if self.is_group_lr and self.dynamic_lr:
                raise ValueError("For 'LARS', if the argument 'use_clip' is set to True, then the dynamic learning "
                                 "rate and group learning rate cannot both be true.")
        # the wrapped optimizer must neither decay nor unscale again
        if self.is_group:
            optimizer.dynamic_decay_flags = tuple(False for _ in self.dynamic_decay_flags)
        else:
            optimizer.dynamic_decay_flags = False
        optimizer.decay_flags = tuple(False for _ in self.decay_flags)
        optimizer.dynamic_weight_decay = False
        optimizer.reciprocal_scale = 1.0
        optimizer.exec_weight_decay = False
        self._graph_update = True

    def _lr_for_clip(self):
        lr = self.origin_learning_rate
        if self.dynamic_lr:
            if self.is_group_lr:
                return [scalar_of(cell(self.global_step)) for cell in lr]
            return [scalar_of(lr(self.global_step))] * self.param_length
        if self.is_group_lr:
            return [scalar_of(x) for x in lr]
        return [scalar_of(lr)] * self.param_length

    def construct(self, gradients):
        gradients = self._check_grads(gradients)
        if _graph.tracing():
            return self._traced_update(gradients)
        lrs = self._lr_for_clip() if self.use_clip else [0.0] * self.param_length
        wds = self._weight_decay_values()
        grads = []
        for i, (p, g) in enumerate(zip(self._parameters, gradients)):
            arr = g._data
            if self.need_scale:
                arr = arr * np.asarray(self.reciprocal_scale, arr.dtype)
            if self.lars_flag[i]:
                arr = lars_gradient(p._data, arr, wds[i] / self.loss_scale, lrs[i], self.epsilon, self.coefficient,
                                    self.use_clip)
            grads.append(type(g)._wrap(arr))
        success = self.opt(tuple(grads))
        if (self.dynamic_lr or self.dynamic_weight_decay) and not self.opt.dynamic_lr and \
                not self.opt.dynamic_weight_decay:
            self.global_step._data += 1
        return success

    def _traced_lr_for_clip(self):
        lr = self.origin_learning_rate
        if self.dynamic_lr:
            if self.is_group_lr:
                return [_graph.scalar(cell(self.global_step)) for cell in lr]
            return [_graph.scalar(lr(self.global_step))] * self.param_length
        if self.is_group_lr:
            return list(lr)
        return [lr] * self.param_length

    def _traced_update(self, gradients):
        lrs = self._traced_lr_for_clip() if self.use_clip else [0.0] * self.param_length
        wds = _graph.weight_decay_values(self)
        grads = []
        for i, (p, g) in enumerate(zip(self._parameters, gradients)):
            if self.need_scale:
                g = g * self.reciprocal_scale
            if self.lars_flag[i]:
                g = _graph.lars_gradient(p, g, wds[i] / self.loss_scale, lrs[i], self.epsilon, self.coefficient,
                                         self.use_clip)
            grads.append(g)
        success = self.opt(tuple(grads))
        if (self.dynamic_lr or self.dynamic_weight_decay) and not self.opt.dynamic_lr and \
                not self.opt.dynamic_weight_decay:
            _graph.assign(self.global_step, self.global_step + 1)
        return success
