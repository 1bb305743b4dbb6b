"""Numba's on-disk cache of nbgrad's kernels, made fault-tolerant.

Numba keeps a compiled function's machine code in an index file (``.nbi``)
and data files (``.nbc``) beside its source, or in ``__pycache__``.  For
nbgrad's kernels -- the hand-written ``@njit(cache=True)`` ones of the package
and the generated modules of `codegen` -- `install` replaces that with
`_NbgradCache`, which:

- keeps the files in nbgrad's cache directory (`codegen.cache_dir`), never in
  the installed package, whatever ``NUMBA_CACHE_LOCATOR_CLASSES`` says;
- reads a cache that cannot be written (built beforehand, shared) and only
  skips saving to it;
- treats any fault as a miss: an unreadable or garbage index counts as empty,
  a data file carries a checksum and the function and key it was saved for
  (so a truncated, damaged or swapped one is never used), a file where a
  directory belongs is removed, a failed save (full disk, removed directory)
  is skipped; the kernel compiles, the entry is rewritten when possible, and
  `codegen` warns once per process.

Other Numba functions of the process keep Numba's own cache.
"""

import errno
import hashlib
import inspect
import os
import pickle
import sys
import tempfile

from numba.core import caching
from numba.core.dispatcher import Dispatcher

from nbgrad.backends.codegen import _fault, _make_dir, _package_dir, cache_dir, cache_writable


def _claims(py_file):
    """True for a file of the nbgrad package or a generated module of the cache."""
    if not os.path.isfile(py_file):
        return False
    f = os.path.abspath(py_file)
    if f.startswith(_package_dir() + os.sep):
        return True
    directory = cache_dir()
    return directory is not None and os.path.dirname(f) == directory


def _numba_cache_path(py_file):
    base = cache_dir()
    if base is None:
        return None
    f = os.path.abspath(py_file)
    if os.path.dirname(f) == base:            # a generated module
        return os.path.join(base, "__pycache__")
    rel = os.path.relpath(os.path.dirname(f), _package_dir())
    return os.path.join(base, "numba", rel.replace(os.sep, "."))


class _Locator(caching._SourceFileBackedLocatorMixin, caching._CacheLocator):
    """Where Numba keeps the machine code of one of nbgrad's kernels: in
    nbgrad's cache directory (never in the installed package), keyed by the
    module's path inside the package or by the generated module's name.
    Numba checks the source file by content hash, so every install of the
    same nbgrad shares one cache."""

    def __init__(self, py_func, py_file):
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        self.path = _numba_cache_path(py_file)    # None: no disk cache

    def get_cache_path(self):
        # Numba's index object wants a path even when the cache is off; then
        # it is never read or written
        return self.path or os.path.join(tempfile.gettempdir(), "nbgrad-no-cache")

    def ensure_cache_path(self):
        if self.path is None or not _make_dir(self.path):
            raise OSError(errno.ENOENT, "cannot make the kernel cache directory", self.path)

    def get_source_stamp(self):
        try:
            return super().get_source_stamp()
        except OSError:     # the source went away: nothing on disk can match
            self.path = None
            return None


class _CacheImpl(caching.CompileResultCacheImpl):
    """Numba's compile-result cache, located by `_Locator` only (never the
    package's ``__pycache__``, whatever NUMBA_CACHE_LOCATOR_CLASSES says)."""

    def __init__(self, py_func):
        self._lineno = py_func.__code__.co_firstlineno
        qualname = getattr(py_func, "__qualname__", py_func.__name__)
        source_path = inspect.getfile(py_func)
        self._locator = _Locator(py_func, source_path)
        modname = os.path.splitext(os.path.basename(source_path))[0]
        self._filename_base = self.get_filename_base(f"{modname}.{qualname}",
                                                     getattr(sys, "abiflags", ""))


_MAGIC = b"nbgrad-nbc-1\n"


