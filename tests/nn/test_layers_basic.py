"""Basic layers, containers, activations and embeddings against formulas written here in numpy,
with gradients reaching the parameters and argument errors that name the argument."""
import math
from collections import OrderedDict

import numpy as np
import pytest

import sporen as ms
from sporen import Tensor, nn, ops

RNG = np.random.default_rng(0)


def t(x, dtype=np.float32):
    return Tensor(np.array(x, dtype=dtype))


def rand(*shape):
    return RNG.normal(size=shape).astype(np.float32)


def param_grads(net, *inputs):
    return ms.grad(lambda *a: ops.sum(net(*a)), None, net.trainable_params())(*inputs)


# --- Dense / BiDense -------------------------------------------------------------------------------
def test_dense_matches_formula_and_gradients():
    x = rand(2, 5, 3)
    dense = nn.Dense(3, 4)
    w = dense.weight.asnumpy()
    b = dense.bias.asnumpy()
    out = dense(Tensor(x))
    assert out.shape == (2, 5, 4)
    np.testing.assert_allclose(out.asnumpy(), x @ w.T + b, rtol=1e-5, atol=1e-6)
    gw, gb = param_grads(dense, Tensor(x))
    # d sum(x W^T + b) / dW[o, i] = sum over rows of x[:, i]
    np.testing.assert_allclose(gw.asnumpy(), np.tile(x.reshape(-1, 3).sum(0), (4, 1)), rtol=1e-5)
    np.testing.assert_allclose(gb.asnumpy(), np.full(4, 10.0))


def test_dense_default_init_bounds():
    ms.set_seed(1)
    dense = nn.Dense(50, 400)
    bound = 1 / math.sqrt(50)
    w = dense.weight.asnumpy()
    assert w.shape == (400, 50)
    assert np.abs(w).max() <= bound + 1e-7 and np.abs(w).max() > 0.95 * bound
    b = dense.bias.asnumpy()
    assert np.abs(b).max() <= bound + 1e-7
    assert dense.weight.name == "weight" and dense.bias.name == "bias"


def test_dense_options():
    dense = nn.Dense(2, 3, weight_init="ones", bias_init=0.5, has_bias=True, activation=nn.Tanh())
    np.testing.assert_allclose(dense(t([[1.0, 2.0]])).asnumpy(), np.tanh([[3.5, 3.5, 3.5]]), rtol=1e-6)
    no_bias = nn.Dense(2, 3, weight_init=Tensor(np.arange(6, dtype=np.float32).reshape(3, 2)), has_bias=False)
    assert no_bias.bias is None
    np.testing.assert_allclose(no_bias(t([[1.0, 1.0]])).asnumpy(), [[1.0, 5.0, 9.0]])
    assert len(no_bias.trainable_params()) == 1


def test_dense_errors():
    with pytest.raises(ValueError, match="Dense: 'in_channels' must be a positive int, got 0"):
        nn.Dense(0, 3)
    with pytest.raises(ValueError, match="out_channels"):
        nn.Dense(3, -1)
    with pytest.raises(TypeError, match="has_bias"):
        nn.Dense(3, 2, has_bias=1)
    with pytest.raises(ValueError, match="shape"):
        nn.Dense(3, 2, weight_init=Tensor(np.ones((3, 2), np.float32)))
    with pytest.raises(TypeError, match="activation"):
        nn.Dense(3, 2, activation=3)
    with pytest.raises(KeyError, match="unknown activation"):
        nn.Dense(3, 2, activation="nope")
    with pytest.raises(ValueError, match="in_channels=3"):
        nn.Dense(3, 2)(t(np.ones((2, 4))))


def test_bidense_matches_formula():
    x1 = rand(4, 3)
    x2 = rand(4, 5)
    net = nn.BiDense(3, 5, 2)
    w = net.weight.asnumpy()
    b = net.bias.asnumpy()
    expected = np.einsum("ni,oij,nj->no", x1, w, x2) + b
    np.testing.assert_allclose(net(Tensor(x1), Tensor(x2)).asnumpy(), expected, rtol=1e-5, atol=1e-5)
    gw, gb = param_grads(net, Tensor(x1), Tensor(x2))
    np.testing.assert_allclose(gw.asnumpy(), np.tile(np.einsum("ni,nj->ij", x1, x2), (2, 1, 1)), rtol=1e-4)
    np.testing.assert_allclose(gb.asnumpy(), [4.0, 4.0])
    assert np.abs(w).max() <= 1 / math.sqrt(3)
    assert repr(net) == "BiDense<in1_channels=3, in2_channels=5, output_channels=2, has_bias=True>"


