"""Recurrent layers: RNN, LSTM and GRU (stacked, bidirectional) and their one-step cells RNNCell,
LSTMCell and GRUCell (MindSpore's ``nn.RNN`` ... ``nn.GRUCell``).

The layers compute the input projection of every time step with one matrix product per layer and
direction, and loop only over the recurrent part; each step is a handful of ops, so the tape (and
graph mode's tracer) sees a short, regular chain. Gate order is MindSpore's (and PyTorch's): LSTM
i, f, g, o; GRU r, z, n."""
import math
import numbers

from ... import dtype as mstype
from ...common.initializer import Uniform, initializer
from ...ops import functional as F
from ...tensor import Parameter, Tensor
from ..cell import Cell
from ...ops._helpers import check_bool as _check_bool, check_positive_int as _check_positive_int

__all__ = ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"]

# number of stacked gate blocks in the weights of each kind of recurrence
_NUM_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


# --- argument checks -----------------------------------------------------------------------------


def _check_nonlinearity(cls_name, nonlinearity):
    if not isinstance(nonlinearity, str):
        raise TypeError(f"{cls_name}: 'nonlinearity' must be a str, got {type(nonlinearity).__name__}")
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"{cls_name}: 'nonlinearity' must be 'tanh' or 'relu', got {nonlinearity!r}")
    return nonlinearity


def _check_float_tensor(cls_name, x, argname, ndim):
    if not isinstance(x, Tensor):
        raise TypeError(f"{cls_name}: '{argname}' must be a Tensor, got {type(x).__name__}")
    if x.dtype.kind != "f":
        raise TypeError(f"{cls_name}: '{argname}' must be a float Tensor, got {x.dtype}")
    if x.ndim != ndim:
        raise ValueError(f"{cls_name}: '{argname}' must be {ndim}-D, got shape {list(x.shape)}")


def _check_shape(cls_name, x, argname, shape):
    if tuple(x.shape) != tuple(shape):
        raise ValueError(f"{cls_name}: '{argname}' must have shape {list(shape)}, got {list(x.shape)}")


def _as_dtype(w, dtype):
    """A weight in the dtype of the input (MindSpore casts the weights to the input's dtype)."""
    if w is None or w.dtype == dtype:
        return w
    return F.cast(w, dtype)


# --- one recurrent step --------------------------------------------------------------------------
# ``xw`` is the input projection of the step, W_ih x + b_ih (plus b_hh for RNN and LSTM, whose
# hidden bias is simply added); ``w_hh_t`` is W_hh transposed; ``b_hh`` is used only by the GRU,
# where the hidden bias of the new gate sits inside the reset product.
def _rnn_tanh_step(xw, h, w_hh_t, b_hh, hidden_size):
    return F.tanh(xw + F.matmul(h, w_hh_t))


def _rnn_relu_step(xw, h, w_hh_t, b_hh, hidden_size):
    return F.relu(xw + F.matmul(h, w_hh_t))


def _lstm_step(xw, state, w_hh_t, b_hh, hidden_size):
    h, c = state
    gates = xw + F.matmul(h, w_hh_t)
    i, f, g, o = F.split(gates, hidden_size, axis=1)
    c = F.sigmoid(f) * c + F.sigmoid(i) * F.tanh(g)
    h = F.sigmoid(o) * F.tanh(c)
    return h, c


def _gru_step(xw, h, w_hh_t, b_hh, hidden_size):
    gh = F.matmul(h, w_hh_t)
    if b_hh is not None:
        gh = gh + b_hh
    i_r, i_z, i_n = F.split(xw, hidden_size, axis=1)
    h_r, h_z, h_n = F.split(gh, hidden_size, axis=1)
    r = F.sigmoid(i_r + h_r)
    z = F.sigmoid(i_z + h_z)
    n = F.tanh(i_n + r * h_n)
    return n + z * (h - n)


_STEPS = {"RNN_TANH": _rnn_tanh_step, "RNN_RELU": _rnn_relu_step, "LSTM": _lstm_step, "GRU": _gru_step}


