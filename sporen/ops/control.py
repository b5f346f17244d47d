"""Control-flow primitives (family "control"): ``if`` and ``while`` nodes with closed subgraphs,
``while_grad`` (the gradient of ``while``), the builders that trace Python functions into them
(``cond``, ``while_loop``), and the runtime that the code converted by ``sporen.frontend.parse``
calls (``if_stmt``, ``while_stmt``, ``for_stmt``...: Python semantics on Python values, nodes on
traced tensors).

A subgraph is closed: it sees only its params. ``if(pred, *operands)`` runs ``then`` or ``else``
on the operands; ``while(*carries, *invariants)`` runs ``body`` on (carries, invariants) while
``cond`` on the same says True, and gives the last carries."""
import types

import numpy as np

from ..autodiff import tape as _tape
from ..dtype import _BY_NP, bool_
from ..frontend.parse import UNDEF, ControlFlowError
from ..frontend.trace import (TRACES, SymVar, _Leaf, _Static, _flatten, _unflatten, apply_control,
                              trace_sub)
from ..ir.graph import Graph, Literal, Var
from ..ir.interpret import interpret
from ..passes._effects import node_is_pure
from ..tensor import Tensor
from .registry import NOT_DIFFERENTIABLE, Aval, register

__all__ = ["IF", "WHILE", "WHILE_GRAD", "cond", "while_loop", "close", "replay", "vjp_graph"]

_DIFFERENTIABLE = _tape.DIFFERENTIABLE
_wrap = Tensor._wrap


def _aval(value):
    return Aval(value.shape, _BY_NP[np.dtype(value.dtype)])


def _check_params(op_name, graph, avals):
    params = graph.params
    if len(params) != len(avals):
        raise ValueError(f"{op_name}: subgraph '{graph.name}' takes {len(params)} params, the node "
                         f"gives {len(avals)} operands")
    for i, (p, a) in enumerate(zip(params, avals)):
        if _aval(p) != a:
            raise TypeError(f"{op_name}: subgraph '{graph.name}' param {i} is {_aval(p)}, the operand "
                            f"is {a}")


def _check_pred(op_name, aval):
    if aval.shape != () or aval.dtype is not bool_:
        raise TypeError(f"{op_name}: the condition must be a Bool[] scalar, got {aval}")


def _is_float(dtype):
    return np.dtype(dtype) in _DIFFERENTIABLE


def _own(results, inputs):
    """The results, each copied when it may share memory with an input (a branch that returns
    its operand, a reshape view): a memory plan may reuse an input's buffer once the node ran."""
    owned = []
    for r in results:
        r = np.asarray(r)
        if any(np.may_share_memory(r, a) for a in inputs):
            r = r.copy()
        owned.append(r)
    return tuple(owned)


# --- if --------------------------------------------------------------------------------------------

def _if_infer(pred, *operands, subgraphs):
    _check_pred("if", pred)
    then_g, else_g = subgraphs
    _check_params("if", then_g, operands)
    _check_params("if", else_g, operands)
    outs = [_aval(o) for o in then_g.outputs]
    other = [_aval(o) for o in else_g.outputs]
    if outs != other:
        raise TypeError(f"if: the branches give different outputs: {outs} and {other}")
    return tuple(outs)


def _if_kernel(pred, *operands, subgraphs):
    graph = subgraphs[0] if pred else subgraphs[1]
    return _own(interpret(graph, *operands, check=False), operands)


def _if_bprop(*args, subgraphs):
    inputs = args[:-2]
    dout = args[-1]
    pred = inputs[0]
    operands = inputs[1:]
    then_g, else_g = subgraphs
    wrt = [i for i, p in enumerate(then_g.params) if _is_float(p.dtype)]
    if not wrt:
        return (None,) * len(inputs)
    float_out = [j for j, o in enumerate(then_g.outputs) if _is_float(o.dtype)]
    douts = [dout[j] for j in float_out]
    then_v = vjp_graph(then_g, "then_grad")
    else_v = vjp_graph(else_g, "else_grad")
    grads = apply_control(IF, [pred, *operands, *douts], {}, (then_v, else_v))
    result = [None] * len(inputs)
    for k, i in enumerate(wrt):
        result[1 + i] = grads[k]
    return tuple(result)


IF = register("if", infer=_if_infer, kernel=_if_kernel, bprop=_if_bprop, nout=-1, family="control")


# --- while -----------------------------------------------------------------------------------------

