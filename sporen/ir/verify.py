"""The IR verifier: ``verify(graph)`` checks that a graph is well formed (SSA scoping, registered
ops, hashable attributes, output counts, and output types agreeing with each op's shape rule).
Tests run it after every pass."""
from ..dtype import _BY_NP
from .graph import Literal, Var
from .printer import Namer, node_text

__all__ = ["verify", "VerifyError"]


class VerifyError(ValueError):
    """A graph breaks one of the IR's rules; the message names the graph, the node and the rule."""


def _aval_text(aval):
    return f"{aval.dtype}{list(aval.shape)}"


class _Where:
    """``graph 'f', node 3 `%5: Float32[2] = add(%3, %4)``, formatted only when a check fails."""

    __slots__ = ("gname", "index", "node", "namer")

    def __init__(self, gname, index, node, namer):
        self.gname = gname
        self.index = index
        self.node = node
        self.namer = namer

    def __str__(self):
        return f"{self.gname}, node {self.index} `{node_text(self.node, self.namer)}`"


class _LazyNamer:
    """A Namer that numbers ``graph`` the first time a name is asked for: names appear only in
    error messages, and numbering every graph up front would cost a third of a verify."""

    __slots__ = ("graph", "namer")

    def __init__(self, graph):
        self.graph = graph
        self.namer = None

    def _ready(self):
        if self.namer is None:
            self.namer = Namer()
            self.namer.number_graph(self.graph)
        return self.namer

    def name(self, value):
        return self._ready().name(value)

    def define(self, var):
        return self._ready().define(var)


class _Checker:
    def __init__(self, namer):
        # the registry is imported here, not at import time: sporen.ir stays importable from core modules
        from ..ops.registry import OPS, Aval
        self.namer = namer
        self.ops = OPS
        self.aval_type = Aval

    def aval(self, value):
        """The abstract value (shape, sporen dtype) of a Var or Literal."""
        return self.aval_type(value.shape, _BY_NP.get(value.dtype))

    def fail(self, where, problem):
        raise VerifyError(f"verify: {where}: {problem}")

    def check_graph(self, graph, outer=None):
        """Check ``graph``; ``outer`` is the description of the node holding it (for subgraphs).
        A subgraph is closed: it sees only its own params and nodes, as the interpreter runs it."""
        gname = f"graph '{graph.name}'" if outer is None else f"{outer}, subgraph '{graph.name}'"
        defined = set()
        for i, p in enumerate(graph.params):
            if not isinstance(p, Var):
                self.fail(gname, f"param {i} is not a Var: {p!r}")
            if p.dtype not in _BY_NP:
                self.check_dtype(gname, f"param {i} {self.namer.name(p)}", p)
            if p in defined:
                self.fail(gname, f"param {i} {self.namer.name(p)} is defined twice")
            defined.add(p)
        params = set(graph.params)
        for i, node in enumerate(graph.nodes):
            self.check_node(gname, i, node, defined, params)
        for j, out in enumerate(graph.outputs):
            if isinstance(out, Literal):
                continue
            if not isinstance(out, Var):
                self.fail(gname, f"output {j} is not a Var or Literal: {out!r}")
            if out not in defined:
                self.fail(gname, f"output {j} {self.namer.name(out)} is never defined")

    def check_node(self, gname, index, node, defined, params):
        op = node.op
        op_name = getattr(op, "name", None)
        where = _Where(gname, index, node, self.namer)
        if op_name is None or self.ops.get(op_name) is not op:
            self.fail(where, f"op {op!r} is not the registered op of that name")
        attrs = node.attrs
        if attrs:
            try:
                hash(tuple(attrs.values()))
            except TypeError:
                for k, v in attrs.items():
                    try:
                        hash(v)
                    except TypeError:
                        self.fail(where, f"attribute '{k}' is not hashable: {type(v).__name__} {v!r}")
        for j, v in enumerate(node.inputs):
            if isinstance(v, Literal):
                self.check_dtype(where, f"input {j} (a Literal)", v)
                continue
            if not isinstance(v, Var):
                self.fail(where, f"input {j} is not a Var or Literal: {v!r}")
            if v not in defined:
                self.fail(where, f"input {j} {self.namer.name(v)} is used before it is defined (or never)")
        for j, out in enumerate(node.outputs):
            if not isinstance(out, Var):
                self.fail(where, f"output {j} is not a Var: {out!r}")
            if out.dtype not in _BY_NP:
                self.check_dtype(where, f"output {j} {self.namer.name(out)}", out)
            if out in params:
                self.fail(where, f"output {j} {self.namer.name(out)} redefines a param")
            if out in defined:
                self.fail(where, f"output {j} {self.namer.name(out)} is defined twice")
            defined.add(out)
        for sub in node.subgraphs:
            self.check_graph(sub, where)
        self.check_types(where, op, node)

    def check_dtype(self, where, what, value):
        if value.dtype not in _BY_NP:
            self.fail(where, f"{what} has dtype {value.dtype}, which is no sporen dtype")

    def check_types(self, where, op, node):
        aval_type = self.aval_type
        avals = [aval_type(v.shape, _BY_NP.get(v.dtype)) for v in node.inputs]
        extra = {"subgraphs": node.subgraphs} if node.subgraphs else {}
        try:
            inferred = op.infer(*avals, **node.attrs, **extra)
        except Exception as exc:
            self.fail(where, f"the shape rule of '{op.name}' rejects the inputs: {type(exc).__name__}: {exc}")
        if isinstance(inferred, (tuple, list)):
            inferred = tuple(inferred)
        else:
            inferred = (inferred,)
        if op.nout == 1 and len(inferred) != 1:
            self.fail(where, f"op '{op.name}' has 1 output but its shape rule gives {len(inferred)}")
        if op.nout not in (1, -1) and len(inferred) != op.nout:
            self.fail(where, f"op '{op.name}' has {op.nout} outputs but its shape rule gives {len(inferred)}")
        if len(node.outputs) != len(inferred):
            self.fail(where, f"the node has {len(node.outputs)} outputs, op '{op.name}' gives {len(inferred)}")
        for j, (out, want) in enumerate(zip(node.outputs, inferred)):
            if out.shape == want.shape and _BY_NP.get(out.dtype) is want.dtype:
                continue  # the common case, without building an Aval
            have = self.aval(out)
            if have.shape != tuple(want.shape) or have.dtype is not want.dtype:
                self.fail(where, f"output {j} {self.namer.name(out)} is {_aval_text(have)} but "
                                 f"'{op.name}' infers {_aval_text(want)}")


def verify(graph):
    """Check that ``graph`` is well formed; raise VerifyError naming the node and the problem.
    The rules: every Var is defined once (params included) before it is used; each op is the one
    registered under its name; attributes are hashable; a node has as many outputs as its op gives
    and their shapes and dtypes are what the op's shape rule infers from the inputs; the graph's
    outputs are defined. Subgraphs are checked as closed graphs. Returns None."""
    _Checker(_LazyNamer(graph)).check_graph(graph)
