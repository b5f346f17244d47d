"""The passes of sporen/passes: golden IR text before and after each pass, the verifier after every
pass, the interpreter giving the same numbers before and after, random ops left alone, and the
pipeline's dump files."""
import os

import numpy as np
import pytest

import sporen as ms
from sporen import dtype as mstype
from sporen import ops
from sporen.frontend.trace import trace
from sporen.ir import Graph, Literal, Node, Var, VerifyError, dump, interpret, verify
from sporen.ops.registry import OPS
from sporen.passes import PIPELINE, cse, dce, fold, is_pure, run_pipeline, simplify
from sporen.passes.fold import FOLD_BYTES
from sporen.passes.pipeline import wanted

from ..backends import BACKENDS

F32 = np.float32


def _node(name, inputs, outputs, **attrs):
    return Node(OPS[name], inputs, attrs, outputs)


def _t(*shape, dtype=F32, seed=0):
    return ms.Tensor(np.random.default_rng(seed).standard_normal(shape).astype(dtype))


def _args(graph, seed=0):
    rng = np.random.default_rng(seed)
    arrays = []
    for p in graph.params:
        if p.dtype.kind == "f":
            arrays.append(rng.standard_normal(p.shape).astype(p.dtype))
        else:
            arrays.append(rng.integers(-5, 5, p.shape).astype(p.dtype))
    return arrays


def _run(graph, arrays):
    ms.set_seed(7)  # the same random stream for the graph before and after
    return interpret(graph, *arrays)


def _check_pass(run_pass, graph, before, after):
    """Golden text before and after, the verifier on both, the same numbers, the input untouched."""
    assert dump(graph) == before
    verify(graph)
    nodes = [(n, n.inputs, dict(n.attrs), n.outputs) for n in graph.nodes]
    new = run_pass(graph)
    assert dump(new) == after
    verify(new)
    assert dump(graph) == before  # the pass built a new graph
    assert [(n, n.inputs, n.attrs, n.outputs) for n in graph.nodes] == nodes
    assert new.params == graph.params
    arrays = _args(graph)
    for a, b in zip(_run(graph, arrays), _run(new, arrays)):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == b.dtype and a.shape == b.shape
    return new


def _lines(*body, header="graph f(%0: Float32[2, 3]) {"):
    return "\n".join([header, *("  " + line for line in body), "}"])


# --- the whole pipeline on a traced program ----------------------------------------------------
def _program(x, y):
    a = x * 1.0 + 0.0
    b = ops.reshape(ops.reshape(a, (6,)), (2, 3))
    c = ops.exp(b) + ops.exp(a)
    d = ops.neg(ops.neg(y))
    return c, d


PROGRAM_STAGES = [
    ("input", [
        "%2: Float32[2, 3] = mul(%0, Float32(1.0))",
        "%3: Float32[2, 3] = add(%2, Float32(0.0))",
        "%4: Float32[6] = reshape(%3) {shape=(6,)}",
        "%5: Float32[2, 3] = reshape(%4) {shape=(2, 3)}",
        "%6: Float32[2, 3] = exp(%5)",
        "%7: Float32[2, 3] = exp(%3)",
        "%8: Float32[2, 3] = add(%6, %7)",
        "%9: Float32[3] = neg(%1)",
        "%10: Float32[3] = neg(%9)",
        "return (%8, %10)"]),
    ("fold", None),  # nothing constant: the same text as its input
    ("inline", None),  # no if node
    ("simplify", [
        "%2: Float32[6] = reshape(%0) {shape=(6,)}",
        "%3: Float32[2, 3] = exp(%0)",
        "%4: Float32[2, 3] = exp(%0)",
        "%5: Float32[2, 3] = add(%3, %4)",
        "%6: Float32[3] = neg(%1)",
        "return (%5, %1)"]),
    ("merge_matmul", None),  # no matrix product
    ("cse", [
        "%2: Float32[6] = reshape(%0) {shape=(6,)}",
        "%3: Float32[2, 3] = exp(%0)",
        "%4: Float32[2, 3] = add(%3, %3)",
        "%5: Float32[3] = neg(%1)",
        "return (%4, %1)"]),
    ("dce", [
        "%2: Float32[2, 3] = exp(%0)",
        "%3: Float32[2, 3] = add(%2, %2)",
        "return (%3, %1)"]),
]


