"""sporen.train.summary: SummaryRecord (MindSpore's summary writer) writing TensorBoard event files, and
``read_events`` to read them back."""
from ._event_pb2 import Event, Summary, HistogramProto, TensorProto
from .records import DataLossError, read_events, read_records
from .summary_record import SummaryRecord
from . import summary_ops as _summary_ops  # noqa: F401  (connects ops.*Summary to SummaryRecord)

__all__ = ["SummaryRecord", "read_events", "read_records", "DataLossError", "Event", "Summary", "HistogramProto",
           "TensorProto"]
