"""MindSpore's Primitive machinery: ``ops.Primitive``, ``PrimitiveWithInfer``, ``PrimitiveWithCheck``,
the ``prim_attr_register`` decorator and ``constexpr``."""
import functools
import inspect

__all__ = ["Primitive", "PrimitiveWithInfer", "PrimitiveWithCheck", "prim_attr_register", "constexpr",
           "primexpr", "_primexpr"]


class Primitive:
    """The base of every operator class (MindSpore's ``ops.Primitive``).

    A Primitive has a ``name`` and a dict of ``attrs`` (its constructor arguments plus whatever
    ``add_prim_attr`` adds). Calling it runs the operator. A subclass defined by a user either
    overrides ``__call__`` or provides ``infer_shape``/``infer_dtype`` with a ``construct``-style
    ``__call__``; a Primitive with no implementation raises NotImplementedError when called.
    """

    def __init__(self, name):
        if not isinstance(name, str):
            raise TypeError(f"Primitive: 'name' must be a str, got {type(name).__name__}")
        self.name = name
        self.attrs = {}
        self.init_attrs = {"name": name}
        self.instance_name = ""
        self._update_parameter = False
        self.const_prim = False
        self.const_input_indexes = None
        self.backward_hook_fn = None
        self._user_data = {}
        if hasattr(self.__class__, "__mindspore_signature__"):
            self._signatures = self.__class__.__mindspore_signature__

    # --- attributes -------------------------------------------------------------------------
    def __getattr__(self, item):
        # only reached when normal lookup fails: fall back to the attrs, as MindSpore does
        attrs = self.__dict__.get("attrs")
        if attrs is not None and item in attrs:
            return attrs[item]
        name = self.__dict__.get("name", type(self).__name__)
        raise AttributeError(f"'{name}' object has no attribute '{item}'")

    def add_prim_attr(self, name, value):
        """Add (or replace) attribute ``name``; returns self so calls can chain."""
        self.attrs[name] = value
        return self

    def add_attr(self, name, value):
        """Alias of ``add_prim_attr``."""
        return self.add_prim_attr(name, value)

    def _set_prim_arg(self, name, value):
        self.__dict__[name] = value
        return self.add_prim_attr(name, value)

    def del_prim_attr(self, name):
        """Remove attribute ``name`` (a missing one is ignored)."""
        self.attrs.pop(name, None)
        return self

    def del_attr(self, name):
        """Alias of ``del_prim_attr``."""
        return self.del_prim_attr(name)

    def get_attr_dict(self):
        """The attribute dict."""
        return self.attrs

    def init_prim_io_names(self, inputs, outputs):
        """Record the names of the inputs and outputs (attrs ``input_names``/``output_names``)."""
        if not isinstance(inputs, (list, tuple)) or not all(isinstance(i, str) for i in inputs):
            raise TypeError(f"{self.name}.init_prim_io_names: 'inputs' must be a list of str, got {inputs!r}")
        if not isinstance(outputs, (list, tuple)) or not all(isinstance(o, str) for o in outputs):
            raise TypeError(f"{self.name}.init_prim_io_names: 'outputs' must be a list of str, got {outputs!r}")
        self.add_prim_attr("input_names", list(inputs))
        self.add_prim_attr("output_names", list(outputs))
        return self

    def set_device(self, device_target):
        """Pin the primitive to a device (attr ``primitive_target``: 'CPU', 'GPU' or 'Ascend')."""
        if device_target not in ("CPU", "GPU", "Ascend"):
            raise ValueError(f"{self.name}.set_device: 'device_target' must be 'CPU', 'GPU' or "
                             f"'Ascend', got {device_target!r}")
        return self.add_prim_attr("primitive_target", device_target)

    def set_prim_instance_name(self, instance_name):
        """Name this instance (MindSpore records it as attr ``instance_name``)."""
        self.instance_name = instance_name
        return self.add_prim_attr("instance_name", instance_name)

    def set_instance_name(self, instance_name):
        """Alias of ``set_prim_instance_name``."""
        return self.set_prim_instance_name(instance_name)

    def set_stage(self, stage):
        """Pipeline stage of this operator (recorded as an attr; one process runs all stages)."""
        return self.add_prim_attr("stage", stage)

    def shard(self, in_strategy=None, out_strategy=None):
        """Sharding strategy for auto-parallel (recorded as attrs)."""
        self.add_prim_attr("in_strategy", in_strategy)
        return self.add_prim_attr("out_strategy", out_strategy)

    def recompute(self, mode=True):
        """Mark the operator for recomputation in the backward pass (recorded as an attr)."""
        if not isinstance(mode, bool):
            raise TypeError(f"{self.name}.recompute: 'mode' must be a bool, got {type(mode).__name__}")
        return self.add_prim_attr("recompute", mode)

    def place(self, role, rank_id):
        """Place the operator on a process (recorded as attrs)."""
        self.add_prim_attr("ms_role", role)
        return self.add_prim_attr("rank_id", rank_id)

    def set_const_prim(self, is_const_prim):
        """Mark the primitive as evaluated at compile time."""
        self.const_prim = bool(is_const_prim)
        return self.add_prim_attr("const_prim", self.const_prim)

    def set_const_input_indexes(self, const_input_indexes):
        """Inputs that must be constants at compile time."""
        self.const_input_indexes = const_input_indexes
        return self.add_prim_attr("const_input_indexes", const_input_indexes)

    def set_prim_type(self, prim_type):
        """Kind of primitive (recorded, no effect)."""
        return self.add_prim_attr("prim_type", prim_type)

    def set_signatures(self, signatures):
        """Argument signatures (recorded, no effect)."""
        self._signatures = signatures
        return self

    def set_inplace_prim(self, inplace_prim=True):
        """Mark the primitive as in-place (recorded)."""
        return self.add_prim_attr("inplace_prim", inplace_prim)

    def set_hook_fn(self, hook_fn):
        """Set the backward hook function of a HookBackward-style primitive."""
        self.backward_hook_fn = hook_fn
        return self

    def set_user_data(self, key, value):
        self._user_data[key] = value
        return self

    def get_user_data(self, key):
        return self._user_data.get(key)

    @property
    def update_parameter(self):
        """Whether the primitive writes into a Parameter (Assign, optimizers)."""
        return self._update_parameter

    def check_elim(self, *args):
        """Whether the call can be skipped, and its output if so (MindSpore's hook; default: no)."""
        return (False, None)

    # --- calling -----------------------------------------------------------------------------
    def __call__(self, *args):
        should_elim, output = self.check_elim(*args)
        if should_elim:
            return output
        impl = self.__dict__.get("_impl")
        if impl is None:
            impl = self._find_impl()
        return impl(*args)

    def _find_impl(self):
        """The operator class of the same name in sporen.ops.operations, built with this
        primitive's attrs (``Primitive('ReduceSum').add_prim_attr('keep_dims', True)`` runs as
        ``ReduceSum(keep_dims=True)``, as MindSpore finds the kernel by name)."""
        from . import operations
        cls = getattr(operations, self.name, None) if self.name[:1].isupper() else None
        if cls is None or not hasattr(cls, "_spec") or isinstance(self, cls):
            raise NotImplementedError(f"Primitive '{self.name}' has no implementation in sporen: define "
                                      f"__call__ in the subclass, or use a class from sporen.ops")
        kwargs = {a: self.attrs[a] for a, _ in cls._spec.attrs if a in self.attrs}
        impl = cls(**kwargs)
        self.__dict__["_impl"] = impl
        return impl

    def __repr__(self):
        shown = [f"{k}={v}" for k, v in self.init_attrs.items() if k != "name"]
        if not shown:
            return f"Prim[{self.name}]"
        return f"Prim[{self.name}]<" + ", ".join(shown) + ">"

    def __getstate__(self):
        return dict(self.__dict__)

    def __setstate__(self, state):
        self.__dict__.update(state)


