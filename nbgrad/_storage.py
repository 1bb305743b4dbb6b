"""The memory behind CPU tensors: which array a buffer views (`root`), the bytes
it spans (`extent`), copies of those bytes (`read`), and ``copy.deepcopy`` of a
tensor (`deepcopy_tensor`, called by ``Tensor.__deepcopy__``).

A deep copy follows PyTorch: leaves only (a tensor with a ``grad_fn`` raises
RuntimeError), ``requires_grad`` kept, ``.grad`` deep-copied, and tensors that
share memory in the original (a base and its views, copied in one
``copy.deepcopy`` call) share one new buffer in the copy: the memo is keyed on
the root array.  CUDA tensors are copied on their device, each on its own.
"""

import copy
import ctypes

import numpy as np

from nbgrad._device import cpu_device
from nbgrad.backends import dispatch

__all__ = ["address", "deepcopy_tensor", "extent", "host_array", "read", "root"]


_DEEPCOPY_NON_LEAF = (
    "Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
    "protocol at the moment.  If you were attempting to deepcopy a module, this may be "
    "because of a torch.nn.utils.weight_norm usage, see "
    "https://github.com/pytorch/pytorch/pull/103001")


# -- memory: the array a buffer views, and the bytes it spans ------------------------------------
def root(a):
    """The ndarray whose memory `a` views: `.base` followed through views and through
    the wrapper NumPy's stride tricks put between a view and its array."""
    r = a
    while True:
        b = r.base
        if isinstance(b, np.ndarray):
            r = b
        elif b is not None and isinstance(getattr(b, "base", None), np.ndarray) and \
                hasattr(b, "__array_interface__"):
            r = b.base
        else:
            return r


def extent(a):
    """(lowest, highest + 1) byte address that array `a` touches."""
    lo = hi = address(a)
    if a.size == 0:
        return lo, lo
    for n, s in zip(a.shape, a.strides):
        if s < 0:
            lo += (n - 1) * s
        else:
            hi += (n - 1) * s
    return lo, hi + a.itemsize


def read(lo, hi):
    """A new uint8 array with a copy of the bytes [lo, hi) of a live array's memory."""
    out = np.empty(hi - lo, np.uint8)
    if hi > lo:
        ctypes.memmove(out.ctypes.data, lo, hi - lo)
    return out


def address(a):
    """The address of array `a`'s first element."""
    return a.__array_interface__["data"][0]


def host_array(t):
    """A CPU tensor's buffer (a NumPy scalar buffer as a 0-d array), or a host copy."""
    a = t._data if t.device is cpu_device else t._host()
    return a if isinstance(a, np.ndarray) else np.asarray(a)


def _view(buf, a, start):
    """An array over `buf` laid out as `a` is, `a`'s first element at byte `start`."""
    return np.ndarray(a.shape, a.dtype, buffer=buf, offset=start, strides=a.strides)


# -- copy.deepcopy -------------------------------------------------------------------------
def deepcopy_tensor(t, memo):
    """``copy.deepcopy`` of a tensor (see ``Tensor.__deepcopy__``)."""
    if t.grad_fn is not None:
        raise RuntimeError(_DEEPCOPY_NON_LEAF + f" (a non-leaf tensor of shape "
                           f"{list(t.shape)}, grad_fn {type(t.grad_fn).__name__})")
    if t.device is not cpu_device:
        data = dispatch.backend(t.device).cast(t._data, t.dtype)   # a device copy (no aliasing)
    elif (a := host_array(t)).size == 0:
        data = np.empty(a.shape, a.dtype)
    else:
        r = root(a)
        key = ("nbgrad.storage", id(r))
        copied = memo.get(key)
        if copied is None:
            lo, hi = extent(r)
            copied = memo[key] = (lo, read(lo, hi))
            copy._keep_alive(r, memo)   # its id must not be reused during this deepcopy
        lo, buf = copied
        data = _view(buf, a, address(a) - lo)
    new = type(t)._make(data, t.dtype, t.device)
    new._requires_grad = t._requires_grad
    memo[id(t)] = new
    if t._grad is not None:
        new._grad = copy.deepcopy(t._grad, memo)
    extra = getattr(t, "__dict__", None)   # attributes of a subclass (a Parameter's)
    if extra:
        new.__dict__.update(copy.deepcopy(extra, memo))
    return new
