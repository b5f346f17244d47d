"""Dynamic shapes in graph mode (``Cell.set_inputs`` with None dims, ``jit(dynamic=1)``): one traced
graph serves every size of the dynamic dims, instantiated from a template without tracing again.

The IR has static shapes, so a "dynamic" graph is a *template*: the graph traced (and optimized by
the passes) at the call's sizes, plus, for every number that depends on the dynamic sizes, a
formula in them. It is found like this:

1. the dims that vary are the None dims of the declaration (``set_inputs``), or, for
   ``jit(dynamic=1)``, the dims that differed between two calls (MindSpore: "detect the shape
   changes automatically");
2. dynamic dims of equal size in the call are one *symbol* (the batch size of ``x`` and of the
   labels); the function is traced at the call's sizes (the base) and once more per symbol with
   that symbol ``DELTA`` larger (a probe, traced on data-less inputs), each through the passes.
   Constants the function makes are baked in as Literals in these traces (whatever their size),
   so that a batch-sized zero state is the same kind of value in every trace;
3. the graphs must be the same up to numbers: the same ops in the same order, wired the same way,
   the same outputs, captures and write-backs. Every number that differs (a dim of a Var's shape,
   an integer or float attribute such as a reshape target, the value or shape of a Literal such as
   the ``1/batch`` a mean's gradient folds to) is solved as a polynomial ``c + a * size`` with
   integer coefficients (floats: also its reciprocal ``1/n``, Bessel's ``n/(n-1)`` of a variance,
   or ``(n-1)/n``), which must give back every traced value. ``DELTA`` is a prime larger than the
   usual divisors, so ``size // k`` (2 <= k <= DELTA) never fits;
4. a call at new sizes *instantiates* the template: new Vars, attributes and Literals from the
   formulas (no tracing, no passes); the verifier then re-runs every op's shape rule on it. Where
   it fails (``batch * length`` in a flattening reshape fits a line through two points, but not
   the third size), the template is solved again at degree 2 (products of two sizes; one more
   probe per symbol and per pair of symbols) and instantiated again.

Where the graphs differ in structure (a Python loop over ``x.shape[0]``), a number fits no formula,
a probe cannot be traced, both degrees fail the verifier, or a dynamic size is 0 or 1 (a size-1 dim
broadcasts differently), the call is traced at its own sizes instead, as MindSpore compiles a static
graph for shapes it cannot make dynamic; ``fallback_count`` counts those calls. Every graph, traced
or instantiated, is cached by the exact signature, so a size seen before runs at once.

``jit(fn, dynamic=1)`` is ``DynamicFunction(fn, backend)``; ``Cell.set_inputs`` makes GRAPH_MODE
run the cell through ``DynamicFunction(cell, backend, inputs=declared)``; ``enable_dynamic`` (above
``@jit``) declares arguments by name. At most MAX_CACHED graphs are kept per function.

Known limits: a number that depends on a size in a way no formula here expresses, and that reaches
only a float constant (never a shape, which the verifier checks), could be taken for a constant or a
wrong polynomial (``min(batch, 8)`` traced at 10 and 71); a tensor that the function reads without
it being reachable from its Cells, closures or globals is baked into the template's graph (a
static-shape jit reads such a tensor at every call when it is over 256 bytes); dynamic rank
(``Tensor(shape=None)``) is not supported.
"""
import contextlib
import inspect

import numpy as np

from ..ir.graph import Graph, Literal, Node, Var
from ..tensor import Tensor
from . import trace as _trace
from .trace import TracedFunction, Traced, _flatten, _unflatten

__all__ = ["DynamicFunction", "enable_dynamic", "DELTA", "NotAffine", "check_declared_inputs"]

DELTA = 61  # the probe's size step: a prime, so that size // k for 2 <= k <= 61 never fits c + a * size

MAX_CACHED = 64  # graphs kept per function, one per exact signature

_wrap = Tensor._wrap


