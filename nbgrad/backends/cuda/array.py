"""Views, allocations and copies of device arrays, under NumPy's names (the
backend API's array helpers: the twin of `nbgrad.backends.cpu.array`).

The ops (`nbgrad.ops`) shape their buffers with a few NumPy array methods:
reshape, transpose, basic indexing, expand, ``flags.c_contiguous``.  numba's
device arrays have only some of these, and differently (``DeviceNDArray.T``
and ``transpose`` copy with a kernel; ``reshape`` refuses non-contiguous
arrays), so this module gives each its device twin, built on one primitive,
`_numba_cuda.strided_view` (a pointer into the same allocation and a
layout).  Views never move data; where NumPy would copy (a reshape that no
strides can express), the copy is one identity kernel.

Strides stay non-negative on the device: a negative step slice raises, and
``flip`` copies with a gather kernel instead (`nbgrad.backends.cuda.movement`).
"""

import numpy as np

from nbgrad.backends.cuda import _numba_cuda as nc
from nbgrad.backends.family import IDENTITY

__all__ = ["empty", "empty_like", "is_contiguous", "view", "alias", "as_strided", "reshape",
           "reshape_view", "transpose", "swapaxes", "expand_dims", "getitem", "broadcast_to",
           "ravel", "contiguous", "cast", "copy_into", "fill", "full", "to_device", "to_host",
           "c_strides", "shares_memory", "address", "np_dtype"]

as_strided = nc.as_strided
c_strides = nc.c_strides


def np_dtype(dtype):
    """The NumPy dtype of `dtype` (a NumPy dtype or type, or an nbgrad dtype)."""
    if isinstance(dtype, np.dtype):
        return dtype
    return dtype.np if hasattr(dtype, "np") else np.dtype(dtype)


def empty(shape, dtype):
    """A new uninitialised C-contiguous device array; PyTorch's RuntimeError when
    its byte size does not fit in an int64."""
    shape, dtype = tuple(int(s) for s in shape), np_dtype(dtype)
    nbytes = dtype.itemsize
    for s in shape:
        nbytes *= s
    if nbytes >= 1 << 63:
        from nbgrad.backends.cpu.creation import size_error
        raise size_error(shape)
    return nc.empty(shape, dtype)


def empty_like(a, dtype=None):
    """A new device array with `a`'s shape, and its dtype unless `dtype` is given."""
    return empty(a.shape, a.dtype if dtype is None else dtype)


def is_contiguous(a):
    """True when device array `a` is C-contiguous."""
    return a.is_c_contiguous()


def view(a, offset, shape, strides):
    """A view of `a` starting `offset` bytes after its first element."""
    return nc.strided_view(a, offset, shape, strides)


def alias(a):
    """A new view of all of `a` (its own array object, the same memory)."""
    return nc.as_strided(a, a.shape, a.strides)


def _nocopy_strides(shape, strides, new_shape, itemsize):
    """The strides that show an array of (shape, strides) as `new_shape`
    without a copy, or None: NumPy's ``_attempt_nocopy_reshape``."""
    old = [(n, s) for n, s in zip(shape, strides) if n != 1]
    oldnd, newnd = len(old), len(new_shape)
    new_strides = [0] * newnd
    oi, oj, ni, nj = 0, 1, 0, 1
    while ni < newnd and oi < oldnd:
        np_, op = new_shape[ni], old[oi][0]
        while np_ != op:
            if np_ < op:
                np_ *= new_shape[nj]
                nj += 1
            else:
                op *= old[oj][0]
                oj += 1
        for ok in range(oi, oj - 1):
            if old[ok][1] != old[ok + 1][0] * old[ok + 1][1]:
                return None
        new_strides[nj - 1] = old[oj - 1][1]
        for nk in range(nj - 1, ni, -1):
            new_strides[nk - 1] = new_strides[nk] * new_shape[nk]
        ni, nj, oi, oj = nj, nj + 1, oj, oj + 1
    last = new_strides[ni - 1] if ni >= 1 else itemsize
    for nk in range(ni, newnd):
        new_strides[nk] = last
    return tuple(new_strides)


def reshape_view(a, shape):
    """`a` seen with `shape` (same size) without a copy, or None if no strides can."""
    shape = _resolve(shape, a.size)
    if a.size == 0 or a.is_c_contiguous():
        return nc.strided_view(a, 0, shape, c_strides(shape, a.dtype.itemsize))
    strides = _nocopy_strides(tuple(a.shape), tuple(a.strides), shape, a.dtype.itemsize)
    return None if strides is None else nc.strided_view(a, 0, shape, strides)


def contiguous(a):
    """`a` itself when C-contiguous, else a contiguous copy (one kernel)."""
    if a.is_c_contiguous():
        return a
    from nbgrad.backends.cuda import copy
    return copy.contiguous(a)


def _resolve(shape, size):
    """`shape` as a tuple of ints, a -1 replaced by what `size` leaves for it."""
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


def cast(a, dtype):
    """A new contiguous device array with `a`'s values converted to `dtype` (one launch)."""
    from nbgrad.backends.cuda import copy
    return copy.cast(a, np_dtype(dtype))


