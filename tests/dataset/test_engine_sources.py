"""The engine's sources: MappableDataset's sampling rules, NumpySlicesDataset, GeneratorDataset,
samplers and config, with exact orders."""
import threading

import numpy as np
import pytest

import sporen.dataset as ds
from sporen.dataset import config


@pytest.fixture(autouse=True)
def _seed():
    saved = dict(config._settings)
    config.set_seed(1234)
    yield
    config._settings.update(saved)


class _Squares:
    """A contract-1 source: row i is (i, i*i)."""
    column_names = ["x", "sq"]

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return (np.array(i, dtype=np.int32), np.array(i * i, dtype=np.int64))


def _xs(dataset, num_epochs=1):
    return [int(row[0]) for row in dataset.create_tuple_iterator(num_epochs=num_epochs, output_numpy=True)]


def test_mappable_sequential_exact_rows():
    data = ds.MappableDataset(_Squares(5), shuffle=False)
    rows = list(data.create_tuple_iterator(num_epochs=1, output_numpy=True))
    assert [(int(x), int(s)) for x, s in rows] == [(0, 0), (1, 1), (2, 4), (3, 9), (4, 16)]
    assert rows[0][0].dtype == np.int32
    assert data.get_col_names() == ["x", "sq"]
    assert data.get_dataset_size() == 5


def test_mappable_shuffle_default_true_and_seeded():
    first = _xs(ds.MappableDataset(_Squares(20)))
    second = _xs(ds.MappableDataset(_Squares(20)))
    assert sorted(first) == list(range(20))
    assert first != list(range(20))
    assert first == second
    config.set_seed(99)
    assert _xs(ds.MappableDataset(_Squares(20))) != first


def test_mappable_epochs_reshuffle_but_are_reproducible():
    it = ds.MappableDataset(_Squares(12)).create_tuple_iterator(num_epochs=2, output_numpy=True)
    epoch0 = [int(r[0]) for r in it]
    epoch1 = [int(r[0]) for r in it]
    assert sorted(epoch0) == sorted(epoch1) == list(range(12))
    assert epoch0 != epoch1
    again = ds.MappableDataset(_Squares(12)).create_tuple_iterator(num_epochs=2, output_numpy=True)
    assert [int(r[0]) for r in again] == epoch0
    assert [int(r[0]) for r in again] == epoch1
    assert list(again) == []


@pytest.mark.parametrize("shuffle", [False, True])
def test_shards_are_disjoint_and_cover_the_dataset(shuffle):
    shards = [_xs(ds.MappableDataset(_Squares(12), shuffle=shuffle, num_shards=3, shard_id=k)) for k in range(3)]
    assert [len(shard) for shard in shards] == [4, 4, 4]
    assert sorted(sum(shards, [])) == list(range(12))
    if not shuffle:
        assert shards[1] == [1, 4, 7, 10]


def test_uneven_shards_wrap_around_as_mindspore():
    shards = [_xs(ds.MappableDataset(_Squares(10), shuffle=False, num_shards=3, shard_id=k)) for k in range(3)]
    assert shards == [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]


def test_num_samples_caps_count():
    assert _xs(ds.MappableDataset(_Squares(10), shuffle=False, num_samples=3)) == [0, 1, 2]
    assert len(_xs(ds.MappableDataset(_Squares(10), num_samples=4))) == 4
    assert ds.MappableDataset(_Squares(10), num_samples=4).get_dataset_size() == 4


def test_conflicting_sampling_arguments():
    with pytest.raises(RuntimeError, match="'sampler' and 'shuffle'"):
        ds.MappableDataset(_Squares(4), sampler=ds.SequentialSampler(), shuffle=True)
    with pytest.raises(RuntimeError, match="sharding"):
        ds.MappableDataset(_Squares(4), sampler=ds.SequentialSampler(), num_shards=2, shard_id=0)
    with pytest.raises(RuntimeError, match="'sampler' and 'num_samples'"):
        ds.MappableDataset(_Squares(4), sampler=[0, 1], num_samples=1)
    with pytest.raises(RuntimeError, match="requires 'shard_id'"):
        ds.MappableDataset(_Squares(4), num_shards=2)
    with pytest.raises(RuntimeError, match="'num_shards' is not"):
        ds.MappableDataset(_Squares(4), shard_id=0)
    with pytest.raises(ValueError, match="'shard_id' must be within"):
        ds.MappableDataset(_Squares(4), num_shards=2, shard_id=2)
    with pytest.raises(ValueError, match="'num_shards' must be a positive int, got 0"):
        ds.MappableDataset(_Squares(4), num_shards=0, shard_id=0)


