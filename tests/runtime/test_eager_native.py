"""PyNative's native path (runtime/eager.py): with the context's backend "cpu", convolutions and
pools run eagerly on the C library kernels, equal to their numpy kernels and differentiable."""
import numpy as np
import pytest

import sporen as ms
from sporen import ops
from sporen.ops.registry import OPS
from sporen.runtime import cache, eager

pytestmark = pytest.mark.skipif(cache.compiler() is None, reason="no C compiler")


@pytest.fixture
def cpu_backend():
    before = ms.get_context("backend")
    ms.set_context(backend="cpu")
    try:
        yield
    finally:
        ms.set_context(backend=before)


def _both(fn):
    """``fn()`` as numpy arrays with the native path and with the numpy kernels."""
    ms.set_context(backend="cpu")
    native = [t.asnumpy() for t in fn()]
    ms.set_context(backend="numpy")
    reference = [t.asnumpy() for t in fn()]
    ms.set_context(backend="cpu")
    return native, reference


def test_conv_and_pool_run_natively_and_equal_numpy(cpu_backend):
    rng = np.random.default_rng(0)
    x = ms.Tensor(rng.standard_normal((4, 3, 17, 15)).astype(np.float32))
    w = ms.Tensor(rng.standard_normal((6, 3, 3, 3)).astype(np.float32))

    def forward_and_grads():
        def f(x, w):
            y = ops.conv2d(x, w, stride=2, pad_mode="pad", padding=1)
            y = ops.max_pool2d(ops.relu(y), 2, 2)
            return ops.avg_pool2d(y, 2, 1).sum()
        loss, (gx, gw) = ms.value_and_grad(f, grad_position=(0, 1))(x, w)
        return [loss, gx, gw]

    before = eager.stats["native"]
    native, reference = _both(forward_and_grads)
    assert eager.stats["native"] - before >= 6  # conv, its two gradients, both pools and their grads
    for a, b in zip(native, reference):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_each_native_op_equals_its_kernel(cpu_backend):
    """One call per op of NATIVE_OPS against ``Op.kernel`` on the same arrays."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 4, 9, 9)).astype(np.float32)
    w = rng.standard_normal((5, 4, 3, 3)).astype(np.float32)
    conv = dict(stride=(1, 1), padding=((1, 1), (1, 1)), dilation=(1, 1), groups=1)
    pool = dict(kernel_size=(2, 2), stride=(2, 2), padding=((0, 0), (0, 0)), dilation=(1, 1), ceil_mode=False)
    y = OPS["conv"].kernel(x, w, **conv)
    idx = OPS["max_pool_indices"].kernel(x, **pool)
    dp = rng.standard_normal(idx.shape).astype(np.float32)
    avg = dict(pool, count_include_pad=True, divisor_override=0)
    logits = rng.standard_normal((6, 10)).astype(np.float32)
    labels = rng.integers(-1, 10, 6).astype(np.int32)  # -1: ignored
    sce = dict(axis=1, ignore_index=-1, reduction="mean")
    cases = [("softmax", (logits,), dict(axis=(-1,))), ("log_softmax", (logits,), dict(axis=(-1,))),
             ("sparse_softmax_cross_entropy", (logits, labels), sce),
             ("sparse_softmax_cross_entropy_grad", (logits, labels, np.array(0.5, np.float32)), sce),
             ("conv", (x, w), conv), ("conv_transpose", (y, w), dict(conv, output_padding=(0, 0))),
             ("conv_weight_grad", (x, y), dict(conv, kernel_size=(3, 3))),
             ("max_pool", (x,), pool), ("max_pool_indices", (x,), pool),
             ("max_pool_grad", (dp, idx), dict(input_shape=x.shape)),
             ("avg_pool", (x,), avg), ("avg_pool_grad", (dp,), dict(avg, input_shape=x.shape))]
    assert {c[0] for c in cases} == set(eager.NATIVE_OPS)
    for name, arrays, attrs in cases:
        op = OPS[name]
        before = eager.stats["native"]
        got = op.eager(*arrays, **attrs)
        assert eager.stats["native"] == before + 1, name
        want = op.kernel(*arrays, **attrs)
        assert got.shape == want.shape and got.dtype == want.dtype, name
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5, err_msg=name)


def test_what_the_library_lacks_runs_on_numpy(cpu_backend):
    """float64 convolutions, 3-D ones and non-contiguous inputs: the numpy kernel, or a copy."""
    rng = np.random.default_rng(2)
    x = ms.Tensor(rng.standard_normal((2, 2, 6, 6, 6)))
    w = ms.Tensor(rng.standard_normal((3, 2, 2, 2, 2)))
    before = eager.stats["numpy"]
    y = ops.conv3d(x, w)
    assert eager.stats["numpy"] > before
    np.testing.assert_allclose(y.asnumpy(), OPS["conv"].kernel(
        x.asnumpy(), w.asnumpy(), stride=(1, 1, 1), padding=((0, 0),) * 3, dilation=(1, 1, 1), groups=1))
    xt = rng.standard_normal((9, 9, 3, 2)).astype(np.float32).transpose(3, 2, 0, 1)  # strided
    wt = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    got = ops.conv2d(ms.Tensor(xt), ms.Tensor(wt)).asnumpy()
    want = OPS["conv"].kernel(np.ascontiguousarray(xt), wt, stride=(1, 1), padding=((0, 0), (0, 0)),
                              dilation=(1, 1), groups=1)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_the_numpy_backend_keeps_the_numpy_kernels(cpu_backend):
    ms.set_context(backend="numpy")
    x = ms.Tensor(np.ones((1, 1, 4, 4), np.float32))
    before = dict(eager.stats)
    ops.max_pool2d(x, 2, 2)
    assert eager.stats == before


def test_embedding_stays_on_numpy_so_a_bad_index_raises(cpu_backend):
    from sporen import nn
    embedding = nn.Embedding(5, 3)
    with pytest.raises(IndexError):
        embedding(ms.Tensor(np.array([1, 7], np.int32)))