def _program_text(body):
    return _lines(*body, header="graph _program(%0: Float32[2, 3], %1: Float32[3]) {")


def test_pipeline_golden_text_after_each_pass():
    graph, _ = trace(_program, _t(2, 3), _t(3, seed=1))
    assert [name for name, _ in PIPELINE] == ["expand", "fold", "inline", "simplify", "merge_matmul", "cse", "dce"]
    texts = [_program_text(PROGRAM_STAGES[0][1])]
    for _, body in PROGRAM_STAGES[1:]:
        texts.append(texts[-1] if body is None else _program_text(body))
    current = graph
    # expand runs only for a backend that fuses (tests/compiler/test_expand.py)
    for (_name, run_pass), want_before, want_after in zip(PIPELINE[1:], texts, texts[1:]):
        current = _check_pass(run_pass, current, want_before, want_after)
    final = run_pipeline(graph, verify_each=True)
    assert dump(final) == texts[-1]


def test_dump_dir_gets_one_file_per_stage(tmp_path):
    graph, _ = trace(_program, _t(2, 3), _t(3, seed=1))
    out = tmp_path / "graphs"
    final = run_pipeline(graph, verify_each=True, dump_dir=str(out))
    names = sorted(os.listdir(out))
    assert names == ["00_input.ir", "01_fold.ir", "02_inline.ir", "03_simplify.ir", "04_merge_matmul.ir",
                     "05_cse.ir", "06_dce.ir"]
    assert (out / "00_input.ir").read_text() == dump(graph) + "\n"
    assert (out / "03_simplify.ir").read_text() == _program_text(PROGRAM_STAGES[3][1]) + "\n"
    assert (out / "06_dce.ir").read_text() == dump(final) + "\n"


def test_verify_each_names_the_pass_that_broke_the_graph():
    graph, _ = trace(_program, _t(2, 3), _t(3, seed=1))

    def drop_first(g):
        return Graph(g.name, g.params, g.nodes[1:], g.outputs)

    with pytest.raises(VerifyError) as info:
        run_pipeline(graph, verify_each=True, passes=[("dce", dce), ("drop_first", drop_first)])
    assert "used before it is defined" in str(info.value)
    assert "after the pass 'drop_first'" in "\n".join(info.value.__notes__)
    run_pipeline(graph, passes=[("drop_first", drop_first)])  # unchecked: no error


# --- fold ----------------------------------------------------------------------------------------
def _fold_graph():
    """h(x[2, 3]) = (x * (c + c), sqrt(c)) where c = [1, 4, 9]: constants computed now"""
    x = Var((2, 3), F32)
    s = Var((3,), F32)
    y = Var((2, 3), F32)
    e = Var((3,), F32)
    c = Literal(np.array([1, 4, 9], F32))
    nodes = [_node("add", [c, c], [s]), _node("mul", [x, s], [y]), _node("sqrt", [c], [e])]
    return Graph("h", [x], nodes, [y, e])


def test_fold_golden_and_an_output_that_becomes_a_literal():
    before = _lines("%1: Float32[3] = add(Float32([1.0, 4.0, 9.0]), Float32([1.0, 4.0, 9.0]))",
                    "%2: Float32[2, 3] = mul(%0, %1)",
                    "%3: Float32[3] = sqrt(Float32([1.0, 4.0, 9.0]))",
                    "return (%2, %3)", header="graph h(%0: Float32[2, 3]) {")
    after = _lines("%1: Float32[2, 3] = mul(%0, Float32([2.0, 8.0, 18.0]))",
                   "return (%1, Float32([1.0, 2.0, 3.0]))",
                   header="graph h(%0: Float32[2, 3]) {")
    new = _check_pass(fold, _fold_graph(), before, after)
    assert isinstance(new.outputs[1], Literal)


