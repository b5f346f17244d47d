"""The random-access sources of detection/segmentation files: COCO (a JSON annotation file) and
Pascal VOC (ImageSets lists, XML annotations, JPEG images, PNG masks)."""
import json
import os
import xml.etree.ElementTree as ElementTree

import numpy

from .sources_common import check_index, decode_image, read_bytes, string_array

COCO_TASKS = ("Detection", "Stuff", "Panoptic", "Keypoint", "Captioning")
COCO_COLUMNS = {
    "Detection": ["image", "bbox", "category_id", "iscrowd"],
    "Stuff": ["image", "segmentation", "iscrowd"],
    "Keypoint": ["image", "keypoints", "num_keypoints"],
    "Panoptic": ["image", "bbox", "category_id", "iscrowd", "area"],
    "Captioning": ["image", "captions"],
}
VOC_COLUMNS = {
    "Segmentation": ["image", "target"],
    "Detection": ["image", "bbox", "label", "difficult", "truncate"],
}
META_FILENAME = "_meta-filename"
# what MindSpore pads the shorter coordinate lists of an image with
_PAD = -1.0


def _padded(rows):
    """A float32 (len(rows), longest) array of the lists in rows, the shorter padded with -1."""
    width = max((len(row) for row in rows), default=0)
    out = numpy.full((len(rows), width), _PAD, dtype=numpy.float32)
    for position, row in enumerate(rows):
        out[position, :len(row)] = numpy.asarray(row, dtype=numpy.float32)
    return out


def _column(values):
    """A uint32 (N, 1) array of per-object values."""
    return numpy.asarray(values, dtype=numpy.float64).astype(numpy.uint32).reshape(-1, 1)


def _field(owner, node, key, where):
    """node[key], or a RuntimeError naming what is missing where."""
    if not isinstance(node, dict) or key not in node:
        raise RuntimeError(f"{owner}: the annotation file has no '{key}' in {where}")
    return node[key]


class _CocoRow:
    """What one image's annotations add up to: coordinate lists and per-object values."""

    __slots__ = ("coordinates", "items", "captions")

    def __init__(self):
        self.coordinates = []
        self.items = []
        self.captions = []


