"""How a Cell takes part in autodiff: a custom ``bprop`` replacing the gradient of ``construct``,
and the backward hooks (grad_input / grad_output). Split from cell.py, which uses these."""
from ..autodiff import tape as _tape
from ..ops.registry import Op
from ..tensor import Tensor


class _CellBprop(Op):
    """A pseudo-op standing for a Cell whose gradient is given by its own ``bprop``."""

    __slots__ = ("cell",)

    def __init__(self, cell):
        Op.__init__(self, f"bprop[{type(cell).__name__}]", None, None, self._run_bprop, None, 1)
        self.cell = cell

    def _run_bprop(self, *args):
        *inputs, out, dout = args
        if isinstance(out, tuple) and len(out) == 1:
            out = out[0]
            dout = dout[0]
        grads = self.cell.bprop(*inputs, out, dout)
        if not isinstance(grads, tuple):
            grads = (grads,)
        return grads


def _flat_tensors(out):
    if isinstance(out, Tensor):
        return (out,)
    if isinstance(out, (tuple, list)):
        res = ()
        for o in out:
            res += _flat_tensors(o)
        return res
    return ()


def _call_with_custom_bprop(cell, args, kwargs):
    with _tape.paused():
        out = cell.construct(*args, **kwargs)
    outs = _flat_tensors(out)
    # fresh Tensor objects so the tape sees outputs produced by this pseudo-op
    fresh = tuple(Tensor._wrap(o._data) for o in outs)
    op = _CellBprop(cell)
    _tape.record(op, tuple(a for a in args if isinstance(a, Tensor)), fresh if len(fresh) > 1 else fresh[0], {})
    if isinstance(out, Tensor):
        return fresh[0]
    return _replace(out, iter(fresh))


def _replace(out, it):
    if isinstance(out, Tensor):
        return next(it)
    if isinstance(out, (tuple, list)):
        return type(out)(_replace(o, it) for o in out)
    return out


class _HookState:
    """What the two halves of a cell's backward hooks share during one call."""

    __slots__ = ("grad_output", "inputs_hooked", "n_inputs")

    def __init__(self, inputs_hooked, n_inputs):
        self.grad_output = None
        self.inputs_hooked = inputs_hooked
        self.n_inputs = n_inputs


def _as_grad_tuple(res, n, cell, what):
    res = res if isinstance(res, tuple) else (res,)
    if len(res) != n:
        raise ValueError(f"{type(cell).__name__}: a backward hook returned {len(res)} gradients for "
                         f"{n} {what}")
    return res


class _BackwardHookOut(Op):
    """Identity on the cell's outputs; its bprop sees the outputs' gradients (grad_output)."""

    __slots__ = ("cell", "state")

    def __init__(self, cell, state):
        Op.__init__(self, f"backward_hook_out[{type(cell).__name__}]", None, None, self._run, None, 1)
        self.cell = cell
        self.state = state

    def _run(self, *args):
        n = len(args) - 2
        dout = args[-1]
        grads = tuple(dout[:n])
        for hook in list(self.cell._backward_pre_hooks.values()):
            res = hook(self.cell, grads)
            if res is not None:
                grads = _as_grad_tuple(res, n, self.cell, "outputs")
        self.state.grad_output = grads
        if not self.state.inputs_hooked:
            # no input of the cell is differentiated: the hooks still see the output gradients
            for hook in list(self.cell._backward_hooks.values()):
                hook(self.cell, (None,) * self.state.n_inputs, grads)
        return grads


class _BackwardHookIn(Op):
    """Identity on the cell's inputs; its bprop runs the backward hooks with grad_input."""

    __slots__ = ("cell", "state")

    def __init__(self, cell, state):
        Op.__init__(self, f"backward_hook_in[{type(cell).__name__}]", None, None, self._run, None, 1)
        self.cell = cell
        self.state = state

    def _run(self, *args):
        dout = args[-1]
        grads = tuple(dout)
        grad_output = self.state.grad_output if self.state.grad_output is not None else ()
        for hook in list(self.cell._backward_hooks.values()):
            res = hook(self.cell, grads, grad_output)
            if res is not None:
                grads = _as_grad_tuple(res, len(grads), self.cell, "inputs")
        return grads


def _wrap_inputs_for_backward_hooks(cell, args):
    """Route the cell's float tensor inputs through an identity whose bprop runs the hooks."""
    positions = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.dtype.kind in "fc"]
    inputs = tuple(args[i] for i in positions)
    hooked = any(id(x) in t.tracked for t in _tape.TAPES for x in inputs)
    state = _HookState(hooked, len(inputs))
    if not hooked:
        return args, state
    fresh = tuple(Tensor._wrap(x._data) for x in inputs)
    _tape.record(_BackwardHookIn(cell, state), inputs, fresh, {})
    args = list(args)
    for i, f in zip(positions, fresh):
        args[i] = f
    return tuple(args), state


def _wrap_outputs_for_backward_hooks(cell, out, state):
    outs = _flat_tensors(out)
    if not outs:
        return out
    fresh = tuple(Tensor._wrap(o._data) for o in outs)
    _tape.record(_BackwardHookOut(cell, state), outs, fresh, {})
    if isinstance(out, Tensor):
        return fresh[0]
    return _replace(out, iter(fresh))
