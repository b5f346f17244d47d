"""Measurement helpers of benchmarks/run.py: interleaved step timing (wall and CPU clocks), the
machine's BLAS peak, and the peak-memory child process (one per framework and workload).

Nothing here imports sporen or torch at module level: a memory child imports only the framework
it measures, so its baseline is that framework alone.
"""
import gc
import json
import math
import os
import resource
import statistics
import time

import numpy as np

__all__ = ["cpu_seconds", "StepTimer", "time_interleaved", "steps_for", "numpy_sgemm_gflops", "torch_mm_gflops",
           "memory_child", "MEMORY_FRAMEWORKS", "MEMORY_STEPS"]

MEMORY_FRAMEWORKS = ("graph", "pynative", "torch")
MEMORY_STEPS = 5
SWITCH_PAUSE = 0.05  # seconds between the blocks of two frameworks


def cpu_seconds():
    """CPU seconds used so far by this process (user + system, all its threads)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime


class StepTimer:
    """One framework's training step as a callable that blocks until the step's result exists,
    with the (wall, cpu) seconds of each timed call."""

    def __init__(self, name, call):
        self.name = name
        self.call = call
        self.steps = 0  # the steady steps to time, set once the warm-up has shown the step's time
        self.error = None  # what a failing call raised; the timer is then skipped
        self.wall = []
        self.cpu = []

    def timed(self):
        """Run one step; record and return its (wall, cpu) seconds."""
        c0 = cpu_seconds()
        t0 = time.perf_counter()
        self.call()
        wall = time.perf_counter() - t0
        cpu = cpu_seconds() - c0
        self.wall.append(wall)
        self.cpu.append(cpu)
        return wall, cpu

    def summary(self):
        """Median and best of the recorded wall and CPU times, and how many steps they cover."""
        if not self.wall or self.error is not None:
            return None
        return {"steps": len(self.wall),
                "wall_median": statistics.median(self.wall), "wall_best": min(self.wall),
                "cpu_median": statistics.median(self.cpu), "cpu_best": min(self.cpu)}


def time_interleaved(timers, rounds):
    """Time ``timer.steps`` calls of each timer, in ``rounds`` rounds; each round runs a block of
    consecutive steps of every framework in turn. The VM's speed drifts by up to 2x within
    minutes: alternating the frameworks exposes them all to the same drift, and a block of
    consecutive steps keeps each framework's own data warm in the caches, as in training."""
    for r in range(rounds):
        for timer in timers:
            if timer.error is not None:
                continue
            # the previous framework's thread pool spins for a while before it sleeps
            time.sleep(SWITCH_PAUSE)
            try:
                for _ in range(_block(timer.steps, rounds, r)):
                    timer.timed()
            except Exception as exc:  # one framework failing ends its timing, not the others'
                timer.error = f"{type(exc).__name__}: {exc}"


def _block(steps, rounds, r):
    """The number of steps in round ``r`` when ``steps`` are spread over ``rounds`` rounds."""
    base = steps // rounds
    extra = steps % rounds
    return base + (1 if r < extra else 0)


def steps_for(step_seconds, target_seconds, least, most):
    """How many steady steps fill about ``target_seconds`` for a step of ``step_seconds``,
    within [least, most]."""
    if step_seconds <= 0:
        return most
    return int(max(least, min(most, math.ceil(target_seconds / step_seconds))))


def _best_rate(matmul, flops, repeat):
    matmul()  # the first call pays the thread pool's start and the pages of the output
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        matmul()
        best = min(best, time.perf_counter() - t0)
    return flops / best / 1e9


def numpy_sgemm_gflops(n=1024, repeat=10):
    """numpy's float32 matmul rate at n^3 in GFLOP/s (2 n^3 FLOPs, best of ``repeat``)."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(np.float32)
    b = rng.standard_normal((n, n)).astype(np.float32)
    out = np.empty((n, n), np.float32)
    return _best_rate(lambda: np.matmul(a, b, out=out), 2.0 * n ** 3, repeat)


def torch_mm_gflops(n=1024, repeat=10):
    """torch.mm's float32 rate at n^3 in GFLOP/s (best of ``repeat``); None without torch."""
    try:
        import torch
    except ImportError:
        return None
    a = torch.randn(n, n)
    b = torch.randn(n, n)
    out = torch.empty(n, n)
    return _best_rate(lambda: torch.mm(a, b, out=out), 2.0 * n ** 3, repeat)


# --- peak memory, in a child process -----------------------------------------------------------------

def _status_kb(field):
    """A ``kB`` field of /proc/self/status (VmRSS, VmHWM), or None where there is no procfs."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _reset_peak():
    """Reset the kernel's peak-RSS mark (VmHWM) to the current RSS (Linux >= 4.0: writing 5 to
    clear_refs); False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _peak_kb(resettable):
    if resettable:
        return _status_kb("VmHWM")
    # ru_maxrss is kB on Linux and never resets: the peak may then predate the baseline
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _build_step(framework, workload, backend):
    """A callable running one training step of ``workload`` in ``framework`` (graph, pynative or
    torch) that blocks until the loss exists."""
    x, y = workload.batch()
    if framework == "torch":
        from workloads import torch_tensors
        tx, ty = torch_tensors(x, y)
        step = workload.torch_step()
        return lambda: step(tx, ty).item()
    import sporen as ms
    tx, ty = ms.Tensor(x), ms.Tensor(y)
    step = workload.sporen_step()
    if framework == "graph":
        step = ms.jit(step, backend=backend)
    return lambda: step(tx, ty).asnumpy()


def memory_child(framework, workload_name, backend, steps=MEMORY_STEPS):
    """Measure, in this (fresh) process, the peak RSS growth of ``steps`` training steps over the
    RSS after imports and model construction; print one JSON line. ``total``: over all steps;
    ``first``: over the first step (which compiles in graph mode and allocates the gradients and
    optimizer state everywhere); ``steady``: over the steps after the first, above the same
    baseline."""
    from workloads import WORKLOADS
    if framework not in MEMORY_FRAMEWORKS:
        raise ValueError(f"memory_child: 'framework' must be one of {MEMORY_FRAMEWORKS}, got {framework!r}")
    if framework == "torch":
        import torch
        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    call = _build_step(framework, WORKLOADS[workload_name], backend)
    gc.collect()
    baseline = _status_kb("VmRSS")
    if baseline is None:
        baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    resettable = _reset_peak()
    call()
    first_peak = _peak_kb(resettable)
    if resettable:
        _reset_peak()
    for _ in range(steps - 1):
        call()
    steady_peak = _peak_kb(resettable)
    result = {"framework": framework, "workload": workload_name, "baseline_mb": baseline / 1024.0,
              "total_mb": (max(first_peak, steady_peak) - baseline) / 1024.0,
              "first_mb": (first_peak - baseline) / 1024.0,
              "steady_mb": (steady_peak - baseline) / 1024.0,
              "method": "VmHWM reset by clear_refs" if resettable else "ru_maxrss (not resettable)"}
    print(json.dumps(result), flush=True)
