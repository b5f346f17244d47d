"""The static memory plan and the planned numpy executor: lifetimes, reuse and aliasing in the plan,
its text, planned runs equal to the reference interpreter for every op case and for training steps,
and a training step that allocates (almost) nothing beyond its outputs."""
import os
import tracemalloc

import numpy as np
import pytest

import sporen as ms
from sporen import dtype as mstype
from sporen import jit
from sporen.frontend.trace import trace_full
from sporen.ir import Graph, Literal, Node, Var, interpret, verify
from sporen.ops.registry import OPS, Aval
from sporen.passes.pipeline import optimize
from sporen.runtime import get_backend
from sporen.runtime.numpy import PlannedGraph
from sporen.runtime.plan import ALIGN, dump_plan, plan_memory

from .test_ir import _op_cases
from .test_models import _MODELS, _data, _train_step

F32 = np.float32
STEPS = 3


def _node(name, inputs, outputs, **attrs):
    return Node(OPS[name], inputs, attrs, outputs)


def _chain():
    """c(x[4, 4]) = sum(exp(neg(exp(x))) * 2): four intermediates of 64 bytes, at most two live."""
    x = Var((4, 4), F32)
    a = Var((4, 4), F32)
    b = Var((4, 4), F32)
    c = Var((4, 4), F32)
    d = Var((4, 4), F32)
    r = Var((), F32)
    nodes = [_node("exp", [x], [a]), _node("neg", [a], [b]), _node("exp", [b], [c]),
             _node("mul", [c, Literal(F32(2))], [d]),
             _node("reduce_sum", [d], [r], axis=(0, 1), keepdims=False)]
    return Graph("c", [x], nodes, [r])


def test_plan_reuses_dead_buffers():
    plan = plan_memory(_chain())
    assert plan.naive_bytes == 4 * 64 + 4
    assert plan.n_planned == 4  # the output is fresh
    assert plan.live_peak == 128
    assert plan.arena_bytes == 128  # two ranges, reused alternately
    assert plan.n_buffers == 2
    assert all(off % ALIGN == 0 for off in plan.offsets.values())


def test_plan_text_shows_the_peak_and_each_value_s_buffer():
    graph = _chain()
    pg = PlannedGraph(graph)
    assert pg.describe() == (
        "plan c: planned peak 128 bytes (128 B) in 2 buffers for 4 values; most live at once 128 bytes; "
        "naive 260 bytes (every intermediate kept)\n"
        "  unplanned kernels: 0\n"
        "  outputs: fresh arrays owned by the caller\n"
        "graph c(%0: Float32[4, 4]) {\n"
        "    0  %1: Float32[4, 4] = exp(%0)    # %1 buf0 @0+64 [0..1]\n"
        "    1  %2: Float32[4, 4] = neg(%1)    # %2 buf1 @64+64 [1..2]\n"
        "    2  %3: Float32[4, 4] = exp(%2)    # %3 buf0 @0+64 [2..3]\n"
        "    3  %4: Float32[4, 4] = mul(%3, Float32(2.0))    # %4 buf1 @64+64 [3..4]\n"
        "    4  %5: Float32[] = reduce_sum(%4) {axis=(0, 1), keepdims=False}    # %5 fresh [4..5]\n"
        "  return (%5)\n"
        "}")
    x = np.random.default_rng(0).standard_normal((4, 4)).astype(F32)
    np.testing.assert_array_equal(pg.run([x])[0], interpret(graph, x)[0])


def _viewed_late():
    """v(x[2, 6]): t = exp(x); r = reshape(t); u = neg(x) and w = exp(u), whose buffers may not
    reuse t's while r (a view of t) is still to be read; out = r * reshape(w)."""
    x = Var((2, 6), F32)
    t = Var((2, 6), F32)
    r = Var((3, 4), F32)
    u = Var((2, 6), F32)
    w = Var((2, 6), F32)
    w2 = Var((3, 4), F32)
    out = Var((3, 4), F32)
    nodes = [_node("exp", [x], [t]), _node("reshape", [t], [r], shape=(3, 4)),
             _node("neg", [x], [u]), _node("exp", [u], [w]), _node("reshape", [w], [w2], shape=(3, 4)),
             _node("mul", [r, w2], [out])]
    return Graph("v", [x], nodes, [out, r])


