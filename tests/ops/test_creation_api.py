"""Tensor creation ops: shapes, MindSpore's default dtypes, values and argument errors."""
import numpy as np
import pytest

import sporen as ms
from sporen import ops
from sporen.ops import creation


def check(t, expected, dtype):
    np.testing.assert_allclose(t.asnumpy(), expected, rtol=1e-6)
    assert t.dtype == dtype


def test_zeros_ones_full_defaults():
    check(ops.zeros((2, 3)), np.zeros((2, 3)), ms.float32)
    check(ops.zeros(4, ms.int32), np.zeros(4), ms.int32)
    check(ops.ones((2,), dtype=ms.float16), np.ones(2), ms.float16)
    check(ops.ones(ms.Tensor([2, 1])), np.ones((2, 1)), ms.float32)
    check(ops.full((2, 2), 3), np.full((2, 2), 3), ms.int64)
    check(ops.full((2,), 1.5), [1.5, 1.5], ms.float32)
    check(ops.full((2,), True), [True, True], ms.bool_)
    check(ops.full((1,), 7, dtype=ms.float64), [7.0], ms.float64)
    assert ops.zeros(()).shape == ()
    with pytest.raises(ValueError, match="zeros: 'size' must hold non-negative ints"):
        ops.zeros((2, -1))
    with pytest.raises(TypeError, match="ones: 'shape' must hold ints"):
        ops.ones((2.0, 1))
    with pytest.raises(TypeError, match="full: 'fill_value' must be a number"):
        ops.full((2,), "x")


def test_like_functions_keep_shape_and_dtype():
    x = ms.Tensor(np.ones((2, 3), np.int32))
    check(ops.zeros_like(x), np.zeros((2, 3)), ms.int32)
    check(ops.ones_like(x, dtype=ms.float32), np.ones((2, 3)), ms.float32)
    check(ops.full_like(x, 4), np.full((2, 3), 4), ms.int32)
    check(ops.fills(x, 2), np.full((2, 3), 2), ms.int32)
    check(creation.empty_like(x), np.zeros((2, 3)), ms.int32)
    assert creation.empty(2, 3).shape == (2, 3)
    with pytest.raises(TypeError, match="zeros_like: 'input' must be a Tensor"):
        ops.zeros_like([1, 2])


def test_arange_dtypes_follow_mindspore():
    check(ops.arange(5), np.arange(5), ms.int64)
    check(ops.arange(1, 7, 2), [1, 3, 5], ms.int64)
    check(ops.arange(0, 1, 0.25), [0, 0.25, 0.5, 0.75], ms.float32)
    check(ops.arange(3.0), [0, 1, 2], ms.float32)
    check(ops.arange(5, 0, -2), [5, 3, 1], ms.int64)
    check(ops.arange(0, 3, dtype=ms.float64), [0, 1, 2], ms.float64)
    check(ops.arange(ms.Tensor(2), 5), [2, 3, 4], ms.int64)
    assert ops.arange(0, 0).shape == (0,)
    # the float path is computed in float64 then cast: no drift over many steps
    assert ops.arange(0, 1, 0.1).shape == (10,)
    with pytest.raises(ValueError, match="arange: 'step' must not be 0"):
        ops.arange(0, 3, 0)
    with pytest.raises(ValueError, match="arange: 'step' -1 points away"):
        ops.arange(0, 3, -1)


def test_range_requires_one_kind():
    check(ops.range(0, 6, 2), [0, 2, 4], ms.int64)
    check(ops.range(1.0, 2.0, 0.5), [1.0, 1.5], ms.float32)
    with pytest.raises(TypeError, match="range: 'start', 'end' and 'step' must be all ints or all floats"):
        ops.range(0, 1.0, 1)
    with pytest.raises(ValueError, match="with a positive 'step'"):
        ops.range(3, 1, 1)
    with pytest.raises(ValueError, match="more than 'maxlen'"):
        ops.range(0, 10, 1, maxlen=5)


def test_linspace_logspace_eye():
    check(ops.linspace(0, 1, 5), np.linspace(0, 1, 5), ms.float32)
    check(ops.linspace(ms.Tensor(1.0), ms.Tensor(2.0), 1), [1.0], ms.float32)
    with pytest.raises(ValueError, match="linspace: 'steps' must be positive"):
        ops.linspace(0, 1, 0)
    check(ops.logspace(0, 2, 3), [1, 10, 100], ms.float32)
    check(ops.logspace(0, 3, 4, base=2, dtype=ms.float64), [1, 2, 4, 8], ms.float64)
    check(ops.eye(2), np.eye(2), ms.float32)
    check(ops.eye(2, 3, ms.int32), np.eye(2, 3), ms.int32)
    with pytest.raises(ValueError, match="eye: 'n' must be non-negative"):
        ops.eye(-1)


def test_fill_and_triangle_indices():
    check(ops.fill(ms.int32, (2, 2), 5), np.full((2, 2), 5), ms.int32)
    check(ops.tril_indices(3, 3), np.stack(np.tril_indices(3)), ms.int64)
    check(ops.triu_indices(3, 4, 1, dtype=ms.int32), np.stack(np.triu_indices(3, 1, 4)), ms.int32)
    with pytest.raises(TypeError, match="'type' must be a sporen dtype"):
        ops.fill("nope", (2,), 1)


def test_created_tensors_are_constants_for_grad():
    # a created tensor has no inputs: mixing it into a computation gives the usual gradient
    x = ms.Tensor(np.array([1.0, 2.0]))
    g = ms.grad(lambda t: ops.sum(t * ops.full((2,), 3.0, dtype=ms.float64) + ops.ones_like(t)))(x)
    np.testing.assert_array_equal(g.asnumpy(), [3.0, 3.0])
