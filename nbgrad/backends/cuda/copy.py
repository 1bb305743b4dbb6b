"""Copies between host and device, into strided device views, and dtype casts.

Host <-> device transfers are numba's (``cuda.to_device`` / ``copy_to_host``)
on contiguous buffers; anything strided or broadcast, and every dtype cast,
is one launch of the identity elementwise kernel (`elementwise.run`), which
reads and writes any strides.  A same-dtype copy between two contiguous
device arrays of one shape is a device-to-device memcpy, not a kernel.
"""

import numpy as np

from nbgrad.backends.cpu import elementwise as _host
from nbgrad.backends.cuda import _numba_cuda
from nbgrad.backends.cuda import elementwise as _ew
from nbgrad.backends.cuda._numba_cuda import cuda
from nbgrad.backends.family import IDENTITY as identity

__all__ = ["to_device", "to_host", "copy_", "cast", "contiguous", "identity"]


def to_device(a, dtype=None):
    """A new device array holding host array (or scalar/list) `a`, optionally cast."""
    a = np.asarray(a)
    if (dtype is not None and a.dtype != np.dtype(dtype)) or not a.flags.c_contiguous:
        # a cast or a contiguous copy on the host, by a CPU kernel (NumPy's
        # ascontiguousarray would also turn a 0-d array into a 1-d one)
        a = _host.cast(a, a.dtype if dtype is None else np.dtype(dtype))
    if _numba_cuda.SIMULATOR or a.size == 0:
        return _numba_cuda.owned(cuda.to_device(a))
    d = _numba_cuda.empty(a.shape, a.dtype)   # from the caching allocator
    d.copy_to_device(a)
    return d


def to_host(d):
    """A new NumPy array with the values of device array `d` (any strides)."""
    if not d.is_c_contiguous():
        d = contiguous(d)
    return d.copy_to_host()


def contiguous(d):
    """`d` itself when C-contiguous, else a contiguous device copy (one launch)."""
    if d.is_c_contiguous():
        return d
    return _ew.run(identity, [d], [d.dtype], tuple(d.shape))[0]


def cast(d, dtype):
    """A new contiguous device array with `d`'s values converted to `dtype`."""
    return _ew.run(identity, [d], [np.dtype(dtype)], tuple(d.shape))[0]


def copy_(dst, src):
    """Write `src` (a device array, host array or scalar broadcastable to `dst`,
    any dtype) into device array `dst` (any strides, e.g. a view); returns dst."""
    shape = tuple(dst.shape)
    if isinstance(src, np.ndarray):
        src = to_device(src)
    elif not _numba_cuda.is_device_array(src):  # a scalar: kernel argument, in dst's dtype
        src = dst.dtype.type(src)
        _ew.run(identity, [src], [dst.dtype], shape, outs=[dst])
        return dst
    if (src.dtype == dst.dtype and tuple(src.shape) == shape and src.is_c_contiguous()
            and dst.is_c_contiguous()):
        if dst.size:
            dst.copy_to_device(src)
        return dst
    _ew.run(identity, [src], [dst.dtype], shape, outs=[dst])
    return dst
