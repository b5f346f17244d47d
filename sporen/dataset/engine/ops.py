"""The operations of a pipeline as MindSpore defines them: map, filter, shuffle, repeat, zip,
concat, project, rename, take, skip, split (batching lives in batch.py)."""
import copy
import logging

import numpy

from .. import config
from .. import samplers as ds_samplers
from .batch import BatchDataset, BucketBatchByLengthDataset, BatchInfo
from .datasets import Dataset, MappableDataset, check_workers, to_array
from ..transforms._base import fuse_operations
from .runtime import rowsizes, run_row

__all__ = ["MapDataset", "FilterDataset", "ShuffleDataset", "RepeatDataset", "ZipDataset", "ConcatDataset",
           "ProjectDataset", "RenameDataset", "TakeDataset", "SkipDataset", "BatchDataset",
           "BucketBatchByLengthDataset", "BatchInfo", "split_dataset", "zip_datasets"]

INT32_MAX = 2147483647
logger = logging.getLogger("sporen.dataset")


def column_list(owner, name, value, available=None, allow_none=True):
    """A str or list of str argument as a list, each name checked against the available columns."""
    if value is None:
        if allow_none:
            return None
        raise ValueError(f"{owner}: '{name}' must be given")
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, (list, tuple)) or not names or not all(isinstance(item, str) for item in names):
        raise TypeError(f"{owner}: '{name}' must be a str or a non-empty list of str, got {value!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"{owner}: '{name}' has duplicate names: {list(names)}")
    if available is not None:
        missing = [item for item in names if item not in available]
        if missing:
            raise ValueError(f"{owner}: '{name}' names {missing}, which are not columns of the dataset {available}")
    return list(names)


def check_count(owner, name, value, low):
    """An int argument >= low (or -1 where low is -1)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{owner}: '{name}' must be an int, got {type(value).__name__}")
    if value > INT32_MAX or value < low or (low == -1 and value == 0):
        expected = "-1 or a positive int" if low == -1 else f"an int >= {low}"
        raise ValueError(f"{owner}: '{name}' must be {expected}, got {value}")


def skip_rows(rows, start):
    """The rows of a generator after its first `start` (for nodes that cannot seek)."""
    for position, row in enumerate(rows):
        if position >= start:
            yield row


def apply_operations(operations, values):
    """Chain the operations over the values (a tuple); each op's result feeds the next."""
    for operation in operations:
        result = operation(*values)
        values = result if isinstance(result, tuple) else (result,)
    return values


def _operation_name(operation):
    return getattr(operation, "__name__", None) or type(operation).__name__


class MapDataset(Dataset):
    """Apply `operations` (callables, chained) to input_columns of each row; their results become
    output_columns. Same number of input and output columns: the outputs take the inputs' places;
    otherwise the outputs come first, then the untouched columns (MindSpore's rule)."""

    _stage = True
    _op_name = "MapOp"

    def __init__(self, child, operations, input_columns=None, output_columns=None, num_parallel_workers=None,
                 python_multiprocessing=False, cache=None, callbacks=None, max_rowsize=16, offload=None,
                 column_order=None):
        owner = "map"
        if callable(operations):
            operations = [operations]
        if not isinstance(operations, (list, tuple)) or not operations or not all(callable(op) for op in operations):
            raise TypeError(f"{owner}: 'operations' must be a callable or a non-empty list of callables, "
                            f"got {operations!r}")
        check_workers(owner, num_parallel_workers)
        if not isinstance(python_multiprocessing, bool):
            raise TypeError(f"{owner}: 'python_multiprocessing' must be a bool, "
                            f"got {type(python_multiprocessing).__name__}")
        super().__init__([child], num_parallel_workers=num_parallel_workers, cache=cache)
        names = child.get_col_names()
        inputs = column_list(owner, "input_columns", input_columns, names) or names[:1]
        outputs = column_list(owner, "output_columns", output_columns) or list(inputs)
        self.operations = list(operations)
        self._fused = fuse_operations(self.operations)
        self.input_columns = inputs
        self.output_columns = outputs
        self.python_multiprocessing = python_multiprocessing
        self.max_rowsize = max_rowsize
        self._row_mb = rowsizes(owner, max_rowsize)
        if callbacks is not None:
            from .callbacks import DSCallback
            callbacks = [callbacks] if isinstance(callbacks, DSCallback) else list(callbacks)
            if not all(isinstance(callback, DSCallback) for callback in callbacks):
                raise TypeError(f"{owner}: 'callbacks' must be a DSCallback or a list of DSCallbacks")
        self.callbacks = callbacks
        self._input_positions = [names.index(name) for name in inputs]
        if len(inputs) == len(outputs):
            layout = list(names)
            for name_in, name_out in zip(inputs, outputs):
                layout[names.index(name_in)] = name_out
            self._kept = None
        else:
            self._kept = [position for position, name in enumerate(names) if name not in inputs]
            layout = outputs + [names[position] for position in self._kept]
        if len(set(layout)) != len(layout):
            raise ValueError(f"{owner}: the output columns {layout} would have duplicate names")
        self._layout = layout
        self._source_for_cache = _cache_source(child) if cache is not None else None
        if cache is not None and self._source_for_cache is None:
            raise ValueError("map: 'cache' needs a random-access source below the map, with only map, "
                             "project or rename between them")
        if column_order is not None:
            self._order = column_list(owner, "column_order", column_order, layout)
        else:
            self._order = None

    def get_col_names(self):
        if self._order is not None:
            return list(self._order)
        return list(self._layout)

    def _num_rows(self):
        return self.children[0]._num_rows()

    def _apply(self, row):
        values = tuple(row[position] for position in self._input_positions)
        results = apply_operations(self._fused, values)
        if len(results) != len(self.output_columns):
            names = [_operation_name(op) for op in self.operations]
            raise RuntimeError(f"map: the operations {names} gave {len(results)} columns but 'output_columns' "
                               f"has {len(self.output_columns)}: {self.output_columns}")
        results = tuple(to_array(value) for value in results)
        if self._kept is None:
            out = list(row)
            for position, value in zip(self._input_positions, results):
                out[position] = value
        else:
            out = list(results) + [row[position] for position in self._kept]
        if self._order is not None:
            out = [out[self._layout.index(name)] for name in self._order]
        return tuple(out)

    def _work(self, seed, op_id, sink=None, parallel=None):
        """What a worker does with an item (pass, position, row, cache key): the row's result. sink: the
        _BatchSink of the batch right above, which the result is copied into while parallel() (the
        map runs more than one worker) holds."""
        names = ", ".join(_operation_name(op) for op in self.operations)
        cache = self.cache
        description = self._cache_description() if cache is not None else None

        def work(item):
            pass_id, position, row, key = item
            where = _Where("map (operations [%s], input_columns %s) on row %d", names, self.input_columns, position)
            if cache is not None:
                cached = cache.get((description, key))
                if cached is not None:
                    return tuple(cached)
            result = run_row(lambda: self._apply(row), seed, op_id, pass_id, position, where)
            if cache is not None and isinstance(result, tuple):
                cache.put((description, key), result)
            if sink is not None and isinstance(result, tuple) and parallel():
                sink.put(position, result)
            return result

        return work

    def _cache_description(self):
        return describe_chain(self.children[0])

    def _prepare(self, run):
        name = self._stage_name(run)
        workers = run.workers(name, self._workers())
        if self.python_multiprocessing and workers > 1:
            run._pool(name, self._work(run.seed, run.op_id(self)), workers, self._row_mb)

    def _rows(self, run, pass_id, start):
        child_rows = self.children[0]._pipeline(run, pass_id, start)
        keys = None
        if self._source_for_cache is not None:
            source = self._source_for_cache
            keys = source.sampler._sample_ids(len(source.source), pass_id, run.seed, source.source)
        items = _items(child_rows, pass_id, start, keys)
        name = self._stage_name(run)
        with run.lock:
            sink = run.sinks.get((id(self), pass_id))
            if sink is not None:
                run.sinks[(id(self), pass_id)] = None  # taken: a second map run of this pass gets none
        default = self._workers()
        work = self._work(run.seed, run.op_id(self), sink, lambda: run.workers(name, default) > 1)
        rows = run.map_rows(items, work, run.workers(name, default), name, processes=self.python_multiprocessing,
                            on_error=_error_policy(), max_rowsize=self._row_mb)
        if self.callbacks:
            from .callbacks import RunContext, with_callbacks
            context = run.contexts.setdefault(id(self), RunContext())
            rows = with_callbacks(rows, self.callbacks, pass_id, context)
        yield from rows


class _Where:
    """Where a row's error happened, formatted only if one did (rows are many, errors rare)."""

    __slots__ = ("text", "args")

    def __init__(self, text, *args):
        self.text = text
        self.args = args

    def __str__(self):
        return self.text % self.args


def _error_policy():
    """map's handling of failed rows under config.set_error_samples_mode (None: raise)."""
    mode = config.get_error_samples_mode()
    if mode == config.ErrorSamplesMode.RETURN:
        return None
    last_good = []

    def on_error(error):
        if mode == config.ErrorSamplesMode.SKIP:
            logger.warning("map: %s: the row is skipped (ErrorSamplesMode.SKIP): %s: %s", error.where,
                           type(error.error).__name__, error.error)
            return None
        if not last_good:
            error.reraise()
        logger.warning("map: %s: the previous good row replaces it (ErrorSamplesMode.REPLACE): %s: %s",
                       error.where, type(error.error).__name__, error.error)
        return last_good[0]

    def remember(result):
        last_good[:] = [result]
        return result

    on_error.remember = remember
    return on_error


def _items(rows, pass_id, start, keys):
    """(pass, position, row, cache key) for each row of a pass."""
    try:
        for position, row in enumerate(rows, start):
            yield (pass_id, position, row, int(keys[position]) if keys is not None else position)
    finally:
        rows.close()


def _cache_source(node):
    """The random-access source under map/project/rename nodes only, or None."""
    while isinstance(node, (MapDataset, ProjectDataset, RenameDataset)):
        node = node.children[0]
    if isinstance(node, MappableDataset) and getattr(node, "random_access", True):
        return node
    return None


def describe_chain(node):
    """A text naming the pipeline up to node (the key prefix of cached map results)."""
    parts = []
    while node is not None:
        if isinstance(node, MapDataset):
            parts.append(f"map({[_operation_name(op) for op in node.operations]}, {node.input_columns}, "
                         f"{node.output_columns})")
        elif isinstance(node, MappableDataset):
            from .datasets import _description
            parts.append(f"{type(node).__name__}({_description(node.source)})")
        else:
            parts.append(type(node).__name__)
        node = node.children[0] if node.children else None
    return " <- ".join(parts)


class FilterDataset(Dataset):
    """The rows for which predicate(*input columns) is true (all columns if input_columns is None)."""

    _stage = True
    _op_name = "FilterOp"

    def __init__(self, child, predicate, input_columns=None, num_parallel_workers=None):
        if not callable(predicate):
            raise TypeError(f"filter: 'predicate' must be callable, got {type(predicate).__name__}")
        check_workers("filter", num_parallel_workers)
        super().__init__([child], num_parallel_workers=num_parallel_workers)
        names = child.get_col_names()
        self.predicate = predicate
        self.input_columns = column_list("filter", "input_columns", input_columns, names) or names
        self._positions = [names.index(name) for name in self.input_columns]

    def get_col_names(self):
        return self.children[0].get_col_names()

    def _rows(self, run, pass_id, start):
        seed = run.seed
        op_id = run.op_id(self)
        name = _operation_name(self.predicate)

        def work(item):
            pass_id_, position, row, _ = item
            where = _Where("filter (predicate %s) on row %d", name, position)
            keep = run_row(lambda: self.predicate(*(row[p] for p in self._positions)), seed, op_id, pass_id_,
                           position, where)
            if hasattr(keep, "reraise"):
                return keep
            return (bool(numpy.all(keep)), row)

        items = _items(self.children[0]._pipeline(run, pass_id, 0), pass_id, 0, None)
        name = self._stage_name(run)
        results = run.map_rows(items, work, run.workers(name, self._workers()), name)
        kept = 0
        try:
            for result in results:
                if result[0]:
                    if kept >= start:
                        yield result[1]
                    kept += 1
        finally:
            results.close()


class ShuffleDataset(Dataset):
    """Rows shuffled through a buffer of buffer_size rows: each incoming row takes the place of a
    randomly chosen buffered row, which is given out; a new order each epoch."""

    _op_name = "ShuffleOp"

    def __init__(self, child, buffer_size):
        if not isinstance(buffer_size, int) or isinstance(buffer_size, bool):
            raise TypeError(f"shuffle: 'buffer_size' must be an int, got {type(buffer_size).__name__}")
        if buffer_size < 2 or buffer_size > INT32_MAX:
            raise ValueError(f"shuffle: 'buffer_size' must be within [2, {INT32_MAX}], got {buffer_size}")
        super().__init__([child])
        self.buffer_size = buffer_size

    def get_col_names(self):
        return self.children[0].get_col_names()

    def _num_rows(self):
        return self.children[0]._num_rows()

    def _rows(self, run, pass_id, start):
        generator = numpy.random.Generator(numpy.random.PCG64([run.seed, 0x5AFF1E, run.op_id(self), pass_id]))
        rows = self.children[0]._pipeline(run, pass_id, 0)
        yield from skip_rows(_reservoir(rows, self.buffer_size, generator), start)


def _reservoir(rows, buffer_size, generator):
    """MindSpore's shuffle buffer: fill, then swap each new row for a random buffered one."""
    buffer = []
    try:
        for row in rows:
            if len(buffer) < buffer_size:
                buffer.append(row)
                continue
            index = int(generator.integers(len(buffer)))
            chosen = buffer[index]
            buffer[index] = row
            yield chosen
    finally:
        rows.close()
    while buffer:
        index = int(generator.integers(len(buffer)))
        buffer[index], buffer[-1] = buffer[-1], buffer[index]
        yield buffer.pop()


class RepeatDataset(Dataset):
    """The child's rows count times (None or -1: forever); each repetition is a new pass (a new
    shuffle order)."""

    _op_name = "RepeatOp"

    def __init__(self, child, count=None):
        if count is None:
            count = -1
        check_count("repeat", "count", count, -1)
        super().__init__([child])
        self.count = count
        self._repeat_count = count

    def get_col_names(self):
        return self.children[0].get_col_names()

    def _num_rows(self):
        if self.count == -1:
            return -1
        size = self.children[0]._num_rows()
        return None if size is None else size * self.count

    def _rows(self, run, pass_id, start):
        child = self.children[0]
        first = 0
        child_start = start
        size = child._num_rows() if start else None
        if size:
            first, child_start = divmod(start, size)
        elif start:
            yield from skip_rows(self._rows(run, pass_id, 0), start)
            return
        repetition = first
        while self.count == -1 or repetition < self.count:
            child_pass = pass_id * self.count + repetition if self.count != -1 else repetition
            yield from child._pipeline(run, child_pass, child_start)
            child_start = 0
            repetition += 1


class ZipDataset(Dataset):
    """The rows of several datasets side by side, as many as the shortest has."""

    _op_name = "ZipOp"

    def __init__(self, datasets):
        if not datasets or not all(isinstance(item, Dataset) for item in datasets):
            raise TypeError("zip: 'datasets' must be a tuple of Datasets")
        names = [name for item in datasets for name in item.get_col_names()]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"zip: the datasets have columns of the same names {duplicates}; rename them first")
        super().__init__(list(datasets))

    def get_col_names(self):
        return [name for child in self.children for name in child.get_col_names()]

    def _num_rows(self):
        sizes = [child._num_rows() for child in self.children]
        if any(size is None for size in sizes):
            return None
        finite = [size for size in sizes if size != -1]
        return min(finite) if finite else -1

    def _rows(self, run, pass_id, start):
        streams = [child._pipeline(run, pass_id, start) for child in self.children]
        try:
            while True:
                row = ()
                for stream in streams:
                    part = next(stream, None)
                    if part is None:
                        return
                    row = row + tuple(part)
                yield row
        finally:
            for stream in streams:
                stream.close()


