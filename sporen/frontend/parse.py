"""Graph mode's AST conversion (MindSpore's parser does this for ``construct``): a function's `if`,
`while` and `for` statements, conditional expressions and the `and`/`or`/`not` of their
conditions are rewritten into calls of a small runtime (``if_stmt``, ``while_stmt``... in
``sporen.ops.control``). On Python
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
the file and line. The function given to ``jit``, the ``construct`` of each Cell called while
tracing, and the functions they call by a plain name or as a method of their first argument
(``helper(x)``, ``self.helper(x)``) are converted; a function reached any other way (through a
container, ``getattr``, a module attribute such as ``utils.helper(x)``) runs as written, and its
tensor condition is the error naming its line. sporen's own functions are never converted."""
import ast
import builtins
import copy
import functools
import inspect
import linecache
import os
import textwrap
import tokenize
import types



__all__ = ["convert", "ControlFlowError", "UNDEF"]

_BUILTINS = frozenset(dir(builtins))  # never wrapped: locals(), super()... see their caller's frame
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
# sporen's own code is library code (its graph paths are written by hand), except the model zoo,
# which is written as a user's program would be
_USER_DIRS = tuple(_PKG_DIR + name + os.sep for name in ("models",))


def _is_library(code):
    filename = code.co_filename
    return filename.startswith(_PKG_DIR) and not filename.startswith(_USER_DIRS)


_CACHE = {}  # code object -> converted code object, or None when nothing is converted
_FLAGS = inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR


def convert(fn):
    """The converted version of ``fn`` (a function, a bound method or a partial of one); ``fn``
    itself when it has no control flow to convert, no source, or is something else (a Cell
    converts its construct when called while tracing). sporen's own functions are not converted,
    but the user functions in their closures are (``grad(f)``'s ``f``). Conversions are cached
    per code object."""
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
    if _is_library(code):
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
            closure.append(_runtime_cell())
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
        if isinstance(value, types.FunctionType) and _is_library(value.__code__):
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
        lines, first = _source_lines(code)
        tree = ast.parse(textwrap.dedent("".join(lines)))
    except (OSError, TypeError, SyntaxError, IndentationError, tokenize.TokenError):
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


def _source_lines(code):
    """The source lines of a function's definition and its first line number, read straight from
    the file (``inspect.getsourcelines`` first searches every loaded module for the function's)."""
    all_lines = linecache.getlines(code.co_filename)
    first = code.co_firstlineno
    if not all_lines or first > len(all_lines):
        raise OSError(f"no source for {code.co_name}")
    return inspect.getblock(all_lines[first - 1:]), first


def _has_control_flow(fdef):
    """True when the function has an if/while/for/conditional expression, or calls a function by
    a plain name or a method of its first argument (the callee may have some)."""
    first = fdef.args.args[0].arg if fdef.args.args else None
    for node in _walk_local(fdef.body):
        if isinstance(node, (ast.If, ast.While, ast.For, ast.IfExp)):
            return True
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id not in _BUILTINS:
                return True
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == first:
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
        self.instance = fdef.args.args[0].arg if fdef.args.args else None

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

    def visit_Call(self, node):
        """A call of a function named by a plain name (not a builtin) or of a method of the
        function's first argument (``self.helper(x)``) goes through ``call``, which converts
        the callee while tracing: helpers' control flow compiles too."""
        self.generic_visit(node)
        func = node.func
        first = self.converter.instance
        plain = isinstance(func, ast.Name) and func.id not in _BUILTINS and not func.id.startswith(_FLAG_PREFIX)
        method = (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and first is not None
                  and func.value.id == first)
        if plain or method:
            node.args = [func] + node.args
            node.func = ast.Attribute(value=_load(_RUNTIME), attr="call", ctx=ast.Load())
        return node

    def visit_IfExp(self, node):
        test = self.converter.test(node.test)
        body = self.visit(node.body)
        orelse = self.visit(node.orelse)
        call = _rt("if_exp", test, _lambda(body), _lambda(orelse), _const(self.converter.loc(node)))
        return ast.copy_location(call, node)


def _runtime_cell():
    """The closure cell through which converted code calls the runtime (sporen.ops.control),
    made at the first conversion: the op modules are not imported before sporen is."""
    global _RUNTIME_CELL
    if _RUNTIME_CELL is None:
        from ..ops import control
        _RUNTIME_CELL = types.CellType(types.SimpleNamespace(
            get=control.get, if_stmt=control.if_stmt, if_exp=control.if_exp, while_stmt=control.while_stmt,
            for_stmt=control.for_stmt, and_=control.and_, or_=control.or_, not_=control.not_,
            range_=control.range_, py_cond=control.py_cond, py_iter=control.py_iter, call=control.call))
    return _RUNTIME_CELL


_RUNTIME_CELL = None
