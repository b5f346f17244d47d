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
