"""Random primitives, reproducible under ``sporen.set_seed``: uniform, normal, integers, bernoulli,
gamma, poisson, multinomial, permutations; and MindSpore's sampling functions over them.

Why primitives and not plain functions that return fresh Tensors: inside a compiled graph a
sampling function would run once at trace time and its numbers would become constants, the same
every step. As primitives they are nodes that draw new numbers each time the graph runs. Their
kernels are impure (they advance a generator), so graph passes must never fold, deduplicate or
hoist an op of family "random". Seeding: ``seed=None`` draws from the global generator that
``set_seed`` resets; an explicit ``seed`` draws from a stream of its own for that function and
seed (derived from the global seed, and reset with it), which advances from call to call as
MindSpore's seeded random kernels do. None is differentiable: gradients with respect to a
distribution's parameters come from the composites (``normal`` is ``mean + stddev * N(0, 1)``)."""
import numbers

import numpy as np

from .. import context as _context
from .. import dtype as mstype
from ..tensor import Tensor
from ._helpers import check_tensor
from .registry import NOT_DIFFERENTIABLE, Aval, register

__all__ = ["uniform", "standard_normal", "normal", "rand", "randn", "rand_like", "randn_like", "randint",
           "randint_like", "bernoulli", "multinomial", "randperm", "shuffle", "random_categorical", "gamma",
           "random_gamma", "poisson", "random_poisson", "standard_laplace", "laplace"]

_STREAMS = {}


def _generator(seed):
    """The numpy Generator for a kernel's ``seed`` attribute: None (the global generator),
    ``("stream", name, s)`` (a per-function stream) or ``("fixed", s, offset)`` (a fresh generator
    each call, for MindSpore's ops whose seed fixes the result, such as randperm)."""
    state = _context.RANDOM
    if seed is None:
        return state.generator
    if seed[0] == "fixed":
        return np.random.default_rng([seed[1], seed[2]])
    entry = _STREAMS.get(seed)
    if entry is None or entry[0] is not state.generator:
        global_seed = 0 if state.seed is None else state.seed
        entry = (state.generator, np.random.default_rng([global_seed, seed[2]]))
        _STREAMS[seed] = entry
    return entry[1]


def _float_sample(sample, shape, dtype):
    # numpy's samplers produce float32 or float64 only
    npd = dtype.np
    if npd in (np.float32, np.float64):
        return sample(shape, npd)
    return sample(shape, np.float32).astype(npd)


def _shape_rule(name):
    def rule(*avals, shape, dtype, seed):
        return Aval(shape, dtype)
    rule.__name__ = f"shape[{name}]"
    return rule


def _register(name, infer, kernel, nout=1):
    return register(name, infer=infer, kernel=kernel, bprop=NOT_DIFFERENTIABLE, nout=nout, family="random")


random_uniform_p = _register(
    "random_uniform", _shape_rule("random_uniform"),
    lambda shape, dtype, seed: _float_sample(lambda s, d: _generator(seed).random(s, dtype=d), shape, dtype))
random_normal_p = _register(
    "random_normal", _shape_rule("random_normal"),
    lambda shape, dtype, seed: _float_sample(lambda s, d: _generator(seed).standard_normal(s, dtype=d), shape,
                                             dtype))
random_randint_p = _register(
    "random_randint", lambda *avals, low, high, shape, dtype, seed: Aval(shape, dtype),
    lambda low, high, shape, dtype, seed: _generator(seed).integers(low, high, size=shape, dtype=dtype.np))


def _bernoulli_rule(p, dtype, seed):
    return Aval(p.shape, dtype)


random_bernoulli_p = _register(
    "random_bernoulli", _bernoulli_rule,
    lambda p, dtype, seed: (_generator(seed).random(p.shape) < p).astype(dtype.np))


def _broadcast_param_rule(name):
    def rule(param, shape, dtype, seed):
        return Aval(shape, dtype)
    rule.__name__ = f"param[{name}]"
    return rule


random_gamma_p = _register(
    "random_gamma", _broadcast_param_rule("random_gamma"),
    lambda alpha, shape, dtype, seed: _generator(seed).standard_gamma(np.broadcast_to(alpha, shape)).astype(dtype.np))
