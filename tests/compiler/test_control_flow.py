"""Tensor-dependent control flow in graph mode: `if`/`while`/`for` on traced tensors become
``if``/``while`` nodes (frontend/parse.py, ops/control.py), equal to PyNative in value and gradient,
in jit and in GRAPH_MODE; what cannot be converted is an error naming the file and line."""
import inspect
import warnings

import numpy as np
import pytest

import sporen as ms
from sporen import jit, nn, ops
from sporen.frontend.parse import ControlFlowError
from sporen.frontend.trace import TRACES, trace
from sporen.ir import Graph, Literal, Node, dump, interpret, verify
from sporen.ir import graph as ir_graph
from sporen.passes.inline import inline
from sporen.passes.pipeline import run_pipeline


@pytest.fixture(autouse=True)
def _pynative_after():
    yield
    ms.set_context(mode=ms.PYNATIVE_MODE)


def _t(*values, dtype=np.float32):
    return ms.Tensor(np.array(values, dtype))


def _line_of(fn, text):
    """The absolute line number of the first source line of ``fn`` containing ``text``."""
    lines, first = inspect.getsourcelines(fn)
    for i, line in enumerate(lines):
        if text in line:
            return first + i
    raise AssertionError(f"{text!r} not in the source of {fn.__name__}")


def _same(a, b, rtol=1e-6):
    if isinstance(a, (tuple, list)):
        assert isinstance(b, (tuple, list)) and len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y, rtol)
        return
    np.testing.assert_allclose(a.asnumpy(), b.asnumpy(), rtol=rtol, atol=1e-6)


def _check(fn, inputs, grad_positions=None, retraces=1):
    """fn under jit equals fn in PyNative on every input tuple (and so do its gradients with
    respect to ``grad_positions``), with ``retraces`` traces for all of them (same shapes)."""
    compiled = jit(fn)
    for args in inputs:
        _same(compiled(*args), fn(*args))
    assert compiled.trace_count == retraces
    assert not TRACES
    if grad_positions is not None:
        grad_fn = ms.grad(fn, grad_position=grad_positions)
        compiled_grad = jit(grad_fn)
        for args in inputs:
            _same(compiled_grad(*args), grad_fn(*args))
        assert compiled_grad.trace_count == retraces
    return compiled


def _graph_of(compiled):
    return next(iter(compiled.cache.values())).graph


# --- if -------------------------------------------------------------------------------------------

def if_elif_else(x, w):
    s = (x * w).sum()
    if s > 2.0:
        y = x * w
    elif s > -1.0:
        y = ops.sin(x) + w
    else:
        y = x - w * w
    return (y * y).sum()


def test_if_elif_else_equals_pynative_in_value_and_gradient():
    w = _t(0.5, 1.5, -2.0)
    inputs = [(_t(3.0, 2.0, 0.5), w), (_t(-1.0, 0.5, 0.25), w), (_t(1.0, 1.0, 2.0), w)]
    compiled = _check(if_elif_else, inputs, grad_positions=(0, 1))
    # the three inputs take the three paths
    taken = [float((x * w).sum().asnumpy()) for x, _ in inputs]
    assert taken[0] > 2.0 and -1.0 < taken[1] <= 2.0 and taken[2] <= -1.0
    assert [n.op.name for n in _graph_of(compiled).nodes].count("if") == 1


def nested_if(x):
    if x.sum() > 0:
        if x.max() > 2:
            x = x * 3
        else:
            x = x + 1
        y = x.mean()
    else:
        y = -x.sum()
    return y * x.sum()


def test_nested_if():
    inputs = [(_t(1.0, 3.0),), (_t(0.5, 0.5),), (_t(-1.0, -2.0),)]
    _check(nested_if, inputs, grad_positions=0)


def bool_ops(x, flag):
    if x.sum() > 0 and not x.max() > 5 or flag:
        return x * 2
    return x / 2


def test_and_or_not_of_tensor_conditions():
    inputs = [(_t(1.0, 2.0), False), (_t(1.0, 7.0), False), (_t(-1.0, -2.0), False), (_t(-1.0, -2.0), True)]
    compiled = jit(bool_ops)
    for x, flag in inputs:
        _same(compiled(x, flag), bool_ops(x, flag))
    assert compiled.trace_count == 2  # the Python flag is part of the signature


def conditional_expression(x):
    y = x * 2 if x.sum() > 0 else x - 1
    return y + (1.0 if y.sum() > 3 else 0.0)