def test_a_view_keeps_its_root_alive_and_an_output_view_keeps_it_fresh():
    graph = _viewed_late()
    verify(graph)
    plan = plan_memory(graph)
    t = graph.nodes[0].outputs[0]
    r = graph.nodes[1].outputs[0]
    w = graph.nodes[3].outputs[0]
    assert plan.roots[r] is t
    assert t in plan.fresh  # r is returned, so t is the caller's
    assert plan.last[w] == 5 and w in plan.offsets
    x = np.random.default_rng(0).standard_normal((2, 6)).astype(F32)
    pg = PlannedGraph(graph)
    first = pg.run([x])
    kept = [a.copy() for a in first]
    pg.run([-x])  # a second run must not write into what the first one returned
    for a, b in zip(first, kept):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(first, interpret(graph, x)):
        np.testing.assert_array_equal(a, b)


def test_a_view_s_root_is_not_reused_before_the_view_is_read():
    """exp(x) viewed by a reshape read at the end: the buffers of the values computed meanwhile
    must not overlap the root's."""
    x = Var((8,), F32)
    t = Var((8,), F32)
    r = Var((2, 4), F32)
    values = [t]
    nodes = [_node("exp", [x], [t]), _node("reshape", [t], [r], shape=(2, 4))]
    prev = x
    for _ in range(4):
        nxt = Var((8,), F32)
        nodes.append(_node("neg", [prev], [nxt]))
        values.append(nxt)
        prev = nxt
    prev2 = Var((2, 4), F32)
    out = Var((2, 4), F32)
    nodes += [_node("reshape", [prev], [prev2], shape=(2, 4)), _node("add", [r, prev2], [out])]
    graph = Graph("late", [x], nodes, [out])
    plan = plan_memory(graph)
    assert plan.last[t] == len(nodes) - 1
    for v in values[1:]:
        if v in plan.offsets:
            assert plan.offsets[v] != plan.offsets[t]
    a = np.arange(8, dtype=F32) / 8
    np.testing.assert_array_equal(PlannedGraph(graph).run([a])[0], interpret(graph, a)[0])


def test_every_op_case_runs_planned_as_the_interpreter_does():
    """Each op case of tests/ops as ``outs = op(*params)`` followed by a cast of each output (so
    the op's outputs are planned intermediates): the planned run, twice over the same arena, is
    bit for bit the interpreter's (random ops by shape and dtype)."""
    failures = []
    written = 0
    for case in _op_cases():
        op = OPS[case.op]
        for dtype in case.dtypes:
            arrays = case.make(np.random.default_rng(0), dtype)
            params = [Var(a.shape, a.dtype) for a in arrays]
            inferred = op.infer(*[Aval(a.shape, mstype._BY_NP[a.dtype]) for a in arrays], **case.attrs)
            inferred = inferred if isinstance(inferred, tuple) else (inferred,)
            outs = [Var(a.shape, a.dtype.np) for a in inferred]
            finals = [Var(o.shape, o.dtype) for o in outs]
            nodes = [Node(op, params, case.attrs, outs)]
            nodes += [_node("cast", [o], [f], dtype=mstype._BY_NP[o.dtype]) for o, f in zip(outs, finals)]
            graph = Graph(case.op, params, nodes, finals)
            try:
                want = interpret(graph, *arrays)
                pg = PlannedGraph(graph)
                got = [pg.run(arrays), pg.run(arrays)]
            except Exception as exc:  # collected: one report for all ops
                failures.append(f"{case.op} {dtype}: {type(exc).__name__}: {exc}")
                continue
            written += pg.steps[0][0] == "write"
            for run in got:
                for j, (w, g) in enumerate(zip(want, run)):
                    same_type = w.shape == g.shape and w.dtype == g.dtype
                    if not same_type or (not op.impure and not np.array_equal(w, g, equal_nan=True)):
                        failures.append(f"{case.op} {dtype}: output {j} differs from the interpreter's")
    assert not failures, "\n".join(failures)
    assert written > 200  # the out= forms really ran


def _compiled_step(name, backend):
    model, shape, classes, make_opt = _MODELS[name]
    x, y = _data(shape, classes)
    step = _train_step(model, make_opt)
    compiled = jit(step, backend=backend)
    losses = [compiled(x, y).asnumpy() for _ in range(STEPS)]
    return step, compiled, losses


