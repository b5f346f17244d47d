"""The benchmark workloads, defined once: each model in sporen and in PyTorch with the same
architecture, its loss, its optimizer, synthetic batches from a fixed seed, and its FLOP count per
training step. Every benchmark script (bench_compile.py, the next issue's run.py) builds from here.

FLOP counting: a multiply-add counts as 2 FLOPs; only the GEMM-shaped work is counted (convolutions,
dense layers, the LSTM's gate products, attention's products), elementwise work, normalisation and
pooling are left out (they are a few percent). A training step counts 3x the forward pass (the
backward pass computes two products per forward product: the input gradient and the weight
gradient). This is the usual rule; the LeNet's first convolution has no input gradient, so its step
is slightly over-counted.

Usage::

    from benchmarks.workloads import WORKLOADS
    w = WORKLOADS["resnet18"]
    step = w.sporen_step()          # an nn.TrainOneStepCell (set_train() already called)
    x, y = w.batch()                # numpy arrays, the same every call (fixed seed)
    loss = step(sporen.Tensor(x), sporen.Tensor(y))
    tstep = w.torch_step()          # a function (x, y) -> loss on torch tensors; needs torch
"""
import numpy as np

__all__ = ["Workload", "WORKLOADS", "torch_tensors"]

SEED = 0


class Workload:
    """One benchmark workload.

    name:        the key in WORKLOADS
    title:       a one-line description for tables
    batch_size:  the batch size
    flops:       FLOPs per training step (see the module docstring for the rule)
    """

    def __init__(self, name, title, batch_size, flops, make_batch, make_sporen, make_torch):
        self.name = name
        self.title = title
        self.batch_size = batch_size
        self.flops = flops
        self._make_batch = make_batch
        self._make_sporen = make_sporen
        self._make_torch = make_torch

    def batch(self, seed=SEED):
        """The synthetic batch ``(x, y)`` as numpy arrays (float32 inputs or int32 token ids, int32
        labels), the same for the same seed."""
        return self._make_batch(np.random.default_rng(seed))

    def sporen_model(self):
        """``(net, loss_fn, optimizer)`` in sporen, from sporen's global seed 1."""
        import sporen as ms
        ms.set_seed(1)
        return self._make_sporen()

    def sporen_step(self):
        """The training step as sporen's ``nn.TrainOneStepCell(nn.WithLossCell(net, loss), opt)``,
        in training mode."""
        from sporen import nn
        net, loss_fn, opt = self.sporen_model()
        step = nn.TrainOneStepCell(nn.WithLossCell(net, loss_fn), opt)
        step.set_train()
        return step

    def torch_model(self):
        """``(net, loss_fn, optimizer)`` in PyTorch (seed 1); needs torch."""
        import torch
        torch.manual_seed(1)
        return self._make_torch()

    def torch_step(self, model=None):
        """A function ``step(x, y) -> loss`` (torch tensors) running forward, backward and the
        optimizer update. ``model`` is ``(net, loss_fn, optimizer)`` (default: ``torch_model()``);
        the returned function is what ``torch.compile`` compiles in bench_compile.py."""
        net, loss_fn, opt = model if model is not None else self.torch_model()
        net.train()

        def step(x, y):
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(x), y)
            loss.backward()
            opt.step()
            return loss
        step.net = net
        step.optimizer = opt
        return step


def torch_tensors(x, y):
    """The batch as torch tensors (labels as int64, as torch's losses want)."""
    import torch
    tx = torch.from_numpy(x)
    if tx.dtype == torch.int32:
        tx = tx.long()
    return tx, torch.from_numpy(y.astype(np.int64))


# --- FLOP counting helpers (2 FLOPs per multiply-add, x3 for a training step) ------------------------

def _conv_macs(n, cin, cout, k, hout, wout):
    return n * cout * hout * wout * cin * k * k


def _dense_macs(rows, fin, fout):
    return rows * fin * fout


def _train_flops(forward_macs):
    return 3 * 2 * forward_macs


# --- LeNet-5 -----------------------------------------------------------------------------------------

def _lenet_batch(batch):
    def make(rng):
        x = rng.standard_normal((batch, 1, 32, 32)).astype(np.float32)
        y = rng.integers(0, 10, batch).astype(np.int32)
        return x, y
    return make


