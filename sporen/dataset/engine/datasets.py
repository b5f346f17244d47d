"""The Dataset base class and the sources the engine owns: MappableDataset (any random-access
source, contract 1), NumpySlicesDataset, GeneratorDataset; the Shuffle enum and Schema."""
import enum
import functools
import json

import numpy

from .. import config
from .. import samplers as ds_samplers
from .runtime import rowsizes, run_row

__all__ = ["Dataset", "MappableDataset", "NumpySlicesDataset", "GeneratorDataset", "Shuffle", "Schema"]

INT32_MAX = 2147483647


class Shuffle(str, enum.Enum):
    """Shuffle modes (every mode but FALSE shuffles the rows of a random-access source globally)."""
    ADAPTIVE = "adaptive"
    GLOBAL = "global"
    PARTIAL = "partial"
    FILES = "files"
    INFILE = "infile"
    FALSE = "false"


def check_workers(owner, value):
    """num_parallel_workers: None or an int in [1, INT32_MAX]."""
    if value is None:
        return
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{owner}: 'num_parallel_workers' must be an int, got {type(value).__name__}")
    if value < 1 or value > INT32_MAX:
        raise ValueError(f"{owner}: 'num_parallel_workers' must be within [1, {INT32_MAX}], got {value}")


def to_array(value):
    """A row value as a numpy array (Python ints int64, floats float64, str numpy str, as MindSpore)."""
    if isinstance(value, numpy.ndarray):
        return value
    if hasattr(value, "asnumpy"):
        return value.asnumpy()
    if isinstance(value, bool):
        return numpy.array(value, dtype=numpy.bool_)
    if isinstance(value, int):
        return numpy.array(value, dtype=numpy.int64)
    if isinstance(value, float):
        return numpy.array(value, dtype=numpy.float64)
    return numpy.asarray(value)


def to_row(value, owner):
    """A function's result as a row: a tuple of numpy arrays."""
    if isinstance(value, tuple):
        return tuple(to_array(item) for item in value)
    if isinstance(value, list) and value and all(isinstance(item, numpy.ndarray) for item in value):
        return tuple(value)
    return (to_array(value),)


