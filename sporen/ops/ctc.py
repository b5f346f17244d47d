"""CTC (connectionist temporal classification) loss: the forward-backward recursions in numpy, as
three primitives (the loss, its gradient, the forward variables). Part of the loss family;
loss_ops.py re-exports ``ctc_loss``."""
import numpy as np

from ..tensor import Tensor
from ._helpers import check_tensor
from .registry import NOT_DIFFERENTIABLE, OPS, Aval, register

__all__ = ["ctc_loss"]

_NEG_INF = -np.inf


class _Prims:
    def __getattr__(self, name):
        return OPS[name]


P = _Prims()


def _extended(targets, target_lengths, blank):
    """The blank-interleaved label sequences (N, 2S+1) and where a skip over a blank is allowed."""
    n, s = targets.shape
    ext = np.full((n, 2 * s + 1), blank, dtype=np.int64)
    ext[:, 1::2] = targets
    skip = np.zeros(ext.shape, dtype=bool)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    valid = np.arange(2 * s + 1)[None, :] < (2 * target_lengths[:, None] + 1)
    return ext, skip, valid


def _shift(a, k):
    out = np.full(a.shape, _NEG_INF, dtype=a.dtype)
    out[:, k:] = a[:, :a.shape[1] - k]
    return out


def _forward(lp, targets, input_lengths, target_lengths, blank):
    """log_alpha (N, T, 2S+1) and the negative log-likelihood (N,)."""
    t_max, n, _ = lp.shape
    ext, skip, valid = _extended(targets, target_lengths, blank)
    rows = np.arange(n)[:, None]
    alpha = np.full((n, t_max, ext.shape[1]), _NEG_INF, dtype=lp.dtype)
    if t_max == 0:
        return alpha, np.where(target_lengths == 0, 0.0, np.inf).astype(lp.dtype)
    start = np.full(ext.shape, _NEG_INF, dtype=lp.dtype)
    emit0 = lp[0][rows, ext]
    start[:, 0] = emit0[:, 0]
    start[:, 1:2] = np.where(target_lengths[:, None] > 0, emit0[:, 1:2], _NEG_INF)
    alpha[:, 0] = np.where(valid, start, _NEG_INF)
    with np.errstate(invalid="ignore"):
        for t in range(1, t_max):
            prev = alpha[:, t - 1]
            acc = np.logaddexp(prev, _shift(prev, 1))
            acc = np.where(skip, np.logaddexp(acc, _shift(prev, 2)), acc)
            alpha[:, t] = np.where(valid, acc + lp[t][rows, ext], _NEG_INF)
    last_t = np.maximum(input_lengths - 1, 0)
    end = 2 * target_lengths
    final = alpha[np.arange(n), last_t]
    a_end = final[np.arange(n), end]
    a_prev = np.where(end > 0, final[np.arange(n), np.maximum(end - 1, 0)], _NEG_INF)
    nll = -np.logaddexp(a_end, a_prev)
    nll = np.where(input_lengths > 0, nll, np.where(target_lengths == 0, 0.0, np.inf))
    return alpha, nll.astype(lp.dtype)


def _backward(lp, targets, input_lengths, target_lengths, blank):
    """log_beta (N, T, 2S+1), each entry including the emission at its own step."""
    t_max, n, _ = lp.shape
    ext, skip, valid = _extended(targets, target_lengths, blank)
    rows = np.arange(n)[:, None]
    width = ext.shape[1]
    beta = np.full((n, t_max, width), _NEG_INF, dtype=lp.dtype)
    pos = np.arange(width)[None, :]
    end = 2 * target_lengths[:, None]
    init_mask = (pos == end) | ((pos == end - 1) & (end > 0))
    skip_from = np.zeros(skip.shape, dtype=bool)
    skip_from[:, :-2] = skip[:, 2:]  # moving from s+2 back to s is allowed where s+2 may skip
    with np.errstate(invalid="ignore"):
        for t in range(t_max - 1, -1, -1):
            emit = lp[t][rows, ext]
            init = np.where(init_mask, emit, _NEG_INF)
            if t + 1 < t_max:
                nxt = beta[:, t + 1]
                acc = np.logaddexp(nxt, _shift_left(nxt, 1))
                acc = np.where(skip_from, np.logaddexp(acc, _shift_left(nxt, 2)), acc)
                recur = acc + emit
            else:
                recur = np.full(emit.shape, _NEG_INF, dtype=lp.dtype)
            last = (input_lengths - 1)[:, None]
            beta[:, t] = np.where(valid, np.where(t == last, init, np.where(t < last, recur, _NEG_INF)), _NEG_INF)
    return beta


def _shift_left(a, k):
    out = np.full(a.shape, _NEG_INF, dtype=a.dtype)
    out[:, :a.shape[1] - k] = a[:, k:]
    return out


def _lengths(x):
    return x.astype(np.int64).reshape(-1)


def _ctc_rule(lp, targets, input_lengths, target_lengths, blank, zero_infinity):
    return Aval((lp.shape[1],), lp.dtype)


def _ctc_kernel(lp, targets, input_lengths, target_lengths, blank, zero_infinity):
    _, nll = _forward(lp, targets, _lengths(input_lengths), _lengths(target_lengths), blank)
    if zero_infinity:
        nll = np.where(np.isinf(nll), 0.0, nll).astype(lp.dtype)
    return nll


def _ctc_bprop(lp, targets, input_lengths, target_lengths, out, dout, blank, zero_infinity):
    grad = ctc_loss_grad_p(lp, targets, input_lengths, target_lengths, blank=blank, zero_infinity=zero_infinity)
    return P.mul(grad, P.reshape(dout, shape=(1, lp.shape[1], 1))), None, None, None