def _lenet_sporen():
    from sporen import nn
    from sporen.demo import LeNet5
    net = LeNet5()
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    return net, loss, nn.Momentum(net.trainable_params(), 0.01, 0.9)


def _lenet_torch():
    import torch
    tn = torch.nn
    # sporen.demo.LeNet5: valid 5x5 convolutions without bias (MindSpore's default), Dense with bias
    net = tn.Sequential(tn.Conv2d(1, 6, 5, bias=False), tn.ReLU(), tn.MaxPool2d(2, 2),
                        tn.Conv2d(6, 16, 5, bias=False), tn.ReLU(), tn.MaxPool2d(2, 2), tn.Flatten(),
                        tn.Linear(400, 120), tn.ReLU(), tn.Linear(120, 84), tn.ReLU(), tn.Linear(84, 10))
    return net, tn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), 0.01, momentum=0.9)


def _lenet_flops(n):
    macs = _conv_macs(n, 1, 6, 5, 28, 28) + _conv_macs(n, 6, 16, 5, 10, 10)
    macs += _dense_macs(n, 400, 120) + _dense_macs(n, 120, 84) + _dense_macs(n, 84, 10)
    return _train_flops(macs)


# --- ResNet-18, CIFAR variant ------------------------------------------------------------------------

_RESNET_STAGES = ((64, 1), (128, 2), (256, 2), (512, 2))


def _resnet_batch(rng):
    x = rng.standard_normal((32, 3, 32, 32)).astype(np.float32)
    y = rng.integers(0, 10, 32).astype(np.int32)
    return x, y


def _resnet_sporen():
    from sporen import nn

    class BasicBlock(nn.Cell):
        """Two 3x3 convolutions with BatchNorm; a 1x1 projection shortcut when the shape changes."""

        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, pad_mode="pad", padding=1)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, pad_mode="pad", padding=1)
            self.bn2 = nn.BatchNorm2d(cout)
            self.relu = nn.ReLU()
            self.down = None
            if stride != 1 or cin != cout:
                self.down = nn.SequentialCell([nn.Conv2d(cin, cout, 1, stride, pad_mode="valid"),
                                               nn.BatchNorm2d(cout)])

        def construct(self, x):
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            shortcut = x if self.down is None else self.down(x)
            return self.relu(out + shortcut)

    class ResNet18(nn.Cell):
        """ResNet-18 for 32x32 images: a 3x3 stem (no max-pool), 4 stages of 2 basic blocks,
        global average pooling, a 10-way classifier."""

        def __init__(self):
            super().__init__()
            self.stem = nn.Conv2d(3, 64, 3, 1, pad_mode="pad", padding=1)
            self.bn = nn.BatchNorm2d(64)
            self.relu = nn.ReLU()
            blocks = []
            cin = 64
            for cout, stride in _RESNET_STAGES:
                blocks.append(BasicBlock(cin, cout, stride))
                blocks.append(BasicBlock(cout, cout, 1))
                cin = cout
            self.layers = nn.SequentialCell(blocks)
            self.fc = nn.Dense(512, 10)

        def construct(self, x):
            x = self.relu(self.bn(self.stem(x)))
            x = self.layers(x)
            return self.fc(x.mean(axis=(2, 3)))

    net = ResNet18()
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    return net, loss, nn.Momentum(net.trainable_params(), 0.01, 0.9)


def _resnet_torch():
    import torch
    tn = torch.nn

    class BasicBlock(tn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = tn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = tn.BatchNorm2d(cout, momentum=0.1)
            self.conv2 = tn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = tn.BatchNorm2d(cout, momentum=0.1)
            self.down = None
            if stride != 1 or cin != cout:
                self.down = tn.Sequential(tn.Conv2d(cin, cout, 1, stride, bias=False), tn.BatchNorm2d(cout))

        def forward(self, x):
            out = torch.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            shortcut = x if self.down is None else self.down(x)
            return torch.relu(out + shortcut)

    class ResNet18(tn.Module):
        def __init__(self):
            super().__init__()
            self.stem = tn.Conv2d(3, 64, 3, 1, 1, bias=False)
            self.bn = tn.BatchNorm2d(64)
            blocks = []
            cin = 64
            for cout, stride in _RESNET_STAGES:
                blocks.append(BasicBlock(cin, cout, stride))
                blocks.append(BasicBlock(cout, cout, 1))
                cin = cout
            self.layers = tn.Sequential(*blocks)
            self.fc = tn.Linear(512, 10)

        def forward(self, x):
            x = torch.relu(self.bn(self.stem(x)))
            x = self.layers(x)
            return self.fc(x.mean(dim=(2, 3)))

    net = ResNet18()
    return net, tn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), 0.01, momentum=0.9)


