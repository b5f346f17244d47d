"""sporen.export / sporen.load / nn.GraphCell: MINDIR round trips run bit-identically to the network
they were exported from (the model suite's MLP, LeNet, ResNet with BatchNorm, LSTM, Transformer
encoder, and a control-flow model); ONNX exports run in onnxruntime and agree with sporen at rtol
1e-5; writes are atomic; arguments and bad files give clear errors."""
import os

import numpy as np
import pytest

import sporen as ms
from sporen import nn, ops
from sporen.demo import LeNet5
from sporen.ir.verify import verify
from sporen.train import _mind_ir_pb2 as pb
from sporen.train.mindir import attr_from_proto, attr_to_proto
from tests.compiler.test_models import MLP, EncoderClassifier, LSTMClassifier, SmallResNet

from ..backends import BACKENDS, assert_matches_reference


@pytest.fixture(autouse=True)
def _pynative_after():
    yield
    ms.set_context(mode=ms.PYNATIVE_MODE)


def _x(shape, seed=0):
    return ms.Tensor(np.random.default_rng(seed).standard_normal(shape).astype(np.float32))


def _trained_resnet():
    """A ResNet whose BatchNorm running statistics moved away from (0, 1), so that predict mode
    (running statistics) and train mode (batch statistics) give different outputs."""
    net = SmallResNet()
    net.set_train(True)
    for seed in range(2):
        net(_x((4, 3, 8, 8), seed + 10))
    return net


# name -> (constructor, input shape)
_MODELS = {
    "mlp": (MLP, (8, 784)),
    "lenet": (LeNet5, (4, 1, 32, 32)),
    "resnet": (_trained_resnet, (4, 3, 8, 8)),
    "lstm": (LSTMClassifier, (4, 5, 8)),
    "transformer": (lambda: EncoderClassifier(dropout=0.1), (4, 6, 32)),
}


def _model(name, training=True):
    ms.set_seed(1)
    make, shape = _MODELS[name]
    net = make()
    net.set_train(training)  # export must trace in predict mode whatever the phase
    return net, _x(shape)


def _predict(net, x):
    """``net``'s predict-mode output in PyNative on the numpy backend, the one a GraphCell runs its
    graph on: the same kernels, so a faithful round trip gives the same bits. (On "cpu" PyNative
    runs convolutions, pools and softmax on C kernels that sum in another order.)"""
    net.set_train(False)
    backend = ms.get_context("backend")
    ms.set_context(backend="numpy")
    try:
        return net(x).asnumpy()
    finally:
        ms.set_context(backend=backend)


# --- MINDIR ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(_MODELS))
def test_mindir_round_trip_runs_bit_identically(tmp_path, name):
    net, x = _model(name)
    ms.export(net, x, file_name=str(tmp_path / name), file_format="MINDIR")
    assert net.training  # the phase is restored after the trace
    loaded = ms.load(str(tmp_path / f"{name}.mindir"))
    assert isinstance(loaded, nn.GraphCell)
    verify(loaded.func_graph.graph)
    expected = _predict(net, x)
    np.testing.assert_array_equal(loaded(x).asnumpy(), expected)
    # the weights are the GraphCell's Parameters, under the checkpoint names, with the same values
    net_params = dict(net.parameters_and_names())
    loaded_params = dict(loaded.parameters_and_names())
    assert set(loaded_params) <= set(net_params)
    assert loaded_params
    for key, p in loaded_params.items():
        assert p.name == key
        np.testing.assert_array_equal(p.asnumpy(), net_params[key].asnumpy())


def test_mindir_file_uses_mindspore_primitive_names_and_checkpoint_names(tmp_path):
    net, x = _model("lenet", training=False)
    ms.export(net, x, file_name=str(tmp_path / "lenet"), file_format="MINDIR")
    model = pb.ModelProto.FromString((tmp_path / "lenet.mindir").read_bytes())
    op_types = {node.op_type for node in model.graph.node}
    assert {"Conv2D", "MaxPool", "ReLU", "MatMul", "Add", "Reshape"} <= op_types
    assert [t.name for t in model.graph.parameter] == [name for name, _ in net.parameters_and_names()]
    assert [i.name for i in model.graph.input] == ["x"]
    assert list(model.graph.input[0].tensor[0].dims) == [4, 1, 32, 32]
    assert model.graph.input[0].tensor[0].data_type == pb.TensorProto.FLOAT
    conv = next(node for node in model.graph.node if node.op_type == "Conv2D")
    assert {a.name for a in conv.attribute} == {"stride", "padding", "dilation", "groups"}


