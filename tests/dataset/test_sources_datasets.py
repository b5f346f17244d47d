"""The public file-format datasets through the engine: exact rows and order with shuffle=False,
num_samples, sharding, shuffle modes of the text sources, class indexing, iterator output, and the
argument errors (type and text)."""
import os

import numpy
import pytest

import sporen.dataset as ds
from sporen.dataset import Shuffle
from tests.dataset.test_sources_detection import make_coco, make_voc
from tests.dataset.test_sources_vision import make_cifar10, make_cifar100, make_image_folder, make_mnist

pytest.importorskip("PIL")

FASHION_DIR = "/usr/share/datasets/fashion-mnist"


def labels_of(dataset, column="label"):
    return [int(row[column]) for row in dataset.create_dict_iterator(num_epochs=1, output_numpy=True)]


def texts_of(dataset, epochs=1):
    """The text column of `epochs` passes (an iterator gives one epoch per for-loop)."""
    iterator = dataset.create_tuple_iterator(num_epochs=epochs, output_numpy=True)
    texts = []
    for _ in range(epochs):
        texts.extend(str(row[0]) for row in iterator)
    return texts


# ---- mappable vision sources ----

def test_mnist_dataset_order_num_samples_shards(tmp_path):
    # gzip'ed, read by the default number of reader threads (they share one decompressed copy)
    made = make_mnist(str(tmp_path), counts=(("train", 7), ("t10k", 3)), compress=True)
    train_labels = [int(v) for v in made["train"][1]]
    dataset = ds.MnistDataset(str(tmp_path), usage="train", shuffle=False)
    assert dataset.get_col_names() == ["image", "label"]
    assert dataset.get_dataset_size() == 7
    assert labels_of(dataset) == train_labels
    rows = list(dataset.create_tuple_iterator(num_epochs=1, output_numpy=True))
    numpy.testing.assert_array_equal(rows[6][0][:, :, 0], made["train"][0][6])
    assert rows[6][0].dtype == numpy.uint8 and rows[6][1].dtype == numpy.uint32
    limited = ds.MnistDataset(str(tmp_path), usage="train", shuffle=False, num_samples=4)
    assert limited.get_dataset_size() == 4 and labels_of(limited) == train_labels[:4]
    # a DistributedSampler shard: positions k, k + 2, ... (wrapping to give every shard 4 rows)
    shard0 = ds.MnistDataset(str(tmp_path), usage="train", shuffle=False, num_shards=2, shard_id=0)
    shard1 = ds.MnistDataset(str(tmp_path), usage="train", shuffle=False, num_shards=2, shard_id=1)
    assert labels_of(shard0) == [train_labels[k] for k in (0, 2, 4, 6)]
    assert labels_of(shard1) == [train_labels[k] for k in (1, 3, 5, 0)]
    assert ds.MnistDataset(str(tmp_path)).get_dataset_size() == 10


def test_mnist_dataset_default_shuffle_and_tensor_output(tmp_path):
    made = make_mnist(str(tmp_path), counts=(("train", 20),))
    dataset = ds.MnistDataset(str(tmp_path), usage="train")
    labels = labels_of(dataset)
    # shuffled by default: every row once
    assert sorted(labels) == sorted(int(v) for v in made["train"][1])
    row = next(iter(ds.MnistDataset(str(tmp_path), usage="train", shuffle=False).create_tuple_iterator()))
    assert type(row[0]).__name__ == "Tensor"
    assert tuple(row[0].shape) == (28, 28, 1)


