"""Graph mode's AST conversion (MindSpore's parser does this for ``construct``): a function's `if`,
`while` and `for` statements, conditional expressions and the `and`/`or`/`not` of their
conditions are rewritten into calls of the small runtime at the end of this file. On Python
values (and on concrete tensors) the runtime runs them as Python would; on a traced tensor it
traces both branches, or the loop's condition and body, into closed subgraphs and emits an
``if`` or ``while`` node (``sporen.ops.control``).

The rewrite, in the manner of TensorFlow's AutoGraph:

- ``break``/``continue`` are lowered to flags first: ``break`` sets ``__sp_brk_N``, the loop's
  condition becomes ``not __sp_brk_N and cond``, and what follows a statement that may break
  runs under ``if not __sp_brk_N:`` (``continue`` the same, with a flag reset each iteration);
- a branch or loop body becomes a nested function taking, and returning, the variables it
  assigns (its *state*); what it only reads it reads through the closure;
- a `return` inside an `if` is supported in the common form: the if is (or is made, by moving
  the rest of the function into its branches) the last statement, so both paths return;
- a `for` over ``range(n)`` with ``n`` a traced 0-d tensor becomes a ``while`` node; any other
  `for` unrolls; a Python `for`/`while` whose `break` depends on a tensor keeps unrolling with
  each later iteration guarded by an ``if`` (a `while` turns into a ``while`` node there).

What cannot be converted (a `return` inside a loop, `del`, `global` names assigned in a branch,
`break` inside `try`/`with`) stays Python: on a traced condition it raises ControlFlowError naming
the file and line. Only the function given to ``jit`` and the ``construct`` of each Cell called
while tracing are converted; helper functions they call run as written."""
import ast
import copy
import functools
import inspect
import os
import textwrap
import types

import numpy as np

from ..ir.graph import Literal, Var
from ..tensor import Tensor

__all__ = ["convert", "ControlFlowError", "UNDEF"]

_RUNTIME = "__sp"  # the name the converted code calls the runtime by (a closure cell)
_FN_PREFIX = "__sp_fn_"  # generated functions
_FLAG_PREFIX = "__sp_"  # generated flags (a Python bool that may turn into a traced tensor)


class ControlFlowError(NotImplementedError):
    """Graph mode cannot compile this control flow on a traced tensor (PyNative runs it); the
    message names the file and line. A NotImplementedError, so GRAPH_MODE falls back to PyNative."""


class _Undefined:
    """The value of a variable not (yet) assigned on some path."""

    __slots__ = ()

    def __repr__(self):
        return "<undefined>"


UNDEF = _Undefined()


# --- conversion entry point ------------------------------------------------------------------------

_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_CACHE = {}  # code object -> converted code object, or None when nothing is converted
_FLAGS = inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR


def convert(fn):
    """The converted version of ``fn`` (a function, a bound method or a partial of one); ``fn``
    itself when it has no control flow to convert, no source, or is something else (a Cell
    converts its construct when called while tracing). Conversions are cached per code object."""
    if isinstance(fn, types.MethodType):
        func = convert(fn.__func__)
        if func is fn.__func__:
            return fn
        return types.MethodType(func, fn.__self__)
    if isinstance(fn, functools.partial):
        func = convert(fn.func)
        if func is fn.func:
            return fn
        return functools.partial(func, *fn.args, **fn.keywords)
    if not isinstance(fn, types.FunctionType):
        return fn
    code = fn.__code__
    if code.co_filename.startswith(_PKG_DIR):
        return _convert_closure(fn)
    try:
        new_code = _CACHE[code]
    except KeyError:
        new_code = _convert_code(fn)
        _CACHE[code] = new_code
    if new_code is None:
        return fn
    cells = dict(zip(code.co_freevars, fn.__closure__ or ()))
    closure = []
    for name in new_code.co_freevars:
        if name == _RUNTIME:
            closure.append(_RUNTIME_CELL)
        else:
            closure.append(cells[name])
    new = types.FunctionType(new_code, fn.__globals__, fn.__name__, fn.__defaults__, tuple(closure))
    new.__kwdefaults__ = fn.__kwdefaults__
    new.__qualname__ = fn.__qualname__
    return new


