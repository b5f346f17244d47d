"""The native cpu backend against the reference: every op case of tests/ops (one graph per case
module, each op followed by casts, as test_plan.py builds them), matrix products through BLAS, the
models of test_models.py trained for a few steps, donation into parameters, the compiled library
found by a second process, the fallback with no compiler, and a training step allocating nothing
beyond its outputs."""
import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import sporen as ms
from sporen import ops
from sporen import dtype as mstype
from sporen import jit
from sporen.frontend.trace import trace_full
from sporen.ir import Graph, Node, Var, interpret
from sporen.ops.registry import OPS, Aval
from sporen.passes.pipeline import optimize
from sporen.runtime import cache, get_backend

from ..compiler.test_ir import _op_cases
from ..compiler.test_models import _ALL_MODELS, _data, _train_step
from ..compiler.test_plan import _peak_above_start

pytestmark = pytest.mark.skipif(cache.compiler() is None, reason="no C compiler")

F32 = np.float32
STEPS = 3
_HALF_RTOL = {np.dtype(np.float16): 2e-3, np.dtype(mstype.bfloat16.np): 1e-2}


@pytest.fixture(autouse=True)
def _pynative_after():
    yield
    ms.set_context(mode=ms.PYNATIVE_MODE)


def _cast_node(value):
    final = Var(value.shape, value.dtype)
    return final, Node(OPS["cast"], [value], {"dtype": mstype._BY_NP[value.dtype]}, [final])


def _module_graph(module):
    """All op cases of ``tests/ops/<module>.py`` (every dtype) side by side in one graph: each case's
    op on params of its own, then a cast of each output (so the op feeds a fusible consumer)."""
    import importlib
    cases = importlib.import_module(f"tests.ops.{module}").CASES
    params = []
    arrays = []
    nodes = []
    outputs = []
    labels = []
    rng = np.random.default_rng(0)
    for case in cases:
        op = OPS[case.op]
        for dtype in case.dtypes:
            values = case.make(rng, dtype)
            ins = [Var(a.shape, a.dtype) for a in values]
            inferred = op.infer(*[Aval(a.shape, mstype._BY_NP[a.dtype]) for a in values], **case.attrs)
            inferred = inferred if isinstance(inferred, tuple) else (inferred,)
            outs = [Var(a.shape, a.dtype.np) for a in inferred]
            nodes.append(Node(op, ins, case.attrs, outs))
            for j, out in enumerate(outs):
                final, cast = _cast_node(out)
                nodes.append(cast)
                outputs.append(final)
                labels.append((f"{case.op} {dtype} output {j}", op.impure))
            params.extend(ins)
            arrays.extend(values)
    return Graph(module, params, nodes, outputs), arrays, labels


def _case_modules():
    import pkgutil

    import tests.ops as cases_pkg
    return sorted(info.name for info in pkgutil.iter_modules(cases_pkg.__path__) if info.name.startswith("cases_"))


def _assert_close(got, want, label, failures):
    if got.shape != want.shape or got.dtype != want.dtype:
        failures.append(f"{label}: {got.dtype}{list(got.shape)} != {want.dtype}{list(want.shape)}")
        return
    if want.dtype.kind in "biuU" or want.dtype.kind == "O":
        if not np.array_equal(got, want):
            failures.append(f"{label}: differs (exact)")
        return
    rtol = _HALF_RTOL.get(want.dtype, 1e-5)
    g = got.astype(np.complex128 if want.dtype.kind == "c" else np.float64)
    w = want.astype(g.dtype)
    if not np.allclose(g, w, rtol=rtol, atol=1e-6, equal_nan=True):
        worst = np.nanmax(np.abs(g - w)) if g.size else 0
        failures.append(f"{label}: differs, max abs error {worst}")


def test_the_op_cases_cover_most_registered_ops():
    assert len({case.op for case in _op_cases()}) > 150


