"""Tensor methods MindSpore has that sporen computes from several ops (``Tensor.diff``, ``Tensor.take``,
``Tensor.fmax``, ``Tensor.matrix_power``, the random fills...). ``tensor_methods`` binds each one
whose ops exist; ``COMPOSITES`` maps a method name to (function, ops it needs) and fills gaps,
``OVERLOADS`` replaces direct bindings where MindSpore 2.x accepts a second form."""
import math

import numpy as np

from ..tensor import Tensor
from . import functional as F

__all__ = ["COMPOSITES", "OVERLOADS"]


# --- methods with two MindSpore 2.x forms (these replace the direct binding of the op) -----------
def _is_dim(v):
    return isinstance(v, int) and not isinstance(v, bool)


def gather(self, *args, **kwargs):
    """``Tensor.gather(input_indices, axis, batch_dims=0)``, or the 2.x form ``gather(dim, index)``
    (gathering along dim, as ``gather_elements``)."""
    if len(args) == 2 and _is_dim(args[0]) and isinstance(args[1], Tensor) and not kwargs:
        return F.gather_elements(self, args[0], args[1])
    if "dim" in kwargs and "index" in kwargs:
        return F.gather_elements(self, kwargs["dim"], kwargs["index"])
    return F.gather(self, *args, **kwargs)


def scatter_add(self, *args, **kwargs):
    """``Tensor.scatter_add(indices, updates)`` (a new tensor, as ``tensor_scatter_add``), or the
    2.x form ``scatter_add(dim, index, src)``."""
    if len(args) == 3 and _is_dim(args[0]):
        return F.tensor_scatter_elements(self, args[1], args[2], args[0], "add")
    if "dim" in kwargs:
        return F.tensor_scatter_elements(self, kwargs["index"], kwargs["src"], kwargs["dim"], "add")
    return F.tensor_scatter_add(self, *args, **kwargs)


def index_add(self, *args, alpha=1, **kwargs):
    """``Tensor.index_add(indices, y, axis, ...)``, or the 2.x form ``index_add(dim, index, source, *, alpha=1)``."""
    if len(args) == 3 and _is_dim(args[0]):
        dim, index, source = args
        if alpha != 1:
            source = F.mul(source, alpha)
        return F.index_add(self, index, source, dim)
    return F.index_add(self, *args, **kwargs)


def xdivy(self, other):
    """``self / other``, and 0 where self is 0."""
    zero = F.equal(self, 0)
    q = F.div(self, F.select(zero, F.ones_like(other) if isinstance(other, Tensor) else 1.0, other))
    return F.select(zero, F.zeros_like(q), q)


def _nan_aware(pick):
    def method(self, other):
        if not isinstance(other, Tensor):
            other = Tensor(other, self.dtype)
        picked = getattr(F, pick)(self, other)
        return F.select(F.isnan(self), other, F.select(F.isnan(other), self, picked))
    method.__name__ = "fmax" if pick == "maximum" else "fmin"
    method.__doc__ = f"Elementwise {pick}; a NaN loses to a number (NaN only where both are NaN)."
    return method


def sgn(self):
    """``sign`` for real tensors; ``x / |x|`` (0 at 0) for complex ones."""
    if self.dtype.kind != "c":
        return F.sign(self)
    mag = F.abs(self)
    zero = F.equal(mag, 0)
    safe = F.cast(F.select(zero, F.ones_like(mag), mag), self.dtype)
    out = F.div(self, safe)
    return F.select(zero, F.zeros_like(out), out)


def isreal(self):
    """True where the element has no imaginary part."""
    if self.dtype.kind != "c":
        return F.ones_like(F.cast(self, "bool"))
    return F.equal(F.imag(self), 0)


def logit(self, eps=None):
    """``log(x / (1 - x))``, with x clamped to [eps, 1 - eps] when eps is given."""
    x = self
    if eps is not None and eps >= 0:
        x = F.clamp(x, eps, 1 - eps)
    return F.log(F.div(x, F.sub(1, x)))


