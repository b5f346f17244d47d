"""sporen.dataset.text: MindSpore's mindspore.dataset.text — vocabularies, tokenizers (basic,
wordpiece, BERT, regex, whitespace, ...), text normalization and sequence operations."""
from .utils import *
from .transforms import *
from .vectors import *
from . import utils, transforms, vectors

__all__ = utils.__all__ + transforms.__all__ + vectors.__all__