@pytest.mark.parametrize("module", _case_modules())
def test_every_op_case_on_cpu_equals_the_reference(module):
    """Each case module's graph on "cpu" (twice: the second run reuses the arena and the pointer
    table) equals the interpreter: exactly for ints and bools, at float32 rounding for floats, by
    shape and dtype for random ops."""
    graph, arrays, labels = _module_graph(module)
    want = interpret(graph, *arrays)
    compiled = get_backend("cpu").prepare(graph)
    failures = []
    for _ in range(2):
        got = compiled.run([a.copy() for a in arrays])
        for (label, impure), g, w in zip(labels, got, want):
            if impure:
                if g.shape != w.shape or g.dtype != w.dtype:
                    failures.append(f"{label}: type differs")
                continue
            _assert_close(g, w, label, failures)
    assert not failures, "\n".join(failures)


def _gemm_graph(op, a_shape, b_shape, dtype, **attrs):
    a = Var(a_shape, dtype)
    b = Var(b_shape, dtype)
    inferred = OPS[op].infer(Aval(a_shape, mstype._BY_NP[np.dtype(dtype)]),
                             Aval(b_shape, mstype._BY_NP[np.dtype(dtype)]), **attrs)
    c = Var(inferred.shape, dtype)
    return Graph(op, [a, b], [Node(OPS[op], [a, b], attrs, [c])], [c])


