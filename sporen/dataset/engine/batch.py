"""Batching: batch (fixed or per-batch sizes, per_batch_map), padded_batch (pad_info) and
bucket_batch_by_length, with MindSpore's column rules and clear errors for ragged rows."""
import threading

import numpy

from .datasets import Dataset, check_workers, to_array
from .runtime import FreshRow, rowsizes, run_row

__all__ = ["BatchDataset", "BucketBatchByLengthDataset", "BatchInfo"]

INT32_MAX = 2147483647


class BatchInfo:
    """What a callable batch_size or a per_batch_map is told: the batch and epoch numbers."""

    def __init__(self, batch_num, epoch_num):
        self._batch_num = batch_num
        self._epoch_num = epoch_num

    def get_batch_num(self):
        """The index of the batch in its epoch."""
        return self._batch_num

    def get_epoch_num(self):
        """The index of the epoch."""
        return self._epoch_num


def stack_column(owner, name, values):
    """Stack one column's values into a batch; rows of different shapes are an error naming them."""
    first = values[0].shape
    for value in values[1:]:
        if value.shape != first:
            raise RuntimeError(f"{owner}: column '{name}' has rows of different shapes in one batch: "
                               f"{first} and {value.shape}; pad them (padded_batch with pad_info) or make "
                               f"them equal with a map before batch")
    return numpy.stack(values)


def pad_column(owner, name, values, shape, value):
    """Pad a column's values to `shape` (None dims: the batch's largest) with `value`, then stack."""
    ranks = {array.ndim for array in values}
    if len(ranks) != 1:
        raise RuntimeError(f"{owner}: column '{name}' has rows of different ranks {sorted(ranks)}")
    largest = numpy.max([array.shape for array in values], axis=0) if values[0].ndim else ()
    if shape is None:
        target = tuple(int(size) for size in largest)
    else:
        if len(shape) != values[0].ndim:
            raise RuntimeError(f"{owner}: pad_info's shape {list(shape)} for column '{name}' does not have "
                               f"the rank {values[0].ndim} of its rows")
        target = tuple(int(largest[axis]) if size is None else int(size) for axis, size in enumerate(shape))
    fill = 0 if value is None else value
    dtype = values[0].dtype
    out = numpy.full((len(values),) + target, fill, dtype=dtype)
    for index, array in enumerate(values):
        if any(have > want for have, want in zip(array.shape, target)):
            raise RuntimeError(f"{owner}: column '{name}' has a row of shape {array.shape}, larger than the "
                               f"pad shape {list(target)}")
        out[(index,) + tuple(slice(0, size) for size in array.shape)] = array
    return out


def _check_pad_info(owner, pad_info, names):
    if pad_info is None:
        return None
    if not isinstance(pad_info, dict):
        raise TypeError(f"{owner}: 'pad_info' must be a dict, got {type(pad_info).__name__}")
    for name, spec in pad_info.items():
        if name not in names:
            raise ValueError(f"{owner}: pad_info names column '{name}', which is not a column of {names}")
        if not isinstance(spec, tuple) or len(spec) != 2:
            raise TypeError(f"{owner}: pad_info['{name}'] must be a tuple (shape, pad value), got {spec!r}")
        shape = spec[0]
        if shape is not None and (not isinstance(shape, (list, tuple)) or
                                  not all(size is None or (isinstance(size, int) and size > 0) for size in shape)):
            raise ValueError(f"{owner}: pad_info['{name}'] shape must be None or a list of positive ints or None, "
                             f"got {shape!r}")
    return pad_info


def collate(owner, names, rows, pad_info):
    """Stack rows into one batch row, padding the columns pad_info names ({}: every column)."""
    out = []
    for position, name in enumerate(names):
        values = [row[position] for row in rows]
        if pad_info is not None and (not pad_info or name in pad_info):
            shape, value = pad_info.get(name, (None, 0))
            out.append(pad_column(owner, name, values, shape, value))
        else:
            out.append(stack_column(owner, name, values))
    return tuple(out)


