"""MindDataset: MindSpore's mindspore.dataset.MindDataset, reading MindRecord files (sporen.mindrecord)."""
import numpy as np

from .. import mindrecord as _mindrecord_package  # noqa: F401  (the format lives there)
from ..mindrecord._reader import ShardSet
from . import config
from . import samplers as ds_samplers
from .engine.datasets import MappableDataset, Shuffle

__all__ = ["MindDataset"]

_SALT_FILES = 0x5EED00F1


class _MindRecordSource:
    """Contract-1 source over MindRecord files: the chosen columns of each sample, then
    ``num_padded`` copies of ``padded_sample`` at the end."""

    def __init__(self, dataset_files, columns_list=None, padded_sample=None, num_padded=0):
        self.shards = ShardSet(dataset_files, "MindDataset")
        if columns_list is None:
            self.column_names = self.shards.column_names
        else:
            self.column_names = list(columns_list)
        self.num_rows = len(self.shards)
        self.num_padded = num_padded or 0
        self.padded_row = None
        if padded_sample is not None:
            self.padded_row = tuple(self._padded_value(name, padded_sample[name]) for name in self.column_names)
        self._blob_wanted = [name for name in self.column_names if name in self.shards.blob_fields]
        self._file_of_row = None

    def _padded_value(self, name, value):
        spec = self.shards.schema[name]
        kind = spec["type"]
        if kind == "bytes":
            return np.frombuffer(bytes(value), dtype=np.uint8).copy()
        if kind == "string":
            return np.array(value, dtype=np.str_)
        array = np.array(value, dtype=kind)
        if "shape" in spec:
            array = array.reshape(spec["shape"])
        return array

    def description(self):
        """The cache key prefix of this source's rows: its files and columns."""
        return f"MindDataset({self.shards.paths}, columns={self.column_names}, padded={self.num_padded})"

    def __len__(self):
        return self.num_rows + self.num_padded

    def __getitem__(self, index):
        index = int(index)
        if index >= self.num_rows:
            if index >= self.num_rows + self.num_padded:
                raise IndexError(f"MindDataset: row {index} out of range ({len(self)} rows)")
            return self.padded_row
        raw, blob = self.shards.read(index)
        blobs = self.shards.blob_values(blob, self._blob_wanted)
        return tuple(self.shards.column_value(name, raw, blobs) for name in self.column_names)

    def file_groups(self):
        """Row indices grouped by file (the padded rows form the last group)."""
        owners = self.shards.file_ids
        groups = [np.flatnonzero(owners == number) for number in range(len(self.shards.paths))]
        if self.num_padded:
            groups.append(np.arange(self.num_rows, self.num_rows + self.num_padded, dtype=np.int64))
        return groups


class _FileOrderSampler(ds_samplers.BuiltinSampler):
    """Shuffle.FILES (files in a random order, rows in file order) and Shuffle.INFILE (files in
    order, rows shuffled within each file). Draws from config's seed so that shards agree."""

    def __init__(self, mode, num_samples=None):
        super().__init__(num_samples=num_samples)
        self.mode = mode

    def _own_shuffled(self):
        return True

    def _own_ids(self, num_rows, pass_id, seed, source):
        if source is None:
            return np.arange(num_rows, dtype=np.int64)[:self.num_samples or None]
        generator = np.random.Generator(np.random.PCG64([config.get_seed(), _SALT_FILES, pass_id]))
        groups = source.file_groups()
        if self.mode == Shuffle.FILES:
            order = generator.permutation(len(groups))
            groups = [groups[number] for number in order]
        else:
            groups = [generator.permutation(group) for group in groups]
        ids = np.concatenate(groups).astype(np.int64) if groups else np.zeros(0, np.int64)
        if self.num_samples:
            ids = ids[:self.num_samples]
        return ids

    def _own_count(self, num_rows):
        if self.num_samples:
            return min(num_rows, self.num_samples)
        return num_rows


