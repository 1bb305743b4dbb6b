"""CPU kernels that fill new buffers: constants, ranges, identity, random numbers;
and `empty`, the host allocation with PyTorch's errors.

Numba keeps its own random generator (seeded by `seed`), independent of
NumPy's global one.
"""

import numpy as np
from numba import njit


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


@njit(cache=True)
def seed(value):
    np.random.seed(value)


@njit(cache=True)
def uniform(out, low, high):
    for i in range(out.shape[0]):
        out[i] = low + (high - low) * np.random.random()


@njit(cache=True)
def normal(out, mean, std):
    for i in range(out.shape[0]):
        out[i] = mean + std * np.random.standard_normal()


@njit(cache=True)
def randint(out, low, high):
    for i in range(out.shape[0]):
        out[i] = np.random.randint(low, high)


@njit(cache=True)
def bernoulli(out, p):
    for i in range(out.shape[0]):
        out[i] = 1.0 if np.random.random() < p else 0.0
