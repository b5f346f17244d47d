"""vision: bounding-box transforms keep boxes on the painted objects; affine warps and the
augmentation policies against hand-computed geometry, seeds and value ranges."""
import numpy as np
import pytest

pytest.importorskip("PIL")

from sporen.dataset import config  # noqa: E402
from sporen.dataset import vision  # noqa: E402
from sporen.dataset.vision import Inter  # noqa: E402


def _painted(h=40, w=60):
    """A gray image with two painted rectangles and their boxes [x, y, w, h, label]."""
    image = np.full((h, w, 3), 100, np.uint8)
    image[5:15, 10:30] = (255, 0, 0)
    image[20:35, 40:55] = (0, 0, 255)
    boxes = np.array([[10, 5, 20, 10, 1], [40, 20, 15, 15, 2]], dtype=np.float32)
    return image, boxes


def _painted_extent(image, colour):
    mask = np.all(image == colour, axis=2)
    rows = np.nonzero(mask.any(axis=1))[0]
    cols = np.nonzero(mask.any(axis=0))[0]
    if rows.size == 0:
        return None
    return cols[0], rows[0], cols[-1] + 1 - cols[0], rows[-1] + 1 - rows[0]


def _assert_boxes_on_paint(image, boxes, tolerance=0.0):
    colours = {1: (255, 0, 0), 2: (0, 0, 255)}
    for box in boxes:
        extent = _painted_extent(image, colours[int(box[4])])
        assert extent is not None
        assert np.allclose(box[:4], extent, atol=tolerance), (box, extent)


def test_flips_with_bbox():
    image, boxes = _painted()
    out, out_boxes = vision.RandomHorizontalFlipWithBBox(1.0)(image, boxes)
    assert np.array_equal(out, image[:, ::-1]) and out_boxes.dtype == np.float32
    _assert_boxes_on_paint(out, out_boxes)
    out, out_boxes = vision.RandomVerticalFlipWithBBox(1.0)(image, boxes)
    _assert_boxes_on_paint(out, out_boxes)
    out, out_boxes = vision.RandomVerticalFlipWithBBox(0.0)(image, boxes)
    assert np.array_equal(out_boxes, boxes)


def test_resize_with_bbox():
    image, boxes = _painted()
    out, out_boxes = vision.ResizeWithBBox((80, 120), Inter.NEAREST)(image, boxes)
    assert out.shape == (80, 120, 3)
    _assert_boxes_on_paint(out, out_boxes)
    out, out_boxes = vision.RandomResizeWithBBox(20)(image, boxes)
    assert out.shape == (20, 30, 3) and np.allclose(out_boxes[:, :4], boxes[:, :4] / 2)


def test_random_crop_with_bbox_clips_and_drops():
    image, boxes = _painted()
    config.set_seed(12)
    for _ in range(20):
        out, out_boxes = vision.RandomCropWithBBox((25, 35))(image, boxes)
        assert out.shape == (25, 35, 3)
        _assert_boxes_on_paint(out, out_boxes)
        for label, colour in ((1, (255, 0, 0)), (2, (0, 0, 255))):
            visible = _painted_extent(out, colour) is not None
            assert visible == (label in out_boxes[:, 4].tolist())
    out, out_boxes = vision.RandomCropWithBBox((40, 60), padding=4)(image, boxes)
    _assert_boxes_on_paint(out, out_boxes)
    grown, grown_boxes = vision.RandomCropWithBBox((50, 60), pad_if_needed=True)(image, boxes)
    _assert_boxes_on_paint(grown, grown_boxes)


def test_random_resized_crop_with_bbox():
    image, boxes = _painted()
    config.set_seed(2)
    for _ in range(10):
        out, out_boxes = vision.RandomResizedCropWithBBox((40, 60), scale=(0.3, 1.0),
                                                          interpolation=Inter.NEAREST)(image, boxes)
        assert out.shape == (40, 60, 3)
        # nearest resampling of a scaled crop: edges land within a pixel or two of the scaled box
        _assert_boxes_on_paint(out, out_boxes, tolerance=3.0)


