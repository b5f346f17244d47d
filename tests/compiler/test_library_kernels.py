"""The native convolution and pooling kernels (codegen/library.py, codegen/kernels/conv.c, pool.c)
against the numpy kernels that define the ops' meaning: every case of tests/ops/cases_conv.py the
lowering accepts, plus ResNet/LeNet-like and awkward geometries. All kernels are compiled into one
translation unit (one gcc call) through CKernel.call, as the cpu backend assembles them."""
import ctypes
import os
import shutil
import subprocess

import numpy as np
import pytest

from sporen.codegen import header, library
from sporen.ir.graph import Literal, Node, Var
from sporen.ops.registry import OPS
from sporen.runtime.blas import bind as bind_blas
from tests.ops import cases_conv
from tests.ops.cases_conv import conv_attrs, pool_attrs

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="no C compiler")

_FAMILY = ("conv", "conv_transpose", "conv_weight_grad", "max_pool", "max_pool_indices", "max_pool_grad",
           "max_pool_grad_grad", "avg_pool", "avg_pool_grad")


def _blas():
    """numpy's OpenBLAS and its (ILP64, suffixed) CBLAS sgemm/dgemm addresses."""
    libs = os.path.join(os.path.dirname(np.__file__), "..", "numpy.libs")
    name = next(f for f in sorted(os.listdir(libs)) if "openblas" in f)
    lib = ctypes.CDLL(os.path.join(libs, name))
    return lib, ctypes.cast(lib.scipy_cblas_sgemm64_, ctypes.c_void_p), ctypes.cast(lib.scipy_cblas_dgemm64_,
                                                                                     ctypes.c_void_p)


def _node(op, arrays, attrs):
    """A graph node of ``op`` over ``arrays`` (its output Var typed by the numpy kernel's result)."""
    expected = OPS[op].kernel(*arrays, **attrs)
    ins = [Var(a.shape, a.dtype) for a in arrays]
    out = Var(expected.shape, expected.dtype)
    return Node(OPS[op], ins, attrs, [out]), expected


