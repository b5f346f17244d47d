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


def ref_sparse_sce(logits, target, axis):
    log_p = special.log_softmax(logits.astype(np.float64), axis=axis)
    moved = np.moveaxis(log_p, axis, -1)
    out = np.zeros(target.shape)
    for pos in np.ndindex(target.shape):
        k = target[pos]
        out[pos] = -moved[pos + (k,)] if 0 <= k < moved.shape[-1] else 0.0
    return out


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
    Case("sparse_softmax_cross_entropy", [(4, 5), labels((4,), 0, 5)], ref_sparse_sce, attrs={"axis": 1}),
    Case("sparse_softmax_cross_entropy", [(2, 3, 4), labels((2, 4), 0, 3)], ref_sparse_sce, attrs={"axis": 1}),
    Case("sparse_softmax_cross_entropy", [(5,), np.array(3)], ref_sparse_sce, attrs={"axis": 0}),
    Case("sparse_softmax_cross_entropy", [(4, 3), np.array([0, -100, 2, 7])], ref_sparse_sce, attrs={"axis": 1},
         name="ignored_labels"),
    Case("sigmoid_cross_entropy", [(3, 4), lambda rng, dt: rng.random((3, 4)).astype(dt)], ref_sigmoid_ce),
    Case("sigmoid_cross_entropy", [(), lambda rng, dt: np.array(1.0, dt)], ref_sigmoid_ce),
    Case("sigmoid_cross_entropy", [lambda rng, dt: np.array([-50.0, 0.0, 50.0], dt),
                                   lambda rng, dt: np.array([1.0, 0.5, 0.0], dt)],
         lambda x, y: np.array([50.0, np.log(2.0), 50.0]), name="saturated"),
    Case("multilabel_margin_mask", [np.array([[3, 0, -1, 1], [0, 1, 2, 3], [-1, 2, 0, 0]])], ref_ml_mask,
         dtypes=("float32",), grad=False),
    Case("multilabel_margin_mask", [np.array([1, 2, -1])], ref_ml_mask, dtypes=("float32",), grad=False),
]