@pytest.mark.parametrize("op, a_shape, b_shape, attrs", [
    ("matmul", (5, 7), (7, 3), {}),
    ("matmul", (7, 5), (7, 3), {"transpose_a": True}),
    ("matmul", (5, 7), (3, 7), {"transpose_b": True}),
    ("matmul", (7, 5), (3, 7), {"transpose_a": True, "transpose_b": True}),
    ("matmul", (4, 0), (0, 3), {}),
    ("matmul", (0, 3), (3, 2), {}),
    ("batch_matmul", (2, 3, 4, 5), (5, 6), {}),
    ("batch_matmul", (2, 3, 5, 4), (3, 6, 5), {"transpose_a": True, "transpose_b": True}),
    ("batch_matmul", (1, 3, 4, 5), (2, 1, 5, 6), {}),
    ("batch_matmul", (4, 5), (2, 3, 5, 6), {}),
    ("batch_matmul", (2, 4, 5), (2, 6, 5), {"transpose_b": True}),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matrix_products_run_through_blas_and_equal_numpy(op, a_shape, b_shape, attrs, dtype):
    graph = _gemm_graph(op, a_shape, b_shape, dtype, **attrs)
    rng = np.random.default_rng(1)
    a = rng.standard_normal(a_shape).astype(dtype)
    b = rng.standard_normal(b_shape).astype(dtype)
    compiled = get_backend("cpu").prepare(graph)
    assert compiled.native == [True]
    assert "sp_sgemm" in compiled.source or "sp_dgemm" in compiled.source or 0 in graph.outputs[0].shape \
        or 0 in a_shape
    x = np.swapaxes(a, -1, -2) if attrs.get("transpose_a") else a
    y = np.swapaxes(b, -1, -2) if attrs.get("transpose_b") else b
    want = np.matmul(x, y)
    got = compiled.run([a, b])[0]
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-6)


def test_half_precision_matmul_runs_in_numpy():
    graph = _gemm_graph("matmul", (3, 4), (4, 2), np.float16)
    compiled = get_backend("cpu").prepare(graph)
    assert compiled.native == [False]
    a = np.ones((3, 4), np.float16)
    np.testing.assert_array_equal(compiled.run([a, np.ones((4, 2), np.float16)])[0], np.full((3, 2), 4, np.float16))


def test_describe_lists_segments_and_the_kept_source():
    a = Var((4, 8), F32)
    b = Var((8, 3), F32)
    c = Var((4, 3), F32)
    d = Var((12,), F32)
    nodes = [Node(OPS["matmul"], [a, b], {}, [c]), Node(OPS["reshape"], [c], {"shape": (12,)}, [d])]
    graph = Graph("g", [a, b], nodes, [d])
    compiled = get_backend("cpu").prepare(graph)
    text = get_backend("cpu").describe(graph)
    assert "native: 2 of 2 nodes in 1 segments" in text
    assert "seg_0: 0 matmul, 1 reshape" in text
    assert f"C source: {compiled.source_file}" in text
    assert "void seg_0(void **v)" in open(compiled.source_file).read()
    assert "v[3] = v[2];  /* reshape */" in compiled.source
    x = np.arange(32, dtype=F32).reshape(4, 8)
    y = np.arange(24, dtype=F32).reshape(8, 3)
    np.testing.assert_array_equal(compiled.run([x, y])[0], (x @ y).reshape(12))


def _compiled_step(name, backend):
    model, shape, classes, make_opt = _ALL_MODELS[name]
    x, y = _data(shape, classes)
    step = _train_step(model, make_opt)
    compiled = jit(step, backend=backend)
    losses = [compiled(x, y).asnumpy() for _ in range(STEPS)]
    return step, compiled, losses


@pytest.mark.parametrize("name", sorted(_ALL_MODELS))
def test_models_train_on_cpu_as_on_numpy(name):
    reference, _, want = _compiled_step(name, "numpy")
    native, compiled, got = _compiled_step(name, "cpu")
    assert compiled.trace_count == 1
    np.testing.assert_allclose(np.array(got, np.float64), np.array(want, np.float64), rtol=1e-5)
    pa = dict(reference.parameters_and_names())
    pb = dict(native.parameters_and_names())
    assert pa.keys() == pb.keys()
    # Adam divides by sqrt(v): for a weight whose gradient is near 0, the two backends' BLAS summation
    # orders (different thread counts) move its step by up to a few millionths; SGD/momentum stay within 1e-6
    atol = 1e-5 if "adam" in name else 1e-6
    for key in pa:
        np.testing.assert_allclose(pb[key].asnumpy(), pa[key].asnumpy(), rtol=1e-5, atol=atol, err_msg=key)


def _step_graph(name):
    model, shape, classes, make_opt = _ALL_MODELS[name]
    x, y = _data(shape, classes)
    step = _train_step(model, make_opt)
    traced = trace_full(step, (x, y))
    graph = optimize(traced.graph, backend=get_backend("cpu"))
    n_in = len(graph.params) - len(traced.captures)
    index = {id(t): n_in + i for i, t in enumerate(traced.captures)}
    donate = tuple((traced.n_out + k, index[id(t)]) for k, (_, t) in enumerate(traced.writes))
    arrays = [x.asnumpy(), y.asnumpy()] + [t._array().copy() for t in traced.captures]
    return graph, donate, arrays


def _steps(run, donate, arrays, n):
    arrays = list(arrays)
    results = None
    for _ in range(n):
        results = run(arrays)
        for k, j in donate:
            arrays[j] = results[k]
    return arrays, results


def test_donated_updates_are_written_into_the_parameters_arrays():
    graph, donate, arrays = _step_graph("mlp_momentum")
    compiled = get_backend("cpu").prepare(graph, donate)
    reference = get_backend("numpy").prepare(graph, donate)
    before = [id(a) for a in arrays]
    got, got_out = _steps(compiled.run, donate, [a.copy() for a in arrays], 3)
    want, want_out = _steps(reference.run, donate, [a.copy() for a in arrays], 3)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_out[0], want_out[0], rtol=1e-5)
    assert compiled.plan.donated  # some updates were planned into their params
    # the arrays passed in are the arrays written: the first run's outputs are the params themselves
    arrays = [a.copy() for a in arrays]
    results = compiled.run(arrays)
    written = [k for k, j in donate if results[k] is arrays[j]]
    assert len(written) == len(compiled.plan.donated)
    del before