def test_conditional_expression():
    # the Python numbers chosen by a traced condition become a 0-d tensor
    _check(conditional_expression, [(_t(1.0, 2.0),), (_t(-1.0, -2.0),), (_t(0.5, 0.25),)], grad_positions=0)


def return_in_if(x):
    if x.sum() > 0:
        return x * x
    x = x + 1
    return ops.exp(x)


def both_return(x):
    if x.sum() > 0:
        y = x + 1
        return y * x
    else:
        return -x


def test_return_inside_a_branch():
    inputs = [(_t(1.0, 2.0),), (_t(-1.0, -2.0),)]
    _check(return_in_if, inputs, grad_positions=0)
    _check(both_return, inputs, grad_positions=0)


def python_condition(x, n):
    if n > 1:  # a Python value: unrolled as before, no if node
        x = x * n
    return x


def test_python_conditions_stay_python():
    compiled = jit(python_condition)
    _same(compiled(_t(1.0), 3), _t(3.0))
    _same(compiled(_t(1.0), 0), _t(1.0))
    for entry in compiled.cache.values():
        assert all(n.op.name != "if" for n in entry.graph.nodes)


# --- while and for ----------------------------------------------------------------------------------

def while_loop(x, w, n):
    i = 0
    while i < n:
        x = ops.tanh(x * w) + 0.5
        i = i + 1
    return x.sum()


def test_while_equals_pynative_for_several_iteration_counts():
    w = _t(0.5, 1.5, -2.0)
    x = _t(1.0, 2.0, 3.0)
    inputs = [(x, w, ms.Tensor(n)) for n in (0, 1, 4)]
    _check(while_loop, inputs, grad_positions=(0, 1))


def while_break_continue(x, limit):
    total = x * 0
    i = ms.Tensor(0)
    while i < 10:
        i = i + 1
        if x.sum() * i > limit:
            break
        if i % 2 == 0:
            continue
        total = total + x * i
    return total.sum() + i


def test_while_with_break_and_continue():
    x = _t(1.0, 0.5)
    inputs = [(x, _t(100.0)), (x, _t(4.0)), (x, _t(-1.0)), (x, _t(7.5))]
    _check(while_break_continue, inputs, grad_positions=0)


def for_range_tensor(x, n):
    acc = x
    for i in range(n):
        acc = acc * 0.5 + x * i
    return acc.sum()


def test_for_over_range_of_a_tensor():
    x = _t(1.0, 2.0)
    inputs = [(x, ms.Tensor(n, ms.int32)) for n in (0, 1, 3)]
    compiled = _check(for_range_tensor, inputs, grad_positions=0)
    assert [n.op.name for n in _graph_of(compiled).nodes].count("while") == 1


def if_inside_while(x, n):
    i = 0
    while i < n:
        if x.sum() > 1:
            x = x * 0.5
        else:
            x = x + 1
        i = i + 1
    return x.sum()


def test_if_inside_while():
    inputs = [(_t(4.0, 2.0), ms.Tensor(n)) for n in (0, 1, 5)]
    _check(if_inside_while, inputs, grad_positions=0)


def python_for_with_tensor_break(x):
    for k in range(4):  # a Python loop: its later iterations are guarded by the break's flag
        x = x * 2
        if x.sum() > 10:
            break
        x = x + k
    return x


def python_while_with_tensor_break(x):
    k = 0
    while k < 6:  # a Python condition at first; the flag makes it a while node
        x = x + 1
        if x.sum() > 6:
            break
        k += 1
    return x * k


def test_python_loops_with_a_tensor_break():
    inputs = [(_t(0.1, 0.2),), (_t(1.0, 2.0),), (_t(9.0, 9.0),)]
    _check(python_for_with_tensor_break, inputs, grad_positions=0)
    _check(python_while_with_tensor_break, inputs, grad_positions=0)


def for_over_tensor_rows(x):
    total = x[0] * 0
    for row in x:  # a static first dimension: unrolled
        if row.sum() > 0:
            total = total + row
    return total


def test_for_over_a_tensor_unrolls():
    x = ms.Tensor(np.array([[1.0, 2.0], [-3.0, 1.0], [0.5, 0.5]], np.float32))
    compiled = _check(for_over_tensor_rows, [(x,), (-x,)], grad_positions=0)
    assert [n.op.name for n in _graph_of(compiled).nodes].count("if") == 3


# --- cells and GRAPH_MODE -------------------------------------------------------------------------

