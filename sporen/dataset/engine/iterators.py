"""Iterators over a dataset: tuple or dict rows, numpy or Tensor values, several epochs, a state
that a new iterator resumes from (epoch and rows consumed), and a clean shutdown when dropped."""
import numpy

from .. import config
from . import random as ds_random
from .runtime import FreshRow, Run

__all__ = ["TupleIterator", "DictIterator"]


def _walk(node, seen=None):
    """The nodes of the tree under node, pre-order, each once."""
    seen = set() if seen is None else seen
    if id(node) in seen:
        return []
    seen.add(id(node))
    nodes = [node]
    for child in node.children:
        nodes.extend(_walk(child, seen))
    return nodes


def _to_tensor(array, do_copy):
    """A sporen Tensor of the array (strings stay numpy arrays: a Tensor holds numbers only)."""
    from ...tensor import Tensor
    if array.dtype.kind in "USO":
        return array
    if do_copy:
        array = numpy.array(array, copy=True)
    return Tensor(array)


class _Iterator:
    """The shared machinery of TupleIterator and DictIterator."""

    def __init__(self, dataset, num_epochs=-1, output_numpy=False, do_copy=True, columns=None):
        if not isinstance(num_epochs, int) or isinstance(num_epochs, bool):
            raise TypeError(f"{type(self).__name__}: 'num_epochs' must be an int, got {type(num_epochs).__name__}")
        if num_epochs == 0 or num_epochs < -1:
            raise ValueError(f"{type(self).__name__}: 'num_epochs' must be positive or -1, got {num_epochs}")
        self._dataset = dataset
        self._num_epochs = num_epochs
        self._output_numpy = output_numpy
        self._do_copy = do_copy
        self._names = dataset.get_col_names()
        self._picks = None
        if columns is not None:
            missing = [name for name in columns if name not in self._names]
            if missing:
                raise ValueError(f"create_tuple_iterator: 'columns' {missing} are not columns of the dataset "
                                 f"{self._names}")
            self._picks = [self._names.index(name) for name in columns]
        elif any(name.startswith("_meta-") for name in self._names):
            # MindSpore's iterators leave out the extra_metadata '_meta-' columns unless they are renamed
            self._picks = [k for k, name in enumerate(self._names) if not name.startswith("_meta-")]
        self._run = Run(ds_random.new_pipeline_seed(), config.get_prefetch_size())
        self._run.debug = config.get_debug_mode()
        self._nodes = _walk(dataset)
        for index, node in enumerate(self._nodes):
            self._run.op_ids[id(node)] = index
        self._epoch = 0
        self._step = 0
        self._start_step = 0
        self._rows = None
        self._closed = False
        self._tuner = None
        init_step = getattr(dataset, "_init_step", 0)
        if init_step:
            size = dataset.get_dataset_size()
            if size > 0:
                self._epoch, self._start_step = divmod(init_step, size)
                self._step = self._start_step
        if config.get_enable_autotune():
            from .autotune import AutoTuner
            self._tuner = AutoTuner(self._run, self._nodes)

    def __iter__(self):
        return self

    def __next__(self):
        if self._closed:
            raise StopIteration
        if self._rows is None:
            if self._num_epochs != -1 and self._epoch >= self._num_epochs:
                self.stop()
                raise StopIteration
            for node in self._nodes:
                node._prepare(self._run)
            self._rows = self._dataset._pipeline(self._run, self._epoch, self._start_step)
        try:
            row = next(self._rows)
        except StopIteration:
            self._end_epoch()
            raise
        except BaseException:
            self.stop()
            raise
        self._step += 1
        if self._tuner is not None:
            self._tuner.step(self._epoch, self._step)
        return self._convert(row)

    def _end_epoch(self):
        self._rows = None
        self._epoch += 1
        self._step = 0
        self._start_step = 0
        if self._tuner is not None:
            self._tuner.epoch_end(self._epoch)
        if self._num_epochs != -1 and self._epoch >= self._num_epochs:
            self.stop()

    def _values(self, row):
        # a batch's freshly stacked arrays are the user's alone: copying them (19 MB for 32
        # 224x224 RGB float images) would only cost time
        do_copy = self._do_copy and not isinstance(row, FreshRow)
        if self._picks is not None:
            row = [row[index] for index in self._picks]
        if self._output_numpy:
            if do_copy:
                return [numpy.array(value, copy=True) for value in row]
            return list(row)
        return [_to_tensor(value, do_copy) for value in row]

    def get_state(self):
        """Where this iterator is: {'epoch': finished epochs, 'step': rows given in the current one,
        'seed': the pipeline's seed}. set_state on a new iterator of the same pipeline resumes there."""
        return {"epoch": self._epoch, "step": self._step, "seed": self._run.seed}

    def set_state(self, state):
        """Resume from get_state()'s value: the next rows are those the saved iterator would have given."""
        if not isinstance(state, dict) or not {"epoch", "step", "seed"} <= set(state):
            raise ValueError(f"{type(self).__name__}.set_state: 'state' must be a dict from get_state(), got {state!r}")
        if self._rows is not None:
            self._rows.close()
            self._rows = None
        self._run.seed = int(state["seed"])
        self._epoch = int(state["epoch"])
        self._step = int(state["step"])
        self._start_step = self._step

    def get_col_names(self):
        """The names of the columns this iterator gives."""
        if self._picks is not None:
            return [self._names[index] for index in self._picks]
        return list(self._names)

    def stop(self):
        """End the pipeline: stop its threads and worker processes."""
        if self._closed:
            return
        self._closed = True
        if self._rows is not None:
            self._rows.close()
            self._rows = None
        self._run.close()
        if self._tuner is not None:
            self._tuner.finish()

    def __del__(self):
        try:
            self.stop()
        except Exception:
            pass


class TupleIterator(_Iterator):
    """Rows as lists of values, one per column (MindSpore's create_tuple_iterator)."""

    def _convert(self, row):
        return self._values(row)


class DictIterator(_Iterator):
    """Rows as {column name: value} (MindSpore's create_dict_iterator)."""

    def _convert(self, row):
        return dict(zip(self._names, self._values(row)))
