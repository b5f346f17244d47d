"""Winograd's 3x3 convolutions and their two gradients (codegen/kernels/winograd.c, chosen by
codegen/library.py) against a float64 reference, with each algorithm forced in turn: im2col (0),
F(2x2, 3x3) and F(4x4, 3x3).

Tolerances, relative to the largest output: the float32 rounding error of a sum of C*9 products is
about 1e-7 of it by im2col and measured up to 7e-7 by F(2x2) and 1.3e-5 by F(4x4) (whose transforms
multiply by up to 8 and divide by 24) over ResNet-18's shapes (C up to 512); the bounds below leave
a few times that."""
import numpy as np
import pytest

from sporen.codegen import library
from sporen.ops.registry import OPS
from tests.compiler.test_library_kernels import _build, _node, _run, pytestmark  # noqa: F401
from tests.ops.cases_conv import conv_attrs

_TOLERANCE = {0: 2e-6, 2: 4e-6, 4: 6e-5}

# (name, x shape, output channels, padding): odd sizes not multiples of either tile, one image,
# channels not multiples of 8, more images than threads, padding 0, 1, 2 and uneven
_GEOMETRIES = [
    ("odd", (3, 5, 7, 9), 6, 1),
    ("one_image", (1, 17, 11, 6), 9, 0),
    ("tiny_plane", (5, 8, 3, 3), 16, 1),
    ("wide", (2, 3, 5, 37), 4, 1),
    ("pad2", (2, 6, 6, 7), 5, 2),
    ("uneven_pad", (3, 4, 9, 8), 7, ((1, 0), (0, 1))),
    ("resnet_like", (4, 24, 16, 16), 20, 1),
    ("many_images", (9, 16, 8, 8), 16, 1),
]


def _cases():
    rng = np.random.default_rng(7)
    cases = []
    for name, xs, o, pad in _GEOMETRIES:
        x = rng.standard_normal(xs).astype(np.float32)
        w = (rng.standard_normal((o, xs[1], 3, 3)) / np.sqrt(9 * xs[1])).astype(np.float32)
        attrs = conv_attrs(2, padding=pad)
        y = OPS["conv"].kernel(x, w, **attrs)
        dy = rng.standard_normal(y.shape).astype(np.float32)
        op_pad = tuple(xs[2 + i] + sum(attrs["padding"][i]) - 2 - 1 - (y.shape[2 + i] - 1) for i in range(2))
        cases.append((f"conv-{name}", "conv", [x, w], attrs))
        cases.append((f"conv_transpose-{name}", "conv_transpose", [dy, w], dict(attrs, output_padding=op_pad)))
        cases.append((f"conv_weight_grad-{name}", "conv_weight_grad", [x, dy], dict(attrs, kernel_size=(3, 3))))
    return cases


_CASES = _cases()


@pytest.fixture(scope="module", params=[(0, None), (2, False), (2, True), (4, False), (4, True)],
                ids=["im2col", "f2-blocked", "f2-whole", "f4-blocked", "f4-whole"])
def forced(request, tmp_path_factory):
    """(tile, library, lowered) with every case lowered with Winograd's tile forced (0: im2col) and
    winograd.c's blocked or whole-batch mode."""
    tile, whole = request.param
    saved = library.FORCE_WINOGRAD, library.FORCE_WINOGRAD_WHOLE
    library.FORCE_WINOGRAD, library.FORCE_WINOGRAD_WHOLE = tile, whole
    try:
        built = _build(_CASES, str(tmp_path_factory.mktemp(f"winograd{tile}{whole}")))
    finally:
        library.FORCE_WINOGRAD, library.FORCE_WINOGRAD_WHOLE = saved
    return (tile,) + built


@pytest.mark.parametrize("cid,op,arrays,attrs", _CASES, ids=[c[0] for c in _CASES])
def test_matches_float64_reference(forced, cid, op, arrays, attrs):
    tile, lib, lowered = forced
    k, kernel, expected = lowered[cid]
    assert kernel.libraries == (("conv", "winograd") if tile else ("conv",))
    got = _run(lib, k, kernel, arrays, expected)
    reference = OPS[op].kernel(*[a.astype(np.float64) for a in arrays], **attrs)
    scale = np.abs(reference).max()
    np.testing.assert_allclose(got, reference, rtol=0, atol=_TOLERANCE[tile] * scale)


def _lowered(op, xs, ws, **attrs):
    x = np.zeros(xs, np.float32)
    w = np.zeros(ws, np.float32)
    a = conv_attrs(2, **attrs)
    y = OPS["conv"].kernel(x, w, **a)
    if op == "conv":
        node, _ = _node("conv", [x, w], a)
    elif op == "conv_weight_grad":
        node, _ = _node("conv_weight_grad", [x, y], dict(a, kernel_size=tuple(ws[2:])))
    else:
        op_pad = tuple(xs[2 + i] + sum(a["padding"][i]) - (ws[2 + i] - 1) * a["dilation"][i] - 1
                       - (y.shape[2 + i] - 1) * a["stride"][i] for i in range(2))
        node, _ = _node("conv_transpose", [y, w], dict(a, output_padding=op_pad))
    return library.lower(node, "k")


