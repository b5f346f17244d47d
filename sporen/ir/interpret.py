"""The IR's reference semantics: ``interpret(graph, *arrays)`` runs each node's numpy kernel in
order. Every backend is tested against it."""
import numpy as np

from ..dtype import _BY_NP
from .graph import Literal
from .printer import Namer, node_text

__all__ = ["interpret"]


def _type_text(shape, dtype):
    t = _BY_NP.get(np.dtype(dtype))
    return f"{t if t is not None else dtype}{list(shape)}"


def _bind(graph, arrays):
    params = graph.params
    if len(arrays) != len(params):
        raise TypeError(f"interpret: graph '{graph.name}' takes {len(params)} arguments, got {len(arrays)}")
    env = {}
    for i, (p, a) in enumerate(zip(params, arrays)):
        a = np.asarray(a)
        if a.shape != p.shape:
            raise ValueError(f"interpret: graph '{graph.name}': argument {i} must have shape {p.shape}, "
                             f"got {a.shape}")
        if a.dtype != p.dtype:
            raise TypeError(f"interpret: graph '{graph.name}': argument {i} must be "
                            f"{_type_text(p.shape, p.dtype)}, got {_type_text(a.shape, a.dtype)}")
        env[p] = a
    return env


def _where(graph, index, node):
    namer = Namer()
    namer.number_graph(graph)
    return f"interpret: graph '{graph.name}', node {index} `{node_text(node, namer)}`"


def _undefined_input(graph, index, node, env):
    for j, v in enumerate(node.inputs):
        if type(v) is not Literal and v not in env:
            return ValueError(f"{_where(graph, index, node)}: input {j} is used before it is defined")
    return None


def _check_outputs(graph, index, node, results):
    outputs = node.outputs
    if len(results) != len(outputs):
        raise ValueError(f"{_where(graph, index, node)}: the kernel gave {len(results)} outputs, "
                         f"the node has {len(outputs)}")
    for j, (var, value) in enumerate(zip(outputs, results)):
        if value.shape != var.shape or value.dtype != var.dtype:
            raise ValueError(f"{_where(graph, index, node)}: output {j} of the kernel is "
                             f"{_type_text(value.shape, value.dtype)}, the graph says "
                             f"{_type_text(var.shape, var.dtype)}")


def _run_node(graph, index, node, env, check):
    op = node.op
    try:
        args = [v.value if type(v) is Literal else env[v] for v in node.inputs]
    except KeyError:
        exc = _undefined_input(graph, index, node, env)
        if exc is None:
            raise
        raise exc from None
    if node.subgraphs:
        # control flow: the kernel runs its (closed) subgraphs itself, with interpret
        out = op.kernel(*args, subgraphs=node.subgraphs, **node.attrs)
    else:
        out = op.kernel(*args, **node.attrs)
    if op.nout == 1:
        results = (out if type(out) is np.ndarray else np.asarray(out),)
    else:
        results = tuple(np.asarray(o) for o in out)
    if check or len(results) != len(node.outputs):
        _check_outputs(graph, index, node, results)
    for var, value in zip(node.outputs, results):
        env[var] = value


def interpret(graph, *arrays, check=True):
    """Run ``graph`` on numpy arrays (one per param, of the param's exact shape and dtype) with the
    ops' reference kernels; return the graph's outputs as a tuple of ndarrays. With ``check`` each
    kernel's outputs are compared with the shapes and dtypes the graph declares (a kernel that
    disagrees with its shape rule is a bug, found here rather than in a backend). A node with
    subgraphs calls ``op.kernel(*arrays, subgraphs=node.subgraphs, **attrs)``."""
    env = _bind(graph, arrays)
    for index, node in enumerate(graph.nodes):
        try:
            _run_node(graph, index, node, env, check)
        except Exception as exc:
            if not str(exc).startswith("interpret:"):
                exc.add_note(f"while running {_where(graph, index, node)[len('interpret: '):]}")
            raise
    results = []
    for j, v in enumerate(graph.outputs):
        if type(v) is Literal:
            results.append(np.array(v.value))  # a copy: the caller may write to it
        elif v in env:
            results.append(env[v])
        else:
            raise ValueError(f"interpret: graph '{graph.name}': output {j} is never defined")
    return tuple(results)
