"""nn.AdaFactor: adaptive learning rates with sublinear memory (MindSpore's ``nn.AdaFactor``):
factored second moments (row and column means) for matrices, relative step sizes, update clipping."""
import numbers

import numpy as np

from ... import ops
from ...tensor import Parameter
from . import _graph
from ._check import check_bool, check_float, check_non_negative_float
from .optimizer import Optimizer

__all__ = ["AdaFactor"]


def _zeros(shape, dtype, name):
    return Parameter(np.zeros(shape, dtype), name=name, requires_grad=False)


def _rms(x):
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float32))))


def apply_adafactor(param, exp_avg, row, col, sq, grad, lr, eps, clip_threshold, beta1, beta2t, weight_decay,
                    scale_parameter, use_first_moment):
    """One AdaFactor step on numpy arrays, in place (MindSpore's formulas). Matrices (rank >= 2) keep
    running means of g^2 + eps1 over the last axis (``row``) and the one before (``col``) and use
    g / sqrt(row / mean(row) * col); vectors keep the full ``sq``. The update is scaled down so its
    RMS is at most ``clip_threshold``, times lr (times max(eps2, RMS(param)) with scale_parameter);
    beta1 > 0 adds a moving average; weight decay shrinks the parameter by wd * lr."""
    g = grad.astype(np.float32) if grad.dtype == np.float16 else grad
    p = param.astype(np.float32) if param.dtype == np.float16 else param
    lr_update = lr * max(eps[1], _rms(p)) if scale_parameter else lr
    squared = np.square(g) + eps[0]
    if g.ndim >= 2:
        row *= beta2t
        row += squared.mean(axis=-1) * (1.0 - beta2t)
        col *= beta2t
        col += squared.mean(axis=-2) * (1.0 - beta2t)
        r_factor = 1.0 / np.sqrt(row / row.mean(axis=-1, keepdims=True))
        c_factor = 1.0 / np.sqrt(col)
        update = r_factor[..., :, None] * c_factor[..., None, :] * g
    else:
        sq *= beta2t
        sq += (squared * (1.0 - beta2t)).astype(sq.dtype)
        update = g / np.sqrt(sq)
    coefficient = max(_rms(update) / clip_threshold, 1.0)
    update = update / coefficient * lr_update
    if use_first_moment:
        exp_avg *= beta1
        exp_avg += (update * (1.0 - beta1)).astype(exp_avg.dtype)
        update = exp_avg
    new_param = p
    if weight_decay:
        new_param = new_param + new_param * (-weight_decay * lr_update)
    new_param = new_param - update
    np.copyto(param, new_param, casting="same_kind")


