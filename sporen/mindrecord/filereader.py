"""FileReader: MindSpore's mindspore.mindrecord.FileReader, reading the samples of MindRecord files."""
import os

import numpy as np

from ._reader import ShardSet

__all__ = ["FileReader"]


class FileReader:
    """Read MindRecord files sample by sample, as dicts.

    Args:
        file_name (str, list[str]): one file of a set (all its shards are read) or a list of files.
        num_consumer (int): reader workers, 1 to the number of CPUs. Default: 4 (kept for the API;
            reading is sequential here).
        columns (list[str]): fields to read. Default: None, all.
        operator (int): reserved. Default: None.

    A sample is a dict: scalar fields as Python int/float/str, bytes fields as bytes and array
    fields as numpy arrays of the schema's shape (as MindSpore's populate_data gives them).
    """

    def __init__(self, file_name, num_consumer=4, columns=None, operator=None):
        if type(num_consumer) is not int:
            raise TypeError(f"FileReader: 'num_consumer' must be an int, got {type(num_consumer).__name__}")
        limit = max(os.cpu_count() or 1, 4)
        if not 1 <= num_consumer <= limit:
            raise ValueError(f"FileReader: 'num_consumer' must be between 1 and {limit}, got {num_consumer}")
        if columns is not None and not isinstance(columns, list):
            raise TypeError(f"FileReader: 'columns' must be a list of str, got {type(columns).__name__}")
        self._shards = ShardSet(file_name, "FileReader")
        if columns:
            for name in columns:
                if name not in self._shards.schema:
                    raise ValueError(f"FileReader: column {name!r} is not in the schema "
                                     f"{self._shards.column_names}")
        self._columns = list(columns) if columns else None
        self._closed = False

    def schema(self):
        """The schema dict the files were written with."""
        return dict(self._shards.schema)

    def len(self):
        """The number of samples."""
        return len(self._shards)

    def __len__(self):
        return len(self._shards)

    def get_next(self):
        """Yield every sample as a dict of the chosen columns."""
        wanted = self._columns or self._shards.column_names
        blob_wanted = [name for name in wanted if name in self._shards.blob_fields]
        for index in range(len(self._shards)):
            if self._closed:
                return
            raw, blob = self._shards.read(index)
            blobs = self._shards.blob_values(blob, blob_wanted)
            sample = {}
            for name in wanted:
                if name in blobs:
                    spec = self._shards.schema[name]
                    if spec["type"] == "bytes":
                        sample[name] = bytes(blobs[name])
                    else:
                        sample[name] = np.frombuffer(blobs[name], dtype=spec["type"]).reshape(spec["shape"])
                else:
                    sample[name] = raw[name]
            yield sample

    def close(self):
        """Stop reading and close the files."""
        self._closed = True
        self._shards.close()