def _input_projection(mode, x2d, w_ih, b_ih, b_hh):
    """W_ih x + b for every row of ``x2d`` at once (one matrix product)."""
    xw = F.matmul(x2d, F.transpose(w_ih, (1, 0)))
    if b_ih is None:
        return xw
    if mode == "GRU":
        return xw + b_ih
    return xw + (b_ih + b_hh)


# --- the layers ----------------------------------------------------------------------------------
class _RNNBase(Cell):
    """Stacked, optionally bidirectional recurrence shared by RNN, LSTM and GRU."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, has_bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, dtype=mstype.float32):
        super().__init__()
        name = type(self).__name__
        input_size = _check_positive_int(name, input_size, "input_size")
        hidden_size = _check_positive_int(name, hidden_size, "hidden_size")
        num_layers = _check_positive_int(name, num_layers, "num_layers")
        _check_bool(name, has_bias, "has_bias")
        _check_bool(name, batch_first, "batch_first")
        _check_bool(name, bidirectional, "bidirectional")
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real):
            raise TypeError(f"{name}: 'dropout' must be a float, got {type(dropout).__name__}")
        if not 0 <= dropout < 1:
            raise ValueError(f"{name}: 'dropout' must be in [0.0, 1.0), got {dropout}")
        dtype = mstype.to_dtype(dtype, "dtype")
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.has_bias = has_bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.is_lstm = mode == "LSTM"
        self.num_directions = 2 if bidirectional else 1
        gate_size = _NUM_GATES[mode] * hidden_size
        stdv = 1 / math.sqrt(hidden_size)
        # parameter names per (layer, direction), in MindSpore's order: all input weights, then
        # all hidden weights, then the input biases, then the hidden biases
        self._names = []
        shapes = {}
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * self.num_directions
            for direction in range(self.num_directions):
                suffix = f"l{layer}" + ("_reverse" if direction == 1 else "")
                names = (f"weight_ih_{suffix}", f"weight_hh_{suffix}",
                         f"bias_ih_{suffix}" if has_bias else None, f"bias_hh_{suffix}" if has_bias else None)
                self._names.append(names)
                shapes[names[0]] = (gate_size, layer_input)
                shapes[names[1]] = (gate_size, hidden_size)
                if has_bias:
                    shapes[names[2]] = (gate_size,)
                    shapes[names[3]] = (gate_size,)
        for kind in range(4):
            for names in self._names:
                if names[kind] is not None:
                    data = initializer(Uniform(stdv), shapes[names[kind]], dtype)
                    setattr(self, names[kind], Parameter(data, name=names[kind]))

    def extend_repr(self):
        return (f"input_size={self.input_size}, hidden_size={self.hidden_size}, num_layers={self.num_layers}, "
                f"has_bias={self.has_bias}, batch_first={self.batch_first}, dropout={self.dropout}, "
                f"bidirectional={self.bidirectional}")

    def _check_state(self, name, hx, x, shape):
        if self.is_lstm:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(f"{name}: 'hx' must be a tuple (h_0, c_0) of two Tensors, got "
                                f"{type(hx).__name__}")
            for i, t in enumerate(hx):
                _check_float_tensor(name, t, f"hx[{i}]", 3)
                _check_shape(name, t, f"hx[{i}]", shape)
            return tuple(F.cast(t, x.dtype) for t in hx)
        _check_float_tensor(name, hx, "hx", 3)
        _check_shape(name, hx, "hx", shape)
        return F.cast(hx, x.dtype)

    def construct(self, x, hx=None, seq_length=None):
        name = type(self).__name__
        _check_float_tensor(name, x, "x", 3)
        if self.batch_first:
            x = F.transpose(x, (1, 0, 2))
        steps, batch, features = x.shape
        if features != self.input_size:
            raise ValueError(f"{name}: 'x' must have {self.input_size} features (input_size), got {features}")
        state_shape = (self.num_layers * self.num_directions, batch, self.hidden_size)
        if hx is None:
            zeros = F.zeros(state_shape, x.dtype)
            hx = (zeros, zeros) if self.is_lstm else zeros
        else:
            hx = self._check_state(name, hx, x, state_shape)
        masks = None
        if seq_length is not None:
            masks = self._step_masks(name, seq_length, steps, batch)
        # per (layer, direction) initial states, each (batch, hidden)
        if self.is_lstm:
            h0 = F.split(hx[0], 1, axis=0)
            c0 = F.split(hx[1], 1, axis=0)
            init = [(F.reshape(h, state_shape[1:]), F.reshape(c, state_shape[1:])) for h, c in zip(h0, c0)]
        else:
            init = [F.reshape(h, state_shape[1:]) for h in F.split(hx, 1, axis=0)]
        layer_input = x
        finals = []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(self.num_directions):
                index = layer * self.num_directions + direction
                out, final = self._run_direction(layer_input, init[index], self._names[index], direction == 1,
                                                 masks)
                outputs.append(out)
                finals.append(final)
            layer_input = outputs[0] if len(outputs) == 1 else F.concat(outputs, axis=2)
            if self.training and self.dropout > 0 and layer < self.num_layers - 1:
                layer_input = F.dropout(layer_input, p=self.dropout, training=True)
        output = layer_input
        if self.batch_first:
            output = F.transpose(output, (1, 0, 2))
        if self.is_lstm:
            h_n = F.stack([f[0] for f in finals], axis=0)
            c_n = F.stack([f[1] for f in finals], axis=0)
            return output, (h_n, c_n)
        return output, F.stack(finals, axis=0)

    def _step_masks(self, name, seq_length, steps, batch):
        """One (batch, hidden) bool mask per time step: True where the step lies inside the
        sequence's length."""
        if not isinstance(seq_length, Tensor):
            raise TypeError(f"{name}: 'seq_length' must be a Tensor, got {type(seq_length).__name__}")
        if seq_length.dtype not in (mstype.int32, mstype.int64):
            raise TypeError(f"{name}: 'seq_length' must be int32 or int64, got {seq_length.dtype}")
        if tuple(seq_length.shape) != (batch,):
            raise ValueError(f"{name}: 'seq_length' must have shape [{batch}] (the batch size), got "
                             f"{list(seq_length.shape)}")
        lengths = F.reshape(seq_length, (batch, 1))
        shape = (batch, self.hidden_size)
        return [F.broadcast_to(F.greater(lengths, t), shape) for t in range(steps)]

    def _run_direction(self, x, state, names, reverse, masks):
        """Run one layer in one direction over the whole sequence ``x`` (steps, batch, features);
        returns the outputs (steps, batch, hidden) and the final state."""
        params = self._params
        dtype = x.dtype
        w_ih = _as_dtype(params[names[0]], dtype)
        w_hh = _as_dtype(params[names[1]], dtype)
        b_ih = _as_dtype(params[names[2]], dtype) if names[2] is not None else None
        b_hh = _as_dtype(params[names[3]], dtype) if names[3] is not None else None
        steps, batch, features = x.shape
        hidden = self.hidden_size
        xw = _input_projection(self.mode, F.reshape(x, (steps * batch, features)), w_ih, b_ih, b_hh)
        # rows are time-major, so splitting into blocks of ``batch`` rows gives one block per step
        xws = F.split(xw, batch, axis=0)
        w_hh_t = F.transpose(w_hh, (1, 0))
        step = _STEPS[self.mode]
        outputs = [None] * steps
        order = range(steps - 1, -1, -1) if reverse else range(steps)
        is_lstm = self.is_lstm
        if masks is not None:
            zeros = F.zeros((batch, hidden), dtype)
        for t in order:
            new = step(xws[t], state, w_hh_t, b_hh, hidden)
            if masks is None:
                state = new
                outputs[t] = new[0] if is_lstm else new
                continue
            # past a sequence's end the state is carried unchanged and the output is zero; run
            # backwards, the state stays the initial one until the sequence's last valid step
            inside = masks[t]
            if is_lstm:
                state = (F.select(inside, new[0], state[0]), F.select(inside, new[1], state[1]))
                outputs[t] = F.select(inside, new[0], zeros)
            else:
                state = F.select(inside, new, state)
                outputs[t] = F.select(inside, new, zeros)
        return F.stack(outputs, axis=0), state


