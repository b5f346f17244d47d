"""ONNX export: a sporen IR graph to an ``onnx.ModelProto`` (opset 17), one lowering per primitive in
``_LOWER``. An op with no lowering (or a control-flow node) is a clear error naming it. Uses the
``onnx`` package, imported only here and only when an ONNX export is asked for."""
import numpy as np

from ..ir.graph import Literal

__all__ = ["graph_to_onnx", "OPSET", "supported_ops"]

OPSET = 17
_IR_VERSION = 8  # the ONNX IR version of opset 17, which every onnxruntime since 1.14 reads

_onnx = None


def _import_onnx():
    global _onnx
    if _onnx is None:
        try:
            import onnx
        except ImportError:
            raise ImportError("export: file_format='ONNX' needs the 'onnx' package; install it with "
                              "pip install \"sporen[onnx]\"") from None
        _onnx = onnx
    return _onnx


class _Builder:
    """Collects ONNX nodes and initializers; names values ``v<n>``."""

    def __init__(self, onnx):
        self.onnx = onnx
        self.helper = onnx.helper
        self.nodes = []
        self.initializers = []
        self.count = 0

    def fresh(self):
        self.count += 1
        return f"v{self.count}"

    def const(self, array):
        """An initializer holding ``array``; returns its name."""
        name = self.fresh()
        self.initializers.append(self.onnx.numpy_helper.from_array(np.asarray(array), name))
        return name

    def ints(self, values):
        return self.const(np.asarray(values, dtype=np.int64))

    def add(self, op_type, inputs, n_out=1, **attrs):
        """Append a node; return its output name (or the list of them when ``n_out`` > 1)."""
        outputs = [self.fresh() for _ in range(n_out)]
        self.nodes.append(self.helper.make_node(op_type, list(inputs), outputs, name=f"{op_type}_{len(self.nodes)}",
                                                **attrs))
        return outputs[0] if n_out == 1 else outputs


def _tensor_type(np_dtype):
    onnx = _import_onnx()
    return onnx.helper.np_dtype_to_tensor_dtype(np.dtype(np_dtype))


def _cast_to(b, name, have, want):
    if np.dtype(have) == np.dtype(want):
        return name
    return b.add("Cast", [name], to=_tensor_type(want))


# --- lowerings: (builder, node, input names) -> output names ----------------------------------------

def _simple(op_type):
    def lower(b, node, ins):
        return [b.add(op_type, ins)]
    return lower


def _arith(op_type):
    """A binary op whose inputs are cast to the output dtype first (ONNX wants equal types)."""
    def lower(b, node, ins):
        want = node.outputs[0].dtype
        args = [_cast_to(b, n, v.dtype, want) for n, v in zip(ins, node.inputs)]
        return [b.add(op_type, args)]
    return lower


def _compare(op_type, negate=False):
    def lower(b, node, ins):
        common = np.result_type(*[v.dtype for v in node.inputs])
        args = [_cast_to(b, n, v.dtype, common) for n, v in zip(ins, node.inputs)]
        out = b.add(op_type, args)
        if negate:
            out = b.add("Not", [out])
        return [out]
    return lower


def _unary_chain(*op_types):
    def lower(b, node, ins):
        out = ins[0]
        for op_type in op_types:
            out = b.add(op_type, [out])
        return [out]
    return lower


def _scalar(b, value, dtype):
    return b.const(np.asarray(value, dtype=dtype))


def _square(b, node, ins):
    return [b.add("Mul", [ins[0], ins[0]])]


def _silu(b, node, ins):
    return [b.add("Mul", [ins[0], b.add("Sigmoid", [ins[0]])])]


def _gelu(b, node, ins):
    # 0.5 * x * (1 + erf(x / sqrt(2)))
    dt = node.inputs[0].dtype
    x = ins[0]
    erf = b.add("Erf", [b.add("Div", [x, _scalar(b, np.sqrt(2.0), dt)])])
    inner = b.add("Add", [erf, _scalar(b, 1.0, dt)])
    return [b.add("Mul", [b.add("Mul", [x, _scalar(b, 0.5, dt)]), inner])]