def zip_datasets(datasets):
    """ds.zip: the rows of the datasets side by side."""
    if not isinstance(datasets, tuple) or len(datasets) < 2:
        raise TypeError("zip: 'datasets' must be a tuple of at least two Datasets")
    return datasets[0].zip(datasets[1:])


class ConcatDataset(Dataset):
    """The rows of several datasets one after the other (same column names)."""

    _op_name = "ConcatOp"

    def __init__(self, datasets):
        if not all(isinstance(item, Dataset) for item in datasets):
            raise TypeError("concat: 'datasets' must be Datasets")
        names = datasets[0].get_col_names()
        for item in datasets[1:]:
            if item.get_col_names() != names:
                raise ValueError(f"concat: the datasets must have the same columns, got {names} and "
                                 f"{item.get_col_names()}")
        super().__init__(list(datasets))
        self.sampler = None

    def get_col_names(self):
        return self.children[0].get_col_names()

    def use_sampler(self, sampler):
        """Sample the concatenated rows (e.g. a DistributedSampler over a dataset padded with
        PaddedDataset); every dataset concatenated must be random-access."""
        if not all(isinstance(child, MappableDataset) and getattr(child, "random_access", True)
                   for child in self.children):
            raise TypeError("concat: use_sampler needs datasets that are all random-access")
        if not isinstance(sampler, ds_samplers.BuiltinSampler):
            raise TypeError(f"concat: 'sampler' must be a sampler, got {type(sampler).__name__}")
        self.sampler = sampler
        self._dataset_size = None

    def _num_rows(self):
        sizes = [child._num_rows() for child in self.children]
        if self.sampler is not None:
            return self.sampler._count(sum(sizes))
        if any(size is None for size in sizes):
            return None
        if any(size == -1 for size in sizes):
            return -1
        return sum(sizes)

    def _sampled_rows(self, run, pass_id, start):
        """Rows of the concatenation (each child's own sampler order) picked by self.sampler."""
        pieces = []
        for child in self.children:
            ids = child.sampler._sample_ids(len(child.source), pass_id, run.seed, child.source)
            pieces.extend((child, int(index)) for index in ids)
        chosen = self.sampler._sample_ids(len(pieces), pass_id, run.seed, None)
        for position in range(start, len(chosen)):
            child, index = pieces[int(chosen[position])]
            yield child._read(index)

    def _rows(self, run, pass_id, start):
        if self.sampler is not None:
            yield from self._sampled_rows(run, pass_id, start)
            return
        remaining = start
        for child in self.children:
            if remaining:
                size = child._num_rows()
                if size is not None and size != -1 and size <= remaining:
                    remaining -= size
                    continue
                if size is None:
                    rows = child._pipeline(run, pass_id, 0)
                    for row in rows:
                        if remaining:
                            remaining -= 1
                            continue
                        yield row
                    continue
            yield from child._pipeline(run, pass_id, remaining)
            remaining = 0


