"""The random functions: reproducible under set_seed, different across seeds, statistically sound
(loose bounds, many samples), with MindSpore's shapes, dtypes and argument errors."""
import numpy as np
import pytest

import sporen as ms
from sporen import ops

N = 200_000


def T(values, dtype=ms.float32):
    return ms.Tensor(np.array(values), dtype)


SAMPLERS = {
    "rand": lambda seed=None: ops.rand(4, 5, seed=seed),
    "randn": lambda seed=None: ops.randn((4, 5), seed=seed),
    "rand_like": lambda seed=None: ops.rand_like(ms.Tensor(np.zeros((3, 2), np.float32)), seed),
    "randn_like": lambda seed=None: ops.randn_like(ms.Tensor(np.zeros((3, 2), np.float64)), seed),
    "standard_normal": lambda seed=None: ops.standard_normal((6,), seed),
    "uniform": lambda seed=None: ops.uniform((3, 3), T(-1.0), T(2.0), seed),
    "uniform_int": lambda seed=None: ops.uniform((8,), T(0, ms.int32), T(100, ms.int32), seed, ms.int32),
    "normal": lambda seed=None: ops.normal((5,), T(1.0), T(2.0), seed),
    "randint": lambda seed=None: ops.randint(0, 1000, (10,), seed),
    "randint_like": lambda seed=None: ops.randint_like(T([0, 0, 0], ms.int32), 0, 1000, seed),
    "bernoulli": lambda seed=None: ops.bernoulli(ms.Tensor(np.zeros(20, np.float32)), 0.5, seed),
    "multinomial": lambda seed=None: ops.multinomial(T([0.2, 0.3, 0.5]), 10, seed=seed),
    "shuffle": lambda seed=None: ops.shuffle(ms.Tensor(np.arange(20)), seed),
    "gamma": lambda seed=None: ops.gamma((5,), T(2.0), T(1.0), seed),
    "random_gamma": lambda seed=None: ops.random_gamma((5,), T([1.0, 3.0]), seed),
    "poisson": lambda seed=None: ops.poisson((8,), T(4.0), seed),
    "random_poisson": lambda seed=None: ops.random_poisson((8,), T([2.0]), seed),
    "standard_laplace": lambda seed=None: ops.standard_laplace((6,), seed),
    "laplace": lambda seed=None: ops.laplace((6,), T(1.0), T(0.5), seed),
}


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_same_global_seed_repeats_and_other_seed_differs(name):
    draw = SAMPLERS[name]
    ms.set_seed(11)
    a = draw().asnumpy().copy()
    b = draw().asnumpy().copy()
    ms.set_seed(11)
    np.testing.assert_array_equal(draw().asnumpy(), a)
    np.testing.assert_array_equal(draw().asnumpy(), b)
    assert not np.array_equal(a, b), "two calls in a row gave the same numbers"
    ms.set_seed(12)
    assert not np.array_equal(draw().asnumpy(), a)


@pytest.mark.parametrize("name", sorted(SAMPLERS))
def test_explicit_seed_is_a_stream_reset_by_set_seed(name):
    draw = SAMPLERS[name]
    ms.set_seed(3)
    a = draw(seed=7).asnumpy().copy()
    b = draw(seed=7).asnumpy().copy()
    assert not np.array_equal(a, b)
    ms.set_seed(3)
    np.testing.assert_array_equal(draw(seed=7).asnumpy(), a)
    assert not np.array_equal(draw(seed=8).asnumpy(), a)


def test_explicit_seed_stream_is_independent_of_unseeded_draws():
    ms.set_seed(3)
    a = ops.rand(5, seed=4).asnumpy().copy()
    ms.set_seed(3)
    ops.rand(100)  # unseeded draws in between do not move the seeded stream
    np.testing.assert_array_equal(ops.rand(5, seed=4).asnumpy(), a)


def test_uniform_moments_and_range():
    ms.set_seed(0)
    x = ops.uniform((N,), T(-1.0), T(3.0)).asnumpy()
    assert x.dtype == np.float32
    assert x.min() >= -1 and x.max() < 3
    assert abs(x.mean() - 1.0) < 0.02 and abs(x.var() - 16 / 12) < 0.03
    u = ops.rand(N).asnumpy()
    assert u.min() >= 0 and u.max() < 1 and abs(u.mean() - 0.5) < 0.005


