"""ConfusionMatrix (the matrix itself) and ConfusionMatrixMetric (rates derived from tp, fp, tn, fn)."""
import numpy as np

from .metric import Metric, rearrange_inputs, _check_choice, _check_inputs_count, _check_type

__all__ = ["ConfusionMatrix", "ConfusionMatrixMetric"]

_NORMALIZE = ("target", "prediction", "all", "no_norm")


class ConfusionMatrix(Metric):
    """The (num_classes, num_classes) confusion matrix, rows the true classes, columns the predicted ones.

    ``y_pred`` (N, C, ...) scores (argmax over axis 1) or (N, ...) labels; float labels are binarized by
    ``threshold``. ``normalize``: 'no_norm', 'target' (rows sum to 1), 'prediction' (columns) or 'all'.
    """

    def __init__(self, num_classes, normalize="no_norm", threshold=0.5):
        super().__init__()
        self.num_classes = _check_type("ConfusionMatrix", "num_classes", num_classes, (int,), "int")
        if normalize not in _NORMALIZE:
            raise ValueError(f"For 'ConfusionMatrix', the argument 'normalize' must be in {list(_NORMALIZE)}, but "
                             f"got {normalize}.")
        self.normalize = normalize
        self.threshold = _check_type("ConfusionMatrix", "threshold", threshold, (float,), "float")
        self.clear()

    def clear(self):
        """Clear the internal evaluation result."""
        self.confusion_matrix = np.zeros((self.num_classes, self.num_classes))
        self._is_update = False

    @rearrange_inputs
    def update(self, *inputs):
        """Accumulate a batch: ``update(y_pred, y)``."""
        _check_inputs_count("ConfusionMatrix", inputs, 2, "predicted value, true value")
        y_pred = self._convert_data(inputs[0])
        y = self._convert_data(inputs[1])
        if not (y_pred.ndim == y.ndim or y_pred.ndim == y.ndim + 1):
            raise ValueError(f"For 'ConfusionMatrix.update', predicted value (input[0]) and true value (input[1]) "
                             f"should have same dimensions, or the dimension of predicted value equals the dimension "
                             f"of true value add 1, but got predicted value ndim: {y_pred.ndim}, true value ndim: "
                             f"{y.ndim}.")
        if y_pred.ndim == y.ndim + 1:
            y_pred = np.argmax(y_pred, axis=1)
        if y_pred.ndim == y.ndim and y_pred.dtype in (np.float16, np.float32, np.float64):
            y_pred = (y_pred >= self.threshold).astype(int)
        cells = (y.reshape(-1) * self.num_classes + y_pred.reshape(-1)).astype(int)
        counts = np.bincount(cells, minlength=self.num_classes ** 2)
        self.confusion_matrix += counts.reshape(self.num_classes, self.num_classes)
        self._is_update = True

    def eval(self):
        """The matrix (float numpy array), normalized as asked; a 0/0 cell is 0."""
        if not self._is_update:
            raise RuntimeError("Please call the 'update' method before calling 'eval' method.")
        matrix = self.confusion_matrix.astype(float)
        if self.normalize == "no_norm":
            return matrix
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.normalize == "target":
                matrix = matrix / matrix.sum(axis=1, keepdims=True)
            elif self.normalize == "prediction":
                matrix = matrix / matrix.sum(axis=0, keepdims=True)
            else:
                matrix = matrix / matrix.sum()
        matrix[np.isnan(matrix)] = 0
        return matrix


# every accepted name (lower case, spaces as underscores) -> the short name of its rate
_METRIC_ALIASES = {
    "sensitivity": "tpr", "recall": "tpr", "hit_rate": "tpr", "true_positive_rate": "tpr", "tpr": "tpr",
    "specificity": "tnr", "selectivity": "tnr", "true_negative_rate": "tnr", "tnr": "tnr",
    "precision": "ppv", "positive_predictive_value": "ppv", "ppv": "ppv",
    "negative_predictive_value": "npv", "npv": "npv",
    "miss_rate": "fnr", "false_negative_rate": "fnr", "fnr": "fnr",
    "fall_out": "fpr", "false_positive_rate": "fpr", "fpr": "fpr",
    "false_discovery_rate": "fdr", "fdr": "fdr",
    "false_omission_rate": "for", "for": "for",
    "prevalence_threshold": "pt", "pt": "pt",
    "threat_score": "ts", "critical_success_index": "ts", "ts": "ts", "csi": "ts",
    "accuracy": "acc", "acc": "acc",
    "balanced_accuracy": "ba", "ba": "ba",
    "f1_score": "f1", "f1": "f1",
    "matthews_correlation_coefficient": "mcc", "mcc": "mcc",
    "fowlkes_mallows_index": "fm", "fm": "fm",
    "informedness": "bm", "bookmaker_informedness": "bm", "bm": "bm",
    "markedness": "mk", "deltap": "mk", "mk": "mk",
}

