"""The file-format datasets (MindSpore's MnistDataset, FashionMnistDataset, Cifar10Dataset,
Cifar100Dataset, ImageFolderDataset, CocoDataset, VOCDataset, TextFileDataset, CSVDataset): argument
checks, then a random-access source (sources_vision/detection/text.py) read by MappableDataset."""
import os

from .engine.datasets import MappableDataset, Shuffle, _check_sampling
from .sources_common import (check_bool, check_choice, check_class_indexing, check_decrypt, check_dir,
                             check_file, check_usage, type_name)
from .sources_detection import COCO_TASKS, CocoSource, VOCSource, voc_list_file
from .sources_text import CSVSource, FileShardSampler, TextFileSource, csv_column_types, find_files
from .sources_vision import CifarSource, IdxSource, ImageFolderSource

__all__ = ["MnistDataset", "FashionMnistDataset", "Cifar10Dataset", "Cifar100Dataset", "ImageFolderDataset",
           "CocoDataset", "VOCDataset", "TextFileDataset", "CSVDataset"]

_USAGES = ("train", "test", "all")


class MnistDataset(MappableDataset):
    """The MNIST dataset: IDX files (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-...,
    each optionally gzip'ed) in dataset_dir.

    Columns: image (28, 28, 1) uint8, label uint32 (a scalar). usage: 'train' (60,000 rows), 'test'
    (10,000) or 'all' (test then train, MindSpore's file order); None means 'all'.
    """

    def __init__(self, dataset_dir, usage=None, num_samples=None, num_parallel_workers=None, shuffle=None,
                 sampler=None, num_shards=None, shard_id=None, cache=None):
        owner = type(self).__name__
        check_dir(owner, "dataset_dir", dataset_dir)
        usage = check_usage(owner, usage, _USAGES)
        _check_sampling(owner, num_samples, shuffle, sampler, num_shards, shard_id)
        self.dataset_dir = dataset_dir
        self.usage = usage
        super().__init__(IdxSource(owner, dataset_dir, usage), num_samples=num_samples, shuffle=shuffle,
                         sampler=sampler, num_shards=num_shards, shard_id=shard_id,
                         num_parallel_workers=num_parallel_workers, cache=cache)


class FashionMnistDataset(MnistDataset):
    """The Fashion-MNIST dataset: the same IDX files, names and columns as MnistDataset."""


class Cifar10Dataset(MappableDataset):
    """The CIFAR-10 dataset in its binary version: data_batch_1.bin ... data_batch_5.bin (usage
    'train') and test_batch.bin ('test') in dataset_dir; 'all' (or None) reads both, in sorted order.

    Columns: image (32, 32, 3) uint8 HWC, label uint32.
    """

    def __init__(self, dataset_dir, usage=None, num_samples=None, num_parallel_workers=None, shuffle=None,
                 sampler=None, num_shards=None, shard_id=None, cache=None):
        owner = type(self).__name__
        check_dir(owner, "dataset_dir", dataset_dir)
        usage = check_usage(owner, usage, _USAGES)
        _check_sampling(owner, num_samples, shuffle, sampler, num_shards, shard_id)
        self.dataset_dir = dataset_dir
        self.usage = usage
        super().__init__(CifarSource(owner, dataset_dir, usage, 1), num_samples=num_samples, shuffle=shuffle,
                         sampler=sampler, num_shards=num_shards, shard_id=shard_id,
                         num_parallel_workers=num_parallel_workers, cache=cache)


