"""Fusion: ``fuse`` groups elementwise ops, reductions and views into ``fused`` nodes. The grouping
reads in the dump; composites' expansions and optimizer updates become one kernel; a fused graph
verifies and interprets to the original's values bit for bit (models' training steps, every op
case, random DAGs), and no group is ever non-convex."""
import numpy as np
import pytest

import sporen as ms
from sporen import dtype as mstype
from sporen import nn, ops
from sporen.frontend.trace import trace, trace_full
from sporen.fusion import FUSED, fuse, is_fusible
from sporen.ir import Graph, Literal, Node, Var, dump, interpret, verify
from sporen.ir.verify import VerifyError
from sporen.ops.composite import EXPANSIONS
from sporen.ops.registry import OPS, Aval, Op
from sporen.passes.pipeline import optimize
from sporen.runtime.numpy import NumpyBackend

from .test_ir import _op_cases
from .test_models import _ALL_MODELS, _MODELS, _data, _train_step


class _Expanding(NumpyBackend):
    """The numpy reference behind a backend that asks for expansion, as the cpu backend does."""

    name = "numpy_expanding_for_fusion"
    expand_composites = True


EXPANDING = _Expanding()


def _node(name, inputs, **attrs):
    """A node applying the op ``name`` to ``inputs``, with outputs typed by its shape rule."""
    op = OPS[name]
    avals = [Aval(v.shape, mstype._BY_NP[np.dtype(v.dtype)]) for v in inputs]
    inferred = op.infer(*avals, **attrs)
    inferred = inferred if isinstance(inferred, tuple) else (inferred,)
    return Node(op, inputs, attrs, [Var(a.shape, a.dtype.np) for a in inferred])


def _ops_of(graph):
    return [n.op.name for n in graph.nodes]


def _inner_ops(node):
    return [n.op.name for n in node.subgraphs[0].nodes]


def _assert_same_values(graph, fused, arrays):
    want = interpret(graph, *arrays)
    got = interpret(fused, *arrays)
    assert len(want) == len(got)
    for w, g in zip(want, got):
        assert w.dtype == g.dtype and w.shape == g.shape
        np.testing.assert_array_equal(g, w)


# --- the dump shows the grouping ------------------------------------------------------------------

def _softmax_last(t):
    return ops.softmax(t, axis=-1)


def test_golden_text_of_a_fused_softmax():
    """Two kernels: the exp, read by the sum and by the division, is written once (rule 3)."""
    x = ms.Tensor(np.arange(8, dtype=np.float32).reshape(2, 4))
    graph, _ = trace(_softmax_last, x)
    fused = fuse(optimize(graph, backend=EXPANDING))
    verify(fused)
    assert dump(fused) == (
        "graph _softmax_last(%0: Float32[2, 4]) {\n"
        "  %1: Float32[2, 4] = fused(%0)\n"
        "    graph fused0(%2: Float32[2, 4]) {\n"
        "      %3: Float32[2, 1] = reduce_max(%2) {axis=(1,), keepdims=True}\n"
        "      %4: Float32[2, 1] = stop_gradient(%3)\n"
        "      %5: Float32[2, 4] = sub(%2, %4)\n"
        "      %6: Float32[2, 4] = exp(%5)\n"
        "      return (%6)\n"
        "    }\n"
        "  %7: Float32[2, 4] = fused(%1)\n"
        "    graph fused1(%8: Float32[2, 4]) {\n"
        "      %9: Float32[2, 1] = reduce_sum(%8) {axis=(1,), keepdims=True}\n"
        "      %10: Float32[2, 4] = div(%8, %9)\n"
        "      return (%10)\n"
        "    }\n"
        "  return (%7)\n"
        "}")
    _assert_same_values(graph, fused, [x.asnumpy()])


