"""Fusion into groups: ``fuse(graph)`` puts the fusible nodes (elementwise, reductions, the view ops)
into groups and each group into one ``fused`` node holding it as a closed subgraph.

How groups form: the nodes are visited in schedule order and each fusible node's group is merged
with the group of each fusible producer of its inputs (vertical fusion: producer into consumer,
which also chains reductions with their elementwise prologue and epilogue: softmax, layer_norm,
the optimizer's update sharing the step's bias corrections). A merge happens only when all of
these hold:

1. **Placement** (keeps the schedule valid, hence the group graph acyclic and every group
   convex): the merged group runs where its last node was, so every node outside it that reads
   one of its values must come after that node in the schedule. Checked with each group's set of
   outside consumers: O(consumers) per merge, no reachability search. A convex merge that would
   need other nodes moved is refused: a version that kept a dynamic topological order instead
   (Pearce-Kelly) and allowed every convex merge gave the same node counts on five benchmark
   training steps (LeNet, ResNet-18, MLP, Transformer, LSTM), at about twice the time.
2. **No expensive recompute under broadcasting**: the renderer computes a group's values inside
   the loop nest of each output (and of each reduction), re-evaluating the expression of an
   unmaterialised value (anything but a reduction's result, which is materialised in scratch)
   for each element of the nest, except where the value is invariant in the inner loops (the
   compiler hoists it: layer_norm's ``rsqrt(var + eps)`` of shape ``[N, 1]`` in an ``[N, D]`` nest
   is computed N times, once per row). A producer is not merged into a consumer when that
   recomputation would add ``RECOMPUTE_LIMIT`` (4) or more cheap ops per element of the
   consumer's nest (an op's price, ``_COST``: 1 for add or compare, 3 for a division or square
   root, 10 for a transcendental op: exp, log, tanh, erf, pow...): ``sigmoid(w[C])`` read as
   ``[N, C]`` stays apart (the sigmoid would run N times per channel), while BatchNorm's
   per-channel ``[1, C, 1, 1]`` chain read in an ``[N, C, H, W]`` nest joins (N evaluations per
   channel against N*H*W elements).
3. **No expensive value computed in two loop nests**: a value whose expression costs at least
   ``EXPENSIVE`` (one transcendental op) and that is read by a reduction and by another fusible
   node (two loop nests of one group: softmax's ``exp``, read by its sum and by the division)
   ends its group, which writes it once; its readers form the next group. Measured with the
   C renderer (softmax, float32, one thread, loaded machine): 1024x128 364 -> 188 us, 32x10000
   1086 -> 527 us, 4096x1024 and 256x10 equal or better. Softmax and the cross-entropy with its
   gradient are therefore two kernels; log_softmax, layer_norm, batch_norm, gelu are one.

Then groups that read the same scalar from outside (a learning rate given as a parameter)
merge under the same rules (horizontal fusion), so that an optimizer's update over all the
parameters is one kernel.

After grouping: a group made only of ``reshape`` nodes is left as plain nodes (a reshape of a
contiguous buffer is a pointer alias for the executor, not a kernel); every other group, a single
elementwise node or a lone ``transpose``/``broadcast_to`` read by a non-fusible node (a copy
kernel giving a matmul contiguous memory) included, becomes one ``fused`` node."""
import numpy as np

from ..ir.graph import Graph, Node, Var
from .op import FUSED

__all__ = ["fuse", "is_fusible", "FUSIBLE_REDUCTIONS", "FUSIBLE_VIEWS", "EXPENSIVE", "RECOMPUTE_LIMIT"]

FUSIBLE_REDUCTIONS = frozenset({"reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod",
                                "reduce_all", "reduce_any"})
FUSIBLE_VIEWS = frozenset({"reshape", "broadcast_to", "transpose"})
_EXPR_FAMILIES = frozenset({"elementwise", "activation", "nn"})
# ops whose numpy kernel returns its input's memory: nothing to compute
_ALIASES = frozenset({"reshape"})

# the rough price of one element of each op, in cheap ops (add = 1): transcendental functions cost
# tens of cycles a call, a division or a square root a few; the rest is one instruction
_TRANSCENDENTAL = 10
_COST = {name: _TRANSCENDENTAL for name in (
    "exp", "exp2", "expm1", "log", "log1p", "log2", "log10", "sin", "cos", "tan", "asin", "acos",
    "atan", "atan2", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "erf", "erfc", "erfinv",
    "lgamma", "digamma", "pow", "sigmoid", "gelu", "gelu_tanh", "silu", "logaddexp", "hypot",
    "sigmoid_cross_entropy")}
