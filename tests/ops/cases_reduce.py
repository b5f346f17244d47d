"""Cases for the reduction family."""
import numpy as np

from tests.ops.harness import Case
from tests.ops.cases_elementwise import ints
import sporen as ms

CASES = []
for axis, keep in [((0, 1), False), ((1,), True), ((0,), False), ((), False)]:
    CASES.append(Case("reduce_sum", [(3, 4)], lambda x, axis, keepdims: np.sum(x, axis=axis or None, keepdims=keepdims),
                      attrs={"axis": axis or (0, 1), "keepdims": keep}))
    CASES.append(Case("reduce_mean", [(3, 4)], lambda x, axis, keepdims: np.mean(x, axis=axis, keepdims=keepdims),
                      attrs={"axis": axis or (0, 1), "keepdims": keep}))
CASES.append(Case("reduce_sum", [(0, 3)], lambda x, axis, keepdims: np.sum(x, axis=axis, keepdims=keepdims),
                  attrs={"axis": (0,), "keepdims": False}, grad=False))
CASES.append(Case("reduce_sum", [()], lambda x, axis, keepdims: np.sum(x), attrs={"axis": (), "keepdims": False}))


def distinct(shape):
    # distinct values, so extremes, medians and their gradients are unambiguous
    return lambda rng, dt: (rng.permutation(int(np.prod(shape))).reshape(shape) * 0.37 - 1.1).astype(dt)


def with_ties(rng, dt):
    return np.array([[1.0, 3.0, 3.0, -1.0], [2.0, 2.0, 0.0, 2.0], [5.0, -5.0, 1.0, 4.0]], dt)


def away_from_zero(shape):
    return lambda rng, dt: (rng.uniform(0.5, 1.5, size=shape) * rng.choice([-1, 1], size=shape)).astype(dt)


def _np_reduce(fn):
    return lambda x, axis, keepdims: fn(x, axis=axis, keepdims=keepdims)


REDUCE_AXES = [((0, 1), False), ((1,), True), ((0,), False), ((0, 2), True)]
for name, fn in [("reduce_max", np.max), ("reduce_min", np.min)]:
    CASES.append(Case(name, [distinct((3, 4))], _np_reduce(fn), attrs={"axis": (1,), "keepdims": False}))
    CASES.append(Case(name, [distinct((2, 3, 4))], _np_reduce(fn), attrs={"axis": (0, 2), "keepdims": True}))
    CASES.append(Case(name, [distinct(())], _np_reduce(fn), attrs={"axis": (), "keepdims": False}))
    CASES.append(Case(name, [with_ties], _np_reduce(fn), attrs={"axis": (1,), "keepdims": False}, grad=False,
                      name="ties"))
    CASES.append(Case(name, [lambda rng, dt: np.array([[3, -2], [7, 7]], np.int32)], _np_reduce(fn),
                      attrs={"axis": (0,), "keepdims": False}, dtypes=("float32",), grad=False, name="int"))


CASES.append(Case("reduce_prod", [away_from_zero((3, 4))], _np_reduce(np.prod),
                  attrs={"axis": (1,), "keepdims": True}))
CASES.append(Case("reduce_prod", [away_from_zero((2, 3))], _np_reduce(np.prod),
                  attrs={"axis": (0, 1), "keepdims": False}))
CASES.append(Case("reduce_prod", [lambda rng, dt: np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 1.5], [1.0, 2.0, -1.0]], dt)],
                  _np_reduce(np.prod), attrs={"axis": (1,), "keepdims": False}, name="zeros"))
CASES.append(Case("reduce_prod", [lambda rng, dt: np.array([[True, False], [True, True]])],
                  lambda x, axis, keepdims: np.array([0, 1]), attrs={"axis": (1,), "keepdims": False},
                  dtypes=("float32",), grad=False, name="bool"))


def _argref(fn):
    def ref(x, axis, keepdims, dtype):
        if axis is None:
            out = fn(x.reshape(-1))
            return np.array(out, dtype.np).reshape((1,) * x.ndim if keepdims else ())
        return fn(x, axis=axis, keepdims=keepdims).astype(dtype.np)
    return ref


