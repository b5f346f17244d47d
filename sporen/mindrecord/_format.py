"""The MindRecord byte format: schema rules, the JSON header, MessagePack rows and blob packing.

What was read in MindSpore's sources (mindspore/ccsrc/minddata/mindrecord/ and
mindspore/python/mindspore/mindrecord/) and reproduced here:

- shard_header.cc SerializeHeader: a data file starts with the header length as a little-endian
  uint64, then the header JSON with the top-level keys in this fixed order: header_size,
  index_fields, page, page_size, compression_size, schema, shard_addresses, shard_id, statistics,
  version ("3.0"). Nested objects are dumped by nlohmann::json, whose objects are std::maps: keys
  sorted, no spaces, non-ASCII written as UTF-8. An empty list dumps as ``null`` (statistics, and
  index_fields when there is none).
- shard_page.cc GetPage: a page is {end_row_id, page_id, page_size, page_type ("RAW_DATA" /
  "BLOB_DATA"), page_type_id, row_group_ids [{id, offset}], shard_id, start_row_id}; an empty
  row_group_ids list is written as [{"id": 0, "offset": 0}]. Page ``i`` starts at byte
  header_size + i * page_size.
- shard_schema.cc: the schema keeps the user's dict (keys sorted); blob_fields are the fields of
  type bytes or with a shape, in key order.
- shard_writer.cc FlushRawChunk/FlushBlobChunk: a raw row is a little-endian uint64 length and the
  MessagePack of the row's non-blob fields (nlohmann::json::to_msgpack: smallest integer
  encoding, float32 when a double is exactly a float, str8/16/32, fixmap/map16/map32); a blob row
  is a little-endian uint64 length and the blob. Rows with no blob field get 4 zero bytes; rows
  with only blob fields get the raw row {"id": 0}.
- shardwriter.py _merge_blob: one blob field is stored bare; several are each prefixed with
  their length as a big-endian uint64, in blob_fields order.
- shard_column.cc CompressBlob/CompressInt: when the schema has an int32/int64 array field, such
  arrays are stored compressed: a big-endian uint32 element count, a bitmap of 2 bits per element
  (most significant pair first: 0 int8, 1 int16, 2 int32, 3 int64) and each element little-endian
  in its smallest signed width; the header's compression_size counts the bytes saved.

Not verified, or unknown:
- no file written by MindSpore itself was available offline to compare bytes with;
- the float32 MessagePack choice follows nlohmann 3.9+ (MindSpore 2.x builds with 3.10/3.12;
  older builds used 3.6/3.7, which always wrote float64); readers accept either width;
- how pybind's ToJsonImpl turns Python ints into JSON (signed here: non-negative ints take the
  unsigned encodings, which nlohmann writes the same way for signed and unsigned values) was not
  read;
- statistics are never written (MindSpore's Python writer adds none);
- the newest Python FileWriter (parallel writing in worker processes) was not read; the stored
  versions read write through ShardWriter as above.
"""
import json
import re
import struct

import numpy as np

VERSION = "3.0"
PAGE_TYPE_RAW = "RAW_DATA"
PAGE_TYPE_BLOB = "BLOB_DATA"
DEFAULT_HEADER_SIZE = 1 << 24
DEFAULT_PAGE_SIZE = 1 << 25
MIN_HEADER_SIZE = 1 << 14
MAX_HEADER_SIZE = 1 << 27
MIN_PAGE_SIZE = 1 << 15
MAX_PAGE_SIZE = 1 << 28
MIN_SHARD_COUNT = 1
MAX_SHARD_COUNT = 1000
FIELD_TYPES = ("int32", "int64", "float32", "float64", "string", "bytes")
ARRAY_TYPES = ("int32", "int64", "float32", "float64")
SCALAR_TYPES = ("string", "int32", "int64", "float32", "float64")
SQL_TYPES = {"string": "TEXT", "int32": "INTEGER", "int64": "INTEGER",
             "float32": "NUMERIC", "float64": "NUMERIC", "bytes": "BLOB"}