class ProjectDataset(Dataset):
    """Only the given columns, in the given order."""

    _op_name = "ProjectOp"

    def __init__(self, child, columns):
        super().__init__([child])
        names = child.get_col_names()
        self.columns = column_list("project", "columns", columns, names, allow_none=False)
        self._positions = [names.index(name) for name in self.columns]

    def get_col_names(self):
        return list(self.columns)

    def _num_rows(self):
        return self.children[0]._num_rows()

    def _rows(self, run, pass_id, start):
        for row in self.children[0]._pipeline(run, pass_id, start):
            yield tuple(row[position] for position in self._positions)


class RenameDataset(Dataset):
    """The same rows with some columns renamed."""

    _op_name = "RenameOp"

    def __init__(self, child, input_columns, output_columns):
        super().__init__([child])
        names = child.get_col_names()
        inputs = column_list("rename", "input_columns", input_columns, names, allow_none=False)
        outputs = column_list("rename", "output_columns", output_columns, allow_none=False)
        if len(inputs) != len(outputs):
            raise ValueError(f"rename: 'input_columns' and 'output_columns' must have the same length, "
                             f"got {len(inputs)} and {len(outputs)}")
        renamed = [outputs[inputs.index(name)] if name in inputs else name for name in names]
        if len(set(renamed)) != len(renamed):
            raise ValueError(f"rename: the result would have duplicate column names {renamed}")
        self._names = renamed

    def get_col_names(self):
        return list(self._names)

    def _num_rows(self):
        return self.children[0]._num_rows()

    def _rows(self, run, pass_id, start):
        return self.children[0]._pipeline(run, pass_id, start)


