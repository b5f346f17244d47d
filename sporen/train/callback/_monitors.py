"""Callbacks that report a run: LossMonitor, TimeMonitor and ProgressBar (sporen's progress line,
used by the command line)."""
import math
import sys
import time

import numpy as np

from ._callback import Callback, _handle_loss

__all__ = ["LossMonitor", "TimeMonitor", "ProgressBar"]


def _step_in_epoch(cb_params):
    batch_num = cb_params.get("batch_num") or 0
    if batch_num > 0:
        return (cb_params.cur_step_num - 1) % batch_num + 1
    return cb_params.cur_step_num


class LossMonitor(Callback):
    """Prints ``epoch: E step: S, loss is L`` every ``per_print_times`` steps (0: never) and stops
    the run with a ValueError when the loss is NaN or infinite (MindSpore's ``LossMonitor``). After
    an epoch of ``Model.fit`` it prints the evaluation's metrics."""

    def __init__(self, per_print_times=1):
        super().__init__()
        if isinstance(per_print_times, bool) or not isinstance(per_print_times, int) or per_print_times < 0:
            raise ValueError(f"For 'LossMonitor', the argument 'per_print_times' must be an int >= 0, "
                             f"but got {per_print_times!r}.")
        self._per_print_times = per_print_times
        self._last_print_time = 0

    def on_train_step_end(self, run_context):
        cb_params = run_context.original_args()
        loss = _handle_loss(cb_params.net_outputs)
        step = _step_in_epoch(cb_params)
        if isinstance(loss, float) and (math.isnan(loss) or math.isinf(loss)):
            raise ValueError(f"epoch: {cb_params.cur_epoch_num} step: {step}. Invalid loss, terminating training.")
        if self._per_print_times != 0 and cb_params.cur_step_num - self._last_print_time >= self._per_print_times:
            self._last_print_time = cb_params.cur_step_num
            print(f"epoch: {cb_params.cur_epoch_num} step: {step}, loss is {loss}", flush=True)

    def on_train_epoch_end(self, run_context):
        cb_params = run_context.original_args()
        metrics = cb_params.get("metrics")
        if metrics:
            print(f"Eval result: epoch {cb_params.cur_epoch_num}, metrics: {metrics}", flush=True)


class TimeMonitor(Callback):
    """Prints each epoch's time and the time per step (MindSpore's ``TimeMonitor``); with
    ``data_time=True`` also the time spent waiting for data."""

    def __init__(self, data_size=None, data_time=False):
        super().__init__()
        if data_size is not None and (isinstance(data_size, bool) or not isinstance(data_size, int)
                                      or data_size <= 0):
            raise ValueError(f"For 'TimeMonitor', the argument 'data_size' must be a positive int or None, "
                             f"but got {data_size!r}.")
        if not isinstance(data_time, bool):
            raise TypeError(f"For 'TimeMonitor', the argument 'data_time' must be a bool, "
                            f"but got {type(data_time).__name__}.")
        self.data_size = data_size
        self.data_time = data_time
        self.epoch_time = time.time()
        self._data_seconds = 0.0
        self._step_end = None

    def on_train_epoch_begin(self, run_context):
        self.epoch_time = time.time()
        self._data_seconds = 0.0
        self._step_end = self.epoch_time

    def on_train_step_begin(self, run_context):
        if self._step_end is not None:
            self._data_seconds += time.time() - self._step_end

    def on_train_step_end(self, run_context):
        self._step_end = time.time()

    def on_train_epoch_end(self, run_context):
        epoch_ms = (time.time() - self.epoch_time) * 1000
        cb_params = run_context.original_args()
        steps = self.data_size
        batch_num = cb_params.get("batch_num")
        if isinstance(batch_num, int) and batch_num > 0:
            steps = batch_num
        if steps is None or steps < 1:
            raise ValueError(f"For 'TimeMonitor', the step count must be a positive int, but got {steps!r}.")
        line = f"Train epoch time: {epoch_ms:5.3f} ms, per step time: {epoch_ms / steps:5.3f} ms"
        if self.data_time:
            data_ms = self._data_seconds * 1000
            line += f", data time: {data_ms:5.3f} ms, per step data time: {data_ms / steps:5.3f} ms"
        print(line, flush=True)


class ProgressBar(Callback):
    """One line per epoch, redrawn as the epoch runs: step, steps per second, time left and the loss
    (sporen's own callback; the command line uses it). ``file``: where to draw (stderr)."""

    def __init__(self, width=30, file=None, min_interval=0.1):
        super().__init__()
        self.width = int(width)
        self.file = file
        self.min_interval = float(min_interval)
        self._epoch_start = 0.0
        self._last_draw = 0.0

    def _out(self):
        return self.file if self.file is not None else sys.stderr

    def on_train_epoch_begin(self, run_context):
        self._epoch_start = time.time()
        self._last_draw = 0.0

    def on_train_step_end(self, run_context):
        cb_params = run_context.original_args()
        now = time.time()
        step = _step_in_epoch(cb_params)
        total = cb_params.get("batch_num") or 0
        if now - self._last_draw < self.min_interval and step != total:
            return
        self._last_draw = now
        self._out().write("\r" + self._line(cb_params, step, total, now))
        self._out().flush()

    def on_train_epoch_end(self, run_context):
        cb_params = run_context.original_args()
        step = _step_in_epoch(cb_params)
        self._out().write("\r" + self._line(cb_params, step, cb_params.get("batch_num") or 0, time.time()) + "\n")
        self._out().flush()

    def _line(self, cb_params, step, total, now):
        elapsed = max(now - self._epoch_start, 1e-9)
        rate = step / elapsed
        loss = _handle_loss(cb_params.get("net_outputs"))
        loss_text = f"{loss:.4f}" if isinstance(loss, float) else "-"
        epoch = f"epoch {cb_params.cur_epoch_num}/{cb_params.get('epoch_num', '?')}"
        if total > 0:
            done = int(self.width * min(step, total) / total)
            bar = "#" * done + "." * (self.width - done)
            eta = (total - step) / rate if rate > 0 else float("nan")
            return (f"{epoch} [{bar}] {step}/{total} {rate:.1f} step/s eta {_clock(eta)} "
                    f"loss {loss_text}")
        return f"{epoch} step {step} {rate:.1f} step/s loss {loss_text}"


def _clock(seconds):
    if not np.isfinite(seconds):
        return "?"
    seconds = int(round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"