def _convert_closure(fn, depth=0):
    """A sporen function (``grad``'s ``grad_fn``...) is not converted itself, but the user's
    functions it holds in its closure are: ``jit(grad(f))`` compiles ``f``'s control flow."""
    cells = fn.__closure__
    if not cells or depth > 4:
        return fn
    new_cells = []
    changed = False
    for cell in cells:
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell
            new_cells.append(cell)
            continue
        if isinstance(value, types.FunctionType) and value.__code__.co_filename.startswith(_PKG_DIR):
            new = _convert_closure(value, depth + 1)
        elif isinstance(value, (types.FunctionType, types.MethodType, functools.partial)):
            new = convert(value)
        else:
            new = value
        if new is not value:
            changed = True
            cell = types.CellType(new)
        new_cells.append(cell)
    if not changed:
        return fn
    new = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__, tuple(new_cells))
    new.__kwdefaults__ = fn.__kwdefaults__
    new.__qualname__ = fn.__qualname__
    return new


def _convert_code(fn):
    code = fn.__code__
    if code.co_flags & _FLAGS or code.co_name == "<lambda>":
        return None
    try:
        lines, first = inspect.getsourcelines(fn)
        tree = ast.parse(textwrap.dedent("".join(lines)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return None
    if not tree.body or not isinstance(tree.body[0], ast.FunctionDef) or tree.body[0].name != code.co_name:
        return None
    fdef = tree.body[0]
    if not _has_control_flow(fdef):
        return None
    ast.increment_lineno(tree, first - 1)
    fdef.decorator_list = []
    parts = fn.__qualname__.split(".")
    if len(parts) >= 2 and parts[-2] != "<locals>":
        _Mangler(parts[-2]).visit(fdef)
    if "__class__" in code.co_freevars and fdef.args.args:
        # zero-argument super() finds its instance as the first argument of the function it is
        # called in, which inside a generated branch function is something else: name both
        _ExplicitSuper(fdef.args.args[0].arg, fdef.name).visit(fdef)
    filename = code.co_filename
    new_fdef = _Converter(filename, fdef).convert()
    factory_body = [_assign(name, ast.Constant(None)) for name in (_RUNTIME, *code.co_freevars)]
    factory_body.append(new_fdef)
    factory_body.append(ast.Return(_load(fdef.name)))
    factory = _function("__sp_factory", [], factory_body)
    module = ast.Module(body=[factory], type_ignores=[])
    ast.fix_missing_locations(module)
    compiled = compile(module, filename, "exec")
    factory_code = next(c for c in compiled.co_consts if isinstance(c, types.CodeType))
    return next(c for c in factory_code.co_consts if isinstance(c, types.CodeType) and c.co_name == fdef.name)


def _has_control_flow(fdef):
    for node in _walk_local(fdef.body):
        if isinstance(node, (ast.If, ast.While, ast.For, ast.IfExp)):
            return True
    return False


class _ExplicitSuper(ast.NodeTransformer):
    """``super()`` -> ``super(__class__, self)``."""

    def __init__(self, instance, root):
        self.instance = instance
        self.root = root

    def visit_Call(self, node):
        self.generic_visit(node)
        if isinstance(node.func, ast.Name) and node.func.id == "super" and not node.args and not node.keywords:
            node.args = [_load("__class__"), _load(self.instance)]
        return node

    def visit_FunctionDef(self, node):
        if node.name == self.root:  # the converted function itself; nested defs keep their super()
            self.generic_visit(node)
        return node


class _Mangler(ast.NodeTransformer):
    """Private names (``self.__x``) as the compiler mangles them inside the class body: the
    converted function is compiled outside its class."""

    def __init__(self, cls):
        self.prefix = "_" + cls.lstrip("_")

    def _mangle(self, name):
        if name.startswith("__") and not name.endswith("__") and self.prefix != "_":
            return self.prefix + name
        return name

    def visit_Name(self, node):
        node.id = self._mangle(node.id)
        return node

    def visit_Attribute(self, node):
        self.generic_visit(node)
        node.attr = self._mangle(node.attr)
        return node


# --- AST helpers --------------------------------------------------------------------------------

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.ListComp, ast.SetComp,
           ast.DictComp, ast.GeneratorExp)


def _walk_local(stmts, into_loops=True):
    """The nodes of ``stmts``, not entering nested scopes (functions, classes, comprehensions),
    nor loops when ``into_loops`` is False. A nested def's own node is yielded."""
    stack = list(reversed(stmts))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, _SCOPES):
            continue
        if not into_loops and isinstance(node, (ast.For, ast.While, ast.AsyncFor)):
            continue
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


