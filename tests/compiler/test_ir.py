"""The IR's printer, verifier and reference interpreter, on small graphs built by hand."""
import numpy as np
import pytest

import sporen as ms
from sporen import dtype as mstype
from sporen.ir import Graph, Literal, Node, Var, VerifyError, dump, interpret, verify
from sporen.ops.registry import OPS, Aval, Op

from ..backends import BACKENDS, ulps_of_max

F32 = np.float32


def _node(name, inputs, outputs, **attrs):
    return Node(OPS[name], inputs, attrs, outputs)


def _add_sum():
    """f(x[2, 3], b[3]) = sum(x + b)"""
    x = Var((2, 3), F32, "x")
    b = Var((3,), F32, "b")
    s = Var((2, 3), F32)
    r = Var((), F32)
    nodes = [_node("add", [x, b], [s]), _node("reduce_sum", [s], [r], keepdims=False, axis=(0, 1))]
    return Graph("f", [x, b], nodes, [r])


def _mlp():
    """g(x[4, 3], w[3, 2]) = (matmul(x, w) * 2.0, sort(matmul(x, w), axis=1)): a Literal and a
    node with two outputs"""
    x = Var((4, 3), F32)
    w = Var((3, 2), F32)
    h = Var((4, 2), F32)
    y = Var((4, 2), F32)
    vals = Var((4, 2), F32)
    idx = Var((4, 2), np.int32)
    nodes = [
        _node("matmul", [x, w], [h], transpose_a=False, transpose_b=False),
        _node("mul", [h, Literal(F32(2.0))], [y]),
        _node("sort", [h], [vals, idx], axis=1, descending=True),
    ]
    return Graph("g", [x, w], nodes, [y, vals, idx])


def _split():
    """s(x[5, 2]) = split(x, sizes=(2, 3)) then a reduction of the second part"""
    x = Var((5, 2), F32)
    a = Var((2, 2), F32)
    b = Var((3, 2), F32)
    r = Var((2,), F32)
    nodes = [_node("split", [x], [a, b], axis=0, sizes=(2, 3)),
             _node("reduce_sum", [b], [r], axis=(0,), keepdims=False)]
    return Graph("s", [x], nodes, [a, r])


# --- dump -----------------------------------------------------------------------------------------
def test_dump_golden_text():
    assert dump(_add_sum()) == (
        "graph f(%0: Float32[2, 3], %1: Float32[3]) {\n"
        "  %2: Float32[2, 3] = add(%0, %1)\n"
        "  %3: Float32[] = reduce_sum(%2) {axis=(0, 1), keepdims=False}\n"
        "  return (%3)\n"
        "}")


def test_dump_literal_and_several_outputs():
    assert dump(_mlp()) == (
        "graph g(%0: Float32[4, 3], %1: Float32[3, 2]) {\n"
        "  %2: Float32[4, 2] = matmul(%0, %1) {transpose_a=False, transpose_b=False}\n"
        "  %3: Float32[4, 2] = mul(%2, Float32(2.0))\n"
        "  %4: Float32[4, 2], %5: Int32[4, 2] = sort(%2) {axis=1, descending=True}\n"
        "  return (%3, %4, %5)\n"
        "}")


def test_dump_numbering_does_not_depend_on_global_ids():
    first = dump(_split())
    for _ in range(3):
        Var((1,), F32)  # move the global counter
    assert dump(_split()) == first
    assert first == (
        "graph s(%0: Float32[5, 2]) {\n"
        "  %1: Float32[2, 2], %2: Float32[3, 2] = split(%0) {axis=0, sizes=(2, 3)}\n"
        "  %3: Float32[2] = reduce_sum(%2) {axis=(0,), keepdims=False}\n"
        "  return (%1, %3)\n"
        "}")


