"""Loss Cells (MindSpore's ``nn.MSELoss``, ``nn.CrossEntropyLoss``...): thin Cells over the
functional losses in ``sporen.ops``, with MindSpore's constructor arguments and defaults."""
import math

import numpy as np

from .. import dtype as mstype
from ..tensor import Tensor
from ..ops import functional as F
from ..ops.loss_ops import (softmax_cross_entropy_p, sparse_softmax_cross_entropy_p, _check_reduction,
                            _check_number, _pairwise_distance, log_uniform_candidates_p)
from .cell import Cell

__all__ = ["LossBase", "L1Loss", "L1LossExt", "MSELoss", "RMSELoss", "MAELoss", "SmoothL1Loss", "HuberLoss",
           "SoftMarginLoss", "SoftmaxCrossEntropyWithLogits", "CrossEntropyLoss", "NLLLoss", "BCELoss",
           "BCEWithLogitsLoss", "KLDivLoss", "MarginRankingLoss", "CosineEmbeddingLoss", "TripletMarginLoss",
           "TripletMarginWithDistanceLoss",
           "PoissonNLLLoss", "GaussianNLLLoss", "HingeEmbeddingLoss", "MultiMarginLoss",
           "MultiLabelSoftMarginLoss", "MultilabelMarginLoss", "FocalLoss", "DiceLoss", "MultiClassDiceLoss",
           "CTCLoss", "SampledSoftmaxLoss"]


def _check_tensor(cls_name, x, argname):
    if not isinstance(x, Tensor):
        raise TypeError(f"{cls_name}: '{argname}' must be a Tensor, got {type(x).__name__}")
    return x


def _optional_tensor(cls_name, x, argname):
    if x is not None and not isinstance(x, Tensor):
        raise TypeError(f"{cls_name}: '{argname}' must be a Tensor or None, got {type(x).__name__}")
    return x


class LossBase(Cell):
    """Base class of losses: ``get_loss`` applies the weights and the reduction ('mean', 'sum' or
    'none') that subclasses choose."""

    def __init__(self, reduction="mean"):
        super().__init__()
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"{self.cls_name}: 'reduction' must be one of ['mean', 'sum', 'none'], "
                             f"got {reduction!r}")
        self.reduction = reduction
        self.average = reduction == "mean"
        self.reduce = reduction != "none"

    def get_axis(self, x):
        """Every axis of ``x``: ``(0, 1, ..., ndim - 1)``."""
        return tuple(range(x.ndim))

    def get_loss(self, x, weights=1.0):
        """``x * weights`` reduced as ``reduction`` says (computed in float32, returned in x's dtype)."""
        input_dtype = x.dtype
        x = F.cast(x, mstype.float32)
        if not (isinstance(weights, float) and weights == 1.0):
            w = F.cast(weights, mstype.float32) if isinstance(weights, Tensor) else weights
            x = F.mul(w, x)
        if self.reduce:
            axis = self.get_axis(x)
            x = F.mean(x, axis) if self.average else F.reduce_sum(x, axis)
        return F.cast(x, input_dtype)

    def construct(self, logits, labels):
        raise NotImplementedError(f"{self.cls_name} must define construct()")


class L1Loss(LossBase):
    """Mean absolute error ``|logits - labels|`` (broadcast), reduced."""

    def construct(self, logits, labels):
        return F.l1_loss(logits, labels, self.reduction)


class L1LossExt(L1Loss):
    """``|input - target|`` reduced (the mint-style L1 loss; same as L1Loss)."""

    def construct(self, input, target):
        return F.l1_loss(input, target, self.reduction)


class MSELoss(LossBase):
    """Mean squared error ``(logits - labels)**2`` (broadcast), reduced."""

    def construct(self, logits, labels):
        _check_tensor(self.cls_name, logits, "logits")
        _check_tensor(self.cls_name, labels, "labels")
        return self.get_loss(F.square(F.sub(logits, labels)))


