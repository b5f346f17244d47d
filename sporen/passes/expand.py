"""Expansion of composite ops: each node whose op has an entry in ``sporen.ops.composite.EXPANSIONS``
(softmax, layer_norm, batch_norm, gelu, the fused cross-entropies...) is replaced by the primitives
of its expansion, so that the fusion stage sees the elementwise ops and reductions inside."""
from ..autodiff import tape as _tape
from ..frontend import trace as _trace
from ..ir.graph import Graph, Literal, Node, Var
from ..ops.composite import EXPANSIONS

__all__ = ["expand", "expand_node"]

# an expansion may use another composite (none does today); this bounds a cycle between two
_MAX_DEPTH = 8


def _trace_expansion(node):
    """Trace ``EXPANSIONS[op](*inputs, **attrs)`` on fresh symbolic inputs of the node's input
    types. Returns ``(params, nodes, values)``: the fresh Var standing for each Var input (None for
    a Literal input), the traced nodes, and the graph value of each result."""
    fn = EXPANSIONS[node.op.name]
    tr = _trace._Trace()
    params = []
    tensors = []
    for value in node.inputs:
        if isinstance(value, Literal):
            t = _trace._wrap(value.value)
            # the trace reuses the node's own Literal (a large one would otherwise become a capture)
            tr.literals[id(t)] = value
            tr.keep.append(t)
            params.append(None)
        else:
            var = _trace.SymVar(value.shape, value.dtype, getattr(value, "hint", ""))
            t = _trace._wrap(var)
            params.append(var)
        tensors.append(t)
    _trace.TRACES.append(tr)
    try:
        with _tape.paused():  # the expansion is part of the graph, not of a gradient being taken
            out = fn(*tensors, **node.attrs)
        results = out if isinstance(out, tuple) else (out,)
        values = [tr.value_of(t) for t in results]
    finally:
        _trace.TRACES.pop()
    if tr.captures:
        raise RuntimeError(f"expand: the expansion of '{node.op.name}' reads a tensor that is not among its "
                           f"inputs; an expansion must be a function of its inputs and attributes alone")
    return params, tr.nodes, values


def _check_types(node, values):
    if len(values) != len(node.outputs):
        raise ValueError(f"expand: the expansion of '{node.op.name}' gives {len(values)} results, the op "
                         f"has {len(node.outputs)} outputs")
    for j, (var, value) in enumerate(zip(node.outputs, values)):
        if tuple(value.shape) != tuple(var.shape) or value.dtype != var.dtype:
            raise ValueError(f"expand: the expansion of '{node.op.name}' gives result {j} of shape "
                             f"{tuple(value.shape)} and dtype {value.dtype}; the node's output is "
                             f"{tuple(var.shape)} {var.dtype}")


def expand_node(node, depth=0):
    """The primitives replacing ``node`` and the substitution of its outputs: ``(nodes, subst)``
    where ``subst`` maps each output Var of ``node`` to the value (Var or Literal) that now stands
    for it. The new nodes read the node's own inputs; their other Vars are fresh."""
    params, traced, values = _trace_expansion(node)
    _check_types(node, values)
    rename = {p: v for p, v in zip(params, node.inputs) if p is not None}
    nodes = []
    for inner in traced:
        inputs = tuple(rename.get(v, v) if isinstance(v, Var) else v for v in inner.inputs)
        inner = Node(inner.op, inputs, inner.attrs, inner.outputs, inner.subgraphs)
        if inner.op.name in EXPANSIONS and not inner.subgraphs and depth < _MAX_DEPTH:
            more, inner_subst = expand_node(inner, depth + 1)
            nodes.extend(more)
            rename.update(inner_subst)
        else:
            nodes.append(inner)
    subst = {}
    for var, value in zip(node.outputs, values):
        subst[var] = rename.get(value, value) if isinstance(value, Var) else value
    return nodes, subst


def expand(graph, only=None):
    """Return a new graph where every node whose op has an expansion (and is in ``only``, a set of
    op names, when given) is replaced by the primitives of that expansion, traced on the node's
    input types with its attributes.

    Pre: ``graph`` verifies. Post: it verifies; same params; no node's op has an expansion (up to
    a nesting depth of 8); outputs substituted; the values equal those of the composite kernels up
    to rounding (an expansion computes the same formula in more steps). Subgraphs are expanded on
    their own. The numpy reference backend skips this pass (one composite kernel is faster there
    than its primitives); backends that fuse want it (``Backend.expand_composites``)."""
    subst = {}
    nodes = []
    for node in graph.nodes:
        inputs = tuple(subst.get(v, v) for v in node.inputs)
        subs = tuple(expand(sub, only) for sub in node.subgraphs)
        if inputs != node.inputs or subs != node.subgraphs:
            node = Node(node.op, inputs, node.attrs, node.outputs, subs)
        if node.op.name in EXPANSIONS and not node.subgraphs and (only is None or node.op.name in only):
            more, node_subst = expand_node(node)
            nodes.extend(more)
            subst.update(node_subst)
            continue
        nodes.append(node)
    outputs = tuple(subst.get(v, v) for v in graph.outputs)
    return Graph(graph.name, graph.params, nodes, outputs)
