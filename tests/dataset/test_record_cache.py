"""The dataset cache: a server process (sporen cache start|status|stop) shared by client processes,
spilling beyond a tiny memory budget, status output, clean stop, and DatasetCache's errors."""
import multiprocessing
import os
import socket

import numpy as np
import pytest

from sporen.dataset import cache as cache_module
from sporen.dataset.cache import DatasetCache, cache_main


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def server(tmp_path, monkeypatch):
    """A cache server with a 0.05 MB budget and a spill folder; stopped (or killed) afterwards."""
    monkeypatch.setenv("SPOREN_CACHE_DIR", str(tmp_path / "state"))
    port = _free_port()
    spill = tmp_path / "spill"
    assert cache_main(["start", "--port", str(port), "--memory-budget", "0.05", "--spill-dir", str(spill)]) == 0
    state = cache_module._read_state(port)
    pid = state["pid"]
    yield {"port": port, "spill": spill, "pid": pid, "state": tmp_path / "state"}
    if cache_module._server_running(port):
        cache_main(["stop", "--port", str(port)])
    if _alive(pid):
        os.kill(pid, 9)
        process = cache_module._started.pop(pid, None)
        if process is not None:
            process.wait()


def _row(number):
    rng = np.random.default_rng(number)
    return (rng.standard_normal((32, 32)).astype(np.float32), np.array(number, dtype=np.int64),
            np.array(f"row-{number}"))


def _writer_process(port, session, first, count):
    cache = DatasetCache(session, port=port, spilling=True)
    for number in range(first, first + count):
        cache.put(("rows", number), _row(number))
    os._exit(0)


def _reader_process(port, session, first, count):
    cache = DatasetCache(session, port=port, spilling=True)
    for number in range(first, first + count):
        got = cache.get(("rows", number))
        expected = _row(number)
        if got is None or len(got) != 3:
            os._exit(2)
        for left, right in zip(got, expected):
            if left.dtype != right.dtype or not np.array_equal(left, right):
                os._exit(3)
    os._exit(0)


def _run(target, *args):
    process = multiprocessing.get_context("fork").Process(target=target, args=args)
    process.start()
    process.join(60)
    return process.exitcode


def test_two_processes_share_rows_and_spill_beyond_the_budget(server, capsys):
    port = server["port"]
    # 4 KB per row against a 0.05 MB budget: most rows spill to disk
    assert _run(_writer_process, port, 7, 0, 30) == 0
    assert _run(_reader_process, port, 7, 0, 30) == 0
    cache = DatasetCache(7, port=port, spilling=True)
    stat = cache.get_stat()
    assert stat.num_mem_cached + stat.num_disk_cached == 30
    assert stat.num_disk_cached > 15
    assert stat.memory_bytes <= 0.05 * 1024 * 1024
    assert stat.avg_cache_sz == (stat.memory_bytes + stat.disk_bytes) // 30
    spill_files = [os.path.join(folder, name) for folder, _, names in os.walk(server["spill"]) for name in names]
    assert len(spill_files) == 1
    assert os.path.getsize(spill_files[0]) == stat.disk_bytes
    for number in (0, 13, 29):
        got = cache.get(("rows", number))
        for left, right in zip(got, _row(number)):
            np.testing.assert_array_equal(left, right)
    assert cache.get(("rows", 30)) is None
    assert cache.put(("rows", 0), _row(0)) == "exists"
    capsys.readouterr()
    assert cache_main(["status", "--port", str(port)]) == 0
    text = capsys.readouterr().out
    assert f"cache server at 127.0.0.1:{port} (pid {server['pid']})" in text
    assert "sessions: 1" in text
    last = text.strip().splitlines()[-1].split()
    assert last[:3] == ["7", str(stat.num_mem_cached), str(stat.num_disk_cached)]


def test_a_session_without_spilling_stops_caching_when_full(server):
    cache = DatasetCache(3, port=server["port"], spilling=False)
    results = [cache.put(("r", number), _row(number)) for number in range(30)]
    assert results[0] == "memory"
    assert "full" in results
    assert "disk" not in results
    stat = cache.get_stat()
    assert stat.num_disk_cached == 0 and stat.num_not_cached == results.count("full")
    first_refused = results.index("full")
    assert cache.get(("r", first_refused)) is None


