"""Dynamic learning rates as Python lists, one value per step (MindSpore's ``nn.dynamic_lr``):
piecewise_constant_lr, exponential_decay_lr, natural_exp_decay_lr, inverse_decay_lr,
cosine_decay_lr, polynomial_decay_lr, warmup_lr. Computed in Python floats (float64) exactly as
MindSpore does, so the lists equal MindSpore's element for element."""
import math

from .optim._check import (check_bool, check_float, check_non_negative_float, check_positive_float,
                           check_positive_int)

__all__ = ["piecewise_constant_lr", "exponential_decay_lr", "natural_exp_decay_lr", "inverse_decay_lr",
           "cosine_decay_lr", "polynomial_decay_lr", "warmup_lr"]


def piecewise_constant_lr(milestone, learning_rates):
    """``learning_rates[t]`` for the steps in ``[milestone[t-1], milestone[t])``; the list has
    ``milestone[-1]`` values."""
    if not isinstance(milestone, (tuple, list)):
        raise TypeError(f"For 'piecewise_constant_lr', the argument 'milestone' must be a tuple or list, "
                        f"but got {type(milestone).__name__}.")
    if not isinstance(learning_rates, (tuple, list)):
        raise TypeError(f"For 'piecewise_constant_lr', the argument 'learning_rates' must be a tuple or "
                        f"list, but got {type(learning_rates).__name__}.")
    if len(milestone) != len(learning_rates):
        raise ValueError(f"For 'piecewise_constant_lr', the size of 'milestone' must be same with the size "
                         f"of 'learning_rates', but got 'milestone' size: {len(milestone)}, "
                         f"'learning_rates' size: {len(learning_rates)}.")
    lr = []
    last_item = 0
    for i, item in enumerate(milestone):
        check_positive_int(item, f"milestone[{i}]", "piecewise_constant_lr")
        check_float(learning_rates[i], f"learning_rates[{i}]", "piecewise_constant_lr")
        if item < last_item:
            raise ValueError(f"For 'piecewise_constant_lr', the value of milestone[{i}] must be greater "
                             f"than milestone[{i - 1}], but got milestone[{i}]: {milestone[i]}, "
                             f"milestone[{i - 1}]: {milestone[i - 1]}.")
        lr += [learning_rates[i]] * (item - last_item)
        last_item = item
    return lr


def _check_inputs(learning_rate, decay_rate, total_step, step_per_epoch, decay_epoch, is_stair, name):
    check_positive_int(total_step, "total_step", name)
    check_positive_int(step_per_epoch, "step_per_epoch", name)
    check_positive_int(decay_epoch, "decay_epoch", name)
    check_float(learning_rate, "learning_rate", name)
    check_positive_float(learning_rate, "learning_rate", name)
    check_float(decay_rate, "decay_rate", name)
    check_positive_float(decay_rate, "decay_rate", name)
    check_bool(is_stair, "is_stair", name)


def exponential_decay_lr(learning_rate, decay_rate, total_step, step_per_epoch, decay_epoch, is_stair=False):
    """``learning_rate * decay_rate ** (epoch / decay_epoch)`` per step, ``epoch = floor(i /
    step_per_epoch)``; the exponent is floored when ``is_stair``."""
    _check_inputs(learning_rate, decay_rate, total_step, step_per_epoch, decay_epoch, is_stair,
                  "exponential_decay_lr")
    lr = []
    for i in range(total_step):
        epoch = math.floor(i / step_per_epoch)
        if is_stair:
            lr.append(learning_rate * decay_rate ** math.floor(epoch / decay_epoch))
        else:
            lr.append(learning_rate * decay_rate ** (epoch / decay_epoch))
    return lr


def natural_exp_decay_lr(learning_rate, decay_rate, total_step, step_per_epoch, decay_epoch, is_stair=False):
    """``learning_rate * e ** (-decay_rate * epoch)`` per step; with ``is_stair`` the epoch is rounded
    down to a multiple of ``decay_epoch``."""
    _check_inputs(learning_rate, decay_rate, total_step, step_per_epoch, decay_epoch, is_stair,
                  "natural_exp_decay_lr")
    lr = []
    for i in range(total_step):
        epoch = math.floor(i / step_per_epoch)
        if is_stair:
            epoch = math.floor(epoch / decay_epoch) * decay_epoch
        lr.append(learning_rate * math.e ** (-decay_rate * epoch))
    return lr


