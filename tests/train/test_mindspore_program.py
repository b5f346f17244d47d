"""A MindSpore 2.x program, unchanged, run through ``python -m sporen.compat``: MnistDataset over IDX
files, vision/transforms maps, batch, LeNet-5, Model.train with LossMonitor and ModelCheckpoint,
Model.eval with Accuracy (the shape of MindSpore's LeNet tutorial)."""
import gzip
import os
import subprocess
import sys
import textwrap

import numpy as np

from sporen.data import fashion_mnist_subset

PROGRAM = textwrap.dedent('''
    import os
    import sys

    import mindspore as ms
    import mindspore.dataset as ds
    import mindspore.dataset.transforms as transforms
    import mindspore.dataset.vision as vision
    from mindspore import nn
    from mindspore.common.initializer import Normal
    from mindspore.nn import Accuracy
    from mindspore.train import CheckpointConfig, LossMonitor, Model, ModelCheckpoint, TimeMonitor


    def create_dataset(data_path, batch_size=32, usage="train"):
        mnist_ds = ds.MnistDataset(data_path, usage=usage, shuffle=usage == "train")
        resize_op = vision.Resize((32, 32), interpolation=vision.Inter.LINEAR)
        rescale_nml_op = vision.Rescale(1 / 0.3081, -1 * 0.1307 / 0.3081)
        rescale_op = vision.Rescale(1.0 / 255.0, 0.0)
        hwc2chw_op = vision.HWC2CHW()
        type_cast_op = transforms.TypeCast(ms.int32)
        mnist_ds = mnist_ds.map(operations=type_cast_op, input_columns="label")
        mnist_ds = mnist_ds.map(operations=[resize_op, rescale_op, rescale_nml_op, hwc2chw_op],
                                input_columns="image", num_parallel_workers=2)
        return mnist_ds.batch(batch_size, drop_remainder=True)


    class LeNet5(nn.Cell):
        def __init__(self, num_class=10, num_channel=1):
            super(LeNet5, self).__init__()
            self.conv1 = nn.Conv2d(num_channel, 6, 5, pad_mode="valid")
            self.conv2 = nn.Conv2d(6, 16, 5, pad_mode="valid")
            self.fc1 = nn.Dense(16 * 5 * 5, 120)
            self.fc2 = nn.Dense(120, 84)
            self.fc3 = nn.Dense(84, num_class, weight_init=Normal(0.02))
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


    if __name__ == "__main__":
        data_dir, ckpt_dir = sys.argv[1], sys.argv[2]
        ms.set_context(mode=ms.GRAPH_MODE)
        ms.set_seed(1)
        ds.config.set_seed(1)
        net = LeNet5()
        net_loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
        net_opt = nn.Momentum(net.trainable_params(), learning_rate=0.05, momentum=0.9)
        config_ck = CheckpointConfig(save_checkpoint_steps=31, keep_checkpoint_max=10)
        ckpoint = ModelCheckpoint(prefix="checkpoint_lenet", directory=ckpt_dir, config=config_ck)
        model = Model(net, net_loss, net_opt, metrics={"Accuracy": Accuracy()})
        train = create_dataset(data_dir)
        model.train(2, train, callbacks=[ckpoint, LossMonitor(31), TimeMonitor()], dataset_sink_mode=False)
        param_dict = ms.load_checkpoint(os.path.join(ckpt_dir, "checkpoint_lenet-2_31.ckpt"))
        ms.load_param_into_net(net, param_dict)
        acc = model.eval(create_dataset(data_dir, usage="test"), dataset_sink_mode=False)
        print("RESULT", acc["Accuracy"])
''')


def _write_idx(folder, prefix, images, labels):
    with gzip.open(os.path.join(folder, f"{prefix}-images-idx3-ubyte.gz"), "wb") as f:
        f.write(np.array([0x00000803, len(images), 28, 28], ">u4").tobytes() + images.tobytes())
    with gzip.open(os.path.join(folder, f"{prefix}-labels-idx1-ubyte.gz"), "wb") as f:
        f.write(np.array([0x00000801, len(labels)], ">u4").tobytes() + labels.astype(np.uint8).tobytes())


def test_mindspore_lenet_tutorial_program_runs_unchanged(tmp_path):
    data = fashion_mnist_subset()
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    _write_idx(str(data_dir), "train", data["train_images"][:1000], data["train_labels"][:1000])
    _write_idx(str(data_dir), "t10k", data["test_images"][:500], data["test_labels"][:500])
    script = tmp_path / "lenet.py"
    script.write_text(PROGRAM)
    ckpt_dir = tmp_path / "ckpt"
    env = dict(os.environ, SPOREN_CACHE_DIR=os.environ.get("SPOREN_CACHE_DIR", str(tmp_path / "cache")))
    proc = subprocess.run([sys.executable, "-m", "sporen.compat", str(script), str(data_dir), str(ckpt_dir)],
                          capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert [line.split(",")[0] for line in lines if line.startswith("epoch:")] == ["epoch: 1 step: 31",
                                                                                   "epoch: 2 step: 31"]
    assert sum(line.startswith("Train epoch time:") for line in lines) == 2
    assert sorted(os.listdir(ckpt_dir)) == ["checkpoint_lenet-1_31.ckpt", "checkpoint_lenet-2_31.ckpt"]
    accuracy = float([line for line in lines if line.startswith("RESULT")][0].split()[1])
    assert 0.4 < accuracy <= 1.0  # 62 steps on 1000 real Fashion-MNIST images (0.60 measured)
