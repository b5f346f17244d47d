"""Run MindSpore programs unchanged: ``sporen.compat.install()`` makes ``import mindspore...`` resolve to
sporen's modules (the same module objects), and ``python -m sporen.compat script.py`` runs a script so."""
import importlib
import importlib.abc
import importlib.util
import sys

__all__ = ["install", "uninstall", "installed", "ALIASES", "resolve"]

# MindSpore module names that sporen lays out differently; every other ``mindspore.x.y`` is ``sporen.x.y``
ALIASES = {
    "mindspore.common.dtype": "sporen.dtype",
    "mindspore.common.tensor": "sporen.tensor",
    "mindspore.common.parameter": "sporen.tensor",
    "mindspore.common._utils": "sporen.common",
    "mindspore.ops.primitive": "sporen.ops.primitive",
    "mindspore.ops.op_info_register": "sporen.ops.primitive",
    "mindspore.ops.function": "sporen.ops.functional",
    "mindspore.nn.layer.basic": "sporen.nn.layer.basic",
    # functions MindSpore keeps in small modules and sporen exports at the top level
    "mindspore.common.api": "sporen",
    "mindspore.common.seed": "sporen",
    "mindspore.common.jit_config": "sporen",
    "mindspore.common.mutable": "sporen",
    # MindSpore 1.x homes of the metrics, still imported by many scripts
    "mindspore.nn.metrics": "sporen.train.metrics",
    # MindSpore 1.x transform modules, still imported by many scripts
    "mindspore.dataset.vision.c_transforms": "sporen.dataset.vision",
    "mindspore.dataset.vision.py_transforms": "sporen.dataset.vision",
    "mindspore.dataset.transforms.c_transforms": "sporen.dataset.transforms",
    "mindspore.dataset.transforms.py_transforms": "sporen.dataset.transforms",
}


def resolve(fullname):
    """The sporen module name behind MindSpore module ``fullname``."""
    target = ALIASES.get(fullname)
    if target is not None:
        return target
    if fullname == "mindspore":
        return "sporen"
    return "sporen" + fullname[len("mindspore"):]


def _import_target(fullname):
    target = resolve(fullname)
    try:
        return importlib.import_module(target)
    except ModuleNotFoundError as exc:
        # only a missing target is ours to explain; an import error inside sporen stays as it is
        if exc.name is not None and (target == exc.name or target.startswith(exc.name + ".")):
            raise ModuleNotFoundError(
                f"No module named '{fullname}': sporen has no '{target}' (this part of MindSpore is "
                f"not implemented in sporen)", name=fullname) from None
        raise


class _MindSporeFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``mindspore`` and ``mindspore.*`` and loads each as its sporen module."""

    def __init__(self):
        self._specs = {}

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "mindspore" and not fullname.startswith("mindspore."):
            return None
        module = _import_target(fullname)
        is_package = hasattr(module, "__path__")
        return importlib.util.spec_from_loader(fullname, self, is_package=is_package)

    def create_module(self, spec):
        # the sporen module itself: `import mindspore.nn` and `import sporen.nn` give one object
        module = _import_target(spec.name)
        self._specs[spec.name] = module.__spec__
        return module

    def exec_module(self, module):
        # importlib has just replaced the module's __spec__ with the mindspore one: put sporen's back
        for name, spec in list(self._specs.items()):
            if module.__spec__ is not None and module.__spec__.name == name:
                module.__spec__ = spec
                del self._specs[name]
                break
        return None

    def __repr__(self):
        return "<sporen.compat MindSpore finder>"


_FINDER = _MindSporeFinder()


def installed():
    """Whether ``import mindspore`` resolves to sporen."""
    return _FINDER in sys.meta_path


def install():
    """Make ``import mindspore`` (and every ``mindspore.*``) resolve to sporen. Idempotent."""
    if not installed():
        sys.meta_path.insert(0, _FINDER)
    from . import _extras
    _extras.attach()
    return _FINDER


def uninstall():
    """Undo ``install``: forget the finder and the ``mindspore`` entries of ``sys.modules``."""
    while _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    for name in [n for n in sys.modules if n == "mindspore" or n.startswith("mindspore.")]:
        del sys.modules[name]
