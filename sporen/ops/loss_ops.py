"""Loss functions (``ops.cross_entropy``, ``ops.mse_loss``...) and the fused loss primitives they
use where it matters for speed: softmax cross-entropy (dense and sparse labels) and sigmoid
cross-entropy, each with a one-line gradient."""
import functools
import math

import numpy as np

from .. import dtype as mstype
from ..tensor import Tensor
from ._helpers import Scratch, binary_args, check_tensor, scratch_bytes, tensor_like
from .registry import NOT_DIFFERENTIABLE, OPS, Aval, register

__all__ = ["cross_entropy", "nll_loss", "mse_loss_ext", "binary_cross_entropy", "binary_cross_entropy_with_logits",
           "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "kl_div", "soft_margin_loss",
           "margin_ranking_loss", "hinge_embedding_loss", "cosine_embedding_loss", "triplet_margin_loss",
           "multi_margin_loss", "multilabel_margin_loss", "multilabel_soft_margin_loss", "gaussian_nll_loss",
           "ctc_loss"]

_wrap = Tensor._wrap


class _Prims:
    def __getattr__(self, name):
        return OPS[name]


P = _Prims()


def _c(value, like):
    return tensor_like(value, like)


def _log_softmax_np(x, axis):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _expand(t, axis, ndim):
    """Re-insert a reduced ``axis`` into t (a per-sample value) so it broadcasts against the input."""
    shape = list(t.shape)
    shape.insert(axis, 1)
    return P.reshape(t, shape=tuple(shape))


# --- fused primitives ----------------------------------------------------------------------------
def _sce_rule(logits, labels, axis):
    if logits.dtype.kind != "f":
        raise TypeError(f"softmax_cross_entropy: 'logits' must be a float tensor, got {logits.dtype}")
    if labels.shape != logits.shape or labels.dtype is not logits.dtype:
        raise ValueError(f"softmax_cross_entropy: 'labels' must match the logits' shape and dtype "
                         f"{logits.dtype}{list(logits.shape)}, got {labels.dtype}{list(labels.shape)}")
    return Aval(logits.shape[:axis] + logits.shape[axis + 1:], logits.dtype)


def _sce_kernel(logits, labels, axis):
    return -np.sum(labels * _log_softmax_np(logits, axis), axis=axis)


def _sce_bprop(logits, labels, out, dout, axis):
    log_p = P.log_softmax(logits, axis=(axis,))
    g = _expand(dout, axis, logits.ndim)
    # d/dlogits of -sum(labels * log_softmax) = softmax * sum(labels) - labels
    total = P.reduce_sum(labels, axis=(axis,), keepdims=True)
    dlogits = P.mul(g, P.sub(P.mul(P.exp(log_p), total), labels))
    dlabels = P.neg(P.mul(g, log_p))
    return dlogits, dlabels


softmax_cross_entropy_p = register("softmax_cross_entropy", infer=_sce_rule, kernel=_sce_kernel,
                                   bprop=_sce_bprop, family="nn")


def _sparse_sce_rule(logits, labels, axis, ignore_index, reduction):
    if logits.dtype.kind != "f":
        raise TypeError(f"sparse_softmax_cross_entropy: 'logits' must be a float tensor, got {logits.dtype}")
    if labels.dtype.kind not in "iu":
        raise TypeError(f"sparse_softmax_cross_entropy: 'labels' must be an integer tensor, got {labels.dtype}")
    want = logits.shape[:axis] + logits.shape[axis + 1:]
    if labels.shape != want:
        raise ValueError(f"sparse_softmax_cross_entropy: 'labels' must have shape {list(want)}, got "
                         f"{list(labels.shape)}")
    return Aval(want if reduction == "none" else (), logits.dtype)


def _pick(x, index, axis):
    """x[..., index, ...] along ``axis`` (one entry per position of ``index``)."""
    if axis == x.ndim - 1:
        flat = x.reshape(-1, x.shape[-1])
        return flat[np.arange(flat.shape[0]), index.reshape(-1)].reshape(index.shape)
    return np.squeeze(np.take_along_axis(x, np.expand_dims(index, axis), axis=axis), axis=axis)


def _valid_labels(labels, c, ignore_index):
    return (labels >= 0) & (labels < c) & (labels != ignore_index)


def _labels_into(scratch, logits, labels, ignore_index):
    """``(valid, flat)`` in the scratch: which labels count, and the flat index into the (rows, C)
    logits of each row's label (of class 0 where the label does not count)."""
    c = logits.shape[-1]
    valid = np.greater_equal(labels, 0, out=scratch.empty(labels.shape, np.bool_))
    test = scratch.empty(labels.shape, np.bool_)
    np.logical_and(valid, np.less(labels, c, out=test), out=valid)
    np.logical_and(valid, np.not_equal(labels, ignore_index, out=test), out=valid)
    flat = scratch.empty(labels.shape, np.intp)
    flat.fill(0)
    np.copyto(flat, labels, where=valid, casting="unsafe")
    flat += _row_starts(labels.size, c).reshape(labels.shape)
    return valid, flat


@functools.lru_cache(maxsize=64)
def _row_starts(rows, c):
    starts = np.arange(rows, dtype=np.intp) * c
    starts.flags.writeable = False
    return starts


