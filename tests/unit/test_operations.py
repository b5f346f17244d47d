"""MindSpore's Primitive API (``ops.Primitive``, ``prim_attr_register``, ``constexpr``) and the operator
classes of ``ops.operations`` (``P.MatMul(transpose_b=True)(x, w)``) against numpy references."""
import os

import numpy as np
import pytest

import sporen as ms
from sporen import Tensor
from sporen.ops import operations as P
from sporen.ops.primitive import (Primitive, PrimitiveWithCheck, PrimitiveWithInfer, constexpr,
                                  prim_attr_register)


def _a(t):
    return t.asnumpy() if isinstance(t, Tensor) else np.asarray(t)


# --- Primitive --------------------------------------------------------------------------------
def test_primitive_attrs_and_names():
    p = Primitive("MyOp")
    assert p.name == "MyOp"
    assert p.attrs == {}
    assert p.add_prim_attr("alpha", 0.5) is p
    assert p.attrs["alpha"] == 0.5
    assert p.alpha == 0.5  # attrs read as attributes, as in MindSpore
    p.init_prim_io_names(inputs=["x", "y"], outputs=["output"])
    assert p.attrs["input_names"] == ["x", "y"] and p.attrs["output_names"] == ["output"]
    p.set_device("CPU")
    assert p.attrs["primitive_target"] == "CPU"
    p.del_prim_attr("alpha")
    assert "alpha" not in p.get_attr_dict()
    with pytest.raises(AttributeError, match="MyOp"):
        _ = p.beta
    with pytest.raises(ValueError, match="device_target"):
        p.set_device("TPU")
    with pytest.raises(TypeError, match="inputs"):
        p.init_prim_io_names("x", ["y"])
    with pytest.raises(NotImplementedError, match="MyOp"):
        p(Tensor([1.0]))
    assert repr(p) == "Prim[MyOp]"


def test_primitive_checklist_methods():
    names = []
    for fname in ("mindspore.ops.Primitive.methods.txt", "mindspore.ops.Primitive.properties.txt"):
        path = os.path.join("/work/shared/api", fname)
        if os.path.exists(path):
            with open(path) as f:
                names.extend(line.strip() for line in f if line.strip() and not line.startswith("#"))
    assert [n for n in names if not hasattr(Primitive, n)] == []
    p = Primitive("Op")
    p.set_stage(2).shard(((1, 2),), ((2,),)).recompute().place("MS_WORKER", 0)
    p.set_const_prim(True).set_prim_instance_name("op1").set_inplace_prim()
    assert p.attrs["stage"] == 2 and p.attrs["in_strategy"] == ((1, 2),) and p.attrs["recompute"] is True
    assert p.attrs["ms_role"] == "MS_WORKER" and p.const_prim is True and p.instance_name == "op1"
    p.set_user_data("k", 3)
    assert p.get_user_data("k") == 3
    assert p.check_elim(Tensor([1.0])) == (False, None)
    assert p.update_parameter is False
    p.add_attr("x", 1)
    p.del_attr("x")
    assert "x" not in p.attrs
    with pytest.raises(TypeError, match="mode"):
        p.recompute(mode=1)


def test_prim_attr_register_records_constructor_arguments():
    class Scale(Primitive):
        @prim_attr_register
        def __init__(self, factor=2.0, bias=0):
            self.init_prim_io_names(inputs=["x"], outputs=["y"])

        def __call__(self, x):
            return x * self.factor + self.bias

    s = Scale(3.0)
    assert s.name == "Scale"
    assert s.attrs["factor"] == 3.0 and s.attrs["bias"] == 0
    assert s.init_attrs == {"factor": 3.0, "bias": 0}
    assert repr(s) == "Prim[Scale]<factor=3.0, bias=0>"
    np.testing.assert_allclose(_a(s(Tensor([1.0, 2.0]))), [3.0, 6.0])


def test_primitive_with_infer_and_check():
    class Double(PrimitiveWithInfer):
        @prim_attr_register
        def __init__(self):
            pass

        def infer_shape(self, x_shape):
            return x_shape

        def infer_dtype(self, x_dtype):
            return x_dtype

        def __call__(self, x):
            return x + x

    d = Double()
    assert isinstance(d, Primitive) and d.name == "Double"
    out = d.__infer__({"shape": (2,), "dtype": ms.float32, "value": None})
    assert out["shape"] == (2,) and out["dtype"] is ms.float32 and out["value"] is None
    np.testing.assert_allclose(_a(d(Tensor([1.0, 2.0]))), [2.0, 4.0])

    class Checked(PrimitiveWithCheck):
        @prim_attr_register
        def __init__(self):
            pass

        def check_shape(self, shape):
            if len(shape) != 1:
                raise ValueError("Checked: 1-d only")

    with pytest.raises(ValueError, match="1-d"):
        Checked().__check__(Tensor(np.zeros((2, 2))))


def test_a_primitive_named_like_an_operator_runs_it():
    p = Primitive("ReduceSum")
    p.add_prim_attr("keep_dims", True)
    np.testing.assert_allclose(_a(p(Tensor(A), 1)), A.sum(1, keepdims=True), rtol=1e-6)

    class MatMul(PrimitiveWithInfer):
        """A user's own declaration of MindSpore's MatMul, as older model code has."""

        @prim_attr_register
        def __init__(self, transpose_a=False, transpose_b=False):
            self.init_prim_io_names(inputs=["x1", "x2"], outputs=["output"])

    np.testing.assert_allclose(_a(MatMul(transpose_b=True)(Tensor(A), Tensor(W))), A @ W.T, rtol=1e-5)


def test_constexpr_runs_on_python_values():
    @constexpr
    def double(n):
        return n * 2

    @constexpr(check=False)
    def shape_tail(shape):
        return shape[1:]

    assert double(3) == 6
    assert shape_tail((1, 2, 3)) == (2, 3)


