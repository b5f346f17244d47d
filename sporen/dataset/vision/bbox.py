"""dataset.vision's detection transforms: an image with its bounding boxes (<N, 4+> rows of
[x_min, y_min, width, height, extra...] in pixels), boxes kept consistent with the image."""
import numpy as np

from ..transforms._base import (TensorOperation, check_callable, check_number, check_prob, check_range, check_size,
                                rng, to_array)
from . import _image
from .transforms import (RandomCrop, RandomResizedCrop, _check_inter, _hw, _resize_shape,
                         random_resized_crop_box)
from .utils import Border, Inter

__all__ = ["RandomHorizontalFlipWithBBox", "RandomVerticalFlipWithBBox", "ResizeWithBBox", "RandomResizeWithBBox",
           "RandomCropWithBBox", "RandomResizedCropWithBBox", "BoundingBoxAugment"]


def _inputs(op, image, bboxes):
    image = _image.image_array(op, to_array(image))
    boxes = np.asarray(to_array(bboxes))
    if boxes.ndim != 2 or boxes.shape[1] < 4:
        raise RuntimeError(f"{op}: the bounding boxes must be <N, 4+> ([x, y, width, height, ...]), "
                           f"got shape {boxes.shape}")
    if boxes.size:
        x, y, w, h = (boxes[:, i].astype(np.float64) for i in range(4))
        if (x < 0).any() or (y < 0).any() or (w <= 0).any() or (h <= 0).any():
            raise RuntimeError(f"{op}: bounding boxes must have x, y >= 0 and width, height > 0")
        if (x + w > image.shape[1] + 1e-4).any() or (y + h > image.shape[0] + 1e-4).any():
            raise RuntimeError(f"{op}: a bounding box exceeds the image of size {image.shape[:2]}")
    return image, boxes


def crop_boxes(boxes, top, left, height, width):
    """Boxes moved into a crop window, clipped to it; boxes left outside are dropped."""
    values = boxes.astype(np.float64)
    x0 = np.clip(values[:, 0] - left, 0, width)
    y0 = np.clip(values[:, 1] - top, 0, height)
    x1 = np.clip(values[:, 0] + values[:, 2] - left, 0, width)
    y1 = np.clip(values[:, 1] + values[:, 3] - top, 0, height)
    keep = (x1 > x0) & (y1 > y0)
    out = boxes[keep].copy()
    out[:, 0] = x0[keep]
    out[:, 1] = y0[keep]
    out[:, 2] = (x1 - x0)[keep]
    out[:, 3] = (y1 - y0)[keep]
    return out


def scale_boxes(boxes, scale_y, scale_x):
    out = boxes.copy()
    out[:, 0] = boxes[:, 0] * scale_x
    out[:, 2] = boxes[:, 2] * scale_x
    out[:, 1] = boxes[:, 1] * scale_y
    out[:, 3] = boxes[:, 3] * scale_y
    return out


class RandomHorizontalFlipWithBBox(TensorOperation):
    """Mirror the image left to right with probability prob, and its boxes with it."""

    random = True

    def __init__(self, prob=0.5):
        self.prob = check_prob("RandomHorizontalFlipWithBBox", "prob", prob)

    def _execute(self, image, bboxes):
        image, boxes = _inputs("RandomHorizontalFlipWithBBox", image, bboxes)
        if rng().random() >= self.prob:
            return image, boxes
        out = boxes.copy()
        out[:, 0] = image.shape[1] - boxes[:, 0] - boxes[:, 2]
        return image[:, ::-1].copy(), out


class RandomVerticalFlipWithBBox(TensorOperation):
    """Mirror the image top to bottom with probability prob, and its boxes with it."""

    random = True

    def __init__(self, prob=0.5):
        self.prob = check_prob("RandomVerticalFlipWithBBox", "prob", prob)

    def _execute(self, image, bboxes):
        image, boxes = _inputs("RandomVerticalFlipWithBBox", image, bboxes)
        if rng().random() >= self.prob:
            return image, boxes
        out = boxes.copy()
        out[:, 1] = image.shape[0] - boxes[:, 1] - boxes[:, 3]
        return image[::-1].copy(), out


class ResizeWithBBox(TensorOperation):
    """Resize (as vision.Resize) and scale the boxes by the same factors."""

    def __init__(self, size, interpolation=Inter.LINEAR):
        self.size = check_size("ResizeWithBBox", "size", size)
        self.interpolation = _check_inter("ResizeWithBBox", "interpolation", interpolation)

    def _execute(self, image, bboxes):
        image, boxes = _inputs("ResizeWithBBox", image, bboxes)
        return _resize_with_boxes(image, boxes, self.size, self.interpolation)