def _gelu_tanh(b, node, ins):
    # 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))
    dt = node.inputs[0].dtype
    x = ins[0]
    cube = b.add("Mul", [b.add("Mul", [x, x]), x])
    inner = b.add("Add", [x, b.add("Mul", [cube, _scalar(b, 0.044715, dt)])])
    t = b.add("Tanh", [b.add("Mul", [inner, _scalar(b, np.sqrt(2.0 / np.pi), dt)])])
    return [b.add("Mul", [b.add("Mul", [x, _scalar(b, 0.5, dt)]), b.add("Add", [t, _scalar(b, 1.0, dt)])])]


def _log1p(b, node, ins):
    return [b.add("Log", [b.add("Add", [ins[0], _scalar(b, 1.0, node.inputs[0].dtype)])])]


def _expm1(b, node, ins):
    return [b.add("Sub", [b.add("Exp", [ins[0]]), _scalar(b, 1.0, node.inputs[0].dtype)])]


def _cast(b, node, ins):
    return [b.add("Cast", ins, to=_tensor_type(node.outputs[0].dtype))]


def _where(b, node, ins):
    want = node.outputs[0].dtype
    x = _cast_to(b, ins[1], node.inputs[1].dtype, want)
    y = _cast_to(b, ins[2], node.inputs[2].dtype, want)
    return [b.add("Where", [ins[0], x, y])]


def _matmul(b, node, ins):
    a, c = ins
    if node.attrs.get("transpose_a"):
        a = _swap_last(b, a, len(node.inputs[0].shape))
    if node.attrs.get("transpose_b"):
        c = _swap_last(b, c, len(node.inputs[1].shape))
    return [b.add("MatMul", [a, c])]


def _swap_last(b, name, ndim):
    perm = list(range(ndim))
    perm[-1], perm[-2] = perm[-2], perm[-1]
    return b.add("Transpose", [name], perm=perm)


def _reshape(b, node, ins):
    shape = node.outputs[0].shape  # the inferred shape: concrete, with no -1
    allowzero = 1 if 0 in shape else 0
    return [b.add("Reshape", [ins[0], b.ints(shape)], allowzero=allowzero)]


def _transpose(b, node, ins):
    return [b.add("Transpose", ins, perm=list(node.attrs["perm"]))]


def _broadcast_to(b, node, ins):
    return [b.add("Expand", [ins[0], b.ints(node.outputs[0].shape)])]


def _tile(b, node, ins):
    return [b.add("Tile", [ins[0], b.ints(node.attrs["multiples"])])]


def _concat(b, node, ins):
    axis = node.attrs["axis"] % len(node.outputs[0].shape)
    return [b.add("Concat", ins, axis=axis)]


def _stack(b, node, ins):
    axis = node.attrs["axis"] % len(node.outputs[0].shape)
    axes = b.ints([axis])
    parts = [b.add("Unsqueeze", [name, axes]) for name in ins]
    return [b.add("Concat", parts, axis=axis)]


def _split(b, node, ins):
    axis = node.attrs["axis"] % len(node.inputs[0].shape)
    sizes = node.attrs["sizes"]
    outs = b.add("Split", [ins[0], b.ints(sizes)], n_out=len(node.outputs), axis=axis)
    return outs if isinstance(outs, list) else [outs]


def _reduce(op_type, axes_as_input):
    def lower(b, node, ins):
        axis = node.attrs.get("axis")
        ndim = len(node.inputs[0].shape)
        axes = list(range(ndim)) if axis is None else [a % ndim for a in np.atleast_1d(axis).tolist()]
        keepdims = int(bool(node.attrs.get("keepdims", False)))
        if not axes:  # reducing over no axis is the identity
            return [b.add("Identity", ins)]
        if axes_as_input:
            return [b.add(op_type, [ins[0], b.ints(axes)], keepdims=keepdims)]
        return [b.add(op_type, ins, axes=axes, keepdims=keepdims)]
    return lower


