"""Host buffers under the backend API's names: allocations, views, copies and
moves of NumPy arrays (the twin of `nbgrad.backends.cuda.array`).

NumPy allocates and makes views here; every copy that converts or rearranges
values is the identity kernel (`nbgrad.backends.cpu.elementwise`), so NumPy
never computes.  A NumPy scalar (``np.matmul`` of two vectors gives one) counts
as a host array.
"""

import numpy as np

from nbgrad.backends.cpu import creation
from nbgrad.backends.cpu.elementwise import cast, run
from nbgrad.backends.family import IDENTITY

__all__ = ["empty", "empty_like", "is_contiguous", "contiguous", "cast", "reshape",
           "reshape_view", "alias", "transpose", "swapaxes", "expand_dims", "getitem",
           "as_strided", "broadcast_to", "copy_into", "fill", "full", "to_host", "to_device",
           "address", "shares_memory", "np_dtype"]

_ndarray = np.ndarray
_HOST = (np.ndarray, np.generic)


def np_dtype(dtype):
    """The NumPy dtype of `dtype` (a NumPy dtype or type, or an nbgrad dtype)."""
    if isinstance(dtype, np.dtype):
        return dtype
    return dtype.np if hasattr(dtype, "np") else np.dtype(dtype)


def empty(shape, dtype):
    """A new uninitialised array; PyTorch's RuntimeError when memory cannot be had."""
    if not isinstance(dtype, np.dtype):   # (inline: allocation is on every op's path)
        dtype = np_dtype(dtype)
    try:
        return np.empty(shape, dtype)
    except (MemoryError, ValueError):   # PyTorch's RuntimeError instead
        return creation.empty(shape, dtype)


def empty_like(a, dtype=None):
    """A new array with `a`'s shape, and its dtype unless `dtype` is given."""
    return empty(a.shape, a.dtype if dtype is None else dtype)


def is_contiguous(a):
    """True when `a` is C-contiguous."""
    return a.flags.c_contiguous


def contiguous(a):
    """`a` when C-contiguous, else a contiguous copy (a kernel)."""
    return a if a.flags.c_contiguous else cast(a, a.dtype)


def reshape(a, shape):
    """`a` with `shape`: a view when the strides allow, else a copy (NumPy's reshape)."""
    return a.reshape(shape)


def reshape_view(a, shape):
    """`a` seen with `shape` without a copy, or None when no strides can express it."""
    if a.flags.c_contiguous:
        return a.reshape(shape)
    v = a.view()
    try:
        v.shape = shape
    except AttributeError:
        return None
    return v


def alias(a):
    """A new view of all of `a` (its own array object, the same memory)."""
    return a.view()


def transpose(a, axes=None):
    """`a` with its dimensions permuted (a view)."""
    return a.transpose(axes)


def swapaxes(a, d0, d1):
    """`a` with two dimensions exchanged (a view)."""
    return a.swapaxes(d0, d1)


def expand_dims(a, d):
    """`a` with a new dimension of size 1 at `d` (a view)."""
    return np.expand_dims(a, d)


def getitem(a, key):
    """``a[key]`` for a basic key (a view)."""
    return a[key]


def as_strided(a, shape, strides):
    """A view of `a` with the given shape and byte strides (element 0 stays)."""
    return np.lib.stride_tricks.as_strided(a, shape, strides)


def broadcast_to(a, shape):
    """`a` broadcast to `shape` (a read-only view)."""
    return np.broadcast_to(a, shape)


def copy_into(dst, src):
    """Write array `src` (broadcastable, any dtype) or a scalar into the view `dst`."""
    run(IDENTITY, [src], [dst.dtype], tuple(dst.shape), outs=[dst])
    return dst


def full(shape, dtype, value):
    """A new array of `shape` and `dtype` with every element `value` (a number, best
    a scalar of `dtype` already: the factories' path, kept free of conversions)."""
    out = empty(shape, dtype)
    if out.size:
        creation.fill(out.reshape(-1), value)
    return out


def fill(a, value):
    """Set every element of array `a` (any strides) to `value`; returns `a`."""
    if a.size:
        if a.flags.c_contiguous:
            creation.fill(a.reshape(-1), a.dtype.type(value))
        else:
            copy_into(a, a.dtype.type(value))
    return a


def to_host(a):
    """The values of `a` as a NumPy array: `a` itself."""
    return a


def to_device(a, dtype=None):
    """Host array `a` in this backend's memory: itself, or converted to `dtype`."""
    return a if dtype is None or a.dtype == np_dtype(dtype) else cast(a, dtype)


def address(a):
    """The address of array `a`'s first element."""
    return a.__array_interface__["data"][0]


def shares_memory(a, b):
    """True if host arrays `a` and `b` may share memory (False if one is not a host array)."""
    if isinstance(a, _HOST) and isinstance(b, _HOST):
        return np.may_share_memory(a, b)
    return False
