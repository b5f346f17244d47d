"""Lowerings of the row and copy ops to the shared C kernels codegen/kernels/rows.c (softmax,
log_softmax, layer_norm, sparse_softmax_cross_entropy and its gradient) and copy.c (concat, stack,
split, embedding, embedding_dense_grad): one compiled copy serves every shape, each node's call
passes its geometry (integer literals, the form PyNative's eager path turns into run-time
arguments: runtime/eager.py).

Row kernels take float32 and float64 (and int32/int64 labels); copy kernels any dtype (they move
bytes), the scatter-add float32/float64. Anything else lowers to None and runs its numpy kernel."""
import numpy as np

from .kernel import CKernel

__all__ = ["lower"]

_SUFFIX = {np.dtype(np.float32): "f32", np.dtype(np.float64): "f64"}
_LABELS = {np.dtype(np.int32): "i32", np.dtype(np.int64): "i64"}
_INDEX_WIDE = {np.dtype(np.int32): 0, np.dtype(np.int64): 1}
_REDUCTION = {"none": 0, "sum": 1, "mean": 2}


def _size(shape):
    return int(np.prod(shape, dtype=np.int64)) if shape else 1


def _float_suffix(node):
    """The kernels' suffix when every float operand and output is the one float32/float64 dtype."""
    dtype = np.dtype(node.outputs[0].dtype)
    suffix = _SUFFIX.get(dtype)
    if suffix is None or np.dtype(node.inputs[0].dtype) != dtype:
        return None
    return suffix


def _lower_softmax(node, name):
    suffix = _float_suffix(node)
    if suffix is None:
        return None
    shape = tuple(node.inputs[0].shape)
    axis = node.attrs["axis"]
    axis = (axis,) if isinstance(axis, int) else tuple(axis)
    axes = sorted(a % len(shape) for a in axis) if shape else []
    if not axes or axes != list(range(axes[0], axes[-1] + 1)):
        return None  # no axis (a 0-d input) or axes with others between them
    outer = _size(shape[:axes[0]])
    n = _size(shape[axes[0]:axes[-1] + 1])
    inner = _size(shape[axes[-1] + 1:])
    log = int(node.op.name == "log_softmax")
    tail = f"{outer}, {n}, {inner}, {log}"

    def call(ins, outs, ws):
        return f"sp_softmax_{suffix}({ins[0]}, {outs[0]}, {tail});"

    return CKernel(name, "", call, libraries=("rows",))


def _param_size(param, tail):
    """How many values of a layer_norm weight/bias the kernel indexes per row: 1 (one value for
    all) or the row's size; None for other broadcasts."""
    size = _size(tuple(param.shape))
    if size == 1:
        return 1
    shape = tuple(param.shape)
    while shape and shape[0] == 1:
        shape = shape[1:]
    return size if shape == tuple(tail) else None


def _lower_layer_norm(node, name):
    suffix = _float_suffix(node)
    x, gamma, beta = node.inputs
    if suffix is None or gamma.dtype != x.dtype or beta.dtype != x.dtype:
        return None
    shape = tuple(x.shape)
    begin = node.attrs["begin_norm_axis"]
    if node.attrs["begin_params_axis"] != begin:
        return None
    tail = shape[begin:]
    g_n = _param_size(gamma, tail)
    b_n = _param_size(beta, tail)
    if g_n is None or b_n is None:
        return None
    rows = _size(shape[:begin])
    n = _size(tail)
    tail_args = f"{rows}, {n}, {g_n}, {b_n}, {float(node.attrs['epsilon'])!r}"

    def call(ins, outs, ws):
        return (f"sp_layer_norm_{suffix}({ins[0]}, {ins[1]}, {ins[2]}, {outs[0]}, {outs[1]}, {outs[2]}, "
                f"{tail_args});")

    return CKernel(name, "", call, libraries=("rows",))


def _lower_sce(node, name):
    """sparse_softmax_cross_entropy and its gradient, with the class axis last."""
    suffix = _float_suffix(node)
    logits, labels = node.inputs[0], node.inputs[1]
    label_suffix = _LABELS.get(np.dtype(labels.dtype))
    shape = tuple(logits.shape)
    if suffix is None or label_suffix is None or not shape or node.attrs["axis"] != len(shape) - 1:
        return None
    classes = shape[-1]
    if classes == 0:
        return None  # the numpy kernel's error (a maximum over no classes)
    rows = _size(shape[:-1])
    reduction = _REDUCTION[node.attrs["reduction"]]
    ignore = int(node.attrs["ignore_index"])
    tail = f"{rows}, {classes}, {ignore}, {reduction}"
    if node.op.name == "sparse_softmax_cross_entropy":
        func = f"sp_sce_{suffix}_{label_suffix}"

        def call(ins, outs, ws):
            return f"{func}({ins[0]}, {ins[1]}, {outs[0]}, {tail});"

        return CKernel(name, "", call, libraries=("rows",))
    if node.inputs[2].dtype != logits.dtype:
        return None
    func = f"sp_sce_grad_{suffix}_{label_suffix}"

    def grad_call(ins, outs, ws):
        return f"{func}({ins[0]}, {ins[1]}, {ins[2]}, {outs[0]}, {tail});"

    return CKernel(name, "", grad_call, libraries=("rows",))


