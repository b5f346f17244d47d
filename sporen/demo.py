"""The demo: LeNet-5 trained on the Fashion-MNIST subset shipped with sporen, as a MindSpore program
would: a sporen.dataset pipeline, nn.SoftmaxCrossEntropyWithLogits, nn.Momentum and Model.fit with
an Accuracy metric, a progress line and, when asked, a SummaryCollector."""
import os
import sys
import time

import numpy as np

from . import nn, ops
from .context import set_seed
from .data import FASHION_MNIST_CLASSES, fashion_mnist_subset
from .tensor import Tensor
from .train.callback import ProgressBar

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


def evaluate(net, x, y, batch_size=500):
    """Accuracy of ``net`` on (x, y)."""
    net.set_train(False)
    correct = 0
    for i in range(0, len(x), batch_size):
        logits = net(Tensor(x[i:i + batch_size]))
        correct += int((ops.argmax(logits, dim=1).asnumpy() == y[i:i + batch_size]).sum())
    return correct / len(x)


class _DemoProgress(ProgressBar):
    """The progress line, ending each epoch with the mean training loss and the test accuracy."""

    def __init__(self, out):
        super().__init__(file=out, min_interval=0.2)
        self.accuracy = 0.0
        self._losses = []

    def on_train_epoch_begin(self, run_context):
        super().on_train_epoch_begin(run_context)
        self._losses = []

    def on_train_step_end(self, run_context):
        self._losses.append(float(run_context.original_args().net_outputs.asnumpy()))
        super().on_train_step_end(run_context)

    def on_train_epoch_end(self, run_context):
        cb_params = run_context.original_args()
        self.accuracy = float(cb_params.eval_results["accuracy"])
        seconds = time.time() - self._epoch_start
        line = (f"epoch {cb_params.cur_epoch_num}/{cb_params.epoch_num} loss {np.mean(self._losses):.4f}  "
                f"test accuracy {self.accuracy * 100:.2f}%  ({seconds:.1f}s)")
        self._out().write("\r" + line + " " * 30 + "\n")
        self._out().flush()


def train_demo(epochs=4, batch_size=32, learning_rate=0.01, momentum=0.9, seed=1, out=None, summary_dir=None):
    """Train LeNet-5 on the shipped Fashion-MNIST subset with ``Model.fit``; print a progress line
    and each epoch's loss and test accuracy; write summaries to ``summary_dir`` when given; return
    the final test accuracy."""
    from . import dataset as ds
    from .train import Accuracy, Model, SummaryCollector
    out = out or sys.stdout
    set_seed(seed)
    ds.config.set_seed(seed)
    train_x, train_y, test_x, test_y = load_demo_data()
    train = ds.NumpySlicesDataset({"image": train_x, "label": train_y}, shuffle=True)
    train = train.batch(batch_size, drop_remainder=True)
    test = ds.NumpySlicesDataset({"image": test_x, "label": test_y}, shuffle=False).batch(500)
    net = LeNet5()
    loss_fn = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    optimizer = nn.Momentum(net.trainable_params(), learning_rate=learning_rate, momentum=momentum)
    model = Model(net, loss_fn, optimizer, metrics={"accuracy": Accuracy()})
    print(f"sporen demo: LeNet-5 on Fashion-MNIST ({len(train_x)} train / {len(test_x)} test images, "
          f"classes: {', '.join(FASHION_MNIST_CLASSES[:3])}, ...)", file=out)
    progress = _DemoProgress(out)
    callbacks = [progress]
    if summary_dir is not None:
        callbacks.append(SummaryCollector(summary_dir, collect_freq=50))
    model.fit(epochs, train, test, callbacks=callbacks)
    if summary_dir is not None:
        print(f"summaries written to {os.path.abspath(summary_dir)} "
              f"(TensorBoard: tensorboard --logdir {summary_dir})", file=out)
    return progress.accuracy