def _sparse_sce_into(out, ws, logits, labels, ignore_index, reduction):
    """The kernel's passes with the class axis last, into ``out``, its temporaries in the scratch."""
    scratch = Scratch(ws)
    dt = logits.dtype
    valid, flat = _labels_into(scratch, logits, labels, ignore_index)
    rows = scratch.empty(labels.shape + (1,), dt)
    np.maximum.reduce(logits, axis=-1, keepdims=True, out=rows)
    shifted = np.subtract(logits, rows, out=scratch.empty(logits.shape, dt))
    picked = np.take(shifted, flat, out=scratch.empty(labels.shape, dt))
    np.exp(shifted, out=shifted)
    loss = out if reduction == "none" else scratch.empty(labels.shape, dt)
    sums = np.add.reduce(shifted, axis=-1, out=rows.reshape(labels.shape))
    np.log(sums, out=loss)
    loss -= picked
    loss *= valid
    if reduction == "none":
        return out
    np.add.reduce(loss, axis=None, dtype=dt, out=out)
    if reduction == "mean":
        with np.errstate(invalid="ignore", divide="ignore"):
            np.true_divide(out, dt.type(np.count_nonzero(valid)), out=out)
    return out


def _sparse_sce_scratch(logits, labels, axis, ignore_index, reduction):
    if axis != logits.ndim - 1 or logits.dtype.char not in "fd":
        return None
    item = logits.dtype.itemsize
    n = labels.size
    return scratch_bytes(n, n, n * np.dtype(np.intp).itemsize, n * item, logits.size * item, n * item,
                         0 if reduction == "none" else n * item)


def _sparse_sce_kernel(logits, labels, axis, ignore_index, reduction, out=None, ws=None):
    """-log_softmax(logits)[label], 0 for ignored labels and labels outside [0, C); 'mean'
    divides the sum by the number of counted labels."""
    if out is not None:
        return _sparse_sce_into(out, ws, logits, labels, ignore_index, reduction)
    c = logits.shape[axis]
    valid = _valid_labels(labels, c, ignore_index)
    safe = np.where(valid, labels, 0)
    shifted = logits - logits.max(axis=axis, keepdims=True)
    picked = _pick(shifted, safe, axis)
    np.exp(shifted, out=shifted)  # reuse the buffer: the exponentials are only summed
    loss = np.log(shifted.sum(axis=axis)) - picked
    loss *= valid
    if reduction == "none":
        return loss
    total = loss.sum(dtype=logits.dtype)
    if reduction == "sum":
        return total
    with np.errstate(invalid="ignore", divide="ignore"):
        return (total / logits.dtype.type(np.count_nonzero(valid))).astype(logits.dtype)


_sparse_sce_kernel.scratch = _sparse_sce_scratch


def _sparse_sce_bprop(logits, labels, out, dout, axis, ignore_index, reduction):
    return sparse_softmax_cross_entropy_grad_p(logits, labels, dout, axis=axis, ignore_index=ignore_index,
                                               reduction=reduction), None


sparse_softmax_cross_entropy_p = register("sparse_softmax_cross_entropy", infer=_sparse_sce_rule,
                                          kernel=_sparse_sce_kernel, bprop=_sparse_sce_bprop, family="nn")


def _sparse_sce_grad_rule(logits, labels, dout, axis, ignore_index, reduction):
    return Aval(logits.shape, logits.dtype)


def _sparse_sce_grad_into(grad, ws, logits, labels, dout, ignore_index, reduction):
    """The kernel's passes with the class axis last, into ``grad``, temporaries in the scratch."""
    scratch = Scratch(ws)
    dt = logits.dtype
    valid, flat = _labels_into(scratch, logits, labels, ignore_index)
    rows = scratch.empty(labels.shape + (1,), dt)
    np.maximum.reduce(logits, axis=-1, keepdims=True, out=rows)
    np.subtract(logits, rows, out=grad)
    np.exp(grad, out=grad)
    np.add.reduce(grad, axis=-1, keepdims=True, out=rows)
    grad /= rows
    picked = np.take(grad, flat, out=scratch.empty(labels.shape, dt))
    picked -= 1
    np.put(grad, flat, picked)
    scale = scratch.empty(labels.shape, dt)
    if reduction == "none":
        scale.fill(0)
        np.copyto(scale, dout, where=valid, casting="unsafe")
    else:
        np.multiply(valid, dout, out=scale, casting="unsafe")
        if reduction == "mean":
            with np.errstate(invalid="ignore", divide="ignore"):
                np.true_divide(scale, dt.type(np.count_nonzero(valid)), out=scale, casting="unsafe")
    grad *= scale.reshape(labels.shape + (1,))
    return grad


def _sparse_sce_grad_scratch(logits, labels, dout, axis, ignore_index, reduction):
    if axis != logits.ndim - 1 or logits.dtype.char not in "fd" or dout.dtype != logits.dtype:
        return None
    n = labels.size
    item = logits.dtype.itemsize
    return scratch_bytes(n, n, n * np.dtype(np.intp).itemsize, n * item, n * item, n * item)


