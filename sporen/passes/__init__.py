"""sporen.passes: the graph-to-graph passes of the compiler, listed in order in pipeline.py."""
from ._effects import is_pure
from .cse import cse
from .dce import dce
from .fold import fold
from .pipeline import PIPELINE, optimize, run_pipeline
from .simplify import simplify

__all__ = ["PIPELINE", "run_pipeline", "optimize", "is_pure", "fold", "simplify", "cse", "dce"]