class _Gate(nn.Cell):
    def __init__(self):
        super().__init__()
        self.dense = nn.Dense(3, 3)

    def construct(self, x):
        if x.sum() > 0:
            return self.dense(x)
        return x * 2


class _Outer(nn.Cell):
    def __init__(self):
        super().__init__()
        self.gate = _Gate()
        self.out = nn.Dense(3, 2)

    def construct(self, x):
        return self.out(ops.relu(self.gate(x)))


def test_sub_cell_with_a_tensor_if_in_graph_mode():
    ms.set_seed(3)
    net = _Outer()
    inputs = [_t(*r) for r in ([[1.0, 2.0, 3.0]], [[-1.0, -2.0, 0.5]])]
    eager = [net(x) for x in inputs]
    grad_fn = ms.value_and_grad(net, None, net.trainable_params())
    eager_grads = [grad_fn(x) for x in inputs]
    ms.set_context(mode=ms.GRAPH_MODE)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # compiled: no fallback warning
        graph = [net(x) for x in inputs]
        graph_grads = [jit(grad_fn)(x) for x in inputs]
    assert net._graph_jit.fallback is None and net._graph_jit.trace_count == 1
    _same(graph, eager)
    _same(graph_grads, eager_grads)


class _Looper(nn.Cell):
    """A model with a tensor-dependent while loop: the hidden state is refined until its norm is
    small or 6 steps have run."""

    def __init__(self):
        super().__init__()
        self.inp = nn.Dense(4, 8)
        self.cell = nn.Dense(8, 8)
        self.out = nn.Dense(8, 3)

    def construct(self, x):
        h = ops.tanh(self.inp(x))
        steps = 0
        while (h * h).mean() > 0.05 and steps < 6:
            h = ops.tanh(self.cell(h)) * 0.9
            steps += 1
        return self.out(h)


def _train(mode, steps=5):
    ms.set_context(mode=mode)
    ms.set_seed(7)
    net = _Looper()
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    step = nn.TrainOneStepCell(nn.WithLossCell(net, loss), nn.Momentum(net.trainable_params(), 0.1, 0.9))
    rng = np.random.default_rng(0)
    x = ms.Tensor(rng.standard_normal((6, 4)).astype(np.float32) * 2)
    y = ms.Tensor(rng.integers(0, 3, 6).astype(np.int32))
    losses = [float(step(x, y).asnumpy()) for _ in range(steps)]
    params = [p.asnumpy().copy() for p in net.trainable_params()]
    ms.set_context(mode=ms.PYNATIVE_MODE)
    return losses, params, step


def test_training_a_model_with_a_tensor_while_loop_equals_pynative():
    eager_losses, eager_params, _ = _train(ms.PYNATIVE_MODE)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        graph_losses, graph_params, step = _train(ms.GRAPH_MODE)
    assert step._graph_jit.fallback is None and step._graph_jit.trace_count == 1
    np.testing.assert_allclose(graph_losses, eager_losses, rtol=1e-5)
    for a, b in zip(graph_params, eager_params):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert eager_losses[-1] < eager_losses[0]


# --- errors ---------------------------------------------------------------------------------------

def shape_mismatch(x):
    if x.sum() > 0:
        y = x
    else:
        y = x.sum()
    return y


def python_value_mismatch(x):
    if x.sum() > 0:
        mode = "scale"
    else:
        mode = "shift"
    return x * 2 if mode == "scale" else x + 1


def one_path_only(x):
    if x.sum() > 0:
        y = x * 2
    return y


def loop_type_change(x):
    while x.sum() < 10:
        x = ops.cast(x, ms.float64) * 2
    return x


def return_in_loop(x):
    while x.sum() < 10:
        if x.max() > 3:
            return x
        x = x * 2
    return x


@pytest.mark.parametrize("fn, marker, words", [
    (shape_mismatch, "if x.sum() > 0", "'y' is a Tensor Float32[2] after the `if` branch but a Tensor Float32[]"),
    (python_value_mismatch, "if x.sum() > 0", "'mode' is the str 'scale' after the `if` branch but the str 'shift'"),
    (one_path_only, "if x.sum() > 0", "'y' is a Tensor Float32[2] after the `if` branch but not assigned"),
    (loop_type_change, "while x.sum() < 10", "keep its shape and dtype"),
    (return_in_loop, "while x.sum() < 10", "contains a `return` (inside a loop)"),
])
def test_errors_name_the_file_and_line(fn, marker, words):
    with pytest.raises(ControlFlowError) as info:
        jit(fn)(_t(1.0, 2.0))
    message = str(info.value)
    assert f"test_control_flow.py:{_line_of(fn, marker)}" in message
    assert words in message
    assert not TRACES


