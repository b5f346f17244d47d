"""The Metric base class, the ``rearrange_inputs`` decorator and the helpers the metrics share."""
import functools
import sys
from abc import ABCMeta, abstractmethod

import numpy as np

from ...tensor import Tensor

__all__ = ["Metric", "rearrange_inputs"]

_EVAL_TYPES = ("classification", "multilabel")

# MindSpore's metrics add the smallest positive float to denominators (0/0 -> 0, not nan)
_EPS = sys.float_info.min


def rearrange_inputs(func):
    """Decorate a metric's ``update`` so that its inputs are reordered by the metric's ``indexes``.

    With ``indexes`` set to ``[2, 1]``, ``update(a, b, c)`` runs as ``update(c, b)``.
    """
    @functools.wraps(func)
    def wrapper(self, *inputs):
        indexes = self.indexes
        if indexes:
            inputs = [inputs[i] for i in indexes]
        return func(self, *inputs)
    return wrapper


class Metric(metaclass=ABCMeta):
    """Base class of the metrics: ``clear`` resets, ``update(*inputs)`` accumulates, ``eval`` computes.

    Calling a metric (``metric(y_pred, y)``) clears it, updates it once and returns ``eval()``.
    """

    def __init__(self):
        self._indexes = None

    def _convert_data(self, data):
        """The input as a numpy array: a Tensor, a list or a numpy array, as MindSpore accepts."""
        if isinstance(data, Tensor):
            return data.asnumpy()
        if isinstance(data, list):
            return np.array(data)
        if isinstance(data, np.ndarray):
            return data
        raise TypeError(f"For 'Metric' and its derived classes, the input data type must be tensor, list or "
                        f"numpy.ndarray, but got {type(data)}.")

    @property
    def indexes(self):
        """The order in which ``update`` takes its inputs (None: as given); set by ``set_indexes``."""
        return getattr(self, "_indexes", None)

    def set_indexes(self, indexes):
        """Rearrange the inputs of ``update``: given (label0, label1, logits), ``[2, 1]`` passes (logits, label1).

        Returns the metric itself.
        """
        if not isinstance(indexes, list) or not all(isinstance(i, int) for i in indexes):
            raise ValueError("For 'set_indexes', the argument 'indexes' must be a list and all its elements must "
                             f"be int, but got {indexes!r}.")
        self._indexes = indexes
        return self

    def __call__(self, *inputs):
        self.clear()
        self.update(*inputs)
        return self.eval()

    @abstractmethod
    def clear(self):
        """Reset the accumulated state."""

    @abstractmethod
    def eval(self):
        """Compute the metric from the accumulated state."""

    @abstractmethod
    def update(self, *inputs):
        """Accumulate one batch of inputs (usually predictions and labels)."""


class EvaluationBase(Metric):
    """A metric with an ``eval_type`` of 'classification' (one label a sample) or 'multilabel' (0/1 per class)."""

    def __init__(self, eval_type):
        super().__init__()
        if eval_type not in _EVAL_TYPES:
            raise TypeError(f"The argument 'eval_type' must be in {set(_EVAL_TYPES)}, but got {eval_type}")
        self._type = eval_type

    def _check_shape(self, y_pred, y):
        if self._type == "classification":
            if y_pred.ndim != y.ndim + 1:
                raise ValueError("In classification case, the dimension of y_pred (predicted value) should equal to "
                                 "the dimension of y (true value) add 1, but got y_pred dimension: "
                                 f"{y_pred.ndim} and y dimension: {y.ndim}.")
            if y.shape != (y_pred.shape[0],) + y_pred.shape[2:]:
                raise ValueError("In classification case, y shape should be equal to y_pred shape without the "
                                 f"value at index 1, but got y_pred shape {y_pred.shape} and y shape {y.shape}")
        else:
            if y_pred.ndim != y.ndim:
                raise ValueError(f"In {self._type} case, the dimension of y_pred (predicted value) should equal to "
                                 f"the dimension of y (true value), but got y_pred dimension: {y_pred.ndim} and "
                                 f"y dimension: {y.ndim}.")
            if y_pred.shape != y.shape:
                raise ValueError(f"In {self._type} case, the shape of y_pred (predicted value) should equal to the "
                                 f"shape of y (true value), but got y_pred shape: {y_pred.shape} and y shape: "
                                 f"{y.shape}.")

    def _check_value(self, y_pred, y):
        if self._type == "classification":
            return
        if not (np.equal(y_pred ** 2, y_pred).all() and np.equal(y ** 2, y).all()):
            raise ValueError("In multilabel case, all elements in y_pred (predicted value) and y (true value) should "
                             "be 0 or 1.")

    def clear(self):
        raise NotImplementedError

    def update(self, *inputs):
        raise NotImplementedError

    def eval(self):
        raise NotImplementedError


def _check_inputs_count(name, inputs, count, what):
    if len(inputs) != count:
        raise ValueError(f"For '{name}.update', it needs {count} inputs ({what}), but got {len(inputs)}.")


def _check_onehot_data(data):
    """Whether ``data`` is one-hot along axis 1 (0/1 values summing to 1 over the classes)."""
    if data.ndim > 1 and np.equal(data ** 2, data).all():
        shape = (data.shape[0],) + data.shape[2:]
        if np.equal(np.ones(shape), data.sum(axis=1)).all():
            return True
    return False


def _check_type(owner, name, value, types, type_names):
    """Raise TypeError unless ``value`` is one of ``types`` (bool is never taken for an int)."""
    if isinstance(value, bool) and bool not in types:
        ok = False
    else:
        ok = isinstance(value, types)
    if not ok:
        raise TypeError(f"For '{owner}', the type of '{name}' should be {type_names}, but got "
                        f"{type(value).__name__} {value!r}.")
    return value


def _check_choice(owner, name, value, choices):
    if not isinstance(value, str):
        raise TypeError(f"For '{owner}', the type of '{name}' should be str, but got {type(value).__name__}.")
    if value not in choices:
        raise ValueError(f"For '{owner}', the argument '{name}' should be in {list(choices)}, but got '{value}'.")
    return value


def _binary_clf_curve(preds, target, sample_weights=None, pos_label=1):
    """False and true positive counts at each distinct threshold, thresholds in descending order."""
    if sample_weights is not None and not isinstance(sample_weights, np.ndarray):
        sample_weights = np.array(sample_weights)
    if preds.ndim > target.ndim:
        preds = preds[:, 0]
    order = np.argsort(-preds, kind="stable")
    preds = preds[order]
    target = target[order]
    weight = 1.0 if sample_weights is None else sample_weights[order]
    # the last index of each run of equal scores is where the curve gets a point
    distinct = np.where(preds[1:] - preds[:-1])[0]
    threshold_idxs = np.concatenate([distinct, [target.shape[0] - 1]])
    target = (target == pos_label).astype(np.int64)
    tps = np.cumsum(target * weight, axis=0)[threshold_idxs]
    if sample_weights is None:
        fps = 1 + threshold_idxs - tps
    else:
        fps = np.cumsum((1 - target) * weight, axis=0)[threshold_idxs]
    return fps, tps, preds[threshold_idxs]