def test_fold_leaves_big_results_and_failing_kernels_as_nodes():
    n = FOLD_BYTES // 4 + 1  # one float32 more than the limit
    big = Var((n,), F32)
    small = Var((4,), F32)
    graph = Graph("b", [], [_node("exp", [Literal(np.zeros(n, F32))], [big]),
                            _node("exp", [Literal(np.zeros(4, F32))], [small])], [big, small])
    new = fold(graph)
    verify(new)
    assert [n.outputs[0] for n in new.nodes] == [big]
    np.testing.assert_array_equal(new.outputs[1].value, np.ones(4, F32))
    bad = Var((2,), F32)  # the shape rule is bypassed: reshape of 3 elements into 2
    broken = Graph("k", [], [_node("reshape", [Literal(np.zeros(3, F32))], [bad], shape=(2,))], [bad])
    assert fold(broken).nodes[0].outputs == (bad,)  # the error is left for the run


def test_random_ops_are_never_folded_merged_or_removed():
    def f(x):
        a = ops.uniform((3,), ms.Tensor(F32(0)), ms.Tensor(F32(1)))
        b = ops.uniform((3,), ms.Tensor(F32(0)), ms.Tensor(F32(1)))
        ops.uniform((2,), ms.Tensor(F32(0)), ms.Tensor(F32(1)))  # unused, but it advances the stream
        return x + a + b + ops.dropout(x, 0.5) + ops.dropout(x, 0.5)

    graph, _ = trace(f, _t(3))
    final = run_pipeline(graph, verify_each=True)
    names = [n.op.name for n in final.nodes]
    assert names.count("random_uniform") == 3
    assert names.count("dropout_mask") == 2
    assert [n.attrs["shape"] for n in final.nodes if n.op.name == "random_uniform"] == [(3,), (3,), (2,)]
    arrays = _args(graph)
    for a, b in zip(_run(graph, arrays), _run(final, arrays)):
        np.testing.assert_array_equal(a, b)  # the same draws in the same order
    assert not is_pure(OPS["random_uniform"]) and not is_pure(OPS["dropout_mask"])
    assert not is_pure(OPS["log_uniform_candidates"]) and is_pure(OPS["add"])


def test_dce_keeps_an_unused_random_draw_and_drops_the_rest():
    x = Var((2, 3), F32)
    r = Var((4,), F32)
    e = Var((2, 3), F32)
    y = Var((2, 3), F32)
    graph = Graph("f", [x], [_node("random_normal", [], [r], shape=(4,), dtype=mstype.float32, seed=None),
                             _node("exp", [x], [e]),
                             _node("neg", [x], [y])], [y])
    before = _lines("%1: Float32[4] = random_normal() {dtype=Float32, seed=None, shape=(4,)}",
                    "%2: Float32[2, 3] = exp(%0)",
                    "%3: Float32[2, 3] = neg(%0)",
                    "return (%3)")
    after = _lines("%1: Float32[4] = random_normal() {dtype=Float32, seed=None, shape=(4,)}",
                   "%2: Float32[2, 3] = neg(%0)",
                   "return (%2)")
    _check_pass(dce, graph, before, after)


# --- simplify ------------------------------------------------------------------------------------
def _binary(name, x_shape, lit, lit_first=False, x_dtype=F32, out_dtype=None):
    x = Var(x_shape, x_dtype)
    lit = Literal(lit)
    out_shape = np.broadcast_shapes(x_shape, lit.shape)
    y = Var(out_shape, out_dtype or x_dtype)
    inputs = [lit, x] if lit_first else [x, lit]
    return Graph("f", [x], [_node(name, inputs, [y])], [y])


@pytest.mark.parametrize("name, lit, lit_first", [
    ("mul", F32(1), False), ("mul", F32(1), True), ("mul", np.ones(3, F32), False),
    ("add", F32(0), False), ("add", F32(0), True), ("sub", F32(0), False), ("div", F32(1), False),
])
def test_simplify_removes_identities(name, lit, lit_first):
    graph = _binary(name, (2, 3), lit, lit_first)
    verify(graph)
    new = simplify(graph)
    verify(new)
    assert new.nodes == () and new.outputs == graph.params
    arrays = _args(graph)
    np.testing.assert_array_equal(interpret(graph, *arrays)[0], interpret(new, *arrays)[0])


