"""The gradient API: grad, value_and_grad, GradOperation, has_aux, weights, higher order,
stop_gradient and Cell.bprop — each against derivatives computed by hand."""
import warnings

import numpy as np
import pytest

import sporen as ms
from sporen import nn, ops
from sporen.ops import GradOperation


def t(v):
    return ms.Tensor(np.asarray(v, dtype=np.float32))


def test_grad_single_and_tuple_positions():
    f = lambda x, y: ops.sum(x * x * y)
    x, y = t([1.0, 2.0]), t([3.0, 4.0])
    gx = ms.grad(f)(x, y)
    np.testing.assert_allclose(gx.asnumpy(), [6.0, 16.0])
    gx, gy = ms.grad(f, grad_position=(0, 1))(x, y)
    np.testing.assert_allclose(gy.asnumpy(), [1.0, 4.0])
    gy_only = ms.grad(f, grad_position=1)(x, y)
    np.testing.assert_allclose(gy_only.asnumpy(), [1.0, 4.0])


def test_grad_of_several_outputs_sums_them():
    f = lambda x: (x * 2, x * x)
    g = ms.grad(f)(t([1.0, 3.0]))
    np.testing.assert_allclose(g.asnumpy(), [4.0, 8.0])


def test_grad_has_aux_returns_aux_untouched():
    f = lambda x: (ops.sum(x * x), x + 1)
    g, aux = ms.grad(f, has_aux=True)(t([1.0, 2.0]))
    np.testing.assert_allclose(g.asnumpy(), [2.0, 4.0])
    assert isinstance(aux, tuple) and len(aux) == 1
    np.testing.assert_allclose(aux[0].asnumpy(), [2.0, 3.0])


def test_value_and_grad_with_weights():
    w = ms.Parameter(t([2.0, -1.0]), name="w")
    f = lambda x: ops.sum(x * w)
    value, (gx, gw) = ms.value_and_grad(f, 0, [w])(t([3.0, 5.0]))
    assert float(value.asnumpy()) == pytest.approx(1.0)
    np.testing.assert_allclose(gx.asnumpy(), [2.0, -1.0])
    np.testing.assert_allclose(gw[0].asnumpy(), [3.0, 5.0])
    value, gw_only = ms.value_and_grad(f, None, w)(t([3.0, 5.0]))
    np.testing.assert_allclose(gw_only.asnumpy(), [3.0, 5.0])


def test_unused_input_gets_zero_gradient():
    g = ms.grad(lambda x, y: ops.sum(x * 3), grad_position=(0, 1))(t([1.0]), t([7.0, 8.0]))
    np.testing.assert_allclose(g[1].asnumpy(), [0.0, 0.0])


def test_second_and_third_derivatives():
    f = lambda x: ops.sum(x * x * x)
    d1 = ms.grad(f)
    d2 = ms.grad(lambda x: ops.sum(d1(x)))
    d3 = ms.grad(lambda x: ops.sum(d2(x)))
    x = t([1.0, 2.0])
    np.testing.assert_allclose(d1(x).asnumpy(), [3.0, 12.0])
    np.testing.assert_allclose(d2(x).asnumpy(), [6.0, 12.0])
    np.testing.assert_allclose(d3(x).asnumpy(), [6.0, 6.0])


def test_mixed_second_derivative():
    f = lambda x, y: ops.sum(ops.exp(x * y))
    dx = lambda x, y: ms.grad(f, 0)(x, y)
    dxy = ms.grad(lambda x, y: ops.sum(dx(x, y)), 1)
    x, y = t([0.5]), t([2.0])
    # d/dy (y exp(xy)) = exp(xy) + xy exp(xy)
    np.testing.assert_allclose(dxy(x, y).asnumpy(), [np.exp(1.0) * 2.0], rtol=1e-6)


def test_stop_gradient_blocks_flow():
    f = lambda x: ops.sum(x * ops.stop_gradient(x))
    np.testing.assert_allclose(ms.grad(f)(t([3.0])).asnumpy(), [3.0])