def _assigned(stmts):
    """The names ``stmts`` bind in the enclosing function (a def's or import's name included)."""
    names = set()
    for node in _walk_local(stmts):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names.add((alias.asname or alias.name).split(".")[0])
    return {n for n in names if not n.startswith(_FN_PREFIX)}


def _loads(nodes):
    """How many times each name is read in ``nodes`` (nested scopes included: they read too)."""
    counts = {}
    for top in nodes:
        for node in ast.walk(top):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                counts[node.id] = counts.get(node.id, 0) + 1
    return counts


def _names_read(node, killed):
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
            and n.id not in killed}


def _exposed(stmts, killed=frozenset()):
    """The names ``stmts`` may read before assigning them (in execution order; an assignment
    inside a nested block does not count for what follows it: conservative)."""
    exposed = set()
    killed = set(killed)
    for stmt in stmts:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            if stmt.value is not None:
                exposed |= _names_read(stmt.value, killed)
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                if isinstance(stmt, ast.AugAssign) and isinstance(target, ast.Name) and target.id not in killed:
                    exposed.add(target.id)
                exposed |= {n for n in _names_read(target, killed)}
                killed |= {n.id for n in ast.walk(target) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        elif isinstance(stmt, (ast.If, ast.While)):
            exposed |= _names_read(stmt.test, killed)
            exposed |= _exposed(stmt.body, killed) | _exposed(stmt.orelse, killed)
        elif isinstance(stmt, ast.For):
            exposed |= _names_read(stmt.iter, killed)
            bound = {n.id for n in ast.walk(stmt.target) if isinstance(n, ast.Name)}
            exposed |= _exposed(stmt.body, killed | bound) | _exposed(stmt.orelse, killed)
        else:
            exposed |= _names_read(stmt, killed)
    return exposed


def _load(name):
    return ast.Name(id=name, ctx=ast.Load())


def _store(name):
    return ast.Name(id=name, ctx=ast.Store())


def _assign(name, value):
    return ast.Assign(targets=[_store(name)], value=value)


def _const(value):
    return ast.Constant(value)


def _names_tuple(names, ctx):
    return ast.Tuple(elts=[ast.Name(id=n, ctx=ctx()) for n in names], ctx=ctx())


def _rt(attr, *args):
    func = ast.Attribute(value=_load(_RUNTIME), attr=attr, ctx=ast.Load())
    return ast.Call(func=func, args=list(args), keywords=[])


def _lambda(body):
    args = ast.arguments(posonlyargs=[], args=[], vararg=None, kwonlyargs=[], kw_defaults=[], kwarg=None,
                         defaults=[])
    return ast.Lambda(args=args, body=body)


def _function(name, params, body):
    args = ast.arguments(posonlyargs=[], args=[ast.arg(arg=p) for p in params], vararg=None, kwonlyargs=[],
                         kw_defaults=[], kwarg=None, defaults=[])
    fields = {"name": name, "args": args, "body": body or [ast.Pass()], "decorator_list": [], "returns": None}
    if "type_params" in ast.FunctionDef._fields:
        fields["type_params"] = []
    return ast.FunctionDef(**fields)


def _not(expr):
    return ast.UnaryOp(op=ast.Not(), operand=expr)


def _always_returns(stmts):
    return bool(stmts) and isinstance(stmts[-1], (ast.Return, ast.Raise))


def _contains(stmts, kinds, into_loops=True):
    return any(isinstance(n, kinds) for n in _walk_local(stmts, into_loops))


def _state_call(names):
    return _rt("get", ast.Call(func=_load("locals"), args=[], keywords=[]), _const(tuple(names)))


# --- break / continue -> flags ---------------------------------------------------------------------

def _jump_sites_ok(stmts):
    """True when every break/continue of this loop sits in plain statements and `if` branches (so
    it can be lowered to a flag); those in nested loops belong to them."""
    for stmt in stmts:
        if isinstance(stmt, (ast.Break, ast.Continue)):
            continue
        if isinstance(stmt, ast.If):
            if not _jump_sites_ok(stmt.body) or not _jump_sites_ok(stmt.orelse):
                return False
            continue
        if isinstance(stmt, (ast.For, ast.While, ast.AsyncFor)):
            if _contains(stmt.orelse, (ast.Break, ast.Continue), into_loops=False):
                return False
            continue
        if _contains([stmt], (ast.Break, ast.Continue), into_loops=False):
            return False
    return True


def _lower_jumps(stmts, brk, cont):
    """``stmts`` with this loop's `break` (`continue`) replaced by setting flag ``brk`` (``cont``)
    and the statements after one that may jump guarded by ``if not flag``."""
    out = []
    for i, stmt in enumerate(stmts):
        if isinstance(stmt, ast.Break):
            out.append(ast.copy_location(_assign(brk, _const(True)), stmt))
            return out
        if isinstance(stmt, ast.Continue):
            out.append(ast.copy_location(_assign(cont, _const(True)), stmt))
            return out
        flags = []
        if isinstance(stmt, ast.If):
            if _contains([stmt], ast.Break, into_loops=False):
                flags.append(brk)
            if _contains([stmt], ast.Continue, into_loops=False):
                flags.append(cont)
            stmt.body = _lower_jumps(stmt.body, brk, cont)
            stmt.orelse = _lower_jumps(stmt.orelse, brk, cont)
        out.append(stmt)
        rest = stmts[i + 1:]
        if flags and rest:
            test = _load(flags[0]) if len(flags) == 1 else ast.BoolOp(op=ast.Or(), values=[_load(f) for f in flags])
            guard = ast.If(test=_not(test), body=_lower_jumps(rest, brk, cont), orelse=[])
            out.append(ast.copy_location(guard, rest[0]))
            return out
    return out


# --- the converter ---------------------------------------------------------------------------------

class _Converter:
    """Rewrites one function's body (see the module docstring)."""

    def __init__(self, filename, fdef):
        self.filename = filename
        self.fdef = fdef
        self.count = 0
        self.declared = set()  # global/nonlocal names: a branch must not rebind them locally
        for node in _walk_local(fdef.body):
            if isinstance(node, (ast.Global, ast.Nonlocal)):
                self.declared.update(node.names)
        self.total = {}

    def convert(self):
        fdef = self.fdef
        fdef.body = self.lower_block(fdef.body)
        self.total = _loads(fdef.body)
        fdef.body = self.block(fdef.body, tail=True)
        return fdef

    def fresh(self, kind):
        self.count += 1
        return f"{kind}{self.count}"

    def loc(self, node):
        return f"{self.filename}:{node.lineno}"

    def live_after(self, node, names):
        """The names whose value after ``node`` may be read: read anywhere else in the function,
        or read inside ``node`` before it assigns them (in a loop, the next iteration reads them)."""
        inside = _loads([node])
        exposed = _exposed([node])
        return tuple(sorted(n for n in names if self.total.get(n, 0) > inside.get(n, 0) or n in exposed))

    # break/continue lowering (before anything else, on the whole function)
    def lower_block(self, stmts):
        out = []
        for stmt in stmts:
            out.extend(self.lower_stmt(stmt))
        return out

    def lower_stmt(self, stmt):
        if isinstance(stmt, _SCOPES):
            return [stmt]
        for field in ("body", "orelse", "finalbody"):
            if isinstance(getattr(stmt, field, None), list):
                setattr(stmt, field, self.lower_block(getattr(stmt, field)))
        if isinstance(stmt, ast.Try):
            for handler in stmt.handlers:
                handler.body = self.lower_block(handler.body)
        if not isinstance(stmt, (ast.While, ast.For)):
            return [stmt]
        has_brk = _contains(stmt.body, ast.Break, into_loops=False)
        has_cont = _contains(stmt.body, ast.Continue, into_loops=False)
        if not (has_brk or has_cont) or not _jump_sites_ok(stmt.body):
            return [stmt]
        brk = self.fresh(_FLAG_PREFIX + "brk") if has_brk else None
        cont = self.fresh(_FLAG_PREFIX + "cont") if has_cont else None
        before = []
        body = _lower_jumps(stmt.body, brk, cont)
        if cont:
            body.insert(0, ast.copy_location(_assign(cont, _const(False)), stmt))
            before.append(ast.copy_location(_assign(cont, _const(False)), stmt))
        stmt.body = body
        after = []
        if brk:
            before.append(ast.copy_location(_assign(brk, _const(False)), stmt))
            if isinstance(stmt, ast.While):
                stmt.test = ast.BoolOp(op=ast.And(), values=[_not(_load(brk)), stmt.test])
            else:
                stmt.sp_flag = brk
            if stmt.orelse:
                after.append(ast.copy_location(ast.If(test=_not(_load(brk)), body=stmt.orelse, orelse=[]), stmt))
                stmt.orelse = []
        return before + [stmt] + after

    # conversion proper
    def block(self, stmts, tail):
        out = []
        for i, stmt in enumerate(stmts):
            if isinstance(stmt, ast.If):
                if _contains([stmt], ast.Return):
                    if tail and self.tail_ok(stmt):
                        out.extend(self.returning_if(stmt, stmts[i + 1:]))
                        return out
                    out.append(self.guarded(stmt, "a `return` inside it is not in the supported form "
                                                  "(both branches return, or `if c: return a` then `return b`)"))
                    continue
                out.extend(self.plain_if(stmt))
            elif isinstance(stmt, ast.While):
                out.extend(self.while_loop(stmt))
            elif isinstance(stmt, ast.For):
                out.extend(self.for_loop(stmt))
            elif isinstance(stmt, _SCOPES):
                out.append(stmt)
            else:
                out.append(self.other(stmt))
        return out

    def other(self, stmt):
        """A simple or compound statement other than if/while/for: its conditional expressions
        converted, its inner blocks converted."""
        for field in ("body", "orelse", "finalbody"):
            if isinstance(getattr(stmt, field, None), list):
                setattr(stmt, field, self.block(getattr(stmt, field), tail=False))
        if isinstance(stmt, ast.Try):
            for handler in stmt.handlers:
                handler.body = self.block(handler.body, tail=False)
        return _Expressions(self).visit(stmt)

    def tail_ok(self, stmt):
        """Every `return` of this if is outside loops, try and with blocks (so moving the rest of
        the function into its branches keeps the meaning)."""
        for node in _walk_local([stmt]):
            if isinstance(node, (ast.While, ast.For, ast.AsyncFor, ast.Try, ast.With, ast.AsyncWith)):
                if _contains([node], ast.Return):
                    return False
        return True

    def why_not(self, stmts, loop):
        """Why these statements cannot become a subgraph function, or None."""
        for node in _walk_local(stmts):
            if isinstance(node, (ast.Yield, ast.YieldFrom, ast.Await)):
                return "it contains yield/await"
            if isinstance(node, ast.Return):
                return "it contains a `return`" + (" (inside a loop)" if loop else "")
            if isinstance(node, ast.Delete) and any(isinstance(t, ast.Name) for t in node.targets):
                return "it deletes a variable"
        for node in _walk_local(stmts, into_loops=False):
            if isinstance(node, (ast.Break, ast.Continue)):
                return "a break/continue inside try/with blocks is not supported"
        bad = _assigned(stmts) & self.declared
        if bad:
            return f"it assigns the global/nonlocal name '{sorted(bad)[0]}'"
        return None

    def guarded(self, stmt, why):
        """Keep ``stmt`` as Python; on a traced condition it raises naming the line."""
        kind = type(stmt).__name__.lower()
        stmt.body = self.block(stmt.body, tail=False)
        stmt.orelse = self.block(stmt.orelse, tail=False)
        if isinstance(stmt, ast.For):
            stmt.iter = _rt("py_iter", self.iterable(stmt.iter), _const(self.loc(stmt)), _const(why))
            return _Expressions(self).visit_children(stmt, skip=("body", "orelse", "iter", "target"))
        stmt.test = _rt("py_cond", self.test(stmt.test), _const(self.loc(stmt)), _const(kind), _const(why))
        return stmt

    def test(self, expr):
        """A condition: `and`/`or`/`not` become runtime calls that also take traced tensors."""
        if isinstance(expr, ast.BoolOp):
            values = [self.test(v) for v in expr.values]
            rest = [_lambda(v) for v in values[1:]]
            return ast.copy_location(_rt("and_" if isinstance(expr.op, ast.And) else "or_", values[0], *rest), expr)
        if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.Not):
            return ast.copy_location(_rt("not_", self.test(expr.operand)), expr)
        return _Expressions(self).visit(expr)

    def iterable(self, expr):
        expr = _Expressions(self).visit(expr)
        if (isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id == "range"
                and not expr.keywords and not any(isinstance(a, ast.Starred) for a in expr.args)):
            return ast.copy_location(_rt("range_", *expr.args), expr)
        return expr

    def plain_if(self, stmt):
        why = self.why_not(stmt.body + stmt.orelse, loop=False)
        if why is not None:
            return [self.guarded(stmt, why)]
        names = sorted(_assigned(stmt.body + stmt.orelse))
        live = self.live_after(stmt, names)
        then_name = self.fresh(_FN_PREFIX + "then")
        else_name = self.fresh(_FN_PREFIX + "else")
        ret = ast.Return(_names_tuple(names, ast.Load))
        then_fn = _function(then_name, names, self.block(stmt.body, tail=False) + [ret])
        else_fn = _function(else_name, names, self.block(stmt.orelse, tail=False) + [ret])
        call = _rt("if_stmt", self.test(stmt.test), _load(then_name), _load(else_name), _state_call(names),
                   _const(tuple(names)), _const(live), _const(self.loc(stmt)))
        if names:
            last = ast.Assign(targets=[_names_tuple(names, ast.Store)], value=call)
        else:
            last = ast.Expr(call)
        return [ast.copy_location(n, stmt) for n in (then_fn, else_fn, last)]

    def returning_if(self, stmt, rest):
        """An if in tail position that returns: the rest of the block is moved into each branch
        that may fall through, so both branches end in a return (``None`` when the function's
        end is reached), and the if returns the value of the branch taken."""
        body = stmt.body if _always_returns(stmt.body) else stmt.body + _copy(rest)
        orelse = stmt.orelse if _always_returns(stmt.orelse) else stmt.orelse + _copy(rest)
        why = self.why_not_returning(body + orelse)
        if why is not None:
            stmt.body = body
            stmt.orelse = orelse
            return [self.guarded(stmt, why)]
        names = sorted(_assigned(body + orelse))
        branches = []
        for kind, stmts in (("then", body), ("else", orelse)):
            converted = self.block(stmts, tail=True)
            if not _always_returns(converted):
                converted.append(ast.Return(_const(None)))
            name = self.fresh(_FN_PREFIX + kind)
            branches.append((name, _function(name, names, converted)))
        call = _rt("if_stmt", self.test(stmt.test), _load(branches[0][0]), _load(branches[1][0]),
                   _state_call(names), _const(tuple(names)), _const(()), _const(self.loc(stmt)), _const(True))
        nodes = [branches[0][1], branches[1][1], ast.Return(call)]
        return [ast.copy_location(n, stmt) for n in nodes]

    def why_not_returning(self, stmts):
        for node in _walk_local(stmts):
            if isinstance(node, (ast.Yield, ast.YieldFrom, ast.Await)):
                return "it contains yield/await"
            if isinstance(node, ast.Delete) and any(isinstance(t, ast.Name) for t in node.targets):
                return "it deletes a variable"
        bad = _assigned(stmts) & self.declared
        if bad:
            return f"it assigns the global/nonlocal name '{sorted(bad)[0]}'"
        return None

    def loop_body(self, stmts):
        return self.block(stmts, tail=False)

    def while_loop(self, stmt):
        why = self.why_not(stmt.body, loop=True)
        if why is None and _contains([stmt.test], ast.NamedExpr):
            why = "its condition assigns a variable (:=)"
        if why is not None:
            return [self.guarded(stmt, why)]
        names = sorted(_assigned(stmt.body))
        live = self.live_after(stmt, names)
        cond_name = self.fresh(_FN_PREFIX + "cond")
        body_name = self.fresh(_FN_PREFIX + "body")
        cond_fn = _function(cond_name, names, [ast.Return(self.test(stmt.test))])
        ret = ast.Return(_names_tuple(names, ast.Load))
        body_fn = _function(body_name, names, self.loop_body(stmt.body) + [ret])
        call = _rt("while_stmt", _load(cond_name), _load(body_name), _state_call(names), _const(tuple(names)),
                   _const(live), _const(self.loc(stmt)))
        last = ast.Assign(targets=[_names_tuple(names, ast.Store)], value=call) if names else ast.Expr(call)
        nodes = [cond_fn, body_fn, last]
        out = [ast.copy_location(n, stmt) for n in nodes]
        out.extend(self.block(stmt.orelse, tail=False))
        return out

    def for_loop(self, stmt):
        why = self.why_not(stmt.body, loop=True)
        if why is not None:
            return [self.guarded(stmt, why)]
        targets = sorted(_assigned([ast.Assign(targets=[stmt.target], value=_const(None))]))
        names = sorted(_assigned(stmt.body) | set(targets))
        live = self.live_after(stmt, names)
        body_name = self.fresh(_FN_PREFIX + "body")
        item = "__sp_item"
        head = ast.copy_location(ast.Assign(targets=[stmt.target], value=_load(item)), stmt)
        ret = ast.Return(_names_tuple(names, ast.Load))
        body_fn = _function(body_name, [item] + names, [head] + self.loop_body(stmt.body) + [ret])
        nodes = [body_fn]
        flag = getattr(stmt, "sp_flag", None)
        if flag is not None:
            test_name = self.fresh(_FN_PREFIX + "test")
            nodes.append(_function(test_name, names, [ast.Return(_rt("not_", _load(flag)))]))
            test = _load(test_name)
        else:
            test = _const(None)
        call = _rt("for_stmt", self.iterable(stmt.iter), test, _load(body_name), _state_call(names),
                   _const(tuple(names)), _const(live), _const(tuple(targets)), _const(self.loc(stmt)))
        nodes.append(ast.Assign(targets=[_names_tuple(names, ast.Store)], value=call))
        out = [ast.copy_location(n, stmt) for n in nodes]
        out.extend(self.block(stmt.orelse, tail=False))
        return out