@pytest.mark.parametrize("name", ["mlp_adam", "lenet_momentum", "resnet_momentum", "lstm_adam",
                                  "transformer_momentum"])
def test_planned_training_steps_equal_the_interpreter_and_pynative(name):
    plain, _, plain_losses = _compiled_step(name, "numpy_interpret")
    planned, compiled, planned_losses = _compiled_step(name, "numpy")
    assert compiled.trace_count == 1
    for a, b in zip(plain_losses, planned_losses):
        np.testing.assert_array_equal(a, b)
    pa = dict(plain.parameters_and_names())
    pb = dict(planned.parameters_and_names())
    for key in pa:
        np.testing.assert_array_equal(pb[key].asnumpy(), pa[key].asnumpy(), err_msg=key)
    model, shape, classes, make_opt = _MODELS[name]
    x, y = _data(shape, classes)
    eager = _train_step(model, make_opt)
    eager_losses = [float(eager(x, y).asnumpy()) for _ in range(STEPS)]
    np.testing.assert_allclose([float(v) for v in planned_losses], eager_losses, rtol=1e-5)


def _step_graph():
    model, shape, classes, make_opt = _MODELS["mlp_momentum"]
    x, y = _data((64, 784), classes)
    step = _train_step(model, make_opt)
    traced = trace_full(step, (x, y))
    graph = optimize(traced.graph)
    arrays = [x.asnumpy(), y.asnumpy()] + [t._array() for t in traced.captures]
    return graph, arrays


def _peak_above_start(run, times=3):
    """The most bytes numpy allocated during one call of ``run`` beyond what was held before it
    (tracemalloc sees numpy's data buffers), the result kept until the call returns."""
    run()
    run()
    tracemalloc.start()
    try:
        peaks = []
        for _ in range(times):
            tracemalloc.reset_peak()
            start = tracemalloc.get_traced_memory()[0]
            result = run()
            peaks.append(tracemalloc.get_traced_memory()[1] - start)
            del result
    finally:
        tracemalloc.stop()
    return min(peaks)


def test_a_planned_training_step_allocates_little_beyond_its_outputs():
    """In steady state the planned MLP step allocates its outputs (the new parameters and
    moments, which the caller keeps) and a few KiB of Python objects (views, argument tuples);
    the interpreter allocates every intermediate."""
    graph, arrays = _step_graph()
    pg = PlannedGraph(graph)
    out_bytes = sum(v.size * v.dtype.itemsize for v in graph.outputs)
    intermediates = pg.plan.naive_bytes - out_bytes
    assert intermediates > 500_000
    interpreted = _peak_above_start(lambda: interpret(graph, *arrays)) - out_bytes
    planned = _peak_above_start(lambda: pg.run(arrays)) - out_bytes
    assert interpreted > 0.9 * intermediates
    assert planned < 0.01 * intermediates
    assert not pg.plan.unplanned


def test_save_graphs_writes_the_plan_as_the_last_stage(tmp_path):
    graph, _ = _step_graph()
    old = (ms.get_context("save_graphs"), ms.get_context("save_graphs_path"))
    ms.set_context(save_graphs=True, save_graphs_path=str(tmp_path))
    try:
        final = optimize(graph, backend="numpy_planned")
    finally:
        ms.set_context(save_graphs=old[0], save_graphs_path=old[1])
    (folder,) = os.listdir(tmp_path)
    files = sorted(os.listdir(tmp_path / folder))
    assert files[-1] == f"{len(files) - 1:02d}_plan.ir"
    text = (tmp_path / folder / files[-1]).read_text()
    assert text == get_backend("numpy_planned").describe(final) + "\n"
    assert text.startswith("plan TrainOneStepCell: planned peak ")
    assert text == dump_plan(get_backend("numpy_planned").prepare(final).plan) + "\n"


