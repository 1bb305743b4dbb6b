"""Reductions with a formula on top: norm (vector p-norms), var, std and
logsumexp (part of the reduce family; re-exported by `nbgrad.ops.reduce`).

Forwards call the backend's reduce API (pnorm_arb, var_arb, lse_arb, kernels
generated from `nbgrad.backends.reduce_templates`); the backward rules are
nbgrad ops.  When the graph of the backward
pass is recorded (``create_graph=True``) a rule recomputes the forward result
as a function of the input (a saved buffer would be a constant there).
"""

import math
import warnings

import numpy as np

from nbgrad import _dtypes
from nbgrad.autograd.grad_mode import is_grad_enabled
from nbgrad.backends import dispatch
from nbgrad.ops.argcheck import check_bool, check_reduction, scalar_name
from nbgrad.ops.binary import where
from nbgrad.ops.reduce import keep_dims, normalize_dims, prepare
from nbgrad.ops.registry import attach_methods, op
from nbgrad.tensor import Tensor

__all__ = ["norm", "var", "std", "logsumexp"]


def _buffer(a, g):
    """A saved forward buffer as a constant tensor next to gradient `g`."""
    return Tensor._make(a, g.dtype, g.device)


def _reduce(ctx, x, view, dtype, kernel, *args):
    """The backend reduce `kernel` (norm's, logsumexp's) over the (A, R, B) view of `x`
    that `prepare` gave (`view`), in `dtype`; the context keeps x, the reduced dims and
    the result with those dims kept, which the backward reads."""
    x3, dims, kept, shape = view
    b = dispatch.backend_for(x3)
    out = b.empty((x3.shape[0], x3.shape[2]), dtype.np)
    if out.size:
        getattr(b.reduce, kernel)(x3, out, *args)
    ctx.save_for_backward(x)
    ctx.dims = dims
    ctx.kept = kept
    ctx.out = b.reshape(out, kept)
    return b.reshape(out, shape)


def _nonzero(n):
    # a zero norm (or std) divides by 1 instead: the numerator is zero there,
    # so the gradient is 0, PyTorch's choice
    return n + (n == 0)


# -- norm -------------------------------------------------------------------------------
def _norm_p(p):
    if p is None or p == "fro":
        return 2.0
    if isinstance(p, str):
        raise RuntimeError(f"norm(): p={p!r} is not supported; use a number, inf, -inf or 'fro' "
                           "(a vector norm)")
    return float(p)


@op("norm", node="LinalgVectorNormBackward0")
def norm(ctx, x, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """The vector p-norm over all elements or over `dim` (int or tuple): p = 2
    ('fro', the default), 1, inf (max |x|), -inf (min |x|), 0 (the number of
    nonzeros) or any other number.  ``y.data.norm()``, ``x.norm(1, dim=0)``."""
    if out is not None:
        raise TypeError("norm(): out= is not supported")
    check_reduction("norm", x, keepdim)
    if not x.dtype.is_floating_point:
        raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor "
                           f"as input. Got {scalar_name(x.dtype)} (shape "
                           f"{list(x.shape)})")
    p = _norm_p(p)
    a = x._data
    out_dtype = x.dtype
    if dtype is not None:
        out_dtype = _dtypes.as_dtype(dtype)
        if not out_dtype.is_floating_point or out_dtype.itemsize < x.dtype.itemsize:
            raise RuntimeError(
                f"linalg.vector_norm: the dtype of the input ({scalar_name(x.dtype)}) "
                f"should be convertible without narrowing to the specified dtype "
                f"({scalar_name(out_dtype)})")
        if out_dtype is not x.dtype:
            normalize_dims(dim, a.ndim, "norm")   # bad dims raise before the copy
            a = dispatch.backend(x.device).cast(a, out_dtype)
    view = prepare(a, dim, keepdim, "norm")
    x3 = view[0]
    if math.isinf(p) and x3.shape[1] == 0 and x3.shape[0] * x3.shape[2]:
        raise RuntimeError(f"linalg.vector_norm cannot compute the {p} norm on an empty tensor "
                           "because the operation does not have an identity")
    ctx.p = p
    return _reduce(ctx, x, view, out_dtype, "pnorm_arb", p, np.float64(0))


@norm.backward
def norm_backward(ctx, g):
    # PyTorch's choices: 0 at a zero norm (p >= 1) and at x_i = 0 (p < 1); p = 0
    # has no gradient (None); for p = +-inf the gradient is shared evenly
    # among the elements whose |x| is the norm
    (x,) = ctx.saved_tensors
    p = ctx.p
    if p == 0.0:
        return None
    g = keep_dims(ctx, g)
    if p == 1.0:
        return g * x.sign()
    if math.isinf(p):
        n = _buffer(ctx.out, g)
        mask = x.abs() == n
        from nbgrad.ops.reduce import sum as sum_
        count = sum_(mask, ctx.dims, True)
        return x.sign() * where(mask, g / count, 0.0)
    if is_grad_enabled():   # create_graph: the norm must stay a function of x
        n = norm(x, p, ctx.dims, True)
    else:
        n = _buffer(ctx.out, g)
    if p == 2.0:
        return g * x / _nonzero(n)
    if p < 1.0:
        zero = x == 0
        scaled = where(zero, 0.0, x.sign() * where(zero, 1.0, x.abs()) ** (p - 1.0))
        return scaled * g * n ** (1.0 - p)
    # x |x|^(p-2) / n^(p-1) written with the ratio r = x / n, |r| <= 1: the powers of
    # x and of n underflow for small inputs (NaN for float32 below ~1e-20 at p = 3)
    r = x / _nonzero(n)
    if p < 2.0:
        return g * r.sign() * r.abs() ** (p - 1.0)
    return g * r * r.abs() ** (p - 2.0)


