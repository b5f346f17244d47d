"""nn.RNN / LSTM / GRU and their cells against an independent numpy implementation (and PyTorch
when installed): outputs for every flag combination, variable lengths, parameter names and
initialisation, gradients (tape against central differences of the numpy model), errors."""
import itertools
import math

import numpy as np
import pytest

import sporen as ms
from sporen import nn

MODES = {"RNN_TANH": (nn.RNN, {"nonlinearity": "tanh"}), "RNN_RELU": (nn.RNN, {"nonlinearity": "relu"}),
         "LSTM": (nn.LSTM, {}), "GRU": (nn.GRU, {})}
GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


# --- the numpy model -----------------------------------------------------------------------------
def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def ref_cell(mode, x, state, w_ih, w_hh, b_ih, b_hh):
    """One step on (batch, features) arrays; ``state`` is h, or (h, c) for the LSTM."""
    h = state[0] if mode == "LSTM" else state
    gi = x @ w_ih.T
    gh = h @ w_hh.T
    if b_ih is not None:
        gi = gi + b_ih
        gh = gh + b_hh
    if mode == "RNN_TANH":
        return np.tanh(gi + gh)
    if mode == "RNN_RELU":
        return np.maximum(gi + gh, 0)
    if mode == "LSTM":
        i, f, g, o = np.split(gi + gh, 4, axis=1)
        c = _sigmoid(f) * state[1] + _sigmoid(i) * np.tanh(g)
        return _sigmoid(o) * np.tanh(c), c
    i_r, i_z, i_n = np.split(gi, 3, axis=1)
    h_r, h_z, h_n = np.split(gh, 3, axis=1)
    r = _sigmoid(i_r + h_r)
    z = _sigmoid(i_z + h_z)
    n = np.tanh(i_n + r * h_n)
    return (1 - z) * n + z * h


def ref_rnn(mode, x, hx, params, num_layers, bidirectional, batch_first, seq_length=None):
    """The stacked recurrence, one sequence at a time (each to its own length)."""
    if batch_first:
        x = x.transpose(1, 0, 2)
    steps, batch, _ = x.shape
    dirs = 2 if bidirectional else 1
    lengths = [steps] * batch if seq_length is None else list(seq_length)
    is_lstm = mode == "LSTM"
    hidden = params["weight_hh_l0"].shape[1]
    layer_in = x
    h_n = np.zeros((num_layers * dirs, batch, hidden))
    c_n = np.zeros_like(h_n)
    for layer in range(num_layers):
        outs = []
        for d in range(dirs):
            sfx = f"l{layer}" + ("_reverse" if d else "")
            w = [params.get(f"{k}_{sfx}") for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            idx = layer * dirs + d
            out = np.zeros((steps, batch, hidden))
            for b in range(batch):
                if is_lstm:
                    state = (hx[0][idx, b:b + 1], hx[1][idx, b:b + 1])
                else:
                    state = hx[idx, b:b + 1]
                order = range(lengths[b] - 1, -1, -1) if d else range(lengths[b])
                for t in order:
                    state = ref_cell(mode, layer_in[t, b:b + 1], state, *w)
                    out[t, b] = state[0][0] if is_lstm else state[0]
                if is_lstm:
                    h_n[idx, b] = state[0][0]
                    c_n[idx, b] = state[1][0]
                else:
                    h_n[idx, b] = state[0]
            outs.append(out)
        layer_in = np.concatenate(outs, axis=2)
    out = layer_in.transpose(1, 0, 2) if batch_first else layer_in
    return (out, (h_n, c_n)) if is_lstm else (out, h_n)


def _params(net):
    return {name: p.asnumpy().astype(np.float64) for name, p in net.parameters_and_names()}


def _make(mode, *args, **kwargs):
    cls, extra = MODES[mode]
    return cls(*args, **extra, **kwargs)


def _hx(mode, rng, shape):
    if mode == "LSTM":
        return rng.standard_normal(shape), rng.standard_normal(shape)
    return rng.standard_normal(shape)


def _to_ms(state, dtype=ms.float32):
    if isinstance(state, tuple):
        return tuple(ms.Tensor(s, dtype) for s in state)
    return ms.Tensor(state, dtype)


def _assert_close(got, want, tol):
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want)
        for g, w in zip(got, want):
            _assert_close(g, w, tol)
        return
    np.testing.assert_allclose(got.asnumpy(), want, rtol=tol, atol=tol)