for name, fn in [("argmax", np.argmax), ("argmin", np.argmin)]:
    CASES += [Case(name, [with_ties], _argref(fn), attrs={"axis": 1, "keepdims": False, "dtype": ms.int64},
                   grad=False),
              Case(name, [(2, 3, 4)], _argref(fn), attrs={"axis": 0, "keepdims": True, "dtype": ms.int32}, grad=False),
              Case(name, [(3, 4)], _argref(fn), attrs={"axis": None, "keepdims": False, "dtype": ms.int64}, grad=False),
              Case(name, [(3, 4)], _argref(fn), attrs={"axis": None, "keepdims": True, "dtype": ms.int64}, grad=False)]

for name, fn in [("reduce_all", np.all), ("reduce_any", np.any)]:
    CASES += [Case(name, [lambda rng, dt: rng.random((3, 4)) > 0.3], _np_reduce(fn),
                   attrs={"axis": (1,), "keepdims": False}, dtypes=("float32",), grad=False),
              Case(name, [lambda rng, dt: np.array([[0.0, 2.0], [1.0, 3.0]], dt)], _np_reduce(fn),
                   attrs={"axis": (0, 1), "keepdims": True}, grad=False),
              Case(name, [lambda rng, dt: np.zeros((0, 2), dt)], _np_reduce(fn),
                   attrs={"axis": (0,), "keepdims": False}, grad=False, name="empty")]


def _lse_ref(x, axis, keepdims):
    x = x.astype(np.float64)
    return np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims))


CASES += [Case("logsumexp", [(3, 4)], _lse_ref, attrs={"axis": (1,), "keepdims": False}),
          Case("logsumexp", [(2, 3, 4)], _lse_ref, attrs={"axis": (0, 2), "keepdims": True}),
          Case("logsumexp", [lambda rng, dt: np.array([[1000.0, 1000.0], [-1000.0, -1001.0]], dt)],
               lambda x, axis, keepdims: np.array([1000 + np.log(2), -1000 + np.log1p(np.exp(-1.0))]),
               attrs={"axis": (1,), "keepdims": False}, name="large")]


def _cum_ref(fn):
    return lambda x, axis: fn(x, axis=axis)


def _loop_cumsum(x, axis):
    x = np.moveaxis(x, axis, 0)
    out = np.zeros_like(x)
    acc = np.zeros_like(x[0]) if x.shape[0] else None
    for i in range(x.shape[0]):
        acc = acc + x[i]
        out[i] = acc
    return np.moveaxis(out, 0, axis)


def _loop_cumprod(x, axis):
    x = np.moveaxis(x, axis, 0)
    out = np.zeros_like(x)
    acc = np.ones_like(x[0]) if x.shape[0] else None
    for i in range(x.shape[0]):
        acc = acc * x[i]
        out[i] = acc
    return np.moveaxis(out, 0, axis)


CASES += [Case("cumsum", [(3, 4)], _loop_cumsum, attrs={"axis": 1}),
          Case("cumsum", [(2, 3, 4)], _loop_cumsum, attrs={"axis": 0}),
          Case("cumsum", [(5,)], _loop_cumsum, attrs={"axis": -1}),
          Case("cumsum", [ints((3, 4))], _loop_cumsum, attrs={"axis": 0}, dtypes=("float32",), grad=False),
          Case("cumprod", [away_from_zero((3, 4))], _loop_cumprod, attrs={"axis": 1}),
          Case("cumprod", [away_from_zero((2, 3, 2))], _loop_cumprod, attrs={"axis": 0}),
          Case("cumprod", [lambda rng, dt: np.array([[2.0, 0.0, 3.0, 0.0, 1.5], [0.0, 1.0, 2.0, 3.0, 0.5],
                                                     [1.0, 2.0, -1.0, 0.5, 2.0]], dt)],
               _loop_cumprod, attrs={"axis": 1}, name="zeros")]


def _loop_cum_extreme(better):
    def ref(x, axis):
        xm = np.moveaxis(x, axis, -1)
        vals = np.empty_like(xm)
        idx = np.empty(xm.shape, np.int64)
        for pos in np.ndindex(*xm.shape[:-1]):
            best, where = None, 0
            for i, v in enumerate(xm[pos]):
                if best is None or better(v, best) or v == best:
                    best, where = v, i
                vals[pos + (i,)] = best
                idx[pos + (i,)] = where
        return np.moveaxis(vals, -1, axis), np.moveaxis(idx, -1, axis)
    return ref


