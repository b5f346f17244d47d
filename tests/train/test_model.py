"""Model.train / fit / eval / predict and the callbacks, in PyNative and graph mode, on LeNet-5 and
a small dense network, with plain lists of numpy batches (sporen.dataset pipelines are tested with
the dataset package)."""
import os

import numpy as np
import pytest

import sporen as ms
from sporen import nn
from sporen.train.callback._callback import RunContext, _InternalCallbackParam
from sporen.train.callback import (Callback, CheckpointConfig, EarlyStopping, History, LambdaCallback,
                                   LearningRateScheduler, LossMonitor, ModelCheckpoint, ProgressBar,
                                   ReduceLROnPlateau, TimeMonitor)
from sporen.train.loss_scale_manager import DynamicLossScaleManager, FixedLossScaleManager
from sporen.demo import LeNet5, load_demo_data
from sporen.train.model import Model


def _dense_batches(n_batches=6, batch=16, seed=0):
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((8, 3)).astype(np.float32)
    out = []
    for _ in range(n_batches):
        x = rng.standard_normal((batch, 8)).astype(np.float32)
        y = np.argmax(x @ w, axis=1).astype(np.int32)
        out.append((x, y))
    return out


def _dense_model(lr=0.1, **kwargs):
    ms.set_seed(1)
    net = nn.Dense(8, 3)
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    opt = nn.Momentum(net.trainable_params(), lr, 0.9)
    return net, Model(net, loss_fn=loss, optimizer=opt, **kwargs)


class Recorder(Callback):
    """Records the order of hook calls and the cb_params values seen."""

    def __init__(self):
        self.calls = []

    def on_train_begin(self, run_context):
        self.calls.append(("train_begin", run_context.original_args().epoch_num))

    def on_train_epoch_begin(self, run_context):
        self.calls.append(("epoch_begin", run_context.original_args().cur_epoch_num))

    def on_train_step_end(self, run_context):
        p = run_context.original_args()
        self.calls.append(("step_end", p.cur_epoch_num, p.cur_step_num, p.batch_num))

    def on_train_epoch_end(self, run_context):
        self.calls.append(("epoch_end", run_context.original_args().cur_epoch_num))

    def on_train_end(self, run_context):
        self.calls.append(("train_end",))


class OldStyle(Callback):
    """A callback written with MindSpore 1.x's hook names."""

    def __init__(self):
        self.steps = 0
        self.epochs = 0

    def step_end(self, run_context):
        self.steps += 1

    def epoch_end(self, run_context):
        self.epochs += 1


def test_train_calls_hooks_in_order_with_cb_params():
    _, model = _dense_model()
    rec = Recorder()
    model.train(2, _dense_batches(3), callbacks=[rec])
    assert rec.calls == [("train_begin", 2), ("epoch_begin", 1), ("step_end", 1, 1, 3), ("step_end", 1, 2, 3),
                         ("step_end", 1, 3, 3), ("epoch_end", 1), ("epoch_begin", 2), ("step_end", 2, 4, 3),
                         ("step_end", 2, 5, 3), ("step_end", 2, 6, 3), ("epoch_end", 2), ("train_end",)]


def test_old_style_hooks_and_sink_mode_step_callbacks_once_per_epoch():
    _, model = _dense_model()
    old = OldStyle()
    model.train(3, _dense_batches(4), callbacks=old)
    assert (old.steps, old.epochs) == (12, 3)
    _, model = _dense_model()
    rec = Recorder()
    model.train(2, _dense_batches(4), callbacks=rec, dataset_sink_mode=True, sink_size=3)
    steps = [c for c in rec.calls if c[0] == "step_end"]
    assert steps == [("step_end", 1, 3, 3), ("step_end", 2, 6, 3)]


