"""MINDIR: sporen IR graphs to and from MindSpore's ``mind_ir`` protobuf (ModelProto).

The layout follows MindSpore's exporter: the main graph's ``input`` holds the network inputs
(name, shape, dtype), its ``parameter`` holds the weights (named by their checkpoint names, the
data as raw little-endian bytes), each node names its inputs and outputs, and a constant is a
``Constant`` node with a ``value`` tensor attribute. Node op types are MindSpore's primitive names
where one op corresponds clearly (``MatMul``, ``Conv2D``, ``BatchNorm``...); the other ops keep
sporen's name behind the ``sporen::`` prefix. ``load`` accepts both. Control-flow nodes carry their
closed subgraphs in a GRAPH attribute named ``subgraphs``.

Attributes round-trip to the same Python types (None, bool, int, float, str, tuples, lists, sporen
dtypes, numpy dtypes and scalars), so that a loaded graph verifies and runs bit-identically."""
import sys

import numpy as np

from .. import dtype as mstype
from ..ir.graph import Graph, Literal, Node, Var
from . import _mind_ir_pb2 as pb

__all__ = ["graph_to_model", "model_to_graph", "ms_op_type", "op_for_type", "MS_OP_NAMES",
           "SPOREN_PREFIX", "MindIRFormatError"]

SPOREN_PREFIX = "sporen::"
_CONSTANT = "Constant"
_SUBGRAPHS = "subgraphs"

# sporen op -> MindSpore primitive name, where one corresponds clearly (same inputs, same meaning)
MS_OP_NAMES = {
    "abs": "Abs", "acos": "ACos", "acosh": "Acosh", "add": "Add", "argmax": "Argmax", "argmin": "Argmin",
    "asin": "Asin", "asinh": "Asinh", "atan": "Atan", "atan2": "Atan2", "atanh": "Atanh",
    "batch_matmul": "BatchMatMul", "batch_norm": "BatchNorm", "bitwise_and": "BitwiseAnd",
    "bitwise_or": "BitwiseOr", "bitwise_xor": "BitwiseXor", "broadcast_to": "BroadcastTo", "cast": "Cast",
    "ceil": "Ceil", "concat": "Concat", "cos": "Cos", "cosh": "Cosh", "cumprod": "CumProd",
    "cumsum": "CumSum", "div": "Div", "equal": "Equal", "erf": "Erf", "erfc": "Erfc", "exp": "Exp",
    "expm1": "Expm1", "flip": "ReverseV2", "floor": "Floor", "floor_divide": "FloorDiv", "gather": "Gather",
    "gather_nd": "GatherNd", "gelu": "GeLU", "greater": "Greater", "greater_equal": "GreaterEqual",
    "isfinite": "IsFinite", "isinf": "IsInf", "isnan": "IsNan", "layer_norm": "LayerNorm", "less": "Less",
    "less_equal": "LessEqual", "lgamma": "Lgamma", "log": "Log", "log1p": "Log1p",
    "log_softmax": "LogSoftmax", "logical_and": "LogicalAnd", "logical_not": "LogicalNot",
    "logical_or": "LogicalOr", "matmul": "MatMul", "maximum": "Maximum", "minimum": "Minimum",
    "mul": "Mul", "neg": "Neg", "not_equal": "NotEqual", "one_hot": "OneHot", "pad": "Pad", "pow": "Pow",
    "reciprocal": "Reciprocal", "reduce_all": "ReduceAll", "reduce_any": "ReduceAny",
    "reduce_max": "ReduceMax", "reduce_mean": "ReduceMean", "reduce_min": "ReduceMin",
    "reduce_prod": "ReduceProd", "reduce_sum": "ReduceSum", "relu": "ReLU", "remainder": "FloorMod",
    "reshape": "Reshape", "roll": "Roll", "rsqrt": "Rsqrt", "scatter_nd": "ScatterNd", "sigmoid": "Sigmoid",
    "sign": "Sign", "silu": "SiLU", "sin": "Sin", "sinh": "Sinh", "slice": "Slice", "softmax": "Softmax",
    "sort": "Sort", "split": "Split", "sqrt": "Sqrt", "square": "Square", "stack": "Stack",
    "stop_gradient": "StopGradient", "strided_slice": "StridedSlice", "sub": "Sub", "tan": "Tan",
    "tanh": "Tanh", "tensor_scatter_update": "TensorScatterUpdate", "tile": "Tile", "topk": "TopK",
    "transpose": "Transpose", "where": "Select",
}
# ops whose MindSpore primitive depends on the number of spatial dimensions (from the input's rank)
_BY_SPATIAL_RANK = {
    "conv": {1: "Conv1D", 2: "Conv2D", 3: "Conv3D"},
    "max_pool": {2: "MaxPool", 3: "MaxPool3D"},
    "avg_pool": {2: "AvgPool", 3: "AvgPool3D"},
}
_FROM_MS = {ms: name for name, ms in MS_OP_NAMES.items()}
for _name, _by_rank in _BY_SPATIAL_RANK.items():
    for _ms in _by_rank.values():
        _FROM_MS[_ms] = _name

