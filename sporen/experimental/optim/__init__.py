"""sporen.experimental.optim: the PyTorch-like optimizers (``param_groups``, ``step()``)."""
from ...nn.optim.experimental import Optimizer, SGD, Adam, AdamW, RMSprop, Adagrad

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad"]
