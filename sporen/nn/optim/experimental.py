"""The PyTorch-like optimizers of ``mindspore.experimental.optim``: Optimizer (``param_groups``,
``defaults``, ``add_param_group``), SGD, Adam, AdamW, RMSprop and Adagrad, with MindSpore's state names
(``exp_avg.<name>``, ``exp_avg_sq.<name>``, ``max_exp_avg_sq.<name>``, ``state_step``...).

As in MindSpore, SGD and Adam run the same kernels as ``nn.SGD`` / ``nn.Adam`` (Adam adds eps before
the bias correction of v), while AdamW, RMSprop and Adagrad follow PyTorch's formulas exactly. Each group's learning
rate is a Parameter (``learning_rate_group_<i>``) that an lr scheduler may change between steps.
"""
import numbers
from collections import defaultdict

import numpy as np

from ... import ops
from ...autodiff import tape as _tape
from ...tensor import Parameter, ParameterTuple, Tensor
from ..cell import Cell
from . import _graph
from .adam import apply_adam, apply_adam_amsgrad
from .optimizer import Optimizer as _BaseOptimizer
from .sgd import apply_sgd

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad"]


class Optimizer(Cell):
    """Base class of the experimental (PyTorch-like) optimizers.

    params: Parameters or dicts of groups ({'params': [...], 'lr': ..., ...}); defaults: the options
    a group takes when it does not set them. ``param_groups`` lists the groups (each with 'params'
    and every option; 'lr' becomes a float32 Parameter); ``parameters`` holds all parameters in group
    order and ``group_start_id[i]`` the index of group i's first parameter.
    """

    def __init__(self, params, defaults):
        super().__init__(auto_prefix=False)
        param_groups = self._parameters_base_check(params, "params")
        self.defaults = defaults
        self.state = defaultdict(dict)
        self.param_groups = []
        self.group_start_id = [0]
        object.__setattr__(self, "parameters", ())
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)
        object.__setattr__(self, "parameters", ParameterTuple(self.parameters))
        self._work = [None] * len(self.parameters)

    @property
    def cls_name(self):
        return type(self).__name__

    def __repr__(self):
        text = self.cls_name + " ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key == "params":
                    continue
                value = group[key]
                if key == "lr" and isinstance(value, Parameter):
                    value = float(value.asnumpy())
                text += f"    {key}: {value}\n"
        return text + ")"

    # the same argument check as nn.Optimizer's (one definition, MindSpore's messages)
    _parameters_base_check = staticmethod(_BaseOptimizer._parameters_base_check)

    def add_param_group(self, param_group):
        """Add a group (a dict with 'params' and optional options) to ``param_groups``."""
        group_id = len(self.param_groups)
        param_group = self._preprocess_param_group(param_group)
        object.__setattr__(self, "parameters", tuple(self.parameters) + tuple(param_group["params"]))
        for name, default in self.defaults.items():
            param_group.setdefault(name, default)
        lr = self._build_single_lr(param_group.get("lr"), "learning_rate_group_" + str(group_id))
        self._params["learning_rate_group_" + str(group_id)] = lr
        param_group["lr"] = lr
        param_group["weight_decay"] = self._preprocess_weight_decay(param_group.get("weight_decay", 0.0))
        self.param_groups.append(param_group)
        self.group_start_id.append(self.group_start_id[-1] + len(param_group["params"]))

    def _preprocess_param_group(self, param_group):
        if not isinstance(param_group, dict):
            raise TypeError(f"Param group must be a dict, but got {type(param_group).__name__}.")
        params = param_group["params"]
        if isinstance(params, Parameter):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("Optimizer parameters need to be organized in ordered collections, but the ordering of "
                            "tensors in sets will change between runs. Please use a list instead.")
        else:
            param_group["params"] = list(params)
        for param in param_group["params"]:
            if not isinstance(param, Parameter):
                raise TypeError(f"Optimizer can only optimize Parameters, but one of the params is "
                                f"{type(param).__name__}")
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        if any(id(p) in seen for p in param_group["params"]):
            raise ValueError("some parameters appear in more than one parameter group.")
        return param_group

    def _build_single_lr(self, learning_rate, name):
        if isinstance(learning_rate, numbers.Real) and not isinstance(learning_rate, bool):
            learning_rate = float(learning_rate)
            if learning_rate < 0:
                raise ValueError(f"For '{self.cls_name}', the argument 'learning rate' must be >= 0, "
                                 f"but got {learning_rate}.")
            return Parameter(np.array(learning_rate, np.float32), name, requires_grad=False)
        if isinstance(learning_rate, Tensor):
            if learning_rate.ndim == 0:
                return Parameter(np.asarray(learning_rate.asnumpy(), np.float32), name, requires_grad=False)
            raise ValueError("For 'Optimizer', if 'learning_rate' is a Tensor, then it should be scalar Tensor")
        raise TypeError(f"For 'Optimizer', the argument 'learning_rate' must be int, float or Tensor, "
                        f"but got {type(learning_rate).__name__}.")

    def _preprocess_weight_decay(self, weight_decay):
        if isinstance(weight_decay, numbers.Real) and not isinstance(weight_decay, bool):
            weight_decay = float(weight_decay)
            if weight_decay < 0:
                raise ValueError(f"For '{self.cls_name}', the argument 'weight_decay' must be >= 0, "
                                 f"but got {weight_decay}.")
            return weight_decay
        raise TypeError(f"For 'Optimizer', the argument 'Weight_decay' must be int or float.but got "
                        f"{type(weight_decay).__name__}")

    def _clone_state(self, attr, prefix, fill):
        state = []
        for p in self.parameters:
            arr = p._array()
            state.append(Parameter(np.full(arr.shape, fill, arr.dtype), name=prefix + "." + p.name,
                                   requires_grad=p.requires_grad))
        state = ParameterTuple(state)
        object.__setattr__(self, attr, state)
        for p in state:
            self._params[p.name] = p
        return state

    def _group_grads(self, gradients, group_id, group):
        """The numpy gradients of one group (negated when the group maximizes)."""
        start = self.group_start_id[group_id]
        end = self.group_start_id[group_id + 1]
        grads = []
        for p, g in zip(self.parameters[start:end], gradients[start:end]):
            arr = g._data if isinstance(g, Tensor) else np.asarray(g)
            if arr.shape != p.shape:
                raise ValueError(f"For '{self.cls_name}', the gradient of '{p.name}' has shape {arr.shape}, "
                                 f"the parameter has shape {p.shape}.")
            grads.append(-arr if group.get("maximize") else arr)
        return range(start, end), grads

    def _check_gradients(self, gradients):
        if isinstance(gradients, Tensor) or not isinstance(gradients, (tuple, list)):
            raise TypeError(f"For '{self.cls_name}', the input 'gradients' must be a tuple of Tensors, "
                            f"but got {type(gradients).__name__}.")
        if len(gradients) != len(self.parameters):
            raise ValueError(f"For '{self.cls_name}', got {len(gradients)} gradients for "
                             f"{len(self.parameters)} parameters.")

    def _work_buffer(self, i):
        buf = self._work[i]
        arr = self.parameters[i]._data
        if buf is None or buf.shape != arr.shape or buf.dtype != arr.dtype:
            buf = np.empty_like(arr)
            self._work[i] = buf
        return buf

    def _traced_group_grads(self, gradients, group_id, group):
        """The gradients of one group while tracing (negated when the group maximizes)."""
        start = self.group_start_id[group_id]
        end = self.group_start_id[group_id + 1]
        grads = [-g if group.get("maximize") else g for g in gradients[start:end]]
        return range(start, end), grads

    def __call__(self, *args, **kwargs):
        if _graph.tracing():
            _graph.check_supported(self)
        with _tape.paused():
            return Cell.__call__(self, *args, **kwargs)

    def construct(self, *hyper_params):
        raise NotImplementedError(f"{self.cls_name} must define construct(gradients)")