class Dataset:
    """A node of a data pipeline: a source or an operation over its children's rows.

    Every operation (map, batch, shuffle, ...) returns a new node; nothing runs until an iterator
    is created. Subclasses implement get_col_names, _rows(run, pass_id, start) (a generator of
    the rows of one pass, the first `start` rows skipped) and, where they know it, _num_rows().
    """

    # a node whose rows are produced in a thread of its own, behind a bounded queue
    _stage = False
    # the queue depth serialize/deserialize or AutoTune files give this node (None: config's)
    _prefetch_size = None

    def __init_subclass__(cls, **kwargs):
        """Record the arguments each dataset is built with (what serialize writes)."""
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is None:
            return

        @functools.wraps(init)
        def recording_init(self, *args, **kw):
            if "_init_args" not in self.__dict__:
                self._init_args = (type(self), args, kw)
            init(self, *args, **kw)

        cls.__init__ = recording_init

    def __init__(self, children=None, num_parallel_workers=None, cache=None):
        self.children = list(children or [])
        self.parent = []
        for child in self.children:
            child.parent.append(self)
        self.num_parallel_workers = num_parallel_workers
        self.cache = cache
        self._dataset_size = None
        self._batch_size = None
        self._repeat_count = None
        self._shapes_types = None
        self._init_step = 0

    # ---- the runtime's side ----
    def _pipeline(self, run, pass_id, start=0):
        """The rows of this node for one pass, in a stage thread when the node is one."""
        rows = self._rows(run, pass_id, start)
        if self._stage and not run.debug:
            name = self._stage_name(run)
            return run.stage(rows, name, run.overrides.get((name, "prefetch"), self._prefetch_size))
        return rows

    def _stage_name(self, run):
        """The stage's name in logs and autotune files, as MindSpore names its ops (MapOp(ID:1))."""
        op_name = getattr(self, "_op_name", None) or type(self).__name__.replace("Dataset", "Op")
        return f"{op_name}(ID:{run.op_id(self)})"

    def _rows(self, run, pass_id, start):
        raise NotImplementedError

    def _prepare(self, run):
        """Called in the main thread before each epoch (process pools are forked here)."""

    def _num_rows(self):
        """The number of rows of one pass, or None if only running the pipeline can tell."""
        return None

    def _workers(self):
        if self.num_parallel_workers is None:
            return config.get_num_parallel_workers()
        return self.num_parallel_workers

    # ---- the user's side ----
    def get_col_names(self):
        """The names of the columns, in order."""
        raise NotImplementedError

    def get_dataset_size(self):
        """The number of rows (batches after batch) of one epoch; runs the pipeline if it must."""
        if self._dataset_size is None:
            size = self._num_rows()
            if size is None:
                size = 0
                iterator = self.create_tuple_iterator(num_epochs=1, output_numpy=True, do_copy=False)
                for _ in iterator:
                    size += 1
                iterator.stop()
            self._dataset_size = size
        return self._dataset_size

    def _first_row(self):
        if self._shapes_types is None:
            iterator = self.create_tuple_iterator(num_epochs=1, output_numpy=True, do_copy=False)
            row = next(iterator, None)
            iterator.stop()
            if row is None:
                raise RuntimeError(f"{type(self).__name__}: the dataset is empty: it has no shapes or types")
            self._shapes_types = ([list(value.shape) for value in row], [value.dtype for value in row])
        return self._shapes_types

    def output_shapes(self, estimate=False):
        """The shape of each column (those of the first row)."""
        return [list(shape) for shape in self._first_row()[0]]

    def output_types(self):
        """The numpy dtype of each column (those of the first row)."""
        return list(self._first_row()[1])

    def get_batch_size(self):
        """The batch size of the last batch operation (1 if none)."""
        for node in self._chain():
            if node._batch_size is not None:
                return node._batch_size
        return 1

    def get_repeat_count(self):
        """The repeat count of the last repeat operation (1 if none)."""
        for node in self._chain():
            if node._repeat_count is not None:
                return node._repeat_count
        return 1

    def _chain(self):
        node = self
        while node is not None:
            yield node
            node = node.children[0] if node.children else None

    def get_class_indexing(self):
        """The {class name: index} of a source that has classes ({} otherwise)."""
        for node in self._chain():
            source = getattr(node, "source", None)
            if source is not None and hasattr(source, "get_class_indexing"):
                return source.get_class_indexing()
        return {}

    def set_init_step(self, init_step):
        """Resume from global step init_step (epoch init_step // size, then that many rows in)."""
        if not isinstance(init_step, int) or isinstance(init_step, bool) or init_step < 0:
            raise ValueError(f"set_init_step: 'init_step' must be a non-negative int, got {init_step!r}")
        self._init_step = init_step

    def get_init_step(self):
        """The step set by set_init_step (0 by default)."""
        return self._init_step

    def create_tuple_iterator(self, columns=None, num_epochs=-1, output_numpy=False, do_copy=True):
        """An iterator of rows as lists of values (Tensors, or numpy arrays with output_numpy)."""
        from .iterators import TupleIterator
        return TupleIterator(self, num_epochs, output_numpy, do_copy, columns=columns)

    def create_dict_iterator(self, num_epochs=-1, output_numpy=False, do_copy=True):
        """An iterator of rows as {column name: value}."""
        from .iterators import DictIterator
        return DictIterator(self, num_epochs, output_numpy, do_copy)

    def __iter__(self):
        return self.create_tuple_iterator(num_epochs=1)

    def __len__(self):
        return self.get_dataset_size()

    def __add__(self, other):
        return self.concat(other)

    # ---- operations (ops.py) ----
    def map(self, operations, input_columns=None, output_columns=None, num_parallel_workers=None, **kwargs):
        """Apply operations to input_columns of every row (see MapDataset)."""
        from .ops import MapDataset
        return MapDataset(self, operations, input_columns, output_columns, num_parallel_workers, **kwargs)

    def batch(self, batch_size, drop_remainder=False, num_parallel_workers=None, **kwargs):
        """Stack batch_size consecutive rows into one (see BatchDataset)."""
        from .batch import BatchDataset
        return BatchDataset(self, batch_size, drop_remainder, num_parallel_workers, **kwargs)

    def padded_batch(self, batch_size, drop_remainder=False, num_parallel_workers=None, pad_info=None):
        """Batch, padding the columns named in pad_info (see PaddedBatchDataset)."""
        from .batch import BatchDataset
        return BatchDataset(self, batch_size, drop_remainder, num_parallel_workers,
                            pad_info=pad_info if pad_info is not None else {}, _padded=True)

    def bucket_batch_by_length(self, column_names, bucket_boundaries, bucket_batch_sizes,
                               element_length_function=None, pad_info=None,
                               pad_to_bucket_boundary=False, drop_remainder=False):
        """Batch rows of similar length together (see BucketBatchByLengthDataset)."""
        from .batch import BucketBatchByLengthDataset
        return BucketBatchByLengthDataset(self, column_names, bucket_boundaries, bucket_batch_sizes,
                                          element_length_function, pad_info, pad_to_bucket_boundary,
                                          drop_remainder)

    def shuffle(self, buffer_size):
        """Shuffle rows through a buffer of buffer_size rows (see ShuffleDataset)."""
        from .ops import ShuffleDataset
        return ShuffleDataset(self, buffer_size)

    def repeat(self, count=None):
        """Repeat the dataset count times (None or -1: forever)."""
        from .ops import RepeatDataset
        return RepeatDataset(self, count)

    def zip(self, datasets):
        """Rows of this dataset and of `datasets` side by side (as many as the shortest)."""
        from .ops import ZipDataset
        if isinstance(datasets, Dataset):
            datasets = (datasets,)
        if not isinstance(datasets, tuple):
            raise TypeError(f"zip: 'datasets' must be a Dataset or a tuple of Datasets, "
                            f"got {type(datasets).__name__}")
        return ZipDataset((self,) + datasets)

    def concat(self, datasets):
        """This dataset's rows, then those of `datasets` (same columns)."""
        from .ops import ConcatDataset
        if isinstance(datasets, Dataset):
            datasets = [datasets]
        if not isinstance(datasets, list):
            raise TypeError(f"concat: 'datasets' must be a Dataset or a list of Datasets, "
                            f"got {type(datasets).__name__}")
        return ConcatDataset([self] + datasets)

    def project(self, columns):
        """Only these columns, in this order."""
        from .ops import ProjectDataset
        return ProjectDataset(self, columns)

    def rename(self, input_columns, output_columns):
        """Rename columns."""
        from .ops import RenameDataset
        return RenameDataset(self, input_columns, output_columns)

    def take(self, count=-1):
        """The first count rows (-1: all)."""
        from .ops import TakeDataset
        return TakeDataset(self, count)

    def skip(self, count):
        """All rows but the first count."""
        from .ops import SkipDataset
        return SkipDataset(self, count)

    def filter(self, predicate, input_columns=None, num_parallel_workers=None):
        """The rows for which predicate(*input columns) is true."""
        from .ops import FilterDataset
        return FilterDataset(self, predicate, input_columns, num_parallel_workers)

    def split(self, sizes, randomize=True):
        """Split into datasets of the given sizes (ints) or fractions (floats summing to 1)."""
        from .ops import split_dataset
        return split_dataset(self, sizes, randomize)

    def apply(self, apply_func):
        """apply_func(self), which must return a Dataset."""
        if not callable(apply_func):
            raise TypeError(f"apply: 'apply_func' must be callable, got {type(apply_func).__name__}")
        result = apply_func(self)
        if not isinstance(result, Dataset):
            raise TypeError(f"apply: 'apply_func' must return a Dataset, got {type(result).__name__}")
        return result

    def sync_wait(self, condition_name, num_batch=1, callback=None):
        """Let num_batch batches through, then wait for sync_update(condition_name)."""
        from .methods import SyncWaitDataset
        return SyncWaitDataset(self, condition_name, num_batch, callback)

    def sync_update(self, condition_name, num_batch=None, data=None):
        """Release the sync_wait of condition_name for num_batch more batches; its callback gets data."""
        from .methods import find_sync_node
        find_sync_node(self, condition_name).release(num_batch, data)

    def save(self, file_name, num_files=1, file_type="mindrecord"):
        """Write the rows to MindRecord file(s)."""
        from .methods import save
        save(self, file_name, num_files, file_type)

    def build_vocab(self, columns, freq_range, top_k, special_tokens, special_first):
        """A text.Vocab of the tokens in the columns (see methods.build_vocab)."""
        from .methods import build_vocab
        return build_vocab(self, columns, freq_range, top_k, special_tokens, special_first)

    def num_classes(self):
        """The number of classes of the source, or None."""
        from .methods import num_classes
        return num_classes(self)

    def close_pool(self):
        """Worker processes belong to iterators here and end with them: nothing to close."""

    def to_device(self, send_epoch_end=True, create_data_info_queue=False, queue_name=""):
        """Sink mode's device queue: sporen feeds the device from the iterator instead."""
        raise NotImplementedError("to_device: sporen has no device queue; iterate the dataset "
                                  "(Model.train(..., dataset_sink_mode=False)) instead")

    device_que = to_device


