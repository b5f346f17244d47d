"""PyNative (eager) benchmarks: per-op overhead and LeNet-5 / MLP training steps, sporen beside
PyTorch eager in the same process (ratios matter, not absolute times: machines are noisy).

Run:  python benchmarks/bench_eager.py            (PyTorch columns appear when torch is installed)
"""
import argparse
import statistics
import time

import numpy as np

import sporen as ms
from sporen import nn, ops

try:
    import torch
except ImportError:  # torch is optional: the sporen column still runs
    torch = None


def _median_time(fn, repeat, inner):
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        times.append((time.perf_counter() - t0) / inner)
    return statistics.median(times)


def per_op_overhead(repeat=7, inner=20000):
    """Tiny tensors, so the time is the framework's per-op cost."""
    a = np.random.default_rng(0).standard_normal((4, 4)).astype(np.float32)
    x, y = ms.Tensor(a), ms.Tensor(a)
    rows = [("add", lambda: x + y), ("mul", lambda: ops.mul(x, y)), ("exp", lambda: ops.exp(x)),
            ("sum", lambda: ops.sum(x)), ("matmul", lambda: ops.matmul(x, y)),
            ("relu", lambda: ops.relu(x)), ("reshape", lambda: ops.reshape(x, (16,)))]
    trows = {}
    if torch is not None:
        tx, ty = torch.from_numpy(a), torch.from_numpy(a)
        trows = {"add": lambda: tx + ty, "mul": lambda: torch.mul(tx, ty), "exp": lambda: torch.exp(tx),
                 "sum": lambda: torch.sum(tx), "matmul": lambda: torch.matmul(tx, ty),
                 "relu": lambda: torch.relu(tx), "reshape": lambda: torch.reshape(tx, (16,))}
    out = []
    for name, fn in rows:
        # alternate the two frameworks and keep each one's best run: this VM's speed drifts, and
        # interleaving exposes both to the same drift
        s_best = t_best = float("inf")
        for _ in range(repeat):
            s_best = min(s_best, _median_time(fn, 1, inner))
            if name in trows:
                t_best = min(t_best, _median_time(trows[name], 1, inner))
        out.append((name, s_best * 1e6, t_best * 1e6 if name in trows else None))
    return out


class MLP(nn.Cell):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Dense(784, 512)
        self.fc2 = nn.Dense(512, 512)
        self.fc3 = nn.Dense(512, 10)
        self.relu = nn.ReLU()

    def construct(self, x):
        return self.fc3(self.relu(self.fc2(self.relu(self.fc1(x)))))


def _sporen_step(net, opt, x, y):
    loss_fn = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    step = nn.TrainOneStepCell(nn.WithLossCell(net, loss_fn), opt)
    step.set_train(True)
    tx, ty = ms.Tensor(x), ms.Tensor(y)
    return lambda: step(tx, ty)


def _torch_lenet():
    tn = torch.nn
    return tn.Sequential(tn.Conv2d(1, 6, 5), tn.ReLU(), tn.MaxPool2d(2, 2), tn.Conv2d(6, 16, 5), tn.ReLU(),
                         tn.MaxPool2d(2, 2), tn.Flatten(), tn.Linear(400, 120), tn.ReLU(), tn.Linear(120, 84),
                         tn.ReLU(), tn.Linear(84, 10))


def _torch_mlp():
    tn = torch.nn
    return tn.Sequential(tn.Linear(784, 512), tn.ReLU(), tn.Linear(512, 512), tn.ReLU(), tn.Linear(512, 10))


def _torch_step(net, opt, x, y):
    tx, ty = torch.from_numpy(x), torch.from_numpy(y.astype(np.int64))
    lossf = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = lossf(net(tx), ty)
        loss.backward()
        opt.step()
        return loss
    return step


def training_steps(repeat=5, inner=10):
    from sporen.demo import LeNet5
    rng = np.random.default_rng(0)
    out = []
    for name, batch in (("LeNet-5 b32 Momentum", 32), ("LeNet-5 b256 Momentum", 256)):
        x = rng.standard_normal((batch, 1, 32, 32)).astype(np.float32)
        y = rng.integers(0, 10, batch).astype(np.int32)
        net = LeNet5()
        s = _median_time(_sporen_step(net, nn.Momentum(net.trainable_params(), 0.01, 0.9), x, y), repeat, inner)
        t = None
        if torch is not None:
            tnet = _torch_lenet()
            t = _median_time(_torch_step(tnet, torch.optim.SGD(tnet.parameters(), 0.01, 0.9), x, y), repeat, inner)
        out.append((name, s * 1e3, t * 1e3 if t else None))
    x = rng.standard_normal((64, 784)).astype(np.float32)
    y = rng.integers(0, 10, 64).astype(np.int32)
    net = MLP()
    s = _median_time(_sporen_step(net, nn.Adam(net.trainable_params(), 1e-3), x, y), repeat, inner)
    t = None
    if torch is not None:
        tnet = _torch_mlp()
        t = _median_time(_torch_step(tnet, torch.optim.Adam(tnet.parameters(), 1e-3), x, y), repeat, inner)
    out.append(("MLP 784-512-512-10 b64 Adam", s * 1e3, t * 1e3 if t else None))
    return out


def _ratio(s, t):
    return f"{s / t:6.2f}x" if t else "     -"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    if torch is not None:
        torch.set_num_threads(2)
    rep = 3 if args.quick else 7
    print(f"sporen {ms.__version__}; torch {torch.__version__ if torch else 'not installed'}")
    print("\nper-op eager overhead (4x4 float32), microseconds per call; ratio = sporen / torch (lower is better)")
    print(f"{'op':10s} {'sporen':>8s} {'torch':>8s} {'ratio':>8s}")
    for name, s, t in per_op_overhead(repeat=rep):
        print(f"{name:10s} {s:8.2f} {t if t else float('nan'):8.2f} {_ratio(s, t):>8s}")
    print("\ntraining step (forward + backward + update), milliseconds per step (median)")
    print(f"{'workload':30s} {'sporen':>8s} {'torch':>8s} {'ratio':>8s}")
    for name, s, t in training_steps(repeat=rep):
        print(f"{name:30s} {s:8.2f} {t if t else float('nan'):8.2f} {_ratio(s, t):>8s}")


if __name__ == "__main__":
    main()