def test_train_matches_a_hand_written_loop():
    batches = _dense_batches(5)
    net, model = _dense_model()
    model.train(2, batches)
    ms.set_seed(1)
    ref = nn.Dense(8, 3)
    step = nn.TrainOneStepCell(nn.WithLossCell(ref, nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")),
                               nn.Momentum(ref.trainable_params(), 0.1, 0.9))
    for _ in range(2):
        for x, y in batches:
            step(ms.Tensor(x), ms.Tensor(y))
    np.testing.assert_allclose(net.weight.asnumpy(), ref.weight.asnumpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("mode", [ms.PYNATIVE_MODE, ms.GRAPH_MODE])
def test_lenet_trains_in_both_modes_and_loss_falls(mode, capsys):
    data = load_demo_data()
    x, y = data[0][:512], data[1][:512]  # real Fashion-MNIST images shipped with sporen
    batches = [(x[i:i + 32], y[i:i + 32]) for i in range(0, 512, 32)]
    ms.set_context(mode=mode)
    try:
        ms.set_seed(0)
        net = LeNet5()
        loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
        model = Model(net, loss, nn.Momentum(net.trainable_params(), 0.05, 0.9))
        history = History()
        model.train(3, batches, callbacks=[LossMonitor(16), history])
    finally:
        ms.set_context(mode=ms.PYNATIVE_MODE)
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("epoch:")]
    assert len(lines) == 3 and lines[0].startswith("epoch: 1 step: 16, loss is ")
    losses = history.history["net_output"]
    assert history.epoch == [1, 2, 3] and len(losses) == 3
    assert losses[-1] < 0.7 * losses[0]


def test_loss_monitor_stops_on_nan():
    _, model = _dense_model()
    x, y = _dense_batches(1)[0]
    x[0, 0] = np.nan
    with pytest.raises(ValueError, match="epoch: 1 step: 1. Invalid loss, terminating training."):
        model.train(1, [(x, y)], callbacks=LossMonitor())


def test_time_monitor_prints_epoch_and_step_time(capsys):
    _, model = _dense_model()
    model.train(1, _dense_batches(2), callbacks=TimeMonitor(data_time=True))
    line = capsys.readouterr().out.strip()
    assert line.startswith("Train epoch time: ") and ", per step time: " in line and "data time" in line


def test_progress_bar_draws_steps_and_loss(tmp_path):
    _, model = _dense_model()
    with open(tmp_path / "bar.txt", "w") as f:
        model.train(1, _dense_batches(4), callbacks=ProgressBar(width=4, file=f, min_interval=0.0))
    text = (tmp_path / "bar.txt").read_text()
    last = text.split("\r")[-1]
    assert "epoch 1/1 [####] 4/4" in last and "step/s" in last and "loss " in last


def test_model_checkpoint_files_keep_max_and_reload(tmp_path):
    net, model = _dense_model()
    config = CheckpointConfig(save_checkpoint_steps=2, keep_checkpoint_max=2)
    ckpt = ModelCheckpoint(prefix="dense", directory=str(tmp_path), config=config)
    model.train(2, _dense_batches(3), callbacks=ckpt)
    files = sorted(os.listdir(tmp_path))
    # steps 2, 4, 6 saved (epoch 1 step 2, epoch 2 step 1, epoch 2 step 3); the oldest was removed
    assert files == ["dense-2_1.ckpt", "dense-2_3.ckpt"]
    assert ckpt.latest_ckpt_file_name == str(tmp_path / "dense-2_3.ckpt")
    params = ms.load_checkpoint(ckpt.latest_ckpt_file_name)
    np.testing.assert_array_equal(params["weight"].asnumpy(), net.weight.asnumpy())
    assert any(name.startswith("moments") for name in params)  # the optimizer's state is saved too
    # a second run with the same prefix never overwrites the first run's files
    _, model2 = _dense_model()
    ckpt2 = ModelCheckpoint(prefix="dense", directory=str(tmp_path), config=config)
    model2.train(1, _dense_batches(2), callbacks=ckpt2)
    assert os.path.basename(ckpt2.latest_ckpt_file_name) == "dense_1-1_2.ckpt"
    assert {"dense-2_1.ckpt", "dense-2_3.ckpt"} <= set(os.listdir(tmp_path))


def test_checkpoint_end_of_training_and_append_info(tmp_path):
    _, model = _dense_model()
    config = CheckpointConfig(save_checkpoint_steps=100, append_info=["epoch_num", "step_num", {"tag": 7}])
    ckpt = ModelCheckpoint(directory=str(tmp_path), config=config)
    model.train(1, _dense_batches(3), callbacks=ckpt)
    assert os.listdir(tmp_path) == ["CKP-1_3.ckpt"]
    params = ms.load_checkpoint(str(tmp_path / "CKP-1_3.ckpt"))
    assert int(params["epoch_num"].asnumpy()) == 1 and int(params["step_num"].asnumpy()) == 3
    assert int(params["tag"].asnumpy()) == 7


def test_checkpoint_config_errors():
    with pytest.raises(ValueError, match="can't be all None or 0"):
        CheckpointConfig(save_checkpoint_steps=0, keep_checkpoint_max=0)
    with pytest.raises(ValueError, match="'save_checkpoint_steps' must be an int >= 0, but got -1"):
        CheckpointConfig(save_checkpoint_steps=-1)
    with pytest.raises(ValueError, match="append_info"):
        CheckpointConfig(append_info=["epochs"])
    with pytest.raises(ValueError, match="'prefix' must be a str without '/'"):
        ModelCheckpoint(prefix="a/b")
    with pytest.raises(TypeError, match="must be a CheckpointConfig"):
        ModelCheckpoint(config={})
    config = CheckpointConfig(save_checkpoint_steps=0, save_checkpoint_seconds=10, keep_checkpoint_max=0,
                              keep_checkpoint_per_n_minutes=3)
    assert config.get_checkpoint_policy()["keep_checkpoint_per_n_minutes"] == 3
    assert config.keep_checkpoint_max == 0 and config.save_checkpoint_seconds == 10


def test_early_stopping_on_training_loss_and_request_stop():
    _, model = _dense_model(lr=0.0)  # nothing learns: the loss never improves after epoch 1
    history = History()
    stop = EarlyStopping(monitor="loss", patience=2, verbose=True)
    model.train(10, _dense_batches(2), callbacks=[stop, history])
    # epoch 1 improves on inf (wait 0); epochs 2 and 3 do not: wait reaches 2 at epoch 3
    assert history.epoch == [1, 2, 3] and stop.stopped_epoch == 3


def test_early_stopping_patience_zero_stops_after_first_epoch_as_mindspore():
    _, model = _dense_model()
    history = History()
    model.train(5, _dense_batches(2), callbacks=[EarlyStopping(monitor="loss"), history])
    assert history.epoch == [1]


def test_reduce_lr_on_plateau_and_scheduler_change_the_rate():
    _, model = _dense_model(lr=0.1)
    opt = model.train_network.optimizer
    cb = ReduceLROnPlateau(monitor="eval_loss", factor=0.5, patience=2, cooldown=1, min_lr=0.02)
    params = _InternalCallbackParam(optimizer=opt, cur_epoch_num=0)
    run_context = RunContext(params)
    cb.on_train_begin(run_context)
    lrs = []
    for value in [1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]:
        params["eval_results"] = {"eval_loss": value}
        cb.on_train_epoch_end(run_context)
        lrs.append(round(float(opt.learning_rate.asnumpy()), 6))
    # two epochs without improvement halve the rate, then one epoch of cooldown; never below min_lr
    assert lrs == [0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.02, 0.02]
    _, model = _dense_model(lr=0.1)
    opt = model.train_network.optimizer
    seen = []
    model.train(1, _dense_batches(3), callbacks=LearningRateScheduler(lambda lr, step: seen.append(step) or lr * 0.5))
    assert seen == [1, 2, 3]
    np.testing.assert_allclose(float(opt.learning_rate.asnumpy()), 0.1 / 8, rtol=1e-6)


def test_lambda_callback_and_callback_type_errors():
    _, model = _dense_model()
    ends = []
    model.train(2, _dense_batches(2), callbacks=LambdaCallback(on_train_epoch_end=lambda rc: ends.append(
        rc.original_args().cur_epoch_num)))
    assert ends == [1, 2]
    with pytest.raises(TypeError, match="'on_train_end' must be callable"):
        LambdaCallback(on_train_end=3)
    with pytest.raises(TypeError, match="Callback objects"):
        model.train(1, _dense_batches(1), callbacks=[LossMonitor(), "x"])


def test_callback_request_stop_ends_training_after_the_step():
    class StopAt(Callback):
        def on_train_step_end(self, run_context):
            if run_context.original_args().cur_step_num == 3:
                run_context.request_stop()
    _, model = _dense_model()
    rec = Recorder()
    model.train(5, _dense_batches(2), callbacks=[StopAt(), rec])
    assert [c for c in rec.calls if c[0] == "step_end"][-1] == ("step_end", 2, 3, 2)
    assert rec.calls[-1] == ("train_end",)


def test_initial_epoch_resumes_numbering():
    _, model = _dense_model()
    rec = Recorder()
    model.train(3, _dense_batches(2), callbacks=rec, initial_epoch=1)
    assert [c for c in rec.calls if c[0] == "step_end"][0] == ("step_end", 2, 3, 2)


def test_loss_scale_managers_build_the_loss_scale_step():
    for manager in (FixedLossScaleManager(64.0), DynamicLossScaleManager(2 ** 10, 2, 50)):
        _, model = _dense_model(loss_scale_manager=manager)
        assert type(model.train_network).__name__ == "TrainOneStepWithLossScaleCell"
        model.train(1, _dense_batches(2))
    _, model = _dense_model(loss_scale_manager=FixedLossScaleManager(64.0, drop_overflow_update=False))
    assert type(model.train_network).__name__ == "TrainOneStepCell"
    manager = DynamicLossScaleManager(8, 2, 2)
    manager.update_loss_scale(True)
    assert manager.get_loss_scale() == 4
    manager.update_loss_scale(False)
    assert manager.get_loss_scale() == 4  # one step since the overflow (at step 1)
    manager.update_loss_scale(False)
    assert manager.get_loss_scale() == 8  # two steps since the overflow: a window of 2 has passed


def test_predict_and_argument_errors():
    net, model = _dense_model()
    x = np.ones((2, 8), np.float32)
    np.testing.assert_allclose(model.predict(ms.Tensor(x)).asnumpy(), net(ms.Tensor(x)).asnumpy())
    with pytest.raises(ValueError, match="'epoch' must be a positive int, but got 0"):
        model.train(0, _dense_batches(1))
    with pytest.raises(ValueError, match="'amp_level' must be one of"):
        Model(net, amp_level="O5")
    with pytest.raises(TypeError, match="'network' must be a Cell"):
        Model(lambda x: x)
    with pytest.raises(TypeError, match="one-shot iterator"):
        model.train(1, iter(_dense_batches(1)))
    with pytest.raises(ValueError, match="'metrics' can not be None or empty"):
        model.eval(_dense_batches(1))
    with pytest.raises(ValueError, match="'initial_epoch' must be an int in"):
        model.train(2, _dense_batches(1), initial_epoch=2)


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
def test_learning_rate_changed_by_a_callback_reaches_the_compiled_step(backend):
    ms.set_context(mode=ms.GRAPH_MODE, backend=backend)
    try:
        net, model = _dense_model(lr=0.1)
        snapshots = []

        class Snap(Callback):
            def on_train_step_end(self, run_context):
                snapshots.append(net.weight.asnumpy().copy())
        # after step 2 the rate is 0: steps 3 and 4 must leave the weights as they are
        model.train(1, _dense_batches(4), callbacks=[LearningRateScheduler(lambda lr, step: 0.0 if step >= 2 else lr),
                                                      Snap()])
    finally:
        ms.set_context(mode=ms.PYNATIVE_MODE, backend="numpy")
    assert not np.array_equal(snapshots[0], snapshots[1])
    np.testing.assert_array_equal(snapshots[1], snapshots[2])
    np.testing.assert_array_equal(snapshots[2], snapshots[3])


def test_train_and_eval_on_a_sporen_dataset_pipeline():
    import sporen.dataset as ds
    batches = _dense_batches(4)
    x = np.concatenate([b[0] for b in batches])
    y = np.concatenate([b[1] for b in batches])
    data = ds.NumpySlicesDataset({"x": x, "y": y}, shuffle=False).batch(16)
    net, model = _dense_model()
    rec = Recorder()
    model.train(2, data, callbacks=rec)
    assert [c for c in rec.calls if c[0] == "step_end"][-1] == ("step_end", 2, 8, 4)
    # the same batches from a list give the same weights
    net2, model2 = _dense_model()
    model2.train(2, batches)
    np.testing.assert_allclose(net.weight.asnumpy(), net2.weight.asnumpy(), rtol=1e-6, atol=1e-7)


def test_each_epoch_of_a_shuffled_pipeline_gets_its_own_order():
    import sporen.dataset as ds
    ds.config.set_seed(3)
    x = np.arange(64, dtype=np.float32).reshape(16, 4) / 64
    y = (np.arange(16) % 3).astype(np.int32)
    x = np.concatenate([x, x], axis=1)
    data = ds.NumpySlicesDataset({"x": x, "y": y}, shuffle=True).batch(4)
    orders = []

    class Seen(Callback):
        def on_train_epoch_begin(self, run_context):
            orders.append([])

        def on_train_step_end(self, run_context):
            orders[-1].extend(run_context.original_args().train_dataset_element[0].asnumpy()[:, 0].tolist())
    _, model = _dense_model()
    model.train(3, data, callbacks=Seen())
    assert all(sorted(o) == sorted(x[:, 0].tolist()) for o in orders)  # each epoch sees every row once
    assert orders[0] != orders[1] and orders[1] != orders[2]


@pytest.mark.parametrize("level", ["O2", "O3"])
def test_amp_levels_train_in_float16(level):
    x, y = load_demo_data()[:2]
    batches = [(x[i:i + 32], y[i:i + 32]) for i in range(0, 192, 32)]
    ms.set_seed(0)
    net = LeNet5()
    model = Model(net, nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean"),
                  nn.Momentum(net.trainable_params(), 0.05, 0.9), amp_level=level)
    history = History()
    model.train(2, batches, callbacks=history)
    assert all(np.isfinite(history.history["net_output"]))
    # O2 trains with a dynamic loss scale (skipping overflowing steps); O3 has none
    expected = "TrainOneStepWithLossScaleCell" if level == "O2" else "TrainOneStepCell"
    assert type(model.train_network).__name__ == expected
    assert model.predict(ms.Tensor(x[:2])).dtype == ms.float16  # the backbone computes in float16
    assert net.conv1.weight.dtype == ms.float32  # the parameters stay float32
