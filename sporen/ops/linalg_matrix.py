"""Dense matrix functions: inverse, determinants, linear solves, Cholesky, QR and SVD, each a primitive
whose bprop is written with sporen ops (matmuls, solves, masks), plus composites over them
(cholesky_solve, cholesky_inverse, matrix_power, pinv). Batched over leading dims throughout."""
import numpy as np

from ..tensor import Tensor
from ._helpers import check_tensor
from .linalg import _reshape, _shape_str, _transpose, batch_matmul_p
from .registry import Aval, register
from ._helpers import check_bool as _check_bool

__all__ = ["inverse", "matrix_inverse", "det", "matrix_determinant", "slogdet", "logdet", "matrix_solve",
           "cholesky", "cholesky_solve", "cholesky_inverse", "matrix_power", "qr", "svd", "pinv"]

_wrap = Tensor._wrap


def _mT(x):
    """Swap the last two dims."""
    return _transpose(x, list(range(x.ndim - 2)) + [x.ndim - 1, x.ndim - 2])


def _bmm(a, b, ta=False, tb=False):
    return batch_matmul_p(a, b, transpose_a=ta, transpose_b=tb)


def _const(array, like):
    return _wrap(np.asarray(array, dtype=like.dtype.np))


# --- inverse and determinants -------------------------------------------------------------------
def _square_rule(name):
    def rule(x):
        if len(x.shape) < 2 or x.shape[-1] != x.shape[-2]:
            raise ValueError(f"{name}: 'input' must be a batch of square matrices (..., n, n), got "
                             f"shape {_shape_str(x.shape)}")
        if x.dtype.kind not in "fc":
            raise TypeError(f"{name}: 'input' must be a float or complex tensor, got {x.dtype}")
        return Aval(x.shape, x.dtype)
    rule.__name__ = f"square[{name}]"
    return rule


def _inverse_kernel(x):
    return np.linalg.inv(x).astype(x.dtype, copy=False)


def _inverse_bprop(x, out, dout):
    # d(X^-1) = -X^-1 dX X^-1  =>  dX = -X^-T dout X^-T
    from .elementwise import neg_p
    t = batch_matmul_p(out, dout, transpose_a=True, transpose_b=False)
    return (neg_p(batch_matmul_p(t, out, transpose_a=False, transpose_b=True)),)


matrix_inverse_p = register("matrix_inverse", infer=_square_rule("matrix_inverse"), kernel=_inverse_kernel,
                            bprop=_inverse_bprop, family="linalg")


def inverse(input):
    """Inverse of a (batch of) square matrices (MindSpore's ``ops.inverse``)."""
    check_tensor("inverse", input)
    _square_rule("inverse")(Aval(input.shape, input.dtype))
    return matrix_inverse_p(input)


def matrix_inverse(x, adjoint=False):
    """Inverse (of the adjoint when ``adjoint``) of square matrices (``ops.matrix_inverse``)."""
    check_tensor("matrix_inverse", x, "x")
    _square_rule("matrix_inverse")(Aval(x.shape, x.dtype))
    if adjoint:
        x = _transpose(x, list(range(x.ndim - 2)) + [x.ndim - 1, x.ndim - 2])
    return matrix_inverse_p(x)


def _det_rule(x):
    _square_rule("det")(x)
    return Aval(x.shape[:-2], x.dtype)


def _det_kernel(x):
    return np.asarray(np.linalg.det(x)).astype(x.dtype, copy=False)


def _det_bprop(x, out, dout):
    # d det(X) = det(X) tr(X^-1 dX)  =>  dX = dout * det * X^-T
    from .elementwise import mul_p
    scale = _reshape(mul_p(dout, out), out.shape + (1, 1))
    inv_t = _transpose(matrix_inverse_p(x), list(range(x.ndim - 2)) + [x.ndim - 1, x.ndim - 2])
    return (mul_p(scale, inv_t),)


matrix_determinant_p = register("matrix_determinant", infer=_det_rule, kernel=_det_kernel, bprop=_det_bprop,
                                family="linalg")


