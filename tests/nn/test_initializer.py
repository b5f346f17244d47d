"""Initializers: each distribution's statistics and bounds against its formula, names, arguments,
user subclasses and reproducibility under set_seed."""
import math

import numpy as np
import pytest

import sporen as ms
from sporen import Tensor
from sporen.common import initializer as init
from sporen.common.initializer import (Constant, Dirac, HeNormal, HeUniform, Identity, Initializer, Normal,
                                       One, Orthogonal, Sparse, TruncatedNormal, Uniform, VarianceScaling,
                                       XavierNormal, XavierUniform, Zero, initializer)


def draw(i, shape, dtype=ms.float32):
    return initializer(i, shape, dtype).asnumpy()


def test_every_public_name_exists():
    names = open("/work/shared/api/mindspore.common.initializer.txt").read().split()
    missing = [n for n in names if not hasattr(init, n)]
    assert missing == []


def test_constants():
    assert np.all(draw(Zero(), (3, 4)) == 0)
    assert np.all(draw(One(), (3, 4)) == 1)
    assert np.all(draw(Constant(2.5), (2, 2)) == 2.5)
    assert np.all(draw("ones", (5,)) == 1)
    assert np.all(draw("zeros", [2, 3]) == 0)
    assert np.all(draw(7, (2,)) == 7)


def test_shape_and_dtype():
    t = initializer("normal", (3, 4), ms.float16)
    assert t.shape == (3, 4)
    assert t.dtype == ms.float16
    assert initializer("ones", 5).shape == (5,)


def test_normal_and_uniform_statistics():
    ms.set_seed(1)
    x = draw(Normal(sigma=0.5, mean=1.0), (200, 200))
    assert abs(x.mean() - 1.0) < 0.01
    assert abs(x.std() - 0.5) < 0.01
    default = draw("normal", (200, 200))
    assert abs(default.std() - 0.01) < 0.0005
    u = draw(Uniform(scale=0.3), (200, 200))
    assert u.min() >= -0.3 and u.max() <= 0.3
    assert abs(u.std() - 0.3 / math.sqrt(3)) < 0.003
    du = draw("uniform", (100, 100))
    assert du.max() <= 0.07 and du.min() >= -0.07


def test_truncated_normal_bounds():
    ms.set_seed(2)
    x = draw(TruncatedNormal(sigma=1.0, mean=0.0, a=-1.0, b=0.5), (100, 100))
    assert x.min() >= -1.0 and x.max() <= 0.5
    assert x.min() < -0.95 and x.max() > 0.45


@pytest.mark.parametrize("shape", [(64, 32), (16, 8, 3, 3)])
def test_xavier(shape):
    ms.set_seed(3)
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    fan_in, fan_out = shape[1] * receptive, shape[0] * receptive
    bound = 2.0 * math.sqrt(6.0 / (fan_in + fan_out))
    u = draw(XavierUniform(gain=2.0), shape)
    assert np.abs(u).max() <= bound
    assert np.abs(u).max() > 0.9 * bound
    n = draw(XavierNormal(gain=1.0), (400, 300))
    assert abs(n.std() - math.sqrt(2.0 / 700)) < 0.002


def test_he():
    ms.set_seed(4)
    fan_in = 3 * 5 * 5
    u = draw(HeUniform(), (8, 3, 5, 5))
    # leaky_relu with slope 0: gain sqrt(2), bound = sqrt(2) * sqrt(3 / fan_in)
    bound = math.sqrt(2.0) * math.sqrt(3.0 / fan_in)
    assert np.abs(u).max() <= bound and np.abs(u).max() > 0.9 * bound
    # MindSpore's layer default HeUniform(sqrt(5)) gives bound 1/sqrt(fan_in)
    d = draw(HeUniform(math.sqrt(5)), (300, 50))
    assert np.abs(d).max() <= 1 / math.sqrt(50) + 1e-7
    assert np.abs(d).max() > 0.95 / math.sqrt(50)
    n = draw(HeNormal(mode="fan_out", nonlinearity="relu"), (400, 300))
    assert abs(n.std() - math.sqrt(2.0) / math.sqrt(400)) < 0.002


