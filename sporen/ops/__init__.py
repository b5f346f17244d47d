"""sporen.ops: the functional ops (``ops.add``), the Primitive classes (``ops.Add()``) and the
op registry."""
from . import registry
from .functional import *  # noqa: F401,F403
from .functional import __all__ as _functional_all
from . import tensor_methods as _tensor_methods  # noqa: F401  (attaches Tensor methods)
from ..autodiff.api import GradOperation
from .primitive import Primitive, PrimitiveWithInfer, PrimitiveWithCheck, prim_attr_register, constexpr
from . import operations
from .operations import *  # noqa: F401,F403  (ops.Add(), ops.MatMul(transpose_b=True)...)
from . import summary as _summary
from .summary import ScalarSummary, ImageSummary, TensorSummary, HistogramSummary


def clip_by_global_norm(x, clip_norm=1.0, use_norm=None):
    """Clip a tuple of Tensors by their global L2 norm (MindSpore's ``ops.clip_by_global_norm``)."""
    from ..nn.optim.clip import clip_by_global_norm as _impl  # nn imports ops: resolved at call time
    return _impl(x, clip_norm, use_norm)


__all__ = (list(_functional_all) + ["GradOperation", "Primitive", "PrimitiveWithInfer", "PrimitiveWithCheck",
                                    "prim_attr_register", "constexpr", "clip_by_global_norm",
                                    "ScalarSummary", "ImageSummary", "TensorSummary", "HistogramSummary"]
           + list(operations.__all__))
