"""CocoDataset (Detection, Stuff, Keypoint, Panoptic, Captioning) and VOCDataset (Segmentation,
Detection) over COCO JSON, VOC XML and images the tests write."""
import json
import os

import numpy
import pytest

from sporen.dataset.sources_detection import CocoSource, VOCSource

pytest.importorskip("PIL")
from PIL import Image  # noqa: E402


def write_image(path, height, width, seed):
    """Write a small RGB PNG-encoded image (whatever the extension says) and return its pixels."""
    pixels = numpy.random.default_rng(seed).integers(0, 256, size=(height, width, 3), dtype=numpy.uint8)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(pixels).save(path, format="PNG")
    return pixels


def make_coco(folder):
    """Three images (the second without annotations) and every task's annotations in one JSON file."""
    images = {}
    for identifier, name in [(10, "a.jpg"), (20, "b.jpg"), (30, "c.jpg")]:
        images[name] = write_image(os.path.join(folder, "images", name), 4 + identifier // 10, 6, identifier)
    tree = {
        "images": [{"id": 30, "file_name": "c.jpg"}, {"id": 20, "file_name": "b.jpg"},
                   {"id": 10, "file_name": "a.jpg"}],
        "categories": [{"id": 1, "name": "person", "isthing": 1}, {"id": 7, "name": "sky", "isthing": 0}],
        "annotations": [
            {"id": 1, "image_id": 10, "bbox": [1, 2, 3, 4], "category_id": 1, "iscrowd": 0,
             "segmentation": [[1, 1, 2, 2, 3, 3], [5, 5, 6, 6]], "num_keypoints": 2,
             "keypoints": [1, 2, 2, 3, 4, 1], "caption": "a person"},
            {"id": 2, "image_id": 30, "bbox": [10.5, 20, 30, 40], "category_id": 7, "iscrowd": 1,
             "segmentation": {"counts": [4, 5, 6], "size": [5, 6]}, "num_keypoints": 0,
             "keypoints": [0, 0, 0, 0, 0, 0], "caption": "blue sky"},
            {"id": 3, "image_id": 10, "bbox": [5, 6, 7, 8], "category_id": 7,
             "segmentation": [[9, 9, 8, 8, 7, 7, 6, 6]], "iscrowd": 0, "num_keypoints": 1,
             "keypoints": [9, 9, 2], "caption": "sky too"},
        ],
    }
    path = os.path.join(folder, "annotations.json")
    with open(path, "w") as handle:
        json.dump(tree, handle)
    return path, images


def make_coco_panoptic(folder):
    write_image(os.path.join(folder, "images", "p.jpg"), 5, 5, 1)
    tree = {
        "images": [{"id": 1, "file_name": "p.jpg"}],
        "categories": [{"id": 1, "name": "person", "isthing": 1}, {"id": 2, "name": "grass", "isthing": 0}],
        "annotations": [{"image_id": 1, "file_name": "p.png", "segments_info": [
            {"id": 11, "category_id": 1, "iscrowd": 0, "bbox": [1, 1, 2, 2], "area": 4},
            {"id": 12, "category_id": 2, "iscrowd": 1, "bbox": [0, 3, 5, 2], "area": 10}]}],
    }
    path = os.path.join(folder, "panoptic.json")
    with open(path, "w") as handle:
        json.dump(tree, handle)
    return path


def test_coco_detection_rows(tmp_path):
    annotation, images = make_coco(str(tmp_path))
    source = CocoSource("CocoDataset", str(tmp_path / "images"), annotation, "Detection")
    assert source.column_names == ["image", "bbox", "category_id", "iscrowd"]
    # the 'images' order, without the image that has no annotation
    assert len(source) == 2
    image, bbox, category, iscrowd = source[0]
    assert image.dtype == numpy.uint8 and image.ndim == 1
    assert image.tobytes() == (tmp_path / "images" / "c.jpg").read_bytes()
    numpy.testing.assert_array_equal(bbox, numpy.array([[10.5, 20, 30, 40]], dtype=numpy.float32))
    assert bbox.dtype == numpy.float32
    assert category.dtype == numpy.uint32 and category.shape == (1, 1) and int(category[0, 0]) == 7
    assert iscrowd.dtype == numpy.uint32 and iscrowd.tolist() == [[1]]
    image, bbox, category, iscrowd = source[1]
    numpy.testing.assert_array_equal(bbox, [[1, 2, 3, 4], [5, 6, 7, 8]])
    assert category.tolist() == [[1], [7]]
    assert iscrowd.tolist() == [[0], [0]]
    assert source.class_indexing == {"person": [1], "sky": [7]}


def test_coco_detection_decode_and_metadata(tmp_path):
    annotation, images = make_coco(str(tmp_path))
    source = CocoSource("CocoDataset", str(tmp_path / "images"), annotation, "Detection", decode=True,
                        extra_metadata=True)
    assert source.column_names == ["image", "bbox", "category_id", "iscrowd", "_meta-filename"]
    row = source[1]
    numpy.testing.assert_array_equal(row[0], images["a.jpg"])
    assert row[4].dtype.kind == "U" and row[4].shape == () and str(row[4]) == "a"


def test_coco_stuff_rows_padded(tmp_path):
    annotation, _ = make_coco(str(tmp_path))
    source = CocoSource("CocoDataset", str(tmp_path / "images"), annotation, "Stuff")
    assert source.column_names == ["image", "segmentation", "iscrowd"]
    _, segmentation, iscrowd = source[0]
    # a crowd annotation gives its RLE counts as one row
    numpy.testing.assert_array_equal(segmentation, [[4, 5, 6]])
    assert iscrowd.tolist() == [[1]]
    _, segmentation, iscrowd = source[1]
    # one row per polygon, the shorter padded with -1
    expected = numpy.array([[1, 1, 2, 2, 3, 3, -1, -1], [5, 5, 6, 6, -1, -1, -1, -1],
                            [9, 9, 8, 8, 7, 7, 6, 6]], dtype=numpy.float32)
    numpy.testing.assert_array_equal(segmentation, expected)
    assert segmentation.dtype == numpy.float32
    assert iscrowd.tolist() == [[0], [0]]


def test_coco_keypoint_rows(tmp_path):
    annotation, _ = make_coco(str(tmp_path))
    source = CocoSource("CocoDataset", str(tmp_path / "images"), annotation, "Keypoint")
    assert source.column_names == ["image", "keypoints", "num_keypoints"]
    _, keypoints, count = source[1]
    numpy.testing.assert_array_equal(keypoints, [[1, 2, 2, 3, 4, 1], [9, 9, 2, -1, -1, -1]])
    assert count.dtype == numpy.uint32 and count.tolist() == [[2], [1]]


def test_coco_panoptic_rows(tmp_path):
    annotation = make_coco_panoptic(str(tmp_path))
    source = CocoSource("CocoDataset", str(tmp_path / "images"), annotation, "Panoptic")
    assert source.column_names == ["image", "bbox", "category_id", "iscrowd", "area"]
    assert len(source) == 1
    _, bbox, category, iscrowd, area = source[0]
    numpy.testing.assert_array_equal(bbox, [[1, 1, 2, 2], [0, 3, 5, 2]])
    assert category.tolist() == [[1], [2]]
    assert iscrowd.tolist() == [[0], [1]]
    assert area.dtype == numpy.uint32 and area.tolist() == [[4], [10]]
    assert source.class_indexing == {"person": [1, 1], "grass": [2, 0]}


def test_coco_captioning_rows(tmp_path):
    annotation, _ = make_coco(str(tmp_path))
    source = CocoSource("CocoDataset", str(tmp_path / "images"), annotation, "Captioning")
    assert source.column_names == ["image", "captions"]
    _, captions = source[1]
    assert captions.dtype.kind == "U" and captions.tolist() == ["a person", "sky too"]


def test_coco_errors(tmp_path):
    annotation, _ = make_coco(str(tmp_path))
    tree = json.load(open(annotation))
    tree["annotations"][0]["category_id"] = 99
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(tree))
    with pytest.raises(RuntimeError, match="category_id 99 is not in the file's categories"):
        CocoSource("CocoDataset", str(tmp_path / "images"), str(bad), "Detection")
    tree["annotations"][0]["image_id"] = 5
    bad.write_text(json.dumps(tree))
    with pytest.raises(RuntimeError, match="image_id 5 of an annotation is not in the file's images"):
        CocoSource("CocoDataset", str(tmp_path / "images"), str(bad), "Stuff")
    bad.write_text("{not json")
    with pytest.raises(RuntimeError, match="failed to read the annotation file"):
        CocoSource("CocoDataset", str(tmp_path / "images"), str(bad), "Detection")
    bad.write_text(json.dumps({"images": [{"id": 1, "file_name": "a.jpg"}], "annotations": []}))
    with pytest.raises(RuntimeError, match="no 'categories'"):
        CocoSource("CocoDataset", str(tmp_path / "images"), str(bad), "Detection")
    with pytest.raises(RuntimeError, match="no annotated images"):
        CocoSource("CocoDataset", str(tmp_path / "images"), str(bad), "Keypoint")


