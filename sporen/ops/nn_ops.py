"""Neural-network primitives: softmax and log-softmax, layer/batch/group normalisation, dropout,
one-hot, embedding lookup. Resizing, pixel shuffle, distances and im2col live in nn_spatial.py
(same family, split for size); losses live in loss_ops.py."""
import numpy as np

from .. import dtype as mstype
from ..context import RANDOM
from ..frontend.trace import TRACES as _TRACES
from ..tensor import Tensor
from . import _rules as R
from ._helpers import Scratch, check_tensor, scratch_bytes, tensor_like, unbroadcast
from .registry import NOT_DIFFERENTIABLE, OPS, Aval, register

__all__ = ["softmax", "log_softmax", "softmin", "gumbel_softmax", "layer_norm", "rms_norm", "add_layer_norm",
           "add_rms_norm", "batch_norm",
           "group_norm", "dropout", "dropout1d", "dropout2d", "dropout3d", "one_hot", "embedding"]

_wrap = Tensor._wrap


class _Prims:
    """Other families' primitives, looked up by name when used (``P.mul(x, y)``), so that this
    module never depends on their import order."""

    def __getattr__(self, name):
        return OPS[name]


P = _Prims()


def _c(value, like):
    """A 0-d constant with ``like``'s dtype."""
    return tensor_like(value, like)


def _sum(x, axes, keepdims=True):
    """reduce_sum over ``axes``; an empty tuple means no reduction (not 'every axis')."""
    if not axes:
        return x
    return P.reduce_sum(x, axis=tuple(axes), keepdims=keepdims)


def _rsqrt(x):
    return P.reciprocal(P.sqrt(x))


def _float_input(name, x, argname="input"):
    check_tensor(name, x, argname)
    if x.dtype.kind != "f":
        raise TypeError(f"{name}: '{argname}' must be a float tensor, got {x.dtype}")
    return x


def _compute_dtype(x):
    """float16/bfloat16 kernels compute in float32 for accuracy, then cast back."""
    return np.float32 if x.dtype.itemsize < 4 else x.dtype


# --- softmax, log_softmax ------------------------------------------------------------------------
def _softmax_rule(x, axis):
    if x.dtype.kind != "f":
        raise TypeError(f"softmax: 'input' must be a float tensor, got {x.dtype}")
    return Aval(x.shape, x.dtype)


def _softmax_kernel(x, axis):
    if x.size == 0:
        return x.copy()
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    e /= e.sum(axis=axis, keepdims=True)
    return e


def _softmax_bprop(x, out, dout, axis):
    s = P.reduce_sum(P.mul(dout, out), axis=axis, keepdims=True)
    return (P.mul(out, P.sub(dout, s)),)


softmax_p = register("softmax", infer=_softmax_rule, kernel=_softmax_kernel, bprop=_softmax_bprop,
                     family="nn")


def _log_softmax_kernel(x, axis):
    if x.size == 0:
        return x.copy()
    shifted = x - x.max(axis=axis, keepdims=True)
    shifted -= np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    return shifted


def _log_softmax_bprop(x, out, dout, axis):
    s = P.reduce_sum(dout, axis=axis, keepdims=True)
    return (P.sub(dout, P.mul(P.exp(out), s)),)


log_softmax_p = register("log_softmax", infer=_softmax_rule, kernel=_log_softmax_kernel,
                         bprop=_log_softmax_bprop, family="nn")


def _softmax_axes(name, axis, ndim):
    if isinstance(axis, (tuple, list)) and not axis:
        raise ValueError(f"{name}: 'axis' must not be empty")
    return R.normalize_axes(name, axis, ndim)


def softmax(input, axis=-1, *, dtype=None):
    """Softmax along ``axis`` (an int or a tuple of ints): ``exp(x) / sum(exp(x))``.
    ``dtype`` casts the input first."""
    check_tensor("softmax", input)
    if dtype is not None:
        input = P.cast(input, dtype=mstype.to_dtype(dtype))
    _float_input("softmax", input)
    return softmax_p(input, axis=_softmax_axes("softmax", axis, input.ndim))


def log_softmax(logits, axis=-1):
    """``log(softmax(logits))`` along ``axis``, computed stably."""
    _float_input("log_softmax", logits, "logits")
    return log_softmax_p(logits, axis=_softmax_axes("log_softmax", axis, logits.ndim))


def softmin(x, axis=-1, *, dtype=None):
    """``softmax(-x)`` along ``axis``."""
    check_tensor("softmin", x, "x")
    if dtype is not None:
        x = P.cast(x, dtype=mstype.to_dtype(dtype))
    _float_input("softmin", x, "x")
    return softmax_p(P.neg(x), axis=_softmax_axes("softmin", axis, x.ndim))