def test_grad_operation_variants():
    class Net(nn.Cell):
        def __init__(self):
            super().__init__()
            self.w = ms.Parameter(t([2.0]), name="w")

        def construct(self, x, y):
            return x * y * self.w

    net = Net()
    x, y = t([3.0]), t([5.0])
    np.testing.assert_allclose(GradOperation()(net)(x, y).asnumpy(), [10.0])
    gx, gy = GradOperation(get_all=True)(net)(x, y)
    np.testing.assert_allclose(gy.asnumpy(), [6.0])
    (gw,) = GradOperation(get_by_list=True)(net, ms.ParameterTuple(net.trainable_params()))(x, y)
    np.testing.assert_allclose(gw.asnumpy(), [15.0])
    (gx, gy), (gw,) = GradOperation(get_all=True, get_by_list=True)(net, net.trainable_params())(x, y)
    np.testing.assert_allclose(gx.asnumpy(), [10.0])
    g = GradOperation(sens_param=True)(net)(x, y, t([0.5]))
    np.testing.assert_allclose(g.asnumpy(), [5.0])


def test_cell_bprop_override_replaces_gradient():
    class Custom(nn.Cell):
        def construct(self, x):
            return x * x

        def bprop(self, x, out, dout):
            return (dout * 100,)

    g = ms.grad(lambda x: ops.sum(Custom()(x)))(t([1.0, 2.0]))
    np.testing.assert_allclose(g.asnumpy(), [100.0, 100.0])


def test_backward_hook_sees_and_changes_gradient():
    seen = []

    class Scale(nn.Cell):
        def construct(self, x):
            return x * 3

    cell = Scale()

    def hook(c, grad_input, grad_output):
        # MindSpore: grad_input is the gradient w.r.t. the cell's inputs, grad_output w.r.t. its
        # outputs; a returned tuple replaces grad_input
        seen.append((grad_input[0].asnumpy().copy(), grad_output[0].asnumpy().copy()))
        return (grad_output[0] * 2,)

    cell.register_backward_hook(hook)
    g = ms.grad(lambda x: ops.sum(cell(x) * 5))(t([1.0]))
    np.testing.assert_allclose(seen[0][0], [15.0])
    np.testing.assert_allclose(seen[0][1], [5.0])
    np.testing.assert_allclose(g.asnumpy(), [10.0])


def test_errors_name_the_argument():
    with pytest.raises(ValueError, match="grad_position"):
        ms.grad(lambda x: x, grad_position=None, weights=None)
    with pytest.raises(TypeError, match="input 0 must be a Tensor"):
        ms.grad(lambda x: x)(3.0)
    with pytest.raises(ValueError, match="out of range"):
        ms.grad(lambda x: x, grad_position=2)(t([1.0]))
    with pytest.raises(TypeError, match="weights"):
        ms.grad(lambda x: x, weights=3)(t([1.0]))


def test_no_recording_outside_grad():
    from sporen.autodiff import tape
    x = t([1.0])
    _ = x * x
    assert tape.TAPES == []


def test_graph_mode_runs_a_cell_through_jit():
    ms.set_seed(0)
    net = nn.Dense(3, 2)
    x = ms.Tensor(np.arange(6, dtype=np.float32).reshape(2, 3))
    want = net(x).asnumpy()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no "not implemented" warning any more
            ms.set_context(mode=ms.GRAPH_MODE)
        assert ms.get_context("mode") == ms.GRAPH_MODE
        got = [net(x).asnumpy() for _ in range(2)]
        assert net._graph_jit.trace_count == 1  # traced once, then the cached graph runs
    finally:
        ms.set_context(mode=ms.PYNATIVE_MODE)
    for g in got:
        np.testing.assert_allclose(g, want, rtol=1e-6)
    with pytest.raises(ValueError, match="'mode'"):
        ms.set_context(mode=5)
