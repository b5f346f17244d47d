"""The merge_matmul pass: golden IR before and after, the verifier, the interpreter's numbers before
and after (equal up to the order of a sum), the cases it must leave alone, and an LSTM language
model's training step with the pass equal to the step without it."""
import numpy as np
import pytest

import sporen as ms
from sporen import jit, nn
from sporen.ir import Graph, Node, Var, dump, interpret, verify
from sporen.ops.registry import OPS
from sporen.passes import pipeline
from sporen.passes.merge_matmul import MERGE_MAX_K, merge_matmul

F32 = np.float32


_PIPELINE = list(pipeline.PIPELINE)


def _with_merge():
    """The pipeline with merge_matmul right after simplify (where pipeline.py puts it)."""
    passes = [p for p in _PIPELINE if p[0] != "merge_matmul"]
    at = [name for name, _ in passes].index("simplify") + 1
    return passes[:at] + [("merge_matmul", merge_matmul)] + passes[at:]


def _node(name, inputs, outputs, **attrs):
    return Node(OPS[name], inputs, attrs, outputs)


def _lines(*body, header):
    return "\n".join([header, *("  " + line for line in body), "}"])


def _args(graph, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(p.shape).astype(p.dtype) for p in graph.params]


def _check(graph, before, after):
    """Golden text before and after, the verifier on both, the same numbers (rtol 1e-5), the input
    graph untouched; returns the new graph."""
    assert dump(graph) == before
    verify(graph)
    new = merge_matmul(graph)
    verify(new)
    assert dump(new) == after
    assert dump(graph) == before
    assert new.params == graph.params and new.outputs == graph.outputs
    arrays = _args(graph)
    for want, got in zip(interpret(graph, *arrays), interpret(new, *arrays)):
        assert want.shape == got.shape and want.dtype == got.dtype
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    return new


def _weight_gradient_graph():
    """sum_t h_t^T @ g_t as reverse mode writes it (the last step first), transposed, and the g_t
    concatenated in step order for the input projection's gradient."""
    hs = [Var((2, 3), F32) for _ in range(3)]
    gs = [Var((2, 4), F32) for _ in range(3)]
    products = [Var((3, 4), F32) for _ in range(3)]
    s1 = Var((3, 4), F32)
    s2 = Var((3, 4), F32)
    t = Var((4, 3), F32)
    joined = Var((6, 4), F32)
    nodes = [_node("matmul", [hs[2], gs[2]], [products[2]], transpose_a=True),
             _node("matmul", [hs[1], gs[1]], [products[1]], transpose_a=True),
             _node("add", [products[2], products[1]], [s1]),
             _node("matmul", [hs[0], gs[0]], [products[0]], transpose_a=True),
             _node("add", [s1, products[0]], [s2]),
             _node("transpose", [s2], [t], perm=(1, 0)),
             _node("concat", gs, [joined], axis=0)]
    return Graph("f", hs + gs, nodes, [t, joined])


HEADER = ("graph f(%0: Float32[2, 3], %1: Float32[2, 3], %2: Float32[2, 3], %3: Float32[2, 4], "
          "%4: Float32[2, 4], %5: Float32[2, 4]) {")


def test_a_sum_of_products_becomes_one_product_over_the_concatenated_operands():
    before = _lines(
        "%6: Float32[3, 4] = matmul(%2, %5) {transpose_a=True}",
        "%7: Float32[3, 4] = matmul(%1, %4) {transpose_a=True}",
        "%8: Float32[3, 4] = add(%6, %7)",
        "%9: Float32[3, 4] = matmul(%0, %3) {transpose_a=True}",
        "%10: Float32[3, 4] = add(%8, %9)",
        "%11: Float32[4, 3] = transpose(%10) {perm=(1, 0)}",
        "%12: Float32[6, 4] = concat(%3, %4, %5) {axis=0}",
        "return (%11, %12)", header=HEADER)
    # the terms are reordered to match the existing concat of the g_t (cse merges the two), and
    # the transposed product is computed as g^T h directly
    after = _lines(
        "%6: Float32[6, 3] = concat(%0, %1, %2) {axis=0}",
        "%7: Float32[6, 4] = concat(%3, %4, %5) {axis=0}",
        "%8: Float32[4, 3] = matmul(%7, %6) {transpose_a=True, transpose_b=False}",
        "%9: Float32[6, 4] = concat(%3, %4, %5) {axis=0}",
        "return (%8, %9)", header=HEADER)
    _check(_weight_gradient_graph(), before, after)


