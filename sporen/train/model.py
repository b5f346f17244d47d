"""Model: MindSpore's high-level training API (``train``, ``fit``, ``eval``, ``predict``) over a
network, a loss, an optimizer and metrics, driving callbacks, in PyNative and graph mode."""
import contextlib
import numbers

import numpy as np

from .. import context
from .. import dtype as mstype
from ..nn.cell import Cell
from ..nn.layer.normalization import _BatchNorm
from ..nn.wrap.cell_wrapper import TrainOneStepCell, WithEvalCell, WithLossCell
from ..nn.wrap.loss_scale import TrainOneStepWithLossScaleCell
from ..tensor import Tensor
from .callback._callback import RunContext, _CallbackManager, _InternalCallbackParam
from .loss_scale_manager import DynamicLossScaleManager, LossScaleManager

__all__ = ["Model"]

_AMP_LEVELS = ("O0", "O1", "O2", "O3", "auto")


def _to_tensor(value):
    if isinstance(value, Tensor):
        return value
    return Tensor(np.asarray(value))


def _as_tuple(row):
    if isinstance(row, dict):
        return tuple(row.values())
    if isinstance(row, (tuple, list)):
        return tuple(row)
    return (row,)


class _Batches:
    """Epochs of batches from a sporen.dataset Dataset or from any iterable of batches (tuples,
    lists or dicts of arrays/Tensors), each batch as a tuple of Tensors. A training run takes its
    epochs from one dataset iterator (``start``), as MindSpore's Model does: each epoch gets its own
    shuffle and worker processes start once."""

    def __init__(self, dataset, argname):
        self.dataset = dataset
        self.is_dataset = hasattr(dataset, "create_tuple_iterator") and hasattr(dataset, "get_dataset_size")
        self._iterator = None
        if not self.is_dataset and not hasattr(dataset, "__iter__"):
            raise TypeError(f"For 'Model', the argument '{argname}' must be a sporen.dataset Dataset or an "
                            f"iterable of batches, but got {type(dataset).__name__}.")
        if not self.is_dataset and iter(dataset) is dataset:
            raise TypeError(f"For 'Model', the argument '{argname}' is a one-shot iterator; give a Dataset or a "
                            f"re-iterable collection (a list of batches) so that every epoch sees the data.")

    def size(self):
        """Batches per epoch, or 0 when unknown."""
        if self.is_dataset:
            return int(self.dataset.get_dataset_size())
        try:
            return len(self.dataset)
        except TypeError:
            return 0

    def start(self, num_epochs):
        """One iterator for the next ``num_epochs`` passes (-1: as many as asked for)."""
        if self.is_dataset:
            self._iterator = self.dataset.create_tuple_iterator(num_epochs=num_epochs, output_numpy=False)

    def stop(self):
        """End the run's iterator (its threads and worker processes)."""
        if self._iterator is not None:
            stop = getattr(self._iterator, "stop", None)
            if stop is not None:
                stop()
            self._iterator = None

    def __enter__(self):
        return self

    def __exit__(self, *err):
        self.stop()
        return False

    def epoch(self):
        """One pass: the run's iterator's next epoch, or a fresh pass when no run is started."""
        if self._iterator is not None:
            rows = self._iterator
        elif self.is_dataset:
            rows = self.dataset.create_tuple_iterator(num_epochs=1, output_numpy=False)
        else:
            rows = iter(self.dataset)
        for row in rows:
            yield tuple(_to_tensor(v) for v in _as_tuple(row))


def _check_epoch(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"For 'Model', the argument '{name}' must be a positive int, but got {value!r}.")
    return int(value)