# sporen dtype <-> mind_ir TensorProto.DataType
_DATA_TYPE = {
    mstype.float32: pb.TensorProto.FLOAT, mstype.uint8: pb.TensorProto.UINT8,
    mstype.int8: pb.TensorProto.INT8, mstype.uint16: pb.TensorProto.UINT16,
    mstype.int16: pb.TensorProto.INT16, mstype.int32: pb.TensorProto.INT32,
    mstype.int64: pb.TensorProto.INT64, mstype.bool_: pb.TensorProto.BOOL,
    mstype.float16: pb.TensorProto.FLOAT16, mstype.float64: pb.TensorProto.DOUBLE,
    mstype.uint32: pb.TensorProto.UINT32, mstype.uint64: pb.TensorProto.UINT64,
    mstype.complex64: pb.TensorProto.COMPLEX64, mstype.complex128: pb.TensorProto.COMPLEX128,
    mstype.bfloat16: pb.TensorProto.BFLOAT16,
}
_FROM_DATA_TYPE = {code: t for t, code in _DATA_TYPE.items()}
_FROM_DATA_TYPE[pb.TensorProto.FLOAT64] = mstype.float64

_A = pb.AttributeProto
_NUMPY_DTYPE = "numpy.dtype"  # doc_string of a dtype attribute that holds a numpy dtype
_NUMPY_SCALAR = "numpy.scalar"  # doc_string of a TENSOR attribute that holds a numpy scalar
_ELLIPSIS = b"..."


class MindIRFormatError(ValueError):
    """The protobuf parsed, but it is not a graph sporen can rebuild; the message says where."""


def ms_op_type(node):
    """The op type written for ``node``: MindSpore's primitive name, or ``sporen::<name>``."""
    name = node.op.name
    by_rank = _BY_SPATIAL_RANK.get(name)
    if by_rank is not None and node.inputs:
        ms = by_rank.get(len(node.inputs[0].shape) - 2)
        if ms is not None:
            return ms
    ms = MS_OP_NAMES.get(name)
    if ms is not None:
        return ms
    return SPOREN_PREFIX + name


def op_for_type(op_type):
    """The registered sporen Op for an op type from a file (MindSpore's name or ``sporen::name``)."""
    from ..ops.registry import OPS
    if op_type.startswith(SPOREN_PREFIX):
        name = op_type[len(SPOREN_PREFIX):]
    else:
        name = _FROM_MS.get(op_type, op_type)
    op = OPS.get(name)
    if op is None:
        raise MindIRFormatError(f"the op type '{op_type}' is no sporen op (nor a MindSpore primitive "
                                f"sporen maps to one)")
    return op


# --- tensors -----------------------------------------------------------------------------------

def _little_endian(array):
    array = np.ascontiguousarray(array)
    if sys.byteorder == "big" and array.dtype.itemsize > 1:
        array = array.byteswap()
    return array


def tensor_to_proto(array, name=None, proto=None):
    """A TensorProto with the dims, data type and raw little-endian bytes of ``array``."""
    array = np.asarray(array)
    t = mstype._BY_NP.get(array.dtype)
    if t is None:
        raise TypeError(f"export: a tensor of numpy dtype {array.dtype} has no MINDIR data type")
    proto = pb.TensorProto() if proto is None else proto
    proto.dims.extend(int(d) for d in array.shape)
    proto.data_type = _DATA_TYPE[t]
    proto.raw_data = _little_endian(array).tobytes()
    if name is not None:
        proto.name = name
    return proto


def _type_of(proto, what):
    t = _FROM_DATA_TYPE.get(proto.data_type)
    if t is None:
        raise MindIRFormatError(f"{what} has the data type {proto.data_type}, which sporen does not know")
    return t