def _sparse_sce_grad_kernel(logits, labels, dout, axis, ignore_index, reduction, out=None, ws=None):
    """(softmax(logits) - one_hot(labels)) * valid * dout (divided by the count for 'mean'), in
    one pass over the logits: the backward of the fused loss."""
    if out is not None:
        return _sparse_sce_grad_into(out, ws, logits, labels, dout, ignore_index, reduction)
    c = logits.shape[axis]
    valid = _valid_labels(labels, c, ignore_index)
    grad = logits - logits.max(axis=axis, keepdims=True)
    np.exp(grad, out=grad)
    grad /= grad.sum(axis=axis, keepdims=True)
    safe = np.where(valid, labels, 0)
    if axis == logits.ndim - 1:
        flat = grad.reshape(-1, c)
        flat[np.arange(flat.shape[0]), safe.reshape(-1)] -= 1
    else:
        idx = np.expand_dims(safe, axis)
        np.put_along_axis(grad, idx, np.take_along_axis(grad, idx, axis=axis) - 1, axis=axis)
    if reduction == "none":
        scale = np.where(valid, dout, 0).astype(logits.dtype)
    else:
        scale = valid * dout
        if reduction == "mean":
            with np.errstate(invalid="ignore", divide="ignore"):
                scale = scale / logits.dtype.type(np.count_nonzero(valid))
        scale = scale.astype(logits.dtype, copy=False)
    grad *= np.expand_dims(scale, axis)
    return grad


_sparse_sce_grad_kernel.scratch = _sparse_sce_grad_scratch


def _sparse_sce_grad_bprop(logits, labels, dout, out, ddx, axis, ignore_index, reduction):
    # grad = (softmax - hot) * w with w = valid * dout (/ count); differentiate w.r.t. logits
    # (through the softmax) and dout
    c = logits.shape[axis]
    hot = P.one_hot(labels, _c(1, logits), _c(0, logits), depth=c, axis=axis)
    valid = P.mul(P.reduce_sum(hot, axis=(axis,), keepdims=False),
                  P.cast(P.not_equal(labels, _c(ignore_index, labels)), dtype=logits.dtype))
    if reduction == "mean":
        count = P.reduce_sum(valid, axis=tuple(range(valid.ndim)), keepdims=False)
        valid = P.div(valid, count)
    w = P.mul(valid, dout)
    probs = P.softmax(logits, axis=(axis,))
    v = P.mul(ddx, _expand(w, axis, logits.ndim))
    dlogits = P.mul(probs, P.sub(v, P.reduce_sum(P.mul(v, probs), axis=(axis,), keepdims=True)))
    per_row = P.mul(P.reduce_sum(P.mul(ddx, P.sub(probs, hot)), axis=(axis,), keepdims=False), valid)
    if reduction != "none":
        per_row = P.reduce_sum(per_row, axis=tuple(range(per_row.ndim)), keepdims=False)
    return dlogits, None, per_row


sparse_softmax_cross_entropy_grad_p = register("sparse_softmax_cross_entropy_grad", infer=_sparse_sce_grad_rule,
                                               kernel=_sparse_sce_grad_kernel, bprop=_sparse_sce_grad_bprop,
                                               family="nn")


def _sig_ce_rule(x, y):
    if x.dtype.kind != "f" or x.dtype is not y.dtype or x.shape != y.shape:
        raise ValueError(f"sigmoid_cross_entropy: 'logits' and 'labels' must be float tensors of one shape "
                         f"and dtype, got {x.dtype}{list(x.shape)} and {y.dtype}{list(y.shape)}")
    return Aval(x.shape, x.dtype)


def _sig_ce_kernel(x, y):
    return np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x)))


def _sig_ce_bprop(x, y, out, dout):
    return P.mul(dout, P.sub(P.sigmoid(x), y)), P.neg(P.mul(dout, x))


sigmoid_cross_entropy_p = register("sigmoid_cross_entropy", infer=_sig_ce_rule, kernel=_sig_ce_kernel,
                                   bprop=_sig_ce_bprop,
                                   expr="(fmax({0}, 0) - {0} * {1} + log1p(exp(-fabs({0}))))", family="nn")


def _ml_mask_rule(target):
    if target.dtype.kind not in "iu":
        raise TypeError(f"multilabel_margin_loss: 'target' must be an integer tensor, got {target.dtype}")
    return Aval(target.shape, mstype.bool_)


def _ml_mask_kernel(target):
    """is_target[n, c]: class c is listed in row n before the first negative entry."""
    t = target.reshape(-1, target.shape[-1]) if target.ndim else target.reshape(1, 1)
    listed = np.cumprod(t >= 0, axis=-1).astype(bool)
    mask = np.zeros(t.shape, dtype=bool)
    rows, cols = np.nonzero(listed)
    mask[rows, t[rows, cols]] = True
    return mask.reshape(target.shape)


multilabel_margin_mask_p = register("multilabel_margin_mask", infer=_ml_mask_rule, kernel=_ml_mask_kernel,
                                    bprop=NOT_DIFFERENTIABLE, family="nn")


def _candidates_rule(labels, num_true, num_sampled, unique, range_max, seed):
    return (Aval((num_sampled,), mstype.int64), Aval(labels.shape, mstype.float32),
            Aval((num_sampled,), mstype.float32))


