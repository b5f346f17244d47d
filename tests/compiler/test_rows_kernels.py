"""The row and copy kernels (codegen/rows.py, codegen/kernels/rows.c, copy.c) against the numpy
kernels that define the ops' meaning: softmax/log_softmax over every axis, layer_norm's three
outputs, the sparse cross entropy and its gradient (ignored and out-of-range labels, every
reduction), concat/stack/split over every axis, embedding and its dense gradient (repeated and
negative indices). All kernels are compiled into one translation unit through CKernel.call, as the
cpu backend assembles them. Then the Transformer and an LSTM language model train on cpu as on
numpy, these ops running natively."""
import ctypes
import os
import shutil
import subprocess

import numpy as np
import pytest

import sporen as ms
from sporen import jit, nn
from sporen.codegen import header, library, rows
from sporen.codegen.lower import lower
from sporen.frontend.trace import trace_full
from sporen.ir.graph import Literal, Node, Var
from sporen.ops.registry import OPS
from sporen.passes.pipeline import optimize
from sporen.runtime import cpu as cpu_backend
from sporen.runtime import get_backend

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="no C compiler")

F32 = np.float32
F64 = np.float64


def _case_list():
    """(id, op, inputs, attrs): inputs are arrays, or Literal for a constant operand."""
    rng = np.random.default_rng(0)
    cases = []

    def normal(shape, dtype=F32, scale=1.0):
        return (rng.standard_normal(shape) * scale).astype(dtype)

    # softmax / log_softmax: every axis and adjacent pairs of a 3-D input, rows of one, odd sizes,
    # a leading axis wider than the kernel's column block, large and infinite logits
    for op in ("softmax", "log_softmax"):
        for dtype in (F32, F64):
            tag = f"{op}-{np.dtype(dtype).name}"
            cases.append((f"{tag}-one_row", op, [normal((1, 7), dtype)], {"axis": (1,)}))
            cases.append((f"{tag}-one_value", op, [normal((5, 1), dtype)], {"axis": (1,)}))
            cases.append((f"{tag}-odd_rows", op, [normal((13, 37), dtype, 4.0)], {"axis": (1,)}))
            cases.append((f"{tag}-vector", op, [normal((11,), dtype)], {"axis": (0,)}))
            x3 = normal((3, 5, 7), dtype, 3.0)
            for axes in ((0,), (1,), (2,), (0, 1), (1, 2), (0, 1, 2)):
                cases.append((f"{tag}-3d-axes{''.join(map(str, axes))}", op, [x3], {"axis": axes}))
            cases.append((f"{tag}-wide_inner", op, [normal((2, 3, 300), dtype)], {"axis": (1,)}))
            cases.append((f"{tag}-long_row", op, [normal((3, 2000), dtype, 5.0)], {"axis": (1,)}))
            big = normal((4, 9), dtype) * 100
            big[1, 3] = np.inf
            big[2, :] = -np.inf
            big[3, 5] = np.nan  # a NaN row stays NaN, as numpy's NaN maximum makes it
            cases.append((f"{tag}-inf", op, [big], {"axis": (1,)}))

    # layer_norm: weight and bias per column, as one literal value, or with leading unit axes
    def ln_attrs(begin, eps=1e-5):
        return {"begin_norm_axis": begin, "begin_params_axis": begin, "epsilon": eps}

    for dtype in (F32, F64):
        tag = f"layer_norm-{np.dtype(dtype).name}"
        cases.append((f"{tag}-rows", "layer_norm", [normal((7, 33), dtype, 2.0) + 3, normal((33,), dtype),
                                                    normal((33,), dtype)], ln_attrs(1)))
        cases.append((f"{tag}-one_row", "layer_norm", [normal((1, 5), dtype), normal((5,), dtype),
                                                       normal((5,), dtype)], ln_attrs(1, 1e-3)))
        cases.append((f"{tag}-two_axes", "layer_norm", [normal((2, 3, 20), dtype), normal((3, 20), dtype),
                                                        normal((3, 20), dtype)], ln_attrs(1)))
        cases.append((f"{tag}-last_of_3d", "layer_norm", [normal((2, 5, 9), dtype), normal((1, 9), dtype),
                                                          normal((9,), dtype)], ln_attrs(2)))
        cases.append((f"{tag}-literal_params", "layer_norm",
                      [normal((6, 10), dtype), Literal(np.array(1, dtype)), Literal(np.array(0, dtype))],
                      ln_attrs(1)))
        cases.append((f"{tag}-constant_rows", "layer_norm", [np.ones((3, 8), dtype), normal((8,), dtype),
                                                             normal((8,), dtype)], ln_attrs(1)))

    # sparse cross entropy and its gradient: ignored, negative and out-of-range labels
    for dtype in (F32, F64):
        for ltype in (np.int32, np.int64):
            tag = f"{np.dtype(dtype).name}-{np.dtype(ltype).name}"
            logits = normal((9, 13), dtype, 3.0)
            labels = np.array([0, 12, 3, -1, 13, 5, 7, 7, 2], ltype)  # -1, 13: not counted
            for reduction in ("none", "sum", "mean"):
                for ignore in (-100, 7):
                    attrs = {"axis": 1, "ignore_index": ignore, "reduction": reduction}
                    rid = f"{tag}-{reduction}-ignore{ignore}"
                    cases.append((f"sce-{rid}", "sparse_softmax_cross_entropy", [logits, labels], attrs))
                    dout = normal((9,) if reduction == "none" else (), dtype)
                    cases.append((f"sce_grad-{rid}", "sparse_softmax_cross_entropy_grad",
                                  [logits, labels, dout], attrs))
            lm_logits = normal((3, 4, 1000), dtype, 2.0)
            lm_logits[1, 2, 7] = np.nan
            lm_labels = rng.integers(0, 1000, (3, 4)).astype(ltype)
            attrs = {"axis": 2, "ignore_index": -100, "reduction": "mean"}
            cases.append((f"sce-3d-{tag}", "sparse_softmax_cross_entropy", [lm_logits, lm_labels], attrs))
            cases.append((f"sce_grad-3d-{tag}", "sparse_softmax_cross_entropy_grad",
                          [lm_logits, lm_labels, normal((), dtype)], attrs))
        none_counted = {"axis": 1, "ignore_index": 1, "reduction": "mean"}
        ones = np.ones(3, np.int32)
        cases.append((f"sce-none_counted-{np.dtype(dtype).name}", "sparse_softmax_cross_entropy",
                      [normal((3, 4), dtype), ones], none_counted))
        cases.append((f"sce_grad-none_counted-{np.dtype(dtype).name}", "sparse_softmax_cross_entropy_grad",
                      [normal((3, 4), dtype), ones, normal((), dtype)], none_counted))

    # concat / stack / split: every axis, several dtypes, a part of size 0
    for dtype in (F32, np.int64, np.bool_, np.float16):
        tag = np.dtype(dtype).name
        base = (3, 4, 5)
        for axis in range(3):
            shapes = []
            for size in (2, 1, 3):
                s = list(base)
                s[axis] = size
                shapes.append(tuple(s))
            parts = [normal(s).astype(dtype) for s in shapes]
            cases.append((f"concat-{tag}-axis{axis}", "concat", parts, {"axis": axis}))
            whole = normal(base).astype(dtype)
            sizes = [1, 0, base[axis] - 1]
            cases.append((f"split-{tag}-axis{axis}", "split", [whole], {"axis": axis, "sizes": tuple(sizes)}))
        for axis in range(4):
            parts = [normal(base).astype(dtype) for _ in range(3)]
            cases.append((f"stack-{tag}-axis{axis}", "stack", parts, {"axis": axis}))
    cases.append(("concat-literal", "concat", [normal((2, 3)), Literal(np.arange(6, dtype=F32).reshape(2, 3))],
                  {"axis": 1}))
    cases.append(("split-1d-one_part", "split", [normal((7,))], {"axis": 0, "sizes": (7,)}))

    # embedding and its dense gradient: repeated and negative indices, padding, counts
    for itype in (np.int32, np.int64):
        tag = np.dtype(itype).name
        idx = np.array([[0, 3, 3, -1], [10, 2, 3, -11]], itype)
        counted = np.array([[0, 3, 3, 10], [10, 2, 3, 0]], itype)  # np.bincount takes no negatives
        for dtype in (F32, F64, np.int64):
            emb = {"padding_idx": None, "scale_grad_by_freq": False}
            cases.append((f"embedding-{tag}-{np.dtype(dtype).name}", "embedding",
                          [normal((11, 5)).astype(dtype), idx], emb))
        cases.append((f"embedding-1d_table-{tag}", "embedding", [normal((11,)), idx],
                      {"padding_idx": None, "scale_grad_by_freq": False}))
        for dtype in (F32, F64):
            dout = normal((2, 4, 6), dtype)
            for padding, freq in ((None, False), (3, False), (-1, True), (None, True)):
                attrs = {"num_weights": 11, "padding_idx": padding, "scale_grad_by_freq": freq}
                cases.append((f"embedding_grad-{tag}-{np.dtype(dtype).name}-pad{padding}-freq{freq}",
                              "embedding_dense_grad", [dout, counted if freq else idx], attrs))
    many = np.random.default_rng(1).integers(0, 7, 200)
    cases.append(("embedding_grad-many_repeats", "embedding_dense_grad", [normal((200, 33)), many],
                  {"num_weights": 7, "padding_idx": None, "scale_grad_by_freq": False}))
    return cases


