"""sporen.train: checkpoints (MindSpore's ``mindspore.train`` serialization); Model and callbacks
join it later."""
from . import serialization
from .serialization import (save_checkpoint, load_checkpoint, load_checkpoint_async, load_param_into_net,
                            ckpt_to_safetensors, safetensors_to_ckpt)
from .export import export, load

__all__ = ["save_checkpoint", "load_checkpoint", "load_checkpoint_async", "load_param_into_net",
           "ckpt_to_safetensors", "safetensors_to_ckpt", "serialization", "export", "load"]
