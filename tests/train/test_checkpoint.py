"""Checkpoints: round trips of every dtype in .ckpt and safetensors, files written byte by byte with
MindSpore's protobuf schema by an encoder written here (independent of sporen's protobuf classes),
sliced tensors, crc, atomic writes, load_param_into_net rules and clear errors."""
import json
import os
import struct

import ml_dtypes
import numpy as np
import pytest

import sporen as ms
from sporen import nn, Parameter, Tensor
from sporen.train import (save_checkpoint, load_checkpoint, load_param_into_net, load_checkpoint_async,
                          ckpt_to_safetensors, safetensors_to_ckpt)
from sporen.train import serialization


# --- a protobuf wire-format encoder/decoder for checkpoint.proto, written from the spec ----------
def varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field_bytes(number, payload):
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def tensor_proto(dims, tensor_type, content, packed=False):
    if packed:
        body = field_bytes(1, b"".join(varint(d) for d in dims)) if dims else b""
    else:
        body = b"".join(varint(1 << 3 | 0) + varint(d) for d in dims)
    return body + field_bytes(2, tensor_type.encode()) + field_bytes(3, content)


def ckpt_value(tag, dims, tensor_type, content, packed=False):
    """One serialized Checkpoint message holding one Value, as MindSpore writes each record."""
    value = field_bytes(1, tag.encode()) + field_bytes(2, tensor_proto(dims, tensor_type, content, packed))
    return field_bytes(1, value)


def read_varint(buf, pos):
    shift = 0
    result = 0
    while True:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return result, pos


def decode_fields(buf):
    pos = 0
    fields = []
    while pos < len(buf):
        key, pos = read_varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = read_varint(buf, pos)
        elif wire == 2:
            length, pos = read_varint(buf, pos)
            value = bytes(buf[pos:pos + length])
            pos += length
        else:
            raise AssertionError(f"unexpected wire type {wire}")
        fields.append((number, value))
    return fields


def decode_checkpoint(buf):
    """[(tag, dims, tensor_type, content)] of a .ckpt file's bytes."""
    records = []
    for number, value in decode_fields(buf):
        assert number == 1
        tag = None
        tensor = None
        for n, v in decode_fields(value):
            if n == 1:
                tag = v.decode()
            elif n == 2:
                tensor = v
        dims, ttype, content = [], None, b""
        for n, v in decode_fields(tensor):
            if n == 1:
                dims.append(v)
            elif n == 2:
                ttype = v.decode()
            elif n == 3:
                content = v
        records.append((tag, dims, ttype, content))
    return records


ALL_DTYPES = [np.float32, np.float64, np.float16, ml_dtypes.bfloat16, np.int8, np.int16, np.int32, np.int64,
              np.uint8, np.uint16, np.uint32, np.uint64, np.bool_, np.complex64, np.complex128]
MS_NAMES = {np.float32: "Float32", np.float64: "Float64", np.float16: "Float16", ml_dtypes.bfloat16: "BFloat16",
            np.int8: "Int8", np.int16: "Int16", np.int32: "Int32", np.int64: "Int64", np.uint8: "UInt8",
            np.uint16: "UInt16", np.uint32: "UInt32", np.uint64: "UInt64", np.bool_: "Bool",
            np.complex64: "Complex64", np.complex128: "Complex128"}


def sample(dtype, shape, seed=0):
    rng = np.random.default_rng(seed)
    if dtype is np.bool_:
        return rng.random(shape) > 0.5
    values = rng.normal(size=shape) * 50
    if np.dtype(dtype).kind == "c":
        values = values + 1j * rng.normal(size=shape)
    if np.dtype(dtype).kind == "u":
        values = np.abs(values)
    return values.astype(dtype)


# --- round trips --------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=lambda d: MS_NAMES[d])
def test_ckpt_round_trip_every_dtype(tmp_path, dtype):
    values = {"a.weight": sample(dtype, (3, 4)), "scalar": sample(dtype, ()), "empty": sample(dtype, (0, 2))}
    path = str(tmp_path / "x.ckpt")
    save_checkpoint({k: Parameter(v, name=k) for k, v in values.items()}, path)
    records = decode_checkpoint(open(path, "rb").read())
    assert [(r[0], r[2]) for r in records] == [(k, MS_NAMES[dtype]) for k in values]
    assert records[0][1] == [3, 4] and records[1][1] == [] and records[2][1] == [0, 2]
    assert records[0][3] == values["a.weight"].tobytes()
    loaded = load_checkpoint(path)
    for name, value in values.items():
        got = loaded[name]
        assert isinstance(got, Parameter) and got.name == name
        assert got.asnumpy().dtype == np.dtype(dtype) and got.shape == value.shape
        np.testing.assert_array_equal(got.asnumpy(), value)


