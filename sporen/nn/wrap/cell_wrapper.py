"""Training wrappers (MindSpore's ``nn.wrap.cell_wrapper``): WithLossCell, WithEvalCell, WithGradCell,
ForwardValueAndGrad and TrainOneStepCell, which runs forward, backward and the optimizer in one
call. Gradients come from the one autodiff (a single forward under the tape)."""
import numbers

import numpy as np

from ... import dtype as mstype
from ... import ops
from ...autodiff import tape as _tape
from ...autodiff.api import run_and_differentiate
from ...tensor import Parameter, ParameterTuple, Tensor
from ..cell import Cell

__all__ = ["WithLossCell", "WithEvalCell", "WithGradCell", "ForwardValueAndGrad", "TrainOneStepCell",
           "ParameterUpdate"]


def _check_cell(value, argname, where):
    if not isinstance(value, Cell):
        raise TypeError(f"For '{where}', the argument '{argname}' must be a Cell, but got {type(value).__name__}.")
    return value


def _fill_like(t, value):
    return Tensor._wrap(np.full(t.shape, value, dtype=t._data.dtype))


class WithLossCell(Cell):
    """``loss_fn(backbone(data), label)``: a network with its loss (MindSpore's ``nn.WithLossCell``)."""

    def __init__(self, backbone, loss_fn):
        super().__init__(auto_prefix=False)
        self._backbone = _check_cell(backbone, "backbone", "WithLossCell")
        self._loss_fn = loss_fn

    def construct(self, data, label):
        out = self._backbone(data)
        return self._loss_fn(out, label)

    @property
    def backbone_network(self):
        """The backbone network."""
        return self._backbone


class WithEvalCell(Cell):
    """Returns ``(loss, outputs, label)`` for evaluation; with ``add_cast_fp32`` the outputs and the
    label are cast to float32 first (MindSpore's ``nn.WithEvalCell``)."""

    def __init__(self, network, loss_fn, add_cast_fp32=False):
        super().__init__(auto_prefix=False)
        self._network = _check_cell(network, "network", "WithEvalCell")
        self._loss_fn = loss_fn
        if not isinstance(add_cast_fp32, bool):
            raise TypeError(f"For 'WithEvalCell', the argument 'add_cast_fp32' must be a bool, "
                            f"but got {type(add_cast_fp32).__name__}.")
        self.add_cast_fp32 = add_cast_fp32

    def construct(self, data, label):
        outputs = self._network(data)
        if self.add_cast_fp32:
            from ...ops import functional as F
            label = F.cast(label, mstype.float32)
            outputs = F.cast(outputs, mstype.float32)
        loss = self._loss_fn(outputs, label)
        return loss, outputs, label


class WithGradCell(Cell):
    """The gradients of ``network`` (with ``loss_fn`` applied to its output when given) with respect
    to its trainable parameters (MindSpore's ``nn.WithGradCell``); ``sens`` is the output's
    sensitivity (a number or Tensor; default ones)."""

    def __init__(self, network, loss_fn=None, sens=None):
        super().__init__(auto_prefix=False)
        self.network = _check_cell(network, "network", "WithGradCell")
        self.loss_fn = loss_fn
        # plain attributes: the network owns these parameters, the wrapper only refers to them
        object.__setattr__(self, "weights", ParameterTuple(network.trainable_params()))
        self.sens = sens
        if loss_fn is None:
            self.network_with_loss = network
        else:
            self.network_with_loss = WithLossCell(self.network, self.loss_fn)
        self.network_with_loss.set_train()

    def construct(self, *inputs):
        _, grads = forward_and_grads(self.network_with_loss, inputs, self.weights, self.sens)
        return grads


def forward_and_grads(fn, inputs, weights, sens=None):
    """Run ``fn(*inputs)`` once under a gradient tape and return ``(outputs, grads of weights)``.
    ``sens`` seeds the backward pass: None (ones), a number (filled to each output's shape) or a
    Tensor / tuple of Tensors."""
    weights = list(weights)
    tape = _tape.Tape()
    for w in weights:
        tape.watch(w)
    with tape:
        out = fn(*inputs)
    outputs = _flat_tensors(out)
    if not outputs:
        raise TypeError(f"the network must return a Tensor or a tuple of Tensors, got {type(out).__name__}")
    if sens is None:
        seeds = [_fill_like(o, 1) for o in outputs]
    elif isinstance(sens, Tensor) and sens.ndim == 0 and len(outputs) == 1:
        # a 0-d Tensor fills the output's shape, as a number does (it may be traced)
        seeds = [ops.broadcast_to(ops.cast(sens, outputs[0].dtype), outputs[0].shape)]
    elif isinstance(sens, (Tensor, tuple, list)):
        seeds = _flat_tensors(sens)
        if len(seeds) != len(outputs):
            raise ValueError(f"'sens' must match the {len(outputs)} outputs of the network, got {len(seeds)}")
    else:
        seeds = [_fill_like(o, sens) for o in outputs]
    grads = _tape.backward(tape, outputs, seeds)
    result = []
    for w in weights:
        g = grads.get(id(w))
        result.append(Tensor._wrap(np.zeros(w.shape, w._data.dtype)) if g is None else g)
    return out, tuple(result)