def _description(source):
    """The key of a source's rows in a cache: its own description if it gives one."""
    describe = getattr(source, "description", None)
    if callable(describe):
        return describe()
    if isinstance(describe, str):
        return describe
    return f"{type(source).__module__}.{type(source).__qualname__}"


class MappableDataset(Dataset):
    """A dataset over a random-access source (contract 1: column_names, __len__, __getitem__(i) ->
    tuple of numpy arrays), read in the order its sampler gives.

    Sampling follows MindSpore: with no sampler, shuffle (default True) gives a RandomSampler (with
    num_samples: drawn with replacement, as MindSpore does), num_shards/shard_id a
    DistributedSampler; a sampler excludes shuffle, shards and num_samples.
    """

    _stage = True
    _row_mb = (None, None)  # (input MB, output MB) of process workers' shared memory (GeneratorDataset's max_rowsize)

    def __init__(self, source, num_samples=None, shuffle=None, sampler=None, num_shards=None,
                 shard_id=None, num_parallel_workers=None, cache=None, python_multiprocessing=False):
        owner = type(self).__name__
        _check_sampling(owner, num_samples, shuffle, sampler, num_shards, shard_id)
        check_workers(owner, num_parallel_workers)
        super().__init__(num_parallel_workers=num_parallel_workers, cache=cache)
        self.source = source
        self.shuffle_flag = shuffle
        self.num_shards = num_shards
        self.shard_id = shard_id
        self.python_multiprocessing = python_multiprocessing
        self.sampler = ds_samplers.select_sampler(num_samples, sampler, shuffle, num_shards, shard_id)
        self.num_samples = num_samples

    def get_col_names(self):
        return list(self.source.column_names)

    def _num_rows(self):
        total = len(self.source)
        try:
            return self.sampler._count(total)
        except NotImplementedError:
            return len(self.sampler._sample_ids(total, 0, 0, self.source))

    def use_sampler(self, new_sampler):
        """Replace the sampler (used by split)."""
        self.sampler = new_sampler
        self._dataset_size = None

    def add_sampler(self, new_sampler):
        """Make the current sampler the child of new_sampler."""
        new_sampler.add_child(self.sampler)
        self.sampler = new_sampler
        self._dataset_size = None

    def _read(self, index):
        """Row `index` of the source as a tuple of arrays, through the cache if there is one."""
        if self.cache is not None:
            key = (_description(self.source), int(index))
            row = self.cache.get(key)
            if row is not None:
                return tuple(row)
            row = to_row(self.source[int(index)], type(self).__name__)
            self.cache.put(key, row)
            return row
        return to_row(self.source[int(index)], type(self).__name__)

    def _work(self):
        """What a worker does with an item (pass, position, source index): read the row."""
        owner = type(self).__name__

        def work(item):
            pass_id, position, index = item
            return run_row(lambda: self._read(index), self._seed, self._op, pass_id, position,
                           f"{owner}: reading row {index} (position {position} of the pass)")

        return work

    def _prepare(self, run):
        self._seed = run.seed
        self._op = run.op_id(self)
        name = self._stage_name(run)
        workers = run.workers(name, self._workers())
        if self.python_multiprocessing and workers > 1:
            run._pool(name, self._work(), workers, self._row_mb)

    def _rows(self, run, pass_id, start):
        ids = self.sampler._sample_ids(len(self.source), pass_id, run.seed, self.source)
        name = self._stage_name(run)
        items = ((pass_id, position, ids[position]) for position in range(start, len(ids)))
        yield from run.map_rows(items, self._work(), run.workers(name, self._workers()), name,
                                processes=self.python_multiprocessing)


