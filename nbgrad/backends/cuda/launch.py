"""Launch configuration and the launch counter of the CUDA backend.

Every kernel of the backend is launched through `launch` (1-D grid-stride
kernels, sized from the element count) or `launch_grid` (an explicit grid),
so that one counter knows how many launches an op costs: a launch is ~25 µs
on an H100, so the number of launches, not the arithmetic, is what small ops
pay for (see `launch_count`).

Sizing: 256 threads a block (fewer, a multiple of 32, for tiny arrays), and at
most ``32 * SMs`` blocks; grid-stride loops cover any remainder.  On the
simulator each CUDA thread is a Python thread, so blocks are 32 threads and
grids at most 4 blocks: small enough to run, and still more than one block,
so the tests exercise the grid-stride loops.
"""

import warnings

from nbgrad.backends.cuda import _numba_cuda

__all__ = ["launch", "launch_grid", "config", "launch_count", "reset_launch_count",
           "max_blocks", "coords3", "MAX_THREADS"]

MAX_THREADS = 32 if _numba_cuda.SIMULATOR else 256
_max_blocks = []
_count = [0]
_configured = {}   # (kernel, grid, block) -> configured launcher


def max_blocks():
    """The most blocks a launch uses: 32 per multiprocessor (4 on the simulator)."""
    if not _max_blocks:
        _max_blocks.append(4 if _numba_cuda.SIMULATOR else 32 * _numba_cuda.sm_count())
    return _max_blocks[0]


def config(n, threads=None):
    """(blocks, threads) for a grid-stride loop over `n` items."""
    if threads is None:
        threads = MAX_THREADS if n >= MAX_THREADS else max(32, (n + 31) // 32 * 32)
        threads = min(threads, MAX_THREADS)
    blocks = min(max(1, (n + threads - 1) // threads), max_blocks())
    return blocks, threads


def launch(kernel, n, *args, threads=None):
    """Launch 1-D grid-stride `kernel(*args)` sized for `n` items (no-op when n == 0)."""
    if n <= 0:
        return
    blocks, threads = config(n, threads)
    launch_grid(kernel, blocks, threads, *args)


def launch_grid(kernel, grid, block, *args):
    """Launch `kernel[grid, block](*args)` and count it."""
    _count[0] += 1
    if _numba_cuda.SIMULATOR:
        # the simulator's kernel[...] configures the kernel object itself: no reuse
        kernel[grid, block](*args)
        return
    key = (kernel, grid, block)
    k = _configured.get(key)
    if k is None:
        # numba builds a launch-configuration object per `kernel[...]`: reuse it.
        # Small grids are deliberate here (tiny tensors, one block per output):
        # no "under-utilization" warning for them.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", _numba_cuda.PerformanceWarning)
            k = kernel[grid, block]
        if len(_configured) < 4096:
            _configured[key] = k
    k(*args)


@_numba_cuda.cuda.jit(device=True)
def coords3(t, B, C):
    """(a, b, c): the coordinates of flat position `t` of a row-major (A, B, C)
    array, the element a grid-stride loop's item `t` writes."""
    return t // (B * C), (t // C) % B, t % C


def launch_count():
    """How many kernels this backend has launched (for tests and benchmarks)."""
    return _count[0]


def reset_launch_count():
    _count[0] = 0
