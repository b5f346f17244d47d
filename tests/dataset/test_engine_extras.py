"""serialize/deserialize (and the AutoTune file rebuilt with deserialize), dataset callbacks,
PaddedDataset, RandomDataset."""
import json
import logging
import threading

import numpy as np
import pytest

import sporen.dataset as ds
from sporen.dataset import config


@pytest.fixture(autouse=True)
def _seed():
    saved = dict(config._settings)
    config.set_seed(3)
    yield
    config._settings.update(saved)


def _rows(dataset):
    return [[v.tolist() for v in row] for row in dataset.create_tuple_iterator(num_epochs=1, output_numpy=True)]


def _slow_square(x):
    import time
    time.sleep(0.003)
    return x * x


def test_serialize_round_trip_and_compare(tmp_path):
    data = ds.NumpySlicesDataset({"a": np.arange(6), "b": np.arange(6) * 2}, shuffle=False)
    data = data.map(np.negative, input_columns="a", num_parallel_workers=2).project(["b", "a"]).batch(4)
    path = tmp_path / "pipeline.json"
    tree = ds.serialize(data, str(path))
    assert tree["op_type"] == "BatchDataset" and tree["children"][0]["op_type"] == "ProjectDataset"
    assert json.loads(path.read_text()) == tree
    rebuilt = ds.deserialize(json_filepath=str(path))
    assert _rows(rebuilt) == _rows(data) == [[[0, 2, 4, 6], [0, -1, -2, -3]], [[8, 10], [-4, -5]]]
    assert ds.compare(data, rebuilt)
    assert not ds.compare(data, data.repeat(2))


def test_serialize_refuses_lambdas_with_a_clear_error():
    data = ds.NumpySlicesDataset([1, 2]).map(lambda x: x)
    with pytest.raises(RuntimeError, match="lambdas and local functions cannot be saved"):
        ds.serialize(data)


def test_autotune_file_deserializes_into_the_tuned_pipeline(tmp_path, caplog):
    config.set_enable_autotune(True, str(tmp_path / "auto"))
    caplog.set_level(logging.INFO, logger="sporen.dataset")
    data = ds.NumpySlicesDataset(np.arange(40), shuffle=False).map(_slow_square, num_parallel_workers=1)
    iterator = data.create_tuple_iterator(num_epochs=2, output_numpy=True)
    for _ in range(2):
        assert [int(row[0]) for row in iterator] == [i * i for i in range(40)]
    config.set_enable_autotune(False)
    tuned = ds.deserialize(json_filepath=str(tmp_path / "auto_0.json"))
    assert tuned.num_parallel_workers == 2
    assert [int(row[0]) for row in tuned.create_tuple_iterator(num_epochs=1, output_numpy=True)] == \
        [i * i for i in range(40)]


class _Recorder(ds.DSCallback):
    def __init__(self, step_size):
        super().__init__(step_size)
        self.events = []

    def ds_begin(self, ctx):
        self.events.append(("begin", ctx.cur_epoch_num))

    def ds_epoch_begin(self, ctx):
        self.events.append(("epoch_begin", ctx.cur_epoch_num))

    def ds_epoch_end(self, ctx):
        self.events.append(("epoch_end", ctx.cur_epoch_num))

    def ds_step_begin(self, ctx):
        self.events.append(("step_begin", ctx.cur_step_num))

    def ds_step_end(self, ctx):
        self.events.append(("step_end", ctx.cur_step_num))


def test_ds_callback_hooks_in_order():
    recorder = _Recorder(step_size=2)
    data = ds.NumpySlicesDataset([1, 2, 3], shuffle=False).map(np.negative, callbacks=recorder)
    iterator = data.create_tuple_iterator(num_epochs=2, output_numpy=True)
    for _ in range(2):
        list(iterator)
    assert recorder.events == [
        ("begin", 1), ("epoch_begin", 1), ("step_begin", 1), ("step_end", 1), ("step_begin", 3), ("step_end", 3),
        ("epoch_end", 1), ("epoch_begin", 2), ("step_begin", 5), ("step_end", 5), ("epoch_end", 2)]


def test_waited_ds_callback_waits_for_the_training_step():
    seen = []

    class Waited(ds.WaitedDSCallback):
        def sync_step_begin(self, train_run_context, ds_run_context):
            seen.append(ds_run_context.cur_step_num)

    callback = Waited()
    config.set_prefetch_size(1)
    data = ds.NumpySlicesDataset(np.arange(4), shuffle=False).map(np.negative, callbacks=callback,
                                                                  num_parallel_workers=1)
    iterator = data.create_tuple_iterator(num_epochs=1, output_numpy=True)
    next(iterator)
    threading.Event().wait(0.3)
    # without a training step_end, the pipeline stops before step 2
    assert seen == [1]
    for _ in range(3):
        callback.step_end(None)
        next(iterator)
    assert seen == [1, 2, 3, 4]
    iterator.stop()


