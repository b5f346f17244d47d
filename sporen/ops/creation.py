"""Tensor creation: zeros, ones, full, arange, linspace, eye, *_like.

These are plain functions, not primitives: a created tensor is a constant with no tensor inputs,
so there is nothing to differentiate and no shape rule beyond the arguments themselves; graph mode
folds such calls into constants. (``*_like`` read only their input's shape and dtype, never its
values, so they too are constants with respect to the input.)"""
import builtins
import math
import numbers

import numpy as np

from .. import dtype as mstype
from ..tensor import Tensor

__all__ = ["zeros", "ones", "full", "zeros_like", "ones_like", "full_like", "arange", "range", "linspace",
           "logspace", "eye", "fill", "fills", "tril_indices", "triu_indices"]

_wrap = Tensor._wrap
_pyrange = builtins.range


def _size(name, size, argname="size"):
    """An int, a tuple/list of ints or a 1-D integer Tensor -> a tuple of non-negative ints."""
    if isinstance(size, Tensor):
        if size.dtype.kind not in "iu" or size.ndim > 1:
            raise TypeError(f"{name}: a Tensor '{argname}' must be a 0-D or 1-D integer tensor, got "
                            f"{size.dtype}{list(size.shape)}")
        size = size.asnumpy().reshape(-1).tolist()
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        size = (int(size),)
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"{name}: '{argname}' must be an int or a tuple of ints, got {type(size).__name__}")
    out = []
    for s in size:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
            raise TypeError(f"{name}: '{argname}' must hold ints, got {s!r}")
        if s < 0:
            raise ValueError(f"{name}: '{argname}' must hold non-negative ints, got {list(size)}")
        out.append(int(s))
    return tuple(out)


def _np_dtype(name, dtype, default):
    if dtype is None:
        return default.np
    return mstype.to_dtype(dtype, "dtype").np


def _scalar_dtype(value):
    """MindSpore's dtype for a Python scalar: bool -> Bool, int -> Int64, float -> Float32."""
    if isinstance(value, (bool, np.bool_)):
        return mstype.bool_
    if isinstance(value, (int, np.integer)):
        return mstype.int64
    if isinstance(value, np.generic):
        return mstype.from_numpy_dtype(value.dtype)
    if isinstance(value, complex):
        return mstype.complex64
    return mstype.float32


def _scalar(name, value, argname):
    if isinstance(value, Tensor):
        if value.size != 1:
            raise ValueError(f"{name}: a Tensor '{argname}' must hold one element, got shape {list(value.shape)}")
        return value.asnumpy().reshape(()).item(), value.dtype
    if isinstance(value, (numbers.Number, np.generic)):
        return value, _scalar_dtype(value)
    raise TypeError(f"{name}: '{argname}' must be a number or a one-element Tensor, got {type(value).__name__}")


def zeros(size, dtype=None):
    """A tensor of zeros of shape ``size`` (Float32 by default)."""
    return _wrap(np.zeros(_size("zeros", size), _np_dtype("zeros", dtype, mstype.float32)))


def ones(shape, dtype=None):
    """A tensor of ones of ``shape`` (Float32 by default)."""
    return _wrap(np.ones(_size("ones", shape, "shape"), _np_dtype("ones", dtype, mstype.float32)))


def full(size, fill_value, *, dtype=None):
    """A tensor of shape ``size`` filled with ``fill_value``; without ``dtype`` the value decides
    (bool -> Bool, int -> Int64, float -> Float32)."""
    shape = _size("full", size)
    value, vt = _scalar("full", fill_value, "fill_value")
    npd = vt.np if dtype is None else mstype.to_dtype(dtype, "dtype").np
    return _wrap(np.full(shape, value, npd))


def _like(name, input):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}: 'input' must be a Tensor, got {type(input).__name__}")
    return input.shape, input.dtype


def zeros_like(input, *, dtype=None):
    """Zeros with ``input``'s shape (and dtype unless given)."""
    shape, d = _like("zeros_like", input)
    return _wrap(np.zeros(shape, _np_dtype("zeros_like", dtype, d)))


def ones_like(input, *, dtype=None):
    """Ones with ``input``'s shape (and dtype unless given)."""
    shape, d = _like("ones_like", input)
    return _wrap(np.ones(shape, _np_dtype("ones_like", dtype, d)))


def full_like(input, fill_value, *, dtype=None):
    """``fill_value`` with ``input``'s shape (and dtype unless given)."""
    shape, d = _like("full_like", input)
    value, _ = _scalar("full_like", fill_value, "fill_value")
    return _wrap(np.full(shape, value, _np_dtype("full_like", dtype, d)))


