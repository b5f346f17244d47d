"""The C renderer of fused groups: ``render_fused(node, name)`` turns a ``fused`` node's subgraph
into one C function (a CKernel) that computes every output in a loop nest over its shape, each
elementwise value inlined as a local of the loop body, each reduction materialised first in the
kernel's workspace; ``can_render(node)`` says whether it can."""
import re

import numpy as np

from ..ir.graph import Literal
from ..ops._rules import normalize_axes
from .c_expr import (COMPUTE, HELPERS, STORAGE, TEMPLATES, c_const, kind, nan_to_num_expr, round_expr,
                     static_array, unsupported)
from .kernel import CKernel

__all__ = ["render_fused", "can_render", "unsupported", "PARALLEL_MIN"]

# a loop nest runs on all cores only when it has this many elements: below it the threads'
# start-up costs more than they save
PARALLEL_MIN = 32768

_VIEWS = ("reshape", "broadcast_to", "transpose")
_REDUCES = ("reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod", "reduce_all",
            "reduce_any")
_SPECIAL = ("cast", "round", "nan_to_num")  # elementwise ops whose C depends on their attributes
_HALF = ("sp_f16", "sp_bf16")
_ROUNDING = {"sp_f16": "sp_round_f16", "sp_bf16": "sp_round_bf16"}
_ALIGN = 64
# the largest row (elements) kept on a thread's stack while rows are fused
_ROW_STASH_MAX = 16384
# the fewest kept columns for which a leading-axes reduction is shared across threads
_COLUMN_BLOCK = 256
# float functions with a vectorisable version (the prelude's sp_expf, c_expr.HELPERS' sp_tanhf;
# libm's stay scalar without -ffast-math)
_VECTOR_MATH = re.compile(r"\b(expf|tanhf)\(")


def can_render(node):
    """True when ``render_fused`` can write C for this fused node (every op of its subgraph has a
    template for its dtypes); False sends the node to its numpy kernel."""
    try:
        render_fused(node, "sp_probe")
    except unsupported:
        return False
    return True


def render_fused(node, name):
    """The CKernel of a ``fused`` node: a C function ``name`` taking the node's input pointers, its
    output pointers and a workspace pointer. Raises ``unsupported`` (an Exception) for a group it
    cannot render; use ``can_render`` to ask first."""
    if len(node.subgraphs) != 1:
        raise unsupported(f"render_fused: a fused node holds one subgraph, got {len(node.subgraphs)}")
    return _Renderer(node, name).render()


# --- shapes and indices -----------------------------------------------------------------------------
def _strides(shape):
    strides = []
    step = 1
    for s in reversed(shape):
        strides.append(step)
        step *= s
    return tuple(reversed(strides))


