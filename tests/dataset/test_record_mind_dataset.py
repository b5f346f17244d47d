"""MindDataset over MindRecord files: column order and types, shuffling modes, sharding, num_samples,
padded samples, samplers and argument errors."""
import numpy as np
import pytest

import sporen.dataset as ds
from sporen.dataset import MindDataset
from sporen.mindrecord import FileWriter

SCHEMA = {"label": {"type": "int32"}, "name": {"type": "string"}, "image": {"type": "bytes"},
          "score": {"type": "float64"}, "vec": {"type": "float32", "shape": [2, 2]}}


@pytest.fixture(autouse=True)
def _keep_seed():
    seed = ds.config.get_seed()
    yield
    ds.config.set_seed(seed)


@pytest.fixture
def files(tmp_path):
    """Three shard files holding rows 0..11 (4 per file)."""
    path = tmp_path / "md.mindrecord"
    writer = FileWriter(str(path), shard_num=3)
    writer.add_schema(SCHEMA, "test")
    writer.write_raw_data([{"label": i, "name": f"n{i}", "image": bytes([i, i + 1]), "score": i / 4,
                            "vec": np.full((2, 2), i, np.float32)} for i in range(12)])
    writer.commit()
    return [str(tmp_path / f"md.mindrecord{k}") for k in range(3)]


def _labels(dataset):
    return [int(row[0]) for row in dataset.create_tuple_iterator(output_numpy=True, num_epochs=1)]


def test_columns_types_and_order(files):
    dataset = MindDataset(files[0], shuffle=False)
    assert dataset.get_col_names() == ["image", "label", "name", "score", "vec"]
    assert dataset.get_dataset_size() == 12
    rows = list(dataset.create_tuple_iterator(output_numpy=True, num_epochs=1))
    image, label, name, score, vec = rows[5]
    assert image.dtype == np.uint8 and image.tolist() == [5, 6]
    assert label.dtype == np.int32 and label.shape == () and int(label) == 5
    assert name.dtype.kind == "U" and str(name) == "n5"
    assert score.dtype == np.float64 and float(score) == 1.25
    assert vec.dtype == np.float32 and vec.shape == (2, 2) and vec.tolist() == [[5.0, 5.0], [5.0, 5.0]]
    picked = MindDataset(files, columns_list=["score", "label"], shuffle=False)
    assert picked.get_col_names() == ["score", "label"]
    first = next(picked.create_dict_iterator(output_numpy=True, num_epochs=1))
    assert sorted(first) == ["label", "score"] and int(first["label"]) == 0


def test_a_list_reads_only_its_files(files):
    assert _labels(MindDataset([files[1]], columns_list=["label"], shuffle=False)) == [4, 5, 6, 7]
    assert _labels(MindDataset([files[2], files[0]], columns_list=["label"], shuffle=False)) == \
        [8, 9, 10, 11, 0, 1, 2, 3]


def test_global_shuffle_is_a_seeded_permutation(files):
    ds.config.set_seed(123)
    first = _labels(MindDataset(files[0], columns_list=["label"]))
    ds.config.set_seed(123)
    again = _labels(MindDataset(files[0], columns_list=["label"], shuffle=ds.Shuffle.GLOBAL))
    assert sorted(first) == list(range(12))
    assert first == again
    assert first != list(range(12))


def test_files_and_infile_shuffles(files):
    ds.config.set_seed(7)
    by_files = _labels(MindDataset(files[0], columns_list=["label"], shuffle=ds.Shuffle.FILES))
    blocks = [by_files[k:k + 4] for k in (0, 4, 8)]
    assert sorted(tuple(block) for block in blocks) == [(0, 1, 2, 3), (4, 5, 6, 7), (8, 9, 10, 11)]
    in_file = _labels(MindDataset(files[0], columns_list=["label"], shuffle=ds.Shuffle.INFILE))
    assert [sorted(in_file[k:k + 4]) for k in (0, 4, 8)] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]
    assert in_file != list(range(12))