_DECREASES = ("none", "mean", "sum", "mean_batch", "sum_batch", "mean_channel", "sum_channel")


def _short_metric_name(metric_name):
    short = _METRIC_ALIASES.get(metric_name.replace(" ", "_").lower())
    if short is None:
        raise NotImplementedError(f"ConfusionMatrixMetric: the metric '{metric_name}' is not implemented; choose "
                                  f"from {sorted(_METRIC_ALIASES)}")
    return short


def _ratio(numerator, denominator):
    """numerator / denominator, nan where the denominator is 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator != 0, numerator / np.where(denominator != 0, denominator, 1), np.nan)


def _rate(short, tp, fp, tn, fn):
    """The rate ``short`` from the counts (arrays of the same shape); nan where it is undefined."""
    p = tp + fn
    n = fp + tn
    if short == "tpr":
        return _ratio(tp, p)
    if short == "tnr":
        return _ratio(tn, n)
    if short == "ppv":
        return _ratio(tp, tp + fp)
    if short == "npv":
        return _ratio(tn, tn + fn)
    if short == "fnr":
        return _ratio(fn, p)
    if short == "fpr":
        return _ratio(fp, n)
    if short == "fdr":
        return _ratio(fp, fp + tp)
    if short == "for":
        return _ratio(fn, fn + tn)
    if short == "ts":
        return _ratio(tp, tp + fn + fp)
    if short == "acc":
        return _ratio(tp + tn, p + n)
    if short == "f1":
        return _ratio(2.0 * tp, 2.0 * tp + fn + fp)
    if short == "mcc":
        return _ratio(tp * tn - fp * fn, np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn)))
    tpr = _ratio(tp, p)
    tnr = _ratio(tn, n)
    ppv = _ratio(tp, tp + fp)
    npv = _ratio(tn, tn + fn)
    with np.errstate(invalid="ignore"):
        if short == "pt":
            return _ratio(np.sqrt(tpr * (1.0 - tnr)) + tnr - 1.0, tpr + tnr - 1.0)
        if short == "ba":
            return (tpr + tnr) / 2.0
        if short == "fm":
            return np.sqrt(ppv * tpr)
        if short == "bm":
            return tpr + tnr - 1.0
        return ppv + npv - 1.0  # mk


def _per_sample_counts(y_pred, y, skip_channel):
    """tp, fp, tn, fn per (sample, class): an array (B, C, 4) from one-hot/binarized (B, C, ...) inputs."""
    if not np.all(y.astype(np.uint8) == y):
        raise ValueError("For 'ConfusionMatrixMetric.update', the true value (input[1]) must be a binarized ndarray.")
    if y_pred.ndim < 2:
        raise ValueError(f"For 'ConfusionMatrixMetric.update', the predicted value (input[0]) must have at least 2 "
                         f"dimensions, but got {y_pred.ndim}.")
    if not skip_channel:
        # MindSpore's code leaves the first channel (the background) out when skip_channel is False
        y = y[:, 1:] if y.shape[1] > 1 else y
        y_pred = y_pred[:, 1:] if y_pred.shape[1] > 1 else y_pred
    if y.shape != y_pred.shape:
        raise ValueError(f"For 'ConfusionMatrixMetric.update', the true value shape {y.shape} must equal the "
                         f"predicted value shape {y_pred.shape}.")
    batch, classes = y_pred.shape[:2]
    y_pred = y_pred.astype(float).reshape(batch, classes, -1)
    y = y.astype(float).reshape(batch, classes, -1)
    tp = ((y_pred + y) == 2).sum(axis=2).astype(float)
    tn = ((y_pred + y) == 0).sum(axis=2).astype(float)
    p = y.sum(axis=2)
    n = y.shape[-1] - p
    return np.stack([tp, n - tn, tn, p - tp], axis=-1)


def _reduce(chart, decrease):
    """Reduce a (batch, class) table of rates, nans left out; returns (reduced, count of values used)."""
    nans = np.isnan(chart)
    not_nans = (~nans).astype(float)
    chart = np.where(nans, 0.0, chart)
    with np.errstate(divide="ignore", invalid="ignore"):
        if decrease == "mean":
            per_batch_count = not_nans.sum(axis=1)
            per_batch = np.where(per_batch_count > 0, chart.sum(axis=1) / per_batch_count, 0.0)
            count = (per_batch_count > 0).astype(float).sum(axis=0)
            value = np.where(count > 0, per_batch.sum(axis=0) / count, 0.0)
            return value, count
        if decrease == "sum":
            return chart.sum(axis=(0, 1)), not_nans.sum(axis=(0, 1))
        if decrease == "mean_batch":
            count = not_nans.sum(axis=0)
            return np.where(count > 0, chart.sum(axis=0) / count, 0.0), count
        if decrease == "sum_batch":
            return chart.sum(axis=0), not_nans.sum(axis=0)
        if decrease == "mean_channel":
            count = not_nans.sum(axis=1)
            return np.where(count > 0, chart.sum(axis=1) / count, 0.0), count
        if decrease == "sum_channel":
            return chart.sum(axis=1), not_nans.sum(axis=1)
    return chart, not_nans


class ConfusionMatrixMetric(Metric):
    """Rates from the confusion counts of one-hot (N, C, ...) inputs: sensitivity, specificity, precision, ...

    With ``calculation_method=False`` (classification) the counts of all samples are summed and the rate is taken
    once (an array of one value). With ``True`` (segmentation) the rate is taken per sample and class, reduced by
    ``decrease`` ('mean' or 'sum' give one number, the others an array), and averaged over the updates weighted by
    the number of defined values. ``skip_channel=False`` leaves the first channel out, as MindSpore's code does.
    """

    def __init__(self, skip_channel=True, metric_name="sensitivity", calculation_method=False, decrease="mean"):
        super().__init__()
        self.skip_channel = _check_type("ConfusionMatrixMetric", "skip_channel", skip_channel, (bool,), "bool")
        self.calculation_method = _check_type("ConfusionMatrixMetric", "calculation_method", calculation_method,
                                              (bool,), "bool")
        self.metric_name = _check_type("ConfusionMatrixMetric", "metric_name", metric_name, (str,), "str")
        self._short_name = _short_metric_name(metric_name)
        self.decrease = _check_choice("ConfusionMatrixMetric", "decrease", decrease, _DECREASES)
        self.clear()

    def clear(self):
        """Clear the internal evaluation result."""
        self._total_num = 0
        self._class_num = 0
        self._total_tp = 0.0
        self._total_fp = 0.0
        self._total_tn = 0.0
        self._total_fn = 0.0

    @rearrange_inputs
    def update(self, *inputs):
        """Accumulate a batch: ``update(y_pred, y)``, both binarized (N, C, ...)."""
        _check_inputs_count("ConfusionMatrixMetric", inputs, 2, "predicted value, true value")
        y_pred = self._convert_data(inputs[0])
        y = self._convert_data(inputs[1])
        counts = _per_sample_counts(y_pred, y, self.skip_channel)
        if self.calculation_method:
            chart = _rate(self._short_name, counts[..., 0], counts[..., 1], counts[..., 2], counts[..., 3])
            score, not_nans = _reduce(chart, self.decrease)
            self._total_num = self._total_num + score * not_nans
            self._class_num = self._class_num + not_nans
        else:
            totals = counts.reshape(-1, 4).sum(axis=0)
            self._total_tp += totals[0]
            self._total_fp += totals[1]
            self._total_tn += totals[2]
            self._total_fn += totals[3]

    def eval(self):
        """The rate: an array of one value (accumulated counts) or the reduced per-sample rates."""
        if self.calculation_method:
            if np.sum(self._class_num) == 0:
                raise RuntimeError("The 'ConfusionMatrixMetric' can not be calculated, because the number of samples "
                                   "is 0, please check whether has called update method before calling eval method.")
            with np.errstate(divide="ignore", invalid="ignore"):
                return self._total_num / self._class_num
        tp = np.array([self._total_tp])
        fp = np.array([self._total_fp])
        tn = np.array([self._total_tn])
        fn = np.array([self._total_fn])
        return _rate(self._short_name, tp, fp, tn, fn)