@pytest.mark.parametrize("name, x_shape, lit, lit_first, x_dtype, out_dtype", [
    ("mul", (3,), np.ones((2, 3), F32), False, F32, F32),      # the literal broadcasts x
    ("add", (2, 3), np.zeros((1, 2, 3), F32), True, F32, F32),   # the literal adds an axis
    ("mul", (2, 3), F32(2), False, F32, F32),                    # not an identity
    ("sub", (2, 3), F32(0), True, F32, F32),                     # 0 - x is not x
    ("div", (2, 3), F32(1), True, F32, F32),                     # 1 / x is not x
    ("mul", (2, 3), np.array([1, 1, 2], F32), False, F32, F32),  # not every element is 1
])
def test_simplify_keeps_what_is_not_an_identity(name, x_shape, lit, lit_first, x_dtype, out_dtype):
    graph = _binary(name, x_shape, lit, lit_first, x_dtype, out_dtype)
    verify(graph)
    assert dump(simplify(graph)) == dump(graph)


def test_simplify_golden_movement_and_cast():
    x = Var((2, 3), F32)
    v = [Var(s, d) for s, d in [((2, 3), F32), ((3, 2), F32), ((2, 3), F32), ((3, 2), F32),
                                ((2, 3), F32), ((2, 3), np.float16), ((6,), F32), ((3, 2), F32),
                                ((2, 3), F32), ((2, 3), F32)]]
    nodes = [
        _node("transpose", [x], [v[0]], perm=(0, 1)),                 # identity: removed
        _node("transpose", [v[0]], [v[1]], perm=(1, 0)),              # kept
        _node("reshape", [x], [v[2]], shape=(2, 3)),                  # same shape: removed
        _node("reshape", [v[2]], [v[3]], shape=(3, 2)),
        _node("cast", [x], [v[4]], dtype=mstype.float32),             # same dtype: removed
        _node("cast", [x], [v[5]], dtype=mstype.float16),             # kept
        _node("reshape", [v[4]], [v[6]], shape=(6,)),
        _node("reshape", [v[6]], [v[7]], shape=(3, 2)),               # chain: reshape(x, (3, 2))
        _node("reshape", [v[7]], [v[8]], shape=(2, 3)),               # back to x's shape: x
        _node("neg", [v[8]], [v[9]]),
    ]
    graph = Graph("m", [x], nodes, [v[1], v[3], v[5], v[7], v[9]])
    before = _lines(
        "%1: Float32[2, 3] = transpose(%0) {perm=(0, 1)}",
        "%2: Float32[3, 2] = transpose(%1) {perm=(1, 0)}",
        "%3: Float32[2, 3] = reshape(%0) {shape=(2, 3)}",
        "%4: Float32[3, 2] = reshape(%3) {shape=(3, 2)}",
        "%5: Float32[2, 3] = cast(%0) {dtype=Float32}",
        "%6: Float16[2, 3] = cast(%0) {dtype=Float16}",
        "%7: Float32[6] = reshape(%5) {shape=(6,)}",
        "%8: Float32[3, 2] = reshape(%7) {shape=(3, 2)}",
        "%9: Float32[2, 3] = reshape(%8) {shape=(2, 3)}",
        "%10: Float32[2, 3] = neg(%9)",
        "return (%2, %4, %6, %8, %10)", header="graph m(%0: Float32[2, 3]) {")
    after = _lines(
        "%1: Float32[3, 2] = transpose(%0) {perm=(1, 0)}",
        "%2: Float32[3, 2] = reshape(%0) {shape=(3, 2)}",
        "%3: Float16[2, 3] = cast(%0) {dtype=Float16}",
        "%4: Float32[6] = reshape(%0) {shape=(6,)}",
        "%5: Float32[3, 2] = reshape(%0) {shape=(3, 2)}",
        "%6: Float32[2, 3] = neg(%0)",
        "return (%1, %2, %3, %5, %6)", header="graph m(%0: Float32[2, 3]) {")
    new = _check_pass(simplify, graph, before, after)
    final = run_pipeline(graph, verify_each=True)  # cse merges the two reshapes, dce drops %4
    assert [n.op.name for n in final.nodes] == ["transpose", "reshape", "cast", "neg"]
    assert final.outputs[1] is final.outputs[3]
    assert len(new.nodes) == 6


