"""CPU kernels that fill new buffers: constants, ranges, identity, random numbers;
and `empty`, the host allocation with PyTorch's errors.

Random numbers come from the counter-based generator of `nbgrad.backends.philox`
(the CUDA backend compiles the same functions): a draw gets the generator's
(seed, offset) and element i reads counter offset + i, so the parallel loops
above `PARALLEL_THRESHOLD` elements give the serial loops' numbers.
"""

import numpy as np
from numba import njit, prange

from nbgrad.backends import philox
from nbgrad.backends.cpu.elementwise import PARALLEL_THRESHOLD


def allocation_error(shape, dtype):
    """PyTorch's RuntimeError for memory that cannot be had (NumPy raises MemoryError)."""
    dtype = np.dtype(dtype)
    nbytes = dtype.itemsize
    for s in shape:
        nbytes *= s
    return RuntimeError(f"DefaultCPUAllocator: can't allocate memory: you tried to allocate "
                        f"{nbytes} bytes (shape {list(shape)}, {dtype.name}). Error code 12 "
                        "(Cannot allocate memory)")


def size_error(shape):
    """PyTorch's RuntimeError for a shape whose byte size does not fit in an int64."""
    return RuntimeError(f"Storage size calculation overflowed with sizes={list(shape)}")


def empty(shape, dtype):
    """``np.empty(shape, dtype)``, with PyTorch's RuntimeError when the byte size
    overflows or the memory cannot be allocated (not NumPy's MemoryError)."""
    try:
        return np.empty(shape, dtype)
    except MemoryError:
        raise allocation_error(shape, dtype) from None
    except ValueError as e:   # NumPy: "array is too big", "Maximum allowed dimension exceeded"
        if "too big" in str(e) or "Maximum allowed" in str(e):
            raise size_error(shape) from None
        raise


@njit(cache=True)
def fill(out, value):
    for i in range(out.shape[0]):
        out[i] = value


@njit(cache=True)
def arange(out, start, step):
    for i in range(out.shape[0]):
        out[i] = start + i * step


@njit(cache=True)
def linspace(out, start, end):
    n = out.shape[0]
    if n == 1:
        out[0] = start
        return
    step = (end - start) / (n - 1)
    half = n // 2
    # from both ends, as PyTorch does, so that the last value is exactly `end`
    for i in range(n):
        if i < half:
            out[i] = start + i * step
        else:
            out[i] = end - (n - 1 - i) * step


@njit(cache=True)
def eye(out):
    n, m = out.shape
    for i in range(n):
        for j in range(m):
            out[i, j] = 1 if i == j else 0


# -- random numbers (see nbgrad.backends.philox) ---------------------------------------
_P = philox.compile_for(njit)
_sample, _below, _permutation, _categorical_draws = (
    _P[name] for name in ("sample", "below", "permutation", "categorical_draws"))
_U = np.uint64
_UNIFORM, _EXPONENTIAL = philox.UNIFORM, philox.EXPONENTIAL


@njit(cache=True)
def _sample_serial(out, kind, seed, offset, a, b, bits):
    for i in range(out.shape[0]):
        out[i] = _sample(kind, seed, offset + _U(i), a, b, bits)


@njit(cache=True, parallel=True)
def _sample_parallel(out, kind, seed, offset, a, b, bits):
    for i in prange(out.shape[0]):
        out[i] = _sample(kind, seed, offset + _U(i), a, b, bits)


def sample(out, kind, seed, offset, a, b):
    """Fill flat float array `out` with distribution `kind` (`philox.UNIFORM`...)
    of parameters a, b, from the generator state (seed, offset)."""
    k = _sample_parallel if out.shape[0] >= PARALLEL_THRESHOLD else _sample_serial
    k(out, kind, _U(seed), _U(offset), float(a), float(b), 24 if out.dtype == np.float32 else 53)
    return out


@njit(cache=True)
def _sample_each_serial(out, kind, seed, offset, a, b):
    for i in range(out.shape[0]):
        out[i] = _sample(kind, seed, offset + _U(i), a[i], b[i], 53)


