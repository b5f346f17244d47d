"""Cases for the convolution and pooling family. The references are direct loops over every output
element and kernel tap (slow, obviously right), so they share nothing with the im2col kernels."""
import numpy as np

from tests.ops.harness import Case

TOL = dict(rtol=1e-5, atol=2e-5)


def _out(length, k, s, d, lo, hi):
    return (length + lo + hi - d * (k - 1) - 1) // s + 1


def ref_conv(x, w, stride, padding, dilation, groups):
    nsp = len(stride)
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0)) + tuple(padding))
    n, c = x.shape[:2]
    o = w.shape[0]
    ks = w.shape[2:]
    out = tuple(_out(x.shape[2 + i], ks[i], stride[i], dilation[i], *padding[i]) for i in range(nsp))
    y = np.zeros((n, o) + out)
    cg = c // groups
    og = o // groups
    for b in range(n):
        for oc in range(o):
            g = oc // og
            for pos in np.ndindex(*out):
                acc = 0.0
                for ci in range(cg):
                    for k in np.ndindex(*ks):
                        at = tuple(pos[i] * stride[i] + k[i] * dilation[i] for i in range(nsp))
                        acc += xp[(b, g * cg + ci) + at] * w[(oc, ci) + k]
                y[(b, oc) + pos] = acc
    return y


def ref_conv_transpose(y, w, stride, padding, dilation, groups, output_padding):
    nsp = len(stride)
    n, o = y.shape[:2]
    cg = w.shape[1]
    ks = w.shape[2:]
    og = o // groups
    ysp = y.shape[2:]
    full = tuple((ysp[i] - 1) * stride[i] + dilation[i] * (ks[i] - 1) + 1 + output_padding[i] for i in range(nsp))
    xp = np.zeros((n, cg * groups) + full)
    for b in range(n):
        for oc in range(o):
            g = oc // og
            for pos in np.ndindex(*ysp):
                for ci in range(cg):
                    for k in np.ndindex(*ks):
                        at = tuple(pos[i] * stride[i] + k[i] * dilation[i] for i in range(nsp))
                        xp[(b, g * cg + ci) + at] += y[(b, oc) + pos] * w[(oc, ci) + k]
    crop = tuple(slice(padding[i][0], full[i] - padding[i][1]) for i in range(nsp))
    return xp[(slice(None), slice(None)) + crop]


def ref_conv_weight_grad(x, y, stride, padding, dilation, groups, kernel_size):
    nsp = len(stride)
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0)) + tuple(padding))
    n, c = x.shape[:2]
    o = y.shape[1]
    cg = c // groups
    og = o // groups
    dw = np.zeros((o, cg) + tuple(kernel_size))
    for b in range(n):
        for oc in range(o):
            g = oc // og
            for pos in np.ndindex(*y.shape[2:]):
                for ci in range(cg):
                    for k in np.ndindex(*kernel_size):
                        at = tuple(pos[i] * stride[i] + k[i] * dilation[i] for i in range(nsp))
                        dw[(oc, ci) + k] += xp[(b, g * cg + ci) + at] * y[(b, oc) + pos]
    return dw


def _pool_out(length, k, s, d, lo, hi, ceil_mode):
    span = length + lo + hi - d * (k - 1) - 1
    if not ceil_mode:
        return span // s + 1
    out = int(np.ceil(span / s)) + 1
    if (out - 1) * s >= length + lo:
        out -= 1
    return out


def _windows(spatial, kernel_size, stride, padding, dilation, ceil_mode):
    """Yield (out position, list of in-bounds input positions, list of every tap position)."""
    nsp = len(spatial)
    out = tuple(_pool_out(spatial[i], kernel_size[i], stride[i], dilation[i], *padding[i], ceil_mode)
                for i in range(nsp))
    for pos in np.ndindex(*out):
        taps = []
        for k in np.ndindex(*kernel_size):
            taps.append(tuple(pos[i] * stride[i] + k[i] * dilation[i] - padding[i][0] for i in range(nsp)))
        inside = [t for t in taps if all(0 <= t[i] < spatial[i] for i in range(nsp))]
        yield pos, inside, taps
    return out


