"""MindSpore's dtype semantics: names, numpy types, defaults of Tensor(), promotion, Parameter."""
import pickle

import numpy as np
import pytest

import sporen as ms
from sporen import dtype as mstype


@pytest.mark.parametrize("t, name, np_type", [
    (ms.float32, "Float32", np.float32), (ms.float16, "Float16", np.float16),
    (ms.float64, "Float64", np.float64), (ms.int8, "Int8", np.int8), (ms.int16, "Int16", np.int16),
    (ms.int32, "Int32", np.int32), (ms.int64, "Int64", np.int64), (ms.uint8, "UInt8", np.uint8),
    (ms.bool_, "Bool", np.bool_), (ms.complex64, "Complex64", np.complex64),
])
def test_dtype_names_and_numpy_types(t, name, np_type):
    assert str(t) == name
    assert repr(t) == name
    assert ms.dtype_to_nptype(t) is np_type
    assert mstype.to_dtype(np_type) is t
    assert pickle.loads(pickle.dumps(t)) is t


def test_dtype_aliases_and_pytypes():
    assert ms.float_ is ms.float32 and ms.half is ms.float16 and ms.double is ms.float64
    assert mstype.dtype_to_pytype(ms.int32) is int
    assert mstype.dtype_to_pytype(ms.float16) is float
    assert mstype.dtype_to_pytype(ms.bool_) is bool
    assert mstype.pytype_to_dtype(float) is ms.float32
    assert mstype.pytype_to_dtype(int) is ms.int64
    assert mstype.get_py_obj_dtype(ms.Tensor([1, 2])) is ms.int64
    assert str(ms.bfloat16) == "BFloat16"
    with pytest.raises(TypeError, match="dtype"):
        mstype.to_dtype("float33")


@pytest.mark.parametrize("data, expected", [
    (1.0, ms.float32), (1, ms.int64), (True, ms.bool_), ([1, 2], ms.int64), ([1.0, 2], ms.float32),
    ([True, False], ms.bool_), ((1, 2.5), ms.float32), (np.array([1.0, 2.0]), ms.float64),
    (np.array([1, 2], np.int32), ms.int32), (np.float16(1.5), ms.float16), (np.array(3, np.uint8), ms.uint8),
])
def test_tensor_default_dtypes(data, expected):
    assert ms.Tensor(data).dtype is expected


def test_tensor_explicit_dtype_and_shape():
    t = ms.Tensor([1, 2, 3], ms.float16)
    assert t.dtype is ms.float16
    assert t.asnumpy().dtype == np.float16
    t = ms.Tensor(np.ones((2, 3)), dtype=ms.int32)
    assert t.dtype is ms.int32 and t.shape == (2, 3)
    assert ms.Tensor(ms.Tensor([1, 2]), ms.float32).dtype is ms.float32
    with pytest.raises(TypeError, match="input_data"):
        ms.Tensor("abc")


def _dtype_of(a, b):
    return (a + b).dtype


@pytest.mark.parametrize("a, b, expected", [
    (ms.Tensor([1], ms.int8), ms.Tensor([1], ms.uint8), ms.int16),
    (ms.Tensor([1], ms.uint8), ms.Tensor([1], ms.int16), ms.int16),
    (ms.Tensor([1], ms.uint8), ms.Tensor([1], ms.uint8), ms.uint8),
    (ms.Tensor([1], ms.int32), ms.Tensor([1], ms.int64), ms.int64),
    (ms.Tensor([1], ms.int32), 1.5, ms.float32),
    (ms.Tensor([1], ms.int32), 2, ms.int32),
    (ms.Tensor([1], ms.float16), ms.Tensor([1], ms.float32), ms.float32),
    (ms.Tensor([1], ms.float16), 2.5, ms.float16),
    (ms.Tensor([1], ms.float32), ms.Tensor([1], ms.float64), ms.float64),
    (ms.Tensor([1], ms.int64), ms.Tensor([1], ms.float16), ms.float16),
    (ms.Tensor(True), 1, ms.int64),
    (ms.Tensor([True]), ms.Tensor([1], ms.int32), ms.int32),
    (ms.Tensor([True]), ms.Tensor([1.0], ms.float32), ms.float32),
    (ms.Tensor([1], ms.int32), True, ms.int32),
    (2, ms.Tensor([1], ms.uint8), ms.uint8),
])
def test_promotion_table(a, b, expected):
    assert _dtype_of(a, b) is expected