class RMSELoss(LossBase):
    """Root mean squared error ``sqrt(mean((logits - labels)**2))``."""

    def __init__(self):
        super().__init__()
        self.MSELoss = MSELoss()

    def construct(self, logits, label):
        for argname, t in (("logits", logits), ("label", label)):
            _check_tensor(self.cls_name, t, argname)
            if t.dtype.kind == "u":
                raise TypeError(f"{self.cls_name}: '{argname}' must not be unsigned, got {t.dtype}")
        return F.sqrt(self.MSELoss(logits, label))


class MAELoss(LossBase):
    """Mean absolute error ``|logits - label|``, reduced."""

    def construct(self, logits, label):
        _check_tensor(self.cls_name, logits, "logits")
        _check_tensor(self.cls_name, label, "label")
        return self.get_loss(F.abs(F.sub(logits, label)))


class SmoothL1Loss(LossBase):
    """Smooth L1: quadratic below ``beta``, linear above. Default reduction 'none', as MindSpore."""

    def __init__(self, beta=1.0, reduction="none"):
        super().__init__(reduction)
        self.beta = _check_number(self.cls_name, beta, "beta", positive=True)

    def construct(self, logits, labels):
        return F.smooth_l1_loss(logits, labels, self.beta, self.reduction)


class HuberLoss(LossBase):
    """Huber loss: quadratic up to ``delta``, linear beyond."""

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction)
        self.delta = _check_number(self.cls_name, delta, "delta", positive=True)

    def construct(self, logits, labels):
        return F.huber_loss(logits, labels, self.reduction, self.delta)


class SoftMarginLoss(LossBase):
    """``log(1 + exp(-labels * logits))`` for labels in {-1, 1}."""

    def construct(self, logits, labels):
        return F.soft_margin_loss(logits, labels, self.reduction)


class SoftmaxCrossEntropyWithLogits(LossBase):
    """Softmax cross-entropy of logits (N, C) with one-hot/probability labels (N, C), or with
    integer class labels (N,) when ``sparse``. Default reduction 'none' gives one loss per row."""

    def __init__(self, sparse=False, reduction="none"):
        super().__init__(reduction)
        if not isinstance(sparse, (bool, np.bool_)):
            raise TypeError(f"{self.cls_name}: 'sparse' must be a bool, got {type(sparse).__name__}")
        self.sparse = bool(sparse)

    def construct(self, logits, labels):
        _check_tensor(self.cls_name, logits, "logits")
        _check_tensor(self.cls_name, labels, "labels")
        if logits.dtype.kind != "f":
            raise TypeError(f"{self.cls_name}: 'logits' must be a float tensor, got {logits.dtype}")
        axis = logits.ndim - 1
        if self.sparse:
            if labels.dtype.kind not in "iu":
                raise TypeError(f"{self.cls_name}: with sparse=True 'labels' must be int32 or int64 class "
                                f"indices, got {labels.dtype}")
            if labels.shape != logits.shape[:-1]:
                raise ValueError(f"{self.cls_name}: 'labels' must have shape {list(logits.shape[:-1])}, got "
                                 f"{list(labels.shape)}")
            x = sparse_softmax_cross_entropy_p(logits, labels, axis=axis, ignore_index=-1, reduction="none")
        else:
            if labels.shape != logits.shape:
                raise ValueError(f"{self.cls_name}: 'labels' must have the logits' shape {list(logits.shape)}, "
                                 f"got {list(labels.shape)}")
            if labels.dtype is not logits.dtype:
                labels = F.cast(labels, logits.dtype)
            x = softmax_cross_entropy_p(logits, labels, axis=axis)
        return self.get_loss(x)