# --- shape cells ----------------------------------------------------------------------------------------
def test_flatten_unflatten_identity():
    x = rand(2, 3, 4, 5)
    assert nn.Flatten()(Tensor(x)).shape == (2, 60)
    assert nn.Flatten(0, 1)(Tensor(x)).shape == (6, 4, 5)
    assert nn.Flatten(start_dim=-2)(Tensor(x)).shape == (2, 3, 20)
    np.testing.assert_array_equal(nn.Flatten()(Tensor(x)).asnumpy(), x.reshape(2, 60))
    with pytest.raises(ValueError, match="start_dim"):
        nn.Flatten(3, 1)(Tensor(x))
    y = nn.Unflatten(1, (3, 4))(Tensor(rand(2, 12, 5)))
    assert y.shape == (2, 3, 4, 5)
    assert nn.Identity()(Tensor(x)).shape == x.shape
    with pytest.raises(TypeError, match="unflattened_size"):
        nn.Unflatten(1, 3)


# --- dropout ---------------------------------------------------------------------------------------
def test_dropout_train_and_eval():
    x = np.ones((200, 200), np.float32)
    drop = nn.Dropout(p=0.3)
    np.testing.assert_array_equal(drop(Tensor(x)).asnumpy(), x)
    drop.set_train()
    ms.set_seed(3)
    y = drop(Tensor(x)).asnumpy()
    zero = (y == 0).mean()
    assert abs(zero - 0.3) < 0.01
    np.testing.assert_allclose(np.unique(y[y != 0]), [1 / 0.7], rtol=1e-6)
    ms.set_seed(3)
    np.testing.assert_array_equal(drop(Tensor(x)).asnumpy(), y)
    old = nn.Dropout(keep_prob=0.8).set_train()
    assert abs((old(Tensor(x)).asnumpy() == 0).mean() - 0.2) < 0.01
    assert repr(old) == "Dropout<keep_prob=0.8>" and repr(drop) == "Dropout<p=0.3>"
    np.testing.assert_array_equal(nn.Dropout(p=0.0).set_train()(Tensor(x)).asnumpy(), x)


def test_dropout_errors():
    with pytest.raises(ValueError, match="keep_prob"):
        nn.Dropout(keep_prob=0.0)
    with pytest.raises(TypeError, match="keep_prob"):
        nn.Dropout(keep_prob=1)
    with pytest.raises(ValueError, match="'p' must be in"):
        nn.Dropout(p=1.0)


@pytest.mark.parametrize("cls,shape", [(nn.Dropout1d, (8, 50, 6)), (nn.Dropout2d, (8, 50, 3, 3)),
                                       (nn.Dropout3d, (4, 50, 2, 2, 2))])
def test_channel_dropout_zeros_whole_channels(cls, shape):
    ms.set_seed(4)
    x = np.ones(shape, np.float32)
    y = cls(p=0.5).set_train()(Tensor(x)).asnumpy()
    per_channel = y.reshape(shape[0], shape[1], -1)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2).all(-1))
    assert 0.35 < (per_channel[..., 0] == 0).mean() < 0.65
    np.testing.assert_array_equal(cls(p=0.5)(Tensor(x)).asnumpy(), x)
    with pytest.raises(ValueError, match="input"):
        cls(p=0.5).set_train()(Tensor(np.ones((2,), np.float32)))


# --- padding ---------------------------------------------------------------------------------------
def test_pad_layers_match_numpy():
    x = rand(2, 3, 4, 5)
    np.testing.assert_array_equal(nn.ZeroPad2d((1, 2, 0, 1))(Tensor(x)).asnumpy(),
                                  np.pad(x, ((0, 0), (0, 0), (0, 1), (1, 2))))
    np.testing.assert_array_equal(nn.ConstantPad1d(2, 3.5)(Tensor(x)).asnumpy(),
                                  np.pad(x, ((0, 0), (0, 0), (0, 0), (2, 2)), constant_values=3.5))
    np.testing.assert_array_equal(nn.ConstantPad3d(1, -1.0)(Tensor(x)).asnumpy(),
                                  np.pad(x, ((0, 0), (1, 1), (1, 1), (1, 1)), constant_values=-1.0))
    np.testing.assert_array_equal(nn.ReflectionPad2d(1)(Tensor(x)).asnumpy(),
                                  np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), mode="reflect"))
    np.testing.assert_array_equal(nn.ReplicationPad1d((1, 2))(Tensor(x)).asnumpy(),
                                  np.pad(x, ((0, 0), (0, 0), (0, 0), (1, 2)), mode="edge"))
    paddings = ((0, 0), (1, 2), (0, 1), (2, 0))
    for mode, np_mode in (("CONSTANT", "constant"), ("REFLECT", "reflect"), ("SYMMETRIC", "symmetric")):
        np.testing.assert_array_equal(nn.Pad(paddings, mode)(Tensor(x)).asnumpy(), np.pad(x, paddings, mode=np_mode))
    with pytest.raises(ValueError, match="mode"):
        nn.Pad(paddings, "WRAP")
    with pytest.raises(TypeError, match="padding"):
        nn.ZeroPad2d((1, 2, 3))


