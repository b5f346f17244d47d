"""What every data transform shares: the callable base class, input conversion, the random
generator (contract 2) and the argument checks that name the operation."""
import numbers

import numpy as np

__all__ = ["TensorOperation", "PyTensorOperation", "rng", "to_array", "not_random"]

_engine_rng = None


def rng():
    """The numpy.random.Generator a random transform draws from: the engine's per-row generator
    (sporen.dataset.engine.random.rng) when it is importable, else one module-level generator."""
    global _engine_rng
    if _engine_rng is None:
        try:
            from ..engine.random import rng as engine_rng
        except ImportError:
            engine_rng = _fallback_rng
        _engine_rng = engine_rng
    return _engine_rng()


_FALLBACK = []


def _fallback_rng():
    if not _FALLBACK:
        _FALLBACK.append(np.random.default_rng())
    return _FALLBACK[0]


def is_pil(obj):
    """Whether obj is a PIL image (without importing Pillow when it was never imported)."""
    import sys
    # another worker thread may be importing Pillow right now: its module is then in sys.modules but
    # not initialised yet (no Image class), and no object can be a PIL image before it is
    image_class = getattr(sys.modules.get("PIL.Image"), "Image", None)
    return image_class is not None and isinstance(obj, image_class)


def to_array(value):
    """An input of a transform as numpy: Tensors and lists become arrays, PIL images stay."""
    if isinstance(value, np.ndarray) or is_pil(value):
        return value
    if hasattr(value, "asnumpy"):
        return value.asnumpy()
    if isinstance(value, (bytes, bytearray)):
        return np.frombuffer(bytes(value), dtype=np.uint8)
    return np.asarray(value)


class TensorOperation:
    """Base of every transform: ``op(*columns)`` takes numpy arrays (Tensors, lists and PIL images
    where the op allows them) and returns one array, or a tuple with one array per output column."""

    # random transforms draw from rng(); a deterministic one may be cached by the engine
    random = False

    def __call__(self, *input_tensor_list):
        if not input_tensor_list:
            raise TypeError(f"{type(self).__name__}: expected at least one input, got none")
        arrays = [to_array(value) for value in input_tensor_list]
        return self._execute(*arrays)

    def _execute(self, *arrays):
        raise NotImplementedError

    def __repr__(self):
        fields = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({fields})"


PyTensorOperation = TensorOperation

# (type of an operation, type of the next one) -> fused(first, second): one operation doing both;
# modules register their pairs (dataset.vision: Normalize then HWC2CHW)
FUSIONS = {}


def fuse_operations(operations):
    """The list map (or Compose) runs for `operations`: each registered adjacent pair (exact types)
    replaced by its fused operation, which gives the same results (MindSpore's pipeline fuses
    operations the same way); the user's list itself is unchanged (names in errors, serialize)."""
    fused = []
    for operation in operations:
        if fused:
            make = FUSIONS.get((type(fused[-1]), type(operation)))
            if make is not None:
                fused[-1] = make(fused[-1], operation)
                continue
        fused.append(operation)
    return fused


def one_or_tuple(outputs):
    """One array for one output column, a tuple for several (MindSpore's eager return)."""
    if len(outputs) == 1:
        return outputs[0]
    return tuple(outputs)


# ---- argument checks: each error names the operation and the argument ----

def check_type(op, name, value, types, type_text):
    if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        raise TypeError(f"{op}: '{name}' must be {type_text}, got {type(value).__name__}")
    if not isinstance(value, types):
        raise TypeError(f"{op}: '{name}' must be {type_text}, got {type(value).__name__}")
    return value


def check_int(op, name, value, low=None, high=None):
    check_type(op, name, value, (int, np.integer), "an int")
    check_range(op, name, value, low, high)
    return int(value)


def check_number(op, name, value, low=None, high=None):
    check_type(op, name, value, (numbers.Real,), "a number")
    check_range(op, name, value, low, high)
    return value


def check_range(op, name, value, low=None, high=None, low_open=False, high_open=False):
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        lo = "-inf" if low is None else low
        hi = "inf" if high is None else high
        raise ValueError(f"{op}: '{name}' must be in {left}{lo}, {hi}{right}, got {value}")


def check_prob(op, name, value):
    check_number(op, name, value)
    check_range(op, name, value, 0.0, 1.0)
    return float(value)


def check_pair(op, name, value, low=None, high=None, ordered=True):
    """A (min, max) sequence of two numbers in [low, high], min <= max."""
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise TypeError(f"{op}: '{name}' must be a list or tuple of two numbers, got {value!r}")
    for item in value:
        check_type(op, name, item, (numbers.Real,), "a sequence of numbers")
        check_range(op, name, item, low, high)
    if ordered and value[0] > value[1]:
        raise ValueError(f"{op}: '{name}' must be (min, max) with min <= max, got {value!r}")
    return tuple(value)


def check_size(op, name, size):
    """An int (a square or one edge) or a (height, width) pair of positive ints."""
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        check_range(op, name, size, 1, 2147483647)
        return (int(size),)
    if isinstance(size, (list, tuple)) and len(size) == 2:
        for item in size:
            check_type(op, name, item, (int, np.integer), "an int or a sequence of two ints")
            check_range(op, name, item, 1, 2147483647)
        return (int(size[0]), int(size[1]))
    raise TypeError(f"{op}: '{name}' must be an int or a sequence of two ints, got {size!r}")


def check_callable(op, name, value):
    if not callable(value):
        raise TypeError(f"{op}: '{name}' must be callable, got {type(value).__name__}")
    return value


def not_random(function):
    """Mark a Python function as deterministic (``function.random = False``), so that a map of it
    may be cached."""
    function.random = False
    return function