random_poisson_p = _register(
    "random_poisson", _broadcast_param_rule("random_poisson"),
    lambda rate, shape, dtype, seed: _generator(seed).poisson(np.broadcast_to(rate, shape)).astype(dtype.np))


def _multinomial_kernel(probs, num_samples, replacement, seed):
    gen = _generator(seed)
    rows = probs.reshape(-1, probs.shape[-1]).astype(np.float64)
    out = np.empty((rows.shape[0], num_samples), np.int64)
    for i, row in enumerate(rows):
        out[i] = gen.choice(row.shape[0], size=num_samples, replace=replacement, p=row / row.sum())
    return out.reshape(probs.shape[:-1] + (num_samples,))


def _multinomial_rule(probs, num_samples, replacement, seed):
    return Aval(tuple(probs.shape[:-1]) + (num_samples,), mstype.int64)


random_multinomial_p = _register("random_multinomial", _multinomial_rule, _multinomial_kernel)
random_permutation_p = _register(
    "random_permutation", lambda *avals, n, dtype, seed: Aval((n,), dtype),
    lambda n, dtype, seed: _generator(seed).permutation(n).astype(dtype.np))
random_shuffle_p = _register(
    "random_shuffle", lambda x, seed: Aval(x.shape, x.dtype),
    lambda x, seed: _generator(seed).permutation(x) if x.ndim else x.copy())


# --- argument checks -----------------------------------------------------------------------------
def _seed(name, seed):
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{name}: 'seed' must be an int or None, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"{name}: 'seed' must be non-negative, got {seed}")
    return ("stream", name, int(seed))


def _shape(name, shape, argname="shape"):
    if isinstance(shape, Tensor):
        shape = tuple(int(v) for v in shape.asnumpy().reshape(-1))
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (int(shape),)
    if not isinstance(shape, (tuple, list)):
        raise TypeError(f"{name}: '{argname}' must be a tuple of ints, got {type(shape).__name__}")
    for s in shape:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0:
            raise ValueError(f"{name}: '{argname}' must hold non-negative ints, got {list(shape)}")
    return tuple(int(s) for s in shape)


