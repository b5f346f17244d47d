"""dataset.vision's colour and pixel-value transforms: brightness, contrast, saturation, hue,
gamma, sharpness, grayscale, invert, auto-contrast, equalize, posterize, solarize, blur."""
import numbers

import numpy as np

from ..transforms._base import (check_int, check_number, check_pair, check_prob, check_range, check_type,
                                rng)
from . import _image
from .transforms import ImageTensorOperation
from .utils import ConvertMode

__all__ = ["AdjustBrightness", "AdjustContrast", "AdjustSaturation", "AdjustHue", "AdjustGamma",
           "AdjustSharpness", "RandomColorAdjust", "RandomColor", "RandomSharpness", "RandomAdjustSharpness",
           "Grayscale", "RandomGrayscale", "Invert", "RandomInvert", "AutoContrast", "RandomAutoContrast",
           "Equalize", "RandomEqualize", "Posterize", "RandomPosterize", "Solarize", "RandomSolarize",
           "GaussianBlur", "ConvertColor", "RgbToHsv", "HsvToRgb", "RandomLighting", "LinearTransformation"]


def _rgb(op, image):
    if image.ndim != 3 or image.shape[2] != 3:
        raise RuntimeError(f"{op}: the input must be an <H, W, 3> RGB image, got shape {image.shape}")
    return image


def _top(dtype):
    return 255.0 if np.dtype(dtype).kind in "ui" else 1.0


def gray(image):
    """ITU-R 601-2 luma (Pillow's L conversion and OpenCV's RGB2GRAY weights), float."""
    values = image.astype(np.float32)
    return values[..., 0] * 0.299 + values[..., 1] * 0.587 + values[..., 2] * 0.114


def blend(image, other, factor):
    """other + factor * (image - other), saturated to the image's range (Pillow's ImageEnhance)."""
    out = other + np.float32(factor) * (image.astype(np.float32) - other)
    if image.dtype.kind in "ui":
        out = np.clip(out, 0, 255)
    return _image.round_to(out, image.dtype)


def adjust_brightness(image, factor):
    return blend(image, np.float32(0), factor)


def adjust_contrast(image, factor):
    mean = np.float32(gray(image).mean())
    if image.dtype == np.uint8:
        mean = np.floor(mean + 0.5)
    return blend(image, mean, factor)


def adjust_saturation(image, factor):
    luma = gray(image)
    if image.dtype == np.uint8:
        luma = np.floor(luma + 0.5)
    return blend(image, luma[..., None], factor)


def adjust_hue(image, factor):
    """Shift the hue by factor of a turn (in [-0.5, 0.5]) in HSV space (Pillow's HSV for uint8)."""
    if factor == 0:
        return image.copy()
    if image.dtype == np.uint8:
        from PIL import Image
        hsv = np.asarray(Image.fromarray(image, "RGB").convert("HSV")).copy()
        hsv[..., 0] = (hsv[..., 0].astype(np.int32) + int(round(factor * 255))) % 256
        return np.asarray(Image.fromarray(hsv, "HSV").convert("RGB"))
    hsv = rgb_to_hsv(image.astype(np.float32) / _top(image.dtype))
    hsv[..., 0] = (hsv[..., 0] + factor) % 1.0
    return _image.round_to(hsv_to_rgb(hsv) * _top(image.dtype), image.dtype)


