"""The functional linear algebra ops: MindSpore signatures, numpy semantics, errors, gradients."""
import numpy as np
import pytest

import sporen as ms
from sporen import ops

rng = np.random.default_rng(0)


def T(*shape, dtype=np.float32):
    return ms.Tensor(rng.standard_normal(shape).astype(dtype))


@pytest.mark.parametrize("sa,sb", [((3,), (3,)), ((3,), (3, 4)), ((2, 3), (3,)), ((2, 3), (3, 4)),
                                   ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((2, 1, 2, 3), (4, 3, 2)),
                                   ((4,), (2, 4, 3)), ((2, 3, 4), (4,))])
def test_matmul_matches_numpy(sa, sb):
    a = T(*sa)
    b = T(*sb)
    got = ops.matmul(a, b)
    want = np.matmul(a.asnumpy(), b.asnumpy())
    assert got.shape == want.shape
    assert got.dtype == ms.float32
    np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-5, atol=1e-5)


def test_matmul_inner_dimension_error():
    with pytest.raises(ValueError, match=r"matmul: 'input' has shape \[2, 3\] and 'other' \[4, 5\]; "
                                         r"the inner dimensions 3 and 4 differ"):
        ops.matmul(T(2, 3), T(4, 5))
    with pytest.raises(ValueError, match="batch dimensions"):
        ops.matmul(T(2, 2, 3), T(3, 3, 4))
    with pytest.raises(ValueError, match="rank >= 1"):
        ops.matmul(T(), T(3))


def test_matmul_promotes_and_accepts_ints():
    a = ms.Tensor(np.arange(6, dtype=np.int32).reshape(2, 3))
    b = T(3, 2)
    got = ops.matmul(a, b)
    assert got.dtype == ms.float32
    np.testing.assert_allclose(got.asnumpy(), a.asnumpy() @ b.asnumpy(), rtol=1e-5)
    ints = ops.matmul(a, ms.Tensor(np.ones((3, 1), np.int32)))
    assert ints.dtype == ms.int32
    np.testing.assert_array_equal(ints.asnumpy(), [[3], [12]])


def test_matmul_gradient_with_vectors_and_broadcast():
    a = T(2, 1, 3, dtype=np.float64)
    b = T(4, 3, dtype=np.float64)
    v = T(3, dtype=np.float64)

    def f(a, b, v):
        return ops.sum(ops.matmul(ops.matmul(a, ops.transpose(b, (1, 0))), ops.matmul(b, v)))
    ga, gb, gv = ms.grad(f, grad_position=(0, 1, 2))(a, b, v)
    A, B, V = a.asnumpy(), b.asnumpy(), v.asnumpy()
    # f = sum_ij (A B^T)_{.., i} (B v)_i  summed over the batch
    bv = B @ V
    np.testing.assert_allclose(ga.asnumpy(), np.broadcast_to((bv @ B)[None, None, :], (2, 1, 3)), rtol=1e-10)
    s = A.sum(axis=(0, 1))  # (3,)
    np.testing.assert_allclose(gv.asnumpy(), B.T @ (B @ s), rtol=1e-10)
    np.testing.assert_allclose(gb.asnumpy(), np.outer(bv, s) + np.outer(B @ s, V), rtol=1e-10)


def test_mm_bmm_mv_checks():
    np.testing.assert_allclose(ops.mm(T(2, 3), ms.Tensor(np.eye(3, dtype=np.float32))).shape, (2, 3))
    with pytest.raises(ValueError, match="mm: 'input' and 'mat2' must be 2-D"):
        ops.mm(T(2, 2, 3), T(3, 2))
    with pytest.raises(ValueError, match="bmm: 'input_x' and 'mat2' must have rank >= 3"):
        ops.bmm(T(2, 3), T(3, 2))
    a, b = T(4, 2, 3), T(4, 3, 5)
    np.testing.assert_allclose(ops.bmm(a, b).asnumpy(), a.asnumpy() @ b.asnumpy(), rtol=1e-5, atol=1e-6)
    m, v = T(3, 4), T(4)
    np.testing.assert_allclose(ops.mv(m, v).asnumpy(), m.asnumpy() @ v.asnumpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="mv: 'mat' must be 2-D and 'vec' 1-D"):
        ops.mv(v, m)


