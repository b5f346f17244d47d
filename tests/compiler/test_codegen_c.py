"""The C renderer of fused groups (sporen/codegen/c.py): each group is compiled into one
translation unit with every other group of this module, run through a pointer table, and compared
with the interpreter (the ops' numpy kernels)."""
import ctypes
import threading
import warnings

import ml_dtypes
import numpy as np
import pytest

import sporen as ms
from sporen import dtype as mstype
from sporen.codegen.c import can_render, render_fused
from sporen.codegen.c_expr import TEMPLATES, unsupported
from sporen.codegen.header import prelude
from sporen.frontend.trace import trace
from sporen.ir.graph import Graph, Literal, Node, Var
from sporen.ir.interpret import interpret
from sporen.ops.registry import OPS, Aval
from sporen.passes.expand import expand
from tests.compiler.test_ir import _op_cases

cache = pytest.importorskip("sporen.runtime.cache")
if cache.compiler() is None:
    pytest.skip("no C compiler", allow_module_level=True)

F32 = np.dtype(np.float32)
F64 = np.dtype(np.float64)
BF16 = np.dtype(ml_dtypes.bfloat16)


class _FusedStandIn:
    """What the renderer reads of a fused node's op: nothing but its name."""
    name = "fused"
    nout = 1


def fused(graph, inputs=None):
    """A fused node holding ``graph``; ``inputs`` may put Literals in place of params."""
    if inputs is None:
        inputs = [Var(p.shape, p.dtype) for p in graph.params]
    outs = [Var(o.shape, o.dtype) for o in graph.outputs]
    return Node(_FusedStandIn(), inputs, {}, outs, subgraphs=(graph,))


class _Suite:
    """Every kernel of this module in one translation unit, compiled once on first use."""

    def __init__(self, flags):
        self.flags = flags
        self.handles = []
        self.library = None

    def add(self, graph, inputs=None):
        """Render a fused node holding ``graph``; returns its handle ``(name, kernel, node)``, or
        None when the renderer refuses the group."""
        assert self.library is None, "every kernel is added before the first run"
        node = fused(graph, inputs)
        name = f"k{len(self.handles)}"
        try:
            kernel = render_fused(node, name)
        except unsupported:
            return None
        handle = (name, kernel, node, self)
        self.handles.append(handle)
        return handle

    def lib(self):
        if self.library is None:
            parts = [prelude()]
            for name, kernel, node, _ in self.handles:
                nin = len(node.inputs)
                ins = [f"v[{i}]" for i in range(nin)]
                outs = [f"v[{nin + j}]" for j in range(len(node.outputs))]
                parts.append(kernel.source)
                parts.append(f"void entry_{name}(void **v) {{ {kernel.call(ins, outs, 'v[1023]')} }}\n")
            self.library = cache.build("".join(parts), self.flags)
        return self.library

    def run(self, handle, arrays):
        """Run a kernel on ``arrays`` (one per node input); returns its outputs."""
        name, kernel, node, _ = handle
        lib = self.lib()
        ins = [np.ascontiguousarray(a) for a in arrays]
        outs = [np.empty(o.shape, o.dtype) for o in node.outputs]
        ws = np.empty(kernel.workspace + 128, np.uint8)
        table = (ctypes.c_void_p * 1024)()
        for i, a in enumerate(ins):
            table[i] = a.ctypes.data
        for j, o in enumerate(outs):
            table[len(ins) + j] = o.ctypes.data
        table[1023] = ws.ctypes.data + (-ws.ctypes.data) % 64
        getattr(lib, f"entry_{name}")(table)
        return outs


# single elementwise ops and the model suite's groups are compiled without optimisation (their
# meaning does not depend on it without -ffast-math, and it compiles ten times faster);
# reductions and the multi-node groups below with the backend's flags, so that their vectorised
# and threaded loops are what is tested
SWEEP = _Suite(tuple("-O0" if f == "-O3" else f for f in cache.FLAGS))
MAIN = _Suite(cache.FLAGS)
_register = MAIN.add


def _build_both():
    """Compile the two translation units at once (one per core)."""
    if MAIN.library is not None and SWEEP.library is not None:
        return
    worker = threading.Thread(target=SWEEP.lib)
    worker.start()
    MAIN.lib()
    worker.join()
    SWEEP.lib()


def run(handle, arrays):
    _build_both()
    return handle[3].run(handle, arrays)


