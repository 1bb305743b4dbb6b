"""Matrix products.  The forward calls the BLAS that NumPy ships (the fastest
route on a CPU); the backward is matmul again, with PyTorch's rank rules."""

import numpy as np

from nbgrad.ops.registry import op, tensor_method

__all__ = ["matmul"]


def _check_matmul(x, y):
    a, b = x._data, y._data
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"matmul: both arguments to matmul need to be at least 1D, but "
                           f"they are {a.ndim}D and {b.ndim}D")
    if x.dtype is not y.dtype:
        raise RuntimeError(f"matmul: expected m1 and m2 to have the same dtype, but got: "
                           f"{x.dtype!r} != {y.dtype!r}")
    if x.device is not y.device:
        raise RuntimeError(f"matmul: Expected all tensors to be on the same device, but found "
                           f"at least two devices, {x.device} and {y.device}!")
    k1 = a.shape[-1]
    k2 = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if k1 != k2:
        sa = "x".join(map(str, a.shape if a.ndim > 1 else (1,) + a.shape))
        sb = "x".join(map(str, b.shape))
        raise RuntimeError(f"matmul: mat1 and mat2 shapes cannot be multiplied ({sa} and {sb})")
    ba, bb = a.shape[:-2], b.shape[:-2]
    n = max(len(ba), len(bb))
    for p, q in zip((1,) * (n - len(ba)) + ba, (1,) * (n - len(bb)) + bb):
        if p != q and p != 1 and q != 1:
            raise RuntimeError(f"matmul: batch dimensions of shapes {list(a.shape)} and "
                               f"{list(b.shape)} cannot be broadcast")


@op("matmul", node="MmBackward0")
def matmul(ctx, x, y):
    """Matrix product with PyTorch's rank rules (1-D, 2-D, batched, broadcast)."""
    _check_matmul(x, y)
    if x.requires_grad or y.requires_grad:
        ctx.save_for_backward(x, y)
    return np.matmul(x._data, y._data)


@matmul.backward
def matmul_backward(ctx, g):
    x, y = ctx.saved_tensors
    nx, ny = x.ndim, y.ndim
    if nx == 1 and ny == 1:
        return g * y, g * x
    x2 = x.unsqueeze(0) if nx == 1 else x
    y2 = y.unsqueeze(-1) if ny == 1 else y
    if nx == 1:
        g = g.unsqueeze(-2)
    if ny == 1:
        g = g.unsqueeze(-1)
    need_x, need_y = ctx.needs_input_grad
    gx = matmul(g, y2.mT) if need_x else None
    gy = matmul(x2.mT, g) if need_y else None
    if gx is not None and nx == 1:
        gx = gx.sum_to_size((1,) + x.shape).reshape(x.shape)
    if gy is not None and ny == 1:
        gy = gy.sum_to_size(y.shape + (1,)).reshape(y.shape)
    return gx, gy


@tensor_method("matmul", "__matmul__")
def _matmul(self, other):
    return matmul(self, other)


@tensor_method("__rmatmul__")
def _rmatmul(self, other):
    return matmul(other, self)
