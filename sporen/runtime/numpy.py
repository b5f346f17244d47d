"""The numpy backends, both over the ops' reference numpy kernels (they always work, with no
compiler): ``numpy`` (also ``numpy_planned``) runs a graph on a static memory plan
(``runtime/plan.py``): one arena per graph, allocated once, kernels writing into their planned
buffers with numpy's ``out=`` forms; ``numpy_interpret`` is the IR interpreter itself.

The planned executor is the default because it is faster than the interpreter on the training
steps measured (the test_train_step MLP, LeNet, the small ResNet: 0.65-0.85x of the interpreter's
time on this project's machine) and equal to it bit for bit (tests/compiler/test_plan.py)."""

import numpy as np

from ..ir.graph import Literal
from ..ir.interpret import interpret
from ..ops.elementwise import _EXP_LIMIT
from .base import Backend, PlanCache
from .plan import dump_plan, plan_memory

__all__ = ["NumpyBackend", "PlannedNumpyBackend", "PlannedGraph", "OUT_FORMS", "BACKEND", "INTERPRET"]


class NumpyBackend(Backend):
    """Runs a graph node by node with the reference kernels (``sporen.ir.interpret``)."""

    name = "numpy_interpret"

    def run(self, graph, arrays):
        return interpret(graph, *arrays)


# --- out= forms -------------------------------------------------------------------------------
# op name -> factory(node) giving ``write(out, *arrays)``, which computes exactly what the op's
# kernel computes into ``out`` (an array of the node's output type), or None when this node's
# types have no such form (its kernel then runs as is). Each is checked against the kernel, bit for
# bit, over the op cases of tests/ops in tests/compiler/test_plan.py.

def _ufunc_form(node):
    ufunc = node.op.kernel

    def write(out, *arrays):
        ufunc(*arrays, out=out)
    return write


def _matmul_form(node):
    a, b = node.inputs
    if a.dtype.itemsize == 2 or b.dtype.itemsize == 2:
        return None  # half precision goes through float32 in the kernel
    transpose_a = node.attrs.get("transpose_a", False)
    transpose_b = node.attrs.get("transpose_b", False)
    swap = node.op.name == "batch_matmul"

    def write(out, x, y):
        if transpose_a:
            x = np.swapaxes(x, -1, -2) if swap else x.T
        if transpose_b:
            y = np.swapaxes(y, -1, -2) if swap else y.T
        np.matmul(x, y, out=out)
    return write


def _axis_arg(node):
    axis = node.attrs["axis"]
    if len(axis) == node.inputs[0].ndim:
        return None
    return axis


def _sum_form(node):
    if node.inputs[0].dtype.kind not in "fc":
        return None
    axis = _axis_arg(node)
    keepdims = node.attrs["keepdims"]

    def write(out, x):
        np.add.reduce(x, axis=axis, keepdims=keepdims, out=out)
    return write


def _mean_form(node):
    x = node.inputs[0]
    if x.dtype.char not in "fd" or x.size == 0:
        return None
    axis = _axis_arg(node)
    keepdims = node.attrs["keepdims"]
    count = 1
    for a in node.attrs["axis"]:
        count *= x.shape[a]
    count = x.dtype.type(count)

    def write(out, x):
        np.add.reduce(x, axis=axis, keepdims=keepdims, out=out)
        np.true_divide(out, count, out=out)
    return write


def _extremum_form(ufunc):
    def factory(node):
        x = node.inputs[0]
        if x.size == 0:
            return None
        axis = node.attrs["axis"]
        keepdims = node.attrs["keepdims"]

        def write(out, x):
            ufunc.reduce(x, axis=axis, keepdims=keepdims, out=out)
        return write
    return factory


def _cast_form(node):
    def write(out, x):
        np.copyto(out, x, casting="unsafe")
    return write


def _div_form(node):
    if any(v.dtype.kind in "iub" for v in node.inputs):
        return None  # the kernel divides in float64 and casts

    def write(out, x, y):
        np.true_divide(x, y, out=out)
    return write


def _where_form(node):
    out_dtype = node.outputs[0].dtype
    if any(v.dtype != out_dtype for v in node.inputs[1:]):
        return None

    def write(out, cond, x, y):
        np.copyto(out, y)
        np.copyto(out, x, where=cond)
    return write


def _relu_form(node):
    def write(out, x):
        np.maximum(x, 0, out=out)
    return write


def _rsqrt_form(node):
    def write(out, x):
        np.sqrt(x, out=out)
        np.reciprocal(out, out=out)
    return write


