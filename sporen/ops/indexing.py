"""Tensor indexing: getitem and setitem with ints, slices, ellipsis, None, bool masks and integer arrays.

An index is normalised against the tensor's shape into a hashable description (the op's ``index``
attribute), one entry per index element:
    ("i", k)                  an int (made non-negative, bounds checked)
    ("s", start, stop, step)  a slice, resolved against the dimension (stop None: past the start)
    ("n",)                    None: a new axis
    ("b", flag)               a bool scalar (numpy: a new axis of size 1 or 0)
    ("t", k)                  an integer index array: the op's k-th extra tensor input
Ellipsis is expanded into full slices, and a bool mask into the integer arrays of its True
positions (numpy defines ``x[mask]`` as ``x[mask.nonzero()]``), so the output shape depends only on
the shapes of the inputs. Tensors used as indices are op inputs, never attributes."""
import builtins
import numbers
import sys

import numpy as np

from ..autodiff import tape as _tape
from ..frontend.trace import TRACES as _TRACES
from ..ir.graph import Var
from ..tensor import Tensor
from ._helpers import unbroadcast
from .registry import OPS, Aval, register

__all__ = ["tensor_getitem", "tensor_setitem"]

_pyslice = builtins.slice
_wrap = Tensor._wrap
_INDEX_TYPES = "integers, slices, ellipsis, None, bools, and integer or bool tensors/arrays"


# --- normalising an index ----------------------------------------------------------------------
def _as_int(v, what):
    if isinstance(v, Tensor):
        if v.dtype.kind not in "iu" or v.ndim != 0:
            raise IndexError(f"{what}: slice bounds must be ints or 0-d integer Tensors, got {v.dtype}{list(v.shape)}")
        return int(v.item())
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return int(v)
    raise IndexError(f"{what}: slice bounds must be ints or None, got {type(v).__name__}")


def _norm_slice(s, n, what):
    start = None if s.start is None else _as_int(s.start, what)
    stop = None if s.stop is None else _as_int(s.stop, what)
    step = 1 if s.step is None else _as_int(s.step, what)
    if step == 0:
        raise ValueError(f"{what}: slice step cannot be zero")
    start, stop, step = _pyslice(start, stop, step).indices(n)
    if step < 0 and stop < 0:
        stop = None  # slice.indices gives -1 for "before index 0", which a slice would read as n-1
    return ("s", start, stop, step)


def _classify(item):
    """Kind of one index element and its array form for arrays: ('int'|'slice'|'none'|'ellipsis'|
    'bool'|'array'|'mask', value)."""
    if item is None:
        return "none", None
    if item is Ellipsis:
        return "ellipsis", None
    if isinstance(item, _pyslice):
        return "slice", item
    if isinstance(item, (bool, np.bool_)):
        return "bool", bool(item)
    if isinstance(item, (int, np.integer)):
        return "int", int(item)
    if isinstance(item, Tensor):
        kind = item.dtype.kind  # an integer index needs only its dtype (no data: trace-friendly)
        if kind in "iu":
            return "array", item
        if kind == "b":
            arr = item.asnumpy()  # a mask's True positions are data: read eagerly
            return ("bool", bool(arr)) if arr.ndim == 0 else ("mask", arr)
        raise IndexError(f"getitem: a Tensor index must have an integer or bool dtype, got {item.dtype}")
    if isinstance(item, (list, tuple, np.ndarray)):
        arr = np.asarray(item)
        if arr.dtype.kind == "b":
            return ("bool", bool(arr)) if arr.ndim == 0 else ("mask", arr)
        if arr.size == 0 and arr.dtype.kind == "f":
            arr = arr.astype(np.int64)
        if arr.dtype.kind not in "iu":
            raise IndexError(f"getitem: only {_INDEX_TYPES} are valid indices, got an array of {arr.dtype}")
        return "array", _wrap(arr.astype(np.int64, copy=False))
    if isinstance(item, numbers.Integral):
        return "int", int(item)
    raise IndexError(f"getitem: only {_INDEX_TYPES} are valid indices, got {type(item).__name__}")