class CocoSource:
    """Rows of a COCO dataset for one task (MindSpore's columns and dtypes).

    Rows are the images of the annotation file's 'images' list, in that order, that have at least
    one annotation. Coordinates (bbox, segmentation, keypoints) are float32 (N, longest), the shorter
    padded with -1; per-object values are uint32 (N, 1); captions a string array (N,).
    """

    def __init__(self, owner, dataset_dir, annotation_file, task="Detection", decode=False,
                 extra_metadata=False, decrypt=None):
        self.owner = owner
        self.dataset_dir = dataset_dir
        self.annotation_file = annotation_file
        self.task = task
        self.decode = decode
        self.extra_metadata = extra_metadata
        self.decrypt = decrypt
        self.column_names = list(COCO_COLUMNS[task]) + ([META_FILENAME] if extra_metadata else [])
        try:
            with open(annotation_file, encoding="utf-8") as handle:
                tree = json.load(handle)
        except (OSError, ValueError) as error:
            raise RuntimeError(f"{owner}: failed to read the annotation file '{annotation_file}': {error}") from error
        self.class_indexing = {}
        categories = set()
        if task in ("Detection", "Panoptic"):
            for category in _field(owner, tree, "categories", "the file"):
                identifier = int(_field(owner, category, "id", "a category"))
                name = _field(owner, category, "name", f"category {identifier}")
                info = [identifier]
                if task == "Panoptic":
                    info.append(int(_field(owner, category, "isthing", f"category {identifier}")))
                self.class_indexing[name] = info
                categories.add(identifier)
        images = _field(owner, tree, "images", "the file")
        if not images:
            raise RuntimeError(f"{owner}: the annotation file '{annotation_file}' lists no images")
        file_names = {}
        order = []
        for image in images:
            file_name = _field(owner, image, "file_name", "an image")
            file_names[int(_field(owner, image, "id", f"image '{file_name}'"))] = file_name
            order.append(file_name)
        rows = {}
        for annotation in _field(owner, tree, "annotations", "the file"):
            image_id = int(_field(owner, annotation, "image_id", "an annotation"))
            if image_id not in file_names:
                raise RuntimeError(f"{owner}: image_id {image_id} of an annotation is not in the file's images")
            row = rows.setdefault(file_names[image_id], _CocoRow())
            self._add(annotation, row, categories, image_id)
        self._file_names = [name for name in order if name in rows and self._has_data(rows[name])]
        if not self._file_names:
            raise RuntimeError(f"{owner}: no annotated images for task '{task}' in '{annotation_file}'")
        self._rows = [rows[name] for name in self._file_names]

    def _has_data(self, row):
        """Whether an image's annotations gave it a row (MindSpore keeps images with coordinates)."""
        if self.task == "Captioning":
            return bool(row.captions)
        return bool(row.coordinates)

    def _add(self, annotation, row, categories, image_id):
        """Add one annotation's objects to its image's row."""
        owner = self.owner
        task = self.task
        if task == "Detection":
            bbox = _field(owner, annotation, "bbox", f"an annotation of image {image_id}")
            category = int(_field(owner, annotation, "category_id", f"an annotation of image {image_id}"))
            if category not in categories:
                raise RuntimeError(f"{owner}: category_id {category} is not in the file's categories")
            row.coordinates.append(list(bbox))
            row.items.append((category, int(annotation.get("iscrowd", 0))))
        elif task == "Stuff":
            iscrowd = int(_field(owner, annotation, "iscrowd", f"an annotation of image {image_id}"))
            segmentation = _field(owner, annotation, "segmentation", f"an annotation of image {image_id}")
            row.items.append((iscrowd,))
            if iscrowd == 0:
                for polygon in segmentation:
                    row.coordinates.append(list(polygon))
            else:
                row.coordinates.append(list(_field(owner, segmentation, "counts", "a crowd segmentation")))
        elif task == "Keypoint":
            where = f"an annotation of image {image_id}"
            row.items.append((int(_field(owner, annotation, "num_keypoints", where)),))
            row.coordinates.append(list(_field(owner, annotation, "keypoints", where)))
        elif task == "Panoptic":
            for info in _field(owner, annotation, "segments_info", f"the annotation of image {image_id}"):
                where = f"a segment of image {image_id}"
                row.coordinates.append(list(_field(owner, info, "bbox", where)))
                category = int(_field(owner, info, "category_id", where))
                if category not in categories:
                    raise RuntimeError(f"{owner}: category_id {category} is not in the file's categories")
                row.items.append((category, int(_field(owner, info, "iscrowd", where)),
                                  int(_field(owner, info, "area", where))))
        else:
            row.captions.append(str(_field(owner, annotation, "caption", f"an annotation of image {image_id}")))

    def __len__(self):
        return len(self._file_names)

    def __getitem__(self, index):
        position = check_index(self.owner, index, len(self._file_names))
        file_name = self._file_names[position]
        row = self._rows[position]
        path = os.path.join(self.dataset_dir, file_name)
        image = read_bytes(path, self.decrypt)
        if self.decode:
            image = decode_image(image, path)
        if self.task == "Captioning":
            out = [image, numpy.array(row.captions, dtype=numpy.str_)]
        else:
            out = [image, _padded(row.coordinates)]
            width = len(row.items[0]) if row.items else 1
            for k in range(width):
                out.append(_column([item[k] for item in row.items]))
        if self.extra_metadata:
            out.append(string_array(file_name.split(".")[0]))
        return tuple(out)

    def __repr__(self):
        return f"{self.owner}(dataset_dir='{self.dataset_dir}', task='{self.task}')"

    def description(self):
        """The key of this source's rows in a cache (the same in every process)."""
        return (f"{self.owner}(dataset_dir='{os.path.abspath(self.dataset_dir)}', annotation_file="
                f"'{os.path.abspath(self.annotation_file)}', task='{self.task}', decode={self.decode}, "
                f"extra_metadata={self.extra_metadata})")

    def get_class_indexing(self):
        """{category name: [id]} ('Detection') or {name: [id, isthing]} ('Panoptic')."""
        if self.task not in ("Detection", "Panoptic"):
            raise NotImplementedError(f"{self.owner}.get_class_indexing: only tasks 'Detection' and 'Panoptic' "
                                      f"have classes, not '{self.task}'")
        return {name: list(info) for name, info in self.class_indexing.items()}


def _xml_float(node, name):
    """The float text of node's child `name`; 0 when either is absent (MindSpore's reading)."""
    if node is None:
        return 0.0
    child = node.find(name)
    if child is None or child.text is None:
        return 0.0
    try:
        return float(child.text.strip())
    except ValueError:
        return 0.0