def test_promotion_values_are_computed_in_the_promoted_type():
    out = ms.Tensor([200], ms.uint8) + ms.Tensor([100], ms.int8)
    assert out.dtype is ms.int16
    assert out.asnumpy().tolist() == [300]
    out = ms.Tensor([3], ms.int32) + 1.5
    assert out.asnumpy().tolist() == [4.5]


def test_integer_true_division_gives_float32():
    out = ms.Tensor([3, 4], ms.int32) / ms.Tensor([2, 2], ms.int32)
    assert out.dtype is ms.float32
    np.testing.assert_allclose(out.asnumpy(), [1.5, 2.0])


# --- Parameter -----------------------------------------------------------------------------------
def test_parameter_basics_and_repr():
    p = ms.Parameter(ms.Tensor(np.ones((2, 3), np.float32)), name="w")
    assert p.name == "w"
    assert p.requires_grad is True
    assert isinstance(p, ms.Tensor)
    assert p.shape == (2, 3) and p.dtype is ms.float32
    assert repr(p) == "Parameter (name=w, shape=(2, 3), dtype=Float32, requires_grad=True)"
    q = ms.Parameter(np.zeros(2, np.float32), name="b", requires_grad=False)
    assert q.requires_grad is False
    with pytest.raises(TypeError, match="name"):
        ms.Parameter(ms.Tensor([1.0]), name=3)
    with pytest.raises(TypeError, match="requires_grad"):
        ms.Parameter(ms.Tensor([1.0]), name="x", requires_grad="yes")


def test_parameter_set_data_keeps_shape_and_dtype():
    p = ms.Parameter(ms.Tensor(np.zeros((2,), np.float32)), name="p")
    out = p.set_data(ms.Tensor([1, 2], ms.int32))
    assert out is p
    assert p.dtype is ms.float32
    assert p.asnumpy().tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match="shape"):
        p.set_data(ms.Tensor(np.zeros((3,), np.float32)))
    p.set_data(ms.Tensor(np.zeros((3,), np.float32)), slice_shape=True)
    assert p.shape == (3,)


def test_parameter_clone_is_independent():
    p = ms.Parameter(ms.Tensor(np.arange(3, dtype=np.float32)), name="p", requires_grad=False)
    c = p.clone()
    assert isinstance(c, ms.Parameter)
    assert c.name == "p" and c.requires_grad is False
    c.set_data(ms.Tensor(np.zeros(3, np.float32)))
    assert p.asnumpy().tolist() == [0.0, 1.0, 2.0]
    assert c.asnumpy().tolist() == [0.0, 0.0, 0.0]


def test_parameter_from_initializer_and_pickle():
    from sporen.common.initializer import initializer
    p = ms.Parameter(initializer("ones", (2, 2), ms.float32), name="ones")
    assert p.asnumpy().tolist() == [[1.0, 1.0], [1.0, 1.0]]
    q = pickle.loads(pickle.dumps(p))
    assert q.name == "ones" and q.asnumpy().tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_parameter_tuple():
    a = ms.Parameter(ms.Tensor([1.0]), name="a")
    b = ms.Parameter(ms.Tensor([2.0]), name="b")
    pt = ms.ParameterTuple([a, b])
    assert isinstance(pt, tuple) and len(pt) == 2 and pt[0] is a
    cl = pt.clone("copy")
    assert [p.name for p in cl] == ["copy.a", "copy.b"]
    assert cl[0] is not a
    with pytest.raises(TypeError, match="Parameter"):
        ms.ParameterTuple([a, ms.Tensor([1.0])])
