"""Random generators and the random factories: ``Generator``, the default
generator of each device and the seed functions (``manual_seed``, ``seed``,
``initial_seed``, ``get_rng_state``, ``set_rng_state``); ``rand``, ``randn``,
``randint``, ``randperm`` and their ``*_like`` forms.

A generator is a (seed, offset) pair for the counter-based Philox4x32-10
generator of `nbgrad.backends.philox`: a draw of n numbers takes the current
offset and advances it by n, and the backend kernels compute element i from
(seed, offset + i).  So a seed gives the same numbers on the CPU and on CUDA,
in serial and parallel loops; the values are not PyTorch's (its CPU generator
is a Mersenne twister).  Its state (`Generator.get_state`) is 16 bytes: the
seed and the offset as little-endian uint64.

Every factory draw goes through `_random` (floats), `_integers` or
`_permutation`, looked up in this module at each call and called as
``draw(size, op, ...)`` with the factory's name `op`: ``nb.compile``'s recorder
patches these three to log each draw, which a replay makes again.  The
random ops on tensors (``normal``, ``bernoulli``, ``multinomial``, the
in-place ``uniform_``...) are in `nbgrad._random_ops`.  Errors are PyTorch's:
a random float factory of an integer dtype is NotImplementedError, randint
bounds are checked for the dtype (RuntimeError) and must be ints that fit int64.
"""

import numbers
import os
import threading

import numpy as np

from nbgrad import _dtypes
from nbgrad._device import as_device, cpu_device
from nbgrad._factories import _INT64_MAX, _alloc, _count, _device, _like, _on, _shape
from nbgrad.backends import dispatch, philox
from nbgrad.tensor import Tensor

__all__ = ["Generator", "default_generator", "get_rng_state", "initial_seed", "manual_seed",
           "rand", "rand_like", "randint", "randint_like", "randn", "randn_like", "randperm",
           "seed", "set_rng_state"]

DEFAULT_SEED = 67280421310721   # PyTorch's default seed (a fresh torch.Generator's)
_STATE_BYTES = 16
_U64 = 1 << 64


def _seed_value(seed, who):
    """`seed` as a uint64 (negative seeds wrap, as PyTorch's); ValueError outside
    [-2**63, 2**64)."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise RuntimeError(f"{who} expected a long, but got {type(seed).__name__}")
    seed = int(seed)
    if not -(1 << 63) <= seed < _U64:   # PyTorch takes int64 and uint64 seeds
        raise ValueError(f"{who}(): Overflow when unpacking long long (seed {seed})")
    return seed % _U64


class Generator:
    """A random number generator: ``g = nb.Generator().manual_seed(0)``, then
    ``nb.rand(3, generator=g)``.  `device` is 'cpu' or 'cuda' (the tensors it
    may fill); one seed gives the same numbers on both."""

    def __init__(self, device="cpu"):
        dev = as_device(device)
        if dev.type == "cuda" and dev.index is None:
            dev = as_device("cuda:0")
        self._device = dev
        self._seed = DEFAULT_SEED
        self._offset = 0
        self._lock = threading.Lock()   # two threads drawing never get the same numbers

    @property
    def device(self):
        return self._device

    def manual_seed(self, seed):
        """Seed the generator (and restart its stream); returns the generator."""
        seed = _seed_value(seed, "manual_seed")
        with self._lock:
            self._seed, self._offset = seed, 0
        return self

    def seed(self):
        """Seed from the operating system's entropy; returns the seed."""
        s = int.from_bytes(os.urandom(8), "little") >> 1   # PyTorch's seeds fit int64
        self.manual_seed(s)
        return s

    def initial_seed(self):
        """The seed the generator was last seeded with."""
        return self._seed

    def get_state(self):
        """The state as a uint8 tensor (seed and offset, little-endian uint64)."""
        with self._lock:
            raw = np.array([self._seed, self._offset], dtype="<u8").view(np.uint8)
        return Tensor._make(raw.copy(), _dtypes.uint8, cpu_device)

    def set_state(self, new_state):
        """Restore a state from `get_state`; returns the generator."""
        if not isinstance(new_state, Tensor) or new_state.dtype is not _dtypes.uint8:
            what = type(new_state).__name__ if not isinstance(new_state, Tensor) else \
                f"a tensor of dtype {new_state.dtype}"
            raise TypeError(f"RNG state must be a torch.ByteTensor (got {what})")
        raw = np.ascontiguousarray(new_state.cpu().numpy()).reshape(-1)
        if raw.size != _STATE_BYTES:
            raise RuntimeError(f"Expected an nbgrad Generator state of size {_STATE_BYTES} "
                               f"but found the input RNG state size to be {raw.size}")
        seed, offset = (int(v) for v in raw.view("<u8"))
        with self._lock:
            self._seed, self._offset = seed, offset
        return self

    def _take(self, n):
        """(seed, offset) for a draw of `n` counters; advances the offset by n."""
        with self._lock:
            s, o = self._seed, self._offset
            self._offset = (o + n) % _U64
        return s, o

    def __repr__(self):
        return f"<nbgrad.Generator object at {hex(id(self))}>"


