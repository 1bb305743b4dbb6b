"""Advanced indexing, planned: a key (ints, slices, None, ``...``, index arrays,
boolean masks) read as PyTorch reads it (`parse_key`), and the `IndexPlan` that
addresses its elements: the basic part of the key (a view), an optional
permutation bringing the indexed dimensions together, and one flat index over
the indexed block, so that the data is an (outer, block, inner) array and the
row take/put kernels of the backend's `movement` module do the work (`_take`,
`_put`).  The ops built on plans are in `nbgrad.ops.indexing`.  A basic key's
backward writes into zeros (`zeros_with_slice`).

The plan is always made on the host, by the CPU backend's kernels (index
tensors on a device are copied there first: one synchronisation, as PyTorch
has for masks); its flat index is copied to the data's device once.
"""

import math
import warnings

import numpy as np

from nbgrad import _dtypes
from nbgrad.backends import cpu as host
from nbgrad.backends import dispatch
from nbgrad.backends.family import KernelFamily
from nbgrad.ops import overlap
from nbgrad.tensor import Tensor

__all__ = ["IndexPlan", "index_plan", "parse_key"]

_int64 = np.dtype(np.int64)
# the elements of x where m holds take v: masked_fill, and the copy-back of a put
_masked = KernelFamily("masked_fill", [lambda m, v, x: v if m else x])


# -- reading a key --------------------------------------------------------------------

def _index_array(k):
    """An index given as a Tensor / ndarray / list: ('int', i), ('bool', b),
    ('mask', bool array) or ('array', int array)."""
    if isinstance(k, Tensor):
        a, name = k._host(), k.dtype.name   # an index on the device: planned on the host
    else:
        if isinstance(k, (list, tuple)) and any(isinstance(e, (Tensor, list, tuple))
                                                for e in k):
            k = _read_tensors(k)
        a = np.asarray(k)
        if a.dtype.kind in "SU":   # PyTorch makes a tensor of the sequence, and refuses str
            raise TypeError(f"new(): invalid data type 'str': an index holds integers or "
                            f"bools, not {a.tolist()!r}")
        if a.dtype == object:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or "
                             "byte Variables are valid indices (got a ragged sequence)")
        if a.size == 0 and a.dtype.kind == "f":   # [] is an empty list of indices
            a = np.empty(a.shape, np.int64)
        name = _dtypes.from_numpy_dtype(a.dtype).name if a.dtype.kind in "biuf" else "other"
    if name == "uint8":
        warnings.warn("indexing with dtype torch.uint8 is now deprecated, please use a dtype "
                      "torch.bool instead.", UserWarning, stacklevel=4)
        a = a.view(np.bool_)
        name = "bool"
    if name == "bool":
        return ("bool", bool(_value(k, a))) if a.ndim == 0 else ("mask", a)
    if name not in ("int64", "int32"):
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors "
                         f"(got an index of dtype {name} and shape {list(a.shape)})")
    if a.ndim == 0:
        return ("int", int(_value(k, a)))
    return ("array", a)


# A key's tensors whose values become Python numbers (a 0-d index, tensors in a list)
# are read through Tensor methods, which nb.compile's recorder sees as value reads: a
# replay would otherwise index with the recorded values.
def _value(k, a):
    return k.item() if isinstance(k, Tensor) else a


def _read_tensors(k):
    """List index `k` with its tensors read as Python numbers (``Tensor.tolist``)."""
    return [e.tolist() if isinstance(e, Tensor) else
            _read_tensors(e) if isinstance(e, (list, tuple)) else e for e in k]


