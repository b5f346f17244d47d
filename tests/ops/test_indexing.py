"""Tensor indexing (getitem/setitem, in place and under gradient tapes) and the gather/scatter,
sort/search, mask and diagonal functional ops."""
import numpy as np
import pytest

import sporen as ms
from sporen import ops
from sporen.ops.indexing import tensor_getitem, tensor_setitem


def T(a, dtype=None):
    return ms.Tensor(np.asarray(a), dtype)


def A(shape, dtype=np.float32):
    return np.arange(int(np.prod(shape)), dtype=dtype).reshape(shape)


def check(t, expected, dtype=None):
    np.testing.assert_array_equal(t.asnumpy(), expected)
    if dtype is not None:
        assert t.dtype == dtype


X = A((3, 4, 5))
GETITEM_INDICES = [
    0, -1, (1, 2), (slice(None), 1), slice(1, None), slice(None, None, -1), slice(-1, -4, -2),
    (Ellipsis, 2), (None, 1), (1, None, Ellipsis, None), (slice(None), None, slice(3, 0, -1)),
    [0, 2], [[0, 1], [2, 2]], ([0, 2], [1, 3]), ([0, 2], slice(None), [1, 3]), (slice(None), [0, 3], [1, 4]),
    (1, [0, 3], slice(1, 3)), ([0, 2], 1), (Ellipsis, [4, 0]), np.array([2, 0]), np.array([True, False, True]),
    X[..., 0] > 20, (slice(None), X[0, :, 0] > 6), (X[:, :, 0] > 30, slice(1, 3)), (), Ellipsis, (True,),
    (slice(10, 20),), (slice(None), slice(None), slice(None, None, 2)), (-3, -4, -5),
]


@pytest.mark.parametrize("index", GETITEM_INDICES, ids=[str(i)[:40] for i in range(len(GETITEM_INDICES))])
def test_getitem_matches_numpy(index):
    got = tensor_getitem(T(X), index)
    want = X[index]
    np.testing.assert_array_equal(T(X)[index].asnumpy(), want)
    assert got.shape == want.shape
    np.testing.assert_array_equal(got.asnumpy(), want)


def test_getitem_with_tensor_indices():
    x = T(X)
    check(x[T([2, 0])], X[[2, 0]])
    check(x[T(1)], X[1])
    check(x[:, T([[0], [3]]), T([1, 2])], X[:, [[0], [3]], [1, 2]])
    check(x[x > 30], X[X > 30])
    check(x[T(np.int32(1)):T(3)], X[1:3])
    check(x[T(True)], X[True])


def test_getitem_errors_name_the_problem():
    x = T(X)
    with pytest.raises(IndexError, match="index 3 is out of bounds for dimension 0 with size 3"):
        x[3]
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, 0, 0]
    with pytest.raises(IndexError, match="single ellipsis"):
        x[..., 0, ...]
    with pytest.raises(IndexError, match="integer or bool dtype"):
        x[T([0.5])]
    with pytest.raises(IndexError, match="bool mask of shape \\[2\\]"):
        x[np.array([True, False])]
    with pytest.raises(IndexError, match="getitem: .*out of bounds"):
        x[T([5])]
    with pytest.raises(ValueError, match="slice step cannot be zero"):
        x[::0]


def test_getitem_returns_a_new_tensor():
    x = T(X)
    y = x[...]
    assert y is not x
    y[0] = -1.0
    assert x.asnumpy()[0, 0, 0] == 0.0


SETITEM = [
    (1, 7.0), ((slice(None), 2), A((3, 5))), ((Ellipsis, slice(None, None, -2)), -1.0),
    ([0, 2], A((4, 5))), (([0, 2], slice(None), [4, 0]), A((2, 4))), (X > 40, 0.5),
    ((None, 1, slice(1, 3)), A((1, 2, 5))), ((slice(None), [1, 3]), A((3, 1, 5))), ((0, 0, 0), 9.0),
]


