"""Counting: histc, histogram and bincount.

The bins are PyTorch's (see `nbgrad.backends.cpu.histogram`): the edges of
evenly spaced bins are ``linspace(lo, hi, bins + 1)`` in the input's dtype,
the range the given one or the data's (an empty range widened: by 1 each
side for histc, by 0.5 for histogram); values outside it and NaNs are not
counted.  The backend's ``histogram.histogram`` / ``histogram.bincount``
kernels count into zeroed outputs.  None of them is differentiable; a
histogram of a tensor that requires grad raises at backward, as PyTorch's.
"""

import math
import operator

from nbgrad import _dtypes, _factories
from nbgrad.backends import dispatch
from nbgrad.ops.argcheck import check_bool, check_int, check_tensor
from nbgrad.ops.reduce import return_type
from nbgrad.ops.reduce_extrema import amax, amin
from nbgrad.ops.registry import attach_methods, op
from nbgrad.tensor import Tensor

__all__ = ["histc", "histogram", "bincount"]

return_type("histogram", ("hist", "bin_edges"))

_TYPE_NAMES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
               "uint8": "Byte", "bool": "Bool", "float32": "Float", "float64": "Double"}


def _floating(opname, x):
    if not x.dtype.is_floating_point:
        raise NotImplementedError(f"\"{opname}\" not implemented for "
                                  f"'{_TYPE_NAMES.get(x.dtype.name, x.dtype.name)}' (input of "
                                  f"shape {list(x._data.shape)}); convert it with x.float()")


def _flat(x):
    b = dispatch.backend(x.device)
    return b.reshape(b.contiguous(x._data), (x._data.size,))


def _data_range(x):
    """(min, max) of x's values, as Python floats (one kernel each)."""
    return float(amin(x).item()), float(amax(x).item())


def _count(x, weight, edges, linear, local_search):
    """The histogram array of x over the `edges` tensor."""
    b = dispatch.backend(x.device)
    out = b.full((edges._data.shape[0] - 1,), x.dtype.np, 0)
    w = None if weight is None else _flat(weight)
    b.histogram.histogram(_flat(x), w, b.contiguous(edges._data), out, linear, local_search)
    return out


def _bins(opname, bins):
    bins = check_int(opname, bins, "bins")
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    return bins


# -- histc ------------------------------------------------------------------------------------
def _histc_range(x, lo, hi):
    if lo == hi and x._data.size:
        lo, hi = _data_range(x)
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"torch.histc: range of [{lo:g}, {hi:g}] is not finite")
    if not lo < hi:
        raise RuntimeError(f"torch.histc: max must be larger than min (min={lo:g}, max={hi:g})")
    return lo, hi


@op("histc", node="HistcBackward0")
def _histc(ctx, x, bins, lo, hi):
    """Counts of x in `bins` equal bins over [lo, hi]."""
    _floating("histogram_cpu", x)
    bins = _bins("histc", bins)
    lo, hi = _histc_range(x, float(lo), float(hi))
    edges = _factories.linspace(lo, hi, bins + 1, dtype=x.dtype, device=x.device)
    return _count(x, None, edges, True, False)


def histc(input, bins=100, min=0, max=0):
    """A histogram of `bins` equal bins over [min, max] (the data's range when
    min == max), in the input's float dtype; values outside are not counted:
    ``nb.histc(nb.tensor([1., 2., 1.]), bins=4, min=0, max=3)`` is
    ``tensor([0., 2., 1., 0.])``.  Not differentiable."""
    check_tensor("histc", input)
    return _histc(input, bins, min, max)


# -- histogram ----------------------------------------------------------------------------------
def _check_weight(x, weight):
    if weight is None:
        return
    check_tensor("histogram", weight, "weight")
    if tuple(weight._data.shape) != tuple(x._data.shape):
        raise RuntimeError("torch.histogramdd: if weight tensor is provided it should have the "
                           "same shape as the input tensor excluding its innermost dimension, "
                           f"but got input with shape {list(x._data.shape) + [1]} and weight "
                           f"with shape {list(weight._data.shape)}")
    if weight.dtype is not x.dtype:
        raise RuntimeError("torch.histogramdd: if weight tensor is provided, input tensor and "
                           "weight tensor should have the same dtype, but got input("
                           f"{x.dtype.name}), and weight({weight.dtype.name})")


def _linear_edges(x, bins, range):
    bins = _bins("histogram", bins)
    if range is not None:
        lo, hi = (float(v) for v in range)
    elif x._data.size:
        lo, hi = _data_range(x)
    else:
        lo, hi = 0.0, 1.0
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise RuntimeError(f"torch.histogramdd: dimension 0's range [{lo:g}, {hi:g}] is not "
                           "finite")
    if lo > hi:
        raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min {lo:g} "
                           f"max {hi:g} for dimension 0")
    if lo == hi:
        lo, hi = lo - 0.5, hi + 0.5
    return _factories.linspace(lo, hi, bins + 1, dtype=x.dtype, device=x.device)