_COST.update({name: 3 for name in ("div", "sqrt", "rsqrt", "reciprocal", "fmod", "remainder",
                                   "floor_divide")})
EXPENSIVE = _TRANSCENDENTAL
# rule 2's bound: the cheap ops that recomputing a broadcast value may add per element of a nest
RECOMPUTE_LIMIT = 4
# rule 4: a value costing at least this much is not computed under a transpose that moves its
# last axis (each operand would be read across its rows): it ends its group, written once
STRIDED_LIMIT = 4


def _is_complex(value):
    return np.dtype(value.dtype).kind == "c"


def is_fusible(node):
    """True when the C renderer can take ``node`` into a fused group: a pure node without
    subgraphs that is an elementwise op with a scalar expression (``op.expr``; families
    elementwise, activation and the few nn ops with one: cast, where, comparisons and logical ops
    included), one of ``FUSIBLE_REDUCTIONS`` or one of ``FUSIBLE_VIEWS``, with no complex value."""
    op = node.op
    if op.impure or node.subgraphs:
        return False
    name = op.name
    if name in FUSIBLE_REDUCTIONS or name in FUSIBLE_VIEWS:
        pass
    elif op.expr is None or op.family not in _EXPR_FAMILIES:
        return False
    for value in node.inputs:
        if _is_complex(value):
            return False
    for value in node.outputs:
        if _is_complex(value):
            return False
    return True


def _evaluations(value_shape, out_shape):
    """How many times a value of ``value_shape`` is evaluated in a loop nest over ``out_shape``
    that reads it with numpy broadcasting, when work invariant in the inner loops is hoisted out
    of them: the product of the nest's axes up to the value's last real (not broadcast) axis."""
    n = len(out_shape)
    shape = (1,) * (n - len(value_shape)) + tuple(value_shape)
    last_real = -1
    for k in range(n):
        if shape[k] == out_shape[k] and out_shape[k] > 1:
            last_real = k
    count = 1
    for k in range(last_real + 1):
        count *= out_shape[k]
    return count


