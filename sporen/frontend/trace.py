"""Graph mode by tracing: run a function on symbolic Tensors (Tensors whose ``_data`` is an IR Var),
record every Op call as a Node, and ``jit``: cache the traced graphs by call signature and run them
on a backend."""
import functools
import os
import sys

import numpy as np

from ..autodiff import tape as _tape
from ..context import _context
from ..dtype import _BY_NP
from ..ir.graph import Graph, Literal, Node, Var
from ..tensor import Parameter, Tensor

__all__ = ["trace", "trace_full", "jit", "TRACES", "trace_apply", "TracedFunction", "trace_sub",
           "apply_control", "Sub"]

TRACES = []  # the active traces, innermost last; Op.__call__ checks it (empty: the eager path)

# a concrete non-Parameter Tensor met while tracing, and not reachable from the function's Cells,
# closures or globals, is baked into the graph as a Literal when it is this small (scalar
# promotion, small constants made inside the function); bigger ones are read at every call
LITERAL_BYTES = 256

_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_wrap = Tensor._wrap


def _user_location():
    """``file:line`` of the innermost frame outside the sporen package (the user's code)."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = os.path.abspath(frame.f_code.co_filename)
        if not filename.startswith(_PKG_DIR + os.sep):
            return f"{frame.f_code.co_filename}:{frame.f_lineno}"
        frame = frame.f_back
    return "<unknown>"


def _sporen_location():
    """``file:line (function)`` of the innermost sporen frame outside this module, or ''."""
    frame = sys._getframe(1)
    skip = (os.path.abspath(__file__), os.path.join(_PKG_DIR, "tensor.py"))  # the value accessors
    while frame is not None:
        filename = os.path.abspath(frame.f_code.co_filename)
        if filename not in skip:
            if filename.startswith(_PKG_DIR + os.sep):
                rel = os.path.relpath(filename, os.path.dirname(_PKG_DIR))
                return f"{rel}:{frame.f_lineno} ({frame.f_code.co_name})"
            return ""
        frame = frame.f_back
    return ""


def _value_needed(what):
    inner = _sporen_location()
    where = ""
    if inner:
        where = f"; it is read inside sporen at {inner}, which has no graph-mode path yet"
    raise RuntimeError(f"tensor-dependent control flow is not supported yet in jit: {_user_location()} "
                       f"({what} needs the value of a traced tensor, which exists only when the "
                       f"compiled graph runs{where}; an `if`, `while` or `for` on a tensor is compiled "
                       f"in a Cell's construct, the jit function and the functions they call by name "
                       f"or as self.method(), not in a function reached another way)")


class SymVar(Var):
    """The Var held by a symbolic Tensor: it has a shape and a dtype but no value, and every
    attempt to read a value (``bool``, ``item``, numpy conversion) raises a clear error that names
    the user's line."""

    __slots__ = ()

    def reshape(self, *shape):
        _value_needed("reading the value (bool(), item(), float(), int())")

    def item(self, *args):
        _value_needed("item()")

    def tolist(self):
        _value_needed("tolist()")

    def astype(self, *args, **kwargs):
        _value_needed("a numpy conversion")

    def copy(self, *args, **kwargs):
        _value_needed("a numpy copy")

    def __array__(self, dtype=None, copy=None):
        _value_needed("a numpy conversion (asnumpy() or a numpy function)")

    def __bool__(self):
        _value_needed("bool()")

    def __getitem__(self, index):
        _value_needed("numpy indexing")

    @property
    def base(self):
        _value_needed("a write in place")

    @property
    def flags(self):
        _value_needed("a write in place")

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of a 0-d Tensor")
        return self.shape[0]


