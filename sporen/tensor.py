"""Tensor and Parameter: a numpy array with a sporen dtype, gradients recorded by the tape."""
import math
import numbers

import numpy as np

from . import dtype as mstype
from .dtype import from_numpy_dtype, to_dtype
from .ir.graph import Var as _Var

__all__ = ["Tensor", "Parameter", "ParameterTuple", "is_tensor", "from_numpy", "tensor"]

_BY_NP = mstype._BY_NP


def _default_np_dtype(data):
    """MindSpore's default dtype for Python data: float -> float32, int -> int64, bool -> bool."""
    arr = np.asarray(data)
    if arr.dtype == np.float64 and not isinstance(data, np.ndarray) and not isinstance(data, np.generic):
        return arr.astype(np.float32)
    if arr.dtype == np.complex128 and not isinstance(data, (np.ndarray, np.generic)):
        return arr.astype(np.complex64)
    if arr.dtype.kind in "US":
        raise TypeError(f"Tensor: 'input_data' must be numeric, got strings ({arr.dtype})")
    if arr.dtype == object:
        raise TypeError(f"Tensor: 'input_data' must be a number, list, tuple, numpy array or Tensor, "
                        f"got {type(data).__name__} holding {type(arr.flat[0]).__name__ if arr.size else 'objects'}")
    return arr


def _to_array(data, dtype):
    if isinstance(data, Tensor):
        arr = data._data
    elif isinstance(data, (list, tuple)) and any(isinstance(v, Tensor) for v in _flat(data)):
        arr = np.asarray(_unwrap_nested(data))
        if dtype is None and arr.dtype == np.float64:
            arr = arr.astype(np.float32)
    elif isinstance(data, np.ndarray):
        arr = data
    elif isinstance(data, (numbers.Number, np.generic, list, tuple, range)):
        arr = _default_np_dtype(data)
    elif hasattr(data, "__array__"):
        arr = np.asarray(data)
    else:
        raise TypeError("Tensor: 'input_data' must be a number, list, tuple, numpy array or Tensor, "
                        f"got {type(data).__name__}")
    if dtype is not None:
        npd = to_dtype(dtype).np
        if arr.dtype != npd:
            arr = arr.astype(npd)
    elif arr.dtype not in _BY_NP:
        arr = arr.astype(from_numpy_dtype(arr.dtype).np)
    return arr


def _flat(data):
    for v in data:
        if isinstance(v, (list, tuple)):
            yield from _flat(v)
        else:
            yield v


def _unwrap_nested(data):
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, (list, tuple)):
        return [_unwrap_nested(v) for v in data]
    return data


