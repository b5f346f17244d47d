"""The elementwise functional ops: defaults, dtype promotion, aliases and argument errors."""
import math

import numpy as np
import pytest

import sporen as ms
from sporen import ops


def T(values, dtype=None):
    return ms.Tensor(np.array(values), dtype)


def test_aliases_are_the_same_functions():
    assert ops.multiply is ops.mul
    assert ops.divide is ops.div
    assert ops.negative is ops.neg
    assert ops.absolute is ops.abs
    assert ops.clip is ops.clamp
    assert ops.arccos is ops.acos and ops.arcsin is ops.asin and ops.arctan is ops.atan
    assert ops.arctan2 is ops.atan2 and ops.arctanh is ops.atanh
    assert ops.eq is ops.equal and ops.ne is ops.not_equal
    assert ops.lt is ops.less and ops.le is ops.less_equal and ops.gt is ops.greater and ops.ge is ops.greater_equal
    assert ops.floor_div is ops.floor_divide
    assert ops.floor_mod is ops.remainder


def test_float_functions_promote_ints_to_float32():
    x = T([1, 2, 4], ms.int32)
    for fn in (ops.sin, ops.exp, ops.log2, ops.sqrt, ops.erf, ops.rsqrt, ops.atan):
        out = fn(x)
        assert out.dtype == ms.float32, fn.__name__
    np.testing.assert_allclose(ops.log2(x).asnumpy(), [0, 1, 2])
    assert ops.sin(T([0.5], ms.float64)).dtype == ms.float64


def test_rounding_keeps_ints_and_rounds_half_to_even():
    x = T([1, -3], ms.int64)
    assert ops.floor(x) is x
    np.testing.assert_array_equal(ops.round(T([0.5, 1.5, 2.5, -0.5], ms.float32)).asnumpy(), [0, 2, 2, -0.0])
    np.testing.assert_allclose(ops.round(T([1.2345, -2.5551], ms.float64), decimals=2).asnumpy(), [1.23, -2.56])
    np.testing.assert_allclose(ops.frac(T([1.25, -2.75], ms.float32)).asnumpy(), [0.25, -0.75])
    with pytest.raises(TypeError, match="decimals"):
        ops.round(T([1.0]), decimals=1.5)


def test_div_rounding_modes():
    a = T([7, -7, 7, -7], ms.int32)
    b = T([2, 2, -2, -2], ms.int32)
    assert ops.div(a, b).dtype == ms.float32
    np.testing.assert_array_equal(ops.div(a, b, rounding_mode="floor").asnumpy(), [3, -4, -4, 3])
    out = ops.div(a, b, rounding_mode="trunc")
    assert out.dtype == ms.int32
    np.testing.assert_array_equal(out.asnumpy(), [3, -3, -3, 3])
    with pytest.raises(ValueError, match="rounding_mode"):
        ops.div(a, b, rounding_mode="ceil")


def test_remainder_follows_the_divisor_sign_and_fmod_the_dividend():
    a = T([5.0, -5.0, 5.0, -5.0])
    b = T([3.0, 3.0, -3.0, -3.0])
    np.testing.assert_allclose(ops.remainder(a, b).asnumpy(), [2, 1, -1, -2])
    np.testing.assert_allclose(ops.fmod(a, b).asnumpy(), [2, -2, 2, -2])
    np.testing.assert_allclose(ops.remainder(a, 3).asnumpy(), [2, 1, 2, 1])


def test_clamp_with_scalars_tensors_and_errors():
    x = T([-2.0, 0.5, 3.0])
    np.testing.assert_allclose(ops.clamp(x, -1, 1).asnumpy(), [-1, 0.5, 1])
    np.testing.assert_allclose(ops.clamp(x, min=0.0).asnumpy(), [0, 0.5, 3])
    np.testing.assert_allclose(ops.clamp(x, max=T([0.0, 0.0, 2.0])).asnumpy(), [-2, 0, 2])
    xi = T([-5, 0, 5], ms.int32)
    assert ops.clamp(xi, -1, 1).dtype == ms.int32
    with pytest.raises(ValueError, match="at least one"):
        ops.clamp(x)
    with pytest.raises(TypeError, match="'min'"):
        ops.clamp(x, min="0")


def test_clamp_gradient_passes_inside_the_range_only():
    x = T([-2.0, 0.5, 3.0])
    g = ms.grad(lambda t: ops.sum(ops.clamp(t, -1.0, 1.0)))(x)
    np.testing.assert_allclose(g.asnumpy(), [0, 1, 0])