def test_session_size_limit(server):
    cache = DatasetCache(4, size=1, port=server["port"], spilling=False)
    assert cache.put(("big",), (np.zeros(300_000, np.float32),)) == "full"
    assert cache.put(("small",), (np.zeros(10, np.float32),)) == "memory"


def test_stop_leaves_no_process_or_file(server, capsys):
    port = server["port"]
    cache = DatasetCache(1, port=port, spilling=True)
    for number in range(20):
        cache.put(number, _row(number))
    assert any(os.scandir(server["spill"]))
    assert cache_main(["stop", "--port", str(port)]) == 0
    assert not _alive(server["pid"])
    assert not (server["state"] / f"server-{port}.json").exists()
    assert list(os.scandir(server["spill"])) == []
    capsys.readouterr()
    assert cache_main(["status", "--port", str(port)]) == 1
    assert "no cache server is running" in capsys.readouterr().out
    with pytest.raises(RuntimeError, match="no cache server is running"):
        DatasetCache(1, port=port).get(0)


def test_new_and_destroyed_sessions(server, capsys):
    port = server["port"]
    capsys.readouterr()
    assert cache_main(["new-session", "--port", str(port)]) == 0
    session = int(capsys.readouterr().out.split(":")[1])
    cache = DatasetCache(session, port=port)
    cache.put("k", (np.arange(3),))
    assert cache_main(["destroy-session", str(session), "--port", str(port)]) == 0
    assert cache.get("k") is None
    assert cache_main(["start", "--port", str(port)]) == 1


def test_no_server_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("SPOREN_CACHE_DIR", str(tmp_path))
    port = _free_port()
    cache = DatasetCache(1, port=port)
    with pytest.raises(RuntimeError, match=f"no cache server is running at 127.0.0.1:{port}; start one"):
        cache.put(1, (np.zeros(1),))
    assert cache_main(["stop", "--port", str(port)]) == 1
    from sporen import cli
    assert cli.main(["cache", "status", "--port", str(port)]) == 1
    assert cache_main(["bogus"]) == 2


@pytest.mark.parametrize("kwargs, error, message", [
    ({"session_id": -1}, ValueError, "'session_id' must be within"),
    ({"session_id": "1"}, TypeError, "'session_id' must be an int"),
    ({"session_id": 1, "size": -1}, ValueError, "'size' must be within"),
    ({"session_id": 1, "spilling": 1}, TypeError, "'spilling' must be a bool"),
    ({"session_id": 1, "hostname": "10.0.0.1"}, ValueError, "'hostname' must be 127.0.0.1"),
    ({"session_id": 1, "port": 80}, ValueError, "'port' must be within"),
    ({"session_id": 1, "num_connections": 0}, ValueError, "'num_connections' must be within"),
    ({"session_id": 1, "prefetch_size": 0}, ValueError, "'prefetch_size' must be within"),
])
def test_dataset_cache_argument_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        DatasetCache(**kwargs)


def test_mind_dataset_reads_through_the_cache(server, tmp_path):
    from sporen.dataset import MindDataset
    from sporen.mindrecord import FileWriter

    path = tmp_path / "c.mindrecord"
    writer = FileWriter(str(path))
    writer.add_schema({"label": {"type": "int32"}, "v": {"type": "float32", "shape": [4]}})
    writer.write_raw_data([{"label": i, "v": np.full(4, i, np.float32)} for i in range(12)])
    writer.commit()
    cache = DatasetCache(9, port=server["port"], spilling=True)
    dataset = MindDataset(str(path), shuffle=False, cache=cache)
    first = [(int(label), v.tolist()) for label, v in dataset.create_tuple_iterator(output_numpy=True, num_epochs=1)]
    stat = cache.get_stat()
    assert stat.num_mem_cached + stat.num_disk_cached == 12
    assert stat.misses == 12
    second = [(int(label), v.tolist()) for label, v in dataset.create_tuple_iterator(output_numpy=True, num_epochs=1)]
    assert first == second == [(i, [float(i)] * 4) for i in range(12)]
    assert cache.get_stat().hits >= 12