def test_graph_mode_falls_back_only_for_what_cannot_be_converted():
    class Unconvertible(nn.Cell):
        def construct(self, x):
            while x.sum() < 10:
                if x.max() > 3:
                    return x
                x = x * 2
            return x

    net = Unconvertible()
    ms.set_context(mode=ms.GRAPH_MODE)
    expected = r"test_control_flow\.py:\d+: this `while` on a traced tensor is not supported yet"
    with pytest.warns(RuntimeWarning, match=expected):
        out = net(_t(1.0, 2.0))
    _same(out, _t(2.0, 4.0))


# --- the IR: golden text, passes, verifier, interpreter ------------------------------------------

def small_if(x):
    if x.sum() > 0:
        x = x * 2
    return x


def small_while(x):
    while x.sum() < 10:
        x = x * 2 + 1
    return x


GOLDEN_IF = """graph small_if(%0: Float32[2]) {
  %1: Float32[] = reduce_sum(%0) {axis=(0,), keepdims=False}
  %2: Bool[] = greater(%1, Float32(0.0))
  %3: Float32[2] = if(%2, %0)
    graph then(%4: Float32[2]) {
      %5: Float32[2] = mul(%4, Float32(2.0))
      return (%5)
    }
    graph else(%6: Float32[2]) {
      return (%6)
    }
  return (%3)
}"""

GOLDEN_WHILE = """graph small_while(%0: Float32[2]) {
  %1: Float32[2] = while(%0) {n_carry=1}
    graph cond(%2: Float32[2]) {
      %3: Float32[] = reduce_sum(%2) {axis=(0,), keepdims=False}
      %4: Bool[] = less(%3, Float32(10.0))
      return (%4)
    }
    graph body(%5: Float32[2]) {
      %6: Float32[2] = mul(%5, Float32(2.0))
      %7: Float32[2] = add(%6, Float32(1.0))
      return (%7)
    }
  return (%1)
}"""


def test_golden_dumps_and_passes():
    for fn, golden in ((small_if, GOLDEN_IF), (small_while, GOLDEN_WHILE)):
        graph, _ = trace(fn, _t(1.0, 2.0))
        assert dump(graph) == golden
        optimized = run_pipeline(graph, verify_each=True)
        for x in (_t(1.0, 2.0), _t(-1.0, -0.5), _t(0.25, 0.5)):
            expected = fn(x).asnumpy()
            np.testing.assert_allclose(interpret(graph, x.asnumpy())[0], expected)
            np.testing.assert_allclose(interpret(optimized, x.asnumpy())[0], expected)


def test_gradient_graph_verifies():
    graph, _ = trace(ms.grad(while_loop, grad_position=(0, 1)), _t(1.0, 2.0), _t(0.5, 0.5), ms.Tensor(3))
    verify(graph)
    names = dump(graph)
    assert "while_grad(" in names and "graph body_grad(" in names


GOLDEN_INLINED = """graph small_if(%0: Float32[2]) {
  %1: Float32[] = reduce_sum(%0) {axis=(0,), keepdims=False}
  %2: Bool[] = greater(%1, Float32(0.0))
  %3: Float32[2] = mul(%0, Float32(2.0))
  return (%3)
}"""


def test_inline_replaces_an_if_with_a_literal_condition_by_its_branch():
    graph, _ = trace(small_if, _t(1.0, 2.0))
    node = graph.nodes[-1]
    assert node.op.name == "if"
    x = np.array([-1.0, -3.0], np.float32)
    for decided, expected in ((True, x * 2), (False, x)):
        forced = Node(node.op, (Literal(np.array(decided)),) + node.inputs[1:], node.attrs, node.outputs,
                      node.subgraphs)
        program = Graph(graph.name, graph.params, graph.nodes[:-1] + (forced,), graph.outputs)
        verify(program)
        inlined = run_pipeline(program, verify_each=True, passes=[("inline", inline)])
        assert all(n.op.name != "if" for n in inlined.nodes)
        np.testing.assert_array_equal(interpret(inlined, x)[0], expected)
        if decided:
            assert dump(inlined) == GOLDEN_INLINED
    # a condition known only at run time stays an if
    assert dump(inline(graph)) == GOLDEN_IF
    # the same decided branch inlined twice gets new Vars each time (the graph stays SSA)
    again = Node(node.op, (Literal(np.array(True)),) + node.inputs[1:], node.attrs,
                 tuple(ir_graph.Var(o.shape, o.dtype) for o in node.outputs), node.subgraphs)
    forced = Node(node.op, (Literal(np.array(True)),) + node.inputs[1:], node.attrs, node.outputs, node.subgraphs)
    twice = Graph(graph.name, graph.params, graph.nodes[:-1] + (forced, again), graph.outputs + again.outputs)
    verify(twice)
    inlined = inline(twice)
    verify(inlined)
    for out in interpret(inlined, x):
        np.testing.assert_array_equal(out, x * 2)