def test_binary_promotion():
    a = T([1, 2], ms.int32)
    assert ops.atan2(a, a).dtype == ms.float32
    assert ops.hypot(T([3.0], ms.float64), T([4.0], ms.float32)).dtype == ms.float64
    np.testing.assert_allclose(ops.hypot(T([3.0]), 4.0).asnumpy(), [5.0])
    assert ops.float_power(a, 2).dtype == ms.float64
    np.testing.assert_allclose(ops.float_power(a, 2).asnumpy(), [1, 4])
    assert ops.true_divide(a, a).dtype == ms.float32
    np.testing.assert_allclose(ops.subtract(T([5.0]), T([1.0]), alpha=2).asnumpy(), [3.0])


def test_bitwise_and_logical():
    a = T([12, 10], ms.int32)
    b = T([10, 6], ms.int32)
    np.testing.assert_array_equal(ops.bitwise_and(a, b).asnumpy(), [8, 2])
    np.testing.assert_array_equal(ops.bitwise_or(a, b).asnumpy(), [14, 14])
    np.testing.assert_array_equal(ops.bitwise_xor(a, b).asnumpy(), [6, 12])
    np.testing.assert_array_equal(ops.invert(a).asnumpy(), [-13, -11])
    np.testing.assert_array_equal(ops.logical_xor(T([1, 0, 1]), T([True, True, False])).asnumpy(),
                                  [False, True, True])
    with pytest.raises(TypeError, match="bitwise_and"):
        ops.bitwise_and(T([1.0]), T([2.0]))
    with pytest.raises(TypeError, match="invert"):
        ops.invert(T([1.0]))


def test_xlogy_is_zero_where_x_is_zero_with_finite_gradient():
    x = T([0.0, 2.0, 0.0])
    y = T([0.0, 3.0, 5.0])
    np.testing.assert_allclose(ops.xlogy(x, y).asnumpy(), [0, 2 * np.log(3), 0], rtol=1e-6)
    gx, gy = ms.grad(lambda a, b: ops.sum(ops.xlogy(a, b)), grad_position=(0, 1))(x, y)
    assert np.all(np.isfinite(gx.asnumpy())) and np.all(np.isfinite(gy.asnumpy()))
    np.testing.assert_allclose(gy.asnumpy(), [0, 2 / 3, 0], rtol=1e-6)


def test_sinc_lerp_addcmul_addcdiv_deg2rad():
    np.testing.assert_allclose(ops.sinc(T([0.0, 0.5, 1.0])).asnumpy(), [1, 2 / np.pi, 0], atol=1e-7)
    g = ms.grad(lambda t: ops.sum(ops.sinc(t)))(T([0.0]))
    np.testing.assert_allclose(g.asnumpy(), [0.0])
    np.testing.assert_allclose(ops.lerp(T([0.0, 10.0]), T([10.0, 20.0]), 0.25).asnumpy(), [2.5, 12.5])
    np.testing.assert_allclose(ops.lerp(T([0.0]), T([10.0]), T([0.5])).asnumpy(), [5.0])
    with pytest.raises(TypeError, match="weight"):
        ops.lerp(T([0.0]), T([1.0]), "half")
    one = T([1.0, 1.0])
    np.testing.assert_allclose(ops.addcmul(one, T([2.0, 3.0]), T([4.0, 5.0]), value=0.5).asnumpy(), [5, 8.5])
    np.testing.assert_allclose(ops.addcdiv(one, T([2.0, 3.0]), T([4.0, 6.0])).asnumpy(), [1.5, 1.5])
    np.testing.assert_allclose(ops.deg2rad(T([180.0])).asnumpy(), [math.pi], rtol=1e-6)
    np.testing.assert_allclose(ops.rad2deg(T([math.pi])).asnumpy(), [180.0], rtol=1e-6)


def test_value_tests_and_nan_to_num():
    x = T([1.0, np.nan, np.inf, -np.inf], ms.float32)
    np.testing.assert_array_equal(ops.isnan(x).asnumpy(), [False, True, False, False])
    np.testing.assert_array_equal(ops.isinf(x).asnumpy(), [False, False, True, True])
    np.testing.assert_array_equal(ops.isfinite(x).asnumpy(), [True, False, False, False])
    np.testing.assert_array_equal(ops.isposinf(x).asnumpy(), [False, False, True, False])
    np.testing.assert_array_equal(ops.isneginf(x).asnumpy(), [False, False, False, True])
    out = ops.nan_to_num(x, nan=-1.0, posinf=100.0)
    np.testing.assert_allclose(out.asnumpy(), [1, -1, 100, np.finfo(np.float32).min])
    assert ops.isclose(T([1.0, 2.0]), T([1.0 + 1e-7, 2.1])).asnumpy().tolist() == [True, False]
    assert ops.isclose(T([np.nan]), T([np.nan]), equal_nan=True).asnumpy().tolist() == [True]
    with pytest.raises(ValueError, match="rtol"):
        ops.isclose(T([1.0]), T([1.0]), rtol=-1.0)


