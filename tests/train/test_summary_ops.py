"""The summary operators (ScalarSummary, ImageSummary, TensorSummary, HistogramSummary) in a Cell hand their values
to SummaryRecord, in PyNative and in compiled graphs (GRAPH_MODE on the numpy and cpu backends, at every run)."""
import warnings

import numpy as np
import pytest

import sporen as ms
from sporen import nn
from sporen.train.summary import SummaryRecord, read_events
from sporen.train.summary.summary_ops import HistogramSummary, ImageSummary, ScalarSummary, TensorSummary
from sporen.train.summary.summary_record import _get_summary_tensor_data


class _Net(nn.Cell):
    def __init__(self):
        super().__init__()
        self.scalar = ScalarSummary()
        self.image = ImageSummary()
        self.tensor = TensorSummary()
        self.histogram = HistogramSummary()

    def construct(self, x):
        y = x * 2
        self.scalar("total", y.sum())
        self.image("picture", y.reshape(1, 1, 2, 3) / 10)
        self.tensor("y", y)
        self.histogram("y_hist", y)
        return y


@pytest.fixture
def pynative():
    mode = ms.get_context("mode")
    yield
    ms.set_context(mode=mode)


@pytest.mark.parametrize("mode,backend", [(ms.PYNATIVE_MODE, "numpy"), (ms.GRAPH_MODE, "numpy"),
                                          (ms.GRAPH_MODE, "cpu")])
def test_summary_ops_values_reach_the_event_file(tmp_path, mode, backend, pynative):
    old_backend = ms.get_context("backend")
    ms.set_context(mode=mode, backend=backend)
    net = _Net()
    try:
        with SummaryRecord(str(tmp_path)) as record:
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # no fallback to PyNative: the graph holds the summary ops
                for step, scale in ((7, 1.0), (8, 3.0)):
                    x = np.arange(6, dtype=np.float32) * scale
                    out = net(ms.Tensor(x))
                    np.testing.assert_allclose(out.asnumpy(), x * 2)
                    record.record(step)
            path = record.log_dir
    finally:
        ms.set_context(backend=old_backend)
    events = list(read_events(path))[1:]
    assert [e.step for e in events] == [7, 8]
    for event, scale in zip(events, (1.0, 3.0)):
        x = np.arange(6, dtype=np.float32) * scale
        values = {v.tag: v for v in event.summary.value}
        assert values["total"].simple_value == pytest.approx(30.0 * scale)
        assert (values["picture"].image.height, values["picture"].image.width) == (2, 3)
        np.testing.assert_array_equal(np.frombuffer(values["y"].tensor.tensor_content, np.float32), x * 2)
        assert values["y_hist"].histo.num == 6 and values["y_hist"].histo.max == 10.0 * scale


def test_summary_op_keeps_the_value_at_call_time(pynative):
    _get_summary_tensor_data()
    value = ms.Tensor(np.array([1.0, 2.0], np.float32))
    TensorSummary()("w", value)
    value.asnumpy()[:] = 5.0  # an in-place update after the call (an optimizer step) is not recorded
    cached = _get_summary_tensor_data()
    np.testing.assert_array_equal(cached["w[:Tensor]"].asnumpy(), [1.0, 2.0])


def test_summary_op_argument_errors():
    with pytest.raises(TypeError, match="name"):
        ScalarSummary()(1, ms.Tensor(1.0))
    with pytest.raises(ValueError, match="name"):
        ScalarSummary()("", ms.Tensor(1.0))
    with pytest.raises(TypeError, match="Tensor"):
        ScalarSummary()("a", 1.0)
    with pytest.raises(ValueError, match="dim"):
        ScalarSummary()("a", ms.Tensor(np.zeros((1, 1))))
    with pytest.raises(ValueError, match="rank"):
        ImageSummary()("a", ms.Tensor(np.zeros((2, 2))))
    with pytest.raises(ValueError, match="rank"):
        HistogramSummary()("a", ms.Tensor(1.0))
    assert ScalarSummary().name == "ScalarSummary"
    _get_summary_tensor_data()


def test_two_records_in_the_same_second_get_different_files(tmp_path):
    first = SummaryRecord(str(tmp_path))
    second = SummaryRecord(str(tmp_path))
    assert first.log_dir != second.log_dir
    first.close()
    second.close()