def _resize_with_boxes(image, boxes, size, interpolation):
    out_h, out_w = _resize_shape(size, image.shape[0], image.shape[1])
    resized = _image.resize(image, out_h, out_w, interpolation)
    return resized, scale_boxes(boxes, out_h / image.shape[0], out_w / image.shape[1])


class RandomResizeWithBBox(TensorOperation):
    """ResizeWithBBox with an interpolation drawn among NEAREST, LINEAR, CUBIC and AREA."""

    random = True

    def __init__(self, size):
        self.size = check_size("RandomResizeWithBBox", "size", size)

    def _execute(self, image, bboxes):
        image, boxes = _inputs("RandomResizeWithBBox", image, bboxes)
        interpolation = (Inter.NEAREST, Inter.LINEAR, Inter.CUBIC, Inter.AREA)[int(rng().integers(4))]
        return _resize_with_boxes(image, boxes, self.size, interpolation)


class RandomCropWithBBox(TensorOperation):
    """RandomCrop (same arguments) with the boxes moved into the crop, clipped to it, and dropped
    when they fall outside."""

    random = True

    def __init__(self, size, padding=None, pad_if_needed=False, fill_value=0, padding_mode=Border.CONSTANT):
        self._crop = RandomCrop(size, padding, pad_if_needed, fill_value, padding_mode)
        self.size = self._crop.size
        self.padding = padding
        self.pad_if_needed = pad_if_needed
        self.fill_value = fill_value
        self.padding_mode = padding_mode

    def _execute(self, image, bboxes):
        image, boxes = _inputs("RandomCropWithBBox", image, bboxes)
        padded = self._crop._padded(image)
        # where the original image sits in the padded one: the explicit padding, then half of what
        # pad_if_needed added (it pads both sides equally)
        pad_top, pad_bottom, pad_left, pad_right = self._crop.padding or (0, 0, 0, 0)
        offset_top = pad_top + (padded.shape[0] - image.shape[0] - pad_top - pad_bottom) // 2
        offset_left = pad_left + (padded.shape[1] - image.shape[1] - pad_left - pad_right) // 2
        shifted = boxes.copy()
        shifted[:, 0] = boxes[:, 0] + offset_left
        shifted[:, 1] = boxes[:, 1] + offset_top
        top, left = self._crop._params(image)
        crop_h, crop_w = _hw(self.size)
        window = padded[top:top + crop_h, left:left + crop_w].copy()
        return window, crop_boxes(shifted, top, left, crop_h, crop_w)


class RandomResizedCropWithBBox(TensorOperation):
    """RandomResizedCrop (same arguments) with the boxes cropped, clipped, dropped when outside,
    and scaled to the output size."""

    random = True

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3. / 4., 4. / 3.), interpolation=Inter.BILINEAR,
                 max_attempts=10):
        self._crop = RandomResizedCrop(size, scale, ratio, interpolation, max_attempts)
        self.size = self._crop.size
        self.scale = self._crop.scale
        self.ratio = self._crop.ratio
        self.interpolation = interpolation
        self.max_attempts = max_attempts

    def _execute(self, image, bboxes):
        image, boxes = _inputs("RandomResizedCropWithBBox", image, bboxes)
        top, left, crop_h, crop_w = random_resized_crop_box(image.shape[0], image.shape[1], self.scale, self.ratio,
                                                            self.max_attempts, rng())
        out_h, out_w = _hw(self.size)
        resized = _image.resize(image[top:top + crop_h, left:left + crop_w], out_h, out_w, self.interpolation)
        kept = crop_boxes(boxes, top, left, crop_h, crop_w)
        return resized, scale_boxes(kept, out_h / crop_h, out_w / crop_w)


class BoundingBoxAugment(TensorOperation):
    """Apply transform to the image content inside a random ratio of the boxes (each region
    transformed on its own and written back); the boxes are unchanged."""

    random = True

    def __init__(self, transform, ratio=0.3):
        self.transform = check_callable("BoundingBoxAugment", "transform", transform)
        check_number("BoundingBoxAugment", "ratio", ratio)
        check_range("BoundingBoxAugment", "ratio", ratio, 0.0, 1.0)
        self.ratio = float(ratio)

    def _execute(self, image, bboxes):
        image, boxes = _inputs("BoundingBoxAugment", image, bboxes)
        count = int(round(self.ratio * boxes.shape[0]))
        chosen = rng().choice(boxes.shape[0], size=count, replace=False) if count else []
        out = image.copy()
        for index in chosen:
            x, y, w, h = (int(v) for v in boxes[int(index), :4])
            region = out[y:y + h, x:x + w]
            changed = np.asarray(self.transform(region.copy()))
            if changed.shape != region.shape:
                changed = _image.resize(changed, region.shape[0], region.shape[1], Inter.LINEAR)
            out[y:y + h, x:x + w] = changed.astype(out.dtype)
        return out, boxes
