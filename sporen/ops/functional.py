"""The ``ops.xxx`` functions: thin wrappers over the primitives, gathered from each family."""
from . import elementwise as _elementwise
from . import reduce as _reduce
from . import activation as _activation
from . import movement as _movement
from . import gather_scatter as _gather_scatter
from . import indexing as _indexing
from . import creation as _creation
from . import linalg as _linalg
from . import conv as _conv
from . import nn_ops as _nn_ops
from . import loss_ops as _loss_ops
from . import random as _random
from . import composite as _composite
from . import control as _control  # noqa: F401  (registers if, while, while_grad; no ops.xxx names)

__all__ = []
_FAMILIES = (_elementwise, _reduce, _activation, _movement, _gather_scatter, _indexing, _creation, _linalg,
             _conv, _nn_ops, _loss_ops, _random, _composite)
for _m in _FAMILIES:
    for _name in _m.__all__:
        globals()[_name] = getattr(_m, _name)
        __all__.append(_name)
del _m