class RNN(_RNNBase):
    r"""Stacked Elman RNN: :math:`h_t = act(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})` with
    ``act`` tanh or ReLU.

    Args: input_size, hidden_size, num_layers=1, nonlinearity='tanh', has_bias=True,
    batch_first=False, dropout=0.0 (between layers, in training), bidirectional=False,
    dtype=float32 (of the parameters).

    Call ``net(x, hx=None, seq_length=None)`` with ``x`` of shape (seq_len, batch, input_size)
    (batch first if ``batch_first``), ``hx`` of shape (num_directions * num_layers, batch,
    hidden_size) (zeros when None) and ``seq_length`` the valid length of each sequence (int32 or
    int64, shape (batch,)); returns ``(output, h_n)``.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", has_bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, dtype=mstype.float32):
        mode = "RNN_TANH" if _check_nonlinearity("RNN", nonlinearity) == "tanh" else "RNN_RELU"
        super().__init__(mode, input_size, hidden_size, num_layers, has_bias, batch_first, dropout,
                         bidirectional, dtype)
        self.nonlinearity = nonlinearity


class LSTM(_RNNBase):
    r"""Stacked LSTM: gates :math:`i, f, g, o` from :math:`W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} +
    b_{hh}`, :math:`c_t = \sigma(f) c_{t-1} + \sigma(i) \tanh(g)`, :math:`h_t = \sigma(o) \tanh(c_t)`.

    Args as :class:`RNN` without ``nonlinearity``. Call ``net(x, hx=None, seq_length=None)`` with
    ``hx`` a tuple ``(h_0, c_0)``; returns ``(output, (h_n, c_n))``.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, has_bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, dtype=mstype.float32):
        super().__init__("LSTM", input_size, hidden_size, num_layers, has_bias, batch_first, dropout,
                         bidirectional, dtype)