def test_choice():
    """ResNet-18's 3x3 stride-1 layers take F(4x4) on maps of 8x8 and more and F(2x2) on 4x4 maps,
    the 256- and 512-channel ones in whole-batch mode; the stem (3 input channels), strided, dilated, grouped and 1x1
    convolutions keep im2col, as do an input gradient whose forward padding exceeds 2 and a layer
    whose transformed weights would take more than library._WINOGRAD_MAX_FLOATS."""
    assert library.FORCE_WINOGRAD is None
    assert library.winograd_tile("conv", 64, 64, 32, 32) == 4
    assert library.winograd_tile("conv_transpose", 128, 128, 16, 16) == 4
    assert library.winograd_tile("conv_weight_grad", 256, 256, 8, 8) == 4
    assert library.winograd_tile("conv", 512, 512, 4, 4) == 2
    assert library.winograd_tile("conv_transpose", 512, 512, 4, 4) == 2
    assert library.winograd_tile("conv_weight_grad", 512, 512, 4, 4) == 2
    assert not library._winograd_whole(64, 64, 64 * 8) and not library._winograd_whole(128, 128, 32 * 4)
    assert library._winograd_whole(256, 256, 32 * 2) and library._winograd_whole(512, 512, 16 * 2)
    assert library.winograd_tile("conv", 3, 64, 32, 32) == 0
    for op in ("conv", "conv_transpose", "conv_weight_grad"):
        assert "sp_conv2d_winograd" in _lowered(op, (2, 32, 8, 8), (32, 32, 3, 3), padding=1).call(["a", "b"], ["c"],
                                                                                                  "w")
        for attrs in (dict(stride=2, padding=1), dict(dilation=2, padding=2), dict(groups=2, padding=1)):
            kernel = _lowered(op, (2, 32, 8, 8), (32, 32 // attrs.get("groups", 1), 3, 3), **attrs)
            assert kernel.libraries == ("conv",), attrs
        assert _lowered(op, (2, 32, 8, 8), (32, 32, 1, 1)).libraries == ("conv",)
    assert _lowered("conv_transpose", (2, 32, 8, 8), (32, 32, 3, 3), padding=3).libraries == ("conv",)
    assert _lowered("conv_weight_grad", (2, 32, 4, 4), (32, 32, 3, 3), padding=1).libraries == ("conv", "winograd")
    assert _lowered("conv", (2, 32, 8, 8), (32, 32, 3, 3), padding=3).libraries == ("conv", "winograd")
    # a batch whose tiles would take the whole-batch mode past the limit runs in blocks
    big = _lowered("conv", (256, 256, 8, 8), (256, 256, 3, 3), padding=1)
    assert big.libraries == ("conv", "winograd") and big.workspace <= 4 * library._WINOGRAD_MAX_FLOATS
    assert ", 512, " not in big.call(["a", "b"], ["c"], "w")  # rows: not all 256 x 2 tile rows
    # transformed weights of 36 x 1024 x 1024 floats (150 MB): im2col
    assert _lowered("conv", (1, 1024, 8, 8), (1024, 1024, 3, 3), padding=1).libraries == ("conv",)


def test_workspace(monkeypatch):
    """Blocked: the transformed weights ((m+2)^2 matrices Cout x Cin) and one slot per thread: the
    block's transformed tiles (U, M), then room for an image's padded rows or a tile row's output
    phases; each matrix a cache line apart. Whole-batch: the transformed weights, the batch's U and
    M, then one such buffer per thread."""
    monkeypatch.setattr(library, "FORCE_WINOGRAD_WHOLE", False)
    kernel = _lowered("conv", (2, 32, 4, 4), (48, 32, 3, 3), padding=1)  # F(2x2): 2 x 2 tiles an image
    slots = min(library._TEAM, 2 * 2)
    rows = library._winograd_rows(2 * 2, slots, 2, 32, 48, 2)
    pad = (min(rows, 2) * 2 + 2) * 6  # the padded rows of an image's tile rows (wp = 6)
    slot = 16 * ((32 * rows * 2 + 16) + (48 * rows * 2 + 16)) + 16 + -(-max(pad, 4 * 16) // 16) * 16
    assert kernel.workspace == 4 * (16 * (48 * 32 + 16) + slots * slot)
    monkeypatch.setattr(library, "FORCE_WINOGRAD_WHOLE", None)
    kernel = _lowered("conv", (2, 32, 4, 4), (48, 32, 3, 3), padding=1)  # wide against its 4-tile blocks
    assert ", 2, 4, " in kernel.call(["a", "b"], ["c"], "w")  # m = 2, rows = all 4 tile rows of the batch
    buf = -(-2 * 6 * 6 // 16) * 16  # two images' padded 6 x 6 planes (8 tiles, a vector)
    whole = 16 * (48 * 32 + 16) + 16 * ((32 * 8 + 16) + (48 * 8 + 16)) + 16 + slots * buf
    assert kernel.workspace == 4 * whole
