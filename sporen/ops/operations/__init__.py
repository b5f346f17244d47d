"""MindSpore's operator classes (``from mindspore.ops import operations as P; P.MatMul(transpose_b=True)(x, w)``).

Each class is a spec in one of the submodules; a class exists only when every op it calls is
implemented, so ops added later make their classes appear with no edit here. ``missing()`` says
which classes are held back and why."""
from ..primitive import Primitive, PrimitiveWithInfer, PrimitiveWithCheck, prim_attr_register, constexpr
from . import _base
from . import math_ops, array_ops, nn_ops, other_ops  # noqa: F401  (each declares its specs)

__all__ = []
_SUBMODULES = {"math_ops": math_ops, "array_ops": array_ops, "nn_ops": nn_ops, "other_ops": other_ops}
_HELD_BACK = {}  # class name -> the ops it needs that sporen lacks


def _build_all():
    for s in _base.SPECS:
        if s.name in globals():
            continue
        lacking = _base.missing_needs(s)
        if lacking:
            _HELD_BACK[s.name] = lacking
            continue
        cls = _base.build(s)
        globals()[s.name] = cls
        # also in its submodule (MindSpore's layout: operations.math_ops.MatMul), which pickle uses
        setattr(_SUBMODULES[s.module], s.name, cls)
        __all__.append(s.name)


_build_all()


def missing():
    """{class name: [ops it needs that sporen does not implement yet]} for the declared classes
    that are not available."""
    return dict(_HELD_BACK)


def __getattr__(name):
    lacking = _HELD_BACK.get(name)
    if lacking is not None:
        raise AttributeError(f"sporen.ops.operations.{name} is not available: sporen does not implement "
                             f"the op(s) it needs yet: {', '.join(lacking)}")
    raise AttributeError(f"module 'sporen.ops.operations' has no attribute '{name}'")


# MindSpore programs also reach these through P
__all__ += ["Primitive", "PrimitiveWithInfer", "PrimitiveWithCheck", "prim_attr_register", "constexpr"]

# the summary operators are Primitives with a side effect, written by hand in ops/summary.py
from ..summary import ScalarSummary, ImageSummary, TensorSummary, HistogramSummary  # noqa: E402

__all__ += ["ScalarSummary", "ImageSummary", "TensorSummary", "HistogramSummary"]
