"""Cases for the activation primitives (relu, relu_grad, gelu, gelu_tanh, silu)."""
import math

import numpy as np

from tests.ops.harness import Case


def away_from_zero(shape):
    # relu's kink at 0 would spoil central differences
    return lambda rng, dt: (rng.uniform(0.1, 2.0, size=shape) * rng.choice([-1, 1], size=shape)).astype(dt)


def _gelu_ref(x):
    x = x.astype(np.float64)
    return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


def _gelu_tanh_ref(x):
    x = x.astype(np.float64)
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))


def _silu_ref(x):
    x = x.astype(np.float64)
    return x / (1 + np.exp(-x))


CASES = []
CASES += [Case("relu", [away_from_zero(s)], lambda x: np.where(x > 0, x, 0)) for s in [(3, 4), (), (2, 3, 5)]]
CASES += [Case("relu", [lambda rng, dt: np.array([-3, 0, 4], np.int32)], lambda x: np.array([0, 0, 4], np.int32),
               dtypes=("float32",), grad=False, name="int"),
          Case("relu", [lambda rng, dt: np.zeros((0, 3), dt)], lambda x: x, grad=False, name="empty")]
CASES += [Case("relu_grad", [(3, 4), away_from_zero((3, 4))], lambda g, y: np.where(y > 0, g, 0), grad=(0,)),
          Case("relu_grad", [(2, 3), away_from_zero((3,))], lambda g, y: np.where(y > 0, g, 0), grad=(0,))]
for name, ref in [("gelu", _gelu_ref), ("gelu_tanh", _gelu_tanh_ref), ("silu", _silu_ref)]:
    CASES += [Case(name, [(3, 4)], ref),
              Case(name, [(20, 20)], ref, grad=False, name="large"),
              Case(name, [()], ref),
              Case(name, [lambda rng, dt: np.array([-30.0, -5.0, 0.0, 5.0, 30.0], dt)], ref, grad=False,
                   name="tails")]
