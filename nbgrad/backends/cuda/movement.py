"""CUDA kernels that move data by index: the twin of `nbgrad.backends.cpu.movement`.

The same two canonical forms as the CPU:
- (outer, dim, inner) with a full (O, K, I) index: `gather`, `scatter`;
- (outer, block, inner) with one flat index over the block: `take`, `put`.
Both writes run one kernel, `_write3`; a put's index is a (1, K, 1) view.

Gathers run one thread per output element.  Scatters and puts run one thread
per (outer, inner) column, looping over the index in order, so that no two
threads write one element: "last write wins" and the order in which repeated
indices add up are those of the CPU kernels (deterministic, no atomics).
`first_out_of_range` checks index values on the device and returns one
number to the host (a synchronisation), before any kernel writes.
Plus `triangle` (tril/triu) and `flip` (a gather with reversed indices:
device views never have negative strides).
"""

import numpy as np

from nbgrad.backends import neutral
from nbgrad.backends.cuda import _numba_cuda as nc
from nbgrad.backends.cuda import array as _array
from nbgrad.backends.cuda import launch as _launch
from nbgrad.backends.cuda._numba_cuda import cuda

__all__ = ["gather", "scatter", "take", "put", "first_out_of_range", "triangle", "flip"]

_write_block, = neutral.compile_for(cuda.jit(device=True), "write_block")


@cuda.jit(cache=True)
def _gather3(src, idx, out):
    P, K, Q = out.shape
    for t in range(cuda.grid(1), P * K * Q, cuda.gridsize(1)):
        o, k, i = _launch.coords3(t, K, Q)
        out[o, k, i] = src[o, idx[o, k, i], i]


@cuda.jit(cache=True)
def _write3(dst, index, src, accumulate):
    # a thread per (o, i) column: `neutral.write_block` over one column
    Q = src.shape[2]
    for t in range(cuda.grid(1), src.shape[0] * Q, cuda.gridsize(1)):
        o, i = divmod(t, Q)
        _write_block(dst, index, src, o, i, i + 1, accumulate)


@cuda.jit(cache=True)
def _take_rows(src, flat, out):
    P, NB, Q = out.shape
    for t in range(cuda.grid(1), P * NB * Q, cuda.gridsize(1)):
        p, b, q = _launch.coords3(t, NB, Q)
        out[p, b, q] = src[p, flat[b], q]


@cuda.jit(cache=True)
def _out_of_range(idx, size, first):
    for j in range(cuda.grid(1), idx.shape[0], cuda.gridsize(1)):
        v = idx[j]
        if v < 0 or v >= size:
            cuda.atomic.min(first, 0, j)


@cuda.jit(cache=True)
def _triangle3(src, out, diagonal, lower):
    B, N, M = out.shape
    for t in range(cuda.grid(1), B * N * M, cuda.gridsize(1)):
        b, r, c = _launch.coords3(t, N, M)
        keep = (c - r <= diagonal) if lower else (c - r >= diagonal)
        out[b, r, c] = src[b, r, c] if keep else 0


def _a(x):
    return nc.any_layout(x)


def _read(kernel, src, index, out):
    if out.size:   # a thread per output element
        _launch.launch(kernel, out.size, _a(src), _a(index), _a(out))
    return out


def _write(dst, index, src, accumulate):
    if src.size:   # a thread per (outer, inner) column of src (outer, k, inner)
        _launch.launch(_write3, src.shape[0] * src.shape[2], _a(dst), _a(index), _a(src),
                       bool(accumulate))
    return dst


def gather(src, idx, out):
    """out[o, k, i] = src[o, idx[o, k, i], i] (indices already checked)."""
    return _read(_gather3, src, idx, out)


def scatter(dst, idx, src, accumulate=False):
    """dst[o, idx[o, k, i], i] = (or +=) src[o, k, i] (indices already checked)."""
    O, K, I = idx.shape
    return _write(dst, idx, _array.getitem(src, (slice(0, O), slice(0, K), slice(0, I))),
                  accumulate)


def take(src, flat, out):
    """out[p, b, q] = src[p, flat[b], q] (indices already checked; `flat` on the device)."""
    return _read(_take_rows, src, flat, out)


def put(dst, flat, src, accumulate=False):
    """dst[p, flat[b], q] = (or +=) src[p, b, q] (indices already checked)."""
    return _write(dst, _array.reshape(flat, (1, flat.shape[0], 1)), src, accumulate)


def first_out_of_range(idx, size):
    """The position of the first value of 1-D device array `idx` outside
    [0, size), or -1 (one kernel and a copy of one number to the host)."""
    n = idx.shape[0]
    if n == 0:
        return -1
    first = cuda.to_device(np.array([n], np.int64))
    _launch.launch(_out_of_range, n, _a(idx), np.int64(size), first)
    j = int(first.copy_to_host()[0])
    return -1 if j == n else j


def triangle(src, out, diagonal, lower):
    """tril (lower=True) or triu of each matrix of src (B, N, M) into out."""
    if out.size:
        _launch.launch(_triangle3, out.size, _a(src), _a(out), np.int64(diagonal), bool(lower))
    return out


def flip(a, dims):
    """A contiguous copy of device array `a` reversed along `dims` (one gather per dim)."""
    from nbgrad.backends.cuda import array, creation
    out = array.contiguous(a)
    if out is a:
        from nbgrad.backends.cuda import copy
        out = copy.cast(a, a.dtype)
    shape = tuple(a.shape)
    for d in dims:
        n = shape[d]
        if n < 2:
            continue
        P = int(np.prod(shape[:d], dtype=np.int64))
        Q = int(np.prod(shape[d + 1:], dtype=np.int64))
        rev = array.empty((n,), np.int64)
        creation.arange(rev, np.int64(n - 1), np.int64(-1))
        src = array.reshape(out, (P, n, Q))
        res = array.empty((P, n, Q), a.dtype)
        take(src, rev, res)
        out = array.reshape(res, shape)
    return out


def stack_values(arrays, out):
    """False: the device copies each value of a stack (the CPU backend's one-call stack
    of single values saves host overhead the device does not have)."""
    return False