def check(handle, arrays, graph_arrays=None, exact=False):
    """Run the kernel on ``arrays`` and compare with the interpreter on the subgraph."""
    name, kernel, node, _ = handle
    graph = node.subgraphs[0]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        want = interpret(graph, *(graph_arrays if graph_arrays is not None else arrays))
    got = run(handle, arrays)
    for w, g in zip(want, got):
        assert g.shape == w.shape and g.dtype == w.dtype
        _assert_close(g, w, exact)


def _assert_close(got, want, exact=False):
    dtype = want.dtype
    if exact or dtype.kind in "biu":
        np.testing.assert_array_equal(got, want)
        return
    if dtype == F64:
        rtol, atol = 1e-10, 1e-12
    elif dtype == F32:
        rtol, atol = 1e-5, 1e-6
    else:  # half precision: one rounding of the stored type apart at most
        rtol, atol = 1e-2, 1e-2
        got = got.astype(np.float32)
        want = want.astype(np.float32)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True)


# --- every op case of tests/ops as a one-node group ------------------------------------------------
_RENDERABLE_FAMILIES = ("elementwise", "activation", "reduce", "movement", "nn")


def _one_node_graph(op, arrays, attrs):
    params = [Var(a.shape, a.dtype) for a in arrays]
    inferred = op.infer(*[Aval(a.shape, mstype._BY_NP[a.dtype]) for a in arrays], **attrs)
    inferred = inferred if isinstance(inferred, tuple) else (inferred,)
    outs = [Var(a.shape, a.dtype.np) for a in inferred]
    return Graph(op.name, params, [Node(op, params, attrs, outs)], outs)


def _collect_op_cases():
    cases = []
    refused = set()
    rendered = set()
    for case in _op_cases():
        op = OPS[case.op]
        if op.family not in _RENDERABLE_FAMILIES or op.nout != 1:
            continue
        for dtype in case.dtypes:
            arrays = case.make(np.random.default_rng(0), dtype)
            graph = _one_node_graph(op, arrays, case.attrs)
            suite = MAIN if op.family == "reduce" else SWEEP
            handle = suite.add(graph)
            if handle is None:
                refused.add(case.op)
                continue
            rendered.add(case.op)
            cases.append((f"{case.op}-{dtype}-{len(cases)}", handle, arrays))
    return cases, rendered, refused - rendered


OP_CASES, RENDERED, REFUSED = _collect_op_cases()


def test_every_renderable_op_case_matches_the_numpy_kernel():
    failures = []
    for label, handle, arrays in OP_CASES:
        try:
            check(handle, arrays)
        except AssertionError as exc:
            failures.append(f"{label}: {str(exc)[:300]}")
    assert not failures, "\n".join(failures)
    assert len(OP_CASES) > 150


# the elementwise, activation and reduce ops the renderer leaves to their numpy kernels, and why
_NOT_RENDERED = {
    "isclose",        # np.isclose's tolerance rule with its equal_nan flag: rare in a hot loop
    "digamma",        # no C library function
    "erfinv",         # no C library function (numpy refines by Newton steps on erf)
    "polygamma",      # no C library function
    "sgn",            # complex
    "real", "imag", "angle", "conj",  # complex
    "argmax", "argmin", "logsumexp", "cumsum", "cumprod", "cummax", "cummin", "median",
    "nanmedian", "histc", "bincount",  # not a plain reduction (or expanded before fusion)
}


def test_every_op_with_a_fusion_expression_has_a_c_template():
    # fusion groups the ops that have an ``expr``; one the renderer cannot write would send its
    # whole group to numpy
    special = {"cast", "round", "nan_to_num"}
    complex_parts = {"real", "imag", "angle", "conj"}  # only ever given complex inputs: never fused
    missing = sorted(name for name, op in OPS.items() if op.expr is not None and op.family != "reduce"
                     and name not in TEMPLATES and name not in special | complex_parts)
    assert not missing


def test_the_ops_left_to_numpy_are_the_known_ones():
    families = ("elementwise", "activation", "reduce")
    with_cases = {c.op for c in _op_cases() if OPS[c.op].family in families}
    refused = {name for name in with_cases if name not in RENDERED}
    assert refused <= _NOT_RENDERED, sorted(refused - _NOT_RENDERED)
    for name in ("add", "exp", "where", "cast", "reduce_sum", "reduce_max", "relu", "gelu", "sigmoid",
                 "floor_divide", "remainder", "pow", "round", "logical_xor", "invert"):
        assert name in RENDERED


