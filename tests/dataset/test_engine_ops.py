"""The pipeline operations: each one's rows checked against hand-computed values, column rules,
errors, and MindSpore's documented examples."""
import numpy as np
import pytest

import sporen.dataset as ds
from sporen.dataset import config


@pytest.fixture(autouse=True)
def _seed():
    saved = dict(config._settings)
    config.set_seed(7)
    yield
    config._settings.update(saved)


def _data(n=10):
    return ds.NumpySlicesDataset({"a": np.arange(n), "b": np.arange(n) * 2}, shuffle=False)


def _rows(dataset):
    return [tuple(v.tolist() for v in row) for row in dataset.create_tuple_iterator(num_epochs=1, output_numpy=True)]


def _column(dataset, index=0):
    return [row[index] for row in _rows(dataset)]


@pytest.mark.parametrize("workers", [1, 3])
def test_map_replaces_its_input_column(workers):
    mapped = _data(5).map(lambda a: a * 10, input_columns="a", num_parallel_workers=workers)
    assert mapped.get_col_names() == ["a", "b"]
    assert _rows(mapped) == [(0, 0), (10, 2), (20, 4), (30, 6), (40, 8)]


def test_map_default_input_is_the_first_column_and_ops_chain():
    mapped = _data(3).map([lambda a: a + 1, lambda a: a * 2])
    assert _column(mapped) == [2, 4, 6]


def test_map_more_outputs_come_first_then_the_rest():
    mapped = _data(3).map(lambda a: (a, -a), input_columns=["a"], output_columns=["p", "q"])
    assert mapped.get_col_names() == ["p", "q", "b"]
    assert _rows(mapped) == [(0, 0, 0), (1, -1, 2), (2, -2, 4)]
    merged = _data(3).map(lambda a, b: a + b, input_columns=["a", "b"], output_columns=["s"])
    assert merged.get_col_names() == ["s"]
    assert _column(merged) == [0, 3, 6]


def test_map_in_processes_gives_the_same_rows():
    mapped = _data(20).map(lambda a: a * a, input_columns="a", num_parallel_workers=2, python_multiprocessing=True)
    assert _column(mapped) == [i * i for i in range(20)]


def test_map_wrong_output_count_and_bad_column():
    with pytest.raises(RuntimeError, match="gave 2 columns but 'output_columns' has 1"):
        _rows(_data(2).map(lambda a: (a, a), input_columns="a", num_parallel_workers=1))
    with pytest.raises(ValueError, match=r"'input_columns' names \['zz'\]"):
        _data(2).map(lambda a: a, input_columns="zz")
    with pytest.raises(TypeError, match="'operations' must be a callable"):
        _data(2).map(3)


@pytest.mark.parametrize("processes", [False, True])
def test_worker_error_surfaces_with_type_row_and_traceback(processes):
    def explode(a):
        if int(a) == 4:
            raise KeyError("no label for this row")
        return a

    mapped = _data(8).map(explode, input_columns="a", num_parallel_workers=2, python_multiprocessing=processes)
    with pytest.raises(KeyError) as info:
        _rows(mapped)
    text = str(info.value)
    assert "on row 4" in text
    assert "no label for this row" in text
    assert "in explode" in text and "Traceback" in text


def test_random_map_is_reproducible_and_independent_of_workers():
    from sporen.dataset.engine.random import rng

    def noise(a):
        return a + rng().integers(0, 1000)

    results = []
    for workers in (1, 3):
        results.append(_column(_data(12).map(noise, input_columns="a", num_parallel_workers=workers)))
    assert results[0] == results[1]
    again = _column(_data(12).map(noise, input_columns="a", num_parallel_workers=2, python_multiprocessing=True))
    assert again == results[0]
    config.set_seed(8)
    assert _column(_data(12).map(noise, input_columns="a")) != results[0]


