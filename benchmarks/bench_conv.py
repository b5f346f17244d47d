"""The native convolution and pooling kernels (sporen/codegen/kernels/conv.c, pool.c) against the
numpy kernels (sporen/ops/conv.py, pool.py) and PyTorch, layer by layer, on every ResNet-18 (CIFAR
variant, batch 32) and LeNet-5 (batches 32 and 256) convolution and pooling shape: forward, input
gradient and weight gradient, in GFLOP/s (2 * MACs / median seconds), with one thread and with
all cores, all in one process run.

    python benchmarks/bench_conv.py [--threads 1,2] [--quick] [--baseline main] [--winograd 2]

Prints a markdown table; pooling rows give the time in microseconds instead of GFLOP/s."""
import argparse
import ctypes
import os
import statistics
import subprocess
import sys
import tempfile
import time
import types

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from sporen.codegen import header, library  # noqa: E402
from sporen.ir.graph import Node, Var  # noqa: E402
from sporen.ops.registry import OPS  # noqa: E402
from sporen.runtime import blas  # noqa: E402

# (name, batch, C_in, C_out, kernel, input size, stride, padding)
RESNET = [
    ("resnet stem 3-64 32x32", 32, 3, 64, 3, 32, 1, 1),
    ("resnet l1 64-64 32x32", 32, 64, 64, 3, 32, 1, 1),
    ("resnet l2 64-128 s2", 32, 64, 128, 3, 32, 2, 1),
    ("resnet l2 128-128 16x16", 32, 128, 128, 3, 16, 1, 1),
    ("resnet l2 shortcut 1x1 s2", 32, 64, 128, 1, 32, 2, 0),
    ("resnet l3 128-256 s2", 32, 128, 256, 3, 16, 2, 1),
    ("resnet l3 256-256 8x8", 32, 256, 256, 3, 8, 1, 1),
    ("resnet l3 shortcut 1x1 s2", 32, 128, 256, 1, 16, 2, 0),
    ("resnet l4 256-512 s2", 32, 256, 512, 3, 8, 2, 1),
    ("resnet l4 512-512 4x4", 32, 512, 512, 3, 4, 1, 1),
    ("resnet l4 shortcut 1x1 s2", 32, 256, 512, 1, 8, 2, 0),
]
LENET = [
    ("lenet conv1 1-6 b32", 32, 1, 6, 5, 32, 1, 0),
    ("lenet conv2 6-16 b32", 32, 6, 16, 5, 14, 1, 0),
    ("lenet conv1 1-6 b256", 256, 1, 6, 5, 32, 1, 0),
    ("lenet conv2 6-16 b256", 256, 6, 16, 5, 14, 1, 0),
]
# (name, input shape) of LeNet's 2x2 max pools
POOLS = [
    ("lenet pool1 b32", (32, 6, 28, 28)),
    ("lenet pool2 b32", (32, 16, 10, 10)),
    ("lenet pool1 b256", (256, 6, 28, 28)),
    ("lenet pool2 b256", (256, 16, 10, 10)),
]


# the shared kernel files, in the order a translation unit includes them (winograd.c uses conv.c)
_SOURCES = ("conv", "winograd", "pool")


def _blas():
    libs = os.path.join(os.path.dirname(np.__file__), "..", "numpy.libs")
    name = next(f for f in sorted(os.listdir(libs)) if "openblas" in f)
    return ctypes.CDLL(os.path.join(libs, name))