def diff(self, n=1, axis=-1, prepend=None, append=None):
    """The n-th forward difference along ``axis`` (NumPy's ``diff``)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"Tensor.diff: 'n' must be a non-negative int, got {n!r}")
    x = self
    parts = [t for t in (prepend, x, append) if t is not None]
    if len(parts) > 1:
        x = F.concat(tuple(parts), axis)
    for _ in range(n):
        size = x.shape[axis]
        if size == 0:
            break
        x = F.sub(F.narrow(x, axis, 1, size - 1), F.narrow(x, axis, 0, size - 1))
    return x


def take(self, indices, axis=None, mode="clip"):
    """Elements at ``indices`` (flattened when axis is None); out-of-range indices are clipped,
    wrapped or refused as ``mode`` says ('clip', 'wrap', 'raise')."""
    if mode not in ("clip", "wrap", "raise"):
        raise ValueError(f"Tensor.take: 'mode' must be 'clip', 'wrap' or 'raise', got {mode!r}")
    x = F.reshape(self, (-1,)) if axis is None else self
    ax = 0 if axis is None else axis
    n = x.shape[ax]
    if not isinstance(indices, Tensor):
        indices = Tensor(np.asarray(indices, dtype=np.int64))
    if mode == "raise":
        arr = indices.asnumpy()
        if arr.size and (arr.min() < -n or arr.max() >= n):
            raise IndexError(f"Tensor.take: an index is out of range for size {n}")
        indices = F.remainder(indices, n)
    elif mode == "wrap":
        indices = F.remainder(indices, n)
    else:
        indices = F.clamp(indices, 0, n - 1)
    return F.gather(x, indices, ax)


def matrix_power(self, n):
    """``self`` matrix-multiplied by itself n times (n < 0 uses the inverse)."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"Tensor.matrix_power: 'n' must be an int, got {type(n).__name__}")
    x = self
    if n < 0:
        x = F.matrix_inverse(x)
        n = -n
    if n == 0:
        eye = Tensor(np.broadcast_to(np.eye(self.shape[-1], dtype=self.dtype.np), self.shape).copy())
        return eye
    result = None
    base = x
    while n:
        if n & 1:
            result = base if result is None else F.matmul(result, base)
        n >>= 1
        if n:
            base = F.matmul(base, base)
    return result


def kthvalue(self, k, dim=-1, keepdim=False):
    """The k-th smallest value along ``dim`` and its index."""
    values, indices = F.sort(self, dim)
    v = F.narrow(values, dim, k - 1, 1)
    i = F.narrow(indices, dim, k - 1, 1)
    if not keepdim:
        v = F.squeeze(v, dim)
        i = F.squeeze(i, dim)
    return v, i


def diagflat(self, offset=0):
    """A 2-d tensor with the flattened input on diagonal ``offset``."""
    return F.diag_embed(F.reshape(self, (-1,)), offset)


def inplace_update(self, v, indices):
    """Rows ``indices`` replaced by ``v`` (MindSpore's ``Tensor.inplace_update``; returns a new tensor)."""
    if isinstance(indices, int):
        indices = (indices,)
    if isinstance(indices, Tensor):
        indices = indices.asnumpy()
    rows = Tensor(np.asarray(indices, dtype=np.int64).reshape(-1, 1))
    if v.ndim == self.ndim - 1:
        v = F.expand_dims(v, 0)
    return F.tensor_scatter_update(self, rows, v)


def resize(self, *new_shape):
    """A tensor of ``new_shape`` holding this tensor's elements in order, zero-filled when larger."""
    shape = new_shape[0] if len(new_shape) == 1 and isinstance(new_shape[0], (tuple, list)) else new_shape
    shape = tuple(int(s) for s in shape)
    n = math.prod(shape)
    flat = F.reshape(self, (-1,))
    size = flat.shape[0]
    if n > size:
        flat = F.pad(flat, (0, n - size))
    elif n < size:
        flat = F.narrow(flat, 0, 0, n)
    return F.reshape(flat, shape)


# --- random samples shaped like the tensor ---------------------------------------------------
def log_normal(self, mean=1.0, std=2.0):
    """Samples of exp(N(mean, std^2)), shaped and typed like this tensor."""
    return F.exp(F.add(F.mul(F.randn_like(self), std), mean))


def cauchy(self, median=0.0, sigma=1.0):
    """Samples of a Cauchy(median, sigma) distribution, shaped and typed like this tensor."""
    u = F.rand_like(self)
    return F.add(F.mul(F.tan(F.mul(F.sub(u, 0.5), math.pi)), sigma), median)


def exponential_(self, lambd=1.0, *, generator=None):
    """Fill with samples of Exp(lambd) in place; returns self."""
    from .tensor_methods import _assign_result
    u = F.rand_like(self)
    return _assign_result(self, F.div(F.neg(F.log(F.sub(1, u))), lambd))


def random_(self, from_=0, to=None, *, generator=None):
    """Fill with integers drawn uniformly from [from_, to) in place (to: the dtype's limit)."""
    from .tensor_methods import _assign_result
    if to is None:
        from_, to = (0, from_) if from_ else (0, 2 ** (min(self.dtype.itemsize * 8, 53) - 1))
    return _assign_result(self, F.randint_like(self, from_, to, dtype=self.dtype))


