"""SummaryCollector inside Model.train/fit: the events written (loss, learning rate, histograms,
input images), their steps, and the lineage records, read back with sporen's reader."""
import glob
import json
import os

import numpy as np
import pytest

import sporen as ms
from sporen import nn
from sporen.demo import LeNet5, load_demo_data
from sporen.train.callback._summary_collector import SummaryCollector
from sporen.train.metrics import Accuracy
from sporen.train.model import Model
from sporen.train.summary import read_events


def _lenet_model(metrics=None):
    ms.set_seed(0)
    net = LeNet5()
    loss = nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")
    return net, Model(net, loss, nn.Momentum(net.trainable_params(), 0.02, 0.9), metrics=metrics)


def _batches(n=5, batch=16, offset=0):
    x, y = load_demo_data()[:2]
    return [(x[offset + i * batch: offset + (i + 1) * batch], y[offset + i * batch: offset + (i + 1) * batch])
            for i in range(n)]


def _values(log_dir):
    out = {}
    for event in read_events(log_dir):
        for value in event.summary.value:
            out.setdefault(value.tag, []).append((event.step, value))
    return out


def _lineage(log_dir):
    records = {}
    for path in glob.glob(os.path.join(log_dir, "*_lineage")):
        for event in read_events(path):
            for value in event.summary.value:
                records[value.tag] = json.loads(value.tensor.string_val[0])
    return records


def test_collector_writes_loss_lr_histograms_images_and_lineage(tmp_path):
    net, model = _lenet_model()
    collector = SummaryCollector(str(tmp_path), collect_freq=4, custom_lineage_data={"note": "test", "k": 3})
    batches = _batches()
    model.train(2, batches, callbacks=[collector])
    values = _values(str(tmp_path))
    # first step, then every 4th step of 10
    assert [step for step, _ in values["loss/auto"]] == [1, 4, 8]
    assert all(np.isfinite(v.simple_value) for _, v in values["loss/auto"])
    np.testing.assert_allclose([v.simple_value for _, v in values["learning_rate/auto"]], [0.02] * 3, rtol=1e-6)
    # the first five parameters' histograms; the last one written equals the final weights
    histograms = sorted(tag for tag in values if tag.endswith("/auto") and tag.startswith(("conv", "fc")))
    assert histograms == ["conv1.weight/auto", "conv2.weight/auto", "fc1.bias/auto", "fc1.weight/auto",
                          "fc2.weight/auto"]
    histo = values["conv1.weight/auto"][-1][1].histo
    assert histo.num == net.conv1.weight.asnumpy().size
    image = values["input_data/auto"][0][1].image
    # the batch of 16 images as one grid of 32x32 tiles (as MindSpore writes image summaries)
    assert image.height % 32 == 0 and image.width % 32 == 0
    assert (image.height // 32) * (image.width // 32) >= 16
    lineage = _lineage(str(tmp_path))
    train = lineage["train_lineage"]
    assert train["optimizer"] == "Momentum" and train["loss_function"] == "SoftmaxCrossEntropyWithLogits"
    assert train["epoch"] == 2 and train["step_num"] == 10 and train["batch_num"] == 5
    assert train["learning_rate"] == pytest.approx(0.02)
    assert train["parameter_count"] == sum(p.size for p in net.trainable_params())
    assert lineage["custom_lineage_data"] == {"note": "test", "k": 3}


def test_collector_under_fit_records_eval_lineage_and_metrics(tmp_path):
    _, model = _lenet_model(metrics={"accuracy": Accuracy()})
    collector = SummaryCollector(str(tmp_path), collect_freq=100,
                                 collect_specified_data={"histogram_regular": "^fc3"})
    model.fit(1, _batches(), _batches(2, 50, offset=1000), callbacks=[collector])
    values = _values(str(tmp_path))
    assert sorted(t for t in values if t.startswith("fc")) == ["fc3.bias/auto", "fc3.weight/auto"]
    lineage = _lineage(str(tmp_path))
    assert 0.0 <= lineage["eval_lineage"]["metrics"]["accuracy"] <= 1.0
    assert "eval_loss" in lineage["eval_lineage"]["metrics"]
    assert lineage["train_lineage"]["metrics"]["accuracy"] == lineage["eval_lineage"]["metrics"]["accuracy"]


def test_collector_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="'collect_freq' must be a positive int"):
        SummaryCollector(str(tmp_path), collect_freq=0)
    with pytest.raises(ValueError, match="not supported"):
        SummaryCollector(str(tmp_path), collect_specified_data={"collect_everything": True})
    with pytest.raises(TypeError, match="must be a bool"):
        SummaryCollector(str(tmp_path), collect_specified_data={"collect_metric": 1})
    with pytest.raises(ValueError, match="not a valid regular expression"):
        SummaryCollector(str(tmp_path), collect_specified_data={"histogram_regular": "("})
    with pytest.raises(TypeError, match="custom_lineage_data"):
        SummaryCollector(str(tmp_path), custom_lineage_data={"a": [1]})
    _, model = _lenet_model()
    with pytest.raises(ValueError, match="more than one SummaryCollector"):
        model.train(1, _batches(1), callbacks=[SummaryCollector(str(tmp_path / "a")),
                                               SummaryCollector(str(tmp_path / "b"))])


@pytest.mark.parametrize("mode", [ms.PYNATIVE_MODE, ms.GRAPH_MODE])
def test_collector_writes_the_compiled_step_graph_in_graph_mode(tmp_path, mode):
    from sporen.train.summary._event_pb2 import GraphDef
    ms.set_context(mode=mode)
    try:
        _, model = _lenet_model()
        model.train(1, _batches(2), callbacks=[SummaryCollector(str(tmp_path), collect_freq=1)])
    finally:
        ms.set_context(mode=ms.PYNATIVE_MODE)
    graphs = [e.graph_def for e in read_events(str(tmp_path)) if e.graph_def]
    if mode == ms.PYNATIVE_MODE:
        assert graphs == []  # nothing compiled, no graph (as MindSpore)
        return
    assert len(graphs) == 1
    ops = {node.op for node in GraphDef.FromString(graphs[0]).node}
    assert {"conv", "matmul"} <= ops or {"Conv", "MatMul"} <= ops, sorted(ops)
