"""Cases for the random primitives. A random kernel cannot be compared with an independent
computation of the same numbers, but its contract can: after ``set_seed(s)`` an unseeded random op
draws from numpy's ``default_rng(s)``. Each case seeds in ``make`` (after the other inputs are
built) and its reference replays the draw from a fresh ``default_rng(s)``."""
import numpy as np

import sporen as ms
from tests.ops.harness import Case

SEED = 1234


class SeededCase(Case):
    """A Case whose op draws from the global generator, freshly seeded with SEED."""

    def __init__(self, op, inputs, ref, **kwargs):
        super().__init__(op, inputs, ref, grad=False, **kwargs)

    def make(self, rng, dtype):
        arrays = super().make(rng, dtype)
        ms.set_seed(SEED)
        return arrays


def rng():
    return np.random.default_rng(SEED)


CASES = [
    SeededCase("random_uniform", [], lambda shape, dtype, seed: rng().random(shape, dtype=dtype.np),
               attrs={"shape": (3, 4), "dtype": ms.float32, "seed": None}, dtypes=("float32",)),
    SeededCase("random_uniform", [], lambda shape, dtype, seed: rng().random(shape),
               attrs={"shape": (5,), "dtype": ms.float64, "seed": None}, dtypes=("float32",)),
    SeededCase("random_uniform", [],
               lambda shape, dtype, seed: rng().random(shape, dtype=np.float32).astype(np.float16),
               attrs={"shape": (2, 2), "dtype": ms.float16, "seed": None}, dtypes=("float32",), name="f16"),
    SeededCase("random_uniform", [], lambda shape, dtype, seed: np.zeros((0, 3), np.float32),
               attrs={"shape": (0, 3), "dtype": ms.float32, "seed": None}, dtypes=("float32",), name="empty"),
    SeededCase("random_normal", [], lambda shape, dtype, seed: rng().standard_normal(shape, dtype=np.float32),
               attrs={"shape": (4, 3), "dtype": ms.float32, "seed": None}, dtypes=("float32",)),
    SeededCase("random_normal", [], lambda shape, dtype, seed: rng().standard_normal(shape),
               attrs={"shape": (), "dtype": ms.float64, "seed": None}, dtypes=("float32",)),
    SeededCase("random_randint", [],
               lambda low, high, shape, dtype, seed: rng().integers(-3, 9, size=shape, dtype=np.int32),
               attrs={"low": -3, "high": 9, "shape": (6, 2), "dtype": ms.int32, "seed": None}, dtypes=("float32",)),
    SeededCase("random_bernoulli", [lambda r, dt: np.linspace(0, 1, 12).reshape(3, 4).astype(dt)],
               lambda p, dtype, seed: (rng().random(p.shape) < p).astype(np.float32),
               attrs={"dtype": ms.float32, "seed": None}, dtypes=("float32",)),
    SeededCase("random_bernoulli", [lambda r, dt: np.full((5,), 0.5, dt)],
               lambda p, dtype, seed: rng().random(p.shape) < p,
               attrs={"dtype": ms.bool_, "seed": None}, dtypes=("float64",), name="bool"),
    SeededCase("random_gamma", [lambda r, dt: np.array([0.5, 1.0, 4.0], dt)],
               lambda a, shape, dtype, seed: rng().standard_gamma(np.broadcast_to(a, shape)).astype(dtype.np),
               attrs={"shape": (2, 3), "dtype": ms.float32, "seed": None}, dtypes=("float32",)),
    SeededCase("random_poisson", [lambda r, dt: np.array([[0.5], [3.0]], np.float64)],
               lambda lam, shape, dtype, seed: rng().poisson(np.broadcast_to(lam, shape)).astype(np.int32),
               attrs={"shape": (2, 4), "dtype": ms.int32, "seed": None}, dtypes=("float32",)),
    SeededCase("random_multinomial", [lambda r, dt: np.array([[0.1, 0.2, 0.7], [1.0, 0.0, 1.0]], dt)],
               lambda p, num_samples, replacement, seed: np.stack(
                   [g.choice(3, size=num_samples, replace=replacement, p=row / row.sum())
                    for g in [rng()] for row in p.astype(np.float64)]),
               attrs={"num_samples": 5, "replacement": True, "seed": None}, dtypes=("float32",)),
    SeededCase("random_multinomial", [lambda r, dt: np.array([0.3, 0.3, 0.2, 0.2], dt)],
               lambda p, num_samples, replacement, seed: rng().choice(4, size=3, replace=False, p=p / p.sum()),
               attrs={"num_samples": 3, "replacement": False, "seed": None}, dtypes=("float64",), name="noreplace"),
    SeededCase("random_permutation", [], lambda n, dtype, seed: rng().permutation(n),
               attrs={"n": 7, "dtype": ms.int64, "seed": None}, dtypes=("float32",)),
    SeededCase("random_permutation", [],
               lambda n, dtype, seed: np.random.default_rng([5, 2]).permutation(n).astype(np.int32),
               attrs={"n": 6, "dtype": ms.int32, "seed": ("fixed", 5, 2)}, dtypes=("float32",), name="fixed"),
    SeededCase("random_shuffle", [(5, 2)], lambda x, seed: rng().permutation(x), attrs={"seed": None}),
    SeededCase("random_shuffle", [()], lambda x, seed: x, attrs={"seed": None}, name="scalar"),
]
