"""sporen.nn: Cell, layers, losses, optimizers and training wrappers (MindSpore's ``mindspore.nn``)."""
from .cell import Cell
from .graph_cell import GraphCell
from . import layer, loss, optim, wrap, learning_rate_schedule, dynamic_lr
from .layer import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .optim import *  # noqa: F401,F403
from .wrap import *  # noqa: F401,F403
from .learning_rate_schedule import *  # noqa: F401,F403
from .dynamic_lr import *  # noqa: F401,F403

__all__ = (["Cell", "GraphCell"] + list(layer.__all__) + list(loss.__all__) + list(optim.__all__) + list(wrap.__all__)
           + list(learning_rate_schedule.__all__) + list(dynamic_lr.__all__))