class NotAffine(Exception):
    """The traced graphs do not make one template; the message says where they differ."""


# --- formulas: x = c + sum(a_i * s_i) with integer a_i, and v = form(x), element-wise -----------

def _identity(x):
    return x


def _reciprocal(x):
    return 1.0 / x


def _ratio(x):
    return x / (x - 1.0)


def _ratio_inverse(v):
    return v / (v - 1.0)


def _complement(x):
    return (x - 1.0) / x


def _complement_inverse(v):
    return 1.0 / (1.0 - v)


# The forms a float constant may take, as (name, form, inverse): the size itself (a sum's count),
# its reciprocal (a mean: 1/n), Bessel's correction n/(n-1) (a variance) and (n-1)/n.
_FLOAT_FORMS = (
    ("affine", _identity, _identity),
    ("reciprocal", _reciprocal, _reciprocal),
    ("ratio", _ratio, _ratio_inverse),
    ("complement", _complement, _complement_inverse),
)
_FORMS = {name: form for name, form, _ in _FLOAT_FORMS}


def _monomials(k, degree):
    """The products of symbols a formula may use: each symbol, and at degree 2 each product of two
    (``batch * length`` in a flattening reshape, ``length * length``)."""
    monomials = [(i,) for i in range(k)]
    if degree == 2:
        monomials += [(i, j) for i in range(k) for j in range(i, k)]
    return monomials


def _offsets(k, degree):
    """The probes' offsets from the base sizes, in units of DELTA: as many points as unknowns."""
    offsets = [tuple(int(m == i) for m in range(k)) for i in range(k)]
    if degree == 2:
        offsets += [tuple(2 * int(m == i) for m in range(k)) for i in range(k)]
        offsets += [tuple(int(m in (i, j)) for m in range(k)) for i in range(k) for j in range(i + 1, k)]
    return offsets


def _powers(sizes, monomials):
    row = [1]
    for monomial in monomials:
        term = 1
        for i in monomial:
            term *= sizes[i]
        row.append(term)
    return row


class _Formula:
    """A number (or an array of them) as a function of the symbols' sizes ``s``:
    ``form(c + sum(coef[m] * prod(s[i] for i in monomials[m])))``, cast to ``dtype`` (None: a
    Python int, "float": a Python float); a Literal's ``shape`` is a tuple of ints and _Formulas
    (its value is then a fill)."""

    __slots__ = ("coefs", "monomials", "form", "dtype", "shape")

    def __init__(self, coefs, monomials, form, dtype, shape=None):
        self.coefs = coefs  # c first, then one coefficient (array) per monomial
        self.monomials = monomials
        self.form = form
        self.dtype = dtype
        self.shape = shape

    def value(self, sizes):
        v = 0
        for coef, term in zip(self.coefs, _powers(sizes, self.monomials)):
            v = v + coef * term
        v = _FORMS[self.form](v)
        if self.dtype is None:
            return int(v)
        if self.dtype == "float":
            return float(v)
        out = np.asarray(v).astype(self.dtype)
        if self.shape is not None:
            shape = tuple(_eval(d, sizes) for d in self.shape)
            out = np.broadcast_to(out, shape).copy()
        return out