class _Grouping:
    """Union-find over node indices with, per group root: its members, its last index (where it
    will run) and the indices of the nodes outside it that read its values."""

    def __init__(self, graph, fusible):
        self.nodes = graph.nodes
        self.producer = {}
        for i, node in enumerate(self.nodes):
            for out in node.outputs:
                self.producer[out] = i
        self.after = [set() for _ in self.nodes]
        for i, node in enumerate(self.nodes):
            for v in node.inputs:
                p = self.producer.get(v) if isinstance(v, Var) else None
                if p is not None:
                    self.after[p].add(i)
        self.fusible = [bool(fusible(node)) for node in self.nodes]
        self.parent = list(range(len(self.nodes)))
        self.members = {i: [i] for i in range(len(self.nodes)) if self.fusible[i]}
        self.last = {i: i for i in self.members}
        self.outside = {i: set(self.after[i]) for i in self.members}

    def find(self, i):
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def run(self):
        for i, node in enumerate(self.nodes):
            if not self.fusible[i]:
                continue
            for v in node.inputs:
                p = self.producer.get(v) if isinstance(v, Var) else None
                if p is None or not self.fusible[p]:
                    continue
                a = self.find(p)
                b = self.find(i)
                if a != b:
                    self.try_merge(a, b)
        self.merge_siblings()
        groups = {}
        for i in range(len(self.nodes)):
            if self.fusible[i]:
                groups.setdefault(self.find(i), []).append(i)
        return sorted(groups.values(), key=lambda members: members[-1])

    def merge_siblings(self):
        """Horizontal fusion: groups reading the same scalar from outside (an optimizer's
        learning rate, the step's bias correction) merge, in schedule order, where the rules
        allow: a whole optimizer update becomes one kernel."""
        readers = {}
        for i, node in enumerate(self.nodes):
            if not self.fusible[i]:
                continue
            for v in node.inputs:
                if not isinstance(v, Var) or v.size > 1:
                    continue
                p = self.producer.get(v)
                if p is not None and self.fusible[p]:
                    continue  # read from a fusible node: a producer edge, handled already
                readers.setdefault(v, []).append(i)
        for nodes in readers.values():
            for k in range(1, len(nodes)):
                a = self.find(nodes[k - 1])
                b = self.find(nodes[k])
                if a != b:
                    self.try_merge(a, b)

    def try_merge(self, a, b):
        """Merge groups ``a`` and ``b`` when the placement and cost rules allow; True if done."""
        last = max(self.last[a], self.last[b])
        outside = set()
        for c in self.outside[a] | self.outside[b]:
            root = self.find(c)
            if root != a and root != b:
                if c < last:
                    return False  # rule 1: a reader outside would run before the merged group
                outside.add(c)
        if not self.cheap_between(a, b):
            return False
        if len(self.members[a]) < len(self.members[b]):
            a, b = b, a
        self.parent[b] = a
        self.members[a].extend(self.members.pop(b))
        self.last[a] = last
        del self.last[b]
        del self.outside[b]
        self.outside[a] = outside
        return True

    def cheap_between(self, a, b):
        """Rule 2 for every edge between groups ``a`` and ``b`` (found from the smaller one)."""
        if len(self.members[a]) > len(self.members[b]):
            a, b = b, a
        find = self.find
        for i in self.members[a]:
            node = self.nodes[i]
            for v in node.inputs:
                p = self.producer.get(v) if isinstance(v, Var) else None
                if p is not None and find(p) == b and not self.cheap_edge(p, v, node):
                    return False
            for c in self.after[i]:
                if find(c) != b:
                    continue
                consumer = self.nodes[c]
                for v in consumer.inputs:
                    if isinstance(v, Var) and self.producer.get(v) == i and not self.cheap_edge(i, v, consumer):
                        return False
        return True

    def cheap_edge(self, p, v, node):
        """Rules 2 and 3 for the value ``v`` of node ``p`` read by ``node``."""
        if self.nodes[p].op.name in FUSIBLE_REDUCTIONS:
            return True  # materialised: read, not recomputed
        if self.read_by_two_nests(p) and self.expression_cost(p) >= EXPENSIVE:
            return False
        name = node.op.name
        if name == "transpose" and _moves_last_axis(node) and self.expression_cost(p) >= STRIDED_LIMIT:
            # rule 4: the renderer loops in the transpose's order, so every operand of the value's
            # cone would be read across its rows (an RNN's 35 per-step weight gradients summed
            # under the update's transpose: 193 ms a step); the value is written once instead
            return False
        if name in FUSIBLE_REDUCTIONS or name == "transpose" or name in _ALIASES:
            return True  # one read per element of the value
        nest = node.outputs[0].size
        extra = _evaluations(v.shape, node.outputs[0].shape) - v.size
        if extra <= 0 or nest == 0:
            return True
        return self.expression_cost(p) * extra < RECOMPUTE_LIMIT * nest

    def read_by_two_nests(self, i):
        """True when node ``i``'s value has two or more fusible readers, one of them a reduction
        (whose loop nest is its own): in one group it would be computed in each nest."""
        readers = [c for c in self.after[i] if self.fusible[c]]
        if len(readers) < 2:
            return False
        return any(self.nodes[c].op.name in FUSIBLE_REDUCTIONS for c in readers)

    def expression_cost(self, i):
        """The cost of computing node ``i``'s value from the materialised values of its group
        (inputs, reductions' results), each node of the cone counted once."""
        root = self.find(i)
        seen = set()
        stack = [i]
        total = 0
        while stack:
            j = stack.pop()
            if j in seen:
                continue
            seen.add(j)
            node = self.nodes[j]
            total += _COST.get(node.op.name, 1)
            for v in node.inputs:
                p = self.producer.get(v) if isinstance(v, Var) else None
                if p is not None and self.find(p) == root and self.nodes[p].op.name not in FUSIBLE_REDUCTIONS:
                    stack.append(p)
        return total


def _moves_last_axis(node):
    """Whether a transpose puts another axis last (its loop nest then strides over its input)."""
    perm = tuple(node.attrs.get("perm", ()))
    return bool(perm) and perm[-1] % len(perm) != len(perm) - 1


def _fresh(var):
    return Var(var.shape, var.dtype, var.hint)


