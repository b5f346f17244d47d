"""Classification metrics: Accuracy, Precision, Recall, Fbeta, F1 and the top-k accuracies."""
import numpy as np

from .metric import (EvaluationBase, Metric, rearrange_inputs, _EPS, _check_inputs_count, _check_onehot_data,
                     _check_type)

__all__ = ["Accuracy", "Precision", "Recall", "Fbeta", "F1", "TopKCategoricalAccuracy", "Top1CategoricalAccuracy",
           "Top5CategoricalAccuracy"]

_NOT_UPDATED = ("The '{}' can not be calculated, because the number of samples is 0, please check whether your "
                "inputs (predicted value, true value) are empty, or has called update method before calling eval "
                "method.")


def _labels_and_class_num(metric, name, y_pred, y, check_type=True):
    """Shared first steps of update: one-hot labels to indices, shape/value checks, the class count."""
    if (not check_type or metric._type == "classification") and y_pred.ndim == y.ndim and _check_onehot_data(y):
        y = y.argmax(axis=1)
    if check_type:
        metric._check_shape(y_pred, y)
        metric._check_value(y_pred, y)
    if metric._class_num == 0:
        metric._class_num = y_pred.shape[1]
    elif y_pred.shape[1] != metric._class_num:
        raise ValueError(f"For '{name}.update', class number not match, last input predicted data contain "
                         f"{metric._class_num} classes, but current predicted data contain {y_pred.shape[1]} "
                         "classes, please check your predicted value(inputs[0]).")
    return y


def _one_hot_pair(name, y_pred, y, class_num):
    """Labels and argmax predictions of a classification batch, both one-hot (N, C)."""
    if y.max() + 1 > class_num:
        raise ValueError(f"For '{name}.update', predicted value (input[0]) should have the same classes number as "
                         f"true value (input[1]), but got predicted value classes {class_num}, true value classes "
                         f"{y.max() + 1}.")
    eye = np.eye(class_num)
    y = eye[y.reshape(-1).astype(np.int64)]
    y_pred = eye[y_pred.argmax(axis=1).reshape(-1)]
    return y_pred, y


def _check_average(owner, average):
    _check_type(owner, "average", average, (bool,), "bool")


class Accuracy(EvaluationBase):
    """The fraction of samples predicted right.

    'classification': ``y_pred`` (N, C, ...) scores, ``y`` (N, ...) class indices or (N, C, ...) one-hot; a sample
    is right when the argmax over axis 1 is its label. 'multilabel': ``y_pred`` and ``y`` (N, C, ...) of 0/1; a
    sample is right when all its classes match.
    """

    def __init__(self, eval_type="classification"):
        super().__init__(eval_type)
        self.clear()

    def clear(self):
        """Clear the internal evaluation result."""
        self._correct_num = 0
        self._total_num = 0
        self._class_num = 0

    @rearrange_inputs
    def update(self, *inputs):
        """Accumulate a batch: ``update(y_pred, y)``."""
        _check_inputs_count("Accuracy", inputs, 2, "predicted value, true value")
        y_pred = self._convert_data(inputs[0])
        y = self._convert_data(inputs[1])
        y = _labels_and_class_num(self, "Accuracy", y_pred, y)
        if self._type == "classification":
            result = (np.equal(y_pred.argmax(axis=1), y) * 1).reshape(-1)
        else:
            last = y_pred.ndim - 1
            y_pred = y_pred.swapaxes(1, last).reshape(-1, self._class_num)
            y = y.swapaxes(1, last).reshape(-1, self._class_num)
            result = np.equal(y_pred, y).all(axis=1) * 1
        self._correct_num += result.sum()
        self._total_num += result.shape[0]

    def eval(self):
        """The accuracy (numpy.float64). RuntimeError before any sample was seen."""
        if self._total_num == 0:
            raise RuntimeError(_NOT_UPDATED.format("Accuracy"))
        return self._correct_num / self._total_num


class _PrecisionRecall(EvaluationBase):
    """Precision and Recall differ only in the denominator: predicted positives or actual positives."""

    _name = ""

    def __init__(self, eval_type="classification"):
        super().__init__(eval_type)
        self.clear()

    def clear(self):
        """Clear the internal evaluation result."""
        self._class_num = 0
        if self._type == "multilabel":
            self._true_positives = np.empty(0)
            self._positives = np.empty(0)
            self._true_positives_average = 0
            self._positives_average = 0
        else:
            self._true_positives = 0
            self._positives = 0

    def _denominator(self, y_pred, y):
        raise NotImplementedError

    @rearrange_inputs
    def update(self, *inputs):
        """Accumulate a batch: ``update(y_pred, y)``."""
        _check_inputs_count(self._name, inputs, 2, "predicted value, true value")
        y_pred = self._convert_data(inputs[0])
        y = self._convert_data(inputs[1])
        y = _labels_and_class_num(self, self._name, y_pred, y)
        class_num = self._class_num
        if self._type == "classification":
            y_pred, y = _one_hot_pair(self._name, y_pred, y, class_num)
        else:
            # (N, C, ...) -> one row per class; sums over axis 0 then run over the classes' columns
            y_pred = y_pred.swapaxes(1, 0).reshape(class_num, -1)
            y = y.swapaxes(1, 0).reshape(class_num, -1)
        positives = self._denominator(y_pred, y).sum(axis=0)
        true_positives = (y * y_pred).sum(axis=0)
        if self._type == "multilabel":
            self._true_positives_average += np.sum(true_positives / (positives + _EPS))
            self._positives_average += len(positives)
            self._true_positives = np.concatenate((self._true_positives, true_positives), axis=0)
            self._positives = np.concatenate((self._positives, positives), axis=0)
        else:
            self._true_positives += true_positives
            self._positives += positives

    def eval(self, average=False):
        """Per class (numpy array), or their mean with ``average=True``."""
        if self._class_num == 0:
            raise RuntimeError(_NOT_UPDATED.format(self._name))
        _check_average(self._name, average)
        result = self._true_positives / (self._positives + _EPS)
        if average:
            if self._type == "multilabel":
                result = self._true_positives_average / (self._positives_average + _EPS)
            return result.mean()
        return result