SAFE_DTYPES = [d for d in ALL_DTYPES if d is not np.complex128]


@pytest.mark.parametrize("dtype", SAFE_DTYPES, ids=lambda d: MS_NAMES[d])
def test_safetensors_round_trip_and_layout(tmp_path, dtype):
    values = {"b": sample(dtype, (2, 3)), "a": sample(dtype, (5,))}
    path = str(tmp_path / "x.safetensors")
    save_checkpoint({k: Parameter(v, name=k) for k, v in values.items()}, path, format="safetensors")
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    assert n % 8 == 0
    header = json.loads(raw[8:8 + n])
    assert header["__metadata__"] == {"format": "ms"}
    body = raw[8 + n:]
    for name, value in values.items():
        start, end = header[name]["data_offsets"]
        assert header[name]["shape"] == list(value.shape)
        assert body[start:end] == value.tobytes()
    loaded = load_checkpoint(path, format="safetensors")
    assert list(loaded) == ["a", "b"]
    for name, value in values.items():
        np.testing.assert_array_equal(loaded[name].asnumpy(), value)


def test_safetensors_matches_the_reference_library(tmp_path):
    st = pytest.importorskip("safetensors.numpy")
    values = {"w": sample(np.float32, (2, 3)), "i": sample(np.int64, (4,))}
    path = str(tmp_path / "ref.safetensors")
    st.save_file(values, path)
    loaded = load_checkpoint(path, format="safetensors")
    for k, v in values.items():
        np.testing.assert_array_equal(loaded[k].asnumpy(), v)
    ours = str(tmp_path / "ours.safetensors")
    save_checkpoint(loaded, ours, format="safetensors")
    back = st.load_file(ours)
    for k, v in values.items():
        np.testing.assert_array_equal(back[k], v)


def test_hand_written_mindspore_file_loads(tmp_path):
    w = np.arange(12, dtype=np.float32).reshape(3, 4)
    bf = np.array([1.5, -2.0, 3.25], ml_dtypes.bfloat16)
    content = b"".join([
        ckpt_value("conv1.weight", [3, 4], "Float32", w.tobytes()),
        ckpt_value("bn.moving_mean", [3], "BFloat16", bf.tobytes(), packed=True),
        ckpt_value("global_step", [1], "Int32", np.array([7], np.int32).tobytes()),
        ckpt_value("old_scalar", [0], "Float32", np.float32(2.5).tobytes()),  # older MindSpore 0-d
        ckpt_value("epoch_num", [], "Int64", np.int64(3).tobytes()),
        ckpt_value("note", [0], "str", np.array("hello wörld").tobytes()),
    ])
    path = tmp_path / "ms.ckpt"
    path.write_bytes(content)
    loaded = load_checkpoint(str(path))
    np.testing.assert_array_equal(loaded["conv1.weight"].asnumpy(), w)
    assert loaded["bn.moving_mean"].dtype == ms.bfloat16
    np.testing.assert_array_equal(loaded["bn.moving_mean"].asnumpy(), bf)
    np.testing.assert_array_equal(loaded["global_step"].asnumpy(), [7])
    assert loaded["old_scalar"].shape == () and float(loaded["old_scalar"].asnumpy()) == 2.5
    assert loaded["epoch_num"].shape == () and loaded["epoch_num"].dtype == ms.int64
    assert loaded["note"] == "hello wörld"


