"""nn.Rprop: resilient backpropagation, per-element step sizes driven by the gradient's sign
(MindSpore's ``nn.Rprop``)."""
import numbers

import numpy as np

from . import _graph
from ._check import check_float, check_open_range
from .optimizer import Optimizer

__all__ = ["Rprop"]


def apply_rprop(param, prev, step_size, grad, lr, first_step, etaminus, etaplus, step_min, step_max):
    """One Rprop step on numpy arrays, in place: the step grows by etaplus where the gradient kept its
    sign, shrinks by etaminus where it flipped (and that gradient is then ignored), is clipped to
    [step_min, step_max]; param -= sign(g) * step; prev = g (zero where it flipped). The step sizes
    start at the learning rate."""
    if first_step:
        step_size.fill(lr)
    product = np.sign(grad * prev)
    factor = np.where(product > 0, etaplus, np.where(product < 0, etaminus, 1.0)).astype(step_size.dtype)
    step_size *= factor
    np.clip(step_size, step_min, step_max, out=step_size)
    update = np.where(factor == np.asarray(etaminus, factor.dtype), 0, grad).astype(prev.dtype)
    param -= np.sign(update) * step_size
    np.copyto(prev, update)


class Rprop(Optimizer):
    """Rprop (MindSpore's ``nn.Rprop``). State: ``prev.<name>``, ``step_size.<name>``; the global
    step advances on every call."""

    def __init__(self, params, learning_rate=0.1, etas=(0.5, 1.2), step_sizes=(1e-6, 50.), weight_decay=0.):
        super().__init__(learning_rate, params, weight_decay)
        if not isinstance(etas, tuple):
            raise TypeError(f"For Rprop, etas must be a tuple, but got {type(etas).__name__}.")
        if len(etas) != 2:
            raise ValueError(f"For Rprop, etas must be a tuple with the size of 2, but got {len(etas)}.")
        if not isinstance(step_sizes, tuple):
            raise TypeError(f"For Rprop, step_sizes must be a tuple, but got {type(step_sizes).__name__}.")
        if len(step_sizes) != 2:
            raise ValueError(f"For Rprop, step_sizes must be a tuple with the size of 2, but got {len(step_sizes)}.")
        if not all(isinstance(s, numbers.Real) for s in step_sizes) or step_sizes[0] > step_sizes[1]:
            raise ValueError(f"For Rprop, maximal step size should not be less than minimal step size, "
                             f"but got {step_sizes[0]} > {step_sizes[1]}.")
        check_open_range(etas[0], 0.0, 1.0, "etaminus", self.cls_name)
        check_float(etas[1], "etaplus", self.cls_name)
        if etas[1] <= 1.0:
            raise ValueError(f"For Rprop, etaplus must be greater than 1.0, but got etaplus {etas[1]}.")
        check_float(step_sizes[0], "min_step_sizes", self.cls_name)
        check_float(step_sizes[1], "max_step_sizes", self.cls_name)
        self.etaminus, self.etaplus = etas
        self.step_size_min, self.step_size_max = step_sizes
        self.prev = self._clone_state("prev", "prev", "zeros")
        self.step_size = self._clone_state("step_size", "step_size", "zeros")
        self._graph_update = True

    def construct(self, gradients):
        gradients = self._check_grads(gradients)
        if _graph.tracing():
            return self._traced_update(gradients)
        gradients = self._preprocess(gradients)
        lrs = self._lr_values()
        if not (self.dynamic_lr or self.dynamic_weight_decay):
            self.global_step._data += 1
        first = int(self.global_step._data[0]) == 1
        for i, (p, g) in enumerate(zip(self._parameters, gradients)):
            apply_rprop(p._data, self.prev[i]._data, self.step_size[i]._data, g._data, lrs[i], first, self.etaminus,
                        self.etaplus, self.step_size_min, self.step_size_max)
        return True

    def _traced_update(self, gradients):
        gradients = _graph.prepare(self, gradients)
        lrs = _graph.lr_tensors(self)
        if not (self.dynamic_lr or self.dynamic_weight_decay):
            _graph.assign(self.global_step, self.global_step + 1)
        first = _graph.scalar(self.global_step) == 1
        for i, (p, g) in enumerate(zip(self._parameters, gradients)):
            _graph.rprop(p, self.prev[i], self.step_size[i], g, lrs[i], first, self.etaminus, self.etaplus,
                         self.step_size_min, self.step_size_max)
        return True
