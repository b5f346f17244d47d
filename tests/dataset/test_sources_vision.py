"""MnistDataset, FashionMnistDataset, Cifar10Dataset, Cifar100Dataset and ImageFolderDataset over files
the tests write (IDX, CIFAR binary, class folders of PNG/JPEG), and the real Fashion-MNIST when present."""
import gzip
import os
import pickle

import numpy
import pytest

from sporen.dataset.sources_vision import CifarSource, IdxSource, ImageFolderSource

PIL = pytest.importorskip("PIL")
from PIL import Image  # noqa: E402

FASHION_DIR = "/usr/share/datasets/fashion-mnist"


def write_idx(path, array, compress=False):
    """Write a uint8 array as an IDX file (magic 0x0800 | ndim), gzip'ed when compress."""
    array = numpy.asarray(array, dtype=numpy.uint8)
    header = numpy.array([0x0800 | array.ndim, *array.shape], dtype=">u4").tobytes()
    data = header + array.tobytes()
    if compress:
        data = gzip.compress(data)
    with open(path, "wb") as handle:
        handle.write(data)


def make_mnist(folder, counts=(("train", 5), ("t10k", 3)), compress=False, seed=0):
    """IDX image/label pairs in folder; returns {prefix: (images, labels)}."""
    generator = numpy.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    made = {}
    for prefix, count in counts:
        images = generator.integers(0, 256, size=(count, 28, 28), dtype=numpy.uint8)
        labels = generator.integers(0, 10, size=count, dtype=numpy.uint8)
        suffix = ".gz" if compress else ""
        write_idx(os.path.join(folder, f"{prefix}-images-idx3-ubyte{suffix}"), images, compress)
        write_idx(os.path.join(folder, f"{prefix}-labels-idx1-ubyte{suffix}"), labels, compress)
        made[prefix] = (images, labels)
    return made


def make_cifar10(folder, batches=2, per_batch=4, seed=0):
    """data_batch_<k>.bin files and test_batch.bin; returns {name: (labels, chw images)}."""
    generator = numpy.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    made = {}
    names = [f"data_batch_{k + 1}.bin" for k in range(batches)] + ["test_batch.bin"]
    for name in names:
        labels = generator.integers(0, 10, size=per_batch, dtype=numpy.uint8)
        images = generator.integers(0, 256, size=(per_batch, 3, 32, 32), dtype=numpy.uint8)
        records = numpy.concatenate([labels[:, None], images.reshape(per_batch, -1)], axis=1)
        records.tofile(os.path.join(folder, name))
        made[name] = (labels, images)
    # a file that is not a batch must be ignored
    with open(os.path.join(folder, "batches.meta.txt"), "w") as handle:
        handle.write("airplane\n")
    return made


def make_cifar100(folder, counts=(("train", 5), ("test", 2)), seed=0):
    """train.bin / test.bin; returns {name: (coarse, fine, chw images)}."""
    generator = numpy.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    made = {}
    for name, count in counts:
        coarse = generator.integers(0, 20, size=count, dtype=numpy.uint8)
        fine = generator.integers(0, 100, size=count, dtype=numpy.uint8)
        images = generator.integers(0, 256, size=(count, 3, 32, 32), dtype=numpy.uint8)
        records = numpy.concatenate([coarse[:, None], fine[:, None], images.reshape(count, -1)], axis=1)
        records.tofile(os.path.join(folder, name + ".bin"))
        made[name] = (coarse, fine, images)
    return made


def make_image_folder(folder, layout, seed=0):
    """Class folders of small images: layout maps class -> list of file names (.png lossless, .jpg).

    Returns {path: the RGB array written}."""
    generator = numpy.random.default_rng(seed)
    written = {}
    for class_name, files in layout.items():
        os.makedirs(os.path.join(folder, class_name), exist_ok=True)
        for name in files:
            path = os.path.join(folder, class_name, name)
            pixels = generator.integers(0, 256, size=(6 + len(name), 5, 3), dtype=numpy.uint8)
            extension = os.path.splitext(name)[1].lower()
            if extension in (".png", ".jpg", ".jpeg"):
                Image.fromarray(pixels).save(path, format="PNG" if extension == ".png" else "JPEG")
            else:
                with open(path, "w") as handle:
                    handle.write("not an image")
            written[path] = pixels
    return written