default_generator = Generator("cpu")
_defaults = {cpu_device: default_generator}   # device -> its default generator
_next_seed = {"cpu": DEFAULT_SEED, "cuda": DEFAULT_SEED}   # for defaults made later


def default_generator_for(device):
    """The default generator of `device` (made on first use, with the last seed)."""
    g = _defaults.get(device)
    if g is None:
        g = _defaults[device] = Generator(device).manual_seed(_next_seed[device.type])
    return g


def seed_device_type(kind, seed):
    """Seed every default generator of devices of type `kind` ('cpu', 'cuda'),
    those made later included (``nb.cuda.manual_seed``)."""
    seed = _seed_value(seed, "manual_seed")
    _next_seed[kind] = seed
    for dev, g in list(_defaults.items()):
        if dev.type == kind:
            g.manual_seed(seed)


def generator_for(generator, device, op):
    """The generator a draw on `device` uses: `generator`, checked, or the default."""
    if generator is None:
        return default_generator_for(device)
    if not isinstance(generator, Generator):
        raise TypeError(f"{op}(): argument 'generator' must be torch.Generator, not "
                        f"{type(generator).__name__}")
    if generator.device.type != device.type:
        raise RuntimeError(f"Expected a '{device.type}' device type for generator but found "
                           f"'{generator.device.type}' ({op} on {device})")
    return generator


def manual_seed(seed):
    """Seed the default generators of every device; returns the CPU's."""
    seed = int(seed)
    if not -(1 << 63) <= seed < _U64:   # PyTorch takes int64 and uint64 seeds
        raise ValueError(f"manual_seed(): Overflow when unpacking long long (seed {seed})")
    for kind in ("cpu", "cuda"):
        seed_device_type(kind, seed)
    return default_generator


def seed():
    """Seed every device from the operating system's entropy; returns the seed."""
    s = default_generator.seed()
    manual_seed(s)
    return s


def initial_seed():
    """The seed of the CPU's default generator."""
    return default_generator.initial_seed()


def get_rng_state():
    """The CPU default generator's state (a uint8 tensor, see `Generator.get_state`)."""
    return default_generator.get_state()


def set_rng_state(new_state):
    """Restore the CPU default generator's state from `get_rng_state`."""
    default_generator.set_state(new_state)


# -- factories ---------------------------------------------------------------------------
# PyTorch's kernel names in its "not implemented for" errors
_RANDOM_KERNEL = {"rand": "check_uniform_bounds", "randn": "normal_kernel_cpu",
                  "normal": "normal_kernel_cpu"}


