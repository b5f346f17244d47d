"""Tensor's operators and methods, bound to the functional ops by name (one place, so that Tensor
itself stays small and knows nothing of the op table).

Binding happens when ``sporen.ops`` is imported: a method whose op does not exist (yet) is simply
not bound, so ops added later make their methods appear with no edit here. ``unbound()`` lists the
MindSpore Tensor methods that are still missing."""
import numbers

import numpy as np

from .. import dtype as mstype
from ..tensor import Tensor
from ..autodiff import tape as _tape
from . import functional as F

__all__ = ["install", "unbound", "BOUND"]

BOUND = set()  # names this module attached to Tensor

# Methods whose MindSpore signature is the functional op's with ``input`` = the tensor: bound as is.
_SAME = """
abs absolute acos acosh add addbmm addcdiv addcmul addmm addmv addr adjoint allclose angle
approximate_equal arccos arccosh arcsin arcsinh arctan arctan2 arctanh argsort argwhere asin asinh
atan atan2 atanh baddbmm bernoulli bincount bitwise_and bitwise_left_shift bitwise_not bitwise_or
bitwise_right_shift bitwise_xor bmm broadcast_to ceil cholesky cholesky_inverse cholesky_solve chunk
col2im conj copysign cos cosh count_nonzero cov cross cummax cummin cumprod deg2rad det diag diagflat
diagonal diagonal_scatter diff digamma div divide dot dsplit eigvals eq equal erf erfc erfinv exp
expm1 flip fliplr flipud float_power floor floor_divide fmax fmin fmod frac gather gather_elements
gather_nd gcd ge geqrf ger greater aminmax greater_equal gt hardshrink heaviside histc hsplit hypot i0 igamma
igammac imag index_add index_fill index_put index_select inner inv inverse invert isclose isfinite
isinf isnan isneginf isposinf isreal kthvalue lcm ldexp le lerp less less_equal lgamma log log10
log1p log2 log_matrix_determinant logaddexp logaddexp2 logcumsumexp logdet logical_and logical_not
logical_or logical_xor logit logsumexp lstsq lt lu_solve masked_fill masked_scatter masked_select
matmul matrix_determinant matrix_power maximum median minimum mm moveaxis movedim msort mul
multinomial multiply mvlgamma nan_to_num nanmean nanmedian nanquantile nansum narrow ne neg negative
nextafter nonzero norm not_equal orgqr ormqr outer positive pow qr quantile rad2deg
random_categorical real reciprocal remainder renorm repeat_interleave reverse reverse_sequence roll
rot90 round rsqrt scatter scatter_add scatter_div scatter_max scatter_min scatter_mul scatter_sub
searchsorted select_scatter sgn sigmoid sign signbit sin sinc sinh slice_scatter slogdet soft_shrink
softmax sort split sqrt square sub subtract svd t tan tanh tensor_split tile top_k topk
tril triu true_divide trunc unbind unfold unique_consecutive unique_with_pad unsorted_segment_max
unsorted_segment_min unsorted_segment_prod unsqueeze vsplit xdivy xlogy
""".split()

# MindSpore method name -> functional op of another name (same arguments)
_RENAMED = {
    "clamp": "clamp", "clip": "clamp", "negative": "neg", "divide": "div", "multiply": "mul",
    "subtract": "sub", "true_divide": "div", "absolute": "abs", "arccos": "acos", "arcsin": "asin",
    "arctan": "atan", "arccosh": "acosh", "arcsinh": "asinh", "arctanh": "atanh", "arctan2": "atan2",
    "eq": "equal", "ne": "not_equal", "gt": "greater", "ge": "greater_equal", "lt": "less",
    "le": "less_equal", "top_k": "topk", "soft_shrink": "softshrink", "reverse": "flip",
    "inv": "reciprocal", "matrix_determinant": "det", "log_matrix_determinant": "slogdet",
}