# ---- MNIST / Fashion-MNIST ----

@pytest.mark.parametrize("compress", [False, True])
def test_idx_source_rows_usage_order(tmp_path, compress):
    made = make_mnist(str(tmp_path), compress=compress)
    train = IdxSource("MnistDataset", str(tmp_path), "train")
    assert train.column_names == ["image", "label"]
    assert len(train) == 5
    image, label = train[3]
    assert image.shape == (28, 28, 1) and image.dtype == numpy.uint8
    assert label.shape == () and label.dtype == numpy.uint32
    numpy.testing.assert_array_equal(image[:, :, 0], made["train"][0][3])
    assert int(label) == made["train"][1][3]
    # 'all' reads the sorted files: t10k before train, as MindSpore does
    every = IdxSource("MnistDataset", str(tmp_path), "all")
    expected = list(made["t10k"][1]) + list(made["train"][1])
    assert [int(every[k][1]) for k in range(len(every))] == expected
    numpy.testing.assert_array_equal(every[3][0][:, :, 0], made["train"][0][0])
    test = IdxSource("MnistDataset", str(tmp_path), "test")
    assert len(test) == 3
    numpy.testing.assert_array_equal(test[-1][0][:, :, 0], made["t10k"][0][2])


def test_idx_source_pickles_without_open_files(tmp_path):
    made = make_mnist(str(tmp_path))
    source = IdxSource("MnistDataset", str(tmp_path), "train")
    source[0]
    assert source._cache
    clone = pickle.loads(pickle.dumps(source))
    assert clone._cache == {}
    numpy.testing.assert_array_equal(clone[4][0][:, :, 0], made["train"][0][4])


def test_idx_source_errors(tmp_path):
    with pytest.raises(RuntimeError, match="no data found"):
        IdxSource("MnistDataset", str(tmp_path), "train")
    make_mnist(str(tmp_path), counts=(("train", 2),))
    os.remove(tmp_path / "train-labels-idx1-ubyte")
    with pytest.raises(RuntimeError, match="train-labels-idx1-ubyte"):
        IdxSource("MnistDataset", str(tmp_path), "train")
    write_idx(str(tmp_path / "train-labels-idx1-ubyte"), numpy.zeros(3, numpy.uint8))
    with pytest.raises(RuntimeError, match="2 images but .* 3 labels"):
        IdxSource("MnistDataset", str(tmp_path), "train")
    write_idx(str(tmp_path / "train-labels-idx1-ubyte"), numpy.zeros((2, 1), numpy.uint8))
    with pytest.raises(RuntimeError, match="magic number 2050, expected 2049"):
        IdxSource("MnistDataset", str(tmp_path), "train")
    write_idx(str(tmp_path / "train-labels-idx1-ubyte"), numpy.zeros(2, numpy.uint8))
    write_idx(str(tmp_path / "train-images-idx3-ubyte"), numpy.zeros((2, 28, 27), numpy.uint8))
    with pytest.raises(RuntimeError, match="are 28x27, expected 28x28"):
        IdxSource("MnistDataset", str(tmp_path), "train")


def test_idx_source_index_out_of_range(tmp_path):
    make_mnist(str(tmp_path))
    source = IdxSource("MnistDataset", str(tmp_path), "test")
    with pytest.raises(IndexError, match="row index 3 is out of range for 3 rows"):
        source[3]


@pytest.mark.skipif(not os.path.isdir(FASHION_DIR), reason="the Debian dataset-fashion-mnist package is absent")
def test_real_fashion_mnist_files():
    source = IdxSource("FashionMnistDataset", FASHION_DIR, "test")
    assert len(source) == 10000
    with gzip.open(os.path.join(FASHION_DIR, "t10k-labels-idx1-ubyte.gz")) as handle:
        labels = numpy.frombuffer(handle.read()[8:], dtype=numpy.uint8)
    with gzip.open(os.path.join(FASHION_DIR, "t10k-images-idx3-ubyte.gz")) as handle:
        images = numpy.frombuffer(handle.read()[16:], dtype=numpy.uint8).reshape(-1, 28, 28)
    for position in (0, 1, 4321, 9999):
        image, label = source[position]
        assert int(label) == labels[position]
        numpy.testing.assert_array_equal(image[:, :, 0], images[position])
    assert len(IdxSource("FashionMnistDataset", FASHION_DIR, "all")) == 70000


