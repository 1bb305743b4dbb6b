"""Indexing ops: ``x[key]`` and ``x[key] = v`` for every kind of key,
index_select, index_put and masked_fill (gather/scatter live in
`nbgrad.ops.scatter`, cat/stack/split in `nbgrad.ops.joining`; their public
names are re-exported through this module's ``__all__``).

A key is read as PyTorch reads it: ints select, slices and None and ``...``
make a view (the `getitem` op of `nbgrad.ops.movement`); index arrays (lists,
int tensors, NumPy arrays) and boolean masks make a copy.  For those,
`nbgrad.ops.index_plan` turns the key into an `IndexPlan` (where the key's
elements are, for the row take/put kernels of the backend).  The same plan
drives the read (`index`), its gradient (an accumulating `index_put`: repeated
indices add up) and assignment.

Assignment is recorded out of place (`copy_slices` for basic keys,
`index_put` for advanced ones) and committed into the target with
`nbgrad.ops.inplace.commit_inplace`, so gradients reach both the target's old
value (zero where overwritten) and the assigned value (summed over
broadcasting).  Without anything to record it writes straight into the buffer.

The notebook's ``x[i]``, ``P[i, j]`` and ``N[i, j] += 1`` take fast paths on host
tensors: with nothing to record (and no profile or vmap running) an all-int key is
a NumPy view wrapped directly, and a one-element write goes straight into the
buffer, with the same checks and casts as the general path; recorded, an all-int
key is PyTorch's chain of `select` ops (SelectBackward0).
"""

import math

import numpy as np

from nbgrad import _dtypes, _factories
from nbgrad.autograd import grad_mode
from nbgrad.autograd.node import _legacy_type_name
from nbgrad.backends import cpu as host
from nbgrad.backends import dispatch
from nbgrad.ops import overlap
from nbgrad.ops.argcheck import check_same_device, require_tensor
from nbgrad.ops.binary import where
from nbgrad.ops.elementwise import broadcast_shapes
from nbgrad.ops.index_plan import (IndexPlan, _as_tuple, _masked, _put, _take, index_plan,
                                   parse_key, zeros_with_slice)
from nbgrad.ops.inplace import check_inplace, commit_inplace
from nbgrad.ops.joining import cat, chunk, concat, concatenate, split, stack, unbind
from nbgrad.ops.movement import getitem, slice_scatter_zeros
from nbgrad.ops.registry import batch_hook, intercepted, op, tensor_method
from nbgrad.ops.scatter import gather, scatter, scatter_add
from nbgrad.tensor import Tensor, _wrap_dim

# joining and scatter are re-exported from here (nbgrad.ops.FAMILIES lists this module)
__all__ = ["index_select", "index_put", "masked_fill", "gather", "scatter", "scatter_add",
           "cat", "concat", "concatenate", "stack", "split", "chunk", "unbind", "nonzero",
           "select"]

_ndarray = np.ndarray

_int64 = np.dtype(np.int64)


def nonzero(input, *, as_tuple=False):
    """The indices of the nonzero elements of `input`, row-major: an (N, ndim)
    int64 tensor, or with ``as_tuple=True`` one 1-D tensor per dim (what
    ``nb.where(cond)`` gives, and what ``x[cond]`` indexes with); no gradient.
    ``nb.tensor([0, 3, 0, 5]).nonzero()`` is ``tensor([[1], [3]])``."""
    from nbgrad.ops.argcheck import check_tensor
    check_tensor("nonzero", input)
    with grad_mode.no_grad():
        mask = input if input.dtype is _dtypes.bool else input != 0   # a kernel, NaN is True
    m = mask._host_for("nonzero")
    if as_tuple and m.ndim == 0:
        m = m.reshape(1)
    flat = host.contiguous(m).reshape(-1)
    n = host.movement.count_true(flat) if flat.size else 0
    # as_tuple: written as (ndim, N), so that each dim's indices are one contiguous row
    coords = np.empty((m.ndim, n) if as_tuple else (n, m.ndim), np.int64)
    if n and m.ndim:
        host.movement.nonzero(flat, np.array(m.shape, np.int64),
                              coords.T if as_tuple else coords)
    if as_tuple:
        out = tuple(Tensor._make(r, _dtypes.int64) for r in coords)
    else:
        out = (Tensor._make(coords, _dtypes.int64),)
    if input.device.type != "cpu":
        out = tuple(t.to(input.device) for t in out)
    return out if as_tuple else out[0]


tensor_method("nonzero")(nonzero)


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
    b = dispatch.backend(value.device)
    a = b.reshape(value._data, shape)
    return a if value.dtype is dtype else b.cast(a, dtype)


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
    out = dispatch.backend(x.device).cast(x._data, x.dtype)
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
    b = dispatch.backend(x.device)
    out = b.cast(x._data, x.dtype)
    dst = b.getitem(out, key)
    b.copy_into(dst, value_array(value, x.dtype, dst.shape, False))
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

@op("select", node="SelectBackward0", view=True)
def select(ctx, input, dim, index):
    """The slice of `input` at `index` along `dim`, that dim removed (a view):
    ``x.select(0, i)`` is ``x[i]``, ``x.select(1, -1)`` is ``x[:, -1]``."""
    a = input._data
    if a.ndim == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, a.ndim, "select")
    if index.__class__ is not int:
        if not isinstance(index, (int, np.integer)) or isinstance(index, bool):
            raise TypeError(f"select(): argument 'index' (position 2) must be int, not "
                            f"{type(index).__name__}")
        index = int(index)
    size = a.shape[d]
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(a.shape)} at dimension {d}")
    key = (slice(None),) * d + (index, Ellipsis)
    # what backward reads, no more: a node attribute that refers to a tracked object
    # (a dtype) would keep the node's dict on the cycle collector's lists
    ctx.shape, ctx.key = a.shape, key
    return dispatch.backend_for(a).getitem(a, key)


