"""SummaryRecord's TensorBoard event files: read back by sporen's reader and, when the tensorboard package is
installed, by TensorBoard's own EventAccumulator; torn and damaged files; CRC-32C against known values."""
import io
import os
import struct
import sys

import numpy as np
import pytest

import sporen as ms
from sporen.train.summary import DataLossError, SummaryRecord, read_events, read_records
from sporen.train.summary import crc32c as crc_module
from sporen.train.summary import records as records_module
from sporen.train.summary._values import BUCKET_LIMITS
from sporen.train.summary.summary_record import _cache_summary_tensor_data


def _image_from_png(data):
    from PIL import Image
    return np.array(Image.open(io.BytesIO(data)))


def _write_all_kinds(log_dir, steps=3, **kwargs):
    rng = np.random.default_rng(0)
    written = []
    with SummaryRecord(str(log_dir), **kwargs) as record:
        for step in range(steps):
            values = {
                "loss": np.float32(1.0 / (step + 1)),
                "images": rng.random((2, 3, 4, 5)).astype(np.float32),
                "weights": rng.normal(size=(7, 9)).astype(np.float32),
                "state": np.arange(6, dtype=np.int32).reshape(2, 3) * (step + 1),
            }
            record.add_value("scalar", "loss", ms.Tensor(values["loss"]))
            record.add_value("image", "images", ms.Tensor(values["images"]))
            record.add_value("histogram", "weights", ms.Tensor(values["weights"]))
            record.add_value("tensor", "state", ms.Tensor(values["state"]))
            assert record.record(step * 10) is True
            written.append(values)
        path = record.log_dir
    return path, written


def _expected_canvas(nchw):
    """The 8-per-row RGB canvas MindSpore draws, built pixel block by block."""
    if nchw.shape[1] == 1:
        nchw = np.repeat(nchw, 3, axis=1)
    n, _, h, w = nchw.shape
    cols = min(n, 8)
    rows = (n + cols - 1) // cols
    canvas = np.zeros((h * rows, w * cols, 3))
    for i in range(n):
        r, c = i // cols, i % cols
        canvas[r * h:(r + 1) * h, c * w:(c + 1) * w, :] = nchw[i].transpose(1, 2, 0)
    return canvas


def _expected_histogram(values):
    """Counts per TensorFlow bucket by direct comparison (bucket i: limit[i-1] <= v < limit[i])."""
    counts = {}
    for v in np.asarray(values, np.float64).reshape(-1):
        index = int(np.sum(BUCKET_LIMITS <= v))
        counts[index] = counts.get(index, 0) + 1
    return counts


# ---- CRC-32C ----------------------------------------------------------------------------------------------

def test_crc32c_known_values():
    assert crc_module._pure_crc32c(b"123456789") == 0xE3069283
    assert crc_module._pure_crc32c(b"") == 0
    assert crc_module._pure_crc32c(bytes(32)) == 0x8A9136AA  # RFC 3720 B.4: 32 bytes of zeros
    assert crc_module._pure_crc32c(b"\xff" * 32) == 0x62A8AB43  # RFC 3720 B.4: 32 bytes of 0xff
    assert crc_module._pure_crc32c(bytes(range(32))) == 0x46DD794E  # RFC 3720 B.4: incrementing bytes


@pytest.mark.parametrize("size", [4095, 4096, 4097, 64 * 77 + 13, 200_003])
def test_crc32c_numpy_lanes_match_the_byte_loop(size):
    data = np.random.default_rng(size).integers(0, 256, size, dtype=np.uint8).tobytes()
    expected = crc_module._python_update(0xFFFFFFFF, data) ^ 0xFFFFFFFF
    assert crc_module._numpy_crc(data) == expected
    assert crc_module._pure_crc32c(data) == expected


def test_masked_crc32c_matches_tensorboard():
    stub = pytest.importorskip("tensorboard.compat.tensorflow_stub.pywrap_tensorflow")
    for size in (0, 9, 5000):
        data = np.random.default_rng(size).integers(0, 256, size, dtype=np.uint8).tobytes()
        assert crc_module.masked_crc32c(data) == stub.masked_crc32c(data)


# ---- writing and reading back -----------------------------------------------------------------------------

