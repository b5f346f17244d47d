"""A sporen IR graph as TensorBoard's GraphDef, and the compiled graph of a Cell run in GRAPH_MODE."""
import numpy as np

from ...ir.graph import Graph, Literal, Var
from ._event_pb2 import DATA_TYPES, GraphDef
from ._values import _DTYPE_NAMES

__all__ = ["graph_def", "compiled_graph"]


def _set_shapes(node, values):
    shapes = node.attr["_output_shapes"].list
    for value in values:
        shape = shapes.shape.add()
        for size in getattr(value, "shape", ()):
            shape.dim.add().size = int(size)


def _set_dtype(node, value):
    name = _DTYPE_NAMES.get(np.dtype(value.dtype)) if hasattr(value, "dtype") else None
    if name is not None:
        node.attr["dtype"].type = DATA_TYPES[name]


def graph_def(graph):
    """TensorBoard's GraphDef of a sporen IR ``Graph``: one node per parameter ('Parameter'), per literal input
    ('Const') and per IR node (its op's name, its attributes as text, its output shapes); edges from the inputs.
    The nodes of control-flow subgraphs are not expanded."""
    if not isinstance(graph, Graph):
        raise TypeError(f"graph_def: 'graph' must be a sporen.ir Graph, got {type(graph).__name__}")
    result = GraphDef()
    scope = graph.name or "graph"
    names = {}
    for index, param in enumerate(graph.params):
        node = result.node.add()
        node.name = f"{scope}/{param.hint or 'input'}_{index}"
        node.op = "Parameter"
        _set_shapes(node, [param])
        _set_dtype(node, param)
        names[param.id] = node.name
    counts = {}
    for ir_node in graph.nodes:
        op_name = getattr(ir_node.op, "name", type(ir_node.op).__name__)
        counts[op_name] = counts.get(op_name, 0) + 1
        name = f"{scope}/{op_name}_{counts[op_name]}"
        inputs = []
        for position, value in enumerate(ir_node.inputs):
            if isinstance(value, Literal):
                const = result.node.add()
                const.name = f"{name}/const_{position}"
                const.op = "Const"
                const.attr["value"].s = repr(value.value).encode("utf-8")
                inputs.append(const.name)
            elif isinstance(value, Var) and value.id in names:
                inputs.append(names[value.id])
        node = result.node.add()
        node.name = name
        node.op = op_name
        node.input.extend(inputs)
        for key in sorted(ir_node.attrs):
            node.attr[str(key)].s = repr(ir_node.attrs[key]).encode("utf-8")
        outputs = [v for v in ir_node.outputs if isinstance(v, Var)]
        _set_shapes(node, outputs)
        for k, value in enumerate(outputs):
            names[value.id] = name if k == 0 else f"{name}:{k}"
    return result


def compiled_graph(cell):
    """The graph GRAPH_MODE compiled for ``cell`` at its latest new input signature, or None when it has not run
    compiled (reads the Cell's compile cache, so it sees only what has already run)."""
    state = getattr(cell, "__dict__", {}).get("_graph_jit")
    cache = getattr(getattr(state, "fn", None), "cache", None)
    if not cache:
        return None
    entry = list(cache.values())[-1]
    graph = getattr(entry, "graph", None)
    return graph if isinstance(graph, Graph) else None
