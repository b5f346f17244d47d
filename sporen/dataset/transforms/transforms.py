"""dataset.transforms: the general operations on columns (Compose, TypeCast, OneHot, Fill, Mask,
PadEnd, Slice, Concatenate, Duplicate, Unique) and the random combinators of transforms."""
from enum import IntEnum

import numpy as np

from ._base import (TensorOperation, check_callable, check_int, check_number, check_prob, check_range,
                    check_type, fuse_operations, one_or_tuple, rng, to_array)

__all__ = ["Compose", "Concatenate", "Duplicate", "Fill", "Mask", "OneHot", "PadEnd", "RandomApply",
           "RandomChoice", "RandomOrder", "Relational", "Slice", "TypeCast", "Unique", "Plugin"]


def numpy_dtype(op, name, dtype):
    """A numpy dtype from a numpy type or dtype, a str, or a sporen (MindSpore) dtype."""
    if hasattr(dtype, "np") and not isinstance(dtype, (type, np.dtype)):
        return np.dtype(dtype.np)
    if isinstance(dtype, str):
        try:
            from ...dtype import to_dtype
            return np.dtype(to_dtype(dtype).np)
        except Exception:
            pass
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{op}: '{name}' must be a mindspore or numpy dtype, got {dtype!r}") from None


def _run(transform, arrays):
    """Apply one transform to a list of columns; its output is always a list of columns."""
    out = transform(*arrays)
    if isinstance(out, tuple):
        return list(out)
    return [out]


def _check_transforms(op, transforms, allow_empty=False):
    if not isinstance(transforms, list):
        raise TypeError(f"{op}: 'transforms' must be a list of transforms, got {type(transforms).__name__}")
    if not transforms and not allow_empty:
        raise ValueError(f"{op}: 'transforms' must not be empty")
    for transform in transforms:
        check_callable(op, "transforms", transform)
    return list(transforms)


class Compose(TensorOperation):
    """Apply a list of transforms one after the other (each one's output columns are the next one's
    inputs). Python functions are allowed beside transform objects."""

    def __init__(self, transforms):
        self.transforms = _check_transforms("Compose", transforms)
        self.random = any(getattr(t, "random", True) for t in self.transforms)
        self._fused = fuse_operations(self.transforms)

    def __call__(self, *input_tensor_list):
        if not input_tensor_list:
            raise TypeError("Compose: expected at least one input, got none")
        columns = [to_array(value) for value in input_tensor_list]
        for transform in self._fused:
            columns = _run(transform, columns)
        return one_or_tuple(columns)

    @staticmethod
    def reduce(operations):
        """One callable for a map's list of operations: the single op itself, or a Compose."""
        if len(operations) == 1:
            return operations[0]
        return Compose(list(operations))


class RandomApply(TensorOperation):
    """Apply the list of transforms (in order) with probability prob, else pass the input through."""

    random = True

    def __init__(self, transforms, prob=0.5):
        self.transforms = _check_transforms("RandomApply", transforms)
        self.prob = check_prob("RandomApply", "prob", prob)

    def __call__(self, *input_tensor_list):
        columns = [to_array(value) for value in input_tensor_list]
        if rng().random() >= self.prob:
            return one_or_tuple(columns)
        for transform in self.transforms:
            columns = _run(transform, columns)
        return one_or_tuple(columns)


class RandomChoice(TensorOperation):
    """Apply one transform chosen uniformly at random from the list."""

    random = True

    def __init__(self, transforms):
        self.transforms = _check_transforms("RandomChoice", transforms)

    def __call__(self, *input_tensor_list):
        columns = [to_array(value) for value in input_tensor_list]
        transform = self.transforms[int(rng().integers(len(self.transforms)))]
        return one_or_tuple(_run(transform, columns))


class RandomOrder(TensorOperation):
    """Apply every transform of the list, in a random order."""

    random = True

    def __init__(self, transforms):
        self.transforms = _check_transforms("RandomOrder", transforms)

    def __call__(self, *input_tensor_list):
        columns = [to_array(value) for value in input_tensor_list]
        for index in rng().permutation(len(self.transforms)):
            columns = _run(self.transforms[int(index)], columns)
        return one_or_tuple(columns)


class TypeCast(TensorOperation):
    """Cast every input to data_type (a mindspore or numpy dtype)."""

    def __init__(self, data_type):
        self.data_type = numpy_dtype("TypeCast", "data_type", data_type)

    def _execute(self, *arrays):
        outputs = []
        for array in arrays:
            if array.dtype.kind in "USO" and self.data_type.kind not in "USO":
                raise RuntimeError(f"TypeCast: cannot cast strings ({array.dtype}) to {self.data_type}")
            outputs.append(array.astype(self.data_type))
        return one_or_tuple(outputs)