def test_sliced_tensor_is_written_and_read_as_several_values(tmp_path, monkeypatch):
    monkeypatch.setattr(serialization, "_SLICE_BYTES", 40)
    big = np.arange(25, dtype=np.float32).reshape(5, 5)
    path = str(tmp_path / "s.ckpt")
    save_checkpoint([{"name": "big", "data": Tensor(big)}, {"name": "small", "data": Tensor(np.ones(2, np.int8))}],
                    path)
    records = decode_checkpoint(open(path, "rb").read())
    assert [r[0] for r in records] == ["big", "big", "big", "small"]
    assert all(r[1] == [5, 5] for r in records[:3])
    assert b"".join(r[3] for r in records[:3]) == big.tobytes()
    np.testing.assert_array_equal(load_checkpoint(path)["big"].asnumpy(), big)
    # a hand-made file sliced the way MindSpore slices (unequal parts) loads too
    parts = [big.reshape(-1)[:13].tobytes(), big.reshape(-1)[13:].tobytes()]
    hand = tmp_path / "h.ckpt"
    hand.write_bytes(b"".join(ckpt_value("big", [5, 5], "Float32", p) for p in parts))
    np.testing.assert_array_equal(load_checkpoint(str(hand))["big"].asnumpy(), big)


def test_cell_save_load_with_optimizer_state(tmp_path):
    class Net(nn.Cell):
        def __init__(self):
            super().__init__()
            self.w = Parameter(np.ones((2, 2), np.float32), name="w")

        def construct(self, x):
            return ms.ops.reduce_sum(x * self.w)

    net = Net()
    opt = nn.Adam(net.trainable_params(), learning_rate=0.1)
    train = nn.TrainOneStepCell(net, opt)
    x = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]], np.float32))
    train(x)
    path = str(tmp_path / "train.ckpt")
    save_checkpoint(train, path, append_dict={"epoch_num": 5, "note": "ok"})
    loaded = load_checkpoint(path)
    assert {"w", "moment1.w", "moment2.w", "beta1_power", "learning_rate", "epoch_num", "note"} <= set(loaded)
    net2 = Net()
    opt2 = nn.Adam(net2.trainable_params(), learning_rate=0.1)
    train2 = nn.TrainOneStepCell(net2, opt2)
    param_not_load, ckpt_not_load = load_param_into_net(train2, loaded)
    assert param_not_load == []
    assert sorted(ckpt_not_load) == ["epoch_num", "note"]
    np.testing.assert_array_equal(net2.w.asnumpy(), net.w.asnumpy())
    np.testing.assert_array_equal(opt2.moment1[0].asnumpy(), opt.moment1[0].asnumpy())
    train(x)
    train2(x)
    np.testing.assert_allclose(net2.w.asnumpy(), net.w.asnumpy(), rtol=1e-7)
    assert loaded["epoch_num"].asnumpy() == 5 and loaded["note"] == "ok"


def test_save_obj_forms_and_filters(tmp_path):
    a = Parameter(np.ones(2, np.float32), name="conv1.weight")
    b = Parameter(np.zeros(3, np.float32), name="conv2.weight")
    c = Parameter(np.full(1, 2.0, np.float32), name="fc.bias")
    path = str(tmp_path / "l.ckpt")
    save_checkpoint([a, b, c], path, choice_func=lambda n: n.startswith("conv"))
    assert list(load_checkpoint(path)) == ["conv1.weight", "conv2.weight"]
    assert list(load_checkpoint(path, specify_prefix="conv2")) == ["conv2.weight"]
    assert list(load_checkpoint(path, filter_prefix=["conv1"])) == ["conv2.weight"]
    assert list(load_checkpoint(path, choice_func=lambda n: n.endswith("1.weight"))) == ["conv1.weight"]
    with pytest.raises(ValueError, match="empty"):
        load_checkpoint(path, specify_prefix="nothing")
    save_checkpoint([a], str(tmp_path / "nosuffix"))
    assert os.path.exists(tmp_path / "nosuffix.ckpt")


def test_async_save_snapshots_the_values(tmp_path):
    p = Parameter(np.arange(4, dtype=np.float32), name="p")
    path = str(tmp_path / "a.ckpt")
    save_checkpoint([p], path, async_save=True)
    p.asnumpy()[...] = -1  # changed after the call: the file keeps the value at the call
    np.testing.assert_array_equal(load_checkpoint(path)["p"].asnumpy(), np.arange(4, dtype=np.float32))
    future = load_checkpoint_async(path)
    np.testing.assert_array_equal(future.result()["p"].asnumpy(), np.arange(4, dtype=np.float32))