def test_the_default_numpy_backend_is_planned_and_the_interpreter_stays_selectable():
    from sporen.runtime.numpy import NumpyBackend, PlannedNumpyBackend
    assert isinstance(get_backend("numpy"), PlannedNumpyBackend)
    assert get_backend("numpy_planned") is get_backend("numpy")
    assert isinstance(get_backend("numpy_interpret"), NumpyBackend)
    graph = _chain()
    x = np.ones((4, 4), F32)
    prepared = get_backend("numpy_interpret").prepare(graph)
    np.testing.assert_array_equal(prepared.run([x])[0], interpret(graph, x)[0])
    assert get_backend("numpy").prepare(graph) is get_backend("numpy").prepare(graph)
    with pytest.raises(ValueError, match="must have shape"):
        get_backend("numpy").run(graph, [np.ones((2, 2), F32)])


# --- donation: parameter updates computed into the parameters' own arrays --------------------------
def _donating_step():
    """The MLP step (batch 64) traced, with its write-backs as donations ``(output, param)``."""
    model, _, classes, make_opt = _MODELS["mlp_momentum"]
    x, y = _data((64, 784), classes)
    step = _train_step(model, make_opt)
    traced = trace_full(step, (x, y))
    graph = optimize(traced.graph)
    n_in = len(graph.params) - len(traced.captures)
    index = {id(t): n_in + i for i, t in enumerate(traced.captures)}
    donate = tuple((traced.n_out + k, index[id(t)]) for k, (_, t) in enumerate(traced.writes))
    arrays = [x.asnumpy(), y.asnumpy()] + [t._array().copy() for t in traced.captures]
    return graph, donate, arrays


def _steps(run, graph, donate, arrays, n):
    """``n`` runs, each output of ``donate`` replacing its param's array, as jit's write-back does."""
    arrays = list(arrays)
    for _ in range(n):
        results = run(arrays)
        for k, j in donate:
            arrays[j] = results[k]
    return arrays, results


def test_donated_updates_are_written_into_the_params_arrays_and_equal_the_interpreter():
    graph, donate, arrays = _donating_step()
    pg = PlannedGraph(graph, donate)
    assert len(pg.plan.donated) == len(donate) == 8  # 4 parameters, 4 momenta
    assert "8 written into their params' arrays" in pg.describe()
    want, want_last = _steps(lambda a: interpret(graph, *a), graph, donate, arrays, STEPS)
    mine = [a.copy() for a in arrays]
    held = list(mine)
    got, got_last = _steps(pg.run, graph, donate, mine, STEPS)
    for _, j in donate:
        assert got[j] is held[j]  # the same array, updated in place, at every step
    for a, b in zip(want + list(want_last), got + list(got_last)):
        np.testing.assert_array_equal(a, b)


def test_a_donating_training_step_allocates_almost_nothing():
    graph, donate, arrays = _donating_step()
    pg = PlannedGraph(graph, donate)
    state = {"arrays": list(arrays)}

    def run():
        results = pg.run(state["arrays"])
        for k, j in donate:
            state["arrays"][j] = results[k]
        return results
    params_bytes = sum(a.nbytes for a in arrays[2:])
    allocated = _peak_above_start(run)
    assert params_bytes > 400_000
    assert allocated < 0.1 * pg.plan.naive_bytes
    assert allocated < 0.1 * params_bytes


def test_donation_is_refused_where_the_param_is_read_later_and_skipped_for_read_only_arrays():
    w = Var((3,), F32)
    g = Var((3,), F32)
    new_w = Var((3,), F32)
    late = Var((3,), F32)
    graph = Graph("d", [w, g], [_node("sub", [w, g], [new_w]), _node("mul", [w, new_w], [late])], [new_w, late])
    assert PlannedGraph(graph, ((0, 0),)).plan.donated == {}  # w is read after new_w exists
    safe = Graph("s", [w, g], [_node("sub", [w, g], [new_w])], [new_w])
    pg = PlannedGraph(safe, ((0, 0),))
    assert pg.plan.donated == {new_w: 0}  # a ufunc may write over the input it reads
    a = np.array([1, 2, 3], F32)
    b = np.array([0.5, 0.5, 0.5], F32)
    (out,) = pg.run([a, b])
    assert out is a
    np.testing.assert_array_equal(a, [0.5, 1.5, 2.5])
    frozen = np.array([1, 2, 3], F32)
    frozen.flags.writeable = False
    (out,) = pg.run([frozen, b])
    assert out is not frozen
    np.testing.assert_array_equal(out, [0.5, 1.5, 2.5])
    np.testing.assert_array_equal(frozen, [1, 2, 3])
    same = np.array([1, 2, 3], F32)
    (out,) = pg.run([same, same])  # the array is also the other argument: not written
    assert out is not same
    np.testing.assert_array_equal(out, [0, 0, 0])


