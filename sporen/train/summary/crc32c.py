"""CRC-32C (Castagnoli), the checksum of TFRecord framing, and its masked form.

``google_crc32c`` or ``crc32c`` is used when installed; otherwise a numpy implementation runs the byte-wise
table algorithm on many 64-byte lanes at once and joins the lanes' CRCs with the GF(2)-linear "advance over n
zero bytes" operator, so a megabyte costs milliseconds rather than the seconds of a Python byte loop.
"""
import numpy as np

__all__ = ["crc32c", "masked_crc32c"]

_POLY = 0x82F63B78  # reflected Castagnoli polynomial
_MASK_DELTA = 0xA282EAD8
_LANE = 64
_SMALL = 4096


def _byte_table():
    table = np.zeros(256, dtype=np.uint32)
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ _POLY if c & 1 else c >> 1
        table[n] = c
    return table


_TABLE = _byte_table()
_TABLE_LIST = [int(v) for v in _TABLE]
_SHIFT_TABLES = {}  # lane length in bytes -> (4, 256) tables of the operator "advance over that many zero bytes"


def _python_update(state, data):
    table = _TABLE_LIST
    for byte in data:
        state = table[(state ^ byte) & 0xFF] ^ (state >> 8)
    return state


def _tables_from_columns(columns):
    """The operator whose image of bit i is columns[i], as four byte-indexed lookup tables."""
    values = np.arange(256, dtype=np.uint32)
    bits = ((values[:, None] >> np.arange(8, dtype=np.uint32)[None, :]) & 1).astype(bool)
    tables = np.empty((4, 256), dtype=np.uint32)
    for b in range(4):
        picked = np.where(bits, columns[None, 8 * b:8 * b + 8], np.uint32(0))
        tables[b] = np.bitwise_xor.reduce(picked, axis=1)
    return tables


def _apply(tables, states):
    s = states.astype(np.uint32)
    return (tables[0][s & 0xFF] ^ tables[1][(s >> 8) & 0xFF] ^ tables[2][(s >> 16) & 0xFF]
            ^ tables[3][(s >> 24) & 0xFF])


def _shift_tables(length):
    """Tables of the operator advancing a raw CRC state over ``length`` zero bytes (length = 64 * 2^k)."""
    tables = _SHIFT_TABLES.get(length)
    if tables is not None:
        return tables
    if length == _LANE:
        columns = (np.uint32(1) << np.arange(32, dtype=np.uint32)).astype(np.uint32)
        for _ in range(_LANE):
            columns = _TABLE[columns & 0xFF] ^ (columns >> 8)
    else:
        half = _shift_tables(length // 2)
        basis = (np.uint32(1) << np.arange(32, dtype=np.uint32)).astype(np.uint32)
        columns = _apply(half, _apply(half, basis))
    tables = _tables_from_columns(columns)
    _SHIFT_TABLES[length] = tables
    return tables


def _numpy_crc(data):
    buf = np.frombuffer(data, dtype=np.uint8)
    lanes = buf.size // _LANE
    body = buf[:lanes * _LANE].reshape(lanes, _LANE)
    states = np.zeros(lanes, dtype=np.uint32)
    states[0] = 0xFFFFFFFF
    for j in range(_LANE):
        states = _TABLE[(states ^ body[:, j]) & 0xFF] ^ (states >> 8)
    # leading zero lanes change nothing (the raw CRC of zeros from state 0 is 0), so pad to a power of two
    size = 1 << (lanes - 1).bit_length()
    states = np.concatenate([np.zeros(size - lanes, dtype=np.uint32), states])
    length = _LANE
    while states.size > 1:
        pairs = states.reshape(-1, 2)
        states = _apply(_shift_tables(length), pairs[:, 0]) ^ pairs[:, 1]
        length *= 2
    state = _python_update(int(states[0]), bytes(buf[lanes * _LANE:]))
    return state ^ 0xFFFFFFFF


def _pure_crc32c(data):
    data = bytes(data)
    if len(data) < _SMALL:
        return _python_update(0xFFFFFFFF, data) ^ 0xFFFFFFFF
    return _numpy_crc(data)


def _find_native():
    try:
        import google_crc32c
        return lambda data: google_crc32c.value(bytes(data))
    except ImportError:
        pass
    try:
        import crc32c as crc32c_module
        return lambda data: crc32c_module.crc32c(bytes(data))
    except ImportError:
        return None


_NATIVE = _find_native()


def crc32c(data):
    """The CRC-32C of ``data`` (bytes-like), an int in [0, 2**32)."""
    if _NATIVE is not None:
        return _NATIVE(data)
    return _pure_crc32c(data)


def masked_crc32c(data):
    """TFRecord's masked CRC-32C: rotate right by 15 bits and add a constant (mod 2**32)."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF
