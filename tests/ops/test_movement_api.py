"""The movement functional ops: MindSpore signatures, defaults, negative axes, values, gradients
through the composites, and error messages naming the argument."""
import numpy as np
import pytest

import sporen as ms
from sporen import ops


def T(a, dtype=None):
    return ms.Tensor(np.asarray(a), dtype)


def A(shape, dtype=np.float32):
    return np.arange(int(np.prod(shape)), dtype=dtype).reshape(shape)


def check(t, expected, dtype=None):
    np.testing.assert_array_equal(t.asnumpy(), expected)
    if dtype is not None:
        assert t.dtype == dtype


# --- transpose family --------------------------------------------------------------------------
def test_transpose_and_permute_accept_negative_axes():
    x = A((2, 3, 4))
    check(ops.transpose(T(x), (2, 0, 1)), x.transpose(2, 0, 1))
    check(ops.permute(T(x), (-1, 0, -2)), x.transpose(2, 0, 1))
    with pytest.raises(ValueError, match="transpose: 'input_perm'"):
        ops.transpose(T(x), (0, 1))
    with pytest.raises(ValueError, match="permute: 'axis' must be a permutation"):
        ops.permute(T(x), (0, 0, 1))


def test_swapaxes_moveaxis_t():
    x = A((2, 3, 4))
    check(ops.swapaxes(T(x), 0, -1), np.swapaxes(x, 0, -1))
    check(ops.swapdims(T(x), 1, 2), np.swapaxes(x, 1, 2))
    check(ops.moveaxis(T(x), 0, -1), np.moveaxis(x, 0, -1))
    check(ops.movedim(T(x), (0, 1), (2, 0)), np.moveaxis(x, (0, 1), (2, 0)))
    check(ops.t(T(A((2, 3)))), A((2, 3)).T)
    check(ops.t(T([1.0, 2.0])), [1.0, 2.0])
    with pytest.raises(ValueError, match="t: 'input' must have at most 2 dimensions"):
        ops.t(T(x))
    with pytest.raises(ValueError, match="swapaxes: 'axis1' must be in"):
        ops.swapaxes(T(x), 0, 3)


# --- adding and removing dims ------------------------------------------------------------------
def test_expand_squeeze_flatten_ravel():
    x = A((2, 1, 3))
    assert ops.expand_dims(T(x), -1).shape == (2, 1, 3, 1)
    assert ops.expand_dims(T(x), 0).shape == (1, 2, 1, 3)
    assert ops.unsqueeze(T(x), 1).shape == (2, 1, 1, 3)
    assert ops.squeeze(T(x)).shape == (2, 3)
    assert ops.squeeze(T(x), -2).shape == (2, 3)
    assert ops.squeeze(T(x), (1,)).shape == (2, 3)
    with pytest.raises(ValueError, match="squeeze: 'axis' 0 has size 2"):
        ops.squeeze(T(x), 0)
    y = A((2, 3, 4, 5))
    assert ops.flatten(T(y)).shape == (2, 60)  # MindSpore keeps dim 0 by default
    assert ops.flatten(T(y), start_dim=0).shape == (120,)
    assert ops.flatten(T(y), start_dim=1, end_dim=2).shape == (2, 12, 5)
    check(ops.flatten(T(A((2, 3))), order="F"), A((2, 3)).T.reshape(3, 2))
    assert ops.flatten(T(np.float32(3))).shape == (1,)
    with pytest.raises(ValueError, match="flatten: 'order'"):
        ops.flatten(T(y), "K")
    with pytest.raises(ValueError, match="'start_dim'"):
        ops.flatten(T(y), start_dim=3, end_dim=1)
    check(ops.ravel(T(y)), y.reshape(-1))
    assert ops.atleast_2d(T(np.float32(1))).shape == (1, 1)
    assert ops.atleast_3d(T(A((4,)))).shape == (1, 4, 1)
    assert [t.shape for t in ops.atleast_1d([T(np.float32(1)), T(A((2, 2)))])] == [(1,), (2, 2)]


# --- concat, stack, split ----------------------------------------------------------------------
def test_concat_and_stack_promote_and_check_shapes():
    a = T(A((2, 3)))
    b = T(A((1, 3), np.int32))
    out = ops.concat((a, b))
    assert out.dtype == ms.float32
    check(out, np.concatenate([A((2, 3)), A((1, 3))]))
    check(ops.cat([a, a], axis=-1), np.concatenate([A((2, 3))] * 2, 1))
    with pytest.raises(ValueError, match="concat: 'tensors\\[1\\]' has shape"):
        ops.concat([a, T(A((2, 2)))])
    with pytest.raises(TypeError, match="concat: 'tensors' must be a tuple or list"):
        ops.concat(a)
    check(ops.stack([a, a], axis=-1), np.stack([A((2, 3))] * 2, -1))
    with pytest.raises(ValueError, match="stack: every tensor must have shape"):
        ops.stack([a, T(A((3, 2)))])
    check(ops.hstack([T([1.0, 2.0]), T([3.0])]), [1, 2, 3])
    check(ops.vstack([T([1.0, 2.0]), T([3.0, 4.0])]), [[1, 2], [3, 4]])
    check(ops.column_stack([T([1.0, 2.0]), T([3.0, 4.0])]), [[1, 3], [2, 4]])
    assert ops.dstack([T(A((2, 2))), T(A((2, 2)))]).shape == (2, 2, 2)