def _while_infer(*inputs, subgraphs, n_carry):
    cond_g, body_g = subgraphs
    _check_params("while", cond_g, inputs)
    _check_params("while", body_g, inputs)
    if len(cond_g.outputs) != 1:
        raise ValueError(f"while: the cond subgraph must give one output, got {len(cond_g.outputs)}")
    _check_pred("while", _aval(cond_g.outputs[0]))
    carries = list(inputs[:n_carry])
    outs = [_aval(o) for o in body_g.outputs]
    if outs != carries:
        raise TypeError(f"while: the body gives {outs}, the carries are {carries}")
    return tuple(carries)


def _while_kernel(*arrays, subgraphs, n_carry):
    cond_g, body_g = subgraphs
    carries = arrays[:n_carry]
    invariants = arrays[n_carry:]
    while interpret(cond_g, *carries, *invariants, check=False)[0]:
        carries = interpret(body_g, *carries, *invariants, check=False)
    return _own(carries, arrays)


def _while_bprop(*args, subgraphs, n_carry):
    inputs = args[:-2]
    dout = args[-1]
    cond_g, body_g = subgraphs
    params = body_g.params
    wrt = [i for i, p in enumerate(params) if _is_float(p.dtype)]
    if not wrt:
        return (None,) * len(inputs)
    float_carry = [i for i in wrt if i < n_carry]
    douts = [dout[i] for i in float_carry]
    body_v = vjp_graph(body_g, "body_grad")
    grads = apply_control(WHILE_GRAD, [*inputs, *douts], {"n_carry": n_carry}, (cond_g, body_g, body_v))
    result = [None] * len(inputs)
    for k, i in enumerate(wrt):
        result[i] = grads[k]
    return tuple(result)


WHILE = register("while", infer=_while_infer, kernel=_while_kernel, bprop=_while_bprop, nout=-1,
                 family="control")


def _while_grad_infer(*inputs, subgraphs, n_carry):
    cond_g, body_g, body_v = subgraphs
    n_in = len(body_g.params)
    _while_infer(*inputs[:n_in], subgraphs=(cond_g, body_g), n_carry=n_carry)
    wrt = [_aval(p) for p in body_g.params if _is_float(p.dtype)]
    douts = [_aval(p) for p in body_g.params[:n_carry] if _is_float(p.dtype)]
    if list(inputs[n_in:]) != douts:
        raise TypeError(f"while_grad: the output gradients must be {douts}, got {list(inputs[n_in:])}")
    _check_params("while_grad", body_v, list(inputs[:n_in]) + douts)
    return tuple(wrt)


def _while_grad_kernel(*arrays, subgraphs, n_carry):
    """Run the loop again, keeping the carries each iteration starts from, then run the body's
    vjp from the last iteration to the first: the carries' gradients flow back through the
    iterations, the invariants' gradients add up."""
    cond_g, body_g, body_v = subgraphs
    n_in = len(body_g.params)
    carries = arrays[:n_carry]
    invariants = arrays[n_carry:n_in]
    float_carry = [i for i in range(n_carry) if _is_float(body_g.params[i].dtype)]
    float_inv = [i for i in range(n_carry, n_in) if _is_float(body_g.params[i].dtype)]
    history = []
    while interpret(cond_g, *carries, *invariants, check=False)[0]:
        history.append(carries)
        carries = interpret(body_g, *carries, *invariants, check=False)
    dcarry = list(arrays[n_in:])
    dinv = [np.zeros(body_g.params[i].shape, body_g.params[i].dtype) for i in float_inv]
    nf = len(float_carry)
    for saved in reversed(history):
        res = interpret(body_v, *saved, *invariants, *dcarry, check=False)
        dcarry = list(res[:nf])
        for k in range(len(dinv)):
            dinv[k] = dinv[k] + res[nf + k]
    return _own(tuple(dcarry) + tuple(dinv), arrays)


WHILE_GRAD = register("while_grad", infer=_while_grad_infer, kernel=_while_grad_kernel,
                      bprop=NOT_DIFFERENTIABLE, nout=-1, family="control")


# --- graphs from graphs: replay and vjp ------------------------------------------------------------

