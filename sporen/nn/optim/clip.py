"""ops.clip_by_global_norm: scale a tuple of tensors so that their joint L2 norm is at most
``clip_norm`` (written with sporen ops, so it is differentiable and traceable)."""
import numbers

import numpy as np

from ...tensor import Tensor

__all__ = ["clip_by_global_norm"]


def clip_by_global_norm(x, clip_norm=1.0, use_norm=None):
    r"""Clip a tuple of Tensors by the ratio of ``clip_norm`` to their global norm:
    ``x_i * clip_norm / max(global_norm, clip_norm)`` with
    ``global_norm = sqrt(sum_i ||x_i||^2)`` (MindSpore's ``ops.clip_by_global_norm``).

    x: a tuple or list of Tensors; clip_norm: a number > 0 or a 0-d float Tensor; use_norm must be
    None (as in MindSpore). Returns a tuple of Tensors.
    """
    from ...ops import functional as F
    if isinstance(x, Tensor) or not isinstance(x, (tuple, list)):
        raise TypeError(f"clip_by_global_norm: 'x' must be a tuple or list of Tensors, got {type(x).__name__}")
    for i, t in enumerate(x):
        if not isinstance(t, Tensor):
            raise TypeError(f"clip_by_global_norm: 'x[{i}]' must be a Tensor, got {type(t).__name__}")
    if use_norm is not None:
        raise ValueError(f"clip_by_global_norm: 'use_norm' only supports None now, got {use_norm!r}")
    if isinstance(clip_norm, Tensor):
        clip_value = float(clip_norm.asnumpy().reshape(-1)[0])
    elif isinstance(clip_norm, numbers.Real) and not isinstance(clip_norm, bool):
        clip_value = float(clip_norm)
    else:
        raise TypeError(f"clip_by_global_norm: 'clip_norm' must be a float or a Tensor, "
                        f"got {type(clip_norm).__name__}")
    if not clip_value > 0:
        raise ValueError(f"clip_by_global_norm: 'clip_norm' must be > 0, got {clip_value}")
    if not x:
        return ()
    total = None
    for t in x:
        square_sum = F.reduce_sum(F.mul(t, t))
        total = square_sum if total is None else F.add(total, square_sum)
    global_norm = F.sqrt(total)
    clip = Tensor._wrap(np.array(clip_value, dtype=global_norm._data.dtype))
    scale = F.div(clip, F.maximum(global_norm, clip))
    out = []
    for t in x:
        s = scale if scale.dtype == t.dtype else F.cast(scale, t.dtype)
        out.append(F.mul(t, s))
    return tuple(out)