def tensor_from_proto(proto, what):
    """The ndarray of a TensorProto (raw_data, or the typed repeated fields MindSpore also uses)."""
    t = _type_of(proto, what)
    shape = tuple(int(d) for d in proto.dims)
    np_dtype = t.np
    if proto.HasField("raw_data"):
        raw = proto.raw_data
        if len(raw) != int(np.prod(shape, dtype=np.int64)) * np_dtype.itemsize:
            raise MindIRFormatError(f"{what}: {len(raw)} bytes of data for shape {list(shape)} of {t}")
        array = np.frombuffer(raw, dtype=np_dtype).reshape(shape)
        if sys.byteorder == "big" and np_dtype.itemsize > 1:
            array = array.byteswap()
        return array.copy()
    for field in ("float_data", "double_data", "int32_data", "int64_data", "uint64_data"):
        values = getattr(proto, field)
        if len(values):
            return np.asarray(list(values)).astype(np_dtype).reshape(shape)
    if proto.HasField("external_data"):
        raise MindIRFormatError(f"{what}: the data is in an external file, which sporen does not read")
    return np.zeros(shape, np_dtype)


def _type_to_proto(dims, np_dtype, name):
    proto = pb.TensorProto(name=name)
    proto.dims.extend(int(d) for d in dims)
    proto.data_type = _DATA_TYPE[mstype._BY_NP[np.dtype(np_dtype)]]
    return proto


# --- attributes --------------------------------------------------------------------------------

