"""sporen.train: checkpoints (MindSpore's ``mindspore.train`` serialization), metrics and summaries; Model and
callbacks join it later."""
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

__all__ = ["save_checkpoint", "load_checkpoint", "load_checkpoint_async", "load_param_into_net",
           "ckpt_to_safetensors", "safetensors_to_ckpt", "serialization", "export", "load", "metrics", "summary",
           "SummaryRecord"]
__all__ += list(metrics.__all__)
