"""The demo's pieces: the shipped data, LeNet-5, a short real training run, and the CLI."""
import io

import numpy as np

import sporen as ms
from sporen import cli, nn
from sporen.data import fashion_mnist_subset
from sporen.demo import LeNet5, evaluate, load_demo_data


def test_shipped_subset_is_real_fashion_mnist():
    d = fashion_mnist_subset()
    assert d["train_images"].shape == (12000, 28, 28) and d["train_images"].dtype == np.uint8
    assert d["test_images"].shape == (2000, 28, 28)
    # every class present, roughly balanced, as in Fashion-MNIST
    counts = np.bincount(d["train_labels"], minlength=10)
    assert counts.min() > 1000 and counts.max() < 1400
    # real images: background pixels are 0, mean intensity near Fashion-MNIST's 0.286
    assert abs(d["train_images"].mean() / 255 - 0.286) < 0.01


def test_lenet_parameter_names_and_shapes_match_mindspore():
    net = LeNet5()
    shapes = {name: p.shape for name, p in net.parameters_and_names()}
    assert shapes == {"conv1.weight": (6, 1, 5, 5), "conv2.weight": (16, 6, 5, 5),
                      "fc1.weight": (120, 400), "fc1.bias": (120,), "fc2.weight": (84, 120),
                      "fc2.bias": (84,), "fc3.weight": (10, 84), "fc3.bias": (10,)}


def test_short_training_run_learns():
    ms.set_seed(0)
    train_x, train_y, test_x, test_y = load_demo_data()
    net = LeNet5()
    loss_fn = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    opt = nn.Momentum(net.trainable_params(), learning_rate=0.01, momentum=0.9)
    step = nn.TrainOneStepCell(nn.WithLossCell(net, loss_fn), opt)
    step.set_train(True)
    losses = []
    for i in range(120):
        xb = ms.Tensor(train_x[i * 32:(i + 1) * 32])
        yb = ms.Tensor(train_y[i * 32:(i + 1) * 32])
        losses.append(float(step(xb, yb).asnumpy()))
    assert np.mean(losses[-20:]) < np.mean(losses[:20]) - 0.5
    acc = evaluate(net, test_x[:500], test_y[:500])
    assert acc > 0.55


def test_cli_info_and_help(capsys):
    assert cli.main(["info"]) == 0
    assert "sporen" in capsys.readouterr().out
    assert cli.main([]) == 2


def test_cli_rejects_bad_epochs(capsys):
    assert cli.main(["demo", "--epochs", "0"]) == 2
    assert "--epochs" in capsys.readouterr().err


def test_demo_prints_progress_and_accuracy():
    from sporen.demo import train_demo
    buf = io.StringIO()
    # one short epoch on the real data: checks the loop and its report, not the final accuracy
    acc = train_demo(epochs=1, batch_size=128, learning_rate=0.02, out=buf, summary_dir=None)
    text = buf.getvalue()
    assert "epoch 1/1" in text and "test accuracy" in text
    assert 0.3 < acc <= 1.0