def _arg_reduce(op_type):
    def lower(b, node, ins):
        axis = node.attrs.get("axis")
        x = ins[0]
        keepdims = int(bool(node.attrs.get("keepdims", False)))
        if axis is None:  # over the flattened tensor
            x = b.add("Reshape", [x, b.ints([-1])])
            axis = 0
            keepdims = 0
        out = b.add(op_type, [x], axis=int(axis), keepdims=keepdims)
        return [_cast_to(b, out, np.int64, node.outputs[0].dtype)]
    return lower


def _softmax(op_type):
    def lower(b, node, ins):
        axis = node.attrs["axis"]
        axes = np.atleast_1d(axis).tolist()
        if len(axes) != 1:
            raise ValueError(f"export: ONNX: '{node.op.name}' over several axes {axis} has no ONNX op")
        return [b.add(op_type, ins, axis=int(axes[0]))]
    return lower


def _conv(b, node, ins):
    stride = list(node.attrs["stride"])
    dilation = list(node.attrs["dilation"])
    pads = _pads(node.attrs["padding"])
    return [b.add("Conv", ins, strides=stride, dilations=dilation, pads=pads, group=int(node.attrs["groups"]),
                  kernel_shape=list(node.inputs[1].shape[2:]))]


def _pads(padding):
    """sporen's ((begin, end) per spatial dim) -> ONNX's [begins..., ends...]."""
    pairs = [tuple(p) if isinstance(p, (tuple, list)) else (p, p) for p in padding]
    return [p[0] for p in pairs] + [p[1] for p in pairs]


def _max_pool(b, node, ins):
    a = node.attrs
    return [b.add("MaxPool", ins, kernel_shape=list(a["kernel_size"]), strides=list(a["stride"]),
                  pads=_pads(a["padding"]), dilations=list(a["dilation"]), ceil_mode=int(bool(a["ceil_mode"])))]


def _avg_pool(b, node, ins):
    a = node.attrs
    if a.get("divisor_override"):  # 0 and None: no override
        raise ValueError("export: ONNX: avg_pool with 'divisor_override' has no ONNX op")
    if any(d != 1 for d in a["dilation"]):
        raise ValueError("export: ONNX: avg_pool with a dilation has no ONNX op in opset 17")
    return [b.add("AveragePool", ins, kernel_shape=list(a["kernel_size"]), strides=list(a["stride"]),
                  pads=_pads(a["padding"]), ceil_mode=int(bool(a["ceil_mode"])),
                  count_include_pad=int(bool(a["count_include_pad"])))]


def _batch_norm(b, node, ins):
    if node.attrs["training"]:
        raise ValueError("export: ONNX: batch_norm in training mode (batch statistics) is not exported; "
                         "export the network in predict mode")
    out = b.add("BatchNormalization", ins, epsilon=float(node.attrs["epsilon"]))
    return [out, None, None]  # the statistics outputs are the running ones: no ONNX value


def _layer_norm(b, node, ins):
    a = node.attrs
    ndim = len(node.inputs[0].shape)
    axis = a["begin_norm_axis"] % ndim
    if a["begin_params_axis"] % ndim < axis:
        raise ValueError("export: ONNX: layer_norm with 'begin_params_axis' before 'begin_norm_axis' has "
                         "no ONNX op")
    out = b.add("LayerNormalization", ins, axis=axis, epsilon=float(a["epsilon"]))
    return [out, None, None]


def _gather(b, node, ins):
    axis = node.attrs["axis"] % len(node.inputs[0].shape)
    return [b.add("Gather", ins, axis=axis)]


def _embedding(b, node, ins):
    return [b.add("Gather", ins, axis=0)]


_PAD_MODES = {"constant": "constant", "reflect": "reflect", "replicate": "edge"}