# --- forward against numpy -----------------------------------------------------------------------
COMBOS = list(itertools.product(MODES, (1, 2), (False, True), (False, True), (False, True)))


@pytest.mark.parametrize("mode,num_layers,bidirectional,batch_first,has_bias", COMBOS)
def test_layer_matches_numpy(mode, num_layers, bidirectional, batch_first, has_bias):
    rng = np.random.default_rng(COMBOS.index((mode, num_layers, bidirectional, batch_first, has_bias)))
    steps, batch, inp, hidden = 4, 3, 5, 6
    net = _make(mode, inp, hidden, num_layers=num_layers, has_bias=has_bias, batch_first=batch_first,
                bidirectional=bidirectional)
    x = rng.standard_normal((batch, steps, inp) if batch_first else (steps, batch, inp))
    dirs = 2 if bidirectional else 1
    hx = _hx(mode, rng, (num_layers * dirs, batch, hidden))
    out, state = net(ms.Tensor(x, ms.float32), _to_ms(hx))
    ref_out, ref_state = ref_rnn(mode, x, hx, _params(net), num_layers, bidirectional, batch_first)
    assert out.shape == ref_out.shape
    assert out.dtype == ms.float32
    _assert_close(out, ref_out, 1e-5)
    _assert_close(state, ref_state, 1e-5)


@pytest.mark.parametrize("mode", list(MODES))
def test_default_state_is_zeros(mode):
    rng = np.random.default_rng(1)
    net = _make(mode, 3, 4, num_layers=2, bidirectional=True)
    x = rng.standard_normal((5, 2, 3))
    zeros = _hx(mode, rng, (4, 2, 4))
    zeros = tuple(np.zeros_like(z) for z in zeros) if mode == "LSTM" else np.zeros_like(zeros)
    out, state = net(ms.Tensor(x, ms.float32))
    ref_out, ref_state = ref_rnn(mode, x, zeros, _params(net), 2, True, False)
    _assert_close(out, ref_out, 1e-5)
    _assert_close(state, ref_state, 1e-5)


@pytest.mark.parametrize("mode,bidirectional,batch_first", list(itertools.product(MODES, (False, True),
                                                                                     (False, True))))
def test_seq_length_matches_numpy(mode, bidirectional, batch_first):
    rng = np.random.default_rng(7)
    steps, batch, inp, hidden = 5, 4, 3, 4
    dirs = 2 if bidirectional else 1
    net = _make(mode, inp, hidden, num_layers=2, bidirectional=bidirectional, batch_first=batch_first)
    x = rng.standard_normal((batch, steps, inp) if batch_first else (steps, batch, inp))
    hx = _hx(mode, rng, (2 * dirs, batch, hidden))
    lengths = np.array([5, 2, 4, 1], dtype=np.int32)
    out, state = net(ms.Tensor(x, ms.float32), _to_ms(hx), ms.Tensor(lengths))
    ref_out, ref_state = ref_rnn(mode, x, hx, _params(net), 2, bidirectional, batch_first, lengths)
    _assert_close(out, ref_out, 1e-5)
    _assert_close(state, ref_state, 1e-5)
    # padded steps give zero outputs
    padded = out.asnumpy() if not batch_first else out.asnumpy().transpose(1, 0, 2)
    assert np.all(padded[2:, 1] == 0) and np.all(padded[1:, 3] == 0)


def test_output_and_state_dtypes_follow_input():
    net = nn.LSTM(3, 4)
    x = ms.Tensor(np.ones((2, 1, 3)), ms.float64)
    out, (h, c) = net(x)
    assert out.dtype == ms.float64 and h.dtype == ms.float64 and c.dtype == ms.float64


def test_float64_parameters():
    net = nn.GRU(3, 4, dtype=ms.float64)
    assert all(p.dtype == ms.float64 for p in net.get_parameters())
    out, h = net(ms.Tensor(np.ones((2, 1, 3)), ms.float64))
    assert out.dtype == ms.float64 and out.shape == (2, 1, 4) and h.shape == (1, 1, 4)


