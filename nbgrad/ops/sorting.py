"""Sorting and selecting along a dim: sort, argsort, msort, topk, kthvalue,
median, nanmedian and mode.

Every op sorts rows: the dim is moved last and the other dims flattened
(`_to_rows`), the backend's ``sorting.sort_rows`` (a stable merge sort, NaN
largest, as PyTorch's ``stable=True``) orders each row, and the selections
(topk, kthvalue) slice the sorted rows or a backend kernel picks from them
(``select_median``, ``mode_rows``).  Results go back to the input's layout
(`_from_rows`).

Gradients follow PyTorch's derivatives.yaml: the ops that return indices
send the gradient to those positions (``value_selecting_reduction_backward``:
a scatter into zeros, whose own gradient is a gather, so double backward
works); median/nanmedian over all elements share it evenly among the
elements equal to the result.
"""

import math

import numpy as np

from nbgrad import _dtypes, _factories
from nbgrad.backends import dispatch
from nbgrad.ops.argcheck import check_bool, check_int, check_tensor
from nbgrad.ops.binary import where
from nbgrad.ops.reduce import _int_dim, return_type
from nbgrad.ops.registry import attach_methods, op
from nbgrad.ops.scatter import scatter
from nbgrad.tensor import Tensor, _wrap_dim

__all__ = ["sort", "argsort", "msort", "topk", "kthvalue", "median", "nanmedian", "mode"]

for _name in ("sort", "topk", "kthvalue", "median", "nanmedian", "mode"):
    return_type(_name)


# -- rows: the dim moved last, other dims flattened -------------------------------------------
def _to_rows(a, d, b):
    """Array `a` with dim `d` last as a C-contiguous (R, n) array (a 0-d array is (1, 1))."""
    if a.ndim == 0:
        return b.reshape(b.contiguous(a), (1, 1))
    if d != a.ndim - 1:
        a = b.transpose(a, [i for i in range(a.ndim) if i != d] + [d])
    a = b.contiguous(a)
    n = a.shape[-1]
    return b.reshape(a, (math.prod(a.shape[:-1]), n))


def _from_rows(rows, shape, d, b):
    """(R, k) `rows` back to the layout of an input of `shape` (dim `d` of length k)."""
    if not shape:
        return b.reshape(rows, ())
    nd = len(shape)
    moved = tuple(s for i, s in enumerate(shape) if i != d) + (rows.shape[1],)
    out = b.reshape(rows, moved)
    if d == nd - 1:
        return out
    back = list(range(nd - 1))
    back.insert(d, nd - 1)
    return b.transpose(out, back)


def _sorted_rows(x, d, descending):
    """(values, indices) of every row of x along `d`, as (R, n) arrays."""
    b = dispatch.backend(x.device)
    rows = _to_rows(x._data, d, b)
    vals = b.empty(rows.shape, rows.dtype)
    idx = b.empty(rows.shape, np.int64)
    b.sorting.sort_rows(rows, vals, idx, descending)
    return vals, idx, b


def _dim(x, dim, opname):
    return _wrap_dim(_int_dim(dim, opname), x._data.ndim, opname)


def _dim_size(x, dim, opname):
    """The wrapped dim, x's shape and its size along the dim (1 for a 0-d x)."""
    d = _dim(x, dim, opname)
    shape = tuple(x._data.shape)
    return d, shape, shape[d] if shape else 1


def _selected_backward(ctx, g, *unused):
    """PyTorch's value_selecting_reduction_backward: g sent to the saved indices."""
    idx = Tensor._make(ctx.idx, _dtypes.int64, g.device)
    if not ctx.shape:   # a 0-d input: the value is the input
        return g.reshape(())
    if not ctx.keepdim:
        g, idx = g.unsqueeze(ctx.dim), idx.unsqueeze(ctx.dim)
    zeros = _factories.zeros(ctx.shape, dtype=g.dtype, device=g.device)
    return scatter(zeros, ctx.dim, idx, g)


def _remember(ctx, x, d, keepdim, idx, out_shape):
    ctx.dim, ctx.keepdim, ctx.shape, ctx.idx = d, keepdim, tuple(x._data.shape), idx
    ctx.metadata = [(out_shape, x.dtype), (out_shape, _dtypes.int64)]


# -- sort, argsort, msort --------------------------------------------------------------------
@op("sort", node="SortBackward0")
def _sort(ctx, x, dim, descending):
    """Values and positions of x sorted along `dim` (stable)."""
    d = _dim(x, dim, "sort")
    vals, idx, b = _sorted_rows(x, d, descending)
    shape = tuple(x._data.shape)
    out_idx = _from_rows(idx, shape, d, b)
    _remember(ctx, x, d, True, out_idx, shape)
    return _from_rows(vals, shape, d, b), out_idx


