"""dataset.vision's erasing and batch-mixing augmentations: CutOut, RandomErasing, Erase,
MixUpBatch, CutMixBatch, MixUp."""
import math
import numbers

import numpy as np

from ..transforms._base import (TensorOperation, check_int, check_number, check_pair, check_prob,
                                check_range, check_type, one_or_tuple, rng)
from . import _image
from .transforms import ImageTensorOperation
from .utils import ImageBatchFormat

__all__ = ["CutOut", "RandomErasing", "Erase", "MixUpBatch", "CutMixBatch", "MixUp"]


class CutOut(ImageTensorOperation):
    """Set num_patches random length x length squares (inside the image) to zero; is_hwc False
    for <C, H, W> input."""

    random = True

    def __init__(self, length, num_patches=1, is_hwc=True):
        self.length = check_int("CutOut", "length", length, 1, 2147483647)
        self.num_patches = check_int("CutOut", "num_patches", num_patches, 1, 2147483647)
        self.is_hwc = check_type("CutOut", "is_hwc", is_hwc, bool, "a bool")

    def _params(self, image):
        height, width = image.shape[:2] if self.is_hwc or image.ndim == 2 else image.shape[1:3]
        if self.length > height or self.length > width:
            raise RuntimeError(f"CutOut: 'length' {self.length} is larger than the image size {(height, width)}")
        generator = rng()
        return [(int(generator.integers(0, height - self.length + 1)),
                 int(generator.integers(0, width - self.length + 1))) for _ in range(self.num_patches)]

    def _apply(self, image, corners):
        out = image.copy()
        size = self.length
        for top, left in corners:
            if self.is_hwc or image.ndim == 2:
                out[top:top + size, left:left + size] = 0
            else:
                out[:, top:top + size, left:left + size] = 0
        return out


def _erase_box(height, width, scale, ratio, max_attempts, generator):
    area = height * width
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(max_attempts):
        erase_area = area * generator.uniform(scale[0], scale[1])
        aspect = math.exp(generator.uniform(*log_ratio))
        erase_h = int(round(math.sqrt(erase_area * aspect)))
        erase_w = int(round(math.sqrt(erase_area / aspect)))
        if 0 < erase_h < height and 0 < erase_w < width:
            top = int(generator.integers(0, height - erase_h + 1))
            left = int(generator.integers(0, width - erase_w + 1))
            return top, left, erase_h, erase_w
    return None


class RandomErasing(TensorOperation):
    """With probability prob, erase a random box of a <C, H, W> image (area share in scale, aspect
    ratio in ratio) with value: a number, one number per channel, or 'random' (standard normal
    noise). After max_attempts boxes that do not fit, the image is returned as it is."""

    random = True

    def __init__(self, prob=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0, inplace=False, max_attempts=10):
        self.prob = check_prob("RandomErasing", "prob", prob)
        self.scale = check_pair("RandomErasing", "scale", scale, 0, 16777216)
        self.ratio = check_pair("RandomErasing", "ratio", ratio, 0, 16777216)
        if self.ratio[0] <= 0:
            raise ValueError(f"RandomErasing: 'ratio' must be positive, got {ratio!r}")
        if isinstance(value, str):
            if value != "random":
                raise ValueError(f"RandomErasing: 'value' as a str must be 'random', got {value!r}")
        elif isinstance(value, numbers.Real):
            check_range("RandomErasing", "value", value, 0, 255)
        else:
            for item in value:
                check_number("RandomErasing", "value", item, 0, 255)
        self.value = value
        self.inplace = check_type("RandomErasing", "inplace", inplace, bool, "a bool")
        self.max_attempts = check_int("RandomErasing", "max_attempts", max_attempts, 1, 2147483647)

    def _execute(self, image):
        image = np.asarray(image)
        if image.ndim != 3:
            raise RuntimeError(f"RandomErasing: the input must be a <C, H, W> image, got shape {image.shape}")
        generator = rng()
        if generator.random() >= self.prob:
            return image
        box = _erase_box(image.shape[1], image.shape[2], self.scale, self.ratio, self.max_attempts, generator)
        if box is None:
            return image
        top, left, erase_h, erase_w = box
        out = image if self.inplace else image.copy()
        if isinstance(self.value, str):
            fill = generator.standard_normal((image.shape[0], erase_h, erase_w))
        else:
            fill = np.asarray(self.value, dtype=np.float64).reshape(-1, 1, 1)
        out[:, top:top + erase_h, left:left + erase_w] = fill
        return out


class Erase(ImageTensorOperation):
    """Fill the (height, width) box at (top, left) of an <H, W, C> image with value (an int or
    (R, G, B))."""

    def __init__(self, top, left, height, width, value=0, inplace=False):
        self.top = check_int("Erase", "top", top, 0)
        self.left = check_int("Erase", "left", left, 0)
        self.height = check_int("Erase", "height", height, 1)
        self.width = check_int("Erase", "width", width, 1)
        if isinstance(value, (int, float)):
            value = (value, value, value)
        for item in value:
            check_number("Erase", "value", item, 0, 255)
        self.value = tuple(value)
        self.inplace = check_type("Erase", "inplace", inplace, bool, "a bool")

    def _apply(self, image, params):
        out = image if self.inplace else image.copy()
        window = out[self.top:self.top + self.height, self.left:self.left + self.width]
        window[...] = np.asarray(self.value[:1] if image.ndim == 2 else self.value[:image.shape[2]])
        return out


