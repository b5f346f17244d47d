"""The random-access sources of text files: TextFile (one row per non-empty line) and CSV.

Both index their files once (the byte range of every row) and read a row with os.pread on a
descriptor opened lazily per process, so a source holds no file contents and is cheap to pickle.
"""
import array
import csv
import glob
import os
import threading

import numpy

from . import config
from .samplers import BuiltinSampler
from .sources_common import LazyFileSource, check_index, string_array, type_name

# reader threads opening the same file at once keep one descriptor (the others would leak)
_OPEN_LOCK = threading.Lock()

CSV_INT = "int"
CSV_FLOAT = "float"
CSV_STR = "str"


def find_files(owner, dataset_files):
    """The files matching dataset_files (a path/glob pattern or a list of them), sorted (MindSpore's order)."""
    patterns = dataset_files if isinstance(dataset_files, (list, tuple)) else [dataset_files]
    if not patterns:
        raise ValueError(f"{owner}: 'dataset_files' must name at least one file, got an empty list")
    found = []
    unmatched = []
    for pattern in patterns:
        if not isinstance(pattern, str):
            raise TypeError(f"{owner}: 'dataset_files' must be a str or a list of str, got an element of type "
                            f"{type_name(pattern)}")
        matches = [match for match in glob.glob(pattern, recursive=True) if os.path.isfile(match)]
        if matches:
            found.extend(matches)
        else:
            unmatched.append(pattern)
    if unmatched:
        raise ValueError(f"{owner}: 'dataset_files' patterns matched no file: {unmatched}")
    return sorted(found)


class _LineFeed:
    """The decoded lines of a binary file for csv.reader, keeping the byte offset reached.

    csv.reader pulls exactly the lines of one record per next(), so the offsets before and after
    a record are its byte range in the file.
    """

    def __init__(self, handle):
        self.handle = handle
        self.offset = handle.tell()

    def __iter__(self):
        return self

    def __next__(self):
        line = self.handle.readline()
        if not line:
            raise StopIteration
        self.offset += len(line)
        return line.decode("utf-8")


