"""Serial and parallel CPU kernels written once.

A kernel whose outer loop is a `prange` over independent items (the planes of
a pool, the rows of a gather) is compiled twice from the same function:
with ``parallel=True`` the prange is split over Numba's threads, without it a
prange is a plain ``range`` (Numba's rule), so the serial kernel is the same
loop on the calling thread.  `by_size` picks one by the amount of work: a
parallel loop costs a thread wake-up (tens of microseconds, see
`nbgrad.backends.cpu.threads`) that small work does not repay.
"""

import types

from numba import njit

from nbgrad.backends.cpu import elementwise as _elementwise

__all__ = ["serial_and_parallel", "large", "by_size", "split"]


def serial_and_parallel(fn):
    """(serial, parallel): `fn` compiled without and with ``parallel=True``, both
    cached on disk.  The parallel one compiles a copy named ``<name>_parallel``:
    Numba's cache is keyed by a function's qualified name, so each needs its own."""
    twin = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__ + "_parallel",
                              fn.__defaults__, fn.__closure__)
    twin.__qualname__ = fn.__qualname__ + "_parallel"
    twin.__module__ = fn.__module__
    twin.__doc__ = fn.__doc__
    return njit(cache=True)(fn), njit(cache=True, parallel=True)(twin)


def large(n):
    """True where `n` elements of work repay a parallel loop (the threshold is
    read at each call, so that tests can lower it)."""
    return n >= _elementwise.PARALLEL_THRESHOLD


def by_size(pair, n):
    """The kernel of `pair` (serial, parallel) for `n` elements of work."""
    return pair[1] if large(n) else pair[0]


@njit(inline="always")
def split(t, n):
    """(t // n, t % n): item t of a flattened outer loop as its two indices
    (``divmod`` fails in a parallel kernel: Numba's parfor lowering types its
    results as float64)."""
    return t // n, t % n
