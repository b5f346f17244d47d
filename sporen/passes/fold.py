"""Constant folding: a node whose inputs are all Literals is computed now, with the op's kernel,
and its outputs become Literals."""
import numpy as np

from ..ir.graph import Graph, Literal, Node
from ._effects import node_is_pure

__all__ = ["fold", "FOLD_BYTES"]

# a folded result larger than this stays a node: a big constant costs memory in every copy of
# the graph (and its dump), where recomputing it costs one kernel call
FOLD_BYTES = 64 * 1024


def _evaluate(node):
    """The node's outputs as arrays, or None when it must not be folded: the kernel fails (the
    error belongs to the run, as in eager mode), a result disagrees with the node's declared type,
    or the results are larger than FOLD_BYTES."""
    args = [v.value for v in node.inputs]
    try:
        with np.errstate(all="ignore"):
            out = node.op.kernel(*args, **node.attrs)
    except Exception:
        return None
    if node.op.nout == 1:
        results = (out,)
    else:
        results = tuple(out)
    if len(results) != len(node.outputs):
        return None
    # a copy: a kernel may return a view of an input Literal's array
    results = tuple(np.array(r) for r in results)
    for r, var in zip(results, node.outputs):
        if r.shape != var.shape or r.dtype != var.dtype:
            return None
    if sum(r.nbytes for r in results) > FOLD_BYTES:
        return None
    return results


def fold(graph):
    """Return a new graph where every pure node without subgraphs whose inputs are all Literals
    (after earlier folds) is replaced by Literals holding its results.

    Pre: ``graph`` verifies. Post: it verifies; same params; an output folded to a constant is a
    Literal in ``outputs``; no random op is folded (it draws new numbers at every run); results
    over FOLD_BYTES, and nodes whose kernel raises, stay nodes. Subgraphs are folded on their own."""
    subst = {}
    nodes = []
    for node in graph.nodes:
        inputs = tuple(subst.get(v, v) for v in node.inputs)
        subs = tuple(fold(sub) for sub in node.subgraphs)
        changed = inputs != node.inputs or subs != node.subgraphs
        if changed:
            node = Node(node.op, inputs, node.attrs, node.outputs, subs)
        if not subs and node_is_pure(node) and all(isinstance(v, Literal) for v in inputs):
            results = _evaluate(node)
            if results is not None:
                for var, r in zip(node.outputs, results):
                    subst[var] = Literal(r)
                continue
        nodes.append(node)
    outputs = tuple(subst.get(v, v) for v in graph.outputs)
    return Graph(graph.name, graph.params, nodes, outputs)
