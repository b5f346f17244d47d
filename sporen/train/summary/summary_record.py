"""SummaryRecord: MindSpore's summary writer, writing TensorBoard event files."""
import atexit
import logging
import os
import platform
import re
import threading
import time

import numpy as np

from ...tensor import Tensor
from ._event_pb2 import Event
from .graph import compiled_graph, graph_def
from ._values import histogram_value, image_value, lineage_value, scalar_value, tensor_value
from .records import EventFileWriter, encode_record

__all__ = ["SummaryRecord"]

logger = logging.getLogger("sporen.train")

_TENSOR_PLUGINS = ("scalar", "image", "histogram", "tensor")
_LINEAGE_PLUGINS = ("train_lineage", "eval_lineage", "dataset_graph", "custom_lineage_data")
_PACKERS = {"scalar": scalar_value, "image": image_value, "histogram": histogram_value, "tensor": tensor_value}
_NAME_PATTERN = re.compile(r"^[\w.\-]*$")
_EXPORT_FORMATS = {"tensor_format": {"npy", None}}

# values handed over by the summary operators (ops.ScalarSummary ...) in PyNative mode, keyed "tag[:Type]";
# the active SummaryRecord takes them at its next record() in 'train' mode
_summary_lock = threading.Lock()
_summary_tensor_cache = {}


def _cache_summary_tensor_data(summary):
    """Keep the summary operators' values: a list of {"name": "tag[:Type]", "data": Tensor}."""
    with _summary_lock:
        for item in summary:
            _summary_tensor_cache[item["name"]] = item["data"]
    return True


def _get_summary_tensor_data():
    """Take (and clear) the cached summary operator values."""
    global _summary_tensor_cache
    with _summary_lock:
        data = _summary_tensor_cache
        _summary_tensor_cache = {}
    return data


def _check_file_affix(name, value):
    if not isinstance(value, str):
        raise TypeError(f"SummaryRecord: '{name}' must be a str, got {type(value).__name__}")
    if not _NAME_PATTERN.match(value):
        raise ValueError(f"SummaryRecord: '{name}' may only hold letters, digits, '_', '.' and '-', got {value!r}")


def _check_export_options(export_options):
    if export_options is None:
        return None
    if not isinstance(export_options, dict):
        raise TypeError(f"SummaryRecord: 'export_options' must be a dict or None, got "
                        f"{type(export_options).__name__}")
    for option, export_format in export_options.items():
        if not isinstance(option, str):
            raise TypeError(f"SummaryRecord: the keys of 'export_options' must be str, got {type(option).__name__}")
        if export_format is not None and not isinstance(export_format, str):
            raise TypeError(f"SummaryRecord: the value of export_options[{option!r}] must be a str or None, got "
                            f"{type(export_format).__name__}")
        if option not in _EXPORT_FORMATS:
            raise ValueError(f"For `export_options` the keys {{{option!r}}} are unsupported, expect the follow "
                             f"keys: {list(_EXPORT_FORMATS)}")
        if export_format not in _EXPORT_FORMATS[option]:
            raise ValueError(f"For `export_options`, the export_format {export_format!r} is unsupported for "
                             f"{option}, expect one of {sorted(_EXPORT_FORMATS[option], key=str)}")
    return export_options


def _tensor_to_numpy(plugin, value):
    """The value as a numpy array, checked for its plugin as MindSpore checks it."""
    array = np.array(value.asnumpy(), copy=True)
    if plugin == "scalar":
        if array.size != 1:
            raise ValueError(f'For "SummaryRecord", a scalar must hold one value, but got shape {array.shape}.')
    elif plugin == "image":
        if array.ndim != 4 or array.shape[1] not in (1, 3):
            raise ValueError(f'For "SummaryRecord", the tensor seems not to hold a valid image: expected NCHW with '
                             f'1 or 3 channels, got shape {array.shape}.')
    elif array.ndim == 0:
        raise ValueError(f'For "SummaryRecord", the value of a {plugin} should not be a scalar (0-D).')
    return array


