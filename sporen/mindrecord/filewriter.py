"""FileWriter: MindSpore's mindspore.mindrecord.FileWriter, writing MindRecord data files and their index.

The page layout follows shard_writer.cc (WriteByShard: CutRowGroup, AppendBlobPage, NewBlobPage,
ShiftRawPage, WriteRawPage), so that a sequence of write_raw_data calls lays rows out in the same
pages and row groups as MindSpore. Two deliberate differences: rows left over when the rows do not
divide evenly among shards go to the first shards (MindSpore picks those shards at random), and a
new file set is written under temporary names and renamed into place by commit() (index files
first, data files last), so that a crash mid-write never leaves a file that a reader takes as
complete. Appending writes new pages past the data the old header describes and rewrites the
header in place at commit, then replaces the index file atomically.
"""
import os
import struct
import warnings

import numpy as np

from . import _format
from . import _index

__all__ = ["FileWriter", "SUCCESS", "FAILED"]

SUCCESS = 0
FAILED = 1
_U64 = struct.Struct("<Q")
_TMP_SUFFIX = ".sporen-writing"
_PYTHON_TYPES = {"int": ("int32", "int64"), "float": ("float32", "float64"), "str": ("string",),
                 "bytes": ("bytes",), "int32": ("int32",), "int64": ("int64",), "float32": ("float32",),
                 "float64": ("float64",), "ndarray": ("int32", "int64", "float32", "float64")}
_INT_RANGE = {"int32": (-(1 << 31), (1 << 31) - 1), "int64": (-(1 << 63), (1 << 63) - 1)}


def _check_file_name(file_name, where):
    if not isinstance(file_name, str) or not file_name:
        raise ValueError(f"{where}: 'file_name' must be a non-empty str, got {file_name!r}")
    if file_name.endswith("/"):
        raise ValueError(f"{where}: 'file_name' must name a file, not a directory, got {file_name!r}")
    base = os.path.basename(file_name)
    forbidden = set("\\/:*?\"<>|`&';")
    if set(base) & forbidden:
        raise ValueError(f"{where}: the file name must not contain any of \\/:*?\"<>|`&';, got {base!r}")
    if base.startswith(" ") or base.endswith(" "):
        raise ValueError(f"{where}: the file name must not start or end with a space, got {base!r}")


def _new_page(page_id, shard_id, page_type, page_type_id, start_row, end_row, groups, size):
    return {"page_id": page_id, "shard_id": shard_id, "page_type": page_type, "page_type_id": page_type_id,
            "start_row_id": start_row, "end_row_id": end_row, "row_group_ids": list(groups),
            "page_size": size}