def _value(a):
    return a.value if isinstance(a, Literal) else a


def _node(op, inputs, attrs):
    """A graph node of ``op`` over ``inputs`` (its outputs typed by the numpy kernel's results)."""
    arrays = [_value(a) for a in inputs]
    with np.errstate(invalid="ignore", divide="ignore"):  # the infinite logits' rows
        expected = OPS[op].kernel(*arrays, **attrs)
    expected = tuple(expected) if isinstance(expected, tuple) else (np.asarray(expected),)
    ins = [a if isinstance(a, Literal) else Var(a.shape, a.dtype) for a in inputs]
    outs = [Var(e.shape, e.dtype) for e in expected]
    return Node(OPS[op], ins, attrs, outs), expected


def _build(cases, tmpdir):
    """Lower every case, compile them all in one translation unit, and return
    (library, {id: (k, node, kernel, expected)}) where the library has ``entry_<k>(void **v)``:
    v holds the inputs, then the outputs, then the workspace."""
    lowered = {}
    parts = [header.prelude("int64_t"), library.source("rows"), library.source("copy")]
    for k, (cid, op, inputs, attrs) in enumerate(cases):
        node, expected = _node(op, inputs, attrs)
        kernel = rows.lower(node, f"k{k}")
        lowered[cid] = (k, node, kernel, expected)
        if kernel is None:
            continue
        nin = len(inputs)
        nout = len(expected)
        ins = [f"v[{i}]" for i in range(nin)]
        outs = [f"v[{nin + i}]" for i in range(nout)]
        ws = f"v[{nin + nout}]" if kernel.workspace else None
        parts.append(kernel.source)
        parts.append(f"void entry_{k}(void **v) {{ {kernel.call(ins, outs, ws)} }}")
    src = os.path.join(tmpdir, "kernels.c")
    so = os.path.join(tmpdir, "kernels.so")
    with open(src, "w") as f:
        f.write("\n".join(parts))
    flags = ["-O3", "-march=native", "-fopenmp", "-fPIC", "-shared", "-std=gnu11", "-fno-math-errno",
             "-fno-trapping-math", "-Wall", "-Werror"]
    subprocess.run(["gcc", *flags, src, "-o", so], check=True, capture_output=True, text=True)
    return ctypes.CDLL(so), lowered


