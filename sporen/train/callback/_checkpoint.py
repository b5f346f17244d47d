"""Saving checkpoints during training: CheckpointConfig and ModelCheckpoint (MindSpore's names,
file names and keep policies). Every file is written atomically by ``save_checkpoint``."""
import os
import time

from ...nn.cell import Cell
from ...nn.optim._check import check_bool, check_non_negative_int
from ...tensor import Parameter, Tensor
from ..serialization import _wait_async_save, save_checkpoint
from ._callback import Callback

__all__ = ["CheckpointConfig", "ModelCheckpoint"]

_INFO_KEYS = ("epoch_num", "step_num")


class CheckpointConfig:
    """When ModelCheckpoint saves and how many files it keeps.

    save_checkpoint_steps (default 1) or, when it is 0/None, save_checkpoint_seconds; keep the newest
    keep_checkpoint_max files (default 5) or, when it is 0/None, one file per
    keep_checkpoint_per_n_minutes. async_save writes in a background thread. saved_network: the Cell
    to save instead of the training network. append_info: ["epoch_num", "step_num", {name: value}]
    stored in each file. exception_save: save a ``_breakpoint.ckpt`` when training raises."""

    def __init__(self, save_checkpoint_steps=1, save_checkpoint_seconds=0, keep_checkpoint_max=5,
                 keep_checkpoint_per_n_minutes=0, integrated_save=True, async_save=False, saved_network=None,
                 append_info=None, enc_key=None, enc_mode="AES-GCM", exception_save=False, **kwargs):
        counts = {"save_checkpoint_steps": save_checkpoint_steps, "save_checkpoint_seconds": save_checkpoint_seconds,
                  "keep_checkpoint_max": keep_checkpoint_max,
                  "keep_checkpoint_per_n_minutes": keep_checkpoint_per_n_minutes}
        for name, value in counts.items():
            if value is not None:  # None is accepted, as 0
                check_non_negative_int(value, name, "CheckpointConfig")
        if saved_network is not None and not isinstance(saved_network, Cell):
            raise TypeError(f"For 'CheckpointConfig', the argument 'saved_network' must be None or a Cell, "
                            f"but got {type(saved_network).__name__}.")
        if not (save_checkpoint_steps or save_checkpoint_seconds or keep_checkpoint_max
                or keep_checkpoint_per_n_minutes):
            raise ValueError("For 'CheckpointConfig', the arguments 'save_checkpoint_steps', "
                             "'save_checkpoint_seconds', 'keep_checkpoint_max' and "
                             "'keep_checkpoint_per_n_minutes' can't be all None or 0.")
        if enc_key is not None:
            raise ValueError("For 'CheckpointConfig', encrypted checkpoints (enc_key) are not supported by sporen.")
        if not isinstance(enc_mode, str):
            raise TypeError(f"For 'CheckpointConfig', the argument 'enc_mode' must be a str, "
                            f"but got {type(enc_mode).__name__}.")
        self.exception_save = check_bool(exception_save, "exception_save", "CheckpointConfig")
        self._save_checkpoint_steps = save_checkpoint_steps
        self._save_checkpoint_seconds = save_checkpoint_seconds
        if save_checkpoint_steps:
            self._save_checkpoint_seconds = None
        self._keep_checkpoint_max = keep_checkpoint_max
        self._keep_checkpoint_per_n_minutes = keep_checkpoint_per_n_minutes
        if keep_checkpoint_max:
            self._keep_checkpoint_per_n_minutes = None
        elif not keep_checkpoint_per_n_minutes:
            self._keep_checkpoint_max = 1
        self._integrated_save = check_bool(integrated_save, "integrated_save", "CheckpointConfig")
        if not isinstance(async_save, (bool, str)):
            raise TypeError(f"For 'CheckpointConfig', the argument 'async_save' must be a bool or str, "
                            f"but got {type(async_save).__name__}.")
        self._async_save = async_save
        self._saved_network = saved_network
        self._append_dict = self._handle_append_info(append_info)
        self._enc_key = enc_key
        self._enc_mode = enc_mode
        self._map_param_inc = kwargs.get("incremental", False)

    save_checkpoint_steps = property(lambda self: self._save_checkpoint_steps,
                                     doc="Steps between two saves.")
    save_checkpoint_seconds = property(lambda self: self._save_checkpoint_seconds,
                                       doc="Seconds between two saves (when steps are not set).")
    keep_checkpoint_max = property(lambda self: self._keep_checkpoint_max,
                                   doc="How many of the newest files are kept.")
    keep_checkpoint_per_n_minutes = property(lambda self: self._keep_checkpoint_per_n_minutes,
                                             doc="Keep one file per this many minutes (when max is not set).")
    integrated_save = property(lambda self: self._integrated_save, doc="Merge split tensors when saving.")
    async_save = property(lambda self: self._async_save, doc="Write files in the background.")
    saved_network = property(lambda self: self._saved_network, doc="The Cell saved instead of the train network.")
    enc_key = property(lambda self: self._enc_key, doc="Encryption key (always None in sporen).")
    enc_mode = property(lambda self: self._enc_mode, doc="Encryption mode.")
    append_dict = property(lambda self: self._append_dict, doc="Extra entries stored in each file.")
    map_param_inc = property(lambda self: self._map_param_inc, doc="Save map parameters incrementally.")

    def get_checkpoint_policy(self):
        """The policy as a dict."""
        return {"save_checkpoint_steps": self.save_checkpoint_steps,
                "save_checkpoint_seconds": self.save_checkpoint_seconds,
                "keep_checkpoint_max": self.keep_checkpoint_max,
                "keep_checkpoint_per_n_minutes": self.keep_checkpoint_per_n_minutes,
                "saved_network": self.saved_network}

    @staticmethod
    def _handle_append_info(append_info):
        if append_info is None or append_info == []:
            return None
        if not isinstance(append_info, list):
            raise TypeError(f"For 'CheckpointConfig', the argument 'append_info' must be a list, "
                            f"but got {type(append_info).__name__}.")
        handled = {}
        dicts = 0
        for element in append_info:
            if isinstance(element, str):
                if element not in _INFO_KEYS:
                    raise ValueError(f"For 'CheckpointConfig', a str in 'append_info' must be one of "
                                     f"{list(_INFO_KEYS)}, but got {element!r}.")
                handled[element] = 0
            elif isinstance(element, dict):
                dicts += 1
                if dicts > 1:
                    raise TypeError("For 'CheckpointConfig', 'append_info' may hold only one dict.")
                for key, value in element.items():
                    if not isinstance(key, str) or not isinstance(value, (int, float, bool, str, Parameter, Tensor)):
                        raise TypeError(f"For 'CheckpointConfig', the dict in 'append_info' must map str to int, "
                                        f"float, bool, str, Parameter or Tensor, but got {type(key).__name__} -> "
                                        f"{type(value).__name__}.")
                    handled[key] = value
            else:
                raise TypeError(f"For 'CheckpointConfig', the elements of 'append_info' must be str or dict, "
                                f"but got {type(element).__name__}.")
        return handled