_INPLACE_OPERATORS = {"__iadd__": "add", "__isub__": "sub", "__imul__": "mul", "__itruediv__": "div",
                      "__ifloordiv__": "floor_divide", "__imod__": "remainder", "__ipow__": "pow",
                      "__imatmul__": "matmul", "__iand__": "bitwise_and", "__ior__": "bitwise_or",
                      "__ixor__": "bitwise_xor", "__ilshift__": "bitwise_left_shift",
                      "__irshift__": "bitwise_right_shift"}


def _op(name):
    return getattr(F, name, None)


# --- operators --------------------------------------------------------------------------------
def _reflected(fn):
    def r(self, other):
        return fn(other, self)
    r.__name__ = "__r" + fn.__name__ + "__"
    return r


_COMPARABLE = (Tensor, numbers.Number, np.generic, np.ndarray)


def _eq(self, other):
    # MindSpore answers False (not a tensor) for None, strings and other non-numbers
    if not isinstance(other, _COMPARABLE):
        return False
    return F.equal(self, other)


def _ne(self, other):
    if not isinstance(other, _COMPARABLE):
        return True
    return F.not_equal(self, other)


def _pos(self):
    return self


def _bool_or(bitwise, logical):
    """``&``, ``|``, ``^``: bitwise on integers, logical on Bool tensors."""
    fb = _op(bitwise)
    fl = _op(logical)

    def fn(self, other):
        if fb is not None:
            return fb(self, other)
        return fl(self, other)
    return fn


def _invert(self):
    if self.dtype is mstype.bool_:
        return F.logical_not(self)
    return F.bitwise_not(self)


def _operators():
    table = {"__eq__": _eq, "__ne__": _ne, "__pos__": _pos}
    pairs = {"__add__": "add", "__sub__": "sub", "__mul__": "mul", "__truediv__": "div",
             "__floordiv__": "floor_divide", "__mod__": "remainder", "__pow__": "pow",
             "__matmul__": "matmul", "__lshift__": "bitwise_left_shift",
             "__rshift__": "bitwise_right_shift"}
    for dunder, name in pairs.items():
        fn = _op(name)
        if fn is not None:
            table[dunder] = fn
            table["__r" + dunder[2:]] = _reflected(fn)
    for dunder, name in (("__neg__", "neg"), ("__abs__", "abs")):
        if _op(name) is not None:
            table[dunder] = _op(name)
    for dunder, (bitwise, logical) in {"__and__": ("bitwise_and", "logical_and"),
                                       "__or__": ("bitwise_or", "logical_or"),
                                       "__xor__": ("bitwise_xor", "logical_xor")}.items():
        if _op(bitwise) is not None or _op(logical) is not None:
            fn = _bool_or(bitwise, logical)
            table[dunder] = fn
            table["__r" + dunder[2:]] = _reflected(fn)
    if _op("bitwise_not") is not None or _op("logical_not") is not None:
        table["__invert__"] = _invert
    for dunder, name in (("__lt__", "less"), ("__le__", "less_equal"), ("__gt__", "greater"),
                         ("__ge__", "greater_equal")):
        if _op(name) is not None:
            table[dunder] = _op(name)
    return table


# --- in place: compute out of place, then rebind the data (MindSpore's semantics) ---------------
def _rebind_on_tapes(self, result):
    """Keep the gradient tapes right when ``self`` takes ``result``'s value: earlier records of
    ``self`` now mean its old value, and ``self`` stands for ``result`` from here on."""
    sid = id(self)
    rid = id(result)
    for tape in _tape.TAPES:
        if sid not in tape.tracked and rid not in tape.tracked:
            continue
        for k in tape.keep:
            if k is self:
                raise RuntimeError("an in-place operation cannot modify a tensor that a gradient is "
                                   "being taken with respect to; use the out-of-place form")
        old = Tensor._wrap(self._data)
        tape.substitute({sid: old, rid: self})
        was_tracked = sid in tape.tracked
        if was_tracked:
            tape.tracked.add(id(old))
            tape.keep.append(old)
        tape.tracked.discard(sid)
        if rid in tape.tracked:
            tape.tracked.discard(rid)
            tape.tracked.add(sid)


