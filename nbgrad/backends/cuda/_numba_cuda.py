"""The one module that imports ``numba.cuda`` (the numba-cuda package).

numba-cuda is in maintenance mode, so nbgrad touches it through the names
defined here only: a switch to another CUDA binding is a change to this file.
Generated kernel modules import ``cuda`` from here too (the simulator swaps
that module object inside kernels, so it must be the ``numba.cuda`` module
itself, referred to as ``cuda.<name>`` in kernel bodies).

This module owns:
- the NumPy >= 2.5 fix for numba-cuda <= 0.30 (see `_numpy_25_fix`);
- whether we run on the CUDA simulator (``NUMBA_ENABLE_CUDASIM=1``, read by
  Numba when it is first imported) or on a real device;
- the few device-array operations whose spelling differs between the
  simulator and a real device: the type test, allocation, strided views,
  ``__cuda_array_interface__`` and DLPack import.

Importing it raises ImportError (with what to install) when numba-cuda is
missing; `nbgrad.cuda` catches that, so a CPU-only install never needs it.
"""

import importlib.metadata
import warnings

import numpy as np

__all__ = ["cuda", "cuda_random", "libdevice", "SIMULATOR", "DeviceArray",
           "NUMBA_CUDA_VERSION", "NUMPY_25_FIX_APPLIED", "is_device_array", "owned", "empty",
           "as_strided", "strided_view", "flat", "c_type", "c_strides", "device_pointer",
           "cuda_array_interface", "any_layout",
           "from_cuda_array_interface", "from_dlpack", "sm_count",
           "device_context", "current_device_id", "jit_device", "overload_cuda"]


