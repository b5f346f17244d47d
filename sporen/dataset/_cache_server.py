"""The dataset cache server process: rows kept per session in memory under a budget, spilled to files.

Started by ``sporen cache start`` (sporen.dataset.cache.cache_main) as ``python _cache_server.py
--port P ...``: this file imports only the standard library, so the server starts fast and never
unpickles a row (clients send rows already pickled; the server stores and returns their bytes).
It listens on 127.0.0.1 with multiprocessing.connection (an authkey that only the state file,
readable by its owner alone, holds), serves each client connection in a thread, and writes the
state file once it accepts connections. A row that does not fit in the memory budget (the
server's, or its session's ``size``) goes to the session's spill file when the session allows
spilling and the server has a spill folder; otherwise it is not cached. Spilled rows are read back
one at a time from their offsets, never loaded together.
"""
import argparse
import json
import os
import secrets
import shutil
import sys
import threading
import time
import socket
from multiprocessing.connection import Connection, answer_challenge, deliver_challenge

STATE_VERSION = 1


def state_dir():
    """The folder of the servers' state files (SPOREN_CACHE_DIR, else ~/.cache/sporen/cache)."""
    folder = os.environ.get("SPOREN_CACHE_DIR")
    if not folder:
        folder = os.path.join(os.path.expanduser("~"), ".cache", "sporen", "cache")
    return folder


def state_path(port):
    """The state file of the server on ``port``."""
    return os.path.join(state_dir(), f"server-{port}.json")


class _Session:
    """The rows of one session: in memory (key -> bytes) or spilled (key -> (offset, length))."""

    def __init__(self, session_id, size_mb, spilling):
        self.session_id = session_id
        self.size_bytes = size_mb * 1024 * 1024 if size_mb else 0
        self.spilling = spilling
        self.memory = {}
        self.memory_bytes = 0
        self.disk = {}
        self.disk_bytes = 0
        self.spill_path = None
        self.spill_fd = None
        self.hits = 0
        self.misses = 0
        self.refused = 0


