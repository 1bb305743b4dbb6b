"""History for in-place changes made through a view (PyTorch's CopySlices).

When an in-place op writes into a view `v` of a base tensor `b`, the base's
values change too, so its history must change: `rebase_view` gives `b` a
``CopySlices`` node (the gradient of the written region goes to the op's
result, the rest to the old history of `b`) and gives `v` an
``AsStridedBackward0`` node on top of it.

The region of `v` inside `b` is its element offset and strides in `b`'s
C-contiguous buffer.  The region ops below are Functions whose backward
rules are each other (get/scatter) or themselves (zero), so the history is
differentiable again (``create_graph=True``).  Copies and fills are kernels.
"""

from nbgrad.autograd.function import Function
from nbgrad.backends import dispatch

__all__ = ["region_of", "rebase_view"]


class Region:
    """Where a view lies in its base: (offset, strides) in elements, shapes."""

    __slots__ = ("offset", "strides", "shape", "base_shape")

    def __init__(self, offset, strides, shape, base_shape):
        self.offset, self.strides = offset, strides
        self.shape, self.base_shape = shape, base_shape

    def view(self, a):
        """The region as a view of the C-contiguous array `a` (of the base's shape)."""
        item = a.dtype.itemsize
        flat = dispatch.reshape(a, (a.size,))
        return dispatch.as_strided(dispatch.getitem(flat, slice(self.offset, None)), self.shape,
                                   [s * item for s in self.strides])


def region_of(view, base):
    """The Region of tensor `view` in tensor `base` (None if `base` is not C-contiguous)."""
    b, v = base._data, view._data
    if not dispatch.is_contiguous(b):
        return None
    item = b.dtype.itemsize
    start = dispatch.address(v) - dispatch.address(b)
    return Region(start // item, tuple(s // item for s in v.strides), tuple(v.shape),
                  tuple(b.shape))


def _contiguous(t):
    return dispatch.contiguous(t._data)


def _copy_into(dst, src, dtype):
    from nbgrad.ops.elementwise import _identity
    if dst.size:
        dispatch.run(_identity, [src], [dtype.np], tuple(dst.shape), outs=[dst])


def _zeros(shape, dtype, like):
    return dispatch.fill(dispatch.empty(shape, dtype.np, like=like), 0)


class _RegionGet(Function):
    _node_name = "AsStridedBackward0"

    @staticmethod
    def forward(ctx, g, region):
        from nbgrad.tensor import Tensor
        ctx.region = region
        return Tensor._make(dispatch.cast(region.view(_contiguous(g)), g.dtype), g.dtype,
                            g.device)

    @staticmethod
    def backward(ctx, gg):
        return _RegionScatter.apply(gg, ctx.region), None


class _RegionScatter(Function):
    _node_name = "AsStridedScatterBackward0"

    @staticmethod
    def forward(ctx, g, region):
        from nbgrad.tensor import Tensor
        ctx.region = region
        out = _zeros(region.base_shape, g.dtype, g._data)
        _copy_into(region.view(out), g._data, g.dtype)
        return Tensor._make(out, g.dtype, g.device)

    @staticmethod
    def backward(ctx, gg):
        return _RegionGet.apply(gg, ctx.region), None


class _RegionZero(Function):
    _node_name = "RegionZeroBackward0"

    @staticmethod
    def forward(ctx, g, region):
        from nbgrad.tensor import Tensor
        ctx.region = region
        out = dispatch.cast(g._data, g.dtype)
        dst = region.view(out)
        if dst.size:
            dispatch.fill(dst, 0)
        return Tensor._make(out, g.dtype, g.device)

    @staticmethod
    def backward(ctx, gg):
        return _RegionZero.apply(gg, ctx.region), None


class _CopySlices(Function):
    """Node of a base after an in-place write into one of its views."""

    _node_name = "CopySlices"

    @staticmethod
    def forward(ctx, base, result, region):
        ctx.region = region
        return base   # an alias: the write itself is done by commit_inplace

    @staticmethod
    def backward(ctx, g):
        rest = _RegionZero.apply(g, ctx.region) if ctx.needs_input_grad[0] else None
        part = _RegionGet.apply(g, ctx.region) if ctx.needs_input_grad[1] else None
        return rest, part, None


class _ViewOfBase(Function):
    _node_name = "AsStridedBackward0"

    @staticmethod
    def forward(ctx, base, region):
        from nbgrad.tensor import Tensor
        ctx.region = region
        return Tensor._make(region.view(base._data), base.dtype, base.device)

    @staticmethod
    def backward(ctx, g):
        return _RegionScatter.apply(g, ctx.region), None


def rebase_view(view, base, result, region):
    """Give `base` a CopySlices node (its region now holds `result`) and `view`
    a node reading that region of the new `base`.  Call before the write."""
    alias = _CopySlices.apply(base, result, region)
    base.grad_fn, base._output_nr, base._requires_grad = alias.grad_fn, 0, True
    v = _ViewOfBase.apply(base, region)
    view.grad_fn, view._output_nr, view._requires_grad = v.grad_fn, 0, True
