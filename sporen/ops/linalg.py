"""Linear algebra: the matmul/batch_matmul primitives and the matrix products built on them (mm,
bmm, dot, inner, outer, tensor_dot, einsum, addmm and friends, kron, cross), plus (re-exported
from linalg_matrix.py) the dense matrix functions.

Only ``matmul`` (2-D) and ``batch_matmul`` (N-D, broadcasting batch dims) carry a GEMM; every
other product is a composite of them and of movement/reduction primitives, so gradients come
from those primitives' bprops."""
import numpy as np

from .. import dtype as mstype
from ..tensor import Tensor
from ._helpers import binary_args, check_tensor, unbroadcast
from .registry import OPS, Aval, register

__all__ = ["matmul", "mm", "bmm", "batch_dot", "dot", "inner", "outer", "ger", "tensor_dot", "einsum",
           "addmm", "addmv", "addbmm", "baddbmm", "addr", "mv", "vecdot", "kron", "cross"]

_wrap = Tensor._wrap
_np_matmul = np.matmul


# --- primitives ------------------------------------------------------------------------------------
_HALF = (np.dtype(np.float16), np.dtype(mstype.bfloat16.np))


def gemm(a, b, out=None):
    """``np.matmul`` that keeps the input dtype: half precision runs in float32 through BLAS (numpy
    has no half-precision BLAS, and returns float32 for bfloat16) and is rounded back once.
    ``out``: an array of the result's shape and dtype to write into (float32/float64 only)."""
    if a.dtype.itemsize == 2 and a.dtype in _HALF:  # itemsize first: the common float32 case is one compare
        return np.matmul(a.astype(np.float32), b.astype(np.float32)).astype(a.dtype)
    if out is not None:
        return np.matmul(a, b, out=out)
    return np.matmul(a, b)


def _shape_str(s):
    return str(list(s))


def _matmul_rule(a, b, transpose_a=False, transpose_b=False):
    if a.dtype is not b.dtype:
        raise TypeError(f"matmul: 'input' and 'other' must have one dtype, got {a.dtype} and {b.dtype}")
    if len(a.shape) != 2 or len(b.shape) != 2:
        raise ValueError(f"matmul: the primitive takes 2-D tensors, got shapes {_shape_str(a.shape)} "
                         f"and {_shape_str(b.shape)}")
    m, k = (a.shape[1], a.shape[0]) if transpose_a else a.shape
    k2, n = (b.shape[1], b.shape[0]) if transpose_b else b.shape
    if k != k2:
        raise ValueError(f"matmul: 'input' has shape {_shape_str(a.shape)} and 'other' "
                         f"{_shape_str(b.shape)}; the inner dimensions {k} and {k2} differ")
    return Aval((m, n), a.dtype)


def _matmul_kernel(a, b, transpose_a=False, transpose_b=False):
    # .T is a view; BLAS takes the transposed operand through its trans flag, with no copy
    if transpose_a:
        a = a.T
    if transpose_b:
        b = b.T
    if a.dtype.itemsize == 2:
        return gemm(a, b)
    return _np_matmul(a, b)


def _matmul_bprop(a, b, out, dout, transpose_a=False, transpose_b=False, needs=(True, True)):
    # each operand's gradient is one GEMM; an operand that needs none (data) costs nothing
    da = None
    db = None
    if needs[0]:
        if transpose_a:
            da = matmul_p(b, dout, transpose_a=transpose_b, transpose_b=True)
        else:
            da = matmul_p(dout, b, transpose_a=False, transpose_b=not transpose_b)
    if needs[1]:
        if transpose_b:
            db = matmul_p(dout, a, transpose_a=True, transpose_b=transpose_a)
        else:
            db = matmul_p(a, dout, transpose_a=not transpose_a, transpose_b=False)
    return da, db


matmul_p = register("matmul", infer=_matmul_rule, kernel=_matmul_kernel, bprop=_matmul_bprop,
                    family="linalg", needs=True)


