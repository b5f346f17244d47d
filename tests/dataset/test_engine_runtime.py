"""The runtime: resume mid-epoch in the same order, clean shutdown (no thread or process left after
an early break), bounded read-ahead, and AutoTune's decisions, log and file."""
import gc
import json
import logging
import multiprocessing
import threading
import time

import numpy as np
import pytest

import sporen.dataset as ds
from sporen.dataset import config
from sporen.dataset.engine.random import rng


@pytest.fixture(autouse=True)
def _seed():
    saved = dict(config._settings)
    config.set_seed(11)
    yield
    config._settings.update(saved)


class _Counting:
    """A contract-1 source that counts the rows read from it."""
    column_names = ["x"]

    def __init__(self, n):
        self.n = n
        self.reads = 0

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        self.reads += 1
        return (np.array(i, dtype=np.int64),)


def _pipeline(workers=2, processes=False):
    data = ds.MappableDataset(_Counting(40))
    data = data.map(lambda x: x * 1000 + rng().integers(0, 1000), input_columns="x",
                    num_parallel_workers=workers, python_multiprocessing=processes)
    return data.batch(3)


def _firsts(iterator, count=None):
    out = []
    for row in iterator:
        out.append(row[0].tolist())
        if count is not None and len(out) == count:
            break
    return out


@pytest.mark.parametrize("processes", [False, True])
def test_resume_mid_epoch_gives_the_same_remaining_rows(processes):
    full = _pipeline(processes=processes).create_tuple_iterator(num_epochs=2, output_numpy=True)
    epoch0 = _firsts(full)
    epoch1 = _firsts(full)
    assert epoch0 != epoch1

    interrupted = _pipeline(processes=processes).create_tuple_iterator(num_epochs=2, output_numpy=True)
    _firsts(interrupted)
    assert _firsts(interrupted, 5) == epoch1[:5]
    state = interrupted.get_state()
    assert state["epoch"] == 1 and state["step"] == 5
    interrupted.stop()

    resumed = _pipeline(processes=processes).create_tuple_iterator(num_epochs=2, output_numpy=True)
    resumed.set_state(state)
    assert _firsts(resumed) == epoch1[5:]
    assert _firsts(resumed) == []


def test_set_init_step_resumes_from_a_global_step():
    reference = _pipeline().create_tuple_iterator(num_epochs=2, output_numpy=True)
    rows = _firsts(reference) + _firsts(reference)
    size = _pipeline().get_dataset_size()
    assert size == 14
    data = _pipeline()
    data.set_init_step(size + 4)
    assert data.get_init_step() == size + 4
    resumed = data.create_tuple_iterator(num_epochs=2, output_numpy=True)
    assert _firsts(resumed) == rows[size + 4:]


def test_resume_through_shuffle_filter_and_repeat():
    def build():
        data = ds.NumpySlicesDataset(np.arange(30)).filter(lambda x: x % 3 != 0).shuffle(5).repeat(2)
        return data.create_tuple_iterator(num_epochs=1, output_numpy=True)

    rows = [int(row[0]) for row in build()]
    partial = build()
    head = [int(next(partial)[0]) for _ in range(23)]
    assert head == rows[:23]
    resumed = build()
    resumed.set_state(partial.get_state())
    assert [int(row[0]) for row in resumed] == rows[23:]


def _sporen_threads():
    return [t for t in threading.enumerate() if t.name.startswith("sporen.dataset")]