def test_nested_jit_and_second_order_gradient_through_an_if():
    @jit
    def inner(x):
        if x.sum() > 0:
            return x * x * x
        return -x * x

    def outer(x):
        return inner(x).sum() * 2

    _check(outer, [(_t(1.0, 2.0),), (_t(-1.0, -0.5),)], grad_positions=0)

    def first(x):
        return ms.grad(outer)(x).sum()

    _check(first, [(_t(1.0, 2.0),), (_t(-1.0, -0.5),)], grad_positions=0)
    np.testing.assert_allclose(jit(ms.grad(first))(_t(1.0, 2.0)).asnumpy(), [12.0, 24.0])


class _GatedNorm(nn.Cell):
    """BatchNorm (training: its running statistics are written in place) on one path only."""

    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm1d(3)
        self.dense = nn.Dense(3, 3)

    def construct(self, x):
        if x.mean() > 0:
            x = self.bn(x)
        else:
            x = self.dense(x)
        return x * 2


def test_in_place_writes_inside_a_branch_happen_on_the_path_taken():
    rng = np.random.default_rng(2)
    inputs = [ms.Tensor(rng.standard_normal((4, 3)).astype(np.float32) + shift) for shift in (1.0, -1.0, 2.0)]
    results = {}
    for mode in (ms.PYNATIVE_MODE, ms.GRAPH_MODE):
        ms.set_seed(4)
        net = _GatedNorm()
        net.set_train()
        ms.set_context(mode=mode)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            outs = [net(x).asnumpy() for x in inputs]
        stats = [net.bn.moving_mean.asnumpy().copy(), net.bn.moving_variance.asnumpy().copy()]
        results[mode] = (outs, stats)
        ms.set_context(mode=ms.PYNATIVE_MODE)
    (eager_outs, eager_stats), (graph_outs, graph_stats) = results[ms.PYNATIVE_MODE], results[ms.GRAPH_MODE]
    for a, b in zip(graph_outs + graph_stats, eager_outs + eager_stats):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert not np.allclose(eager_stats[0], 0)  # the statistics did move

    def clip_first(x, y):
        if x.sum() > 0:
            y[0] = x.sum()
        return y * 1

    _check(clip_first, [(_t(1.0, 2.0), _t(5.0, 6.0)), (_t(-1.0, -2.0), _t(5.0, 6.0))])


class _Base(nn.Cell):
    def construct(self, x):
        return x * 3


class _Child(_Base):
    def __init__(self):
        super().__init__()
        self.__scale = 2.0  # a private name: mangled by the class, kept by the conversion

    def construct(self, x):
        if x.sum() > 0:
            y = super().construct(x) * self.__scale  # zero-argument super() inside a branch
        else:
            y = x
        return y


def test_super_and_private_names_in_a_converted_construct():
    net = _Child()
    compiled = jit(net)
    for x in (_t(1.0, 2.0), _t(-1.0, -2.0)):
        _same(compiled(x), net(x))
    assert compiled.trace_count == 1


def temporaries_in_loops(x, n):
    i = 0
    while i < n:
        j = 0
        while j < n:  # a loop inside a loop: 'tmp' is the inner loop's own
            tmp = x * 0.5
            x = tmp + 1
            j = j + 1
        if x.sum() > 5:
            big = x - 5  # a temporary of one branch, not read after it
            x = big * 0.1
        i = i + 1
    return x.sum()


def test_temporaries_assigned_inside_loops_and_branches():
    inputs = [(_t(1.0, 2.0), ms.Tensor(n)) for n in (0, 1, 3)]
    _check(temporaries_in_loops, inputs, grad_positions=0)


