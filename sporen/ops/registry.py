"""The op table: one record per primitive with its shape/dtype rule, numpy kernel, bprop and
fusion expression. Every op in sporen is registered here, exactly once."""
import numpy as np

from ..dtype import _BY_NP
from ..tensor import Tensor
from ..autodiff import tape as _tape
from ..frontend.trace import TRACES as _TRACING, trace_apply as _trace_apply

__all__ = ["Op", "register", "OPS", "NOT_DIFFERENTIABLE", "Aval", "get_op"]

OPS = {}

_TAPES = _tape.TAPES  # the same list object for the life of the process
_ndarray = np.ndarray
_asarray = np.asarray
_new = object.__new__
_wrap = Tensor._wrap


class _NotDifferentiable:
    def __repr__(self):
        return "NOT_DIFFERENTIABLE"


NOT_DIFFERENTIABLE = _NotDifferentiable()


class Aval:
    """An abstract value: the shape and dtype (a sporen Type) of a tensor."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype):
        self.shape = tuple(shape)
        self.dtype = dtype

    def __repr__(self):
        return f"{self.dtype}{list(self.shape)}"

    def __eq__(self, other):
        return isinstance(other, Aval) and self.shape == other.shape and self.dtype is other.dtype

    def __hash__(self):
        return hash((self.shape, self.dtype))

    @property
    def ndim(self):
        return len(self.shape)


class Op:
    """A primitive.

    name:   unique name (``add``, ``conv2d``...)
    infer:  ``infer(*avals, **attrs) -> Aval | tuple[Aval]``: the shape/dtype rule; it raises
            TypeError/ValueError naming the op and argument for bad input
    kernel: ``kernel(*arrays, **attrs) -> ndarray | tuple``: the numpy reference kernel
    bprop:  ``bprop(*inputs, out, dout, **attrs) -> tuple`` of one gradient (Tensor or None) per
            input, written with sporen ops so it runs in both modes and differentiates again;
            or NOT_DIFFERENTIABLE
    expr:   the scalar expression for the fusion code generator (elementwise ops), or None
    nout:   number of outputs (an op with several returns a tuple)
    needs:  when True, the bprop also receives ``needs=(bool, ...)`` saying which inputs want a
            gradient, so it can skip work (a convolution's input gradient for the first layer)
    impure: True when the kernel has an effect beyond computing its outputs from its inputs
            (a random op draws from, and advances, the shared generator): the passes never fold,
            merge or remove such a node
    eager:  what PyNative calls: the kernel itself, unless the runtime installed a native kernel
            for it (``runtime/eager.py``); graphs always run ``kernel`` on the numpy backends
    """

    __slots__ = ("name", "infer", "kernel", "bprop", "expr", "nout", "family", "needs", "impure", "eager",
                 "__weakref__")

    def __init__(self, name, infer, kernel, bprop, expr=None, nout=1, family="", needs=False, impure=False):
        self.name = name
        self.infer = infer
        self.kernel = kernel
        self.bprop = bprop
        self.expr = expr
        self.nout = nout
        self.family = family
        self.needs = needs
        self.impure = impure
        self.eager = kernel  # what PyNative runs: the kernel, or a faster native one (runtime/eager.py)

    def __repr__(self):
        return f"Op({self.name})"

    def __call__(self, *args, **attrs):
        """Run the op eagerly on Tensors; record it on the active gradient tapes."""
        # the eager hot path: module-level names only, no per-call validation (errors are
        # explained after the fact by the shape rule)
        if _TRACING:  # inside jit: record a graph node instead of running the kernel
            return _trace_apply(self, args, attrs)
        try:
            if len(args) == 1:
                out = self.eager(args[0]._data, **attrs)
            else:
                out = self.eager(*[a._data for a in args], **attrs)
        except Exception as exc:  # turn a numpy error into a message about the op's arguments
            self._explain(exc, args, attrs)
            raise
        if self.nout == 1:
            if type(out) is not _ndarray:
                out = _asarray(out)
            res = _new(Tensor)
            res._data = out
            res._init = None
        else:
            res = tuple(_wrap(o if type(o) is _ndarray else _asarray(o)) for o in out)
        if _TAPES and self.bprop is not NOT_DIFFERENTIABLE:
            _tape.record(self, args, res, attrs)
        return res

    def abstract(self, *avals, **attrs):
        """Apply the shape/dtype rule."""
        return self.infer(*avals, **attrs)

    def _explain(self, exc, args, attrs):
        for i, a in enumerate(args):
            if not isinstance(a, Tensor):
                raise TypeError(f"{self.name}: input {i} must be a Tensor, got {type(a).__name__}") from None
            if a._data is None:
                a.init_data()
        if any(a._data is None for a in args):
            return
        avals = [Aval(a._data.shape, _BY_NP[a._data.dtype]) for a in args]
        self.infer(*avals, **attrs)  # raises the clear error when the rule knows of one


def register(name, *, infer, kernel, bprop, expr=None, nout=1, family="", needs=False, impure=None):
    """Register a primitive. Every field but ``expr`` is required: a missing rule is an error here,
    not a surprise later. ``impure`` defaults to True for the "random" family (every draw advances
    the generator) and False otherwise. Returns the Op (callable on Tensors)."""
    if name in OPS:
        raise ValueError(f"op '{name}' is registered twice")
    if not callable(infer):
        raise TypeError(f"op '{name}': 'infer' must be a shape/dtype rule, got {infer!r}")
    if not callable(kernel):
        raise TypeError(f"op '{name}': 'kernel' must be callable, got {kernel!r}")
    if bprop is not NOT_DIFFERENTIABLE and not callable(bprop):
        raise TypeError(f"op '{name}': 'bprop' must be a function or NOT_DIFFERENTIABLE, got {bprop!r}")
    if impure is None:
        impure = family == "random"
    if not isinstance(impure, bool):
        raise TypeError(f"op '{name}': 'impure' must be a bool, got {impure!r}")
    op = Op(name, infer, kernel, bprop, expr, nout, family, needs, impure)
    OPS[name] = op
    return op


def get_op(name):
    """The registered op called ``name``."""
    try:
        return OPS[name]
    except KeyError:
        raise ValueError(f"no op named '{name}' is registered") from None
