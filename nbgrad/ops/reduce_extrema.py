"""Extrema: max, min (with their indices over a dim), amax, amin, argmax and
argmin (part of the reduce family; re-exported by `nbgrad.ops.reduce`).

One backend function, `minmax_arb`, gives values and first indices; NaN propagates (a
NaN is the maximum and the minimum, and its index is returned), as in
PyTorch.  Gradients follow PyTorch: over all elements (``max()``) and for
amax/amin it is shared evenly among the tied extrema; with a dim
(``max(dim)``) it goes to the returned index.
"""

import numpy as np

from nbgrad import _dtypes
from nbgrad.backends import dispatch
from nbgrad.ops.argcheck import (UNSET, check_bool, check_reduction, check_tensor,
                                 invalid_combination)
from nbgrad.ops.binary import where
from nbgrad.ops.reduce import _int_dim, check_nonempty, keep_dims, prepare, return_type
from nbgrad.ops.registry import attach_methods, op
from nbgrad.tensor import Tensor

__all__ = ["max", "min", "amax", "amin", "argmax", "argmin"]


def _extrema(x3, want_max, dtype):
    A, R, B = x3.shape
    b = dispatch.backend_for(x3)
    vals = b.empty((A, B), dtype.np)
    idx = b.empty((A, B), np.int64)
    if vals.size:
        b.reduce.minmax_arb(x3, vals, idx, want_max)
    return vals, idx


def _shared_evenly(ctx, x, g, dims):
    """g split evenly among the elements equal to the saved extremum (NaN
    extrema count as equal to the NaNs)."""
    from nbgrad.ops.reduce import sum as sum_
    out = Tensor._make(ctx.out, x.dtype, x.device)
    g = keep_dims(ctx, g)
    mask = where(out != out, x != x, x == out)
    return where(mask, g / sum_(mask, dims, True), 0.0)


# -- max(), min(): over all elements ------------------------------------------------------
def _all_forward(opname, want_max):
    def forward(ctx, x):
        a = x._data
        check_nonempty(opname, a, None, False)
        x3, dims, kept, shape = prepare(a, None, False, opname)
        vals, _ = _extrema(x3, want_max, x.dtype)
        ctx.save_for_backward(x)
        ctx.kept = kept
        b = dispatch.backend(x.device)
        ctx.out = b.reshape(vals, kept)
        return b.reshape(vals, shape)
    forward.__doc__ = f"The {opname}imum of all elements (a 0-d tensor)."
    return forward


def _all_backward(ctx, g):
    (x,) = ctx.saved_tensors
    return _shared_evenly(ctx, x, g, None)


_max_all = op("max", node="MaxBackward1")(_all_forward("max", True)).backward(_all_backward)
_min_all = op("min", node="MinBackward1")(_all_forward("min", False)).backward(_all_backward)


# -- max(dim), min(dim): values and indices -------------------------------------------------
def _dim_forward(opname, want_max):
    def forward(ctx, x, dim, keepdim=False):
        a = x._data
        d = _int_dim(dim, opname)
        check_nonempty(opname, a, d, True)
        x3, dims, kept, shape = prepare(a, d, keepdim, opname)
        vals, idx = _extrema(x3, want_max, x.dtype)
        ctx.dims = dims
        ctx.kept = kept
        ctx.shape = tuple(a.shape)
        b = dispatch.backend(x.device)
        ctx.idx = b.reshape(idx, kept)
        ctx.metadata = [(shape, x.dtype), (shape, _dtypes.int64)]
        return b.reshape(vals, shape), b.reshape(idx, shape)
    forward.__doc__ = f"The {opname}imum over `dim` and its first index."
    return forward


def _dim_backward(ctx, g, g_indices=None):
    g = keep_dims(ctx, g)
    if not ctx.dims:   # a 0-d input: the value is the input
        return g
    from nbgrad._factories import arange
    d = ctx.dims[0]
    n = ctx.shape[d]
    pos = arange(n, device=g.device).reshape((n,) + (1,) * (len(ctx.shape) - d - 1))
    hit = pos == Tensor._make(ctx.idx, _dtypes.int64, g.device)
    return where(hit, g, 0.0)


_max_dim = op("max.dim", node="MaxBackward0")(_dim_forward("max", True)).backward(_dim_backward)
_min_dim = op("min.dim", node="MinBackward0")(_dim_forward("min", False)).backward(_dim_backward)