def test_symmetric_pad_gradient():
    x = rand(3, 4)
    g = ms.grad(lambda a: ops.sum(nn.Pad(((1, 1), (2, 0)), "SYMMETRIC")(a)))(Tensor(x))
    # each element counts once plus once per mirrored copy of it
    counts = np.ones((3, 4))
    counts[0, :] += 1
    counts[-1, :] += 1
    counts[:, :2] *= 2
    np.testing.assert_allclose(g.asnumpy(), counts)


# --- resampling and shuffles ----------------------------------------------------------------------------
def test_upsample_nearest_and_pixel_shuffle():
    x = rand(1, 2, 3, 3)
    up = nn.Upsample(scale_factor=2.0, mode="nearest")(Tensor(x)).asnumpy()
    np.testing.assert_array_equal(up, x.repeat(2, axis=2).repeat(2, axis=3))
    with pytest.raises(ValueError, match="size"):
        nn.Upsample()
    y = rand(2, 8, 3, 3)
    shuffled = nn.PixelShuffle(2)(Tensor(y)).asnumpy()
    ref = y.reshape(2, 2, 2, 2, 3, 3).transpose(0, 1, 4, 2, 5, 3).reshape(2, 2, 6, 6)
    np.testing.assert_array_equal(shuffled, ref)
    np.testing.assert_array_equal(nn.PixelUnshuffle(2)(Tensor(shuffled)).asnumpy(), y)
    c = rand(2, 6, 2)
    out = nn.ChannelShuffle(2)(Tensor(c)).asnumpy()
    np.testing.assert_array_equal(out, c[:, [0, 3, 1, 4, 2, 5], :])