def write_voc_xml(path, objects):
    """A VOC annotation: objects are (name, xmin, ymin, xmax, ymax, difficult, truncated)."""
    parts = ["<annotation><filename>x.jpg</filename>"]
    for name, xmin, ymin, xmax, ymax, difficult, truncated in objects:
        parts.append(f"<object><name>{name}</name><difficult>{difficult}</difficult>"
                     f"<truncated>{truncated}</truncated><bndbox><xmin>{xmin}</xmin><ymin>{ymin}</ymin>"
                     f"<xmax>{xmax}</xmax><ymax>{ymax}</ymax></bndbox></object>")
    parts.append("</annotation>")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write("".join(parts))


def make_voc(folder):
    """Three images with masks and annotations, listed in the train/val lists of both tasks."""
    ids = ["2007_000032", "2007_000039", "2008_000001"]
    images = {}
    for position, image_id in enumerate(ids):
        images[image_id] = write_image(os.path.join(folder, "JPEGImages", image_id + ".jpg"), 5, 7, position)
        mask = numpy.full((5, 7), position, dtype=numpy.uint8)
        os.makedirs(os.path.join(folder, "SegmentationClass"), exist_ok=True)
        Image.fromarray(mask, mode="L").save(os.path.join(folder, "SegmentationClass", image_id + ".png"))
    write_voc_xml(os.path.join(folder, "Annotations", ids[0] + ".xml"),
                  [("dog", 10, 20, 30, 60, 0, 1), ("cat", 5, 5, 6, 7, 1, 0)])
    write_voc_xml(os.path.join(folder, "Annotations", ids[1] + ".xml"), [("person", 1, 2, 3, 4, 0, 0)])
    write_voc_xml(os.path.join(folder, "Annotations", ids[2] + ".xml"), [("aeroplane", 2, 2, 9.5, 4, 0, 0)])
    for task in ("Segmentation", "Main"):
        os.makedirs(os.path.join(folder, "ImageSets", task), exist_ok=True)
        with open(os.path.join(folder, "ImageSets", task, "train.txt"), "w") as handle:
            handle.write(f"{ids[1]}\r\n{ids[0]}\n{ids[2]}\n")
        with open(os.path.join(folder, "ImageSets", task, "val.txt"), "w") as handle:
            handle.write(f"{ids[2]}\n")
    return ids, images