def replay(graph, tensors, control=None):
    """Apply the nodes of ``graph`` to Tensors ``tensors`` (one per param) with the ops themselves,
    so that a trace and the gradient tapes see them; return the output Tensors (a Literal output
    as a fresh copy). A control-flow node goes through ``control(node, args)`` (default: re-emitted
    as the same node, ``apply_control``)."""
    env = dict(zip(graph.params, tensors))
    tr = TRACES[-1] if TRACES else None

    def value(v):
        if type(v) is Literal:
            t = _wrap(v.value)
            if tr is not None:
                tr.constant(t)
            return t
        return env[v]

    for node in graph.nodes:
        args = [value(v) for v in node.inputs]
        if not node.subgraphs:
            res = node.op(*args, **node.attrs)
        elif control is None:
            res = apply_control(node.op, args, node.attrs, node.subgraphs)
        else:
            res = control(node, args)
        if type(res) is not tuple:
            res = (res,)
        env.update(zip(node.outputs, res))
    return [value(Literal(np.array(v.value))) if type(v) is Literal else env[v] for v in graph.outputs]


def vjp_graph(graph, name):
    """The closed graph of ``graph``'s vector-Jacobian product: its params are ``graph``'s params
    then one cotangent per float output; its outputs are the gradients of the float params
    (zeros where an output does not depend on one). Traced with sporen's own bprops."""
    for node in graph.nodes:
        if not node_is_pure(node):
            raise NotImplementedError(f"the gradient through a random op ('{node.op.name}') inside "
                                      f"tensor-dependent control flow is not supported yet")
    params = graph.params
    n = len(params)
    wrt = [i for i, p in enumerate(params) if _is_float(p.dtype)]
    float_out = [j for j, o in enumerate(graph.outputs) if _is_float(o.dtype)]
    avals = [(p.shape, p.dtype) for p in params]
    avals += [(graph.outputs[j].shape, graph.outputs[j].dtype) for j in float_out]

    def vjp_fn(*tensors):
        xs = tensors[:n]
        tape = _tape.Tape()
        for i in wrt:
            tape.watch(xs[i])
        with tape:
            outs = replay(graph, xs)
        grads = _tape.backward(tape, [outs[j] for j in float_out], list(tensors[n:]))
        return [grads.get(id(xs[i])) for i in wrt]

    sub = trace_sub(vjp_fn, avals, closed=True)
    outputs = []
    values = iter(sub.values)
    for i, leaf in zip(wrt, sub.struct[1]):
        if type(leaf) is _Leaf:
            outputs.append(next(values))
        else:  # no gradient reaches this param
            outputs.append(Literal(np.zeros(params[i].shape, params[i].dtype)))
    return Graph(name, sub.params, sub.nodes, outputs)


# --- builders: Python functions -> control-flow nodes ------------------------------------------------

def close(subs, names, explicit_avals=()):
    """Close traced Subs over the same operands: the union of what they lift becomes params after
    the explicit ones (a Sub that does not read an operand gets an unused param for it). Returns
    ``(graphs, operand tensors)``; each graph's outputs are its Sub's ``values``."""
    order = {}
    for sub in subs:
        for key, t, var in sub.lifted:
            if key not in order:
                order[key] = (t, var)
    graphs = []
    for sub, name in zip(subs, names):
        mine = {key: var for key, _, var in sub.lifted}
        lifted = []
        for key, (_, var) in order.items():
            own = mine.get(key)
            lifted.append(own if own is not None else SymVar(var.shape, var.dtype))
        graphs.append(Graph(name, list(sub.params) + lifted, sub.nodes, sub.values))
    operands = [t for t, _ in order.values()]
    return graphs, operands


def cond(pred, then_sub, else_sub):
    """An ``if`` node selecting between two traced Subs (no explicit params; their ``values`` have
    equal shapes and dtypes): returns the output Tensors."""
    (then_g, else_g), operands = close([then_sub, else_sub], ["then", "else"])
    if not then_g.outputs:
        return ()
    return apply_control(IF, [pred, *operands], {}, (then_g, else_g))


def while_loop(carries, cond_sub, body_sub):
    """A ``while`` node from two Subs traced with the carries as explicit params (cond's one value
    is the Bool[] predicate, body's values are the new carries): returns the last carries."""
    (cond_g, body_g), invariants = close([cond_sub, body_sub], ["cond", "body"])
    return apply_control(WHILE, [*carries, *invariants], {"n_carry": len(carries)}, (cond_g, body_g))


def _functional():
    # imported late: sporen.ops.functional imports this module while it loads
    from . import functional
    return functional


# --- the runtime the converted code calls ------------------------------------------------------------

def _symbolic(x):
    return isinstance(x, Tensor) and isinstance(x._data, Var)


def call(fn, *args, **kwargs):
    """``fn(*args, **kwargs)``, with a Python function or method converted first while tracing
    (a helper called from converted code compiles its control flow too)."""
    if TRACES and isinstance(fn, (types.FunctionType, types.MethodType)):
        from ..frontend.parse import convert
        fn = convert(fn)
    return fn(*args, **kwargs)