_sort.backward(_selected_backward)


def sort(input, dim=-1, descending=False, *, stable=False):
    """Sort along `dim` (the last by default): a named tuple (values, indices).
    The sort is stable (equal values keep their order; NaN sorts as the
    largest value), so ``stable=True`` gives PyTorch's result exactly:
    ``nb.sort(nb.tensor([3., 1., 2.])).indices`` is ``tensor([1, 2, 0])``."""
    check_tensor("sort", input)
    check_bool("sort", descending, "descending")
    if stable is not None:
        check_bool("sort", stable, "stable")
    return return_type("sort")(*_sort(input, dim, descending))


def argsort(input, dim=-1, descending=False, *, stable=False):
    """The positions that sort `input` along `dim`: ``x.argsort(descending=True)``."""
    return sort(input, dim, descending, stable=stable).indices


def msort(input):
    """`input` sorted along its first dim: ``nb.msort(x)`` is ``x.sort(0).values``."""
    return sort(input, 0).values


# -- topk, kthvalue --------------------------------------------------------------------------
def _sorted_columns(x, dim, k, opname, k_min, descending, column, range_message):
    """(d, shape, values, indices, backend) of x's rows along `dim` sorted, cut
    to `column` (an index or a slice of the sorted positions) as C-contiguous
    arrays, after checking k_min <= k <= the size along `dim` (else
    RuntimeError(`range_message` formatted with k, d, n and shape))."""
    d, shape, n = _dim_size(x, dim, opname)
    if not k_min <= k <= n:
        raise RuntimeError(range_message.format(k=k, d=d, n=n, shape=list(shape)))
    vals, idx, b = _sorted_rows(x, d, descending)
    key = (slice(None), column)
    return d, shape, b.contiguous(b.getitem(vals, key)), b.contiguous(b.getitem(idx, key)), b


@op("topk", node="TopkBackward0")
def _topk(ctx, x, k, dim, largest):
    d, shape, vals, idx, b = _sorted_columns(
        x, dim, k, "topk", 0, largest, slice(0, k),
        "topk(): selected index k out of range (k={k} for dimension {d} of size {n}, input "
        "shape {shape})")
    out_shape = shape[:d] + (k,) + shape[d + 1:] if shape else ()
    out_idx = _from_rows(idx, out_shape, d, b)
    _remember(ctx, x, d, True, out_idx, out_shape)
    return _from_rows(vals, out_shape, d, b), out_idx


_topk.backward(_selected_backward)


def topk(input, k, dim=-1, largest=True, sorted=True):
    """The `k` largest (or smallest, ``largest=False``) values along `dim` and
    their positions, in order: ``nb.topk(x, 2)``."""
    check_tensor("topk", input)
    k = check_int("topk", k, "k")
    check_bool("topk", largest, "largest")
    check_bool("topk", sorted, "sorted")
    return return_type("topk")(*_topk(input, k, dim, largest))


def _pick(ctx, x, d, keepdim, rows_v, rows_i, b):
    """Results of a selection giving one (value, position) per row, as (R,) arrays."""
    shape = tuple(x._data.shape)
    kept = shape[:d] + (1,) + shape[d + 1:] if shape else ()
    out_shape = kept if keepdim else tuple(s for i, s in enumerate(shape) if i != d)
    vals = _from_rows(b.reshape(rows_v, (rows_v.shape[0], 1)), kept, d, b)
    idx = _from_rows(b.reshape(rows_i, (rows_i.shape[0], 1)), kept, d, b)
    _remember(ctx, x, d, keepdim, b.reshape(idx, out_shape), out_shape)
    return b.reshape(vals, out_shape), ctx.idx


def _check_selectable(opname, x, d):
    a = x._data
    if a.ndim and a.shape[d] == 0:
        raise IndexError(f"{opname}(): Expected reduction dim {d} to have non-zero size "
                         f"(input shape {list(a.shape)}).")


@op("kthvalue", node="KthvalueBackward0")
def _kthvalue(ctx, x, k, dim, keepdim):
    d, _, vals, idx, b = _sorted_columns(
        x, dim, k, "kthvalue", 1, False, k - 1,
        "kthvalue(): selected number k out of range for dimension {d} (k={k}, size {n}, input "
        "shape {shape})")
    return _pick(ctx, x, d, keepdim, vals, idx, b)


_kthvalue.backward(_selected_backward)