# --- parameters ----------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", list(MODES))
def test_parameter_names_shapes_and_order(mode):
    net = _make(mode, 3, 4, num_layers=2, bidirectional=True)
    g = GATES[mode] * 4
    names = [n for n, _ in net.parameters_and_names()]
    suffixes = ["l0", "l0_reverse", "l1", "l1_reverse"]
    want = [f"{k}_{s}" for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh") for s in suffixes]
    assert names == want
    shapes = {n: p.shape for n, p in net.parameters_and_names()}
    assert shapes["weight_ih_l0"] == (g, 3)
    assert shapes["weight_ih_l1_reverse"] == (g, 8)
    assert shapes["weight_hh_l1"] == (g, 4)
    assert shapes["bias_hh_l0_reverse"] == (g,)
    assert all(p.name == n for n, p in net.parameters_and_names())


def test_parameter_names_without_bias_and_in_a_parent():
    class Net(nn.Cell):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(3, 4, has_bias=False)

        def construct(self, x):
            return self.lstm(x)

    net = Net()
    assert [p.name for p in net.get_parameters()] == ["lstm.weight_ih_l0", "lstm.weight_hh_l0"]


@pytest.mark.parametrize("cls,chunks", [(nn.RNNCell, 1), (nn.LSTMCell, 4), (nn.GRUCell, 3)])
def test_cell_parameters(cls, chunks):
    cell = cls(3, 5)
    assert [n for n, _ in cell.parameters_and_names()] == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
    assert cell.weight_ih.shape == (chunks * 5, 3)
    assert cell.weight_hh.shape == (chunks * 5, 5)
    assert cell.bias_hh.shape == (chunks * 5,)
    assert [n for n, _ in cls(3, 5, has_bias=False).parameters_and_names()] == ["weight_ih", "weight_hh"]


def test_initialisation_is_uniform_in_one_over_sqrt_hidden():
    ms.set_seed(3)
    hidden = 16
    bound = 1 / math.sqrt(hidden)
    for net in (nn.LSTM(8, hidden, num_layers=2), nn.GRUCell(8, hidden)):
        values = np.concatenate([p.asnumpy().ravel() for p in net.get_parameters()])
        assert values.min() >= -bound and values.max() <= bound
        # spread over the whole interval, not a constant or a narrow normal
        assert values.min() < -0.9 * bound and values.max() > 0.9 * bound
        assert abs(values.std() - bound / math.sqrt(3)) < 0.1 * bound


# --- cells ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls,mode,kwargs", [(nn.RNNCell, "RNN_TANH", {}), (nn.RNNCell, "RNN_RELU",
                                                                            {"nonlinearity": "relu"}),
                                              (nn.LSTMCell, "LSTM", {}), (nn.GRUCell, "GRU", {}),
                                              (nn.GRUCell, "GRU", {"has_bias": False})])
def test_cell_matches_numpy(cls, mode, kwargs):
    rng = np.random.default_rng(5)
    cell = cls(3, 4, **kwargs)
    x = rng.standard_normal((2, 3))
    state = (rng.standard_normal((2, 4)), rng.standard_normal((2, 4))) if mode == "LSTM" else \
        rng.standard_normal((2, 4))
    p = _params(cell)
    want = ref_cell(mode, x, state, p["weight_ih"], p["weight_hh"], p.get("bias_ih"), p.get("bias_hh"))
    got = cell(ms.Tensor(x, ms.float32), _to_ms(state))
    _assert_close(got, want, 1e-5)


