"""codegen/gemm.py: products lowered to BLAS calls on the planned buffers, BLAS on one thread and
the cores shared out by the kernel: a large product in panels over the team, a batch side by side.
The results equal numpy's whatever the team size, and numpy's BLAS thread count is what it was after
every run."""
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
    # (op, a, b, attrs, how the products run: "one" thread, "team" panels, "batch" side by side,
    #  "batch-or-team" (a few large products: side by side with enough of them, else in panels))
    ("matmul", (20, 256), (1024, 256), {"transpose_b": True}, "team"),     # the LSTM's h @ W_hh^T
    ("matmul", (20, 1024), (1024, 256), {}, "team"),                       # its backward dgates @ W_hh
    ("matmul", (300, 256), (300, 128), {"transpose_a": True}, "team"),     # panels of rows of a^T
    ("matmul", (37, 300), (300, 210), {}, "team"),                         # more columns: column panels
    ("matmul", (210, 300), (37, 300), {"transpose_b": True}, "team"),      # rows of b^T ... (and a tail)
    ("matmul", (200, 20), (20, 300), {}, "one"),                            # 1.2M multiply-adds
    ("batch_matmul", (2, 4, 16, 8), (2, 4, 16, 8), {"transpose_b": True}, "batch"),  # attention's q k^T
    ("batch_matmul", (3, 5, 4), (4, 6), {}, "one"),  # b shared: the batch folds into rows
    ("batch_matmul", (1, 3, 4, 5), (2, 1, 5, 6), {}, "batch"),  # broadcast batch dims
    ("batch_matmul", (3, 2, 160, 160), (3, 2, 160, 400), {}, "batch-or-team"),  # big products
]


@pytest.mark.parametrize("op, a_shape, b_shape, attrs, form", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_products_equal_numpy_and_leave_blas_threads_as_they_were(op, a_shape, b_shape, attrs, form, dtype):
    graph = _graph(op, a_shape, b_shape, dtype, **attrs)
    compiled = get_backend("cpu").prepare(graph)
    assert compiled.native == [True]
    kernel = compiled.source[compiled.source.index("static void k0("):]
    team_call = "gemm_team(" in kernel
    side_by_side = "#pragma omp parallel for" in kernel
    assert (team_call, side_by_side) == {"one": (False, False), "team": (True, False), "batch": (False, True),
                                         "batch-or-team": (True, True)}[form]
    rng = np.random.default_rng(3)
    a = rng.standard_normal(a_shape).astype(dtype)
    b = rng.standard_normal(b_shape).astype(dtype)
    info = blas()
    before = info.get_num_threads() if info.get_num_threads is not None else None
    try:
        for threads in (1, 2, 3, 7):  # panels and batches cover the product whatever the team
            compiled.library.sporen_set_threads(threads)
            got = compiled.run([a, b])[0]
            rtol = 1e-5 if dtype == np.float32 else 1e-12
            np.testing.assert_allclose(got, _want(a, b, attrs), rtol=rtol,
                                       atol=1e-4 if dtype == np.float32 else 1e-10)
    finally:
        compiled.library.sporen_set_threads(1)
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
    # the LSTM's per-step products (5M multiply-adds) and the Transformer's are cut into panels
    assert 200 * 20 * 300 < gemm.SPLIT_GEMM_MACS <= 20 * 256 * 1024
