"""Algebraic simplification: identities that remove a node (``x * 1``, ``x + 0``, ``x - 0``,
``x / 1``, ``neg(neg(x))``, a reshape to the same shape, a cast to the same dtype, a transpose by
the identity permutation) and ones that shorten a chain (a reshape of a reshape; a matrix product
of a transposed operand, which becomes the product's transpose flag)."""
import numpy as np

from ..ir.graph import Graph, Literal, Node, Var

__all__ = ["simplify", "RULES"]


def _same_type(a, b):
    return tuple(a.shape) == tuple(b.shape) and a.dtype == b.dtype


def _all_equal(value, scalar):
    """True when ``value`` is a Literal whose every element equals ``scalar``."""
    if not isinstance(value, Literal):
        return False
    v = value.value
    if v.size == 1:
        return bool(v.item() == scalar)  # most Literals are scalars: no temporary array
    return v.size > 0 and bool(np.all(v == scalar))


def _drop_identity(identity, commutes):
    """The rule for a binary op with a right identity element (``x * 1``; also ``1 * x`` when the
    op commutes): the output is the other operand when that has the output's shape and dtype (a
    literal that broadcasts or promotes the result keeps the node)."""
    def rule(node, inputs, producers):
        x, y = inputs
        out = node.outputs[0]
        if _all_equal(y, identity) and _same_type(x, out):
            return x
        if commutes and _all_equal(x, identity) and _same_type(y, out):
            return y
        return None
    return rule


def _neg(node, inputs, producers):
    inner = producers.get(inputs[0])
    if inner is not None and inner.op.name == "neg":
        return inner.inputs[0]
    return None


def _reshape(node, inputs, producers):
    (x,) = inputs
    inner = producers.get(x)
    if inner is not None and inner.op.name == "reshape":
        x = inner.inputs[0]  # reshape(reshape(x, a), b) == reshape(x, b)
    if _same_type(x, node.outputs[0]):
        return x
    if x is not inputs[0]:
        return Node(node.op, (x,), node.attrs, node.outputs)
    return None


def _same_type_rule(node, inputs, producers):
    """For ops that are the identity exactly when the type does not change (cast)."""
    x = inputs[0]
    if _same_type(x, node.outputs[0]):
        return x
    return None


def _transpose(node, inputs, producers):
    (x,) = inputs
    perm = tuple(int(p) % max(x.ndim, 1) for p in node.attrs.get("perm", ()))
    if perm == tuple(range(x.ndim)) and _same_type(x, node.outputs[0]):
        return x
    return None


def _swaps_last_two(node, ndim):
    """Whether ``node`` is a transpose exchanging the last two axes of an ``ndim``-D value only."""
    if node is None or node.op.name != "transpose" or ndim < 2:
        return False
    perm = tuple(int(p) % ndim for p in node.attrs.get("perm", ()))
    return perm == tuple(range(ndim - 2)) + (ndim - 1, ndim - 2)


def _matmul(node, inputs, producers):
    """``matmul(transpose(a), b)`` as ``matmul(a, b, transpose_a=True)`` (and for ``b``): BLAS
    reads the operand transposed, so the transpose need not be copied (it was for a backend that
    makes each operand contiguous)."""
    attrs = dict(node.attrs)
    new = list(inputs)
    for i, flag in ((0, "transpose_a"), (1, "transpose_b")):
        v = inputs[i]
        inner = producers.get(v)
        if isinstance(v, Var) and _swaps_last_two(inner, v.ndim):
            new[i] = inner.inputs[0]
            attrs[flag] = not attrs.get(flag, False)
    if new == list(inputs):
        return None
    return Node(node.op, tuple(new), attrs, node.outputs)


# op name -> rule(node, inputs, producers): the value that replaces the node's one output, a new
# Node computing the same output more directly, or None (no change). ``inputs`` are the node's
# inputs after earlier substitutions; ``producers`` maps a Var to the node that defines it.
RULES = {
    "mul": _drop_identity(1, commutes=True),
    "add": _drop_identity(0, commutes=True),
    "sub": _drop_identity(0, commutes=False),
    "div": _drop_identity(1, commutes=False),
    "neg": _neg,
    "reshape": _reshape,
    "cast": _same_type_rule,
    "transpose": _transpose,
    "matmul": _matmul,
    "batch_matmul": _matmul,
}


def simplify(graph):
    """Return a new graph with the RULES applied to every node, in order, each node's result
    feeding the rules of the nodes after it (so ``neg(neg(neg(neg(x))))`` becomes ``x``).

    Pre: ``graph`` verifies. Post: it verifies; same params; every removed output is replaced by
    its substitute everywhere, graph outputs included; no rule changes a shape or a dtype. Values
    are the same bit for bit, with one exception: ``x + 0`` is ``x`` where IEEE gives ``+0.0`` for
    ``-0.0 + 0.0`` (equal values, as every simplifier of the field treats them). Nodes left
    unused (the inner reshape of a chain) are DCE's to remove. Subgraphs are simplified on their own."""
    subst = {}
    producers = {}
    nodes = []
    for node in graph.nodes:
        inputs = tuple(subst.get(v, v) for v in node.inputs)
        if node.subgraphs:
            subs = tuple(simplify(sub) for sub in node.subgraphs)
            nodes.append(Node(node.op, inputs, node.attrs, node.outputs, subs))
            continue
        if inputs != node.inputs:
            node = Node(node.op, inputs, node.attrs, node.outputs)
        rule = RULES.get(node.op.name)
        result = rule(node, inputs, producers) if rule is not None and len(node.outputs) == 1 else None
        if isinstance(result, (Var, Literal)):
            subst[node.outputs[0]] = result
            continue
        if isinstance(result, Node):
            node = result
        for out in node.outputs:
            producers[out] = node
        nodes.append(node)
    outputs = tuple(subst.get(v, v) for v in graph.outputs)
    return Graph(graph.name, graph.params, nodes, outputs)