def test_shards_partition_the_rows(files):
    seen = []
    for shard in range(4):
        labels = _labels(MindDataset(files[0], columns_list=["label"], shuffle=False, num_shards=4, shard_id=shard))
        assert labels == list(range(shard, 12, 4))
        seen.extend(labels)
    assert sorted(seen) == list(range(12))
    ds.config.set_seed(5)
    shuffled = [_labels(MindDataset(files[0], columns_list=["label"], num_shards=3, shard_id=k)) for k in range(3)]
    assert sorted(sum(shuffled, [])) == list(range(12))


def test_num_samples_and_samplers(files):
    assert _labels(MindDataset(files[0], columns_list=["label"], shuffle=False, num_samples=5)) == [0, 1, 2, 3, 4]
    assert MindDataset(files[0], shuffle=False, num_samples=5).get_dataset_size() == 5
    sampler = ds.SequentialSampler(start_index=3, num_samples=4)
    assert _labels(MindDataset(files[0], columns_list=["label"], sampler=sampler)) == [3, 4, 5, 6]
    subset = _labels(MindDataset(files[0], columns_list=["label"], sampler=ds.SubsetRandomSampler([1, 9, 4])))
    assert sorted(subset) == [1, 4, 9]


def test_padded_samples_fill_the_last_shard(files):
    padded = {"label": -1, "name": "pad"}
    shards = []
    for shard in range(5):
        dataset = MindDataset(files[0], columns_list=["label", "name"], shuffle=False, num_shards=5, shard_id=shard,
                              padded_sample=padded, num_padded=3)
        rows = [(int(a), str(b)) for a, b in dataset.create_tuple_iterator(output_numpy=True, num_epochs=1)]
        assert len(rows) == 3
        shards.append(rows)
    everything = sorted(sum(shards, []))
    assert everything == sorted([(-1, "pad")] * 3 + [(i, f"n{i}") for i in range(12)])
    assert shards[2] == [(2, "n2"), (7, "n7"), (-1, "pad")]


def test_parallel_workers_keep_the_order(files):
    dataset = MindDataset(files[0], columns_list=["label", "image"], shuffle=False, num_parallel_workers=2)
    rows = list(dataset.create_tuple_iterator(output_numpy=True, num_epochs=1))
    assert [int(label) for label, _ in rows] == list(range(12))
    assert [image.tolist() for _, image in rows][11] == [11, 12]


def test_argument_errors(files, tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        MindDataset(str(tmp_path / "none.mindrecord"))
    with pytest.raises(TypeError, match="'dataset_files' must be a str or a non-empty list"):
        MindDataset([])
    with pytest.raises(ValueError, match="column 'nope' is not in the MindRecord schema"):
        MindDataset(files[0], columns_list=["nope"])
    with pytest.raises(RuntimeError, match="requires 'num_padded'"):
        MindDataset(files[0], columns_list=["label"], padded_sample={"label": 1})
    with pytest.raises(RuntimeError, match="requires 'columns_list'"):
        MindDataset(files[0], padded_sample={"label": 1}, num_padded=1)
    with pytest.raises(RuntimeError, match="'padded_sample' is not"):
        MindDataset(files[0], num_padded=1)
    with pytest.raises(ValueError, match="no value for column 'name'"):
        MindDataset(files[0], columns_list=["label", "name"], padded_sample={"label": 1}, num_padded=1)
    with pytest.raises(RuntimeError, match="divisible by num_shards"):
        MindDataset(files[0], columns_list=["label"], padded_sample={"label": 1}, num_padded=1, num_shards=5,
                    shard_id=0)
    with pytest.raises(RuntimeError, match="'shard_id' is specified but 'num_shards' is not"):
        MindDataset(files[0], shard_id=1)
    with pytest.raises(RuntimeError, match="'sampler' and 'shuffle'"):
        MindDataset(files[0], sampler=ds.SequentialSampler(), shuffle=False)
