"""sporen: MindSpore's API, rebuilt in Python (``import sporen as ms``)."""
__version__ = "0.1.0"

from . import dtype
from .dtype import *  # noqa: F401,F403
from .tensor import Tensor, Parameter, ParameterTuple, is_tensor, from_numpy, tensor
from .context import (GRAPH_MODE, PYNATIVE_MODE, set_context, get_context, set_seed, get_seed,
                      ParallelMode, set_auto_parallel_context, get_auto_parallel_context,
                      reset_auto_parallel_context)
from . import ops
from .autodiff.api import grad, value_and_grad, vjp, jacfwd, jacrev, get_grad

dtype_to_nptype = dtype.dtype_to_nptype