def _resnet_flops(n=32):
    macs = _conv_macs(n, 3, 64, 3, 32, 32)
    cin = 64
    size = 32
    for cout, stride in _RESNET_STAGES:
        size //= stride
        macs += _conv_macs(n, cin, cout, 3, size, size) + _conv_macs(n, cout, cout, 3, size, size)
        if stride != 1 or cin != cout:
            macs += _conv_macs(n, cin, cout, 1, size, size)
        macs += 2 * _conv_macs(n, cout, cout, 3, size, size)  # the stage's second block
        cin = cout
    macs += _dense_macs(n, 512, 10)
    return _train_flops(macs)


# --- MLP 784-512-512-10 with Adam ----------------------------------------------------------------------

def _mlp_batch(rng):
    x = rng.standard_normal((64, 784)).astype(np.float32)
    y = rng.integers(0, 10, 64).astype(np.int32)
    return x, y


def _mlp_sporen():
    from sporen import nn
    net = nn.SequentialCell([nn.Dense(784, 512), nn.ReLU(), nn.Dense(512, 512), nn.ReLU(), nn.Dense(512, 10)])
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    return net, loss, nn.Adam(net.trainable_params(), 1e-3)


def _mlp_torch():
    import torch
    tn = torch.nn
    net = tn.Sequential(tn.Linear(784, 512), tn.ReLU(), tn.Linear(512, 512), tn.ReLU(), tn.Linear(512, 10))
    return net, tn.CrossEntropyLoss(), torch.optim.Adam(net.parameters(), 1e-3)


def _mlp_flops(n=64):
    return _train_flops(_dense_macs(n, 784, 512) + _dense_macs(n, 512, 512) + _dense_macs(n, 512, 10))


# --- Transformer encoder -----------------------------------------------------------------------------

_TF = {"d_model": 256, "nhead": 4, "ffn": 1024, "layers": 2, "seq": 128, "batch": 8, "classes": 10}


def _transformer_batch(rng):
    x = rng.standard_normal((_TF["batch"], _TF["seq"], _TF["d_model"])).astype(np.float32)
    y = rng.integers(0, _TF["classes"], _TF["batch"]).astype(np.int32)
    return x, y


def _transformer_sporen():
    from sporen import nn

    class EncoderClassifier(nn.Cell):
        """A Transformer encoder over (batch, seq, d_model) features (post-norm, ReLU FFN, no
        dropout), the mean over the sequence, a linear classifier."""

        def __init__(self):
            super().__init__()
            layer = nn.TransformerEncoderLayer(_TF["d_model"], _TF["nhead"], dim_feedforward=_TF["ffn"],
                                               dropout=0.0, batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, _TF["layers"])
            self.fc = nn.Dense(_TF["d_model"], _TF["classes"])

        def construct(self, x):
            return self.fc(self.encoder(x).mean(axis=1))

    net = EncoderClassifier()
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    return net, loss, nn.Adam(net.trainable_params(), 1e-4)


def _transformer_torch():
    import torch
    tn = torch.nn

    class EncoderClassifier(tn.Module):
        def __init__(self):
            super().__init__()
            layer = tn.TransformerEncoderLayer(_TF["d_model"], _TF["nhead"], dim_feedforward=_TF["ffn"],
                                               dropout=0.0, batch_first=True)
            self.encoder = tn.TransformerEncoder(layer, _TF["layers"], enable_nested_tensor=False)
            self.fc = tn.Linear(_TF["d_model"], _TF["classes"])

        def forward(self, x):
            return self.fc(self.encoder(x).mean(dim=1))

    net = EncoderClassifier()
    return net, tn.CrossEntropyLoss(), torch.optim.Adam(net.parameters(), 1e-4)


