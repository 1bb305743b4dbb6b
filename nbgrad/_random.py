"""Random factories: ``rand``, ``randn``, ``randint``, their ``*_like`` forms,
and the seed (``manual_seed``, ``seed``, ``initial_seed``).

Numba's generator (`nbgrad.backends.cpu.creation`) draws on the CPU; CUDA
tensors use the CUDA backend's.  Errors are PyTorch's: a random float factory
of an integer dtype is NotImplementedError, randint bounds are checked for the
dtype (RuntimeError) and must be ints that fit int64.
"""

import numpy as np

from nbgrad import _dtypes
from nbgrad._factories import _INT64_MAX, _alloc, _count, _device, _like, _on, _shape
from nbgrad.backends import dispatch
from nbgrad.backends.cpu import creation

__all__ = ["initial_seed", "manual_seed", "rand", "rand_like", "randint", "randint_like",
           "randn", "randn_like", "seed"]


# PyTorch's kernel names in its "not implemented for" errors
_RANDOM_KERNEL = {"rand": "check_uniform_bounds", "randn": "normal_kernel_cpu"}


def _random(size, op, dtype, device, requires_grad, kernel, a, b):
    d = _dtypes.dtype_arg(dtype, op)
    if not d.is_floating_point:
        raise NotImplementedError(f"\"{_RANDOM_KERNEL[op]}\" not implemented for "
                                  f"'{d.torch_name}' ({op}() of dtype {d!r}: use a float dtype)")
    dev = _device(device)
    data = _alloc(_shape(size, op), d.np, dev)
    if data.size:
        be = dispatch.backend(dev)
        getattr(be.creation, kernel)(be.reshape(data, (data.size,)), np.float64(a),
                                     np.float64(b))
    return _on(data, d, dev, requires_grad)


def rand(*size, dtype=None, device=None, requires_grad=False, generator=None):
    """Uniform samples in [0, 1)."""
    return _random(size, "rand", dtype, device, requires_grad, "uniform", 0.0, 1.0)


def randn(*size, dtype=None, device=None, requires_grad=False, generator=None):
    """Standard normal samples: ``nb.randn(2, 2)``."""
    return _random(size, "randn", dtype, device, requires_grad, "normal", 0.0, 1.0)


# the C type names of PyTorch's randint bound errors
_C_INT_NAMES = {"uint8": "unsigned char", "int8": "signed char", "int16": "short",
                "int32": "int", "int64": "long", "bool": "bool"}


def _randint_bounds(low, high, d):
    """(low, high) as int64 with PyTorch's checks for `d`."""
    bounds = []
    for v, name in ((low, "low"), (high, "high")):
        v = _count(v, "randint", name)
        if not -_INT64_MAX - 1 <= v <= _INT64_MAX:
            raise ValueError(f"randint(): Overflow when unpacking long long ({name}={v})")
        bounds.append(v)
    low, high = bounds
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}")
    if not d.is_floating_point and d is not _dtypes.int64:
        lo, hi = (0, 1) if d is _dtypes.bool else _dtypes._limits(d)
        if not lo <= low <= hi:
            raise RuntimeError(f"from is out of bounds for {_C_INT_NAMES[d.name]} "
                               f"(low={low}, dtype {d!r})")
        if not lo <= high - 1 <= hi:
            raise RuntimeError(f"to - 1 is out of bounds for {_C_INT_NAMES[d.name]} "
                               f"(high={high}, dtype {d!r})")
    return low, high


def randint(low, high=None, size=None, *, dtype=None, device=None, requires_grad=False):
    """Integers drawn uniformly from [low, high): ``nb.randint(0, 10, (3,))`` or
    ``nb.randint(10, (3,))``."""
    if size is None and isinstance(high, (tuple, list)):   # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint() missing required argument 'size'")
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"randint(): argument 'size' must be tuple of ints, not "
                        f"{type(size).__name__}")
    d = _dtypes.int64 if dtype is None else _dtypes.dtype_arg(dtype, "randint")
    low, high = _randint_bounds(low, high, d)
    dev = _device(device)
    data = _alloc(_shape((size,), "randint"), np.int64, dev)
    b = dispatch.backend(dev)
    if data.size:
        b.creation.randint(b.reshape(data, (data.size,)), np.int64(low), np.int64(high))
    if d is not _dtypes.int64:
        data = b.cast(data, d)
    return _on(data, d, dev, requires_grad)


def rand_like(t, *, dtype=None, device=None, requires_grad=False):
    d, dev = _like(t, dtype, device, "rand_like")
    return rand(t._data.shape, dtype=d, device=dev, requires_grad=requires_grad)


def randn_like(t, *, dtype=None, device=None, requires_grad=False):
    d, dev = _like(t, dtype, device, "randn_like")
    return randn(t._data.shape, dtype=d, device=dev, requires_grad=requires_grad)


def randint_like(t, low, high=None, *, dtype=None, device=None):
    d, dev = _like(t, dtype, device, "randint_like")
    return randint(low, high, t._data.shape, dtype=d, device=dev)


_seed = [0]


def manual_seed(seed):
    """Seed nbgrad's random generator (Numba's, shared by rand/randn/randint)."""
    seed = int(seed)
    if not -(1 << 63) <= seed < 1 << 64:   # PyTorch takes int64 and uint64 seeds
        raise ValueError(f"manual_seed(): Overflow when unpacking long long (seed {seed})")
    _seed[0] = seed
    creation.seed(seed % (2 ** 32))
    dispatch.seed_cuda(seed)   # imports nothing before the first CUDA tensor
    return _Generator(seed)


def seed():
    """Seed from a non-deterministic source; returns the seed."""
    import random
    s = random.getrandbits(63)
    manual_seed(s)
    return s


def initial_seed():
    return _seed[0]


class _Generator:
    """What manual_seed returns (PyTorch returns its default Generator)."""

    def __init__(self, seed):
        self._seed = seed

    def initial_seed(self):
        return self._seed

    def __repr__(self):
        return f"<nbgrad.Generator object at {hex(id(self))}>"