# ---- CIFAR ----

def test_cifar10_source_rows(tmp_path):
    made = make_cifar10(str(tmp_path))
    train = CifarSource("Cifar10Dataset", str(tmp_path), "train", 1)
    assert train.column_names == ["image", "label"]
    assert len(train) == 8
    image, label = train[5]
    assert image.shape == (32, 32, 3) and image.dtype == numpy.uint8 and image.flags.c_contiguous
    assert label.dtype == numpy.uint32 and label.shape == ()
    labels, images = made["data_batch_2.bin"]
    assert int(label) == labels[1]
    numpy.testing.assert_array_equal(image, images[1].transpose(1, 2, 0))
    # a hand-checked pixel: row 0, column 1, green is byte 1 + 1024 + 1 of the record
    record = numpy.fromfile(tmp_path / "data_batch_2.bin", dtype=numpy.uint8).reshape(4, 3073)[1]
    assert image[0, 1, 1] == record[1 + 1024 + 1]
    test = CifarSource("Cifar10Dataset", str(tmp_path), "test", 1)
    assert [int(test[k][1]) for k in range(4)] == list(made["test_batch.bin"][0])
    every = CifarSource("Cifar10Dataset", str(tmp_path), "all", 1)
    assert len(every) == 12
    assert int(every[8][1]) == made["test_batch.bin"][0][0]


def test_cifar100_source_rows(tmp_path):
    made = make_cifar100(str(tmp_path))
    source = CifarSource("Cifar100Dataset", str(tmp_path), "all", 2)
    assert source.column_names == ["image", "coarse_label", "fine_label"]
    assert len(source) == 7
    # the sorted files: test.bin before train.bin
    coarse, fine, images = made["train"]
    image, c, f = source[2 + 4]
    assert (int(c), int(f)) == (coarse[4], fine[4])
    assert c.dtype == numpy.uint32 and f.dtype == numpy.uint32
    numpy.testing.assert_array_equal(image, images[4].transpose(1, 2, 0))
    test = CifarSource("Cifar100Dataset", str(tmp_path), "test", 2)
    assert [int(test[k][2]) for k in range(2)] == list(made["test"][1])


def test_cifar_source_errors(tmp_path):
    with pytest.raises(RuntimeError, match="no data found"):
        CifarSource("Cifar10Dataset", str(tmp_path), "train", 1)
    (tmp_path / "data_batch_1.bin").write_bytes(b"x" * 3000)
    with pytest.raises(RuntimeError, match="not a multiple of the record size 3073"):
        CifarSource("Cifar10Dataset", str(tmp_path), "train", 1)


# ---- image folders ----

def test_image_folder_source_order_labels_bytes(tmp_path):
    layout = {"dog": ["b.png", "a.png"], "cat": ["z.jpg", "c.png"], "empty": [], "emu": ["x.txt"]}
    written = make_image_folder(str(tmp_path), layout)
    source = ImageFolderSource("ImageFolderDataset", str(tmp_path))
    assert source.column_names == ["image", "label"]
    # folders sorted (cat, dog, empty, emu): labels by position, empty folders included
    assert source.class_indexing == {"cat": 0, "dog": 1, "empty": 2, "emu": 3}
    paths = [os.path.join(str(tmp_path), *p) for p in
             [("cat", "c.png"), ("cat", "z.jpg"), ("dog", "a.png"), ("dog", "b.png"), ("emu", "x.txt")]]
    assert len(source) == 5
    for position, path in enumerate(paths):
        image, label = source[position]
        assert image.dtype == numpy.uint8 and image.ndim == 1
        assert image.tobytes() == open(path, "rb").read()
        assert label.dtype == numpy.int32 and label.shape == ()
        assert int(label) == source.class_indexing[os.path.basename(os.path.dirname(path))]
    assert len(written) == 5