def test_all_four_kinds_read_back(tmp_path):
    path, written = _write_all_kinds(tmp_path)
    assert os.path.basename(path).startswith("events.out.tfevents.")
    assert path.endswith("_MS")
    events = list(read_events(path))
    assert events[0].file_version == "brain.Event:2"
    assert [e.step for e in events[1:]] == [0, 10, 20]
    for event, values in zip(events[1:], written):
        by_tag = {v.tag: v for v in event.summary.value}
        assert set(by_tag) == {"loss", "images", "weights", "state"}
        assert by_tag["loss"].simple_value == pytest.approx(float(values["loss"]))
        image = by_tag["images"].image
        assert (image.height, image.width, image.colorspace) == (4, 10, 3)
        pixels = _image_from_png(image.encoded_image_string)
        expected = (_expected_canvas(values["images"]) * 255).astype(np.uint8)
        np.testing.assert_array_equal(pixels, expected)
        histo = by_tag["weights"].histo
        weights = values["weights"].astype(np.float64)
        assert histo.num == weights.size
        assert histo.min == pytest.approx(weights.min())
        assert histo.max == pytest.approx(weights.max())
        assert histo.sum == pytest.approx(weights.sum())
        assert histo.sum_squares == pytest.approx((weights ** 2).sum())
        limits = np.array(histo.bucket_limit)
        counts = np.array(histo.bucket)
        assert counts.sum() == weights.size
        expected_counts = _expected_histogram(weights)
        for index, count in expected_counts.items():
            position = int(np.searchsorted(limits, BUCKET_LIMITS[index]))
            assert limits[position] == BUCKET_LIMITS[index]
            assert counts[position] == count
        tensor = by_tag["state"].tensor
        assert tensor.dtype == 3  # DT_INT32
        assert [d.size for d in tensor.tensor_shape.dim] == [2, 3]
        np.testing.assert_array_equal(np.frombuffer(tensor.tensor_content, "<i4").reshape(2, 3), values["state"])


def test_histogram_buckets_collapse_empty_runs_like_tensorflow(tmp_path):
    with SummaryRecord(str(tmp_path)) as record:
        record.add_value("histogram", "h", ms.Tensor(np.array([0.0, 0.0, 1.0, -2.0, np.nan, np.inf])))
        record.record(1)
        path = record.log_dir
    histo = list(read_events(path))[1].summary.value[0].histo
    limits = np.array(histo.bucket_limit)
    counts = np.array(histo.bucket)
    # NaN and infinities are left out; zeros fall in [0, 1e-12), 1.0 and -2.0 in their 1.1-ratio buckets
    assert histo.num == 4 and counts.sum() == 4
    nonzero = limits[counts > 0]
    assert list(counts[counts > 0]) == [1, 2, 1]
    assert nonzero[0] > -2.0 and nonzero[0] / -2.0 > 1 / 1.1 - 1e-12
    assert nonzero[1] == pytest.approx(1e-12)
    assert 1.0 < nonzero[2] <= 1.1 + 1e-9
    # between non-empty buckets, each run of empty buckets is one entry with count 0
    assert np.all((counts[1:] > 0) | (counts[:-1] > 0))
    assert limits[-1] == sys.float_info.max


def test_default_bucket_limits_are_tensorflows():
    positive = BUCKET_LIMITS[BUCKET_LIMITS > 0]
    assert positive[0] == 1e-12
    np.testing.assert_allclose(positive[1:-1] / positive[:-2], 1.1)
    assert positive[-2] >= 1e20 / 1.1 and positive[-2] < 1e20
    assert positive[-1] == sys.float_info.max
    np.testing.assert_array_equal(BUCKET_LIMITS[BUCKET_LIMITS < 0][::-1], -positive)
    assert np.count_nonzero(BUCKET_LIMITS == 0) == 1


def test_grayscale_and_uint8_images(tmp_path):
    gray = np.random.default_rng(1).random((10, 1, 3, 2)).astype(np.float32)
    colour = np.random.default_rng(2).integers(0, 256, (1, 3, 2, 2), dtype=np.uint8)
    with SummaryRecord(str(tmp_path)) as record:
        record.add_value("image", "gray", ms.Tensor(gray))
        record.add_value("image", "colour", ms.Tensor(colour))
        record.record(0)
        path = record.log_dir
    values = {v.tag: v.image for v in list(read_events(path))[1].summary.value}
    assert (values["gray"].height, values["gray"].width) == (6, 16)  # 10 images: two rows of eight
    np.testing.assert_array_equal(_image_from_png(values["gray"].encoded_image_string),
                                  (_expected_canvas(gray) * 255).astype(np.uint8))
    np.testing.assert_array_equal(_image_from_png(values["colour"].encoded_image_string),
                                  colour[0].transpose(1, 2, 0))


