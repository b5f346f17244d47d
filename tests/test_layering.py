"""The layering of DESIGN.md, enforced: the core never imports the tools (insight, armour, lite,
models), and only sporen/runtime imports a backend module."""
import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1] / "sporen"
TOOLS = ("insight", "armour", "lite", "models")


def _imports(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, 0
        elif isinstance(node, ast.ImportFrom):
            yield (node.module or ""), node.level


def _resolve(path, module, level):
    if level == 0:
        return module
    pkg = list(path.relative_to(ROOT.parent).with_suffix("").parts[:-1])
    base = pkg[: len(pkg) - (level - 1)]
    return ".".join(base + ([module] if module else []))


def _core_files():
    for p in ROOT.rglob("*.py"):
        rel = p.relative_to(ROOT).parts
        if rel[0] in TOOLS:
            continue
        yield p


def test_core_never_imports_the_tools():
    bad = []
    for p in _core_files():
        for module, level in _imports(p):
            full = _resolve(p, module, level)
            parts = full.split(".")
            if len(parts) >= 2 and parts[0] == "sporen" and parts[1] in TOOLS:
                bad.append(f"{p.relative_to(ROOT.parent)} imports {full}")
    assert not bad, "\n".join(bad)


def test_only_runtime_imports_backends():
    bad = []
    for p in _core_files():
        if p.relative_to(ROOT).parts[0] == "runtime":
            continue
        for module, level in _imports(p):
            full = _resolve(p, module, level)
            parts = full.split(".")
            if len(parts) >= 3 and parts[:2] == ["sporen", "runtime"] and parts[2] in ("numpy", "cpu", "cuda"):
                bad.append(f"{p.relative_to(ROOT.parent)} imports backend {full}")
    assert not bad, "\n".join(bad)


def test_the_layering_check_sees_the_package():
    files = list(_core_files())
    assert any(p.name == "tensor.py" for p in files)
    assert len(files) > 10
