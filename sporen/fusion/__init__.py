"""sporen.fusion: grouping the fusible nodes of a graph into ``fused`` nodes (stage 5)."""
from .group import EXPENSIVE, FUSIBLE_REDUCTIONS, FUSIBLE_VIEWS, RECOMPUTE_LIMIT, fuse, is_fusible
from .op import FUSED

__all__ = ["fuse", "is_fusible", "FUSED", "FUSIBLE_REDUCTIONS", "FUSIBLE_VIEWS", "EXPENSIVE", "RECOMPUTE_LIMIT"]
