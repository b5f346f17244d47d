"""The ROC curve metric and ``auc``, the area under a curve by the trapezoidal rule."""
import numpy as np

from .metric import Metric, rearrange_inputs, _binary_clf_curve, _check_inputs_count, _check_type

__all__ = ["ROC", "auc"]


def _curve_inputs(y_pred, y, class_num, pos_label):
    """Binary inputs flattened (class_num 1, pos_label default 1) or multiclass scores as (samples, classes)."""
    if not (y_pred.ndim == y.ndim or y_pred.ndim == y.ndim + 1):
        raise ValueError(f"For 'ROC', predicted value (input[0]) and true value (input[1]) must have same "
                         f"dimensions, or the dimension of predicted value equal the dimension of true value add "
                         f"1, but got predicted value ndim: {y_pred.ndim}, true value ndim: {y.ndim}.")
    if y_pred.ndim == y.ndim:
        if class_num is not None and class_num != 1:
            raise ValueError(f"For 'ROC', when predicted value (input[0]) and true value (input[1]) have the same "
                             f"shape, the 'class_num' must be 1, but got {class_num}.")
        if pos_label is None:
            pos_label = 1
        return y_pred.flatten(), y.flatten(), 1, pos_label
    if pos_label is not None:
        raise ValueError(f"For 'ROC', when the dimension of predicted value (input[0]) equals the dimension of true "
                         f"value (input[1]) add 1, the 'pos_label' must be None, but got {pos_label}.")
    if class_num != y_pred.shape[1]:
        raise ValueError(f"For 'ROC', the 'class_num' must equal the number of classes from predicted value "
                         f"(input[0]), but got 'class_num' {class_num}, the number of classes from predicted value "
                         f"{y_pred.shape[1]}.")
    scores = np.moveaxis(y_pred, 1, -1).reshape(-1, class_num)
    return scores, y.flatten(), class_num, None


def _binary_roc(y_pred, y, pos_label):
    fps, tps, thresholds = _binary_clf_curve(y_pred, y, pos_label=pos_label)
    tps = np.concatenate([np.zeros(1, dtype=tps.dtype), tps])
    fps = np.concatenate([np.zeros(1, dtype=fps.dtype), fps])
    # the first point (0, 0) gets a threshold above every score
    thresholds = np.concatenate([thresholds[:1] + 1, thresholds])
    if fps[-1] <= 0:
        raise ValueError("For 'ROC.eval', there is no negative samples in true value, false positive value is "
                         "meaningless.")
    if tps[-1] <= 0:
        raise ValueError("For 'ROC.eval', there is no positive samples in true value, true positive value is "
                         "meaningless.")
    return fps / fps[-1], tps / tps[-1], thresholds


class ROC(Metric):
    """The ROC curve (false positive rates, true positive rates, thresholds).

    Binary: ``y_pred`` and ``y`` of the same shape, ``pos_label`` the positive class (default 1). Multiclass:
    ``y_pred`` (N, C, ...) and ``y`` (N, ...) class indices, one curve per class (one against the rest), returned as
    lists. Each ``update`` replaces the data of the previous one, as in MindSpore.
    """

    def __init__(self, class_num=None, pos_label=None):
        super().__init__()
        if class_num is not None:
            _check_type("ROC", "class_num", class_num, (int,), "int")
        if pos_label is not None:
            _check_type("ROC", "pos_label", pos_label, (int,), "int")
        self.class_num = class_num
        self.pos_label = pos_label
        self.clear()

    def clear(self):
        """Clear the internal evaluation result."""
        self.y_pred = 0
        self.y = 0
        self.sample_weights = None
        self._is_update = False

    @rearrange_inputs
    def update(self, *inputs):
        """Take the data: ``update(y_pred, y)``."""
        _check_inputs_count("ROC", inputs, 2, "predicted value, true value")
        y_pred = self._convert_data(inputs[0])
        y = self._convert_data(inputs[1])
        y_pred, y, class_num, pos_label = _curve_inputs(y_pred, y, self.class_num, self.pos_label)
        self.y_pred = y_pred
        self.y = y
        self.class_num = class_num
        self.pos_label = pos_label
        self._is_update = True

    def eval(self):
        """``(fpr, tpr, thresholds)``: arrays (binary) or lists of arrays, one per class (multiclass)."""
        if not self._is_update:
            raise RuntimeError("Please call the 'update' method before calling 'eval' method.")
        if self.class_num == 1:
            return _binary_roc(self.y_pred, self.y, self.pos_label)
        fpr, tpr, thresholds = [], [], []
        for c in range(self.class_num):
            result = _binary_roc(self.y_pred[:, c], self.y, c)
            fpr.append(result[0])
            tpr.append(result[1])
            thresholds.append(result[2])
        return fpr, tpr, thresholds


def _column_or_1d(values):
    shape = np.shape(values)
    if len(shape) == 1 or (len(shape) == 2 and shape[1] == 1):
        return np.ravel(values)
    raise ValueError(f"For 'auc', the input must be a 1-dimensional array, or a 2-dimensional array with the second "
                     f"dimension of 1, but got shape {shape}.")


def auc(x, y, reorder=False):
    """The area under the curve through the points (x, y), by the trapezoidal rule.

    ``x`` must be monotonic (increasing or decreasing) unless ``reorder`` sorts the points by x first.
    """
    if not isinstance(x, np.ndarray) or not isinstance(y, np.ndarray):
        raise TypeError(f"For 'auc', the argument 'x' and 'y' must all be np.ndarray, but got {type(x)}, {type(y)}")
    if x.ndim == 0 or y.ndim == 0:
        raise TypeError("For 'auc', the arguments 'x' and 'y' must not be 0-dimensional arrays.")
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"Found input variables with inconsistent numbers of samples: {[x.shape[0], y.shape[0]]}.")
    x = _column_or_1d(x)
    y = _column_or_1d(y)
    if x.shape[0] < 2:
        raise ValueError(f"For 'auc', the shape of the argument 'x' in axis 0 must be at least 2, but got "
                         f"{x.shape[0]}.")
    direction = 1
    if reorder:
        order = np.lexsort((y, x))
        x = x[order]
        y = y[order]
    else:
        dx = np.diff(x)
        if np.any(dx < 0):
            if np.all(dx <= 0):
                direction = -1
            else:
                raise ValueError(f"For 'auc', if the argument 'reorder' is False, the argument 'x' array must be "
                                 f"increasing or decreasing, but got 'x': {x}")
    area = direction * np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2.0)
    return area
