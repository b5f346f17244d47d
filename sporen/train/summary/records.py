"""TFRecord framing of event files: writing whole frames, reading them back, and ``read_events``.

A frame is: the data length (uint64, little endian), the masked CRC-32C of those 8 bytes, the data, the masked
CRC-32C of the data. A writer appends each batch of frames with one write and, if the write fails part way, cuts
the file back to its last whole frame, so a file only ever ends inside a frame when the process or machine died
during a write. Readers stop cleanly at such a torn last frame; a CRC mismatch inside the file is an error.
"""
import os
import struct

from ._event_pb2 import Event, FILE_VERSION
from .crc32c import masked_crc32c

__all__ = ["DataLossError", "encode_record", "read_records", "read_events", "EventFileWriter"]

_HEADER = 12
_FOOTER = 4


class DataLossError(ValueError):
    """A record whose checksum does not match: the file was damaged after it was written."""


def encode_record(data):
    """One TFRecord frame holding ``data`` (bytes)."""
    length = struct.pack("<Q", len(data))
    return b"".join((length, struct.pack("<I", masked_crc32c(length)), data, struct.pack("<I", masked_crc32c(data))))


def read_records(path):
    """Yield the data of each whole frame in the file ``path``.

    A torn last frame (the file ends inside it) ends the iteration quietly; a CRC mismatch raises DataLossError
    naming the file and the frame's byte offset.
    """
    with open(path, "rb") as f:
        offset = 0
        while True:
            header = f.read(_HEADER)
            if len(header) < _HEADER:
                return
            length_bytes = header[:8]
            if struct.unpack("<I", header[8:])[0] != masked_crc32c(length_bytes):
                raise DataLossError(f"read_records: the length checksum of the record at byte {offset} of "
                                    f"'{path}' does not match (the file is damaged)")
            length = struct.unpack("<Q", length_bytes)[0]
            body = f.read(length + _FOOTER)
            if len(body) < length + _FOOTER:
                return
            data = body[:length]
            if struct.unpack("<I", body[length:])[0] != masked_crc32c(data):
                raise DataLossError(f"read_records: the data checksum of the record at byte {offset} of '{path}' "
                                    f"does not match (the file is damaged)")
            yield data
            offset += _HEADER + length + _FOOTER


def _event_files(log_dir):
    names = sorted(name for name in os.listdir(log_dir) if ".out.tfevents." in name)
    return [os.path.join(log_dir, name) for name in names]


def read_events(path):
    """Yield the Event messages of an event file, or of every event file in a folder (in file-name order).

    The events are instances of ``sporen.train.summary.Event`` (TensorBoard's schema): ``wall_time``, ``step``,
    and ``file_version`` or ``summary`` (whose ``value`` list holds ``simple_value``, ``image``, ``histo`` or
    ``tensor`` values under their ``tag``).
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"read_events: 'path' must be a str or path-like, got {type(path).__name__}")
    paths = _event_files(path) if os.path.isdir(path) else [path]
    for file_path in paths:
        for data in read_records(file_path):
            yield Event.FromString(data)


class EventFileWriter:
    """Appends framed Events to one file; the file starts with TensorBoard's ``file_version`` event."""

    def __init__(self, path):
        self.path = path
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        self.size = 0
        self._unsynced = False
        header = Event()
        header.wall_time = _now()
        header.file_version = FILE_VERSION
        self.write_events([header])
        self.flush()
        _fsync_dir(os.path.dirname(os.path.abspath(path)))

    @property
    def closed(self):
        """Whether the file is closed."""
        return self._fd is None

    def write_events(self, events):
        """Append the events as one write of whole frames."""
        data = b"".join(encode_record(event.SerializeToString()) for event in events)
        self.write_frames(data)

    def write_frames(self, data):
        """Append already framed bytes; on failure cut the file back to its last whole frame and re-raise."""
        view = memoryview(data)
        written = 0
        try:
            while written < len(data):
                written += os.write(self._fd, view[written:])
        except OSError:
            os.ftruncate(self._fd, self.size)
            raise
        self.size += len(data)
        self._unsynced = True

    def flush(self):
        """Make the written frames durable (fsync)."""
        if self._fd is not None and self._unsynced:
            os.fsync(self._fd)
            self._unsynced = False

    def close(self):
        """Flush and close the file."""
        if self._fd is None:
            return
        try:
            self.flush()
        finally:
            os.close(self._fd)
            self._fd = None


def _now():
    import time
    return time.time()


def _fsync_dir(path):
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
