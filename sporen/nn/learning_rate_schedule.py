"""Learning-rate schedules as Cells called with the global step (MindSpore's
``nn.learning_rate_schedule``): ExponentialDecayLR, NaturalExpDecayLR, InverseDecayLR, CosineDecayLR,
PolynomialDecayLR, WarmUpLR.

Each schedule computes in float32 exactly as MindSpore's ``construct`` does (cast the step to
float32, then the formula), so the printed values match MindSpore's documented examples. The
result keeps the shape of ``global_step`` (the optimizer's step is shape (1,); it reshapes).
The formulas are written with sporen ops, so that the same code runs eagerly and inside a traced
training step (an optimizer given a schedule compiles in graph mode, the step read in the graph).
"""
import math

import numpy as np

from .. import dtype as mstype
from .. import ops
from ..tensor import Tensor
from .cell import Cell
from .optim._check import (check_bool, check_float, check_non_negative_float, check_positive_float,
                           check_positive_int)

__all__ = ["LearningRateSchedule", "ExponentialDecayLR", "NaturalExpDecayLR", "InverseDecayLR",
           "CosineDecayLR", "PolynomialDecayLR", "WarmUpLR"]

_F32 = np.float32


def _step_tensor(global_step, cls_name):
    """The step as given (a Tensor, or a Python int made a Tensor), not yet cast."""
    if isinstance(global_step, Tensor):
        return global_step
    if isinstance(global_step, (int, np.integer)) and not isinstance(global_step, bool):
        return Tensor(np.asarray(global_step))
    raise TypeError(f"For '{cls_name}', the input 'global_step' must be a Tensor, "
                    f"but got {type(global_step).__name__}.")


def _f32(x):
    return ops.cast(x, mstype.float32)


def _const(value):
    """A float32 0-d Tensor (so that an op between two constants stays in float32)."""
    return Tensor(np.asarray(value, _F32))


class LearningRateSchedule(Cell):
    """Base class of learning-rate schedules: ``construct(global_step)`` returns the learning rate
    of that step as a float32 Tensor."""

    def __init__(self):
        super().__init__()

    @property
    def cls_name(self):
        return type(self).__name__

    def construct(self, global_step):
        raise NotImplementedError(f"{type(self).__name__} must define construct(global_step)")


def _check_decay_inputs(learning_rate, decay_rate, decay_steps, is_stair, cls_name):
    check_positive_int(decay_steps, "decay_steps", cls_name)
    check_float(learning_rate, "learning_rate", cls_name)
    check_positive_float(learning_rate, "learning_rate", cls_name)
    check_float(decay_rate, "decay_rate", cls_name)
    check_positive_float(decay_rate, "decay_rate", cls_name)
    check_bool(is_stair, "is_stair", cls_name)


class _DecayLR(LearningRateSchedule):
    """The shared part of the exponential, natural-exponential and inverse decays: their arguments
    and the progress ``p = step / decay_steps`` (floored if ``is_stair``)."""

    def __init__(self, learning_rate, decay_rate, decay_steps, is_stair=False):
        super().__init__()
        _check_decay_inputs(learning_rate, decay_rate, decay_steps, is_stair, self.cls_name)
        self.learning_rate = learning_rate
        self.decay_rate = decay_rate
        self.decay_steps = decay_steps
        self.is_stair = is_stair

    def _progress(self, global_step):
        p = _f32(_step_tensor(global_step, self.cls_name)) / _const(self.decay_steps)
        if self.is_stair:
            p = ops.floor(p)
        return p


class ExponentialDecayLR(_DecayLR):
    r"""``learning_rate * decay_rate ** p`` with ``p = step / decay_steps`` (floored if
    ``is_stair``)."""

    def construct(self, global_step):
        p = self._progress(global_step)
        return _const(self.learning_rate) * ops.pow(_const(self.decay_rate), p)


class NaturalExpDecayLR(_DecayLR):
    r"""``learning_rate * e ** (-decay_rate * p)`` with ``p = step`` (or ``floor(step / decay_steps) *
    decay_steps`` if ``is_stair``), as MindSpore computes it."""

    def __init__(self, learning_rate, decay_rate, decay_steps, is_stair=False):
        super().__init__(learning_rate, decay_rate, decay_steps, is_stair)
        self.math_e = math.e

    def construct(self, global_step):
        p = _f32(_step_tensor(global_step, self.cls_name))
        if self.is_stair:
            p = ops.floor_divide(p, _const(self.decay_steps)) * _const(self.decay_steps)
        return _const(self.learning_rate) * ops.pow(_const(self.math_e), _const(-self.decay_rate) * p)


