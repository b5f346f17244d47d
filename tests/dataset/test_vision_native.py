"""vision's native kernels (bilinear resize, horizontal flip, Normalize) against their numpy twins,
bit for bit, and against the exact float64 bilinear value; the numpy twins are what runs without
a C compiler, so results never depend on having one."""
import numpy as np
import pytest

from sporen.dataset import vision
from sporen.dataset.vision import _image, _native


@pytest.fixture
def native():
    if _native.library() is None:
        pytest.skip("no C compiler: the native kernels are not built")
    return _native


@pytest.fixture
def numpy_only():
    _native.enabled = False
    yield
    _native.enabled = True


def _exact_bilinear(image, out_h, out_w):
    """OpenCV's half-pixel bilinear in float64, edges replicated (vectorised reference)."""
    def taps(n_in, n_out):
        src = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
        low = np.floor(src).astype(int)
        return low, np.minimum(low + 1, n_in - 1), src - low
    y0, y1, fy = taps(image.shape[0], out_h)
    x0, x1, fx = taps(image.shape[1], out_w)
    values = image.astype(np.float64)
    if values.ndim == 2:
        values = values[:, :, None]
    fx = fx[None, :, None]
    top = values[y0][:, x0] * (1 - fx) + values[y0][:, x1] * fx
    bottom = values[y1][:, x0] * (1 - fx) + values[y1][:, x1] * fx
    out = top * (1 - fy[:, None, None]) + bottom * fy[:, None, None]
    return out.reshape((out_h, out_w) + image.shape[2:])


def _cases():
    generator = np.random.default_rng(3)
    for trial in range(40):
        in_h, in_w = (int(v) for v in generator.integers(1, 70, 2))
        out_h, out_w = (int(v) for v in generator.integers(1, 90, 2))
        channels = (None, 1, 3, 4)[trial % 4]
        shape = (in_h, in_w) if channels is None else (in_h, in_w, channels)
        yield generator.integers(0, 256, shape).astype(np.uint8), out_h, out_w
        yield (generator.random(shape) * 255).astype(np.float32), out_h, out_w


def test_native_resize_equals_the_numpy_twin_bit_for_bit(native):
    for image, out_h, out_w in _cases():
        # a crop window of a larger image (rows strided), as RandomResizedCrop passes it
        frame = np.zeros((image.shape[0] + 4, image.shape[1] + 6) + image.shape[2:], image.dtype)
        frame[1:1 + image.shape[0], 2:2 + image.shape[1]] = image
        window = frame[1:1 + image.shape[0], 2:2 + image.shape[1]]
        fast = native.resize_linear(window, out_h, out_w)
        assert fast.dtype == image.dtype and fast.shape == (out_h, out_w) + image.shape[2:]
        assert np.array_equal(fast, _image.resize_linear_numpy(image, out_h, out_w)), (image.shape, out_h, out_w)


@pytest.mark.parametrize("mode", ["native", "numpy"])
def test_linear_resize_is_the_exact_value_rounded(mode, request):
    request.getfixturevalue("native" if mode == "native" else "numpy_only")
    for image, out_h, out_w in _cases():
        out = vision.Resize((out_h, out_w))(image)
        exact = _exact_bilinear(image, out_h, out_w)
        if image.dtype == np.uint8:
            # rounded half up from float32 arithmetic: within 1e-3 of .5 either neighbour is right
            assert np.abs(out - exact).max() <= 0.5 + 1e-3
        else:
            assert np.allclose(out, exact, atol=1e-3)


def test_downscaling_is_not_antialiased():
    # OpenCV's INTER_LINEAR halving a 1-pixel stripe pattern samples between pixel pairs: each
    # output is the mean of 2 inputs (an antialiasing filter, as Pillow's, would mix 4)
    row = np.tile(np.array([0, 0, 0, 200], np.uint8), 4)[None, :]
    assert vision.Resize((1, 8))(row).tolist() == [[0, 100] * 4]


def test_random_resized_crop_is_the_resize_of_its_window(native):
    photo = np.random.default_rng(0).integers(0, 256, (90, 120, 3)).astype(np.uint8)
    crop = vision.RandomResizedCrop(32)
    box = crop._params(photo)
    top, left, height, width = box
    expected = _image.resize_linear_numpy(photo[top:top + height, left:left + width], 32, 32)
    assert np.array_equal(crop._apply(photo, box), expected)


