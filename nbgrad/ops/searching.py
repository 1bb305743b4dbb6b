"""Searching sorted values and finding distinct ones: searchsorted, bucketize,
unique and unique_consecutive.

searchsorted runs the backend's ``sorting.searchsorted`` (PyTorch's lower and
upper bounds: a NaN goes past every number) on rows: a 1-D sorted sequence
serves every value, an N-D one has a row per leading index.  unique sorts
the flattened input (the stable sort of `nbgrad.ops.sorting`) and groups the
runs of equal values with ``sorting.runs``; unique_consecutive groups runs
of the input as it is.  With a ``dim`` both compare slices (`_distinct_rows`, built
from nbgrad's ops).  None of them is differentiable (their results are
positions and counts; unique's values raise at backward, as PyTorch's).
"""

import math

import numpy as np

from nbgrad import _dtypes
from nbgrad.backends import dispatch
from nbgrad.ops.argcheck import check_bool, check_tensor, scalar_name
from nbgrad.ops.registry import attach_methods, op
from nbgrad.ops.sorting import _sorted_rows
from nbgrad.tensor import Tensor, _wrap_dim

__all__ = ["searchsorted", "bucketize", "unique", "unique_consecutive"]


# -- searchsorted, bucketize ---------------------------------------------------------------
def _side(right, side):
    if side is None:
        return bool(right)
    if side not in ("left", "right"):
        raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got "
                           f"{side}")
    if right and side == "left":
        raise RuntimeError("torch.searchsorted(): side and right can't be set to opposites, got "
                           "side of left while right was True")
    return side == "right"


def _check_search(seq, values, sorter):
    s, v = seq._data, values._data
    if s.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should have positive "
                           "dimension, but got 0 dimension")
    if s.ndim > 1 and tuple(s.shape[:-1]) != tuple(v.shape[:-1]) or \
            (s.ndim > 1 and v.ndim != s.ndim):
        raise RuntimeError("torch.searchsorted(): boundaries tensor should be 1 dimension or the "
                           "first N-1 dimensions of boundaries tensor and input value tensor "
                           f"must match, but we got boundaries tensor {list(s.shape)} and input "
                           f"value tensor {list(v.shape)}")
    if sorter is None:
        return
    check_tensor("searchsorted", sorter, "sorter")
    if sorter.dtype is not _dtypes.int64:
        raise RuntimeError("torch.searchsorted(): sorter must be a tensor of long dtype but got "
                           f"dtype {scalar_name(sorter.dtype)}")
    if tuple(sorter._data.shape) != tuple(s.shape):
        raise RuntimeError("torch.searchsorted(): boundary and sorter must have the same size, "
                           f"but got boundary tensor {list(s.shape)}and got sorter tensor "
                           f"{list(sorter._data.shape)}")


@op("searchsorted", node="SearchsortedBackward0")
def _searchsorted(ctx, seq, values, out_int32, right, sorter):
    """Insertion positions of `values` in the rows of `seq`."""
    _check_search(seq, values, sorter)
    compute = _dtypes.result_type(seq, values)
    b = dispatch.backend(seq.device)
    s, v = seq._data, values._data
    n = s.shape[-1]
    rows = math.prod(s.shape[:-1]) if s.ndim > 1 else 1
    s2 = b.reshape(b.contiguous(b.cast(s, compute.np) if seq.dtype is not compute else s),
                   (rows, n))
    vc = b.contiguous(b.cast(v, compute.np) if values.dtype is not compute else v)
    v2 = b.reshape(vc, (rows, v.size // rows if rows else 0) if s.ndim > 1 else (1, v.size))
    srt = None if sorter is None else b.reshape(b.contiguous(sorter._data), (rows, n))
    out = b.empty(v2.shape, np.int32 if out_int32 else np.int64)
    b.sorting.searchsorted(s2, srt, v2, out, right)
    return b.reshape(out, tuple(v.shape))


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 sorter=None):
    """Where to insert `input` into `sorted_sequence` (along its last dim) to
    keep it sorted: the first such position, or the last (``right=True`` or
    ``side='right'``); int64 (int32 with `out_int32`).
    ``nb.searchsorted(nb.tensor([1., 2., 3.]), nb.tensor([2.5]))`` is ``tensor([2])``."""
    check_tensor("searchsorted", sorted_sequence, "sorted_sequence")
    right = _side(right, side)
    check_bool("searchsorted", out_int32, "out_int32")
    if not isinstance(input, Tensor):
        if sorted_sequence._data.ndim != 1:
            raise RuntimeError(
                "torch.searchsorted(): input value can be a scalar only when boundaries tensor "
                f"dimension is 1, but we got boundaries tensor dim({sorted_sequence._data.ndim}) "
                "and input value's dim(0) numel(1)")
        input = _scalar_tensor(input, sorted_sequence)
    return _searchsorted(sorted_sequence, input, out_int32, right, sorter)


def _scalar_tensor(value, like):
    from nbgrad._factories import tensor
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise TypeError(f"searchsorted(): argument 'input' must be Tensor or Number, not "
                        f"{type(value).__name__}")
    return tensor(value, device=like.device)


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each value between the 1-D sorted `boundaries`:
    ``nb.bucketize(nb.tensor([0.5, 2.5]), nb.tensor([1., 2., 3.]))`` is ``tensor([0, 2])``
    (``right=True``: a value equal to a boundary goes to the next bucket)."""
    check_tensor("bucketize", boundaries, "boundaries")
    if boundaries._data.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim("
                           f"{boundaries._data.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


# -- unique, unique_consecutive ------------------------------------------------------------
def _runs_of(x, flat, perm, b):
    n = flat.shape[0]
    uniq = b.empty((n,), flat.dtype)
    inverse = b.empty((n,), np.int64)
    counts = b.empty((n,), np.int64)
    k = b.sorting.runs(flat, perm, uniq, inverse, counts)
    first = (slice(0, k),)
    return (b.getitem(uniq, first), b.reshape(inverse, tuple(x._data.shape)),
            b.getitem(counts, first))


def _results(ctx, x, res):
    """`res`, with the outputs' metadata (the engine materialises unused gradients)."""
    ctx.metadata = [(tuple(a.shape), x.dtype if k == 0 else _dtypes.int64)
                    for k, a in enumerate(res)]
    return res


def _distinct_rows(x, dim, consecutive):
    """(values, inverse, counts) arrays of ``unique(x, dim=dim)`` (its slices along `dim`
    sorted lexicographically, as PyTorch's) or of ``unique_consecutive(x, dim=dim)``.
    Built from nbgrad's ops on a detached view: the slices as rows, stable argsorts from
    the last column to the first, then run starts, their ranks and counts."""
    from nbgrad import _factories
    from nbgrad.ops import counting, indexing, reduce_scan
    from nbgrad.ops.sorting import argsort
    t = x.detach()
    if t._data.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = _wrap_dim(dim, t._data.ndim, "unique")
    order = [d] + [i for i in range(t._data.ndim) if i != d]
    moved = t.permute(order)
    n, rest = moved.shape[0], tuple(moved.shape[1:])
    if n and 0 in rest:
        raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so unique "
                           f"cannot be applied (input of shape {list(x.shape)}, dim={dim})")
    rows = moved.reshape(n, math.prod(rest))
    perm = _factories.arange(n, device=x.device)
    if not consecutive:
        for j in reversed(range(rows.shape[1])):
            perm = perm[argsort(rows[perm, j], stable=True)]
        rows = rows[perm]
    starts = _factories.ones(n, dtype=_dtypes.bool, device=x.device)
    if n > 1:
        starts[1:] = (rows[1:] != rows[:-1]).any(1)
    group = reduce_scan.cumsum(starts, 0) - 1
    inverse = group
    if not consecutive:
        inverse = _factories.empty(n, dtype=_dtypes.int64, device=x.device)
        inverse[perm] = group
    first = indexing.nonzero(starts).reshape(-1)
    k = first.shape[0]
    counts = counting.bincount(group, minlength=k)
    back = [order.index(i) for i in range(len(order))]
    values = rows[first].reshape((k,) + rest).permute(back).contiguous()
    return values._data, inverse._data, counts._data


