"""gather, scatter and scatter_add along one dimension.

The index has the input's rank; along `dim` it holds positions, elsewhere it
may be smaller than the tensors it addresses.  The region it covers is a
basic-slice view; seen as (outer, dim, inner) arrays, the gather/scatter
kernels of the backend's `movement` module read or write it.  Index values are
checked (by a kernel) before anything is written.

Gradients: gather's is a scatter_add into zeros; scatter's are the gradient
with the written positions zeroed (self) and gathered at them (src).
"""

import math

import numpy as np

from nbgrad import _dtypes, _factories
from nbgrad.backends import dispatch
from nbgrad.ops.argcheck import check_same_device, require_tensor
from nbgrad.ops.movement import slice_scatter_zeros
from nbgrad.ops.registry import op, tensor_method
from nbgrad.tensor import Tensor, _wrap_dim

__all__ = ["gather", "scatter", "scatter_add"]

_int64 = np.dtype(np.int64)


def _write3(b, region, shape3, idx3, vals3, accumulate):
    """Scatter `vals3` into `region` (any strides) seen as an (O, D, I) array."""
    if b.is_contiguous(region):
        b.movement.scatter(b.reshape(region, shape3), idx3, vals3, accumulate)
        return
    tmp = b.cast(region, region.dtype)
    b.movement.scatter(b.reshape(tmp, shape3), idx3, vals3, accumulate)
    b.copy_into(region, tmp)


def _as_1d(a):
    return dispatch.backend_for(a).reshape(a, (1,)) if a.ndim == 0 else a


def _check(opname, x, dim, index, src=None):
    """(dim, int64 C-contiguous index array at least 1-D), after PyTorch's checks."""
    require_tensor(opname, index, "index")
    check_same_device(opname, x, index, src)
    a = _as_1d(x._data)
    d = _wrap_dim(dim, x._data.ndim, opname)
    if index.dtype.name not in ("int64", "int32"):
        raise RuntimeError(f"{opname}(): Expected dtype int32/int64 for index (got "
                           f"{index.dtype.name})")
    idx = _as_1d(index._data)
    what = "input" if opname == "gather" else "self"
    if idx.ndim != a.ndim and index._data.size:
        raise RuntimeError(f"{opname}(): Index tensor must have the same number of dimensions "
                           f"as {what} tensor (index {list(index._data.shape)}, {what} "
                           f"{list(x._data.shape)})")
    if isinstance(src, Tensor):
        if src.dtype is not x.dtype:
            raise RuntimeError(f"{opname}(): Expected self.dtype to be equal to src.dtype "
                               f"(got {x.dtype.name} and {src.dtype.name})")
        s = _as_1d(src._data)
        if idx.ndim != s.ndim and index._data.size:
            raise RuntimeError(f"{opname}(): Index tensor must have the same number of "
                               f"dimensions as src tensor (index {list(index._data.shape)}, "
                               f"src {list(src._data.shape)})")
    b = dispatch.backend(x.device)
    if not index._data.size:
        return d, b.empty(tuple(idx.shape), _int64)
    for j in range(a.ndim):
        over_self = j != d and idx.shape[j] > a.shape[j]
        over_src = isinstance(src, Tensor) and idx.shape[j] > s.shape[j]
        if over_self or over_src:
            if opname == "gather":
                raise RuntimeError(
                    f"gather(): Size does not match at dimension {j} expected index "
                    f"{list(index._data.shape)} to be no larger than self "
                    f"{list(x._data.shape)} apart from dimension {d}")
            tail = f" and to be no larger size than src {list(src._data.shape)}" \
                if isinstance(src, Tensor) else ""
            raise RuntimeError(f"{opname}(): Expected index {list(index._data.shape)} to be no "
                               f"larger than self {list(x._data.shape)} apart from dimension "
                               f"{d}{tail}")
    if idx.dtype != _int64 or not b.is_contiguous(idx):
        idx = b.cast(idx, _dtypes.int64)
    flat = b.reshape(idx, (idx.size,))
    bad = b.movement.first_out_of_range(flat, a.shape[d])
    if bad >= 0:
        raise RuntimeError(f"{opname}(): index {b.to_host(flat)[bad]} is out of bounds "
                           f"for dimension {d} with size {a.shape[d]}")
    return d, idx


def _region(shape, idx_shape, d):
    """The basic key of the part of an array of `shape` an index of `idx_shape` covers."""
    return tuple(slice(None) if j == d else slice(0, n) for j, n in enumerate(idx_shape))


def _shape3(shape, d, mid):
    return (math.prod(shape[:d]), mid, math.prod(shape[d + 1:]))