@pytest.mark.parametrize("index,value", SETITEM, ids=[str(i) for i in range(len(SETITEM))])
def test_setitem_matches_numpy_and_mutates_in_place(index, value):
    x = T(X)
    tensor_setitem(x, index, value)
    want = X.copy()
    want[index] = value
    np.testing.assert_array_equal(x.asnumpy(), want)


def test_setitem_operator_binding_and_casting():
    x = T(A((2, 3), np.int32))
    x[0] = 2.7  # cast to the tensor's dtype, as MindSpore does
    check(x, [[2, 2, 2], [3, 4, 5]], ms.int32)
    x[1, T([0, 2])] = T([7, 8], ms.int64)
    check(x, [[2, 2, 2], [7, 4, 8]], ms.int32)
    x[x > 6] = 0
    check(x, [[2, 2, 2], [0, 4, 0]])
    y = T(A((2, 3)))
    y[:, 1] = T([[5.0, 6.0]])  # extra leading 1-dims of the value are dropped
    check(y, [[0, 5, 2], [3, 6, 5]])


def test_setitem_never_writes_shared_arrays():
    base = np.zeros((2, 3), np.float32)
    x = ms.Tensor(base)
    alias = ms.Tensor._wrap(x._data)
    x[0, 0] = 5.0
    assert base[0, 0] == 0.0
    assert alias.asnumpy()[0, 0] == 0.0
    b = ops.broadcast_to(T(np.float32(1.0)), (2, 2))  # a read-only numpy view underneath
    b[0, 1] = 3.0
    check(b, [[1, 3], [1, 1]])


def test_setitem_errors():
    x = T(A((2, 3)))
    with pytest.raises(ValueError, match="setitem: a value of shape \\[2\\] cannot be assigned"):
        x[0] = T([1.0, 2.0])
    with pytest.raises(TypeError, match="setitem: the value must be"):
        x[0] = "a"
    with pytest.raises(IndexError, match="setitem: index 2 is out of bounds"):
        x[2] = 1.0


def test_grad_through_inplace_setitem_on_intermediate():
    x = T(np.arange(1.0, 7.0).reshape(2, 3))

    def f(t):
        y = t * 1
        y[0] = 0
        return ops.sum(y * y)

    g = ms.grad(f)(x)
    check(g, [[0, 0, 0], [8, 10, 12]])


def test_grad_uses_old_values_for_earlier_ops_and_reaches_the_value():
    x = T(np.arange(1.0, 7.0).reshape(2, 3))
    w = T(np.float64(3.0))

    def f(t, v):
        y = t * 1
        z = y * y  # recorded before the write: its gradient must use the old y
        y[:, 1] = v
        return ops.sum(y * y) + ops.sum(z)

    gx, gw = ms.grad(f, (0, 1))(x, w)
    xv = np.arange(1.0, 7.0).reshape(2, 3)
    want = 2 * xv + 2 * xv * np.array([1, 0, 1])
    check(gx, want)
    check(gw, 2 * 3.0 * 2)


def test_grad_of_setitem_on_the_differentiated_input_itself():
    def f(t):
        t[0, 0] = 0.0
        t[1] = t[0] * 3
        return ops.sum(t * t)

    x = T(np.arange(1.0, 7.0).reshape(2, 3))
    g = ms.grad(f)(x)
    # final t = [[0, x01, x02], [0, 3 x01, 3 x02]]
    check(g, [[0, 2 * 2 + 18 * 2, 2 * 3 + 18 * 3], [0, 0, 0]])
    check(x, [[0, 2, 3], [0, 6, 9]])  # the write happened, as in MindSpore


def test_grad_through_setitem_twice_on_a_source_and_second_order():
    def f(t):
        t[0] = t[0] * t[0]
        return ops.sum(t * t)

    x = T(np.array([2.0, 5.0]))
    check(ms.grad(f)(x), [4 * 2.0 ** 3, 2 * 5.0])
    second = ms.grad(lambda t: ms.grad(f)(t * 1)[0])(T(np.array([2.0, 5.0])))
    check(second, [12 * 2.0 ** 2, 0.0])


