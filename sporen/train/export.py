"""``sporen.export`` (a network to a MINDIR or ONNX file) and ``sporen.load`` (a MINDIR file to a
GraphCell): MindSpore's ``mindspore.export`` / ``mindspore.load``.

Export traces the network in predict mode with the given inputs, runs the compiler's passes on
the graph and writes it with the parameters as named tensors. A file is written through a
temporary file in the same folder and renamed, so a failing export never leaves half a file nor
clobbers an existing one."""
import inspect
import os

import numpy as np

from ..ir.graph import Graph, Literal
from ..tensor import Parameter, Tensor

__all__ = ["export", "load"]

_SUFFIX = {"MINDIR": ".mindir", "ONNX": ".onnx"}
_IGNORED_OPTIONS = ("quant_mode", "mean", "std_dev")  # MindSpore's options for quantized nets: no effect here
_UNSUPPORTED_OPTIONS = ("enc_key", "enc_mode", "dataset", "obf_config", "custom_func", "incremental")


class Exported:
    """What export writes: ``graph`` (params: the inputs, then the weights), ``input_names`` and
    ``weights`` (``(name, ndarray)`` per weight param), and the network's name."""

    __slots__ = ("graph", "input_names", "weights", "name")

    def __init__(self, graph, input_names, weights, name):
        self.graph = graph
        self.input_names = input_names
        self.weights = weights
        self.name = name


def _function_of(net):
    """The function to trace and the names of its parameters (for the inputs' names)."""
    from ..frontend.trace import TracedFunction
    from ..nn.cell import Cell
    if isinstance(net, Cell):
        return net, net.construct
    if isinstance(net, TracedFunction):
        return net.function, net.function
    if callable(net):
        return net, net
    raise TypeError(f"export: 'net' must be a Cell or a function, got {type(net).__name__}")


