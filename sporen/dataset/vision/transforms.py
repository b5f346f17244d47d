"""dataset.vision's core image transforms: decoding, geometry (resize, crops, flips, rotation,
padding) and layout/dtype conversion (Normalize, HWC2CHW, Rescale, ToTensor, ToPIL, ToType)."""
import io
import math
import numbers

import numpy as np

from ..transforms._base import (FUSIONS, TensorOperation, check_int, check_number, check_pair, check_prob,
                                check_range, check_size, check_type, is_pil, one_or_tuple, rng)
from . import _image, _native
from .utils import Border, Inter

__all__ = ["ImageTensorOperation", "Decode", "Resize", "CenterCrop", "Crop", "RandomCrop",
           "RandomResizedCrop", "ResizedCrop", "RandomResize", "HorizontalFlip", "VerticalFlip",
           "RandomHorizontalFlip", "RandomVerticalFlip", "Rotate", "RandomRotation", "Normalize",
           "NormalizePad", "HWC2CHW", "Rescale", "Pad", "PadToSize", "ToTensor", "ToPIL", "ToNumpy", "ToType",
           "RandomCropDecodeResize"]


class ImageTensorOperation(TensorOperation):
    """An image transform: each input is an <H, W> or <H, W, C> array (or a PIL image, given back
    as a PIL image when the result is still an image); several inputs of one size share the same
    random parameters (e.g. an image and its mask)."""

    # whether a PIL input comes back as a PIL image
    keeps_pil = True

    def _execute(self, *images):
        if len(images) == 1 and type(images[0]) is np.ndarray and images[0].ndim in self._ranks():
            # the common case, one numpy image: what the general path below does, without its lists
            image = images[0]
            return self._apply(image, self._params(image))
        was_pil = [is_pil(image) for image in images]
        modes = [image.mode if pil else None for image, pil in zip(images, was_pil)]
        arrays = [_image.image_array(type(self).__name__, image, self._ranks()) for image in images]
        if len(arrays) > 1:
            _image.same_size(type(self).__name__, arrays)
        params = self._params(arrays[0])
        outputs = [self._apply(array, params) for array in arrays]
        if self.keeps_pil:
            outputs = [_back_to_pil(out, mode) if pil else out for out, pil, mode in zip(outputs, was_pil, modes)]
        return one_or_tuple(outputs)

    def _ranks(self):
        return (2, 3)

    def _params(self, image):
        """The random parameters drawn once for all inputs (None for deterministic ops)."""
        return None

    def _apply(self, image, params):
        raise NotImplementedError


def _back_to_pil(array, mode):
    from PIL import Image
    if array.dtype == np.uint8 and (array.ndim == 2 or array.shape[2] in (3, 4)):
        if mode in ("L", "RGB", "RGBA") and Image.fromarray(array).mode == mode:
            return Image.fromarray(array, mode=mode)
        return Image.fromarray(array)
    return array


def _hw(size):
    return size if len(size) == 2 else (size[0], size[0])


def _check_inter(op, name, value):
    if not isinstance(value, Inter):
        raise TypeError(f"{op}: '{name}' must be an Inter, got {type(value).__name__}")
    return value


def _check_fill(op, fill_value):
    if isinstance(fill_value, (int, np.integer)) and not isinstance(fill_value, bool):
        check_range(op, "fill_value", fill_value, 0, 255)
        return int(fill_value)
    if isinstance(fill_value, (list, tuple)) and len(fill_value) == 3:
        for value in fill_value:
            check_int(op, "fill_value", value, 0, 255)
        return tuple(int(v) for v in fill_value)
    raise TypeError(f"{op}: 'fill_value' must be an int or a tuple of three ints, got {fill_value!r}")


def _check_padding(op, padding):
    """MindSpore's padding: an int (all sides), (left/right, top/bottom) or (left, top, right, bottom);
    returned as (top, bottom, left, right)."""
    if isinstance(padding, (int, np.integer)) and not isinstance(padding, bool):
        check_range(op, "padding", padding, 0, 2147483647)
        return (int(padding),) * 4
    if isinstance(padding, (list, tuple)) and len(padding) in (2, 4):
        for value in padding:
            check_int(op, "padding", value, 0, 2147483647)
        if len(padding) == 2:
            return (padding[1], padding[1], padding[0], padding[0])
        return (padding[1], padding[3], padding[0], padding[2])
    raise TypeError(f"{op}: 'padding' must be an int or a sequence of 2 or 4 ints, got {padding!r}")


