"""The activation functions: values against numpy formulas, gradients, defaults and errors."""
import math

import numpy as np
import pytest

import sporen as ms
from sporen import ops

XS = np.array([-30.0, -3.0, -1.0, -0.25, 0.3, 1.0, 2.5, 30.0])


def T(values, dtype=ms.float32):
    return ms.Tensor(np.array(values), dtype)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def softplus(x):
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)


REFERENCES = {
    "relu": (lambda t: ops.relu(t), lambda x: np.maximum(x, 0)),
    "relu6": (lambda t: ops.relu6(t), lambda x: np.clip(x, 0, 6)),
    "leaky_relu": (lambda t: ops.leaky_relu(t), lambda x: np.where(x > 0, x, 0.2 * x)),
    "leaky_relu_alpha": (lambda t: ops.leaky_relu(t, 0.01), lambda x: np.where(x > 0, x, 0.01 * x)),
    "elu": (lambda t: ops.elu(t, 0.7), lambda x: np.where(x > 0, x, 0.7 * np.expm1(x))),
    "selu": (lambda t: ops.selu(t),
             lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x))),
    "celu": (lambda t: ops.celu(t, 2.0), lambda x: np.maximum(x, 0) + np.minimum(0, 2.0 * np.expm1(x / 2.0))),
    "gelu": (lambda t: ops.gelu(t), lambda x: 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))),
    "gelu_tanh": (lambda t: ops.gelu(t, approximate="tanh"),
                  lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))),
    "fast_gelu": (lambda t: ops.fast_gelu(t),
                  lambda x: x / (1 + np.exp(-1.702 * np.abs(x))) * np.exp(0.851 * (x - np.abs(x)))),
    "silu": (lambda t: ops.silu(t), lambda x: x * sigmoid(x)),
    "mish": (lambda t: ops.mish(t), lambda x: x * np.tanh(softplus(x))),
    "softplus": (lambda t: ops.softplus(t), softplus),
    "softplus_beta": (lambda t: ops.softplus(t, beta=2, threshold=5),
                      lambda x: np.where(2 * x > 5, x, softplus(2 * x) / 2)),
    "softsign": (lambda t: ops.softsign(t), lambda x: x / (1 + np.abs(x))),
    "hardswish": (lambda t: ops.hardswish(t), lambda x: x * np.clip(x + 3, 0, 6) / 6),
    "hardsigmoid": (lambda t: ops.hardsigmoid(t), lambda x: np.clip(x + 3, 0, 6) / 6),
    "hardtanh": (lambda t: ops.hardtanh(t, -2.0, 1.5), lambda x: np.clip(x, -2, 1.5)),
    "hardshrink": (lambda t: ops.hardshrink(t, 1.0), lambda x: np.where(np.abs(x) > 1.0, x, 0)),
    "softshrink": (lambda t: ops.softshrink(t, 0.5), lambda x: np.sign(x) * np.maximum(np.abs(x) - 0.5, 0)),
    "tanhshrink": (lambda t: ops.tanhshrink(t), lambda x: x - np.tanh(x)),
    "logsigmoid": (lambda t: ops.logsigmoid(t), lambda x: -softplus(-x)),
    "threshold": (lambda t: ops.threshold(t, 0.5, -7.0), lambda x: np.where(x > 0.5, x, -7.0)),
}


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_values_match_numpy(name):
    fn, ref = REFERENCES[name]
    for dtype, rtol in ((ms.float32, 2e-6), (ms.float64, 1e-12)):
        out = fn(T(XS, dtype))
        assert out.dtype == dtype
        np.testing.assert_allclose(out.asnumpy(), ref(XS), rtol=rtol, atol=1e-6 if dtype == ms.float32 else 1e-13,
                                   err_msg=name)


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_gradients_are_finite_and_match_differences(name):
    fn, ref = REFERENCES[name]
    x = np.array([-2.7, -1.3, -0.25, 0.3, 0.8, 1.3, 2.2])  # away from every kink used above
    g = ms.grad(lambda t: ops.sum(fn(t)))(T(x, ms.float64)).asnumpy()
    eps = 1e-6
    numeric = (ref(x + eps) - ref(x - eps)) / (2 * eps)
    np.testing.assert_allclose(g, numeric, rtol=1e-5, atol=1e-7, err_msg=name)
    far = ms.grad(lambda t: ops.sum(fn(t)))(T([-300.0, 300.0], ms.float64)).asnumpy()
    assert np.all(np.isfinite(far)), name