def test_samplers_exact():
    assert _xs(ds.MappableDataset(_Squares(6), sampler=ds.SequentialSampler(start_index=2, num_samples=3))) == [2, 3, 4]
    assert _xs(ds.MappableDataset(_Squares(6), sampler=ds.SubsetSampler([5, 0, 3]))) == [5, 0, 3]
    assert _xs(ds.MappableDataset(_Squares(6), sampler=[4, 1])) == [4, 1]
    subset = _xs(ds.MappableDataset(_Squares(6), sampler=ds.SubsetRandomSampler([5, 0, 3])))
    assert sorted(subset) == [0, 3, 5]
    weighted = _xs(ds.MappableDataset(_Squares(6), sampler=ds.WeightedRandomSampler([0, 0, 1, 0, 0, 0], 5)))
    assert weighted == [2, 2, 2, 2, 2]
    random_rows = _xs(ds.MappableDataset(_Squares(6), sampler=ds.RandomSampler()))
    assert sorted(random_rows) == list(range(6))


def test_sampler_with_child_samples_the_childs_output():
    sampler = ds.SubsetSampler([0, 1])
    sampler.add_child(ds.SubsetSampler([9, 7, 5]))
    assert _xs(ds.MappableDataset(_Squares(10), sampler=sampler)) == [9, 7]


def test_user_sampler():
    class Reverse(ds.Sampler):
        def __iter__(self):
            return iter(range(self.dataset_size - 1, -1, -1))

    assert _xs(ds.MappableDataset(_Squares(4), sampler=Reverse())) == [3, 2, 1, 0]


def test_pk_sampler():
    class Labels:
        column_names = ["data", "label"]

        def __len__(self):
            return 6

        def __getitem__(self, i):
            return (np.array(i), np.array([1, 0, 1, 0, 2, 1][i]))

    rows = [int(r[0]) for r in ds.MappableDataset(Labels(), sampler=ds.PKSampler(2)).create_tuple_iterator(
        num_epochs=1, output_numpy=True)]
    assert rows == [1, 3, 0, 2, 4, 4]


def test_numpy_slices_forms():
    data = ds.NumpySlicesDataset([1, 2, 3], column_names=["col_1"], shuffle=False)
    assert [int(r["col_1"]) for r in data.create_dict_iterator(num_epochs=1, output_numpy=True)] == [1, 2, 3]
    data = ds.NumpySlicesDataset(([1, 2], [3, 4], [5, 6]), column_names=["c1", "c2", "c3"], shuffle=False)
    rows = data.create_tuple_iterator(num_epochs=1, output_numpy=True)
    assert [[int(v) for v in r] for r in rows] == [[1, 3, 5], [2, 4, 6]]
    data = ds.NumpySlicesDataset({"a": [1, 2], "b": [[1.0, 2.0], [3.0, 4.0]]}, shuffle=False)
    rows = list(data.create_dict_iterator(num_epochs=1, output_numpy=True))
    assert data.get_col_names() == ["a", "b"]
    np.testing.assert_array_equal(rows[1]["b"], [3.0, 4.0])
    assert ds.NumpySlicesDataset(np.zeros((4, 2, 3))).output_shapes() == [[2, 3]]
    assert ds.NumpySlicesDataset([1, 2]).get_col_names() == ["column_0"]
    with pytest.raises(ValueError, match="same length"):
        ds.NumpySlicesDataset({"a": [1, 2], "b": [1]})


def test_tensor_output_is_default():
    from sporen import Tensor
    row = next(iter(ds.NumpySlicesDataset([[1.5, 2.5]], shuffle=False)))
    assert isinstance(row[0], Tensor)
    np.testing.assert_array_equal(row[0].asnumpy(), [1.5, 2.5])