def test_dump_large_literal_dtype_attr_and_literal_output():
    x = Var((3,), F32)
    c = Var((3,), np.float64)
    y = Var((3,), np.float64)
    nodes = [_node("cast", [x], [c], dtype=mstype.float64),
             _node("add", [c, Literal(np.arange(6.0)[:3] + np.zeros(3))], [y])]
    g = Graph("k", [x], nodes, [y, Literal(np.arange(5, dtype=np.int32))])
    assert dump(g) == (
        "graph k(%0: Float32[3]) {\n"
        "  %1: Float64[3] = cast(%0) {dtype=Float64}\n"
        "  %2: Float64[3] = add(%1, Float64([0.0, 1.0, 2.0]))\n"
        "  return (%2, Int32[5](...))\n"
        "}")


def test_dump_prints_subgraphs_indented_under_their_node():
    inner = _add_sum()
    p = Var((2, 3), F32)
    q = Var((3,), F32)
    out = Var((), F32)
    fake = Op("call", None, None, None)  # an unregistered stand-in for a control-flow op
    g = Graph("outer", [p, q], [Node(fake, [p, q], {}, [out], [inner])], [out])
    assert dump(g) == (
        "graph outer(%0: Float32[2, 3], %1: Float32[3]) {\n"
        "  %2: Float32[] = call(%0, %1)\n"
        "    graph f(%3: Float32[2, 3], %4: Float32[3]) {\n"
        "      %5: Float32[2, 3] = add(%3, %4)\n"
        "      %6: Float32[] = reduce_sum(%5) {axis=(0, 1), keepdims=False}\n"
        "      return (%6)\n"
        "    }\n"
        "  return (%2)\n"
        "}")
    with pytest.raises(VerifyError, match="node 0 `%2: Float32\\[\\] = call\\(%0, %1\\)`: op Op\\(call\\) is not"):
        verify(g)


def test_dump_shows_an_undefined_var():
    x = Var((2,), F32)
    ghost = Var((2,), F32)
    y = Var((2,), F32)
    g = Graph("h", [x], [_node("add", [x, ghost], [y])], [y])
    assert f"add(%0, %?{ghost.id})" in dump(g)


# --- verify ---------------------------------------------------------------------------------------
def test_verify_accepts_good_graphs():
    for g in (_add_sum(), _mlp(), _split()):
        assert verify(g) is None


def _broken(problem):
    """A variant of _add_sum() broken in one way."""
    x = Var((2, 3), F32)
    b = Var((3,), F32)
    s = Var((2, 3), F32)
    r = Var((), F32)
    add = {"op": OPS["add"], "inputs": [x, b], "attrs": {}, "outputs": [s]}
    red = {"op": OPS["reduce_sum"], "inputs": [s], "attrs": {"axis": (0, 1), "keepdims": False}, "outputs": [r]}
    params = [x, b]
    outputs = [r]
    order = [add, red]
    if problem == "use before def":
        order = [red, add]
    elif problem == "never defined":
        red["inputs"] = [Var((2, 3), F32)]
    elif problem == "defined twice":
        red["outputs"] = [s]
        red["attrs"] = {"axis": (), "keepdims": False}
    elif problem == "param redefined":
        add["outputs"] = [x]
    elif problem == "param twice":
        params = [x, x]
    elif problem == "unregistered":
        add["op"] = Op("add", OPS["add"].infer, OPS["add"].kernel, None)
    elif problem == "unhashable":
        red["attrs"] = {"axis": [0, 1], "keepdims": False}
    elif problem == "too many outputs":
        red["outputs"] = [r, Var((), F32)]
    elif problem == "wrong shape":
        red["attrs"] = {"axis": (0,), "keepdims": False}
    elif problem == "wrong dtype":
        add["outputs"] = [Var((2, 3), np.float64)]
        red["inputs"] = add["outputs"]
        red["outputs"] = [Var((), np.float64)]
    elif problem == "rule rejects":
        add["inputs"] = [x, Var((4,), F32)]
        params = [x, b, add["inputs"][1]]
    elif problem == "output undefined":
        outputs = [r, Var((), F32)]
    elif problem == "no sporen dtype":
        add["inputs"] = [x, Literal(np.array(["a", "b", "c"]))]
    elif problem == "input not a value":
        add["inputs"] = [x, 1.0]
    nodes = [Node(d["op"], d["inputs"], d["attrs"], d["outputs"]) for d in order]
    return Graph("f", params, nodes, outputs)