def _classify(k):
    if k is None:
        return ("none", None)
    if k is Ellipsis:
        return ("ellipsis", None)
    if isinstance(k, slice):
        return ("slice", k)
    if isinstance(k, (bool, np.bool_)):
        return ("bool", bool(k))
    if isinstance(k, (int, np.integer)):
        return ("int", int(k))
    if isinstance(k, (Tensor, np.ndarray, list, tuple, range)):   # a range is a sequence
        return _index_array(k)
    if isinstance(k, (str, bytes)):   # a sequence to PyTorch, whose tensor() refuses it
        raise TypeError(f"new(): invalid data type '{type(k).__name__}' (index {k!r})")
    raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or byte "
                     f"Variables are valid indices (got {type(k).__name__})")


def _as_tuple(key):
    if isinstance(key, tuple):
        return key
    # a list holding slices, None, ... or sequences is a tuple of indices (the
    # legacy NumPy rule that PyTorch keeps)
    if isinstance(key, list) and any(isinstance(k, (slice, list, tuple, range, Tensor,
                                                    np.ndarray))
                                     or k is None or k is Ellipsis for k in key):
        return tuple(key)
    return (key,)


def parse_key(shape, key):
    """(basic, advanced) for indexing a tensor of `shape` with `key`.

    `basic` is a tuple of ints / slices / None (and a final Ellipsis) for
    NumPy basic indexing; `advanced` lists (dim, int array, source dim) for
    the index arrays, `dim` counted in the view that `basic` gives."""
    items = [_classify(k) for k in _as_tuple(key)]
    ndim = len(shape)
    used = _used_dims(items, shape)
    basic, adv = [], []
    src = vdim = 0
    seen_ellipsis = False
    for kind, v in items:
        if kind == "int":
            size = shape[src]
            if not -size <= v < size:
                raise IndexError(f"index {v} is out of bounds for dimension {src} with size "
                                 f"{size}")
            basic.append(v)
            src += 1
        elif kind == "slice":
            if v.step is not None and v.step == 0:
                raise ValueError("slice step cannot be zero")
            if v.step is not None and v.step < 0:
                raise ValueError("step must be greater than zero")
            basic.append(v)
            src += 1
            vdim += 1
        elif kind == "none":
            basic.append(None)
            vdim += 1
        elif kind == "ellipsis":
            n = 0 if seen_ellipsis else ndim - used
            seen_ellipsis = True
            basic.extend([slice(None)] * n)
            src += n
            vdim += n
        elif kind == "bool":   # a new dimension of size 1, kept (True) or emptied (False)
            basic.append(None)
            adv.append((vdim, _filled((1 if v else 0,), 0), None))
            vdim += 1
        elif kind == "mask":
            _add_mask(v, shape, src, vdim, basic, adv)
            src += v.ndim
            vdim += v.ndim
        else:   # int array
            adv.append((vdim, v, src))
            basic.append(slice(None))
            src += 1
            vdim += 1
    # the trailing Ellipsis keeps an all-int key a view (NumPy would return a scalar)
    return tuple(basic) + (Ellipsis,), adv


def _used_dims(items, shape):
    """How many dimensions of `shape` the classified key `items` index (IndexError
    when more than there are)."""
    used = 0
    for kind, v in items:
        if kind in ("int", "slice", "array"):
            used += 1
        elif kind == "mask":
            used += v.ndim
    if used > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)} (got {used} "
                         f"indices for shape {list(shape)})")
    return used


def _add_mask(v, shape, src, vdim, basic, adv):
    """Append boolean mask `v` (indexing dims src.. of `shape`, view dims vdim..)
    as one index array of its true elements' coordinates per dim it covers."""
    for j, s in enumerate(v.shape):
        if shape[src + j] != s:
            raise IndexError(
                f"The shape of the mask {list(v.shape)} at index {j} does not match "
                f"the shape of the indexed tensor {list(shape)} at index {src + j}")
    coords = _nonzero(v)
    for j in range(v.ndim):
        adv.append((vdim + j, coords[:, j], src + j))
        basic.append(slice(None))


def _filled(shape, value, dtype=np.int64):
    return host.fill(np.empty(shape, dtype), value)