def test_getitem_gradient_accumulates_repeated_indices():
    x = T(np.arange(4.0))
    g = ms.grad(lambda t: ops.sum(t[T([1, 1, 3])] * T(np.array([1.0, 2.0, 3.0]))))(x)
    check(g, [0, 3, 0, 3])


# --- gather / scatter --------------------------------------------------------------------------
def test_gather_axis_and_batch_dims():
    x = A((3, 4))
    check(ops.gather(T(x), T([2, 0]), 0), x[[2, 0]])
    check(ops.gather(T(x), T([[1, 3]]), -1), x[:, [[1, 3]]])
    p = A((2, 3, 4))
    idx = np.array([[2, 0], [1, 1]])
    got = ops.gather(T(p), T(idx), 2, batch_dims=1)
    want = np.stack([p[b][:, idx[b]] for b in range(2)])
    check(got, want)
    got = ops.gather(T(p), T(np.array([[0], [2]])), 1, batch_dims=1)
    check(got, np.stack([p[0][[0]], p[1][[2]]]))
    g = ms.grad(lambda t: ops.sum(ops.gather(t, T(idx), 2, batch_dims=1)))(T(p.astype(np.float64)))
    want_g = np.zeros_like(p)
    for b in range(2):
        for i in idx[b]:
            want_g[b, :, i] += 1
    check(g, want_g)
    with pytest.raises(TypeError, match="gather: 'input_indices' must be an int32 or int64 Tensor"):
        ops.gather(T(x), T([0.0]), 0)
    with pytest.raises(IndexError, match="gather: "):
        ops.gather(T(x), T([7]), 0)


def test_index_select_index_add_scatter_add():
    x = A((3, 4))
    check(ops.index_select(T(x), -1, T([3, 0])), x[:, [3, 0]])
    with pytest.raises(ValueError, match="index_select: 'index' must be 0-D or 1-D"):
        ops.index_select(T(x), 0, T([[0]]))
    out = ops.index_add(T(x), T([0, 0]), T(np.ones((3, 2), np.float32)), 1)
    want = x.copy()
    want[:, 0] += 2
    check(out, want)
    p = ms.Parameter(T(np.zeros((2, 3), np.float32)), name="p")
    res = ops.scatter_add(p, T(np.array([[0, 1], [1, 1]])), T(np.ones((2, 2, 3), np.float32)))
    check(res, [[1, 1, 1], [3, 3, 3]])
    check(p, [[1, 1, 1], [3, 3, 3]])  # a Parameter is updated in place
    with pytest.raises(ValueError, match="scatter_add: 'updates' must have shape"):
        ops.scatter_add(p, T([0]), T(np.ones((2, 3), np.float32)))


def test_gather_elements_scatter_and_tensor_scatter_elements():
    x = A((2, 3))
    idx = np.array([[2, 0], [1, 1]])
    check(ops.gather_elements(T(x), 1, T(idx)), np.take_along_axis(x, idx, 1))
    src = T(np.array([[10.0, 20.0], [30.0, 40.0]], np.float32))
    want = x.copy()
    np.put_along_axis(want, np.array([[2, 0], [1, 0]]), src.asnumpy(), 1)
    check(ops.scatter(T(x), 1, T(np.array([[2, 0], [1, 0]])), src), want)
    added = ops.tensor_scatter_elements(T(x), T(idx), src, axis=1, reduction="add")
    want = x.copy()
    want[0, 2] += 10
    want[0, 0] += 20
    want[1, 1] += 70
    check(added, want)
    with pytest.raises(ValueError, match="'reduction' must be 'none' or 'add'"):
        ops.tensor_scatter_elements(T(x), T(idx), src, reduction="mul")


