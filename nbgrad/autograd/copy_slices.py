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
from nbgrad.tensor import Tensor

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
        b = dispatch.backend_for(a)
        flat = b.reshape(a, (a.size,))
        return b.as_strided(b.getitem(flat, slice(self.offset, None)), self.shape,
                            [s * item for s in self.strides])


def region_of(view, base):
    """The Region of tensor `view` in tensor `base` (None if `base` is not C-contiguous)."""
    b, v = base._data, view._data
    backend = dispatch.backend(base.device)
    if not backend.is_contiguous(b):
        return None
    item = b.dtype.itemsize
    start = backend.address(v) - backend.address(b)
    return Region(start // item, tuple(s // item for s in v.strides), tuple(v.shape),
                  tuple(b.shape))


def _contiguous(t):
    return dispatch.backend(t.device).contiguous(t._data)


def _copy_into(dst, src):
    if dst.size:
        dispatch.backend_for(dst).copy_into(dst, src)


def _zeros(shape, dtype, like):
    b = dispatch.backend_for(like)
    return b.fill(b.empty(shape, dtype.np), 0)


class _RegionFunction(Function):
    """A Function of (tensor, region): forward keeps the region and returns
    ``compute(tensor, region)``; its gradient is the region Function `gradient`
    (set below, once all are defined) of the incoming gradient."""

    gradient = None

    @staticmethod
    def forward(ctx, t, region):
        ctx.region = region
        return ctx._forward_cls.compute(t, region)

    @staticmethod
    def backward(ctx, g):
        return ctx._forward_cls.gradient.apply(g, ctx.region), None


class _RegionGet(_RegionFunction):
    _node_name = "AsStridedBackward0"

    @staticmethod
    def compute(g, region):
        return Tensor._make(dispatch.backend(g.device).cast(region.view(_contiguous(g)), g.dtype),
                            g.dtype, g.device)


class _RegionScatter(_RegionFunction):
    _node_name = "AsStridedScatterBackward0"

    @staticmethod
    def compute(g, region):
        out = _zeros(region.base_shape, g.dtype, g._data)
        _copy_into(region.view(out), g._data)
        return Tensor._make(out, g.dtype, g.device)


class _RegionZero(_RegionFunction):
    _node_name = "RegionZeroBackward0"

    @staticmethod
    def compute(g, region):
        b = dispatch.backend(g.device)
        out = b.cast(g._data, g.dtype)
        dst = region.view(out)
        if dst.size:
            b.fill(dst, 0)
        return Tensor._make(out, g.dtype, g.device)


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


class _ViewOfBase(_RegionFunction):
    _node_name = "AsStridedBackward0"

    @staticmethod
    def compute(base, region):
        return Tensor._make(region.view(base._data), base.dtype, base.device)


# each region Function's gradient: reading a region and scattering into one are each
# other's, zeroing one is its own
_RegionGet.gradient = _ViewOfBase.gradient = _RegionScatter
_RegionScatter.gradient = _RegionGet
_RegionZero.gradient = _RegionZero


def rebase_view(view, base, result, region):
    """Give `base` a CopySlices node (its region now holds `result`) and `view`
    a node reading that region of the new `base`.  Call before the write."""
    alias = _CopySlices.apply(base, result, region)
    base.grad_fn, base._output_nr, base._requires_grad = alias.grad_fn, 0, True
    v = _ViewOfBase.apply(base, region)
    view.grad_fn, view._output_nr, view._requires_grad = v.grad_fn, 0, True
