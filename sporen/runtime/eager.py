"""PyNative on native kernels: while the context's backend is ``cpu``, the convolutions and pools
run eagerly through the cpu backend's C library kernels (``codegen/kernels``) instead of their numpy
kernels, where that pays (they are 2-10x faster: no im2col copies in numpy, no tap-by-tap adds).

Every shape runs through one compiled library: each C kernel gets a wrapper
``eager_<kernel>(void **pointers, const long *geometry)`` and a call passes the node's geometry
(what ``codegen.library`` would write as constants into a graph's translation unit) as an array,
so a new shape costs no compilation. The library is built on the first native call (once per
machine: ``runtime/cache.py`` keeps it on disk). No compiler, or an op/dtype/rank the library does
not cover: the numpy kernel runs, as it always does on the ``numpy`` backend.

Each op's eager entry is ``Op.eager`` (``Op.kernel`` stays the reference that the interpreter and
the numpy backends run); ``install()`` points it here, ``uninstall()`` back."""
import ctypes
import re
import threading

import numpy as np

from ..context import _context
from ..ir.graph import Node, Var
from ..ops.registry import OPS, Aval

__all__ = ["NATIVE_OPS", "install", "uninstall", "stats"]

# the ops with native library kernels worth a call from Python (elementwise ops are not: their
# numpy kernels already run at memory speed, and a ctypes call costs more than a small one): the
# convolutions and pools (codegen/library.py) and the row kernels (codegen/rows.py). Not embedding:
# its native gather cannot raise, and PyNative must raise IndexError for an index out of range
NATIVE_OPS = ("conv", "conv_transpose", "conv_weight_grad", "max_pool", "max_pool_indices", "max_pool_grad",
              "avg_pool", "avg_pool_grad", "softmax", "log_softmax", "sparse_softmax_cross_entropy",
              "sparse_softmax_cross_entropy_grad")

# calls that ran natively, and shapes that fell back to numpy (read by the tests)
stats = {"native": 0, "numpy": 0}

_CALL = re.compile(r"^\s*(\w+)\((.*)\);\s*$", re.S)
_POINTER = re.compile(r"^p\[(\d+)\]$")
_lock = threading.Lock()
_scratch = threading.local()


def _samples():
    """One small node of each native op and dtype, whose lowering names every wrapper the library
    needs (so it is built once, with one content, whatever a program calls first)."""
    conv = dict(stride=(1, 1), padding=((1, 1), (1, 1)), dilation=(1, 1), groups=1)
    pool = dict(kernel_size=(2, 2), stride=(2, 2), padding=((0, 0), (0, 0)), dilation=(1, 1), ceil_mode=False)
    avg = dict(pool, count_include_pad=True, divisor_override=0)
    x, w, y, p = (2, 4, 8, 8), (5, 4, 3, 3), (2, 5, 8, 8), (2, 4, 4, 4)
    for dtype in (np.float32, np.float64):
        yield "conv", (x, w), conv, dtype
        yield "conv_transpose", (y, w), dict(conv, output_padding=(0, 0)), dtype
        yield "conv_weight_grad", (x, y), dict(conv, kernel_size=(3, 3)), dtype
        yield "max_pool", (x,), pool, dtype
        yield "max_pool_indices", (x,), pool, dtype
        yield "max_pool_grad", ((p, dtype), (p, np.int64)), dict(input_shape=x), None
        yield "avg_pool", (x,), avg, dtype
        yield "avg_pool_grad", (p,), dict(avg, input_shape=x), dtype
        yield "softmax", ((4, 6),), dict(axis=(-1,)), dtype
        yield "log_softmax", ((4, 6),), dict(axis=(-1,)), dtype
        sce = dict(axis=1, ignore_index=-100, reduction="mean")
        for labels in (np.int32, np.int64):
            yield "sparse_softmax_cross_entropy", (((4, 6), dtype), ((4,), labels)), sce, None
            yield "sparse_softmax_cross_entropy_grad", (((4, 6), dtype), ((4,), labels), ((), dtype)), sce, None


class _Library:
    """The compiled library: the C kernels of codegen/kernels and one wrapper for each, built on
    the first native call (a kernel missing from the samples adds its wrapper and rebuilds)."""

    def __init__(self):
        self.wrappers = None  # wrapper name -> its C definition
        self.libraries = set()
        self.functions = {}  # wrapper name -> ctypes function
        self.handle = None

    def function(self, wrapper, definition, libraries):
        fn = self.functions.get(wrapper)
        if fn is not None:
            return fn
        with _lock:
            if self.wrappers is None:
                self.wrappers = {}
                for name, shapes, attrs, dtype in _samples():
                    specs = [s if dtype is None else (s, dtype) for s in shapes]
                    found = _lowered(OPS[name], [np.empty(s, d) for s, d in specs], attrs)
                    if found is not None:
                        self.wrappers[found[0]] = found[1]
                        self.libraries.update(found[3])
            if wrapper not in self.wrappers or not self.libraries.issuperset(libraries) or self.handle is None:
                self.wrappers[wrapper] = definition
                self.libraries.update(libraries)
                self._build()
            return self.functions[wrapper]

    def _build(self):
        from ..codegen.header import prelude
        from . import blas, cache
        from .cpu import _library_source
        info = blas.blas()
        parts = [prelude(info.int_type if info is not None else "int64_t")]
        parts += [_library_source(name) for name in sorted(self.libraries)]
        parts += [self.wrappers[name] for name in sorted(self.wrappers)]
        handle = cache.build("\n".join(parts))
        blas.bind(handle)
        # the team of the graph's kernels: a convolution or pool sets BLAS to one thread while its
        # team runs (conv.c, winograd.c); the row kernels split only large inputs (SP_ROWS_PAR_MIN)
        handle.sporen_set_threads(blas.kernel_threads())
        functions = {}
        for name in self.wrappers:
            fn = getattr(handle, name)
            fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
            fn.restype = None
            functions[name] = fn
        self.handle = handle
        self.functions = functions