def _candidates_kernel(labels, num_true, num_sampled, unique, range_max, seed):
    """Candidates from the log-uniform (Zipfian) distribution P(k) = log((k+2)/(k+1)) / log(range_max+1),
    as TensorFlow's and MindSpore's LogUniformCandidateSampler, with their expected counts."""
    from ..context import RANDOM
    rng = RANDOM.generator if not seed else np.random.default_rng(seed)
    log_range = np.log(range_max + 1.0)

    def draw(n):
        k = np.floor(np.exp(rng.random(n) * log_range)).astype(np.int64) - 1
        return np.clip(k, 0, range_max - 1)
    if unique:
        picked = []
        seen = set()
        tries = 0
        while len(picked) < num_sampled:
            for k in draw(max(2 * (num_sampled - len(picked)), 8)):
                tries += 1
                if k not in seen:
                    seen.add(k)
                    picked.append(k)
                    if len(picked) == num_sampled:
                        break
        sampled = np.array(picked, dtype=np.int64)
    else:
        sampled = draw(num_sampled)
        tries = num_sampled

    def expected(k):
        p = (np.log(k + 2.0) - np.log(k + 1.0)) / log_range
        if unique:
            with np.errstate(divide="ignore"):  # p = 1 (a one-class range) gives log1p(-1) = -inf: count 1
                return -np.expm1(tries * np.log1p(-p))
        return num_sampled * p
    return (sampled, expected(labels.astype(np.float64)).astype(np.float32),
            expected(sampled.astype(np.float64)).astype(np.float32))


log_uniform_candidates_p = register("log_uniform_candidates", infer=_candidates_rule, kernel=_candidates_kernel,
                                    bprop=NOT_DIFFERENTIABLE, nout=3, family="nn", impure=True)


# --- argument checks -----------------------------------------------------------------------------
_REDUCTIONS = ("none", "mean", "sum")


def _check_reduction(name, reduction, allowed=_REDUCTIONS):
    if not isinstance(reduction, str) or reduction not in allowed:
        raise ValueError(f"{name}: 'reduction' must be one of {list(allowed)}, got {reduction!r}")


def _reduce(loss, reduction):
    if reduction == "mean":
        return P.reduce_mean(loss, axis=tuple(range(loss.ndim)), keepdims=False)
    if reduction == "sum":
        return P.reduce_sum(loss, axis=tuple(range(loss.ndim)), keepdims=False)
    return loss


def _float(name, x, argname):
    check_tensor(name, x, argname)
    if x.dtype.kind != "f":
        raise TypeError(f"{name}: '{argname}' must be a float tensor, got {x.dtype}")
    return x


def _like(name, x, y, argname, same_shape=True):
    """Check ``y`` against the float tensor ``x``: a Tensor of the same shape, cast to x's dtype."""
    check_tensor(name, y, argname)
    if same_shape and y.shape != x.shape:
        raise ValueError(f"{name}: '{argname}' must have the input's shape {list(x.shape)}, got {list(y.shape)}")
    if y.dtype is not x.dtype:
        y = P.cast(y, dtype=x.dtype)
    return y


def _pair(name, x, y, xname="input", yname="target"):
    """Two broadcastable float operands, promoted to one dtype."""
    check_tensor(name, x, xname)
    check_tensor(name, y, yname)
    x, y = binary_args(name, x, y)
    if x.dtype.kind != "f":
        x = P.cast(x, dtype=mstype.float32)
        y = P.cast(y, dtype=mstype.float32)
    try:
        np.broadcast_shapes(x.shape, y.shape)
    except ValueError:
        raise ValueError(f"{name}: '{xname}' of shape {list(x.shape)} and '{yname}' of shape "
                         f"{list(y.shape)} cannot be broadcast together") from None
    return x, y


def _check_number(name, v, argname, positive=False, minimum=None):
    if isinstance(v, bool) or not isinstance(v, (int, float, np.number)):
        raise TypeError(f"{name}: '{argname}' must be a float, got {type(v).__name__}")
    if positive and not v > 0:
        raise ValueError(f"{name}: '{argname}' must be > 0, got {v}")
    if minimum is not None and v < minimum:
        raise ValueError(f"{name}: '{argname}' must be >= {minimum}, got {v}")
    return float(v)


def _softplus(z):
    """log(1 + exp(z)), stable for large |z|."""
    # -|z| as minimum(-z, z) so that the gradient at z = 0 is exactly sigmoid(0) (see composite.py)
    return P.add(P.maximum(z, _c(0, z)), P.log1p(P.exp(P.minimum(P.neg(z), z))))


# --- cross entropy and nll -----------------------------------------------------------------------
def _class_axis(x):
    return 1 if x.ndim >= 2 else 0


def _class_weight(name, weight, x, axis):
    """weight (C,) reshaped to broadcast along the class axis of x."""
    check_tensor(name, weight, "weight")
    c = x.shape[axis]
    if weight.shape != (c,):
        raise ValueError(f"{name}: 'weight' must have shape [{c}] (one per class), got {list(weight.shape)}")
    if weight.dtype is not x.dtype:
        weight = P.cast(weight, dtype=x.dtype)
    return P.reshape(weight, shape=(c,) + (1,) * (x.ndim - 1 - axis))