def test_crc_check(tmp_path):
    path = tmp_path / "c.ckpt"
    save_checkpoint([Parameter(np.arange(8, dtype=np.float32), name="p")], str(path), crc_check=True)
    raw = path.read_bytes()
    assert raw[-17:-10] == b"crc_num"
    np.testing.assert_array_equal(load_checkpoint(str(path), crc_check=True)["p"].asnumpy(), np.arange(8))
    corrupt = bytearray(raw)
    corrupt[-20] ^= 0xFF  # a byte of the tensor data
    path.write_bytes(bytes(corrupt))
    with pytest.raises(ValueError, match="crc"):
        load_checkpoint(str(path), crc_check=True)
    safe = tmp_path / "c.safetensors"
    save_checkpoint([Parameter(np.arange(8, dtype=np.float32), name="p")], str(safe), crc_check=True,
                    format="safetensors")
    load_checkpoint(str(safe), crc_check=True, format="safetensors")
    corrupt = bytearray(safe.read_bytes())
    corrupt[-1] ^= 0xFF
    safe.write_bytes(bytes(corrupt))
    with pytest.raises(ValueError, match="crc"):
        load_checkpoint(str(safe), crc_check=True, format="safetensors")


def test_failed_write_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "keep.ckpt"
    save_checkpoint([Parameter(np.ones(3, np.float32), name="p")], str(path))
    before = path.read_bytes()

    def failing_records(items):
        yield ckpt_value("p", [3], "Float32", np.zeros(3, np.float32).tobytes())
        raise OSError("disk full")

    monkeypatch.setattr(serialization, "_ckpt_records", failing_records)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint([Parameter(np.zeros(3, np.float32), name="p")], str(path))
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["keep.ckpt"]  # no temporary file left behind


def test_convert_between_ckpt_and_safetensors(tmp_path):
    values = {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "s": np.array(3, np.int64)}
    src = tmp_path / "m.ckpt"
    save_checkpoint({k: Parameter(v, name=k) for k, v in values.items()}, str(src))
    ckpt_to_safetensors(str(src), save_path=str(tmp_path / "out"), name_map={"w": "weight"})
    safe = load_checkpoint(str(tmp_path / "out" / "m.safetensors"), format="safetensors")
    np.testing.assert_array_equal(safe["weight"].asnumpy(), values["w"])
    safetensors_to_ckpt(str(tmp_path / "out"))
    back = load_checkpoint(str(tmp_path / "out" / "m.ckpt"))
    np.testing.assert_array_equal(back["s"].asnumpy(), 3)


# --- load_param_into_net rules --------------------------------------------------------------------
class Two(nn.Cell):
    def __init__(self):
        super().__init__()
        self.weight = Parameter(np.zeros((2, 3), np.float32), name="weight")
        self.bias = Parameter(np.zeros((3,), np.float32), name="bias")

    def construct(self, x):
        return x


def test_load_param_into_net_shape_mismatch_is_clear():
    net = Two()
    with pytest.raises(RuntimeError, match=r"weight.*same shape.*\(2, 3\).*\(3, 2\)"):
        load_param_into_net(net, {"weight": Parameter(np.ones((3, 2), np.float32), name="weight")})
    # trailing ones are squeezed away, as MindSpore allows
    load_param_into_net(net, {"bias": Parameter(np.ones((3, 1, 1), np.float32), name="bias")})
    np.testing.assert_array_equal(net.bias.asnumpy(), np.ones(3))


def test_load_param_into_net_dtypes_and_strict():
    net = Two()
    half = {"weight": Parameter(np.full((2, 3), 1.5, np.float16), name="weight")}
    not_loaded, _ = load_param_into_net(net, half)
    assert not_loaded == ["bias"]
    assert net.weight.dtype == ms.float32
    np.testing.assert_array_equal(net.weight.asnumpy(), np.full((2, 3), 1.5))
    with pytest.raises(RuntimeError, match="same type"):
        load_param_into_net(net, half, strict_load=True)
    with pytest.raises(RuntimeError, match="same type"):
        load_param_into_net(net, {"weight": Parameter(np.ones((2, 3), np.int32), name="weight")})