def _nonzero(mask):
    """(N, mask.ndim) int64 coordinates of the true elements, row-major."""
    m = host.contiguous(mask).reshape(-1)
    n = host.movement.count_true(m) if m.size else 0
    out = np.empty((n, mask.ndim), np.int64)
    if n:
        host.movement.nonzero(m, np.array(mask.shape, np.int64), out)
    return out


def _basic_shape(shape, basic):
    """The shape of ``a[basic]`` for an array `a` of `shape`."""
    out = []
    src = 0
    for k in basic:
        if k is Ellipsis:
            continue
        if k is None:
            out.append(1)
        elif isinstance(k, slice):
            out.append(len(range(*k.indices(shape[src]))))
            src += 1
        else:
            src += 1
    return tuple(out) + tuple(shape[src:])


# -- the plan -------------------------------------------------------------------------

class IndexPlan:
    """Where an advanced index reads and writes.

    ``view(a)`` is ``a[basic]`` with the indexed dimensions brought together
    (`perm`); seen as a C-contiguous (P, NA, Q) array its middle axis is the
    indexed block, and `flat` (NB,) holds the positions in that block that
    the result's (P, NB, Q) rows come from.  The result has `out_shape`.
    """

    __slots__ = ("basic", "perm", "P", "NA", "NB", "Q", "flat", "out_shape", "_placed",
                 "sources", "remake")

    def __init__(self, basic, perm, P, NA, Q, flat, out_shape):
        self.basic, self.perm = basic, perm
        self.P, self.NA, self.Q, self.NB = P, NA, Q, flat.shape[0]
        self.flat, self.out_shape = flat, out_shape
        self._placed = None   # (backend, flat in its memory) of the last use
        self.sources = ()   # the index tensors of the key (their versions are checked)
        self.remake = None   # (shape, key as a tuple) it was planned from, with sources

    def view(self, a):
        b = dispatch.backend_for(a)
        v = a if self.basic is None else b.getitem(a, self.basic)
        return v if self.perm is None else b.transpose(v, self.perm)

    def kernels_for(self, a):
        """(backend, flat index in its memory) for array `a`: the index is copied to
        a device once."""
        b = dispatch.backend_for(a)
        placed = self._placed
        if placed is None or placed[0] is not b:
            placed = self._placed = (b, b.to_device(self.flat))
        return placed


def index_plan(shape, basic, adv):
    """The IndexPlan of key (basic, adv) from `parse_key` for a tensor of `shape`."""
    vshape = _basic_shape(shape, basic)
    bshape, flat = (_one_index if len(adv) == 1 else _raveled)(vshape, adv)
    dims = [d for d, _, _ in adv]
    na = math.prod(vshape[d] for d in dims)
    if dims == list(range(dims[0], dims[0] + len(dims))):
        pre, post = vshape[:dims[0]], vshape[dims[-1] + 1:]
        return IndexPlan(basic, None, math.prod(pre), na, math.prod(post), flat,
                         pre + tuple(bshape) + post)
    # indexed dimensions apart: the result's indexed block goes first (PyTorch/NumPy)
    rest = [d for d in range(len(vshape)) if d not in dims]
    rest_shape = tuple(vshape[d] for d in rest)
    return IndexPlan(basic, tuple(dims + rest), 1, na, math.prod(rest_shape), flat,
                     tuple(bshape) + rest_shape)


def _one_index(vshape, adv):
    """(shape, flat positions) of one index array (``x[ix]``, ``C[X[ix]]``): its values
    wrapped and checked, with none of `_raveled`'s broadcasting and summing."""
    ((d, a, src),) = adv
    full = a if a.dtype == _int64 and a.flags.c_contiguous else host.cast(a, _dtypes.int64)
    full = full.reshape(-1)
    flat = np.empty(full.shape, np.int64)
    bad = host.movement.wrap_index(flat, full, vshape[d]) if full.size else -1
    if bad >= 0:
        raise _out_of_bounds(full[bad], src, vshape[d])
    return a.shape, flat


