"""Checkpoints: save_checkpoint, load_checkpoint, load_param_into_net and friends, in MindSpore's
``.ckpt`` format (protobuf, checkpoint.proto) and in the safetensors layout, both readable and
writable, so that files move between MindSpore and sporen in both directions.

A ``.ckpt`` file is a sequence of serialized ``Checkpoint`` messages, one ``Value`` each: ``tag`` is
the parameter name, ``tensor`` holds ``dims``, ``tensor_type`` (MindSpore's dtype name, "Float32",
"BFloat16"...) and ``tensor_content`` (the raw bytes). A tensor larger than one slice (512 MiB) is
written as several Values with the same tag whose contents are concatenated on load; a string from
``append_dict`` is stored with dims [0] and type "str" as numpy's UTF-32 bytes. With ``crc_check``
the file ends with ``b"crc_num"`` and the CRC32 of everything before it in 10 big-endian bytes.

Files are written atomically: to a temporary file in the same folder, flushed and fsynced, then
renamed over the target, so a failed save never leaves a half-written checkpoint behind.
"""
import binascii
import json
import logging
import os
import re
import struct
import tempfile
import threading
from collections import OrderedDict

import numpy as np

from .. import dtype as mstype
from ..tensor import Parameter, Tensor
from ._checkpoint_pb2 import Checkpoint

__all__ = ["save_checkpoint", "load_checkpoint", "load_checkpoint_async", "load_param_into_net",
           "ckpt_to_safetensors", "safetensors_to_ckpt"]

logger = logging.getLogger("sporen")

# a tensor's bytes are split into Values of at most this size (MindSpore: 512 * 1024 KB)
_SLICE_BYTES = 512 * 1024 * 1024
_CRC_MARK = b"crc_num"

_CKPT_TYPES = {t.name: t for t in mstype.all_types}  # "Float32" -> float32 ...

_SAFETENSORS_CODES = {
    "Bool": "BOOL", "UInt8": "U8", "Int8": "I8", "UInt16": "U16", "Int16": "I16", "Float16": "F16",
    "BFloat16": "BF16", "UInt32": "U32", "Int32": "I32", "Float32": "F32", "Float64": "F64",
    "UInt64": "U64", "Int64": "I64", "Complex64": "C64",
}
_SAFETENSORS_TYPES = {code: _CKPT_TYPES[name] for name, code in _SAFETENSORS_CODES.items()}

_save_threads = []
_save_lock = threading.Lock()


# --- save ---------------------------------------------------------------------------------------
def _as_array(data, name):
    if isinstance(data, Tensor):
        return data._array()
    if isinstance(data, np.ndarray):
        return data
    raise TypeError(f"For 'save_checkpoint', the data of '{name}' must be a Parameter, Tensor or numpy array, "
                    f"but got {type(data).__name__}.")


def _collect(save_obj, append_dict, choice_func):
    """The (name, value) pairs to save, value an ndarray or a str, in the order MindSpore uses."""
    from ..nn.cell import Cell
    items = []
    if isinstance(save_obj, Cell):
        save_obj.init_parameters_data()
        for _, param in save_obj.parameters_and_names():
            if choice_func is not None and not choice_func(param.name):
                continue
            items.append((param.name, param._array()))
    elif isinstance(save_obj, list):
        for entry in save_obj:
            if isinstance(entry, Parameter):
                if choice_func is not None and not choice_func(entry.name):
                    continue
                items.append((entry.name, entry._array()))
            elif isinstance(entry, dict) and "name" in entry and "data" in entry:
                if not isinstance(entry["name"], str):
                    raise TypeError(f"For save_checkpoint, when save_obj is a list of dict items, the name in "
                                    f"dict should be string, but got {type(entry['name']).__name__}.")
                if not isinstance(entry["data"], Tensor):
                    raise TypeError(f"For save_checkpoint, when save_obj is a list of dict items, the data in "
                                    f"dict should be parameter, but got {type(entry['data']).__name__}.")
                if choice_func is not None and not choice_func(entry["name"]):
                    continue
                items.append((entry["name"], entry["data"]._array()))
            else:
                raise TypeError(f"For save_checkpoint, save_obj must be a list of Parameters or of dicts with "
                                f"the keys 'name' and 'data', but got an element {type(entry).__name__}.")
    elif isinstance(save_obj, dict):
        for key, value in save_obj.items():
            if not isinstance(key, str):
                raise TypeError(f"For save_checkpoint, when save_obj is a dict, the keys should be str, "
                                f"but got {type(key).__name__}.")
            if choice_func is not None and not choice_func(key):
                continue
            if isinstance(value, str):
                items.append((key, value))
            else:
                items.append((key, _as_array(value, key)))
    else:
        raise TypeError(f"For 'save_checkpoint', the parameter 'save_obj' must be nn.Cell, list or dict, "
                        f"but got {type(save_obj).__name__}.")
    if append_dict:
        for key, value in append_dict.items():
            if isinstance(value, str):
                items.append((key, value))
            elif isinstance(value, Tensor):
                items.append((key, value._array()))
            else:
                items.append((key, Tensor(value)._array()))
    # one entry per name, as MindSpore's ordered dict of names: a later value replaces an earlier one
    unique = OrderedDict()
    for name, value in items:
        unique[name] = value
    return list(unique.items())


