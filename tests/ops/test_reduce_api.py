"""The reduction functional ops: MindSpore 2.x signatures, return dtypes, tuples and errors."""
import numpy as np
import pytest

import sporen as ms
from sporen import ops

X = np.array([[1.0, 3.0, 4.0, 2.0], [4.0, 2.0, 5.0, 3.0], [5.0, 4.0, 2.0, 3.0]], np.float32)


def T(values, dtype=None):
    return ms.Tensor(np.array(values), dtype)


def test_max_min_return_values_and_int32_indices():
    x = ms.Tensor(X)
    values, index = ops.max(x, axis=1)
    np.testing.assert_allclose(values.asnumpy(), [4, 5, 5])
    assert index.dtype == ms.int32
    np.testing.assert_array_equal(index.asnumpy(), [2, 2, 0])
    values, index = ops.min(x, axis=0, keepdims=True)
    assert values.shape == (1, 4) and index.shape == (1, 4)
    np.testing.assert_array_equal(index.asnumpy(), [[0, 1, 2, 0]])
    values, index = ops.max(x)  # axis=None: everything, index 0
    assert float(values) == 5.0 and int(index) == 0 and values.shape == ()


def test_max_initial_and_where():
    x = ms.Tensor(X)
    mask = T([[True, False, False, True]] * 3)
    values, _ = ops.max(x, axis=1, initial=0.0, where=mask)
    np.testing.assert_allclose(values.asnumpy(), [2, 4, 5])
    with pytest.raises(ValueError, match="initial"):
        ops.amax(x, where=mask)
    np.testing.assert_allclose(ops.amax(x, axis=1, initial=4.5).asnumpy(), [4.5, 5, 5])


def test_max_errors():
    with pytest.raises(TypeError, match="axis"):
        ops.max(ms.Tensor(X), axis=(0, 1))
    with pytest.raises(TypeError, match="keepdims"):
        ops.max(ms.Tensor(X), axis=0, keepdims=1)
    with pytest.raises(ValueError, match="axis"):
        ops.amax(ms.Tensor(X), axis=2)


def test_amax_amin_reduce_variants():
    x = ms.Tensor(X)
    np.testing.assert_allclose(ops.amax(x, axis=(0, 1)).asnumpy(), 5)
    np.testing.assert_allclose(ops.amin(x, axis=-1, keepdims=True).asnumpy(), [[1], [2], [2]])
    np.testing.assert_allclose(ops.reduce_max(x, 0).asnumpy(), [5, 4, 5, 3])
    np.testing.assert_allclose(ops.reduce_min(x).asnumpy(), 1)
    np.testing.assert_allclose(ops.reduce_prod(x, 1, keep_dims=True).asnumpy(), [[24], [120], [120]])
    assert ops.prod(T([1, 2, 3], ms.int32), dtype=ms.float64).dtype == ms.float64
    np.testing.assert_allclose(ops.prod(x, axis=0).asnumpy(), [20, 24, 40, 18])
    mn, mx = ops.aminmax(x, axis=1)
    np.testing.assert_allclose(mn.asnumpy(), [1, 2, 2])
    np.testing.assert_allclose(mx.asnumpy(), [4, 5, 5])


def test_max_gradient_splits_between_ties():
    x = T([[1.0, 3.0, 3.0, -1.0], [2.0, 2.0, 0.0, 2.0]], ms.float64)
    g = ms.grad(lambda t: ops.sum(ops.amax(t, axis=1)))(x)
    np.testing.assert_allclose(g.asnumpy(), [[0, 0.5, 0.5, 0], [1 / 3, 1 / 3, 0, 1 / 3]])


def test_argmax_int64_and_argmin_int32():
    x = ms.Tensor(X)
    out = ops.argmax(x, dim=1)
    assert out.dtype == ms.int64
    np.testing.assert_array_equal(out.asnumpy(), [2, 2, 0])
    assert int(ops.argmax(x)) == 6
    assert ops.argmax(x, dim=0, keepdim=True).shape == (1, 4)
    out = ops.argmin(x, axis=0)
    assert out.dtype == ms.int32
    np.testing.assert_array_equal(out.asnumpy(), [0, 1, 2, 0])
    assert int(ops.argmin(x)) == 0
    with pytest.raises(ValueError, match="dim"):
        ops.argmax(x, dim=5)