class _RowFiles(LazyFileSource):
    """Rows stored as byte ranges of files; subclasses turn a range's bytes into a row."""

    def _setup(self, owner, files, ranges_per_file):
        """ranges_per_file: for each file, an array('q') of its rows' start, end byte offsets, flat."""
        self.owner = owner
        self.files = list(files)
        self.rows_per_file = [len(ranges) // 2 for ranges in ranges_per_file]
        self._file_of_row = numpy.concatenate(
            [numpy.full(count, k, dtype=numpy.int32) for k, count in enumerate(self.rows_per_file)])
        self._ranges = numpy.concatenate(
            [numpy.frombuffer(ranges, dtype=numpy.int64).reshape(-1, 2) for ranges in ranges_per_file])
        if len(self._ranges) == 0:
            raise RuntimeError(f"{owner}: no rows found in {self.files}")
        self._cache = {}

    def __len__(self):
        return len(self._ranges)

    def _read(self, position):
        """The bytes of row `position`, read through this process's descriptor of its file."""
        number = int(self._file_of_row[position])
        descriptor = self._cache.get(number)
        if descriptor is None:
            with _OPEN_LOCK:
                descriptor = self._cache.get(number)
                if descriptor is None:
                    descriptor = os.open(self.files[number], os.O_RDONLY)
                    self._cache[number] = descriptor
        start, end = self._ranges[position]
        return os.pread(descriptor, int(end - start), int(start))

    def file_row_starts(self):
        """The global index of each file's first row."""
        return numpy.concatenate([[0], numpy.cumsum(self.rows_per_file)[:-1]]).astype(numpy.int64)

    def __del__(self):
        for descriptor in getattr(self, "_cache", {}).values():
            try:
                os.close(descriptor)
            except OSError:
                pass


class TextFileSource(_RowFiles):
    """Rows (text,) of text files: each non-empty line, without its '\\n' (MindSpore keeps a '\\r')."""

    column_names = ["text"]

    def __init__(self, owner, files):
        ranges_per_file = []
        for path in files:
            ranges = array.array("q")
            start = 0
            with open(path, "rb") as handle:
                for line in handle:
                    # MindSpore splits at '\n' only and skips empty lines
                    text_end = start + len(line) - (1 if line.endswith(b"\n") else 0)
                    if text_end > start:
                        ranges.append(start)
                        ranges.append(text_end)
                    start += len(line)
            ranges_per_file.append(ranges)
        self._setup(owner, files, ranges_per_file)

    def __getitem__(self, index):
        position = check_index(self.owner, index, len(self._ranges))
        return (string_array(self._read(position).decode("utf-8", errors="replace")),)

    def __repr__(self):
        return f"{self.owner}(dataset_files={self.files})"

    def description(self):
        """The key of this source's rows in a cache (the same in every process)."""
        return f"{self.owner}(dataset_files={[os.path.abspath(path) for path in self.files]})"


def csv_column_types(owner, column_defaults):
    """The (type, default) of each column from MindSpore's column_defaults (int, float or str values)."""
    types = []
    for position, value in enumerate(column_defaults or []):
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise TypeError(f"{owner}: 'column_defaults' values must be int, float or str, got "
                            f"{type_name(value)} at position {position}")
        if isinstance(value, int):
            types.append((CSV_INT, value))
        elif isinstance(value, float):
            types.append((CSV_FLOAT, value))
        else:
            types.append((CSV_STR, value))
    return types


class CSVSource(_RowFiles):
    """Rows of CSV files, one column per field: int32 / float32 / string as column_defaults types them
    (string where it gives no type); an empty field takes its column's default.

    Without column_names, the first line of every file is its header, and all headers must match.
    """

    def __init__(self, owner, files, field_delim=",", column_defaults=None, column_names=None):
        self.field_delim = field_delim
        if column_names is None:
            headers = []
            for path in files:
                with open(path, "rb") as handle:
                    first = handle.readline().decode("utf-8").rstrip("\n").rstrip("\r")
                headers.append(first.split(field_delim))
            for path, header in zip(files[1:], headers[1:]):
                if header != headers[0]:
                    raise RuntimeError(f"{owner}: the header of '{path}' {header} differs from the header of "
                                       f"'{files[0]}' {headers[0]}")
            names = headers[0]
        else:
            names = list(column_names)
        if len(set(names)) != len(names):
            duplicates = sorted({name for name in names if names.count(name) > 1})
            raise RuntimeError(f"{owner}: duplicate column names {duplicates}")
        types = csv_column_types(owner, column_defaults)
        if len(types) > len(names):
            raise ValueError(f"{owner}: 'column_defaults' has {len(types)} values but there are only "
                             f"{len(names)} columns {names}")
        types += [(CSV_STR, "")] * (len(names) - len(types))
        self.column_names = names
        self.column_types = types
        ranges_per_file = [self._index(owner, path, skip_header=column_names is None) for path in files]
        self._setup(owner, files, ranges_per_file)

    def _index(self, owner, path, skip_header):
        """The byte ranges (array('q'), start/end flat) of the records of a CSV file; a quoted field
        may span lines."""
        ranges = array.array("q")
        with open(path, "rb") as handle:
            first = 0
            if skip_header:
                handle.readline()
                first = 1
            feed = _LineFeed(handle)
            reader = csv.reader(feed, delimiter=self.field_delim, strict=True)
            while True:
                start = feed.offset
                line = first + reader.line_num + 1
                try:
                    fields = next(reader)
                except StopIteration:
                    break
                except csv.Error as error:
                    raise RuntimeError(f"{owner}: failed to parse '{path}' at line {line}: {error}") from error
                if not fields:
                    continue
                if len(fields) != len(self.column_names):
                    raise RuntimeError(f"{owner}: line {line} of '{path}' has {len(fields)} fields, expected "
                                       f"{len(self.column_names)} (columns {self.column_names})")
                ranges.append(start)
                ranges.append(feed.offset)
        return ranges

    def _value(self, position, column, text):
        kind, default = self.column_types[column]
        if kind == CSV_STR:
            return string_array(text if text != "" else default)
        try:
            if kind == CSV_INT:
                return numpy.array(int(text) if text != "" else default, dtype=numpy.int32)
            return numpy.array(float(text) if text != "" else default, dtype=numpy.float32)
        except (ValueError, OverflowError) as error:
            raise RuntimeError(f"{self.owner}: row {position}, column '{self.column_names[column]}': "
                               f"'{text}' is not a valid {kind} ({error})") from error

    def __getitem__(self, index):
        position = check_index(self.owner, index, len(self._ranges))
        text = self._read(position).decode("utf-8")
        fields = next(csv.reader([text], delimiter=self.field_delim, strict=True))
        return tuple(self._value(position, column, field) for column, field in enumerate(fields))

    def __repr__(self):
        return f"{self.owner}(dataset_files={self.files})"

    def description(self):
        """The key of this source's rows in a cache (the same in every process)."""
        return (f"{self.owner}(dataset_files={[os.path.abspath(path) for path in self.files]}, "
                f"field_delim={self.field_delim!r}, columns={self.column_names}, types={self.column_types})")


# the random stream of file-order and in-file shuffles, distinct from the samplers' streams
_SALT_FILES = 0x5EED0101
_SALT_ROWS = 0x5EED0102


class FileShardSampler(BuiltinSampler):
    """The rows a pass of a text/CSV source reads, as MindSpore's non-mappable file sources read them.

    mode is 'false' (files in order, rows in order), 'files' (the files in a new order each pass),
    'infile' (rows shuffled within each file) or 'global' (files shuffled, then the rows read).
    With num_shards, the rows (in that file order) are cut into num_shards contiguous blocks of
    ceil(n / num_shards) rows, wrapping around, and shard_id takes its block; every shard draws the
    file order from config's seed, so the blocks partition the rows. num_samples caps the rows a
    shard reads (before 'global' shuffles them, as MindSpore's shuffle comes after the read).
    """

    def __init__(self, rows_per_file, mode="global", num_shards=None, shard_id=None, num_samples=None):
        super().__init__(num_samples)
        self.rows_per_file = [int(count) for count in rows_per_file]
        self.mode = mode
        self.num_shards = num_shards or 1
        self.shard_id = shard_id or 0

    def _own_shuffled(self):
        return self.mode != "false"

    def is_sharded(self):
        return self.num_shards > 1

    def _per_shard(self):
        return -(-sum(self.rows_per_file) // self.num_shards)

    def _own_count(self, num_rows):
        count = self._per_shard()
        if self.num_samples:
            return min(count, self.num_samples)
        return count

    def _own_ids(self, num_rows, pass_id, seed, source):
        counts = numpy.asarray(self.rows_per_file, dtype=numpy.int64)
        starts = numpy.concatenate([[0], numpy.cumsum(counts)[:-1]]).astype(numpy.int64)
        total = int(counts.sum())
        if total == 0:
            return numpy.zeros(0, dtype=numpy.int64)
        file_order = numpy.arange(len(counts))
        if self.mode in ("files", "global"):
            shared = numpy.random.Generator(numpy.random.PCG64([config.get_seed(), _SALT_FILES, pass_id]))
            file_order = shared.permutation(len(counts))
        ordered = numpy.concatenate([numpy.arange(starts[k], starts[k] + counts[k]) for k in file_order])
        first = self.shard_id * self._per_shard()
        positions = numpy.arange(first, first + self._per_shard()) % total
        ids = ordered[positions]
        if self.num_samples:
            ids = ids[:self.num_samples]
        local = numpy.random.Generator(numpy.random.PCG64([seed, _SALT_ROWS, pass_id]))
        if self.mode == "global":
            ids = ids[local.permutation(len(ids))]
        elif self.mode == "infile":
            file_of = numpy.searchsorted(starts, ids, side="right") - 1
            for number in numpy.unique(file_of):
                where = numpy.flatnonzero(file_of == number)
                ids[where] = ids[where][local.permutation(len(where))]
        return ids.astype(numpy.int64)

    def __repr__(self):
        return (f"FileShardSampler(mode='{self.mode}', num_shards={self.num_shards}, shard_id={self.shard_id}, "
                f"num_samples={self.num_samples})")
