"""The compiled-library cache: the compiler probe, building and loading a library, the on-disk cache
shared between processes, the compile error, and numpy's BLAS called from C."""
import ctypes
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from sporen.codegen.header import prelude
from sporen.runtime import blas, cache

pytestmark = pytest.mark.skipif(cache.compiler() is None, reason="no C compiler")

_ADD = r"""
int sporen_test_add(int a, int b) { return a + b + %d; }
"""


@pytest.fixture
def cache_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("SPOREN_CACHE_DIR", str(tmp_path))
    return tmp_path


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SPOREN_CACHE_DIR", str(tmp_path / "x"))
    assert cache.cache_dir() == str(tmp_path / "x")
    monkeypatch.delenv("SPOREN_CACHE_DIR")
    assert cache.cache_dir() == os.path.join(os.path.expanduser("~"), ".cache", "sporen")


def test_build_compiles_once_and_keeps_source_beside_the_library(cache_folder):
    source = _ADD % 1000
    before = dict(cache.stats)
    lib = cache.build(source)
    assert lib.sporen_test_add(2, 3) == 1005
    assert cache.stats["compiles"] == before["compiles"] + 1
    again = cache.build(source)
    assert again is lib
    assert cache.stats["compiles"] == before["compiles"] + 1
    assert cache.stats["memory_hits"] == before["memory_hits"] + 1
    kept = cache.source_path(source)
    assert kept.startswith(str(cache_folder))
    assert open(kept).read() == source
    assert os.path.exists(kept[:-2] + ".so")
    leftovers = [name for name in os.listdir(os.path.dirname(kept)) if name.endswith(".tmp")]
    assert leftovers == []


def test_a_second_process_loads_the_library_without_compiling(cache_folder):
    source = _ADD % 2000
    cache.build(source)
    script = (
        "import json, sys\n"
        "from sporen.runtime import cache\n"
        f"lib = cache.build({source!r})\n"
        "print(json.dumps([lib.sporen_test_add(1, 1), cache.stats]))\n"
    )
    env = dict(os.environ, SPOREN_CACHE_DIR=str(cache_folder))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    value, stats = json.loads(done.stdout)
    assert value == 2002
    assert stats["compiles"] == 0
    assert stats["disk_hits"] == 1


def test_different_flags_are_a_different_library(cache_folder):
    source = _ADD % 3000
    a = cache.source_path(source)
    b = cache.source_path(source, flags=cache.FLAGS + ("-DSOMETHING",))
    assert a != b


def test_a_compile_error_names_the_kept_source_and_the_compiler_message(cache_folder):
    source = "int broken(void) { return undefined_name; }\n"
    with pytest.raises(cache.CompileError) as info:
        cache.build(source)
    assert "undefined_name" in str(info.value)
    assert os.path.exists(info.value.source_path)
    assert info.value.source_path in str(info.value)
    folder = os.path.dirname(info.value.source_path)
    assert [name for name in os.listdir(folder) if name.endswith(".so")] == []


def test_build_rejects_a_non_string():
    with pytest.raises(TypeError, match="build: 'source'"):
        cache.build(b"int x;")


_GEMM_TEST = r"""
void sporen_test_sgemm(const float *a, const float *b, float *c, int m, int n, int k, int ta) {
    sp_sgemm(SP_ROW_MAJOR, ta ? SP_TRANS : SP_NO_TRANS, SP_NO_TRANS, m, n, k, 1.0f, a,
             ta ? m : k, b, n, 0.0f, c, n);
}
void sporen_test_dgemm(const double *a, const double *b, double *c, int m, int n, int k) {
    sp_dgemm(SP_ROW_MAJOR, SP_NO_TRANS, SP_NO_TRANS, m, n, k, 1.0, a, k, b, n, 0.0, c, n);
}
"""


@pytest.mark.parametrize("transpose_a", [False, True])
def test_numpy_blas_called_from_c_equals_matmul(cache_folder, transpose_a):
    info = blas.blas()
    assert info is not None
    lib = cache.build(prelude(info.int_type) + _GEMM_TEST)
    assert blas.bind(lib)
    rng = np.random.default_rng(0)
    m, n, k = 37, 29, 53
    a = rng.standard_normal((k, m) if transpose_a else (m, k)).astype(np.float32)
    b = rng.standard_normal((k, n)).astype(np.float32)
    c = np.empty((m, n), np.float32)
    lib.sporen_test_sgemm(ctypes.c_void_p(a.ctypes.data), ctypes.c_void_p(b.ctypes.data),
                          ctypes.c_void_p(c.ctypes.data), m, n, k, int(transpose_a))
    expected = np.matmul(a.T if transpose_a else a, b)
    np.testing.assert_allclose(c, expected, rtol=1e-5, atol=1e-5)
    a64 = rng.standard_normal((m, k))
    b64 = rng.standard_normal((k, n))
    c64 = np.empty((m, n))
    lib.sporen_test_dgemm(ctypes.c_void_p(a64.ctypes.data), ctypes.c_void_p(b64.ctypes.data),
                          ctypes.c_void_p(c64.ctypes.data), m, n, k)
    np.testing.assert_allclose(c64, a64 @ b64, rtol=1e-12)


def test_blas_threads_can_be_read_and_set():
    info = blas.blas()
    if info.get_num_threads is None or info.set_num_threads is None:
        pytest.skip("this BLAS exports no thread control")
    threads = info.get_num_threads()
    assert threads >= 1
    info.set_num_threads(1)
    assert info.get_num_threads() == 1
    info.set_num_threads(threads)
    assert info.get_num_threads() == threads


def test_openmp_spins_briefly_unless_the_user_chose_a_policy():
    script = ("import os\nfrom sporen.runtime import cache\ncache.compiler()\n"
              "print(os.environ.get('GOMP_SPINCOUNT'), os.environ.get('OMP_WAIT_POLICY'))\n")
    env = {k: v for k, v in os.environ.items() if k not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")}
    runs = []
    for extra in ({}, {"OMP_WAIT_POLICY": "active"}):
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              env=dict(env, **extra), timeout=120)
        assert done.returncode == 0, done.stderr
        runs.append(done.stdout.split())
    assert runs == [[cache.SPIN_COUNT, "None"], ["None", "active"]]