class Native:
    """Every benchmarked node's kernel compiled into one library, callable by index."""

    def __init__(self, nodes, cflags=(), lowering=library, sources=None):
        sources = sources or [library.source(name) for name in _SOURCES]
        parts = [header.prelude("int64_t"), *sources,
                 "void bench_set_threads(int n) {\n#ifdef _OPENMP\n omp_set_num_threads(n);\n#endif\n}"]
        self.kernels = []
        for k, node in enumerate(nodes):
            kernel = lowering.lower(node, f"k{k}")
            nin = len(node.inputs)
            ins = [f"v[{i}]" for i in range(nin)]
            ws = f"v[{nin + 1}]" if kernel.workspace else None
            parts.append(f"void entry_{k}(void **v) {{ {kernel.call(ins, [f'v[{nin}]'], ws)} }}")
            self.kernels.append(kernel)
        self.dir = tempfile.mkdtemp(prefix="bench_conv")
        src = os.path.join(self.dir, "k.c")
        with open(src, "w") as f:
            f.write("\n".join(parts))
        so = os.path.join(self.dir, "k.so")
        subprocess.run(["gcc", "-O3", "-march=native", "-fopenmp", "-fPIC", "-shared", "-std=gnu11",
                        "-fno-math-errno", "-fno-trapping-math", *cflags, src, "-o", so], check=True)
        self.lib = ctypes.CDLL(so)
        self.blas = _blas()
        blas.bind(self.lib)

    def set_threads(self, n):
        """n threads, as a compiled step runs: the kernels' team (sp_threads) of n, BLAS's n threads
        (which the team's kernels set to one while they run)."""
        self.lib.bench_set_threads(n)
        if hasattr(self.lib, "sporen_set_threads"):
            self.lib.sporen_set_threads(n)
        self.blas.scipy_openblas_set_num_threads64_(n)

    def runner(self, k, arrays, out):
        ws = np.zeros(max(self.kernels[k].workspace // 4, 1), np.float32)
        table = (ctypes.c_void_p * (len(arrays) + 2))(*[a.ctypes.data for a in arrays], out.ctypes.data,
                                                         ws.ctypes.data)
        entry = getattr(self.lib, f"entry_{k}")

        def run():
            entry(table)
            return ws, arrays, out  # the closure keeps what the table points at alive

        return run


def median_seconds(fns, budget):
    """The median seconds of each of ``fns``, timed in interleaved rounds (one call of each per
    round) so that a change in the machine's load hits all of them alike."""
    for fn in fns:
        fn()
    times = [[] for _ in fns]
    start = time.perf_counter()
    while len(times[0]) < 3 or (time.perf_counter() - start < budget * len(fns) and len(times[0]) < 200):
        for fn, samples in zip(fns, times):
            t0 = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - t0)
    return [statistics.median(samples) for samples in times]


def baseline(rev, nodes, cflags):
    """A Native of the kernels (conv.c, pool.c, library.py) as they were at git revision ``rev``."""
    root = os.path.join(os.path.dirname(__file__), "..")

    def show(path):
        done = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=root, capture_output=True, text=True)
        return done.stdout if done.returncode == 0 else ""  # a kernel file the revision did not have

    old = types.ModuleType("sporen.codegen._bench_baseline")
    old.__package__ = "sporen.codegen"
    old.__file__ = library.__file__
    exec(compile(show("sporen/codegen/library.py"), f"{rev}:library.py", "exec"), old.__dict__)
    sources = [show(f"sporen/codegen/kernels/{name}.c") for name in _SOURCES]
    return Native(nodes, cflags, lowering=old, sources=sources)


def conv_cases():
    """(row name, op, arrays, attrs, torch callable builder, MACs) per conv layer and direction."""
    rng = np.random.default_rng(0)
    rows = []
    for name, n, c, o, k, size, stride, pad in RESNET + LENET:
        x = rng.standard_normal((n, c, size, size)).astype(np.float32)
        w = (rng.standard_normal((o, c, k, k)) * 0.1).astype(np.float32)
        attrs = dict(stride=(stride, stride), padding=((pad, pad), (pad, pad)), dilation=(1, 1), groups=1)
        y = OPS["conv"].kernel(x, w, **attrs)
        dy = rng.standard_normal(y.shape).astype(np.float32)
        macs = n * o * c * k * k * y.shape[2] * y.shape[3]
        op_pad = tuple(size + 2 * pad - (k - 1) - 1 - (y.shape[2 + i] - 1) * stride for i in range(2))
        rows.append((name, "fwd", "conv", [x, w], attrs, macs))
        rows.append((name, "dgrad", "conv_transpose", [dy, w], dict(attrs, output_padding=op_pad), macs))
        rows.append((name, "wgrad", "conv_weight_grad", [x, dy], dict(attrs, kernel_size=(k, k)), macs))
    return rows


def pool_cases():
    rng = np.random.default_rng(1)
    rows = []
    attrs = dict(kernel_size=(2, 2), stride=(2, 2), padding=((0, 0), (0, 0)), dilation=(1, 1), ceil_mode=False)
    for name, shape in POOLS:
        x = rng.standard_normal(shape).astype(np.float32)
        idx = OPS["max_pool_indices"].kernel(x, **attrs)
        dy = rng.standard_normal(idx.shape).astype(np.float32)
        rows.append((name, "max", "max_pool", [x], attrs, 0))
        rows.append((name, "argmax", "max_pool_indices", [x], attrs, 0))
        rows.append((name, "grad", "max_pool_grad", [dy, idx], {"input_shape": shape}, 0))
    return rows


def numpy_call(op, arrays, attrs):
    """The numpy kernel of the node (what the numpy backend runs)."""
    kernel = OPS[op].kernel
    return lambda: kernel(*arrays, **attrs)


