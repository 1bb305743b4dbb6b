"""Zero-copy exchange of device buffers with other GPU libraries.

Export: `cuda_array_interface` (what ``Tensor.__cuda_array_interface__`` gives).

Import: any object exposing ``__cuda_array_interface__`` (CuPy, PyTorch,
JAX, Numba device arrays, ...) through numba's ``as_cuda_array``, and DLPack
exporters (``__dlpack__``) through cuda.core's StridedMemoryView (numba-cuda
0.30 has no public ``from_dlpack`` of its own).  Either way the result is a
numba device array viewing the same memory: no copy, and writes are shared.
The exporter is kept alive by the view.
"""

import numpy as np

from nbgrad.backends.cuda import _numba_cuda

__all__ = ["as_device_array", "from_dlpack", "is_device_array", "cuda_array_interface"]

is_device_array = _numba_cuda.is_device_array
cuda_array_interface = _numba_cuda.cuda_array_interface   # export: a tensor's interface dict


def as_device_array(obj):
    """A device array sharing `obj`'s GPU memory (no copy).

    `obj`: a numba device array (returned as is), or anything with
    ``__cuda_array_interface__`` or ``__dlpack__`` (device memory only).
    """
    if _numba_cuda.is_device_array(obj):
        return obj
    if getattr(obj, "__cuda_array_interface__", None) is not None:
        return _numba_cuda.from_cuda_array_interface(obj)
    if hasattr(obj, "__dlpack__") and not isinstance(obj, np.ndarray):
        return _numba_cuda.from_dlpack(obj)
    raise TypeError(f"as_device_array: {type(obj).__name__} exposes neither "
                    "__cuda_array_interface__ nor __dlpack__; for host data use "
                    "nbgrad.backends.cuda.copy.to_device (a copy)")


def from_dlpack(obj):
    """A device array sharing the memory of DLPack exporter `obj` (no copy)."""
    return _numba_cuda.from_dlpack(obj)