def test_mnist_pipeline_map_batch(tmp_path):
    made = make_mnist(str(tmp_path), counts=(("t10k", 5),))
    dataset = ds.MnistDataset(str(tmp_path), usage="test", shuffle=False, num_parallel_workers=2)
    dataset = dataset.map(lambda image: (image.astype(numpy.float32) / 255.0), input_columns=["image"])
    dataset = dataset.batch(2, drop_remainder=True)
    batches = list(dataset.create_tuple_iterator(num_epochs=1, output_numpy=True))
    assert len(batches) == 2
    images, labels = batches[1]
    assert images.shape == (2, 28, 28, 1) and images.dtype == numpy.float32
    numpy.testing.assert_allclose(images[:, :, :, 0], made["t10k"][0][2:4] / numpy.float32(255.0), rtol=1e-6)
    assert labels.tolist() == [int(v) for v in made["t10k"][1][2:4]]


@pytest.mark.skipif(not os.path.isdir(FASHION_DIR), reason="the Debian dataset-fashion-mnist package is absent")
def test_fashion_mnist_dataset_real_files():
    dataset = ds.FashionMnistDataset(FASHION_DIR, usage="test", shuffle=False, num_samples=5)
    import gzip
    with gzip.open(os.path.join(FASHION_DIR, "t10k-labels-idx1-ubyte.gz")) as handle:
        expected = list(handle.read()[8:13])
    assert labels_of(dataset) == expected
    assert ds.FashionMnistDataset(FASHION_DIR, usage="train").get_dataset_size() == 60000
    shard = ds.FashionMnistDataset(FASHION_DIR, usage="test", num_shards=3, shard_id=2)
    assert shard.get_dataset_size() == 3334


def test_cifar10_dataset(tmp_path):
    made = make_cifar10(str(tmp_path), batches=2, per_batch=3)
    dataset = ds.Cifar10Dataset(str(tmp_path), usage="train", shuffle=False)
    expected = list(made["data_batch_1.bin"][0]) + list(made["data_batch_2.bin"][0])
    assert labels_of(dataset) == [int(v) for v in expected]
    rows = list(ds.Cifar10Dataset(str(tmp_path), usage="test", shuffle=False).create_tuple_iterator(
        num_epochs=1, output_numpy=True))
    numpy.testing.assert_array_equal(rows[2][0], made["test_batch.bin"][1][2].transpose(1, 2, 0))


def test_cifar100_dataset_and_shards(tmp_path):
    made = make_cifar100(str(tmp_path), counts=(("train", 5), ("test", 2)))
    dataset = ds.Cifar100Dataset(str(tmp_path), usage="train", shuffle=False)
    assert dataset.get_col_names() == ["image", "coarse_label", "fine_label"]
    assert labels_of(dataset, "fine_label") == [int(v) for v in made["train"][1]]
    assert labels_of(dataset, "coarse_label") == [int(v) for v in made["train"][0]]
    shard = ds.Cifar100Dataset(str(tmp_path), usage="train", shuffle=False, num_shards=2, shard_id=1)
    assert labels_of(shard, "fine_label") == [int(made["train"][1][k]) for k in (1, 3, 0)]


def test_image_folder_dataset(tmp_path):
    layout = {"b": ["1.png", "2.png"], "a": ["3.png"]}
    written = make_image_folder(str(tmp_path), layout)
    dataset = ds.ImageFolderDataset(str(tmp_path), shuffle=False, decode=True)
    assert dataset.get_class_indexing() == {"a": 0, "b": 1}
    rows = list(dataset.create_tuple_iterator(num_epochs=1, output_numpy=True))
    assert [int(row[1]) for row in rows] == [0, 1, 1]
    numpy.testing.assert_array_equal(rows[2][0], written[os.path.join(str(tmp_path), "b", "2.png")])
    assert rows[0][1].dtype == numpy.int32
    raw = ds.ImageFolderDataset(str(tmp_path), shuffle=False, class_indexing={"b": 4}, num_samples=1)
    rows = list(raw.create_tuple_iterator(num_epochs=1, output_numpy=True))
    assert len(rows) == 1 and int(rows[0][1]) == 4
    assert rows[0][0].tobytes() == open(os.path.join(str(tmp_path), "b", "1.png"), "rb").read()


