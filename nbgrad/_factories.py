"""Tensor factories: ``tensor``, ``ones``, ``zeros``, ``full``, ``empty``,
``arange``, ``linspace``, ``eye``, ``rand``, ``randn``, ``randint``, the
``*_like`` forms and ``manual_seed``.

NumPy allocates the buffers; Numba kernels (`nbgrad.backends.cpu.creation`)
fill them.  Defaults follow PyTorch: Python floats give the default float
dtype (float32), ints give int64, bools give bool.
"""

import math
import numbers

import numpy as np

from nbgrad import _dtypes
from nbgrad._device import as_device, cpu_device
from nbgrad.backends.cpu import creation
from nbgrad.tensor import Tensor

__all__ = ["tensor", "as_tensor", "from_numpy", "ones", "zeros", "full", "empty",
           "arange", "linspace", "eye", "rand", "randn", "randint", "ones_like",
           "zeros_like", "full_like", "empty_like", "rand_like", "randn_like",
           "randint_like", "manual_seed", "seed", "initial_seed"]


def _shape(size, op):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for s in size:   # the common case: non-negative Python ints
        if s.__class__ is not int or s < 0:
            break
    else:
        return size
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = int(s)
        if not isinstance(s, numbers.Integral) or isinstance(s, bool):
            raise TypeError(f"{op}(): argument 'size' must be a tuple of ints, but found "
                            f"element of type {type(s).__name__}")
        if s < 0:
            raise RuntimeError(f"{op}(): Trying to create tensor with negative dimension {s}: "
                               f"{list(size)}")
        out.append(int(s))
    return tuple(out)


def _finish(data, dtype, device, requires_grad):
    t = Tensor._make(data, dtype)
    if device is not None and as_device(device) is not cpu_device:
        t = t.to(device)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _filled(shape, value, dtype, device, requires_grad):
    data = np.empty(shape, dtype.np)
    if data.size:
        creation.fill(data.ravel(), dtype.np.type(value))
    return _finish(data, dtype, device, requires_grad)


def _infer_dtype(data):
    """PyTorch's dtype for nested Python data: any float -> default float."""
    kind = _dtypes.bool
    stack = [data]
    while stack:
        x = stack.pop()
        if isinstance(x, (list, tuple)):
            stack.extend(x)
        elif isinstance(x, Tensor):
            kind = _dtypes._promote_pair(kind, x.dtype) if x.ndim else \
                _dtypes.result_type(kind_tensor(kind), x)
        elif isinstance(x, (bool, np.bool_)):
            continue
        elif isinstance(x, numbers.Integral):
            if kind.category < _dtypes._INT:
                kind = _dtypes.int64
        elif isinstance(x, numbers.Real):
            return _dtypes.get_default_dtype()
        else:
            raise TypeError(f"tensor(): could not infer dtype of {type(x).__name__}")
    return kind


def kind_tensor(dtype):
    return Tensor._make(np.empty((1,), dtype.np), dtype)


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor with a copy of `data` (nested lists, numbers, arrays, tensors).

    >>> nb.tensor([0.1, 1.0, 0.0001])
    tensor([1.0000e-01, 1.0000e+00, 1.0000e-04])
    """
    if isinstance(data, Tensor):
        arr = data.detach()._host()
        d = data.dtype if dtype is None else _dtypes.as_dtype(dtype)
    elif isinstance(data, np.ndarray):
        d = _dtypes.from_numpy_dtype(data.dtype) if dtype is None else _dtypes.as_dtype(dtype)
        arr = data
    else:
        d = _infer_dtype(data) if dtype is None else _dtypes.as_dtype(dtype)
        if isinstance(data, (list, tuple)):
            data = _unwrap(data)
        try:
            arr = np.array(data, dtype=np.float64 if d.is_floating_point else None)
        except ValueError as e:
            raise ValueError(f"tensor(): could not build a tensor from {type(data).__name__}: "
                             f"{e}") from None
    out = np.empty(arr.shape, d.np)
    if out.size:
        from nbgrad.ops.elementwise import cast_array
        src = arr
        if src.dtype == d.np:
            out = _copy(src)
        else:
            out = cast_array(src if src.dtype != object else src.astype(np.float64), d)
    return _finish(out, d, device, requires_grad)


def _copy(a):
    from nbgrad.ops.elementwise import cast_array
    return cast_array(a, _dtypes.from_numpy_dtype(a.dtype))


def _unwrap(data):
    """Nested lists with 0-d/1-element Tensors replaced by Python numbers."""
    if isinstance(data, (list, tuple)):
        return [_unwrap(x) for x in data]
    if isinstance(data, Tensor):
        return data.tolist()
    return data


def as_tensor(data, dtype=None, device=None):
    """`data` as a tensor, sharing memory with a NumPy array or Tensor when possible."""
    if isinstance(data, Tensor):
        t = data
        if dtype is not None and _dtypes.as_dtype(dtype) is not t.dtype:
            t = t.to(_dtypes.as_dtype(dtype))
        if device is not None and as_device(device) != t.device:
            t = t.to(device)
        return t
    if isinstance(data, np.ndarray) and (dtype is None or
                                         _dtypes.as_dtype(dtype).np == data.dtype):
        return _finish(data, _dtypes.from_numpy_dtype(data.dtype), device, False)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array):
    """A tensor sharing memory with NumPy `array`."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    return Tensor._make(array, _dtypes.from_numpy_dtype(array.dtype))


def _float_dtype(dtype, op):
    d = _dtypes.as_dtype(dtype)
    return d