def _fit(values, points, what, integer, dtype=np.float32, degree=1):
    """The formula through ``values[n]`` at ``points[n]`` (the base sizes, then the probes'):
    for integers a polynomial (degree 1 or 2) in the sizes with integer coefficients that gives
    every traced value back exactly; for floats one of _FLOAT_FORMS of such a polynomial that gives
    every value back to 2 ulps of ``dtype``. Returns ``(coefficients, form name)``; raises
    NotAffine naming ``what``."""
    monomials = _monomials(len(points[0]), degree)
    design = np.array([_powers(p, monomials) for p in points], dtype=np.float64)
    observed = np.stack([np.asarray(v, dtype=np.float64) for v in values])
    if integer:
        forms = _FLOAT_FORMS[:1]
        eps = 0.0
    else:
        forms = _FLOAT_FORMS
        eps = float(np.finfo(np.dtype(dtype)).eps)
    for name, form, inverse in forms:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            xs = inverse(observed)
        if not np.all(np.isfinite(xs)):
            continue
        # the traced floats are rounded (n / (n - 1) in float32 keeps few of n's digits), so the
        # integer coefficients are rounded here, and the check is that they give the values back
        solved = np.linalg.solve(design, xs.reshape(len(points), -1))
        coefs = np.round(solved).reshape((len(monomials) + 1,) + observed.shape[1:])
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            again = form(np.tensordot(design, coefs, axes=1))
        if integer:
            good = np.array_equal(again, observed)
        else:
            good = np.allclose(again, observed, rtol=2 * eps, atol=0)
        if good:
            return list(coefs), name
    shown = [np.asarray(v).tolist() for v in values[:3]]
    raise NotAffine(f"{what} is not a polynomial of degree {degree} in the dynamic sizes: {shown}")


def _eval(x, sizes):
    """The value of an attribute / shape template ``x`` at ``sizes``."""
    if type(x) is _Formula:
        return x.value(sizes)
    if type(x) is tuple:
        return tuple(_eval(v, sizes) for v in x)
    return x


def _depends(x):
    if type(x) is _Formula:
        return True
    if type(x) is tuple:
        return any(_depends(v) for v in x)
    return False


# --- matching the base graph with the probes ----------------------------------------------------