def test_coco_and_voc_datasets(tmp_path):
    annotation, images = make_coco(str(tmp_path / "coco"))
    coco = ds.CocoDataset(str(tmp_path / "coco" / "images"), annotation, task="Detection", shuffle=False,
                          decode=True)
    assert coco.get_col_names() == ["image", "bbox", "category_id", "iscrowd"]
    rows = list(coco.create_dict_iterator(num_epochs=1, output_numpy=True))
    assert len(rows) == 2
    numpy.testing.assert_array_equal(rows[1]["image"], images["a.jpg"])
    assert rows[1]["category_id"].tolist() == [[1], [7]]
    assert coco.get_class_indexing() == {"person": [1], "sky": [7]}
    stuff = ds.CocoDataset(str(tmp_path / "coco" / "images"), annotation, task="Stuff")
    with pytest.raises(NotImplementedError, match="only tasks 'Detection' and 'Panoptic'"):
        stuff.get_class_indexing()
    ids, _ = make_voc(str(tmp_path / "voc"))
    voc = ds.VOCDataset(str(tmp_path / "voc"), task="Detection", usage="train", shuffle=False)
    assert voc.get_col_names() == ["image", "bbox", "label", "difficult", "truncate"]
    assert voc.get_dataset_size() == 3
    assert voc.get_class_indexing() == {"aeroplane": 0, "cat": 1, "dog": 2, "person": 3}
    labels = [row["label"].tolist() for row in voc.create_dict_iterator(num_epochs=1, output_numpy=True)]
    assert labels == [[[3]], [[2], [1]], [[0]]]
    segmentation = ds.VOCDataset(str(tmp_path / "voc"), usage="val", shuffle=False)
    assert segmentation.get_col_names() == ["image", "target"] and segmentation.get_dataset_size() == 1


# ---- text and CSV: MindSpore's non-mappable order, shuffle modes and shards ----

def make_text_files(folder, counts):
    """Files f0.txt, f1.txt ... with lines '<file>-<row>'; returns every line in file order."""
    lines = []
    for number, count in enumerate(counts):
        rows = [f"{number}-{row}" for row in range(count)]
        with open(os.path.join(folder, f"f{number}.txt"), "w") as handle:
            handle.write("\n".join(rows) + "\n")
        lines.extend(rows)
    return lines


def test_text_file_dataset_order_and_contiguous_shards(tmp_path):
    lines = make_text_files(str(tmp_path), [3, 2, 2])
    pattern = str(tmp_path / "*.txt")
    dataset = ds.TextFileDataset(pattern, shuffle=False)
    assert dataset.get_col_names() == ["text"]
    assert dataset.get_dataset_size() == 7
    assert texts_of(dataset) == lines
    assert texts_of(ds.TextFileDataset(pattern, shuffle=False, num_samples=4)) == lines[:4]
    # contiguous blocks of ceil(7 / 3) = 3 rows, the last wrapping around to the first rows
    shards = [texts_of(ds.TextFileDataset(pattern, shuffle=False, num_shards=3, shard_id=k)) for k in range(3)]
    assert shards == [lines[0:3], lines[3:6], [lines[6], lines[0], lines[1]]]
    assert ds.TextFileDataset(pattern, shuffle=False, num_shards=3, shard_id=2).get_dataset_size() == 3


