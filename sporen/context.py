"""Execution modes and global options: set_context, get_context, set_seed."""
import numpy as np

__all__ = ["GRAPH_MODE", "PYNATIVE_MODE", "set_context", "get_context", "set_seed", "get_seed",
           "ParallelMode", "set_auto_parallel_context", "get_auto_parallel_context",
           "reset_auto_parallel_context", "set_ps_context", "get_ps_context", "reset_ps_context",
           "STRICT", "COMPATIBLE", "LAX", "set_algo_parameters", "get_algo_parameters",
           "reset_algo_parameters", "set_offload_context", "get_offload_context",
           "set_device", "set_deterministic", "manual_seed", "initial_seed", "seed", "get_rng_state",
           "set_rng_state"]

GRAPH_MODE = 0
PYNATIVE_MODE = 1
STRICT = 0
COMPATIBLE = 1
LAX = 2

_DEVICE_TARGETS = ("CPU", "GPU", "Ascend")

_context = {
    "mode": PYNATIVE_MODE,
    "device_target": "CPU",
    "device_id": 0,
    "save_graphs": False,
    "save_graphs_path": ".",
    "jit_syntax_level": LAX,
    "max_call_depth": 1000,
    "deterministic": "OFF",
    "enable_graph_kernel": False,
    "graph_kernel_flags": "",
    "pynative_synchronize": False,
    "max_device_memory": "1024GB",
    "mempool_block_size": "1GB",
    "runtime_num_threads": 30,
    "inter_op_parallel_num": 0,
    "enable_compile_cache": False,
    "compile_cache_path": ".",
    "jit_config": {},
    "check_bprop": False,
    "print_file_path": "",
    "env_config_path": "",
    "precompile_only": False,
    "reserve_class_name_in_scope": True,
    "enable_reduce_precision": True,
    "aoe_tune_mode": "",
    "ascend_config": {},
    "gpu_config": {},
    "memory_optimize_level": "O0",
    "op_timeout": 900,
    "debug_level": 0,
    "backend": "cpu",  # sporen's: the backend graphs run on (and PyNative's native kernels)
}


def set_context(**kwargs):
    """Set global options (MindSpore's ``set_context``): ``mode`` (GRAPH_MODE or PYNATIVE_MODE),
    ``device_target`` ("CPU", "GPU", "Ascend"), ``save_graphs``, ``save_graphs_path``..."""
    for key, value in kwargs.items():
        if key not in _context:
            raise ValueError(f"set_context: unknown option '{key}'; known options are "
                             f"{sorted(_context)}")
        if key == "mode":
            if value not in (GRAPH_MODE, PYNATIVE_MODE) or isinstance(value, bool):
                raise ValueError(f"set_context: 'mode' must be GRAPH_MODE (0) or PYNATIVE_MODE (1), "
                                 f"got {value!r}")
        elif key == "device_target":
            if not isinstance(value, str) or value.upper() not in ("CPU", "GPU", "ASCEND"):
                raise ValueError(f"set_context: 'device_target' must be one of {_DEVICE_TARGETS}, "
                                 f"got {value!r}")
            value = {"CPU": "CPU", "GPU": "GPU", "ASCEND": "Ascend"}[value.upper()]
        elif key == "backend":
            from .runtime.base import backend_names
            if value not in backend_names():
                raise ValueError(f"set_context: 'backend' must be one of {backend_names()}, got {value!r}")
        elif key == "device_id":
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"set_context: 'device_id' must be a non-negative int, got {value!r}")
        elif key == "save_graphs":
            if not isinstance(value, (bool, int)):
                raise TypeError(f"set_context: 'save_graphs' must be a bool or int, got {value!r}")
        _context[key] = value


def get_context(attr_key):
    """The value of one option set by ``set_context``."""
    if attr_key not in _context:
        raise ValueError(f"get_context: unknown option '{attr_key}'")
    return _context[attr_key]


