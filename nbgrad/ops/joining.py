"""Joining and splitting: cat (concat, concatenate), stack, split, chunk, unbind.

cat and stack allocate the result and copy each input into its slice with
the identity kernel (dtypes promote as in PyTorch); their gradients are views
of the incoming gradient.  split and unbind return views of their input (one
node, several outputs); their gradient joins the output gradients again, with
zeros for outputs that received none.
"""

from functools import reduce as _fold

import numpy as np

from nbgrad import _dtypes
from nbgrad.autograd import grad_mode
from nbgrad.backends import dispatch
from nbgrad.ops.argcheck import check_int, check_same_device, check_sequence, check_tensor
from nbgrad.ops.movement import getitem
from nbgrad.ops.registry import intercepted, op, tensor_method
from nbgrad.tensor import Tensor, _wrap_dim, cpu_device

__all__ = ["cat", "concat", "concatenate", "stack", "split", "chunk", "unbind"]


def _tensor_list(opname, tensors):
    check_sequence(tensors, Tensor,
                   f"{opname}(): argument 'tensors' (position 1) must be tuple of Tensors, "
                   "not {type}",
                   f"{opname}(): expected Tensor as element {{pos}} in argument 0, but got "
                   "{type}")
    if tensors:
        check_same_device(opname, tensors[0], *tensors[1:])
    return tensors


_ndarray = np.ndarray


def _promoted(tensors):
    return _fold(_dtypes._promote_pair, (t.dtype for t in tensors))


def _at(dim, k):
    """The basic key selecting `k` (an int or slice) along `dim`."""
    return (slice(None),) * dim + (k,)


@op("cat", node="CatBackward0")
def cat(ctx, tensors, dim=0, *, axis=None):
    """Join tensors along an existing dimension: ``nb.cat([x, y], dim=1)``.

    1-D empty tensors are skipped (PyTorch's legacy rule); dtypes promote;
    `axis` is the NumPy-style name ``concatenate`` takes."""
    dim = dim if axis is None else axis
    tensors = _tensor_list("cat", tensors)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    dtype = _promoted(tensors)
    parts = [t for t in tensors if t._data.shape != (0,)]
    ctx.dim, ctx.sizes = 0, [None] * len(tensors)
    b = dispatch.backend(tensors[0].device)
    if not parts:
        return b.empty((0,), dtype.np)
    ref = parts[0]._data
    for i, t in enumerate(tensors):
        if t._data.ndim == 0:
            raise RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be "
                               "concatenated")
    d = _wrap_dim(dim, ref.ndim, "cat")
    total = 0
    for i, t in enumerate(tensors):
        s = t._data.shape
        if s == (0,):
            continue
        if len(s) != ref.ndim:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.ndim} "
                               f"and {len(s)}")
        for j in range(ref.ndim):
            if j != d and s[j] != ref.shape[j]:
                raise RuntimeError(
                    f"Sizes of tensors must match except in dimension {d}. Expected size "
                    f"{ref.shape[j]} but got size {s[j]} for tensor number {i} in the list.")
        total += s[d]
    rs = tuple(ref.shape)
    out = b.empty(rs[:d] + (total,) + rs[d + 1:], dtype.np)
    off = 0
    for i, t in enumerate(tensors):
        if t._data.shape == (0,):
            continue
        n = t._data.shape[d]
        if n and out.size:
            b.copy_into(b.getitem(out, _at(d, slice(off, off + n))), t._data)
        ctx.sizes[i] = (off, n)
        off += n
    ctx.dim = d
    return out


@cat.backward
def cat_backward(ctx, g):
    d = ctx.dim
    return tuple(None if s is None else getitem(g, _at(d, slice(s[0], s[0] + s[1])))
                 for s in ctx.sizes)


concat = concatenate = cat


def _alike_on_cpu(tensors):
    """(shape, dtype) when `tensors` is a non-empty list or tuple of plain CPU
    tensors of one shape and dtype (scalar code's stacks), else None: such a
    list needs none of stack's checks."""
    if tensors.__class__ is not list and tensors.__class__ is not tuple or not tensors:
        return None
    first = tensors[0]
    if first.__class__ is not Tensor:
        return None
    shape, dtype = first._data.shape, first.dtype
    for t in tensors:
        if t.__class__ is not Tensor or t.device is not cpu_device or \
                t.dtype is not dtype or t._data.shape != shape:
            return None
    return shape, dtype


def _stack_inputs(tensors):
    """(shape, promoted dtype) of stack's `tensors` after its checks, in PyTorch's
    words; a list `_alike_on_cpu` accepts needs none of them."""
    alike = _alike_on_cpu(tensors)
    if alike is not None:
        return alike
    tensors = _tensor_list("stack", tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tuple(tensors[0]._data.shape)
    for i, t in enumerate(tensors):
        if t._data.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(shape)} at entry 0 and {list(t._data.shape)} at entry "
                               f"{i}")
    return shape, _promoted(tensors)


@op("stack", node="StackBackward0")
def stack(ctx, tensors, dim=0):
    """Join same-shaped tensors along a new dimension: ``nb.stack([x, y], 0)``."""
    shape, dtype = _stack_inputs(tensors)
    d = _wrap_dim(dim, len(shape) + 1, "stack")
    b = dispatch.backend(tensors[0].device)
    out = b.empty(shape[:d] + (len(tensors),) + shape[d:], dtype.np)
    if out.size and not b.movement.stack_values([t._data for t in tensors], out):
        for i, t in enumerate(tensors):
            b.copy_into(b.getitem(out, _at(d, i) + (Ellipsis,)), t._data)
    ctx.dim, ctx.n = d, len(tensors)
    return out


