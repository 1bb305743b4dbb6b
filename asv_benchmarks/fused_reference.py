"""The hand-fused reference of issue 12 for the tutorial step on float32.

    out = ((x + 2) * (x + 2) * 3).mean();  d out / d x = 6 (x + 2) / n

One Numba pass forward (reads x once: the mean) and one pass backward (reads x,
writes the gradient once): the least memory traffic any implementation of the
step can have, so on 10,000,000 float32 it measures this machine's memory
bandwidth limit.  Two versions of each kernel: ``parallel=True`` (``prange``,
all of Numba's threads; used from `PARALLEL_FROM` elements) and serial (small
arrays, where starting threads costs more than the work).  The forward sums in
float64; the gradient is computed in float32, as the result's dtype.

``python asv_benchmarks/fused_reference.py`` prints its time on 10M float32.
"""

import os
import sys
import time

import numba
import numpy as np
from numba import njit, prange

PARALLEL_FROM = 1 << 16
N_10M = 10_000_000


@njit(cache=True)
def _forward_serial(x):
    acc = 0.0
    for i in range(x.size):
        v = x[i] + np.float32(2)
        acc += v * v * np.float32(3)
    return acc / x.size


@njit(cache=True, parallel=True)
def _forward_parallel(x):
    acc = 0.0
    for i in prange(x.size):
        v = x[i] + np.float32(2)
        acc += v * v * np.float32(3)
    return acc / x.size


@njit(cache=True)
def _backward_serial(x, g, scale):
    for i in range(x.size):
        g[i] = (x[i] + np.float32(2)) * scale


@njit(cache=True, parallel=True)
def _backward_parallel(x, g, scale):
    for i in prange(x.size):
        g[i] = (x[i] + np.float32(2)) * scale


def mode(n):
    """'parallel (T threads)' or 'serial': the kernels `step` uses for n elements."""
    return f"parallel ({numba.get_num_threads()} threads)" if n >= PARALLEL_FROM else "serial"


def step(x, grad=None):
    """(mean, gradient) of the tutorial step for the 1-D float32 array `x`.

    `grad`: where to write the gradient (preallocated: the bandwidth limit);
    None allocates it, as a framework's step that returns a new gradient does."""
    if x.dtype != np.float32 or x.ndim != 1:
        raise TypeError(f"fused_reference.step: a 1-D float32 array, got {x.dtype} {x.shape}")
    g = np.empty_like(x) if grad is None else grad
    scale = np.float32(6.0 / x.size)
    if x.size >= PARALLEL_FROM:
        out = _forward_parallel(x)
        _backward_parallel(x, g, scale)
    else:
        out = _forward_serial(x)
        _backward_serial(x, g, scale)
    return np.float32(out), g


def make_step(n, preallocated=True):
    """A zero-argument callable running `step` on n ones (the tutorial's x)."""
    x = np.ones(n, np.float32)
    grad = np.empty_like(x) if preallocated else None
    return lambda: step(x, grad)


def _t(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main():
    for pre in (True, False):
        fn = make_step(N_10M, pre)
        fn()
        best = min(_t(fn) for _ in range(20))
        print(f"fused reference, 10M float32, {mode(N_10M)}, "
              f"{'preallocated' if pre else 'new'} gradient: {best * 1e3:.2f} ms")


if __name__ == "__main__":
    # run the package's copy of the kernels: their on-disk cache records the module
    # asv_benchmarks.fused_reference, which __main__ cannot stand in for
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from asv_benchmarks import fused_reference
    fused_reference.main()