def test_a_read_only_parameter_is_not_written():
    graph, donate, arrays = _step_graph("mlp_momentum")
    compiled = get_backend("cpu").prepare(graph, donate)
    arrays = [a.copy() for a in arrays]
    frozen = [a.copy() for a in arrays]
    for a in arrays:
        a.flags.writeable = False
    results = compiled.run(arrays)
    for a, f in zip(arrays, frozen):
        np.testing.assert_array_equal(a, f)
    want = get_backend("numpy").prepare(graph).run(frozen)
    for g, w in zip(results, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["mlp_momentum", "lenet_momentum"])
def test_a_native_training_step_allocates_little_beyond_its_outputs(name):
    graph, donate, arrays = _step_graph(name)
    compiled = get_backend("cpu").prepare(graph, donate)
    state = {"arrays": [a.copy() for a in arrays]}

    def step():
        results = compiled.run(state["arrays"])
        for k, j in donate:
            state["arrays"][j] = results[k]
        return results

    results = step()
    fresh = sum(r.nbytes for k, r in enumerate(results) if k not in {k for k, _ in donate})
    undonated = sum(results[k].nbytes for k, j in donate if results[k] is not state["arrays"][j])
    peak = _peak_above_start(step)
    python_nodes = [node.op.name for node, n in zip(compiled.graph.nodes, compiled.native) if not n]
    # the outputs, plus small change (Python objects of the run; no array of the step's size)
    assert peak <= fresh + undonated + 16384, (peak, fresh, undonated, python_nodes)


_SECOND_PROCESS = r"""
import json, sys, warnings
import numpy as np
import sporen as ms
from sporen import jit, nn
from sporen.runtime import cache

ms.set_seed(3)
net = nn.Dense(6, 4)

@jit(backend="cpu")
def f(x):
    return ms.ops.relu(net(x)).sum()

x = ms.Tensor(np.arange(12, dtype=np.float32).reshape(2, 6) / 10)
value = float(f(x).asnumpy())
print(json.dumps([value, cache.stats]))
"""


def test_a_second_process_finds_the_library_and_does_not_compile(tmp_path):
    env = dict(os.environ, SPOREN_CACHE_DIR=str(tmp_path))
    runs = []
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", _SECOND_PROCESS], capture_output=True, text=True,
                              env=env, timeout=300)
        assert done.returncode == 0, done.stderr
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    (first, first_stats), (second, second_stats) = runs
    assert first == second
    assert first_stats["compiles"] >= 1
    assert second_stats["compiles"] == 0
    assert second_stats["disk_hits"] == first_stats["compiles"]
    assert any(name.endswith(".so") for _, _, files in os.walk(tmp_path) for name in files)


_NO_COMPILER = r"""
import json, warnings
import numpy as np
from sporen.ir import Graph, Node, Var
from sporen.ops.registry import OPS
from sporen.runtime import get_backend, cache

x = Var((3,), np.float32)
y = Var((3,), np.float32)
graph = Graph("g", [x], [Node(OPS["exp"], [x], {}, [y])], [y])
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    prepared = get_backend("cpu").prepare(graph)
    again = get_backend("cpu").prepare(graph)
out = prepared.run([np.array([0.0, 1.0, 2.0], np.float32)])[0]
print(json.dumps([cache.compiler(), out.tolist(), [(w.category.__name__, str(w.message)) for w in caught]]))
"""