def _normalize(index, shape, what="getitem"):
    """(description, index tensors) for ``index`` applied to a tensor of ``shape``."""
    if type(index) is not tuple:
        index = (index,)
    items = [_classify(i) for i in index]
    consumed = 0
    n_ellipsis = 0
    for kind, v in items:
        if kind in ("int", "slice", "array"):
            consumed += 1
        elif kind == "mask":
            consumed += v.ndim
        elif kind == "ellipsis":
            n_ellipsis += 1
    if n_ellipsis > 1:
        raise IndexError(f"{what}: an index can only have a single ellipsis ('...')")
    ndim = len(shape)
    if consumed > ndim:
        raise IndexError(f"{what}: too many indices for a tensor of {ndim} dimensions: {consumed} were given")
    desc = []
    tensors = []
    dim = 0
    for kind, v in items:
        if kind == "int":
            n = shape[dim]
            if v < -n or v >= n:
                raise IndexError(f"{what}: index {v} is out of bounds for dimension {dim} with size {n}")
            desc.append(("i", v % n))
            dim += 1
        elif kind == "slice":
            desc.append(_norm_slice(v, shape[dim], what))
            dim += 1
        elif kind == "none":
            desc.append(("n",))
        elif kind == "bool":
            desc.append(("b", v))
        elif kind == "ellipsis":
            for _ in range(ndim - consumed):
                desc.append(("s", 0, shape[dim], 1))
                dim += 1
        elif kind == "array":
            desc.append(("t", len(tensors)))
            tensors.append(v)
            dim += 1
        else:  # a bool mask: one integer array per masked dimension
            if v.shape != tuple(shape[dim:dim + v.ndim]):
                raise IndexError(f"{what}: the bool mask of shape {list(v.shape)} does not match the "
                                 f"indexed dimensions {list(shape[dim:dim + v.ndim])}")
            for nz in np.nonzero(v):
                desc.append(("t", len(tensors)))
                tensors.append(_wrap(nz.astype(np.int64)))
            dim += v.ndim
    return tuple(desc), tensors


def _normalize_basic(idx, shape):
    """Description of a numpy index tuple of ints, slices, None and Ellipsis (for strided_slice)."""
    desc, tensors = _normalize(idx, shape, "strided_slice")
    return desc


_BUILT = {}


def _build(index, arrays):
    """The numpy index tuple for a description and the index arrays."""
    if not arrays:
        built = _BUILT.get(index)
        if built is not None:
            return built
    out = []
    for e in index:
        k = e[0]
        if k == "s":
            out.append(_pyslice(e[1], e[2], e[3]))
        elif k == "i":
            out.append(e[1])
        elif k == "t":
            out.append(arrays[e[1]])
        elif k == "n":
            out.append(None)
        else:
            out.append(np.bool_(e[1]))
    out = tuple(out)
    if not arrays:
        if len(_BUILT) > 4096:
            _BUILT.clear()
        _BUILT[index] = out
    return out


_TARGETS = {}


def _target_shape(shape, np_dtype, index, index_shapes):
    """Shape of ``x[index]`` from shapes alone: index a zero-stride view, which reads no data.
    Cached: the result depends only on the shapes and the description."""
    key = (tuple(shape), index, tuple(tuple(s) for s in index_shapes))
    out = _TARGETS.get(key)
    if out is None:
        dummy = np.broadcast_to(np.zeros((), np.int8), shape)
        arrays = [np.zeros(s, np.intp) for s in index_shapes]
        out = dummy[_build(index, arrays)].shape
        if len(_TARGETS) > 4096:
            _TARGETS.clear()
        _TARGETS[key] = out
    return out


# --- getitem -----------------------------------------------------------------------------------
def _getitem_kernel(x, *arrays, index):
    try:
        return x[_build(index, arrays)]
    except IndexError as exc:
        raise IndexError(f"getitem: {exc}") from None


def _getitem_rule(x, *ts, index):
    for t in ts:
        if t.dtype.kind not in "iu":
            raise IndexError(f"getitem: index tensors must be integer tensors, got {t.dtype}")
    try:
        shape = _target_shape(x.shape, x.dtype.np, index, [t.shape for t in ts])
    except IndexError as exc:
        raise IndexError(f"getitem: {exc}") from None
    return Aval(shape, x.dtype)


def _getitem_bprop(*args, index):
    x = args[0]
    tensors = args[1:-2]
    dout = args[-1]
    zeros = _wrap(np.zeros(x.shape, dout._data.dtype))
    g = setitem_p(zeros, dout, *tensors, index=index, accumulate=True)
    return (g,) + (None,) * len(tensors)


getitem_p = register("getitem", infer=_getitem_rule, kernel=_getitem_kernel, bprop=_getitem_bprop,
                     family="indexing")


def tensor_getitem(input, index):
    """``input[index]`` with numpy's (and MindSpore's) semantics: ints, slices (negative steps too),
    ``...``, None, bool masks and integer index arrays (Tensors, lists, numpy arrays), and tuples of
    these; integer arrays follow numpy's advanced-indexing placement rules. Returns a new Tensor."""
    if type(index) is int and input._data is not None and input._data.ndim:
        n = input._data.shape[0]
        if -n <= index < n:  # the common x[i]: skip the general normalisation
            return getitem_p(input, index=(("i", index % n),))
    desc, tensors = _normalize(index, input.shape)
    return getitem_p(input, *tensors, index=desc)