def test_dot_is_numpy_dot():
    a, b = T(3, 2, 3), T(2, 1, 3, 2)
    got = ops.dot(a, b)
    assert got.shape == (3, 2, 2, 1, 2)
    np.testing.assert_allclose(got.asnumpy(), np.dot(a.asnumpy(), b.asnumpy()), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="rank >= 2"):
        ops.dot(T(3), T(3, 2))
    with pytest.raises(TypeError, match="float"):
        ops.dot(ms.Tensor(np.ones((2, 2), np.int32)), ms.Tensor(np.ones((2, 2), np.int32)))


def test_inner_outer_ger_kron_cross_vecdot():
    a, b = T(2, 3), T(4, 3)
    np.testing.assert_allclose(ops.inner(a, b).asnumpy(), np.inner(a.asnumpy(), b.asnumpy()), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ops.inner(ms.Tensor(2.0), a).asnumpy(), 2 * a.asnumpy(), rtol=1e-6)
    u, v = T(3), T(4)
    np.testing.assert_allclose(ops.outer(u, v).asnumpy(), np.outer(u.asnumpy(), v.asnumpy()), rtol=1e-6)
    np.testing.assert_allclose(ops.ger(u, v).asnumpy(), np.outer(u.asnumpy(), v.asnumpy()), rtol=1e-6)
    with pytest.raises(ValueError, match="1-D"):
        ops.outer(a, v)
    x, y = T(2, 3), T(3, 1, 2)
    np.testing.assert_allclose(ops.kron(x, y).asnumpy(), np.kron(x.asnumpy(), y.asnumpy()), rtol=1e-6)
    p, q = T(4, 3, 2), T(4, 3, 2)
    np.testing.assert_allclose(ops.cross(p, q).asnumpy(), np.cross(p.asnumpy(), q.asnumpy(), axis=1),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ops.cross(T(5, 3), T(5, 3), dim=-1).shape, (5, 3))
    with pytest.raises(ValueError, match="size 3"):
        ops.cross(T(4, 2), T(4, 2))
    np.testing.assert_allclose(ops.vecdot(a, T(1, 3), axis=-1).shape, (2,))


def test_tensor_dot_forms():
    a, b = T(3, 4, 5), T(4, 5, 2)
    np.testing.assert_allclose(ops.tensor_dot(a, b, 2).asnumpy(), np.tensordot(a.asnumpy(), b.asnumpy(), 2),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ops.tensor_dot(a, b, ((1, 2), (0, 1))).asnumpy(),
                               np.tensordot(a.asnumpy(), b.asnumpy(), ((1, 2), (0, 1))), rtol=1e-5, atol=1e-5)
    c = T(5, 3)
    np.testing.assert_allclose(ops.tensor_dot(a, c, ((0, 2), (1, 0))).asnumpy(),
                               np.tensordot(a.asnumpy(), c.asnumpy(), ((0, 2), (1, 0))), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="contracted dims differ"):
        ops.tensor_dot(a, b, ((0,), (0,)))