def _check_index_target(name, x, target, axis):
    if target.dtype.kind not in "iu":
        raise TypeError(f"{name}: 'target' must be an integer tensor of class indices, got {target.dtype}")
    want = x.shape[:axis] + x.shape[axis + 1:]
    if target.shape != want:
        raise ValueError(f"{name}: 'target' must have shape {list(want)} for an input of shape "
                         f"{list(x.shape)}, got {list(target.shape)}")


def _nll_indices(name, log_p, target, weight, ignore_index, reduction, smoothing, axis):
    """Negative log-likelihood of class-index targets, with class weights, an ignored index and
    label smoothing as in PyTorch/MindSpore: the mean divides by the summed weights of the
    non-ignored targets."""
    c = log_p.shape[axis]
    valid = P.cast(P.not_equal(target, _c(ignore_index, target)), dtype=log_p.dtype)
    hot = P.one_hot(target, _c(1, log_p), _c(0, log_p), depth=c, axis=axis)
    if weight is not None:
        wb = _class_weight(name, weight, log_p, axis)
        sample_w = P.mul(P.reduce_sum(P.mul(hot, wb), axis=(axis,), keepdims=False), valid)
    else:
        wb = None
        sample_w = valid
    picked = P.reduce_sum(P.mul(hot, log_p), axis=(axis,), keepdims=False)
    loss = P.neg(P.mul(picked, sample_w))
    if smoothing > 0:
        weighted = log_p if wb is None else P.mul(log_p, wb)
        smooth = P.neg(P.mul(P.reduce_sum(weighted, axis=(axis,), keepdims=False), valid))
        loss = P.add(P.mul(loss, _c(1 - smoothing, loss)), P.mul(smooth, _c(smoothing / c, loss)))
    if reduction == "mean":
        all_axes = tuple(range(loss.ndim))
        return P.div(P.reduce_sum(loss, axis=all_axes, keepdims=False),
                     P.reduce_sum(sample_w, axis=all_axes, keepdims=False))
    return _reduce(loss, reduction)


