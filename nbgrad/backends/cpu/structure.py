"""CPU kernels of the structural ops: the (row, column) indices of a matrix
triangle (tril_indices, triu_indices) and pairwise p-norm distances (cdist).
"""

import math

from numba import njit, prange

from nbgrad.backends.cpu.elementwise import PARALLEL_THRESHOLD

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


@njit(cache=True, inline="always")
def _distance(x1, x2, b, i, j, p, zero):
    M = x1.shape[2]
    acc = zero
    for m in range(M):
        d = abs(x1[b, i, m] - x2[b, j, m])
        if p == 0.0:
            acc += 1 if d != 0 else 0
        elif p == math.inf:
            acc = d if d > acc or d != d else acc
        elif p == 1.0:
            acc += d
        elif p == 2.0:
            acc += d * d
        else:
            acc += d ** p
    if p == 2.0:
        return math.sqrt(acc)
    if p == 0.0 or p == 1.0 or p == math.inf:
        return acc
    return acc ** (1.0 / p)


@njit(cache=True)
def _cdist_serial(x1, x2, out, p, zero):
    B, P, R = out.shape
    for b in range(B):
        for i in range(P):
            for j in range(R):
                out[b, i, j] = _distance(x1, x2, b, i, j, p, zero)


@njit(cache=True, parallel=True)
def _cdist_parallel(x1, x2, out, p, zero):
    B, P, R = out.shape
    for t in prange(B * P):
        b = t // P
        i = t % P
        for j in range(R):
            out[b, i, j] = _distance(x1, x2, b, i, j, p, zero)


def cdist(x1, x2, out, p):
    """out[b, i, j] = the p-norm of x1[b, i] - x2[b, j] (p >= 0, inf included)."""
    if out.size == 0:
        return
    p = x1.dtype.type(p)
    if out.size * x1.shape[2] >= PARALLEL_THRESHOLD:
        _cdist_parallel(x1, x2, out, p, x1.dtype.type(0))
    else:
        _cdist_serial(x1, x2, out, p, x1.dtype.type(0))