class MindDataset(MappableDataset):
    """Read MindRecord files written by FileWriter (or by MindSpore).

    Args:
        dataset_files (str, list[str]): one file of a set (every shard of the set is read) or a list
            of files to read.
        columns_list (list[str]): the columns to read, in this order. Default: None, every column,
            sorted by name as MindSpore orders them.
        num_parallel_workers (int): reading workers. Default: None, config's.
        shuffle (bool, Shuffle): True/None or Shuffle.GLOBAL shuffles all rows, Shuffle.FILES the
            file order only, Shuffle.INFILE rows within each file; False keeps the order. Default: None.
        num_shards (int), shard_id (int): read one shard of the rows. Default: None.
        sampler (Sampler): choose rows with a sampler (excludes shuffle and sharding). Default: None.
        padded_sample (dict): a sample appended ``num_padded`` times (keys: columns_list), so that
            the rows divide evenly among shards. Default: None.
        num_padded (int): how many padded samples. Default: None.
        num_samples (int): read at most this many rows. Default: None, all.
        cache (DatasetCache): keep the rows in a cache server. Default: None.

    Columns: scalars as 0-d arrays of their type (int32, int64, float32, float64, str), bytes
    fields as 1-d uint8 arrays, array fields with the schema's shape.
    """

    def __init__(self, dataset_files, columns_list=None, num_parallel_workers=None, shuffle=None,
                 num_shards=None, shard_id=None, sampler=None, padded_sample=None, num_padded=None,
                 num_samples=None, cache=None):
        if columns_list is not None:
            if not isinstance(columns_list, list) or not columns_list:
                raise TypeError(f"MindDataset: 'columns_list' must be a non-empty list of str, got {columns_list!r}")
            for name in columns_list:
                if not isinstance(name, str):
                    raise TypeError(f"MindDataset: 'columns_list' must hold str, got {name!r}")
            if len(set(columns_list)) != len(columns_list):
                raise ValueError(f"MindDataset: 'columns_list' has duplicate names: {columns_list}")
        _check_padding(padded_sample, num_padded, columns_list)
        source = _MindRecordSource(dataset_files, columns_list, padded_sample, num_padded)
        for name in source.column_names:
            if name not in source.shards.schema:
                raise ValueError(f"MindDataset: column {name!r} is not in the MindRecord schema "
                                 f"{source.shards.column_names}")
        if num_padded and num_shards is not None and len(source) % num_shards:
            raise RuntimeError(f"MindDataset: the {source.num_rows} rows plus num_padded {num_padded} must be "
                               f"divisible by num_shards {num_shards}")
        file_mode = shuffle if shuffle in (Shuffle.FILES, Shuffle.INFILE) else None
        if file_mode is not None:
            shuffle = False
        super().__init__(source, num_samples=num_samples, shuffle=shuffle, sampler=sampler,
                         num_shards=num_shards, shard_id=shard_id,
                         num_parallel_workers=num_parallel_workers, cache=cache)
        if file_mode is not None:
            if num_shards is not None:
                order = ds_samplers.DistributedSampler(num_shards, shard_id, shuffle=False, num_samples=num_samples)
                order.add_child(_FileOrderSampler(file_mode))
            else:
                order = _FileOrderSampler(file_mode, num_samples)
            self.use_sampler(order)
        self.shuffle_level = file_mode or shuffle
        self.dataset_files = dataset_files
        self.columns_list = columns_list
        self.padded_sample = padded_sample
        self.num_padded = num_padded


def _check_padding(padded_sample, num_padded, columns_list):
    """MindSpore's rules for padded_sample/num_padded (check_minddataset)."""
    if padded_sample is not None:
        if not isinstance(padded_sample, dict):
            raise TypeError(f"MindDataset: 'padded_sample' must be a dict, got {type(padded_sample).__name__}")
        if num_padded is None:
            raise RuntimeError("MindDataset: 'padded_sample' is specified and requires 'num_padded' as well")
        if columns_list is None:
            raise RuntimeError("MindDataset: 'padded_sample' is specified and requires 'columns_list' as well")
        for name in columns_list:
            if name not in padded_sample:
                raise ValueError(f"MindDataset: 'padded_sample' has no value for column {name!r} of columns_list")
    elif num_padded is not None:
        raise RuntimeError("MindDataset: 'num_padded' is specified but 'padded_sample' is not")
    if num_padded is not None:
        if not isinstance(num_padded, int) or isinstance(num_padded, bool):
            raise TypeError(f"MindDataset: 'num_padded' must be an int, got {type(num_padded).__name__}")
        if num_padded < 0:
            raise ValueError(f"MindDataset: 'num_padded' must be >= 0, got {num_padded}")
