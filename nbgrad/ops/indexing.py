"""Indexing ops: ``x[key]`` and ``x[key] = v`` for every kind of key,
index_select, index_put and masked_fill (gather/scatter live in
`nbgrad.ops.scatter`, cat/stack/split in `nbgrad.ops.joining`; their public
names are re-exported through this module's ``__all__``).

A key is read as PyTorch reads it: ints select, slices and None and ``...``
make a view (the `getitem` op of `nbgrad.ops.movement`); index arrays (lists,
int tensors, NumPy arrays) and boolean masks make a copy.  For those,
`index_plan` turns the key into an `IndexPlan`: the basic part of the key (a
view), an optional permutation that brings the indexed dimensions together,
and one flat index over the indexed block, so that the data is addressed as
an (outer, block, inner) array and the row take/put kernels of
`nbgrad.backends.cpu.movement` do the work.  The same plan drives the read
(`index`), its gradient (an accumulating `index_put`: repeated indices add up)
and assignment.

Assignment is recorded out of place (`copy_slices` for basic keys,
`index_put` for advanced ones) and committed into the target with
`nbgrad.ops.inplace.commit_inplace`, so gradients reach both the target's old
value (zero where overwritten) and the assigned value (summed over
broadcasting).  Without anything to record it writes straight into the buffer.

On a CUDA device the plan is made on the host (index tensors on the device
are copied there first: one synchronisation, as PyTorch has for masks) and
the row take/put kernels of `nbgrad.backends.cuda.movement` do the work.
"""

import math
import warnings

import numpy as np

from nbgrad import _dtypes, _factories
from nbgrad.autograd import grad_mode
from nbgrad.autograd.node import _legacy_type_name
from nbgrad.backends import dispatch
from nbgrad.backends.cpu import elementwise as cpu
from nbgrad.backends.cpu import movement as kernels
from nbgrad.backends.cpu.creation import fill
from nbgrad.ops import overlap
from nbgrad.ops.binary import where
from nbgrad.ops.elementwise import broadcast_shapes, cast_array
from nbgrad.ops.inplace import check_inplace, commit_inplace
from nbgrad.ops.movement import _copy_into, getitem
from nbgrad.ops.registry import op, tensor_method
from nbgrad.ops.joining import cat, chunk, concat, concatenate, split, stack, unbind
from nbgrad.ops.scatter import gather, scatter, scatter_add
from nbgrad.tensor import Tensor, _wrap_dim

# joining and scatter are re-exported from here (nbgrad.ops.FAMILIES lists this module)
__all__ = ["index_select", "index_put", "masked_fill", "gather", "scatter", "scatter_add",
           "cat", "concat", "concatenate", "stack", "split", "chunk", "unbind", "nonzero"]

_int64 = np.dtype(np.int64)


# -- reading a key --------------------------------------------------------------------