class TakeDataset(Dataset):
    """The first count rows (-1: all of them)."""

    _op_name = "TakeOp"

    def __init__(self, child, count=-1):
        check_count("take", "count", count, -1)
        super().__init__([child])
        self.count = count

    def get_col_names(self):
        return self.children[0].get_col_names()

    def _num_rows(self):
        size = self.children[0]._num_rows()
        if self.count == -1:
            return size
        if size is None:
            return None
        return self.count if size == -1 else min(size, self.count)

    def _rows(self, run, pass_id, start):
        if self.count != -1 and start >= self.count:
            return
        rows = self.children[0]._pipeline(run, pass_id, start)
        try:
            for position, row in enumerate(rows, start):
                if self.count != -1 and position >= self.count:
                    return
                yield row
        finally:
            rows.close()


class SkipDataset(Dataset):
    """All rows after the first count."""

    _op_name = "SkipOp"

    def __init__(self, child, count):
        check_count("skip", "count", count, 0)
        super().__init__([child])
        self.count = count

    def get_col_names(self):
        return self.children[0].get_col_names()

    def _num_rows(self):
        size = self.children[0]._num_rows()
        if size is None or size == -1:
            return size
        return max(0, size - self.count)

    def _rows(self, run, pass_id, start):
        return self.children[0]._pipeline(run, pass_id, start + self.count)