@pytest.mark.parametrize("dtype,code", [(np.float32, 1), (np.float64, 2), (np.int64, 9), (np.bool_, 10),
                                        (np.float16, 19), (np.uint8, 4)])
def test_tensor_dtypes(tmp_path, dtype, code):
    array = (np.arange(12).reshape(3, 4) % 3).astype(dtype)
    with SummaryRecord(str(tmp_path)) as record:
        record.add_value("tensor", "t", ms.Tensor(array))
        record.record(5)
        path = record.log_dir
    tensor = list(read_events(path))[1].summary.value[0].tensor
    assert tensor.dtype == code
    np.testing.assert_array_equal(np.frombuffer(tensor.tensor_content, array.dtype).reshape(3, 4), array)


# ---- TensorBoard's own reader -----------------------------------------------------------------------------

def test_tensorboard_event_accumulator_reads_our_file(tmp_path):
    accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    tensor_util = pytest.importorskip("tensorboard.util.tensor_util")
    path, written = _write_all_kinds(tmp_path)
    acc = accumulator.EventAccumulator(str(tmp_path), size_guidance={"scalars": 0, "images": 0, "histograms": 0,
                                                                      "tensors": 0})
    acc.Reload()
    tags = acc.Tags()
    assert tags["scalars"] == ["loss"] and tags["images"] == ["images"]
    assert tags["histograms"] == ["weights"] and tags["tensors"] == ["state"]
    scalars = acc.Scalars("loss")
    assert [s.step for s in scalars] == [0, 10, 20]
    np.testing.assert_allclose([s.value for s in scalars], [float(v["loss"]) for v in written], rtol=1e-6)
    for image, values in zip(acc.Images("images"), written):
        assert (image.height, image.width) == (4, 10)
        np.testing.assert_array_equal(_image_from_png(image.encoded_image_string),
                                      (_expected_canvas(values["images"]) * 255).astype(np.uint8))
    for histogram, values in zip(acc.Histograms("weights"), written):
        assert histogram.histogram_value.num == values["weights"].size
        assert histogram.histogram_value.max == pytest.approx(float(values["weights"].max()))
        assert sum(histogram.histogram_value.bucket) == values["weights"].size
    for tensor, values in zip(acc.Tensors("state"), written):
        np.testing.assert_array_equal(tensor_util.make_ndarray(tensor.tensor_proto), values["state"])


def test_our_protos_are_tensorboards_on_the_wire(tmp_path):
    event_pb2 = pytest.importorskip("tensorboard.compat.proto.event_pb2")
    path, _ = _write_all_kinds(tmp_path, steps=1)
    for data in read_records(path):
        theirs = event_pb2.Event.FromString(data)
        assert theirs.SerializeToString() == data


# ---- torn and damaged files -------------------------------------------------------------------------------

def _frame_offsets(path):
    offsets = [0]
    with open(path, "rb") as f:
        data = f.read()
    while offsets[-1] < len(data):
        length = struct.unpack("<Q", data[offsets[-1]:offsets[-1] + 8])[0]
        offsets.append(offsets[-1] + 12 + length + 4)
    return offsets, data


def test_a_file_cut_mid_frame_reads_up_to_the_last_whole_frame(tmp_path):
    path, _ = _write_all_kinds(tmp_path / "log", steps=3)
    offsets, data = _frame_offsets(path)
    assert len(offsets) == 5  # version event + 3 steps
    last_start = offsets[3]
    cuts = sorted({last_start + 1, last_start + 8, last_start + 11, last_start + 12, last_start + 100,
                   len(data) - 4, len(data) - 1})
    for cut in cuts:
        torn = tmp_path / f"torn_{cut}"
        torn.write_bytes(data[:cut])
        steps = [e.step for e in read_events(str(torn))]
        assert steps == [0, 0, 10], cut


def test_tensorboard_reads_a_torn_file(tmp_path):
    accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    path, _ = _write_all_kinds(tmp_path / "log", steps=3)
    offsets, data = _frame_offsets(path)
    torn = tmp_path / "torn" / "events.out.tfevents.1.host"
    torn.parent.mkdir()
    torn.write_bytes(data[:offsets[3] + 20])
    acc = accumulator.EventAccumulator(str(torn.parent))
    acc.Reload()
    assert [s.step for s in acc.Scalars("loss")] == [0, 10]