def _transformer_flops():
    d, f, s, b = _TF["d_model"], _TF["ffn"], _TF["seq"], _TF["batch"]
    rows = b * s
    per_layer = _dense_macs(rows, d, 3 * d) + _dense_macs(rows, d, d)  # q, k, v and the output projection
    per_layer += 2 * b * s * s * d  # scores q k^T and the weighted sum of v, over all heads
    per_layer += _dense_macs(rows, d, f) + _dense_macs(rows, f, d)
    return _train_flops(_TF["layers"] * per_layer + _dense_macs(b, d, _TF["classes"]))


# --- 2-layer LSTM language model ---------------------------------------------------------------------

_LM = {"vocab": 10000, "hidden": 256, "layers": 2, "seq": 35, "batch": 20}


def _lstm_batch(rng):
    tokens = rng.integers(0, _LM["vocab"], (_LM["batch"], _LM["seq"] + 1)).astype(np.int32)
    x = tokens[:, :-1].copy()
    y = tokens[:, 1:].reshape(-1).copy()  # the next token, flattened to (batch * seq,)
    return x, y


def _lstm_sporen():
    from sporen import nn

    class LSTMLanguageModel(nn.Cell):
        """Embedding (vocab 10000, 256), a 2-layer batch-first LSTM (hidden 256), a linear decoder
        to the vocabulary; logits flattened to (batch * seq, vocab)."""

        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(_LM["vocab"], _LM["hidden"])
            self.lstm = nn.LSTM(_LM["hidden"], _LM["hidden"], num_layers=_LM["layers"], batch_first=True)
            self.decoder = nn.Dense(_LM["hidden"], _LM["vocab"])

        def construct(self, tokens):
            out, _ = self.lstm(self.embed(tokens))
            return self.decoder(out.reshape(-1, _LM["hidden"]))

    net = LSTMLanguageModel()
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    return net, loss, nn.SGD(net.trainable_params(), 0.1)


def _lstm_torch():
    import torch
    tn = torch.nn

    class LSTMLanguageModel(tn.Module):
        def __init__(self):
            super().__init__()
            self.embed = tn.Embedding(_LM["vocab"], _LM["hidden"])
            self.lstm = tn.LSTM(_LM["hidden"], _LM["hidden"], num_layers=_LM["layers"], batch_first=True)
            self.decoder = tn.Linear(_LM["hidden"], _LM["vocab"])

        def forward(self, tokens):
            out, _ = self.lstm(self.embed(tokens))
            return self.decoder(out.reshape(-1, _LM["hidden"]))

    net = LSTMLanguageModel()
    return net, tn.CrossEntropyLoss(), torch.optim.SGD(net.parameters(), 0.1)


def _lstm_flops():
    h, rows = _LM["hidden"], _LM["batch"] * _LM["seq"]
    gates = _LM["layers"] * _dense_macs(rows, 2 * h, 4 * h)  # input and hidden products of the 4 gates
    return _train_flops(gates + _dense_macs(rows, h, _LM["vocab"]))


WORKLOADS = {
    "lenet_b32": Workload("lenet_b32", "LeNet-5, batch 32, Momentum", 32, _lenet_flops(32), _lenet_batch(32),
                          _lenet_sporen, _lenet_torch),
    "lenet_b256": Workload("lenet_b256", "LeNet-5, batch 256, Momentum", 256, _lenet_flops(256),
                           _lenet_batch(256), _lenet_sporen, _lenet_torch),
    "resnet18": Workload("resnet18", "ResNet-18 (CIFAR), batch 32, Momentum", 32, _resnet_flops(),
                         _resnet_batch, _resnet_sporen, _resnet_torch),
    "mlp": Workload("mlp", "MLP 784-512-512-10, batch 64, Adam", 64, _mlp_flops(), _mlp_batch, _mlp_sporen,
                    _mlp_torch),
    "transformer": Workload("transformer", "Transformer encoder 2x256 (4 heads, FFN 1024), seq 128, batch 8, Adam",
                            8, _transformer_flops(), _transformer_batch, _transformer_sporen, _transformer_torch),
    "lstm_lm": Workload("lstm_lm", "LSTM LM 2x256, vocab 10000, seq 35, batch 20, SGD", 20, _lstm_flops(),
                        _lstm_batch, _lstm_sporen, _lstm_torch),
}