def rgb_to_hsv(rgb):
    """RGB in [0, 1] (float, last axis) to HSV in [0, 1]."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    high = rgb.max(axis=-1)
    low = rgb.min(axis=-1)
    delta = high - low
    safe = np.where(delta == 0, 1, delta)
    hue = np.where(high == r, (g - b) / safe, np.where(high == g, 2.0 + (b - r) / safe, 4.0 + (r - g) / safe))
    hue = np.where(delta == 0, 0.0, (hue / 6.0) % 1.0)
    saturation = np.where(high == 0, 0.0, delta / np.where(high == 0, 1, high))
    return np.stack([hue, saturation, high], axis=-1).astype(np.float32)


def hsv_to_rgb(hsv):
    """HSV in [0, 1] (float, last axis) to RGB in [0, 1]."""
    h, s, v = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    sector = np.floor(h * 6.0)
    f = h * 6.0 - sector
    sector = sector.astype(np.int64) % 6
    p = v * (1 - s)
    q = v * (1 - s * f)
    t = v * (1 - s * (1 - f))
    choices_r = [v, q, p, p, t, v]
    choices_g = [t, v, v, q, p, p]
    choices_b = [p, p, t, v, v, q]
    r = np.choose(sector, choices_r)
    g = np.choose(sector, choices_g)
    b = np.choose(sector, choices_b)
    return np.stack([r, g, b], axis=-1).astype(np.float32)


def _smooth(image):
    """Pillow's SMOOTH kernel ([[1,1,1],[1,5,1],[1,1,1]] / 13), the edge pixels left as they are."""
    values = image.astype(np.float32)
    out = values.copy()
    if image.shape[0] < 3 or image.shape[1] < 3:
        return out
    kernel = np.array([[1, 1, 1], [1, 5, 1], [1, 1, 1]], np.float32) / 13.0
    inner = np.zeros_like(values[1:-1, 1:-1])
    for dy in range(3):
        for dx in range(3):
            inner += kernel[dy, dx] * values[dy:dy + values.shape[0] - 2, dx:dx + values.shape[1] - 2]
    if image.dtype.kind in "ui":
        inner = np.floor(inner + 0.5)
    out[1:-1, 1:-1] = inner
    return out


def adjust_sharpness(image, factor):
    """Blend with a smoothed copy (Pillow's ImageEnhance.Sharpness): 0 blurs, 1 keeps, 2 sharpens."""
    return blend(image, _smooth(image), factor)


def _check_factor(op, name, value):
    check_number(op, name, value)
    check_range(op, name, value, 0, 16777216)
    return float(value)


class AdjustBrightness(ImageTensorOperation):
    """Multiply the RGB image by brightness_factor (0 gives black, 1 the original)."""

    def __init__(self, brightness_factor):
        self.brightness_factor = _check_factor("AdjustBrightness", "brightness_factor", brightness_factor)

    def _apply(self, image, params):
        return adjust_brightness(_rgb("AdjustBrightness", image), self.brightness_factor)


class AdjustContrast(ImageTensorOperation):
    """Blend the RGB image with its mean gray level (0 gives flat gray, 1 the original)."""

    def __init__(self, contrast_factor):
        self.contrast_factor = _check_factor("AdjustContrast", "contrast_factor", contrast_factor)

    def _apply(self, image, params):
        return adjust_contrast(_rgb("AdjustContrast", image), self.contrast_factor)


class AdjustSaturation(ImageTensorOperation):
    """Blend the RGB image with its grayscale version (0 gives gray, 1 the original)."""

    def __init__(self, saturation_factor):
        self.saturation_factor = _check_factor("AdjustSaturation", "saturation_factor", saturation_factor)

    def _apply(self, image, params):
        return adjust_saturation(_rgb("AdjustSaturation", image), self.saturation_factor)


class AdjustHue(ImageTensorOperation):
    """Rotate the hue by hue_factor of a turn, in [-0.5, 0.5]."""

    def __init__(self, hue_factor):
        check_number("AdjustHue", "hue_factor", hue_factor)
        check_range("AdjustHue", "hue_factor", hue_factor, -0.5, 0.5)
        self.hue_factor = float(hue_factor)

    def _apply(self, image, params):
        return adjust_hue(_rgb("AdjustHue", image), self.hue_factor)


class AdjustGamma(ImageTensorOperation):
    """gain * (image / max) ** gamma * max, max being 255 for integer images and 1 for floats."""

    def __init__(self, gamma, gain=1.0):
        self.gamma = _check_factor("AdjustGamma", "gamma", gamma)
        self.gain = check_number("AdjustGamma", "gain", gain)

    def _apply(self, image, params):
        top = _top(image.dtype)
        out = self.gain * np.power(image.astype(np.float64) / top, self.gamma) * top
        if image.dtype.kind in "ui":
            out = np.clip(out, 0, 255)
        return _image.round_to(out, image.dtype)


class AdjustSharpness(ImageTensorOperation):
    """Blend with a smoothed copy: 0 blurs, 1 keeps, 2 sharpens (Pillow's ImageEnhance.Sharpness)."""

    def __init__(self, sharpness_factor):
        self.sharpness_factor = _check_factor("AdjustSharpness", "sharpness_factor", sharpness_factor)

    def _apply(self, image, params):
        return adjust_sharpness(image, self.sharpness_factor)


