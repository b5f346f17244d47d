"""Argument handling shared by the functional ops: Tensor conversion, dtype promotion, gradient
un-broadcasting. Kept on the fast path, so written for speed."""
import math
import numbers

import numpy as np

from .. import dtype as mstype
from ..dtype import _BY_NP, promote, promote_scalar
from ..tensor import Tensor
from .registry import OPS

__all__ = ["as_tensor", "binary_args", "unbroadcast", "scalar_tensor", "check_tensor", "check_int",
           "check_positive_int", "check_bool", "to_np_dtype", "tensor_like", "Scratch", "scratch_bytes"]

_wrap = Tensor._wrap


def check_tensor(name, x, argname="input"):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: '{argname}' must be a Tensor, got {type(x).__name__}")
    return x


def check_int(name, v, argname, minimum=None):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"{name}: '{argname}' must be an int, got {type(v).__name__}")
    if minimum is not None and v < minimum:
        raise ValueError(f"{name}: '{argname}' must be >= {minimum}, got {v}")
    return int(v)


def check_positive_int(name, v, argname):
    """An int > 0, or a TypeError/ValueError naming ``name`` and ``argname``."""
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise TypeError(f"{name}: '{argname}' must be an int, got {type(v).__name__}")
    if v <= 0:
        raise ValueError(f"{name}: '{argname}' must be a positive int, got {v}")
    return int(v)


def check_bool(name, v, argname):
    if not isinstance(v, (bool, np.bool_)):
        raise TypeError(f"{name}: '{argname}' must be a bool, got {type(v).__name__}")
    return bool(v)


def to_np_dtype(dtype):
    return mstype.to_dtype(dtype).np


def scalar_tensor(value, dtype):
    """A 0-d Tensor of ``dtype`` (a sporen Type)."""
    return _wrap(np.array(value, dtype=dtype.np))


def as_tensor(name, x, argname="input", dtype=None):
    """Accept a Tensor, number, bool, list or numpy array; return a Tensor."""
    if isinstance(x, Tensor):
        if dtype is not None and x._data.dtype != dtype.np:
            return OPS["cast"](x, dtype=dtype)
        return x
    if isinstance(x, (numbers.Number, np.generic, np.ndarray, list, tuple)):
        return Tensor(x, dtype)
    raise TypeError(f"{name}: '{argname}' must be a Tensor or a number, got {type(x).__name__}")


def binary_args(name, x, y):
    """Promote a binary op's operands to one dtype, as MindSpore does: two tensors promote by
    category and size; a Python scalar takes the tensor's dtype unless it is of a higher kind."""
    if isinstance(x, Tensor):
        if isinstance(y, Tensor):
            dx = x._data.dtype
            dy = y._data.dtype
            if dx is dy or dx == dy:
                return x, y
            t = promote(_BY_NP[dx], _BY_NP[dy])
            if dx != t.np:
                x = OPS["cast"](x, dtype=t)
            if dy != t.np:
                y = OPS["cast"](y, dtype=t)
            return x, y
        if isinstance(y, (numbers.Number, np.generic)) and not isinstance(y, np.ndarray):
            t = promote_scalar(_BY_NP[x._data.dtype], y)
            if t.np != x._data.dtype:
                x = OPS["cast"](x, dtype=t)
            return x, _wrap(np.array(y, dtype=t.np))
        return binary_args(name, x, as_tensor(name, y, "other"))
    if isinstance(y, Tensor):
        if isinstance(x, (numbers.Number, np.generic)) and not isinstance(x, np.ndarray):
            t = promote_scalar(_BY_NP[y._data.dtype], x)
            if t.np != y._data.dtype:
                y = OPS["cast"](y, dtype=t)
            return _wrap(np.array(x, dtype=t.np)), y
        return binary_args(name, as_tensor(name, x, "input"), y)
    return binary_args(name, as_tensor(name, x, "input"), as_tensor(name, y, "other"))


def tensor_like(value, like):
    """A 0-d Tensor with ``like``'s dtype."""
    return _wrap(np.array(value, dtype=like._data.dtype))


def unbroadcast(g, shape):
    """Sum a gradient back to the shape of an input that was broadcast (used by bprops)."""
    gshape = g.shape
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    if lead > 0:
        g = OPS["reduce_sum"](g, axis=tuple(range(lead)), keepdims=False)
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and g.shape[i] != 1)
    if axes:
        g = OPS["reduce_sum"](g, axis=axes, keepdims=True)
    return g


# --- scratch memory of the kernels with out= forms -------------------------------------------
_ALIGN = 64  # scratch arrays start at multiples of this (as the memory plan's ranges do)


def _aligned(n):
    return (n + _ALIGN - 1) // _ALIGN * _ALIGN


class Scratch:
    """Arrays carved in order out of ``ws`` (a uint8 workspace, the memory plan's scratch range
    for one node), each 64-byte aligned; with no workspace, fresh arrays. Kernels that take
    ``out=`` and ``ws=`` (so that a planned graph runs them with no allocation) have a
    ``scratch(*inputs, **attrs)`` function (its ``kernel.scratch``) giving the workspace bytes
    it carves for those input shapes, or None when it has no out= form for them."""

    __slots__ = ("ws", "at")

    def __init__(self, ws=None):
        self.ws = ws
        self.at = 0

    def empty(self, shape, dtype):
        if self.ws is None:
            return np.empty(shape, dtype)
        dtype = np.dtype(dtype)
        nbytes = math.prod(shape) * dtype.itemsize
        start = self.at
        self.at = start + _aligned(nbytes)
        return self.ws[start:start + nbytes].view(dtype).reshape(shape)


def scratch_bytes(*sizes):
    """The workspace bytes of arrays of ``sizes`` bytes carved in order by ``Scratch``."""
    return sum(_aligned(n) for n in sizes)
