"""Tensors the autograd layer makes itself: the implicit gradient of a scalar
output (ones), zero gradients, detached copies, and gradcheck's fixed
grad_outputs.

Autograd sits below the factories (`nbgrad._factories` belongs to the ops
layer), so these are made here with the backends' allocation, fill and copy
kernels, on the device of the tensor they stand for.
"""

import numpy as np

from nbgrad._device import cpu_device
from nbgrad.backends import dispatch
from nbgrad.tensor import Tensor

__all__ = ["filled", "zeros", "zeros_like", "ones_like", "detached_copy", "linspace"]


def filled(shape, value, dtype, device):
    """A new tensor of `shape` and `dtype` on `device` (None: the CPU), every
    element `value`."""
    if device is None:
        device = cpu_device
    return Tensor._make(dispatch.backend(device).full(tuple(shape), dtype.np, value), dtype,
                        device)


def zeros(shape, dtype, device):
    """Zeros of `shape` and `dtype` on `device`."""
    return filled(shape, 0, dtype, device)


def zeros_like(t, requires_grad=False):
    """Zeros with `t`'s shape, dtype and device (a leaf requiring grad if asked)."""
    z = filled(t._data.shape, 0, t.dtype, t.device)
    if requires_grad:
        z.requires_grad_(True)
    return z


def ones_like(t):
    """Ones with `t`'s shape, dtype and device: the gradient of a scalar output."""
    return filled(t._data.shape, 1, t.dtype, t.device)


def detached_copy(g):
    """A copy of tensor `g` with no history (a copy kernel where `g` lives)."""
    return Tensor._make(dispatch.backend(g.device).cast(g._data, g.dtype), g.dtype, g.device)


def linspace(start, end, steps, dtype):
    """`steps` values from `start` to `end` inclusive, of floating `dtype`, on the
    CPU (the bounds rounded to `dtype` first, as ``nb.linspace`` does)."""
    b = dispatch.backend(cpu_device)
    data = b.empty((steps,), dtype.np)
    if steps:
        lo, hi = (float(dtype.np.type(v)) for v in (start, end))
        b.creation.linspace(data, np.float64(lo), np.float64(hi))
    return Tensor._make(data, dtype, cpu_device)
