"""MindRecord: FileWriter/FileReader round trips, the byte layout of header, pages and index, shards,
appending, atomic commits and schema errors (sporen.mindrecord)."""
import os
import sqlite3
import struct

import numpy as np
import pytest

from sporen.mindrecord import FileReader, FileWriter
from sporen.mindrecord import _format

SMALL_HEADER = 1 << 14
SMALL_PAGE = 1 << 15


def _writer(path, shard_num=1, small=True):
    writer = FileWriter(str(path), shard_num=shard_num)
    if small:
        writer.set_header_size(SMALL_HEADER)
        writer.set_page_size(SMALL_PAGE)
    return writer


def _all_types_rows(count):
    rows = []
    for i in range(count):
        rows.append({"i32": i - 3, "i64": (1 << 40) + i, "f32": 0.5 * i, "f64": 0.1 * i,
                     "name": f"sample-{i}-é", "data": bytes(range(i, i + 5)),
                     "a32": np.arange(i, dtype=np.int32) * -70000,
                     "a64": np.full((2, 3), i, dtype=np.int64) << 33,
                     "af32": np.linspace(0, 1, 4, dtype=np.float32).reshape(2, 2) + i,
                     "af64": np.arange(3, dtype=np.float64) / (i + 1)})
    return rows


ALL_TYPES = {"i32": {"type": "int32"}, "i64": {"type": "int64"}, "f32": {"type": "float32"},
             "f64": {"type": "float64"}, "name": {"type": "string"}, "data": {"type": "bytes"},
             "a32": {"type": "int32", "shape": [-1]}, "a64": {"type": "int64", "shape": [2, 3]},
             "af32": {"type": "float32", "shape": [2, 2]}, "af64": {"type": "float64", "shape": [-1]}}


def test_round_trip_every_type(tmp_path):
    path = tmp_path / "all.mindrecord"
    rows = _all_types_rows(7)
    writer = _writer(path)
    assert writer.add_schema(ALL_TYPES, "every type") == 0
    writer.write_raw_data(rows[:4])
    writer.write_raw_data(rows[4:])
    writer.commit()
    reader = FileReader(str(path))
    assert reader.len() == 7
    assert reader.schema() == ALL_TYPES
    got = list(reader.get_next())
    reader.close()
    assert len(got) == 7
    for row, sample in zip(rows, got):
        assert sorted(sample) == sorted(ALL_TYPES)
        assert sample["i32"] == row["i32"] and sample["i64"] == row["i64"]
        assert sample["f32"] == row["f32"] and sample["f64"] == row["f64"]
        assert sample["name"] == row["name"] and sample["data"] == row["data"]
        for name in ("a32", "a64", "af32", "af64"):
            assert sample[name].dtype == np.dtype(ALL_TYPES[name]["type"])
            np.testing.assert_array_equal(sample[name], row[name].reshape(sample[name].shape))
    assert got[2]["a64"].shape == (2, 3)


def test_file_reader_columns_and_errors(tmp_path):
    path = tmp_path / "cols.mindrecord"
    writer = _writer(path)
    writer.add_schema({"label": {"type": "int32"}, "data": {"type": "bytes"}})
    writer.write_raw_data([{"label": 5, "data": b"x"}])
    writer.commit()
    reader = FileReader(str(path), columns=["label"])
    assert list(reader.get_next()) == [{"label": 5}]
    with pytest.raises(ValueError, match="'nope' is not in the schema"):
        FileReader(str(path), columns=["nope"])
    with pytest.raises(TypeError, match="'columns' must be a list"):
        FileReader(str(path), columns="label")
    with pytest.raises(ValueError, match="does not exist"):
        FileReader(str(tmp_path / "missing.mindrecord"))


