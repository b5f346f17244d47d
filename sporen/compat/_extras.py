"""Names MindSpore programs reach through modules that sporen lays out differently
(``C.GradOperation``, ``C.HyperMap``, ``F.depend``, ``mindspore.common.Tensor``...). ``attach()``
adds each one, where it is absent, to the sporen module that stands for the MindSpore module."""
import functools
import importlib
import numbers

from ..tensor import Tensor

__all__ = ["MultitypeFuncGraph", "HyperMap", "Map", "depend", "attach"]


def _matches(type_name, value):
    if not isinstance(type_name, str):
        return isinstance(value, type_name)
    if type_name == "Tensor":
        return isinstance(value, Tensor)
    if type_name == "Number":
        return isinstance(value, numbers.Number)
    if type_name == "Bool":
        return isinstance(value, bool)
    if type_name == "Int":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == "Float":
        return isinstance(value, float)
    if type_name == "String":
        return isinstance(value, str)
    if type_name == "Tuple":
        return isinstance(value, tuple)
    if type_name == "List":
        return isinstance(value, list)
    if type_name == "Dictionary":
        return isinstance(value, dict)
    if type_name == "None":
        return value is None
    if type_name == "Function":
        return callable(value)
    return False


class MultitypeFuncGraph:
    """A function dispatched on the types of its arguments (MindSpore's ``C.MultitypeFuncGraph``).

    ``f = MultitypeFuncGraph('f')``, then ``@f.register("Tensor", "Number")`` for each variant;
    type names are MindSpore's ("Tensor", "Number", "Bool", "Int", "Float", "String", "Tuple",
    "List", "Dictionary", "None", "Function") or Python classes."""

    def __init__(self, name, read_value=False, doc_url="", need_raise=False):
        self.name = name
        self.read_value = read_value
        self.entries = []

    def register(self, *type_names):
        """Register the decorated function for arguments of ``type_names``."""
        def deco(fn):
            self.entries.append((type_names, fn))
            return fn
        return deco

    def __call__(self, *args):
        for types, fn in self.entries:
            if len(types) == len(args) and all(_matches(t, a) for t, a in zip(types, args)):
                return fn(*args)
        got = ", ".join(type(a).__name__ for a in args)
        raise TypeError(f"MultitypeFuncGraph '{self.name}': no registered function takes ({got})")


def _hyper(fn, args, recursive):
    seqs = [a for a in args if isinstance(a, (tuple, list))]
    if not seqs:
        return fn(*args)
    n = len(seqs[0])
    for s in seqs:
        if len(s) != n:
            raise ValueError(f"HyperMap: the sequences must have the same length, got {len(s)} and {n}")
    out = []
    for i in range(n):
        items = [a[i] if isinstance(a, (tuple, list)) else a for a in args]
        out.append(_hyper(fn, items, recursive) if recursive else fn(*items))
    return tuple(out)


class HyperMap:
    """Apply ``ops`` elementwise over (nested) tuples of arguments (MindSpore's ``C.HyperMap``).
    Without ``ops`` at construction the first call argument is the function."""

    def __init__(self, ops=None, reduce_output=False):
        self.ops = ops
        self.reduce_output = reduce_output

    def __call__(self, *args):
        if self.ops is None:
            fn, args = args[0], args[1:]
        else:
            fn = self.ops
        return _hyper(fn, args, recursive=True)


class Map(HyperMap):
    """Like HyperMap, one level deep (MindSpore's ``C.Map``)."""

    def __call__(self, *args):
        if self.ops is None:
            fn, args = args[0], args[1:]
        else:
            fn = self.ops
        return _hyper(fn, args, recursive=False)


def depend(value, expr):
    """``F.depend(value, expr)``: ``value``, ordered after ``expr`` (eager code is already in order)."""
    return value


def _grad_operation():
    from ..autodiff.api import GradOperation
    return GradOperation


def _functional_extras():
    from ..ops import functional as F
    extras = {"depend": depend, "partial": functools.partial, "hyper_map": HyperMap()}
    old_names = {"tensor_add": "add", "tensor_sub": "sub", "tensor_mul": "mul", "tensor_div": "div",
                 "tensor_pow": "pow", "tensor_gt": "greater", "tensor_ge": "greater_equal",
                 "tensor_lt": "less", "tensor_le": "less_equal", "scalar_to_tensor": None,
                 "tuple_to_array": None}
    for old, new in old_names.items():
        if new is not None and hasattr(F, new):
            extras[old] = getattr(F, new)
    extras["scalar_to_tensor"] = lambda x, dtype=None: Tensor(x, dtype)
    extras["tuple_to_array"] = lambda x: Tensor(x)
    extras["shape"] = lambda x: tuple(x.shape)
    extras["rank"] = lambda x: x.ndim
    extras["dtype"] = lambda x: x.dtype
    return extras


def _common_extras():
    import sporen
    from .. import dtype as mstype
    extras = {"Tensor": sporen.Tensor, "Parameter": sporen.Parameter, "ParameterTuple": sporen.ParameterTuple,
              "dtype": mstype, "set_seed": sporen.set_seed, "get_seed": sporen.get_seed}
    for name in mstype.__all__:
        extras[name] = getattr(mstype, name)
    return extras


# functions MindSpore's ops.composite also exports (they live in sporen.ops)
_COMPOSITE_FUNCTIONS = ("clip_by_value", "clip_by_global_norm", "normal", "uniform", "gamma", "poisson",
                        "laplace", "multinomial", "tensor_dot", "matmul", "dot", "batch_dot", "repeat_elements",
                        "sequence_mask", "zeros_like", "ones_like", "arange", "count_nonzero", "cummin",
                        "cummax", "vjp", "jvp", "grad", "value_and_grad")


def _composite_extras():
    import sporen
    extras = {"GradOperation": _grad_operation(), "HyperMap": HyperMap, "Map": Map,
              "MultitypeFuncGraph": MultitypeFuncGraph}
    for name in _COMPOSITE_FUNCTIONS:
        fn = getattr(sporen.ops, name, None)
        if fn is None:
            fn = getattr(sporen, name, None)
        if fn is not None:
            extras[name] = fn
    return extras


_EXTRAS = {
    "sporen.common": _common_extras,
    "sporen.ops.composite": _composite_extras,
    "sporen.ops.functional": _functional_extras,
    "sporen.ops": lambda: _ops_extras(),
}


def _ops_extras():
    """``ops.Primitive``, ``ops.constexpr`` and the ``ops.Add``-style classes, for as long as
    sporen.ops does not export them itself."""
    from ..ops import operations, primitive
    extras = {"MultitypeFuncGraph": MultitypeFuncGraph, "HyperMap": HyperMap, "Map": Map, "depend": depend}
    for name in primitive.__all__:
        extras[name] = getattr(primitive, name)
    for name in operations.__all__:
        extras[name] = getattr(operations, name)
    return extras


def attach():
    """Add the extras each sporen module lacks (existing names are never replaced)."""
    for modname, make in _EXTRAS.items():
        try:
            module = importlib.import_module(modname)
        except ImportError:
            continue
        for name, value in make().items():
            if not hasattr(module, name):
                setattr(module, name, value)