class OneHot(TensorOperation):
    """Integer labels (a scalar or 1-D) to one-hot rows of num_classes, in the label's dtype; with
    smoothing_rate s the rows are (1 - s) * one_hot + s / num_classes, as float32."""

    def __init__(self, num_classes, smoothing_rate=0.0):
        self.num_classes = check_int("OneHot", "num_classes", num_classes, 1, 2147483647)
        check_number("OneHot", "smoothing_rate", smoothing_rate)
        check_range("OneHot", "smoothing_rate", smoothing_rate, 0.0, 1.0)
        self.smoothing_rate = float(smoothing_rate)

    def _execute(self, labels):
        labels = np.squeeze(labels)
        if labels.ndim > 1:
            raise RuntimeError(f"OneHot: the input must be a scalar or 1-D, got shape {labels.shape}")
        if labels.dtype.kind not in "iu":
            raise RuntimeError(f"OneHot: the input must be integers, got {labels.dtype}")
        if labels.size and (labels.min() < 0 or labels.max() >= self.num_classes):
            bad = labels.max() if labels.max() >= self.num_classes else labels.min()
            raise RuntimeError(f"OneHot: labels must be in [0, {self.num_classes}), got {bad}")
        flat = labels.reshape(-1)
        out = np.zeros((flat.size, self.num_classes), dtype=labels.dtype)
        out[np.arange(flat.size), flat] = 1
        if self.smoothing_rate > 0:
            out = out.astype(np.float32) * (1 - self.smoothing_rate) + self.smoothing_rate / self.num_classes
            out = out.astype(np.float32)
        return out[0] if labels.ndim == 0 else out


class Fill(TensorOperation):
    """An array of the input's shape and dtype, every element fill_value (a number or a str for
    string input)."""

    def __init__(self, fill_value):
        check_type("Fill", "fill_value", fill_value, (str, bytes, int, float, bool, np.generic), "a number or str")
        self.fill_value = fill_value

    def _execute(self, array):
        if isinstance(self.fill_value, (str, bytes)) != (array.dtype.kind in "US"):
            raise RuntimeError(f"Fill: 'fill_value' {self.fill_value!r} and the input ({array.dtype}) must both be "
                               "strings or both numbers")
        if array.dtype.kind in "US":
            return np.full(array.shape, self.fill_value)
        return np.full(array.shape, self.fill_value).astype(array.dtype)


class Relational(IntEnum):
    """The comparison of Mask: EQ, NE, GT, GE, LT, LE."""
    EQ = 0
    NE = 1
    GT = 2
    GE = 3
    LT = 4
    LE = 5


_COMPARE = {Relational.EQ: np.equal, Relational.NE: np.not_equal, Relational.GT: np.greater,
            Relational.GE: np.greater_equal, Relational.LT: np.less, Relational.LE: np.less_equal}


class Mask(TensorOperation):
    """Compare each element with constant (input operator constant) and give the result as dtype
    (bool by default)."""

    def __init__(self, operator, constant, dtype=np.bool_):
        if not isinstance(operator, Relational):
            raise TypeError(f"Mask: 'operator' must be a Relational, got {type(operator).__name__}")
        check_type("Mask", "constant", constant, (str, bytes, int, float, bool, np.generic), "a number or str")
        self.operator = operator
        self.constant = constant
        self.dtype = numpy_dtype("Mask", "dtype", dtype)

    def _execute(self, array):
        if isinstance(self.constant, (str, bytes)) != (array.dtype.kind in "US"):
            raise RuntimeError(f"Mask: 'constant' {self.constant!r} and the input ({array.dtype}) must both be "
                               "strings or both numbers")
        return _COMPARE[self.operator](array, self.constant).astype(self.dtype)


class PadEnd(TensorOperation):
    """Pad (or truncate) each dimension at its end to pad_shape (None keeps a dimension), with
    pad_value (0, or '' for strings, by default)."""

    def __init__(self, pad_shape, pad_value=None):
        if not isinstance(pad_shape, list):
            raise TypeError(f"PadEnd: 'pad_shape' must be a list, got {type(pad_shape).__name__}")
        for size in pad_shape:
            if size is not None:
                check_int("PadEnd", "pad_shape", size, 1)
        if pad_value is not None:
            check_type("PadEnd", "pad_value", pad_value, (str, bytes, int, float, bool, np.generic), "a number or str")
        self.pad_shape = pad_shape
        self.pad_value = pad_value

    def _execute(self, array):
        return pad_end("PadEnd", array, self.pad_shape, self.pad_value)


