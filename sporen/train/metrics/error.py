"""Averaged error metrics: MAE, MSE, Loss and Perplexity."""
import math

import numpy as np

from .metric import Metric, rearrange_inputs, _check_inputs_count, _check_type

__all__ = ["MAE", "MSE", "Loss", "Perplexity"]


def _not_updated(name):
    return RuntimeError(f"The '{name}' can not be calculated, because the number of samples is 0, please check "
                        "whether your inputs are empty, or has called update method before calling eval method.")


class MAE(Metric):
    """Mean absolute error: the sum of |y_pred - y| over all elements, divided by the number of samples (axis 0)."""

    def __init__(self):
        super().__init__()
        self.clear()

    def clear(self):
        """Clear the internal evaluation result."""
        self._abs_error_sum = 0
        self._samples_num = 0

    @rearrange_inputs
    def update(self, *inputs):
        """Accumulate a batch: ``update(y_pred, y)``, ``y`` reshaped to ``y_pred``'s shape."""
        _check_inputs_count("MAE", inputs, 2, "predicted value, true value")
        y_pred = self._convert_data(inputs[0])
        y = self._convert_data(inputs[1])
        # the sum in the inputs' dtype, then float64: numpy 1's promotion, which MindSpore's results show
        self._abs_error_sum += np.float64(np.abs(y.reshape(y_pred.shape) - y_pred).sum())
        self._samples_num += y.shape[0]

    def eval(self):
        """The mean absolute error (numpy.float64)."""
        if self._samples_num == 0:
            raise _not_updated("MAE")
        return self._abs_error_sum / self._samples_num


class MSE(Metric):
    """Mean squared error: the sum of (y_pred - y)^2 over all elements, divided by the number of samples."""

    def __init__(self):
        super().__init__()
        self.clear()

    def clear(self):
        """Clear the internal evaluation result."""
        self._squared_error_sum = 0
        self._samples_num = 0

    @rearrange_inputs
    def update(self, *inputs):
        """Accumulate a batch: ``update(y_pred, y)``, ``y`` reshaped to ``y_pred``'s shape."""
        _check_inputs_count("MSE", inputs, 2, "predicted value, true value")
        y_pred = self._convert_data(inputs[0])
        y = self._convert_data(inputs[1])
        self._squared_error_sum += np.float64(np.power(y.reshape(y_pred.shape) - y_pred, 2).sum())
        self._samples_num += y.shape[0]

    def eval(self):
        """The mean squared error (numpy.float64)."""
        if self._samples_num == 0:
            raise _not_updated("MSE")
        return self._squared_error_sum / self._samples_num


class Loss(Metric):
    """The average of the losses given to ``update`` (a 1-D loss counts as its mean, once)."""

    def __init__(self):
        super().__init__()
        self.clear()

    def clear(self):
        """Clear the internal evaluation result."""
        self._sum_loss = 0
        self._total_num = 0

    @rearrange_inputs
    def update(self, *inputs):
        """Accumulate one loss: ``update(loss)``, a scalar or a 1-D array."""
        _check_inputs_count("Loss", inputs, 1, "loss")
        loss = self._convert_data(inputs[0])
        if loss.ndim == 0:
            loss = loss.reshape(1)
        if loss.ndim != 1:
            raise ValueError(f"For 'Loss.update', the dimension of your input (loss) must be 1, but got {loss.ndim}.")
        self._sum_loss += np.float64(loss.mean(-1))
        self._total_num += 1

    def eval(self):
        """The average loss (numpy.float64)."""
        if self._total_num == 0:
            raise _not_updated("Loss")
        return self._sum_loss / self._total_num


class Perplexity(Metric):
    """Perplexity, exp of the mean negative log probability given to the labels.

    ``update(preds, labels)``: ``preds`` (..., C) probabilities, ``labels`` with one entry per row of ``preds``;
    labels equal to ``ignore_label`` are not counted.
    """

    def __init__(self, ignore_label=None):
        super().__init__()
        if ignore_label is not None:
            _check_type("Perplexity", "ignore_label", ignore_label, (int,), "int")
        self.ignore_label = ignore_label
        self.clear()

    def clear(self):
        """Clear the internal evaluation result."""
        self._sum_metric = 0.0
        self._num_inst = 0

    @rearrange_inputs
    def update(self, *inputs):
        """Accumulate a batch: ``update(preds, labels)``."""
        _check_inputs_count("Perplexity", inputs, 2, "predicted value, label")
        pred = self._convert_data(inputs[0])
        label = self._convert_data(inputs[1])
        if label.size != pred.size / pred.shape[-1]:
            raise RuntimeError(f"For 'Perplexity.update', predicted value (input[0]) and label (input[1]) should "
                               f"have the same shape, but got predicted value shape {pred.shape}, label shape "
                               f"{label.shape}.")
        label = label.reshape(label.size)
        rows = pred.reshape(label.size, -1)
        picked = rows[np.arange(label.size), label.astype(np.int64)]
        num = picked.size
        if self.ignore_label is not None:
            ignore = (label == self.ignore_label).astype(picked.dtype)
            num -= np.sum(ignore)
            # an ignored row contributes log(1) = 0
            picked = picked * (1 - ignore) + ignore
        self._sum_metric -= np.sum(np.log(np.maximum(1e-10, picked)))
        self._num_inst += num

    def eval(self):
        """The perplexity (float)."""
        if self._num_inst == 0:
            raise _not_updated("Perplexity")
        return math.exp(self._sum_metric / self._num_inst)
