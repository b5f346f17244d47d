"""Which C each node of a (fused) graph becomes: ``fused`` groups go to the renderer
(``codegen/c.py``), matrix products to BLAS (``codegen/gemm.py``), convolutions and pooling to the
library kernels (``codegen/library.py``); a node none of them takes runs its numpy kernel."""
import importlib

__all__ = ["lower", "VIEW_ALIASES"]

# ops whose output is its input's memory read again with another shape, when the input is
# C-contiguous (as every value a native kernel sees is): the cpu backend copies a pointer for them
VIEW_ALIASES = frozenset({"reshape", "stop_gradient", "expand_dims", "squeeze", "flatten"})

_MATMUL = frozenset({"matmul", "batch_matmul"})
_modules = {}


def _module(name):
    """``sporen.codegen.<name>``, or None while that lowering is not there (it may land later)."""
    if name not in _modules:
        try:
            _modules[name] = importlib.import_module(f"sporen.codegen.{name}")
        except ImportError as error:
            if error.name != f"sporen.codegen.{name}":
                raise
            _modules[name] = None
    return _modules[name]


def lower(node, name):
    """The CKernel running ``node`` (C function ``name`` and helpers prefixed by it), or None when
    it has no native form (the backend runs its numpy kernel)."""
    op = node.op.name
    if op == "fused":
        renderer = _module("c")
        if renderer is None or not renderer.can_render(node):
            return None
        return renderer.render_fused(node, name)
    if op in _MATMUL:
        gemm = _module("gemm")
        return gemm.lower(node, name)
    library = _module("library")
    if library is None:
        return None
    return library.lower(node, name)