def test_nd_gather_and_scatter():
    x = A((3, 4))
    idx = T(np.array([[0, 1], [2, 3]]))
    check(ops.gather_nd(T(x), idx), [1, 11])
    check(ops.scatter_nd(T(np.array([[1], [1]])), T(np.ones((2, 3), np.float32)), (3, 3)),
          [[0, 0, 0], [2, 2, 2], [0, 0, 0]])
    upd = T(np.array([-1.0, -2.0], np.float32))
    want = x.copy()
    want[0, 1], want[2, 3] = -1, -2
    check(ops.tensor_scatter_update(T(x), idx, upd), want)
    want = x.copy()
    want[0, 1] += -1
    want[2, 3] += -2
    check(ops.tensor_scatter_add(T(x), idx, upd), want)
    with pytest.raises(ValueError, match="scatter_nd: 'updates' must have shape"):
        ops.scatter_nd(idx, T(np.ones((3,), np.float32)), (3, 4))
    with pytest.raises(ValueError, match="scatter_nd: 'shape' must hold non-negative ints"):
        ops.scatter_nd(idx, upd, (3, -4))


def test_masked_fill_and_masked_select():
    x = A((2, 3))
    mask = T(np.array([True, False, True]))
    check(ops.masked_fill(T(x), mask, -1.0), np.where([True, False, True], -1, x))
    check(ops.masked_select(T(x), mask), x[:, [0, 2]].reshape(-1))
    g = ms.grad(lambda t: ops.sum(ops.masked_select(t, mask) * 2))(T(x.astype(np.float64)))
    check(g, np.where([True, False, True], 2.0, 0.0) * np.ones((2, 3)))
    g = ms.grad(lambda v: ops.sum(ops.masked_fill(T(x), mask, v)), 0)(T(np.float32(1.0)))
    check(g, 4.0)
    with pytest.raises(TypeError, match="masked_fill: 'mask' must be a Bool tensor"):
        ops.masked_fill(T(x), T([1, 0, 1]), 0.0)


# --- sort and search ---------------------------------------------------------------------------
def test_sort_argsort_topk():
    x = np.array([[3.0, 1.0, 2.0, 1.0], [0.0, 5.0, 5.0, -1.0]], np.float32)
    v, i = ops.sort(T(x))
    check(v, np.sort(x, -1))
    check(i, [[1, 3, 2, 0], [3, 0, 1, 2]], ms.int32)
    v, i = ops.sort(T(x), axis=0, descending=True)
    check(v, -np.sort(-x, 0))
    check(ops.argsort(T(x), descending=True), [[0, 2, 1, 3], [1, 2, 0, 3]])
    v, i = ops.topk(T(x), 2)
    check(v, [[3, 2], [5, 5]])
    check(i, [[0, 2], [1, 2]], ms.int32)
    v, i = ops.topk(T(x), 1, dim=0, largest=False)
    check(v, [[0, 1, 2, -1]])
    with pytest.raises(ValueError, match="topk: 'k' \\(5\\) must not exceed"):
        ops.topk(T(x), 5)
    with pytest.raises(TypeError, match="sort: 'descending' must be a bool"):
        ops.sort(T(x), descending=1)
    g = ms.grad(lambda t: ops.sum(ops.topk(t, 2)[0] * T(np.array([10.0, 1.0]))))(T(x.astype(np.float64)))
    check(g, [[10, 0, 1, 0], [0, 10, 1, 0]])


def test_searchsorted_and_bucketize():
    seq = T(np.array([1.0, 3.0, 5.0, 7.0], np.float32))
    vals = T(np.array([3.0, 6.0, 9.0], np.float32))
    check(ops.searchsorted(seq, vals), [1, 3, 4], ms.int64)
    check(ops.searchsorted(seq, vals, right=True, out_int32=True), [2, 3, 4], ms.int32)
    check(ops.searchsorted(seq, vals, side="right"), [2, 3, 4])
    unsorted = T(np.array([5.0, 1.0, 7.0, 3.0], np.float32))
    check(ops.searchsorted(unsorted, vals, sorter=T(np.array([1, 3, 0, 2]))), [1, 3, 4])
    with pytest.raises(ValueError, match="searchsorted: 'side'"):
        ops.searchsorted(seq, vals, side="middle")
    x = T(np.array([[1.0, 3.0], [6.0, 9.0]], np.float32))
    check(ops.bucketize(x, [1.0, 3.0, 5.0]), [[0, 1], [3, 3]], ms.int32)
    check(ops.bucketize(x, [1.0, 3.0, 5.0], right=True), [[1, 2], [3, 3]])