def test_uniform_int_and_broadcast_bounds():
    ms.set_seed(0)
    x = ops.uniform((N,), T(2, ms.int32), T(7, ms.int32), dtype=ms.int32).asnumpy()
    assert x.dtype == np.int32 and set(np.unique(x)) == {2, 3, 4, 5, 6}
    out = ops.uniform((3, 1, 2), T([[3.0, 4.0], [5.0, 6.0]]), T([8.0, 10.0]))
    assert out.shape == (3, 2, 2)
    assert np.all(out.asnumpy() >= np.array([[3, 4], [5, 6]])) and np.all(out.asnumpy() < np.array([8, 10]))
    with pytest.raises(ValueError, match="one number"):
        ops.uniform((2,), T([0, 1], ms.int32), T(5, ms.int32), dtype=ms.int32)


def test_normal_moments_and_gradient():
    ms.set_seed(0)
    x = ops.randn(N).asnumpy()
    assert abs(x.mean()) < 0.01 and abs(x.std() - 1) < 0.01
    y = ops.normal((N,), T(3.0), T(0.5)).asnumpy()
    assert abs(y.mean() - 3) < 0.01 and abs(y.std() - 0.5) < 0.01
    z = ops.normal((2, 3), T([0.0, 10.0, 20.0]), 1.0)
    assert z.shape == (2, 3) and abs(z.asnumpy()[:, 2].mean() - 20) < 5
    mean, std = T([1.0]), T([2.0])
    ms.set_seed(4)
    gm, gs = ms.grad(lambda m, s: ops.sum(ops.normal((1000,), m, s)), grad_position=(0, 1))(mean, std)
    ms.set_seed(4)
    eps = ops.randn(1000).asnumpy()
    np.testing.assert_allclose(gm.asnumpy(), [1000.0])
    np.testing.assert_allclose(gs.asnumpy(), [eps.sum()], rtol=1e-4)


def test_dtypes_and_like_variants():
    assert ops.rand(2, 3).dtype == ms.float32 and ops.rand(2, 3).shape == (2, 3)
    assert ops.randn(2, dtype=ms.float64).dtype == ms.float64
    assert ops.rand((2, 3), dtype=ms.float16).dtype == ms.float16
    assert ops.randn_like(T([1.0, 2.0], ms.float64)).dtype == ms.float64
    assert ops.rand_like(T([1, 2], ms.int32)).dtype == ms.float32
    assert ops.randint(0, 5, (3,)).dtype == ms.int64
    assert ops.randint(0, 5, (3,), dtype=ms.int32).dtype == ms.int32
    assert ops.randint_like(T([0.0, 1.0]), 0, 5).dtype == ms.float32
    assert ops.standard_normal((2, 2)).dtype == ms.float32
    assert ops.rand(0, 3).shape == (0, 3)


def test_randint_range_and_errors():
    ms.set_seed(1)
    x = ops.randint(-3, 4, (N,)).asnumpy()
    assert x.min() == -3 and x.max() == 3 and abs(x.mean()) < 0.02
    with pytest.raises(ValueError, match="less than"):
        ops.randint(5, 5, (2,))
    with pytest.raises(TypeError, match="low"):
        ops.randint(0.5, 5, (2,))
    with pytest.raises(TypeError, match="dtype"):
        ops.randint(0, 5, (2,), dtype=ms.float32)


def test_bernoulli():
    ms.set_seed(2)
    x = ops.bernoulli(ms.Tensor(np.zeros(N, np.int8)), 0.3)
    assert x.dtype == ms.int8 and x.shape == (N,)
    assert set(np.unique(x.asnumpy())) == {0, 1} and abs(x.asnumpy().mean() - 0.3) < 0.01
    p = T([0.0, 1.0, 1.0])
    np.testing.assert_array_equal(ops.bernoulli(T([1, 2, 3], ms.int64), p).asnumpy(), [0, 1, 1])
    with pytest.raises(ValueError, match="\\[0, 1\\]"):
        ops.bernoulli(p, 1.5)
    with pytest.raises(ValueError, match="shape"):
        ops.bernoulli(p, T([0.5]))


