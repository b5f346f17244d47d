"""Dataset callbacks (MindSpore's DSCallback, WaitedDSCallback): hooks a map stage calls at the
beginning, at each epoch and every step_size rows; WaitedDSCallback also waits for training."""
import threading

from .. import config

__all__ = ["DSCallback", "WaitedDSCallback"]


class RunContext:
    """What a dataset callback is told: epoch and step numbers (1-based, as MindSpore's)."""

    def __init__(self):
        self.cur_epoch_num = 0
        self.cur_step_num_in_epoch = 0
        self.cur_step_num = 0
        self.begun = False


class DSCallback:
    """Override ds_begin, ds_epoch_begin, ds_epoch_end, ds_step_begin, ds_step_end; pass the
    callback to map(callbacks=...). Step hooks run every step_size rows."""

    def __init__(self, step_size=1):
        if not isinstance(step_size, int) or isinstance(step_size, bool) or step_size < 1:
            raise ValueError(f"DSCallback: 'step_size' must be a positive int, got {step_size!r}")
        self.step_size = step_size

    def ds_begin(self, ds_run_context):
        """Called once, before the first row."""

    def ds_epoch_begin(self, ds_run_context):
        """Called before each epoch's first row."""

    def ds_epoch_end(self, ds_run_context):
        """Called after each epoch's last row."""

    def ds_step_begin(self, ds_run_context):
        """Called before every step_size-th row."""

    def ds_step_end(self, ds_run_context):
        """Called after every step_size-th row."""


def _train_callback_base():
    try:
        from ...train.callback import Callback
        return Callback
    except ImportError:
        return object


class WaitedDSCallback(_train_callback_base(), DSCallback):
    """A dataset callback that waits for the training loop: its sync_epoch_begin/sync_step_begin run
    in the pipeline when training ended the previous epoch/step (pass it to Model.train too)."""

    def __init__(self, step_size=1):
        DSCallback.__init__(self, step_size)
        self.epoch_event = threading.Event()
        self.step_event = threading.Event()
        self.training_ended = False
        self.train_run_context = None

    def sync_epoch_begin(self, train_run_context, ds_run_context):
        """Override: called in the pipeline before an epoch, once training finished the previous one."""

    def sync_step_begin(self, train_run_context, ds_run_context):
        """Override: called in the pipeline before a step, once training finished the previous one."""

    def _wait(self, event):
        if not event.wait(timeout=config.get_callback_timeout()):
            raise RuntimeError("WaitedDSCallback: the training loop did not end its step within "
                               f"{config.get_callback_timeout()} s (config.set_callback_timeout)")
        event.clear()

    def ds_epoch_begin(self, ds_run_context):
        if ds_run_context.cur_epoch_num > 1 and not self.training_ended:
            self._wait(self.epoch_event)
        self.sync_epoch_begin(self.train_run_context, ds_run_context)

    def ds_step_begin(self, ds_run_context):
        if ds_run_context.cur_step_num > self.step_size and not self.training_ended:
            self._wait(self.step_event)
        self.sync_step_begin(self.train_run_context, ds_run_context)

    def epoch_end(self, run_context):
        """Training's epoch ended: let the pipeline start the next one."""
        self.train_run_context = run_context
        self.epoch_event.set()

    def step_end(self, run_context):
        """Training's step ended: let the pipeline go on."""
        self.train_run_context = run_context
        self.step_event.set()

    def end(self, run_context):
        """Training ended: the pipeline no longer waits."""
        self.training_ended = True
        self.epoch_event.set()
        self.step_event.set()


def with_callbacks(rows, callbacks, pass_id, context):
    """The rows of one pass, calling the callbacks' hooks around them."""
    context.cur_epoch_num = pass_id + 1
    context.cur_step_num_in_epoch = 0
    if not context.begun:
        context.begun = True
        for callback in callbacks:
            callback.ds_begin(context)
    for callback in callbacks:
        callback.ds_epoch_begin(context)
    try:
        for row in rows:
            context.cur_step_num_in_epoch += 1
            context.cur_step_num += 1
            due = [cb for cb in callbacks if (context.cur_step_num - 1) % cb.step_size == 0]
            for callback in due:
                callback.ds_step_begin(context)
            yield row
            for callback in due:
                callback.ds_step_end(context)
    finally:
        rows.close()
    for callback in callbacks:
        callback.ds_epoch_end(context)