def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct elements (or slices along ``dim``), sorted or in order of first appearance;
    with the inverse indices (Int64) and the counts when asked."""
    arr = self.asnumpy()
    values, first, inverse, counts = np.unique(arr, return_index=True, return_inverse=True,
                                               return_counts=True, axis=dim)
    inverse = inverse.reshape(arr.shape if dim is None else (arr.shape[dim],))
    if not sorted:
        order = np.argsort(first, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        values = np.take(values, order, axis=0 if dim is None else dim)
        counts = counts[order]
        inverse = rank[inverse]
    out = [Tensor(np.ascontiguousarray(values))]
    if return_inverse:
        out.append(Tensor(inverse.astype(np.int64)))
    if return_counts:
        out.append(Tensor(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


def masked_scatter(self, mask, source):
    """This tensor with the places where ``mask`` holds filled, in order, from ``source``'s elements."""
    mask = F.broadcast_to(mask, self.shape)
    flat_mask = F.reshape(mask, (-1,))
    # the k-th True place takes source's k-th element
    position = F.sub(F.cumsum(F.cast(flat_mask, "int64"), 0), 1)
    position = F.clamp(position, 0, max(source.size - 1, 0))
    taken = F.gather(F.reshape(source, (-1,)), position, 0)
    return F.select(mask, F.reshape(taken, self.shape), self)


def adjoint(self):
    """The conjugate transpose of the last two dims."""
    out = F.swapaxes(self, -1, -2)
    return F.conj(out) if self.dtype.kind == "c" else out


def fill_diagonal(self, fill_value, wrap=False):
    """A copy with the main diagonal set to ``fill_value`` (all dims equal, or 2-d; ``wrap``
    restarts the diagonal below a tall matrix, as NumPy's)."""
    mask = np.zeros(self.shape, dtype=bool)
    np.fill_diagonal(mask, True, wrap=wrap)
    return F.select(Tensor(mask), F.full_like(self, fill_value), self)


def reverse_sequence(self, seq_lengths, seq_dim, batch_dim=0):
    """Reverse the first ``seq_lengths[b]`` entries along ``seq_dim`` of each batch entry b."""
    lengths = seq_lengths.asnumpy() if isinstance(seq_lengths, Tensor) else np.asarray(seq_lengths)
    n_seq = self.shape[seq_dim]
    steps = np.arange(n_seq)
    # index[b, t] = L_b - 1 - t inside the sequence, t after it
    index = np.where(steps[None, :] < lengths[:, None], lengths[:, None] - 1 - steps[None, :], steps[None, :])
    shape = [1] * self.ndim
    shape[batch_dim] = lengths.size
    shape[seq_dim] = n_seq
    if batch_dim > seq_dim:
        index = index.T
    index = np.broadcast_to(index.reshape(shape), self.shape).astype(np.int64)
    return F.gather_elements(self, seq_dim, Tensor(np.ascontiguousarray(index)))


def uniform(self, from_=0.0, to=1.0, generator=None):
    """Samples of U[from_, to), shaped and typed like this tensor (a new tensor)."""
    if from_ > to:
        raise TypeError(f"Tensor.uniform: 'from_' ({from_}) must not be larger than 'to' ({to})")
    return F.add(F.mul(F.rand_like(self), to - from_), from_)


def col2im(self, output_size, kernel_size, dilation, padding_value, stride):
    """Sum sliding blocks (N, C, kh*kw, L) back into an image (N, C, H, W): ``ops.col2im``."""
    n, c = self.shape[0], self.shape[1]
    cols = F.reshape(self, (n, c * self.shape[2], self.shape[3]))
    return F.fold(cols, output_size, kernel_size, dilation, padding_value, stride)


def put_(self, index, source, accumulate=False):
    """Write ``source`` at the flat positions ``index`` (added when ``accumulate``) in place; returns self."""
    from .tensor_methods import _assign_result
    flat = F.reshape(self, (-1,))
    rows = F.reshape(F.remainder(index, self.size), (-1, 1))
    values = F.reshape(source, (-1,))
    if accumulate:
        flat = F.tensor_scatter_add(flat, rows, values)
    else:
        flat = F.tensor_scatter_update(flat, rows, values)
    return _assign_result(self, F.reshape(flat, self.shape))


class _HookOp:
    """A tape record that hands the gradient flowing back through a tensor to a user's hook."""

    name = "tensor_hook"
    nout = 1
    needs = False

    def __init__(self, fn):
        self.fn = fn

    def bprop(self, x, out, dout):
        if self.fn is None:
            return (dout,)
        new = self.fn(dout)
        return (dout if new is None else new,)


class _HookHandle:
    """Returned by ``register_hook``; ``remove()`` turns the hook off."""

    def __init__(self, op):
        self._op = op

    def remove(self):
        self._op.fn = None