@pytest.mark.parametrize("where", ["length", "length_crc", "data", "data_crc"])
def test_crc_mismatch_is_detected(tmp_path, where):
    path, _ = _write_all_kinds(tmp_path / "log", steps=3)
    offsets, data = _frame_offsets(path)
    start = offsets[2]
    position = {"length": start + 2, "length_crc": start + 9, "data": start + 40,
                "data_crc": offsets[3] - 2}[where]
    damaged = bytearray(data)
    damaged[position] ^= 0x10
    bad = tmp_path / "bad"
    bad.write_bytes(bytes(damaged))
    reader = read_events(str(bad))
    assert next(reader).file_version == "brain.Event:2"
    assert next(reader).step == 0
    with pytest.raises(DataLossError, match=f"byte {start}"):
        next(reader)


def test_failed_write_is_cut_back_to_whole_frames(tmp_path, monkeypatch):
    record = SummaryRecord(str(tmp_path), raise_exception=True)
    record.add_value("scalar", "a", ms.Tensor(1.0))
    record.record(1)
    size = os.path.getsize(record.log_dir)
    real_write = os.write

    def half_then_fail(fd, data):
        real_write(fd, bytes(data[:len(data) // 2]))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(records_module.os, "write", half_then_fail)
    record.add_value("scalar", "a", ms.Tensor(2.0))
    with pytest.raises(OSError):
        record.record(2)
    assert os.path.getsize(record.log_dir) == size
    monkeypatch.setattr(records_module.os, "write", real_write)
    record.add_value("scalar", "a", ms.Tensor(3.0))
    record.record(3)
    record.close()
    assert [(e.step, e.summary.value[0].simple_value) for e in list(read_events(record.log_dir))[1:]] == \
        [(1, 1.0), (3, 3.0)]


def test_failed_write_without_raise_exception_logs_and_continues(tmp_path, monkeypatch, caplog):
    record = SummaryRecord(str(tmp_path))

    def fail(fd, data):
        raise OSError(5, "I/O error")

    monkeypatch.setattr(records_module.os, "write", fail)
    record.add_value("scalar", "a", ms.Tensor(1.0))
    assert record.record(1) is True
    assert "writing step 1 failed" in caplog.text
    monkeypatch.undo()
    record.close()


# ---- file size limit and naming ---------------------------------------------------------------------------

def test_max_file_size_rolls_files(tmp_path):
    weights = np.random.default_rng(3).normal(size=(64,)).astype(np.float32)
    with SummaryRecord(str(tmp_path), file_prefix="run", file_suffix="_x", max_file_size=900) as record:
        first = record.log_dir
        for step in range(12):
            record.add_value("tensor", "w", ms.Tensor(weights + step))
            record.record(step)
        last = record.log_dir
    files = sorted(name for name in os.listdir(tmp_path) if ".out.tfevents." in name)
    assert len(files) > 2
    assert os.path.basename(first) == files[0] and os.path.basename(last) == files[-1]
    for name in files:
        assert name.startswith("run.out.tfevents.") and name.endswith("_x")
        assert os.path.getsize(tmp_path / name) <= 900
        assert next(read_events(str(tmp_path / name))).file_version == "brain.Event:2"
    steps = [e.step for e in read_events(str(tmp_path)) if e.HasField("summary")]
    assert steps == list(range(12))
    tensors = [np.frombuffer(e.summary.value[0].tensor.tensor_content, np.float32)
               for e in read_events(str(tmp_path)) if e.HasField("summary")]
    np.testing.assert_allclose(tensors[7], weights + 7)


# ---- the API ----------------------------------------------------------------------------------------------

def test_add_value_and_record_errors(tmp_path):
    with SummaryRecord(str(tmp_path)) as record:
        with pytest.raises(ValueError, match="No such plugin"):
            record.add_value("audio", "a", ms.Tensor(1.0))
        with pytest.raises(ValueError, match="tag name"):
            record.add_value("scalar", "", ms.Tensor(1.0))
        with pytest.raises(TypeError, match="Tensor"):
            record.add_value("scalar", "a", 1.0)
        with pytest.raises(ValueError, match="one value"):
            record.add_value("scalar", "a", ms.Tensor(np.zeros(2)))
        with pytest.raises(ValueError, match="image"):
            record.add_value("image", "a", ms.Tensor(np.zeros((2, 2, 4, 4))))
        with pytest.raises(ValueError, match="scalar"):
            record.add_value("histogram", "a", ms.Tensor(1.0))
        with pytest.raises(TypeError, match="step"):
            record.record(1.5)
        with pytest.raises(TypeError, match="train_network"):
            record.record(1, train_network=object())
        with pytest.raises(ValueError, match="mode"):
            record.set_mode("test")
    assert record.record(3) is False
    with pytest.raises(ValueError, match="closed"):
        record.__enter__()
    with pytest.raises(TypeError):
        SummaryRecord(str(tmp_path), max_file_size="1")
    with pytest.raises(TypeError, match="log_dir"):
        SummaryRecord(3)
    with pytest.raises(ValueError, match="log_dir"):
        SummaryRecord("")
    with pytest.raises(ValueError):
        SummaryRecord(str(tmp_path), file_prefix="a/b")
    with pytest.raises(ValueError, match="export_options"):
        SummaryRecord(str(tmp_path), export_options={"image_format": "png"})


def test_duplicate_tag_keeps_the_newest_and_plugin_filter(tmp_path):
    with SummaryRecord(str(tmp_path)) as record:
        record.add_value("scalar", "a", ms.Tensor(1.0))
        record.add_value("scalar", "a", ms.Tensor(2.0))
        record.add_value("tensor", "t", ms.Tensor(np.ones(2)))
        record.record(1, plugin_filter=lambda plugin: plugin == "scalar")
        record.add_value("tensor", "t2", ms.Tensor(np.ones(2)))
        record.record(2, plugin_filter=lambda plugin: plugin == "scalar")  # nothing left to write
        path = record.log_dir
    events = list(read_events(path))[1:]
    assert len(events) == 1
    assert [(v.tag, v.simple_value) for v in events[0].summary.value] == [("a", 2.0)]


def test_summary_operator_values_recorded_in_train_mode_only(tmp_path):
    with SummaryRecord(str(tmp_path)) as record:
        _cache_summary_tensor_data([{"name": "acc[:Scalar]", "data": ms.Tensor(0.75)},
                                    {"name": "w[:Histogram]", "data": ms.Tensor(np.arange(4.0))}])
        record.record(1)
        record.set_mode("eval")
        _cache_summary_tensor_data([{"name": "acc[:Scalar]", "data": ms.Tensor(0.5)}])
        record.record(2)
        path = record.log_dir
    events = list(read_events(path))[1:]
    assert [e.step for e in events] == [1]
    values = {v.tag: v for v in events[0].summary.value}
    assert values["acc"].simple_value == 0.75
    assert values["w"].histo.num == 4


def test_lineage_file_and_npy_export(tmp_path):
    import json

    with SummaryRecord(str(tmp_path), export_options={"tensor_format": "npy"}) as record:
        record.add_value("custom_lineage_data", "info", {"lr": 0.01, "model": "LeNet"})
        record.add_value("tensor", "w/0", ms.Tensor(np.arange(3.0)))
        record.record(4)
    lineage = [name for name in os.listdir(tmp_path) if name.endswith("_lineage")]
    assert len(lineage) == 1 and ".out.lineage." in lineage[0]
    events = list(read_events(str(tmp_path / lineage[0])))
    value = events[1].summary.value[0]
    assert value.tag == "custom_lineage_data" and value.metadata.plugin_data.plugin_name == "sporen_lineage"
    assert json.loads(value.tensor.string_val[0]) == {"lr": 0.01, "model": "LeNet"}
    exported = [p for p in tmp_path.rglob("*.npy")]
    assert [p.name for p in exported] == ["w_0_4.npy"]
    np.testing.assert_array_equal(np.load(exported[0]), np.arange(3.0))


def test_exported_from_train():
    from sporen import train
    assert train.SummaryRecord is SummaryRecord


def test_tensorboard_plugin_accumulator_sees_scalars_images_histograms(tmp_path):
    # the path TensorBoard's dashboards read through: legacy summaries migrated to the plugins' tensors
    plugin_accumulator = pytest.importorskip("tensorboard.backend.event_processing.plugin_event_accumulator")
    tensor_util = pytest.importorskip("tensorboard.util.tensor_util")
    _, written = _write_all_kinds(tmp_path)
    acc = plugin_accumulator.EventAccumulator(str(tmp_path), size_guidance={"tensors": 0})
    acc.Reload()
    plugins = {tag: acc.SummaryMetadata(tag).plugin_data.plugin_name for tag in ("loss", "images", "weights")}
    assert plugins == {"loss": "scalars", "images": "images", "weights": "histograms"}
    losses = [float(tensor_util.make_ndarray(e.tensor_proto)) for e in acc.Tensors("loss")]
    np.testing.assert_allclose(losses, [float(v["loss"]) for v in written], rtol=1e-6)
    for event, values in zip(acc.Tensors("weights"), written):
        buckets = tensor_util.make_ndarray(event.tensor_proto)  # rows of (left edge, right edge, count)
        assert buckets[:, 2].sum() == values["weights"].size


_WRITER_SCRIPT = """
import sys
import numpy as np
import sporen as ms
from sporen.train.summary import SummaryRecord
record = SummaryRecord(sys.argv[1])
print(record.log_dir, flush=True)
weights = np.random.default_rng(0).normal(size=(256, 256)).astype(np.float32)
step = 0
while True:
    record.add_value("scalar", "loss", ms.Tensor(np.float32(step)))
    record.add_value("tensor", "w", ms.Tensor(weights))
    record.record(step)
    if step == 5:
        print("ready", flush=True)
    step += 1
"""


def test_a_killed_writer_leaves_a_file_that_reads(tmp_path):
    import signal
    import subprocess

    process = subprocess.Popen([sys.executable, "-c", _WRITER_SCRIPT, str(tmp_path)], stdout=subprocess.PIPE,
                               text=True)
    try:
        path = process.stdout.readline().strip()
        assert process.stdout.readline().strip() == "ready"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    steps = [e.step for e in read_events(path) if e.HasField("summary")]
    assert len(steps) >= 6
    assert steps == list(range(len(steps)))
    events = [e for e in read_events(path) if e.HasField("summary")]
    values = {v.tag: v for v in events[-1].summary.value}
    assert values["loss"].simple_value == steps[-1]
    assert len(values["w"].tensor.tensor_content) == 256 * 256 * 4


def test_network_graph_is_recorded_once_after_it_ran_compiled(tmp_path):
    from sporen import nn
    from sporen.train.summary._event_pb2 import GraphDef

    mode = ms.get_context("mode")
    ms.set_context(mode=ms.GRAPH_MODE)
    try:
        net = nn.SequentialCell([nn.Dense(4, 3), nn.ReLU()])
        with SummaryRecord(str(tmp_path), network=net) as record:
            record.record(0)  # not compiled yet: no graph
            out = net(ms.Tensor(np.ones((2, 4), np.float32)))
            record.record(1)
            record.record(2)
            path = record.log_dir
    finally:
        ms.set_context(mode=mode)
    assert out.shape == (2, 3)
    kinds = [(e.step, e.WhichOneof("what")) for e in read_events(path)]
    assert kinds == [(0, "file_version"), (1, "graph_def")]
    graph = GraphDef.FromString(list(read_events(path))[1].graph_def)
    nodes = {n.name: n for n in graph.node}
    ops = [n.op for n in graph.node]
    assert ops.count("Parameter") == 3 and ops[-3:] == ["matmul", "add", "relu"]
    matmul = next(n for n in graph.node if n.op == "matmul")
    assert all(name in nodes for name in matmul.input) and len(matmul.input) == 2
    assert [d.size for d in matmul.attr["_output_shapes"].list.shape[0].dim] == [2, 3]
    relu = next(n for n in graph.node if n.op == "relu")
    assert nodes[relu.input[0]].op == "add"
    accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    acc = accumulator.EventAccumulator(str(tmp_path))
    acc.Reload()
    assert [n.op for n in acc.Graph().node] == ops


def test_add_value_graph_takes_an_ir_graph(tmp_path):
    from sporen.ir.graph import Graph, Node, Var
    from sporen.ops.registry import get_op
    from sporen.train.summary._event_pb2 import GraphDef

    x = Var((3,), np.float32, hint="x")
    y = Var((3,), np.float32)
    graph = Graph("g", [x], [Node(get_op("neg"), [x], {}, [y])], [y])
    with SummaryRecord(str(tmp_path)) as record:
        with pytest.raises(TypeError, match="Graph"):
            record.add_value("graph", "g", "not a graph")
        record.add_value("graph", "g", graph)
        record.record(0)
        path = record.log_dir
    written = GraphDef.FromString(list(read_events(path))[1].graph_def)
    assert [(n.name, n.op, list(n.input)) for n in written.node] == [("g/x_0", "Parameter", []),
                                                                      ("g/neg_1", "neg", ["g/x_0"])]
