"""Cases for the fused loss primitives (loss_ops.py), with references from scipy and loops."""
import numpy as np
from scipy import special

from tests.ops.harness import Case


def probs(shape, axis):
    return lambda rng, dt: special.softmax(rng.standard_normal(shape), axis=axis).astype(dt)


def labels(shape, lo, hi):
    return lambda rng, dt: rng.integers(lo, hi, size=shape).astype(np.int64)


def ref_sce(logits, target, axis):
    return -np.sum(target * special.log_softmax(logits.astype(np.float64), axis=axis), axis=axis)


def _per_row_sparse(logits, target, axis, ignore_index):
    log_p = special.log_softmax(logits.astype(np.float64), axis=axis)
    moved = np.moveaxis(log_p, axis, -1)
    out = np.zeros(target.shape)
    valid = np.zeros(target.shape)
    for pos in np.ndindex(target.shape):
        k = target[pos]
        if 0 <= k < moved.shape[-1] and k != ignore_index:
            out[pos] = -moved[pos + (k,)]
            valid[pos] = 1
    return out, valid


def ref_sparse_sce(logits, target, axis, ignore_index, reduction):
    out, valid = _per_row_sparse(logits, target, axis, ignore_index)
    if reduction == "none":
        return out
    return out.sum() if reduction == "sum" else out.sum() / valid.sum()


def ref_sparse_sce_grad(logits, target, dout, axis, ignore_index, reduction):
    probs = special.softmax(logits.astype(np.float64), axis=axis)
    _, valid = _per_row_sparse(logits, target, axis, ignore_index)
    moved = np.moveaxis(probs, axis, -1).copy()
    for pos in np.ndindex(target.shape):
        if valid[pos]:
            moved[pos + (target[pos],)] -= 1
    w = valid * dout
    if reduction == "mean":
        w = w / valid.sum()
    return np.moveaxis(moved * w[..., None], -1, axis)


def ref_sigmoid_ce(x, y):
    x = x.astype(np.float64)
    p = special.expit(x)
    return -(y * np.log(p) + (1 - y) * np.log1p(-p))


def ref_ml_mask(target):
    t = target.reshape(-1, target.shape[-1])
    out = np.zeros(t.shape, bool)
    for n in range(t.shape[0]):
        for k in t[n]:
            if k < 0:
                break
            out[n, k] = True
    return out.reshape(target.shape)


CASES = [
    Case("softmax_cross_entropy", [(4, 5), probs((4, 5), 1)], ref_sce, attrs={"axis": 1}),
    Case("softmax_cross_entropy", [(2, 3, 4), probs((2, 3, 4), 1)], ref_sce, attrs={"axis": 1}),
    Case("softmax_cross_entropy", [(6,), probs((6,), 0)], ref_sce, attrs={"axis": 0}),
    Case("softmax_cross_entropy", [(3, 4), (3, 4)], ref_sce, attrs={"axis": 1}, name="unnormalised_labels"),
    Case("sparse_softmax_cross_entropy", [(4, 5), labels((4,), 0, 5)], ref_sparse_sce,
         attrs={"axis": 1, "ignore_index": -100, "reduction": "none"}),
    Case("sparse_softmax_cross_entropy", [(2, 3, 4), labels((2, 4), 0, 3)], ref_sparse_sce,
         attrs={"axis": 1, "ignore_index": -100, "reduction": "mean"}),
    Case("sparse_softmax_cross_entropy", [(5,), np.array(3)], ref_sparse_sce,
         attrs={"axis": 0, "ignore_index": -100, "reduction": "none"}),
    Case("sparse_softmax_cross_entropy", [(4, 3), np.array([0, -100, 2, 7])], ref_sparse_sce,
         attrs={"axis": 1, "ignore_index": -100, "reduction": "none"}, name="ignored_labels"),
    Case("sparse_softmax_cross_entropy", [(5, 3), np.array([0, 1, 2, 1, 1])], ref_sparse_sce,
         attrs={"axis": 1, "ignore_index": 1, "reduction": "mean"}, name="ignore_in_range"),
    Case("sparse_softmax_cross_entropy", [(5, 3), np.array([0, 1, 2, 1, -1])], ref_sparse_sce,
         attrs={"axis": 1, "ignore_index": -100, "reduction": "sum"}),
    Case("sparse_softmax_cross_entropy_grad", [(4, 5), labels((4,), 0, 5), (4,)], ref_sparse_sce_grad,
         attrs={"axis": 1, "ignore_index": -100, "reduction": "none"}),
    Case("sparse_softmax_cross_entropy_grad", [(5, 3), np.array([0, 1, 2, 1, 1]), ()], ref_sparse_sce_grad,
         attrs={"axis": 1, "ignore_index": 1, "reduction": "mean"}),
    Case("sparse_softmax_cross_entropy_grad", [(2, 3, 4), labels((2, 4), 0, 3), ()], ref_sparse_sce_grad,
         attrs={"axis": 1, "ignore_index": -100, "reduction": "sum"}),
    Case("sigmoid_cross_entropy", [(3, 4), lambda rng, dt: rng.random((3, 4)).astype(dt)], ref_sigmoid_ce),
    Case("sigmoid_cross_entropy", [(), lambda rng, dt: np.array(1.0, dt)], ref_sigmoid_ce),
    Case("sigmoid_cross_entropy", [lambda rng, dt: np.array([-50.0, 0.0, 50.0], dt),
                                   lambda rng, dt: np.array([1.0, 0.5, 0.0], dt)],
         lambda x, y: np.array([50.0, np.log(2.0), 50.0]), name="saturated"),
    Case("multilabel_margin_mask", [np.array([[3, 0, -1, 1], [0, 1, 2, 3], [-1, 2, 0, 0]])], ref_ml_mask,
         dtypes=("float32",), grad=False),
    Case("multilabel_margin_mask", [np.array([1, 2, -1])], ref_ml_mask, dtypes=("float32",), grad=False),
]