class AdaFactor(Optimizer):
    """AdaFactor (MindSpore's ``nn.AdaFactor``). Without ``learning_rate`` and with ``relative_step``
    the step size is min(1e-2, 1/sqrt(step)) (min(1e-6 * step, ...) with warmup_init). State:
    ``exp_avg.<name>``, ``exp_avg_sq_row_<name>``, ``exp_avg_sq_col_<name>``, ``exp_avg_sq_<name>``,
    ``afactor_step``."""

    _support_parallel_optimizer = True

    def __init__(self, params, learning_rate=None, eps=(1e-30, 1e-3), clip_threshold=1.0, decay_rate=0.8, beta1=0.9,
                 weight_decay=0.0, scale_parameter=True, relative_step=True, warmup_init=False, compression=False,
                 loss_scale=1.0):
        if learning_rate is not None and relative_step:
            raise ValueError(f"Cannot combine manual lr and relative_step options, got learning_rate={learning_rate}")
        if warmup_init and not relative_step:
            raise ValueError("warmup_init requires relative_step=True")
        if learning_rate is None and not relative_step:
            raise ValueError("Cannot learning_rate is None and relative_step=False")
        if learning_rate is None:
            learning_rate = 0.0
        if beta1 is None:
            beta1 = 0.0
        scale_lr = isinstance(learning_rate, numbers.Real) and not isinstance(learning_rate, bool)
        super().__init__(learning_rate, params, weight_decay, loss_scale)
        self.scale_lr = scale_lr
        if not isinstance(eps, (list, tuple)) or len(eps) != 2:
            raise ValueError(f"eps must have 2 value: (eps1, eps2), got {eps!r}.")
        for i, value in enumerate(eps):
            check_float(value, f"eps{i}", self.cls_name)
            check_non_negative_float(value, f"eps{i}", self.cls_name)
        check_float(clip_threshold, "clip_threshold", self.cls_name)
        check_non_negative_float(clip_threshold, "clip_threshold", self.cls_name)
        check_float(decay_rate, "decay_rate", self.cls_name)
        if not 0 < decay_rate < 1:
            raise ValueError(f"For 'AdaFactor', the argument 'decay_rate' must be in range (0, 1), got {decay_rate}.")
        if not 0 <= weight_decay < 1:
            raise ValueError(f"For 'AdaFactor', the argument 'weight_decay' must be in range [0, 1), "
                             f"got {weight_decay}.")
        for name, value in (("scale_parameter", scale_parameter), ("relative_step", relative_step),
                            ("compression", compression)):
            check_bool(value, name, self.cls_name)
        if isinstance(beta1, bool) or not isinstance(beta1, numbers.Real) or beta1 < 0:
            raise ValueError(f"For 'AdaFactor', the argument 'beta1' must be a number >= 0, got {beta1!r}.")
        self.eps = (float(np.float32(eps[0])), float(np.float32(eps[1])))
        self.clip_threshold = float(np.float32(clip_threshold))
        self.decay_rate = -decay_rate
        self.beta1 = float(np.float32(beta1))
        self.adafactor_weight_decay = float(np.float32(weight_decay))
        self.weight_decay_flag = bool(weight_decay)
        self.scale_parameter = scale_parameter if self.scale_lr else False
        self.relative_step = relative_step
        self.warmup_init = warmup_init
        self.compression = compression
        self.use_first_moment = beta1 > 0
        if self.use_first_moment:
            self.exp_avg = self._clone_state("exp_avg", "exp_avg", "zeros")
        else:
            object.__setattr__(self, "exp_avg", (None,) * self.param_length)
        rows, cols, sqs = [], [], []
        for p in self._parameters:
            shape = tuple(p.shape)
            dtype = p.dtype.np
            if len(shape) > 1:
                rows.append(_zeros(shape[:-1], dtype, "exp_avg_sq_row_" + p.name))
                cols.append(_zeros(shape[:-2] + shape[-1:], dtype, "exp_avg_sq_col_" + p.name))
                sqs.append(_zeros((1,), dtype, "exp_avg_sq_" + p.name))
            else:
                rows.append(_zeros((1,), dtype, "exp_avg_sq_row_" + p.name))
                cols.append(_zeros((1,), dtype, "exp_avg_sq_col_" + p.name))
                sqs.append(_zeros(shape, np.float16 if compression else dtype, "exp_avg_sq_" + p.name))
        self._register_state("exp_avg_sq_row", rows)
        self._register_state("exp_avg_sq_col", cols)
        self._register_state("exp_avg_sq", sqs)
        self.step = Parameter(np.zeros((1,), np.float32), name="afactor_step", requires_grad=False)
        self._graph_update = True

    def construct(self, gradients):
        gradients = self._check_grads(gradients)
        if _graph.tracing():
            return self._traced_update(gradients)
        lrs = self._lr_values()
        self.global_step._data += 1
        self.step._data += 1
        step = float(self.step._data[0])
        if self.scale_lr and self.relative_step:
            min_step = 1e-6 * step if self.warmup_init else 1e-2
            lrs = [min(min_step, 1.0 / np.sqrt(step))] * self.param_length
        beta2t = 1.0 - step ** self.decay_rate
        for i, (p, g) in enumerate(zip(self._parameters, gradients)):
            exp_avg = self.exp_avg[i]._data if self.use_first_moment else None
            apply_adafactor(p._data, exp_avg, self.exp_avg_sq_row[i]._data, self.exp_avg_sq_col[i]._data,
                            self.exp_avg_sq[i]._data, g._data, lrs[i], self.eps, self.clip_threshold, self.beta1,
                            beta2t, self.adafactor_weight_decay, self.scale_parameter, self.use_first_moment)
        return True

    def _traced_update(self, gradients):
        lrs = _graph.lr_tensors(self)
        _graph.assign(self.global_step, self.global_step + 1)
        step = self.step + 1.0
        _graph.assign(self.step, step)
        step64 = _graph.f64(_graph.scalar(step))
        if self.scale_lr and self.relative_step:
            min_step = step64 * 1e-6 if self.warmup_init else 1e-2
            lrs = [_graph.f32(ops.minimum(min_step, 1.0 / ops.sqrt(step64)))] * self.param_length
        beta2t = _graph.f32(1.0 - ops.pow(step64, self.decay_rate))
        for i, (p, g) in enumerate(zip(self._parameters, gradients)):
            exp_avg = self.exp_avg[i] if self.use_first_moment else None
            _graph.adafactor(p, exp_avg, self.exp_avg_sq_row[i], self.exp_avg_sq_col[i], self.exp_avg_sq[i], g,
                             lrs[i], self.eps, self.clip_threshold, self.beta1, beta2t, self.adafactor_weight_decay,
                             self.scale_parameter, self.use_first_moment)
        return True
