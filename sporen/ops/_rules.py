"""Shape/dtype rules shared by many ops (an op's ``infer`` field). Each returns an Aval (or a
tuple of them) and raises TypeError/ValueError naming the op and argument on bad input."""
import numpy as np

from .. import dtype as mstype
from .registry import Aval

__all__ = ["same", "broadcast", "compare", "reduce", "float_unary", "infer_by_kernel",
           "normalize_axis", "normalize_axes", "check_same_dtype"]


def check_same_dtype(name, *avals):
    d = avals[0].dtype
    for i, a in enumerate(avals[1:], 1):
        if a.dtype is not d:
            raise TypeError(f"{name}: input {i} must have dtype {d} like input 0, got {a.dtype}")
    return d


def same(name):
    """Output has the input's shape and dtype."""
    def rule(x, **attrs):
        return Aval(x.shape, x.dtype)
    rule.__name__ = f"same[{name}]"
    return rule


def float_unary(name):
    """Same shape; the input must be a floating point or complex tensor."""
    def rule(x, **attrs):
        if x.dtype.kind not in "fc":
            raise TypeError(f"{name}: 'input' must be a float tensor, got {x.dtype}")
        return Aval(x.shape, x.dtype)
    rule.__name__ = f"float_unary[{name}]"
    return rule


def _broadcast_shapes(name, *shapes):
    # pure Python: np.broadcast_shapes builds arrays and costs ~10 us a call, and this rule runs
    # for every elementwise op at trace time and again in the verifier
    first = shapes[0]
    if all(s == first for s in shapes):
        return tuple(first)
    ndim = max(len(s) for s in shapes)
    out = [1] * ndim
    for s in shapes:
        offset = ndim - len(s)
        for i, d in enumerate(s):
            have = out[offset + i]
            if d == have or d == 1:
                continue
            if have != 1:
                raise ValueError(f"{name}: shapes {' and '.join(str(list(s)) for s in shapes)} cannot be "
                                 f"broadcast together")
            out[offset + i] = d
    return tuple(out)


def broadcast(name, out_dtype=None):
    """Broadcasting n-ary op; inputs share one dtype (the functional layer promotes)."""
    def rule(*avals, **attrs):
        d = check_same_dtype(name, *avals)
        shape = _broadcast_shapes(name, *(a.shape for a in avals))
        return Aval(shape, out_dtype or d)
    rule.__name__ = f"broadcast[{name}]"
    return rule


def compare(name):
    """Broadcasting op with a bool result."""
    return broadcast(name, out_dtype=mstype.bool_)


def normalize_axis(name, axis, ndim, argname="axis"):
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{name}: '{argname}' must be an int, got {type(axis).__name__}")
    lim = max(ndim, 1)
    if axis < -lim or axis >= lim:
        raise ValueError(f"{name}: '{argname}' must be in [{-lim}, {lim}), got {axis}")
    return int(axis) % lim


def normalize_axes(name, axis, ndim, argname="axis"):
    """None -> every axis; an int or a tuple -> a sorted tuple of non-negative axes."""
    if axis is None or axis == ():
        return tuple(range(ndim))
    if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
        return (normalize_axis(name, axis, ndim, argname),)
    if isinstance(axis, (tuple, list)):
        axes = tuple(sorted(normalize_axis(name, a, ndim, argname) for a in axis))
        if len(set(axes)) != len(axes):
            raise ValueError(f"{name}: '{argname}' has repeated axes: {axis}")
        return axes
    raise TypeError(f"{name}: '{argname}' must be an int, a tuple of ints or None, got {axis!r}")


def reduce(name, out_dtype=None):
    """Reduction over ``axis`` (normalised tuple) with ``keepdims``."""
    def rule(x, axis=None, keepdims=False, **attrs):
        axes = normalize_axes(name, axis, len(x.shape))
        if keepdims:
            shape = tuple(1 if i in axes else s for i, s in enumerate(x.shape))
        else:
            shape = tuple(s for i, s in enumerate(x.shape) if i not in axes)
        return Aval(shape, out_dtype or x.dtype)
    rule.__name__ = f"reduce[{name}]"
    return rule


def infer_by_kernel(kernel, nout=1):
    """A rule that runs the numpy kernel on zero-filled inputs: exact by construction, for ops whose
    output shape is a complex function of the inputs. Costs one kernel run (at compile time only)."""
    def rule(*avals, **attrs):
        arrays = [np.zeros(a.shape, dtype=a.dtype.np) for a in avals]
        out = kernel(*arrays, **attrs)
        if nout == 1:
            out = np.asarray(out)
            return Aval(out.shape, mstype.from_numpy_dtype(out.dtype))
        return tuple(Aval(np.shape(o), mstype.from_numpy_dtype(np.asarray(o).dtype)) for o in out)
    rule.__name__ = f"infer_by_kernel[{getattr(kernel, '__name__', 'kernel')}]"
    return rule