def gumbel_softmax(logits, tau=1, hard=False, dim=-1):
    """Sample from the Gumbel-softmax distribution: ``softmax((logits + g) / tau)`` with Gumbel
    noise g. With ``hard`` the result is one-hot in value but keeps the soft sample's gradient
    (straight-through)."""
    _float_input("gumbel_softmax", logits, "logits")
    if isinstance(tau, bool) or not isinstance(tau, (int, float)) or not tau > 0:
        raise ValueError(f"gumbel_softmax: 'tau' must be a positive number, got {tau!r}")
    if not isinstance(hard, (bool, np.bool_)):
        raise TypeError(f"gumbel_softmax: 'hard' must be a bool, got {type(hard).__name__}")
    axis = R.normalize_axis("gumbel_softmax", dim, logits.ndim, "dim")
    u = P.random_uniform(shape=logits.shape, dtype=logits.dtype, seed=None)
    tiny = float(np.finfo(logits.dtype.np).tiny)
    u = P.minimum(P.maximum(u, _c(tiny, u)), _c(1.0 - float(np.finfo(logits.dtype.np).epsneg), u))
    gumbel = P.neg(P.log(P.neg(P.log(u))))
    y = softmax_p(P.div(P.add(logits, gumbel), _c(tau, logits)), axis=(axis,))
    if not hard:
        return y
    index = P.argmax(y, axis=axis, keepdims=False, dtype=mstype.int64)
    y_hard = one_hot_p(index, _c(1, y), _c(0, y), depth=logits.shape[axis], axis=axis)
    return P.add(P.sub(y_hard, P.stop_gradient(y)), y)


# --- layer_norm ----------------------------------------------------------------------------------
def _layer_norm_rule(x, gamma, beta, begin_norm_axis, begin_params_axis, epsilon):
    if x.dtype.kind != "f":
        raise TypeError(f"layer_norm: 'input' must be a float tensor, got {x.dtype}")
    R.check_same_dtype("layer_norm", x, gamma, beta)
    tail = x.shape[begin_params_axis:]
    for argname, p in (("weight", gamma), ("bias", beta)):
        try:
            fits = np.broadcast_shapes(p.shape, tail) == tail
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"layer_norm: '{argname}' of shape {list(p.shape)} does not match the "
                             f"normalized shape {list(tail)}")
    stat = x.shape[:begin_norm_axis] + (1,) * (len(x.shape) - begin_norm_axis)
    return Aval(x.shape, x.dtype), Aval(stat, x.dtype), Aval(stat, x.dtype)


def _layer_norm_kernel(x, gamma, beta, begin_norm_axis, begin_params_axis, epsilon, out=None, ws=None):
    if out is not None:
        return _layer_norm_into(out, ws, x, gamma, beta, begin_norm_axis, epsilon)
    dt = x.dtype
    xc = x.astype(_compute_dtype(x), copy=False)
    axes = tuple(range(begin_norm_axis, x.ndim))
    inv_n = 1.0 / max(int(np.prod(x.shape[begin_norm_axis:])), 1)
    # sum * (1/n) rather than mean(): numpy's mean has a Python-level wrapper, costly on small inputs
    mean = xc.sum(axis=axes, keepdims=True)
    mean *= inv_n
    centred = xc - mean
    var = np.square(centred).sum(axis=axes, keepdims=True)
    var *= inv_n
    rstd = 1.0 / np.sqrt(var + epsilon)
    y = centred
    y *= rstd
    y *= gamma
    y += beta
    return y.astype(dt, copy=False), mean.astype(dt, copy=False), rstd.astype(dt, copy=False)


def _layer_norm_into(out, ws, x, gamma, beta, begin_norm_axis, epsilon):
    """The kernel's passes (float32/float64) into ``out`` = (y, mean, rstd), the squares and the
    variance in the scratch."""
    y, mean, rstd = out
    scratch = Scratch(ws)
    axes = tuple(range(begin_norm_axis, x.ndim))
    inv_n = 1.0 / max(int(np.prod(x.shape[begin_norm_axis:])), 1)
    np.add.reduce(x, axis=axes, keepdims=True, out=mean)
    mean *= inv_n
    np.subtract(x, mean, out=y)
    squares = np.square(y, out=scratch.empty(x.shape, x.dtype))
    var = np.add.reduce(squares, axis=axes, keepdims=True, out=scratch.empty(mean.shape, x.dtype))
    var *= inv_n
    np.add(var, epsilon, out=rstd)
    np.sqrt(rstd, out=rstd)
    np.true_divide(1.0, rstd, out=rstd)
    y *= rstd
    y *= gamma
    y += beta
    return out


def _layer_norm_scratch(x, gamma, beta, begin_norm_axis, begin_params_axis, epsilon):
    if x.dtype.char not in "fd" or gamma.dtype != x.dtype or beta.dtype != x.dtype:
        return None
    stat = int(np.prod(x.shape[:begin_norm_axis]))
    return scratch_bytes(x.size * x.dtype.itemsize, stat * x.dtype.itemsize)


