"""Bytes a compiled training step allocates per run beyond its outputs (tracemalloc sees numpy's
buffers): the plain interpreter against the planned numpy executor, on the LeNet-5 b32 step, and the
kernels that do not yet write into planned buffers. Run: python benchmarks/alloc_step.py"""
import tracemalloc

import numpy as np

import sporen as ms
from sporen import nn
from sporen.demo import LeNet5
from sporen.frontend.trace import trace_full
from sporen.passes.pipeline import optimize
from sporen.runtime.numpy import PlannedGraph
from sporen.ir import interpret

ms.set_seed(0)
net = LeNet5()
step = nn.TrainOneStepCell(
    nn.WithLossCell(net, nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean")),
    nn.Momentum(net.trainable_params(), 0.01, 0.9))
x = ms.Tensor(np.random.default_rng(0).standard_normal((32, 1, 32, 32)).astype(np.float32))
y = ms.Tensor(np.arange(32, dtype=np.int32) % 10)
tr = trace_full(step, (x, y))
g = optimize(tr.graph)
arrays = [x.asnumpy(), y.asnumpy()] + [t._array() for t in tr.captures]
pg = PlannedGraph(g)


def peak(run):
    """The most bytes allocated during one run beyond what was held before it (after 2 warm runs)."""
    run()
    run()
    tracemalloc.start()
    tracemalloc.reset_peak()
    start = tracemalloc.get_traced_memory()[0]
    result = run()
    grown = tracemalloc.get_traced_memory()[1] - start
    tracemalloc.stop()
    del result
    return grown



out_bytes = sum(v.size * v.dtype.itemsize for v in g.outputs)
inter = sum(o.size * o.dtype.itemsize for n in g.nodes for o in n.outputs)
print("outputs", out_bytes, "intermediates", inter)
print("interpret beyond outputs", peak(lambda: interpret(g, *arrays)) - out_bytes)
print("planned beyond outputs", peak(lambda: pg.run(arrays)) - out_bytes)
print("unplanned", sorted(set(pg.plan.unplanned)))
