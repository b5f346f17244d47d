"""The nn layers, gathered from one file per family."""
from . import basic, container, activation, conv, pooling, normalization, embedding, rnns, transformer

__all__ = []
for _m in (basic, container, activation, conv, pooling, normalization, embedding, rnns, transformer):
    for _name in _m.__all__:
        globals()[_name] = getattr(_m, _name)
        __all__.append(_name)
del _m