class Decode(ImageTensorOperation):
    """Decode a JPEG/PNG/BMP/GIF/TIFF/WEBP image (a 1-D uint8 array of the file's bytes) to an
    <H, W, 3> RGB uint8 array, or to a PIL image when to_pil is True (decoded by Pillow)."""

    random = False

    def __init__(self, to_pil=False):
        check_type("Decode", "to_pil", to_pil, bool, "a bool")
        self.to_pil = to_pil

    def _execute(self, *inputs):
        outputs = [self._decode(data) for data in inputs]
        return one_or_tuple(outputs)

    def _decode(self, data):
        if is_pil(data):
            raise RuntimeError("Decode: the input is already a decoded PIL image; Decode takes the file's bytes")
        data = np.asarray(data)
        if data.dtype.kind == "S" and data.ndim == 0:
            data = np.frombuffer(data.item(), dtype=np.uint8)
        if data.dtype != np.uint8:
            raise RuntimeError(f"Decode: the input must be uint8 bytes of an image file, got dtype {data.dtype}")
        if data.ndim != 1:
            raise RuntimeError(f"Decode: the input must be a 1-D array of the file's bytes, got shape {data.shape}")
        pil_image = _decode_jpeg_rgb(data)
        if pil_image is None:
            pil_image = _decode_any(data)
        if self.to_pil:
            return pil_image
        return _rgb_pixels(pil_image)


def _rgb_pixels(pil_image):
    """A loaded RGB PIL image's pixels as a new <H, W, 3> uint8 array."""
    pixels = _native.rgb_array(pil_image)
    return np.asarray(pil_image) if pixels is None else pixels


def _decode_any(data):
    """Any image file Pillow can open, as an RGB PIL image (Pillow's plugins parse the header)."""
    from PIL import Image
    try:
        pil_image = Image.open(io.BytesIO(data))
        if pil_image.mode == "RGB":
            pil_image.load()  # what convert would do, without convert's copy of an RGB image
        else:
            pil_image = pil_image.convert("RGB")
    except Exception as error:
        raise RuntimeError(f"Decode: the data is not a supported image ({error})") from None
    return pil_image


# the start-of-frame markers of the JPEG processes Pillow's plugin hands to libjpeg unchanged for a
# three-component image: baseline, extended sequential and progressive Huffman
_SOF_HUFFMAN = (0xC0, 0xC1, 0xC2)


def _jpeg_size(data):
    """(width, height) of an 8-bit, three-component Huffman JPEG (the start of frame found by walking
    the markers), else None."""
    view = memoryview(data)
    end = len(view)
    if end < 4 or view[0] != 0xFF or view[1] != 0xD8:
        return None
    index = 2
    while index + 4 <= end:
        if view[index] != 0xFF:
            return None
        marker = view[index + 1]
        if marker == 0xFF:  # fill byte
            index += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # markers without a length
            index += 2
            continue
        length = view[index + 2] << 8 | view[index + 3]
        if marker in _SOF_HUFFMAN:
            if index + 10 > end or view[index + 4] != 8 or view[index + 9] != 3:
                return None
            height = view[index + 5] << 8 | view[index + 6]
            width = view[index + 7] << 8 | view[index + 8]
            return (width, height) if width and height else None
        if marker == 0xDA or 0xC3 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return None  # scan data before a frame header, or a process left to the plugin
        index += 2 + length
    return None


def _decode_jpeg_rgb(data):
    """An 8-bit three-component JPEG decoded to RGB by one call of Pillow's JPEG decoder (libjpeg,
    without the GIL), skipping Image.open's header parse in Python (~0.1 ms an image); the pixels are
    those Image.open would give, since the plugin hands libjpeg the same (mode, rawmode) for such a
    file. None for anything else, or anything this path cannot decode (Image.open then has its say)."""
    from PIL import Image
    size = _jpeg_size(data)
    if size is None:
        return None
    try:
        image = Image.new("RGB", size, None)
        image.frombytes(data, "jpeg", ("RGB", ""))
    except Exception:
        return None
    return image


