"""The backends a test runs on, and how close a test asks a backend's floats to come to the
numpy reference's. The reference's graph runs the very kernels PyNative runs, so it is compared
exactly. The native ``cpu`` backend computes the same formulas with other roundings: BLAS and its
conv kernels sum in panels, its reductions are vectorised (another summation order), and the C
compiler contracts ``a * b + c`` into one fused multiply-add (one rounding instead of two). Each
moves a float32 result by a few units in the last place (ulps) of the magnitudes it sums, so its
tolerance is counted in ulps of the compared array's largest value, not as a flat rtol."""
import numpy as np
import pytest

import sporen as ms
from sporen.runtime import cache

__all__ = ["BACKENDS", "on_reference", "assert_matches_reference", "ulps_of_max"]

# for a test parameterised over backends, so that the default (numpy) session checks "cpu" too
BACKENDS = ["numpy", pytest.param("cpu", marks=pytest.mark.skipif(cache.compiler() is None,
                                                                   reason="no C compiler"))]


def on_reference():
    """Whether the context's backend is the numpy reference (in any of its forms)."""
    return ms.get_context("backend").startswith("numpy")


def ulps_of_max(want, ulps):
    """``ulps`` units in the last place of ``want``'s largest magnitude, in its float type (0 for
    an integer or empty array)."""
    want = np.asarray(want)
    if want.dtype.kind not in "fc" or want.size == 0:
        return 0.0
    return float(ulps * np.finfo(want.dtype).eps * np.nanmax(np.abs(want)))


def assert_matches_reference(got, want, ulps, err_msg=""):
    """``got`` equals ``want`` exactly on the reference backend; elsewhere within ``ulps`` ulps of
    ``want``'s largest magnitude (same shape and dtype in both cases)."""
    got = np.asarray(got)
    want = np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype, (
        f"{err_msg}: {got.dtype}{list(got.shape)} != {want.dtype}{list(want.shape)}")
    if on_reference():
        np.testing.assert_array_equal(got, want, err_msg=err_msg)
    else:
        np.testing.assert_allclose(got, want, rtol=0, atol=ulps_of_max(want, ulps), err_msg=err_msg)