class _Trace:
    """The state of one trace: the nodes so far and the concrete tensors met."""

    __slots__ = ("nodes", "captures", "literals", "keep", "external", "defined")

    def __init__(self):
        self.nodes = []
        self.captures = {}  # id(tensor) -> (tensor, original array, Var): read at every call
        self.literals = {}  # id(tensor) -> Literal: small constants baked in
        self.keep = []  # tensors whose ids are keys above stay alive for the trace
        self.external = set()  # ids of tensors reachable from outside: read at every call
        self.defined = None  # a subgraph's trace: the Vars it defines (others are lifted)

    def find_literal(self, key):
        """The Literal this trace made for the tensor with id ``key``, or None."""
        return self.literals.get(key)

    def constant(self, t):
        """Make ``t``, computed from constants during the trace, a Literal whatever its size."""
        self.literals[id(t)] = Literal(t._data)
        self.keep.append(t)

    def value_of(self, t):
        """The graph value (Var or Literal) standing for Tensor ``t``."""
        data = t._data
        if isinstance(data, Var):
            return data
        key = id(t)
        cap = self.captures.get(key)
        if cap is not None:
            return cap[2]
        lit = self.literals.get(key)
        if lit is not None:
            return lit
        if data is None:
            data = t._array()
        if isinstance(t, Parameter) or data.nbytes > LITERAL_BYTES or key in self.external:
            var = SymVar(data.shape, data.dtype, getattr(t, "name", "") if isinstance(t, Parameter) else "")
            self.captures[key] = (t, data, var)
            self.keep.append(t)
            return var
        lit = Literal(data)
        self.literals[key] = lit
        self.keep.append(t)
        return lit


def trace_apply(op, args, attrs):
    """Op.__call__ while tracing: append a Node and return symbolic Tensors. An op whose inputs
    are all small constants is computed now (constant folding at trace time), except an impure op
    (``Op.impure``: random draws, dropout masks): it must draw new numbers at every run."""
    from ..ops.registry import Aval, NOT_DIFFERENTIABLE
    tr = TRACES[-1]
    values = []
    for i, a in enumerate(args):
        if not isinstance(a, Tensor):
            raise TypeError(f"{op.name}: input {i} must be a Tensor, got {type(a).__name__}")
        values.append(tr.value_of(a))
    if not op.impure and all(type(v) is Literal for v in values):
        out = op.kernel(*[v.value for v in values], **attrs)
        if op.nout == 1 and not isinstance(out, tuple):
            res = _wrap(np.asarray(out))
            tr.constant(res)
        else:
            res = tuple(_wrap(np.asarray(o)) for o in out)
            for r in res:
                tr.constant(r)
    else:
        avals = [Aval(v.shape, _BY_NP[v.dtype]) for v in values]
        inferred = op.infer(*avals, **attrs)
        if isinstance(inferred, Aval):
            outs = (SymVar(inferred.shape, inferred.dtype.np),)
            res = _wrap(outs[0])
        else:
            outs = tuple(SymVar(a.shape, a.dtype.np) for a in inferred)
            res = tuple(_wrap(o) for o in outs)
        tr.nodes.append(Node(op, values, attrs, outs))
        if tr.defined is not None:
            tr.defined.update(outs)
    if _tape.TAPES and op.bprop is not NOT_DIFFERENTIABLE:
        _tape.record(op, args, res, attrs)
    return res


# --- subgraphs: the closed graphs of control-flow nodes --------------------------------------