def test_split_family():
    x = A((7, 2))
    parts = ops.split(T(x), 3)
    assert [p.shape[0] for p in parts] == [3, 3, 1]
    check(parts[2], x[6:])
    parts = ops.split(T(x), [2, 5], axis=0)
    check(parts[1], x[2:])
    with pytest.raises(ValueError, match="split: 'split_size_or_sections' \\[2, 2\\] must add up to"):
        ops.split(T(x), [2, 2])
    with pytest.raises(ValueError, match="must be a positive int"):
        ops.split(T(x), 0)
    assert [p.shape[0] for p in ops.tensor_split(T(x), 3)] == [3, 2, 2]
    parts = ops.tensor_split(T(x), [1, 4, 10])
    assert [p.shape[0] for p in parts] == [1, 3, 3, 0]
    check(parts[1], x[1:4])
    assert [p.shape[0] for p in ops.chunk(T(x), 3)] == [3, 3, 1]
    assert [p.shape[0] for p in ops.chunk(T(A((6,))), 4)] == [2, 2, 2]
    with pytest.raises(ValueError, match="chunk: 'chunks' must be >= 1"):
        ops.chunk(T(x), 0)
    rows = ops.unstack(T(x), axis=-1)
    assert len(rows) == 2
    check(rows[1], x[:, 1])
    check(ops.unbind(T(x))[3], x[3])
    assert [p.shape for p in ops.hsplit(T(A((2, 4))), 2)] == [(2, 2), (2, 2)]


# --- slicing and padding -----------------------------------------------------------------------
def test_slice_narrow_strided_slice():
    x = A((3, 4, 5))
    check(ops.slice(T(x), (0, 1, 2), (2, -1, 2)), x[0:2, 1:, 2:4])
    with pytest.raises(ValueError, match="slice: begin"):
        ops.slice(T(x), (0, 0, 4), (1, 1, 2))
    with pytest.raises(ValueError, match="slice: 'begin' and 'size' must have 3 entries"):
        ops.slice(T(x), (0,), (1,))
    check(ops.narrow(T(x), -1, 1, 3), x[..., 1:4])
    with pytest.raises(ValueError, match="narrow: 'start' \\+ 'length'"):
        ops.narrow(T(x), 0, 2, 2)
    check(ops.strided_slice(T(x), (1, 0, 0), (3, 4, 5), (1, 2, -1), end_mask=4, begin_mask=4),
          x[1:3, 0:4:2, ::-1])
    check(ops.strided_slice(T(x), (0, 1), (0, 2), (1, 1), shrink_axis_mask=1), x[0, 1:2])
    with pytest.raises(ValueError, match="strided_slice: 'strides' must not hold 0"):
        ops.strided_slice(T(x), (0,), (1,), (0,))


def test_pad_modes_follow_last_dim_first_order():
    x = A((2, 3))
    check(ops.pad(T(x), (1, 2)), np.pad(x, ((0, 0), (1, 2))))
    check(ops.pad(T(x), (1, 0, 0, 1), value=7.0), np.pad(x, ((0, 1), (1, 0)), constant_values=7))
    check(ops.pad(T(x), (-1, 1)), np.pad(x[:, 1:], ((0, 0), (0, 1))))
    check(ops.pad(T(x), (2, 2), mode="reflect"), np.pad(x, ((0, 0), (2, 2)), mode="reflect"))
    check(ops.pad(T(x), (1, 1, 1, 1), mode="replicate"), np.pad(x, 1, mode="edge"))
    check(ops.pad(T(x), (3, 0), mode="circular"), np.pad(x, ((0, 0), (3, 0)), mode="wrap"))
    with pytest.raises(ValueError, match="pad: 'mode'"):
        ops.pad(T(x), (1, 1), mode="wrap")
    with pytest.raises(ValueError, match="pad: 'padding' must hold an even number"):
        ops.pad(T(x), (1,))
    with pytest.raises(ValueError, match="reflect padding"):
        ops.pad(T(x), (3, 3), mode="reflect")
    with pytest.raises(ValueError, match="'value' can only be given in 'constant' mode"):
        ops.pad(T(x), (1, 1), mode="reflect", value=1.0)