def test_second_derivative_of_gelu_and_silu():
    x = T([-1.2, 0.4, 2.0], ms.float64)
    xv = x.asnumpy()
    pdf = np.exp(-xv * xv / 2) / math.sqrt(2 * math.pi)
    d2 = ms.grad(ms.grad(lambda t: ops.sum(ops.gelu(t))))(x)
    np.testing.assert_allclose(d2.asnumpy(), pdf * (2 - xv * xv), rtol=1e-10)
    s = sigmoid(xv)
    d2 = ms.grad(ms.grad(lambda t: ops.sum(ops.silu(t))))(x)
    np.testing.assert_allclose(d2.asnumpy(), s * (1 - s) * (2 + xv * (1 - 2 * s)), rtol=1e-10)
    d2 = ms.grad(ms.grad(lambda t: ops.sum(ops.relu(t) * t)))(x)
    np.testing.assert_allclose(d2.asnumpy(), [0, 2, 2])


def test_prelu_weights_per_channel():
    x = ms.Tensor(np.array([[[-1.0, 2.0]], [[-3.0, -4.0]]], np.float32).reshape(2, 1, 2).repeat(2, axis=1))
    w = T([0.1, 0.5])
    out = ops.prelu(x, w).asnumpy()
    np.testing.assert_allclose(out[0, 0], [-0.1, 2.0], rtol=1e-6)
    np.testing.assert_allclose(out[0, 1], [-0.5, 2.0], rtol=1e-6)
    gw = ms.grad(lambda a, b: ops.sum(ops.prelu(a, b)), grad_position=1)(x, w)
    np.testing.assert_allclose(gw.asnumpy(), [-8.0, -8.0])
    with pytest.raises(ValueError, match="weight"):
        ops.prelu(x, T([0.1, 0.2, 0.3]))


def test_glu_halves():
    x = T([[1.0, 2.0, 0.0, -1.0]])
    np.testing.assert_allclose(ops.glu(x).asnumpy(), [[1 * sigmoid(0.0), 2 * sigmoid(-1.0)]], rtol=1e-6)
    x = ms.Tensor(np.arange(12, dtype=np.float32).reshape(4, 3))
    out = ops.glu(x, axis=0).asnumpy()
    a = np.arange(12, dtype=np.float64).reshape(4, 3)
    np.testing.assert_allclose(out, a[:2] * sigmoid(a[2:]), rtol=1e-6)
    with pytest.raises(ValueError, match="even"):
        ops.glu(T([[1.0, 2.0, 3.0]]))


def test_rrelu_slopes_lie_between_bounds_and_follow_the_seed():
    x = ms.Tensor(-np.ones((1000,), np.float32))
    ms.set_seed(5)
    a = ops.rrelu(x, 0.1, 0.3).asnumpy()
    ms.set_seed(5)
    b = ops.rrelu(x, 0.1, 0.3).asnumpy()
    np.testing.assert_array_equal(a, b)
    assert np.all(a <= -0.1) and np.all(a >= -0.3)
    assert abs(a.mean() + 0.2) < 0.01
    np.testing.assert_array_equal(ops.rrelu(T([2.0, 3.0])).asnumpy(), [2.0, 3.0])


def test_argument_errors():
    x = T([1.0, -1.0])
    with pytest.raises(ValueError, match="approximate"):
        ops.gelu(x, approximate="fast")
    with pytest.raises(TypeError, match="float tensor"):
        ops.gelu(T([1, 2], ms.int32))
    with pytest.raises(TypeError, match="alpha"):
        ops.elu(x, alpha="1")
    with pytest.raises(ValueError, match="alpha"):
        ops.celu(x, alpha=0.0)
    with pytest.raises(ValueError, match="lambd"):
        ops.softshrink(x, -1.0)
    with pytest.raises(ValueError, match="min_val"):
        ops.hardtanh(x, 2.0, 1.0)
    with pytest.raises(TypeError, match="relu: 'input' must be a Tensor"):
        ops.relu([1.0])


def test_relu_keeps_integer_dtype():
    out = ops.relu(T([-2, 3], ms.int32))
    assert out.dtype == ms.int32
    np.testing.assert_array_equal(out.asnumpy(), [0, 3])
    assert ops.soft_shrink is ops.softshrink


def test_swiglu():
    x = T([[1.0, -2.0, 3.0, 0.5]])
    a, b = np.array([1.0, -2.0]), np.array([3.0, 0.5])
    np.testing.assert_allclose(ops.swiglu(x).asnumpy(), [a * sigmoid(a) * b], rtol=1e-6)
    with pytest.raises(ValueError, match="even"):
        ops.swiglu(T([[1.0, 2.0, 3.0]]))
