"""The issue-4 measurement table: sporen's training steps beside PyTorch's, measured in one process.

The workloads run in sporen (GRAPH_MODE on a backend, and PyNative) and in PyTorch (eager and
torch.compile), the frameworks taking turns, with each step's arithmetic rate against the
machine's BLAS peak, peak memory per framework, the per-op eager overhead, and the issue's goals
checked.

Run:  python benchmarks/run.py                      (everything; torch.compile takes minutes)
      python benchmarks/run.py --quick              (under 3 minutes: fewer steps, no torch.compile,
                                                     no memory children)
      python benchmarks/run.py --backend numpy --only mlp,lenet_b32 --no-compile
      python benchmarks/run.py --threads 2 --clock cpu --json out.json

What is measured, per workload:

- the steady training step (forward, backward, optimizer update; the loss read back each step) of
  sporen GRAPH_MODE (``sporen.jit`` of the TrainOneStepCell on ``--backend``, which is what
  ``set_context(mode=GRAPH_MODE)`` runs), sporen PyNative, PyTorch eager and torch.compile: the
  median of N steps after a warm-up, in wall and CPU seconds (CPU seconds add up both threads).
  The frameworks take turns, a block of steps each, so that the machine's drift hits all alike;
  torch.compile runs in a child process of its own after them (``run.py --compile-child``: once
  inductor has run in a process, PyTorch's eager steps there lose a thread). Ratios use the median
  wall time (``--clock cpu``: the median CPU time).
- the compile cost: sporen's first GRAPH_MODE call (trace, passes, plan, C compile unless cached)
  and torch.compile's warm-up (its first calls minus as many steady steps).
- GFLOP/s of each step (FLOPs from workloads.py) and the machine's BLAS peak in the same run:
  numpy sgemm and torch.mm at 1024^3 (best of 10, before and after the workloads).
- peak memory: in a fresh child process per (framework, workload) (``run.py --memory-child``), the
  growth of the peak RSS over 5 training steps above the RSS after imports and model construction.
- the per-op eager overhead (bench_eager.py's measurement).

Threads: ``--threads`` (default 2) sizes both frameworks' pools: OMP_NUM_THREADS,
OPENBLAS_NUM_THREADS and MKL_NUM_THREADS are set before numpy is imported, and
torch.set_num_threads. OPENBLAS_THREAD_TIMEOUT defaults to 4 (idle OpenBLAS workers sleep at once
rather than spin beside torch's threads). On a machine with more cores, pin the run (``taskset -c 0,1``);
on a shared one, read the load average printed with the table.
"""
import os
import sys
import tempfile


def _threads_from_argv(argv):
    """The --threads value (default 2), read before numpy and torch are imported: their thread
    pools are sized at import."""
    for i, arg in enumerate(argv):
        if arg == "--threads" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--threads="):
            return arg.split("=", 1)[1]
    return "2"


THREADS = _threads_from_argv(sys.argv[1:])
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = THREADS
# OpenBLAS's idle workers spin for about 2^28 cycles (~0.1 s) after each call: in one process beside
# torch, that steals a core from torch's threads (a 5 ms MLP step measured 270 ms); 2^4 cycles lets
# them sleep at once (a 1024^3 sgemm is as fast)
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
# torch.compile is measured cold: inductor's cache goes to a fresh folder (set before torch imports)
os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", tempfile.mkdtemp(prefix="sporen_run_inductor_"))
BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH_DIR)

import argparse  # noqa: E402
import datetime  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

from _measure import (MEMORY_FRAMEWORKS, MEMORY_STEPS, StepTimer, memory_child, numpy_sgemm_gflops, steps_for,  # noqa: E402
                      time_interleaved, torch_mm_gflops)

ORDER = ("lenet_b32", "lenet_b256", "resnet18", "mlp", "transformer", "lstm_lm")
# issue 4's goals: PyTorch eager's median step / sporen GRAPH_MODE's at least this
SPEED_GOALS = {"lenet_b32": 1.2, "lenet_b256": 1.2, "resnet18": 1.5, "mlp": 1.5, "transformer": 1.2,
               "lstm_lm": 1.2}
