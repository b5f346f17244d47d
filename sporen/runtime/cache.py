"""Compiled C libraries by content hash: finding the C compiler, building a translation unit into
a shared object once (kept on disk under ``cache_dir()``), and loading it with ctypes."""
import ctypes
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
import threading

__all__ = ["CompileError", "FLAGS", "build", "cache_dir", "compiler", "compiler_candidates",
           "source_path", "stats"]

# -fno-math-errno / -fno-trapping-math let loops vectorise; no -ffast-math, so NaN and inf
# behave as numpy's.
FLAGS = ("-O3", "-march=native", "-fopenmp", "-fPIC", "-shared", "-std=gnu11", "-fno-math-errno",
         "-fno-trapping-math")

# counters a test can read: how many times this process ran the compiler, loaded a .so from disk,
# or found a library already loaded
stats = {"compiles": 0, "disk_hits": 0, "memory_hits": 0}

_PROBE = r"""
#include <omp.h>
int sporen_probe(void) {
    int n = 0;
    #pragma omp parallel reduction(+:n)
    n += 1;
    return n;
}
"""

_lock = threading.Lock()
_loaded = {}          # key -> ctypes.CDLL
_compiler = None      # (command tuple or None,) once probed
_fingerprint = None


class CompileError(RuntimeError):
    """The C compiler failed on a translation unit; the message holds its stderr and the path of
    the source, kept for reading."""

    def __init__(self, message, source_path=None, stderr=""):
        super().__init__(message)
        self.source_path = source_path
        self.stderr = stderr


def compiler_candidates():
    """The compiler commands looked for, in order: ``$CC`` when set, then cc, gcc, clang."""
    candidates = []
    env_cc = os.environ.get("CC")
    if env_cc:
        candidates.append(env_cc)
    candidates.extend(["cc", "gcc", "clang"])
    return candidates


def _probe(command):
    # compile a tiny OpenMP program with the real flags: a compiler without OpenMP or without
    # -march=native is as good as none
    argv = command.split()
    if shutil.which(argv[0]) is None:
        return False
    with tempfile.TemporaryDirectory(prefix="sporen-probe-") as folder:
        source = os.path.join(folder, "probe.c")
        target = os.path.join(folder, "probe.so")
        with open(source, "w") as f:
            f.write(_PROBE)
        try:
            done = subprocess.run(argv + list(FLAGS) + [source, "-o", target],
                                  capture_output=True, timeout=120)
        except (OSError, subprocess.SubprocessError):
            return False
        if done.returncode != 0 or not os.path.exists(target):
            return False
        try:
            ctypes.CDLL(target)
        except OSError:
            return False
    return True


# libgomp's threads spin 300000 times (a fraction of a millisecond) after each parallel region
# before they sleep, with no yield: between two fused kernels the cpu backend calls numpy's
# OpenBLAS, whose own threads then wait for a core held by a spinning OpenMP thread. Measured on
# the 2-core machine under other processes' load (median of 3 process runs of 10 steps, 2
# threads): LeNet b32 step 719 ms at the default, 467 ms at 10000 (500 ms passive); MLP 510 ms
# at the default, 229 ms at 10000 (272 ms passive).
SPIN_COUNT = "10000"


def _short_openmp_spin():
    """Shorten libgomp's spin before it is loaded (it reads its environment once, when loaded),
    unless the user chose a wait policy."""
    if "OMP_WAIT_POLICY" in os.environ or "GOMP_SPINCOUNT" in os.environ:
        return
    os.environ["GOMP_SPINCOUNT"] = SPIN_COUNT


def compiler():
    """The C compiler command (a tuple of argv words) that builds an OpenMP shared object here,
    checked once per process; None when none works."""
    global _compiler
    if _compiler is None:
        with _lock:
            if _compiler is None:
                _short_openmp_spin()
                found = None
                for candidate in compiler_candidates():
                    if _probe(candidate):
                        found = tuple(candidate.split())
                        break
                _compiler = (found,)
    return _compiler[0]