def inverse_decay_lr(learning_rate, decay_rate, total_step, step_per_epoch, decay_epoch, is_stair=False):
    """``learning_rate / (1 + decay_rate * epoch / decay_epoch)`` per step (the ratio floored when
    ``is_stair``)."""
    _check_inputs(learning_rate, decay_rate, total_step, step_per_epoch, decay_epoch, is_stair,
                  "inverse_decay_lr")
    lr = []
    for i in range(total_step):
        epoch = math.floor(i / step_per_epoch)
        if is_stair:
            lr.append(learning_rate / (1 + decay_rate * math.floor(epoch / decay_epoch)))
        else:
            lr.append(learning_rate / (1 + decay_rate * epoch / decay_epoch))
    return lr


def cosine_decay_lr(min_lr, max_lr, total_step, step_per_epoch, decay_epoch):
    """``min_lr + 0.5 * (max_lr - min_lr) * (1 + cos(pi * min(epoch, decay_epoch) / decay_epoch))``."""
    if not isinstance(min_lr, float):
        raise TypeError(f"For 'cosine_decay_lr', the argument 'min_lr' must be type of float, "
                        f"but got 'min_lr' type: {type(min_lr).__name__}.")
    check_non_negative_float(min_lr, "min_lr", "cosine_decay_lr")
    check_float(max_lr, "max_lr", "cosine_decay_lr")
    check_positive_float(max_lr, "max_lr", "cosine_decay_lr")
    check_positive_int(total_step, "total_step", "cosine_decay_lr")
    check_positive_int(step_per_epoch, "step_per_epoch", "cosine_decay_lr")
    check_positive_int(decay_epoch, "decay_epoch", "cosine_decay_lr")
    if min_lr >= max_lr:
        raise ValueError(f"For 'cosine_decay_lr', the 'max_lr' must be greater than the 'min_lr', "
                         f"but got 'max_lr' value: {max_lr}, 'min_lr' value: {min_lr}.")
    delta = 0.5 * (max_lr - min_lr)
    lr = []
    for i in range(total_step):
        epoch = min(math.floor(i / step_per_epoch), decay_epoch)
        lr.append(min_lr + delta * (1 + math.cos(math.pi * epoch / decay_epoch)))
    return lr


def polynomial_decay_lr(learning_rate, end_learning_rate, total_step, step_per_epoch, decay_epoch, power,
                        update_decay_epoch=False):
    """``(learning_rate - end_learning_rate) * (1 - epoch / decay_epoch) ** power + end_learning_rate``
    with the epoch clipped to ``decay_epoch``, or ``decay_epoch`` raised to the next multiple of itself
    when ``update_decay_epoch``."""
    name = "polynomial_decay_lr"
    check_float(learning_rate, "learning_rate", name)
    check_positive_float(learning_rate, "learning_rate", name)
    if not isinstance(end_learning_rate, float):
        raise TypeError(f"For 'polynomial_decay_lr', the argument 'end_learning_rate' must be type of float, "
                        f"but got 'end_learning_rate' type: {type(end_learning_rate).__name__}.")
    check_non_negative_float(end_learning_rate, "end_learning_rate", name)
    check_float(power, "power", name)
    check_positive_float(power, "power", name)
    check_positive_int(total_step, "total_step", name)
    check_positive_int(step_per_epoch, "step_per_epoch", name)
    check_positive_int(decay_epoch, "decay_epoch", name)
    check_bool(update_decay_epoch, "update_decay_epoch", name)
    lr = []
    delta = learning_rate - end_learning_rate
    for i in range(total_step):
        epoch = math.floor(i / step_per_epoch)
        if update_decay_epoch:
            cur_decay_epoch = decay_epoch * max(math.ceil(epoch / decay_epoch), 1)
        else:
            cur_decay_epoch = decay_epoch
            epoch = min(epoch, decay_epoch)
        lr.append(delta * (1 - epoch / cur_decay_epoch) ** power + end_learning_rate)
    return lr


def warmup_lr(learning_rate, total_step, step_per_epoch, warmup_epoch):
    """``learning_rate * min(epoch, warmup_epoch) / warmup_epoch`` per step."""
    if not isinstance(learning_rate, float):
        raise TypeError(f"For 'warmup_lr', the argument 'learning_rate' must be type of float, "
                        f"but got 'learning_rate' type: {type(learning_rate).__name__}.")
    check_non_negative_float(learning_rate, "learning_rate", "warmup_lr")
    check_positive_int(warmup_epoch, "warmup_epoch", "warmup_lr")
    check_positive_int(total_step, "total_step", "warmup_lr")
    check_positive_int(step_per_epoch, "step_per_epoch", "warmup_lr")
    lr = []
    for i in range(total_step):
        epoch = min(math.floor(i / step_per_epoch), warmup_epoch)
        lr.append(learning_rate * epoch / warmup_epoch)
    return lr
