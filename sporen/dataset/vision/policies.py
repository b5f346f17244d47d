"""dataset.vision's learned and random augmentation policies: AutoAugment, RandAugment,
TrivialAugmentWide, UniformAugment and RandomSelectSubpolicy."""
import numpy as np

from ..transforms._base import TensorOperation, check_callable, check_int, check_prob, one_or_tuple, rng, to_array
from . import affine, color
from .transforms import ImageTensorOperation, _check_fill, _check_inter, rotate
from .utils import AutoAugmentPolicy, Inter

__all__ = ["AutoAugment", "RandAugment", "TrivialAugmentWide", "UniformAugment", "RandomSelectSubpolicy"]

_IMAGENET = [
    (("Posterize", 0.4, 8), ("Rotate", 0.6, 9)), (("Solarize", 0.6, 5), ("AutoContrast", 0.6, None)),
    (("Equalize", 0.8, None), ("Equalize", 0.6, None)), (("Posterize", 0.6, 7), ("Posterize", 0.6, 6)),
    (("Equalize", 0.4, None), ("Solarize", 0.2, 4)), (("Equalize", 0.4, None), ("Rotate", 0.8, 8)),
    (("Solarize", 0.6, 3), ("Equalize", 0.6, None)), (("Posterize", 0.8, 5), ("Equalize", 1.0, None)),
    (("Rotate", 0.2, 3), ("Solarize", 0.6, 8)), (("Equalize", 0.6, None), ("Posterize", 0.4, 6)),
    (("Rotate", 0.8, 8), ("Color", 0.4, 0)), (("Rotate", 0.4, 9), ("Equalize", 0.6, None)),
    (("Equalize", 0.0, None), ("Equalize", 0.8, None)), (("Invert", 0.6, None), ("Equalize", 1.0, None)),
    (("Color", 0.6, 4), ("Contrast", 1.0, 8)), (("Rotate", 0.8, 8), ("Color", 1.0, 2)),
    (("Color", 0.8, 8), ("Solarize", 0.8, 7)), (("Sharpness", 0.4, 7), ("Invert", 0.6, None)),
    (("ShearX", 0.6, 5), ("Equalize", 1.0, None)), (("Color", 0.4, 0), ("Equalize", 0.6, None)),
    (("Equalize", 0.4, None), ("Solarize", 0.2, 4)), (("Solarize", 0.6, 5), ("AutoContrast", 0.6, None)),
    (("Invert", 0.6, None), ("Equalize", 1.0, None)), (("Color", 0.6, 4), ("Contrast", 1.0, 8)),
    (("Equalize", 0.8, None), ("Equalize", 0.6, None)),
]
_CIFAR10 = [
    (("Invert", 0.1, None), ("Contrast", 0.2, 6)), (("Rotate", 0.7, 2), ("TranslateX", 0.3, 9)),
    (("Sharpness", 0.8, 1), ("Sharpness", 0.9, 3)), (("ShearY", 0.5, 8), ("TranslateY", 0.7, 9)),
    (("AutoContrast", 0.5, None), ("Equalize", 0.9, None)), (("ShearY", 0.2, 7), ("Posterize", 0.3, 7)),
    (("Color", 0.4, 3), ("Brightness", 0.6, 7)), (("Sharpness", 0.3, 9), ("Brightness", 0.7, 9)),
    (("Equalize", 0.6, None), ("Equalize", 0.5, None)), (("Contrast", 0.6, 7), ("Sharpness", 0.6, 5)),
    (("Color", 0.7, 7), ("TranslateX", 0.5, 8)), (("Equalize", 0.8, None), ("Invert", 0.1, None)),
    (("TranslateY", 0.4, 3), ("Sharpness", 0.2, 6)), (("Brightness", 0.9, 6), ("Color", 0.2, 8)),
    (("Solarize", 0.5, 2), ("Invert", 0.0, None)), (("TranslateY", 0.9, 9), ("TranslateY", 0.7, 9)),
    (("Equalize", 0.2, None), ("Equalize", 0.6, None)), (("Color", 0.9, 9), ("Equalize", 0.6, None)),
    (("AutoContrast", 0.8, None), ("Solarize", 0.2, 8)), (("Brightness", 0.1, 3), ("Color", 0.7, 0)),
    (("Solarize", 0.4, 5), ("AutoContrast", 0.9, None)), (("AutoContrast", 0.9, None), ("Solarize", 0.8, 3)),
    (("TranslateY", 0.7, 9), ("AutoContrast", 0.9, None)), (("Equalize", 0.3, None), ("AutoContrast", 0.4, None)),
    (("Equalize", 0.2, None), ("AutoContrast", 0.6, None)),
]
_SVHN = [
    (("ShearX", 0.9, 4), ("Invert", 0.2, None)), (("ShearY", 0.9, 8), ("Invert", 0.7, None)),
    (("Equalize", 0.6, None), ("Solarize", 0.6, 6)), (("Invert", 0.9, None), ("Equalize", 0.6, None)),
    (("Equalize", 0.6, None), ("Rotate", 0.9, 3)), (("ShearX", 0.9, 4), ("AutoContrast", 0.8, None)),
    (("ShearY", 0.9, 8), ("Invert", 0.4, None)), (("ShearY", 0.9, 5), ("Solarize", 0.2, 6)),
    (("Invert", 0.9, None), ("AutoContrast", 0.8, None)), (("Equalize", 0.6, None), ("Rotate", 0.9, 3)),
    (("ShearX", 0.9, 4), ("Solarize", 0.3, 3)), (("ShearY", 0.8, 8), ("Invert", 0.7, None)),
    (("Equalize", 0.9, None), ("TranslateY", 0.6, 6)), (("Invert", 0.9, None), ("Equalize", 0.6, None)),
    (("Contrast", 0.3, 3), ("Rotate", 0.8, 4)), (("Invert", 0.8, None), ("TranslateY", 0.0, 2)),
    (("ShearY", 0.7, 6), ("Solarize", 0.4, 8)), (("Invert", 0.6, None), ("Rotate", 0.8, 4)),
    (("ShearY", 0.3, 7), ("TranslateX", 0.9, 3)), (("ShearX", 0.1, 6), ("Invert", 0.6, None)),
    (("Solarize", 0.7, 2), ("TranslateY", 0.6, 7)), (("ShearY", 0.8, 4), ("Invert", 0.8, None)),
    (("ShearX", 0.7, 9), ("TranslateY", 0.8, 3)), (("ShearY", 0.8, 5), ("AutoContrast", 0.7, None)),
    (("ShearX", 0.7, 2), ("Invert", 0.1, None)),
]
_POLICIES = {AutoAugmentPolicy.IMAGENET: _IMAGENET, AutoAugmentPolicy.CIFAR10: _CIFAR10,
             AutoAugmentPolicy.SVHN: _SVHN}
