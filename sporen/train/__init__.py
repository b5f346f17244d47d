"""sporen.train: MindSpore's ``mindspore.train``: Model, callbacks, metrics, summaries, loss-scale
managers, checkpoints and export."""
from . import serialization
from .serialization import (save_checkpoint, load_checkpoint, load_checkpoint_async, load_param_into_net,
                            ckpt_to_safetensors, safetensors_to_ckpt)
from .export import export, load
from . import metrics
from .metrics import (Metric, rearrange_inputs, names, get_metric_fn, Accuracy, Precision, Recall, Fbeta, F1,
                      TopKCategoricalAccuracy, Top1CategoricalAccuracy, Top5CategoricalAccuracy, MAE, MSE, Loss,
                      Perplexity, CosineSimilarity, Dice, BleuScore, ROC, auc, ConfusionMatrix,
                      ConfusionMatrixMetric, HausdorffDistance, MeanSurfaceDistance, RootMeanSquareDistance,
                      OcclusionSensitivity)
from . import summary
from .summary import SummaryRecord
from . import callback
from .callback import (Callback, RunContext, CheckpointConfig, ModelCheckpoint, History, LambdaCallback,
                       LearningRateScheduler, LossMonitor, TimeMonitor, EarlyStopping, ReduceLROnPlateau,
                       SummaryCollector)
from .model import Model
from .loss_scale_manager import LossScaleManager, FixedLossScaleManager, DynamicLossScaleManager

__all__ = ["save_checkpoint", "load_checkpoint", "load_checkpoint_async", "load_param_into_net",
           "ckpt_to_safetensors", "safetensors_to_ckpt", "serialization", "export", "load", "metrics", "summary",
           "SummaryRecord", "callback", "Callback", "RunContext", "CheckpointConfig", "ModelCheckpoint", "History",
           "LambdaCallback", "LearningRateScheduler", "LossMonitor", "TimeMonitor", "EarlyStopping",
           "ReduceLROnPlateau", "SummaryCollector", "Model", "LossScaleManager", "FixedLossScaleManager",
           "DynamicLossScaleManager"]
__all__ += list(metrics.__all__)
