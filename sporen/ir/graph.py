"""The IR: a small SSA graph. A Graph has parameters (Vars), nodes in order, and outputs; a Node
applies one registered Op to input Vars/Literals with hashable attributes and defines new Vars.
Control-flow nodes (If/While, later) carry subgraphs. Everything here is plain data: passes build
new graphs instead of mutating old ones."""
import itertools

import numpy as np

from ..dtype import _BY_NP

__all__ = ["Var", "Literal", "Node", "Graph"]

_ids = itertools.count()


class Var:
    """An SSA value with an abstract value: ``shape`` (tuple) and ``dtype`` (a numpy dtype, as on
    an ndarray, so code written against arrays' ``.shape/.dtype/.ndim/.size`` works on a Var).
    A symbolic Tensor holds a Var as its ``_data`` while a function is traced."""

    __slots__ = ("shape", "dtype", "id", "hint")

    def __init__(self, shape, dtype, hint=""):
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.id = next(_ids)
        self.hint = hint

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        n = 1
        for s in self.shape:
            n *= s
        return n

    @property
    def itemsize(self):
        return self.dtype.itemsize

    @property
    def sdtype(self):
        """The sporen Type of this value."""
        return _BY_NP[self.dtype]

    def __repr__(self):
        return f"%{self.id}"


class Literal:
    """A constant operand: a numpy array captured at trace time."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = np.asarray(value)

    @property
    def shape(self):
        return self.value.shape

    @property
    def dtype(self):
        return self.value.dtype

    def __repr__(self):
        v = self.value
        if v.size <= 4:
            return f"{_BY_NP[v.dtype]}({v.tolist()})"
        return f"{_BY_NP[v.dtype]}{list(v.shape)}(...)"


class Node:
    """``outputs = op(*inputs, **attrs)``. ``op`` is a registered Op (sporen.ops.registry); attrs is
    a dict of hashable values; ``subgraphs`` is empty except for control flow."""

    __slots__ = ("op", "inputs", "attrs", "outputs", "subgraphs")

    def __init__(self, op, inputs, attrs, outputs, subgraphs=()):
        self.op = op
        self.inputs = tuple(inputs)
        self.attrs = dict(attrs)
        self.outputs = tuple(outputs)
        self.subgraphs = tuple(subgraphs)

    def __repr__(self):
        return f"Node({self.op.name}, {list(self.inputs)} -> {list(self.outputs)})"


class Graph:
    """``params`` (Vars bound to the inputs, in order), ``nodes`` (in execution order) and
    ``outputs`` (Vars or Literals)."""

    __slots__ = ("name", "params", "nodes", "outputs", "__weakref__")

    def __init__(self, name, params, nodes, outputs):
        self.name = name
        self.params = tuple(params)
        self.nodes = tuple(nodes)
        self.outputs = tuple(outputs)

    def __repr__(self):
        return f"Graph({self.name}: {len(self.params)} params, {len(self.nodes)} nodes)"