def test_unique_nonzero_argwhere():
    out, idx = ops.unique(T(np.array([1, 2, 5, 2], np.int32)))
    check(out, [1, 2, 5], ms.int32)
    check(idx, [0, 1, 2, 1], ms.int32)
    x = T(np.array([1, 1, 2, 2, 3, 1, 1, 2]))
    out, idx, counts = ops.unique_consecutive(x, True, True)
    check(out, [1, 2, 3, 1, 2])
    check(idx, [0, 0, 1, 1, 2, 3, 3, 4])
    check(counts, [2, 2, 1, 2, 1])
    m = T(np.array([[1, 1], [2, 3], [2, 3]]))
    check(ops.unique_consecutive(m, axis=0), [[1, 1], [2, 3]])
    y = T(np.array([[0, 1], [2, 0]]))
    check(ops.nonzero(y), [[0, 1], [1, 0]], ms.int64)
    rows, cols = ops.nonzero(y, as_tuple=True)
    check(rows, [0, 1])
    check(cols, [1, 0])
    check(ops.argwhere(y), [[0, 1], [1, 0]], ms.int64)


# --- diagonals and triangles -------------------------------------------------------------------
def test_diagonals_and_triangles():
    x = A((3, 4))
    for off in (-2, -1, 0, 1, 3, 5):
        check(ops.diagonal(T(x), off), np.diagonal(x, off))
    y = A((2, 3, 4))
    check(ops.diagonal(T(y), 1, 2, 0), np.diagonal(y, 1, 2, 0))
    check(ops.diag(T([1.0, 2.0])), np.diag([1.0, 2.0]))
    d = ops.diag(T(A((2, 2))))
    assert d.shape == (2, 2, 2, 2)
    assert d.asnumpy()[1, 0, 1, 0] == 2 and d.asnumpy()[1, 0, 0, 1] == 0
    e = ops.diag_embed(T(A((2, 3))), offset=1)
    assert e.shape == (2, 4, 4)
    check(e[1], np.diag(A((2, 3))[1], 1))
    e = ops.diag_embed(T(A((2, 3))), dim1=0, dim2=2)
    check(e[:, 1, :], np.diag(A((2, 3))[1]))
    for k in (-1, 0, 2):
        check(ops.tril(T(y), k), np.tril(y, k))
        check(ops.triu(T(y), k), np.triu(y, k))
    check(ops.trace(T(x)), np.trace(x))
    with pytest.raises(ValueError, match="trace: 'input' must be 2-D"):
        ops.trace(T(y))
    g = ms.grad(lambda t: ops.sum(ops.diagonal(t, 1) * 2) + ops.sum(ops.tril(t)))(T(x.astype(np.float64)))
    check(g, np.tril(np.ones((3, 4))) + 2 * np.eye(3, 4, 1))
    g = ms.grad(lambda t: ops.sum(ops.diag_embed(t) * T(A((3, 3), np.float64))))(T(np.ones(3)))
    check(g, [0, 4, 8])