class VOCSource:
    """Rows of a Pascal VOC dataset: (image, target) for 'Segmentation', (image, bbox float32 (N, 4)
    as [xmin, ymin, width, height], label, difficult, truncate uint32 (N, 1)) for 'Detection'.

    Rows follow ImageSets/<Segmentation|Main>/<usage>.txt. For 'Detection' an image whose objects are
    all filtered out (not in class_indexing) is dropped; labels are class_indexing's values, or the
    position of the name among all object names found, sorted.
    """

    def __init__(self, owner, dataset_dir, task="Segmentation", usage="train", class_indexing=None,
                 decode=False, extra_metadata=False, decrypt=None):
        self.owner = owner
        self.dataset_dir = dataset_dir
        self.task = task
        self.usage = usage
        self.decode = decode
        self.extra_metadata = extra_metadata
        self.decrypt = decrypt
        self.column_names = list(VOC_COLUMNS[task]) + ([META_FILENAME] if extra_metadata else [])
        list_file = voc_list_file(dataset_dir, task, usage)
        with open(list_file, encoding="utf-8") as handle:
            image_ids = [line.rstrip("\n").rstrip("\r") for line in handle]
        image_ids = [image_id for image_id in image_ids if image_id]
        self._objects = None
        self.class_indexing = None
        if task == "Detection":
            wanted = dict(class_indexing) if class_indexing else None
            objects = {}
            names = set()
            for image_id in image_ids:
                found = self._parse(image_id, wanted)
                if found:
                    objects[image_id] = found
                    names.update(name for name, _ in found)
            image_ids = [image_id for image_id in image_ids if image_id in objects]
            if wanted:
                self.class_indexing = {name: wanted[name] for name in sorted(names)}
            else:
                self.class_indexing = {name: position for position, name in enumerate(sorted(names))}
            self._objects = [objects[image_id] for image_id in image_ids]
        if not image_ids:
            raise RuntimeError(f"{owner}: no data found in '{dataset_dir}' for task '{task}' and usage '{usage}'")
        self._image_ids = image_ids

    def _parse(self, image_id, wanted):
        """The (name, [xmin, ymin, w, h, difficult, truncated]) objects of an image's XML annotation."""
        path = os.path.join(self.dataset_dir, "Annotations", image_id + ".xml")
        if not os.path.isfile(path):
            raise RuntimeError(f"{self.owner}: the annotation file '{path}' does not exist")
        try:
            root = ElementTree.parse(path).getroot()
        except ElementTree.ParseError as error:
            raise RuntimeError(f"{self.owner}: failed to read the annotation file '{path}': {error}") from error
        nodes = root.findall("object")
        if not nodes:
            raise RuntimeError(f"{self.owner}: no object found in '{path}'")
        found = []
        for node in nodes:
            name_node = node.find("name")
            name = (name_node.text or "").strip() if name_node is not None else ""
            box = node.find("bndbox")
            if box is None:
                raise RuntimeError(f"{self.owner}: an object has no bndbox in '{path}'")
            xmin = _xml_float(box, "xmin")
            ymin = _xml_float(box, "ymin")
            xmax = _xml_float(box, "xmax")
            ymax = _xml_float(box, "ymax")
            if not (xmin > 0 and ymin > 0 and xmax > xmin and ymax > ymin):
                raise RuntimeError(f"{self.owner}: invalid bndbox {{{int(xmin)}, {int(ymin)}, {int(xmax)}, "
                                   f"{int(ymax)}}} in '{path}'")
            if name and (wanted is None or name in wanted):
                values = [xmin, ymin, xmax - xmin, ymax - ymin, _xml_float(node, "difficult"),
                          _xml_float(node, "truncated")]
                found.append((name, values))
        return found

    def __len__(self):
        return len(self._image_ids)

    def _image(self, path):
        data = read_bytes(path, self.decrypt)
        if self.decode:
            return decode_image(data, path)
        return data

    def __getitem__(self, index):
        position = check_index(self.owner, index, len(self._image_ids))
        image_id = self._image_ids[position]
        image = self._image(os.path.join(self.dataset_dir, "JPEGImages", image_id + ".jpg"))
        if self.task == "Segmentation":
            out = [image, self._image(os.path.join(self.dataset_dir, "SegmentationClass", image_id + ".png"))]
        else:
            objects = self._objects[position]
            values = numpy.array([v for _, v in objects], dtype=numpy.float32).reshape(-1, 6)
            labels = [self.class_indexing[name] for name, _ in objects]
            out = [image, numpy.ascontiguousarray(values[:, :4]), _column(labels),
                   _column(values[:, 4]), _column(values[:, 5])]
        if self.extra_metadata:
            out.append(string_array(image_id))
        return tuple(out)

    def __repr__(self):
        return f"{self.owner}(dataset_dir='{self.dataset_dir}', task='{self.task}', usage='{self.usage}')"

    def description(self):
        """The key of this source's rows in a cache (the same in every process)."""
        return (f"{self.owner}(dataset_dir='{os.path.abspath(self.dataset_dir)}', task='{self.task}', "
                f"usage='{self.usage}', decode={self.decode}, extra_metadata={self.extra_metadata}, "
                f"class_indexing={sorted((self.class_indexing or {}).items())})")

    def get_class_indexing(self):
        """{class name: label} of the 'Detection' task."""
        if self.task != "Detection":
            raise NotImplementedError(f"{self.owner}.get_class_indexing: only task 'Detection' has classes, "
                                      f"not '{self.task}'")
        return dict(self.class_indexing)


def voc_list_file(dataset_dir, task, usage):
    """The ImageSets list file of a VOC task and usage."""
    folder = "Segmentation" if task == "Segmentation" else "Main"
    return os.path.join(dataset_dir, "ImageSets", folder, usage + ".txt")
