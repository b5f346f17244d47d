"""sporen's dtypes: MindSpore's Type objects, their numpy storage types and the promotion rules."""
import numpy as np
import ml_dtypes

__all__ = [
    "Type", "TensorType", "bool_", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
    "uint64", "float16", "bfloat16", "float32", "float64", "complex64", "complex128", "half",
    "single", "double", "float_", "int_", "uint", "string", "type_none",
    "dtype_to_nptype", "pytype_to_dtype", "get_py_obj_dtype", "dtype_to_pytype", "to_dtype",
    "is_float", "is_int", "is_complex", "all_types", "number_type", "float_type", "int_type",
    "uint_type", "QuantDtype", "byte", "ubyte", "short", "ushort", "intc", "uintc", "intp", "uintp",
    "long", "cfloat", "cdouble",
]


class Type:
    """A MindSpore data type (``sporen.float32`` prints as ``Float32``)."""

    __slots__ = ("name", "np", "kind", "rank", "itemsize")

    def __init__(self, name, np_dtype, kind, rank):
        self.name = name
        self.np = np.dtype(np_dtype) if np_dtype is not None else None
        self.kind = kind  # 'b' bool, 'u' unsigned, 'i' signed, 'f' float, 'c' complex, 'o' other
        self.rank = rank
        self.itemsize = self.np.itemsize if self.np is not None else 0

    def __repr__(self):
        return self.name

    __str__ = __repr__

    def __reduce__(self):
        return (to_dtype, (self.name,))

    def __eq__(self, other):
        if isinstance(other, Type):
            return self is other
        return False

    def __hash__(self):
        return hash(self.name)

    @property
    def is_floating_point(self):
        return self.kind == "f"

    @property
    def is_signed(self):
        return self.kind in "ifc"

    def to_numpy(self):
        return self.np


class TensorType(Type):
    """The type of a tensor with a given element type (``TensorType(float32)``)."""

    __slots__ = ("element_type",)

    def __init__(self, element_type):
        super().__init__("Tensor[" + element_type.name + "]", element_type.np, "o", -1)
        self.element_type = element_type

    def element_type_(self):
        return self.element_type


bool_ = Type("Bool", np.bool_, "b", 0)
uint8 = Type("UInt8", np.uint8, "u", 1)
uint16 = Type("UInt16", np.uint16, "u", 3)
uint32 = Type("UInt32", np.uint32, "u", 5)
uint64 = Type("UInt64", np.uint64, "u", 7)
int8 = Type("Int8", np.int8, "i", 2)
int16 = Type("Int16", np.int16, "i", 4)
int32 = Type("Int32", np.int32, "i", 6)
int64 = Type("Int64", np.int64, "i", 8)
float16 = Type("Float16", np.float16, "f", 10)
bfloat16 = Type("BFloat16", ml_dtypes.bfloat16, "f", 11)
float32 = Type("Float32", np.float32, "f", 12)
float64 = Type("Float64", np.float64, "f", 13)
complex64 = Type("Complex64", np.complex64, "c", 14)
complex128 = Type("Complex128", np.complex128, "c", 15)
string = Type("String", None, "o", -1)
type_none = Type("NoneType", None, "o", -1)

half = float16
single = float32
double = float64
float_ = float32
int_ = int64
uint = uint32
byte = int8
ubyte = uint8
short = int16
ushort = uint16
intc = int32
uintc = uint32
intp = int64
uintp = uint64
long = int64
cfloat = complex64
cdouble = complex128

number_type = (int8, int16, int32, int64, uint8, uint16, uint32, uint64, float16, bfloat16,
               float32, float64, complex64, complex128)
int_type = (int8, int16, int32, int64)
uint_type = (uint8, uint16, uint32, uint64)
float_type = (float16, bfloat16, float32, float64)
all_types = (bool_,) + number_type

_BY_NP = {t.np: t for t in all_types}
_BY_NAME = {t.name.lower(): t for t in all_types}
_BY_NAME.update({"bool": bool_, "float": float32, "int": int64, "half": float16, "double": float64,
                 "bool_": bool_})


def from_numpy_dtype(np_dtype):
    """The sporen Type that stores as ``np_dtype``."""
    t = _BY_NP.get(np_dtype)
    if t is None:
        t = _BY_NP.get(np.dtype(np_dtype))
        if t is None:
            raise TypeError(f"sporen has no dtype for numpy dtype {np_dtype}")
    return t


def to_dtype(value, argname="dtype"):
    """Convert a Type, numpy dtype, Python type or name to a sporen Type."""
    if isinstance(value, Type):
        return value
    if value is bool:
        return bool_
    if value is int:
        return int64
    if value is float:
        return float32
    if value is complex:
        return complex64
    if isinstance(value, str):
        t = _BY_NAME.get(value.lower())
        if t is not None:
            return t
    else:
        try:
            return from_numpy_dtype(np.dtype(value))
        except TypeError:
            pass
    raise TypeError(f"'{argname}' must be a sporen dtype such as sporen.float32, got {value!r}")


def dtype_to_nptype(type_):
    """The numpy type of a sporen Type (``dtype_to_nptype(float32)`` is ``numpy.float32``)."""
    return to_dtype(type_).np.type


def dtype_to_pytype(type_):
    """The Python type matching a sporen Type."""
    t = to_dtype(type_)
    return {"b": bool, "u": int, "i": int, "f": float, "c": complex}[t.kind]


def pytype_to_dtype(obj):
    """The sporen Type of a Python or numpy type."""
    return to_dtype(obj)


def get_py_obj_dtype(obj):
    """The sporen Type of a Python object (a Tensor's dtype, or the type of a scalar)."""
    if hasattr(obj, "dtype") and isinstance(obj.dtype, Type):
        return obj.dtype
    if isinstance(obj, Type):
        return obj
    return to_dtype(type(obj))


def is_float(t):
    return t.kind == "f"


def is_int(t):
    return t.kind in "iu"


def is_complex(t):
    return t.kind == "c"


def promote(a, b):
    """Promotion of two tensor dtypes, as MindSpore (and PyTorch) do it."""
    if a is b:
        return a
    if a.kind == b.kind:
        if a.kind == "f" and {a, b} == {float16, bfloat16}:
            return float32
        return a if a.rank > b.rank else b
    if a.kind == "b":
        return b
    if b.kind == "b":
        return a
    kinds = a.kind + b.kind
    if kinds in ("ui", "iu"):
        u, s = (a, b) if a.kind == "u" else (b, a)
        if s.itemsize > u.itemsize:
            return s
        return {1: int16, 2: int32, 4: int64}.get(u.itemsize, int64)
    order = "buifc"
    hi, lo = (a, b) if order.index(a.kind) > order.index(b.kind) else (b, a)
    if hi.kind == "c" and lo is float64:
        return complex128
    return hi


def promote_scalar(t, scalar):
    """Type of ``tensor(t) op python_scalar``: the tensor keeps its type unless the scalar is of a
    higher kind (an int tensor with a float scalar gives float32)."""
    if isinstance(scalar, bool):
        return t
    if isinstance(scalar, int):
        return int64 if t.kind == "b" else t
    if isinstance(scalar, float):
        return t if t.kind in "fc" else float32
    if isinstance(scalar, complex):
        return t if t.kind == "c" else complex64
    return t


class QuantDtype:
    """Quantization data types (MindSpore's ``QuantDtype`` enum)."""

    INT2 = "INT2"
    INT3 = "INT3"
    INT4 = "INT4"
    INT8 = "INT8"
    UINT8 = "UINT8"
