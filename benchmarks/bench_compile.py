"""Compile time and steady step time of whole training steps (forward + backward + optimizer update):
sporen GRAPH_MODE beside sporen PyNative, PyTorch eager and torch.compile (and MindSpore graph mode
when it is installed), all in the same process. Ratios matter, not absolute times: machines are noisy.

Run:  python benchmarks/bench_compile.py           (LeNet-5, ResNet-18, Transformer encoder)
      python benchmarks/bench_compile.py --quick   (fewer steady steps)
      python benchmarks/bench_compile.py --only resnet18 --no-torch-compile
      python benchmarks/bench_compile.py --threads 2   (BLAS/torch threads; default 1)
      python benchmarks/bench_compile.py --backend numpy_interpret   (also jit on that backend)

What is measured, per workload (all from fresh models):

- sporen compile, broken down: ``trace`` (symbolic tracing of the step, autodiff and optimizer
  update included), ``verify`` (the IR verifier, which jit runs on the traced graph) and ``passes``
  (the pass pipeline) and ``plan`` (the static memory plan, made by ``Backend.prepare`` where the
  default backend has one), each the best of --compile-repeat runs on freshly built steps.
- sporen GRAPH_MODE: the first call (compile + the first run) and the steady step (the best of
  --steps calls: on a shared machine other processes only add time; the median is printed in the
  log); "warm-up" is the time of the first --warmup calls minus that many steady steps: the time
  spent before the step runs at its steady speed (for sporen: compiling, plus the first run's page
  faults on fresh memory).
- sporen PyNative: the steady step.
- PyTorch eager: the steady step.
- torch.compile of the same step function: first call, warm-up as above (torch.compile compiles the
  forward+backward on the first call and the optimizer's step again on the second, once its state
  exists), steady step. Inductor's on-disk cache is pointed at a fresh folder, so every run of this
  script measures a cold compile.
"""
import argparse
import os
import resource
import statistics
import sys
import tempfile
import time


def _threads_from_argv(argv):
    """The --threads value, read before numpy and torch are imported (their thread pools are sized
    at import). Default 1: on a shared machine an oversubscribed pool spins and a step that takes
    10 ms alone takes a second; one thread per framework keeps the comparison fair and stable."""
    for i, arg in enumerate(argv):
        if arg == "--threads" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--threads="):
            return arg.split("=", 1)[1]
    return "1"


THREADS = _threads_from_argv(sys.argv[1:])
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, THREADS)
# a cold torch.compile every run: inductor's cache goes to a fresh folder (set before torch imports)
os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", tempfile.mkdtemp(prefix="sporen_bench_inductor_"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import sporen as ms  # noqa: E402
from sporen.frontend.trace import trace_full  # noqa: E402
from sporen.ir.verify import verify  # noqa: E402
from sporen.passes.pipeline import optimize  # noqa: E402
from sporen.runtime import get_backend  # noqa: E402
from workloads import WORKLOADS, torch_tensors  # noqa: E402

try:
    import torch
except ImportError:  # torch is optional: the sporen columns still run
    torch = None

try:
    import mindspore
except ImportError:
    mindspore = None

DEFAULT_WORKLOADS = ("lenet_b32", "resnet18", "transformer")