def _wait_gone(check, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not check():
            return True
        time.sleep(0.05)
    return not check()


@pytest.mark.parametrize("processes", [False, True])
def test_no_thread_or_process_left_after_early_break(processes):
    before = set(_sporen_threads())
    data = ds.MappableDataset(_Counting(500), num_parallel_workers=2).map(
        lambda x: x + 1, num_parallel_workers=2, python_multiprocessing=processes).batch(4)
    for count, _ in enumerate(data):
        if count == 2:
            break
    gc.collect()
    assert _wait_gone(lambda: [t for t in _sporen_threads() if t not in before and t.is_alive()])
    assert _wait_gone(lambda: [p for p in multiprocessing.active_children() if p.name.startswith("sporen.dataset")])


def test_read_ahead_is_bounded():
    config.set_prefetch_size(2)
    source = _Counting(10000)
    data = ds.MappableDataset(source, shuffle=False, num_parallel_workers=2).map(lambda x: x, num_parallel_workers=2)
    iterator = data.create_tuple_iterator(num_epochs=1, output_numpy=True)
    assert [int(next(iterator)[0]) for _ in range(5)] == [0, 1, 2, 3, 4]
    time.sleep(0.3)
    # each queue holds at most prefetch_size rows (or chunks of at most prefetch_size rows)
    assert source.reads < 100
    iterator.stop()


def test_error_in_a_source_row_names_the_row():
    class Broken(_Counting):
        def __getitem__(self, i):
            if i == 3:
                raise ValueError("corrupt record")
            return super().__getitem__(i)

    with pytest.raises(ValueError, match="corrupt record") as info:
        list(ds.MappableDataset(Broken(6), shuffle=False))
    assert "reading row 3" in str(info.value)


def _slow_pipeline(workers):
    def slow(x):
        time.sleep(0.004)
        return x

    return ds.NumpySlicesDataset(np.arange(48), shuffle=False, num_parallel_workers=1).map(
        slow, num_parallel_workers=workers)


def test_autotune_raises_the_bottleneck_workers_logs_and_saves(tmp_path, caplog):
    prefix = str(tmp_path / "tuned")
    config.set_enable_autotune(True, prefix)
    caplog.set_level(logging.INFO, logger="sporen.dataset")
    iterator = _slow_pipeline(1).create_tuple_iterator(num_epochs=2, output_numpy=True)
    first = [int(row[0]) for row in iterator]
    second = [int(row[0]) for row in iterator]
    assert first == second == list(range(48))
    messages = [record.getMessage() for record in caplog.records]
    assert any("MapOp(ID:0) is the bottleneck" in text and "num_parallel_workers 1 -> 2" in text
               for text in messages), messages
    saved = json.loads((tmp_path / "tuned_0.json").read_text())
    assert saved["remark"].startswith("The following file has been auto-generated")
    assert saved["tree"]["op_name"] == "MapOp(ID:0)" and saved["tree"]["num_parallel_workers"] == 2
    assert any(line.startswith("MapOp(ID:0)") for line in saved["summary"])
    assert sorted(path.name for path in tmp_path.iterdir()) == ["tuned_0.json"]  # written atomically: no temp left
    # a new run starts from the saved settings
    caplog.clear()
    rerun = _slow_pipeline(1).create_tuple_iterator(num_epochs=1, output_numpy=True)
    assert rerun._run.overrides[("MapOp(ID:0)", "workers")] == 2
    assert [int(row[0]) for row in rerun] == list(range(48))
    assert any("starting from the settings saved" in record.getMessage() for record in caplog.records)


def test_a_dead_worker_process_is_an_error_not_a_hang():
    import os

    def die(x):
        if int(x) == 5:
            os._exit(3)
        return x

    data = ds.NumpySlicesDataset(np.arange(20), shuffle=False).map(die, num_parallel_workers=2,
                                                                   python_multiprocessing=True)
    with pytest.raises(RuntimeError, match=r"exited unexpectedly \(exit code 3\)"):
        list(data.create_tuple_iterator(num_epochs=1, output_numpy=True))


def _fails_on_3(x):
    if int(x) == 3:
        raise ValueError("bad sample")
    return x


@pytest.mark.parametrize("workers, processes", [(1, False), (2, False), (2, True)])
def test_error_samples_modes(workers, processes, caplog):
    def build():
        return ds.NumpySlicesDataset(np.arange(6), shuffle=False).map(_fails_on_3, num_parallel_workers=workers,
                                                                      python_multiprocessing=processes)

    config.set_error_samples_mode(config.ErrorSamplesMode.SKIP)
    assert [int(r[0]) for r in build().create_tuple_iterator(num_epochs=1, output_numpy=True)] == [0, 1, 2, 4, 5]
    assert any("row 3" in record.getMessage() and "skipped" in record.getMessage() for record in caplog.records)
    config.set_error_samples_mode(config.ErrorSamplesMode.REPLACE)
    assert [int(r[0]) for r in build().create_tuple_iterator(num_epochs=1, output_numpy=True)] == [0, 1, 2, 2, 4, 5]
    config.set_error_samples_mode(config.ErrorSamplesMode.RETURN)
    with pytest.raises(ValueError, match="bad sample"):
        list(build())


def test_debug_mode_runs_in_the_calling_thread():
    seen = set()

    def record(x):
        seen.add(threading.current_thread().name)
        return x

    config.set_debug_mode(True)
    data = ds.NumpySlicesDataset(np.arange(8), num_parallel_workers=4).map(record, num_parallel_workers=4).batch(2)
    assert len(list(data)) == 4
    assert seen == {threading.current_thread().name}
    assert not [t for t in _sporen_threads() if t.is_alive() and "MapOp" in t.name]


def _random_rows(workers):
    """Rows that depend on each row's random generator, through a map that releases the GIL."""
    def noisy(x):
        time.sleep(0.002)
        return x * 1000 + rng().integers(0, 1000)

    return ds.NumpySlicesDataset(np.arange(60), shuffle=True, num_parallel_workers=1).map(
        noisy, num_parallel_workers=workers).batch(4)


def test_autotune_changes_thread_workers_and_prefetch_within_the_first_epoch():
    config.set_prefetch_size(2)
    plain = [row[0].tolist() for row in _random_rows(1).create_tuple_iterator(num_epochs=1, output_numpy=True)]
    config.set_enable_autotune(True)
    config.set_autotune_interval(2)
    iterator = _random_rows(1).create_tuple_iterator(num_epochs=1, output_numpy=True)
    tuned = []
    workers_seen = set()
    for row in iterator:
        tuned.append(row[0].tolist())
        workers_seen.add(iterator._run.stats["MapOp(ID:1)/workers"].workers)
    changes = iterator._tuner.changes
    # the map got a second worker after the first 2 batches, then deeper queues, all in one pass
    assert changes[0] == {"op": "MapOp(ID:1)", "setting": "num_parallel_workers", "from": 1, "to": 2}
    assert workers_seen == {1, 2}
    assert any(change["setting"] == "prefetch_size" for change in changes)
    grown = [change["op"] for change in changes if change["setting"] == "prefetch_size"]
    assert iterator._run.stats[grown[0]].capacity > 2
    # the same rows in the same order, with the same random draws, as without AutoTune
    assert tuned == plain


def test_autotune_leaves_the_queues_alone_when_the_cpus_are_saturated(monkeypatch, caplog):
    """A pipeline that keeps every CPU busy is compute-bound: once the bottleneck has all the CPUs'
    workers, AutoTune does not deepen its queue (it would only hold memory)."""
    from sporen.dataset.engine import autotune, runtime
    clock = autotune.time.perf_counter
    # this process's CPU time advancing as fast as the wall clock on every CPU
    monkeypatch.setattr(autotune.time, "process_time", lambda: clock() * runtime.cpu_count())
    monkeypatch.setattr(autotune, "cpu_count", lambda: 2)
    config.set_prefetch_size(2)
    config.set_enable_autotune(True)
    config.set_autotune_interval(2)
    caplog.set_level(logging.DEBUG, logger="sporen.dataset")
    iterator = _random_rows(1).create_tuple_iterator(num_epochs=1, output_numpy=True)
    for _ in iterator:
        pass
    changes = iterator._tuner.changes
    # the map gets its second worker with the queues two workers need, _ROWS_PER_WORKER rows each, on
    # its output and on its input (unless a loaded machine kept the consumer slow enough that the
    # queues stayed full), and no deeper queue after that
    if changes:
        wanted = 2 * autotune._ROWS_PER_WORKER
        assert changes == [{"op": "MapOp(ID:1)", "setting": "num_parallel_workers", "from": 1, "to": 2},
                           {"op": "MapOp(ID:1)", "setting": "prefetch_size", "from": 2, "to": wanted},
                           {"op": "NumpySlicesOp(ID:2)", "setting": "prefetch_size", "from": 2, "to": wanted}]
        assert "compute-bound" in caplog.text
        assert "NumpySlicesOp(ID:2) feeds MapOp(ID:1), now with 2 workers" in caplog.text
        # the same verdict at every later interval is logged once at INFO, then at DEBUG
        verdicts = [record for record in caplog.records if "compute-bound" in record.getMessage()]
        assert [record.levelno for record in verdicts][:1] == [logging.INFO]
        assert all(record.levelno == logging.DEBUG for record in verdicts[1:])


def test_thread_workers_share_one_queue_and_keep_the_order():
    """Each free thread worker takes the next row (a slow row does not hold up the rows dealt to
    another worker), and the results still come in the rows' order."""
    config.set_prefetch_size(8)
    taken = {}

    def work(x):
        taken[int(x)] = threading.current_thread().name
        time.sleep(0.5 if int(x) == 0 else 0.001)
        return x * 2

    data = ds.NumpySlicesDataset(np.arange(24), shuffle=False).map(work, num_parallel_workers=2)
    assert [int(row[0]) for row in data.create_tuple_iterator(num_epochs=1, output_numpy=True)] == \
        [2 * k for k in range(24)]
    # while row 0 slept, the other worker took rows 1, 2, 3, ... (round-robin dealing would have
    # left every even row waiting for the first worker)
    assert all(taken[k] != taken[0] for k in range(1, 6))


def test_batches_come_without_a_copy_and_other_rows_with_one():
    source = np.arange(12, dtype=np.float32).reshape(6, 2)
    rows = list(ds.NumpySlicesDataset(source, shuffle=False).create_tuple_iterator(num_epochs=1, output_numpy=True))
    assert not any(np.shares_memory(row[0], source) for row in rows)
    batches = list(ds.NumpySlicesDataset(source, shuffle=False).batch(3).create_tuple_iterator(
        num_epochs=1, output_numpy=True))
    assert [b[0].tolist() for b in batches] == [source[:3].tolist(), source[3:].tolist()]
    assert all(b[0].flags.owndata and b[0].flags.writeable for b in batches)


def test_no_thread_left_after_a_break_once_autotune_changed_the_workers():
    before = set(_sporen_threads())
    config.set_enable_autotune(True)
    config.set_autotune_interval(1)
    iterator = _random_rows(1).create_tuple_iterator(num_epochs=1, output_numpy=True)
    for count, _ in enumerate(iterator):
        if count == 6:
            break
    assert iterator._tuner.changes[0]["to"] == 2
    iterator.stop()
    assert _wait_gone(lambda: [t for t in _sporen_threads() if t not in before and t.is_alive()])


def test_an_error_after_autotune_changed_the_workers_names_its_row():
    def fails_late(x):
        time.sleep(0.002)
        if int(x) == 50:
            raise ValueError("bad row fifty")
        return x

    config.set_prefetch_size(2)
    config.set_enable_autotune(True)
    config.set_autotune_interval(1)
    data = ds.NumpySlicesDataset(np.arange(60), shuffle=False).map(fails_late, num_parallel_workers=1)
    iterator = data.create_tuple_iterator(num_epochs=1, output_numpy=True)
    seen = []
    with pytest.raises(ValueError, match="bad row fifty") as caught:
        for row in iterator:
            seen.append(int(row[0]))
    assert seen == list(range(50)) and "row 50" in str(caught.value)
    assert iterator._tuner.changes[0]["to"] == 2


def _image_row(x):
    """A row of a 200 KB float32 image and a small label (large enough for shared memory)."""
    return np.full((100, 500), float(x), np.float32), np.array([x, -x], np.int64)


@pytest.fixture
def results_path(monkeypatch):
    """For each chunk of results a process worker sends: whether it came through shared memory."""
    from sporen.dataset.engine import runtime
    used = []
    unpack = runtime.ProcessPool.unpack

    def recording(self, index, message, keep=True):
        used.append(message[2] is not None)
        return unpack(self, index, message, keep)

    monkeypatch.setattr(runtime.ProcessPool, "unpack", recording)
    return used


@pytest.mark.parametrize("shared", [True, False])
def test_process_workers_return_arrays_through_shared_memory(results_path, shared):
    config.set_enable_shared_mem(shared)
    try:
        data = ds.NumpySlicesDataset(np.arange(30), shuffle=False).map(
            _image_row, input_columns="column_0", output_columns=["image", "label"], num_parallel_workers=2,
            python_multiprocessing=True)
        rows = list(data.create_tuple_iterator(num_epochs=1, output_numpy=True))
    finally:
        config.set_enable_shared_mem(True)
    assert len(rows) == 30
    for k, (image, label) in enumerate(rows):
        assert image.shape == (100, 500) and image.dtype == np.float32 and (image == k).all()
        assert label.tolist() == [k, -k]
        assert image.flags.owndata and image.flags.writeable  # copied out of the slot
    assert results_path and all(results_path) == shared and any(results_path) == shared


def test_rows_larger_than_max_rowsize_are_pickled(results_path):
    def big(x):
        return np.full((1024, 1024), float(x), np.float32)  # 4 MB, more than max_rowsize=1

    data = ds.NumpySlicesDataset(np.arange(6), shuffle=False).map(
        big, num_parallel_workers=2, python_multiprocessing=True, max_rowsize=1)
    assert [float(row[0][5, 5]) for row in data.create_tuple_iterator(num_epochs=1, output_numpy=True)] == \
        [float(k) for k in range(6)]
    assert results_path and not any(results_path)


def test_max_rowsize_is_checked():
    data = ds.NumpySlicesDataset(np.arange(4))
    with pytest.raises(TypeError, match="map: 'max_rowsize' must be an int"):
        data.map(lambda x: x, max_rowsize="16")
    with pytest.raises(ValueError, match="map: 'max_rowsize' must be a positive number of MB or -1, got 0"):
        data.map(lambda x: x, max_rowsize=0)
    with pytest.raises(ValueError, match=r"\[input MB, output MB\]"):
        data.map(lambda x: x, max_rowsize=[1, 2, 3])
    for ok in (None, -1, 8, [4, 8]):
        data.map(lambda x: x, max_rowsize=ok)


def test_no_process_left_after_a_break_with_shared_memory():
    data = ds.NumpySlicesDataset(np.arange(200), shuffle=False).map(
        _image_row, input_columns="column_0", output_columns=["image", "label"], num_parallel_workers=2,
        python_multiprocessing=True)
    iterator = data.create_tuple_iterator(num_epochs=1, output_numpy=True)
    for count, _ in enumerate(iterator):
        if count == 3:
            break
    iterator.stop()
    assert _wait_gone(lambda: [p for p in multiprocessing.active_children() if p.name.startswith("sporen.dataset")])


def test_process_workers_get_large_inputs_through_shared_memory(monkeypatch):
    from sporen.dataset.engine import runtime
    sent = []
    pack_input = runtime.ProcessPool.pack_input

    def recording(self, index, chunk, stop):
        message = pack_input(self, index, chunk, stop)
        sent.append(message[0] is not None)
        return message

    monkeypatch.setattr(runtime.ProcessPool, "pack_input", recording)
    images = np.arange(20 * 300 * 100, dtype=np.float32).reshape(20, 300, 100)  # 120 KB rows

    def brighten(image):
        return image + 1.0

    data = ds.NumpySlicesDataset(images, shuffle=False).map(brighten, num_parallel_workers=2,
                                                             python_multiprocessing=True, max_rowsize=[1, 4])
    rows = [row[0] for row in data.create_tuple_iterator(num_epochs=1, output_numpy=True)]
    assert len(rows) == 20 and all(np.array_equal(row, image + 1.0) for row, image in zip(rows, images))
    assert sent and all(sent)
    # inputs larger than their slot (max_rowsize [input MB, output MB]) are pickled instead
    sent.clear()
    small = ds.NumpySlicesDataset(np.zeros((4, 1024, 1024), np.float32), shuffle=False).map(
        brighten, num_parallel_workers=2, python_multiprocessing=True, max_rowsize=[1, 8])
    assert [float(row[0][0, 0]) for row in small.create_tuple_iterator(num_epochs=1, output_numpy=True)] == [1.0] * 4
    assert sent and not any(sent)


def test_buffer_pool_reuses_memory_only_when_nothing_refers_to_it():
    from sporen.dataset.engine.runtime import _POOL_MIN_BYTES, BufferPool
    pool = BufferPool()
    shape = (4, _POOL_MIN_BYTES // 16)  # float32: exactly _POOL_MIN_BYTES
    first = pool.empty(shape, np.float32)
    address = first.ctypes.data
    view = first[1:]
    del first
    second = pool.empty(shape, np.float32)
    assert second.ctypes.data != address  # a view of the first array still holds its buffer
    del view
    third = pool.empty(shape, np.float32)
    assert third.ctypes.data == address and third.shape == shape and third.dtype == np.float32
    other = pool.empty((2,) + shape, np.float32)  # another size: another buffer
    assert other.ctypes.data not in (address, second.ctypes.data)
    small = pool.empty((3, 5), np.float64)
    assert small.shape == (3, 5) and len(pool.buffers) == 3  # small arrays are not pooled


def test_batches_held_by_the_user_keep_their_values():
    """Batch memory comes back to the pool only when nothing refers to it: batches (or views of them)
    kept across the whole run still hold their own rows."""
    images = np.random.default_rng(1).random((40, 64, 64, 3)).astype(np.float32)  # 1.5 MB batches of 4
    data = ds.NumpySlicesDataset({"image": images}, shuffle=False).batch(4)
    iterator = data.create_tuple_iterator(num_epochs=3, output_numpy=True)
    kept, views = [], []
    for _ in range(3):
        for number, (batch,) in enumerate(iterator):
            if number % 3 == 0:
                kept.append((number, batch))
            if number % 3 == 1:
                views.append((number, batch[2:]))
            np.testing.assert_array_equal(batch, images[4 * number:4 * number + 4])
    for number, batch in kept:
        np.testing.assert_array_equal(batch, images[4 * number:4 * number + 4])
    for number, view in views:
        np.testing.assert_array_equal(view, images[4 * number + 2:4 * number + 4])


def _images(count=22, shape=(24, 24, 3)):
    return np.random.default_rng(8).integers(0, 256, (count,) + shape).astype(np.uint8)


def _scale(x):
    time.sleep(0.001)  # releases the GIL, so both workers take rows
    return (x.astype(np.float32) * 0.5).transpose(2, 0, 1).copy()


def test_map_workers_put_their_rows_into_the_batch_above(monkeypatch):
    """Map-and-batch fusion: with two thread workers, the worker that made a row copies it into its
    batch; the batches equal the unfused ones, a short last batch included, across epochs and when
    the run resumes mid-epoch."""
    from sporen.dataset.engine import batch as batch_module
    images = _images()
    expected = [(images[k:k + 4].astype(np.float32) * 0.5).transpose(0, 3, 1, 2) for k in range(0, 22, 4)]
    putters = set()
    original = batch_module._BatchSink.put

    def put(self, position, row):
        putters.add(threading.current_thread().name)
        return original(self, position, row)

    monkeypatch.setattr(batch_module._BatchSink, "put", put)

    def pipeline(workers):
        return ds.NumpySlicesDataset({"image": images, "label": np.arange(22)}, shuffle=False).map(
            _scale, input_columns="image", num_parallel_workers=workers).batch(4)

    for workers in (1, 2):
        putters.clear()
        iterator = pipeline(workers).create_tuple_iterator(num_epochs=2, output_numpy=True)
        for _ in range(2):
            batches = list(iterator)
            assert len(batches) == 6 and [len(label) for _, label in batches] == [4, 4, 4, 4, 4, 2]
            for (image, label), want, first in zip(batches, expected, range(0, 22, 4)):
                np.testing.assert_array_equal(image, want)
                np.testing.assert_array_equal(label, np.arange(first, min(first + 4, 22)))
        workers_put = any("worker" in name for name in putters)
        assert workers_put == (workers == 2), putters  # one worker: the batch stage's thread copies
    resumed = pipeline(2).create_tuple_iterator(num_epochs=1, output_numpy=True)
    resumed.set_state({"epoch": 0, "step": 2, "seed": resumed._run.seed})
    rest = [image for image, _ in resumed]
    assert len(rest) == 4 and all(np.array_equal(a, b) for a, b in zip(rest, expected[2:]))


def test_fused_batches_of_ragged_rows_still_name_the_shapes():
    def grow(x):
        time.sleep(0.001)
        return np.zeros(int(x) % 3 + 1, np.float32)

    data = ds.NumpySlicesDataset(np.arange(8), shuffle=False).map(grow, num_parallel_workers=2).batch(4)
    with pytest.raises(RuntimeError, match="has rows of different shapes in one batch"):
        list(data.create_tuple_iterator(num_epochs=1, output_numpy=True))


def test_a_map_shared_by_two_batches_gives_each_its_own_rows():
    images = _images(12)
    mapped = ds.NumpySlicesDataset({"image": images}, shuffle=False).map(_scale, input_columns="image",
                                                                        num_parallel_workers=2)
    both = ds.zip((mapped.batch(4), mapped.batch(3).rename("image", "other")))
    rows = list(both.create_tuple_iterator(num_epochs=1, output_numpy=True))
    want = (images.astype(np.float32) * 0.5).transpose(0, 3, 1, 2)
    for number, (four, three) in enumerate(rows):
        np.testing.assert_array_equal(four, want[4 * number:4 * number + 4])
        np.testing.assert_array_equal(three, want[3 * number:3 * number + 3])