def _size(name, size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    return _shape(name, size, "size")


def _float_dtype(name, dtype, default=mstype.float32):
    t = default if dtype is None else mstype.to_dtype(dtype)
    if t.kind != "f":
        raise TypeError(f"{name}: 'dtype' must be a float dtype, got {t}")
    return t


def _param(name, value, argname, dtype):
    if isinstance(value, Tensor):
        return value if value._data.dtype == dtype.np else Tensor._wrap(value._data.astype(dtype.np))
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return Tensor._wrap(np.array(value, dtype=dtype.np))
    raise TypeError(f"{name}: '{argname}' must be a Tensor or a number, got {type(value).__name__}")


def _ops():
    from . import elementwise
    return elementwise


# --- continuous distributions -----------------------------------------------------------------------
def rand(*size, dtype=None, seed=None):
    """Uniform samples in [0, 1) of shape ``size`` (float32 by default)."""
    return random_uniform_p(shape=_size("rand", size), dtype=_float_dtype("rand", dtype), seed=_seed("rand", seed))


def randn(*size, dtype=None, seed=None):
    """Standard normal samples of shape ``size`` (float32 by default)."""
    return random_normal_p(shape=_size("randn", size), dtype=_float_dtype("randn", dtype), seed=_seed("randn", seed))


def rand_like(input, seed=None, *, dtype=None):
    """Uniform samples in [0, 1) shaped like ``input`` (its dtype by default)."""
    check_tensor("rand_like", input)
    d = dtype if dtype is not None else (input.dtype if input.dtype.kind == "f" else None)
    return random_uniform_p(shape=tuple(input.shape), dtype=_float_dtype("rand_like", d),
                            seed=_seed("rand_like", seed))


def randn_like(input, seed=None, *, dtype=None):
    """Standard normal samples shaped like ``input`` (its dtype by default)."""
    check_tensor("randn_like", input)
    d = dtype if dtype is not None else (input.dtype if input.dtype.kind == "f" else None)
    return random_normal_p(shape=tuple(input.shape), dtype=_float_dtype("randn_like", d),
                           seed=_seed("randn_like", seed))


def standard_normal(shape, seed=None):
    """Standard normal float32 samples of ``shape``."""
    return random_normal_p(shape=_shape("standard_normal", shape), dtype=mstype.float32,
                           seed=_seed("standard_normal", seed))


def _broadcast_shape(name, *shapes):
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise ValueError(f"{name}: 'shape' {list(shapes[0])} cannot be broadcast with the parameters' shapes "
                         f"{[list(s) for s in shapes[1:]]}") from None


def uniform(shape, minval, maxval, seed=None, dtype=mstype.float32):
    """Uniform samples in ``[minval, maxval)``; ``dtype`` int32 gives integers (one-element
    bounds), float32 reals (bounds broadcast with ``shape``)."""
    shape = _shape("uniform", shape)
    t = mstype.to_dtype(dtype)
    check_tensor("uniform", minval, "minval")
    check_tensor("uniform", maxval, "maxval")
    s = _seed("uniform", seed)
    if t.kind in "iu":
        if minval.size != 1 or maxval.size != 1:
            raise ValueError("uniform: integer 'minval' and 'maxval' must each hold one number")
        low, high = int(minval.item()), int(maxval.item())
        if low >= high:
            raise ValueError(f"uniform: 'minval' must be less than 'maxval', got {low} and {high}")
        return random_randint_p(low=low, high=high, shape=shape, dtype=t, seed=s)
    if t.kind != "f":
        raise TypeError(f"uniform: 'dtype' must be int32 or a float dtype, got {t}")
    out_shape = _broadcast_shape("uniform", shape, minval.shape, maxval.shape)
    E = _ops()
    lo = _param("uniform", minval, "minval", t)
    hi = _param("uniform", maxval, "maxval", t)
    u = random_uniform_p(shape=out_shape, dtype=t, seed=s)
    return E.add_p(lo, E.mul_p(u, E.sub_p(hi, lo)))


def normal(shape, mean, stddev, seed=None):
    """Normal samples ``mean + stddev * N(0, 1)``, shape broadcast from ``shape``, ``mean`` and
    ``stddev`` (Tensors or numbers); differentiable with respect to ``mean`` and ``stddev``."""
    shape = _shape("normal", shape)
    t = mstype.float32
    for v in (mean, stddev):
        if isinstance(v, Tensor) and v.dtype.kind == "f":
            t = mstype.promote(t, v.dtype) if t is not mstype.float32 else v.dtype
    m = _param("normal", mean, "mean", t)
    sd = _param("normal", stddev, "stddev", t)
    out_shape = _broadcast_shape("normal", shape, m.shape, sd.shape)
    E = _ops()
    z = random_normal_p(shape=out_shape, dtype=t, seed=_seed("normal", seed))
    return E.add_p(m, E.mul_p(z, sd))


def standard_laplace(shape, seed=None):
    """Standard Laplace float32 samples: ``-sign(u) * log(1 - 2|u|)`` for ``u`` uniform in (-1/2, 1/2)."""
    shape = _shape("standard_laplace", shape)
    E = _ops()
    u = E.sub_p(random_uniform_p(shape=shape, dtype=mstype.float32, seed=_seed("standard_laplace", seed)),
                E._const(0.5, Tensor._wrap(np.zeros((), np.float32))))
    one = Tensor._wrap(np.array(1.0, np.float32))
    mag = E.log_p(E.sub_p(one, E.mul_p(E.abs_p(u), Tensor._wrap(np.array(2.0, np.float32)))))
    return E.neg_p(E.mul_p(E.sign_p(u), mag))


def laplace(shape, mean, lambda_param, seed=None):
    """Laplace samples ``mean + lambda_param * standard_laplace``."""
    E = _ops()
    z = standard_laplace(shape, seed)
    m = _param("laplace", mean, "mean", mstype.float32)
    b = _param("laplace", lambda_param, "lambda_param", mstype.float32)
    return E.add_p(m, E.mul_p(z, b))


def gamma(shape, alpha, beta, seed=None):
    """Gamma samples with shape ``alpha`` and rate ``beta``; the output shape broadcasts ``shape``
    with both parameters'."""
    shape = _shape("gamma", shape)
    check_tensor("gamma", alpha, "alpha")
    check_tensor("gamma", beta, "beta")
    t = alpha.dtype if alpha.dtype.kind == "f" else mstype.float32
    out_shape = _broadcast_shape("gamma", shape, alpha.shape, beta.shape)
    a = _param("gamma", alpha, "alpha", t)
    b = _param("gamma", beta, "beta", t)
    E = _ops()
    g = random_gamma_p(a, shape=out_shape, dtype=t, seed=_seed("gamma", seed))
    return E.div_p(g, b)


def random_gamma(shape, alpha, seed=None):
    """Gamma(alpha, 1) samples of shape ``shape + alpha.shape``."""
    shape = _shape("random_gamma", shape)
    check_tensor("random_gamma", alpha, "alpha")
    t = alpha.dtype if alpha.dtype.kind == "f" else mstype.float32
    return random_gamma_p(_param("random_gamma", alpha, "alpha", t), shape=shape + tuple(alpha.shape), dtype=t,
                          seed=_seed("random_gamma", seed))


def poisson(shape, mean, seed=None):
    """Poisson float32 samples with rate ``mean``, shape broadcast from ``shape`` and ``mean``'s."""
    shape = _shape("poisson", shape)
    check_tensor("poisson", mean, "mean")
    out_shape = _broadcast_shape("poisson", shape, mean.shape)
    return random_poisson_p(_param("poisson", mean, "mean", mstype.float64), shape=out_shape, dtype=mstype.float32,
                            seed=_seed("poisson", seed))


def random_poisson(shape, rate, seed=None, dtype=mstype.float32):
    """Poisson samples of shape ``shape + rate.shape`` as ``dtype``."""
    shape = _shape("random_poisson", shape)
    check_tensor("random_poisson", rate, "rate")
    return random_poisson_p(_param("random_poisson", rate, "rate", mstype.float64),
                            shape=shape + tuple(rate.shape), dtype=mstype.to_dtype(dtype),
                            seed=_seed("random_poisson", seed))


# --- discrete ---------------------------------------------------------------------------------------
def randint(low, high, size, seed=None, *, dtype=None):
    """Integers uniform in ``[low, high)`` of shape ``size`` (int64 by default)."""
    for argname, v in (("low", low), ("high", high)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"randint: '{argname}' must be an int, got {type(v).__name__}")
    if low >= high:
        raise ValueError(f"randint: 'low' must be less than 'high', got {low} and {high}")
    t = mstype.int64 if dtype is None else mstype.to_dtype(dtype)
    if t.kind not in "iu":
        raise TypeError(f"randint: 'dtype' must be an integer dtype, got {t}")
    return random_randint_p(low=int(low), high=int(high), shape=_shape("randint", size, "size"), dtype=t,
                            seed=_seed("randint", seed))


def randint_like(input, low, high, seed=None, *, dtype=None):
    """Integers uniform in ``[low, high)`` shaped like ``input`` (its dtype by default)."""
    check_tensor("randint_like", input)
    t = input.dtype if dtype is None else mstype.to_dtype(dtype)
    if t.kind in "iu":
        return randint(low, high, tuple(input.shape), seed, dtype=t)
    out = randint(low, high, tuple(input.shape), seed, dtype=mstype.int64)
    return _ops().cast_p(out, dtype=t)


def bernoulli(input, p=0.5, seed=None):
    """0/1 samples, 1 with probability ``p`` (a number or a Tensor shaped like ``input``); the
    output has ``input``'s shape and dtype."""
    check_tensor("bernoulli", input)
    if isinstance(p, Tensor):
        if p.dtype.kind != "f":
            raise TypeError(f"bernoulli: 'p' must be a float tensor, got {p.dtype}")
        if p.shape != input.shape:
            raise ValueError(f"bernoulli: 'p' must have the shape of 'input' {list(input.shape)}, got {list(p.shape)}")
        prob = p
    elif isinstance(p, numbers.Real) and not isinstance(p, bool):
        if not 0 <= p <= 1:
            raise ValueError(f"bernoulli: 'p' must be in [0, 1], got {p}")
        prob = Tensor._wrap(np.full(input.shape, p, np.float32))
    else:
        raise TypeError(f"bernoulli: 'p' must be a float or a Tensor, got {type(p).__name__}")
    return random_bernoulli_p(prob, dtype=input.dtype, seed=_seed("bernoulli", seed))


def multinomial(input, num_samples, replacement=True, seed=None):
    """Category indices (int64) drawn from the rows of ``input`` (non-negative weights, 1-D or 2-D)."""
    check_tensor("multinomial", input)
    if input.ndim not in (1, 2):
        raise ValueError(f"multinomial: 'input' must be 1-D or 2-D, got {input.ndim}-D")
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)) or num_samples <= 0:
        raise ValueError(f"multinomial: 'num_samples' must be a positive int, got {num_samples!r}")
    weights = input.asnumpy()
    if np.any(weights < 0) or not np.all(np.isfinite(weights)):
        raise ValueError("multinomial: 'input' must hold finite, non-negative weights")
    if np.any(weights.reshape(-1, weights.shape[-1]).sum(-1) <= 0):
        raise ValueError("multinomial: every row of 'input' must have a positive sum")
    if not replacement and num_samples > input.shape[-1]:
        raise ValueError(f"multinomial: without replacement 'num_samples' ({num_samples}) cannot exceed the "
                         f"number of categories ({input.shape[-1]})")
    return random_multinomial_p(input, num_samples=int(num_samples), replacement=bool(replacement),
                                seed=_seed("multinomial", seed))


