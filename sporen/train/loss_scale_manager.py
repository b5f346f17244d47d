"""Loss-scale managers for ``Model`` (MindSpore's ``FixedLossScaleManager`` and
``DynamicLossScaleManager``): they give ``Model`` the cell that updates the scale in the step."""
from ..nn.wrap.loss_scale import DynamicLossScaleUpdateCell, FixedLossScaleUpdateCell

__all__ = ["LossScaleManager", "FixedLossScaleManager", "DynamicLossScaleManager"]


class LossScaleManager:
    """Base class: ``get_loss_scale``, ``update_loss_scale(overflow)``, ``get_update_cell``."""

    def get_loss_scale(self):
        """The current loss scale."""
        raise NotImplementedError

    def update_loss_scale(self, overflow):
        """Update the scale after a step (``overflow``: whether the gradients overflowed)."""
        raise NotImplementedError

    def get_update_cell(self):
        """The Cell the training step uses to update the scale, or None."""
        raise NotImplementedError


def _positive_number(value, name, where, minimum_exclusive=0.0):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"For '{where}', the argument '{name}' must be an int or float, "
                        f"but got {type(value).__name__}.")
    if value <= minimum_exclusive:
        raise ValueError(f"For '{where}', the argument '{name}' must be > {minimum_exclusive}, but got {value}.")
    return value


class FixedLossScaleManager(LossScaleManager):
    """A constant loss scale. With ``drop_overflow_update`` (default True) a step whose gradients
    overflow does not update the parameters; with False the optimizer must be built with the same
    ``loss_scale`` (MindSpore's rule) and every step updates."""

    def __init__(self, loss_scale=128.0, drop_overflow_update=True):
        self._loss_scale = _positive_number(loss_scale, "loss_scale", "FixedLossScaleManager", 1.0 - 1e-12)
        if not isinstance(drop_overflow_update, bool):
            raise TypeError(f"For 'FixedLossScaleManager', the argument 'drop_overflow_update' must be a bool, "
                            f"but got {type(drop_overflow_update).__name__}.")
        self._drop_overflow_update = drop_overflow_update

    def get_loss_scale(self):
        return self._loss_scale

    def get_drop_overflow_update(self):
        """Whether an overflowing step skips its update."""
        return self._drop_overflow_update

    def update_loss_scale(self, overflow):
        """A fixed scale does not change."""

    def get_update_cell(self):
        if not self._drop_overflow_update:
            return None
        return FixedLossScaleUpdateCell(self._loss_scale)


class DynamicLossScaleManager(LossScaleManager):
    """A loss scale divided by ``scale_factor`` on overflow and multiplied by it after
    ``scale_window`` steps without one."""

    def __init__(self, init_loss_scale=2 ** 24, scale_factor=2, scale_window=2000):
        self.loss_scale = _positive_number(init_loss_scale, "init_loss_scale", "DynamicLossScaleManager",
                                           1.0 - 1e-12)
        if isinstance(scale_window, bool) or not isinstance(scale_window, int) or scale_window <= 0:
            raise ValueError(f"For 'DynamicLossScaleManager', the argument 'scale_window' must be a positive int, "
                             f"but got {scale_window!r}.")
        self.scale_window = scale_window
        self.scale_factor = _positive_number(scale_factor, "scale_factor", "DynamicLossScaleManager", 1.0)
        self.increase_ratio = scale_factor
        self.decrease_ratio = 1 / scale_factor
        self.cur_iter = 1
        self.last_overflow_iter = 0
        self.bad_step_max = 1000
        self.bad_step = 0

    def get_loss_scale(self):
        return self.loss_scale

    def update_loss_scale(self, overflow):
        """The host-side rule (the step's update cell applies the same one in the graph)."""
        if overflow:
            self.loss_scale = max(self.loss_scale * self.decrease_ratio, 1)
            self.last_overflow_iter = self.cur_iter
            self.bad_step += 1
        else:
            if (self.cur_iter - self.last_overflow_iter) % self.scale_window == 0:
                self.loss_scale *= self.increase_ratio
            self.bad_step = 0
        if self.bad_step > self.bad_step_max:
            raise RuntimeError(f"Dynamic loss scale: {self.bad_step} continuous overflowing steps, "
                               f"more than {self.bad_step_max}.")
        self.cur_iter += 1

    def get_drop_overflow_update(self):
        """Always True: an overflowing step never updates."""
        return True

    def get_update_cell(self):
        return DynamicLossScaleUpdateCell(self.loss_scale, self.scale_factor, self.scale_window)