def _index_array(k):
    """An index given as a Tensor / ndarray / list: ('int', i), ('bool', b),
    ('mask', bool array) or ('array', int array)."""
    if isinstance(k, Tensor):
        a, name = k._host(), k.dtype.name   # an index on the device: planned on the host
    else:
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
        return ("bool", bool(a)) if a.ndim == 0 else ("mask", a)
    if name not in ("int64", "int32"):
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors "
                         f"(got an index of dtype {name} and shape {list(a.shape)})")
    if a.ndim == 0:
        return ("int", int(a))
    return ("array", a)


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
    if isinstance(k, (Tensor, np.ndarray, list, tuple)):
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
    if isinstance(key, list) and any(isinstance(k, (slice, list, tuple, Tensor, np.ndarray))
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
    used = 0
    for kind, v in items:
        if kind in ("int", "slice", "array"):
            used += 1
        elif kind == "mask":
            used += v.ndim
    if used > ndim:
        raise IndexError(f"too many indices for tensor of dimension {ndim} (got {used} "
                         f"indices for shape {list(shape)})")
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
            for j, s in enumerate(v.shape):
                if shape[src + j] != s:
                    raise IndexError(
                        f"The shape of the mask {list(v.shape)} at index {j} does not match "
                        f"the shape of the indexed tensor {list(shape)} at index {src + j}")
            coords = _nonzero(v)
            for j in range(v.ndim):
                adv.append((vdim + j, coords[:, j], src + j))
                basic.append(slice(None))
            src += v.ndim
            vdim += v.ndim
        else:   # int array
            adv.append((vdim, v, src))
            basic.append(slice(None))
            src += 1
            vdim += 1
    # the trailing Ellipsis keeps an all-int key a view (NumPy would return a scalar)
    return tuple(basic) + (Ellipsis,), adv


def _filled(shape, value, dtype=np.int64):
    out = np.empty(shape, dtype)
    if out.size:
        fill(out.reshape(-1), out.dtype.type(value))
    return out


def _nonzero(mask):
    """(N, mask.ndim) int64 coordinates of the true elements, row-major."""
    m = mask if mask.flags.c_contiguous else cast_array(mask, _dtypes.bool)
    m = m.reshape(-1)
    n = kernels.count_true(m) if m.size else 0
    out = np.empty((n, mask.ndim), np.int64)
    if n:
        kernels.nonzero(m, np.array(mask.shape, np.int64), out)
    return out


def nonzero(input, *, as_tuple=False):
    """The indices of the nonzero elements of `input`, row-major: an (N, ndim)
    int64 tensor, or with ``as_tuple=True`` one 1-D tensor per dim (what
    ``nb.where(cond)`` gives, and what ``x[cond]`` indexes with); no gradient.
    ``nb.tensor([0, 3, 0, 5]).nonzero()`` is ``tensor([[1], [3]])``."""
    from nbgrad.ops.argcheck import check_tensor
    check_tensor("nonzero", input)
    with grad_mode.no_grad():
        mask = input if input.dtype is _dtypes.bool else input != 0   # a kernel, NaN is True
    m = mask._host()
    if as_tuple and m.ndim == 0:
        m = m.reshape(1)
    flat = (m if m.flags.c_contiguous else cast_array(m, _dtypes.bool)).reshape(-1)
    n = kernels.count_true(flat) if flat.size else 0
    # as_tuple: written as (ndim, N), so that each dim's indices are one contiguous row
    coords = np.empty((m.ndim, n) if as_tuple else (n, m.ndim), np.int64)
    if n and m.ndim:
        kernels.nonzero(flat, np.array(m.shape, np.int64), coords.T if as_tuple else coords)
    if as_tuple:
        out = tuple(Tensor._make(r, _dtypes.int64) for r in coords)
    else:
        out = (Tensor._make(coords, _dtypes.int64),)
    if input.device.type != "cpu":
        out = tuple(t.to(input.device) for t in out)
    return out if as_tuple else out[0]


tensor_method("nonzero")(nonzero)


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

    __slots__ = ("basic", "perm", "P", "NA", "NB", "Q", "flat", "out_shape", "_dflat",
                 "sources")

    def __init__(self, basic, perm, P, NA, Q, flat, out_shape):
        self.basic, self.perm = basic, perm
        self.P, self.NA, self.Q, self.NB = P, NA, Q, flat.shape[0]
        self.flat, self.out_shape = flat, out_shape
        self._dflat = None
        self.sources = ()   # the index tensors of the key (their versions are checked)

    def view(self, a):
        v = a if self.basic is None else dispatch.getitem(a, self.basic)
        return v if self.perm is None else dispatch.transpose(v, self.perm)

    def kernels_for(self, a):
        """(movement kernels, flat index) for array `a`: the CPU's, or the CUDA ones
        with the index copied to the device once."""
        if dispatch.on_host(a):
            return kernels, self.flat
        if self._dflat is None:
            self._dflat = dispatch.to_device(self.flat, dispatch.cuda_device())
        return dispatch.cuda().movement, self._dflat


def index_plan(shape, basic, adv):
    """The IndexPlan of key (basic, adv) from `parse_key` for a tensor of `shape`."""
    vshape = _basic_shape(shape, basic)
    try:
        bshape = np.broadcast_shapes(*[a.shape for _, a, _ in adv])
    except ValueError:
        raise IndexError("shape mismatch: indexing tensors could not be broadcast together "
                         "with shapes " + ", ".join(str(list(a.shape)) for _, a, _ in adv)
                         ) from None
    dims = [d for d, _, _ in adv]
    nb = math.prod(bshape)
    flat = _filled((nb,), 0)
    stride = 1
    for d, a, src in reversed(adv):
        size = vshape[d]
        if nb:
            full = np.broadcast_to(a, bshape)
            if full.dtype != _int64 or not full.flags.c_contiguous:
                full = cast_array(full, _dtypes.int64)
            full = full.reshape(-1)
            bad = kernels.ravel_index(flat, full, size, stride)
            if bad >= 0:
                where = "" if src is None else f" for dimension {src}"
                raise IndexError(f"index {full[bad]} is out of bounds{where} with size {size}")
        stride *= size
    na = stride
    if dims == list(range(dims[0], dims[0] + len(dims))):
        pre, post = vshape[:dims[0]], vshape[dims[-1] + 1:]
        return IndexPlan(basic, None, math.prod(pre), na, math.prod(post), flat,
                         pre + tuple(bshape) + post)
    # indexed dimensions apart: the result's indexed block goes first (PyTorch/NumPy)
    rest = [d for d in range(len(vshape)) if d not in dims]
    rest_shape = tuple(vshape[d] for d in rest)
    return IndexPlan(basic, tuple(dims + rest), 1, na, math.prod(rest_shape), flat,
                     tuple(bshape) + rest_shape)


def _take(a, plan, dtype):
    v = dispatch.contiguous(plan.view(a))
    out = dispatch.empty((plan.P, plan.NB, plan.Q), dtype.np, like=a)
    k, flat = plan.kernels_for(a)
    k.take(dispatch.reshape(v, (plan.P, plan.NA, plan.Q)), flat, out)
    return dispatch.reshape(out, plan.out_shape)


def _put(dst, plan, value, accumulate):
    """Write `value` (an array broadcastable to plan.out_shape, or a scalar)
    into array `dst` at the plan's positions."""
    rows = (plan.P, plan.NB, plan.Q)
    if not isinstance(value, np.generic) and tuple(value.shape) == plan.out_shape and \
            value.dtype == dst.dtype and dispatch.is_contiguous(value):
        vals = dispatch.reshape(value, rows)
    else:
        vals = dispatch.empty(rows, dst.dtype, like=dst)
        _copy_into(dispatch.reshape(vals, plan.out_shape), value)
    region = plan.view(dst)
    block = (plan.P, plan.NA, plan.Q)
    k, flat = plan.kernels_for(dst)
    if dispatch.is_contiguous(region):
        k.put(dispatch.reshape(region, block), flat, vals, accumulate)
    else:   # write into a contiguous copy of the region, then copy it back
        tmp = dispatch.cast(region, region.dtype)
        k.put(dispatch.reshape(tmp, block), flat, vals, accumulate)
        if overlap.is_expanded(region):
            _copy_written(region, tmp, k, flat, block, rows)
        else:
            _copy_into(region, tmp)


def _copy_written(region, tmp, k, flat, block, rows):
    """Copy back only the elements the plan wrote: in an expanded region an
    unwritten element shares its address with a written one and would copy the
    old value back over it (PyTorch's kernel writes only the indexed elements)."""
    hit = dispatch.empty(block, np.bool_, like=region)
    dispatch.fill(hit, False)
    ones = dispatch.empty(rows, np.bool_, like=region)
    dispatch.fill(ones, True)
    k.put(hit, flat, ones, False)
    dispatch.run(_masked, [dispatch.reshape(hit, tuple(region.shape)), tmp, region],
                 [region.dtype], tuple(region.shape), outs=[region])


# -- values assigned into a tensor ------------------------------------------------------

def _strip_ones(shape):
    i = 0
    while i < len(shape) and shape[i] == 1:
        i += 1
    return tuple(shape[i:])


def value_array(value, dtype, target, advanced):
    """`value` (Tensor or number) as an array (leading 1s stripped) or NumPy
    scalar of `dtype`, checked to broadcast to the `target` shape."""
    if not isinstance(value, Tensor):
        return _dtypes.checked_scalar(value, dtype, int64=True)   # PyTorch's overflow check
    shape = _strip_ones(value._data.shape)
    ok = len(shape) <= len(target) and all(
        v == 1 or v == t for v, t in zip(reversed(shape), reversed(target)))
    if not ok:
        if advanced:
            raise RuntimeError(f"shape mismatch: value tensor of shape "
                               f"{list(value._data.shape)} cannot be broadcast to indexing "
                               f"result of shape {list(target)}")
        raise RuntimeError(f"setitem: the value of shape {list(value._data.shape)} cannot be "
                           f"broadcast to the indexed region of shape {list(target)}: The "
                           "expanded size of the tensor must match the existing size at "
                           "non-singleton dimensions")
    a = dispatch.reshape(value._data, shape)
    return a if value.dtype is dtype else dispatch.cast(a, dtype)


def reduce_to(g, shape):
    """Gradient `g` of a value broadcast (after dropping leading 1s) back to `shape`."""
    stripped = _strip_ones(shape)
    if g._data.shape != stripped:
        g = g.sum_to_size(stripped)
    return g if stripped == tuple(shape) else g.reshape(shape)


def _value_input(value, target):
    if isinstance(value, Tensor):
        if value.device != target.device:
            raise RuntimeError(f"setitem: Expected all tensors to be on the same device, but "
                               f"found at least two devices, {target.device} and "
                               f"{value.device}!")
        return value
    if isinstance(value, (bool, int, float, np.number, np.bool_)):
        return value
    # PyTorch takes only tensors and numbers here (a list or an ndarray is refused)
    kind = "numpy.ndarray" if isinstance(value, np.ndarray) else type(value).__name__
    raise TypeError(f"can't assign a {kind} to a {_legacy_type_name(target.dtype)}")


# -- the recorded ops -------------------------------------------------------------------

@op("index", node="IndexBackward0")
def index(ctx, x, plan):
    """``x[key]`` for a key with index arrays or masks (a copy); `plan` from `index_plan`."""
    ctx.plan, ctx.shape = plan, tuple(x._data.shape)
    ctx.watch(*plan.sources)
    return _take(x._data, plan, x.dtype)


@index.backward
def index_backward(ctx, g):
    return _index_put(_factories.zeros(ctx.shape, dtype=g.dtype, device=g.device), ctx.plan, g,
                      True)


@op("index_put", node="IndexPutBackward0")
def _index_put(ctx, x, plan, value, accumulate=False):
    """A copy of `x` with `value` written (or added) at the plan's positions."""
    val = value_array(value, x.dtype, plan.out_shape, True)
    out = dispatch.cast(x._data, x.dtype)
    _put(out, plan, val, accumulate)
    ctx.plan, ctx.accumulate = plan, accumulate
    ctx.watch(*plan.sources)
    ctx.value_shape = value._data.shape if isinstance(value, Tensor) else None
    return out


@_index_put.backward
def index_put_backward(ctx, g):
    needs = ctx.needs_input_grad
    gx = None
    if needs[0]:
        gx = g if ctx.accumulate else _index_put(g, ctx.plan, 0)
    if ctx.value_shape is None:
        return gx
    gv = reduce_to(index(g, ctx.plan), ctx.value_shape) if needs[1] else None
    return gx, gv


@op("copy_slices", node="CopySlices")
def copy_slices(ctx, x, key, value):
    """A copy of `x` with `value` written at the basic key (ints, slices, None)."""
    key = key if isinstance(key, tuple) else (key,)
    if not any(k is Ellipsis for k in key):
        key += (Ellipsis,)   # keeps an all-int key a view, not a scalar
    out = dispatch.cast(x._data, x.dtype)
    dst = dispatch.getitem(out, key)
    _copy_into(dst, value_array(value, x.dtype, dst.shape, False))
    ctx.key = key
    ctx.value_shape = value._data.shape if isinstance(value, Tensor) else None
    return out


@copy_slices.backward
def copy_slices_backward(ctx, g):
    needs = ctx.needs_input_grad
    gx = copy_slices(g, ctx.key, 0) if needs[0] else None
    if ctx.value_shape is None:
        return gx
    gv = reduce_to(getitem(g, ctx.key), ctx.value_shape) if needs[1] else None
    return gx, gv


# -- x[key] and x[key] = value ------------------------------------------------------------

def _getitem(self, key):
    if key.__class__ is int or key.__class__ is slice:   # the common cases, no parsing
        return getitem(self, key)
    basic, adv = parse_key(self._data.shape, key)
    if not adv:
        return getitem(self, basic)
    return index(self, _plan_of(self._data.shape, basic, adv, key))


def _plan_of(shape, basic, adv, key):
    """`index_plan`, remembering the key's tensors (backward checks their versions)."""
    plan = index_plan(shape, basic, adv)
    items = key if isinstance(key, tuple) else (key,)
    plan.sources = tuple(k for k in items if isinstance(k, Tensor))
    return plan


def _records(target, value):
    """Whether ``target[key] = value`` must be recorded: something requires grad,
    or target is a view whose base does (commit_inplace then rebases the base)."""
    if not grad_mode.is_grad_enabled():
        return False
    if target._requires_grad or (isinstance(value, Tensor) and value._requires_grad):
        return True
    base = target._base
    return base is not None and base._requires_grad


def _setitem(self, key, value):
    check_inplace(self, "setitem", internal=False)
    value = _value_input(value, self)
    basic, adv = parse_key(self._data.shape, key)
    overlap.check_setitem(self, _as_tuple(key), basic, adv, value)
    plan = _plan_of(self._data.shape, basic, adv, key) if adv else None
    if _records(self, value):
        result = _index_put(self, plan, value) if plan else copy_slices(self, basic, value)
        commit_inplace(self, result)
        return
    _write_unrecorded(self, basic, plan, value)


def _write_unrecorded(self, basic, plan, value):
    """``self[key] = value`` straight into the buffer (nothing to record)."""
    if isinstance(value, Tensor) and dispatch.shares_memory(value._data, self._data):
        value = value.clone()   # read everything before anything is overwritten
    if plan is not None:
        _put(self._data, plan, value_array(value, self.dtype, plan.out_shape, True), False)
    else:
        dst = dispatch.getitem(self._data, basic)
        _copy_into(dst, value_array(value, self.dtype, tuple(dst.shape), False))
    self._bump_version()


tensor_method("__getitem__")(_getitem)
tensor_method("__setitem__")(_setitem)


# -- index_select, index_put ----------------------------------------------------------

def _check_index_tensor(opname, index, input):
    if not isinstance(index, Tensor):
        raise TypeError(f"{opname}(): argument 'index' must be Tensor, not "
                        f"{type(index).__name__}")
    if index.device != input.device:
        raise RuntimeError(f"{opname}: Expected all tensors to be on the same device, but "
                           f"found at least two devices, {input.device} and {index.device}!")


@op("index_select", node="IndexSelectBackward0")
def index_select(ctx, input, dim, index):
    """The entries of `input` at positions `index` (1-D) along `dim`:
    ``x.index_select(0, nb.tensor([2, 0]))``."""
    _check_index_tensor("index_select", index, input)
    a = input._data
    d = _wrap_dim(dim, a.ndim, "index_select")
    if index.dtype.name not in ("int64", "int32"):
        raise RuntimeError("index_select(): Expected dtype int32 or int64 for index (got "
                           f"{index.dtype.name})")
    if index._data.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector (got shape "
                         f"{list(index._data.shape)})")
    shape = tuple(a.shape) if a.ndim else (1,)
    idx = index._host().reshape(-1)   # checked and planned on the host
    if idx.dtype != _int64 or not idx.flags.c_contiguous:
        idx = cast_array(idx, _dtypes.int64)
    bad = kernels.first_out_of_range(idx, shape[d])
    if bad >= 0:
        raise IndexError(f"index_select(): index {idx[bad]} out of range in self (dimension "
                         f"{d} with size {shape[d]})")
    if not a.ndim and idx.shape[0] != 1:
        raise IndexError(f"index_select(): a 0-d input takes an index of one element (got "
                         f"shape {list(index._data.shape)})")
    out_shape = shape[:d] + (idx.shape[0],) + shape[d + 1:] if a.ndim else ()
    plan = IndexPlan(None if a.ndim else (None,), None, math.prod(shape[:d]), shape[d],
                     math.prod(shape[d + 1:]), idx, out_shape)
    ctx.plan, ctx.shape = plan, tuple(a.shape)
    ctx.watch(index)
    return _take(a, plan, input.dtype)


@index_select.backward
def index_select_backward(ctx, g):
    zeros = _factories.zeros(ctx.shape, dtype=g.dtype, device=g.device)
    return _index_put(zeros, ctx.plan, g, True), None


def index_put(input, indices, values, accumulate=False):
    """A copy of `input` with `values` put at the index arrays `indices` (a
    tuple, one per leading dim; None skips a dim); added up if `accumulate`.

    >>> nb.zeros(3).index_put((nb.tensor([0, 0]),), nb.tensor(1.), accumulate=True)
    tensor([2., 0., 0.])
    """
    _check_values(input, values)
    key = tuple(slice(None) if i is None else i for i in indices)
    basic, adv = parse_key(input._data.shape, key)
    if not adv:
        return copy_slices(input, basic, values)
    return _index_put(input, _plan_of(input._data.shape, basic, adv, key), values, accumulate)


def _check_values(input, values):
    if not isinstance(values, Tensor):
        raise TypeError(f"index_put(): argument 'values' must be Tensor, not "
                        f"{type(values).__name__}")
    if values.dtype is not input.dtype:
        raise RuntimeError("Index put requires the source and destination dtypes match, got "
                           f"{input.dtype.name} for the destination and {values.dtype.name} "
                           "for the source.")


@tensor_method("index_put_")
def index_put_inplace(self, indices, values, accumulate=False):
    """In-place `index_put`."""
    check_inplace(self, "index_put_", internal=False)
    if isinstance(indices, (tuple, list)):
        overlap.check_index_put(self, tuple(indices), values, accumulate=accumulate)
    if overlap.is_expanded(self._data) and not accumulate and not _records(self, values):
        # deprecated in PyTorch: only the indexed elements are written (as setitem does)
        _check_values(self, values)
        key = tuple(slice(None) if i is None else i for i in indices)
        basic, adv = parse_key(self._data.shape, key)
        _write_unrecorded(self, basic, _plan_of(self._data.shape, basic, adv, key) if adv
                          else None, values)
        return self
    # an expanded target otherwise raises there: the whole result would be copied back
    return commit_inplace(self, index_put(self, indices, values, accumulate))


# -- masked_fill --------------------------------------------------------------------------

_masked = cpu.KernelFamily("masked_fill", [lambda m, v, x: v if m else x])


def _masked_fill_forward(ctx, x, mask, value):
    if not isinstance(mask, Tensor):
        raise TypeError(f"masked_fill(): argument 'mask' must be Tensor, not "
                        f"{type(mask).__name__}")
    if mask.dtype is not _dtypes.bool:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{mask.dtype.name}")
    if mask.device != x.device:
        raise RuntimeError(f"masked_fill: Expected all tensors to be on the same device, but "
                           f"found at least two devices, {x.device} and {mask.device}!")
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but "
                               f"got tensor with {value._data.ndim} dimension(s).")
        v = x.dtype.np.type(value._host().reshape(-1)[0])
    elif isinstance(value, (bool, int, float, np.number, np.bool_)):
        v = _dtypes.checked_scalar(value, x.dtype)   # PyTorch's overflow check
    else:
        raise TypeError(f"masked_fill(): argument 'value' must be Number or Tensor, not "
                        f"{type(value).__name__}")
    shape = broadcast_shapes("masked_fill", tuple(x._data.shape), tuple(mask._data.shape))
    ctx.mask = mask
    ctx.watch(mask)
    return dispatch.run_for(x.device)(_masked, [mask._data, v, x._data], [x.dtype.np], shape)[0]


