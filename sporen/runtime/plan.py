"""Static memory plans: each intermediate value of a graph gets a byte range of one arena, from the
values' lifetimes in the schedule (the node order), with ranges reused once a value is dead.

What is planned, and what is not:
- params (the caller's arrays) and the graph's outputs are never planned: the caller owns the
  outputs it gets, so they are fresh arrays (a planned buffer would be overwritten by the next run);
- a view op (reshape, transpose, broadcast_to, slices...) gets no memory of its own: its result may
  be a view of its input, so it is an *alias*, and the value it views (its *root*) stays live until
  the last use of every alias; a root that a graph output may view is itself left fresh;
- every other value gets an aligned range of the arena. Ranges are assigned greedily by size,
  largest first, each at the best-fitting gap among the ranges of the values live at the same
  time (the "greedy by size" planner of TFLite's arena allocator), so the arena is at least the
  largest total of bytes live at once and usually equal to it.
"""
import numpy as np

from ..ir.graph import Literal, Var
from ..ir.printer import Namer, _type_text, node_text

__all__ = ["MemoryPlan", "plan_memory", "dump_plan", "VIEW_OPS", "ALIGN"]

# every range starts at a multiple of this (a cache line; SIMD loads want 32 or 64)
ALIGN = 64

# ops whose kernel may return a view of its first input (numpy basic indexing, reshape of a
# contiguous array, transpose, broadcast_to) or the input itself (stop_gradient)
VIEW_OPS = frozenset({"reshape", "transpose", "broadcast_to", "stop_gradient", "slice", "strided_slice",
                      "getitem", "split", "flip", "real", "imag"})


def _aligned(n):
    return (n + ALIGN - 1) // ALIGN * ALIGN


class MemoryPlan:
    """The memory plan of one graph.

    graph:      the graph planned
    offsets:    Var -> byte offset in the arena of each planned value
    roots:      Var -> the Var whose memory a view value may share (its own Var when planned)
    fresh:      the values left to their kernels' own fresh arrays: graph outputs, the roots they
                may view, and empty values
    first, last: Var -> index of the defining node and of the last node that reads the value (or
                one of its aliases); -1 for params
    arena_bytes: the planned peak: the arena's size
    live_peak:  the largest total of planned bytes live at one node (a lower bound for any plan)
    naive_bytes: the sum of the bytes of every intermediate value (what a run that keeps every
                value, like the reference interpreter, holds at its end)
    donated:    output Var -> the index of the param whose array it is computed into
    workspace:  node index -> (byte offset, bytes) of the scratch memory that node's kernel uses
                while it runs (a range of the arena live for that node only)
    """

    __slots__ = ("graph", "offsets", "roots", "fresh", "first", "last", "arena_bytes", "live_peak",
                 "naive_bytes", "unplanned", "donated", "workspace")

    def __init__(self, graph):
        self.graph = graph
        self.offsets = {}
        self.roots = {}
        self.fresh = set()
        self.first = {}
        self.last = {}
        self.arena_bytes = 0
        self.live_peak = 0
        self.naive_bytes = 0
        self.unplanned = ()  # the op names a backend could not point at a buffer (set by the backend)
        self.donated = {}  # output Var -> index of the param whose array it is written into
        self.workspace = {}  # node index -> (offset, bytes) of its scratch

    @property
    def n_planned(self):
        """How many values live in the arena."""
        return len(self.offsets)

    @property
    def n_buffers(self):
        """How many distinct ranges of the arena are used (values sharing a range reuse it)."""
        return len({(off, _aligned(_nbytes(v))) for v, off in self.offsets.items()})


def _nbytes(var):
    return var.size * var.dtype.itemsize


# views whose result is C-contiguous when their input is: a reshape of a strided value copies
# (numpy cannot view it), so it is planned as a value of its own
_CONTIGUOUS_VIEWS = frozenset({"reshape", "stop_gradient"})


def _is_view(node, strided, copies=frozenset()):
    """Whether ``node``'s result is (may be) a view of its first input, given the values that may
    be strided views; ``copies``: the view ops the backend computes as copies of their own."""
    name = node.op.name
    if name not in VIEW_OPS or name in copies or not node.inputs or type(node.inputs[0]) is Literal:
        return False
    return node.op.name != "reshape" or node.inputs[0] not in strided