def test_header_bytes_pages_and_rows_exactly(tmp_path):
    path = tmp_path / "exact.mindrecord"
    writer = _writer(path)
    writer.add_schema({"label": {"type": "int32"}, "data": {"type": "bytes"}}, "my desc")
    writer.write_raw_data([{"label": 1, "data": b"ab"}, {"label": 300, "data": b"xyz"}])
    writer.commit()
    blob = struct.pack("<Q", 2) + b"ab" + struct.pack("<Q", 3) + b"xyz"
    raw1 = bytes([0x81, 0xA5]) + b"label" + bytes([0x01])
    raw2 = bytes([0x81, 0xA5]) + b"label" + bytes([0xCD, 0x01, 0x2C])
    raw = struct.pack("<Q", len(raw1)) + raw1 + struct.pack("<Q", len(raw2)) + raw2
    expected_header = (
        '{"header_size":16384,"index_fields":[{"index_field":"label","schema_id":0}],'
        '"page":[{"end_row_id":2,"page_id":0,"page_size":21,"page_type":"BLOB_DATA","page_type_id":0,'
        '"row_group_ids":[{"id":0,"offset":0}],"shard_id":0,"start_row_id":0},'
        '{"end_row_id":0,"page_id":1,"page_size":34,"page_type":"RAW_DATA","page_type_id":0,'
        '"row_group_ids":[{"id":0,"offset":0}],"shard_id":0,"start_row_id":0}],'
        '"page_size":32768,"compression_size":0,'
        '"schema":[{"blob_fields":["data"],"desc":"my desc","schema":{"data":{"type":"bytes"},'
        '"label":{"type":"int32"}}}],"shard_addresses":["exact.mindrecord"],"shard_id":0,'
        '"statistics":null,"version":"3.0"}').encode()
    content = path.read_bytes()
    assert content[:8] == struct.pack("<Q", len(expected_header))
    assert content[8:8 + len(expected_header)] == expected_header
    assert content[8 + len(expected_header):SMALL_HEADER] == bytes(SMALL_HEADER - 8 - len(expected_header))
    assert content[SMALL_HEADER:SMALL_HEADER + len(blob)] == blob
    raw_at = SMALL_HEADER + SMALL_PAGE
    assert content[raw_at:] == raw
    assert len(content) == raw_at + len(raw)


def test_index_database_tables(tmp_path):
    path = tmp_path / "idx.mindrecord"
    writer = _writer(path)
    writer.add_schema({"label": {"type": "int64"}, "name": {"type": "string"}, "score": {"type": "float32"},
                       "data": {"type": "bytes"}})
    writer.add_index(["name", "label"])
    writer.write_raw_data([{"label": 7, "name": "a", "score": 0.5, "data": b"12"},
                           {"label": 9, "name": "b", "score": 1.5, "data": b"345"}])
    writer.commit()
    connection = sqlite3.connect(str(path) + ".db")
    create = connection.execute("SELECT sql FROM sqlite_master WHERE name='INDEXES'").fetchone()[0]
    assert create == (
        "CREATE TABLE INDEXES(  ROW_ID               INT  NOT NULL, PAGE_ID_RAW          INT  NOT NULL"
        ", PAGE_OFFSET_RAW      INT  NOT NULL, PAGE_OFFSET_RAW_END  INT  NOT NULL"
        ", ROW_GROUP_ID         INT  NOT NULL, PAGE_ID_BLOB         INT  NOT NULL"
        ", PAGE_OFFSET_BLOB     INT  NOT NULL, PAGE_OFFSET_BLOB_END INT  NOT NULL"
        ",INC_0 INT, name_0 TEXT,INC_1 INT, label_0 INTEGER, PRIMARY KEY(ROW_ID,INC_0,INC_1))")
    rows = connection.execute("SELECT ROW_ID, PAGE_ID_RAW, PAGE_OFFSET_RAW, PAGE_OFFSET_RAW_END, ROW_GROUP_ID, "
                              "PAGE_ID_BLOB, PAGE_OFFSET_BLOB, PAGE_OFFSET_BLOB_END, INC_0, name_0, INC_1, "
                              "label_0 FROM INDEXES ORDER BY ROW_ID").fetchall()
    raw_a = len(_format.pack_row({"label": 7, "name": "a", "score": 0.5}))
    raw_b = len(_format.pack_row({"label": 9, "name": "b", "score": 1.5}))
    assert rows == [(0, 1, 0, 8 + raw_a, 0, 0, 0, 10, 0, "a", 0, 7),
                    (1, 1, 8 + raw_a, 16 + raw_a + raw_b, 0, 0, 10, 21, 0, "b", 0, 9)]
    assert connection.execute("SELECT NAME FROM SHARD_NAME").fetchall() == [("idx.mindrecord",)]
    connection.close()