@stack.backward
def stack_backward(ctx, g):
    if grad_mode._state.enabled or g._data.__class__ is not _ndarray or intercepted():
        return tuple(getitem(g, _at(ctx.dim, i)) for i in range(ctx.n))
    # the engine's backward (nothing recorded): getitem's views without its dispatch and
    # checks (the index is in range by construction); 2.5 us a piece
    keys = _UNSTACK_KEYS.get((ctx.dim, ctx.n))
    if keys is None:
        keys = _unstack_keys(ctx.dim, ctx.n)
    view = g._unrecorded_view
    return tuple([view(k) for k in keys])


_UNSTACK_KEYS = {}   # (dim, n) -> the keys of stack_backward's n views


def _unstack_keys(dim, n):
    keys = tuple(_at(dim, i) + (Ellipsis,) for i in range(n))
    if len(_UNSTACK_KEYS) < 1024 and n <= 64:   # the small stacks scalar code makes
        _UNSTACK_KEYS[dim, n] = keys
    return keys


def _split_views(ctx, x, sizes, d):
    a = x._data
    b = dispatch.backend(x.device)
    out, off = [], 0
    for n in sizes:
        out.append(b.getitem(a, _at(d, slice(off, off + n))))
        off += n
    ctx.dim = d
    ctx.metadata = [(tuple(v.shape), x.dtype) for v in out]
    return tuple(out)


def _split_dim(x, dim, opname):
    """The split dim of `x`, wrapped (a 0-d tensor cannot be split)."""
    if x._data.ndim == 0:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    return _wrap_dim(dim, x._data.ndim, opname)


@op("split", node="SplitBackward0", view=True)
def _split(ctx, x, split_size, dim=0):
    d = _split_dim(x, dim, "split")
    n = x._data.shape[d]
    if split_size < 0:
        raise RuntimeError(f"split expects split_size be non-negative, but got "
                           f"split_size={split_size}")
    if split_size == 0 and n:
        raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                           f"dimension size of {n}")
    if split_size == 0:
        sizes = [0]
    else:
        sizes = [min(split_size, n - o) for o in range(0, n, split_size)] or [0]
    return _split_views(ctx, x, sizes, d)


@op("split_with_sizes", node="SplitWithSizesBackward0", view=True)
def _split_with_sizes(ctx, x, split_sizes, dim=0):
    d = _split_dim(x, dim, "split_with_sizes")
    n = x._data.shape[d]
    sizes = [int(s) for s in split_sizes]
    if any(s < 0 for s in sizes) or sum(sizes) != n:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to "
                           f"{n} (input tensor's size at dimension {d}), but got "
                           f"split_sizes={sizes}")
    return _split_views(ctx, x, sizes, d)


def _split_backward(ctx, *grads):
    return cat(list(grads), ctx.dim)


_split.backward(_split_backward)
_split_with_sizes.backward(_split_backward)


def split(tensor, split_size_or_sections, dim=0):
    """Views of `tensor` in pieces along `dim`: of size `split_size_or_sections`
    (the last may be smaller) or of the listed sizes:
    ``nb.arange(5).split([2, 3])`` -> (tensor([0, 1]), tensor([2, 3, 4]))."""
    check_tensor("split", tensor)
    dim = check_int("split", dim)
    sections = split_size_or_sections
    if isinstance(sections, (list, tuple)):
        # plain ints: a 0-d tensor among the sizes must not become an op input
        return _split_with_sizes(tensor, [_size(s) for s in sections], dim)
    if not isinstance(sections, Tensor):
        check_int("split", sections, "split_size_or_sections", "int or tuple of ints")
    return _split(tensor, int(sections), dim)


def _size(s):
    """One of split's sizes as an int: ints and 0-d integer tensors, not 1.0."""
    if isinstance(s, Tensor) and not s.dtype.is_floating_point:
        return int(s)
    return check_int("split_with_sizes", s, "split_sizes", "tuple of ints")


def chunk(input, chunks, dim=0):
    """At most `chunks` views of equal size along `dim` (the last may be smaller;
    `chunks` empty views of an empty dim): ``nb.arange(6).chunk(3)``."""
    check_tensor("chunk", input)
    chunks = check_int("chunk", chunks, "chunks")
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    if input._data.ndim == 0:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    d = _wrap_dim(check_int("chunk", dim), input._data.ndim, "chunk")
    n = input._data.shape[d]
    if n == 0:   # PyTorch: as many empty pieces as asked for
        return _split_with_sizes(input, [0] * chunks, d)
    return split(input, -(-n // chunks), d)


@op("unbind", node="UnbindBackward0", view=True)
def unbind(ctx, input, dim=0):
    """The slices of `input` along `dim`, as a tuple of views: ``nb.unbind(x, 1)``."""
    a = input._data
    if a.ndim == 0:
        raise IndexError("unbind(): Dimension specified as 0 but tensor has no dimensions")
    d = _wrap_dim(dim, a.ndim, "unbind")
    b = dispatch.backend(input.device)
    out = tuple(b.getitem(a, _at(d, i) + (Ellipsis,)) for i in range(a.shape[d]))
    ctx.dim = d
    ctx.metadata = [(tuple(v.shape), input.dtype) for v in out]
    return out


@unbind.backward
def unbind_backward(ctx, *grads):
    return stack(list(grads), ctx.dim)


tensor_method("split")(split)
tensor_method("chunk")(chunk)
tensor_method("unbind")(lambda self, dim=0: unbind(self, dim))
