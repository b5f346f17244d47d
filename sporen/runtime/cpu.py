"""The native CPU backend ("cpu"): a graph fused (``sporen.fusion``), memory-planned, lowered to C
(``sporen.codegen.lower``) and compiled as one translation unit (``runtime/cache.py``); each run of
consecutive native nodes is one C function ``seg_K(void **v)`` over a table of value pointers, called
once through ctypes; the nodes with no native form run their numpy kernels between segments, as the
planned numpy executor runs them. With no C compiler it warns once and runs the numpy backend.

``SPOREN_PROFILE=1`` times each segment and numpy step of every run and prints a table at exit;
``SPOREN_PROFILE=node`` also compiles one segment per native node, timing each kernel."""
import atexit
import collections
import ctypes
import os
import time
import warnings

import numpy as np

from ..codegen.header import prelude
from ..codegen.lower import VIEW_ALIASES, lower
from ..ir.graph import Literal
from ..ir.interpret import interpret
from ..ir.printer import dump
from . import blas as _blas
from .blas import kernel_threads
from . import cache
from .base import Backend, PlanCache
from .numpy import BACKEND as NUMPY_BACKEND
from .numpy import out_form, writable_params
from .plan import ALIGN, VIEW_OPS, dump_plan, plan_memory

__all__ = ["CpuBackend", "CompiledGraph", "BACKEND"]

# view ops the native code computes as copies into planned buffers (codegen/rows.py, copy.c): as
# numpy views, the parts of an LSTM's gates split along the last axis were strided, and each native
# reader copied them with np.ascontiguousarray after a Python step per split (75 a step in the LM)
NATIVE_COPIES = frozenset({"split"})

_KERNELS_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "codegen", "kernels")


def _fuse(graph):
    """``sporen.fusion.fuse(graph)``, or the graph itself while fusion is not there."""
    try:
        from .. import fusion
    except ImportError:
        return graph
    fuse = getattr(fusion, "fuse", None)
    if fuse is None:
        return graph
    return fuse(graph)


_char = ctypes.c_char
_addressof = ctypes.addressof


def _address(array):
    """The address of a contiguous array's data. ``c_char.from_buffer`` takes ~0.8 us here,
    ``array.ctypes.data`` ~3 us; it needs a writable buffer, so a read-only array takes the slow
    way."""
    try:
        return _addressof(_char.from_buffer(array))
    except (TypeError, ValueError, BufferError):
        return array.ctypes.data


def _library_source(name):
    path = os.path.join(_KERNELS_DIR, name + ".c")
    with open(path) as f:
        return f"/* ---- library {name}.c ---- */\n" + f.read()


class _Profile:
    """Per-step times of every prepared graph, printed at exit (``SPOREN_PROFILE=1``)."""

    def __init__(self):
        self.rows = collections.OrderedDict()  # (graph name, label) -> [calls, seconds]
        atexit.register(self.report)

    def add(self, key, seconds):
        row = self.rows.get(key)
        if row is None:
            row = self.rows[key] = [0, 0.0]
        row[0] += 1
        row[1] += seconds

    def report(self):
        if not self.rows:
            return
        total = sum(row[1] for row in self.rows.values())
        lines = ["sporen cpu profile (SPOREN_PROFILE): time per step of each compiled graph",
                 f"{'graph':<24} {'step':<48} {'calls':>7} {'total ms':>10} {'us/call':>9} {'share':>6}"]
        ordered = sorted(self.rows.items(), key=lambda kv: -kv[1][1])
        for (graph, label), (calls, seconds) in ordered:
            lines.append(f"{graph[:24]:<24} {label[:48]:<48} {calls:>7} {seconds * 1e3:>10.2f} "
                         f"{seconds / calls * 1e6:>9.1f} {seconds / total * 100 if total else 0:>5.1f}%")
        print("\n".join(lines))


_profile = None