def _sigmoid_form(node):
    limit = _EXP_LIMIT.get(node.inputs[0].dtype)
    if limit is None or node.inputs[0].ndim == 0:
        return None

    # the kernel's passes, in its order: 1 / (1 + exp(min(-x, limit)))
    def write(out, x):
        np.negative(x, out=out)
        np.minimum(out, limit, out=out)
        np.exp(out, out=out)
        np.add(out, 1, out=out)
        np.reciprocal(out, out=out)
    return write


def _softmax_form(node):
    if node.inputs[0].size == 0:
        return None
    axis = node.attrs["axis"]

    # the kernel's passes; the row maxima and sums are small allocations
    def write(out, x):
        np.subtract(x, x.max(axis=axis, keepdims=True), out=out)
        np.exp(out, out=out)
        np.true_divide(out, out.sum(axis=axis, keepdims=True), out=out)
    return write


def _stack_form(node):
    axis = node.attrs["axis"]

    def write(out, *xs):
        np.stack(xs, axis=axis, out=out)
    return write


def _concat_form(node):
    axis = node.attrs["axis"]

    def write(out, *xs):
        np.concatenate(xs, axis=axis, out=out)
    return write


def _relu_grad_form(node):
    dout, y = node.inputs
    if tuple(dout.shape) != tuple(y.shape):
        return None
    zero = dout.dtype.type(0)

    # the kernel's np.where(y > 0, dout, 0), with its mask in the scratch
    def write(out, dout, y, ws):
        mask = ws[:out.size].view(np.bool_).reshape(out.shape)
        np.greater(y, 0, out=mask)
        out.fill(zero)
        np.copyto(out, dout, where=mask)
    write.workspace = max(node.outputs[0].size, 1)
    return write


def _scratch_form(node):
    """A kernel that takes ``out=`` and ``ws=`` itself (the convolutions and pools: see
    ``ops/conv.py``'s ``_Scratch``), with the workspace its ``scratch`` function asks for."""
    kernel = node.op.kernel
    nbytes = kernel.scratch(*node.inputs, **node.attrs)
    if nbytes is None:
        return None
    attrs = node.attrs

    def write(out, *arrays, ws=None):
        kernel(*arrays, out=out, ws=ws, **attrs)
    write.workspace = nbytes
    return write


def _reshape_form(node):
    shape = node.inputs[0].shape

    # a reshape of a strided view (planned as its own value): one copy, into the buffer
    def write(out, x):
        np.copyto(out.reshape(shape), x)
    return write


OUT_FORMS = {
    "reshape": _reshape_form,
    "relu_grad": _relu_grad_form,
    "matmul": _matmul_form,
    "batch_matmul": _matmul_form,
    "reduce_sum": _sum_form,
    "reduce_mean": _mean_form,
    "reduce_max": _extremum_form(np.maximum),
    "reduce_min": _extremum_form(np.minimum),
    "cast": _cast_form,
    "div": _div_form,
    "where": _where_form,
    "relu": _relu_form,
    "rsqrt": _rsqrt_form,
    "concat": _concat_form,
    "stack": _stack_form,
    "sigmoid": _sigmoid_form,
    "softmax": _softmax_form,
}


def out_form(node):
    """The ``write(out, *arrays)`` of ``node``, or None when it has none (the kernel runs). A
    form with a ``workspace`` attribute (bytes) is called with ``ws=`` its scratch; the form of
    a node with several outputs takes the tuple of their arrays as ``out``."""
    if node.subgraphs:
        return None
    if len(node.outputs) != 1:  # only kernels that write all their outputs themselves
        return _scratch_form(node) if getattr(node.op.kernel, "scratch", None) is not None else None
    if isinstance(node.op.kernel, np.ufunc) and node.op.kernel.nout == 1:
        return _ufunc_form(node)
    factory = OUT_FORMS.get(node.op.name)
    if factory is None:
        if getattr(node.op.kernel, "scratch", None) is not None:
            return _scratch_form(node)
        return None
    return factory(node)


# --- the planned executor ---------------------------------------------------------------------

def writable_params(vals, n_params, donated_slots, contiguous=False):
    """The slots among ``donated_slots`` whose arrays (``vals[slot]``) a run may write: writable
    ndarrays passed once (not the same object as another argument), and C-contiguous when
    ``contiguous`` (native kernels index them flat)."""
    if not donated_slots:
        return ()
    seen = {}
    for i in range(n_params):
        key = id(vals[i])
        seen[key] = seen.get(key, 0) + 1
    ok = set()
    for s in donated_slots:
        a = vals[s]
        if type(a) is np.ndarray and a.flags.writeable and seen[id(a)] == 1 and (
                not contiguous or a.flags.c_contiguous):
            ok.add(s)
    return ok