def test_cli_train_eval_export_round_trip(tmp_path, capsys):
    ckpt_dir = tmp_path / "ckpt"
    summary_dir = tmp_path / "summary"
    config = tmp_path / "train.json"
    config.write_text('{"model": "lenet5", "epochs": 1, "batch-size": 256, "lr": 0.05, "mode": "pynative"}')
    rc = cli.main(["train", "--config", str(config), "--ckpt-dir", str(ckpt_dir), "--summary-dir", str(summary_dir),
                   "--quiet"])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "test accuracy:" in out and str(ckpt_dir) in out
    files = sorted(p.name for p in ckpt_dir.iterdir())
    assert files == ["lenet5-1_46.ckpt"]
    assert any(".out.tfevents." in p.name for p in summary_dir.iterdir())
    assert cli.main(["eval", "lenet5", "--ckpt", str(ckpt_dir / files[0]), "--mode", "pynative"]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    import json
    result = json.loads(line)
    trained = float(out.split("test accuracy:")[1].split("%")[0]) / 100
    assert abs(result["accuracy"] - trained) < 1e-9 and result["loss"] > 0
    onnx_file = tmp_path / "lenet.onnx"
    assert cli.main(["export", "lenet5", "--ckpt", str(ckpt_dir / files[0]), "--format", "ONNX",
                     "--output", str(onnx_file)]) == 0
    assert onnx_file.stat().st_size > 100_000


def test_cli_errors_are_one_line(tmp_path, capsys):
    assert cli.main(["train", "resnet9000"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "unknown model 'resnet9000'" in err
    assert cli.main(["eval", "lenet5", "--ckpt", str(tmp_path / "missing.ckpt")]) == 2
    assert "checkpoint file not found" in capsys.readouterr().err
    bad = tmp_path / "bad.json"
    bad.write_text('{"epochs": 1, "colour": "red"}')
    assert cli.main(["train", "lenet5", "--config", str(bad)]) == 2
    assert "unknown option 'colour'" in capsys.readouterr().err
    assert cli.main(["info"]) == 0
    out = capsys.readouterr().out
    assert "backend:" in out and "C compiler:" in out and "optional packages:" in out


def test_cli_cache_has_its_own_help(capsys):
    try:
        rc = cli.main(["cache", "--help"])
    except SystemExit as e:  # argparse exits after printing the help
        rc = e.code
    assert rc == 0
    out = capsys.readouterr().out
    assert "start" in out and "stop" in out and "status" in out


def test_cli_trains_on_dataset_folders(tmp_path, capsys):
    import os

    from PIL import Image

    from tests.train.test_mindspore_program import _write_idx
    d = fashion_mnist_subset()
    mnist_dir = tmp_path / "fmnist"
    mnist_dir.mkdir()
    _write_idx(str(mnist_dir), "train", d["train_images"][:640], d["train_labels"][:640])
    _write_idx(str(mnist_dir), "t10k", d["test_images"][:200], d["test_labels"][:200])
    ckpt_dir = tmp_path / "ckpt"
    rc = cli.main(["train", "lenet5", "--dataset", f"fashion-mnist:{mnist_dir}", "--epochs", "1", "--batch-size",
                   "64", "--lr", "0.05", "--mode", "pynative", "--quiet", "--ckpt-dir", str(ckpt_dir)])
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "10 steps an epoch" in out and "test accuracy:" in out
    assert os.listdir(ckpt_dir) == ["lenet5-1_10.ckpt"]
    # an image folder of 3 classes (RGB, 3 channels): the model gets 3 classes and 3 input channels
    folder = tmp_path / "images"
    rng = np.random.default_rng(0)
    for k, name in enumerate(["cat", "dog", "eel"]):
        (folder / name).mkdir(parents=True)
        for i in range(8):
            pixels = np.full((20, 24, 3), 60 * k, np.uint8) + rng.integers(0, 30, (20, 24, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(folder / name / f"{i}.png")
    rc = cli.main(["train", "lenet5", "--dataset", f"imagefolder:{folder}", "--epochs", "1", "--batch-size", "8",
                   "--mode", "pynative", "--quiet"])
    assert rc == 0, capsys.readouterr().err
    assert "3 steps an epoch" in capsys.readouterr().out
    assert cli.main(["train", "lenet5", "--dataset", "cifar10:/no/such/dir"]) == 2
    assert "dataset folder not found" in capsys.readouterr().err


def test_the_installed_sporen_command_runs():
    import shutil
    import subprocess
    import sys
    exe = shutil.which("sporen")
    command = [exe] if exe else [sys.executable, "-m", "sporen.cli"]
    proc = subprocess.run(command + ["info"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("sporen ") and "backend:" in proc.stdout
    proc = subprocess.run(command + ["train", "--epochs", "0"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "--epochs" in proc.stderr and "Traceback" not in proc.stderr