def _lifetimes(graph, copies=frozenset()):
    """``(first, last, roots)``: defining node index, last reading node index (a view's use counts
    as a use of its root), and the root of each view (``copies`` as in ``_is_view``)."""
    first = {p: -1 for p in graph.params}
    last = {p: -1 for p in graph.params}
    roots = {}
    strided = set()  # values that may be views with other strides than a C-contiguous array's
    for index, node in enumerate(graph.nodes):
        for v in node.inputs:
            if type(v) is not Literal:
                root = roots.get(v, v)
                last[v] = index
                last[root] = index
        is_view = _is_view(node, strided, copies)
        if is_view and node.op.name not in _CONTIGUOUS_VIEWS:
            strided.update(node.outputs)
        for out in node.outputs:
            first[out] = index
            last[out] = index
            if is_view:
                roots[out] = roots.get(node.inputs[0], node.inputs[0])
    end = len(graph.nodes)
    for v in graph.outputs:
        if isinstance(v, Var):
            last[v] = end
            last[roots.get(v, v)] = end
    # a root lives as long as its longest-lived alias
    for view, root in roots.items():
        if last[view] > last[root]:
            last[root] = last[view]
    return first, last, roots


# below this many overlapping ranges a plain loop beats numpy's per-call overhead
_VECTOR_MIN = 40


def _best_offset(o, s, size):
    """The offset for a value of ``size`` bytes among the ranges ``[o, o + s)`` (numpy arrays) of the
    placed values it overlaps in time: the start of the smallest gap that fits, else after the
    furthest range."""
    by_offset = np.argsort(o, kind="stable")
    if len(o) < _VECTOR_MIN:
        best = None
        best_gap = None
        cursor = 0
        for j in by_offset.tolist():
            lo = int(o[j])
            gap = lo - cursor
            if gap >= size and (best_gap is None or gap < best_gap):
                best = cursor
                best_gap = gap
            cursor = max(cursor, lo + int(s[j]))
        return cursor if best is None else best
    o = o[by_offset]
    reach = np.maximum.accumulate(o + s[by_offset])  # the furthest end so far, in offset order
    before = np.empty_like(reach)
    before[0] = 0
    before[1:] = reach[:-1]
    gaps = o - before
    fits = gaps >= size
    if not fits.any():
        return int(reach[-1])
    return int(before[int(np.argmin(np.where(fits, gaps, np.iinfo(np.int64).max)))])


def _place(items):
    """Greedy by size: ``items`` are ``(var, size, first, last)``; returns ``{var: offset}`` and the
    arena size. Each value, largest first, goes to the smallest gap between the ranges of the
    already placed values whose lifetimes overlap its own (or after the last of them)."""
    order = sorted(items, key=lambda it: (-it[1], it[2]))
    n = len(order)
    starts = np.empty(n, np.int64)
    ends = np.empty(n, np.int64)
    offs = np.empty(n, np.int64)
    sizes = np.empty(n, np.int64)
    offsets = {}
    arena = 0
    for k, (var, size, first, last) in enumerate(order):
        idx = np.flatnonzero((starts[:k] <= last) & (ends[:k] >= first))
        best = _best_offset(offs[idx], sizes[idx], size) if idx.size else 0
        starts[k] = first
        ends[k] = last
        offs[k] = best
        sizes[k] = size
        offsets[var] = best
        arena = max(arena, best + size)
    return offsets, arena


def _donations(graph, donate, first, last, roots, can_write):
    """``{output Var: param index}`` for the pairs of ``donate`` that are safe: the output is a
    value of the param's shape and dtype, computed by a node that ``can_write`` into a given
    array, after every read of the param (or, for a ufunc, by the node making the last read:
    numpy's ufuncs handle an output that overlaps an input), and the param is not returned."""
    accepted = {}
    used = set()
    producers = {}
    for index, node in enumerate(graph.nodes):
        for out in node.outputs:
            producers[out] = (index, node)
    params = graph.params
    for k, j in donate:
        if not (0 <= k < len(graph.outputs) and 0 <= j < len(params)) or j in used:
            continue
        out = graph.outputs[k]
        param = params[j]
        if not isinstance(out, Var) or out in accepted or out not in producers or out in roots:
            continue
        if sum(1 for v in graph.outputs if v is out) != 1:
            continue
        if tuple(out.shape) != tuple(param.shape) or out.dtype != param.dtype or out.size == 0:
            continue
        index, node = producers[out]
        if len(node.outputs) != 1 or not can_write(node):
            continue
        read = last[param]
        if read > index or (read == index and not isinstance(node.op.kernel, np.ufunc)):
            continue
        accepted[out] = j
        used.add(j)
    return accepted


class _Scratch:
    """The key of one node's scratch range among the planned values."""

    __slots__ = ("index",)

    def __init__(self, index):
        self.index = index


