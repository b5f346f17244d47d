"""The SQLite index file (<data file>.db) of a MindRecord shard, as ShardIndexGenerator writes it.

Read in mindspore/ccsrc/minddata/mindrecord/io/shard_index_generator.cc and reproduced: the table
INDEXES with the exact CREATE statement (the eight location columns, then for the i-th index field
``INC_i INT`` and ``<field>_<schema id>`` of SQL type TEXT/INTEGER/NUMERIC, primary key ROW_ID plus
the INC columns), one row per sample with every INC_i = 0, and the table SHARD_NAME(NAME) holding
the data file's base name. Rows are found by walking each raw page's row groups, the blob page of
each group being the blob page whose page_type_id is the group id.
"""
import sqlite3
import struct

from . import _format

_U64 = struct.Struct("<Q")


def _field_column(name):
    return name.replace("-", "_").replace(".", "_") + "_0"


def create_sql(schema, index_fields):
    """The CREATE TABLE INDEXES statement, character for character as MindSpore builds it."""
    sql = ("CREATE TABLE INDEXES("
           "  ROW_ID               INT  NOT NULL, PAGE_ID_RAW          INT  NOT NULL"
           ", PAGE_OFFSET_RAW      INT  NOT NULL, PAGE_OFFSET_RAW_END  INT  NOT NULL"
           ", ROW_GROUP_ID         INT  NOT NULL, PAGE_ID_BLOB         INT  NOT NULL"
           ", PAGE_OFFSET_BLOB     INT  NOT NULL, PAGE_OFFSET_BLOB_END INT  NOT NULL")
    for number, name in enumerate(index_fields):
        sql += f",INC_{number} INT, {_field_column(name)} {_format.SQL_TYPES[schema[name]['type']]}"
    sql += ", PRIMARY KEY(ROW_ID"
    for number in range(len(index_fields)):
        sql += f",INC_{number}"
    sql += "));"
    return sql


def locate_rows(handle, pages, header_size, page_size):
    """Every sample of one shard file: (row_id, group id, raw page, raw start, raw end, blob page,
    blob start, blob end, raw bytes), in row-group order, read from the file like the generator."""
    blob_pages = {}
    for page in pages:
        if page["page_type"] == _format.PAGE_TYPE_BLOB:
            blob_pages[page["page_type_id"]] = page
    rows = []
    for page in pages:
        if page["page_type"] != _format.PAGE_TYPE_RAW:
            continue
        groups = page["row_group_ids"] or [(0, 0)]
        for group_id, raw_offset in groups:
            blob_page = blob_pages.get(group_id)
            if blob_page is None:
                raise ValueError(f"MindRecord: raw page {page['page_id']} names row group {group_id}, "
                                 "which has no blob page")
            blob_offset = 0
            for row_id in range(blob_page["start_row_id"], blob_page["end_row_id"]):
                raw_base = header_size + page_size * page["page_id"]
                handle.seek(raw_base + raw_offset)
                (raw_len,) = _U64.unpack(handle.read(8))
                raw = handle.read(raw_len)
                raw_end = raw_offset + 8 + raw_len
                blob_base = header_size + page_size * blob_page["page_id"]
                handle.seek(blob_base + blob_offset)
                (blob_len,) = _U64.unpack(handle.read(8))
                blob_end = blob_offset + 8 + blob_len
                rows.append((row_id, group_id, page["page_id"], raw_offset, raw_end,
                             blob_page["page_id"], blob_offset, blob_end, raw))
                raw_offset = raw_end
                blob_offset = blob_end
    return rows


def write_index(db_path, data_path, shard_name, meta, pages):
    """Write the index database of one shard file (db_path must not exist)."""
    schema = meta["schema"]
    index_fields = meta["index_fields"]
    with open(data_path, "rb") as handle:
        rows = locate_rows(handle, pages, meta["header_size"], meta["page_size"])
    connection = sqlite3.connect(db_path)
    try:
        connection.execute("DROP TABLE IF EXISTS INDEXES;")
        connection.execute(create_sql(schema, index_fields))
        connection.execute("DROP TABLE IF EXISTS SHARD_NAME;")
        connection.execute("CREATE TABLE SHARD_NAME(NAME TEXT NOT NULL);")
        connection.execute("INSERT INTO SHARD_NAME (NAME) VALUES (?);", (shard_name,))
        names = "ROW_ID,ROW_GROUP_ID,PAGE_ID_RAW,PAGE_OFFSET_RAW,PAGE_OFFSET_RAW_END," \
                "PAGE_ID_BLOB,PAGE_OFFSET_BLOB,PAGE_OFFSET_BLOB_END"
        for number, name in enumerate(index_fields):
            names += f",INC_{number},{_field_column(name)}"
        marks = ",".join("?" * (8 + 2 * len(index_fields)))
        statement = f"INSERT INTO INDEXES ({names}) VALUES({marks})"
        records = []
        for row_id, group_id, raw_page, raw_start, raw_end, blob_page, blob_start, blob_end, raw in rows:
            record = [row_id, group_id, raw_page, raw_start, raw_end, blob_page, blob_start, blob_end]
            values = _format.unpack_row(raw)
            for name in index_fields:
                record.append(0)
                record.append(_sql_value(schema[name]["type"], values[name]))
            records.append(record)
        connection.executemany(statement, records)
        connection.commit()
    finally:
        connection.close()


def _sql_value(kind, value):
    if kind in ("int32", "int64"):
        return int(value)
    if kind in ("float32", "float64"):
        return float(value)
    return str(value)


def read_locations(db_path):
    """(row_id, raw page, raw start, raw end, blob page, blob start, blob end) of every sample, by row id."""
    connection = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        cursor = connection.execute(
            "SELECT ROW_ID, PAGE_ID_RAW, PAGE_OFFSET_RAW, PAGE_OFFSET_RAW_END, PAGE_ID_BLOB, "
            "PAGE_OFFSET_BLOB, PAGE_OFFSET_BLOB_END FROM INDEXES ORDER BY ROW_ID")
        return cursor.fetchall()
    finally:
        connection.close()
