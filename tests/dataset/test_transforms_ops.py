"""dataset.transforms: general column operations and random combinators, hand-computed values."""
import numpy as np
import pytest

from sporen.dataset import config
from sporen.dataset import transforms
from sporen.dataset.transforms import Relational


def test_compose_chains_columns_and_functions():
    op = transforms.Compose([transforms.Duplicate(), lambda a, b: (a + 1, b * 2), transforms.TypeCast(np.int8)])
    first, second = op(np.array([1, 2, 3]))
    assert first.tolist() == [2, 3, 4] and second.tolist() == [2, 4, 6] and second.dtype == np.int8
    with pytest.raises(ValueError, match="Compose"):
        transforms.Compose([])
    with pytest.raises(TypeError, match="transforms"):
        transforms.Compose([1])
    assert transforms.Compose.reduce([abs]) is abs


def test_type_cast_accepts_mindspore_and_numpy_dtypes():
    import sporen
    assert transforms.TypeCast(sporen.int32)(np.array([1.7, -2.2])).tolist() == [1, -2]
    assert transforms.TypeCast(sporen.int32)(np.array([1.7])).dtype == np.int32
    assert transforms.TypeCast(np.float16)(np.array([1])).dtype == np.float16
    with pytest.raises(TypeError, match="data_type"):
        transforms.TypeCast(object())


def test_one_hot_and_smoothing():
    out = transforms.OneHot(4)(np.array([3, 0, 1], dtype=np.int32))
    assert out.dtype == np.int32 and out.tolist() == [[0, 0, 0, 1], [1, 0, 0, 0], [0, 1, 0, 0]]
    assert transforms.OneHot(3)(np.array(2, dtype=np.uint32)).tolist() == [0, 0, 1]
    smooth = transforms.OneHot(4, smoothing_rate=0.2)(np.array([1]))
    assert smooth.dtype == np.float32 and np.allclose(smooth, [[0.05, 0.85, 0.05, 0.05]])
    with pytest.raises(RuntimeError, match="OneHot"):
        transforms.OneHot(2)(np.array([2]))
    with pytest.raises(ValueError, match="smoothing_rate"):
        transforms.OneHot(2, 1.5)


def test_fill_mask_pad_end():
    assert transforms.Fill(7)(np.zeros((2, 2), np.uint8)).tolist() == [[7, 7], [7, 7]]
    assert transforms.Fill(7)(np.zeros(2, np.uint8)).dtype == np.uint8
    assert transforms.Fill("a")(np.array(["x", "yy"])).tolist() == ["a", "a"]
    with pytest.raises(RuntimeError, match="Fill"):
        transforms.Fill("a")(np.zeros(2))
    mask = transforms.Mask(Relational.GE, 2)(np.array([1, 2, 3]))
    assert mask.dtype == np.bool_ and mask.tolist() == [False, True, True]
    import sporen
    assert transforms.Mask(Relational.EQ, "b", sporen.int32)(np.array(["a", "b"])).tolist() == [0, 1]
    assert transforms.PadEnd([5], -1)(np.array([1, 2, 3])).tolist() == [1, 2, 3, -1, -1]
    assert transforms.PadEnd([2])(np.array([1, 2, 3])).tolist() == [1, 2]
    assert transforms.PadEnd([2, None])(np.array([[1, 2]])).tolist() == [[1, 2], [0, 0]]
    assert transforms.PadEnd([3])(np.array(["a"])).tolist() == ["a", "", ""]


def test_slice_concatenate_duplicate_unique():
    data = np.arange(12).reshape(3, 4)
    assert transforms.Slice(1)(np.array([5, 6, 7])).tolist() == [6]
    assert transforms.Slice(slice(0, 2), [0, 3])(data).tolist() == [[0, 3], [4, 7]]
    assert transforms.Slice(None, 2)(data).tolist() == [[2], [6], [10]]
    assert transforms.Slice(Ellipsis)(data).shape == (3, 4)
    out = transforms.Concatenate(0, np.array([0]), np.array([9, 9]))(np.array([1, 2]))
    assert out.tolist() == [0, 1, 2, 9, 9]
    with pytest.raises(RuntimeError, match="Concatenate"):
        transforms.Concatenate()(np.zeros((2, 2)))
    a, b = transforms.Duplicate()(np.array([1, 2]))
    assert a.tolist() == b.tolist() and a is not b
    values, index, counts = transforms.Unique()(np.array([5, 3, 5, 1, 3, 5]))
    assert values.tolist() == [5, 3, 1] and index.tolist() == [0, 1, 0, 2, 1, 0] and counts.tolist() == [3, 2, 1]
    assert index.dtype == np.int32


def test_random_combinators_are_seeded_and_cover_choices():
    add = lambda x: x + 1  # noqa: E731
    double = lambda x: x * 2  # noqa: E731
    config.set_seed(3)
    applied = [int(transforms.RandomApply([add], prob=0.5)(np.array(0))) for _ in range(400)]
    assert 150 < sum(applied) < 250
    config.set_seed(3)
    again = [int(transforms.RandomApply([add], prob=0.5)(np.array(0))) for _ in range(400)]
    assert applied == again
    choices = {int(transforms.RandomChoice([add, double])(np.array(5))) for _ in range(50)}
    assert choices == {6, 10}
    orders = {int(transforms.RandomOrder([add, double])(np.array(5))) for _ in range(50)}
    assert orders == {12, 11}
    assert transforms.RandomApply([add], prob=1.0)(np.array(1)) == 2
    with pytest.raises(ValueError, match="prob"):
        transforms.RandomApply([add], prob=2)


def test_not_random_marks_functions():
    @transforms.not_random
    def double(x):
        return x * 2
    assert double.random is False and double(np.array(2)) == 4