# --- every template over every kind of dtype it names ---------------------------------------------
# float32 and float64 are covered by the op cases; here with NaN, inf and signed zeros too
_DTYPES_OF_KIND = {"f": (np.float16, ml_dtypes.bfloat16, np.float32),
                   "i": (np.int8, np.int64), "u": (np.uint8,), "b": (np.bool_,)}
_NARGS = {"where": 3}


def _values(rng, dtype, shape):
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    if dtype.kind == "i":
        return rng.integers(-20, 20, shape).astype(dtype)
    if dtype.kind == "u":
        return rng.integers(0, 40, shape).astype(dtype)
    values = rng.standard_normal(shape) * 3
    values.flat[:3] = [np.nan, np.inf, -np.inf][: values.size]
    if values.size > 4:
        values.flat[3] = 0.0
        values.flat[4] = -0.0
    return values.astype(dtype)


def _collect_dtype_sweep():
    rng = np.random.default_rng(1)
    cases = []
    skip = {"lgamma"}  # lgamma's numpy kernel is exact per element; libm's float lgamma is not
    for name, table in sorted(TEMPLATES.items()):
        if name in skip:
            continue
        op = OPS[name]
        nargs = _NARGS.get(name, 2 if "{1}" in next(iter(table.values())) else 1)
        for k in table:
            for dtype in _DTYPES_OF_KIND[k]:
                shapes = [(3, 5), (5,), (3, 1)][:nargs]
                arrays = [_values(rng, dtype, s) for s in shapes]
                if name == "where":
                    arrays[0] = rng.random((3, 5)) < 0.5
                if name in ("left_shift", "right_shift") and nargs == 2:
                    arrays[1] = rng.integers(0, 70, (5,)).astype(dtype)
                try:
                    with warnings.catch_warnings(), np.errstate(all="ignore"):
                        warnings.simplefilter("ignore")
                        graph = _one_node_graph(op, arrays, {})
                        interpret(graph, *arrays)
                except (TypeError, ValueError):
                    continue  # the op does not take this dtype
                handle = SWEEP.add(graph)
                if handle is not None:
                    cases.append((f"{name}-{np.dtype(dtype)}", handle, arrays))
    return cases


DTYPE_CASES = _collect_dtype_sweep()


def test_every_template_on_every_dtype_it_names_matches_numpy():
    failures = []
    for label, handle, arrays in DTYPE_CASES:
        try:
            check(handle, arrays)
        except AssertionError as exc:
            failures.append(f"{label}: {str(exc)[:300]}")
    assert not failures, "\n".join(failures)
    assert len(DTYPE_CASES) > 100


# --- multi-node groups: composites expanded into primitives ---------------------------------------
def _traced(fn, *arrays):
    graph, _ = trace(fn, *[ms.Tensor(a) for a in arrays])
    graph = expand(graph)
    return graph


def _group(fn, *arrays):
    graph = _traced(fn, *arrays)
    return _register(graph), graph