def neg4(x):
    return ops.neg(ops.neg(ops.neg(ops.neg(x))))


def test_simplify_collapses_a_chain_of_negations():
    graph, _ = trace(neg4, _t(2, 3))
    assert [n.op.name for n in graph.nodes] == ["neg"] * 4
    new = simplify(graph)
    verify(new)
    assert dump(new) == _lines("%1: Float32[2, 3] = neg(%0)", "%2: Float32[2, 3] = neg(%0)", "return (%0)",
                               header="graph neg4(%0: Float32[2, 3]) {")
    assert dump(dce(new)) == _lines("return (%0)", header="graph neg4(%0: Float32[2, 3]) {")


# --- cse -----------------------------------------------------------------------------------------
def test_cse_merges_equal_literals_by_value_but_not_signed_zeros():
    x = Var((2, 3), F32)
    outs = [Var((2, 3), F32) for _ in range(4)]
    sums = [Var((3,), F32), Var((3,), F32), Var((1, 3), F32)]
    nodes = [
        _node("mul", [x, Literal(F32(2.0))], [outs[0]]),
        _node("mul", [x, Literal(F32(2.0))], [outs[1]]),   # another Literal object, equal value
        _node("add", [x, Literal(F32(0.0))], [outs[2]]),
        _node("add", [x, Literal(F32(-0.0))], [outs[3]]),  # -0.0: a different constant
        _node("reduce_sum", [x], [sums[0]], axis=(0,), keepdims=False),
        _node("reduce_sum", [x], [sums[1]], axis=(0,), keepdims=False),
        _node("reduce_sum", [x], [sums[2]], axis=(0,), keepdims=True),
    ]
    graph = Graph("c", [x], nodes, [*outs, *sums])
    before = _lines(
        "%1: Float32[2, 3] = mul(%0, Float32(2.0))",
        "%2: Float32[2, 3] = mul(%0, Float32(2.0))",
        "%3: Float32[2, 3] = add(%0, Float32(0.0))",
        "%4: Float32[2, 3] = add(%0, Float32(-0.0))",
        "%5: Float32[3] = reduce_sum(%0) {axis=(0,), keepdims=False}",
        "%6: Float32[3] = reduce_sum(%0) {axis=(0,), keepdims=False}",
        "%7: Float32[1, 3] = reduce_sum(%0) {axis=(0,), keepdims=True}",
        "return (%1, %2, %3, %4, %5, %6, %7)", header="graph c(%0: Float32[2, 3]) {")
    after = _lines(
        "%1: Float32[2, 3] = mul(%0, Float32(2.0))",
        "%2: Float32[2, 3] = add(%0, Float32(0.0))",
        "%3: Float32[2, 3] = add(%0, Float32(-0.0))",
        "%4: Float32[3] = reduce_sum(%0) {axis=(0,), keepdims=False}",
        "%5: Float32[1, 3] = reduce_sum(%0) {axis=(0,), keepdims=True}",
        "return (%1, %1, %2, %3, %4, %4, %5)", header="graph c(%0: Float32[2, 3]) {")
    _check_pass(cse, graph, before, after)


def test_cse_compares_attributes_with_their_types():
    x = Var((2, 3), F32)
    a = Var((2, 3), F32)
    b = Var((2, 3), F32)
    graph = Graph("t", [x], [_node("softmax", [x], [a], axis=1),
                             _node("softmax", [x], [b], axis=True)], [a, b])
    assert len(cse(graph).nodes) == 2
    same = Graph("t", [x], [_node("softmax", [x], [a], axis=1),
                            _node("softmax", [x], [b], axis=1)], [a, b])
    assert len(cse(same).nodes) == 1