def test_golden_text_of_groups_around_a_matmul():
    """bias + relu before the matmul, a transpose giving the matmul contiguous memory (a copy
    kernel of its own), the epilogue after it; a lone reshape stays a plain node (an alias)."""
    x = Var((2, 3), np.float32)
    w = Var((4, 3), np.float32)
    b = Var((3,), np.float32)
    add = _node("add", [x, b])
    relu = _node("relu", [add.outputs[0]])
    wt = _node("transpose", [w], perm=(1, 0))
    mm = _node("matmul", [relu.outputs[0], wt.outputs[0]], transpose_a=False, transpose_b=False)
    flat = _node("reshape", [mm.outputs[0]], shape=(8,))
    neg = _node("neg", [mm.outputs[0]])
    total = _node("reduce_sum", [neg.outputs[0]], axis=(0, 1), keepdims=False)
    graph = Graph("f", [x, w, b], [add, relu, wt, mm, flat, neg, total], [flat.outputs[0], total.outputs[0]])
    verify(graph)
    fused = fuse(graph)
    verify(fused)
    assert dump(fused) == (
        "graph f(%0: Float32[2, 3], %1: Float32[4, 3], %2: Float32[3]) {\n"
        "  %3: Float32[2, 3] = fused(%0, %2)\n"
        "    graph fused0(%4: Float32[2, 3], %5: Float32[3]) {\n"
        "      %6: Float32[2, 3] = add(%4, %5)\n"
        "      %7: Float32[2, 3] = relu(%6)\n"
        "      return (%7)\n"
        "    }\n"
        "  %8: Float32[3, 4] = fused(%1)\n"
        "    graph fused1(%9: Float32[4, 3]) {\n"
        "      %10: Float32[3, 4] = transpose(%9) {perm=(1, 0)}\n"
        "      return (%10)\n"
        "    }\n"
        "  %11: Float32[2, 4] = matmul(%3, %8) {transpose_a=False, transpose_b=False}\n"
        "  %12: Float32[8] = reshape(%11) {shape=(8,)}\n"
        "  %13: Float32[] = fused(%11)\n"
        "    graph fused2(%14: Float32[2, 4]) {\n"
        "      %15: Float32[2, 4] = neg(%14)\n"
        "      %16: Float32[] = reduce_sum(%15) {axis=(0, 1), keepdims=False}\n"
        "      return (%16)\n"
        "    }\n"
        "  return (%12, %13)\n"
        "}")
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(p.shape).astype(np.float32) for p in graph.params]
    _assert_same_values(graph, fused, arrays)


def test_a_value_used_inside_and_outside_its_group_is_an_output():
    x = Var((3,), np.float32)
    e = _node("exp", [x])
    m = _node("mul", [e.outputs[0], e.outputs[0]])
    graph = Graph("g", [x], [e, m], [m.outputs[0], e.outputs[0]])
    fused = fuse(graph)
    assert _ops_of(fused) == ["fused"]
    node = fused.nodes[0]
    assert node.outputs == (e.outputs[0], m.outputs[0])  # in order of definition
    assert graph.nodes == (e, m)  # the input graph is untouched
    _assert_same_values(graph, fused, [np.array([0.0, 1.0, -2.0], np.float32)])


def test_view_ops_join_their_consumers_and_a_single_op_is_fused():
    x = Var((2, 3), np.float32)
    y = Var((3, 2), np.float32)
    t = _node("transpose", [y], perm=(1, 0))
    s = _node("add", [x, t.outputs[0]])
    graph = Graph("g", [x, y], [t, s], [s.outputs[0]])
    fused = fuse(graph)
    assert _ops_of(fused) == ["fused"]
    assert _inner_ops(fused.nodes[0]) == ["transpose", "add"]
    lone = Graph("h", [x], [_node("sqrt", [x])], [])
    lone = Graph("h", [x], lone.nodes, [lone.nodes[0].outputs[0]])
    assert _ops_of(fuse(lone)) == ["fused"]
    alias = _node("reshape", [x], shape=(6,))
    plain = Graph("r", [x], [alias], [alias.outputs[0]])
    assert fuse(plain).nodes == (alias,)