class Resize(ImageTensorOperation):
    """Resize to size: (height, width), or an int that becomes the shorter edge (the longer one
    scaled to keep the aspect ratio, rounded). Interpolation as in vision.utils.Inter; a PIL
    input is resized by Pillow (its filters antialias when shrinking) and comes back as PIL."""

    def __init__(self, size, interpolation=Inter.LINEAR):
        self.size = check_size("Resize", "size", size)
        self.interpolation = _check_inter("Resize", "interpolation", interpolation)

    def _execute(self, *images):
        if len(images) == 1 and is_pil(images[0]):
            pil_image = images[0]
            out_h, out_w = _resize_shape(self.size, pil_image.size[1], pil_image.size[0])
            return pil_image.resize((out_w, out_h), resample=_image.pil_filter(self.interpolation))
        return super()._execute(*images)

    def _apply(self, image, params):
        out_h, out_w = _resize_shape(self.size, image.shape[0], image.shape[1])
        return _image.resize(image, out_h, out_w, self.interpolation)


def _resize_shape(size, in_h, in_w):
    if len(size) == 2:
        return size
    if in_h < in_w:
        return size[0], int(math.floor(in_w / in_h * size[0] + 0.5))
    return int(math.floor(in_h / in_w * size[0] + 0.5)), size[0]


class RandomResize(ImageTensorOperation):
    """Resize with an interpolation drawn at random among NEAREST, LINEAR, CUBIC and AREA."""

    random = True

    def __init__(self, size):
        self.size = check_size("RandomResize", "size", size)

    def _params(self, image):
        return (Inter.NEAREST, Inter.LINEAR, Inter.CUBIC, Inter.AREA)[int(rng().integers(4))]

    def _apply(self, image, interpolation):
        out_h, out_w = _resize_shape(self.size, image.shape[0], image.shape[1])
        return _image.resize(image, out_h, out_w, interpolation)


class CenterCrop(ImageTensorOperation):
    """Crop the centre (height, width) window; sides smaller than the crop are zero-padded."""

    def __init__(self, size):
        self.size = check_size("CenterCrop", "size", size)

    def _apply(self, image, params):
        crop_h, crop_w = _hw(self.size)
        return _image.center_crop(image, crop_h, crop_w)


class Crop(ImageTensorOperation):
    """Crop the window of size (height, width) whose top-left corner is coordinates (top, left)."""

    def __init__(self, coordinates, size):
        if not isinstance(coordinates, (list, tuple)) or len(coordinates) != 2:
            raise TypeError(f"Crop: 'coordinates' must be a sequence of two ints (top, left), got {coordinates!r}")
        for value in coordinates:
            check_int("Crop", "coordinates", value, 0, 2147483647)
        self.coordinates = tuple(coordinates)
        self.size = check_size("Crop", "size", size)

    def _apply(self, image, params):
        crop_h, crop_w = _hw(self.size)
        return _image.crop("Crop", image, self.coordinates[0], self.coordinates[1], crop_h, crop_w)


class ResizedCrop(ImageTensorOperation):
    """Crop the (height, width) window at (top, left), then resize it to size."""

    def __init__(self, top, left, height, width, size, interpolation=Inter.BILINEAR):
        self.top = check_int("ResizedCrop", "top", top, 0)
        self.left = check_int("ResizedCrop", "left", left, 0)
        self.height = check_int("ResizedCrop", "height", height, 1)
        self.width = check_int("ResizedCrop", "width", width, 1)
        self.size = check_size("ResizedCrop", "size", size)
        self.interpolation = _check_inter("ResizedCrop", "interpolation", interpolation)

    def _apply(self, image, params):
        window = _image.crop("ResizedCrop", image, self.top, self.left, self.height, self.width)
        out_h, out_w = _hw(self.size)
        return _image.resize(window, out_h, out_w, self.interpolation)


