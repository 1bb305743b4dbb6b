"""Which backend runs a kernel: the CPU's, or the CUDA one (imported on first use).

Ops choose by the tensor's device, or by the buffer itself (a NumPy array
lives on the host; anything else here is a numba device array)::

    backend(device).reduce.sum_arb(...)   # the module of that device's backend
    run_for(device)(family, args, ...)     # the elementwise run of that device
    run(family, args, ...)                 # the same, chosen by the arrays
    cast(a, dtype)                         # a converted copy, where `a` lives

and the buffer helpers below (`empty`, `reshape`, `transpose`, `getitem`...)
make views and allocations with NumPy on the host and with
`nbgrad.backends.cuda.array` on the device.  Each tests the array's class
once, so the CPU path costs one comparison more than NumPy itself.

Nothing here imports numba.cuda until a device array or a CUDA device is met:
a CPU-only install never needs numba-cuda.
"""

import types

import numpy as np

from nbgrad.backends.cpu import creation as _cpu_creation
from nbgrad.backends.cpu import elementwise as _cpu_elementwise

__all__ = ["backend", "cuda", "run_for", "run", "cast", "on_device", "on_host", "is_contiguous",
           "empty", "empty_like", "reshape", "reshape_view", "transpose", "swapaxes",
           "expand_dims", "getitem", "as_strided", "broadcast_to", "contiguous", "copy_into",
           "fill", "to_host", "to_device", "matmul", "shares_memory", "check_device",
           "cuda_device", "address"]

_ndarray = np.ndarray
_cuda = []
_cpu = []


def cuda():
    """The CUDA backend's modules as one namespace (imports numba.cuda on first call)."""
    if not _cuda:
        from nbgrad.backends.cuda import array, copy, creation, elementwise, interop, launch
        from nbgrad.backends.cuda import matmul, movement, nn, reduce
        _cuda.append(types.SimpleNamespace(
            name="cuda", elementwise=elementwise, reduce=reduce, creation=creation,
            movement=movement, nn=nn, array=array, copy=copy, matmul=matmul,
            interop=interop, launch=launch))
    return _cuda[0]


def _cpu_ns():
    if not _cpu:
        from nbgrad.backends.cpu import movement, nn, reduce
        _cpu.append(types.SimpleNamespace(
            name="cpu", elementwise=_cpu_elementwise, reduce=reduce, creation=_cpu_creation,
            movement=movement, nn=nn))
    return _cpu[0]


def backend(device):
    """The backend namespace of `device` (``.elementwise``, ``.reduce``, ``.creation``,
    ``.movement``, ``.nn``; the CUDA one also ``.array``, ``.copy``, ``.matmul``)."""
    if device.type == "cpu":
        return _cpu_ns()
    return cuda()


def check_device(device):
    """RuntimeError (PyTorch's words) unless `device` can hold tensors here."""
    if device.type != "cuda":
        return device
    from nbgrad import cuda as nbcuda
    if not nbcuda.is_available():
        why = nbcuda._error[0] if nbcuda._error else "no CUDA device or driver was found"
        raise RuntimeError(f"Torch not compiled with CUDA enabled: device {device} is not "
                           f"available ({why})")
    index = device.index or 0
    if index != nbcuda.current_device():
        raise RuntimeError(f"CUDA error: invalid device ordinal: nbgrad runs on the current "
                           f"CUDA device only (cuda:{nbcuda.current_device()}), got {device}; "
                           "use nb.cuda.set_device() first")
    return device


def cuda_device():
    """The CUDA device nbgrad runs on (the current one)."""
    from nbgrad._device import device
    from nbgrad import cuda as nbcuda
    return device("cuda", nbcuda.current_device())


def run_for(device):
    """The elementwise ``run(family, args, out_dtypes, shape, outs=None)`` of `device`."""
    if device.type == "cpu":
        return _cpu_elementwise.run
    return cuda().elementwise.run


def _host(a):
    # NumPy subclasses and NumPy scalars (np.matmul of two vectors gives one)
    return isinstance(a, (np.ndarray, np.generic))


def on_device(a):
    """True for a device array (anything but a NumPy array or scalar)."""
    return a.__class__ is not _ndarray and not _host(a)


def on_host(a):
    """True for a NumPy array (or scalar): the buffer of a CPU tensor."""
    return a.__class__ is _ndarray or _host(a)


def _first_array(args, outs):
    """True when the first array among `args` (or `outs`) is a device array."""
    for a in args:
        if a.__class__ is _ndarray:
            return False
        if isinstance(a, (np.generic, int, float, bool)):
            continue   # a scalar argument: look further
        return not isinstance(a, np.ndarray)
    if outs:
        return on_device(outs[0])
    return False


def run(family, args, out_dtypes, shape, outs=None):
    """The elementwise run of the backend where the array arguments live."""
    if _first_array(args, outs):
        return cuda().elementwise.run(family, args, out_dtypes, shape, outs)
    return _cpu_elementwise.run(family, args, out_dtypes, shape, outs)


def _np_dtype(dtype):
    if isinstance(dtype, np.dtype):
        return dtype
    return dtype.np if hasattr(dtype, "np") else np.dtype(dtype)


def cast(a, dtype):
    """A copy of array `a` converted to `dtype` (nbgrad or NumPy), made by a
    kernel of the backend where `a` lives."""
    if a.__class__ is _ndarray or _host(a):
        from nbgrad.ops.elementwise import cast_array
        from nbgrad import _dtypes
        return cast_array(a, dtype if hasattr(dtype, "np") else
                          _dtypes.from_numpy_dtype(np.dtype(dtype)))
    return cuda().copy.cast(a, _np_dtype(dtype))