def kthvalue(input, k, dim=-1, keepdim=False):
    """The k-th smallest value along `dim` (k from 1) and its position:
    ``nb.kthvalue(nb.tensor([3., 1., 2.]), 2)`` is (2., 2)."""
    check_tensor("kthvalue", input)
    k = check_int("kthvalue", k, "k")
    check_bool("kthvalue", keepdim)
    return return_type("kthvalue")(*_kthvalue(input, k, dim, keepdim))


# -- median, nanmedian, mode -------------------------------------------------------------------
def _median_rows(x, d, ignore_nan):
    vals, idx, b = _sorted_rows(x, d, False)
    out_v = b.empty((vals.shape[0],), vals.dtype)
    out_i = b.empty((vals.shape[0],), np.int64)
    b.sorting.select_median(vals, idx, out_v, out_i, ignore_nan)
    return out_v, out_i, b


def _median_all(opname, ignore_nan):
    def forward(ctx, x):
        a = x._data
        b = dispatch.backend(x.device)
        if a.size == 0:   # PyTorch: the median of nothing is NaN
            out = b.full((), x.dtype.np, np.nan)
        else:
            flat = Tensor._make(b.reshape(b.contiguous(a), (a.size,)), x.dtype, x.device)
            out = b.reshape(_median_rows(flat, 0, ignore_nan)[0], ())
        ctx.save_for_backward(x)
        ctx.out = out
        return out
    forward.__doc__ = f"The lower {opname} of all elements (a 0-d tensor)."
    return forward


def _median_all_backward(ctx, g):
    # PyTorch's evenly_distribute_backward: shared among the elements equal to
    # the result (the NaNs, when it is NaN)
    (x,) = ctx.saved_tensors
    out = Tensor._make(ctx.out, x.dtype, x.device)
    mask = where(out != out, x != x, x == out)
    return where(mask, g / mask.sum(), 0.0)


def _median_dim(opname, ignore_nan):
    def forward(ctx, x, dim, keepdim):
        d = _dim(x, dim, opname)
        _check_selectable(opname, x, d)
        out_v, out_i, b = _median_rows(x, d, ignore_nan)
        return _pick(ctx, x, d, keepdim, out_v, out_i, b)
    forward.__doc__ = f"The lower {opname} along `dim` and its position."
    return forward


_median = op("median", node="MedianBackward0")(_median_all("median", False))
_median_d = op("median.dim", node="MedianBackward1")(_median_dim("median", False))
_nanmedian = op("nanmedian", node="NanmedianBackward0")(_median_all("nanmedian", True))
_nanmedian_d = op("nanmedian.dim", node="NanmedianBackward1")(_median_dim("nanmedian", True))
for _all in (_median, _nanmedian):
    _all.backward(_median_all_backward)
for _by_dim in (_median_d, _nanmedian_d):
    _by_dim.backward(_selected_backward)


def _median_call(opname, all_op, dim_op, input, dim, keepdim):
    check_tensor(opname, input)
    check_bool(opname, keepdim)
    if dim is None:
        return all_op(input)
    return return_type(opname)(*dim_op(input, dim, keepdim))


def median(input, dim=None, keepdim=False):
    """The lower median (of two middle values, the smaller), NaN if there is a
    NaN: of all elements (``x.median()``, a 0-d tensor) or along `dim`
    (``x.median(1)``: a named tuple (values, indices))."""
    return _median_call("median", _median, _median_d, input, dim, keepdim)


def nanmedian(input, dim=None, keepdim=False):
    """`median` ignoring NaNs (NaN only where every value is NaN):
    ``nb.nanmedian(nb.tensor([1., float('nan'), 3.]))`` is ``tensor(1.)``."""
    return _median_call("nanmedian", _nanmedian, _nanmedian_d, input, dim, keepdim)


@op("mode", node="ModeBackward0")
def _mode(ctx, x, dim, keepdim):
    d = _dim(x, dim, "mode")
    _check_selectable("mode", x, d)
    vals, idx, b = _sorted_rows(x, d, False)
    out_v = b.empty((vals.shape[0],), vals.dtype)
    out_i = b.empty((vals.shape[0],), np.int64)
    b.sorting.mode_rows(vals, idx, out_v, out_i)
    return _pick(ctx, x, d, keepdim, out_v, out_i, b)


_mode.backward(_selected_backward)


def mode(input, dim=-1, keepdim=False):
    """The most frequent value along `dim` (the smallest of a tie) and the last
    position where it occurs: ``nb.mode(nb.tensor([2., 1., 2.]))`` is (2., 2)."""
    check_tensor("mode", input)
    check_bool("mode", keepdim)
    return return_type("mode")(*_mode(input, dim, keepdim))


attach_methods(plain=(sort, argsort, msort, topk, kthvalue, median, nanmedian, mode))