class CrossEntropyLoss(LossBase):
    """Cross-entropy of logits (N, C, *) against class indices or class probabilities
    (see ``ops.cross_entropy``)."""

    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__(reduction)
        self.weight = _optional_tensor(self.cls_name, weight, "weight")
        if isinstance(ignore_index, bool) or not isinstance(ignore_index, int):
            raise TypeError(f"{self.cls_name}: 'ignore_index' must be an int, got {type(ignore_index).__name__}")
        self.ignore_index = ignore_index
        self.label_smoothing = _check_number(self.cls_name, label_smoothing, "label_smoothing")
        if not 0.0 <= self.label_smoothing <= 1.0:
            raise ValueError(f"{self.cls_name}: 'label_smoothing' must be in [0, 1], got {label_smoothing}")

    def construct(self, logits, labels):
        return F.cross_entropy(logits, labels, self.weight, self.ignore_index, self.reduction,
                               self.label_smoothing)


class NLLLoss(LossBase):
    """Negative log-likelihood of class indices under log-probabilities (N, C, *)."""

    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__(reduction)
        self.weight = _optional_tensor(self.cls_name, weight, "weight")
        if isinstance(ignore_index, bool) or not isinstance(ignore_index, int):
            raise TypeError(f"{self.cls_name}: 'ignore_index' must be an int, got {type(ignore_index).__name__}")
        self.ignore_index = ignore_index

    def construct(self, logits, labels):
        return F.nll_loss(logits, labels, self.weight, self.ignore_index, self.reduction)


class BCELoss(LossBase):
    """Binary cross-entropy of probabilities ``logits`` against ``labels``."""

    def __init__(self, weight=None, reduction="mean"):
        super().__init__(reduction)
        self.weight = _optional_tensor(self.cls_name, weight, "weight")

    def construct(self, logits, labels):
        return F.binary_cross_entropy(logits, labels, self.weight, self.reduction)


class BCEWithLogitsLoss(LossBase):
    """Binary cross-entropy of ``sigmoid(logits)`` against ``labels``, computed from the logits."""

    def __init__(self, reduction="mean", weight=None, pos_weight=None):
        super().__init__(reduction)
        self.weight = _optional_tensor(self.cls_name, weight, "weight")
        self.pos_weight = _optional_tensor(self.cls_name, pos_weight, "pos_weight")

    def construct(self, logits, labels):
        return F.binary_cross_entropy_with_logits(logits, labels, self.weight, self.pos_weight, self.reduction)


class KLDivLoss(Cell):
    """Kullback-Leibler divergence ``labels * (log(labels) - logits)``; reduction 'mean',
    'batchmean', 'sum' or 'none'."""

    def __init__(self, reduction="mean"):
        super().__init__()
        _check_reduction(self.cls_name, reduction, ("none", "mean", "sum", "batchmean"))
        self.reduction = reduction

    def construct(self, logits, labels):
        return F.kl_div(logits, labels, self.reduction)


class MarginRankingLoss(LossBase):
    """``max(0, -target * (input1 - input2) + margin)``."""

    def __init__(self, margin=0.0, reduction="mean"):
        super().__init__(reduction)
        self.margin = _check_number(self.cls_name, margin, "margin")

    def construct(self, input1, input2, target):
        return F.margin_ranking_loss(input1, input2, target, self.margin, self.reduction)


class CosineEmbeddingLoss(LossBase):
    """``1 - cos`` for similar pairs (label 1), ``max(0, cos - margin)`` for dissimilar (-1)."""

    def __init__(self, margin=0.0, reduction="mean"):
        super().__init__(reduction)
        self.margin = _check_number(self.cls_name, margin, "margin")
        if not -1.0 <= self.margin <= 1.0:
            raise ValueError(f"{self.cls_name}: 'margin' must be in [-1, 1], got {margin}")

    def construct(self, logits_x1, logits_x2, labels):
        return F.cosine_embedding_loss(logits_x1, logits_x2, labels, self.margin, self.reduction)


class TripletMarginLoss(LossBase):
    """``max(d(x, positive) - d(x, negative) + margin, 0)`` with the p-norm distance."""

    def __init__(self, p=2, swap=False, eps=1e-06, reduction="mean"):
        super().__init__(reduction)
        self.p = p
        self.swap = swap
        self.eps = eps

    def construct(self, x, positive, negative, margin=1.0):
        return F.triplet_margin_loss(x, positive, negative, margin, self.p, self.eps, self.swap, self.reduction)