class RandomCrop(ImageTensorOperation):
    """Crop a (height, width) window at a random place, after optional padding (an int, (left/right,
    top/bottom) or (left, top, right, bottom)); pad_if_needed pads sides smaller than the crop."""

    random = True

    def __init__(self, size, padding=None, pad_if_needed=False, fill_value=0, padding_mode=Border.CONSTANT):
        self.size = check_size("RandomCrop", "size", size)
        self.padding = None if padding is None else _check_padding("RandomCrop", padding)
        self.pad_if_needed = check_type("RandomCrop", "pad_if_needed", pad_if_needed, bool, "a bool")
        self.fill_value = _check_fill("RandomCrop", fill_value)
        if not isinstance(padding_mode, Border):
            raise TypeError(f"RandomCrop: 'padding_mode' must be a Border, got {type(padding_mode).__name__}")
        self.padding_mode = padding_mode

    def _padded(self, image):
        if self.padding is not None:
            image = _image.pad(image, *self.padding, self.padding_mode, self.fill_value)
        crop_h, crop_w = _hw(self.size)
        if self.pad_if_needed:
            grow_h = max(crop_h - image.shape[0], 0)
            grow_w = max(crop_w - image.shape[1], 0)
            if grow_h or grow_w:
                image = _image.pad(image, grow_h, grow_h, grow_w, grow_w, self.padding_mode, self.fill_value)
        return image

    def _params(self, image):
        image = self._padded(image)
        crop_h, crop_w = _hw(self.size)
        if crop_h > image.shape[0] or crop_w > image.shape[1]:
            raise RuntimeError(f"RandomCrop: the crop size ({crop_h}, {crop_w}) is larger than the (padded) "
                               f"image size {image.shape[:2]}")
        generator = rng()
        top = int(generator.integers(0, image.shape[0] - crop_h + 1))
        left = int(generator.integers(0, image.shape[1] - crop_w + 1))
        return top, left

    def _apply(self, image, params):
        image = self._padded(image)
        crop_h, crop_w = _hw(self.size)
        return image[params[0]:params[0] + crop_h, params[1]:params[1] + crop_w].copy()


def random_resized_crop_box(height, width, scale, ratio, max_attempts, generator):
    """MindSpore's crop box search: (top, left, crop_h, crop_w) with an area share drawn from scale
    and a log-uniform aspect ratio from ratio; after max_attempts misses, the centred largest box."""
    log_low = math.log(ratio[0])
    log_high = math.log(ratio[1])
    for _ in range(max_attempts):
        area_share = generator.uniform(scale[0], scale[1])
        aspect = math.exp(generator.uniform(log_low, log_high))
        crop_w = max(int(round(math.sqrt(height * width * area_share * aspect))), 1)
        crop_h = max(int(round(crop_w / aspect)), 1)
        if crop_w <= width and crop_h <= height:
            left = int(generator.integers(0, width - crop_w + 1))
            top = int(generator.integers(0, height - crop_h + 1))
            return top, left, crop_h, crop_w
    image_aspect = width / height
    if image_aspect < ratio[0]:
        crop_w = width
        crop_h = max(int(round(crop_w / ratio[0])), 1)
    elif image_aspect > ratio[1]:
        crop_h = height
        crop_w = max(int(round(crop_h * ratio[1])), 1)
    else:
        crop_w = width
        crop_h = height
    return int(round((height - crop_h) / 2)), int(round((width - crop_w) / 2)), crop_h, crop_w


def _check_scale_ratio(op, scale, ratio, max_attempts):
    scale = check_pair(op, "scale", scale, 0, 16777216)
    ratio = check_pair(op, "ratio", ratio, 0, 16777216)
    if ratio[0] <= 0:
        raise ValueError(f"{op}: 'ratio' must be positive, got {ratio!r}")
    if scale[1] <= 0:
        raise ValueError(f"{op}: 'scale' upper bound must be positive, got {scale!r}")
    check_int(op, "max_attempts", max_attempts, 1, 2147483647)
    return scale, ratio


class RandomResizedCrop(ImageTensorOperation):
    """Crop a random window (area share in scale, aspect ratio in ratio) and resize it to size."""

    random = True

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3. / 4., 4. / 3.), interpolation=Inter.BILINEAR,
                 max_attempts=10):
        self.size = check_size("RandomResizedCrop", "size", size)
        self.scale, self.ratio = _check_scale_ratio("RandomResizedCrop", scale, ratio, max_attempts)
        self.interpolation = _check_inter("RandomResizedCrop", "interpolation", interpolation)
        self.max_attempts = max_attempts

    def _params(self, image):
        return random_resized_crop_box(image.shape[0], image.shape[1], self.scale, self.ratio,
                                       self.max_attempts, rng())

    def _apply(self, image, box):
        top, left, crop_h, crop_w = box
        out_h, out_w = _hw(self.size)
        return _image.resize(image[top:top + crop_h, left:left + crop_w], out_h, out_w, self.interpolation)


class RandomCropDecodeResize(RandomResizedCrop):
    """Decode, then RandomResizedCrop: the input is an image file's bytes (a JPEG is resized from the
    crop window of the decoded pixels, without a copy of the whole image)."""

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3. / 4., 4. / 3.), interpolation=Inter.BILINEAR,
                 max_attempts=10):
        super().__init__(size, scale, ratio, interpolation, max_attempts)

    def _execute(self, *inputs):
        if len(inputs) == 1:
            out = _decode_crop_resize(self, inputs[0])
            if out is not None:
                return out
        images = [Decode()._decode(np.asarray(data)) for data in inputs]
        return super()._execute(*images)


