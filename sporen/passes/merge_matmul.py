"""Fewer, larger matrix products: a sum of matmuls sharing their output shape becomes one matmul
over operands concatenated along the contracted axis, and a transposed matmul becomes the matmul
of the swapped operands.

Why: reverse mode accumulates a weight used at every step of a recurrence as an add chain of one
small product per step. The LSTM's ``dW_hh = sum_t h_{t-1}^T @ dgates_t`` is 35 products with
K = 20 rows each and 34 additions of the whole (256, 1024) gradient; as one product over the
concatenated rows (K = 700) BLAS runs it near its peak and the additions disappear. The rewrite
changes only the order in which the terms are summed (the value is equal up to float rounding).

The pass runs on every backend: the numpy reference runs ``np.matmul`` on the same BLAS, where
fewer, larger products pay the same way, and one graph for all backends keeps the cpu backend's
results comparable with the reference's.
"""
from ..ir.graph import Graph, Node, Var
from ..ops.registry import OPS

__all__ = ["merge_matmul", "MERGE_MAX_K"]

# A sum of products whose operands must be copied into a new concatenation is merged only when the
# terms are thin (every term's contracted size at most this): then BLAS runs each term far below
# its peak. Thick terms (the Transformer's dX = dQ Wq + dK Wk + dV Wv, K = 256 each) already run
# near the peak, and copying their operands costs about what the additions saved.
MERGE_MAX_K = 128


def _flags(node):
    return (bool(node.attrs.get("transpose_a", False)), bool(node.attrs.get("transpose_b", False)))


def _use_counts(graph):
    uses = {}
    for node in graph.nodes:
        for v in node.inputs:
            if isinstance(v, Var):
                uses[v] = uses.get(v, 0) + 1
    for v in graph.outputs:
        if isinstance(v, Var):
            uses[v] = uses.get(v, 0) + 1
    return uses


def _is_plain_add(node):
    """An add of two Vars of the output's shape and dtype, a float (no broadcast, no promotion)."""
    if node.op.name != "add" or len(node.outputs) != 1 or len(node.inputs) != 2:
        return False
    out = node.outputs[0]
    if out.dtype.kind != "f":
        return False
    for v in node.inputs:
        if not isinstance(v, Var) or v.shape != out.shape or v.dtype != out.dtype:
            return False
    return True


def _is_plain_matmul(node):
    """A 2-D float matmul whose operands have its output's dtype."""
    if node.op.name != "matmul" or len(node.outputs) != 1 or len(node.inputs) != 2:
        return False
    out = node.outputs[0]
    if out.dtype.kind != "f" or out.ndim != 2:
        return False
    return all(len(v.shape) == 2 and v.dtype == out.dtype for v in node.inputs)


def _sum_tree(root, producers, interior):
    """The terms of the sum tree rooted at ``root``, left to right, and its inner adds."""
    terms = []
    inner_adds = []
    stack = list(reversed(root.inputs))
    while stack:
        v = stack.pop()
        inner = producers.get(v)
        if inner is not None and inner in interior:
            inner_adds.append(inner)
            stack.extend(reversed(inner.inputs))
        else:
            terms.append(v)
    return terms, inner_adds


def _contracted_axes(flags):
    """The axis of a and of b that the product contracts, given (transpose_a, transpose_b)."""
    transpose_a, transpose_b = flags
    return (0 if transpose_a else 1), (1 if transpose_b else 0)


class _Sources:
    """What already holds a list of values joined along an axis: a concat node with the same
    inputs (in any order: a sum may be reordered to match it) or the one input a split node cut
    into exactly these pieces."""

    def __init__(self, nodes):
        self.concats = {}
        self.splits = {}
        for node in nodes:
            if node.op.name == "concat" and len(node.inputs) > 1:
                key = (frozenset(node.inputs), int(node.attrs["axis"]))
                self.concats.setdefault(key, node.inputs)
            elif node.op.name == "split" and len(node.inputs) == 1:
                self.splits[node.outputs] = (node.inputs[0], int(node.attrs["axis"]))

    def order(self, values, axis):
        """The order of an existing concat of exactly ``values`` along ``axis``, or None."""
        if len(set(values)) != len(values):
            return None
        return self.concats.get((frozenset(values), axis))

    def whole(self, values, axis):
        """The value a split cut into ``values`` (in order) along ``axis``, or None."""
        found = self.splits.get(tuple(values))
        if found is not None and found[1] % 2 == axis:
            return found[0]
        return None


def _merge_terms(terms, producers, single, sources):
    """The matmul terms worth merging (the largest group sharing transpose flags and the output's
    shape), ordered to match an existing concat of either operand list, or None."""
    groups = {}
    for v in terms:
        node = producers.get(v)
        if node is not None and node in single and _is_plain_matmul(node):
            groups.setdefault(_flags(node), []).append(node)
    if not groups:
        return None
    flags, group = max(groups.items(), key=lambda item: len(item[1]))
    if len(group) < 2:
        return None
    axis_a, axis_b = _contracted_axes(flags)
    a_list = [n.inputs[0] for n in group]
    b_list = [n.inputs[1] for n in group]
    for values, axis, side in ((b_list, axis_b, 1), (a_list, axis_a, 0)):
        existing = sources.order(values, axis)
        if existing is not None:
            position = {v: i for i, v in enumerate(existing)}
            group = sorted(group, key=lambda n: position[n.inputs[side]])
            return flags, group
    return flags, group