def _max_min(opname, all_op, dim_op, elementwise, input, dim, keepdim, other):
    # PyTorch's three overloads: (), (Tensor other), (int dim, bool keepdim=False);
    # None is none of them, and keepdim goes only with a dim
    check_tensor(opname, input)
    if isinstance(dim, Tensor) and other is None:
        dim, other = UNSET, dim
    if other is not None:
        check_tensor(opname, other, "other", 2)
        if dim is not UNSET or keepdim is not UNSET:
            raise TypeError(f"{opname}(): pass either a dim or another tensor, not both")
        from nbgrad.ops import binary
        return getattr(binary, elementwise)(input, other)
    if dim is UNSET:
        if keepdim is not UNSET:
            raise invalid_combination(opname, keepdim=keepdim)
        return all_op(input)
    if dim is None:
        raise invalid_combination(opname, dim=dim)
    keepdim = False if keepdim is UNSET else check_bool(opname, keepdim)
    values, indices = dim_op(input, dim, keepdim)
    return return_type(opname)(values, indices)


return_type("max")
return_type("min")


def max(input, dim=UNSET, keepdim=UNSET, *, other=None):
    """The maximum: of all elements (``x.max()``, a 0-d tensor); over `dim`
    (``x.max(1)``, a named tuple (values, indices)); or elementwise with
    another tensor (``nb.max(x, y)``, which is `maximum`)."""
    return _max_min("max", _max_all, _max_dim, "maximum", input, dim, keepdim, other)


def min(input, dim=UNSET, keepdim=UNSET, *, other=None):
    """The minimum, as `max`: ``x.min()``, ``x.min(0).indices``, ``nb.min(x, y)``."""
    return _max_min("min", _min_all, _min_dim, "minimum", input, dim, keepdim, other)


# -- amax, amin ----------------------------------------------------------------------------
def _a_forward(opname, want_max):
    def forward(ctx, x, dim=(), keepdim=False):
        check_reduction(opname, x, keepdim)
        a = x._data
        check_nonempty(opname, a, dim, dim is not None and dim != () and dim != [])
        x3, dims, kept, shape = prepare(a, dim, keepdim, opname)
        vals, _ = _extrema(x3, want_max, x.dtype)
        ctx.save_for_backward(x)
        ctx.dims = dims
        ctx.kept = kept
        b = dispatch.backend(x.device)
        ctx.out = b.reshape(vals, kept)
        return b.reshape(vals, shape)
    forward.__doc__ = (f"The {opname[1:]}imum over `dim` (int or tuple; all dims by default), "
                       f"values only: ``x.{opname}(1)``.  The gradient is shared evenly among "
                       "ties.")
    return forward


def _a_backward(ctx, g):
    (x,) = ctx.saved_tensors
    return _shared_evenly(ctx, x, g, ctx.dims)


amax = op("amax", node="AmaxBackward0")(_a_forward("amax", True)).backward(_a_backward)
amin = op("amin", node="AminBackward0")(_a_forward("amin", False)).backward(_a_backward)


# -- argmax, argmin --------------------------------------------------------------------------
def _arg_forward(opname, want_max):
    def forward(ctx, x, dim=None, keepdim=False):
        check_reduction(opname, x, keepdim)
        a = x._data
        if dim is None:   # the index into the flattened input
            if a.size == 0:
                raise IndexError(f"{opname}(): Expected reduction dim to be specified for "
                                 f"input.numel() == 0 (input shape {list(a.shape)}).")
            x3 = prepare(a, None, False, opname)[0]
            shape = (1,) * a.ndim if keepdim else ()
        else:
            check_nonempty(opname, a, _int_dim(dim, opname), True)
            x3, dims, kept, shape = prepare(a, dim, keepdim, opname)
        _, idx = _extrema(x3, want_max, x.dtype)
        return dispatch.backend(x.device).reshape(idx, shape)
    forward.__doc__ = (f"The index of the {opname[3:]}imum (over the flattened input, or "
                       f"over `dim`) as int64: ``x.{opname}(dim=1)``; no gradient.")
    return forward


argmax = op("argmax", node="ArgmaxBackward0")(_arg_forward("argmax", True))
argmin = op("argmin", node="ArgminBackward0")(_arg_forward("argmin", False))


attach_methods(plain=(max, min,), wrapped=(amax, amin, argmax, argmin,))