class _SubTrace(_Trace):
    """The trace of a subgraph (a branch, a loop body) inside another trace. A value it uses but
    does not define (a tensor of the enclosing trace, a Parameter) is *lifted*: it becomes an extra
    param of the subgraph, and the control-flow node passes the outer value in. With ``closed`` no
    value may be lifted (a graph traced from another closed graph) and constants stay Literals."""

    __slots__ = ("parent", "lifted", "closed", "constants")

    def __init__(self, parent, closed):
        super().__init__()
        self.parent = parent
        self.external = parent.external
        self.defined = set()
        self.lifted = {}  # key (outer Var, or id of a concrete tensor) -> (tensor, Var, original data)
        self.closed = closed
        self.constants = {}  # id -> (tensor, array): the concrete tensors read as Literals

    def find_literal(self, key):
        lit = self.literals.get(key)
        if lit is None:
            return self.parent.find_literal(key)
        return lit

    def value_of(self, t):
        data = t._data
        if isinstance(data, Var):
            if data in self.defined:
                return data
            key = data
        else:
            key = id(t)
            lit = self.find_literal(key)
            if lit is not None:
                self.constants[key] = (t, data)
                return lit
            if data is None:
                data = t._array()
            small = data.nbytes <= LITERAL_BYTES and key not in self.external
            if self.closed or (small and not isinstance(t, Parameter)):
                lit = Literal(data)
                self.literals[key] = lit
                self.keep.append(t)
                self.constants[key] = (t, data)
                return lit
        hit = self.lifted.get(key)
        if hit is not None:
            return hit[1]
        if self.closed:
            raise RuntimeError(f"trace_sub: a closed subgraph reads a value it does not define ({t.shape}, "
                               f"{t.dtype})")
        hint = getattr(t, "name", "") if isinstance(t, Parameter) else ""
        var = SymVar(data.shape, data.dtype, hint)
        self.lifted[key] = (t, var, data)
        self.defined.add(var)
        self.keep.append(t)
        return var


class Sub:
    """A traced subgraph before it is closed into a Graph.

    params:  the Vars of the explicit params (the Tensors given to the function), in order
    nodes:   the nodes traced
    struct:  the structure of the function's result (see ``_flatten``), Tensors as leaf indices
    values:  the graph value (Var or Literal) of each Tensor leaf of the result
    lifted:  ``[(key, tensor, Var)]``: the outer values it reads, each with its param Var
    writes:  ``[(key, tensor, value)]``: the outer tensors it wrote in place, with their new value
    """

    __slots__ = ("params", "nodes", "struct", "values", "lifted", "writes")

    def __init__(self, params, nodes, struct, values, lifted):
        self.params = params
        self.nodes = nodes
        self.struct = struct
        self.values = values
        self.lifted = lifted
        self.writes = []


def trace_sub(fn, avals, closed=False, owned=(), writes=False):
    """Trace ``fn(*params)`` as a subgraph of the current trace: ``avals`` gives the ``(shape,
    numpy dtype)`` of each explicit param (passed to ``fn`` as symbolic Tensors). The gradient
    tapes are paused meanwhile: the control-flow node that uses the subgraph is what they record.
    A tensor of an enclosing scope that ``fn`` reads and then writes in place (a BatchNorm's
    running mean, ``t[i] = v``) is restored afterwards; with ``writes`` its new value is in the
    Sub's ``writes`` (the caller makes it an output), else it is an error. Copies made for the
    subgraph (ids in ``owned``) may be written freely. Returns a Sub. With no trace active (a
    control-flow node differentiated eagerly, e.g. a loaded graph replayed under ``grad``) a closed
    subgraph is traced under an empty root trace."""
    if TRACES:
        parent = TRACES[-1]
    elif closed:
        parent = _Trace()
    else:
        raise RuntimeError("trace_sub: an open subgraph needs an enclosing trace")
    sub = _SubTrace(parent, closed)
    params = [SymVar(shape, dtype) for shape, dtype in avals]
    sub.defined.update(params)
    tensors = [_wrap(v) for v in params]
    written = []
    TRACES.append(sub)
    try:
        with _tape.paused():
            out = fn(*tensors)
        leaves = []
        struct = _flatten(out, leaves)
        values = [sub.value_of(t) for t in leaves]
        read = [(key, t, key if isinstance(key, Var) else original)
                for key, (t, _, original) in sub.lifted.items()]
        read += [(key, t, original) for key, (t, original) in sub.constants.items() if key not in sub.lifted]
        for key, t, before in read:
            if t._data is not before and id(t) not in owned:
                written.append((key, t, sub.value_of(_wrap(t._data))))
    finally:
        TRACES.pop()
        for key, (t, _, original) in sub.lifted.items():
            if id(t) not in owned:
                t._data = key if isinstance(key, Var) else original
        for key, (t, original) in sub.constants.items():
            if id(t) not in owned and key not in sub.lifted:
                t._data = original
    if written and not writes:
        raise NotImplementedError(f"tensor-dependent control flow is not supported yet in jit: "
                                  f"{_user_location()}: a tensor of shape {written[0][1].shape} is written "
                                  f"in place inside a loop on a traced tensor")
    lifted = [(key, t, var) for key, (t, var, _) in sub.lifted.items()]
    result = Sub(params, sub.nodes, struct, values, lifted)
    result.writes = written
    return result


