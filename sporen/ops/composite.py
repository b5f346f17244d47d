"""Expansions of composite primitives (softmax, layer_norm, batch_norm, the fused cross-entropies,
gelu, logsumexp) into simpler primitives. Eagerly each composite runs its own fast kernel; graph mode replaces a
composite node by its expansion, so that fusion sees the elementwise ops and reductions inside.

``EXPANSIONS[name](*inputs, **attrs)`` takes Tensors (concrete or symbolic) and the primitive's
attributes, and returns what the primitive returns (a tuple when it has several outputs). Each
expansion is checked against its primitive, values and gradients, in tests/ops/test_nn_ops_api.py.
"""
from ._helpers import tensor_like
from .registry import OPS

__all__ = []


class _Prims:
    def __getattr__(self, name):
        return OPS[name]


P = _Prims()


def _c(value, like):
    return tensor_like(value, like)


def _shift_by_max(x, axis):
    # the max only stabilises; it carries no gradient (softmax is shift-invariant)
    return P.sub(x, P.stop_gradient(P.reduce_max(x, axis=axis, keepdims=True)))


def expand_softmax(x, axis):
    """exp(x - max) / sum(exp(x - max))."""
    e = P.exp(_shift_by_max(x, axis))
    return P.div(e, P.reduce_sum(e, axis=axis, keepdims=True))


def expand_log_softmax(x, axis):
    """(x - max) - log(sum(exp(x - max)))."""
    shifted = _shift_by_max(x, axis)
    return P.sub(shifted, P.log(P.reduce_sum(P.exp(shifted), axis=axis, keepdims=True)))


def expand_layer_norm(x, gamma, beta, begin_norm_axis, begin_params_axis, epsilon):
    """(y, mean, rstd) with y = (x - mean) * rsqrt(var + eps) * gamma + beta."""
    axes = tuple(range(begin_norm_axis, x.ndim))
    mean = P.reduce_mean(x, axis=axes, keepdims=True)
    centred = P.sub(x, mean)
    var = P.reduce_mean(P.square(centred), axis=axes, keepdims=True)
    rstd = P.rsqrt(P.add(var, _c(epsilon, x)))
    y = P.add(P.mul(P.mul(centred, rstd), gamma), beta)
    return y, mean, rstd


def expand_rms_norm(x, gamma, begin_axis, epsilon):
    """(y, rstd) with y = x * rsqrt(mean(x^2) + eps) * gamma."""
    axes = tuple(range(begin_axis, x.ndim))
    rstd = P.rsqrt(P.add(P.reduce_mean(P.square(x), axis=axes, keepdims=True), _c(epsilon, x)))
    return P.mul(P.mul(x, rstd), gamma), rstd


def expand_batch_norm(x, scale, bias, mean, var, training, epsilon):
    """(y, mean, var): batch statistics (biased variance) in training, else the given ones."""
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    if training:
        axes = (0,) + tuple(range(2, x.ndim))
        mean = P.reduce_mean(x, axis=axes, keepdims=False)
        centred = P.sub(x, P.reshape(mean, shape=shape))
        var = P.reduce_mean(P.square(centred), axis=axes, keepdims=False)
    else:
        centred = P.sub(x, P.reshape(mean, shape=shape))
    k = P.mul(scale, P.rsqrt(P.add(var, _c(epsilon, var))))
    y = P.add(P.mul(centred, P.reshape(k, shape=shape)), P.reshape(bias, shape=shape))
    if not training:
        # the primitive returns copies of the running statistics; identity keeps the graph honest
        mean = P.add(mean, _c(0, mean))
        var = P.add(var, _c(0, var))
    return y, mean, var


def expand_softmax_cross_entropy(logits, labels, axis):
    """-sum(labels * log_softmax(logits)) over the class axis."""
    log_p = expand_log_softmax(logits, (axis,))
    return P.neg(P.reduce_sum(P.mul(labels, log_p), axis=(axis,), keepdims=False))


def _valid_and_hot(logits, labels, axis, ignore_index):
    c = logits.shape[axis]
    hot = P.one_hot(labels, _c(1, logits), _c(0, logits), depth=c, axis=axis)
    in_range = P.reduce_sum(hot, axis=(axis,), keepdims=False)
    valid = P.mul(in_range, P.cast(P.not_equal(labels, _c(ignore_index, labels)), dtype=logits.dtype))
    return valid, hot