# operations whose magnitude is applied with a random sign
_SIGNED = {"ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate", "Brightness", "Color", "Contrast", "Sharpness"}


def _magnitudes(name, bins, height, width, wide=False):
    """The magnitude of each of bins levels for an operation (torchvision's tables, as MindSpore)."""
    if name in ("ShearX", "ShearY"):
        return np.linspace(0.0, 0.99 if wide else 0.3, bins)
    if name == "TranslateX":
        return np.linspace(0.0, 32.0 if wide else 150.0 / 331.0 * width, bins)
    if name == "TranslateY":
        return np.linspace(0.0, 32.0 if wide else 150.0 / 331.0 * height, bins)
    if name == "Rotate":
        return np.linspace(0.0, 135.0 if wide else 30.0, bins)
    if name in ("Brightness", "Color", "Contrast", "Sharpness"):
        return np.linspace(0.0, 0.99 if wide else 0.9, bins)
    if name == "Posterize":
        return 8 - np.round(np.arange(bins) / ((bins - 1) / (6 if wide else 4)))
    if name == "Solarize":
        return np.linspace(255.0, 0.0, bins)
    return np.zeros(bins)


def apply_op(image, name, magnitude, interpolation, fill_value):
    """One augmentation operation of the policies on an <H, W, 3> uint8 image."""
    if name == "Identity":
        return image
    if name == "ShearX":
        return affine.shear_x(image, magnitude, interpolation, fill_value)
    if name == "ShearY":
        return affine.shear_y(image, magnitude, interpolation, fill_value)
    if name == "TranslateX":
        return affine.translate(image, int(magnitude), 0, interpolation, fill_value)
    if name == "TranslateY":
        return affine.translate(image, 0, int(magnitude), interpolation, fill_value)
    if name == "Rotate":
        return rotate(image, magnitude, interpolation, False, None, fill_value)
    if name == "Brightness":
        return color.adjust_brightness(image, 1.0 + magnitude)
    if name == "Color":
        return color.adjust_saturation(image, 1.0 + magnitude)
    if name == "Contrast":
        return color.adjust_contrast(image, 1.0 + magnitude)
    if name == "Sharpness":
        return color.adjust_sharpness(image, 1.0 + magnitude)
    if name == "Posterize":
        return color.posterize(image, int(magnitude))
    if name == "Solarize":
        return color.solarize(image, magnitude, 255)
    if name == "AutoContrast":
        return color.auto_contrast(image)
    if name == "Equalize":
        return color.equalize(image)
    if name == "Invert":
        return color.invert(image)
    raise ValueError(f"unknown augmentation operation {name!r}")