def test_orthogonal_identity_dirac_sparse():
    ms.set_seed(5)
    q = draw(Orthogonal(gain=2.0), (6, 4)).astype(np.float64)
    np.testing.assert_allclose(q.T @ q, 4 * np.eye(4), atol=1e-5)
    wide = draw(Orthogonal(), (3, 8)).astype(np.float64)
    np.testing.assert_allclose(wide @ wide.T, np.eye(3), atol=1e-5)
    np.testing.assert_array_equal(draw(Identity(), (3, 4)), np.eye(3, 4))
    d = draw(Dirac(groups=2), (4, 2, 3, 3))
    expected = np.zeros((4, 2, 3, 3))
    for g in range(2):
        for k in range(2):
            expected[g * 2 + k, k, 1, 1] = 1
    np.testing.assert_array_equal(d, expected)
    s = draw(Sparse(sparsity=0.5, sigma=0.1), (10, 6))
    assert all((s[:, c] == 0).sum() >= 5 for c in range(6))


def test_variance_scaling():
    ms.set_seed(6)
    u = draw(VarianceScaling(scale=2.0, mode="fan_in", distribution="uniform"), (300, 200))
    limit = math.sqrt(3 * 2.0 / 200)
    assert np.abs(u).max() <= limit and np.abs(u).max() > 0.95 * limit
    n = draw(VarianceScaling(scale=1.0, mode="fan_avg", distribution="untruncated_normal"), (300, 300))
    assert abs(n.std() - math.sqrt(1.0 / 300)) < 0.002
    t = draw(VarianceScaling(), (300, 300))
    # truncated to 2 std of the pre-truncation normal, rescaled so the variance is scale / fan_in
    assert abs(t.std() - math.sqrt(1.0 / 300)) < 0.003


def test_reproducible_under_set_seed():
    ms.set_seed(42)
    a = draw("normal", (4, 5))
    b = draw(HeUniform(), (4, 5))
    ms.set_seed(42)
    np.testing.assert_array_equal(draw("normal", (4, 5)), a)
    np.testing.assert_array_equal(draw(HeUniform(), (4, 5)), b)
    assert not np.array_equal(draw("normal", (4, 5)), a)


def test_names_are_case_insensitive_and_checked():
    assert draw("XAVIER_UNIFORM", (3, 3)).shape == (3, 3)
    assert draw("TruncatedNormal", (3,)).shape == (3,)
    with pytest.raises(ValueError, match="unknown initializer"):
        initializer("nope", (2, 2))
    with pytest.raises(ValueError, match="needs arguments"):
        initializer("sparse", (2, 2))


def test_argument_errors():
    with pytest.raises(ValueError, match="Normal: 'sigma' must be positive"):
        Normal(sigma=-1)
    with pytest.raises(ValueError, match="mode"):
        HeUniform(mode="fan_x")
    with pytest.raises(ValueError, match="'a' must be less than 'b'"):
        TruncatedNormal(a=1, b=0)
    with pytest.raises(ValueError, match="sparsity"):
        Sparse(1.5)
    with pytest.raises(ValueError, match="2-D"):
        initializer(Identity(), (2, 2, 2))
    with pytest.raises(ValueError, match="at least 2 dims"):
        initializer(XavierUniform(), (5,))
    with pytest.raises(ValueError, match="shape"):
        initializer(Tensor(np.ones((2, 2), np.float32)), (3, 3))
    with pytest.raises(TypeError, match="'init'"):
        initializer([1, 2], (2,))


def test_tensor_init_passes_through():
    t = Tensor(np.ones((2, 2), np.float32))
    assert initializer(t, (2, 2)) is t


def test_user_subclass_with_initialize():
    class Arange(Initializer):
        def _initialize(self, arr):
            arr[...] = np.arange(arr.size).reshape(arr.shape)

    np.testing.assert_array_equal(draw(Arange(), (2, 3)), np.arange(6).reshape(2, 3))
    buf = np.zeros((2, 2), np.float32)
    One()(buf)
    np.testing.assert_array_equal(buf, np.ones((2, 2)))
    p = ms.Parameter(initializer(Arange(), (3,)), name="p")
    np.testing.assert_array_equal(p.asnumpy(), [0, 1, 2])