def apply_control(op, args, attrs, subgraphs):
    """Apply the control-flow ``op`` with closed ``subgraphs`` to Tensors ``args``: a Node in the
    current trace (or the kernel, eagerly), recorded on the active tapes with ``subgraphs`` among
    the attributes its bprop receives. Returns a tuple of Tensors."""
    from ..ops.registry import Aval, NOT_DIFFERENTIABLE
    if TRACES:
        tr = TRACES[-1]
        values = [tr.value_of(a) for a in args]
        avals = [Aval(v.shape, _BY_NP[v.dtype]) for v in values]
        inferred = op.infer(*avals, subgraphs=subgraphs, **attrs)
        outs = tuple(SymVar(a.shape, a.dtype.np) for a in inferred)
        tr.nodes.append(Node(op, values, attrs, outs, subgraphs))
        if tr.defined is not None:
            tr.defined.update(outs)
        res = tuple(_wrap(o) for o in outs)
    else:
        arrays = [a._array() for a in args]
        out = op.kernel(*arrays, subgraphs=subgraphs, **attrs)
        res = tuple(_wrap(np.asarray(o)) for o in out)
    if _tape.TAPES and op.bprop is not NOT_DIFFERENTIABLE:
        _tape.record(op, tuple(args), res, dict(attrs, subgraphs=subgraphs))
    return res


# --- pytrees: tuples, lists and dicts of Tensors and static Python values ---------------------

def _flatten(tree, leaves):
    """Replace each Tensor in ``tree`` by its index in ``leaves``; return the structure."""
    if isinstance(tree, Tensor):
        leaves.append(tree)
        return _Leaf(len(leaves) - 1)
    if isinstance(tree, (tuple, list)):
        parts = [_flatten(x, leaves) for x in tree]
        return (type(tree), tuple(parts))
    if isinstance(tree, dict):
        return (dict, tuple((k, _flatten(v, leaves)) for k, v in tree.items()))
    return _Static(tree)


def _unflatten(struct, leaves):
    if isinstance(struct, _Leaf):
        return leaves[struct.index]
    if isinstance(struct, _Static):
        return struct.value
    kind, parts = struct
    if kind is dict:
        return {k: _unflatten(v, leaves) for k, v in parts}
    items = [_unflatten(p, leaves) for p in parts]
    if kind is list:
        return items
    if kind is tuple:
        return tuple(items)
    return kind(*items)  # a namedtuple


class _Leaf:
    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index

    def __eq__(self, other):
        return type(other) is _Leaf and other.index == self.index

    def __hash__(self):
        return hash(("leaf", self.index))


class _Static:
    """A non-Tensor value in a pytree; compared by value when hashable, else by identity."""

    __slots__ = ("value", "key")

    def __init__(self, value):
        self.value = value
        try:
            hash(value)
            self.key = (type(value), value)
        except TypeError:
            self.key = ("id", id(value))

    def __eq__(self, other):
        return type(other) is _Static and other.key == self.key

    def __hash__(self):
        return hash(self.key)