def _check_smoothing(name, label_smoothing):
    v = _check_number(name, label_smoothing, "label_smoothing")
    if not 0.0 <= v <= 1.0:
        raise ValueError(f"{name}: 'label_smoothing' must be in [0, 1], got {v}")
    return v


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Cross-entropy between logits ``input`` (N, C, *) or (C,) and ``target``: integer class
    indices (N, *) or class probabilities shaped like ``input``. ``weight`` (C,) weighs classes,
    ``ignore_index`` targets contribute nothing, ``label_smoothing`` mixes in the uniform
    distribution."""
    name = "cross_entropy"
    _float(name, input, "input")
    check_tensor(name, target, "target")
    _check_reduction(name, reduction)
    smoothing = _check_smoothing(name, label_smoothing)
    axis = _class_axis(input)
    c = input.shape[axis]
    if target.dtype.kind in "iu":
        _check_index_target(name, input, target, axis)
        if weight is None and smoothing == 0.0:
            # the common case is one fused primitive forward and one backward
            return sparse_softmax_cross_entropy_p(input, target, axis=axis, ignore_index=int(ignore_index),
                                                  reduction=reduction)
        log_p = P.log_softmax(input, axis=(axis,))
        return _nll_indices(name, log_p, target, weight, ignore_index, reduction, smoothing, axis)
    if target.dtype.kind != "f":
        raise TypeError(f"{name}: 'target' must be an integer tensor of class indices or a float tensor "
                        f"of class probabilities, got {target.dtype}")
    target = _like(name, input, target, "target")
    if smoothing > 0:
        target = P.add(P.mul(target, _c(1 - smoothing, target)), _c(smoothing / c, target))
    if weight is None:
        loss = softmax_cross_entropy_p(input, target, axis=axis)
    else:
        wb = _class_weight(name, weight, input, axis)
        log_p = P.log_softmax(input, axis=(axis,))
        loss = P.neg(P.reduce_sum(P.mul(P.mul(log_p, target), wb), axis=(axis,), keepdims=False))
    return _reduce(loss, reduction)


def nll_loss(inputs, target, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
    """Negative log-likelihood of integer ``target`` classes under log-probabilities ``inputs``
    (N, C, *) or (C,)."""
    name = "nll_loss"
    _float(name, inputs, "inputs")
    check_tensor(name, target, "target")
    _check_reduction(name, reduction)
    smoothing = _check_smoothing(name, label_smoothing)
    axis = _class_axis(inputs)
    _check_index_target(name, inputs, target, axis)
    return _nll_indices(name, inputs, target, weight, ignore_index, reduction, smoothing, axis)


# --- binary cross entropy ----------------------------------------------------------------------
def _apply_weight(name, loss, weight, argname="weight"):
    if weight is None:
        return loss
    check_tensor(name, weight, argname)
    if weight.dtype is not loss.dtype:
        weight = P.cast(weight, dtype=loss.dtype)
    return P.mul(loss, weight)


def binary_cross_entropy(logits, labels, weight=None, reduction="mean"):
    """``-w * (y * log(p) + (1 - y) * log(1 - p))`` for probabilities ``logits``; each log is
    clamped at -100 so that p = 0 or 1 gives a finite loss."""
    name = "binary_cross_entropy"
    _float(name, logits, "logits")
    labels = _like(name, logits, labels, "labels")
    _check_reduction(name, reduction)
    floor = _c(-100.0, logits)
    one = _c(1.0, logits)
    log_p = P.maximum(P.log(logits), floor)
    log_q = P.maximum(P.log(P.sub(one, logits)), floor)
    loss = P.neg(P.add(P.mul(labels, log_p), P.mul(P.sub(one, labels), log_q)))
    return _reduce(_apply_weight(name, loss, weight), reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction="mean"):
    """Binary cross-entropy of ``sigmoid(input)`` against ``target``, computed stably from the
    logits; ``pos_weight`` weighs the positive term per class."""
    name = "binary_cross_entropy_with_logits"
    _float(name, input, "input")
    target = _like(name, input, target, "target")
    _check_reduction(name, reduction)
    if pos_weight is None:
        loss = sigmoid_cross_entropy_p(input, target)
    else:
        check_tensor(name, pos_weight, "pos_weight")
        pw = P.cast(pos_weight, dtype=input.dtype) if pos_weight.dtype is not input.dtype else pos_weight
        one = _c(1.0, input)
        coef = P.add(one, P.mul(P.sub(pw, one), target))
        loss = P.add(P.mul(P.sub(one, target), input), P.mul(coef, _softplus(P.neg(input))))
    return _reduce(_apply_weight(name, loss, weight), reduction)


# --- regression losses -----------------------------------------------------------------------------
def mse_loss(input, target, reduction="mean"):
    """``(input - target) ** 2``, broadcast, then reduced."""
    x, y = _pair("mse_loss", input, target)
    _check_reduction("mse_loss", reduction)
    return _reduce(P.square(P.sub(x, y)), reduction)


def mse_loss_ext(input, target, reduction="mean"):
    """``(input - target) ** 2``, broadcast, then reduced (the ext variant of ``mse_loss``)."""
    x, y = _pair("mse_loss_ext", input, target)
    _check_reduction("mse_loss_ext", reduction)
    return _reduce(P.square(P.sub(x, y)), reduction)


def l1_loss(input, target, reduction="mean"):
    """``|input - target|``, broadcast, then reduced."""
    x, y = _pair("l1_loss", input, target)
    _check_reduction("l1_loss", reduction)
    return _reduce(P.abs(P.sub(x, y)), reduction)


def smooth_l1_loss(input, target, beta=1.0, reduction="none"):
    """``0.5 * d**2 / beta`` where ``|d| < beta``, else ``|d| - 0.5 * beta`` (d = input - target)."""
    name = "smooth_l1_loss"
    x, y = _pair(name, input, target)
    beta = _check_number(name, beta, "beta", positive=True)
    _check_reduction(name, reduction)
    d = P.abs(P.sub(x, y))
    quad = P.mul(P.square(d), _c(0.5 / beta, d))
    lin = P.sub(d, _c(0.5 * beta, d))
    return _reduce(P.where(P.less(d, _c(beta, d)), quad, lin), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0):
    """``0.5 * d**2`` where ``|d| <= delta``, else ``delta * (|d| - 0.5 * delta)``."""
    name = "huber_loss"
    x, y = _pair(name, input, target)
    delta = _check_number(name, delta, "delta", positive=True)
    _check_reduction(name, reduction)
    d = P.abs(P.sub(x, y))
    quad = P.mul(P.square(d), _c(0.5, d))
    lin = P.mul(P.sub(d, _c(0.5 * delta, d)), _c(delta, d))
    return _reduce(P.where(P.less_equal(d, _c(delta, d)), quad, lin), reduction)


def kl_div(logits, labels, reduction="mean"):
    """``labels * (log(labels) - logits)`` (0 where labels is 0), for log-probabilities ``logits``.
    'batchmean' divides the sum by the batch size."""
    name = "kl_div"
    _float(name, logits, "logits")
    labels = _like(name, logits, labels, "labels")
    _check_reduction(name, reduction, ("none", "mean", "sum", "batchmean"))
    zero = _c(0.0, labels)
    positive = P.greater(labels, zero)
    safe = P.where(positive, labels, _c(1.0, labels))
    loss = P.sub(P.where(positive, P.mul(labels, P.log(safe)), zero), P.mul(labels, logits))
    if reduction == "batchmean":
        total = _reduce(loss, "sum")
        return P.div(total, _c(logits.shape[0] if logits.ndim else 1, total))
    return _reduce(loss, reduction)


# --- margin and embedding losses ---------------------------------------------------------------
def soft_margin_loss(input, target, reduction="mean"):
    """``log(1 + exp(-target * input))`` for targets in {-1, 1}."""
    name = "soft_margin_loss"
    _float(name, input, "input")
    target = _like(name, input, target, "target")
    _check_reduction(name, reduction)
    return _reduce(_softplus(P.neg(P.mul(target, input))), reduction)


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction="mean"):
    """``max(0, -target * (input1 - input2) + margin)``."""
    name = "margin_ranking_loss"
    _float(name, input1, "input1")
    input2 = _like(name, input1, input2, "input2")
    target = _like(name, input1, target, "target")
    margin = _check_number(name, margin, "margin")
    _check_reduction(name, reduction)
    z = P.add(P.neg(P.mul(target, P.sub(input1, input2))), _c(margin, input1))
    return _reduce(P.maximum(z, _c(0.0, z)), reduction)


def hinge_embedding_loss(inputs, targets, margin=1.0, reduction="mean"):
    """``x`` where target is 1 and ``max(0, margin - x)`` where target is -1."""
    name = "hinge_embedding_loss"
    _float(name, inputs, "inputs")
    targets = _like(name, inputs, targets, "targets", same_shape=False)
    margin = _check_number(name, margin, "margin")
    _check_reduction(name, reduction)
    zero = _c(0.0, inputs)
    clamp = P.maximum(P.sub(_c(margin, inputs), inputs), zero)
    part_neg = P.where(P.not_equal(targets, _c(1.0, targets)), clamp, zero)
    part_pos = P.where(P.not_equal(targets, _c(-1.0, targets)), inputs, zero)
    return _reduce(P.add(part_neg, part_pos), reduction)


def _cosine_rows(x1, x2):
    """Cosine similarity along axis 1 (no epsilon, as MindSpore computes it)."""
    dot = P.reduce_sum(P.mul(x1, x2), axis=(1,), keepdims=False)
    n1 = P.sqrt(P.reduce_sum(P.square(x1), axis=(1,), keepdims=False))
    n2 = P.sqrt(P.reduce_sum(P.square(x2), axis=(1,), keepdims=False))
    return P.div(dot, P.mul(n1, n2))


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction="mean"):
    """``1 - cos(x1, x2)`` where target is 1 and ``max(0, cos(x1, x2) - margin)`` where it is -1;
    the cosine is taken along dim 1."""
    name = "cosine_embedding_loss"
    _float(name, input1, "input1")
    input2 = _like(name, input1, input2, "input2")
    margin = _check_number(name, margin, "margin")
    if not -1.0 <= margin <= 1.0:
        raise ValueError(f"{name}: 'margin' must be in [-1, 1], got {margin}")
    _check_reduction(name, reduction)
    if input1.ndim < 2:
        raise ValueError(f"{name}: inputs must have at least 2 dims (N, D), got shape {list(input1.shape)}")
    check_tensor(name, target, "target")
    want = input1.shape[:1] + input1.shape[2:]
    if target.shape != want:
        raise ValueError(f"{name}: 'target' must have shape {list(want)}, got {list(target.shape)}")
    cos = _cosine_rows(input1, input2)
    zero = _c(0.0, cos)
    t = P.cast(target, dtype=cos.dtype) if target.dtype is not cos.dtype else target
    pos = P.where(P.equal(t, _c(1.0, t)), P.sub(_c(1.0, cos), cos), zero)
    neg = P.where(P.equal(t, _c(-1.0, t)), P.maximum(P.sub(cos, _c(margin, cos)), zero), zero)
    return _reduce(P.add(pos, neg), reduction)


def _pairwise_distance(a, b, p, eps):
    """``||a - b + eps||_p`` along the last dim, as PyTorch's pairwise_distance."""
    d = P.add(P.sub(a, b), _c(eps, a))
    if p == 2:
        return P.sqrt(P.reduce_sum(P.square(d), axis=(d.ndim - 1,), keepdims=False))
    if p == 1:
        return P.reduce_sum(P.abs(d), axis=(d.ndim - 1,), keepdims=False)
    s = P.reduce_sum(P.pow(P.abs(d), _c(p, d)), axis=(d.ndim - 1,), keepdims=False)
    return P.pow(s, _c(1.0 / p, s))


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-06, swap=False, reduction="mean"):
    """``max(d(a, p) - d(a, n) + margin, 0)`` with the p-norm distance; ``swap`` uses
    ``min(d(a, n), d(p, n))`` as the negative distance."""
    name = "triplet_margin_loss"
    _float(name, anchor, "anchor")
    positive = _like(name, anchor, positive, "positive")
    negative = _like(name, anchor, negative, "negative")
    margin = _check_number(name, margin, "margin")
    if isinstance(p, bool) or not isinstance(p, (int, float)) or p <= 0:
        raise ValueError(f"{name}: 'p' must be a positive number, got {p!r}")
    eps = _check_number(name, eps, "eps")
    _check_reduction(name, reduction)
    d_ap = _pairwise_distance(anchor, positive, p, eps)
    d_an = _pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_an = P.minimum(d_an, _pairwise_distance(positive, negative, p, eps))
    z = P.add(P.sub(d_ap, d_an), _c(margin, d_ap))
    return _reduce(P.maximum(z, _c(0.0, z)), reduction)


