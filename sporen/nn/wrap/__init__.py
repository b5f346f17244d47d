"""sporen.nn.wrap: training wrappers and loss scaling (MindSpore's ``nn.wrap``)."""
from .cell_wrapper import (WithLossCell, WithEvalCell, WithGradCell, ForwardValueAndGrad, TrainOneStepCell,
                           ParameterUpdate)
from .loss_scale import DynamicLossScaleUpdateCell, FixedLossScaleUpdateCell, TrainOneStepWithLossScaleCell

__all__ = ["WithLossCell", "WithEvalCell", "WithGradCell", "ForwardValueAndGrad", "TrainOneStepCell",
           "ParameterUpdate", "DynamicLossScaleUpdateCell", "FixedLossScaleUpdateCell",
           "TrainOneStepWithLossScaleCell"]