def test_with_no_compiler_the_backend_warns_once_and_runs_numpy(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    env = dict(os.environ, CC="/nonexistent/cc", PATH=str(empty), SPOREN_CACHE_DIR=str(tmp_path / "cache"))
    done = subprocess.run([sys.executable, "-c", _NO_COMPILER], capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    found, out, caught = json.loads(done.stdout.strip().splitlines()[-1])
    assert found is None
    np.testing.assert_allclose(out, np.exp(np.array([0.0, 1.0, 2.0], np.float32)), rtol=1e-6)
    assert len(caught) == 1
    category, message = caught[0]
    assert category == "RuntimeWarning"
    assert "no C compiler found (looked for /nonexistent/cc, cc, gcc, clang)" in message
    assert "running on the numpy backend" in message


def test_a_compiled_graph_rejects_a_wrong_number_of_arguments():
    graph = _gemm_graph("matmul", (2, 2), (2, 2), F32)
    with pytest.raises(TypeError, match="takes 2 arguments, got 1"):
        get_backend("cpu").prepare(graph).run([np.ones((2, 2), F32)])


def test_non_contiguous_arguments_are_read_as_their_values():
    graph = _gemm_graph("matmul", (3, 4), (4, 2), F32)
    a = np.asfortranarray(np.arange(12, dtype=F32).reshape(3, 4))
    b = np.arange(16, dtype=F32).reshape(4, 4)[:, ::2]
    assert not b.flags.c_contiguous
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = get_backend("cpu").prepare(graph).run([a, b])[0]
    np.testing.assert_array_equal(got, a @ b)


_PROFILED = r"""
import numpy as np
import sporen as ms
from sporen.ir import Graph, Node, Var
from sporen.ops.registry import OPS
from sporen.runtime import get_backend

a = Var((4, 8), np.float32)
b = Var((8, 3), np.float32)
c = Var((4, 3), np.float32)
d = Var((4, 3), np.float32)
e = Var((4,), np.int32)
nodes = [Node(OPS["matmul"], [a, b], {}, [c]), Node(OPS["exp"], [c], {}, [d]),
         Node(OPS["argmax"], [d], {"axis": 1, "keepdims": False, "dtype": ms.int32}, [e])]
graph = Graph("profiled", [a, b], nodes, [e])
compiled = get_backend("cpu").prepare(graph)
for _ in range(3):
    compiled.run([np.ones((4, 8), np.float32), np.ones((8, 3), np.float32)])
"""


@pytest.mark.parametrize("mode", ["1", "node"])
def test_the_profile_prints_each_segment_and_numpy_step_at_exit(tmp_path, mode):
    env = dict(os.environ, SPOREN_PROFILE=mode, SPOREN_CACHE_DIR=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", _PROFILED], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("sporen cpu profile (SPOREN_PROFILE)")
    rows = {" ".join(line.split()[1:-4]): int(line.split()[-4]) for line in lines[2:]}
    if mode == "node":
        assert rows == {"seg_0 (1 nodes: 0 matmul)": 3, "seg_1 (1 nodes: 1 fused)": 3, "numpy 2 argmax": 3}
    else:
        assert rows == {"seg_0 (2 nodes: 0 matmul, 1 fused)": 3, "numpy 2 argmax": 3}


def test_save_graphs_shows_which_nodes_formed_which_kernel(tmp_path):
    """The last stage file of a jit on "cpu" holds the fused graph: each fused node with the
    subgraph of the nodes it runs as one kernel, then the plan and the segments."""
    ms.set_context(save_graphs=True, save_graphs_path=str(tmp_path))
    try:
        f = ms.jit(lambda x, b: ops.relu(x * 2 + b).sum(), backend="cpu")
        f(ms.Tensor(np.ones((3, 4), F32)), ms.Tensor(np.ones((4,), F32)))
    finally:
        ms.set_context(save_graphs=False)
    (folder,) = list(tmp_path.iterdir())
    last = sorted(folder.iterdir())[-1].read_text()
    assert "fusion: each fused node runs the group of nodes printed under it as one kernel" in last
    head = last.split("plan ")[0]
    assert "= fused(" in head
    for op in ("mul(", "add(", "relu(", "reduce_sum("):
        assert op in head  # the grouped nodes, printed under their fused node
    assert "native: 1 of 1 nodes" in last