def test_load_accepts_mindspore_and_prefixed_op_names(tmp_path):
    net, x = _model("mlp", training=False)
    path = tmp_path / "mlp.mindir"
    ms.export(net, x, file_name=str(path), file_format="MINDIR")
    model = pb.ModelProto.FromString(path.read_bytes())
    for node in model.graph.node:
        if node.op_type == "MatMul":
            node.op_type = "sporen::matmul"
    path.write_bytes(model.SerializeToString())
    np.testing.assert_array_equal(ms.load(str(path))(x).asnumpy(), _predict(net, x))


def test_op_without_mindspore_name_is_written_with_the_sporen_prefix(tmp_path):
    def f(x):
        return ops.gelu(x, approximate="tanh") * 2.0

    x = _x((3, 4))
    ms.export(f, x, file_name=str(tmp_path / "f"), file_format="MINDIR")
    model = pb.ModelProto.FromString((tmp_path / "f.mindir").read_bytes())
    assert any(node.op_type.startswith("sporen::") for node in model.graph.node)
    np.testing.assert_array_equal(ms.load(str(tmp_path / "f.mindir"))(x).asnumpy(), f(x).asnumpy())


@pytest.mark.parametrize("value", [
    None, True, False, 3, -2 ** 63, 0.1, 1e-300, float("inf"), "same", "", (1, (2, None), "a"), [1, [2.5]], (),
    ms.float16, ms.bfloat16, ms.int64, ms.bool_, np.dtype(np.float32), np.float32(1.5), np.int64(-7), Ellipsis,
    (("s", 0, None, -1), ("i", 2), ("n",)), 2 + 3j,
])
def test_attributes_decode_to_the_same_python_value_and_type(value):
    decoded = attr_from_proto(attr_to_proto(value, "test", name="a"), "test")
    assert type(decoded) is type(value)
    assert decoded == value or (decoded is value)
    if isinstance(value, np.generic):
        assert decoded.dtype == value.dtype


def test_attribute_of_an_unknown_type_is_a_clear_error():
    with pytest.raises(TypeError, match="cannot be written to MINDIR"):
        attr_to_proto(object(), "node 0 (add), attribute 'x'", name="x")


def test_graph_cell_wraps_a_loaded_graph_and_takes_new_parameter_values(tmp_path):
    net, x = _model("mlp", training=False)
    ms.export(net, x, file_name=str(tmp_path / "mlp"), file_format="MINDIR")
    graph = ms.load(str(tmp_path / "mlp.mindir"))
    cell = nn.GraphCell(graph)  # MindSpore's spelling: nn.GraphCell(ms.load(...))
    np.testing.assert_array_equal(cell(x).asnumpy(), _predict(net, x))
    # new values through load_param_into_net and through params_init give the new net's output
    new = {p.name: ms.Parameter(ms.Tensor(p.asnumpy() * 0.5), name=p.name) for p in net.get_parameters()}
    not_loaded, _ = ms.load_param_into_net(cell, new)
    assert not_loaded == []
    for p in net.get_parameters():
        p.set_data(ms.Tensor(p.asnumpy() * 0.5))
    expected = _predict(net, x)
    np.testing.assert_array_equal(cell(x).asnumpy(), expected)
    again = nn.GraphCell(graph, params_init={k: v for k, v in new.items()})
    np.testing.assert_array_equal(again(x).asnumpy(), expected)
    np.testing.assert_array_equal(nn.GraphCell(cell)(x).asnumpy(), expected)  # copies current values


