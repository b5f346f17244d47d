"""Dataset methods built on the rest of the engine: apply, sync_wait/sync_update (a pipeline that
waits for the training loop), save (to MindRecord), build_vocab, num_classes."""
import collections
import threading

import numpy

from .. import config
from .datasets import Dataset

__all__ = ["SyncWaitDataset"]


class SyncWaitDataset(Dataset):
    """sync_wait: rows pass num_batch batches at a time (of the batch op above, if any); the next
    ones wait until sync_update(condition_name) releases them and calls callback(data)."""

    _op_name = "SyncWaitOp"

    def __init__(self, child, condition_name, num_batch=1, callback=None):
        if not isinstance(condition_name, str):
            raise TypeError(f"sync_wait: 'condition_name' must be a str, got {type(condition_name).__name__}")
        if not isinstance(num_batch, int) or isinstance(num_batch, bool) or num_batch < 1:
            raise ValueError(f"sync_wait: 'num_batch' must be a positive int, got {num_batch!r}")
        if callback is not None and not callable(callback):
            raise TypeError(f"sync_wait: 'callback' must be callable, got {type(callback).__name__}")
        super().__init__([child])
        self.condition_name = condition_name
        self.num_batch = num_batch
        self.callback = callback
        self._lock = threading.Condition()
        self._allowed = 0

    def get_col_names(self):
        return self.children[0].get_col_names()

    def _num_rows(self):
        return self.children[0]._num_rows()

    def _rows_per_batch(self):
        """The batch size of the first batch op above this node (1 if none)."""
        nodes = list(self.parent)
        while nodes:
            node = nodes.pop(0)
            size = getattr(node, "batch_size", None)
            if isinstance(size, int) and not isinstance(size, bool):
                return size
            nodes.extend(node.parent)
        return 1

    def release(self, num_batch, data):
        """Let num_batch more batches through (the node's own num_batch if None); call the callback."""
        if self.callback is not None:
            self.callback(data)
        with self._lock:
            self._allowed += (num_batch or self.num_batch) * self._rows_per_batch()
            self._lock.notify_all()

    def _rows(self, run, pass_id, start):
        with self._lock:
            self._allowed = self.num_batch * self._rows_per_batch()
        rows = self.children[0]._pipeline(run, pass_id, start)
        try:
            for row in rows:
                with self._lock:
                    while self._allowed <= 0:
                        if run.stop.is_set():
                            return
                        if not self._lock.wait(timeout=config.get_callback_timeout()):
                            raise RuntimeError(f"sync_wait: condition '{self.condition_name}' was not updated "
                                               f"within {config.get_callback_timeout()} s")
                    self._allowed -= 1
                yield row
        finally:
            rows.close()


def find_sync_node(dataset, condition_name):
    """The sync_wait node of that condition in the tree under dataset."""
    nodes = [dataset]
    while nodes:
        node = nodes.pop(0)
        if isinstance(node, SyncWaitDataset) and node.condition_name == condition_name:
            return node
        nodes.extend(node.children)
    raise RuntimeError(f"sync_update: no sync_wait with condition '{condition_name}' in this pipeline")


def _mindrecord_field(value):
    """A MindRecord schema entry for a column's value."""
    if value.dtype.kind in "US":
        return {"type": "string"}
    if value.dtype == numpy.uint8 and value.ndim == 1:
        return {"type": "bytes"}
    names = {"i": "int64", "u": "int64", "b": "int32", "f": "float64" if value.dtype.itemsize == 8 else "float32"}
    kind = names.get(value.dtype.kind)
    if kind is None:
        raise TypeError(f"save: a column of dtype {value.dtype} cannot be stored in MindRecord")
    if value.dtype == numpy.int32:
        kind = "int32"
    if value.ndim == 0:
        return {"type": kind}
    return {"type": kind, "shape": [-1] + list(value.shape[1:]) if value.ndim > 1 else [-1]}


def _mindrecord_value(value, field):
    if field["type"] == "bytes":
        return value.tobytes()
    if field["type"] == "string":
        return str(value)
    if "shape" not in field:
        return value.item()
    return value.astype(field["type"])


def save(dataset, file_name, num_files=1, file_type="mindrecord"):
    """Write every row of the dataset to MindRecord file(s) (sporen.mindrecord.FileWriter)."""
    if file_type != "mindrecord":
        raise ValueError(f"save: 'file_type' must be 'mindrecord', got {file_type!r}")
    if not isinstance(num_files, int) or isinstance(num_files, bool) or not 1 <= num_files <= 1000:
        raise ValueError(f"save: 'num_files' must be an int in [1, 1000], got {num_files!r}")
    from ...mindrecord import FileWriter
    names = dataset.get_col_names()
    writer = None
    fields = None
    chunk = []
    for row in dataset.create_tuple_iterator(num_epochs=1, output_numpy=True, do_copy=False):
        if writer is None:
            fields = {name: _mindrecord_field(value) for name, value in zip(names, row)}
            writer = FileWriter(file_name, shard_num=num_files)
            writer.add_schema(fields, "saved by sporen.dataset")
        chunk.append({name: _mindrecord_value(value, fields[name]) for name, value in zip(names, row)})
        if len(chunk) == 256:
            writer.write_raw_data(chunk)
            chunk = []
    if writer is None:
        raise RuntimeError("save: the dataset is empty")
    if chunk:
        writer.write_raw_data(chunk)
    writer.commit()


def build_vocab(dataset, columns, freq_range, top_k, special_tokens, special_first):
    """A text Vocab of the tokens in columns: by frequency (then alphabetically), within freq_range,
    at most top_k, with the special tokens first or last."""
    from ..text import Vocab
    names = dataset.get_col_names()
    columns = [columns] if isinstance(columns, str) else list(columns or names[:1])
    missing = [name for name in columns if name not in names]
    if missing:
        raise ValueError(f"build_vocab: 'columns' {missing} are not columns of the dataset {names}")
    positions = [names.index(name) for name in columns]
    counts = collections.Counter()
    for row in dataset.create_tuple_iterator(num_epochs=1, output_numpy=True, do_copy=False):
        for position in positions:
            counts.update(str(token) if not isinstance(token, bytes) else token.decode("utf-8")
                          for token in numpy.asarray(row[position]).reshape(-1).tolist())
    low, high = freq_range if freq_range is not None else (None, None)
    words = [(word, count) for word, count in counts.items()
             if (low is None or count >= low) and (high is None or count <= high)]
    words.sort(key=lambda item: (-item[1], item[0]))
    if top_k is not None:
        words = words[:top_k]
    return Vocab.from_list([word for word, _ in words], special_tokens=special_tokens,
                           special_first=special_first if special_first is not None else True)


def num_classes(dataset):
    """The number of classes of the source (its class indexing or its num_classes), None if unknown."""
    indexing = dataset.get_class_indexing()
    if indexing:
        return len(indexing)
    node = dataset
    while node is not None:
        source = getattr(node, "source", None)
        count = getattr(source, "num_classes", None)
        if count is not None:
            return count() if callable(count) else count
        node = node.children[0] if node.children else None
    return None