# --- math cells ------------------------------------------------------------------------------------
def test_norm_clip_l1_moments_onehot_tril():
    x = rand(3, 4)
    np.testing.assert_allclose(nn.Norm(axis=1)(Tensor(x)).asnumpy(), np.linalg.norm(x, axis=1), rtol=1e-5)
    np.testing.assert_allclose(nn.Norm()(Tensor(x)).asnumpy(), np.linalg.norm(x), rtol=1e-5)
    clipped = nn.ClipByNorm()(Tensor(x), 1.0).asnumpy()
    np.testing.assert_allclose(clipped, x / np.linalg.norm(x), rtol=1e-5)
    np.testing.assert_allclose(nn.ClipByNorm()(Tensor(x), 100.0).asnumpy(), x, rtol=1e-6)
    np.testing.assert_allclose(nn.L1Regularizer(0.5)(Tensor(x)).asnumpy(), 0.5 * np.abs(x).sum(), rtol=1e-5)
    with pytest.raises(ValueError, match="scale"):
        nn.L1Regularizer(-1.0)
    mean, var = nn.Moments(axis=0)(Tensor(x))
    np.testing.assert_allclose(mean.asnumpy(), x.mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(var.asnumpy(), x.var(0), rtol=1e-5, atol=1e-6)
    mean_k, _ = nn.Moments(axis=1, keep_dims=True)(Tensor(x))
    assert mean_k.shape == (3, 1)
    onehot = nn.OneHot(depth=4)(Tensor(np.array([0, 3, 1], np.int32))).asnumpy()
    np.testing.assert_array_equal(onehot, np.eye(4)[[0, 3, 1]])
    np.testing.assert_array_equal(nn.Tril()(Tensor(x)).asnumpy(), np.tril(x))
    np.testing.assert_array_equal(nn.Triu()(Tensor(x), 1).asnumpy(), np.triu(x, 1))


# --- containers ------------------------------------------------------------------------------------
class AddOne(nn.Cell):
    def construct(self, x):
        return x + 1


class Double(nn.Cell):
    def construct(self, x):
        return x * 2


def test_sequential_cell_operations():
    seq = nn.SequentialCell([AddOne(), Double()])
    np.testing.assert_allclose(seq(t([1.0])).asnumpy(), [4.0])
    seq.append(AddOne())
    assert len(seq) == 3
    np.testing.assert_allclose(seq(t([1.0])).asnumpy(), [5.0])
    assert isinstance(seq[1], Double)
    assert isinstance(seq[-1], AddOne)
    sub = seq[:2]
    assert isinstance(sub, nn.SequentialCell) and len(sub) == 2
    seq[0] = Double()
    np.testing.assert_allclose(seq(t([1.0])).asnumpy(), [5.0])
    del seq[0]
    assert [type(c).__name__ for c in seq] == ["Double", "AddOne"]
    seq.insert(0, AddOne())
    np.testing.assert_allclose(seq(t([1.0])).asnumpy(), [5.0])
    with pytest.raises(IndexError):
        seq[5]
    with pytest.raises(TypeError, match="Cell"):
        nn.SequentialCell([AddOne(), 3])
    named = nn.SequentialCell(OrderedDict([("a", AddOne()), ("b", Double())]))
    np.testing.assert_allclose(named(t([1.0])).asnumpy(), [4.0])
    assert list(named.name_cells()) == ["a", "b"]


def test_cell_list_operations_and_naming():
    class Owner(nn.Cell):
        def __init__(self):
            super().__init__()
            self.layers = nn.CellList([nn.Dense(2, 2), nn.Dense(2, 2)])

    owner = Owner()
    owner.layers.append(nn.Dense(2, 3))
    assert owner.layers[2].weight.name == "layers.2.weight"
    owner.layers.insert(0, nn.Dense(2, 1))
    assert [p.name for p in owner.get_parameters()] == [
        "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias", "layers.2.weight",
        "layers.2.bias", "layers.3.weight", "layers.3.bias"]
    assert owner.layers[0].weight.shape == (1, 2)
    del owner.layers[0]
    assert [p.name for p in owner.get_parameters()][:2] == ["layers.0.weight", "layers.0.bias"]
    assert owner.layers[0].weight.shape == (2, 2)
    owner.layers.extend([nn.Dense(3, 3)])
    assert len(owner.layers) == 4
    owner.layers += [nn.Dense(3, 3)]
    assert len(owner.layers) == 5
    assert isinstance(owner.layers[1:3], nn.CellList)
    with pytest.raises(NotImplementedError):
        owner.layers(t([1.0]))


def test_cell_dict_operations():
    d = nn.CellDict({"a": AddOne(), "b": Double()})
    assert list(d.keys()) == ["a", "b"] and len(d) == 2 and "a" in d
    d["c"] = Double()
    np.testing.assert_allclose(d["c"](t([1.0])).asnumpy(), [2.0])
    assert isinstance(d.pop("a"), AddOne)
    assert list(d) == ["b", "c"]
    d.update([("e", AddOne())])
    assert [k for k, _ in d.items()] == ["b", "c", "e"]
    d.clear()
    assert len(d) == 0
    with pytest.raises(TypeError, match="keys must be str"):
        d[1] = AddOne()
    with pytest.raises(TypeError, match="Cell"):
        d["x"] = 3

    class Owner(nn.Cell):
        def __init__(self):
            super().__init__()
            self.blocks = nn.CellDict({"fc": nn.Dense(2, 2)})

    assert [p.name for p in Owner().get_parameters()] == ["blocks.fc.weight", "blocks.fc.bias"]


# --- embedding -------------------------------------------------------------------------------------
def test_embedding_lookup_and_gradient():
    ms.set_seed(5)
    emb = nn.Embedding(10, 4, padding_idx=2)
    table = emb.embedding_table.asnumpy()
    assert table.shape == (10, 4)
    np.testing.assert_array_equal(table[2], 0)
    assert abs(np.delete(table, 2, 0).std() - 0.01) < 0.004
    ids = np.array([[1, 2, 1], [9, 0, 3]], np.int32)
    out = emb(Tensor(ids))
    assert out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out.asnumpy(), table[ids])
    (g,) = param_grads(emb, Tensor(ids))
    counts = np.bincount(ids.ravel(), minlength=10)[:, None] * np.ones((1, 4))
    np.testing.assert_allclose(g.asnumpy(), counts)
    one_hot = nn.Embedding(10, 4, use_one_hot=True, embedding_table=Tensor(table))
    np.testing.assert_allclose(one_hot(Tensor(ids)).asnumpy(), table[ids], rtol=1e-6)
    with pytest.raises(ValueError, match="padding_idx"):
        nn.Embedding(10, 4, padding_idx=10)
    with pytest.raises(ValueError, match="vocab_size"):
        nn.Embedding(0, 4)


