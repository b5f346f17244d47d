"""Lowerings of the convolution and pooling family to the shared C kernels in codegen/kernels/
(conv.c, pool.c): one compiled copy serves every shape; each node's call passes its geometry.

2-D and 1-D (as 2-D with a unit height) only; convolutions in float32, pooling in float32 and
float64; anything else lowers to None and runs its numpy kernel. A convolution's call also passes
``nb``, the images per GEMM (conv_chunk), or 0 / -1 for conv.c's direct kernels (few output
channels: 0 blocks pixels x channels in registers, -1 vectorises across a stride-1 row)."""
import os

import numpy as np

from .kernel import CKernel

__all__ = ["lower", "source", "conv_chunk", "winograd_tile"]

_KERNELS_DIR = os.path.join(os.path.dirname(__file__), "kernels")

# Below this many output pixels per image, one image makes too thin a GEMM: images are grouped so
# that a chunk has about _CHUNK_PIXELS columns (the numpy kernel's _SMALL_PLANE rule, chunked so
# the columns' scratch stays a few MB instead of growing with the batch).
_SMALL_PLANE = 1024
_CHUNK_PIXELS = 2048

# Threads a convolution's chunks may run on side by side (conv.c's team, one BLAS thread each):
# the workspace holds one slot of scratch per thread; conv.c uses sp_threads of them at most.
_TEAM = max(1, min(os.cpu_count() or 1, 4))

_SUFFIX = {np.dtype(np.float32): "f32", np.dtype(np.float64): "f64"}


def source(name):
    """The C text of the shared kernel file ``codegen/kernels/<name>.c``."""
    with open(os.path.join(_KERNELS_DIR, name + ".c")) as f:
        return f.read()