def _check_sampling(owner, num_samples, shuffle, sampler, num_shards, shard_id):
    """MindSpore's rules for sampler/shuffle/num_samples/num_shards/shard_id (RuntimeError on conflict)."""
    if num_samples is not None:
        if not isinstance(num_samples, int) or isinstance(num_samples, bool):
            raise TypeError(f"{owner}: 'num_samples' must be an int, got {type(num_samples).__name__}")
        if num_samples < 0:
            raise ValueError(f"{owner}: 'num_samples' must be >= 0, got {num_samples}")
    if shuffle is not None and not isinstance(shuffle, (bool, Shuffle)):
        raise TypeError(f"{owner}: 'shuffle' must be a bool or Shuffle, got {type(shuffle).__name__}")
    if sampler is not None:
        if shuffle is not None:
            raise RuntimeError(f"{owner}: 'sampler' and 'shuffle' cannot be specified at the same time")
        if num_shards is not None or shard_id is not None:
            raise RuntimeError(f"{owner}: 'sampler' and sharding cannot be specified at the same time")
        if num_samples is not None:
            raise RuntimeError(f"{owner}: 'sampler' and 'num_samples' cannot be specified at the same time")
    if num_shards is not None:
        if not isinstance(num_shards, int) or isinstance(num_shards, bool):
            raise TypeError(f"{owner}: 'num_shards' must be an int, got {type(num_shards).__name__}")
        if num_shards < 1 or num_shards > INT32_MAX:
            raise ValueError(f"{owner}: 'num_shards' must be a positive int, got {num_shards}")
        if shard_id is None:
            raise RuntimeError(f"{owner}: 'num_shards' is specified and requires 'shard_id' as well")
        if not isinstance(shard_id, int) or isinstance(shard_id, bool):
            raise TypeError(f"{owner}: 'shard_id' must be an int, got {type(shard_id).__name__}")
        if shard_id < 0 or shard_id >= num_shards:
            raise ValueError(f"{owner}: 'shard_id' must be within [0, {num_shards - 1}], got {shard_id}")
    elif shard_id is not None:
        raise RuntimeError(f"{owner}: 'shard_id' is specified but 'num_shards' is not")


