"""Image kernels shared by the vision transforms: OpenCV-style resampling (native C, numpy when
there is no compiler), flips, padding, crops, and the bridge to Pillow for what Pillow does well
(decoding, colour, rotation)."""
import numpy as np

from ..transforms._base import is_pil
from . import _native
from .utils import Border, Inter

_INT32_MAX = 2147483647


def image_array(op, image, ranks=(2, 3)):
    """An input image as numpy <H, W> or <H, W, C>; a RuntimeError naming op otherwise."""
    if is_pil(image):
        image = np.asarray(image)
    if not isinstance(image, np.ndarray):
        raise TypeError(f"{op}: the input must be a numpy.ndarray or PIL image, got {type(image).__name__}")
    if image.ndim not in ranks:
        shapes = " or ".join(("<H, W>", "<H, W, C>", "<N, H, W, C>")[r - 2] for r in ranks)
        raise RuntimeError(f"{op}: the input image must be {shapes}, got shape {image.shape}")
    return image


def same_size(op, images):
    """Several images transformed together must share height and width."""
    first = images[0].shape[:2]
    for image in images[1:]:
        if image.shape[:2] != first:
            raise RuntimeError(f"{op}: all input images must have the same height and width, "
                               f"got {first} and {image.shape[:2]}")


def round_to(values, dtype):
    """Float results back to the input's dtype: integers rounded half up and saturated."""
    dtype = np.dtype(dtype)
    if dtype.kind in "ui":
        info = np.iinfo(dtype)
        return np.clip(np.floor(values + 0.5), info.min, info.max).astype(dtype)
    if dtype == np.bool_:
        return values >= 0.5
    return values.astype(dtype)


# ---- resampling: each output coordinate reads a few input taps with weights (separable) ----

def _cubic_weights(t, a=-0.75):
    t = np.abs(t)
    near = ((a + 2) * t - (a + 3)) * t * t + 1
    far = ((a * t - 5 * a) * t + 8 * a) * t - 4 * a
    return np.where(t <= 1, near, np.where(t < 2, far, 0.0))


def _taps(in_size, out_size, interpolation):
    """(indices, weights), both (out_size, taps): how each output pixel mixes input pixels along
    one axis, as OpenCV's resize does (half-pixel centres, edges replicated)."""
    scale = in_size / out_size
    dst = np.arange(out_size, dtype=np.float64)
    if interpolation == Inter.NEAREST:
        index = np.minimum(np.floor(dst * scale).astype(np.int64), in_size - 1)
        return index[:, None], np.ones((out_size, 1))
    if interpolation == Inter.AREA and scale > 1:
        # each output pixel averages the input span it covers, partial pixels by their share
        start = dst * scale
        end = start + scale
        first = np.floor(start).astype(np.int64)
        count = int(np.ceil(scale)) + 1
        index = first[:, None] + np.arange(count)[None, :]
        overlap = np.minimum(end[:, None], index + 1) - np.maximum(start[:, None], index)
        weights = np.clip(overlap, 0, None) / scale
        return np.clip(index, 0, in_size - 1), weights
    src = (dst + 0.5) * scale - 0.5
    base = np.floor(src)
    frac = src - base
    base = base.astype(np.int64)
    if interpolation in (Inter.CUBIC,):
        offsets = np.arange(-1, 3)
        weights = _cubic_weights(frac[:, None] - offsets[None, :])
    else:
        # LINEAR, and AREA when enlarging (OpenCV's area upscale is close to bilinear)
        offsets = np.arange(0, 2)
        frac = np.where(src < 0, 0.0, frac)
        weights = np.stack([1 - frac, frac], axis=1)
    index = np.clip(base[:, None] + offsets[None, :], 0, in_size - 1)
    return index, weights


def _resample_axis(values, in_size, out_size, axis, interpolation):
    index, weights = _taps(in_size, out_size, interpolation)
    if index.shape[1] == 1 and interpolation == Inter.NEAREST:
        return np.take(values, index[:, 0], axis=axis)
    shape = [1] * values.ndim
    shape[axis] = out_size
    out = None
    for k in range(index.shape[1]):
        term = np.take(values, index[:, k], axis=axis) * weights[:, k].astype(np.float32).reshape(shape)
        out = term if out is None else out + term
    return out


_PIL_FILTERS = {Inter.PILCUBIC: "BICUBIC", Inter.ANTIALIAS: "LANCZOS", Inter.NEAREST: "NEAREST",
                Inter.LINEAR: "BILINEAR", Inter.CUBIC: "BICUBIC", Inter.AREA: "BOX"}