class HorizontalFlip(ImageTensorOperation):
    """Mirror the image left to right."""

    def _apply(self, image, params):
        return _image.flip_horizontal(image)


class VerticalFlip(ImageTensorOperation):
    """Mirror the image top to bottom."""

    def _apply(self, image, params):
        return image[::-1].copy()


class RandomHorizontalFlip(ImageTensorOperation):
    """Mirror left to right with probability prob."""

    random = True

    def __init__(self, prob=0.5):
        self.prob = check_prob("RandomHorizontalFlip", "prob", prob)

    def _params(self, image):
        return rng().random() < self.prob

    def _apply(self, image, flip):
        return _image.flip_horizontal(image) if flip else image


class RandomVerticalFlip(ImageTensorOperation):
    """Mirror top to bottom with probability prob."""

    random = True

    def __init__(self, prob=0.5):
        self.prob = check_prob("RandomVerticalFlip", "prob", prob)

    def _params(self, image):
        return rng().random() < self.prob

    def _apply(self, image, flip):
        return image[::-1].copy() if flip else image


def rotate(image, degrees, resample, expand, center, fill_value):
    """Rotate counter-clockwise by degrees about center ((x, y), default the image centre), output
    the input's size or, with expand, large enough for the whole rotated image."""
    height, width = image.shape[:2]
    if center is None:
        cx = (width - 1) / 2.0
        cy = (height - 1) / 2.0
    else:
        cx, cy = float(center[0]), float(center[1])
    angle = math.radians(degrees)
    cos_a = math.cos(angle)
    sin_a = math.sin(angle)
    out_w, out_h = width, height
    shift_x = shift_y = 0.0
    if expand:
        corners = np.array([[0, 0], [width - 1, 0], [0, height - 1], [width - 1, height - 1]], dtype=np.float64)
        xs = cos_a * (corners[:, 0] - cx) + sin_a * (corners[:, 1] - cy)
        ys = -sin_a * (corners[:, 0] - cx) + cos_a * (corners[:, 1] - cy)
        out_w = int(math.ceil(xs.max() - xs.min() + 1 - 1e-9))
        out_h = int(math.ceil(ys.max() - ys.min() + 1 - 1e-9))
        shift_x = (out_w - 1) / 2.0 - (width - 1) / 2.0 if center is None else -xs.min() - cx
        shift_y = (out_h - 1) / 2.0 - (height - 1) / 2.0 if center is None else -ys.min() - cy
    # output (x, y) -> input: rotate back about the centre (y grows downwards, so counter-clockwise
    # on screen is the rotation by -angle in these coordinates)
    ox = cx + shift_x
    oy = cy + shift_y
    matrix = (cos_a, -sin_a, cx - cos_a * ox + sin_a * oy,
              sin_a, cos_a, cy - sin_a * ox - cos_a * oy)
    return _image.affine(image, matrix, resample, fill_value, (out_w, out_h))


def _check_center(op, center):
    if center is None:
        return None
    if not isinstance(center, (list, tuple)) or len(center) != 2:
        raise TypeError(f"{op}: 'center' must be None or a tuple (x, y), got {center!r}")
    for value in center:
        check_number(op, "center", value)
    return tuple(center)


class Rotate(ImageTensorOperation):
    """Rotate counter-clockwise by degrees (Pillow's affine warp; MindSpore uses OpenCV's, so edge
    pixels may differ slightly). center is (x, y); expand grows the output to hold the whole image."""

    def __init__(self, degrees, resample=Inter.NEAREST, expand=False, center=None, fill_value=0):
        self.degrees = check_number("Rotate", "degrees", degrees, -16777216, 16777216)
        self.resample = _check_inter("Rotate", "resample", resample)
        if self.resample not in (Inter.NEAREST, Inter.BILINEAR, Inter.BICUBIC):
            raise ValueError(f"Rotate: 'resample' must be NEAREST, BILINEAR or BICUBIC, got {resample!r}")
        self.expand = check_type("Rotate", "expand", expand, bool, "a bool")
        self.center = _check_center("Rotate", center)
        self.fill_value = _check_fill("Rotate", fill_value)

    def _apply(self, image, params):
        return rotate(image, self.degrees, self.resample, self.expand, self.center, self.fill_value)