class TripletMarginWithDistanceLoss(LossBase):
    """``max(d(x, positive) - d(x, negative) + margin, 0)`` with a user ``distance_function``
    (default: the Euclidean pairwise distance); ``swap`` uses ``min(d(x, n), d(p, n))``."""

    def __init__(self, distance_function=None, swap=False, margin=1.0, reduction="mean"):
        super().__init__(reduction)
        if distance_function is not None and not callable(distance_function):
            raise TypeError(f"{self.cls_name}: 'distance_function' must be callable or None, got "
                            f"{type(distance_function).__name__}")
        self.distance_function = distance_function
        self.swap = bool(swap)
        self.margin = _check_number(self.cls_name, margin, "margin", minimum=0.0)

    def _distance(self, a, b):
        if self.distance_function is None:
            return _pairwise_distance(a, b, 2, 1e-6)
        return self.distance_function(a, b)

    def construct(self, x, positive, negative):
        for argname, t in (("x", x), ("positive", positive), ("negative", negative)):
            _check_tensor(self.cls_name, t, argname)
        d_pos = self._distance(x, positive)
        d_neg = self._distance(x, negative)
        if self.swap:
            d_neg = F.minimum(d_neg, self._distance(positive, negative))
        loss = F.maximum(F.add(F.sub(d_pos, d_neg), self.margin), 0.0)
        return self.get_loss(loss)


class PoissonNLLLoss(LossBase):
    """Poisson negative log-likelihood: ``exp(x) - target * x`` for log-rate inputs (``log_input``),
    else ``x - target * log(x + eps)``; ``full`` adds Stirling's term where target > 1."""

    def __init__(self, log_input=True, full=False, eps=1e-08, reduction="mean"):
        super().__init__(reduction)
        self.log_input = bool(log_input)
        self.full = bool(full)
        self.eps = _check_number(self.cls_name, eps, "eps", positive=True)

    def construct(self, input, target):
        _check_tensor(self.cls_name, input, "input")
        _check_tensor(self.cls_name, target, "target")
        if target.dtype is not input.dtype:
            target = F.cast(target, input.dtype)
        if self.log_input:
            loss = F.sub(F.exp(input), F.mul(target, input))
        else:
            loss = F.sub(input, F.mul(target, F.log(F.add(input, self.eps))))
        if self.full:
            big = F.greater(target, 1.0)
            safe = F.select(big, target, F.mul(target, 0.0) + 1.0)
            stirling = F.add(F.sub(F.mul(safe, F.log(safe)), safe), F.mul(F.log(F.mul(safe, 2 * math.pi)), 0.5))
            loss = F.add(loss, F.select(big, stirling, F.mul(stirling, 0.0)))
        return self.get_loss(loss)


class GaussianNLLLoss(LossBase):
    """Gaussian negative log-likelihood with predicted variance ``var`` (see ``ops.gaussian_nll_loss``)."""

    def __init__(self, *, full=False, eps=1e-06, reduction="mean"):
        super().__init__(reduction)
        self.full = bool(full)
        self.eps = _check_number(self.cls_name, eps, "eps", positive=True)

    def construct(self, logits, labels, var):
        return F.gaussian_nll_loss(logits, labels, var, self.full, self.eps, self.reduction)


class HingeEmbeddingLoss(LossBase):
    """``x`` for label 1, ``max(0, margin - x)`` for label -1."""

    def __init__(self, margin=1.0, reduction="mean"):
        super().__init__(reduction)
        self.margin = _check_number(self.cls_name, margin, "margin")

    def construct(self, logits, labels):
        return F.hinge_embedding_loss(logits, labels, self.margin, self.reduction)


