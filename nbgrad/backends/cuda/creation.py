"""CUDA kernels that fill device buffers: constants, ranges, identity, random numbers.

The twin of `nbgrad.backends.cpu.creation`.  Random numbers come from
numba.cuda.random's xoroshiro128+ generators: a fixed number of generator
states per device (`RNG_STATES`, independent of the GPU model), seeded from
nbgrad's seed (`seed`, which `nb.manual_seed` should call).  Element i of a
request is drawn by state ``i % RNG_STATES``, whatever the launch size, so a
seed gives the same numbers on every GPU; the states advance in place, so
successive calls give new numbers, as PyTorch's generator does.
"""

import numpy as np

from nbgrad.backends.cuda import _numba_cuda
from nbgrad.backends.cuda import launch as _launch
from nbgrad.backends.cuda._numba_cuda import cuda, cuda_random

__all__ = ["fill", "arange", "linspace", "eye", "seed", "uniform", "normal", "randint",
           "bernoulli", "RNG_STATES"]

# 64 Ki states (1 MiB) on a device: enough threads to saturate memory
# bandwidth, cheap to initialise on the host (~8 M generator steps)
RNG_STATES = 64 if _numba_cuda.SIMULATOR else 1 << 16
_RNG_THREADS = 32 if _numba_cuda.SIMULATOR else 256

_seed = [None]  # None: nbgrad's current seed (nb.initial_seed()) at first use
_states = {}     # device index -> xoroshiro128p states


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
        i = k // m
        j = k % m
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


def seed(value):
    """Seed the generators of every device (lazily: states are rebuilt on next use)."""
    _seed[0] = int(value) % (1 << 64)
    _states.clear()


def _rng():
    dev = _numba_cuda.current_device_id()
    st = _states.get(dev)
    if st is None:
        if _seed[0] is None:   # nbgrad's seed (nb.manual_seed), kept by the dispatch
            from nbgrad.backends import dispatch
            _seed[0] = int(dispatch.cuda_seed()) % (1 << 64)
        st = _states[dev] = cuda_random.create_xoroshiro128p_states(RNG_STATES, seed=_seed[0])
    return st


@cuda.jit(cache=True)
def _uniform_f32(states, out, low, high):
    t = cuda.grid(1)
    for i in range(t, out.shape[0], states.shape[0]):
        u = cuda_random.xoroshiro128p_uniform_float32(states, t)
        out[i] = low + (high - low) * u


@cuda.jit(cache=True)
def _uniform_f64(states, out, low, high):
    t = cuda.grid(1)
    for i in range(t, out.shape[0], states.shape[0]):
        u = cuda_random.xoroshiro128p_uniform_float64(states, t)
        out[i] = low + (high - low) * u


@cuda.jit(cache=True)
def _normal_f32(states, out, mean, std):
    t = cuda.grid(1)
    for i in range(t, out.shape[0], states.shape[0]):
        out[i] = mean + std * cuda_random.xoroshiro128p_normal_float32(states, t)


@cuda.jit(cache=True)
def _normal_f64(states, out, mean, std):
    t = cuda.grid(1)
    for i in range(t, out.shape[0], states.shape[0]):
        out[i] = mean + std * cuda_random.xoroshiro128p_normal_float64(states, t)


@cuda.jit(cache=True)
def _randint(states, out, low, span):
    t = cuda.grid(1)
    for i in range(t, out.shape[0], states.shape[0]):
        k = int(span * cuda_random.xoroshiro128p_uniform_float64(states, t))
        if k >= span:  # float rounding at the top of a huge range
            k = span - 1
        out[i] = low + k


@cuda.jit(cache=True)
def _bernoulli(states, out, p):
    t = cuda.grid(1)
    for i in range(t, out.shape[0], states.shape[0]):
        out[i] = 1 if cuda_random.xoroshiro128p_uniform_float64(states, t) < p else 0


def _launch_rng(kernel, out, *args, op):
    flat = _flat(out, op)
    n = flat.shape[0]
    if n == 0:
        return out
    states = _rng()
    # a thread per state in use: element i is always drawn by state i % RNG_STATES
    used = min(n, RNG_STATES)
    blocks = (used + _RNG_THREADS - 1) // _RNG_THREADS
    _launch.launch_grid(kernel, blocks, _RNG_THREADS, states, flat, *args)
    return out


def uniform(out, low, high):
    """Uniform numbers in [low, high) into float32/float64 device array `out`."""
    k = _uniform_f32 if out.dtype == np.float32 else _uniform_f64
    return _launch_rng(k, out, low, high, op="uniform")


def normal(out, mean, std):
    """Normal numbers N(mean, std**2) into float32/float64 device array `out`."""
    k = _normal_f32 if out.dtype == np.float32 else _normal_f64
    return _launch_rng(k, out, mean, std, op="normal")


def randint(out, low, high):
    """Integers uniform in [low, high) into device array `out`."""
    return _launch_rng(_randint, out, int(low), int(high) - int(low), op="randint")


def bernoulli(out, p):
    """1 with probability p, else 0, into device array `out`."""
    return _launch_rng(_bernoulli, out, float(p), op="bernoulli")