class Precision(_PrecisionRecall):
    """Precision, true positives / predicted positives, per class.

    'classification': the predicted class is the argmax of ``y_pred``'s axis 1. 'multilabel': 0/1 inputs, where
    (as in MindSpore) the counts are taken per sample over the classes.
    """

    _name = "Precision"

    def _denominator(self, y_pred, y):
        return y_pred


class Recall(_PrecisionRecall):
    """Recall, true positives / actual positives, per class (inputs as for Precision)."""

    _name = "Recall"

    def _denominator(self, y_pred, y):
        return y


class Fbeta(Metric):
    """The F-beta score per class, (1 + beta^2) tp / ((1 + beta^2) tp + beta^2 fn + fp)."""

    def __init__(self, beta):
        super().__init__()
        if isinstance(beta, bool) or not isinstance(beta, (int, float)):
            raise TypeError(f"For 'Fbeta', the argument 'beta' must be a float or int, but got "
                            f"{type(beta).__name__}.")
        if not beta > 0:
            raise ValueError(f"For 'Fbeta', the argument 'beta' must be greater than 0, but got {beta}.")
        self.beta = beta
        self.clear()

    def clear(self):
        """Clear the internal evaluation result."""
        self._true_positives = 0
        self._actual_positives = 0
        self._positives = 0
        self._class_num = 0

    @rearrange_inputs
    def update(self, *inputs):
        """Accumulate a batch: ``update(y_pred, y)``, ``y_pred`` (N, C), ``y`` (N,) indices or (N, C) one-hot."""
        name = type(self).__name__
        _check_inputs_count(name, inputs, 2, "predicted value, true value")
        y_pred = self._convert_data(inputs[0])
        y = self._convert_data(inputs[1])
        y = _labels_and_class_num(self, name, y_pred, y, check_type=False)
        y_pred, y = _one_hot_pair(name, y_pred, y, self._class_num)
        self._true_positives += (y * y_pred).sum(axis=0)
        self._positives += y_pred.sum(axis=0)
        self._actual_positives += y.sum(axis=0)

    def eval(self, average=False):
        """Per class (numpy array), or their mean with ``average=True``."""
        name = type(self).__name__
        _check_average(name, average)
        if self._class_num == 0:
            raise RuntimeError(_NOT_UPDATED.format(name))
        beta2 = self.beta ** 2
        fbeta = (1.0 + beta2) * self._true_positives / (beta2 * self._actual_positives + self._positives + _EPS)
        if average:
            return fbeta.mean()
        return fbeta


class F1(Fbeta):
    """The F1 score per class: Fbeta with beta 1."""

    def __init__(self):
        super().__init__(1.0)


class TopKCategoricalAccuracy(Metric):
    """The fraction of samples whose label is among the k highest scores (ties: the earlier class first)."""

    def __init__(self, k):
        super().__init__()
        if isinstance(k, bool) or not isinstance(k, int):
            raise TypeError(f"For 'TopKCategoricalAccuracy', the type of the argument 'k' should be int, but got "
                            f"'k' type: {type(k)}.")
        if k < 1:
            raise ValueError(f"For 'TopKCategoricalAccuracy', the argument 'k' must be at least 1, but got 'k' "
                             f"value: {k}.")
        self.k = k
        self.clear()

    def clear(self):
        """Clear the internal evaluation result."""
        self._correct_num = 0
        self._samples_num = 0

    @rearrange_inputs
    def update(self, *inputs):
        """Accumulate a batch: ``update(y_pred, y)``, ``y_pred`` (N, C), ``y`` (N,) indices or (N, C) one-hot."""
        _check_inputs_count("TopKCategoricalAccuracy", inputs, 2, "predicted value, true value")
        y_pred = self._convert_data(inputs[0])
        y = self._convert_data(inputs[1])
        if y_pred.ndim == y.ndim and _check_onehot_data(y):
            y = y.argmax(axis=1)
        top = np.argsort(-y_pred, axis=1, kind="stable")[:, :self.k]
        labels = y.reshape(-1, 1)
        correct = np.equal(top, labels).sum(axis=1)
        self._correct_num += correct.sum()
        self._samples_num += labels.shape[0]

    def eval(self):
        """The top-k accuracy (numpy.float64)."""
        if self._samples_num == 0:
            raise RuntimeError(_NOT_UPDATED.format("TopKCategoricalAccuracy"))
        return self._correct_num / self._samples_num


class Top1CategoricalAccuracy(TopKCategoricalAccuracy):
    """Top-1 categorical accuracy."""

    def __init__(self):
        super().__init__(1)


class Top5CategoricalAccuracy(TopKCategoricalAccuracy):
    """Top-5 categorical accuracy."""

    def __init__(self):
        super().__init__(5)
