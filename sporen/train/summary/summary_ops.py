"""The summary operators ScalarSummary, ImageSummary, TensorSummary and HistogramSummary (MindSpore's
``ops.*Summary``), PyNative only: each call hands a copy of its value to the active SummaryRecord, which writes
it at its next ``record`` in 'train' mode.

In a compiled graph (GRAPH_MODE, jit) they raise NotImplementedError while tracing, so a Cell in GRAPH_MODE
falls back to PyNative with a warning; writing from a compiled graph needs an impure op in sporen.ops.
"""
import numpy as np

from ...ir.graph import Var
from ...ops.primitive import Primitive
from ...tensor import Tensor
from .summary_record import _cache_summary_tensor_data

__all__ = ["ScalarSummary", "ImageSummary", "TensorSummary", "HistogramSummary"]


class _SummaryOp(Primitive):
    """Checks ``(name, value)`` and caches the value under ``name[:Kind]``."""

    _kind = ""

    def __init__(self):
        super().__init__(type(self).__name__)
        self.add_prim_attr("side_effect_io", True)
        self.add_prim_attr("channel_name", f"ms_{self._kind.lower()}_summary")

    def _check_value(self, array):
        """Raise ValueError when the value's rank does not suit the operator."""

    def __call__(self, name, value):
        owner = type(self).__name__
        if not isinstance(name, str):
            raise TypeError(f"For '{owner}', the 'name' must be a str, but got {type(name).__name__}.")
        if not name:
            raise ValueError(f"For '{owner}', the name must be valid string, but got '{name}'.")
        if not isinstance(value, Tensor):
            raise TypeError(f"For '{owner}', the 'value' must be a Tensor, but got {type(value).__name__}.")
        data = value._data
        if not isinstance(data, np.ndarray) and isinstance(data, Var):
            raise NotImplementedError(f"{owner} is not supported yet inside a compiled graph (GRAPH_MODE or jit); "
                                      "it works in PyNative mode")
        array = np.array(value.asnumpy(), copy=True)
        self._check_value(array)
        _cache_summary_tensor_data([{"name": f"{name}[:{self._kind}]", "data": Tensor(array)}])


class ScalarSummary(_SummaryOp):
    """Record a scalar (a Tensor of rank 0 or 1 holding one value) under ``name``."""

    _kind = "Scalar"

    def _check_value(self, array):
        if array.ndim > 1:
            raise ValueError(f"For 'ScalarSummary', the dim of 'value' must be 0 or 1, but got {array.ndim}.")


class ImageSummary(_SummaryOp):
    """Record an NCHW image batch (rank 4) under ``name``."""

    _kind = "Image"

    def _check_value(self, array):
        if array.ndim != 4:
            raise ValueError(f"For 'ImageSummary', the rank of 'value' must be 4, but got {array.ndim}.")


class TensorSummary(_SummaryOp):
    """Record a tensor (rank > 0) under ``name``."""

    _kind = "Tensor"

    def _check_value(self, array):
        if array.ndim == 0:
            raise ValueError("For 'TensorSummary', the rank of 'value' must be greater than 0, but got 0.")


class HistogramSummary(_SummaryOp):
    """Record the histogram of a tensor (rank > 0) under ``name``."""

    _kind = "Histogram"

    def _check_value(self, array):
        if array.ndim == 0:
            raise ValueError("For 'HistogramSummary', the rank of 'value' must be greater than 0, but got 0.")
