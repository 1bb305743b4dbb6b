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
int64, bools give bool.  So do the errors: sizes, fill values and bounds are
checked as PyTorch checks them (integer overflow raises, never wraps: see
`nbgrad._from_data` and `nbgrad._dtypes.checked_scalar`), and a failed
allocation is a RuntimeError.  The ``Tensor.new_*`` factories and
``Tensor.type`` are attached here.
"""

import math
import numbers
import operator

import numpy as np

from nbgrad import _dtypes
from nbgrad import tensor as _tensor_module
from nbgrad._device import as_device, check_device, cpu_device, default_device
from nbgrad._finfo import check_memory_format
from nbgrad._from_data import check_array, from_sequence
from nbgrad.backends import cpu as host
from nbgrad.backends import dispatch
from nbgrad.tensor import Tensor

__all__ = [
    "arange",
    "as_tensor",
    "empty",
    "empty_like",
    "eye",
    "from_dlpack",
    "from_numpy",
    "full",
    "full_like",
    "linspace",
    "ones",
    "ones_like",
    "tensor",
    "zeros",
    "zeros_like",
]


_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1


def _shape(size, op):
    """`size` (ints, or one tuple/list of them) as a tuple, with PyTorch's errors."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    elif len(size) == 1 and size[0].__class__ is bool:   # a bool alone is no size
        raise TypeError(f"{op}(): argument 'size' (position 1) must be tuple of ints, not bool")
    for s in size:   # the common case: non-negative Python ints
        if s.__class__ is not int or s < 0 or s > _INT64_MAX:
            break
    else:
        return size
    out = []
    for i, s in enumerate(size):
        try:
            s = operator.index(s)   # ints, NumPy ints, integer 0-d tensors
        except TypeError:
            raise TypeError(f"{op}(): argument 'size' must be tuple of ints, but found element "
                            f"of type {type(s).__name__} at pos {i + 1}") from None
        if s > _INT64_MAX or s < -_INT64_MAX - 1:
            raise TypeError(f"{op}(): argument 'size' failed to unpack the object at pos "
                            f"{i + 1} with error \"Overflow when unpacking long long\" "
                            f"(size {s})")
        if s < 0:
            raise RuntimeError(f"{op}(): Trying to create tensor with negative dimension {s}: "
                               f"{list(size)}")
        out.append(s)
    return tuple(out)


def _alloc(shape, np_dtype, dev):
    """A new buffer on `dev`; PyTorch's RuntimeError when it cannot be had."""
    return dispatch.backend(dev).empty(shape, np_dtype)


def _device(device):
    """The device argument as a device (None: the default device, see
    `nb.set_default_device`); a CUDA one is checked to be usable."""
    if device is None:
        device = default_device[0]
        if device is None:
            return cpu_device
    if device is cpu_device:
        return cpu_device
    dev = as_device(device)
    return dev if dev is cpu_device else check_device(dev)


def _finish(data, dtype, device, requires_grad):
    """A tensor of host buffer `data`, copied to `device` when that is not the CPU."""
    dev = _device(device)
    if dev is not cpu_device:
        data = dispatch.backend(dev).to_device(data)
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
    """A tensor of `shape` filled with `value`, a value of `dtype` already (checked by
    `_dtypes.checked_scalar` where it comes from the user)."""
    dev = _device(device)
    return _on(dispatch.backend(dev).full(shape, dtype.np, value), dtype, dev, requires_grad)


