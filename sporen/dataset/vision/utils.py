"""dataset.vision's enums (Inter, Border, ...) and image file helpers (read/write/encode, sizes)."""
import io
from enum import Enum, IntEnum

import numpy as np

from ..transforms._base import is_pil, to_array

__all__ = ["Inter", "Border", "ImageBatchFormat", "ConvertMode", "SliceMode", "AutoAugmentPolicy",
           "ImageReadMode", "encode_jpeg", "encode_png", "get_image_num_channels", "get_image_size",
           "read_file", "read_image", "write_file", "write_jpeg", "write_png"]


class Inter(IntEnum):
    """Interpolation modes. NEAREST, LINEAR (= BILINEAR), CUBIC (= BICUBIC) and AREA follow OpenCV's
    resize as MindSpore does; PILCUBIC is Pillow's bicubic and ANTIALIAS Pillow's Lanczos."""
    NEAREST = 0
    ANTIALIAS = 1
    BILINEAR = LINEAR = 2
    BICUBIC = CUBIC = 3
    AREA = 4
    PILCUBIC = 5


class Border(str, Enum):
    """Padding modes: CONSTANT (a fill value), EDGE (repeat the edge), REFLECT ([1,2,3,4] padded by
    2 gives [3,2,1,2,3,4,3,2]), SYMMETRIC ([2,1,1,2,3,4,4,3])."""
    CONSTANT = "constant"
    EDGE = "edge"
    REFLECT = "reflect"
    SYMMETRIC = "symmetric"


class ImageBatchFormat(IntEnum):
    """The layout of a batch of images: NHWC or NCHW."""
    NHWC = 0
    NCHW = 1


class ConvertMode(IntEnum):
    """Colour conversions of ConvertColor (OpenCV's codes as MindSpore numbers them)."""
    COLOR_BGR2BGRA = 0
    COLOR_RGB2RGBA = 0
    COLOR_BGRA2BGR = 1
    COLOR_RGBA2RGB = 1
    COLOR_BGR2RGBA = 2
    COLOR_RGB2BGRA = 2
    COLOR_RGBA2BGR = 3
    COLOR_BGRA2RGB = 3
    COLOR_BGR2RGB = 4
    COLOR_RGB2BGR = 4
    COLOR_BGRA2RGBA = 5
    COLOR_RGBA2BGRA = 5
    COLOR_BGR2GRAY = 6
    COLOR_RGB2GRAY = 7
    COLOR_GRAY2BGR = 8
    COLOR_GRAY2RGB = 8
    COLOR_GRAY2BGRA = 9
    COLOR_GRAY2RGBA = 9
    COLOR_BGRA2GRAY = 10
    COLOR_RGBA2GRAY = 11


class SliceMode(IntEnum):
    """How SlicePatches treats a remainder: PAD it or DROP it."""
    PAD = 0
    DROP = 1


class AutoAugmentPolicy(str, Enum):
    """AutoAugment's learned policies: IMAGENET, CIFAR10, SVHN (25 pairs of operations each)."""
    IMAGENET = "imagenet"
    CIFAR10 = "cifar10"
    SVHN = "svhn"


class ImageReadMode(IntEnum):
    """How read_image decodes: UNCHANGED, GRAYSCALE (one channel) or COLOR (three, RGB)."""
    UNCHANGED = 0
    GRAYSCALE = 1
    COLOR = 2


def _image_for_encoding(function, image):
    if not isinstance(image, np.ndarray) and not hasattr(image, "asnumpy"):
        raise TypeError(f"{function}: 'image' must be a numpy.ndarray or Tensor, got {type(image).__name__}")
    array = to_array(image)
    if array.dtype != np.uint8:
        raise RuntimeError(f"{function}: the image's dtype must be uint8, got {array.dtype}")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] != 3):
        raise RuntimeError(f"{function}: the image's shape must be <H, W>, <H, W, 1> or <H, W, 3>, "
                           f"got {array.shape}")
    from PIL import Image
    return Image.fromarray(np.ascontiguousarray(array))


def encode_jpeg(image, quality=75):
    """Encode an <H, W>, <H, W, 1> or <H, W, 3> uint8 image as JPEG: a 1-D uint8 array."""
    if not isinstance(quality, int) or isinstance(quality, bool):
        raise TypeError(f"encode_jpeg: 'quality' must be an int, got {type(quality).__name__}")
    if quality < 1 or quality > 100:
        raise RuntimeError(f"encode_jpeg: 'quality' must be in [1, 100], got {quality}")
    pil_image = _image_for_encoding("encode_jpeg", image)
    buffer = io.BytesIO()
    pil_image.save(buffer, format="JPEG", quality=quality)
    return np.frombuffer(buffer.getvalue(), dtype=np.uint8).copy()