class _Template:
    """The base Traced and the formulas (of ``degree`` 1 or 2) of the numbers that depend on the
    symbols, solved from the probes traced at ``points``.

    shapes:   base Var -> shape template (a tuple of ints and _Formulas), for the Vars that vary
    attrs:    id(base node) -> attrs template, for the nodes whose attributes vary
    literals: (id(base node or graph), input or output index) -> _Formula of the Literal's value
              (and shape) there, for the Literals that vary
    """

    def __init__(self, base, sizes, degree, call, probes):
        self.base = base
        self.call = call  # (structure, leaf shapes and dtypes, dynamic positions, their symbols)
        self.probes = probes  # offset -> the probe's Traced
        self.sizes = tuple(sizes)
        self.degree = degree
        self.offsets = _offsets(len(sizes), degree)
        # the sizes of the base and of each probe
        self.points = [self.sizes] + [tuple(s + DELTA * o for s, o in zip(sizes, off)) for off in self.offsets]
        self.monomials = _monomials(len(sizes), degree)
        self.shapes = {}
        self.solved = {}  # (traced values, dtype) -> _Formula, for Python ints and floats
        self.attrs = {}
        self.literals = {}
        self.capture_shapes = [t._array().shape for t in base.captures]

    # building
    def match(self, probes):
        """Solve every number of the base graph against the probe Traceds; raise NotAffine."""
        base = self.base
        for p in probes:
            if p.out_struct != base.out_struct or p.n_out != base.n_out:
                raise NotAffine("the function returns a different structure (or a Python value that "
                                "depends on the size)")
            if len(p.captures) != len(base.captures) or any(a is not b for a, b in zip(p.captures,
                                                                                       base.captures)):
                raise NotAffine("the function reads different tensors at another size")
            if len(p.writes) != len(base.writes) or any(
                    wa[0] != wb[0] or (wa[1] is not wb[1] and wa[1] != wb[1])
                    for wa, wb in zip(base.writes, p.writes)):
                raise NotAffine("the function writes different tensors at another size")
        self._match_graph(base.graph, [p.graph for p in probes], [{} for _ in probes])

    def _match_graph(self, g, others, maps):
        if any(len(o.params) != len(g.params) or len(o.nodes) != len(g.nodes)
               or len(o.outputs) != len(g.outputs) for o in others):
            raise NotAffine(f"graph '{g.name}' has a different number of params, nodes or outputs at "
                            f"another size")
        for k, v in enumerate(g.params):
            self._match_var(v, [o.params[k] for o in others], maps, f"param {k} of '{g.name}'")
        for index, node in enumerate(g.nodes):
            self._match_node(index, node, [o.nodes[index] for o in others], maps, g.name)
        for k, v in enumerate(g.outputs):
            self._match_value(v, [o.outputs[k] for o in others], maps, f"output {k} of '{g.name}'", (id(g), k))

    def _match_node(self, index, node, others, maps, gname):
        where = f"node {index} ({node.op.name}) of '{gname}'"
        for o in others:
            if (o.op is not node.op or len(o.inputs) != len(node.inputs) or len(o.outputs) != len(node.outputs)
                    or len(o.subgraphs) != len(node.subgraphs) or o.attrs.keys() != node.attrs.keys()):
                raise NotAffine(f"{where} differs at another size ({o.op.name})")
        for j, v in enumerate(node.inputs):
            self._match_value(v, [o.inputs[j] for o in others], maps, f"input {j} of {where}", (id(node), j))
        attrs = {}
        varies = False
        for key, value in node.attrs.items():
            t = self._match_attr(value, [o.attrs[key] for o in others], f"attribute '{key}' of {where}")
            varies = varies or _depends(t)
            attrs[key] = t
        if varies:
            self.attrs[id(node)] = attrs
        for j, v in enumerate(node.outputs):
            self._match_var(v, [o.outputs[j] for o in others], maps, f"output {j} of {where}")
        for k, sub in enumerate(node.subgraphs):
            self._match_graph(sub, [o.subgraphs[k] for o in others], maps)

    def _match_var(self, v, others, maps, what):
        for o, m in zip(others, maps):
            if type(o) is Literal or o.dtype != v.dtype or len(o.shape) != len(v.shape):
                raise NotAffine(f"{what} has another type at another size")
            m[v] = o
        if any(o.shape != v.shape for o in others):
            self.shapes[v] = self._shape_template(v.shape, [o.shape for o in others], what)

    def _shape_template(self, shape, others, what):
        dims = []
        for d, n in enumerate(shape):
            probe_dims = [o[d] for o in others]
            if all(p == n for p in probe_dims):
                dims.append(n)
            else:
                dims.append(self._formula([n] + probe_dims, f"dim {d} of {what}", None))
        return tuple(dims)

    def _match_value(self, v, others, maps, what, place):
        if type(v) is not Literal:
            for o, m in zip(others, maps):
                if type(o) is Literal or m.get(v) is not o:
                    raise NotAffine(f"{what} is wired differently at another size")
            return
        if any(type(o) is not Literal or o.dtype != v.dtype for o in others):
            raise NotAffine(f"{what} is a constant of another kind at another size")
        if all(o.shape == v.shape and np.array_equal(o.value, v.value) for o in others):
            return
        integer = v.dtype.kind in "iub"
        if v.dtype.kind == "b":
            raise NotAffine(f"{what} is a boolean constant that depends on the size")
        if all(o.shape == v.shape for o in others):
            base_value = v.value
            probe_values = [o.value for o in others]
            shape = None
        else:
            # a constant whose shape varies: only a fill (ones, the 1/n of a mean's gradient)
            values = [v.value] + [o.value for o in others]
            if any(x.ndim != v.value.ndim or x.size == 0 or not np.all(x == x.flat[0]) for x in values):
                raise NotAffine(f"{what} is a constant whose shape and values depend on the size")
            base_value = v.value.flat[0]
            probe_values = [o.value.flat[0] for o in others]
            shape = self._shape_template(v.shape, [o.shape for o in others], what)
        formula = self._formula([base_value] + probe_values, f"the constant {what}", v.dtype, integer)
        formula.shape = shape
        self.literals[place] = formula

    def _match_attr(self, value, others, what):
        if all(type(o) is type(value) and o == value for o in others):
            return value
        if type(value) is tuple and all(type(o) is tuple and len(o) == len(value) for o in others):
            return tuple(self._match_attr(x, [o[i] for o in others], f"{what}[{i}]") for i, x in enumerate(value))
        if type(value) is int and all(type(o) is int for o in others):
            return self._formula([value] + others, what, None)
        if type(value) is float and all(type(o) is float for o in others):
            return self._formula([value] + others, what, "float")
        raise NotAffine(f"{what} differs at another size: {value!r} vs {others[0]!r}")

    def _formula(self, values, what, dtype, integer=None):
        """The _Formula through ``values`` (at ``self.points``); ``dtype`` None is a Python int,
        "float" a Python float, else a numpy dtype."""
        if integer is None:
            integer = dtype is None
        scalar = dtype is None or dtype == "float"
        if scalar:  # most shapes share a few dims (batch, 4 * batch): solve each once
            known = self.solved.get((tuple(values), dtype))
            if known is not None:
                return known
        fit_dtype = np.float64 if dtype == "float" else dtype
        coefs, form = _fit(values, self.points, what, integer, fit_dtype, self.degree)
        if dtype is None:
            coefs = [int(c) for c in coefs]
        formula = _Formula(coefs, self.monomials, form, dtype)
        if scalar:
            self.solved[(tuple(values), dtype)] = formula
        return formula

    # using
    def stale(self):
        """True when a captured tensor (a Parameter) was replaced by one of another shape."""
        return any(t._array().shape != s for t, s in zip(self.base.captures, self.capture_shapes))

    def instantiate(self, sizes):
        """A Traced for ``sizes`` (one int per symbol), built from the formulas."""
        base = self.base
        new = {}
        graph = self._instantiate_graph(base.graph, sizes, new)
        return Traced(graph, base.in_struct, base.out_struct, base.captures, base.writes, base.n_out)

    def _instantiate_graph(self, g, sizes, new):
        params = [self._var(v, sizes, new) for v in g.params]
        nodes = []
        for node in g.nodes:
            inputs = [self._value(v, sizes, new, (id(node), j)) for j, v in enumerate(node.inputs)]
            attrs = self.attrs.get(id(node))
            attrs = node.attrs if attrs is None else {k: _eval(t, sizes) for k, t in attrs.items()}
            subgraphs = [self._instantiate_graph(sub, sizes, new) for sub in node.subgraphs]
            outputs = [self._var(v, sizes, new) for v in node.outputs]
            nodes.append(Node(node.op, inputs, attrs, outputs, subgraphs))
        outputs = [self._value(v, sizes, new, (id(g), k)) for k, v in enumerate(g.outputs)]
        return Graph(g.name, params, nodes, outputs)

    def _var(self, v, sizes, new):
        shape = self.shapes.get(v)
        out = Var(v.shape if shape is None else _eval(shape, sizes), v.dtype, v.hint)
        new[v] = out
        return out

    def _value(self, v, sizes, new, place):
        if type(v) is Literal:
            formula = self.literals.get(place)
            return v if formula is None else Literal(formula.value(sizes))
        return new[v]