def conv_chunk(n, plane, team=1):
    """How many images one GEMM of a convolution covers: 1 for large feature maps (each image's
    GEMM writes its NCHW output directly), else enough for about _CHUNK_PIXELS columns, and no
    more than leaves each of ``team`` threads a chunk."""
    if plane >= _SMALL_PLANE or n <= 1:
        return 1
    share = -(-n // max(team, 1))
    return max(1, min(n, share, -(-_CHUNK_PIXELS // max(plane, 1))))


def _direct_vectors(c, h, w, o, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw, groups):
    """0, or the 8-float vectors of output channels conv.c's direct kernel keeps per pixel: for one
    group of at most 16 output channels with every tap inside the image (its sp_conv_direct_channels)."""
    if groups != 1 or ph or pw or o > 16:
        return 0
    if (oh - 1) * sh + (kh - 1) * dh >= h or (ow - 1) * sw + (kw - 1) * dw >= w:
        return 0
    return 1 if o <= 8 else 2


def _as_2d(shape_sp, attrs_sp, fill):
    """(spatial shape, per-axis attribute) of a 1-D geometry as 2-D, a unit leading axis with the
    attribute ``fill``; 2-D as is."""
    if len(shape_sp) == 1:
        return (1,) + tuple(shape_sp), (fill,) + tuple(attrs_sp)
    return tuple(shape_sp), tuple(attrs_sp)


# Winograd (winograd.c) for 3x3 stride-1 convolutions: None chooses per layer (winograd_tile);
# 0, 2 or 4 forces im2col or that output tile wherever Winograd applies (for tests and benchmarks).
FORCE_WINOGRAD = None

# A block's transformed tiles (U and M, (m+2)^2 * (Cin + Cout) floats a tile) are sized to about
# this many floats (a core's 1 MB L2), within [_BLOCK_MIN, _BLOCK_MAX] tiles.
_BLOCK_FLOATS = 256 * 1024
# A Winograd workspace larger than this (the transformed weights grow as (m+2)^2 * Cout * Cin, the
# weight gradient's accumulators once per thread) falls back to im2col: 64 MB, about three times
# ResNet-18's largest (22 MB, as im2col's)
_WINOGRAD_MAX_FLOATS = 16 * 1024 * 1024
_BLOCK_MIN = 32
_BLOCK_MAX = 256
# None: winograd.c's whole-batch mode where the transformed weights are wide against a block's
# tiles (_winograd_whole); True / False force it or the blocked mode (tests and benchmarks)
FORCE_WINOGRAD_WHOLE = None


def winograd_tile(op, cin, cout, oh, ow):
    """The output tile m of Winograd's F(m x m, 3 x 3) for a 3x3 stride-1 convolution or one of its
    gradients (2 or 4), or 0 where im2col + GEMM is faster: ``cin`` and ``cout`` are the channels the
    products contract and produce (for the input gradient, the forward's output and input
    channels), (oh, ow) the size of the plane the tiles cover (the forward's output; for the input
    gradient, its own)."""
    if FORCE_WINOGRAD is not None:
        return FORCE_WINOGRAD
    if min(cin, cout) < 16:
        return 0  # a thin product (ResNet's stem, 3 -> 64): the transforms would cost more than they save
    # Measured on ResNet-18's layers, 2 cores (bench_conv.py --winograd 0/2/4): F(4x4) leads on maps
    # of 8x8 and more (1.3-2x im2col's effective rate; F(2x2) 1.1-1.6x); on 4x4 maps (one F(4x4)
    # tile an image) the products get too thin: F(2x2)
    return 4 if oh * ow >= 64 else 2


def _winograd_rows(units, slots, tw, cin, cout, m):
    """Tile rows per block: the batch's tile rows in blocks of about _BLOCK_FLOATS, at least one
    block per thread (winograd.c hands them out one at a time)."""
    target = _BLOCK_FLOATS // ((m + 2) ** 2 * (cin + cout))
    target = max(_BLOCK_MIN, min(_BLOCK_MAX, target))
    blocks = max(1, slots, -(-units * tw // target))
    return max(1, -(-units // blocks))


def _round16(floats):
    return -(-floats // 16) * 16


def _pitch(floats):
    return _round16(floats) + 16  # winograd.c's sp_wino_pitch


def _winograd_whole(cin, cout, block_tiles):
    """Whether a layer runs in winograd.c's whole-batch mode: where a block would read more
    transformed weights (Cout x Cin a product) than it transforms tiles ((Cin + Cout) x its
    tiles), as ResNet's 256- and 512-channel layers would (blocked, they stream 9-16 MB of V once a
    block through thin products)."""
    if FORCE_WINOGRAD_WHOLE is not None:
        return FORCE_WINOGRAD_WHOLE
    return cin * cout > (cin + cout) * block_tiles


def _winograd_floats(op, n, cin, cout, oh, ow, m, rows, slots):
    """winograd.c's workspace. Blocked (rows < the batch's tile rows): the transformed weights (for
    the weight gradient, one accumulator of their size per thread), then one slot per thread (its
    sp_wino_slot_floats). Whole-batch: the transformed weights (or the one accumulator), the
    batch's transformed tiles U and products M, then one transform buffer per thread
    (sp_wino_whole_buf: the padded planes of a group of images)."""
    a2 = (m + 2) ** 2
    th = -(-oh // m)
    tw = -(-ow // m)
    qs = (tw + 8) // 8 * 8 + 8
    weights = a2 * _pitch(cout * cin)
    if rows >= n * th:
        tiles = n * th * tw
        group = 1 if th * tw >= 8 else -(-8 // (th * tw))  # sp_wino_group: images a transform takes
        buf = _round16(group * (th * m + 2) * (tw * m + 2))
        return weights + a2 * (_pitch(cin * tiles) + _pitch(cout * tiles)) + 16 + slots * buf
    tiles = rows * tw
    pad = (min(rows, th) * m + 2) * (tw * m + 2)
    slot = a2 * (_pitch(cin * tiles) + _pitch(cout * tiles)) + 16 + _round16(max(pad, m * m * qs))
    return (slots if op == "conv_weight_grad" else 1) * weights + slots * slot


def _lower_winograd(op, n, c, h, wd, o, oh, ow, ph, pw):
    """The winograd.c call of a 3x3 stride-1 convolution or one of its gradients: (function, its
    geometry arguments, workspace floats), or None (im2col)."""
    if op == "conv":
        cin, cout, ih, iw, out_h, out_w, lead_h, lead_w = c, o, h, wd, oh, ow, ph, pw
        func = "sp_conv2d_winograd_f32"
    elif op == "conv_weight_grad":
        cin, cout, ih, iw, out_h, out_w, lead_h, lead_w = c, o, h, wd, oh, ow, ph, pw
        func = "sp_conv2d_winograd_weight_grad_f32"
    else:
        if ph > 2 or pw > 2:
            return None
        cin, cout, ih, iw, out_h, out_w, lead_h, lead_w = o, c, oh, ow, h, wd, 2 - ph, 2 - pw
        func = "sp_conv2d_winograd_input_grad_f32"
    m = winograd_tile(op, cin, cout, out_h, out_w)
    if m not in (2, 4) or n == 0:
        return None
    th = -(-out_h // m)
    tw = -(-out_w // m)
    slots = max(1, min(_TEAM, n * th))
    rows = _winograd_rows(n * th, slots, tw, cin, cout, m)
    floats = _winograd_floats(op, n, cin, cout, out_h, out_w, m, rows, slots)
    if _winograd_whole(cin, cout, rows * tw):
        # the whole batch's tiles, unless they would take more than the limit (a large batch):
        # then the blocks
        whole = _winograd_floats(op, n, cin, cout, out_h, out_w, m, n * th, slots)
        if whole <= _WINOGRAD_MAX_FLOATS or FORCE_WINOGRAD_WHOLE:
            rows, floats = n * th, whole
    if floats > _WINOGRAD_MAX_FLOATS:
        return None
    tail = ", ".join(str(int(v)) for v in (n, cin, ih, iw, cout, out_h, out_w, lead_h, lead_w, m, rows, slots))
    return func, tail, floats


def _arg(expr):
    return "0" if expr is None else expr


def _lower_conv(node, name):
    # the three ops share one geometry: x (N, C, H, W), weight (O, C/groups, KH, KW), y (N, O, OH, OW)
    op = node.op.name
    a, b = node.inputs
    out = node.outputs[0]
    if out.dtype != np.float32 or a.dtype != np.float32 or b.dtype != np.float32:
        return None
    attrs = node.attrs
    if op == "conv":
        x, w, y = a, b, out
        func = "sp_conv2d_f32"
    elif op == "conv_transpose":
        y, w, x = a, b, out
        func = "sp_conv2d_input_grad_f32"
    else:
        x, y, w = a, b, out
        func = "sp_conv2d_weight_grad_f32"
    if len(x.shape) not in (3, 4):
        return None
    spatial = _as_2d(x.shape[2:], attrs["stride"], 1)
    h, wd = spatial[0]
    sh, sw = spatial[1]
    dh, dw = _as_2d(x.shape[2:], attrs["dilation"], 1)[1]
    ph, pw = _as_2d(x.shape[2:], [lo for lo, _ in attrs["padding"]], 0)[1]
    kh, kw = _as_2d(x.shape[2:], w.shape[2:], 1)[1]
    oh, ow = _as_2d(x.shape[2:], y.shape[2:], 1)[1]
    n, c = x.shape[:2]
    o = y.shape[1]
    groups = attrs["groups"]
    square3 = (kh, kw, sh, sw, dh, dw, groups) == (3, 3, 1, 1, 1, 1, 1) and len(x.shape) == 4
    if square3:
        winograd = _lower_winograd(op, n, c, h, wd, o, oh, ow, ph, pw)
        if winograd is not None:
            wfunc, wtail, wfloats = winograd

            def wcall(ins, outs, ws):
                return f"{wfunc}({ins[0]}, {ins[1]}, {outs[0]}, {_arg(ws)}, {wtail});"

            return CKernel(name, "", wcall, workspace=4 * wfloats, libraries=("conv", "winograd"))
    plane = oh * ow
    nb = conv_chunk(n, plane, _TEAM)
    ck = (c // groups) * kh * kw
    pointwise = kh == 1 and kw == 1 and sh == 1 and sw == 1 and ph == 0 and pw == 0 and (oh, ow) == (h, wd)
    slots = 1
    vectors = _direct_vectors(c, h, wd, o, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw, groups)
    if op == "conv" and vectors and o <= 6 and sw == 1 and ow >= 16:
        nb = -1  # conv.c's pixel-vectorised direct kernel: the weights as rows of 6, no columns
        floats = ck * 6
    elif op == "conv" and vectors:
        nb = 0  # conv.c's direct kernel: the weights transposed into the workspace, no columns
        floats = ck * 8 * vectors
    else:
        # conv.c's sp_conv_slot_floats per thread of the team, then for the weight gradient one
        # (O, C/groups, KH, KW) accumulator per thread after the first
        slots = min(_TEAM, -(-n // nb)) if n else 1
        slot = 0 if nb == 1 and pointwise else ck * nb * plane
        if nb > 1:
            slot += o * nb * plane
        floats = slots * slot
        if op == "conv_weight_grad":
            floats += (slots - 1) * o * ck
    geometry = (n, c, h, wd, o, kh, kw, oh, ow, sh, sw, ph, pw, dh, dw, groups, nb, slots)
    tail = ", ".join(str(int(v)) for v in geometry)

    def call(ins, outs, ws):
        return f"{func}({ins[0]}, {ins[1]}, {outs[0]}, {_arg(ws)}, {tail});"

    return CKernel(name, "", call, workspace=4 * floats, libraries=("conv",))


def _pool_geometry(x_shape, y_shape, attrs):
    """(planes, H, W, OH, OW, KH, KW, sh, sw, ph, pw, dh, dw) and the declared trailing padding, or
    None when the pooling is not 1-D or 2-D."""
    if len(x_shape) not in (3, 4):
        return None
    sp = x_shape[2:]
    h, w = _as_2d(sp, sp, 1)[0]
    oh, ow = _as_2d(sp, y_shape[2:], 1)[1]
    kh, kw = _as_2d(sp, attrs["kernel_size"], 1)[1]
    sh, sw = _as_2d(sp, attrs["stride"], 1)[1]
    dh, dw = _as_2d(sp, attrs["dilation"], 1)[1]
    ph, pw = _as_2d(sp, [lo for lo, _ in attrs["padding"]], 0)[1]
    hh, wh = _as_2d(sp, [hi for _, hi in attrs["padding"]], 0)[1]
    planes = x_shape[0] * x_shape[1]
    return (planes, h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw), (hh, wh)


def _lower_pool(node, name):
    op = node.op.name
    attrs = node.attrs
    x = node.inputs[0]
    out = node.outputs[0]
    if op == "max_pool_grad":
        dtype = out.dtype
        shapes = (node.inputs[0].shape, out.shape)  # dout, dx
    elif op == "max_pool_grad_grad":
        dtype = out.dtype
        shapes = (out.shape, x.shape)  # indices' shape, g's shape
    else:
        dtype = out.dtype if op != "max_pool_indices" else x.dtype
    if dtype not in _SUFFIX or (op != "max_pool_indices" and x.dtype != dtype):
        return None
    suffix = _SUFFIX[dtype]
    if op in ("max_pool_grad", "max_pool_grad_grad"):
        small, big = shapes
        planes = int(np.prod(small[:2]))
        plane = int(np.prod(big[2:]))
        outn = int(np.prod(small[2:]))
        tail = f"{planes}, {plane}, {outn}"
        func = f"sp_{op}_{suffix}"

        def call(ins, outs, ws):
            return f"{func}({ins[0]}, {ins[1]}, {outs[0]}, {tail});"

        return CKernel(name, "", call, libraries=("pool",))
    if op == "avg_pool_grad":
        geom = _pool_geometry(out.shape, x.shape, attrs)
    else:
        geom = _pool_geometry(x.shape, out.shape, attrs)
    if geom is None:
        return None
    geometry, (hh, wh) = geom
    tail = ", ".join(str(int(v)) for v in geometry)
    if op in ("avg_pool", "avg_pool_grad"):
        include = int(bool(attrs["count_include_pad"]))
        divisor = int(attrs["divisor_override"] or 0)
        tail += f", {hh}, {wh}, {include}, {divisor}"
    func = {"max_pool": "sp_max_pool2d", "max_pool_indices": "sp_max_pool2d_indices",
            "avg_pool": "sp_avg_pool2d", "avg_pool_grad": "sp_avg_pool2d_grad"}[op] + "_" + suffix

    def call(ins, outs, ws):
        return f"{func}({ins[0]}, {outs[0]}, {tail});"

    return CKernel(name, "", call, libraries=("pool",))


_LOWERINGS = {
    "conv": _lower_conv,
    "conv_transpose": _lower_conv,
    "conv_weight_grad": _lower_conv,
    "max_pool": _lower_pool,
    "max_pool_indices": _lower_pool,
    "max_pool_grad": _lower_pool,
    "max_pool_grad_grad": _lower_pool,
    "avg_pool": _lower_pool,
    "avg_pool_grad": _lower_pool,
}


def lower(node, name):
    """The native kernel of a convolution or pooling node, or None when this family has none for
    its rank or dtype (the backend then runs the numpy kernel). ``name``: the C name to use."""
    lowering = _LOWERINGS.get(node.op.name)
    if lowering is None:
        return None
    return lowering(node, name)

