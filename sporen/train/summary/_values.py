"""Summary values from numpy arrays: scalars, images (PNG), histograms (TensorBoard's buckets) and tensors."""
import io
import json
import sys

import numpy as np

from ._event_pb2 import DATA_TYPES, Summary

_IMAGE_COLUMNS = 8

_DTYPE_NAMES = {
    np.dtype(np.float32): "DT_FLOAT", np.dtype(np.float64): "DT_DOUBLE", np.dtype(np.float16): "DT_HALF",
    np.dtype(np.int8): "DT_INT8", np.dtype(np.int16): "DT_INT16", np.dtype(np.int32): "DT_INT32",
    np.dtype(np.int64): "DT_INT64", np.dtype(np.uint8): "DT_UINT8", np.dtype(np.uint16): "DT_UINT16",
    np.dtype(np.uint32): "DT_UINT32", np.dtype(np.uint64): "DT_UINT64", np.dtype(np.bool_): "DT_BOOL",
    np.dtype(np.complex64): "DT_COMPLEX64", np.dtype(np.complex128): "DT_COMPLEX128",
}


def _default_bucket_limits():
    """TensorFlow's default histogram bucket limits: +-1e-12 * 1.1^k up to 1e20, 0, and +-DBL_MAX at the ends."""
    positive = []
    value = 1e-12
    while value < 1e20:
        positive.append(value)
        value *= 1.1
    positive.append(sys.float_info.max)
    limits = [-v for v in reversed(positive)] + [0.0] + positive
    return np.array(limits, dtype=np.float64)


BUCKET_LIMITS = _default_bucket_limits()


def scalar_value(tag, array):
    """A simple_value (float32) from a one-element array."""
    value = Summary.Value()
    value.tag = tag
    value.simple_value = float(array.reshape(-1)[0])
    return value


def _image_grid(nchw):
    """N images (N, C, H, W), C 1 or 3, on one RGB canvas (3, rows*H, cols*W), 8 images a row."""
    if nchw.shape[1] == 1:
        nchw = np.concatenate([nchw, nchw, nchw], axis=1)
    n, _, h, w = nchw.shape
    cols = min(n, _IMAGE_COLUMNS)
    rows = -(-n // cols)
    canvas = np.zeros((3, h * rows, w * cols), dtype=np.float64)
    for i in range(n):
        r, c = divmod(i, cols)
        canvas[:, r * h:(r + 1) * h, c * w:(c + 1) * w] = nchw[i]
    return canvas


def image_value(tag, array):
    """A PNG image value from an NCHW batch (C 1 or 3): uint8 as is, floats in [0, 1] scaled by 255, other
    values clipped to [0, 255]; the images are laid out 8 to a row, as MindSpore does."""
    from PIL import Image

    canvas = _image_grid(array)
    if array.dtype != np.uint8 and canvas.size and canvas.min() >= 0 and canvas.max() <= 1:
        canvas = canvas * 255
    pixels = np.clip(canvas, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    buffer = io.BytesIO()
    Image.fromarray(pixels, mode="RGB").save(buffer, format="PNG")
    value = Summary.Value()
    value.tag = tag
    value.image.height = pixels.shape[0]
    value.image.width = pixels.shape[1]
    value.image.colorspace = 3
    value.image.encoded_image_string = buffer.getvalue()
    return value


def histogram_counts(array):
    """(bucket_limit, bucket) of the finite values, TensorFlow's way: runs of empty buckets become one entry
    ending at the run's last limit."""
    values = np.asarray(array, dtype=np.float64).reshape(-1)
    values = values[np.isfinite(values)]
    index = np.searchsorted(BUCKET_LIMITS, values, side="right")
    counts = np.bincount(index, minlength=BUCKET_LIMITS.size)[:BUCKET_LIMITS.size].astype(np.float64)
    nonempty = counts > 0
    next_nonempty = np.append(nonempty[1:], True)
    keep = nonempty | next_nonempty
    return BUCKET_LIMITS[keep], counts[keep]


def histogram_value(tag, array):
    """A HistogramProto of the array's finite values (NaN and infinities are left out)."""
    values = np.asarray(array, dtype=np.float64).reshape(-1)
    finite = values[np.isfinite(values)]
    value = Summary.Value()
    value.tag = tag
    histo = value.histo
    if finite.size:
        histo.min = float(finite.min())
        histo.max = float(finite.max())
        histo.sum = float(finite.sum())
        # not np.dot: a BLAS call, which waits on its threads when the machine is busy
        histo.sum_squares = float(np.square(finite).sum())
    histo.num = float(finite.size)
    limits, counts = histogram_counts(finite)
    histo.bucket_limit.extend(limits.tolist())
    histo.bucket.extend(counts.tolist())
    return value


def tensor_value(tag, array):
    """A TensorProto value: dtype, shape and the little-endian C-order bytes."""
    import ml_dtypes

    array = np.ascontiguousarray(array)
    if array.dtype == ml_dtypes.bfloat16:
        name = "DT_BFLOAT16"
    else:
        name = _DTYPE_NAMES.get(array.dtype.newbyteorder("=") if array.dtype.byteorder == ">" else array.dtype)
    if name is None:
        raise TypeError(f"SummaryRecord: tensors of dtype {array.dtype} cannot be recorded")
    if array.dtype.byteorder == ">":
        array = array.astype(array.dtype.newbyteorder("<"))
    value = Summary.Value()
    value.tag = tag
    tensor = value.tensor
    tensor.dtype = DATA_TYPES[name]
    for size in array.shape:
        tensor.tensor_shape.dim.add().size = size
    tensor.tensor_content = array.tobytes()
    return value


LINEAGE_PLUGIN = "sporen_lineage"


def lineage_value(plugin, value):
    """A lineage record: a string tensor holding JSON (from a dict) or a serialized protobuf message, tagged with
    the plugin name, with plugin metadata naming sporen's lineage."""
    if isinstance(value, dict):
        payload = json.dumps(value, sort_keys=True, default=str).encode("utf-8")
        encoding = b"json"
    elif hasattr(value, "SerializeToString"):
        payload = value.SerializeToString()
        encoding = b"protobuf:" + type(value).DESCRIPTOR.full_name.encode("utf-8")
    else:
        raise TypeError(f"SummaryRecord.add_value: the value of plugin '{plugin}' must be a dict or a protobuf "
                        f"message, got {type(value).__name__}")
    summary_value = Summary.Value()
    summary_value.tag = plugin
    summary_value.metadata.plugin_data.plugin_name = LINEAGE_PLUGIN
    summary_value.metadata.plugin_data.content = encoding
    summary_value.tensor.dtype = DATA_TYPES["DT_STRING"]
    summary_value.tensor.string_val.append(payload)
    return summary_value