class MultiMarginLoss(LossBase):
    """Multi-class hinge loss (see ``ops.multi_margin_loss``)."""

    def __init__(self, p=1, margin=1.0, reduction="mean", weight=None):
        super().__init__(reduction)
        if p not in (1, 2) or isinstance(p, bool):
            raise ValueError(f"{self.cls_name}: 'p' must be 1 or 2, got {p!r}")
        self.p = p
        self.margin = _check_number(self.cls_name, margin, "margin")
        self.weight = _optional_tensor(self.cls_name, weight, "weight")

    def construct(self, x, target, weight=None):
        w = self.weight if weight is None else weight
        return F.multi_margin_loss(x, target, self.p, self.margin, w, self.reduction)


class MultiLabelSoftMarginLoss(LossBase):
    """Multi-label one-versus-all sigmoid loss, averaged over classes."""

    def __init__(self, weight=None, reduction="mean"):
        super().__init__(reduction)
        self.weight = _optional_tensor(self.cls_name, weight, "weight")

    def construct(self, x, target):
        return F.multilabel_soft_margin_loss(x, target, self.weight, self.reduction)


class MultilabelMarginLoss(LossBase):
    """Multi-label hinge loss over target index lists ended by -1."""

    def construct(self, x, target):
        return F.multilabel_margin_loss(x, target, self.reduction)


class FocalLoss(LossBase):
    """Focal loss ``-(1 - p_t)**gamma * log(p_t)`` over the class axis 1 of logits (N, C, *),
    with one-hot/probability labels (N, C, *) or class-index labels (N, 1, *); ``weight`` (C,)
    weighs the classes. Averaged over positions, then reduced."""

    def __init__(self, weight=None, gamma=2.0, reduction="mean"):
        super().__init__(reduction)
        if isinstance(gamma, bool) or not isinstance(gamma, float):
            raise TypeError(f"{self.cls_name}: 'gamma' must be a float, got {type(gamma).__name__}")
        self.gamma = gamma
        self.weight = _optional_tensor(self.cls_name, weight, "weight")
        if weight is not None and weight.ndim != 1:
            raise ValueError(f"{self.cls_name}: 'weight' must be 1-D, got shape {list(weight.shape)}")

    def construct(self, logits, labels):
        _check_tensor(self.cls_name, logits, "logits")
        _check_tensor(self.cls_name, labels, "labels")
        if logits.ndim != labels.ndim or logits.ndim < 2:
            raise ValueError(f"{self.cls_name}: 'logits' and 'labels' must have the same rank >= 2, got "
                             f"shapes {list(logits.shape)} and {list(labels.shape)}")
        if labels.dtype not in (mstype.int32, mstype.int64, mstype.float16, mstype.float32):
            raise TypeError(f"{self.cls_name}: 'labels' must be int32, int64, float16 or float32, got {labels.dtype}")
        n, c = logits.shape[0], logits.shape[1]
        index_labels = labels.shape[1] == 1
        if not index_labels and labels.shape[1] != c:
            raise ValueError(f"{self.cls_name}: 'labels' must have 1 or {c} channels, got {labels.shape[1]}")
        x = F.reshape(logits, (n, c, -1))
        log_p = F.log_softmax(x, 1)
        if index_labels:
            idx = F.cast(F.reshape(labels, (n, -1)), mstype.int64)
            hot = F.one_hot(idx, c, 1.0, 0.0, 1)
            hot = F.cast(hot, log_p.dtype)
            log_p = F.reduce_sum(F.mul(hot, log_p), 1)
        else:
            y = F.cast(F.reshape(labels, (n, c, -1)), log_p.dtype)
        prob = F.exp(log_p)
        if self.weight is not None:
            w = F.reshape(F.cast(self.weight, log_p.dtype), (1, c, 1))
            w = F.reduce_sum(F.mul(hot, w), 1) if index_labels else w
            log_p = F.mul(log_p, w)
        focal = F.pow(F.sub(1.0, prob), self.gamma)
        if index_labels:
            loss = F.mean(F.neg(F.mul(focal, log_p)), 1)
        else:
            loss = F.mean(F.neg(F.mul(F.mul(focal, y), log_p)), -1)
        return self.get_loss(loss)