BROKEN = {
    "use before def": r"graph 'f', node 0 `%2: Float32\[\] = reduce_sum\(%3\) .*`: input 0 %3 is used before it is "
                      r"defined",
    "never defined": r"node 1 `%3: Float32\[\] = reduce_sum\(%\?\d+\) .*`: input 0 %\?\d+ is used before it is defined",
    "defined twice": r"node 1 `%2: Float32\[2, 3\] = reduce_sum\(%2\) \{axis=\(\), keepdims=False\}`: output 0 %2 is "
                     r"defined twice",
    "param redefined": r"node 0 `%0: Float32\[2, 3\] = add\(%0, %1\)`: output 0 %0 redefines a param",
    "param twice": r"verify: graph 'f': param 1 %0 is defined twice",
    "unregistered": r"node 0 `.*= add\(%0, %1\)`: op Op\(add\) is not the registered op of that name",
    "unhashable": r"node 1 .*: attribute 'axis' is not hashable: list \[0, 1\]",
    "too many outputs": r"node 1 .*: the node has 2 outputs, op 'reduce_sum' gives 1",
    "wrong shape": r"node 1 .*: output 0 %3 is Float32\[\] but 'reduce_sum' infers Float32\[3\]",
    "wrong dtype": r"node 0 `%2: Float64\[2, 3\] = add\(%0, %1\)`: output 0 %2 is Float64\[2, 3\] but 'add' "
                   r"infers Float32\[2, 3\]",
    "rule rejects": r"node 0 .*: the shape rule of 'add' rejects the inputs: ValueError: ",
    "output undefined": r"verify: graph 'f': output 1 %\?\d+ is never defined",
    "input not a value": r"node 0 .*: input 1 is not a Var or Literal: 1.0",
    "no sporen dtype": r"node 0 .*: input 1 \(a Literal\) has dtype <U1, which is no sporen dtype",
}


@pytest.mark.parametrize("problem", sorted(BROKEN))
def test_verify_names_the_node_and_the_problem(problem):
    g = _broken(problem)
    with pytest.raises(VerifyError, match=BROKEN[problem]):
        verify(g)


def test_verify_error_is_a_value_error():
    assert issubclass(VerifyError, ValueError)


def test_verify_checks_the_output_count_of_a_multi_output_op():
    x = Var((4, 2), F32)
    vals = Var((4, 2), F32)
    g = Graph("t", [x], [_node("sort", [x], [vals], axis=1, descending=False)], [vals])
    with pytest.raises(VerifyError, match="node 0 .*: the node has 1 outputs, op 'sort' gives 2"):
        verify(g)
    a = Var((2, 2), F32)
    g = Graph("t", [x], [_node("split", [x], [a], axis=0, sizes=(2, 2))], [a])
    with pytest.raises(VerifyError, match="the node has 1 outputs, op 'split' gives 2"):
        verify(g)


def test_verify_accepts_a_param_as_output_and_a_literal_output():
    x = Var((2,), F32)
    assert verify(Graph("id", [x], [], [x, Literal(F32(1.0))])) is None


# --- interpret ------------------------------------------------------------------------------------
def test_interpret_add_sum():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3)).astype(F32)
    b = rng.standard_normal(3).astype(F32)
    (r,) = interpret(_add_sum(), x, b)
    want = sum(float(x[i, j]) + float(b[j]) for i in range(2) for j in range(3))
    assert r.shape == () and r.dtype == F32
    np.testing.assert_allclose(r, want, rtol=1e-5)


def test_interpret_literal_and_several_outputs():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 3)).astype(F32)
    w = rng.standard_normal((3, 2)).astype(F32)
    y, vals, idx = interpret(_mlp(), x, w)
    h = np.einsum("ik,kj->ij", x.astype(np.float64), w.astype(np.float64))
    np.testing.assert_allclose(y, 2 * h, rtol=1e-5)
    assert y.dtype == F32 and vals.dtype == F32 and idx.dtype == np.int32
    for i in range(4):
        hi = h[i]
        order = [0, 1] if hi[0] >= hi[1] else [1, 0]
        assert idx[i].tolist() == order
        np.testing.assert_allclose(vals[i], hi[order], rtol=1e-5)