_FIELD_NAME = re.compile(r"^[0-9a-zA-Z_]+$")
_U64 = struct.Struct("<Q")
_FLOAT32_MAX = float(np.finfo(np.float32).max)
_FLOAT32_MIN = -_FLOAT32_MAX


# ----------------------------------------------------------------------------------- schema

def validate_schema(content):
    """Check a FileWriter schema dict by MindSpore's rules; raise ValueError/TypeError naming the field."""
    if not isinstance(content, dict):
        raise TypeError(f"FileWriter.add_schema: 'content' must be a dict, got {type(content).__name__}")
    if not content:
        raise ValueError("FileWriter.add_schema: 'content' is empty")
    for name, spec in content.items():
        if not isinstance(name, str) or not _FIELD_NAME.match(name):
            raise ValueError(f"FileWriter.add_schema: field {name!r} must be composed of "
                             "'0-9' or 'a-z' or 'A-Z' or '_'")
        if not isinstance(spec, dict) or "type" not in spec:
            raise ValueError(f"FileWriter.add_schema: field {name!r} must be a dict with a 'type', got {spec!r}")
        kind = spec["type"]
        if kind not in FIELD_TYPES:
            raise ValueError(f"FileWriter.add_schema: field {name!r} has type {kind!r}, "
                             f"expected one of {list(FIELD_TYPES)}")
        if len(spec) == 1:
            continue
        if len(spec) != 2 or "shape" not in spec:
            raise ValueError(f"FileWriter.add_schema: field {name!r} may only have 'type' and 'shape', got {spec!r}")
        if kind not in ARRAY_TYPES:
            raise ValueError(f"FileWriter.add_schema: field {name!r} of type {kind!r} cannot have a shape "
                             f"(arrays are {list(ARRAY_TYPES)})")
        shape = spec["shape"]
        if not isinstance(shape, list) or not shape:
            raise ValueError(f"FileWriter.add_schema: field {name!r} 'shape' must be a non-empty list, got {shape!r}")
        for dim in shape:
            if type(dim) is not int or dim == 0 or dim < -1:
                raise ValueError(f"FileWriter.add_schema: field {name!r} 'shape' entries must be positive "
                                 f"ints or -1, got {shape!r}")
        if shape.count(-1) > 1:
            raise ValueError(f"FileWriter.add_schema: field {name!r} 'shape' may have at most one -1, got {shape!r}")


def blob_fields_of(schema):
    """The fields stored in the blob (bytes, or with a shape), in sorted key order as MindSpore keeps them."""
    fields = []
    for name in sorted(schema):
        spec = schema[name]
        if spec["type"] == "bytes" or "shape" in spec:
            fields.append(name)
    return fields


def default_index_fields(schema):
    """The fields MindSpore indexes when add_index was not called: every scalar non-bytes field."""
    return [name for name in sorted(schema)
            if schema[name]["type"] in SCALAR_TYPES and "shape" not in schema[name]]


def has_integer_array(schema):
    """Whether blobs are stored compressed (the schema has an int32/int64 field with a shape)."""
    return any("shape" in spec and spec["type"] in ("int32", "int64") for spec in schema.values())


# ----------------------------------------------------------------------------------- header JSON

