"""GraphCell: a Cell that runs a graph loaded from a MINDIR file (MindSpore's ``nn.GraphCell``), and
FuncGraph, the loaded graph it wraps."""
from collections import OrderedDict

import numpy as np

from ..autodiff import tape as _tape
from ..dtype import _BY_NP
from ..frontend.trace import TRACES
from ..ops.control import replay
from ..tensor import Parameter, Tensor
from .cell import Cell

__all__ = ["GraphCell", "FuncGraph"]


class FuncGraph:
    """A graph loaded from MINDIR: ``graph`` (a sporen IR Graph whose params are the inputs, then
    the weights), ``input_names`` and ``weights`` (``(name, ndarray)`` pairs, in param order).
    ``sporen.load`` wraps it in a GraphCell; ``nn.GraphCell(func_graph)`` does the same."""

    __slots__ = ("graph", "input_names", "weights")

    def __init__(self, graph, input_names, weights):
        self.graph = graph
        self.input_names = tuple(input_names)
        self.weights = tuple(weights)

    def __repr__(self):
        return (f"FuncGraph({self.graph.name}: {len(self.input_names)} inputs, {len(self.weights)} "
                f"parameters, {len(self.graph.nodes)} nodes)")


def _type_text(shape, np_dtype):
    t = _BY_NP.get(np.dtype(np_dtype))
    return f"{t if t is not None else np_dtype}{list(shape)}"


class GraphCell(Cell):
    """Runs a graph loaded from MINDIR (``sporen.load``). ``graph`` is the loaded graph (a
    FuncGraph, or another GraphCell, whose current parameter values are copied). ``params_init``
    maps parameter names to Tensors or Parameters that replace the loaded values (names the graph
    does not have are ignored). The weights are the cell's Parameters, under their checkpoint
    names, so ``parameters_and_names`` and ``load_param_into_net`` work on it.

    The call takes the graph's inputs (Tensors of the exported shapes and dtypes) and returns one
    Tensor, or a tuple when the graph has several outputs. It runs on the numpy backend; inside a
    trace or under a gradient tape it applies the graph's ops one by one, so that an enclosing
    ``jit`` or ``grad`` sees them."""

    def __init__(self, graph, params_init=None, obf_random_seed=None):
        super().__init__(auto_prefix=True)
        if isinstance(graph, GraphCell):
            func_graph = FuncGraph(graph.func_graph.graph, graph.func_graph.input_names,
                                   [(p.name, np.array(p._array())) for p in graph._weights()])
        elif isinstance(graph, FuncGraph):
            func_graph = graph
        else:
            raise TypeError(f"GraphCell: 'graph' must be a graph loaded by sporen.load (a FuncGraph or "
                            f"a GraphCell), got {type(graph).__name__}")
        if obf_random_seed is not None:
            raise NotImplementedError("GraphCell: dynamic model structure obfuscation is not supported "
                                      "('obf_random_seed' must be None)")
        if params_init is not None and not isinstance(params_init, dict):
            raise TypeError(f"GraphCell: 'params_init' must be a dict, got {type(params_init).__name__}")
        for key, value in (params_init or {}).items():
            if not isinstance(key, str):
                raise TypeError(f"GraphCell: the keys of 'params_init' must be str, got {type(key).__name__}")
            if not isinstance(value, Tensor):
                raise TypeError(f"GraphCell: the value of 'params_init[{key!r}]' must be a Tensor or "
                                f"Parameter, got {type(value).__name__}")
        object.__setattr__(self, "func_graph", func_graph)
        object.__setattr__(self, "_weight_names", tuple(name for name, _ in func_graph.weights))
        for name, array in func_graph.weights:
            value = array
            if params_init and name in params_init:
                value = self._init_value(name, array, params_init[name])
            # stored under the full checkpoint name (it may contain dots), as MindSpore's GraphCell does
            self._params[name] = Parameter(Tensor(value), name=name)

    @staticmethod
    def _init_value(name, array, tensor):
        value = np.asarray(tensor._array())
        if value.shape != array.shape:
            raise ValueError(f"GraphCell: 'params_init[{name!r}]' has shape {list(value.shape)}, the "
                             f"graph's parameter has {list(array.shape)}")
        return value.astype(array.dtype, copy=True)

    def _weights(self):
        return [self._params[name] for name in self._weight_names]

    def _check_inputs(self, inputs):
        graph = self.func_graph.graph
        names = self.func_graph.input_names
        if len(inputs) != len(names):
            raise TypeError(f"GraphCell: the graph '{graph.name}' takes {len(names)} inputs "
                            f"({', '.join(names)}), got {len(inputs)}")
        for i, (t, p) in enumerate(zip(inputs, graph.params)):
            if not isinstance(t, Tensor):
                raise TypeError(f"GraphCell: input {i} ('{names[i]}') must be a Tensor, got {type(t).__name__}")
            if tuple(t.shape) != p.shape or np.dtype(t.dtype.np) != p.dtype:
                raise ValueError(f"GraphCell: input {i} ('{names[i]}') must be "
                                 f"{_type_text(p.shape, p.dtype)} as exported, got "
                                 f"{_type_text(t.shape, t.dtype.np)}")

    def construct(self, *inputs):
        self._check_inputs(inputs)
        weights = self._weights()
        if TRACES or _tape.TAPES:
            outs = _replay(self.func_graph.graph, list(inputs) + weights)
        else:
            from ..runtime.base import get_backend
            arrays = [t._data if t._data is not None else t._array() for t in list(inputs) + weights]
            results = get_backend("numpy").run(self.func_graph.graph, arrays)
            passed = {id(a) for a in arrays}
            outs = [Tensor._wrap(np.array(r) if id(r) in passed else r) for r in results]
        if len(outs) == 1:
            return outs[0]
        return tuple(outs)

    def parameters_dict(self, recurse=True):
        """An OrderedDict from parameter name to Parameter, in the graph's order."""
        return OrderedDict((p.name, p) for p in self._weights())


def _replay(graph, tensors):
    """Apply ``graph``'s nodes to ``tensors`` with the ops themselves (so a trace or a tape sees
    them); return the output Tensors."""
    return replay(graph, tensors, control=_control)


def _control(node, args):
    """A control-flow node in a replay. Eagerly (under a gradient tape) the branch taken and the
    loop's iterations are replayed in Python, so the tape records exactly the ops that ran, as in
    PyNative; inside a trace the node is re-emitted through the front end's control-flow path."""
    name = node.op.name
    tr = TRACES[-1] if TRACES else None
    if tr is None and name == "if":
        branch = node.subgraphs[0] if bool(args[0]._array()) else node.subgraphs[1]
        return tuple(_replay(branch, args[1:]))
    if tr is None and name == "while":
        cond_g, body_g = node.subgraphs
        n_carry = node.attrs["n_carry"]
        carries = list(args[:n_carry])
        invariants = list(args[n_carry:])
        while bool(_replay(cond_g, carries + invariants)[0]._array()):
            carries = _replay(body_g, carries + invariants)
        return tuple(carries)
    from ..frontend.trace import apply_control
    return apply_control(node.op, args, node.attrs, node.subgraphs)