_CASES = _case_list()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return _build(_CASES, str(tmp_path_factory.mktemp("rows_kernels")))


def _garbage(shape, dtype):
    """An output buffer full of values no kernel result has: the kernel must write every entry."""
    out = np.empty(shape, dtype)
    out.reshape(-1).view(np.uint8)[...] = 0x7b
    return out


def _run(lib, k, kernel, inputs, expected):
    arrays = [np.ascontiguousarray(_value(a)) for a in inputs]
    outs = [_garbage(e.shape, e.dtype) for e in expected]
    ws = np.full(max(kernel.workspace, 8), 0x5a, np.uint8)
    keep = arrays + outs + [ws]
    table = (ctypes.c_void_p * len(keep))(*[a.ctypes.data for a in keep])
    getattr(lib, f"entry_{k}")(table)
    return outs


def _tolerance(dtype):
    return (1e-5, 1e-6) if np.dtype(dtype) == F32 else (1e-12, 1e-14)


@pytest.mark.parametrize("cid,op,inputs,attrs", _CASES, ids=[c[0] for c in _CASES])
def test_kernel_matches_numpy(built, cid, op, inputs, attrs):
    lib, lowered = built
    k, node, kernel, expected = lowered[cid]
    assert kernel is not None
    assert kernel.libraries == (("copy",) if op in ("concat", "stack", "split", "embedding",
                                                    "embedding_dense_grad") else ("rows",))
    got = _run(lib, k, kernel, inputs, expected)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.shape == e.shape and g.dtype == e.dtype
        if op in ("concat", "stack", "split", "embedding"):
            np.testing.assert_array_equal(g, e)  # a copy: exact
        elif op == "embedding_dense_grad" and not attrs["scale_grad_by_freq"]:
            np.testing.assert_array_equal(g, e)  # the sums in np.add.at's order: exact
        else:
            rtol, atol = _tolerance(e.dtype)
            np.testing.assert_allclose(g, e, rtol=rtol, atol=atol)