def test_interpret_variable_output_count():
    x = np.arange(10, dtype=F32).reshape(5, 2)
    a, r = interpret(_split(), x)
    assert a.tolist() == [[0, 1], [2, 3]]
    assert r.tolist() == [4 + 6 + 8, 5 + 7 + 9]


def test_interpret_returns_literal_outputs_as_fresh_arrays():
    x = Var((2,), F32)
    lit = Literal(F32(1.5))
    g = Graph("c", [x], [], [x, lit])
    arg = np.ones(2, F32)
    out, c = interpret(g, arg)
    assert out is arg
    c[...] = 0
    assert lit.value == F32(1.5)


def test_interpret_checks_the_arguments():
    g = _add_sum()
    x = np.zeros((2, 3), F32)
    b = np.zeros(3, F32)
    with pytest.raises(TypeError, match="interpret: graph 'f' takes 2 arguments, got 1"):
        interpret(g, x)
    with pytest.raises(TypeError, match="takes 2 arguments, got 3"):
        interpret(g, x, b, b)
    with pytest.raises(ValueError, match=r"argument 1 must have shape \(3,\), got \(4,\)"):
        interpret(g, x, np.zeros(4, F32))
    with pytest.raises(TypeError, match=r"argument 0 must be Float32\[2, 3\], got Float64\[2, 3\]"):
        interpret(g, x.astype(np.float64), b)


def test_interpret_catches_a_kernel_that_disagrees_with_the_graph():
    x = Var((2, 3), F32)
    r = Var((3,), F32)  # wrong: the kernel reduces to a scalar
    g = Graph("w", [x], [_node("reduce_sum", [x], [r], axis=(0, 1), keepdims=False)], [r])
    with pytest.raises(ValueError, match=r"node 0 .*: output 0 of the kernel is Float32\[\], the graph says "
                                         r"Float32\[3\]"):
        interpret(g, np.zeros((2, 3), F32))
    (out,) = interpret(g, np.ones((2, 3), F32), check=False)
    assert out == 6


def test_interpret_reports_an_undefined_input():
    g = _broken("use before def")
    with pytest.raises(ValueError, match="node 0 .*: input 0 is used before it is defined"):
        interpret(g, np.zeros((2, 3), F32), np.zeros(3, F32))


def test_interpret_notes_the_node_on_a_kernel_error():
    x = Var((2, 3), F32)
    y = Var((3, 2), F32)
    r = Var((2, 2), F32)
    g = Graph("m", [x, y], [_node("matmul", [x, y], [r], transpose_a=False, transpose_b=True)], [r])
    with pytest.raises(ValueError) as info:
        interpret(g, np.zeros((2, 3), F32), np.zeros((3, 2), F32))
    assert any("graph 'm', node 0 `%2: Float32[2, 2] = matmul(%0, %1)" in n for n in info.value.__notes__)


