"""Cases for indexing (getitem, setitem) and the gather/scatter/sort family."""
import numpy as np

from tests.ops.harness import Case


def i64(*values):
    return np.array(values, np.int64)


def distinct(shape):
    # well separated values, so sort/topk orders are stable under the finite-difference steps
    return lambda rng, dt: (rng.permutation(int(np.prod(shape))).reshape(shape) * 0.5 + 0.1).astype(dt)


def _setitem_ref(index_fn):
    def ref(x, v, *ts, index, accumulate):
        out = x.copy()
        if accumulate:
            np.add.at(out, index_fn(*ts), v)
        else:
            out[index_fn(*ts)] = v
        return out
    return ref


def _add_at_ref(x, indices, y, axis):
    out = x.copy()
    np.add.at(out, (slice(None),) * axis + (indices,), y)
    return out


def _scatter_elements_ref(x, indices, updates, axis, reduction):
    # explicit loops: an independent statement of out[..., indices[i], ...] (+)= updates[i]
    out = x.copy()
    for pos in np.ndindex(*indices.shape):
        target = list(pos)
        target[axis] = indices[pos]
        if reduction == "add":
            out[tuple(target)] += updates[pos]
        else:
            out[tuple(target)] = updates[pos]
    return out


def _gather_elements_ref(x, index, dim):
    out = np.empty(index.shape, x.dtype)
    for pos in np.ndindex(*index.shape):
        src = list(pos)
        src[dim] = index[pos]
        out[pos] = x[tuple(src)]
    return out


def _scatter_nd_ref(indices, updates, shape):
    out = np.zeros(shape, updates.dtype)
    for pos in np.ndindex(*indices.shape[:-1]):
        out[tuple(indices[pos])] += updates[pos]
    return out


def _sort_ref(x, axis, descending):
    idx = np.argsort(-x if descending else x, axis=axis, kind="stable")
    return np.take_along_axis(x, idx, axis), idx.astype(np.int32)


def _topk_ref(x, k, dim, largest, sorted):
    idx = np.argsort(-x if largest else x, axis=dim, kind="stable")
    idx = np.take(idx, np.arange(k), axis=dim)
    return np.take_along_axis(x, idx, dim), idx.astype(np.int32)


T0 = ("t", 0)
T1 = ("t", 1)


def S(start, stop, step=1):
    return ("s", start, stop, step)