class Tensor:
    """A multi-dimensional array of one dtype (MindSpore's ``Tensor``).

    ``Tensor(1.0)`` is Float32, ``Tensor([1, 2])`` is Int64, ``Tensor(np_array)`` keeps the array's
    dtype; ``dtype=`` converts. With ``shape`` and ``init`` (an Initializer) the data is created
    lazily by ``init_data()``, as in MindSpore.
    """

    __slots__ = ("_data", "_init", "__weakref__")
    __array_priority__ = 100

    def __init__(self, input_data=None, dtype=None, shape=None, init=None, internal=False,
                 const_arg=False, device=None):
        self._init = None
        if input_data is None:
            if shape is None:
                if init is None:
                    self._data = np.zeros((0,), dtype=np.float32 if dtype is None else to_dtype(dtype).np)
                    return
                raise ValueError("Tensor: 'shape' is required when 'init' is given")
            if isinstance(shape, numbers.Integral):
                shape = (int(shape),)
            npd = np.float32 if dtype is None else to_dtype(dtype).np
            if init is None and any(s is None or s == -1 for s in shape):
                # a placeholder with dynamic dims (for Cell.set_inputs): no data, -1 where None
                self._init = (None, tuple(-1 if s is None else int(s) for s in shape), npd)
                self._data = None
                return
            shape = tuple(int(s) for s in shape)
            if init is None:
                self._data = np.zeros(shape, dtype=npd)
            else:
                self._init = (init, shape, npd)
                self._data = None
            return
        if shape is not None or init is not None:
            if init is not None:
                raise ValueError("Tensor: 'init' cannot be given together with 'input_data'")
        self._data = _to_array(input_data, dtype)
        if shape is not None:
            shape = (int(shape),) if isinstance(shape, numbers.Integral) else tuple(shape)
            if self._data.shape != shape:
                self._data = self._data.reshape(shape)

    @classmethod
    def _wrap(cls, arr):
        """Fast internal constructor from a numpy array (no checks)."""
        t = object.__new__(Tensor)
        t._data = arr
        t._init = None
        return t

    def init_data(self, slice_index=None, shape=None, opt_shard_group=None):
        """Materialise a Tensor created with ``init=``; returns self."""
        if self._init is not None:
            init, shp, npd = self._init
            if init is None:
                raise ValueError(f"Tensor: a Tensor of shape {list(shp)} (-1: a dynamic dim) declares an input "
                                 f"for Cell.set_inputs and holds no data")
            from .common.initializer import _materialize
            self._data = _materialize(init, shp, npd)
            self._init = None
        return self

    def _array(self):
        if self._data is None:
            self.init_data()
        return self._data

    # --- basic properties -------------------------------------------------------------------
    @property
    def shape(self):
        if self._data is None:
            return self._init[1]
        return self._data.shape

    @property
    def dtype(self):
        if self._data is None:
            return _BY_NP[np.dtype(self._init[2])]
        return _BY_NP[self._data.dtype]

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        data = self._data
        if data is None:
            return math.prod(self._init[1])
        return data.size

    @property
    def itemsize(self):
        return self.dtype.itemsize

    @property
    def nbytes(self):
        return self.size * self._array().itemsize

    @property
    def strides(self):
        return self._array().strides

    @property
    def is_leaf(self):
        return True

    def dim(self):
        return self.ndim

    def numel(self):
        return self.size

    def nelement(self):
        return self.size

    def element_size(self):
        return self.itemsize

    def asnumpy(self):
        """The data as a numpy array (shares memory, as MindSpore's does on the CPU). A symbolic
        Tensor (being traced by jit) has no value: this raises the tracer's error naming the line."""
        arr = self._array()
        if type(arr) is not np.ndarray and isinstance(arr, _Var):
            arr.__array__()  # raises the tracer's clear error
        return arr

    def numpy(self):
        return self.asnumpy()

    def __array__(self, dtype=None, copy=None):
        arr = self.asnumpy()
        if dtype is not None:
            return arr.astype(dtype)
        return arr

    def item(self, index=None):
        arr = self._array()
        if index is None:
            if arr.size != 1:
                raise ValueError(f"Tensor.item: only a Tensor with one element can be converted to a "
                                 f"Python scalar, got shape {arr.shape}")
            return arr.reshape(()).item()
        return arr.item(index)

    def tolist(self):
        return self._array().tolist()

    def asnumpy_of_slice_persistent_data(self, *args, **kwargs):
        return self._array()

    def is_contiguous(self):
        return True

    def contiguous(self):
        return self

    def has_init(self):
        return self._init is not None

    @property
    def has_init_(self):
        return self._init is not None

    def __len__(self):
        shp = self.shape
        if not shp:
            raise TypeError("len() of a 0-d Tensor")
        return shp[0]

    def __bool__(self):
        arr = self._array()
        if arr.size != 1:
            raise ValueError("The truth value of a Tensor with more than one element is ambiguous")
        return bool(arr.reshape(()))

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __complex__(self):
        return complex(self.item())

    def __index__(self):
        if self.dtype.kind not in "iu":
            raise TypeError(f"only an integer Tensor can be used as an index, got {self.dtype}")
        return int(self.item())

    def __hash__(self):
        return id(self)

    def __iter__(self):
        if not self.shape:
            raise TypeError("iteration over a 0-d Tensor")
        for i in range(self.shape[0]):
            yield self[i]

    def __format__(self, spec):
        if self.ndim == 0:
            return format(self.item(), spec)
        return format(str(self), spec)

    def __repr__(self):
        if self._data is None and self._init[0] is None:  # a set_inputs placeholder: no value
            return f"Tensor(shape={list(self._init[1])}, dtype={self.dtype}, value=<dynamic>)"
        arr = self._array()
        shape = "[" + ", ".join(str(s) for s in arr.shape) + "]"
        if arr.ndim == 0:
            body = " " + _format_scalar(arr)
        elif arr.size == 0:
            body = " []"
        elif arr.ndim == 1:
            body = " " + _format_array(arr)
        else:
            body = "\n" + _format_array(arr)
        return f"Tensor(shape={shape}, dtype={self.dtype}, value={body})"

    def __str__(self):
        arr = self._array()
        if arr.dtype == mstype.bfloat16.np:
            arr = arr.astype(np.float32)
        return str(arr)

    def __getstate__(self):
        return {"data": self._array()}

    def __setstate__(self, state):
        self._data = state["data"]
        self._init = None

    def __copy__(self):
        return Tensor._wrap(self._array().copy())

    def __deepcopy__(self, memo):
        return Tensor._wrap(self._array().copy())

    # --- dtype conversion (methods over ops are attached in ops/tensor_methods.py) -----------
    def set_dtype(self, dtype):
        self._data = self._array().astype(to_dtype(dtype).np)
        return self

    def assign_value(self, value):
        """Replace the data in place (MindSpore's ``Tensor.assign_value``)."""
        self._data = _to_array(value, self.dtype).reshape(self.shape) if isinstance(value, Tensor) \
            else _to_array(value, self.dtype)
        return self

    def flush_from_cache(self):
        return None

    def set_const_arg(self, const_arg=True):
        return self

    def _offload(self):
        return self

    def data_sync(self, wait=True):
        return self

    def move_to(self, to, blocking=True):
        return self

    def cpu(self):
        return self

    @property
    def device(self):
        return "CPU"