_layer_norm_kernel.scratch = _layer_norm_scratch


def _layer_norm_bprop(x, gamma, beta, out, dout, begin_norm_axis, begin_params_axis, epsilon):
    _, mean, rstd = out
    dy, dmean, drstd = dout
    axes = tuple(range(begin_norm_axis, x.ndim))
    n = int(np.prod(x.shape[begin_norm_axis:]))
    xhat = P.mul(P.sub(x, mean), rstd)
    g = P.mul(dy, gamma)
    mg = P.reduce_mean(g, axis=axes, keepdims=True)
    mgx = P.reduce_mean(P.mul(g, xhat), axis=axes, keepdims=True)
    # dx = rstd*(g - mean(g) - xhat*mean(g*xhat)) + dmean/n - drstd*rstd^2*xhat/n, with the small
    # (reduced-shape) factors folded first so only three full-size products remain
    inv_n = _c(1.0 / max(n, 1), x)
    c1 = P.sub(P.mul(rstd, mg), P.mul(dmean, inv_n))
    c2 = P.add(P.mul(rstd, mgx), P.mul(P.mul(drstd, P.mul(rstd, rstd)), inv_n))
    dx = P.sub(P.sub(P.mul(g, rstd), c1), P.mul(xhat, c2))
    lead = tuple(range(begin_params_axis))
    dgamma = unbroadcast(_sum(P.mul(dy, xhat), lead, keepdims=False), gamma.shape)
    dbeta = unbroadcast(_sum(dy, lead, keepdims=False), beta.shape)
    return dx, dgamma, dbeta


layer_norm_p = register("layer_norm", infer=_layer_norm_rule, kernel=_layer_norm_kernel,
                        bprop=_layer_norm_bprop, nout=3, family="nn")


def _normalized_shape(name, normalized_shape, x):
    if isinstance(normalized_shape, (int, np.integer)) and not isinstance(normalized_shape, bool):
        normalized_shape = (int(normalized_shape),)
    if not isinstance(normalized_shape, (tuple, list)):
        raise TypeError(f"{name}: 'normalized_shape' must be an int or a tuple of ints, got "
                        f"{type(normalized_shape).__name__}")
    shape = tuple(int(s) for s in normalized_shape)
    k = len(shape)
    if k == 0 or k > x.ndim or x.shape[x.ndim - k:] != shape:
        raise ValueError(f"{name}: 'normalized_shape' {list(shape)} must be the trailing dimensions "
                         f"of the input's shape {list(x.shape)}")
    return x.ndim - k