def _writes_alone(form):
    """Whether ``form`` can compute a donated output: it exists and needs no scratch."""
    return form is not None and not getattr(form, "workspace", 0)


def _fresh(result, arena):
    """``result`` as an array the caller may keep: copied when it views planned memory."""
    if type(result) is not np.ndarray:
        result = np.asarray(result)
    if result.base is not None and np.may_share_memory(result, arena):
        result = result.copy()
    return result


class PlannedGraph:
    """A graph with its memory plan and one arena, ready to run many times. ``run(arrays)`` returns
    fresh output arrays; every intermediate a kernel can write with ``out=`` goes to its planned
    buffer, so a run allocates only the outputs and what the other kernels allocate.

    ``donate``: pairs ``(output index, param index)``: the caller replaces the param's array by
    that output after the run (a parameter update), so where the plan finds it safe the output is
    computed into the param's array itself, and is that array (see ``plan_memory``). A param array
    that is read-only, or the same array object as another argument, is not written: that output
    is then fresh for this run."""

    def __init__(self, graph, donate=()):
        self.graph = graph
        # each node's out= form, made once (None: its kernel runs and allocates)
        self.forms = [out_form(node) for node in graph.nodes]
        forms = {id(node): form for node, form in zip(graph.nodes, self.forms)}
        self.plan = plan_memory(graph, donate, lambda node: _writes_alone(forms[id(node)]),
                                lambda index, node: getattr(self.forms[index], "workspace", 0))
        self.arena = np.empty(self.plan.arena_bytes, np.uint8)
        self._busy = False
        self._build()

    def _buffer(self, arena, var):
        off = self.plan.offsets[var]
        nbytes = var.size * var.dtype.itemsize
        return arena[off:off + nbytes].view(var.dtype).reshape(var.shape)

    def _build(self):
        """Number the values (params first, then literals, then node outputs) and make one step a
        node: ``(kind, kernel or write, input slots, output slots, buffers, attrs, subgraphs)``."""
        graph = self.graph
        plan = self.plan
        slot = {}
        template = []
        for p in graph.params:
            slot[p] = len(template)
            template.append(None)
        self.n_params = len(template)
        steps = []
        unplanned = []
        for index, node in enumerate(graph.nodes):
            ins = []
            for v in node.inputs:
                if type(v) is Literal:
                    ins.append(len(template))
                    template.append(v.value)
                else:
                    ins.append(slot[v])
            outs = []
            for v in node.outputs:
                slot[v] = len(template)
                outs.append(len(template))
                template.append(None)
            planned = [v in plan.offsets for v in node.outputs]
            donated = len(node.outputs) == 1 and node.outputs[0] in plan.donated
            write = self.forms[index]
            single = len(node.outputs) == 1
            if node.outputs and node.outputs[0] in plan.roots:
                kind = "view"
            elif donated:
                kind = "donate"
                node_attrs = dict(node.attrs)
                # (the write form, the kernel for a run where the param cannot be written)
                write = (write, node.op.kernel, node_attrs, slot[graph.params[plan.donated[node.outputs[0]]]])
            elif write is not None and all(planned) and single and index not in plan.workspace:
                kind = "write"
            elif write is not None and all(p or v in plan.fresh for p, v in zip(planned, node.outputs)) and (
                    all(planned) or index in plan.workspace or not single):
                # scratch, several outputs, or a fresh output (np.empty per run, for the caller)
                # whose kernel would allocate temporaries: the form writes them all
                kind = "form"
            else:
                kind = "kernel"
                if any(planned):
                    unplanned.append(node.op.name)
            attrs = (index, single) if kind == "form" else node.attrs  # bound to the scratch by _bind
            steps.append((kind, node.op.kernel if kind in ("view", "kernel") else write, tuple(ins),
                          tuple(outs), [v for v in node.outputs], attrs, node.subgraphs, node.op.nout))
        self.template = template
        self.steps = steps
        self.donated_slots = tuple(sorted({slot[graph.params[j]] for j in plan.donated.values()}))
        self.out_slots = []
        for v in graph.outputs:
            if type(v) is Literal:
                self.out_slots.append(v)
            else:
                self.out_slots.append(slot[v])
        plan.unplanned = tuple(unplanned)
        self._bind(self.arena)

    def _bind(self, arena):
        """The runnable steps over ``arena``: buffers are views of it made once here."""
        plan = self.plan
        bound = []
        for kind, fn, ins, outs, out_vars, attrs, subgraphs, nout in self.steps:
            bufs = tuple(self._buffer(arena, v) if v in plan.offsets else None for v in out_vars)
            if kind == "form":
                index, single = attrs
                # bound in place of the attrs: the scratch (None when the form needs none), whether
                # the form takes one output, and the (shape, dtype) of the outputs made fresh
                offset, nbytes = plan.workspace.get(index, (0, 0))
                scratch = arena[offset:offset + nbytes] if nbytes else None
                fresh = tuple(None if b is not None else (v.shape, v.dtype) for b, v in zip(bufs, out_vars))
                attrs = (scratch, single, fresh)
            bound.append((kind, fn, ins, outs, bufs, attrs, subgraphs, nout))
        self.bound = bound
        self.bound_arena = arena

    def run(self, arrays):
        """Run on one array per param (of the params' shapes and dtypes, as ``interpret`` checks);
        return a tuple of fresh output arrays."""
        graph = self.graph
        if len(arrays) != self.n_params:
            raise TypeError(f"numpy_planned: graph '{graph.name}' takes {self.n_params} arguments, "
                            f"got {len(arrays)}")
        if self._busy:
            # a second run while one is under way (a thread, or a kernel calling back): it gets
            # an arena of its own rather than the shared one
            return PlannedGraph(graph).run(arrays)
        self._busy = True
        try:
            return self._run(arrays)
        finally:
            self._busy = False

    def _run(self, arrays):
        vals = list(self.template)
        for i, (p, a) in enumerate(zip(self.graph.params, arrays)):
            if type(a) is not np.ndarray:
                a = np.asarray(a)
            if a.shape != p.shape or a.dtype != p.dtype:
                interpret(self.graph, *arrays)  # raises the interpreter's message about argument i
            vals[i] = a
        writable = self._writable_params(vals)
        arena = self.arena
        may_share = np.may_share_memory
        for kind, fn, ins, outs, bufs, attrs, subgraphs, nout in self.bound:
            if kind == "write":
                buf = bufs[0]
                fn(buf, *[vals[i] for i in ins])
                vals[outs[0]] = buf
                continue
            if kind == "form":
                scratch, single, fresh = attrs
                targets = tuple(b if b is not None else np.empty(*f) for b, f in zip(bufs, fresh))
                fn(targets[0] if single else targets, *[vals[i] for i in ins], ws=scratch)
                for o, t in zip(outs, targets):
                    vals[o] = t
                continue
            if kind == "donate":
                write, kernel, kernel_attrs, param_slot = fn
                args = [vals[i] for i in ins]
                if param_slot in writable:
                    buf = vals[param_slot]
                    write(buf, *args)
                    vals[outs[0]] = buf
                else:
                    vals[outs[0]] = _fresh(kernel(*args, **kernel_attrs), arena)
                continue
            args = [vals[i] for i in ins]
            if subgraphs:
                result = fn(*args, subgraphs=subgraphs, **attrs)
            else:
                result = fn(*args, **attrs)
            if kind == "view":
                if nout == 1:
                    vals[outs[0]] = result
                else:
                    for o, r in zip(outs, result):
                        vals[o] = r
                continue
            results = (result,) if nout == 1 else tuple(result)
            for o, r, buf in zip(outs, results, bufs):
                if type(r) is not np.ndarray:
                    r = np.asarray(r)
                if r.base is not None and may_share(r, arena):
                    # a view of planned memory (the kernel returned part of an input): it would
                    # change when that memory is reused, so it is copied out
                    if buf is None:
                        r = r.copy()
                    else:
                        np.copyto(buf, r)
                        r = buf
                vals[o] = r
        results = []
        for s in self.out_slots:
            if type(s) is Literal:
                results.append(np.array(s.value))
            else:
                results.append(vals[s])
        return tuple(results)

    def _writable_params(self, vals):
        """The slots of the donated params whose arrays may be written this run."""
        return writable_params(vals, self.n_params, self.donated_slots)

    def describe(self):
        """The plan's text (``runtime.plan.dump_plan``)."""
        return dump_plan(self.plan)


class PlannedNumpyBackend(Backend):
    """The numpy kernels on a static memory plan. A graph's plan (and its arena) is made on its
    first run and kept in a PlanCache (by graph identity, while the graph lives, bounded in number
    and arena bytes)."""

    name = "numpy"

    def __init__(self):
        self._plans = PlanCache(PlannedGraph)

    def prepare(self, graph, donate=()):
        """The PlannedGraph of ``graph`` (with ``donate``, see PlannedGraph): a runnable with
        ``run(arrays)``, made once, then cached."""
        return self._plans.get(graph, donate)

    def run(self, graph, arrays):
        return self.prepare(graph).run(arrays)

    def describe(self, graph):
        return self.prepare(graph).describe()


INTERPRET = NumpyBackend()
BACKEND = PlannedNumpyBackend()
