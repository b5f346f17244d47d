"""Segmentation surface metrics: HausdorffDistance, MeanSurfaceDistance, RootMeanSquareDistance.

The surface (edge) of a mask is the mask minus its binary erosion (the cross-shaped neighbourhood, outside the
image counted as background, as ``scipy.ndimage.binary_erosion`` does). The distance from each edge point of one
mask to the nearest edge point of the other comes from an exact separable distance transform in numpy, so no
scipy is needed.
"""
import numpy as np

from .metric import Metric, rearrange_inputs, _check_choice, _check_inputs_count, _check_type

__all__ = ["HausdorffDistance", "MeanSurfaceDistance", "RootMeanSquareDistance"]

_DISTANCES = ("euclidean", "chessboard", "taxicab")

# elements of the temporary (lines x length x length) array of one distance-transform step
_CHUNK_PAIRS = 1 << 22


def _binary_erosion(mask):
    """The erosion of a boolean array by the cross of its rank, the outside counted as False."""
    if mask.ndim == 0:
        return np.zeros_like(mask)
    padded = np.pad(mask, 1, mode="constant", constant_values=False)
    inner = tuple(slice(1, -1) for _ in range(mask.ndim))
    result = mask.copy()
    for axis in range(mask.ndim):
        for shift in (0, 2):
            window = list(inner)
            window[axis] = slice(shift, shift + mask.shape[axis])
            result &= padded[tuple(window)]
    return result


def _edges(mask):
    return _binary_erosion(mask) ^ mask