def _raveled(vshape, adv):
    """(broadcast shape, flat positions in the indexed block) of several index arrays."""
    try:
        bshape = np.broadcast_shapes(*[a.shape for _, a, _ in adv])
    except ValueError:
        raise IndexError("shape mismatch: indexing tensors could not be broadcast together "
                         "with shapes " + ", ".join(str(list(a.shape)) for _, a, _ in adv)
                         ) from None
    nb = math.prod(bshape)
    flat = _filled((nb,), 0)
    stride = 1
    for d, a, src in reversed(adv):
        size = vshape[d]
        if nb:
            full = np.broadcast_to(a, bshape)
            if full.dtype != _int64 or not full.flags.c_contiguous:
                full = host.cast(full, _dtypes.int64)
            full = full.reshape(-1)
            bad = host.movement.ravel_index(flat, full, size, stride)
            if bad >= 0:
                raise _out_of_bounds(full[bad], src, size)
        stride *= size
    return bshape, flat


def _out_of_bounds(value, src, size):
    where = "" if src is None else f" for dimension {src}"
    return IndexError(f"index {value} is out of bounds{where} with size {size}")


def _take(a, plan, dtype, out=None):
    """`a`'s elements at the plan's positions: a new array of `dtype`, or written into
    `out` (C-contiguous, of the plan's out_shape)."""
    b, flat = plan.kernels_for(a)
    v = b.contiguous(plan.view(a))
    rows = (plan.P, plan.NB, plan.Q)
    out = b.empty(rows, dtype.np) if out is None else b.reshape(out, rows)
    b.movement.take(b.reshape(v, (plan.P, plan.NA, plan.Q)), flat, out)
    return b.reshape(out, plan.out_shape)


def _put(dst, plan, value, accumulate):
    """Write `value` (an array broadcastable to plan.out_shape, or a scalar)
    into array `dst` at the plan's positions."""
    rows = (plan.P, plan.NB, plan.Q)
    b, flat = plan.kernels_for(dst)
    if not isinstance(value, np.generic) and tuple(value.shape) == plan.out_shape and \
            value.dtype == dst.dtype and b.is_contiguous(value):
        vals = b.reshape(value, rows)
    else:
        vals = b.empty(rows, dst.dtype)
        b.copy_into(b.reshape(vals, plan.out_shape), value)
    region = plan.view(dst)
    block = (plan.P, plan.NA, plan.Q)
    if b.is_contiguous(region):
        b.movement.put(b.reshape(region, block), flat, vals, accumulate)
    else:   # write into a contiguous copy of the region, then copy it back
        tmp = b.cast(region, region.dtype)
        b.movement.put(b.reshape(tmp, block), flat, vals, accumulate)
        if overlap.is_expanded(region):
            _copy_written(b, region, tmp, flat, block, rows)
        else:
            b.copy_into(region, tmp)


def _copy_written(b, region, tmp, flat, block, rows):
    """Copy back only the elements the plan wrote: in an expanded region an
    unwritten element shares its address with a written one and would copy the
    old value back over it (PyTorch's kernel writes only the indexed elements)."""
    hit = b.fill(b.empty(block, np.bool_), False)
    ones = b.fill(b.empty(rows, np.bool_), True)
    b.movement.put(hit, flat, ones, False)
    b.run(_masked, [b.reshape(hit, tuple(region.shape)), tmp, region], [region.dtype],
          tuple(region.shape), outs=[region])


def zeros_with_slice(b, g, dtype, shape, key):
    """A new zero array of `shape` and `dtype` on backend `b` with array `g` written at
    the basic `key` (a tuple): slice_scatter_zeros's result, unrecorded."""
    out = b.empty(shape, dtype)
    if out.size:
        b.fill(out, 0)
        dst = b.getitem(out, key if any(k is Ellipsis for k in key) else key + (Ellipsis,))
        if dst.size:
            b.copy_into(dst, g)
    return out