def _flat_tensors(out):
    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, (tuple, list)):
        flat = []
        for o in out:
            flat.extend(_flat_tensors(o))
        return flat
    return []


class ForwardValueAndGrad(Cell):
    """Runs ``network`` and returns ``(outputs, gradients)`` (MindSpore's ``nn.ForwardValueAndGrad``):
    with ``get_all`` the gradients of the inputs, with ``get_by_list`` of ``weights``, both as a pair
    when both are set; ``sens_param`` takes the output's sensitivity as the last input."""

    def __init__(self, network, weights=None, get_all=False, get_by_list=False, sens_param=False):
        super().__init__(auto_prefix=False)
        self.network = _check_cell(network, "network", "ForwardValueAndGrad")
        for name, v in (("get_all", get_all), ("get_by_list", get_by_list), ("sens_param", sens_param)):
            if not isinstance(v, bool):
                raise TypeError(f"For 'ForwardValueAndGrad', the argument '{name}' must be a bool, "
                                f"but got {type(v).__name__}.")
        if get_by_list and weights is None:
            raise TypeError("For 'ForwardValueAndGrad', when 'get_by_list' is set to True, the argument "
                            "'weights' cannot be None.")
        if not get_by_list and not isinstance(weights, (type(None), ParameterTuple, list, tuple)):
            raise TypeError("For 'ForwardValueAndGrad', the argument 'weights' must be None, a ParameterTuple "
                            "or a list of Parameters.")
        object.__setattr__(self, "weights", None if weights is None else list(weights))
        self.get_all = get_all
        self.get_by_list = get_by_list
        self.sens_param = sens_param

    def construct(self, *inputs):
        sens = None
        if self.sens_param:
            sens = inputs[-1]
            inputs = inputs[:-1]
        positions = tuple(i for i, a in enumerate(inputs) if isinstance(a, Tensor)) if self.get_all else None
        weights = self.weights if self.get_by_list else None
        if positions is None and weights is None:
            positions = (0,) if inputs else ()
        out, _, in_grads, w_grads = run_and_differentiate(self.network, inputs, {}, positions, weights, False,
                                                          sens, "ForwardValueAndGrad")
        if self.get_all and self.get_by_list:
            return out, (tuple(in_grads), tuple(w_grads))
        if self.get_by_list:
            return out, tuple(w_grads)
        if self.get_all:
            return out, tuple(in_grads)
        return out, in_grads[0]


class TrainOneStepCell(Cell):
    """One training step (MindSpore's ``nn.TrainOneStepCell``): computes the loss of
    ``network(*inputs)`` and its gradients with respect to ``optimizer.parameters`` in one forward
    pass, applies the optimizer, and returns the loss (with ``return_grad``, ``(loss, {name: grad})``).

    sens: the sensitivity of the loss (default 1.0); a number.
    """

    def __init__(self, network, optimizer, sens=None, return_grad=False):
        super().__init__(auto_prefix=False)
        self.network = _check_cell(network, "network", "TrainOneStepCell")
        self.network.set_grad()
        self.optimizer = _check_cell(optimizer, "optimizer", "TrainOneStepCell")
        object.__setattr__(self, "weights", self.optimizer.parameters)
        if sens is not None:
            if isinstance(sens, bool) or not isinstance(sens, numbers.Real):
                raise TypeError(f"For 'TrainOneStepCell', the argument 'sens' must be an int or float, "
                                f"but got {type(sens).__name__}.")
            if sens == 0:
                raise ValueError("For 'TrainOneStepCell', the argument 'sens' can not be 0.")
            sens = float(sens)
        self.sens = 1.0 if sens is None else sens
        self.sense_flag = sens is not None
        if not isinstance(return_grad, bool):
            raise TypeError(f"For 'TrainOneStepCell', the argument 'return_grad' must be a bool, "
                            f"but got {type(return_grad).__name__}.")
        self.return_grad = return_grad
        if return_grad:
            self.parameters_name = [p.name for p in self.weights]
        self.reducer_flag = False
        self.grad_reducer = _identity
        self.use_grad_accumulation = False

    def construct(self, *inputs):
        loss, grads = forward_and_grads(self.network, inputs, self.weights, self.sens)
        grads = self.grad_reducer(grads)
        self.optimizer(grads)
        if self.return_grad:
            return loss, dict(zip(self.parameters_name, grads))
        return loss


def _identity(grads):
    return grads


class ParameterUpdate(Cell):
    """``cell(x)`` assigns ``x`` to ``param`` (same shape; cast to its dtype) and returns ``x``
    (MindSpore's ``nn.ParameterUpdate``)."""

    def __init__(self, param):
        super().__init__(auto_prefix=False)
        if not isinstance(param, Parameter):
            raise TypeError(f"For 'ParameterUpdate', the argument 'param' must be a Parameter, "
                            f"but got {type(param).__name__}.")
        self._param = param

    def construct(self, x):
        self._param.set_data(x)
        return x
