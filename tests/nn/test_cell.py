"""Cell: parameter naming in nested cells and containers, traversal, modes, repr, hooks,
custom bprop, to_float, buffers and state dicts."""
from collections import OrderedDict

import numpy as np
import pytest

import sporen as ms
from sporen import Parameter, Tensor, nn, ops


def t(x, dtype=np.float32):
    return Tensor(np.array(x, dtype=dtype))


class Block(nn.Cell):
    def __init__(self):
        super().__init__()
        self.dense = nn.Dense(3, 4)
        self.scale = Parameter(t([2.0]), name="scale")

    def construct(self, x):
        return self.dense(x) * self.scale


class Triple(nn.Cell):
    """x * 3 for x > 0, else 0: a ReLU made of primitives every build has."""

    def construct(self, x):
        return ops.maximum(x, 0.0) * 3


class Net(nn.Cell):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.head = nn.Dense(4, 2, has_bias=False)
        self.layers = nn.CellList([nn.Dense(2, 2), nn.Dense(2, 2)])
        self.seq = nn.SequentialCell([nn.Dense(2, 2), Triple()])

    def construct(self, x):
        x = self.head(self.block(x))
        for layer in self.layers:
            x = layer(x)
        return self.seq(x)


def test_parameter_names_follow_attribute_paths():
    net = Net()
    names = [n for n, _ in net.parameters_and_names()]
    assert names == ["block.scale", "block.dense.weight", "block.dense.bias", "head.weight",
                     "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias",
                     "seq.0.weight", "seq.0.bias"]
    # Parameter.name carries the same path (what checkpoints store)
    assert [p.name for p in net.get_parameters()] == names
    assert list(net.parameters_dict()) == names


def test_sequential_naming_from_ordered_dict_and_plain():
    seq = nn.SequentialCell(OrderedDict([("conv", nn.Dense(2, 3)), ("act", nn.ReLU())]))
    assert [p.name for p in seq.get_parameters()] == ["conv.weight", "conv.bias"]
    plain = nn.SequentialCell(nn.Dense(2, 3), nn.Dense(3, 1))
    assert [p.name for p in plain.get_parameters()] == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_cells_and_names_and_trainable_params():
    net = Net()
    cell_names = [n for n, _ in net.cells_and_names()]
    assert cell_names[:4] == ["", "block", "block.dense", "head"]
    assert "layers.1" in cell_names and "seq.1" in cell_names
    assert len(cell_names) == len(set(cell_names))
    net.block.scale.requires_grad = False
    trainable = [p.name for p in net.trainable_params()]
    assert "block.scale" not in trainable and "head.weight" in trainable
    assert [p.name for p in net.untrainable_params()] == ["block.scale"]
    assert [c for c in net.name_cells()] == ["block", "head", "layers", "seq"]


def test_insert_child_and_param_to_cell():
    net = nn.Cell()
    net.insert_child_to_cell("fc", nn.Dense(2, 2))
    net.insert_param_to_cell("w", Parameter(t([1.0])))
    assert sorted(n for n, _ in net.parameters_and_names()) == ["fc.bias", "fc.weight", "w"]
    assert net.fc.weight.name == "fc.weight"
    with pytest.raises(KeyError, match="child_name"):
        net.insert_child_to_cell("a.b", nn.ReLU())
    with pytest.raises(TypeError, match="child_cell"):
        net.insert_child_to_cell("x", 3)
    with pytest.raises(KeyError, match="'.'"):
        net.insert_param_to_cell("a.b", Parameter(t([1.0])))


def test_set_train_recurses():
    net = Net()
    assert not net.training
    net.set_train()
    assert all(c.training for _, c in net.cells_and_names())
    assert net.set_train(False) is net
    assert not net.seq[1].training


def test_repr_matches_mindspore_layout():
    seq = nn.SequentialCell([nn.Dense(3, 4), nn.ReLU()])
    assert repr(seq) == ("SequentialCell<\n  (0): Dense<input_channels=3, output_channels=4, has_bias=True>\n"
                         "  (1): ReLU<>\n  >")
    assert repr(nn.Dense(3, 4, has_bias=False)) == "Dense<input_channels=3, output_channels=4>"
    # a cell with sub-cells puts its own text on the first indented line, as MindSpore does
    assert repr(nn.Dense(3, 4, activation="relu")) == ("Dense<\n  input_channels=3, output_channels=4, "
                                                        "has_bias=True, activation=ReLU<>\n"
                                                        "  (activation): ReLU<>\n  >")


def test_forward_hooks_change_inputs_and_outputs():
    seen = []
    dense = nn.Dense(2, 2, weight_init="ones", bias_init="zeros")
    h1 = dense.register_forward_pre_hook(lambda cell, inputs: (inputs[0] * 2,))
    h2 = dense.register_forward_hook(lambda cell, inputs, out: seen.append(out.asnumpy().copy()))
    out = dense(t([[1.0, 1.0]]))
    np.testing.assert_allclose(out.asnumpy(), [[4.0, 4.0]])
    np.testing.assert_allclose(seen[0], [[4.0, 4.0]])
    h1.remove()
    h2.remove()
    np.testing.assert_allclose(dense(t([[1.0, 1.0]])).asnumpy(), [[2.0, 2.0]])
    assert len(seen) == 1


