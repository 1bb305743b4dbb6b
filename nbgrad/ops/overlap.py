"""PyTorch's memory-overlap rules for in-place writes (ATen's MemoryOverlap.cpp),
checked before any kernel runs, for both CPU and CUDA buffers.

A buffer is seen through its `layout` (memory space, address of element 0,
shape, byte strides, itemsize), so the same pointer arithmetic serves NumPy
arrays and device arrays.  PyTorch's classification of two buffers:

- a *partial* overlap (some, not all, elements shared, or the same elements in
  another order: ``x[1:]`` and ``x[:-1]``, ``x`` and ``x.t()``) is refused:
  elementwise kernels would read values they already overwrote;
- a *full* overlap (the same elements in the same order: ``x.add_(x)``) is
  allowed, each element is read before it is written; index_put_ and
  scatter_ refuse that too (`check_overlap(full=True)`);
- when a buffer is not dense (strided views) PyTorch cannot tell and allows
  the op; nbgrad then computes through a temporary whenever the extents meet
  (`aliases`), so no result depends on the order of a kernel's loop.

A written-to buffer whose elements share an address (an expanded tensor) is
refused too (`check_internal_overlap`), except by fill_ / zero_, and with
PyTorch's deprecation warning by index_put_ / masked_fill_.
"""

import numpy as np

from nbgrad.backends import dispatch
from nbgrad.tensor import Tensor

__all__ = ["aliases", "arrays_of", "check_index_put", "check_internal_overlap", "check_overlap",
           "check_setitem", "is_expanded", "layout", "may_share", "overlap_status",
           "warn_internal_overlap"]

_CLONE = "Please clone() the tensor before performing the operation."
_INTERNAL = ("unsupported operation: more than one element of the written-to tensor refers to "
             "a single memory location. " + _CLONE)
_PARTIAL = ("unsupported operation: some elements of the input tensor and the written-to "
            "tensor refer to a single memory location. " + _CLONE)
_NO, _FULL, _PARTIAL_OVERLAP, _TOO_HARD = range(4)


def is_expanded(a):
    """True when elements of array `a` share an address (a zero stride over a dim > 1)."""
    return any(s == 0 and n > 1 for n, s in zip(a.shape, a.strides))


def check_internal_overlap(op, a):
    """RuntimeError unless array `a` (about to be written) has one address per element."""
    if is_expanded(a):
        raise RuntimeError(f"{op}: {_INTERNAL} (written-to shape {list(a.shape)}, strides "
                           f"{list(a.strides)} bytes)")


def warn_internal_overlap(op, a):
    """PyTorch's deprecation warning for index_put_ / masked_fill_ on an expanded target."""
    if is_expanded(a):
        import warnings
        warnings.warn(f"Use of {op} on expanded tensors is deprecated. Please clone() the "
                      "tensor before performing this operation. This also applies to advanced "
                      "indexing e.g. tensor[indices] = tensor", UserWarning, stacklevel=3)


def layout(a, shape=None, strides=None):
    """(memory space, address, shape, byte strides, itemsize) of array `a`, or of the
    view of `a` with `shape` and `strides` (an expanded value)."""
    b = dispatch.backend_for(a)
    return (b.name, b.address(a) if a.size else 0,
            tuple(a.shape if shape is None else shape),
            tuple(a.strides if strides is None else strides), a.dtype.itemsize)


def _numel(lay):
    n = 1
    for s in lay[2]:
        n *= s
    return n


def _dense(lay):
    """PyTorch's is_non_overlapping_and_dense: some order of the dims is contiguous."""
    want = lay[4]
    for s, n in sorted((s, n) for n, s in zip(lay[2], lay[3]) if n > 1):
        if s != want:
            return False
        want *= n
    return True


def _same_strides(a, b):
    # size-1 dims' strides are arbitrary (NumPy and PyTorch set them differently)
    return len(a[2]) == len(b[2]) and all(
        sa == sb or (na == 1 and nb == 1) for na, nb, sa, sb in zip(a[2], b[2], a[3], b[3]))


def overlap_status(a, b):
    """PyTorch's get_overlap_status of two layouts: _NO, _FULL (the same elements in
    the same order), _PARTIAL_OVERLAP, or _TOO_HARD (not both dense: PyTorch lets it be)."""
    if _numel(a) == 0 or _numel(b) == 0 or a[0] != b[0]:
        return _NO
    if not (_dense(a) and _dense(b)):
        return _TOO_HARD
    a0, b0 = a[1], b[1]
    a1, b1 = a0 + _numel(a) * a[4], b0 + _numel(b) * b[4]
    if a0 == b0 and a1 == b1:
        return _FULL if _same_strides(a, b) else _PARTIAL_OVERLAP
    return _PARTIAL_OVERLAP if a0 < b1 and b0 < a1 else _NO