# --- out-of-place scatters into slices and diagonals; in-place Parameter scatters ---------------
def test_slice_select_diagonal_scatter_and_index_fill():
    x = A((3, 4))
    src = np.full((3, 2), -1.0, np.float32)
    want = x.copy()
    want[:, 1::2] = src
    check(ops.slice_scatter(T(x), T(src), 1, 1, None, 2), want)
    want = x.copy()
    want[-1] = [9, 9, 9, 9]
    check(ops.select_scatter(T(x), T(np.full(4, 9.0, np.float32)), 0, -1), want)
    with pytest.raises(ValueError, match="select_scatter: 'src' must have shape \\[4\\]"):
        ops.select_scatter(T(x), T(np.ones(3, np.float32)), 0, 0)
    y = A((2, 3, 4))
    for off, d1, d2 in [(0, 0, 1), (1, 1, 2), (-1, 2, 0), (0, 0, 2)]:
        src = -np.diagonal(y, off, d1, d2) - 1  # differs from every value it replaces
        got = ops.diagonal_scatter(T(y), T(src), off, d1, d2).asnumpy()
        np.testing.assert_array_equal(np.diagonal(got, off, d1, d2), src)
        assert np.count_nonzero(got != y) == src.size  # nothing but the diagonal changed
    check(ops.index_fill(T(x), -1, T([0, 3]), 0.5), np.where([True, False, False, True], 0.5, x))
    g = ms.grad(lambda s: ops.sum(ops.slice_scatter(T(x), s, 1, 0, 2) * T(A((3, 4)))))(
        T(np.ones((3, 2), np.float32)))
    check(g, A((3, 4))[:, :2])


def test_parameter_scatters_update_in_place():
    p = ms.Parameter(T(np.zeros((3, 2), np.float32)), name="p")
    ops.scatter_nd_add(p, T(np.array([[0, 1], [0, 1]])), T(np.array([1.0, 2.0], np.float32)))
    check(p, [[0, 3], [0, 0], [0, 0]])
    ops.scatter_nd_sub(p, T(np.array([[0, 1]])), T(np.array([1.0], np.float32)))
    check(p, [[0, 2], [0, 0], [0, 0]])
    ops.scatter_nd_update(p, T(np.array([[2]])), T(np.array([[7.0, 8.0]], np.float32)))
    check(p, [[0, 2], [0, 0], [7, 8]])
    out = ops.scatter_update(p, T(np.array([1])), T(np.array([[5.0, 6.0]], np.float32)))
    check(p, [[0, 2], [5, 6], [7, 8]])
    check(out, p.asnumpy())
    t = T(np.zeros((2,), np.float32))
    ops.scatter_nd_add(t, T(np.array([[0]])), T(np.array([1.0], np.float32)))
    check(t, [0, 0])  # a plain Tensor is not modified: only Parameters are updated in place


def test_setitem_writes_in_place_only_when_nothing_else_sees_the_array():
    x = ops.zeros((4, 3))
    arr = x._data
    del arr  # the test's own reference would make the array shared
    before = id(x._data)
    x[1] = 2.0
    assert id(x._data) == before  # no copy of an unshared array
    check(x[1], [2, 2, 2])
    view = x[2]  # a numpy view of x's array: the next write must copy
    x[2] = 7.0
    check(view, [0, 0, 0])
    check(x[2], [7, 7, 7])
    user = np.ones((2,), np.float32)
    t = ms.Tensor(user)  # shares the user's array
    t[0] = 5.0
    check(t, [5, 1])
    assert user[0] == 1.0


def test_grad_through_mask_and_array_indices_in_getitem_and_setitem():
    xv = np.arange(1.0, 7.0).reshape(2, 3)

    def f(t, w):
        y = t * 1
        y[:, T([0, 2])] = w  # w (2,) broadcast over the rows
        return ops.sum(y[y > 2.5] ** 2)

    gx, gw = ms.grad(f, (0, 1))(T(xv), T(np.array([3.0, 1.0])))
    # final y = [[3, 2, 1], [3, 5, 1]]; entries > 2.5: y00, y10 (both w0 = 3) and y11 = 5
    check(gx, [[0, 0, 0], [0, 10, 0]])
    check(gw, [2 * 3.0 * 2, 0.0])