def _distance_transform(features, metric):
    """The distance from every element to the nearest True element of ``features`` (inf when there is none).

    Exact, and separable: one pass per axis of f(i) = min_j combine(f(j), |i - j|), where combine adds the squared
    offset (euclidean, on squared distances), adds the offset (taxicab) or takes the larger (chessboard). The cost
    is O(size * sum(shape)), for any number of edge points.
    """
    field = np.where(features, 0.0, np.inf)
    for axis in range(field.ndim):
        moved = np.moveaxis(field, axis, -1)
        length = moved.shape[-1]
        lines = moved.reshape(-1, length)
        offsets = np.abs(np.arange(length)[:, None] - np.arange(length)[None, :]).astype(np.float64)
        if metric == "euclidean":
            offsets = offsets * offsets
        rows = max(1, _CHUNK_PAIRS // (length * length))
        result = np.empty_like(lines)
        for start in range(0, lines.shape[0], rows):
            # chunk[r, i, j]: reaching element i of line r from element j
            chunk = lines[start:start + rows, None, :]
            if metric == "chessboard":
                candidates = np.maximum(chunk, offsets[None, :, :])
            else:
                candidates = chunk + offsets[None, :, :]
            result[start:start + rows] = candidates.min(axis=2)
        field = np.moveaxis(result.reshape(moved.shape), -1, axis)
    if metric == "euclidean":
        field = np.sqrt(field)
    return field


def _surface_distance(from_edges, to_edges, metric):
    """For each True point of ``from_edges`` (C order), the distance to the nearest True point of ``to_edges``."""
    if not np.any(from_edges):
        return np.array([])
    if not np.any(to_edges):
        return np.full(int(np.count_nonzero(from_edges)), np.inf)
    return _distance_transform(to_edges, metric)[from_edges]


def _check_update_inputs(owner, metric, inputs, label_error):
    """y_pred, y as arrays and label_idx, checked as MindSpore checks them."""
    _check_inputs_count(owner, inputs, 3, "predicted value, true value, label index")
    y_pred = metric._convert_data(inputs[0])
    y = metric._convert_data(inputs[1])
    label_idx = inputs[2]
    if not isinstance(label_idx, (int, float)):
        raise label_error(f"For '{owner}.update', the label index (input[2]) must be int or float, but got "
                          f"{type(label_idx)}.")
    if label_idx not in y_pred and label_idx not in y:
        raise ValueError(f"For '{owner}.update', the label index (input[2]) must be in predicted value (input[0]) "
                         f"or true value (input[1]), but {label_idx} is not.")
    if y_pred.size == 0 or y_pred.shape != y.shape:
        raise ValueError(f"For '{owner}.update', the size of predicted value (input[0]) and true value (input[1]) "
                         f"must be greater than 0, and they must have the same shape, but got predicted value size: "
                         f"{y_pred.size}, shape: {y_pred.shape}, true value size: {y.size}, shape: {y.shape}.")
    return y_pred, y, label_idx


class HausdorffDistance(Metric):
    """The Hausdorff distance between the surfaces of the predicted and the true mask of one label.

    ``update(y_pred, y, label_idx)``. ``percentile`` (0-100) takes that percentile of the surface distances
    instead of their maximum; ``directed`` only measures from y_pred to y; ``crop`` first crops both images to
    the bounding box of their union (then squeezed, as MindSpore does).
    """

    def __init__(self, distance_metric="euclidean", percentile=None, directed=False, crop=True):
        super().__init__()
        self.distance_metric = _check_choice("HausdorffDistance", "distance_metric", distance_metric, _DISTANCES)
        if percentile is not None:
            _check_type("HausdorffDistance", "percentile", percentile, (float,), "float")
        self.percentile = percentile
        self.directed = _check_type("HausdorffDistance", "directed", directed, (bool,), "bool")
        self.crop = _check_type("HausdorffDistance", "crop", crop, (bool,), "bool")
        self.clear()

    def clear(self):
        """Clear the internal evaluation result."""
        self.y_pred_edges = 0
        self.y_edges = 0
        self._is_update = False

    def _mask_edges(self, y_pred, y):
        if self.crop:
            union = y_pred | y
            if not np.any(union):
                return np.zeros_like(y_pred), np.zeros_like(y)
            nonzero = np.nonzero(union)
            box = tuple(slice(int(idx.min()), int(idx.max()) + 1) for idx in nonzero)
            y_pred = np.squeeze(y_pred[box])
            y = np.squeeze(y[box])
        return _edges(y_pred), _edges(y)

    def _directed_distance(self, from_edges, to_edges):
        distances = _surface_distance(from_edges, to_edges, self.distance_metric)
        if distances.shape == (0,):
            return np.inf
        if not self.percentile:
            return distances.max()
        if 0 <= self.percentile <= 100:
            return np.percentile(distances, self.percentile)
        raise ValueError(f"For 'HausdorffDistance', the value of the argument 'percentile' must be [0, 100], but "
                         f"got {self.percentile}.")

    @rearrange_inputs
    def update(self, *inputs):
        """Take the masks: ``update(y_pred, y, label_idx)``; each update replaces the previous one."""
        y_pred, y, label_idx = _check_update_inputs("HausdorffDistance", self, inputs, ValueError)
        y_pred = y_pred == label_idx
        y = y == label_idx
        self.y_pred_edges, self.y_edges = self._mask_edges(y_pred, y)
        self._is_update = True

    def eval(self):
        """The (directed or symmetric) Hausdorff distance; inf when one surface is empty."""
        if not self._is_update:
            raise RuntimeError("Please call the 'update' method before calling 'eval' method.")
        hd = self._directed_distance(self.y_pred_edges, self.y_edges)
        if self.directed:
            return hd
        return max(hd, self._directed_distance(self.y_edges, self.y_pred_edges))


class _SurfaceMetric(Metric):
    """The shared part of MeanSurfaceDistance and RootMeanSquareDistance."""

    _name = ""
    _label_error = ValueError

    def __init__(self, symmetric=False, distance_metric="euclidean"):
        super().__init__()
        self.distance_metric = _check_choice(self._name, "distance_metric", distance_metric, _DISTANCES)
        self.symmetric = _check_type(self._name, "symmetric", symmetric, (bool,), "bool")
        self.clear()

    def clear(self):
        """Clear the internal evaluation result."""
        self._y_pred_edges = 0
        self._y_edges = 0
        self._is_update = False

    @rearrange_inputs
    def update(self, *inputs):
        """Take the masks: ``update(y_pred, y, label_idx)``; each update replaces the previous one."""
        y_pred, y, label_idx = _check_update_inputs(self._name, self, inputs, self._label_error)
        if y_pred.dtype != bool:
            y_pred = y_pred == label_idx
        if y.dtype != bool:
            y = y == label_idx
        self._y_pred_edges = _edges(y_pred)
        self._y_edges = _edges(y)
        self._is_update = True

    def _distances(self):
        if not self._is_update:
            raise RuntimeError("Please call the 'update' method before calling 'eval' method.")
        forward = _surface_distance(self._y_pred_edges, self._y_edges, self.distance_metric)
        backward = None
        if self.symmetric and forward.shape != (0,):
            backward = _surface_distance(self._y_edges, self._y_pred_edges, self.distance_metric)
        return forward, backward


class MeanSurfaceDistance(_SurfaceMetric):
    """The mean distance from the surface of y_pred to that of y; with ``symmetric``, the mean of both
    directions' means. inf when a surface is empty."""

    _name = "MeanSurfaceDistance"

    def eval(self):
        """The mean surface distance (numpy.float64)."""
        forward, backward = self._distances()
        if forward.shape == (0,):
            return np.inf
        if not self.symmetric:
            return forward.mean()
        if backward.shape == (0,):
            return np.inf
        return np.mean((forward.mean(), backward.mean()))


class RootMeanSquareDistance(_SurfaceMetric):
    """The root mean square surface distance; with ``symmetric``, the root of the mean of both directions'
    mean squares.

    Without ``symmetric`` MindSpore returns the mean of the squared distances with no square root; sporen keeps
    that value so results match MindSpore's.
    """

    _name = "RootMeanSquareDistance"
    _label_error = TypeError

    def eval(self):
        """The root mean square surface distance (numpy.float64)."""
        forward, backward = self._distances()
        if forward.shape == (0,):
            return np.inf
        forward_ms = (forward ** 2).mean()
        if not self.symmetric:
            return forward_ms
        if backward.shape == (0,):
            return np.inf
        return np.sqrt(np.mean((forward_ms, (backward ** 2).mean())))