def set_device(device_target, device_id=None):
    """MindSpore 2.5's ``set_device``."""
    set_context(device_target=device_target)
    if device_id is not None:
        set_context(device_id=device_id)


def set_deterministic(deterministic):
    _context["deterministic"] = "ON" if deterministic else "OFF"


class _RandomState:
    """The global random generator; ``set_seed`` resets it so random ops repeat."""

    __slots__ = ("seed", "generator")

    def __init__(self):
        self.seed = None
        self.generator = np.random.default_rng()


RANDOM = _RandomState()


def set_seed(seed):
    """Seed every random op, initializer and dropout (MindSpore's ``set_seed``)."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"set_seed: 'seed' must be a non-negative int, got {seed!r}")
    RANDOM.seed = seed
    RANDOM.generator = np.random.default_rng(seed)
    np.random.seed(seed % (2 ** 32))


def get_seed():
    """The seed given to ``set_seed``, or None."""
    return RANDOM.seed


def manual_seed(seed):
    """Seed the default generator (MindSpore 2.3+'s ``manual_seed``; same effect as ``set_seed``)."""
    set_seed(seed)


def initial_seed():
    """The seed of the default generator (0 when never seeded)."""
    return RANDOM.seed if RANDOM.seed is not None else 0


def seed():
    """Seed the default generator from the OS entropy; returns the seed."""
    s = int(np.random.SeedSequence().entropy % (2 ** 63))
    set_seed(s)
    return s


def get_rng_state():
    """The state of the default generator (pass it to ``set_rng_state`` to replay)."""
    return RANDOM.generator.bit_generator.state


def set_rng_state(state):
    """Restore a state returned by ``get_rng_state``."""
    if not isinstance(state, dict):
        raise TypeError(f"set_rng_state: 'state' must come from get_rng_state(), got {type(state).__name__}")
    RANDOM.generator.bit_generator.state = state


class ParallelMode:
    STAND_ALONE = "stand_alone"
    DATA_PARALLEL = "data_parallel"
    HYBRID_PARALLEL = "hybrid_parallel"
    SEMI_AUTO_PARALLEL = "semi_auto_parallel"
    AUTO_PARALLEL = "auto_parallel"
    MODE_LIST = [STAND_ALONE, DATA_PARALLEL, HYBRID_PARALLEL, SEMI_AUTO_PARALLEL, AUTO_PARALLEL]


_auto_parallel = {"parallel_mode": ParallelMode.STAND_ALONE, "device_num": 1, "global_rank": 0,
                  "gradients_mean": False, "gradient_fp32_sync": True, "loss_repeated_mean": True,
                  "full_batch": False, "search_mode": "recursive_programming",
                  "enable_parallel_optimizer": False, "pipeline_stages": 1}


def set_auto_parallel_context(**kwargs):
    for k, v in kwargs.items():
        if k == "parallel_mode" and v not in ParallelMode.MODE_LIST:
            raise ValueError(f"set_auto_parallel_context: 'parallel_mode' must be one of "
                             f"{ParallelMode.MODE_LIST}, got {v!r}")
        _auto_parallel[k] = v


def get_auto_parallel_context(attr_key):
    if attr_key not in _auto_parallel:
        raise ValueError(f"get_auto_parallel_context: unknown option '{attr_key}'")
    return _auto_parallel[attr_key]


def reset_auto_parallel_context():
    _auto_parallel.update(parallel_mode=ParallelMode.STAND_ALONE, device_num=1, global_rank=0,
                          gradients_mean=False)


_ps = {}


def set_ps_context(**kwargs):
    _ps.update(kwargs)


def get_ps_context(attr_key):
    return _ps.get(attr_key)


def reset_ps_context():
    _ps.clear()


_algo = {}


def set_algo_parameters(**kwargs):
    _algo.update(kwargs)


def get_algo_parameters(attr_key):
    return _algo.get(attr_key)


def reset_algo_parameters():
    _algo.clear()


_offload = {}


def set_offload_context(offload_config):
    _offload.update(offload_config)


def get_offload_context():
    return dict(_offload)