# --- the declaration (set_inputs) ---------------------------------------------------------------

def check_declared_inputs(declared, args):
    """Check a call's positional arguments against ``Cell.set_inputs``'s declaration (MindSpore's
    rules and messages: the number of inputs, and for each declared Tensor the dtype, the rank and
    every dim that is not -1). Return ``{id(argument tensor): dynamic dims}``."""
    # entries that are None (set_inputs by name) declare nothing: the call may leave them out
    unconstrained = len(args) < len(declared) and all(d is None for d in declared[len(args):])
    if len(declared) != len(args) and not unconstrained:
        raise ValueError(f"The number of 'set_inputs' Tensor must be equal to network's inputs, but got "
                         f"'set_inputs': {len(declared)} and network's input: {len(args)}.")
    dynamic = {}
    for index, (decl, arg) in enumerate(zip(declared, args)):
        _check_one(index, decl, arg, dynamic, "'set_inputs'")
    return dynamic


def check_named_inputs(signature, named, args, kwargs):
    """Check a call against ``enable_dynamic``'s declaration of the arguments named in ``named``
    (the rules of ``check_declared_inputs``); return ``{id(argument tensor): dynamic dims}``."""
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError:
        return {}  # a wrong call: the function itself raises Python's error when traced
    names = list(signature.parameters)
    dynamic = {}
    for name, decl in named.items():
        if name in bound.arguments:
            _check_one(names.index(name), decl, bound.arguments[name], dynamic, "'enable_dynamic'")
    return dynamic