def _copy(stmts):
    """A deep copy of statements (a block moved into both branches must not share nodes)."""
    return [copy.deepcopy(s) for s in stmts]


class _Expressions(ast.NodeTransformer):
    """Conditional expressions ``a if c else b`` -> ``if_exp(c, lambda: a, lambda: b)``, not
    entering nested functions and classes."""

    def __init__(self, converter):
        self.converter = converter

    def visit_children(self, node, skip):
        for field, value in ast.iter_fields(node):
            if field in skip:
                continue
            if isinstance(value, ast.AST):
                setattr(node, field, self.visit(value))
        return node

    def visit_FunctionDef(self, node):
        return node

    visit_AsyncFunctionDef = visit_FunctionDef
    visit_ClassDef = visit_FunctionDef

    def visit_IfExp(self, node):
        test = self.converter.test(node.test)
        body = self.visit(node.body)
        orelse = self.visit(node.orelse)
        call = _rt("if_exp", test, _lambda(body), _lambda(orelse), _const(self.converter.loc(node)))
        return ast.copy_location(call, node)


# --- the runtime the converted code calls ------------------------------------------------------------

def _symbolic(x):
    return isinstance(x, Tensor) and isinstance(x._data, Var)


def get(scope, names):
    """The current values of ``names`` in ``scope`` (a ``locals()``), UNDEF where unbound."""
    return tuple(scope.get(n, UNDEF) for n in names)