def det(input):
    """Determinant of (a batch of) square matrices (MindSpore's ``ops.det``)."""
    check_tensor("det", input)
    _det_rule(Aval(input.shape, input.dtype))
    return matrix_determinant_p(input)


def matrix_determinant(input):
    """Determinant of square matrices (MindSpore's ``ops.matrix_determinant``)."""
    return det(input)


def _slogdet_rule(x):
    _square_rule("slogdet")(x)
    a = Aval(x.shape[:-2], x.dtype)
    return a, a


def _slogdet_kernel(x):
    sign, logabs = np.linalg.slogdet(x)
    return np.asarray(sign).astype(x.dtype, copy=False), np.asarray(logabs).astype(x.dtype, copy=False)


def _slogdet_bprop(x, out, dout):
    # d log|det X| = tr(X^-1 dX); the sign is piecewise constant
    from .elementwise import mul_p
    g = _reshape(dout[1], out[1].shape + (1, 1))
    inv_t = _transpose(matrix_inverse_p(x), list(range(x.ndim - 2)) + [x.ndim - 1, x.ndim - 2])
    return (mul_p(g, inv_t),)


log_matrix_determinant_p = register("log_matrix_determinant", infer=_slogdet_rule, kernel=_slogdet_kernel,
                                    bprop=_slogdet_bprop, nout=2, family="linalg")


def slogdet(input):
    """``(sign, log|det|)`` of square matrices (MindSpore's ``ops.slogdet``)."""
    check_tensor("slogdet", input)
    _slogdet_rule(Aval(input.shape, input.dtype))
    return log_matrix_determinant_p(input)


def logdet(input):
    """``log(det(input))``: NaN where the determinant is negative (MindSpore's ``ops.logdet``)."""
    from .elementwise import log_p
    return log_p(det(input))


# --- linear solves ---------------------------------------------------------------------------------
def _solve_rule(a, b, adjoint=False):
    _square_rule("matrix_solve")(a)
    if a.dtype is not b.dtype:
        raise TypeError(f"matrix_solve: 'rhs' must have the dtype of 'matrix' {a.dtype}, got {b.dtype}")
    if len(b.shape) != len(a.shape) or b.shape[-2] != a.shape[-1] or tuple(b.shape[:-2]) != tuple(a.shape[:-2]):
        raise ValueError(f"matrix_solve: 'rhs' {_shape_str(b.shape)} does not fit 'matrix' {_shape_str(a.shape)}; "
                         f"expected (..., {a.shape[-1]}, K) with the same batch dims")
    return Aval(b.shape, b.dtype)


def _solve_kernel(a, b, adjoint=False):
    if adjoint:
        a = np.conj(np.swapaxes(a, -1, -2))
    return np.linalg.solve(a, b).astype(b.dtype, copy=False)


def _solve_bprop(a, b, out, dout, adjoint=False):
    from .elementwise import neg_p
    gb = matrix_solve_p(a, dout, adjoint=not adjoint)
    if adjoint:
        ga = neg_p(_bmm(out, gb, tb=True))
    else:
        ga = neg_p(_bmm(gb, out, tb=True))
    return ga, gb


matrix_solve_p = register("matrix_solve", infer=_solve_rule, kernel=_solve_kernel, bprop=_solve_bprop,
                          family="linalg")


def matrix_solve(matrix, rhs, adjoint=False):
    """Solve ``matrix @ x = rhs`` (or with the adjoint of ``matrix``) for (..., M, M) and (..., M, K)
    (MindSpore's ``ops.matrix_solve``)."""
    check_tensor("matrix_solve", matrix, "matrix")
    check_tensor("matrix_solve", rhs, "rhs")
    if not isinstance(adjoint, (bool, np.bool_)):
        raise TypeError(f"matrix_solve: 'adjoint' must be a bool, got {type(adjoint).__name__}")
    _solve_rule(Aval(matrix.shape, matrix.dtype), Aval(rhs.shape, rhs.dtype))
    return matrix_solve_p(matrix, rhs, adjoint=bool(adjoint))


