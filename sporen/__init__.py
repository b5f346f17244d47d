"""sporen: MindSpore's API, rebuilt in Python (``import sporen as ms``)."""
__version__ = "0.1.0"

from . import dtype
from .dtype import *  # noqa: F401,F403
from .tensor import Tensor, Parameter, ParameterTuple, is_tensor, from_numpy, tensor
from .context import (GRAPH_MODE, PYNATIVE_MODE, STRICT, COMPATIBLE, LAX, set_context, get_context,
                      set_seed, get_seed, manual_seed, initial_seed, seed, get_rng_state, set_rng_state,
                      ParallelMode, set_auto_parallel_context, get_auto_parallel_context,
                      reset_auto_parallel_context, set_ps_context, get_ps_context, reset_ps_context,
                      set_algo_parameters, get_algo_parameters, reset_algo_parameters, set_device,
                      set_deterministic)
from . import context, ops, common, nn, train
from .autodiff.api import grad, value_and_grad, vjp, jacfwd, jacrev, get_grad
from .frontend import jit
from .frontend.dynamic import enable_dynamic
from .train.serialization import (save_checkpoint, load_checkpoint, load_checkpoint_async, load_param_into_net,
                                  ckpt_to_safetensors, safetensors_to_ckpt)
from .train.export import export, load
from .train import (Model, Callback, RunContext, CheckpointConfig, ModelCheckpoint, History, LambdaCallback,
                    LearningRateScheduler, LossMonitor, TimeMonitor, EarlyStopping, ReduceLROnPlateau,
                    SummaryCollector, SummaryRecord, LossScaleManager, FixedLossScaleManager, DynamicLossScaleManager,
                    Metric, Accuracy, Precision, Recall, F1, Fbeta, Loss, MAE, MSE, ROC, auc, BleuScore,
                    ConfusionMatrix, ConfusionMatrixMetric, CosineSimilarity, Dice, HausdorffDistance,
                    MeanSurfaceDistance, RootMeanSquareDistance, OcclusionSensitivity, Perplexity,
                    Top1CategoricalAccuracy, Top5CategoricalAccuracy, TopKCategoricalAccuracy, get_metric_fn, names,
                    rearrange_inputs)
from .runtime import eager as _eager

_eager.install()  # PyNative's convolutions and pools on native kernels while the backend is "cpu"

dtype_to_nptype = dtype.dtype_to_nptype
dtype_to_pytype = dtype.dtype_to_pytype
pytype_to_dtype = dtype.pytype_to_dtype
get_py_obj_dtype = dtype.get_py_obj_dtype


def run_check():
    """Check the installation by running a small computation (MindSpore's ``run_check``)."""
    import numpy as np
    x = Tensor(np.ones((2, 2), np.float32))
    y = ops.add(x, x)
    if not np.array_equal(y.asnumpy(), np.full((2, 2), 2, np.float32)):
        raise RuntimeError("sporen: the installation check computed a wrong result")
    print(f"sporen version: {__version__}")
    print("The result of multiplication calculation is correct, sporen has been installed on platform [CPU] "
          "successfully!")
