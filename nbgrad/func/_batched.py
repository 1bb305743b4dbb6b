"""Batched tensors: what a function under `nb.func.vmap` sees in place of its inputs.

A `BatchedTensor` is a logical tensor (the per-sample view the function is written
for) backed by one physical tensor that holds every sample: its leading dims are
the batch dims of the vmap levels it depends on, in level order (``_levels``), and
its other dims are the logical ones.  Nested vmaps each own a level (an int that
grows with nesting); a tensor that does not depend on a level has no dim for it.

Every op call with a batched argument is intercepted (`nbgrad.ops.registry.batch_hook`,
one check on the op paths) and runs the op's batching rule (`nbgrad.func.rules`) on
the physical tensors: one op call for the whole batch, never a loop over samples.
Reading the values of a batched tensor (``item()``, ``numpy()``, ``if x > 0:``) is
data-dependent control flow and raises, as in PyTorch.
"""

from nbgrad.ops.registry import batch_hook
from nbgrad.tensor import Tensor

__all__ = ["BatchedTensor", "wrap", "physical", "levels_of", "align", "full_physical",
           "LEVELS", "push_level", "pop_level", "level_sizes"]

# the active vmap levels, innermost last: [level id, batch size, randomness]
LEVELS = []
_counter = [0]


class _Logical:
    """The `_data` of a batched tensor: its logical shape and dtype, and no values.

    Code that reads a tensor's metadata (``x.shape``, ``x.dim()``) sees the logical
    tensor; anything that would read values outside an op with a batching rule gets
    NotImplementedError instead of a per-batch answer."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype):
        self.shape = tuple(shape)
        self.dtype = dtype

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        n = 1
        for d in self.shape:
            n *= d
        return n

    def __getattr__(self, name):
        raise NotImplementedError(
            f"vmap: an operation read the values of a batched tensor (its buffer's {name!r}) "
            f"outside an op with a batching rule; logical shape {list(self.shape)}. Ops "
            "without a batching rule, in-place ops and autograd.Function are not supported "
            "inside nb.func.vmap")

    def __array__(self, *args, **kwargs):
        self.__getattr__("__array__")


def _data_dependent(what):
    raise RuntimeError(
        f"vmap: It looks like you're attempting to use a Tensor in some data-dependent control "
        f"flow ({what}). We don't support that yet, please shout over at "
        "https://github.com/pytorch/functorch/issues/257 .")


class BatchedTensor(Tensor):
    """A logical tensor inside `nb.func.vmap` (see the module docstring)."""

    __slots__ = ("_value", "_levels")

    def __repr__(self, *, tensor_contents=None):
        return f"BatchedTensor(levels={list(self._levels)}, value={self._value!r})"

    def item(self):
        _data_dependent("item()")

    def tolist(self):
        _data_dependent("tolist()")

    def numpy(self, *, force=False):
        _data_dependent("numpy()")

    def _host(self):
        _data_dependent("reading its values")

    def __bool__(self):
        _data_dependent("bool(tensor)")

    def __float__(self):
        _data_dependent("float(tensor)")

    def __int__(self):
        _data_dependent("int(tensor)")

    def __index__(self):
        _data_dependent("using a tensor as an index")

    def __array__(self, dtype=None, copy=None):
        _data_dependent("numpy.asarray(tensor)")

    def detach(self):
        return wrap(self._value.detach(), self._levels)

    @property
    def data(self):
        return wrap(self._value.detach(), self._levels)

    def contiguous(self, memory_format=None):
        return wrap(self._value.contiguous(), self._levels)

    def is_contiguous(self, memory_format=None):
        return self._value.is_contiguous()

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        raise RuntimeError("vmap: backward() of a batched tensor is not supported inside "
                           "nb.func.vmap; use nb.func.grad or nb.func.vjp inside the function")

    @property
    def grad(self):
        return None

    def __getitem__(self, key):
        from nbgrad.func._rules_nn import getitem_key
        return getitem_key(self, key)

    def __setitem__(self, key, value):
        raise NotImplementedError("vmap: in-place indexed assignment (x[key] = value) of a "
                                  "batched tensor is not supported; use nb.where or nb.cat")

    def __deepcopy__(self, memo):
        raise RuntimeError("vmap: a batched tensor cannot be deep-copied")


def wrap(value, levels):
    """`value` (physical, batch dims first in level order) as a batched tensor; a plain
    tensor when `levels` is empty."""
    if not levels:
        return value
    k = len(levels)
    shape = value._data.shape
    t = BatchedTensor._make(_Logical(shape[k:], value._data.dtype), value.dtype, value.device)
    t._requires_grad = value._requires_grad
    t._value = value
    t._levels = tuple(levels)
    return t


def physical(x):
    return x._value if x.__class__ is BatchedTensor else x


def levels_of(x):
    return x._levels if x.__class__ is BatchedTensor else ()


def logical_ndim(x):
    return len(x._data.shape)


def _sizes_by_level(tensors):
    sizes = {}
    for t in tensors:
        if t.__class__ is BatchedTensor:
            for i, lv in enumerate(t._levels):
                sizes[lv] = t._value._data.shape[i]
    return sizes


def align(tensors, levels=None, ndim=None, expand=False):
    """The physical tensors of `tensors` aligned for one op over the whole batch.

    Batched ones get a dim for every level of `levels` (default: the union of theirs;
    size 1 where they lack it, the batch size with `expand`) and their logical dims
    padded with leading 1s to `ndim` logical dims; plain tensors stay as they are
    (they broadcast from the right) unless `expand`, which gives every tensor the
    batch dims.  Returns (physical tensors, levels)."""
    if levels is None:
        levels = tuple(sorted({lv for t in tensors for lv in levels_of(t)}))
    sizes = _sizes_by_level(tensors) if expand else None
    out = []
    for t in tensors:
        if t.__class__ is not BatchedTensor and not expand:
            out.append(t)
            continue
        out.append(_aligned(t, levels, ndim, sizes))
    return out, levels


def _aligned(t, levels, ndim, sizes):
    value, have = physical(t), levels_of(t)
    shape = value._data.shape
    logical = shape[len(have):]
    pad = (1,) * ((ndim if ndim is not None else len(logical)) - len(logical))
    bshape = tuple(shape[have.index(lv)] if lv in have else 1 for lv in levels)
    target = bshape + pad + logical
    if target != shape:
        value = value.reshape(target)
    if sizes is not None:
        full = tuple(sizes[lv] for lv in levels) + pad + logical
        if full != target:
            value = value.expand(full)
    return value


def full_physical(x, levels, sizes):
    """x's physical tensor with every level of `levels` (expanded to `sizes`)."""
    value = _aligned(x, levels, None, None)
    full = tuple(sizes) + tuple(x._data.shape)
    return value if tuple(value._data.shape) == full else value.expand(full)


def push_level(size, randomness):
    _counter[0] += 1
    LEVELS.append((_counter[0], size, randomness))
    if not batch_hook:
        from nbgrad.func.rules import intercept
        batch_hook.append(intercept)
    return _counter[0]


def pop_level():
    LEVELS.pop()
    if not LEVELS:
        batch_hook.clear()


def level_sizes():
    """(levels, sizes) of the active vmap levels, outermost first."""
    return tuple(lv for lv, _, _ in LEVELS), tuple(s for _, s, _ in LEVELS)