def _lenet_step_graph(batch=32):
    model, _, classes, make_opt = _MODELS["lenet_momentum"]
    x, y = _data((batch, 1, 32, 32), classes)
    step = _train_step(model, make_opt)
    traced = trace_full(step, (x, y))
    graph = optimize(traced.graph)
    arrays = [x.asnumpy(), y.asnumpy()] + [t._array() for t in traced.captures]
    return graph, arrays


def _ranges_overlap_in_time(plan, graph):
    """Pairs of planned ranges (values and scratch) live at one node and sharing bytes."""
    items = []
    for v, off in plan.offsets.items():
        items.append((plan.first[v], plan.last[v], off, off + v.size * v.dtype.itemsize, v))
    for index, (off, nbytes) in plan.workspace.items():
        items.append((index, index, off, off + nbytes, f"scratch of node {index}"))
    clashes = []
    for i, (f1, l1, a1, b1, k1) in enumerate(items):
        for f2, l2, a2, b2, k2 in items[i + 1:]:
            if f1 <= l2 and f2 <= l1 and a1 < b2 and a2 < b1:
                clashes.append((k1, k2))
    return clashes


def test_convolutions_and_pools_write_into_the_plan_with_scratch():
    """LeNet's step: the convolutions (forward and both gradients), the max pools (forward,
    argmax, gradient), relu_grad and the cross-entropy write into planned buffers, their im2col columns and padded
    copies in per-node scratch ranges that never overlap a live value; the step allocates almost
    nothing beyond its outputs (the interpreter allocates every intermediate) and equals it bit
    for bit."""
    graph, arrays = _lenet_step_graph()
    pg = PlannedGraph(graph)
    ops = {graph.nodes[i].op.name for i in pg.plan.workspace}
    assert {"conv", "conv_weight_grad", "conv_transpose", "max_pool_indices", "max_pool_grad", "relu_grad"} <= ops
    assert not _ranges_overlap_in_time(pg.plan, graph)
    assert not pg.plan.unplanned
    out_bytes = sum(v.size * v.dtype.itemsize for v in graph.outputs)
    intermediates = pg.plan.naive_bytes - out_bytes
    interpreted = _peak_above_start(lambda: interpret(graph, *arrays)) - out_bytes
    planned = _peak_above_start(lambda: pg.run(arrays)) - out_bytes
    assert interpreted > intermediates
    assert planned < 0.01 * intermediates
    want = interpret(graph, *arrays)
    for _ in range(2):
        for w, g in zip(want, pg.run(arrays)):
            assert w.dtype == g.dtype and np.array_equal(w, g)
    text = dump_plan(pg.plan)
    assert "scratch @" in text


