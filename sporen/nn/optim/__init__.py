"""sporen.nn.optim: the optimizers (MindSpore's ``nn.optim``), one file per family."""
from .optimizer import Optimizer
from .sgd import SGD
from .momentum import Momentum
from .adam import Adam, AdamWeightDecay, LazyAdam
from .rmsprop import RMSProp
from .ada_grad import Adagrad
from .adadelta import Adadelta
from .adamax import AdaMax
from .lamb import Lamb
from .ftrl import FTRL
from .proximal_ada_grad import ProximalAdagrad
from .lars import LARS
from .rprop import Rprop
from .asgd import ASGD
from .adafactor import AdaFactor

__all__ = ["Optimizer", "SGD", "Momentum", "Adam", "AdamWeightDecay", "RMSProp", "Adagrad", "Adadelta",
           "AdaMax", "Lamb", "LazyAdam", "FTRL", "ProximalAdagrad", "LARS", "Rprop",
           "ASGD", "AdaFactor"]