def random_categorical(logits, num_sample, seed=0, dtype=mstype.int64):
    """Samples from the categorical distributions given by the rows of 2-D ``logits``
    (``seed=0``: the global generator)."""
    check_tensor("random_categorical", logits)
    if logits.ndim != 2:
        raise ValueError(f"random_categorical: 'logits' must be 2-D, got {logits.ndim}-D")
    t = mstype.to_dtype(dtype)
    if t not in (mstype.int16, mstype.int32, mstype.int64):
        raise TypeError(f"random_categorical: 'dtype' must be int16, int32 or int64, got {t}")
    if isinstance(num_sample, bool) or not isinstance(num_sample, (int, np.integer)) or num_sample <= 0:
        raise ValueError(f"random_categorical: 'num_sample' must be a positive int, got {num_sample!r}")
    from .registry import OPS
    E = _ops()
    x = logits if logits.dtype.kind == "f" else E.cast_p(logits, dtype=mstype.float32)
    # unnormalised probabilities, shifted by each row's maximum so exp cannot overflow; the
    # sampler normalises the rows
    peak = OPS["reduce_max"](x, axis=(1,), keepdims=True)
    probs = E.exp_p(E.sub_p(x, peak))
    out = random_multinomial_p(probs, num_samples=int(num_sample), replacement=True,
                               seed=None if not seed else _seed("random_categorical", seed))
    return out if t is mstype.int64 else _ops().cast_p(out, dtype=t)


