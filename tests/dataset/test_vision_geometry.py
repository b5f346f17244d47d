"""vision: decoding and geometric transforms against Pillow, numpy and hand-computed values."""
import io

import numpy as np
import pytest

PIL = pytest.importorskip("PIL")
from PIL import Image  # noqa: E402

from sporen.dataset import config  # noqa: E402
from sporen.dataset import vision  # noqa: E402
from sporen.dataset.vision import Border, Inter  # noqa: E402


def _photo():
    data = pytest.importorskip("skimage.data")
    return data.astronaut()[::4, ::4].copy()  # 128 x 128 x 3 real photo


def _encoded(array, fmt, **kwargs):
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format=fmt, **kwargs)
    return np.frombuffer(buffer.getvalue(), dtype=np.uint8)


def _ramp(h=5, w=7, c=3):
    return (np.arange(h * w * c) * 7 % 256).astype(np.uint8).reshape(h, w, c)


def test_decode_png_is_exact_and_jpeg_matches_pillow():
    photo = _photo()
    assert np.array_equal(vision.Decode()(_encoded(photo, "PNG")), photo)
    jpeg = _encoded(photo, "JPEG", quality=90)
    expected = np.asarray(Image.open(io.BytesIO(jpeg.tobytes())).convert("RGB"))
    out = vision.Decode()(jpeg)
    assert out.dtype == np.uint8 and out.shape == (128, 128, 3)
    assert np.array_equal(out, expected)
    pil_out = vision.Decode(to_pil=True)(jpeg)
    assert isinstance(pil_out, Image.Image) and pil_out.mode == "RGB"
    gray = _encoded(photo[:, :, 0], "PNG")
    assert vision.Decode()(gray).shape == (128, 128, 3)


@pytest.mark.parametrize("options", [dict(quality=90), dict(quality=75, subsampling=2),
                                     dict(quality=95, subsampling=1, progressive=True),
                                     dict(quality=85, optimize=True), dict(quality=90, exif=b"Exif\x00\x00MM\x00*")])
def test_decode_jpeg_without_the_plugin_matches_image_open(options):
    """The fast JPEG path (one call of Pillow's decoder, no Python header parse) gives Image.open's pixels."""
    from sporen.dataset.vision import transforms
    photo = _photo()[:, :101]  # a width that is not a multiple of the 16-pixel MCU
    jpeg = _encoded(photo, "JPEG", **options)
    assert transforms._jpeg_size(jpeg) == (101, 128)
    fast = transforms._decode_jpeg_rgb(jpeg)
    assert fast is not None and fast.mode == "RGB" and fast.size == (101, 128)
    expected = np.asarray(Image.open(io.BytesIO(jpeg.tobytes())).convert("RGB"))
    assert np.array_equal(np.asarray(fast), expected)
    assert np.array_equal(vision.Decode()(jpeg), expected)