def torch_call(torch, direction, op, arrays, attrs):
    """The PyTorch computation of the same node (aten's convolution_backward for the gradients)."""
    tensors = [torch.from_numpy(a) for a in arrays]
    if op in ("conv", "conv_transpose", "conv_weight_grad"):
        stride = list(attrs["stride"])
        pad = [lo for lo, _ in attrs["padding"]]
        conv = torch.nn.functional.conv2d
        bwd = torch.ops.aten.convolution_backward
        if op == "conv":
            return lambda: conv(tensors[0], tensors[1], None, stride, pad)
        if op == "conv_transpose":
            dy, w = tensors
            x = torch.empty((dy.shape[0], w.shape[1]) + tuple(
                (dy.shape[2 + i] - 1) * stride[i] - 2 * pad[i] + w.shape[2 + i] + attrs["output_padding"][i]
                for i in range(2)))
            return lambda: bwd(dy, x, w, None, stride, pad, [1, 1], False, [0, 0], 1, [True, False, False])
        x, dy = tensors
        w = torch.empty((dy.shape[1], x.shape[1]) + tuple(attrs["kernel_size"]))
        return lambda: bwd(dy, x, w, None, stride, pad, [1, 1], False, [0, 0], 1, [False, True, False])
    x = tensors[0]
    if op == "max_pool":
        return lambda: torch.nn.functional.max_pool2d(x, 2, 2)
    if op == "max_pool_indices":
        return lambda: torch.nn.functional.max_pool2d(x, 2, 2, return_indices=True)
    dy, idx = tensors
    xin = torch.empty(attrs["input_shape"])
    return lambda: torch.ops.aten.max_pool2d_with_indices_backward(dy, xin, [2, 2], [2, 2], [0, 0], [1, 1], False,
                                                                   idx)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    parser.add_argument("--quick", action="store_true", help="short timing budgets")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--no-numpy", action="store_true", help="leave out the numpy kernels' column")
    parser.add_argument("--cflags", default="", help="extra compiler flags, e.g. -DSP_CONV_PAR_MIN=1000000000")
    parser.add_argument("--only", default="", help="only the rows whose layer name contains this text")
    parser.add_argument("--baseline", default="", help="also time the kernels of this git revision (e.g. HEAD)")
    parser.add_argument("--winograd", default="", choices=["", "0", "2", "4"],
                        help="force im2col (0) or Winograd's tile (2, 4) on every 3x3 stride-1 layer")
    args = parser.parse_args()
    if args.winograd:
        library.FORCE_WINOGRAD = int(args.winograd)
    budget = 0.1 if args.quick else 0.4
    torch = None
    if not args.no_torch:
        try:
            import torch
        except ImportError:
            torch = None
    rows = [r for r in conv_cases() + pool_cases() if args.only in r[0]]
    nodes = []
    expected = []
    for _, _, op, arrays, attrs, _ in rows:
        out = OPS[op].kernel(*arrays, **attrs)
        nodes.append(Node(OPS[op], [Var(a.shape, a.dtype) for a in arrays], attrs, [Var(out.shape, out.dtype)]))
        expected.append(out)
    native = Native(nodes, args.cflags.split())
    before = baseline(args.baseline, nodes, args.cflags.split()) if args.baseline else None
    threads = [int(t) for t in args.threads.split(",")]
    cols = []
    for t in threads:
        cols += [f"sporen C {t}t"] + ([f"C {args.baseline} {t}t"] if before else [])
        cols += [] if args.no_numpy else [f"numpy {t}t"]
        cols += [f"torch {t}t"] if torch else []
    tail = " C vs torch |" + (f" C vs {args.baseline} |" if before else "")
    print("| layer | pass | " + " | ".join(cols) + " |" + tail)
    print("|---|---|" + "---:|" * len(cols) + "---:|" + ("---:|" if before else ""))
    for k, (name, direction, op, arrays, attrs, macs) in enumerate(rows):
        out = np.empty_like(expected[k])
        run_native = native.runner(k, arrays, out)
        run_native()
        tol = 1e-3 * max(1.0, float(np.abs(expected[k]).max()))
        if not np.allclose(out, expected[k], rtol=1e-3, atol=tol):
            raise AssertionError(f"{name} {direction}: the native kernel disagrees with the numpy kernel")
        fns = [run_native]
        if before:
            fns.append(before.runner(k, arrays, np.empty_like(expected[k])))
        if not args.no_numpy:
            fns.append(numpy_call(op, arrays, attrs))
        if torch:
            fns.append(torch_call(torch, direction, op, arrays, attrs))
        cells = []
        ratio = None
        speedup = None
        for t in threads:
            native.set_threads(t)
            if before:
                before.set_threads(t)
            if torch:
                torch.set_num_threads(t)
            results = median_seconds(fns, budget)
            for s in results:
                cells.append(f"{2 * macs / s / 1e9:.1f}" if macs else f"{s * 1e6:.0f} us")
            if torch:
                ratio = results[-1] / results[0]
            if before:
                speedup = results[1] / results[0]
        versus = f"{ratio:.2f}x" if ratio else ""
        if before:
            versus += f" | {speedup:.2f}x"
        print(f"| {name} | {direction} | " + " | ".join(cells) + f" | {versus} |")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