def _check_one(index, decl, arg, dynamic, source):
    if isinstance(decl, (tuple, list)):
        if not isinstance(arg, (tuple, list)) or len(arg) != len(decl):
            raise ValueError(f"The {index + 1}th input of {source} is a {type(decl).__name__} of "
                             f"{len(decl)}, but got network's input: {type(arg).__name__}"
                             f"{' of ' + str(len(arg)) if isinstance(arg, (tuple, list)) else ''}.")
        for d, a in zip(decl, arg):
            _check_one(index, d, a, dynamic, source)
        return
    if not isinstance(decl, Tensor):
        return
    if not isinstance(arg, Tensor):
        raise TypeError(f"The {index + 1}th input type of {source} must be Tensor, but got {type(arg)}.")
    if decl.dtype != arg.dtype:
        raise ValueError(f"The {index + 1}th input type of {source} must be the same as network's input, "
                         f"but got {source}: {decl.dtype} and network's input: {arg.dtype}.")
    if arg.ndim != 0 and decl.ndim != arg.ndim:
        raise ValueError(f"The {index + 1}th input dims of {source} must be the same as network's input, "
                         f"but got {source}: {decl.ndim} and network's input: {arg.ndim}.")
    if not all(d in (-1, n) for d, n in zip(decl.shape, arg.shape)):
        raise ValueError(f"The {index + 1}th input shape of {source} must be the same as network's input, "
                         f"but got {source}: {tuple(decl.shape)} and network's input: {tuple(arg.shape)}.")
    dims = tuple(d for d, n in enumerate(decl.shape) if n == -1 and d < arg.ndim)
    if dims:
        dynamic[id(arg)] = dims


# --- the compiled function ----------------------------------------------------------------------

@contextlib.contextmanager
def _constants_as_literals():
    """Trace with every tensor the function makes baked in as a Literal, whatever its size:
    otherwise a constant of the batch's size (an LSTM's zero state, a mask) is a Literal at a small
    size and a graph input at a larger one, and the two traces would not match."""
    saved = _trace.LITERAL_BYTES
    _trace.LITERAL_BYTES = float("inf")
    try:
        yield
    finally:
        _trace.LITERAL_BYTES = saved