def pil_filter(interpolation):
    """Pillow's resampling filter for an Inter value."""
    from PIL import Image
    return getattr(Image.Resampling, _PIL_FILTERS[Inter(interpolation)])


def resize(image, height, width, interpolation=Inter.LINEAR):
    """Resize an <H, W> or <H, W, C> array to (height, width). NEAREST, LINEAR, CUBIC and AREA
    sample as OpenCV does (half-pixel centres, edges replicated, no antialiasing when shrinking
    with LINEAR/CUBIC); integer results are the exact value rounded half up, which may differ from
    OpenCV's fixed point by 1. PILCUBIC and ANTIALIAS use Pillow's bicubic and Lanczos filters
    (antialiased), as MindSpore's PILCUBIC mimics Pillow."""
    in_h, in_w = image.shape[:2]
    if (in_h, in_w) == (height, width):
        return image.copy()
    interpolation = Inter(interpolation)
    if interpolation in (Inter.PILCUBIC, Inter.ANTIALIAS):
        return _pil_resize(image, height, width, pil_filter(interpolation))
    if interpolation == Inter.NEAREST:
        rows = _resample_axis(image, in_h, height, 0, interpolation)
        return _resample_axis(rows, in_w, width, 1, interpolation)
    if interpolation == Inter.LINEAR and image.dtype in (np.uint8, np.float32):
        out = _native.resize_linear(image, height, width)
        return out if out is not None else resize_linear_numpy(image, height, width)
    values = image.astype(np.float32) if image.dtype != np.float64 else image
    rows = _resample_axis(values, in_h, height, 0, interpolation)
    out = _resample_axis(rows, in_w, width, 1, interpolation)
    return round_to(out, image.dtype)


def _linear_taps(in_size, out_size):
    """(first index, second index, first weight, second weight) of OpenCV's bilinear taps along one
    axis, in float64 then float32 weights exactly as the native kernel computes them."""
    scale = in_size / out_size
    src = (np.arange(out_size, dtype=np.float64) + 0.5) * scale - 0.5
    base = np.floor(src)
    frac = src - base
    base = base.astype(np.int64)
    before = src < 0
    base[before] = 0
    frac[before] = 0.0
    after = base >= in_size - 1
    base[after] = in_size - 1
    frac[after] = 0.0
    return base, np.minimum(base + 1, in_size - 1), (1.0 - frac).astype(np.float32), frac.astype(np.float32)


def resize_linear_numpy(image, height, width):
    """Bilinear resize of a uint8/float32 <H, W> / <H, W, C> array: the two source rows of each
    output row mixed along y, then sampled along x, in float32 (the native kernel's operations in
    the same order: equal results); uint8 rounded half up."""
    y0, y1, wy0, wy1 = _linear_taps(image.shape[0], height)
    x0, x1, wx0, wx1 = _linear_taps(image.shape[1], width)
    values = image if image.ndim == 3 else image[:, :, None]
    rows = values[y0].astype(np.float32) * wy0[:, None, None] + values[y1].astype(np.float32) * wy1[:, None, None]
    out = rows[:, x0] * wx0[:, None] + rows[:, x1] * wx1[:, None]
    if image.dtype == np.uint8:
        out = np.clip(np.floor(out + np.float32(0.5)), 0, 255).astype(np.uint8)
    return out.reshape((height, width) + image.shape[2:])


def _pil_resize(image, height, width, resample):
    def one(plane):
        return np.asarray(to_pil_plane(plane).resize((width, height), resample=resample))
    return per_pil_plane(image, one)


def to_pil_plane(plane):
    from PIL import Image
    if plane.dtype == np.uint8:
        return Image.fromarray(np.ascontiguousarray(plane))
    return Image.fromarray(np.ascontiguousarray(plane, dtype=np.float32), mode="F")


def per_pil_plane(image, function):
    """Apply a function of Pillow images to an array: uint8 <H, W> / <H, W, 3> in one call, other
    layouts and dtypes one float32 channel at a time (mode 'F'), cast back to the input dtype."""
    if image.dtype == np.uint8 and (image.ndim == 2 or image.shape[2] == 3):
        return function(image)
    if image.ndim == 2:
        return round_to(np.asarray(function(image.astype(np.float32)), dtype=np.float32), image.dtype)
    planes = []
    for c in range(image.shape[2]):
        plane = image[:, :, c]
        if plane.dtype != np.uint8:
            plane = plane.astype(np.float32)
        planes.append(np.asarray(function(plane), dtype=np.float32))
    return round_to(np.stack(planes, axis=2), image.dtype)