@op("masked_fill", node="MaskedFillBackward0")
def _masked_fill_scalar(ctx, x, mask, value):
    return _masked_fill_forward(ctx, x, mask, value)


@_masked_fill_scalar.backward
def _masked_fill_scalar_backward(ctx, g):
    return _masked_fill_scalar(g, ctx.mask, 0), None


@op("masked_fill_tensor", node="MaskedFillBackward1")
def _masked_fill_tensor(ctx, x, mask, value):
    return _masked_fill_forward(ctx, x, mask, value)


@_masked_fill_tensor.backward
def _masked_fill_tensor_backward(ctx, g):
    needs = ctx.needs_input_grad
    gx = _masked_fill_scalar(g, ctx.mask, 0) if needs[0] else None
    gv = where(ctx.mask, g, 0.0).sum() if needs[2] else None
    return gx, None, gv


def masked_fill(input, mask, value):
    """`input` with `value` where the bool `mask` is True (shapes broadcast):
    ``x.masked_fill(x < 0, 0.0)``."""
    if isinstance(value, Tensor):
        return _masked_fill_tensor(input, mask, value)
    return _masked_fill_scalar(input, mask, value)


tensor_method("masked_fill")(masked_fill)
tensor_method("index_select")(lambda self, dim, index: index_select(self, dim, index))
tensor_method("index_put")(index_put)