def test_complex_parts():
    z = ms.Tensor(np.array([3 + 4j, -1 - 1j], np.complex64))
    assert ops.real(z).dtype == ms.float32
    np.testing.assert_allclose(ops.real(z).asnumpy(), [3, -1])
    np.testing.assert_allclose(ops.imag(z).asnumpy(), [4, -1])
    np.testing.assert_allclose(ops.conj(z).asnumpy(), [3 - 4j, -1 + 1j])
    np.testing.assert_allclose(ops.angle(z).asnumpy(), [math.atan2(4, 3), math.atan2(-1, -1)], rtol=1e-6)
    r = T([2.0])
    assert ops.real(r) is r
    np.testing.assert_allclose(ops.imag(r).asnumpy(), [0.0])


def test_erf_family_values():
    x = T([-2.0, -0.5, 0.0, 0.3, 3.0], ms.float64)
    np.testing.assert_allclose(ops.erf(x).asnumpy(), [math.erf(v) for v in x.asnumpy()], rtol=1e-14)
    np.testing.assert_allclose(ops.erfc(T([10.0], ms.float64)).asnumpy(), [math.erfc(10.0)], rtol=1e-14)
    back = ops.erf(ops.erfinv(T([-0.99, 0.1, 0.7], ms.float64)))
    np.testing.assert_allclose(back.asnumpy(), [-0.99, 0.1, 0.7], rtol=1e-13)


def test_positive_and_errors_name_the_op():
    x = T([1.0, -1.0])
    assert ops.positive(x) is x
    with pytest.raises(TypeError, match="positive"):
        ops.positive(T([True]))
    with pytest.raises(TypeError, match="sin: 'input' must be a Tensor"):
        ops.sin(1.0)
    with pytest.raises(ValueError, match="cannot be broadcast"):
        ops.atan2(T([1.0, 2.0]), T([1.0, 2.0, 3.0]))


def test_second_order_gradients_of_math_ops():
    x = T([0.3, 0.7], ms.float64)
    d2 = ms.grad(ms.grad(lambda t: ops.sum(ops.sin(t))))(x)
    np.testing.assert_allclose(d2.asnumpy(), -np.sin(x.asnumpy()))
    d2 = ms.grad(ms.grad(lambda t: ops.sum(ops.erf(t))))(x)
    xv = x.asnumpy()
    np.testing.assert_allclose(d2.asnumpy(), -4 * xv / np.sqrt(np.pi) * np.exp(-xv * xv))


def test_where_accepts_numbers_and_broadcasts():
    cond = T([[True], [False]])
    out = ops.where(cond, T([1.0, 2.0], ms.float32), 0)
    assert out.dtype == ms.float32 and out.shape == (2, 2)
    np.testing.assert_allclose(out.asnumpy(), [[1, 2], [0, 0]])
    np.testing.assert_array_equal(ops.where(T([1, 0]), T([1, 2], ms.int32), T([5, 6], ms.int32)).asnumpy(), [1, 6])
    g = ms.grad(lambda a: ops.sum(ops.where(cond, a, 0.0)))(T([1.0, 2.0], ms.float32))
    np.testing.assert_allclose(g.asnumpy(), [1, 1])