def test_padded_dataset_evens_out_shards_as_mindspore_documents():
    data = ds.NumpySlicesDataset({"image": np.arange(3)}, shuffle=False)
    padded = data + ds.PaddedDataset([{"image": np.array(-1)}])
    assert [int(row[0]) for row in padded.create_tuple_iterator(num_epochs=1, output_numpy=True)] == [0, 1, 2, -1]
    shards = []
    for shard in range(2):
        part = ds.NumpySlicesDataset({"image": np.arange(3)}, shuffle=False) + \
            ds.PaddedDataset([{"image": np.array(-1)}])
        part.use_sampler(ds.DistributedSampler(num_shards=2, shard_id=shard, shuffle=False))
        assert part.get_dataset_size() == 2
        shards.append([int(row[0]) for row in part.create_tuple_iterator(num_epochs=1, output_numpy=True)])
    assert shards == [[0, 2], [1, -1]]
    with pytest.raises(ValueError, match="sample 1 has the keys"):
        ds.PaddedDataset([{"a": 1}, {"b": 2}])


def test_random_dataset_follows_the_schema_and_the_seed():
    schema = ds.Schema()
    schema.add_column("image", np.uint8, [4, 4, 3])
    schema.add_column("label", np.int32, [])
    first = ds.RandomDataset(total_rows=6, schema=schema, shuffle=False)
    rows = list(first.create_dict_iterator(num_epochs=1, output_numpy=True))
    assert len(rows) == 6 and rows[0]["image"].shape == (4, 4, 3) and rows[0]["image"].dtype == np.uint8
    assert rows[0]["label"].shape == () and rows[0]["label"].dtype == np.int32
    again = list(ds.RandomDataset(total_rows=6, schema=schema, shuffle=False).create_dict_iterator(
        num_epochs=1, output_numpy=True))
    np.testing.assert_array_equal(rows[3]["image"], again[3]["image"])


def test_sync_wait_mindspore_doc_example():
    class Augment:
        def __init__(self):
            self.updates = []

        def update(self, data):
            self.updates.append(data["loss"])

    augment = Augment()
    batch_size = 2
    data = ds.NumpySlicesDataset({"input": np.arange(8)}, shuffle=False)
    data = data.sync_wait(condition_name="policy", callback=augment.update)
    data = data.map(operations=[np.positive], input_columns=["input"]).batch(batch_size)
    count = 0
    for row in data.create_dict_iterator(num_epochs=1, output_numpy=True):
        assert row["input"][0] == count
        count += batch_size
        data.sync_update(condition_name="policy", data={"loss": count})
    assert count == 8 and augment.updates == [2, 4, 6, 8]
    with pytest.raises(RuntimeError, match="no sync_wait with condition 'other'"):
        data.sync_update("other")


def test_save_to_mindrecord_and_read_back(tmp_path):
    path = str(tmp_path / "rows.mindrecord")
    data = ds.NumpySlicesDataset({"label": np.arange(5, dtype=np.int32),
                                  "feature": np.arange(15, dtype=np.float32).reshape(5, 3)}, shuffle=False)
    data.save(path)
    back = ds.MindDataset(path, shuffle=False)
    rows = list(back.create_dict_iterator(num_epochs=1, output_numpy=True))
    assert [int(row["label"]) for row in rows] == [0, 1, 2, 3, 4]
    np.testing.assert_array_equal(rows[4]["feature"], [12, 13, 14])


def test_build_vocab_orders_by_frequency():
    lines = ds.NumpySlicesDataset(np.array(["a b", "b c", "b"]), column_names=["text"], shuffle=False)
    tokens = lines.map(lambda line: np.array(str(line).split()), input_columns="text")
    vocab = tokens.build_vocab(["text"], None, None, ["<pad>"], True)
    assert vocab.vocab() == {"<pad>": 0, "b": 1, "a": 2, "c": 3}
    top = tokens.build_vocab("text", (1, 1), 1, None, True)
    assert top.vocab() == {"a": 0}


def test_apply_and_num_classes():
    data = ds.NumpySlicesDataset([1, 2, 3], shuffle=False)
    assert [int(r[0]) for r in data.apply(lambda d: d.take(2)).create_tuple_iterator(
        num_epochs=1, output_numpy=True)] == [1, 2]
    with pytest.raises(TypeError, match="must return a Dataset"):
        data.apply(lambda d: 3)
    assert data.num_classes() is None