def _batch_inputs(op, images, labels):
    images = np.asarray(images)
    labels = np.asarray(labels)
    if images.ndim != 4:
        raise RuntimeError(f"{op}: the images must be a batch <N, H, W, C> or <N, C, H, W>, got shape {images.shape}")
    if labels.ndim not in (2, 3):
        raise RuntimeError(f"{op}: the labels must be one-hot <N, num_classes> (or <N, K, num_classes>), "
                           f"got shape {labels.shape}; apply OneHot before batching")
    if labels.shape[0] != images.shape[0]:
        raise RuntimeError(f"{op}: {images.shape[0]} images but {labels.shape[0]} labels")
    return images, labels


class MixUpBatch(TensorOperation):
    """Mix a batch with a shuffled copy of itself: lam ~ Beta(alpha, alpha), images and one-hot
    labels become lam * x + (1 - lam) * x[permutation] (labels as float32)."""

    random = True

    def __init__(self, alpha=1.0):
        check_number("MixUpBatch", "alpha", alpha)
        check_range("MixUpBatch", "alpha", alpha, 0, 16777216, low_open=True)
        self.alpha = float(alpha)

    def _execute(self, images, labels):
        images, labels = _batch_inputs("MixUpBatch", images, labels)
        generator = rng()
        lam = generator.beta(self.alpha, self.alpha)
        order = generator.permutation(images.shape[0])
        mixed = lam * images.astype(np.float32) + (1 - lam) * images[order].astype(np.float32)
        mixed_labels = lam * labels.astype(np.float32) + (1 - lam) * labels[order].astype(np.float32)
        return _image.round_to(mixed, images.dtype), mixed_labels.astype(np.float32)


class CutMixBatch(TensorOperation):
    """CutMix on a batch: with probability prob per image, paste a random box from a shuffled
    image of the batch (box area share 1 - lam, lam ~ Beta(alpha, alpha)); its one-hot label
    becomes the area-weighted mix. image_batch_format is NHWC or NCHW."""

    random = True

    def __init__(self, image_batch_format, alpha=1.0, prob=1.0):
        if not isinstance(image_batch_format, ImageBatchFormat):
            raise TypeError("CutMixBatch: 'image_batch_format' must be an ImageBatchFormat, "
                            f"got {type(image_batch_format).__name__}")
        self.image_batch_format = image_batch_format
        check_number("CutMixBatch", "alpha", alpha)
        check_range("CutMixBatch", "alpha", alpha, 0, 16777216, low_open=True)
        self.alpha = float(alpha)
        self.prob = check_prob("CutMixBatch", "prob", prob)

    def _execute(self, images, labels):
        images, labels = _batch_inputs("CutMixBatch", images, labels)
        nhwc = self.image_batch_format == ImageBatchFormat.NHWC
        height, width = images.shape[1:3] if nhwc else images.shape[2:4]
        generator = rng()
        order = generator.permutation(images.shape[0])
        out_images = images.copy()
        out_labels = labels.astype(np.float32).copy()
        for i in range(images.shape[0]):
            lam = generator.beta(self.alpha, self.alpha)
            if generator.random() >= self.prob:
                continue
            cut_h = int(height * math.sqrt(1 - lam))
            cut_w = int(width * math.sqrt(1 - lam))
            center_y = int(generator.integers(0, height))
            center_x = int(generator.integers(0, width))
            top = int(np.clip(center_y - cut_h // 2, 0, height))
            bottom = int(np.clip(center_y + cut_h // 2, 0, height))
            left = int(np.clip(center_x - cut_w // 2, 0, width))
            right = int(np.clip(center_x + cut_w // 2, 0, width))
            source = images[order[i]]
            if nhwc:
                out_images[i, top:bottom, left:right] = source[top:bottom, left:right]
            else:
                out_images[i, :, top:bottom, left:right] = source[:, top:bottom, left:right]
            kept = 1 - (bottom - top) * (right - left) / float(height * width)
            out_labels[i] = kept * labels[i] + (1 - kept) * labels[order[i]]
        return out_images, out_labels


class MixUp(TensorOperation):
    """MixUp over a batch of batch_size images and one-hot labels (Python op): lam ~ Beta(alpha,
    alpha); is_single mixes each sample with the next in a shuffled order, else with the previous
    batch's samples (the first batch is returned as it is)."""

    random = True

    def __init__(self, batch_size, alpha, is_single=True):
        self.batch_size = check_int("MixUp", "batch_size", batch_size, 1)
        check_number("MixUp", "alpha", alpha)
        check_range("MixUp", "alpha", alpha, 0, 16777216, low_open=True)
        self.alpha = float(alpha)
        self.is_single = check_type("MixUp", "is_single", is_single, bool, "a bool")
        self._previous = None

    def _execute(self, images, labels):
        images = np.asarray(images)
        labels = np.asarray(labels)
        if images.shape[0] != self.batch_size:
            raise RuntimeError(f"MixUp: expected a batch of {self.batch_size} images, got {images.shape[0]}")
        generator = rng()
        lam = generator.beta(self.alpha, self.alpha)
        if self.is_single:
            order = generator.permutation(images.shape[0])
            other_images, other_labels = images[order], labels[order]
        else:
            if self._previous is None:
                self._previous = (images, labels)
                return one_or_tuple([images, labels])
            other_images, other_labels = self._previous
            self._previous = (images, labels)
        mixed = lam * images.astype(np.float32) + (1 - lam) * other_images.astype(np.float32)
        mixed_labels = lam * labels.astype(np.float32) + (1 - lam) * other_labels.astype(np.float32)
        return mixed.astype(np.float32), mixed_labels.astype(np.float32)
