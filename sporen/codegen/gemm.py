"""Matrix products as BLAS calls: ``matmul`` and ``batch_matmul`` nodes lowered to C that calls
numpy's sgemm/dgemm (``sp_sgemm``/``sp_dgemm`` of the prelude) straight on the planned buffers,
transposes passed as BLAS flags, never copied.

BLAS runs on one thread here and the cores are shared out by the kernel itself, on the OpenMP team
every other kernel uses (``sp_threads``): a large product's rows or columns are cut into one panel
per thread (the prelude's ``sp_sgemm_team``), a batch of products runs its products side by side.
Two thread pools on a 2-core machine (OpenBLAS's and OpenMP's, each busy-waiting after its work)
made every kernel after a product wait for a core: the elementwise kernels had to run on one
thread, and a 20x256x1024 product cost more on two BLAS threads than on one. Products under
SPLIT_GEMM_MACS multiply-adds run on the calling thread alone. The BLAS thread count is switched
through numpy's own ``openblas_set_num_threads`` (``sp_blas_single_begin``/``sp_blas_single_end``,
a no-op inside a graph's segment, which already runs BLAS on one thread) and restored after, so
numpy's calls never see the change; where numpy's BLAS has no such function the team is one thread
(``runtime.blas.kernel_threads``) and BLAS keeps its own threads."""
import numpy as np

from .kernel import CKernel

__all__ = ["lower", "SPLIT_GEMM_MACS"]

# a product with fewer multiply-adds than this runs on the calling thread alone (~80 us on one core)
SPLIT_GEMM_MACS = 1 << 21

_GEMM = {np.dtype(np.float32): ("float", "sp_sgemm", "1.0f", "0.0f"),
         np.dtype(np.float64): ("double", "sp_dgemm", "1.0", "0.0")}


def _operand_layout(shape, transpose):
    """(rows, cols) of the product's operand, and the leading dimension of its stored matrix."""
    stored_rows, stored_cols = shape[-2], shape[-1]
    if transpose:
        return (stored_cols, stored_rows), max(1, stored_cols)
    return (stored_rows, stored_cols), max(1, stored_cols)


def _batch_strides(shape, batch):
    """Element strides of an operand's batch dims, aligned to the output's ``batch`` dims (0 where
    the operand is broadcast)."""
    matrix = shape[-2] * shape[-1]
    own = shape[:-2]
    strides = [0] * len(batch)
    step = matrix
    for i in range(1, len(own) + 1):
        if own[-i] != 1:
            strides[-i] = step
        step *= own[-i]
    return strides


def lower(node, name):
    """The CKernel of a ``matmul`` or ``batch_matmul`` node (float32 through sgemm, float64 through
    dgemm), or None for other ops and dtypes. Products of SPLIT_GEMM_MACS multiply-adds or more are
    cut into panels over the team; a batch runs its products side by side."""
    if node.op.name not in ("matmul", "batch_matmul") or len(node.outputs) != 1:
        return None
    a, b = node.inputs
    out = node.outputs[0]
    types = _GEMM.get(np.dtype(out.dtype))
    if types is None or a.dtype != out.dtype or b.dtype != out.dtype:
        return None
    ctype, gemm, one, zero = types
    transpose_a = bool(node.attrs.get("transpose_a", False))
    transpose_b = bool(node.attrs.get("transpose_b", False))
    (m, k), lda = _operand_layout(a.shape, transpose_a)
    (_, n), ldb = _operand_layout(b.shape, transpose_b)
    ldc = max(1, n)
    batch = tuple(out.shape[:-2])
    count = int(np.prod(batch)) if batch else 1
    flag_a = "SP_TRANS" if transpose_a else "SP_NO_TRANS"
    flag_b = "SP_TRANS" if transpose_b else "SP_NO_TRANS"
    lines = [f"static void {name}(const void *a_, const void *b_, void *c_) {{",
             f"    const {ctype} *a = (const {ctype} *)a_;",
             f"    const {ctype} *b = (const {ctype} *)b_;",
             f"    {ctype} *c = ({ctype} *)c_;"]
    if count * m * n == 0:
        lines.append("    (void)a; (void)b; (void)c;")
    elif k == 0:
        # an empty sum: BLAS may leave C untouched when k is 0
        lines.append(f"    (void)a; (void)b; memset(c, 0, sizeof({ctype}) * {count * m * n});")
    else:
        a_strides = _batch_strides(a.shape, batch)
        b_strides = _batch_strides(b.shape, batch)
        folds = (count > 1 and not transpose_a and not any(b_strides)
                 and tuple(a.shape[:-2]) == batch)
        rows = m * count if folds else m
        lines.append("    int threads = sp_blas_single_begin();")
        if count == 1 or folds:
            # one product, or b shared by every batch of a contiguous a: the batch is more rows
            args = f"{flag_a}, {flag_b}, {rows}, {n}, {k}, {one}, a, {lda}, b, {ldb}, {zero}, c, {ldc}"
            if rows * n * k < SPLIT_GEMM_MACS:
                lines.append(f"    {gemm}(SP_ROW_MAJOR, {args});")
            else:
                lines.append(f"    {gemm}_team({args});")
        else:
            lines.extend(_batch_loop(batch, a_strides, b_strides, m * n, gemm, flag_a, flag_b,
                                     (m, n, k, lda, ldb, ldc), one, zero))
        lines.append("    sp_blas_single_end(threads);")
    lines.append("}")
    source = "\n".join(lines) + "\n"

    def call(ins, outs, ws):
        return f"{name}({ins[0]}, {ins[1]}, {outs[0]});"
    return CKernel(name, source, call)


def _batch_loop(batch, a_strides, b_strides, c_step, gemm, flag_a, flag_b, dims, one, zero):
    """The loop over the batch's products: side by side on the team, one product per thread, when
    there are at least two per thread or they are small; else one after the other, each cut into
    panels over the team."""
    m, n, k, lda, ldb, ldc = dims
    count = int(np.prod(batch))
    small = m * n * k < SPLIT_GEMM_MACS
    lines = [f"    const int side_by_side = {1 if small else f'{count} >= 2 * sp_threads'};",
             "    #pragma omp parallel for num_threads(sp_threads) schedule(static) if(side_by_side && sp_threads > 1)",
             f"    for (long t = 0; t < {count}; t++) {{",
             "        long rest = t;",
             "        long ia = 0;",
             "        long ib = 0;"]
    # unravel t over the batch dims, last first, adding each operand's (possibly 0) stride
    for axis in range(len(batch) - 1, -1, -1):
        size = batch[axis]
        if size == 1:
            continue
        lines.append(f"        long d{axis} = rest % {size};")
        lines.append(f"        rest /= {size};")
        if a_strides[axis]:
            lines.append(f"        ia += d{axis} * {a_strides[axis]}L;")
        if b_strides[axis]:
            lines.append(f"        ib += d{axis} * {b_strides[axis]}L;")
    lines.append("        (void)rest;")
    args = f"{flag_a}, {flag_b}, {m}, {n}, {k}, {one}, a + ia, {lda}, b + ib, {ldb}, {zero}, c + t * {c_step}L, {ldc}"
    if small:
        lines.append(f"        {gemm}(SP_ROW_MAJOR, {args});")
    else:
        lines.append(f"        if (side_by_side) {gemm}(SP_ROW_MAJOR, {args});")
        lines.append(f"        else {gemm}_team({args});")
    lines.append("    }")
    return lines