class DiceLoss(LossBase):
    """``1 - 2 * sum(logits * labels) / (sum(logits**2) + sum(labels**2) + smooth)``."""

    def __init__(self, smooth=1e-05):
        super().__init__()
        self.smooth = _check_number(self.cls_name, smooth, "smooth", positive=True)

    def construct(self, logits, label):
        _check_tensor(self.cls_name, logits, "logits")
        _check_tensor(self.cls_name, label, "label")
        if logits.shape != label.shape:
            raise ValueError(f"{self.cls_name}: 'logits' and 'label' must have one shape, got "
                             f"{list(logits.shape)} and {list(label.shape)}")
        if label.dtype is not logits.dtype:
            label = F.cast(label, logits.dtype)
        intersection = F.reduce_sum(F.mul(logits, label))
        union = F.add(F.reduce_sum(F.mul(logits, logits)), F.reduce_sum(F.mul(label, label)))
        return F.sub(1.0, F.div(F.mul(intersection, 2.0), F.add(union, self.smooth)))


class MultiClassDiceLoss(LossBase):
    """The mean over channels (axis 1) of the Dice loss of each channel, after ``activation``
    ('softmax' over the last axis by default, or None); ``weights`` (C,) weighs channels and
    ``ignore_indiex`` (MindSpore's spelling) skips one."""

    def __init__(self, weights=None, ignore_indiex=None, activation="softmax"):
        super().__init__()
        self.binarydiceloss = DiceLoss(smooth=1e-5)
        self.weights = _optional_tensor(self.cls_name, weights, "weights")
        if ignore_indiex is not None and (isinstance(ignore_indiex, bool) or not isinstance(ignore_indiex, int)):
            raise TypeError(f"{self.cls_name}: 'ignore_indiex' must be an int or None, got {ignore_indiex!r}")
        self.ignore_indiex = ignore_indiex
        if activation not in ("softmax", "sigmoid", None):
            if not callable(activation):
                raise ValueError(f"{self.cls_name}: 'activation' must be 'softmax', 'sigmoid', a Cell or None, "
                                 f"got {activation!r}")
        self.activation = activation

    def construct(self, logits, label):
        _check_tensor(self.cls_name, logits, "logits")
        _check_tensor(self.cls_name, label, "label")
        if logits.shape != label.shape or logits.ndim < 2:
            raise ValueError(f"{self.cls_name}: 'logits' and 'label' must have one shape of rank >= 2, got "
                             f"{list(logits.shape)} and {list(label.shape)}")
        if self.activation == "softmax":
            logits = F.softmax(logits, -1)
        elif self.activation == "sigmoid":
            logits = F.sigmoid(logits)
        elif self.activation is not None:
            logits = self.activation(logits)
        total = None
        for i in range(label.shape[1]):
            if i == self.ignore_indiex:
                continue
            dice = self.binarydiceloss(logits[:, i], label[:, i])
            if self.weights is not None:
                dice = F.mul(dice, self.weights[i])
            total = dice if total is None else F.add(total, dice)
        return F.div(total, float(label.shape[1]))


class CTCLoss(LossBase):
    """Connectionist temporal classification loss of log-probabilities (T, N, C) (see
    ``ops.ctc_loss``)."""

    def __init__(self, blank=0, reduction="mean", zero_infinity=False):
        super().__init__(reduction)
        if isinstance(blank, bool) or not isinstance(blank, int) or blank < 0:
            raise ValueError(f"{self.cls_name}: 'blank' must be a non-negative int, got {blank!r}")
        self.blank = blank
        self.zero_infinity = bool(zero_infinity)

    def construct(self, log_probs, targets, input_lengths, target_lengths):
        loss, _ = F.ctc_loss(log_probs, targets, input_lengths, target_lengths, self.blank, self.reduction,
                             self.zero_infinity)
        return loss