def empty(*size, dtype=None):
    """An uninitialised tensor (here: zeros) of shape ``size`` (mint.empty)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list, Tensor)):
        size = size[0]
    return _wrap(np.zeros(_size("empty", size), _np_dtype("empty", dtype, mstype.float32)))


def empty_like(input, *, dtype=None):
    """An uninitialised tensor (here: zeros) like ``input`` (mint.empty_like)."""
    shape, d = _like("empty_like", input)
    return _wrap(np.zeros(shape, _np_dtype("empty_like", dtype, d)))


def arange(start=0, end=None, step=1, *, dtype=None):
    """Values from ``start`` to ``end`` (excluded) by ``step``; ``arange(n)`` counts from 0.
    Without ``dtype``: Int64 when all three are ints, else Float32."""
    if end is None:
        start, end = 0, start
    vals = []
    kinds = []
    for argname, v in (("start", start), ("end", end), ("step", step)):
        value, t = _scalar("arange", v, argname)
        if t.kind == "b" or t.kind == "c":
            raise TypeError(f"arange: '{argname}' must be a real number, got {v!r}")
        vals.append(value)
        kinds.append(t)
    s, e, st = vals
    if st == 0:
        raise ValueError("arange: 'step' must not be 0")
    if (e - s) * st < 0:
        raise ValueError(f"arange: 'step' {st} points away from 'end' ({s} -> {e})")
    if dtype is not None:
        npd = mstype.to_dtype(dtype, "dtype").np
    elif all(t.kind in "iu" for t in kinds):
        npd = np.int64
    else:
        npd = np.float64 if any(t is mstype.float64 for t in kinds) else np.float32
    n = builtins.max(0, math.ceil((e - s) / st))
    # computed in float64 (or int64) and then cast, so float32 results do not drift
    work = np.int64 if all(t.kind in "iu" for t in kinds) else np.float64
    return _wrap((s + np.arange(n, dtype=work) * st).astype(npd))


def range(start, end, step, maxlen=1000000):
    """MindSpore's ``ops.range``: ``[start, end)`` by ``step``; all ints gives Int64, all floats
    Float32 (mixing them is an error)."""
    vals = []
    kinds = set()
    for argname, v in (("start", start), ("end", end), ("step", step)):
        value, t = _scalar("range", v, argname)
        if t.kind not in "iuf":
            raise TypeError(f"range: '{argname}' must be an int or a float, got {v!r}")
        kinds.add("i" if t.kind in "iu" else "f")
        vals.append(value)
    if len(kinds) > 1:
        raise TypeError("range: 'start', 'end' and 'step' must be all ints or all floats")
    s, e, st = vals
    if st == 0:
        raise ValueError("range: 'step' must not be 0")
    if st > 0 and s >= e:
        raise ValueError(f"range: with a positive 'step', 'start' ({s}) must be less than 'end' ({e})")
    if st < 0 and s <= e:
        raise ValueError(f"range: with a negative 'step', 'start' ({s}) must be greater than 'end' ({e})")
    out = arange(s, e, st, dtype=mstype.int64 if kinds == {"i"} else mstype.float32)
    if out.size > maxlen:
        raise ValueError(f"range: the output has {out.size} elements, more than 'maxlen' ({maxlen})")
    return out


def linspace(start, end, steps):
    """``steps`` evenly spaced Float32 values from ``start`` to ``end`` (both included)."""
    s, _ = _scalar("linspace", start, "start")
    e, _ = _scalar("linspace", end, "end")
    if isinstance(steps, Tensor):
        steps = steps.item()
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise TypeError(f"linspace: 'steps' must be an int, got {type(steps).__name__}")
    if steps < 1:
        raise ValueError(f"linspace: 'steps' must be positive, got {steps}")
    return _wrap(np.linspace(s, e, int(steps)).astype(np.float32))


def logspace(start, end, steps, base=10, *, dtype=mstype.float32):
    """``steps`` values ``base ** x`` for x evenly spaced from ``start`` to ``end``."""
    s, _ = _scalar("logspace", start, "start")
    e, _ = _scalar("logspace", end, "end")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"logspace: 'steps' must be a non-negative int, got {steps!r}")
    if isinstance(base, bool) or not isinstance(base, (int, np.integer)) or base <= 0:
        raise ValueError(f"logspace: 'base' must be a positive int, got {base!r}")
    npd = mstype.to_dtype(dtype, "dtype").np
    return _wrap(np.power(float(base), np.linspace(s, e, int(steps))).astype(npd))


def eye(n, m=None, dtype=None):
    """An ``n`` x ``m`` matrix with ones on the diagonal (Float32 by default)."""
    for argname, v in (("n", n), ("m", m)):
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"eye: '{argname}' must be an int, got {type(v).__name__}")
        if v < 0:
            raise ValueError(f"eye: '{argname}' must be non-negative, got {v}")
    return _wrap(np.eye(int(n), None if m is None else int(m), dtype=_np_dtype("eye", dtype, mstype.float32)))


def fill(type, shape, value):
    """A tensor of ``shape`` and dtype ``type`` filled with ``value`` (MindSpore's ``ops.fill``)."""
    shape = _size("fill", shape, "shape")
    v, _ = _scalar("fill", value, "value")
    return _wrap(np.full(shape, v, mstype.to_dtype(type, "type").np))


def fills(x, value):
    """A tensor like ``x`` filled with ``value``."""
    shape, d = _like("fills", x)
    v, _ = _scalar("fills", value, "value")
    return _wrap(np.full(shape, v, d.np))


def _tri_indices(name, row, col, offset, dtype, lower):
    for argname, v in (("row", row), ("col", col), ("offset", offset)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{name}: '{argname}' must be an int, got {type(v).__name__}")
    if row < 0 or col < 0:
        raise ValueError(f"{name}: 'row' and 'col' must be non-negative, got {row} and {col}")
    fn = np.tril_indices if lower else np.triu_indices
    r, c = fn(int(row), int(offset), int(col))
    return _wrap(np.stack([r, c]).astype(mstype.to_dtype(dtype, "dtype").np))


def tril_indices(row, col, offset=0, *, dtype=mstype.int64):
    """The (2, N) coordinates of the lower triangle of a ``row`` x ``col`` matrix."""
    return _tri_indices("tril_indices", row, col, offset, dtype, True)


def triu_indices(row, col, offset=0, *, dtype=mstype.int64):
    """The (2, N) coordinates of the upper triangle of a ``row`` x ``col`` matrix."""
    return _tri_indices("triu_indices", row, col, offset, dtype, False)