def _reduce_counted(loss, valid, reduction):
    if reduction == "none":
        return loss
    axes = tuple(range(loss.ndim))
    total = P.reduce_sum(loss, axis=axes, keepdims=False)
    if reduction == "sum":
        return total
    return P.div(total, P.reduce_sum(valid, axis=axes, keepdims=False))


def expand_sparse_softmax_cross_entropy(logits, labels, axis, ignore_index, reduction):
    """-log_softmax(logits)[label] via a one-hot mask, zero for ignored or out-of-range labels,
    then reduced ('mean' over the counted labels)."""
    valid, hot = _valid_and_hot(logits, labels, axis, ignore_index)
    log_p = expand_log_softmax(logits, (axis,))
    loss = P.mul(P.neg(P.reduce_sum(P.mul(hot, log_p), axis=(axis,), keepdims=False)), valid)
    return _reduce_counted(loss, valid, reduction)


def expand_sparse_softmax_cross_entropy_grad(logits, labels, dout, axis, ignore_index, reduction):
    """(softmax(logits) - one_hot(labels)) * valid * dout (/ count for 'mean')."""
    valid, hot = _valid_and_hot(logits, labels, axis, ignore_index)
    if reduction == "mean":
        valid = P.div(valid, P.reduce_sum(valid, axis=tuple(range(valid.ndim)), keepdims=False))
    w = P.mul(valid, dout)
    shape = list(w.shape)
    shape.insert(axis, 1)
    return P.mul(P.sub(expand_softmax(logits, (axis,)), hot), P.reshape(w, shape=tuple(shape)))


def expand_sigmoid_cross_entropy(x, y):
    """max(x, 0) - x * y + log1p(exp(-|x|))."""
    relu = P.maximum(x, _c(0, x))
    # -|x| as minimum(-x, x): at x = 0 the tie sends the gradient through -x, which with relu's
    # tie (through x) gives the exact derivative sigmoid(0) - y
    neg_abs = P.minimum(P.neg(x), x)
    return P.add(P.sub(relu, P.mul(x, y)), P.log1p(P.exp(neg_abs)))


def expand_gelu(x):
    """0.5 * x * (1 + erf(x / sqrt(2)))."""
    half = _c(0.5, x)
    return P.mul(P.mul(half, x), P.add(_c(1, x), P.erf(P.mul(x, _c(0.7071067811865476, x)))))


def expand_gelu_tanh(x):
    """0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3)))."""
    inner = P.mul(P.add(x, P.mul(P.mul(P.square(x), x), _c(0.044715, x))), _c(0.7978845608028654, x))
    return P.mul(P.mul(_c(0.5, x), x), P.add(_c(1, x), P.tanh(inner)))


def expand_logsumexp(x, axis, keepdims):
    """log(sum(exp(x - max))) + max, the max replaced by 0 where it is not finite (all -inf, or an
    inf: the kernel's rule)."""
    if x.size == 0:
        return P.log(P.reduce_sum(P.exp(x), axis=axis, keepdims=keepdims))
    m = P.stop_gradient(P.reduce_max(x, axis=axis, keepdims=True))
    m = P.where(P.isfinite(m), m, _c(0, m))
    out = P.add(P.log(P.reduce_sum(P.exp(P.sub(x, m)), axis=axis, keepdims=True)), m)
    if keepdims:
        return out
    axes = {a % x.ndim for a in axis}
    return P.reshape(out, shape=tuple(s for i, s in enumerate(x.shape) if i not in axes))


def expand_silu(x):
    """x * sigmoid(x)."""
    return P.mul(x, P.sigmoid(x))


EXPANSIONS = {
    "softmax": expand_softmax,
    "log_softmax": expand_log_softmax,
    "layer_norm": expand_layer_norm,
    "rms_norm": expand_rms_norm,
    "batch_norm": expand_batch_norm,
    "softmax_cross_entropy": expand_softmax_cross_entropy,
    "sparse_softmax_cross_entropy": expand_sparse_softmax_cross_entropy,
    "sparse_softmax_cross_entropy_grad": expand_sparse_softmax_cross_entropy_grad,
    "sigmoid_cross_entropy": expand_sigmoid_cross_entropy,
    "gelu": expand_gelu,
    "gelu_tanh": expand_gelu_tanh,
    "silu": expand_silu,
    "logsumexp": expand_logsumexp,
}


def expand(name, *inputs, **attrs):
    """Run the expansion of primitive ``name`` (ValueError if it has none)."""
    fn = EXPANSIONS.get(name)
    if fn is None:
        raise ValueError(f"expand: primitive '{name}' has no expansion; expandable ones are {sorted(EXPANSIONS)}")
    return fn(*inputs, **attrs)