# --- what is fusible ------------------------------------------------------------------------------

def test_is_fusible_by_op_kind_and_dtype():
    f32 = Var((2,), np.float32)
    c64 = Var((2,), np.complex64)
    assert is_fusible(_node("add", [f32, f32]))
    assert is_fusible(_node("reduce_max", [f32], axis=(0,), keepdims=False))
    assert is_fusible(_node("broadcast_to", [f32], shape=(3, 2)))
    assert is_fusible(_node("where", [_node("greater", [f32, f32]).outputs[0], f32, f32]))
    assert is_fusible(_node("cast", [f32], dtype=ms.float16))
    assert not is_fusible(_node("add", [c64, c64]))  # complex: never given to the renderer
    assert not is_fusible(_node("matmul", [Var((2, 2), np.float32)] * 2, transpose_a=False, transpose_b=False))
    assert not is_fusible(_node("softmax", [f32], axis=(0,)))  # a composite: expanded first
    assert not is_fusible(_node("concat", [f32, f32], axis=0))
    add = OPS["add"]
    noisy = Op("noisy_add", add.infer, add.kernel, add.bprop, expr=add.expr, family="elementwise", impure=True)
    assert not is_fusible(Node(noisy, [f32, f32], {}, [Var((2,), np.float32)]))  # an effect: never moved


def test_fuse_checks_its_arguments():
    with pytest.raises(TypeError, match="fuse: 'graph' must be a sporen.ir.Graph, got int"):
        fuse(3)
    x = Var((2,), np.float32)
    with pytest.raises(TypeError, match="fuse: 'fusible' must be a function"):
        fuse(Graph("g", [x], [], [x]), fusible=True)


def test_the_fused_op_rejects_a_subgraph_that_does_not_match_its_inputs():
    x = Var((2,), np.float32)
    inner = _node("neg", [x])
    sub = Graph("fused0", [x], [inner], [inner.outputs[0]])
    y = Var((3,), np.float32)
    out = Var((2,), np.float32)
    bad = Graph("g", [y], [Node(FUSED, [y], {}, [out], (sub,))], [out])
    with pytest.raises(VerifyError, match="fused: subgraph 'fused0' param 0 is Float32\\[2\\], the input is "
                                          "Float32\\[3\\]"):
        verify(bad)


def test_the_fused_kernel_never_returns_its_input_memory():
    x = Var((2, 3), np.float32)
    r = _node("reshape", [x], shape=(6,))
    e = _node("exp", [r.outputs[0]])
    graph = Graph("g", [x], [r, e], [r.outputs[0], e.outputs[0]])
    fused = fuse(graph)
    assert _ops_of(fused) == ["fused"]  # the reshape is in the group: its value is an output
    a = np.ones((2, 3), np.float32)
    flat, _ = interpret(fused, a)
    assert not np.may_share_memory(flat, a)


# --- cost rules -----------------------------------------------------------------------------------

def test_an_expensive_value_is_not_recomputed_under_an_outer_broadcast():
    w = Var((8,), np.float32)
    x = Var((16, 8), np.float32)
    s = _node("sigmoid", [w])
    m = _node("mul", [x, s.outputs[0]])  # sigmoid(w) read 16 times per element
    graph = Graph("g", [w, x], [s, m], [m.outputs[0]])
    fused = fuse(graph)
    assert [_inner_ops(n) for n in fused.nodes] == [["sigmoid"], ["mul"]]
    cheap = _node("neg", [w])
    m2 = _node("mul", [x, cheap.outputs[0]])
    assert len(fuse(Graph("g", [w, x], [cheap, m2], [m2.outputs[0]])).nodes) == 1