def _input_names(signature_of, inputs):
    """The names of the Tensor inputs: the construct's parameter names where the inputs are plain
    positional Tensors, ``input_<i>`` otherwise; always unique."""
    try:
        params = [p for p in inspect.signature(signature_of).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    names = []
    for i, value in enumerate(inputs):
        if isinstance(value, Tensor):
            name = params[i].name if i < len(params) else f"input_{i}"
            names.append(name)
    if len(set(names)) != len(names) or any(n.startswith("%") for n in names):
        names = [f"input_{i}" for i in range(len(names))]
    return names


def _check_inputs(inputs):
    for i, value in enumerate(inputs):
        if isinstance(value, Tensor):
            if value._data is None and (value._init is None or value._init[0] is None):
                raise ValueError(f"export: input {i} is a Tensor without data (a shape placeholder); "
                                 f"export needs concrete inputs of the shapes to compile for")
        elif isinstance(value, np.ndarray):
            raise TypeError(f"export: input {i} must be a Tensor, got numpy.ndarray (wrap it in "
                            f"sporen.Tensor)")


def _unique_weight_names(captures):
    """The checkpoint name of each captured Parameter, made unique (two unnamed Parameters)."""
    names = []
    seen = set()
    for i, t in enumerate(captures):
        base = t.name if isinstance(t, Parameter) and t.name else f"weight_{i}"
        name = base
        k = 1
        while name in seen:
            name = f"{base}_{k}"
            k += 1
        seen.add(name)
        names.append(name)
    return names


def _freeze(traced, n_inputs):
    """The graph of the network's outputs only (in-place writes are dropped: an exported network
    does not update its state), with captured non-Parameter tensors baked in as constants."""
    graph = traced.graph
    captured = graph.params[n_inputs:]
    keep = [(var, t) for var, t in zip(captured, traced.captures) if isinstance(t, Parameter)]
    constants = {var: Literal(np.array(t._array())) for var, t in zip(captured, traced.captures)
                 if not isinstance(t, Parameter)}
    nodes = graph.nodes
    outputs = graph.outputs[:traced.n_out]
    if constants:
        from ..ir.graph import Node
        nodes = [Node(n.op, [constants.get(v, v) if type(v) is not Literal else v for v in n.inputs],
                      n.attrs, n.outputs, n.subgraphs) for n in nodes]
        outputs = [constants.get(v, v) if type(v) is not Literal else v for v in outputs]
    params = list(graph.params[:n_inputs]) + [var for var, _ in keep]
    frozen = Graph(graph.name, params, nodes, outputs)
    return frozen, [t for _, t in keep]


def trace_for_export(net, inputs):
    """Trace ``net(*inputs)`` in predict mode and optimize the graph; return an Exported."""
    from ..frontend.trace import trace_full
    from ..nn.cell import Cell
    from ..passes.pipeline import run_pipeline
    fn, signature_of = _function_of(net)
    _check_inputs(inputs)
    phases = None
    if isinstance(net, Cell):
        phases = [(cell, cell.training) for _, cell in net.cells_and_names()]
        net.set_train(False)
    try:
        name = type(net).__name__ if isinstance(net, Cell) else getattr(fn, "__name__", "graph")
        traced = trace_full(fn, inputs, name=name)
    finally:
        if phases is not None:
            for cell, training in phases:
                object.__setattr__(cell, "training", training)
    n_inputs = sum(isinstance(v, Tensor) for v in _flat(inputs))
    graph, weights = _freeze(traced, n_inputs)
    graph = run_pipeline(graph)
    names = _input_names(signature_of, inputs)
    if len(names) != n_inputs:  # Tensors nested in lists or tuples
        names = [f"input_{i}" for i in range(n_inputs)]
    weight_names = _unique_weight_names(weights)
    weight_arrays = [np.asarray(t._array()) for t in weights]
    return Exported(graph, names, list(zip(weight_names, weight_arrays)), name)


def _flat(values):
    for v in values:
        if isinstance(v, (tuple, list)):
            yield from _flat(v)
        elif isinstance(v, dict):
            yield from _flat(list(v.values()))
        else:
            yield v


def _file_path(file_name, suffix):
    if not isinstance(file_name, str) or not file_name:
        raise TypeError(f"export: 'file_name' must be a non-empty str, got {file_name!r}")
    path = os.path.realpath(file_name)
    if not path.endswith(suffix):
        path += suffix
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    return path


def export(net, *inputs, file_name, file_format, **kwargs):
    """Export ``net`` (a Cell or a function) traced with ``inputs`` to ``file_name`` in
    ``file_format``: "MINDIR" (MindSpore's graph format; ``sporen.load`` reads it back) or "ONNX"
    (needs the ``onnx`` package). The suffix ".mindir" / ".onnx" is appended when missing. The
    network is traced in predict mode (its train/eval phase is restored after). "AIR" is Ascend's
    format and is not supported. The MindSpore options ``quant_mode``, ``mean`` and ``std_dev`` are
    accepted and have no effect; encryption, ``dataset`` preprocessing and obfuscation raise
    NotImplementedError."""
    if not isinstance(file_format, str):
        raise TypeError(f"export: 'file_format' must be a str, got {type(file_format).__name__}")
    fmt = file_format.upper()
    if fmt == "AIR":
        raise ValueError("export: 'file_format' 'AIR' (Ascend's format) is not supported by sporen; "
                         "use 'MINDIR' or 'ONNX'")
    if fmt not in _SUFFIX:
        raise ValueError(f"export: 'file_format' must be one of 'MINDIR', 'ONNX', got {file_format!r}")
    for key in kwargs:
        if key in _UNSUPPORTED_OPTIONS:
            if kwargs[key] is not None:
                raise NotImplementedError(f"export: the option '{key}' is not supported by sporen")
        elif key not in _IGNORED_OPTIONS:
            raise TypeError(f"export: unknown option '{key}'; the options are "
                            f"{', '.join(_IGNORED_OPTIONS + _UNSUPPORTED_OPTIONS)}")
    path = _file_path(file_name, _SUFFIX[fmt])
    exported = trace_for_export(net, inputs)
    if fmt == "MINDIR":
        from .. import __version__
        from .mindir import graph_to_model
        model = graph_to_model(exported.graph, exported.input_names, exported.weights,
                               producer_version=__version__)
    else:
        from .onnx_export import graph_to_onnx
        model = graph_to_onnx(exported.graph, exported.input_names, exported.weights)
    data = model.SerializeToString()
    from .serialization import _write_atomic
    _write_atomic(path, [data], False)


def load(file_name, **kwargs):
    """Load a MINDIR file written by ``sporen.export``; return an ``nn.GraphCell`` that runs it
    (``nn.GraphCell(sporen.load(f))`` also works, as in MindSpore). Raises ValueError when the file
    does not exist or ``file_name`` is not a str, RuntimeError when it is not a MINDIR file sporen
    can read. Decryption (``dec_key``) and obfuscation (``obf_func``) are not supported."""
    from ..nn.graph_cell import FuncGraph, GraphCell
    from . import _mind_ir_pb2 as pb
    from .mindir import model_to_graph
    if not isinstance(file_name, str):
        raise ValueError(f"load: 'file_name' must be a str, got {type(file_name).__name__}")
    for key in kwargs:
        if key in ("dec_key", "dec_mode", "obf_func"):
            if kwargs[key] is not None and not (key == "dec_mode" and kwargs[key] == "AES-GCM"):
                raise NotImplementedError(f"load: the option '{key}' is not supported by sporen")
        else:
            raise TypeError(f"load: unknown option '{key}'; the options are dec_key, dec_mode, obf_func")
    path = os.path.realpath(file_name)
    if not os.path.isfile(path):
        raise ValueError(f"load: the MindIR file '{file_name}' does not exist")
    if not path.endswith(".mindir"):
        raise ValueError(f"load: only MINDIR files can be loaded; '{file_name}' does not end in '.mindir'")
    with open(path, "rb") as f:
        data = f.read()
    model = pb.ModelProto()
    try:
        model.ParseFromString(data)
    except Exception as exc:
        raise RuntimeError(f"load: failed to parse the MindIR file '{file_name}': it is not a MINDIR "
                           f"protobuf ({type(exc).__name__}: {exc})") from None
    if not model.HasField("graph"):
        raise RuntimeError(f"load: failed to parse the MindIR file '{file_name}': it holds no graph")
    try:
        graph, input_names, weights = model_to_graph(model)
    except ValueError as exc:
        raise RuntimeError(f"load: failed to parse the MindIR file '{file_name}': {exc}") from None
    return GraphCell(FuncGraph(graph, input_names, weights))