CASES = [
    # getitem: ints, slices (negative steps), None, bool scalars, index arrays (advanced placement)
    Case("getitem", [(4, 5)], lambda x, index: x[1], attrs={"index": (("i", 1),)}),
    Case("getitem", [(4, 5)], lambda x, index: x[3:0:-2, 1:4], attrs={"index": (S(3, 0, -2), S(1, 4))}),
    Case("getitem", [(4, 5)], lambda x, index: x[::-1], attrs={"index": (S(3, None, -1),)}),
    Case("getitem", [(2, 3, 4)], lambda x, index: x[None, :, 2, None],
         attrs={"index": (("n",), S(0, 2), ("i", 2), ("n",))}),
    Case("getitem", [(3,)], lambda x, index: x[np.True_], attrs={"index": (("b", True),)}),
    Case("getitem", [(5, 3), i64(4, 0, 4)], lambda x, t, index: x[[4, 0, 4]], attrs={"index": (T0,)}),
    Case("getitem", [(3, 4, 5), i64(0, 2), i64(1, 3)], lambda x, a, b, index: x[[0, 2], :, [1, 3]],
         attrs={"index": (T0, S(0, 4), T1)}),
    Case("getitem", [(3, 4, 5), np.array([[0, 1], [2, 3]])], lambda x, a, index: x[1:, [[0, 1], [2, 3]]],
         attrs={"index": (S(1, 3), T0)}),
    Case("getitem", [(3, 4), np.array(2, np.int64)], lambda x, a, index: x[:, 2],
         attrs={"index": (S(0, 3), T0)}, name="array0d"),
    Case("getitem", [(0, 4)], lambda x, index: x[:, 1], attrs={"index": (S(0, 0), ("i", 1))}),
    Case("getitem", [()], lambda x, index: x[None], attrs={"index": (("n",),)}),

    # setitem: assignment (overwrites) and accumulation (repeats add up)
    Case("setitem", [(4, 5), (5,)], _setitem_ref(lambda: (1,)), attrs={"index": (("i", 1),), "accumulate": False}),
    Case("setitem", [(4, 5), (2, 1)], _setitem_ref(lambda: (slice(3, 0, -2), slice(1, 4))),
         attrs={"index": (S(3, 0, -2), S(1, 4)), "accumulate": False}),
    Case("setitem", [(4, 5), ()], _setitem_ref(lambda: (slice(None), slice(None))),
         attrs={"index": (S(0, 4), S(0, 5)), "accumulate": False}),
    Case("setitem", [(5, 3), (2, 3), i64(4, 0)], _setitem_ref(lambda t: (t,)),
         attrs={"index": (T0,), "accumulate": False}),
    Case("setitem", [(5, 3), (3, 3), i64(4, 0, 4)], _setitem_ref(lambda t: (t,)),
         attrs={"index": (T0,), "accumulate": True}),
    Case("setitem", [(3, 4, 5), (2, 4), i64(0, 2), i64(1, 1)], _setitem_ref(lambda a, b: (a, slice(None), b)),
         attrs={"index": (T0, S(0, 4), T1), "accumulate": True}),
    Case("setitem", [(2, 3), (1, 2)], lambda x, v, index, accumulate: _newaxis_ref(x, v),
         attrs={"index": (("n",), S(0, 2), ("i", 1)), "accumulate": False}, name="newaxis"),
    Case("setitem", [(2, 3), (1, 2)], lambda x, v, index, accumulate: _newaxis_ref(x, v, add=True),
         attrs={"index": (("n",), S(0, 2), ("i", 1)), "accumulate": True}, name="newaxis_add"),

    # gather family
    Case("gather", [(5, 3), i64(4, 0, 4)], lambda x, i, axis: x[[4, 0, 4]], attrs={"axis": 0}),
    Case("gather", [(2, 5, 3), np.array([[1, 2], [0, -1]])], lambda x, i, axis: x[:, [[1, 2], [0, 4]], :],
         attrs={"axis": 1}),
    Case("gather", [(4,), np.array(2)], lambda x, i, axis: x[2], attrs={"axis": 0}),
    Case("index_select", [(3, 4), i64(3, 3, 0)], lambda x, i, axis: x[:, [3, 3, 0]], attrs={"axis": 1}),
    Case("index_select", [(3, 4), i64()], lambda x, i, axis: x[[], :], attrs={"axis": 0}),
    Case("index_add", [(4, 3), i64(0, 2, 0), (3, 3)], _add_at_ref, attrs={"axis": 0}),
    Case("index_add", [(2, 4), i64(3,), (2, 1)], _add_at_ref, attrs={"axis": 1}),
    Case("gather_elements", [(3, 4), np.array([[0, 3], [1, 1], [2, 0]])], _gather_elements_ref, attrs={"dim": 1}),
    Case("gather_elements", [(3, 4), np.array([[2, 0, 1, 1]])], _gather_elements_ref, attrs={"dim": 0}),
    Case("tensor_scatter_elements", [(3, 4), np.array([[0, 3], [1, 1], [2, 0]]), (3, 2)], _scatter_elements_ref,
         attrs={"axis": 1, "reduction": "add"}),
    Case("tensor_scatter_elements", [(3, 4), np.array([[0, 3], [1, 2], [2, 0]]), (3, 2)], _scatter_elements_ref,
         attrs={"axis": 1, "reduction": "none"}),
    Case("tensor_scatter_elements", [(3, 2), np.array([[2, 0]]), (1, 2)], _scatter_elements_ref,
         attrs={"axis": 0, "reduction": "none"}),
    Case("gather_nd", [(3, 4), np.array([[0, 1], [2, 3], [0, 1]])], lambda x, i: x[[0, 2, 0], [1, 3, 1]]),
    Case("gather_nd", [(3, 4, 2), np.array([[[2], [0]]])], lambda x, i: x[[[2, 0]]]),
    Case("scatter_nd", [np.array([[0, 1], [2, 3], [0, 1]]), (3,)], _scatter_nd_ref, attrs={"shape": (3, 4)}),
    Case("scatter_nd", [np.array([[1], [0]]), (2, 3)], _scatter_nd_ref, attrs={"shape": (4, 3)}),
    Case("tensor_scatter_update", [(3, 4), np.array([[0, 1], [2, 3]]), (2,)],
         lambda x, i, u: _assign(x, (np.array([0, 2]), np.array([1, 3])), u)),
    Case("tensor_scatter_update", [(3, 4), np.array([[2]]), (1, 4)], lambda x, i, u: _assign(x, ([2],), u)),

    # sort family
    Case("sort", [distinct((3, 5))], _sort_ref, attrs={"axis": 1, "descending": False}),
    Case("sort", [distinct((4, 2))], _sort_ref, attrs={"axis": 0, "descending": True}),
    Case("sort", [lambda rng, dt: np.array([1, 3, 1, 2, 3], dt)], _sort_ref, attrs={"axis": 0, "descending": True},
         grad=False, name="ties"),
    Case("sort", [lambda rng, dt: np.array([2, 1, 2, 1], np.int32)], _sort_ref, attrs={"axis": 0, "descending": False},
         grad=False, dtypes=("float32",), name="int"),
    Case("topk", [distinct((3, 5))], _topk_ref, attrs={"k": 2, "dim": 1, "largest": True, "sorted": True}),
    Case("topk", [distinct((4, 3))], _topk_ref, attrs={"k": 3, "dim": 0, "largest": False, "sorted": True}),
    Case("topk", [lambda rng, dt: np.array([1, 3, 1, 3], dt)], _topk_ref,
         attrs={"k": 3, "dim": 0, "largest": True, "sorted": True}, grad=False, name="ties"),
    Case("searchsorted", [lambda rng, dt: np.array([1, 3, 5, 7], dt), lambda rng, dt: np.array([[0, 3], [6, 9]], dt)],
         lambda s, v, right, out_int32: np.array([[0, 1], [3, 4]]), attrs={"right": False, "out_int32": False},
         grad=False),
    Case("searchsorted", [lambda rng, dt: np.array([1, 3, 5, 7], dt), lambda rng, dt: np.array([3, 7], dt)],
         lambda s, v, right, out_int32: np.array([2, 4], np.int32), attrs={"right": True, "out_int32": True},
         grad=False),
    Case("searchsorted", [lambda rng, dt: np.array([[1, 3], [2, 4]], dt), lambda rng, dt: np.array([[2], [2]], dt)],
         lambda s, v, right, out_int32: np.array([[1], [0]]), attrs={"right": False, "out_int32": False},
         grad=False),
]


