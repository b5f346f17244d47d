"""Control-flow primitives (family "control"): ``if`` and ``while`` nodes with closed subgraphs,
``while_grad`` (the gradient of ``while``), and the builders that trace Python functions into
them (``cond`` and ``while_loop``, used by the converted code of ``sporen.frontend.parse``).

A subgraph is closed: it sees only its params. ``if(pred, *operands)`` runs ``then`` or ``else``
on the operands; ``while(*carries, *invariants)`` runs ``body`` on (carries, invariants) while
``cond`` on the same says True, and gives the last carries."""
import numpy as np

from ..autodiff import tape as _tape
from ..dtype import _BY_NP, bool_
from ..frontend.trace import TRACES, _Leaf, apply_control, trace_sub
from ..ir.graph import Graph, Literal
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

def replay(graph, tensors):
    """Apply the nodes of ``graph`` to Tensors ``tensors`` (one per param) with the ops themselves,
    so that a trace and the gradient tapes see them; return the output Tensors."""
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
        if node.subgraphs:
            res = apply_control(node.op, args, node.attrs, node.subgraphs)
        else:
            res = node.op(*args, **node.attrs)
        if type(res) is not tuple:
            res = (res,)
        env.update(zip(node.outputs, res))
    return [value(v) for v in graph.outputs]


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
    from ..frontend.trace import SymVar
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
