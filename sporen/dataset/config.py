"""sporen.dataset.config: the data pipeline's global settings (MindSpore's mindspore.dataset.config)."""
import enum
import json
import logging
import os
import random

import numpy

__all__ = ["set_seed", "get_seed", "set_prefetch_size", "get_prefetch_size",
           "set_num_parallel_workers", "get_num_parallel_workers",
           "set_numa_enable", "get_numa_enable",
           "set_monitor_sampling_interval", "get_monitor_sampling_interval",
           "set_callback_timeout", "get_callback_timeout",
           "set_auto_num_workers", "get_auto_num_workers",
           "set_enable_shared_mem", "get_enable_shared_mem",
           "set_enable_autotune", "get_enable_autotune",
           "set_autotune_interval", "get_autotune_interval",
           "set_auto_offload", "get_auto_offload",
           "set_enable_watchdog", "get_enable_watchdog",
           "set_fast_recovery", "get_fast_recovery",
           "set_multiprocessing_timeout_interval", "get_multiprocessing_timeout_interval",
           "set_sending_batches", "load", "set_dynamic_shape", "get_dynamic_shape",
           "set_debug_mode", "get_debug_mode", "set_error_samples_mode", "get_error_samples_mode",
           "ErrorSamplesMode"]

INT32_MAX = 2147483647
UINT32_MAX = 4294967295
# std::mt19937::default_seed, which MindSpore reports while no seed was set
_DEFAULT_SEED = 5489

logger = logging.getLogger("sporen.dataset")

_settings = {
    "seed": _DEFAULT_SEED,
    "seed_set": False,
    "prefetch_size": 16,
    "num_parallel_workers": 8,
    "numa_enable": False,
    "monitor_sampling_interval": 1000,
    "callback_timeout": 60,
    "auto_num_workers": False,
    "enable_shared_mem": True,
    "enable_autotune": False,
    "autotune_filepath_prefix": None,
    "autotune_interval": 0,
    "auto_offload": False,
    "enable_watchdog": True,
    "fast_recovery": True,
    "multiprocessing_timeout_interval": 300,
    "sending_batches": 0,
    "dynamic_shape": False,
    "debug_mode": False,
    "debug_hooks": [],
    "error_samples_mode": None,
}
# incremented by set_seed so that per-thread generators outside a pipeline are re-seeded
_seed_generation = [0]