def test_voc_segmentation_rows(tmp_path):
    ids, images = make_voc(str(tmp_path))
    source = VOCSource("VOCDataset", str(tmp_path), "Segmentation", "train")
    assert source.column_names == ["image", "target"]
    assert len(source) == 3
    image, target = source[0]
    assert image.tobytes() == (tmp_path / "JPEGImages" / (ids[1] + ".jpg")).read_bytes()
    assert target.tobytes() == (tmp_path / "SegmentationClass" / (ids[1] + ".png")).read_bytes()
    decoded = VOCSource("VOCDataset", str(tmp_path), "Segmentation", "train", decode=True, extra_metadata=True)
    assert decoded.column_names == ["image", "target", "_meta-filename"]
    image, target, name = decoded[1]
    numpy.testing.assert_array_equal(image, images[ids[0]])
    # the mask decodes to RGB, as MindSpore's Decode gives it
    assert target.shape == (5, 7, 3) and (target == 0).all()
    assert str(name) == ids[0]
    assert len(VOCSource("VOCDataset", str(tmp_path), "Segmentation", "val")) == 1


def test_voc_detection_rows_and_class_indexing(tmp_path):
    ids, _ = make_voc(str(tmp_path))
    source = VOCSource("VOCDataset", str(tmp_path), "Detection", "train")
    assert source.column_names == ["image", "bbox", "label", "difficult", "truncate"]
    # labels are the sorted names' positions
    assert source.class_indexing == {"aeroplane": 0, "cat": 1, "dog": 2, "person": 3}
    image, bbox, label, difficult, truncate = source[1]
    numpy.testing.assert_array_equal(bbox, [[10, 20, 20, 40], [5, 5, 1, 2]])
    assert bbox.dtype == numpy.float32
    assert label.dtype == numpy.uint32 and label.tolist() == [[2], [1]]
    assert difficult.tolist() == [[0], [1]] and difficult.dtype == numpy.uint32
    assert truncate.tolist() == [[1], [0]] and truncate.dtype == numpy.uint32
    numpy.testing.assert_array_equal(source[2][1], [[2, 2, 7.5, 2]])
    # class_indexing keeps only its classes, drops images left without objects, labels by its values
    chosen = VOCSource("VOCDataset", str(tmp_path), "Detection", "train", class_indexing={"dog": 5, "person": 9})
    assert len(chosen) == 2
    assert chosen[0][2].tolist() == [[9]]
    assert chosen[1][2].tolist() == [[5]]
    numpy.testing.assert_array_equal(chosen[1][1], [[10, 20, 20, 40]])
    assert chosen.class_indexing == {"dog": 5, "person": 9}


