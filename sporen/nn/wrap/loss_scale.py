"""Loss scaling for mixed precision (MindSpore's ``nn.wrap.loss_scale``): the fixed and dynamic
loss-scale update cells and TrainOneStepWithLossScaleCell, which scales the loss's sensitivity,
unscales the gradients, skips the update when they overflow, and adjusts the scale.

While a step is traced (``jit``, GRAPH_MODE) the same step is written with ops: the overflow flag
is computed in the graph, the scale update selects its new value with ``where``, and the
optimizer update is computed and then discarded on overflow (every Parameter it wrote takes back
its old value with ``where``), which is what MindSpore's ``if not overflow: optimizer(grads)``
does without a branch."""
import numbers

import numpy as np

from ... import dtype as mstype
from ... import ops
from ...tensor import Parameter, Tensor
from ..optim import _graph
from ..cell import Cell
from .cell_wrapper import TrainOneStepCell, forward_and_grads

__all__ = ["DynamicLossScaleUpdateCell", "FixedLossScaleUpdateCell", "TrainOneStepWithLossScaleCell"]


def _check_scale_value(value, name, where):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"For '{where}', the argument '{name}' must be an int or float, "
                        f"but got {type(value).__name__}.")
    return float(value)


class DynamicLossScaleUpdateCell(Cell):
    """Dynamic loss scale: on overflow the scale is divided by ``scale_factor`` (not below 1); after
    ``scale_window`` steps without overflow it is multiplied by ``scale_factor``.
    ``cell(loss_scale, overflow)`` updates the ``loss_scale`` Parameter in place and returns
    ``overflow``."""

    def __init__(self, loss_scale_value, scale_factor, scale_window):
        super().__init__()
        self.loss_scale_value = _check_scale_value(loss_scale_value, "loss_scale_value", "DynamicLossScaleUpdateCell")
        self.scale_window = int(scale_window)
        self.scale_factor = _check_scale_value(scale_factor, "scale_factor", "DynamicLossScaleUpdateCell")
        if self.scale_window <= 0:
            raise ValueError(f"For 'DynamicLossScaleUpdateCell', the argument 'scale_window' must be > 0, "
                             f"but got {scale_window}.")
        self.cur_iter = Parameter(np.array(1, np.int32), name="current_iterator_step", requires_grad=False)
        self.last_overflow_iter = Parameter(np.array(0, np.int32), name="last_overflow_iterator_step",
                                            requires_grad=False)

    def get_loss_scale(self):
        """The initial loss scale value."""
        return self.loss_scale_value

    def construct(self, loss_scale, overflow):
        if _graph.tracing():
            return self._traced_update(loss_scale, overflow)
        overflow_flag = bool(np.asarray(overflow._data if isinstance(overflow, Tensor) else overflow))
        scale = loss_scale._data
        cur_iter = int(self.cur_iter._data)
        last_overflow = int(self.last_overflow_iter._data)
        value = float(scale.reshape(-1)[0])
        if overflow_flag:
            value = max(value / self.scale_factor, 1.0)
        should_inc = self.scale_window <= cur_iter - last_overflow
        if overflow_flag or should_inc:
            self.last_overflow_iter._data[...] = cur_iter
        if should_inc and not overflow_flag:
            value = value * self.scale_factor
        scale[...] = value
        self.cur_iter._data[...] = cur_iter + 1
        return overflow

    def _traced_update(self, loss_scale, overflow):
        """The same update with ops (the scale arithmetic in float64, as eager)."""
        overflow = ops.cast(overflow, mstype.bool_)
        cur = self.cur_iter
        last = self.last_overflow_iter
        scale64 = _graph.f64(loss_scale)
        down = ops.maximum(scale64 / self.scale_factor, 1.0)
        should_inc = (cur - last) >= self.scale_window
        up = scale64 * self.scale_factor
        value = ops.where(overflow, down, ops.where(should_inc, up, scale64))
        new_last = ops.where(ops.logical_or(overflow, should_inc), cur, last)
        _graph.assign(loss_scale, value)
        _graph.assign(last, new_last)
        _graph.assign(cur, cur + 1)
        return overflow


class FixedLossScaleUpdateCell(Cell):
    """A fixed loss scale: ``cell(loss_scale, overflow)`` changes nothing and returns ``overflow``."""

    def __init__(self, loss_scale_value):
        super().__init__()
        self.loss_scale_value = _check_scale_value(loss_scale_value, "loss_scale_value", "FixedLossScaleUpdateCell")

    def get_loss_scale(self):
        """The loss scale value."""
        return self.loss_scale_value

    def construct(self, _, overflow):
        return overflow


