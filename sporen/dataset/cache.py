"""DatasetCache (MindSpore's mindspore.dataset.DatasetCache) and ``sporen cache start|stop|status``.

A DatasetCache is the client of a cache server process (sporen/dataset/_cache_server.py) that
several training processes on one machine share: rows are keyed by (session id, key), sent pickled
over multiprocessing.connection to 127.0.0.1, one connection per thread and process. The server's
state file (in SPOREN_CACHE_DIR, else ~/.cache/sporen/cache, readable by its owner only) holds the
authkey that clients need.
"""
import argparse
import json
import os
import pickle
import socket
import struct
import subprocess
import sys
import threading
import time
from multiprocessing import AuthenticationError
from multiprocessing.connection import Connection, answer_challenge, deliver_challenge

from . import _cache_server

__all__ = ["DatasetCache"]

DEFAULT_PORT = 50052
DEFAULT_HOSTNAME = "127.0.0.1"
_UINT32_MAX = 4294967295
_INT32_MAX = 2147483647
_started = {}
_HANDSHAKE_SECONDS = 20


def _check_int(name, value, low, high):
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"DatasetCache: '{name}' must be an int, got {type(value).__name__}")
    if not low <= value <= high:
        raise ValueError(f"DatasetCache: '{name}' must be within [{low}, {high}], got {value}")


def _read_state(port):
    path = _cache_server.state_path(port)
    try:
        with open(path) as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def _connect(port, where):
    """An authenticated connection to the server on ``port``; RuntimeError when none runs."""
    state = _read_state(port)
    message = (f"{where}: no cache server is running at {DEFAULT_HOSTNAME}:{port}; start one with "
               f"`sporen cache start --port {port}`")
    if state is None:
        raise RuntimeError(message)
    try:
        sock = socket.create_connection((DEFAULT_HOSTNAME, port), timeout=_HANDSHAKE_SECONDS)
    except OSError:
        raise RuntimeError(message) from None
    # the handshake must not wait forever on a server that never answers: a receive timeout
    # on the socket while it runs, removed afterwards
    sock.settimeout(None)
    _set_receive_timeout(sock, _HANDSHAKE_SECONDS)
    connection = Connection(sock.detach())
    key = bytes.fromhex(state["authkey"])
    try:
        answer_challenge(connection, key)
        deliver_challenge(connection, key)
    except (OSError, EOFError, AuthenticationError) as exc:
        connection.close()
        raise RuntimeError(f"{where}: the cache server at {DEFAULT_HOSTNAME}:{port} did not complete the "
                           f"handshake ({type(exc).__name__}); is it a sporen cache server?") from None
    with socket.socket(fileno=os.dup(connection.fileno())) as view:
        _set_receive_timeout(view, 0)
    return connection


def _set_receive_timeout(sock, seconds):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", int(seconds), 0))


def _request(port, message, where):
    connection = _connect(port, where)
    try:
        connection.send(message)
        return connection.recv()
    finally:
        connection.close()


class CacheStat:
    """Counts of one session's cached rows (DatasetCache.get_stat)."""

    def __init__(self, entry):
        self.num_mem_cached = entry.get("rows_in_memory", 0)
        self.num_disk_cached = entry.get("rows_on_disk", 0)
        self.memory_bytes = entry.get("memory_bytes", 0)
        self.disk_bytes = entry.get("disk_bytes", 0)
        self.hits = entry.get("hits", 0)
        self.misses = entry.get("misses", 0)
        self.num_not_cached = entry.get("not_cached", 0)
        rows = self.num_mem_cached + self.num_disk_cached
        self.avg_cache_sz = (self.memory_bytes + self.disk_bytes) // rows if rows else 0

    def __repr__(self):
        return (f"CacheStat(num_mem_cached={self.num_mem_cached}, num_disk_cached={self.num_disk_cached}, "
                f"hits={self.hits}, misses={self.misses}, num_not_cached={self.num_not_cached})")