# --- setitem -----------------------------------------------------------------------------------
def _setitem_kernel(x, value, *arrays, index, accumulate, out=None, ws=None):
    idx = _build(index, arrays)
    if out is None:
        out = x.copy()  # never write into x: other Tensors (and read-only broadcast views) may share it
    else:
        np.copyto(out, x)
    try:
        if not accumulate:
            out[idx] = value
        elif not arrays:
            out[idx] += value  # basic indexing selects each element at most once
        else:
            # repeated index entries must all add up: gather the flat positions and use add.at
            flat = np.arange(x.size).reshape(x.shape)[idx]
            np.add.at(out.reshape(-1), flat.reshape(-1), np.broadcast_to(value, flat.shape).reshape(-1))
    except (IndexError, ValueError) as exc:
        raise type(exc)(f"setitem: {exc}") from None
    return out


def _setitem_scratch(x, value, *arrays, index, accumulate):
    # an out= form where the kernel's writes need nothing else: no advanced indexing with add.at
    return None if accumulate and arrays else 0


_setitem_kernel.scratch = _setitem_scratch


def _setitem_rule(x, value, *ts, index, accumulate):
    target = _getitem_rule(x, *ts, index=index).shape
    try:
        ok = np.broadcast_shapes(value.shape, target) == tuple(target)
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"setitem: a value of shape {list(value.shape)} cannot be assigned to an indexed "
                         f"region of shape {list(target)}")
    return Aval(x.shape, x.dtype)


def _setitem_bprop(*args, index, accumulate):
    value = args[1]
    tensors = args[2:-2]
    dout = args[-1]
    gv = unbroadcast(getitem_p(dout, *tensors, index=index), value.shape)
    if accumulate:
        gx = dout
    else:
        gx = setitem_p(dout, _wrap(np.zeros((), dout._data.dtype)), *tensors, index=index, accumulate=False)
    return (gx, gv) + (None,) * len(tensors)


setitem_p = register("setitem", infer=_setitem_rule, kernel=_setitem_kernel, bprop=_setitem_bprop,
                     family="indexing")


class _AliasAttrs(dict):
    """Marks the tape entry that links a watched source to its value before an in-place write."""


def _rename_on_tape(tape, target, old):
    """Make every earlier use of ``target`` on ``tape`` refer to ``old``, the object now holding its
    previous value, so that ``target`` names only the new value from here on."""
    tape.substitute({id(target): old}, skip=lambda entry: type(entry[3]) is _AliasAttrs)
    entries = tape.entries
    if id(target) in tape.tracked:
        tape.tracked.add(id(old))
        is_source = any(k is target for k in tape.keep)
        has_alias = any(type(e[3]) is _AliasAttrs and e[1][0] is target for e in entries)
        if is_source and not has_alias:
            # the gradient asked for is that of the source's original value: pass old's gradient
            # back to the source's id once the whole tape has been run (entries run in reverse)
            entries.insert(0, (OPS["reshape"], (target,), old, _AliasAttrs(shape=tuple(target.shape))))


def _value_tensor(value, target):
    if isinstance(value, Tensor):
        if value.dtype is not target.dtype:
            return OPS["cast"](value, dtype=target.dtype)
        return value
    if isinstance(value, (numbers.Number, np.generic, np.ndarray, list, tuple)):
        try:
            return _wrap(np.asarray(value, dtype=target.dtype.np))
        except (TypeError, ValueError):
            raise TypeError(f"setitem: the value must be a Tensor, a number or a sequence of numbers, got "
                            f"{type(value).__name__}") from None
    raise TypeError(f"setitem: the value must be a Tensor, a number or a sequence of numbers, got "
                    f"{type(value).__name__}")


def _exclusively_owned(arr):
    """True when no other Tensor, view or user variable can see ``arr``: then a write in place is
    invisible to everyone else and saves a copy of the whole array."""
    return arr.base is None and arr.flags.writeable and sys.getrefcount(arr) <= _EXCLUSIVE_REFS


def _calibrate_exclusive_refs():
    # the references an unshared array has at the check, counted through the same call path
    # (the Tensor's _data, the caller's local, the helper's argument, getrefcount's argument), so
    # the threshold follows the interpreter rather than a hard-coded number
    holder = _wrap(np.zeros(1))
    arr = holder._data
    return _count_refs(arr)