def cache_dir():
    """The folder compiled libraries live in: ``$SPOREN_CACHE_DIR``, else ``~/.cache/sporen``."""
    folder = os.environ.get("SPOREN_CACHE_DIR")
    if not folder:
        folder = os.path.join(os.path.expanduser("~"), ".cache", "sporen")
    return folder


def _cpu_flags():
    # -march=native makes the object depend on the CPU: its feature flags go into the key
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _compiler_fingerprint(command):
    global _fingerprint
    if _fingerprint is None or _fingerprint[0] != command:
        try:
            done = subprocess.run(list(command) + ["--version"], capture_output=True, text=True,
                                  timeout=60)
            first = (done.stdout or done.stderr).splitlines()[0] if (done.stdout or done.stderr) else ""
        except (OSError, subprocess.SubprocessError, IndexError):
            first = ""
        _fingerprint = (command, first)
    return _fingerprint[1]


def _key(source, flags, command):
    digest = hashlib.sha256()
    for part in (source, "\0".join(flags), " ".join(command), _compiler_fingerprint(command),
                 platform.machine(), _cpu_flags()):
        digest.update(part.encode())
        digest.update(b"\0\1")
    return digest.hexdigest()


def source_path(source, flags=None):
    """Where the C source of ``source``'s library is kept (beside its .so), or None when there is
    no compiler."""
    command = compiler()
    if command is None:
        return None
    flags = tuple(FLAGS if flags is None else flags)
    key = _key(source, flags, command)
    return os.path.join(cache_dir(), key[:2], key + ".c")


def build(source, flags=None):
    """The shared object compiled from the C text ``source`` with ``flags`` (default ``FLAGS``),
    loaded with ctypes. Compiled once: the .so is kept at ``cache_dir()/<key[:2]>/<key>.so`` (key:
    sha256 of the source, flags, compiler, machine and CPU flags) with its source beside it, and a
    library already loaded by this process is returned as is. Raises CompileError on a compiler
    failure and RuntimeError when there is no compiler."""
    if not isinstance(source, str):
        raise TypeError(f"build: 'source' must be a str of C code, got {type(source).__name__}")
    command = compiler()
    if command is None:
        raise RuntimeError(f"build: no C compiler found (looked for {', '.join(compiler_candidates())})")
    flags = tuple(FLAGS if flags is None else flags)
    key = _key(source, flags, command)
    library = _loaded.get(key)
    if library is not None:
        stats["memory_hits"] += 1
        return library
    with _lock:
        library = _loaded.get(key)
        if library is not None:
            stats["memory_hits"] += 1
            return library
        folder = os.path.join(cache_dir(), key[:2])
        target = os.path.join(folder, key + ".so")
        if os.path.exists(target):
            stats["disk_hits"] += 1
        else:
            _compile(command, flags, source, folder, key, target)
        library = ctypes.CDLL(target)
        _loaded[key] = library
        return library


def _compile(command, flags, source, folder, key, target):
    os.makedirs(folder, exist_ok=True)
    kept_source = os.path.join(folder, key + ".c")
    _write_atomic(kept_source, source)
    # compile into a temp file of the same folder, then rename: another process sees the whole
    # .so or none, and a crash leaves only a temp file behind
    handle, temp = tempfile.mkstemp(prefix=key[:16] + ".", suffix=".so.tmp", dir=folder)
    os.close(handle)
    try:
        argv = list(command) + list(flags) + [kept_source, "-o", temp, "-lm"]
        stats["compiles"] += 1
        done = subprocess.run(argv, capture_output=True, text=True)
        if done.returncode != 0:
            raise CompileError(f"build: the C compiler failed ({' '.join(argv)}); source kept "
                               f"at {kept_source}:\n{done.stderr}", kept_source, done.stderr)
        os.replace(temp, target)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)


def _write_atomic(path, text):
    handle, temp = tempfile.mkstemp(prefix=os.path.basename(path) + ".", suffix=".tmp",
                                    dir=os.path.dirname(path))
    with os.fdopen(handle, "w") as f:
        f.write(text)
    os.replace(temp, path)
