"""The reference backend: runs a graph with the ops' numpy kernels (the IR interpreter). It always
works, with no compiler."""
from ..ir.interpret import interpret
from .base import Backend

__all__ = ["NumpyBackend", "BACKEND"]


class NumpyBackend(Backend):
    """Runs a graph node by node with the reference kernels."""

    name = "numpy"

    def run(self, graph, arrays):
        return interpret(graph, *arrays)


BACKEND = NumpyBackend()