# --- Cholesky --------------------------------------------------------------------------------------
def _cholesky_kernel(x):
    # factor the symmetric part: the same for the symmetric inputs the op is meant for, and it makes
    # the function (and so its symmetric gradient below) well defined for any input
    sym = (x + np.swapaxes(x, -1, -2)) * np.asarray(0.5, dtype=x.dtype)
    return np.linalg.cholesky(sym).astype(x.dtype, copy=False)


def _cholesky_bprop(x, out, dout):
    # Murray (2016): with P = Phi(L^T dL) (lower triangle, half diagonal), dA = sym(L^-T P L^-1)
    from .elementwise import add_p, mul_p
    n = x.shape[-1]
    phi = np.tril(np.ones((n, n))) - 0.5 * np.eye(n)
    p = mul_p(_bmm(out, dout, ta=True), _const(phi, out))
    linv = matrix_inverse_p(out)
    s = _bmm(_bmm(linv, p, ta=True), linv)
    half = _const(0.5, out)
    return (mul_p(add_p(s, _mT(s)), half),)


cholesky_p = register("cholesky", infer=_square_rule("cholesky"), kernel=_cholesky_kernel, bprop=_cholesky_bprop,
                      family="linalg")



def cholesky(input_x, upper=False):
    """Cholesky factor of symmetric positive-definite matrices: lower ``L`` with ``A = L L^T``, or upper
    ``U = L^T`` when ``upper`` (MindSpore's ``ops.cholesky``)."""
    check_tensor("cholesky", input_x, "input_x")
    upper = _check_bool("cholesky", upper, "upper")
    _square_rule("cholesky")(Aval(input_x.shape, input_x.dtype))
    low = cholesky_p(input_x)
    return _mT(low) if upper else low


def cholesky_solve(input, input2, upper=False):
    """Solve ``A x = input`` given the Cholesky factor ``input2`` of ``A`` (MindSpore's ``ops.cholesky_solve``)."""
    check_tensor("cholesky_solve", input)
    check_tensor("cholesky_solve", input2, "input2")
    upper = _check_bool("cholesky_solve", upper, "upper")
    low = _mT(input2) if upper else input2
    y = matrix_solve(low, input)
    return matrix_solve(low, y, adjoint=True)


def cholesky_inverse(input_x, upper=False):
    """Inverse of ``A`` from its Cholesky factor (MindSpore's ``ops.cholesky_inverse``)."""
    check_tensor("cholesky_inverse", input_x, "input_x")
    upper = _check_bool("cholesky_inverse", upper, "upper")
    _square_rule("cholesky_inverse")(Aval(input_x.shape, input_x.dtype))
    a = _bmm(input_x, input_x, ta=True) if upper else _bmm(input_x, input_x, tb=True)
    return matrix_inverse_p(a)


def matrix_power(input, n):
    """``input`` to the integer power ``n`` by repeated squaring; a negative ``n`` inverts first
    (MindSpore's ``ops.matrix_power``)."""
    check_tensor("matrix_power", input)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"matrix_power: 'n' must be an int, got {type(n).__name__}")
    if input.ndim < 2 or input.shape[-1] != input.shape[-2]:
        raise ValueError(f"matrix_power: 'input' must be a batch of square matrices, got {_shape_str(input.shape)}")
    n = int(n)
    if n == 0:
        eye = np.broadcast_to(np.eye(input.shape[-1], dtype=input.dtype.np), input.shape)
        return _wrap(np.ascontiguousarray(eye))
    base = matrix_inverse_p(input) if n < 0 else input
    n = abs(n)
    result = None
    while n:
        if n & 1:
            result = base if result is None else _bmm(result, base)
        n >>= 1
        if n:
            base = _bmm(base, base)
    return result


