"""What the linear algebra ops of ``nb.linalg`` share: `LinAlgError`, PyTorch's
argument checks and messages, batches of matrices as the backends' kernels
take them, and raising from LAPACK-style info codes.

The kernels (`nbgrad.backends.cpu.lapack` and its CUDA twin) take C-contiguous
stacks (B, m, n); `stack` makes one from a tensor's buffer (broadcast to a
batch shape when asked) and `unstack` gives a result its batch shape back.
"""

import numpy as np

from nbgrad import _dtypes
from nbgrad.backends import dispatch
from nbgrad.ops.argcheck import check_same_device, require_tensor, scalar_name
from nbgrad.tensor import Tensor

__all__ = ["LinAlgError"]


class LinAlgError(RuntimeError):
    """Raised when a matrix is not invertible or not positive definite (PyTorch's
    ``torch.linalg.LinAlgError``, a RuntimeError):
    ``except nb.linalg.LinAlgError`` or ``except RuntimeError`` both catch it."""


def check_tensor(opname, t, name="A"):
    return require_tensor(opname, t, name)


def check_float(opname, t):
    if not t.dtype.is_floating_point:
        raise RuntimeError(f"{opname}: Expected a floating point or complex tensor as input. "
                           f"Got {scalar_name(t.dtype)}")
    if t.dtype is _dtypes.float16:
        raise RuntimeError(f"{opname}: Low precision dtypes not supported. Got Half")


def check_matrix(opname, t, name="A", square=True):
    """PyTorch's checks of a (batch of) matrix argument, in its order and words."""
    check_tensor(opname, t, name)
    if t._data.ndim < 2:
        raise RuntimeError(f"{opname}: The input tensor {name} must have at least 2 dimensions.")
    check_float(opname, t)
    m, n = t._data.shape[-2:]
    if square and m != n:
        raise RuntimeError(f"{opname}: {name} must be batches of square matrices, but they are "
                           f"{m} by {n} matrices")


def check_same_dtype(opname, a, b, na="A", nb="B"):
    if a.dtype is not b.dtype:
        raise RuntimeError(f"{opname}: Expected {na} and {nb} to have the same dtype, but found "
                           f"{na} of type {scalar_name(a.dtype)} and {nb} of type "
                           f"{scalar_name(b.dtype)} instead")
    check_same_device(opname, a, b)


def broadcast_batch(opname, *shapes):
    """The broadcast of the batch shapes (all but the last two dims) of `shapes`."""
    n = max(len(s) for s in shapes)
    out = [1] * n
    for s in shapes:
        for i, d in enumerate((1,) * (n - len(s)) + tuple(s)):
            if d != out[i] and d != 1 and out[i] != 1:
                raise RuntimeError(f"{opname}: The size of tensor a ({out[i]}) must match the "
                                   f"size of tensor b ({d}) at non-singleton dimension {i} "
                                   f"(batch shapes {', '.join(str(list(x)) for x in shapes)})")
            out[i] = max(out[i], d)
    return tuple(out)


def lapack(a):
    """The linear algebra kernels of the backend where array `a` lives."""
    return dispatch.backend_for(a).lapack


def stack(a, batch=None, transpose=False):
    """Array `a` (..., m, n) as a C-contiguous (B, m, n) stack (its last two dims
    swapped when `transpose`), broadcast to `batch` first when given."""
    b = dispatch.backend_for(a)
    if transpose:
        a = b.swapaxes(a, -1, -2)
    mat = tuple(a.shape[-2:])
    if batch is not None and tuple(a.shape[:-2]) != tuple(batch):
        a = b.broadcast_to(a, tuple(batch) + mat)
    size = int(np.prod(a.shape[:-2], dtype=np.int64))
    return b.reshape(b.contiguous(a), (size,) + mat)


def unstack(a, batch, transpose=False):
    """A kernel's result (B, ...) reshaped to `batch` + (...), matrices swapped back
    when `transpose`; always a new or contiguous-enough array the op may return."""
    b = dispatch.backend_for(a)
    out = b.reshape(a, tuple(batch) + tuple(a.shape[1:]))
    if transpose:
        out = b.contiguous(b.swapaxes(out, -1, -2))
    return out


def host(a):
    """A host copy (or the array itself) of a small result such as info codes."""
    return a if isinstance(a, np.ndarray) else dispatch.backend_for(a).to_host(a)


def raise_info(opname, info, batch, message):
    """LinAlgError for the first matrix whose info code is positive; `message` is a
    format string of that code (``{k}``), prefixed by its batch element if batched."""
    codes = host(info)
    bad = np.flatnonzero(codes > 0)
    if bad.size:
        i = int(bad[0])
        where = f"(Batch element {i}): " if len(batch) else ""
        raise LinAlgError(f"{opname}: {where}" + message.format(k=int(codes[i])))


def wrap(a, like):
    """Array `a` as a tensor of `like`'s dtype and device (a saved output)."""
    return Tensor._make(a, like.dtype, like.device)


def eye_like(n, like):
    """The n x n identity with `like`'s dtype and device (a constant)."""
    from nbgrad._factories import eye
    return eye(n, dtype=like.dtype, device=like.device)


def empty_like_on(a, shape, dtype):
    """An uninitialised array of `shape` and NumPy `dtype` where array `a` lives."""
    return dispatch.backend_for(a).empty(shape, dtype)


def outputs(ctx, like, *arrays):
    """`arrays` as the op's outputs: the engine's record of their shapes and dtypes
    (it hands the backward zeros for an output the loss did not use)."""
    from nbgrad._dtypes import from_numpy_dtype
    ctx.metadata = [(tuple(a.shape), like.dtype if a.dtype == like.dtype.np else
                     from_numpy_dtype(a.dtype)) for a in arrays]
    return arrays