@op("gather", node="GatherBackward0")
def gather(ctx, input, dim, index, *, sparse_grad=False):
    """Values of `input` along `dim` at the positions in `index` (same rank;
    the result has index's shape): ``x.gather(1, nb.tensor([[0], [2]]))``."""
    d, idx = _check("gather", input, dim, index)
    a = _as_1d(input._data)
    b = dispatch.backend(input.device)
    ishape = tuple(idx.shape)
    src = b.contiguous(b.getitem(a, _region(tuple(a.shape), ishape, d)))
    out = b.empty(ishape, input.dtype.np)
    if out.size:
        k3 = _shape3(ishape, d, ishape[d])
        b.movement.gather(b.reshape(src, _shape3(ishape, d, a.shape[d])), b.reshape(idx, k3),
                          b.reshape(out, k3))
    ctx.dim, ctx.shape = d, tuple(input._data.shape)
    ctx.save_for_backward(index)
    ctx.watch(input)   # PyTorch's gather saves self: changing it raises at backward
    return b.reshape(out, tuple(index._data.shape))


@gather.backward
def gather_backward(ctx, g):
    (index,) = ctx.saved_tensors
    zeros = _factories.zeros(ctx.shape, dtype=g.dtype, device=g.device)
    return scatter_add(zeros, ctx.dim, index, g), None


def _scatter_forward(ctx, opname, x, dim, index, src, accumulate):
    d, idx = _check(opname, x, dim, index, src)
    b = dispatch.backend(x.device)
    out = b.cast(x._data, x.dtype)
    a = _as_1d(out)
    if idx.size:
        ishape = tuple(idx.shape)
        k3 = _shape3(ishape, d, ishape[d])
        if isinstance(src, Tensor):
            s = _as_1d(src._data)
            vals = b.contiguous(b.getitem(s, tuple(slice(0, n) for n in ishape)))
        else:
            vals = b.fill(b.empty(ishape, x.dtype.np), x.dtype.np.type(src))
        _write3(b, b.getitem(a, _region(tuple(a.shape), ishape, d)),
                _shape3(ishape, d, a.shape[d]), b.reshape(idx, k3), b.reshape(vals, k3),
                accumulate)
    ctx.dim = d
    ctx.src_shape = tuple(src._data.shape) if isinstance(src, Tensor) else None
    # scatter_add's input gradient is g itself: the index is needed for src's only
    if not accumulate or (isinstance(src, Tensor) and src._requires_grad):
        ctx.save_for_backward(index)
    return out


def _src_grad(ctx, g, index):
    gs = gather(g, ctx.dim, index)
    if gs._data.shape != ctx.src_shape:   # src larger than index: zero elsewhere
        gs = slice_scatter_zeros(gs, ctx.src_shape,
                                 tuple(slice(0, n) for n in gs._data.shape))
    return gs


def _scatter(ctx, x, dim, index, src):
    return _scatter_forward(ctx, "scatter", x, dim, index, src, False)


def _scatter_backward(ctx, g):
    """Gradients of scatter: g zeroed where written (x), and for a src tensor
    (not a number: no src_shape) g gathered there."""
    (index,) = ctx.saved_tensors
    needs = ctx.needs_input_grad
    gx = _scatter_value(g, ctx.dim, index, 0) if needs[0] else None
    if ctx.src_shape is None:
        return gx, None
    return gx, None, _src_grad(ctx, g, index) if needs[2] else None


# one forward and backward, two nodes (PyTorch's names): src a tensor, src a number
_scatter_src = op("scatter", node="ScatterBackward0")(_scatter).backward(_scatter_backward)
_scatter_value = op("scatter_value", node="ScatterBackward1")(_scatter).backward(
    _scatter_backward)


@op("scatter_add", node="ScatterAddBackward0")
def scatter_add(ctx, input, dim, index, src):
    """`input` with `src` added at the positions `index` along `dim`
    (repeated positions add up): ``nb.zeros(3).scatter_add(0, i, v)``."""
    require_tensor("scatter_add", src, "src")
    return _scatter_forward(ctx, "scatter_add", input, dim, index, src, True)


@scatter_add.backward
def scatter_add_backward(ctx, g):
    if not ctx.needs_input_grad[2]:
        return g, None, None
    (index,) = ctx.saved_tensors
    return g, None, _src_grad(ctx, g, index)


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """`input` with `src` (a tensor, or a number `value`) written at the
    positions `index` along `dim`: ``nb.zeros(2, 3).scatter(1, i, 1.0)``."""
    if reduce is not None:
        raise NotImplementedError("scatter(reduce=...) is not supported; use scatter_add "
                                  "for reduce='add'")
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter() missing 1 required argument: 'src' or 'value'")
    if isinstance(src, Tensor):
        return _scatter_src(input, dim, index, src)
    if not isinstance(src, (bool, int, float, np.number, np.bool_)):
        raise TypeError(f"scatter(): argument 'src' must be Tensor or Number, not "
                        f"{type(src).__name__}")
    return _scatter_value(input, dim, index, src)


tensor_method("gather")(lambda self, dim, index, *, sparse_grad=False: gather(self, dim, index))
tensor_method("scatter")(scatter)
tensor_method("scatter_add")(lambda self, dim, index, src: scatter_add(self, dim, index, src))
