"""The IR's text form: ``dump(graph)`` prints one statement per line, with values numbered in order
of definition so that the text of a graph does not depend on the process-wide Var ids."""
import numpy as np

from ..dtype import _BY_NP
from .graph import Literal, Var

__all__ = ["dump", "Namer"]

_INDENT = "  "


def _type_text(value):
    """``Float32[2, 3]``: the sporen dtype and the shape of a Var or Literal."""
    dtype = _BY_NP.get(value.dtype)
    name = dtype.name if dtype is not None else str(value.dtype)
    return f"{name}{list(value.shape)}"


def _values_text(array):
    """Nested ``[a, b]`` lists of the shortest text of each element in its own dtype (``0.1`` for a
    float32 0.1, not the float64 expansion ``0.10000000149011612``)."""
    if np.ndim(array) == 0:
        return str(array)
    return "[" + ", ".join(_values_text(a) for a in array) + "]"


def literal_text(literal):
    """A Literal inline: ``Float32(0.5)``, ``Int32([1, 2])``, or ``Float32[8](...)`` when larger than
    4 elements."""
    value = literal.value
    dtype = _BY_NP.get(value.dtype)
    name = dtype.name if dtype is not None else str(value.dtype)
    if value.size <= 4:
        return f"{name}({_values_text(value)})"
    return f"{name}{list(value.shape)}(...)"


class Namer:
    """Local names for Vars: ``%0, %1...`` in order of definition. A Var used but never defined
    prints as ``%?<id>`` (its global id), so a broken graph still prints, and visibly."""

    def __init__(self):
        self._names = {}

    def define(self, var):
        """Name ``var`` at its definition (a second definition keeps the first name)."""
        name = self._names.get(var)
        if name is None:
            name = f"%{len(self._names)}"
            self._names[var] = name
        return name

    def name(self, value):
        """The text of an operand: a Var's local name or a Literal inline."""
        if isinstance(value, Literal):
            return literal_text(value)
        if isinstance(value, Var):
            name = self._names.get(value)
            if name is None:
                return f"%?{value.id}"
            return name
        return f"<not a value: {value!r}>"

    def number_graph(self, graph):
        """Name every Var that ``graph`` defines, in the order ``dump`` prints them."""
        for p in graph.params:
            self.define(p)
        for node in graph.nodes:
            for out in node.outputs:
                if isinstance(out, Var):
                    self.define(out)
            for sub in node.subgraphs:
                self.number_graph(sub)


def _attr_text(attrs):
    if not attrs:
        return ""
    items = ", ".join(f"{k}={attrs[k]!r}" for k in sorted(attrs))
    return " {" + items + "}"


def node_text(node, namer):
    """One node as a line without indentation: ``%2: Float32[2, 3] = add(%0, %1) {attrs}``."""
    outs = ", ".join(f"{namer.define(o)}: {_type_text(o)}" if isinstance(o, Var) else namer.name(o)
                     for o in node.outputs)
    op_name = getattr(node.op, "name", repr(node.op))
    args = ", ".join(namer.name(v) for v in node.inputs)
    text = f"{op_name}({args}){_attr_text(node.attrs)}"
    if outs:
        return f"{outs} = {text}"
    return text


def _graph_lines(graph, namer, depth):
    pad = _INDENT * depth
    params = ", ".join(f"{namer.define(p)}: {_type_text(p)}" for p in graph.params)
    lines = [f"{pad}graph {graph.name}({params}) {{"]
    for node in graph.nodes:
        lines.append(pad + _INDENT + node_text(node, namer))
        for sub in node.subgraphs:
            lines.extend(_graph_lines(sub, namer, depth + 2))
    outs = ", ".join(namer.name(v) for v in graph.outputs)
    lines.append(f"{pad}{_INDENT}return ({outs})")
    lines.append(pad + "}")
    return lines


def dump(graph):
    """The text form of ``graph``: a header with the typed parameters, one line per node
    (``%3: Float32[] = reduce_sum(%2) {axis=(0, 1), keepdims=False}``, attributes sorted by name,
    Literals inline, several outputs comma-separated), each node's subgraphs indented under it,
    and the ``return``. Values are renumbered from %0 in order of definition."""
    return "\n".join(_graph_lines(graph, Namer(), 0))