# -- var, std -----------------------------------------------------------------------------
def _var_args(opname, input, dim, unbiased, keepdim, correction):
    check_reduction(opname, input, keepdim)
    if unbiased is not None:
        check_bool(opname, unbiased, "unbiased")
    if isinstance(dim, bool):   # var(x, False): the legacy `unbiased` positional
        dim, unbiased = None, dim if unbiased is None else unbiased
    if unbiased is not None and correction is not None:
        raise TypeError(f"{opname}(): pass either `correction` or the legacy `unbiased`, "
                        "not both")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    return dim, correction


def _var_forward(ctx, x, dim, correction, keepdim, root):
    opname = "std" if root else "var"
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"{opname}(): std and var only support floating point and complex "
                           f"dtypes (got {x.dtype!r} for input of shape {list(x.shape)})")
    x3, dims, kept, shape = prepare(x._data, dim, keepdim, opname)
    n = x3.shape[1]
    dof = n - correction
    if dof <= 0:
        warnings.warn(f"{opname}(): degrees of freedom is <= 0. Correction should be strictly "
                      "less than the reduction factor (input numel divided by output numel).",
                      UserWarning, stacklevel=4)
    b = dispatch.backend_for(x3)
    out = b.empty((x3.shape[0], x3.shape[2]), x.dtype.np)
    mean = b.empty_like(out)
    if out.size:
        scale = 1.0 / dof if dof > 0 else math.inf
        b.reduce.var_arb(x3, out, mean, np.float64(0), np.float64(scale), root)
    ctx.save_for_backward(x)
    ctx.dims = dims
    ctx.kept = kept
    ctx.dof = dof
    ctx.correction = correction
    ctx.mean = b.reshape(mean, kept)
    if root:   # std's backward divides by it; var's reads only the input (as PyTorch's)
        ctx.out = b.reshape(out, kept)
    return b.reshape(out, shape)


def _centered(ctx, x, g):
    if is_grad_enabled():
        from nbgrad.ops.reduce import mean
        return x - mean(x, ctx.dims, True)
    return x - _buffer(ctx.mean, g)


def _moment_op(name, node, root, doc):
    """The function op `var` (root False) or `std` (root True): the forward is
    `_var_forward`; both gradients are g * (x - mean) * k / dof, with k 2 for
    var, and k 1 divided by the standard deviation for std."""
    def forward(ctx, x, dim=None, correction=1, keepdim=False):
        return _var_forward(ctx, x, dim, correction, keepdim, root)
    forward.__doc__ = doc
    moment = op(name, node=node)(forward)

    @moment.backward
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        g = keep_dims(ctx, g)
        if root:   # the std itself: recorded again under create_graph
            s = moment(x, ctx.dims, ctx.correction, True) if is_grad_enabled() else \
                _buffer(ctx.out, g)
        factor = (1.0 if root else 2.0) / ctx.dof if ctx.dof > 0 else math.inf
        grad = g * _centered(ctx, x, g) * factor
        return grad / _nonzero(s) if root else grad
    return moment


_var = _moment_op("var", "VarBackward0", False,
                  "The variance over `dim` with `correction` (see `var`).")
_std = _moment_op("std", "StdBackward0", True,
                  "The standard deviation over `dim` with `correction` (see `std`).")


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """The variance over all elements or `dim` (int or tuple), dividing by
    N - correction (Bessel's correction=1 by default; ``unbiased=False`` is the
    legacy spelling of correction=0).  ``x.var(1, keepdim=True)``."""
    dim, correction = _var_args("var", input, dim, unbiased, keepdim, correction)
    return _var(input, dim, correction, keepdim)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """The standard deviation, sqrt(var) (same arguments as `var`): ``x.std(0)``."""
    dim, correction = _var_args("std", input, dim, unbiased, keepdim, correction)
    return _std(input, dim, correction, keepdim)


# -- logsumexp ------------------------------------------------------------------------------
@op("logsumexp", node="LogsumexpBackward0")
def logsumexp(ctx, x, dim, keepdim=False):
    """log(sum(exp(x))) over `dim` (int or tuple), computed without overflow:
    ``x.logsumexp(1)``.  Integer inputs give the default float dtype."""
    check_reduction("logsumexp", x, keepdim)
    if dim is None:   # PyTorch's logsumexp has no all-dims default
        raise TypeError("logsumexp(): argument 'dim' must be tuple of ints, not NoneType")
    out_dtype = x.dtype if x.dtype.is_floating_point else _dtypes.get_default_dtype()
    view = prepare(x._data, dim, keepdim, "logsumexp")
    return _reduce(ctx, x, view, out_dtype, "lse_arb", np.float64(0))


@logsumexp.backward
def logsumexp_backward(ctx, g):
    # softmax(x) * g as exp(x - out); exp(-inf - -inf) is NaN for an all -inf slice, as in
    # PyTorch.  A large out is rounded (1e20 + ln 2 is 1e20), which scales exp(x - out)
    # by one factor per slice: its sum c.  That is divided out when log c is within out's
    # rounding, never a larger change (an out changed through .data is used as PyTorch
    # uses it).
    (x,) = ctx.saved_tensors
    g = keep_dims(ctx, g)
    if is_grad_enabled():
        out = logsumexp(x, ctx.dims, True)
    else:
        out = _buffer(ctx.out, g)
    r = (x - out).exp()
    c = r.sum(ctx.dims, keepdim=True)
    rounding = (out.abs() + 8.0) * float(np.finfo(r.dtype.np).eps)
    return g * r / where(c.log().abs() <= rounding, c, 1.0)


attach_methods(plain=(var, std,), wrapped=(norm, logsumexp,))