class PrimitiveWithCheck(Primitive):
    """A Primitive whose inputs are checked by ``check_shape``/``check_dtype`` (or ``__check__``)
    before it runs."""

    def __init__(self, name):
        Primitive.__init__(self, name)

    def check_shape(self, *args):
        return None

    def check_dtype(self, *args):
        return None

    def __check__(self, *args):
        self.check_shape(*[a.shape for a in args])
        self.check_dtype(*[a.dtype for a in args])


class PrimitiveWithInfer(Primitive):
    """A Primitive with Python shape/dtype inference: ``infer_shape``, ``infer_dtype`` and
    ``infer_value`` (or ``__infer__`` for all three)."""

    def __init__(self, name):
        Primitive.__init__(self, name)

    def infer_shape(self, *args):
        return None

    def infer_dtype(self, *args):
        return None

    def infer_value(self, *args):
        return None

    def __infer__(self, *args):
        """MindSpore's combined rule: dicts with 'shape', 'dtype', 'value' in, one dict out."""
        shapes = [a["shape"] for a in args]
        dtypes = [a["dtype"] for a in args]
        values = [a.get("value") for a in args]
        return {"shape": self.infer_shape(*shapes), "dtype": self.infer_dtype(*dtypes),
                "value": self.infer_value(*values) if all(v is not None for v in values) else None}


def prim_attr_register(fn):
    """Decorate a Primitive subclass's ``__init__``: the base is initialised with the class name
    and every constructor argument (defaults included) becomes an attribute in ``attrs``."""
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def deco(self, *args, **kwargs):
        cls = type(self)
        class_name = getattr(cls, "substitute_name", cls.__name__)
        if isinstance(self, PrimitiveWithInfer):
            PrimitiveWithInfer.__init__(self, class_name)
        elif isinstance(self, PrimitiveWithCheck):
            PrimitiveWithCheck.__init__(self, class_name)
        else:
            Primitive.__init__(self, class_name)
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        arguments = dict(bound.arguments)
        del arguments[next(iter(signature.parameters))]
        del self.init_attrs["name"]
        for name, value in arguments.items():
            self.add_prim_attr(name, value)
            self.init_attrs[name] = value
        fn(self, *args, **kwargs)

    deco.decorated_func = fn
    return deco


def constexpr(fn=None, get_instance=True, name=None, reuse_result=True, check=True):
    """Mark a function of Python values as computed at compile time (MindSpore's ``constexpr``).

    In PyNative it simply runs; under graph tracing its arguments are Python constants, so it runs
    at trace time as MindSpore's does. Usable as ``@constexpr`` or ``@constexpr(check=False)``."""
    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            return func(*args, **kwargs)
        wrapper.__constexpr__ = True
        return wrapper

    if fn is not None and callable(fn):
        return decorate(fn)
    return decorate


def primexpr(fn=None, get_instance=True, name=None, reuse_result=True):
    """Like ``constexpr``, for functions of shapes that may be known only at run time."""
    return constexpr(fn, get_instance, name, reuse_result)


_primexpr = primexpr