def test_default_index_fields_are_the_scalars(tmp_path):
    path = tmp_path / "default.mindrecord"
    writer = _writer(path)
    writer.add_schema({"b": {"type": "float64"}, "a": {"type": "string"}, "img": {"type": "bytes"},
                       "v": {"type": "int32", "shape": [2]}})
    writer.write_raw_data([{"b": 1.25, "a": "x", "img": b"\x00", "v": np.array([1, 2], np.int32)}])
    writer.commit()
    header = _format.read_header(str(path))
    assert header["index_fields"] == [{"index_field": "a", "schema_id": 0}, {"index_field": "b", "schema_id": 0}]
    assert header["schema"][0]["blob_fields"] == ["img", "v"]
    connection = sqlite3.connect(str(path) + ".db")
    assert connection.execute("SELECT a_0, b_0 FROM INDEXES").fetchall() == [("x", 1.25)]
    connection.close()


def test_messagepack_rows_match_nlohmann_encoding():
    row = {"s": "é", "n": -33, "p": 65536, "f": 0.1, "h": 1.5, "z": 0}
    packed = _format.pack_row(row)
    expected = (bytes([0x86]) + bytes([0xA1]) + b"f" + b"\xcb" + struct.pack(">d", 0.1)
                + bytes([0xA1]) + b"h" + b"\xca" + struct.pack(">f", 1.5)
                + bytes([0xA1]) + b"n" + b"\xd0" + struct.pack(">b", -33)
                + bytes([0xA1]) + b"p" + b"\xce" + struct.pack(">I", 65536)
                + bytes([0xA1]) + b"s" + bytes([0xA2]) + "é".encode()
                + bytes([0xA1]) + b"z" + bytes([0x00]))
    assert packed == expected
    assert _format.unpack_row(packed) == row
    long_text = "x" * 40
    assert _format.pack_row({"t": long_text})[3:5] == bytes([0xD9, 40])


def test_integer_arrays_are_stored_compressed(tmp_path):
    path = tmp_path / "ints.mindrecord"
    writer = _writer(path)
    writer.add_schema({"v": {"type": "int32", "shape": [-1]}})
    writer.write_raw_data([{"v": np.array([1, 300, -70000], dtype=np.int32)}])
    writer.commit()
    content = path.read_bytes()
    # count 3 (big-endian), widths int8/int16/int32 as 2-bit codes 00 01 10 (+ padding), values little-endian
    compressed = (struct.pack(">I", 3) + bytes([0b00011000]) + b"\x01" + struct.pack("<h", 300)
                  + struct.pack("<i", -70000))
    assert content[SMALL_HEADER:SMALL_HEADER + 8 + len(compressed)] == struct.pack("<Q", len(compressed)) + compressed
    assert _format.read_header(str(path))["compression_size"] == 12 - len(compressed)
    # a schema with only blob fields stores the raw row {"id": 0}
    raw_at = SMALL_HEADER + SMALL_PAGE
    assert content[raw_at + 8:] == _format.pack_row({"id": 0})
    sample = next(FileReader(str(path)).get_next())
    np.testing.assert_array_equal(sample["v"], [1, 300, -70000])


def test_compression_round_trip_extremes():
    values = np.array([0, -1, 127, -128, 128, -129, 32767, -32768, 32768, 2 ** 31 - 1, -2 ** 31,
                       2 ** 31, -2 ** 31 - 1, 2 ** 63 - 1, -2 ** 63], dtype=np.int64)
    packed = _format.compress_int(values.tobytes(), "int64")
    assert np.array_equal(np.frombuffer(_format.uncompress_int(packed, "int64"), dtype="<i8"), values)
    assert len(packed) == 4 + 4 + (1 + 1 + 1 + 1 + 2 + 2 + 2 + 2 + 4 + 4 + 4 + 8 + 8 + 8 + 8)


