"""nn.Optimizer: the base of every optimizer. It owns what all of them share, with MindSpore's
rules: parameter groups, fixed and dynamic learning rates, weight decay (fixed or a Cell of the
step), the loss scale, grad centralization and the global step.

An optimizer is a Cell: ``optimizer(grads)`` updates its parameters in place and returns True.
Its state (moments, powers, the step) are Parameters with MindSpore's names, registered on the
optimizer so that ``save_checkpoint`` of a training cell carries them.

In PyNative mode the updates run on the parameters' numpy arrays, in place, outside any gradient
tape. Each optimizer family keeps its update rule as one plain function of numpy arrays (written
with ``out=`` so that it allocates nothing beyond one work buffer per parameter). While a step is
traced (``jit``, GRAPH_MODE) the same rules run as ops (``_graph.py``) and write the parameters and
state with ``set_data``, so that they become write-backs of the compiled training step.
"""
import numbers
from collections.abc import Iterable

import numpy as np

from ... import dtype as mstype
from ...autodiff import tape as _tape
from ...tensor import Parameter, ParameterTuple, Tensor
from ..cell import Cell
from ..learning_rate_schedule import LearningRateSchedule
from . import _graph
from ._check import check_bool

__all__ = ["Optimizer"]

_wrap = Tensor._wrap


def scalar_of(value):
    """A Python float from a 0-d or one-element Tensor / array / number."""
    if isinstance(value, Tensor):
        value = value._array()
    if isinstance(value, np.ndarray):
        return float(value.reshape(-1)[0])
    return float(value)


