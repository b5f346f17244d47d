"""Tensor's operators and methods, bound to the functional ops (one place, so that Tensor itself
stays small and knows nothing of the op table)."""
from ..tensor import Tensor
from . import functional as F


def _reflect(fn):
    def r(self, other):
        return fn(other, self)
    return r


_OPERATORS = {
    "__add__": F.add, "__radd__": _reflect(F.add),
    "__sub__": F.sub, "__rsub__": _reflect(F.sub),
    "__mul__": F.mul, "__rmul__": _reflect(F.mul),
    "__truediv__": F.div, "__rtruediv__": _reflect(F.div),
    "__pow__": F.pow, "__rpow__": _reflect(F.pow),
    "__neg__": F.neg, "__abs__": F.abs,
    "__eq__": F.equal, "__ne__": F.not_equal, "__lt__": F.less, "__le__": F.less_equal,
    "__gt__": F.greater, "__ge__": F.greater_equal,
}

# methods named as in MindSpore's Tensor: method name -> functional op
_METHODS = {
    "add": F.add, "sub": F.sub, "mul": F.mul, "div": F.div, "neg": F.neg, "exp": F.exp,
    "log": F.log, "sqrt": F.sqrt, "square": F.square, "tanh": F.tanh, "sigmoid": F.sigmoid,
    "abs": F.abs, "maximum": F.maximum, "minimum": F.minimum, "pow": F.pow, "reshape": None,
    "sum": F.sum, "mean": F.mean, "broadcast_to": F.broadcast_to,
}


def _reshape(self, *shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return F.reshape(self, shape)


def _astype(self, dtype, copy=True):
    return F.cast(self, dtype)


def install():
    for name, fn in _OPERATORS.items():
        setattr(Tensor, name, fn)
    for name, fn in _METHODS.items():
        if fn is not None:
            setattr(Tensor, name, fn)
    Tensor.reshape = _reshape
    Tensor.astype = _astype
    Tensor.to = _astype
    Tensor.__hash__ = lambda self: id(self)


install()