# -- buffer helpers: NumPy on the host, nbgrad.backends.cuda.array on the device ---------
def is_contiguous(a):
    """True when `a` is C-contiguous."""
    if a.__class__ is _ndarray or _host(a):
        return a.flags.c_contiguous
    return a.is_c_contiguous()


def empty(shape, dtype, like=None, device=None):
    """A new uninitialised array of `shape` and `dtype` where `like` lives (or on
    `device`; the host when neither is given)."""
    if like.__class__ is _ndarray:
        host = True
    elif like is not None:
        host = _host(like)
    else:
        host = device is None or device.type == "cpu"
    if host:
        try:
            return np.empty(shape, _np_dtype(dtype))
        except (MemoryError, ValueError):   # PyTorch's RuntimeError instead
            return _cpu_creation.empty(shape, _np_dtype(dtype))
    return cuda().array.empty(shape, _np_dtype(dtype))


def empty_like(a, dtype=None):
    """A new array with `a`'s shape, and its dtype unless `dtype` is given, where `a` lives."""
    return empty(a.shape, a.dtype if dtype is None else dtype, like=a)


def reshape(a, shape):
    """`a` with `shape`: a view when the strides allow, else a copy (NumPy's reshape)."""
    if a.__class__ is _ndarray or _host(a):
        return a.reshape(shape)
    return cuda().array.reshape(a, _resolve(shape, a.size))


def _resolve(shape, size):
    if isinstance(shape, int):
        shape = (shape,)
    shape = tuple(int(s) for s in shape)
    if -1 in shape:
        known = 1
        for s in shape:
            if s != -1:
                known *= s
        shape = tuple(size // known if s == -1 else s for s in shape)
    return shape


def reshape_view(a, shape):
    """`a` seen with `shape` without a copy, or None when no strides can express it."""
    if a.__class__ is _ndarray or _host(a):
        v = a.view()
        try:
            v.shape = shape
        except AttributeError:
            return None
        return v
    return cuda().array.reshape_view(a, _resolve(shape, a.size))


def transpose(a, axes=None):
    """`a` with its dimensions permuted (a view)."""
    if a.__class__ is _ndarray or _host(a):
        return a.transpose(axes)
    return cuda().array.transpose(a, axes)


def swapaxes(a, d0, d1):
    """`a` with two dimensions exchanged (a view)."""
    if a.__class__ is _ndarray or _host(a):
        return a.swapaxes(d0, d1)
    return cuda().array.swapaxes(a, d0, d1)


def expand_dims(a, d):
    """`a` with a new dimension of size 1 at `d` (a view)."""
    if a.__class__ is _ndarray or _host(a):
        return np.expand_dims(a, d)
    return cuda().array.expand_dims(a, d)


def getitem(a, key):
    """``a[key]`` for a basic key (a view)."""
    if a.__class__ is _ndarray or _host(a):
        return a[key]
    return cuda().array.getitem(a, key)


def as_strided(a, shape, strides):
    """A view of `a` with the given shape and byte strides (element 0 stays)."""
    if a.__class__ is _ndarray or _host(a):
        return np.lib.stride_tricks.as_strided(a, shape, strides)
    return cuda().array.as_strided(a, shape, strides)


def broadcast_to(a, shape):
    """`a` broadcast to `shape` (a read-only view on the host)."""
    if a.__class__ is _ndarray or _host(a):
        return np.broadcast_to(a, shape)
    return cuda().array.broadcast_to(a, shape)


def contiguous(a):
    """`a` when C-contiguous, else a contiguous copy (a kernel)."""
    if is_contiguous(a):
        return a
    return cast(a, a.dtype)


def copy_into(dst, src):
    """Write array `src` (broadcastable, any dtype) or a scalar into the view `dst`."""
    run(_identity(), [src], [dst.dtype], tuple(dst.shape), outs=[dst])
    return dst


def fill(a, value):
    """Set every element of array `a` (any strides) to `value`."""
    if a.__class__ is _ndarray or _host(a):
        if a.size:
            if a.flags.c_contiguous:
                _cpu_creation.fill(a.reshape(-1), a.dtype.type(value))
            else:
                copy_into(a, a.dtype.type(value))
        return a
    if a.size:
        cuda().creation.fill(a, a.dtype.type(value))
    return a


def to_host(a):
    """The values of `a` as a NumPy array (`a` itself on the host; a copy from the device)."""
    if a.__class__ is _ndarray or _host(a):
        return a
    return cuda().array.to_host(a)


def to_device(a, device, dtype=None):
    """Host array `a` on `device` (a copy; `a` itself for the CPU)."""
    if device.type == "cpu":
        return a
    return cuda().array.to_device(a, dtype)


def matmul(a, b):
    """``a @ b`` with NumPy's rank rules: BLAS through NumPy on the host, the tiled
    kernel of `nbgrad.backends.cuda.matmul` on the device."""
    if a.__class__ is _ndarray or _host(a):
        return np.matmul(a, b)
    return cuda().matmul.matmul_nd(a, b)


def address(a):
    """The address of array `a`'s first element (host or device memory)."""
    if a.__class__ is _ndarray or _host(a):
        return a.__array_interface__["data"][0]
    return cuda().array.address(a)


def shares_memory(a, b):
    """True if arrays `a` and `b` may share memory (always False across devices)."""
    ha, hb = _host(a), _host(b)
    if ha and hb:
        return np.may_share_memory(a, b)
    if ha or hb:
        return False
    return cuda().array.shares_memory(a, b)


_ident = []


def _identity():
    if not _ident:
        from nbgrad.ops.elementwise import _identity as fam
        _ident.append(fam)
    return _ident[0]