def test_native_flip_equals_numpy(native):
    image = np.random.default_rng(1).integers(0, 256, (9, 11, 3)).astype(np.uint8)
    for array in (image, image[:, :, 0].copy(), image.astype(np.float32), image[2:7, 3:10], image[:, :, :2].copy()):
        out = native.flip_horizontal(array)
        assert np.array_equal(out, array[:, ::-1]) and out.flags.c_contiguous and out.flags.writeable
    # pixels that are not contiguous in memory are left to numpy
    assert native.flip_horizontal(image[:, :, 0]) is None
    assert np.array_equal(vision.HorizontalFlip()(image[:, :, 0]), image[:, ::-1, 0])


def test_native_normalize_equals_the_numpy_twin(native):
    image = np.random.default_rng(2).integers(0, 256, (7, 13, 3)).astype(np.uint8)
    normalize = vision.Normalize([121.5, 115.0, 100.25], [70.0, 68.5, 71.0])
    fast = [normalize(image), normalize(image.astype(np.float32)), normalize(image[:, ::2])]
    _native.enabled = False
    try:
        slow = [normalize(image), normalize(image.astype(np.float32)), normalize(image[:, ::2])]
    finally:
        _native.enabled = True
    for a, b in zip(fast, slow):
        assert a.dtype == np.float32 and np.array_equal(a, b)


def test_upside_down_views_and_empty_images(native):
    image = np.arange(60, dtype=np.float32).reshape(5, 4, 3)
    # a view with negative row strides is copied first; an empty image is left to numpy
    assert np.array_equal(native.resize_linear(image[::-1], 7, 9), _image.resize_linear_numpy(image[::-1].copy(), 7, 9))
    assert native.resize_linear(np.zeros((0, 4, 3), np.uint8), 3, 3) is None
    assert native.flip_horizontal(np.zeros((3, 0, 3), np.uint8)) is None


@pytest.mark.parametrize("shape", [(1, 1), (7, 5), (300, 200)])
def test_rgb_array_is_pillows_pixels(native, shape):
    from PIL import Image
    pixels = np.random.default_rng(3).integers(0, 256, shape + (3,), dtype=np.uint8)
    image = Image.fromarray(pixels)
    out = native.rgb_array(image)
    if not hasattr(image, "__arrow_c_array__"):
        assert out is None  # a Pillow older than 11.2: np.asarray does the copy
        return
    assert out.dtype == np.uint8 and out.flags.c_contiguous and out.flags.owndata
    np.testing.assert_array_equal(out, pixels)


def test_rgb_array_leaves_other_images_to_numpy(native):
    from PIL import Image
    assert native.rgb_array(Image.new("L", (4, 3))) is None
    assert native.rgb_array(Image.new("RGBA", (4, 3))) is None