def dump_json(value):
    """nlohmann::json::dump(): compact, keys sorted, UTF-8 kept, empty list/None written as null."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def _json_list(items):
    if not items:
        return "null"
    return dump_json(items)


def page_json(page):
    """One page's JSON object (a dict with MindSpore's keys); empty row groups become [{id 0, offset 0}]."""
    groups = page["row_group_ids"]
    if not groups:
        groups = [(0, 0)]
    return {"end_row_id": page["end_row_id"], "page_id": page["page_id"], "page_size": page["page_size"],
            "page_type": page["page_type"], "page_type_id": page["page_type_id"],
            "row_group_ids": [{"id": gid, "offset": off} for gid, off in groups],
            "shard_id": page["shard_id"], "start_row_id": page["start_row_id"]}


def serialize_header(meta, shard_id):
    """The header text of one shard file, byte for byte as ShardHeader::SerializeHeader writes it."""
    schema_json = [{"blob_fields": meta["blob_fields"], "desc": meta["desc"], "schema": meta["schema"]}]
    index = [{"index_field": name, "schema_id": 0} for name in meta["index_fields"]]
    pages = [page_json(p) for p in meta["pages"][shard_id]]
    parts = ["{\"header_size\":" + str(meta["header_size"]),
             "\"index_fields\":" + _json_list(index),
             "\"page\":" + _json_list(pages),
             "\"page_size\":" + str(meta["page_size"]),
             "\"compression_size\":" + str(meta["compression_size"]),
             "\"schema\":" + dump_json(schema_json),
             "\"shard_addresses\":" + dump_json(meta["shard_addresses"]),
             "\"shard_id\":" + str(shard_id),
             "\"statistics\":null",
             "\"version\":\"" + VERSION + "\"}"]
    return ",".join(parts)


def parse_page(obj):
    """A page dict from its header JSON object."""
    groups = [(int(g["id"]), int(g["offset"])) for g in (obj.get("row_group_ids") or [])]
    return {"page_id": int(obj["page_id"]), "shard_id": int(obj["shard_id"]), "page_type": obj["page_type"],
            "page_type_id": int(obj["page_type_id"]), "start_row_id": int(obj["start_row_id"]),
            "end_row_id": int(obj["end_row_id"]), "row_group_ids": groups, "page_size": int(obj["page_size"])}


def read_header(path):
    """The parsed header JSON of a MindRecord file; ValueError when it is not a complete MindRecord file."""
    with open(path, "rb") as handle:
        head = handle.read(8)
        if len(head) < 8:
            raise ValueError(f"MindRecord: {path!r} is not a MindRecord file (shorter than 8 bytes)")
        (length,) = _U64.unpack(head)
        if length > MAX_HEADER_SIZE or length == 0:
            raise ValueError(f"MindRecord: {path!r} is not a MindRecord file (header length {length})")
        text = handle.read(length)
    if len(text) != length:
        raise ValueError(f"MindRecord: {path!r} is truncated (header of {length} bytes, read {len(text)})")
    try:
        header = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"MindRecord: {path!r} has an unreadable header: {exc}") from None
    if not isinstance(header, dict) or header.get("version") not in ("2.0", "3.0"):
        raise ValueError(f"MindRecord: {path!r} has no supported header version")
    return header


# ----------------------------------------------------------------------------------- MessagePack

def _pack_int(value, out):
    if value >= 0:
        if value < 128:
            out.append(value)
        elif value <= 0xFF:
            out += b"\xcc" + struct.pack(">B", value)
        elif value <= 0xFFFF:
            out += b"\xcd" + struct.pack(">H", value)
        elif value <= 0xFFFFFFFF:
            out += b"\xce" + struct.pack(">I", value)
        else:
            out += b"\xcf" + struct.pack(">Q", value)
    elif value >= -32:
        out += struct.pack(">b", value)
    elif value >= -128:
        out += b"\xd0" + struct.pack(">b", value)
    elif value >= -32768:
        out += b"\xd1" + struct.pack(">h", value)
    elif value >= -(1 << 31):
        out += b"\xd2" + struct.pack(">i", value)
    else:
        out += b"\xd3" + struct.pack(">q", value)


def _pack_str(text, out):
    data = text.encode("utf-8")
    size = len(data)
    if size <= 31:
        out.append(0xA0 | size)
    elif size <= 0xFF:
        out += b"\xd9" + struct.pack(">B", size)
    elif size <= 0xFFFF:
        out += b"\xda" + struct.pack(">H", size)
    else:
        out += b"\xdb" + struct.pack(">I", size)
    out += data


def _pack(value, out):
    if value is None:
        out.append(0xC0)
    elif value is True:
        out.append(0xC3)
    elif value is False:
        out.append(0xC2)
    elif isinstance(value, int):
        _pack_int(value, out)
    elif isinstance(value, float):
        # nlohmann writes float32 when the double is within float range and survives the round
        # trip (write_compact_float); NaN and infinities stay float64
        if _FLOAT32_MIN <= value <= _FLOAT32_MAX and float(np.float32(value)) == value:
            out += b"\xca" + struct.pack(">f", value)
        else:
            out += b"\xcb" + struct.pack(">d", value)
    elif isinstance(value, str):
        _pack_str(value, out)
    elif isinstance(value, dict):
        size = len(value)
        if size <= 15:
            out.append(0x80 | size)
        elif size <= 0xFFFF:
            out += b"\xde" + struct.pack(">H", size)
        else:
            out += b"\xdf" + struct.pack(">I", size)
        for key in sorted(value):
            _pack_str(key, out)
            _pack(value[key], out)
    else:
        raise TypeError(f"MindRecord: cannot store a value of type {type(value).__name__} in a raw field")


def pack_row(row):
    """The MessagePack bytes of a raw row dict (keys sorted, as nlohmann's std::map orders them)."""
    out = bytearray()
    _pack(row, out)
    return bytes(out)


_FIXED = {0xCC: ">B", 0xCD: ">H", 0xCE: ">I", 0xCF: ">Q", 0xD0: ">b", 0xD1: ">h", 0xD2: ">i", 0xD3: ">q",
          0xCA: ">f", 0xCB: ">d"}


def _unpack(data, pos):
    byte = data[pos]
    pos += 1
    if byte < 0x80:
        return byte, pos
    if byte >= 0xE0:
        return byte - 0x100, pos
    if 0xA0 <= byte <= 0xBF:
        size = byte & 0x1F
        return data[pos:pos + size].decode("utf-8"), pos + size
    if 0x80 <= byte <= 0x8F:
        return _unpack_map(data, pos, byte & 0x0F)
    if 0x90 <= byte <= 0x9F:
        return _unpack_array(data, pos, byte & 0x0F)
    if byte in _FIXED:
        fmt = _FIXED[byte]
        size = struct.calcsize(fmt)
        value = struct.unpack_from(fmt, data, pos)[0]
        return value, pos + size
    if byte == 0xC0:
        return None, pos
    if byte == 0xC2:
        return False, pos
    if byte == 0xC3:
        return True, pos
    if byte in (0xD9, 0xDA, 0xDB, 0xC4, 0xC5, 0xC6):
        fmt = {0xD9: ">B", 0xDA: ">H", 0xDB: ">I", 0xC4: ">B", 0xC5: ">H", 0xC6: ">I"}[byte]
        size = struct.unpack_from(fmt, data, pos)[0]
        pos += struct.calcsize(fmt)
        chunk = data[pos:pos + size]
        if byte in (0xD9, 0xDA, 0xDB):
            return chunk.decode("utf-8"), pos + size
        return bytes(chunk), pos + size
    if byte in (0xDE, 0xDF):
        fmt = ">H" if byte == 0xDE else ">I"
        size = struct.unpack_from(fmt, data, pos)[0]
        return _unpack_map(data, pos + struct.calcsize(fmt), size)
    if byte in (0xDC, 0xDD):
        fmt = ">H" if byte == 0xDC else ">I"
        size = struct.unpack_from(fmt, data, pos)[0]
        return _unpack_array(data, pos + struct.calcsize(fmt), size)
    raise ValueError(f"MindRecord: unsupported MessagePack byte 0x{byte:02x} in a raw row")


def _unpack_map(data, pos, size):
    result = {}
    for _ in range(size):
        key, pos = _unpack(data, pos)
        value, pos = _unpack(data, pos)
        result[key] = value
    return result, pos


def _unpack_array(data, pos, size):
    result = []
    for _ in range(size):
        value, pos = _unpack(data, pos)
        result.append(value)
    return result, pos


def unpack_row(data):
    """The raw row dict of MessagePack bytes."""
    value, _ = _unpack(data, 0)
    return value


# ----------------------------------------------------------------------------------- blobs

def field_bytes(name, spec, value):
    """The bytes one blob field stores: bytes as given, an array cast to its schema dtype."""
    if spec["type"] == "bytes":
        return bytes(value)
    return np.ascontiguousarray(value, dtype=spec["type"]).tobytes()


def merge_blob(schema, blob_fields, row):
    """A row's blob: one field bare, several each behind a big-endian uint64 length (_merge_blob)."""
    if len(blob_fields) == 1:
        name = blob_fields[0]
        return field_bytes(name, schema[name], row[name])
    parts = []
    for name in blob_fields:
        data = field_bytes(name, schema[name], row[name])
        parts.append(struct.pack(">Q", len(data)))
        parts.append(data)
    return b"".join(parts)


def split_blob(blob, blob_fields):
    """The bytes of each blob field (inverse of merge_blob, before decompression)."""
    if len(blob_fields) == 1:
        return {blob_fields[0]: blob}
    result = {}
    pos = 0
    for name in blob_fields:
        (size,) = struct.unpack_from(">Q", blob, pos)
        pos += 8
        result[name] = blob[pos:pos + size]
        pos += size
    return result


def compress_int(data, dtype):
    """CompressInt: an int32/int64 array's bytes in MindRecord's variable-width form."""
    values = np.frombuffer(data, dtype=np.dtype(dtype).newbyteorder("<")).astype(np.int64)
    count = values.size
    kinds = np.full(count, 3, dtype=np.uint8)
    kinds[(values >= -(1 << 31)) & (values < (1 << 31))] = 2
    kinds[(values >= -32768) & (values < 32768)] = 1
    kinds[(values >= -128) & (values < 128)] = 0
    padded = np.zeros(((count + 3) // 4) * 4, dtype=np.uint8)
    padded[:count] = kinds
    quads = padded.reshape(-1, 4)
    bitmap = (quads[:, 0] << 6) | (quads[:, 1] << 4) | (quads[:, 2] << 2) | quads[:, 3]
    widths = np.left_shift(1, kinds.astype(np.int64))
    ends = np.cumsum(widths)
    starts = ends - widths
    body = np.zeros(int(ends[-1]) if count else 0, dtype=np.uint8)
    unsigned = values.view(np.uint64)
    for kind in range(4):
        chosen = kinds == kind
        if not chosen.any():
            continue
        for j in range(1 << kind):
            body[starts[chosen] + j] = ((unsigned[chosen] >> np.uint64(8 * j)) & np.uint64(0xFF)).astype(np.uint8)
    return struct.pack(">I", count) + bitmap.astype(np.uint8).tobytes() + body.tobytes()


def uncompress_int(data, dtype):
    """The inverse of compress_int: the little-endian bytes of the int32/int64 array."""
    (count,) = struct.unpack_from(">I", data, 0)
    bitmap = np.frombuffer(data, dtype=np.uint8, count=(count + 3) // 4, offset=4)
    kinds = np.stack([(bitmap >> 6) & 3, (bitmap >> 4) & 3, (bitmap >> 2) & 3, bitmap & 3], axis=1).reshape(-1)
    kinds = kinds[:count].astype(np.int64)
    widths = np.left_shift(1, kinds)
    ends = np.cumsum(widths)
    starts = ends - widths
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + (count + 3) // 4)
    values = np.zeros(count, dtype=np.int64)
    for kind, signed in enumerate((np.int8, np.int16, np.int32, np.int64)):
        chosen = kinds == kind
        if not chosen.any():
            continue
        width = 1 << kind
        gathered = body[starts[chosen][:, None] + np.arange(width)[None, :]]
        values[chosen] = np.ascontiguousarray(gathered).view(np.dtype(signed).newbyteorder("<")).reshape(-1)
    return values.astype(np.dtype(dtype).newbyteorder("<")).tobytes()


def compress_blob(schema, blob_fields, blob):
    """CompressBlob: the blob with its int32/int64 array fields compressed (others copied)."""
    if len(blob_fields) == 1:
        return compress_int(blob, schema[blob_fields[0]]["type"])
    parts = []
    pos = 0
    for name in blob_fields:
        (size,) = struct.unpack_from(">Q", blob, pos)
        chunk = blob[pos + 8:pos + 8 + size]
        pos += 8 + size
        kind = schema[name]["type"]
        if kind in ("int32", "int64"):
            chunk = compress_int(chunk, kind)
        parts.append(struct.pack(">Q", len(chunk)))
        parts.append(chunk)
    return b"".join(parts)