def _absolute_sizes(sizes, total):
    """split's sizes as row counts (fractions rounded, the rounding error given to the largest)."""
    if not isinstance(sizes, (list, tuple)) or not sizes:
        raise TypeError(f"split: 'sizes' must be a non-empty list of ints or floats, got {sizes!r}")
    if all(isinstance(size, int) and not isinstance(size, bool) for size in sizes):
        if any(size <= 0 for size in sizes):
            raise ValueError(f"split: 'sizes' must be positive, got {list(sizes)}")
        if sum(sizes) != total:
            raise RuntimeError(f"split: the sizes {list(sizes)} sum to {sum(sizes)}, not the dataset size {total}")
        return list(sizes)
    if all(isinstance(size, float) for size in sizes):
        if any(size <= 0 or size > 1 for size in sizes) or abs(sum(sizes) - 1) > 1e-6:
            raise ValueError(f"split: fractional 'sizes' must be in (0, 1] and sum to 1, got {list(sizes)}")
        absolute = [int(round(size * total)) for size in sizes]
        largest = absolute.index(max(absolute))
        absolute[largest] += total - sum(absolute)
        if any(size <= 0 for size in absolute):
            raise RuntimeError(f"split: the fractions {list(sizes)} of {total} rows give an empty split {absolute}")
        return absolute
    raise TypeError(f"split: 'sizes' must be all ints or all floats, got {list(sizes)}")