def _version_tuple(text):
    parts = []
    for p in text.split(".")[:3]:
        digits = "".join(ch for ch in p if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


try:
    NUMBA_CUDA_VERSION = _version_tuple(importlib.metadata.version("numba-cuda"))
except importlib.metadata.PackageNotFoundError:
    NUMBA_CUDA_VERSION = None

NUMPY_25_FIX_APPLIED = False


def _numpy_25_fix():
    """Give numba-cuda <= 0.30 the ``np.row_stack`` it still names.

    NumPy 2.5 removed ``np.row_stack`` (an alias of ``np.vstack`` since 2.0,
    deprecated).  numba-cuda 0.30.x registers a typing overload for it,
    unguarded, in ``numba/cuda/np/arrayobj.py`` (``overload(np.row_stack)``),
    a module imported when the CUDA target context is first built, i.e. at
    the first kernel compile.  That attribute access is the only failure: with
    the alias present, every numba-cuda 0.30.4 module imports under NumPy
    2.5.5 and kernels type and lower (checked).  The alias is a distinct
    function (not ``np.vstack`` itself) so that Numba's registry does not get
    a second template for ``np.vstack``.  Numba's own CPU target already
    guards this (numba >= 0.68), and later numba-cuda releases are expected
    to, so the fix is applied only to numba-cuda < 0.31.
    """
    global NUMPY_25_FIX_APPLIED
    if _version_tuple(np.__version__) < (2, 5) or hasattr(np, "row_stack"):
        return
    if NUMBA_CUDA_VERSION is None or NUMBA_CUDA_VERSION >= (0, 31):
        return

    def row_stack(tup, *, dtype=None, casting="same_kind"):
        """Removed in NumPy 2.5; restored by nbgrad for numba-cuda <= 0.30."""
        return np.vstack(tup, dtype=dtype, casting=casting)

    np.row_stack = row_stack
    NUMPY_25_FIX_APPLIED = True


_numpy_25_fix()

try:
    from numba import cuda
except ImportError as e:  # numba-cuda missing, or its CUDA bindings missing
    raise ImportError(
        "nbgrad's CUDA backend needs the numba-cuda package (and NVIDIA's CUDA Python "
        "bindings): pip install 'nbgrad[cuda]' or pip install 'numba-cuda[cu12]' "
        f"(cu13 for a CUDA 13 driver). Import failed with: {e}") from e

if NUMBA_CUDA_VERSION is None:
    # numba.cuda imported without the numba-cuda distribution: Numba's old
    # built-in CUDA target (numba < 0.61), which nbgrad does not support
    raise ImportError("nbgrad's CUDA backend needs the numba-cuda package "
                      "(pip install 'numba-cuda[cu12]'); Numba's built-in CUDA target is "
                      "deprecated and unsupported")

from numba.cuda.core import config as _cuda_config  # noqa: E402

try:
    from numba.cuda.core.errors import NumbaPerformanceWarning as PerformanceWarning  # noqa: F401
except ImportError:  # another layout of numba-cuda: Numba's own class
    from numba.core.errors import NumbaPerformanceWarning as PerformanceWarning  # noqa: F401

SIMULATOR = bool(_cuda_config.ENABLE_CUDASIM)

if SIMULATOR:
    from numba.cuda.simulator.cudadrv.devicearray import FakeCUDAArray as DeviceArray
    with warnings.catch_warnings():
        # on the simulator numba.cuda.random declares object-mode jits (deprecated)
        warnings.simplefilter("ignore")
        from numba.cuda import random as cuda_random  # xoroshiro128+ generators
    libdevice = None  # kernels run as Python: no libdevice
else:
    from numba.cuda import libdevice  # CUDA's math library (__nv_expf, ...)
    from numba.cuda import random as cuda_random
    from numba.cuda import types as _types
    from numba.cuda.cudadrv.devicearray import DeviceNDArray as DeviceArray
    from numba.cuda.np.numpy_support import from_dtype as _from_dtype
    MemoryPointer = cuda.MemoryPointer


def is_device_array(a):
    """True for a numba device array (a DeviceNDArray, or the simulator's)."""
    return isinstance(a, DeviceArray)


def owned(a, base=None):
    """Set NumPy's ``base`` on device array `a`: None when it owns its buffer, else
    the array (or exporter) whose memory it views.  nbgrad reads ``a.base`` as
    NumPy's (the autograd engine hands an owning gradient buffer to ``.grad``
    without a copy); numba's device arrays have no such attribute, so every
    device array nbgrad makes gets one here.  Returns `a`."""
    a.base = base
    return a


def empty(shape, dtype):
    """A new uninitialised C-contiguous device array (owning its buffer), from
    the caching allocator on a GPU (`nbgrad.backends.cuda.allocator`)."""
    if SIMULATOR:
        return owned(cuda.device_array(shape, dtype=np.dtype(dtype)))
    return owned(_allocator.empty(shape, dtype))


def c_strides(shape, itemsize):
    """The strides of a C-contiguous array of `shape`."""
    out = []
    step = itemsize
    for n in reversed(shape):
        out.append(step)
        step *= max(n, 1)
    return tuple(reversed(out))


_c_types = {}   # (dtype, ndim) -> numba type of a C-contiguous device array


def c_type(dtype, ndim):
    """The numba type of a C-contiguous device array (what numba's own
    ``_numba_type_`` computes per array, each time: cached here)."""
    key = (dtype, ndim)
    t = _c_types.get(key)
    if t is None:
        t = _c_types[key] = _types.Array(_from_dtype(dtype), ndim, "C")
    return t


def flat(a, n):
    """C-contiguous device array `a` of `n` elements as a 1-D array (a view;
    `a` itself when already 1-D), typed without numba's per-array typing."""
    if a.ndim == 1:
        return a
    if SIMULATOR:
        return a.reshape(n)
    v = DeviceArray((n,), (a.dtype.itemsize,), a.dtype, stream=a.stream, gpu_data=a.gpu_data)
    v.__dict__["_numba_type_"] = c_type(a.dtype, 1)
    return v


def as_strided(a, shape, strides):
    """A view of device array `a` with the given shape and byte strides.

    Like ``np.lib.stride_tricks.as_strided``: strides may be 0 (broadcast);
    element (0, ..., 0) of the view is `a`'s first element.  The caller makes
    sure every element it reads lies inside `a`'s buffer.  This is how to make
    transposes and permutations of device arrays: numba's own
    ``DeviceNDArray.T`` is not a view but a copy made by a kernel.
    """
    return strided_view(a, 0, shape, strides)


def strided_view(a, offset, shape, strides):
    """A view of device array `a` whose first element lies `offset` bytes after
    `a`'s first element, with the given shape and byte strides (>= 0).

    Every view nbgrad makes of a device array (reshape, transpose, slicing,
    expand, diagonals) is one of these: a pointer into the same allocation
    and a layout, typed 'A' so that kernels compile once for any strides.
    Negative strides are refused (a flip is a copy on the device).
    """
    shape = tuple(int(s) for s in shape)
    strides = tuple(int(s) for s in strides)
    offset = int(offset)
    if any(s < 0 for s in strides) or offset < 0:
        raise ValueError(f"strided_view: negative strides or offset are not supported on "
                         f"the device (strides {strides}, offset {offset})")
    if SIMULATOR:
        if 0 in shape:
            return owned(DeviceArray(np.empty(shape, a.dtype), stream=a.stream))
        if offset == 0:
            return owned(DeviceArray(np.lib.stride_tricks.as_strided(a._ary, shape, strides),
                                     stream=a.stream), a)
        desc = {"shape": shape, "strides": strides, "typestr": a.dtype.str,
                "data": (a._ary.__array_interface__["data"][0] + offset, False)}
        out = _host_view_of_pointer(desc, a)
        out.stream = a.stream
        return owned(out, a)
    if 0 in shape:
        return owned(cuda.device_array(shape, dtype=a.dtype, stream=a.stream))
    # a DeviceNDArray's gpu_data starts at its first element (views made by
    # slicing point their gpu_data at their own extent), and a new array over
    # the same MemoryPointer keeps the allocation alive
    data = a.gpu_data if offset == 0 else a.gpu_data.view(offset)
    view = DeviceArray(shape, strides, a.dtype, stream=a.stream, gpu_data=data)
    # Type every strided view as layout 'A': numba would type a view that
    # happens to be contiguous as 'C' and compile the kernel again for it
    # (one specialisation per combination of layouts).  _numba_type_ is a
    # cached_property, so the instance dict entry is what numba reads.
    view.__dict__["_numba_type_"] = _types.Array(_from_dtype(a.dtype), len(shape), "A")
    return owned(view, a)


def device_pointer(a):
    """The address of device array `a`'s first element (0 for an empty array)."""
    if SIMULATOR:
        return a._ary.__array_interface__["data"][0]
    return a.device_ctypes_pointer.value or 0


def cuda_array_interface(a):
    """The ``__cuda_array_interface__`` (version 3) of device array `a`."""
    if not SIMULATOR:
        return a.__cuda_array_interface__
    contiguous = a.is_c_contiguous()
    return {"shape": tuple(a.shape), "strides": None if contiguous else tuple(a.strides),
            "typestr": a.dtype.str, "data": (device_pointer(a), False), "version": 3,
            "stream": None}


def any_layout(a):
    """`a` as a view typed with layout 'A' (kernels taking any strides compile once)."""
    return as_strided(a, a.shape, a.strides)


def _host_view_of_pointer(desc, owner):
    """The simulator's device memory is host memory: view a CAI pointer there."""
    import ctypes

    dtype = np.dtype(desc["typestr"])
    shape = tuple(int(s) for s in desc["shape"])
    strides = desc.get("strides")
    if strides is None:  # C-contiguous
        strides, step = [], dtype.itemsize
        for s in reversed(shape):
            strides.append(step)
            step *= s
        strides = strides[::-1]
    strides = tuple(int(s) for s in strides)
    if any(s < 0 for s in strides):
        raise ValueError("as_device_array: negative strides are not supported on the simulator")
    if 0 in shape:
        arr = np.empty(shape, dtype)
    else:
        nbytes = dtype.itemsize + sum((n - 1) * s for n, s in zip(shape, strides))
        buf = (ctypes.c_char * nbytes).from_address(desc["data"][0])
        arr = np.ndarray(shape, dtype, buffer=buf, strides=strides)
    out = DeviceArray(arr)
    out._nbgrad_owner = owner  # the exporter must outlive the view
    return out


def from_cuda_array_interface(obj):
    """A zero-copy device array over `obj`'s ``__cuda_array_interface__``."""
    if SIMULATOR:
        return owned(_host_view_of_pointer(obj.__cuda_array_interface__, obj), obj)
    return owned(cuda.as_cuda_array(obj), obj)


def from_dlpack(obj):
    """A zero-copy device array over a DLPack exporter (an object with ``__dlpack__``).

    numba-cuda 0.30 has no public ``from_dlpack``; it reads DLPack through
    cuda.core's StridedMemoryView (which it uses to accept DLPack kernel
    arguments), so we do the same and rebuild a DeviceNDArray from the view.
    """
    from cuda.core.utils import StridedMemoryView

    # stream_ptr=-1: the producer does not synchronise; the caller owns ordering
    smv = StridedMemoryView.from_dlpack(obj, stream_ptr=-1)
    dtype = np.dtype(smv.dtype)
    shape = tuple(smv.shape)
    strides = smv.strides
    if strides is not None:
        strides = tuple(s * dtype.itemsize for s in strides)  # elements -> bytes
    if not SIMULATOR and not smv.is_device_accessible:
        raise TypeError("from_dlpack: the DLPack tensor lives in host memory; "
                        "copy it with to_device() instead")
    desc = {"shape": shape, "strides": strides, "typestr": dtype.str,
            "data": (smv.ptr, smv.readonly), "version": 3}
    if SIMULATOR:
        return owned(_host_view_of_pointer(desc, obj), obj)
    return owned(cuda.from_cuda_array_interface(desc, owner=obj, sync=False), obj)


_sm_count = []


def sm_count():
    """Streaming multiprocessors on the current device (4 on the simulator)."""
    if not _sm_count:
        if SIMULATOR:
            _sm_count.append(4)
        else:
            _sm_count.append(int(cuda.get_current_device().MULTIPROCESSOR_COUNT))
    return _sm_count[0]


def current_device_id():
    """The index of the current CUDA device (0 on the simulator)."""
    if SIMULATOR:
        return 0
    return int(cuda.get_current_device().id)


def device_context(index):
    """A context manager making device `index` current (``with device_context(1): ...``)."""
    return cuda.gpus[index]


def jit_device(fn):
    """`fn` compiled as a CUDA device function (``cuda.jit(device=True)``)."""
    return cuda.jit(device=True)(fn)


def overload_cuda(py_fn, typer):
    """Register `typer` (as for ``numba.extending.overload``) for CUDA kernels only.

    numba orders target-specific templates before target-less ones, so this
    wins over a numba.core overload of the same function inside kernels.
    See `nbgrad.backends.cuda.vocabulary` for why nbgrad needs it.
    """
    from numba.cuda.extending import overload
    overload(py_fn, target="cuda", inline="always")(typer)


if not SIMULATOR:
    # the caching allocator uses this module's names (at call time only)
    from nbgrad.backends.cuda import allocator as _allocator  # noqa: E402
