"""Callbacks that watch a monitored value at each epoch's end: EarlyStopping and ReduceLROnPlateau
(MindSpore's semantics: the monitor is "loss" (the training loss) or, under ``Model.fit``,
"eval_loss" or a metric's name)."""
import logging

import numpy as np

from ...nn.optim._check import check_bool, check_non_negative_int, check_number
from ...tensor import Tensor
from ..serialization import load_param_into_net
from ._callback import Callback, _handle_loss

__all__ = ["EarlyStopping", "ReduceLROnPlateau"]

logger = logging.getLogger("sporen.train")

_SMALLER_BETTER = ("hausdorff_distance", "mae", "mse", "loss", "perplexity", "mean_surface_distance",
                   "root_mean_square_distance", "eval_loss")


class _Monitor(Callback):
    """The shared part: which value is watched and whether a new value improves on the best."""

    _where = "Callback"

    def __init__(self, monitor, min_delta, mode):
        super().__init__()
        if not isinstance(monitor, str):
            raise TypeError(f"For '{self._where}', the argument 'monitor' must be a str, "
                            f"but got {type(monitor).__name__}.")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"For '{self._where}', the argument 'mode' must be 'auto', 'min' or 'max', "
                             f"but got {mode!r}.")
        self.monitor = monitor
        self.min_delta = abs(check_number(min_delta, "min_delta", self._where))
        self.mode = mode
        self._minimise = mode == "min" or (mode == "auto" and monitor in _SMALLER_BETTER)

    def _initial_best(self):
        return np.inf if self._minimise else -np.inf

    def is_improvement(self, current, best):
        """Whether ``current`` beats ``best`` by more than min_delta in the monitor's direction."""
        if self._minimise:
            return bool(np.less(current, best - self.min_delta))
        return bool(np.greater(current, best + self.min_delta))

    def _get_monitor_value(self, cb_params):
        candidates = {}
        if self.monitor == "loss":
            value = _handle_loss(cb_params.get("net_outputs"))
            if isinstance(value, float) and not np.isfinite(value):
                logger.warning("Invalid %s.", self.monitor)
        else:
            candidates = cb_params.get("eval_results") or {}
            value = candidates.get(self.monitor)
        if value is None:
            logger.warning("%s is conditioned on %s, which is not available. Available choices are: %s",
                           self._where, self.monitor, sorted({"loss", *candidates}))
            return None
        if isinstance(value, Tensor):
            value = value.asnumpy()
        value = np.asarray(value)
        if value.shape != ():
            raise ValueError(f"{self._where} only supports a scalar monitor, but '{self.monitor}' has shape "
                             f"{value.shape}.")
        return value


class EarlyStopping(_Monitor):
    """Stops training when the monitored value has not improved for ``patience`` epochs.

    As in MindSpore, each epoch end counts one more epoch of waiting, an improvement (better than
    the best so far by more than ``min_delta``, and than ``baseline`` when given) resets the count
    to 0, and training stops when the count reaches ``patience`` (so patience 0 stops after the
    first epoch). ``restore_best_weights`` loads the best epoch's parameters when it stops."""

    _where = "EarlyStopping"

    def __init__(self, monitor="eval_loss", min_delta=0, patience=0, verbose=False, mode="auto", baseline=None,
                 restore_best_weights=False):
        super().__init__(monitor, min_delta, mode)
        self.patience = check_non_negative_int(patience, "patience", self._where)
        self.verbose = check_bool(verbose, "verbose", self._where)
        self.baseline = None if baseline is None else check_number(baseline, "baseline", self._where)
        self.restore_best_weights = check_bool(restore_best_weights, "restore_best_weights", self._where)
        self.wait = 0
        self.stopped_epoch = 0
        self.best = self._initial_best()
        self.best_weights_param_dict = None

    def on_train_begin(self, run_context):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = self._initial_best()
        self.best_weights_param_dict = None

    def on_train_epoch_end(self, run_context):
        cb_params = run_context.original_args()
        current = self._get_monitor_value(cb_params)
        if current is None:
            return
        network = cb_params.train_network
        if self.restore_best_weights and self.best_weights_param_dict is None:
            self.best_weights_param_dict = _snapshot(network)
        self.wait += 1
        if self.is_improvement(current, self.best):
            self.best = current
            if self.restore_best_weights:
                self.best_weights_param_dict = _snapshot(network)
            if self.baseline is None or self.is_improvement(current, self.baseline):
                self.wait = 0
        if self.wait >= self.patience:
            self.stopped_epoch = cb_params.cur_epoch_num
            run_context.request_stop()
            if self.restore_best_weights and self.best_weights_param_dict is not None:
                if self.verbose:
                    print("Restoring model weights from the end of the best epoch.")
                load_param_into_net(network, self.best_weights_param_dict)

    def on_train_end(self, run_context):
        if self.stopped_epoch > 0 and self.verbose:
            print(f"Epoch {self.stopped_epoch:05d}: early stopping")