def _param_or_const(name, p, argname, value, x):
    if p is None:
        return _c(value, x)
    check_tensor(name, p, argname)
    if p.dtype is not x.dtype:
        p = P.cast(p, dtype=x.dtype)
    return p


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Layer normalisation over the trailing ``normalized_shape`` dimensions:
    ``(x - mean) / sqrt(var + eps) * weight + bias`` (biased variance)."""
    _float_input("layer_norm", input)
    axis = _normalized_shape("layer_norm", normalized_shape, input)
    gamma = _param_or_const("layer_norm", weight, "weight", 1.0, input)
    beta = _param_or_const("layer_norm", bias, "bias", 0.0, input)
    return layer_norm_p(input, gamma, beta, begin_norm_axis=axis, begin_params_axis=axis,
                        epsilon=float(eps))[0]


# --- rms_norm ---------------------------------------------------------------------------------
def _rms_norm_rule(x, gamma, begin_axis, epsilon):
    if x.dtype.kind != "f":
        raise TypeError(f"rms_norm: 'x' must be a float tensor, got {x.dtype}")
    R.check_same_dtype("rms_norm", x, gamma)
    stat = x.shape[:begin_axis] + (1,) * (len(x.shape) - begin_axis)
    return Aval(x.shape, x.dtype), Aval(stat, x.dtype)


def _rms_norm_kernel(x, gamma, begin_axis, epsilon):
    dt = x.dtype
    xc = x.astype(_compute_dtype(x), copy=False)
    axes = tuple(range(begin_axis, x.ndim))
    inv_n = 1.0 / max(int(np.prod(x.shape[begin_axis:])), 1)
    ms_ = np.square(xc).sum(axis=axes, keepdims=True)
    ms_ *= inv_n
    rstd = 1.0 / np.sqrt(ms_ + epsilon)
    y = xc * rstd
    y *= gamma
    return y.astype(dt, copy=False), rstd.astype(dt, copy=False)


def _rms_norm_bprop(x, gamma, out, dout, begin_axis, epsilon):
    _, rstd = out
    dy, drstd = dout
    axes = tuple(range(begin_axis, x.ndim))
    n = int(np.prod(x.shape[begin_axis:]))
    xhat = P.mul(x, rstd)
    g = P.mul(dy, gamma)
    mgx = P.reduce_mean(P.mul(g, xhat), axis=axes, keepdims=True)
    # dx = rstd*(g - xhat*mean(g*xhat)) - drstd*rstd^2*xhat/n
    c = P.add(P.mul(rstd, mgx), P.mul(P.mul(drstd, P.mul(rstd, rstd)), _c(1.0 / max(n, 1), x)))
    dx = P.sub(P.mul(g, rstd), P.mul(xhat, c))
    lead = tuple(range(x.ndim - gamma.ndim))
    dgamma = unbroadcast(_sum(P.mul(dy, xhat), lead, keepdims=False), gamma.shape)
    return dx, dgamma


rms_norm_p = register("rms_norm", infer=_rms_norm_rule, kernel=_rms_norm_kernel, bprop=_rms_norm_bprop,
                      nout=2, family="nn")


def rms_norm(x, gamma, epsilon=1e-6):
    """Root-mean-square normalisation over the trailing ``gamma.ndim`` dimensions:
    ``x * rsqrt(mean(x**2) + epsilon) * gamma``. Returns ``(y, rstd)``."""
    _float_input("rms_norm", x, "x")
    check_tensor("rms_norm", gamma, "gamma")
    if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float)) or not 0 < epsilon <= 1:
        raise ValueError(f"rms_norm: 'epsilon' must be a float in (0, 1], got {epsilon!r}")
    if gamma.ndim > x.ndim:
        raise ValueError(f"rms_norm: the rank of 'gamma' ({gamma.ndim}) must not exceed the rank of 'x' ({x.ndim})")
    if gamma.dtype is not x.dtype:
        raise TypeError(f"rms_norm: 'gamma' must have the dtype of 'x' ({x.dtype}), got {gamma.dtype}")
    begin = x.ndim - gamma.ndim
    if x.shape[begin:] != gamma.shape:
        raise ValueError(f"rms_norm: 'gamma' of shape {list(gamma.shape)} must match the trailing dims of 'x' "
                         f"{list(x.shape)}")
    return rms_norm_p(x, gamma, begin_axis=begin, epsilon=float(epsilon))


def _add_inputs(name, x1, x2):
    _float_input(name, x1, "x1")
    check_tensor(name, x2, "x2")
    if x2.shape != x1.shape:
        raise ValueError(f"{name}: 'x2' must have the shape of 'x1' {list(x1.shape)}, got {list(x2.shape)}")
    if x2.dtype is not x1.dtype:
        x2 = P.cast(x2, dtype=x1.dtype)
    return P.add(x1, x2)


def add_layer_norm(x1, x2, gamma, beta, epsilon=1e-5, additional_output=False):
    """Layer normalisation of ``x = x1 + x2`` over the trailing ``gamma.ndim`` dims. Returns
    ``(y, mean, rstd, x)``."""
    x = _add_inputs("add_layer_norm", x1, x2)
    check_tensor("add_layer_norm", gamma, "gamma")
    check_tensor("add_layer_norm", beta, "beta")
    axis = _normalized_shape("add_layer_norm", gamma.shape, x)
    gamma = _param_or_const("add_layer_norm", gamma, "gamma", 1.0, x)
    beta = _param_or_const("add_layer_norm", beta, "beta", 0.0, x)
    y, mean, rstd = layer_norm_p(x, gamma, beta, begin_norm_axis=axis, begin_params_axis=axis, epsilon=float(epsilon))
    return y, mean, rstd, x


def add_rms_norm(x1, x2, gamma, epsilon=1e-6):
    """RMS normalisation of ``x = x1 + x2``. Returns ``(y, rstd, x)``."""
    x = _add_inputs("add_rms_norm", x1, x2)
    y, rstd = rms_norm(x, gamma, epsilon)
    return y, rstd, x


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Group normalisation: the channels of ``input`` (N, C, *) are split into ``num_groups``
    groups, each normalised over its channels and spatial positions, then scaled per channel."""
    _float_input("group_norm", input)
    if isinstance(num_groups, bool) or not isinstance(num_groups, (int, np.integer)) or num_groups <= 0:
        raise ValueError(f"group_norm: 'num_groups' must be a positive int, got {num_groups!r}")
    if input.ndim < 2:
        raise ValueError(f"group_norm: 'input' must have at least 2 dims (N, C, *), got shape "
                         f"{list(input.shape)}")
    n, c = input.shape[0], input.shape[1]
    if c % num_groups:
        raise ValueError(f"group_norm: the number of channels {c} must be divisible by "
                         f"'num_groups' {num_groups}")
    grouped = P.reshape(input, shape=(n, int(num_groups), input.size // max(n * num_groups, 1)))
    one = _c(1.0, input)
    zero = _c(0.0, input)
    y = layer_norm_p(grouped, one, zero, begin_norm_axis=2, begin_params_axis=2, epsilon=float(eps))[0]
    y = P.reshape(y, shape=input.shape)
    pshape = (1, c) + (1,) * (input.ndim - 2)
    if weight is not None:
        y = P.mul(y, P.reshape(_param_or_const("group_norm", weight, "weight", 1.0, input), shape=pshape))
    if bias is not None:
        y = P.add(y, P.reshape(_param_or_const("group_norm", bias, "bias", 0.0, input), shape=pshape))
    return y


# --- batch_norm ----------------------------------------------------------------------------------
def _batch_norm_rule(x, scale, bias, mean, var, training, epsilon):
    if x.dtype.kind != "f":
        raise TypeError(f"batch_norm: 'input_x' must be a float tensor, got {x.dtype}")
    if len(x.shape) < 2:
        raise ValueError(f"batch_norm: 'input_x' must have at least 2 dims (N, C, *), got shape "
                         f"{list(x.shape)}")
    c = x.shape[1]
    for argname, p in (("weight", scale), ("bias", bias), ("running_mean", mean), ("running_var", var)):
        if p.shape != (c,):
            raise ValueError(f"batch_norm: '{argname}' must have shape [{c}] (the channels), got "
                             f"{list(p.shape)}")
    R.check_same_dtype("batch_norm", x, scale, bias, mean, var)
    stat = Aval((c,), x.dtype)
    return Aval(x.shape, x.dtype), stat, stat


def _bn_axes(ndim):
    return (0,) + tuple(range(2, ndim))


def _bn_shape(x):
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def _batch_norm_kernel(x, scale, bias, mean, var, training, epsilon, out=None, ws=None):
    if out is not None:
        return _batch_norm_into(out, ws, x, scale, bias, mean, var, training, epsilon)
    dt = x.dtype
    xc = x.astype(_compute_dtype(x), copy=False)
    shape = _bn_shape(x)
    if training:
        axes = _bn_axes(x.ndim)
        mean = xc.mean(axis=axes)
        centred = xc - mean.reshape(shape)
        var = np.square(centred).mean(axis=axes)
    else:
        centred = xc - mean.reshape(shape)
    k = scale / np.sqrt(var + epsilon)
    y = centred
    y *= k.reshape(shape)
    y += bias.reshape(shape)
    return y.astype(dt, copy=False), mean.astype(dt), var.astype(dt)


def _batch_norm_into(out, ws, x, scale, bias, mean, var, training, epsilon):
    """The kernel's passes (float32/float64) into ``out`` = (y, mean, var), the squares and the
    per-channel factor in the scratch. ``np.mean`` divides its sum by an intp count (so in float64
    for float32 input, rounded once): done the same way here."""
    y, mean_out, var_out = out
    scratch = Scratch(ws)
    shape = _bn_shape(x)
    if training:
        axes = _bn_axes(x.ndim)
        count = np.intp(x.size // max(x.shape[1], 1))
        np.add.reduce(x, axis=axes, out=mean_out)
        np.true_divide(mean_out, count, out=mean_out, casting="unsafe")
        np.subtract(x, mean_out.reshape(shape), out=y)
        squares = np.square(y, out=scratch.empty(x.shape, x.dtype))
        np.add.reduce(squares, axis=axes, out=var_out)
        np.true_divide(var_out, count, out=var_out, casting="unsafe")
    else:
        np.subtract(x, mean.reshape(shape), out=y)
        np.copyto(mean_out, mean)
        np.copyto(var_out, var)
    k = np.add(var_out, epsilon, out=scratch.empty(var_out.shape, x.dtype))
    np.sqrt(k, out=k)
    np.true_divide(scale, k, out=k)
    y *= k.reshape(shape)
    y += bias.reshape(shape)
    return out


def _batch_norm_scratch(x, scale, bias, mean, var, training, epsilon):
    if x.dtype.char not in "fd" or any(v.dtype != x.dtype for v in (scale, bias, mean, var)):
        return None
    return scratch_bytes(x.size * x.dtype.itemsize if training else 0, x.shape[1] * x.dtype.itemsize)


_batch_norm_kernel.scratch = _batch_norm_scratch


def _batch_norm_bprop(x, scale, bias, mean, var, out, dout, training, epsilon):
    _, out_mean, out_var = out
    dy, dmean, dvar = dout
    shape = _bn_shape(x)
    axes = _bn_axes(x.ndim)
    rstd = _rsqrt(P.add(out_var, _c(epsilon, x)))
    xhat = P.mul(P.sub(x, P.reshape(out_mean, shape=shape)), P.reshape(rstd, shape=shape))
    sum_dy = P.reduce_sum(dy, axis=axes, keepdims=False)
    sum_dy_xhat = P.reduce_sum(P.mul(dy, xhat), axis=axes, keepdims=False)
    k = P.mul(scale, rstd)
    if training:
        n = x.size // max(x.shape[1], 1)
        inv_n = _c(1.0 / max(n, 1), x)
        # dx = k*(dy - mean(dy) - xhat*mean(dy*xhat)) + dmean/n + dvar*2*(x-mean)/n
        c1 = P.mul(P.sub(P.mul(k, sum_dy), dmean), inv_n)
        c2 = P.mul(P.sub(P.mul(k, sum_dy_xhat), P.div(P.mul(dvar, _c(2.0, x)), rstd)), inv_n)
        dx = P.sub(P.sub(P.mul(dy, P.reshape(k, shape=shape)), P.reshape(c1, shape=shape)),
                   P.mul(xhat, P.reshape(c2, shape=shape)))
        return dx, sum_dy_xhat, sum_dy, None, None
    dx = P.mul(dy, P.reshape(k, shape=shape))
    dmean_in = P.sub(dmean, P.mul(sum_dy, k))
    dvar_in = P.sub(dvar, P.mul(P.mul(sum_dy_xhat, P.mul(k, rstd)), _c(0.5, x)))
    return dx, sum_dy_xhat, sum_dy, dmean_in, dvar_in


batch_norm_p = register("batch_norm", infer=_batch_norm_rule, kernel=_batch_norm_kernel,
                        bprop=_batch_norm_bprop, nout=3, family="nn")


def _assign(target, value):
    """Write ``value`` into ``target`` in place (running statistics), as MindSpore's Assign does."""
    if _TRACES:
        # graph mode: rebind to the op-computed value; the trace writes it back after each run
        if value.dtype != target.dtype:
            value = P.cast(value, dtype=target.dtype)
        target._data = value._data
        return
    assign = OPS.get("assign")
    if assign is not None:
        assign(target, value)
        return
    target._array()[...] = value._data


def batch_norm(input_x, running_mean, running_var, weight, bias, training=False, momentum=0.1, eps=1e-5):
    """Batch normalisation over (N, C, *) inputs. In training the batch statistics normalise, and
    ``running_mean``/``running_var`` are updated in place:
    ``running = (1 - momentum) * running + momentum * batch`` (unbiased batch variance)."""
    _float_input("batch_norm", input_x, "input_x")
    for argname, p in (("running_mean", running_mean), ("running_var", running_var),
                       ("weight", weight), ("bias", bias)):
        check_tensor("batch_norm", p, argname)
    if not isinstance(training, (bool, np.bool_)):
        raise TypeError(f"batch_norm: 'training' must be a bool, got {type(training).__name__}")
    if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 <= momentum <= 1:
        raise ValueError(f"batch_norm: 'momentum' must be a float in [0, 1], got {momentum!r}")
    y, bmean, bvar = batch_norm_p(input_x, weight, bias, running_mean, running_var,
                                  training=bool(training), epsilon=float(eps))
    if training:
        n = input_x.size // max(input_x.shape[1], 1)
        unbiased = P.mul(bvar, _c(n / max(n - 1, 1), bvar))
        m = _c(momentum, bmean)
        keep = _c(1.0 - momentum, bmean)
        _assign(running_mean, P.stop_gradient(P.add(P.mul(running_mean, keep), P.mul(bmean, m))))
        _assign(running_var, P.stop_gradient(P.add(P.mul(running_var, keep), P.mul(unbiased, m))))
    return y


# --- dropout ---------------------------------------------------------------------------------
def _dropout_mask_rule(x, keep_prob, noise_shape, seed):
    return Aval(noise_shape, x.dtype)


def _dropout_mask_kernel(x, keep_prob, noise_shape, seed):
    rng = RANDOM.generator if seed is None else np.random.default_rng(seed)
    keep = rng.random(noise_shape, dtype=np.float32) < keep_prob
    return keep.astype(x.dtype) * x.dtype.type(1.0 / keep_prob)


dropout_mask_p = register("dropout_mask", infer=_dropout_mask_rule, kernel=_dropout_mask_kernel,
                          bprop=NOT_DIFFERENTIABLE, family="nn", impure=True)


def _check_p(name, p):
    if isinstance(p, bool) or not isinstance(p, (int, float, np.floating)):
        raise TypeError(f"{name}: 'p' must be a float, got {type(p).__name__}")
    if not 0 <= p <= 1:
        raise ValueError(f"{name}: 'p' must be in [0, 1], got {p}")
    return float(p)


def _dropout(name, x, p, training, noise_shape, seed=None):
    """x times a sampled mask of ``noise_shape`` (broadcast over x) that is 0 with probability
    ``p`` and ``1/(1-p)`` otherwise; the mask is an explicit tensor, so the gradient is exact."""
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return P.mul(x, _c(0.0, x))
    mask = dropout_mask_p(x, keep_prob=1.0 - p, noise_shape=noise_shape, seed=seed)
    return P.mul(x, mask)


def dropout(input, p=0.5, training=True, seed=None):
    """Zero each element with probability ``p`` during training and scale the rest by
    ``1/(1-p)``. Reproducible under ``set_seed``; a ``seed`` fixes this call's mask."""
    _float_input("dropout", input)
    p = _check_p("dropout", p)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise TypeError(f"dropout: 'seed' must be an int or None, got {type(seed).__name__}")
    return _dropout("dropout", input, p, training, input.shape, seed)


def _channel_dropout(name, input, p, training, ndims):
    _float_input(name, input)
    p = _check_p(name, p)
    if input.ndim not in ndims:
        want = " or ".join(f"{d}D" for d in ndims)
        raise ValueError(f"{name}: 'input' must be a {want} tensor, got shape {list(input.shape)}")
    spatial = 1 if name == "dropout1d" else int(name[-2])
    lead = input.ndim - spatial
    noise_shape = input.shape[:lead] + (1,) * spatial
    return _dropout(name, input, p, training, noise_shape)


def dropout1d(input, p=0.5, training=True):
    """Zero whole channels of a (N, C, L) or (C, L) input with probability ``p``."""
    return _channel_dropout("dropout1d", input, p, training, (2, 3))


def dropout2d(input, p=0.5, training=True):
    """Zero whole channels of a (N, C, H, W) input with probability ``p``."""
    return _channel_dropout("dropout2d", input, p, training, (4,))


def dropout3d(input, p=0.5, training=True):
    """Zero whole channels of a (N, C, D, H, W) input with probability ``p``."""
    return _channel_dropout("dropout3d", input, p, training, (5,))


# --- one_hot ---------------------------------------------------------------------------------
def _one_hot_rule(indices, on, off, depth, axis):
    if indices.dtype.kind not in "iu":
        raise TypeError(f"one_hot: 'indices' must be an integer tensor, got {indices.dtype}")
    if on.dtype is not off.dtype:
        raise TypeError(f"one_hot: 'on_value' and 'off_value' must have one dtype, got {on.dtype} "
                        f"and {off.dtype}")
    shape = list(indices.shape)
    shape.insert(axis if axis >= 0 else len(shape), depth)
    return Aval(tuple(shape), on.dtype)


def _one_hot_kernel(indices, on, off, depth, axis):
    hit = indices[..., None] == np.arange(depth, dtype=indices.dtype)
    out = np.where(hit, on, off)
    if axis >= 0 and axis != indices.ndim:
        out = np.moveaxis(out, -1, axis)
    return out


one_hot_p = register("one_hot", infer=_one_hot_rule, kernel=_one_hot_kernel, bprop=NOT_DIFFERENTIABLE,
                     family="nn")


def _value_tensor(name, v, argname):
    if isinstance(v, Tensor):
        return v
    if isinstance(v, bool) or not isinstance(v, (int, float, np.number)):
        raise TypeError(f"{name}: '{argname}' must be a Tensor, an int or a float, got {type(v).__name__}")
    return _wrap(np.array(v, dtype=np.int64 if isinstance(v, (int, np.integer)) else np.float32))


def one_hot(indices, depth, on_value=1, off_value=0, axis=-1):
    """A tensor with ``on_value`` where the new ``axis`` equals ``indices`` and ``off_value``
    elsewhere; indices outside [0, depth) give a row of ``off_value``."""
    check_tensor("one_hot", indices, "indices")
    if indices.dtype.kind not in "iu":
        raise TypeError(f"one_hot: 'indices' must be an int32 or int64 tensor, got {indices.dtype}")
    if isinstance(depth, Tensor):
        depth = int(depth.asnumpy())
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)):
        raise TypeError(f"one_hot: 'depth' must be an int, got {type(depth).__name__}")
    if depth < 0:
        raise ValueError(f"one_hot: 'depth' must be >= 0, got {depth}")
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"one_hot: 'axis' must be an int, got {type(axis).__name__}")
    if axis < -1 or axis > indices.ndim:
        raise ValueError(f"one_hot: 'axis' must be in [-1, {indices.ndim}], got {axis}")
    on = _value_tensor("one_hot", on_value, "on_value")
    off = _value_tensor("one_hot", off_value, "off_value")
    if on.dtype is not off.dtype:
        t = mstype.promote(on.dtype, off.dtype)
        on = P.cast(on, dtype=t) if on.dtype is not t else on
        off = P.cast(off, dtype=t) if off.dtype is not t else off
    return one_hot_p(indices, on, off, depth=int(depth), axis=int(axis))


