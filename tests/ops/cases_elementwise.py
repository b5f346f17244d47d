"""Cases for the elementwise family."""
import numpy as np

from tests.ops.harness import Case
import sporen as ms

BIN_SHAPES = [((3, 4), (3, 4)), ((2, 3, 4), (4,)), ((1, 3), (2, 1)), ((), (3,)), ((0, 3), (3,))]


def positive(shape):
    return lambda rng, dt: (rng.random(shape) + 0.5).astype(dt)


def ints(shape, lo=-5, hi=5):
    return lambda rng, dt: rng.integers(lo, hi, size=shape).astype(np.int32)


def bools(shape):
    return lambda rng, dt: rng.random(shape) > 0.5


def _binary(op, ref, shapes=BIN_SHAPES, grad=True):
    return [Case(op, list(s), ref, grad=grad) for s in shapes]


def _away_from_equal(shape):
    # inputs well separated so max/min gradients are unambiguous for finite differences
    return lambda rng, dt: (rng.permutation(int(np.prod(shape))).reshape(shape) * 0.5).astype(dt)


CASES = []
CASES += _binary("add", np.add)
CASES += _binary("sub", np.subtract)
CASES += _binary("mul", np.multiply)
CASES += [Case("div", [(3, 4), positive((3, 4))], np.divide),
          Case("div", [(2, 3), positive((3,))], np.divide),
          Case("div", [ints((5,)), lambda rng, dt: np.array([1, 2, 3, 4, 5], np.int32)],
               lambda a, b: (a / b).astype(np.float32), dtypes=("float32",), grad=False)]
CASES += [Case("neg", [s], np.negative) for s in [(3, 4), (), (0,)]]
CASES += [Case("exp", [s], np.exp) for s in [(3, 4), ()]]
CASES += [Case("log", [positive(s)], np.log) for s in [(3, 4), ()]]
CASES += [Case("sqrt", [positive(s)], np.sqrt) for s in [(3, 4), ()]]
CASES += [Case("square", [s], np.square) for s in [(3, 4), ()]]
CASES += [Case("tanh", [s], np.tanh) for s in [(3, 4), ()]]
CASES += [Case("sigmoid", [s], lambda x: 1 / (1 + np.exp(-x))) for s in [(3, 4), ()]]
CASES += [Case("sigmoid", [lambda rng, dt: np.array([-100.0, 0.0, 100.0], dt)],
               lambda x: 1 / (1 + np.exp(-x.astype(np.float64))), grad=False, name="saturated")]
CASES += [Case("abs", [positive((3, 4))], np.abs), Case("abs", [(5,)], np.abs)]
CASES += [Case("sign", [(3, 4)], np.sign)]
CASES += [Case("reciprocal", [positive((3, 4))], np.reciprocal)]
CASES += [Case("maximum", [_away_from_equal((3, 4)), lambda rng, dt: np.full((4,), 2.2, dt)], np.maximum),
          Case("minimum", [_away_from_equal((3, 4)), lambda rng, dt: np.full((4,), 2.2, dt)], np.minimum)]
CASES += [Case("pow", [positive((3, 4)), (3, 4)], np.power),
          Case("pow", [positive((2, 3)), lambda rng, dt: np.array(2.0, dt)], np.power)]
for name, fn in [("equal", np.equal), ("not_equal", np.not_equal), ("less", np.less),
                 ("less_equal", np.less_equal), ("greater", np.greater), ("greater_equal", np.greater_equal)]:
    CASES += [Case(name, [ints((3, 4)), ints((4,))], fn, dtypes=("float32",), grad=False),
              Case(name, [(3, 4), (3, 4)], fn, grad=False)]
CASES += [Case("logical_and", [bools((3, 4)), bools((4,))], np.logical_and, dtypes=("float32",), grad=False),
          Case("logical_or", [bools((3, 4)), bools((4,))], np.logical_or, dtypes=("float32",), grad=False),
          Case("logical_not", [bools((3, 4))], np.logical_not, dtypes=("float32",), grad=False)]
CASES += [Case("where", [bools((3, 4)), (3, 4), (4,)], np.where),
          Case("where", [bools((2, 1)), (), (1, 3)], np.where)]
CASES += [Case("cast", [(3, 4)], lambda x, dtype: x.astype(np.float64), attrs={"dtype": ms.float64}),
          Case("cast", [(3, 4)], lambda x, dtype: x.astype(np.int32), attrs={"dtype": ms.int32}, grad=False),
          Case("cast", [(3, 4)], lambda x, dtype: x.astype(np.float32), attrs={"dtype": ms.float32},
               grad_rtol=1e-3, grad_atol=1e-4, eps=1e-3)]
