"""The Backend interface: a backend runs a Graph on arrays. Backends are found by name, so nothing
above the runtime imports one directly."""
import collections
import importlib
import weakref

__all__ = ["Backend", "PlanCache", "get_backend", "register_backend", "backend_names"]

# name -> "module" (whose BACKEND it is) or "module:NAME", imported on first use, or a Backend
_BACKENDS = {"numpy": "sporen.runtime.numpy", "numpy_planned": "sporen.runtime.numpy",
             "numpy_interpret": "sporen.runtime.numpy:INTERPRET", "cpu": "sporen.runtime.cpu"}


class Backend:
    """Runs graphs. ``run(graph, arrays)`` takes one array per graph param (of the param's shape
    and dtype) and returns a tuple with one array per graph output; the caller owns the returned
    arrays (a backend never hands out memory it will write again).

    ``expand_composites``: True when the backend wants composite ops (softmax, layer_norm...)
    expanded into primitives before it sees the graph (a fusing backend), or the set of the op
    names it wants expanded; the numpy reference runs one composite kernel faster than its
    primitives, so it says False."""

    name = ""
    expand_composites = False

    def run(self, graph, arrays):
        raise NotImplementedError(f"backend '{self.name}' does not implement run()")

    def prepare(self, graph, donate=()):
        """What ``run`` would do for ``graph``, done once: an object whose ``run(arrays)`` runs
        it (a caller that runs one graph many times, as jit does, keeps it). ``donate`` lists
        pairs ``(output index, param index)`` where the caller replaces the param's array by the
        output after each run (a parameter update): a backend may then compute the output into
        the param's array and return that array. The default ignores it and runs
        ``self.run(graph, arrays)``; a backend that plans or compiles returns its prepared form."""
        return _Prepared(self, graph)

    def describe(self, graph):
        """Text about how this backend runs ``graph`` (its memory plan, for one), written by
        ``save_graphs`` as the last stage file; empty when there is nothing beyond the graph."""
        return ""


class _Prepared:
    __slots__ = ("backend", "graph")

    def __init__(self, backend, graph):
        self.backend = backend
        self.graph = graph

    def run(self, arrays):
        return self.backend.run(self.graph, arrays)


class PlanCache:
    """A backend's prepared graphs, ``make(graph, donate)`` made once per graph and donation list.
    A Graph is keyed by identity (passes build new graphs, never mutate one); an entry is kept
    while its graph lives (when Graph can be weakly referenced), and at most for the last
    ``limit`` graphs or ``limit_bytes`` bytes of arenas (each entry's ``arena``)."""

    def __init__(self, make, limit=64, limit_bytes=1 << 30):
        self.make = make
        self.limit = limit
        self.limit_bytes = limit_bytes
        self._entries = collections.OrderedDict()  # (id(graph), donate) -> (graph, entry)

    def get(self, graph, donate=()):
        donate = tuple(donate)
        key = (id(graph), donate)
        found = self._entries.get(key)
        if found is not None and found[0] is graph:
            self._entries.move_to_end(key)
            return found[1]
        entry = self.make(graph, donate)
        self._entries[key] = (graph, entry)
        try:
            weakref.finalize(graph, self._forget, id(graph))
        except TypeError:  # Graph without __weakref__: the bounds below alone apply
            pass
        total = sum(e.arena.nbytes for _, e in self._entries.values())
        while len(self._entries) > 1 and (len(self._entries) > self.limit or total > self.limit_bytes):
            _, (_, old) = self._entries.popitem(last=False)
            total -= old.arena.nbytes
        return entry

    def _forget(self, graph_id):
        for k in [k for k in self._entries if k[0] == graph_id]:
            del self._entries[k]


def register_backend(name, backend):
    """Make ``backend`` (a Backend instance, or the path of a module defining ``BACKEND``) known
    by ``name``."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"register_backend: 'name' must be a non-empty str, got {name!r}")
    if not isinstance(backend, (Backend, str)):
        raise TypeError(f"register_backend: 'backend' must be a Backend or a module path, got "
                        f"{type(backend).__name__}")
    _BACKENDS[name] = backend


def get_backend(name):
    """The Backend registered as ``name``."""
    entry = _BACKENDS.get(name)
    if entry is None:
        raise ValueError(f"no backend named {name!r}; known backends: {sorted(_BACKENDS)}")
    if isinstance(entry, str):
        module, _, attr = entry.partition(":")
        entry = getattr(importlib.import_module(module), attr or "BACKEND")
        _BACKENDS[name] = entry
    return entry


def backend_names():
    """The names of the registered backends."""
    return sorted(_BACKENDS)