def _snapshot(network):
    return {name: Tensor(np.array(param.asnumpy(), copy=True)) for name, param in network.parameters_dict().items()}


class ReduceLROnPlateau(_Monitor):
    """Multiplies the optimizer's learning rate by ``factor`` (not below ``min_lr``) when the
    monitored value has not improved for ``patience`` epochs, then waits ``cooldown`` epochs
    before counting again. The optimizer's learning rate must be a fixed value (a Parameter), as
    MindSpore requires."""

    _where = "ReduceLROnPlateau"

    def __init__(self, monitor="eval_loss", factor=0.1, patience=10, verbose=False, mode="auto", min_delta=1e-4,
                 cooldown=0, min_lr=0):
        super().__init__(monitor, min_delta, mode)
        factor = check_number(factor, "factor", self._where)
        if not 0.0 <= factor < 1.0:
            raise ValueError(f"For 'ReduceLROnPlateau', the argument 'factor' must be in [0.0, 1.0), "
                             f"but got {factor}.")
        self.factor = factor
        self.patience = check_non_negative_int(patience, "patience", self._where)
        self.verbose = check_bool(verbose, "verbose", self._where)
        self.cooldown = check_non_negative_int(cooldown, "cooldown", self._where)
        self.min_lr = check_number(min_lr, "min_lr", self._where)
        self.cooldown_counter = 0
        self.wait = 0
        self.best = self._initial_best()

    def on_train_begin(self, run_context):
        self.cooldown_counter = 0
        self.wait = 0
        self.best = self._initial_best()

    def on_train_epoch_end(self, run_context):
        cb_params = run_context.original_args()
        current = self._get_monitor_value(cb_params)
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self.is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience:
                lr_param = _fixed_lr(cb_params.optimizer, self._where)
                old_lr = float(lr_param.asnumpy())
                if old_lr > float(self.min_lr):
                    new_lr = max(old_lr * self.factor, float(self.min_lr))
                    lr_param.set_data(Tensor(np.array(new_lr, dtype=lr_param.asnumpy().dtype)))
                    if self.verbose:
                        print(f"Epoch {cb_params.cur_epoch_num:05d}: ReduceLROnPlateau reducing learning rate "
                              f"to {new_lr}.")
                self.cooldown_counter = self.cooldown
                self.wait = 0


def _fixed_lr(optimizer, where):
    """The optimizer's learning-rate Parameter, or a clear error when it is a schedule."""
    if optimizer is None:
        raise ValueError(f"For '{where}', the run has no optimizer whose learning rate could be changed.")
    if getattr(optimizer, "dynamic_lr", False) or getattr(optimizer, "is_group_lr", False):
        raise ValueError(f"For '{where}', the optimizer's learning rate must be one fixed value, not a "
                         f"schedule or per-group rates.")
    return optimizer.learning_rate