def test_text_file_dataset_shuffle_modes(tmp_path):
    lines = make_text_files(str(tmp_path), [3, 3, 3, 3])
    files = sorted(str(path) for path in tmp_path.glob("*.txt"))
    ds.config.set_seed(7)
    # Shuffle.FILES: whole files in a new order, each file's rows in order
    got = texts_of(ds.TextFileDataset(files, shuffle=Shuffle.FILES))
    blocks = [got[k:k + 3] for k in range(0, 12, 3)]
    assert sorted(blocks) == [lines[k:k + 3] for k in range(0, 12, 3)]
    # Shuffle.INFILE: files in order, rows shuffled within each
    got = texts_of(ds.TextFileDataset(files, shuffle=Shuffle.INFILE))
    assert [sorted(got[k:k + 3]) for k in range(0, 12, 3)] == [lines[k:k + 3] for k in range(0, 12, 3)]
    # Shuffle.GLOBAL (the default): every row once, in some order; reproducible with the seed
    ds.config.set_seed(7)
    first = texts_of(ds.TextFileDataset(files))
    ds.config.set_seed(7)
    second = texts_of(ds.TextFileDataset(files, shuffle=True))
    assert sorted(first) == sorted(lines) and first == second and first != lines
    # the shards of a shuffled dataset partition its rows (they agree on the file order)
    ds.config.set_seed(11)
    shards = [texts_of(ds.TextFileDataset(files, shuffle=Shuffle.GLOBAL, num_shards=4, shard_id=k))
              for k in range(4)]
    assert sorted(sum(shards, [])) == sorted(lines)


def test_text_file_dataset_new_file_order_each_epoch(tmp_path):
    make_text_files(str(tmp_path), [1] * 8)
    ds.config.set_seed(3)
    epochs = texts_of(ds.TextFileDataset(str(tmp_path / "*.txt"), shuffle=Shuffle.FILES), epochs=2)
    assert sorted(epochs[:8]) == sorted(epochs[8:]) and epochs[:8] != epochs[8:]


def test_csv_dataset(tmp_path):
    (tmp_path / "b.csv").write_text("id,name,score\n3,c,0.5\n")
    (tmp_path / "a.csv").write_text("id,name,score\n1,a,1.5\n2,,2.5\n")
    dataset = ds.CSVDataset(str(tmp_path / "*.csv"), column_defaults=[0, "none", 0.0], shuffle=False)
    assert dataset.get_col_names() == ["id", "name", "score"]
    rows = list(dataset.create_tuple_iterator(num_epochs=1, output_numpy=True))
    assert [(int(r[0]), str(r[1]), float(r[2])) for r in rows] == [(1, "a", 1.5), (2, "none", 2.5), (3, "c", 0.5)]
    assert rows[0][0].dtype == numpy.int32 and rows[0][2].dtype == numpy.float32
    shard = ds.CSVDataset(str(tmp_path / "*.csv"), shuffle=False, num_shards=2, shard_id=1)
    assert [str(r[0]) for r in shard.create_tuple_iterator(num_epochs=1, output_numpy=True)] == ["3", "1"]


# ---- argument errors ----