def attr_to_proto(value, where, name=None, proto=None):
    """Encode one attribute value (recursively for tuples and lists)."""
    proto = _A() if proto is None else proto
    if name is not None:
        proto.name = name
    if value is None:
        proto.type = _A.NONE
    elif isinstance(value, bool):
        proto.type = _A.BOOL
        proto.i = int(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        if not -2 ** 63 <= value < 2 ** 63:
            raise ValueError(f"export: {where}: the int {value} does not fit in int64")
        proto.type = _A.INT64
        proto.i = value
    elif isinstance(value, float):
        proto.type = _A.DOUBLE
        proto.d = value
    elif isinstance(value, complex):
        proto.type = _A.COMPLEX128
        proto.doubles.extend((value.real, value.imag))
    elif isinstance(value, str):
        proto.type = _A.STRING
        proto.s = value.encode("utf-8")
    elif value is Ellipsis:
        proto.type = _A.SYMBOL
        proto.s = _ELLIPSIS
    elif isinstance(value, (tuple, list)):
        proto.type = _A.TUPLE if isinstance(value, tuple) else _A.LIST
        for item in value:
            attr_to_proto(item, where, proto=proto.values.add())
    elif isinstance(value, mstype.Type) and value in _DATA_TYPE:
        # MindSpore writes a type attribute as TENSORS holding one tensor with just a data type
        proto.type = _A.TENSORS
        proto.tensors.add().data_type = _DATA_TYPE[value]
    elif isinstance(value, np.dtype) and value in mstype._BY_NP:
        proto.type = _A.TENSORS
        proto.doc_string = _NUMPY_DTYPE
        proto.tensors.add().data_type = _DATA_TYPE[mstype._BY_NP[value]]
    elif isinstance(value, (np.generic, np.ndarray)):
        proto.type = _A.TENSOR
        if isinstance(value, np.generic):
            proto.doc_string = _NUMPY_SCALAR
        tensor_to_proto(value, proto=proto.t)
    else:
        raise TypeError(f"export: {where}: an attribute of type {type(value).__name__} ({value!r}) "
                        f"cannot be written to MINDIR")
    return proto


def attr_from_proto(proto, where):
    """Decode one attribute to the Python value it was written from."""
    kind = proto.type
    if kind == _A.NONE:
        return None
    if kind == _A.BOOL:
        return bool(proto.i)
    if kind in (_A.INT64, _A.INT32, _A.INT16, _A.INT8, _A.UINT8, _A.UINT16, _A.UINT32, _A.UINT64):
        return int(proto.i)
    if kind == _A.DOUBLE:
        return float(proto.d)
    if kind == _A.FLOAT:
        return float(proto.f)
    if kind == _A.COMPLEX128:
        return complex(proto.doubles[0], proto.doubles[1])
    if kind == _A.STRING:
        return proto.s.decode("utf-8")
    if kind == _A.SYMBOL and proto.s == _ELLIPSIS:
        return Ellipsis
    if kind in (_A.TUPLE, _A.LIST):
        items = [attr_from_proto(v, where) for v in proto.values]
        return tuple(items) if kind == _A.TUPLE else items
    if kind == _A.TENSORS and len(proto.tensors) == 1:
        t = _type_of(proto.tensors[0], where)
        return t.np if proto.doc_string == _NUMPY_DTYPE else t
    if kind == _A.TENSOR:
        array = tensor_from_proto(proto.t, where)
        return array[()] if proto.doc_string == _NUMPY_SCALAR else array
    raise MindIRFormatError(f"{where}: attribute '{proto.name}' has the type "
                            f"{_A.AttributeType.Name(kind)}, which sporen does not read")


# --- graphs ------------------------------------------------------------------------------------

class _Writer:
    """Names the values of a graph and its subgraphs (``%<n>``, unique in the file) and writes
    GraphProtos."""

    def __init__(self):
        self.count = 0
        self.nodes = 0

    def fresh(self):
        self.count += 1
        return f"%{self.count}"

    def graph(self, graph, proto, names):
        """Write ``graph``'s nodes and outputs into ``proto``; ``names`` maps its params to names."""
        proto.name = graph.name
        literals = {}

        def name_of(value):
            if type(value) is Literal:
                key = id(value)
                name = literals.get(key)
                if name is None:
                    name = self.fresh()
                    literals[key] = name
                    const = proto.node.add(op_type=_CONSTANT, name=f"{_CONSTANT}-op{self.nodes}")
                    self.nodes += 1
                    const.output.append(name)
                    attr_to_proto(value.value, "a constant", name="value", proto=const.attribute.add())
                return name
            return names[value]

        for index, node in enumerate(graph.nodes):
            inputs = [name_of(v) for v in node.inputs]
            op_type = ms_op_type(node)
            out = proto.node.add(op_type=op_type, name=f"{op_type}-op{self.nodes}")
            self.nodes += 1
            out.input.extend(inputs)
            where = f"graph '{graph.name}', node {index} ({node.op.name})"
            for key in sorted(node.attrs):
                attr_to_proto(node.attrs[key], f"{where}, attribute '{key}'", name=key, proto=out.attribute.add())
            if node.subgraphs:
                sub_attr = out.attribute.add(name=_SUBGRAPHS, type=_A.GRAPH)
                for sub in node.subgraphs:
                    self.subgraph(sub, sub_attr.graphs.add())
            for var in node.outputs:
                name = self.fresh()
                names[var] = name
                out.output.append(name)
        for value in graph.outputs:
            name = name_of(value)
            proto.output.append(pb.ValueInfoProto(name=name, tensor=[_type_to_proto(value.shape, value.dtype, name)]))

    def subgraph(self, graph, proto):
        names = {}
        for p in graph.params:
            name = self.fresh()
            names[p] = name
            proto.input.append(pb.ValueInfoProto(name=name, tensor=[_type_to_proto(p.shape, p.dtype, name)]))
        self.graph(graph, proto, names)


def graph_to_model(graph, input_names, weights, producer_version=""):
    """The ModelProto of ``graph``, whose params are the network inputs (named ``input_names``)
    followed by one param per entry of ``weights``: ``(name, ndarray)`` pairs, written as the
    graph's ``parameter`` tensors."""
    n_in = len(input_names)
    if n_in + len(weights) != len(graph.params):
        raise ValueError(f"export: the graph has {len(graph.params)} params, but {n_in} inputs and "
                         f"{len(weights)} weights were given")
    model = pb.ModelProto(ir_version="0.1.1", producer_name="sporen", producer_version=producer_version,
                          model_version="1", little_endian=True, mind_ir_version=pb.IR_VERSION)
    proto = model.graph
    names = {}
    for p, name in zip(graph.params[:n_in], input_names):
        names[p] = name
        proto.input.append(pb.ValueInfoProto(name=name, tensor=[_type_to_proto(p.shape, p.dtype, name)]))
    for p, (name, array) in zip(graph.params[n_in:], weights):
        array = np.asarray(array)
        if array.shape != p.shape or array.dtype != p.dtype:
            raise ValueError(f"export: the weight '{name}' is {array.dtype}{list(array.shape)}, the graph "
                             f"reads {p.dtype}{list(p.shape)}")
        names[p] = name
        tensor_to_proto(array, name=name, proto=proto.parameter.add())
    _Writer().graph(graph, proto, names)
    return model


class _Reader:
    """Rebuilds Graphs from GraphProtos: Vars typed from the file (params) and from the ops' shape
    rules (node outputs), attributes decoded, ops looked up in the registry."""

    def __init__(self):
        from ..ops.registry import Aval
        self.aval = Aval

    def value_info(self, info, where):
        if len(info.tensor) != 1:
            raise MindIRFormatError(f"{where}: the value '{info.name}' has no tensor type")
        t = _type_of(info.tensor[0], f"{where}, value '{info.name}'")
        return tuple(int(d) for d in info.tensor[0].dims), t

    def graph(self, proto, params, env):
        """The Graph of ``proto``; ``params`` are its param Vars, already bound by name in ``env``."""
        where = f"graph '{proto.name}'"
        nodes = []
        for index, node_proto in enumerate(proto.node):
            node_where = f"{where}, node {index} ({node_proto.op_type})"
            if node_proto.op_type == _CONSTANT:
                if len(node_proto.output) != 1 or len(node_proto.attribute) != 1:
                    raise MindIRFormatError(f"{node_where}: a Constant has one output and one 'value'")
                value = attr_from_proto(node_proto.attribute[0], node_where)
                env[node_proto.output[0]] = Literal(value)
                continue
            nodes.append(self.node(node_proto, env, node_where))
        outputs = [self.lookup(env, info.name, f"{where}, output") for info in proto.output]
        return Graph(proto.name, params, nodes, outputs)

    def lookup(self, env, name, where):
        value = env.get(name)
        if value is None:
            raise MindIRFormatError(f"{where}: the value '{name}' is used before it is defined")
        return value

    def node(self, proto, env, where):
        op = op_for_type(proto.op_type)
        inputs = [self.lookup(env, name, where) for name in proto.input]
        attrs = {}
        subgraphs = ()
        for attr in proto.attribute:
            if attr.name == _SUBGRAPHS and attr.type == _A.GRAPH:
                subgraphs = tuple(self.subgraph(g) for g in attr.graphs)
            else:
                attrs[attr.name] = attr_from_proto(attr, f"{where}, attribute '{attr.name}'")
        avals = [self.aval(v.shape, mstype._BY_NP[np.dtype(v.dtype)]) for v in inputs]
        extra = {_SUBGRAPHS: subgraphs} if subgraphs else {}
        try:
            inferred = op.infer(*avals, **attrs, **extra)
        except Exception as exc:
            raise MindIRFormatError(f"{where}: the shape rule of '{op.name}' rejects the node: "
                                    f"{type(exc).__name__}: {exc}") from exc
        if not isinstance(inferred, (tuple, list)):
            inferred = (inferred,)
        if len(inferred) != len(proto.output):
            raise MindIRFormatError(f"{where}: the node names {len(proto.output)} outputs, '{op.name}' "
                                    f"gives {len(inferred)}")
        outputs = []
        for name, aval in zip(proto.output, inferred):
            var = Var(aval.shape, aval.dtype.np)
            env[name] = var
            outputs.append(var)
        return Node(op, inputs, attrs, outputs, subgraphs)

    def subgraph(self, proto):
        env = {}
        params = []
        for info in proto.input:
            shape, t = self.value_info(info, f"subgraph '{proto.name}'")
            var = Var(shape, t.np)
            env[info.name] = var
            params.append(var)
        return self.graph(proto, params, env)


def model_to_graph(model):
    """Rebuild ``(graph, input_names, weights)`` from a ModelProto: the graph's params are the
    inputs then the weights; ``weights`` is a list of ``(name, ndarray)``."""
    proto = model.graph
    reader = _Reader()
    env = {}
    params = []
    input_names = []
    for info in proto.input:
        shape, t = reader.value_info(info, f"graph '{proto.name}'")
        var = Var(shape, t.np, hint=info.name)
        env[info.name] = var
        params.append(var)
        input_names.append(info.name)
    weights = []
    for tensor in proto.parameter:
        array = tensor_from_proto(tensor, f"the parameter '{tensor.name}'")
        var = Var(array.shape, array.dtype, hint=tensor.name)
        env[tensor.name] = var
        params.append(var)
        weights.append((tensor.name, array))
    graph = reader.graph(proto, params, env)
    return graph, input_names, weights
