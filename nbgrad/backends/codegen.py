"""Generated kernel modules and nbgrad's on-disk kernel cache.

Numba caches a compiled function only when it is a top-level function of a
module backed by a real file: generated closures do not cache.  So every kernel
that nbgrad generates from an op declaration is written as Python source to a
small module file in the cache directory, imported from there, and compiled
lazily by Numba with ``cache=True``; Numba then keeps the machine code beside
it.  The file name carries a `fingerprint` of the source, and the source names
its scalar functions by the fingerprint of their declarations, which covers
their code and, recursively, the module constants, helper functions, closure
cells and defaults they use: a changed declaration or constant gets a new
module, so nothing stale is loaded.

Cache directory: ``kernels-nbgrad<version>-<hash of nbgrad's sources>-numba<version>``
inside the first that applies of ``NBGRAD_CACHE_DIR``, ``$NUMBA_CACHE_DIR/nbgrad``,
``$XDG_CACHE_HOME/nbgrad`` or ``~/.cache/nbgrad``.  Any change to nbgrad's own
source (an upgrade, an edit) therefore starts a new directory, so a
hand-written ``@njit(cache=True)`` kernel that inlines a helper of another
module is never stale either.  ``NBGRAD_DISABLE_CACHE=1`` compiles in memory.

Numba's cache of nbgrad's kernels (the hand-written ones in the package and
the generated ones) goes through `nbgrad.backends.numba_cache`: it never
writes into the installed package, loads from a read-only cache (a cache
built beforehand and shared), and treats any fault -- a damaged, truncated or
swapped ``.py``/``.nbi``/``.nbc``, a file where a directory belongs, a
deleted directory, a full disk -- as a miss: the kernel compiles (in memory
if nothing can be written), the entry is rewritten when the directory is
writable, and one `CacheWarning` per process says what happened.  A
generated ``.py`` is checked against the source it must hold before use.

First use is thread-safe: a generated module is built under a lock and enters
``sys.modules`` only once it is complete; Numba compiles under its own global
lock.
"""

import hashlib
import importlib.metadata
import os
import re
import sys
import tempfile
import threading
import types
import warnings

import numba
import numpy as np

_objects = {}       # token -> object that a generated module imports by token
_state = []         # [cache directory or None, writable], resolved once
_lock = threading.RLock()   # building a generated module, resolving the directory
_warned = []


class CacheWarning(UserWarning):
    """A fault of nbgrad's on-disk kernel cache; nbgrad compiled instead."""


def _fault(what, exc=None):
    """Report a cache fault, once per process (the first one says where to look)."""
    if _warned:
        return
    _warned.append(True)
    detail = f" ({type(exc).__name__}: {exc})" if exc is not None else ""
    warnings.warn(f"nbgrad kernel cache: {what}{detail}. nbgrad compiles the kernel instead "
                  "(in memory when it cannot write) and rewrites the cache entry when it can; "
                  "further cache faults in this process are not reported.",
                  CacheWarning, stacklevel=3)


def register_object(token, obj):
    """Make `obj` importable by generated modules as ``_objects[token]``."""
    _objects[token] = obj


# -- the cache directory ----------------------------------------------------
def _package_dir():
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))   # nbgrad/


def cache_dir():
    """The directory where generated kernel modules live, or None (no disk cache)."""
    if not _state:
        with _lock:
            if not _state:
                _state[:] = _resolve_cache_dir()
    return _state[0]


def cache_writable():
    """True when the cache directory can be written (False: read-only, or no cache)."""
    cache_dir()
    return _state[1]


def _resolve_cache_dir():
    if os.environ.get("NBGRAD_DISABLE_CACHE", "") in ("1", "true", "yes"):
        return [None, False]
    root = os.environ.get("NBGRAD_CACHE_DIR")
    if not root and os.environ.get("NUMBA_CACHE_DIR"):
        root = os.path.join(os.environ["NUMBA_CACHE_DIR"], "nbgrad")
    if not root:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"),
                                                                ".cache")
        root = os.path.join(base, "nbgrad")
    path = os.path.abspath(os.path.join(root, "kernels-" + cache_tag()))
    if not _make_dir(path, path) and not os.path.isdir(path):
        return [None, False]
    # a directory that exists but cannot be written (built beforehand, shared):
    # read from it, compile what it lacks in memory
    return [path, _probe(path)]


def _probe(path):
    try:
        fd, tmp = tempfile.mkstemp(dir=path, prefix=".probe")
        os.close(fd)
        os.unlink(tmp)
        return True
    except OSError:
        return False


def cache_tag():
    """nbgrad's version, a hash of its source files and Numba's version: the
    cache directory's name, so that no kernel of another build is ever loaded."""
    return f"nbgrad{_version()}-{_source_hash()}-numba{numba.__version__}"


