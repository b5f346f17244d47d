"""sporen.compat: ``import mindspore`` resolves to sporen's modules, and ``python -m sporen.compat``
runs a MindSpore script unchanged."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import sporen
import sporen.compat as compat

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def installed():
    compat.install()
    yield
    compat.uninstall()


def test_mindspore_modules_are_sporen_modules(installed):
    import mindspore
    import mindspore.nn as nn
    import mindspore.common.dtype as mstype
    from mindspore import ops, Tensor, Parameter
    from mindspore.common.initializer import Normal
    from mindspore.ops import operations as P
    from mindspore.ops import functional as F
    import mindspore.context as context
    import sporen.common.initializer
    import sporen.ops.operations

    assert mindspore is sporen
    assert nn is sporen.nn
    assert ops is sporen.ops
    assert mstype is sporen.dtype
    assert Tensor is sporen.Tensor and Parameter is sporen.Parameter
    assert Normal is sporen.common.initializer.Normal
    assert P is sporen.ops.operations
    assert F is sporen.ops.functional
    assert context is sporen.context
    assert sys.modules["mindspore.nn"] is sporen.nn
    # importlib gives an aliased module the mindspore spec; sporen's own must stay
    assert sporen.nn.__spec__.name == "sporen.nn"
    assert sporen.dtype.__spec__.name == "sporen.dtype"


def test_aliases_for_modules_laid_out_differently(installed):
    import mindspore.common.tensor as ct
    import mindspore.common.parameter as cp
    from mindspore.common import Tensor, Parameter, dtype, float32
    from mindspore.ops.primitive import Primitive, constexpr, prim_attr_register  # noqa: F401
    from mindspore.ops import composite as C
    from mindspore.ops import functional as F
    import mindspore.nn.layer  # noqa: F401

    assert ct.Tensor is sporen.Tensor
    assert cp.Parameter is sporen.Parameter
    assert Tensor is sporen.Tensor and Parameter is sporen.Parameter
    assert dtype is sporen.dtype and float32 is sporen.float32
    assert Primitive is sporen.ops.primitive.Primitive
    assert C.GradOperation is sporen.ops.GradOperation
    x = sporen.Tensor([1.0])
    assert F.depend(x, None) is x
    from mindspore.common.seed import set_seed
    assert set_seed is sporen.set_seed
    assert sporen.__spec__.name == "sporen"
    from mindspore import ops
    assert ops.Primitive is Primitive
    assert ops.MatMul is sporen.ops.operations.MatMul
    np.testing.assert_allclose(ops.Add()(x, x).asnumpy(), [2.0])


def test_missing_module_error_names_what_sporen_lacks(installed):
    with pytest.raises(ImportError, match="sporen has no 'sporen.no_such_part'"):
        import mindspore.no_such_part  # noqa: F401
    with pytest.raises(ModuleNotFoundError) as info:
        import mindspore.nn.no_such_layer  # noqa: F401
    assert info.value.name == "mindspore.nn.no_such_layer"
    assert "not implemented in sporen" in str(info.value)


def test_uninstall_forgets_mindspore():
    compat.install()
    import mindspore  # noqa: F401
    assert compat.installed()
    compat.uninstall()
    assert not compat.installed()
    assert "mindspore" not in sys.modules
    compat.install()
    compat.install()
    assert sys.meta_path.count(compat._FINDER) == 1
    compat.uninstall()


def test_grad_operation_through_composite(installed):
    from mindspore import Tensor, nn
    from mindspore.ops import composite as C

    class Net(nn.Cell):
        def construct(self, x, y):
            return (x * y).sum()

    grad_all = C.GradOperation(get_all=True)
    gx, gy = grad_all(Net())(Tensor([1.0, 2.0]), Tensor([3.0, 4.0]))
    np.testing.assert_allclose(gx.asnumpy(), [3.0, 4.0])
    np.testing.assert_allclose(gy.asnumpy(), [1.0, 2.0])


def test_multitype_func_graph_and_hyper_map(installed):
    from mindspore import Tensor
    from mindspore.ops import composite as C
    from mindspore.ops import functional as F

    scale = C.MultitypeFuncGraph("scale")

    @scale.register("Number", "Tensor")
    def _scale_tensor(s, x):
        return x * s

    @scale.register("Number", "Number")
    def _scale_number(s, x):
        return x * s * 10

    hyper = C.HyperMap()
    out = hyper(F.partial(scale, 2.0), (Tensor([1.0]), 3, (Tensor([2.0]),)))
    np.testing.assert_allclose(out[0].asnumpy(), [2.0])
    assert out[1] == 60.0
    np.testing.assert_allclose(out[2][0].asnumpy(), [4.0])
    with pytest.raises(TypeError, match="scale"):
        scale("a", "b")
    assert C.Map()(lambda a, b: a + b, (1, 2), (10, 20)) == (11, 22)


SCRIPT = '''
import sys
import numpy as np
import mindspore as ms
import mindspore.nn as nn
import mindspore.common.dtype as mstype
from mindspore import Tensor, Parameter, ops
from mindspore.common.initializer import Normal
from mindspore.ops import operations as P


class Net(nn.Cell):
    def __init__(self):
        super(Net, self).__init__()
        self.matmul = P.MatMul(transpose_b=True)
        self.w = Parameter(Tensor(np.ones((2, 3)), mstype.float32), name="w")
        self.sum = P.ReduceSum(keep_dims=False)

    def construct(self, x):
        return self.sum(self.matmul(x, self.w), 1)


if __name__ == "__main__":
    ms.set_context(mode=ms.PYNATIVE_MODE)
    net = Net()
    x = Tensor(np.arange(6).reshape(2, 3), mstype.float32)
    out = net(x)
    grads = ms.grad(lambda x: net(x).sum(), grad_position=None, weights=net.trainable_params())(x)
    print("argv", sys.argv[1:])
    print("out", out.asnumpy().tolist())
    print("grad", grads[0].asnumpy().tolist())
    print("dtype", out.dtype, Tensor(1.0).dtype == mstype.float32)
    print("module", ms.__name__)
'''


def test_run_a_mindspore_script(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(SCRIPT))
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    res = subprocess.run([sys.executable, "-m", "sporen.compat", str(script), "--epochs", "2"],
                         capture_output=True, text=True, env=env, cwd=str(tmp_path), timeout=120)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0] == "argv ['--epochs', '2']"
    assert lines[1] == "out [6.0, 24.0]"
    assert lines[2] == "grad [[3.0, 5.0, 7.0], [3.0, 5.0, 7.0]]"
    assert lines[3] == "dtype Float32 True"
    assert lines[4] == "module sporen"


def test_compat_main_usage_and_missing_script(tmp_path):
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    res = subprocess.run([sys.executable, "-m", "sporen.compat"], capture_output=True, text=True, env=env,
                         timeout=120)
    assert res.returncode == 2 and "usage" in res.stdout
    res = subprocess.run([sys.executable, "-m", "sporen.compat", str(tmp_path / "nope.py")],
                         capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 2 and "nope.py" in res.stderr