def _blocks(shape, axis, itemsize):
    """(outer, bytes per outer index) of an array cut at ``axis``."""
    return _size(shape[:axis]), _size(shape[axis:]) * itemsize


def _joined(node, name, axis, parts_shapes, whole_shape, split):
    itemsize = np.dtype(node.outputs[0].dtype).itemsize
    outer, _ = _blocks(whole_shape, axis, itemsize)
    widths = [_blocks(s, axis, itemsize)[1] for s in parts_shapes]
    count = len(widths)
    width_list = ", ".join(f"{w}" for w in widths)

    def call(ins, outs, ws):
        if split:
            pointers = ", ".join(outs)
            return (f"{{ void *const p[] = {{{pointers}}}; const long w[] = {{{width_list}}}; "
                    f"sp_split({ins[0]}, p, w, {count}, {outer}); }}")
        pointers = ", ".join(ins)
        return (f"{{ const void *const p[] = {{{pointers}}}; const long w[] = {{{width_list}}}; "
                f"sp_concat(p, w, {count}, {outer}, {outs[0]}); }}")

    return CKernel(name, "", call, libraries=("copy",))


def _same_dtype(node):
    dtype = np.dtype(node.outputs[0].dtype)
    values = list(node.inputs) + list(node.outputs)
    return all(np.dtype(v.dtype) == dtype for v in values)


def _lower_concat(node, name):
    if not _same_dtype(node):
        return None
    axis = node.attrs["axis"]
    out = node.outputs[0]
    if node.op.name == "stack":
        # each part is one block of the new axis: its own shape from that axis on
        parts = [tuple(out.shape[:axis]) + (1,) + tuple(v.shape[axis:]) for v in node.inputs]
    else:
        parts = [tuple(v.shape) for v in node.inputs]
    return _joined(node, name, axis, parts, tuple(out.shape), split=False)


def _lower_split(node, name):
    if not _same_dtype(node):
        return None
    x = node.inputs[0]
    return _joined(node, name, node.attrs["axis"], [tuple(v.shape) for v in node.outputs], tuple(x.shape),
                   split=True)


def _lower_embedding(node, name):
    weight, indices = node.inputs
    wide = _INDEX_WIDE.get(np.dtype(indices.dtype))
    out = node.outputs[0]
    if wide is None or not weight.shape or np.dtype(out.dtype) != np.dtype(weight.dtype):
        return None
    rows = weight.shape[0]
    row_bytes = _size(tuple(weight.shape[1:])) * np.dtype(weight.dtype).itemsize
    n = _size(tuple(indices.shape))
    tail = f"{wide}, {n}, {rows}, {row_bytes}"

    def call(ins, outs, ws):
        return f"sp_gather_rows({ins[0]}, {ins[1]}, {tail}, {outs[0]});"

    return CKernel(name, "", call, libraries=("copy",))


def _lower_embedding_grad(node, name):
    dout, indices = node.inputs
    out = node.outputs[0]
    suffix = _SUFFIX.get(np.dtype(out.dtype))
    wide = _INDEX_WIDE.get(np.dtype(indices.dtype))
    if suffix is None or wide is None or np.dtype(dout.dtype) != np.dtype(out.dtype):
        return None
    rows = node.attrs["num_weights"]
    row = _size(tuple(out.shape[1:]))
    n = _size(tuple(indices.shape))
    by_freq = int(bool(node.attrs["scale_grad_by_freq"]))
    padding = node.attrs["padding_idx"]
    if padding is None:
        padding = -1
    elif padding < 0:
        padding += rows  # numpy's grad[padding_idx] wraps a negative index
    workspace = 8 * rows if by_freq else 0
    tail = f"{wide}, {n}, {rows}, {row}, {by_freq}, {int(padding)}"

    def call(ins, outs, ws):
        counts = ws if ws is not None else "0"
        return f"sp_scatter_add_rows_{suffix}({ins[0]}, {ins[1]}, {tail}, {counts}, {outs[0]});"

    return CKernel(name, "", call, workspace=workspace, libraries=("copy",))


_LOWERINGS = {
    "softmax": _lower_softmax,
    "log_softmax": _lower_softmax,
    "layer_norm": _lower_layer_norm,
    "sparse_softmax_cross_entropy": _lower_sce,
    "sparse_softmax_cross_entropy_grad": _lower_sce,
    "concat": _lower_concat,
    "stack": _lower_concat,
    "split": _lower_split,
    "embedding": _lower_embedding,
    "embedding_dense_grad": _lower_embedding_grad,
}


def lower(node, name):
    """The native kernel of a row or copy node, or None when it has none for its dtypes or
    geometry (the backend then runs the numpy kernel). ``name``: the C name to use."""
    lowering = _LOWERINGS.get(node.op.name)
    if lowering is None:
        return None
    return lowering(node, name)