def split_dataset(dataset, sizes, randomize=True):
    """MindSpore's Dataset.split: random-access datasets split their rows (a random partition with
    randomize, fixed by config's seed); others are split in order with skip/take."""
    if not isinstance(randomize, bool):
        raise TypeError(f"split: 'randomize' must be a bool, got {type(randomize).__name__}")
    total = dataset.get_dataset_size()
    absolute = _absolute_sizes(sizes, total)
    if isinstance(dataset, MappableDataset) and getattr(dataset, "random_access", True) \
            and not getattr(dataset, "num_shards", None):
        ids = dataset.sampler._sample_ids(len(dataset.source), 0, config.get_seed(), dataset.source)
        if not dataset.sampler.is_shuffled():
            ids = numpy.sort(ids)
        if randomize:
            permutation = numpy.random.Generator(numpy.random.PCG64([config.get_seed(), 0x5B117])).permutation(len(ids))
            ids = ids[permutation]
        parts = []
        offset = 0
        for size in absolute:
            part = copy.copy(dataset)
            part.children = []
            part.parent = []
            part._dataset_size = None
            part._shapes_types = None
            chosen = [int(i) for i in ids[offset:offset + size]]
            if randomize or dataset.sampler.is_shuffled():
                part.sampler = ds_samplers.SubsetRandomSampler(chosen)
            else:
                part.sampler = ds_samplers.SubsetSampler(chosen)
            parts.append(part)
            offset += size
        return parts
    if randomize:
        raise RuntimeError("split: 'randomize' must be False for a dataset that is not random-access")
    parts = []
    offset = 0
    for size in absolute:
        parts.append(dataset.skip(offset).take(size))
        offset += size
    return parts
