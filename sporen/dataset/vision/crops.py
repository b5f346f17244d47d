"""dataset.vision's multi-crop and perspective transforms: FiveCrop, TenCrop, SlicePatches,
Perspective, RandomPerspective."""
import numpy as np

from ..transforms._base import (TensorOperation, check_int, check_number, check_prob, check_range, check_size,
                                check_type, is_pil, rng)
from . import _image
from .transforms import ImageTensorOperation, _back_to_pil, _check_inter, _hw
from .utils import Inter, SliceMode

__all__ = ["FiveCrop", "TenCrop", "SlicePatches", "Perspective", "RandomPerspective"]


def _five(op, image, crop_h, crop_w):
    height, width = image.shape[:2]
    if crop_h > height or crop_w > width:
        raise RuntimeError(f"{op}: the crop size {(crop_h, crop_w)} is larger than the image size {(height, width)}")
    corners = [image[:crop_h, :crop_w], image[:crop_h, width - crop_w:], image[height - crop_h:, :crop_w],
               image[height - crop_h:, width - crop_w:]]
    return [c.copy() for c in corners] + [_image.center_crop(image, crop_h, crop_w)]


class FiveCrop(TensorOperation):
    """The four corner crops and the centre crop of size: (top-left, top-right, bottom-left,
    bottom-right, centre), PIL images for a PIL input."""

    def __init__(self, size):
        self.size = check_size("FiveCrop", "size", size)

    def _execute(self, image):
        mode = image.mode if is_pil(image) else None
        array = _image.image_array("FiveCrop", image)
        crops = _five("FiveCrop", array, *_hw(self.size))
        return tuple(_back_to_pil(c, mode) if mode else c for c in crops)


class TenCrop(TensorOperation):
    """FiveCrop of the image and of its mirror (left-right, or top-bottom with use_vertical_flip)."""

    def __init__(self, size, use_vertical_flip=False):
        self.size = check_size("TenCrop", "size", size)
        self.use_vertical_flip = check_type("TenCrop", "use_vertical_flip", use_vertical_flip, bool, "a bool")

    def _execute(self, image):
        mode = image.mode if is_pil(image) else None
        array = _image.image_array("TenCrop", image)
        flipped = array[::-1] if self.use_vertical_flip else array[:, ::-1]
        crops = _five("TenCrop", array, *_hw(self.size)) + _five("TenCrop", flipped, *_hw(self.size))
        return tuple(_back_to_pil(c, mode) if mode else c for c in crops)