# --- CTC: references by enumerating every alignment path (tiny T and C) ---------------------------
def _collapse(path, blank):
    out = []
    prev = None
    for k in path:
        if k != prev and k != blank:
            out.append(k)
        prev = k
    return out


def ref_ctc_nll(lp, targets, input_lengths, target_lengths, blank, zero_infinity=False):
    import itertools
    t_max, n, c = lp.shape
    out = np.zeros(n)
    for b in range(n):
        tl = int(target_lengths[b])
        il = int(input_lengths[b])
        want = list(targets[b, :tl])
        total = -np.inf
        for path in itertools.product(range(c), repeat=il):
            if _collapse(path, blank) == want:
                total = np.logaddexp(total, sum(lp[t, b, k] for t, k in enumerate(path)))
        out[b] = -total
        if zero_infinity and np.isinf(out[b]):
            out[b] = 0.0
    return out


def ref_ctc_grad(lp, targets, input_lengths, target_lengths, blank, zero_infinity):
    lp = lp.astype(np.float64)
    g = np.zeros(lp.shape)
    eps = 1e-6
    for idx in np.ndindex(lp.shape):
        up = lp.copy()
        up[idx] += eps
        down = lp.copy()
        down[idx] -= eps
        diff = (ref_ctc_nll(up, targets, input_lengths, target_lengths, blank)
                - ref_ctc_nll(down, targets, input_lengths, target_lengths, blank)) / (2 * eps)
        g[idx] = diff[idx[1]]
    return g


def ref_ctc_alpha(lp, targets, input_lengths, target_lengths, blank):
    t_max, n, _ = lp.shape
    s_max = targets.shape[1]
    out = np.full((n, t_max, 2 * s_max + 1), -np.inf)
    for b in range(n):
        tl = int(target_lengths[b])
        ext = [blank]
        for k in targets[b, :tl]:
            ext += [int(k), blank]
        for t in range(t_max):
            for s in range(len(ext)):
                if t == 0:
                    if s < 2:
                        out[b, 0, s] = lp[0, b, ext[s]]
                    continue
                acc = out[b, t - 1, s]
                if s >= 1:
                    acc = np.logaddexp(acc, out[b, t - 1, s - 1])
                if s >= 2 and ext[s] != blank and ext[s] != ext[s - 2]:
                    acc = np.logaddexp(acc, out[b, t - 1, s - 2])
                out[b, t, s] = acc + lp[t, b, ext[s]]
    return out


def log_probs(shape):
    return lambda rng, dt: special.log_softmax(rng.standard_normal(shape), axis=-1).astype(dt)


_CTC_INPUTS = [log_probs((4, 3, 3)), np.array([[1, 2], [1, 1], [2, 0]]), np.array([4, 3, 4]), np.array([2, 2, 1])]
_CTC_ATTRS = {"blank": 0, "zero_infinity": False}
CASES += [
    Case("ctc_loss", _CTC_INPUTS, ref_ctc_nll, attrs=_CTC_ATTRS, grad=(0,)),
    Case("ctc_loss", [log_probs((3, 2, 3)), np.array([[2, 2], [1, 0]]), np.array([3, 2]), np.array([2, 0])],
         ref_ctc_nll, attrs={"blank": 0, "zero_infinity": True}, grad=(0,), name="repeat_and_empty"),
    Case("ctc_loss", [log_probs((4, 2, 3)), np.array([[0, 1], [1, 1]]), np.array([4, 4]), np.array([2, 2])],
         ref_ctc_nll, attrs={"blank": 2, "zero_infinity": False}, grad=(0,), name="blank2"),
    Case("ctc_loss_grad", _CTC_INPUTS, ref_ctc_grad, attrs=_CTC_ATTRS, grad=False, rtol=1e-5, atol=1e-6),
    Case("ctc_log_alpha", _CTC_INPUTS, ref_ctc_alpha, attrs={"blank": 0}, grad=False),
]


# --- log-uniform candidates: random, so only the degenerate one-class range is deterministic ------------
def ref_candidates(labels, num_true, num_sampled, unique, range_max, seed):
    expected = 1.0 if unique else float(num_sampled)  # P(0) = 1 when range_max = 1
    return (np.zeros(num_sampled, np.int64), np.full(labels.shape, expected, np.float32),
            np.full(num_sampled, expected, np.float32))


CASES += [Case("log_uniform_candidates", [np.zeros((3, 1), np.int64)], ref_candidates,
               attrs={"num_true": 1, "num_sampled": 1, "unique": True, "range_max": 1, "seed": 0},
               dtypes=("float32",), grad=False),
          Case("log_uniform_candidates", [np.zeros((2, 2), np.int64)], ref_candidates,
               attrs={"num_true": 2, "num_sampled": 3, "unique": False, "range_max": 1, "seed": 5},
               dtypes=("float32",), grad=False)]