FRAMEWORK_TITLES = {"graph": "sporen GRAPH", "pynative": "sporen PyNative", "torch": "torch eager",
                    "compile": "torch.compile"}


def _parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default=None,
                        help="sporen's GRAPH_MODE backend (default: cpu where it is registered, else numpy)")
    parser.add_argument("--quick", action="store_true",
                        help="fewer steps, no torch.compile, no memory children (under 3 minutes)")
    parser.add_argument("--only", default=None, help=f"comma-separated workloads (default: {','.join(ORDER)})")
    parser.add_argument("--threads", type=int, default=2, help="threads for both frameworks (default 2)")
    parser.add_argument("--json", default=None, help="also write the results to this JSON file")
    parser.add_argument("--no-compile", action="store_true", help="skip torch.compile (minutes per model)")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory child processes")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="the clock of the ratio table (default wall; both are printed)")
    parser.add_argument("--steps", type=int, default=None,
                        help="steady steps per framework (default: about 5 s worth, 7 to 100; quick 2 to 15, 1 for a "
                             "step over 4 s)")
    parser.add_argument("--seconds", type=float, default=None,
                        help="about how long to time each framework on each workload (default 5, quick 0.5)")
    parser.add_argument("--rounds", type=int, default=None, help="turns the frameworks take (default 5, quick 2)")
    parser.add_argument("--compile-child", metavar="WORKLOAD", default=None,
                        help="internal: measure torch.compile on one workload in this process and print JSON")
    parser.add_argument("--memory-child", nargs=2, metavar=("FRAMEWORK", "WORKLOAD"), default=None,
                        help=f"internal: measure one peak memory ({', '.join(MEMORY_FRAMEWORKS)}) and print JSON")
    args = parser.parse_args(argv)
    if args.threads < 1:
        parser.error(f"--threads must be >= 1, got {args.threads}")
    args.names = list(ORDER) if not args.only else [n.strip() for n in args.only.split(",") if n.strip()]
    return parser, args


def _default_backend():
    """``cpu`` where sporen registers it, else ``numpy``; and why."""
    from sporen.runtime import get_backend
    try:
        get_backend("cpu")
    except Exception as exc:  # not registered yet, or its module fails to import
        return "numpy", f"the cpu backend is unavailable ({type(exc).__name__}: {exc})"
    return "cpu", "registered"


def _load():
    try:
        return "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    except OSError:
        return "?"


def _cpus():
    """The CPUs this process may run on (taskset), and the machine's count where they differ."""
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return str(os.cpu_count())
    total = os.cpu_count()
    return str(usable) if usable == total else f"{usable} (of {total})"


def _commit():
    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=BENCH_DIR, capture_output=True,
                             text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "?"
    return out.stdout.strip() or "?"


def _ms(seconds):
    if seconds is None:
        return "-"
    if seconds >= 10.0:
        return f"{seconds:.1f} s"
    if seconds >= 1.0:
        return f"{seconds:.2f} s"
    return f"{seconds * 1e3:.3g} ms"


def _ratio(num, den):
    if num is None or den is None or den <= 0:
        return None
    return num / den


def _x(value):
    return "-" if value is None else f"{value:.2f}x"