def test_load_param_into_net_prefix_and_argument_errors():
    net = Two()
    saved = {"backbone.weight": Parameter(np.ones((2, 3), np.float32), name="backbone.weight"),
             "backbone.bias": Parameter(np.ones(3, np.float32), name="backbone.bias")}
    not_loaded, ckpt_not_loaded = load_param_into_net(net, saved)
    assert not_loaded == [] and ckpt_not_loaded == []
    np.testing.assert_array_equal(net.bias.asnumpy(), np.ones(3))
    net2 = Two()
    not_loaded, _ = load_param_into_net(net2, saved, strict_load=True)
    assert not_loaded == ["weight", "bias"]
    with pytest.raises(TypeError, match="Cell"):
        load_param_into_net({}, saved)
    with pytest.raises(TypeError, match="dict"):
        load_param_into_net(net, [1])
    with pytest.raises(TypeError, match="parameter_dict"):
        load_param_into_net(net, {"weight": 3})


def test_loaded_values_are_independent_writable_copies(tmp_path):
    net = Two()
    path = str(tmp_path / "t.ckpt")
    save_checkpoint(net, path)
    loaded = load_checkpoint(path, net=Two())
    arr = loaded["weight"].asnumpy()
    arr += 1  # writable
    net3 = Two()
    load_param_into_net(net3, loaded)
    arr += 1
    np.testing.assert_array_equal(net3.weight.asnumpy(), np.ones((2, 3)))


# --- errors ------------------------------------------------------------------------------------
def test_clear_errors_for_bad_files(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        load_checkpoint(str(tmp_path / "missing.ckpt"))
    with pytest.raises(ValueError, match="format"):
        load_checkpoint(str(tmp_path / "model.bin"))
    garbage = tmp_path / "garbage.ckpt"
    garbage.write_bytes(b"\xff\xfe\x00this is not a checkpoint" * 3)
    with pytest.raises(ValueError, match="garbage.ckpt"):
        load_checkpoint(str(garbage))
    truncated = tmp_path / "short.ckpt"
    truncated.write_bytes(ckpt_value("w", [4], "Float32", np.ones(4, np.float32).tobytes())[:-5])
    with pytest.raises(ValueError, match="short.ckpt"):
        load_checkpoint(str(truncated))
    wrong_size = tmp_path / "size.ckpt"
    wrong_size.write_bytes(ckpt_value("w", [5], "Float32", np.ones(4, np.float32).tobytes()))
    with pytest.raises(ValueError, match="'w'.*corrupted"):
        load_checkpoint(str(wrong_size))
    unknown = tmp_path / "type.ckpt"
    unknown.write_bytes(ckpt_value("w", [1], "Float128", b"\0" * 16))
    with pytest.raises(ValueError, match="Float128"):
        load_checkpoint(str(unknown))
    bad_safe = tmp_path / "bad.safetensors"
    bad_safe.write_bytes(struct.pack("<Q", 1000) + b"{}")
    with pytest.raises(ValueError, match="bad.safetensors"):
        load_checkpoint(str(bad_safe), format="safetensors")


def test_save_argument_errors(tmp_path):
    p = Parameter(np.ones(1, np.float32), name="p")
    with pytest.raises(TypeError, match="save_obj"):
        save_checkpoint(p, str(tmp_path / "x.ckpt"))
    with pytest.raises(ValueError, match="format"):
        save_checkpoint([p], str(tmp_path / "x.ckpt"), format="npz")
    with pytest.raises(IsADirectoryError):
        save_checkpoint([p], str(tmp_path))
    with pytest.raises(TypeError, match="append"):
        save_checkpoint([p], str(tmp_path / "x.ckpt"), append_dict={"k": [1, 2]})
    with pytest.raises(ValueError, match="async_save"):
        save_checkpoint([p], str(tmp_path / "x.ckpt"), async_save="fork")
    with pytest.raises(NotImplementedError, match="enc_key"):
        save_checkpoint([p], str(tmp_path / "x.ckpt"), enc_key=b"0" * 16)
    with pytest.raises(TypeError, match="string"):
        save_checkpoint([p], str(tmp_path / "x.safetensors"), format="safetensors", append_dict={"s": "text"})


def test_duplicate_names_keep_one_entry(tmp_path):
    first = Parameter(np.zeros(2, np.float32), name="w")
    second = Parameter(np.ones(3, np.float32), name="w")
    path = str(tmp_path / "d.ckpt")
    save_checkpoint([first, second], path)
    records = decode_checkpoint(open(path, "rb").read())
    assert [r[0] for r in records] == ["w"]
    np.testing.assert_array_equal(load_checkpoint(path)["w"].asnumpy(), np.ones(3))
