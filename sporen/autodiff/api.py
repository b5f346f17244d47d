"""The user-facing gradient API: grad, value_and_grad, GradOperation, stop_gradient, vjp, jvp."""
import numpy as np

from ..tensor import Tensor, Parameter
from . import tape as _tape

__all__ = ["grad", "value_and_grad", "GradOperation", "vjp", "jacfwd", "jacrev", "get_grad"]


def _ones_like(t):
    return Tensor._wrap(np.ones(t.shape, dtype=t._data.dtype))


def _zeros_like(t):
    return Tensor._wrap(np.zeros(t.shape, dtype=t._data.dtype))


def _check_positions(grad_position, nargs, where):
    if grad_position is None:
        return None
    if isinstance(grad_position, bool) or not isinstance(grad_position, (int, tuple, list)):
        raise TypeError(f"{where}: 'grad_position' must be an int, a tuple of ints or None, "
                        f"got {grad_position!r}")
    positions = (grad_position,) if isinstance(grad_position, int) else tuple(grad_position)
    for p in positions:
        if not isinstance(p, int) or isinstance(p, bool):
            raise TypeError(f"{where}: 'grad_position' must hold ints, got {p!r}")
        if p < -nargs or p >= nargs:
            raise ValueError(f"{where}: 'grad_position' {p} is out of range for {nargs} inputs")
    return tuple(p % nargs for p in positions)


def _weights_list(weights, where):
    if weights is None:
        return None
    if isinstance(weights, Parameter):
        return [weights]
    if isinstance(weights, (list, tuple)):
        for w in weights:
            if not isinstance(w, Tensor):
                raise TypeError(f"{where}: 'weights' must hold Parameters, got {type(w).__name__}")
        return list(weights)
    raise TypeError(f"{where}: 'weights' must be a Parameter, a ParameterTuple or a list of "
                    f"Parameters, got {type(weights).__name__}")


def _flatten_outputs(out):
    if isinstance(out, (tuple, list)):
        flat = []
        for o in out:
            flat.extend(_flatten_outputs(o))
        return flat
    if isinstance(out, Tensor):
        return [out]
    return []


def _as_sens_list(sens, outputs, where):
    if sens is None:
        return [_ones_like(o) for o in outputs]
    flat = _flatten_outputs(sens)
    if len(flat) != len(outputs):
        raise ValueError(f"{where}: 'sens' must match the {len(outputs)} outputs of the function, "
                         f"got {len(flat)} tensors")
    return flat


def _get_or_zeros(grads, x):
    g = grads.get(id(x))
    return _zeros_like(x) if g is None else g


def run_and_differentiate(fn, args, kwargs, positions, weights, has_aux, sens, where):
    """Run fn under a fresh tape with the chosen inputs and weights watched; return
    (value, aux, input grads, weight grads)."""
    tape = _tape.Tape()
    sources = []
    if positions is not None:
        for p in positions:
            x = args[p]
            if not isinstance(x, Tensor):
                raise TypeError(f"{where}: input {p} must be a Tensor to be differentiated, got "
                                f"{type(x).__name__}")
            sources.append(x)
    wlist = weights or []
    for s in sources + wlist:
        tape.watch(s)
    with tape:
        out = fn(*args, **kwargs)
    if has_aux:
        if not isinstance(out, tuple) or len(out) < 2:
            raise ValueError(f"{where}: with has_aux=True the function must return more than one "
                             f"output, got {type(out).__name__}")
        main, aux = out[0], out[1:]
        outputs = _flatten_outputs(main)
    else:
        aux = None
        outputs = _flatten_outputs(out)
    if not outputs:
        raise TypeError(f"{where}: the function must return a Tensor (or a tuple of Tensors), got "
                        f"{type(out).__name__}")
    sens_list = _as_sens_list(sens, outputs, where)
    grads = _tape.backward(tape, outputs, sens_list)
    in_grads = [_get_or_zeros(grads, x) for x in sources]
    w_grads = [_get_or_zeros(grads, w) for w in wlist]
    return out, aux, in_grads, w_grads


def _pack(positions, grad_position, weights_given, single_weight, in_grads, w_grads, return_ids, wlist):
    if return_ids:
        in_grads = [(p, g) for p, g in zip(positions or (), in_grads)]
        w_grads = [(w.name, g) for w, g in zip(wlist or (), w_grads)]
    if positions is not None:
        pos_part = in_grads[0] if isinstance(grad_position, int) else tuple(in_grads)
    if weights_given:
        w_part = w_grads[0] if single_weight else tuple(w_grads)
        if positions is None:
            return w_part
        return (pos_part, w_part)
    return pos_part


def grad(fn, grad_position=0, weights=None, has_aux=False, return_ids=False, sens_param=False):
    """A function computing the gradient of ``fn`` (MindSpore's ``mindspore.grad``).

    grad_position: int, tuple of ints or None; weights: Parameter(s) to differentiate too.
    With has_aux, only the first output is differentiated and ``(gradient, aux)`` is returned.
    With several outputs and no has_aux, the gradient is that of their sum.
    """
    if grad_position is None and weights is None:
        raise ValueError("grad: 'grad_position' and 'weights' cannot both be None")
    wlist = _weights_list(weights, "grad")

    def grad_fn(*args, **kwargs):
        sens = None
        if sens_param:
            sens = kwargs.pop("sens") if "sens" in kwargs else args[-1]
            args = args if "sens" in kwargs else args[:-1]
        positions = _check_positions(grad_position, len(args), "grad")
        _, aux, ig, wg = run_and_differentiate(fn, args, kwargs, positions, wlist, has_aux, sens, "grad")
        g = _pack(positions, grad_position, wlist is not None, isinstance(weights, Parameter), ig, wg,
                  return_ids, wlist)
        if has_aux:
            return g, aux
        return g

    return grad_fn


