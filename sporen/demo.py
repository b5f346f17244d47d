"""The demo: LeNet-5 trained on the Fashion-MNIST subset shipped with sporen, in MindSpore's style
(nn.Cell, nn.SoftmaxCrossEntropyWithLogits, nn.Momentum, nn.TrainOneStepCell)."""
import sys
import time

import numpy as np

from . import nn, ops
from .context import set_seed
from .data import FASHION_MNIST_CLASSES, fashion_mnist_subset
from .tensor import Tensor

__all__ = ["LeNet5", "load_demo_data", "train_demo"]

_MEAN = 0.2860
_STD = 0.3530


class LeNet5(nn.Cell):
    """LeNet-5 as in MindSpore's model zoo (32x32 inputs, valid convolutions)."""

    def __init__(self, num_class=10, num_channel=1):
        super().__init__()
        self.conv1 = nn.Conv2d(num_channel, 6, 5, pad_mode="valid")
        self.conv2 = nn.Conv2d(6, 16, 5, pad_mode="valid")
        self.fc1 = nn.Dense(16 * 5 * 5, 120)
        self.fc2 = nn.Dense(120, 84)
        self.fc3 = nn.Dense(84, num_class)
        self.relu = nn.ReLU()
        self.max_pool2d = nn.MaxPool2d(kernel_size=2, stride=2)
        self.flatten = nn.Flatten()

    def construct(self, x):
        x = self.max_pool2d(self.relu(self.conv1(x)))
        x = self.max_pool2d(self.relu(self.conv2(x)))
        x = self.flatten(x)
        x = self.relu(self.fc1(x))
        x = self.relu(self.fc2(x))
        return self.fc3(x)


def _prepare(images):
    """uint8 (N, 28, 28) -> float32 (N, 1, 32, 32), normalised, zero-padded as LeNet expects."""
    x = (images.astype(np.float32) / 255.0 - _MEAN) / _STD
    x = np.pad(x, ((0, 0), (2, 2), (2, 2)), constant_values=(0 - _MEAN) / _STD)
    return x[:, None, :, :]


def load_demo_data():
    """(train_x, train_y, test_x, test_y) as float32 NCHW images and int32 labels."""
    d = fashion_mnist_subset()
    return (_prepare(d["train_images"]), d["train_labels"].astype(np.int32),
            _prepare(d["test_images"]), d["test_labels"].astype(np.int32))


def _bar(done, total, width=30):
    filled = int(width * done / max(total, 1))
    return "[" + "#" * filled + "." * (width - filled) + "]"


def evaluate(net, x, y, batch_size=500):
    """Accuracy of ``net`` on (x, y)."""
    net.set_train(False)
    correct = 0
    for i in range(0, len(x), batch_size):
        logits = net(Tensor(x[i:i + batch_size]))
        correct += int((ops.argmax(logits, dim=1).asnumpy() == y[i:i + batch_size]).sum())
    return correct / len(x)


def train_demo(epochs=4, batch_size=32, learning_rate=0.01, momentum=0.9, seed=1, out=None):
    """Train LeNet-5 on the shipped Fashion-MNIST subset; print per-epoch loss and test accuracy
    with a progress bar; return the final test accuracy."""
    out = out or sys.stdout
    set_seed(seed)
    train_x, train_y, test_x, test_y = load_demo_data()
    net = LeNet5()
    loss_fn = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    optimizer = nn.Momentum(net.trainable_params(), learning_rate=learning_rate, momentum=momentum)
    train_step = nn.TrainOneStepCell(nn.WithLossCell(net, loss_fn), optimizer)
    steps = len(train_x) // batch_size
    rng = np.random.default_rng(seed)
    print(f"sporen demo: LeNet-5 on Fashion-MNIST ({len(train_x)} train / {len(test_x)} test images, "
          f"classes: {', '.join(FASHION_MNIST_CLASSES[:3])}, ...)", file=out)
    acc = 0.0
    for epoch in range(1, epochs + 1):
        train_step.set_train(True)
        order = rng.permutation(len(train_x))
        total = 0.0
        start = time.perf_counter()
        for s in range(steps):
            idx = order[s * batch_size:(s + 1) * batch_size]
            loss = train_step(Tensor(train_x[idx]), Tensor(train_y[idx]))
            total += float(loss.asnumpy())
            if s % 20 == 0 or s == steps - 1:
                rate = (s + 1) / max(time.perf_counter() - start, 1e-9)
                eta = (steps - s - 1) / rate
                out.write(f"\repoch {epoch}/{epochs} {_bar(s + 1, steps)} {s + 1}/{steps} "
                          f"loss {total / (s + 1):.4f}  {rate:.0f} steps/s  ETA {eta:4.0f}s")
                out.flush()
        acc = evaluate(net, test_x, test_y)
        out.write(f"\repoch {epoch}/{epochs} {_bar(steps, steps)} loss {total / steps:.4f}  "
                  f"test accuracy {acc * 100:.2f}%  ({time.perf_counter() - start:.1f}s)" + " " * 10 + "\n")
        out.flush()
    return acc
