"""Convolution and pooling layers against direct numpy loops written here: every pad_mode,
stride, dilation and group setting, MindSpore's weight layouts and default initialisation, and
gradients reaching the weights."""
import itertools
import math

import numpy as np
import pytest

import sporen as ms
from sporen import Tensor, nn, ops

RNG = np.random.default_rng(1)


def rand(*shape):
    return RNG.normal(size=shape).astype(np.float32)


def conv_ref(x, w, stride, pads, dilation, groups):
    """Cross-correlation of x (N, C, *S) with w (O, C/groups, *K), padding (before, after) per dim."""
    nd = x.ndim - 2
    x = np.pad(x.astype(np.float64), [(0, 0), (0, 0)] + list(pads))
    k = w.shape[2:]
    out_sp = [(x.shape[2 + i] - dilation[i] * (k[i] - 1) - 1) // stride[i] + 1 for i in range(nd)]
    n, c = x.shape[:2]
    o = w.shape[0]
    cg, og = c // groups, o // groups
    out = np.zeros((n, o) + tuple(out_sp))
    for g in range(groups):
        xs = x[:, g * cg:(g + 1) * cg]
        for kidx in itertools.product(*[range(s) for s in k]):
            sl = tuple(slice(kidx[i] * dilation[i], kidx[i] * dilation[i] + stride[i] * (out_sp[i] - 1) + 1,
                             stride[i]) for i in range(nd))
            patch = xs[(slice(None), slice(None)) + sl]
            wk = w[(slice(g * og, (g + 1) * og), slice(None)) + kidx].astype(np.float64)
            out[:, g * og:(g + 1) * og] += np.einsum("nc...,oc->no...", patch, wk)
    return out


def conv_t_full_ref(x, w, stride, dilation, groups):
    """Full transposed convolution: w (C_in, O/groups, *K); output (S-1)*s + d*(k-1) + 1."""
    nd = x.ndim - 2
    k = w.shape[2:]
    n, c = x.shape[:2]
    og = w.shape[1]
    cg = c // groups
    sp = x.shape[2:]
    full = [(sp[i] - 1) * stride[i] + dilation[i] * (k[i] - 1) + 1 for i in range(nd)]
    out = np.zeros((n, og * groups) + tuple(full))
    for g in range(groups):
        xs = x[:, g * cg:(g + 1) * cg].astype(np.float64)
        for kidx in itertools.product(*[range(s) for s in k]):
            sl = tuple(slice(kidx[i] * dilation[i], kidx[i] * dilation[i] + stride[i] * (sp[i] - 1) + 1, stride[i])
                       for i in range(nd))
            wk = w[(slice(g * cg, (g + 1) * cg), slice(None)) + kidx].astype(np.float64)
            out[(slice(None), slice(g * og, (g + 1) * og)) + sl] += np.einsum("nc...,co->no...", xs, wk)
    return out


def same_pads(sp, k, s, d):
    pads = []
    for size, kk, ss, dd in zip(sp, k, s, d):
        out = -(-size // ss)
        total = max((out - 1) * ss + dd * (kk - 1) + 1 - size, 0)
        pads.append((total // 2, total - total // 2))
    return pads


def weight_grad_ref(x, w, fn):
    """d sum(fn(x, w)) / dw, entry by entry (fn is linear in w)."""
    g = np.zeros(w.shape)
    for idx in np.ndindex(*w.shape):
        e = np.zeros(w.shape, np.float32)
        e[idx] = 1
        g[idx] = fn(x, e).sum()
    return g


def grads_of(net, x):
    return ms.grad(lambda a: ops.sum(net(a)), None, net.trainable_params())(x)


# --- Conv2d ----------------------------------------------------------------------------------------
CONV2D_CASES = [
    dict(kernel_size=3, stride=1, pad_mode="same"),
    dict(kernel_size=3, stride=2, pad_mode="same"),
    dict(kernel_size=(2, 3), stride=2, pad_mode="same", dilation=2),
    dict(kernel_size=3, stride=1, pad_mode="valid"),
    dict(kernel_size=(3, 2), stride=(2, 1), pad_mode="pad", padding=(1, 0, 2, 1)),
    dict(kernel_size=3, pad_mode="pad", padding=1, group=2, has_bias=True),
]


@pytest.mark.parametrize("kw", CONV2D_CASES)
def test_conv2d_matches_reference(kw):
    x = rand(2, 4, 7, 6)
    net = nn.Conv2d(4, 6, **kw)
    w = net.weight.asnumpy()
    k, s, d = net.kernel_size, net.stride, net.dilation
    if net.pad_mode == "same":
        pads = same_pads(x.shape[2:], k, s, d)
    elif net.pad_mode == "valid":
        pads = [(0, 0), (0, 0)]
    else:
        p = net._pads
        pads = [(p[0], p[1]), (p[2], p[3])]
    ref = conv_ref(x, w, s, pads, d, net.group)
    if net.has_bias:
        ref += net.bias.asnumpy().reshape(1, -1, 1, 1)
    out = net(Tensor(x))
    assert out.shape == ref.shape
    np.testing.assert_allclose(out.asnumpy(), ref, rtol=1e-4, atol=1e-4)
    if net.pad_mode == "same":
        assert out.shape[2:] == tuple(-(-v // st) for v, st in zip(x.shape[2:], s))
    grads = grads_of(net, Tensor(x))
    gref = weight_grad_ref(x, w, lambda a, e: conv_ref(a, e, s, pads, d, net.group))
    np.testing.assert_allclose(grads[0].asnumpy(), gref, rtol=1e-3, atol=1e-3)
    if net.has_bias:
        np.testing.assert_allclose(grads[1].asnumpy(), np.full(6, out.size / 6), rtol=1e-6)


def test_conv2d_defaults_and_init():
    net = nn.Conv2d(3, 8, 3)
    assert net.pad_mode == "same" and not net.has_bias and net.bias is None
    assert net.weight.shape == (8, 3, 3, 3) and net.weight.name == "weight"
    ms.set_seed(2)
    big = nn.Conv2d(16, 64, 3, has_bias=True)
    bound = 1 / math.sqrt(16 * 9)
    assert np.abs(big.weight.asnumpy()).max() <= bound + 1e-7
    assert np.abs(big.weight.asnumpy()).max() > 0.95 * bound
    assert np.abs(big.bias.asnumpy()).max() <= bound + 1e-7
    assert repr(net).startswith("Conv2d<input_channels=3, output_channels=8, kernel_size=(3, 3), stride=(1, 1), "
                                "pad_mode=same, padding=0")


def test_conv2d_errors():
    with pytest.raises(ValueError, match="Conv2d: 'in_channels' must be a positive int, got 0"):
        nn.Conv2d(0, 3, 3)
    with pytest.raises(ValueError, match="'padding' must be 0 when 'pad_mode' is 'same'"):
        nn.Conv2d(3, 3, 3, padding=1)
    with pytest.raises(ValueError, match="divisible by 'group'"):
        nn.Conv2d(3, 4, 3, group=2)
    with pytest.raises(ValueError, match="pad_mode"):
        nn.Conv2d(3, 4, 3, pad_mode="full")
    with pytest.raises(ValueError, match="kernel_size"):
        nn.Conv2d(3, 4, (3, 0))
    with pytest.raises(TypeError, match="padding"):
        nn.Conv2d(3, 4, 3, pad_mode="pad", padding=(1, 1))
    with pytest.raises(ValueError, match="channels"):
        nn.Conv2d(3, 4, 3)(Tensor(rand(1, 2, 5, 5)))


# --- Conv1d / Conv3d ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kw", [dict(pad_mode="same", stride=2), dict(pad_mode="valid", dilation=2),
                                dict(pad_mode="pad", padding=2, group=2, has_bias=True)])
def test_conv1d_matches_reference(kw):
    x = rand(2, 4, 9)
    net = nn.Conv1d(4, 6, 3, **kw)
    assert net.weight.shape == (6, 4 // net.group, 1, 3)
    w = net.weight.asnumpy()[:, :, 0, :]
    if net.pad_mode == "same":
        pads = same_pads((9,), (3,), net.stride, net.dilation)
    elif net.pad_mode == "pad":
        pads = [(2, 2)]
    else:
        pads = [(0, 0)]
    ref = conv_ref(x, w, net.stride, pads, net.dilation, net.group)
    if net.has_bias:
        ref += net.bias.asnumpy().reshape(1, -1, 1)
    np.testing.assert_allclose(net(Tensor(x)).asnumpy(), ref, rtol=1e-4, atol=1e-4)
    grads = grads_of(net, Tensor(x))
    assert grads[0].shape == net.weight.shape


@pytest.mark.parametrize("kw", [dict(pad_mode="same"), dict(pad_mode="pad", padding=(1, 0, 0, 1, 1, 1), stride=2)])
def test_conv3d_matches_reference(kw):
    x = rand(1, 2, 4, 5, 4)
    net = nn.Conv3d(2, 3, 2, has_bias=True, **kw)
    w = net.weight.asnumpy()
    if net.pad_mode == "same":
        pads = same_pads(x.shape[2:], net.kernel_size, net.stride, net.dilation)
    else:
        p = net._pads
        pads = [(p[0], p[1]), (p[2], p[3]), (p[4], p[5])]
    ref = conv_ref(x, w, net.stride, pads, net.dilation, 1) + net.bias.asnumpy().reshape(1, -1, 1, 1, 1)
    np.testing.assert_allclose(net(Tensor(x)).asnumpy(), ref, rtol=1e-4, atol=1e-4)


# --- transposed convolutions -----------------------------------------------------------------------
def crop_transpose(full, sp, k, s, d, mode, pads, output_padding):
    slices = [slice(None), slice(None)]
    extra = []
    for i, size in enumerate(sp):
        f = full.shape[2 + i]
        if mode == "same":
            target = size * s[i]
            before = max(f - target, 0) // 2
        elif mode == "valid":
            target = f + output_padding[i]
            before = 0
        else:
            before = pads[2 * i]
            target = f - pads[2 * i] - pads[2 * i + 1] + output_padding[i]
        keep = min(target, f - before)
        slices.append(slice(before, before + keep))
        extra.append((0, target - keep))
    return np.pad(full[tuple(slices)], [(0, 0), (0, 0)] + extra)


@pytest.mark.parametrize("kw", [dict(pad_mode="same", stride=2), dict(pad_mode="valid", stride=2),
                                dict(pad_mode="pad", padding=(1, 0, 1, 1), stride=2, output_padding=1),
                                dict(pad_mode="same", stride=3, kernel_size=2),
                                dict(pad_mode="valid", dilation=2, group=2, has_bias=True)])
def test_conv2d_transpose_matches_reference(kw):
    kw = dict(kw)
    k = kw.pop("kernel_size", 3)
    x = rand(2, 4, 3, 4)
    net = nn.Conv2dTranspose(4, 6, k, **kw)
    w = net.weight.asnumpy()
    assert w.shape == (4, 6 // net.group) + net.kernel_size
    full = conv_t_full_ref(x, w, net.stride, net.dilation, net.group)
    ref = crop_transpose(full, x.shape[2:], net.kernel_size, net.stride, net.dilation, net.pad_mode, net._pads,
                         net.output_padding)
    if net.has_bias:
        ref += net.bias.asnumpy().reshape(1, -1, 1, 1)
    out = net(Tensor(x))
    assert out.shape == ref.shape
    np.testing.assert_allclose(out.asnumpy(), ref, rtol=1e-4, atol=1e-4)
    if net.pad_mode == "same":
        assert out.shape[2:] == (3 * net.stride[0], 4 * net.stride[1])
    grads = grads_of(net, Tensor(x))
    assert grads[0].shape == w.shape


def test_conv1d_and_conv3d_transpose():
    x = rand(2, 3, 5)
    net = nn.Conv1dTranspose(3, 2, 3, stride=2, pad_mode="valid")
    assert net.weight.shape == (3, 2, 1, 3)
    full = conv_t_full_ref(x, net.weight.asnumpy()[:, :, 0, :], (2,), (1,), 1)
    np.testing.assert_allclose(net(Tensor(x)).asnumpy(), full, rtol=1e-4, atol=1e-4)
    same = nn.Conv1dTranspose(3, 2, 3, stride=2)
    assert same(Tensor(x)).shape == (2, 2, 10)
    x3 = rand(1, 2, 2, 3, 2)
    net3 = nn.Conv3dTranspose(2, 3, 2, stride=2, pad_mode="valid")
    full3 = conv_t_full_ref(x3, net3.weight.asnumpy(), (2, 2, 2), (1, 1, 1), 1)
    np.testing.assert_allclose(net3(Tensor(x3)).asnumpy(), full3, rtol=1e-4, atol=1e-4)


# --- pooling ---------------------------------------------------------------------------------------
def pool_ref(x, k, s, pads, op, count_include_pad=True, divisor=None, ceil=False):
    """Pooling over the trailing len(k) dims. pads: (before, after) per dim; NaN marks padding."""
    nd = len(k)
    xp = np.pad(x.astype(np.float64), [(0, 0)] * (x.ndim - nd) + list(pads), constant_values=np.nan)
    out_sp = []
    for i in range(nd):
        span = xp.shape[x.ndim - nd + i] - k[i]
        n_out = (-(-span // s[i]) if ceil else span // s[i]) + 1
        if ceil and (n_out - 1) * s[i] >= x.shape[x.ndim - nd + i] + pads[i][0]:
            n_out -= 1
        out_sp.append(n_out)
    out = np.zeros(x.shape[:x.ndim - nd] + tuple(out_sp))
    for idx in itertools.product(*[range(n) for n in out_sp]):
        sl = tuple(slice(idx[i] * s[i], idx[i] * s[i] + k[i]) for i in range(nd))
        win = xp[(Ellipsis,) + sl].reshape(x.shape[:x.ndim - nd] + (-1,))
        if op == "max":
            out[(Ellipsis,) + idx] = np.nanmax(win, -1)
        elif divisor:
            out[(Ellipsis,) + idx] = np.nansum(win, -1) / divisor
        elif count_include_pad:
            # padding counts, the part past the input that ceil_mode adds does not
            inside = [min(idx[i] * s[i] + k[i], xp.shape[x.ndim - nd + i]) - idx[i] * s[i] for i in range(nd)]
            out[(Ellipsis,) + idx] = np.nansum(win, -1) / np.prod(inside)
        else:
            out[(Ellipsis,) + idx] = np.nanmean(win, -1)
    return out


def tf_same(sp, k, s):
    return same_pads(sp, k, s, (1,) * len(k))


@pytest.mark.parametrize("kw,pads", [
    (dict(), [(0, 0), (0, 0)]),
    (dict(kernel_size=3, stride=2, pad_mode="same"), None),
    (dict(kernel_size=2, stride=2), [(0, 0), (0, 0)]),
    (dict(kernel_size=3, stride=2, pad_mode="pad", padding=1), [(1, 1), (1, 1)]),
    (dict(kernel_size=(2, 3), stride=2, pad_mode="pad", padding=(1, 0), ceil_mode=True), [(1, 1), (0, 0)]),
])
def test_max_and_avg_pool2d(kw, pads):
    x = rand(2, 3, 7, 6)
    mp = nn.MaxPool2d(**kw)
    k, s = mp.kernel_size, mp.stride
    if pads is None:
        pads = tf_same(x.shape[2:], k, s)
    ceil = kw.get("ceil_mode", False)
    np.testing.assert_allclose(mp(Tensor(x)).asnumpy(), pool_ref(x, k, s, pads, "max", ceil=ceil), rtol=1e-6)
    ap = nn.AvgPool2d(**kw)
    include = mp.pad_mode != "same"
    np.testing.assert_allclose(ap(Tensor(x)).asnumpy(), pool_ref(x, k, s, pads, "avg", include, ceil=ceil),
                               rtol=1e-5, atol=1e-6)


def test_avg_pool_options_and_unbatched_input():
    x = rand(2, 3, 6, 6)
    ap = nn.AvgPool2d(3, 2, pad_mode="pad", padding=1, count_include_pad=False)
    np.testing.assert_allclose(ap(Tensor(x)).asnumpy(), pool_ref(x, (3, 3), (2, 2), [(1, 1)] * 2, "avg", False),
                               rtol=1e-5, atol=1e-6)
    dv = nn.AvgPool2d(2, 2, divisor_override=3)
    np.testing.assert_allclose(dv(Tensor(x)).asnumpy(), pool_ref(x, (2, 2), (2, 2), [(0, 0)] * 2, "avg", divisor=3),
                               rtol=1e-5)
    unbatched = nn.MaxPool2d(2, 2)(Tensor(x[0]))
    np.testing.assert_allclose(unbatched.asnumpy(), pool_ref(x[0], (2, 2), (2, 2), [(0, 0)] * 2, "max"))
    assert nn.AvgPool2d().kernel_size == (1, 1) and nn.AvgPool2d().pad_mode == "valid"


def test_pool1d_and_pool3d():
    x = rand(2, 3, 9)
    for kw, pads in ((dict(kernel_size=3, stride=2), [(0, 0)]), (dict(kernel_size=4, stride=2, pad_mode="same"), None),
                     (dict(kernel_size=3, stride=2, pad_mode="pad", padding=1), [(1, 1)])):
        pads = pads or tf_same((9,), (kw["kernel_size"],), (2,))
        k = (kw["kernel_size"],)
        np.testing.assert_allclose(nn.MaxPool1d(**kw)(Tensor(x)).asnumpy(), pool_ref(x, k, (2,), pads, "max"))
        include = kw.get("pad_mode") != "same"
        np.testing.assert_allclose(nn.AvgPool1d(**kw)(Tensor(x)).asnumpy(),
                                   pool_ref(x, k, (2,), pads, "avg", include), rtol=1e-5, atol=1e-6)
    x3 = rand(1, 2, 4, 5, 4)
    np.testing.assert_allclose(nn.MaxPool3d(2, 2)(Tensor(x3)).asnumpy(),
                               pool_ref(x3, (2, 2, 2), (2, 2, 2), [(0, 0)] * 3, "max"))
    np.testing.assert_allclose(nn.AvgPool3d(3, 1, pad_mode="same")(Tensor(x3)).asnumpy(),
                               pool_ref(x3, (3, 3, 3), (1, 1, 1), [(1, 1)] * 3, "avg", False), rtol=1e-5, atol=1e-6)


def test_max_pool_return_indices_and_gradient():
    x = rand(1, 1, 4, 4)
    out, idx = nn.MaxPool2d(2, 2, return_indices=True)(Tensor(x))
    flat = x.reshape(4, 4)
    expected = [[int(np.argmax(np.where(np.isin(np.arange(16).reshape(4, 4), [[r * 4 + c for c in range(cj, cj + 2)]
                                                                               for r in range(ri, ri + 2)]),
                                        flat, -np.inf)))
                 for cj in (0, 2)] for ri in (0, 2)]
    np.testing.assert_array_equal(idx.asnumpy().reshape(2, 2), expected)
    g = ms.grad(lambda a: ops.sum(nn.MaxPool2d(2, 2)(a)))(Tensor(x)).asnumpy().reshape(16)
    assert g.sum() == 4 and set(np.flatnonzero(g)) == set(np.ravel(expected))


def test_pool_errors():
    with pytest.raises(ValueError, match="MaxPool2d: 'kernel_size'"):
        nn.MaxPool2d(0)
    with pytest.raises(ValueError, match="'padding' must be 0 when 'pad_mode' is 'valid'"):
        nn.AvgPool2d(2, padding=1)
    with pytest.raises(ValueError, match="input must be"):
        nn.MaxPool2d(2)(Tensor(rand(2, 3)))


def adaptive_ref(x, out_size, op):
    nd = len(out_size)
    sp = x.shape[-nd:]
    out = np.zeros(x.shape[:-nd] + tuple(out_size))
    for idx in itertools.product(*[range(o) for o in out_size]):
        sl = tuple(slice((idx[i] * sp[i]) // out_size[i], -(-((idx[i] + 1) * sp[i]) // out_size[i]))
                   for i in range(nd))
        win = x[(Ellipsis,) + sl].reshape(x.shape[:-nd] + (-1,))
        out[(Ellipsis,) + idx] = win.max(-1) if op == "max" else win.mean(-1)
    return out


def test_adaptive_pools():
    x = rand(2, 3, 7, 5)
    np.testing.assert_allclose(nn.AdaptiveAvgPool2d((3, 2))(Tensor(x)).asnumpy(), adaptive_ref(x, (3, 2), "avg"),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(nn.AdaptiveMaxPool2d(3)(Tensor(x)).asnumpy(), adaptive_ref(x, (3, 3), "max"))
    x1 = rand(2, 3, 10)
    np.testing.assert_allclose(nn.AdaptiveAvgPool1d(4)(Tensor(x1)).asnumpy(), adaptive_ref(x1, (4,), "avg"),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(nn.AdaptiveMaxPool1d(3)(Tensor(x1)).asnumpy(), adaptive_ref(x1, (3,), "max"))
    x3 = rand(1, 2, 4, 5, 6)
    np.testing.assert_allclose(nn.AdaptiveAvgPool3d((2, 2, 3))(Tensor(x3)).asnumpy(),
                               adaptive_ref(x3, (2, 2, 3), "avg"), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="output_size"):
        nn.AdaptiveAvgPool2d((2, 0))


def test_lp_pool():
    x = np.abs(rand(2, 3, 8))
    ref = np.sqrt(pool_ref(x ** 2, (2,), (2,), [(0, 0)], "avg") * 2)
    np.testing.assert_allclose(nn.LPPool1d(2, 2)(Tensor(x)).asnumpy(), ref, rtol=1e-5)
    x2 = np.abs(rand(1, 2, 4, 6))
    ref2 = np.cbrt(pool_ref(x2 ** 3, (2, 3), (2, 3), [(0, 0)] * 2, "avg") * 6)
    np.testing.assert_allclose(nn.LPPool2d(3, (2, 3))(Tensor(x2)).asnumpy(), ref2, rtol=1e-4)


def test_pytorch_style_pools():
    x = rand(2, 3, 7, 6)
    mp = nn.MaxPool2dExt(3, padding=1)
    assert mp.stride == (3, 3)
    np.testing.assert_allclose(mp(Tensor(x)).asnumpy(), pool_ref(x, (3, 3), (3, 3), [(1, 1)] * 2, "max"))
    ap = nn.AvgPool2dExt(2, 1, count_include_pad=False)
    np.testing.assert_allclose(ap(Tensor(x)).asnumpy(), pool_ref(x, (2, 2), (1, 1), [(0, 0)] * 2, "avg"),
                               rtol=1e-5, atol=1e-6)
    x1 = rand(2, 3, 9)
    np.testing.assert_allclose(nn.AvgPool1dExt(3)(Tensor(x1)).asnumpy(), pool_ref(x1, (3,), (3,), [(0, 0)], "avg"),
                               rtol=1e-5, atol=1e-6)
    x3 = rand(1, 2, 4, 4, 4)
    np.testing.assert_allclose(nn.AvgPool3dExt(2)(Tensor(x3)).asnumpy(),
                               pool_ref(x3, (2, 2, 2), (2, 2, 2), [(0, 0)] * 3, "avg"), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="half"):
        nn.MaxPool2dExt(2, padding=2)


def numeric_input_grad(fn, x, r, eps=1e-6):
    """Central differences of sum(fn(x) * r) in float64."""
    g = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        xp = x.copy()
        xp[idx] += eps
        xm = x.copy()
        xm[idx] -= eps
        g[idx] = ((fn(Tensor(xp)).asnumpy() * r).sum() - (fn(Tensor(xm)).asnumpy() * r).sum()) / (2 * eps)
    return g


@pytest.mark.parametrize("make", [
    lambda: nn.Conv2d(2, 3, 3, stride=2, has_bias=True, dtype=ms.float64),
    lambda: nn.Conv2d(2, 2, (2, 3), pad_mode="pad", padding=(1, 0, 2, 1), group=2, dtype=ms.float64),
    lambda: nn.Conv2dTranspose(2, 3, 3, stride=2, dtype=ms.float64),
    lambda: nn.Conv2dTranspose(2, 2, 2, stride=3, dtype=ms.float64),
    lambda: nn.Conv2dTranspose(2, 2, 3, stride=2, pad_mode="pad", padding=(1, 0, 0, 1), output_padding=1,
                               dtype=ms.float64),
    lambda: nn.Conv1d(2, 3, 4, stride=2, has_bias=True, dtype=ms.float64),
    lambda: nn.MaxPool2d(3, 2, pad_mode="same"),
    lambda: nn.AvgPool2d(3, 2, pad_mode="same"),
    lambda: nn.AvgPool1d(2, 2, pad_mode="same"),
])
def test_input_gradients_match_central_differences(make):
    net = make()
    shape = (1, 2, 9) if isinstance(net, (nn.Conv1d, nn.AvgPool1d)) else (1, 2, 5, 4)
    x = RNG.normal(size=shape)
    out = net(Tensor(x))
    r = RNG.normal(size=out.shape)
    g = ms.grad(lambda a: ops.sum(net(a) * Tensor(r)))(Tensor(x))
    np.testing.assert_allclose(g.asnumpy(), numeric_input_grad(net, x, r), rtol=1e-6, atol=1e-7)


def test_max_unpool_inverts_max_pool():
    x = rand(2, 3, 4, 6)
    out, idx = nn.MaxPool2d(2, 2, return_indices=True)(Tensor(x))
    restored = nn.MaxUnpool2d(2)(out, idx).asnumpy()
    mask = np.zeros_like(x).reshape(2, 3, -1)
    np.put_along_axis(mask, idx.asnumpy().reshape(2, 3, -1).astype(np.int64), 1, axis=-1)
    np.testing.assert_array_equal(restored, np.where(mask.reshape(x.shape) == 1, x, 0))
    x1 = rand(1, 2, 8)
    out1, idx1 = nn.MaxPool1d(2, 2, return_indices=True)(Tensor(x1))
    r1 = nn.MaxUnpool1d(2)(out1, idx1).asnumpy()
    assert r1.shape == x1.shape and np.allclose(np.sort(r1[r1 != 0]), np.sort(out1.asnumpy().ravel()))
    x3 = rand(1, 1, 2, 4, 4)
    out3, idx3 = nn.MaxPool3d(2, 2, return_indices=True)(Tensor(x3))
    r3 = nn.MaxUnpool3d(2)(out3, idx3).asnumpy()
    assert r3.shape == x3.shape and np.isclose(r3.sum(), out3.asnumpy().sum(), rtol=1e-5)


def test_against_torch_where_semantics_coincide():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    x = rand(2, 4, 9, 8)
    conv = nn.Conv2d(4, 6, 3, stride=2, pad_mode="pad", padding=1, dilation=2, group=2, has_bias=True)
    want = tf.conv2d(torch.from_numpy(x), torch.from_numpy(conv.weight.asnumpy()),
                     torch.from_numpy(conv.bias.asnumpy()), stride=2, padding=1, dilation=2, groups=2)
    np.testing.assert_allclose(conv(Tensor(x)).asnumpy(), want.numpy(), rtol=1e-4, atol=1e-4)
    tconv = nn.Conv2dTranspose(4, 2, 3, stride=2, pad_mode="pad", padding=1, output_padding=1, group=2)
    want = tf.conv_transpose2d(torch.from_numpy(x), torch.from_numpy(tconv.weight.asnumpy()), stride=2, padding=1,
                               output_padding=1, groups=2)
    np.testing.assert_allclose(tconv(Tensor(x)).asnumpy(), want.numpy(), rtol=1e-4, atol=1e-4)
    for ceil in (False, True):
        mp = nn.MaxPool2d(3, 2, pad_mode="pad", padding=1, ceil_mode=ceil)
        want = tf.max_pool2d(torch.from_numpy(x), 3, 2, 1, ceil_mode=ceil)
        np.testing.assert_allclose(mp(Tensor(x)).asnumpy(), want.numpy())
        for include in (False, True):
            ap = nn.AvgPool2d(3, 2, pad_mode="pad", padding=1, ceil_mode=ceil, count_include_pad=include)
            want = tf.avg_pool2d(torch.from_numpy(x), 3, 2, 1, ceil_mode=ceil, count_include_pad=include)
            np.testing.assert_allclose(ap(Tensor(x)).asnumpy(), want.numpy(), rtol=1e-5, atol=1e-6)
    want = tf.adaptive_avg_pool2d(torch.from_numpy(x), (4, 3))
    np.testing.assert_allclose(nn.AdaptiveAvgPool2d((4, 3))(Tensor(x)).asnumpy(), want.numpy(), rtol=1e-5, atol=1e-6)
    want = tf.lp_pool2d(torch.from_numpy(np.abs(x)), 2, 2)
    np.testing.assert_allclose(nn.LPPool2d(2, 2)(Tensor(np.abs(x))).asnumpy(), want.numpy(), rtol=1e-5)


def test_small_cnn_learns():
    ms.set_seed(0)
    rng = np.random.default_rng(0)
    # two classes: a bright top half or a bright bottom half
    labels = rng.integers(0, 2, 32)
    images = rng.normal(scale=0.3, size=(32, 1, 8, 8)).astype(np.float32)
    for i, c in enumerate(labels):
        images[i, 0, :4] += 1.0 - c
        images[i, 0, 4:] += c
    net = nn.SequentialCell([nn.Conv2d(1, 4, 3, has_bias=True), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2, 2),
                             nn.Flatten(), nn.Dense(64, 2)])
    net.set_train()
    onehot = Tensor(np.eye(2, dtype=np.float32)[labels])
    x = Tensor(images)

    def loss_fn(a):
        logp = ops.log_softmax(net(a), -1)
        return -ops.mean(ops.sum(logp * onehot, -1))

    step = ms.value_and_grad(loss_fn, None, net.trainable_params())
    losses = []
    for _ in range(30):
        loss, grads = step(x)
        losses.append(float(loss.asnumpy()))
        for p, g in zip(net.trainable_params(), grads):
            p.set_data(p.asnumpy() - 0.1 * g.asnumpy())
    assert losses[-1] < 0.3 * losses[0]
    net.set_train(False)
    pred = net(x).asnumpy().argmax(-1)
    assert (pred == labels).mean() > 0.9