def _version():
    # read, not imported: nbgrad/__init__ is being imported when this runs
    try:
        with open(os.path.join(_package_dir(), "__init__.py"), encoding="utf-8") as f:
            m = re.search(r"^__version__\s*=\s*['\"]([^'\"]+)['\"]", f.read(), re.MULTILINE)
        if m:
            return m.group(1)
    except (OSError, ValueError):
        pass
    try:
        return importlib.metadata.version("nbgrad")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


_src_hash = []


def _source_hash():
    """A hash of every ``*.py`` file of the nbgrad package (computed once)."""
    if not _src_hash:
        h = hashlib.sha1()
        top = _package_dir()
        for d, dirs, files in os.walk(top):
            dirs[:] = sorted(x for x in dirs if x != "__pycache__")
            for name in sorted(f for f in files if f.endswith(".py")):
                path = os.path.join(d, name)
                h.update(os.path.relpath(path, top).replace(os.sep, "/").encode() + b"\0")
                try:
                    with open(path, "rb") as f:
                        h.update(f.read())
                except OSError:
                    h.update(b"<unreadable>")
                h.update(b"\0")
        _src_hash.append(h.hexdigest()[:12])
    return _src_hash[0]


def _make_dir(path, top=None):
    """Make directory `path`; a file in the way at or below `top` (a directory
    of the cache) is removed.  False when the directory cannot be made."""
    top = top or cache_dir()
    for _ in range(3):
        try:
            os.makedirs(path, exist_ok=True)
            return True
        except (FileExistsError, NotADirectoryError) as exc:
            blocker = _file_in_the_way(path, top)
            if blocker is None:
                return False
            _fault(f"{blocker} is a file where the cache needs a directory; removing it", exc)
            try:
                os.unlink(blocker)
            except OSError:
                return False
        except OSError:
            return False
    return False


def _file_in_the_way(path, top):
    if not top:
        return None
    top = os.path.abspath(top)
    p = os.path.abspath(path)
    while p == top or p.startswith(top + os.sep):
        if os.path.lexists(p) and not os.path.isdir(p):
            return p
        p = os.path.dirname(p)
    return None


# -- fingerprints -----------------------------------------------------------
def fingerprint(*parts):
    """A short stable hash of strings, bytes and functions.

    A function counts with everything a Numba kernel inlines from it: its code
    and, recursively, the globals it names (constants, helper functions, and
    the attributes it uses of modules of its own package), its closure cells
    and its defaults.  Example: ``fingerprint(lambda x: x * _SCALE)`` changes
    when ``_SCALE`` does.
    """
    h = hashlib.sha1()
    for p in parts:
        if isinstance(p, str):
            p = p.encode()
        elif callable(p) and hasattr(p, "__code__"):
            p = _Walker(p).function(p)
        h.update(p)
        h.update(b"\0")
    return h.hexdigest()[:16]


def _code_bytes(code):
    out = [code.co_code, repr(code.co_names).encode(), repr(code.co_varnames).encode()]
    for c in code.co_consts:
        out.append(_code_bytes(c) if isinstance(c, types.CodeType) else repr(c).encode())
    return b"|".join(out)


def _code_names(code, out):
    for n in code.co_names:
        if n not in out:
            out.append(n)
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            _code_names(c, out)
    return out


def _top(modname):
    return (modname or "").partition(".")[0]


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