class CacheStore:
    """Every session's rows, with the memory budget and spilling (thread-safe)."""

    def __init__(self, memory_budget_bytes, spill_dir):
        self.budget = memory_budget_bytes
        self.spill_dir = spill_dir
        self.sessions = {}
        self.memory_bytes = 0
        self.lock = threading.Lock()

    def attach(self, session_id, size_mb, spilling):
        with self.lock:
            session = self.sessions.get(session_id)
            if session is None:
                session = _Session(session_id, size_mb, spilling)
                self.sessions[session_id] = session
            return True

    def _session(self, session_id):
        session = self.sessions.get(session_id)
        if session is None:
            session = _Session(session_id, 0, False)
            self.sessions[session_id] = session
        return session

    def put(self, session_id, key, payload):
        """Store a row; 'memory', 'disk', 'exists' or 'full' (not cached)."""
        with self.lock:
            session = self._session(session_id)
            if key in session.memory or key in session.disk:
                return "exists"
            size = len(payload)
            over_server = self.budget and self.memory_bytes + size > self.budget
            over_session = session.size_bytes and session.memory_bytes + size > session.size_bytes
            if not over_server and not over_session:
                session.memory[key] = payload
                session.memory_bytes += size
                self.memory_bytes += size
                return "memory"
            if not session.spilling or not self.spill_dir:
                session.refused += 1
                return "full"
            if session.spill_fd is None:
                os.makedirs(self.spill_dir, exist_ok=True)
                session.spill_path = os.path.join(self.spill_dir, f"session_{session_id}.spill")
                session.spill_fd = os.open(session.spill_path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
            offset = session.disk_bytes
            os.pwrite(session.spill_fd, payload, offset)
            session.disk[key] = (offset, size)
            session.disk_bytes += size
            return "disk"

    def get(self, session_id, key):
        """The stored bytes of a row, or None."""
        with self.lock:
            session = self._session(session_id)
            payload = session.memory.get(key)
            if payload is not None:
                session.hits += 1
                return payload
            place = session.disk.get(key)
            if place is None:
                session.misses += 1
                return None
            session.hits += 1
            fd = session.spill_fd
        offset, size = place
        return os.pread(fd, size, offset)

    def destroy(self, session_id):
        with self.lock:
            session = self.sessions.pop(session_id, None)
            if session is None:
                return False
            self.memory_bytes -= session.memory_bytes
            self._drop_spill(session)
            return True

    @staticmethod
    def _drop_spill(session):
        if session.spill_fd is not None:
            os.close(session.spill_fd)
            session.spill_fd = None
            if os.path.exists(session.spill_path):
                os.remove(session.spill_path)

    def close(self):
        with self.lock:
            for session in self.sessions.values():
                self._drop_spill(session)
            self.sessions.clear()

    def status(self):
        with self.lock:
            sessions = []
            for session in sorted(self.sessions.values(), key=lambda s: s.session_id):
                sessions.append({"session_id": session.session_id, "rows_in_memory": len(session.memory),
                                 "rows_on_disk": len(session.disk), "memory_bytes": session.memory_bytes,
                                 "disk_bytes": session.disk_bytes, "hits": session.hits, "misses": session.misses,
                                 "not_cached": session.refused, "spill_file": session.spill_path})
            return {"memory_bytes": self.memory_bytes, "memory_budget_bytes": self.budget,
                    "spill_dir": self.spill_dir, "pid": os.getpid(), "sessions": sessions}


class CacheServer:
    """The listening loop: one thread per client connection."""

    def __init__(self, port, memory_budget_mb, spill_dir):
        self.port = port
        self.authkey = secrets.token_bytes(32)
        spill = None
        if spill_dir:
            spill = os.path.join(os.path.abspath(spill_dir), f"sporen_cache_{port}_{os.getpid()}")
        self.store = CacheStore(int(memory_budget_mb * 1024 * 1024), spill)
        # a plain socket with a long backlog; each connection is authenticated in its own thread,
        # so that many clients connecting at once never queue behind one handshake
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen(128)
        self.stopping = threading.Event()

    def write_state(self):
        folder = state_dir()
        os.makedirs(folder, mode=0o700, exist_ok=True)
        state = {"version": STATE_VERSION, "pid": os.getpid(), "port": self.port, "authkey": self.authkey.hex(),
                 "memory_budget_bytes": self.store.budget, "spill_dir": self.store.spill_dir,
                 "started": time.time()}
        temp = state_path(self.port) + f".{os.getpid()}.tmp"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(state, handle)
        os.replace(temp, state_path(self.port))

    def serve(self):
        self.write_state()
        try:
            while not self.stopping.is_set():
                try:
                    client, _ = self.listener.accept()
                except OSError:
                    continue
                if self.stopping.is_set():
                    client.close()
                    break
                thread = threading.Thread(target=self._serve_client, args=(client,), daemon=True)
                thread.start()
        finally:
            self.listener.close()
            self.shutdown()

    def shutdown(self):
        self.store.close()
        if self.store.spill_dir and os.path.isdir(self.store.spill_dir):
            shutil.rmtree(self.store.spill_dir, ignore_errors=True)
        path = state_path(self.port)
        try:
            with open(path) as handle:
                if json.load(handle).get("pid") == os.getpid():
                    os.remove(path)
        except (OSError, ValueError):
            pass

    def _serve_client(self, client):
        connection = Connection(client.detach())
        try:
            try:
                deliver_challenge(connection, self.authkey)
                answer_challenge(connection, self.authkey)
            except Exception:  # not one of our clients
                return
            while True:
                try:
                    message = connection.recv()
                except (EOFError, OSError):
                    return
                reply = self._handle(message)
                connection.send(reply)
                if message and message[0] == "stop":
                    self.stopping.set()
                    # wake the accept() of the main loop, which then sees the stop
                    socket.create_connection(("127.0.0.1", self.port)).close()
                    return
        finally:
            connection.close()

    def _handle(self, message):
        command = message[0]
        if command == "put":
            return self.store.put(message[1], message[2], message[3])
        if command == "get":
            return self.store.get(message[1], message[2])
        if command == "attach":
            return self.store.attach(message[1], message[2], message[3])
        if command == "destroy":
            return self.store.destroy(message[1])
        if command == "new_session":
            return secrets.randbelow(2 ** 31)
        if command == "status":
            return self.store.status()
        if command == "stop":
            return "stopping"
        if command == "ping":
            return "pong"
        return ("error", f"unknown command {command!r}")


def main(argv=None):
    """Run a cache server in this process until a client sends stop."""
    parser = argparse.ArgumentParser(prog="sporen cache server")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--memory-budget", type=float, default=0.0)
    parser.add_argument("--spill-dir", default=None)
    args = parser.parse_args(argv)
    server = CacheServer(args.port, args.memory_budget, args.spill_dir)
    server.serve()
    return 0


if __name__ == "__main__":
    sys.exit(main())