def test_an_expensive_value_read_by_a_reduction_and_another_node_ends_its_group():
    x = Var((4, 8), np.float32)
    e = _node("exp", [x])
    total = _node("reduce_sum", [e.outputs[0]], axis=(1,), keepdims=True)
    d = _node("div", [e.outputs[0], total.outputs[0]])
    fused = fuse(Graph("g", [x], [e, total, d], [d.outputs[0]]))
    assert [_inner_ops(n) for n in fused.nodes] == [["exp"], ["reduce_sum", "div"]]
    # cheap: computed in both nests
    n = _node("neg", [x])
    total = _node("reduce_sum", [n.outputs[0]], axis=(1,), keepdims=True)
    d = _node("div", [n.outputs[0], total.outputs[0]])
    fused = fuse(Graph("g", [x], [n, total, d], [d.outputs[0]]))
    assert [_inner_ops(n) for n in fused.nodes] == [["neg", "reduce_sum", "div"]]
    # read by one nest only (log_softmax's exp): joins
    e = _node("exp", [x])
    total = _node("reduce_sum", [e.outputs[0]], axis=(1,), keepdims=True)
    lg = _node("log", [total.outputs[0]])
    d = _node("sub", [x, lg.outputs[0]])
    fused = fuse(Graph("g", [x], [e, total, lg, d], [d.outputs[0]]))
    assert len(fused.nodes) == 1


def test_a_trailing_broadcast_or_a_reduction_result_is_fused():
    x = Var((16, 8), np.float32)
    r = Var((16, 1), np.float32)
    e = _node("exp", [r])
    m = _node("mul", [x, e.outputs[0]])  # invariant in the inner loop: hoisted, not recomputed
    assert len(fuse(Graph("g", [x, r], [e, m], [m.outputs[0]])).nodes) == 1
    col = _node("reduce_sum", [x], axis=(0,), keepdims=True)
    lg = _node("log", [col.outputs[0]])
    sm = _node("reduce_max", [lg.outputs[0]], axis=(0, 1), keepdims=True)
    d = _node("sub", [x, sm.outputs[0]])
    graph = Graph("g", [x], [col, lg, sm, d], [d.outputs[0]])
    assert len(fuse(graph).nodes) == 1


def test_a_per_channel_chain_joins_a_larger_nest_that_amortises_it():
    """BatchNorm's per-channel scale: a [1, C, 1, 1] chain read in an [N, C, H, W] nest is
    evaluated N*C times against N*C*H*W elements: cheap enough to recompute. The same chain read
    in an [N, C] nest (no inner loop to hoist it from) would cost 13 ops per element."""
    var = Var((1, 3, 1, 1), np.float32)
    s = _node("sqrt", [var])
    e = _node("exp", [s.outputs[0]])
    big = Var((8, 3, 4, 4), np.float32)
    m = _node("mul", [big, e.outputs[0]])
    graph = Graph("g", [var, big], [s, e, m], [m.outputs[0]])
    assert len(fuse(graph).nodes) == 1
    flat = Var((3,), np.float32)
    s2 = _node("sqrt", [flat])
    e2 = _node("exp", [s2.outputs[0]])
    rows = Var((8, 3), np.float32)
    m2 = _node("mul", [rows, e2.outputs[0]])
    fused = fuse(Graph("g", [flat, rows], [s2, e2, m2], [m2.outputs[0]]))
    assert [_inner_ops(n) for n in fused.nodes] == [["sqrt", "exp"], ["mul"]]


# --- composites become one kernel -----------------------------------------------------------------

def _bn_train(x, scale, bias, mean, var):
    return OPS["batch_norm"](x, scale, bias, mean, var, training=True, epsilon=1e-5)


def _ce_and_grad(logits, labels):
    loss_fn = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    return ms.value_and_grad(lambda z: loss_fn(z, labels))(logits)


