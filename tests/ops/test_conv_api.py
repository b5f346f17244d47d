"""The functional convolution and pooling ops: MindSpore signatures and pad modes, errors, and
agreement with torch.nn.functional (an independent implementation) forward and backward."""
import numpy as np
import pytest

import sporen as ms
from sporen import ops

rng = np.random.default_rng(0)


def T(*shape, dtype=np.float32):
    return ms.Tensor(rng.standard_normal(shape).astype(dtype))


@pytest.fixture(scope="module")
def F():
    torch = pytest.importorskip("torch")
    return torch.nn.functional


def tt(x, grad=False):
    import torch
    return torch.tensor(x.asnumpy(), requires_grad=grad)


# --- convolution ---------------------------------------------------------------------------------
def test_conv2d_valid_default_and_bias():
    x, w, b = T(2, 3, 6, 5), T(4, 3, 3, 2), T(4)
    y = ops.conv2d(x, w, b)
    assert y.shape == (2, 4, 4, 4)
    assert y.dtype == ms.float32
    # one output element by hand
    want = np.sum(x.asnumpy()[1, :, 2:5, 1:3] * w.asnumpy()[3]) + b.asnumpy()[3]
    np.testing.assert_allclose(y.asnumpy()[1, 3, 2, 1], want, rtol=1e-5)