def _rgb_uint8(op, image):
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise RuntimeError(f"{op}: the input must be an <H, W, 3> uint8 RGB image, got {image.dtype} {image.shape}")
    return image


def _signed(name, magnitude, generator):
    if name in _SIGNED and generator.random() < 0.5:
        return -magnitude
    return magnitude


class AutoAugment(ImageTensorOperation):
    """AutoAugment: one of the policy's 25 sub-policies chosen at random, each of its two
    operations applied with its probability at its magnitude level (of 10), signed at random."""

    random = True

    def __init__(self, policy=AutoAugmentPolicy.IMAGENET, interpolation=Inter.NEAREST, fill_value=0):
        if not isinstance(policy, AutoAugmentPolicy):
            raise TypeError(f"AutoAugment: 'policy' must be an AutoAugmentPolicy, got {type(policy).__name__}")
        self.policy = policy
        self.interpolation = _check_inter("AutoAugment", "interpolation", interpolation)
        self.fill_value = _check_fill("AutoAugment", fill_value)

    def _apply(self, image, params):
        image = _rgb_uint8("AutoAugment", image)
        generator = rng()
        sub_policy = _POLICIES[self.policy][int(generator.integers(len(_POLICIES[self.policy])))]
        for name, prob, level in sub_policy:
            if generator.random() > prob:
                continue
            magnitude = 0.0
            if level is not None:
                magnitude = _signed(name, float(_magnitudes(name, 10, *image.shape[:2])[level]), generator)
            image = apply_op(image, name, magnitude, self.interpolation, self.fill_value)
        return image


_RAND_OPS = ["Identity", "ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate", "Brightness", "Color",
             "Contrast", "Sharpness", "Posterize", "Solarize", "AutoContrast", "Equalize"]


class RandAugment(ImageTensorOperation):
    """RandAugment: num_ops operations drawn uniformly (with replacement), each at level magnitude
    of num_magnitude_bins, signed at random."""

    random = True

    def __init__(self, num_ops=2, magnitude=9, num_magnitude_bins=31, interpolation=Inter.NEAREST, fill_value=0):
        self.num_ops = check_int("RandAugment", "num_ops", num_ops, 0, 2147483647)
        self.num_magnitude_bins = check_int("RandAugment", "num_magnitude_bins", num_magnitude_bins, 2, 2147483647)
        self.magnitude = check_int("RandAugment", "magnitude", magnitude, 0, num_magnitude_bins - 1)
        self.interpolation = _check_inter("RandAugment", "interpolation", interpolation)
        self.fill_value = _check_fill("RandAugment", fill_value)

    def _apply(self, image, params):
        image = _rgb_uint8("RandAugment", image)
        generator = rng()
        for _ in range(self.num_ops):
            name = _RAND_OPS[int(generator.integers(len(_RAND_OPS)))]
            levels = _magnitudes(name, self.num_magnitude_bins, *image.shape[:2])
            magnitude = _signed(name, float(levels[self.magnitude]), generator)
            image = apply_op(image, name, magnitude, self.interpolation, self.fill_value)
        return image