def test_graph_cell_outputs_of_earlier_calls_stay_valid(tmp_path):
    net, x = _model("lenet", training=False)
    other = _x((4, 1, 32, 32), 5)
    ms.export(net, x, file_name=str(tmp_path / "lenet"), file_format="MINDIR")
    loaded = ms.load(str(tmp_path / "lenet.mindir"))
    first = loaded(x)
    second = loaded(other)
    np.testing.assert_array_equal(first.asnumpy(), _predict(net, x))
    np.testing.assert_array_equal(second.asnumpy(), _predict(net, other))


def test_graph_cell_runs_in_graph_mode_and_under_grad(tmp_path):
    net, x = _model("lenet", training=False)
    ms.export(net, x, file_name=str(tmp_path / "lenet"), file_format="MINDIR")
    loaded = ms.load(str(tmp_path / "lenet.mindir"))
    expected = _predict(net, x)

    def loss_of(cell):
        return lambda inp: cell(inp).sum()

    grad_net = ms.grad(loss_of(net))(x).asnumpy()
    grad_loaded = ms.grad(loss_of(loaded))(x).asnumpy()
    np.testing.assert_allclose(grad_loaded, grad_net, rtol=1e-6, atol=1e-7)
    ms.set_context(mode=ms.GRAPH_MODE)
    np.testing.assert_allclose(loaded(x).asnumpy(), expected, rtol=1e-6, atol=1e-7)


def test_jit_function_with_several_outputs_round_trips(tmp_path):
    w = ms.Parameter(ms.Tensor(np.arange(12, dtype=np.float32).reshape(3, 4) / 10), name="w")

    @ms.jit
    def f(x, y):
        h = ops.matmul(x, w)
        return ops.relu(h) + y, h.max(axis=1)

    x = _x((2, 3))
    y = _x((2, 4), 1)
    ms.export(f, x, y, file_name=str(tmp_path / "f.mindir"), file_format="MINDIR")
    loaded = ms.load(str(tmp_path / "f.mindir"))
    outs = loaded(x, y)
    assert isinstance(outs, tuple) and len(outs) == 2
    for got, want in zip(outs, f(x, y)):
        np.testing.assert_array_equal(got.asnumpy(), want.asnumpy())
    assert [name for name, _ in loaded.parameters_and_names()] == ["w"]
    assert loaded.func_graph.input_names == ("x", "y")


class _Scaled(nn.Cell):
    def __init__(self):
        super().__init__()
        self.fc = nn.Dense(3, 2)

    def construct(self, x, times, square=False):
        y = self.fc(x) * times
        return y * y if square else y


def test_static_arguments_are_baked_into_the_exported_graph(tmp_path):
    net = _Scaled()
    x = _x((2, 3))
    ms.export(net, x, 3, True, file_name=str(tmp_path / "net"), file_format="MINDIR")
    loaded = ms.load(str(tmp_path / "net.mindir"))
    assert loaded.func_graph.input_names == ("x",)
    np.testing.assert_array_equal(loaded(x).asnumpy(), net(x, 3, True).asnumpy())