class Traced:
    """The result of tracing a function.

    graph:      the Graph; its params are the Tensor arguments (flattened) followed by the
                captured tensors; its outputs are the function's Tensor outputs (flattened)
                followed by the new values of the tensors it wrote in place
    in_struct:  the structure of (args, kwargs) with Tensors replaced by leaf indices
    out_struct: the structure of the result, the same way
    captures:   the concrete Tensors read by the graph (Parameters, big closure constants), whose
                current values are passed at every run
    writes:     one ``("input", leaf index)`` or ``("capture", tensor)`` per trailing output:
                the tensor the function assigned in place, to be updated after each run
    runner:     the backend's prepared form of the graph (``Backend.prepare``), made on the first
                run, or None
    """

    __slots__ = ("graph", "in_struct", "out_struct", "captures", "writes", "n_out", "runner")

    def __init__(self, graph, in_struct, out_struct, captures, writes, n_out):
        self.graph = graph
        self.in_struct = in_struct
        self.out_struct = out_struct
        self.captures = captures
        self.writes = writes
        self.n_out = n_out
        self.runner = None


def _donations(traced):
    """``(output index, param index)`` for each write-back output whose target tensor is also a
    graph param (a parameter update): the backend may compute it into the param's own array."""
    n_in = len(traced.graph.params) - len(traced.captures)
    index = {id(t): n_in + i for i, t in enumerate(traced.captures)}
    donate = []
    for k, (kind, target) in enumerate(traced.writes):
        j = target if kind == "input" else index.get(id(target))
        if j is not None:
            donate.append((traced.n_out + k, j))
    return tuple(donate)


def trace_full(fn, args, kwargs=None, name=None):
    """Trace ``fn(*args, **kwargs)`` with its Tensor arguments made symbolic; return a Traced.
    A Python function (or method) runs converted (``sporen.frontend.parse.convert``): its `if`,
    `while` and `for` on traced tensors become control-flow nodes; a Cell converts its construct."""
    from .parse import convert
    kwargs = kwargs or {}
    leaves = []
    in_struct = _flatten((tuple(args), dict(kwargs)), leaves)
    params = []
    symbolic = []
    for t in leaves:
        data = t._data if t._data is not None else t._array()
        var = SymVar(data.shape, data.dtype, getattr(t, "name", "") if isinstance(t, Parameter) else "")
        params.append(var)
        symbolic.append(_wrap(var))
    sym_args, sym_kwargs = _unflatten(in_struct, symbolic)
    tr = _Trace()
    # the Parameters of the Cells the function can reach: one assigned before it is ever read
    # (so never captured) must still be written back and restored
    reach_params, reach_tensors = _reachable(fn, in_struct)
    watched = [(p, p._data) for p in reach_params]
    for t in reach_tensors:
        tr.external.add(id(t))
    tr.keep.extend(reach_tensors)
    TRACES.append(tr)
    try:
        out = convert(fn)(*sym_args, **sym_kwargs)
        out_leaves = []
        out_struct = _flatten(out, out_leaves)
        outputs = [tr.value_of(t) for t in out_leaves]
        writes = []
        for i, (st, var) in enumerate(zip(symbolic, params)):
            if st._data is not var:  # the function assigned to an argument in place
                writes.append(("input", i))
                outputs.append(tr.value_of(st))
        written = [(t, original) for t, original, _ in tr.captures.values()]
        written += [(t, original) for t, original in watched if id(t) not in tr.captures]
        for t, original in written:
            if t._data is not original:  # e.g. an optimizer updating a Parameter
                new = t._data
                value = new if isinstance(new, Var) else Literal(new)
                writes.append(("capture", t))
                outputs.append(value)
    finally:
        TRACES.pop()
        for t, original, _ in tr.captures.values():
            t._data = original  # a Parameter assigned during the trace must keep its array
        for t, original in watched:
            t._data = original
    captures = [t for t, _, _ in tr.captures.values()]
    params.extend(var for _, _, var in tr.captures.values())
    graph_name = name or getattr(fn, "__qualname__", None) or type(fn).__name__
    graph = Graph(graph_name, params, tr.nodes, outputs)
    return Traced(graph, in_struct, out_struct, captures, writes, len(out_leaves))