def _case_list():
    """(id, op, arrays, attrs) for every case: the op suite's, then extra geometries."""
    rng = np.random.default_rng(0)
    cases = []
    for i, case in enumerate(cases_conv.CASES):
        if case.op not in _FAMILY:
            continue
        for dtype in case.dtypes:
            arrays = case.make(rng, dtype)
            cases.append((f"{case.id(i)}-{dtype}", case.op, arrays, case.attrs))

    def normal(*shape):
        return rng.standard_normal(shape).astype(np.float32)

    convs = [
        ("resnet_3x3", (2, 16, 8, 8), (32, 16, 3, 3), conv_attrs(2, padding=1)),
        ("resnet_stride2", (3, 8, 9, 9), (16, 8, 3, 3), conv_attrs(2, stride=2, padding=1)),
        ("resnet_shortcut_1x1_s2", (2, 8, 8, 8), (16, 8, 1, 1), conv_attrs(2, stride=2)),
        ("pointwise", (2, 8, 5, 7), (6, 8, 1, 1), conv_attrs(2)),
        ("pointwise_big_plane", (2, 4, 40, 30), (5, 4, 1, 1), conv_attrs(2)),
        ("pointwise_wide", (2, 8, 5, 7), (20, 8, 1, 1), conv_attrs(2)),
        ("pointwise_big_plane_wide", (2, 4, 40, 30), (24, 4, 1, 1), conv_attrs(2)),
        ("rows_dilated", (2, 3, 12, 25), (4, 3, 2, 3), conv_attrs(2, stride=(2, 1), dilation=(1, 2))),
        ("rows_exactly_16", (1, 2, 6, 20), (5, 2, 3, 5), conv_attrs(2)),
        ("direct_12ch_strided", (2, 3, 11, 23), (12, 3, 3, 2), conv_attrs(2, stride=(2, 3), dilation=(1, 2))),
        ("direct_unused_trailing_pad", (2, 2, 9, 9), (5, 2, 3, 3), conv_attrs(2, stride=2, padding=((0, 1), (0, 1)))),
        ("lenet_conv1", (3, 1, 32, 32), (6, 1, 5, 5), conv_attrs(2)),
        ("lenet_conv2", (3, 6, 14, 14), (16, 6, 5, 5), conv_attrs(2)),
        ("asym_pad", (2, 3, 7, 6), (4, 3, 3, 2), conv_attrs(2, padding=((2, 0), (0, 1)))),
        ("dilation2", (2, 3, 9, 8), (4, 3, 3, 3), conv_attrs(2, padding=2, dilation=2)),
        ("groups2", (2, 4, 7, 7), (6, 2, 3, 3), conv_attrs(2, padding=1, groups=2)),
        ("depthwise", (2, 6, 7, 5), (6, 1, 3, 3), conv_attrs(2, stride=2, padding=1, groups=6)),
        ("depthwise_x2", (1, 3, 6, 6), (6, 1, 3, 3), conv_attrs(2, padding=1, groups=3)),
        ("batch1_odd", (1, 3, 11, 13), (5, 3, 3, 5), conv_attrs(2, stride=(2, 3), padding=((1, 2), (0, 1)))),
        ("many_chunks", (37, 3, 6, 6), (4, 3, 3, 3), conv_attrs(2, padding=1)),
        ("big_plane_strided", (2, 2, 70, 40), (3, 2, 3, 3), conv_attrs(2, stride=(1, 2), dilation=(2, 1))),
        ("kernel_bigger_than_stride_gap", (2, 2, 9, 9), (3, 2, 2, 2), conv_attrs(2, stride=3)),
        ("conv1d", (3, 4, 17), (6, 2, 3), conv_attrs(1, stride=2, padding=((1, 2),), dilation=2, groups=2)),
    ]
    for name, xs, ws, attrs in convs:
        x = normal(*xs)
        w = normal(*ws)
        y = OPS["conv"].kernel(x, w, **attrs)
        dy = normal(*y.shape)
        ks = tuple(ws[2:])
        nsp = len(ks)
        op_pad = tuple(xs[2 + i] + sum(attrs["padding"][i]) - attrs["dilation"][i] * (ks[i] - 1) - 1
                       - (y.shape[2 + i] - 1) * attrs["stride"][i] for i in range(nsp))
        cases.append((f"conv-{name}", "conv", [x, w], attrs))
        cases.append((f"conv_transpose-{name}", "conv_transpose", [dy, w], dict(attrs, output_padding=op_pad)))
        cases.append((f"conv_weight_grad-{name}", "conv_weight_grad", [x, dy], dict(attrs, kernel_size=ks)))

    pools = [
        ("lenet_2x2", (4, 6, 28, 28), pool_attrs(2, 2)),
        ("2x2_odd", (2, 3, 7, 9), pool_attrs(2, 2)),
        ("3x3_s2_pad", (2, 3, 9, 10), pool_attrs(2, 3, stride=2, padding=1)),
        ("ceil_dilated", (2, 2, 11, 9), pool_attrs(2, (3, 2), stride=(2, 3), padding=(1, 1), dilation=(2, 1),
                                                   ceil_mode=True)),
        ("1d", (2, 3, 15), pool_attrs(1, 3, stride=2, padding=1, ceil_mode=True)),
    ]
    for name, xs, attrs in pools:
        for dtype in (np.float32, np.float64):
            x = np.round(rng.standard_normal(xs) * 2).astype(dtype)  # few distinct values: many ties
            idx = OPS["max_pool_indices"].kernel(x, **attrs)
            dy = rng.standard_normal(idx.shape).astype(dtype)
            tag = f"{name}-{np.dtype(dtype).name}"
            cases.append((f"max_pool-{tag}", "max_pool", [x], attrs))
            cases.append((f"max_pool_indices-ties-{tag}", "max_pool_indices", [x], attrs))
            cases.append((f"max_pool_grad-{tag}", "max_pool_grad", [dy, idx], {"input_shape": xs}))
            cases.append((f"max_pool_grad_grad-{tag}", "max_pool_grad_grad", [x, idx], {}))
            for cip, div in ((True, 0), (False, 0), (True, 3)):
                a = dict(attrs, count_include_pad=cip, divisor_override=div)
                cases.append((f"avg_pool-{tag}-{cip}-{div}", "avg_pool", [x], a))
                cases.append((f"avg_pool_grad-{tag}-{cip}-{div}", "avg_pool_grad", [dy], dict(a, input_shape=xs)))
    flat = np.zeros((1, 2, 4, 4), np.float32)  # every window a tie: the first tap wins
    flat[0, 1] = np.nan  # NaN wins, the first NaN
    flat[0, 1, 0, 0] = 1.0
    cases.append(("max_pool_indices-all_ties_nan", "max_pool_indices", [flat], pool_attrs(2, 2)))
    cases.append(("max_pool-all_ties_nan", "max_pool", [flat], pool_attrs(2, 2)))
    return cases


