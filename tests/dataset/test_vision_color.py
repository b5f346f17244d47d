"""vision: colour, pixel-value and erasing/mixing transforms against numpy, scipy and hand values."""
import numpy as np
import pytest

pytest.importorskip("PIL")
from PIL import Image  # noqa: E402

from sporen.dataset import config  # noqa: E402
from sporen.dataset import vision  # noqa: E402


def _image(h=6, w=8):
    generator = np.random.default_rng(0)
    return generator.integers(0, 256, size=(h, w, 3), dtype=np.uint8)


def test_brightness_contrast_saturation_formulas():
    image = _image()
    values = image.astype(np.float64)
    bright = vision.AdjustBrightness(1.3)(image)
    assert np.abs(bright - np.clip(values * 1.3, 0, 255)).max() <= 0.5 + 1e-3
    assert not vision.AdjustBrightness(0.0)(image).any()
    luma = values @ np.array([0.299, 0.587, 0.114])
    flat = vision.AdjustContrast(0.0)(image)
    assert np.all(flat == np.floor(luma.mean() + 0.5))
    gray = vision.AdjustSaturation(0.0)(image)
    pil_gray = np.asarray(Image.fromarray(image).convert("L")).astype(int)
    assert np.abs(gray[..., 0].astype(int) - pil_gray).max() <= 1
    assert np.array_equal(gray[..., 0], gray[..., 2])
    assert np.array_equal(vision.AdjustSaturation(1.0)(image), image)
    with pytest.raises(ValueError, match="brightness_factor"):
        vision.AdjustBrightness(-1)
    with pytest.raises(RuntimeError, match="AdjustContrast"):
        vision.AdjustContrast(0.5)(image[..., 0])


def test_hue_turns_primaries():
    red = np.zeros((2, 2, 3), np.float32)
    red[..., 0] = 1.0
    green = vision.AdjustHue(1 / 3)(red)
    assert np.allclose(green, [0.0, 1.0, 0.0], atol=1e-5)
    blue = vision.AdjustHue(-1 / 3)(red)
    assert np.allclose(blue, [0.0, 0.0, 1.0], atol=1e-5)
    red_u8 = (red * 255).astype(np.uint8)
    out = vision.AdjustHue(1 / 3)(red_u8)
    assert out[0, 0, 1] > 240 and out[0, 0, 0] < 15
    assert np.array_equal(vision.AdjustHue(0.0)(red_u8), red_u8)
    with pytest.raises(ValueError, match="hue_factor"):
        vision.AdjustHue(0.6)


def test_random_color_adjust_ranges_and_seed():
    image = _image()
    assert np.array_equal(vision.RandomColorAdjust()(image), image)
    config.set_seed(1)
    a = vision.RandomColorAdjust(0.4, 0.4, 0.4, 0.1)(image)
    config.set_seed(1)
    b = vision.RandomColorAdjust(0.4, 0.4, 0.4, 0.1)(image)
    assert np.array_equal(a, b) and not np.array_equal(a, image)
    op = vision.RandomColorAdjust(brightness=0.5)
    assert op.brightness == (0.5, 1.5)
    assert vision.RandomColorAdjust(brightness=2).brightness == (0.0, 3)
    config.set_seed(2)
    # brightness only: each output is the input scaled by one factor in [0.5, 1.5]
    gray = np.full((1, 1, 3), 100, np.uint8)
    levels = [int(vision.RandomColorAdjust(brightness=(0.5, 1.5))(gray)[0, 0, 0]) for _ in range(200)]
    assert 50 <= min(levels) < 60 and 140 < max(levels) <= 150


def test_gamma_invert_posterize_solarize():
    image = _image()
    gamma = vision.AdjustGamma(2.0, 1.0)(image)
    assert np.abs(gamma - (image / 255.0) ** 2 * 255).max() <= 0.5 + 1e-6
    assert np.array_equal(vision.Invert()(image), 255 - image)
    assert np.array_equal(vision.Posterize(3)(image), image & 0b11100000)
    solarized = vision.Solarize(128)(image)
    assert np.array_equal(solarized, np.where(image >= 128, 255 - image, image))
    assert np.array_equal(vision.Solarize((10, 20))(image), np.where((image >= 10) & (image <= 20), 255 - image, image))
    with pytest.raises(ValueError, match="bits"):
        vision.Posterize(9)