def _check_int(function, name, value, low, high, low_inclusive=True):
    """Raise TypeError/ValueError unless value is an int in [low, high] (or (low, high])."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{function}: '{name}' must be an int, got {type(value).__name__}")
    too_low = value < low if low_inclusive else value <= low
    if too_low or value > high:
        opening = "[" if low_inclusive else "("
        raise ValueError(f"{function}: '{name}' must be within {opening}{low}, {high}], got {value}")


def _check_bool(function, name, value):
    """Raise TypeError unless value is a bool."""
    if not isinstance(value, bool):
        raise TypeError(f"{function}: '{name}' must be a bool, got {type(value).__name__}")


def set_seed(seed):
    """Set the seed of the pipeline's random operations (and of Python's random and numpy.random)."""
    _check_int("set_seed", "seed", seed, 0, UINT32_MAX)
    _settings["seed"] = seed
    _settings["seed_set"] = True
    _seed_generation[0] += 1
    random.seed(seed)
    numpy.random.seed(seed)


def get_seed():
    """The seed; 5489 (std::mt19937's default seed) if set_seed was never called."""
    return _settings["seed"]


def _seed_is_set():
    """Whether set_seed was called: without it, shuffles draw fresh entropy, as in MindSpore."""
    return _settings["seed_set"]


def set_prefetch_size(size):
    """Set the capacity (in rows) of the queues between the pipeline's stages."""
    _check_int("set_prefetch_size", "size", size, 0, INT32_MAX, low_inclusive=False)
    _settings["prefetch_size"] = size


def get_prefetch_size():
    """The queue capacity in rows between stages (default 16)."""
    return _settings["prefetch_size"]


def set_num_parallel_workers(num):
    """Set the default number of parallel workers of each operation."""
    _check_int("set_num_parallel_workers", "num", num, 0, INT32_MAX, low_inclusive=False)
    _settings["num_parallel_workers"] = num


def get_num_parallel_workers():
    """The default number of parallel workers of each operation (default 8)."""
    return _settings["num_parallel_workers"]


def set_numa_enable(numa_enable):
    """Accepted for compatibility; sporen does not bind workers to NUMA nodes."""
    _check_bool("set_numa_enable", "numa_enable", numa_enable)
    _settings["numa_enable"] = numa_enable


def get_numa_enable():
    """Whether NUMA binding was requested (default False)."""
    return _settings["numa_enable"]


def set_monitor_sampling_interval(interval):
    """Set the interval (ms) at which the autotuner samples the stages."""
    _check_int("set_monitor_sampling_interval", "interval", interval, 0, INT32_MAX, low_inclusive=False)
    _settings["monitor_sampling_interval"] = interval


def get_monitor_sampling_interval():
    """The sampling interval (ms) of the performance monitor (default 1000)."""
    return _settings["monitor_sampling_interval"]


def set_callback_timeout(timeout):
    """Set the timeout (s) of WaitedDSCallback."""
    _check_int("set_callback_timeout", "timeout", timeout, 0, INT32_MAX, low_inclusive=False)
    _settings["callback_timeout"] = timeout


def get_callback_timeout():
    """The timeout (s) of WaitedDSCallback (default 60)."""
    return _settings["callback_timeout"]


def set_auto_num_workers(enable):
    """Set whether the number of workers of each operation is chosen automatically."""
    _check_bool("set_auto_num_workers", "enable", enable)
    _settings["auto_num_workers"] = enable


def get_auto_num_workers():
    """Whether the number of workers is chosen automatically (default False)."""
    return _settings["auto_num_workers"]


def set_enable_shared_mem(enable):
    """Set whether process workers (python_multiprocessing=True) get their rows' arrays and return
    their results' through shared memory (slots of max_rowsize MB) instead of pickling them through
    a pipe."""
    _check_bool("set_enable_shared_mem", "enable", enable)
    _settings["enable_shared_mem"] = enable


def get_enable_shared_mem():
    """Whether process workers pass arrays through shared memory (default True)."""
    return _settings["enable_shared_mem"]


def set_enable_autotune(enable, filepath_prefix=None):
    """Enable AutoTune: the runtime measures its stages and raises the workers/prefetch of the
    bottleneck. With filepath_prefix, the tuned configuration is saved to `<prefix>_<rank>.json`."""
    _check_bool("set_enable_autotune", "enable", enable)
    if filepath_prefix is not None and not isinstance(filepath_prefix, str):
        raise TypeError(f"set_enable_autotune: 'filepath_prefix' must be a str, "
                        f"got {type(filepath_prefix).__name__}")
    if enable and filepath_prefix == "":
        raise RuntimeError("set_enable_autotune: 'filepath_prefix' cannot be the empty string")
    if enable and filepath_prefix is not None and os.path.isdir(filepath_prefix):
        raise RuntimeError(f"set_enable_autotune: 'filepath_prefix' is a directory: {filepath_prefix}")
    if not enable and filepath_prefix is not None:
        logger.warning("set_enable_autotune: 'filepath_prefix' is ignored when enable is False")
    _settings["enable_autotune"] = enable
    _settings["autotune_filepath_prefix"] = filepath_prefix if enable else None


def get_enable_autotune():
    """Whether AutoTune is enabled (default False)."""
    return _settings["enable_autotune"]


def _autotune_filepath():
    """The JSON path AutoTune writes (`<prefix>_<rank>.json`), or None."""
    prefix = _settings["autotune_filepath_prefix"]
    if prefix is None:
        return None
    rank = os.environ.get("RANK_ID") or os.environ.get("OMPI_COMM_WORLD_RANK") or "0"
    if prefix.endswith(".json"):
        prefix = prefix[:-len(".json")]
    return f"{prefix}_{rank}.json"


def set_autotune_interval(interval):
    """Set AutoTune's adjustment interval in steps (0: after each epoch)."""
    _check_int("set_autotune_interval", "interval", interval, 0, INT32_MAX)
    _settings["autotune_interval"] = interval


def get_autotune_interval():
    """AutoTune's adjustment interval in steps (default 0: each epoch)."""
    return _settings["autotune_interval"]


def set_auto_offload(offload):
    """Accepted for compatibility; sporen's pipeline runs on the CPU."""
    _check_bool("set_auto_offload", "offload", offload)
    _settings["auto_offload"] = offload


def get_auto_offload():
    """Whether automatic offload was requested (default False)."""
    return _settings["auto_offload"]


def set_enable_watchdog(enable):
    """Set whether a watchdog cleans up hanging worker processes."""
    _check_bool("set_enable_watchdog", "enable", enable)
    _settings["enable_watchdog"] = enable


def get_enable_watchdog():
    """Whether the worker watchdog is enabled (default True)."""
    return _settings["enable_watchdog"]


def set_fast_recovery(fast_recovery):
    """Set whether a resumed pipeline may skip rows without replaying their random augmentations.
    sporen's random draws are keyed by row, so a resume is exact either way."""
    _check_bool("set_fast_recovery", "fast_recovery", fast_recovery)
    _settings["fast_recovery"] = fast_recovery


def get_fast_recovery():
    """Whether fast recovery is enabled (default True)."""
    return _settings["fast_recovery"]


def set_multiprocessing_timeout_interval(interval):
    """Set the interval (s) after which a wait on a worker logs a warning."""
    _check_int("set_multiprocessing_timeout_interval", "interval", interval, 0, INT32_MAX,
               low_inclusive=False)
    _settings["multiprocessing_timeout_interval"] = interval


def get_multiprocessing_timeout_interval():
    """The interval (s) after which a wait on a worker logs a warning (default 300)."""
    return _settings["multiprocessing_timeout_interval"]


def set_sending_batches(batch_num):
    """Accepted for compatibility (sink mode on Ascend)."""
    _check_int("set_sending_batches", "batch_num", batch_num, 0, INT32_MAX)
    _settings["sending_batches"] = batch_num


def set_dynamic_shape(is_dynamic):
    """Declare that the dataset's shapes change between batches (kept for compatibility)."""
    _check_bool("set_dynamic_shape", "is_dynamic", is_dynamic)
    _settings["dynamic_shape"] = is_dynamic


def get_dynamic_shape():
    """Whether the dataset was declared dynamic-shaped (default False)."""
    return _settings["dynamic_shape"]


def set_debug_mode(debug_mode_flag, debug_hook_list=None):
    """Debug mode: the pipeline runs synchronously in the calling thread (no stage threads, one
    worker per operation), so breakpoints and prints in user functions behave as in plain Python."""
    _check_bool("set_debug_mode", "debug_mode_flag", debug_mode_flag)
    if debug_hook_list is not None and not isinstance(debug_hook_list, list):
        raise TypeError(f"set_debug_mode: 'debug_hook_list' must be a list, got {type(debug_hook_list).__name__}")
    _settings["debug_mode"] = debug_mode_flag
    _settings["debug_hooks"] = list(debug_hook_list or [])


def get_debug_mode():
    """Whether debug mode is on (default False)."""
    return _settings["debug_mode"]


class ErrorSamplesMode(enum.IntEnum):
    """What a map does with a row its operations fail on: raise (RETURN), give the previous good
    row again (REPLACE), or drop it (SKIP); REPLACE and SKIP log a warning naming the row."""
    RETURN = 0
    REPLACE = 1
    SKIP = 2


def set_error_samples_mode(error_samples_mode):
    """Set how a map handles rows its operations fail on (ErrorSamplesMode)."""
    if not isinstance(error_samples_mode, ErrorSamplesMode):
        raise TypeError(f"set_error_samples_mode: 'error_samples_mode' must be an ErrorSamplesMode, "
                        f"got {type(error_samples_mode).__name__}")
    _settings["error_samples_mode"] = error_samples_mode


def get_error_samples_mode():
    """How a map handles rows its operations fail on (default ErrorSamplesMode.RETURN)."""
    return _settings["error_samples_mode"] or ErrorSamplesMode.RETURN


_LOAD_KEYS = {"seed": set_seed, "numParallelWorkers": set_num_parallel_workers,
              "opConnectorSize": set_prefetch_size,
              "monitorSamplingInterval": set_monitor_sampling_interval,
              "callbackTimeout": set_callback_timeout}


def load(file):
    """Load settings from a JSON file (keys as MindSpore's: seed, numParallelWorkers,
    opConnectorSize, monitorSamplingInterval, callbackTimeout; others are ignored)."""
    try:
        with open(file, encoding="utf-8") as handle:
            values = json.load(handle)
    except (OSError, ValueError) as error:
        raise RuntimeError(f"load: cannot read the config file {file!r}: {error}") from error
    if not isinstance(values, dict):
        raise RuntimeError(f"load: the config file {file!r} must hold a JSON object")
    for key, setter in _LOAD_KEYS.items():
        if key in values:
            setter(values[key])