class _Walker:
    """One fingerprint's walk over a function's closure of globals.  Functions
    of nbgrad and of the root function's own package are followed; others
    (NumPy, math, Numba) count by name.  Objects already seen count by their
    position in the walk, which is the same in every process."""

    def __init__(self, root):
        self.own = {"nbgrad", "__main__", _top(getattr(root, "__module__", ""))}
        self.seen = {}

    def function(self, fn):
        if id(fn) in self.seen:
            return b"<seen %d>" % self.seen[id(fn)]
        self.seen[id(fn)] = len(self.seen)
        code = fn.__code__
        names = _code_names(code, [])
        out = [_code_bytes(code)]
        glob = getattr(fn, "__globals__", {})
        for n in names:
            if n in glob:
                out.append(n.encode() + b"=" + self.value(glob[n], names))
        for cell in fn.__closure__ or ():
            try:
                v = cell.cell_contents
            except ValueError:   # an empty cell
                v = None
            out.append(b"cell=" + self.value(v, names))
        out.append(b"defaults=" + self.value(fn.__defaults__, names))
        kw = sorted((fn.__kwdefaults__ or {}).items())
        out.append(b"kwdefaults=" + self.value(tuple(kw), names))
        return b"|".join(out)

    def value(self, v, names):
        if v is None or isinstance(v, (bool, int, float, complex, str, bytes, np.generic)):
            return type(v).__name__.encode() + b":" + repr(v).encode()
        if isinstance(v, tuple):
            return b"(" + b",".join(self.value(x, names) for x in v) + b")"
        if isinstance(v, np.ndarray):
            # Numba freezes a global array into the kernel
            return f"array:{v.dtype.str}:{v.shape}:".encode() + \
                hashlib.sha1(np.ascontiguousarray(v).tobytes()).digest()
        if isinstance(v, (list, dict, set)):
            # mutable: Numba cannot inline it, and its contents change as a
            # program runs (a memo list) -- the key must not
            return type(v).__name__.encode()
        if isinstance(v, types.ModuleType):
            return self.module(v, names)
        if isinstance(v, types.FunctionType):
            if _top(v.__module__) in self.own:
                return b"fn:" + self.function(v)
            return f"fn:{v.__module__}.{v.__qualname__}".encode()
        py_func = getattr(v, "py_func", None)
        if isinstance(py_func, types.FunctionType):   # a Numba dispatcher
            opts = repr(sorted(getattr(v, "targetoptions", {}).items()))
            return b"jit:" + opts.encode() + b":" + self.value(py_func, names)
        if isinstance(v, type):
            return f"type:{v.__module__}.{v.__qualname__}".encode()
        name = getattr(v, "__qualname__", None) or getattr(v, "__name__", None)
        if name is not None and not isinstance(name, str):
            name = None
        mod = getattr(v, "__module__", None) if name else None
        text = f"{mod}.{name}" if name else _ADDRESS.sub("", repr(v))
        return f"{type(v).__qualname__}:{text}".encode()

    def module(self, m, names):
        # seen per (module, the names of the function using it): another
        # function may use other attributes of the same module
        key = (id(m), id(names))
        if key in self.seen:
            return b"<seen %d>" % self.seen[key]
        self.seen[key] = len(self.seen)
        out = [b"module:" + m.__name__.encode()]
        if _top(m.__name__) in self.own:
            # the attributes the function may use (m.exp: 'exp' is among its names)
            for n in names:
                if n in m.__dict__:
                    out.append(n.encode() + b"=" + self.value(m.__dict__[n], names))
        return b"|".join(out)


# -- generated modules --------------------------------------------------------
_HEADER = "from nbgrad.backends.codegen import _objects\n"


def load_module(stem, source):
    """Import generated `source` as a module (from the disk cache when enabled).

    `source` may use ``CACHE`` (True when the module is backed by a cache file)
    and ``_objects[token]``; both are provided to it.  Safe to call from many
    threads at once: the module enters ``sys.modules`` only when complete.
    """
    name = f"_nbgrad_gen_{stem}_{fingerprint(source)}"
    mod = sys.modules.get(name)
    if mod is not None:
        return mod
    with _lock:
        mod = sys.modules.get(name)
        if mod is None:
            mod = _build_module(name, stem, source)
            sys.modules[name] = mod
    return mod


def _build_module(name, stem, source):
    text = _HEADER + "CACHE = True\n" + source
    path = _module_file(name, text)
    mod = types.ModuleType(name)
    if path is None:
        code = compile(_HEADER + "CACHE = False\n" + source, f"<nbgrad generated {stem}>",
                       "exec")
    else:
        # compiled from the text checked against the file, not through a .pyc:
        # a stale or swapped .pyc beside it can never run
        mod.__file__ = path
        code = compile(text, path, "exec")
    exec(code, mod.__dict__)
    return mod


def _module_file(name, text):
    """The cache file holding exactly `text` (written or repaired if needed),
    or None: compile in memory."""
    directory = cache_dir()
    if directory is None:
        return None
    path = os.path.join(directory, name + ".py")
    try:
        with open(path, encoding="utf-8") as f:
            current = f.read()
    except FileNotFoundError:
        current = None
    except (OSError, ValueError) as exc:
        current = exc
    if current == text:
        return path
    if current is not None:
        _fault(f"{path} does not hold the kernel its name says (damaged or swapped)",
               current if isinstance(current, Exception) else None)
    if not cache_writable():
        return None
    return path if _write_file(directory, path, text) else None


def _write_file(directory, path, text):
    for attempt in range(2):
        try:
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(text)
                os.replace(tmp, path)  # atomic: concurrent processes see whole files only
            except BaseException:
                _unlink_quietly(tmp)
                raise
            return True
        except FileNotFoundError as exc:
            if attempt == 0:
                _fault(f"the cache directory {directory} was removed while running; "
                       "making it again", exc)
                if _make_dir(directory, directory):
                    continue
            _fault(f"cannot write {path}", exc)
        except OSError as exc:
            _fault(f"cannot write {path}", exc)
        return False
    return False


def _unlink_quietly(path):
    try:
        os.unlink(path)
    except OSError:
        pass


def install_cache_locator():
    """Send Numba's cache of nbgrad's kernels through nbgrad's checked cache
    (`nbgrad.backends.numba_cache`); called once, when `nbgrad.backends` is imported."""
    from nbgrad.backends import numba_cache
    numba_cache.install()