class SummaryRecord:
    """Records summary data (scalars, images, histograms, tensors) and lineage to TensorBoard event files.

    ``add_value`` queues values; ``record(step)`` writes everything queued (plus the summary operators' values in
    'train' mode) as one event at that step, appended as whole TFRecord frames. The event file is
    ``<log_dir>/<file_prefix>.out.tfevents.<seconds>.<host><file_suffix>`` (the 'tfevents' mark lets TensorBoard
    find it); ``max_file_size`` (bytes) starts a new file when the next event would pass it. Lineage (the
    plugins 'train_lineage', 'eval_lineage', 'dataset_graph', 'custom_lineage_data') goes to a separate
    ``...<seconds>.<host>_lineage`` file. With ``network``, the first ``record`` after the network ran compiled
    (GRAPH_MODE) writes its graph for TensorBoard's graph dashboard (``add_value('graph', name, ir_graph)`` writes
    any sporen IR graph). Use it as a context manager, or call ``close``.
    """

    def __init__(self, log_dir, file_prefix="events", file_suffix="_MS", network=None, max_file_size=None,
                 raise_exception=False, export_options=None):
        self._closed = True
        self._writer = None
        self._lineage_writer = None
        _check_file_affix("file_prefix", file_prefix)
        _check_file_affix("file_suffix", file_suffix)
        if not isinstance(log_dir, (str, os.PathLike)):
            raise TypeError(f"SummaryRecord: 'log_dir' must be a str or path-like, got {type(log_dir).__name__}")
        if not os.fspath(log_dir):
            raise ValueError("SummaryRecord: 'log_dir' must be a non-empty path, got ''")
        if max_file_size is not None and (isinstance(max_file_size, bool) or not isinstance(max_file_size, int)):
            raise TypeError(f"SummaryRecord: 'max_file_size' must be an int or None, got "
                            f"{type(max_file_size).__name__}")
        if max_file_size is not None and max_file_size < 0:
            logger.warning("SummaryRecord: 'max_file_size' should be greater than 0; no limit is used.")
            max_file_size = None
        if not isinstance(raise_exception, bool):
            raise TypeError(f"SummaryRecord: 'raise_exception' must be a bool, got {type(raise_exception).__name__}")
        self._export_options = _check_export_options(export_options)

        self._log_dir = os.path.realpath(os.fspath(log_dir))
        os.makedirs(self._log_dir, exist_ok=True)
        self._prefix = file_prefix
        self._suffix = file_suffix
        # the host name goes into file names: anything but letters, digits, '_', '.', '-' becomes '_'
        self._host = re.sub(r"[^\w.\-]", "_", platform.node()) or "localhost"
        self._max_file_size = max_file_size
        self._raise_exception = raise_exception
        self.network = network
        self._mode = "train"
        self._data_pool = {}
        self._lineage_pool = []
        self._graph = None
        self._has_graph = False
        self._last_second = 0
        self._writer = self._new_writer()
        self._created_second = self._last_second
        self._closed = False
        _get_summary_tensor_data()  # values cached before this record existed are not this record's
        atexit.register(self.close)

    def _next_second(self):
        """A file time stamp: now, but always after the previous file's, so that new names sort last."""
        second = max(int(time.time()), self._last_second + 1)
        self._last_second = second
        return second

    def _file_path(self, second, suffix, mark="tfevents"):
        return os.path.join(self._log_dir, f"{self._prefix}.out.{mark}.{second}.{self._host}{suffix}")

    def _new_writer(self):
        """A writer on a new event file; a name taken (another record in the same second) moves to the next
        second, so no two records ever share a file."""
        while True:
            try:
                return EventFileWriter(self._file_path(self._next_second(), self._suffix))
            except FileExistsError:
                continue

    def __enter__(self):
        if self._closed:
            raise ValueError("SummaryRecord has been closed.")
        return self

    def __exit__(self, *err):
        self.close()

    @property
    def log_dir(self):
        """The full path of the event file being written."""
        return self._writer.path

    def set_mode(self, mode):
        """'train' or 'eval'; in 'eval' mode the summary operators' values are not recorded."""
        if mode not in ("train", "eval"):
            raise ValueError(f"{mode!r} is not a recognized mode.")
        self._mode = mode

    def add_value(self, plugin, name, value):
        """Queue a value for the next ``record``.

        plugin 'scalar' (a one-element Tensor), 'image' (NCHW Tensor, 1 or 3 channels), 'histogram' or 'tensor'
        (a Tensor with at least one dimension), under the tag ``name``; a second value with the same plugin and
        name before ``record`` replaces the first. Lineage plugins take a dict or a protobuf message.
        """
        if plugin in _TENSOR_PLUGINS:
            if not name or not isinstance(name, str):
                raise ValueError(f"{name!r} is not a valid tag name.")
            if not isinstance(value, Tensor):
                raise TypeError(f"Expect the value to be Tensor, but got {type(value).__name__}")
            array = _tensor_to_numpy(plugin, value)
            values = self._data_pool.setdefault(plugin, {})
            if name in values:
                logger.warning("%r has duplicate values. Only the newest one will be recorded.", f"{name}/{plugin}")
            values[name] = array
        elif plugin in _LINEAGE_PLUGINS:
            self._lineage_pool.append(lineage_value(plugin, value))
        elif plugin == "graph":
            from ...ir.graph import Graph
            if not isinstance(value, Graph):
                raise TypeError(f"SummaryRecord.add_value: a 'graph' value must be a sporen.ir Graph, got "
                                f"{type(value).__name__}")
            self._graph = value
        elif plugin == "SummaryLandscape":
            raise NotImplementedError(f"SummaryRecord.add_value: the plugin {plugin!r} is not supported yet")
        else:
            raise ValueError(f"No such plugin of {plugin!r}")

    def _take_operator_values(self):
        for full_name, tensor in _get_summary_tensor_data().items():
            match = re.match(r"(.+)\[:(.+)\]", full_name) if isinstance(full_name, str) else None
            if match is None:
                logger.warning("The name(%r) is invalid, expected 'TAG[:TYPE]'.", full_name)
                continue
            tag, plugin = match.groups()
            self.add_value(plugin.lower(), tag, tensor)

    def record(self, step, train_network=None, plugin_filter=None):
        """Write the queued values as one event at ``step``; returns True, or False when closed.

        ``plugin_filter(plugin) -> bool`` chooses which plugins are written (all are taken from the queue).
        """
        from ...nn import Cell  # here: summaries do not pull in the layers at import time

        if isinstance(step, bool) or not isinstance(step, int):
            raise TypeError(f"For 'record', the type of 'step' should be int, but got {type(step).__name__}.")
        if train_network is not None and not isinstance(train_network, Cell):
            raise TypeError(f"For 'record', 'train_network' should be a Cell or None, but got "
                            f"{type(train_network).__name__}.")
        if self._closed:
            logger.error("The record writer is closed.")
            return False
        graph = self._graph
        self._graph = None
        if graph is None and self.network is not None and not self._has_graph:
            graph = compiled_graph(self.network)
            if graph is None and train_network is not None:
                graph = compiled_graph(train_network)
            if graph is None:
                logger.debug("SummaryRecord: the network has not run compiled yet; its graph is not recorded")
        if self._mode == "train":
            self._take_operator_values()
        pool = self._data_pool
        lineage = self._lineage_pool
        self._data_pool = {}
        self._lineage_pool = []
        wall_time = time.time()
        event = Event()
        event.wall_time = wall_time
        event.step = step
        for plugin in _TENSOR_PLUGINS:
            values = pool.get(plugin)
            if not values or (plugin_filter is not None and not plugin_filter(plugin)):
                continue
            for tag, array in values.items():
                event.summary.value.append(_PACKERS[plugin](tag, array))
                if plugin == "tensor":
                    self._export_tensor(tag, step, array)
        try:
            if graph is not None:
                graph_event = Event()
                graph_event.wall_time = wall_time
                graph_event.step = step
                graph_event.graph_def = graph_def(graph).SerializeToString()
                self._write(graph_event)
                self._has_graph = True
            if event.summary.value:
                self._write(event)
            if lineage and (plugin_filter is None or any(plugin_filter(v.tag) for v in lineage)):
                self._write_lineage(lineage, step, wall_time, plugin_filter)
        except (OSError, RuntimeError) as error:
            if self._raise_exception:
                raise
            logger.error("SummaryRecord: writing step %d failed: %s", step, error)
        return True

    def _write(self, event):
        frame = encode_record(event.SerializeToString())
        if (self._max_file_size is not None and self._writer.size + len(frame) > self._max_file_size):
            # a new file; the current one ends with whole frames only
            self._writer.close()
            self._writer = self._new_writer()
        self._writer.write_frames(frame)

    def _write_lineage(self, values, step, wall_time, plugin_filter):
        if self._lineage_writer is None:
            self._lineage_writer = EventFileWriter(self._file_path(self._created_second, "_lineage", "lineage"))
        events = []
        for value in values:
            if plugin_filter is not None and not plugin_filter(value.tag):
                continue
            event = Event()
            event.wall_time = wall_time
            event.step = step
            event.summary.value.append(value)
            events.append(event)
        self._lineage_writer.write_events(events)

    def _export_tensor(self, tag, step, array):
        if self._export_options is None or self._export_options.get("tensor_format") != "npy":
            return
        folder = os.path.join(self._log_dir, f"export_{self._created_second}", "tensor")
        os.makedirs(folder, exist_ok=True)
        safe_tag = re.sub(r"[^\w.\-]", "_", tag)
        np.save(os.path.join(folder, f"{safe_tag}_{step}.npy"), array)

    def flush(self):
        """Make everything recorded so far durable on disk (fsync)."""
        if self._closed:
            logger.error("The record writer is closed and can not flush.")
            return
        self._writer.flush()
        if self._lineage_writer is not None:
            self._lineage_writer.flush()

    def close(self):
        """Flush and close the files; later ``record`` calls return False."""
        if self._closed:
            return
        self._closed = True
        atexit.unregister(self.close)
        try:
            self._writer.close()
        finally:
            if self._lineage_writer is not None:
                self._lineage_writer.close()
