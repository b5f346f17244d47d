"""The random-access sources of image classification files: MNIST/Fashion-MNIST (IDX), CIFAR-10/100
(binary batches) and image folders (one folder per class)."""
import bisect
import gzip
import os
import threading

import numpy

from .sources_common import (LazyFileSource, check_index, decode_image, read_bytes)

_IDX_IMAGE_MAGIC = 2051
_IDX_LABEL_MAGIC = 2049
_CIFAR_IMAGE_BYTES = 3 * 32 * 32
# one load at a time per process: reader threads asking for the same gzip'ed file wait for the first
# one's copy instead of each decompressing their own
_LOAD_LOCK = threading.Lock()


def _idx_names(usage):
    """The (images, labels) IDX base names of a usage, in MindSpore's order (sorted: t10k before train)."""
    prefixes = {"train": ["train"], "test": ["t10k"], "all": ["t10k", "train"]}[usage]
    return [(f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte") for prefix in prefixes]


def _find_idx_file(dataset_dir, base):
    """The path of an IDX file, uncompressed or gzip'ed (base + '.gz'); None when neither exists."""
    for name in (base, base + ".gz"):
        path = os.path.join(dataset_dir, name)
        if os.path.isfile(path):
            return path
    return None


def _open_idx(path):
    """A binary file object for an IDX file, gunzipping on the fly when its name ends in .gz."""
    if path.endswith(".gz"):
        return gzip.open(path, "rb")
    return open(path, "rb")


def _read_idx_header(owner, path, magic, ndim):
    """The dimensions of an IDX file's header, checked against the expected magic number."""
    with _open_idx(path) as handle:
        header = handle.read(4 * (1 + ndim))
    if len(header) < 4 * (1 + ndim):
        raise RuntimeError(f"{owner}: the IDX file '{path}' is truncated (no complete header)")
    values = numpy.frombuffer(header, dtype=">u4")
    if int(values[0]) != magic:
        raise RuntimeError(f"{owner}: '{path}' is not an IDX file of the expected kind: magic number "
                           f"{int(values[0])}, expected {magic}")
    return [int(v) for v in values[1:]]


class IdxSource(LazyFileSource):
    """Rows (image (rows, cols, 1) uint8, label uint32) of MNIST-format IDX file pairs.

    Uncompressed files are memory-mapped; gzip'ed ones are decompressed once per process, on the
    first row read.
    """

    column_names = ["image", "label"]

    def __init__(self, owner, dataset_dir, usage):
        self.owner = owner
        self.dataset_dir = dataset_dir
        self.usage = usage
        self._parts = []
        starts = []
        total = 0
        for image_base, label_base in _idx_names(usage):
            image_path = _find_idx_file(dataset_dir, image_base)
            label_path = _find_idx_file(dataset_dir, label_base)
            if image_path is None and label_path is None:
                continue
            if image_path is None or label_path is None:
                missing = image_base if image_path is None else label_base
                raise RuntimeError(f"{owner}: '{missing}' (or '{missing}.gz') is missing in '{dataset_dir}'")
            count, rows, cols = _read_idx_header(owner, image_path, _IDX_IMAGE_MAGIC, 3)
            if (rows, cols) != (28, 28):
                raise RuntimeError(f"{owner}: the images of '{image_path}' are {rows}x{cols}, expected 28x28")
            (label_count,) = _read_idx_header(owner, label_path, _IDX_LABEL_MAGIC, 1)
            if count != label_count:
                raise RuntimeError(f"{owner}: '{image_path}' holds {count} images but '{label_path}' "
                                   f"{label_count} labels")
            self._parts.append((image_path, label_path, count, rows, cols))
            starts.append(total)
            total += count
        if total == 0:
            names = [name for pair in _idx_names(usage) for name in pair]
            raise RuntimeError(f"{owner}: no data found in '{dataset_dir}' for usage '{usage}' "
                               f"(expected the IDX files {names}, optionally .gz)")
        self._starts = starts
        self._length = total
        self._cache = {}

    def __len__(self):
        return self._length

    def _arrays(self, part):
        """The (images, labels) arrays of part number `part`, opened on first use in this process."""
        arrays = self._cache.get(part)
        if arrays is not None:
            return arrays
        with _LOAD_LOCK:
            arrays = self._cache.get(part)
            if arrays is None:
                image_path, label_path, count, rows, cols = self._parts[part]
                images = self._load(image_path, 16, (count, rows, cols))
                labels = self._load(label_path, 8, (count,))
                arrays = (images, labels)
                self._cache[part] = arrays
        return arrays

    def _load(self, path, offset, shape):
        """The uint8 payload of an IDX file after its header, with the given shape."""
        size = int(numpy.prod(shape))
        if path.endswith(".gz"):
            with gzip.open(path, "rb") as handle:
                handle.read(offset)
                payload = handle.read(size)
            if len(payload) < size:
                raise RuntimeError(f"{self.owner}: the IDX file '{path}' is truncated")
            return numpy.frombuffer(payload, dtype=numpy.uint8).reshape(shape)
        if os.path.getsize(path) < offset + size:
            raise RuntimeError(f"{self.owner}: the IDX file '{path}' is truncated")
        return numpy.memmap(path, dtype=numpy.uint8, mode="r", offset=offset, shape=shape)

    def __getitem__(self, index):
        position = check_index(self.owner, index, self._length)
        part = bisect.bisect_right(self._starts, position) - 1
        row = position - self._starts[part]
        images, labels = self._arrays(part)
        image = numpy.array(images[row], dtype=numpy.uint8)[:, :, None]
        label = numpy.array(labels[row], dtype=numpy.uint32)
        return image, label

    def __repr__(self):
        return f"{self.owner}(dataset_dir='{self.dataset_dir}', usage='{self.usage}')"

    def description(self):
        """The key of this source's rows in a cache (the same in every process)."""
        return f"{self.owner}(dataset_dir='{os.path.abspath(self.dataset_dir)}', usage='{self.usage}')"


class CifarSource(LazyFileSource):
    """Rows of CIFAR binary files: (image (32, 32, 3) uint8, label uint32) for CIFAR-10 and
    (image, coarse_label uint32, fine_label uint32) for CIFAR-100.

    Files are the '.bin' files of dataset_dir in sorted order (MindSpore's); for usage 'train' those
    whose names hold 'data_batch' (CIFAR-10) or 'train' (CIFAR-100), for 'test' 'test_batch' or 'test'.
    """

    def __init__(self, owner, dataset_dir, usage, num_labels):
        self.owner = owner
        self.dataset_dir = dataset_dir
        self.usage = usage
        self.num_labels = num_labels
        if num_labels == 1:
            self.column_names = ["image", "label"]
            keys = {"train": ["data_batch"], "test": ["test_batch"], "all": ["data_batch", "test_batch"]}
        else:
            self.column_names = ["image", "coarse_label", "fine_label"]
            keys = {"train": ["train"], "test": ["test"], "all": ["train", "test"]}
        names = sorted(name for name in os.listdir(dataset_dir)
                       if name.endswith(".bin") and any(key in name for key in keys[usage])
                       and os.path.isfile(os.path.join(dataset_dir, name)))
        self._record = num_labels + _CIFAR_IMAGE_BYTES
        self._files = []
        self._starts = []
        total = 0
        for name in names:
            path = os.path.join(dataset_dir, name)
            size = os.path.getsize(path)
            if size % self._record != 0:
                raise RuntimeError(f"{owner}: '{path}' is not a CIFAR binary file: its size {size} is not a "
                                   f"multiple of the record size {self._record}")
            self._files.append((path, size // self._record))
            self._starts.append(total)
            total += size // self._record
        if total == 0:
            raise RuntimeError(f"{owner}: no data found in '{dataset_dir}' for usage '{usage}' "
                               f"(expected .bin files whose names hold {keys[usage]})")
        self._length = total
        self._cache = {}

    def __len__(self):
        return self._length

    def _records(self, part):
        """The (count, record) uint8 memory map of file number `part`, opened on first use."""
        records = self._cache.get(part)
        if records is None:
            path, count = self._files[part]
            records = numpy.memmap(path, dtype=numpy.uint8, mode="r", shape=(count, self._record))
            self._cache[part] = records
        return records

    def __getitem__(self, index):
        position = check_index(self.owner, index, self._length)
        part = bisect.bisect_right(self._starts, position) - 1
        record = numpy.array(self._records(part)[position - self._starts[part]])
        # stored channel-major (1024 red, 1024 green, 1024 blue); MindSpore gives HWC
        image = numpy.ascontiguousarray(record[self.num_labels:].reshape(3, 32, 32).transpose(1, 2, 0))
        labels = [numpy.array(record[k], dtype=numpy.uint32) for k in range(self.num_labels)]
        return (image, *labels)

    def __repr__(self):
        return f"{self.owner}(dataset_dir='{self.dataset_dir}', usage='{self.usage}')"

    def description(self):
        """The key of this source's rows in a cache (the same in every process)."""
        return f"{self.owner}(dataset_dir='{os.path.abspath(self.dataset_dir)}', usage='{self.usage}')"


class ImageFolderSource:
    """Rows (image, label int32) of a folder of class folders.

    Classes are the sub-folders in sorted order (label = position), or the folders named in
    class_indexing (label = its value); files in a class folder are taken in sorted order, filtered
    by extension (case-sensitive, with the dot) when extensions are given. image is the file's bytes
    (1-D uint8) or, with decode, the HWC RGB uint8 image.
    """

    column_names = ["image", "label"]

    def __init__(self, owner, dataset_dir, extensions=None, class_indexing=None, decode=False, decrypt=None):
        self.owner = owner
        self.dataset_dir = dataset_dir
        self.decode = decode
        self.decrypt = decrypt
        folders = sorted(name for name in os.listdir(dataset_dir)
                         if os.path.isdir(os.path.join(dataset_dir, name)))
        if class_indexing:
            missing = sorted(set(class_indexing) - set(folders))
            if missing:
                raise RuntimeError(f"{owner}: the class_indexing folders {missing} do not exist in '{dataset_dir}'")
            folders = [name for name in folders if name in class_indexing]
            self.class_indexing = dict(class_indexing)
        else:
            self.class_indexing = {name: position for position, name in enumerate(folders)}
        allowed = set(extensions) if extensions else None
        self._paths = []
        self._labels = []
        for folder in folders:
            label = self.class_indexing[folder]
            folder_path = os.path.join(dataset_dir, folder)
            for name in sorted(os.listdir(folder_path)):
                path = os.path.join(folder_path, name)
                if not os.path.isfile(path):
                    continue
                if allowed is not None and os.path.splitext(name)[1] not in allowed:
                    continue
                self._paths.append(path)
                self._labels.append(label)
        if not self._paths:
            raise RuntimeError(f"{owner}: no images found in '{dataset_dir}' (class folders with files"
                               + (f" of extensions {sorted(allowed)}" if allowed else "") + ")")

    def __len__(self):
        return len(self._paths)

    def __getitem__(self, index):
        position = check_index(self.owner, index, len(self._paths))
        path = self._paths[position]
        image = read_bytes(path, self.decrypt)
        if self.decode:
            image = decode_image(image, path)
        return image, numpy.array(self._labels[position], dtype=numpy.int32)

    def __repr__(self):
        return f"{self.owner}(dataset_dir='{self.dataset_dir}', decode={self.decode})"

    def description(self):
        """The key of this source's rows in a cache (the same in every process)."""
        return (f"{self.owner}(dataset_dir='{os.path.abspath(self.dataset_dir)}', decode={self.decode}, "
                f"files={len(self._paths)}, class_indexing={sorted(self.class_indexing.items())})")

    def get_class_indexing(self):
        """{class folder name: label}."""
        return dict(self.class_indexing)
