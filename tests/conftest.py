"""The test session's backend: the numpy reference (``SPOREN_TEST_BACKEND`` picks another), so
that the graph-mode tests need no C compiler and compile no C per graph; the cpu backend's own
tests (tests/runtime) choose it explicitly and compare it with the reference."""
import os

import pytest

import sporen as ms

_BACKEND = os.environ.get("SPOREN_TEST_BACKEND", "numpy")


@pytest.fixture(autouse=True)
def _session_backend():
    ms.set_context(backend=_BACKEND)
    yield