@pytest.mark.parametrize("eq,shapes", [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
    ("ij->ji", [(2, 3)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("ij,ij->", [(2, 3), (2, 3)]),
    ("i,j->ij", [(2,), (3,)]),
    ("...ij,...jk", [(2, 1, 2, 3), (5, 3, 2)]),
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("abc->b", [(2, 3, 4)]),
    ("ijk,jil->kl", [(2, 3, 4), (3, 2, 5)]),
])
def test_einsum_matches_numpy(eq, shapes):
    xs = [T(*s, dtype=np.float64) for s in shapes]
    got = ops.einsum(eq, *xs)
    want = np.einsum(eq, *[x.asnumpy() for x in xs])
    assert got.shape == np.shape(want)
    np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-10, atol=1e-12)


def test_einsum_gradient_matches_finite_differences():
    a, b = T(2, 3, dtype=np.float64), T(3, 3, dtype=np.float64)

    def f(a, b):
        return ops.sum(ops.einsum("ij,jj,kj->ik", a, b, a) ** 2)
    ga, gb = ms.grad(f, grad_position=(0, 1))(a, b)

    def fn(A, B):
        return np.sum(np.einsum("ij,jj,kj->ik", A, B, A) ** 2)
    A, B = a.asnumpy().copy(), b.asnumpy().copy()
    for arr, g in ((A, ga), (B, gb)):
        num = np.zeros_like(arr)
        for k in range(arr.size):
            old = arr.flat[k]
            arr.flat[k] = old + 1e-6
            up = fn(A, B)
            arr.flat[k] = old - 1e-6
            down = fn(A, B)
            arr.flat[k] = old
            num.flat[k] = (up - down) / 2e-6
        np.testing.assert_allclose(g.asnumpy(), num, rtol=1e-5, atol=1e-6)


def test_einsum_errors():
    with pytest.raises(ValueError, match="names 2 operands"):
        ops.einsum("ij,jk->ik", T(2, 2))
    with pytest.raises(ValueError, match="subscripts but rank"):
        ops.einsum("ijk->i", T(2, 2))
    with pytest.raises(TypeError, match="'equation' must be a str"):
        ops.einsum(3, T(2))


def test_add_products_with_beta_alpha():
    inp, m1, m2 = T(2, 4), T(2, 3), T(3, 4)
    want = 0.5 * inp.asnumpy() + 2 * (m1.asnumpy() @ m2.asnumpy())
    np.testing.assert_allclose(ops.addmm(inp, m1, m2, beta=0.5, alpha=2).asnumpy(), want, rtol=1e-5, atol=1e-5)
    b1, b2 = T(5, 2, 3), T(5, 3, 4)
    np.testing.assert_allclose(ops.baddbmm(T(5, 2, 4), b1, b2, 0, 1).asnumpy(), b1.asnumpy() @ b2.asnumpy(),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ops.addbmm(inp, b1, b2).asnumpy(),
                               inp.asnumpy() + (b1.asnumpy() @ b2.asnumpy()).sum(0), rtol=1e-5, atol=1e-5)
    v = T(3)
    np.testing.assert_allclose(ops.addmv(T(2) * 0, m1, v).asnumpy(), m1.asnumpy() @ v.asnumpy(), rtol=1e-5,
                               atol=1e-6)
    u, w = T(2), T(4)
    np.testing.assert_allclose(ops.addr(inp, u, w, beta=1, alpha=3).asnumpy(),
                               inp.asnumpy() + 3 * np.outer(u.asnumpy(), w.asnumpy()), rtol=1e-5, atol=1e-5)


def test_batch_dot_default_axes():
    a, b = T(3, 2, 4), T(3, 4, 5)
    got = ops.batch_dot(a, b)
    assert got.shape == (3, 2, 5)
    np.testing.assert_allclose(got.asnumpy(), a.asnumpy() @ b.asnumpy(), rtol=1e-5, atol=1e-5)
    c, d = T(3, 4), T(3, 4)
    got = ops.batch_dot(c, d)
    assert got.shape == (3, 1)
    np.testing.assert_allclose(got.asnumpy()[:, 0], (c.asnumpy() * d.asnumpy()).sum(1), rtol=1e-5)


def test_inverse_det_slogdet():
    x = ms.Tensor((rng.standard_normal((2, 3, 3)) + 3 * np.eye(3)).astype(np.float64))
    np.testing.assert_allclose(ops.inverse(x).asnumpy(), np.linalg.inv(x.asnumpy()), rtol=1e-10)
    np.testing.assert_allclose(ops.det(x).asnumpy(), np.linalg.det(x.asnumpy()), rtol=1e-10)
    sign, logabs = ops.slogdet(x)
    s_want, l_want = np.linalg.slogdet(x.asnumpy())
    np.testing.assert_allclose(sign.asnumpy(), s_want)
    np.testing.assert_allclose(logabs.asnumpy(), l_want, rtol=1e-10)
    with pytest.raises(ValueError, match="square"):
        ops.det(T(2, 3))
    # gradient of log|det| is the inverse transpose
    g = ms.grad(lambda m: ops.sum(ops.slogdet(m)[1]))(x)
    np.testing.assert_allclose(g.asnumpy(), np.swapaxes(np.linalg.inv(x.asnumpy()), -1, -2), rtol=1e-8)


@pytest.mark.parametrize("dtype", [ms.float16, ms.bfloat16])
def test_half_precision_keeps_its_dtype(dtype):
    a = rng.standard_normal((3, 4)).astype(np.float32)
    b = rng.standard_normal((2, 4, 5)).astype(np.float32)
    got = ops.matmul(ms.Tensor(a, dtype), ms.Tensor(b, dtype))
    assert got.dtype == dtype
    np.testing.assert_allclose(got.asnumpy().astype(np.float32), a @ b, rtol=5e-2, atol=5e-2)
    got2 = ops.mm(ms.Tensor(a, dtype), ms.Tensor(b[0], dtype))
    assert got2.dtype == dtype


def _spd(n, batch=()):
    a = rng.standard_normal(batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def test_cholesky_family():
    a = _spd(3, (2,))
    low = ops.cholesky(ms.Tensor(a))
    np.testing.assert_allclose(low.asnumpy(), np.linalg.cholesky(a), rtol=1e-10)
    up = ops.cholesky(ms.Tensor(a), upper=True)
    np.testing.assert_allclose(up.asnumpy(), np.swapaxes(np.linalg.cholesky(a), -1, -2), rtol=1e-10)
    b = rng.standard_normal((2, 3, 4))
    np.testing.assert_allclose(ops.cholesky_solve(ms.Tensor(b), low).asnumpy(), np.linalg.solve(a, b), rtol=1e-9)
    np.testing.assert_allclose(ops.cholesky_solve(ms.Tensor(b), up, upper=True).asnumpy(), np.linalg.solve(a, b),
                               rtol=1e-9)
    np.testing.assert_allclose(ops.cholesky_inverse(low).asnumpy(), np.linalg.inv(a), rtol=1e-9)
    np.testing.assert_allclose(ops.cholesky_inverse(up, upper=True).asnumpy(), np.linalg.inv(a), rtol=1e-9)
    with pytest.raises(TypeError, match="'upper' must be a bool"):
        ops.cholesky(ms.Tensor(a), upper=1)


def test_cholesky_gradient_of_logdet_is_the_inverse():
    # log det A = 2 sum log diag(L): its gradient is A^-1 (A symmetric)
    a = ms.Tensor(_spd(4))
    eye = ms.Tensor(np.eye(4))
    g = ms.grad(lambda m: 2 * ops.sum(ops.log(ops.sum(ops.cholesky(m) * eye, 1))))(a)
    np.testing.assert_allclose(g.asnumpy(), np.linalg.inv(a.asnumpy()), rtol=1e-8)


def test_matrix_solve_and_power():
    a = _spd(3)
    b = rng.standard_normal((3, 2))
    np.testing.assert_allclose(ops.matrix_solve(ms.Tensor(a), ms.Tensor(b)).asnumpy(), np.linalg.solve(a, b),
                               rtol=1e-10)
    with pytest.raises(ValueError, match="does not fit 'matrix'"):
        ops.matrix_solve(ms.Tensor(a), ms.Tensor(rng.standard_normal((4, 2))))
    for n in (0, 1, 3, 6, -1, -3):
        np.testing.assert_allclose(ops.matrix_power(ms.Tensor(a), n).asnumpy(), np.linalg.matrix_power(a, n),
                                   rtol=1e-9)
    with pytest.raises(TypeError, match="'n' must be an int"):
        ops.matrix_power(ms.Tensor(a), 1.5)


def test_qr_svd_pinv():
    a = rng.standard_normal((2, 5, 3))
    q, r = ops.qr(ms.Tensor(a))
    assert q.shape == (2, 5, 3) and r.shape == (2, 3, 3)
    np.testing.assert_allclose(q.asnumpy() @ r.asnumpy(), a, atol=1e-12)
    q, r = ops.qr(ms.Tensor(a), mode="complete")
    assert q.shape == (2, 5, 5) and r.shape == (2, 5, 3)
    with pytest.raises(ValueError, match="'mode' must be 'reduced' or 'complete'"):
        ops.qr(ms.Tensor(a), mode="r2")
    s, u, v = ops.svd(ms.Tensor(a))
    assert s.shape == (2, 3) and u.shape == (2, 5, 3) and v.shape == (2, 3, 3)
    np.testing.assert_allclose((u.asnumpy() * s.asnumpy()[:, None, :]) @ np.swapaxes(v.asnumpy(), -1, -2), a,
                               atol=1e-12)
    np.testing.assert_allclose(ops.svd(ms.Tensor(a), compute_uv=False).asnumpy(), np.linalg.svd(a)[1], rtol=1e-12)
    s, u, v = ops.svd(ms.Tensor(a), full_matrices=True)
    assert u.shape == (2, 5, 5) and v.shape == (2, 3, 3)
    np.testing.assert_allclose(ops.pinv(ms.Tensor(a)).asnumpy(), np.linalg.pinv(a), atol=1e-12)
    # the nuclear norm's gradient is U V^T
    g = ms.grad(lambda m: ops.sum(ops.svd(m, compute_uv=False)))(ms.Tensor(a))
    uu, _, vh = np.linalg.svd(a, full_matrices=False)
    np.testing.assert_allclose(g.asnumpy(), uu @ vh, rtol=1e-9, atol=1e-12)