def test_segment_sum_masked_scatter_index_put():
    x = A((4, 3))
    out = ops.unsorted_segment_sum(T(x), T([0, 2, 0, 5]), 3)  # id 5 is out of range: dropped
    check(out, [x[0] + x[2], np.zeros(3), x[1]])
    g = ms.grad(lambda t: ops.sum(ops.unsorted_segment_sum(t, T([0, 2, 0, 5]), 3) * T(A((3, 3), np.float64))))(
        T(x.astype(np.float64)))
    check(g, [[0, 1, 2], [6, 7, 8], [0, 1, 2], [0, 0, 0]])
    with pytest.raises(ValueError, match="unsorted_segment_sum: 'segment_ids' shape \\[2\\] must be a prefix"):
        ops.unsorted_segment_sum(T(x), T([0, 1]), 2)
    src = T(np.array([-1.0, -2.0, -3.0, -4.0], np.float32))
    want = x.copy()
    want[x > 8] = [-1, -2, -3]
    check(ops.masked_scatter(T(x), T(x > 8), src), want)
    want = x.copy()
    want[:, 1] = [-1, -2, -3, -4]
    check(ops.masked_scatter(T(x), T(np.array([False, True, False])), src), want)
    with pytest.raises(ValueError, match="masked_scatter: 'source' has 4 elements, the mask selects 5"):
        ops.masked_scatter(T(x), T(x > 6), src)
    out = ops.index_put(T(x), (T([0, 0]), T([1, 1])), T(np.float32(5.0)), True)
    want = x.copy()
    want[0, 1] += 10
    check(out, want)
    out = ops.index_put(T(x), (T([3, 1]),), T(np.zeros(3, np.float32)))
    want = x.copy()
    want[[3, 1]] = 0
    check(out, want)
    with pytest.raises(TypeError, match="index_put: 'indices' must be a non-empty tuple"):
        ops.index_put(T(x), T([0]), T(np.float32(1)))


def test_parameter_ufunc_scatters_and_aliases():
    p = ms.Parameter(T(np.full((3, 2), 2.0, np.float32)), name="p")
    ops.scatter_mul(p, T([0, 0]), T(np.full((2, 2), 3.0, np.float32)))
    ops.scatter_max(p, T([1]), T(np.array([[1.0, 5.0]], np.float32)))
    ops.scatter_min(p, T([2]), T(np.array([[1.0, 5.0]], np.float32)))
    ops.scatter_div(p, T([2]), T(np.array([[4.0, 4.0]], np.float32)))
    check(p, [[18, 18], [2, 5], [0.25, 0.5]])
    with pytest.raises(ValueError, match="scatter_mul: 'updates' must have shape"):
        ops.scatter_mul(p, T([0]), T(np.ones((2,), np.float32)))
    x = A((3, 4))
    check(ops.gather_d(T(x), 1, T(np.array([[3], [0], [1]]))), [[3], [4], [9]])
    check(ops.diagflat(T(A((2, 2))), -1), np.diagflat(A((2, 2)), -1))
    check(ops.msort(T(np.array([[3.0, 1.0], [1.0, 2.0]]))), [[1, 1], [3, 2]])
    v, i = ops.top_k(T(x), 2)
    check(v, x[:, [3, 2]])
    y, idx = ops.unique_with_pad(T(np.array([5, 1, 5, 3], np.int32)), -1)
    check(y, [5, 1, 3, -1])
    check(idx, [0, 1, 0, 2])


def test_segment_max_min_prod():
    x = T(np.array([[1.0, 3.0], [3.0, 2.0]], np.float32))
    ids = T(np.array([[0, 0], [0, 1]]))  # 2-D ids cover the first two dims
    check(ops.unsorted_segment_max(x, ids, 3), [3.0, 2.0, np.finfo(np.float32).min])
    check(ops.unsorted_segment_min(x, ids, 2), [1.0, 2.0])
    check(ops.unsorted_segment_prod(x, ids, 3), [9.0, 2.0, 1.0])
    check(ops.unsorted_segment_max(T(np.array([5, 7], np.int32)), T([1, 1]), 2), [np.iinfo(np.int32).min, 7])
    # ties share the gradient evenly
    g = ms.grad(lambda t: ops.sum(ops.unsorted_segment_max(t, T([0, 0, 0, 1]), 2)))(
        T(np.array([1.0, 3.0, 3.0, 2.0])))
    check(g, [0, 0.5, 0.5, 1])
    with pytest.raises(ValueError, match="unsorted_segment_min: 'num_segments' must be >= 0"):
        ops.unsorted_segment_min(x, ids, -1)


