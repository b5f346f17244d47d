"""The callback protocol of ``Model``: Callback, RunContext, the parameters a run fills
(``cb_params``), and the manager that calls a list of callbacks in order."""
from contextlib import ExitStack

import numpy as np

from ...tensor import Tensor

__all__ = ["Callback", "RunContext"]


class Callback:
    """Base class of training and evaluation callbacks (MindSpore's ``mindspore.train.Callback``).

    Override the hooks of interest. The ``on_train_*`` hooks call the older names (``begin``,
    ``epoch_begin``, ``epoch_end``, ``step_begin``, ``step_end``, ``end``) by default, so a
    callback written either way works. Each hook receives a RunContext; ``run_context.original_args()``
    is the run's ``cb_params`` (``cur_epoch_num``, ``cur_step_num``, ``batch_num``, ``net_outputs``,
    ``train_network``, ``optimizer``, ``epoch_num``, ...). A callback is a context manager entered
    for the whole run."""

    def __enter__(self):
        return self

    def __exit__(self, *err):
        """Release resources here if any."""

    def begin(self, run_context):
        """Called once before training starts."""

    def epoch_begin(self, run_context):
        """Called before each training epoch."""

    def epoch_end(self, run_context):
        """Called after each training epoch."""

    def step_begin(self, run_context):
        """Called before each training step."""

    def step_end(self, run_context):
        """Called after each training step."""

    def end(self, run_context):
        """Called once after training."""

    def on_train_begin(self, run_context):
        """Called once before training starts."""
        self.begin(run_context)

    def on_train_epoch_begin(self, run_context):
        """Called before each training epoch."""
        self.epoch_begin(run_context)

    def on_train_epoch_end(self, run_context):
        """Called after each training epoch."""
        self.epoch_end(run_context)

    def on_train_step_begin(self, run_context):
        """Called before each training step."""
        self.step_begin(run_context)

    def on_train_step_end(self, run_context):
        """Called after each training step."""
        self.step_end(run_context)

    def on_train_end(self, run_context):
        """Called once after training."""
        self.end(run_context)

    def on_eval_begin(self, run_context):
        """Called once before evaluation starts."""

    def on_eval_epoch_begin(self, run_context):
        """Called before the evaluation pass over the dataset."""

    def on_eval_epoch_end(self, run_context):
        """Called after the evaluation pass over the dataset."""

    def on_eval_step_begin(self, run_context):
        """Called before each evaluation step."""

    def on_eval_step_end(self, run_context):
        """Called after each evaluation step."""

    def on_eval_end(self, run_context):
        """Called once after evaluation."""


_HOOKS = ("on_train_begin", "on_train_epoch_begin", "on_train_epoch_end", "on_train_step_begin",
          "on_train_step_end", "on_train_end", "on_eval_begin", "on_eval_epoch_begin", "on_eval_epoch_end",
          "on_eval_step_begin", "on_eval_step_end", "on_eval_end")


class _CallbackManager(Callback):
    """Calls a list of callbacks in order, entering each as a context manager for the run."""

    def __init__(self, callbacks):
        self._callbacks = []
        self._stack = None
        if isinstance(callbacks, Callback):
            self._callbacks.append(callbacks)
        elif isinstance(callbacks, (list, tuple)):
            for cb in callbacks:
                if not isinstance(cb, Callback):
                    raise TypeError(f"For 'Model', when the argument 'callbacks' is a list, its elements must be "
                                    f"Callback objects, but got {type(cb).__name__}.")
                self._callbacks.append(cb)
        elif callbacks is not None:
            raise TypeError(f"For 'Model', the argument 'callbacks' must be None, a Callback or a list of Callback, "
                            f"but got {type(callbacks).__name__}.")

    @property
    def callbacks(self):
        """The callbacks, in the order they are called."""
        return list(self._callbacks)

    def __enter__(self):
        if self._stack is None:
            self._stack = ExitStack().__enter__()
            entered = []
            for cb in self._callbacks:
                target = self._stack.enter_context(cb)
                entered.append(target if isinstance(target, Callback) else cb)
            self._callbacks = entered
        return self

    def __exit__(self, *err):
        stack, self._stack = self._stack, None
        return stack.__exit__(*err)


def _dispatch(hook):
    def call(self, run_context):
        for cb in self._callbacks:
            getattr(cb, hook)(run_context)
    call.__name__ = hook
    call.__doc__ = f"Calls ``{hook}`` of every callback in order."
    return call


for _hook in _HOOKS:
    setattr(_CallbackManager, _hook, _dispatch(_hook))


class _InternalCallbackParam(dict):
    """The run's parameters (``cb_params``): a dict whose keys read and write as attributes."""

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(f"cb_params has no attribute '{key}'") from None

    def __setattr__(self, key, value):
        self[key] = value


class RunContext:
    """What a callback sees of a run (MindSpore's ``mindspore.train.RunContext``): the run's
    parameters (``original_args()``) and a way to stop it (``request_stop()``)."""

    def __init__(self, original_args):
        if not isinstance(original_args, dict):
            raise TypeError(f"For 'RunContext', the argument 'original_args' must be a dict, "
                            f"but got {type(original_args).__name__}.")
        self._original_args = original_args
        self._stop_requested = False

    def original_args(self):
        """The run's parameters (``cb_params``)."""
        return self._original_args

    def request_stop(self):
        """Ask the run to stop after the current step (``Model.train`` checks it after each step)."""
        self._stop_requested = True

    def get_stop_requested(self):
        """Whether a stop was requested."""
        return self._stop_requested


def _handle_loss(net_outputs):
    """The loss as a float from a step's outputs: the first of a tuple, the mean of a Tensor."""
    loss = net_outputs
    if isinstance(loss, (tuple, list)) and loss:
        loss = loss[0]
    if isinstance(loss, Tensor):
        loss = float(np.mean(loss.asnumpy()))
    elif isinstance(loss, np.ndarray):
        loss = float(np.mean(loss))
    elif isinstance(loss, (int, np.number)) and not isinstance(loss, bool):
        loss = float(loss)
    return loss
