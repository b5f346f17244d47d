"""sporen.nn: Cell, layers, losses, optimizers and training wrappers (MindSpore's ``mindspore.nn``)."""
from .cell import Cell
from .graph_cell import GraphCell
from . import layer, loss, optim, wrap, learning_rate_schedule, dynamic_lr
from .layer import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .optim import *  # noqa: F401,F403
from .wrap import *  # noqa: F401,F403
from .learning_rate_schedule import *  # noqa: F401,F403
from .dynamic_lr import *  # noqa: F401,F403

__all__ = (["Cell", "GraphCell"] + list(layer.__all__) + list(loss.__all__) + list(optim.__all__) + list(wrap.__all__)
           + list(learning_rate_schedule.__all__) + list(dynamic_lr.__all__))

# MindSpore 2.x keeps the metrics under mindspore.nn too (mindspore.nn.Accuracy is mindspore.train.Accuracy);
# looked up on first use, because sporen.train imports nn
_METRIC_NAMES = frozenset({
    "Accuracy", "BleuScore", "ConfusionMatrix", "ConfusionMatrixMetric", "CosineSimilarity", "Dice", "F1", "Fbeta",
    "HausdorffDistance", "Loss", "MAE", "MSE", "MeanSurfaceDistance", "Metric", "OcclusionSensitivity", "Perplexity",
    "Precision", "ROC", "Recall", "RootMeanSquareDistance", "Top1CategoricalAccuracy", "Top5CategoricalAccuracy",
    "TopKCategoricalAccuracy", "auc", "get_metric_fn", "names", "rearrange_inputs"})


def __getattr__(name):
    if name in _METRIC_NAMES:
        from ..train import metrics
        return getattr(metrics, name)
    raise AttributeError(f"module 'sporen.nn' has no attribute '{name}'")