class SampledSoftmaxLoss(LossBase):
    """Softmax cross-entropy over the true classes and ``num_sampled`` classes drawn from the
    log-uniform distribution (for very many classes): the logits are ``inputs @ weights[ids].T +
    biases[ids]`` minus the log of each id's expected count; sampled ids equal to a true label
    are masked out when ``remove_accidental_hits``. ``sampled_values`` may fix the sample as
    ``(sampled, true_expected_count, sampled_expected_count)``."""

    def __init__(self, num_sampled, num_classes, num_true=1, sampled_values=None, remove_accidental_hits=True,
                 seed=0, reduction="none"):
        super().__init__(reduction)
        for argname, v in (("num_sampled", num_sampled), ("num_classes", num_classes), ("num_true", num_true)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{self.cls_name}: '{argname}' must be a positive int, got {v!r}")
        if num_sampled > num_classes:
            raise ValueError(f"{self.cls_name}: 'num_sampled' ({num_sampled}) must not exceed 'num_classes' "
                             f"({num_classes})")
        if sampled_values is not None and (not isinstance(sampled_values, (list, tuple)) or len(sampled_values) != 3):
            raise TypeError(f"{self.cls_name}: 'sampled_values' must be a tuple of 3 Tensors or None")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"{self.cls_name}: 'seed' must be a non-negative int, got {seed!r}")
        self.num_sampled = num_sampled
        self.num_classes = num_classes
        self.num_true = num_true
        self.sampled_values = sampled_values
        self.remove_accidental_hits = bool(remove_accidental_hits)
        self.seed = seed

    def construct(self, weights, biases, labels, logits):
        for argname, t in (("weights", weights), ("biases", biases), ("labels", labels), ("logits", logits)):
            _check_tensor(self.cls_name, t, argname)
        if labels.dtype not in (mstype.int32, mstype.int64):
            raise TypeError(f"{self.cls_name}: 'labels' must be int32 or int64, got {labels.dtype}")
        labels = F.reshape(F.cast(labels, mstype.int64), (-1, self.num_true))
        if self.sampled_values is None:
            sampled, true_count, sampled_count = log_uniform_candidates_p(
                labels, num_true=self.num_true, num_sampled=self.num_sampled, unique=True,
                range_max=self.num_classes, seed=self.seed)
        else:
            sampled, true_count, sampled_count = self.sampled_values
            sampled = F.cast(sampled, mstype.int64)
        n, dim = logits.shape[0], weights.shape[1]
        true_w = F.reshape(F.gather(weights, F.reshape(labels, (-1,)), 0), (n, self.num_true, dim))
        true_logits = F.reduce_sum(F.mul(F.reshape(logits, (n, 1, dim)), true_w), 2)
        true_logits = F.add(true_logits, F.reshape(F.gather(biases, F.reshape(labels, (-1,)), 0), (n, self.num_true)))
        sampled_logits = F.matmul(logits, F.transpose(F.gather(weights, sampled, 0), (1, 0)))
        sampled_logits = F.add(sampled_logits, F.gather(biases, sampled, 0))
        if self.remove_accidental_hits:
            hits = F.equal(F.reshape(labels, (n, self.num_true, 1)), F.reshape(sampled, (1, 1, -1)))
            hit = F.cast(F.reduce_sum(F.cast(hits, mstype.int32), 1), mstype.bool_)
            floor = F.mul(F.ones_like(sampled_logits), float(-np.finfo(np.float32).max))
            sampled_logits = F.select(hit, F.add(sampled_logits, floor), sampled_logits)
        true_logits = F.sub(true_logits, F.log(F.cast(true_count, true_logits.dtype)))
        sampled_logits = F.sub(sampled_logits, F.log(F.cast(sampled_count, sampled_logits.dtype)))
        out_logits = F.concat((true_logits, sampled_logits), 1)
        targets = F.concat((F.div(F.ones_like(true_logits), float(self.num_true)), F.zeros_like(sampled_logits)), 1)
        targets = F.stop_gradient(targets)
        x = softmax_cross_entropy_p(out_logits, targets, axis=1)
        return self.get_loss(x)