@pytest.mark.parametrize("select", [
    lambda t: t[T([0, 2, 2, -1])],
    lambda t: ops.gather(t, T([0, 2, 2, 3]), 0),
    lambda t: ops.index_select(t, 0, T([0, 2, 2, 3])),
    lambda t: ops.gather_elements(t, 0, T([0, 2, 2, 3])),
    lambda t: ops.gather_nd(t, T(np.array([[0], [2], [2], [3]]))),
    lambda t: ops.masked_select(ops.tile(t, (2,)), T(np.array([1, 0, 1, 0, 0, 0, 1, 1], bool))),
], ids=["getitem", "gather", "index_select", "gather_elements", "gather_nd", "tile_masked_select"])
def test_second_order_through_gathers(select):
    # f = sum(select(x) ** 3) picks x0, x2, x2, x3: grad f = 3 c x^2, and for g = <grad f, w>,
    # grad g = 6 c w x, with c = (1, 0, 2, 1) the number of times each entry is picked
    x = T(np.array([1.0, 2.0, 3.0, 4.0]))
    w = np.array([1.0, 10.0, 100.0, 1000.0])
    c = np.array([1.0, 0.0, 2.0, 1.0])
    f = lambda t: ops.sum(select(t) ** 3)  # noqa: E731
    check(ms.grad(f)(x), 3 * c * x.asnumpy() ** 2)
    g = ms.grad(lambda t: ops.sum(ms.grad(f)(t) * T(w)))(x)
    np.testing.assert_allclose(g.asnumpy(), 6 * c * w * x.asnumpy())


def test_second_order_through_sort_pad_and_setitem():
    x = T(np.array([3.0, 1.0, 2.0]))

    def f(t):
        v = ops.sort(t, descending=True)[0]  # (3, 2, 1)
        p = ops.pad(v, (1, 1), mode="reflect")  # (2, 3, 2, 1, 2)
        y = p * 1
        y[0] = 0.0  # drop one copy of v1
        return ops.sum(y ** 3)

    # f = x0^3 + 2 x2^3 + x1^3 (v0 = x0 once, v1 = x2 twice, v2 = x1 once)
    check(ms.grad(f)(x), [27.0, 3.0, 24.0])
    g = ms.grad(lambda t: ops.sum(ms.grad(f)(t)))(x)
    check(g, [18.0, 6.0, 24.0])


def test_setitem_out_of_place_leaves_the_input_alone():
    from sporen.ops.indexing import setitem_out_of_place
    x = T(A((2, 3)))
    y = setitem_out_of_place(x, (slice(None), T([0, 2])), T([[7.0, 8.0]]))
    check(y, [[7, 1, 8], [7, 4, 8]])
    check(x, A((2, 3)))
    g = ms.grad(lambda t, v: ops.sum(setitem_out_of_place(t, 0, v) * 2), (0, 1))(x, T(np.float32(1.0)))
    check(g[0], [[0, 0, 0], [2, 2, 2]])
    check(g[1], 6.0)


def test_take_modes():
    a = T(np.array([[1.0, 2.0, 8.0], [3.0, 4.0, 6.0]], np.float32))
    check(ops.take(a, T([1, 10])), [2, 6])
    check(ops.take(a, T([1, 10]), axis=1), [[2, 8], [4, 6]])
    check(ops.take(a, T([1, 10]), mode="wrap"), [2, 4])
    check(ops.take(a, T([-1]), mode="clip"), [1])
    with pytest.raises(IndexError, match="gather: "):
        ops.take(a, T([10]), mode="raise")
    with pytest.raises(ValueError, match="take: 'mode'"):
        ops.take(a, T([0]), mode="nearest")
