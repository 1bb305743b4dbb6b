"""Tensor factories: ``tensor``, ``ones``, ``zeros``, ``full``, ``empty``,
``arange``, ``linspace``, ``eye``, ``rand``, ``randn``, ``randint``, the
``*_like`` forms and ``manual_seed``.

NumPy allocates the buffers; Numba kernels (`nbgrad.backends.cpu.creation`)
fill them.  With ``device="cuda"`` the buffer is allocated on the GPU and
filled there by the kernels of `nbgrad.backends.cuda.creation` (data given
on the host, as in ``tensor([...], device="cuda")``, is copied once).
`as_tensor` and `from_dlpack` wrap GPU arrays of other libraries
(``__cuda_array_interface__``, DLPack) without a copy.  Defaults follow
PyTorch: Python floats give the default float dtype (float32), ints give
int64, bools give bool.
"""

import math
import numbers

import numpy as np

from nbgrad import _dtypes
from nbgrad._device import as_device, cpu_device
from nbgrad.backends import dispatch
from nbgrad.backends.cpu import creation
from nbgrad.tensor import Tensor

__all__ = ["tensor", "as_tensor", "from_numpy", "ones", "zeros", "full", "empty",
           "arange", "linspace", "eye", "rand", "randn", "randint", "ones_like",
           "zeros_like", "full_like", "empty_like", "rand_like", "randn_like",
           "randint_like", "manual_seed", "seed", "initial_seed", "from_dlpack"]


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


def _device(device):
    """The device argument as a device; a CUDA one is checked to be usable."""
    if device is None or device is cpu_device:
        return cpu_device
    dev = as_device(device)
    return dev if dev is cpu_device else dispatch.check_device(dev)


def _finish(data, dtype, device, requires_grad):
    """A tensor of host buffer `data`, copied to `device` when that is not the CPU."""
    dev = _device(device)
    if dev is not cpu_device:
        data = dispatch.to_device(data, dev)
    t = Tensor._make(data, dtype, dev)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _on(data, dtype, dev, requires_grad):
    t = Tensor._make(data, dtype, dev)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _filled(shape, value, dtype, device, requires_grad):
    dev = _device(device)
    if dev is not cpu_device:
        data = dispatch.empty(shape, dtype.np, device=dev)
        return _on(dispatch.fill(data, value), dtype, dev, requires_grad)
    data = np.empty(shape, dtype.np)
    if data.size:
        creation.fill(data.ravel(), dtype.np.type(value))
    return _on(data, dtype, dev, requires_grad)


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
        if device is None:
            device = data.device
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
    """`data` as a tensor, sharing memory with a NumPy array, a Tensor or a GPU array
    (anything with ``__cuda_array_interface__``: CuPy, PyTorch, Numba) when possible.

    >>> nb.as_tensor(np.arange(3.0))
    tensor([0., 1., 2.], dtype=torch.float64)
    """
    if not isinstance(data, (Tensor, np.ndarray)) and (
            getattr(type(data), "__cuda_ndarray__", False)   # a numba device array
            or getattr(data, "__cuda_array_interface__", None) is not None):
        t = _from_device_array(data, "as_tensor")
        return as_tensor(t, dtype, device) if dtype is not None or device is not None else t
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


def _from_device_array(obj, opname):
    """A CUDA tensor viewing the GPU memory of `obj` (no copy)."""
    dev = dispatch.check_device(as_device("cuda"))
    d = dispatch.cuda().interop.as_device_array(obj)
    if d is obj:   # the caller's own numba array: wrap a view of it (its .base is obj)
        d = dispatch.as_strided(d, tuple(d.shape), tuple(d.strides))
    try:
        dtype = _dtypes.from_numpy_dtype(d.dtype)
    except (KeyError, TypeError, ValueError):
        raise TypeError(f"{opname}(): unsupported dtype {d.dtype} of a "
                        f"{type(obj).__name__}") from None
    return Tensor._make(d, dtype, dev)