def test_cell_loop_equals_layer():
    rng = np.random.default_rng(2)
    layer = nn.LSTM(3, 4)
    cell = nn.LSTMCell(3, 4)
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        getattr(cell, name).set_data(getattr(layer, name + "_l0"))
    x = ms.Tensor(rng.standard_normal((5, 2, 3)), ms.float32)
    out, (h, c) = layer(x)
    state = None
    for t in range(5):
        state = cell(x[t], state)
        np.testing.assert_allclose(state[0].asnumpy(), out.asnumpy()[t], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(state[1].asnumpy(), c.asnumpy()[0], rtol=1e-5, atol=1e-6)


# --- gradients -----------------------------------------------------------------------------------
def _numeric_grads(fn, params, eps=1e-6, per_param=12, seed=0):
    """Central differences of ``fn`` at ``per_param`` random elements of each parameter (NaN
    elsewhere)."""
    rng = np.random.default_rng(seed)
    grads = {}
    for name, value in params.items():
        g = np.full(value.shape, np.nan)
        picks = rng.choice(value.size, size=min(per_param, value.size), replace=False)
        for i in (np.unravel_index(k, value.shape) for k in picks):
            old = value[i]
            value[i] = old + eps
            up = fn(params)
            value[i] = old - eps
            down = fn(params)
            value[i] = old
            g[i] = (up - down) / (2 * eps)
        grads[name] = g
    return grads


@pytest.mark.parametrize("mode,bidirectional,with_lengths", [("RNN_TANH", True, False), ("LSTM", True, False),
                                                             ("GRU", True, False), ("LSTM", False, True),
                                                             ("GRU", True, True), ("RNN_RELU", False, False)])
def test_gradients_match_central_differences(mode, bidirectional, with_lengths):
    rng = np.random.default_rng(11)
    steps, batch, inp, hidden, layers = 3, 2, 2, 3, 2
    dirs = 2 if bidirectional else 1
    net = _make(mode, inp, hidden, num_layers=layers, bidirectional=bidirectional, dtype=ms.float64)
    x = rng.standard_normal((steps, batch, inp))
    hx = _hx(mode, rng, (layers * dirs, batch, hidden))
    lengths = np.array([3, 2]) if with_lengths else None
    w_out = rng.standard_normal((steps, batch, dirs * hidden))
    w_h = rng.standard_normal((layers * dirs, batch, hidden))

    def ref_loss(params):
        out, state = ref_rnn(mode, x, hx, params, layers, bidirectional, False, lengths)
        h = state[0] + 0.5 * state[1] if mode == "LSTM" else state
        return float((out * w_out).sum() + (h * w_h).sum())

    def loss(xt, *args):
        out, state = net(xt, *args)
        h = state[0] + 0.5 * state[1] if mode == "LSTM" else state
        return (out * ms.Tensor(w_out)).sum() + (h * ms.Tensor(w_h)).sum()

    params = list(net.get_parameters())
    args = [_to_ms(hx, ms.float64)] + ([ms.Tensor(lengths)] if with_lengths else [])
    gx, gw = ms.grad(loss, grad_position=0, weights=params)(ms.Tensor(x), *args)
    numeric = _numeric_grads(ref_loss, _params(net))
    for p, g in zip(params, gw):
        assert np.abs(g.asnumpy()).max() > 0, f"no gradient reached {p.name}"
        checked = ~np.isnan(numeric[p.name])
        np.testing.assert_allclose(g.asnumpy()[checked], numeric[p.name][checked], rtol=1e-5, atol=1e-7,
                                   err_msg=p.name)
    assert gx.shape == x.shape and np.abs(gx.asnumpy()).max() > 0


@pytest.mark.parametrize("cls", [nn.RNNCell, nn.LSTMCell, nn.GRUCell])
def test_cell_gradients_reach_every_parameter(cls):
    cell = cls(3, 4)
    rng = np.random.default_rng(0)
    x = ms.Tensor(rng.standard_normal((2, 3)), ms.float32)
    h = ms.Tensor(rng.standard_normal((2, 4)), ms.float32)
    state = (h, h) if cls is nn.LSTMCell else h

    def loss(x):
        out = cell(x, state)
        return (out[0] if isinstance(out, tuple) else out).sum()

    grads = ms.grad(loss, grad_position=None, weights=cell.trainable_params())(x)
    for p, g in zip(cell.trainable_params(), grads):
        assert g.shape == p.shape
        assert np.abs(g.asnumpy()).max() > 0, p.name


# --- dropout between layers ----------------------------------------------------------------------
def test_dropout_only_between_layers_in_training():
    rng = np.random.default_rng(4)
    net = nn.LSTM(3, 8, num_layers=2, dropout=0.5)
    x = rng.standard_normal((4, 2, 3))
    zeros = (np.zeros((2, 2, 8)), np.zeros((2, 2, 8)))
    ref_out, _ = ref_rnn("LSTM", x, zeros, _params(net), 2, False, False)
    out, _ = net(ms.Tensor(x, ms.float32))
    _assert_close(out, ref_out, 1e-5)  # a new layer predicts: no dropout
    net.set_train(True)
    train_out, _ = net(ms.Tensor(x, ms.float32))
    assert not np.allclose(train_out.asnumpy(), ref_out, atol=1e-3)
    net.set_train(False)
    _assert_close(net(ms.Tensor(x, ms.float32))[0], ref_out, 1e-5)
    # one layer: dropout has nothing to act on
    single = nn.GRU(3, 4, dropout=0.5).set_train(True)
    p = _params(single)
    _assert_close(single(ms.Tensor(x, ms.float32))[0], ref_rnn("GRU", x, np.zeros((1, 2, 4)), p, 1, False, False)[0],
                  1e-5)


# --- errors --------------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs,exc,text", [
    ({"input_size": 0, "hidden_size": 4}, ValueError, "'input_size' must be a positive int, got 0"),
    ({"input_size": 3.0, "hidden_size": 4}, TypeError, "'input_size' must be an int"),
    ({"input_size": 3, "hidden_size": -1}, ValueError, "'hidden_size'"),
    ({"input_size": 3, "hidden_size": 4, "num_layers": 0}, ValueError, "'num_layers'"),
    ({"input_size": 3, "hidden_size": 4, "dropout": 1.0}, ValueError, "'dropout' must be in [0.0, 1.0)"),
    ({"input_size": 3, "hidden_size": 4, "dropout": "0.1"}, TypeError, "'dropout'"),
    ({"input_size": 3, "hidden_size": 4, "has_bias": 1}, TypeError, "'has_bias' must be a bool"),
    ({"input_size": 3, "hidden_size": 4, "batch_first": None}, TypeError, "'batch_first'"),
    ({"input_size": 3, "hidden_size": 4, "bidirectional": "yes"}, TypeError, "'bidirectional'"),
])
def test_constructor_errors(kwargs, exc, text):
    for cls in (nn.RNN, nn.LSTM, nn.GRU):
        with pytest.raises(exc, match=_escape(text)):
            cls(**kwargs)


