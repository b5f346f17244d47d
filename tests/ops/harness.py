"""The registry-driven op test harness: a Case says how to make inputs for an op and what the
answer is (a reference written independently with numpy); the tests in test_registry.py run every
case forward (each dtype), through the shape rule, and through the bprop against central finite
differences in float64."""
import numpy as np

import sporen as ms
from sporen.ops.registry import Aval
from sporen import dtype as mstype


class Case:
    """One test case of one registered op.

    op:      the registered op's name
    inputs:  one entry per tensor input: a shape tuple (standard normal values), a callable
             ``f(rng, np_dtype) -> ndarray``, or a fixed ndarray (used as is, any dtype)
    ref:     ``ref(*arrays, **attrs)`` -> expected output (tuple for several outputs)
    attrs:   keyword attributes passed to the op
    dtypes:  numpy dtypes the float inputs are generated in; the first float input decides
    grad:    check the bprop numerically (float64); a tuple of input indices limits the check
    """

    def __init__(self, op, inputs, ref, attrs=None, dtypes=("float32", "float64"), grad=True,
                 rtol=None, atol=None, grad_rtol=1e-4, grad_atol=1e-5, eps=1e-6, name=""):
        self.op = op
        self.inputs = inputs
        self.ref = ref
        self.attrs = attrs or {}
        self.dtypes = dtypes
        self.grad = grad
        self.rtol = rtol
        self.atol = atol
        self.grad_rtol = grad_rtol
        self.grad_atol = grad_atol
        self.eps = eps
        self.name = name

    def id(self, i):
        shapes = []
        for spec in self.inputs:
            if isinstance(spec, tuple):
                shapes.append("x".join(map(str, spec)) or "scalar")
            elif isinstance(spec, np.ndarray):
                shapes.append("c" + "x".join(map(str, spec.shape)))
            else:
                shapes.append("f")
        return f"{self.op}-{i}-{self.name or '_'.join(shapes)}"

    def make(self, rng, dtype):
        arrays = []
        for spec in self.inputs:
            if isinstance(spec, tuple):
                arrays.append(rng.standard_normal(spec).astype(dtype))
            elif isinstance(spec, np.ndarray):
                arrays.append(spec.copy())
            elif callable(spec):
                arrays.append(np.asarray(spec(rng, np.dtype(dtype))))
            else:
                raise TypeError(f"bad input spec {spec!r} in case for {self.op}")
        return arrays


def tolerances(case, dtype):
    if case.rtol is not None:
        return case.rtol, case.atol if case.atol is not None else case.rtol
    if np.dtype(dtype) == np.float64:
        return 1e-10, 1e-12
    if np.dtype(dtype) == np.float16:
        return 1e-2, 1e-2
    return 1e-5, 1e-6


def run_op(case, arrays):
    op = ms.ops.registry.OPS[case.op]
    return op(*[ms.Tensor._wrap(a) for a in arrays], **case.attrs)


def as_tuple(x):
    return x if isinstance(x, tuple) else (x,)


def check_forward(case, dtype, seed=0):
    rng = np.random.default_rng(seed)
    arrays = case.make(rng, dtype)
    got = as_tuple(run_op(case, arrays))
    want = as_tuple(case.ref(*[a.copy() for a in arrays], **case.attrs))
    assert len(got) == len(want), f"{case.op}: {len(got)} outputs, expected {len(want)}"
    rtol, atol = tolerances(case, dtype)
    for g, w in zip(got, want):
        w = np.asarray(w)
        assert g.shape == w.shape, f"{case.op}: shape {g.shape}, expected {w.shape}"
        if w.dtype.kind in "fc":
            np.testing.assert_allclose(g.asnumpy().astype(np.float64) if g.dtype.kind != "c" else g.asnumpy(),
                                       w, rtol=rtol, atol=atol, err_msg=case.op)
        else:
            np.testing.assert_array_equal(g.asnumpy(), w, err_msg=case.op)
    return arrays, got


def check_infer(case, dtype, seed=0):
    rng = np.random.default_rng(seed)
    arrays = case.make(rng, dtype)
    got = as_tuple(run_op(case, arrays))
    op = ms.ops.registry.OPS[case.op]
    avals = [Aval(a.shape, mstype.from_numpy_dtype(a.dtype)) for a in arrays]
    inferred = as_tuple(op.infer(*avals, **case.attrs))
    assert len(inferred) == len(got), f"{case.op}: rule gives {len(inferred)} outputs, kernel {len(got)}"
    for a, g in zip(inferred, got):
        assert tuple(a.shape) == tuple(g.shape), f"{case.op}: rule says shape {a.shape}, kernel gives {g.shape}"
        assert a.dtype is g.dtype, f"{case.op}: rule says dtype {a.dtype}, kernel gives {g.dtype}"


def check_grad(case, seed=0):
    """Tape gradient of sum(out * cotangent) against central differences, in float64."""
    rng = np.random.default_rng(seed)
    arrays = case.make(rng, "float64")
    op = ms.ops.registry.OPS[case.op]
    outs = as_tuple(op(*[ms.Tensor._wrap(a) for a in arrays], **case.attrs))
    cots = [rng.standard_normal(o.shape) for o in outs]
    diff_idx = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"]
    if isinstance(case.grad, tuple):
        diff_idx = [i for i in diff_idx if i in case.grad]
    assert diff_idx, f"{case.op}: no float input to differentiate"

    def objective_np(arrs):
        o = as_tuple(op(*[ms.Tensor._wrap(a) for a in arrs], **case.attrs))
        total = 0.0
        for oi, c in zip(o, cots):
            if oi.dtype.kind == "f":
                total += float(np.sum(oi.asnumpy().astype(np.float64) * c))
        return total

    def objective(*ts):
        o = as_tuple(op(*ts, **case.attrs))
        total = None
        for oi, c in zip(o, cots):
            if oi.dtype.kind != "f":
                continue
            term = ms.ops.sum(oi * ms.Tensor._wrap(c))
            total = term if total is None else total + term
        return total

    tensors = [ms.Tensor._wrap(a) for a in arrays]
    grads = ms.grad(objective, grad_position=tuple(diff_idx))(*tensors)
    for gi, i in enumerate(diff_idx):
        numeric = np.zeros_like(arrays[i])
        flat = arrays[i].reshape(-1)
        nflat = numeric.reshape(-1)
        for k in range(flat.size):
            old = flat[k]
            flat[k] = old + case.eps
            up = objective_np(arrays)
            flat[k] = old - case.eps
            down = objective_np(arrays)
            flat[k] = old
            nflat[k] = (up - down) / (2 * case.eps)
        np.testing.assert_allclose(grads[gi].asnumpy(), numeric, rtol=case.grad_rtol, atol=case.grad_atol,
                                   err_msg=f"{case.op}: gradient of input {i}")
