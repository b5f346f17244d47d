"""The factory behind the ``P.Xxx`` classes: a Primitive whose constructor arguments are its attrs
and whose call runs sporen's functional ops. Classes are made from short specs, and only when
every op they call exists, so ops added later make their classes appear with no edit here."""
import inspect

from ..primitive import Primitive
from .. import functional as F
from ..registry import OPS

__all__ = ["OpSpec", "SPECS", "spec", "build", "missing_needs"]

SPECS = []  # every spec, in definition order (built or not)


class OpSpec:
    """How to make one Primitive class.

    name:   MindSpore's class name (``ReduceSum``)
    needs:  functional op names it calls (``sum``); ``@name`` for a registered primitive
    attrs:  ((attr, default), ...): the constructor's arguments, in MindSpore's order
    call:   ``call(self, *inputs)``: the operator (``self.<attr>`` holds each attr)
    check:  optional ``check(self)`` run after the attrs are set, to validate them
    io:     (input_names, output_names) recorded as MindSpore does
    direct: (op name, arity) when the call is exactly that functional op: the class then calls it
            with no lookup in between (the eager fast path)
    """

    __slots__ = ("name", "needs", "attrs", "call", "check", "io", "doc", "module", "direct")

    def __init__(self, name, needs, attrs, call, check, io, doc, module, direct=None):
        self.name = name
        self.needs = needs
        self.attrs = attrs
        self.call = call
        self.check = check
        self.io = io
        self.doc = doc
        self.module = module
        self.direct = direct


def spec(name, needs, call, attrs=(), check=None, io=None, doc=None, module="math_ops", direct=None):
    """Declare a Primitive class (see OpSpec)."""
    if isinstance(needs, str):
        needs = (needs,)
    s = OpSpec(name, tuple(needs), tuple(attrs), call, check, io, doc, module, direct)
    SPECS.append(s)
    return s


def missing_needs(s):
    """The ops a spec calls that sporen does not have (yet)."""
    missing = []
    for n in s.needs:
        if n.startswith("@"):
            if n[1:] not in OPS:
                missing.append(n)
        elif not hasattr(F, n):
            missing.append(n)
    return missing


def _check_attr(cls_name, attr, default, value):
    """Type check of an attr against its default's type: bools must be bools, ints ints..."""
    if default is None or value is None:
        return value
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise TypeError(f"{cls_name}: '{attr}' must be a bool, got {type(value).__name__}")
    elif isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, (int, tuple, list)):
            raise TypeError(f"{cls_name}: '{attr}' must be an int, got {type(value).__name__}")
    elif isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(f"{cls_name}: '{attr}' must be a float, got {type(value).__name__}")
        value = float(value)
    elif isinstance(default, str):
        if not isinstance(value, str):
            raise TypeError(f"{cls_name}: '{attr}' must be a str, got {type(value).__name__}")
    elif isinstance(default, tuple):
        if isinstance(value, list):
            value = tuple(value)
    return value


class OpPrimitive(Primitive):
    """A Primitive implemented with sporen's ops. Its attrs are also instance attributes."""

    _spec = None
    _signature = None

    def __init__(self, *args, **kwargs):
        s = self._spec
        Primitive.__init__(self, s.name)
        try:
            bound = self._signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{s.name}: {exc}") from None
        bound.apply_defaults()
        del self.init_attrs["name"]
        for (attr, default) in s.attrs:
            value = _check_attr(s.name, attr, default, bound.arguments[attr])
            self.__dict__[attr] = value
            self.attrs[attr] = value
            self.init_attrs[attr] = value
        if s.io is not None:
            self.init_prim_io_names(s.io[0], s.io[1])
        if s.check is not None:
            s.check(self)


def _direct_call(fn, arity):
    if arity == 1:
        def __call__(self, x):
            return fn(x)
    elif arity == 2:
        def __call__(self, x, y):
            return fn(x, y)
    else:
        def __call__(self, *args):
            return fn(*args)
    return __call__


def build(s):
    """Make the class of spec ``s``."""
    call = s.call
    if s.direct is not None:
        call = _direct_call(getattr(F, s.direct[0]), s.direct[1])
    params = [inspect.Parameter(a, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=d) for a, d in s.attrs]
    body = {
        "_spec": s,
        "_signature": inspect.Signature(params),
        "__call__": call,
        "__doc__": s.doc or f"MindSpore's ``ops.{s.name}``, computed with sporen's ops.",
        "__module__": "sporen.ops.operations." + s.module,
        "__qualname__": s.name,
    }
    return type(s.name, (OpPrimitive,), body)


def axes_arg(axis):
    """MindSpore's reduce axis: () or [] means all axes."""
    if axis is None:
        return None
    if isinstance(axis, (tuple, list)):
        if len(axis) == 0:
            return None
        return tuple(int(a) for a in axis)
    if hasattr(axis, "tolist"):
        return axes_arg(axis.tolist())
    return int(axis)


def shape_arg(shape):
    """A shape given as a tuple, list, int or Tensor, as a tuple of ints."""
    if isinstance(shape, int):
        return (shape,)
    if hasattr(shape, "tolist"):
        shape = shape.tolist()
        if isinstance(shape, int):
            return (shape,)
    return tuple(int(s) for s in shape)
