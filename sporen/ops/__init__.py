"""sporen.ops: the functional ops (``ops.add``), the Primitive classes (``ops.Add()``) and the
op registry."""
from . import registry
from .functional import *  # noqa: F401,F403
from .functional import __all__ as _functional_all
from . import tensor_methods as _tensor_methods  # noqa: F401  (attaches Tensor methods)
from ..autodiff.api import GradOperation

__all__ = list(_functional_all) + ["GradOperation"]