CASES += [Case("stop_gradient", [(3,)], lambda x: x, grad=False)]


# --- rounding, math, binary math, tests, complex ---------------------------------------------------
def in_range(shape, lo, hi):
    return lambda rng, dt: rng.uniform(lo, hi, size=shape).astype(dt)


def halves(shape):
    # exact .5 values check round-half-to-even
    return lambda rng, dt: (rng.integers(-8, 8, size=shape) * 0.5 + 0.25 * (rng.random(shape) > 0.8)).astype(dt)


for name, fn in [("floor", np.floor), ("ceil", np.ceil), ("trunc", np.trunc)]:
    CASES += [Case(name, [halves(s)], fn, grad=False) for s in [(3, 4), (), (0, 2)]]
CASES += [Case("round", [halves(s)], lambda x, decimals: np.rint(x), attrs={"decimals": 0}, grad=False)
          for s in [(3, 4), (), (0, 2)]]
CASES += [Case("round", [(3, 4)], lambda x, decimals: np.round(x, decimals), attrs={"decimals": 2}, grad=False)]

UNARY_MATH = [
    ("expm1", (3, 4), lambda x: np.exp(x) - 1, None),
    ("log1p", positive((3, 4)), lambda x: np.log(1 + x), None),
    ("log2", positive((3, 4)), lambda x: np.log(x) / np.log(2), None),
    ("log10", positive((3, 4)), lambda x: np.log(x) / np.log(10), None),
    ("exp2", (3, 4), lambda x: 2.0 ** x, None),
    ("rsqrt", positive((3, 4)), lambda x: 1 / np.sqrt(x), None),
    ("sin", (3, 4), np.sin, None),
    ("cos", (3, 4), np.cos, None),
    ("tan", in_range((3, 4), -1.2, 1.2), lambda x: np.sin(x) / np.cos(x), None),
    ("asin", in_range((3, 4), -0.9, 0.9), np.arcsin, None),
    ("acos", in_range((3, 4), -0.9, 0.9), np.arccos, None),
    ("atan", (3, 4), np.arctan, None),
    ("sinh", (3, 4), lambda x: (np.exp(x) - np.exp(-x)) / 2, None),
    ("cosh", (3, 4), lambda x: (np.exp(x) + np.exp(-x)) / 2, None),
    ("asinh", (3, 4), lambda x: np.log(x + np.sqrt(x * x + 1)), None),
    ("acosh", in_range((3, 4), 1.1, 4.0), lambda x: np.log(x + np.sqrt(x * x - 1)), None),
    ("atanh", in_range((3, 4), -0.9, 0.9), lambda x: 0.5 * np.log((1 + x) / (1 - x)), None),
]
def _first_as_scalar(spec):
    def make(rng, dt):
        full = spec(rng, dt) if callable(spec) else rng.standard_normal(spec).astype(dt)
        return full.reshape(-1)[0].reshape(())
    return make


for name, spec, ref, _ in UNARY_MATH:
    CASES.append(Case(name, [spec], ref))
    CASES.append(Case(name, [_first_as_scalar(spec)], ref, grad=False, name="scalar"))


def _erf_ref(x):
    import math
    return np.vectorize(math.erf)(x.astype(np.float64))


def _erfc_ref(x):
    import math
    return np.vectorize(math.erfc)(x.astype(np.float64))


CASES += [Case("erf", [in_range((4, 5), -5, 5)], _erf_ref, rtol=1e-6, atol=1e-6, dtypes=("float32",), grad=False),
          Case("erf", [in_range((30, 30), -5, 5)], _erf_ref, rtol=1e-6, atol=1e-6, dtypes=("float32",),
               grad=False, name="polynomial"),
          Case("erf", [in_range((30, 30), -5, 5)], _erf_ref, rtol=1e-3, atol=1e-3, dtypes=("float16",),
               grad=False, name="half"),
          Case("erf", [(3, 4)], _erf_ref),
          Case("erfc", [in_range((4, 5), -3, 8)], _erfc_ref, dtypes=("float64",)),
          Case("erfc", [(3, 4)], _erfc_ref, dtypes=("float32",), rtol=1e-6, atol=1e-30),
          Case("erfinv", [in_range((3, 4), -0.95, 0.95)], lambda x: _inv_erf(x), rtol=1e-6, atol=1e-6),
          Case("erfinv", [lambda rng, dt: np.array([-1.0, 0.0, 1.0, 0.999999], dt)], lambda x: _inv_erf(x),
               dtypes=("float64",), grad=False, name="edges")]