def test_all_any_count_nonzero():
    x = T([[0, 1, 2], [3, 4, 5]], ms.int32)
    np.testing.assert_array_equal(ops.all(x, axis=1).asnumpy(), [False, True])
    np.testing.assert_array_equal(ops.any(x, axis=0).asnumpy(), [True, True, True])
    assert ops.all(x).shape == () and not bool(ops.all(x))
    assert ops.any(x, keep_dims=True).shape == (1, 1)
    out = ops.count_nonzero(x)
    assert out.dtype == ms.int32 and int(out) == 5
    np.testing.assert_array_equal(ops.count_nonzero(x, axis=1, keep_dims=True, dtype=ms.int64).asnumpy(), [[2], [3]])


def test_std_var_with_ddof_and_tuples():
    x = ms.Tensor(X)
    np.testing.assert_allclose(ops.std(x).asnumpy(), np.std(X), rtol=1e-6)
    np.testing.assert_allclose(ops.var(x, axis=0, ddof=1).asnumpy(), np.var(X, axis=0, ddof=1), rtol=1e-6)
    np.testing.assert_allclose(ops.std(x, axis=0, ddof=True, keepdims=True).asnumpy(),
                               np.std(X, axis=0, ddof=1, keepdims=True), rtol=1e-6)
    s, m = ops.std_mean(x, axis=1)
    np.testing.assert_allclose(s.asnumpy(), np.std(X, axis=1), rtol=1e-6)
    np.testing.assert_allclose(m.asnumpy(), np.mean(X, axis=1), rtol=1e-6)
    v, m = ops.var_mean(x, axis=(0, 1), keepdims=True)
    assert v.shape == (1, 1) and m.shape == (1, 1)
    with pytest.raises(TypeError, match="ddof"):
        ops.std(x, ddof=0.5)
    with pytest.raises(TypeError, match="float"):
        ops.var(T([1, 2], ms.int32))
    x64 = X.astype(np.float64)
    g = ms.grad(lambda t: ops.sum(ops.var(t, axis=1, ddof=1)))(ms.Tensor(x64))
    expected = 2 * (x64 - x64.mean(axis=1, keepdims=True)) / 3
    np.testing.assert_allclose(g.asnumpy(), expected, rtol=1e-10)


def test_logsumexp_and_logcumsumexp():
    x = ms.Tensor(X)
    np.testing.assert_allclose(ops.logsumexp(x, 1).asnumpy(), np.log(np.exp(X).sum(1)), rtol=1e-6)
    assert ops.logsumexp(x, (0, 1), keep_dims=True).shape == (1, 1)
    out = ops.logcumsumexp(ms.Tensor(X.astype(np.float64)), 1)
    np.testing.assert_allclose(out.asnumpy(), np.log(np.cumsum(np.exp(X.astype(np.float64)), 1)), rtol=1e-12)


def test_cumulative_ops():
    x = ms.Tensor(X)
    np.testing.assert_allclose(ops.cumsum(x, 1).asnumpy(), np.cumsum(X, 1))
    assert ops.cumsum(T([1, 2], ms.int32), 0, dtype=ms.float32).dtype == ms.float32
    np.testing.assert_allclose(ops.cumprod(x, dim=0).asnumpy(), np.cumprod(X, 0))
    values, index = ops.cummax(x, axis=1)
    np.testing.assert_allclose(values.asnumpy(), np.maximum.accumulate(X, 1))
    assert index.dtype == ms.int64
    np.testing.assert_array_equal(index.asnumpy()[0], [0, 1, 2, 2])
    values, index = ops.cummin(x, axis=0)
    np.testing.assert_array_equal(index.asnumpy()[:, 0], [0, 0, 0])
    with pytest.raises(ValueError, match="axis"):
        ops.cumsum(x, 2)
    with pytest.raises(TypeError, match="axis"):
        ops.cummax(x, axis=None)


def test_median_returns_lower_middle_and_index():
    x = T([[4.0, 1.0, 3.0, 2.0], [9.0, 7.0, 8.0, 6.0]], ms.float32)
    values, index = ops.median(x)
    np.testing.assert_allclose(values.asnumpy(), [2, 7])
    np.testing.assert_array_equal(index.asnumpy(), [3, 1])
    values, index = ops.median(x, axis=0, keepdims=True)
    assert values.shape == (1, 4)
    np.testing.assert_allclose(values.asnumpy(), [[4, 1, 3, 2]])


