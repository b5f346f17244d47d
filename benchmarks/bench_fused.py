"""Fused C kernels from the renderer (sporen/codegen/c.py) against the numpy kernels and PyTorch
eager, in the same run: softmax over (4096, 1024), layer_norm over (8*128, 256), an Adam update
over 1M parameters, a relu+add chain. Each workload is traced, expanded into primitives and fused
into groups (one or a few); the groups are rendered into one translation unit, compiled and
run by one call through ctypes (the call's overhead included). Run: python benchmarks/bench_fused.py"""
import ctypes
import statistics
import time

import numpy as np

import sporen as ms
from sporen.codegen.c import render_fused
from sporen.codegen.header import prelude
from sporen.frontend.trace import trace
from sporen.fusion import FUSED, fuse
from sporen.ir import Literal, interpret
from sporen.ops.registry import OPS
from sporen.passes.expand import expand
from sporen.runtime import cache

try:
    import torch
except ImportError:  # the table then leaves torch's column empty
    torch = None


def _median_ms(fn, repeat=30, warmup=3):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def _fused_graph(fn, arrays):
    """``fn`` traced on ``arrays``, expanded into primitives and fused: every node a fused group."""
    graph, _ = trace(fn, *[ms.Tensor(a) for a in arrays])
    graph = fuse(expand(graph))
    others = [n.op.name for n in graph.nodes if n.op is not FUSED]
    if others:
        raise RuntimeError(f"bench_fused: nodes outside fused groups: {others}")
    return graph


class _Native:
    """The graph's fused groups rendered into one translation unit, run in order by one call
    through a pointer table (one slot per value of the graph, one workspace for all)."""

    def __init__(self, graph, arrays):
        slots = {}
        buffers = []
        for p, a in zip(graph.params, arrays):
            slots[p] = len(buffers)
            buffers.append(np.ascontiguousarray(a))
        calls = []
        parts = [prelude()]
        workspace = 0
        for k, node in enumerate(graph.nodes):
            kernel = render_fused(node, f"bench{k}")
            parts.append(kernel.source)
            ins = []
            for v in node.inputs:
                if isinstance(v, Literal):
                    slots[v] = len(buffers)
                    buffers.append(np.ascontiguousarray(v.value))
                ins.append(f"v[{slots[v]}]")
            outs = []
            for v in node.outputs:
                slots[v] = len(buffers)
                buffers.append(np.empty(v.shape, v.dtype))
                outs.append(f"v[{slots[v]}]")
            calls.append(kernel.call(ins, outs, "v[0]" if kernel.workspace == 0 else "ws"))
            workspace = max(workspace, kernel.workspace)
        self.ws = np.empty(workspace + 64, np.uint8)
        ws_slot = len(buffers)
        parts.append(f"void entry(void **v) {{ char *ws = (char *)v[{ws_slot}]; {' '.join(calls)} }}\n")
        self.lib = cache.build("".join(parts))
        self.buffers = buffers  # the table points into them: they live as long as it
        pointers = [b.ctypes.data for b in buffers] + [self.ws.ctypes.data]
        self.table = (ctypes.c_void_p * len(pointers))(*pointers)
        self.entry = self.lib.entry
        self.outputs = [buffers[slots[v]] for v in graph.outputs]

    def __call__(self):
        self.entry(self.table)
        return self.outputs


def _rand(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _adam(p, m, v, g):
    lr, b1, b2, eps = 1e-3, 0.9, 0.999, 1e-8
    m2 = ms.ops.add(ms.ops.mul(m, b1), ms.ops.mul(g, 1 - b1))
    v2 = ms.ops.add(ms.ops.mul(v, b2), ms.ops.mul(ms.ops.square(g), 1 - b2))
    return ms.ops.sub(p, ms.ops.mul(ms.ops.div(m2, ms.ops.add(ms.ops.sqrt(v2), eps)), lr)), m2, v2


def _torch_adam(p, m, v, g):
    lr, b1, b2, eps = 1e-3, 0.9, 0.999, 1e-8
    m2 = m * b1 + g * (1 - b1)
    v2 = v * b2 + g * g * (1 - b2)
    return p - m2 / (v2.sqrt() + eps) * lr, m2, v2


def _relu_chain(x, b):
    return ms.ops.relu(ms.ops.add(ms.ops.relu(ms.ops.add(ms.ops.relu(ms.ops.add(x, b)), x)), b))


def _torch_relu_chain(x, b):
    return torch.relu(torch.relu(torch.relu(x + b) + x) + b)


def _layer_norm(x, g, b):
    return OPS["layer_norm"](x, g, b, begin_norm_axis=1, begin_params_axis=1, epsilon=1e-5)[0]


WORKLOADS = [
    ("softmax (4096, 1024)", lambda x: ms.ops.softmax(x, -1), [_rand((4096, 1024))],
     lambda x: torch.softmax(x, -1), lambda x: OPS["softmax"].kernel(x, axis=(1,))),
    ("layer_norm (1024, 256)", _layer_norm, [_rand((1024, 256)), _rand((256,), 1), _rand((256,), 2)],
     lambda x, g, b: torch.nn.functional.layer_norm(x, (256,), g, b, 1e-5),
     lambda x, g, b: OPS["layer_norm"].kernel(x, g, b, begin_norm_axis=1, begin_params_axis=1, epsilon=1e-5)),
    ("adam update 1M", _adam, [_rand((1 << 20,), 0), _rand((1 << 20,), 1), np.abs(_rand((1 << 20,), 2)),
                               _rand((1 << 20,), 3)], _torch_adam, None),
    ("relu+add chain (1024, 1024)", _relu_chain, [_rand((1024, 1024)), _rand((1024,), 1)],
     _torch_relu_chain, None),
]


def _measure(fn, arrays, torch_fn, composite):
    """(fused C, numpy primitives, numpy composite op or None, torch eager or None), in ms."""
    graph = _fused_graph(fn, arrays)
    native = _Native(graph, arrays)
    for want, got in zip(interpret(graph, *arrays), native()):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)
    t_c = _median_ms(native)
    t_prims = _median_ms(lambda: interpret(graph, *arrays, check=False))
    t_comp = _median_ms(lambda: composite(*arrays)) if composite is not None else None
    t_torch = None
    if torch is not None:
        targs = [torch.from_numpy(a) for a in arrays]
        t_torch = _median_ms(lambda: torch_fn(*targs))
    return t_c, t_prims, t_comp, t_torch


def main():
    rows = []
    for label, fn, arrays, torch_fn, composite in WORKLOADS:
        rows.append((label,) + _measure(fn, arrays, torch_fn, composite))
    print(f"threads: torch {torch.get_num_threads() if torch else '-'}; medians in ms; ratio = other / fused C")
    print(f"{'workload':30s} {'fused C':>9s} {'numpy prims':>12s} {'ratio':>6s} {'numpy op':>9s} "
          f"{'ratio':>6s} {'torch':>8s} {'ratio':>6s}")
    for label, t_c, t_prims, t_comp, t_torch in rows:
        comp = f"{t_comp:9.3f} {t_comp / t_c:6.2f}" if t_comp is not None else f"{'-':>9s} {'-':>6s}"
        tor = f"{t_torch:8.3f} {t_torch / t_c:6.2f}" if t_torch is not None else f"{'-':>8s} {'-':>6s}"
        print(f"{label:30s} {t_c:9.3f} {t_prims:12.3f} {t_prims / t_c:6.2f} {comp} {tor}")


if __name__ == "__main__":
    main()