def test_the_pipeline_merges_the_concatenations_with_cse():
    graph = _weight_gradient_graph()
    final = pipeline.run_pipeline(graph, verify_each=True, passes=_with_merge())
    assert [n.op.name for n in final.nodes] == ["concat", "concat", "matmul"]
    arrays = _args(graph)
    for want, got in zip(interpret(graph, *arrays), interpret(final, *arrays)):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_pieces_of_one_split_are_read_from_the_split_input_and_other_terms_stay():
    whole = Var((6, 4), F32)
    a = [Var((3, 2), F32) for _ in range(3)]
    bias = Var((3, 4), F32)
    twice = Var((3, 4), F32)  # a product used twice is not merged away
    pieces = [Var((2, 4), F32) for _ in range(3)]
    products = [Var((3, 4), F32) for _ in range(3)]
    sums = [Var((3, 4), F32) for _ in range(4)]
    other = Var((3, 4), F32)
    nodes = [_node("split", [whole], pieces, axis=0, sizes=(2, 2, 2)),
             _node("matmul", [a[0], pieces[0]], [products[0]]),
             _node("matmul", [a[1], pieces[1]], [products[1]]),
             _node("matmul", [a[2], pieces[2]], [products[2]]),
             _node("matmul", [a[0], pieces[1]], [twice]),
             _node("add", [products[0], bias], [sums[0]]),
             _node("add", [sums[0], products[1]], [sums[1]]),
             _node("add", [sums[1], twice], [sums[2]]),
             _node("add", [sums[2], products[2]], [sums[3]]),
             _node("neg", [twice], [other])]
    graph = Graph("f", [whole] + a + [bias], nodes, [sums[3], other])
    header = ("graph f(%0: Float32[6, 4], %1: Float32[3, 2], %2: Float32[3, 2], %3: Float32[3, 2], "
              "%4: Float32[3, 4]) {")
    before = _lines(
        "%5: Float32[2, 4], %6: Float32[2, 4], %7: Float32[2, 4] = split(%0) {axis=0, sizes=(2, 2, 2)}",
        "%8: Float32[3, 4] = matmul(%1, %5)",
        "%9: Float32[3, 4] = matmul(%2, %6)",
        "%10: Float32[3, 4] = matmul(%3, %7)",
        "%11: Float32[3, 4] = matmul(%1, %6)",
        "%12: Float32[3, 4] = add(%8, %4)",
        "%13: Float32[3, 4] = add(%12, %9)",
        "%14: Float32[3, 4] = add(%13, %11)",
        "%15: Float32[3, 4] = add(%14, %10)",
        "%16: Float32[3, 4] = neg(%11)",
        "return (%15, %16)", header=header)
    after = _lines(
        "%5: Float32[2, 4], %6: Float32[2, 4], %7: Float32[2, 4] = split(%0) {axis=0, sizes=(2, 2, 2)}",
        "%8: Float32[3, 4] = matmul(%1, %6)",
        "%9: Float32[3, 6] = concat(%1, %2, %3) {axis=1}",
        "%10: Float32[3, 4] = matmul(%9, %0) {transpose_a=False, transpose_b=False}",
        "%11: Float32[3, 4] = add(%10, %4)",
        "%12: Float32[3, 4] = add(%11, %8)",
        "%13: Float32[3, 4] = neg(%8)",
        "return (%12, %13)", header=header)
    _check(graph, before, after)


def _sum_of_two(a_shape, b_shape, flags=((False, False), (False, False))):
    a = [Var(a_shape, F32) for _ in range(2)]
    b = [Var(b_shape, F32) for _ in range(2)]
    products = []
    nodes = []
    for i, (ta, tb) in enumerate(flags):
        m = a_shape[1] if ta else a_shape[0]
        n = b_shape[0] if tb else b_shape[1]
        products.append(Var((m, n), F32))
        nodes.append(_node("matmul", [a[i], b[i]], [products[i]], transpose_a=ta, transpose_b=tb))
    out = Var(products[0].shape, F32)
    nodes.append(_node("add", products, [out]))
    return Graph("f", a + b, nodes, [out])