def _fused_node(graph, members, index, used_outside):
    """The ``fused`` node for the group of ``members`` (node indices in schedule order)."""
    nodes = [graph.nodes[i] for i in members]
    defined = set()
    for node in nodes:
        defined.update(node.outputs)
    rename = {}
    inputs = []
    for node in nodes:
        for v in node.inputs:
            if isinstance(v, Var) and v not in defined and v not in rename:
                rename[v] = _fresh(v)
                inputs.append(v)
    params = [rename[v] for v in inputs]
    outputs = []
    for node in nodes:
        for out in node.outputs:
            if out in used_outside:
                rename[out] = _fresh(out)
                outputs.append(out)
    inner = []
    for node in nodes:
        ins = [rename.get(v, v) if isinstance(v, Var) else v for v in node.inputs]
        outs = [rename.get(v, v) for v in node.outputs]
        inner.append(Node(node.op, ins, node.attrs, outs))
    sub = Graph(f"fused{index}", params, inner, [rename[v] for v in outputs])
    return Node(FUSED, inputs, {}, outputs, (sub,))


def _reshapes_outside(graph, members, used_outside, graph_outputs):
    """The group's reshapes whose result is read outside it, as plain ``reshape`` nodes of the
    value they reshape, to run after the fused node: the group writes that value once and the
    reshape is a pointer alias, where it would otherwise write the same numbers twice (a ReLU's
    result kept for its gradient and its 2-D reshape fed to the next product). ``used_outside`` is
    updated: the reshaped value is written instead. A graph output stays written by the group."""
    producer = {}
    for j in members:
        for out in graph.nodes[j].outputs:
            producer[out] = graph.nodes[j]
    aliases = []
    for j in members:
        node = graph.nodes[j]
        out = node.outputs[0]
        if node.op.name not in _ALIASES or out not in used_outside or out in graph_outputs:
            continue
        source = node.inputs[0]
        while isinstance(source, Var) and source in producer and producer[source].op.name in _ALIASES:
            source = producer[source].inputs[0]
        if not isinstance(source, Var) or source not in producer:
            continue  # a reshape of the group's input: the group copies it (kept as it was)
        used_outside.discard(out)
        used_outside.add(source)
        aliases.append(Node(node.op, [source], {**node.attrs, "shape": tuple(out.shape)}, [out]))
    return aliases


def fuse(graph, fusible=None):
    """A new graph where each fusion group of ``graph`` is one ``fused`` node (see the module
    docstring for the rules), placed where the group's last node was. ``fusible(node) -> bool``
    says which nodes may join a group (default ``is_fusible``). The params and outputs are those of
    ``graph``; the values of the graph are unchanged (the fused node's kernel interprets its
    subgraph); ``graph`` itself is not modified."""
    if not isinstance(graph, Graph):
        raise TypeError(f"fuse: 'graph' must be a sporen.ir.Graph, got {type(graph).__name__}")
    if fusible is None:
        fusible = is_fusible
    elif not callable(fusible):
        raise TypeError(f"fuse: 'fusible' must be a function of a node, got {fusible!r}")
    grouping = _Grouping(graph, fusible)
    groups = grouping.run()
    placed = {}
    for members in groups:
        if all(graph.nodes[i].op.name in _ALIASES for i in members):
            continue  # pointer aliases stay plain nodes
        placed[members[-1]] = members
    in_group = set()
    for members in placed.values():
        in_group.update(members)
    # the values read outside their group: by other nodes, or as the graph's outputs
    reads = {}
    for i, node in enumerate(graph.nodes):
        for v in node.inputs:
            if isinstance(v, Var):
                reads.setdefault(v, set()).add(i)
    graph_outputs = {v for v in graph.outputs if isinstance(v, Var)}
    new_nodes = []
    index = 0
    for i, node in enumerate(graph.nodes):
        members = placed.get(i)
        if members is not None:
            member_set = set(members)
            used_outside = set()
            for j in members:
                for out in graph.nodes[j].outputs:
                    if out in graph_outputs or reads.get(out, set()) - member_set:
                        used_outside.add(out)
            aliases = _reshapes_outside(graph, members, used_outside, graph_outputs)
            moved = {a.outputs[0] for a in aliases}
            # a moved reshape read by no other member leaves the group
            members = [j for j in members if not (graph.nodes[j].outputs[0] in moved
                                                  and not (reads.get(graph.nodes[j].outputs[0], set()) & member_set))]
            new_nodes.append(_fused_node(graph, members, index, used_outside))
            new_nodes.extend(aliases)
            index += 1
        elif i not in in_group:
            new_nodes.append(node)
    return Graph(graph.name, graph.params, new_nodes, graph.outputs)