def _batch_matmul_rule(a, b, transpose_a=False, transpose_b=False):
    if a.dtype is not b.dtype:
        raise TypeError(f"batch_matmul: 'input' and 'other' must have one dtype, got {a.dtype} and {b.dtype}")
    if len(a.shape) < 2 or len(b.shape) < 2:
        raise ValueError(f"batch_matmul: inputs must have rank >= 2, got shapes {_shape_str(a.shape)} "
                         f"and {_shape_str(b.shape)}")
    m, k = (a.shape[-1], a.shape[-2]) if transpose_a else a.shape[-2:]
    k2, n = (b.shape[-1], b.shape[-2]) if transpose_b else b.shape[-2:]
    if k != k2:
        raise ValueError(f"matmul: 'input' has shape {_shape_str(a.shape)} and 'other' "
                         f"{_shape_str(b.shape)}; the inner dimensions {k} and {k2} differ")
    try:
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ValueError(f"matmul: the batch dimensions of {_shape_str(a.shape)} and "
                         f"{_shape_str(b.shape)} cannot be broadcast together") from None
    return Aval(tuple(batch) + (m, n), a.dtype)


def _batch_matmul_kernel(a, b, transpose_a=False, transpose_b=False):
    if transpose_a:
        a = np.swapaxes(a, -1, -2)
    if transpose_b:
        b = np.swapaxes(b, -1, -2)
    return gemm(a, b)


def _batch_matmul_bprop(a, b, out, dout, transpose_a=False, transpose_b=False):
    bm = batch_matmul_p
    if not transpose_a and not transpose_b:
        ga = bm(dout, b, transpose_a=False, transpose_b=True)
        gb = bm(a, dout, transpose_a=True, transpose_b=False)
    elif transpose_a and not transpose_b:
        ga = bm(b, dout, transpose_a=False, transpose_b=True)
        gb = bm(a, dout, transpose_a=False, transpose_b=False)
    elif not transpose_a and transpose_b:
        ga = bm(dout, b, transpose_a=False, transpose_b=False)
        gb = bm(dout, a, transpose_a=True, transpose_b=False)
    else:
        ga = bm(b, dout, transpose_a=True, transpose_b=True)
        gb = bm(dout, a, transpose_a=True, transpose_b=True)
    return unbroadcast(ga, a.shape), unbroadcast(gb, b.shape)


batch_matmul_p = register("batch_matmul", infer=_batch_matmul_rule, kernel=_batch_matmul_kernel,
                          bprop=_batch_matmul_bprop, family="linalg")


# --- small helpers over other families' primitives -----------------------------------------------
def _reshape(x, shape):
    shape = tuple(shape)
    if x.shape == shape:
        return x
    return OPS["reshape"](x, shape=shape)


def _transpose(x, perm):
    perm = tuple(perm)
    if perm == tuple(range(len(perm))):
        return x
    return OPS["transpose"](x, perm=perm)


def _sum(x, axes, keepdims=False):
    axes = tuple(axes)
    if not axes:
        return x
    return OPS["reduce_sum"](x, axis=axes, keepdims=keepdims)


def _scale(x, factor):
    """``factor * x`` with ``factor`` a Python number or a Tensor; 1 costs nothing."""
    if not isinstance(factor, Tensor) and factor == 1:
        return x
    from .elementwise import mul
    return mul(x, factor)