class GRU(_RNNBase):
    r"""Stacked GRU: :math:`r = \sigma(W_{ir} x + b_{ir} + W_{hr} h + b_{hr})`, :math:`z` likewise,
    :math:`n = \tanh(W_{in} x + b_{in} + r (W_{hn} h + b_{hn}))`, :math:`h' = (1 - z) n + z h`.

    Args as :class:`RNN` without ``nonlinearity``. Call ``net(x, hx=None, seq_length=None)``;
    returns ``(output, h_n)``.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, has_bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, dtype=mstype.float32):
        super().__init__("GRU", input_size, hidden_size, num_layers, has_bias, batch_first, dropout,
                         bidirectional, dtype)


# --- the cells -----------------------------------------------------------------------------------
class _RNNCellBase(Cell):
    """One step of a recurrence; parameters weight_ih, weight_hh, bias_ih, bias_hh, all drawn from
    U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""

    def __init__(self, input_size, hidden_size, has_bias, num_chunks, dtype):
        super().__init__()
        name = type(self).__name__
        self.input_size = _check_positive_int(name, input_size, "input_size")
        self.hidden_size = _check_positive_int(name, hidden_size, "hidden_size")
        self.has_bias = _check_bool(name, has_bias, "has_bias")
        dtype = mstype.to_dtype(dtype, "dtype")
        stdv = 1 / math.sqrt(self.hidden_size)
        gate_size = num_chunks * self.hidden_size
        self.weight_ih = Parameter(initializer(Uniform(stdv), (gate_size, self.input_size), dtype), name="weight_ih")
        self.weight_hh = Parameter(initializer(Uniform(stdv), (gate_size, self.hidden_size), dtype), name="weight_hh")
        if has_bias:
            self.bias_ih = Parameter(initializer(Uniform(stdv), (gate_size,), dtype), name="bias_ih")
            self.bias_hh = Parameter(initializer(Uniform(stdv), (gate_size,), dtype), name="bias_hh")
        else:
            self.bias_ih = None
            self.bias_hh = None

    def extend_repr(self):
        return f"input_size={self.input_size}, hidden_size={self.hidden_size}, has_bias={self.has_bias}"

    def _check_input(self, x):
        name = type(self).__name__
        _check_float_tensor(name, x, "x", 2)
        if x.shape[1] != self.input_size:
            raise ValueError(f"{name}: 'x' must have {self.input_size} features (input_size), got {x.shape[1]}")

    def _check_hidden(self, t, x, argname):
        name = type(self).__name__
        _check_float_tensor(name, t, argname, 2)
        _check_shape(name, t, argname, (x.shape[0], self.hidden_size))
        return F.cast(t, x.dtype)

    def _step(self, mode, x, state):
        dtype = x.dtype
        w_ih = _as_dtype(self.weight_ih, dtype)
        w_hh = _as_dtype(self.weight_hh, dtype)
        b_ih = _as_dtype(self.bias_ih, dtype)
        b_hh = _as_dtype(self.bias_hh, dtype)
        xw = _input_projection(mode, x, w_ih, b_ih, b_hh)
        return _STEPS[mode](xw, state, F.transpose(w_hh, (1, 0)), b_hh, self.hidden_size)