def test_embedding_ext():
    ms.set_seed(6)
    emb = nn.EmbeddingExt(50, 40, padding_idx=1)
    w = emb.weight.asnumpy()
    np.testing.assert_array_equal(w[1], 0)
    assert abs(w.std() - 1.0) < 0.05
    ids = Tensor(np.array([1, 3, 3], np.int64))
    np.testing.assert_array_equal(emb(ids).asnumpy(), w[[1, 3, 3]])
    (g,) = param_grads(emb, ids)
    assert np.all(g.asnumpy()[1] == 0) and np.all(g.asnumpy()[3] == 2)


# --- activations -----------------------------------------------------------------------------------
def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _softmax(x, axis):
    e = np.exp(x - x.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


_erf = np.vectorize(math.erf)
SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805

ACTIVATIONS = [
    ("ReLU", lambda: nn.ReLU(), lambda x: np.maximum(x, 0)),
    ("ReLU6", lambda: nn.ReLU6(), lambda x: np.clip(x, 0, 6)),
    ("LeakyReLU", lambda: nn.LeakyReLU(), lambda x: np.where(x >= 0, x, 0.2 * x)),
    ("ELU", lambda: nn.ELU(0.5), lambda x: np.where(x > 0, x, 0.5 * (np.exp(x) - 1))),
    ("SeLU", lambda: nn.SeLU(),
     lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * (np.exp(x) - 1))),
    ("CELU", lambda: nn.CELU(2.0), lambda x: np.maximum(x, 0) + np.minimum(0, 2.0 * (np.exp(x / 2.0) - 1))),
    ("GELU-tanh", lambda: nn.GELU(),
     lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))),
    ("GELU-erf", lambda: nn.GELU(approximate=False), lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2)))),
    ("FastGelu", lambda: nn.FastGelu(),
     lambda x: x / (1 + np.exp(-1.702 * np.abs(x))) * np.exp(0.851 * (x - np.abs(x)))),
    ("SiLU", lambda: nn.SiLU(), lambda x: x * _sigmoid(x)),
    ("Mish", lambda: nn.Mish(), lambda x: x * np.tanh(np.log1p(np.exp(x)))),
    ("Sigmoid", lambda: nn.Sigmoid(), _sigmoid),
    ("Tanh", lambda: nn.Tanh(), np.tanh),
    ("Softmax", lambda: nn.Softmax(axis=0), lambda x: _softmax(x, 0)),
    ("LogSoftmax", lambda: nn.LogSoftmax(), lambda x: np.log(_softmax(x, -1))),
    ("Softmin", lambda: nn.Softmin(), lambda x: _softmax(-x, -1)),
    ("Softplus", lambda: nn.Softplus(beta=2, threshold=3),
     lambda x: np.where(2 * x > 3, x, np.log1p(np.exp(2 * x)) / 2)),
    ("Softsign", lambda: nn.Softsign(), lambda x: x / (1 + np.abs(x))),
    ("HSwish", lambda: nn.HSwish(), lambda x: x * np.clip(x + 3, 0, 6) / 6),
    ("HSigmoid", lambda: nn.HSigmoid(), lambda x: np.clip(x + 3, 0, 6) / 6),
    ("Hardtanh", lambda: nn.Hardtanh(-0.5, 1.5), lambda x: np.clip(x, -0.5, 1.5)),
    ("HShrink", lambda: nn.HShrink(0.7), lambda x: np.where(np.abs(x) > 0.7, x, 0)),
    ("SoftShrink", lambda: nn.SoftShrink(0.3),
     lambda x: np.where(x > 0.3, x - 0.3, np.where(x < -0.3, x + 0.3, 0))),
    ("Tanhshrink", lambda: nn.Tanhshrink(), lambda x: x - np.tanh(x)),
    ("LogSigmoid", lambda: nn.LogSigmoid(), lambda x: -np.log1p(np.exp(-x))),
    ("GLU", lambda: nn.GLU(), lambda x: x[..., :2] * _sigmoid(x[..., 2:])),
    ("Threshold", lambda: nn.Threshold(0.1, 20.0), lambda x: np.where(x > 0.1, x, 20.0)),
    ("RReLU-eval", lambda: nn.RReLU(0.1, 0.3), lambda x: np.where(x >= 0, x, 0.2 * x)),
]