class _CheckedCacheFile(caching.IndexDataCacheFile):
    """Numba's index and data files, where nothing damaged is ever used: a data
    file carries a checksum and the function and key it was saved for, and an
    unreadable index counts as empty (so the next save rewrites it)."""

    def __init__(self, cache_path, filename_base, source_stamp):
        super().__init__(cache_path, filename_base, source_stamp)
        self._owner = (os.path.basename(cache_path), filename_base)

    def save(self, key, data):
        super().save(key, (self._owner, key, data))

    def load(self, key):
        entry = super().load(key)
        if entry is None:
            return None
        if not (isinstance(entry, tuple) and len(entry) == 3 and entry[0] == self._owner
                and entry[1] == key):
            _fault(f"a data file of {self._index_path} holds another kernel's machine code "
                   "(swapped files?)")
            return None
        return entry[2]

    def _load_index(self):
        # Numba's own version, except that anything unexpected is reported: in
        # nbgrad's directory (named by nbgrad's sources and Numba's version)
        # an index of another source or Numba version is a damaged or
        # swapped file, never an old entry
        try:
            with open(self._index_path, "rb") as f:
                version = pickle.load(f)
                stamp, overloads = pickle.loads(f.read())
        except FileNotFoundError:
            return {}
        except Exception as exc:   # truncated or garbage: unpickling raises anything
            _fault(f"{self._index_path} is damaged", exc)
            return {}
        if version != self._version or stamp != self._source_stamp \
                or not isinstance(overloads, dict):
            _fault(f"{self._index_path} belongs to another kernel or Numba (swapped files?)")
            return {}
        return overloads

    def _save_data(self, name, data):
        blob = self._dump(data)
        with self._open_for_write(self._data_path(name)) as f:
            f.write(_MAGIC + hashlib.sha256(blob).digest() + blob)

    def _load_data(self, name):
        path = self._data_path(name)
        with open(path, "rb") as f:   # OSError: Numba counts a missing file as a miss
            raw = f.read()
        n = len(_MAGIC)
        blob = raw[n + 32:]
        if raw[:n] != _MAGIC or hashlib.sha256(blob).digest() != raw[n:n + 32]:
            _fault(f"{path} is damaged (checksum)")
            return None
        try:
            return pickle.loads(blob)
        except Exception as exc:
            _fault(f"{path} cannot be read", exc)
            return None


class _NbgradCache(caching.FunctionCache):
    """Numba's per-function cache for nbgrad's kernels: any fault loading is a
    miss (the kernel compiles), any fault saving is reported and skipped, and a
    read-only cache is read but not written."""

    _impl_class = _CacheImpl

    def __init__(self, py_func):
        super().__init__(py_func)
        loc = self._impl.locator
        self._cache_file = _CheckedCacheFile(self._cache_path, self._impl.filename_base,
                                             loc.get_source_stamp())
        if loc.path is None:
            self.disable()

    def load_overload(self, sig, target_context):
        try:
            return super().load_overload(sig, target_context)
        except Exception as exc:    # a damaged entry must cost a compile, never the op
            _fault(f"cannot load the cached machine code of {self._name}", exc)
            return None

    def save_overload(self, sig, data):
        if not cache_writable():
            return
        try:
            super().save_overload(sig, data)
        except Exception as exc:    # a full disk, a removed directory...
            _fault(f"cannot save the machine code of {self._name}", exc)


def _enable_caching(self):
    if _claims(inspect.getfile(self.py_func)):
        self._cache = _NbgradCache(self.py_func)
    else:
        Dispatcher.enable_caching(self)


def install():
    """Send Numba's cache of nbgrad's kernels (``@njit(cache=True)`` in the
    package and in generated modules) through `_NbgradCache`; other Numba
    functions keep Numba's own cache.  Kernels of nbgrad modules imported
    before are switched over (they have compiled nothing yet)."""
    from numba.core.registry import CPUDispatcher
    if CPUDispatcher.__dict__.get("enable_caching") is _enable_caching:
        return
    CPUDispatcher.enable_caching = _enable_caching
    for modname, mod in list(sys.modules.items()):
        if modname != "nbgrad" and not modname.startswith("nbgrad."):
            continue
        for obj in list(vars(mod).values()):
            if (isinstance(obj, CPUDispatcher) and type(obj._cache) is caching.FunctionCache
                    and not obj.overloads):
                obj.enable_caching()