def get(scope, names):
    """The current values of ``names`` in ``scope`` (a ``locals()``), UNDEF where unbound."""
    return tuple(scope.get(n, UNDEF) for n in names)


def _predicate(value, loc):
    """A Bool[] tensor from a condition (a traced tensor of one element, or a Python value)."""
    if not isinstance(value, Tensor):
        return Tensor(bool(value))
    if value.shape != ():
        if value.size != 1:
            raise ValueError(f"{loc}: the condition is a Tensor of shape {value.shape}: the truth value of "
                             f"a Tensor with more than one element is ambiguous")
        value = _functional().reshape(value, ())
    if value.dtype is not bool_:
        value = _functional().cast(value, bool_)
    return value


def py_cond(test, loc, kind, why):
    """The condition of an `if`/`while` left as Python: a traced tensor there is an error."""
    if _symbolic(test):
        raise ControlFlowError(f"{loc}: this `{kind}` on a traced tensor is not supported yet in graph mode: {why}")
    return test


def py_iter(iterable, loc, why):
    """The iterable of a `for` left as Python: ``range`` of a traced tensor there is an error."""
    if isinstance(iterable, _SymRange):
        raise ControlFlowError(f"{loc}: this `for` over range() of a traced tensor is not supported yet in graph "
                               f"mode: {why}")
    return iterable


def not_(value):
    """``not value``; on a traced tensor, its logical negation."""
    if _symbolic(value):
        return _functional().logical_not(_predicate(value, ""))
    return not value


def _combine(name, first, second):
    return getattr(_functional(), name)(_predicate(first, ""), _predicate(second, ""))


def and_(first, *rest):
    """``first and rest[0]() and ...``: Python's short circuit on Python values; on a traced
    tensor the remaining operands are evaluated and combined with logical_and."""
    value = first
    for fn in rest:
        if _symbolic(value):
            value = _combine("logical_and", value, fn())
            continue
        if not value:
            return value
        value = fn()
    return value


def or_(first, *rest):
    """``first or rest[0]() or ...``, like ``and_`` with logical_or."""
    value = first
    for fn in rest:
        if _symbolic(value):
            value = _combine("logical_or", value, fn())
            continue
        if value:
            return value
        value = fn()
    return value


class _SymRange:
    """``range(start, stop, step)`` where start or stop is a traced tensor."""

    __slots__ = ("start", "stop", "step")

    def __init__(self, start, stop, step):
        self.start = start
        self.stop = stop
        self.step = step


def range_(*args):
    """``range(*args)``; with a traced tensor among them, a _SymRange for ``for_stmt``."""
    if not any(_symbolic(a) for a in args):
        return range(*args)
    if len(args) == 1:
        return _SymRange(0, args[0], 1)
    if len(args) == 2:
        return _SymRange(args[0], args[1], 1)
    return _SymRange(*args)


# matching the values of two paths (then/else, or loop entry/body exit)

def _aval_text(value):
    return f"{_BY_NP[np.dtype(value.dtype)]}{list(value.shape)}"


def _kind_text(value):
    if value is UNDEF:
        return "not assigned"
    if isinstance(value, (Var, Literal)):
        return f"a Tensor {_aval_text(value)}"
    return f"the {type(value).__name__} {value!r}"


def _is_scalar(value):
    return isinstance(value, (bool, int, float, np.bool_, np.integer, np.floating))


def _scalar_dtype(*values):
    """The dtype of Python scalars made one tensor, as ``Tensor(value)`` gives: Float32 when one
    is a float, else Int64 when one is an int, else Bool."""
    if any(isinstance(v, (float, np.floating)) for v in values):
        return np.float32
    if any(not isinstance(v, (bool, np.bool_)) for v in values):
        return np.int64
    return np.bool_