def _random(size, op, dtype, device, requires_grad, kind, a, b, generator=None):
    """A new float tensor of distribution `kind` (`philox.UNIFORM`...) with parameters a, b."""
    d = _dtypes.dtype_arg(dtype, op)
    if not d.is_floating_point:
        raise NotImplementedError(f"\"{_RANDOM_KERNEL[op]}\" not implemented for "
                                  f"'{d.torch_name}' ({op}() of dtype {d!r}: use a float dtype)")
    dev = _device(device)
    data = _alloc(_shape(size, op), d.np, dev)
    if data.size:
        s, o = generator_for(generator, dev, op)._take(data.size)
        be = dispatch.backend(dev)
        be.creation.sample(be.reshape(data, (data.size,)), kind, s, o, a, b)
    return _on(data, d, dev, requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Uniform samples in [0, 1): ``nb.rand(2, 3, generator=g)``."""
    return _random(size, "rand", dtype, device, requires_grad, philox.UNIFORM, 0.0, 1.0,
                   generator)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Standard normal samples: ``nb.randn(2, 2)``."""
    return _random(size, "randn", dtype, device, requires_grad, philox.NORMAL, 0.0, 1.0,
                   generator)


# the C type names of PyTorch's randint bound errors
_C_INT_NAMES = {"uint8": "unsigned char", "int8": "signed char", "int16": "short",
                "int32": "int", "int64": "long", "bool": "bool"}


def check_int_bounds(low, high, d):
    """PyTorch's bound checks of randint / random_ for integer dtype `d`."""
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


def _randint_bounds(low, high, d):
    """(low, high) as int64 with PyTorch's checks for `d`."""
    bounds = []
    for v, name in ((low, "low"), (high, "high")):
        v = _count(v, "randint", name)
        if not -_INT64_MAX - 1 <= v <= _INT64_MAX:
            raise ValueError(f"randint(): Overflow when unpacking long long ({name}={v})")
        bounds.append(v)
    check_int_bounds(bounds[0], bounds[1], d)
    return bounds[0], bounds[1]


def _integers(shape, op, low, high, d, dev, requires_grad, generator=None):
    """A new tensor of `shape` and dtype `d` on `dev`, integers uniform in [low, high)."""
    data = _alloc(shape, np.int64, dev)
    b = dispatch.backend(dev)
    if data.size:
        s, o = generator_for(generator, dev, op)._take(data.size)
        b.creation.integers(b.reshape(data, (data.size,)), s, o, low, (high - low) % _U64)
    return _on(data if d is _dtypes.int64 else b.cast(data, d), d, dev, requires_grad)


def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad=False):
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
    return _integers(_shape((size,), "randint"), "randint", low, high, d, dev, requires_grad,
                     generator)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False,
             pin_memory=False):
    """A random permutation of 0..n-1: ``nb.randperm(5)``."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"randperm(): argument 'n' (position 1) must be int, not "
                        f"{type(n).__name__}")
    n = int(n)
    d = _dtypes.int64 if dtype is None else _dtypes.dtype_arg(dtype, "randperm")
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    if d is _dtypes.bool:
        raise NotImplementedError("\"randperm\" not implemented for 'Bool'")
    top = (1 << (24 if d is _dtypes.float32 else 53)) if d.is_floating_point else \
        _dtypes._limits(d)[1]
    if n - 1 > top:
        raise RuntimeError(f"value cannot be converted to type {d.name} without overflow "
                           f"(randperm({n}) of dtype {d!r})")
    dev = _device(device)
    return _permutation(n, "randperm", d, dev, requires_grad, generator)


def _permutation(n, op, d, dev, requires_grad, generator=None):
    """A new tensor of dtype `d` on `dev`: a uniform permutation of 0..n-1."""
    data = _alloc((n,), np.int64, dev)
    b = dispatch.backend(dev)
    if n:
        s, o = generator_for(generator, dev, op)._take(n)
        b.creation.randperm(data, s, o)
    return _on(data if d is _dtypes.int64 else b.cast(data, d), d, dev, requires_grad)


def rand_like(t, *, generator=None, dtype=None, device=None, requires_grad=False,
              memory_format=None):
    d, dev = _like(t, dtype, device, "rand_like")
    return rand(t._data.shape, generator=generator, dtype=d, device=dev,
                requires_grad=requires_grad)


def randn_like(t, *, generator=None, dtype=None, device=None, requires_grad=False,
               memory_format=None):
    d, dev = _like(t, dtype, device, "randn_like")
    return randn(t._data.shape, generator=generator, dtype=d, device=dev,
                 requires_grad=requires_grad)


def randint_like(t, low=0, high=None, *, generator=None, dtype=None, device=None,
                 requires_grad=False, memory_format=None):
    d, dev = _like(t, dtype, device, "randint_like")
    return randint(low, high, t._data.shape, generator=generator, dtype=d, device=dev,
                   requires_grad=requires_grad)