def _format_scalar(arr):
    """A 0-d value as MindSpore prints it: floats like C++'s default stream (%g), so 1.0 -> 1."""
    v = arr.item()
    if arr.dtype.kind == "f" or arr.dtype == mstype.bfloat16.np:
        return f"{float(v):g}"
    return str(v)


def _format_array(arr):
    if arr.dtype == mstype.bfloat16.np or arr.dtype == np.float16:
        arr = arr.astype(np.float32)
    if arr.dtype.kind == "f":
        fmt = {"float_kind": lambda v: f"{v: .8e}".rjust(15)}
        return np.array2string(arr, separator=", ", formatter=fmt, threshold=1000)
    if arr.dtype.kind == "b":
        return np.array2string(arr, separator=", ", threshold=1000).replace("True", "True").replace("False", "False")
    return np.array2string(arr, separator=", ", threshold=1000)


def is_tensor(obj):
    """True when ``obj`` is a sporen Tensor."""
    return isinstance(obj, Tensor)


def from_numpy(array):
    """A Tensor sharing memory with a numpy array."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: 'array' must be a numpy.ndarray, got {type(array).__name__}")
    return Tensor._wrap(_to_array(array, None))


def tensor(input_data=None, dtype=None, shape=None, init=None, internal=False, const_arg=False):
    return Tensor(input_data, dtype, shape, init, internal, const_arg)


class Parameter(Tensor):
    """A trainable Tensor with a name (MindSpore's ``Parameter``).

    ``default_input`` is a Tensor, a numpy array, a number or an Initializer (materialised lazily,
    as MindSpore does).
    """

    __slots__ = ("name", "requires_grad", "layerwise_parallel", "parallel_optimizer", "_inited_name",
                 "is_init", "param_info", "_cast_type", "__dict__")

    def __init__(self, default_input, name=None, requires_grad=True, layerwise_parallel=False,
                 parallel_optimizer=True, storage_format="", device=None):
        from .common.initializer import Initializer
        self._init = None
        if isinstance(default_input, Tensor):
            if default_input._data is None:
                self._init = default_input._init
                self._data = None
            else:
                self._data = default_input._data
        elif isinstance(default_input, Initializer):
            self._init = (default_input, tuple(default_input.shape), np.dtype(to_dtype(default_input.dtype).np))
            self._data = None
        elif isinstance(default_input, (np.ndarray, numbers.Number, np.generic, list, tuple)):
            self._data = _to_array(default_input, None)
        else:
            raise TypeError("Parameter: 'default_input' must be a Tensor, numpy array, number or "
                            f"Initializer, got {type(default_input).__name__}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Parameter: 'name' must be a str, got {type(name).__name__}")
        if not isinstance(requires_grad, bool):
            raise TypeError(f"Parameter: 'requires_grad' must be a bool, got {type(requires_grad).__name__}")
        self.name = name if name is not None else "Parameter"
        self._inited_name = name is not None
        self.requires_grad = requires_grad
        self.layerwise_parallel = layerwise_parallel
        self.parallel_optimizer = parallel_optimizer
        self.is_init = False
        self.param_info = None
        self._cast_type = None
        if self._data is None:
            Tensor.init_data(self)

    def __repr__(self):
        return (f"Parameter (name={self.name}, shape={self.shape}, dtype={self.dtype}, "
                f"requires_grad={self.requires_grad})")

    def __str__(self):
        return self.__repr__()

    @property
    def data(self):
        return self

    @property
    def inited_param(self):
        return None

    @property
    def sliced(self):
        return False

    @property
    def unique(self):
        return False

    @property
    def key(self):
        return -1

    @property
    def comm_fusion(self):
        return 1

    def value(self):
        return Tensor._wrap(self._array())

    def set_data(self, data, slice_shape=False):
        """Replace the value. A Tensor of another shape is accepted only with ``slice_shape=True``
        or when the parameter has no data yet."""
        if isinstance(data, Tensor):
            arr = data._array()
        elif isinstance(data, (np.ndarray, numbers.Number, np.generic, list, tuple)):
            arr = _to_array(data, None)
        else:
            raise TypeError(f"Parameter.set_data: 'data' must be a Tensor, numpy array or number, "
                            f"got {type(data).__name__}")
        if self._data is not None or self._init is not None:
            old_shape = self.shape
            if arr.shape != tuple(old_shape) and not slice_shape:
                if arr.size == 1 and len(old_shape) == 0:
                    arr = arr.reshape(())
                else:
                    raise ValueError(f"Parameter.set_data: '{self.name}' has shape {tuple(old_shape)}, "
                                     f"the new data has shape {arr.shape}")
            old_dtype = self.dtype.np
            if arr.dtype != old_dtype:
                if arr.dtype.kind != old_dtype.kind and not (arr.dtype.kind in "iub" and old_dtype.kind in "fc"):
                    raise TypeError(f"Parameter.set_data: '{self.name}' has dtype {self.dtype}, "
                                    f"the new data has dtype {from_numpy_dtype(arr.dtype)}")
                arr = arr.astype(old_dtype)
        self._data = arr
        self._init = None
        return self

    def clone(self, init="same"):
        """A copy with its own data (``init='same'`` copies the value)."""
        if init == "same":
            p = Parameter(Tensor._wrap(self._array().copy()), self.name, self.requires_grad,
                          self.layerwise_parallel, self.parallel_optimizer)
        else:
            from .common.initializer import initializer
            p = Parameter(initializer(init, self.shape, self.dtype), self.name, self.requires_grad)
        return p

    def init_data(self, layout=None, set_sliced=False):
        Tensor.init_data(self)
        self.is_init = True
        return self

    def copy(self):
        return self.clone()

    def __deepcopy__(self, memo):
        return self.clone()

    def __copy__(self):
        return self.clone()

    def __reduce__(self):
        return (_rebuild_parameter, (self._array(), self.name, self.requires_grad))


def _rebuild_parameter(arr, name, requires_grad):
    return Parameter(arr, name=name, requires_grad=requires_grad)


class ParameterTuple(tuple):
    """A tuple of Parameters (MindSpore's ``ParameterTuple``)."""

    def __new__(cls, iterable):
        items = tuple(iterable)
        for p in items:
            if not isinstance(p, Parameter):
                raise TypeError(f"ParameterTuple: every element must be a Parameter, got {type(p).__name__}")
        return tuple.__new__(cls, items)

    def clone(self, prefix, init="same"):
        out = []
        for p in self:
            c = p.clone(init)
            c.name = prefix + "." + p.name
            out.append(c)
        return ParameterTuple(out)