class _Paths:
    """Matches the result structures of two traced Subs leaf by leaf: equal Python values stay
    Python, tensors pair up (equal shape and dtype), Python scalars (bool, int, float) that
    differ, or face a tensor, become Literals (a scalar chosen at run time is a 0-d tensor, as
    MindSpore's variable scalars); other Python values must be equal. ``pairs`` collects the
    (first, second) graph values."""

    def __init__(self, first, second, loc, what):
        self.first = first
        self.second = second
        self.loc = loc
        self.what = what  # ("the `if` branch", "the `else` branch")
        self.pairs = []

    def error(self, path, a, b, hint):
        raise ControlFlowError(f"{self.loc}: {path} is {_kind_text(a)} after {self.what[0]} but {_kind_text(b)} "
                               f"after {self.what[1]}{hint}")

    def value(self, sub, struct):
        if isinstance(struct, _Leaf):
            return sub.values[struct.index]
        return struct.value

    def match(self, a, b, path):
        if isinstance(a, _Static) and isinstance(b, _Static):
            if a == b:
                return a
            if _is_scalar(a.value) and _is_scalar(b.value):
                dtype = _scalar_dtype(a.value, b.value)
                return self.pair(Literal(np.asarray(a.value, dtype)), Literal(np.asarray(b.value, dtype)))
            self.error(path, a.value, b.value, " (a Python value other than a number must be the same on "
                                              "both paths)")
        if isinstance(a, _Leaf) and isinstance(b, _Leaf):
            va = self.first.values[a.index]
            vb = self.second.values[b.index]
            if va.shape != vb.shape or va.dtype != vb.dtype:
                self.error(path, va, vb, " (both paths must give the same shape and dtype)")
            return self.pair(va, vb)
        if isinstance(a, _Leaf) or isinstance(b, _Leaf):
            va = self.value(self.first, a)
            vb = self.value(self.second, b)
            tensor = va if isinstance(a, _Leaf) else vb
            other = vb if isinstance(a, _Leaf) else va
            if _is_scalar(other):
                lit = Literal(np.full(tensor.shape, other, tensor.dtype))
                return self.pair(va if isinstance(a, _Leaf) else lit, lit if isinstance(a, _Leaf) else vb)
            self.error(path, va, vb, " (a variable must be a Tensor on both paths or on neither)")
        kind_a, parts_a = a
        kind_b, parts_b = b
        if kind_a is not kind_b or len(parts_a) != len(parts_b):
            self.error(path, _Shape(kind_a, parts_a), _Shape(kind_b, parts_b), " (the structures differ)")
        if kind_a is dict:
            keys_a = [k for k, _ in parts_a]
            if keys_a != [k for k, _ in parts_b]:
                self.error(path, _Shape(kind_a, parts_a), _Shape(kind_b, parts_b), " (the keys differ)")
            parts = tuple((k, self.match(pa, pb, f"{path}[{k!r}]"))
                          for (k, pa), (_, pb) in zip(parts_a, parts_b))
            return (dict, parts)
        parts = tuple(self.match(pa, pb, f"{path}[{i}]") for i, (pa, pb) in enumerate(zip(parts_a, parts_b)))
        return (kind_a, parts)

    def pair(self, va, vb):
        self.pairs.append((va, vb))
        return _Leaf(len(self.pairs) - 1)


class _Shape:
    __slots__ = ("kind", "n")

    def __init__(self, kind, parts):
        self.kind = kind
        self.n = len(parts)

    def __repr__(self):
        return f"{self.kind.__name__} of {self.n}"


def _lifted_keys(sub):
    return {var: key for key, _, var in sub.lifted}


def _emit_if(pred, then_sub, else_sub, paths, struct):
    """The if node for matched paths; a pair that is the same outer value on both paths (a
    variable neither branch changed) or the same constant is not routed through the node."""
    then_keys = _lifted_keys(then_sub)
    else_keys = _lifted_keys(else_sub)
    outer = {key: t for key, t, _ in then_sub.lifted}
    results = [None] * len(paths.pairs)
    routed = []
    for k, (va, vb) in enumerate(paths.pairs):
        key = then_keys.get(va) if isinstance(va, Var) else None
        if key is not None and isinstance(vb, Var) and else_keys.get(vb) is key:
            results[k] = outer[key]
        elif (isinstance(va, Literal) and isinstance(vb, Literal) and va.value.dtype == vb.value.dtype
              and np.array_equal(va.value, vb.value)):
            results[k] = Tensor._wrap(np.array(va.value))
        else:
            routed.append(k)
    then_sub.values = [paths.pairs[k][0] for k in routed]
    else_sub.values = [paths.pairs[k][1] for k in routed]
    written = _route_writes(then_sub, else_sub, paths)
    _drop_unused(then_sub)
    _drop_unused(else_sub)
    outs = cond(pred, then_sub, else_sub)
    for k, t in zip(routed, outs):
        results[k] = t
    for t, new in zip(written, outs[len(routed):]):
        _write(t, new)  # the write happens after the if, with the value of the path taken
    if isinstance(struct, _Leaf):
        return results[struct.index]
    return _unflatten(struct, results)