class Model:
    """High-level training and inference (MindSpore's ``mindspore.train.Model``).

    network: the network (Cell). loss_fn: its loss (None when the network computes its loss).
    optimizer: None when the network updates itself. metrics: a set of metric names ({"accuracy"})
    or a dict of name -> Metric, used by ``eval`` and ``fit``. eval_network / eval_indexes: a
    custom evaluation network and the positions of (loss, prediction, label) in its outputs.
    amp_level: "O0" (float32), "O2" (float16 but BatchNorm and the loss, dynamic loss scale), "O3"
    (float16), "auto" ("O0" on the CPU). kwargs: loss_scale_manager, keep_batchnorm_fp32."""

    def __init__(self, network, loss_fn=None, optimizer=None, metrics=None, eval_network=None, eval_indexes=None,
                 amp_level="O0", boost_level="O0", **kwargs):
        if not isinstance(network, Cell):
            raise TypeError(f"For 'Model', the argument 'network' must be a Cell, but got {type(network).__name__}.")
        for key in kwargs:
            if key not in ("loss_scale_manager", "keep_batchnorm_fp32", "boost_config_dict"):
                raise ValueError(f"For 'Model', the keyword arguments may be 'loss_scale_manager', "
                                 f"'keep_batchnorm_fp32' or 'boost_config_dict', but got '{key}'.")
        if amp_level not in _AMP_LEVELS:
            raise ValueError(f"For 'Model', the argument 'amp_level' must be one of {list(_AMP_LEVELS)}, "
                             f"but got {amp_level!r}.")
        if boost_level not in ("O0", "O1", "O2"):
            raise ValueError(f"For 'Model', the argument 'boost_level' must be 'O0', 'O1' or 'O2', "
                             f"but got {boost_level!r}.")
        if optimizer is None and amp_level not in ("O0", "auto"):
            raise ValueError("Auto mixed precision will not work because 'optimizer' is None. Please set "
                             "amp_level='O0' to disable auto mixed precision or set 'optimizer' not be None to use "
                             "auto mixed precision.")
        if amp_level == "auto":
            amp_level = "O0"  # MindSpore's recommended level on the CPU
        self._network = network
        self._loss_fn = loss_fn
        self._optimizer = optimizer
        self._amp_level = amp_level
        self._boost_level = boost_level
        self._loss_scale_manager = kwargs.get("loss_scale_manager")
        if self._loss_scale_manager is not None and not isinstance(self._loss_scale_manager, LossScaleManager):
            raise TypeError(f"For 'Model', the argument 'loss_scale_manager' must be a LossScaleManager, "
                            f"but got {type(self._loss_scale_manager).__name__}.")
        self._keep_bn_fp32 = kwargs.get("keep_batchnorm_fp32", amp_level == "O2")
        self._metrics = metrics
        self._metric_fns = self._get_metrics(metrics)
        self._train_network = self._build_train_network()
        self._eval_network, self._eval_indexes = self._build_eval_network(eval_network, eval_indexes)
        self._predict_network = network
        self._current_epoch_num = 0
        self._current_step_num = 0

    # --- networks -------------------------------------------------------------------------------
    @property
    def train_network(self):
        """The network one training step calls (forward, backward and update)."""
        return self._train_network

    @property
    def eval_network(self):
        """The network evaluation calls."""
        return self._eval_network

    @property
    def predict_network(self):
        """The network ``predict`` calls."""
        return self._predict_network

    def _apply_amp(self):
        if self._amp_level in ("O0", "O1"):
            return
        self._network.to_float(mstype.float16)
        if self._keep_bn_fp32:
            for _, cell in self._network.cells_and_names():
                if isinstance(cell, _BatchNorm):
                    cell.to_float(mstype.float32)
        if isinstance(self._loss_fn, Cell):
            self._loss_fn.to_float(mstype.float32)

    def _build_train_network(self):
        manager = self._loss_scale_manager
        if manager is not None and self._optimizer is None:
            raise ValueError("For 'Model', the argument 'optimizer' can not be None when 'loss_scale_manager' is set.")
        self._apply_amp()
        if self._optimizer is None:
            if self._loss_fn is not None:
                return WithLossCell(self._network, self._loss_fn)
            return self._network
        network = self._network
        if self._loss_fn is not None:
            network = WithLossCell(network, self._loss_fn)
        if manager is None and self._amp_level == "O2":
            manager = DynamicLossScaleManager()
        if manager is None:
            return TrainOneStepCell(network, self._optimizer)
        update_cell = manager.get_update_cell()
        if update_cell is None:
            return TrainOneStepCell(network, self._optimizer, sens=float(manager.get_loss_scale()))
        return TrainOneStepWithLossScaleCell(network, self._optimizer, scale_sense=update_cell)

    def _build_eval_network(self, eval_network, eval_indexes):
        if not self._metric_fns:
            return eval_network, eval_indexes
        if eval_network is not None:
            if eval_indexes is not None and not (isinstance(eval_indexes, list) and len(eval_indexes) == 3):
                raise ValueError(f"For 'Model', the argument 'eval_indexes' must be None or a list of three indexes "
                                 f"(loss, prediction, label), but got {eval_indexes!r}.")
            return eval_network, eval_indexes
        if eval_indexes is not None:
            raise ValueError("For 'Model', the argument 'eval_indexes' is used only with 'eval_network'.")
        if self._loss_fn is None:
            raise ValueError("For 'Model', if 'metrics' is set, 'eval_network' or 'loss_fn' must not be None. "
                             "Do not set 'metrics' if you don't want an evaluation.")
        return WithEvalCell(self._network, self._loss_fn, self._amp_level in ("O2", "O3")), [0, 1, 2]

    @staticmethod
    def _get_metrics(metrics):
        if metrics is None:
            return {}
        from .metrics import Metric, get_metric_fn
        if isinstance(metrics, dict):
            for name, fn in metrics.items():
                if not isinstance(name, str) or not isinstance(fn, Metric):
                    raise TypeError(f"For 'Model', a dict 'metrics' must map str to Metric, "
                                    f"but got {type(name).__name__} -> {type(fn).__name__}.")
            return dict(metrics)
        if isinstance(metrics, (set, list, tuple)):
            return {name: get_metric_fn(name) for name in metrics}
        raise TypeError(f"For 'Model', the argument 'metrics' must be None, a dict or a set, "
                        f"but got {type(metrics).__name__}.")

    # --- training -------------------------------------------------------------------------------
    def _cb_params(self, epoch, batches, dataset_sink_mode, callbacks):
        cb = _InternalCallbackParam()
        cb.train_network = self._train_network
        cb.network = self._network
        cb.loss_fn = self._loss_fn
        cb.optimizer = self._optimizer
        cb.train_dataset = batches.dataset
        cb.epoch_num = epoch
        cb.batch_num = batches.size()
        cb.cur_epoch_num = 0
        cb.cur_step_num = 0
        cb.dataset_sink_mode = dataset_sink_mode
        cb.net_outputs = None
        cb.parallel_mode = context.get_auto_parallel_context("parallel_mode")
        cb.device_number = 1
        cb.list_callback = callbacks.callbacks
        cb.mode = "train"
        cb.last_save_ckpt_step = None
        cb.latest_ckpt_file = None
        return cb

    def train(self, epoch, train_dataset, callbacks=None, dataset_sink_mode=False, sink_size=-1, initial_epoch=0):
        """Train for ``epoch`` epochs over ``train_dataset`` (a sporen.dataset Dataset, or a list/
        iterable of batches), calling ``callbacks`` (a Callback or a list). In sink mode each epoch
        runs ``sink_size`` steps (-1: the whole dataset) and step callbacks run once per epoch, as
        MindSpore's data sinking does. Training resumes at ``initial_epoch``."""
        self._fit(epoch, train_dataset, None, 1, callbacks, dataset_sink_mode, sink_size, initial_epoch)

    def fit(self, epoch, train_dataset, valid_dataset=None, valid_frequency=1, callbacks=None,
            dataset_sink_mode=False, valid_dataset_sink_mode=False, sink_size=-1, initial_epoch=0):
        """Train as ``train`` does and evaluate on ``valid_dataset`` after every ``valid_frequency``
        epochs (an int, or a list of epoch numbers) and after the last; the results are in
        ``cb_params.eval_results`` (with "eval_loss") before the epoch-end callbacks run."""
        if valid_dataset is not None and not self._metric_fns:
            raise ValueError("For 'Model.fit', 'metrics' must be set when 'valid_dataset' is given.")
        if isinstance(valid_frequency, bool) or not isinstance(valid_frequency, (int, list)):
            raise TypeError(f"For 'Model.fit', the argument 'valid_frequency' must be an int or a list, "
                            f"but got {type(valid_frequency).__name__}.")
        if isinstance(valid_frequency, int) and valid_frequency <= 0:
            raise ValueError(f"For 'Model.fit', the argument 'valid_frequency' must be > 0, "
                             f"but got {valid_frequency}.")
        self._fit(epoch, train_dataset, valid_dataset, valid_frequency, callbacks, dataset_sink_mode, sink_size,
                  initial_epoch)

    def _fit(self, epoch, train_dataset, valid_dataset, valid_frequency, callbacks, dataset_sink_mode, sink_size,
             initial_epoch):
        epoch = _check_epoch(epoch, "epoch")
        if isinstance(initial_epoch, bool) or not isinstance(initial_epoch, int) or not 0 <= initial_epoch < epoch:
            raise ValueError(f"For 'Model', the argument 'initial_epoch' must be an int in [0, epoch), "
                             f"but got {initial_epoch!r}.")
        if not isinstance(dataset_sink_mode, bool):
            raise TypeError(f"For 'Model', the argument 'dataset_sink_mode' must be a bool, "
                            f"but got {type(dataset_sink_mode).__name__}.")
        if isinstance(sink_size, bool) or not isinstance(sink_size, int) or (sink_size <= 0 and sink_size != -1):
            raise ValueError(f"For 'Model', the argument 'sink_size' must be -1 or a positive int, "
                             f"but got {sink_size!r}.")
        batches = _Batches(train_dataset, "train_dataset")
        manager = _CallbackManager(callbacks)
        cb_params = self._cb_params(epoch, batches, dataset_sink_mode, manager)
        if dataset_sink_mode and sink_size != -1:
            cb_params.batch_num = sink_size
        cb_params.initial_epoch = initial_epoch
        cb_params.cur_step_num = initial_epoch * cb_params.batch_num
        run_context = RunContext(cb_params)
        self._train_network.set_train(True)
        sinking = dataset_sink_mode and sink_size != -1
        batches.start(-1 if sinking else epoch - initial_epoch)
        with manager, batches:  # the run's iterator stops however the run ends
            manager.on_train_begin(run_context)
            steps = self._steps(batches, dataset_sink_mode, sink_size)
            for i in range(initial_epoch, epoch):
                cb_params.cur_epoch_num = i + 1
                self._current_epoch_num = i + 1
                manager.on_train_epoch_begin(run_context)
                self._train_epoch(steps, cb_params, run_context, manager, dataset_sink_mode)
                if valid_dataset is not None and self._should_eval(i + 1, epoch, valid_frequency):
                    # the run's own callbacks see the evaluation (already entered for the run)
                    results = self._eval_process(_Batches(valid_dataset, "valid_dataset"), manager,
                                                 add_eval_loss=True, enter=False)
                    cb_params.eval_results = results
                    cb_params.metrics = results
                    self._train_network.set_train(True)
                manager.on_train_epoch_end(run_context)
                if run_context.get_stop_requested():
                    break
            manager.on_train_end(run_context)

    @staticmethod
    def _should_eval(epoch, last, valid_frequency):
        if isinstance(valid_frequency, int):
            return epoch % valid_frequency == 0 or epoch == last
        return epoch in valid_frequency or epoch == last

    def _steps(self, batches, dataset_sink_mode, sink_size):
        """A function giving one epoch's batches: with sink_size, sink_size batches, the data
        continuing where the last epoch stopped (as a device queue would); otherwise one pass."""
        if dataset_sink_mode and sink_size != -1:
            def sink_epochs():
                while True:
                    empty = True
                    for row in batches.epoch():
                        empty = False
                        yield row
                    if empty:
                        raise ValueError("For 'Model', the training dataset gave no batch.")
            stream = sink_epochs()

            def epoch_steps():
                for _ in range(sink_size):
                    yield next(stream)
            return epoch_steps
        return batches.epoch

    def _train_epoch(self, steps, cb_params, run_context, manager, dataset_sink_mode):
        n = 0
        for row in steps():
            n += 1
            if not dataset_sink_mode:
                cb_params.cur_step_num += 1
                self._current_step_num = cb_params.cur_step_num
                cb_params.train_dataset_element = row
                manager.on_train_step_begin(run_context)
            cb_params.net_outputs = self._train_network(*row)
            if not dataset_sink_mode:
                manager.on_train_step_end(run_context)
                if run_context.get_stop_requested():
                    break
        if n == 0:
            raise ValueError("For 'Model', the training dataset gave no batch in an epoch.")
        if not cb_params.batch_num:
            cb_params.batch_num = n
        if dataset_sink_mode:
            cb_params.cur_step_num += n
            self._current_step_num = cb_params.cur_step_num
            manager.on_train_step_begin(run_context)
            manager.on_train_step_end(run_context)

    # --- evaluation -----------------------------------------------------------------------------
    def eval(self, valid_dataset, callbacks=None, dataset_sink_mode=False):
        """Evaluate the metrics over ``valid_dataset``; returns {metric name: value}."""
        if not self._metric_fns:
            raise ValueError("For 'Model.eval', the model argument 'metrics' can not be None or empty, "
                             "you should set the argument 'metrics' for model.")
        if not isinstance(dataset_sink_mode, bool):
            raise TypeError(f"For 'Model.eval', the argument 'dataset_sink_mode' must be a bool, "
                            f"but got {type(dataset_sink_mode).__name__}.")
        return self._eval_process(_Batches(valid_dataset, "valid_dataset"), _CallbackManager(callbacks))

    def _update_metrics(self, outputs):
        from .metrics import Loss
        if not isinstance(outputs, tuple):
            outputs = (outputs,)
        for metric in self._metric_fns.values():
            indexes = getattr(metric, "indexes", None)
            if indexes is not None:
                metric.update(*[outputs[i] for i in indexes])
            elif self._eval_indexes is None:
                metric.update(*outputs)
            elif isinstance(metric, Loss):
                metric.update(outputs[self._eval_indexes[0]])
            else:
                metric.update(outputs[self._eval_indexes[1]], outputs[self._eval_indexes[2]])

    def _eval_process(self, batches, manager, add_eval_loss=False, enter=True):
        from .metrics import get_metric_fn
        cb_params = _InternalCallbackParam()
        cb_params.eval_network = self._eval_network
        cb_params.valid_dataset = batches.dataset
        cb_params.batch_num = batches.size()
        cb_params.cur_step_num = 0
        cb_params.mode = "eval"
        cb_params.list_callback = manager.callbacks
        run_context = RunContext(cb_params)
        for metric in self._metric_fns.values():
            metric.clear()
        eval_loss = get_metric_fn("loss") if add_eval_loss and self._eval_indexes is not None else None
        self._eval_network.set_train(False)
        with manager if enter else contextlib.nullcontext():
            manager.on_eval_begin(run_context)
            manager.on_eval_epoch_begin(run_context)
            for row in batches.epoch():
                cb_params.cur_step_num += 1
                manager.on_eval_step_begin(run_context)
                outputs = self._eval_network(*row)
                cb_params.net_outputs = outputs
                self._update_metrics(outputs)
                if eval_loss is not None:
                    eval_loss.update(outputs[self._eval_indexes[0]])
                manager.on_eval_step_end(run_context)
                if run_context.get_stop_requested():
                    break
            results = {name: metric.eval() for name, metric in self._metric_fns.items()}
            if eval_loss is not None:
                results["eval_loss"] = eval_loss.eval()
            cb_params.metrics = results
            manager.on_eval_epoch_end(run_context)
            manager.on_eval_end(run_context)
        return results

    # --- inference ------------------------------------------------------------------------------
    def predict(self, *predict_data, backend=None, config=None):
        """The network's outputs on ``predict_data`` (Tensors or arrays), in inference mode."""
        if not predict_data:
            raise ValueError("For 'Model.predict', at least one input must be given.")
        inputs = [v if isinstance(v, Tensor) or v is None else _to_tensor(v) for v in predict_data]
        self._predict_network.set_train(False)
        return self._predict_network(*inputs)
