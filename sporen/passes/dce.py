"""Dead code elimination: drop the nodes whose outputs nothing uses."""
from ..ir.graph import Graph, Node, Var
from ._effects import node_is_pure

__all__ = ["dce"]


def dce(graph):
    """Return a new graph without the pure nodes none of whose outputs reaches the graph's outputs.

    Pre: ``graph`` verifies. Post: it verifies; same params and outputs; every remaining pure node
    has an output that is used; impure nodes (random draws) all stay, in their order, because
    removing one would change what every later draw gives. Subgraphs are cleaned the same way
    (their params and outputs are kept: the control-flow op binds them by position)."""
    live = {v for v in graph.outputs if isinstance(v, Var)}
    kept = []
    for node in reversed(graph.nodes):
        used = any(out in live for out in node.outputs)
        if not used and node_is_pure(node):
            continue
        for v in node.inputs:
            if isinstance(v, Var):
                live.add(v)
        kept.append(node)
    kept.reverse()
    nodes = []
    for node in kept:
        if node.subgraphs:
            subs = tuple(dce(sub) for sub in node.subgraphs)
            node = Node(node.op, node.inputs, node.attrs, node.outputs, subs)
        nodes.append(node)
    return Graph(graph.name, graph.params, nodes, graph.outputs)