def test_forward_hook_with_kwargs():
    class Add(nn.Cell):
        def construct(self, x, y=1.0):
            return x + y

    cell = Add()
    cell.register_forward_pre_hook(lambda c, args, kwargs: (args, {"y": 10.0}), with_kwargs=True)
    cell.register_forward_hook(lambda c, args, kwargs, out: out * 2, with_kwargs=True)
    np.testing.assert_allclose(cell(t([1.0])).asnumpy(), [22.0])


def test_forward_hook_output_is_differentiated():
    cell = Triple()
    cell.register_forward_hook(lambda c, inputs, out: out + out)
    g = ms.grad(lambda x: ops.sum(cell(x)))(t([1.0, -1.0]))
    np.testing.assert_allclose(g.asnumpy(), [6.0, 0.0])


def test_backward_hook_sees_input_and_output_gradients():
    # y = 3x inside the cell, loss = sum(5y): grad_output = 5, grad_input = 15
    class Scale(nn.Cell):
        def construct(self, x):
            return x * 3

    cell = Scale()
    seen = {}

    def hook(c, grad_input, grad_output):
        seen["in"] = grad_input[0].asnumpy().copy()
        seen["out"] = grad_output[0].asnumpy().copy()

    handle = cell.register_backward_hook(hook)
    g = ms.grad(lambda x: ops.sum(cell(x) * 5))(t([1.0, 2.0]))
    np.testing.assert_allclose(seen["out"], [5.0, 5.0])
    np.testing.assert_allclose(seen["in"], [15.0, 15.0])
    np.testing.assert_allclose(g.asnumpy(), [15.0, 15.0])
    handle.remove()
    seen.clear()
    ms.grad(lambda x: ops.sum(cell(x)))(t([1.0]))
    assert seen == {}


def test_backward_hook_can_replace_input_gradient():
    cell = Triple()
    cell.register_backward_hook(lambda c, gin, gout: (gin[0] * 10,))
    g = ms.grad(lambda x: ops.sum(cell(x) * 2))(t([1.0, -1.0]))
    np.testing.assert_allclose(g.asnumpy(), [60.0, 0.0])


def test_backward_pre_hook_replaces_output_gradient():
    seen = []
    cell = Triple()

    def pre(c, grad_output):
        seen.append(grad_output[0].asnumpy().copy())
        return (grad_output[0] * 3,)

    cell.register_backward_pre_hook(pre)
    g = ms.grad(lambda x: ops.sum(cell(x) * 2))(t([1.0, -1.0]))
    np.testing.assert_allclose(seen[0], [2.0, 2.0])
    np.testing.assert_allclose(g.asnumpy(), [18.0, 0.0])


def test_backward_hook_fires_for_weight_only_gradients():
    dense = nn.Dense(2, 1, weight_init="ones", bias_init="zeros")
    seen = []
    dense.register_backward_hook(lambda c, gin, gout: seen.append(gout[0].asnumpy().copy()))
    x = t([[1.0, 2.0]])
    gw = ms.grad(lambda x: ops.sum(dense(x)), None, dense.trainable_params())(x)
    np.testing.assert_allclose(seen[0], [[1.0]])
    np.testing.assert_allclose(gw[0].asnumpy(), [[1.0, 2.0]])


def test_custom_bprop_replaces_gradient():
    class Clip(nn.Cell):
        def construct(self, x, y):
            return x * y

        def bprop(self, x, y, out, dout):
            return dout * 0 + 7, dout * y

    cell = Clip()
    gx, gy = ms.grad(lambda x, y: ops.sum(cell(x, y)), (0, 1))(t([1.0, 2.0]), t([3.0, 4.0]))
    np.testing.assert_allclose(gx.asnumpy(), [7.0, 7.0])
    np.testing.assert_allclose(gy.asnumpy(), [3.0, 4.0])
    # forward value is construct's
    np.testing.assert_allclose(cell(t([1.0]), t([3.0])).asnumpy(), [3.0])


def test_grad_through_nested_net_reaches_all_parameters():
    ms.set_seed(0)
    net = Net()
    x = t(np.random.default_rng(0).normal(size=(5, 3)))
    grads = ms.grad(lambda x: ops.sum(net(x)), None, net.trainable_params())(x)
    assert len(grads) == len(net.trainable_params())
    for g, p in zip(grads, net.trainable_params()):
        assert g.shape == p.shape


