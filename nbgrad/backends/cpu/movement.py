"""CPU kernels that move data by index: gathers, scatters, index checks,
nonzero and triangular masks.

Two canonical forms, so that few specialisations serve every op:
- (outer, dim, inner) with a full (O, K, I) index: `gather3`, `scatter3`
  (gather; scatter and, with `accumulate`, scatter_add);
- (outer, block, inner) with one flat index over the block: `take_rows`,
  `put_rows` (advanced indexing, its assignment and gradient, index_select);
  the inner loop copies contiguous rows.
Index values are checked by `first_out_of_range` / `ravel_index` before any
of these kernels writes, so the kernels themselves do not check.  Plain
copies into strided views (and `flip`) use the generated identity kernel of
`nbgrad.backends.cpu.elementwise` instead.

Parallel variants (above `PARALLEL_THRESHOLD`, chosen by the dispatch
functions at the bottom) split the work so that no two threads write the
same element: gathers and triangles over output rows (one `prange` loop
compiled serial and parallel, `nbgrad.backends.cpu.parallel`), scatters over
the columns that repeated indices share (a column's writes stay in index
order, so "last write wins" and the accumulation order are those of the
serial kernel, which keeps its own cache-friendly loop order).
"""

from numba import njit, prange

from nbgrad.backends import neutral
from nbgrad.backends.cpu import elementwise as _elementwise
from nbgrad.backends.cpu.parallel import by_size, large, serial_and_parallel, split

_scatter_column, _put_column = neutral.compile_for(njit(inline="always"), "scatter_column",
                                                   "put_column")


def _gather3(src, idx, out):
    O, K, I = out.shape
    for ok in prange(O * K):
        o, k = split(ok, K)
        for i in range(I):
            out[o, k, i] = src[o, idx[o, k, i], i]


gather3 = serial_and_parallel(_gather3)


@njit(cache=True)
def scatter3(dst, idx, src, accumulate):
    """dst[o, idx[o, k, i], i] = (or +=) src[o, k, i]."""
    O, K, I = idx.shape
    for o in range(O):
        for k in range(K):
            if accumulate:
                for i in range(I):
                    dst[o, idx[o, k, i], i] += src[o, k, i]
            else:
                for i in range(I):
                    dst[o, idx[o, k, i], i] = src[o, k, i]


@njit(cache=True, parallel=True)
def scatter3_parallel(dst, idx, src, accumulate):
    # threads own (o, i) columns, so repeated indices keep the serial order
    I = idx.shape[2]
    for oi in prange(idx.shape[0] * I):
        _scatter_column(dst, idx, src, oi // I, oi % I, accumulate)


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
def put_rows(dst, flat, src, accumulate):
    """dst[p, flat[b], :] = (or +=) src[p, b, :]."""
    P, NB, Q = src.shape
    for p in range(P):
        for b in range(NB):
            j = flat[b]
            if accumulate:
                for q in range(Q):
                    dst[p, j, q] += src[p, b, q]
            else:
                for q in range(Q):
                    dst[p, j, q] = src[p, b, q]


@njit(cache=True, parallel=True)
def put_rows_parallel(dst, flat, src, accumulate):
    # threads own (p, q) columns, so repeated rows keep the serial order
    Q = src.shape[2]
    for pq in prange(src.shape[0] * Q):
        _put_column(dst, flat, src, pq // Q, pq % Q, accumulate)


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


def _write(serial, parallel, dst, index, src, loop, accumulate):
    # `loop`: the (outer, k, inner) array the kernels walk; the parallel one
    # splits its (outer, inner) columns, so it needs two of them
    if loop.size:
        par = large(loop.size) and loop.shape[0] * loop.shape[2] > 1
        (parallel if par else serial)(dst, index, src, bool(accumulate))
    return dst


def gather(src, idx, out):
    """out[o, k, i] = src[o, idx[o, k, i], i] (indices already checked)."""
    return _read(gather3, src, idx, out)


def scatter(dst, idx, src, accumulate=False):
    """dst[o, idx[o, k, i], i] = (or +=) src[o, k, i] (indices already checked)."""
    return _write(scatter3, scatter3_parallel, dst, idx, src, idx, accumulate)


def take(src, flat, out):
    """out[p, b, q] = src[p, flat[b], q] (indices already checked)."""
    return _read(take_rows, src, flat, out)


def put(dst, flat, src, accumulate=False):
    """dst[p, flat[b], q] = (or +=) src[p, b, q] (indices already checked)."""
    return _write(put_rows, put_rows_parallel, dst, flat, src, src, accumulate)


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
