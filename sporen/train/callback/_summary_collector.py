"""SummaryCollector: the callback that writes a run's summaries (loss, learning rate, weight
histograms, input images, the summary ops' values) and its lineage (hyper-parameters, dataset,
optimizer, network, metrics, seed, versions) through a SummaryRecord."""
import logging
import os
import platform
import re
import time

import numpy as np

from ...tensor import Tensor
from ._callback import Callback, _handle_loss

__all__ = ["SummaryCollector"]

logger = logging.getLogger("sporen.train")

def _check_positive_int(value, name, allow_none=False):
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"For 'SummaryCollector', the argument '{name}' must be a positive int"
                         f"{' or None' if allow_none else ''}, but got {value!r}.")


class SummaryCollector(Callback):
    """Collects summaries during ``Model.train`` / ``fit`` / ``eval`` into ``summary_dir``
    (MindSpore's ``SummaryCollector``): TensorBoard event files written by ``SummaryRecord``, and the
    run's lineage (plugins 'train_lineage', 'eval_lineage', 'custom_lineage_data': JSON records) in
    its ``_lineage`` file beside them.

    At the first step and every ``collect_freq`` steps (epochs in sink mode) it records the loss
    (scalar ``loss/auto``), the learning rate (``learning_rate/auto``), histograms of the parameters
    matching ``collect_specified_data['histogram_regular']`` (default: the first five) as
    ``<name>/auto``, the first input column as an image when it is one (``input_data/auto``), and
    whatever the summary ops put in the step. ``collect_specified_data`` keys: collect_metric,
    collect_graph, collect_train_lineage, collect_eval_lineage, collect_input_data,
    collect_dataset_graph, histogram_regular, collect_landscape (accepted; no landscape is
    computed). In GRAPH_MODE the compiled training step's graph is written once, for TensorBoard's
    graph dashboard. ``custom_lineage_data``: {str: str/int/float} stored with the lineage."""

    _DEFAULT_SPECIFIED_DATA = {
        "collect_metric": True,
        "collect_graph": True,
        "collect_train_lineage": True,
        "collect_eval_lineage": True,
        "collect_input_data": True,
        "collect_dataset_graph": True,
        "histogram_regular": None,
        "collect_landscape": None,
    }

    def __init__(self, summary_dir, collect_freq=10, collect_specified_data=None, keep_default_action=True,
                 custom_lineage_data=None, collect_tensor_freq=None, max_file_size=None, export_options=None):
        super().__init__()
        if not isinstance(summary_dir, (str, os.PathLike)) or not os.fspath(summary_dir):
            raise TypeError(f"For 'SummaryCollector', the argument 'summary_dir' must be a non-empty str, "
                            f"but got {summary_dir!r}.")
        self._summary_dir = os.path.abspath(os.fspath(summary_dir))
        os.makedirs(self._summary_dir, exist_ok=True)
        _check_positive_int(collect_freq, "collect_freq")
        _check_positive_int(collect_tensor_freq, "collect_tensor_freq", allow_none=True)
        _check_positive_int(max_file_size, "max_file_size", allow_none=True)
        if not isinstance(keep_default_action, bool):
            raise TypeError(f"For 'SummaryCollector', the argument 'keep_default_action' must be a bool, "
                            f"but got {type(keep_default_action).__name__}.")
        self._collect_freq = collect_freq
        self._collect_tensor_freq = collect_tensor_freq
        self._max_file_size = max_file_size
        self._export_options = export_options
        self._specified = self._process_specified_data(collect_specified_data, keep_default_action)
        self._custom_lineage_data = self._process_custom_lineage_data(custom_lineage_data)
        self._record = None
        self._first_step = True
        self._dataset_sink_mode = False
        self._histogram_names = None
        self._last_step = 0
        self._graph_saved = False
        self._train_start = None

    @property
    def summary_dir(self):
        """Where the event files and the lineage are written."""
        return self._summary_dir

    def _process_specified_data(self, specified, keep_default_action):
        if specified is None:
            return dict(self._DEFAULT_SPECIFIED_DATA)
        if not isinstance(specified, dict):
            raise TypeError(f"For 'SummaryCollector', the argument 'collect_specified_data' must be a dict or None, "
                            f"but got {type(specified).__name__}.")
        for key, value in specified.items():
            if key not in self._DEFAULT_SPECIFIED_DATA:
                raise ValueError(f"For 'SummaryCollector', the key {key!r} of 'collect_specified_data' is not "
                                 f"supported; supported keys: {sorted(self._DEFAULT_SPECIFIED_DATA)}.")
            if key == "histogram_regular":
                if value is not None and not isinstance(value, str):
                    raise TypeError(f"For 'SummaryCollector', 'histogram_regular' must be a str or None, "
                                    f"but got {type(value).__name__}.")
                if value is not None:
                    try:
                        re.compile(value)
                    except re.error as exc:
                        raise ValueError(f"For 'SummaryCollector', 'histogram_regular' is not a valid regular "
                                         f"expression: {exc}.") from None
            elif key == "collect_landscape":
                if value is not None and not isinstance(value, dict):
                    raise TypeError(f"For 'SummaryCollector', 'collect_landscape' must be a dict or None, "
                                    f"but got {type(value).__name__}.")
            elif not isinstance(value, bool):
                raise TypeError(f"For 'SummaryCollector', '{key}' in 'collect_specified_data' must be a bool, "
                                f"but got {type(value).__name__}.")
        if keep_default_action:
            result = dict(self._DEFAULT_SPECIFIED_DATA)
            result.update(specified)
            return result
        return dict(specified)

    @staticmethod
    def _process_custom_lineage_data(data):
        if data is None:
            return None
        if not isinstance(data, dict):
            raise TypeError(f"For 'SummaryCollector', the argument 'custom_lineage_data' must be a dict or None, "
                            f"but got {type(data).__name__}.")
        for key, value in data.items():
            if not isinstance(key, str) or isinstance(value, bool) or not isinstance(value, (str, int, float)):
                raise TypeError(f"For 'SummaryCollector', 'custom_lineage_data' must map str to str, int or float, "
                                f"but got {type(key).__name__} -> {type(value).__name__}.")
        return dict(data)

    # --- lifecycle ------------------------------------------------------------------------------
    def __enter__(self):
        from ..summary import SummaryRecord
        self._record = SummaryRecord(self._summary_dir, max_file_size=self._max_file_size, raise_exception=False,
                                     export_options=self._export_options)
        self._first_step = True
        return self

    def __exit__(self, *err):
        if self._record is not None:
            self._record.close()
            self._record = None

    def _check_callbacks(self, cb_params):
        found = [cb for cb in cb_params.get("list_callback", []) if isinstance(cb, SummaryCollector)]
        if len(found) > 1:
            raise ValueError("There are more than one SummaryCollector instance in the callback list, but only one "
                             "is allowed.")

    def on_train_begin(self, run_context):
        cb_params = run_context.original_args()
        self._check_callbacks(cb_params)
        self._record.set_mode("train")
        self._dataset_sink_mode = bool(cb_params.get("dataset_sink_mode", False))
        self._train_start = time.time()

    def on_train_step_end(self, run_context):
        cb_params = run_context.original_args()
        self._last_step = cb_params.cur_step_num
        current = cb_params.cur_epoch_num if self._dataset_sink_mode else cb_params.cur_step_num
        if self._first_step or current % self._collect_freq == 0:
            self._collect(cb_params)
            self._first_step = False

    def on_train_epoch_end(self, run_context):
        self._record.flush()

    def on_train_end(self, run_context):
        cb_params = run_context.original_args()
        if self._specified.get("collect_train_lineage"):
            self._record.add_value("train_lineage", "train_lineage", self._train_lineage(cb_params))
        if self._custom_lineage_data:
            self._record.add_value("custom_lineage_data", "custom_lineage_data", self._custom_lineage_data)
        self._record.record(cb_params.cur_step_num)
        self._record.flush()

    def on_eval_begin(self, run_context):
        self._record.set_mode("eval")

    def on_eval_end(self, run_context):
        cb_params = run_context.original_args()
        if self._specified.get("collect_eval_lineage"):
            self._record.add_value("eval_lineage", "eval_lineage",
                                   {"metrics": _plain(cb_params.get("metrics") or {}),
                                    "valid_dataset": _dataset_description(cb_params.get("valid_dataset")),
                                    "valid_dataset_size": cb_params.get("batch_num")})
            self._record.record(self._last_step)
        self._record.set_mode("train")

    # --- what is collected ----------------------------------------------------------------------
    def _collect(self, cb_params):
        step = cb_params.cur_step_num
        self._last_step = step
        if self._specified.get("collect_graph") and not self._graph_saved:
            from ..summary.graph import compiled_graph
            graph = compiled_graph(cb_params.train_network)  # None until the step ran compiled (GRAPH_MODE)
            if graph is not None:
                self._record.add_value("graph", "train_network/auto", graph)
                self._graph_saved = True
        if self._specified.get("collect_metric"):
            loss = _handle_loss(cb_params.get("net_outputs"))
            if isinstance(loss, float):
                self._record.add_value("scalar", "loss/auto", Tensor(np.array(loss, np.float32)))
            lr = _learning_rate(cb_params.get("optimizer"))
            if lr is not None:
                self._record.add_value("scalar", "learning_rate/auto", Tensor(np.array(lr, np.float32)))
        if self._specified.get("collect_input_data") and not self._dataset_sink_mode:
            image = _image_batch(cb_params.get("train_dataset_element"))
            if image is None:
                self._specified["collect_input_data"] = False
            else:
                self._record.add_value("image", "input_data/auto", image)
        for name, param in self._histogram_params(cb_params):
            self._record.add_value("histogram", f"{name}/auto", Tensor(param.asnumpy()))
        self._record.record(step, train_network=cb_params.train_network)

    def _histogram_params(self, cb_params):
        """The optimizer's parameters (else the network's trainable ones) by Parameter name: those
        matching histogram_regular, or the first five."""
        optimizer = cb_params.get("optimizer")
        params = list(getattr(optimizer, "parameters", None) or cb_params.train_network.trainable_params())
        if self._histogram_names is None:
            pattern = self._specified.get("histogram_regular")
            if pattern is None:
                self._histogram_names = [p.name for p in params][:5]
            else:
                self._histogram_names = [p.name for p in params if re.match(pattern, p.name)]
        wanted = set(self._histogram_names)
        return [(p.name, p) for p in params if p.name in wanted]

    def _train_lineage(self, cb_params):
        from ... import __version__
        from ...context import get_seed
        network = cb_params.get("network")
        optimizer = cb_params.get("optimizer")
        loss_fn = cb_params.get("loss_fn")
        dataset = cb_params.get("train_dataset")
        lineage = {
            "train_network": type(network).__name__ if network is not None else None,
            "loss_function": type(loss_fn).__name__ if loss_fn is not None else None,
            "loss": _handle_loss(cb_params.get("net_outputs")),
            "optimizer": type(optimizer).__name__ if optimizer is not None else None,
            "learning_rate": _learning_rate(optimizer),
            "epoch": cb_params.get("cur_epoch_num"),
            "step_num": cb_params.get("cur_step_num"),
            "batch_num": cb_params.get("batch_num"),
            "batch_size": _batch_size(dataset),
            "train_dataset": _dataset_description(dataset),
            "parallel_mode": str(cb_params.get("parallel_mode", "stand_alone")),
            "device_num": cb_params.get("device_number", 1),
            "parameter_count": int(sum(int(np.prod(p.shape)) for p in network.trainable_params()))
            if network is not None else None,
            "metrics": _plain(cb_params.get("eval_results") or {}),
            "seed": get_seed(),
            "versions": {"sporen": __version__, "numpy": np.__version__, "python": platform.python_version()},
            "train_seconds": round(time.time() - self._train_start, 3) if self._train_start else None,
        }
        return lineage


