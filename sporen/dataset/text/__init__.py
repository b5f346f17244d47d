"""sporen.dataset.text: MindSpore's mindspore.dataset.text — vocabularies, tokenizers (basic,
wordpiece, BERT, regex, whitespace, ...), text normalization and sequence operations."""
from .utils import *
from .transforms import *
from . import utils, transforms

__all__ = utils.__all__ + transforms.__all__
