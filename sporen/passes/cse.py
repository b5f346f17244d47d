"""Common subexpression elimination: a node equal to an earlier one (same op, same inputs, equal
attributes) is replaced by the earlier node's outputs."""
from ..ir.graph import Graph, Literal, Node
from ._effects import node_is_pure

__all__ = ["cse"]


def _value_key(value):
    """A Var is itself; a Literal is its dtype, shape and bytes (so ``0.0`` and ``-0.0`` differ)."""
    if isinstance(value, Literal):
        v = value.value
        return ("literal", v.dtype.str, v.shape, v.tobytes())
    return value


def _attr_key(value):
    """Attributes compared with their types: ``1``, ``1.0`` and ``True`` are equal in Python but
    not the same attribute."""
    if isinstance(value, (tuple, list)):
        return (type(value), tuple([_attr_key(v) for v in value]))
    return (type(value), value)


def _node_key(node, inputs):
    attrs = node.attrs
    if attrs:
        attr_key = tuple([(k, _attr_key(attrs[k])) for k in sorted(attrs)])
    else:
        attr_key = ()
    return (node.op.name, tuple([_value_key(v) for v in inputs]), attr_key)


def cse(graph):
    """Return a new graph where each pure node that repeats an earlier node's op, inputs and
    attributes is removed and its outputs are replaced by the earlier node's.

    Pre: ``graph`` verifies. Post: it verifies; same params; outputs substituted the same way;
    no two pure nodes without subgraphs have equal keys. Impure nodes (random draws) and
    control-flow nodes are never merged; subgraphs are processed on their own."""
    subst = {}
    seen = {}
    nodes = []
    for node in graph.nodes:
        inputs = tuple(subst.get(v, v) for v in node.inputs)
        if node.subgraphs:
            subs = tuple(cse(sub) for sub in node.subgraphs)
            nodes.append(Node(node.op, inputs, node.attrs, node.outputs, subs))
            continue
        key = None
        if node_is_pure(node):
            key = _node_key(node, inputs)
            earlier = seen.get(key)
            if earlier is not None:
                for out, same in zip(node.outputs, earlier.outputs):
                    subst[out] = same
                continue
        if inputs != node.inputs:
            node = Node(node.op, inputs, node.attrs, node.outputs)
        if key is not None:
            seen[key] = node
        nodes.append(node)
    outputs = tuple(subst.get(v, v) for v in graph.outputs)
    return Graph(graph.name, graph.params, nodes, outputs)
