"""Scans: cumsum and cumprod along one dim (part of the reduce family;
re-exported by `nbgrad.ops.reduce`).

One kernel, `scan_arb`, runs a running sum or product forwards or backwards
along the middle axis of an (A, R, B) view; float inputs accumulate in
float64.  The backward of a scan is a scan in the other direction:
cumsum's is a reversed cumsum of g; cumprod's is a reversed cumsum of
g * out divided by x, and where x has zeros PyTorch's division-free form.
"""

import math

import numpy as np

from nbgrad.autograd.grad_mode import is_grad_enabled
from nbgrad.backends import dispatch
from nbgrad.ops.argcheck import check_reduction
from nbgrad.ops.binary import where
from nbgrad.ops.reduce import _contiguous, _input_as, _int_dim, _reduced_dtype, any_nonzero
from nbgrad.ops.registry import attach_methods, op
from nbgrad.tensor import Tensor, _wrap_dim

__all__ = ["cumsum", "cumprod"]


def _scan_forward(opname, is_prod):
    def forward(ctx, x, dim, *, dtype=None, reverse=False):
        a = x._data
        d = _wrap_dim(_int_dim(dim, opname), a.ndim, opname)
        out_dtype = _reduced_dtype(x, dtype)
        a = _contiguous(_input_as(x, out_dtype, d, opname))
        shape = tuple(a.shape)
        b = dispatch.backend(x.device)
        if a.ndim == 0:
            x3 = b.reshape(a, (1, 1, 1))
        else:
            x3 = b.reshape(a, (math.prod(shape[:d]), shape[d], math.prod(shape[d + 1:])))
        out = b.empty(shape, out_dtype.np)
        if out.size:
            if out_dtype.is_floating_point:
                init = np.float64(1 if is_prod else 0)
            else:
                init = np.int64(1 if is_prod else 0)
            b.reduce.scan_arb(x3, b.reshape(out, tuple(x3.shape)), init, is_prod, reverse)
        if is_prod:
            ctx.save_for_backward(x)
            ctx.out = out
        ctx.dim = d
        ctx.reverse = reverse
        return out
    forward.__doc__ = (f"The running {'product' if is_prod else 'sum'} along `dim` "
                       "(`reverse`: from the end).")
    return forward


_cumsum = op("cumsum", node="CumsumBackward0")(_scan_forward("cumsum", False))
_cumprod = op("cumprod", node="CumprodBackward0")(_scan_forward("cumprod", True))


def scan(x, dim, prod=False, reverse=False):
    """cumsum (or cumprod if `prod`) of `x` along `dim`, from the end if
    `reverse` (differentiable; what the backward rules are made of)."""
    return (_cumprod if prod else _cumsum)(x, dim, reverse=reverse)


@_cumsum.backward
def _cumsum_backward(ctx, g):
    if g._data.ndim == 0:
        return g
    return scan(g, ctx.dim, reverse=not ctx.reverse)


@_cumprod.backward
def _cumprod_backward(ctx, g):
    # d out_j / d x_k = prod_{i <= j, i != k} x_i for j >= k (in scan order)
    (x,) = ctx.saved_tensors
    d, rev = ctx.dim, ctx.reverse
    if x._data.ndim == 0:
        return g
    if is_grad_enabled():   # create_graph: out must stay a function of x
        out = scan(x, d, prod=True, reverse=rev)
    else:
        out = Tensor._make(ctx.out, x.dtype, x.device)
    zero = x == 0
    if not any_nonzero(zero._data):
        return scan(g * out, d, reverse=not rev) / x
    if is_grad_enabled():
        return _cumprod_backward_graph(x, g, d, rev)
    # Before the first zero of a line the formula above holds (out_j = 0 past
    # it).  At the first zero: the scan of x with that zero replaced by 1
    # gives the products that skip it.  After it every product has a zero
    # factor, so the gradient is 0.
    zeros_so_far = scan(zero, d, reverse=rev)
    before = zeros_so_far == 0
    first = zeros_so_far == 1
    part_before = scan(g * out, d, reverse=not rev) / where(before, x, 1.0)
    skipped = scan(where(zero, where(first, 1.0, x), x), d, prod=True, reverse=rev)
    part_first = scan(g * skipped, d, reverse=not rev)
    return where(before, part_before, where(zero, where(first, part_first, 0.0), 0.0))


def _cumprod_backward_graph(x, g, d, rev):
    """The cumprod gradient with zeros in x, as a graph that is right to
    differentiate again (the zeros' products are kept as factors, not
    dropped): for each k, sum_{j >= k} g_j * prod_{i <= j, i != k} x_i from
    prods and cumprods of slices, as PyTorch does.  O(n**2) in the length of
    `d`, so it runs only when the backward pass is recorded."""
    from nbgrad._factories import ones
    from nbgrad.ops.joining import cat
    from nbgrad.ops.rearrange import flip
    from nbgrad.ops.reduce import prod
    if rev:   # the mirror image
        return flip(_cumprod_backward_graph(flip(x, d), flip(g, d), d, False), d)
    n = x._data.shape[d]
    lead = (slice(None),) * d
    shape = tuple(x._data.shape)
    one = ones(shape[:d] + (1,) + shape[d + 1:], dtype=x.dtype, device=x.device)
    pieces = []
    for k in range(n):
        before = prod(x[lead + (slice(0, k),)], d, keepdim=True) if k else one
        if k == n - 1:
            omitted = before
        else:
            after = scan(x[lead + (slice(k + 1, n),)], d, prod=True)
            omitted = cat([before, before * after], d)
        pieces.append((g[lead + (slice(k, n),)] * omitted).sum(d, keepdim=True))
    return cat(pieces, d)


def cumsum(input, dim, *, dtype=None):
    """The running sum along `dim`: ``x.cumsum(0)``; int and bool inputs give
    int64 (or `dtype`)."""
    check_reduction("cumsum", input, False)
    return _cumsum(input, dim, dtype=dtype)


def cumprod(input, dim, *, dtype=None):
    """The running product along `dim`: ``x.cumprod(1)``; int and bool inputs
    give int64 (or `dtype`).  Its gradient is right with zeros in the input."""
    check_reduction("cumprod", input, False)
    return _cumprod(input, dim, dtype=dtype)


attach_methods(plain=(cumsum, cumprod,))