def test_generator_iterable_and_random_access():
    def gen():
        for i in range(3):
            yield np.array([i, i]), i * 10

    data = ds.GeneratorDataset(gen, ["a", "b"])
    rows = list(data.create_tuple_iterator(num_epochs=1, output_numpy=True))
    assert [int(r[1]) for r in rows] == [0, 10, 20]
    assert rows[0][1].dtype == np.int64
    assert data.get_dataset_size() == 3

    class Random:
        def __getitem__(self, i):
            return np.array([i], dtype=np.float32)

        def __len__(self):
            return 5

    data = ds.GeneratorDataset(Random(), "x", shuffle=False, column_types=[np.float64])
    rows = list(data.create_tuple_iterator(num_epochs=1, output_numpy=True))
    assert [float(r[0][0]) for r in rows] == [0, 1, 2, 3, 4] and rows[0][0].dtype == np.float64
    shuffled = [int(r[0][0]) for r in ds.GeneratorDataset(Random(), ["x"]).create_tuple_iterator(
        num_epochs=1, output_numpy=True)]
    assert sorted(shuffled) == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="'shuffle' is not supported"):
        ds.GeneratorDataset(gen, ["a", "b"], shuffle=True)
    with pytest.raises(ValueError, match="'column_names' or 'schema'"):
        ds.GeneratorDataset(gen)


def test_generator_wrong_column_count_names_the_columns():
    data = ds.GeneratorDataset(lambda: iter([(1, 2, 3)]), ["a", "b"])
    with pytest.raises(RuntimeError, match="3 values but 'column_names' has 2"):
        list(data)


@pytest.mark.parametrize("multiprocessing", [False, True])
def test_parallel_reads_keep_the_sampler_order(multiprocessing):
    expected = _xs(ds.MappableDataset(_Squares(40), num_parallel_workers=1))
    data = ds.GeneratorDataset(_Squares(40), ["x", "sq"], num_parallel_workers=3,
                               python_multiprocessing=multiprocessing)
    assert _xs(data) == expected


def test_no_thread_left_after_early_break():
    before = set(threading.enumerate())
    data = ds.GeneratorDataset(_Squares(200), ["x", "sq"], num_parallel_workers=2, python_multiprocessing=False)
    for count, _ in enumerate(data):
        if count == 3:
            break
    leftover = [t for t in threading.enumerate() if t not in before and t.name.startswith("sporen.dataset")]
    for thread in leftover:
        thread.join(timeout=2)
    assert not [t for t in leftover if t.is_alive()]


def test_config_defaults_and_errors():
    assert config.get_prefetch_size() == 16
    assert config.get_num_parallel_workers() == 8
    config.set_prefetch_size(4)
    assert config.get_prefetch_size() == 4
    with pytest.raises(ValueError, match="set_prefetch_size: 'size'"):
        config.set_prefetch_size(0)
    with pytest.raises(TypeError, match="set_seed: 'seed' must be an int"):
        config.set_seed(1.5)
    with pytest.raises(TypeError):
        config.set_enable_autotune(1)
    config.set_enable_autotune(True)
    assert config.get_enable_autotune() is True
    config.set_enable_autotune(False)
    assert config.get_autotune_interval() == 0


def test_rng_contract():
    from sporen.dataset.engine import random as ds_random
    config.set_seed(5)
    a = ds_random.rng().random(3)
    config.set_seed(5)
    b = ds_random.rng().random(3)
    np.testing.assert_array_equal(a, b)
    ds_random.enter_row(1, 2, 3, 4)
    first = ds_random.rng().random()
    ds_random.leave_row()
    ds_random.enter_row(1, 2, 3, 4)
    assert ds_random.rng().random() == first
    ds_random.leave_row()


def test_row_generators_depend_on_the_row_key_only():
    """A row's draws are a function of (seed, op id, pass, row) alone: not of the rows the thread ran
    before, nor of how many draws they took; other keys give other draws."""
    import threading

    from sporen.dataset.engine import random as ds_random

    def draws(key, count=4):
        ds_random.enter_row(*key)
        try:
            return ds_random.rng().random(count)
        finally:
            ds_random.leave_row()

    keys = [(1, 2, 0, 0), (1, 2, 0, 1), (1, 2, 1, 0), (1, 3, 0, 0), (7, 2, 0, 0), (1, 2, 5, 123456789)]
    first = {key: draws(key) for key in keys}
    values = np.concatenate(list(first.values()))
    assert len(np.unique(values)) == len(values)
    for key in reversed(keys):  # again, after other rows and in another order
        draws(key, count=9)
        np.testing.assert_array_equal(draws(key), first[key])
    other = {}
    thread = threading.Thread(target=lambda: other.update({key: draws(key) for key in keys}))
    thread.start()
    thread.join()
    for key in keys:
        np.testing.assert_array_equal(other[key], first[key])
