"""The expand pass: composite nodes replaced by their primitives give the same values and gradients
as the composite kernels, the graph verifies after the pass, and training steps with expanded
softmax cross-entropy, layer_norm and batch_norm equal PyNative."""
import numpy as np
import pytest

import sporen as ms
from sporen import dtype as mstype
from sporen import ops
from sporen.frontend.trace import trace, trace_full
from sporen.ir import Graph, Literal, Node, Var, dump, interpret, verify
from sporen.ops.composite import EXPANSIONS
from sporen.ops.registry import OPS, Aval
from sporen.passes import PIPELINE, run_pipeline
from sporen.passes.expand import expand
from sporen.passes.pipeline import optimize, wanted
from sporen.runtime import get_backend, register_backend
from sporen.runtime.numpy import NumpyBackend

from .test_ir import _op_cases
from .test_models import _MODELS, _data, _train_step

STEPS = 4


class _ExpandingBackend(NumpyBackend):
    """The numpy kernels behind a backend that asks for expansion, as a fusing backend does."""

    name = "numpy_expanding"
    expand_composites = True


EXPANDING = _ExpandingBackend()
register_backend("numpy_expanding", EXPANDING)


def _one_node_graph(case, dtype):
    op = OPS[case.op]
    arrays = case.make(np.random.default_rng(0), dtype)
    params = [Var(a.shape, a.dtype) for a in arrays]
    inferred = op.infer(*[Aval(a.shape, mstype._BY_NP[a.dtype]) for a in arrays], **case.attrs)
    inferred = inferred if isinstance(inferred, tuple) else (inferred,)
    outs = [Var(a.shape, a.dtype.np) for a in inferred]
    return Graph(case.op, params, [Node(op, params, case.attrs, outs)], outs), arrays


EXPANDABLE = [c for c in _op_cases() if c.op in EXPANSIONS]


def test_every_expansion_has_op_cases():
    covered = {c.op for c in EXPANDABLE}
    assert covered == set(EXPANSIONS)


@pytest.mark.parametrize("case", EXPANDABLE, ids=[c.id(i) for i, c in enumerate(EXPANDABLE)])
def test_expanded_one_node_graph_equals_the_composite(case):
    for dtype in case.dtypes:
        graph, arrays = _one_node_graph(case, dtype)
        expanded = expand(graph)
        verify(expanded)
        names = [n.op.name for n in expanded.nodes]
        assert not set(names) & set(EXPANSIONS), names
        want = interpret(graph, *arrays)
        got = interpret(expanded, *arrays)
        tol = 1e-12 if np.dtype(dtype) == np.float64 else 2e-5
        for w, g in zip(want, got):
            assert w.shape == g.shape and w.dtype == g.dtype
            np.testing.assert_allclose(g, w, rtol=tol, atol=tol, err_msg=f"{case.op} {dtype}")


def _grad_program(op_name, attrs, n_inputs, cots):
    """The gradient of sum(op(*xs) * cot) w.r.t. the float inputs, as a function to trace."""
    op = OPS[op_name]

    def objective(*xs):
        outs = op(*xs, **attrs)
        outs = outs if isinstance(outs, tuple) else (outs,)
        total = None
        for o, c in zip(outs, cots):
            term = ops.sum(o * c)
            total = term if total is None else total + term
        return total
    return objective


@pytest.mark.parametrize("case", [c for c in EXPANDABLE if c.grad],
                         ids=[c.id(i) for i, c in enumerate(c for c in EXPANDABLE if c.grad)])