# --- every pass on traced programs: verified, same numbers --------------------------------------
def _mlp(x, w1, b1, w2):
    h = ops.relu(ops.matmul(x, w1) + b1)
    h2 = ops.relu(ops.matmul(x, w1) + b1)  # the same expression twice: cse
    y = ops.matmul(h + h2 * 1.0, w2)
    return ops.mean(y * y), ops.softmax(y, axis=-1)


def _movement(x):
    t = ops.transpose(ops.transpose(x, (1, 0)), (1, 0))
    r = ops.reshape(ops.reshape(t, (-1,)), x.shape)
    return ops.cast(r, mstype.float32) / 1.0 - 0.0, ops.sum(t, 0)


def _constants(x):
    c = ms.Tensor(np.arange(6, dtype=F32).reshape(2, 3))
    k = ops.exp(c * 0.5) + 1.0
    return x * k, k


@pytest.mark.parametrize("fn, shapes", [
    (_program, [(2, 3), (3,)]),
    (_mlp, [(4, 3), (3, 5), (5,), (5, 2)]),
    (_movement, [(2, 3)]),
    (_constants, [(2, 3)]),
])
def test_passes_keep_the_numbers_and_the_verifier_happy(fn, shapes):
    args = [_t(*s, seed=i) for i, s in enumerate(shapes)]
    graph, _ = trace(fn, *args)
    arrays = [a.asnumpy() for a in args]
    want = _run(graph, arrays)
    current = graph
    for name, run_pass in PIPELINE:
        if not wanted(name, None):
            continue
        current = run_pass(current)
        verify(current)
        for a, b in zip(want, _run(current, arrays)):
            np.testing.assert_array_equal(a, b, err_msg=f"after {name}")
        again = run_pass(current)  # a second run of the same pass changes nothing more
        assert dump(again) == dump(current)
    final = run_pipeline(graph, verify_each=True)
    assert dump(final) == dump(current)
    assert len(final.nodes) <= len(graph.nodes)
    eager = fn(*args)
    eager = eager if isinstance(eager, tuple) else (eager,)
    for e, b in zip(eager, _run(final, arrays)):
        np.testing.assert_allclose(e.asnumpy(), b, rtol=1e-6, atol=1e-6)


def test_mlp_pipeline_merges_the_repeated_layer():
    args = [_t(4, 3), _t(3, 5, seed=1), _t(5, seed=2), _t(5, 2, seed=3)]
    graph, _ = trace(_mlp, *args)
    final = run_pipeline(graph, verify_each=True)
    names = [n.op.name for n in final.nodes]
    assert names.count("matmul") == 2  # x @ w1 once, then @ w2
    assert names.count("relu") == 1
    assert "mul" in names  # y * y stays; h2 * 1.0 is gone
    assert len(final.nodes) < len(graph.nodes)


# --- jit runs the pipeline ---------------------------------------------------------------------
# each backend's plan file opens with what it adds to the graph: the memory plan, or on "cpu" the
# fused graph (which nodes formed which kernel) before the plan
_PLAN_FILE_START = {"numpy": "plan _program: planned peak ",
                    "cpu": "fusion: each fused node runs the group of nodes printed under it as one kernel\n"}