class Optimizer(Cell):
    """Base class of the optimizers; use a subclass.

    learning_rate: float/int (fixed), a 0-d Tensor (fixed), a 1-d Tensor or an iterable (the i-th
    step takes the i-th value), or a LearningRateSchedule (called with the global step).
    parameters: a list of Parameters, or a list of group dicts with the keys 'params' (required),
    'lr', 'weight_decay', 'grad_centralization', or one dict {'order_params': [...]} giving the order.
    weight_decay: a number >= 0 or a Cell called with the global step. Without groups it applies to
    the parameters whose name contains neither 'beta' nor 'gamma'; with groups, to the groups whose
    weight decay is > 0. loss_scale: the gradients are divided by it (and the weight decay multiplied
    by it, as in MindSpore).
    """

    _support_parallel_optimizer = False
    _graph_update = False  # True where the subclass has a traced (op) update rule

    def __init__(self, learning_rate, parameters, weight_decay=0.0, loss_scale=1.0):
        super().__init__(auto_prefix=False)
        parameters = self._parameters_base_check(parameters, "parameters")
        if not all(isinstance(x, Parameter) for x in parameters) and \
                not all(isinstance(x, dict) for x in parameters):
            raise TypeError(f"For '{self.cls_name}', all elements of the argument 'parameters' must be "
                            f"'Parameter' or 'dict', please check the 'parameters'.")
        if isinstance(loss_scale, int) and not isinstance(loss_scale, bool):
            loss_scale = float(loss_scale)
        if not isinstance(loss_scale, float):
            raise TypeError(f"For '{self.cls_name}', the argument 'loss_scale' must be a float, "
                            f"but got {type(loss_scale).__name__}.")
        if not loss_scale > 0:
            raise ValueError(f"For '{self.cls_name}', the argument 'loss_scale' must be > 0, "
                             f"but got {loss_scale}.")
        self.loss_scale = loss_scale
        self.dynamic_weight_decay = False
        self.grad_centralization = False
        self._unique = True
        self._target = "CPU"
        self.dynamic_lr = False
        self.global_step = Parameter(np.zeros((1,), np.int32), name="global_step", requires_grad=False)
        self.is_group = False
        self.is_group_lr = False
        self.is_group_params_ordered = False
        self.use_parallel = False
        learning_rate = self._preprocess_single_lr(learning_rate)
        if isinstance(parameters[0], dict):
            self.is_group = True
            self.group_params = []
            self.group_lr = []
            self.group_weight_decay = []
            self.group_grad_centralization = []
            self._init_group_params(parameters, learning_rate, weight_decay, self.grad_centralization)
        self._init_opt_attrs(learning_rate, parameters, weight_decay)

    @property
    def cls_name(self):
        return type(self).__name__

    # --- construction --------------------------------------------------------------------------
    def _init_opt_attrs(self, learning_rate, parameters, weight_decay):
        weight_decay = self._preprocess_weight_decay(weight_decay)
        if self.is_group_lr:
            lrs = tuple(self.group_lr)
            object.__setattr__(self, "learning_rate", lrs)
            for i, lr in enumerate(lrs):
                self._register(f"learning_rate.{i}", lr)
        else:
            self.learning_rate = self._build_single_lr(learning_rate, "learning_rate")
        if self.is_group:
            params = ParameterTuple(self.group_params)
            self.decay_flags = tuple(isinstance(x, Cell) or x > 0 for x in self.group_weight_decay)
            self.dynamic_decay_flags = tuple(isinstance(x, Cell) for x in self.group_weight_decay)
            wds = tuple(self.group_weight_decay)
            object.__setattr__(self, "weight_decay", wds)
            for i, wd in enumerate(wds):
                if isinstance(wd, Cell):
                    self._register(f"weight_decay.{i}", wd)
            self.exec_weight_decay = any(self.decay_flags)
            self.grad_centralization_flags = tuple(self.group_grad_centralization)
        else:
            params = ParameterTuple(parameters)
            self.decay_flags = tuple("beta" not in p.name and "gamma" not in p.name for p in params)
            self.dynamic_decay_flags = isinstance(weight_decay, Cell)
            self.exec_weight_decay = isinstance(weight_decay, Cell) or weight_decay > 0
            self.weight_decay = weight_decay
            self.grad_centralization_flags = (False,) * len(params)
        object.__setattr__(self, "parameters", params)
        object.__setattr__(self, "_parameters", params)
        self.reciprocal_scale = 1.0 / self.loss_scale
        self.need_scale = self.loss_scale != 1.0
        self.param_length = len(params)
        self.optim_filter = (True,) * self.param_length
        self._work = [None] * self.param_length

    def _register(self, key, value):
        """Register a Parameter or Cell held in a tuple attribute, so that traversal and
        checkpoints see it (a Cell only registers what is assigned as a plain attribute)."""
        if isinstance(value, Parameter):
            if all(value is not p for p in self._params.values()):
                self._params[key] = value
        elif isinstance(value, Cell):
            if all(value is not c for c in self._cells.values()):
                self._cells[key] = value

    def _register_state(self, attr, params):
        """Set a ParameterTuple of optimizer state (moments...) as ``attr`` and register each."""
        params = ParameterTuple(params)
        object.__setattr__(self, attr, params)
        for p in params:
            self._params[p.name] = p
        return params

    def _clone_state(self, attr, prefix, init="zeros"):
        """A state tensor per parameter named ``prefix.<param name>`` (MindSpore's naming)."""
        state = []
        for p in self._parameters:
            arr = p._array()
            if isinstance(init, str):
                value = np.zeros(arr.shape, arr.dtype) if init == "zeros" else np.ones(arr.shape, arr.dtype)
            else:
                value = np.full(arr.shape, init, arr.dtype)
            state.append(Parameter(value, name=prefix + "." + p.name, requires_grad=p.requires_grad))
        return self._register_state(attr, state)

    @staticmethod
    def _parameters_base_check(parameters, param_info):
        if parameters is None:
            raise ValueError(f"For 'Optimizer', the argument {param_info} can not be None.")
        if not isinstance(parameters, Iterable):
            raise TypeError(f"For 'Optimizer', the argument {param_info} must be Iterable type, "
                            f"but got {type(parameters).__name__}.")
        parameters = list(parameters)
        if not parameters:
            raise ValueError(f"For 'Optimizer', the argument {param_info} must not be empty.")
        return parameters

    def _preprocess_weight_decay(self, weight_decay):
        if isinstance(weight_decay, numbers.Real) and not isinstance(weight_decay, bool):
            weight_decay = float(weight_decay)
            if weight_decay < 0:
                raise ValueError(f"For '{self.cls_name}', the argument 'weight_decay' must be >= 0, "
                                 f"but got {weight_decay}.")
            return weight_decay * self.loss_scale
        if isinstance(weight_decay, Cell):
            self.dynamic_weight_decay = True
            return _WrappedWeightDecay(weight_decay, self.loss_scale)
        raise TypeError(f"For '{self.cls_name}', the argument 'weight_decay' must be int, float or Cell, "
                        f"but got {type(weight_decay).__name__}.")

    def _preprocess_single_lr(self, learning_rate):
        if isinstance(learning_rate, numbers.Real) and not isinstance(learning_rate, bool):
            learning_rate = float(learning_rate)
            if learning_rate < 0:
                raise ValueError(f"For '{self.cls_name}', the argument 'learning_rate' must be >= 0, "
                                 f"but got {learning_rate}.")
            return learning_rate
        if isinstance(learning_rate, Tensor) and learning_rate.ndim == 0:
            return Tensor(learning_rate.asnumpy(), dtype=mstype.float32)
        if isinstance(learning_rate, LearningRateSchedule):
            self.dynamic_lr = True
            return learning_rate
        if isinstance(learning_rate, Tensor):
            self.dynamic_lr = True
            if learning_rate.ndim > 1:
                raise ValueError(f"For '{self.cls_name}', if 'learning_rate' is Tensor type, then the "
                                 f"dimension of it should be 0 or 1, but got {learning_rate.ndim}.")
            return Tensor(learning_rate.asnumpy(), dtype=mstype.float32)
        if isinstance(learning_rate, Iterable) and not isinstance(learning_rate, (str, bytes, dict)):
            self.dynamic_lr = True
            return Tensor(np.array(list(learning_rate)).astype(np.float32))
        raise TypeError(f"For '{self.cls_name}', the argument 'learning_rate' must be int, float, Tensor, "
                        f"Iterable or LearningRateSchedule, but got {type(learning_rate).__name__}.")

    def _build_single_lr(self, learning_rate, name):
        if isinstance(learning_rate, float):
            learning_rate = Parameter(np.array(learning_rate, np.float32), name, requires_grad=False)
            if self.is_group_lr and self.dynamic_lr:
                learning_rate = _ConvertToCell(learning_rate)
            return learning_rate
        if isinstance(learning_rate, Tensor) and learning_rate.ndim == 0:
            learning_rate = Parameter(learning_rate, name, requires_grad=False)
            if self.is_group_lr and self.dynamic_lr:
                learning_rate = _ConvertToCell(learning_rate)
            return learning_rate
        if isinstance(learning_rate, Tensor) and learning_rate.ndim == 1:
            return _IteratorLearningRate(learning_rate, name)
        return learning_rate

    def _check_group_params(self, parameters):
        parse_keys = ["params", "lr", "weight_decay", "order_params", "grad_centralization"]
        for group_param in parameters:
            invalid_key = [k for k in group_param.keys() if k not in parse_keys]
            if invalid_key:
                raise KeyError(f"For 'Optimizer', the key in group params must be one of in {parse_keys}, "
                               f"but got {invalid_key}.")
            if "order_params" in group_param:
                if len(group_param) > 1:
                    raise ValueError(f"For 'Optimizer', the order params dict in group parameters should only "
                                     f"include the 'order_params' key, but got {list(group_param.keys())}.")
                if not isinstance(group_param["order_params"], Iterable):
                    raise TypeError("For 'Optimizer', the value of 'order_params' in group parameters should "
                                    f"be Iterable type, but got {type(group_param['order_params']).__name__}.")
                continue
            if "params" not in group_param:
                raise KeyError("For 'Optimizer', every group dict must have the key 'params'.")
            params = self._parameters_base_check(group_param["params"], "group `params`")
            for index, param in enumerate(params):
                if not isinstance(param, Parameter):
                    raise TypeError(f"For 'Optimizer', the element in group parameters must be Parameter "
                                    f"type, but got {type(param).__name__} at index {index}.")

    def _parse_group_params(self, parameters, learning_rate):
        self._check_group_params(parameters)
        if isinstance(learning_rate, Tensor) and learning_rate.ndim == 1:
            tensor_lr_length = learning_rate.size
        else:
            tensor_lr_length = 0
        for group_param in parameters:
            if "order_params" in group_param:
                self.is_group_params_ordered = True
                continue
            if "lr" in group_param:
                self.is_group_lr = True
                group_lr = self._preprocess_single_lr(group_param["lr"])
                if isinstance(group_lr, Tensor) and group_lr.ndim == 1:
                    if tensor_lr_length == 0:
                        tensor_lr_length = group_lr.size
                    elif group_lr.size != tensor_lr_length:
                        raise ValueError("For 'Optimizer', the Tensor type dynamic learning rate in group must "
                                         "be the same size as the argument 'learning_rate'.")

    def _init_group_params(self, parameters, learning_rate, weight_decay, grad_centralization):
        self._parse_group_params(parameters, learning_rate)
        default_lr = self._build_single_lr(learning_rate, "learning_rate")
        params_store = set()
        ordered_parameters = None
        for group_num, group_param in enumerate(parameters):
            if "order_params" in group_param:
                ordered_parameters = list(group_param["order_params"])
                continue
            group_params = list(group_param["params"])
            self.group_params += group_params
            if "lr" in group_param:
                lr = self._preprocess_single_lr(group_param["lr"])
                lr = self._build_single_lr(lr, "learning_rate_group_" + str(group_num))
            else:
                lr = default_lr
            if "weight_decay" in group_param:
                wd = self._preprocess_weight_decay(group_param["weight_decay"])
            else:
                wd = self._preprocess_weight_decay(weight_decay)
            if "grad_centralization" in group_param:
                gc = check_bool(group_param["grad_centralization"], "grad_centralization", self.cls_name)
                self.grad_centralization = gc
            else:
                gc = grad_centralization
            for param in group_params:
                if param.name in params_store:
                    raise RuntimeError(f"For 'Optimizer', the {param.name} parameter already exists, it does not "
                                       f"support repeated setting. Please check whether the optimizer parameter "
                                       f"has been set multiple times.")
                params_store.add(param.name)
                self.group_lr.append(lr)
                self.group_weight_decay.append(wd)
                self.group_grad_centralization.append(gc)
        if ordered_parameters is not None:
            self._order_and_adjust_group_params(ordered_parameters)

    def _order_and_adjust_group_params(self, ordered_parameters):
        if len(ordered_parameters) != len(self.group_params):
            raise ValueError(f"For 'Optimizer', the length of order parameters must be the same as the length "
                             f"of group parameters, but got order parameters' length {len(ordered_parameters)}, "
                             f"group parameters' length {len(self.group_params)}.")
        names = [p.name for p in ordered_parameters]
        n = len(self.group_params)
        params = [None] * n
        lrs = [None] * n
        wds = [None] * n
        gcs = [None] * n
        for param, lr, wd, gc in zip(self.group_params, self.group_lr, self.group_weight_decay,
                                     self.group_grad_centralization):
            if param.name not in names:
                raise ValueError(f"For 'Optimizer', the parameter {param.name} of the groups is not in "
                                 f"'order_params'.")
            index = names.index(param.name)
            params[index] = param
            lrs[index] = lr
            wds[index] = wd
            gcs[index] = gc
        self.group_params = params
        self.group_lr = lrs
        self.group_weight_decay = wds
        self.group_grad_centralization = gcs

    # --- public MindSpore API -------------------------------------------------------------------
    @property
    def unique(self):
        """Whether sparse gradients are made unique in the optimizer (kept for compatibility)."""
        return self._unique

    @unique.setter
    def unique(self, value):
        if not isinstance(value, bool):
            raise TypeError(f"For 'Optimizer', the property 'unique' must be bool, but got {type(value).__name__}")
        self._unique = value

    @property
    def target(self):
        """Where the update runs: always 'CPU' here."""
        return self._target

    @target.setter
    def target(self, value):
        if value not in ("CPU", "GPU", "Ascend"):
            raise ValueError(f"For 'Optimizer', the property 'target' must be one of ['CPU', 'Ascend' ,'GPU'], "
                             f"but got {value}")
        self._target = value

    def get_weight_decay(self):
        """The weight decay of the current step: a float, a Tensor (dynamic), or a tuple per
        parameter with groups."""
        if self.dynamic_weight_decay:
            if self.is_group:
                return tuple(wd(self.global_step) if flag else wd
                             for wd, flag in zip(self.weight_decay, self.dynamic_decay_flags))
            return self.weight_decay(self.global_step)
        return self.weight_decay

    def get_lr(self):
        """The learning rate of the current step (a Parameter/Tensor, or a tuple per parameter with
        group learning rates). With a dynamic learning rate or weight decay it advances the global
        step, as MindSpore does."""
        lr = self.learning_rate
        if self.dynamic_lr:
            if self.is_group_lr:
                lr = tuple(cell(self.global_step).reshape(()) for cell in self.learning_rate)
            else:
                lr = self.learning_rate(self.global_step).reshape(())
        if self.dynamic_lr or self.dynamic_weight_decay:
            if _graph.tracing():
                _graph.assign(self.global_step, self.global_step + 1)
            else:
                self.global_step._data += 1
        return lr

    def get_lr_parameter(self, param):
        """The learning rate (Parameter, or the schedule when dynamic) of ``param`` (a Parameter or a
        list of Parameters)."""
        def value(lr):
            if isinstance(lr, (_ConvertToCell, _IteratorLearningRate)):
                return lr.learning_rate
            return lr

        if isinstance(param, Parameter):
            param_list = [param]
        elif isinstance(param, list):
            param_list = param
        else:
            raise TypeError(f"For 'get_lr_parameter', the 'param' must be 'Parameter' or 'list' type, "
                            f"but got {type(param).__name__}.")
        ids = [id(p) for p in self._parameters]
        result = []
        for p in param_list:
            if not isinstance(p, Parameter):
                raise TypeError(f"For 'get_lr_parameter', the elements must be Parameters, got {type(p).__name__}")
            if id(p) not in ids:
                raise ValueError(f"For 'get_lr_parameter', the parameter {p.name} is not in optimizer, please "
                                 f"check whether the argument 'param' is correct.")
            if self.is_group_lr:
                result.append(value(self.learning_rate[ids.index(id(p))]))
            else:
                result.append(value(self.learning_rate))
        return result if isinstance(param, list) else result[0]

    def decay_weight(self, gradients):
        """Add ``weight_decay * param`` to the gradients of the parameters that decay."""
        if not self.exec_weight_decay:
            return gradients
        wds = self._weight_decay_values()
        out = []
        for p, g, wd in zip(self._parameters, gradients, wds):
            if wd:
                g = _wrap(np.add(g._data, p._data * np.asarray(wd, p._data.dtype)))
            out.append(g)
        return tuple(out)

    def gradients_centralization(self, gradients):
        """Subtract the mean over all axes but the first from the gradients of the groups with
        grad_centralization (only for tensors of rank > 1 whose dim 1 is a multiple of 16)."""
        if not self.is_group or not any(self.grad_centralization_flags):
            return gradients
        out = []
        for g, flag in zip(gradients, self.grad_centralization_flags):
            arr = g._data
            if flag and arr.ndim > 1 and arr.shape[1] % 16 == 0:
                axes = tuple(range(1, arr.ndim))
                g = _wrap(arr - arr.mean(axis=axes, keepdims=True).astype(arr.dtype))
            out.append(g)
        return tuple(out)

    def _preprocess(self, gradients):
        """The eager gradient preprocessing most optimizers share, in MindSpore's order: weight
        decay, centralization, then division by the loss scale (``_graph.prepare`` traces it)."""
        return self.scale_grad(self.gradients_centralization(self.decay_weight(gradients)))

    def scale_grad(self, gradients):
        """Divide the gradients by the loss scale."""
        if not self.need_scale:
            return gradients
        scale = self.reciprocal_scale
        return tuple(_wrap(g._data * np.asarray(scale, g._data.dtype)) for g in gradients)

    def flatten_gradients(self, gradients):
        """Parameters are never flattened here: returns the gradients unchanged."""
        return gradients

    def broadcast_params(self, optim_result):
        """Parallel optimizer broadcast: a no-op on one device."""
        return optim_result

    def construct(self, *hyper_params):
        raise NotImplementedError(f"{self.cls_name} must define construct(gradients)")

    def __call__(self, *args, **kwargs):
        # The update is not differentiated: keep the gradient tapes out of it.
        if _graph.tracing():
            _graph.check_supported(self)
        with _tape.paused():
            return Cell.__call__(self, *args, **kwargs)

    # --- helpers for the update rules -----------------------------------------------------------
    def _check_grads(self, gradients):
        """The gradients as a tuple of Tensors, one per parameter, each of its parameter's shape."""
        if isinstance(gradients, Tensor) or not isinstance(gradients, (tuple, list)):
            raise TypeError(f"For '{self.cls_name}', the input 'gradients' must be a tuple of Tensors, "
                            f"but got {type(gradients).__name__}.")
        if len(gradients) != self.param_length:
            raise ValueError(f"For '{self.cls_name}', got {len(gradients)} gradients for "
                             f"{self.param_length} parameters.")
        out = []
        for p, g in zip(self._parameters, gradients):
            if not isinstance(g, Tensor):
                g = _wrap(np.asarray(g))
            if g.shape != p.shape:
                raise ValueError(f"For '{self.cls_name}', the gradient of '{p.name}' has shape {g.shape}, "
                                 f"the parameter has shape {p.shape}.")
            out.append(g)
        return tuple(out)

    def _weight_decay_values(self):
        """The weight decay of each parameter as a float (0.0 where it does not decay)."""
        wd = self.get_weight_decay()
        if self.is_group:
            return [scalar_of(w) if flag else 0.0 for w, flag in zip(wd, self.decay_flags)]
        value = scalar_of(wd)
        return [value if flag else 0.0 for flag in self.decay_flags]

    def _lr_values(self):
        """Call get_lr (advancing the step when dynamic) and return one float per parameter."""
        lr = self.get_lr()
        if self.is_group_lr:
            return [scalar_of(x) for x in lr]
        return [scalar_of(lr)] * self.param_length

    def _work_buffer(self, i):
        """A scratch array of parameter i's shape and dtype, reused across steps."""
        buf = self._work[i]
        arr = self._parameters[i]._data
        if buf is None or buf.shape != arr.shape or buf.dtype != arr.dtype:
            buf = np.empty_like(arr)
            self._work[i] = buf
        return buf