def _count_refs(arr):
    return sys.getrefcount(arr)


_EXCLUSIVE_REFS = _calibrate_exclusive_refs()


def tensor_setitem(input, index, value):
    """``input[index] = value``, in place as in MindSpore. The array is written directly only when
    nothing else can see it; otherwise ``input`` is rebound to an updated copy (Tensors, views and
    numpy arrays sharing the old array are unaffected). Under an active gradient tape the write is
    recorded as a ``setitem`` op whose output is ``input`` itself; earlier tape entries are renamed
    to a Tensor holding the old value, so gradients flow through both versions."""
    if not isinstance(input, Tensor):
        raise TypeError(f"setitem: 'input' must be a Tensor, got {type(input).__name__}")
    if input._data is None:
        input.init_data()
    desc, tensors = _normalize(index, input.shape, "setitem")
    v = _value_tensor(value, input)
    target = _target_shape(input.shape, input._data.dtype, desc, [t.shape for t in tensors])
    vshape = v.shape
    if vshape != target and vshape != ():
        if len(vshape) > len(target):
            extra = len(vshape) - len(target)
            if any(d != 1 for d in vshape[:extra]):
                _value_shape_error(vshape, target)
            v = OPS["reshape"](v, shape=vshape[extra:])
            vshape = v.shape
        try:
            ok = np.broadcast_shapes(vshape, target) == target
        except ValueError:
            ok = False
        if not ok:
            _value_shape_error(vshape, target)
    if _TRACES:
        return _traced_setitem(input, v, tensors, desc)
    arrays = [t._data for t in tensors]
    if not _tape.TAPES:
        arr = input._data
        if _exclusively_owned(arr):
            arr[_build(desc, arrays)] = v._data
        else:
            input._data = _setitem_kernel(arr, v._data, *arrays, index=desc, accumulate=False)
        return input
    old = _wrap(input._data)
    for tape in _tape.TAPES:
        _rename_on_tape(tape, input, old)
    input._data = _setitem_kernel(old._data, v._data, *arrays, index=desc, accumulate=False)
    _tape.record(setitem_p, (old, v) + tuple(tensors), input, {"index": desc, "accumulate": False})
    return input


def _traced_setitem(input, v, tensors, desc):
    """``input[index] = v`` while tracing: record a ``setitem`` node and rebind ``input`` to its
    output (the graph is functional; a captured tensor so rebound is written back after each run).
    Under a gradient tape too, the write is recorded as in the eager tape branch."""
    attrs = {"index": desc, "accumulate": False}
    if not _tape.TAPES:
        out = setitem_p(input, v, *tensors, **attrs)
        input._data = out._data
        return input
    old = _wrap(input._data) if isinstance(input._data, Var) else input
    if old is not input:
        for tape in _tape.TAPES:
            _rename_on_tape(tape, input, old)
    with _tape.paused():
        out = setitem_p(old, v, *tensors, **attrs)
    input._data = out._data
    _tape.record(setitem_p, (old, v) + tuple(tensors), input, attrs)
    return input


def _value_shape_error(vshape, target):
    raise ValueError(f"setitem: a value of shape {list(vshape)} cannot be assigned to an indexed region "
                     f"of shape {list(target)}")


def setitem_out_of_place(input, index, value):
    """``input`` with ``input[index] = value`` as a NEW tensor (``input`` is untouched): the
    functional form of ``tensor_setitem``, for code that must not mutate (graph-mode tracing
    rewrites ``x[i] = v`` into ``x = setitem_out_of_place(x, i, v)``)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"setitem: 'input' must be a Tensor, got {type(input).__name__}")
    desc, tensors = _normalize(index, input.shape, "setitem")
    v = _value_tensor(value, input)
    target = _target_shape(input.shape, input.dtype.np, desc, [t.shape for t in tensors])
    if len(v.shape) > len(target):
        extra = len(v.shape) - len(target)
        if any(d != 1 for d in v.shape[:extra]):
            _value_shape_error(v.shape, target)
        v = OPS["reshape"](v, shape=v.shape[extra:])
    _setitem_rule(Aval(input.shape, input.dtype), Aval(v.shape, v.dtype),
                  *[Aval(t.shape, t.dtype) for t in tensors], index=desc, accumulate=False)
    return setitem_p(input, v, *tensors, index=desc, accumulate=False)


# The lead binds these in tensor_methods.py too; binding here makes indexing work wherever this
# module is imported (it is, by ops/functional.py).
def _tensor_setitem_method(self, index, value):
    tensor_setitem(self, index, value)


Tensor.__getitem__ = tensor_getitem
Tensor.__setitem__ = _tensor_setitem_method
