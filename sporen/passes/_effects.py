"""Which ops have effects: the one test every pass consults before merging, folding or removing a
node."""

__all__ = ["is_pure", "node_is_pure"]


def is_pure(op):
    """True when ``op`` computes its outputs from its inputs and attributes alone (its registry
    record says ``impure=False``). A random op is not: each run draws new numbers and advances the
    shared generator, so two calls must stay two nodes, it is never computed at compile time, and
    it is never removed (dropping an unused draw would shift every later draw away from what eager
    mode gives)."""
    return not op.impure


def node_is_pure(node):
    """``is_pure`` for a node, looking into the subgraphs of a control-flow node."""
    if not is_pure(node.op):
        return False
    for sub in node.subgraphs:
        for inner in sub.nodes:
            if not node_is_pure(inner):
                return False
    return True