@pytest.mark.parametrize("backend", BACKENDS)
def test_jit_runs_the_pipeline_and_save_graphs_writes_each_stage(tmp_path, backend):
    ms.set_context(backend=backend)
    x = _t(2, 3)
    y = _t(3, seed=1)
    old = (ms.get_context("save_graphs"), ms.get_context("save_graphs_path"))
    ms.set_context(save_graphs=True, save_graphs_path=str(tmp_path))
    try:
        jf = ms.jit(_program)
        got = jf(x, y)
    finally:
        ms.set_context(save_graphs=old[0], save_graphs_path=old[1])
    want = _program(x, y)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.asnumpy(), w.asnumpy(), rtol=1e-6)
    (folder,) = os.listdir(tmp_path)
    assert folder.endswith("_program")
    files = sorted(os.listdir(tmp_path / folder))
    stages = ["fold", "inline", "simplify", "merge_matmul", "cse", "dce"]
    if wanted("expand", backend):
        stages.insert(0, "expand")  # the cpu backend expands batch_norm (none here: the graph is unchanged)
    assert files == ["00_input.ir"] + [f"{i:02d}_{name}.ir" for i, name in enumerate(stages + ["plan"], 1)]
    plan_text = (tmp_path / folder / files[-1]).read_text()
    assert plan_text.startswith(_PLAN_FILE_START[backend])
    assert "plan _program: planned peak " in plan_text
    assert (tmp_path / folder / files[-2]).read_text() == _program_text(PROGRAM_STAGES[-1][1]) + "\n"
    (entry,) = jf.cache.values()
    assert [n.op.name for n in entry.graph.nodes] == ["exp", "add"]
    jf(x, y)  # a cached call compiles (and dumps) nothing
    assert len(os.listdir(tmp_path)) == 1 and jf.trace_count == 1


def test_jit_with_save_graphs_off_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert not ms.get_context("save_graphs")
    got = ms.jit(_mlp)(_t(4, 3), _t(3, 5, seed=1), _t(5, seed=2), _t(5, 2, seed=3))
    want = _mlp(_t(4, 3), _t(3, 5, seed=1), _t(5, seed=2), _t(5, 2, seed=3))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.asnumpy(), w.asnumpy(), rtol=1e-6, atol=1e-7)
    assert os.listdir(tmp_path) == []


def test_simplify_folds_a_transposed_matmul_operand_into_its_flag():
    """matmul(transpose(a), transpose(b)) becomes matmul(a, b, transpose_a, transpose_b), and a
    batch_matmul's last-two-axes transpose likewise, with the same values; a transpose of other
    axes stays."""
    rng = np.random.default_rng(0)
    a = Var((3, 4), np.float32)
    b = Var((5, 3), np.float32)
    at = Var((4, 3), np.float32)
    bt = Var((3, 5), np.float32)
    out = Var((4, 5), np.float32)
    g = Graph("mm", (a, b), (Node(OPS["transpose"], (a,), {"perm": (1, 0)}, (at,)),
                             Node(OPS["transpose"], (b,), {"perm": (1, 0)}, (bt,)),
                             Node(OPS["matmul"], (at, bt), {"transpose_a": False, "transpose_b": False}, (out,))),
              (out,))
    s = dce(simplify(g))
    assert [n.op.name for n in s.nodes] == ["matmul"]
    assert s.nodes[0].attrs == {"transpose_a": True, "transpose_b": True}
    arrays = [rng.standard_normal(v.shape).astype(np.float32) for v in (a, b)]
    np.testing.assert_array_equal(interpret(s, *arrays)[0], interpret(g, *arrays)[0])
    x = Var((2, 3, 4), np.float32)
    y = Var((2, 4, 3), np.float32)
    xt = Var((2, 4, 3), np.float32)
    xs = Var((3, 2, 4), np.float32)
    o = Var((2, 4, 4), np.float32)
    g2 = Graph("bmm", (x, y), (Node(OPS["transpose"], (x,), {"perm": (0, 2, 1)}, (xt,)),
                               Node(OPS["transpose"], (x,), {"perm": (1, 0, 2)}, (xs,)),
                               Node(OPS["batch_matmul"], (xt, y), {"transpose_a": False, "transpose_b": True}, (o,))),
               (o, xs))
    s2 = dce(simplify(g2))
    assert [n.op.name for n in s2.nodes] == ["transpose", "batch_matmul"]
    assert s2.nodes[1].inputs[0] is x and s2.nodes[1].attrs == {"transpose_a": True, "transpose_b": True}
    arrays = [rng.standard_normal(v.shape).astype(np.float32) for v in (x, y)]
    for w, h in zip(interpret(s2, *arrays), interpret(g2, *arrays)):
        np.testing.assert_array_equal(w, h)