def test_nansum_nanmean():
    x = T([[1.0, np.nan], [np.nan, np.nan], [2.0, 4.0]], ms.float32)
    np.testing.assert_allclose(ops.nansum(x).asnumpy(), 7)
    np.testing.assert_allclose(ops.nansum(x, axis=1, keepdims=True).asnumpy(), [[1], [0], [6]])
    out = ops.nanmean(x, axis=1)
    np.testing.assert_allclose(out.asnumpy(), [1, np.nan, 3])
    assert ops.nansum(T([1, 2], ms.int32), dtype=ms.float64).dtype == ms.float64


def test_norm_vector_and_matrix():
    x = ms.Tensor(X)
    np.testing.assert_allclose(ops.norm(x).asnumpy(), np.linalg.norm(X), rtol=1e-6)
    np.testing.assert_allclose(ops.norm(x, dim=1).asnumpy(), np.linalg.norm(X, axis=1), rtol=1e-6)
    for ord in (1, 3, float("inf"), float("-inf"), 0):
        np.testing.assert_allclose(ops.norm(x, ord, dim=0).asnumpy(), np.linalg.norm(X, ord, axis=0), rtol=1e-6)
    for ord in ("fro", 1, -1, float("inf"), float("-inf")):
        np.testing.assert_allclose(ops.norm(x, ord).asnumpy(), np.linalg.norm(X, ord), rtol=1e-6)
    assert ops.norm(x, dim=(0, 1), keepdim=True).shape == (1, 1)
    assert ops.norm(T([3, 4], ms.int32), dtype=ms.float32).dtype == ms.float32
    with pytest.raises(TypeError, match="float"):
        ops.norm(T([3, 4], ms.int32))
    with pytest.raises(ValueError, match="matrix"):
        ops.norm(x, "fro", dim=1)
    with pytest.raises(ValueError, match="1-D or 2-D"):
        ops.norm(ms.Tensor(np.ones((2, 2, 2), np.float32)), 2)


def test_sum_and_mean_defaults():
    x = ms.Tensor(X)
    np.testing.assert_allclose(ops.sum(x, dim=1, keepdim=True).asnumpy(), X.sum(1, keepdims=True))
    np.testing.assert_allclose(ops.mean(x, 0).asnumpy(), X.mean(0))
    np.testing.assert_allclose(ops.mean(x, axis=(0, 1), keep_dims=True).asnumpy(), [[X.mean()]], rtol=1e-6)


def test_quantile_and_nanquantile_match_numpy():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 7)).astype(np.float32)
    t = ms.Tensor(x)
    np.testing.assert_allclose(ops.quantile(t, 0.3, axis=1).asnumpy(), np.quantile(x, 0.3, axis=1), rtol=1e-6)
    q = ms.Tensor(np.array([0.1, 0.5, 1.0], np.float32))
    out = ops.quantile(t, q, axis=0, keepdims=True)
    assert out.shape == (3, 1, 7)
    np.testing.assert_allclose(out.asnumpy(), np.quantile(x, [0.1, 0.5, 1.0], axis=0, keepdims=True), rtol=1e-6)
    np.testing.assert_allclose(ops.quantile(t, 0.5).asnumpy(), np.quantile(x, 0.5), rtol=1e-6)
    xn = x.copy()
    xn[0, 2] = np.nan
    xn[2, :] = np.nan
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(ops.nanquantile(ms.Tensor(xn), 0.3, axis=1).asnumpy(),
                                   np.nanquantile(xn, 0.3, axis=1), rtol=1e-6)
    np.testing.assert_allclose(ops.quantile(ms.Tensor(xn), 0.3, axis=1).asnumpy(), np.quantile(xn, 0.3, axis=1),
                               rtol=1e-6)
    with pytest.raises(ValueError, match="\\[0, 1\\]"):
        ops.quantile(t, 1.5)
    with pytest.raises(TypeError, match="float"):
        ops.quantile(T([1, 2], ms.int32), 0.5)


def test_quantile_gradient_interpolates_between_neighbours():
    x = ms.Tensor(np.array([[4.0, 1.0, 3.0, 2.0]]))
    g = ms.grad(lambda t: ops.sum(ops.quantile(t, 0.5, axis=1)))(x)
    np.testing.assert_allclose(g.asnumpy(), [[0, 0, 0.5, 0.5]])  # median of 4 = mean of 2 and 3