# ---- padding and cropping ----

def pad(image, top, bottom, left, right, padding_mode=Border.CONSTANT, fill_value=0):
    """Pad an <H, W> or <H, W, C> array; fill_value is an int or an (R, G, B) triple."""
    widths = [(top, bottom), (left, right)] + [(0, 0)] * (image.ndim - 2)
    mode = Border(padding_mode)
    if mode != Border.CONSTANT:
        return np.pad(image, widths, mode=mode.value)
    fill = np.asarray(fill_value, dtype=np.float64)
    if fill.ndim == 0 or image.ndim == 2:
        return np.pad(image, widths, mode="constant", constant_values=fill.ravel()[0])
    out = np.empty((image.shape[0] + top + bottom, image.shape[1] + left + right, image.shape[2]),
                   dtype=image.dtype)
    out[...] = np.resize(fill, image.shape[2]).astype(image.dtype)
    out[top:top + image.shape[0], left:left + image.shape[1]] = image
    return out


def crop(op, image, top, left, height, width):
    """The (height, width) window at (top, left); a RuntimeError when it leaves the image."""
    if top < 0 or left < 0 or top + height > image.shape[0] or left + width > image.shape[1]:
        raise RuntimeError(f"{op}: the crop box (top={top}, left={left}, height={height}, width={width}) "
                           f"is outside the image of size {image.shape[:2]}")
    return image[top:top + height, left:left + width].copy()


def flip_horizontal(image):
    """The image mirrored left to right, as a new contiguous array."""
    out = _native.flip_horizontal(image)
    return out if out is not None else image[:, ::-1].copy()


def center_crop(image, crop_h, crop_w):
    """MindSpore's CenterCrop: zero-pad what is smaller than the crop (the odd pixel on top/left),
    then take the centre window (offsets rounded down)."""
    pad_h = max(crop_h - image.shape[0], 0)
    pad_w = max(crop_w - image.shape[1], 0)
    if pad_h or pad_w:
        image = pad(image, pad_h // 2 + pad_h % 2, pad_h // 2, pad_w // 2 + pad_w % 2, pad_w // 2)
    top = (image.shape[0] - crop_h) // 2
    left = (image.shape[1] - crop_w) // 2
    return image[top:top + crop_h, left:left + crop_w].copy()


# ---- Pillow geometry: affine warps with a fill colour ----

def affine(image, matrix, resample, fill_value, out_size=None):
    """Warp by an inverse affine matrix (output (x, y) -> input (a*x + b*y + c, d*x + e*y + f),
    pixel-centre coordinates), filling outside pixels with fill_value."""
    from PIL import Image
    out_w, out_h = out_size if out_size is not None else (image.shape[1], image.shape[0])
    a, b, c, d, e, f = matrix
    # Pillow's coordinates are pixel corners: centre = corner - 0.5 on both sides of the map
    data = (a, b, c - 0.5 * (a + b) + 0.5, d, e, f - 0.5 * (d + e) + 0.5)
    fills = np.resize(np.asarray(fill_value, dtype=np.float64), image.shape[2] if image.ndim == 3 else 1)

    def one(plane):
        pil_image = to_pil_plane(plane)
        if pil_image.mode == "RGB":
            fill = tuple(int(v) for v in fills)
        else:
            fill = float(fills[0]) if pil_image.mode == "F" else int(fills[0])
        return np.asarray(pil_image.transform((out_w, out_h), Image.Transform.AFFINE, data,
                                              resample=pil_filter(resample), fillcolor=fill))
    if image.dtype == np.uint8 and (image.ndim == 2 or image.shape[2] == 3):
        return one(image)
    planes = []
    for ch in range(1 if image.ndim == 2 else image.shape[2]):
        plane = image if image.ndim == 2 else image[:, :, ch]
        fill_one = fills[ch]
        pil_image = to_pil_plane(plane if plane.dtype == np.uint8 else plane.astype(np.float32))
        fill = float(fill_one) if pil_image.mode == "F" else int(fill_one)
        planes.append(np.asarray(pil_image.transform((out_w, out_h), Image.Transform.AFFINE, data,
                                                     resample=pil_filter(resample), fillcolor=fill),
                                 dtype=np.float32))
    out = planes[0] if image.ndim == 2 else np.stack(planes, axis=2)
    return round_to(out, image.dtype)