def _size(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def _linear(idx, shape):
    """The row-major offset of index ``idx`` (C expressions) in ``shape``."""
    terms = []
    for i, st in zip(idx, _strides(shape)):
        if i == "0":
            continue
        terms.append(i if st == 1 else f"{i} * {st}")
    return " + ".join(terms) if terms else "0"


def _broadcast_index(idx, shape):
    """The index into an operand of ``shape`` broadcast to the index ``idx`` (numpy's rule: align
    right, size-1 axes read element 0)."""
    lead = len(idx) - len(shape)
    return tuple("0" if s == 1 else idx[lead + d] for d, s in enumerate(shape))


def _broadcasts(shape, target):
    if len(shape) > len(target):
        return False
    lead = len(target) - len(shape)
    return all(s == 1 or s == target[lead + d] for d, s in enumerate(shape))


def _reshape_index(idx, out_shape, in_shape):
    """The index into ``in_shape`` of element ``idx`` of its reshape to ``out_shape``: axes are
    matched in groups of equal size so that only merged or split axes cost a division."""
    result = ["0"] * len(in_shape)
    if _size(in_shape) == 0:
        return tuple(result)
    outs = [(i, s) for i, s in zip(idx, out_shape) if s != 1]
    ins = [d for d, s in enumerate(in_shape) if s != 1]
    a = 0
    b = 0
    while a < len(outs) and b < len(ins):
        group_out = [a]
        group_in = [b]
        size_out = outs[a][1]
        size_in = in_shape[ins[b]]
        while size_out != size_in:
            if size_out < size_in:
                a += 1
                group_out.append(a)
                size_out *= outs[a][1]
            else:
                b += 1
                group_in.append(b)
                size_in *= in_shape[ins[b]]
        a += 1
        b += 1
        if len(group_out) == 1 and len(group_in) == 1:
            result[ins[group_in[0]]] = outs[group_out[0]][0]
            continue
        flat = _linear([outs[k][0] for k in group_out], [outs[k][1] for k in group_out])
        dims = [in_shape[ins[k]] for k in group_in]
        for k, st in zip(group_in, _strides(dims)):
            size = in_shape[ins[k]]
            part = f"({flat}) / {st}" if st != 1 else f"({flat})"
            result[ins[k]] = part if k == group_in[0] else f"({part} % {size})"
    return tuple(result)


def _loops(shape, prefix="i"):
    """Loop headers over the axes of ``shape`` that are not 1, and the index they give."""
    headers = []
    idx = []
    for d, s in enumerate(shape):
        if s == 1:
            idx.append("0")
            continue
        var = f"{prefix}{d}"
        headers.append(f"for (long {var} = 0; {var} < {s}; {var}++)")
        idx.append(var)
    return headers, tuple(idx)


def _load(storage, ptr, offset):
    if storage == "sp_f16":
        return f"sp_f16_to_f32({ptr}[{offset}])"
    if storage == "sp_bf16":
        return f"sp_bf16_to_f32({ptr}[{offset}])"
    return f"{ptr}[{offset}]"


def _store(storage, value):
    if storage == "sp_f16":
        return f"sp_f32_to_f16({value})"
    if storage == "sp_bf16":
        return f"sp_f32_to_bf16({value})"
    return value


def _round_half(storage, value):
    """A half-precision result rounded to its storage, as numpy's kernel rounds after each op."""
    if storage == "sp_f16":
        return f"sp_f16_to_f32(sp_f32_to_f16({value}))"
    if storage == "sp_bf16":
        return f"sp_bf16_to_f32(sp_f32_to_bf16({value}))"
    return value


# --- the loop body: values of the subgraph as C expressions of the loop indices -----------------
class _Body:
    """The statements of one loop body: each value needed at an index is emitted once (CSE)."""

    def __init__(self, renderer):
        self.r = renderer
        self.lines = []
        self.cache = {}

    def value(self, v, idx):
        """A C expression (in ``v``'s compute type) for value ``v`` at index ``idx``."""
        key = (v, idx)
        hit = self.cache.get(key)
        if hit is not None:
            return hit
        expr = self._compute(v, idx)
        self.cache[key] = expr
        return expr

    def _compute(self, v, idx):
        r = self.r
        lit = r.literal_of(v)
        if lit is not None:
            return r.literal_expr(lit, idx)
        stashed = r.row_stash.get(v)
        if stashed is not None and stashed[1] == idx:
            name, _, k = stashed
            return self._local(v.dtype, f"{name}[{_linear(idx[k:], v.shape[k:])}]", rounded=True)
        buf = r.buffers.get(v)
        if buf is not None and r.row is not None and v in r.row_values:
            k, row_idx = r.row
            if tuple(idx[:k]) != row_idx or any(i != "0" for i in idx[k:]):
                raise _RowMismatch()
            # the row's value, read once before the row's inner loops (a load inside them could
            # alias the stores and keep the loop from vectorising)
            local = r.row_cache.get(v)
            if local is None:
                ptr, storage = buf
                local = r.fresh("w")
                load = _load(storage, ptr, _linear(idx, v.shape))
                r.row_pending.append(f"const {COMPUTE[v.dtype]} {local} = {load};")
                r.row_cache[v] = local
            return local
        if buf is not None:
            ptr, storage = buf
            return self._local(v.dtype, _load(storage, ptr, _linear(idx, v.shape)), rounded=True)
        node = r.producer.get(v)
        if node is None:
            raise unsupported(f"value {v} has no producer")
        name = node.op.name
        if name in _REDUCES:
            raise unsupported("a reduction read before it is materialised")
        x = node.inputs[0] if node.inputs else None
        if name == "reshape":
            return self.value(x, _reshape_index(idx, v.shape, x.shape))
        if name == "broadcast_to":
            return self.value(x, _broadcast_index(idx, x.shape))
        if name == "transpose":
            perm = node.attrs["perm"]
            inner = ["0"] * len(perm)
            for i, p in enumerate(perm):
                inner[p] = idx[i]
            return self.value(x, tuple(inner))
        if name not in TEMPLATES and name not in _SPECIAL:
            raise unsupported(f"op {name}")
        for a in node.inputs:
            if not _broadcasts(a.shape, v.shape):
                raise unsupported(f"op {name}: an input of shape {a.shape} for an output of shape {v.shape}")
        args = [self.value(a, _broadcast_index(idx, a.shape)) for a in node.inputs]
        return self._local(v.dtype, r.apply(node, args, v.dtype))

    def _local(self, dtype, expr, rounded=False):
        """Bind ``expr`` to a new local of ``dtype``'s compute type: bools become 0/1, half
        precision is rounded to its storage (unless the value was just loaded from it)."""
        storage = STORAGE[dtype]
        ctype = COMPUTE[dtype]
        if dtype == np.bool_:
            expr = f"(({expr}) != 0)"
        elif storage in _HALF and not rounded:
            expr = _round_half(storage, expr)
        local = self.r.fresh("v")
        self.lines.append(f"const {ctype} {local} = {expr};")
        return local


# --- the renderer ---------------------------------------------------------------------------------
class _Renderer:
    def __init__(self, node, name):
        self.node = node
        self.name = name
        self.graph = node.subgraphs[0]
        self.counter = 0
        self.statics = []
        self.literals = {}      # subgraph param -> Literal bound to it
        self.static_arrays = {}  # id(Literal) -> C array name
        self.buffers = {}       # Var -> (C pointer name, storage type)
        self.producer = {}
        self.workspace = 0
        self.body = []
        self.row = None          # (k, index of the row) while rendering rows fused
        self.row_values = set()  # the reductions a row computes
        self.row_cache = {}      # reduction -> the local holding its value for the row
        self.row_pending = []    # declarations of such locals, placed before the loop reading them
        self.row_stash = {}      # value -> (its row buffer, the index it was stored at, k)

    def fresh(self, prefix):
        self.counter += 1
        return f"{prefix}{self.counter}"

    # values ---------------------------------------------------------------------------------------
    def literal_of(self, v):
        if type(v) is Literal:
            return v
        return self.literals.get(v)

    def literal_expr(self, lit, idx):
        value = lit.value
        kind(value.dtype)
        if value.size == 1:
            return c_const(value.reshape(())[()], value.dtype)
        array = self.static_arrays.get(id(lit))
        if array is None:
            array = f"{self.name}_c{len(self.static_arrays)}"
            self.static_arrays[id(lit)] = array
            self.statics.append(static_array(array, value))
        load = _load(STORAGE[value.dtype], array, _linear(idx, value.shape))
        return load

    def apply(self, node, args, out_dtype):
        """The C expression of one elementwise node applied to its operands' expressions."""
        name = node.op.name
        ins = node.inputs
        ctype = COMPUTE[out_dtype]
        if name == "cast":
            if out_dtype == np.bool_:
                return f"({args[0]} != 0)"
            return f"({ctype}){args[0]}"
        if name == "round":
            return round_expr(args[0], ins[0].dtype, node.attrs.get("decimals", 0))
        if name == "nan_to_num":
            return nan_to_num_expr(args[0], ins[0].dtype, node.attrs)
        table = TEMPLATES.get(name)
        if table is None:
            raise unsupported(f"op {name}")
        first = ins[0].dtype
        template = table.get(kind(first))
        if template is None:
            raise unsupported(f"op {name} on {first}")
        for a in ins:
            kind(a.dtype)
        double = COMPUTE[np.dtype(first)] == "double" or ctype == "double"
        fields = {"T": ctype, "F": "" if double else "f", "W": np.dtype(out_dtype).itemsize * 8,
                  "L": "((double)709.0)" if double else "88.0f",
                  "R": _ROUNDING.get(STORAGE[np.dtype(out_dtype)], "")}
        expr = template.format(*args, **fields)
        if fields["F"] == "f":
            expr = _VECTOR_MATH.sub(r"sp_\1(", expr)
        return expr

    # the function -------------------------------------------------------------------------------
    def render(self):
        graph = self.graph
        node = self.node
        if len(graph.params) != len(node.inputs):
            raise unsupported("the subgraph's params do not match the node's inputs")
        for v in list(graph.params) + list(graph.outputs):
            kind(v.dtype)
        signature = []
        for k, (p, a) in enumerate(zip(graph.params, node.inputs)):
            signature.append(f"const void *in{k}")
            if type(a) is Literal:
                self.literals[p] = a
                continue
            storage = STORAGE[p.dtype]
            ptr = f"x{k}"
            self.body.append(f"const {storage} *{ptr} = (const {storage} *)in{k};")
            self.buffers[p] = (ptr, storage)
        outputs = {}
        for k, v in enumerate(graph.outputs):
            storage = STORAGE[np.dtype(v.dtype)]
            signature.append(f"void *out{k}")
            self.body.append(f"{storage} *y{k} = ({storage} *)out{k};")
            if type(v) is not Literal:
                outputs.setdefault(v, []).append(k)
        signature.append("char *ws")
        for n in graph.nodes:
            if n.subgraphs or n.op.nout != 1:
                raise unsupported(f"op {n.op.name}")
            for o in n.outputs:
                self.producer[o] = n
                kind(o.dtype)
        prefix = self._row_prefix(outputs)
        head = list(self.body)
        state = (self.counter, len(self.statics), dict(self.static_arrays), dict(self.buffers), self.workspace)
        try:
            if prefix is None:
                raise _RowMismatch()
            self._rows_fused(outputs, prefix)
        except _RowMismatch:
            self.counter, n_statics, self.static_arrays, self.buffers, self.workspace = state
            del self.statics[n_statics:]
            self.body = head
            self.row = None
            self.row_cache = {}
            self.row_pending = []
            self.row_stash = {}
            self._materialise_reductions(dict(outputs))
            self._output_nests(outputs)
        source = "".join(self.statics)
        source += f"static void {self.name}({', '.join(signature)}) {{\n"
        source += _indent(self.body, 1)
        source += "}\n"
        source = HELPERS + source
        workspace = self.workspace
        kernel_name = self.name

        def call(ins, outs, ws):
            args = [f"(const void *)({a})" for a in ins] + [f"(void *)({a})" for a in outs]
            args.append(f"(char *)({ws})" if ws is not None else "(char *)0")
            return f"{kernel_name}({', '.join(args)});"

        return CKernel(self.name, source, call, workspace=workspace)

    def _row_prefix(self, outputs):
        """The axes ``(k, shape)`` that every reduction keeps (reducing all the axes after them)
        and that lead every output's shape, when there is such a prefix: then one loop over it
        computes the reductions of a row and the outputs that read them while the row is in
        cache (softmax, layer_norm, cross-entropy). None otherwise."""
        needed = self._needed()
        prefix = None
        for n in self.graph.nodes:
            if id(n) not in needed or n.op.name not in _REDUCES:
                continue
            x = n.inputs[0]
            axes = normalize_axes(n.op.name, n.attrs.get("axis"), len(x.shape))
            k = len(x.shape) - len(axes)
            if k == 0 or axes != tuple(range(k, len(x.shape))):
                return None
            if prefix is None:
                prefix = (k, tuple(x.shape[:k]))
            elif prefix != (k, tuple(x.shape[:k])):
                return None
        if prefix is None:
            return None
        k, shape = prefix
        for v in self.graph.outputs:
            if tuple(v.shape[:k]) != shape:
                return None
        return prefix

    def _rows_fused(self, outputs, prefix):
        """One loop over the kept rows: each reduction of the row, then each output's part of
        the row. Raises _RowMismatch when a value would read a reduction at another row."""
        k, shape = prefix
        self.row = (k, tuple("0" if s == 1 else f"i{d}" for d, s in enumerate(shape)))
        row = []
        needed = self._needed()
        reduced = set()
        for n in self.graph.nodes:
            if id(n) not in needed or n.op.name not in _REDUCES:
                continue
            v = n.outputs[0]
            storage = STORAGE[v.dtype]
            if v in outputs:
                ptr = f"y{outputs[v][0]}"
                outputs[v] = outputs[v][1:]
            else:
                ptr = self.fresh("r")
                offset = self._scratch(max(v.size, 1) * v.dtype.itemsize)
                self.body.append(f"{storage} *{ptr} = ({storage} *)(ws + {offset});")
            self.row_values = reduced
            lines = _Reduction(self, n, ptr, storage).lines(in_row=k)
            row.extend(self.row_pending + lines)
            self.row_pending = []
            self.buffers[v] = (ptr, storage)
            reduced.add(v)
        self.row_values = reduced
        for out_shape, group in self._output_groups(outputs).items():
            headers, idx = _loops(out_shape)
            inner = headers[sum(1 for s in out_shape[:k] if s != 1):]
            body = _Body(self)
            stores = []
            for j, v in group:
                value = body.value(v, idx)
                stores.append(f"y{j}[{_linear(idx, out_shape)}] = {_store(STORAGE[np.dtype(v.dtype)], value)};")
            lines = _nest(inner, body.lines + stores, simd=True)
            row.extend(self.row_pending + lines)
            self.row_pending = []
        outer, _ = _loops(shape)
        x_size = max(_size(n.inputs[0].shape) for n in self.graph.nodes if n.outputs[0] in reduced)
        self.body.extend(_nest(outer, row, x_size >= PARALLEL_MIN))

    def stash_row_value(self, v, idx, k):
        """In rows fused: keep the value ``v`` that a reduction of the row computes in a buffer of
        one row on the stack, so that the row's outputs read it instead of computing it again
        (softmax's exp); returns the C lvalue to store it at, or None where that does not pay
        (a value read once, a stored value, a row over ``_ROW_STASH_MAX`` elements)."""
        if v in self.buffers or self.literal_of(v) is not None or v in self.row_stash:
            return None
        readers = sum(1 for n in self.graph.nodes if any(a is v for a in n.inputs))
        readers += sum(1 for o in self.graph.outputs if o is v)
        row = _size(v.shape[k:])
        if readers < 2 or row > _ROW_STASH_MAX or row == 0:
            return None
        name = self.fresh("s")
        self.row_pending.append(f"{COMPUTE[v.dtype]} {name}[{row}];")
        self.row_stash[v] = (name, idx, k)
        return f"{name}[{_linear(idx[k:], v.shape[k:])}]"

    def _output_groups(self, outputs):
        """The outputs still to write, by shape: ``{shape: [(position, value)...]}``."""
        by_shape = {}
        for j, v in enumerate(self.graph.outputs):
            if type(v) is Literal or j in outputs.get(v, ()):
                by_shape.setdefault(tuple(v.shape), []).append((j, v))
        return by_shape

    def _scratch(self, nbytes):
        offset = self.workspace
        self.workspace += (nbytes + _ALIGN - 1) // _ALIGN * _ALIGN
        return offset

    def _needed(self):
        """The nodes the outputs depend on (a group's dead nodes are not rendered)."""
        needed = set()
        stack = [v for v in self.graph.outputs if type(v) is not Literal]
        while stack:
            v = stack.pop()
            n = self.producer.get(v)
            if n is None or id(n) in needed:
                continue
            needed.add(id(n))
            stack.extend(a for a in n.inputs if type(a) is not Literal)
        return needed

    def _materialise_reductions(self, outputs):
        needed = self._needed()
        for n in self.graph.nodes:
            if id(n) not in needed or n.op.name not in _REDUCES:
                continue
            v = n.outputs[0]
            storage = STORAGE[v.dtype]
            if v in outputs:
                ptr = f"y{outputs[v][0]}"
                outputs[v] = outputs[v][1:]
            else:
                ptr = self.fresh("r")
                offset = self._scratch(max(v.size, 1) * v.dtype.itemsize)
                self.body.append(f"{storage} *{ptr} = ({storage} *)(ws + {offset});")
            self.body.extend(_Reduction(self, n, ptr, storage).lines())
            self.buffers[v] = (ptr, storage)

    def _output_nests(self, outputs):
        for shape, group in self._output_groups(outputs).items():
            headers, idx = _loops(shape)
            body = _Body(self)
            stores = []
            for k, v in group:
                value = body.value(v, idx)
                stores.append(f"y{k}[{_linear(idx, shape)}] = {_store(STORAGE[np.dtype(v.dtype)], value)};")
            parallel = _size(shape) >= PARALLEL_MIN and headers
            self.body.extend(_nest(headers, body.lines + stores, parallel, simd=True))


class _RowMismatch(Exception):
    """A group cannot be rendered rows fused (a value reads a reduction at another row)."""


class _Reduction:
    """The loop nest of one reduction: kept axes outside and reduced axes inside, with a scalar
    accumulator, when the last axis is reduced; otherwise one pass over the input in memory order
    accumulating into an array of the kept elements (the inner loop stays contiguous)."""

    _INIT = {"reduce_sum": "0", "reduce_mean": "0", "reduce_prod": "1", "reduce_all": "1",
             "reduce_any": "0"}
    _OMP = {"reduce_sum": "+", "reduce_mean": "+", "reduce_prod": "*", "reduce_max": "max",
            "reduce_min": "min", "reduce_all": "&", "reduce_any": "|"}

    def __init__(self, renderer, node, ptr, storage):
        self.r = renderer
        self.node = node
        self.ptr = ptr
        self.storage = storage
        self.op = node.op.name
        self.x = node.inputs[0]
        self.axes = normalize_axes(self.op, node.attrs.get("axis"), len(self.x.shape))
        self.keepdims = bool(node.attrs.get("keepdims", False))
        self.out = node.outputs[0]
        xk = kind(self.x.dtype)
        if xk == "f" and STORAGE[self.x.dtype] in _HALF and self.op in ("reduce_sum", "reduce_mean",
                                                                       "reduce_prod"):
            raise unsupported(f"{self.op} of half precision (numpy rounds each partial sum)")
        if self.op == "reduce_mean" and xk != "f":
            raise unsupported("reduce_mean of integers")
        self.xkind = xk
        self.acc_type = self._acc_type()

    def _acc_type(self):
        if self.op in ("reduce_all", "reduce_any"):
            return "int"
        if self.xkind == "f":
            if self.op in ("reduce_max", "reduce_min"):
                return COMPUTE[self.x.dtype]
            return "double"
        if self.op in ("reduce_max", "reduce_min"):
            return COMPUTE[self.x.dtype]
        return "uint64_t"

    def _init(self):
        if self.op in self._INIT:
            return self._INIT[self.op]
        big = self.op == "reduce_min"
        if self.xkind == "f":
            return "INFINITY" if big else "-INFINITY"
        info = np.iinfo(np.uint8 if self.xkind == "b" else self.x.dtype)
        return c_const(info.max if big else info.min, np.uint8 if self.xkind == "b" else self.x.dtype)

    def _combine(self, acc, v):
        """Statements folding value ``v`` into accumulator ``acc`` (an lvalue)."""
        op = self.op
        if op in ("reduce_sum", "reduce_mean"):
            return [f"{acc} += ({self.acc_type}){v};"]
        if op == "reduce_prod":
            return [f"{acc} *= ({self.acc_type}){v};"]
        if op == "reduce_all":
            return [f"{acc} &= ({v} != 0);"]
        if op == "reduce_any":
            return [f"{acc} |= ({v} != 0);"]
        cmp = ">" if op == "reduce_max" else "<"
        if self.xkind == "f":
            return [f"{acc} = ({v} {cmp} {acc} || {v} != {v}) ? {v} : {acc};"]
        return [f"{acc} = {v} {cmp} {acc} ? {v} : {acc};"]

    def _final(self, acc):
        out_c = COMPUTE[self.out.dtype]
        if self.op == "reduce_mean":
            count = _size([self.x.shape[a] for a in self.axes])
            value = f"({out_c})(({out_c}){acc} / ({out_c}){count})"
        elif self.out.dtype == np.bool_:
            value = f"({acc} != 0)"
        elif self.acc_type == "uint64_t" and kind(self.out.dtype) == "i":
            value = f"({out_c})(int64_t){acc}"
        else:
            value = f"({out_c}){acc}"
        return _store(self.storage, value)

    def _out_index(self, idx):
        if self.keepdims:
            return tuple("0" if d in self.axes else i for d, i in enumerate(idx))
        return tuple(i for d, i in enumerate(idx) if d not in self.axes)

    def lines(self, in_row=None):
        """The C lines of the reduction; ``in_row``: the loops over the first ``in_row`` (kept)
        axes are outside, already open."""
        shape = self.x.shape
        live = [d for d, s in enumerate(shape) if s != 1]
        if in_row is not None or not live or live[-1] in self.axes:
            return self._rows(in_row)
        return self._columns()

    def _rows(self, in_row=None):
        shape = self.x.shape
        kept = [d for d in range(len(shape)) if d not in self.axes and in_row is None]
        reduced = [d for d in range(len(shape)) if d in self.axes]
        kept_headers, _ = _loops([shape[d] if d in kept else 1 for d in range(len(shape))])
        red_headers, _ = _loops([shape[d] if d in reduced else 1 for d in range(len(shape))])
        _, idx = _loops(shape)
        body = _Body(self.r)
        v = body.value(self.x, idx)
        stash = self.r.stash_row_value(self.x, idx, in_row) if in_row is not None else None
        if stash is not None:
            body.lines.append(f"{stash} = {v};")
        nan = self.xkind == "f" and self.op in ("reduce_max", "reduce_min")
        inner = body.lines + self._combine("acc", v)
        clause = f"reduction({self._OMP[self.op]}:acc)"
        if nan:
            inner = body.lines + [f"acc = {v} {'>' if self.op == 'reduce_max' else '<'} acc ? {v} : acc;",
                                  f"has_nan |= ({v} != {v});"]
            clause += " reduction(|:has_nan)"
        big = _size(shape) >= PARALLEL_MIN and in_row is None
        red = _nest_simd(red_headers, inner, clause, parallel=big and not kept_headers)
        out_idx = self._out_index(idx)
        head = [f"{self.acc_type} acc = {self._init()};"]
        tail = []
        if nan:
            head.append("int has_nan = 0;")
            tail.append("if (has_nan) acc = NAN;")
        store = f"{self.ptr}[{_linear(out_idx, self.out.shape)}] = {self._final('acc')};"
        whole = head + red + tail + [store]
        nest = _nest(kept_headers, whole, big and bool(kept_headers))
        return ["{"] + ["    " + line for line in nest] + ["}"]

    def _columns(self):
        shape = self.x.shape
        if self.xkind == "f" and self.op in ("reduce_sum", "reduce_mean", "reduce_prod"):
            # numpy adds the rows of a leading-axis sum one after another in the input's type:
            # so does this loop, giving numpy's own result (and 8 float lanes instead of 4 doubles)
            self.acc_type = COMPUTE[self.x.dtype]
        live = [d for d, s in enumerate(shape) if s != 1]
        reduced = [d for d in live if d in self.axes]
        if (reduced and live[:len(reduced)] == reduced and _size(shape) >= PARALLEL_MIN
                and self.out.size >= 2 * _COLUMN_BLOCK):
            return self._column_blocks()
        count = self.out.size
        offset = self.r._scratch(max(count, 1) * 8)
        acc = self.r.fresh("acc")
        lines = [f"{self.acc_type} *{acc} = ({self.acc_type} *)(ws + {offset});",
                 f"for (long k = 0; k < {count}; k++) {acc}[k] = {self._init()};"]
        headers, idx = _loops(shape)
        body = _Body(self.r)
        v = body.value(self.x, idx)
        slot = f"{acc}[{_linear(self._out_index(idx), self.out.shape)}]"
        live = [d for d, s in enumerate(shape) if s != 1]
        first_kept = live[0] not in self.axes
        parallel = _size(shape) >= PARALLEL_MIN and first_kept
        lines += _nest(headers, body.lines + self._combine(slot, v), parallel, simd=True)
        lines.append(f"for (long k = 0; k < {count}; k++) {self.ptr}[k] = {self._final(f'{acc}[k]')};")
        return lines


    def _column_blocks(self):
        """Leading axes reduced, trailing ones kept (a bias gradient): the input read as
        ``[R, K]``, each thread taking one contiguous range of the K columns and adding the R
        rows into its accumulators (in the workspace) in order, as numpy does."""
        shape = self.x.shape
        count = self.out.size
        rows = _size(shape) // count
        offset = self.r._scratch(count * 8)
        acc = self.r.fresh("acc")
        body = _Body(self.r)
        v = body.value(self.x, _reshape_index(("rr", "cc"), (rows, count), shape))
        inner = body.lines + self._combine(f"{acc}[cc]", v)
        block = ["#ifdef _OPENMP",
                 "const long nt = omp_get_num_threads(), t = omp_get_thread_num();",
                 "#else",
                 "const long nt = 1, t = 0;",
                 "#endif",
                 f"const long cb = {count}L * t / nt, ce = {count}L * (t + 1) / nt;",
                 f"for (long cc = cb; cc < ce; cc++) {acc}[cc] = {self._init()};",
                 f"for (long rr = 0; rr < {rows}; rr++) {{",
                 "    #pragma omp simd",
                 "    for (long cc = cb; cc < ce; cc++) {"]
        block += ["        " + line for line in inner]
        block += ["    }", "}",
                  f"for (long cc = cb; cc < ce; cc++) {self.ptr}[cc] = {self._final(f'{acc}[cc]')};"]
        lines = [f"{self.acc_type} *{acc} = ({self.acc_type} *)(ws + {offset});",
                 "#pragma omp parallel num_threads(sp_threads)",
                 "{"]
        lines += ["    " + line for line in block]
        lines.append("}")
        return lines


# --- C text ----------------------------------------------------------------------------------------
def _indent(lines, depth):
    pad = "    " * depth
    return "".join(pad + line + "\n" for line in lines)


def _nest(headers, body, parallel=False, simd=False):
    """Loops ``headers`` around ``body`` (the outermost one shared across threads when
    ``parallel``), as a list of lines. ``simd``: the innermost loop is declared free of
    dependencies between iterations (``omp simd``), so gcc vectorises it without checking that
    the output pointers alias no input: the memory plan lets an output share an input's buffer
    only where the group reads that input at the index being written."""
    lines = []
    last = len(headers) - 1
    for depth, h in enumerate(headers):
        pad = "    " * depth
        if depth == 0 and parallel and depth == last and simd:
            lines.append("#pragma omp parallel for simd schedule(static) num_threads(sp_threads)")
        elif depth == 0 and parallel:
            lines.append("#pragma omp parallel for schedule(static) num_threads(sp_threads)")
        elif depth == last and simd:
            lines.append(pad + "#pragma omp simd")
        lines.append(pad + h + " {")
    pad = "    " * len(headers)
    lines += [pad + line for line in body]
    for depth in reversed(range(len(headers))):
        lines.append("    " * depth + "}")
    if not headers:
        lines = ["{"] + ["    " + line for line in body] + ["}"]
    return lines


def _nest_simd(headers, body, clause, parallel):
    """Reduction loops: the innermost one vectorised with ``clause`` (``omp simd`` may reorder the
    accumulation), the outermost shared across threads when ``parallel``."""
    if not headers:
        return ["{"] + ["    " + line for line in body] + ["}"]
    lines = []
    last = len(headers) - 1
    for depth, h in enumerate(headers):
        pad = "    " * depth
        if depth == 0 and parallel and depth == last:
            lines.append(f"#pragma omp parallel for simd schedule(static) num_threads(sp_threads) {clause}")
        elif depth == 0 and parallel:
            lines.append(f"#pragma omp parallel for schedule(static) num_threads(sp_threads) {clause}")
        elif depth == last:
            lines.append(f"{pad}#pragma omp simd {clause}")
        lines.append(pad + h + " {")
    pad = "    " * len(headers)
    lines += [pad + line for line in body]
    for depth in reversed(range(len(headers))):
        lines.append("    " * depth + "}")
    return lines
