"""Small callbacks: LearningRateScheduler, LambdaCallback and History."""
import numpy as np

from ...tensor import Tensor
from ._callback import _HOOKS, Callback, _handle_loss
from ._plateau import _fixed_lr

__all__ = ["LearningRateScheduler", "LambdaCallback", "History"]


class LearningRateScheduler(Callback):
    """After each step sets the optimizer's learning rate to
    ``learning_rate_function(lr, cur_step_num)`` (MindSpore's ``LearningRateScheduler``)."""

    def __init__(self, learning_rate_function):
        super().__init__()
        if not callable(learning_rate_function):
            raise TypeError(f"For 'LearningRateScheduler', the argument 'learning_rate_function' must be "
                            f"callable, but got {type(learning_rate_function).__name__}.")
        self.learning_rate_function = learning_rate_function

    def on_train_step_end(self, run_context):
        cb_params = run_context.original_args()
        lr_param = _fixed_lr(cb_params.optimizer, "LearningRateScheduler")
        old = lr_param.asnumpy()
        new = self.learning_rate_function(float(old), cb_params.cur_step_num)
        if not np.isclose(float(new), float(old), rtol=0.0, atol=0.0):
            lr_param.set_data(Tensor(np.array(new, dtype=old.dtype)))


class LambdaCallback(Callback):
    """A callback from functions: each keyword (``on_train_begin`` ... ``on_eval_end``) is a function
    of the RunContext called at that point."""

    def __init__(self, on_train_epoch_begin=None, on_train_epoch_end=None, on_train_step_begin=None,
                 on_train_step_end=None, on_train_begin=None, on_train_end=None, on_eval_epoch_begin=None,
                 on_eval_epoch_end=None, on_eval_step_begin=None, on_eval_step_end=None, on_eval_begin=None,
                 on_eval_end=None):
        super().__init__()
        given = dict(locals())
        for hook in _HOOKS:
            fn = given[hook]
            if fn is None:
                continue
            if not callable(fn):
                raise TypeError(f"For 'LambdaCallback', the argument '{hook}' must be callable or None, "
                                f"but got {type(fn).__name__}.")
            setattr(self, hook, fn)


class History(Callback):
    """Records each epoch's training loss (``history['net_output']``) and, under ``Model.fit``,
    each evaluation's results, keyed by metric; ``epoch`` lists the epoch numbers."""

    def __init__(self):
        super().__init__()
        self.epoch = []
        self.history = {}

    def on_train_begin(self, run_context):
        self.epoch = []
        self.history = {}

    def on_train_epoch_end(self, run_context):
        cb_params = run_context.original_args()
        self.epoch.append(cb_params.cur_epoch_num)
        outputs = cb_params.get("net_outputs")
        if outputs is not None:
            self.history.setdefault("net_output", []).append(_handle_loss(outputs))
        for key, value in (cb_params.get("eval_results") or {}).items():
            self.history.setdefault(key, []).append(value)