def test_pad_reflect_gradient_adds_mirrored_positions():
    x = T(np.array([1.0, 2.0, 3.0], np.float64))
    g = ms.grad(lambda t: ops.sum(ops.pad(t, (2, 1), mode="reflect")))(x)
    # padded: [3, 2, 1, 2, 3, 2] -> x0 once, x1 three times, x2 twice
    check(g, [1.0, 3.0, 2.0])


# --- flip, roll, tile, repeat ------------------------------------------------------------------
def test_flip_roll_rot90():
    x = A((2, 3))
    check(ops.flip(T(x), (-1,)), x[:, ::-1])
    check(ops.fliplr(T(x)), x[:, ::-1])
    check(ops.flipud(T(x)), x[::-1])
    check(ops.roll(T(x), 1), np.roll(x, 1))
    check(ops.roll(T(x), (1, -1), (0, 1)), np.roll(x, (1, -1), (0, 1)))
    with pytest.raises(ValueError, match="roll: 'shifts' and 'dims'"):
        ops.roll(T(x), (1, 2), 0)
    for k in range(-1, 4):
        check(ops.rot90(T(x), k), np.rot90(x, k))
    check(ops.rot90(T(A((2, 3, 4))), 1, (2, 1)), np.rot90(A((2, 3, 4)), 1, (2, 1)))


def test_tile_repeat_interleave_repeat_elements():
    x = A((2, 3))
    check(ops.tile(T(x), (2,)), np.tile(x, 2))
    check(ops.tile(T(x), (2, 1, 2)), np.tile(x, (2, 1, 2)))
    check(ops.repeat_interleave(T(x), 2, 1), np.repeat(x, 2, 1))
    check(ops.repeat_interleave(T(x), 2), np.repeat(x, 2))
    check(ops.repeat_interleave(T(x), [1, 0, 2], 1), np.repeat(x, [1, 0, 2], 1))
    check(ops.repeat_interleave(T(x), T([2, 1]), 0), np.repeat(x, [2, 1], 0))
    check(ops.repeat_elements(T(x), 3, -1), np.repeat(x, 3, -1))
    with pytest.raises(ValueError, match="repeat_interleave: 'repeats' must hold 3"):
        ops.repeat_interleave(T(x), [1, 2], 1)


def test_repeat_interleave_gradient_sums_copies():
    x = T(np.array([1.0, 2.0], np.float64))
    g = ms.grad(lambda t: ops.sum(ops.repeat_interleave(t, [3, 1], 0) * T(np.arange(4.0))))(x)
    check(g, [0 + 1 + 2, 3])


def test_meshgrid_xy_and_ij():
    a, b = T([1.0, 2.0, 3.0]), T([4.0, 5.0])
    for indexing in ("xy", "ij"):
        got = ops.meshgrid(a, b, indexing=indexing)
        want = np.meshgrid([1.0, 2.0, 3.0], [4.0, 5.0], indexing=indexing)
        for g, w in zip(got, want):
            check(g, w)
    with pytest.raises(ValueError, match="meshgrid: 'indexing'"):
        ops.meshgrid(a, b, indexing="xx")


def test_composites_differentiate():
    x = T(np.arange(6.0).reshape(2, 3))

    def f(t):
        parts = ops.chunk(t, 3, axis=1)
        s = ops.stack([parts[0], parts[2]], axis=0) * T(np.array([2.0]))
        return ops.sum(ops.tile(s, (1, 2, 1))) + ops.sum(ops.transpose(t, (1, 0))[0])

    g = ms.grad(f)(x)
    check(g, [[5.0, 0.0, 4.0], [5.0, 0.0, 4.0]])


def test_broadcast_to_negative_one_and_errors():
    x = T(A((3, 1)))
    assert ops.broadcast_to(x, (2, -1, 4)).shape == (2, 3, 4)
    with pytest.raises(ValueError, match="broadcast_to: cannot broadcast"):
        ops.broadcast_to(x, (2, 2))


def test_reverse_and_reverse_sequence():
    x = A((3, 4))
    check(ops.reverse(T(x), (1,)), x[:, ::-1])
    got = ops.reverse_sequence(T(x), T([2, 4, 0]), 1, 0)
    check(got, [[1, 0, 2, 3], [7, 6, 5, 4], [8, 9, 10, 11]])
    got = ops.reverse_sequence(T(x), T([3, 1, 2, 0]), seq_dim=0, batch_dim=1)
    check(got, [[8, 1, 6, 3], [4, 5, 2, 7], [0, 9, 10, 11]])
    g = ms.grad(lambda t: ops.sum(ops.reverse_sequence(t, T([2, 1, 3]), 1) * T(np.arange(4.0))))(
        T(np.ones((3, 4))))
    check(g, [[1, 0, 2, 3], [0, 1, 2, 3], [2, 1, 0, 3]])
    with pytest.raises(ValueError, match="reverse_sequence: 'seq_lengths' must be in \\[0, 4\\]"):
        ops.reverse_sequence(T(x), T([5, 1, 1]), 1)