def _assign(x, idx, u):
    out = x.copy()
    out[idx] = u
    return out


def _newaxis_ref(x, v, add=False):
    # x[None, 0:2, 1] selects shape (1, 2): column 1 of both rows
    out = x.copy()
    if add:
        out[:, 1] += v[0]
    else:
        out[:, 1] = v[0]
    return out


def _segment_ref(ufunc, fill):
    def ref(x, ids, num_segments):
        # explicit loop over rows: an independent statement of the segment reduction
        out = np.full((num_segments,) + x.shape[1:], fill(x.dtype), x.dtype)
        for row, s in enumerate(ids):
            if 0 <= s < num_segments:
                out[s] = ufunc(out[s], x[row])
        return out
    return ref


def _lowest(dt):
    return np.finfo(dt).min


def _highest(dt):
    return np.finfo(dt).max


CASES += [
    # gradient cases keep every segment non-empty: an empty one holds the dtype's lowest value,
    # which swamps the finite differences
    Case("unsorted_segment_max", [distinct((5, 2)), i64(0, 2, 0, 2, 1)], _segment_ref(np.maximum, _lowest),
         attrs={"num_segments": 3}),
    Case("unsorted_segment_max", [distinct((5, 2)), i64(0, 2, 0, 2, 1)], _segment_ref(np.maximum, _lowest),
         attrs={"num_segments": 4}, grad=False, name="empty_segment"),
    Case("unsorted_segment_max", [distinct((4,)), i64(1, -1, 0, 7)], _segment_ref(np.maximum, _lowest),
         attrs={"num_segments": 2}, name="dropped_ids"),
    Case("unsorted_segment_max", [lambda rng, dt: np.array([1.0, 3.0, 3.0, 2.0], dt), i64(0, 0, 0, 1)],
         _segment_ref(np.maximum, _lowest), attrs={"num_segments": 2}, grad=False, name="ties"),
    Case("unsorted_segment_min", [distinct((5, 2)), i64(0, 2, 0, 2, 1)], _segment_ref(np.minimum, _highest),
         attrs={"num_segments": 3}),
    Case("unsorted_segment_prod", [(5, 2), i64(0, 2, 0, 2, 1)], _segment_ref(np.multiply, lambda dt: 1),
         attrs={"num_segments": 4}),
    Case("unsorted_segment_prod", [lambda rng, dt: np.array([0.0, 2.0, 3.0, 0.0, 0.0, 5.0], dt),
                                   i64(0, 0, 0, 1, 1, 2)],
         _segment_ref(np.multiply, lambda dt: 1), attrs={"num_segments": 3}, name="zeros"),
]