def _given_edges(x, bins):
    if bins._data.ndim != 1:
        raise RuntimeError("torch.histogramdd: bins tensor should have one dimension, but got "
                           f"{bins._data.ndim} dimensions in the bins tensor for dimension 0")
    if bins._data.shape[0] < 1:
        raise RuntimeError("torch.histogramdd: bins tensor should have at least 1 element, but "
                           "got 0 elements in the bins tensor for dimension 0")
    if bins.dtype is not x.dtype:
        raise RuntimeError("torch.histogramdd: input tensor and bins tensors should have the "
                           f"same dtype, but got input {x.dtype.name} and bins {bins.dtype.name}")
    return bins


@op("histogram", node="HistogramBackward0")
def _histogram(ctx, x, bins, range, weight, density):
    _floating("histogramdd", x)
    _check_weight(x, weight)
    if isinstance(bins, Tensor):
        edges, linear = _given_edges(x, bins), False
    else:
        edges, linear = _linear_edges(x, bins, range), True
    hist = Tensor._make(_count(x, weight, edges, linear, True), x.dtype, x.device)
    if density:   # PyTorch's normalisation: the integral over the range is 1
        widths = edges[1:] - edges[:-1]
        hist = hist / (hist.sum() * widths)
    # the edges returned are a new buffer, never the caller's `bins`
    e = edges._data
    ctx.metadata = [(tuple(hist._data.shape), x.dtype), (tuple(e.shape), x.dtype)]
    return hist._data, e if linear else dispatch.backend(x.device).cast(e, e.dtype)


@_histogram.backward
def _histogram_backward(ctx, *grads):
    raise NotImplementedError("the derivative for 'histogram' is not implemented.")


def histogram(input, bins, *, range=None, weight=None, density=False):
    """(hist, bin_edges): a histogram over `bins` equal bins (an int, over
    `range` or the data's range) or over the edges in the 1-D tensor `bins`;
    each value counts 1 or its `weight`; `density` normalises to a density:
    ``nb.histogram(nb.tensor([1., 2., 1.]), bins=4, range=(0., 3.))``."""
    check_tensor("histogram", input)
    check_bool("histogram", density, "density")
    if range is not None and (len(range) != 2):
        raise TypeError("histogram(): argument 'range' must be a tuple of 2 floats")
    return return_type("histogram", ("hist", "bin_edges"))(
        *_histogram(input, bins, range, weight, density))


# -- bincount ---------------------------------------------------------------------------------
def _check_bincount(x, weights, minlength):
    if x.dtype.is_floating_point or x.dtype is _dtypes.bool:
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for "
                                  f"'{_TYPE_NAMES.get(x.dtype.name, x.dtype.name)}'")
    minlength = operator.index(minlength)
    if minlength < 0:
        raise RuntimeError(f"minlength should be >= 0 (got {minlength})")
    if x._data.ndim != 1 or (x._data.size and amin(x).item() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs. (input "
                           f"of shape {list(x._data.shape)})")
    if weights is not None:
        check_tensor("bincount", weights, "weights")
        if weights._data.ndim != 1 or weights._data.shape[0] != x._data.shape[0]:
            raise RuntimeError("weights should be 1-d and have the same length as input "
                               f"(input {list(x._data.shape)}, weights "
                               f"{list(weights._data.shape)})")
    return minlength


@op("bincount", node="BincountBackward0")
def _bincount(ctx, x, weights, minlength):
    minlength = _check_bincount(x, weights, minlength)
    top = int(amax(x).item()) + 1 if x._data.size else 0
    n = top if top > minlength else minlength
    b = dispatch.backend(x.device)
    if weights is None:
        dtype, w = _dtypes.int64, None
    else:   # PyTorch: float32 weights count in float32, any other in float64
        dtype = weights.dtype if weights.dtype is _dtypes.float32 else _dtypes.float64
        w = b.contiguous(weights._data if weights.dtype is dtype else b.cast(weights._data,
                                                                             dtype.np))
    out = b.full((n,), dtype.np, 0)
    if x._data.size:
        b.histogram.bincount(b.contiguous(x._data), w, out)
    return out


def bincount(input, weights=None, minlength=0):
    """How often each value 0, 1, ... occurs in the 1-D non-negative int tensor
    `input` (or the sum of its `weights`), at least `minlength` counts:
    ``nb.bincount(nb.tensor([0, 2, 2]))`` is ``tensor([1, 0, 2])``."""
    check_tensor("bincount", input)
    return _bincount(input, weights, minlength)


attach_methods(plain=(histc, histogram, bincount))