class DatasetCache:
    """A client of the dataset cache server: rows of a session kept in memory (and spilled to disk).

    Args:
        session_id (int): the session the rows belong to (``sporen cache new-session`` gives one).
        size (int): the session's memory limit in MB; 0 means the server's budget only. Default: 0.
        spilling (bool): rows beyond the memory limit go to the server's spill folder. Default: False.
        hostname (str): the server's host; only the local machine, 127.0.0.1. Default: None.
        port (int): the server's port, 1025 to 65535. Default: None, 50052.
        num_connections (int): kept for the API (one connection per thread here). Default: None.
        prefetch_size (int): kept for the API. Default: None.

    ``get(key)`` gives the cached row (a tuple of numpy arrays) or None; ``put(key, row)`` caches it.
    """

    def __init__(self, session_id, size=0, spilling=False, hostname=None, port=None, num_connections=None,
                 prefetch_size=None):
        _check_int("session_id", session_id, 0, _UINT32_MAX)
        _check_int("size", size, 0, _INT32_MAX)
        if not isinstance(spilling, bool):
            raise TypeError(f"DatasetCache: 'spilling' must be a bool, got {type(spilling).__name__}")
        if hostname is not None:
            if not isinstance(hostname, str):
                raise TypeError(f"DatasetCache: 'hostname' must be a str, got {type(hostname).__name__}")
            if hostname not in ("127.0.0.1", "localhost"):
                raise ValueError(f"DatasetCache: 'hostname' must be 127.0.0.1 (the cache is local), got {hostname!r}")
        if port is not None:
            _check_int("port", port, 1025, 65535)
        if num_connections is not None:
            _check_int("num_connections", num_connections, 1, _INT32_MAX)
        if prefetch_size is not None:
            _check_int("prefetch_size", prefetch_size, 1, _INT32_MAX)
        self.session_id = session_id
        self.size = size
        self.spilling = spilling
        self.hostname = hostname or DEFAULT_HOSTNAME
        self.port = port or DEFAULT_PORT
        self.num_connections = num_connections
        self.prefetch_size = prefetch_size
        self._local = threading.local()

    def __getstate__(self):
        state = dict(self.__dict__)
        del state["_local"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._local = threading.local()

    def _connection(self):
        connection = getattr(self._local, "connection", None)
        if connection is not None and self._local.pid == os.getpid():
            return connection
        connection = _connect(self.port, "DatasetCache")
        connection.send(("attach", self.session_id, self.size, self.spilling))
        connection.recv()
        self._local.connection = connection
        self._local.pid = os.getpid()
        return connection

    def _call(self, message):
        connection = self._connection()
        try:
            connection.send(message)
            return connection.recv()
        except (EOFError, OSError):
            self._local.connection = None
            raise RuntimeError(f"DatasetCache: lost the cache server at {self.hostname}:{self.port}") from None

    def get(self, key):
        """The row cached under ``key`` (a tuple of numpy arrays), or None."""
        payload = self._call(("get", self.session_id, key))
        if payload is None:
            return None
        return pickle.loads(payload)

    def put(self, key, row):
        """Cache ``row`` (a tuple of numpy arrays) under ``key``; 'memory', 'disk', 'exists' or 'full'."""
        payload = pickle.dumps(tuple(row), protocol=pickle.HIGHEST_PROTOCOL)
        return self._call(("put", self.session_id, key, payload))

    def get_stat(self):
        """The counts of this session's rows on the server."""
        status = self._call(("status",))
        for entry in status["sessions"]:
            if entry["session_id"] == self.session_id:
                return CacheStat(entry)
        return CacheStat({})

    def __repr__(self):
        return (f"DatasetCache(session_id={self.session_id}, size={self.size}, spilling={self.spilling}, "
                f"hostname={self.hostname!r}, port={self.port})")


# ----------------------------------------------------------------------------------- sporen cache

def _server_running(port):
    try:
        return _request(port, ("ping",), "sporen cache") == "pong"
    except RuntimeError:
        return False


def _default_budget_mb():
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0.0
    return 0.8 * total / (1024 * 1024)


def _start(args):
    if _server_running(args.port):
        print(f"a cache server is already running at {DEFAULT_HOSTNAME}:{args.port}")
        return 1
    budget = args.memory_budget if args.memory_budget is not None else _default_budget_mb()
    if budget < 0:
        print("sporen cache start: --memory-budget must be >= 0", file=sys.stderr)
        return 2
    command = [sys.executable, _cache_server.__file__, "--port", str(args.port), "--memory-budget", str(budget)]
    if args.spill_dir:
        os.makedirs(args.spill_dir, exist_ok=True)
        command += ["--spill-dir", os.path.abspath(args.spill_dir)]
    os.makedirs(_cache_server.state_dir(), mode=0o700, exist_ok=True)
    log_path = os.path.join(_cache_server.state_dir(), f"server-{args.port}.log")
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                   start_new_session=True, close_fds=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            with open(log_path) as log:
                print(f"sporen cache start: the server exited ({process.returncode}):\n{log.read()}", file=sys.stderr)
            return 1
        state = _read_state(args.port)
        if state is not None and state.get("pid") == process.pid and _server_running(args.port):
            _started[process.pid] = process
            spill = f", spilling to {state['spill_dir']}" if state["spill_dir"] else ""
            print(f"cache server started at {DEFAULT_HOSTNAME}:{args.port} (pid {process.pid}), memory budget "
                  f"{budget:g} MB{spill}")
            return 0
        time.sleep(0.05)
    process.kill()
    process.wait()
    print("sporen cache start: the server did not come up within 30 s", file=sys.stderr)
    return 1


def _stop(args):
    state = _read_state(args.port)
    if state is None or not _server_running(args.port):
        print(f"no cache server is running at {DEFAULT_HOSTNAME}:{args.port}")
        return 1
    _request(args.port, ("stop",), "sporen cache stop")
    pid = state["pid"]
    process = _started.pop(pid, None)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process is not None:
            if process.poll() is not None:
                break
        elif not _pid_alive(pid):
            break
        time.sleep(0.05)
    else:
        print(f"sporen cache stop: the server (pid {pid}) did not exit within 30 s", file=sys.stderr)
        return 1
    print(f"cache server at {DEFAULT_HOSTNAME}:{args.port} (pid {pid}) stopped")
    return 0


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def format_status(port, status):
    """The text of ``sporen cache status`` (as cache_admin's session list)."""
    budget = status["memory_budget_bytes"]
    budget_text = f"{budget} bytes" if budget else "unlimited"
    lines = [f"cache server at {DEFAULT_HOSTNAME}:{port} (pid {status['pid']})",
             f"memory used: {status['memory_bytes']} bytes of {budget_text}; "
             f"spill dir: {status['spill_dir'] or 'none (spilling off)'}",
             f"sessions: {len(status['sessions'])}"]
    columns = ("session", "rows_in_memory", "rows_on_disk", "memory_bytes", "disk_bytes", "hits", "misses",
               "not_cached")
    lines.append("  ".join(f"{name:>14}" for name in columns))
    for entry in status["sessions"]:
        values = (entry["session_id"], entry["rows_in_memory"], entry["rows_on_disk"], entry["memory_bytes"],
                  entry["disk_bytes"], entry["hits"], entry["misses"], entry["not_cached"])
        lines.append("  ".join(f"{value:>14}" for value in values))
    return "\n".join(lines)


def _status(args):
    if not _server_running(args.port):
        print(f"no cache server is running at {DEFAULT_HOSTNAME}:{args.port}")
        return 1
    print(format_status(args.port, _request(args.port, ("status",), "sporen cache status")))
    return 0


def _new_session(args):
    if not _server_running(args.port):
        print(f"no cache server is running at {DEFAULT_HOSTNAME}:{args.port}")
        return 1
    session_id = _request(args.port, ("new_session",), "sporen cache new-session")
    print(f"session created: {session_id}")
    return 0


def _destroy_session(args):
    if not _server_running(args.port):
        print(f"no cache server is running at {DEFAULT_HOSTNAME}:{args.port}")
        return 1
    if _request(args.port, ("destroy", args.session_id), "sporen cache destroy-session"):
        print(f"session {args.session_id} destroyed")
        return 0
    print(f"no session {args.session_id} on the server")
    return 1


def cache_main(argv=None):
    """``sporen cache start|stop|status|new-session|destroy-session``: manage the dataset cache server.
    Returns the exit status."""
    parser = argparse.ArgumentParser(prog="sporen cache",
                                     description="Manage the dataset cache server that DatasetCache clients share.")
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("start", help="start a cache server in the background")
    start.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"TCP port on 127.0.0.1 (default {DEFAULT_PORT})")
    start.add_argument("--memory-budget", type=float, default=None,
                       help="memory for cached rows, in MB (default: 80%% of the machine's memory)")
    start.add_argument("--spill-dir", default=None, help="folder for rows beyond the budget (default: no spilling)")
    for name, text in (("stop", "stop the cache server"), ("status", "show sessions, rows cached, memory used"),
                       ("new-session", "create a session id for DatasetCache")):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--port", type=int, default=DEFAULT_PORT)
    destroy = commands.add_parser("destroy-session", help="drop a session's rows")
    destroy.add_argument("session_id", type=int)
    destroy.add_argument("--port", type=int, default=DEFAULT_PORT)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse printed the help or a usage error
        return exc.code if isinstance(exc.code, int) else 2
    handlers = {"start": _start, "stop": _stop, "status": _status, "new-session": _new_session,
                "destroy-session": _destroy_session}
    return handlers[args.command](args)
