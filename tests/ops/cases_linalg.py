"""Cases for the linear algebra family. References use einsum (an independent code path from the
matmul kernels) or numpy.linalg."""
import numpy as np

from tests.ops.harness import Case


def ref_matmul(a, b, transpose_a=False, transpose_b=False):
    a = a.T if transpose_a else a
    b = b.T if transpose_b else b
    return np.einsum("ik,kj->ij", a.astype(np.float64), b.astype(np.float64))


def ref_batch_matmul(a, b, transpose_a=False, transpose_b=False):
    a = np.swapaxes(a, -1, -2) if transpose_a else a
    b = np.swapaxes(b, -1, -2) if transpose_b else b
    return np.einsum("...ik,...kj->...ij", a.astype(np.float64), b.astype(np.float64))


def well_conditioned(shape):
    """Random matrices plus a multiple of the identity: safely invertible."""
    def make(rng, dt):
        n = shape[-1]
        return (rng.standard_normal(shape) + 3 * np.eye(n)).astype(dt)
    return make


TOL = dict(rtol=1e-5, atol=1e-5)

CASES = []
for ta in (False, True):
    for tb in (False, True):
        sa = (4, 3) if ta else (3, 4)
        sb = (5, 4) if tb else (4, 5)
        CASES.append(Case("matmul", [sa, sb], ref_matmul, attrs={"transpose_a": ta, "transpose_b": tb}, **TOL))
        CASES.append(Case("batch_matmul", [(2,) + sa, (2,) + sb], ref_batch_matmul,
                          attrs={"transpose_a": ta, "transpose_b": tb}, **TOL))
CASES += [
    Case("matmul", [(1, 1), (1, 1)], ref_matmul, **TOL),
    Case("matmul", [(0, 3), (3, 2)], ref_matmul, grad=False, name="empty_rows"),
    Case("matmul", [(2, 0), (0, 3)], ref_matmul, grad=False, name="empty_inner"),
    Case("matmul", [lambda rng, dt: rng.integers(-4, 4, (2, 3)).astype(np.int32),
                    lambda rng, dt: rng.integers(-4, 4, (3, 2)).astype(np.int32)],
         lambda a, b: a.astype(np.int64) @ b.astype(np.int64), dtypes=("float32",), grad=False, name="int32"),
    Case("batch_matmul", [(2, 1, 3, 4), (3, 4, 2)], ref_batch_matmul, **TOL),
    Case("batch_matmul", [(1, 3, 4), (2, 2, 4, 2)], ref_batch_matmul, **TOL),
    Case("batch_matmul", [(3, 4), (2, 4, 5)], ref_batch_matmul, **TOL),
    Case("batch_matmul", [(0, 3, 4), (0, 4, 2)], ref_batch_matmul, grad=False, name="empty_batch"),
]

CASES += [
    Case("matrix_inverse", [well_conditioned((3, 3))], np.linalg.inv, rtol=1e-5, atol=1e-6),
    Case("matrix_inverse", [well_conditioned((2, 4, 4))], np.linalg.inv, rtol=1e-5, atol=1e-6),
    Case("matrix_determinant", [well_conditioned((3, 3))], np.linalg.det, rtol=1e-5, atol=1e-5),
    Case("matrix_determinant", [well_conditioned((2, 2, 2))], np.linalg.det, rtol=1e-5, atol=1e-5),
    Case("log_matrix_determinant", [well_conditioned((2, 3, 3))], lambda x: tuple(np.linalg.slogdet(x)),
         rtol=1e-5, atol=1e-5),
    Case("log_matrix_determinant",
         [lambda rng, dt: np.array([[0.0, 2.0], [3.0, 1.0]], dt)], lambda x: tuple(np.linalg.slogdet(x)),
         rtol=1e-5, atol=1e-5, name="negative_det"),
]


def spd(shape):
    """Symmetric positive-definite matrices."""
    def make(rng, dt):
        a = rng.standard_normal(shape)
        return (a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])).astype(dt)
    return make


def ref_solve(a, b, adjoint=False):
    if adjoint:
        a = np.swapaxes(a, -1, -2)
    return np.linalg.solve(a, b)


def ref_svd(x):
    u, s, vh = np.linalg.svd(x, full_matrices=False)
    return s, u, np.swapaxes(vh, -1, -2)


CASES += [
    Case("matrix_solve", [well_conditioned((3, 3)), (3, 2)], ref_solve, rtol=1e-5, atol=1e-5),
    Case("matrix_solve", [well_conditioned((2, 4, 4)), (2, 4, 1)], ref_solve, attrs={"adjoint": True},
         rtol=1e-5, atol=1e-5),
    Case("cholesky", [spd((3, 3))], np.linalg.cholesky, rtol=1e-5, atol=1e-5),
    Case("cholesky", [spd((2, 4, 4))], np.linalg.cholesky, rtol=1e-5, atol=1e-5),
    Case("qr", [(4, 3)], lambda x, mode: np.linalg.qr(x, mode=mode), attrs={"mode": "reduced"}, rtol=1e-5, atol=1e-5),
    Case("qr", [(2, 3, 3)], lambda x, mode: np.linalg.qr(x, mode=mode), attrs={"mode": "reduced"},
         rtol=1e-5, atol=1e-5),
    Case("qr", [(2, 3)], lambda x, mode: np.linalg.qr(x, mode=mode), attrs={"mode": "complete"},
         rtol=1e-5, atol=1e-5, grad=False, name="wide_complete"),
    Case("svd", [(4, 3)], ref_svd, rtol=1e-5, atol=1e-5),
    Case("svd", [(2, 3, 5)], ref_svd, rtol=1e-5, atol=1e-5),
    Case("svd", [(3, 3)], ref_svd, rtol=1e-5, atol=1e-5),
]