def test_shards_split_rows_and_name_files(tmp_path):
    path = tmp_path / "sh.mindrecord"
    writer = _writer(path, shard_num=3)
    writer.add_schema({"label": {"type": "int32"}})
    writer.write_raw_data([{"label": i} for i in range(10)])
    writer.commit()
    names = sorted(name for name in os.listdir(tmp_path))
    assert names == ["sh.mindrecord0", "sh.mindrecord0.db", "sh.mindrecord1", "sh.mindrecord1.db",
                     "sh.mindrecord2", "sh.mindrecord2.db"]
    header = _format.read_header(str(tmp_path / "sh.mindrecord1"))
    assert header["shard_id"] == 1
    assert header["shard_addresses"] == ["sh.mindrecord0", "sh.mindrecord1", "sh.mindrecord2"]
    everything = [s["label"] for s in FileReader(str(tmp_path / "sh.mindrecord2")).get_next()]
    assert everything == list(range(10))
    one = [s["label"] for s in FileReader([str(tmp_path / "sh.mindrecord1")]).get_next()]
    assert one == [4, 5, 6]


def test_many_writes_over_small_pages_read_back(tmp_path):
    path = tmp_path / "pages.mindrecord"
    writer = _writer(path)
    writer.add_schema({"label": {"type": "int64"}, "text": {"type": "string"}, "data": {"type": "bytes"}})
    rng = np.random.default_rng(0)
    rows = []
    for _ in range(12):
        chunk = []
        for _row in range(int(rng.integers(1, 9))):
            number = len(rows) + len(chunk)
            chunk.append({"label": number, "text": "t" * int(rng.integers(0, 6000)),
                          "data": rng.integers(0, 256, int(rng.integers(0, 9000)), dtype=np.uint8).tobytes()})
        writer.write_raw_data(chunk)
        rows.extend(chunk)
    writer.commit()
    header = _format.read_header(str(path))
    pages = header["page"]
    assert sum(1 for p in pages if p["page_type"] == "BLOB_DATA") > 3
    assert sum(1 for p in pages if p["page_type"] == "RAW_DATA") > 2
    assert all(p["page_size"] <= SMALL_PAGE for p in pages)
    assert [p["page_id"] for p in pages] == list(range(len(pages)))
    got = list(FileReader(str(path)).get_next())
    assert [s["label"] for s in got] == list(range(len(rows)))
    for row, sample in zip(rows, got):
        assert sample["text"] == row["text"] and sample["data"] == row["data"]


def test_append_adds_rows_and_rebuilds_index(tmp_path):
    path = tmp_path / "app.mindrecord"
    writer = _writer(path, shard_num=2)
    writer.add_schema({"label": {"type": "int32"}, "data": {"type": "bytes"}})
    writer.write_raw_data([{"label": i, "data": bytes([i]) * 3} for i in range(5)])
    writer.commit()
    appender = FileWriter.open_for_append(str(tmp_path / "app.mindrecord0"))
    appender.write_raw_data([{"label": i, "data": bytes([i]) * 3} for i in range(5, 9)])
    appender.commit()
    labels = [s["label"] for s in FileReader(str(tmp_path / "app.mindrecord0")).get_next()]
    assert sorted(labels) == list(range(9))
    assert labels == [0, 1, 2, 5, 6, 3, 4, 7, 8]
    with pytest.raises(RuntimeError, match="does not exist"):
        FileWriter.open_for_append(str(tmp_path / "none.mindrecord"))


def test_uncommitted_or_crashed_writes_leave_no_readable_file(tmp_path):
    path = tmp_path / "crash.mindrecord"
    # a forked child writes rows and dies before commit (no clean-up runs)
    pid = os.fork()
    if pid == 0:
        writer = FileWriter(str(path))
        writer.add_schema({"label": {"type": "int32"}})
        writer.write_raw_data([{"label": i} for i in range(100)])
        os._exit(3)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 3
    assert os.listdir(tmp_path) == ["crash.mindrecord.sporen-writing"]
    assert not path.exists() and not (tmp_path / "crash.mindrecord.db").exists()
    with pytest.raises(ValueError, match="does not exist"):
        FileReader(str(path))
    # a truncated data file is refused, not read as complete
    good = tmp_path / "good.mindrecord"
    writer = _writer(good)
    writer.add_schema({"label": {"type": "int32"}})
    writer.write_raw_data([{"label": 1}])
    writer.commit()
    data = good.read_bytes()
    good.chmod(0o600)
    good.write_bytes(data[:40])
    with pytest.raises(ValueError, match="truncated|unreadable"):
        FileReader(str(good))
    good.write_bytes(data[:-3])
    with pytest.raises(ValueError, match="is truncated"):
        FileReader(str(good))


