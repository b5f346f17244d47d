"""Random access to the samples of a set of MindRecord files (shared by FileReader and MindDataset).

A file is accepted only when its header parses and its index file (<file>.db) exists: a file set
that FileWriter did not commit has neither under its final names. Sample locations come from the
index's INDEXES table (as MindSpore's ShardReader reads them); files are mapped lazily, once per
process, so the object pickles cheaply into worker processes.
"""
import mmap
import os
import struct

import numpy as np

from . import _format
from . import _index

_U64 = struct.Struct("<Q")


def resolve_files(dataset_files, where):
    """The data files to read: a str loads every shard of its set (from the header's
    shard_addresses, in the same folder); a list loads exactly those files."""
    if isinstance(dataset_files, str):
        if not os.path.isfile(dataset_files):
            raise ValueError(f"{where}: the MindRecord file {dataset_files!r} does not exist")
        header = _format.read_header(dataset_files)
        folder = os.path.dirname(os.path.abspath(dataset_files))
        paths = [os.path.join(folder, name) for name in header["shard_addresses"]]
    elif isinstance(dataset_files, (list, tuple)) and dataset_files:
        paths = []
        for path in dataset_files:
            if not isinstance(path, str):
                raise TypeError(f"{where}: 'dataset_files' must hold str paths, got {type(path).__name__}")
            paths.append(os.path.abspath(path))
    else:
        raise TypeError(f"{where}: 'dataset_files' must be a str or a non-empty list of str, got {dataset_files!r}")
    for path in paths:
        if not os.path.isfile(path):
            raise ValueError(f"{where}: the MindRecord file {path!r} does not exist (an incomplete file set?)")
        if not os.path.isfile(path + ".db"):
            raise ValueError(f"{where}: the index file {path + '.db'!r} does not exist (an incomplete file set?)")
    return paths


class ShardSet:
    """The samples of MindRecord files, in file order then row id order."""

    def __init__(self, dataset_files, where="MindRecord"):
        self.paths = resolve_files(dataset_files, where)
        first = _format.read_header(self.paths[0])
        entry = first["schema"][0]
        self.schema = entry["schema"]
        self.desc = entry.get("desc", "")
        self.blob_fields = list(entry["blob_fields"])
        self.header_size = int(first["header_size"])
        self.page_size = int(first["page_size"])
        self.compressed = _format.has_integer_array(self.schema)
        locations = []
        file_ids = []
        for number, path in enumerate(self.paths):
            header = first if number == 0 else _format.read_header(path)
            if header["schema"][0]["schema"] != self.schema:
                raise ValueError(f"{where}: {path!r} has a different schema from {self.paths[0]!r}")
            rows = _index.read_locations(path + ".db")
            if rows:
                needed = max(max(self.page_size * row[1] + row[3], self.page_size * row[4] + row[6]) for row in rows)
                if self.header_size + needed > os.path.getsize(path):
                    raise ValueError(f"{where}: {path!r} is truncated (its index names bytes past its end)")
            locations.extend(rows)
            file_ids.extend([number] * len(rows))
        table = np.array([row[1:] for row in locations], dtype=np.int64).reshape(-1, 6)
        self._table = table
        self._file_ids = np.array(file_ids, dtype=np.int32)
        self._maps = None
        self._pid = None

    @property
    def column_names(self):
        """The fields, sorted as MindSpore's schema keeps them."""
        return sorted(self.schema)

    def __len__(self):
        return int(self._table.shape[0])

    @property
    def file_ids(self):
        """The number of the file holding each sample (an int32 array)."""
        return self._file_ids

    def file_of(self, index):
        """The number of the file (in self.paths) that holds sample ``index``."""
        return int(self._file_ids[index])

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_maps"] = None
        state["_pid"] = None
        return state

    def _map(self, number):
        """The file mapped into memory (reads are slices: no system call, no GIL release per row)."""
        if self._maps is None or self._pid != os.getpid():
            self._maps = [None] * len(self.paths)
            self._pid = os.getpid()
        mapped = self._maps[number]
        if mapped is None:
            with open(self.paths[number], "rb") as handle:
                mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
            self._maps[number] = mapped
        return mapped

    def close(self):
        """Unmap the files this process mapped."""
        if self._maps is not None and self._pid == os.getpid():
            for mapped in self._maps:
                if mapped is not None:
                    mapped.close()
        self._maps = None

    def __del__(self):
        try:
            self.close()
        except (OSError, AttributeError, TypeError, BufferError):
            pass

    def read(self, index):
        """(raw dict, blob bytes) of sample ``index``."""
        raw_page, raw_start, raw_end, blob_page, blob_start, blob_end = self._table[index].tolist()
        mapped = self._map(int(self._file_ids[index]))
        raw_at = self.header_size + self.page_size * raw_page + raw_start
        (raw_len,) = _U64.unpack_from(mapped, raw_at)
        raw = _format.unpack_row(mapped[raw_at + 8:raw_at + 8 + raw_len])
        blob_at = self.header_size + self.page_size * blob_page + blob_start
        (blob_len,) = _U64.unpack_from(mapped, blob_at)
        blob = mapped[blob_at + 8:blob_at + 8 + blob_len]
        return raw, blob

    def blob_values(self, blob, wanted):
        """The bytes of each wanted blob field, decompressed."""
        if not self.blob_fields:
            return {}
        parts = _format.split_blob(blob, self.blob_fields)
        result = {}
        for name in wanted:
            data = parts[name]
            kind = self.schema[name]["type"]
            if self.compressed and kind in ("int32", "int64"):
                data = _format.uncompress_int(data, kind)
            result[name] = data
        return result

    def column_value(self, name, raw, blobs):
        """One field of a sample as a numpy array (MindDataset's output types)."""
        spec = self.schema[name]
        kind = spec["type"]
        if name in blobs:
            if kind == "bytes":
                return np.frombuffer(blobs[name], dtype=np.uint8).copy()
            array = np.frombuffer(blobs[name], dtype=np.dtype(kind).newbyteorder("<")).astype(kind)
            return array.reshape(spec["shape"])
        value = raw[name]
        if kind == "string":
            return np.array(value, dtype=np.str_)
        return np.array(value, dtype=kind)