# --- embedding -----------------------------------------------------------------------------------
def _embedding_rule(weight, indices, padding_idx, scale_grad_by_freq):
    if indices.dtype.kind not in "iu":
        raise TypeError(f"embedding: 'input' must be an integer tensor of indices, got {indices.dtype}")
    if len(weight.shape) < 1:
        raise ValueError("embedding: 'weight' must have at least 1 dim")
    return Aval(indices.shape + weight.shape[1:], weight.dtype)


def _embedding_kernel(weight, indices, padding_idx, scale_grad_by_freq):
    return weight[indices]


def _embedding_bprop(weight, indices, out, dout, padding_idx, scale_grad_by_freq):
    return embedding_dense_grad_p(dout, indices, num_weights=weight.shape[0], padding_idx=padding_idx,
                                  scale_grad_by_freq=scale_grad_by_freq), None


embedding_p = register("embedding", infer=_embedding_rule, kernel=_embedding_kernel,
                       bprop=_embedding_bprop, family="nn")


def _embedding_grad_rule(dout, indices, num_weights, padding_idx, scale_grad_by_freq):
    return Aval((num_weights,) + dout.shape[len(indices.shape):], dout.dtype)


def _embedding_grad_kernel(dout, indices, num_weights, padding_idx, scale_grad_by_freq):
    rest = dout.shape[indices.ndim:]
    grad = np.zeros((num_weights,) + rest, dtype=dout.dtype)
    flat = indices.reshape(-1)
    np.add.at(grad, flat, dout.reshape((-1,) + rest))
    if scale_grad_by_freq:
        counts = np.maximum(np.bincount(flat, minlength=num_weights), 1)
        grad /= counts.reshape((num_weights,) + (1,) * len(rest)).astype(dout.dtype)
    if padding_idx is not None:
        grad[padding_idx] = 0
    return grad