class DynamicFunction(TracedFunction):
    """``jit`` with dynamic dims: ``inputs`` is ``Cell.set_inputs``'s declaration (a tuple of
    placeholders whose -1 dims vary), or None for ``jit(dynamic=1)``, where the dims that differ
    between calls become dynamic. Counters: ``trace_count`` (traces, probes included),
    ``instance_count`` (graphs instantiated from a template), ``fallback_count`` (calls traced at
    their own sizes because the graph does not allow a template), ``fallback_reasons``."""

    def __init__(self, function, backend, inputs=None, named=None):
        super().__init__(function, backend)
        self.declared = None if inputs is None else tuple(inputs)
        self.named = named  # enable_dynamic: argument name -> declaration
        self.signature = None if named is None else inspect.signature(function)
        self.templates = {}  # template key -> _Template, or the NotAffine reason (a str)
        self.observed = {}  # jit(dynamic=1): structure and ranks -> (first shapes, dynamic dims)
        self.instance_count = 0
        self.fallback_count = 0
        self.fallback_reasons = []

    def clear(self):
        """Forget every compiled graph and template (the train/eval phase changed)."""
        self.cache.clear()
        self.templates.clear()
        self.observed.clear()

    def __call__(self, *args, **kwargs):
        from ..autodiff import tape as _tape
        if not _trace.TRACES and not _tape.TAPES:
            self._check(args, kwargs)  # a call that does not match the declaration is an error
        out = super().__call__(*args, **kwargs)
        while len(self.cache) > MAX_CACHED:
            # many sizes (sequence lengths): forget the oldest graph; its size is instantiated
            # again (cheap) if it comes back
            del self.cache[next(iter(self.cache))]
        return out

    def _check(self, args, kwargs):
        """``{id(argument tensor): dynamic dims}`` from the declaration (raising where the call
        does not match it), or None where nothing is declared (``jit(dynamic=1)``)."""
        if self.declared is not None:
            return check_declared_inputs(self.declared, args)
        if self.named is not None:
            return check_named_inputs(self.signature, self.named, args, kwargs)
        return None

    def _dynamic_dims(self, struct, leaves, args, kwargs):
        """One tuple of dynamic dims per leaf."""
        by_id = self._check(args, kwargs)
        if by_id is not None:
            return [by_id.get(id(t), ()) for t in leaves]
        key = (struct, tuple((len(t.shape), t.dtype) for t in leaves))
        seen = self.observed.get(key)
        shapes = [t.shape for t in leaves]
        if seen is None:
            self.observed[key] = (shapes, [() for _ in leaves])
            return [() for _ in leaves]
        first, dims = seen
        grown = []
        for f, s, d in zip(first, shapes, dims):
            grown.append(tuple(sorted(set(d) | {i for i, (a, b) in enumerate(zip(f, s)) if a != b})))
        self.observed[key] = (first, grown)
        return grown

    def _compile(self, args, kwargs):
        leaves = []
        struct = _flatten((tuple(args), dict(kwargs)), leaves)
        dims = self._dynamic_dims(struct, leaves, args, kwargs)
        positions = [(i, d) for i, ds in enumerate(dims) for d in ds]
        if not positions:
            return super()._compile(args, kwargs)
        sizes = [leaves[i].shape[d] for i, d in positions]
        if min(sizes) < 2:
            return self._fallback(args, kwargs, "a dynamic size of 0 or 1 is traced on its own")
        symbols = []  # the distinct sizes, in the order of the dims: only which dims are equal matters
        for size in sizes:
            if size not in symbols:
                symbols.append(size)
        symbol_of = tuple(symbols.index(s) for s in sizes)
        masked = []
        for t, ds in zip(leaves, dims):
            masked.append((tuple(None if j in ds else n for j, n in enumerate(t.shape)), t.dtype))
        tkey = (struct, tuple(masked), tuple(positions), symbol_of)
        template = self.templates.get(tkey)
        if isinstance(template, _Template) and template.stale():
            template = None
        if template is None:
            return self._build(tkey, args, kwargs, struct, leaves, positions, symbol_of, symbols)
        if isinstance(template, str):
            return self._fallback(args, kwargs, template)
        traced, problem = self._instantiate(template, leaves, symbols)
        if problem is not None and template.degree == 1:
            # wrong at these sizes: solve again with the products of the sizes (batch * length)
            template = self._solve(tkey, template.base, template.call, template.sizes, 2, template.probes)
            if isinstance(template, str):
                problem = template
            else:
                traced, problem = self._instantiate(template, leaves, symbols)
        if problem is not None:
            self.templates[tkey] = problem
            return self._fallback(args, kwargs, problem)
        self.instance_count += 1
        return traced

    def _build(self, tkey, args, kwargs, struct, leaves, positions, symbol_of, symbols):
        """Trace at the call's sizes (the graph this call runs) and solve a degree-1 template."""
        with _constants_as_literals():
            base = super()._compile(args, kwargs)
        call = (struct, [(t.shape, t._array().dtype) for t in leaves], positions, symbol_of)
        result = self._solve(tkey, base, call, symbols, 1, {})
        if isinstance(result, str):
            self.fallback_count += 1
            self.fallback_reasons.append(result)
        return base

    def _solve(self, tkey, base, call, symbols, degree, probes):
        """The template of ``degree`` around ``base``, tracing the probes not in ``probes`` (offset
        -> Traced, shared with the template of the other degree); stored under ``tkey``. Returns
        the _Template, or the reason there is none (a str)."""
        template = _Template(base, symbols, degree, call, probes)
        try:
            with _constants_as_literals():
                for offset in template.offsets:
                    if offset not in probes:
                        probes[offset] = self._probe(call, offset)
            template.match([probes[offset] for offset in template.offsets])
        except NotAffine as exc:
            reason = str(exc)
        except Exception as exc:  # the function cannot be traced at another size
            reason = f"tracing at another size failed: {type(exc).__name__}: {exc}"
        else:
            self.templates[tkey] = template
            return template
        self.templates[tkey] = reason
        return reason

    def _probe(self, call, offset):
        """Trace with the sizes of symbol k ``offset[k] * DELTA`` larger, on data-less inputs
        (zero-stride arrays: tracing reads shapes and dtypes, never values)."""
        struct, specs, positions, symbol_of = call
        shapes = [list(shape) for shape, _ in specs]
        for (i, d), k in zip(positions, symbol_of):
            shapes[i][d] += DELTA * offset[k]
        fake = []
        for (_, dtype), shape in zip(specs, shapes):
            fake.append(_wrap(np.broadcast_to(np.zeros((), dtype), tuple(shape))))
        probe_args, probe_kwargs = _unflatten(struct, fake)
        return super()._compile(probe_args, probe_kwargs)

    def _instantiate(self, template, leaves, symbols):
        """``(Traced, None)``, or ``(None, the reason the template is wrong at these sizes)``."""
        from ..ir.verify import VerifyError, verify
        traced = template.instantiate(symbols)
        for t, p in zip(leaves, traced.graph.params):
            if t.shape != p.shape:
                return None, f"the template gives a param of shape {p.shape} for an input of shape {t.shape}"
        try:
            verify(traced.graph)
        except VerifyError as exc:
            return None, f"the instantiated graph is wrong ({exc})"
        return traced, None

    def _fallback(self, args, kwargs, reason):
        self.fallback_count += 1
        self.fallback_reasons.append(reason)
        return super()._compile(args, kwargs)