def _build(cases, tmpdir):
    """Lower every case, compile them all in one translation unit, and return
    (library, {id: (node, kernel, expected)}) where the library has ``entry_<k>(void **v)``."""
    lowered = {}
    parts = [header.prelude("int64_t"), library.source("conv"), library.source("winograd"), library.source("pool")]
    for k, (cid, op, arrays, attrs) in enumerate(cases):
        node, expected = _node(op, arrays, attrs)
        kernel = library.lower(node, f"k{k}")
        lowered[cid] = (k, kernel, expected)
        if kernel is None:
            continue
        nin = len(arrays)
        ins = [f"v[{i}]" for i in range(nin)]
        ws = f"v[{nin + 1}]" if kernel.workspace else None
        parts.append(f"void entry_{k}(void **v) {{ {kernel.call(ins, [f'v[{nin}]'], ws)} }}")
    src = os.path.join(tmpdir, "kernels.c")
    so = os.path.join(tmpdir, "kernels.so")
    with open(src, "w") as f:
        f.write("\n".join(parts))
    flags = ["-O3", "-march=native", "-fopenmp", "-fPIC", "-shared", "-std=gnu11", "-fno-math-errno",
             "-fno-trapping-math", "-Wall", "-Werror"]
    subprocess.run(["gcc", *flags, src, "-o", so], check=True, capture_output=True, text=True)
    lib = ctypes.CDLL(so)
    assert bind_blas(lib)
    return lib, lowered


_CASES = _case_list()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return _build(_CASES, str(tmp_path_factory.mktemp("library_kernels")))


