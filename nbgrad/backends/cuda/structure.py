"""CUDA kernels of the structural ops: the twin of
`nbgrad.backends.cpu.structure` (triangle indices, cdist).  The triangle's
size is counted on the host (it sizes the output); each row of it is then
written by one thread, pairwise distances one thread per output element.
"""

import math

from nbgrad.backends.cpu.structure import triangle_count  # noqa: F401  (host arithmetic)
from nbgrad.backends.cuda import launch as _launch
from nbgrad.backends.cuda._numba_cuda import cuda

__all__ = ["triangle_count", "triangle_indices", "cdist"]


@cuda.jit(device=True)
def _row_count(r, cols, offset, lower):
    if lower:
        return min(max(r + offset + 1, 0), cols)
    return cols - min(max(r + offset, 0), cols)


@cuda.jit(cache=True)
def _triangle_indices(rows, cols, offset, lower, out):
    for r in range(cuda.grid(1), rows, cuda.gridsize(1)):
        k = 0
        for q in range(r):
            k += _row_count(q, cols, offset, lower)
        for c in range(cols):
            if (c - r <= offset) if lower else (c - r >= offset):
                out[0, k] = r
                out[1, k] = c
                k += 1


def triangle_indices(rows, cols, offset, lower, out):
    """As `nbgrad.backends.cpu.structure.triangle_indices`."""
    if out.size:
        _launch.launch(_triangle_indices, rows, rows, cols, offset, lower, out)


@cuda.jit(cache=True)
def _cdist(x1, x2, out, p, zero):
    B, P, R = out.shape
    M = x1.shape[2]
    for t in range(cuda.grid(1), B * P * R, cuda.gridsize(1)):
        b = t // (P * R)
        i = (t // R) % P
        j = t % R
        acc = zero
        for m in range(M):
            d = abs(x1[b, i, m] - x2[b, j, m])
            if p == 0:
                acc += 1 if d != 0 else 0
            elif p == math.inf:
                acc = d if d > acc or d != d else acc
            elif p == 1:
                acc += d
            elif p == 2:
                acc += d * d
            else:
                acc += d ** p
        if p == 2:
            acc = math.sqrt(acc)
        elif not (p == 0 or p == 1 or p == math.inf):
            acc = acc ** (1 / p)
        out[b, i, j] = acc


def cdist(x1, x2, out, p):
    """As `nbgrad.backends.cpu.structure.cdist`."""
    if out.size:
        _launch.launch(_cdist, out.size, x1, x2, out, x1.dtype.type(p), x1.dtype.type(0))