def test_out_of_range_embedding_rows_are_zero(built, tmp_path):
    """numpy raises IndexError for an index outside the table; the native gather, which cannot
    raise, writes a zero row (and the gradient leaves the index out)."""
    weight = np.arange(12, dtype=F32).reshape(4, 3) + 1
    idx = np.array([1, 4, -5, 2], np.int64)
    node = Node(OPS["embedding"], [Var((4, 3), F32), Var((4,), np.int64)],
                {"padding_idx": None, "scale_grad_by_freq": False}, [Var((4, 3), F32)])
    kernel = rows.lower(node, "k0")
    src = "\n".join([header.prelude("int64_t"), library.source("copy"),
                     f"void entry_0(void **v) {{ {kernel.call(['v[0]', 'v[1]'], ['v[2]'], None)} }}"])
    (tmp_path / "e.c").write_text(src)
    subprocess.run(["gcc", "-O2", "-fopenmp", "-fPIC", "-shared", str(tmp_path / "e.c"), "-o",
                    str(tmp_path / "e.so")], check=True)
    out = _garbage((4, 3), F32)
    keep = [weight, idx, out]
    ctypes.CDLL(str(tmp_path / "e.so")).entry_0((ctypes.c_void_p * 3)(*[a.ctypes.data for a in keep]))
    np.testing.assert_array_equal(out, np.stack([weight[1], np.zeros(3, F32), np.zeros(3, F32), weight[2]]))


def test_what_does_not_lower():
    """Half precision rows, a class axis not last, non-adjacent softmax axes, float labels' ops and
    other ops go to their numpy kernels."""
    x16 = Var((4, 8), np.float16)
    assert rows.lower(Node(OPS["softmax"], [x16], {"axis": (1,)}, [Var((4, 8), np.float16)]), "k") is None
    x3 = Var((2, 3, 4), F32)
    assert rows.lower(Node(OPS["softmax"], [x3], {"axis": (0, 2)}, [Var((2, 3, 4), F32)]), "k") is None
    labels = Var((4,), np.int32)
    sce = Node(OPS["sparse_softmax_cross_entropy"], [Var((8, 4), F32), labels],
               {"axis": 0, "ignore_index": -100, "reduction": "mean"}, [Var((), F32)])
    assert rows.lower(sce, "k") is None
    add = Node(OPS["add"], [Var((2,), F32), Var((2,), F32)], {}, [Var((2,), F32)])
    assert rows.lower(add, "k") is None
    assert lower(add, "k") is None


def test_lower_dispatches_row_ops_to_rows():
    node = Node(OPS["softmax"], [Var((4, 8), F32)], {"axis": (1,)}, [Var((4, 8), F32)])
    kernel = lower(node, "k3")
    assert kernel is not None and kernel.libraries == ("rows",)
    assert kernel.call(["a", "b"], ["c"], None) == "sp_softmax_f32(a, c, 4, 8, 1, 0);"