class FileWriter:
    """Write user rows (dicts) into MindRecord files: one data file per shard plus its SQLite index.

    Args:
        file_name (str): the data file's path; with ``shard_num`` > 1 each shard appends its number.
        shard_num (int): number of files, 1 to 1000. Default: 1.
        overwrite (bool): remove existing files of the same names instead of failing. Default: False.
    """

    def __init__(self, file_name, shard_num=1, overwrite=False):
        _check_file_name(file_name, "FileWriter")
        if type(shard_num) is not int:
            raise TypeError(f"FileWriter: 'shard_num' must be an int, got {type(shard_num).__name__}")
        if not _format.MIN_SHARD_COUNT <= shard_num <= _format.MAX_SHARD_COUNT:
            raise ValueError(f"FileWriter: 'shard_num' must be between {_format.MIN_SHARD_COUNT} and "
                             f"{_format.MAX_SHARD_COUNT}, got {shard_num}")
        if not isinstance(overwrite, bool):
            raise TypeError(f"FileWriter: 'overwrite' must be a bool, got {type(overwrite).__name__}")
        self._file_name = file_name
        if shard_num == 1:
            self._paths = [file_name]
        else:
            width = len(str(shard_num - 1))
            self._paths = [file_name + str(number).rjust(width, "0") for number in range(shard_num)]
        for path in self._paths:
            for existing in (path, path + ".db"):
                if os.path.exists(existing):
                    if not overwrite:
                        raise RuntimeError(f"FileWriter: {existing!r} already exists; remove it or pass "
                                           "overwrite=True")
                    os.remove(existing)
        self._append = False
        self._committed = False
        self._schema = None
        self._desc = ""
        self._index_fields = None
        self._header_size = _format.DEFAULT_HEADER_SIZE
        self._page_size = _format.DEFAULT_PAGE_SIZE
        self._compression_size = 0
        self._pages = [[] for _ in self._paths]
        self._handles = None
        self._write_paths = [path + _TMP_SUFFIX for path in self._paths]

    # ------------------------------------------------------------------------------ set-up

    @classmethod
    def open_for_append(cls, file_name):
        """Open existing MindRecord files (all shards of ``file_name``'s set) to append rows."""
        _check_file_name(file_name, "FileWriter.open_for_append")
        if not os.path.isfile(file_name):
            raise RuntimeError(f"FileWriter.open_for_append: {file_name!r} does not exist")
        header = _format.read_header(file_name)
        folder = os.path.dirname(os.path.abspath(file_name))
        paths = [os.path.join(folder, name) for name in header["shard_addresses"]]
        instance = cls.__new__(cls)
        instance._file_name = file_name
        instance._paths = paths
        instance._append = True
        instance._committed = False
        schema_entry = header["schema"][0]
        instance._schema = schema_entry["schema"]
        instance._desc = schema_entry["desc"]
        instance._index_fields = [entry["index_field"] for entry in (header["index_fields"] or [])]
        instance._header_size = int(header["header_size"])
        instance._page_size = int(header["page_size"])
        instance._compression_size = int(header.get("compression_size", 0))
        instance._pages = []
        for path in paths:
            shard_header = _format.read_header(path)
            instance._pages.append([_format.parse_page(page) for page in (shard_header["page"] or [])])
        instance._handles = None
        instance._write_paths = list(paths)
        return instance

    def add_schema(self, content, desc=None):
        """Describe the rows: {field: {"type": ..., "shape": [...]}}; returns the schema id (0)."""
        if self._schema is not None:
            raise RuntimeError("FileWriter.add_schema: a schema was already added (MindRecord holds one)")
        _format.validate_schema(content)
        if desc is not None and not isinstance(desc, str):
            raise TypeError(f"FileWriter.add_schema: 'desc' must be a str, got {type(desc).__name__}")
        self._schema = {name: dict(spec) for name, spec in content.items()}
        self._desc = desc or ""
        return 0

    def add_index(self, index_fields):
        """Choose the scalar fields that the index file records (default: every scalar field)."""
        if not index_fields or not isinstance(index_fields, list):
            raise TypeError(f"FileWriter.add_index: 'index_fields' must be a non-empty list, got {index_fields!r}")
        if self._schema is None:
            raise RuntimeError("FileWriter.add_index: add_schema must be called first")
        chosen = list(self._index_fields or [])
        for field in index_fields:
            if not isinstance(field, str):
                raise TypeError(f"FileWriter.add_index: index fields must be str, got {field!r}")
            if field not in self._schema:
                raise ValueError(f"FileWriter.add_index: {field!r} is not a field of the schema")
            spec = self._schema[field]
            if spec["type"] == "bytes" or "shape" in spec:
                raise ValueError(f"FileWriter.add_index: {field!r} is not a primitive type and cannot be an index")
            if field in chosen:
                raise ValueError(f"FileWriter.add_index: {field!r} was already added")
            chosen.append(field)
        self._index_fields = chosen
        return SUCCESS

    def set_header_size(self, header_size):
        """The bytes reserved for each file's header: 16 KB to 128 MB, a multiple of 4."""
        self._check_size("set_header_size", "header_size", header_size,
                         _format.MIN_HEADER_SIZE, _format.MAX_HEADER_SIZE)
        self._header_size = header_size
        return SUCCESS

    def set_page_size(self, page_size):
        """The bytes of each data page: 32 KB to 256 MB, a multiple of 4; one row must fit in a page."""
        self._check_size("set_page_size", "page_size", page_size, _format.MIN_PAGE_SIZE, _format.MAX_PAGE_SIZE)
        self._page_size = page_size
        return SUCCESS

    def _check_size(self, method, name, value, low, high):
        if type(value) is not int:
            raise TypeError(f"FileWriter.{method}: '{name}' must be an int, got {type(value).__name__}")
        if not low <= value <= high or value % 4:
            raise ValueError(f"FileWriter.{method}: '{name}' must be a multiple of 4 between {low} and {high}, "
                             f"got {value}")
        if self._handles is not None or self._append:
            raise RuntimeError(f"FileWriter.{method}: sizes cannot change once rows are written")

    # ------------------------------------------------------------------------------ writing

    def write_raw_data(self, raw_data, parallel_writer=False):
        """Check rows against the schema (rows that do not match are dropped with a warning, as
        MindSpore does) and write them, spread evenly over the shards. ``parallel_writer`` is
        accepted for the API; rows are written by this process alone."""
        if self._committed and not self._append:
            raise RuntimeError("FileWriter.write_raw_data: the files were committed; use "
                               "FileWriter.open_for_append to add rows")
        if self._schema is None:
            raise RuntimeError("FileWriter.write_raw_data: add_schema must be called first")
        if not isinstance(raw_data, list):
            raise TypeError(f"FileWriter.write_raw_data: 'raw_data' must be a list of dict, "
                            f"got {type(raw_data).__name__}")
        for row in raw_data:
            if not isinstance(row, dict):
                raise TypeError(f"FileWriter.write_raw_data: each row must be a dict, got {type(row).__name__}")
        if not isinstance(parallel_writer, bool):
            raise TypeError("FileWriter.write_raw_data: 'parallel_writer' must be a bool")
        rows = self._valid_rows(raw_data)
        self._open()
        if not rows:
            return SUCCESS
        raw_bytes, blobs = self._serialize(rows)
        raw_sizes = [8 + len(item) for item in raw_bytes]
        blob_sizes = [8 + len(item) for item in blobs]
        if max(raw_sizes) > self._page_size or max(blob_sizes) > self._page_size:
            raise ValueError(f"FileWriter.write_raw_data: a row ({max(max(raw_sizes), max(blob_sizes))} bytes) "
                             f"does not fit in a page of {self._page_size} bytes; call set_page_size")
        count = len(rows)
        shard_count = len(self._paths)
        per_shard = count // shard_count
        remainder = count % shard_count
        start = 0
        for shard_id in range(shard_count):
            end = start + per_shard + (1 if shard_id < remainder else 0)
            if end > start:
                self._write_shard(shard_id, start, end, raw_bytes, blobs, raw_sizes, blob_sizes)
            start = end
        return SUCCESS

    def _valid_rows(self, raw_data):
        rows = []
        for number, row in enumerate(raw_data):
            problem = self._row_problem(row)
            if problem:
                warnings.warn(f"FileWriter.write_raw_data: row {number} is dropped: {problem}", stacklevel=3)
                continue
            rows.append(row)
        return rows

    def _row_problem(self, row):
        for field, spec in self._schema.items():
            if field not in row:
                return f"there is no {field!r} in the row"
            value = row[field]
            kind = type(value).__name__
            if kind not in _PYTHON_TYPES or spec["type"] not in _PYTHON_TYPES[kind]:
                return f"{field!r} has a value of type {kind}, the schema says {spec['type']}"
            if kind == "ndarray":
                if "shape" not in spec:
                    return f"{field!r} is an array but the schema gives it no shape"
                try:
                    np.reshape(value, spec["shape"])
                except ValueError:
                    return f"{field!r} of shape {value.shape} does not fit the schema's shape {spec['shape']}"
            elif "shape" in spec:
                return f"{field!r} must be a numpy array of shape {spec['shape']}"
            elif spec["type"] in _INT_RANGE:
                low, high = _INT_RANGE[spec["type"]]
                if not low <= int(value) <= high:
                    return f"{field!r} = {value} is out of the {spec['type']} range"
        return None

    def _serialize(self, rows):
        blob_fields = _format.blob_fields_of(self._schema)
        raw_fields = [name for name in self._schema if name not in blob_fields]
        compress = _format.has_integer_array(self._schema)
        raw_bytes = []
        blobs = []
        for row in rows:
            if raw_fields:
                values = {}
                for name in raw_fields:
                    value = row[name]
                    if isinstance(value, np.generic):
                        value = value.item()
                    values[name] = value
            else:
                values = {"id": 0}
            raw_bytes.append(_format.pack_row(values))
            if blob_fields:
                blob = _format.merge_blob(self._schema, blob_fields, row)
                if compress:
                    packed = _format.compress_blob(self._schema, blob_fields, blob)
                    self._compression_size += len(blob) - len(packed)
                    blob = packed
            else:
                blob = b"\x00\x00\x00\x00"
            blobs.append(blob)
        return raw_bytes, blobs

    def _open(self):
        if self._handles is not None:
            return
        self._handles = []
        for path in self._write_paths:
            mode = "r+b" if self._append else "w+b"
            self._handles.append(open(path, mode))

    # ------------------------------------------------------------------------------ pages

    def _last_page(self, shard_id, page_type):
        for page in reversed(self._pages[shard_id]):
            if page["page_type"] == page_type:
                return page
        return None

    def _offset(self, page_id):
        return self._header_size + self._page_size * page_id

    def _write_shard(self, shard_id, start, end, raw_bytes, blobs, raw_sizes, blob_sizes):
        pages = self._pages[shard_id]
        handle = self._handles[shard_id]
        last_raw = self._last_page(shard_id, _format.PAGE_TYPE_RAW)
        last_blob = self._last_page(shard_id, _format.PAGE_TYPE_BLOB)
        groups = self._cut_row_groups(start, end, raw_sizes, blob_sizes, last_raw, last_blob)

        # the first group continues the last blob page
        first, stop = groups[0]
        if stop > first:
            handle.seek(self._offset(last_blob["page_id"]) + last_blob["page_size"])
            self._flush_blobs(handle, blobs, first, stop)
            last_blob["page_size"] += sum(blob_sizes[first:stop])
            last_blob["end_row_id"] += stop - first

        # every further group opens a new blob page
        page_id = len(pages) - 1
        page_type_id = last_blob["page_type_id"] if last_blob else -1
        current_row = last_blob["end_row_id"] if last_blob else 0
        for first, stop in groups[1:]:
            handle.seek(self._offset(page_id + 1))
            self._flush_blobs(handle, blobs, first, stop)
            page_id += 1
            page_type_id += 1
            pages.append(_new_page(page_id, shard_id, _format.PAGE_TYPE_BLOB, page_type_id, current_row,
                                   current_row + stop - first, [], sum(blob_sizes[first:stop])))
            current_row += stop - first

        last_raw = self._shift_raw_page(shard_id, groups[0], raw_sizes, last_raw)
        self._write_raw_pages(shard_id, groups, raw_bytes, raw_sizes, last_raw)

    def _cut_row_groups(self, start, end, raw_sizes, blob_sizes, last_raw, last_blob):
        blob_bytes = last_blob["page_size"] if last_blob else 0
        if last_raw:
            raw_bytes = last_raw["page_size"] - self._last_group(last_raw)[1]
        else:
            raw_bytes = 0
        groups = []
        group_start = start
        for row in range(start, end):
            too_big = (blob_bytes + blob_sizes[row] > self._page_size
                       or raw_bytes + raw_sizes[row] > self._page_size)
            if blob_bytes == 0 or too_big:
                groups.append((group_start, row))
                group_start = row
                blob_bytes = blob_sizes[row]
                raw_bytes = raw_sizes[row]
            else:
                blob_bytes += blob_sizes[row]
                raw_bytes += raw_sizes[row]
        groups.append((group_start, end))
        return groups

    @staticmethod
    def _last_group(page):
        if page["row_group_ids"]:
            return page["row_group_ids"][-1]
        return (0, 0)

    def _shift_raw_page(self, shard_id, first_group, raw_sizes, last_raw):
        """Move the last row group of the last raw page to a new raw page when the rows that
        continue it no longer fit (a row group never spans two raw pages)."""
        first, stop = first_group
        if stop == first:
            return last_raw
        last_size = last_raw["page_size"] if last_raw else 0
        if sum(raw_sizes[first:stop]) + last_size <= self._page_size:
            return last_raw
        pages = self._pages[shard_id]
        handle = self._handles[shard_id]
        page_id = len(pages) - 1
        group_offset = self._last_group(last_raw)[1]
        shift_size = last_size - group_offset
        handle.seek(self._offset(last_raw["page_id"]) + group_offset)
        moved = handle.read(shift_size)
        handle.seek(self._offset(page_id + 1))
        handle.write(moved)
        last_raw["page_size"] = group_offset
        last_raw["row_group_ids"].pop()
        group_id = self._last_group(last_raw)[0] + 1
        # MindSpore numbers this page after the previous raw page's page_id (not its page_type_id)
        page = _new_page(page_id + 1, shard_id, _format.PAGE_TYPE_RAW, last_raw["page_id"] + 1, 0, 0,
                         [(group_id, 0)], shift_size)
        pages.append(page)
        return page

    def _write_raw_pages(self, shard_id, groups, raw_bytes, raw_sizes, last_raw):
        pages = self._pages[shard_id]
        handle = self._handles[shard_id]
        last_group_id = self._last_group(last_raw)[0] if last_raw else -1
        for chunk, (first, stop) in enumerate(groups):
            if stop == first:
                continue
            size = sum(raw_sizes[first:stop])
            if last_raw is None or last_raw["page_size"] + size > self._page_size:
                page_type_id = last_raw["page_id"] + 1 if last_raw else 0
                last_raw = _new_page(len(pages), shard_id, _format.PAGE_TYPE_RAW, page_type_id, 0, 0, [], 0)
                pages.append(last_raw)
            used = last_raw["page_size"]
            handle.seek(self._offset(last_raw["page_id"]) + used)
            if chunk > 0:
                last_group_id += 1
                last_raw["row_group_ids"].append((last_group_id, used))
            parts = []
            for row in range(first, stop):
                parts.append(_U64.pack(len(raw_bytes[row])))
                parts.append(raw_bytes[row])
            handle.write(b"".join(parts))
            last_raw["page_size"] = used + size

    @staticmethod
    def _flush_blobs(handle, blobs, first, stop):
        parts = []
        for row in range(first, stop):
            parts.append(_U64.pack(len(blobs[row])))
            parts.append(blobs[row])
        handle.write(b"".join(parts))

    # ------------------------------------------------------------------------------ commit

    def _meta(self):
        index_fields = self._index_fields
        if index_fields is None:
            index_fields = _format.default_index_fields(self._schema)
        return {"header_size": self._header_size, "page_size": self._page_size,
                "compression_size": max(self._compression_size, 0), "schema": self._schema, "desc": self._desc,
                "blob_fields": _format.blob_fields_of(self._schema), "index_fields": index_fields,
                "shard_addresses": [os.path.basename(path) for path in self._paths], "pages": self._pages}

    def commit(self):
        """Write the headers and the index files; a new file set appears under its names only now."""
        if self._schema is None:
            raise RuntimeError("FileWriter.commit: add_schema must be called first")
        if self._committed and not self._append:
            raise RuntimeError("FileWriter.commit: the files were already committed")
        self._open()
        meta = self._meta()
        for shard_id, handle in enumerate(self._handles):
            text = _format.serialize_header(meta, shard_id).encode("utf-8")
            if len(text) + 8 > self._header_size:
                raise RuntimeError(f"FileWriter.commit: the header ({len(text) + 8} bytes) is larger than "
                                   f"header_size {self._header_size}; call set_header_size")
            handle.seek(0)
            handle.write(_U64.pack(len(text)) + text)
            handle.flush()
            os.fsync(handle.fileno())
            handle.close()
        self._handles = None
        temp_dbs = []
        for shard_id, path in enumerate(self._paths):
            temp_db = path + ".db" + _TMP_SUFFIX
            if os.path.exists(temp_db):
                os.remove(temp_db)
            _index.write_index(temp_db, self._write_paths[shard_id], os.path.basename(path), meta,
                               self._pages[shard_id])
            temp_dbs.append(temp_db)
        for path, temp_db in zip(self._paths, temp_dbs):
            os.replace(temp_db, path + ".db")
        for path, written in zip(self._paths, self._write_paths):
            if written != path:
                os.replace(written, path)
        for path in self._paths:
            os.chmod(path, 0o600)
            os.chmod(path + ".db", 0o600)
        self._committed = True
        if self._append:
            self._handles = None
        return SUCCESS

    def __del__(self):
        handles = getattr(self, "_handles", None)
        if handles:
            for handle in handles:
                handle.close()
            # an uncommitted new file set leaves nothing behind
            if not self._append and not self._committed:
                for path in self._write_paths:
                    if os.path.exists(path):
                        os.remove(path)