# --- QR --------------------------------------------------------------------------------------------
def _qr_rule(x, mode):
    if len(x.shape) < 2:
        raise ValueError(f"qr: 'input' must have rank >= 2, got shape {_shape_str(x.shape)}")
    if x.dtype.kind not in "fc":
        raise TypeError(f"qr: 'input' must be a float or complex tensor, got {x.dtype}")
    m, n = x.shape[-2:]
    k = min(m, n)
    batch = tuple(x.shape[:-2])
    if mode == "complete":
        return Aval(batch + (m, m), x.dtype), Aval(batch + (m, n), x.dtype)
    return Aval(batch + (m, k), x.dtype), Aval(batch + (k, n), x.dtype)


def _qr_kernel(x, mode):
    q, r = np.linalg.qr(x, mode=mode)
    return q.astype(x.dtype, copy=False), r.astype(x.dtype, copy=False)


def _qr_bprop(x, out, dout, mode):
    # for m >= n (reduced, or square complete): M = R dR^T - dQ^T Q,
    # dA = (dQ + Q copyltu(M)) R^-T, with copyltu mirroring the lower triangle upwards
    from .elementwise import add_p, mul_p, sub_p
    m, n = x.shape[-2:]
    if m < n:
        raise NotImplementedError(f"qr: the gradient is implemented for inputs with rows >= columns, got "
                                  f"shape {_shape_str(x.shape)}")
    q, r = out
    dq, dr = dout
    mm = sub_p(_bmm(r, dr, tb=True), _bmm(dq, q, ta=True))
    k = r.shape[-2]
    low = mul_p(mm, _const(np.tril(np.ones((k, k)), -1), mm))
    diag = mul_p(mm, _const(np.eye(k), mm))
    sym = add_p(add_p(low, _mT(low)), diag)
    b = add_p(dq, _bmm(q, sym))
    rinv = matrix_inverse_p(r)
    return (_bmm(b, rinv, tb=True),)


qr_p = register("qr", infer=_qr_rule, kernel=_qr_kernel, bprop=_qr_bprop, nout=2, family="linalg")


def qr(input, mode="reduced"):
    """QR decomposition ``input = Q R`` (MindSpore's ``ops.qr``): ``mode`` 'reduced' gives Q (.., m, k)
    and R (.., k, n) with k = min(m, n); 'complete' gives Q (.., m, m) and R (.., m, n)."""
    check_tensor("qr", input)
    if mode not in ("reduced", "complete"):
        raise ValueError(f"qr: 'mode' must be 'reduced' or 'complete', got {mode!r}")
    _qr_rule(Aval(input.shape, input.dtype), mode)
    return qr_p(input, mode=mode)


# --- SVD -------------------------------------------------------------------------------------------
def _svd_rule(x):
    if len(x.shape) < 2:
        raise ValueError(f"svd: 'input' must have rank >= 2, got shape {_shape_str(x.shape)}")
    if x.dtype.kind != "f":
        raise TypeError(f"svd: 'input' must be a float tensor, got {x.dtype}")
    m, n = x.shape[-2:]
    k = min(m, n)
    batch = tuple(x.shape[:-2])
    return Aval(batch + (k,), x.dtype), Aval(batch + (m, k), x.dtype), Aval(batch + (n, k), x.dtype)


def _svd_kernel(x):
    u, s, vh = np.linalg.svd(x, full_matrices=False)
    d = x.dtype
    return s.astype(d, copy=False), u.astype(d, copy=False), np.swapaxes(vh, -1, -2).astype(d, copy=False)