def _check_dim(opname, dim):
    if dim is not None and not isinstance(dim, int):
        raise TypeError(f"{opname}(): argument 'dim' must be int, not {type(dim).__name__}")


@op("unique_dim", node="UniqueDimBackward0")
def _unique_dim(ctx, x, dim, consecutive):
    return _results(ctx, x, _distinct_rows(x, dim, consecutive))


@_unique_dim.backward
def _unique_dim_backward(ctx, *grads):
    raise NotImplementedError("the derivative for 'unique_dim' is not implemented.")


@op("unique", node="Unique2Backward0")
def _unique(ctx, x):
    b = dispatch.backend(x.device)
    t = Tensor._make(b.reshape(b.contiguous(x._data), (x._data.size,)), x.dtype, x.device)
    vals, idx, b = _sorted_rows(t, 0, False)
    return _results(ctx, x, _runs_of(x, b.reshape(vals, (vals.size,)),
                                     b.reshape(idx, (idx.size,)), b))


@_unique.backward
def _unique_backward(ctx, *grads):
    raise NotImplementedError("the derivative for '_unique2' is not implemented.")


def _pick_results(res, return_inverse, return_counts):
    uniq, inverse, counts = res
    if not (return_inverse or return_counts):
        return uniq
    return (uniq,) + ((inverse,) if return_inverse else ()) + ((counts,) if return_counts
                                                                else ())


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values of `input` (flattened), sorted; with `return_inverse`
    each element's position among them, with `return_counts` how often each
    occurs: ``nb.unique(nb.tensor([2, 1, 2]), return_counts=True)`` is
    ``(tensor([1, 2]), tensor([1, 2]))``.  NaNs are all distinct, as in PyTorch."""
    check_tensor("unique", input)
    for name, v in (("sorted", sorted), ("return_inverse", return_inverse),
                    ("return_counts", return_counts)):
        check_bool("unique", v, name)
    _check_dim("unique", dim)
    res = _unique(input) if dim is None else _unique_dim(input, dim, False)
    return _pick_results(res, return_inverse, return_counts)


@op("unique_consecutive", node="UniqueConsecutiveBackward0")
def _unique_consecutive(ctx, x, dim=None):
    if dim is not None:   # runs of equal slices along dim
        return _results(ctx, x, _distinct_rows(x, dim, True))
    b = dispatch.backend(x.device)
    flat = b.reshape(b.contiguous(x._data), (x._data.size,))
    return _results(ctx, x, _runs_of(x, flat, None, b))


@_unique_consecutive.backward
def _unique_consecutive_backward(ctx, *grads):
    raise NotImplementedError("the derivative for 'unique_consecutive' is not implemented.")


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Collapse runs of equal consecutive values (of the flattened input):
    ``nb.unique_consecutive(nb.tensor([1, 1, 2, 1]))`` is ``tensor([1, 2, 1])``."""
    check_tensor("unique_consecutive", input)
    check_bool("unique_consecutive", return_inverse, "return_inverse")
    check_bool("unique_consecutive", return_counts, "return_counts")
    _check_dim("unique_consecutive", dim)
    res = _unique_consecutive(input, dim)
    return _pick_results(res, return_inverse, return_counts)


attach_methods(plain=(unique, unique_consecutive))