def _pad(b, node, ins):
    a = node.attrs
    mode = a.get("mode", "constant")
    pads = _pads(a["paddings"])
    inputs = [ins[0], b.ints(pads)]
    if mode == "constant":
        value = a.get("value") or 0
        inputs.append(b.const(np.asarray(value, dtype=node.inputs[0].dtype)))
    elif mode not in _PAD_MODES:
        raise ValueError(f"export: ONNX: pad mode '{mode}' has no ONNX op in opset {OPSET}")
    return [b.add("Pad", inputs, mode=_PAD_MODES.get(mode, mode))]


_INT64_MIN = -2 ** 63


def _lower_index(b, index, x, shape, arrays, array_vars, what):
    """Basic indexing (an index description of getitem: slices, ints, None) and one index array,
    as Slice, Gather and Unsqueeze nodes applied one dimension at a time."""
    kinds = [e[0] for e in index]
    if kinds.count("t") > 1 or ("t" in kinds and "i" in kinds):
        raise ValueError(f"export: ONNX: '{what}' with several advanced indices has no ONNX mapping")
    dims = list(shape)
    cur = 0
    for e in index:
        kind = e[0]
        if kind == "s":
            n = dims[cur]
            start, stop, step = slice(e[1], e[2], e[3]).indices(n)
            length = len(range(start, stop, step))
            if (start, stop, step) != (0, n, 1):
                if step < 0 and stop < 0:
                    stop = _INT64_MIN  # "before the first element": ONNX reads -1 as the last one
                x = b.add("Slice", [x, b.ints([start]), b.ints([stop]), b.ints([cur]), b.ints([step])])
            dims[cur] = length
            cur += 1
        elif kind == "i":
            x = b.add("Gather", [x, b.const(np.asarray(e[1], dtype=np.int64))], axis=cur)
            dims.pop(cur)
        elif kind == "n":
            x = b.add("Unsqueeze", [x, b.ints([cur])])
            dims.insert(cur, 1)
            cur += 1
        elif kind == "t":
            ishape = tuple(array_vars[e[1]].shape)
            x = b.add("Gather", [x, arrays[e[1]]], axis=cur)
            dims[cur:cur + 1] = ishape
            cur += len(ishape)
        else:
            raise ValueError(f"export: ONNX: '{what}' with a bool scalar index has no ONNX mapping")
    return x


def _getitem(b, node, ins):
    return [_lower_index(b, node.attrs["index"], ins[0], node.inputs[0].shape, ins[1:], node.inputs[1:],
                        node.op.name)]


def _strided_slice(b, node, ins):
    from ..ops.indexing import _normalize_basic
    from ..ops.movement import _strided_index
    shape = node.inputs[0].shape
    index = _normalize_basic(_strided_index(len(shape), **node.attrs), shape)
    return [_lower_index(b, index, ins[0], shape, [], [], node.op.name)]


def _slice(b, node, ins):
    begin = list(node.attrs["begin"])
    size = list(node.attrs["size"])
    shape = node.inputs[0].shape
    ends = [start + n if n >= 0 else dim for start, n, dim in zip(begin, size, shape)]
    return [b.add("Slice", [ins[0], b.ints(begin), b.ints(ends), b.ints(list(range(len(shape))))])]


def _identity(b, node, ins):
    return [b.add("Identity", ins)]


def _cumsum(b, node, ins):
    axis = node.attrs["axis"]
    return [b.add("CumSum", [ins[0], b.const(np.asarray(axis, dtype=np.int64))])]