def test_more_binary_functions():
    np.testing.assert_allclose(ops.ldexp(T([1.0, 3.0]), T([2, 3], ms.int32)).asnumpy(), [4, 24])
    np.testing.assert_allclose(ops.xdivy(T([0.0, 6.0]), T([0.0, 3.0])).asnumpy(), [0, 2])
    out = ops.truncate_div(T([-7, 7], ms.int32), T([2, 2], ms.int32))
    assert out.dtype == ms.int32
    np.testing.assert_array_equal(out.asnumpy(), [-3, 3])
    np.testing.assert_array_equal(ops.truncate_mod(T([-7, 7], ms.int32), T([2, -2], ms.int32)).asnumpy(), [-1, 1])
    np.testing.assert_allclose(ops.inv(T([4.0, -0.5])).asnumpy(), [0.25, -2])
    assert ops.inv(T([2], ms.int32)).dtype == ms.float32
    np.testing.assert_array_equal(ops.approximate_equal(T([1.0, 2.0]), T([1.000001, 2.1])).asnumpy(), [True, False])
    np.testing.assert_array_equal(ops.gcd(T([12, -18], ms.int32), T([8, 12], ms.int32)).asnumpy(), [4, 6])
    np.testing.assert_array_equal(ops.lcm(T([4, 6], ms.int32), T([6, 4], ms.int32)).asnumpy(), [12, 12])
    np.testing.assert_array_equal(ops.bitwise_left_shift(T([1, 3], ms.int32), T([3, 1], ms.int32)).asnumpy(), [8, 6])
    np.testing.assert_array_equal(ops.bitwise_right_shift(T([16, 5], ms.int32), 1).asnumpy(), [8, 2])
    np.testing.assert_allclose(ops.fmax(T([np.nan, 1.0]), T([2.0, np.nan])).asnumpy(), [2, 1])
    assert ops.floordiv is ops.floor_divide and ops.clip_by_value is ops.clamp and ops.accumulate_n is ops.addn


def test_addn():
    a, b = T([1.0, 2.0]), T([3.0, 4.0])
    np.testing.assert_allclose(ops.addn([a, b, a]).asnumpy(), [5, 8])
    with pytest.raises(ValueError, match="one shape"):
        ops.addn([a, T([1.0])])
    with pytest.raises(TypeError, match="list or tuple"):
        ops.addn(a)


def test_logit_sgn_signbit_isreal():
    np.testing.assert_allclose(ops.logit(T([0.5, 0.75])).asnumpy(), [0, np.log(3)], rtol=1e-6)
    np.testing.assert_allclose(ops.logit(T([0.0, 1.0]), eps=0.25).asnumpy(), [-np.log(3), np.log(3)], rtol=1e-6)
    np.testing.assert_allclose(ops.sgn(T([-2.0, 0.0, 3.0])).asnumpy(), [-1, 0, 1])
    z = ms.Tensor(np.array([3 + 4j, 0j], np.complex64))
    np.testing.assert_allclose(ops.sgn(z).asnumpy(), [0.6 + 0.8j, 0])
    np.testing.assert_array_equal(ops.signbit(T([-0.0, 1.0])).asnumpy(), [True, False])
    np.testing.assert_array_equal(ops.isreal(ms.Tensor(np.array([1 + 0j, 1j], np.complex64))).asnumpy(), [True, False])
    np.testing.assert_array_equal(ops.isreal(T([np.nan, 1.0])).asnumpy(), [True, True])


def test_lgamma_gradient_is_digamma():
    x = T([0.5, 1.0, 4.0], ms.float64)
    np.testing.assert_allclose(ops.lgamma(x).asnumpy(), [math.lgamma(v) for v in (0.5, 1.0, 4.0)], rtol=1e-14)
    g = ms.grad(lambda t: ops.sum(ops.lgamma(t)))(x)
    euler = 0.5772156649015329
    np.testing.assert_allclose(g.asnumpy(), [-euler - 2 * math.log(2), -euler, 1 + 1 / 2 + 1 / 3 - euler], rtol=1e-12)
    np.testing.assert_allclose(ops.digamma(T([1], ms.int32)).asnumpy(), [-euler], rtol=1e-6)


def test_polygamma_and_gradients_of_digamma():
    from scipy.special import polygamma
    x = T([0.4, 2.0, 9.5], ms.float64)
    np.testing.assert_allclose(ops.polygamma(2, x).asnumpy(), polygamma(2, x.asnumpy()), rtol=1e-13)
    np.testing.assert_allclose(ops.polygamma(0, x).asnumpy(), polygamma(0, x.asnumpy()), rtol=1e-13)
    g = ms.grad(lambda t: ops.sum(ops.digamma(t)))(x)
    np.testing.assert_allclose(g.asnumpy(), polygamma(1, x.asnumpy()), rtol=1e-13)
    g2 = ms.grad(ms.grad(lambda t: ops.sum(ops.lgamma(t))))(x)
    np.testing.assert_allclose(g2.asnumpy(), polygamma(1, x.asnumpy()), rtol=1e-13)
    with pytest.raises(ValueError, match="'n'"):
        ops.polygamma(-1, x)