def _inv_erf(x):
    # bisection on math.erf: slow and simple, independent of the kernel's Newton iteration
    import math
    out = []
    for v in x.astype(np.float64).reshape(-1):
        if abs(v) == 1:
            out.append(np.copysign(np.inf, v))
            continue
        lo, hi = -7.0, 7.0
        for _ in range(200):
            mid = (lo + hi) / 2
            if math.erf(mid) < v:
                lo = mid
            else:
                hi = mid
        out.append((lo + hi) / 2)
    return np.array(out).reshape(x.shape)


def nonzero(shape):
    return lambda rng, dt: (rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1, 1], size=shape)).astype(dt)


def int_nonzero(shape):
    return lambda rng, dt: (rng.integers(1, 5, size=shape) * rng.choice([-1, 1], size=shape)).astype(np.int32)


def _py_floordiv(a, b):
    return np.array([x // y for x, y in zip(*[v.reshape(-1).tolist() for v in np.broadcast_arrays(a, b)])],
                    dtype=np.result_type(a, b)).reshape(np.broadcast_shapes(a.shape, b.shape))


def _py_mod(a, b):
    return np.array([x % y for x, y in zip(*[v.reshape(-1).tolist() for v in np.broadcast_arrays(a, b)])],
                    dtype=np.result_type(a, b)).reshape(np.broadcast_shapes(a.shape, b.shape))


def _c_fmod(a, b):
    import math
    return np.array([math.fmod(x, y) for x, y in zip(*[v.reshape(-1).tolist() for v in np.broadcast_arrays(a, b)])],
                    dtype=np.result_type(a, b)).reshape(np.broadcast_shapes(a.shape, b.shape))


CASES += [Case("floor_divide", [ints((3, 4), -9, 9), int_nonzero((4,))], _py_floordiv, dtypes=("float32",), grad=False),
          Case("floor_divide", [(3, 4), nonzero((3, 4))], lambda a, b: np.floor(a / b), grad=False),
          Case("remainder", [ints((3, 4), -9, 9), int_nonzero((4,))], _py_mod, dtypes=("float32",), grad=False),
          Case("remainder", [(2, 3, 4), nonzero((4,))], _py_mod, grad_atol=1e-4),
          Case("fmod", [ints((3, 4), -9, 9), int_nonzero((4,))], _c_fmod, dtypes=("float32",), grad=False),
          Case("fmod", [(3, 4), nonzero((3, 4))], _c_fmod),
          Case("fmod", [(), nonzero((3,))], _c_fmod)]
CASES += [Case("atan2", [(3, 4), nonzero((3, 4))], lambda y, x: np.angle(x + 1j * y)),
          Case("atan2", [(2, 3), nonzero((3,))], lambda y, x: np.angle(x + 1j * y)),
          Case("hypot", [nonzero((3, 4)), nonzero((4,))], lambda a, b: np.sqrt(a * a + b * b)),
          Case("hypot", [nonzero(()), nonzero((2, 1))], lambda a, b: np.sqrt(a * a + b * b)),
          Case("logaddexp", [(3, 4), (4,)], lambda a, b: np.log(np.exp(a) + np.exp(b))),
          Case("logaddexp", [lambda rng, dt: np.array([1000.0, -1000.0], dt),
                             lambda rng, dt: np.array([1000.0, -1001.0], dt)],
               lambda a, b: np.array([1000 + np.log(2), -1000 + np.log1p(np.exp(-1.0))]), grad=False, name="large"),
          Case("copysign", [nonzero((3, 4)), nonzero((4,))], lambda a, b: np.abs(a) * np.where(b < 0, -1, 1)),
          Case("heaviside", [lambda rng, dt: np.array([-1.5, 0.0, 2.0, 0.0], dt), lambda rng, dt: np.array([0.5], dt)],
               lambda x, v: np.array([0.0, 0.5, 1.0, 0.5]), grad=False)]
for name, fn in [("bitwise_and", lambda a, b: a & b), ("bitwise_or", lambda a, b: a | b),
                 ("bitwise_xor", lambda a, b: a ^ b)]:
    CASES += [Case(name, [ints((3, 4), -20, 20), ints((4,), -20, 20)], fn, dtypes=("float32",), grad=False),
              Case(name, [bools((3,)), bools((3,))], fn, dtypes=("float32",), grad=False)]
CASES += [Case("logical_xor", [bools((3, 4)), bools((4,))], lambda a, b: a != b, dtypes=("float32",), grad=False),
          Case("invert", [ints((3, 4), -20, 20)], lambda a: -a - 1, dtypes=("float32",), grad=False),
          Case("invert", [bools((5,))], lambda a: ~a, dtypes=("float32",), grad=False)]


def specials(rng, dt):
    return np.array([1.0, np.nan, np.inf, -np.inf, -2.5, 0.0], dt)


CASES += [Case("isnan", [specials], lambda x: x != x, grad=False),
          Case("isinf", [specials], lambda x: np.abs(x) == np.inf, grad=False),
          Case("isfinite", [specials], lambda x: (x == x) & (np.abs(x) != np.inf), grad=False),
          Case("isnan", [ints((3,))], lambda x: np.zeros(3, bool), dtypes=("float32",), grad=False),
          Case("nan_to_num", [specials], lambda x, nan, posinf, neginf:
               np.array([1.0, 0.0, np.finfo(x.dtype).max, np.finfo(x.dtype).min, -2.5, 0.0]),
               attrs={"nan": 0.0, "posinf": None, "neginf": None}, grad=False),
          Case("nan_to_num", [specials], lambda x, nan, posinf, neginf: np.array([1.0, 7.0, 9.0, -9.0, -2.5, 0.0]),
               attrs={"nan": 7.0, "posinf": 9.0, "neginf": -9.0}),
          Case("isclose", [lambda rng, dt: np.array([1.0, 1.0, np.nan, 1e-9, np.inf], dt),
                           lambda rng, dt: np.array([1.0 + 1e-7, 1.1, np.nan, 0.0, np.inf], dt)],
               lambda a, b, rtol, atol, equal_nan: np.array([True, False, True, True, True]),
               attrs={"rtol": 1e-5, "atol": 1e-8, "equal_nan": True}, grad=False)]


def complexes(shape):
    return lambda rng, dt: (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(
        np.complex64 if dt == np.float32 else np.complex128)


CASES += [Case("real", [complexes((3, 4))], lambda z: z.real.copy(), grad=False),
          Case("imag", [complexes((3, 4))], lambda z: z.imag.copy(), grad=False),
          Case("conj", [complexes((3, 4))], lambda z: z.real - 1j * z.imag, grad=False),
          Case("angle", [complexes((3, 4))], lambda z: np.arctan2(z.imag, z.real), grad=False),
          Case("angle", [(5,)], lambda x: np.where(x < 0, np.pi, 0.0), grad=False, name="real")]


# --- special functions and integer ops ------------------------------------------------------------
def _lgamma_ref(x):
    from scipy.special import gammaln
    return gammaln(x.astype(np.float64))


def _polygamma_ref(n, x):
    from scipy.special import polygamma
    return polygamma(n, x.astype(np.float64))


def _digamma_ref(x):
    from scipy.special import digamma
    return digamma(x.astype(np.float64))


CASES += [Case("lgamma", [in_range((3, 4), 0.2, 8.0)], _lgamma_ref),
          Case("lgamma", [lambda rng, dt: np.array([-2.5, -0.5, 0.5, 1.0, 2.0, 30.0], dt)], _lgamma_ref, name="wide"),
          Case("lgamma", [lambda rng, dt: np.array([0.0, -1.0, -3.0, 1e-300, np.inf], dt)], _lgamma_ref, grad=False,
               name="poles"),
          Case("digamma", [in_range((3, 4), 0.05, 30.0)], _digamma_ref, rtol=1e-5, atol=1e-6, dtypes=("float32",),
               grad=False),
          Case("digamma", [lambda rng, dt: np.array([-2.5, -0.3, 0.01, 0.5, 1.0, 3.7, 9.99, 10.0, 1e4], dt)],
               _digamma_ref, rtol=1e-13, atol=1e-13, dtypes=("float64",), name="wide", grad=False),
          Case("digamma", [lambda rng, dt: np.array([0.0, -0.0, -1.0, -4.0], dt)], _digamma_ref, grad=False,
               name="poles"),
          Case("digamma", [in_range((2, 3), 0.3, 6.0)], _digamma_ref, grad_rtol=1e-6, name="grad"),
          Case("polygamma", [in_range((2, 3), 0.3, 6.0)], lambda x, n: _polygamma_ref(n, x),
               attrs={"n": 1}, rtol=1e-6, atol=1e-9, grad_rtol=1e-6),
          Case("polygamma", [lambda rng, dt: np.array([-2.5, -0.3, 0.1, 3.0, 25.0, 1e3], dt)],
               lambda x, n: _polygamma_ref(n, x),
               attrs={"n": 3}, rtol=1e-5, atol=1e-12, grad=False, name="wide"),
          Case("digamma", [in_range((4,), 1.0, 5.0)], _digamma_ref, rtol=1e-13, atol=1e-13, dtypes=("float64",),
               grad=False)]
CASES += [Case("sgn", [complexes((3, 4))], lambda z: z / np.abs(z), grad=False),
          Case("sgn", [lambda rng, dt: np.array([0j, 3 + 4j], np.complex64)], lambda z: np.array([0, 0.6 + 0.8j]),
               dtypes=("float32",), grad=False, name="zero"),
          Case("signbit", [lambda rng, dt: np.array([-1.0, -0.0, 0.0, 2.0], dt)],
               lambda x: np.array([True, True, False, False]), grad=False)]


def nan_mixed(rng, dt):
    return np.array([1.0, np.nan, 3.0, np.nan, -2.0], dt)


def nan_mixed_other(rng, dt):
    return np.array([2.0, 5.0, np.nan, np.nan, -3.0], dt)


CASES += [Case("fmax", [_away_from_equal((3, 4)), lambda rng, dt: np.full((4,), 2.2, dt)], np.fmax),
          Case("fmin", [_away_from_equal((3, 4)), lambda rng, dt: np.full((4,), 2.2, dt)], np.fmin),
          Case("fmax", [nan_mixed, nan_mixed_other], lambda a, b: np.array([2.0, 5.0, 3.0, np.nan, -2.0]),
               grad=False, name="nan"),
          Case("fmin", [nan_mixed, nan_mixed_other], lambda a, b: np.array([1.0, 5.0, 3.0, np.nan, -3.0]),
               grad=False, name="nan"),
          Case("gcd", [ints((3, 4), -30, 30), ints((4,), 1, 20)],
               lambda a, b: np.vectorize(__import__("math").gcd)(a, b).astype(np.int32), dtypes=("float32",),
               grad=False),
          Case("lcm", [ints((3, 4), 1, 12), ints((4,), 1, 12)],
               lambda a, b: np.vectorize(__import__("math").lcm)(a, b).astype(np.int32), dtypes=("float32",),
               grad=False),
          Case("nextafter", [lambda rng, dt: np.array([1.0, 0.0, -1.0], dt),
                             lambda rng, dt: np.array([2.0, -1.0, -1.0], dt)],
               lambda a, b: np.array([1 + np.finfo(a.dtype).eps, -np.finfo(a.dtype).smallest_subnormal, -1.0]),
               grad=False, rtol=0, atol=0),
          Case("left_shift", [ints((3, 4), 0, 100), ints((4,), 0, 5)], lambda a, b: a * 2 ** b,
               dtypes=("float32",), grad=False),
          Case("right_shift", [ints((3, 4), 0, 100), ints((4,), 0, 5)], lambda a, b: a // 2 ** b,
               dtypes=("float32",), grad=False)]

# broadcasting and 0-d variants of the single-shape cases above
CASES += [Case("isclose", [(3, 4), lambda rng, dt: np.array(0.1, dt)],
               lambda a, b, rtol, atol, equal_nan: np.abs(a - b) <= atol + rtol * np.abs(b),
               attrs={"rtol": 0.5, "atol": 0.2, "equal_nan": False}, grad=False, name="broadcast"),
          Case("heaviside", [lambda rng, dt: np.array([[-1.0], [0.0], [2.0]], dt),
                             lambda rng, dt: np.array([0.5, 0.25], dt)],
               lambda x, v: np.array([[0.0, 0.0], [0.5, 0.25], [1.0, 1.0]]), grad=False, name="broadcast"),
          Case("nan_to_num", [lambda rng, dt: np.array(np.nan, dt)], lambda x, nan, posinf, neginf: np.array(3.0),
               attrs={"nan": 3.0, "posinf": None, "neginf": None}, grad=False, name="scalar"),
          Case("real", [complexes(())], lambda z: z.real.copy(), grad=False, name="scalar"),
          Case("conj", [complexes((0, 2))], lambda z: z.copy(), grad=False, name="empty")]