@njit(cache=True, parallel=True)
def _sample_each_parallel(out, kind, seed, offset, a, b):
    for i in prange(out.shape[0]):
        out[i] = _sample(kind, seed, offset + _U(i), a[i], b[i], 53)


def sample_each(out, kind, seed, offset, a, b):
    """As `sample` with parameters per element: flat arrays `a`, `b` of out's length."""
    k = _sample_each_parallel if out.shape[0] >= PARALLEL_THRESHOLD else _sample_each_serial
    k(out, kind, _U(seed), _U(offset), a, b)
    return out


@njit(cache=True)
def _integers_serial(out, seed, offset, low, span):
    for i in range(out.shape[0]):
        out[i] = low + np.int64(_below(seed, offset + _U(i), span))


@njit(cache=True, parallel=True)
def _integers_parallel(out, seed, offset, low, span):
    for i in prange(out.shape[0]):
        out[i] = low + np.int64(_below(seed, offset + _U(i), span))


def integers(out, seed, offset, low, span):
    """Integers uniform in [low, low + span) into flat int64 array `out` (span 0: 2**64)."""
    k = _integers_parallel if out.shape[0] >= PARALLEL_THRESHOLD else _integers_serial
    k(out, _U(seed), _U(offset), np.int64(low), _U(span))
    return out


def randperm(out, seed, offset):
    """A uniform permutation of 0..n-1 into int64 `out` (Fisher-Yates: step k
    swaps k with a position below k + 1 drawn from counter offset + k)."""
    return _randperm(out, _U(seed), _U(offset))


@njit(cache=True)
def _randperm(out, seed, offset):
    _permutation(out, seed, offset)
    return out


@njit(cache=True)
def _multinomial_row(p, out, r, replacement, seed, offset, work):
    """Row r of multinomial: with replacement, inverse CDF search of uniform draws
    (counters offset + r * S + s); without, the S smallest of Exp(1) / p keys
    (counters offset + r * C + c), the lowest index first among equal keys."""
    C = p.shape[1]
    S = out.shape[1]
    if replacement:
        _categorical_draws(p, out, r, seed, offset, work)
        return
    for c in range(C):
        pc = p[r, c]
        work[c] = _sample(_EXPONENTIAL, seed, offset + _U(r * C + c), 1.0, 0.0, 53) / pc if pc > 0 \
            else np.inf
    order = np.argsort(work, kind="mergesort")
    for s in range(S):
        out[r, s] = order[s]


@njit(cache=True)
def _multinomial_serial(p, out, replacement, seed, offset):
    work = np.empty(p.shape[1])
    for r in range(p.shape[0]):
        _multinomial_row(p, out, r, replacement, seed, offset, work)


@njit(cache=True, parallel=True)
def _multinomial_parallel(p, out, replacement, seed, offset):
    for r in prange(p.shape[0]):
        _multinomial_row(p, out, r, replacement, seed, offset, np.empty(p.shape[1]))


def multinomial(p, out, replacement, seed, offset):
    """Class indices drawn from each row of float64 (R, C) `p` into int64 (R, S) `out`."""
    k = _multinomial_parallel if p.size >= PARALLEL_THRESHOLD else _multinomial_serial
    k(p, out, bool(replacement), _U(seed), _U(offset))
    return out


@njit(cache=True)
def multinomial_check(p):
    """0 if (R, C) `p` can be sampled; 1: an element is negative, inf or NaN;
    2: a row sums to 0.  (Without replacement, a row with fewer positive
    elements than samples gives its zero-probability classes last, as PyTorch.)"""
    for r in range(p.shape[0]):
        total = 0.0
        for c in range(p.shape[1]):
            v = p[r, c]
            if not (v >= 0.0 and v < np.inf):
                return 1
            total += v
        if not total > 0.0:
            return 2
    return 0


@njit(cache=True)
def outside(a, lo, hi):
    """True if an element of flat `a` is outside [lo, hi] or NaN."""
    for i in range(a.shape[0]):
        if not (a[i] >= lo and a[i] <= hi):
            return True
    return False