def pad_end(op, array, pad_shape, pad_value):
    """array padded or truncated at the end of each dimension to pad_shape."""
    if array.ndim == 0:
        return array
    if len(pad_shape) != array.ndim:
        raise RuntimeError(f"{op}: 'pad_shape' has rank {len(pad_shape)} but the input has rank {array.ndim}")
    is_text = array.dtype.kind in "US"
    if pad_value is not None and isinstance(pad_value, (str, bytes)) != is_text:
        raise RuntimeError(f"{op}: 'pad_value' {pad_value!r} and the input ({array.dtype}) must both be strings "
                           "or both numbers")
    if pad_value is None:
        pad_value = "" if is_text else 0
    shape = tuple(array.shape[i] if size is None else size for i, size in enumerate(pad_shape))
    dtype = np.result_type(array.dtype, np.array(pad_value).dtype) if is_text else array.dtype
    out = np.full(shape, pad_value, dtype=dtype)
    window = tuple(slice(0, min(a, b)) for a, b in zip(array.shape, shape))
    out[window] = array[window]
    return out


class Slice(TensorOperation):
    """Slice the input: one index per dimension (an int, a list of ints, a slice, None for all, or
    Ellipsis)."""

    def __init__(self, *slices):
        for index in slices:
            if index is Ellipsis or index is None or isinstance(index, slice):
                continue
            if isinstance(index, (int, np.integer)) and not isinstance(index, bool):
                continue
            if isinstance(index, list) and all(isinstance(i, int) for i in index):
                continue
            raise TypeError(f"Slice: each index must be an int, a list of ints, a slice, None or Ellipsis, "
                            f"got {index!r}")
        self.slices = slices

    def _execute(self, array):
        result = array
        axis = 0
        for index in self.slices:
            if index is Ellipsis:
                axis = None
                break
            if index is None:
                axis += 1
                continue
            if isinstance(index, (int, np.integer)):
                index = [int(index)]
            selector = [slice(None)] * result.ndim
            selector[axis] = index
            try:
                result = result[tuple(selector)]
            except IndexError as error:
                raise RuntimeError(f"Slice: {error}") from None
            axis += 1
        return np.array(result)


class Concatenate(TensorOperation):
    """Concatenate a 1-D input with prepend before it and append after it (1-D arrays)."""

    def __init__(self, axis=0, prepend=None, append=None):
        check_int("Concatenate", "axis", axis)
        if axis not in (0, -1):
            raise ValueError(f"Concatenate: only 1-D data is supported, 'axis' must be 0 or -1, got {axis}")
        self.axis = axis
        self.prepend = None if prepend is None else np.asarray(to_array(prepend))
        self.append = None if append is None else np.asarray(to_array(append))
        for name, value in (("prepend", self.prepend), ("append", self.append)):
            if value is not None and value.ndim != 1:
                raise ValueError(f"Concatenate: '{name}' must be 1-D, got shape {value.shape}")

    def _execute(self, *arrays):
        parts = []
        if self.prepend is not None:
            parts.append(self.prepend)
        for array in arrays:
            if array.ndim != 1:
                raise RuntimeError(f"Concatenate: only 1-D inputs are supported, got shape {array.shape}")
            parts.append(array)
        if self.append is not None:
            parts.append(self.append)
        kinds = {part.dtype.kind in "US" for part in parts}
        if len(kinds) > 1:
            raise RuntimeError("Concatenate: strings and numbers cannot be concatenated")
        if True not in kinds and len({part.dtype for part in parts}) > 1:
            raise RuntimeError("Concatenate: the inputs, prepend and append must have the same dtype, got "
                               + ", ".join(str(part.dtype) for part in parts))
        return np.concatenate(parts)


class Duplicate(TensorOperation):
    """Two columns out of one: the input and a copy of it."""

    def _execute(self, array):
        return array, array.copy()


class Unique(TensorOperation):
    """For a 1-D input: (the distinct values in order of first appearance, each element's index in
    them as int32, each distinct value's count as int32)."""

    def _execute(self, array):
        if array.ndim != 1:
            raise RuntimeError(f"Unique: the input must be 1-D, got shape {array.shape}")
        values, first, inverse, counts = np.unique(array, return_index=True, return_inverse=True, return_counts=True)
        order = np.argsort(first, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        return values[order], rank[inverse].astype(np.int32), counts[order].astype(np.int32)


class Plugin(TensorOperation):
    """MindSpore loads a C++ plugin library here; sporen has no plugin ABI, so constructing one
    raises."""

    def __init__(self, lib_path, func_name, user_args=None):
        raise RuntimeError("Plugin: sporen cannot load MindSpore's C++ plugin libraries "
                           f"({lib_path!r}, {func_name!r}); use a Python function in map instead")