def _out_shape(x_shape, kernel_size, stride, padding, dilation, ceil_mode):
    sp = x_shape[2:]
    return tuple(x_shape[:2]) + tuple(_pool_out(sp[i], kernel_size[i], stride[i], dilation[i], *padding[i], ceil_mode)
                                      for i in range(len(sp)))


def ref_max_pool(x, kernel_size, stride, padding, dilation, ceil_mode, want_index=False):
    spatial = x.shape[2:]
    shape = _out_shape(x.shape, kernel_size, stride, padding, dilation, ceil_mode)
    out = np.zeros(shape, dtype=x.dtype)
    idx = np.zeros(shape, dtype=np.int64)
    for pos, inside, _ in _windows(spatial, kernel_size, stride, padding, dilation, ceil_mode):
        for b in range(x.shape[0]):
            for c in range(x.shape[1]):
                vals = [x[(b, c) + t] for t in inside]
                j = int(np.argmax(vals))
                out[(b, c) + pos] = vals[j]
                idx[(b, c) + pos] = np.ravel_multi_index(inside[j], spatial)
    return idx if want_index else out


def ref_avg_pool(x, kernel_size, stride, padding, dilation, ceil_mode, count_include_pad, divisor_override):
    spatial = x.shape[2:]
    shape = _out_shape(x.shape, kernel_size, stride, padding, dilation, ceil_mode)
    out = np.zeros(shape)
    for pos, inside, taps in _windows(spatial, kernel_size, stride, padding, dilation, ceil_mode):
        if divisor_override:
            div = divisor_override
        elif count_include_pad:
            div = sum(1 for t in taps if all(t[i] < spatial[i] + padding[i][1] for i in range(len(spatial))))
        else:
            div = len(inside)
        for b in range(x.shape[0]):
            for c in range(x.shape[1]):
                out[(b, c) + pos] = sum(x[(b, c) + t] for t in inside) / div
    return out


def ref_avg_pool_grad(dout, input_shape, **attrs):
    # the adjoint of average pooling: each input gets the windows' gradients that saw it
    x_probe = np.zeros(input_shape)
    dx = np.zeros(input_shape)
    flat = x_probe.reshape(-1)
    for k in range(flat.size):
        flat[k] = 1.0
        dx.reshape(-1)[k] = np.sum(ref_avg_pool(x_probe, **attrs) * dout)
        flat[k] = 0.0
    return dx


def ref_max_pool_grad(dout, indices, input_shape):
    dx = np.zeros(input_shape)
    plane = int(np.prod(input_shape[2:]))
    for b in range(input_shape[0]):
        for c in range(input_shape[1]):
            for j, v in zip(indices[b, c].reshape(-1), dout[b, c].reshape(-1)):
                dx[b, c].reshape(plane)[j] += v
    return dx


def ref_max_pool_grad_grad(g, indices):
    out = np.zeros(indices.shape)
    for b in range(indices.shape[0]):
        for c in range(indices.shape[1]):
            flat = g[b, c].reshape(-1)
            out[b, c] = flat[indices[b, c]]
    return out