def multi_margin_loss(input, target, p=1, margin=1, weight=None, reduction="mean"):
    """Multi-class hinge loss: ``sum_{j != y} max(0, margin - x[y] + x[j])**p / C`` per sample,
    times ``weight[y]``."""
    name = "multi_margin_loss"
    _float(name, input, "input")
    check_tensor(name, target, "target")
    if p not in (1, 2) or isinstance(p, bool):
        raise ValueError(f"{name}: 'p' must be 1 or 2, got {p!r}")
    margin = _check_number(name, margin, "margin")
    _check_reduction(name, reduction)
    if input.ndim not in (1, 2):
        raise ValueError(f"{name}: 'input' must be (N, C) or (C,), got shape {list(input.shape)}")
    axis = input.ndim - 1
    _check_index_target(name, input, target, axis)
    c = input.shape[axis]
    hot = P.one_hot(target, _c(1, input), _c(0, input), depth=c, axis=axis)
    x_y = P.reduce_sum(P.mul(hot, input), axis=(axis,), keepdims=True)
    z = P.maximum(P.add(P.sub(_c(margin, input), x_y), input), _c(0.0, input))
    if p == 2:
        z = P.square(z)
    z = P.mul(z, P.sub(_c(1.0, hot), hot))
    if weight is not None:
        z = P.mul(z, P.reduce_sum(P.mul(hot, _class_weight(name, weight, input, axis)), axis=(axis,),
                                  keepdims=True))
    loss = P.div(P.reduce_sum(z, axis=(axis,), keepdims=False), _c(c, input))
    return _reduce(loss, reduction)