class _ConvertToCell(LearningRateSchedule):
    """A fixed learning rate (a Parameter) seen as a schedule, for groups mixing fixed and dynamic."""

    def __init__(self, learning_rate):
        super().__init__()
        if not isinstance(learning_rate, Parameter):
            raise TypeError(f"For 'Optimizer', the argument 'learning_rate' must be Parameter, "
                            f"but got {type(learning_rate).__name__}.")
        self.learning_rate = learning_rate

    def construct(self, global_step):
        if _graph.tracing():
            return self.learning_rate * 1  # read at every run of the graph, never baked
        return _wrap(self.learning_rate._data.copy())


class _IteratorLearningRate(LearningRateSchedule):
    """A 1-d learning-rate Tensor read at the global step. Past the end it gives 0, as MindSpore's
    Gather does on the CPU."""

    def __init__(self, learning_rate, name):
        super().__init__()
        if not isinstance(learning_rate, Tensor):
            raise TypeError(f"For 'Optimizer', the argument 'learning_rate' must be Tensor, "
                            f"but got {type(learning_rate).__name__}.")
        if learning_rate.ndim != 1:
            raise ValueError(f"For 'Optimizer', the dimension of the argument 'learning_rate' should be 1, "
                             f"but got {learning_rate.ndim}.")
        self.learning_rate = Parameter(learning_rate, name, requires_grad=False)

    def construct(self, global_step):
        if _graph.tracing():
            return _graph.lr_at_step(self.learning_rate, global_step)
        table = self.learning_rate._data
        steps = np.asarray(global_step._data if isinstance(global_step, Tensor) else global_step)
        valid = (steps >= 0) & (steps < table.shape[0])
        values = np.where(valid, table[np.clip(steps, 0, max(table.shape[0] - 1, 0))], 0)
        return _wrap(values.astype(table.dtype))


class _WrappedWeightDecay(Cell):
    """A dynamic weight decay Cell times the loss scale."""

    def __init__(self, weight_decay, loss_scale=1.0):
        super().__init__()
        self.weight_decay = weight_decay
        self.loss_scale = loss_scale

    def construct(self, global_step):
        value = self.weight_decay(global_step)
        if _graph.tracing():
            if not isinstance(value, Tensor):
                value = Tensor(np.asarray(value, np.float32))
            return _graph.f32(value) * np.float32(self.loss_scale)
        arr = value._data if isinstance(value, Tensor) else np.asarray(value, np.float32)
        return _wrap(np.asarray(arr * np.float32(self.loss_scale), np.float32))