def _reads_in_place(node, param, position, plan):
    """Whether the fused ``node`` may write its output ``position`` into ``param``'s memory while
    reading ``param``: the renderer (codegen/c.py) materialises every reduction first, then computes
    each output shape's values in one loop nest whose iteration loads before it stores. So it is
    safe when the output is no reduction and every value the group derives from the param without
    a reduction between (the param itself included) is an elementwise value of the param's shape:
    each such read is at the index being written, in the same iteration."""
    if node.op.name != "fused" or len(node.subgraphs) != 1:
        return False
    if any(plan.roots.get(v) is param for v in node.inputs if type(v) is not Literal):
        return False  # a view of the param read by the node: another index
    group = node.subgraphs[0]
    shape = tuple(param.shape)
    derived = {p for p, v in zip(group.params, node.inputs) if v is param}
    for inner in group.nodes:
        if not any(type(v) is not Literal and v in derived for v in inner.inputs):
            continue
        if inner.op.family == "reduce":
            continue  # materialised before any output is written
        if inner.op.name in VIEW_OPS or len(inner.outputs) != 1 or tuple(inner.outputs[0].shape) != shape:
            return False
        derived.add(inner.outputs[0])
    target = group.outputs[position]
    if type(target) is Literal or target in group.params:
        return False
    for inner in group.nodes:
        if target in inner.outputs:
            return inner.op.family != "reduce"
    return False


