"""The ``ops.xxx`` functions: thin wrappers over the primitives, gathered from each family."""
from .elementwise import *  # noqa: F401,F403
from .reduce import *  # noqa: F401,F403
from .movement import *  # noqa: F401,F403
from . import elementwise as _e, reduce as _r, movement as _m

__all__ = list(_e.__all__) + list(_r.__all__) + list(_m.__all__)
