"""Shape and movement primitives: reshape, transpose, broadcast, concat, slicing, gather/scatter..."""
import numpy as np

from . import _rules as R
from ._helpers import check_tensor
from .registry import Aval, register

__all__ = ["reshape", "broadcast_to"]


def _reshape_rule(x, shape):
    if int(np.prod(shape)) != int(np.prod(x.shape)):
        raise ValueError(f"reshape: cannot reshape a tensor of shape {list(x.shape)} "
                         f"({int(np.prod(x.shape))} elements) to {list(shape)}")
    return Aval(shape, x.dtype)


reshape_p = register("reshape", infer=_reshape_rule, kernel=lambda x, shape: np.reshape(x, shape),
                     bprop=lambda x, out, dout, shape: (reshape_p(dout, shape=x.shape),),
                     family="movement")


def _resolve_shape(name, shape, size):
    if isinstance(shape, int):
        shape = (shape,)
    shape = tuple(int(s) for s in shape)
    if shape.count(-1) > 1:
        raise ValueError(f"{name}: 'shape' can hold at most one -1, got {list(shape)}")
    if -1 in shape:
        known = 1
        for s in shape:
            if s != -1:
                known *= s
        if known == 0 or size % known:
            raise ValueError(f"{name}: cannot reshape {size} elements to {list(shape)}")
        shape = tuple(size // known if s == -1 else s for s in shape)
    for s in shape:
        if s < 0:
            raise ValueError(f"{name}: 'shape' must hold non-negative sizes (or one -1), got {list(shape)}")
    return shape


def reshape(input, shape):
    """A tensor with ``input``'s data in a new ``shape`` (one -1 is inferred)."""
    check_tensor("reshape", input)
    if not isinstance(shape, (tuple, list, int)):
        if hasattr(shape, "tolist"):
            shape = tuple(shape.tolist())
        else:
            raise TypeError(f"reshape: 'shape' must be a tuple of ints, got {type(shape).__name__}")
    shape = _resolve_shape("reshape", shape, input.size)
    if shape == input.shape:
        return input
    if int(np.prod(shape)) != input.size:
        raise ValueError(f"reshape: cannot reshape a tensor of shape {list(input.shape)} "
                         f"({input.size} elements) to {list(shape)}")
    return reshape_p(input, shape=shape)


def _broadcast_to_rule(x, shape):
    try:
        out = np.broadcast_shapes(x.shape, shape)
    except ValueError:
        out = None
    if out != tuple(shape):
        raise ValueError(f"broadcast_to: cannot broadcast shape {list(x.shape)} to {list(shape)}")
    return Aval(shape, x.dtype)


def _broadcast_to_bprop(x, out, dout, shape):
    from ._helpers import unbroadcast
    return (unbroadcast(dout, x.shape),)


broadcast_to_p = register("broadcast_to", infer=_broadcast_to_rule,
                          kernel=lambda x, shape: np.broadcast_to(x, shape),
                          bprop=_broadcast_to_bprop, family="movement")


def broadcast_to(input, shape):
    """``input`` broadcast to ``shape`` (-1 keeps that dimension)."""
    check_tensor("broadcast_to", input)
    shape = tuple(int(s) for s in shape)
    nd = len(shape) - input.ndim
    if nd < 0:
        raise ValueError(f"broadcast_to: 'shape' {list(shape)} has fewer dims than the input {list(input.shape)}")
    shape = tuple(input.shape[i - nd] if s == -1 else s for i, s in enumerate(shape))
    if shape == input.shape:
        return input
    _broadcast_to_rule(Aval(input.shape, input.dtype), shape)
    return broadcast_to_p(input, shape=shape)
