"""Cell: the base class of every layer and network (MindSpore's ``nn.Cell``)."""
import inspect
import time
import warnings
from collections import OrderedDict, namedtuple
from typing import TypeVar

import numpy as np

from ..autodiff import tape as _tape
from ..context import GRAPH_MODE as _GRAPH_MODE, _context as _context_options
from ..frontend.trace import TRACES as _TRACES
from ..frontend.parse import convert as _convert
from ..tensor import Parameter, Tensor
from ._cell_autodiff import (_call_with_custom_bprop, _wrap_inputs_for_backward_hooks,
                             _wrap_outputs_for_backward_hooks)

__all__ = ["Cell"]

_DEFAULT_PARAM_NAME = "Parameter"

_IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Cell:
    """Base class of networks. Subclasses set parameters and sub-cells as attributes in
    ``__init__`` and compute in ``construct``; calling the cell runs ``construct`` with hooks.

    Parameter names follow MindSpore: a parameter takes its attribute name, and a sub-cell's
    parameters are prefixed with the attribute name of the sub-cell (``conv1.weight``).
    """

    IGNORE_LIST = ["_scope", "_cell_init_args", "_auto_prefix", "_cells", "_params", "_create_time",
                   "_func_graph_flags", "_parameter_layout_dict", "_params_list", "_phase",
                   "_forward_pre_hooks", "_forward_hooks", "_backward_hooks", "_backward_pre_hooks",
                   "_buffers", "_flags"]
    T_destination = TypeVar("T_destination", bound=dict)
    total_instance_count = 0
    # a layer that sets this runs with its parameters' own dtype under to_float (and casts itself)
    _keep_params_dtype = False
    _unnamed_count = 0

    def __init__(self, auto_prefix=True, flags=None):
        Cell.total_instance_count += 1
        object.__setattr__(self, "_create_time", int(time.time() * 1e9))
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_forward_pre_hooks_kwargs", set())
        object.__setattr__(self, "_forward_hooks_kwargs", set())
        object.__setattr__(self, "_state_dict_pre_hooks", OrderedDict())
        object.__setattr__(self, "_state_dict_hooks", OrderedDict())
        object.__setattr__(self, "_load_state_dict_pre_hooks", OrderedDict())
        object.__setattr__(self, "_load_state_dict_post_hooks", OrderedDict())
        object.__setattr__(self, "_mixed_precision_type", None)
        object.__setattr__(self, "_broadcast_flag", False)
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
                value.name = d["_param_prefix"] + name
                value._inited_name = True
            cells.pop(name, None)
            d.pop(name, None)
            params[name] = value
        elif isinstance(value, Cell):
            if value is self:
                raise ValueError(f"{type(self).__name__}: a cell cannot be its own sub-cell ('{name}')")
            params.pop(name, None)
            d.pop(name, None)
            cells[name] = value
            if self._auto_prefix:
                value.update_parameters_name(d["_param_prefix"] + name + ".")
        elif _is_parameter_sequence(value):
            self._set_parameter_sequence(name, value)
        elif name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"{type(self).__name__}: buffer '{name}' must be a Tensor or None, got "
                                f"{type(value).__name__}")
            d["_buffers"][name] = value
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

    def _set_parameter_sequence(self, name, value):
        """A tuple or list of Parameters as an attribute: each is registered under its own name
        (unnamed ones get a unique ``Parameter$N``), as MindSpore does; two different Parameters
        with one name are an error."""
        params = self.__dict__["_params"]
        seen = set()
        for p in value:
            if id(p) in seen:
                continue
            seen.add(id(p))
            if p.name == _DEFAULT_PARAM_NAME and not p._inited_name:
                Cell._unnamed_count += 1
                p.name = f"{_DEFAULT_PARAM_NAME}${Cell._unnamed_count}"
                p._inited_name = True
            if any(q is not None and q is not p and q.name == p.name for q in params.values()):
                raise ValueError(f"{type(self).__name__}: the parameter name '{p.name}' in '{name}' already "
                                 f"exists; give the parameters unique names")
            params[p.name] = p
        self.__dict__.pop(name, None)
        object.__setattr__(self, name, value)

    def __getattr__(self, name):
        d = self.__dict__
        if "_params" in d:
            if name in d["_params"]:
                return d["_params"][name]
            if name in d["_cells"]:
                return d["_cells"][name]
            if name in d["_buffers"]:
                return d["_buffers"][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        if name in self._params:
            del self._params[name]
        elif name in self._cells:
            del self._cells[name]
        elif name in self._buffers:
            del self._buffers[name]
            self._non_persistent_buffers.discard(name)
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
        cells = self.cells_and_names() if recurse else [("", self)]
        for _, cell in cells:
            object.__setattr__(cell, "_param_prefix", prefix + cell._param_prefix)
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
        if _context_options["mode"] == _GRAPH_MODE and not _GRAPH_EAGER and not _TRACES and not _tape.TAPES:
            return _call_in_graph_mode(self, args, kwargs)
        if self._forward_pre_hooks:
            args, kwargs = self._run_forward_pre_hooks(args, kwargs)
        hooked = bool(_tape.TAPES) and bool(self._backward_hooks or self._backward_pre_hooks)
        if hooked:
            args, state = _wrap_inputs_for_backward_hooks(self, args)
        if self._amp_dtype is not None and self._params:
            out = _call_in_precision(self, args, kwargs)
        elif _tape.TAPES and type(self).bprop is not Cell.bprop:
            out = _call_with_custom_bprop(self, args, kwargs)
        elif _TRACES:  # graph mode: tensor-dependent if/while/for compile (frontend/parse.py)
            out = _convert(self.construct)(*args, **kwargs)
        else:
            out = self.construct(*args, **kwargs)
        if hooked:
            out = _wrap_outputs_for_backward_hooks(self, out, state)
        if self._forward_hooks:
            for hid, hook in list(self._forward_hooks.items()):
                if hid in self._forward_hooks_kwargs:
                    res = hook(self, args, kwargs, out)
                else:
                    res = hook(self, args, out)
                if res is not None:
                    out = res
        return out

    def _run_forward_pre_hooks(self, args, kwargs):
        for hid, hook in list(self._forward_pre_hooks.items()):
            if hid in self._forward_pre_hooks_kwargs:
                res = hook(self, args, kwargs)
                if res is not None:
                    if not (isinstance(res, tuple) and len(res) == 2 and isinstance(res[1], dict)):
                        raise TypeError(f"{type(self).__name__}: a forward pre-hook registered with "
                                        f"with_kwargs=True must return None or (args, kwargs)")
                    args, kwargs = res
                    args = args if isinstance(args, tuple) else (args,)
            else:
                res = hook(self, args)
                if res is not None:
                    args = res if isinstance(res, tuple) else (res,)
        return args, kwargs

    def run_construct(self, cast_inputs, kwargs):
        """Run ``construct`` on already-prepared inputs (no hooks)."""
        return self.construct(*cast_inputs, **kwargs)

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

    def register_forward_pre_hook(self, hook_fn, with_kwargs=False):
        """``hook_fn(cell, inputs)`` runs before construct; it may return new inputs. With
        ``with_kwargs=True`` it is ``hook_fn(cell, args, kwargs)`` and may return ``(args, kwargs)``."""
        handle = self._add_hook(self._forward_pre_hooks, hook_fn)
        if with_kwargs:
            self._forward_pre_hooks_kwargs.add(handle._hid)
        return handle

    def register_forward_hook(self, hook_fn, with_kwargs=False):
        """``hook_fn(cell, inputs, output)`` runs after construct; it may return a new output.
        With ``with_kwargs=True`` it is ``hook_fn(cell, args, kwargs, output)``."""
        handle = self._add_hook(self._forward_hooks, hook_fn)
        if with_kwargs:
            self._forward_hooks_kwargs.add(handle._hid)
        return handle

    def register_backward_pre_hook(self, hook_fn):
        """``hook_fn(cell, grad_output)`` runs when the gradient of the cell's outputs is known,
        before the cell's own backward; it may return a new ``grad_output`` tuple."""
        return self._add_hook(self._backward_pre_hooks, hook_fn)

    def register_backward_hook(self, hook_fn):
        """``hook_fn(cell, grad_input, grad_output)`` runs once the gradients of the cell's inputs
        (``grad_input``) are computed from those of its outputs (``grad_output``); it may return a
        new ``grad_input`` tuple, which is what flows on to earlier cells (MindSpore 2.5)."""
        return self._add_hook(self._backward_hooks, hook_fn)

    # --- precision -----------------------------------------------------------------------------
    def to_float(self, dst_type):
        """Run this cell's computation in ``dst_type`` (float16, bfloat16 or float32): inputs are
        cast on entry and every sub-cell's float parameters are cast when it runs, as MindSpore's
        ``to_float`` does (the parameters themselves keep their dtype)."""
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
        head = type(self).__name__ + "<"
        if not self._cells:
            return head + extra + ">"
        body = "\n"
        if extra:
            body += extra + "\n"
        for name, cell in self._cells.items():
            body += f"({name}): {cell!r}\n"
        return head + body.replace("\n", "\n  ") + ">"

    # --- misc MindSpore API --------------------------------------------------------------------
    def set_inputs(self, *inputs, **kwargs):
        """Declare the inputs of the Cell's graph (MindSpore's ``Cell.set_inputs``): one Tensor (or
        tuple/list of Tensors) per positional input of ``construct``, or, by name
        (``set_inputs(x=...)``), some of them; a dim given as None
        (``Tensor(shape=[None, 784], dtype=ms.float32)``) is dynamic. In GRAPH_MODE, calls whose
        shapes match the declaration share one compiled graph template (see
        ``sporen.frontend.dynamic``); a call that does not match raises ValueError."""
        if inputs and kwargs:
            raise ValueError(f"For Cell, set_inputs should only set inputs or kwargs(inputs: {inputs}, "
                             f"kwargs: {kwargs})!")
        if kwargs:
            inputs = _inputs_by_name(self, kwargs)  # MindSpore's incremental mode
        for index, value in enumerate(inputs):
            if not _is_input_declaration(value):
                raise TypeError(f"Cell.set_inputs: input {index} must be a Tensor, a tuple or list of "
                                f"Tensors, or a Python scalar, got {type(value).__name__}")
        object.__setattr__(self, "_dynamic_inputs", inputs)
        state = self.__dict__.get("_graph_jit")
        if state is not None:
            state.fn = None  # compiled for the previous declaration

    def get_inputs(self):
        """The inputs declared by ``set_inputs`` (a tuple), or None."""
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

    # --- properties MindSpore exposes --------------------------------------------------------
    @property
    def cls_name(self):
        return type(self).__name__

    @property
    def create_time(self):
        return self._create_time

    @property
    def cell_init_args(self):
        return getattr(self, "_cell_init_args", "")

    @property
    def bprop_debug(self):
        return False

    @property
    def enable_backward_hook(self):
        return bool(self._backward_hooks or self._backward_pre_hooks)

    @property
    def jit_config_dict(self):
        return dict(self._jit_config or {})

    @property
    def pipeline_stage(self):
        return getattr(self, "_pipeline_stage", 0)

    @pipeline_stage.setter
    def pipeline_stage(self, value):
        object.__setattr__(self, "_pipeline_stage", value)

    @property
    def parameter_layout_dict(self):
        return {}

    # graph-compilation and parallel bookkeeping that PyNative on one device does not use
    compile_cache = frozenset()
    compiled = False
    phase_cache = {}
    parallel_parameter_merge_net_dict = {}
    parallel_parameter_name_list = ()
    pipeline_segment = None

    @property
    def compile_phase(self):
        return self.phase

    @property
    def exist_names(self):
        return {p.name for p in self.get_parameters()}

    @property
    def exist_objs(self):
        return {id(p) for p in self.get_parameters()}

    def get_scope(self):
        return getattr(self, "_scope", None)

    def update_cell_prefix(self):
        """Set every sub-cell's parameter prefix to its path from this cell."""
        for name, cell in self.cells_and_names():
            object.__setattr__(cell, "_param_prefix", name)

    def update_cell_type(self, cell_type):
        object.__setattr__(self, "cell_type", cell_type)

    def check_names(self):
        """Raise ValueError when two parameters share a name."""
        seen = set()
        for p in self.get_parameters():
            if p.name in seen:
                raise ValueError(f"{type(self).__name__}: the parameter name '{p.name}' is used twice; "
                                 f"give the parameters distinct names")
            seen.add(p.name)

    def check_names_and_refresh_name(self):
        """Rename parameters to their paths when names collide, then check again."""
        names = [p.name for p in self.get_parameters()]
        if len(set(names)) < len(names):
            for name, p in self.parameters_and_names():
                p.name = name
        self.check_names()

    # --- buffers and state dicts ---------------------------------------------------------------
    def register_buffer(self, name, tensor, persistent=True):
        """Keep a non-parameter Tensor (e.g. running statistics) with the cell."""
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"register_buffer: 'name' must be a non-empty str without '.', got {name!r}")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer: 'tensor' must be a Tensor or None, got {type(tensor).__name__}")
        if name in self._params or name in self._cells or (name in self.__dict__ and name not in self._buffers):
            raise KeyError(f"register_buffer: attribute '{name}' already exists")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def get_buffer(self, target):
        """The buffer at the dotted path ``target``."""
        *path, name = target.split(".")
        cell = self
        for part in path:
            if part not in cell._cells or cell._cells[part] is None:
                raise AttributeError(f"{type(cell).__name__} has no sub-cell '{part}'")
            cell = cell._cells[part]
        if name not in cell._buffers:
            raise AttributeError(f"'{target}' is not a buffer")
        return cell._buffers[name]

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        """Yield (name, buffer) pairs."""
        seen = set()
        cells = self.cells_and_names(name_prefix=prefix) if recurse else [(prefix, self)]
        for cell_name, cell in cells:
            for bname, b in cell._buffers.items():
                if b is None or (remove_duplicate and id(b) in seen):
                    continue
                seen.add(id(b))
                yield (cell_name + "." + bname if cell_name else bname), b

    def buffers(self, recurse=True):
        """Iterate over the buffers."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_extra_state(self):
        """Extra state for ``state_dict``; override together with ``set_extra_state``."""
        raise RuntimeError(f"{type(self).__name__}: get_extra_state is not implemented; override it "
                           f"together with set_extra_state")

    def set_extra_state(self, state):
        raise RuntimeError(f"{type(self).__name__}: set_extra_state is not implemented; override it "
                           f"together with get_extra_state")

    def _has_extra_state(self):
        return type(self).get_extra_state is not Cell.get_extra_state

    def register_state_dict_pre_hook(self, hook):
        """``hook(cell, prefix, keep_vars)`` runs before ``state_dict`` collects this cell."""
        return self._add_hook(self._state_dict_pre_hooks, hook)

    def register_state_dict_post_hook(self, hook):
        """``hook(cell, state_dict, prefix, local_metadata)`` runs after; it may return a new dict."""
        return self._add_hook(self._state_dict_hooks, hook)

    def register_load_state_dict_pre_hook(self, hook):
        """``hook(cell, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
        error_msgs)`` runs before ``load_state_dict`` loads this cell."""
        return self._add_hook(self._load_state_dict_pre_hooks, hook)

    def register_load_state_dict_post_hook(self, hook):
        """``hook(cell, incompatible_keys)`` runs after ``load_state_dict``."""
        return self._add_hook(self._load_state_dict_post_hooks, hook)

    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """An OrderedDict from path names to the parameters and persistent buffers."""
        if destination is None:
            destination = OrderedDict()
        for hook in self._state_dict_pre_hooks.values():
            hook(self, prefix, keep_vars)
        for name, p in self._params.items():
            if p is not None:
                destination[prefix + name] = p
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers:
                destination[prefix + name] = b
        if self._has_extra_state():
            destination[prefix + "_extra_state"] = self.get_extra_state()
        for name, cell in self._cells.items():
            if cell is not None:
                cell.state_dict(destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars)
        for hook in self._state_dict_hooks.values():
            res = hook(self, destination, prefix, {})
            if res is not None:
                destination = res
        return destination

    def load_state_dict(self, state_dict, strict=True):
        """Copy values from ``state_dict`` into the parameters and buffers; returns
        ``(missing_keys, unexpected_keys)``. With ``strict`` a mismatch raises RuntimeError."""
        if not isinstance(state_dict, dict):
            raise TypeError(f"load_state_dict: 'state_dict' must be a dict, got {type(state_dict).__name__}")
        missing, unexpected, errors = [], [], []
        used = set()
        for cell_name, cell in self.cells_and_names():
            prefix = cell_name + "." if cell_name else ""
            for hook in cell._load_state_dict_pre_hooks.values():
                hook(cell, state_dict, prefix, {}, strict, missing, unexpected, errors)
            entries = [(n, p) for n, p in cell._params.items() if p is not None]
            entries += [(n, b) for n, b in cell._buffers.items()
                        if b is not None and n not in cell._non_persistent_buffers]
            for name, target in entries:
                key = prefix + name
                if key not in state_dict:
                    missing.append(key)
                    continue
                used.add(key)
                value = state_dict[key]
                try:
                    if isinstance(target, Parameter):
                        target.set_data(value if isinstance(value, Tensor) else Tensor(value))
                    else:
                        target.assign_value(value)
                except (ValueError, TypeError) as exc:
                    errors.append(f"'{key}': {exc}")
            if cell._has_extra_state():
                key = prefix + "_extra_state"
                if key in state_dict:
                    used.add(key)
                    cell.set_extra_state(state_dict[key])
                elif strict:
                    missing.append(key)
        unexpected.extend(k for k in state_dict if k not in used)
        result = _IncompatibleKeys(missing, unexpected)
        for _, cell in self.cells_and_names():
            for hook in cell._load_state_dict_post_hooks.values():
                hook(cell, result)
        if strict and (missing or unexpected):
            errors.insert(0, f"missing keys {missing}, unexpected keys {unexpected}")
        if errors:
            raise RuntimeError(f"load_state_dict for {type(self).__name__}: " + "; ".join(errors))
        return result

    # --- dtype, placement and parallel settings (single process, CPU) ---------------------------
    def to(self, dtype):
        """Cast every floating-point parameter to ``dtype``; returns self."""
        from .. import dtype as mstype
        t = mstype.to_dtype(dtype, "dtype")
        if t.kind != "f":
            raise ValueError(f"to: 'dtype' must be a floating-point type, got {t}")
        for p in self.get_parameters():
            if p.dtype.kind == "f" and p.dtype is not t:
                p._data = p._array().astype(t.np)
        return self

    def to_empty(self, *, device=None):
        return self

    def set_mixed_precision_type(self, mixed_type, recurse=True):
        cells = self.cells_and_names() if recurse else [("", self)]
        for _, cell in cells:
            object.__setattr__(cell, "_mixed_precision_type", mixed_type)
        return self

    def get_mixed_precision_type(self):
        return self._mixed_precision_type

    def parameters_broadcast_dict(self, recurse=True):
        """The parameters to broadcast from rank 0 (all of them, except layer-wise parallel ones)."""
        return OrderedDict((p.name, p) for p in self.get_parameters(expand=recurse)
                           if not p.layerwise_parallel)

    def set_broadcast_flag(self, mode=True):
        object.__setattr__(self, "_broadcast_flag", bool(mode))
        return self

    def set_data_parallel(self):
        return self

    def offload(self, backward_prefetch="Auto"):
        return self


def _is_parameter_sequence(value):
    return (isinstance(value, (tuple, list)) and len(value) > 0
            and all(isinstance(v, Parameter) for v in value))


class _HookHandle:
    """Returned by the register_*_hook methods; ``remove()`` unregisters the hook."""

    def __init__(self, table, hid):
        self._table = table
        self._hid = hid

    def remove(self):
        self._table.pop(self._hid, None)


def _call_in_precision(cell, args, kwargs):
    """Run construct with the cell's float parameters cast to its ``to_float`` type; the casts are
    recorded, so gradients still reach the parameters in their own precision."""
    from ..ops.functional import cast
    t = cell._amp_dtype
    if cell._keep_params_dtype:
        # e.g. batch norm: its running statistics must be updated in place, in their own dtype
        return (_convert(cell.construct) if _TRACES else cell.construct)(*args, **kwargs)
    saved = dict(cell._params)
    try:
        for name, p in saved.items():
            if p is not None and p.dtype.kind == "f" and p.dtype is not t:
                cell._params[name] = cast(p, t)
        if _tape.TAPES and type(cell).bprop is not Cell.bprop:
            return _call_with_custom_bprop(cell, args, kwargs)
        return (_convert(cell.construct) if _TRACES else cell.construct)(*args, **kwargs)
    finally:
        cell._params.update(saved)


def _cast_inputs_hook(cell, args):
    t = cell._amp_dtype
    if t is None:
        return None
    return cell.cast_inputs(args, t)


# --- GRAPH_MODE: a top-level Cell call runs through jit ---------------------------------------------

_GRAPH_EAGER = []  # non-empty while a GRAPH_MODE call runs eagerly (its nested cells stay eager)


class _GraphJit:
    """A Cell's GRAPH_MODE state: its ``jit`` (``fn``), the train/eval phase it was traced in, and
    the reason it fell back to PyNative (or None). Copies and pickles of the Cell start afresh (the
    compiled graphs refer to the original Cell's Parameters)."""

    __slots__ = ("fn", "phase", "fallback")

    def __init__(self):
        self.fn = None
        self.phase = None
        self.fallback = None

    @property
    def trace_count(self):
        """How many times the Cell was traced in GRAPH_MODE."""
        return 0 if self.fn is None else self.fn.trace_count

    def __reduce__(self):
        return (_GraphJit, ())

    def __copy__(self):
        return _GraphJit()

    def __deepcopy__(self, memo):
        return _GraphJit()


def _call_in_graph_mode(cell, args, kwargs):
    """Run a top-level Cell call in GRAPH_MODE: through ``sporen.jit`` of the cell (its state kept
    as ``cell._graph_jit``; retraced when the train/eval phase changes). A cell whose trace needs
    tensor values (tensor-dependent control flow) or meets a part with no graph path falls back to
    PyNative, with a warning naming the reason once per cell. Calls given numpy arrays run eagerly
    (the arrays would be baked into the graph)."""
    state = cell.__dict__.get("_graph_jit")
    if state is None:
        state = _GraphJit()
        object.__setattr__(cell, "_graph_jit", state)
    if state.fallback is None and not _has_array_arg(args, kwargs):
        if state.fn is None:
            state.fn = _graph_function(cell)
            state.phase = cell.training
        elif state.phase != cell.training:
            # a graph traced in the other phase (BatchNorm, Dropout) is stale
            clear = getattr(state.fn, "clear", None)
            if clear is not None:
                clear()
            else:
                state.fn.cache.clear()
            state.phase = cell.training
        try:
            return state.fn(*args, **kwargs)
        except NotImplementedError as exc:
            reason = str(exc)
        except RuntimeError as exc:
            if "not supported yet" not in str(exc):
                raise
            reason = str(exc)
        state.fallback = reason
        warnings.warn(f"sporen: GRAPH_MODE could not compile {type(cell).__name__}; it runs in PyNative "
                      f"mode: {reason}", RuntimeWarning, stacklevel=3)
    _GRAPH_EAGER.append(cell)
    try:
        return cell(*args, **kwargs)
    finally:
        _GRAPH_EAGER.pop()


def _graph_function(cell):
    """The compiled function of a GRAPH_MODE cell: ``jit(cell)``, or, after ``set_inputs``, a
    DynamicFunction that checks calls against the declaration and shares one graph template over
    the sizes of its dynamic (None) dims."""
    from ..frontend.trace import jit
    fn = jit(cell)
    declared = cell.get_inputs()
    if declared is None:
        return fn
    from ..frontend.dynamic import DynamicFunction
    return DynamicFunction(cell, fn.backend_name, inputs=declared)


def _inputs_by_name(cell, named):
    """``set_inputs(x=...)``: the declaration as one entry per positional argument of
    ``construct`` (None where nothing is declared)."""
    parameters = inspect.signature(cell.construct).parameters
    names = [n for n, p in parameters.items() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    for name in named:
        if name not in names:
            raise ValueError(f"Cell.set_inputs: '{name}' is not an argument of {type(cell).__name__}.construct; "
                             f"its arguments are {names}")
    return tuple(named.get(name) for name in names)


def _is_input_declaration(value):
    """True for what ``set_inputs`` accepts: Tensors, Python scalars, tuples/lists of those."""
    if isinstance(value, (tuple, list)):
        return all(_is_input_declaration(v) for v in value)
    return value is None or isinstance(value, (Tensor, bool, int, float))


def _has_array_arg(args, kwargs):
    """True when a (top-level or tuple/list-nested) argument is a numpy array."""
    stack = list(args) + list(kwargs.values())
    while stack:
        a = stack.pop()
        if isinstance(a, np.ndarray):
            return True
        if isinstance(a, (tuple, list)):
            stack.extend(a)
    return False