ctc_loss_p = register("ctc_loss", infer=_ctc_rule, kernel=_ctc_kernel, bprop=_ctc_bprop, family="nn")


def _ctc_grad_rule(lp, targets, input_lengths, target_lengths, blank, zero_infinity):
    return Aval(lp.shape, lp.dtype)


def _ctc_grad_kernel(lp, targets, input_lengths, target_lengths, blank, zero_infinity):
    """d nll / d log_probs = -(posterior of each class at each step)."""
    il = _lengths(input_lengths)
    tl = _lengths(target_lengths)
    alpha, nll = _forward(lp, targets, il, tl, blank)
    beta = _backward(lp, targets, il, tl, blank)
    t_max, n, _ = lp.shape
    ext, _, _ = _extended(targets, tl, blank)
    rows = np.arange(n)[:, None, None]
    steps = np.arange(t_max)[None, :, None]
    emit = lp[steps, rows, ext[:, None, :]]  # (N, T, 2S+1)
    with np.errstate(invalid="ignore", over="ignore"):
        post = np.exp(alpha + beta - emit + nll[:, None, None])
    post = np.where(np.isfinite(post), post, 0.0)
    grad = np.zeros((n, t_max, lp.shape[2]), dtype=lp.dtype)
    np.add.at(grad, (np.broadcast_to(rows, post.shape), np.broadcast_to(steps, post.shape),
                     np.broadcast_to(ext[:, None, :], post.shape)), post)
    grad = -np.transpose(grad, (1, 0, 2))
    bad = np.isinf(nll)
    if bad.any():
        grad[:, bad] = 0.0 if zero_infinity else np.nan
    return np.ascontiguousarray(grad)


ctc_loss_grad_p = register("ctc_loss_grad", infer=_ctc_grad_rule, kernel=_ctc_grad_kernel,
                           bprop=NOT_DIFFERENTIABLE, family="nn")


def _log_alpha_rule(lp, targets, input_lengths, target_lengths, blank):
    return Aval((lp.shape[1], lp.shape[0], 2 * targets.shape[1] + 1), lp.dtype)


def _log_alpha_kernel(lp, targets, input_lengths, target_lengths, blank):
    alpha, _ = _forward(lp, targets, _lengths(input_lengths), _lengths(target_lengths), blank)
    return alpha


ctc_log_alpha_p = register("ctc_log_alpha", infer=_log_alpha_rule, kernel=_log_alpha_kernel,
                           bprop=NOT_DIFFERENTIABLE, family="nn")


def _length_tensor(name, v, argname, n):
    if isinstance(v, (tuple, list)):
        v = Tensor(np.asarray(v, dtype=np.int64))
    check_tensor(name, v, argname)
    if v.dtype.kind not in "iu":
        raise TypeError(f"{name}: '{argname}' must hold int32 or int64 values, got {v.dtype}")
    if v.shape != (n,):
        raise ValueError(f"{name}: '{argname}' must have shape [{n}] (the batch), got {list(v.shape)}")
    return v


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    """CTC loss of log-probabilities (T, N, C) against padded targets (N, S). Returns
    ``(neg_log_likelihood, log_alpha)``; the loss is per sample for 'none', the sum for 'sum', and
    for 'mean' the mean of each sample's loss divided by its target length."""
    name = "ctc_loss"
    check_tensor(name, log_probs, "log_probs")
    check_tensor(name, targets, "targets")
    if log_probs.dtype.kind != "f":
        raise TypeError(f"{name}: 'log_probs' must be a float tensor, got {log_probs.dtype}")
    if log_probs.ndim != 3:
        raise ValueError(f"{name}: 'log_probs' must be 3-D (T, N, C), got shape {list(log_probs.shape)}")
    if targets.ndim != 2 or targets.shape[0] != log_probs.shape[1]:
        raise ValueError(f"{name}: 'targets' must be 2-D (N, S) with N = {log_probs.shape[1]}, got shape "
                         f"{list(targets.shape)}")
    if targets.dtype.kind not in "iu":
        raise TypeError(f"{name}: 'targets' must be an int32 or int64 tensor, got {targets.dtype}")
    if not isinstance(reduction, str) or reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{name}: 'reduction' must be one of ['none', 'mean', 'sum'], got {reduction!r}")
    if not isinstance(zero_infinity, (bool, np.bool_)):
        raise TypeError(f"{name}: 'zero_infinity' must be a bool, got {type(zero_infinity).__name__}")
    c = log_probs.shape[2]
    if isinstance(blank, bool) or not isinstance(blank, int) or not 0 <= blank < c:
        raise ValueError(f"{name}: 'blank' must be an int in [0, {c}), got {blank!r}")
    n = log_probs.shape[1]
    input_lengths = _length_tensor(name, input_lengths, "input_lengths", n)
    target_lengths = _length_tensor(name, target_lengths, "target_lengths", n)
    nll = ctc_loss_p(log_probs, targets, input_lengths, target_lengths, blank=blank, zero_infinity=bool(zero_infinity))
    log_alpha = ctc_log_alpha_p(log_probs, targets, input_lengths, target_lengths, blank=blank)
    if reduction == "sum":
        return P.reduce_sum(nll, axis=(0,), keepdims=False), log_alpha
    if reduction == "mean":
        lengths = P.cast(target_lengths, dtype=nll.dtype)
        lengths = P.maximum(lengths, P.cast(Tensor(np.array(1)), dtype=nll.dtype))
        return P.reduce_mean(P.div(nll, lengths), axis=(0,), keepdims=False), log_alpha
    return nll, log_alpha