def cpu_seconds():
    """CPU seconds used so far by this process and its finished child processes (user + system).
    With one thread per framework this is the work done, whatever else the machine runs: on a
    loaded machine the wall clock measures the other processes as much as this one."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


CLOCKS = {"cpu": cpu_seconds, "wall": time.perf_counter}
clock = cpu_seconds  # set from --clock in main()


def _timed(fn):
    t0 = clock()
    fn()
    return clock() - t0


def _run_calls(call, n):
    """The time of each of ``n`` calls."""
    return [_timed(call) for _ in range(n)]


def _summary(times, warmup):
    """``first``, ``steady`` (the best of the calls after the warm-up: on a shared machine the
    other processes only ever add time, so the minimum is the steadiest estimate), ``median`` (of
    the same calls) and ``warmup`` (the first ``warmup`` calls minus as many steady steps) from
    per-call times."""
    steady = min(times[warmup:])
    return {"first": times[0], "warmup": sum(times[:warmup]) - warmup * steady, "steady": steady,
            "median": statistics.median(times[warmup:])}


def sporen_compile_breakdown(w, repeat):
    """The best seconds of trace, verify and passes for the training step of ``w``; and the node
    counts before and after the passes."""
    x, y = w.batch()
    tx, ty = ms.Tensor(x), ms.Tensor(y)
    backend = get_backend("numpy")
    prepare = getattr(backend, "prepare", None)  # a backend that plans memory at compile time
    parts = {"trace": [], "verify": [], "passes": [], "plan": []}
    nodes = None
    for _ in range(repeat):
        step = w.sporen_step()
        t0 = clock()
        traced = trace_full(step, (tx, ty))
        t1 = clock()
        verify(traced.graph)
        t2 = clock()
        graph = optimize(traced.graph)
        t3 = clock()
        if prepare is not None:
            prepare(graph)
        t4 = clock()
        parts["trace"].append(t1 - t0)
        parts["verify"].append(t2 - t1)
        parts["passes"].append(t3 - t2)
        parts["plan"].append(t4 - t3)
        nodes = (len(traced.graph.nodes), len(graph.nodes))
    out = {k: min(v) for k, v in parts.items()}
    out["total"] = out["trace"] + out["verify"] + out["passes"] + out["plan"]
    out["nodes"] = nodes
    return out


def sporen_graph_mode(w, steps, warmup):
    """Per-call times of the training step in GRAPH_MODE (a fresh step: the first call compiles)."""
    x, y = w.batch()
    tx, ty = ms.Tensor(x), ms.Tensor(y)
    step = w.sporen_step()
    ms.set_context(mode=ms.GRAPH_MODE)
    try:
        times = _run_calls(lambda: step(tx, ty).asnumpy(), warmup + steps)
    finally:
        ms.set_context(mode=ms.PYNATIVE_MODE)
    state = step._graph_jit
    if state.fallback is not None:
        raise RuntimeError(f"{w.name}: GRAPH_MODE fell back to PyNative: {state.fallback}")
    if state.trace_count != 1:
        raise RuntimeError(f"{w.name}: GRAPH_MODE traced {state.trace_count} times, expected 1")
    return _summary(times, warmup)


def sporen_jit(w, steps, warmup, backend):
    """Per-call times of ``sporen.jit(step, backend=backend)`` (a fresh step: the first call
    compiles, and plans memory where the backend does)."""
    x, y = w.batch()
    tx, ty = ms.Tensor(x), ms.Tensor(y)
    step = ms.jit(w.sporen_step(), backend=backend)
    times = _run_calls(lambda: step(tx, ty).asnumpy(), warmup + steps)
    if step.trace_count != 1:
        raise RuntimeError(f"{w.name}: jit on '{backend}' traced {step.trace_count} times, expected 1")
    return _summary(times, warmup)


def sporen_pynative(w, steps):
    x, y = w.batch()
    tx, ty = ms.Tensor(x), ms.Tensor(y)
    step = w.sporen_step()
    return _summary(_run_calls(lambda: step(tx, ty).asnumpy(), 1 + steps), 1)


def torch_eager(w, steps):
    x, y = torch_tensors(*w.batch())
    step = w.torch_step()
    return _summary(_run_calls(lambda: step(x, y).item(), 1 + steps), 1)


def torch_compiled(w, steps, warmup):
    torch._dynamo.reset()  # nothing compiled for an earlier workload is reused
    # inductor compiles in this process (its worker pool's CPU time would be invisible to
    # cpu_seconds until the pool exits); the C++ compiler runs as a waited-for child, counted
    torch._inductor.config.compile_threads = 1
    x, y = torch_tensors(*w.batch())
    step = torch.compile(w.torch_step())
    return _summary(_run_calls(lambda: step(x, y).item(), warmup + steps), warmup)


def _load():
    """The 1-minute load average (other processes sharing the CPUs), or '?'."""
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "?"


def _fmt(seconds):
    if seconds is None:
        return "-"
    if seconds >= 1.0:
        return f"{seconds:.2f} s"
    return f"{seconds * 1e3:.1f} ms"


def _ratio(a, b):
    if a is None or b is None or b <= 0:
        return "-"
    return f"{a / b:.2f}x"


def _table(header, rows):
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    lines = ["| " + " | ".join(str(h).ljust(wd) for h, wd in zip(header, widths)) + " |",
             "|" + "|".join("-" * (wd + 2) for wd in widths) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(str(c).ljust(wd) for c, wd in zip(r, widths)) + " |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steady steps (3) and compile repeats (2)")
    parser.add_argument("--only", nargs="*", default=None, help=f"workloads (default {' '.join(DEFAULT_WORKLOADS)})")
    parser.add_argument("--steps", type=int, default=None, help="steady steps per column (default 7, quick 3)")
    parser.add_argument("--warmup", type=int, default=3, help="calls counted as warm-up (default 3)")
    parser.add_argument("--compile-repeat", type=int, default=None, help="repeats of the compile breakdown")
    parser.add_argument("--no-torch-compile", action="store_true", help="skip torch.compile (minutes per model)")
    parser.add_argument("--backend", nargs="*", default=[],
                        help="also run the step through sporen.jit on these backends (e.g. numpy_interpret)")
    parser.add_argument("--threads", type=int, default=1, help="threads for numpy's BLAS and torch (default 1)")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="cpu",
                        help="cpu: CPU seconds of this process and its children (default; stable on a "
                             "shared machine, meaningful with --threads 1); wall: elapsed seconds")
    args = parser.parse_args()
    global clock
    clock = CLOCKS[args.clock]
    steps = args.steps or (3 if args.quick else 7)
    repeat = args.compile_repeat or (2 if args.quick else 3)
    names = args.only or list(DEFAULT_WORKLOADS)
    for name in names:
        if name not in WORKLOADS:
            parser.error(f"unknown workload {name!r}; known: {', '.join(WORKLOADS)}")
    if torch is not None:
        torch.set_num_threads(args.threads)
    print(f"sporen {ms.__version__}; numpy {np.__version__}; torch {torch.__version__ if torch else 'not installed'}; "
          f"mindspore {'installed (columns not implemented)' if mindspore else 'not installed'}; "
          f"{os.cpu_count()} CPUs, {args.threads} thread(s) per framework; load average {_load()}")
    print(f"clock: {args.clock}; steady = best of {steps} calls (median in brackets); warm-up = the first "
          f"{args.warmup} calls minus {args.warmup} steady steps\n")

    compile_rows = []
    step_rows = []
    backend_rows = []
    for name in names:
        w = WORKLOADS[name]
        print(f"[{name}] {w.title}", flush=True)
        bd = sporen_compile_breakdown(w, repeat)
        print(f"  sporen compile: trace {_fmt(bd['trace'])}, verify {_fmt(bd['verify'])}, passes "
              f"{_fmt(bd['passes'])}, memory plan {_fmt(bd['plan'])} (nodes {bd['nodes'][0]} -> "
              f"{bd['nodes'][1]})", flush=True)
        graph = sporen_graph_mode(w, steps, args.warmup)
        print(f"  sporen GRAPH_MODE: first {_fmt(graph['first'])}, steady {_fmt(graph['steady'])} "
              f"(median {_fmt(graph['median'])})", flush=True)
        for backend in args.backend:
            other = sporen_jit(w, steps, args.warmup, backend)
            print(f"  sporen jit on {backend}: first {_fmt(other['first'])}, steady {_fmt(other['steady'])} "
                  f"(median {_fmt(other['median'])})", flush=True)
            backend_rows.append([name, backend, _fmt(other["first"]), _fmt(other["warmup"]), _fmt(other["steady"]),
                                 _ratio(other["steady"], graph["steady"])])
        eager = sporen_pynative(w, steps)
        print(f"  sporen PyNative: steady {_fmt(eager['steady'])} (median {_fmt(eager['median'])})", flush=True)
        teager = tcomp = None
        if torch is not None:
            teager = torch_eager(w, steps)
            print(f"  torch eager: steady {_fmt(teager['steady'])} (median {_fmt(teager['median'])})", flush=True)
            if not args.no_torch_compile:
                tcomp = torch_compiled(w, steps, args.warmup)
                print(f"  torch.compile: first {_fmt(tcomp['first'])}, steady {_fmt(tcomp['steady'])} "
                      f"(median {_fmt(tcomp['median'])})", flush=True)
        tc_warm = tcomp["warmup"] if tcomp else None
        compile_rows.append([
            name, _fmt(bd["trace"]), _fmt(bd["verify"]), _fmt(bd["passes"]), _fmt(bd["plan"]), _fmt(bd["total"]),
            _fmt(graph["first"]), _fmt(graph["warmup"]),
            _fmt(tcomp["first"]) if tcomp else "-", _fmt(tc_warm),
            _ratio(tc_warm, bd["total"]), "not installed" if mindspore is None else "-"])
        gflop = w.flops / 1e9
        step_rows.append([
            name, f"{gflop:.2f}", _fmt(graph["steady"]), _fmt(eager["steady"]),
            _fmt(teager["steady"]) if teager else "-", _fmt(tcomp["steady"]) if tcomp else "-",
            _ratio(graph["steady"], eager["steady"]),
            _ratio(graph["steady"], teager["steady"] if teager else None),
            _ratio(graph["steady"], tcomp["steady"] if tcomp else None),
            f"{gflop / graph['steady']:.1f}"])
    print(f"\nload average at the end: {_load()}")
    print("\ncompile time (sporen: numpy backend; ratio = torch.compile warm-up / sporen compile)")
    print(_table(["workload", "trace", "verify", "passes", "plan", "sporen compile", "GRAPH first call",
                  "GRAPH warm-up", "torch.compile first call", "torch.compile warm-up", "ratio",
                  "MindSpore"], compile_rows))
    print("\nsteady training step (best of the steady calls); ratios = sporen GRAPH_MODE / the other column")
    print(_table(["workload", "GFLOP/step", "GRAPH", "PyNative", "torch eager", "torch.compile",
                  "/PyNative", "/torch eager", "/torch.compile", "GRAPH GFLOP/s"], step_rows))

    if backend_rows:
        print("\nsporen.jit on other backends (ratio = steady step / GRAPH_MODE's on numpy)")
        print(_table(["workload", "backend", "first call", "warm-up", "steady", "ratio"], backend_rows))


if __name__ == "__main__":
    main()