def _composite_programs():
    rng = np.random.default_rng(0)
    x = ms.Tensor(rng.standard_normal((4, 6)).astype(np.float32))
    img = ms.Tensor(rng.standard_normal((2, 3, 4, 4)).astype(np.float32))
    c3 = [ms.Tensor(rng.standard_normal(3).astype(np.float32)) for _ in range(3)]
    var = ms.Tensor(np.abs(rng.standard_normal(3)).astype(np.float32))
    g6 = ms.Tensor(rng.standard_normal(6).astype(np.float32))
    labels = ms.Tensor(np.array([0, 5, 2, 1], np.int32))
    return {
        "softmax": (lambda t: ops.softmax(t, axis=-1), (x,)),
        "log_softmax": (lambda t: ops.log_softmax(t, axis=-1), (x,)),
        "layer_norm": (lambda t, g, b: ops.layer_norm(t, (6,), g, b), (x, g6, g6)),
        "batch_norm_training": (_bn_train, (img, c3[0], c3[1], c3[2], var)),
        "sparse_cross_entropy_and_grad": (_ce_and_grad, (x, labels)),
        "gelu": (lambda t: ops.gelu(t, approximate="none"), (x,)),
        "gelu_tanh": (lambda t: ops.gelu(t), (x,)),
    }


# the non-fusible ops an expansion may keep outside its kernel
_OUTSIDE = {"sparse_cross_entropy_and_grad": ["one_hot"]}
# the composites whose exp is read by a reduction and by the rest (rule 3): cut after the exp
_KERNELS = {"softmax": 2, "sparse_cross_entropy_and_grad": 2}


@pytest.mark.parametrize("name", sorted(_composite_programs()))
def test_an_expanded_composite_fuses_into_one_kernel(name):
    """One kernel each, but for the two whose exp is read by two loop nests: two kernels."""
    fn, args = _composite_programs()[name]
    traced = trace_full(fn, args)
    graph = optimize(traced.graph, backend=EXPANDING)
    assert not set(_ops_of(graph)) & set(EXPANSIONS)
    fused = fuse(graph)
    verify(fused)
    assert sorted(_ops_of(fused)) == sorted(["fused"] * _KERNELS.get(name, 1) + _OUTSIDE.get(name, [])), dump(fused)
    arrays = [a.asnumpy() for a in args] + [t._array() for t in traced.captures]
    _assert_same_values(graph, fused, arrays)


def _adam_step():
    ms.set_seed(1)

    class Net(nn.Cell):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Dense(8, 16)
            self.fc2 = nn.Dense(16, 4)

        def construct(self, x):
            return self.fc2(ops.relu(self.fc1(x)))
    net = Net()
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    return nn.TrainOneStepCell(nn.WithLossCell(net, loss), nn.Adam(net.trainable_params(), 0.01))


@pytest.mark.parametrize("make_step, n_params", [(_adam_step, 4),
                                                 (lambda: _train_step(*_MODELS["mlp_momentum"][::3]), 6)])
def test_an_optimizer_update_over_all_parameters_is_one_fused_node(make_step, n_params):
    x, y = _data((5, 8) if make_step is _adam_step else (8, 784), 4)
    step = make_step()
    traced = trace_full(step, (x, y))
    graph = optimize(traced.graph, backend=EXPANDING)
    fused = fuse(graph)
    verify(fused)
    writes = fused.outputs[traced.n_out:]
    assert len(writes) >= n_params
    producers = {out: node for node in fused.nodes for out in node.outputs}
    updaters = {id(producers[w]) for w in writes}
    assert len(updaters) == 1
    assert producers[writes[0]].op is FUSED
    arrays = [x.asnumpy(), y.asnumpy()] + [t._array() for t in traced.captures]
    _assert_same_values(graph, fused, arrays)


# --- fused graphs compute what the originals compute -----------------------------------------------

@pytest.mark.parametrize("name", sorted(_ALL_MODELS))
def test_a_fused_training_step_interprets_bit_for_bit(name):
    model, shape, classes, make_opt = _ALL_MODELS[name]
    x, y = _data(shape, classes)
    traced = trace_full(_train_step(model, make_opt), (x, y))
    graph = optimize(traced.graph, backend=EXPANDING)
    fused = fuse(graph)
    verify(fused)
    assert len(fused.nodes) < len(graph.nodes) / 2
    arrays = [x.asnumpy(), y.asnumpy()] + [t._array() for t in traced.captures]
    _assert_same_values(graph, fused, arrays)