def _learning_rate(optimizer):
    if optimizer is None:
        return None
    lr = getattr(optimizer, "learning_rate", None)
    if getattr(optimizer, "dynamic_lr", False) or getattr(optimizer, "is_group_lr", False):
        return None
    if isinstance(lr, Tensor):
        value = lr.asnumpy()
        return float(value) if value.size == 1 else None
    return None


def _image_batch(element):
    """The first input column when it is a batch of images (N, C, H, W) with C in (1, 3, 4)."""
    if isinstance(element, (list, tuple)) and element:
        element = element[0]
    if not isinstance(element, Tensor):
        return None
    shape = element.shape
    if len(shape) != 4 or shape[1] not in (1, 3, 4):
        return None
    return element


def _batch_size(dataset):
    getter = getattr(dataset, "get_batch_size", None)
    if getter is None:
        return None
    try:
        return int(getter())
    except Exception:  # noqa: BLE001 - a description, never a reason to fail the run
        return None


def _dataset_description(dataset):
    if dataset is None:
        return None
    text = type(dataset).__name__
    size = getattr(dataset, "get_dataset_size", None)
    if size is not None:
        try:
            text += f" ({int(size())} batches)"
        except Exception:  # noqa: BLE001
            pass
    return text


def _plain(values):
    out = {}
    for key, value in values.items():
        if isinstance(value, Tensor):
            value = value.asnumpy()
        if isinstance(value, np.ndarray):
            value = value.tolist()
        elif isinstance(value, np.generic):
            value = value.item()
        out[str(key)] = value
    return out