class RandomRotation(ImageTensorOperation):
    """Rotate by an angle drawn uniformly from degrees ((-d, d) for a number d, or (min, max))."""

    random = True

    def __init__(self, degrees, resample=Inter.NEAREST, expand=False, center=None, fill_value=0):
        if isinstance(degrees, numbers.Real) and not isinstance(degrees, bool):
            check_range("RandomRotation", "degrees", degrees, 0, 16777216)
            degrees = (-degrees, degrees)
        self.degrees = check_pair("RandomRotation", "degrees", degrees, -16777216, 16777216)
        self.resample = _check_inter("RandomRotation", "resample", resample)
        if self.resample not in (Inter.NEAREST, Inter.BILINEAR, Inter.BICUBIC):
            raise ValueError(f"RandomRotation: 'resample' must be NEAREST, BILINEAR or BICUBIC, got {resample!r}")
        self.expand = check_type("RandomRotation", "expand", expand, bool, "a bool")
        self.center = _check_center("RandomRotation", center)
        self.fill_value = _check_fill("RandomRotation", fill_value)

    def _params(self, image):
        return rng().uniform(self.degrees[0], self.degrees[1])

    def _apply(self, image, angle):
        return rotate(image, angle, self.resample, self.expand, self.center, self.fill_value)


def _check_mean_std(op, mean, std):
    for name, values in (("mean", mean), ("std", std)):
        if not isinstance(values, (list, tuple)) or not values:
            raise TypeError(f"{op}: '{name}' must be a non-empty list or tuple of numbers, got {values!r}")
        for value in values:
            check_number(op, name, value)
    for value in mean:
        check_range(op, "mean", value, 0, 255)
    for value in std:
        check_range(op, "std", value, 0, 255, low_open=True)
    if len(mean) != len(std):
        raise ValueError(f"{op}: 'mean' and 'std' must have the same length, got {len(mean)} and {len(std)}")
    return np.asarray(mean, dtype=np.float32), np.asarray(std, dtype=np.float32)


def _normalize(op, image, mean, std, is_hwc):
    if image.ndim == 2:
        image = image[:, :, None] if is_hwc else image[None]
    channels = image.shape[2] if is_hwc else image.shape[0]
    if len(mean) != 1 and len(mean) != channels:
        raise RuntimeError(f"{op}: the image has {channels} channels but 'mean' and 'std' have {len(mean)} values")
    scale = np.float32(1.0) / std
    if is_hwc:
        if len(mean) != channels:  # one value for every channel
            mean = np.resize(mean, channels)
            scale = np.resize(scale, channels)
        out = _native.normalize_hwc(image, mean, scale)
        if out is not None:
            return out
        # (H, W * C) rows with the per-channel constants tiled along them: numpy's inner loops then
        # run over whole rows instead of over the 3 channels of a pixel
        height, width, channels = image.shape
        out = image.reshape(height, width * channels).astype(np.float32)
        out -= np.tile(mean, width)
        out *= np.tile(scale, width)
        return out.reshape(height, width, channels)
    out = image.astype(np.float32)
    out -= mean.reshape(-1, 1, 1)
    out *= scale.reshape(-1, 1, 1)
    return out


class Normalize(ImageTensorOperation):
    """(image - mean) / std per channel, as float32; is_hwc False for <C, H, W> input."""

    keeps_pil = False

    def __init__(self, mean, std, is_hwc=True):
        self.mean, self.std = _check_mean_std("Normalize", mean, std)
        self.is_hwc = check_type("Normalize", "is_hwc", is_hwc, bool, "a bool")

    def _apply(self, image, params):
        out = _normalize("Normalize", image, self.mean, self.std, self.is_hwc)
        return out if image.ndim == 3 else out.reshape(image.shape)


class NormalizePad(ImageTensorOperation):
    """Normalize, then append a channel of zeros (<H, W, 4> for RGB), as float32 or float16."""

    keeps_pil = False

    def __init__(self, mean, std, dtype="float32", is_hwc=True):
        self.mean, self.std = _check_mean_std("NormalizePad", mean, std)
        check_type("NormalizePad", "dtype", dtype, str, "a str")
        if dtype not in ("float32", "float16"):
            raise ValueError(f"NormalizePad: 'dtype' must be 'float32' or 'float16', got {dtype!r}")
        self.dtype = dtype
        self.is_hwc = check_type("NormalizePad", "is_hwc", is_hwc, bool, "a bool")

    def _apply(self, image, params):
        out = _normalize("NormalizePad", image, self.mean, self.std, self.is_hwc)
        axis = 2 if self.is_hwc else 0
        zeros_shape = list(out.shape)
        zeros_shape[axis] = 1
        out = np.concatenate([out, np.zeros(zeros_shape, np.float32)], axis=axis)
        return out.astype(self.dtype)