class RNNCell(_RNNCellBase):
    r"""One Elman RNN step: :math:`h' = act(W_{ih} x + b_{ih} + W_{hh} h + b_{hh})`.

    Args: input_size, hidden_size, has_bias=True, nonlinearity='tanh', dtype=float32.
    Call ``cell(x, hx)`` with ``x`` (batch, input_size) and ``hx`` (batch, hidden_size) (zeros
    when None); returns ``h'``.
    """

    def __init__(self, input_size, hidden_size, has_bias=True, nonlinearity="tanh", dtype=mstype.float32):
        super().__init__(input_size, hidden_size, has_bias, 1, dtype)
        self.nonlinearity = _check_nonlinearity("RNNCell", nonlinearity)

    def construct(self, x, hx=None):
        self._check_input(x)
        if hx is None:
            hx = F.zeros((x.shape[0], self.hidden_size), x.dtype)
        hx = self._check_hidden(hx, x, "hx")
        return self._step("RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU", x, hx)


class LSTMCell(_RNNCellBase):
    r"""One LSTM step. Args: input_size, hidden_size, has_bias=True, dtype=float32.

    Call ``cell(x, hx)`` with ``hx`` a tuple ``(h, c)`` of (batch, hidden_size) Tensors (zeros
    when None); returns ``(h', c')``.
    """

    def __init__(self, input_size, hidden_size, has_bias=True, dtype=mstype.float32):
        super().__init__(input_size, hidden_size, has_bias, 4, dtype)

    def construct(self, x, hx=None):
        self._check_input(x)
        if hx is None:
            zeros = F.zeros((x.shape[0], self.hidden_size), x.dtype)
            hx = (zeros, zeros)
        if not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise TypeError(f"LSTMCell: 'hx' must be a tuple (h, c) of two Tensors, got {type(hx).__name__}")
        state = (self._check_hidden(hx[0], x, "hx[0]"), self._check_hidden(hx[1], x, "hx[1]"))
        return self._step("LSTM", x, state)


class GRUCell(_RNNCellBase):
    r"""One GRU step. Args: input_size, hidden_size, has_bias=True, dtype=float32.

    Call ``cell(x, hx)`` with ``hx`` (batch, hidden_size) (zeros when None); returns ``h'``.
    """

    def __init__(self, input_size, hidden_size, has_bias=True, dtype=mstype.float32):
        super().__init__(input_size, hidden_size, has_bias, 3, dtype)

    def construct(self, x, hx=None):
        self._check_input(x)
        if hx is None:
            hx = F.zeros((x.shape[0], self.hidden_size), x.dtype)
        hx = self._check_hidden(hx, x, "hx")
        return self._step("GRU", x, hx)
