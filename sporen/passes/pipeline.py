"""The compiler pipeline: the passes, in the order they run, and ``run_pipeline``."""
import functools
import itertools
import os
import re

from ..ir.printer import dump
from ..ir.verify import verify
from .cse import cse
from .dce import dce
from .expand import expand
from .fold import fold
from .inline import inline
from .merge_matmul import merge_matmul
from .simplify import simplify

__all__ = ["PIPELINE", "run_pipeline", "optimize"]

# The order, and why:
#  expand    first: it replaces composites (softmax, layer_norm, batch_norm, gelu, the fused
#            cross-entropies) by primitives, so that every pass below, and fusion after them, sees
#            the elementwise ops and reductions inside (cse merges the max that softmax's forward
#            and backward both take). It depends on the backend: one that fuses wants it; the numpy
#            reference runs one composite kernel faster than its primitives, so the pass is
#            skipped unless ``Backend.expand_composites`` is true (see ``wanted``);
#  fold      next: it turns every all-constant subtree into one Literal, so the rules below see
#            constants (``x * (ones + 0)`` folds to ``x * 1``, which simplify then removes);
#  inline    then replaces an ``if`` whose condition fold made a Literal by the nodes of the branch
#            taken, so that the passes below see into it;
#  simplify  next: it removes identities and shortens reshape chains, which makes equal
#            expressions look equal (``reshape(reshape(x, a), b)`` and ``reshape(x, b)``);
#  merge_matmul  then turns a sum of matrix products (a weight's gradient accumulated over the
#            steps of a recurrence) into one product over concatenated operands, and a transposed
#            product into the product of the swapped operands: after simplify, which has moved the
#            operands' transposes into the products' flags, and before cse, which merges the
#            concatenations it builds with equal ones the graph already has;
#  cse       then merges those equal expressions, comparing Literals by value;
#  dce       last: it drops everything the three passes above left unused.
# Every pass is a pure function Graph -> Graph that keeps the params and preserves outputs.
PIPELINE = [
    ("expand", expand),
    ("fold", fold),
    ("inline", inline),
    ("simplify", simplify),
    ("merge_matmul", merge_matmul),
    ("cse", cse),
    ("dce", dce),
]


def _write(dump_dir, index, name, graph):
    path = os.path.join(dump_dir, f"{index:02d}_{name}.ir")
    with open(path, "w") as f:
        f.write(dump(graph) + "\n")


# pass name -> the Backend attribute that must be true for the pass to run
_BACKEND_FLAGS = {"expand": "expand_composites"}


def wanted(name, backend):
    """True when the pass called ``name`` runs for ``backend`` (a Backend, a backend name, or None
    for the numpy reference): a backend-dependent pass runs only where the backend asks for it."""
    return bool(_backend_flag(name, backend))


def _backend_flag(name, backend):
    """The value of the Backend attribute that pass ``name`` depends on (True for the others)."""
    flag = _BACKEND_FLAGS.get(name)
    if flag is None:
        return True
    if backend is None or isinstance(backend, str):
        from ..runtime import get_backend
        backend = get_backend("numpy" if backend is None else backend)
    return getattr(backend, flag, False)


def run_pipeline(graph, verify_each=False, dump_dir=None, passes=None, backend=None):
    """Apply the passes of PIPELINE (or ``passes``, a list of ``(name, function)``) in order and
    return the final graph, skipping those ``backend`` does not want (``wanted``: with the default,
    the numpy reference, ``expand`` is skipped). ``verify_each`` runs ``sporen.ir.verify`` on the
    input and after every pass (a VerifyError names the pass that broke the graph); ``dump_dir``
    receives one text file per stage that ran: ``00_input.ir``, ``01_fold.ir``, ... (the
    ``save_graphs`` context option)."""
    passes = PIPELINE if passes is None else passes
    chosen = []
    for name, run_pass in passes:
        flag = _backend_flag(name, backend)
        if not flag:
            continue
        if run_pass is expand and flag is not True:
            # expand_composites as a set of op names: only those composites are expanded
            run_pass = functools.partial(expand, only=frozenset(flag))
        chosen.append((name, run_pass))
    passes = chosen
    if dump_dir is not None:
        os.makedirs(dump_dir, exist_ok=True)
        _write(dump_dir, 0, "input", graph)
    if verify_each:
        verify(graph)
    for index, (name, run_pass) in enumerate(passes, start=1):
        graph = run_pass(graph)
        if verify_each:
            try:
                verify(graph)
            except Exception as exc:
                exc.add_note(f"after the pass '{name}'")
                raise
        if dump_dir is not None:
            _write(dump_dir, index, name, graph)
    return graph


_compiled = itertools.count()


def _dump_dir_for(graph):
    """Where ``save_graphs`` puts this graph's files: a folder per compiled graph under
    ``save_graphs_path``, so that two graphs never overwrite each other's stages."""
    from ..context import get_context  # read at compile time: set_context may change it later
    if not get_context("save_graphs"):
        return None
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", graph.name).strip("_") or "graph"
    return os.path.join(get_context("save_graphs_path"), f"{next(_compiled):04d}_{name}")


def optimize(graph, backend=None):
    """The graph that ``jit`` runs on ``backend`` (a Backend or its name; None: the numpy
    reference): ``graph`` through the PIPELINE passes that backend wants, with one ``.ir`` file per
    stage written under ``save_graphs_path/<number>_<name>/`` when the ``save_graphs`` context
    option is on (the passes are verified in the tests; here they run unchecked, as compile time
    counts). A backend that plans memory at compile time (``Backend.prepare``) adds its plan as the
    last stage file."""
    if backend is None or isinstance(backend, str):
        from ..runtime import get_backend
        backend = get_backend("numpy" if backend is None else backend)
    dump_dir = _dump_dir_for(graph)
    graph = run_pipeline(graph, dump_dir=dump_dir, backend=backend)
    if dump_dir is not None:
        text = backend.describe(graph)
        if text:
            index = 1 + sum(1 for name, _ in PIPELINE if wanted(name, backend))
            path = os.path.join(dump_dir, f"{index:02d}_plan.ir")
            with open(path, "w") as f:
                f.write(text + "\n")
    return graph
