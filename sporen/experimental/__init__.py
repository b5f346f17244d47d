"""sporen.experimental: MindSpore's experimental namespace (the PyTorch-like optimizers)."""
from . import optim

__all__ = ["optim"]