class Cifar100Dataset(MappableDataset):
    """The CIFAR-100 dataset in its binary version: train.bin ('train') and test.bin ('test') in
    dataset_dir; 'all' (or None) reads both, in sorted order (test.bin first).

    Columns: image (32, 32, 3) uint8 HWC, coarse_label uint32, fine_label uint32.
    """

    def __init__(self, dataset_dir, usage=None, num_samples=None, num_parallel_workers=None, shuffle=None,
                 sampler=None, num_shards=None, shard_id=None, cache=None):
        owner = type(self).__name__
        check_dir(owner, "dataset_dir", dataset_dir)
        usage = check_usage(owner, usage, _USAGES)
        _check_sampling(owner, num_samples, shuffle, sampler, num_shards, shard_id)
        self.dataset_dir = dataset_dir
        self.usage = usage
        super().__init__(CifarSource(owner, dataset_dir, usage, 2), num_samples=num_samples, shuffle=shuffle,
                         sampler=sampler, num_shards=num_shards, shard_id=shard_id,
                         num_parallel_workers=num_parallel_workers, cache=cache)


def _check_extensions(owner, extensions):
    """extensions: None or a list of str (each with its leading dot, e.g. '.JPEG')."""
    if extensions is None:
        return
    if not isinstance(extensions, (list, tuple)):
        raise TypeError(f"{owner}: 'extensions' must be a list of str, got {type_name(extensions)}")
    for extension in extensions:
        if not isinstance(extension, str):
            raise TypeError(f"{owner}: 'extensions' must be a list of str, got an element of type "
                            f"{type_name(extension)}")


class ImageFolderDataset(MappableDataset):
    """Images in one sub-folder of dataset_dir per class.

    Columns: image (the file's bytes, 1-D uint8; with decode=True the HWC RGB uint8 image) and label
    int32 (the class folder's position in sorted order, or its value in class_indexing, which also
    restricts the folders read). extensions (e.g. ['.JPEG', '.png']) keeps only files ending so;
    decrypt(path) -> bytes reads encrypted files.
    """

    def __init__(self, dataset_dir, num_samples=None, num_parallel_workers=None, shuffle=None, sampler=None,
                 extensions=None, class_indexing=None, decode=False, num_shards=None, shard_id=None, cache=None,
                 decrypt=None):
        owner = type(self).__name__
        check_dir(owner, "dataset_dir", dataset_dir)
        _check_extensions(owner, extensions)
        check_class_indexing(owner, class_indexing)
        check_bool(owner, "decode", decode)
        check_decrypt(owner, decrypt)
        _check_sampling(owner, num_samples, shuffle, sampler, num_shards, shard_id)
        self.dataset_dir = dataset_dir
        self.decode = decode
        source = ImageFolderSource(owner, dataset_dir, extensions=extensions, class_indexing=class_indexing,
                                   decode=decode, decrypt=decrypt)
        super().__init__(source, num_samples=num_samples, shuffle=shuffle, sampler=sampler, num_shards=num_shards,
                         shard_id=shard_id, num_parallel_workers=num_parallel_workers, cache=cache)

    def get_class_indexing(self):
        """{class folder name: label}."""
        return self.source.get_class_indexing()


class CocoDataset(MappableDataset):
    """The COCO dataset: images in dataset_dir, annotations in the JSON file annotation_file.

    task and its columns (images as bytes, or decoded HWC RGB with decode=True):
    'Detection': image, bbox float32 (N, 4), category_id uint32 (N, 1), iscrowd uint32 (N, 1);
    'Stuff': image, segmentation float32 (N, longest polygon; shorter ones padded with -1), iscrowd;
    'Keypoint': image, keypoints float32 (N, 51), num_keypoints uint32 (N, 1);
    'Panoptic': image, bbox, category_id, iscrowd, area uint32 (N, 1);
    'Captioning': image, captions (N,) strings.
    extra_metadata=True adds '_meta-filename' (the image's file name without extension).
    """

    def __init__(self, dataset_dir, annotation_file, task="Detection", num_samples=None, num_parallel_workers=None,
                 shuffle=None, decode=False, sampler=None, num_shards=None, shard_id=None, cache=None,
                 extra_metadata=False, decrypt=None):
        owner = type(self).__name__
        check_dir(owner, "dataset_dir", dataset_dir)
        check_file(owner, "annotation_file", annotation_file)
        check_choice(owner, "task", task, COCO_TASKS)
        check_bool(owner, "decode", decode)
        check_bool(owner, "extra_metadata", extra_metadata)
        check_decrypt(owner, decrypt)
        _check_sampling(owner, num_samples, shuffle, sampler, num_shards, shard_id)
        self.dataset_dir = dataset_dir
        self.annotation_file = annotation_file
        self.task = task
        source = CocoSource(owner, dataset_dir, annotation_file, task=task, decode=decode,
                            extra_metadata=extra_metadata, decrypt=decrypt)
        super().__init__(source, num_samples=num_samples, shuffle=shuffle, sampler=sampler, num_shards=num_shards,
                         shard_id=shard_id, num_parallel_workers=num_parallel_workers, cache=cache)

    def get_class_indexing(self):
        """{category name: [id]} for 'Detection', {name: [id, isthing]} for 'Panoptic'."""
        return self.source.get_class_indexing()