def test_decode_gives_the_same_pixels_with_and_without_the_kernels(tmp_path):
    from PIL import Image
    pixels = np.random.default_rng(4).integers(0, 256, (40, 30, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "a.jpg", quality=90)
    data = np.fromfile(tmp_path / "a.jpg", dtype=np.uint8)
    fast = vision.Decode()(data)
    _native.enabled = False
    try:
        plain = vision.Decode()(data)
    finally:
        _native.enabled = True
    np.testing.assert_array_equal(fast, plain)
    assert fast.shape == (40, 30, 3) and fast.dtype == np.uint8


@pytest.mark.parametrize("dtype, channels, mean", [(np.uint8, 3, [10.0, 120.5, 255.0]),
                                                   (np.float32, 3, [0.4, 0.5, 0.6]), (np.uint8, 3, [100.0]),
                                                   (np.uint8, 4, [1.0, 2.0, 3.0, 4.0]), (np.float32, 1, [0.5])])
def test_fused_normalize_hwc2chw_equals_the_two_operations(native, dtype, channels, mean):
    from sporen.dataset.transforms._base import fuse_operations
    std = [0.25 + k for k in range(len(mean))]
    normalize, hwc2chw = vision.Normalize(mean=mean, std=std), vision.HWC2CHW()
    fused = fuse_operations([normalize, hwc2chw])
    assert len(fused) == 1 and type(fused[0]).__name__ == "_NormalizeHWC2CHW"
    rng = np.random.default_rng(3)
    shape = (13, 9, channels)
    image = (rng.integers(0, 256, shape) if dtype == np.uint8 else rng.random(shape)).astype(dtype)
    out = fused[0](image)
    expected = hwc2chw(normalize(image))
    assert out.dtype == np.float32 and out.shape == (channels, 13, 9) and out.flags.c_contiguous
    np.testing.assert_array_equal(out, expected)
    # inputs the kernel does not take go through the two operations: the same values or errors
    _same(fused[0], lambda x: hwc2chw(normalize(x)), image[:, ::-1])
    _same(fused[0], lambda x: hwc2chw(normalize(x)), image[:, :, 0])
    pair = fused[0](image, image)
    assert isinstance(pair, tuple) and all(np.array_equal(one, expected) for one in pair)


def _same(fused, unfused, image):
    """fused(image) gives what unfused(image) gives: the same array, or the same error."""
    try:
        expected = unfused(image)
    except Exception as error:
        with pytest.raises(type(error), match=str(error).replace("(", r"\(").replace(")", r"\)")):
            fused(image)
        return
    np.testing.assert_array_equal(fused(image), expected)


def test_fused_normalize_hwc2chw_keeps_normalizes_errors_and_pil_inputs():
    from PIL import Image

    from sporen.dataset.transforms._base import fuse_operations
    normalize, hwc2chw = vision.Normalize(mean=[1.0, 2.0], std=[1.0, 2.0]), vision.HWC2CHW()
    fused = fuse_operations([normalize, hwc2chw])[0]
    with pytest.raises(RuntimeError, match="Normalize: the image has 3 channels but 'mean' and 'std' have 2 values"):
        fused(np.zeros((4, 4, 3), np.uint8))
    three = vision.Normalize(mean=[1.0, 2.0, 3.0], std=[1.0, 2.0, 3.0])
    pil = Image.fromarray(np.arange(48, dtype=np.uint8).reshape(4, 4, 3))
    _same(fuse_operations([three, hwc2chw])[0], lambda x: hwc2chw(three(x)), pil)
    chw = vision.Normalize(mean=[1.0, 2.0, 3.0], std=[1.0, 2.0, 3.0], is_hwc=False)
    image = np.arange(48, dtype=np.float32).reshape(3, 4, 4)
    np.testing.assert_array_equal(fuse_operations([chw, hwc2chw])[0](image), hwc2chw(chw(image)))
    # only the adjacent pair, in this order, is fused
    assert len(fuse_operations([hwc2chw, three])) == 2
    assert len(fuse_operations([three, vision.HorizontalFlip(), hwc2chw])) == 3


def test_map_and_compose_run_the_fused_pair_and_name_the_users_operations():
    import sporen.dataset as ds
    from sporen.dataset import transforms
    images = np.random.default_rng(5).integers(0, 256, (6, 8, 10, 3)).astype(np.uint8)
    ops = [vision.Normalize(mean=[10.0, 20.0, 30.0], std=[2.0, 3.0, 4.0]), vision.HWC2CHW()]
    expected = [ops[1](ops[0](image)) for image in images]
    for operations in (ops, [transforms.Compose(ops)]):
        data = ds.NumpySlicesDataset({"image": images}, shuffle=False).map(operations, input_columns="image",
                                                                           num_parallel_workers=2)
        rows = [row[0] for row in data.create_tuple_iterator(num_epochs=1, output_numpy=True)]
        assert all(np.array_equal(row, want) for row, want in zip(rows, expected))
    bad = ds.NumpySlicesDataset({"image": images[:, :, :, :2]}, shuffle=False).map(ops, input_columns="image")
    with pytest.raises(RuntimeError, match=r"map \(operations \[Normalize, HWC2CHW\]"):
        list(bad.create_tuple_iterator(num_epochs=1, output_numpy=True))


def _jpeg(pixels, **options):
    import io

    from PIL import Image
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", **options)
    return np.frombuffer(buffer.getvalue(), np.uint8)


@pytest.mark.parametrize("kernels", [True, False])
def test_fused_decode_random_resized_crop_equals_the_two_operations(kernels):
    """Decode + RandomResizedCrop fused (the window resized from Pillow's own pixels) gives the same
    random box and the same pixels as the two operations, row by row; with the kernels off too."""
    from sporen.dataset.engine import random as ds_random
    from sporen.dataset.transforms._base import fuse_operations
    from sporen.dataset.vision import Inter
    rng = np.random.default_rng(11)
    photos = [_jpeg(rng.integers(0, 256, shape, dtype=np.uint8), quality=90) for shape in
              [(64, 48, 3), (33, 97, 3), (120, 80, 3)]]
    photos.append(_jpeg(rng.integers(0, 256, (40, 30, 3), dtype=np.uint8), progressive=True))
    crops = [vision.RandomResizedCrop(24), vision.RandomResizedCrop((17, 31), scale=(0.5, 1.0)),
             vision.RandomResizedCrop((40, 30), scale=(1.0, 1.0), ratio=(0.75, 0.75)),  # the whole image, unresized
             vision.RandomResizedCrop(24, interpolation=Inter.NEAREST)]
    _native.enabled = kernels
    try:
        for crop in crops:
            decode = vision.Decode()
            fused = fuse_operations([decode, crop])
            assert len(fused) == 1
            for row, data in enumerate(photos):
                ds_random.enter_row(3, 1, 0, row)
                got = fused[0](data)
                ds_random.leave_row()
                ds_random.enter_row(3, 1, 0, row)
                want = crop(decode(data))
                ds_random.leave_row()
                assert got.dtype == np.uint8 and got.shape == want.shape
                np.testing.assert_array_equal(got, want)
    finally:
        _native.enabled = True


def test_fused_decode_random_resized_crop_leaves_other_inputs_to_the_two_operations():
    import io

    from PIL import Image

    from sporen.dataset.transforms._base import fuse_operations
    photo = np.random.default_rng(2).integers(0, 256, (30, 20, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(photo).save(buffer, format="PNG")
    png = np.frombuffer(buffer.getvalue(), np.uint8)
    gray = _jpeg(photo[:, :, 0])
    for decode in (vision.Decode(), vision.Decode(to_pil=True)):
        fused = fuse_operations([decode, vision.RandomResizedCrop(8, scale=(1.0, 1.0), ratio=(1.0, 1.0))])[0]
        for data in (png, gray, _jpeg(photo)):
            expected = fused.crop(decode(data))
            got = fused(data)
            assert type(got) is type(expected)
            np.testing.assert_array_equal(np.asarray(got), np.asarray(expected))
    with pytest.raises(RuntimeError, match="Decode: the data is not a supported image"):
        fuse_operations([vision.Decode(), vision.RandomResizedCrop(8)])[0](np.frombuffer(b"nope", np.uint8))


@pytest.mark.parametrize("kernels", [True, False])
def test_random_crop_decode_resize_is_decode_then_random_resized_crop(kernels):
    """MindSpore's RandomCropDecodeResize: the same box and pixels as Decode then RandomResizedCrop,
    for a JPEG (the window resized from Pillow's pixels) and a PNG (decoded, then cropped)."""
    import io

    from PIL import Image

    from sporen.dataset.engine import random as ds_random
    photo = np.random.default_rng(6).integers(0, 256, (57, 43, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(photo).save(buffer, format="PNG")
    files = [_jpeg(photo, quality=85), np.frombuffer(buffer.getvalue(), np.uint8)]
    fused = vision.RandomCropDecodeResize((20, 26), scale=(0.3, 1.0))
    plain = vision.RandomResizedCrop((20, 26), scale=(0.3, 1.0))
    _native.enabled = kernels
    try:
        for row, data in enumerate(files * 3):
            ds_random.enter_row(9, 4, 1, row)
            got = fused(data)
            ds_random.leave_row()
            ds_random.enter_row(9, 4, 1, row)
            want = plain(vision.Decode()(data))
            ds_random.leave_row()
            assert got.shape == (20, 26, 3) and got.dtype == np.uint8
            np.testing.assert_array_equal(got, want)
    finally:
        _native.enabled = True
