"""sporen.dataset: MindSpore's mindspore.dataset — data sources, a pipelined engine of operations
(map, batch, shuffle, ...), samplers, transforms (vision, text, transforms), MindRecord and a cache."""
from . import config
from .engine import *
from .samplers import *
from .sources import *
from .mind_dataset import *
from .cache import *
from . import transforms, vision, text