def test_voc_detection_errors(tmp_path):
    ids, _ = make_voc(str(tmp_path))
    write_voc_xml(str(tmp_path / "Annotations" / (ids[0] + ".xml")), [("dog", 0, 20, 30, 60, 0, 0)])
    with pytest.raises(RuntimeError, match=r"invalid bndbox \{0, 20, 30, 60\}"):
        VOCSource("VOCDataset", str(tmp_path), "Detection", "train")
    write_voc_xml(str(tmp_path / "Annotations" / (ids[0] + ".xml")), [])
    with pytest.raises(RuntimeError, match="no object found"):
        VOCSource("VOCDataset", str(tmp_path), "Detection", "train")
    os.remove(tmp_path / "Annotations" / (ids[0] + ".xml"))
    with pytest.raises(RuntimeError, match="does not exist"):
        VOCSource("VOCDataset", str(tmp_path), "Detection", "train")


def test_iterators_leave_out_meta_columns_unless_renamed(tmp_path):
    import sporen.dataset as ds
    annotation, _ = make_coco(str(tmp_path))
    data = ds.CocoDataset(str(tmp_path / "images"), annotation, task="Detection", extra_metadata=True,
                          shuffle=False)
    row = next(data.create_dict_iterator(num_epochs=1, output_numpy=True))
    assert "_meta-filename" not in row and "image" in row
    renamed = data.rename("_meta-filename", "filename")
    row = next(renamed.create_dict_iterator(num_epochs=1, output_numpy=True))
    assert str(row["filename"]) == "c"