class VOCDataset(MappableDataset):
    """The Pascal VOC dataset (dataset_dir holds JPEGImages/, SegmentationClass/, Annotations/ and
    ImageSets/); rows are the ids listed in ImageSets/<Segmentation|Main>/<usage>.txt.

    task 'Segmentation': image, target (the mask PNG); 'Detection': image, bbox float32 (N, 4)
    [xmin, ymin, width, height], label, difficult, truncate uint32 (N, 1). Images are bytes, or HWC
    RGB with decode=True. class_indexing ('Detection' only) maps object names to labels and keeps only
    those objects. extra_metadata=True adds '_meta-filename' (the image id).
    """

    def __init__(self, dataset_dir, task="Segmentation", usage="train", class_indexing=None, num_samples=None,
                 num_parallel_workers=None, shuffle=None, decode=False, sampler=None, num_shards=None,
                 shard_id=None, cache=None, extra_metadata=False, decrypt=None):
        owner = type(self).__name__
        check_dir(owner, "dataset_dir", dataset_dir)
        check_choice(owner, "task", task, ("Segmentation", "Detection"))
        if not isinstance(usage, str):
            raise TypeError(f"{owner}: 'usage' must be a str, got {type_name(usage)}")
        list_file = voc_list_file(dataset_dir, task, usage)
        if not os.path.isfile(list_file):
            raise ValueError(f"{owner}: invalid usage '{usage}': the list file '{list_file}' does not exist")
        if task == "Segmentation" and class_indexing is not None:
            raise ValueError(f"{owner}: 'class_indexing' is not supported in the 'Segmentation' task")
        check_class_indexing(owner, class_indexing)
        check_bool(owner, "decode", decode)
        check_bool(owner, "extra_metadata", extra_metadata)
        check_decrypt(owner, decrypt)
        _check_sampling(owner, num_samples, shuffle, sampler, num_shards, shard_id)
        self.dataset_dir = dataset_dir
        self.task = task
        self.usage = usage
        source = VOCSource(owner, dataset_dir, task=task, usage=usage, class_indexing=class_indexing,
                           decode=decode, extra_metadata=extra_metadata, decrypt=decrypt)
        super().__init__(source, num_samples=num_samples, shuffle=shuffle, sampler=sampler, num_shards=num_shards,
                         shard_id=shard_id, num_parallel_workers=num_parallel_workers, cache=cache)

    def get_class_indexing(self):
        """{object name: label} of the 'Detection' task."""
        return self.source.get_class_indexing()


def _shuffle_mode(owner, shuffle):
    """MindSpore's shuffle argument of a file source as a FileShardSampler mode."""
    if shuffle is None or shuffle is True:
        return "global"
    if shuffle is False:
        return "false"
    if isinstance(shuffle, Shuffle):
        if shuffle in (Shuffle.FILES, Shuffle.INFILE, Shuffle.FALSE):
            return shuffle.value
        return "global"
    raise TypeError(f"{owner}: 'shuffle' must be a bool or a Shuffle (Shuffle.GLOBAL, Shuffle.FILES, "
                    f"Shuffle.INFILE), got {type_name(shuffle)}")


