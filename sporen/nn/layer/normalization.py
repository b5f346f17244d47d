"""Normalization layers: BatchNorm1d/2d/3d, LayerNorm, GroupNorm, InstanceNorm1d/2d/3d
(MindSpore's ``nn.layer.normalization``)."""
import numbers

from ... import dtype as mstype
from ...ops import functional as F
from ...ops.registry import OPS
from ..cell import Cell
from .basic import _check_bool, _check_number, _make_param, _positive_int

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "SyncBatchNorm", "LayerNorm", "LayerNormExt", "GroupNorm",
           "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"]


class _BatchNorm(Cell):
    """Batch normalisation over the channel dim 1.

    ``momentum`` is MindSpore's: the weight the running statistics KEEP,
    ``moving = momentum * moving + (1 - momentum) * batch``. Parameters: gamma, beta (trainable when
    ``affine``), moving_mean, moving_variance (never trainable).
    """

    _ndims = ()
    _keep_params_dtype = True

    def __init__(self, num_features, eps=1e-5, momentum=0.9, affine=True, gamma_init="ones", beta_init="zeros",
                 moving_mean_init="zeros", moving_var_init="ones", use_batch_statistics=None, data_format="NCHW",
                 dtype=mstype.float32):
        super().__init__()
        cls = type(self).__name__
        self.num_features = _positive_int(cls, "num_features", num_features)
        _check_number(cls, "eps", eps)
        if eps <= 0:
            raise ValueError(f"{cls}: 'eps' must be positive, got {eps}")
        _check_number(cls, "momentum", momentum)
        if not 0 <= momentum <= 1:
            raise ValueError(f"{cls}: 'momentum' must be in [0, 1], got {momentum}")
        _check_bool(cls, "affine", affine)
        if use_batch_statistics is not None and not isinstance(use_batch_statistics, bool):
            raise ValueError(f"{cls}: 'use_batch_statistics' must be a bool or None, got {use_batch_statistics!r}")
        if data_format not in ("NCHW", "NCDHW"):
            raise ValueError(f"{cls}: only the channels-first data_format is supported on the CPU, got "
                             f"{data_format!r}")
        self.eps = float(eps)
        # as MindSpore stores it: the weight of the batch statistics in the update
        self.momentum = 1.0 - momentum
        self.affine = affine
        self.use_batch_statistics = use_batch_statistics
        self.format = data_format
        self.moving_mean = _make_param(cls, moving_mean_init, (num_features,), dtype, "moving_mean",
                                       requires_grad=False)
        self.moving_variance = _make_param(cls, moving_var_init, (num_features,), dtype, "moving_variance",
                                           requires_grad=False)
        self.gamma = _make_param(cls, gamma_init, (num_features,), dtype, "gamma", requires_grad=affine)
        self.beta = _make_param(cls, beta_init, (num_features,), dtype, "beta", requires_grad=affine)

    def construct(self, x):
        if x.ndim not in self._ndims:
            raise ValueError(f"{type(self).__name__}: the input must be {' or '.join(map(str, self._ndims))}-D, "
                             f"got shape {tuple(x.shape)}")
        if x.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}: the input has {x.shape[1]} channels, expected "
                             f"num_features={self.num_features}")
        training = self.training if self.use_batch_statistics is None else self.use_batch_statistics
        in_dtype = x.dtype
        if in_dtype is not self.gamma.dtype:
            # mixed precision: normalise in the parameters' precision, return the input's
            x = F.cast(x, self.gamma.dtype)
        y = F.batch_norm(x, self.moving_mean, self.moving_variance, self.gamma, self.beta, training=training,
                         momentum=self.momentum, eps=self.eps)
        return y if y.dtype is in_dtype else F.cast(y, in_dtype)

    def extend_repr(self):
        return (f"num_features={self.num_features}, eps={self.eps}, momentum={self.momentum}, gamma={self.gamma}, "
                f"beta={self.beta}, moving_mean={self.moving_mean}, moving_variance={self.moving_variance}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation over (N, C) or (N, C, L) inputs."""

    _ndims = (2, 3)

    def __init__(self, num_features, eps=1e-5, momentum=0.9, affine=True, gamma_init="ones", beta_init="zeros",
                 moving_mean_init="zeros", moving_var_init="ones", use_batch_statistics=None, dtype=mstype.float32):
        super().__init__(num_features, eps, momentum, affine, gamma_init, beta_init, moving_mean_init,
                         moving_var_init, use_batch_statistics, "NCHW", dtype)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over (N, C, H, W) inputs."""

    _ndims = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch normalisation over (N, C, D, H, W) inputs."""

    _ndims = (5,)

    def __init__(self, num_features, eps=1e-5, momentum=0.9, affine=True, gamma_init="ones", beta_init="zeros",
                 moving_mean_init="zeros", moving_var_init="ones", use_batch_statistics=None, data_format="NCDHW",
                 dtype=mstype.float32):
        super().__init__(num_features, eps, momentum, affine, gamma_init, beta_init, moving_mean_init,
                         moving_var_init, use_batch_statistics, data_format, dtype)


class SyncBatchNorm(_BatchNorm):
    """Batch normalisation whose statistics are reduced over all devices; in one process it is
    BatchNorm over (N, C) or (N, C, H, W) inputs."""

    _ndims = (2, 4)

    def __init__(self, num_features, eps=1e-5, momentum=0.9, affine=True, gamma_init="ones", beta_init="zeros",
                 moving_mean_init="zeros", moving_var_init="ones", use_batch_statistics=None, process_groups=None,
                 dtype=mstype.float32):
        super().__init__(num_features, eps, momentum, affine, gamma_init, beta_init, moving_mean_init,
                         moving_var_init, use_batch_statistics, "NCHW", dtype)
        self.process_groups = process_groups


class LayerNorm(Cell):
    """Normalise over the dims from ``begin_norm_axis`` on, scale by gamma and shift by beta
    (of shape ``normalized_shape``, applied from ``begin_params_axis``). MindSpore's epsilon is 1e-7."""

    def __init__(self, normalized_shape, begin_norm_axis=-1, begin_params_axis=-1, gamma_init="ones",
                 beta_init="zeros", epsilon=1e-7, dtype=mstype.float32):
        super().__init__()
        if not isinstance(normalized_shape, (tuple, list)):
            raise TypeError(f"LayerNorm: 'normalized_shape' must be a tuple or list, got "
                            f"{type(normalized_shape).__name__}")
        for s in normalized_shape:
            _positive_int("LayerNorm", "normalized_shape", s)
        for name, v in (("begin_norm_axis", begin_norm_axis), ("begin_params_axis", begin_params_axis)):
            if isinstance(v, bool) or not isinstance(v, numbers.Integral):
                raise TypeError(f"LayerNorm: '{name}' must be an int, got {type(v).__name__}")
        _check_number("LayerNorm", "epsilon", epsilon)
        self.normalized_shape = tuple(int(s) for s in normalized_shape)
        self.begin_norm_axis = int(begin_norm_axis)
        self.begin_params_axis = int(begin_params_axis)
        self.epsilon = float(epsilon)
        self.gamma = _make_param("LayerNorm", gamma_init, self.normalized_shape, dtype, "gamma")
        self.beta = _make_param("LayerNorm", beta_init, self.normalized_shape, dtype, "beta")

    def construct(self, input_x):
        n = input_x.ndim
        norm_axis = self.begin_norm_axis + n if self.begin_norm_axis < 0 else self.begin_norm_axis
        params_axis = self.begin_params_axis + n if self.begin_params_axis < 0 else self.begin_params_axis
        if not 0 <= norm_axis < n or not 0 <= params_axis < n:
            raise ValueError(f"LayerNorm: 'begin_norm_axis' {self.begin_norm_axis} and 'begin_params_axis' "
                             f"{self.begin_params_axis} must be in [-{n}, {n}) for a {n}-D input")
        if tuple(input_x.shape[params_axis:]) != self.normalized_shape:
            raise ValueError(f"LayerNorm: the input's dims from begin_params_axis {tuple(input_x.shape[params_axis:])} "
                             f"must equal normalized_shape {self.normalized_shape}")
        gamma = self.gamma
        beta = self.beta
        if gamma.dtype is not input_x.dtype:
            gamma = F.cast(gamma, input_x.dtype)
            beta = F.cast(beta, input_x.dtype)
        return OPS["layer_norm"](input_x, gamma, beta, begin_norm_axis=norm_axis, begin_params_axis=params_axis,
                                 epsilon=self.epsilon)[0]

    def extend_repr(self):
        return (f"normalized_shape={self.normalized_shape}, begin_norm_axis={self.begin_norm_axis}, "
                f"begin_params_axis={self.begin_params_axis}, gamma{self.gamma}, beta={self.beta}")


class LayerNormExt(Cell):
    """The PyTorch-style layer norm (``mint.nn.LayerNorm``): parameters ``weight`` and ``bias`` of
    shape ``normalized_shape``, eps 1e-5."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral) and not isinstance(normalized_shape, bool):
            normalized_shape = (int(normalized_shape),)
        if not isinstance(normalized_shape, (tuple, list)):
            raise TypeError(f"LayerNormExt: 'normalized_shape' must be an int or a tuple of ints, got "
                            f"{type(normalized_shape).__name__}")
        self.normalized_shape = tuple(_positive_int("LayerNormExt", "normalized_shape", s) for s in normalized_shape)
        self.eps = float(_check_number("LayerNormExt", "eps", eps))
        self.elementwise_affine = _check_bool("LayerNormExt", "elementwise_affine", elementwise_affine)
        dt = mstype.float32 if dtype is None else dtype
        self.weight = None
        self.bias = None
        if elementwise_affine:
            self.weight = _make_param("LayerNormExt", "ones", self.normalized_shape, dt, "weight")
            if bias:
                self.bias = _make_param("LayerNormExt", "zeros", self.normalized_shape, dt, "bias")

    def construct(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extend_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class GroupNorm(Cell):
    """Split the channels into ``num_groups`` groups, normalise each over its channels and spatial
    positions, then scale and shift per channel."""

    def __init__(self, num_groups, num_channels, eps=1e-05, affine=True, gamma_init="ones", beta_init="zeros",
                 dtype=mstype.float32):
        super().__init__()
        self.num_groups = _positive_int("GroupNorm", "num_groups", num_groups)
        self.num_channels = _positive_int("GroupNorm", "num_channels", num_channels)
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: 'num_channels' ({num_channels}) must be divisible by 'num_groups' "
                             f"({num_groups})")
        _check_number("GroupNorm", "eps", eps)
        self.eps = float(eps)
        self.affine = _check_bool("GroupNorm", "affine", affine)
        self.gamma = _make_param("GroupNorm", gamma_init, (num_channels,), dtype, "gamma", requires_grad=affine)
        self.beta = _make_param("GroupNorm", beta_init, (num_channels,), dtype, "beta", requires_grad=affine)

    def construct(self, x):
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise ValueError(f"GroupNorm: the input must be (N, {self.num_channels}, ...), got shape "
                             f"{tuple(x.shape)}")
        return F.group_norm(x, self.num_groups, self.gamma, self.beta, self.eps)

    def extend_repr(self):
        return f"num_groups={self.num_groups}, num_channels={self.num_channels}, eps={self.eps}, affine={self.affine}"


class _InstanceNorm(Cell):
    """Normalise each sample's channels over their spatial positions."""

    _ndims = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, gamma_init="ones", beta_init="zeros",
                 dtype=mstype.float32):
        super().__init__()
        cls = type(self).__name__
        self.num_features = _positive_int(cls, "num_features", num_features)
        _check_number(cls, "eps", eps)
        _check_number(cls, "momentum", momentum)
        if not 0 <= momentum <= 1:
            raise ValueError(f"{cls}: 'momentum' must be in [0, 1], got {momentum}")
        self.eps = float(eps)
        self.momentum = momentum
        self.affine = _check_bool(cls, "affine", affine)
        self.gamma = _make_param(cls, gamma_init, (num_features,), dtype, "gamma", requires_grad=affine)
        self.beta = _make_param(cls, beta_init, (num_features,), dtype, "beta", requires_grad=affine)

    def construct(self, x):
        if x.ndim not in self._ndims or x.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}: the input must be {self._ndims[0]}-D with "
                             f"{self.num_features} channels, got shape {tuple(x.shape)}")
        return F.group_norm(x, self.num_features, self.gamma, self.beta, self.eps)

    def extend_repr(self):
        return f"num_features={self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}"


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation over (N, C, L) inputs."""

    _ndims = (3,)


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation over (N, C, H, W) inputs."""

    _ndims = (4,)


class InstanceNorm3d(_InstanceNorm):
    """Instance normalisation over (N, C, D, H, W) inputs."""

    _ndims = (5,)
