"""sporen.train.metrics: MindSpore's evaluation metrics (``mindspore.train.metrics``), computed in numpy."""
from .metric import Metric, rearrange_inputs
from .classification import (Accuracy, Precision, Recall, Fbeta, F1, TopKCategoricalAccuracy,
                             Top1CategoricalAccuracy, Top5CategoricalAccuracy)
from .error import MAE, MSE, Loss, Perplexity
from .similarity import CosineSimilarity, Dice, BleuScore
from .curve import ROC, auc
from .confusion_matrix import ConfusionMatrix, ConfusionMatrixMetric
from .surface_distance import HausdorffDistance, MeanSurfaceDistance, RootMeanSquareDistance
from .occlusion_sensitivity import OcclusionSensitivity

__all__ = ["names", "get_metric_fn", "Accuracy", "MAE", "MSE", "Metric", "rearrange_inputs", "Precision",
           "HausdorffDistance", "Recall", "Fbeta", "BleuScore", "CosineSimilarity", "OcclusionSensitivity", "F1",
           "Dice", "ROC", "auc", "TopKCategoricalAccuracy", "Top1CategoricalAccuracy", "Top5CategoricalAccuracy",
           "Loss", "MeanSurfaceDistance", "RootMeanSquareDistance", "Perplexity", "ConfusionMatrix",
           "ConfusionMatrixMetric"]

# the names get_metric_fn and Model's metrics={'acc', ...} accept, as in MindSpore
_FACTORY = {
    "accuracy": Accuracy,
    "acc": Accuracy,
    "precision": Precision,
    "recall": Recall,
    "F1": F1,
    "dice": Dice,
    "roc": ROC,
    "auc": auc,
    "bleu_score": BleuScore,
    "cosine_similarity": CosineSimilarity,
    "occlusion_sensitivity": OcclusionSensitivity,
    "topk": TopKCategoricalAccuracy,
    "hausdorff_distance": HausdorffDistance,
    "top_1_accuracy": Top1CategoricalAccuracy,
    "top_5_accuracy": Top5CategoricalAccuracy,
    "mae": MAE,
    "mse": MSE,
    "loss": Loss,
    "mean_surface_distance": MeanSurfaceDistance,
    "root_mean_square_distance": RootMeanSquareDistance,
    "perplexity": Perplexity,
    "confusion_matrix": ConfusionMatrix,
    "confusion_matrix_metric": ConfusionMatrixMetric,
}


def names():
    """The sorted names ``get_metric_fn`` accepts."""
    return sorted(_FACTORY.keys())


def get_metric_fn(name, *args, **kwargs):
    """The metric called ``name`` (see ``names()``), built with ``args`` and ``kwargs``.

    KeyError for an unknown name, as in MindSpore.
    """
    if name not in _FACTORY:
        raise KeyError(f"For 'get_metric_fn', unsupported metric {name}, choose from {names()}.")
    return _FACTORY[name](*args, **kwargs)


def get_metrics(metrics):
    """Model's ``metrics`` argument as a dict name -> Metric: None, a dict of Metrics, or a set of names."""
    if metrics is None:
        return metrics
    if isinstance(metrics, dict):
        for name, metric in metrics.items():
            if not isinstance(name, str) or not isinstance(metric, Metric):
                raise TypeError(f"For 'get_metrics', if 'metrics' is dict, the key in 'metrics' must be string and "
                                f"value in 'metrics' must be Metric, but got key:{type(name)}, "
                                f"value:{type(metric)}.")
        return metrics
    if isinstance(metrics, set):
        return {name: get_metric_fn(name) for name in metrics}
    raise TypeError(f"For 'get_metrics', the argument 'metrics' must be None, dict or set, but got {metrics}")