_LIBRARY = _Library()


def _wrapper_of(text):
    """``(wrapper name, C definition, geometry)`` for a kernel call ``func(p[0], ..., 3, 5);``: the
    pointers stay, the integer literals become ``g[k]`` reads, passed at run time."""
    match = _CALL.match(text)
    if match is None:
        return None
    func, args = match.group(1), [a.strip() for a in match.group(2).split(",")]
    body = []
    geometry = []
    shape = []
    for a in args:
        pointer = _POINTER.match(a)
        if pointer is not None:
            body.append(a)
            shape.append("p")
        elif re.fullmatch(r"-?\d+", a):
            body.append(f"g[{len(geometry)}]")
            geometry.append(int(a))
            shape.append("g")
        else:
            return None  # a call form this path does not know (a wrapper with its own source)
    name = f"eager_{func}_{''.join(shape)}"
    definition = f"void {name}(void **p, const long *g) {{ {func}({', '.join(body)}); }}"
    return name, definition, np.array(geometry, dtype=np.int64)


class _Native:
    """The eager kernel of one op: per input signature and attributes, the compiled library
    function with its geometry, or the numpy kernel."""

    __slots__ = ("op", "kernel", "entries")

    def __init__(self, op):
        self.op = op
        self.kernel = op.kernel
        self.entries = {}

    def __call__(self, *arrays, **attrs):
        if _context["backend"] != "cpu":
            return self.kernel(*arrays, **attrs)
        key = (tuple((a.shape, a.dtype.char) for a in arrays), tuple(attrs.items()))
        entry = self.entries.get(key)
        if entry is None:
            entry = self.entries[key] = self._prepare(arrays, attrs)
        if entry is False:
            stats["numpy"] += 1
            return self.kernel(*arrays, **attrs)
        fn, out_shape, out_dtype, nbytes, geometry, n_in = entry
        out = np.empty(out_shape, out_dtype)
        pointers = (ctypes.c_void_p * (n_in + 2))()
        for i, a in enumerate(arrays):
            if not a.flags.c_contiguous:
                a = np.ascontiguousarray(a)
                arrays = arrays[:i] + (a,) + arrays[i + 1:]
            pointers[i] = a.ctypes.data
        pointers[n_in] = out.ctypes.data
        if nbytes:
            pointers[n_in + 1] = _workspace(nbytes).ctypes.data
        fn(pointers, geometry.ctypes.data)
        stats["native"] += 1
        return out

    def _prepare(self, arrays, attrs):
        """The native entry for these inputs, or False (numpy) when there is none."""
        from . import cache
        if cache.compiler() is None:
            return False
        found = _lowered(self.op, arrays, attrs)
        if found is None:
            return False
        name, definition, geometry, libraries, out, workspace = found
        try:
            fn = _LIBRARY.function(name, definition, libraries)
        except Exception:  # noqa: BLE001 - a failed build leaves PyNative on numpy, never broken
            return False
        return fn, out.shape, out.dtype, workspace, geometry, len(arrays)


def _lowered(op, arrays, attrs):
    """``(wrapper name, its C definition, geometry, libraries, output Var, workspace bytes)`` of
    ``op`` on arrays of these shapes and dtypes, or None when the library has no kernel for it."""
    from ..codegen.lower import lower
    from ..dtype import _BY_NP
    try:
        aval = op.infer(*[Aval(a.shape, _BY_NP[a.dtype]) for a in arrays], **attrs)
        if isinstance(aval, tuple):
            return None
        out = Var(aval.shape, aval.dtype.np)
        kernel = lower(Node(op, [Var(a.shape, a.dtype) for a in arrays], attrs, [out]), "eager")
    except (KeyError, TypeError, ValueError):
        return None
    if kernel is None or kernel.source:
        return None
    n_in = len(arrays)
    ins = [f"p[{i}]" for i in range(n_in)]
    # the workspace slot is always a pointer (NULL at run time when the kernel needs none), so
    # that no literal 0 of the call becomes an integer passed for a pointer
    text = kernel.call(ins, [f"p[{n_in}]"], f"p[{n_in + 1}]")
    wrapper = _wrapper_of(text)
    if wrapper is None:
        return None
    return wrapper + (kernel.libraries, out, kernel.workspace)


def _workspace(nbytes):
    """A scratch buffer of at least ``nbytes`` for this thread, grown as needed and reused."""
    buf = getattr(_scratch, "buf", None)
    if buf is None or buf.nbytes < nbytes:
        buf = _scratch.buf = np.empty(max(nbytes, 1 << 16), np.uint8)
    return buf


def install():
    """Point the eager entry of every op of ``NATIVE_OPS`` at its native kernel."""
    for name in NATIVE_OPS:
        op = OPS.get(name)
        if op is not None and not isinstance(op.eager, _Native):
            op.eager = _Native(op)


def uninstall():
    """Every op of ``NATIVE_OPS`` back on its numpy kernel in PyNative."""
    for name in NATIVE_OPS:
        op = OPS.get(name)
        if op is not None:
            op.eager = op.kernel