def _reachable(fn, in_struct, depth=4):
    """The Parameters and the other Tensors ``fn`` can reach: through Cells (all their attributes
    and sub-cells), bound methods, partials, closures and the globals its code names (followed
    ``depth`` function levels), and the static arguments. Returns ``(parameters, tensors)``."""
    from ..nn.cell import Cell
    params = {}
    tensors = {}
    seen = set()

    def visit(obj, level):
        if id(obj) in seen or level > depth:
            return
        seen.add(id(obj))
        if isinstance(obj, Parameter):
            params[id(obj)] = obj
        elif isinstance(obj, Tensor):
            tensors[id(obj)] = obj
        elif isinstance(obj, Cell):
            for v in vars(obj).values():
                visit(v, level)  # a Cell's own attributes do not count as a level
        elif isinstance(obj, dict):
            for v in obj.values():
                visit(v, level)
        elif isinstance(obj, (list, tuple)):
            for v in obj:
                visit(v, level)
        elif isinstance(obj, TracedFunction):
            visit(obj.function, level + 1)
        elif isinstance(obj, functools.partial):
            visit(obj.func, level + 1)
            visit(obj.args, level + 1)
        elif hasattr(obj, "__self__") and hasattr(obj, "__func__"):
            visit(obj.__self__, level + 1)
            visit(obj.__func__, level + 1)
        elif hasattr(obj, "__code__") and hasattr(obj, "__globals__"):
            for cell in obj.__closure__ or ():
                try:
                    visit(cell.cell_contents, level + 1)
                except ValueError:  # an empty closure cell
                    pass
            glob = obj.__globals__
            for name in obj.__code__.co_names:
                if name in glob:
                    visit(glob[name], level + 1)

    visit(fn, 0)
    _visit_statics(in_struct, lambda v: visit(v, 1))
    live = [p for p in params.values() if p._data is not None and not isinstance(p._data, Var)]
    return live, list(tensors.values())


def _visit_statics(struct, fn):
    if isinstance(struct, _Static):
        fn(struct.value)
        return
    if isinstance(struct, _Leaf):
        return
    kind, parts = struct
    for part in parts:
        _visit_statics(part[1] if kind is dict else part, fn)


def trace(fn, *args, **kwargs):
    """Trace ``fn(*args, **kwargs)``; return ``(graph, out_tree)`` where ``out_tree`` is the result's
    structure. The graph's params are the Tensor arguments in order, then the tensors it captured
    (see ``trace_full`` for the list and for in-place writes)."""
    traced = trace_full(fn, args, kwargs)
    return traced.graph, traced.out_struct


# --- jit ----------------------------------------------------------------------------------------

_CAPTURE_MODES = ("ast", "bytecode", "trace")
_JIT_LEVELS = ("O0", "O1", "O2")


def _backend_name(backend):
    """The backend a jit runs on: "" (the context's ``backend`` when it compiles, "cpu" unless
    set) for MindSpore's own names, which all mean the default backend here."""
    if backend in ("", "ms_backend", "GE"):
        return ""
    return backend