def test_batch_exact_and_drop_remainder():
    batched = _data(7).batch(3)
    assert [row[0] for row in _rows(batched)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert batched.get_dataset_size() == 3
    assert batched.get_batch_size() == 3
    dropped = _data(7).batch(3, drop_remainder=True)
    assert [row[1] for row in _rows(dropped)] == [[0, 2, 4], [6, 8, 10]]
    assert dropped.get_dataset_size() == 2
    assert dropped.output_shapes() == [[3], [3]]


def test_batch_callable_size_and_per_batch_map():
    sized = _data(6).batch(lambda info: info.get_batch_num() + 1)
    assert [row[0] for row in _rows(sized)] == [[0], [1, 2], [3, 4, 5]]

    def add_batch_number(a_list, b_list, info):
        return [a + info.get_batch_num() * 100 for a in a_list], b_list

    mapped = _data(4).batch(2, per_batch_map=add_batch_number, input_columns=["a", "b"])
    assert _rows(mapped) == [([0, 1], [0, 2]), ([102, 103], [4, 6])]

    renamed = _data(4).batch(2, per_batch_map=lambda a, info: ([x * 2 for x in a],), input_columns=["a"],
                             output_columns=["twice"])
    assert renamed.get_col_names() == ["twice", "b"]
    assert _rows(renamed) == [([0, 2], [0, 2]), ([4, 6], [4, 6])]


def test_batch_ragged_rows_name_the_column_and_shapes():
    ragged = ds.GeneratorDataset(lambda: ((np.arange(i),) for i in range(1, 4)), ["tokens"]).batch(2)
    expected = r"column 'tokens' has rows of different shapes in one batch: \(1,\) and \(2,\)"
    with pytest.raises(RuntimeError, match=expected):
        _rows(ragged)


def test_batches_stacked_as_rows_arrive_equal_numpy_stack():
    """batch copies each row into the batch's arrays as it arrives; the batches are np.stack's (values,
    dtypes, C order, arrays of their own), a short last batch included, and rows that do not fit the
    first row (a dtype that changes, strings) are stacked the usual way."""
    images = np.random.default_rng(0).random((7, 3, 4, 5)).astype(np.float32)
    labels = np.arange(7, dtype=np.int32)
    data = ds.NumpySlicesDataset({"image": images, "label": labels}, shuffle=False).batch(3)
    batches = list(data.create_tuple_iterator(num_epochs=1, output_numpy=True))
    for number, (image, label) in enumerate(batches):
        rows = slice(3 * number, 3 * number + 3)
        np.testing.assert_array_equal(image, images[rows])
        np.testing.assert_array_equal(label, labels[rows])
        assert image.dtype == np.float32 and label.dtype == np.int32
        assert image.flags.c_contiguous and image.flags.writeable
    assert [len(label) for _, label in batches] == [3, 3, 1]

    def mixed():
        yield (np.array(1, np.int32), np.array("a"))
        yield (np.array(2, np.int64), np.array("bb"))
    row = next(ds.GeneratorDataset(mixed, ["n", "s"]).batch(2).create_tuple_iterator(output_numpy=True))
    assert row[0].dtype == np.int64 and row[0].tolist() == [1, 2]
    assert row[1].tolist() == ["a", "bb"]


def test_padded_batch():
    source = ds.GeneratorDataset(lambda: ((np.arange(i), np.array(i)) for i in range(1, 5)), ["x", "n"])
    padded = source.padded_batch(2, pad_info={"x": (None, -1)})
    assert _rows(padded) == [([[0, -1], [0, 1]], [1, 2]), ([[0, 1, 2, -1], [0, 1, 2, 3]], [3, 4])]
    fixed = source.padded_batch(4, pad_info={"x": ([5], 9)})
    assert _rows(fixed)[0][0][0] == [0, 9, 9, 9, 9]
    everything = source.padded_batch(2, pad_info={})
    assert _rows(everything)[0][0] == [[0, 0], [0, 1]]
    with pytest.raises(RuntimeError, match="larger than the pad shape"):
        _rows(source.padded_batch(4, pad_info={"x": ([2], 0)}))


def test_bucket_batch_by_length():
    lengths = [1, 5, 2, 6, 3, 7]
    source = ds.GeneratorDataset(lambda: ((np.arange(i),) for i in lengths), ["x"])
    buckets = source.bucket_batch_by_length(["x"], [4], [2, 2], pad_info={"x": (None, 0)})
    assert [row[0] for row in _rows(buckets)] == [
        [[0, 0], [0, 1]], [[0, 1, 2, 3, 4, 0], [0, 1, 2, 3, 4, 5]], [[0, 1, 2]], [[0, 1, 2, 3, 4, 5, 6]]]
    dropped = source.bucket_batch_by_length(["x"], [4], [2, 2], pad_info={"x": (None, 0)}, drop_remainder=True)
    assert len(_rows(dropped)) == 2
    boundary = source.bucket_batch_by_length(["x"], [4, 8], [2, 2, 2], pad_info={"x": (None, 0)},
                                             pad_to_bucket_boundary=True)
    assert [len(row[0][0]) for row in _rows(boundary)] == [3, 7, 3, 7]


def test_shuffle_reservoir_is_a_seeded_permutation():
    first = _column(_data(20).shuffle(4))
    assert sorted(first) == list(range(20)) and first != list(range(20))
    assert _column(_data(20).shuffle(4)) == first
    # with a buffer of 2, row k cannot come out before position k - 1
    small = _column(_data(20).shuffle(2))
    assert all(position >= value - 1 for position, value in enumerate(small))
    with pytest.raises(ValueError, match=r"'buffer_size' must be within \[2"):
        _data().shuffle(1)


def test_repeat_take_skip():
    assert _column(_data(3).repeat(2)) == [0, 1, 2, 0, 1, 2]
    assert _data(3).repeat(2).get_dataset_size() == 6
    assert _data(3).repeat(2).get_repeat_count() == 2
    assert _column(_data(10).take(3)) == [0, 1, 2]
    assert _column(_data(10).skip(8)) == [8, 9]
    assert _data(10).skip(20).get_dataset_size() == 0
    with pytest.raises(ValueError, match="'count' must be -1 or a positive int, got 0"):
        _data().repeat(0)


def test_repeat_of_a_shuffled_source_reshuffles_each_time():
    repeated = _column(ds.NumpySlicesDataset(np.arange(8)).repeat(2))
    assert sorted(repeated[:8]) == sorted(repeated[8:]) == list(range(8))
    assert repeated[:8] != repeated[8:]


def test_zip_concat_project_rename():
    other = ds.NumpySlicesDataset({"c": np.arange(100, 104)}, shuffle=False)
    zipped = ds.zip((_data(6), other))
    assert zipped.get_col_names() == ["a", "b", "c"]
    assert _rows(zipped)[-1] == (3, 6, 103)
    assert zipped.get_dataset_size() == 4
    with pytest.raises(ValueError, match="same names"):
        _data().zip(_data())
    joined = _data(3) + _data(2)
    assert _column(joined) == [0, 1, 2, 0, 1]
    assert joined.get_dataset_size() == 5
    with pytest.raises(ValueError, match="same columns"):
        _data(3).concat(other)
    assert _rows(_data(2).project(["b", "a"])) == [(0, 0), (2, 1)]
    renamed = _data(2).rename(["a", "b"], ["x", "y"])
    assert renamed.get_col_names() == ["x", "y"]
    with pytest.raises(ValueError, match="not columns"):
        _data().project("zz")


def test_filter():
    kept = _data(10).filter(lambda a: a % 3 == 0, input_columns=["a"])
    assert _column(kept) == [0, 3, 6, 9]
    assert kept.get_dataset_size() == 4
    both = _data(10).filter(lambda a, b: a + b > 20, num_parallel_workers=2)
    assert _column(both) == [7, 8, 9]


def test_split_sizes_and_fractions():
    first, second = _data(10).split([4, 6], randomize=False)
    assert _column(first) == [0, 1, 2, 3] and _column(second) == [4, 5, 6, 7, 8, 9]
    first, second = _data(10).split([0.7, 0.3])
    a, b = _column(first), _column(second)
    assert len(a) == 7 and len(b) == 3 and sorted(a + b) == list(range(10))
    with pytest.raises(RuntimeError, match="sum to 9"):
        _data(10).split([4, 5])
    generated = ds.GeneratorDataset(lambda: ((np.array(i),) for i in range(5)), ["x"])
    head, tail = generated.split([2, 3], randomize=False)
    assert _column(head) == [0, 1] and _column(tail) == [2, 3, 4]


def test_mindspore_doc_example_pipeline():
    # the shape of MindSpore's quick-start pipeline: map, shuffle, batch, repeat over one source
    images = np.arange(12 * 4, dtype=np.uint8).reshape(12, 2, 2)
    labels = np.arange(12, dtype=np.int32)
    data = ds.NumpySlicesDataset((images, labels), column_names=["image", "label"], shuffle=False)
    data = data.map(lambda image: image.astype(np.float32) / 255, input_columns="image")
    data = data.batch(4, drop_remainder=True).repeat(2)
    batches = list(data.create_dict_iterator(num_epochs=1, output_numpy=True))
    assert len(batches) == 6
    assert batches[0]["image"].dtype == np.float32 and batches[0]["image"].shape == (4, 2, 2)
    np.testing.assert_allclose(batches[1]["image"], images[4:8] / 255, rtol=1e-6)
    assert batches[5]["label"].tolist() == [8, 9, 10, 11]