class HWC2CHW(ImageTensorOperation):
    """<H, W, C> to <C, H, W> (an <H, W> image is returned as it is)."""

    keeps_pil = False

    def _apply(self, image, params):
        if image.ndim == 2:
            return image
        return np.ascontiguousarray(image.transpose(2, 0, 1))


class _NormalizeHWC2CHW(TensorOperation):
    """Normalize followed by HWC2CHW in a map's (or Compose's) list, fused: one native pass reads
    the <H, W, C> image and writes Normalize's values straight into <C, H, W> planes, bit for bit
    what the two give, without the <H, W, C> float32 array between them nor HWC2CHW's copy (0.6 MB
    each at 224x224). Anything else (several images, PIL images, CHW Normalize, channel counts
    Normalize rejects, no compiler) goes through the two operations."""

    def __init__(self, normalize, hwc2chw):
        self.normalize = normalize
        self.hwc2chw = hwc2chw
        self.scale = np.float32(1.0) / normalize.std

    def __call__(self, *inputs):
        if len(inputs) == 1 and self.normalize.is_hwc:
            image = inputs[0]
            if type(image) is np.ndarray and image.ndim == 3:
                channels = image.shape[2]
                mean, scale = self.normalize.mean, self.scale
                if len(mean) == 1 and channels != 1:
                    mean, scale = np.resize(mean, channels), np.resize(scale, channels)
                if len(mean) == channels:
                    out = _native.normalize_hwc_to_chw(image, mean, scale)
                    if out is not None:
                        return out
        result = self.normalize(*inputs)
        return self.hwc2chw(*(result if isinstance(result, tuple) else (result,)))


FUSIONS[(Normalize, HWC2CHW)] = _NormalizeHWC2CHW


class _DecodeRandomResizedCrop(TensorOperation):
    """Decode followed by RandomResizedCrop in a map's (or Compose's) list, fused as MindSpore's
    pipeline fuses them (its RandomCropDecodeResize): a JPEG decoded by Pillow is resized from the
    crop window of Pillow's own pixels, without the <H, W, 3> array Decode would give (0.6 MB for a
    512x512 photo, copied and paged in for each image). The same random box and bit for bit the same
    pixels as the two operations (bilinear only); anything else goes through them."""

    random = True

    def __init__(self, decode, crop):
        self.decode = decode
        self.crop = crop

    def __call__(self, *inputs):
        if len(inputs) == 1 and not self.decode.to_pil:
            out = _decode_crop_resize(self.crop, inputs[0])
            if out is not None:
                return out
        result = self.decode(*inputs)
        return self.crop(*(result if isinstance(result, tuple) else (result,)))


FUSIONS[(Decode, RandomResizedCrop)] = _DecodeRandomResizedCrop


def _decode_crop_resize(crop, data):
    """RandomResizedCrop `crop` of the JPEG file `data` (a 1-D uint8 array), resized from the crop
    window of Pillow's pixels (bilinear only), with the box and pixels Decode then crop give; None
    where this path does not apply (the caller then decodes and crops)."""
    if crop.interpolation != Inter.LINEAR or type(data) is not np.ndarray or data.dtype != np.uint8 \
            or data.ndim != 1:
        return None
    pil_image = _decode_jpeg_rgb(data)
    if pil_image is None:
        return None
    width, height = pil_image.size
    box = random_resized_crop_box(height, width, crop.scale, crop.ratio, crop.max_attempts, rng())
    top, left, crop_h, crop_w = box
    out = _native.resize_pil_window(pil_image, top, left, crop_h, crop_w, *_hw(crop.size))
    return out if out is not None else crop._apply(_rgb_pixels(pil_image), box)


class Rescale(ImageTensorOperation):
    """image * rescale + shift, as float32."""

    keeps_pil = False

    def __init__(self, rescale, shift):
        self.rescale = check_number("Rescale", "rescale", rescale)
        self.shift = check_number("Rescale", "shift", shift)

    def _ranks(self):
        return tuple(range(0, 33))

    def _apply(self, image, params):
        return image.astype(np.float32) * np.float32(self.rescale) + np.float32(self.shift)