def multilabel_margin_loss(input, target, reduction="mean"):
    """Multi-label hinge loss: the targets of row n are ``target[n]`` up to its first -1;
    ``sum_{j in targets, k not in targets} max(0, 1 - (x[j] - x[k])) / C``."""
    name = "multilabel_margin_loss"
    _float(name, input, "input")
    check_tensor(name, target, "target")
    _check_reduction(name, reduction)
    if input.ndim not in (1, 2) or target.shape != input.shape:
        raise ValueError(f"{name}: 'input' must be (N, C) or (C,) and 'target' of the same shape, got "
                         f"{list(input.shape)} and {list(target.shape)}")
    if target.dtype.kind not in "iu":
        raise TypeError(f"{name}: 'target' must be an integer tensor, got {target.dtype}")
    x = input if input.ndim == 2 else P.reshape(input, shape=(1,) + input.shape)
    t = target if target.ndim == 2 else P.reshape(target, shape=(1,) + target.shape)
    n, c = x.shape
    is_t = P.cast(multilabel_margin_mask_p(t), dtype=x.dtype)
    # pairs (j, k): j a target class, k not a target class
    margins = P.add(P.sub(_c(1.0, x), P.reshape(x, shape=(n, c, 1))), P.reshape(x, shape=(n, 1, c)))
    pair = P.mul(P.reshape(is_t, shape=(n, c, 1)), P.reshape(P.sub(_c(1.0, is_t), is_t), shape=(n, 1, c)))
    hinge = P.mul(P.maximum(margins, _c(0.0, x)), pair)
    loss = P.div(P.reduce_sum(hinge, axis=(1, 2), keepdims=False), _c(c, x))
    if input.ndim == 1:
        loss = P.reshape(loss, shape=())
    return _reduce(loss, reduction)


def multilabel_soft_margin_loss(input, target, weight=None, reduction="mean"):
    """``-mean_c w_c * (y log sigmoid(x) + (1 - y) log sigmoid(-x))`` per sample."""
    name = "multilabel_soft_margin_loss"
    _float(name, input, "input")
    target = _like(name, input, target, "target")
    _check_reduction(name, reduction)
    loss = sigmoid_cross_entropy_p(input, target)
    loss = _apply_weight(name, loss, weight)
    axis = input.ndim - 1
    loss = P.reduce_mean(loss, axis=(axis,), keepdims=False)
    return _reduce(loss, reduction)


def gaussian_nll_loss(x, target, var, full=False, eps=1e-6, reduction="mean"):
    """Gaussian negative log-likelihood ``0.5 * (log(var) + (x - target)**2 / var)`` (+ the
    constant ``0.5 * log(2 pi)`` when ``full``); ``var`` is clamped below at ``eps`` without
    cutting its gradient."""
    name = "gaussian_nll_loss"
    _float(name, x, "x")
    target = _like(name, x, target, "target", same_shape=False)
    var = _like(name, x, var, "var", same_shape=False)
    eps = _check_number(name, eps, "eps", positive=True)
    _check_reduction(name, reduction)
    if var.ndim == x.ndim - 1 and var.shape == x.shape[:-1]:
        var = P.reshape(var, shape=var.shape + (1,))
    try:
        np.broadcast_shapes(x.shape, var.shape, target.shape)
    except ValueError:
        raise ValueError(f"{name}: 'var' of shape {list(var.shape)} does not fit 'x' of shape "
                         f"{list(x.shape)}") from None
    # clamp the value but keep d(loss)/d(var) flowing, as PyTorch does with its no-grad clamp
    var = P.add(var, P.stop_gradient(P.sub(P.maximum(var, _c(eps, var)), var)))
    loss = P.mul(P.add(P.log(var), P.div(P.square(P.sub(x, target)), var)), _c(0.5, x))
    if full:
        loss = P.add(loss, _c(0.5 * math.log(2 * math.pi), loss))
    return _reduce(loss, reduction)


from .ctc import ctc_loss  # noqa: E402  (the CTC primitives live in ctc.py)