class _SlicesSource:
    """Contract-1 source over arrays sliced along their first axis."""

    def __init__(self, arrays, column_names):
        self.arrays = arrays
        self.column_names = column_names

    def __len__(self):
        return len(self.arrays[0])

    def __getitem__(self, index):
        return tuple(numpy.array(array[index]) for array in self.arrays)

    def description(self):
        return f"NumpySlices({id(self)})"


def _slice_columns(data, column_names):
    """The arrays and names of NumpySlicesDataset's data (list, tuple, dict or array)."""
    owner = "NumpySlicesDataset"
    if type(data).__name__ == "DataFrame" and hasattr(data, "to_dict"):
        data = {name: numpy.asarray(values) for name, values in data.to_dict("list").items()}
    if isinstance(data, dict):
        names = [str(name) for name in data]
        arrays = [_as_column(owner, data[name]) for name in data]
        if column_names is not None:
            names = list(column_names)
    elif isinstance(data, tuple):
        arrays = [_as_column(owner, item) for item in data]
        names = column_names or [f"column_{index}" for index in range(len(arrays))]
    elif isinstance(data, (list, numpy.ndarray)):
        arrays = [_as_column(owner, data)]
        names = column_names or ["column_0"]
    else:
        raise TypeError(f"{owner}: 'data' must be a list, tuple, dict or numpy array, got {type(data).__name__}")
    if isinstance(names, str):
        names = [names]
    if len(names) != len(arrays):
        raise ValueError(f"{owner}: 'column_names' has {len(names)} names but the data has {len(arrays)} columns")
    lengths = {len(array) for array in arrays}
    if len(lengths) > 1:
        raise ValueError(f"{owner}: the columns of 'data' must have the same length, got lengths {sorted(lengths)}")
    return arrays, names