def _fill_value(value, op):
    """A fill value as the Python number PyTorch reads (0-d tensors, NumPy scalars)."""
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise TypeError(f"{op}(): argument 'fill_value' (position 2) must be Number, not "
                            f"Tensor (a tensor of shape {list(value.shape)}; only 0-d ones)")
        return value.item()
    value = _dtypes.python_scalar(value)
    if value.__class__ not in (bool, int, float) and not isinstance(value, (int, float)):
        raise TypeError(f"{op}(): argument 'fill_value' must be Number, not "
                        f"{type(value).__name__}")
    return value


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor with a copy of `data` (nested lists, numbers, arrays, tensors).

    Integers that do not fit the dtype raise as in PyTorch (``nb.tensor(2**63)``:
    ValueError; ``nb.tensor([300], dtype=nb.uint8)``: RuntimeError).

    >>> nb.tensor([0.1, 1.0, 0.0001])
    tensor([1.0000e-01, 1.0000e+00, 1.0000e-04])
    """
    if dtype is None and data.__class__ in _NUMBER_TENSOR:   # a bare number: nothing to read
        t = _number_tensor(data, device, requires_grad)
        if t is not None:
            return t
    d = None if dtype is None else _dtypes.dtype_arg(dtype, "tensor")
    if isinstance(data, Tensor):
        if device is None:
            device = data.device
        arr = data.detach()._host()
        d = data.dtype if d is None else d
    elif isinstance(data, np.ndarray):   # converted as NumPy converts, as PyTorch does
        src = check_array(data, "tensor")
        d = src if d is None else d
        arr = data
    else:
        arr, d = from_sequence(data, d, Tensor)
        if arr.dtype == d.np:   # a new array already: no second copy
            return _finish(arr, d, device, requires_grad)
    return _finish(_copy(arr, d), d, device, requires_grad)


# the dtype of ``tensor(number)`` (None: the default float dtype)
_NUMBER_TENSOR = {float: None, int: _dtypes.int64, bool: _dtypes.bool}


def _number_tensor(value, device, requires_grad):
    """``tensor(value)`` of a Python float, int or bool, without `from_sequence`'s reading
    of nested data (the notebook's ``torch.tensor(0.5)``); None for an int beyond int64."""
    d = _NUMBER_TENSOR[value.__class__]
    if d is None:
        d = _dtypes.get_default_dtype()
    elif d is _dtypes.int64 and not -(1 << 63) <= value < 1 << 63:
        return None   # from_sequence raises PyTorch's error
    a = np.array(value)   # float64, int64 or bool
    return _finish(a if a.dtype == d.np else _copy(a, d), d, device, requires_grad)


def _copy(a, d):
    """A new host array with `a`'s values as dtype `d` (a kernel; NumPy's wrapping)."""
    if not a.size:
        return _alloc(a.shape, d.np, cpu_device)
    return host.cast(a, d)


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
        if dtype is not None and _dtypes.dtype_arg(dtype, "as_tensor") is not t.dtype:
            t = t.to(_dtypes.dtype_arg(dtype, "as_tensor"))
        if device is not None and as_device(device) != t.device:
            t = t.to(device)
        return t
    if isinstance(data, np.ndarray):
        d = check_array(data, "as_tensor")
        if dtype is None or _dtypes.dtype_arg(dtype, "as_tensor") is d:
            return _finish(data, d, device, False)
    return tensor(data, dtype=dtype, device=device)


def _from_device_array(obj, opname):
    """A CUDA tensor viewing the GPU memory of `obj` (no copy)."""
    dev = check_device(as_device("cuda"))
    cuda = dispatch.backend(dev)
    d = cuda.interop.as_device_array(obj)
    if d is obj:   # the caller's own numba array: wrap a view of it (its .base is obj)
        d = cuda.alias(d)
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
    dev = check_device(as_device("cuda"))
    d = dispatch.backend(dev).interop.from_dlpack(ext_tensor)
    return Tensor._make(d, _dtypes.from_numpy_dtype(d.dtype), dev)


def from_numpy(array):
    """A tensor sharing memory with NumPy `array` (writes go to the array).

    PyTorch's errors: TypeError for a dtype nbgrad has no tensors of (float16,
    uint16/32/64, complex, object...), ValueError for another byte order or
    negative strides; a read-only array gives PyTorch's warning, and an in-place
    op on the tensor then raises RuntimeError.

    >>> nb.from_numpy(np.arange(3.0))
    tensor([0., 1., 2.], dtype=torch.float64)
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    d = check_array(array, "from_numpy")
    if not array.flags.writeable:
        import warnings
        warnings.warn("The given NumPy array is not writable, and PyTorch does not support "
                      "non-writable tensors. nbgrad keeps the array read-only: an in-place op "
                      "on this tensor raises RuntimeError. Copy the array (array.copy()) or "
                      "make it writable before converting it to a tensor.", UserWarning,
                      stacklevel=2)
    return Tensor._make(array, d)


def ones(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of ones: ``nb.ones(2, 2, requires_grad=True)``."""
    d = _dtypes.dtype_arg(dtype, "ones")
    return _filled(_shape(size, "ones"), d.np.type(1), d, device, requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of zeros: ``nb.zeros(3)``."""
    d = _dtypes.dtype_arg(dtype, "zeros")
    return _filled(_shape(size, "zeros"), d.np.type(0), d, device, requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False):
    """A tensor filled with `fill_value`; its dtype is inferred from the value
    (``nb.full((2,), 3)`` is int64).  A value the dtype cannot hold raises
    RuntimeError, as in PyTorch: ``nb.full((2,), 300, dtype=nb.uint8)``."""
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size).__name__}")
    value = _fill_value(fill_value, "full")
    d = _dtypes.dtype_arg(dtype, "full") if dtype is not None else (
        _dtypes.bool if value.__class__ is bool else _dtypes.int64 if isinstance(value, int)
        else _dtypes.get_default_dtype())
    return _filled(_shape((size,), "full"), _dtypes.checked_scalar(value, d), d, device,
                   requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False, pin_memory=False,
          memory_format=None):
    """An uninitialised tensor."""
    check_memory_format("empty", memory_format)
    d = _dtypes.dtype_arg(dtype, "empty")
    dev = _device(device)
    return _on(_alloc(_shape(size, "empty"), d.np, dev), d, dev, requires_grad)


def _like(t, dtype, device, op, memory_format=None):
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(t).__name__}")
    if memory_format is not None:
        check_memory_format(op, memory_format, t._data.shape)
    return (t.dtype if dtype is None else _dtypes.dtype_arg(dtype, op),
            t.device if device is None else device)


def ones_like(t, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    d, dev = _like(t, dtype, device, "ones_like", memory_format)
    return _filled(t._data.shape, d.np.type(1), d, dev, requires_grad)


def zeros_like(t, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    d, dev = _like(t, dtype, device, "zeros_like", memory_format)
    return _filled(t._data.shape, d.np.type(0), d, dev, requires_grad)


def full_like(t, fill_value, *, dtype=None, device=None, requires_grad=False,
              memory_format=None):
    d, dev = _like(t, dtype, device, "full_like", memory_format)
    value = _dtypes.checked_scalar(_fill_value(fill_value, "full_like"), d)
    return _filled(t._data.shape, value, d, dev, requires_grad)


def empty_like(t, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    d, dev = _like(t, dtype, device, "empty_like", memory_format)
    return empty(tuple(t._data.shape), dtype=d, device=dev, requires_grad=requires_grad)


def _number(v, op, name):
    """An arange/linspace bound as a Python number (0-d tensors, NumPy scalars)."""
    if isinstance(v, Tensor):
        v = v.item()
    v = _dtypes.python_scalar(v)
    if v.__class__ is bool:
        return int(v)
    if not isinstance(v, (int, float)):
        raise TypeError(f"{op}(): argument '{name}' must be Number, not {type(v).__name__}")
    return v


def _arange_size(start, end, step):
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"arange(): unsupported range: {start} -> {end}")
    if step == 0:
        raise RuntimeError("arange(): step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("arange(): upper bound and lower bound inconsistent with step "
                           f"sign (start {start}, end {end}, step {step})")
    return max(0, math.ceil((end - start) / step))


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    """Values from `start` to `end` (exclusive) by `step`: ``nb.arange(5)``.

    Integer dtypes take the bounds as int64 (truncated; RuntimeError beyond, as
    PyTorch), and their values wrap: ``nb.arange(250, 260, dtype=nb.uint8)``."""
    if end is None:
        start, end = 0, start
    if dtype is None and start.__class__ is int and end.__class__ is int and \
            step.__class__ is int and step and _INT64_MIN <= min(start, end) and \
            max(start, end) <= _INT64_MAX:   # the common case: an int64 range
        return _arange_fill(start, step, _arange_size(start, end, step), _dtypes.int64,
                            device, requires_grad)
    vals = [_number(v, "arange", n) for v, n in ((start, "start"), (end, "end"), (step, "step"))]
    if dtype is None:
        is_int = all(isinstance(v, int) for v in vals)
        d = _dtypes.int64 if is_int else _dtypes.get_default_dtype()
    else:
        d = _dtypes.dtype_arg(dtype, "arange")
    if d is _dtypes.bool:
        raise NotImplementedError("\"arange_cpu\" not implemented for 'Bool'")
    start, end, step = vals
    if d.is_floating_point:
        n = _arange_size(*(float(_dtypes._as_scalar_int(v)) if isinstance(v, int) else v
                           for v in vals))
    else:   # PyTorch computes integer ranges in int64: bounds truncated, checked
        if not all(math.isfinite(v) for v in vals[:2]):
            raise RuntimeError(f"arange(): unsupported range: {start} -> {end}")
        start, end, step = (int(_dtypes.checked_scalar(v, _dtypes.int64)) for v in vals)
        if step == 0 and vals[2] != 0:
            raise ValueError(f"arange(): step must be nonzero (step {vals[2]} truncated to 0 "
                             f"for {d!r})")
        n = _arange_size(start, end, step)
    return _arange_fill(start, step, n, d, device, requires_grad)


def _arange_fill(start, step, n, d, device, requires_grad):
    dev = _device(device)
    data = _alloc((n,), d.np, dev)
    if n:
        kernels = dispatch.backend(dev).creation
        kernels.arange(data, np.float64(start), np.float64(step)) if d.is_floating_point \
            else kernels.arange(data, np.int64(start), np.int64(step))
    return _on(data, d, dev, requires_grad)


def _count(v, op, name):
    """An int argument (a count or a dimension) as PyTorch parses it: no bools or floats."""
    if v.__class__ is bool or isinstance(v, (float, np.floating)):
        raise TypeError(f"{op}(): argument '{name}' must be int, not {type(v).__name__}")
    try:
        return operator.index(v)
    except TypeError:
        raise TypeError(f"{op}(): argument '{name}' must be int, not "
                        f"{type(v).__name__}") from None


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    """`steps` evenly spaced values from `start` to `end` inclusive:
    ``nb.linspace(0, 1, 5)``."""
    steps = _count(steps, "linspace", "steps")
    if steps < 0:
        raise RuntimeError(f"linspace(): number of steps must be non-negative (got {steps})")
    d = _dtypes.dtype_arg(dtype, "linspace")
    if d is _dtypes.bool:
        raise NotImplementedError("\"linspace_cpu\" not implemented for 'Bool'")
    # the bounds become values of the dtype first (checked; a negative int wraps into uint8)
    lo, hi = (float(_dtypes.checked_scalar(_number(v, "linspace", n), d))
              for v, n in ((start, "start"), (end, "end")))
    dev = _device(device)
    data = _alloc((steps,), d.np, dev)
    if steps:
        dispatch.backend(dev).creation.linspace(data, np.float64(lo), np.float64(hi))
    return _on(data, d, dev, requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False):
    """The identity matrix (n x m): ``nb.eye(3)``."""
    n = _count(n, "eye", "n")
    m = n if m is None else _count(m, "eye", "m")
    for name, v in (("n", n), ("m", m)):
        if v < 0:
            raise RuntimeError(f"eye(): {name} must be greater or equal to 0, got {v}")
    d = _dtypes.dtype_arg(dtype, "eye")
    dev = _device(device)
    data = _alloc((n, m), d.np, dev)
    if data.size:
        dispatch.backend(dev).creation.eye(data)
    return _on(data, d, dev, requires_grad)


# -- Tensor.new_* and Tensor.type --------------------------------------------------------------
def _new(self, dtype, device):
    return (self.dtype if dtype is None else dtype, self.device if device is None else device)


def _new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    """A new tensor of `data` with this tensor's dtype and device unless given."""
    d, dev = _new(self, dtype, device)
    return tensor(data, dtype=d, device=dev, requires_grad=requires_grad)


def _new_ones(self, *size, dtype=None, device=None, requires_grad=False):
    d, dev = _new(self, dtype, device)
    return ones(*size, dtype=d, device=dev, requires_grad=requires_grad)


def _new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
    d, dev = _new(self, dtype, device)
    return zeros(*size, dtype=d, device=dev, requires_grad=requires_grad)


def _new_empty(self, *size, dtype=None, device=None, requires_grad=False):
    d, dev = _new(self, dtype, device)
    return empty(*size, dtype=d, device=dev, requires_grad=requires_grad)


def _new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    d, dev = _new(self, dtype, device)
    return full(size, fill_value, dtype=d, device=dev, requires_grad=requires_grad)


_LEGACY = {"float32": "Float", "float64": "Double", "float16": "Half", "uint8": "Byte",
           "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long", "bool": "Bool"}
_BY_LEGACY = {v + "Tensor": k for k, v in _LEGACY.items()}


def _type(self, dtype=None, non_blocking=False, **kwargs):
    """``x.type()``: the legacy type name ('torch.FloatTensor'); ``x.type(nb.float64)``
    or ``x.type('torch.DoubleTensor')``: ``x`` converted (itself when it has that type)."""
    cuda = self.device.type == "cuda"
    if dtype is None:
        return f"torch.{'cuda.' if cuda else ''}{_LEGACY[self.dtype.name]}Tensor"
    if isinstance(dtype, str):
        name = dtype.rsplit(".", 1)[-1]
        if name not in _BY_LEGACY or not dtype.startswith("torch."):
            raise ValueError(f"invalid type: {dtype!r}")
        d = _dtypes.as_dtype(_BY_LEGACY[name])
        device = "cuda" if ".cuda." in dtype else "cpu"
        return self.to(device=device, dtype=d)
    if dtype.__class__ is not _dtypes.dtype:   # PyTorch takes no Python or NumPy types here
        raise ValueError(f"invalid type: '{getattr(dtype, '__name__', dtype)}'")
    return self if dtype is self.dtype else self.to(dtype)


for _name, _fn in (("new_tensor", _new_tensor), ("new_ones", _new_ones),
                   ("new_zeros", _new_zeros), ("new_empty", _new_empty),
                   ("new_full", _new_full), ("type", _type)):
    _fn.__name__ = _name
    setattr(Tensor, _name, _fn)
del _name, _fn


def legacy_constructor(*args, dtype=None, device=None):
    """``nb.Tensor(2, 3)`` (uninitialised) or ``nb.Tensor([1, 2])`` (float data)."""
    if len(args) == 1 and not isinstance(args[0], numbers.Integral):
        return tensor(args[0], dtype=_dtypes.float32 if dtype is None else dtype, device=device)
    return empty(*args, dtype=dtype, device=device)


def _rebuild(array, dtype_name, requires_grad, device="cpu"):
    return _finish(array, _dtypes.as_dtype(dtype_name), device, requires_grad)


# the core Tensor class builds through these (it never imports this layer)
_tensor_module.install(constructor=legacy_constructor, rebuild=_rebuild)
