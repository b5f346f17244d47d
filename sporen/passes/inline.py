"""Inlining of decided control flow: an ``if`` whose condition is a Literal is replaced by the nodes
of the branch it takes."""
from ..ir.graph import Graph, Literal, Node, Var

__all__ = ["inline"]


def _fresh(var):
    return Var(var.shape, var.dtype, var.hint)


def _splice(branch, inputs, nodes):
    """Append copies of ``branch``'s nodes to ``nodes``, its params bound to ``inputs``; return its
    outputs as values of the enclosing graph. Every Var the branch defines gets a new Var, so the
    same subgraph can be inlined twice (and the original stays intact)."""
    env = dict(zip(branch.params, inputs))
    for node in branch.nodes:
        ins = tuple(env.get(v, v) if isinstance(v, Var) else v for v in node.inputs)
        outs = tuple(_fresh(o) for o in node.outputs)
        env.update(zip(node.outputs, outs))
        nodes.append(Node(node.op, ins, node.attrs, outs, node.subgraphs))
    return [env.get(v, v) if isinstance(v, Var) else v for v in branch.outputs]


def inline(graph):
    """Return a new graph where every ``if`` node whose condition is a Literal (after constant
    folding, or a Python condition made a tensor) is replaced by the nodes of the branch taken,
    and its outputs by that branch's outputs.

    Pre: ``graph`` verifies. Post: it verifies; same params; outputs substituted; no ``if`` node
    has a Literal condition. Subgraphs are inlined on their own first (a decided ``if`` inside a
    loop body goes too). Branch nodes are copied with new Vars."""
    subst = {}
    nodes = []
    for node in graph.nodes:
        inputs = tuple(subst.get(v, v) if isinstance(v, Var) else v for v in node.inputs)
        subs = tuple(inline(sub) for sub in node.subgraphs)
        if node.op.name == "if" and isinstance(inputs[0], Literal):
            branch = subs[0] if bool(inputs[0].value) else subs[1]
            results = _splice(branch, inputs[1:], nodes)
            for out, value in zip(node.outputs, results):
                subst[out] = value
            continue
        if inputs != node.inputs or subs != node.subgraphs:
            node = Node(node.op, inputs, node.attrs, node.outputs, subs)
        nodes.append(node)
    outputs = tuple(subst.get(v, v) if isinstance(v, Var) else v for v in graph.outputs)
    return Graph(graph.name, graph.params, nodes, outputs)