def _predicate(value, loc):
    """A Bool[] tensor from a condition (a traced tensor of one element, or a Python value)."""
    from ..ops.functional import cast, reshape
    from .. import dtype as _dtype
    if not isinstance(value, Tensor):
        return Tensor(bool(value))
    if value.shape != ():
        if value.size != 1:
            raise ValueError(f"{loc}: the condition is a Tensor of shape {value.shape}: the truth value of "
                             f"a Tensor with more than one element is ambiguous")
        value = reshape(value, ())
    if value.dtype is not _dtype.bool_:
        value = cast(value, _dtype.bool_)
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
        from ..ops.functional import logical_not
        return logical_not(_predicate(value, ""))
    return not value


def _combine(name, first, second):
    from ..ops import functional
    return getattr(functional, name)(_predicate(first, ""), _predicate(second, ""))


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
    from ..dtype import _BY_NP
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
        from .trace import _Leaf
        if isinstance(struct, _Leaf):
            return sub.values[struct.index]
        return struct.value

    def match(self, a, b, path):
        from .trace import _Leaf, _Static
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
        from .trace import _Leaf
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
    from ..ops.control import cond
    from .trace import _Leaf, _unflatten
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
        t._data = new._data  # the write happens after the if, with the value of the path taken
    if isinstance(struct, _Leaf):
        return results[struct.index]
    return _unflatten(struct, results)