class _WhileModel(nn.Cell):
    """A tensor-dependent while loop and if (control-flow nodes with subgraphs)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Dense(4, 4)

    def construct(self, x):
        y = self.fc(x)
        while y.sum() < 100.0:
            y = ops.abs(y) * 2.0 + 1.0
        if y.mean() > 50.0:
            y = y - 3.0
        else:
            y = y + 3.0
        return y


def _control_flow_ops():
    from sporen.ops.registry import OPS
    if "while" not in OPS or "if" not in OPS:
        pytest.skip("the control-flow ops are not registered")


def test_control_flow_model_round_trips_through_mindir(tmp_path):
    _control_flow_ops()
    net = _WhileModel()
    x = ms.Tensor(np.random.default_rng(0).random((2, 4)).astype(np.float32))
    expected = net(x).asnumpy()
    ms.export(net, x, file_name=str(tmp_path / "cf"), file_format="MINDIR")
    loaded = ms.load(str(tmp_path / "cf.mindir"))
    graph = loaded.func_graph.graph
    verify(graph)
    assert {"while", "if"} <= {node.op.name for node in graph.nodes}
    np.testing.assert_array_equal(loaded(x).asnumpy(), expected)
    other = ms.Tensor(np.full((2, 4), 30.0, np.float32))  # another trip count, the other branch
    np.testing.assert_array_equal(loaded(other).asnumpy(), net(other).asnumpy())


def test_gradient_through_a_loaded_control_flow_model_equals_the_network(tmp_path):
    _control_flow_ops()
    net = _WhileModel()
    x = ms.Tensor(np.random.default_rng(0).random((2, 4)).astype(np.float32))
    ms.export(net, x, file_name=str(tmp_path / "cf"), file_format="MINDIR")
    loaded = ms.load(str(tmp_path / "cf.mindir"))

    def loss_of(cell):
        return lambda inp: cell(inp).sum()

    expected = ms.grad(loss_of(net))(x).asnumpy()
    np.testing.assert_allclose(ms.grad(loss_of(loaded))(x).asnumpy(), expected, rtol=1e-6)
    in_jit = ms.jit(lambda inp: ms.grad(loss_of(loaded))(inp))(x).asnumpy()
    np.testing.assert_allclose(in_jit, expected, rtol=1e-5)


def test_control_flow_model_runs_in_onnxruntime_as_if_and_loop(tmp_path):
    _control_flow_ops()
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    net = _WhileModel()
    x = ms.Tensor(np.random.default_rng(0).random((2, 4)).astype(np.float32))
    ms.export(net, x, file_name=str(tmp_path / "cf"), file_format="ONNX")
    session = ort.InferenceSession(str(tmp_path / "cf.onnx"), providers=["CPUExecutionProvider"])
    # one export, inputs that take different trip counts and both branches
    for value in (x.asnumpy(), np.full((2, 4), 30.0, np.float32), np.full((2, 4), 0.5, np.float32)):
        got = session.run(None, {"x": value})[0]
        np.testing.assert_allclose(got, net(ms.Tensor(value)).asnumpy(), rtol=1e-5, atol=1e-6)


# --- ONNX --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(_MODELS))
def test_onnx_export_runs_in_onnxruntime_like_sporen(tmp_path, name):
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    net, x = _model(name)
    ms.export(net, x, file_name=str(tmp_path / name), file_format="ONNX")
    assert net.training
    path = str(tmp_path / f"{name}.onnx")
    onnx.checker.check_model(onnx.load(path))
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["x"]
    got = session.run(None, {"x": x.asnumpy()})
    assert len(got) == 1
    expected = _predict(net, x)
    np.testing.assert_allclose(got[0], expected, rtol=1e-5, atol=1e-6)


def _onnx_run(tmp_path, fn, *inputs):
    pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    path = str(tmp_path / "f.onnx")
    ms.export(fn, *inputs, file_name=path, file_format="ONNX")
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    feeds = {i.name: t.asnumpy() for i, t in zip(session.get_inputs(), inputs)}
    return session.run(None, feeds)


def test_onnx_maps_the_elementwise_movement_and_reduction_ops(tmp_path):
    def f(x, y, idx):
        a = ops.exp(-ops.abs(x)) + ops.log(ops.sqrt(x * x + 1.0)) - ops.rsqrt(y * y + 1.0)
        b = ops.where(x > y, ops.maximum(x, y), ops.minimum(x, y) / 2.0)
        c = ops.sigmoid(a) * ops.tanh(b) + ops.pow(ops.abs(a) + 1.0, 2.0)
        d = ops.softmax(c, axis=-1) + ops.log_softmax(c, axis=0) + ops.gelu(c) + ops.silu(c)
        e = ops.concat((d[:, ::-1], d[1:2, None, 0].broadcast_to((3, 2))), axis=1)
        s = ops.stack([x, y], axis=1).reshape(3, 8).transpose(1, 0)
        g = ops.gather(x, idx, 0)
        parts = ops.split(e, 3, axis=1)
        red = e.sum(axis=1) + e.mean() + e.max(axis=0).sum() + (x >= 0).astype(ms.float32).sum()
        padded = ops.pad(x, (0, 2, 1, 0)), ops.pad(x, (1, 2), mode="replicate")
        return (e, s, g, parts[1], red, ops.argmax(x, 1).astype(ms.int32)) + padded

    x = _x((3, 4))
    y = _x((3, 4), 1)
    idx = ms.Tensor(np.array([2, 0], np.int64))
    got = _onnx_run(tmp_path, f, x, y, idx)
    want = f(x, y, idx)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.dtype == w.asnumpy().dtype
        np.testing.assert_allclose(g, w.asnumpy(), rtol=1e-5, atol=1e-6)


def _i64(values):
    return ms.Tensor(np.array(values, np.int64))


# name -> (function, input Tensors): one or a few ops each, so that a wrong mapping is named
_ONNX_OPS = {
    "unary": (lambda x: (ops.reciprocal(x + 3.0), ops.floor(x), ops.ceil(x), ops.erf(x), ops.sin(x), ops.cos(x),
                         ops.tan(x), ops.sign(x), ops.square(x), ops.relu(x), ops.log1p(ops.abs(x)),
                         ops.expm1(x), ops.gelu(x, approximate="tanh"), ops.stop_gradient(x)), [_x((3, 4))]),
    "predicates": (lambda x, y, z: (ops.isnan(z), ops.isinf(z), x != y, x <= y, x < y,
                                    ops.logical_and(x > 0, y > 0), ops.logical_or(x > 0, y > 0),
                                    ops.logical_xor(x > 0, y > 0), ops.logical_not(x > 0)),
                   [_x((3, 4)), _x((3, 4), 1), ms.Tensor(np.array([np.nan, np.inf, -np.inf, 1.0], np.float32))]),
    "reductions": (lambda x: (x.min(axis=0), x.prod(axis=(0, 1), keep_dims=True), ops.argmin(x, 0),
                              ops.cumsum(x, 1), x.max(), x.sum(axis=-1, keepdims=True)), [_x((3, 4))]),
    "movement": (lambda x: (ops.tile(x, (2, 1)), ops.slice(x, (1, 0), (2, -1)),
                            ops.strided_slice(x, (0, 3), (3, 0), (2, -1)), x[::-2, 1:3], x[-1], x[:, None, 2]),
                 [_x((3, 4))]),
    "index_array": (lambda x, i: (x[:, i], x[i]), [_x((3, 4)), _i64([[2, 0], [1, 1]])]),
    "embedding": (lambda w, i: (ops.embedding(i, w),), [_x((5, 3)), _i64([[4, 0], [2, 2]])]),
    "avg_pool": (lambda x: (ops.avg_pool2d(x, 2, 2), ops.avg_pool2d(x, 3, 1, padding=1, count_include_pad=False),
                            ops.max_pool2d(x, 3, 2, padding=1, ceil_mode=True)), [_x((2, 3, 7, 7))]),
    "batch_matmul": (lambda a, b: (ops.bmm(a, b), ops.matmul(a, b.swapaxes(1, 2).swapaxes(1, 2))),
                     [_x((2, 3, 4)), _x((2, 4, 5), 1)]),
    "layer_norm": (lambda x, g, b: (ops.layer_norm(x, (4,), g, b, 1e-5),), [_x((2, 3, 4)), _x((4,), 1), _x((4,), 2)]),
}


@pytest.mark.parametrize("name", list(_ONNX_OPS))
def test_onnx_op_mappings_agree_with_sporen(tmp_path, name):
    fn, inputs = _ONNX_OPS[name]
    got = _onnx_run(tmp_path, fn, *inputs)
    want = fn(*inputs)
    assert len(got) == len(want)
    for j, (g, w) in enumerate(zip(got, want)):
        w = w.asnumpy()
        assert g.dtype == w.dtype, j
        assert g.shape == w.shape, j
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6, err_msg=f"output {j}")


def test_onnx_unmapped_op_is_a_clear_error_naming_it(tmp_path):
    pytest.importorskip("onnx")

    def f(x):
        return ops.cumprod(x, 0)

    with pytest.raises(ValueError, match="the op 'cumprod'.*no ONNX mapping"):
        ms.export(f, _x((3,)), file_name=str(tmp_path / "f"), file_format="ONNX")
    assert os.listdir(tmp_path) == []


# --- files: suffixes and atomic writes ---------------------------------------------------------------
@pytest.mark.parametrize("file_format,given,written", [
    ("MINDIR", "net", "net.mindir"), ("MINDIR", "net.mindir", "net.mindir"), ("mindir", "a.b", "a.b.mindir"),
    ("ONNX", "net", "net.onnx"), ("ONNX", "net.onnx", "net.onnx"),
])
def test_suffix_is_appended_when_missing(tmp_path, file_format, given, written):
    if file_format == "ONNX":
        pytest.importorskip("onnx")
    ms.export(nn.Dense(3, 2), _x((1, 3)), file_name=str(tmp_path / given), file_format=file_format)
    assert os.listdir(tmp_path) == [written]


class _Broken(nn.Cell):
    def construct(self, x):
        raise RuntimeError("broken on purpose")


def test_failing_export_leaves_no_file_and_keeps_an_existing_one(tmp_path):
    path = tmp_path / "net.mindir"
    with pytest.raises(RuntimeError, match="broken on purpose"):
        ms.export(_Broken(), _x((2,)), file_name=str(path), file_format="MINDIR")
    assert os.listdir(tmp_path) == []
    path.write_bytes(b"the old model")
    with pytest.raises(RuntimeError, match="broken on purpose"):
        ms.export(_Broken(), _x((2,)), file_name=str(path), file_format="MINDIR")
    assert path.read_bytes() == b"the old model"
    assert os.listdir(tmp_path) == ["net.mindir"]


def test_failing_write_keeps_an_existing_file(tmp_path, monkeypatch):
    path = tmp_path / "net.mindir"
    path.write_bytes(b"the old model")

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        ms.export(nn.Dense(3, 2), _x((1, 3)), file_name=str(path), file_format="MINDIR")
    assert path.read_bytes() == b"the old model"
    assert os.listdir(tmp_path) == ["net.mindir"]


def test_export_overwrites_an_existing_file(tmp_path):
    path = tmp_path / "net.mindir"
    path.write_bytes(b"the old model")
    net = nn.Dense(3, 2)
    x = _x((1, 3))
    ms.export(net, x, file_name=str(path), file_format="MINDIR")
    np.testing.assert_array_equal(ms.load(str(path))(x).asnumpy(), net(x).asnumpy())


# --- argument errors ---------------------------------------------------------------------------------
def test_export_argument_errors(tmp_path):
    net = nn.Dense(3, 2)
    x = _x((1, 3))
    name = str(tmp_path / "net")
    with pytest.raises(ValueError, match="'file_format' must be one of 'MINDIR', 'ONNX', got 'PB'"):
        ms.export(net, x, file_name=name, file_format="PB")
    with pytest.raises(ValueError, match="'AIR'.*not supported"):
        ms.export(net, x, file_name=name, file_format="AIR")
    with pytest.raises(TypeError, match="'file_format' must be a str"):
        ms.export(net, x, file_name=name, file_format=1)
    with pytest.raises(TypeError, match="'file_name' must be a non-empty str"):
        ms.export(net, x, file_name=3, file_format="MINDIR")
    with pytest.raises(TypeError, match="'net' must be a Cell or a function, got int"):
        ms.export(3, x, file_name=name, file_format="MINDIR")
    with pytest.raises(TypeError, match="input 0 must be a Tensor, got numpy.ndarray"):
        ms.export(net, x.asnumpy(), file_name=name, file_format="MINDIR")
    with pytest.raises(NotImplementedError, match="'enc_key'"):
        ms.export(net, x, file_name=name, file_format="MINDIR", enc_key=b"0" * 16)
    with pytest.raises(TypeError, match="unknown option 'quantmode'"):
        ms.export(net, x, file_name=name, file_format="MINDIR", quantmode="QUANT")
    with pytest.raises(TypeError, match="file_format"):
        ms.export(net, x, file_name=name)  # file_format is required, as in MindSpore 2.x
    assert os.listdir(tmp_path) == []
    ms.export(net, x, file_name=name, file_format="MINDIR", quant_mode="NONQUANT")  # accepted, no effect
    assert os.listdir(tmp_path) == ["net.mindir"]


def test_load_errors(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        ms.load(str(tmp_path / "missing.mindir"))
    with pytest.raises(ValueError, match="'file_name' must be a str, got int"):
        ms.load(3)
    garbage = tmp_path / "garbage.mindir"
    garbage.write_bytes(b"\xff\xfe not a protobuf at all \x00\x01")
    with pytest.raises(RuntimeError, match="failed to parse the MindIR file"):
        ms.load(str(garbage))
    empty = tmp_path / "empty.mindir"
    empty.write_bytes(b"")
    with pytest.raises(RuntimeError, match="holds no graph"):
        ms.load(str(empty))
    other = tmp_path / "net.onnx"
    other.write_bytes(b"")
    with pytest.raises(ValueError, match="only MINDIR files"):
        ms.load(str(other))
    with pytest.raises(NotImplementedError, match="'dec_key'"):
        ms.load(str(garbage), dec_key=b"0" * 16)


def test_load_of_a_file_with_an_unknown_op_is_a_clear_error(tmp_path):
    net, x = _model("mlp", training=False)
    path = tmp_path / "mlp.mindir"
    ms.export(net, x, file_name=str(path), file_format="MINDIR")
    model = pb.ModelProto.FromString(path.read_bytes())
    model.graph.node[-1].op_type = "NoSuchPrimitive"
    path.write_bytes(model.SerializeToString())
    with pytest.raises(RuntimeError, match="'NoSuchPrimitive' is no sporen op"):
        ms.load(str(path))


@pytest.mark.parametrize("backend", BACKENDS)
def test_export_in_graph_mode_and_placeholder_inputs(tmp_path, backend):
    ms.set_context(backend=backend)
    net, x = _model("resnet", training=False)
    expected = _predict(net, x)
    ms.set_context(mode=ms.GRAPH_MODE)
    compiled = net(x).asnumpy()  # compiled once in graph mode before the export
    assert_matches_reference(compiled, expected, ulps=4, err_msg="graph mode against PyNative on numpy")
    ms.export(net, x, file_name=str(tmp_path / "net"), file_format="MINDIR")
    # in GRAPH_MODE the loaded graph is compiled too, on the same backend: the same kernels as net's
    np.testing.assert_array_equal(ms.load(str(tmp_path / "net.mindir"))(x).asnumpy(), compiled)
    with pytest.raises(ValueError, match="input 0 is a Tensor without data"):
        ms.export(net, ms.Tensor(shape=[None, 3, 8, 8], dtype=ms.float32), file_name=str(tmp_path / "dyn"),
                  file_format="MINDIR")


def test_graph_cell_argument_errors(tmp_path):
    net = nn.Dense(3, 2)
    x = _x((1, 3))
    ms.export(net, x, file_name=str(tmp_path / "net"), file_format="MINDIR")
    loaded = ms.load(str(tmp_path / "net.mindir"))
    with pytest.raises(ValueError, match=r"input 0 \('x'\) must be Float32\[1, 3\] as exported, got Float32\[2, 3\]"):
        loaded(_x((2, 3)))
    with pytest.raises(TypeError, match="takes 1 inputs"):
        loaded(x, x)
    with pytest.raises(TypeError, match="'graph' must be a graph loaded by sporen.load"):
        nn.GraphCell(net)
    with pytest.raises(TypeError, match="'params_init' must be a dict"):
        nn.GraphCell(loaded, params_init=[1])
    with pytest.raises(TypeError, match="must be a Tensor or Parameter"):
        nn.GraphCell(loaded, params_init={"weight": 1.0})
    with pytest.raises(NotImplementedError, match="obfuscation"):
        nn.GraphCell(loaded, obf_random_seed=3)
