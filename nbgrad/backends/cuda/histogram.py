"""CUDA kernels that count: the twin of `nbgrad.backends.cpu.histogram` (the
same bins, found the same way).  One thread per value adds into its bin with
an atomic add, so float counts may sum in another order than the CPU's.
"""

from nbgrad.backends import neutral
from nbgrad.backends.cuda import _numba_cuda as nc
from nbgrad.backends.cuda import launch as _launch
from nbgrad.backends.cuda._numba_cuda import cuda

__all__ = ["histogram", "bincount"]


(_upper,) = neutral.compile_for(cuda.jit(device=True), "upper_bound")


@cuda.jit(cache=True)
def _histogram(x, w, use_w, edges, out, scale, linear, local_search):
    nb = out.shape[0]
    first, last = edges[0], edges[nb]
    for k in range(cuda.grid(1), x.shape[0], cuda.gridsize(1)):
        v = x[k]
        if not (v >= first and v <= last):
            continue
        if linear:
            pos = int((v - first) * scale / (last - first))
            if local_search:
                pos = _upper(edges, max(0, pos - 1), min(pos + 2, nb + 1), v) - 1
        else:
            pos = _upper(edges, 0, nb + 1, v) - 1
        if pos == nb:
            pos -= 1
        cuda.atomic.add(out, pos, w[k] if use_w else 1)


def histogram(x, w, edges, out, linear, local_search):
    """As `nbgrad.backends.cpu.histogram.histogram`."""
    use = w is not None
    _launch.launch(_histogram, x.shape[0], x, w if use else x, use, edges, out,
                   x.dtype.type(out.shape[0]), bool(linear), bool(local_search))


@cuda.jit(cache=True)
def _bincount(x, w, use_w, out):
    for k in range(cuda.grid(1), x.shape[0], cuda.gridsize(1)):
        cuda.atomic.add(out, x[k], w[k] if use_w else 1)


def bincount(x, w, out):
    """As `nbgrad.backends.cpu.histogram.bincount`."""
    use = w is not None
    _launch.launch(_bincount, x.shape[0], x, w if use else nc.empty((1,), out.dtype), use, out)