def randperm(n, seed=0, offset=0, dtype=mstype.int64):
    """A random permutation of ``0 .. n-1``. As in MindSpore, a non-negative ``seed`` (with
    ``offset``) fixes the result; ``seed=-1`` draws from the global generator."""
    if isinstance(n, Tensor):
        n = int(n.item())
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0:
        raise ValueError(f"randperm: 'n' must be a positive int, got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"randperm: 'seed' must be an int, got {type(seed).__name__}")
    if isinstance(offset, bool) or not isinstance(offset, (int, np.integer)) or offset < 0:
        raise ValueError(f"randperm: 'offset' must be a non-negative int, got {offset!r}")
    t = mstype.to_dtype(dtype)
    if t.kind not in "iuf":
        raise TypeError(f"randperm: 'dtype' must be an integer or float dtype, got {t}")
    if t.kind in "iu" and n - 1 > np.iinfo(t.np).max:
        raise ValueError(f"randperm: 'n' ({n}) exceeds the range of {t}")
    s = None if seed < 0 else ("fixed", int(seed), int(offset))
    return random_permutation_p(n=int(n), dtype=t, seed=s)


def shuffle(x, seed=None):
    """``x`` with its first axis randomly permuted."""
    check_tensor("shuffle", x)
    return random_shuffle_p(x, seed=_seed("shuffle", seed))