def _unused_prefix(directory, prefix):
    """``prefix``, or ``prefix_N`` when files of an earlier run with that prefix are in ``directory``
    (MindSpore's rule, so two runs never overwrite each other's files)."""
    suffix = 0
    for filename in os.listdir(directory):
        if not filename.endswith(".ckpt") or filename.endswith("_breakpoint.ckpt"):
            continue
        if not filename.startswith(prefix) or len(filename) <= len(prefix) or filename[len(prefix)].isalpha():
            continue
        rest = filename[len(prefix):]
        dash = rest.find("-")
        if dash == 0:
            suffix = max(suffix, 1)
        elif dash > 0 and rest[1:dash].isdigit():
            suffix = max(suffix, int(rest[1:dash]) + 1)
    return f"{prefix}_{suffix}" if suffix else prefix


class ModelCheckpoint(Callback):
    """Saves the training network's parameters (with the optimizer's state) as
    ``{prefix}-{epoch}_{step_in_epoch}.ckpt`` in ``directory`` (default: the working directory) by
    ``config`` (a CheckpointConfig), and once more at the end of training; keeps only the newest
    ``keep_checkpoint_max`` files of this run (MindSpore's ``ModelCheckpoint``)."""

    def __init__(self, prefix="CKP", directory=None, config=None):
        super().__init__()
        if not isinstance(prefix, str) or "/" in prefix:
            raise ValueError(f"For 'ModelCheckpoint', the argument 'prefix' must be a str without '/', "
                             f"but got {prefix!r}.")
        if directory is not None and not isinstance(directory, (str, os.PathLike)):
            raise ValueError(f"For 'ModelCheckpoint', the argument 'directory' must be a str or None, "
                             f"but got {type(directory).__name__}.")
        if config is None:
            config = CheckpointConfig()
        elif not isinstance(config, CheckpointConfig):
            raise TypeError(f"For 'ModelCheckpoint', the argument 'config' must be a CheckpointConfig, "
                            f"but got {type(config).__name__}.")
        self._config = config
        self._directory = os.path.abspath(os.fspath(directory)) if directory is not None else os.getcwd()
        os.makedirs(self._directory, exist_ok=True)
        self._exception_prefix = prefix
        self._prefix = _unused_prefix(self._directory, prefix)
        self._append_dict = dict(config.append_dict or {})
        self._latest_ckpt_file_name = ""
        self._last_triggered_step = 0
        self._last_time = time.time()
        self._last_time_for_keep = time.time()
        self._files = []  # (path) of this run's files, oldest first

    @property
    def latest_ckpt_file_name(self):
        """The path of the newest checkpoint file written."""
        return self._latest_ckpt_file_name

    def on_train_step_end(self, run_context):
        self._save(run_context.original_args(), force=False)

    def on_train_end(self, run_context):
        self._save(run_context.original_args(), force=True)
        _wait_async_save()

    def _due(self, cb_params, force):
        steps = self._config.save_checkpoint_steps
        if steps:
            return force or cb_params.cur_step_num >= self._last_triggered_step + steps
        seconds = self._config.save_checkpoint_seconds
        if seconds:
            now = time.time()
            if force or now - self._last_time > seconds:
                self._last_time = now
                return True
        return False

    def _save(self, cb_params, force):
        if cb_params.cur_step_num == self._last_triggered_step or not self._due(cb_params, force):
            return
        batch_num = cb_params.get("batch_num") or 0
        step_in_epoch = (cb_params.cur_step_num - 1) % batch_num + 1 if batch_num else cb_params.cur_step_num
        name = f"{self._prefix}-{cb_params.cur_epoch_num}_{step_in_epoch}.ckpt"
        path = os.path.join(self._directory, name)
        self._files = [f for f in self._files if os.path.exists(f) and f != path]
        keep_max = self._config.keep_checkpoint_max
        if keep_max:
            while len(self._files) >= keep_max:
                self._remove(self._files.pop(0))
        elif self._config.keep_checkpoint_per_n_minutes:
            self._keep_one_per_minutes(self._config.keep_checkpoint_per_n_minutes)
        if "epoch_num" in self._append_dict:
            self._append_dict["epoch_num"] = cb_params.cur_epoch_num
        if "step_num" in self._append_dict:
            self._append_dict["step_num"] = cb_params.cur_step_num
        network = self._config.saved_network if self._config.saved_network is not None else cb_params.train_network
        _wait_async_save()
        save_checkpoint(network, path, self._config.integrated_save, self._config.async_save,
                        self._append_dict or None)
        self._files.append(path)
        self._last_triggered_step = cb_params.cur_step_num
        self._last_time_for_keep = time.time()
        self._latest_ckpt_file_name = path

    def _keep_one_per_minutes(self, minutes):
        now = time.time()
        recent = [f for f in self._files if now - os.path.getmtime(f) < 60 * minutes]
        if len(recent) > 1:
            oldest = min(recent, key=os.path.getmtime)
            for f in recent:
                if f != oldest:
                    self._remove(f)
                    self._files.remove(f)

    @staticmethod
    def _remove(path):
        try:
            os.remove(path)
        except OSError:
            pass
