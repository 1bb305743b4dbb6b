"""CPU kernels that move data by index: gathers, scatters, index checks,
nonzero and triangular masks.

Two canonical forms, so that few specialisations serve every op:
- (outer, dim, inner) with a full (O, K, I) index: `gather3` (gather) and
  `scatter` (scatter and, with `accumulate`, scatter_add);
- (outer, block, inner) with one flat index over the block: `take_rows` and
  `put` (advanced indexing, its assignment and gradient, index_select); the
  inner loop copies contiguous rows.
Both writes run one kernel, `write3`: a put's index is a (1, K, 1) view that
the kernel broadcasts.
Index values are checked by `first_out_of_range` / `ravel_index` before any
of these kernels writes, so the kernels themselves do not check.  Plain
copies into strided views (and `flip`) use the generated identity kernel of
`nbgrad.backends.cpu.elementwise` instead.

Parallel variants (above `PARALLEL_THRESHOLD`, chosen by the dispatch
functions at the bottom) split the work so that no two threads write the
same element: gathers and triangles over output rows (one `prange` loop
compiled serial and parallel, `nbgrad.backends.cpu.parallel`).  Writes (scatter,
put) stay serial: split over blocks of the columns that repeated indices share,
they ran 1.1x-6x slower than the serial loop at every size measured on a 2-core
machine (0.5-4M elements, 2026-12-06).
"""

import numpy as np
from numba import njit, prange

from nbgrad.backends import neutral
from nbgrad.backends.cpu import elementwise as _elementwise
from nbgrad.backends.cpu.parallel import by_size, serial_and_parallel, split

_write_block, = neutral.compile_for(njit(inline="always"), "write_block")


def _gather3(src, idx, out):
    O, K, I = out.shape
    for ok in prange(O * K):
        o, k = split(ok, K)
        for i in range(I):
            out[o, k, i] = src[o, idx[o, k, i], i]


gather3 = serial_and_parallel(_gather3)


@njit(cache=True)
def write3(dst, index, src, accumulate):
    """dst[o, index[o, k, i], i] = (or +=) src[o, k, i] (`neutral.write_block`),
    in the serial order."""
    for o in range(src.shape[0]):
        _write_block(dst, index, src, o, 0, src.shape[2], accumulate)


def _take_rows(src, flat, out):
    """out[p, b, :] = src[p, flat[b], :]: a gather along the middle axis with one
    index for all p and q (advanced indexing, index_select)."""
    P, NB, Q = out.shape
    for pb in prange(P * NB):
        p, b = split(pb, NB)
        j = flat[b]
        for q in range(Q):
            out[p, b, q] = src[p, j, q]


take_rows = serial_and_parallel(_take_rows)


@njit(cache=True)
def first_out_of_range(idx, size):
    """The position of the first value outside [0, size), or -1."""
    for j in range(idx.shape[0]):
        v = idx[j]
        if v < 0 or v >= size:
            return j
    return -1


@njit(cache=True)
def ravel_index(flat, idx, size, stride):
    """flat += wrap(idx) * stride, negative indices counting from the end.

    Returns the position of the first value outside [-size, size) (nothing
    after it is added), or -1."""
    for j in range(idx.shape[0]):
        v = idx[j]
        if v < 0:
            v += size
        if v < 0 or v >= size:
            return j
        flat[j] += v * stride
    return -1


@njit(cache=True)
def wrap_index(flat, idx, size):
    """flat = wrap(idx), negative indices counting from the end (`ravel_index` of one
    index array, written instead of added).  Returns the position of the first value
    outside [-size, size), or -1."""
    for j in range(idx.shape[0]):
        v = idx[j]
        if v < 0:
            v += size
        if v < 0 or v >= size:
            return j
        flat[j] = v
    return -1


@njit(cache=True)
def count_true(mask):
    n = 0
    for j in range(mask.shape[0]):
        if mask[j]:
            n += 1
    return n


