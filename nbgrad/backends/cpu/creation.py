"""CPU kernels that fill new buffers: constants, ranges, identity, random numbers.

Numba keeps its own random generator (seeded by `seed`), independent of
NumPy's global one.
"""

import numpy as np
from numba import njit


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