@pytest.mark.parametrize("kw", [
    dict(stride=2, pad_mode="pad", padding=1),
    dict(stride=(1, 2), pad_mode="pad", padding=(2, 1), dilation=(2, 1)),
    dict(stride=1, pad_mode="pad", padding=(1, 0, 2, 1)),
    dict(stride=2, pad_mode="same", groups=2),
    dict(stride=1, pad_mode="same", dilation=2),
    dict(stride=3, pad_mode="valid", groups=2),
])
def test_conv2d_matches_torch_forward_and_backward(F, kw):
    import torch
    groups = kw.get("groups", 1)
    x = T(2, 4, 9, 8, dtype=np.float64)
    w = T(6, 4 // groups, 3, 3, dtype=np.float64)
    b = T(6, dtype=np.float64)
    y = ops.conv2d(x, w, b, **kw)
    pad = kw.get("padding", 0)
    tx, tw, tb = tt(x, True), tt(w, True), tt(b, True)
    if kw["pad_mode"] == "pad":
        p = (pad, pad) if isinstance(pad, int) else pad
        p = (p[0], p[0], p[1], p[1]) if len(p) == 2 else p
        txp = F.pad(tx, (p[2], p[3], p[0], p[1]))
        ty = F.conv2d(txp, tw, tb, stride=kw["stride"], dilation=kw.get("dilation", 1), groups=groups)
    elif kw["pad_mode"] == "same":
        # MindSpore's 'same': output = ceil(in / stride), the odd padding at the end
        s = kw["stride"]
        d = kw.get("dilation", 1)
        pads = []
        for length in (9, 8):
            out = -(-length // s)
            total = max((out - 1) * s + d * 2 + 1 - length, 0)
            pads.append((total // 2, total - total // 2))
        txp = F.pad(tx, (pads[1][0], pads[1][1], pads[0][0], pads[0][1]))
        ty = F.conv2d(txp, tw, tb, stride=s, dilation=d, groups=groups)
        assert y.shape[2:] == (-(-9 // s), -(-8 // s))
    else:
        ty = F.conv2d(tx, tw, tb, stride=kw["stride"], groups=groups)
    np.testing.assert_allclose(y.asnumpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-10)
    cot = rng.standard_normal(y.shape)

    def loss(x, w, b):
        return ops.sum(ops.conv2d(x, w, b, **kw) * ms.Tensor(cot))
    gx, gw, gb = ms.grad(loss, grad_position=(0, 1, 2))(x, w, b)
    (ty * torch.tensor(cot)).sum().backward()
    np.testing.assert_allclose(gx.asnumpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(gw.asnumpy(), tw.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(gb.asnumpy(), tb.grad.numpy(), rtol=1e-10, atol=1e-10)


def test_conv_second_order_matches_torch(F):
    import torch
    x, w = T(1, 2, 6, 6, dtype=np.float64), T(3, 2, 3, 3, dtype=np.float64)

    def f(x, w):
        return ops.sum(ops.tanh(ops.conv2d(x, w, stride=2, pad_mode="pad", padding=1)))

    def g(x, w):
        gx = ms.grad(f, grad_position=0)(x, w)
        return ops.sum(gx * gx)
    gw = ms.grad(g, grad_position=1)(x, w)
    tx, tw = tt(x, True), tt(w, True)
    ty = torch.tanh(F.conv2d(tx, tw, stride=2, padding=1)).sum()
    gxt, = torch.autograd.grad(ty, tx, create_graph=True)
    (gxt * gxt).sum().backward()
    np.testing.assert_allclose(gw.asnumpy(), tw.grad.numpy(), rtol=1e-9, atol=1e-10)


def test_conv1d_and_conv3d_match_torch(F):
    x, w = T(2, 4, 11), T(6, 2, 3)
    y = ops.conv1d(x, w, None, stride=2, pad_mode="pad", padding=1, dilation=2, groups=2)
    ty = F.conv1d(tt(x), tt(w), None, stride=2, padding=1, dilation=2, groups=2)
    np.testing.assert_allclose(y.asnumpy(), ty.numpy(), rtol=1e-5, atol=1e-5)
    x, w, b = T(1, 2, 5, 6, 4), T(3, 2, 2, 3, 2), T(3)
    y = ops.conv3d(x, w, b, stride=(1, 2, 1), pad_mode="pad", padding=1)
    ty = F.conv3d(tt(x), tt(w), tt(b), stride=(1, 2, 1), padding=1)
    np.testing.assert_allclose(y.asnumpy(), ty.numpy(), rtol=1e-5, atol=1e-5)


def test_conv_transpose2d_matches_torch(F):
    import torch
    x, w, b = T(2, 4, 5, 4, dtype=np.float64), T(4, 3, 3, 2, dtype=np.float64), T(6, dtype=np.float64)
    kw = dict(stride=(2, 3), padding=(1, 0), output_padding=(1, 2), groups=2, dilation=(1, 2))
    y = ops.conv_transpose2d(x, w, b, **kw)
    tx, tw = tt(x, True), tt(w, True)
    ty = F.conv_transpose2d(tx, tw, tt(b), **kw)
    assert y.shape == tuple(ty.shape)
    np.testing.assert_allclose(y.asnumpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-10)
    cot = rng.standard_normal(y.shape)
    gx, gw = ms.grad(lambda x, w: ops.sum(ops.conv_transpose2d(x, w, None, **kw) * ms.Tensor(cot)),
                     grad_position=(0, 1))(x, w)
    (ty * torch.tensor(cot)).sum().backward()
    np.testing.assert_allclose(gx.asnumpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(gw.asnumpy(), tw.grad.numpy(), rtol=1e-10, atol=1e-10)


def test_conv3d_transpose_pad_modes(F):
    x, w = T(1, 2, 3, 4, 3), T(2, 3, 3, 3, 3)
    y = ops.conv3d_transpose(x, w, pad_mode="pad", padding=1, stride=2, output_padding=1)
    ty = F.conv_transpose3d(tt(x), tt(w), stride=2, padding=1, output_padding=1)
    np.testing.assert_allclose(y.asnumpy(), ty.numpy(), rtol=1e-5, atol=1e-5)
    assert ops.conv3d_transpose(x, w, stride=2).shape == (1, 3, 7, 9, 7)  # (D-1)*s + k
    assert ops.conv3d_transpose(x, w, pad_mode="same", stride=2).shape == (1, 3, 6, 8, 6)  # D*s
    w1 = T(2, 3, 1, 1, 1)
    y1 = ops.conv3d_transpose(x, w1, pad_mode="same", stride=2)
    assert y1.shape == (1, 3, 6, 8, 6)  # a 1x1x1 kernel: the output is extended, not cropped
    ty1 = F.conv_transpose3d(tt(x), tt(w1), stride=2, output_padding=1)
    np.testing.assert_allclose(y1.asnumpy(), ty1.numpy(), rtol=1e-5, atol=1e-6)


def test_conv_errors():
    x, w = T(1, 4, 5, 5), T(2, 4, 3, 3)
    with pytest.raises(ValueError, match=r"conv2d: 'input' must be a 4-D tensor \(N, C, H, W\), got shape \[4, 5, 5\]"):
        ops.conv2d(T(4, 5, 5), w)
    with pytest.raises(ValueError, match="conv2d: 'weight' has 4 input channels per group, so 'input' must have 8"):
        ops.conv2d(x, w, groups=2)
    with pytest.raises(ValueError, match="divisible by 'groups' 3"):
        ops.conv2d(x, w, groups=3)
    with pytest.raises(ValueError, match="conv2d: 'groups' must be a positive int, got 0"):
        ops.conv2d(x, w, groups=0)
    with pytest.raises(ValueError, match="conv2d: 'stride' must be positive, got -1"):
        ops.conv2d(x, w, stride=-1)
    with pytest.raises(ValueError, match="'padding' must be 0 when 'pad_mode' is 'valid'"):
        ops.conv2d(x, w, padding=1)
    with pytest.raises(ValueError, match="'pad_mode' must be 'valid', 'same' or 'pad'"):
        ops.conv2d(x, w, pad_mode="full")
    with pytest.raises(ValueError, match="conv2d: 'padding' must be non-negative"):
        ops.conv2d(x, w, pad_mode="pad", padding=-1)
    with pytest.raises(ValueError, match="larger than the padded input"):
        ops.conv2d(T(1, 4, 2, 2), w)
    with pytest.raises(TypeError, match="one dtype"):
        ops.conv2d(x, T(2, 4, 3, 3, dtype=np.float64))
    with pytest.raises(ValueError, match=r"'bias' must have shape \[2\]"):
        ops.conv2d(x, w, T(3))
    with pytest.raises(ValueError, match="'output_padding'"):
        ops.conv_transpose2d(T(1, 2, 3, 3), T(2, 2, 3, 3), stride=2, output_padding=2)


# --- pooling -------------------------------------------------------------------------------------
@pytest.mark.parametrize("kw", [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=(3, 2), stride=(1, 2), dilation=(2, 1)),
])
def test_max_pool2d_matches_torch(F, kw):
    import torch
    x = ms.Tensor(rng.permutation(2 * 3 * 9 * 8).reshape(2, 3, 9, 8).astype(np.float64))
    y, idx = ops.max_pool2d(x, return_indices=True, **kw)
    tx = tt(x, True)
    ty, tidx = F.max_pool2d(tx, return_indices=True, **kw)
    np.testing.assert_array_equal(y.asnumpy(), ty.detach().numpy())
    np.testing.assert_array_equal(idx.asnumpy(), tidx.numpy())
    assert idx.dtype == ms.int64
    cot = rng.standard_normal(y.shape)
    g = ms.grad(lambda x: ops.sum(ops.max_pool2d(x, **kw) * ms.Tensor(cot)))(x)
    (ty * torch.tensor(cot)).sum().backward()
    np.testing.assert_allclose(g.asnumpy(), tx.grad.numpy(), rtol=1e-12)


def test_max_pool_second_order_is_exact():
    # d/dx of sum(grad(maxpool)^2 * x) is the gradient itself squared: max_pool_grad's own bprop runs
    x = ms.Tensor(rng.permutation(36).reshape(1, 1, 6, 6).astype(np.float64))
    c = ms.Tensor(rng.standard_normal((1, 1, 3, 3)))

    def first(x):
        return ops.sum(ops.max_pool2d(x, 2) * c)

    def second(c_):
        g = ms.grad(lambda x: ops.sum(ops.max_pool2d(x, 2) * c_))(x)
        return ops.sum(g * g)
    gc = ms.grad(second)(c)
    np.testing.assert_allclose(gc.asnumpy(), 2 * c.asnumpy(), rtol=1e-12)
    assert first(x).shape == ()


def test_max_pool3d_matches_torch(F):
    x = T(1, 2, 5, 6, 4)
    y = ops.max_pool3d(x, 2, stride=(1, 2, 2), padding=1, ceil_mode=True)
    ty = F.max_pool3d(tt(x), 2, stride=(1, 2, 2), padding=1, ceil_mode=True)
    np.testing.assert_array_equal(y.asnumpy(), ty.numpy())


@pytest.mark.parametrize("kw", [
    dict(kernel_size=2, stride=2),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=True),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    dict(kernel_size=(3, 2), stride=1, padding=(1, 1), divisor_override=4),
])
def test_avg_pool2d_matches_torch(F, kw):
    import torch
    x = T(2, 3, 7, 8, dtype=np.float64)
    y = ops.avg_pool2d(x, **kw)
    tkw = dict(kw)
    if "divisor_override" in tkw and not tkw["divisor_override"]:
        tkw.pop("divisor_override")
    tx = tt(x, True)
    ty = F.avg_pool2d(tx, **tkw)
    np.testing.assert_allclose(y.asnumpy(), ty.detach().numpy(), rtol=1e-12)
    cot = rng.standard_normal(y.shape)
    g = ms.grad(lambda x: ops.sum(ops.avg_pool2d(x, **kw) * ms.Tensor(cot)))(x)
    (ty * torch.tensor(cot)).sum().backward()
    np.testing.assert_allclose(g.asnumpy(), tx.grad.numpy(), rtol=1e-12)


def test_avg_pool1d_3d_and_padding_forms(F):
    x = T(2, 3, 10)
    np.testing.assert_allclose(ops.avg_pool1d(x, 3, 2, 1).asnumpy(), F.avg_pool1d(tt(x), 3, 2, 1).numpy(),
                               rtol=1e-6)
    x3 = T(1, 2, 4, 6, 5)
    np.testing.assert_allclose(ops.avg_pool3d(x3, 2, 2, ceil_mode=True).asnumpy(),
                               F.avg_pool3d(tt(x3), 2, 2, ceil_mode=True).numpy(), rtol=1e-6)
    # 4 ints are top, bottom, left, right
    x2 = T(1, 1, 4, 4)
    y = ops.avg_pool2d(x2, 2, 2, padding=(1, 1, 0, 0))
    assert y.shape == (1, 1, 3, 2)


def test_adaptive_pools_match_torch(F):
    x = T(2, 3, 7, 10)
    for size in [(3, 4), 1, (7, 5)]:
        np.testing.assert_allclose(ops.adaptive_avg_pool2d(x, size).asnumpy(),
                                   F.adaptive_avg_pool2d(tt(x), size).numpy(), rtol=1e-5, atol=1e-6)
        y, i = ops.adaptive_max_pool2d(x, size, True)
        ty, ti = F.adaptive_max_pool2d(tt(x), size, True)
        np.testing.assert_array_equal(y.asnumpy(), ty.numpy())
        np.testing.assert_array_equal(i.asnumpy(), ti.numpy())
    assert ops.adaptive_avg_pool2d(x, (None, 2)).shape == (2, 3, 7, 2)
    assert ops.adaptive_avg_pool2d(T(3, 7, 10), 2).shape == (3, 2, 2)
    x1 = T(2, 3, 11)
    np.testing.assert_allclose(ops.adaptive_avg_pool1d(x1, 4).asnumpy(), F.adaptive_avg_pool1d(tt(x1), 4).numpy(),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(ops.adaptive_max_pool1d(x1, 4).asnumpy(), F.adaptive_max_pool1d(tt(x1), 4).numpy())
    x3 = T(1, 2, 5, 6, 7)
    np.testing.assert_allclose(ops.adaptive_avg_pool3d(x3, (2, 3, 4)).asnumpy(),
                               F.adaptive_avg_pool3d(tt(x3), (2, 3, 4)).numpy(), rtol=1e-5, atol=1e-6)


def test_adaptive_gradients_match_torch(F):
    import torch
    x = T(1, 2, 7, 5, dtype=np.float64)
    cot = rng.standard_normal((1, 2, 3, 2))
    for ours, theirs in ((ops.adaptive_avg_pool2d, F.adaptive_avg_pool2d),
                         (ops.adaptive_max_pool2d, F.adaptive_max_pool2d)):
        g = ms.grad(lambda x, f=ours: ops.sum(f(x, (3, 2)) * ms.Tensor(cot)))(x)
        tx = tt(x, True)
        (theirs(tx, (3, 2)) * torch.tensor(cot)).sum().backward()
        np.testing.assert_allclose(g.asnumpy(), tx.grad.numpy(), rtol=1e-12)


def test_lp_pool_matches_torch(F):
    x = ms.Tensor(np.abs(rng.standard_normal((1, 2, 6, 7))).astype(np.float32))
    np.testing.assert_allclose(ops.lp_pool2d(x, 2, 2, 2).asnumpy(), F.lp_pool2d(tt(x), 2, 2, 2).numpy(),
                               rtol=1e-5)
    x1 = ms.Tensor(np.abs(rng.standard_normal((1, 2, 9))).astype(np.float32))
    np.testing.assert_allclose(ops.lp_pool1d(x1, 3, 3).asnumpy(), F.lp_pool1d(tt(x1), 3, 3).numpy(), rtol=1e-5)


def test_pool_errors():
    x = T(1, 2, 6, 6)
    with pytest.raises(ValueError, match=r"max_pool2d: 'input' must be a 4-D tensor"):
        ops.max_pool2d(T(2, 6, 6), 2)
    with pytest.raises(ValueError, match="'kernel_size' must be positive"):
        ops.max_pool2d(x, 0)
    with pytest.raises(ValueError, match="at most half of 'kernel_size'"):
        ops.max_pool2d(x, 2, padding=2)
    with pytest.raises(TypeError, match="'ceil_mode' must be a bool"):
        ops.avg_pool2d(x, 2, ceil_mode=1)
    with pytest.raises(TypeError, match="'divisor_override' must be an int"):
        ops.avg_pool2d(x, 2, divisor_override=1.5)
    with pytest.raises(ValueError, match="'output_size' must hold positive ints"):
        ops.adaptive_avg_pool2d(x, (0, 2))


@pytest.mark.parametrize("dtype", [ms.float16, ms.bfloat16])
def test_conv_half_precision_keeps_its_dtype(dtype):
    x = rng.standard_normal((1, 2, 5, 5)).astype(np.float32)
    w = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
    y = ops.conv2d(ms.Tensor(x, dtype), ms.Tensor(w, dtype), pad_mode="same")
    assert y.dtype == dtype
    want = ops.conv2d(ms.Tensor(x), ms.Tensor(w), pad_mode="same").asnumpy()
    np.testing.assert_allclose(y.asnumpy().astype(np.float32), want, rtol=5e-2, atol=1e-1)
    g = ms.grad(lambda a, b: ops.sum(ops.conv2d(a, b)), grad_position=(0, 1))(ms.Tensor(x, dtype), ms.Tensor(w, dtype))
    assert g[0].dtype == dtype and g[1].dtype == dtype
    assert ops.max_pool2d(ms.Tensor(x, dtype), 2).dtype == dtype
    assert ops.avg_pool2d(ms.Tensor(x, dtype), 2).dtype == dtype


def test_max_unpool_inverts_max_pool(F):
    import torch
    x = T(2, 3, 7, 6)
    y, idx = ops.max_pool2d(x, 2, 2, return_indices=True)
    u = ops.max_unpool2d(y, idx, 2, 2, output_size=(7, 6))
    tu = F.max_unpool2d(tt(y), torch.tensor(idx.asnumpy()), 2, 2, output_size=(7, 6))
    np.testing.assert_array_equal(u.asnumpy(), tu.numpy())
    assert ops.max_unpool2d(y, idx, 2).shape == (2, 3, 6, 6)
    # the gradient picks each value back from where it was put
    cot = rng.standard_normal((2, 3, 7, 6))
    g = ms.grad(lambda a: ops.sum(ops.max_unpool2d(a, idx, 2, 2, output_size=(7, 6)) * ms.Tensor(cot)))(
        ops.cast(y, ms.float64))
    want = np.take_along_axis(cot.reshape(2, 3, -1), idx.asnumpy().reshape(2, 3, -1), axis=2).reshape(y.shape)
    np.testing.assert_allclose(g.asnumpy(), want, rtol=1e-12)
    x1 = T(1, 1, 1, 8)
    y1, i1 = ops.max_pool2d(x1, (1, 2), return_indices=True)
    u1 = ops.max_unpool1d(ops.reshape(y1, (1, 1, 4)), ops.reshape(i1, (1, 1, 4)), 2)
    kept = np.where(u1.asnumpy() != 0, x1.asnumpy().reshape(1, 1, 8), 0)
    np.testing.assert_array_equal(u1.asnumpy(), kept)
    assert np.count_nonzero(u1.asnumpy()) == 4
    with pytest.raises(ValueError, match="'indices' must be in"):
        ops.max_unpool2d(y, idx, 1)
    with pytest.raises(ValueError, match="within one stride"):
        ops.max_unpool2d(y, idx, 2, 2, output_size=(9, 6))


def test_adaptive_max_pool3d_matches_torch(F):
    x = T(1, 2, 5, 6, 7)
    y, i = ops.adaptive_max_pool3d(x, (2, 3, 4), True)
    ty, ti = F.adaptive_max_pool3d(tt(x), (2, 3, 4), True)
    np.testing.assert_array_equal(y.asnumpy(), ty.numpy())
    np.testing.assert_array_equal(i.asnumpy(), ti.numpy())


def test_same_padding_in_1d_and_3d(F):
    x1, w1 = T(2, 3, 9), T(4, 3, 4)
    y1 = ops.conv1d(x1, w1, pad_mode="same")
    # an even kernel: the odd padding goes at the end (MindSpore), so pad (1, 2) explicitly for torch
    ty1 = F.conv1d(F.pad(tt(x1), (1, 2)), tt(w1))
    assert y1.shape == (2, 4, 9)
    np.testing.assert_allclose(y1.asnumpy(), ty1.numpy(), rtol=1e-5, atol=1e-5)
    x3, w3 = T(1, 2, 5, 4, 6), T(3, 2, 3, 3, 3)
    y3 = ops.conv3d(x3, w3, pad_mode="same", stride=2)
    assert y3.shape == (1, 3, 3, 2, 3)
    ty3 = F.conv3d(F.pad(tt(x3), (0, 1, 0, 1, 1, 1)), tt(w3), stride=2)  # W, H, D pairs
    np.testing.assert_allclose(y3.asnumpy(), ty3.numpy(), rtol=1e-5, atol=1e-5)