def ones(*size, dtype=None, device=None, requires_grad=False, out=None):
    """A tensor of ones: ``nb.ones(2, 2, requires_grad=True)``."""
    return _filled(_shape(size, "ones"), 1, _dtypes.as_dtype(dtype), device, requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None):
    """A tensor of zeros: ``nb.zeros(3)``."""
    return _filled(_shape(size, "zeros"), 0, _dtypes.as_dtype(dtype), device, requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False):
    """A tensor filled with `fill_value`; its dtype is inferred from the value."""
    d = _infer_dtype(fill_value) if dtype is None else _dtypes.as_dtype(dtype)
    return _filled(_shape((size,), "full"), fill_value, d, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False):
    """An uninitialised tensor."""
    d = _dtypes.as_dtype(dtype)
    return _finish(np.empty(_shape(size, "empty"), d.np), d, device, requires_grad)


def _like(t, dtype, device):
    return (t.dtype if dtype is None else _dtypes.as_dtype(dtype),
            t.device if device is None else device)


def ones_like(t, *, dtype=None, device=None, requires_grad=False):
    d, dev = _like(t, dtype, device)
    return _filled(t._data.shape, 1, d, dev, requires_grad)


def zeros_like(t, *, dtype=None, device=None, requires_grad=False):
    d, dev = _like(t, dtype, device)
    return _filled(t._data.shape, 0, d, dev, requires_grad)


def full_like(t, fill_value, *, dtype=None, device=None, requires_grad=False):
    d, dev = _like(t, dtype, device)
    return _filled(t._data.shape, fill_value, d, dev, requires_grad)


def empty_like(t, *, dtype=None, device=None, requires_grad=False):
    d, dev = _like(t, dtype, device)
    return _finish(np.empty(t._data.shape, d.np), d, dev, requires_grad)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """Values from `start` to `end` (exclusive) by `step`: ``nb.arange(5)``."""
    if end is None:
        start, end = 0, start
    vals = [float(v) if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = vals
    if step == 0:
        raise RuntimeError("arange(): step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("arange(): upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        is_int = all(isinstance(v, numbers.Integral) for v in vals)
        d = _dtypes.int64 if is_int else _dtypes.get_default_dtype()
    else:
        d = _dtypes.as_dtype(dtype)
    n = max(0, math.ceil((end - start) / step))
    data = np.empty((n,), d.np)
    if n:
        creation.arange(data, np.float64(start), np.float64(step)) if d.is_floating_point \
            else creation.arange(data, np.int64(start), np.int64(step))
    return _finish(data, d, device, requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    """`steps` evenly spaced values from `start` to `end` inclusive."""
    d = _dtypes.as_dtype(dtype)
    data = np.empty((int(steps),), d.np)
    if steps:
        creation.linspace(data, np.float64(start), np.float64(end))
    return _finish(data, d, device, requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    """The identity matrix (n x m)."""
    d = _dtypes.as_dtype(dtype)
    data = np.empty((n, n if m is None else m), d.np)
    creation.eye(data)
    return _finish(data, d, device, requires_grad)


def _random(size, op, dtype, device, requires_grad, kernel, a, b):
    d = _dtypes.as_dtype(dtype)
    if not d.is_floating_point:
        raise RuntimeError(f"{op}(): \"{op}\" not implemented for '{d.name.capitalize()}'")
    data = np.empty(_shape(size, op), d.np)
    if data.size:
        kernel(data.reshape(-1), np.float64(a), np.float64(b))
    return _finish(data, d, device, requires_grad)


def rand(*size, dtype=None, device=None, requires_grad=False, generator=None):
    """Uniform samples in [0, 1)."""
    return _random(size, "rand", dtype, device, requires_grad, creation.uniform, 0.0, 1.0)


def randn(*size, dtype=None, device=None, requires_grad=False, generator=None):
    """Standard normal samples: ``nb.randn(2, 2)``."""
    return _random(size, "randn", dtype, device, requires_grad, creation.normal, 0.0, 1.0)


def randint(low, high=None, size=None, *, dtype=None, device=None, requires_grad=False):
    """Integers drawn uniformly from [low, high)."""
    if high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint() missing required argument 'size'")
    d = _dtypes.int64 if dtype is None else _dtypes.as_dtype(dtype)
    data = np.empty(_shape((size,), "randint"), np.int64)
    if data.size:
        creation.randint(data.reshape(-1), np.int64(low), np.int64(high))
    if d is not _dtypes.int64:
        from nbgrad.ops.elementwise import cast_array
        data = cast_array(data, d)
    return _finish(data, d, device, requires_grad)


def rand_like(t, *, dtype=None, device=None, requires_grad=False):
    d, dev = _like(t, dtype, device)
    return rand(t._data.shape, dtype=d, device=dev, requires_grad=requires_grad)


def randn_like(t, *, dtype=None, device=None, requires_grad=False):
    d, dev = _like(t, dtype, device)
    return randn(t._data.shape, dtype=d, device=dev, requires_grad=requires_grad)


def randint_like(t, low, high=None, *, dtype=None, device=None):
    d, dev = _like(t, dtype, device)
    return randint(low, high, t._data.shape, dtype=d, device=dev)


_seed = [0]


def manual_seed(seed):
    """Seed nbgrad's random generator (Numba's, shared by rand/randn/randint)."""
    seed = int(seed)
    _seed[0] = seed
    creation.seed(seed % (2 ** 32))
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


def legacy_constructor(*args, dtype=None, device=None):
    """``nb.Tensor(2, 3)`` (uninitialised) or ``nb.Tensor([1, 2])`` (float data)."""
    if len(args) == 1 and not isinstance(args[0], numbers.Integral):
        return tensor(args[0], dtype=_dtypes.float32 if dtype is None else dtype)
    return empty(*args, dtype=dtype)


def _rebuild(array, dtype_name, requires_grad):
    t = Tensor._make(array, _dtypes.as_dtype(dtype_name))
    if requires_grad:
        t.requires_grad_(True)
    return t
