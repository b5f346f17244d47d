"""The summary operators (MindSpore's ``ops.ScalarSummary``, ``ImageSummary``, ``TensorSummary``,
``HistogramSummary``) and the one impure primitive under them, ``summary``, which hands a copy of
its value to the summary sink (``SummaryRecord`` installs it) when it runs: at once in PyNative,
at every run of a compiled graph (GRAPH_MODE, jit) on every backend. The value is written at the
sink's next ``record`` in 'train' mode."""
import numpy as np

from .. import dtype as mstype
from ..tensor import Tensor
from .primitive import Primitive
from .registry import NOT_DIFFERENTIABLE, Aval, register

__all__ = ["ScalarSummary", "ImageSummary", "TensorSummary", "HistogramSummary", "set_summary_sink"]

_SINK = [None]
_KINDS = ("Scalar", "Image", "Tensor", "Histogram")


def set_summary_sink(sink):
    """Install ``sink(name, array)``, called with ``"tag[:Kind]"`` and a copy of the value each time
    a summary operator runs; None removes it (values are then dropped)."""
    _SINK[0] = sink


def _summary_rule(x, tag, kind):
    return Aval((), mstype.bool_)


def _summary_kernel(x, tag, kind):
    sink = _SINK[0]
    if sink is not None:
        sink(f"{tag}[:{kind}]", np.array(x, copy=True))
    return np.array(True)


# impure: never folded, deduplicated or removed although nothing reads its output
summary_p = register("summary", infer=_summary_rule, kernel=_summary_kernel, bprop=NOT_DIFFERENTIABLE,
                     family="debug", impure=True)


class _SummaryOp(Primitive):
    """``op(name, value)``: checks the name and the value's rank, then records the value."""

    _kind = ""

    def __init__(self):
        super().__init__(type(self).__name__)
        self.add_prim_attr("side_effect_io", True)
        self.add_prim_attr("channel_name", f"ms_{self._kind.lower()}_summary")

    def _check_rank(self, ndim):
        """Raise ValueError when the value's rank does not suit the operator."""

    def __call__(self, name, value):
        owner = type(self).__name__
        if not isinstance(name, str):
            raise TypeError(f"For '{owner}', the 'name' must be a str, but got {type(name).__name__}.")
        if not name:
            raise ValueError(f"For '{owner}', the name must be valid string, but got '{name}'.")
        if not isinstance(value, Tensor):
            raise TypeError(f"For '{owner}', the 'value' must be a Tensor, but got {type(value).__name__}.")
        self._check_rank(len(value.shape))
        summary_p(value, tag=name, kind=self._kind)


class ScalarSummary(_SummaryOp):
    """Record a scalar (a Tensor of rank 0 or 1 holding one value) under ``name``."""

    _kind = "Scalar"

    def _check_rank(self, ndim):
        if ndim > 1:
            raise ValueError(f"For 'ScalarSummary', the dim of 'value' must be 0 or 1, but got {ndim}.")


class ImageSummary(_SummaryOp):
    """Record an NCHW image batch (rank 4) under ``name``."""

    _kind = "Image"

    def _check_rank(self, ndim):
        if ndim != 4:
            raise ValueError(f"For 'ImageSummary', the rank of 'value' must be 4, but got {ndim}.")


class TensorSummary(_SummaryOp):
    """Record a tensor (rank > 0) under ``name``."""

    _kind = "Tensor"

    def _check_rank(self, ndim):
        if ndim == 0:
            raise ValueError("For 'TensorSummary', the rank of 'value' must be greater than 0, but got 0.")


class HistogramSummary(_SummaryOp):
    """Record the histogram of a tensor (rank > 0) under ``name``."""

    _kind = "Histogram"

    def _check_rank(self, ndim):
        if ndim == 0:
            raise ValueError("For 'HistogramSummary', the rank of 'value' must be greater than 0, but got 0.")
