"""Neural-network Primitive classes (``P.ReLU``, ``P.Conv2D``, ``P.MaxPool``, ``P.BatchNorm``, losses...)
as specs over the functional ops."""
import numpy as np

from ... import dtype as mstype
from ...tensor import Tensor
from .. import functional as F
from ._base import spec

_M = "nn_ops"


def _unary(name, fn):
    spec(name, fn, None, io=(["x"], ["output"]), module=_M, direct=(fn, 1))


for _name, _fn in [("ReLU", "relu"), ("ReLU6", "relu6"), ("Sigmoid", "sigmoid"), ("Tanh", "tanh"),
                   ("Softsign", "softsign"), ("Mish", "mish"), ("SeLU", "selu"), ("HSwish", "hardswish"),
                   ("HSigmoid", "hardsigmoid"), ("FastGeLU", "fast_gelu"), ("SiLU", "silu")]:
    _unary(_name, _fn)

spec("GeLU", "gelu", lambda self, x: F.gelu(x, approximate="tanh"), module=_M)
spec("Gelu", "gelu", lambda self, x: F.gelu(x, approximate="tanh"), module=_M)
spec("FastGelu", "fast_gelu", lambda self, x: F.fast_gelu(x), module=_M)
spec("Softplus", "softplus", lambda self, x: F.softplus(x), module=_M)
spec("Elu", "elu", lambda self, x: F.elu(x, self.alpha), attrs=(("alpha", 1.0),), module=_M)
spec("CeLU", "celu", lambda self, x: F.celu(x, self.alpha), attrs=(("alpha", 1.0),), module=_M)
spec("HShrink", "hardshrink", lambda self, x: F.hardshrink(x, self.lambd), attrs=(("lambd", 0.5),), module=_M)
spec("SoftShrink", "softshrink", lambda self, x: F.softshrink(x, self.lambd), attrs=(("lambd", 0.5),),
     module=_M)
spec("PReLU", "prelu", lambda self, x, weight: F.prelu(x, weight), module=_M)


def _softmax_axis(axis):
    if isinstance(axis, (tuple, list)):
        if len(axis) != 1:
            raise ValueError(f"Softmax: 'axis' must be an int or a tuple of one int, got {axis}")
        return int(axis[0])
    return int(axis)


spec("Softmax", "softmax", lambda self, x: F.softmax(x, _softmax_axis(self.axis)), attrs=(("axis", -1),),
     module=_M)
spec("LogSoftmax", "log_softmax", lambda self, x: F.log_softmax(x, _softmax_axis(self.axis)),
     attrs=(("axis", -1),), module=_M)


def _l2_normalize(self, x):
    axis = self.axis
    if isinstance(axis, (tuple, list)):
        axis = tuple(axis)
    sq = F.sum(F.mul(x, x), axis, True)
    return F.div(x, F.sqrt(F.maximum(sq, self.epsilon)))


spec("L2Normalize", ("sum", "mul", "div", "sqrt", "maximum"), _l2_normalize,
     attrs=(("axis", 0), ("epsilon", 1e-4)), module=_M)
spec("L2Loss", ("sum", "mul"), lambda self, x: F.mul(F.sum(F.mul(x, x)), 0.5), module=_M)


# --- convolution and pooling -------------------------------------------------------------------
def _pair(name, attr, v, n=2):
    if isinstance(v, int) and not isinstance(v, bool):
        return (v,) * n
    v = tuple(v)
    if len(v) == n + 2:  # MindSpore accepts (1, 1, h, w)
        v = v[2:]
    if len(v) != n or not all(isinstance(i, int) and i > 0 for i in v):
        raise ValueError(f"{name}: '{attr}' must be a positive int or a tuple of {n}, got {v}")
    return v