class TracedFunction:
    """A function compiled by ``jit``: traces once per call signature and runs the cached graph.
    ``trace_count`` counts the traces done so far."""

    def __init__(self, function, backend):
        self.function = function
        self._backend = backend
        self.cache = {}
        self.trace_count = 0
        functools.update_wrapper(self, function, updated=())

    @property
    def backend_name(self):
        """The backend's name: the one given to jit, else the context's ``backend`` now."""
        return self._backend or _context["backend"]

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self
        return functools.partial(self, obj)

    def _key(self, args, kwargs):
        leaves = []
        struct = _flatten((tuple(args), dict(kwargs)), leaves)
        sig = []
        for t in leaves:
            data = t._data if t._data is not None else t._array()
            if isinstance(data, Var):
                return None, None  # called while tracing with symbolic values
            sig.append((data.shape, data.dtype))
        return (struct, tuple(sig)), leaves

    def __call__(self, *args, **kwargs):
        if TRACES:
            # inside another trace: inline (converted: its control flow on tensors compiles)
            from .parse import convert
            return convert(self.function)(*args, **kwargs)
        if _tape.TAPES:
            # under a gradient tape: run eagerly so that the tape sees the ops (a compiled call
            # would be a silent zero gradient)
            return self.function(*args, **kwargs)
        key, leaves = self._key(args, kwargs)
        entry = self.cache.get(key)
        arrays = [t._array() for t in leaves]
        if entry is not None:
            cap_arrays = [t._array() for t in entry.captures]
            for a, var in zip(cap_arrays, entry.graph.params[len(arrays):]):
                if a.shape != var.shape or a.dtype != var.dtype:  # a Parameter was replaced
                    entry = None
                    break
        if entry is None:
            entry = self._compile(args, kwargs)
            self.cache[key] = entry
            cap_arrays = [t._array() for t in entry.captures]
        if entry.runner is None:  # made here, not in _compile: dynamic.py builds entries too
            from ..runtime import get_backend
            entry.runner = get_backend(self.backend_name).prepare(entry.graph, donate=_donations(entry))
        results = entry.runner.run(arrays + cap_arrays)
        outs = [_wrap(r) for r in results[:entry.n_out]]
        for (kind, target), r in zip(entry.writes, results[entry.n_out:]):
            if kind == "input":
                leaves[target]._data = r
            else:
                target._data = r
        return _unflatten(entry.out_struct, outs)

    def _compile(self, args, kwargs):
        from ..ir.verify import verify
        from ..passes.pipeline import optimize
        from ..runtime import get_backend
        traced = trace_full(self.function, args, kwargs)
        self.trace_count += 1
        verify(traced.graph)
        # the passes the backend wants (expand, fold, simplify, cse, dce; save_graphs dumps each)
        traced.graph = optimize(traced.graph, backend=get_backend(self.backend_name))
        return traced


def jit(function=None, *, capture_mode="ast", jit_level="O0", dynamic=0, fullgraph=False, backend="",
        **options):
    """Compile a function (or a Cell, or a Cell method) into a graph (MindSpore's ``mindspore.jit``).

    The function is traced with symbolic Tensors on its first call for each signature (shapes
    and dtypes of its Tensor arguments, values of its other arguments); Python control flow on
    Python values is unrolled; an `if`, `while` or `for` on a traced tensor in the function (and
    in the ``construct`` of every Cell it calls) is converted from the source into an ``if`` or
    ``while`` node (``sporen.frontend.parse``), differentiable; what cannot be converted, or runs
    in a helper function the code calls, raises an error naming the file and line.
    Parameters and other tensors it reads are captured by reference, so updates between calls
    are seen. Works as ``@jit`` and ``@jit(...)``.
    """
    if not isinstance(capture_mode, str) or capture_mode not in _CAPTURE_MODES:
        raise ValueError(f"jit: 'capture_mode' must be one of {_CAPTURE_MODES}, got {capture_mode!r}")
    if not isinstance(jit_level, str) or jit_level not in _JIT_LEVELS:
        raise ValueError(f"jit: 'jit_level' must be one of {_JIT_LEVELS}, got {jit_level!r}")
    if isinstance(dynamic, bool) or dynamic not in (0, 1):
        raise ValueError(f"jit: 'dynamic' must be 0 or 1, got {dynamic!r}")
    if not isinstance(fullgraph, bool):
        raise TypeError(f"jit: 'fullgraph' must be a bool, got {type(fullgraph).__name__}")
    if not isinstance(backend, str):
        raise TypeError(f"jit: 'backend' must be a str, got {type(backend).__name__}")
    name = _backend_name(backend)
    if name:
        from ..runtime import get_backend
        get_backend(name)  # an unknown backend is an error now, not at the first call

    def wrap(fn):
        if not callable(fn):
            raise TypeError(f"jit: 'function' must be a function or a Cell, got {type(fn).__name__}")
        if dynamic:
            from .dynamic import DynamicFunction  # the dims that change between calls become dynamic
            return DynamicFunction(fn, name)
        return TracedFunction(fn, name)

    if function is None:
        return wrap
    return wrap(function)