class TrainOneStepWithLossScaleCell(TrainOneStepCell):
    """One training step with loss scaling (MindSpore's ``nn.TrainOneStepWithLossScaleCell``).

    scale_sense: a DynamicLossScaleUpdateCell / FixedLossScaleUpdateCell, or a Tensor of shape () or
    (1,) holding a fixed scale. Returns ``(loss, overflow, scale)``; when the unscaled gradients hold
    an inf or nan the optimizer step is skipped.
    """

    def __init__(self, network, optimizer, scale_sense):
        super().__init__(network, optimizer, sens=None)
        self.loss_scaling_manager = None
        if isinstance(scale_sense, Cell):
            self.loss_scaling_manager = scale_sense
            self.scale_sense = Parameter(np.array(scale_sense.get_loss_scale(), np.float32), name="scale_sense",
                                         requires_grad=False)
        elif isinstance(scale_sense, Tensor):
            if scale_sense.shape not in ((), (1,)):
                raise ValueError(f"For 'TrainOneStepWithLossScaleCell', the shape of 'scale_sense' must be (1,) "
                                 f"or (), but got {scale_sense.shape}.")
            self.scale_sense = Parameter(scale_sense.asnumpy().copy(), name="scale_sense", requires_grad=False)
        else:
            raise TypeError(f"For 'TrainOneStepWithLossScaleCell', the 'scale_sense' must be Cell or Tensor, "
                            f"but got {type(scale_sense).__name__}.")

    def __call__(self, *args, **kwargs):
        # an overflowing step computes with infs and nans (then discards them): no numpy warnings
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return TrainOneStepCell.__call__(self, *args, **kwargs)

    def construct(self, *inputs):
        if _graph.tracing():
            return self._traced_step(inputs)
        scaling = float(self.scale_sense._data.reshape(-1)[0])
        # an overflow is expected now and then: it is detected below, not warned about
        with np.errstate(over="ignore", invalid="ignore"):
            loss, grads = forward_and_grads(self.network, inputs, self.weights, scaling)
        inv = 1.0 / scaling
        with np.errstate(over="ignore", invalid="ignore"):
            grads = tuple(Tensor._wrap(g._data * np.asarray(inv, g._data.dtype)) for g in grads)
        grads = self.grad_reducer(grads)
        cond = self.get_overflow_status(None, grads)
        overflow = self.process_loss_scale(cond)
        if not bool(np.asarray(overflow._data if isinstance(overflow, Tensor) else overflow)):
            self.optimizer(grads)
        scale_out = Tensor._wrap(np.array(scaling, np.float32).reshape(self.scale_sense.shape))
        return loss, cond, scale_out

    def _traced_step(self, inputs):
        """The step with ops: forward and backward seeded with the scale, the gradients unscaled,
        the overflow flag and scale update in the graph, the update discarded on overflow."""
        scaling = ops.reshape(self.scale_sense, ())  # the scale before this step's update
        loss, grads = forward_and_grads(self.network, inputs, self.weights, scaling)
        inv = 1.0 / scaling
        grads = tuple(g * inv for g in grads)
        grads = self.grad_reducer(grads)
        cond = self.get_overflow_status(None, grads)
        overflow = self.process_loss_scale(cond)
        self._update_unless(overflow, grads)
        return loss, cond, ops.reshape(scaling, self.scale_sense.shape)

    def _update_unless(self, overflow, grads):
        """Run the optimizer, then give every Parameter it wrote its old value where ``overflow``."""
        targets = {}
        for p in list(self.weights) + list(self.optimizer.get_parameters()):
            if id(p) not in targets:
                targets[id(p)] = (p, p._data, ops.reshape(p, p.shape))  # the value before the update
        self.optimizer(grads)
        for p, before, old in targets.values():
            if p._data is not before:
                p.set_data(ops.where(overflow, old, Tensor._wrap(p._data)))

    def set_sense_scale(self, sens):
        """Set the loss scale (a Tensor)."""
        if not isinstance(sens, Tensor):
            raise TypeError(f"For 'set_sense_scale', the 'sens' must be a Tensor, but got {type(sens).__name__}.")
        self.scale_sense.set_data(sens)

    def start_overflow_check(self, pre_cond, compute_input):
        """Kept for MindSpore compatibility: returns ``(status, compute_input)``."""
        return Tensor._wrap(np.zeros((8,), np.float32)), compute_input

    def get_overflow_status(self, status, compute_output):
        """A bool Tensor: True when any gradient holds an inf or a nan."""
        if _graph.tracing():
            finite = [ops.all(ops.isfinite(g)) for g in compute_output if g.dtype.kind in "fc"]
            if not finite:
                return Tensor(np.array(False))
            ok = finite[0]
            for f in finite[1:]:
                ok = ops.logical_and(ok, f)
            return ops.logical_not(ok)
        overflow = False
        for g in compute_output:
            arr = g._data if isinstance(g, Tensor) else np.asarray(g)
            if arr.dtype.kind in "fc" and not np.isfinite(arr).all():
                overflow = True
                break
        return Tensor._wrap(np.array(overflow))

    def process_loss_scale(self, overflow):
        """Update the loss scale through the manager cell; returns the overflow flag."""
        if self.loss_scaling_manager is not None:
            return self.loss_scaling_manager(self.scale_sense, overflow)
        return overflow
