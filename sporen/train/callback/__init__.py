"""Training callbacks (MindSpore's ``mindspore.train.callback``)."""
from ._callback import Callback, RunContext
from ._checkpoint import CheckpointConfig, ModelCheckpoint
from ._misc import History, LambdaCallback, LearningRateScheduler
from ._monitors import LossMonitor, ProgressBar, TimeMonitor
from ._plateau import EarlyStopping, ReduceLROnPlateau
from ._summary_collector import SummaryCollector

__all__ = ["Callback", "RunContext", "CheckpointConfig", "ModelCheckpoint", "History", "LambdaCallback",
           "LearningRateScheduler", "LossMonitor", "ProgressBar", "TimeMonitor", "EarlyStopping",
           "ReduceLROnPlateau", "SummaryCollector"]
