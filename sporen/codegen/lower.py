"""Which C each node of a (fused) graph becomes: ``fused`` groups go to the renderer
(``codegen/c.py``), matrix products to BLAS (``codegen/gemm.py``), convolutions and pooling to the
library kernels (``codegen/library.py``), softmax, layer_norm, the sparse cross entropy and the copy
ops to the row and copy kernels (``codegen/rows.py``); a node none of them takes runs its numpy
kernel."""
from . import c, gemm, library, rows

__all__ = ["lower", "VIEW_ALIASES"]

# ops whose output is its input's memory read again with another shape, when the input is
# C-contiguous (as every value a native kernel sees is): the cpu backend copies a pointer for them
VIEW_ALIASES = frozenset({"reshape", "stop_gradient", "expand_dims", "squeeze", "flatten"})

_MATMUL = frozenset({"matmul", "batch_matmul"})


def lower(node, name):
    """The CKernel running ``node`` (C function ``name`` and helpers prefixed by it), or None when
    it has no native form (the backend runs its numpy kernel)."""
    op = node.op.name
    if op == "fused":
        try:
            return c.render_fused(node, name)  # one rendering: it raises what can_render tests
        except c.unsupported:
            return None
    if op in _MATMUL:
        return gemm.lower(node, name)
    kernel = library.lower(node, name)
    if kernel is not None:
        return kernel
    return rows.lower(node, name)