def _svd_bprop(x, out, dout):
    # reduced real SVD A = U diag(s) V^T:
    # dA = U [ (skew(U^T dU) / E) S + S (skew(V^T dV) / E) + diag(ds) ] V^T
    #      + (I - U U^T) dU S^-1 V^T + U S^-1 dV^T (I - V V^T),   E_ij = s_j^2 - s_i^2 (1 on the diagonal)
    from .elementwise import add_p, div_p, mul_p, sub_p
    s, u, v = out
    ds, du, dv = dout
    m, n = x.shape[-2:]
    k = s.shape[-1]
    eye = _const(np.eye(k), s)
    s_row = _reshape(s, s.shape[:-1] + (1, k))  # s_j along columns
    s_col = _reshape(s, s.shape[:-1] + (k, 1))  # s_i along rows
    s2 = mul_p(s, s)
    e = add_p(sub_p(_reshape(s2, s.shape[:-1] + (1, k)), _reshape(s2, s.shape[:-1] + (k, 1))), eye)
    utdu = _bmm(u, du, ta=True)
    vtdv = _bmm(v, dv, ta=True)
    j = div_p(sub_p(utdu, _mT(utdu)), e)
    kk = div_p(sub_p(vtdv, _mT(vtdv)), e)
    inner = add_p(add_p(mul_p(j, s_row), mul_p(s_col, kk)), mul_p(_reshape(ds, s.shape[:-1] + (1, k)), eye))
    ga = _bmm(_bmm(u, inner), v, tb=True)
    if m > k:
        # (I - U U^T) dU S^-1 V^T
        du_s = div_p(du, s_row)
        proj = sub_p(du_s, _bmm(u, _bmm(u, du_s, ta=True)))
        ga = add_p(ga, _bmm(proj, v, tb=True))
    if n > k:
        # U S^-1 dV^T (I - V V^T)
        dv_s = div_p(dv, s_row)
        proj = sub_p(dv_s, _bmm(v, _bmm(v, dv_s, ta=True)))
        ga = add_p(ga, _bmm(u, proj, tb=True))
    return (ga,)


svd_p = register("svd", infer=_svd_rule, kernel=_svd_kernel, bprop=_svd_bprop, nout=3, family="linalg")


def svd(input, full_matrices=False, compute_uv=True):
    """Singular value decomposition (MindSpore's ``ops.svd``): returns ``(s, u, v)`` with
    ``input = u @ diag(s) @ v^T`` (note ``v``, not its transpose), or only ``s`` when not
    ``compute_uv``. ``full_matrices=True`` (square u and v) is forward-only."""
    check_tensor("svd", input)
    _check_bool("svd", full_matrices, "full_matrices")
    _check_bool("svd", compute_uv, "compute_uv")
    _svd_rule(Aval(input.shape, input.dtype))
    if full_matrices and compute_uv:
        u, s, vh = np.linalg.svd(input.asnumpy(), full_matrices=True)
        d = input.dtype.np
        return (_wrap(s.astype(d, copy=False)), _wrap(u.astype(d, copy=False)),
                _wrap(np.ascontiguousarray(np.swapaxes(vh, -1, -2)).astype(d, copy=False)))
    s, u, v = svd_p(input)
    if not compute_uv:
        return s
    return s, u, v


def pinv(x, *, atol=None, rtol=None, hermitian=False):
    """Moore-Penrose pseudo-inverse through the SVD, dropping singular values at or below
    ``max(atol, rtol * s_max)`` (MindSpore's ``ops.pinv``; ``rtol`` defaults to eps * max(m, n))."""
    from .elementwise import div_p, mul_p
    check_tensor("pinv", x, "x")
    s, u, v = svd(x)
    m, n = x.shape[-2:]
    if rtol is None:
        rtol = 0.0 if atol is not None and atol > 0 else float(np.finfo(x.dtype.np).eps) * max(m, n)
    from .elementwise import greater_p, maximum_p, where_p
    from .registry import OPS
    # the cut-off max(atol, rtol * s_max) only selects which values are kept: no gradient through it
    smax = OPS["stop_gradient"](OPS["reduce_max"](s, axis=(s.ndim - 1,), keepdims=True))
    cut = maximum_p(mul_p(smax, _const(rtol, s)), _const(atol or 0.0, s))
    keep = greater_p(s, cut)
    one = _const(1.0, s)
    zero = _const(0.0, s)
    s_inv = where_p(keep, div_p(one, where_p(keep, s, one)), zero)
    vs = mul_p(v, _reshape(s_inv, s_inv.shape[:-1] + (1, s_inv.shape[-1])))
    return _bmm(vs, u, tb=True)
