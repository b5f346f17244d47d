"""sporen.dataset.transforms: MindSpore's mindspore.dataset.transforms — general column operations
(Compose, TypeCast, OneHot, Fill, Mask, PadEnd, Slice, ...) and random combinators of transforms."""
from ._base import not_random, TensorOperation, PyTensorOperation
from .transforms import *
from . import transforms as _transforms_module

__all__ = _transforms_module.__all__ + ["not_random"]
