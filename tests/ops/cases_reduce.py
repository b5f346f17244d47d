"""Cases for the reduction family."""
import numpy as np

from tests.ops.harness import Case

CASES = []
for axis, keep in [((0, 1), False), ((1,), True), ((0,), False), ((), False)]:
    CASES.append(Case("reduce_sum", [(3, 4)], lambda x, axis, keepdims: np.sum(x, axis=axis or None, keepdims=keepdims),
                      attrs={"axis": axis or (0, 1), "keepdims": keep}))
    CASES.append(Case("reduce_mean", [(3, 4)], lambda x, axis, keepdims: np.mean(x, axis=axis, keepdims=keepdims),
                      attrs={"axis": axis or (0, 1), "keepdims": keep}))
CASES.append(Case("reduce_sum", [(0, 3)], lambda x, axis, keepdims: np.sum(x, axis=axis, keepdims=keepdims),
                  attrs={"axis": (0,), "keepdims": False}, grad=False))
CASES.append(Case("reduce_sum", [()], lambda x, axis, keepdims: np.sum(x), attrs={"axis": (), "keepdims": False}))
