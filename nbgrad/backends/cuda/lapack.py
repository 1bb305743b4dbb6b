"""The linear algebra kernels of `nbgrad.backends.cpu.lapack` for device arrays.

numba-cuda has no LAPACK (no cuSOLVER binding): each function copies its
array arguments to the host, runs the CPU kernel of the same name and copies
the array results back to the device.  The results are the CPU's, bit for
bit; the cost is two transfers per call (the matrices of ``nb.linalg`` are
usually small next to the work around them).  The same names and signatures
as the CPU module, so an op calls ``dispatch.backend_for(a).lapack.<name>``
wherever its tensors live.
"""

import numpy as np

from nbgrad.backends.cpu import lapack as _cpu
from nbgrad.backends.cuda import copy as _copy

__all__ = list(_cpu.__all__)


def _to_host(a):
    return _copy.to_host(a) if hasattr(a, "copy_to_host") else a


def _to_device(r):
    if isinstance(r, tuple):
        return tuple(_to_device(x) for x in r)
    return _copy.to_device(r) if isinstance(r, np.ndarray) else r


def _round_trip(name):
    cpu_fn = getattr(_cpu, name)

    def fn(*args):
        return _to_device(cpu_fn(*[_to_host(a) for a in args]))
    fn.__name__ = name
    fn.__doc__ = f"`nbgrad.backends.cpu.lapack.{name}` on the host, results on the device."
    return fn


for _name in __all__:
    globals()[_name] = _round_trip(_name)
del _name
