"""Cell: the base class of every layer and network (MindSpore's ``nn.Cell``)."""
from collections import OrderedDict

from ..autodiff import tape as _tape
from ..tensor import Parameter, Tensor
from ..ops.registry import Op

__all__ = ["Cell"]

_DEFAULT_PARAM_NAME = "Parameter"


class Cell:
    """Base class of networks. Subclasses set parameters and sub-cells as attributes in
    ``__init__`` and compute in ``construct``; calling the cell runs ``construct`` with hooks.

    Parameter names follow MindSpore: a parameter takes its attribute name, and a sub-cell's
    parameters are prefixed with the attribute name of the sub-cell (``conv1.weight``).
    """

    def __init__(self, auto_prefix=True, flags=None):
        object.__setattr__(self, "_params", OrderedDict())
        object.__setattr__(self, "_cells", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "training", False)
        object.__setattr__(self, "requires_grad", False)
        object.__setattr__(self, "_auto_prefix", auto_prefix)
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_backward_hooks", OrderedDict())
        object.__setattr__(self, "_backward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_hook_id", 0)
        object.__setattr__(self, "_flags", dict(flags or {}))
        object.__setattr__(self, "_param_prefix", "")
        object.__setattr__(self, "_cell_type", None)
        object.__setattr__(self, "_amp_dtype", None)
        object.__setattr__(self, "cell_type", None)
        object.__setattr__(self, "_jit_config", None)

    # --- attribute registration -----------------------------------------------------------------
    def __setattr__(self, name, value):
        d = self.__dict__
        if "_params" not in d:
            raise RuntimeError(f"{type(self).__name__}: call super().__init__() before assigning attributes")
        params = d["_params"]
        cells = d["_cells"]
        if isinstance(value, Parameter):
            if value.name == _DEFAULT_PARAM_NAME or not value._inited_name:
                value.name = name
                value._inited_name = True
            cells.pop(name, None)
            d.pop(name, None)
            params[name] = value
        elif isinstance(value, Cell):
            params.pop(name, None)
            d.pop(name, None)
            cells[name] = value
            if self._auto_prefix:
                value.update_parameters_name(name + ".")
        elif value is None and (name in params or name in cells):
            if name in params:
                params[name] = None
            else:
                cells[name] = None
        else:
            if name in params:
                if isinstance(value, Tensor):
                    params[name].set_data(value)
                    return
                raise TypeError(f"{type(self).__name__}: attribute '{name}' is a Parameter; assign a "
                                f"Parameter or Tensor, got {type(value).__name__}")
            if name in cells:
                raise TypeError(f"{type(self).__name__}: attribute '{name}' is a Cell; assign a Cell, got "
                                f"{type(value).__name__}")
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        d = self.__dict__
        if "_params" in d:
            if name in d["_params"]:
                return d["_params"][name]
            if name in d["_cells"]:
                return d["_cells"][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        if name in self._params:
            del self._params[name]
        elif name in self._cells:
            del self._cells[name]
        else:
            object.__delattr__(self, name)

    def __getstate__(self):
        return self.__dict__

    def __setstate__(self, state):
        self.__dict__.update(state)

    def insert_param_to_cell(self, param_name, param, check_name_contain_dot=True):
        """Add a Parameter under ``param_name``."""
        if not isinstance(param_name, str) or not param_name:
            raise KeyError(f"insert_param_to_cell: 'param_name' must be a non-empty str, got {param_name!r}")
        if check_name_contain_dot and "." in param_name:
            raise KeyError(f"insert_param_to_cell: 'param_name' must not contain '.', got {param_name!r}")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"insert_param_to_cell: 'param' must be a Parameter, got {type(param).__name__}")
        setattr(self, param_name, param)

    def insert_child_to_cell(self, child_name, child_cell):
        """Add a sub-cell under ``child_name``."""
        if not isinstance(child_name, str) or not child_name or "." in child_name:
            raise KeyError(f"insert_child_to_cell: 'child_name' must be a non-empty str without '.', "
                           f"got {child_name!r}")
        if child_cell is not None and not isinstance(child_cell, Cell):
            raise TypeError(f"insert_child_to_cell: 'child_cell' must be a Cell, got {type(child_cell).__name__}")
        setattr(self, child_name, child_cell)

    def update_parameters_name(self, prefix="", recurse=True):
        """Prefix the names of this cell's parameters (done when it becomes a sub-cell)."""
        if not isinstance(prefix, str):
            raise TypeError(f"update_parameters_name: 'prefix' must be a str, got {type(prefix).__name__}")
        object.__setattr__(self, "_param_prefix", prefix + self._param_prefix)
        for _, p in self.parameters_and_names(expand=recurse):
            p.name = prefix + p.name

    @property
    def param_prefix(self):
        return self._param_prefix

    # --- traversal -----------------------------------------------------------------------------
    def cells_and_names(self, cells=None, name_prefix=""):
        """Yield (name, cell) for this cell and every sub-cell, depth first, each once."""
        seen = set() if cells is None else cells
        if id(self) in seen:
            return
        seen.add(id(self))
        yield name_prefix, self
        for name, cell in self._cells.items():
            if cell is None:
                continue
            sub = name_prefix + "." + name if name_prefix else name
            yield from cell.cells_and_names(seen, sub)

    def cells(self):
        """The direct sub-cells."""
        return [c for c in self._cells.values() if c is not None]

    def name_cells(self):
        """The direct sub-cells by name."""
        return OrderedDict((k, v) for k, v in self._cells.items() if v is not None)

    def get_children(self):
        return self.cells()

    def parameters_and_names(self, name_prefix="", expand=True):
        """Yield (name, parameter) over this cell (and sub-cells when ``expand``), each once."""
        seen = set()
        cells = self.cells_and_names(name_prefix=name_prefix) if expand else [(name_prefix, self)]
        for cell_name, cell in cells:
            for pname, p in cell._params.items():
                if p is None or id(p) in seen:
                    continue
                seen.add(id(p))
                yield (cell_name + "." + pname if cell_name else pname), p

    def get_parameters(self, expand=True):
        """Iterate over the parameters."""
        for _, p in self.parameters_and_names(expand=expand):
            yield p

    def trainable_params(self, recurse=True):
        """The parameters with ``requires_grad=True``."""
        return [p for p in self.get_parameters(expand=recurse) if p.requires_grad]

    def untrainable_params(self, recurse=True):
        """The parameters with ``requires_grad=False``."""
        return [p for p in self.get_parameters(expand=recurse) if not p.requires_grad]

    def parameters_dict(self, recurse=True):
        """An OrderedDict from parameter name to Parameter."""
        return OrderedDict((p.name, p) for p in self.get_parameters(expand=recurse))

    def apply(self, fn):
        """Call ``fn`` on every sub-cell and then on this cell; returns self."""
        for c in self.cells():
            c.apply(fn)
        fn(self)
        return self

    # --- modes ---------------------------------------------------------------------------------
    def set_train(self, mode=True):
        """Training mode (dropout active, batch statistics) for this cell and its sub-cells."""
        for _, cell in self.cells_and_names():
            object.__setattr__(cell, "training", bool(mode))
        return self

    def set_grad(self, requires_grad=True):
        """Mark the cell as one whose gradient is taken (kept for MindSpore compatibility)."""
        object.__setattr__(self, "requires_grad", bool(requires_grad))
        return self

    @property
    def phase(self):
        return "train" if self.training else "predict"

    # --- calling -------------------------------------------------------------------------------
    def construct(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define construct()")

    def __call__(self, *args, **kwargs):
        if self._forward_pre_hooks:
            for hook in list(self._forward_pre_hooks.values()):
                res = hook(self, args)
                if res is not None:
                    args = res if isinstance(res, tuple) else (res,)
        if _tape.TAPES and type(self).bprop is not Cell.bprop:
            out = _call_with_custom_bprop(self, args, kwargs)
        else:
            out = self.construct(*args, **kwargs)
        if self._forward_hooks:
            for hook in list(self._forward_hooks.values()):
                res = hook(self, args, out)
                if res is not None:
                    out = res
        if self._backward_hooks and _tape.TAPES:
            out = _attach_backward_hooks(self, args, out)
        return out

    def bprop(self, *args):
        """Override as ``bprop(self, *inputs, out, dout)`` returning one gradient per input to
        replace the automatic gradient of ``construct``."""
        raise NotImplementedError

    # --- hooks ---------------------------------------------------------------------------------
    def _add_hook(self, table, fn):
        if not callable(fn):
            raise TypeError(f"{type(self).__name__}: a hook must be callable, got {type(fn).__name__}")
        hid = self._hook_id
        object.__setattr__(self, "_hook_id", hid + 1)
        table[hid] = fn
        return _HookHandle(table, hid)

    def register_forward_pre_hook(self, hook_fn):
        """``hook_fn(cell, inputs)`` runs before construct; it may return new inputs."""
        return self._add_hook(self._forward_pre_hooks, hook_fn)

    def register_forward_hook(self, hook_fn):
        """``hook_fn(cell, inputs, output)`` runs after construct; it may return a new output."""
        return self._add_hook(self._forward_hooks, hook_fn)

    def register_backward_hook(self, hook_fn):
        """``hook_fn(cell, grad_input, grad_output)`` runs when the cell's gradient is computed; it
        may return new input gradients."""
        return self._add_hook(self._backward_hooks, hook_fn)

    # --- precision -----------------------------------------------------------------------------
    def to_float(self, dst_type):
        """Run this cell's computation in ``dst_type`` (float16, bfloat16 or float32): inputs are
        cast on entry, as MindSpore's ``to_float`` does."""
        from .. import dtype as mstype
        t = mstype.to_dtype(dst_type, "dst_type")
        if t not in (mstype.float16, mstype.bfloat16, mstype.float32):
            raise ValueError(f"to_float: 'dst_type' must be float16, bfloat16 or float32, got {t}")
        for _, cell in self.cells_and_names():
            object.__setattr__(cell, "_amp_dtype", t)
        if not getattr(self, "_to_float_hooked", False):
            self.register_forward_pre_hook(_cast_inputs_hook)
            object.__setattr__(self, "_to_float_hooked", True)
        return self

    # --- repr ----------------------------------------------------------------------------------
    def extend_repr(self):
        """Extra text inside this cell's repr (override in layers)."""
        return ""

    def __repr__(self):
        extra = self.extend_repr()
        lines = []
        for name, cell in self._cells.items():
            sub = repr(cell).replace("\n", "\n  ")
            lines.append(f"({name}): {sub}")
        head = f"{type(self).__name__}<{extra}" if extra else f"{type(self).__name__}<"
        if not lines:
            return head + ">"
        return head + "\n  " + "\n  ".join(lines) + "\n  >"

    # --- misc MindSpore API --------------------------------------------------------------------
    def set_inputs(self, *inputs, **kwargs):
        object.__setattr__(self, "_dynamic_inputs", inputs)

    def get_inputs(self):
        return getattr(self, "_dynamic_inputs", None)

    def set_jit_config(self, jit_config):
        object.__setattr__(self, "_jit_config", jit_config)

    def compile(self, *args, **kwargs):
        return None

    def compile_and_run(self, *args, **kwargs):
        return self(*args, **kwargs)

    def exec_checkpoint_graph(self):
        return None

    def set_comm_fusion(self, fusion_type, recurse=True):
        return self

    def recompute(self, **kwargs):
        return self

    def shard(self, *args, **kwargs):
        return self

    def set_boost(self, boost_type):
        return self

    def place(self, role, rank_id):
        return self

    def flatten_weights(self, fusion_size=0):
        return None

    def add_flags(self, **flags):
        self._flags.update(flags)
        return self

    def add_flags_recursive(self, **flags):
        for _, cell in self.cells_and_names():
            cell._flags.update(flags)
        return self

    def get_flags(self):
        return dict(self._flags)

    def init_parameters_data(self, auto_parallel_mode=False):
        return {p: p for p in self.get_parameters()}

    def remove_redundant_parameters(self):
        return None

    def get_func_graph_proto(self):
        return None

    def generate_scope(self):
        return None

    def auto_cast_inputs(self, inputs):
        return inputs

    def cast_inputs(self, inputs, dst_type):
        from ..ops.functional import cast
        return tuple(cast(x, dst_type) if isinstance(x, Tensor) and x.dtype.kind == "f" else x for x in inputs)


class _HookHandle:
    """Returned by the register_*_hook methods; ``remove()`` unregisters the hook."""

    def __init__(self, table, hid):
        self._table = table
        self._hid = hid

    def remove(self):
        self._table.pop(self._hid, None)


def _cast_inputs_hook(cell, args):
    t = cell._amp_dtype
    if t is None:
        return None
    return cell.cast_inputs(args, t)


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


class _BackwardHookOp(Op):
    """Identity on the cell's outputs whose bprop calls the cell's backward hooks."""

    __slots__ = ("cell", "grad_input")

    def __init__(self, cell):
        Op.__init__(self, f"backward_hook[{type(cell).__name__}]", None, None, self._run, None, 1)
        self.cell = cell

    def _run(self, *args):
        *inputs, out, dout = args
        grads = dout if isinstance(dout, tuple) else (dout,)
        for hook in list(self.cell._backward_hooks.values()):
            res = hook(self.cell, grads, grads)
            if res is not None:
                grads = res if isinstance(res, tuple) else (res,)
        return grads


def _attach_backward_hooks(cell, args, out):
    outs = _flat_tensors(out)
    if not outs:
        return out
    fresh = tuple(Tensor._wrap(o._data) for o in outs)
    _tape.record(_BackwardHookOp(cell), outs, fresh if len(fresh) > 1 else fresh[0], {})
    if isinstance(out, Tensor):
        return fresh[0]
    return _replace(out, iter(fresh))
