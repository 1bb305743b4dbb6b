"""Layering of nbgrad's modules: the core types and the backends import nothing above them.

Every module in `nbgrad/` is parsed (no import runs) and each import it makes,
at module level or inside a function, is resolved to a module name.  The core
types (a tensor is a buffer with metadata) may import only the core and the
backends; the backends only the backends.  What a lower layer needs from above
is registered into it at import by the higher layer, never imported upward.
"""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent / "nbgrad"

CORE = {"nbgrad.tensor", "nbgrad._dtypes", "nbgrad._device", "nbgrad._printing",
        "nbgrad._storage"}
BACKENDS = "nbgrad.backends"


def _module_name(path):
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(name):
    rel = pathlib.Path(*name.split("."))
    return ((ROOT.parent / rel).with_suffix(".py").is_file()
            or (ROOT.parent / rel / "__init__.py").is_file())


def _package(path, name):
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def imported_names(path):
    """The modules (or module.name for ``from m import name``) that `path` imports,
    at any depth of its syntax tree, with relative imports resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = _package(path, _module_name(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            for alias in node.names:
                # ``from m import sub`` imports module m.sub (as import-linter reads it);
                # ``from m import name`` imports m
                sub = f"{base}.{alias.name}"
                found.append((sub if _is_module(sub) else base, node.lineno))
    return found


def _allowed(importer, target):
    """Whether module `importer` may import `target` (a module or module.name)."""
    if target != "nbgrad" and not target.startswith("nbgrad."):
        return True   # outside nbgrad: NumPy, Numba, the standard library
    if importer.startswith(BACKENDS):
        return target.startswith(BACKENDS)
    if importer in CORE:
        return target.startswith(BACKENDS) or any(
            target == c or target.startswith(c + ".") for c in CORE)
    return True


def _lower_modules():
    return [p for p in sorted(ROOT.rglob("*.py"))
            if _module_name(p) in CORE or _module_name(p).startswith(BACKENDS)]


def test_lower_layers_are_found():
    names = {_module_name(p) for p in _lower_modules()}
    assert CORE <= names
    assert {"nbgrad.backends.dispatch", "nbgrad.backends.cpu",
            "nbgrad.backends.cuda"} <= names


@pytest.mark.parametrize("path", _lower_modules(), ids=lambda p: _module_name(p))
def test_no_upward_import(path):
    importer = _module_name(path)
    bad = [f"line {line}: {t}" for t, line in imported_names(path)
           if not _allowed(importer, t)]
    assert not bad, f"{importer} imports from a higher layer: " + "; ".join(bad)


def test_checker_sees_function_level_and_relative_imports(tmp_path):
    pkg = tmp_path / "nbgrad" / "backends"
    pkg.mkdir(parents=True)
    f = pkg / "x.py"
    (tmp_path / "nbgrad" / "ops").mkdir()
    (tmp_path / "nbgrad" / "ops" / "elementwise.py").write_text("")
    f.write_text("def f():\n    from nbgrad.ops import elementwise\n"
                 "from ..tensor import Tensor\nimport nbgrad.autograd\n")
    global ROOT
    saved, ROOT = ROOT, tmp_path / "nbgrad"
    try:
        targets = [t for t, _ in imported_names(f)]
    finally:
        ROOT = saved
    assert "nbgrad.ops.elementwise" in targets
    assert "nbgrad.tensor" in targets   # Tensor is a name, not a module: the module counts
    assert "nbgrad.autograd" in targets
    assert not _allowed("nbgrad.backends.x", "nbgrad.ops.elementwise")
    assert not _allowed("nbgrad.tensor", "nbgrad.autograd.engine")
    assert _allowed("nbgrad.tensor", "nbgrad.backends.dispatch")
    assert _allowed("nbgrad.backends.cpu", "numba")


# -- one API, two backends ------------------------------------------------------------------
API = {"elementwise", "reduce", "movement", "nn", "creation", "matmul", "array", "run", "name",
       "empty", "empty_like", "is_contiguous", "contiguous", "cast", "reshape", "reshape_view",
       "alias", "transpose", "swapaxes", "expand_dims", "getitem", "as_strided", "broadcast_to",
       "copy_into", "fill", "full", "to_host", "to_device", "address", "shares_memory",
       "np_dtype"}


def _bound_names(path):
    """The public names a module binds at its top level (read, not imported: the
    CUDA backend needs numba-cuda to import)."""
    names = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
    return {n for n in names if not n.startswith("_")}


@pytest.mark.parametrize("device", ["cpu", "cuda"])
def test_each_backend_has_the_api(device):
    names = _bound_names(ROOT / "backends" / device / "__init__.py")
    if device == "cpu":
        names.add("reduce")   # loaded on first use, by the package's __getattr__
        assert "reduce" in (ROOT / "backends" / "cpu" / "__init__.py").read_text()
    missing = API - names
    assert not missing, f"nbgrad.backends.{device} lacks {sorted(missing)}"


def test_cpu_backend_api_resolves():
    from nbgrad.backends import cpu
    for name in API:
        assert getattr(cpu, name) is not None
    assert cpu.name == "cpu" and cpu.reduce.__name__ == "nbgrad.backends.cpu.reduce"
