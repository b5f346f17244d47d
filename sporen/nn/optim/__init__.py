"""sporen.nn.optim: the optimizers (MindSpore's ``nn.optim``), one file per family."""
from .optimizer import Optimizer
from .sgd import SGD
from .momentum import Momentum
from .adam import Adam, AdamWeightDecay
from .rmsprop import RMSProp
from .ada_grad import Adagrad
from .adadelta import Adadelta
from .adamax import AdaMax
from .lamb import Lamb

__all__ = ["Optimizer", "SGD", "Momentum", "Adam", "AdamWeightDecay", "RMSProp", "Adagrad", "Adadelta",
           "AdaMax", "Lamb"]