_LOWER = {
    "add": _arith("Add"), "sub": _arith("Sub"), "mul": _arith("Mul"), "div": _arith("Div"),
    "pow": _arith("Pow"), "maximum": _arith("Max"), "minimum": _arith("Min"),
    "neg": _simple("Neg"), "exp": _simple("Exp"), "log": _simple("Log"), "sqrt": _simple("Sqrt"),
    "rsqrt": _unary_chain("Sqrt", "Reciprocal"), "tanh": _simple("Tanh"), "sigmoid": _simple("Sigmoid"),
    "relu": _simple("Relu"), "abs": _simple("Abs"), "reciprocal": _simple("Reciprocal"),
    "floor": _simple("Floor"), "ceil": _simple("Ceil"), "erf": _simple("Erf"), "sin": _simple("Sin"),
    "cos": _simple("Cos"), "tan": _simple("Tan"), "sign": _simple("Sign"), "isnan": _simple("IsNaN"),
    "isinf": _simple("IsInf"), "logical_not": _simple("Not"), "logical_and": _simple("And"),
    "logical_or": _simple("Or"), "logical_xor": _simple("Xor"), "stop_gradient": _identity,
    "square": _square, "silu": _silu, "gelu": _gelu, "gelu_tanh": _gelu_tanh, "log1p": _log1p,
    "expm1": _expm1, "cast": _cast, "where": _where,
    "equal": _compare("Equal"), "not_equal": _compare("Equal", negate=True), "greater": _compare("Greater"),
    "greater_equal": _compare("GreaterOrEqual"), "less": _compare("Less"),
    "less_equal": _compare("LessOrEqual"),
    "matmul": _matmul, "batch_matmul": _matmul,
    "reshape": _reshape, "transpose": _transpose, "broadcast_to": _broadcast_to, "tile": _tile,
    "concat": _concat, "stack": _stack, "split": _split, "getitem": _getitem,
    "strided_slice": _strided_slice, "slice": _slice, "gather": _gather, "embedding": _embedding,
    "pad": _pad,
    "reduce_sum": _reduce("ReduceSum", True), "reduce_mean": _reduce("ReduceMean", False),
    "reduce_max": _reduce("ReduceMax", False), "reduce_min": _reduce("ReduceMin", False),
    "reduce_prod": _reduce("ReduceProd", False), "argmax": _arg_reduce("ArgMax"),
    "argmin": _arg_reduce("ArgMin"), "cumsum": _cumsum,
    "softmax": _softmax("Softmax"), "log_softmax": _softmax("LogSoftmax"),
    "conv": _conv, "max_pool": _max_pool, "avg_pool": _avg_pool, "batch_norm": _batch_norm,
    "layer_norm": _layer_norm,
}


def supported_ops():
    """The names of the sporen ops the ONNX exporter lowers."""
    return sorted(_LOWER)


def _emit(b, graph, param_names):
    """Emit ``graph``'s nodes into ``b.nodes`` with its params bound to ``param_names``; return
    the names of its outputs (a Literal output becomes an initializer)."""
    env = dict(zip(graph.params, param_names))

    def name_of(value, where):
        if type(value) is Literal:
            return b.const(value.value)
        name = env.get(value)
        if name is None:
            raise ValueError(f"export: ONNX: {where} uses an output of an op that has no ONNX value")
        return name

    for index, node in enumerate(graph.nodes):
        op_name = node.op.name
        where = f"graph '{graph.name}', node {index} ({op_name})"
        lower = _CONTROL.get(op_name) if node.subgraphs else _LOWER.get(op_name)
        if lower is None:
            if node.subgraphs:
                raise ValueError(f"export: ONNX: the control-flow op '{op_name}' ({where}) has no ONNX "
                                 f"mapping; export the network to MINDIR instead")
            raise ValueError(f"export: ONNX: the op '{op_name}' ({where}) has no ONNX mapping; the "
                             f"mapped ops are: {', '.join(supported_ops())}")
        ins = [name_of(v, where) for v in node.inputs]
        outs = lower(b, node, ins)
        for var, name in zip(node.outputs, outs):
            if name is not None:
                env[var] = name
    return [name_of(v, f"graph '{graph.name}', output {j}") for j, v in enumerate(graph.outputs)]


def _value_info(b, name, value):
    return b.helper.make_tensor_value_info(name, _tensor_type(value.dtype), list(value.shape))