def _assign_result(self, result, keep=True):
    """Make ``self`` hold ``result``; returns self. With ``keep`` (the ``add_``-style methods) self's
    shape and dtype stay, as in MindSpore's in-place ops; without it (``x += y``) self takes the
    result's dtype and shape, so values match MindSpore's ``x = x + y``."""
    if not isinstance(result, Tensor):
        result = Tensor(result, self.dtype)
    if keep:
        if result.dtype is not self.dtype:
            result = F.cast(result, self.dtype)
        if result.shape != self.shape:
            result = F.broadcast_to(result, self.shape)
    if _tape.TAPES:
        _rebind_on_tapes(self, result)
    self._data = result._data
    return self


def _inplace_operator(name):
    fn = _op(name)

    def op(self, other):
        return _assign_result(self, fn(self, other), keep=False)
    op.__name__ = name
    return op


def _inplace_method(method_name):
    def op(self, *args, **kwargs):
        return _assign_result(self, getattr(Tensor, method_name)(self, *args, **kwargs))
    op.__name__ = method_name + "_"
    op.__doc__ = f"In-place ``{method_name}``: the result replaces this tensor's data; returns self."
    return op


# --- methods whose signature differs from the functional op ----------------------------------
def _shape_args(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    if len(shape) == 1 and isinstance(shape[0], Tensor):
        return tuple(shape[0].tolist())
    return shape


def reshape(self, *shape):
    """``Tensor.reshape(*shape)``: shape as separate ints or one tuple."""
    return F.reshape(self, _shape_args(shape))


def view_as(self, other):
    """This tensor reshaped to ``other``'s shape."""
    return F.reshape(self, other.shape)


def transpose(self, *axes, dim0=None, dim1=None):
    """``Tensor.transpose(*axes)`` (no axes reverses them), or MindSpore 2.x's other form
    ``transpose(dim0, dim1)``: two dims of a tensor that has more or fewer than 2 are swapped."""
    if dim0 is not None or dim1 is not None:
        return swapaxes(self, dim0, dim1)
    axes = _shape_args(axes)
    if not axes:
        axes = tuple(range(self.ndim - 1, -1, -1))
    elif len(axes) == 2 and self.ndim != 2:
        return swapaxes(self, axes[0], axes[1])
    return F.transpose(self, tuple(axes))


def permute(self, *axis):
    """``Tensor.permute(*axis)``."""
    return F.transpose(self, tuple(_shape_args(axis)))


def expand_dims(self, axis):
    return F.expand_dims(self, axis)


def squeeze(self, axis=None, *, dim=None):
    return F.squeeze(self, axis if dim is None else dim)


def flatten(self, order="C", *args, start_dim=0, end_dim=-1):
    """``Tensor.flatten(order='C', *, start_dim=0, end_dim=-1)``, or MindSpore 2.x's other form
    ``flatten(start_dim=0, end_dim=-1)`` with the dims given by position."""
    if isinstance(order, int) and not isinstance(order, bool):
        start_dim = order
        order = "C"
        if args:
            end_dim = args[0]
    if order not in ("C", "F"):
        raise ValueError(f"Tensor.flatten: 'order' must be 'C' or 'F', got {order!r}")
    x = self
    if order == "F":
        x = transpose(self)
    nd = x.ndim
    if nd == 0:
        return F.reshape(x, (1,))
    s = start_dim % nd
    e = end_dim % nd
    if s > e:
        raise ValueError(f"Tensor.flatten: 'start_dim' {start_dim} must not come after 'end_dim' {end_dim}")
    shape = x.shape[:s] + (-1,) + x.shape[e + 1:]
    return F.reshape(x, shape)


def ravel(self):
    return F.reshape(self, (-1,))


def swapaxes(self, axis0, axis1):
    perm = list(range(self.ndim))
    perm[axis0], perm[axis1] = perm[axis1], perm[axis0]
    return F.transpose(self, tuple(perm))


def astype(self, dtype, copy=True):
    """A copy converted to ``dtype`` (the same tensor when ``copy=False`` and the dtype matches)."""
    t = mstype.to_dtype(dtype)
    if self.dtype is t:
        return copy_(self) if copy else self
    return F.cast(self, t)


def to(self, dtype, non_blocking=False, copy=False):
    """Convert to ``dtype`` (sporen runs where the data is; device strings are accepted)."""
    if isinstance(dtype, str) and dtype.upper() in ("CPU", "GPU", "ASCEND", "CUDA"):
        return self
    return F.cast(self, mstype.to_dtype(dtype))


def type_(self, dtype=None):
    """``Tensor.type(dtype=None)``: the dtype's name, or a converted tensor."""
    if dtype is None:
        return str(self.dtype)
    return F.cast(self, mstype.to_dtype(dtype))


def type_as(self, other):
    return F.cast(self, other.dtype)


def _converter(dtype):
    def conv(self, memory_format=None):
        return F.cast(self, dtype)
    conv.__doc__ = f"This tensor converted to {dtype}."
    return conv


def copy_(self, src=None, non_blocking=False):
    """``copy()`` with no argument: a new tensor with a copy of the data. ``copy_(src)``: write
    ``src`` into this tensor."""
    if src is None:
        return Tensor._wrap(self._array().copy())
    return _assign_result(self, src if isinstance(src, Tensor) else Tensor(src))


def clone(self):
    """A copy of this tensor; gradients flow to the original."""
    if _op("clone") is not None:
        return F.clone(self)
    return F.mul(self, 1)


def fill(self, value):
    """A new tensor of this shape and dtype filled with ``value`` (MindSpore returns a new tensor)."""
    if isinstance(value, Tensor):
        value = value.item()
    return Tensor._wrap(np.full(self.shape, value, dtype=self.dtype.np))


def fill_(self, value):
    """Fill this tensor with ``value`` in place; returns self."""
    return _assign_result(self, fill(self, value))


def zero_(self):
    """Set every element to 0 in place; returns self."""
    return _assign_result(self, Tensor._wrap(np.zeros(self.shape, dtype=self.dtype.np)))


def new_zeros(self, size, dtype=None):
    return Tensor._wrap(np.zeros(_size(size), dtype=_np_dtype(self, dtype)))


def new_ones(self, size, dtype=None):
    return Tensor._wrap(np.ones(_size(size), dtype=_np_dtype(self, dtype)))


def new_full(self, size, fill_value, *, dtype=None):
    npd = _np_dtype(self, dtype)
    return Tensor._wrap(np.full(_size(size), fill_value, dtype=npd))


def new_empty(self, size, *, dtype=None, device=None):
    return new_zeros(self, size, dtype)


def _np_dtype(self, dtype):
    return mstype.to_dtype(dtype).np if dtype is not None else self.dtype.np


def _size(size):
    if isinstance(size, int):
        return (size,)
    return tuple(size)


def expand_as(self, other):
    return F.broadcast_to(self, other.shape)


def reshape_as(self, other):
    return F.reshape(self, other.shape)


def _alias(value, alias):
    """MindSpore 2.x methods take two spellings (axis/dim, keepdims/keepdim): the one given wins."""
    return value if alias is None else alias


def sum_(self, axis=None, dtype=None, keepdims=False, initial=None, *, dim=None, keepdim=None):
    """``Tensor.sum(axis=None, dtype=None, keepdims=False, initial=None)``, or the 2.x form
    ``sum(dim=None, keepdim=False, *, dtype=None)`` (a bool second argument is keepdim)."""
    if isinstance(dtype, bool):
        keepdims, dtype = dtype, None
    axis = _alias(axis, dim)
    keepdims = _alias(keepdims, keepdim)
    out = F.sum(self, _axis(axis), keepdims, dtype=dtype)
    if initial is not None:
        out = F.add(out, initial)
    return out


def mean(self, axis=None, keep_dims=False, *, dim=None, keepdim=None, dtype=None):
    """``Tensor.mean(axis=None, keep_dims=False)``, or the 2.x form ``mean(dim, keepdim, *, dtype)``."""
    x = self if dtype is None else F.cast(self, dtype)
    return F.mean(x, _axis(_alias(axis, dim)), _alias(keep_dims, keepdim))


def _extreme(name, amax_name):
    def method(self, axis=None, keepdims=False, *, initial=None, where=None, return_indices=False,
               dim=None, keepdim=None):
        if isinstance(axis, Tensor):  # the 2.x form max(other): elementwise
            return getattr(F, "maximum" if name == "max" else "minimum")(self, axis)
        if dim is not None:  # the 2.x form max(dim, keepdim): (values, indices)
            return getattr(F, name)(self, dim, _alias(keepdims, keepdim))
        keepdims = _alias(keepdims, keepdim)
        if return_indices:
            return getattr(F, name)(self, axis, keepdims, initial=initial, where=where)
        if initial is None and where is None:
            return getattr(F, amax_name)(self, _axis(axis), keepdims)
        values, _ = getattr(F, name)(self, axis, keepdims, initial=initial, where=where)
        return values
    method.__name__ = name
    method.__doc__ = (f"``Tensor.{name}(axis=None, keepdims=False, *, initial=None, where=None, "
                      f"return_indices=False)``: the values, or (values, indices).")
    return method


def _axis(axis):
    if isinstance(axis, list):
        return tuple(axis)
    return axis


def argmax(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
    return F.argmax(self, _alias(axis, dim), _alias(keepdims, keepdim))


def argmin(self, axis=None, keepdims=False, *, dim=None, keepdim=None):
    return F.argmin(self, _alias(axis, dim), _alias(keepdims, keepdim))


def argmax_with_value(self, axis=0, keep_dims=False):
    values, index = F.max(self, axis, keep_dims)
    return index, values


def argmin_with_value(self, axis=0, keep_dims=False):
    values, index = F.min(self, axis, keep_dims)
    return index, values


def prod(self, axis=None, keep_dims=False, dtype=None, *, dim=None, keepdim=None):
    x = self if dtype is None else F.cast(self, dtype)
    return F.prod(x, _axis(_alias(axis, dim)), _alias(keep_dims, keepdim))


def all_(self, axis=None, keep_dims=False, *, dim=None, keepdim=None):
    return F.all(self, _axis(_alias(axis, dim)), _alias(keep_dims, keepdim))


def any_(self, axis=None, keep_dims=False, *, dim=None, keepdim=None):
    return F.any(self, _axis(_alias(axis, dim)), _alias(keep_dims, keepdim))


def amax(self, axis=None, keepdims=False, *, initial=None, where=None, dim=None, keepdim=None):
    return F.amax(self, _axis(_alias(axis, dim)), _alias(keepdims, keepdim), initial=initial,
                  where=where)


def amin(self, axis=None, keepdims=False, *, initial=None, where=None, dim=None, keepdim=None):
    return F.amin(self, _axis(_alias(axis, dim)), _alias(keepdims, keepdim), initial=initial,
                  where=where)


def std(self, axis=None, ddof=0, keepdims=False, *, dim=None, correction=None, keepdim=None):
    """``Tensor.std(axis=None, ddof=0, keepdims=False)``, or ``std(dim=None, *, correction=1, keepdim=False)``."""
    if dim is not None or correction is not None or keepdim is not None:
        ddof = 1 if correction is None else correction
    return F.std(self, _axis(_alias(axis, dim)), ddof=ddof, keepdims=_alias(keepdims, keepdim))


def var(self, axis=None, ddof=0, keepdims=False, *, dim=None, correction=None, keepdim=None):
    """``Tensor.var(axis=None, ddof=0, keepdims=False)``, or ``var(dim=None, *, correction=1, keepdim=False)``."""
    if dim is not None or correction is not None or keepdim is not None:
        ddof = 1 if correction is None else correction
    return F.var(self, _axis(_alias(axis, dim)), ddof=ddof, keepdims=_alias(keepdims, keepdim))


def ptp(self, axis=None, keepdims=False):
    return F.sub(F.amax(self, _axis(axis), keepdims), F.amin(self, _axis(axis), keepdims))


def cumsum(self, axis=None, dtype=None, *, dim=None):
    axis = _alias(axis, dim)
    x = self if axis is not None else F.reshape(self, (-1,))
    return F.cumsum(x, 0 if axis is None else axis, dtype=dtype)


def trace(self, offset=0, axis1=0, axis2=1, dtype=None):
    out = F.sum(F.diagonal(self, offset, axis1, axis2), -1)
    return out if dtype is None else F.cast(out, dtype)


def repeat(self, repeats, axis=None):
    """NumPy's ``repeat``: each element ``repeats`` times along ``axis`` (flattened if None)."""
    return F.repeat_interleave(self, repeats, axis)


def expand(self, *size):
    """``Tensor.expand(*size)``: broadcast to ``size`` (-1 keeps a dimension)."""
    return F.broadcast_to(self, tuple(_shape_args(size)))


def where(self, condition, y):
    """``Tensor.where(condition, y)``: this tensor where condition holds, else y."""
    if not isinstance(y, Tensor):
        y = Tensor(y, self.dtype)
    return F.select(condition, self, y)


def approximate_equal(self, other, tolerance=1e-5):
    """``|self - other| < tolerance``, elementwise."""
    return F.less(F.abs(F.sub(self, other)), tolerance)


def sum_to_size(self, *size):
    """Sum this tensor down to ``size`` (the inverse of broadcasting to this tensor's shape)."""
    size = tuple(_shape_args(size))
    lead = self.ndim - len(size)
    if lead < 0:
        raise ValueError(f"Tensor.sum_to_size: 'size' {list(size)} has more dims than the tensor "
                         f"{list(self.shape)}")
    out = F.sum(self, tuple(range(lead))) if lead else self
    axes = tuple(i for i, s in enumerate(size) if s == 1 and out.shape[i] != 1)
    for i, s in enumerate(size):
        if s != 1 and s != out.shape[i]:
            raise ValueError(f"Tensor.sum_to_size: cannot sum shape {list(self.shape)} to {list(size)}")
    if axes:
        out = F.sum(out, axes, True)
    return out


def msort(self):
    """Sorted along the first axis."""
    return F.sort(self, 0)[0]


def add(self, other, *, alpha=1):
    if alpha != 1:
        other = F.mul(other, alpha)
    return F.add(self, other)


def sub(self, other, *, alpha=1):
    if alpha != 1:
        other = F.mul(other, alpha)
    return F.sub(self, other)


def item_set(self, *args):
    """``Tensor.itemset(*args)``: a new tensor with one element set (numpy's ``itemset``); this
    tensor is unchanged, as in MindSpore."""
    if not args or len(args) > 2:
        raise TypeError(f"Tensor.itemset: expected (value) or (index, value), got {len(args)} arguments")
    arr = self._array().copy()
    if len(args) == 1:
        if arr.size != 1:
            raise IndexError("Tensor.itemset: a single value can only be set in a tensor of one element")
        arr.reshape(-1)[0] = args[0]
    elif isinstance(args[0], int):
        arr.reshape(-1)[args[0]] = args[1]
    else:
        if len(args[0]) != arr.ndim:
            raise ValueError(f"Tensor.itemset: the index {args[0]} must have {arr.ndim} entries")
        arr[tuple(args[0])] = args[1]
    return Tensor._wrap(arr)


def ndimension(self):
    return self.ndim


def uniform_(self, from_=0, to=1, *, generator=None):
    """Fill with samples of U[from_, to) in place (sporen's global seed)."""
    r = F.rand_like(self)
    return _assign_result(self, F.add(F.mul(r, to - from_), from_))


def normal_(self, mean=0, std=1, *, generator=None):
    """Fill with samples of N(mean, std^2) in place."""
    r = F.randn_like(self)
    return _assign_result(self, F.add(F.mul(r, std), mean))


def is_floating_point(self):
    return self.dtype.kind == "f"


def is_signed(self):
    return self.dtype.kind in "ifc"


def is_complex(self):
    return self.dtype.kind == "c"


def value(self):
    """The tensor itself (MindSpore's ``Tensor.value()``; a Parameter returns its data)."""
    return self


# name -> (function, ops it needs)
_ADAPTERS = {
    "reshape": (reshape, ("reshape",)), "view": (reshape, ("reshape",)),
    "view_as": (view_as, ("reshape",)), "reshape_as": (reshape_as, ("reshape",)),
    "transpose": (transpose, ("transpose",)), "permute": (permute, ("transpose",)),
    "expand_dims": (expand_dims, ("expand_dims",)), "squeeze": (squeeze, ("squeeze",)),
    "flatten": (flatten, ("reshape", "transpose")), "ravel": (ravel, ("reshape",)),
    "swapaxes": (swapaxes, ("transpose",)), "swapdims": (swapaxes, ("transpose",)),
    "astype": (astype, ("cast",)), "to": (to, ("cast",)), "type": (type_, ("cast",)),
    "type_as": (type_as, ("cast",)),
    "float": (_converter(mstype.float32), ("cast",)), "half": (_converter(mstype.float16), ("cast",)),
    "double": (_converter(mstype.float64), ("cast",)), "int": (_converter(mstype.int32), ("cast",)),
    "long": (_converter(mstype.int64), ("cast",)), "short": (_converter(mstype.int16), ("cast",)),
    "byte": (_converter(mstype.uint8), ("cast",)), "bool": (_converter(mstype.bool_), ("cast",)),
    "bfloat16": (_converter(mstype.bfloat16), ("cast",)),
    "copy": (copy_, ()), "copy_": (copy_, ("broadcast_to", "cast")), "clone": (clone, ("mul",)),
    "fill": (fill, ()), "fills": (fill, ()), "fill_": (fill_, ("broadcast_to", "cast")),
    "zero_": (zero_, ("broadcast_to", "cast")),
    "new_zeros": (new_zeros, ()), "new_ones": (new_ones, ()), "new_full": (new_full, ()),
    "new_empty": (new_empty, ()), "expand_as": (expand_as, ("broadcast_to",)),
    "sum": (sum_, ("sum", "add")), "mean": (mean, ("mean",)),
    "max": (_extreme("max", "amax"), ("max", "amax")), "min": (_extreme("min", "amin"), ("min", "amin")),
    "argmax": (argmax, ("argmax",)), "argmin": (argmin, ("argmin",)),
    "argmax_with_value": (argmax_with_value, ("max",)), "argmin_with_value": (argmin_with_value, ("min",)),
    "prod": (prod, ("prod", "cast")), "all": (all_, ("all",)), "any": (any_, ("any",)),
    "amax": (amax, ("amax",)), "amin": (amin, ("amin",)), "std": (std, ("std",)), "var": (var, ("var",)),
    "ptp": (ptp, ("amax", "amin", "sub")), "cumsum": (cumsum, ("cumsum", "reshape")),
    "trace": (trace, ("diagonal", "sum")), "repeat": (repeat, ("repeat_interleave",)),
    "expand": (expand, ("broadcast_to",)),
    "where": (where, ("select",)), "approximate_equal": (approximate_equal, ("less", "abs", "sub")),
    "sum_to_size": (sum_to_size, ("sum",)), "msort": (msort, ("sort",)),
    "add": (add, ("add", "mul")), "sub": (sub, ("sub", "mul")),
    "itemset": (item_set, ()), "ndimension": (ndimension, ()),
    "is_floating_point": (is_floating_point, ()), "is_signed": (is_signed, ()),
    "is_complex": (is_complex, ()), "value": (value, ()),
    "uniform_": (uniform_, ("rand_like", "add", "mul", "broadcast_to", "cast")),
    "normal_": (normal_, ("randn_like", "add", "mul", "broadcast_to", "cast")),
}

# in-place methods: name_ = name computed, then written back
_INPLACE_METHODS = """
add_ addmm_ clamp_ div_ erfinv_ exp_ floor_ floor_divide_ index_add_ index_fill_ index_put_ log_
masked_fill_ masked_scatter_ mul_ remainder_ scatter_ scatter_add_ sigmoid_ sign_ sub_ tanh_
fill_diagonal_ bernoulli_
""".split()


# --- properties -------------------------------------------------------------------------------
def _T(self):
    return F.transpose(self, tuple(range(self.ndim - 1, -1, -1)))


def _mT(self):
    if self.ndim < 2:
        raise ValueError(f"Tensor.mT: the tensor must have at least 2 dims, got {self.ndim}")
    return swapaxes(self, -1, -2)


def _H(self):
    out = _T(self)
    return F.conj(out) if self.dtype.kind == "c" else out


def _mH(self):
    out = _mT(self)
    return F.conj(out) if self.dtype.kind == "c" else out


_PROPERTIES = {"T": (_T, ("transpose",)), "mT": (_mT, ("transpose",)), "H": (_H, ("transpose", "conj")),
               "mH": (_mH, ("transpose", "conj"))}

# plain facts MindSpore exposes that sporen's Tensor answers with constants
_CONST_PROPERTIES = {"const_arg": False, "init": None, "init_flag": False, "init_finished": True,
                     "is_meta": False, "virtual_flag": False, "symbolic_shape": None}


def _has_all(names):
    for n in names:
        if _op(n) is None:
            return False
    return True


def _set(name, value):
    setattr(Tensor, name, value)
    BOUND.add(name)


def install():
    """Attach every operator, method and property whose ops exist."""
    for name, fn in _operators().items():
        _set(name, fn)
    Tensor.__hash__ = lambda self: id(self)
    for name, opname in _INPLACE_OPERATORS.items():
        if _op(opname) is not None:
            _set(name, _inplace_operator(opname))
    for name in _SAME:
        fn = _op(_RENAMED.get(name, name))
        if fn is not None:
            _set(name, fn)
    for name, opname in _RENAMED.items():
        fn = _op(opname)
        if fn is not None and name not in _ADAPTERS:
            _set(name, fn)
    for name, (fn, needs) in _ADAPTERS.items():
        if not _has_all(needs):
            continue
        _set(name, fn)
    from .tensor_methods_composite import COMPOSITES, OVERLOADS
    for name, (fn, needs) in OVERLOADS.items():
        if _has_all(needs):
            _set(name, fn)
    for name, (fn, needs) in COMPOSITES.items():
        if name not in BOUND and _has_all(needs):
            _set(name, fn)
    for name in _INPLACE_METHODS:
        base = name[:-1]
        if name in _ADAPTERS or name in BOUND:
            continue
        if hasattr(Tensor, base) and _has_all(("broadcast_to", "cast")):
            _set(name, _inplace_method(base))
    for name, (fn, needs) in _PROPERTIES.items():
        if _has_all(needs):
            _set(name, property(fn))
    for name, const in _CONST_PROPERTIES.items():
        if not hasattr(Tensor, name):
            _set(name, property(lambda self, v=const: v))
    if not hasattr(Tensor, "data"):
        _set("data", property(value, doc="The tensor itself (a Parameter's ``data`` is its value)."))
    if not hasattr(Tensor, "from_numpy"):
        from ..tensor import from_numpy
        _set("from_numpy", staticmethod(from_numpy))
    _install_indexing()


def _install_indexing():
    from . import indexing
    get = getattr(indexing, "tensor_getitem", None)
    put = getattr(indexing, "tensor_setitem", None)
    if get is not None:
        _set("__getitem__", get)
    if put is not None:
        _set("__setitem__", put)


def unbound(names):
    """Those of ``names`` (MindSpore Tensor methods/properties) that Tensor lacks, sorted."""
    return sorted(n for n in names if not hasattr(Tensor, n))


install()