def _run(lib, k, kernel, arrays, expected):
    arrays = [np.ascontiguousarray(a) for a in arrays]
    out = np.full(expected.shape, 12345, dtype=expected.dtype)  # garbage: the kernel must write all
    ws = np.full(max(kernel.workspace // 4, 1), np.nan, np.float32)
    ptrs = [a.ctypes.data for a in arrays] + [out.ctypes.data, ws.ctypes.data]
    table = (ctypes.c_void_p * len(ptrs))(*ptrs)
    getattr(lib, f"entry_{k}")(table)
    return out


@pytest.mark.parametrize("cid,op,arrays,attrs", _CASES, ids=[c[0] for c in _CASES])
def test_kernel_matches_numpy(built, cid, op, arrays, attrs):
    lib, lowered = built
    k, kernel, expected = lowered[cid]
    if op.startswith("conv"):
        lowers = arrays[0].dtype == np.float32 and arrays[0].ndim in (3, 4)
    else:
        lowers = arrays[0].dtype in (np.float32, np.float64) and (arrays[0].ndim in (3, 4) or "grad_grad" in op
                                                                 or op == "max_pool_grad")
    if not lowers:
        assert kernel is None  # 3-D, integer or float64 convolution: the numpy kernel runs instead
        return
    assert kernel is not None
    assert kernel.source == ""
    assert kernel.libraries in ((("conv",), ("conv", "winograd")) if op.startswith("conv") else (("pool",),))
    got = _run(lib, k, kernel, arrays, expected)
    assert got.dtype == expected.dtype
    if op in ("max_pool", "max_pool_indices", "max_pool_grad_grad"):
        np.testing.assert_array_equal(got, expected)  # a selection: exact, ties and NaN included
    elif op.startswith("avg_pool") or op == "max_pool_grad":
        np.testing.assert_allclose(got, expected, rtol=1e-6 if got.dtype == np.float32 else 1e-13, atol=1e-7)
    else:
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max(initial=1.0))


def test_empty_batch_weight_grad_is_zero(built, tmp_path):
    x = np.zeros((0, 2, 5, 5), np.float32)
    dy = np.zeros((0, 3, 3, 3), np.float32)
    attrs = dict(conv_attrs(2), kernel_size=(3, 3))
    lib, lowered = _build([("e", "conv_weight_grad", [x, dy], attrs)], str(tmp_path))
    k, kernel, expected = lowered["e"]
    got = _run(lib, k, kernel, [x, dy], expected)
    np.testing.assert_array_equal(got, np.zeros((3, 2, 3, 3), np.float32))


def test_workspace_and_chunks():
    """Small planes share a GEMM in chunks bounded by the chunk size and by a chunk for each thread
    of the team; large planes go one image at a time, a pointwise convolution of one image at a
    time needs no scratch, and few output channels with no padding take the direct kernel
    (scratch: the weights padded to 8 or 16). A GEMM convolution's workspace is one slot of
    scratch per thread of the team, plus for the weight gradient one weight-sized accumulator per
    thread after the first."""
    assert library.conv_chunk(32, 16) == 32
    assert library.conv_chunk(32, 16, 2) == 16
    assert library.conv_chunk(32, 64, 2) == 16
    assert library.conv_chunk(256, 100) == 21
    assert library.conv_chunk(256, 100, 4) == 21
    assert library.conv_chunk(32, 1024, 2) == 1
    assert library.conv_chunk(3, 16, 2) == 2
    team = library._TEAM
    node, _ = _node("conv", [np.zeros((2, 4, 32, 32), np.float32), np.zeros((24, 4, 1, 1), np.float32)],
                    conv_attrs(2))
    assert library.lower(node, "k").workspace == 0
    node, _ = _node("conv", [np.zeros((2, 6, 14, 14), np.float32), np.zeros((16, 6, 5, 5), np.float32)],
                    conv_attrs(2))
    kernel = library.lower(node, "k")
    assert kernel.workspace == 4 * 150 * 16
    assert ", 0, 1);" in kernel.call(["x", "w"], ["y"], "ws")  # nb = 0: the direct kernel
    node, _ = _node("conv", [np.zeros((2, 1, 32, 32), np.float32), np.zeros((6, 1, 5, 5), np.float32)],
                    conv_attrs(2))
    kernel = library.lower(node, "k")
    assert kernel.workspace == 4 * 25 * 6
    assert ", -1, 1);" in kernel.call(["x", "w"], ["y"], "ws")  # nb = -1: vectorised across the row
    node, _ = _node("conv", [np.zeros((2, 1, 32, 12), np.float32), np.zeros((6, 1, 5, 5), np.float32)],
                    conv_attrs(2))
    assert library.lower(node, "k").workspace == 4 * 25 * 8  # rows under 16 pixels: nb = 0
    slots = min(team, 2)
    x = np.zeros((2, 4, 32, 32), np.float32)
    node, _ = _node("conv", [x, np.zeros((8, 4, 3, 3), np.float32)], conv_attrs(2, padding=1))
    assert library.lower(node, "k").workspace == 4 * slots * 36 * 1024
    assert f", 1, {slots});" in library.lower(node, "k").call(["x", "w"], ["y"], "ws")
    node, _ = _node("conv_weight_grad", [x, np.zeros((2, 8, 32, 32), np.float32)],
                    dict(conv_attrs(2, padding=1), kernel_size=(3, 3)))
    assert library.lower(node, "k").workspace == 4 * (slots * 36 * 1024 + (slots - 1) * 8 * 36)
    nb = library.conv_chunk(4, 64, team)
    slots = min(team, -(-4 // nb))
    node, _ = _node("conv", [np.zeros((4, 4, 8, 8), np.float32), np.zeros((8, 4, 3, 3), np.float32)],
                    conv_attrs(2, padding=1))
    assert library.lower(node, "k").workspace == 4 * slots * (36 * nb * 64 + 8 * nb * 64)


def _team_cases():
    """GEMM convolutions of several chunks (one image each, or several small images each), all
    three directions."""
    rng = np.random.default_rng(3)
    cases = []
    geometries = [
        ("big_planes", (5, 3, 32, 33), (4, 3, 3, 3), conv_attrs(2, padding=1)),
        ("small_planes", (7, 6, 8, 8), (10, 6, 3, 3), conv_attrs(2, padding=1)),
        ("pointwise", (3, 5, 32, 32), (7, 5, 1, 1), conv_attrs(2)),
        ("shortcut_s2", (9, 6, 8, 8), (12, 6, 1, 1), conv_attrs(2, stride=2)),
        ("groups", (6, 4, 6, 6), (6, 2, 3, 3), conv_attrs(2, padding=1, groups=2)),
    ]
    for name, xs, ws, attrs in geometries:
        x = rng.standard_normal(xs).astype(np.float32)
        w = rng.standard_normal(ws).astype(np.float32)
        y = OPS["conv"].kernel(x, w, **attrs)
        dy = rng.standard_normal(y.shape).astype(np.float32)
        ks = tuple(ws[2:])
        op_pad = tuple(xs[2 + i] + sum(attrs["padding"][i]) - attrs["dilation"][i] * (ks[i] - 1) - 1
                       - (y.shape[2 + i] - 1) * attrs["stride"][i] for i in range(2))
        cases.append((f"conv-{name}", "conv", [x, w], attrs))
        cases.append((f"conv_transpose-{name}", "conv_transpose", [dy, w], dict(attrs, output_padding=op_pad)))
        cases.append((f"conv_weight_grad-{name}", "conv_weight_grad", [x, dy], dict(attrs, kernel_size=ks)))
    return cases


@pytest.mark.parametrize("blas_threads", [1, 2, 3])
def test_team_matches_numpy_and_restores_blas_threads(tmp_path, blas_threads):
    """With BLAS on one thread the chunks run one after another (a team of one); with more, conv.c
    runs them side by side, BLAS set to one thread meanwhile and given back its count after.
    Either way every output element is written and equals the numpy kernel's."""
    blas, _, _ = _blas()
    blas.scipy_openblas_get_num_threads64_.restype = ctypes.c_int
    saved = blas.scipy_openblas_get_num_threads64_()
    cases = _team_cases()
    lib, lowered = _build(cases, str(tmp_path))
    try:
        blas.scipy_openblas_set_num_threads64_(blas_threads)
        for cid, _, arrays, _ in cases:
            k, kernel, expected = lowered[cid]
            got = _run(lib, k, kernel, arrays, expected)
            assert blas.scipy_openblas_get_num_threads64_() == blas_threads, cid
            np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max(initial=1.0),
                                       err_msg=cid)
    finally:
        blas.scipy_openblas_set_num_threads64_(saved)


def test_other_ops_and_literals_are_not_lowered():
    x = Var((2, 3), np.float32)
    node = Node(OPS["add"], [x, Literal(np.float32(1))], {}, [Var((2, 3), np.float32)])
    assert library.lower(node, "k") is None