def enable_dynamic(**kwargs):
    """Declare dynamic dims of a ``jit`` function's arguments by name (MindSpore's
    ``mindspore.enable_dynamic``), as a decorator above ``@jit``::

        @enable_dynamic(x=Tensor(shape=[None, 3], dtype=ms.float32))
        @jit
        def f(x, y): ...

    Each value is a Tensor placeholder (None: a dynamic dim), or a tuple/list of them for a
    tuple/list argument. Calls share one graph template over the sizes of the None dims; a call
    that does not match raises ValueError. Dynamic rank (``shape=None``) is not supported."""
    for name, value in kwargs.items():
        if not _is_placeholder_tree(value):
            raise TypeError(f"enable_dynamic: '{name}' must be a Tensor, or a tuple or list of Tensors, "
                            f"got {type(value).__name__}")

    def decorate(fn):
        if not isinstance(fn, TracedFunction):
            raise TypeError(f"enable_dynamic: it decorates a function compiled by jit (put @enable_dynamic "
                            f"above @jit), got {type(fn).__name__}")
        parameters = inspect.signature(fn.function).parameters
        for name in kwargs:
            if name not in parameters:
                raise ValueError(f"enable_dynamic: '{name}' is not an argument of "
                                 f"{getattr(fn.function, '__qualname__', fn.function)!s}; its arguments are "
                                 f"{list(parameters)}")
        return DynamicFunction(fn.function, fn.backend_name, named=dict(kwargs))

    return decorate


def _is_placeholder_tree(value):
    if isinstance(value, (tuple, list)):
        return len(value) > 0 and all(_is_placeholder_tree(v) for v in value)
    return isinstance(value, Tensor)
