"""vision: multi-crops, patches and perspective warps against numpy slicing and hand geometry."""
import numpy as np
import pytest

pytest.importorskip("PIL")
from PIL import Image  # noqa: E402

from sporen.dataset import config  # noqa: E402
from sporen.dataset import vision  # noqa: E402
from sporen.dataset.vision import Inter, SliceMode  # noqa: E402


def _image(h=6, w=8):
    return (np.arange(h * w * 3) % 251).astype(np.uint8).reshape(h, w, 3)


def test_five_and_ten_crop():
    image = _image()
    tl, tr, bl, br, center = vision.FiveCrop((2, 3))(image)
    assert np.array_equal(tl, image[:2, :3]) and np.array_equal(tr, image[:2, 5:])
    assert np.array_equal(bl, image[4:, :3]) and np.array_equal(br, image[4:, 5:])
    assert np.array_equal(center, image[2:4, 2:5])
    crops = vision.TenCrop(2)(image)
    assert len(crops) == 10 and np.array_equal(crops[5], image[:, ::-1][:2, :2])
    vertical = vision.TenCrop(2, use_vertical_flip=True)(image)
    assert np.array_equal(vertical[5], image[::-1][:2, :2])
    pil_crops = vision.FiveCrop(2)(Image.fromarray(image))
    assert all(isinstance(c, Image.Image) for c in pil_crops)
    with pytest.raises(RuntimeError, match="FiveCrop"):
        vision.FiveCrop(7)(image)


def test_slice_patches_pad_and_drop():
    image = _image(5, 7)
    patches = vision.SlicePatches(2, 2, SliceMode.PAD, fill_value=9)(image)
    assert len(patches) == 4 and all(p.shape == (3, 4, 3) for p in patches)
    assert np.array_equal(patches[0], image[:3, :4])
    assert np.all(patches[3][2:] == 9) and np.all(patches[3][:, 3:] == 9)
    dropped = vision.SlicePatches(2, 2, SliceMode.DROP)(image)
    assert all(p.shape == (2, 3, 3) for p in dropped) and np.array_equal(dropped[3], image[2:4, 3:6])


def test_perspective_identity_shift_and_random():
    image = _image(9, 9)
    corners = [[0, 0], [8, 0], [8, 8], [0, 8]]
    assert np.array_equal(vision.Perspective(corners, corners, Inter.NEAREST)(image), image)
    shifted = [[x + 2, y] for x, y in corners]
    moved = vision.Perspective(corners, shifted, Inter.NEAREST)(image)
    assert np.array_equal(moved[:, 2:], image[:, :-2]) and not moved[:, :2].any()
    assert np.array_equal(vision.RandomPerspective(prob=0.0)(image), image)
    config.set_seed(6)
    a = vision.RandomPerspective(prob=1.0)(_image(20, 20))
    config.set_seed(6)
    b = vision.RandomPerspective(prob=1.0)(_image(20, 20))
    assert np.array_equal(a, b) and not np.array_equal(a, _image(20, 20))