def test_existing_files_and_overwrite(tmp_path):
    path = tmp_path / "ow.mindrecord"
    writer = _writer(path)
    writer.add_schema({"label": {"type": "int32"}})
    writer.write_raw_data([{"label": 1}])
    writer.commit()
    with pytest.raises(RuntimeError, match="already exists"):
        FileWriter(str(path))
    writer = FileWriter(str(path), overwrite=True)
    writer.add_schema({"label": {"type": "int32"}})
    writer.write_raw_data([{"label": 2}])
    writer.commit()
    assert [s["label"] for s in FileReader(str(path)).get_next()] == [2]
    with pytest.raises(RuntimeError, match="committed"):
        writer.write_raw_data([{"label": 3}])


def test_rows_not_matching_the_schema_are_dropped_with_a_warning(tmp_path):
    path = tmp_path / "bad_rows.mindrecord"
    writer = _writer(path)
    writer.add_schema({"label": {"type": "int32"}, "v": {"type": "float32", "shape": [2]}})
    rows = [{"label": 1, "v": np.zeros(2, np.float32)}, {"label": "x", "v": np.zeros(2, np.float32)},
            {"label": 3, "v": np.zeros(3, np.float32)}, {"v": np.zeros(2, np.float32)},
            {"label": 2 ** 40, "v": np.zeros(2, np.float32)}, {"label": 5, "v": np.ones(2, np.float64)}]
    with pytest.warns(UserWarning, match="row 1 is dropped"):
        writer.write_raw_data(rows)
    writer.commit()
    got = list(FileReader(str(path)).get_next())
    assert [s["label"] for s in got] == [1, 5]
    np.testing.assert_array_equal(got[1]["v"], [1.0, 1.0])


@pytest.mark.parametrize("schema, error, message", [
    ({"a": {"type": "int8"}}, ValueError, "has type 'int8'"),
    ({"a": {"type": "string", "shape": [2]}}, ValueError, "cannot have a shape"),
    ({"a": {"type": "int32", "shape": [0]}}, ValueError, "positive ints or -1"),
    ({"a": {"type": "int32", "shape": [-1, -1]}}, ValueError, "at most one -1"),
    ({"a-b": {"type": "int32"}}, ValueError, "must be composed of"),
    ({"a": {"type": "int32", "other": 1}}, ValueError, "may only have 'type' and 'shape'"),
    ({"a": "int32"}, ValueError, "must be a dict with a 'type'"),
    ({}, ValueError, "is empty"),
    ([("a", "int32")], TypeError, "must be a dict"),
])
def test_bad_schemas(tmp_path, schema, error, message):
    writer = FileWriter(str(tmp_path / "s.mindrecord"))
    with pytest.raises(error, match=message):
        writer.add_schema(schema)


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="'shard_num' must be between 1 and 1000"):
        FileWriter(str(tmp_path / "x"), shard_num=0)
    with pytest.raises(ValueError, match="must not contain"):
        FileWriter(str(tmp_path / "a:b"))
    writer = FileWriter(str(tmp_path / "y.mindrecord"))
    with pytest.raises(ValueError, match="multiple of 4 between"):
        writer.set_page_size(1000)
    with pytest.raises(ValueError, match="multiple of 4 between"):
        writer.set_header_size(1 << 28)
    writer.add_schema({"label": {"type": "int32"}, "img": {"type": "bytes"}})
    with pytest.raises(ValueError, match="not a primitive type"):
        writer.add_index(["img"])
    with pytest.raises(ValueError, match="not a field"):
        writer.add_index(["nope"])
    with pytest.raises(TypeError, match="must be a non-empty list"):
        writer.add_index("label")
    with pytest.raises(TypeError, match="must be a list of dict"):
        writer.write_raw_data({"label": 1, "img": b""})
    writer.set_page_size(SMALL_PAGE)
    with pytest.raises(ValueError, match="does not fit in a page"):
        writer.write_raw_data([{"label": 1, "img": b"x" * SMALL_PAGE}])
