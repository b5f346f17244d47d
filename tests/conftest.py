"""The test session's backend: the numpy reference (``SPOREN_TEST_BACKEND`` picks another), so
that the graph-mode tests need no C compiler and compile no C per graph; the cpu backend's own
tests (tests/runtime) choose it explicitly and compare it with the reference.

Each pytest-xdist worker keeps numpy's OpenBLAS on one thread (unless OPENBLAS_NUM_THREADS says
otherwise): the workers already fill the cores, and two processes whose BLAS threads spin-wait for
each other's cores made PyNative LeNet steps 10x slower (a 9 s test took 190 s in the full run)."""
import os

import pytest

import sporen as ms
from sporen.runtime import blas

_BACKEND = os.environ.get("SPOREN_TEST_BACKEND", "numpy")

if os.environ.get("PYTEST_XDIST_WORKER") and "OPENBLAS_NUM_THREADS" not in os.environ:
    _info = blas.blas()
    if _info is not None and _info.set_num_threads is not None:
        _info.set_num_threads(1)


@pytest.fixture(autouse=True)
def _session_backend():
    # every test starts in PyNative on the session's backend, whatever a test before it left set
    ms.set_context(backend=_BACKEND, mode=ms.PYNATIVE_MODE)
    yield