def test_decode_jpeg_fast_path_leaves_other_files_to_image_open():
    from sporen.dataset.vision import transforms
    photo = _photo()
    gray = _encoded(photo[:, :, 0], "JPEG")
    assert transforms._jpeg_size(gray) is None  # one component: the plugin's "L" path
    assert np.array_equal(vision.Decode()(gray), np.asarray(Image.open(io.BytesIO(gray.tobytes())).convert("RGB")))
    cmyk_image = Image.fromarray(photo).convert("CMYK")
    buffer = io.BytesIO()
    cmyk_image.save(buffer, format="JPEG")
    cmyk = np.frombuffer(buffer.getvalue(), np.uint8)
    assert transforms._jpeg_size(cmyk) is None
    assert np.array_equal(vision.Decode()(cmyk), np.asarray(Image.open(buffer).convert("RGB")))
    assert transforms._jpeg_size(_encoded(photo, "PNG")) is None
    assert transforms._jpeg_size(np.frombuffer(b"\xff\xd8\xff", np.uint8)) is None
    # a truncated JPEG: the fast path declines and Image.open's error is what the user sees
    jpeg = _encoded(photo, "JPEG")
    assert transforms._decode_jpeg_rgb(jpeg[: len(jpeg) // 2]) is None
    with pytest.raises(RuntimeError, match="Decode: the data is not a supported image"):
        vision.Decode()(jpeg[: len(jpeg) // 2])


def test_decode_errors():
    with pytest.raises(RuntimeError, match="1-D"):
        vision.Decode()(np.zeros((4, 4), np.uint8))
    with pytest.raises(RuntimeError, match="already a decoded"):
        vision.Decode()(Image.new("RGB", (2, 2)))
    with pytest.raises(RuntimeError, match="Decode"):
        vision.Decode()(np.frombuffer(b"not an image", np.uint8))
    with pytest.raises(TypeError, match="to_pil"):
        vision.Decode(to_pil=1)


def test_resize_linear_upsampling_hand_computed():
    # OpenCV's half-pixel bilinear: x2 of [0, 10] samples at -0.25 (clamped), 0.25, 0.75, 1.25 (clamped)
    row = np.array([[0.0, 10.0]], dtype=np.float32)
    out = vision.Resize((1, 4), Inter.LINEAR)(row)
    assert np.allclose(out, [[0.0, 2.5, 7.5, 10.0]])
    # integer results rounded half up, as OpenCV's: 2.5 -> 3, 7.5 -> 8
    out_u8 = vision.Resize((1, 4))(np.array([[0, 10]], np.uint8))
    assert out_u8.dtype == np.uint8 and out_u8.tolist() == [[0, 3, 8, 10]]
    out_u16 = vision.Resize((1, 4))(np.array([[0, 10]], np.uint16))
    assert out_u16.dtype == np.uint16 and out_u16.tolist() == [[0, 3, 8, 10]]


def _reference_bilinear(image, out_h, out_w):
    in_h, in_w = image.shape[:2]
    out = np.zeros((out_h, out_w) + image.shape[2:])
    for y in range(out_h):
        sy = min(max((y + 0.5) * in_h / out_h - 0.5, 0), in_h - 1)
        y0 = min(int(np.floor(sy)), in_h - 1)
        y1 = min(y0 + 1, in_h - 1)
        fy = sy - y0
        for x in range(out_w):
            sx = min(max((x + 0.5) * in_w / out_w - 0.5, 0), in_w - 1)
            x0 = min(int(np.floor(sx)), in_w - 1)
            x1 = min(x0 + 1, in_w - 1)
            fx = sx - x0
            top = image[y0, x0] * (1 - fx) + image[y0, x1] * fx
            bottom = image[y1, x0] * (1 - fx) + image[y1, x1] * fx
            out[y, x] = top * (1 - fy) + bottom * fy
    return out


def test_resize_linear_matches_reference_loops():
    image = _photo()[:20, :30].astype(np.float32)
    for out_h, out_w in ((7, 11), (33, 45)):
        out = vision.Resize((out_h, out_w))(image)
        assert out.dtype == np.float32
        assert np.allclose(out, _reference_bilinear(image, out_h, out_w), atol=1e-3)
    out_u8 = vision.Resize((33, 45))(image.astype(np.uint8))
    # the exact value rounded (float32 arithmetic: a value within 1e-3 of .5 may round either way)
    assert np.abs(out_u8 - _reference_bilinear(image, 33, 45)).max() <= 0.5 + 1e-3
    out_u16 = vision.Resize((33, 45))(image.astype(np.uint16))
    assert np.abs(out_u16 - _reference_bilinear(image, 33, 45)).max() <= 0.5 + 1e-3


def test_resize_nearest_area_and_pilcubic():
    image = _ramp(6, 8)
    nearest = vision.Resize((3, 4), Inter.NEAREST)(image)
    assert np.array_equal(nearest, image[::2, ::2])  # OpenCV: floor(dst * scale)
    area = vision.Resize((3, 4), Inter.AREA)(image.astype(np.float32))
    blocks = image.astype(np.float32).reshape(3, 2, 4, 2, 3).mean(axis=(1, 3))
    assert np.allclose(area, blocks)
    photo = _photo()
    pil = np.asarray(Image.fromarray(photo).resize((50, 40), Image.Resampling.BICUBIC))
    assert np.array_equal(vision.Resize((40, 50), Inter.PILCUBIC)(photo), pil)
    flat = np.full((5, 5, 3), 77, np.uint8)
    assert np.all(vision.Resize((9, 13), Inter.CUBIC)(flat) == 77)


def test_resize_int_size_keeps_aspect_and_pil_input():
    image = np.zeros((30, 45, 3), np.uint8)
    assert vision.Resize(20)(image).shape == (20, 30, 3)
    assert vision.Resize(20)(np.zeros((45, 31), np.uint8)).shape == (29, 20)  # lround(45/31*20) = 29
    out = vision.Resize((10, 12))(Image.fromarray(image))
    assert isinstance(out, Image.Image) and out.size == (12, 10)
    with pytest.raises(RuntimeError, match="Resize"):
        vision.Resize(4)(np.zeros((2, 2, 2, 2), np.uint8))
    with pytest.raises(ValueError, match="size"):
        vision.Resize(0)
    with pytest.raises(TypeError, match="interpolation"):
        vision.Resize(4, "linear")


def test_center_crop_and_crop():
    image = _ramp(5, 7)
    assert np.array_equal(vision.CenterCrop((3, 4))(image), image[1:4, 1:5])
    assert np.array_equal(vision.CenterCrop(2)(image), image[1:3, 2:4])
    padded = vision.CenterCrop((8, 7))(image)  # 3 rows padded: 2 on top, 1 below
    assert padded.shape == (8, 7, 3)
    assert np.array_equal(padded[2:7], image) and not padded[:2].any() and not padded[7:].any()
    assert np.array_equal(vision.Crop((1, 2), (3, 4))(image), image[1:4, 2:6])
    with pytest.raises(RuntimeError, match="Crop"):
        vision.Crop((4, 0), (3, 3))(image)


def _find_window(image, window):
    h, w = window.shape[:2]
    for top in range(image.shape[0] - h + 1):
        for left in range(image.shape[1] - w + 1):
            if np.array_equal(image[top:top + h, left:left + w], window):
                return top, left
    return None


def test_random_crop_is_a_window_and_reproducible():
    image = _ramp(12, 15)
    config.set_seed(7)
    first = [vision.RandomCrop((5, 6))(image) for _ in range(8)]
    config.set_seed(7)
    second = [vision.RandomCrop((5, 6))(image) for _ in range(8)]
    assert all(np.array_equal(a, b) for a, b in zip(first, second))
    corners = {_find_window(image, window) for window in first}
    assert None not in corners and len(corners) > 1
    padded = vision.RandomCrop((12, 15), padding=(2, 1), fill_value=(9, 9, 9))(image)
    top, left = _find_window(np.pad(image, ((1, 1), (2, 2), (0, 0)), constant_values=9), padded)
    assert 0 <= top <= 2 and 0 <= left <= 4
    grown = vision.RandomCrop((14, 15), pad_if_needed=True, padding_mode=Border.EDGE)(image)
    assert grown.shape == (14, 15, 3)
    with pytest.raises(RuntimeError, match="RandomCrop"):
        vision.RandomCrop((13, 4))(image)


def test_random_crop_several_inputs_share_the_window():
    image = _ramp(10, 10)
    mask = image[:, :, 0].copy()
    out_image, out_mask = vision.RandomCrop(4)(image, mask)
    assert np.array_equal(out_image[:, :, 0], out_mask)


def test_random_resized_crop():
    photo = _photo()
    config.set_seed(3)
    a = vision.RandomResizedCrop(32)(photo)
    config.set_seed(3)
    b = vision.RandomResizedCrop(32)(photo)
    assert a.shape == (32, 32, 3) and np.array_equal(a, b)
    whole = vision.RandomResizedCrop((40, 50), scale=(1.0, 1.0), ratio=(1.0, 1.0))(photo)
    assert np.array_equal(whole, vision.Resize((40, 50))(photo))
    generator = np.random.default_rng(0)
    from sporen.dataset.vision.transforms import random_resized_crop_box
    for _ in range(200):
        top, left, h, w = random_resized_crop_box(100, 80, (0.08, 1.0), (0.75, 4 / 3), 10, generator)
        assert 0 <= top and top + h <= 100 and 0 <= left and left + w <= 80
        assert 0.08 * 8000 * 0.9 <= h * w <= 8000
    with pytest.raises(ValueError, match="scale"):
        vision.RandomResizedCrop(4, scale=(1.0, 0.5))


def test_flips():
    image = _ramp()
    assert np.array_equal(vision.HorizontalFlip()(image), image[:, ::-1])
    assert np.array_equal(vision.VerticalFlip()(image), image[::-1])
    assert np.array_equal(vision.RandomHorizontalFlip(1.0)(image), image[:, ::-1])
    assert np.array_equal(vision.RandomVerticalFlip(0.0)(image), image)
    config.set_seed(11)
    flips = sum(np.array_equal(vision.RandomHorizontalFlip()(image), image[:, ::-1]) for _ in range(400))
    assert 150 < flips < 250
    with pytest.raises(ValueError, match="prob"):
        vision.RandomHorizontalFlip(1.5)


def test_rotate_right_angles_and_random_rotation_range():
    image = _ramp(4, 6)
    assert np.array_equal(vision.Rotate(90, expand=True)(image), np.rot90(image))
    assert np.array_equal(vision.Rotate(-90, expand=True)(image), np.rot90(image, -1))
    assert np.array_equal(vision.Rotate(180)(image), image[::-1, ::-1])
    turned = vision.Rotate(45, fill_value=(1, 2, 3))(np.full((9, 9, 3), 200, np.uint8))
    assert turned[0, 0].tolist() == [1, 2, 3] and turned[4, 4].tolist() == [200, 200, 200]
    config.set_seed(5)
    square = _ramp(6, 6)
    outputs = [vision.RandomRotation((90, 90))(square) for _ in range(2)]
    assert all(np.array_equal(out, np.rot90(square)) for out in outputs)


def test_pad_modes_match_numpy():
    image = _ramp(3, 4)
    assert np.array_equal(vision.Pad(2)(image), np.pad(image, ((2, 2), (2, 2), (0, 0))))
    for mode in (Border.EDGE, Border.REFLECT, Border.SYMMETRIC):
        out = vision.Pad((1, 2, 3, 1), padding_mode=mode)(image)  # left, top, right, bottom
        assert np.array_equal(out, np.pad(image, ((2, 1), (1, 3), (0, 0)), mode=mode.value))
    out = vision.Pad((1, 0), fill_value=(10, 20, 30))(image)
    assert out.shape == (3, 6, 3) and out[0, 0].tolist() == [10, 20, 30]


def test_normalize_hwc2chw_rescale_totensor():
    image = _ramp(4, 5)
    mean = [121.0, 115.0, 100.0]
    std = [70.0, 68.0, 71.0]
    out = vision.Normalize(mean, std)(image)
    assert out.dtype == np.float32
    assert np.allclose(out, (image - np.array(mean)) / np.array(std), atol=1e-5)
    chw = vision.HWC2CHW()(image)
    assert chw.shape == (3, 4, 5) and np.array_equal(chw[1], image[:, :, 1])
    assert np.allclose(vision.Normalize(mean, std, is_hwc=False)(chw), out.transpose(2, 0, 1), atol=1e-5)
    padded = vision.NormalizePad(mean, std, dtype="float16")(image)
    assert padded.shape == (4, 5, 4) and padded.dtype == np.float16 and not padded[..., 3].any()
    assert np.allclose(vision.Rescale(1 / 255.0, -0.5)(image), image / 255.0 - 0.5, atol=1e-6)
    tensor = vision.ToTensor()(image)
    assert tensor.dtype == np.float32 and np.allclose(tensor, image.transpose(2, 0, 1) / 255.0)
    assert vision.ToTensor()(Image.fromarray(image)).shape == (3, 4, 5)
    with pytest.raises(RuntimeError, match="Normalize"):
        vision.Normalize([1.0, 2.0], [1.0, 1.0])(image)
    with pytest.raises(ValueError, match="std"):
        vision.Normalize([1.0], [0.0])


def test_to_pil_to_type_and_sizes():
    image = _ramp()
    pil = vision.ToPIL()(image)
    assert isinstance(pil, Image.Image) and np.array_equal(np.asarray(pil), image)
    assert vision.ToType(np.int16)(image).dtype == np.int16
    import sporen
    assert vision.ToType(sporen.float32)(image).dtype == np.float32
    assert vision.get_image_size(image) == [5, 7]
    assert vision.get_image_size(pil) == [5, 7]
    assert vision.get_image_num_channels(image) == 3
    assert vision.get_image_num_channels(image[:, :, 0]) == 1
    # a PIL input to a geometric op comes back as PIL
    assert isinstance(vision.HorizontalFlip()(pil), Image.Image)


def test_read_write_encode(tmp_path):
    photo = _photo()
    path = str(tmp_path / "a.png")
    vision.write_png(path, photo)
    assert np.array_equal(vision.read_image(path), photo)
    assert vision.read_image(path, vision.ImageReadMode.GRAYSCALE).shape == (128, 128, 1)
    raw = vision.read_file(path)
    assert raw.dtype == np.uint8 and raw.ndim == 1
    assert np.array_equal(vision.Decode()(raw), photo)
    jpeg = vision.encode_jpeg(photo, quality=95)
    assert np.abs(vision.Decode()(jpeg).astype(int) - photo).mean() < 8
    jpeg_path = str(tmp_path / "b.jpg")
    vision.write_jpeg(jpeg_path, photo)
    assert vision.read_image(jpeg_path).shape == (128, 128, 3)
    with pytest.raises(RuntimeError, match="uint8"):
        vision.encode_png(photo.astype(np.float32))
    with pytest.raises(TypeError, match="quality"):
        vision.encode_jpeg(photo, quality=9.5)
