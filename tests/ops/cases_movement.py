"""Cases for the movement family."""
import numpy as np

from tests.ops.harness import Case

CASES = [
    Case("reshape", [(3, 4)], lambda x, shape: x.reshape(shape), attrs={"shape": (2, 6)}),
    Case("reshape", [(0, 4)], lambda x, shape: x.reshape(shape), attrs={"shape": (4, 0)}),
    Case("broadcast_to", [(3, 1)], lambda x, shape: np.broadcast_to(x, shape), attrs={"shape": (2, 3, 4)}),
    Case("broadcast_to", [()], lambda x, shape: np.broadcast_to(x, shape), attrs={"shape": (2,)}),
]
