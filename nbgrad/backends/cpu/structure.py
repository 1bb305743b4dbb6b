"""CPU kernels of the structural ops: the (row, column) indices of a matrix
triangle (tril_indices, triu_indices) and pairwise p-norm distances (cdist).
"""


from numba import njit, prange

from nbgrad.backends import neutral
from nbgrad.backends.cpu.parallel import by_size, serial_and_parallel, split

__all__ = ["triangle_count", "triangle_indices", "cdist"]


@njit(cache=True)
def _in_triangle(r, c, offset, lower):
    return c - r <= offset if lower else c - r >= offset


@njit(cache=True)
def _triangle_count(rows, cols, offset, lower):
    n = 0
    for r in range(rows):
        for c in range(cols):
            if _in_triangle(r, c, offset, lower):
                n += 1
    return n


def triangle_count(rows, cols, offset, lower):
    """How many positions of a rows x cols matrix lie in its lower (c - r <=
    offset) or upper (c - r >= offset) triangle."""
    return int(_triangle_count(rows, cols, offset, lower))


@njit(cache=True)
def _triangle_indices(rows, cols, offset, lower, out):
    k = 0
    for r in range(rows):
        for c in range(cols):
            if _in_triangle(r, c, offset, lower):
                out[0, k] = r
                out[1, k] = c
                k += 1


def triangle_indices(rows, cols, offset, lower, out):
    """Write the triangle's (row, column) pairs, row by row, into `out` (2, count)."""
    if out.size:
        _triangle_indices(rows, cols, offset, lower, out)


(_distance,) = neutral.compile_for(njit(inline="always"), "p_distance")


def _cdist_rows(x1, x2, out, p, zero):
    B, P, R = out.shape
    for t in prange(B * P):
        b, i = split(t, P)
        for j in range(R):
            out[b, i, j] = _distance(x1, x2, b, i, j, p, zero)


_cdist = serial_and_parallel(_cdist_rows)


def cdist(x1, x2, out, p):
    """out[b, i, j] = the p-norm of x1[b, i] - x2[b, j] (p >= 0, inf included)."""
    if out.size == 0:
        return
    p = x1.dtype.type(p)
    by_size(_cdist, out.size * x1.shape[2])(x1, x2, out, p, x1.dtype.type(0))