class BatchDataset(Dataset):
    """batch / padded_batch: batch_size consecutive rows stacked into one row (the last, smaller batch
    dropped with drop_remainder); batch_size may be a callable of BatchInfo; per_batch_map(*column
    lists, batch_info) may transform each batch's input_columns into output_columns first."""

    _stage = True
    _op_name = "BatchOp"

    def __init__(self, child, batch_size, drop_remainder=False, num_parallel_workers=None, per_batch_map=None,
                 input_columns=None, output_columns=None, python_multiprocessing=False, max_rowsize=16,
                 pad_info=None, _padded=False):
        owner = "padded_batch" if _padded else "batch"
        if callable(batch_size):
            self._size_function = batch_size
        else:
            if not isinstance(batch_size, int) or isinstance(batch_size, bool):
                raise TypeError(f"{owner}: 'batch_size' must be an int or a callable, got {type(batch_size).__name__}")
            if batch_size < 1 or batch_size > INT32_MAX:
                raise ValueError(f"{owner}: 'batch_size' must be within [1, {INT32_MAX}], got {batch_size}")
            self._size_function = None
        if not isinstance(drop_remainder, bool):
            raise TypeError(f"{owner}: 'drop_remainder' must be a bool, got {type(drop_remainder).__name__}")
        check_workers(owner, num_parallel_workers)
        if per_batch_map is not None and not callable(per_batch_map):
            raise TypeError(f"{owner}: 'per_batch_map' must be callable, got {type(per_batch_map).__name__}")
        super().__init__([child], num_parallel_workers=num_parallel_workers)
        from .ops import column_list
        names = child.get_col_names()
        self.owner = owner
        self.batch_size = batch_size
        self.drop_remainder = drop_remainder
        self.per_batch_map = per_batch_map
        self.python_multiprocessing = python_multiprocessing
        self.max_rowsize = max_rowsize
        self._row_mb = rowsizes("batch", max_rowsize)
        self.pad_info = _check_pad_info(owner, pad_info, names)
        self.input_columns = column_list(owner, "input_columns", input_columns, names) or list(names)
        self.output_columns = column_list(owner, "output_columns", output_columns) or list(self.input_columns)
        if per_batch_map is None and (input_columns is not None or output_columns is not None):
            raise ValueError(f"{owner}: 'input_columns' and 'output_columns' need a 'per_batch_map'")
        self._input_positions = [names.index(name) for name in self.input_columns]
        if len(self.input_columns) == len(self.output_columns):
            layout = list(names)
            for name_in, name_out in zip(self.input_columns, self.output_columns):
                layout[names.index(name_in)] = name_out
            self._kept = None
        else:
            self._kept = [position for position, name in enumerate(names) if name not in self.input_columns]
            layout = self.output_columns + [names[position] for position in self._kept]
        self._layout = layout
        self._batch_size = batch_size if self._size_function is None else None

    def get_col_names(self):
        return list(self._layout)

    def _num_rows(self):
        if self._size_function is not None:
            return None
        size = self.children[0]._num_rows()
        if size is None or size == -1:
            return size
        if self.drop_remainder:
            return size // self.batch_size
        return -(-size // self.batch_size)

    def _groups(self, rows, pass_id, first_batch, sink=None):
        """(pass, batch number, rows, the batch's columns already stacked or None) for each batch of a
        pass. With a sink (fixed batch sizes), each row is copied into its batch's arrays as it comes,
        unless the map's workers already put it there."""
        batch_num = first_batch
        try:
            want = self._wanted(batch_num, pass_id)
            group = []
            for row in rows:
                if sink is not None:
                    sink.add(batch_num * want + len(group), row)
                group.append(row)
                if len(group) == want:
                    yield (pass_id, batch_num, group, sink.take(batch_num, want) if sink is not None else None)
                    batch_num += 1
                    want = self._wanted(batch_num, pass_id)
                    group = []
            if group and not self.drop_remainder:
                yield (pass_id, batch_num, group, sink.take(batch_num, len(group)) if sink is not None else None)
        finally:
            rows.close()

    def _wanted(self, batch_num, pass_id):
        if self._size_function is None:
            return self.batch_size
        size = self._size_function(BatchInfo(batch_num, pass_id))
        if not isinstance(size, (int, numpy.integer)) or size < 1:
            raise ValueError(f"{self.owner}: the callable 'batch_size' must return a positive int, got {size!r}")
        return int(size)

    def _make(self, rows, batch_num, pass_id, stacked=None):
        """One batch row from a group of rows (stacked: its columns, already stacked by _BatchSink)."""
        if stacked is not None:
            return FreshRow(stacked)
        names = self.children[0].get_col_names()
        if self.per_batch_map is None:
            return FreshRow(collate(self.owner, names, rows, self.pad_info))
        lists = [[row[position] for row in rows] for position in self._input_positions]
        result = self.per_batch_map(*lists, BatchInfo(batch_num, pass_id))
        if not isinstance(result, tuple):
            result = (result,)
        if len(result) != len(self.output_columns):
            raise RuntimeError(f"{self.owner}: per_batch_map gave {len(result)} columns but 'output_columns' has "
                               f"{len(self.output_columns)}: {self.output_columns}")
        mapped = [[to_array(value) for value in column] for column in result]
        counts = {len(column) for column in mapped}
        if self._kept is not None and counts != {len(rows)}:
            raise RuntimeError(f"{self.owner}: per_batch_map must keep {len(rows)} rows per column, "
                               f"got {sorted(counts)}")
        batched_outputs = [collate(self.owner, [name], [(value,) for value in column], _pad_of(self.pad_info, name))[0]
                           for name, column in zip(self.output_columns, mapped)]
        others = collate(self.owner, names, rows, self.pad_info)
        if self._kept is None:
            out = list(others)
            for position, value in zip(self._input_positions, batched_outputs):
                out[position] = value
            return FreshRow(out)
        return FreshRow(tuple(batched_outputs) + tuple(others[position] for position in self._kept))

    def _work(self, seed, op_id):
        def work(item):
            pass_id, batch_num, rows, stacked = item
            where = f"{self.owner} on batch {batch_num}"
            return run_row(lambda: self._make(rows, batch_num, pass_id, stacked), seed, op_id, pass_id, batch_num,
                           where)
        return work

    def _prepare(self, run):
        name = self._stage_name(run)
        workers = run.workers(name, self._workers())
        if self.python_multiprocessing and self.per_batch_map is not None and workers > 1:
            run._pool(name, self._work(run.seed, run.op_id(self)), workers, self._row_mb)

    def _rows(self, run, pass_id, start):
        child = self.children[0]
        name = self._stage_name(run)
        sink = None
        if self._size_function is None and self.per_batch_map is None and self.pad_info is None:
            sink = _BatchSink(self.batch_size, run.buffer_pool(name))
            if _fusable_map(child):
                # the map's thread workers put their rows in it; a map under two batches of one
                # pipeline (a shared node) fuses with neither
                with run.lock:
                    key = (id(child), pass_id)
                    run.sinks[key] = None if key in run.sinks else sink
        if start and self._size_function is None:
            rows = child._pipeline(run, pass_id, start * self.batch_size)
            groups = self._groups(rows, pass_id, start, sink)
        else:
            groups = _skip_groups(self._groups(child._pipeline(run, pass_id, 0), pass_id, 0, sink), start)
        workers = run.workers(name, self._workers()) if self.per_batch_map is not None else 1
        yield from run.map_rows(groups, self._work(run.seed, run.op_id(self)), workers, name,
                                processes=self.python_multiprocessing, max_rowsize=self._row_mb)


def _pad_of(pad_info, name):
    if pad_info is None:
        return None
    if not pad_info:
        return {}
    return {name: pad_info[name]} if name in pad_info else None


class _BatchSink:
    """The batches of one pass of a fixed-size batch, built as their rows come: each row's arrays
    are copied into its batch's arrays (from the stage's BufferPool, whose memory is paged in
    already) at its place, position // batch_size and position % batch_size.

    Map-and-batch fusion: when the map right under the batch runs more than one thread worker, the
    worker that made a row copies it while the row is still in its cache (the batch stage's thread
    read each 600 KB image back from the other core at two to three times the cost); with one
    worker the batch stage's thread copies the row beside it, as the row arrives. A row that does not
    fit the first one's shapes and dtypes, or a column that is not numbers, leaves the batch to
    collate, which stacks the rows or says what differs."""

    def __init__(self, size, memory):
        self.size = size
        self.memory = memory
        self.lock = threading.Lock()
        self.batches = {}

    def _batch(self, number, row):
        """The arrays of batch `number` ([] when they cannot be made from this row: not numbers)."""
        with self.lock:
            entry = self.batches.get(number)
            if entry is None:
                entry = _SinkBatch(self.size)
                if all(type(value) is numpy.ndarray and value.dtype.kind in _NUMERIC for value in row):
                    entry.arrays = [self.memory.empty((self.size,) + value.shape, value.dtype) for value in row]
                self.batches[number] = entry
            return entry

    def put(self, position, row):
        """Copy the row at `position` of the pass into its batch (a map worker, or add)."""
        number, slot = divmod(position, self.size)
        entry = self._batch(number, row)
        arrays = entry.arrays
        if not arrays or len(row) != len(arrays):
            entry.fits = False
            return
        for out, value in zip(arrays, row):
            if type(value) is not numpy.ndarray or value.shape != out.shape[1:] or value.dtype != out.dtype:
                entry.fits = False
                return
            out[slot] = value
        entry.filled[slot] = 1

    def add(self, position, row):
        """The batch stage's turn at the row: copy it unless a worker did."""
        number, slot = divmod(position, self.size)
        entry = self.batches.get(number)
        if entry is None or not entry.filled[slot]:
            self.put(position, row)

    def take(self, number, count):
        """The stacked columns of batch `number`, its first `count` rows (a copy of that part for a
        short last batch), or None: collate then stacks the rows."""
        with self.lock:
            entry = self.batches.pop(number, None)
        if entry is None or not entry.fits or not entry.arrays or sum(entry.filled[:count]) != count:
            return None
        if count == self.size:
            return tuple(entry.arrays)
        return tuple(out[:count].copy() for out in entry.arrays)


class _SinkBatch:
    __slots__ = ("arrays", "filled", "fits")

    def __init__(self, size):
        self.arrays = None
        self.filled = bytearray(size)
        self.fits = True


def _fusable_map(node):
    """Whether node is a map whose thread workers may put their rows into the batch above it: rows
    keep their positions (failed rows raise, not skipped or replaced) and run in this process."""
    from .. import config
    from .ops import MapDataset
    return (type(node) is MapDataset and not node.python_multiprocessing
            and config.get_error_samples_mode() == config.ErrorSamplesMode.RETURN)


_NUMERIC = "biufc"


def _skip_groups(groups, start):
    try:
        for position, group in enumerate(groups):
            if position >= start:
                yield group
    finally:
        groups.close()


class BucketBatchByLengthDataset(Dataset):
    """Rows sorted into buckets by length (element_length_function, or the first dimension of the
    one column named); a bucket gives a batch when it holds its bucket_batch_size rows."""

    _stage = True
    _op_name = "BucketBatchByLengthOp"

    def __init__(self, child, column_names, bucket_boundaries, bucket_batch_sizes, element_length_function=None,
                 pad_info=None, pad_to_bucket_boundary=False, drop_remainder=False):
        owner = "bucket_batch_by_length"
        from .ops import column_list
        names = child.get_col_names()
        self.column_names = column_list(owner, "column_names", column_names, names, allow_none=False)
        if not isinstance(bucket_boundaries, list) or not bucket_boundaries or \
                not all(isinstance(b, int) and b > 0 for b in bucket_boundaries):
            raise ValueError(f"{owner}: 'bucket_boundaries' must be a non-empty list of positive ints, "
                             f"got {bucket_boundaries!r}")
        if any(a >= b for a, b in zip(bucket_boundaries, bucket_boundaries[1:])):
            raise ValueError(f"{owner}: 'bucket_boundaries' must be strictly increasing, got {bucket_boundaries}")
        if not isinstance(bucket_batch_sizes, list) or len(bucket_batch_sizes) != len(bucket_boundaries) + 1 or \
                not all(isinstance(b, int) and b > 0 for b in bucket_batch_sizes):
            raise ValueError(f"{owner}: 'bucket_batch_sizes' must be a list of {len(bucket_boundaries) + 1} "
                             f"positive ints, got {bucket_batch_sizes!r}")
        if element_length_function is None and len(self.column_names) != 1:
            raise ValueError(f"{owner}: 'element_length_function' must be given when 'column_names' names "
                             f"{len(self.column_names)} columns")
        if element_length_function is not None and not callable(element_length_function):
            raise TypeError(f"{owner}: 'element_length_function' must be callable")
        super().__init__([child])
        self.bucket_boundaries = bucket_boundaries
        self.bucket_batch_sizes = bucket_batch_sizes
        self.element_length_function = element_length_function
        self.pad_info = _check_pad_info(owner, pad_info, names)
        self.pad_to_bucket_boundary = pad_to_bucket_boundary
        self.drop_remainder = drop_remainder
        self._positions = [names.index(name) for name in self.column_names]

    def get_col_names(self):
        return self.children[0].get_col_names()

    def _length(self, row):
        values = [row[position] for position in self._positions]
        if self.element_length_function is None:
            return int(values[0].shape[0]) if values[0].ndim else 1
        return int(self.element_length_function(*values))

    def _batch(self, rows, bucket):
        names = self.children[0].get_col_names()
        pad_info = self.pad_info
        if pad_info is not None and self.pad_to_bucket_boundary and bucket < len(self.bucket_boundaries):
            boundary = self.bucket_boundaries[bucket] - 1
            pad_info = {name: ([boundary] + list(shape[1:]) if shape is not None and shape and shape[0] is None
                               else ([boundary] + [None] * (rows[0][names.index(name)].ndim - 1)
                                     if shape is None else shape), value)
                        for name, (shape, value) in (pad_info or {n: (None, 0) for n in names}).items()}
        return FreshRow(collate("bucket_batch_by_length", names, rows, pad_info))

    def _rows(self, run, pass_id, start):
        buckets = [[] for _ in self.bucket_batch_sizes]
        given = 0
        rows = self.children[0]._pipeline(run, pass_id, 0)
        try:
            for row in rows:
                bucket = int(numpy.searchsorted(self.bucket_boundaries, self._length(row), side="right"))
                buckets[bucket].append(row)
                if len(buckets[bucket]) == self.bucket_batch_sizes[bucket]:
                    if given >= start:
                        yield self._batch(buckets[bucket], bucket)
                    given += 1
                    buckets[bucket] = []
        finally:
            rows.close()
        if self.drop_remainder:
            return
        for bucket, members in enumerate(buckets):
            if members:
                if given >= start:
                    yield self._batch(members, bucket)
                given += 1