# --- operator classes ---------------------------------------------------------------------------
RNG = np.random.default_rng(0)
A = RNG.standard_normal((2, 3)).astype(np.float32)
B = RNG.standard_normal((2, 3)).astype(np.float32)
W = RNG.standard_normal((4, 3)).astype(np.float32)
POS = np.abs(A) + 0.5
IMG = RNG.standard_normal((1, 2, 5, 5)).astype(np.float32)
KER = RNG.standard_normal((3, 2, 3, 3)).astype(np.float32)


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


def _conv2d_ref(x, w, stride=1, pad=(0, 0, 0, 0)):
    x = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[1]), (pad[2], pad[3])))
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    oh = (h - kh) // stride + 1
    ow = (wd - kw) // stride + 1
    out = np.zeros((n, o, oh, ow), np.float64)
    for i in range(oh):
        for j in range(ow):
            patch = x[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
            out[:, :, i, j] = np.einsum("nchw,ochw->no", patch, w)
    return out.astype(np.float32)


def _max_pool_ref(x, k, s):
    n, c, h, w = x.shape
    oh = (h - k) // s + 1
    ow = (w - k) // s + 1
    out = np.zeros((n, c, oh, ow), x.dtype)
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = x[:, :, i * s:i * s + k, j * s:j * s + k].max((2, 3))
    return out


SPD = (W.T @ W + np.eye(3, dtype=np.float32)).astype(np.float32)
NANS = np.array([1.0, np.nan, np.nan, 5.0], np.float32)
VOL = RNG.standard_normal((1, 2, 4, 4, 4)).astype(np.float32)
IMG4 = RNG.standard_normal((1, 4, 2, 2)).astype(np.float32)


def _masked_scatter_ref(x, mask, source):
    out = x.copy()
    out[mask] = source[:mask.sum()]
    return out


def _fill_diag_ref(x, v):
    out = x.copy()
    np.fill_diagonal(out, v)
    return out


def _lrn_ref(x, r, bias, alpha, beta):
    out = np.zeros_like(x)
    c = x.shape[1]
    for k in range(c):
        lo = max(k - r, 0)
        hi = min(k + r, c - 1)
        s = (x[:, lo:hi + 1] ** 2).sum(1)
        out[:, k] = x[:, k] / (bias + alpha * s) ** beta
    return out


def _cum_arg(x, better):
    """Index of the running extreme along axis 1 (ties take the later index, as MindSpore does)."""
    out = np.zeros(x.shape, np.int64)
    for i in range(x.shape[0]):
        best = 0
        for j in range(x.shape[1]):
            if better(x[i, j], x[i, best]):
                best = j
            out[i, j] = best
    return out


def _max_pool_argmax_ref(x):
    """Flat index (h * W + w) of each 2x2/2 window's maximum."""
    n, c, h, w = x.shape
    out = np.zeros((n, c, h // 2, w // 2), np.int32)
    for i in range(h // 2):
        for j in range(w // 2):
            win = x[:, :, 2 * i:2 * i + 2, 2 * j:2 * j + 2].reshape(n, c, 4)
            k = win.argmax(-1)
            out[:, :, i, j] = (2 * i + k // 2) * w + 2 * j + k % 2
    return out


def _depth_to_space_ref(x, bs):
    """TensorFlow's DepthToSpace (DCR): output[n, c, h*bs + i, w*bs + j] = x[n, (i*bs + j)*C' + c, h, w]."""
    n, c, h, w = x.shape
    co = c // (bs * bs)
    out = np.zeros((n, co, h * bs, w * bs), x.dtype)
    for i in range(bs):
        for j in range(bs):
            for k in range(co):
                out[:, k, i::bs, j::bs] = x[:, (i * bs + j) * co + k]
    return out


def _avg_pool_same_ref(x):
    """3x3 stride-2 'same' average pooling: windows clipped at the border, divided by their real size."""
    n, c, h, w = x.shape
    oh = -(-h // 2)
    ow = -(-w // 2)
    pad_h = max((oh - 1) * 2 + 3 - h, 0)
    pad_w = max((ow - 1) * 2 + 3 - w, 0)
    top = pad_h // 2
    left = pad_w // 2
    out = np.zeros((n, c, oh, ow), np.float32)
    for i in range(oh):
        for j in range(ow):
            r0 = max(i * 2 - top, 0)
            r1 = min(i * 2 - top + 3, h)
            c0 = max(j * 2 - left, 0)
            c1 = min(j * 2 - left + 3, w)
            out[:, :, i, j] = x[:, :, r0:r1, c0:c1].mean((2, 3))
    return out


# (class, ctor args, ctor kwargs, call inputs, reference)
CASES = [
    ("Add", (), {}, (A, B), lambda: A + B),
    ("Sub", (), {}, (A, B), lambda: A - B),
    ("Mul", (), {}, (A, 2.0), lambda: A * 2),
    ("RealDiv", (), {}, (A, POS), lambda: A / POS),
    ("Div", (), {}, (A, POS), lambda: A / POS),
    ("Neg", (), {}, (A,), lambda: -A),
    ("Exp", (), {}, (A,), lambda: np.exp(A)),
    ("Log", (), {}, (POS,), lambda: np.log(POS)),
    ("Sqrt", (), {}, (POS,), lambda: np.sqrt(POS)),
    ("Rsqrt", (), {}, (POS,), lambda: 1 / np.sqrt(POS)),
    ("Square", (), {}, (A,), lambda: A * A),
    ("Abs", (), {}, (A,), lambda: np.abs(A)),
    ("Pow", (), {}, (POS, 2.0), lambda: POS ** 2),
    ("Maximum", (), {}, (A, B), lambda: np.maximum(A, B)),
    ("Minimum", (), {}, (A, B), lambda: np.minimum(A, B)),
    ("Equal", (), {}, (A, A), lambda: np.ones_like(A, bool)),
    ("Less", (), {}, (A, B), lambda: A < B),
    ("Greater", (), {}, (A, B), lambda: A > B),
    ("GreaterEqual", (), {}, (A, B), lambda: A >= B),
    ("LogicalNot", (), {}, (A > 0,), lambda: ~(A > 0)),
    ("FloorDiv", (), {}, (A * 5, POS), lambda: np.floor_divide(A * 5, POS)),
    ("FloorMod", (), {}, (A * 5, POS), lambda: np.mod(A * 5, POS)),
    ("SquaredDifference", (), {}, (A, B), lambda: (A - B) ** 2),
    ("Cast", (), {}, (A, ms.int32), lambda: A.astype(np.int32)),
    ("Reshape", (), {}, (A, (3, 2)), lambda: A.reshape(3, 2)),
    ("Transpose", (), {}, (A, (1, 0)), lambda: A.T),
    ("ExpandDims", (), {}, (A, 0), lambda: A[None]),
    ("Squeeze", (), {}, (A[None],), lambda: A),
    ("Squeeze", (0,), {}, (A[None],), lambda: A),
    ("Flatten", (), {}, (IMG,), lambda: IMG.reshape(1, -1)),
    ("Concat", (), {"axis": 1}, ((A, B),), lambda: np.concatenate([A, B], 1)),
    ("Concat", (), {}, ((A, B),), lambda: np.concatenate([A, B], 0)),
    ("Stack", (), {"axis": 1}, ((A, B),), lambda: np.stack([A, B], 1)),
    ("Split", (), {"axis": 1, "output_num": 3}, (A,), lambda: tuple(np.split(A, 3, 1))),
    ("Tile", (), {}, (A, (2, 1)), lambda: np.tile(A, (2, 1))),
    ("Gather", (), {}, (A, np.array([1, 0, 1]), 0), lambda: A[[1, 0, 1]]),
    ("GatherD", (), {}, (A, 1, np.array([[0, 2], [1, 1]])),
     lambda: np.take_along_axis(A, np.array([[0, 2], [1, 1]]), 1)),
    ("GatherNd", (), {}, (A, np.array([[0, 1], [1, 2]])), lambda: A[[0, 1], [1, 2]]),
    ("ScatterNd", (), {}, (np.array([[0], [2]]), np.array([1.0, 2.0], np.float32), (4,)),
     lambda: np.array([1.0, 0, 2.0, 0], np.float32)),
    ("OneHot", (), {}, (np.array([0, 2]), 3, Tensor(1.0), Tensor(0.0)),
     lambda: np.eye(3, dtype=np.float32)[[0, 2]]),
    ("MatMul", (), {}, (A, W.T), lambda: A @ W.T),
    ("MatMul", (), {"transpose_b": True}, (A, W), lambda: A @ W.T),
    ("MatMul", (True, False), {}, (A, B), lambda: A.T @ B),
    ("BatchMatMul", (), {"transpose_b": True}, (np.stack([A, B]), np.stack([W, W])),
     lambda: np.stack([A @ W.T, B @ W.T])),
    ("ReduceSum", (), {}, (A, 1), lambda: A.sum(1)),
    ("ReduceSum", (), {"keep_dims": True}, (A, 1), lambda: A.sum(1, keepdims=True)),
    ("ReduceSum", (), {}, (A,), lambda: A.sum()),
    ("ReduceSum", (), {}, (A, ()), lambda: A.sum()),
    ("ReduceMean", (True,), {}, (A, (0, 1)), lambda: A.mean((0, 1), keepdims=True)),
    ("ReduceMax", (), {}, (A, 0), lambda: A.max(0)),
    ("ReduceMin", (), {}, (A, -1), lambda: A.min(-1)),
    ("ReduceProd", (), {}, (A, 1), lambda: A.prod(1)),
    ("ReduceAll", (), {}, (A > -10, 1), lambda: (A > -10).all(1)),
    ("ReduceAny", (), {}, (A > 1, 1), lambda: (A > 1).any(1)),
    ("Argmax", (), {}, (A,), lambda: A.argmax(-1).astype(np.int32)),
    ("Argmax", (), {"axis": 0, "output_type": ms.int64}, (A,), lambda: A.argmax(0)),
    ("Argmin", (), {}, (A,), lambda: A.argmin(-1).astype(np.int32)),
    ("ArgMaxWithValue", (), {}, (A,), lambda: (A.argmax(0), A.max(0))),
    ("ArgMinWithValue", (), {"axis": 1, "keep_dims": True}, (A,),
     lambda: (A.argmin(1)[:, None], A.min(1, keepdims=True))),
    ("CumSum", (), {}, (A, 1), lambda: A.cumsum(1)),
    ("CumSum", (), {"exclusive": True}, (A, 1),
     lambda: np.concatenate([np.zeros((2, 1), np.float32), A.cumsum(1)[:, :-1]], 1)),
    ("CumSum", (), {"reverse": True}, (A, 1), lambda: A[:, ::-1].cumsum(1)[:, ::-1]),
    ("Softmax", (), {}, (A,), lambda: _softmax(A)),
    ("Softmax", (0,), {}, (A,), lambda: _softmax(A, 0)),
    ("LogSoftmax", (), {}, (A,), lambda: np.log(_softmax(A))),
    ("ReLU", (), {}, (A,), lambda: np.maximum(A, 0)),
    ("ReLU6", (), {}, (A * 10,), lambda: np.clip(A * 10, 0, 6)),
    ("Sigmoid", (), {}, (A,), lambda: 1 / (1 + np.exp(-A))),
    ("Tanh", (), {}, (A,), lambda: np.tanh(A)),
    ("GeLU", (), {}, (A,),
     lambda: (0.5 * A * (1 + np.tanh(np.sqrt(2 / np.pi) * (A + 0.044715 * A ** 3)))).astype(np.float32)),
    ("Elu", (), {}, (A,), lambda: np.where(A > 0, A, np.exp(A) - 1)),
    ("Softplus", (), {}, (A,), lambda: np.log1p(np.exp(A))),
    ("BiasAdd", (), {}, (IMG, np.array([1.0, -1.0], np.float32)),
     lambda: IMG + np.array([1.0, -1.0], np.float32)[None, :, None, None]),
    ("BiasAdd", (), {}, (A, np.array([1.0, 2.0, 3.0], np.float32)), lambda: A + np.float32([1.0, 2.0, 3.0])),
    ("Conv2D", (3, 3), {}, (IMG, KER), lambda: _conv2d_ref(IMG, KER)),
    ("Conv2D", (3, 3), {"pad_mode": "pad", "pad": 1, "stride": 2}, (IMG, KER),
     lambda: _conv2d_ref(IMG, KER, 2, (1, 1, 1, 1))),
    ("Conv2D", (3, 3), {"pad_mode": "same"}, (IMG, KER), lambda: _conv2d_ref(IMG, KER, 1, (1, 1, 1, 1))),
    ("MaxPool", (), {"kernel_size": 2, "strides": 2}, (IMG,), lambda: _max_pool_ref(IMG, 2, 2)),
    ("MaxPool", (), {"kernel_size": 3, "strides": 1, "pad_mode": "SAME"}, (IMG,),
     lambda: _max_pool_ref(np.pad(IMG, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=-np.inf), 3, 1)),
    ("AvgPool", (), {"kernel_size": 2, "strides": 2}, (IMG,),
     lambda: IMG[:, :, :4, :4].reshape(1, 2, 2, 2, 2, 2).mean((3, 5))),
    ("AvgPool", (), {"kernel_size": 3, "strides": 2, "pad_mode": "same"}, (IMG,), lambda: _avg_pool_same_ref(IMG)),
    ("Unstack", (), {"axis": 1}, (A,), lambda: tuple(A[:, i] for i in range(3))),
    ("ReverseV2", ((1,),), {}, (A,), lambda: A[:, ::-1]),
    ("CumProd", (), {}, (A, 0), lambda: A.cumprod(0)),
    ("Meshgrid", (), {"indexing": "ij"}, ((A[0], B[1]),), lambda: tuple(np.meshgrid(A[0], B[1], indexing="ij"))),
    ("Tril", (), {}, (A,), lambda: np.tril(A)),
    ("IsNan", (), {}, (np.array([1.0, np.nan], np.float32),), lambda: np.array([False, True])),
    ("AddN", (), {}, ((A, B),), lambda: A + B),
    ("DivNoNan", (), {}, (A, np.array([1.0, 0.0, 2.0], np.float32)),
     lambda: np.stack([A[:, 0], np.zeros(2, np.float32), A[:, 2] / 2], 1)),
    ("Xdivy", (), {}, (np.array([0.0, 2.0], np.float32), np.array([0.0, 4.0], np.float32)),
     lambda: np.array([0.0, 0.5], np.float32)),
    ("MulNoNan", (), {}, (np.array([np.inf, 2.0], np.float32), np.array([0.0, 4.0], np.float32)),
     lambda: np.array([0.0, 8.0], np.float32)),
    ("TruncateDiv", (), {}, (np.array([-7, 7], np.int32), np.array([2, 2], np.int32)),
     lambda: np.array([-3, 3], np.int32)),
    ("TruncateMod", (), {}, (np.array([-7.0, 7.0], np.float32), np.array([2.0, 2.0], np.float32)),
     lambda: np.array([-1.0, 1.0], np.float32)),
    ("ClipByValue", (), {}, (A, Tensor(-0.5), Tensor(0.5)), lambda: np.clip(A, -0.5, 0.5)),
    ("SquareSumAll", (), {}, (A, B), lambda: (np.float32((A * A).sum()), np.float32((B * B).sum()))),
    ("CountNonZero", (), {}, (np.array([[0, 1], [2, 0]], np.int32),), lambda: np.array(2, np.int64)),
    ("Cummax", (), {"axis": 1}, (A,), lambda: (np.maximum.accumulate(A, 1), _cum_arg(A, np.greater_equal))),
    ("NanToNum", (), {"nan": 1.0}, (np.array([np.nan, 2.0], np.float32),), lambda: np.array([1.0, 2.0], np.float32)),
    ("Bucketize", (), {"boundaries": [0.0, 1.0]}, (A,),
     lambda: np.digitize(A, [0.0, 1.0], right=False).astype(np.int32)),
    ("Ger", (), {}, (A[0], B[1]), lambda: np.outer(A[0], B[1])),
    ("DepthToSpace", (), {"block_size": 2}, (np.arange(16, dtype=np.float32).reshape(1, 4, 2, 2),),
     lambda: _depth_to_space_ref(np.arange(16, dtype=np.float32).reshape(1, 4, 2, 2), 2)),
    ("SpaceToDepth", (), {"block_size": 2},
     (_depth_to_space_ref(np.arange(16, dtype=np.float32).reshape(1, 4, 2, 2), 2),),
     lambda: np.arange(16, dtype=np.float32).reshape(1, 4, 2, 2)),
    ("InplaceAdd", (), {"indices": (0, 1)}, (A, B), lambda: A + B),
    ("InplaceUpdate", (), {"indices": 1}, (A, B[0]), lambda: np.stack([A[0], B[0]])),
    ("MirrorPad", (), {}, (A, Tensor(np.array([[0, 0], [1, 1]]))), lambda: np.pad(A, ((0, 0), (1, 1)), mode="reflect")),
    ("Expand", (), {}, (A[:1], (3, 3)), lambda: np.broadcast_to(A[:1], (3, 3))),
    ("NonZero", (), {}, (np.array([[0, 1], [2, 0]], np.int32),), lambda: np.array([[0, 1], [1, 0]], np.int64)),
    ("LinSpace", (), {}, (Tensor(0.0), Tensor(1.0), 5), lambda: np.linspace(0, 1, 5, dtype=np.float32)),
    ("ResizeNearestNeighbor", (), {"size": (4, 6)}, (IMG[:, :, :2, :3],),
     lambda: IMG[:, :, :2, :3][:, :, [0, 0, 1, 1]][:, :, :, [0, 0, 1, 1, 2, 2]]),
    ("UnsortedSegmentSum", (), {},
     (np.arange(8, dtype=np.float32).reshape(4, 2), np.array([0, 2, 0, -1], np.int32), 3),
     lambda: np.array([[4.0, 6.0], [0.0, 0.0], [2.0, 3.0]], np.float32)),
    ("EmbeddingLookup", (), {}, (W, np.array([[3, 4], [5, 3]], np.int32), 2), lambda: W[np.array([[1, 2], [3, 1]])]),
    ("Padding", (), {"pad_dim_size": 3}, (A[:, :1],),
     lambda: np.concatenate([A[:, :1], np.zeros((2, 2), np.float32)], 1)),
    ("FloatStatus", (), {}, (np.array([1.0, np.inf], np.float32),), lambda: np.array([1.0], np.float32)),
    ("FloatStatus", (), {}, (A,), lambda: np.array([0.0], np.float32)),
    ("IdentityN", (), {}, ((A, B),), lambda: (A, B)),
    ("MaxPoolWithArgmax", (), {"kernel_size": 2, "strides": 2}, (IMG,),
     lambda: (_max_pool_ref(IMG, 2, 2), _max_pool_argmax_ref(IMG))),
    ("Cholesky", (), {}, (SPD,), lambda: np.linalg.cholesky(SPD)),
    ("MatrixPower", (), {"n": 3}, (SPD,), lambda: np.linalg.matrix_power(SPD, 3)),
    ("MatrixBandPart", (), {}, (W, 1, 0), lambda: np.tril(W) - np.tril(W, -2)),
    ("MatrixBandPart", (), {}, (W, -1, 1), lambda: np.triu(np.tril(W, 1), -10)),
    ("Fmax", (), {}, (NANS, NANS[::-1].copy()), lambda: np.fmax(NANS, NANS[::-1])),
    ("Fmin", (), {}, (NANS, NANS[::-1].copy()), lambda: np.fmin(NANS, NANS[::-1])),
    ("Logit", (), {"eps": 0.1}, (np.array([0.05, 0.5, 0.7], np.float32),),
     lambda: np.log(np.float32([0.1, 0.5, 0.7]) / (1 - np.float32([0.1, 0.5, 0.7])))),
    ("CumulativeLogsumexp", (), {"reverse": True}, (A, 1),
     lambda: np.log(np.exp(A)[:, ::-1].cumsum(1)[:, ::-1]).astype(np.float32)),
    ("IndexFill", (), {}, (A, 1, np.array([0, 2], np.int32), Tensor(np.float32(9))),
     lambda: np.where(np.arange(3) % 2 == 0, np.float32(9), A)),
    ("MaskedScatter", (), {}, (A, A > 0, np.arange(6, dtype=np.float32)),
     lambda: _masked_scatter_ref(A, A > 0, np.arange(6, dtype=np.float32))),
    ("FillDiagonal", (), {"fill_value": 7.0}, (A,), lambda: _fill_diag_ref(A, 7.0)),
    ("InvertPermutation", (), {}, ((3, 0, 2, 1),), lambda: (1, 3, 2, 0)),
    ("MaxPool3D", (), {"kernel_size": 2, "strides": 2}, (VOL,),
     lambda: VOL.reshape(1, 2, 2, 2, 2, 2, 2, 2).max((3, 5, 7))),
    ("AvgPool3D", (), {"kernel_size": 2, "strides": 2}, (VOL,),
     lambda: VOL.reshape(1, 2, 2, 2, 2, 2, 2, 2).mean((3, 5, 7))),
    ("LRN", (), {"depth_radius": 1, "bias": 2.0, "alpha": 0.5, "beta": 0.75}, (IMG4,),
     lambda: _lrn_ref(IMG4, 1, 2.0, 0.5, 0.75)),
    ("L2Normalize", (), {"axis": 1}, (A,), lambda: A / np.sqrt(np.maximum((A * A).sum(1, keepdims=True), 1e-4))),
    ("L2Loss", (), {}, (A,), lambda: np.float32((A * A).sum() / 2)),
    ("Zeros", (), {}, ((2, 3), ms.float32), lambda: np.zeros((2, 3), np.float32)),
    ("Ones", (), {}, ((2,), ms.int32), lambda: np.ones(2, np.int32)),
    ("Fill", (), {}, (ms.float32, (2, 2), 3.0), lambda: np.full((2, 2), 3.0, np.float32)),
    ("Eye", (), {}, (2, 3, ms.int32), lambda: np.eye(2, 3, dtype=np.int32)),
    ("ZerosLike", (), {}, (A,), lambda: np.zeros_like(A)),
    ("OnesLike", (), {}, (A,), lambda: np.ones_like(A)),
    ("Select", (), {}, (A > 0, A, B), lambda: np.where(A > 0, A, B)),
    ("Slice", (), {}, (A, (0, 1), (2, 2)), lambda: A[0:2, 1:3]),
    ("StridedSlice", (), {}, (A, (0, 0), (2, 3), (1, 2)), lambda: A[0:2, 0:3:2]),
    ("StridedSlice", (), {"shrink_axis_mask": 1}, (A, (1, 0), (2, 3), (1, 1)), lambda: A[1]),
    ("TopK", (), {}, (A, 2), lambda: (-np.sort(-A, 1)[:, :2], np.argsort(-A, 1)[:, :2].astype(np.int32))),
    ("Sort", (), {}, (A,), lambda: (np.sort(A, -1), np.argsort(A, -1).astype(np.int32))),
    ("Sort", (), {"axis": 0, "descending": True}, (A,), lambda: (-np.sort(-A, 0), np.argsort(-A, 0).astype(np.int32))),
    ("BroadcastTo", ((3, 2, 3),), {}, (A,), lambda: np.broadcast_to(A, (3, 2, 3))),
    ("Pad", (((1, 0), (0, 2)),), {}, (A,), lambda: np.pad(A, ((1, 0), (0, 2)))),
    ("AddN", (), {}, ((A, B, A),), lambda: A + B + A),
    ("SoftmaxCrossEntropyWithLogits", (), {}, (A, _softmax(B)),
     lambda: (-(_softmax(B) * np.log(_softmax(A))).sum(-1), _softmax(A) - _softmax(B))),
    ("SparseSoftmaxCrossEntropyWithLogits", (), {}, (A, np.array([0, 2], np.int32)),
     lambda: np.float32(-np.log(_softmax(A))[[0, 1], [0, 2]].mean())),
    ("SigmoidCrossEntropyWithLogits", (), {}, (A, (B > 0).astype(np.float32)),
     lambda: np.maximum(A, 0) - A * (B > 0) + np.log1p(np.exp(-np.abs(A)))),
]


def _to_input(v):
    if isinstance(v, np.ndarray):
        return Tensor(v)
    if isinstance(v, tuple) and v and isinstance(v[0], np.ndarray):
        return tuple(Tensor(a) for a in v)
    return v


def _check(out, expected, name):
    if isinstance(expected, tuple):
        assert isinstance(out, tuple) and len(out) == len(expected), f"{name}: expected {len(expected)} outputs"
        for o, e in zip(out, expected):
            _check(o, e, name)
        return
    got = _a(out)
    expected = np.asarray(expected)
    assert got.shape == expected.shape, f"{name}: shape {got.shape} != {expected.shape}"
    if expected.dtype.kind in "biu":
        assert got.dtype.kind == expected.dtype.kind, f"{name}: dtype {got.dtype} != {expected.dtype}"
        np.testing.assert_array_equal(got, expected)
    else:
        assert got.dtype == expected.dtype, f"{name}: dtype {got.dtype} != {expected.dtype}"
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name, args, kwargs, inputs, ref", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_operation_class(name, args, kwargs, inputs, ref):
    if not hasattr(P, name):
        pytest.skip(f"P.{name} needs ops sporen lacks: {P.missing().get(name)}")
    prim = getattr(P, name)(*args, **kwargs)
    out = prim(*[_to_input(v) for v in inputs])
    _check(out, ref(), name)


def test_operation_attrs_are_recorded_and_checked():
    m = P.MatMul(transpose_b=True)
    assert m.name == "MatMul"
    assert m.transpose_a is False and m.transpose_b is True
    assert m.attrs["transpose_b"] is True
    assert repr(m) == "Prim[MatMul]<transpose_a=False, transpose_b=True>"
    assert isinstance(m, Primitive)
    r = P.ReduceSum(keep_dims=True)
    assert repr(r) == "Prim[ReduceSum]<keep_dims=True, skip_mode=False>"
    assert r.attrs["input_names"] == ["input_x", "axis"]
    with pytest.raises(TypeError, match="keep_dims"):
        P.ReduceSum(keep_dims=1)
    with pytest.raises(TypeError, match="ReduceSum"):
        P.ReduceSum(True, False, 3)
    with pytest.raises(TypeError, match="output_type"):
        P.Argmax(output_type=ms.float32)
    assert P.Add().add_prim_attr("x", 1).attrs["x"] == 1


def test_shape_rank_size_dtype():
    x = Tensor(np.zeros((2, 3, 4), np.float16))
    assert P.Shape()(x) == (2, 3, 4)
    assert P.Rank()(x) == 3
    assert P.Size()(x) == 24
    assert P.DType()(x) is ms.float16
    with pytest.raises(TypeError, match="Shape"):
        P.Shape()([1, 2])


def test_assign_ops_write_into_parameters():
    p = ms.Parameter(Tensor(np.zeros(2, np.float32)), name="p")
    out = P.Assign()(p, Tensor([1.0, 2.0]))
    assert out is p
    assert _a(p).tolist() == [1.0, 2.0]
    P.AssignAdd()(p, Tensor([1.0, 1.0]))
    assert _a(p).tolist() == [2.0, 3.0]
    P.AssignSub()(p, Tensor([2.0, 2.0]))
    assert _a(p).tolist() == [0.0, 1.0]
    assert p.dtype is ms.float32


def test_apply_momentum_matches_mindspore_formula():
    var = ms.Parameter(Tensor(np.array([1.0, 2.0], np.float32)), name="var")
    acc = ms.Parameter(Tensor(np.array([0.5, 0.5], np.float32)), name="acc")
    grad = Tensor(np.array([0.1, -0.2], np.float32))
    P.ApplyMomentum()(var, acc, Tensor(0.1), grad, Tensor(0.9))
    acc_ref = np.array([0.5, 0.5]) * 0.9 + np.array([0.1, -0.2])
    np.testing.assert_allclose(_a(acc), acc_ref, rtol=1e-6)
    np.testing.assert_allclose(_a(var), np.array([1.0, 2.0]) - 0.1 * acc_ref, rtol=1e-6)


def test_print_writes_tensors_as_mindspore_does(capsys):
    P.Print()("Print Tensor x and Tensor y:", Tensor(np.ones([2, 1], np.int32)), Tensor(np.ones([2, 2], np.int32)))
    assert capsys.readouterr().out == ("Print Tensor x and Tensor y:\n"
                                       "Tensor(shape=[2, 1], dtype=Int32, value=\n[[1],\n [1]])\n"
                                       "Tensor(shape=[2, 2], dtype=Int32, value=\n[[1, 1],\n [1, 1]])\n")


def test_dropout_keeps_expectation_and_returns_mask():
    if not hasattr(P, "Dropout"):
        pytest.skip(f"P.Dropout needs {P.missing().get('Dropout')}")
    x = Tensor(np.ones((200, 100), np.float32))
    out, mask = P.Dropout(keep_prob=0.8)(x)
    got = _a(out)
    m = _a(mask)
    assert m.dtype == np.bool_ and m.shape == (200, 100)
    np.testing.assert_allclose(got[m], 1 / 0.8, rtol=1e-6)
    assert (got[~m] == 0).all()
    assert 0.75 < m.mean() < 0.85
    with pytest.raises(ValueError, match="keep_prob"):
        P.Dropout(keep_prob=0.0)


def test_missing_classes_name_the_ops_they_need(capsys):
    missing = P.missing()
    for name, needs in missing.items():
        assert needs, name
        with pytest.raises(AttributeError, match="not available"):
            getattr(P, name)
    checklist = "/work/shared/api/mindspore.ops.operations.txt"
    coverage = ""
    covered = None
    if os.path.exists(checklist):
        with open(checklist) as f:
            names = [line.strip() for line in f if line.strip() and not line.startswith("#")]
        covered = sum(hasattr(P, n) for n in names)
        coverage = f"; MindSpore's ops.operations checklist: {covered} of {len(names)}"
    with capsys.disabled():
        print(f"\nP classes available: {len([n for n in P.__all__ if n[0].isupper()])}{coverage}; held back "
              f"({len(missing)}): " + " ".join(f"{k}({','.join(v)})" for k, v in sorted(missing.items())))
    with pytest.raises(AttributeError, match="no attribute"):
        _ = P.NoSuchPrimitive
    # what was available when this file was last updated (293 of 578); raise it as classes land
    assert covered is None or covered >= 293


def test_operations_gradients_flow():
    x = Tensor(A)
    w = Tensor(W)

    def f(x, w):
        return P.ReduceSum()(P.MatMul(transpose_b=True)(x, w))

    gx, gw = ms.grad(f, grad_position=(0, 1))(x, w)
    np.testing.assert_allclose(_a(gx), np.ones((2, 4), np.float32) @ W, rtol=1e-5)
    np.testing.assert_allclose(_a(gw), np.ones((2, 4), np.float32).T @ A, rtol=1e-5)


def test_operation_instances_copy_and_pickle():
    import copy
    import pickle

    m = P.MatMul(transpose_b=True)
    for clone in (copy.deepcopy(m), pickle.loads(pickle.dumps(m))):
        assert type(clone) is P.MatMul
        assert clone.transpose_b is True and clone.attrs["transpose_b"] is True
        np.testing.assert_allclose(_a(clone(Tensor(A), Tensor(W))), A @ W.T, rtol=1e-5)
    from sporen.ops.operations.math_ops import MatMul
    assert MatMul is P.MatMul


def _param(v, name):
    return ms.Parameter(Tensor(np.array(v, np.float32)), name=name)


def test_optimizer_kernels_match_their_formulas():
    g = np.array([0.1, -0.2], np.float32)
    var, m, v = _param([1.0, 2.0], "var"), _param([0.1, 0.1], "m"), _param([0.2, 0.2], "v")
    P.AdamWeightDecay()(var, m, v, Tensor(0.01), Tensor(0.9), Tensor(0.999), Tensor(1e-8), Tensor(0.1), Tensor(g))
    m_ref = 0.9 * 0.1 + 0.1 * g
    v_ref = 0.999 * 0.2 + 0.001 * g * g
    var_ref = np.array([1.0, 2.0]) - 0.01 * (m_ref / (np.sqrt(v_ref) + 1e-8) + 0.1 * np.array([1.0, 2.0]))
    np.testing.assert_allclose(_a(m), m_ref, rtol=1e-6)
    np.testing.assert_allclose(_a(v), v_ref, rtol=1e-6)
    np.testing.assert_allclose(_a(var), var_ref, rtol=1e-6)

    var, acc = _param([1.0, 2.0], "var"), _param([0.5, 0.5], "acc")
    P.ApplyAdagrad()(var, acc, Tensor(0.1), Tensor(g))
    np.testing.assert_allclose(_a(acc), 0.5 + g * g, rtol=1e-6)
    np.testing.assert_allclose(_a(var), np.array([1.0, 2.0]) - 0.1 * g / np.sqrt(0.5 + g * g), rtol=1e-6)

    var, ms_, mom = _param([1.0, 2.0], "var"), _param([0.5, 0.5], "ms"), _param([0.1, 0.1], "mom")
    P.ApplyRMSProp()(var, ms_, mom, Tensor(0.01), Tensor(g), 0.9, 0.8, 1e-6)
    ms_ref = 0.9 * 0.5 + 0.1 * g * g
    mom_ref = 0.8 * 0.1 + 0.01 * g / np.sqrt(ms_ref + 1e-6)
    np.testing.assert_allclose(_a(var), np.array([1.0, 2.0]) - mom_ref, rtol=1e-6)


def test_sgd_kernel_first_step_then_momentum():
    param, accum, stat = _param([1.0, 1.0], "p"), _param([0.0, 0.0], "a"), _param([1.0], "s")
    g = Tensor(np.array([0.5, -0.5], np.float32))
    sgd = P.SGD(dampening=0.1, weight_decay=0.0, nesterov=False)
    sgd(param, g, Tensor(0.1), accum, Tensor(0.9), stat)
    np.testing.assert_allclose(_a(accum), [0.5, -0.5])  # the first step takes the gradient as is
    np.testing.assert_allclose(_a(param), [0.95, 1.05], rtol=1e-6)
    assert _a(stat).tolist() == [0.0]
    sgd(param, g, Tensor(0.1), accum, Tensor(0.9), stat)
    acc2 = 0.9 * np.array([0.5, -0.5]) + 0.9 * np.array([0.5, -0.5])
    np.testing.assert_allclose(_a(accum), acc2, rtol=1e-6)
    np.testing.assert_allclose(_a(param), np.array([0.95, 1.05]) - 0.1 * acc2, rtol=1e-6)


@pytest.mark.parametrize("pad_mode, stride", [("valid", 1), ("same", 2), ("pad", 2), ("same", 1)])
def test_conv2d_backprop_input_is_the_gradient_of_conv2d(pad_mode, stride):
    if not hasattr(P, "Conv2DBackpropInput"):
        pytest.skip(f"needs {P.missing().get('Conv2DBackpropInput')}")
    x = Tensor(RNG.standard_normal((1, 2, 7, 6)).astype(np.float32))
    w = Tensor(KER)
    kwargs = {"pad_mode": pad_mode, "stride": stride}
    if pad_mode == "pad":
        kwargs["pad"] = (1, 0, 2, 1)
    conv = P.Conv2D(3, 3, **kwargs)
    y = conv(x, w)
    dout = Tensor(RNG.standard_normal(y.shape).astype(np.float32))
    expected = ms.grad(lambda x: (conv(x, w) * dout).sum())(x)
    got = P.Conv2DBackpropInput(3, 3, **kwargs)(dout, w, x.shape)
    np.testing.assert_allclose(_a(got), _a(expected), rtol=1e-4, atol=1e-5)


def test_random_operation_classes():
    perm = P.Randperm(max_length=6, pad=-1)(Tensor(np.array([4], np.int32)))
    got = _a(perm)
    assert got.dtype == np.int32 and got.shape == (6,)
    assert sorted(got[:4].tolist()) == [0, 1, 2, 3] and got[4:].tolist() == [-1, -1]
    samples = P.Multinomial()(Tensor(np.array([[0.0, 1.0, 0.0]], np.float32)), 5)
    assert _a(samples).tolist() == [[1, 1, 1, 1, 1]]
    u = P.UniformReal()((100,))
    assert u.shape == (100,) and u.dtype is ms.float32 and 0 <= _a(u).min() and _a(u).max() < 1
    n = P.StandardNormal()((2000,))
    assert abs(_a(n).mean()) < 0.1 and abs(_a(n).std() - 1) < 0.1
    i = P.UniformInt()((50,), Tensor(2, ms.int32), Tensor(5, ms.int32))
    assert set(_a(i).tolist()) <= {2, 3, 4}


def test_linalg_decompositions_reconstruct():
    q, r = P.Qr()(Tensor(W))
    np.testing.assert_allclose(_a(q) @ _a(r), W, rtol=1e-4, atol=1e-5)
    s, u, v = P.Svd()(Tensor(W))
    np.testing.assert_allclose((_a(u) * _a(s)) @ _a(v).T, W, rtol=1e-4, atol=1e-5)


def test_assert_and_channel_dropout():
    P.Assert()(Tensor(True), [Tensor(A)])
    with pytest.raises(ValueError, match="Assert"):
        P.Assert(summarize=2)(Tensor(np.array([True, False])), [Tensor(A)])
    x = Tensor(np.ones((4, 50, 3, 3), np.float32))
    out, mask = P.Dropout2D(keep_prob=0.6)(x)
    m = _a(mask)
    assert m.shape == (4, 50, 3, 3)
    assert (m == m[:, :, :1, :1]).all()  # whole channels are kept or dropped
    np.testing.assert_allclose(_a(out)[m], 1 / 0.6, rtol=1e-6)
    assert 0.4 < m[:, :, 0, 0].mean() < 0.8


def _bilinear_legacy_ref(x, oh, ow):
    """TensorFlow's legacy resize: source = dest * in / out, no half-pixel shift."""
    n, c, h, w = x.shape
    out = np.zeros((n, c, oh, ow), np.float64)
    for i in range(oh):
        for j in range(ow):
            sy = i * h / oh
            sx = j * w / ow
            y0 = int(np.floor(sy))
            x0 = int(np.floor(sx))
            y1 = min(y0 + 1, h - 1)
            x1 = min(x0 + 1, w - 1)
            fy = sy - y0
            fx = sx - x0
            top = x[:, :, y0, x0] * (1 - fx) + x[:, :, y0, x1] * fx
            bottom = x[:, :, y1, x0] * (1 - fx) + x[:, :, y1, x1] * fx
            out[:, :, i, j] = top * (1 - fy) + bottom * fy
    return out.astype(np.float32)


def test_resize_ops():
    x = IMG[:, :, :4, :5]
    got = P.ResizeBilinearV2()(Tensor(x), (7, 3))
    np.testing.assert_allclose(_a(got), _bilinear_legacy_ref(x, 7, 3), rtol=1e-5, atol=1e-6)
    got = P.ResizeBilinear((7, 3))(Tensor(x))
    np.testing.assert_allclose(_a(got), _bilinear_legacy_ref(x, 7, 3), rtol=1e-5, atol=1e-6)
    corners = _a(P.ResizeBilinearV2(align_corners=True)(Tensor(x), (7, 9)))
    np.testing.assert_allclose(corners[:, :, [0, -1]][:, :, :, [0, -1]], x[:, :, [0, -1]][:, :, :, [0, -1]], rtol=1e-6)
    near = _a(P.ResizeNearestNeighbor((8, 10))(Tensor(x)))
    np.testing.assert_array_equal(near, x.repeat(2, 2).repeat(2, 3))
    near = _a(P.ResizeNearestNeighborV2(align_corners=True)(Tensor(np.arange(4, dtype=np.float32).reshape(1, 1, 1, 4)),
                                                            (1, 3)))
    assert near.reshape(-1).tolist() == [0.0, 2.0, 3.0]  # 1.5 rounds away from zero
    with pytest.raises(ValueError, match="both"):
        P.ResizeBilinearV2(True, True)(Tensor(x), (2, 2))


def test_resize_half_pixel_matches_torch():
    torch = pytest.importorskip("torch")
    x = IMG[:, :, :4, :5]
    got = _a(P.ResizeBilinearV2(half_pixel_centers=True)(Tensor(x), (7, 3)))
    ref = torch.nn.functional.interpolate(torch.tensor(x), (7, 3), mode="bilinear", align_corners=False).numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)
    got = _a(P.ResizeBilinearV2(align_corners=True)(Tensor(x), (7, 3)))
    ref = torch.nn.functional.interpolate(torch.tensor(x), (7, 3), mode="bilinear", align_corners=True).numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6)
