"""Which backend serves a device or an array: the CPU's, or the CUDA one
(imported on first use).

Ops ask for the backend package of a tensor's device, or of a buffer (a
NumPy array or scalar lives on the host; anything else here is a numba
device array), then call its API (see `nbgrad.backends`)::

    B = dispatch.backend(x.device)        # or dispatch.backend_for(x._data)
    out = B.empty(shape, dtype)
    B.reduce.sum_arb(...)

Nothing here imports numba.cuda until a CUDA device or a device array is met:
a CPU-only install never needs numba-cuda.  `try_cuda` loads the CUDA backend
when it can (None, with `cuda_error`, when numba-cuda is missing).
"""

import numpy as np

from nbgrad.backends import cpu

__all__ = ["backend", "backend_for", "cuda", "try_cuda", "cuda_error"]

_ndarray = np.ndarray
_HOST = (np.ndarray, np.generic)
_cuda = []        # [the CUDA backend package, or None when it cannot be imported]
_cuda_error = []  # [why it cannot]


def backend(device):
    """The backend package of `device` (``.elementwise``, ``.reduce``, ``.empty``...)."""
    if device.type == "cpu":
        return cpu
    return _cuda[0] if _cuda and _cuda[0] is not None else cuda()


def backend_for(a):
    """The backend package of the device where array `a` lives."""
    if a.__class__ is _ndarray or isinstance(a, _HOST):
        return cpu
    return _cuda[0] if _cuda and _cuda[0] is not None else cuda()


def try_cuda():
    """The CUDA backend package (`nbgrad.backends.cuda`), imported on first call;
    None when it cannot be imported (`cuda_error` says why)."""
    if not _cuda:
        try:
            import nbgrad.backends.cuda as backend_cuda
        except ImportError as e:   # numba-cuda, or its CUDA bindings, missing
            _cuda_error.append(str(e))
            _cuda.append(None)
        else:
            _cuda.append(backend_cuda)
    return _cuda[0]


def cuda():
    """The CUDA backend package; ImportError (saying what to install) without numba-cuda."""
    b = try_cuda()
    if b is None:
        raise ImportError(_cuda_error[0])
    return b


def cuda_error():
    """Why the CUDA backend cannot be imported ('' when it can, or was not tried)."""
    return _cuda_error[0] if _cuda_error else ""