def test_argument_errors(tmp_path):
    make_mnist(str(tmp_path), counts=(("train", 2),))
    with pytest.raises(TypeError, match="MnistDataset: 'dataset_dir' must be a str, got int"):
        ds.MnistDataset(3)
    with pytest.raises(ValueError, match="MnistDataset: 'dataset_dir' must be an existing directory"):
        ds.MnistDataset(str(tmp_path / "missing"))
    with pytest.raises(ValueError, match=r"MnistDataset: 'usage' must be one of \['train', 'test', 'all'\], "
                                         r"got 'valid'"):
        ds.MnistDataset(str(tmp_path), usage="valid")
    with pytest.raises(RuntimeError, match="'sampler' and 'shuffle' cannot be specified at the same time"):
        ds.MnistDataset(str(tmp_path), sampler=ds.SequentialSampler(), shuffle=False)
    with pytest.raises(ValueError, match="'shard_id' must be within"):
        ds.Cifar10Dataset(str(tmp_path), num_shards=2, shard_id=2)
    with pytest.raises(TypeError, match="ImageFolderDataset: 'decode' must be a bool, got int"):
        ds.ImageFolderDataset(str(tmp_path), decode=1)
    with pytest.raises(TypeError, match="ImageFolderDataset: 'extensions' must be a list of str, got str"):
        ds.ImageFolderDataset(str(tmp_path), extensions=".png")
    with pytest.raises(TypeError, match="ImageFolderDataset: 'class_indexing' values must be int"):
        ds.ImageFolderDataset(str(tmp_path), class_indexing={"a": "0"})
    with pytest.raises(TypeError, match="ImageFolderDataset: 'decrypt' must be a callable"):
        ds.ImageFolderDataset(str(tmp_path), decrypt="key")
    with pytest.raises(ValueError, match="CocoDataset: 'annotation_file' must be an existing file"):
        ds.CocoDataset(str(tmp_path), str(tmp_path / "none.json"))
    (tmp_path / "a.json").write_text("{}")
    with pytest.raises(ValueError, match=r"CocoDataset: 'task' must be one of \['Detection', 'Stuff', "
                                         r"'Panoptic', 'Keypoint', 'Captioning'\], got 'Segment'"):
        ds.CocoDataset(str(tmp_path), str(tmp_path / "a.json"), task="Segment")
    with pytest.raises(ValueError, match="VOCDataset: invalid usage 'train': the list file .* does not exist"):
        ds.VOCDataset(str(tmp_path))
    make_voc(str(tmp_path / "voc"))
    with pytest.raises(ValueError, match="'class_indexing' is not supported in the 'Segmentation' task"):
        ds.VOCDataset(str(tmp_path / "voc"), class_indexing={"dog": 1})
    with pytest.raises(ValueError, match="VOCDataset: 'task' must be one of"):
        ds.VOCDataset(str(tmp_path / "voc"), task="Classification")
    (tmp_path / "t.txt").write_text("x\n")
    with pytest.raises(TypeError, match="TextFileDataset: 'shuffle' must be a bool or a Shuffle"):
        ds.TextFileDataset(str(tmp_path / "t.txt"), shuffle="yes")
    with pytest.raises(ValueError, match="TextFileDataset: 'dataset_files' patterns matched no file"):
        ds.TextFileDataset(str(tmp_path / "nothing.txt"))
    with pytest.raises(RuntimeError, match="'num_shards' is specified and requires 'shard_id' as well"):
        ds.TextFileDataset(str(tmp_path / "t.txt"), num_shards=2)
    with pytest.raises(ValueError, match="CSVDataset: 'field_delim' must be one character"):
        ds.CSVDataset(str(tmp_path / "t.txt"), field_delim=";;")
    with pytest.raises(TypeError, match="CSVDataset: 'column_names' must be a list of str, got str"):
        ds.CSVDataset(str(tmp_path / "t.txt"), column_names="x")
    with pytest.raises(TypeError, match="CSVDataset: 'column_defaults' must be a list, got tuple"):
        ds.CSVDataset(str(tmp_path / "t.txt"), column_defaults=(1,))


# ---- process workers: the sources are picklable and open their files per process ----

def test_sources_read_by_process_workers(tmp_path):
    from sporen.dataset import MappableDataset
    from sporen.dataset.sources_text import CSVSource
    from sporen.dataset.sources_vision import IdxSource

    made = make_mnist(str(tmp_path / "mnist"), counts=(("train", 6),), compress=True)
    source = IdxSource("MnistDataset", str(tmp_path / "mnist"), "train")
    dataset = MappableDataset(source, shuffle=False, num_parallel_workers=2, python_multiprocessing=True)
    assert labels_of(dataset) == [int(v) for v in made["train"][1]]
    (tmp_path / "a.csv").write_text("x,y\n" + "".join(f"{k},{k * k}\n" for k in range(9)))
    source = CSVSource("CSVDataset", [str(tmp_path / "a.csv")], column_defaults=[0, 0])
    dataset = MappableDataset(source, shuffle=False, num_parallel_workers=2, python_multiprocessing=True)
    rows = list(dataset.create_tuple_iterator(num_epochs=1, output_numpy=True))
    assert [(int(x), int(y)) for x, y in rows] == [(k, k * k) for k in range(9)]