def test_image_folder_source_decode_extensions_class_indexing(tmp_path):
    layout = {"a": ["1.png", "2.JPG", "3.txt"], "b": ["4.png"], "c": ["5.png"]}
    written = make_image_folder(str(tmp_path), layout)
    source = ImageFolderSource("ImageFolderDataset", str(tmp_path), extensions=[".png"],
                               class_indexing={"c": 7, "a": 3}, decode=True)
    # only the folders of class_indexing, only .png (case-sensitive)
    assert len(source) == 2
    image, label = source[0]
    assert image.shape == (11, 5, 3) and image.dtype == numpy.uint8
    numpy.testing.assert_array_equal(image, written[os.path.join(str(tmp_path), "a", "1.png")])
    assert int(label) == 3
    image, label = source[1]
    numpy.testing.assert_array_equal(image, written[os.path.join(str(tmp_path), "c", "5.png")])
    assert int(label) == 7
    # a JPEG decodes like Pillow decodes it, as RGB
    jpeg = ImageFolderSource("ImageFolderDataset", str(tmp_path), extensions=[".JPG"], decode=True)
    expected = numpy.asarray(Image.open(os.path.join(str(tmp_path), "a", "2.JPG")).convert("RGB"))
    numpy.testing.assert_array_equal(jpeg[0][0], expected)


def test_image_folder_source_gray_png_decodes_to_rgb_and_decrypt(tmp_path):
    os.makedirs(tmp_path / "k")
    gray = numpy.arange(12, dtype=numpy.uint8).reshape(3, 4) * 20
    Image.fromarray(gray, mode="L").save(tmp_path / "k" / "g.png")
    source = ImageFolderSource("ImageFolderDataset", str(tmp_path), decode=True)
    image, _ = source[0]
    assert image.shape == (3, 4, 3)
    numpy.testing.assert_array_equal(image[:, :, 2], gray)
    # decrypt receives the path and gives the file's real bytes
    real = (tmp_path / "k" / "g.png").read_bytes()
    (tmp_path / "k" / "g.png").write_bytes(bytes(b ^ 0x5A for b in real))
    seen = []

    def decrypt(path):
        seen.append(path)
        return bytes(b ^ 0x5A for b in open(path, "rb").read())

    source = ImageFolderSource("ImageFolderDataset", str(tmp_path), decode=True, decrypt=decrypt)
    numpy.testing.assert_array_equal(source[0][0][:, :, 0], gray)
    assert seen == [os.path.join(str(tmp_path), "k", "g.png")]


def test_image_folder_source_errors(tmp_path):
    os.makedirs(tmp_path / "a")
    with pytest.raises(RuntimeError, match="no images found"):
        ImageFolderSource("ImageFolderDataset", str(tmp_path))
    with pytest.raises(RuntimeError, match=r"the class_indexing folders \['b'\] do not exist"):
        ImageFolderSource("ImageFolderDataset", str(tmp_path), class_indexing={"a": 0, "b": 1})
    (tmp_path / "a" / "bad.png").write_bytes(b"nope")
    source = ImageFolderSource("ImageFolderDataset", str(tmp_path), decode=True)
    with pytest.raises(RuntimeError, match="failed to decode image"):
        source[0]



def test_image_folder_real_photos_decode(tmp_path):
    """skimage's photos written as JPEG (quality 95) decode close to the original pixels."""
    data = pytest.importorskip("skimage.data")
    photos = {"astronaut": data.astronaut(), "coffee": data.coffee(), "chelsea": data.chelsea()}
    for name, pixels in photos.items():
        os.makedirs(tmp_path / name)
        Image.fromarray(pixels).save(tmp_path / name / "photo.jpg", quality=95)
    source = ImageFolderSource("ImageFolderDataset", str(tmp_path), decode=True)
    assert source.class_indexing == {"astronaut": 0, "chelsea": 1, "coffee": 2}
    for position, name in enumerate(["astronaut", "chelsea", "coffee"]):
        image, label = source[position]
        assert int(label) == position
        assert image.shape == photos[name].shape and image.dtype == numpy.uint8
        error = numpy.abs(image.astype(numpy.int16) - photos[name].astype(numpy.int16)).mean()
        assert error < 4.0, (name, error)
