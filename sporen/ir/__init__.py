"""sporen.ir: the graph IR, its printer, verifier and reference interpreter."""
from .graph import Var, Literal, Node, Graph
from .printer import dump
from .verify import verify, VerifyError
from .interpret import interpret

__all__ = ["Var", "Literal", "Node", "Graph", "dump", "verify", "VerifyError", "interpret"]