def _check_betas(lr, betas, eps, weight_decay):
    if lr < 0.0:
        raise ValueError(f"Invalid learning rate: {lr}")
    if eps < 0.0:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if weight_decay < 0.0:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


class SGD(Optimizer):
    """SGD with momentum, dampening, Nesterov, weight decay and maximize (experimental, PyTorch-like
    signature; the update is MindSpore's SGD kernel, which equals PyTorch's). State: ``accum.<name>``,
    ``stat.<name>``."""

    def __init__(self, params, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False, *, maximize=False):
        if not isinstance(lr, (numbers.Real, Tensor)) or isinstance(lr, bool):
            raise TypeError(f"For 'SGD', the argument 'lr' must be int, float or Tensor, but got {type(lr).__name__}.")
        if isinstance(lr, numbers.Real) and lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        for name, value in (("nesterov", nesterov), ("maximize", maximize)):
            if not isinstance(value, bool):
                raise TypeError(f"For 'SGD', the argument '{name}' must be a bool, but got {type(value).__name__}.")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov,
                        maximize=maximize, grad_centralization=False)
        super().__init__(params, defaults)
        for group in self.param_groups:
            group["dampening"] = float(group["dampening"])
        if nesterov and (momentum <= 0.0 or dampening != 0.0):
            raise ValueError(f"For 'SGD', if 'nesterov' is true, 'momentum' must be > 0.0 and 'dampening' must "
                             f"equal to 0.0, but got 'momentum' {momentum}, 'dampening' {dampening}")
        self.accum = self._clone_state("accum", "accum", 0)
        self.stat = self._clone_state("stat", "stat", 1)
        self._graph_update = True

    def construct(self, gradients):
        self._check_gradients(gradients)
        if _graph.tracing():
            return self._traced_update(gradients)
        for group_id, group in enumerate(self.param_groups):
            lr = float(group["lr"]._data)
            momentum = float(np.float32(group["momentum"]))
            indices, grads = self._group_grads(gradients, group_id, group)
            for i, g in zip(indices, grads):
                apply_sgd(self.parameters[i]._data, self.accum[i]._data, self.stat[i]._data, g, lr, momentum,
                          group["dampening"], group["weight_decay"], group["nesterov"], self._work_buffer(i))
        return True

    def _traced_update(self, gradients):
        for group_id, group in enumerate(self.param_groups):
            momentum = float(np.float32(group["momentum"]))
            indices, grads = self._traced_group_grads(gradients, group_id, group)
            for i, g in zip(indices, grads):
                _graph.sgd(self.parameters[i], self.accum[i], self.stat[i], g, group["lr"], momentum,
                           group["dampening"], group["weight_decay"], group["nesterov"])
        return True