def _same_pads(size, k, s, d):
    """TensorFlow/MindSpore 'same' padding: (before, after) so that out = ceil(size / stride)."""
    out = -(-size // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return total // 2, total - total // 2


def _check_conv2d(self):
    self.__dict__["_kernel"] = _pair(self.name, "kernel_size", self.kernel_size)
    self.__dict__["_stride"] = _pair(self.name, "stride", self.stride)
    self.__dict__["_dilation"] = _pair(self.name, "dilation", self.dilation)
    mode = self.pad_mode.lower()
    if mode not in ("valid", "same", "pad"):
        raise ValueError(f"{self.name}: 'pad_mode' must be 'valid', 'same' or 'pad', got {self.pad_mode!r}")
    self.__dict__["_pad_mode"] = mode
    pad = self.pad
    if isinstance(pad, int):
        pad = (pad,) * 4
    if len(pad) != 4 or any(p < 0 for p in pad):
        raise ValueError(f"{self.name}: 'pad' must be a non-negative int or a tuple of 4, got {self.pad}")
    if mode != "pad" and any(pad):
        raise ValueError(f"{self.name}: 'pad' must be 0 when 'pad_mode' is not 'pad', got {self.pad}")
    self.__dict__["_pad4"] = tuple(pad)
    if self.data_format != "NCHW":
        raise ValueError(f"{self.name}: sporen supports data_format 'NCHW' only, got {self.data_format!r}")


def _conv2d(self, x, weight):
    if self._pad_mode == "pad":
        return F.conv2d(x, weight, None, self._stride, "pad", self._pad4, self._dilation, self.group)
    return F.conv2d(x, weight, None, self._stride, self._pad_mode, 0, self._dilation, self.group)


spec("Conv2D", "conv2d", _conv2d,
     attrs=(("out_channel", 1), ("kernel_size", 1), ("mode", 1), ("pad_mode", "valid"), ("pad", 0),
            ("stride", 1), ("dilation", 1), ("group", 1), ("data_format", "NCHW")),
     check=_check_conv2d, io=(["x", "w"], ["output"]), module=_M)


def _check_pool(self):
    self.__dict__["_kernel"] = _pair(self.name, "kernel_size", self.kernel_size)
    self.__dict__["_stride"] = _pair(self.name, "strides", self.strides)
    mode = self.pad_mode.lower()
    if mode not in ("valid", "same"):
        raise ValueError(f"{self.name}: 'pad_mode' must be 'valid' or 'same', got {self.pad_mode!r}")
    self.__dict__["_pad_mode"] = mode
    if self.data_format != "NCHW":
        raise ValueError(f"{self.name}: sporen supports data_format 'NCHW' only, got {self.data_format!r}")


def _pool_pads(self, x):
    if self._pad_mode == "valid":
        return 0, 0, 0, 0
    top, bottom = _same_pads(x.shape[2], self._kernel[0], self._stride[0], 1)
    left, right = _same_pads(x.shape[3], self._kernel[1], self._stride[1], 1)
    return top, bottom, left, right


def _max_pool(self, x):
    top, bottom, left, right = _pool_pads(self, x)
    if top or bottom or left or right:
        x = F.pad(x, (left, right, top, bottom), value=float("-inf"))
    return F.max_pool2d(x, self._kernel, self._stride)


def _avg_pool(self, x):
    top, bottom, left, right = _pool_pads(self, x)
    if not (top or bottom or left or right):
        return F.avg_pool2d(x, self._kernel, self._stride)
    # 'same' averages over the window's real elements only: divide by a pooled mask
    padded = F.pad(x, (left, right, top, bottom))
    mask = F.pad(F.ones_like(x), (left, right, top, bottom))
    return F.div(F.avg_pool2d(padded, self._kernel, self._stride), F.avg_pool2d(mask, self._kernel, self._stride))


_POOL_ATTRS = (("kernel_size", 1), ("strides", 1), ("pad_mode", "valid"), ("data_format", "NCHW"))
spec("MaxPool", ("max_pool2d", "pad"), _max_pool, attrs=_POOL_ATTRS, check=_check_pool, module=_M)
spec("AvgPool", ("avg_pool2d", "pad", "ones_like", "div"), _avg_pool, attrs=_POOL_ATTRS, check=_check_pool,
     module=_M)
spec("AdaptiveAvgPool2D", "adaptive_avg_pool2d", lambda self, x: F.adaptive_avg_pool2d(x, self.output_size),
     attrs=(("output_size", 1),), module=_M)


# --- normalisation and dropout ----------------------------------------------------------------
def _batch_norm(self, x, scale, bias, mean, variance):
    axes = (0,) + tuple(range(2, x.ndim))
    if self.is_training:
        batch_mean = F.mean(x, axes)
        batch_var = F.var(x, axes)
    else:
        batch_mean = mean
        batch_var = variance
    y = F.batch_norm(x, mean, variance, scale, bias, self.is_training, self.momentum, self.epsilon)
    return y, batch_mean, batch_var, batch_mean, batch_var


spec("BatchNorm", ("batch_norm", "mean", "var"), _batch_norm,
     attrs=(("is_training", False), ("epsilon", 1e-5), ("momentum", 0.1), ("data_format", "NCHW")), module=_M)


def _layer_norm(self, x, gamma, beta):
    axis = self.begin_norm_axis % x.ndim
    axes = tuple(range(axis, x.ndim))
    mean = F.mean(x, axes, True)
    var = F.var(x, axes, 0, True)
    y = F.layer_norm(x, x.shape[axis:], gamma, beta, self.epsilon)
    return y, mean, var


spec("LayerNorm", ("layer_norm", "mean", "var"), _layer_norm,
     attrs=(("begin_norm_axis", 1), ("begin_params_axis", 1), ("epsilon", 1e-7)), module=_M)


def _check_keep_prob(self):
    if not 0 < self.keep_prob <= 1:
        raise ValueError(f"{self.name}: 'keep_prob' must be in (0, 1], got {self.keep_prob}")


def _dropout(self, x):
    mask = F.less(F.rand_like(x), self.keep_prob)
    out = F.div(F.mul(x, F.cast(mask, x.dtype)), self.keep_prob)
    return out, mask


spec("Dropout", ("rand_like", "less", "cast", "mul", "div"), _dropout,
     attrs=(("keep_prob", 0.5), ("Seed0", 0), ("Seed1", 0)), check=_check_keep_prob, module=_M)


# --- losses -----------------------------------------------------------------------------------
def _softmax_ce(self, logits, labels):
    loss = F.neg(F.sum(F.mul(labels, F.log_softmax(logits, -1)), -1))
    backprop = F.sub(F.softmax(logits, -1), labels)
    return loss, backprop


spec("SoftmaxCrossEntropyWithLogits", ("log_softmax", "softmax", "sum", "mul", "neg", "sub"), _softmax_ce,
     module=_M)


def _sparse_softmax_ce(self, logits, labels):
    n, c = logits.shape
    onehot = F.one_hot(labels, c, 1.0, 0.0)
    onehot = F.cast(onehot, logits.dtype)
    if self.is_grad:
        return F.div(F.sub(F.softmax(logits, -1), onehot), n)
    return F.mean(F.neg(F.sum(F.mul(onehot, F.log_softmax(logits, -1)), -1)))


spec("SparseSoftmaxCrossEntropyWithLogits",
     ("one_hot", "cast", "log_softmax", "softmax", "sum", "mul", "neg", "mean", "sub", "div"),
     _sparse_softmax_ce, attrs=(("is_grad", False),), module=_M)
spec("SigmoidCrossEntropyWithLogits", "binary_cross_entropy_with_logits",
     lambda self, logits, labels: F.binary_cross_entropy_with_logits(logits, labels, reduction="none"),
     module=_M)
spec("BCEWithLogitsLoss", "binary_cross_entropy_with_logits",
     lambda self, logits, label, weight, pos_weight: F.binary_cross_entropy_with_logits(
         logits, label, weight, pos_weight, self.reduction),
     attrs=(("reduction", "mean"),), module=_M)
spec("BinaryCrossEntropy", "binary_cross_entropy",
     lambda self, logits, labels, weight=None: F.binary_cross_entropy(logits, labels, weight, self.reduction),
     attrs=(("reduction", "mean"),), module=_M)
spec("SmoothL1Loss", "smooth_l1_loss",
     lambda self, prediction, target: F.smooth_l1_loss(prediction, target, self.beta, self.reduction),
     attrs=(("beta", 1.0), ("reduction", "none")), module=_M)
spec("KLDivLoss", "kl_div", lambda self, logits, labels: F.kl_div(logits, labels, self.reduction),
     attrs=(("reduction", "mean"),), module=_M)


def _nll_loss(self, logits, labels, weight):
    loss = F.nll_loss(logits, labels, weight, self.ignore_index, self.reduction)
    total = F.sum(F.gather(weight, labels, 0))
    return loss, total


spec("NLLLoss", ("nll_loss", "gather", "sum"), _nll_loss,
     attrs=(("reduction", "mean"), ("ignore_index", -100)), module=_M)


# --- random -----------------------------------------------------------------------------------
spec("StandardNormal", "standard_normal", lambda self, shape: F.standard_normal(tuple(shape)),
     attrs=(("seed", 0), ("seed2", 0)), module=_M)


def _uniform_real(self, shape):
    return F.rand(*tuple(shape), dtype=mstype.float32)


spec("UniformReal", "rand", _uniform_real, attrs=(("seed", 0), ("seed2", 0)), module=_M)
spec("UniformInt", "randint",
     lambda self, shape, minval, maxval: F.randint(int(minval), int(maxval), tuple(shape), dtype=mstype.int32),
     attrs=(("seed", 0), ("seed2", 0)), module=_M)

spec("SoftMarginLoss", "soft_margin_loss",
     lambda self, logits, labels: F.soft_margin_loss(logits, labels, self.reduction),
     attrs=(("reduction", "mean"),), module=_M)
spec("MultiMarginLoss", "multi_margin_loss",
     lambda self, x, target, weight=None: F.multi_margin_loss(x, target, self.p, self.margin, weight, self.reduction),
     attrs=(("p", 1), ("margin", 1.0), ("reduction", "mean")), module=_M)
spec("TripletMarginLoss", "triplet_margin_loss",
     lambda self, x, positive, negative, margin: F.triplet_margin_loss(
         x, positive, negative, float(margin), self.p, self.eps, self.swap, self.reduction),
     attrs=(("p", 2), ("swap", False), ("eps", 1e-6), ("reduction", "mean")), module=_M)


def _check_conv3d(self):
    mode = self.pad_mode.lower()
    if mode not in ("valid", "same", "pad"):
        raise ValueError(f"Conv3D: 'pad_mode' must be 'valid', 'same' or 'pad', got {self.pad_mode!r}")
    self.__dict__["_pad_mode"] = mode
    if self.data_format != "NCDHW":
        raise ValueError(f"Conv3D: sporen supports data_format 'NCDHW' only, got {self.data_format!r}")


def _conv3d(self, x, weight):
    stride = self.stride[2:] if isinstance(self.stride, tuple) and len(self.stride) == 5 else self.stride
    dilation = self.dilation[2:] if isinstance(self.dilation, tuple) and len(self.dilation) == 5 else self.dilation
    pad = self.pad if self._pad_mode == "pad" else 0
    return F.conv3d(x, weight, None, stride, self._pad_mode, pad, dilation, self.group)


spec("Conv3D", "conv3d", _conv3d,
     attrs=(("out_channel", 1), ("kernel_size", 1), ("mode", 1), ("pad_mode", "valid"), ("pad", 0),
            ("stride", 1), ("dilation", 1), ("group", 1), ("data_format", "NCDHW")),
     check=_check_conv3d, module=_M)


def _source_positions(n_in, n_out, align_corners, half_pixel):
    """Where each output pixel samples the input, as TensorFlow's (and MindSpore's) resize ops do."""
    out = np.arange(n_out, dtype=np.float64)
    if align_corners and n_out > 1:
        return out * ((n_in - 1) / (n_out - 1))
    scale = n_in / n_out
    if half_pixel:
        return (out + 0.5) * scale - 0.5
    return out * scale


def _nearest_axis(x, axis, n_out, align_corners, half_pixel):
    n_in = x.shape[axis]
    if align_corners and n_out > 1:
        src = np.floor(_source_positions(n_in, n_out, True, False) + 0.5)  # half away from zero
    elif half_pixel:
        src = np.floor((np.arange(n_out) + 0.5) * (n_in / n_out))
    else:
        src = np.floor(_source_positions(n_in, n_out, False, False))
    idx = np.clip(src, 0, n_in - 1).astype(np.int64)
    return F.gather(x, Tensor(idx), axis)


def _bilinear_axis(x, axis, n_out, align_corners, half_pixel):
    n_in = x.shape[axis]
    src = np.clip(_source_positions(n_in, n_out, align_corners, half_pixel), 0, n_in - 1)
    i0 = np.floor(src).astype(np.int64)
    i1 = np.minimum(i0 + 1, n_in - 1)
    shape = [1] * x.ndim
    shape[axis] = n_out
    frac = Tensor((src - i0).reshape(shape).astype(x.dtype.np))
    a = F.gather(x, Tensor(i0), axis)
    b = F.gather(x, Tensor(i1), axis)
    return F.add(a, F.mul(F.sub(b, a), frac))


def _resize(axis_fn):
    def resize(x, size, align_corners, half_pixel):
        if align_corners and half_pixel:
            raise ValueError("Resize: 'align_corners' and 'half_pixel_centers' cannot both be True")
        h, w = (int(v) for v in (size.tolist() if hasattr(size, "tolist") else size))
        return axis_fn(axis_fn(x, 2, h, align_corners, half_pixel), 3, w, align_corners, half_pixel)
    return resize


_resize_nearest = _resize(_nearest_axis)
_resize_bilinear = _resize(_bilinear_axis)
_RESIZE_NEEDS = ("gather", "add", "mul", "sub")
spec("ResizeNearestNeighbor", _RESIZE_NEEDS,
     lambda self, x: _resize_nearest(x, self.size, self.align_corners, False),
     attrs=(("size", ()), ("align_corners", False)), module=_M)
spec("ResizeNearestNeighborV2", _RESIZE_NEEDS,
     lambda self, x, size: _resize_nearest(x, size, self.align_corners, self.half_pixel_centers),
     attrs=(("align_corners", False), ("half_pixel_centers", False)), module=_M)
spec("ResizeBilinear", _RESIZE_NEEDS,
     lambda self, x: _resize_bilinear(x, self.size, self.align_corners, self.half_pixel_centers),
     attrs=(("size", ()), ("align_corners", False), ("half_pixel_centers", False)), module=_M)
spec("ResizeBilinearV2", _RESIZE_NEEDS,
     lambda self, x, size: _resize_bilinear(x, size, self.align_corners, self.half_pixel_centers),
     attrs=(("align_corners", False), ("half_pixel_centers", False)), module=_M)
spec("AdaptiveMaxPool2D", "adaptive_max_pool2d",
     lambda self, x: tuple(F.adaptive_max_pool2d(x, self.output_size, True)), attrs=(("output_size", 1),),
     module=_M)
spec("AdaptiveAvgPool3D", "adaptive_avg_pool3d", lambda self, x: F.adaptive_avg_pool3d(x, self.output_size),
     attrs=(("output_size", 1),), module=_M)



def _randperm(self, n):
    n = int(n.item()) if hasattr(n, "item") else int(n)
    if n > self.max_length:
        raise ValueError(f"Randperm: 'n' {n} must not exceed 'max_length' {self.max_length}")
    perm = F.cast(F.randperm(n), self.dtype)
    if self.max_length > n:
        perm = F.pad(perm, (0, self.max_length - n), value=self.pad)
    return perm


spec("Randperm", ("randperm", "cast", "pad"), _randperm,
     attrs=(("max_length", 1), ("pad", -1), ("dtype", mstype.int32)), module=_M)
spec("Multinomial", "multinomial",
     lambda self, x, num_samples: F.cast(F.multinomial(x, int(num_samples), True), self.dtype),
     attrs=(("seed", 0), ("seed2", 0), ("dtype", mstype.int32)), module=_M)
spec("RandomCategorical", "random_categorical",
     lambda self, logits, num_sample, seed=0: F.random_categorical(logits, int(num_sample), seed, self.dtype),
     attrs=(("dtype", mstype.int64),), module=_M)
spec("Bernoulli", "bernoulli", lambda self, x, p: F.bernoulli(x, p), attrs=(("seed", -1), ("offset", 0)),
     module=_M)


def _max_pool_with_argmax(self, x):
    if self._pad_mode != "valid":
        raise ValueError("MaxPoolWithArgmax: sporen supports pad_mode 'valid' only")
    out, idx = F.max_pool2d(x, self._kernel, self._stride, 0, 1, True)
    return out, F.cast(idx, mstype.int32)


spec("MaxPoolWithArgmax", ("max_pool2d", "cast"), _max_pool_with_argmax, attrs=_POOL_ATTRS, check=_check_pool,
     module=_M)


def _conv2d_transpose(self, dout, weight, input_size):
    """The gradient of Conv2D with respect to its input: a full transposed convolution, cropped by
    the forward padding and zero-extended to ``input_size``."""
    n, c, h, w = (int(v) for v in (input_size.tolist() if hasattr(input_size, "tolist") else input_size))
    kh, kw = weight.shape[2], weight.shape[3]
    sh, sw = self._stride
    dh, dw = self._dilation
    if self._pad_mode == "same":
        top, _ = _same_pads(h, kh, sh, dh)
        left, _ = _same_pads(w, kw, sw, dw)
    elif self._pad_mode == "pad":
        top, _, left, _ = self._pad4
    else:
        top = left = 0
    full = F.conv_transpose2d(dout, weight, None, self._stride, 0, 0, self.group, self._dilation)
    fh, fw = full.shape[2], full.shape[3]
    if fh - top < h or fw - left < w:
        full = F.pad(full, (0, max(w + left - fw, 0), 0, max(h + top - fh, 0)))
    full = F.narrow(F.narrow(full, 2, top, h), 3, left, w)
    return full


_CONV_T_ATTRS = (("out_channel", 1), ("kernel_size", 1), ("pad_mode", "valid"), ("pad", 0), ("pad_list", None),
                 ("mode", 1), ("stride", 1), ("dilation", 1), ("group", 1), ("data_format", "NCHW"))
spec("Conv2DBackpropInput", ("conv_transpose2d", "pad", "narrow"), _conv2d_transpose, attrs=_CONV_T_ATTRS,
     check=_check_conv2d, module=_M)
spec("Conv2DTranspose", ("conv_transpose2d", "pad", "narrow"), _conv2d_transpose, attrs=_CONV_T_ATTRS,
     check=_check_conv2d, module=_M)


def _channel_dropout(self, x):
    """Zero whole channels with probability 1 - keep_prob; returns (output, mask)."""
    shape = tuple(x.shape[:2]) + (1,) * (x.ndim - 2)
    mask = F.less(F.rand(*shape), self.keep_prob)
    out = F.div(F.mul(x, F.cast(mask, x.dtype)), self.keep_prob)
    return out, F.broadcast_to(mask, x.shape)


spec("Dropout2D", ("rand", "less", "cast", "mul", "div", "broadcast_to"), _channel_dropout,
     attrs=(("keep_prob", 0.5),), check=_check_keep_prob, module=_M)
spec("Dropout3D", ("rand", "less", "cast", "mul", "div", "broadcast_to"), _channel_dropout,
     attrs=(("keep_prob", 0.5),), check=_check_keep_prob, module=_M)


def _check_pool3d(self):
    self.__dict__["_kernel"] = _pair(self.name, "kernel_size", self.kernel_size, 3)
    self.__dict__["_stride"] = _pair(self.name, "strides", self.strides, 3)
    if self.pad_mode.lower() != "valid" and self.pad_mode.lower() != "pad":
        raise ValueError(f"{self.name}: sporen supports pad_mode 'valid' and 'pad', got {self.pad_mode!r}")
    pad = self.pad_list
    if isinstance(pad, int):
        pad = (pad,) * 6
    if len(pad) != 6 or pad[0::2] != pad[1::2]:
        raise ValueError(f"{self.name}: 'pad_list' must be an int or 6 ints, equal in pairs, got {self.pad_list}")
    self.__dict__["_padding"] = tuple(pad[0::2])
    if self.data_format != "NCDHW":
        raise ValueError(f"{self.name}: sporen supports data_format 'NCDHW' only, got {self.data_format!r}")


def _check_avg_pool3d(self):
    self.__dict__["pad_list"] = self.pad
    _check_pool3d(self)


_POOL3D_ATTRS = (("kernel_size", 1), ("strides", 1), ("pad_mode", "VALID"), ("pad_list", 0), ("ceil_mode", None),
                 ("data_format", "NCDHW"))
spec("MaxPool3D", "max_pool3d",
     lambda self, x: F.max_pool3d(x, self._kernel, self._stride, self._padding, 1, bool(self.ceil_mode)),
     attrs=_POOL3D_ATTRS, check=_check_pool3d, module=_M)
spec("AvgPool3D", "avg_pool3d",
     lambda self, x: F.avg_pool3d(x, self._kernel, self._stride, self._padding, bool(self.ceil_mode),
                                  self.count_include_pad, self.divisor_override),
     attrs=(("kernel_size", 1), ("strides", 1), ("pad_mode", "valid"), ("pad", 0), ("ceil_mode", False),
            ("count_include_pad", True), ("divisor_override", 0), ("data_format", "NCDHW")),
     check=_check_avg_pool3d, module=_M)


def _lrn(self, x):
    """Local response normalisation across channels: x / (bias + alpha * sum of squares over the
    2r+1 neighbouring channels) ** beta."""
    r = self.depth_radius
    sq = F.mul(x, x)
    pads = (0, 0) * (x.ndim - 2) + (r, r)
    padded = F.pad(sq, pads)
    zero = F.zeros_like(F.narrow(padded, 1, 0, 1))
    cs = F.cumsum(F.concat((zero, padded), 1), 1)
    c = x.shape[1]
    window = F.sub(F.narrow(cs, 1, 2 * r + 1, c), F.narrow(cs, 1, 0, c))
    return F.div(x, F.pow(F.add(F.mul(window, self.alpha), self.bias), self.beta))


def _check_lrn(self):
    if self.norm_region != "ACROSS_CHANNELS":
        raise ValueError(f"LRN: 'norm_region' must be 'ACROSS_CHANNELS', got {self.norm_region!r}")
    if isinstance(self.depth_radius, bool) or not isinstance(self.depth_radius, int) or self.depth_radius < 0:
        raise ValueError(f"LRN: 'depth_radius' must be a non-negative int, got {self.depth_radius}")


spec("LRN", ("mul", "pad", "zeros_like", "narrow", "cumsum", "concat", "sub", "div", "pow", "add"), _lrn,
     attrs=(("depth_radius", 5), ("bias", 1.0), ("alpha", 1.0), ("beta", 0.5), ("norm_region", "ACROSS_CHANNELS")),
     check=_check_lrn, module=_M)
