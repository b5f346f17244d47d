"""codegen/gemm.py: products lowered to BLAS calls on the planned buffers. Small products run BLAS on
one thread and a batch of them on parallel OpenMP threads; the results equal numpy's, and numpy's
BLAS thread count is what it was after every run."""
import numpy as np
import pytest

from sporen import dtype as mstype
from sporen.codegen import gemm
from sporen.ir import Graph, Node, Var
from sporen.ops.registry import OPS, Aval
from sporen.runtime import cache, get_backend
from sporen.runtime.blas import blas

pytestmark = pytest.mark.skipif(cache.compiler() is None or blas() is None,
                                reason="needs a C compiler and numpy's BLAS")


def _graph(op, a_shape, b_shape, dtype, **attrs):
    a = Var(a_shape, dtype)
    b = Var(b_shape, dtype)
    t = mstype._BY_NP[np.dtype(dtype)]
    inferred = OPS[op].infer(Aval(a_shape, t), Aval(b_shape, t), **attrs)
    c = Var(inferred.shape, dtype)
    return Graph(op, [a, b], [Node(OPS[op], [a, b], attrs, [c])], [c])


def _want(a, b, attrs):
    x = np.swapaxes(a, -1, -2) if attrs.get("transpose_a") else a
    y = np.swapaxes(b, -1, -2) if attrs.get("transpose_b") else b
    return np.matmul(x.astype(np.float64), y.astype(np.float64))


CASES = [
    # (op, a, b, attrs, BLAS on one thread, batch products in parallel)
    ("matmul", (20, 256), (1024, 256), {"transpose_b": True}, True, False),   # the LSTM's h @ W_hh^T
    ("matmul", (20, 1024), (1024, 256), {}, True, False),                     # its backward dgates @ W_hh
    ("matmul", (300, 256), (300, 128), {"transpose_a": True}, False, False),   # 9.8M multiply-adds: two
    ("batch_matmul", (2, 4, 16, 8), (2, 4, 16, 8), {"transpose_b": True}, True, True),  # attention's q k^T
    ("batch_matmul", (3, 5, 4), (4, 6), {}, True, False),  # b shared: the batch folds into rows
    ("batch_matmul", (1, 3, 4, 5), (2, 1, 5, 6), {}, True, True),  # broadcast batch dims
    ("batch_matmul", (3, 2, 160, 160), (3, 2, 160, 400), {}, False, False),  # big products: a serial loop
]


@pytest.mark.parametrize("op, a_shape, b_shape, attrs, single, parallel", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_products_equal_numpy_and_leave_blas_threads_as_they_were(op, a_shape, b_shape, attrs, single,
                                                                  parallel, dtype):
    graph = _graph(op, a_shape, b_shape, dtype, **attrs)
    compiled = get_backend("cpu").prepare(graph)
    assert compiled.native == [True]
    source = compiled.source
    assert ("sp_blas_single_begin()" in source) == single
    assert ("#pragma omp parallel for num_threads(threads)" in source) == parallel
    rng = np.random.default_rng(3)
    a = rng.standard_normal(a_shape).astype(dtype)
    b = rng.standard_normal(b_shape).astype(dtype)
    info = blas()
    before = info.get_num_threads() if info.get_num_threads is not None else None
    for _ in range(3):  # the parallel batch writes each product once, whatever the schedule
        got = compiled.run([a, b])[0]
        rtol = 1e-5 if dtype == np.float32 else 1e-12
        np.testing.assert_allclose(got, _want(a, b, attrs), rtol=rtol, atol=1e-4 if dtype == np.float32 else 1e-10)
    if before is not None:
        assert info.get_num_threads() == before


def test_blas_threads_are_restored_when_blas_runs_several():
    info = blas()
    if info.set_num_threads is None:
        pytest.skip("numpy's BLAS has no thread setter")
    graph = _graph("matmul", (8, 16), (16, 4), np.float32)
    compiled = get_backend("cpu").prepare(graph)
    old = info.get_num_threads()
    try:
        info.set_num_threads(2)
        a = np.ones((8, 16), np.float32)
        b = np.ones((16, 4), np.float32)
        np.testing.assert_array_equal(compiled.run([a, b])[0], np.full((8, 4), 16, np.float32))
        assert info.get_num_threads() == 2
    finally:
        info.set_num_threads(old)


def test_the_threshold_splits_the_lstm_and_transformer_products():
    # the LSTM's per-step products go to one thread, the Transformer's dense layers keep two
    assert 20 * 256 * 1024 < gemm.SMALL_GEMM_MACS <= 1024 * 256 * 256