class CompiledGraph:
    """A graph ready to run natively many times: fused, planned into one arena, its native nodes
    compiled into one library whose segments run over a pointer table made at prepare time.
    ``run(arrays)`` returns fresh output arrays (see ``Backend.run``); ``donate`` as in
    ``PlannedGraph``: a parameter update is computed into the parameter's own array where the plan
    finds it safe and the array may be written."""

    def __init__(self, graph, donate=()):
        self.source_graph = graph
        self.donate = tuple(donate)
        self.graph = _fuse(graph)
        self._busy = False
        self._lower_nodes()
        nodes = self.graph.nodes
        kernels = self.kernels
        forms = [None if kernels[i] is not None else out_form(node) for i, node in enumerate(nodes)]
        self.forms = forms
        ids = {id(node): i for i, node in enumerate(nodes)}

        def can_write(node):
            index = ids[id(node)]
            return kernels[index] is not None or forms[index] is not None

        def workspace(index, node):
            if kernels[index] is not None:
                return kernels[index].workspace
            return getattr(forms[index], "workspace", 0)

        def python_can_write(node):
            # a donated output is computed by a form alone (one with no scratch)
            index = ids[id(node)]
            form = forms[index]
            return kernels[index] is None and form is not None and not getattr(form, "workspace", 0)

        # the plan donates into params for the numpy-run nodes; the native nodes' donations are
        # decided here (a fused kernel may write an update into the param it reads: see
        # _native_donations)
        self.plan = plan_memory(self.graph, self.donate, python_can_write, workspace, copies=NATIVE_COPIES)
        self._native_donations(ids)
        # 64-byte aligned arena (np.empty aligns to 16): vector loads and cache lines
        raw = np.empty(self.plan.arena_bytes + ALIGN, np.uint8)
        shift = (-_address(raw)) % ALIGN
        self.arena = raw[shift:shift + self.plan.arena_bytes]
        self._build()
        self._compile()

    # --- lowering -------------------------------------------------------------------------------

    def _lower_nodes(self):
        """``self.kernels[i]``: the CKernel of node i, or None (its numpy kernel runs)."""
        have_blas = _blas.blas() is not None
        kernels = []
        for index, node in enumerate(self.graph.nodes):
            kernel = None
            if node.op.name in VIEW_OPS and node.op.name not in NATIVE_COPIES:
                # a view op has no planned memory of its own: it runs in numpy (or as a pointer
                # copy, below) so that the plan's aliasing holds
                kernel = None
            elif node.op.name in ("matmul", "batch_matmul") and not have_blas:
                kernel = None
            else:
                kernel = lower(node, f"k{index}")
            kernels.append(kernel)
        self.kernels = kernels

    def _native_donations(self, ids):
        """Add to ``plan.donated`` the pairs of ``donate`` whose output a native node computes and
        may compute into the param's array: the output has the param's type, is returned once and
        is no view; the param is not returned and nothing reads it (or a view of it) after that
        node; and if the node itself reads it, the node is a fused group reading it only at the
        output's own index (``_reads_in_place``)."""
        graph = self.graph
        plan = self.plan
        producers = {}
        for index, node in enumerate(graph.nodes):
            for k, out in enumerate(node.outputs):
                producers[out] = (index, node, k)
        used = set(plan.donated.values())
        returned = [v for v in graph.outputs if type(v) is not Literal]
        for k, j in self.donate:
            if not (0 <= k < len(graph.outputs) and 0 <= j < len(graph.params)) or j in used:
                continue
            out = graph.outputs[k]
            param = graph.params[j]
            if type(out) is Literal or out in plan.donated or out not in producers or out in plan.roots:
                continue
            index, node, position = producers[out]
            if self.kernels[index] is None:
                continue
            if returned.count(out) != 1 or param in returned or any(plan.roots.get(v) is param for v in returned):
                continue
            if tuple(out.shape) != tuple(param.shape) or out.dtype != param.dtype or out.size == 0:
                continue
            read = plan.last.get(param, -1)
            if read > index:
                continue
            if read == index and not _reads_in_place(node, param, position, plan):
                continue
            plan.donated[out] = j
            used.add(j)

    # --- steps ----------------------------------------------------------------------------------

    def _build(self):
        graph = self.graph
        plan = self.plan
        nodes = graph.nodes
        slot = {}
        template = []
        for p in graph.params:
            slot[p] = len(template)
            template.append(None)
        self.n_params = len(template)
        in_slots = []
        for node in nodes:
            ins = []
            for v in node.inputs:
                if type(v) is Literal:
                    # a copy only when not contiguous (ascontiguousarray would make a 0-d value 1-d)
                    value = v.value if v.value.flags.c_contiguous else v.value.copy()
                    ins.append(len(template))
                    template.append(value)
                else:
                    ins.append(slot[v])
            in_slots.append(tuple(ins))
            for v in node.outputs:
                slot[v] = len(template)
                template.append(None)
        self.slot = slot
        # which nodes run natively: lowered nodes, and pointer-copy views of a native value
        native = [k is not None for k in self.kernels]
        produced_native = set()
        for index, node in enumerate(nodes):
            if (not native[index] and node.op.name in VIEW_ALIASES and len(node.inputs) >= 1
                    and type(node.inputs[0]) is not Literal and node.inputs[0] in produced_native
                    and node.outputs[0] in plan.roots):
                native[index] = True
            if native[index]:
                produced_native.update(node.outputs)
        self.native = native
        # values native code reads: their pointers must be in the table, C-contiguous
        read_native = set()
        for index, node in enumerate(nodes):
            if native[index]:
                for v in node.inputs:
                    if type(v) is not Literal:
                        read_native.add(v)
        # scratch ranges get table entries of their own after the values
        n_values = len(template)
        ws_slot = {}
        for index in sorted(plan.workspace):
            if native[index]:
                ws_slot[index] = n_values + len(ws_slot)
        self.table = np.zeros(n_values + len(ws_slot) + 1, np.uintp)
        self.table_address = _address(self.table)
        base = _address(self.arena) if self.arena.size else 0
        for index, s in ws_slot.items():
            self.table[s] = base + plan.workspace[index][0]
        for index, node in enumerate(nodes):
            for v, s in zip(node.inputs, in_slots[index]):
                if type(v) is Literal:
                    self.table[s] = _address(template[s]) if template[s].size else 0
        # planned buffers: fixed arrays and fixed pointers
        for v, off in plan.offsets.items():
            s = slot[v]
            template[s] = self._buffer(v)
            self.table[s] = base + off
        # steps: runs of native nodes become segments, the others python steps
        steps = []
        segments = []
        current = None
        # SPOREN_PROFILE=node: one segment per native node, so the profile times each kernel
        per_node = os.environ.get("SPOREN_PROFILE", "") == "node"
        fresh = []        # (slot, Var) native outputs allocated per run (graph outputs, roots of them)
        donated = []      # (out slot, param slot) native outputs written into a param
        unplanned = []
        for index, node in enumerate(nodes):
            if native[index]:
                if current is None:
                    current = {"nodes": [], "lines": [], "aliases": []}
                    segments.append(current)
                    steps.append(("segment", len(segments) - 1))
                current["nodes"].append(index)
                outs = tuple(slot[v] for v in node.outputs)
                if self.kernels[index] is None:
                    # a pointer copy: the same contiguous memory read with another shape
                    current["lines"].append(f"    v[{outs[0]}] = v[{in_slots[index][0]}];  /* {node.op.name} */")
                    out = node.outputs[0]
                    root = plan.roots.get(out)
                    if root in plan.offsets:
                        template[outs[0]] = template[slot[root]].reshape(out.shape)
                    else:
                        current["aliases"].append((outs[0], in_slots[index][0], tuple(out.shape)))
                    continue
                for v in node.outputs:
                    if v in plan.offsets:
                        continue
                    if v in plan.donated:
                        donated.append((slot[v], slot[graph.params[plan.donated[v]]]))
                    else:
                        fresh.append((slot[v], v))
                kernel = self.kernels[index]
                ins_c = [f"v[{s}]" for s in in_slots[index]]
                outs_c = [f"v[{s}]" for s in outs]
                ws_c = f"v[{ws_slot[index]}]" if index in ws_slot else None
                current["lines"].append(f"    {kernel.call(ins_c, outs_c, ws_c)}  /* {node.op.name} */")
                if per_node:
                    current = None
                continue
            current = None
            steps.append(self._python_step(index, node, in_slots[index], template, read_native, unplanned))
        self.template = template
        self.segments = segments
        self.steps = steps
        self.fresh = fresh
        self.donated = donated
        self.donated_slots = tuple(sorted({p for _, p in donated}
                                          | {s[5] for s in steps if s[0] == "donate"}))
        self.out_slots = [v if type(v) is Literal else slot[v] for v in graph.outputs]
        self.native_params = tuple(slot[p] for p in graph.params if p in read_native)
        self._last_params = [None] * self.n_params
        # fresh native outputs share one block per run (one allocation, one address lookup)
        layout = []
        total = 0
        for s, v in fresh:
            nbytes = v.size * v.dtype.itemsize
            layout.append((s, total, nbytes, v.dtype, tuple(v.shape)))
            total += (nbytes + ALIGN - 1) // ALIGN * ALIGN
        self.fresh_layout = layout
        self.fresh_bytes = total
        plan.unplanned = tuple(unplanned)

    def _buffer(self, var):
        off = self.plan.offsets[var]
        nbytes = var.size * var.dtype.itemsize
        return self.arena[off:off + nbytes].view(var.dtype).reshape(var.shape)

    def _python_step(self, index, node, ins, template, read_native, unplanned):
        """One numpy step, as PlannedGraph runs it: ``(kind, fn, ins, outs, bufs, extra, sync,
        subgraphs, nout, label)``; ``sync``: the output slots native code reads later, with their
        buffers (their pointers are set after the step, contiguous). Kinds: "view" (the kernel's
        result may view its input), "donate" (a form writing into a param's array, or the kernel
        when that array may not be written), "write" (a form into the planned buffer), "form" (a
        form with scratch, several outputs, or fresh outputs: ``extra`` is (scratch, single,
        fresh types)), "kernel" (the kernel allocates)."""
        plan = self.plan
        slot = self.slot
        outs = tuple(slot[v] for v in node.outputs)
        bufs = tuple(self._buffer(v) if v in plan.offsets else None for v in node.outputs)
        sync = tuple((slot[v], bufs[i]) for i, v in enumerate(node.outputs) if v in read_native)
        form = self.forms[index]
        planned = [v in plan.offsets for v in node.outputs]
        single = len(node.outputs) == 1
        donated = single and node.outputs[0] in plan.donated
        label = f"{index} {node.op.name}"
        tail = (sync, node.subgraphs, node.op.nout, label)
        if node.outputs and node.outputs[0] in plan.roots:
            return ("view", node.op.kernel, ins, outs, bufs, node.attrs) + tail
        if donated and form is not None:
            param_slot = slot[self.graph.params[plan.donated[node.outputs[0]]]]
            return ("donate", (form, node.op.kernel, dict(node.attrs)), ins, outs, bufs, param_slot) + tail
        if form is not None and all(planned) and single and index not in plan.workspace:
            # the output is always its planned buffer: its pointer is set once, here
            self._fix_pointers(sync)
            return ("write", form, ins, outs, bufs, None, (), node.subgraphs, node.op.nout, label)
        fresh_or_planned = all(p or v in plan.fresh for p, v in zip(planned, node.outputs))
        if form is not None and fresh_or_planned and (all(planned) or index in plan.workspace or not single):
            offset, nbytes = plan.workspace.get(index, (0, 0))
            scratch = self.arena[offset:offset + nbytes] if nbytes else None
            fresh = tuple(None if b is not None else (v.shape, v.dtype) for b, v in zip(bufs, node.outputs))
            if all(planned):
                self._fix_pointers(sync)
                tail = ((),) + tail[1:]
            return ("form", form, ins, outs, bufs, (scratch, single, fresh)) + tail
        if any(planned):
            unplanned.append(node.op.name)
        return ("kernel", node.op.kernel, ins, outs, bufs, node.attrs) + tail

    def _fix_pointers(self, sync):
        for s, buf in sync:
            self.table[s] = _address(buf) if buf.size else 0

    # --- the translation unit -------------------------------------------------------------------

    def _compile(self):
        self.library = None
        self.source = ""
        self.source_file = None
        self.segment_functions = []
        self._profiling = os.environ.get("SPOREN_PROFILE", "") not in ("", "0")
        if not self.segments:
            return
        info = _blas.blas()
        parts = [prelude(info.int_type if info is not None else "int")]
        seen = set()
        for kernel in self.kernels:
            if kernel is None:
                continue
            for name in kernel.libraries:
                if name not in seen:
                    seen.add(name)
                    parts.append(_library_source(name))
        for index, kernel in enumerate(self.kernels):
            if kernel is not None and kernel.source:
                parts.append(f"/* ---- node {index}: {self.graph.nodes[index].op.name} ---- */\n"
                             + kernel.source)
        for k, segment in enumerate(self.segments):
            # BLAS on one thread for the whole segment: the kernels' team is the only pool
            parts.append(f"void seg_{k}(void **v) {{\n    int blas_threads = sp_blas_single_begin();\n"
                         + "\n".join(segment["lines"]) + "\n    sp_blas_single_end(blas_threads);\n}\n")
        self.source = "\n".join(parts)
        self.library = cache.build(self.source)
        self.source_file = cache.source_path(self.source)
        _blas.bind(self.library)
        self.library.sporen_set_threads(kernel_threads())
        for k in range(len(self.segments)):
            function = getattr(self.library, f"seg_{k}")
            function.argtypes = [ctypes.c_void_p]
            function.restype = None
            self.segment_functions.append(function)

    # --- running --------------------------------------------------------------------------------

    def run(self, arrays):
        """Run on one array per param; return a tuple of fresh output arrays."""
        if len(arrays) != self.n_params:
            raise TypeError(f"cpu: graph '{self.graph.name}' takes {self.n_params} arguments, "
                            f"got {len(arrays)}")
        if self._busy:
            # a second run while one is under way (a thread): it gets its own arena and table
            return CompiledGraph(self.source_graph, self.donate).run(arrays)
        self._busy = True
        try:
            return self._run(arrays)
        finally:
            self._busy = False

    def _run(self, arrays):
        vals = list(self.template)
        params = self.graph.params
        for i, a in enumerate(arrays):
            if type(a) is not np.ndarray:
                a = np.asarray(a)
            p = params[i]
            if a.shape != p.shape or a.dtype != p.dtype:
                interpret(self.graph, *arrays)  # raises the interpreter's message about argument i
            vals[i] = a
        table = self.table
        last = self._last_params
        for s in self.native_params:
            a = vals[s]
            if a is not last[s]:
                if not a.flags.c_contiguous:
                    a = np.ascontiguousarray(a)
                    vals[s] = a
                table[s] = _address(a) if a.size else 0
                last[s] = a if a is arrays[s] else None
        writable = self._writable_params(vals)
        for out_slot, param_slot in self.donated:
            if param_slot in writable:
                vals[out_slot] = vals[param_slot]
                table[out_slot] = table[param_slot]
            else:
                p = vals[param_slot]
                fresh = np.empty(p.shape, p.dtype)
                vals[out_slot] = fresh
                table[out_slot] = _address(fresh) if fresh.size else 0
        if self.fresh_layout:
            block = np.empty(self.fresh_bytes, np.uint8)
            start = _address(block)
            for s, offset, nbytes, dtype, shape in self.fresh_layout:
                vals[s] = block[offset:offset + nbytes].view(dtype).reshape(shape)
                table[s] = start + offset
        if self._profiling:
            self._run_profiled(vals, writable)
        else:
            functions = self.segment_functions
            segments = self.segments
            address = self.table_address
            for step in self.steps:
                if step[0] == "segment":
                    functions[step[1]](address)
                    aliases = segments[step[1]]["aliases"]
                    for out, src, shape in aliases:
                        vals[out] = vals[src].reshape(shape)
                else:
                    self._python(step, vals, writable)
        results = []
        for s in self.out_slots:
            if type(s) is Literal:
                results.append(np.array(s.value))
            else:
                results.append(vals[s])
        return tuple(results)

    def _run_profiled(self, vals, writable):
        global _profile
        if _profile is None:
            _profile = _Profile()
        name = self.graph.name
        clock = time.perf_counter
        for step in self.steps:
            start = clock()
            if step[0] == "segment":
                k = step[1]
                self.segment_functions[k](self.table_address)
                for out, src, shape in self.segments[k]["aliases"]:
                    vals[out] = vals[src].reshape(shape)
                nodes = self.segments[k]["nodes"]
                label = f"seg_{k} ({len(nodes)} nodes: " + ", ".join(
                    f"{i} {self.graph.nodes[i].op.name}" for i in nodes[:3]) + ("...)" if len(nodes) > 3 else ")")
            else:
                self._python(step, vals, writable)
                label = "numpy " + step[9]
            _profile.add((name, label), clock() - start)

    def _python(self, step, vals, writable):
        kind, fn, ins, outs, bufs, extra, sync, subgraphs, nout, _ = step
        args = [vals[i] for i in ins]
        if kind == "write":
            fn(bufs[0], *args)
            vals[outs[0]] = bufs[0]
        elif kind == "form":
            scratch, single, fresh = extra
            targets = tuple(b if b is not None else np.empty(*f) for b, f in zip(bufs, fresh))
            fn(targets[0] if single else targets, *args, ws=scratch)
            for o, t in zip(outs, targets):
                vals[o] = t
        elif kind == "donate":
            write, kernel, kernel_attrs = fn
            if extra in writable:
                buf = vals[extra]
                write(buf, *args)
                vals[outs[0]] = buf
            else:
                vals[outs[0]] = self._own(kernel(*args, **kernel_attrs), None)
        else:
            if subgraphs:
                result = fn(*args, subgraphs=subgraphs, **extra)
            else:
                result = fn(*args, **extra)
            results = (result,) if nout == 1 else tuple(result)
            if kind == "view":
                for o, r in zip(outs, results):
                    vals[o] = r
            else:
                for o, r, buf in zip(outs, results, bufs):
                    vals[o] = self._own(r, buf)
        if sync:
            table = self.table
            for s, buf in sync:
                a = vals[s]
                if type(a) is not np.ndarray:
                    a = np.asarray(a)
                if not a.flags.c_contiguous:
                    if buf is not None:
                        np.copyto(buf, a)
                        a = buf
                    else:
                        a = np.ascontiguousarray(a)
                    vals[s] = a
                table[s] = _address(a) if a.size else 0

    def _own(self, r, buf):
        """A kernel's result as a value that planned memory reuse cannot change."""
        if type(r) is not np.ndarray:
            r = np.asarray(r)
        if r.base is not None and np.may_share_memory(r, self.arena):
            if buf is None:
                return r.copy()
            np.copyto(buf, r)
            return buf
        return r

    def _writable_params(self, vals):
        """The slots of the donated params whose arrays may be written this run."""
        return writable_params(vals, self.n_params, self.donated_slots, contiguous=True)

    # --- text -----------------------------------------------------------------------------------

    def describe(self):
        """The fused graph (each ``fused`` node with the subgraph of the nodes it groups: which
        nodes formed which kernel), the memory plan's text, then each segment's nodes and where
        the C source is."""
        lines = ["fusion: each fused node runs the group of nodes printed under it as one kernel",
                 dump(self.graph), "", dump_plan(self.plan)]
        n_native = sum(1 for n in self.native if n)
        lines.append(f"native: {n_native} of {len(self.native)} nodes in {len(self.segments)} segments "
                     f"(one C call each); {len(self.native) - n_native} nodes run in numpy")
        for k, segment in enumerate(self.segments):
            names = ", ".join(f"{i} {self.graph.nodes[i].op.name}" for i in segment["nodes"])
            lines.append(f"  seg_{k}: {names}")
        python = [f"{i} {node.op.name}" for i, node in enumerate(self.graph.nodes) if not self.native[i]]
        if python:
            lines.append("  numpy: " + ", ".join(python))
        if self.source_file:
            lines.append(f"C source: {self.source_file}")
        return "\n".join(lines)


