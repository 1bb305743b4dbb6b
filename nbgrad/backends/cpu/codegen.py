"""Generated kernel modules and nbgrad's on-disk kernel cache.

Numba caches a compiled function only when it is a top-level function of a
module backed by a real file: generated closures do not cache.  So every kernel
that nbgrad generates from an op declaration is written as Python source to a
small module file in the cache directory, imported from there, and compiled
lazily by Numba with ``cache=True``; Numba then keeps the machine code beside
it.  The file name carries a hash of the source (and of the declarations it
uses), so a changed declaration gets a new module and nothing stale is loaded.
The package directory is never written to, so a read-only install works.

Cache directory, first that applies:
  ``NBGRAD_CACHE_DIR``; ``$NUMBA_CACHE_DIR/nbgrad``;
  ``$XDG_CACHE_HOME/nbgrad`` or ``~/.cache/nbgrad``.
``NBGRAD_DISABLE_CACHE=1`` (or an unwritable directory) compiles in memory only.
"""

import hashlib
import importlib.util
import os
import sys
import tempfile
import types

import numba

_objects = {}       # token -> object that a generated module imports by token
_cache_dir = []     # [path or None], resolved once


def register_object(token, obj):
    """Make `obj` importable by generated modules as ``_objects[token]``."""
    _objects[token] = obj


def cache_dir():
    """The directory where generated kernel modules live, or None (no disk cache)."""
    if _cache_dir:
        return _cache_dir[0]
    path = None
    if os.environ.get("NBGRAD_DISABLE_CACHE", "") not in ("1", "true", "yes"):
        path = os.environ.get("NBGRAD_CACHE_DIR")
        if not path and os.environ.get("NUMBA_CACHE_DIR"):
            path = os.path.join(os.environ["NUMBA_CACHE_DIR"], "nbgrad")
        if not path:
            base = os.environ.get("XDG_CACHE_HOME") or os.path.join(
                os.path.expanduser("~"), ".cache")
            path = os.path.join(base, "nbgrad")
        path = os.path.join(path, "kernels-numba" + numba.__version__)
        try:
            os.makedirs(path, exist_ok=True)
            probe = tempfile.NamedTemporaryFile(dir=path, prefix=".probe", delete=True)
            probe.close()
        except OSError:
            path = None
    _cache_dir.append(path)
    return path


def fingerprint(*parts):
    """A short stable hash of strings, bytes and functions (by their code)."""
    h = hashlib.sha1()
    for p in parts:
        if isinstance(p, str):
            p = p.encode()
        elif callable(p) and hasattr(p, "__code__"):
            p = _code_bytes(p.__code__)
        h.update(p)
        h.update(b"\0")
    return h.hexdigest()[:16]


def _code_bytes(code):
    out = [code.co_code, repr(code.co_names).encode(), repr(code.co_varnames).encode()]
    for c in code.co_consts:
        out.append(_code_bytes(c) if isinstance(c, types.CodeType) else repr(c).encode())
    return b"|".join(out)


def load_module(stem, source):
    """Import generated `source` as a module (from the disk cache when enabled).

    `source` may use ``CACHE`` (True when the disk cache is on) and
    ``_objects[token]``; both are provided to it.
    """
    digest = fingerprint(source)
    name = f"_nbgrad_gen_{stem}_{digest}"
    mod = sys.modules.get(name)
    if mod is not None:
        return mod
    directory = cache_dir()
    header = "from nbgrad.backends.cpu.codegen import _objects\n"
    if directory is None:
        mod = types.ModuleType(name)
        mod.__dict__["CACHE"] = False
        exec(compile(header + source, f"<nbgrad generated {stem}>", "exec"), mod.__dict__)
        sys.modules[name] = mod
        return mod
    path = os.path.join(directory, name + ".py")
    if not os.path.exists(path):
        text = header + "CACHE = True\n" + source
        fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)  # atomic: concurrent processes see whole files only
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


# -- hand-written kernels: Numba's own cache, moved out of the package --------
def _package_dir():
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _make_locator():
    """A Numba cache locator for nbgrad's own `@njit(cache=True)` kernels.

    Numba would write their machine code into ``__pycache__`` inside the
    installed package (and per install path).  This locator keeps it in
    nbgrad's cache directory instead, keyed by the module's path inside the
    package; Numba checks each source file by content hash, so every install
    of the same nbgrad version shares one cache, and a read-only install needs
    no write access to the package.  With the cache disabled it uses a
    temporary directory of the process.
    """
    from numba.core import caching

    class NbgradCacheLocator(caching._SourceFileBackedLocatorMixin, caching._CacheLocator):
        def __init__(self, py_func, py_file):
            self._py_file = py_file
            self._lineno = py_func.__code__.co_firstlineno
            rel = os.path.relpath(os.path.dirname(py_file), _package_dir())
            self._cache_path = os.path.join(_numba_cache_root(), rel.replace(os.sep, "."))

        def get_cache_path(self):
            return self._cache_path

        @classmethod
        def from_function(cls, py_func, py_file):
            root = _package_dir() + os.sep
            if not os.path.abspath(py_file).startswith(root):
                return None
            return super().from_function(py_func, py_file)

    return NbgradCacheLocator


_numba_root = []


def _numba_cache_root():
    if not _numba_root:
        base = cache_dir()
        if base is None:
            base = tempfile.mkdtemp(prefix="nbgrad-nocache-")
        _numba_root.append(os.path.join(base, "numba"))
    return _numba_root[0]


def install_cache_locator():
    """Route the Numba cache of nbgrad's own kernels to nbgrad's cache
    directory (called once, before any kernel module is imported)."""
    from numba.core import caching
    impl = getattr(caching, "CacheImpl", None) or caching._CacheImpl
    if any(getattr(c, "__name__", "") == "NbgradCacheLocator" for c in impl._locator_classes):
        return
    impl._locator_classes = [_make_locator()] + list(impl._locator_classes)