def from_dlpack(ext_tensor):
    """A tensor sharing memory with a DLPack exporter (an object with
    ``__dlpack__``: a NumPy array, or a CuPy/PyTorch/JAX GPU array, which
    stays on the GPU).  No copy.

    >>> nb.from_dlpack(np.ones(2))
    tensor([1., 1.], dtype=torch.float64)
    """
    if isinstance(ext_tensor, Tensor):
        return ext_tensor
    if not hasattr(ext_tensor, "__dlpack__"):
        raise TypeError(f"from_dlpack(): expected an object with __dlpack__, got "
                        f"{type(ext_tensor).__name__}")
    kind = 1
    if hasattr(ext_tensor, "__dlpack_device__"):
        kind = int(ext_tensor.__dlpack_device__()[0])
    if kind in (1, 3):   # kDLCPU, kDLCUDAHost: host memory
        a = np.from_dlpack(ext_tensor)
        return Tensor._make(a, _dtypes.from_numpy_dtype(a.dtype))
    if kind not in (2, 13):   # kDLCUDA, kDLCUDAManaged
        raise RuntimeError(f"from_dlpack(): unsupported DLPack device type {kind} (only CPU "
                           "and CUDA memory)")
    dev = dispatch.check_device(as_device("cuda"))
    d = dispatch.cuda().interop.from_dlpack(ext_tensor)
    return Tensor._make(d, _dtypes.from_numpy_dtype(d.dtype), dev)


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
    dev = _device(device)
    return _on(dispatch.empty(_shape(size, "empty"), d.np, device=dev), d, dev, requires_grad)


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
    return empty(tuple(t._data.shape), dtype=d, device=dev, requires_grad=requires_grad)


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
    dev = _device(device)
    data = dispatch.empty((n,), d.np, device=dev)
    if n:
        kernels = dispatch.backend(dev).creation
        kernels.arange(data, np.float64(start), np.float64(step)) if d.is_floating_point \
            else kernels.arange(data, np.int64(start), np.int64(step))
    return _on(data, d, dev, requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    """`steps` evenly spaced values from `start` to `end` inclusive."""
    d = _dtypes.as_dtype(dtype)
    dev = _device(device)
    data = dispatch.empty((int(steps),), d.np, device=dev)
    if steps:
        dispatch.backend(dev).creation.linspace(data, np.float64(start), np.float64(end))
    return _on(data, d, dev, requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    """The identity matrix (n x m)."""
    d = _dtypes.as_dtype(dtype)
    dev = _device(device)
    data = dispatch.empty((n, n if m is None else m), d.np, device=dev)
    if data.size:
        dispatch.backend(dev).creation.eye(data)
    return _on(data, d, dev, requires_grad)


def _random(size, op, dtype, device, requires_grad, kernel, a, b):
    d = _dtypes.as_dtype(dtype)
    if not d.is_floating_point:
        raise RuntimeError(f"{op}(): \"{op}\" not implemented for '{d.name.capitalize()}'")
    dev = _device(device)
    data = dispatch.empty(_shape(size, op), d.np, device=dev)
    if data.size:
        fn = getattr(dispatch.backend(dev).creation, kernel)
        fn(dispatch.reshape(data, (data.size,)), np.float64(a), np.float64(b))
    return _on(data, d, dev, requires_grad)


def rand(*size, dtype=None, device=None, requires_grad=False, generator=None):
    """Uniform samples in [0, 1)."""
    return _random(size, "rand", dtype, device, requires_grad, "uniform", 0.0, 1.0)


def randn(*size, dtype=None, device=None, requires_grad=False, generator=None):
    """Standard normal samples: ``nb.randn(2, 2)``."""
    return _random(size, "randn", dtype, device, requires_grad, "normal", 0.0, 1.0)


def randint(low, high=None, size=None, *, dtype=None, device=None, requires_grad=False):
    """Integers drawn uniformly from [low, high)."""
    if high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint() missing required argument 'size'")
    d = _dtypes.int64 if dtype is None else _dtypes.as_dtype(dtype)
    dev = _device(device)
    data = dispatch.empty(_shape((size,), "randint"), np.int64, device=dev)
    if data.size:
        dispatch.backend(dev).creation.randint(dispatch.reshape(data, (data.size,)),
                                               np.int64(low), np.int64(high))
    if d is not _dtypes.int64:
        data = dispatch.cast(data, d)
    return _on(data, d, dev, requires_grad)


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
    from nbgrad import cuda
    cuda.manual_seed(seed)   # imports nothing before the first CUDA tensor
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
        return tensor(args[0], dtype=_dtypes.float32 if dtype is None else dtype, device=device)
    return empty(*args, dtype=dtype, device=device)


def _rebuild(array, dtype_name, requires_grad, device="cpu"):
    return _finish(array, _dtypes.as_dtype(dtype_name), device, requires_grad)