def _route_writes(then_sub, else_sub, paths):
    """Make each outer tensor written in place on either path an output of both (its value
    unchanged on the path that does not write it); return the tensors, in output order."""
    from .trace import SymVar
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
    from .trace import trace_sub
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
    from .trace import _Leaf, _Static
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
    from .trace import trace_sub
    p = _predicate(pred, loc)
    then_sub = trace_sub(then_fn, (), writes=True)
    else_sub = trace_sub(else_fn, (), writes=True)
    paths = _Paths(then_sub, else_sub, loc, ("`a` of `a if c else b`", "`b`"))
    struct = paths.match(then_sub.struct, else_sub.struct, "the value")
    return _emit_if(p, then_sub, else_sub, paths, struct)


def while_stmt(cond_fn, body_fn, state, names, live, loc):
    """A `while` loop: Python iterations while the condition is a Python value (or concrete);
    from the first traced condition on, a ``while`` node runs the remaining iterations."""
    from ..passes._effects import node_is_pure
    from .trace import TRACES
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
    from ..ops.functional import cast
    if start.dtype is not dtype:
        start = cast(start, dtype)
    if stop.dtype is not dtype:
        stop = cast(stop, dtype)
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
    """The ``while`` node: the carries are the tensors in ``state``; a Python scalar the body
    changes becomes a tensor carry (and the body is traced again)."""
    from ..ops.control import while_loop
    from .trace import _Leaf, _Static, _flatten, _unflatten, trace_sub
    state = list(state)
    for _ in range(len(names) + 2):
        leaves = []
        struct = _flatten(tuple(state), leaves)
        avals = [(t.shape, _np_dtype(t)) for t in leaves]

        def run_body(*carries, struct=struct):
            return body_fn(*_unflatten(struct, carries))

        body_sub = trace_sub(run_body, avals)
        promote = {}
        outs = []
        for k, (name, a, b) in enumerate(zip(names, struct[1], body_sub.struct[1])):
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
        body_sub.values = outs

        def run_cond(*carries, struct=struct):
            return _predicate(cond_fn(*_unflatten(struct, carries)), loc)

        cond_sub = trace_sub(run_cond, avals)
        results = while_loop(leaves, cond_sub, body_sub)
        return tuple(_unflatten(struct, list(results)))
    raise ControlFlowError(f"{loc}: the variables of this loop on a traced tensor do not settle to fixed types")


def _np_dtype(t):
    data = t._data
    if data is None:
        data = t._array()
    return data.dtype


def _carry_outputs(a, b, body_sub, leaves, outs, path, loc):
    """Append the body's graph value for each tensor leaf of the carried value ``a`` (the body
    gave ``b``); Python parts must come back unchanged, tensors with the same shape and dtype."""
    from .trace import _Leaf, _Static
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


_RUNTIME_CELL = types.CellType(types.SimpleNamespace(
    get=get, if_stmt=if_stmt, if_exp=if_exp, while_stmt=while_stmt, for_stmt=for_stmt, and_=and_, or_=or_,
    not_=not_, range_=range_, py_cond=py_cond, py_iter=py_iter))