class SlicePatches(TensorOperation):
    """Cut the image into num_height x num_width patches (row by row); a size that does not divide
    is padded at the bottom/right with fill_value (SliceMode.PAD) or its remainder dropped (DROP)."""

    def __init__(self, num_height=1, num_width=1, slice_mode=SliceMode.PAD, fill_value=0):
        self.num_height = check_int("SlicePatches", "num_height", num_height, 1, 2147483647)
        self.num_width = check_int("SlicePatches", "num_width", num_width, 1, 2147483647)
        if not isinstance(slice_mode, SliceMode):
            raise TypeError(f"SlicePatches: 'slice_mode' must be a SliceMode, got {type(slice_mode).__name__}")
        self.slice_mode = slice_mode
        self.fill_value = check_int("SlicePatches", "fill_value", fill_value, 0, 255)

    def _execute(self, image):
        image = _image.image_array("SlicePatches", image)
        height, width = image.shape[:2]
        if self.slice_mode == SliceMode.PAD:
            patch_h = -(-height // self.num_height)
            patch_w = -(-width // self.num_width)
            image = _image.pad(image, 0, patch_h * self.num_height - height, 0, patch_w * self.num_width - width,
                               fill_value=self.fill_value)
        else:
            patch_h = height // self.num_height
            patch_w = width // self.num_width
            if patch_h == 0 or patch_w == 0:
                raise RuntimeError(f"SlicePatches: the image {(height, width)} is smaller than "
                                   f"{(self.num_height, self.num_width)} patches")
        return tuple(image[r * patch_h:(r + 1) * patch_h, c * patch_w:(c + 1) * patch_w].copy()
                     for r in range(self.num_height) for c in range(self.num_width))


def _perspective_coefficients(output_points, input_points):
    """Pillow's 8 coefficients mapping output (x, y) to input: x_in = (a x + b y + c) / (g x + h y + 1)."""
    matrix = []
    values = []
    for (x, y), (u, v) in zip(output_points, input_points):
        matrix.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        matrix.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        values.extend([u, v])
    return np.linalg.solve(np.array(matrix, dtype=np.float64), np.array(values, dtype=np.float64))


def perspective(image, start_points, end_points, interpolation, fill_value=0):
    """Warp so that start_points (4 [x, y]: top-left, top-right, bottom-right, bottom-left) land on
    end_points."""
    from PIL import Image
    coefficients = tuple(_perspective_coefficients(end_points, start_points).tolist())
    fills = np.resize(np.asarray(fill_value, dtype=np.float64), 3)

    def one(plane):
        pil_image = _image.to_pil_plane(plane)
        fill = tuple(int(v) for v in fills) if pil_image.mode == "RGB" else (
            float(fills[0]) if pil_image.mode == "F" else int(fills[0]))
        return np.asarray(pil_image.transform((image.shape[1], image.shape[0]), Image.Transform.PERSPECTIVE,
                                              coefficients, resample=_image.pil_filter(interpolation),
                                              fillcolor=fill))
    return _image.per_pil_plane(image, one)


def _check_points(op, name, points):
    if not isinstance(points, (list, tuple)) or len(points) != 4:
        raise TypeError(f"{op}: '{name}' must be a list of 4 [x, y] points, got {points!r}")
    for point in points:
        if not isinstance(point, (list, tuple)) or len(point) != 2:
            raise TypeError(f"{op}: '{name}' must be a list of 4 [x, y] points, got {points!r}")
        for value in point:
            check_number(op, name, value)
    return [list(p) for p in points]


class Perspective(ImageTensorOperation):
    """A perspective warp taking start_points to end_points (4 [x, y] corners each: top-left,
    top-right, bottom-right, bottom-left); Pillow's warp, BILINEAR / NEAREST / BICUBIC."""

    def __init__(self, start_points, end_points, interpolation=Inter.BILINEAR):
        self.start_points = _check_points("Perspective", "start_points", start_points)
        self.end_points = _check_points("Perspective", "end_points", end_points)
        self.interpolation = _check_inter("Perspective", "interpolation", interpolation)

    def _apply(self, image, params):
        return perspective(image, self.start_points, self.end_points, self.interpolation)


class RandomPerspective(ImageTensorOperation):
    """With probability prob, a perspective warp moving each corner inwards by up to
    distortion_scale of half the image size."""

    random = True

    def __init__(self, distortion_scale=0.5, prob=0.5, interpolation=Inter.BICUBIC):
        check_number("RandomPerspective", "distortion_scale", distortion_scale)
        check_range("RandomPerspective", "distortion_scale", distortion_scale, 0.0, 1.0)
        self.distortion_scale = float(distortion_scale)
        self.prob = check_prob("RandomPerspective", "prob", prob)
        self.interpolation = _check_inter("RandomPerspective", "interpolation", interpolation)

    def _params(self, image):
        generator = rng()
        if generator.random() >= self.prob:
            return None
        height, width = image.shape[:2]
        dx = int(self.distortion_scale * (width // 2)) + 1
        dy = int(self.distortion_scale * (height // 2)) + 1
        right = width - 1
        bottom = height - 1
        end = [[int(generator.integers(0, dx)), int(generator.integers(0, dy))],
               [right - int(generator.integers(0, dx)), int(generator.integers(0, dy))],
               [right - int(generator.integers(0, dx)), bottom - int(generator.integers(0, dy))],
               [int(generator.integers(0, dx)), bottom - int(generator.integers(0, dy))]]
        start = [[0, 0], [right, 0], [right, bottom], [0, bottom]]
        return start, end

    def _apply(self, image, params):
        if params is None:
            return image
        return perspective(image, params[0], params[1], self.interpolation)


