"""The ``fused`` primitive: one node standing for a fusion group, holding the group as one closed
subgraph (its inputs are the subgraph's params in order, its outputs the subgraph's outputs)."""
import numpy as np

from ..dtype import _BY_NP
from ..ir.interpret import interpret
from ..ops.registry import NOT_DIFFERENTIABLE, Aval, register

__all__ = ["FUSED"]


def _aval(value):
    return Aval(value.shape, _BY_NP[np.dtype(value.dtype)])


def _fused_infer(*inputs, subgraphs):
    if len(subgraphs) != 1:
        raise ValueError(f"fused: a fused node holds exactly one subgraph, got {len(subgraphs)}")
    group = subgraphs[0]
    params = group.params
    if len(params) != len(inputs):
        raise ValueError(f"fused: subgraph '{group.name}' takes {len(params)} params, the node gives "
                         f"{len(inputs)} inputs")
    for i, (p, a) in enumerate(zip(params, inputs)):
        if _aval(p) != a:
            raise TypeError(f"fused: subgraph '{group.name}' param {i} is {_aval(p)}, the input is {a}")
    return tuple(_aval(o) for o in group.outputs)


def _fused_kernel(*arrays, subgraphs):
    results = interpret(subgraphs[0], *arrays, check=False)
    owned = []
    for r in results:
        # a group whose output is a view of an input (a reshape read by the group and by a later
        # node): the memory plan may reuse the input's buffer once this node ran
        if any(np.may_share_memory(r, a) for a in arrays):
            r = r.copy()
        owned.append(r)
    return tuple(owned)


# runs after autodiff, so it needs no gradient; pure: its group holds no impure node. Family
# "control" is the family of the ops whose node holds closed subgraphs (if, while): the registry's
# array harness (tests/ops) cannot express them; tests/compiler/test_fusion.py checks this one
FUSED = register("fused", infer=_fused_infer, kernel=_fused_kernel, bprop=NOT_DIFFERENTIABLE, nout=-1,
                 family="control")