def value_and_grad(fn, grad_position=0, weights=None, has_aux=False, return_ids=False):
    """A function returning ``(value, gradient)`` of ``fn`` (MindSpore's ``value_and_grad``)."""
    if grad_position is None and weights is None:
        raise ValueError("value_and_grad: 'grad_position' and 'weights' cannot both be None")
    wlist = _weights_list(weights, "value_and_grad")

    def value_and_grad_fn(*args, **kwargs):
        positions = _check_positions(grad_position, len(args), "value_and_grad")
        out, _, ig, wg = run_and_differentiate(fn, args, kwargs, positions, wlist, has_aux, None,
                                               "value_and_grad")
        g = _pack(positions, grad_position, wlist is not None, isinstance(weights, Parameter), ig, wg,
                  return_ids, wlist)
        return out, g

    return value_and_grad_fn


def get_grad(gradients, identifier):
    """Pick one gradient from the result of ``grad(..., return_ids=True)`` by position or name."""
    def walk(g):
        if isinstance(g, tuple) and len(g) == 2 and not isinstance(g[0], Tensor) and isinstance(g[1], Tensor):
            if g[0] == identifier or (isinstance(identifier, Parameter) and g[0] == identifier.name):
                return g[1]
            return None
        if isinstance(g, tuple):
            for x in g:
                r = walk(x)
                if r is not None:
                    return r
        return None
    r = walk(gradients)
    if r is None:
        raise ValueError(f"get_grad: no gradient for {identifier!r}")
    return r


class GradOperation:
    """MindSpore's ``ops.GradOperation``: a higher-order function making gradient functions.

    ``GradOperation()(net)(x, y)`` gives the gradient for the first input; ``get_all`` for every
    input; ``get_by_list`` for the weights given as ``GradOperation(...)(net, weights)``;
    ``sens_param`` takes the output's sensitivity as the last input.
    """

    def __init__(self, get_all=False, get_by_list=False, sens_param=False):
        for name, v in (("get_all", get_all), ("get_by_list", get_by_list), ("sens_param", sens_param)):
            if not isinstance(v, bool):
                raise TypeError(f"GradOperation: '{name}' must be a bool, got {type(v).__name__}")
        self.get_all = get_all
        self.get_by_list = get_by_list
        self.sens_param = sens_param

    def __call__(self, fn, weights=None):
        if self.get_by_list and weights is None:
            raise TypeError("GradOperation: 'weights' is required when get_by_list=True")
        wlist = _weights_list(weights, "GradOperation") if self.get_by_list else None

        def grad_fn(*args, **kwargs):
            sens = None
            if self.sens_param:
                if "sens" in kwargs:
                    sens = kwargs.pop("sens")
                else:
                    sens, args = args[-1], args[:-1]
            if self.get_all:
                positions = tuple(i for i, a in enumerate(args) if isinstance(a, Tensor))
            elif self.get_by_list:
                positions = None
            else:
                positions = (0,) if args else ()
            _, _, ig, wg = run_and_differentiate(fn, args, kwargs, positions, wlist, False, sens,
                                                 "GradOperation")
            if self.get_by_list:
                if self.get_all:
                    return tuple(ig), tuple(wg)
                return tuple(wg)
            if self.get_all:
                return tuple(ig)
            return ig[0]

        return grad_fn


def vjp(fn, *inputs, weights=None, has_aux=False):
    """``vjp(fn, *inputs)`` returns ``(outputs, vjp_fn)``; ``vjp_fn(v)`` gives the input gradients."""
    def vjp_fn(*sens):
        s = sens[0] if len(sens) == 1 else sens
        _, _, ig, _ = run_and_differentiate(fn, inputs, {}, tuple(range(len(inputs))), None,
                                            has_aux, s, "vjp")
        return ig[0] if len(ig) == 1 else tuple(ig)
    with _tape.paused():
        out = fn(*inputs)
    if has_aux:
        return out[0], vjp_fn, out[1:]
    return out, vjp_fn


def jacrev(fn, grad_position=0, has_aux=False):
    """Jacobian by reverse mode, one backward pass per output element."""
    def jac_fn(*args):
        with _tape.paused():
            out = fn(*args)
        main = out[0] if has_aux else out
        rows = []
        for k in range(main.size):
            onehot = np.zeros(main.size, dtype=main._data.dtype)
            onehot[k] = 1
            s = Tensor._wrap(onehot.reshape(main.shape))
            positions = _check_positions(grad_position, len(args), "jacrev")
            _, _, ig, _ = run_and_differentiate(fn, args, {}, positions, None, has_aux, s, "jacrev")
            rows.append([g._data for g in ig])
        jac = []
        for i, p in enumerate(positions):
            stacked = np.stack([r[i] for r in rows]).reshape(main.shape + args[p].shape)
            jac.append(Tensor._wrap(stacked))
        res = jac[0] if isinstance(grad_position, int) else tuple(jac)
        if has_aux:
            return res, out[1:]
        return res
    return jac_fn


jacfwd = jacrev