def _route_writes(then_sub, else_sub, paths):
    """Make each outer tensor written in place on either path an output of both (its value
    unchanged on the path that does not write it); return the tensors, in output order."""
    order = {}
    for sub in (then_sub, else_sub):
        for key, t, _ in sub.writes:
            order.setdefault(key, t)
    for key, t in order.items():
        pair = []
        for sub in (then_sub, else_sub):
            value = next((v for k, _, v in sub.writes if k is key or k == key), None)
            if value is None:
                value = next((var for k, _, var in sub.lifted if k is key or k == key), None)
            if value is None:
                data = key if isinstance(key, Var) else t._array()
                value = SymVar(data.shape, data.dtype)
                sub.lifted.append((key, t, value))
            pair.append(value)
        if pair[0].shape != pair[1].shape or pair[0].dtype != pair[1].dtype:
            paths.error(f"a tensor written in place ({list(t.shape)})", pair[0], pair[1],
                        " (both paths must leave it with the same shape and dtype)")
        then_sub.values.append(pair[0])
        else_sub.values.append(pair[1])
    return list(order.values())


def _drop_unused(sub):
    """Forget lifted values nothing in ``sub`` reads any more."""
    used = set()
    for node in sub.nodes:
        used.update(node.inputs)
    used.update(v for v in sub.values if isinstance(v, Var))
    sub.lifted = [entry for entry in sub.lifted if entry[2] in used]


def _trace_branch(fn, state):
    """Trace ``fn(*state)`` as a branch. Each traced tensor of the state is passed as a new Tensor
    object holding the same value, so that an in-place update in the branch (``k += 1``) rebinds
    the branch's copy only; the tapes still see the original objects as the if node's inputs."""
    originals = {}
    args = []
    for value in state:
        if _symbolic(value):
            copy_ = Tensor._wrap(value._data)
            originals[id(copy_)] = value
            args.append(copy_)
        else:
            args.append(value)
    sub = trace_sub(lambda: fn(*args), (), owned=originals, writes=True)
    sub.lifted = [(key, originals.get(id(t), t), var) for key, t, var in sub.lifted]
    return sub


def if_stmt(pred, then_fn, else_fn, state, names, live, loc, returns=False):
    """An `if` statement: on a Python value (or a concrete tensor) the branch taken runs; on a
    traced tensor both run into subgraphs and an ``if`` node selects. Returns the new values of
    ``names`` (or, with ``returns``, the value returned)."""
    if not _symbolic(pred):
        if pred:
            return then_fn(*state)
        return else_fn(*state)
    p = _predicate(pred, loc)
    then_sub = _trace_branch(then_fn, state)
    else_sub = _trace_branch(else_fn, state)
    paths = _Paths(then_sub, else_sub, loc, ("the `if` branch", "the `else` branch"))
    if returns:
        struct = paths.match(then_sub.struct, else_sub.struct, "the value returned")
        return _emit_if(p, then_sub, else_sub, paths, struct)
    parts = []
    for name, a, b in zip(names, then_sub.struct[1], else_sub.struct[1]):
        undef_a = isinstance(a, _Static) and a.value is UNDEF
        undef_b = isinstance(b, _Static) and b.value is UNDEF
        if name not in live and not (isinstance(a, _Leaf) and isinstance(b, _Leaf)):
            parts.append(_Static(UNDEF))  # not read after the if: whatever it is, it is dropped
            continue
        if undef_a or undef_b:
            if undef_a != undef_b:
                paths.error(f"'{name}'", paths.value(then_sub, a), paths.value(else_sub, b),
                            " (a variable used after the if must be assigned on both paths or before the if)")
            parts.append(_Static(UNDEF))
            continue
        parts.append(paths.match(a, b, f"'{name}'"))
    return _emit_if(p, then_sub, else_sub, paths, (tuple, tuple(parts)))


def if_exp(pred, then_fn, else_fn, loc):
    """``then_fn() if pred else else_fn()``, with an ``if`` node on a traced tensor."""
    if not _symbolic(pred):
        return then_fn() if pred else else_fn()
    p = _predicate(pred, loc)
    then_sub = trace_sub(then_fn, (), writes=True)
    else_sub = trace_sub(else_fn, (), writes=True)
    paths = _Paths(then_sub, else_sub, loc, ("`a` of `a if c else b`", "`b`"))
    struct = paths.match(then_sub.struct, else_sub.struct, "the value")
    return _emit_if(p, then_sub, else_sub, paths, struct)