def ref_adaptive_max(x, output_size):
    spatial = x.shape[2:]
    nsp = len(spatial)
    out = np.zeros(x.shape[:2] + tuple(output_size), dtype=x.dtype)
    idx = np.zeros(x.shape[:2] + tuple(output_size), dtype=np.int64)
    for cell in np.ndindex(*output_size):
        lo = [cell[i] * spatial[i] // output_size[i] for i in range(nsp)]
        hi = [int(np.ceil((cell[i] + 1) * spatial[i] / output_size[i])) for i in range(nsp)]
        positions = list(np.ndindex(*[hi[i] - lo[i] for i in range(nsp)]))
        positions = [tuple(p[i] + lo[i] for i in range(nsp)) for p in positions]
        for b in range(x.shape[0]):
            for c in range(x.shape[1]):
                vals = [x[(b, c) + p] for p in positions]
                j = int(np.argmax(vals))
                out[(b, c) + cell] = vals[j]
                idx[(b, c) + cell] = np.ravel_multi_index(positions[j], spatial)
    return out, idx


def distinct(shape, scale=0.25):
    """Values a fixed step apart (no ties), so a max has one argmax that finite differences keep."""
    return lambda rng, dt: (rng.permutation(int(np.prod(shape))).reshape(shape) * scale).astype(dt)


def conv_attrs(nsp, stride=1, padding=0, dilation=1, groups=1):
    def tup(v):
        return (v,) * nsp if isinstance(v, int) else tuple(v)
    pads = padding if isinstance(padding, tuple) and padding and isinstance(padding[0], tuple) else \
        tuple((p, p) for p in tup(padding))
    return dict(stride=tup(stride), padding=pads, dilation=tup(dilation), groups=groups)


def pool_attrs(nsp, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    def tup(v):
        return (v,) * nsp if isinstance(v, int) else tuple(v)
    return dict(kernel_size=tup(kernel_size), stride=tup(stride if stride is not None else kernel_size),
                padding=tuple((p, p) for p in tup(padding)), dilation=tup(dilation), ceil_mode=ceil_mode)


CASES = []

# --- conv: 1-D, 2-D, 3-D; stride, asymmetric padding, dilation, groups -----------------------------
_CONV = [
    ((2, 3, 7), (4, 3, 3), conv_attrs(1)),
    ((1, 4, 9), (4, 2, 2), conv_attrs(1, stride=2, padding=((1, 2),), dilation=2, groups=2)),
    ((2, 3, 5, 6), (2, 3, 3, 3), conv_attrs(2)),
    ((1, 4, 6, 5), (6, 2, 3, 2), conv_attrs(2, stride=(2, 1), padding=((1, 0), (2, 1)), dilation=(1, 2), groups=2)),
    ((1, 2, 4, 4), (2, 2, 1, 1), conv_attrs(2)),
    ((1, 3, 3, 4), (3, 1, 2, 2), conv_attrs(2, padding=1, groups=3)),
    ((1, 2, 4, 3, 4), (2, 2, 2, 2, 2), conv_attrs(3, stride=(1, 2, 1), padding=((1, 0), (0, 0), (1, 1)))),
]
for xs, ws, attrs in _CONV:
    CASES.append(Case("conv", [xs, ws], ref_conv, attrs=attrs, **TOL))
CASES.append(Case("conv", [(0, 2, 4, 4), (3, 2, 3, 3)], ref_conv, attrs=conv_attrs(2), grad=False, name="empty_batch"))


def _transpose_case(ys, ws, attrs, output_padding):
    attrs = dict(attrs, output_padding=output_padding)
    return Case("conv_transpose", [ys, ws], ref_conv_transpose, attrs=attrs, **TOL)


CASES += [
    _transpose_case((2, 4, 5), (4, 3, 3), conv_attrs(1), (0,)),
    _transpose_case((1, 4, 3, 3), (4, 2, 3, 2), conv_attrs(2, stride=2, padding=((1, 0), (1, 1)), groups=2), (1, 0)),
    _transpose_case((1, 2, 3, 2), (2, 3, 2, 2), conv_attrs(2, stride=(1, 2), dilation=(2, 1)), (0, 1)),
    _transpose_case((1, 2, 2, 2, 2), (2, 1, 2, 2, 2), conv_attrs(3, stride=2), (0, 0, 1)),
]


def _weight_grad_case(xs, ys, ks, attrs):
    return Case("conv_weight_grad", [xs, ys], ref_conv_weight_grad, attrs=dict(attrs, kernel_size=ks), **TOL)


CASES += [
    _weight_grad_case((2, 3, 7), (2, 4, 5), (3,), conv_attrs(1)),
    _weight_grad_case((1, 4, 6, 5), (1, 6, 3, 6), (3, 2),
                      conv_attrs(2, stride=(2, 1), padding=((1, 0), (2, 1)), dilation=(1, 2), groups=2)),
    _weight_grad_case((2, 2, 5, 5), (2, 2, 2, 2), (2, 2), conv_attrs(2, stride=2)),
]

# --- pooling ---------------------------------------------------------------------------------------
_MAX = [
    ((2, 2, 6, 6), pool_attrs(2, 2)),
    ((1, 2, 7, 6), pool_attrs(2, 3, stride=2, padding=1, ceil_mode=True)),
    ((1, 1, 7, 7), pool_attrs(2, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(2, 1))),
    ((1, 2, 9), pool_attrs(1, 3, stride=2, padding=1)),
    ((1, 1, 4, 5, 4), pool_attrs(3, 2, stride=(2, 2, 1), ceil_mode=True)),
]
for xs, attrs in _MAX:
    CASES.append(Case("max_pool", [distinct(xs)], ref_max_pool, attrs=attrs, eps=1e-4))
    CASES.append(Case("max_pool_indices", [distinct(xs)],
                      lambda x, **a: ref_max_pool(x, want_index=True, **a), attrs=attrs, grad=False))
CASES.append(Case("max_pool", [lambda rng, dt: np.arange(20, dtype=np.int32).reshape(1, 1, 4, 5)], ref_max_pool,
                  attrs=pool_attrs(2, 2), dtypes=("float32",), grad=False, name="int32"))


def _indices_of(xs, attrs):
    def make(rng, dt):
        x = rng.permutation(int(np.prod(xs))).reshape(xs).astype(np.float64)
        return ref_max_pool(x, want_index=True, **attrs)
    return make


for xs, attrs in _MAX[:3]:
    out_shape = _out_shape(xs, attrs["kernel_size"], attrs["stride"], attrs["padding"], attrs["dilation"],
                           attrs["ceil_mode"])
    CASES.append(Case("max_pool_grad", [out_shape, _indices_of(xs, attrs)], ref_max_pool_grad,
                      attrs={"input_shape": xs}, grad=(0,), **TOL))
    CASES.append(Case("max_pool_grad_grad", [xs, _indices_of(xs, attrs)], ref_max_pool_grad_grad,
                      grad=(0,), **TOL))

_AVG = [
    ((2, 2, 6, 6), pool_attrs(2, 2), True, 0),
    ((1, 2, 7, 6), pool_attrs(2, 3, stride=2, padding=1, ceil_mode=True), True, 0),
    ((1, 2, 7, 6), pool_attrs(2, 3, stride=2, padding=1, ceil_mode=True), False, 0),
    ((1, 1, 5, 5), pool_attrs(2, (3, 2), stride=(2, 1), padding=(1, 1)), True, 5),
    ((1, 2, 9), pool_attrs(1, 3, stride=2, padding=1), False, 0),
    ((1, 1, 4, 5, 4), pool_attrs(3, 2, stride=(2, 2, 1), ceil_mode=True), True, 0),
]
for xs, attrs, cip, div in _AVG:
    a = dict(attrs, count_include_pad=cip, divisor_override=div)
    CASES.append(Case("avg_pool", [xs], ref_avg_pool, attrs=a, **TOL))
    out_shape = _out_shape(xs, attrs["kernel_size"], attrs["stride"], attrs["padding"], attrs["dilation"],
                           attrs["ceil_mode"])
    CASES.append(Case("avg_pool_grad", [out_shape], ref_avg_pool_grad, attrs=dict(a, input_shape=xs), **TOL))

for xs, size in [((2, 2, 7, 5), (3, 2)), ((1, 3, 5), (2,)), ((1, 1, 4, 4), (4, 4)), ((1, 1, 3, 4, 5), (2, 2, 3))]:
    CASES.append(Case("adaptive_max_pool", [distinct(xs)], ref_adaptive_max, attrs={"output_size": size},
                      eps=1e-4))