def copy_into(dst, src):
    """Write `src` (a device array broadcastable to `dst`, any dtype, or a scalar)
    into the device view `dst` with the identity kernel; returns dst."""
    from nbgrad.backends.cuda import elementwise
    elementwise.run(IDENTITY, [src], [dst.dtype], tuple(dst.shape), outs=[dst])
    return dst


def fill(a, value):
    """Set every element of device array `a` (any strides) to `value`; returns `a`."""
    if a.size:
        from nbgrad.backends.cuda import creation
        creation.fill(a, a.dtype.type(value))
    return a


def full(shape, dtype, value):
    """A new device array of `shape` and `dtype` with every element `value`."""
    return fill(empty(shape, dtype), value)


def reshape(a, shape):
    """`a` with a new shape (one -1 inferred): a view, or a copy as NumPy would."""
    shape = _resolve(shape, a.size)
    v = reshape_view(a, shape)
    return v if v is not None else reshape_view(contiguous(a), shape)


def ravel(a):
    """A 1-D view (or contiguous copy) of `a`."""
    return reshape(a, (a.size,))


def transpose(a, axes=None):
    """`a` with its dimensions permuted (a view)."""
    shape, strides = tuple(a.shape), tuple(a.strides)
    if axes is None:
        axes = tuple(range(len(shape)))[::-1]
    return nc.strided_view(a, 0, [shape[d] for d in axes], [strides[d] for d in axes])


def swapaxes(a, d0, d1):
    """`a` with dimensions d0 and d1 exchanged (a view)."""
    axes = list(range(len(a.shape)))
    axes[d0], axes[d1] = axes[d1], axes[d0]
    return transpose(a, axes)


def expand_dims(a, d):
    """`a` with a new dimension of size 1 at `d` (a view)."""
    shape, strides = list(a.shape), list(a.strides)
    step = strides[d] * shape[d] if d < len(shape) else a.dtype.itemsize
    shape.insert(d, 1)
    strides.insert(d, step)
    return nc.strided_view(a, 0, shape, strides)


def broadcast_to(a, shape):
    """`a` broadcast to `shape` with stride-0 dimensions (a view)."""
    shape = tuple(int(s) for s in shape)
    lead = len(shape) - len(a.shape)
    strides = [0] * lead
    for n, s, want in zip(a.shape, a.strides, shape[lead:]):
        strides.append(0 if n == 1 and want != 1 else s)
    return nc.strided_view(a, 0, shape, strides)


def getitem(a, key):
    """``a[key]`` for a basic key (ints, slices with a positive step, None,
    one Ellipsis) as a view; an all-int key gives a 0-d view, not a scalar."""
    if not isinstance(key, tuple):
        key = (key,)
    shape, strides = tuple(a.shape), tuple(a.strides)
    used = sum(1 for k in key if k is not None and k is not Ellipsis)
    out_shape, out_strides = [], []
    offset = 0
    d = 0
    for k in key:
        if k is Ellipsis:
            for _ in range(len(shape) - used):
                out_shape.append(shape[d])
                out_strides.append(strides[d])
                d += 1
            used = len(shape)   # a second Ellipsis selects nothing
        elif k is None:
            out_shape.append(1)
            out_strides.append(0)
        elif isinstance(k, slice):
            start, stop, step = k.indices(shape[d])
            if step < 0:
                raise ValueError("getitem: negative steps are not supported on the device "
                                 "(use flip)")
            n = len(range(start, stop, step))
            if n:
                offset += start * strides[d]
            out_shape.append(n)
            out_strides.append(strides[d] * step)
            d += 1
        else:
            i = int(k)
            if i < 0:
                i += shape[d]
            if not 0 <= i < shape[d]:
                raise IndexError(f"index {k} is out of bounds for dimension {d} with size "
                                 f"{shape[d]}")
            offset += i * strides[d]
            d += 1
    out_shape.extend(shape[d:])
    out_strides.extend(strides[d:])
    if 0 in out_shape:
        offset = 0
    return nc.strided_view(a, offset, out_shape, out_strides)


def to_device(a, dtype=None):
    """A new device array holding host array `a` (a copy)."""
    from nbgrad.backends.cuda import copy
    return copy.to_device(a, dtype)


def to_host(d):
    """A new NumPy array with the values of device array `d` (any strides)."""
    from nbgrad.backends.cuda import copy
    return copy.to_host(d)


def address(a):
    """The device address of `a`'s first element."""
    return nc.device_pointer(a)


def _extent(a):
    ptr = nc.device_pointer(a)
    lo = hi = ptr
    for n, s in zip(a.shape, a.strides):
        if n > 1:
            hi += (n - 1) * s
    return lo, hi + a.dtype.itemsize


def shares_memory(a, b):
    """True if the byte extents of device arrays `a` and `b` overlap (may share);
    False when one of them is not a device array (a host array, a scalar)."""
    if not (nc.is_device_array(a) and nc.is_device_array(b)) or a.size == 0 or b.size == 0:
        return False
    la, ha = _extent(a)
    lb, hb = _extent(b)
    return la < hb and lb < ha

