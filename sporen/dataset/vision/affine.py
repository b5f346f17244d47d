"""dataset.vision's affine warps: Affine and RandomAffine (rotation, translation, scale, shear about
the image centre), and the shear/translate steps that the augmentation policies use."""
import math
import numbers

import numpy as np

from ..transforms._base import check_number, check_pair, check_range, rng
from . import _image
from .transforms import ImageTensorOperation, _check_fill, _check_inter
from .utils import Inter

__all__ = ["Affine", "RandomAffine"]


def affine_forward(center, angle, translate, scale, shear):
    """The 3x3 forward map input -> output (pixel-centre coordinates, y down): about center, rotate
    clockwise by angle degrees, shear by shear = (x, y) degrees, scale, then translate."""
    cx, cy = center
    theta = math.radians(angle)
    rotation = np.array([[math.cos(theta), -math.sin(theta), 0], [math.sin(theta), math.cos(theta), 0], [0, 0, 1]])
    shearing = np.array([[1, math.tan(math.radians(shear[0])), 0], [math.tan(math.radians(shear[1])), 1, 0],
                         [0, 0, 1]])
    scaling = np.diag([scale, scale, 1.0])
    to_origin = np.array([[1, 0, -cx], [0, 1, -cy], [0, 0, 1]], dtype=np.float64)
    back = np.array([[1, 0, cx + translate[0]], [0, 1, cy + translate[1]], [0, 0, 1]], dtype=np.float64)
    return back @ rotation @ shearing @ scaling @ to_origin


def warp(image, forward, resample, fill_value):
    """Warp an image by a forward 3x3 affine map (output size as the input)."""
    inverse = np.linalg.inv(forward)
    matrix = tuple(inverse[0].tolist() + inverse[1].tolist())
    return _image.affine(image, matrix, resample, fill_value)


def shear_x(image, factor, resample, fill_value):
    """Shear along x: the output pixel (x, y) reads the input at (x + factor * y, y)."""
    return _image.affine(image, (1.0, factor, 0.0, 0.0, 1.0, 0.0), resample, fill_value)


def shear_y(image, factor, resample, fill_value):
    """Shear along y: the output pixel (x, y) reads the input at (x, y + factor * x)."""
    return _image.affine(image, (1.0, 0.0, 0.0, factor, 1.0, 0.0), resample, fill_value)


def translate(image, dx, dy, resample, fill_value):
    """Move the content by (dx, dy) pixels, filling what is uncovered."""
    return _image.affine(image, (1.0, 0.0, -dx, 0.0, 1.0, -dy), resample, fill_value)


def _center(image):
    return ((image.shape[1] - 1) * 0.5, (image.shape[0] - 1) * 0.5)


def _check_shear(op, shear, random):
    """shear as (x_min, x_max, y_min, y_max) degrees for RandomAffine, (x, y) for Affine."""
    if isinstance(shear, numbers.Real) and not isinstance(shear, bool):
        if random:
            check_range(op, "shear", shear, 0, 16777216)
            return (-shear, shear, 0.0, 0.0)
        return (shear, 0.0)
    if not isinstance(shear, (list, tuple)) or len(shear) not in ((2, 4) if random else (2,)):
        raise TypeError(f"{op}: 'shear' must be a number or a sequence of {'2 or 4' if random else '2'} numbers, "
                        f"got {shear!r}")
    for value in shear:
        check_number(op, "shear", value)
    if random and len(shear) == 2:
        return (shear[0], shear[1], 0.0, 0.0)
    return tuple(shear)


class Affine(ImageTensorOperation):
    """Rotate (degrees, clockwise), translate ((dx, dy) as fractions of the width and height, in
    [-1, 1]), scale and shear ((x, y) degrees, or one number for x) about the image centre,
    filling outside pixels with fill_value."""

    def __init__(self, degrees, translate, scale, shear, resample=Inter.NEAREST, fill_value=0):
        self.degrees = check_number("Affine", "degrees", degrees, -180, 180)
        if not isinstance(translate, (list, tuple)) or len(translate) != 2:
            raise TypeError(f"Affine: 'translate' must be a sequence (dx, dy), got {translate!r}")
        for value in translate:
            check_number("Affine", "translate", value, -1.0, 1.0)
        self.translate = tuple(translate)
        self.scale = check_number("Affine", "scale", scale)
        check_range("Affine", "scale", scale, 0, 16777216, low_open=True)
        self.shear = _check_shear("Affine", shear, random=False)
        self.resample = _check_inter("Affine", "resample", resample)
        self.fill_value = _check_fill("Affine", fill_value)

    def _apply(self, image, params):
        shift = (self.translate[0] * image.shape[1], self.translate[1] * image.shape[0])
        forward = affine_forward(_center(image), self.degrees, shift, self.scale, self.shear)
        return warp(image, forward, self.resample, self.fill_value)


class RandomAffine(ImageTensorOperation):
    """Affine with random parameters: an angle in degrees ((-d, d) for a number), a translation of
    up to translate = (max_dx, max_dy) (or (min_dx, max_dx, min_dy, max_dy)) of the image size, a
    scale in scale = (min, max), shear angles in shear ((-s, s) on x for a number, (x_min, x_max)
    or (x_min, x_max, y_min, y_max))."""

    random = True

    def __init__(self, degrees, translate=None, scale=None, shear=None, resample=Inter.NEAREST, fill_value=0):
        if isinstance(degrees, numbers.Real) and not isinstance(degrees, bool):
            check_range("RandomAffine", "degrees", degrees, 0, 16777216)
            degrees = (-degrees, degrees)
        self.degrees = check_pair("RandomAffine", "degrees", degrees, -16777216, 16777216)
        if translate is not None:
            if not isinstance(translate, (list, tuple)) or len(translate) not in (2, 4):
                raise TypeError(f"RandomAffine: 'translate' must be a sequence of 2 or 4 numbers, got {translate!r}")
            for value in translate:
                check_number("RandomAffine", "translate", value, -1.0, 1.0)
            if len(translate) == 2:
                translate = (-translate[0], translate[0], -translate[1], translate[1])
        self.translate = translate
        if scale is not None:
            scale = check_pair("RandomAffine", "scale", scale, 0, 16777216)
        self.scale = scale
        self.shear = None if shear is None else _check_shear("RandomAffine", shear, random=True)
        self.resample = _check_inter("RandomAffine", "resample", resample)
        self.fill_value = _check_fill("RandomAffine", fill_value)

    def _params(self, image):
        generator = rng()
        angle = generator.uniform(*self.degrees)
        shift = (0.0, 0.0)
        if self.translate is not None:
            shift = (round(generator.uniform(self.translate[0], self.translate[1]) * image.shape[1]),
                     round(generator.uniform(self.translate[2], self.translate[3]) * image.shape[0]))
        scale = 1.0 if self.scale is None else generator.uniform(*self.scale)
        shear = (0.0, 0.0)
        if self.shear is not None:
            shear = (generator.uniform(self.shear[0], self.shear[1]), generator.uniform(self.shear[2], self.shear[3]))
        return angle, shift, scale, shear

    def _apply(self, image, params):
        angle, shift, scale, shear = params
        forward = affine_forward(_center(image), angle, shift, scale, shear)
        return warp(image, forward, self.resample, self.fill_value)