def _prod(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def _inner_error(name, xs, ys, k1, k2):
    return ValueError(f"{name}: 'input' has shape {_shape_str(xs)} and 'other' {_shape_str(ys)}; "
                      f"the inner dimensions {k1} and {k2} differ")


# --- matrix products ------------------------------------------------------------------------------
def _matmul_nd(name, x, y):
    """numpy-matmul semantics on two Tensors of one dtype."""
    xs = x.shape
    ys = y.shape
    if len(xs) == 0 or len(ys) == 0:
        raise ValueError(f"{name}: 'input' and 'other' must have rank >= 1, got shapes "
                         f"{_shape_str(xs)} and {_shape_str(ys)}")
    k1 = xs[-1]
    k2 = ys[-2] if len(ys) >= 2 else ys[0]
    if k1 != k2:
        raise _inner_error(name, xs, ys, k1, k2)
    if len(xs) == 2 and len(ys) == 2:
        return matmul_p(x, y, transpose_a=False, transpose_b=False)
    x_vec = len(xs) == 1
    y_vec = len(ys) == 1
    if x_vec:
        x = _reshape(x, (1, xs[0]))
    if y_vec:
        y = _reshape(y, (ys[0], 1))
    if x.ndim == 2 and y.ndim == 2:
        out = matmul_p(x, y, transpose_a=False, transpose_b=False)
    elif y.ndim == 2 and x.ndim > 2:
        # fold the batch into the rows: one GEMM instead of a loop of small ones
        rows = _reshape(x, (_prod(x.shape[:-1]), k1))
        out = _reshape(matmul_p(rows, y, transpose_a=False, transpose_b=False), x.shape[:-1] + (y.shape[1],))
    else:
        try:
            np.broadcast_shapes(x.shape[:-2], y.shape[:-2])
        except ValueError:
            raise ValueError(f"{name}: the batch dimensions of 'input' {_shape_str(xs)} and 'other' "
                             f"{_shape_str(ys)} cannot be broadcast together") from None
        out = batch_matmul_p(x, y, transpose_a=False, transpose_b=False)
    if x_vec or y_vec:
        shape = out.shape
        if x_vec:
            shape = shape[:-2] + shape[-1:]
        if y_vec:
            shape = shape[:-1]
        out = _reshape(out, shape)
    return out


def matmul(input, other):
    """Matrix product with numpy's ``matmul`` semantics: 1-D operands are vectors, batch dimensions
    broadcast (MindSpore's ``ops.matmul``)."""
    if type(input) is Tensor and type(other) is Tensor:
        a = input._data
        b = other._data
        if a.ndim == 2 and b.ndim == 2 and a.dtype is b.dtype and a.shape[1] == b.shape[0]:
            return matmul_p(input, other)  # the common 2-D case, with nothing to convert
    x, y = binary_args("matmul", input, other)
    return _matmul_nd("matmul", x, y)


def mm(input, mat2):
    """Product of two 2-D matrices (MindSpore's ``ops.mm``)."""
    check_tensor("mm", input)
    check_tensor("mm", mat2, "mat2")
    if input.ndim != 2 or mat2.ndim != 2:
        raise ValueError(f"mm: 'input' and 'mat2' must be 2-D, got shapes {_shape_str(input.shape)} "
                         f"and {_shape_str(mat2.shape)}")
    x, y = binary_args("mm", input, mat2)
    if x.shape[1] != y.shape[0]:
        raise _inner_error("mm", x.shape, y.shape, x.shape[1], y.shape[0])
    return matmul_p(x, y, transpose_a=False, transpose_b=False)


def bmm(input_x, mat2):
    """Batched matrix product of tensors of rank >= 3 (MindSpore's ``ops.bmm``)."""
    check_tensor("bmm", input_x, "input_x")
    check_tensor("bmm", mat2, "mat2")
    if input_x.ndim < 3 or mat2.ndim < 3:
        raise ValueError(f"bmm: 'input_x' and 'mat2' must have rank >= 3, got shapes "
                         f"{_shape_str(input_x.shape)} and {_shape_str(mat2.shape)}")
    x, y = binary_args("bmm", input_x, mat2)
    return _matmul_nd("bmm", x, y)


def batch_dot(x1, x2, axes=None):
    """Batched dot product over ``axes`` (MindSpore's ``ops.batch_dot``): the first dimension is
    the batch; ``axes`` (int or pair) names the contracted dims, default the last of ``x1`` and the
    second to last of ``x2`` (the last when ``x2`` is 2-D)."""
    check_tensor("batch_dot", x1, "x1")
    check_tensor("batch_dot", x2, "x2")
    if x1.ndim < 2 or x2.ndim < 2:
        raise ValueError(f"batch_dot: 'x1' and 'x2' must have rank >= 2, got shapes {_shape_str(x1.shape)} "
                         f"and {_shape_str(x2.shape)}")
    if x1.shape[0] != x2.shape[0]:
        raise ValueError(f"batch_dot: the batch sizes of 'x1' {x1.shape[0]} and 'x2' {x2.shape[0]} differ")
    n1 = x1.ndim
    n2 = x2.ndim
    if axes is None:
        axes = (n1 - 1, n2 - 1 if n2 == 2 else n2 - 2)
    elif isinstance(axes, (int, np.integer)) and not isinstance(axes, bool):
        axes = (axes, axes) if axes >= 0 else (n1 + axes, n2 + axes)
    if not isinstance(axes, (tuple, list)) or len(axes) != 2:
        raise TypeError(f"batch_dot: 'axes' must be None, an int or a pair of ints, got {axes!r}")
    a1 = int(axes[0]) % n1
    a2 = int(axes[1]) % n2
    if a1 == 0 or a2 == 0:
        raise ValueError(f"batch_dot: 'axes' must not name the batch dimension 0, got {axes!r}")
    if x1.shape[a1] != x2.shape[a2]:
        raise ValueError(f"batch_dot: the contracted dims {x1.shape[a1]} (axis {a1} of 'x1') and "
                         f"{x2.shape[a2]} (axis {a2} of 'x2') differ")
    x, y = binary_args("batch_dot", x1, x2)
    b = x.shape[0]
    k = x.shape[a1]
    rest1 = [i for i in range(1, n1) if i != a1]
    rest2 = [i for i in range(1, n2) if i != a2]
    xm = _reshape(_transpose(x, [0] + rest1 + [a1]), (b, _prod(x.shape[i] for i in rest1), k))
    ym = _reshape(_transpose(y, [0, a2] + rest2), (b, k, _prod(y.shape[i] for i in rest2)))
    out = batch_matmul_p(xm, ym, transpose_a=False, transpose_b=False)
    shape = (b,) + tuple(x.shape[i] for i in rest1) + tuple(y.shape[i] for i in rest2)
    if len(shape) == 1:
        shape = (b, 1)
    return _reshape(out, shape)


def _tensordot(name, x, y, ax1, ax2):
    """Contract axes ``ax1`` of x with ``ax2`` of y: one GEMM after moving them together."""
    for a, b in zip(ax1, ax2):
        if x.shape[a] != y.shape[b]:
            raise ValueError(f"{name}: the contracted dims differ: axis {a} of 'x1' has size {x.shape[a]}, "
                             f"axis {b} of 'x2' has size {y.shape[b]}")
    free1 = [i for i in range(x.ndim) if i not in ax1]
    free2 = [i for i in range(y.ndim) if i not in ax2]
    k = _prod(x.shape[a] for a in ax1)
    m = _prod(x.shape[i] for i in free1)
    n = _prod(y.shape[i] for i in free2)
    xm = _reshape(_transpose(x, free1 + list(ax1)), (m, k))
    ym = _reshape(_transpose(y, list(ax2) + free2), (k, n))
    out = matmul_p(xm, ym, transpose_a=False, transpose_b=False)
    return _reshape(out, tuple(x.shape[i] for i in free1) + tuple(y.shape[i] for i in free2))


def _norm_axes(name, axes, ndim, argname):
    if isinstance(axes, (int, np.integer)) and not isinstance(axes, bool):
        axes = (axes,)
    out = []
    for a in axes:
        if isinstance(a, bool) or not isinstance(a, (int, np.integer)):
            raise TypeError(f"{name}: '{argname}' must hold ints, got {axes!r}")
        if a < -ndim or a >= ndim:
            raise ValueError(f"{name}: axis {a} is out of range for a tensor of rank {ndim}")
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{name}: '{argname}' repeats an axis: {axes!r}")
    return out


def tensor_dot(x1, x2, axes):
    """Tensor contraction over ``axes`` (MindSpore's ``ops.tensor_dot``, numpy's ``tensordot``):
    an int n contracts the last n dims of ``x1`` with the first n of ``x2``; a pair of ints or
    of sequences names the axes of each."""
    check_tensor("tensor_dot", x1, "x1")
    check_tensor("tensor_dot", x2, "x2")
    x, y = binary_args("tensor_dot", x1, x2)
    if isinstance(axes, (int, np.integer)) and not isinstance(axes, bool):
        n = int(axes)
        if n < 0 or n > x.ndim or n > y.ndim:
            raise ValueError(f"tensor_dot: 'axes' {n} must be in [0, {min(x.ndim, y.ndim)}] for ranks "
                             f"{x.ndim} and {y.ndim}")
        ax1 = list(range(x.ndim - n, x.ndim))
        ax2 = list(range(n))
    elif isinstance(axes, (tuple, list)) and len(axes) == 2:
        ax1 = _norm_axes("tensor_dot", axes[0], x.ndim, "axes")
        ax2 = _norm_axes("tensor_dot", axes[1], y.ndim, "axes")
        if len(ax1) != len(ax2):
            raise ValueError(f"tensor_dot: 'axes' must name as many axes of 'x1' as of 'x2', got {axes!r}")
    else:
        raise TypeError(f"tensor_dot: 'axes' must be an int or a pair of int sequences, got {axes!r}")
    return _tensordot("tensor_dot", x, y, ax1, ax2)


def dot(input, other):
    """numpy's ``dot`` for tensors of rank >= 2: contracts the last dim of ``input`` with the second
    to last of ``other`` (MindSpore's ``ops.dot``)."""
    check_tensor("dot", input)
    check_tensor("dot", other, "other")
    if input.dtype.kind != "f" or other.dtype.kind != "f":
        raise TypeError(f"dot: 'input' and 'other' must be float tensors, got {input.dtype} and {other.dtype}")
    if input.dtype is not other.dtype:
        raise TypeError(f"dot: 'input' and 'other' must have one dtype, got {input.dtype} and {other.dtype}")
    if input.ndim < 2 or other.ndim < 2:
        raise ValueError(f"dot: 'input' and 'other' must have rank >= 2, got shapes "
                         f"{_shape_str(input.shape)} and {_shape_str(other.shape)}")
    if input.shape[-1] != other.shape[-2]:
        raise _inner_error("dot", input.shape, other.shape, input.shape[-1], other.shape[-2])
    return _tensordot("dot", input, other, [input.ndim - 1], [other.ndim - 2])


def inner(input, other):
    """Inner product over the last dimension (MindSpore's ``ops.inner``); a 0-d operand scales."""
    x, y = binary_args("inner", input, other)
    if x.ndim == 0 or y.ndim == 0:
        from .elementwise import mul_p
        return mul_p(x, y)
    if x.shape[-1] != y.shape[-1]:
        raise ValueError(f"inner: the last dimensions of 'input' {_shape_str(x.shape)} and 'other' "
                         f"{_shape_str(y.shape)} differ")
    return _tensordot("inner", x, y, [x.ndim - 1], [y.ndim - 1])


def outer(input, vec2):
    """Outer product of two 1-D tensors (MindSpore's ``ops.outer``)."""
    x, y = binary_args("outer", input, vec2)
    if x.ndim != 1 or y.ndim != 1:
        raise ValueError(f"outer: 'input' and 'vec2' must be 1-D, got shapes {_shape_str(x.shape)} "
                         f"and {_shape_str(y.shape)}")
    from .elementwise import mul_p
    return mul_p(_reshape(x, (x.shape[0], 1)), _reshape(y, (1, y.shape[0])))


def ger(input, vec2):
    """Outer product of two 1-D tensors (MindSpore's ``ops.ger``)."""
    return outer(input, vec2)


def mv(mat, vec):
    """Matrix-vector product (MindSpore's ``ops.mv``)."""
    check_tensor("mv", mat, "mat")
    check_tensor("mv", vec, "vec")
    if mat.ndim != 2 or vec.ndim != 1:
        raise ValueError(f"mv: 'mat' must be 2-D and 'vec' 1-D, got shapes {_shape_str(mat.shape)} "
                         f"and {_shape_str(vec.shape)}")
    return _matmul_nd("mv", *binary_args("mv", mat, vec))


def _add_scaled(name, input, product, beta, alpha):
    from .elementwise import add
    if not isinstance(beta, Tensor) and beta == 0:
        return _scale(product, alpha)
    return add(_scale(input, beta), _scale(product, alpha))


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat1 @ mat2)`` (MindSpore's ``ops.addmm``)."""
    check_tensor("addmm", input)
    return _add_scaled("addmm", input, mm(mat1, mat2), beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """``beta * input + alpha * (mat @ vec)`` (MindSpore's ``ops.addmv``)."""
    check_tensor("addmv", input)
    return _add_scaled("addmv", input, mv(mat, vec), beta, alpha)


def baddbmm(input, batch1, batch2, beta=1, alpha=1):
    """``beta * input + alpha * bmm(batch1, batch2)`` (MindSpore's ``ops.baddbmm``)."""
    check_tensor("baddbmm", input)
    return _add_scaled("baddbmm", input, bmm(batch1, batch2), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * sum_b batch1[b] @ batch2[b]`` (MindSpore's ``ops.addbmm``)."""
    check_tensor("addbmm", input)
    check_tensor("addbmm", batch1, "batch1")
    check_tensor("addbmm", batch2, "batch2")
    if batch1.ndim != 3 or batch2.ndim != 3:
        raise ValueError(f"addbmm: 'batch1' and 'batch2' must be 3-D, got shapes {_shape_str(batch1.shape)} "
                         f"and {_shape_str(batch2.shape)}")
    if batch1.shape[0] != batch2.shape[0]:
        raise ValueError(f"addbmm: the batch sizes of 'batch1' {batch1.shape[0]} and 'batch2' "
                         f"{batch2.shape[0]} differ")
    product = _sum(bmm(batch1, batch2), (0,))
    return _add_scaled("addbmm", input, product, beta, alpha)


def addr(x, vec1, vec2, *, beta=1, alpha=1):
    """``beta * x + alpha * outer(vec1, vec2)`` (MindSpore's ``ops.addr``)."""
    check_tensor("addr", x, "x")
    return _add_scaled("addr", x, outer(vec1, vec2), beta, alpha)


def vecdot(x, y, *, axis=-1):
    """``sum(conj(x) * y, axis)`` with broadcasting (MindSpore's ``ops.vecdot``)."""
    from .elementwise import mul_p
    a, b = binary_args("vecdot", x, y)
    if a.dtype.kind == "c":
        a = OPS["conj"](a)
    prod = mul_p(a, b)
    if prod.ndim == 0:
        raise ValueError("vecdot: 'x' and 'y' must have rank >= 1")
    ax = _norm_axes("vecdot", axis, prod.ndim, "axis")
    return _sum(prod, ax)


def kron(input, other):
    """Kronecker product (MindSpore's ``ops.kron``): interleave the dims and multiply."""
    from .elementwise import mul_p
    x, y = binary_args("kron", input, other)
    nd = max(x.ndim, y.ndim)
    xs = (1,) * (nd - x.ndim) + x.shape
    ys = (1,) * (nd - y.ndim) + y.shape
    xi = []
    yi = []
    for a, b in zip(xs, ys):
        xi += [a, 1]
        yi += [1, b]
    prod = mul_p(_reshape(x, xi), _reshape(y, yi))
    return _reshape(prod, tuple(a * b for a, b in zip(xs, ys)))


def cross(input, other, dim=None):
    """Cross product of 3-vectors along ``dim`` (MindSpore's ``ops.cross``; by default the first
    dimension of size 3). Written as a contraction with the Levi-Civita tensor, so it is a single
    GEMM-shaped composite with gradients from its parts."""
    from .elementwise import mul_p
    x, y = binary_args("cross", input, other)
    if x.ndim != y.ndim:
        raise ValueError(f"cross: 'input' and 'other' must have the same rank, got shapes "
                         f"{_shape_str(x.shape)} and {_shape_str(y.shape)}")
    shape = np.broadcast_shapes(x.shape, y.shape)
    if dim is None:
        sizes3 = [i for i, s in enumerate(shape) if s == 3]
        if not sizes3:
            raise ValueError(f"cross: no dimension of size 3 in shape {_shape_str(shape)}")
        d = sizes3[0]
    else:
        d = _norm_axes("cross", dim, len(shape), "dim")[0]
    if x.shape[d] != 3 or y.shape[d] != 3:
        raise ValueError(f"cross: dimension {d} of 'input' {_shape_str(x.shape)} and 'other' "
                         f"{_shape_str(y.shape)} must have size 3")
    eps = np.zeros((3, 3, 3), dtype=x.dtype.np)
    eps[0, 1, 2] = eps[1, 2, 0] = eps[2, 0, 1] = 1
    eps[0, 2, 1] = eps[2, 1, 0] = eps[1, 0, 2] = -1
    # outer product along dim: x_j * y_k, then contract (j, k) with eps_ijk
    nd = len(shape)
    xe = _reshape(x, x.shape[:d + 1] + (1,) + x.shape[d + 1:])
    ye = _reshape(y, y.shape[:d] + (1,) + y.shape[d:])
    jk = mul_p(xe, ye)  # (..., 3j, 3k, ...)
    full = jk.shape
    perm = [i for i in range(nd + 1) if i not in (d, d + 1)] + [d, d + 1]
    flat = _reshape(_transpose(jk, perm), (_prod(full[i] for i in perm[:-2]), 9))
    eps_t = _wrap(np.ascontiguousarray(eps.reshape(3, 9).T))
    res = matmul_p(flat, eps_t, transpose_a=False, transpose_b=False)  # (rest, 3)
    rest_shape = tuple(full[i] for i in perm[:-2])
    res = _reshape(res, rest_shape + (3,))
    back = list(range(d)) + [nd - 1] + list(range(d, nd - 1))
    return _transpose(res, back)


# --- einsum --------------------------------------------------------------------------------------
def _parse_einsum(equation, shapes):
    eq = equation.replace(" ", "")
    if "->" in eq:
        lhs, rhs = eq.split("->")
    else:
        lhs, rhs = eq, None
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: the equation {equation!r} names {len(terms)} operands, got {len(shapes)}")
    ell_rank = 0
    for t, s in zip(terms, shapes):
        if "..." in t:
            ell_rank = max(ell_rank, len(s) - (len(t) - 3))
    ell = [chr(0x100 + i) for i in range(ell_rank)]  # labels for the ellipsis dims, never letters
    labels = []
    for t, s in zip(terms, shapes):
        if t.count("...") > 1:
            raise ValueError(f"einsum: an operand may hold one ellipsis, got {t!r}")
        if "..." in t:
            n = len(s) - (len(t) - 3)
            head, tail = t.split("...")
            lab = list(head) + ell[ell_rank - n:] + list(tail)
        else:
            lab = list(t)
        for c in lab:
            if not (c.isalpha() or ord(c) >= 0x100):
                raise ValueError(f"einsum: invalid subscript {c!r} in {equation!r}")
        if len(lab) != len(s):
            raise ValueError(f"einsum: operand {t!r} has {len(lab)} subscripts but rank {len(s)}")
        labels.append(lab)
    if rhs is None:
        counts = {}
        for lab in labels:
            for c in lab:
                counts[c] = counts.get(c, 0) + 1
        out = ell + sorted(c for c, n in counts.items() if n == 1 and ord(c) < 0x100)
    else:
        if "..." in rhs:
            head, tail = rhs.split("...")
            out = list(head) + ell + list(tail)
        else:
            out = list(rhs)
        present = {c for lab in labels for c in lab}
        for c in out:
            if c not in present:
                raise ValueError(f"einsum: output subscript {c!r} appears in no operand of {equation!r}")
        if len(set(out)) != len(out):
            raise ValueError(f"einsum: output subscripts repeat in {equation!r}")
    return labels, out


def _take_diagonal(x, lab):
    """Merge repeated labels of one operand (``ii`` -> ``i``): multiply by an identity mask and sum."""
    from .elementwise import mul_p
    while True:
        seen = {}
        dup = None
        for i, c in enumerate(lab):
            if c in seen:
                dup = (seen[c], i)
                break
            seen[c] = i
        if dup is None:
            return x, lab
        i, j = dup
        n = x.shape[i]
        if x.shape[j] != n:
            raise ValueError(f"einsum: subscript {lab[i]!r} repeats with sizes {n} and {x.shape[j]}")
        mask_shape = [1] * x.ndim
        mask_shape[i] = n
        mask_shape[j] = n
        mask = _wrap(np.eye(n, dtype=x.dtype.np).reshape(mask_shape))
        x = _sum(mul_p(x, mask), (j,))
        lab = lab[:j] + lab[j + 1:]


def _contract_pair(x, lx, y, ly, keep):
    """Contract two operands over labels they share that are not in ``keep``; one batched GEMM."""
    sizes = {}
    for c, s in zip(lx, x.shape):
        sizes[c] = s
    for c, s in zip(ly, y.shape):
        sizes[c] = max(sizes.get(c, 1), s)
    batch = [c for c in lx if c in ly and c in keep]
    contr = [c for c in lx if c in ly and c not in keep]
    xonly = [c for c in lx if c not in ly]
    yonly = [c for c in ly if c not in lx]
    # size-1 dims broadcast against the other operand's size (ellipsis broadcasting)
    xs = tuple(sizes[c] if c in ly else x.shape[i] for i, c in enumerate(lx))
    if xs != x.shape:
        x = OPS["broadcast_to"](x, shape=xs)
    ys = tuple(sizes[c] if c in lx else y.shape[i] for i, c in enumerate(ly))
    if ys != y.shape:
        y = OPS["broadcast_to"](y, shape=ys)
    bsz = _prod(sizes[c] for c in batch)
    m = _prod(sizes[c] for c in xonly)
    k = _prod(sizes[c] for c in contr)
    n = _prod(sizes[c] for c in yonly)
    xt = _transpose(x, [lx.index(c) for c in batch + xonly + contr])
    yt = _transpose(y, [ly.index(c) for c in batch + contr + yonly])
    if batch:
        out = batch_matmul_p(_reshape(xt, (bsz, m, k)), _reshape(yt, (bsz, k, n)),
                             transpose_a=False, transpose_b=False)
    else:
        out = matmul_p(_reshape(xt, (m, k)), _reshape(yt, (k, n)), transpose_a=False, transpose_b=False)
    lab = batch + xonly + yonly
    return _reshape(out, tuple(sizes[c] for c in lab)), lab


def einsum(equation, *operands):
    """Einstein summation (MindSpore's ``ops.einsum``), e.g. ``einsum('bij,bjk->bik', a, b)``.

    Written with transpose/reshape/reduce_sum/batch_matmul primitives, so every gradient (of any
    order) comes from theirs. Supports ``...``, implicit output, repeated subscripts (diagonals),
    and any number of operands (contracted left to right)."""
    if not isinstance(equation, str):
        raise TypeError(f"einsum: 'equation' must be a str, got {type(equation).__name__}")
    if len(operands) == 1 and isinstance(operands[0], (tuple, list)):
        operands = tuple(operands[0])
    if not operands:
        raise ValueError("einsum: at least one operand is required")
    ops_ = [check_tensor("einsum", t, "operands") for t in operands]
    d = ops_[0].dtype
    for t in ops_[1:]:
        if t.dtype is not d:
            raise TypeError(f"einsum: all operands must have one dtype, got {d} and {t.dtype}")
    labels, out = _parse_einsum(equation, [t.shape for t in ops_])
    terms = []
    for t, lab in zip(ops_, labels):
        terms.append(_take_diagonal(t, lab))
    # sum away labels that live in one operand only and not in the output
    for i, (t, lab) in enumerate(terms):
        elsewhere = set(out)
        for j, (_, lab2) in enumerate(terms):
            if j != i:
                elsewhere.update(lab2)
        drop = [a for a, c in enumerate(lab) if c not in elsewhere]
        if drop:
            t = _sum(t, drop)
            lab = [c for c in lab if c in elsewhere]
        terms[i] = (t, lab)
    x, lx = terms[0]
    for idx in range(1, len(terms)):
        y, ly = terms[idx]
        keep = set(out)
        for _, lab2 in terms[idx + 1:]:
            keep.update(lab2)
        x, lx = _contract_pair(x, lx, y, ly, keep)
        # labels no longer needed after this contraction (only possible for single-side leftovers)
        drop = [a for a, c in enumerate(lx) if c not in keep]
        if drop:
            x = _sum(x, drop)
            lx = [c for c in lx if c in keep]
    return _transpose(x, [lx.index(c) for c in out])


# the dense matrix functions (inverse, det, solve, decompositions) live in linalg_matrix.py
from . import linalg_matrix as _linalg_matrix  # noqa: E402
from .linalg_matrix import *  # noqa: E402,F401,F403

__all__ += _linalg_matrix.__all__