def _worth_it(flags, group, sources):
    """Thin terms always; thick ones only when neither operand list needs a copy."""
    axis_a, axis_b = _contracted_axes(flags)
    a_list = [n.inputs[0] for n in group]
    b_list = [n.inputs[1] for n in group]
    if max(n.inputs[0].shape[axis_a] for n in group) <= MERGE_MAX_K:
        return True
    free_a = sources.order(a_list, axis_a) is not None or sources.whole(a_list, axis_a) is not None
    free_b = sources.order(b_list, axis_b) is not None or sources.whole(b_list, axis_b) is not None
    return free_a and free_b


def _joined(values, axis, sources, new_nodes):
    """One value holding ``values`` joined along ``axis``: the value a split cut, else a new concat
    (an existing equal concat is cse's to merge it with)."""
    whole = sources.whole(values, axis)
    if whole is not None:
        return whole
    shape = list(values[0].shape)
    shape[axis] = sum(v.shape[axis] for v in values)
    out = Var(tuple(shape), values[0].dtype)
    new_nodes.append(Node(OPS["concat"], tuple(values), {"axis": axis}, (out,)))
    return out


def _rewrite_sum(root, terms, flags, group, sources):
    """The nodes replacing the sum tree at ``root``: concats, the merged matmul, then adds of the
    terms left out, the last one defining ``root``'s output."""
    new_nodes = []
    axis_a, axis_b = _contracted_axes(flags)
    a = _joined([n.inputs[0] for n in group], axis_a, sources, new_nodes)
    b = _joined([n.inputs[1] for n in group], axis_b, sources, new_nodes)
    merged_outputs = {n.outputs[0] for n in group}
    rest = [v for v in terms if v not in merged_outputs]
    out = root.outputs[0]
    attrs = {"transpose_a": flags[0], "transpose_b": flags[1]}
    product = out if not rest else Var(out.shape, out.dtype)
    new_nodes.append(Node(OPS["matmul"], (a, b), attrs, (product,)))
    total = product
    for i, v in enumerate(rest):
        target = out if i == len(rest) - 1 else Var(out.shape, out.dtype)
        new_nodes.append(Node(root.op, (total, v), root.attrs, (target,)))
        total = target
    return new_nodes


def _swap_transposed(node, producers, uses):
    """``transpose(matmul(a, b), (1, 0))`` as ``matmul(b, a)`` with the flags swapped and negated,
    when the product is used only there: the product is written in the layout its user wants."""
    if node.op.name != "transpose" or len(node.outputs) != 1:
        return None
    (x,) = node.inputs
    if not isinstance(x, Var) or x.ndim != 2 or uses.get(x) != 1:
        return None
    perm = tuple(int(p) % 2 for p in node.attrs.get("perm", ()))
    inner = producers.get(x)
    if perm != (1, 0) or inner is None or not _is_plain_matmul(inner):
        return None
    transpose_a, transpose_b = _flags(inner)
    a, b = inner.inputs
    attrs = {"transpose_a": not transpose_b, "transpose_b": not transpose_a}
    return inner, Node(inner.op, (b, a), attrs, node.outputs)


def merge_matmul(graph):
    """Return a new graph where (1) each tree of plain adds (same shape and float dtype, inner adds
    used once) whose terms include two or more 2-D matmuls with equal transpose flags, each used
    only there, computes those terms as one matmul of operands concatenated along the contracted
    axis (an existing concat of the same operands fixes the order; the input of a split that cut
    exactly these operands is used as it is), plus the other terms; (2) a 2-D matmul used only by a
    ``transpose(perm=(1, 0))`` is that transpose, computed as ``matmul(b, a)`` with swapped flags.

    Pre: ``graph`` verifies. Post: it verifies; same params and outputs (the same Vars); every node
    left is one of the input's or a concat/matmul/add computing a value of the input graph up to
    the order of a sum; the merged terms and inner adds are gone. Thick terms (contracted size over
    MERGE_MAX_K) whose operands would need copying are left alone. Subgraphs are processed on their
    own."""
    uses = _use_counts(graph)
    producers = {}
    for node in graph.nodes:
        for out in node.outputs:
            producers[out] = node
    # matmuls used once: each is a term of at most one sum tree, free to be merged away
    single = {node for node in graph.nodes
              if node.op.name == "matmul" and len(node.outputs) == 1 and uses.get(node.outputs[0]) == 1}
    interior = set()
    for node in graph.nodes:
        if not _is_plain_add(node):
            continue
        for v in node.inputs:
            inner = producers.get(v)
            if uses.get(v) == 1 and inner is not None and _is_plain_add(inner):
                interior.add(inner)
    sources = _Sources(graph.nodes)
    replaced = {}  # a root add -> the nodes that replace it
    dropped = set()  # merged matmuls and the inner adds of replaced trees
    for node in graph.nodes:
        if not _is_plain_add(node) or node in interior:
            continue
        terms, inner_adds = _sum_tree(node, producers, interior)
        found = _merge_terms(terms, producers, single, sources)
        if found is None or not _worth_it(found[0], found[1], sources):
            continue
        flags, group = found
        replaced[node] = _rewrite_sum(node, terms, flags, group, sources)
        dropped.update(group)
        dropped.update(inner_adds)
    nodes = []
    new_producers = {}
    swapped = set()  # products now computed by the transpose that used them
    for node in graph.nodes:
        if node in dropped:
            continue
        if node.subgraphs:
            subs = tuple(merge_matmul(sub) for sub in node.subgraphs)
            node = Node(node.op, node.inputs, node.attrs, node.outputs, subs)
        for new in replaced.get(node, (node,)):
            swap = _swap_transposed(new, new_producers, uses)
            if swap is not None:
                swapped.add(swap[0])
                new = swap[1]
            nodes.append(new)
            for out in new.outputs:
                new_producers[out] = new
    if swapped:
        nodes = [n for n in nodes if n not in swapped]
    return Graph(graph.name, graph.params, nodes, graph.outputs)