def _extent(lay):
    lo = hi = lay[1]
    for n, s in zip(lay[2], lay[3]):
        if n > 1:
            lo, hi = (lo + (n - 1) * s, hi) if s < 0 else (lo, hi + (n - 1) * s)
    return lo, hi + lay[4]


def may_share(a, b):
    """True when layouts `a` and `b` may address a common byte (their extents meet)."""
    if _numel(a) == 0 or _numel(b) == 0 or a[0] != b[0]:
        return False
    la, ha = _extent(a)
    lb, hb = _extent(b)
    return la < hb and lb < ha


def check_overlap(op, target, inputs, full=False):
    """RuntimeError (PyTorch's words) before any kernel when array `target`, to be
    written in place, shares memory in part with one of `inputs` (arrays or layouts
    that the op reads; None skipped); `full`: also when an input is the target itself
    (index_put_, scatter_: PyTorch's assert_no_overlap)."""
    if not inputs:   # an in-place op with a number: nothing else to read
        return
    t = layout(target)
    for x in inputs:
        if x is None:
            continue
        st = overlap_status(t, x if isinstance(x, tuple) else layout(x))
        if st == _PARTIAL_OVERLAP or (full and st == _FULL):
            raise RuntimeError(f"{op}: {_PARTIAL} (written-to shape {list(t[2])}, input shape "
                               f"{list(x[2] if isinstance(x, tuple) else x.shape)})")


def arrays_of(*values):
    """The buffers of the tensors among `values` (anything else skipped)."""
    return [v._data for v in values if isinstance(v, Tensor)]


def aliases(a, b):
    """True when arrays `a` and `b` may share memory other than element by element
    in the same order (so a kernel writing `a` while reading `b` needs a temporary)."""
    la, lb = layout(a), layout(b)
    if la[1:4] == lb[1:4]:
        return False
    return may_share(la, lb)


def _expanded_layout(a, shape):
    """The layout of array `a` as PyTorch's setitem copies it into a region of
    `shape`: leading 1s dropped, then expanded (None when it does not broadcast:
    the copy raises that later)."""
    dims = list(zip(a.shape, a.strides))
    while dims and dims[0][0] == 1:
        dims.pop(0)
    lead = len(shape) - len(dims)
    if lead < 0:
        return None
    strides = [0] * lead
    for (n, s), want in zip(dims, shape[lead:]):
        if n != want and n != 1:
            return None
        strides.append(s if n == want else 0)
    return layout(a, shape, strides)


def _is_mask(k):
    if isinstance(k, Tensor):
        return k.dtype.name in ("bool", "uint8") and k._data.ndim > 0
    a = np.asarray(k)
    return a.dtype == np.bool_ and a.ndim > 0


def check_index_put(self, items, value, op="index_put_", accumulate=False):
    """PyTorch's overlap errors of an index_put_ (before anything is written): its
    value and index tensors may not share self's memory at all; a lone mask with a
    one-element CPU value is a masked_fill_ instead (the value is read first)."""
    warn_internal_overlap("index_put_", self._data)
    tensors = [k for k in items if isinstance(k, Tensor)]
    adv = [k for k in items if isinstance(k, (Tensor, np.ndarray, list, tuple))]
    if not accumulate and len(adv) == 1 and _is_mask(adv[0]) and (
            not isinstance(value, Tensor) or value.numel() == 1 and value.device.type == "cpu"):
        check_overlap(op, self._data, arrays_of(*tensors))
        return
    check_overlap(op, self._data, arrays_of(value, *tensors), full=True)


def check_setitem(self, items, basic, adv, value):
    """``self[key] = value`` as PyTorch checks it: a basic key copies into a view
    (refused: an expanded view, a value sharing it in part), an advanced one is an
    index_put_ (`check_index_put`)."""
    if adv:
        check_index_put(self, items, value, "setitem")
        return
    dst = dispatch.backend(self.device).getitem(self._data, basic)
    check_internal_overlap("setitem", dst)
    if isinstance(value, Tensor):
        check_overlap("setitem", dst, [_expanded_layout(value._data, tuple(dst.shape))])
