"""sporen.dataset.vision: MindSpore's mindspore.dataset.vision — image transforms on numpy arrays
and PIL images (Pillow decodes and does colour work; numpy resamples as OpenCV does)."""
from .utils import *
from .transforms import *
from .color import *
from .augment import *
from .affine import *
from .policies import *
from .bbox import *
from .crops import *
from ..transforms._base import not_random
from . import utils, transforms

__all__ = (utils.__all__ + transforms.__all__ + color.__all__ + augment.__all__ + affine.__all__
           + policies.__all__ + bbox.__all__ + crops.__all__ + ["not_random"])