def while_stmt(cond_fn, body_fn, state, names, live, loc):
    """A `while` loop: Python iterations while the condition is a Python value (or concrete);
    from the first traced condition on, a ``while`` node runs the remaining iterations."""
    while True:
        nodes = TRACES[-1].nodes if TRACES else []
        mark = len(nodes)
        c = cond_fn(*state)
        if _symbolic(c):
            if all(node_is_pure(n) for n in nodes[mark:]):
                del nodes[mark:]  # the condition is computed again inside the while node
            return _sym_while(cond_fn, body_fn, state, names, live, loc)
        if not c:
            return state
        state = body_fn(*state)


def for_stmt(iterable, test_fn, body_fn, state, names, live, targets, loc):
    """A `for` loop. Over a range of a traced tensor: a ``while`` node. Otherwise Python
    iterations; ``test_fn`` (the lowered `break`'s flag) ends them while it is a Python value,
    and once it is a traced tensor each later iteration runs under an ``if`` on it."""
    if isinstance(iterable, _SymRange):
        return _for_range(iterable, test_fn, body_fn, state, names, live, targets, loc)
    it = iter(iterable)
    inner_live = tuple(n for n in live if n not in targets)
    t = True if test_fn is None else test_fn(*state)
    while True:
        if not _symbolic(t) and not t:
            return state
        try:
            item = next(it)
        except StopIteration:
            return state
        if _symbolic(t):
            def guarded(*s, item=item):
                return body_fn(item, *s)
            state = if_stmt(t, guarded, _identity, state, names, inner_live, loc)
        else:
            state = body_fn(item, *state)
        if test_fn is not None:
            t = test_fn(*state)


def _identity(*state):
    return state


def _for_range(r, test_fn, body_fn, state, names, live, targets, loc):
    step = r.step
    if _symbolic(step) or not isinstance(step, int) or step == 0:
        raise ControlFlowError(f"{loc}: `for` over range() of a traced tensor needs a nonzero Python int step, "
                               f"got {step!r}")
    dtype = next(a.dtype for a in (r.start, r.stop) if _symbolic(a))
    start = r.start if _symbolic(r.start) else Tensor(np.asarray(r.start, dtype.np))
    stop = r.stop if _symbolic(r.stop) else Tensor(np.asarray(r.stop, dtype.np))
    if start.dtype is not dtype:
        start = _functional().cast(start, dtype)
    if stop.dtype is not dtype:
        stop = _functional().cast(stop, dtype)
    state = tuple(start if (n in targets and v is UNDEF) else v for n, v in zip(names, state))

    def cond_fn(i, *s):
        going = i < stop if step > 0 else i > stop
        if test_fn is None:
            return going
        return and_(going, lambda: test_fn(*s))

    def body(i, *s):
        return (i + step, *body_fn(i, *s))

    out = _sym_while(cond_fn, body, (start, *state), ("<range counter>", *names), live, loc)
    return tuple(out[1:])


def _promoted(value, like):
    """A Python scalar carried by a loop, as a tensor (of ``like``'s dtype when given)."""
    if like is not None:
        return Tensor._wrap(np.asarray(value, like.dtype))
    return Tensor(value)


def _sym_while(cond_fn, body_fn, state, names, live, loc):
    """The ``while`` node: the carries are the tensors in ``state``, then the outer tensors the
    body writes in place (``out[i] = v``); a Python scalar the body changes becomes a tensor
    carry. Each discovery traces the body again."""
    state = list(state)
    extra = []  # outer tensors written in place by the body: carried, written after the loop
    for _ in range(len(names) + 8):
        leaves = []
        struct = _flatten(tuple(state), leaves)
        n_state = len(leaves)
        avals = [(t.shape, _np_dtype(t)) for t in leaves + extra]

        def run_body(*carries, struct=struct, n_state=n_state):
            return _with_values(extra, carries[n_state:],
                                lambda: body_fn(*_unflatten(struct, carries[:n_state])))

        body_sub = trace_sub(run_body, avals, writes=True)
        if body_sub.writes:
            extra.extend(t for _, t, _ in body_sub.writes if all(t is not e for e in extra))
            continue
        result_struct, extra_struct = body_sub.struct[1]
        promote = {}
        outs = []
        for k, (name, a, b) in enumerate(zip(names, struct[1], result_struct[1])):
            if isinstance(a, _Static) and a.value is UNDEF:
                if not (isinstance(b, _Static) and b.value is UNDEF) and name in live:
                    raise ControlFlowError(f"{loc}: '{name}' is assigned in the loop on a traced tensor but not "
                                           f"defined before it")
                continue
            if isinstance(a, _Static) and _is_scalar(a.value) and not (isinstance(b, _Static) and b == a):
                like = body_sub.values[b.index] if isinstance(b, _Leaf) else None
                if like is None and not (isinstance(b, _Static) and _is_scalar(b.value)):
                    raise ControlFlowError(f"{loc}: '{name}' is {_kind_text(a.value)} before the loop on a traced "
                                           f"tensor but {_kind_text(b.value)} after its body")
                promote[k] = like
                continue
            _carry_outputs(a, b, body_sub, leaves, outs, f"'{name}'", loc)
        if promote:
            for k, like in promote.items():
                state[k] = _promoted(state[k], like)
            continue
        for t, b in zip(extra, extra_struct[1]):
            _carry_outputs(_Leaf(len(leaves)), b, body_sub, leaves + [t], outs, "a tensor written in place", loc)
        body_sub.values = outs

        def run_cond(*carries, struct=struct, n_state=n_state):
            return _with_values(extra, carries[n_state:],
                                lambda: _predicate(cond_fn(*_unflatten(struct, carries[:n_state])), loc))[0]

        cond_sub = trace_sub(run_cond, avals)
        results = while_loop(leaves + extra, cond_sub, body_sub)
        for t, new in zip(extra, results[n_state:]):
            _write(t, new)
        return tuple(_unflatten(struct, list(results[:n_state])))
    raise ControlFlowError(f"{loc}: the variables of this loop on a traced tensor do not settle to fixed types")


