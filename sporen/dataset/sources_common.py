"""The file-format sources' shared pieces: argument checks, lazy per-process file access, image decoding."""
import io
import os

import numpy

INT32_MAX = 2147483647


def type_name(value):
    """The name of value's type, for error messages."""
    return type(value).__name__


def check_str(owner, name, value):
    """Raise TypeError unless value is a str."""
    if not isinstance(value, str):
        raise TypeError(f"{owner}: '{name}' must be a str, got {type_name(value)}")


def check_bool(owner, name, value):
    """Raise TypeError unless value is a bool."""
    if not isinstance(value, bool):
        raise TypeError(f"{owner}: '{name}' must be a bool, got {type_name(value)}")


def check_dir(owner, name, value):
    """Raise TypeError/ValueError unless value names an existing directory."""
    check_str(owner, name, value)
    if not os.path.isdir(value):
        raise ValueError(f"{owner}: '{name}' must be an existing directory, got '{value}' "
                         "(it does not exist, is not a directory or permission is denied)")


def check_file(owner, name, value):
    """Raise TypeError/ValueError unless value names an existing file."""
    check_str(owner, name, value)
    if not os.path.isfile(value):
        raise ValueError(f"{owner}: '{name}' must be an existing file, got '{value}' "
                         "(it does not exist, is not a file or permission is denied)")


def check_choice(owner, name, value, choices):
    """Raise TypeError/ValueError unless value is one of the str choices."""
    check_str(owner, name, value)
    if value not in choices:
        raise ValueError(f"{owner}: '{name}' must be one of {list(choices)}, got '{value}'")


def check_usage(owner, usage, choices):
    """The usage argument checked against choices; None means 'all' (MindSpore's default)."""
    if usage is None:
        return "all"
    check_choice(owner, "usage", usage, choices)
    return usage


def check_class_indexing(owner, class_indexing):
    """Raise TypeError/ValueError unless class_indexing is None or a dict of str -> non-negative int."""
    if class_indexing is None:
        return
    if not isinstance(class_indexing, dict):
        raise TypeError(f"{owner}: 'class_indexing' must be a dict of str to int, got {type_name(class_indexing)}")
    for key, value in class_indexing.items():
        if not isinstance(key, str):
            raise TypeError(f"{owner}: 'class_indexing' keys must be str, got {type_name(key)} ({key!r})")
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{owner}: 'class_indexing' values must be int, got {type_name(value)} for '{key}'")
        if value < 0 or value > INT32_MAX:
            raise ValueError(f"{owner}: 'class_indexing' values must be within [0, {INT32_MAX}], "
                             f"got {value} for '{key}'")


def check_decrypt(owner, decrypt):
    """Raise TypeError unless decrypt is None or callable."""
    if decrypt is not None and not callable(decrypt):
        raise TypeError(f"{owner}: 'decrypt' must be a callable (path -> bytes) or None, got {type_name(decrypt)}")


def check_index(owner, index, length):
    """The row index as a non-negative int; IndexError when it is out of range."""
    position = int(index)
    if position < 0:
        position += length
    if position < 0 or position >= length:
        raise IndexError(f"{owner}: row index {index} is out of range for {length} rows")
    return position


def read_bytes(path, decrypt=None):
    """The bytes of a file as a 1-D uint8 array (through decrypt(path) when given)."""
    if decrypt is None:
        return numpy.fromfile(path, dtype=numpy.uint8)
    data = decrypt(path)
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"decrypt must return bytes, got {type_name(data)} for '{path}'")
    return numpy.frombuffer(bytes(data), dtype=numpy.uint8).copy()


def decode_image(data, path):
    """A 1-D uint8 array of encoded bytes decoded to an HWC RGB uint8 image (MindSpore's Decode)."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data.tobytes())) as image:
            rgb = image.convert("RGB")
    except Exception as error:
        raise RuntimeError(f"failed to decode image '{path}': {error}") from error
    return numpy.asarray(rgb, dtype=numpy.uint8)


def string_array(text):
    """A 0-d numpy string array: how a string column's value comes out of an iterator."""
    return numpy.array(text, dtype=numpy.str_)


class LazyFileSource:
    """A base for sources whose open files and loaded arrays are per process.

    The subclass keeps opened handles in self._cache (a dict); pickling drops it, so a process
    worker opens its own files on first use instead of inheriting (or copying) the parent's.
    """

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_cache"] = {}
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