def test_nanmedian():
    x = T([[1.0, np.nan, 3.0, 2.0], [np.nan, np.nan, np.nan, np.nan]], ms.float32)
    values, index = ops.nanmedian(x, axis=1)
    np.testing.assert_allclose(values.asnumpy(), [2.0, np.nan])
    assert int(index.asnumpy()[0]) == 3


def test_vector_and_matrix_norm():
    x = ms.Tensor(X)
    np.testing.assert_allclose(ops.vector_norm(x).asnumpy(), np.linalg.norm(X), rtol=1e-6)
    np.testing.assert_allclose(ops.vector_norm(x, 3, axis=1, keepdims=True).asnumpy(),
                               np.linalg.norm(X, 3, axis=1, keepdims=True), rtol=1e-6)
    m = ms.Tensor(X.reshape(3, 2, 2))
    np.testing.assert_allclose(ops.matrix_norm(m).asnumpy(), np.linalg.norm(X.reshape(3, 2, 2), axis=(1, 2)),
                               rtol=1e-6)
    np.testing.assert_allclose(ops.matrix_norm(m, 1).asnumpy(), np.linalg.norm(X.reshape(3, 2, 2), 1, axis=(1, 2)),
                               rtol=1e-6)
    with pytest.raises(TypeError, match="ord"):
        ops.vector_norm(x, "fro")
    with pytest.raises(ValueError, match="2 dimensions"):
        ops.matrix_norm(T([1.0, 2.0]))


def test_cov_matches_numpy():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 6))
    t = ms.Tensor(x)
    np.testing.assert_allclose(ops.cov(t).asnumpy(), np.cov(x), rtol=1e-12)
    fw = np.array([1, 2, 1, 3, 1, 2])
    aw = np.linspace(0.1, 1, 6)
    np.testing.assert_allclose(ops.cov(t, correction=0, fweights=ms.Tensor(fw), aweights=ms.Tensor(aw)).asnumpy(),
                               np.cov(x, ddof=0, fweights=fw, aweights=aw), rtol=1e-12)
    np.testing.assert_allclose(ops.cov(ms.Tensor(x[0])).asnumpy(), np.cov(x[0]), rtol=1e-12)
    with pytest.raises(ValueError, match="fweights"):
        ops.cov(t, fweights=ms.Tensor(np.array([1, 2])))


def test_histc_bincount_trapz():
    np.testing.assert_allclose(ops.histc(T([1.0, 2.0, 1.0, 5.0]), bins=4, min=0, max=3).asnumpy(), [0, 2, 1, 0])
    np.testing.assert_allclose(ops.histc(T([1.0, 2.0, 3.0]), bins=2).asnumpy(), [1, 2])
    out = ops.bincount(T([0, 1, 1, 3], ms.int32), minlength=6)
    assert out.dtype == ms.int64
    np.testing.assert_array_equal(out.asnumpy(), [1, 2, 0, 1, 0, 0])
    np.testing.assert_allclose(ops.bincount(T([0, 2], ms.int32), T([0.5, 1.5])).asnumpy(), [0.5, 0, 1.5])
    with pytest.raises(ValueError, match="non-negative"):
        ops.bincount(T([-1, 2], ms.int32))
    y = ms.Tensor(X)
    np.testing.assert_allclose(ops.trapz(y).asnumpy(), np.trapezoid(X), rtol=1e-6)
    np.testing.assert_allclose(ops.trapz(y, dx=0.5, dim=0).asnumpy(), np.trapezoid(X, dx=0.5, axis=0), rtol=1e-6)
    pts = np.array([0.0, 0.5, 2.0, 2.5], np.float32)
    np.testing.assert_allclose(ops.trapz(y, ms.Tensor(pts)).asnumpy(), np.trapezoid(X, pts), rtol=1e-6)


def test_norm_gradient_is_zero_not_nan_at_zero():
    z = ms.Tensor(np.zeros((2, 3)))
    for ord in (None, 3):
        g = ms.grad(lambda t, o=ord: ops.sum(ops.norm(t, o, dim=1)))(z)
        np.testing.assert_array_equal(g.asnumpy(), np.zeros((2, 3)))
    x = ms.Tensor(np.array([[3.0, 4.0], [0.0, 0.0]]))
    g = ms.grad(lambda t: ops.sum(ops.norm(t, dim=1)))(x)
    np.testing.assert_allclose(g.asnumpy(), [[0.6, 0.8], [0, 0]])
