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