class _FileDataset(MappableDataset):
    """A text/CSV source read in MindSpore's order for non-mappable file sources (FileShardSampler)."""

    def _setup(self, source, num_samples, num_parallel_workers, shuffle, num_shards, shard_id, cache):
        owner = type(self).__name__
        mode = _shuffle_mode(owner, shuffle)
        _check_sampling(owner, num_samples, None, None, num_shards, shard_id)
        sampler = FileShardSampler(source.rows_per_file, mode, num_shards, shard_id, num_samples)
        super().__init__(source, sampler=sampler, num_parallel_workers=num_parallel_workers, cache=cache)
        self.shuffle_flag = shuffle
        self.num_shards = num_shards
        self.shard_id = shard_id
        self.num_samples = num_samples


class TextFileDataset(_FileDataset):
    """Text files (a path, a glob pattern or a list of them; read in sorted order), one row per
    non-empty line, column 'text' (a string).

    shuffle: Shuffle.GLOBAL (or True, the default) shuffles the files and the rows, Shuffle.FILES
    the file order only, Shuffle.INFILE the rows within each file, False nothing. num_shards cuts the
    rows into contiguous blocks of equal size (wrapping around); num_samples caps a shard's rows.
    """

    def __init__(self, dataset_files, num_samples=None, num_parallel_workers=None, shuffle=Shuffle.GLOBAL,
                 num_shards=None, shard_id=None, cache=None):
        owner = type(self).__name__
        files = find_files(owner, dataset_files)
        _shuffle_mode(owner, shuffle)
        _check_sampling(owner, num_samples, None, None, num_shards, shard_id)
        self.dataset_files = files
        self._setup(TextFileSource(owner, files), num_samples, num_parallel_workers, shuffle, num_shards, shard_id,
                    cache)


class CSVDataset(_FileDataset):
    """CSV files (a path, a glob pattern or a list of them; read in sorted order), one row per record.

    Columns: column_names, or the first line of each file (then a header, the same in every file).
    column_defaults types the columns (an int value: int32, a float: float32, a str: string) and gives
    the value of an empty field; columns past it are strings. field_delim is one character.
    shuffle, num_shards and num_samples as TextFileDataset's.
    """

    def __init__(self, dataset_files, field_delim=",", column_defaults=None, column_names=None, num_samples=None,
                 num_parallel_workers=None, shuffle=Shuffle.GLOBAL, num_shards=None, shard_id=None, cache=None):
        owner = type(self).__name__
        files = find_files(owner, dataset_files)
        if not isinstance(field_delim, str):
            raise TypeError(f"{owner}: 'field_delim' must be a str, got {type_name(field_delim)}")
        if len(field_delim) != 1 or field_delim in ('"', "\r", "\n"):
            raise ValueError(f"{owner}: 'field_delim' must be one character other than '\"', '\\r' and '\\n', "
                             f"got {field_delim!r}")
        if column_defaults is not None:
            if not isinstance(column_defaults, list):
                raise TypeError(f"{owner}: 'column_defaults' must be a list, got {type_name(column_defaults)}")
            csv_column_types(owner, column_defaults)
        if column_names is not None:
            if not isinstance(column_names, list):
                raise TypeError(f"{owner}: 'column_names' must be a list of str, got {type_name(column_names)}")
            if not column_names:
                raise ValueError(f"{owner}: 'column_names' must not be empty")
            for name in column_names:
                if not isinstance(name, str):
                    raise TypeError(f"{owner}: 'column_names' must be a list of str, got an element of type "
                                    f"{type_name(name)}")
        _shuffle_mode(owner, shuffle)
        _check_sampling(owner, num_samples, None, None, num_shards, shard_id)
        self.dataset_files = files
        source = CSVSource(owner, files, field_delim=field_delim, column_defaults=column_defaults,
                           column_names=column_names)
        self._setup(source, num_samples, num_parallel_workers, shuffle, num_shards, shard_id, cache)