for name, better in [("cummax", lambda a, b: a > b), ("cummin", lambda a, b: a < b)]:
    CASES += [Case(name, [distinct((3, 5))], _loop_cum_extreme(better), attrs={"axis": 1}),
              Case(name, [distinct((4, 2, 3))], _loop_cum_extreme(better), attrs={"axis": 0}),
              Case(name, [with_ties], _loop_cum_extreme(better), attrs={"axis": 1}, grad=False, name="ties"),
              Case(name, [ints((3, 4))], _loop_cum_extreme(better), attrs={"axis": 0}, dtypes=("float32",),
                   grad=False, name="int")]


def _median_ref(x, axis, keepdims):
    xm = np.moveaxis(x, axis, -1)
    vals = np.empty(xm.shape[:-1], x.dtype)
    idx = np.empty(xm.shape[:-1], np.int64)
    for pos in np.ndindex(*xm.shape[:-1]):
        row = list(xm[pos])
        ranked = sorted(range(len(row)), key=lambda i: (row[i], i))
        k = ranked[(len(row) - 1) // 2]
        vals[pos], idx[pos] = row[k], k
    if keepdims:
        return np.expand_dims(vals, axis), np.expand_dims(idx, axis)
    return vals, idx


CASES += [Case("median", [distinct((3, 5))], _median_ref, attrs={"axis": 1, "keepdims": False}),
          Case("median", [distinct((4, 3))], _median_ref, attrs={"axis": 0, "keepdims": True}),
          Case("median", [distinct((2, 4, 2))], _median_ref, attrs={"axis": 1, "keepdims": False}, name="even")]


def _nanmedian_ref(x, axis, keepdims):
    xm = np.moveaxis(x, axis, -1)
    vals = np.empty(xm.shape[:-1], x.dtype)
    idx = np.empty(xm.shape[:-1], np.int64)
    for pos in np.ndindex(*xm.shape[:-1]):
        row = list(xm[pos])
        finite = sorted((v, i) for i, v in enumerate(row) if v == v)
        if not finite:
            vals[pos], idx[pos] = np.nan, int(np.argsort(xm[pos], kind="stable")[0])
            continue
        v, i = finite[(len(finite) - 1) // 2]
        vals[pos], idx[pos] = v, i
    if keepdims:
        return np.expand_dims(vals, axis), np.expand_dims(idx, axis)
    return vals, idx


def with_nans(shape):
    def make(rng, dt):
        x = rng.permutation(int(np.prod(shape))).reshape(shape).astype(dt) * 0.37
        x.reshape(-1)[::3] = np.nan
        return x
    return make


CASES += [Case("nanmedian", [with_nans((3, 5))], _nanmedian_ref, attrs={"axis": 1, "keepdims": False}, grad=(0,)),
          Case("nanmedian", [distinct((4, 3))], _nanmedian_ref, attrs={"axis": 0, "keepdims": True}),
          Case("nanmedian", [lambda rng, dt: np.array([[np.nan, np.nan], [1.0, 2.0]], dt)], _nanmedian_ref,
               attrs={"axis": 1, "keepdims": False}, grad=False, name="all_nan")]


def _loop_histogram(x, bins, min, max):
    lo, hi = (x.min(), x.max()) if min == max == 0 else (min, max)
    counts = np.zeros(bins)
    for v in x.reshape(-1):
        if lo <= v <= hi:
            k = int((v - lo) / (hi - lo) * bins)
            counts[k if k < bins else bins - 1] += 1
    return counts


def _loop_bincount(x, *w, minlength, length):
    out = np.zeros(length, w[0].dtype if w else np.int64)
    for i, v in enumerate(x):
        out[v] += w[0][i] if w else 1
    return out


CASES += [Case("histc", [(50,)], _loop_histogram, attrs={"bins": 7, "min": -1.0, "max": 1.5}, grad=False),
          Case("histc", [(4, 5)], _loop_histogram, attrs={"bins": 3, "min": 0.0, "max": 0.0}, grad=False),
          Case("bincount", [lambda rng, dt: rng.integers(0, 6, 20)], _loop_bincount,
               attrs={"minlength": 0, "length": 6}, dtypes=("float32",), grad=False),
          Case("bincount", [lambda rng, dt: rng.integers(0, 4, 10), (10,)], _loop_bincount,
               attrs={"minlength": 8, "length": 8}, grad=(1,), name="weights")]