class InverseDecayLR(_DecayLR):
    r"""``learning_rate / (1 + decay_rate * p)`` with ``p = step / decay_steps`` (floored if
    ``is_stair``)."""

    def construct(self, global_step):
        p = self._progress(global_step)
        return _const(self.learning_rate) / (_const(1) + _const(self.decay_rate) * p)


class CosineDecayLR(LearningRateSchedule):
    r"""``min_lr + 0.5 * (max_lr - min_lr) * (1 + cos(pi * min(step, decay_steps) / decay_steps))``."""

    def __init__(self, min_lr, max_lr, decay_steps):
        super().__init__()
        if not isinstance(min_lr, float):
            raise TypeError(f"For 'CosineDecayLR', the argument 'min_lr' must be type of float, "
                            f"but got 'min_lr' type: {type(min_lr).__name__}.")
        check_non_negative_float(min_lr, "min_lr", self.cls_name)
        check_float(max_lr, "max_lr", self.cls_name)
        check_positive_float(max_lr, "max_lr", self.cls_name)
        check_positive_int(decay_steps, "decay_steps", self.cls_name)
        if min_lr >= max_lr:
            raise ValueError(f"For 'CosineDecayLR', the 'max_lr' must be greater than the 'min_lr', "
                             f"but got 'max_lr' value: {max_lr}, 'min_lr' value: {min_lr}.")
        self.min_lr = min_lr
        self.max_lr = max_lr
        self.decay_steps = decay_steps
        self.math_pi = math.pi
        self.delta = 0.5 * (max_lr - min_lr)

    def construct(self, global_step):
        step = _step_tensor(global_step, self.cls_name)
        p = _f32(ops.minimum(step, self.decay_steps))
        cos = ops.cos(_const(self.math_pi) * p / _const(self.decay_steps))
        return _const(self.min_lr) + _const(self.delta) * (_const(1.0) + cos)


class PolynomialDecayLR(LearningRateSchedule):
    r"""``(learning_rate - end_learning_rate) * (1 - step / decay_steps) ** power + end_learning_rate``
    with the step clipped to ``decay_steps``, or ``decay_steps`` raised to the next multiple of
    itself when ``update_decay_steps``."""

    def __init__(self, learning_rate, end_learning_rate, decay_steps, power, update_decay_steps=False):
        super().__init__()
        check_float(learning_rate, "learning_rate", self.cls_name)
        check_positive_float(learning_rate, "learning_rate", self.cls_name)
        if not isinstance(end_learning_rate, float):
            raise TypeError(f"For 'PolynomialDecayLR', the argument 'end_learning_rate' must be type of "
                            f"float, but got 'end_learning_rate' type: {type(end_learning_rate).__name__}.")
        check_non_negative_float(end_learning_rate, "end_learning_rate", self.cls_name)
        check_positive_int(decay_steps, "decay_steps", self.cls_name)
        check_bool(update_decay_steps, "update_decay_steps", self.cls_name)
        check_float(power, "power", self.cls_name)
        check_positive_float(power, "power", self.cls_name)
        self.decay_steps = decay_steps
        self.start_learning_rate = learning_rate
        self.end_learning_rate = end_learning_rate
        self.diff_learning_rate = learning_rate - end_learning_rate
        self.power = power
        self.update_decay_steps = update_decay_steps

    def construct(self, global_step):
        step = _f32(_step_tensor(global_step, self.cls_name))
        decay = _const(self.decay_steps)
        if self.update_decay_steps:
            decay = decay * ops.maximum(ops.ceil(step / decay), _const(1))
        else:
            step = ops.minimum(step, decay)
        p = step / decay
        lr = _const(self.diff_learning_rate) * ops.pow(_const(1.0) - p, _const(self.power))
        return lr + _const(self.end_learning_rate)


class WarmUpLR(LearningRateSchedule):
    r"""``learning_rate * min(step, warmup_steps) / warmup_steps``."""

    def __init__(self, learning_rate, warmup_steps):
        super().__init__()
        if not isinstance(learning_rate, float):
            raise TypeError(f"For 'WarmUpLR', the argument 'learning_rate' must be type of float, "
                            f"but got 'learning_rate' type: {type(learning_rate).__name__}.")
        check_non_negative_float(learning_rate, "learning_rate", self.cls_name)
        check_positive_int(warmup_steps, "warmup_steps", self.cls_name)
        self.warmup_steps = warmup_steps
        self.learning_rate = learning_rate

    def construct(self, global_step):
        step = _step_tensor(global_step, self.cls_name)
        percent = _f32(ops.minimum(step, self.warmup_steps)) / _const(self.warmup_steps)
        return _const(self.learning_rate) * percent