def test_expanded_gradient_graph_equals_the_composite(case):
    """The traced gradient of each composite (its bprop may itself use composites, like the
    cross-entropy's fused gradient): expanded and not, the same values."""
    rng = np.random.default_rng(1)
    arrays = case.make(rng, "float64")
    if any(a.size == 0 for a in arrays):
        pytest.skip("no gradient of an empty case")
    tensors = [ms.Tensor(a) for a in arrays]
    outs = OPS[case.op](*tensors, **case.attrs)
    outs = outs if isinstance(outs, tuple) else (outs,)
    cots = [ms.Tensor(rng.standard_normal(o.shape)) for o in outs]
    idx = tuple(i for i, a in enumerate(arrays) if a.dtype.kind == "f")
    fn = ms.grad(_grad_program(case.op, case.attrs, len(arrays), cots), grad_position=idx)
    traced = trace_full(fn, tensors)
    graph = traced.graph
    verify(graph)
    expanded = expand(graph)
    verify(expanded)
    assert not {n.op.name for n in expanded.nodes} & set(EXPANSIONS)
    args = list(arrays) + [t._array() for t in traced.captures]  # the cotangents are captured
    want = interpret(graph, *args)
    got = interpret(expanded, *args)
    for w, g in zip(want, got):
        np.testing.assert_allclose(g, w, rtol=1e-9, atol=1e-11)


def _softmax_last(t):
    return ops.softmax(t, axis=-1)


def test_golden_text_of_an_expanded_softmax():
    x = ms.Tensor(np.arange(8, dtype=np.float32).reshape(2, 4))
    graph, _ = trace(_softmax_last, x)
    assert dump(graph) == (
        "graph _softmax_last(%0: Float32[2, 4]) {\n"
        "  %1: Float32[2, 4] = softmax(%0) {axis=(1,)}\n"
        "  return (%1)\n"
        "}")
    assert dump(expand(graph)) == (
        "graph _softmax_last(%0: Float32[2, 4]) {\n"
        "  %1: Float32[2, 1] = reduce_max(%0) {axis=(1,), keepdims=True}\n"
        "  %2: Float32[2, 1] = stop_gradient(%1)\n"
        "  %3: Float32[2, 4] = sub(%0, %2)\n"
        "  %4: Float32[2, 4] = exp(%3)\n"
        "  %5: Float32[2, 1] = reduce_sum(%4) {axis=(1,), keepdims=True}\n"
        "  %6: Float32[2, 4] = div(%4, %5)\n"
        "  return (%6)\n"
        "}")


def test_expand_keeps_literal_inputs_and_substitutes_outputs():
    """layer_norm whose gamma and beta are Literals, whose output feeds a later composite and the
    graph's outputs."""
    x = ms.Tensor(np.linspace(-2, 2, 12, dtype=np.float32).reshape(3, 4))
    gamma = ms.Tensor(np.full(4, 1.5, np.float32))
    beta = ms.Tensor(np.full(4, 0.25, np.float32))

    def f(t, g, b):
        y = ops.layer_norm(t, (4,), g, b)
        return ops.gelu(y) * 2.0, y
    traced, _ = trace(f, x, gamma, beta)
    consts = {traced.params[1]: Literal(gamma.asnumpy()), traced.params[2]: Literal(beta.asnumpy())}
    nodes = [Node(n.op, [consts.get(v, v) for v in n.inputs], n.attrs, n.outputs) for n in traced.nodes]
    graph = Graph("f", traced.params[:1], nodes, traced.outputs)
    verify(graph)
    assert any(isinstance(v, Literal) for n in graph.nodes for v in n.inputs)
    expanded = expand(graph)
    verify(expanded)
    assert not {n.op.name for n in expanded.nodes} & set(EXPANSIONS)
    want = interpret(graph, x.asnumpy())
    got = interpret(expanded, x.asnumpy())
    for w, g in zip(want, got):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def test_the_pipeline_expands_only_for_a_backend_that_wants_it():
    assert PIPELINE[0][0] == "expand"
    assert not wanted("expand", None) and not wanted("expand", "numpy")
    assert wanted("expand", EXPANDING) and wanted("fold", None)
    x = ms.Tensor(np.ones((2, 3), np.float32))
    graph, _ = trace(lambda t: ops.softmax(t * 2.0), x)
    plain = run_pipeline(graph, verify_each=True)
    assert [n.op.name for n in plain.nodes] == ["mul", "softmax"]
    fused = run_pipeline(graph, verify_each=True, backend=EXPANDING)
    assert "softmax" not in [n.op.name for n in fused.nodes]
    assert [n.op.name for n in optimize(graph, backend="numpy_expanding").nodes] == [n.op.name for n in fused.nodes]
    assert get_backend("numpy_expanding") is EXPANDING