def _with_values(tensors, values, fn):
    """Run ``fn()`` with each outer tensor of ``tensors`` holding the matching value (a loop
    carry); return ``(fn's result, the tensors' values after it)``; the tensors are restored."""
    saved = [t._data for t in tensors]
    try:
        for t, v in zip(tensors, values):
            t._data = v._data
        result = fn()
        return result, tuple(Tensor._wrap(t._data) for t in tensors)
    finally:
        for t, data in zip(tensors, saved):
            t._data = data


def _write(target, new):
    """``target`` takes ``new``'s value in place, the gradient tapes renamed as an in-place
    operator does (earlier records of ``target`` keep meaning its old value)."""
    from .tensor_methods import _assign_result
    _assign_result(target, new, keep=False)


def _np_dtype(t):
    data = t._data
    if data is None:
        data = t._array()
    return data.dtype


def _carry_outputs(a, b, body_sub, leaves, outs, path, loc):
    """Append the body's graph value for each tensor leaf of the carried value ``a`` (the body
    gave ``b``); Python parts must come back unchanged, tensors with the same shape and dtype."""
    if isinstance(a, _Leaf):
        entry = leaves[a.index]
        if isinstance(b, _Leaf):
            value = body_sub.values[b.index]
            if value.shape != entry.shape or value.dtype != _np_dtype(entry):
                raise ControlFlowError(f"{loc}: {path} is a Tensor {_aval_text(_Typed(entry))} before the loop "
                                       f"on a traced tensor but {_aval_text(value)} after its body (a loop "
                                       f"variable must keep its shape and dtype)")
            outs.append(value)
            return
        if isinstance(b, _Static) and _is_scalar(b.value):
            outs.append(Literal(np.full(entry.shape, b.value, _np_dtype(entry))))
            return
        raise ControlFlowError(f"{loc}: {path} is a Tensor before the loop on a traced tensor but "
                               f"{_kind_text(b.value if isinstance(b, _Static) else b)} after its body")
    if isinstance(a, _Static):
        if not (isinstance(b, _Static) and b == a):
            shown = b.value if isinstance(b, _Static) else "a Tensor"
            raise ControlFlowError(f"{loc}: {path} is {_kind_text(a.value)} before the loop on a traced tensor "
                                   f"but {shown!r} after its body (a Python value must not change in it)")
        return
    kind_a, parts_a = a
    if isinstance(b, (_Leaf, _Static)) or b[0] is not kind_a or len(b[1]) != len(parts_a):
        raise ControlFlowError(f"{loc}: {path} changes structure in the loop on a traced tensor")
    for i, (pa, pb) in enumerate(zip(parts_a, b[1])):
        if kind_a is dict:
            _carry_outputs(pa[1], pb[1], body_sub, leaves, outs, f"{path}[{pa[0]!r}]", loc)
        else:
            _carry_outputs(pa, pb, body_sub, leaves, outs, f"{path}[{i}]", loc)


class _Typed:
    __slots__ = ("shape", "dtype")

    def __init__(self, t):
        self.shape = t.shape
        self.dtype = _np_dtype(t)