def _escape(text):
    import re
    return re.escape(text)


def test_nonlinearity_errors():
    with pytest.raises(ValueError, match="'nonlinearity' must be 'tanh' or 'relu', got 'sigmoid'"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.RNNCell(3, 4, nonlinearity="gelu")
    with pytest.raises(TypeError, match="'has_bias' must be a bool"):
        nn.LSTMCell(3, 4, has_bias="no")
    with pytest.raises(ValueError, match="'hidden_size'"):
        nn.GRUCell(3, 0)


def test_call_errors():
    net = nn.LSTM(3, 4, num_layers=2)
    x = ms.Tensor(np.zeros((5, 2, 3)), ms.float32)
    with pytest.raises(ValueError, match="'x' must be 3-D"):
        net(ms.Tensor(np.zeros((5, 3)), ms.float32))
    with pytest.raises(ValueError, match="3 features"):
        net(ms.Tensor(np.zeros((5, 2, 4)), ms.float32))
    with pytest.raises(TypeError, match="'x' must be a float Tensor"):
        net(ms.Tensor(np.zeros((5, 2, 3), np.int32)))
    with pytest.raises(TypeError, match="'hx' must be a tuple"):
        net(x, ms.Tensor(np.zeros((2, 2, 4)), ms.float32))
    bad = ms.Tensor(np.zeros((1, 2, 4)), ms.float32)
    with pytest.raises(ValueError, match=r"'hx\[0\]' must have shape \[2, 2, 4\]"):
        net(x, (bad, bad))
    with pytest.raises(TypeError, match="'seq_length' must be int32 or int64"):
        net(x, None, ms.Tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="'seq_length' must have shape"):
        net(x, None, ms.Tensor(np.array([1, 2, 3], np.int32)))
    gru = nn.GRU(3, 4)
    with pytest.raises(ValueError, match="'hx' must have shape"):
        gru(x, ms.Tensor(np.zeros((2, 2, 4)), ms.float32))
    cell = nn.GRUCell(3, 4)
    with pytest.raises(ValueError, match="'hx' must have shape"):
        cell(ms.Tensor(np.zeros((2, 3)), ms.float32), ms.Tensor(np.zeros((3, 4)), ms.float32))
    with pytest.raises(TypeError, match="'hx' must be a tuple"):
        nn.LSTMCell(3, 4)(ms.Tensor(np.zeros((2, 3)), ms.float32), ms.Tensor(np.zeros((2, 4)), ms.float32))


# --- PyTorch, whose math MindSpore's layers follow -----------------------------------------------
@pytest.mark.parametrize("mode,bidirectional,batch_first", [("LSTM", True, False), ("GRU", True, True),
                                                            ("RNN_TANH", False, False), ("RNN_RELU", True, True)])
def test_matches_torch(mode, bidirectional, batch_first):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    net = _make(mode, 3, 5, num_layers=2, bidirectional=bidirectional, batch_first=batch_first)
    if mode.startswith("RNN"):
        ref = torch.nn.RNN(3, 5, num_layers=2, nonlinearity=mode[4:].lower(), bidirectional=bidirectional,
                           batch_first=batch_first)
    else:
        ref = getattr(torch.nn, mode)(3, 5, num_layers=2, bidirectional=bidirectional, batch_first=batch_first)
    with torch.no_grad():
        for name, p in net.parameters_and_names():
            getattr(ref, name).copy_(torch.from_numpy(p.asnumpy().copy()))
    x = rng.standard_normal((2, 4, 3) if batch_first else (4, 2, 3)).astype(np.float32)
    xt = torch.from_numpy(x).requires_grad_(True)
    want_out, want_state = ref(xt)
    out, state = net(ms.Tensor(x))
    np.testing.assert_allclose(out.asnumpy(), want_out.detach().numpy(), rtol=1e-5, atol=1e-5)
    if mode == "LSTM":
        for got, want in zip(state, want_state):
            np.testing.assert_allclose(got.asnumpy(), want.detach().numpy(), rtol=1e-5, atol=1e-5)
    else:
        np.testing.assert_allclose(state.asnumpy(), want_state.detach().numpy(), rtol=1e-5, atol=1e-5)
    # gradients of the sum of the outputs
    want_out.sum().backward()
    params = list(net.get_parameters())
    gx, gw = ms.grad(lambda t: net(t)[0].sum(), grad_position=0, weights=params)(ms.Tensor(x))
    np.testing.assert_allclose(gx.asnumpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-5)
    for p, g in zip(params, gw):
        np.testing.assert_allclose(g.asnumpy(), getattr(ref, p.name).grad.numpy(), rtol=1e-4, atol=1e-5,
                                   err_msg=p.name)


@pytest.mark.parametrize("cls,name", [(nn.RNNCell, "RNNCell"), (nn.LSTMCell, "LSTMCell"), (nn.GRUCell, "GRUCell")])
def test_cells_match_torch(cls, name):
    torch = pytest.importorskip("torch")
    cell = cls(3, 4)
    ref = getattr(torch.nn, name)(3, 4)
    with torch.no_grad():
        for pname, p in cell.parameters_and_names():
            getattr(ref, pname).copy_(torch.from_numpy(p.asnumpy().copy()))
    x = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    h = np.random.default_rng(1).standard_normal((2, 4)).astype(np.float32)
    if name == "LSTMCell":
        got = cell(ms.Tensor(x), (ms.Tensor(h), ms.Tensor(h)))
        want = ref(torch.from_numpy(x), (torch.from_numpy(h), torch.from_numpy(h)))
        for g, w in zip(got, want):
            np.testing.assert_allclose(g.asnumpy(), w.detach().numpy(), rtol=1e-5, atol=1e-6)
    else:
        got = cell(ms.Tensor(x), ms.Tensor(h))
        want = ref(torch.from_numpy(x), torch.from_numpy(h))
        np.testing.assert_allclose(got.asnumpy(), want.detach().numpy(), rtol=1e-5, atol=1e-6)