def _table(header, rows):
    """A markdown table."""
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    lines = ["| " + " | ".join(str(h).ljust(w) for h, w in zip(header, widths)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |")
    return "\n".join(lines)


# --- the steps of one workload ---------------------------------------------------------------------

def _graph_call(w, backend):
    import sporen as ms
    x, y = w.batch()
    tx, ty = ms.Tensor(x), ms.Tensor(y)
    step = ms.jit(w.sporen_step(), backend=backend)

    def call():
        return float(step(tx, ty).asnumpy())
    call.traced = step
    return call


def _pynative_call(w):
    import sporen as ms
    x, y = w.batch()
    tx, ty = ms.Tensor(x), ms.Tensor(y)
    step = w.sporen_step()
    return lambda: float(step(tx, ty).asnumpy())


def _torch_call(w, compiled):
    import torch
    from workloads import torch_tensors
    x, y = torch_tensors(*w.batch())
    step = w.torch_step()
    if compiled:
        torch._dynamo.reset()  # nothing compiled for an earlier workload is reused
        step = torch.compile(step)
    return lambda: float(step(x, y).item())


def _warm_up(key, make, calls, record):
    """Build a framework's step and run its warm-up calls; the StepTimer, or None after an error
    (recorded, and the run goes on without that framework)."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call = make()
            timer = StepTimer(key, call)
            first = []
            losses = []
            for _ in range(calls):
                t0 = time.perf_counter()
                losses.append(call())
                first.append(time.perf_counter() - t0)
    except Exception as exc:  # a framework that fails on a workload is reported, not fatal
        record["errors"][key] = f"{type(exc).__name__}: {exc}"
        print(f"  {FRAMEWORK_TITLES[key]}: FAILED: {record['errors'][key]}", flush=True)
        return None
    record["warmup"][key] = first
    record["first_loss"][key] = losses[0]
    for w in caught:
        msg = f"{w.category.__name__}: {w.message}"
        record["warnings"].setdefault(key, [])
        if msg not in record["warnings"][key]:
            record["warnings"][key].append(msg)
            print(f"  {FRAMEWORK_TITLES[key]} warning: {msg}", flush=True)
    return timer


def run_workload(w, args, backend, torch):
    """Warm up and time every framework on workload ``w``; the record of the results."""
    record = {"name": w.name, "title": w.title, "flops": w.flops, "errors": {}, "warnings": {}, "warmup": {},
              "first_loss": {}, "steps": {}}
    print(f"\n[{w.name}] {w.title}; {w.flops / 1e9:.3f} GFLOP/step", flush=True)
    makers = [("graph", lambda: _graph_call(w, backend), args.warmup),
              ("pynative", lambda: _pynative_call(w), 1)]
    if torch is not None:
        makers.append(("torch", lambda: _torch_call(w, False), 1))
    timers = []
    for key, make, calls in makers:
        timer = _warm_up(key, make, calls, record)
        if timer is None:
            continue
        # the quickest warm-up call sizes the run (the first calls pay one-time costs, and the
        # machine's noise only ever adds time)
        quickest = min(record["warmup"][key])
        least = 1 if args.quick and quickest > 4.0 else args.least  # --quick keeps its 3 minutes
        timer.steps = args.steps or steps_for(quickest, args.target, least, args.most)
        timers.append(timer)
        print(f"  {FRAMEWORK_TITLES[key]}: first call {_ms(record['warmup'][key][0])}, warm-up calls "
              f"{', '.join(_ms(t) for t in record['warmup'][key][1:]) or '-'}; timing {timer.steps} steps",
              flush=True)
    time_interleaved(timers, args.rounds)
    if torch is not None and not args.no_compile:
        _compile_in_child(w, args, record)
    for timer in timers:
        traced = getattr(timer.call, "traced", None)
        if traced is not None and traced.trace_count != 1:
            # a retrace inside the timed steps would time the compiler, not the step
            timer.error = f"traced {traced.trace_count} times, expected 1"
        if timer.error is not None:
            record["errors"][timer.name] = timer.error
            print(f"  {FRAMEWORK_TITLES[timer.name]}: FAILED: {timer.error}", flush=True)
            continue
        s = timer.summary()
        record["steps"][timer.name] = s
        print(f"  {FRAMEWORK_TITLES[timer.name]}: median {_ms(s['wall_median'])} wall, {_ms(s['cpu_median'])} CPU "
              f"(best {_ms(s['wall_best'])} wall) over {s['steps']} steps", flush=True)
    clock = f"{args.clock}_median"
    graph = record["steps"].get("graph")
    g = graph[clock] if graph else None
    torch_s = record["steps"].get("torch")
    comp = record["steps"].get("compile")
    record["eager_over_graph"] = _ratio(torch_s[clock] if torch_s else None, g)
    record["compile_over_graph"] = _ratio(comp[clock] if comp else None, g)
    if comp:
        warm = record["warmup"]["compile"]
        record["compile_warmup"] = sum(warm) - len(warm) * comp["wall_median"]
    for s in record["steps"].values():
        s["gflops"] = w.flops / s["wall_median"] / 1e9
    loss_g = record["first_loss"].get("graph")
    loss_p = record["first_loss"].get("pynative")
    if loss_g is not None and loss_p is not None:
        # both models come from sporen's seed 1 and see the same batch: the first losses agree
        # unless the backend computes something else
        record["loss_agrees"] = abs(loss_g - loss_p) <= 1e-3 * max(1.0, abs(loss_p))
        print(f"  first loss: GRAPH {loss_g:.6f}, PyNative {loss_p:.6f}"
              f"{'' if record['loss_agrees'] else '  <-- DISAGREE'}", flush=True)
    print(f"  torch eager / sporen GRAPH = {_x(record['eager_over_graph'])}; torch.compile / sporen GRAPH = "
          f"{_x(record['compile_over_graph'])}", flush=True)
    return record


def _compile_in_child(w, args, record):
    """torch.compile's warm-up and steps, measured in a fresh process: once inductor has run in a
    process, PyTorch's eager steps there lost one of their two threads (ResNet-18: 2.6 s of wall
    time for 2.6 s of CPU time, against 1.5 s for 2.9 s without it), so it never runs beside the
    other frameworks' timings."""
    cmd = [sys.executable, os.path.abspath(__file__), "--compile-child", w.name, "--threads", str(args.threads),
           "--rounds", str(args.rounds), "--seconds", str(args.target)]
    if args.steps:
        cmd += ["--steps", str(args.steps)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    except subprocess.TimeoutExpired:
        record["errors"]["compile"] = "timed out after 1800 s"
        return
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        record["errors"]["compile"] = f"exit {proc.returncode}: {tail}"
        print(f"  torch.compile: FAILED: {record['errors']['compile']}", flush=True)
        return
    child = json.loads(lines[-1])
    for key in ("errors", "warmup", "first_loss", "steps", "warnings"):
        for k, v in child.get(key, {}).items():
            record[key][k] = v
    warm = record["warmup"].get("compile")
    if warm:
        print(f"  torch.compile (own process): first call {_ms(warm[0])}, warm-up calls "
              f"{', '.join(_ms(t) for t in warm[1:])}", flush=True)


def compile_child(name, args):
    """``--compile-child``: warm up and time torch.compile on one workload alone; print JSON."""
    import torch
    from workloads import WORKLOADS
    torch.set_num_threads(args.threads)
    torch._inductor.config.compile_threads = 1
    w = WORKLOADS[name]
    record = {"errors": {}, "warnings": {}, "warmup": {}, "first_loss": {}, "steps": {}}
    # torch.compile compiles forward+backward on the first call and the optimizer's step on the
    # second, once its state exists
    timer = _warm_up("compile", lambda: _torch_call(w, True), 3, record)
    if timer is not None:
        timer.steps = args.steps or steps_for(min(record["warmup"]["compile"]), args.target, 7, 100)
        time_interleaved([timer], args.rounds)
        if timer.error is not None:
            record["errors"]["compile"] = timer.error
        else:
            record["steps"]["compile"] = timer.summary()
    print(json.dumps(record))


# --- peak memory -----------------------------------------------------------------------------------

def measure_memory(names, frameworks, backend, threads):
    """{workload: {framework: the child's result or {"error": ...}}}, one fresh process each."""
    out = {}
    for name in names:
        out[name] = {}
        for fw in frameworks:
            cmd = [sys.executable, os.path.abspath(__file__), "--memory-child", fw, name, "--backend", backend,
                   "--threads", str(threads)]
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
            except subprocess.TimeoutExpired:
                out[name][fw] = {"error": "timed out after 900 s"}
                continue
            lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
            if proc.returncode != 0 or not lines:
                tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
                out[name][fw] = {"error": f"exit {proc.returncode}: {tail}"}
            else:
                out[name][fw] = json.loads(lines[-1])
            r = out[name][fw]
            shown = r.get("error") or (f"+{r['total_mb']:.1f} MB (first step +{r['first_mb']:.1f} MB, later steps "
                                       f"+{r['steady_mb']:.1f} MB; baseline {r['baseline_mb']:.1f} MB)")
            print(f"  memory {name} {FRAMEWORK_TITLES[fw]}: {shown}", flush=True)
    return out


# --- report ----------------------------------------------------------------------------------------

def _step_cell(record, fw, clock):
    """``median (median on the other clock)`` of one framework, or why there is none."""
    steps = record["steps"]
    if fw not in steps:
        return "error" if fw in record["errors"] else "-"
    other = "cpu" if clock == "wall" else "wall"
    return f"{_ms(steps[fw][clock + '_median'])} ({_ms(steps[fw][other + '_median'])})"


def _rate_cell(summary, peak):
    if summary is None:
        return "-"
    return f"{summary['gflops']:.1f} ({summary['gflops'] / peak:.0%})"


def _step_rows(records, peak, clock):
    rows = []
    for r in records:
        rows.append([r["name"], f"{r['flops'] / 1e9:.3g}", _step_cell(r, "graph", clock),
                     _step_cell(r, "pynative", clock), _step_cell(r, "torch", clock), _step_cell(r, "compile", clock),
                     _x(r.get("eager_over_graph")), _x(r.get("compile_over_graph")),
                     _rate_cell(r["steps"].get("graph"), peak), _rate_cell(r["steps"].get("torch"), peak),
                     _goal_cell(r)])
    return rows


def _goal_cell(record):
    goal = SPEED_GOALS.get(record["name"])
    ratio = record.get("eager_over_graph")
    if goal is None or ratio is None:
        return "-"
    return f">= {goal}x: {'PASS' if ratio >= goal else 'FAIL'}"


def _compile_rows(records):
    rows = []
    for r in records:
        first = r["warmup"].get("graph")
        rows.append([r["name"], _ms(first[0]) if first else "-", _ms(r.get("compile_warmup")),
                     _x(_ratio(r.get("compile_warmup"), first[0] if first else None))])
    return rows


def _memory_cell(result):
    if result is None:
        return "-"
    if "error" in result:
        return "error"
    return f"{result['total_mb']:.1f} ({result['first_mb']:.1f})"


def _baseline_cell(result):
    return f"{result['baseline_mb']:.0f}" if "baseline_mb" in result else "-"


def _memory_rows(memory):
    rows = []
    for name, per in memory.items():
        g = per.get("graph", {})
        t = per.get("torch", {})
        ratio = _ratio(g.get("total_mb"), t.get("total_mb")) if "total_mb" in g and "total_mb" in t else None
        rows.append([name, _memory_cell(per.get("graph")), _memory_cell(per.get("pynative")),
                     _memory_cell(per.get("torch")), _x(ratio), _baseline_cell(g), _baseline_cell(t)])
    return rows


def check_goals(records, memory):
    """PASS/FAIL lines for issue 4's goals, and whether every checked goal passed."""
    lines = []
    for r in records:
        goal = SPEED_GOALS.get(r["name"])
        ratio = r.get("eager_over_graph")
        if goal is None:
            continue
        if ratio is None:
            lines.append(f"n/a   {r['name']}: speed >= {goal}x torch eager (not measured)")
            continue
        verdict = "PASS" if ratio >= goal else "FAIL"
        lines.append(f"{verdict}  {r['name']}: torch eager / sporen GRAPH = {ratio:.2f}x (goal >= {goal}x)")
    if memory is None:
        lines.append("n/a   peak memory <= torch eager's on each workload (not measured: --quick or --no-memory)")
    for name, per in (memory or {}).items():
        g = per.get("graph", {})
        t = per.get("torch", {})
        if "total_mb" not in g or "total_mb" not in t:
            lines.append(f"n/a   {name}: peak memory <= torch eager's (not measured)")
            continue
        verdict = "PASS" if g["total_mb"] <= t["total_mb"] else "FAIL"
        lines.append(f"{verdict}  {name}: peak memory sporen GRAPH +{g['total_mb']:.1f} MB vs torch eager "
                     f"+{t['total_mb']:.1f} MB (goal <=)")
    for r in records:
        if r.get("loss_agrees") is False:
            lines.append(f"FAIL  {r['name']}: GRAPH's first loss differs from PyNative's (wrong results)")
    return lines


def _load_warning(meta):
    """A warning line when other processes kept more CPUs busy than this run may use: the times
    then measure the machine's contention as much as the frameworks."""
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = os.cpu_count() or 1
    loads = [float(meta[k].split()[0]) for k in ("load_start", "load_end") if meta.get(k, "?") != "?"]
    # this run's own threads count in the load: one more than the usable CPUs means others too
    if not loads or max(loads) <= usable + 1:
        return []
    return [f"WARNING: the 1-minute load average reached {max(loads):.1f} on {usable} usable CPUs: other "
            "processes shared them during this run, and the wall times (ratios and PASS/FAIL too) measure "
            "that contention as much as the frameworks. Rerun on a quiet machine before quoting them."]


def report(meta, records, memory, per_op, goals, clock):
    """The markdown section for benchmarks/README.md."""
    peak = meta["numpy_sgemm_gflops"]
    out = [f"Command: `{meta['command']}`",
           "",
           f"Measured {meta['date']} at commit {meta['commit']}; sporen GRAPH_MODE on the `{meta['backend']}` "
           f"backend ({meta['backend_why']}); numpy {meta['numpy']}, torch {meta['torch']}; {meta['cpus']} CPUs, "
           f"{meta['threads']} thread(s) per framework; load average {meta['load_start']} at the start, "
           f"{meta['load_end']} at the end.",
           f"BLAS peak at 1024^3 (best of 10, before / after the workloads): numpy sgemm "
           f"{meta['numpy_sgemm'][0]:.1f} / {meta['numpy_sgemm'][1]:.1f} GFLOP/s, torch.mm "
           + (f"{meta['torch_mm'][0]:.1f} / {meta['torch_mm'][1]:.1f} GFLOP/s." if meta["torch_mm"] else "-."),
           *_load_warning(meta),
           "",
           f"Training step, median {clock} time (the other clock in brackets); ratios = the other framework's "
           f"median / sporen GRAPH's (> 1: sporen is faster); rate = GFLOP/step / median wall time (share of "
           f"numpy's sgemm peak {peak:.1f} GFLOP/s):",
           "",
           _table(["workload", "GFLOP/step", "sporen GRAPH", "sporen PyNative", "torch eager", "torch.compile",
                   "eager / GRAPH", "compile / GRAPH", "GRAPH GFLOP/s", "eager GFLOP/s", "goal"],
                  _step_rows(records, peak, clock))]
    if records:
        out += ["", "Compile cost: sporen's first GRAPH_MODE call (trace, passes, plan, native compile unless "
                "cached, first run); torch.compile's warm-up (its first 3 calls minus 3 steady steps):", "",
                _table(["workload", "sporen first call", "torch.compile warm-up", "ratio"], _compile_rows(records))]
    if memory:
        out += ["", f"Peak memory: growth of the peak RSS over {MEMORY_STEPS} training steps above the RSS after "
                "imports and model construction, MB, each in a fresh process (over the first step alone in "
                "brackets; the baseline RSS itself in the last two columns):", "",
                _table(["workload", "sporen GRAPH", "sporen PyNative", "torch eager", "GRAPH / eager",
                        "sporen GRAPH baseline", "torch baseline"],
                       _memory_rows(memory))]
    if per_op:
        rows = [[name, f"{s:.2f}", f"{t:.2f}" if t else "-", _x(_ratio(s, t))] for name, s, t in per_op]
        out += ["", "Per-op eager overhead, 4x4 float32, µs per call (bench_eager.py's measurement):", "",
                _table(["op", "sporen", "torch", "sporen / torch"], rows)]
    out += ["", "Goals of issue 4:", "", "```", *goals, "```"]
    errors = [f"{r['name']} {fw}: {e}" for r in records for fw, e in r["errors"].items()]
    if errors:
        out += ["", "Errors:", "", *[f"- {e}" for e in errors]]
    return "\n".join(out)


def main(argv):
    parser, args = _parse(argv)
    if args.memory_child is not None:
        memory_child(args.memory_child[0], args.memory_child[1], args.backend or "numpy")
        return 0
    from workloads import WORKLOADS
    for name in args.names:
        if name not in WORKLOADS:
            parser.error(f"unknown workload {name!r}; known: {', '.join(ORDER)}")
    if args.quick:
        args.no_compile = True
        args.no_memory = True
    args.rounds = args.rounds or (2 if args.quick else 5)
    args.target, args.least, args.most = (0.5, 2, 15) if args.quick else (5.0, 7, 100)
    if args.seconds is not None:
        args.target = args.seconds
    if args.compile_child is not None:
        compile_child(args.compile_child, args)
        return 0
    # GRAPH_MODE: the first call compiles; the next ones settle the memory and caches
    args.warmup = 2 if args.quick else 3
    import numpy as np

    import sporen as ms
    from sporen.runtime import get_backend
    try:
        import torch
    except ImportError:  # the sporen columns still run
        torch = None
    if torch is not None:
        torch.set_num_threads(args.threads)
        torch._inductor.config.compile_threads = 1  # no worker pool left competing with the timed steps
    backend, why = (args.backend, "chosen with --backend") if args.backend else _default_backend()
    get_backend(backend)  # an unknown name fails here, before any measurement
    meta = {"command": "python benchmarks/run.py" + ("" if not argv else " " + " ".join(argv)),
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "commit": _commit(), "backend": backend, "backend_why": why, "numpy": np.__version__,
            "torch": torch.__version__ if torch else "not installed", "sporen": ms.__version__,
            "cpus": _cpus(), "threads": args.threads, "load_start": _load()}
    print(f"sporen {meta['sporen']} at {meta['commit']}; GRAPH_MODE backend '{backend}' ({why}); numpy "
          f"{meta['numpy']}; torch {meta['torch']}; {meta['cpus']} CPUs, {args.threads} thread(s) per framework; "
          f"load average {meta['load_start']}", flush=True)
    before = (numpy_sgemm_gflops(), torch_mm_gflops())
    print(f"BLAS peak at 1024^3: numpy sgemm {before[0]:.1f} GFLOP/s, torch.mm "
          f"{'-' if before[1] is None else f'{before[1]:.1f}'} GFLOP/s", flush=True)
    records = []
    for name in args.names:
        records.append(run_workload(WORKLOADS[name], args, backend, torch))
    after = (numpy_sgemm_gflops(), torch_mm_gflops())
    print(f"\nBLAS peak at 1024^3 after the workloads: numpy sgemm {after[0]:.1f} GFLOP/s, torch.mm "
          f"{'-' if after[1] is None else f'{after[1]:.1f}'} GFLOP/s", flush=True)
    meta["numpy_sgemm"] = [before[0], after[0]]
    meta["numpy_sgemm_gflops"] = max(before[0], after[0])
    meta["torch_mm"] = [before[1], after[1]] if torch is not None else None
    memory = None
    if not args.no_memory:
        print("\npeak memory (one fresh process each)", flush=True)
        frameworks = [fw for fw in MEMORY_FRAMEWORKS if fw != "torch" or torch is not None]
        memory = measure_memory(args.names, frameworks, backend, args.threads)
    print("\nper-op eager overhead", flush=True)
    from bench_eager import per_op_overhead
    per_op = per_op_overhead(repeat=3, inner=5000) if args.quick else per_op_overhead()
    meta["load_end"] = _load()
    goals = check_goals(records, memory)
    text = report(meta, records, memory, per_op, goals, args.clock)
    print("\n" + "=" * 100 + "\n")
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"meta": meta, "workloads": records, "memory": memory,
                       "per_op": [{"op": n, "sporen_us": s, "torch_us": t} for n, s, t in per_op],
                       "goals": goals}, f, indent=1)
        print(f"\nresults written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