class _BatchNormExpandingBackend(NumpyBackend):
    """A backend that wants only batch_norm expanded, as the cpu backend does."""

    name = "numpy_expanding_batch_norm"
    expand_composites = frozenset({"batch_norm"})


def test_a_backend_may_want_only_some_composites_expanded():
    backend = _BatchNormExpandingBackend()
    assert wanted("expand", backend)
    x = ms.Tensor(np.random.default_rng(0).standard_normal((4, 3, 2, 2)).astype(np.float32))
    c = ms.Tensor(np.ones(3, np.float32))

    def f(t, w):
        y, _, _ = OPS["batch_norm"](t, w, w * 0.0, w * 0.0, w, training=True, epsilon=1e-5)
        return ops.softmax(y, axis=1)

    graph, _ = trace(f, x, c)
    names = [n.op.name for n in run_pipeline(graph, verify_each=True, backend=backend).nodes]
    assert "softmax" in names and "batch_norm" not in names and "reduce_mean" in names
    assert [n.op.name for n in expand(graph, only={"softmax"}).nodes].count("batch_norm") == 1
    want = interpret(graph, x.asnumpy(), c.asnumpy())[0]
    got = interpret(run_pipeline(graph, backend=backend), x.asnumpy(), c.asnumpy())[0]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def _run_compiled(step, x, y, n, backend):
    """``n`` runs of ``step`` traced once, through the pipeline for ``backend`` (verified after
    every pass), with the parameters written back as jit does."""
    traced = trace_full(step, (x, y))
    graph = run_pipeline(traced.graph, verify_each=True, backend=backend)
    losses = []
    for _ in range(n):
        arrays = [x.asnumpy(), y.asnumpy()] + [t._array() for t in traced.captures]
        results = backend.run(graph, arrays)
        for (kind, target), r in zip(traced.writes, results[traced.n_out:]):
            assert kind == "capture"
            target._data = r
        losses.append(float(results[0]))
    return graph, losses


@pytest.mark.parametrize("name, composites", [
    ("mlp_adam", {"sparse_softmax_cross_entropy", "sparse_softmax_cross_entropy_grad"}),
    ("resnet_momentum", {"batch_norm"}),
    ("transformer_momentum", {"layer_norm", "softmax"}),
])
def test_training_step_with_expanded_composites_equals_pynative(name, composites):
    model, shape, classes, make_opt = _MODELS[name]
    x, y = _data(shape, classes)
    eager = _train_step(model, make_opt)
    eager_losses = [float(eager(x, y).asnumpy()) for _ in range(STEPS)]
    graph_step = _train_step(model, make_opt)
    before = {n.op.name for n in trace_full(graph_step, (x, y)).graph.nodes}
    assert composites <= before  # the step really has the composites the test is about
    graph, losses = _run_compiled(graph_step, x, y, STEPS, EXPANDING)
    assert not {n.op.name for n in graph.nodes} & set(EXPANSIONS)
    np.testing.assert_allclose(losses, eager_losses, rtol=1e-5)
    pe = dict(eager.parameters_and_names())
    pg = dict(graph_step.parameters_and_names())
    for key in pe:
        np.testing.assert_allclose(pg[key].asnumpy(), pe[key].asnumpy(), rtol=1e-5, atol=1e-6, err_msg=key)


def test_an_expanded_training_graph_runs_planned_as_interpreted():
    """The expanded Transformer step (many more small nodes) on the planned numpy executor: bit
    for bit the interpreter's results."""
    from sporen.runtime.numpy import PlannedGraph
    model, shape, classes, make_opt = _MODELS["transformer_momentum"]
    x, y = _data(shape, classes)
    traced = trace_full(_train_step(model, make_opt), (x, y))
    graph = run_pipeline(traced.graph, backend=EXPANDING)
    arrays = [x.asnumpy(), y.asnumpy()] + [t._array() for t in traced.captures]
    want = interpret(graph, *arrays)
    got = PlannedGraph(graph).run(arrays)
    for w, g in zip(want, got):
        np.testing.assert_array_equal(g, w)