def _type_name(arr, name):
    t = mstype._BY_NP.get(arr.dtype)
    if t is None:
        raise TypeError(f"For 'save_checkpoint', '{name}' has a numpy dtype {arr.dtype} that has no "
                        f"sporen dtype.")
    return t.name


def _ckpt_records(items):
    """Yield the serialized Checkpoint messages (bytes) of the items, slicing large tensors."""
    for name, value in items:
        if isinstance(value, str):
            chunks = [np.array(value).tobytes()]
            dims = [0]
            type_name = "str"
        else:
            type_name = _type_name(value, name)
            dims = list(value.shape)
            data = np.ascontiguousarray(value)
            if data.dtype.byteorder == ">":
                data = data.astype(data.dtype.newbyteorder("<"))
            raw = memoryview(data.reshape(-1).view(np.uint8))
            chunks = [raw[i:i + _SLICE_BYTES] for i in range(0, len(raw), _SLICE_BYTES)] or [b""]
        for chunk in chunks:
            msg = Checkpoint()
            entry = msg.value.add()
            entry.tag = name
            entry.tensor.dims.extend(dims)
            entry.tensor.tensor_type = type_name
            entry.tensor.tensor_content = bytes(chunk)
            yield msg.SerializeToString()


def _safetensors_bytes(items, metadata):
    """The safetensors header and the tensors' bytes (names sorted, as MindSpore writes them)."""
    header = OrderedDict()
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs = []
    offset = 0
    for name, value in sorted(items, key=lambda kv: kv[0]):
        if isinstance(value, str):
            raise TypeError(f"For 'save_checkpoint', format 'safetensors' cannot store the string '{name}'.")
        type_name = _type_name(value, name)
        code = _SAFETENSORS_CODES.get(type_name)
        if code is None:
            raise TypeError(f"For 'save_checkpoint', format 'safetensors' has no dtype for '{name}' "
                            f"({type_name}).")
        data = np.ascontiguousarray(value).tobytes()
        header[name] = {"dtype": code, "shape": list(value.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return [struct.pack("<Q", len(text)), text] + blobs


def _write_atomic(path, chunks, crc_check):
    """Write the byte chunks to ``path`` through a temporary file, fsync, then rename."""
    folder = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        crc = 0
        with os.fdopen(fd, "wb") as f:
            for chunk in chunks:
                if crc_check:
                    crc = binascii.crc32(chunk, crc)
                f.write(chunk)
            if crc_check:
                f.write(_CRC_MARK + crc.to_bytes(10, byteorder="big"))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def _exec_save(path, items, crc_check, format):
    if format == "ckpt":
        chunks = _ckpt_records(items)
    else:
        metadata = {"format": "ms"}
        if crc_check:
            crc = 0
            for name, value in sorted(items, key=lambda kv: kv[0]):
                crc = binascii.crc32(name.encode("utf-8"), crc)
                crc = binascii.crc32(np.ascontiguousarray(value).tobytes(), crc)
            metadata["crc_num"] = str(crc)
        chunks = _safetensors_bytes(items, metadata)
    _write_atomic(path, chunks, crc_check and format == "ckpt")


def _check_file_name_for_save(ckpt_file_name, format):
    if format not in ("ckpt", "safetensors"):
        raise ValueError(f"For 'save_checkpoint', the format must be 'safetensors' or 'ckpt', but got {format}.")
    if not isinstance(ckpt_file_name, (str, os.PathLike)):
        raise TypeError(f"For 'save_checkpoint', the argument 'ckpt_file_name' must be string, "
                        f"but got {type(ckpt_file_name).__name__}.")
    path = os.path.realpath(os.fspath(ckpt_file_name))
    if os.path.isdir(path):
        raise IsADirectoryError(f"For 'save_checkpoint', the parameter `ckpt_file_name`: {path} is a directory, "
                                f"it must be a file name.")
    if not path.endswith(format):
        path += "." + format
    return path


def save_checkpoint(save_obj, ckpt_file_name, integrated_save=True, async_save=False, append_dict=None,
                    enc_key=None, enc_mode="AES-GCM", choice_func=None, crc_check=False, format="ckpt", **kwargs):
    """Save parameters to a checkpoint file (MindSpore's ``save_checkpoint``).

    save_obj: a Cell (its parameters, named by ``Parameter.name``), a list of Parameters or of dicts
    ``{"name": str, "data": Tensor}``, or a dict from name to Parameter/Tensor/ndarray/str (what
    load_checkpoint returns). The ``.ckpt`` (or ``.safetensors``) suffix is added when missing.
    append_dict: extra entries (int, float, bool, str, Tensor). choice_func(name) -> bool selects.
    async_save (True, "thread" or "process"): write in a background thread from a snapshot.
    crc_check: append a CRC32 to the file. Encryption (enc_key) is not supported.
    """
    path = _check_file_name_for_save(ckpt_file_name, format)
    if not isinstance(integrated_save, bool):
        raise TypeError(f"For 'save_checkpoint', the argument 'integrated_save' must be bool, "
                        f"but got {type(integrated_save).__name__}.")
    if not isinstance(async_save, (bool, str)):
        raise TypeError(f"For 'save_checkpoint', the parameter 'async_save' must be bool or str, "
                        f"but got {type(async_save).__name__}.")
    if isinstance(async_save, str) and async_save not in ("process", "thread"):
        raise ValueError(f"For 'save_checkpoint', the argument 'async_save' can only be 'process' or 'thread', "
                         f"but got {async_save}.")
    if append_dict is not None:
        if not isinstance(append_dict, dict):
            raise TypeError(f"For 'save_checkpoint', the argument 'append_dict' must be dict, "
                            f"but got {type(append_dict).__name__}.")
        for key, value in append_dict.items():
            if not isinstance(key, str) or not isinstance(value, (int, float, bool, str, Tensor)):
                raise TypeError(f"For 'save_checkpoint', the type of dict 'append_info' must be key: string, "
                                f"value: int, float, bool, str or Tensor, but got key: {type(key).__name__}, "
                                f"value: {type(value).__name__}")
    if enc_key is not None:
        if not isinstance(enc_key, bytes):
            raise TypeError(f"For 'save_checkpoint', the argument 'enc_key' must be bytes or None, "
                            f"but got {type(enc_key).__name__}.")
        raise NotImplementedError("save_checkpoint: encrypted checkpoints ('enc_key') are not supported by sporen")
    if not isinstance(enc_mode, str):
        raise TypeError(f"For 'save_checkpoint', the argument 'enc_mode' must be str, "
                        f"but got {type(enc_mode).__name__}.")
    if not isinstance(crc_check, bool):
        raise TypeError(f"For 'save_checkpoint', the argument 'crc_check' must be bool, "
                        f"but got {type(crc_check).__name__}.")
    if choice_func is not None and not callable(choice_func):
        raise TypeError(f"For 'save_checkpoint', the argument 'choice_func' must be a function, "
                        f"but got {type(choice_func).__name__}.")
    items = _collect(save_obj, append_dict, choice_func)
    if async_save:
        # snapshot the values now: training goes on changing the parameters in place
        snapshot = [(name, value if isinstance(value, str) else value.copy()) for name, value in items]
        _wait_async_save()
        thread = threading.Thread(target=_exec_save, args=(path, snapshot, crc_check, format),
                                  name="asyn_save_ckpt", daemon=False)
        with _save_lock:
            _save_threads.append(thread)
        thread.start()
        return
    _exec_save(path, items, crc_check, format)


def _wait_async_save():
    with _save_lock:
        threads = list(_save_threads)
        _save_threads.clear()
    for thread in threads:
        thread.join()


# --- load ---------------------------------------------------------------------------------------
def _check_prefix(prefix, argname):
    if prefix is None:
        return None
    if not isinstance(prefix, (str, list, tuple)):
        raise TypeError(f"For 'load_checkpoint', the type of '{argname}' must be string, list[string] or "
                        f"tuple[string], but got {type(prefix).__name__}.")
    if isinstance(prefix, str):
        prefix = (prefix,)
    if not prefix:
        raise ValueError(f"For 'load_checkpoint', the argument '{argname}' can't be empty when it is a list or tuple.")
    for index, pre in enumerate(prefix):
        if not isinstance(pre, str):
            raise TypeError(f"For 'load_checkpoint', when '{argname}' is list or tuple, the element in it must be "
                            f"string, but got {type(pre).__name__} at index {index}.")
        if pre == "":
            raise ValueError(f"For 'load_checkpoint', the value of '{argname}' can't include ''.")
    return tuple(prefix)


def _wanted(name, specify_prefix, filter_prefix, choice_func):
    if specify_prefix or filter_prefix:
        keep = True
        if specify_prefix:
            keep = any(name.startswith(p) for p in specify_prefix)
        if filter_prefix and any(name.startswith(p) for p in filter_prefix):
            keep = False
        return keep
    return choice_func is None or bool(choice_func(name))


def _check_file_name_for_load(ckpt_file_name, format):
    if not isinstance(ckpt_file_name, (str, os.PathLike)):
        raise TypeError(f"For 'load_checkpoint', the argument 'ckpt_file_name' must be string, "
                        f"but got {type(ckpt_file_name).__name__}.")
    name = os.fspath(ckpt_file_name)
    if format not in ("ckpt", "safetensors"):
        raise ValueError(f"For 'load_checkpoint', the format must be 'ckpt' or 'safetensors', but got {format!r}.")
    if not name.endswith(format):
        raise ValueError(f"For 'load_checkpoint', the checkpoint file format must same with 'format', but got "
                         f"file_name:'{name}', format:'{format}'")
    path = os.path.realpath(name)
    if not os.path.exists(path):
        raise ValueError(f"For 'load_checkpoint', the checkpoint file: {path} does not exist, please check "
                         f"whether the 'ckpt_file_name' is correct.")
    return path


def _array_from_bytes(raw, dims, type_name, tag, path):
    t = _CKPT_TYPES.get(type_name)
    if t is None:
        raise ValueError(f"Failed to read the checkpoint file {path}: '{tag}' has an unknown tensor_type "
                         f"{type_name!r}.")
    shape = tuple(int(d) for d in dims)
    itemsize = t.np.itemsize
    if shape == (0,) and len(raw) == itemsize:
        shape = ()  # older MindSpore wrote a 0-d tensor with dims [0]
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if len(raw) != count * itemsize:
        raise ValueError(f"Failed to read the checkpoint file {path}: '{tag}' has shape {list(shape)} of "
                         f"{type_name} ({count * itemsize} bytes) but {len(raw)} bytes of data; the file may be "
                         f"corrupted.")
    arr = np.frombuffer(raw, dtype=t.np.newbyteorder("<") if t.np.byteorder == ">" else t.np, count=count)
    return arr.reshape(shape).copy()


def _parse_ckpt(path, crc_check):
    try:
        with open(path, "rb") as f:
            content = f.read()
    except OSError as exc:
        raise ValueError(f"Failed to read the checkpoint file {path}. May not have permission to read it, "
                         f"please check the correct of the file.") from exc
    if crc_check and content[-17:-10] != _CRC_MARK:
        logger.warning("For 'load_checkpoint', the ckpt file do not contain the crc code, please check the file.")
    if content[-17:-10] == _CRC_MARK:
        stored = int.from_bytes(content[-10:], byteorder="big")
        content = content[:-17]
        if crc_check and binascii.crc32(content, 0) != stored:
            raise ValueError("For 'load_checkpoint', the crc check is failed, please check whether the ckpt file is "
                             "damaged.")
    checkpoint = Checkpoint()
    try:
        checkpoint.ParseFromString(content)
    except Exception as exc:  # protobuf's DecodeError and friends
        raise ValueError(f"Failed to read the checkpoint file {path}. The file may be corrupted, and the content "
                         f"cannot be parsed.") from exc
    return checkpoint


def _load_ckpt(path, specify_prefix, filter_prefix, choice_func, crc_check):
    checkpoint = _parse_ckpt(path, crc_check)
    result = {}
    values = checkpoint.value
    pending = []
    for i, element in enumerate(values):
        tag = element.tag
        if not _wanted(tag, specify_prefix, filter_prefix, choice_func):
            continue
        if element.WhichOneof("value") != "tensor":
            logger.warning("load_checkpoint: '%s' is a MapParameter, which sporen does not load; skipped.", tag)
            continue
        pending.append(element.tensor.tensor_content)
        if i + 1 < len(values) and values[i + 1].tag == tag:
            continue
        raw = pending[0] if len(pending) == 1 else b"".join(pending)
        pending = []
        tensor = element.tensor
        if tensor.tensor_type == "str":
            chars = len(raw) // 4
            result[tag] = str(np.frombuffer(raw, dtype=f"<U{chars}")[0]) if chars else ""
            continue
        arr = _array_from_bytes(raw, tensor.dims, tensor.tensor_type, tag, path)
        result[tag] = Parameter(Tensor._wrap(arr), name=tag)
    return result


def _read_safetensors(path):
    """(header dict, the data bytes) of a safetensors file."""
    try:
        with open(path, "rb") as f:
            content = f.read()
    except OSError as exc:
        raise ValueError(f"Failed to read the checkpoint file {path}.") from exc
    try:
        if len(content) < 8:
            raise ValueError("the file is shorter than its 8-byte header length")
        (header_len,) = struct.unpack("<Q", content[:8])
        if header_len > len(content) - 8:
            raise ValueError("the header length is larger than the file")
        header = json.loads(content[8:8 + header_len].decode("utf-8"))
        if not isinstance(header, dict):
            raise ValueError("the header is not a JSON object")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"Failed to read the safetensors file {path}: {exc}. The file may be corrupted.") from exc
    return header, memoryview(content)[8 + header_len:]


def _load_safetensors(path, choice_func, crc_check):
    header, data = _read_safetensors(path)
    metadata = header.pop("__metadata__", None) or {}
    result = {}
    crc = 0
    for name in sorted(header):
        info = header[name]
        t = _SAFETENSORS_TYPES.get(info.get("dtype"))
        if t is None:
            raise ValueError(f"Failed to read the safetensors file {path}: '{name}' has an unsupported dtype "
                             f"{info.get('dtype')!r}.")
        start, end = info["data_offsets"]
        if not 0 <= start <= end <= len(data):
            raise ValueError(f"Failed to read the safetensors file {path}: the data offsets of '{name}' are out of "
                             f"range; the file may be corrupted.")
        raw = bytes(data[start:end])
        if crc_check:
            crc = binascii.crc32(name.encode("utf-8"), crc)
            crc = binascii.crc32(raw, crc)
        if choice_func is not None and not choice_func(name):
            continue
        arr = _array_from_bytes(raw, info["shape"], t.name, name, path)
        result[name] = Parameter(Tensor._wrap(arr), name=name)
    if crc_check:
        if "crc_num" not in metadata:
            logger.warning("For 'load_checkpoint', the safetensors file do not contain the crc code, "
                           "please check the file.")
        elif int(metadata["crc_num"]) != crc:
            raise ValueError("For 'load_checkpoint', the crc check has failed. Please check whether the ckpt file "
                             "is damaged.")
    return result


def load_checkpoint(ckpt_file_name, net=None, strict_load=False, filter_prefix=None, dec_key=None,
                    dec_mode="AES-GCM", specify_prefix=None, choice_func=None, crc_check=False,
                    remove_redundancy=False, format="ckpt"):
    """Load a checkpoint file into a dict from name to Parameter (or str for appended strings);
    with ``net``, also load the values into it (MindSpore's ``load_checkpoint``).

    specify_prefix / filter_prefix (deprecated in MindSpore) keep / drop names by prefix and then
    override ``choice_func(name) -> bool``. ``crc_check`` verifies the stored CRC32.
    Raises ValueError for a missing, unreadable or corrupted file, or when nothing is loaded.
    """
    specify_prefix = _check_prefix(specify_prefix, "specify_prefix")
    filter_prefix = _check_prefix(filter_prefix, "filter_prefix")
    if dec_key is not None:
        if not isinstance(dec_key, bytes):
            raise TypeError(f"For 'load_checkpoint', the argument 'dec_key' must be bytes or None, "
                            f"but got {type(dec_key).__name__}.")
        raise NotImplementedError("load_checkpoint: encrypted checkpoints ('dec_key') are not supported by sporen")
    if not isinstance(dec_mode, str):
        raise TypeError(f"For 'load_checkpoint', the argument 'dec_mode' must be str, "
                        f"but got {type(dec_mode).__name__}.")
    if not isinstance(crc_check, bool):
        raise TypeError(f"For 'load_checkpoint', the argument 'crc_check' must be bool, "
                        f"but got {type(crc_check).__name__}.")
    if not isinstance(remove_redundancy, bool):
        raise TypeError(f"For 'load_checkpoint', the argument 'remove_redundancy' must be bool, "
                        f"but got {type(remove_redundancy).__name__}.")
    _wait_async_save()  # a file being written in the background must be complete first
    path = _check_file_name_for_load(ckpt_file_name, format)
    if format == "safetensors":
        parameter_dict = _load_safetensors(path, choice_func, crc_check)
    else:
        parameter_dict = _load_ckpt(path, specify_prefix, filter_prefix, choice_func, crc_check)
    if not parameter_dict:
        raise ValueError("The loaded parameter dict is empty after filter or specify, please check whether "
                         "'filter_prefix' or 'specify_prefix' are set correctly.")
    if net is not None:
        load_param_into_net(net, parameter_dict, strict_load, remove_redundancy)
    return parameter_dict


class _ParamDictFuture:
    """What load_checkpoint_async returns: ``result()`` waits for the dict."""

    def __init__(self, executor, future):
        self._executor = executor
        self._future = future

    def result(self):
        value = self._future.result()
        self._executor.shutdown()
        return value


def load_checkpoint_async(ckpt_file_name, net=None, strict_load=False, filter_prefix=None, dec_key=None,
                          dec_mode="AES-GCM", specify_prefix=None, choice_func=None):
    """Load a checkpoint in a background thread; ``.result()`` of the returned object gives the dict."""
    from concurrent.futures import ThreadPoolExecutor
    format = "safetensors" if os.fspath(ckpt_file_name).endswith(".safetensors") else "ckpt"
    executor = ThreadPoolExecutor(max_workers=1)
    future = executor.submit(load_checkpoint, ckpt_file_name, net, strict_load, filter_prefix, dec_key, dec_mode,
                             specify_prefix, choice_func, format=format)
    return _ParamDictFuture(executor, future)


# --- into a network -----------------------------------------------------------------------------
_FLOAT_TYPES = (mstype.float16, mstype.float32, mstype.float64, mstype.bfloat16)
_INT_TYPES = (mstype.int8, mstype.int16, mstype.int32, mstype.int64)


def _update_param(param, new_param, strict_load):
    """Copy new_param's value into param, with MindSpore's shape and dtype rules."""
    new_arr = new_param._array()
    old_shape = tuple(param.shape)
    if new_arr.shape != old_shape:
        extra = new_arr.shape[len(old_shape):]
        if len(new_arr.shape) > len(old_shape) and new_arr.shape[:len(old_shape)] == old_shape and \
                all(d == 1 for d in extra):
            new_arr = new_arr.reshape(old_shape)  # (12, 2048, 1, 1) -> (12, 2048), as MindSpore allows
        else:
            raise RuntimeError(f"For 'load_param_into_net', {param.name} in the argument 'net' should have the same "
                               f"shape as {param.name} in the argument 'parameter_dict'. But got its shape "
                               f"{old_shape} in the argument 'net' and shape {new_arr.shape} in the argument "
                               f"'parameter_dict'.May you need to check whether the checkpoint you loaded is "
                               f"correct or the batch size and so on in the 'net' and 'parameter_dict' are same.")
    old_type = param.dtype
    new_type = mstype._BY_NP[new_arr.dtype]
    if old_type is not new_type:
        same_kind = {old_type, new_type} <= set(_FLOAT_TYPES) or {old_type, new_type} <= set(_INT_TYPES)
        if strict_load or not same_kind:
            raise RuntimeError(f"For 'load_param_into_net', {param.name} in the argument 'net' should have the same "
                               f"type as {param.name} in the argument 'parameter_dict'. but got its type {old_type} "
                               f"in the argument 'net' and type {new_type} in the argument 'parameter_dict'.May you "
                               f"need to check whether the checkpoint you loaded is correct.")
        logger.warning("The type of %s:%s in 'parameter_dict' is different from the type of it in 'net':%s, then "
                       "the type convert from %s to %s in the network.", new_param.name, new_type, old_type,
                       new_type, old_type)
        new_arr = new_arr.astype(old_type.np)
    current = param._data
    if current is not None and current.shape == new_arr.shape and current.dtype == new_arr.dtype \
            and current.flags.writeable and current is not new_arr:
        np.copyto(current, new_arr)
        param._init = None
    else:
        param.set_data(Tensor._wrap(np.array(new_arr, copy=True)))


def load_param_into_net(net, parameter_dict, strict_load=False, remove_redundancy=False):
    """Load the values of ``parameter_dict`` into the parameters of ``net`` with the same names;
    returns ``(param_not_load, ckpt_not_load)``: the names of the net's parameters left unloaded and
    of the dict's entries left unused (MindSpore's ``load_param_into_net``). Without strict_load, a
    float (or int) value of another width is converted, and a common name prefix in the dict that
    the net lacks is tolerated. Raises RuntimeError for a shape or dtype mismatch."""
    from ..nn.cell import Cell
    if not isinstance(net, Cell):
        raise TypeError(f"For 'load_param_into_net', the argument 'net' should be a Cell, but got "
                        f"{type(net).__name__}.")
    if not isinstance(parameter_dict, dict):
        raise TypeError(f"For 'load_param_into_net', the argument 'parameter_dict' should be a dict, but got "
                        f"{type(parameter_dict).__name__}.")
    for key, value in parameter_dict.items():
        if not isinstance(key, str) or not isinstance(value, (Parameter, Tensor, str, list)):
            raise TypeError(f"For 'parameter_dict', the element in the argument 'parameter_dict' should be a 'str' "
                            f"and 'Parameter' , but got {type(key).__name__} and {type(value).__name__}.")
    if not isinstance(strict_load, bool):
        raise TypeError(f"For 'load_param_into_net', the argument 'strict_load' must be bool, "
                        f"but got {type(strict_load).__name__}.")
    if not isinstance(remove_redundancy, bool):
        raise TypeError(f"For 'load_param_into_net', the argument 'remove_redundancy' must be bool, "
                        f"but got {type(remove_redundancy).__name__}.")
    param_not_load = []
    ckpt_not_load = list(parameter_dict.keys())
    for _, param in net.parameters_and_names():
        if param.name in parameter_dict:
            new_param = parameter_dict[param.name]
            if not isinstance(new_param, Tensor):
                continue
            _update_param(param, new_param, strict_load)
            ckpt_not_load.remove(param.name)
        else:
            if param.name.startswith("accu_grads"):
                continue
            param_not_load.append(param.name)
    if param_not_load and not strict_load:
        _load_mismatched_prefix(net, parameter_dict, param_not_load, ckpt_not_load, strict_load)
    if param_not_load:
        logger.warning("For 'load_param_into_net', %d parameters in the 'net' are not loaded, because they are not "
                       "in the 'parameter_dict', please check whether the network structure is consistent when "
                       "training and loading checkpoint. %s are not loaded.", len(param_not_load), param_not_load)
    return param_not_load, ckpt_not_load


def _load_mismatched_prefix(net, parameter_dict, param_not_load, ckpt_not_load, strict_load):
    """Load the net's unloaded parameters whose names appear in the dict behind one common prefix."""
    prefix = None
    for net_name in param_not_load:
        for dict_name in parameter_dict:
            if dict_name.endswith(net_name) and dict_name != net_name:
                prefix = dict_name[:-len(net_name)]
                break
        if prefix is not None:
            break
    if prefix is None:
        return
    logger.warning("For 'load_param_into_net', remove parameter prefix name: %s, continue to load.", prefix)
    for _, param in net.parameters_and_names():
        full = prefix + param.name
        if param.name in param_not_load and full in parameter_dict and isinstance(parameter_dict[full], Tensor):
            _update_param(param, parameter_dict[full], strict_load)
            param_not_load.remove(param.name)
            if full in ckpt_not_load:
                ckpt_not_load.remove(full)


# --- conversion ---------------------------------------------------------------------------------
def _convert_files(file_path, save_path, name_map, file_name_regex, src_ext, dst_ext, where):
    if not isinstance(file_path, (str, os.PathLike)):
        raise TypeError(f"For '{where}', the argument 'file_path' must be a str, but got {type(file_path).__name__}.")
    file_path = os.fspath(file_path)
    if name_map is not None and not isinstance(name_map, dict):
        raise TypeError(f"For '{where}', the argument 'name_map' must be a dict or None, "
                        f"but got {type(name_map).__name__}.")
    if os.path.isdir(file_path):
        sources = sorted(os.path.join(file_path, f) for f in os.listdir(file_path) if f.endswith(src_ext))
        if file_name_regex is not None:
            sources = [s for s in sources if re.search(file_name_regex, os.path.basename(s))]
    elif os.path.isfile(file_path):
        if not file_path.endswith(src_ext):
            raise ValueError(f"For '{where}', the file '{file_path}' must end with '{src_ext}'.")
        sources = [file_path]
    else:
        raise ValueError(f"For '{where}', the path '{file_path}' does not exist.")
    written = []
    for src in sources:
        params = load_checkpoint(src, format=src_ext.lstrip("."))
        if name_map:
            params = {name_map.get(k, k): v for k, v in params.items()}
        folder = save_path if save_path is not None else os.path.dirname(src)
        os.makedirs(folder, exist_ok=True)
        dst = os.path.join(folder, os.path.basename(src)[:-len(src_ext)] + dst_ext)
        save_checkpoint(params, dst, format=dst_ext.lstrip("."))
        written.append(dst)
    return written


def ckpt_to_safetensors(file_path, save_path=None, name_map=None, file_name_regex=None, processes_num=1):
    """Convert a ``.ckpt`` file (or every one in a folder, filtered by ``file_name_regex``) to
    ``.safetensors`` next to it or in ``save_path``; ``name_map`` renames entries."""
    _convert_files(file_path, save_path, name_map, file_name_regex, ".ckpt", ".safetensors", "ckpt_to_safetensors")


def safetensors_to_ckpt(file_path, save_path=None, name_map=None, file_name_regex=None, processes_num=1):
    """Convert a ``.safetensors`` file (or every one in a folder) to ``.ckpt``."""
    _convert_files(file_path, save_path, name_map, file_name_regex, ".safetensors", ".ckpt", "safetensors_to_ckpt")