def test_multinomial_and_random_categorical():
    ms.set_seed(3)
    out = ops.multinomial(T([[1.0, 0.0, 3.0], [0.0, 5.0, 0.0]]), 20000)
    assert out.dtype == ms.int64 and out.shape == (2, 20000)
    row = out.asnumpy()[0]
    assert set(np.unique(row)) == {0, 2} and abs((row == 2).mean() - 0.75) < 0.02
    assert np.all(out.asnumpy()[1] == 1)
    picks = ops.multinomial(T([1.0, 1.0, 1.0, 1.0]), 4, replacement=False).asnumpy()
    assert sorted(picks.tolist()) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="categories"):
        ops.multinomial(T([1.0, 1.0]), 3, replacement=False)
    with pytest.raises(ValueError, match="non-negative"):
        ops.multinomial(T([1.0, -1.0]), 1)
    logits = T([[0.0, np.log(3.0)], [10.0, -10.0]])
    out = ops.random_categorical(logits, 20000)
    assert out.shape == (2, 20000) and out.dtype == ms.int64
    assert abs(out.asnumpy()[0].mean() - 0.75) < 0.02 and out.asnumpy()[1].mean() < 0.001
    assert ops.random_categorical(logits, 3, dtype=ms.int32).dtype == ms.int32


def test_randperm_and_shuffle():
    a = ops.randperm(10)
    assert a.dtype == ms.int64 and sorted(a.asnumpy().tolist()) == list(range(10))
    np.testing.assert_array_equal(ops.randperm(10).asnumpy(), a.asnumpy())  # seed=0 fixes it
    assert not np.array_equal(ops.randperm(10, seed=1).asnumpy(), a.asnumpy())
    assert not np.array_equal(ops.randperm(10, seed=0, offset=1).asnumpy(), a.asnumpy())
    ms.set_seed(9)
    c = ops.randperm(10, seed=-1).asnumpy()
    ms.set_seed(9)
    np.testing.assert_array_equal(ops.randperm(10, seed=-1).asnumpy(), c)
    assert ops.randperm(4, dtype=ms.float32).dtype == ms.float32
    with pytest.raises(ValueError, match="'n'"):
        ops.randperm(0)
    x = ms.Tensor(np.arange(12).reshape(6, 2))
    y = ops.shuffle(x).asnumpy()
    assert sorted(y[:, 0].tolist()) == [0, 2, 4, 6, 8, 10]
    np.testing.assert_array_equal(y[:, 1], y[:, 0] + 1)


def test_gamma_poisson_laplace_moments():
    ms.set_seed(4)
    g = ops.gamma((N,), T(3.0), T(2.0)).asnumpy()
    assert g.min() > 0 and abs(g.mean() - 1.5) < 0.02 and abs(g.var() - 0.75) < 0.03
    assert ops.random_gamma((4, 5), T([1.0, 2.0])).shape == (4, 5, 2)
    p = ops.poisson((N,), T(4.0))
    assert p.dtype == ms.float32 and abs(p.asnumpy().mean() - 4) < 0.03
    q = ops.random_poisson((3,), T([2.0, 5.0]), dtype=ms.int32)
    assert q.dtype == ms.int32 and q.shape == (3, 2)
    lap = ops.laplace((N,), T(1.0), T(2.0)).asnumpy()
    assert abs(np.median(lap) - 1) < 0.03 and abs(np.abs(lap - 1).mean() - 2) < 0.03


def test_argument_errors():
    with pytest.raises(TypeError, match="seed"):
        ops.rand(2, seed=1.5)
    with pytest.raises(ValueError, match="seed"):
        ops.randn(2, seed=-1)
    with pytest.raises(ValueError, match="size"):
        ops.rand(2, -1)
    with pytest.raises(TypeError, match="dtype"):
        ops.rand(2, dtype=ms.int32)
    with pytest.raises(TypeError, match="shape"):
        ops.standard_normal("3")
    with pytest.raises(ValueError, match="broadcast"):
        ops.normal((3,), T([0.0, 1.0]), 1.0)