# --- models on the cpu backend ------------------------------------------------------------------

class _LanguageModel(nn.Cell):
    """A small LSTM language model: embedding, a 2-layer LSTM, a projection back to the vocabulary
    (the benchmark's lstm_lm in miniature)."""

    def __init__(self, vocab=50, hidden=16):
        super().__init__()
        self.embed = nn.Embedding(vocab, hidden)
        self.lstm = nn.LSTM(hidden, hidden, num_layers=2, batch_first=True)
        self.fc = nn.Dense(hidden, vocab)
        self.vocab = vocab

    def construct(self, x):
        out, _ = self.lstm(self.embed(x))
        return self.fc(out).reshape(-1, self.vocab)


class _Encoder(nn.Cell):
    """A Transformer encoder layer with its layer norms and attention softmax, then a classifier."""

    def __init__(self):
        super().__init__()
        layer = nn.TransformerEncoderLayer(16, 2, dim_feedforward=32, dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2)
        self.fc = nn.Dense(16, 5)

    def construct(self, x):
        return self.fc(self.encoder(x).mean(axis=1))


def _step(make):
    ms.set_seed(1)
    net = make()
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    opt = nn.Momentum(net.trainable_params(), learning_rate=0.1, momentum=0.9)
    step = nn.TrainOneStepCell(nn.WithLossCell(net, loss), opt)
    step.set_train()
    return step


def _train(make, x, y, backend, steps=3):
    step = _step(make)
    compiled = jit(step, backend=backend)
    losses = [float(compiled(x, y).asnumpy()) for _ in range(steps)]
    return step, losses


def _numpy_steps(make, x, y):
    """The ops of the step's compiled cpu graph that run their numpy kernels."""
    traced = trace_full(_step(make), (x, y))
    graph = optimize(traced.graph, backend=get_backend("cpu"))
    text = get_backend("cpu").describe(graph)
    line = next((row for row in text.splitlines() if row.strip().startswith("numpy:")), "")
    return {item.split()[-1] for item in line.split(":", 1)[-1].split(",") if item.strip()}


_ROW_OPS = {"softmax", "layer_norm", "sparse_softmax_cross_entropy", "sparse_softmax_cross_entropy_grad",
            "concat", "stack", "embedding", "embedding_dense_grad"}
# split is a view op of the memory plan; where the cpu backend computes it as a native copy (its
# NATIVE_COPIES) neither it nor the reshapes of its strided parts run in numpy
if "split" in getattr(cpu_backend, "NATIVE_COPIES", ()):
    _ROW_OPS |= {"split", "reshape"}


@pytest.fixture
def _pynative_after():
    yield
    ms.set_context(mode=ms.PYNATIVE_MODE)


def _model_data(name):
    rng = np.random.default_rng(0)
    if name == "lm":
        x = ms.Tensor(rng.integers(0, 50, (3, 7)).astype(np.int32))
        y = ms.Tensor(rng.integers(0, 50, 21).astype(np.int32))
        return _LanguageModel, x, y
    x = ms.Tensor(rng.standard_normal((3, 6, 16)).astype(F32))
    y = ms.Tensor(rng.integers(0, 5, 3).astype(np.int32))
    return _Encoder, x, y


@pytest.mark.parametrize("name", ["lm", "transformer"])
def test_models_train_on_cpu_as_on_numpy_with_native_rows(name, _pynative_after):
    make, x, y = _model_data(name)
    reference, want = _train(make, x, y, "numpy")
    native, got = _train(make, x, y, "cpu")
    np.testing.assert_allclose(got, want, rtol=1e-5)
    pa = dict(reference.parameters_and_names())
    pb = dict(native.parameters_and_names())
    for key in pa:
        np.testing.assert_allclose(pb[key].asnumpy(), pa[key].asnumpy(), rtol=1e-5, atol=1e-6, err_msg=key)
    ran_in_numpy = _numpy_steps(make, x, y)
    assert not ran_in_numpy & _ROW_OPS, sorted(ran_in_numpy)
