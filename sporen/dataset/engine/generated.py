"""Datasets of rows given or generated in Python: PaddedDataset (rows given as dicts, to pad shards)
and RandomDataset (random rows following a Schema)."""
import numpy

from .. import config
from .datasets import MappableDataset, Schema, _np_dtype

__all__ = ["PaddedDataset", "RandomDataset"]


class _PaddedSource:
    """Contract-1 source over a list of {column: value} dicts."""

    def __init__(self, samples):
        self.column_names = list(samples[0])
        self.rows = [tuple(numpy.asarray(sample[name]) for name in self.column_names) for sample in samples]

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, index):
        return tuple(numpy.array(value) for value in self.rows[index])

    def description(self):
        return f"Padded({id(self)})"


class PaddedDataset(MappableDataset):
    """Rows given as a list of dicts with the same keys, read in order (MindSpore uses it to pad a
    dataset so that it divides evenly into shards, with concat and a DistributedSampler)."""

    def __init__(self, padded_samples):
        if not isinstance(padded_samples, list):
            raise TypeError(f"PaddedDataset: 'padded_samples' must be a list of dicts, "
                            f"got {type(padded_samples).__name__}")
        if not padded_samples:
            raise ValueError("PaddedDataset: 'padded_samples' must not be empty")
        if not all(isinstance(sample, dict) for sample in padded_samples):
            raise TypeError("PaddedDataset: every item of 'padded_samples' must be a dict")
        keys = list(padded_samples[0])
        for index, sample in enumerate(padded_samples):
            if list(sample) != keys:
                raise ValueError(f"PaddedDataset: sample {index} has the keys {list(sample)}, sample 0 has {keys}")
        super().__init__(_PaddedSource(padded_samples), shuffle=False, num_parallel_workers=1)


class _RandomSource:
    """Contract-1 source of random rows: row i is drawn from a generator keyed by (seed, i)."""

    def __init__(self, total_rows, names, types, shapes, seed):
        self.total_rows = total_rows
        self.column_names = names
        self.types = types
        self.shapes = shapes
        self.seed = seed

    def __len__(self):
        return self.total_rows

    def __getitem__(self, index):
        generator = numpy.random.Generator(numpy.random.PCG64([self.seed, 0x7A4D0, int(index)]))
        row = []
        for dtype, shape in zip(self.types, self.shapes):
            if shape is None:
                shape = (int(generator.integers(1, 33)),)
            if dtype.kind == "f":
                row.append(generator.random(shape).astype(dtype))
            elif dtype.kind == "b":
                row.append(generator.integers(0, 2, shape).astype(dtype))
            elif dtype.kind in "iu":
                high = min(numpy.iinfo(dtype).max, 255) + 1
                row.append(generator.integers(0, high, shape).astype(dtype))
            else:
                row.append(numpy.asarray(generator.integers(0, 1000, shape)).astype(str))
        return tuple(row)

    def description(self):
        return f"Random({self.seed}, {self.total_rows}, {self.column_names})"


class RandomDataset(MappableDataset):
    """total_rows random rows with the columns of `schema` (or, without one, a float32 column
    'column_0' of random length); the same rows for the same config seed."""

    def __init__(self, total_rows=None, schema=None, columns_list=None, num_samples=None, num_parallel_workers=None,
                 cache=None, shuffle=None, num_shards=None, shard_id=None):
        if isinstance(schema, str):
            schema = Schema(schema)
        if schema is not None and not isinstance(schema, Schema):
            raise TypeError(f"RandomDataset: 'schema' must be a Schema or a path, got {type(schema).__name__}")
        if total_rows is None:
            total_rows = schema.num_rows if schema is not None and schema.num_rows else \
                int(numpy.random.default_rng(config.get_seed()).integers(1, 1025))
        if not isinstance(total_rows, int) or isinstance(total_rows, bool) or total_rows < 1:
            raise ValueError(f"RandomDataset: 'total_rows' must be a positive int, got {total_rows!r}")
        if schema is not None and schema.columns:
            columns = list(schema.columns)
        else:
            columns = [{"name": "column_0", "type": "float32"}]
        if columns_list is not None:
            columns = [column for column in columns if column["name"] in columns_list]
            if not columns:
                raise ValueError(f"RandomDataset: 'columns_list' {columns_list} names no column of the schema")
        names = [column["name"] for column in columns]
        types = [_np_dtype(column["type"] if column["type"] != "string" else "U", "RandomDataset")
                 for column in columns]
        shapes = [tuple(column["shape"]) if "shape" in column else None for column in columns]
        source = _RandomSource(total_rows, names, types, shapes, config.get_seed())
        super().__init__(source, num_samples=num_samples, shuffle=shuffle, num_shards=num_shards, shard_id=shard_id,
                         num_parallel_workers=num_parallel_workers, cache=cache)