@njit(cache=True)
def nonzero(mask, shape, out):
    """Row r of `out` (N, ndim): the coordinates of the r-th true element of
    the raveled `mask` of `shape`, in row-major order."""
    nd = shape.shape[0]
    r = 0
    for j in range(mask.shape[0]):
        if mask[j]:
            rest = j
            for d in range(nd - 1, -1, -1):
                out[r, d] = rest % shape[d]
                rest //= shape[d]
            r += 1


def _triangle3(src, out, diagonal, lower, zero):
    """tril (lower) or triu of each (N, M) matrix of src (B, N, M)."""
    B, N, M = src.shape
    for br in prange(B * N):
        b, r = split(br, N)
        for c in range(M):
            keep = (c - r <= diagonal) if lower else (c - r >= diagonal)
            out[b, r, c] = src[b, r, c] if keep else zero


triangle3 = serial_and_parallel(_triangle3)


def _read(pair, src, index, out):
    if out.size:
        by_size(pair, out.size)(src, index, out)
    return out


def _write(dst, index, src, accumulate):
    if src.size:
        write3(dst, index, src, bool(accumulate))
    return dst


def gather(src, idx, out):
    """out[o, k, i] = src[o, idx[o, k, i], i] (indices already checked)."""
    return _read(gather3, src, idx, out)


def scatter(dst, idx, src, accumulate=False):
    """dst[o, idx[o, k, i], i] = (or +=) src[o, k, i] (indices already checked)."""
    O, K, I = idx.shape
    return _write(dst, idx, src[:O, :K, :I], accumulate)


def take(src, flat, out):
    """out[p, b, q] = src[p, flat[b], q] (indices already checked)."""
    return _read(take_rows, src, flat, out)


def put(dst, flat, src, accumulate=False):
    """dst[p, flat[b], q] = (or +=) src[p, b, q] (indices already checked)."""
    return _write(dst, flat.reshape(1, flat.shape[0], 1), src, accumulate)


def triangle(src, out, diagonal, lower):
    """tril (lower=True) or triu of each matrix of src (B, N, M) into out."""
    if out.size:
        zero = out.dtype.type(0)
        by_size(triangle3, out.size)(src, out, diagonal, lower, zero)
    return out


def flip(a, dims):
    """A contiguous copy of `a` reversed along `dims` (the identity kernel reading
    a negative-stride view)."""
    key = tuple(slice(None, None, -1) if d in dims else slice(None) for d in range(a.ndim))
    return _elementwise.cast(a[key], a.dtype)


# A stack of single values (0-d tensors: scalar code stacks a handful at a time) in one
# kernel call instead of one copy per value, which cost 6.3 us for four against 1.3 us.
# The values are passed as one fixed-length tuple, padded, so that each dtype compiles once.
STACK_VALUES_MAX = 8
_VALUE_DTYPES = frozenset(map(np.dtype, ("float32", "float64", "int8", "int16", "int32", "int64",
                                         "uint8", "bool")))   # Numba has no float16 scalar


@njit(cache=True)
def _put_values(out, n, v0, v1, v2, v3, v4, v5, v6, v7):
    values = (v0, v1, v2, v3, v4, v5, v6, v7)
    for i in range(n):
        out[i] = values[i]


def stack_values(arrays, out):
    """Write the 0-d `arrays` into 1-D `out` (their stack) and return True, when there
    are at most `STACK_VALUES_MAX` of them, all of out's dtype; else False, with
    nothing written (the caller copies them one by one)."""
    n = len(arrays)
    dtype = out.dtype
    if n > STACK_VALUES_MAX or out.ndim != 1 or dtype not in _VALUE_DTYPES:
        return False
    values = []
    for a in arrays:
        if a.ndim or a.dtype != dtype:
            return False
        values.append(a[()])
    values += [values[0]] * (STACK_VALUES_MAX - n)
    _put_values(out, n, *values)
    return True