def test_to_float_runs_in_half_precision_and_still_trains():
    net = nn.SequentialCell([nn.Dense(2, 3), nn.Dense(3, 1)]).to_float(ms.float16)
    x = t([[1.0, 2.0]])
    out = net(x)
    assert out.dtype == ms.float16
    w0 = net[0].weight.asnumpy().astype(np.float64)
    b0 = net[0].bias.asnumpy().astype(np.float64)
    w1 = net[1].weight.asnumpy().astype(np.float64)
    b1 = net[1].bias.asnumpy().astype(np.float64)
    expected = (np.array([[1.0, 2.0]]) @ w0.T + b0) @ w1.T + b1
    np.testing.assert_allclose(out.asnumpy().astype(np.float64), expected, rtol=5e-3, atol=5e-3)
    assert net[0].weight.dtype == ms.float32
    grads = ms.grad(lambda x: ops.sum(net(x)), None, net.trainable_params())(x)
    assert [g.dtype for g in grads] == [ms.float32] * 4
    np.testing.assert_allclose(grads[3].asnumpy(), [1.0])
    with pytest.raises(ValueError, match="dst_type"):
        nn.Dense(2, 2).to_float(ms.int32)


def test_to_casts_parameters():
    dense = nn.Dense(2, 2).to(ms.float16)
    assert dense.weight.dtype == ms.float16 and dense.bias.dtype == ms.float16


def test_buffers_and_state_dict_roundtrip():
    class WithBuffer(nn.Cell):
        def __init__(self):
            super().__init__()
            self.fc = nn.Dense(2, 2)
            self.register_buffer("steps", t([0.0]))
            self.register_buffer("cache", t([1.0]), persistent=False)

        def construct(self, x):
            return self.fc(x)

    a = WithBuffer()
    assert [n for n, _ in a.named_buffers()] == ["steps", "cache"]
    assert a.get_buffer("steps") is a.steps
    sd = a.state_dict()
    assert list(sd) == ["steps", "fc.weight", "fc.bias"]
    b = WithBuffer()
    b.steps = t([5.0])
    result = b.load_state_dict(sd)
    assert result.missing_keys == [] and result.unexpected_keys == []
    np.testing.assert_array_equal(b.fc.weight.asnumpy(), a.fc.weight.asnumpy())
    np.testing.assert_array_equal(b.steps.asnumpy(), [0.0])
    with pytest.raises(RuntimeError, match="missing keys"):
        b.load_state_dict({"fc.weight": sd["fc.weight"]})
    res = b.load_state_dict({"fc.weight": sd["fc.weight"], "extra": 1}, strict=False)
    assert res.missing_keys == ["steps", "fc.bias"] and res.unexpected_keys == ["extra"]


def test_check_names_and_misc():
    cell = nn.Cell()
    cell.a = Parameter(t([1.0]), name="same")
    cell.b = Parameter(t([1.0]), name="same")
    with pytest.raises(ValueError, match="same"):
        cell.check_names()
    cell.check_names_and_refresh_name()
    assert sorted(p.name for p in cell.get_parameters()) == ["a", "b"]
    assert cell.cls_name == "Cell"
    assert isinstance(nn.Cell.total_instance_count, int)
    with pytest.raises(ValueError, match="its own sub-cell"):
        cell.me = cell


def test_assigning_a_tensor_to_a_parameter_attribute_sets_its_data():
    dense = nn.Dense(2, 2)
    dense.weight = t(np.ones((2, 2)))
    assert isinstance(dense.weight, Parameter)
    np.testing.assert_array_equal(dense.weight.asnumpy(), np.ones((2, 2)))


def test_every_cell_method_and_property_of_the_checklist():
    names = (open("/work/shared/api/mindspore.nn.Cell.methods.txt").read().split()
             + open("/work/shared/api/mindspore.nn.Cell.properties.txt").read().split())
    not_built = {"get_sub_cell", "global_cells", "register_parameter_forward_hook", "register_saved_tensors_hooks"}
    cell = nn.Cell()
    assert [n for n in names if n not in not_built and not hasattr(cell, n)] == []
    net = Net()
    assert "block.dense.weight" in net.exist_names
    assert net.compile_phase == "predict"


def test_tuples_and_lists_of_parameters_are_registered():
    class Holder(nn.Cell):
        def __init__(self):
            super().__init__()
            self.named = ms.ParameterTuple([Parameter(t([1.0]), name="w1"), Parameter(t([2.0]), name="w2")])
            self.unnamed = [Parameter(t([3.0])), Parameter(t([4.0]))]

        def construct(self, x):
            return x * self.named[0] * self.unnamed[1]

    h = Holder()
    names = [p.name for p in h.get_parameters()]
    assert names[:2] == ["w1", "w2"]
    assert all(n.startswith("Parameter$") for n in names[2:]) and len(set(names)) == 4
    assert isinstance(h.named, ms.ParameterTuple)
    g = ms.grad(lambda x: ops.sum(h(x)), None, h.trainable_params())(t([1.0]))
    np.testing.assert_allclose([v.asnumpy()[0] for v in g], [4.0, 0.0, 0.0, 1.0])

    class Clash(nn.Cell):
        def __init__(self):
            super().__init__()
            self.a = Parameter(t([1.0]), name="same")
            self.b = (Parameter(t([1.0]), name="same"),)

    with pytest.raises(ValueError, match="already exists"):
        Clash()