class Pad(ImageTensorOperation):
    """Pad the borders: padding an int, (left/right, top/bottom) or (left, top, right, bottom);
    fill_value an int or (R, G, B) for Border.CONSTANT."""

    def __init__(self, padding, fill_value=0, padding_mode=Border.CONSTANT):
        self.padding = _check_padding("Pad", padding)
        self.fill_value = _check_fill("Pad", fill_value)
        if not isinstance(padding_mode, Border):
            raise TypeError(f"Pad: 'padding_mode' must be a Border, got {type(padding_mode).__name__}")
        self.padding_mode = padding_mode

    def _apply(self, image, params):
        return _image.pad(image, *self.padding, self.padding_mode, self.fill_value)


class PadToSize(ImageTensorOperation):
    """Pad to size (height, width); offset (top, left) or None for centred (extra pixel bottom/right)."""

    def __init__(self, size, offset=None, fill_value=0, padding_mode=Border.CONSTANT):
        self.size = check_size("PadToSize", "size", size)
        if offset is not None:
            offset = (offset, offset) if isinstance(offset, int) else tuple(offset)
            for value in offset:
                check_int("PadToSize", "offset", value, 0)
        self.offset = offset
        self.fill_value = _check_fill("PadToSize", fill_value)
        self.padding_mode = padding_mode

    def _apply(self, image, params):
        target_h, target_w = _hw(self.size)
        grow_h = target_h - image.shape[0]
        grow_w = target_w - image.shape[1]
        if grow_h < 0 or grow_w < 0:
            raise RuntimeError(f"PadToSize: the target size {(target_h, target_w)} is smaller than the image "
                               f"size {image.shape[:2]}")
        top, left = (grow_h // 2, grow_w // 2) if self.offset is None else self.offset
        if top > grow_h or left > grow_w:
            raise RuntimeError(f"PadToSize: the offset {(top, left)} leaves no room for the image")
        return _image.pad(image, top, grow_h - top, left, grow_w - left, self.padding_mode, self.fill_value)


class ToTensor(ImageTensorOperation):
    """An <H, W, C> image (numpy or PIL) in [0, 255] to <C, H, W> in [0, 1] of output_type
    (an <H, W> image becomes <1, H, W>)."""

    keeps_pil = False

    def __init__(self, output_type=np.float32):
        self.output_type = _numpy_dtype("ToTensor", "output_type", output_type)

    def _apply(self, image, params):
        if image.ndim == 2:
            image = image[:, :, None]
        out = image.transpose(2, 0, 1).astype(np.float64) / 255.0
        return np.ascontiguousarray(out.astype(self.output_type))


def _numpy_dtype(op, name, dtype):
    """A numpy dtype from a numpy type, a str or a sporen/MindSpore dtype."""
    if hasattr(dtype, "np") and not isinstance(dtype, (type, np.dtype)):
        return np.dtype(dtype.np)
    try:
        return np.dtype(dtype)
    except TypeError:
        pass
    try:
        from ...dtype import to_dtype
        return np.dtype(to_dtype(dtype).np)
    except Exception:
        raise TypeError(f"{op}: '{name}' must be a numpy or mindspore dtype, got {dtype!r}") from None


class ToType(TensorOperation):
    """Cast the input to data_type (a numpy or mindspore dtype)."""

    def __init__(self, data_type):
        self.data_type = _numpy_dtype("ToType", "data_type", data_type)

    def _execute(self, *arrays):
        return one_or_tuple([np.asarray(array).astype(self.data_type) for array in arrays])


class ToPIL(TensorOperation):
    """An <H, W> or <H, W, C> numpy image to a PIL image (PIL input passes through)."""

    def _execute(self, *images):
        from PIL import Image
        outputs = []
        for image in images:
            if is_pil(image):
                outputs.append(image)
                continue
            image = _image.image_array("ToPIL", image)
            if image.ndim == 3 and image.shape[2] == 1:
                image = image[:, :, 0]
            outputs.append(Image.fromarray(np.ascontiguousarray(image)))
        return one_or_tuple(outputs)


class ToNumpy(TensorOperation):
    """A PIL image to a numpy array (numpy input passes through)."""

    def _execute(self, *images):
        return one_or_tuple([np.asarray(image) for image in images])
