"""Which ops have effects: the one list every pass consults before merging, folding or removing a
node."""

__all__ = ["IMPURE_OPS", "is_pure", "node_is_pure"]

# ops outside the "random" family that draw from the random stream
IMPURE_OPS = frozenset({"dropout_mask", "log_uniform_candidates"})


def is_pure(op):
    """True when ``op`` computes its outputs from its inputs and attributes alone. A random op is
    not: each run draws new numbers and advances the shared generator, so two calls must stay two
    nodes, it is never computed at compile time, and it is never removed (dropping an unused draw
    would shift every later draw away from what eager mode gives)."""
    return op.family != "random" and op.name not in IMPURE_OPS


def node_is_pure(node):
    """``is_pure`` for a node, looking into the subgraphs of a control-flow node."""
    if not is_pure(node.op):
        return False
    for sub in node.subgraphs:
        for inner in sub.nodes:
            if not node_is_pure(inner):
                return False
    return True