def encode_png(image, compression_level=6):
    """Encode an <H, W>, <H, W, 1> or <H, W, 3> uint8 image as PNG: a 1-D uint8 array."""
    if not isinstance(compression_level, int) or isinstance(compression_level, bool):
        raise TypeError("encode_png: 'compression_level' must be an int, "
                        f"got {type(compression_level).__name__}")
    if compression_level < 0 or compression_level > 9:
        raise RuntimeError(f"encode_png: 'compression_level' must be in [0, 9], got {compression_level}")
    pil_image = _image_for_encoding("encode_png", image)
    buffer = io.BytesIO()
    pil_image.save(buffer, format="PNG", compress_level=compression_level)
    return np.frombuffer(buffer.getvalue(), dtype=np.uint8).copy()


def get_image_num_channels(image):
    """The number of channels of an HWC/HW numpy image or a PIL image (1 for <H, W>)."""
    if is_pil(image):
        return len(image.getbands())
    if isinstance(image, np.ndarray):
        if image.ndim < 2:
            raise RuntimeError(f"get_image_num_channels: the image must have 2 or 3 dimensions, got {image.ndim}")
        return 1 if image.ndim == 2 else int(image.shape[2])
    raise TypeError(f"get_image_num_channels: 'image' must be a numpy.ndarray or PIL.Image.Image, "
                    f"got {type(image).__name__}")


def get_image_size(image):
    """[height, width] of an HWC/HW numpy image or a PIL image."""
    if is_pil(image):
        return [image.size[1], image.size[0]]
    if isinstance(image, np.ndarray):
        if image.ndim < 2:
            raise RuntimeError(f"get_image_size: the image must have 2 or 3 dimensions, got {image.ndim}")
        return [int(image.shape[0]), int(image.shape[1])]
    raise TypeError(f"get_image_size: 'image' must be a numpy.ndarray or PIL.Image.Image, "
                    f"got {type(image).__name__}")


def read_file(filename):
    """The bytes of a file as a 1-D uint8 array."""
    if not isinstance(filename, str):
        raise TypeError(f"read_file: 'filename' must be a str, got {type(filename).__name__}")
    import os
    if not os.path.isfile(filename):
        raise RuntimeError(f"read_file: '{filename}' does not exist or is not a regular file")
    with open(filename, "rb") as handle:
        return np.frombuffer(handle.read(), dtype=np.uint8).copy()


def read_image(filename, mode=ImageReadMode.UNCHANGED):
    """Decode a JPEG/PNG/BMP/TIFF file to an <H, W, C> uint8 array (C as the file, 1, or 3 RGB)."""
    if not isinstance(filename, str):
        raise TypeError(f"read_image: 'filename' must be a str, got {type(filename).__name__}")
    if not isinstance(mode, ImageReadMode):
        raise TypeError(f"read_image: 'mode' must be an ImageReadMode, got {type(mode).__name__}")
    data = read_file(filename)
    from PIL import Image
    try:
        pil_image = Image.open(io.BytesIO(data.tobytes()))
        pil_image.load()
    except Exception as error:
        raise RuntimeError(f"read_image: '{filename}' is not a supported image file: {error}") from None
    if mode == ImageReadMode.GRAYSCALE:
        pil_image = pil_image.convert("L")
    elif mode == ImageReadMode.COLOR:
        pil_image = pil_image.convert("RGB")
    elif pil_image.mode not in ("L", "RGB", "RGBA", "I;16", "I", "F"):
        pil_image = pil_image.convert("RGBA" if "A" in pil_image.getbands() else "RGB")
    array = np.asarray(pil_image)
    if array.ndim == 2:
        array = array[:, :, None]
    return array


def write_file(filename, data):
    """Write a 1-D uint8 array to a file."""
    if not isinstance(filename, str):
        raise TypeError(f"write_file: 'filename' must be a str, got {type(filename).__name__}")
    if not isinstance(data, np.ndarray) and not hasattr(data, "asnumpy"):
        raise TypeError(f"write_file: 'data' must be a numpy.ndarray or Tensor, got {type(data).__name__}")
    array = to_array(data)
    if array.dtype != np.uint8:
        raise RuntimeError(f"write_file: the data's dtype must be uint8, got {array.dtype}")
    if array.ndim != 1:
        raise RuntimeError(f"write_file: the data must be one-dimensional, got shape {array.shape}")
    with open(filename, "wb") as handle:
        handle.write(array.tobytes())


def write_jpeg(filename, image, quality=75):
    """Encode an image as JPEG (encode_jpeg) and write it to a file."""
    if not isinstance(filename, str):
        raise TypeError(f"write_jpeg: 'filename' must be a str, got {type(filename).__name__}")
    write_file(filename, encode_jpeg(image, quality))


def write_png(filename, image, compression_level=6):
    """Encode an image as PNG (encode_png) and write it to a file."""
    if not isinstance(filename, str):
        raise TypeError(f"write_png: 'filename' must be a str, got {type(filename).__name__}")
    write_file(filename, encode_png(image, compression_level))
