"""CUDA kernels of the structural ops: the twin of
`nbgrad.backends.cpu.structure` (triangle indices, cdist).  The triangle's
size is counted on the host (it sizes the output); each row of it is then
written by one thread, pairwise distances one thread per output element.
"""


from nbgrad.backends.cpu.structure import triangle_count  # noqa: F401  (host arithmetic)
from nbgrad.backends import neutral
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


(_distance,) = neutral.compile_for(cuda.jit(device=True), "p_distance")


@cuda.jit(cache=True)
def _cdist(x1, x2, out, p, zero):
    B, P, R = out.shape
    for t in range(cuda.grid(1), B * P * R, cuda.gridsize(1)):
        b, i, j = _launch.coords3(t, P, R)
        out[b, i, j] = _distance(x1, x2, b, i, j, p, zero)


def cdist(x1, x2, out, p):
    """As `nbgrad.backends.cpu.structure.cdist`."""
    if out.size:
        _launch.launch(_cdist, out.size, x1, x2, out, x1.dtype.type(p), x1.dtype.type(0))

