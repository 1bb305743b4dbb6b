"""Reductions: sum, mean, norm, sum_to_size.

Forward kernels live in `nbgrad.backends.cpu.reduce` and work on an (A, R, B)
view; `reduce_view` brings any set of dimensions to that form.  Backward
rules are written with nbgrad ops (expand, mul, div), so they are
differentiable again.
"""

import math

import numpy as np

from nbgrad import _dtypes
from nbgrad.backends.cpu import reduce as kernels
from nbgrad.backends.cpu.elementwise import PARALLEL_THRESHOLD
from nbgrad.ops.elementwise import cast_array
from nbgrad.ops.registry import op, tensor_method
from nbgrad.tensor import _wrap_dim

__all__ = ["sum", "mean", "norm", "sum_to_size"]


def normalize_dims(dim, ndim, opname):
    """`dim` (None, int, or tuple of ints) as a sorted tuple of distinct dims."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (list, tuple)):
        dims = tuple(_wrap_dim(d, ndim, opname) for d in dim)
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"{opname}: dim {dims} appears multiple times in the list of dims")
        return tuple(sorted(dims))
    return (_wrap_dim(dim, ndim, opname),)


def reduce_view(a, dims):
    """(x3, kept_shape): `a` as an (A, R, B) array reducing over `dims`, and the
    result shape with reduced dims kept as 1."""
    shape = a.shape
    kept = tuple(1 if d in dims else s for d, s in enumerate(shape))
    if not dims:
        return a.reshape(-1, 1, 1) if a.flags.c_contiguous else \
            cast_array(a, _dtypes.from_numpy_dtype(a.dtype)).reshape(-1, 1, 1), kept
    d0, d1 = dims[0], dims[-1]
    if d1 - d0 + 1 == len(dims) and a.flags.c_contiguous:
        A = math.prod(shape[:d0])
        R = math.prod(shape[d0:d1 + 1])
        return a.reshape(A, R, -1 if a.size else math.prod(shape[d1 + 1:])), kept
    rest = [d for d in range(a.ndim) if d not in dims]
    moved = a.transpose(rest + list(dims))
    moved = cast_array(moved, _dtypes.from_numpy_dtype(a.dtype))
    A = math.prod(shape[d] for d in rest)
    return moved.reshape(A, -1 if moved.size else math.prod(shape[d] for d in dims), 1), kept


def _sum_array(a, dims, out_dtype):
    x3, kept = reduce_view(a, dims)
    A, R, B = x3.shape
    zero = np.float64(0) if out_dtype.is_floating_point else np.int64(0)
    out = np.empty((A, B), out_dtype.np)
    if out.size:
        if R == 0:
            from nbgrad.backends.cpu.creation import fill
            fill(out.reshape(-1), out_dtype.np.type(0))
        elif x3.size >= PARALLEL_THRESHOLD:
            kernels.sum_arb_parallel(x3, out, zero)
        else:
            kernels.sum_arb(x3, out, zero)
    return out.reshape(kept)


def _final_shape(kept, dims, keepdim):
    if keepdim:
        return kept
    return tuple(s for d, s in enumerate(kept) if d not in dims)


@op("sum", node="SumBackward0")
def sum(ctx, x, dim=None, keepdim=False, *, dtype=None):
    """Sum of elements, over all or over `dim` (int or tuple): ``x.sum(1, keepdim=True)``."""
    dims = normalize_dims(dim, x._data.ndim, "sum")
    if dtype is not None:
        out_dtype = _dtypes.as_dtype(dtype)
    elif x.dtype.is_floating_point:
        out_dtype = x.dtype
    else:
        out_dtype = _dtypes.int64
    ctx.shape = x._data.shape
    ctx.dims = dims
    ctx.keepdim = keepdim
    out = _sum_array(x._data, dims, out_dtype)
    return out.reshape(_final_shape(out.shape, dims, keepdim))


@sum.backward
def sum_backward(ctx, g):
    if not ctx.keepdim:
        g = g.reshape(tuple(1 if d in ctx.dims else s for d, s in enumerate(ctx.shape)))
    return g.expand(ctx.shape)


@op("mean", node="MeanBackward0")
def mean(ctx, x, dim=None, keepdim=False, *, dtype=None):
    """Mean of elements, over all or over `dim`: ``z.mean()``."""
    out_dtype = x.dtype if dtype is None else _dtypes.as_dtype(dtype)
    if not out_dtype.is_floating_point:
        raise RuntimeError(
            "mean(): could not infer output dtype. Input dtype must be either a floating "
            f"point or complex dtype. Got: {x.dtype.name.capitalize()}")
    dims = normalize_dims(dim, x._data.ndim, "mean")
    count = math.prod(x._data.shape[d] for d in dims)
    ctx.shape = x._data.shape
    ctx.dims = dims
    ctx.keepdim = keepdim
    ctx.count = count
    total = _sum_array(x._data, dims, out_dtype)
    out = _scale(total, 1.0 / count if count else float("nan"), out_dtype)
    return out.reshape(_final_shape(out.shape, dims, keepdim))


def _scale(a, factor, dtype):
    from nbgrad.backends.cpu.elementwise import run
    from nbgrad.ops.binary import mul
    return run(mul.forward_family, [a, dtype.np.type(factor)], [dtype.np], a.shape)[0]


@mean.backward
def mean_backward(ctx, g):
    if not ctx.keepdim:
        g = g.reshape(tuple(1 if d in ctx.dims else s for d, s in enumerate(ctx.shape)))
    return g.expand(ctx.shape) / ctx.count


@op("norm", node="LinalgVectorNormBackward0")
def norm(ctx, x, p=2, dim=None, keepdim=False, dtype=None):
    """The p-norm (p > 0) over all elements or `dim`: ``y.data.norm()``."""
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"norm(): input dtype should be floating point, but got "
                           f"{x.dtype.name.capitalize()}")
    if p is None or p == "fro":
        p = 2
    p = float(p)
    if not p > 0 or math.isinf(p):
        raise RuntimeError(f"norm(): p={p} is not supported yet; use p > 0 and finite")
    dims = normalize_dims(dim, x._data.ndim, "norm")
    out_dtype = x.dtype if dtype is None else _dtypes.as_dtype(dtype)
    x3, kept = reduce_view(x._data, dims)
    out = np.empty((x3.shape[0], x3.shape[2]), out_dtype.np)
    if out.size:
        kernels.pnorm_arb(x3, out, p, np.float64(0))
    ctx.save_for_backward(x)
    ctx.p = p
    ctx.dims = dims
    ctx.keepdim = keepdim
    ctx.out = out.reshape(kept)
    return out.reshape(_final_shape(kept, dims, keepdim))


@norm.backward
def norm_backward(ctx, g):
    (x,) = ctx.saved_tensors
    from nbgrad.autograd.grad_mode import is_grad_enabled
    from nbgrad.tensor import Tensor
    if is_grad_enabled():   # create_graph: the norm must stay a function of x
        n = norm(x, ctx.p, ctx.dims, True)
    else:
        n = Tensor._make(ctx.out, g.dtype, g.device)
    if not ctx.keepdim:
        g = g.reshape(ctx.out.shape)
    if ctx.p == 2.0:
        return g * x / _nonzero(n)
    if ctx.p == 1.0:
        return g * x.sign()
    return g * x * x.abs() ** (ctx.p - 2.0) / _nonzero(n) ** (ctx.p - 1.0)


def _nonzero(n):
    # d||x||/dx at x = 0 is taken as 0, as in PyTorch: divide by 1 there
    return n + (n == 0)


@op("sum_to_size", node="SumToSizeBackward0")
def sum_to_size(ctx, x, *size):
    """Sum `x` down to `size` (the shape it was broadcast from)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    shape = x._data.shape
    lead = len(shape) - len(size)
    if lead < 0 or any(s != 1 and s != shape[lead + i] for i, s in enumerate(size)):
        raise RuntimeError(f"sum_to_size: size {list(size)} is not expandable to size "
                           f"{list(shape)}")
    dims = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(size)
                                      if s == 1 and shape[lead + i] != 1)
    ctx.shape = shape
    out_dtype = x.dtype if x.dtype.is_floating_point else _dtypes.int64
    return _sum_array(x._data, dims, out_dtype).reshape(size)


@sum_to_size.backward
def sum_to_size_backward(ctx, g):
    return g.expand(ctx.shape)


for _name, _fn in (("sum", sum), ("mean", mean), ("norm", norm), ("sum_to_size", sum_to_size)):
    def _method(self, *args, _fn=_fn, **kwargs):
        return _fn(self, *args, **kwargs)
    _method.__name__ = _name
    tensor_method(_name)(_method)