@select.backward
def select_backward(ctx, g):
    if grad_mode._state.enabled or g._data.__class__ is not _ndarray or intercepted():
        return slice_scatter_zeros(g, ctx.shape, ctx.key)
    # the engine's backward (nothing recorded): slice_scatter_zeros's result without
    # its dispatch (scalar code's x[i] of a small vector: a third of the time)
    return Tensor._make(zeros_with_slice(host, g._data, g.dtype.np, ctx.shape, ctx.key),
                        g.dtype, g.device)


@tensor_method("select")
def _select_method(self, dim, index):
    """``x.select(dim, index)``: see `select`."""
    return select(self, dim, index)



def _getitem(self, key):
    ints = _all_ints(key, self._data.shape)
    if ints:
        if self._data.__class__ is _ndarray and not intercepted() and \
                not (self._requires_grad and grad_mode._state.enabled):
            return self._unrecorded_view(ints + (Ellipsis,))   # x[i], x[i, j]
        if not batch_hook:   # recorded (or on a device): PyTorch's chain of selects
            for i in ints:
                self = select(self, 0, i)
            return self
    if key.__class__ is int or key.__class__ is slice:   # the common cases, no parsing
        return getitem(self, key)
    basic, adv = parse_key(self._data.shape, key)
    if not adv:
        return getitem(self, basic)
    return index(self, _plan_of(self._data.shape, basic, adv, key))


def _all_ints(key, shape):
    """`key` as a non-empty tuple of Python ints, each within its dimension and at most
    one per dim (``x[i]``, ``x[i, j]``); None for any other key."""
    c = key.__class__
    if c is int:
        key = (key,)
    elif c is not tuple or not key or len(key) > len(shape):
        return None
    for k, n in zip(key, shape):
        if k.__class__ is not int or not -n <= k < n:
            return None
    return key


def _write_element(self, ints, value):
    """``x[i, j] = value`` (one element: as many ints as dims) of a host tensor when
    nothing is recorded and `value` is a number or a one-element host tensor of x's dtype
    (``N[i, j] += 1`` writes the view back); False when the general path must run."""
    a = self._data
    if len(ints) != a.ndim or not a.flags.writeable:
        return False
    if value.__class__ is Tensor:
        v = value._data
        if v.__class__ is not _ndarray or v.ndim or value.dtype is not self.dtype or \
                value.device is not self.device:
            return False
    elif value.__class__ in (int, float, bool):
        v = _dtypes.checked_scalar(value, self.dtype, int64=True)   # PyTorch's overflow check
    else:
        return False
    if intercepted() or _records(self, value):
        return False
    a[ints] = v
    self._bump_version()
    return True


def _plan_of(shape, basic, adv, key):
    """`index_plan`, remembering the key's tensors (backward checks their versions) and
    what it was planned from (`replan`)."""
    plan = index_plan(shape, basic, adv)
    items = _as_tuple(key)   # a list key of tensors is a tuple of indices (parse_key's rule)
    plan.sources = tuple(k for k in items if isinstance(k, Tensor))
    if plan.sources:
        plan.remake = (shape, items)
    return plan


_KEY_TENSOR = object()   # where a key template (`key_template`) had a tensor


def key_template(plan):
    """(shape, key) that `plan` was planned from, its tensors left out: with `replan`,
    how ``nb.compile``'s replay of an indexing op plans from each call's index
    tensors (keeping the recorded ones would keep the recorded graph alive)."""
    shape, items = plan.remake
    return shape, tuple(_KEY_TENSOR if isinstance(k, Tensor) else k for k in items)


def replan(template, tensors):
    """The plan of `template` (from `key_template`) with its tensors taken in order from
    `tensors`; IndexError as eagerly for an index out of range."""
    shape, items = template
    given = iter(tensors)
    key = tuple(next(given) if k is _KEY_TENSOR else k for k in items)
    basic, adv = parse_key(shape, key)
    return _plan_of(shape, basic, adv, key)


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
    if self._data.__class__ is _ndarray:
        ints = _all_ints(key, self._data.shape)
        if ints and _write_element(self, ints, value):
            return
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
    b = dispatch.backend(self.device)
    if isinstance(value, Tensor) and b.shares_memory(value._data, self._data):
        value = value.clone()   # read everything before anything is overwritten
    if plan is not None:
        _put(self._data, plan, value_array(value, self.dtype, plan.out_shape, True), False)
    else:
        dst = b.getitem(self._data, basic)
        b.copy_into(dst, value_array(value, self.dtype, tuple(dst.shape), False))
    self._bump_version()


tensor_method("__getitem__")(_getitem)
tensor_method("__setitem__")(_setitem)


# -- index_select, index_put ----------------------------------------------------------

def _check_index_tensor(opname, index, input):
    require_tensor(opname, index, "index")
    check_same_device(opname, input, index)


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
        idx = host.cast(idx, _dtypes.int64)
    bad = host.movement.first_out_of_range(idx, shape[d])
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
    require_tensor("index_put", values, "values")
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

def _masked_fill_forward(ctx, x, mask, value):
    require_tensor("masked_fill", mask, "mask")
    if mask.dtype is not _dtypes.bool:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{mask.dtype.name}")
    check_same_device("masked_fill", x, mask)
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
    return dispatch.backend(x.device).run(_masked, [mask._data, v, x._data], [x.dtype.np],
                                          shape)[0]


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
        dispatch.backend(self.device).run(_masked, [mask._data, result._data, a], [a.dtype],
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