@pytest.mark.parametrize("name,make,ref", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_matches_formula(name, make, ref):
    x = (RNG.normal(size=(3, 4)) * 3).astype(np.float32)
    out = make()(Tensor(x))
    np.testing.assert_allclose(out.asnumpy(), ref(x.astype(np.float64)), rtol=2e-5, atol=2e-6)


def test_prelu_learns_its_slope():
    x = rand(2, 3, 4)
    prelu = nn.PReLU(channel=3, w=0.25)
    assert prelu.w.shape == (3,)
    np.testing.assert_allclose(prelu(Tensor(x)).asnumpy(), np.where(x >= 0, x, 0.25 * x), rtol=1e-6)
    (gw,) = param_grads(prelu, Tensor(x))
    np.testing.assert_allclose(gw.asnumpy(), np.minimum(x, 0).sum(axis=(0, 2)), rtol=1e-5)
    with pytest.raises(ValueError, match="channel"):
        nn.PReLU(channel=0)
    with pytest.raises(ValueError, match="'w'"):
        nn.PReLU(channel=2, w=[0.1, 0.2, 0.3])


@pytest.mark.skipif("random_uniform" not in __import__("sporen.ops.registry", fromlist=["OPS"]).OPS,
                    reason="rrelu in training needs the random_uniform primitive (random family)")
def test_rrelu_training_draws_slopes_in_range():
    x = -np.ones((1000,), np.float32)
    y = nn.RReLU(0.1, 0.3).set_train()(Tensor(x)).asnumpy()
    assert y.min() >= -0.3 - 1e-6 and y.max() <= -0.1 + 1e-6 and y.std() > 0.02


def test_get_activation():
    assert isinstance(nn.get_activation("relu"), nn.ReLU)
    assert isinstance(nn.get_activation("ReLU"), nn.ReLU)
    assert isinstance(nn.get_activation("gelu"), nn.GELU)
    assert nn.get_activation(None) is None
    prelu = nn.get_activation("prelu", {"channel": 2, "w": 0.1})
    np.testing.assert_allclose(prelu.w.asnumpy(), [0.1, 0.1])
    with pytest.raises(KeyError, match="unknown activation"):
        nn.get_activation("swishy")
    with pytest.raises(TypeError, match="name"):
        nn.get_activation(3)


def test_activation_argument_errors():
    with pytest.raises(TypeError, match="LeakyReLU: 'alpha'"):
        nn.LeakyReLU("a")
    with pytest.raises(ValueError, match="min_val"):
        nn.Hardtanh(1.0, -1.0)
    with pytest.raises(ValueError, match="lambd"):
        nn.SoftShrink(-1.0)
    with pytest.raises(TypeError, match="approximate"):
        nn.GELU("tanh")
    with pytest.raises(ValueError, match="Softmax2d"):
        nn.Softmax2d()(Tensor(rand(2, 3)))
    np.testing.assert_allclose(nn.Softmax2d()(Tensor(np.zeros((2, 4, 1, 1), np.float32))).asnumpy(), 0.25)


# --- PyTorch-style and math/image cells --------------------------------------------------------------
def test_linear_matches_formula():
    x = rand(4, 3)
    lin = nn.Linear(3, 2)
    assert [p.name for p in lin.get_parameters()] == ["weight", "bias"]
    np.testing.assert_allclose(lin(Tensor(x)).asnumpy(), x @ lin.weight.asnumpy().T + lin.bias.asnumpy(),
                               rtol=1e-5, atol=1e-6)
    assert nn.Linear(3, 2, bias=False).bias is None
    gw, gb = param_grads(lin, Tensor(x))
    np.testing.assert_allclose(gw.asnumpy(), np.tile(x.sum(0), (2, 1)), rtol=1e-5)
    with pytest.raises(ValueError, match="Linear: 'in_features'"):
        nn.Linear(0, 2)


def test_dense_bn_act_and_conv_bn_act():
    net = nn.DenseBnAct(3, 4, has_bn=True, activation="relu")
    assert [n for n, _ in net.cells_and_names()][1:] == ["dense", "batchnorm", "activation"]
    out = net.set_train()(Tensor(rand(8, 3))).asnumpy()
    assert out.min() >= 0 and out.shape == (8, 4)
    leaky = nn.DenseBnAct(3, 2, activation="leakyrelu", alpha=0.5)
    assert leaky.activation.alpha == 0.5
    conv = nn.Conv2dBnAct(2, 3, 3, has_bn=True, activation="relu")
    y = conv.set_train()(Tensor(rand(2, 2, 5, 5))).asnumpy()
    assert y.shape == (2, 3, 5, 5) and y.min() >= 0
    assert "conv.weight" in [p.name for p in conv.get_parameters()]


def test_dropout_ext_and_layer_norm_ext_and_prelu_ext():
    x = np.ones((100, 100), np.float32)
    ms.set_seed(7)
    y = nn.DropoutExt(0.25).set_train()(Tensor(x)).asnumpy()
    assert abs((y == 0).mean() - 0.25) < 0.02
    np.testing.assert_array_equal(nn.DropoutExt(0.25)(Tensor(x)).asnumpy(), x)
    z = rand(2, 3, 4)
    ln = nn.LayerNormExt(4)
    assert [p.name for p in ln.get_parameters()] == ["weight", "bias"]
    ref = (z - z.mean(-1, keepdims=True)) / np.sqrt(z.var(-1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(ln(Tensor(z)).asnumpy(), ref, rtol=1e-4, atol=1e-5)
    pr = nn.PReLUExt(3, init=0.1)
    assert pr.weight.name == "weight"
    np.testing.assert_allclose(pr(Tensor(z)).asnumpy(), np.where(z >= 0, z, 0.1 * z), rtol=1e-6)
    # dim=None picks 0 for a 3-D input and 1 for a 2-D one (the legacy rule)
    for data, axis in ((z, 0), (z[0], 1)):
        e = np.exp(data - data.max(axis, keepdims=True))
        np.testing.assert_allclose(nn.LogSoftmaxExt()(Tensor(data)).asnumpy(), np.log(e / e.sum(axis, keepdims=True)),
                                   rtol=1e-5, atol=1e-6)


def test_sync_batch_norm_is_batch_norm_in_one_process():
    x = rand(6, 3)
    sbn = nn.SyncBatchNorm(3).set_train()
    ref = (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5)
    np.testing.assert_allclose(sbn(Tensor(x)).asnumpy(), ref, rtol=1e-4, atol=1e-5)


def test_math_and_image_cells():
    x = rand(3, 4)
    np.testing.assert_array_equal(nn.Roll(1, 0)(Tensor(x)).asnumpy(), np.roll(x, 1, 0))
    np.testing.assert_array_equal(nn.Roll((1, -1), (0, 1))(Tensor(x)).asnumpy(), np.roll(x, (1, -1), (0, 1)))
    r = nn.Range(5)()
    np.testing.assert_array_equal(r.asnumpy(), np.arange(5))
    assert r.dtype == ms.int32
    assert nn.Range(0.0, 1.0, 0.25)().dtype == ms.float32
    np.testing.assert_allclose(nn.ReduceLogSumExp(1)(Tensor(x)).asnumpy(), np.log(np.exp(x).sum(1)), rtol=1e-5)
    a = rand(2, 3, 4)
    b = rand(2, 3, 4)
    np.testing.assert_allclose(nn.MatMul(transpose_x2=True)(Tensor(a), Tensor(b)).asnumpy(),
                               a @ b.transpose(0, 2, 1), rtol=1e-5, atol=1e-5)
    m = rand(2, 3, 3) + 3 * np.eye(3, dtype=np.float32)
    np.testing.assert_allclose(nn.MatDet()(Tensor(m)).asnumpy(), np.linalg.det(m), rtol=1e-4)
    np.testing.assert_allclose(nn.MatInverse()(Tensor(m)).asnumpy(), np.linalg.inv(m), rtol=1e-4, atol=1e-5)
    img = rand(2, 3, 8, 6)
    crop = nn.CentralCrop(0.5)(Tensor(img)).asnumpy()
    np.testing.assert_array_equal(crop, img[:, :, 2:6, 1:5])
    with pytest.raises(ValueError, match="central_fraction"):
        nn.CentralCrop(0.0)
    dy, dx = nn.ImageGradients()(Tensor(img))
    ref_dy = np.zeros_like(img)
    ref_dy[:, :, :-1] = img[:, :, 1:] - img[:, :, :-1]
    ref_dx = np.zeros_like(img)
    ref_dx[..., :-1] = img[..., 1:] - img[..., :-1]
    np.testing.assert_allclose(dy.asnumpy(), ref_dy, rtol=1e-6)
    np.testing.assert_allclose(dx.asnumpy(), ref_dx, rtol=1e-6)


def test_public_names_of_my_layer_files_exist():
    names = ["Dense", "BiDense", "Linear", "Flatten", "Unflatten", "Identity", "Dropout", "Dropout1d", "Dropout2d",
             "Dropout3d", "DropoutExt", "Dropout2dExt", "Pad", "ZeroPad2d", "ConstantPad1d", "ConstantPad2d",
             "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d",
             "ReplicationPad2d", "ReplicationPad3d", "Upsample", "Tril", "Triu", "Norm", "ClipByNorm",
             "L1Regularizer", "OneHot", "Moments", "Roll", "Range", "ReduceLogSumExp", "MatMul", "MatDet",
             "MatInverse", "CentralCrop", "ImageGradients", "PixelShuffle", "PixelUnshuffle", "ChannelShuffle",
             "SequentialCell", "CellList", "CellDict", "Embedding", "EmbeddingExt", "DenseBnAct", "Conv2dBnAct",
             "SyncBatchNorm", "LayerNormExt", "PReLUExt", "LogSoftmaxExt", "AvgPool1dExt", "AvgPool2dExt",
             "AvgPool3dExt", "MaxPool2dExt"]
    assert [n for n in names if not hasattr(nn, n)] == []


def test_unfold_extracts_patches_in_tensorflow_order():
    x = rand(2, 3, 5, 6)
    out = nn.Unfold([1, 2, 3, 1], [1, 2, 1, 1], [1, 1, 2, 1])(Tensor(x)).asnumpy()
    kh, kw, sh, sw, rh, rw = 2, 3, 2, 1, 1, 2
    oh = (5 - rh * (kh - 1) - 1) // sh + 1
    ow = (6 - rw * (kw - 1) - 1) // sw + 1
    ref = np.zeros((2, kh * kw * 3, oh, ow), np.float32)
    for i in range(kh):
        for j in range(kw):
            for c in range(3):
                ref[:, (i * kw + j) * 3 + c] = x[:, c, i * rh:i * rh + sh * (oh - 1) + 1:sh,
                                                 j * rw:j * rw + sw * (ow - 1) + 1:sw]
    np.testing.assert_array_equal(out, ref)
    same = nn.Unfold([1, 3, 3, 1], [1, 2, 2, 1], [1, 1, 1, 1], "same")(Tensor(x))
    assert same.shape == (2, 27, 3, 3)
    with pytest.raises(ValueError, match="ksizes"):
        nn.Unfold([2, 2], [1, 1, 1, 1], [1, 1, 1, 1])


def test_time_distributed_applies_layer_per_step():
    x = rand(4, 5, 3)
    dense = nn.Dense(3, 2)
    out = nn.TimeDistributed(dense, time_axis=1)(Tensor(x)).asnumpy()
    np.testing.assert_allclose(out, x @ dense.weight.asnumpy().T + dense.bias.asnumpy(), rtol=1e-5, atol=1e-6)
    assert out.shape == (4, 5, 2)


def test_embedding_lookup_with_max_norm():
    table = np.arange(12, dtype=np.float32).reshape(4, 3)
    emb = nn.EmbeddingLookup(4, 3, param_init=Tensor(table), max_norm=5.0)
    assert emb.embedding_table.name == "embedding_table"
    ids = np.array([[0, 3]], np.int32)
    rows = table[ids]
    norms = np.linalg.norm(rows, axis=-1, keepdims=True)
    np.testing.assert_allclose(emb(Tensor(ids)).asnumpy(), rows * 5.0 / np.maximum(norms, 5.0), rtol=1e-5)
    with pytest.raises(ValueError, match="target"):
        nn.EmbeddingLookup(4, 3, target="GPU")


def test_lrn_matches_formula():
    x = rand(2, 7, 3, 2)
    lrn = nn.LRN(depth_radius=2, bias=2.0, alpha=0.5, beta=0.75)
    sq = x.astype(np.float64) ** 2
    ref = np.zeros_like(sq)
    for c in range(7):
        window = sq[:, max(0, c - 2):c + 3].sum(1)
        ref[:, c] = x[:, c] / (2.0 + 0.5 * window) ** 0.75
    np.testing.assert_allclose(lrn(Tensor(x)).asnumpy(), ref, rtol=1e-5, atol=1e-6)
    g = ms.grad(lambda a: ops.sum(lrn(a)))(Tensor(x))
    assert g.shape == x.shape and np.isfinite(g.asnumpy()).all()


def test_matrix_diag_cells():
    v = rand(2, 3)
    np.testing.assert_array_equal(nn.MatrixDiag()(Tensor(v)).asnumpy(), np.stack([np.diag(r) for r in v]))
    m = rand(2, 3, 4)
    np.testing.assert_array_equal(nn.MatrixDiagPart()(Tensor(m)).asnumpy(), np.stack([np.diag(a) for a in m]))
    d = rand(2, 3)
    ref = m.copy()
    for b in range(2):
        ref[b][np.arange(3), np.arange(3)] = d[b]
    np.testing.assert_allclose(nn.MatrixSetDiag()(Tensor(m), Tensor(d)).asnumpy(), ref, rtol=1e-6)