def _as_column(owner, values):
    """One column as an array sliceable along axis 0."""
    try:
        array = numpy.asarray(values)
    except ValueError as error:
        raise ValueError(f"{owner}: a column of 'data' has rows of different shapes ({error})") from None
    if array.dtype == object:
        raise ValueError(f"{owner}: a column of 'data' has rows of different shapes or types")
    if array.ndim == 0:
        raise ValueError(f"{owner}: a column of 'data' must be a sequence, got a scalar")
    return array


class NumpySlicesDataset(MappableDataset):
    """Rows sliced from Python/numpy data along the first axis: a list or array (one column), a tuple
    (one column per item) or a dict (column name -> values)."""

    def __init__(self, data, column_names=None, num_samples=None, num_parallel_workers=1, shuffle=None,
                 sampler=None, num_shards=None, shard_id=None):
        if column_names is not None and not isinstance(column_names, (str, list, tuple)):
            raise TypeError(f"NumpySlicesDataset: 'column_names' must be a str or a list of str, "
                            f"got {type(column_names).__name__}")
        names = [column_names] if isinstance(column_names, str) else column_names
        arrays, names = _slice_columns(data, list(names) if names is not None else None)
        super().__init__(_SlicesSource(arrays, names), num_samples=num_samples, shuffle=shuffle,
                         sampler=sampler, num_shards=num_shards, shard_id=shard_id,
                         num_parallel_workers=num_parallel_workers)


class _RandomAccessSource:
    """Contract-1 view of a user's random-access object (its rows converted and checked)."""

    def __init__(self, source, column_names, column_types):
        self.source = source
        self.column_names = column_names
        self.column_types = column_types

    def __len__(self):
        return len(self.source)

    def __getitem__(self, index):
        return _generator_row(self.source[index], self.column_names, self.column_types)

    def description(self):
        return f"Generator({id(self.source)})"


def _generator_row(value, names, types):
    """A row a user's source gave, as a tuple of arrays of the declared types."""
    row = to_row(value, "GeneratorDataset")
    if len(row) != len(names):
        raise RuntimeError(f"GeneratorDataset: the source gave a row of {len(row)} values but "
                           f"'column_names' has {len(names)} columns {names}")
    if types:
        row = tuple(value.astype(dtype, copy=False) if dtype is not None else value
                    for value, dtype in zip(row, types))
    return row


def _np_dtype(value, owner):
    """A numpy dtype from a sporen/MindSpore dtype, a numpy dtype or None."""
    if value is None:
        return None
    numpy_type = getattr(value, "np", None)
    if numpy_type is not None:
        return numpy.dtype(numpy_type)
    try:
        return numpy.dtype(value)
    except TypeError:
        raise TypeError(f"{owner}: unsupported column type {value!r}") from None


class Schema:
    """The columns of a dataset: names, types and shapes (MindSpore's Schema)."""

    def __init__(self, schema_file=None):
        self.columns = []
        self.num_rows = None
        if schema_file is not None:
            with open(schema_file, encoding="utf-8") as handle:
                self.from_json(json.load(handle))

    def add_column(self, name, de_type, shape=None):
        """Add a column of the given type (a sporen dtype, numpy dtype or its name) and shape."""
        if not isinstance(name, str):
            raise TypeError(f"Schema.add_column: 'name' must be a str, got {type(name).__name__}")
        dtype = _np_dtype(de_type, "Schema.add_column")
        column = {"name": name, "type": dtype.name if dtype.kind not in "US" else "string"}
        if shape is not None:
            column["shape"] = list(shape)
            column["rank"] = len(shape)
        self.columns.append(column)

    def parse_columns(self, columns):
        """Add columns from {name: {'type': ..., 'shape': ...}} or a list of such dicts with 'name'."""
        if isinstance(columns, dict):
            columns = [dict(spec, name=name) for name, spec in columns.items()]
        for spec in columns:
            self.add_column(spec["name"], spec["type"], spec.get("shape"))

    def from_json(self, json_obj):
        """Read a schema dict ({'columns': ..., 'numRows': ...})."""
        self.columns = []
        self.parse_columns(json_obj.get("columns", {}))
        self.num_rows = json_obj.get("numRows")

    def to_json(self):
        """The schema as a JSON string."""
        value = {"columns": {column["name"]: {key: item for key, item in column.items() if key != "name"}
                             for column in self.columns}}
        if self.num_rows is not None:
            value["numRows"] = self.num_rows
        return json.dumps(value, indent=2)

    def _names(self):
        return [column["name"] for column in self.columns]

    def _types(self):
        return [numpy.dtype(column["type"]) if column["type"] != "string" else None for column in self.columns]

    def __str__(self):
        return self.to_json()