def test_fusing_a_fused_graph_changes_nothing():
    model, shape, classes, make_opt = _MODELS["lenet_momentum"]
    x, y = _data(shape, classes)
    graph = optimize(trace_full(_train_step(model, make_opt), (x, y)).graph, backend=EXPANDING)
    once = fuse(graph)
    twice = fuse(once)
    assert dump(twice) == dump(once)
    assert [n.op.name for n in once.nodes].count("fused") >= 5


def test_a_fused_training_step_runs_planned_as_interpreted():
    from sporen.runtime.numpy import PlannedGraph
    model, shape, classes, make_opt = _MODELS["transformer_momentum"]
    x, y = _data(shape, classes)
    traced = trace_full(_train_step(model, make_opt), (x, y))
    fused = fuse(optimize(traced.graph, backend=EXPANDING))
    arrays = [x.asnumpy(), y.asnumpy()] + [t._array() for t in traced.captures]
    want = interpret(fused, *arrays)
    got = PlannedGraph(fused).run(arrays)
    for w, g in zip(want, got):
        np.testing.assert_array_equal(g, w)


def test_every_op_case_fuses_and_interprets_as_before():
    """Each op case of tests/ops as a one-node graph: fused or left alone, the same values."""
    failures = []
    n_fused = 0
    for case in _op_cases():
        op = OPS[case.op]
        if op.impure:
            continue
        for dtype in case.dtypes[:1]:
            arrays = case.make(np.random.default_rng(0), dtype)
            params = [Var(a.shape, a.dtype) for a in arrays]
            node = _node(case.op, params, **case.attrs)
            graph = Graph(case.op, params, [node], node.outputs)
            try:
                fused = fuse(graph)
                verify(fused)
                n_fused += _ops_of(fused) == ["fused"]
                _assert_same_values(graph, fused, arrays)
            except Exception as exc:
                failures.append(f"{case.op} {dtype}: {type(exc).__name__}: {exc}")
    assert not failures, "\n".join(failures)
    assert n_fused > 100


# --- convexity over random DAGs -------------------------------------------------------------------

_UNARY = ["neg", "tanh", "exp", "abs", "sigmoid"]
_BINARY = ["add", "mul", "sub", "maximum"]


def _random_graph(rng, n_nodes):
    """A random DAG over float64 values of shapes [4, 4] and [4, 1]: elementwise ops with
    broadcasting, reductions, transposes and reshapes, and matmuls (never fusible)."""
    params = [Var((4, 4), np.float64), Var((4, 4), np.float64), Var((4, 1), np.float64)]
    values = list(params)
    nodes = []
    for _ in range(n_nodes):
        kind = rng.integers(6)
        pick = values[int(rng.integers(len(values)))]
        square = [v for v in values if v.shape == (4, 4)]
        sq = square[int(rng.integers(len(square)))]
        if kind == 0:
            node = _node(str(rng.choice(_UNARY)), [pick])
        elif kind == 1:
            node = _node(str(rng.choice(_BINARY)), [pick, values[int(rng.integers(len(values)))]])
        elif kind == 2:
            node = _node("reduce_sum", [sq], axis=(1,), keepdims=True)
        elif kind == 3:
            node = _node("transpose", [sq], perm=(1, 0))
        elif kind == 4:
            flat = _node("reshape", [sq], shape=(16,))
            nodes.append(flat)
            node = _node("reshape", [flat.outputs[0]], shape=(4, 4))
        else:
            other = square[int(rng.integers(len(square)))]
            node = _node("matmul", [sq, other], transpose_a=False, transpose_b=bool(rng.integers(2)))
        nodes.append(node)
        values.append(node.outputs[0])
    defined = values[len(params):]
    k = int(rng.integers(1, 4))
    outputs = [defined[-1]] + [defined[int(i)] for i in rng.integers(len(defined), size=k)]
    return Graph("random", params, nodes, outputs)