def _subgraph(b, graph, param_names, inputs=(), extra_outputs=()):
    """An ONNX GraphProto running ``graph`` with its params bound to ``param_names`` (names of the
    enclosing scope, or of ``inputs``: ``(name, value)`` pairs that become the subgraph's inputs).
    Its outputs are ``extra_outputs`` (``(name, value)``) then the graph's outputs, through fresh
    Identity nodes (a subgraph output must be produced inside it)."""
    saved = b.nodes
    b.nodes = []
    try:
        results = _emit(b, graph, param_names)
        outputs = []
        for name, value in extra_outputs:
            outputs.append(_value_info(b, name, value))
        for name, value in zip(results, graph.outputs):
            out = b.add("Identity", [name])
            outputs.append(_value_info(b, out, value))
        nodes = b.nodes
    finally:
        b.nodes = saved
    graph_inputs = [_value_info(b, name, value) for name, value in inputs]
    return b.helper.make_graph(nodes, graph.name, graph_inputs, outputs)


def _if(b, node, ins):
    then_g, else_g = node.subgraphs
    operands = ins[1:]
    then_branch = _subgraph(b, then_g, operands)
    else_branch = _subgraph(b, else_g, operands)
    outs = b.add("If", [ins[0]], n_out=len(node.outputs), then_branch=then_branch, else_branch=else_branch)
    return outs if isinstance(outs, list) else [outs]


class _Scalar:
    """The abstract value of a scalar (for a Loop body's iteration number and condition)."""

    def __init__(self, dtype):
        self.shape = ()
        self.dtype = np.dtype(dtype)


def _while(b, node, ins):
    # while(carries, invariants): ONNX Loop with no trip count, the condition computed before the
    # loop and again at the end of each body run; the invariants are read from the enclosing scope
    cond_g, body_g = node.subgraphs
    n_carry = node.attrs["n_carry"]
    carries = ins[:n_carry]
    invariants = ins[n_carry:]
    first = _emit(b, cond_g, carries + invariants)[0]
    iteration = b.fresh()
    cond_in = b.fresh()
    carried = [b.fresh() for _ in carries]
    saved = b.nodes
    b.nodes = []
    try:
        new = _emit(b, body_g, carried + invariants)
        cond_out = _emit(b, cond_g, new + invariants)[0]
        outputs = [_value_info(b, b.add("Identity", [cond_out]), _Scalar(np.bool_))]
        for name, value in zip(new, body_g.outputs):
            outputs.append(_value_info(b, b.add("Identity", [name]), value))
        nodes = b.nodes
    finally:
        b.nodes = saved
    inputs = [_value_info(b, iteration, _Scalar(np.int64)), _value_info(b, cond_in, _Scalar(np.bool_))]
    inputs += [_value_info(b, name, p) for name, p in zip(carried, body_g.params[:n_carry])]
    body = b.helper.make_graph(nodes, body_g.name, inputs, outputs)
    outs = b.add("Loop", ["", first] + carries, n_out=n_carry, body=body)
    return outs if isinstance(outs, list) else [outs]


_CONTROL = {"if": _if, "while": _while}


def graph_to_onnx(graph, input_names, weights):
    """The ONNX model (opset 17) of ``graph``, whose params are the inputs (named ``input_names``)
    then the weights (``(name, ndarray)`` pairs, written as initializers). The outputs are named
    ``output_0``, ``output_1``... The model passes ``onnx.checker``."""
    onnx = _import_onnx()
    helper = onnx.helper
    b = _Builder(onnx)
    n_in = len(input_names)
    graph_inputs = []
    for p, name in zip(graph.params[:n_in], input_names):
        graph_inputs.append(_value_info(b, name, p))
    weight_names = []
    for name, array in weights:
        weight_names.append(name)
        b.initializers.append(onnx.numpy_helper.from_array(np.asarray(array), name))
    results = _emit(b, graph, list(input_names) + weight_names)
    graph_outputs = []
    for j, (name, value) in enumerate(zip(results, graph.outputs)):
        out = f"output_{j}"
        b.nodes.append(helper.make_node("Identity", [name], [out], name=out))
        graph_outputs.append(_value_info(b, out, value))
    onnx_graph = helper.make_graph(b.nodes, graph.name, graph_inputs, graph_outputs, initializer=b.initializers)
    model = helper.make_model(onnx_graph, producer_name="sporen", opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = _IR_VERSION
    onnx.checker.check_model(model)
    return model