_W = _t(0.5, 1.5, -2.0)
_GRAPH_MODE_CASES = [
    (if_elif_else, [(_t(3.0, 2.0, 0.5), _W), (_t(-1.0, 0.5, 0.25), _W), (_t(1.0, 1.0, 2.0), _W)]),
    (nested_if, [(_t(1.0, 3.0),), (_t(0.5, 0.5),), (_t(-1.0, -2.0),)]),
    (return_in_if, [(_t(1.0, 2.0),), (_t(-1.0, -2.0),)]),
    (while_loop, [(_t(1.0, 2.0, 3.0), _W, ms.Tensor(n)) for n in (0, 1, 4)]),
    (while_break_continue, [(_t(1.0, 0.5), _t(limit)) for limit in (100.0, 4.0, -1.0)]),
    (for_range_tensor, [(_t(1.0, 2.0), ms.Tensor(n, ms.int32)) for n in (0, 3)]),
    (if_inside_while, [(_t(4.0, 2.0), ms.Tensor(n)) for n in (0, 5)]),
]


@pytest.mark.parametrize("fn, inputs", _GRAPH_MODE_CASES, ids=[c[0].__name__ for c in _GRAPH_MODE_CASES])
def test_graph_mode_cell_equals_pynative(fn, inputs):
    net = type("Net", (nn.Cell,), {"construct": staticmethod(fn)})()  # the function as a construct
    eager = [net(*args) for args in inputs]
    grad_fn = ms.grad(net, grad_position=0)
    eager_grads = [grad_fn(*args) for args in inputs]
    ms.set_context(mode=ms.GRAPH_MODE)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # compiled: no fallback warning
        graph = [net(*args) for args in inputs]
        compiled_grad = jit(grad_fn)
        graph_grads = [compiled_grad(*args) for args in inputs]
    assert net._graph_jit.fallback is None
    assert net._graph_jit.trace_count == 1 and compiled_grad.trace_count == 1
    _same(graph, eager)
    _same(graph_grads, eager_grads)


def fill_rows(x, n):
    out = ops.zeros((4, 3), ms.float32)
    for i in range(n):  # a tensor written in place in the loop: carried by the while node
        out[i] = x[i] * (i + 1)
    return out


def test_in_place_writes_inside_a_loop_are_carried():
    x = ms.Tensor(np.arange(12, dtype=np.float32).reshape(4, 3) + 1)
    inputs = [(x, ms.Tensor(n, ms.int32)) for n in (0, 2, 4)]
    compiled = _check(fill_rows, inputs, grad_positions=0)
    assert [n.op.name for n in _graph_of(compiled).nodes].count("while") == 1


def _clip_helper(x):
    if x.sum() > 1:  # control flow in a helper: converted when called from converted code
        return x / x.sum()
    return x


class _WithHelpers(nn.Cell):
    def __init__(self):
        super().__init__()
        self.dense = nn.Dense(2, 2)

    def scale(self, x):
        steps = 0
        while ops.abs(x).sum() < 4 and steps < 8:
            x = x * 1.5
            steps += 1
        return x

    def construct(self, x):
        return _clip_helper(self.scale(self.dense(x)))


def test_helpers_called_from_a_construct_are_converted():
    ms.set_seed(5)
    net = _WithHelpers()
    inputs = [(_t([1.0, 2.0]),), (_t([0.1, 0.1]),), (_t([-1.0, 0.5]),)]
    compiled = jit(net)
    for args in inputs:
        _same(compiled(*args), net(*args))
    assert compiled.trace_count == 1
    names = [n.op.name for n in _graph_of(compiled).nodes]
    assert "while" in names and "if" in names


def test_an_if_node_differentiates_eagerly_with_no_trace_active():
    # a traced graph replayed op by op in PyNative (as a loaded graph may be): the bprop of its
    # `if` traces the branches' vjp graphs under a root trace of its own
    from sporen.frontend.trace import trace_full
    from sporen.ops.control import replay

    class Net(nn.Cell):
        def construct(self, x):
            if ops.sum(x) > 0:
                y = x * x
            else:
                y = -x * 3
            return y

    net = Net()
    graph = trace_full(net, (ms.Tensor(np.zeros(3, np.float32)),)).graph
    assert "if" in [n.op.name for n in graph.nodes]
    for values in ([1.0, 2.0, -0.5], [-1.0, -2.0, 0.5]):
        x = ms.Tensor(np.array(values, np.float32))
        got = ms.grad(lambda a: ops.sum(replay(graph, [a])[0]))(x)
        want = ms.grad(lambda a: ops.sum(net(a)))(x)
        np.testing.assert_allclose(got.asnumpy(), want.asnumpy(), rtol=1e-6)
