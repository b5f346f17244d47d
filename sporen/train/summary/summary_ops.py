"""The summary operators (``ops.ScalarSummary``, ``ImageSummary``, ``TensorSummary``,
``HistogramSummary``) are defined in ``sporen.ops.summary``, where a compiled graph can hold them;
this module re-exports them and connects their sink to SummaryRecord: each value they hand over
waits in the cache until the active SummaryRecord's next ``record`` in 'train' mode."""
from ...ops.summary import HistogramSummary, ImageSummary, ScalarSummary, TensorSummary, set_summary_sink
from ...tensor import Tensor
from .summary_record import _cache_summary_tensor_data

__all__ = ["ScalarSummary", "ImageSummary", "TensorSummary", "HistogramSummary"]


def _to_record_cache(name, array):
    _cache_summary_tensor_data([{"name": name, "data": Tensor(array)}])


set_summary_sink(_to_record_cache)
