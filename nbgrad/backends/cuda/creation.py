"""CUDA kernels that fill device buffers: constants, ranges, identity, random numbers.

The twin of `nbgrad.backends.cpu.creation`.  Random numbers come from the
counter-based generator of `nbgrad.backends.philox`, compiled here as device
functions from the same source as the CPU's: element i of a draw with
generator state (seed, offset) reads counter offset + i whatever the launch
shape, so a seed gives the CPU's numbers, on every GPU.
"""

import numpy as np

from nbgrad.backends import philox
from nbgrad.backends.cuda import _numba_cuda
from nbgrad.backends.cuda import launch as _launch
from nbgrad.backends.cuda._numba_cuda import cuda

__all__ = ["fill", "arange", "linspace", "eye", "sample", "sample_each", "integers",
           "randperm", "multinomial"]


@cuda.jit(cache=True)
def _fill(out, value):
    for i in range(cuda.grid(1), out.shape[0], cuda.gridsize(1)):
        out[i] = value


@cuda.jit(cache=True)
def _arange(out, start, step):
    for i in range(cuda.grid(1), out.shape[0], cuda.gridsize(1)):
        out[i] = start + i * step


@cuda.jit(cache=True)
def _linspace(out, start, end, step):
    n = out.shape[0]
    half = n // 2
    # from both ends, as PyTorch does, so that the last value is exactly `end`
    for i in range(cuda.grid(1), n, cuda.gridsize(1)):
        if i < half:
            out[i] = start + i * step
        else:
            out[i] = end - (n - 1 - i) * step


@cuda.jit(cache=True)
def _eye(out):
    n, m = out.shape
    for k in range(cuda.grid(1), n * m, cuda.gridsize(1)):
        i, j = divmod(k, m)
        out[i, j] = 1 if i == j else 0


def _flat(out, op):
    if not out.is_c_contiguous():
        raise ValueError(f"cuda {op}: out must be C-contiguous (got strides {out.strides})")
    return out.reshape(out.size)


def fill(out, value):
    """Set every element of device array `out` (any strides) to `value`."""
    if out.is_c_contiguous():
        _launch.launch(_fill, out.size, out.reshape(out.size), value)
    else:
        from nbgrad.backends.cuda import copy
        copy.copy_(out, value)
    return out


def arange(out, start, step):
    """out[i] = start + i * step (out contiguous)."""
    _launch.launch(_arange, out.size, _flat(out, "arange"), start, step)
    return out


def linspace(out, start, end):
    """`out.size` evenly spaced values from start to end inclusive (out contiguous)."""
    n = out.size
    if n == 1:
        fill(out, start)
        return out
    step = (end - start) / (n - 1)
    _launch.launch(_linspace, n, _flat(out, "linspace"), start, end, step)
    return out


def eye(out):
    """The identity pattern in 2-D device array `out` (any strides)."""
    n, m = out.shape
    _launch.launch(_eye, n * m, _numba_cuda.any_layout(out))
    return out


# -- random numbers (see nbgrad.backends.philox) ---------------------------------------
_P = philox.compile_for(cuda.jit(device=True))
_sample, _below, _permutation, _categorical_draws = (
    _P[name] for name in ("sample", "below", "permutation", "categorical_draws"))
_U = np.uint64
_EXPONENTIAL = philox.EXPONENTIAL


@cuda.jit(cache=True)
def _sample_kernel(out, kind, seed, offset, a, b, bits):
    for i in range(cuda.grid(1), out.shape[0], cuda.gridsize(1)):
        out[i] = _sample(kind, seed, offset + _U(i), a, b, bits)


@cuda.jit(cache=True)
def _sample_each_kernel(out, kind, seed, offset, a, b):
    for i in range(cuda.grid(1), out.shape[0], cuda.gridsize(1)):
        out[i] = _sample(kind, seed, offset + _U(i), a[i], b[i], 53)


@cuda.jit(cache=True)
def _integers_kernel(out, seed, offset, low, span):
    for i in range(cuda.grid(1), out.shape[0], cuda.gridsize(1)):
        out[i] = low + np.int64(_below(seed, offset + _U(i), span))


def sample(out, kind, seed, offset, a, b):
    """Fill flat float device array `out` with distribution `kind` (`philox.UNIFORM`...)
    of parameters a, b, from the generator state (seed, offset)."""
    _launch.launch(_sample_kernel, out.size, _flat(out, "sample"), np.int64(kind), _U(seed),
                   _U(offset), np.float64(a), np.float64(b),
                   np.int64(24 if out.dtype == np.float32 else 53))
    return out


def sample_each(out, kind, seed, offset, a, b):
    """As `sample` with parameters per element: flat device arrays `a`, `b` of out's length."""
    _launch.launch(_sample_each_kernel, out.size, _flat(out, "sample_each"), np.int64(kind),
                   _U(seed), _U(offset), a, b)
    return out


def integers(out, seed, offset, low, span):
    """Integers uniform in [low, low + span) into flat int64 device array `out` (span 0: 2**64)."""
    _launch.launch(_integers_kernel, out.size, _flat(out, "integers"), _U(seed), _U(offset),
                   np.int64(low), _U(span))
    return out


@cuda.jit(cache=True)
def _randperm_kernel(out, seed, offset):
    if cuda.grid(1) == 0:
        _permutation(out, seed, offset)


def randperm(out, seed, offset):
    """The CPU's permutation (the same Fisher-Yates steps, in one thread: serial by nature)."""
    if out.size:
        _launch.launch_grid(_randperm_kernel, 1, 1, _flat(out, "randperm"), _U(seed), _U(offset))
    return out


@cuda.jit(cache=True)
def _multinomial_kernel(p, out, replacement, seed, offset, work):
    r = cuda.grid(1)
    if r >= p.shape[0]:
        return
    C = p.shape[1]
    S = out.shape[1]
    if replacement:
        _categorical_draws(p, out, r, seed, offset, work[r])
        return
    for c in range(C):
        pc = p[r, c]
        work[r, c] = _sample(_EXPONENTIAL, seed, offset + _U(r * C + c), 1.0, 0.0, 53) / pc \
            if pc > 0.0 else np.inf
    for s in range(S):   # the smallest key left (-1 marks a taken class), lowest index first
        best = -1
        for c in range(C):
            v = work[r, c]
            if v >= 0.0 and (best < 0 or v < work[r, best]):
                best = c
        out[r, s] = best
        work[r, best] = -1.0


def multinomial(p, out, replacement, seed, offset):
    """The CPU's class indices (the same algorithm, a thread per row) from float64
    (R, C) device array `p` into int64 (R, S) `out`."""
    R, C = p.shape
    if R:
        work = _numba_cuda.empty((R, C), np.float64)
        _launch.launch(_multinomial_kernel, R, p, out, bool(replacement), _U(seed), _U(offset),
                       work)
    return out