def _reaches(graph):
    """For each node index, the set of node indices reachable from it."""
    producer = {out: i for i, n in enumerate(graph.nodes) for out in n.outputs}
    reach = [set() for _ in graph.nodes]
    for i in range(len(graph.nodes) - 1, -1, -1):
        for j in range(i + 1, len(graph.nodes)):
            if any(producer.get(v) == i for v in graph.nodes[j].inputs):
                reach[i] |= {j} | reach[j]
    return reach


@pytest.mark.parametrize("seed", range(40))
def test_random_dags_fuse_into_convex_groups_with_the_same_values(seed):
    rng = np.random.default_rng(seed)
    graph = _random_graph(rng, int(rng.integers(4, 30)))
    verify(graph)
    # besides the default, a predicate that leaves some fusible nodes out at random
    left_out = {id(n) for n in graph.nodes if rng.random() < 0.2}
    for fusible in (None, lambda n: is_fusible(n) and id(n) not in left_out):
        fused = fuse(graph, fusible=fusible)
        verify(fused)  # every value defined before it is read: the groups' order is a schedule
        index = {out: i for i, n in enumerate(graph.nodes) for out in n.outputs}
        seen = []
        groups = []
        for node in fused.nodes:
            if node.op is FUSED:
                sub = node.subgraphs[0]
                renamed = dict(zip(sub.outputs, node.outputs))  # a group's outputs are fresh inside
                members = [index[renamed.get(inner.outputs[0], inner.outputs[0])] for inner in sub.nodes]
                groups.append(set(members))
                seen.extend(members)
            elif node.op.name == "reshape" and index[node.outputs[0]] in seen:
                continue  # a group's reshape read inside it and (as a pointer alias) outside
            else:
                seen.append(index[node.outputs[0]])
        assert sorted(seen) == list(range(len(graph.nodes)))  # each node exactly once
        reach = _reaches(graph)
        for group in groups:
            outside = set(range(len(graph.nodes))) - group
            for o in outside:
                from_group = any(o in reach[g] for g in group)
                to_group = any(g in reach[o] for g in group)
                assert not (from_group and to_group), f"group {sorted(group)} is not convex at node {o}"
        arrays = [rng.standard_normal(p.shape) for p in graph.params]
        _assert_same_values(graph, fused, arrays)


def _sum_then_transpose(n_terms):
    """``transpose(x0 + x1 + ... , (1, 0)) * 0.5``: a sum of ``n_terms`` (8, 16) values read
    through a transpose by an elementwise consumer."""
    xs = [Var((8, 16), np.float32) for _ in range(n_terms)]
    nodes = []
    acc = xs[0]
    for x in xs[1:]:
        out = Var((8, 16), np.float32)
        nodes.append(Node(OPS["add"], (acc, x), {}, (out,)))
        acc = out
    t = Var((16, 8), np.float32)
    y = Var((16, 8), np.float32)
    nodes.append(Node(OPS["transpose"], (acc,), {"perm": (1, 0)}, (t,)))
    nodes.append(Node(OPS["mul"], (t, Literal(np.float32(0.5))), {}, (y,)))
    return Graph("g", xs, nodes, (y,))


def test_a_costly_value_is_not_computed_under_a_transpose_of_its_rows():
    """Rule 4: a sum of many values read through a transpose that moves the last axis ends its
    group (written once, then read transposed), where a cheap one joins the transpose's group;
    values are unchanged."""
    rng = np.random.default_rng(0)
    for n_terms, groups in ((6, 2), (2, 1)):
        g = _sum_then_transpose(n_terms)
        f = fuse(g)
        verify(f)
        assert [n.op.name for n in f.nodes] == ["fused"] * groups
        arrays = [rng.standard_normal((8, 16)).astype(np.float32) for _ in range(n_terms)]
        np.testing.assert_array_equal(interpret(f, *arrays)[0], interpret(g, *arrays)[0])