def test_scratch_kernels_equal_their_plain_kernels_over_geometries():
    """The out=/ws= forms of the conv family and the pools against their plain kernels over
    padding, stride, dilation, groups, small and large planes and batch 1, bit for bit."""
    from sporen.ops.conv import _output_padding
    rng = np.random.default_rng(1)
    convs = [((2, 4, 9, 9), (6, 4, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1), 1),
             ((1, 4, 40, 40), (6, 2, 3, 3), (2, 2), ((0, 1), (2, 0)), (1, 1), 2),
             ((3, 3, 11, 11), (5, 3, 3, 3), (1, 2), ((0, 0), (0, 0)), (2, 1), 1),
             ((2, 2, 36, 36), (4, 2, 5, 5), (1, 1), ((2, 2), (2, 2)), (1, 1), 1)]
    for xs, ws_, stride, padding, dilation, groups in convs:
        x = rng.standard_normal(xs).astype(np.float32)
        w = rng.standard_normal(ws_).astype(np.float32)
        attrs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
        y = OPS["conv"].kernel(x, w, **attrs)
        dy = rng.standard_normal(y.shape).astype(np.float32)
        op = _output_padding(x.shape, y.shape, w.shape, stride, padding, dilation)
        cases = [("conv", (x, w), {}),
                 ("conv_transpose", (dy, w), {"output_padding": op}),
                 ("conv_weight_grad", (x, dy), {"kernel_size": tuple(w.shape[2:])})]
        for opname, a, more in cases:
            k = OPS[opname].kernel
            want = k(*a, **attrs, **more)
            scratch = np.full(k.scratch(*a, **attrs, **more), 255, np.uint8)  # garbage: kernels must not read it
            out = np.full(want.shape, np.nan, want.dtype)
            k(*a, **attrs, **more, out=out, ws=scratch)
            assert np.array_equal(out, want), (opname, xs)
    for xs, ks, stride, padding in [((2, 3, 8, 8), (2, 2), (2, 2), ((0, 0), (0, 0))),
                                    ((1, 2, 7, 9), (3, 3), (2, 1), ((1, 1), (1, 0))),
                                    ((2, 2, 6, 6), (3, 3), (1, 1), ((1, 1), (1, 1)))]:
        x = rng.standard_normal(xs).astype(np.float32)
        attrs = dict(kernel_size=ks, stride=stride, padding=padding, dilation=(1, 1), ceil_mode=False)
        for opname in ("max_pool", "max_pool_indices"):
            k = OPS[opname].kernel
            want = k(x, **attrs)
            scratch = np.full(k.scratch(x, **attrs), 7, np.uint8)
            out = np.zeros_like(want)
            k(x, **attrs, out=out, ws=scratch)
            assert np.array_equal(out, want), (opname, xs)
        idx = OPS["max_pool_indices"].kernel(x, **attrs)
        dout = rng.standard_normal(idx.shape).astype(np.float32)
        k = OPS["max_pool_grad"].kernel
        want = k(dout, idx, input_shape=xs)
        out = np.full(xs, np.nan, np.float32)
        k(dout, idx, input_shape=xs, out=out, ws=np.full(k.scratch(dout, idx, input_shape=xs), 3, np.uint8))
        assert np.array_equal(out, want), ("max_pool_grad", xs)


def _new_numpy_bytes_at_the_last_node(pg, arrays):
    """The bytes of numpy data buffers allocated during a run of ``pg`` and still alive after its
    last node: every value of the run is held until then, so a kernel that allocated an
    intermediate instead of writing into its planned buffer shows up here (numpy traces its data
    buffers in its own tracemalloc domain)."""
    domain = tracemalloc.DomainFilter(True, np.lib.tracemalloc_domain)
    seen = {}

    def numpy_bytes():
        snap = tracemalloc.take_snapshot().filter_traces([domain])
        return sum(stat.size for stat in snap.statistics("filename"))

    last = pg.bound[-1]
    kind, fn = last[0], last[1]

    def spy(*args, **kwargs):
        result = fn(*args, **kwargs)
        seen["end"] = numpy_bytes()
        return result

    pg.run(arrays)
    tracemalloc.start()
    try:
        pg.bound[-1] = (kind, spy) + tuple(last[2:])
        start = numpy_bytes()
        pg.run(arrays)
    finally:
        pg.bound[-1] = last
        tracemalloc.stop()
    return seen["end"] - start


@pytest.mark.parametrize("name", ["mlp_adam", "lenet_momentum", "resnet_momentum", "lstm_adam",
                                  "transformer_momentum"])
def test_a_planned_training_step_allocates_no_intermediate_buffer(name):
    """Every kernel of the model suite's training steps writes into the plan: no unplanned kernel,
    and no numpy buffer of the run is alive at its end beyond the outputs' own (the new
    parameters, made fresh for the caller, computed by the last nodes)."""
    model, shape, classes, make_opt = _MODELS[name]
    x, y = _data(shape, classes)
    traced = trace_full(_train_step(model, make_opt), (x, y))
    graph = optimize(traced.graph)
    arrays = [x.asnumpy(), y.asnumpy()] + [t._array() for t in traced.captures]
    pg = PlannedGraph(graph)
    assert not pg.plan.unplanned
    if pg.bound[-1][0] not in ("write", "form", "kernel"):
        pytest.skip("the last node is not a kernel")
    out_bytes = sum(v.size * v.dtype.itemsize for v in {id(v): v for v in graph.outputs}.values()
                    if v not in graph.params)
    assert _new_numpy_bytes_at_the_last_node(pg, arrays) <= out_bytes