@pytest.mark.parametrize("graph", [
    # thick terms (K over MERGE_MAX_K) whose operands would have to be copied
    _sum_of_two((4, MERGE_MAX_K + 1), (MERGE_MAX_K + 1, 3)),
    # different transpose flags: no one operand layout for both
    _sum_of_two((4, 4), (4, 4), flags=((False, False), (True, False))),
], ids=["thick", "flags"])
def test_sums_that_do_not_pay_or_do_not_fit_are_left_alone(graph):
    verify(graph)
    assert dump(merge_matmul(graph)) == dump(graph)


def test_a_broadcasting_add_is_left_alone():
    a = [Var((4, 2), F32) for _ in range(2)]
    b = [Var((2, 3), F32) for _ in range(2)]
    p = [Var((4, 3), F32) for _ in range(2)]
    s = Var((4, 3), F32)
    out = Var((4, 3), F32)
    row = Var((3,), F32)
    nodes = [_node("matmul", [a[0], b[0]], [p[0]]),
             _node("add", [p[0], row], [s]),
             _node("matmul", [a[1], b[1]], [p[1]]),
             _node("add", [s, p[1]], [out])]
    graph = Graph("f", a + b + [row], nodes, [out])
    verify(graph)
    assert dump(merge_matmul(graph)) == dump(graph)


def test_a_transposed_product_used_elsewhere_stays_a_transpose():
    a = Var((2, 3), F32)
    b = Var((3, 4), F32)
    p = Var((2, 4), F32)
    t = Var((4, 2), F32)
    nodes = [_node("matmul", [a, b], [p]), _node("transpose", [p], [t], perm=(1, 0))]
    graph = Graph("f", [a, b], nodes, [t, p])
    assert dump(merge_matmul(graph)) == dump(graph)
    swapped = merge_matmul(Graph("f", [a, b], nodes, [t]))
    assert [n.op.name for n in swapped.nodes] == ["matmul"]
    x = np.arange(6, dtype=F32).reshape(2, 3)
    y = np.arange(12, dtype=F32).reshape(3, 4)
    np.testing.assert_array_equal(interpret(swapped, x, y)[0], (x @ y).T)


# --- the LSTM language model's training step ----------------------------------------------------
class _LanguageModel(nn.Cell):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(40, 12)
        self.lstm = nn.LSTM(12, 12, num_layers=2, batch_first=True)
        self.decoder = nn.Dense(12, 40)

    def construct(self, tokens):
        out, _ = self.lstm(self.embed(tokens))
        return self.decoder(out.reshape(-1, 12))


def _lstm_steps(backend, merge, monkeypatch, steps=3):
    passes = _with_merge() if merge else [p for p in _PIPELINE if p[0] != "merge_matmul"]
    monkeypatch.setattr(pipeline, "PIPELINE", passes)
    ms.set_seed(1)
    net = _LanguageModel()
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    step = nn.TrainOneStepCell(nn.WithLossCell(net, loss), nn.SGD(net.trainable_params(), 0.5))
    step.set_train()
    compiled = jit(step, backend=backend)
    rng = np.random.default_rng(0)
    tokens = ms.Tensor(rng.integers(0, 40, (3, 6)).astype(np.int32))
    labels = ms.Tensor(rng.integers(0, 40, (18,)).astype(np.int32))
    losses = [float(compiled(tokens, labels).asnumpy()) for _ in range(steps)]
    (entry,) = compiled.cache.values()
    names = [n.op.name for n in entry.graph.nodes]
    params = {k: v.asnumpy().copy() for k, v in step.parameters_and_names()}
    return losses, params, names


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
def test_the_lstm_step_with_merged_products_equals_the_step_without(backend, monkeypatch):
    if backend == "cpu":
        from sporen.runtime import cache
        if cache.compiler() is None:
            pytest.skip("no C compiler")
    want, want_params, plain = _lstm_steps("numpy", False, monkeypatch)
    got, got_params, merged = _lstm_steps(backend, True, monkeypatch)
    # per layer, the 6 products h_{t-1}^T dgates_t of W_hh's gradient are one product now
    assert plain.count("matmul") - merged.count("matmul") == 2 * (6 - 1)
    assert plain.count("add") - merged.count("add") >= 2 * (6 - 1)
    np.testing.assert_allclose(got, want, rtol=1e-5)
    assert got_params.keys() == want_params.keys()
    for key in want_params:
        np.testing.assert_allclose(got_params[key], want_params[key], rtol=1e-5, atol=1e-6, err_msg=key)