def _init_adam_state(opt, params, lr, betas, eps, weight_decay, amsgrad, maximize):
    """The constructor Adam and AdamW share: the checks, the defaults and the moment states."""
    _check_betas(lr, betas, eps, weight_decay)
    defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize)
    Optimizer.__init__(opt, params, defaults)
    opt.exp_avg = opt._clone_state("exp_avg", "exp_avg", 0)
    opt.exp_avg_sq = opt._clone_state("exp_avg_sq", "exp_avg_sq", 0)
    opt.max_exp_avg_sq = opt._clone_state("max_exp_avg_sq", "max_exp_avg_sq", 0)
    opt.state_step = Parameter(np.array(0, np.int32), "state_step", requires_grad=False)
    opt._graph_update = True


class Adam(Optimizer):
    """Adam (experimental, PyTorch-like signature; MindSpore's Adam kernel: eps is added to sqrt(v)
    before the bias correction). Weight decay is L2 (added to the gradient). State:
    ``exp_avg.<name>``, ``exp_avg_sq.<name>``, ``max_exp_avg_sq.<name>``, ``state_step``."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 maximize=False):
        _init_adam_state(self, params, lr, betas, eps, weight_decay, amsgrad, maximize)

    def construct(self, gradients):
        self._check_gradients(gradients)
        if _graph.tracing():
            return self._traced_update(gradients)
        self.state_step._data += 1
        step = int(self.state_step._data)
        for group_id, group in enumerate(self.param_groups):
            lr = float(group["lr"]._data)
            beta1, beta2 = (float(np.float32(b)) for b in group["betas"])
            eps = float(np.float32(group["eps"]))
            wd = group["weight_decay"]
            beta1_power = float(np.float32(beta1) ** np.float32(step))
            beta2_power = float(np.float32(beta2) ** np.float32(step))
            indices, grads = self._group_grads(gradients, group_id, group)
            for i, g in zip(indices, grads):
                param = self.parameters[i]._data
                if wd != 0.0:
                    g = g + param * np.asarray(wd, param.dtype)
                if group["amsgrad"]:
                    apply_adam_amsgrad(param, self.exp_avg[i]._data, self.exp_avg_sq[i]._data,
                                       self.max_exp_avg_sq[i]._data, g, lr, beta1, beta2, eps, beta1_power,
                                       beta2_power, self._work_buffer(i))
                else:
                    apply_adam(param, self.exp_avg[i]._data, self.exp_avg_sq[i]._data, g, lr, beta1, beta2, eps,
                               beta1_power, beta2_power, False, self._work_buffer(i))
        return True

    def _traced_update(self, gradients):
        step = self.state_step + 1
        _graph.assign(self.state_step, step)
        step = _graph.f32(step)
        for group_id, group in enumerate(self.param_groups):
            beta1, beta2 = (float(np.float32(b)) for b in group["betas"])
            eps = float(np.float32(group["eps"]))
            wd = group["weight_decay"]
            lr_t = _graph.adam_step_size(group["lr"], ops.pow(beta1, step), ops.pow(beta2, step))
            indices, grads = self._traced_group_grads(gradients, group_id, group)
            for i, g in zip(indices, grads):
                param = self.parameters[i]
                if wd != 0.0:
                    g = g + param * wd
                if group["amsgrad"]:
                    _graph.adam_amsgrad(param, self.exp_avg[i], self.exp_avg_sq[i], self.max_exp_avg_sq[i], g, lr_t,
                                        beta1, beta2, eps)
                else:
                    _graph.adam(param, self.exp_avg[i], self.exp_avg_sq[i], g, lr_t, beta1, beta2, eps, False)
        return True


def apply_adamw(param, m, v, vmax, grad, lr, beta1, beta2, eps, weight_decay, step, amsgrad, work):
    """One AdamW step on numpy arrays, in place (PyTorch's formula): p *= 1 - lr * wd;
    m = beta1 * m + (1 - beta1) * g; v = beta2 * v + (1 - beta2) * g^2;
    p -= lr / (1 - beta1^t) * m / (sqrt(v or max(vmax, v)) / sqrt(1 - beta2^t) + eps)."""
    param *= 1.0 - lr * weight_decay
    m *= beta1
    np.multiply(grad, 1.0 - beta1, out=work, casting="same_kind")
    m += work
    v *= beta2
    np.square(grad, out=work, casting="same_kind")
    work *= 1.0 - beta2
    v += work
    bias_correction1 = 1.0 - beta1 ** step
    bias_correction2_sqrt = (1.0 - beta2 ** step) ** 0.5
    if amsgrad:
        np.maximum(vmax, v, out=vmax)
        np.sqrt(vmax, out=work)
    else:
        np.sqrt(v, out=work)
    work /= bias_correction2_sqrt
    work += eps
    np.divide(m, work, out=work)
    work *= lr / bias_correction1
    param -= work


class AdamW(Optimizer):
    """AdamW (experimental, PyTorch-like): decoupled weight decay, bias-corrected moments, exactly
    PyTorch's ``torch.optim.AdamW``. State: ``exp_avg.<name>``, ``exp_avg_sq.<name>``,
    ``max_exp_avg_sq.<name>``, ``state_step``."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False):
        _init_adam_state(self, params, lr, betas, eps, weight_decay, amsgrad, maximize)

    def construct(self, gradients):
        self._check_gradients(gradients)
        if _graph.tracing():
            return self._traced_update(gradients)
        self.state_step._data += 1
        step = float(self.state_step._data)
        for group_id, group in enumerate(self.param_groups):
            lr = float(group["lr"]._data)
            beta1, beta2 = group["betas"]
            indices, grads = self._group_grads(gradients, group_id, group)
            for i, g in zip(indices, grads):
                apply_adamw(self.parameters[i]._data, self.exp_avg[i]._data, self.exp_avg_sq[i]._data,
                            self.max_exp_avg_sq[i]._data, g, lr, beta1, beta2, group["eps"], group["weight_decay"],
                            step, group["amsgrad"], self._work_buffer(i))
        return True

    def _traced_update(self, gradients):
        step = self.state_step + 1
        _graph.assign(self.state_step, step)
        for group_id, group in enumerate(self.param_groups):
            beta1, beta2 = group["betas"]
            indices, grads = self._traced_group_grads(gradients, group_id, group)
            for i, g in zip(indices, grads):
                _graph.adamw(self.parameters[i], self.exp_avg[i], self.exp_avg_sq[i], self.max_exp_avg_sq[i], g,
                             group["lr"], beta1, beta2, group["eps"], group["weight_decay"], step, group["amsgrad"])
        return True


def _check_not_less(value, name, cls_name, strict=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"For '{cls_name}', the argument '{name}' must be a number, but got {type(value).__name__}.")
    if value < 0 or (strict and value == 0):
        raise ValueError(f"For '{cls_name}', the argument '{name}' must be {'>' if strict else '>='} 0, "
                         f"but got {value}.")


def apply_rmsprop_torch(param, square_avg, grad_avg, mom, grad, lr, alpha, eps, momentum, centered, work):
    """One RMSprop step on numpy arrays, in place (PyTorch's formula): v = alpha * v + (1 - alpha) * g^2;
    avg = sqrt(v - mean_g^2) (centered) or sqrt(v), plus eps; with momentum b = momentum * b + g / avg,
    p -= lr * b; else p -= lr * g / avg."""
    square_avg *= alpha
    np.square(grad, out=work, casting="same_kind")
    work *= 1.0 - alpha
    square_avg += work
    if centered:
        grad_avg *= alpha
        np.multiply(grad, 1.0 - alpha, out=work, casting="same_kind")
        grad_avg += work
        np.square(grad_avg, out=work)
        np.subtract(square_avg, work, out=work)
        np.sqrt(work, out=work)
    else:
        np.sqrt(square_avg, out=work)
    work += eps
    np.divide(grad, work, out=work, casting="same_kind")
    if momentum > 0:
        mom *= momentum
        mom += work
        np.multiply(mom, lr, out=work)
    else:
        work *= lr
    param -= work


class RMSprop(Optimizer):
    """RMSprop (experimental, exactly PyTorch's ``torch.optim.RMSprop``). State: ``mean_grad.<name>``,
    ``mean_square.<name>``, ``moment.<name>``."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False,
                 maximize=False):
        for name, value, strict in (("lr", lr, True), ("alpha", alpha, False), ("eps", eps, True),
                                    ("momentum", momentum, False), ("weight_decay", weight_decay, False)):
            if name == "lr" and isinstance(value, Tensor):
                continue
            _check_not_less(value, name, "RMSprop", strict)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered, weight_decay=weight_decay,
                        maximize=maximize)
        super().__init__(params, defaults)
        self.mean_grad = self._clone_state("mean_grad", "mean_grad", 0)
        self.mean_square = self._clone_state("mean_square", "mean_square", 0)
        self.moment = self._clone_state("moment", "moment", 0)
        self._graph_update = True

    def construct(self, gradients):
        self._check_gradients(gradients)
        if _graph.tracing():
            return self._traced_update(gradients)
        for group_id, group in enumerate(self.param_groups):
            lr = float(group["lr"]._data)
            wd = group["weight_decay"]
            indices, grads = self._group_grads(gradients, group_id, group)
            for i, g in zip(indices, grads):
                param = self.parameters[i]._data
                if wd != 0.0:
                    g = g + param * np.asarray(wd, param.dtype)
                apply_rmsprop_torch(param, self.mean_square[i]._data, self.mean_grad[i]._data, self.moment[i]._data,
                                    g, lr, group["alpha"], group["eps"], group["momentum"], group["centered"],
                                    self._work_buffer(i))
        return True

    def _traced_update(self, gradients):
        for group_id, group in enumerate(self.param_groups):
            wd = group["weight_decay"]
            indices, grads = self._traced_group_grads(gradients, group_id, group)
            for i, g in zip(indices, grads):
                param = self.parameters[i]
                if wd != 0.0:
                    g = g + param * wd
                _graph.rmsprop_torch(param, self.mean_square[i], self.mean_grad[i], self.moment[i], g, group["lr"],
                                     group["alpha"], group["eps"], group["momentum"], group["centered"])
        return True


class Adagrad(Optimizer):
    """Adagrad (experimental, exactly PyTorch's ``torch.optim.Adagrad``): the step t uses
    lr / (1 + (t - 1) * lr_decay); accum += g^2; p -= lr_t * g / (sqrt(accum) + eps). State:
    ``accum.<name>``, ``step_t``."""

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10, *,
                 maximize=False):
        for name, value, strict in (("lr", lr, True), ("lr_decay", lr_decay, False),
                                    ("weight_decay", weight_decay, False),
                                    ("initial_accumulator_value", initial_accumulator_value, False),
                                    ("eps", eps, True)):
            if name == "lr" and isinstance(value, Tensor):
                continue
            _check_not_less(value, name, "Adagrad", strict)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, maximize=maximize)
        super().__init__(params, defaults)
        self.accum = self._clone_state("accum", "accum", initial_accumulator_value)
        self.step_t = Parameter(np.array(0, np.int32), "step_t", requires_grad=False)
        self._graph_update = True

    def construct(self, gradients):
        self._check_gradients(gradients)
        if _graph.tracing():
            return self._traced_update(gradients)
        step = int(self.step_t._data)
        for group_id, group in enumerate(self.param_groups):
            lr = float(group["lr"]._data) / (1.0 + step * group["lr_decay"])
            wd = group["weight_decay"]
            indices, grads = self._group_grads(gradients, group_id, group)
            for i, g in zip(indices, grads):
                param = self.parameters[i]._data
                accum = self.accum[i]._data
                work = self._work_buffer(i)
                if wd != 0.0:
                    g = g + param * np.asarray(wd, param.dtype)
                np.square(g, out=work, casting="same_kind")
                accum += work
                np.sqrt(accum, out=work)
                work += group["eps"]
                np.divide(g, work, out=work, casting="same_kind")
                work *= lr
                param -= work
        self.step_t._data += 1
        return True

    def _traced_update(self, gradients):
        step = _graph.f64(self.step_t)
        for group_id, group in enumerate(self.param_groups):
            lr = _graph.f32(_graph.f64(group["lr"]) / (step * group["lr_decay"] + 1.0))
            wd = group["weight_decay"]
            indices, grads = self._traced_group_grads(gradients, group_id, group)
            for i, g in zip(indices, grads):
                param = self.parameters[i]
                if wd != 0.0:
                    g = g + param * wd
                accum = self.accum[i] + ops.square(g)
                _graph.assign(self.accum[i], accum)
                _graph.assign(param, param - g / (ops.sqrt(accum) + group["eps"]) * lr)
        _graph.assign(self.step_t, self.step_t + 1)
        return True
