"""A caching allocator for device memory, as PyTorch's.

numba-cuda allocates each device array with ``cuMemAlloc`` and queues its
``cuMemFree`` when the array dies, flushing the queue every ten frees.
``cuMemFree`` waits for the device to finish all its work, so an autograd step
that makes and drops a few temporaries stalled the host on the GPU every few
ops: no overlap of Python's launch overhead with the kernels, and a
``cuMemAlloc`` (tens of µs, more for large blocks) for every new tensor.

Here a block that an array no longer needs goes back to a free list keyed by
its (rounded) size, and the next array of that size takes it: after the first
step of a loop no step allocates or frees device memory.  Freed blocks stay
cached until `empty_cache()` (also run, then retried, when an allocation
fails for lack of memory).

Safety rests on one stream: nbgrad launches every kernel on the default
stream, so a kernel that reuses a block runs after every kernel that used it
before.  Memory handed to other libraries (``__cuda_array_interface__``) and
used there on other streams must be synchronised by the user, as with
PyTorch's allocator (see docs/gpu.md).
"""

import functools

import numpy as np

from nbgrad.backends.cuda import _numba_cuda as nc

__all__ = ["empty", "empty_cache", "cached_bytes", "reserved_bytes", "ROUND_SMALL",
           "ROUND_LARGE"]

ROUND_SMALL = 512            # sizes below 1 MiB round up to a multiple of this
ROUND_LARGE = 2 * 1024 ** 2  # larger ones to a multiple of 2 MiB
_free = {}                   # rounded size -> [owning MemoryPointer, ...]
_reserved = [0]              # bytes of every block the cache made (in use or free)
_ctx = []                    # [the CUDA context], once asked for


def _rounded(nbytes):
    unit = ROUND_SMALL if nbytes < 1024 ** 2 else ROUND_LARGE
    return max(unit, (nbytes + unit - 1) // unit * unit)


def _give_back(size, block):
    _free.setdefault(size, []).append(block)


def _block(size):
    blocks = _free.get(size)
    if blocks:
        return blocks.pop()
    ctx = _context()
    try:
        block = ctx.memalloc(size)
    except Exception as e:  # out of memory: drop the cache, then once more
        if "OUT_OF_MEMORY" not in str(e).upper().replace(" ", "_"):
            raise
        empty_cache()
        block = ctx.memalloc(size)
    _reserved[0] += size
    return block


def _context():
    # numba's current_context() costs ~15 µs a call; nbgrad uses one device
    if not _ctx:
        _ctx.append(nc.cuda.current_context())
    return _ctx[0]


def empty(shape, dtype):
    """A new C-contiguous device array from the cache (owning its buffer)."""
    dtype = np.dtype(dtype)
    shape = tuple(int(s) for s in shape)
    n = 1
    for s in shape:
        n *= s
    if n == 0:
        return nc.cuda.device_array(shape, dtype=dtype)
    size = _rounded(n * dtype.itemsize)
    block = _block(size)
    # a pointer of its own whose death returns the block (kept alive by the
    # finalizer) to the free list
    ptr = nc.MemoryPointer(block.context, block.device_pointer, size,
                           finalizer=functools.partial(_give_back, size, block))
    arr = nc.DeviceArray(shape, nc.c_strides(shape, dtype.itemsize), dtype, gpu_data=ptr)
    arr.__dict__["_numba_type_"] = nc.c_type(dtype, len(shape))   # skip numba's typing
    return arr


def empty_cache():
    """Free every cached block (numba frees them at its next deallocation flush,
    forced here)."""
    _reserved[0] -= cached_bytes()
    _free.clear()
    if not nc.SIMULATOR:
        _context().deallocations.clear()


def cached_bytes():
    """Bytes held in free cached blocks."""
    return sum(size * len(blocks) for size, blocks in _free.items())


def reserved_bytes():
    """Bytes of all blocks the cache holds, in use or free (PyTorch's memory_reserved)."""
    return _reserved[0]