# --- every registered op, as a one-node graph -----------------------------------------------------
def _op_cases():
    import importlib
    import pkgutil

    import tests.ops as cases_pkg
    cases = []
    for info in pkgutil.iter_modules(cases_pkg.__path__):
        if info.name.startswith("cases_"):
            cases.extend(importlib.import_module(f"tests.ops.{info.name}").CASES)
    return cases


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_op_case_verifies_and_interprets_as_a_one_node_graph(backend):
    """Each op case of tests/ops as a graph `outs = op(*params)`: the verifier accepts it (the
    attributes are hashable, the shape rule runs on avals) and the interpreter gives what the eager
    op gives on ``backend``. Random ops are compared by shape and dtype only. On "cpu" the ops of
    PyNative's native path (runtime/eager.py: convolutions, pools, softmax, cross-entropy) run C
    kernels that sum in another order and call another expf: those agree within 4 ulps of the
    output's largest value (1.3 measured, sparse cross-entropy); every other op runs its numpy
    kernel eagerly and is compared exactly."""
    from sporen import Tensor
    from sporen.ops.registry import Aval
    from sporen.runtime import eager as eager_path
    ms.set_context(backend=backend)
    failures = []
    for case in _op_cases():
        op = OPS[case.op]
        native = backend != "numpy" and case.op in eager_path.NATIVE_OPS
        for dtype in case.dtypes:
            arrays = case.make(np.random.default_rng(0), dtype)
            params = [Var(a.shape, a.dtype) for a in arrays]
            inferred = op.infer(*[Aval(a.shape, mstype._BY_NP[a.dtype]) for a in arrays], **case.attrs)
            inferred = inferred if isinstance(inferred, tuple) else (inferred,)
            outs = [Var(a.shape, a.dtype.np) for a in inferred]
            g = Graph(case.op, params, [Node(op, params, case.attrs, outs)], outs)
            try:
                verify(g)
                got = interpret(g, *arrays)
            except Exception as exc:  # collected: one report for all ops
                failures.append(f"{case.op} {dtype}: {type(exc).__name__}: {exc}")
                continue
            eager = op(*[Tensor._wrap(a.copy()) for a in arrays], **case.attrs)
            eager = eager if isinstance(eager, tuple) else (eager,)
            for j, (a, e) in enumerate(zip(got, eager)):
                e = e.asnumpy()
                if a.shape != e.shape or a.dtype != e.dtype:
                    same = False
                elif op.family == "random":
                    same = True
                elif native:
                    same = np.allclose(e, a, rtol=0, atol=ulps_of_max(a, 4), equal_nan=True)
                else:
                    same = np.array_equal(a, e, equal_nan=True)
                if not same:
                    failures.append(f"{case.op} {dtype}: output {j} differs from the eager op")
    assert not failures, "\n".join(failures)


def test_dump_literals_print_shortest_values_in_their_dtype():
    x = Var((2, 2), F32)
    y = Var((2, 2), F32)
    z = Var((2, 2), F32)
    nodes = [_node("add", [x, Literal(F32(0.1))], [y]),
             _node("mul", [y, Literal(np.array([[1, -np.inf], [np.nan, 1e-8]], F32))], [z])]
    text = dump(Graph("lits", [x], nodes, [z, Literal(np.array([True, False]))]))
    assert "add(%0, Float32(0.1))" in text
    assert "mul(%1, Float32([[1.0, -inf], [nan, 1e-08]]))" in text
    assert "return (%2, Bool([True, False]))" in text


# --- nodes with subgraphs (the convention control flow will use) ----------------------------------
def _call_op():
    """A stand-in for a control-flow op: ``call`` runs its one subgraph on its inputs."""
    def infer(*avals, subgraphs):
        return tuple(Aval(v.shape, mstype._BY_NP[v.dtype]) for v in subgraphs[0].outputs)

    def kernel(*arrays, subgraphs):
        return interpret(subgraphs[0], *arrays)

    return Op("call", infer, kernel, None, nout=-1)


def test_verify_and_interpret_a_node_with_a_subgraph(monkeypatch):
    call = _call_op()
    monkeypatch.setitem(OPS, "call", call)
    p = Var((2, 3), F32)
    q = Var((3,), F32)
    out = Var((), F32)
    g = Graph("outer", [p, q], [Node(call, [p, q], {}, [out], [_add_sum()])], [out])
    assert verify(g) is None
    x = np.arange(6, dtype=F32).reshape(2, 3)
    (r,) = interpret(g, x, np.ones(3, F32))
    assert r == 15 + 6


def test_verify_requires_closed_subgraphs(monkeypatch):
    call = _call_op()
    monkeypatch.setitem(OPS, "call", call)
    p = Var((3,), F32)
    ip = Var((3,), F32)
    s = Var((3,), F32)
    inner = Graph("body", [ip], [_node("add", [ip, p], [s])], [s])  # p belongs to the outer graph
    out = Var((3,), F32)
    g = Graph("outer", [p], [Node(call, [p], {}, [out], [inner])], [out])
    with pytest.raises(VerifyError, match=r"graph 'outer', node 0 `%1: Float32\[3\] = call\(%0\)`, subgraph "
                                          r"'body', node 0 `%3: Float32\[3\] = add\(%2, %0\)`: input 1 %0 is "
                                          r"used before it is defined"):
        verify(g)