class GeneratorDataset(MappableDataset):
    """Rows from a Python source: a random-access object (__getitem__ and __len__: sampled like any
    mappable source), an iterable, or a callable returning an iterator (read in order)."""

    def __init__(self, source, column_names=None, column_types=None, schema=None, num_samples=None,
                 num_parallel_workers=1, shuffle=None, sampler=None, num_shards=None, shard_id=None,
                 python_multiprocessing=True, max_rowsize=None):
        owner = "GeneratorDataset"
        if schema is not None:
            if isinstance(schema, str):
                schema = Schema(schema)
            if not isinstance(schema, Schema):
                raise TypeError(f"{owner}: 'schema' must be a Schema or a path, got {type(schema).__name__}")
            column_names = schema._names()
            column_types = schema._types()
        if column_names is None:
            raise ValueError(f"{owner}: 'column_names' or 'schema' must be given")
        if isinstance(column_names, str):
            column_names = [column_names]
        if not isinstance(column_names, (list, tuple)) or not column_names or \
                not all(isinstance(name, str) for name in column_names):
            raise TypeError(f"{owner}: 'column_names' must be a non-empty list of str, got {column_names!r}")
        if len(set(column_names)) != len(column_names):
            raise ValueError(f"{owner}: 'column_names' has duplicates: {column_names}")
        types = None
        if column_types is not None:
            if not isinstance(column_types, (list, tuple)) or len(column_types) != len(column_names):
                raise ValueError(f"{owner}: 'column_types' must be a list of {len(column_names)} types, "
                                 f"got {column_types!r}")
            types = [_np_dtype(value, owner) for value in column_types]
        if not isinstance(python_multiprocessing, bool):
            raise TypeError(f"{owner}: 'python_multiprocessing' must be a bool, "
                            f"got {type(python_multiprocessing).__name__}")
        self.random_access = hasattr(source, "__getitem__") and hasattr(source, "__len__")
        self.max_rowsize = max_rowsize
        self._row_mb = rowsizes(owner, max_rowsize)
        if self.random_access:
            wrapped = _RandomAccessSource(source, list(column_names), types)
            super().__init__(wrapped, num_samples=num_samples, shuffle=shuffle, sampler=sampler,
                             num_shards=num_shards, shard_id=shard_id, num_parallel_workers=num_parallel_workers,
                             python_multiprocessing=python_multiprocessing)
            return
        for name, value in (("sampler", sampler), ("shuffle", shuffle), ("num_shards", num_shards)):
            if value is not None:
                raise ValueError(f"{owner}: '{name}' is not supported if the source does not have "
                                 f"'__getitem__' and '__len__'")
        if not callable(source) and not hasattr(source, "__iter__"):
            raise TypeError(f"{owner}: 'source' must be callable, iterable or random-accessible, "
                            f"got {type(source).__name__}")
        check_workers(owner, num_parallel_workers)
        _check_sampling(owner, num_samples, None, None, None, None)
        Dataset.__init__(self, num_parallel_workers=num_parallel_workers)
        self.source = source
        self.column_names_ = list(column_names)
        self.column_types_ = types
        self.num_samples = num_samples
        self.python_multiprocessing = python_multiprocessing
        self.sampler = None

    def get_col_names(self):
        if self.random_access:
            return super().get_col_names()
        return list(self.column_names_)

    def _num_rows(self):
        if self.random_access:
            return super()._num_rows()
        if hasattr(self.source, "__len__"):
            count = len(self.source)
            if self.num_samples:
                count = min(count, self.num_samples)
            return count
        return None

    def _prepare(self, run):
        if self.random_access:
            super()._prepare(run)

    def _rows(self, run, pass_id, start):
        if self.random_access:
            yield from super()._rows(run, pass_id, start)
            return
        source = self.source() if callable(self.source) else self.source
        limit = self.num_samples if self.num_samples else None
        for position, value in enumerate(iter(source)):
            if limit is not None and position >= limit:
                return
            if position < start:
                continue
            yield _generator_row(value, self.column_names_, self.column_types_)