def plan_memory(graph, donate=(), can_write=None, workspace=None, copies=frozenset()):
    """Plan the memory of ``graph``'s intermediate values (see the module's docstring for what is
    planned). Nodes with subgraphs are planned like any node (their subgraphs run on their own).

    ``donate``: pairs ``(output index, param index)`` where the caller will replace the param's
    array by that output (a parameter's update): where it is safe (see ``_donations``; ``can_write``
    tells which nodes can write into a given array) the output is computed into the param's own
    array, so a training step need not allocate its new parameters (``plan.donated``).

    ``workspace(index, node) -> bytes``: the scratch memory a node's kernel needs while it runs
    (im2col columns, padded copies): each gets a range of the arena live during that node only, so
    the kernel need not allocate (``plan.workspace``).

    ``copies``: names of VIEW_OPS that this backend computes as copies into planned buffers of
    their own (the cpu backend's native split), so their results are no views."""
    plan = MemoryPlan(graph)
    first, last, roots = _lifetimes(graph, copies)
    if donate and can_write is not None:
        plan.donated = _donations(graph, donate, first, last, roots, can_write)
    plan.first = first
    plan.last = last
    plan.roots = roots
    fresh = plan.fresh
    for v in graph.outputs:
        if isinstance(v, Var):
            fresh.add(v)
            fresh.add(roots.get(v, v))
    params = set(graph.params)
    items = []
    events = []
    scratch_bytes = {}
    for index, node in enumerate(graph.nodes):
        scratch = workspace(index, node) if workspace is not None else 0
        if scratch:
            scratch_bytes[index] = scratch
            items.append((_Scratch(index), _aligned(scratch), index, index))
            events.append((index, scratch))
            events.append((index + 1, -scratch))
        for out in node.outputs:
            size = _nbytes(out)
            plan.naive_bytes += size
            if out in roots or out in params:
                continue
            if size == 0:
                fresh.add(out)
            if out in fresh:
                continue
            items.append((out, _aligned(size), first[out], last[out]))
            events.append((first[out], size))
            events.append((last[out] + 1, -size))
    offsets, plan.arena_bytes = _place(items)
    for key, offset in offsets.items():
        if type(key) is _Scratch:
            plan.workspace[key.index] = (offset, scratch_bytes[key.index])
        else:
            plan.offsets[key] = offset
    live = 0
    for _, delta in sorted(events, key=lambda e: (e[0], e[1])):
        live += delta
        plan.live_peak = max(plan.live_peak, live)
    return plan


def _kib(n):
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n / (1024 * 1024):.2f} MiB"


def _where_text(plan, var, slots):
    if var in plan.donated:
        return f"into param {plan.donated[var]}"
    if var in plan.offsets:
        off = plan.offsets[var]
        return f"buf{slots[off]} @{off}+{_nbytes(var)}"
    root = plan.roots.get(var)
    if root is not None:
        return "view"
    if var in plan.fresh:
        return "fresh"
    return "fresh"


def dump_plan(plan):
    """The text form of a plan: a header with the planned peak (the arena), the largest total live
    at once, the naive total and the number of unplanned kernels, then each node as ``dump`` prints
    it followed by where each output lives (``buf3 @128+64``: buffer 3, at byte 128, 64 bytes;
    ``view`` of its root's memory; ``fresh``: its own array) and its lifetime in node indices."""
    graph = plan.graph
    namer = Namer()
    slots = {}
    for off in sorted(set(plan.offsets.values())):
        slots[off] = len(slots)
    unplanned = sorted(set(plan.unplanned))
    lines = [
        f"plan {graph.name}: planned peak {plan.arena_bytes} bytes ({_kib(plan.arena_bytes)}) in "
        f"{plan.n_buffers} buffers for {plan.n_planned} values; most live at once {plan.live_peak} "
        f"bytes; naive {plan.naive_bytes} bytes (every intermediate kept)",
        f"  unplanned kernels: {len(plan.unplanned)}" + (f" ({', '.join(unplanned)})" if unplanned else ""),
        "  outputs: fresh arrays owned by the caller"
        + (f", {len(plan.donated)} written into their params' arrays" if plan.donated else ""),
    ]
    params = ", ".join(f"{namer.define(p)}: {_type_text(p)}" for p in graph.params)
    lines.append(f"graph {graph.name}({params}) {{")
    for index, node in enumerate(graph.nodes):
        text = node_text(node, namer)
        places = []
        for out in node.outputs:
            if isinstance(out, Var):
                where = _where_text(plan, out, slots)
                places.append(f"{namer.name(out)} {where} [{plan.first.get(out, index)}..{plan.last.get(out, index)}]")
        if index in plan.workspace:
            off, nbytes = plan.workspace[index]
            places.append(f"scratch @{off}+{nbytes}")
        lines.append(f"  {index:3d}  {text}    # {'; '.join(places)}")
    outs = ", ".join(namer.name(v) for v in graph.outputs)
    lines.append(f"  return ({outs})")
    lines.append("}")
    return "\n".join(lines)