@tensor_method("masked_fill_")
def masked_fill_inplace(self, mask, value):
    """In-place `masked_fill` (the mask broadcasts to self's shape)."""
    check_inplace(self, "masked_fill_", internal=False)
    overlap.warn_internal_overlap("masked_fill_", self._data)
    overlap.check_overlap("masked_fill_", self._data, overlap.arrays_of(mask))
    if overlap.is_expanded(self._data) and not _records(self, value):
        # deprecated in PyTorch: write only the filled elements (the others share
        # their addresses and would copy old values back over them)
        with grad_mode.no_grad():
            result = masked_fill(self, mask, value)
        a = self._data
        if result._data.shape != a.shape:
            commit_inplace(self, result)   # raises PyTorch's shape error
        dispatch.run_for(self.device)(_masked, [mask._data, result._data, a], [a.dtype],
                                      tuple(a.shape), outs=[a])
        self._bump_version()
        return self
    # an expanded target otherwise raises there: the whole result would be copied back
    return commit_inplace(self, masked_fill(self, mask, value))


def _inplace_method(name, fn):
    def method(self, *args, **kwargs):
        check_inplace(self, name)
        # PyTorch's assert_no_overlap: index and src may not share self's memory at all
        overlap.check_overlap(name, self._data, overlap.arrays_of(*args, *kwargs.values()),
                              full=True)
        return commit_inplace(self, fn(self, *args, **kwargs))
    method.__name__ = name
    method.__doc__ = f"In-place `{fn.__name__}`."
    tensor_method(name)(method)


_inplace_method("scatter_", scatter)
_inplace_method("scatter_add_", lambda self, dim, index, src: scatter_add(self, dim, index, src))