def test_equalize_and_autocontrast_hand_values():
    image = np.zeros((4, 4, 3), np.uint8)
    image[:2] = 50
    image[2:] = 100
    stretched = vision.AutoContrast()(image)
    # lut[v] = int(v * scale - lo * scale), scale = 255 / (hi - lo), truncated as Pillow and MindSpore do
    scale = 255.0 / 50
    assert np.all(stretched[:2] == 0) and np.all(stretched[2:] == int(100 * scale - 50 * scale))
    ramp = np.tile(np.arange(60, 121, 4, dtype=np.uint8), (3, 1))[..., None].repeat(3, axis=2)
    out = vision.AutoContrast()(ramp)
    assert out.min() == 0 and out.max() >= 254
    assert np.all(np.diff(out[0, :, 0].astype(int)) > 0)
    # 64 levels x 16 pixels: step = (1024 - 16) // 255 = 3, lut[v] = (step // 2 + 16 v) // step
    levels = np.repeat(np.arange(64, dtype=np.uint8), 16).reshape(32, 32)
    equalized = vision.Equalize()(np.stack([levels] * 3, axis=2))
    expected = np.minimum((1 + 16 * levels.astype(int)) // 3, 255)
    assert np.array_equal(equalized[..., 1], expected)
    assert np.array_equal(vision.RandomEqualize(prob=0.0)(image), image)


def test_grayscale_and_convert_color():
    image = _image()
    luma = image.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    gray = vision.Grayscale()(image)
    assert gray.shape == (6, 8) and np.abs(gray - luma).max() <= 0.5 + 1e-3
    assert vision.Grayscale(3)(image).shape == (6, 8, 3)
    bgr = vision.ConvertColor(vision.ConvertMode.COLOR_RGB2BGR)(image)
    assert np.array_equal(bgr, image[..., ::-1])
    rgba = vision.ConvertColor(vision.ConvertMode.COLOR_RGB2RGBA)(image)
    assert rgba.shape == (6, 8, 4) and np.all(rgba[..., 3] == 255)


def test_gaussian_blur_matches_scipy():
    ndimage = pytest.importorskip("scipy.ndimage")
    image = _image(9, 11).astype(np.float32)
    out = vision.GaussianBlur(5, 1.5)(image)
    kernel = np.exp(-((np.arange(5) - 2.0) ** 2) / (2 * 1.5 ** 2))
    kernel /= kernel.sum()
    expected = ndimage.correlate1d(image, kernel, axis=0, mode="mirror")
    expected = ndimage.correlate1d(expected, kernel, axis=1, mode="mirror")
    assert np.allclose(out, expected, atol=1e-3)
    with pytest.raises(ValueError, match="odd"):
        vision.GaussianBlur(4)


def test_sharpness_factor_one_is_identity_and_zero_smooths():
    image = _image()
    assert np.array_equal(vision.AdjustSharpness(1.0)(image), image)
    smooth = vision.AdjustSharpness(0.0)(image).astype(float)
    inner = image[1:-1, 1:-1].astype(float)
    assert np.array_equal(smooth[0], image[0])
    assert np.abs(smooth[1:-1, 1:-1] - inner).mean() > 1.0


def test_cutout_and_random_erasing():
    image = np.full((10, 12, 3), 9, np.uint8)
    config.set_seed(4)
    out = vision.CutOut(4)(image)
    assert (out == 0).all(axis=2).sum() == 16
    rows, cols = np.nonzero((out == 0).all(axis=2))
    assert rows.max() - rows.min() == 3 and cols.max() - cols.min() == 3
    chw = np.ones((3, 20, 20), np.float32)
    erased = vision.RandomErasing(prob=1.0, value=0)(chw)
    zero = erased[0] == 0
    assert zero.any() and 0.02 * 400 * 0.5 <= zero.sum() <= 0.33 * 400 * 1.5
    assert np.array_equal(vision.RandomErasing(prob=0.0)(chw), chw)


def test_mixup_and_cutmix_batches():
    generator = np.random.default_rng(0)
    images = generator.integers(0, 256, size=(4, 8, 8, 3), dtype=np.uint8)
    labels = np.eye(4, dtype=np.float32)
    config.set_seed(9)
    mixed, mixed_labels = vision.MixUpBatch(1.0)(images, labels)
    assert mixed.shape == images.shape and mixed_labels.dtype == np.float32
    assert np.allclose(mixed_labels.sum(axis=1), 1.0)
    lam = mixed_labels.max(axis=1)
    assert np.all((lam >= 0.5 - 1e-6) | np.isclose(lam, mixed_labels.max()))
    cut, cut_labels = vision.CutMixBatch(vision.ImageBatchFormat.NHWC, 1.0, 1.0)(images, labels)
    assert np.allclose(cut_labels.sum(axis=1), 1.0)
    for i in range(4):
        changed = (cut[i] != images[i]).any(axis=2).mean()
        # the pasted area share is the label weight moved away (up to pixels equal by chance)
        assert changed <= 1 - cut_labels[i, i] + 1e-6
    with pytest.raises(RuntimeError, match="one-hot"):
        vision.MixUpBatch()(images, np.arange(4))
