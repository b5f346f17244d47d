"""sporen.ir: the graph IR, its printer, verifier and reference interpreter."""
from .graph import Var, Literal, Node, Graph

__all__ = ["Var", "Literal", "Node", "Graph"]