def test_bbox_validation_and_augment():
    image, boxes = _painted()
    with pytest.raises(RuntimeError, match="exceeds"):
        vision.RandomHorizontalFlipWithBBox()(image, np.array([[50, 0, 20, 5]], np.float32))
    with pytest.raises(RuntimeError, match="<N, 4"):
        vision.RandomHorizontalFlipWithBBox()(image, np.array([1, 2, 3, 4], np.float32))
    out, out_boxes = vision.BoundingBoxAugment(vision.Invert(), ratio=1.0)(image, boxes)
    assert np.array_equal(out_boxes, boxes)
    assert np.array_equal(out[5:15, 10:30], 255 - image[5:15, 10:30])
    assert np.array_equal(out[0:5], image[0:5])


def test_affine_geometry():
    image = np.zeros((21, 21, 3), np.uint8)
    image[10, 15] = 255  # 5 pixels right of the centre (10, 10)
    moved = vision.Affine(degrees=0, translate=(2 / 21, -3 / 21), scale=1.0, shear=0)(image)
    assert tuple(np.argwhere(moved[..., 0] == 255)[0]) == (7, 17)
    turned = vision.Affine(degrees=90, translate=(0, 0), scale=1.0, shear=0)(image)
    assert tuple(np.argwhere(turned[..., 0] == 255)[0]) == (15, 10)  # clockwise: right -> below
    scaled = vision.Affine(degrees=0, translate=(0, 0), scale=2.0, shear=0)(image)
    assert scaled[10, 20, 0] == 255 and scaled[10, 15, 0] == 0
    assert np.array_equal(vision.RandomAffine(0)(image), image)
    config.set_seed(1)
    shifted = vision.RandomAffine(0, translate=(0.2, 0.0))(image)
    row, col = np.argwhere(shifted[..., 0] == 255)[0]
    assert row == 10 and abs(col - 15) <= round(0.2 * 21)


def test_policies_are_seeded_and_valid():
    data = pytest.importorskip("skimage.data")
    photo = data.astronaut()[::8, ::8].copy()
    for make in (lambda: vision.AutoAugment(), lambda: vision.AutoAugment(vision.AutoAugmentPolicy.CIFAR10),
                 lambda: vision.RandAugment(), lambda: vision.TrivialAugmentWide()):
        config.set_seed(21)
        first = [make()(photo) for _ in range(6)]
        config.set_seed(21)
        second = [make()(photo) for _ in range(6)]
        assert all(np.array_equal(a, b) for a, b in zip(first, second))
        assert all(out.shape == photo.shape and out.dtype == np.uint8 for out in first)
        assert any(not np.array_equal(out, photo) for out in first)
    with pytest.raises(RuntimeError, match="uint8"):
        vision.RandAugment()(photo.astype(np.float32))
    with pytest.raises(ValueError, match="magnitude"):
        vision.RandAugment(magnitude=31)


def test_policy_operations_hand_values():
    from sporen.dataset.vision.policies import _magnitudes, apply_op
    assert _magnitudes("Posterize", 10, 32, 32).tolist() == [8, 8, 7, 7, 6, 6, 5, 5, 4, 4]
    assert _magnitudes("Rotate", 31, 32, 32)[-1] == 30.0
    assert np.isclose(_magnitudes("TranslateX", 10, 32, 331)[-1], 150.0)
    image = np.zeros((5, 5, 3), np.uint8)
    image[2, 1] = 200
    moved = apply_op(image, "TranslateX", 2, Inter.NEAREST, 0)
    assert moved[2, 3, 0] == 200 and moved[2, 1, 0] == 0
    sheared = apply_op(image, "ShearX", 0.5, Inter.NEAREST, 0)
    assert sheared[2, 0, 0] == 200  # the output (x, y) reads the input at (x + 0.5 y, y)


def test_uniform_augment_and_subpolicy():
    image = np.full((4, 4, 3), 10, np.uint8)
    config.set_seed(8)
    outs = {int(vision.UniformAugment([vision.Invert(), vision.Posterize(1)], num_ops=1)(image)[0, 0, 0])
            for _ in range(60)}
    assert outs == {10, 245, 0}
    policy = [[(vision.Invert(), 1.0)], [(vision.Posterize(1), 1.0), (vision.Invert(), 0.0)]]
    outs = {int(vision.RandomSelectSubpolicy(policy)(image)[0, 0, 0]) for _ in range(40)}
    assert outs == {245, 0}
    with pytest.raises(ValueError, match="num_ops"):
        vision.UniformAugment([vision.Invert()], num_ops=2)
