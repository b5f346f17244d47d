"""sporen.common: MindSpore's ``mindspore.common`` (Tensor, Parameter, dtypes, initializers, seeds)."""
from .. import dtype
from ..dtype import *  # noqa: F401,F403
from ..tensor import Tensor, Parameter, ParameterTuple
from ..context import set_seed, get_seed
from . import initializer

__all__ = (["Tensor", "Parameter", "ParameterTuple", "dtype", "set_seed", "get_seed", "initializer"]
           + list(dtype.__all__))