class TrivialAugmentWide(ImageTensorOperation):
    """TrivialAugment (wide ranges): one operation and one magnitude level drawn uniformly."""

    random = True

    def __init__(self, num_magnitude_bins=31, interpolation=Inter.NEAREST, fill_value=0):
        self.num_magnitude_bins = check_int("TrivialAugmentWide", "num_magnitude_bins", num_magnitude_bins, 2,
                                            2147483647)
        self.interpolation = _check_inter("TrivialAugmentWide", "interpolation", interpolation)
        self.fill_value = _check_fill("TrivialAugmentWide", fill_value)

    def _apply(self, image, params):
        image = _rgb_uint8("TrivialAugmentWide", image)
        generator = rng()
        name = _RAND_OPS[int(generator.integers(len(_RAND_OPS)))]
        levels = _magnitudes(name, self.num_magnitude_bins, *image.shape[:2], wide=True)
        magnitude = float(levels[int(generator.integers(self.num_magnitude_bins))])
        magnitude = _signed(name, magnitude, generator)
        return apply_op(image, name, magnitude, self.interpolation, self.fill_value)


def _run(transform, columns):
    out = transform(*columns)
    return list(out) if isinstance(out, tuple) else [out]


class UniformAugment(TensorOperation):
    """Apply num_ops transforms drawn from the list without replacement, each with probability 1/2
    (MindSpore's UniformAugment)."""

    random = True

    def __init__(self, transforms, num_ops=2):
        if not isinstance(transforms, list) or not transforms:
            raise TypeError(f"UniformAugment: 'transforms' must be a non-empty list, got {transforms!r}")
        for transform in transforms:
            check_callable("UniformAugment", "transforms", transform)
        self.transforms = transforms
        self.num_ops = check_int("UniformAugment", "num_ops", num_ops, 1, len(transforms))

    def __call__(self, *input_tensor_list):
        columns = [to_array(value) for value in input_tensor_list]
        generator = rng()
        chosen = generator.choice(len(self.transforms), size=self.num_ops, replace=False)
        for index in chosen:
            if generator.random() < 0.5:
                columns = _run(self.transforms[int(index)], columns)
        return one_or_tuple(columns)


class RandomSelectSubpolicy(TensorOperation):
    """Choose one sub-policy (a list of (transform, prob) pairs) at random and apply each of its
    transforms with its probability, in order."""

    random = True

    def __init__(self, policy):
        if not isinstance(policy, list) or not policy:
            raise TypeError(f"RandomSelectSubpolicy: 'policy' must be a non-empty list of sub-policies, got {policy!r}")
        for sub_policy in policy:
            if not isinstance(sub_policy, list) or not sub_policy:
                raise TypeError(f"RandomSelectSubpolicy: each sub-policy must be a non-empty list, got {sub_policy!r}")
            for pair in sub_policy:
                if not isinstance(pair, tuple) or len(pair) != 2:
                    raise TypeError(f"RandomSelectSubpolicy: each entry must be (transform, prob), got {pair!r}")
                check_callable("RandomSelectSubpolicy", "policy", pair[0])
                check_prob("RandomSelectSubpolicy", "prob", pair[1])
        self.policy = policy

    def __call__(self, *input_tensor_list):
        columns = [to_array(value) for value in input_tensor_list]
        generator = rng()
        for transform, prob in self.policy[int(generator.integers(len(self.policy)))]:
            if generator.random() < prob:
                columns = _run(transform, columns)
        return one_or_tuple(columns)