def register_hook(self, hook_fn):
    """Call ``hook_fn(grad)`` with the gradient of this tensor during the backward pass; a Tensor it
    returns replaces the gradient. sporen supports it on tensors computed inside the function being
    differentiated (MindSpore's documented use); returns a handle with ``remove()``."""
    if not callable(hook_fn):
        raise TypeError(f"Tensor.register_hook: 'hook_fn' must be a function, got {type(hook_fn).__name__}")
    from ..autodiff import tape as _tape
    tapes = [t for t in _tape.TAPES if id(self) in t.tracked]
    if not tapes:
        raise RuntimeError("Tensor.register_hook: this tensor is not computed inside a function that is being "
                           "differentiated; register the hook inside that function")
    for t in tapes:
        if any(k is self for k in t.keep):
            raise RuntimeError("Tensor.register_hook: hooks on the inputs being differentiated are not supported "
                               "in sporen yet; hook a tensor computed from them")
    op = _HookOp(hook_fn)
    old = Tensor._wrap(self._data)
    sid = id(self)
    for t in tapes:
        # earlier records of this tensor now mean `old`; from here on `self` is the hook's output
        t.substitute({sid: old})
        t.tracked.add(id(old))
        t.keep.append(old)
        t.entries.append((op, (old,), self, {}))
        t.tracked.add(sid)
    return _HookHandle(op)


def stride(self, dim=None):
    """The step, in elements, between neighbours along each dim (or along ``dim``)."""
    arr = self.asnumpy()
    steps = tuple(s // arr.itemsize for s in arr.strides)
    return steps if dim is None else steps[dim]


def storage_offset(self):
    """0: a sporen Tensor's data starts its buffer."""
    return 0


def data_ptr(self):
    """The address of the first element."""
    return self.asnumpy().ctypes.data


OVERLOADS = {
    "gather": (gather, ("gather", "gather_elements")),
    "scatter_add": (scatter_add, ("tensor_scatter_add", "tensor_scatter_elements")),
    "index_add": (index_add, ("index_add", "mul")),
}

COMPOSITES = {
    "unique": (unique, ()),
    "scatter_sub": (lambda self, indices, updates: F.tensor_scatter_sub(self, indices, updates),
                    ("tensor_scatter_sub",)),
    "masked_scatter": (masked_scatter, ("broadcast_to", "reshape", "cumsum", "cast", "sub", "clamp", "gather",
                                        "select")),
    "adjoint": (adjoint, ("swapaxes", "conj")),
    "fill_diagonal": (fill_diagonal, ("select", "full_like")),
    "reverse_sequence": (reverse_sequence, ("gather_elements",)),
    "fold": (lambda self, output_size, kernel_size, dilation=1, padding=0, stride=1: F.fold(
        self, output_size, kernel_size, dilation, padding, stride), ("fold",)),
    "uniform": (uniform, ("rand_like", "add", "mul")),
    "col2im": (col2im, ("reshape", "fold")),
    "put_": (put_, ("reshape", "remainder", "tensor_scatter_add", "tensor_scatter_update", "broadcast_to",
                    "cast")),
    "register_hook": (register_hook, ()),
    "stride": (stride, ()),
    "storage_offset": (storage_offset, ()),
    "data_ptr": (data_ptr, ()),
    "is_pinned": (lambda self: False, ()),
    "is_shared": (lambda self: False, ()),
    "pin_memory": (lambda self: self, ()),
    "xdivy": (xdivy, ("equal", "div", "select", "ones_like", "zeros_like")),
    "fmax": (_nan_aware("maximum"), ("maximum", "select", "isnan")),
    "fmin": (_nan_aware("minimum"), ("minimum", "select", "isnan")),
    "sgn": (sgn, ("sign", "abs", "div", "select", "equal", "cast")),
    "isreal": (isreal, ("ones_like", "cast", "equal", "imag")),
    "logit": (logit, ("clamp", "log", "div", "sub")),
    "diff": (diff, ("narrow", "sub", "concat")),
    "take": (take, ("reshape", "gather", "remainder", "clamp")),
    "matrix_power": (matrix_power, ("matmul", "matrix_inverse")),
    "kthvalue": (kthvalue, ("sort", "narrow", "squeeze")),
    "diagflat": (diagflat, ("diag_embed", "reshape")),
    "inplace_update": (inplace_update, ("tensor_scatter_update", "expand_dims")),
    "resize": (resize, ("reshape", "pad", "narrow")),
    "log_normal": (log_normal, ("exp", "add", "mul", "randn_like")),
    "cauchy": (cauchy, ("rand_like", "tan", "mul", "sub", "add")),
    "exponential_": (exponential_, ("rand_like", "log", "sub", "neg", "div", "broadcast_to", "cast")),
    "random_": (random_, ("randint_like", "broadcast_to", "cast")),
}