def _embedding_grad_bprop(dout, indices, out, ddw, num_weights, padding_idx, scale_grad_by_freq):
    # the gradient is linear in dout: its transpose looks rows up again (masked and scaled alike)
    stat_shape = (num_weights,) + (1,) * (ddw.ndim - 1)
    if padding_idx is not None:
        keep = np.ones(stat_shape, dtype=ddw._data.dtype)
        keep[padding_idx] = 0
        ddw = P.mul(ddw, _wrap(keep))
    if scale_grad_by_freq:
        ones = _wrap(np.ones(indices.shape, dtype=ddw._data.dtype))
        counts = embedding_dense_grad_p(ones, indices, num_weights=num_weights, padding_idx=None,
                                        scale_grad_by_freq=False)
        ddw = P.div(ddw, P.reshape(P.maximum(counts, _c(1, counts)), shape=stat_shape))
    return embedding_p(ddw, indices, padding_idx=None, scale_grad_by_freq=False), None


embedding_dense_grad_p = register("embedding_dense_grad", infer=_embedding_grad_rule,
                                  kernel=_embedding_grad_kernel, bprop=_embedding_grad_bprop, family="nn")


def _renorm_rows(weight, indices, max_norm, norm_type):
    # as in MindSpore/PyTorch: the looked-up rows are rescaled in place, outside autodiff
    w = weight._array()
    rows = np.unique(indices._data)
    norms = np.linalg.norm(w[rows], ord=norm_type, axis=1)
    scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
    w[rows] *= scale[:, None].astype(w.dtype)


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False):
    """Look up rows of ``weight`` (num_embeddings, dim) at the integer ``input`` indices. Rows at
    ``padding_idx`` get no gradient; ``max_norm`` renormalises the looked-up rows in place;
    ``scale_grad_by_freq`` divides each row's gradient by how often it was looked up."""
    check_tensor("embedding", input, "input")
    check_tensor("embedding", weight, "weight")
    if input.dtype.kind not in "iu":
        raise TypeError(f"embedding: 'input' must be an int32 or int64 tensor, got {input.dtype}")
    if weight.ndim != 2:
        raise ValueError(f"embedding: 'weight' must be 2-D (num_embeddings, embedding_dim), got shape "
                         f"{list(weight.shape)}")
    num = weight.shape[0]
    if padding_idx is not None:
        if isinstance(padding_idx, bool) or not isinstance(padding_idx, int) or not -num <= padding_idx < num:
            raise ValueError(f"embedding: 'padding_idx' must be an int in [{-num}, {num}), got {padding_idx!r}")
    if max_norm is not None:
        _renorm_rows(weight, input, float(max_norm), float(norm_type))
    if padding_idx is not None:
        padding_idx %= num
    return embedding_p(weight, input, padding_idx=padding_idx, scale_grad_by_freq=bool(scale_grad_by_freq))


from .nn_spatial import *  # noqa: E402,F401,F403
from . import nn_spatial as _nn_spatial  # noqa: E402

__all__ += _nn_spatial.__all__
