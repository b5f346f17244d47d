"""Every registered op, checked from the registry: forward against a numpy reference in each
dtype, the shape/dtype rule against the kernel, the bprop against finite differences."""
import importlib
import pkgutil

import pytest

import sporen as ms
import tests.ops as cases_pkg
from tests.ops.harness import check_forward, check_grad, check_infer

CASES = []
for info in pkgutil.iter_modules(cases_pkg.__path__):
    if info.name.startswith("cases_"):
        CASES.extend(importlib.import_module(f"tests.ops.{info.name}").CASES)

IDS = [c.id(i) for i, c in enumerate(CASES)]

# ops the array harness cannot express: the control-flow ops (family "control") take closed
# subgraphs, not arrays; tests/compiler/test_control_flow.py checks them (forward and gradients
# against PyNative, in jit and GRAPH_MODE)
EXEMPT_FAMILIES = ("control",)


def _exempt(name):
    return ms.ops.registry.OPS[name].family in EXEMPT_FAMILIES


def test_every_op_has_a_case():
    covered = {c.op for c in CASES}
    missing = sorted(n for n in set(ms.ops.registry.OPS) - covered if not _exempt(n))
    assert not missing, f"registered ops with no test case: {missing}"


def test_every_differentiable_op_has_a_gradient_case():
    checked = {c.op for c in CASES if c.grad}
    ops = ms.ops.registry.OPS
    missing = sorted(n for n, op in ops.items()
                     if op.bprop is not ms.ops.registry.NOT_DIFFERENTIABLE and n not in checked
                     and not _exempt(n))
    assert not missing, f"differentiable ops with no gradient check: {missing}"


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_forward(case):
    for dtype in case.dtypes:
        check_forward(case, dtype)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_shape_rule(case):
    check_infer(case, case.dtypes[0])


GRAD_CASES = [c for c in CASES if c.grad]


@pytest.mark.parametrize("case", GRAD_CASES, ids=[c.id(i) for i, c in enumerate(GRAD_CASES)])
def test_gradient(case):
    check_grad(case)