def _factor_range(op, name, value, center=1.0, low=0.0, high=16777216.0):
    """A number v gives [max(center - v, low), center + v]; a pair is (min, max)."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        check_range(op, name, value, 0, high)
        return (max(center - value, low), center + value)
    return check_pair(op, name, value, low, high)


class RandomColorAdjust(ImageTensorOperation):
    """Brightness, contrast, saturation and hue each adjusted by a factor drawn from its range
    (a number v means [max(0, 1 - v), 1 + v], hue's [-v, v]), applied in a random order."""

    random = True

    def __init__(self, brightness=(1, 1), contrast=(1, 1), saturation=(1, 1), hue=(0, 0)):
        self.brightness = _factor_range("RandomColorAdjust", "brightness", brightness)
        self.contrast = _factor_range("RandomColorAdjust", "contrast", contrast)
        self.saturation = _factor_range("RandomColorAdjust", "saturation", saturation)
        self.hue = _factor_range("RandomColorAdjust", "hue", hue, 0.0, -0.5, 0.5)

    def _params(self, image):
        generator = rng()
        factors = [generator.uniform(*self.brightness), generator.uniform(*self.contrast),
                   generator.uniform(*self.saturation), generator.uniform(*self.hue)]
        return generator.permutation(4), factors

    def _apply(self, image, params):
        order, factors = params
        image = _rgb("RandomColorAdjust", image)
        functions = (adjust_brightness, adjust_contrast, adjust_saturation, adjust_hue)
        neutral = (1.0, 1.0, 1.0, 0.0)
        for index in order:
            if factors[index] != neutral[index]:
                image = functions[index](image, factors[index])
        return image


class RandomColor(ImageTensorOperation):
    """Saturation adjusted by a factor drawn from degrees (0 gray, 1 the original)."""

    random = True

    def __init__(self, degrees=(0.1, 1.9)):
        self.degrees = check_pair("RandomColor", "degrees", degrees, 0, 16777216)

    def _params(self, image):
        return rng().uniform(*self.degrees)

    def _apply(self, image, factor):
        return adjust_saturation(_rgb("RandomColor", image), factor)


class RandomSharpness(ImageTensorOperation):
    """Sharpness adjusted by a factor drawn from degrees (0 blurred, 1 the original, 2 sharpened)."""

    random = True

    def __init__(self, degrees=(0.1, 1.9)):
        self.degrees = check_pair("RandomSharpness", "degrees", degrees, 0, 16777216)

    def _params(self, image):
        return rng().uniform(*self.degrees)

    def _apply(self, image, factor):
        return adjust_sharpness(image, factor)


class RandomAdjustSharpness(ImageTensorOperation):
    """AdjustSharpness(degree) with probability prob."""

    random = True

    def __init__(self, degree, prob=0.5):
        self.degree = _check_factor("RandomAdjustSharpness", "degree", degree)
        self.prob = check_prob("RandomAdjustSharpness", "prob", prob)

    def _params(self, image):
        return rng().random() < self.prob

    def _apply(self, image, apply):
        return adjust_sharpness(image, self.degree) if apply else image


class Grayscale(ImageTensorOperation):
    """RGB to grayscale (ITU-R 601-2 luma) with 1 or 3 identical output channels."""

    def __init__(self, num_output_channels=1):
        check_int("Grayscale", "num_output_channels", num_output_channels)
        if num_output_channels not in (1, 3):
            raise ValueError(f"Grayscale: 'num_output_channels' must be 1 or 3, got {num_output_channels}")
        self.num_output_channels = num_output_channels

    def _apply(self, image, params):
        luma = _image.round_to(gray(_rgb("Grayscale", image)), image.dtype)
        if self.num_output_channels == 3:
            return np.repeat(luma[..., None], 3, axis=2)
        return luma


class RandomGrayscale(ImageTensorOperation):
    """Grayscale with 3 channels with probability prob."""

    random = True

    def __init__(self, prob=0.1):
        self.prob = check_prob("RandomGrayscale", "prob", prob)

    def _params(self, image):
        return rng().random() < self.prob

    def _apply(self, image, apply):
        if not apply:
            return image
        return Grayscale(3)._apply(image, None)


def invert(image):
    return (255 - image.astype(np.int32)).astype(image.dtype) if image.dtype.kind in "ui" else 1.0 - image


class Invert(ImageTensorOperation):
    """255 - pixel for each channel of a uint8 image."""

    def _apply(self, image, params):
        return invert(image)


class RandomInvert(ImageTensorOperation):
    """Invert with probability prob."""

    random = True

    def __init__(self, prob=0.5):
        self.prob = check_prob("RandomInvert", "prob", prob)

    def _params(self, image):
        return rng().random() < self.prob

    def _apply(self, image, apply):
        return invert(image) if apply else image


def _channels(image):
    return [image] if image.ndim == 2 else [image[..., c] for c in range(image.shape[2])]


def _stack_like(planes, image):
    return planes[0] if image.ndim == 2 else np.stack(planes, axis=2)


def auto_contrast(image, cutoff=0.0, ignore=None):
    """Stretch each channel so that its darkest (after cutting cutoff % of each end of the
    histogram, leaving out ignored values) becomes 0 and its brightest 255 (Pillow's autocontrast)."""
    from PIL import Image, ImageOps
    planes = []
    for plane in _channels(image.astype(np.uint8)):
        out = ImageOps.autocontrast(Image.fromarray(np.ascontiguousarray(plane)), cutoff=cutoff, ignore=ignore)
        planes.append(np.asarray(out))
    return _stack_like(planes, image)


class AutoContrast(ImageTensorOperation):
    """Maximise each channel's contrast (cutoff: % of the histogram's ends removed first; ignore:
    pixel values left out of the histogram)."""

    def __init__(self, cutoff=0.0, ignore=None):
        self.cutoff = check_number("AutoContrast", "cutoff", cutoff)
        check_range("AutoContrast", "cutoff", cutoff, 0, 50, high_open=True)
        if isinstance(ignore, int):
            ignore = [ignore]
        if ignore is not None:
            for value in ignore:
                check_int("AutoContrast", "ignore", value, 0, 255)
        self.ignore = ignore

    def _apply(self, image, params):
        return auto_contrast(image, self.cutoff, self.ignore)


class RandomAutoContrast(ImageTensorOperation):
    """AutoContrast with probability prob."""

    random = True

    def __init__(self, cutoff=0.0, ignore=None, prob=0.5):
        self._op = AutoContrast(cutoff, ignore)
        self.prob = check_prob("RandomAutoContrast", "prob", prob)

    def _params(self, image):
        return rng().random() < self.prob

    def _apply(self, image, apply):
        return self._op._apply(image, None) if apply else image


def equalize(image):
    """Equalise each channel's histogram (Pillow's ImageOps.equalize)."""
    from PIL import Image, ImageOps
    planes = [np.asarray(ImageOps.equalize(Image.fromarray(np.ascontiguousarray(p)))) for p in _channels(image)]
    return _stack_like(planes, image)


class Equalize(ImageTensorOperation):
    """Equalise the histogram of each channel of a uint8 image."""

    def _apply(self, image, params):
        _require_uint8("Equalize", image)
        return equalize(image)


class RandomEqualize(ImageTensorOperation):
    """Equalize with probability prob."""

    random = True

    def __init__(self, prob=0.5):
        self.prob = check_prob("RandomEqualize", "prob", prob)

    def _params(self, image):
        return rng().random() < self.prob

    def _apply(self, image, apply):
        return equalize(_require_uint8("RandomEqualize", image)) if apply else image


def _require_uint8(op, image):
    if image.dtype != np.uint8:
        raise RuntimeError(f"{op}: the input must be uint8, got {image.dtype}")
    return image


def posterize(image, bits):
    mask = np.uint8((0xFF << (8 - bits)) & 0xFF)
    return image & mask


class Posterize(ImageTensorOperation):
    """Keep the bits highest bits of each uint8 pixel."""

    def __init__(self, bits):
        self.bits = check_int("Posterize", "bits", bits, 0, 8)

    def _apply(self, image, params):
        return posterize(_require_uint8("Posterize", image), self.bits)


class RandomPosterize(ImageTensorOperation):
    """Posterize with a number of bits drawn from bits (an int or a (min, max) range in [1, 8])."""

    random = True

    def __init__(self, bits=(8, 8)):
        if isinstance(bits, int):
            bits = (bits, bits)
        self.bits = check_pair("RandomPosterize", "bits", bits, 1, 8)

    def _params(self, image):
        return int(rng().integers(self.bits[0], self.bits[1] + 1))

    def _apply(self, image, bits):
        return posterize(_require_uint8("RandomPosterize", image), bits)


def solarize(image, low, high):
    inside = (image >= low) & (image <= high)
    return np.where(inside, invert(image), image)


class Solarize(ImageTensorOperation):
    """Invert the pixels in [threshold[0], threshold[1]] (a number t means [t, 255])."""

    def __init__(self, threshold):
        if isinstance(threshold, numbers.Real) and not isinstance(threshold, bool):
            threshold = (threshold, 255)
        self.threshold = check_pair("Solarize", "threshold", threshold, 0, 255)

    def _apply(self, image, params):
        return solarize(image, *self.threshold)


class RandomSolarize(ImageTensorOperation):
    """Solarize from a threshold t drawn in threshold: pixels in [t, 255] inverted."""

    random = True

    def __init__(self, threshold=(0, 255)):
        self.threshold = check_pair("RandomSolarize", "threshold", threshold, 0, 255)

    def _params(self, image):
        low = int(rng().integers(self.threshold[0], self.threshold[1] + 1))
        return low

    def _apply(self, image, low):
        return solarize(image, low, 255)


def _gaussian_kernel(size, sigma):
    coords = np.arange(size, dtype=np.float64) - (size - 1) / 2.0
    kernel = np.exp(-(coords ** 2) / (2.0 * sigma * sigma))
    return kernel / kernel.sum()


class GaussianBlur(ImageTensorOperation):
    """Blur with a Gaussian kernel of kernel_size (odd ints, (width, height)) and sigma ((x, y);
    None derives it from the size as OpenCV does: 0.3 * ((size - 1) * 0.5 - 1) + 0.8); borders are
    reflected without repeating the edge (OpenCV's BORDER_REFLECT_101)."""

    def __init__(self, kernel_size, sigma=None):
        if isinstance(kernel_size, int):
            kernel_size = (kernel_size, kernel_size)
        if not isinstance(kernel_size, (list, tuple)) or len(kernel_size) != 2:
            raise TypeError("GaussianBlur: 'kernel_size' must be an int or a sequence of two ints, "
                            f"got {kernel_size!r}")
        for value in kernel_size:
            check_int("GaussianBlur", "kernel_size", value, 1)
            if value % 2 == 0:
                raise ValueError(f"GaussianBlur: 'kernel_size' must be odd, got {kernel_size!r}")
        self.kernel_size = tuple(kernel_size)
        if sigma is None:
            sigma = tuple(0.3 * ((k - 1) * 0.5 - 1) + 0.8 for k in self.kernel_size)
        elif isinstance(sigma, numbers.Real):
            sigma = (sigma, sigma)
        for value in sigma:
            check_number("GaussianBlur", "sigma", value)
            check_range("GaussianBlur", "sigma", value, 0, 16777216, low_open=True)
        self.sigma = tuple(float(s) for s in sigma)

    def _apply(self, image, params):
        values = image.astype(np.float32)
        kernel_x = _gaussian_kernel(self.kernel_size[0], self.sigma[0])
        kernel_y = _gaussian_kernel(self.kernel_size[1], self.sigma[1])
        values = _convolve_axis(values, kernel_y, 0)
        values = _convolve_axis(values, kernel_x, 1)
        return _image.round_to(values, image.dtype)


def _convolve_axis(values, kernel, axis):
    radius = len(kernel) // 2
    if radius == 0:
        return values * np.float32(kernel[0])
    size = values.shape[axis]
    index = np.arange(-radius, size + radius)
    # reflect_101: -1 -> 1, size -> size - 2
    period = max(2 * size - 2, 1)
    index = np.abs(index) % period
    index = np.where(index >= size, period - index, index)
    padded = np.take(values, index, axis=axis)
    out = np.zeros_like(values)
    for k, weight in enumerate(kernel):
        out += np.float32(weight) * np.take(padded, np.arange(k, k + size), axis=axis)
    return out


class ConvertColor(ImageTensorOperation):
    """Convert between RGB/BGR/RGBA/BGRA/GRAY layouts (convert_mode a ConvertMode)."""

    def __init__(self, convert_mode):
        if not isinstance(convert_mode, ConvertMode):
            raise TypeError(f"ConvertColor: 'convert_mode' must be a ConvertMode, got {type(convert_mode).__name__}")
        self.convert_mode = convert_mode

    def _apply(self, image, params):
        mode = self.convert_mode
        channels = 1 if image.ndim == 2 else image.shape[2]
        needs = {0: 3, 1: 4, 2: 3, 3: 4, 4: 3, 5: 4, 6: 3, 7: 3, 8: 1, 9: 1, 10: 4, 11: 4}[int(mode)]
        if channels != needs:
            raise RuntimeError(f"ConvertColor: {mode.name} needs {needs} channels, got shape {image.shape}")
        if int(mode) in (8, 9):
            plane = image if image.ndim == 2 else image[..., 0]
            out = np.repeat(plane[..., None], 3, axis=2)
            if int(mode) == 9:
                alpha = np.full(plane.shape + (1,), _top(image.dtype), dtype=image.dtype)
                out = np.concatenate([out, alpha], axis=2)
            return out
        if int(mode) in (6, 10):
            return _image.round_to(gray(image[..., 2::-1]), image.dtype)
        if int(mode) in (7, 11):
            return _image.round_to(gray(image[..., :3]), image.dtype)
        swap = int(mode) in (2, 3, 4, 5)
        color = image[..., 2::-1] if swap else image[..., :3]
        if int(mode) in (0, 2, 5):
            alpha = image[..., 3:4] if channels == 4 else np.full(image.shape[:2] + (1,), _top(image.dtype),
                                                                   dtype=image.dtype)
            return np.ascontiguousarray(np.concatenate([color, alpha], axis=2))
        return np.ascontiguousarray(color)


class RgbToHsv(ImageTensorOperation):
    """RGB in [0, 1] (float, <H, W, 3> or <3, H, W> when is_hwc is False) to HSV in [0, 1]."""

    keeps_pil = False

    def __init__(self, is_hwc=False):
        self.is_hwc = check_type("RgbToHsv", "is_hwc", is_hwc, bool, "a bool")

    def _apply(self, image, params):
        values = image if self.is_hwc else np.moveaxis(image, 0, -1)
        out = rgb_to_hsv(values.astype(np.float32))
        return (out if self.is_hwc else np.moveaxis(out, -1, 0)).astype(image.dtype)


class HsvToRgb(ImageTensorOperation):
    """HSV in [0, 1] (float, <H, W, 3> or <3, H, W> when is_hwc is False) to RGB in [0, 1]."""

    keeps_pil = False

    def __init__(self, is_hwc=False):
        self.is_hwc = check_type("HsvToRgb", "is_hwc", is_hwc, bool, "a bool")

    def _apply(self, image, params):
        values = image if self.is_hwc else np.moveaxis(image, 0, -1)
        out = hsv_to_rgb(values.astype(np.float32))
        return (out if self.is_hwc else np.moveaxis(out, -1, 0)).astype(image.dtype)


_EIGVAL = np.array([0.2175, 0.0188, 0.0045])
_EIGVEC = np.array([[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140], [-0.5836, -0.6948, 0.4203]])


class RandomLighting(ImageTensorOperation):
    """AlexNet-style PCA lighting noise: add eigvec @ (alpha * eigval), alpha ~ N(0, alpha)."""

    random = True

    def __init__(self, alpha=0.05):
        self.alpha = _check_factor("RandomLighting", "alpha", alpha)

    def _params(self, image):
        return rng().normal(0.0, self.alpha, size=3)

    def _apply(self, image, alphas):
        shift = _EIGVEC @ (alphas * _EIGVAL) * 255.0
        out = _rgb("RandomLighting", image).astype(np.float32) + shift.astype(np.float32)
        if image.dtype.kind in "ui":
            out = np.clip(out, 0, 255)
        return _image.round_to(out, image.dtype)


class LinearTransformation(ImageTensorOperation):
    """Flatten a <C, H, W> image, subtract mean_vector and multiply by transformation_matrix."""

    keeps_pil = False

    def __init__(self, transformation_matrix, mean_vector):
        self.transformation_matrix = np.asarray(transformation_matrix)
        self.mean_vector = np.asarray(mean_vector)
        size = self.transformation_matrix.shape
        if self.transformation_matrix.ndim != 2 or size[0] != size[1]:
            raise ValueError(f"LinearTransformation: 'transformation_matrix' must be square, got shape {size}")
        if self.mean_vector.shape != (size[0],):
            raise ValueError(f"LinearTransformation: 'mean_vector' must have shape ({size[0]},), "
                             f"got {self.mean_vector.shape}")

    def _ranks(self):
        return (3,)

    def _apply(self, image, params):
        flat = image.reshape(1, -1)
        if flat.shape[1] != self.mean_vector.shape[0]:
            raise RuntimeError(f"LinearTransformation: the image has {flat.shape[1]} values, the matrix "
                               f"expects {self.mean_vector.shape[0]}")
        return ((flat - self.mean_vector) @ self.transformation_matrix).reshape(image.shape).astype(image.dtype)