class CpuBackend(Backend):
    """Graphs fused, compiled to C and run natively (see the module's docstring). Prepared graphs
    are cached as the planned numpy backend caches its plans (by graph identity, while the graph
    lives, bounded in number and arena bytes)."""

    name = "cpu"
    # batch_norm as primitives: its statistics and normalisation fuse with the ReLU after it
    # (softmax, layer_norm and the cross-entropies have native row kernels instead: rows.c)
    expand_composites = frozenset({"batch_norm"})

    def __init__(self):
        self._plans = PlanCache(CompiledGraph)
        self._warned = False

    def available(self):
        """Whether a working C compiler is here (else this backend runs the numpy backend)."""
        return cache.compiler() is not None

    def _fallback(self):
        if not self._warned:
            self._warned = True
            looked = ", ".join(cache.compiler_candidates())
            warnings.warn(f"cpu backend: no C compiler found (looked for {looked}); running on the numpy "
                          f"backend", RuntimeWarning, stacklevel=3)
        return NUMPY_BACKEND

    def prepare(self, graph, donate=()):
        """The CompiledGraph of ``graph`` (see CompiledGraph), made once, then cached; the numpy
        backend's prepared form when there is no C compiler."""
        if not self.available():
            return self._fallback().prepare(graph, donate)
        return self._plans.get(graph, donate)

    def run(self, graph, arrays):
        return self.prepare(graph).run(arrays)

    def describe(self, graph):
        if not self.available():
            return self._fallback().describe(graph)
        return self.prepare(graph).describe()


BACKEND = CpuBackend()