def _rand(shape, dtype=np.float32, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


P = OPS
_GROUPS = {}


def _define(label, fn, *arrays):
    handle, graph = _group(fn, *arrays)
    _GROUPS[label] = (handle, arrays)


def _softmax(axis):
    return lambda x: ms.ops.softmax(x, axis)


def _log_softmax(axis):
    return lambda x: ms.ops.log_softmax(x, axis)


def _layer_norm(x, g, b):
    return P["layer_norm"](x, g, b, begin_norm_axis=x.ndim - 1, begin_params_axis=x.ndim - 1, epsilon=1e-5)


def _batch_norm(x, scale, bias, mean, var):
    return P["batch_norm"](x, scale, bias, mean, var, training=True, epsilon=1e-5)


def _ce(logits, labels):
    return P["softmax_cross_entropy"](logits, labels, axis=1)


def _sparse_ce(logits, hot, valid):
    """The sparse cross-entropy's expansion after its one_hot (which is not fused): mean over the
    counted rows of -sum(hot * log_softmax)."""
    picked = P["reduce_sum"](P["mul"](hot, ms.ops.log_softmax(logits, -1)), axis=(1,), keepdims=False)
    total = P["reduce_sum"](P["mul"](P["neg"](picked), valid), axis=(0,), keepdims=False)
    return P["div"](total, P["reduce_sum"](valid, axis=(0,), keepdims=False))


def _sparse_ce_grad(logits, hot, valid, dout):
    w = P["mul"](P["div"](valid, P["reduce_sum"](valid, axis=(0,), keepdims=False)), dout)
    return P["mul"](P["sub"](ms.ops.softmax(logits, -1), hot), P["reshape"](w, shape=(w.shape[0], 1)))


def _adam(param, m, v, grad, lr, beta1, beta2, eps):
    m2 = ms.ops.add(ms.ops.mul(m, beta1), ms.ops.mul(grad, 1 - beta1))
    v2 = ms.ops.add(ms.ops.mul(v, beta2), ms.ops.mul(ms.ops.square(grad), 1 - beta2))
    update = ms.ops.div(m2, ms.ops.add(ms.ops.sqrt(v2), eps))
    return ms.ops.sub(param, ms.ops.mul(update, lr)), m2, v2


def _with_nan(x):
    x = x.copy()
    x.flat[0] = np.nan
    x.flat[-1] = np.inf
    return x


_define("softmax-last", _softmax(-1), _rand((7, 33)))
_define("softmax-first", _softmax(0), _rand((33, 7)))
_define("softmax-mid", _softmax(1), _rand((3, 33, 5)))
_define("softmax-1", _softmax(-1), _rand((1, 1)))
_define("softmax-nan", _softmax(-1), _with_nan(_rand((4, 9))))
_define("softmax-f64", _softmax(-1), _rand((5, 33), np.float64))
_define("softmax-big", _softmax(-1), _rand((64, 1024)))
_define("log_softmax", _log_softmax(-1), _rand((7, 33)))
_define("log_softmax-0", _log_softmax(0), _rand((33, 7)))
_define("layer_norm", _layer_norm, _rand((8, 33)), _rand((33,), seed=1), _rand((33,), seed=2))
_define("layer_norm-3d", _layer_norm, _rand((2, 7, 256)), _rand((256,), seed=1), _rand((256,), seed=2))
_define("batch_norm", _batch_norm, _rand((4, 3, 5, 7)), _rand((3,), seed=1), _rand((3,), seed=2),
        np.zeros(3, np.float32), np.ones(3, np.float32))
_define("cross_entropy", _ce, _rand((7, 33)), np.abs(_rand((7, 33), seed=3)))
_HOT = np.eye(33, dtype=np.float32)[np.arange(7) * 4]
_VALID = np.array([1, 1, 0, 1, 1, 1, 0], np.float32)
_define("sparse_cross_entropy", _sparse_ce, _rand((7, 33)), _HOT, _VALID)
_define("sparse_cross_entropy_grad", _sparse_ce_grad, _rand((7, 33)), _HOT, _VALID, np.float32(0.5))
_define("adam", lambda p, m, v, g: _adam(p, m, v, g, 1e-3, 0.9, 0.999, 1e-8),
        _rand((33, 7)), _rand((33, 7), seed=1), np.abs(_rand((33, 7), seed=2)), _rand((33, 7), seed=3))
_define("sum-axes-0-2", lambda x: ms.ops.sum(ms.ops.exp(x), dim=(0, 2)), _rand((5, 7, 33)))
_define("sum-axes-0-2-keep", lambda x: ms.ops.sum(x, dim=(0, 2), keepdim=True), _rand((5, 7, 33)))
_define("sum-axis-0", lambda x: ms.ops.sum(ms.ops.mul(x, x), dim=0), _rand((33, 65)))
_define("max-axis-0-nan", lambda x: ms.ops.amax(x, 0), _with_nan(_rand((9, 7))))
_define("min-all", lambda x: ms.ops.amin(x), _with_nan(_rand((9, 7))))
_define("mean-all-big", lambda x: ms.ops.mean(x), _rand((300, 300)))
_define("mean-0d", lambda x: ms.ops.mean(ms.ops.add(x, x)), _rand(()))
_define("sum-int32", lambda x: ms.ops.sum(ms.ops.mul(x, x), dim=1), np.arange(35, dtype=np.int32).reshape(5, 7))
_define("prod-f64", lambda x: ms.ops.prod(x, 1), _rand((5, 7), np.float64))
_define("all-any", lambda x: (ms.ops.all(ms.ops.greater(x, -1.0), 1), ms.ops.any(ms.ops.greater(x, 2.0), 0)),
        _rand((6, 7)))
_define("transpose-add", lambda x, y: ms.ops.add(ms.ops.transpose(x, (1, 0, 2)), y),
        _rand((5, 3, 7)), _rand((3, 1, 7)))
_define("reshape-merge-split", lambda x: ms.ops.reshape(ms.ops.relu(ms.ops.reshape(x, (6, 35))), (3, 2, 5, 7)),
        _rand((2, 3, 5, 7)))
_define("broadcast-relu-chain", lambda x, b: ms.ops.relu(ms.ops.add(ms.ops.relu(ms.ops.add(x, b)), x)),
        _rand((33, 65)), _rand((65,)))
_define("broadcast_to", lambda x: ms.ops.broadcast_to(ms.ops.exp(x), (4, 3, 5)), _rand((3, 1)))
_define("bf16-chain", lambda x, y: ms.ops.mul(ms.ops.add(x, y), ms.ops.exp(x)),
        _rand((7, 9), ml_dtypes.bfloat16), _rand((9,), ml_dtypes.bfloat16))
_define("f16-cast-chain", lambda x: ms.ops.cast(ms.ops.tanh(ms.ops.cast(x, ms.float32)), ms.float16),
        _rand((7, 9), np.float16))
_define("reduce-then-reduce", lambda x: ms.ops.amax(ms.ops.sum(x, dim=1), 0), _rand((5, 7, 3)))
_define("softmax-transposed-out", lambda x: ms.ops.transpose(ms.ops.softmax(x, -1), (1, 0)), _rand((33, 33)))
_define("layer_norm-stats-out", lambda x, g, b: _layer_norm(x, g, b), _rand((33, 40)), _rand((40,), seed=1),
        _rand((40,), seed=2))
_define("bias-grad-blocks", lambda x: ms.ops.sum(ms.ops.mul(x, x), dim=0), _rand((65, 1031)))
_define("bias-grad-blocks-3d", lambda x: (ms.ops.sum(x, dim=(0, 1)), ms.ops.amax(x, (0, 1))), _rand((9, 7, 600)))
_define("sum-empty-rows", lambda x: ms.ops.sum(ms.ops.exp(x), dim=1), np.zeros((3, 0), np.float32))
_define("sum-of-no-rows", lambda x: ms.ops.sum(x, dim=1), np.zeros((0, 5), np.float32))
_define("odd-1", lambda x: ms.ops.sum(ms.ops.sigmoid(x), dim=-1, keepdim=True), _rand((1, 1)))


@pytest.mark.parametrize("label", sorted(_GROUPS))
def test_multi_node_group_matches_the_interpreter(label):
    handle, arrays = _GROUPS[label]
    check(handle, arrays)


def _literal_group():
    x = Var((3, 4), F32)
    c = Var((4,), F32)
    s = Var((), F32)
    y = Var((3, 4), F32)
    z = Var((3, 4), F32)
    g = Graph("lits", [x, c, s], [Node(OPS["mul"], [x, c], {}, [y]), Node(OPS["add"], [y, s], {}, [z])], [z])
    big = np.arange(4, dtype=F32) - 1.5
    return _register(g, [Var((3, 4), F32), Literal(big), Literal(np.float32(0.1))]), big


def _outputs_group():
    x = Var((2, 3), F32)
    y = Var((2, 3), F32)
    g = Graph("outs", [x], [Node(OPS["neg"], [x], {}, [y])], [y, x, y, Literal(np.float32(2.5))])
    return _register(g)


LITERAL_GROUP = _literal_group()
OUTPUTS_GROUP = _outputs_group()


def test_literal_inputs_are_inlined():
    handle, big = LITERAL_GROUP
    x_value = _rand((3, 4))
    # the pointers passed for the Literal inputs are garbage: the kernel must not read them
    got = run(handle, [x_value, np.zeros(1, F32), np.zeros(1, F32)])[0]
    # rtol: gcc contracts x * c + s into one fused multiply-add (one rounding fewer than numpy)
    np.testing.assert_allclose(got, x_value * big + np.float32(0.1), rtol=1e-6)
    assert "0x1.99999a0000000p-4" in handle[1].source  # float32(0.1) exactly, inline


def test_an_output_can_be_an_input_or_a_literal_or_repeat():
    a = _rand((2, 3))
    got = run(OUTPUTS_GROUP, [a])
    np.testing.assert_array_equal(got[0], -a)
    np.testing.assert_array_equal(got[1], a)
    np.testing.assert_array_equal(got[2], -a)
    assert got[3] == np.float32(2.5)


def test_large_loops_are_shared_across_threads_small_ones_are_not():
    handle, _ = _GROUPS["softmax-big"]
    assert "#pragma omp parallel for" in handle[1].source
    handle, _ = _GROUPS["softmax-last"]
    assert "#pragma omp parallel" not in handle[1].source


def test_row_reductions_and_their_readers_share_one_loop_over_the_rows():
    # softmax: max, sum and the output of a row computed together (one parallel loop)
    source = _GROUPS["softmax-big"][0][1].source
    assert source.count("#pragma omp parallel") == 1
    assert source.count("for (long i0 = 0; i0 < 64; i0++)") == 1
    # exp(x - max), read by the sum and by the division, is computed once and kept for the row
    source = _GROUPS["softmax-last"][0][1].source
    body = source[source.index("static void"):]
    assert body.count("sp_expf(") == 1
    assert "float s" in body and "[33];" in body
    # leading axes reduced: column blocks shared across threads
    assert "const long cb = 1031L * t / nt" in _GROUPS["bias-grad-blocks"][0][1].source
    # a reader of the row's statistics at another row (a transposed output): loop nests apart
    source = _GROUPS["softmax-transposed-out"][0][1].source
    assert source.count("for (long i0 = 0; i0 < 33; i0++)") == 3


def test_can_render_refuses_what_it_cannot_write():
    x = Var((3, 4), np.dtype(np.complex64))
    y = Var((3, 4), np.dtype(np.complex64))
    g = Graph("cplx", [x], [Node(OPS["neg"], [x], {}, [y])], [y])
    assert not can_render(fused(g))
    x = Var((3,), F32)
    y = Var((3,), np.dtype(np.int32))
    g = Graph("argmax", [Var((3, 4), F32)], [], [])
    gx = Var((3, 4), F32)
    g = Graph("argmax", [gx], [Node(OPS["argmax"], [gx], {"axis": 1, "keepdims": False}, [y])], [y])
    assert not can_render(fused(g))


# --- every fused group of the model suite's training steps -----------------------------------------
def _model_groups(names=("mlp_adam", "lenet_adam", "resnet_adam", "lstm_adam", "transformer_momentum")):
    """(label, handle, input arrays) for each fused node of each model's fused training graph; the
    inputs are the values the interpreter computes for them."""
    from sporen.frontend.trace import trace_full
    from sporen.fusion import FUSED, fuse
    from sporen.passes.pipeline import optimize
    from tests.compiler.test_fusion import EXPANDING
    from tests.compiler.test_models import _MODELS, _data, _train_step
    groups = []
    for name in names:
        model, shape, classes, make_opt = _MODELS[name]
        x, y = _data(shape, classes)
        traced = trace_full(_train_step(model, make_opt), (x, y))
        graph = fuse(optimize(traced.graph, backend=EXPANDING))
        arrays = [x.asnumpy(), y.asnumpy()] + [t._array() for t in traced.captures]
        nodes = [n for n in graph.nodes if n.op is FUSED]
        wanted = [v for n in nodes for v in n.inputs if type(v) is not Literal]
        values = dict(zip(wanted, interpret(Graph("inputs", graph.params, graph.nodes, wanted), *arrays)))
        for k, n in enumerate(nodes):
            # unoptimised: the same groups' shapes of loops are compiled with -O3 above
            name_k = f"k{len(SWEEP.handles)}"
            handle = (name_k, render_fused(n, name_k), n, SWEEP)
            SWEEP.handles.append(handle)
            inputs = [v.value if type(v) is Literal else values[v] for v in n.inputs]
            groups.append((f"{name}-{k}", handle, inputs))
    return groups


MODEL_GROUPS = _model_groups()


def test_every_fused_group_of_the_model_suite_renders_and_matches():
    failures = []
    for label, handle, arrays in MODEL_GROUPS:
        try:
            check(handle, arrays)
        except AssertionError as exc:
            failures.append(f"{label}: {str(exc)[:300]}")
    assert not failures, "\n".join(failures)
    assert len(MODEL_GROUPS) > 60


def test_a_leading_axes_sum_adds_rows_in_numpys_order():
    # numpy sums the rows of an axis-0 reduction one after another in float32: the same loop order
    # gives its result bit for bit (a last-axis sum is accumulated in double instead: numpy's
    # pairwise order is not reproduced there, only approached)
    handle, arrays = _GROUPS["bias-grad-blocks-3d"]
    check(handle, arrays, exact=True)
