"""Shape and layout ops: reshape, view, flatten, unflatten, transpose, permute,
expand / broadcast_to, squeeze, unsqueeze, basic indexing, contiguous, clone,
dtype conversion and device moves (``to``, ``cpu``, ``cuda``).

Views are NumPy views of the same buffer (no data moves) and share the
version counter of their base; copies run the identity kernel.  Each backward
rule is the inverse movement of the gradient.  The copying rearrangements
(flip, roll, repeat, tril, triu) are in `nbgrad.ops.rearrange`, advanced
indexing in `nbgrad.ops.indexing`.

Views and copies are made by the backend of the buffer's device
(`nbgrad.backends.dispatch`): NumPy views on the CPU, strided views of the
device buffer on CUDA; `to` / `cuda` / `cpu` move a tensor between devices
(recorded: the gradient moves back).
"""

import math
import operator

import numpy as np

from nbgrad import _dtypes
from nbgrad._device import as_device, check_device
from nbgrad._finfo import check_memory_format
from nbgrad.autograd import batching
from nbgrad.backends import dispatch
from nbgrad.ops.index_plan import zeros_with_slice
from nbgrad.ops.registry import FunctionOp, op, tensor_method
from nbgrad.tensor import Tensor, _wrap_dim

__all__ = ["reshape", "transpose", "swapaxes", "swapdims", "permute", "squeeze", "unsqueeze",
           "clone", "t", "flatten", "unflatten", "broadcast_to"]


def _size_arg(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for s in size:   # ints only (not 2.0 or 'a'): PyTorch's TypeError otherwise
        try:
            out.append(operator.index(s))
        except TypeError:
            raise TypeError(f"argument 'size' must be tuple of ints, but found element of type "
                            f"{type(s).__name__}") from None
    return tuple(out)


def _infer_shape(op_name, size, numel):
    size = list(size)
    neg = [i for i, s in enumerate(size) if s == -1]
    if len(neg) > 1:
        raise RuntimeError(f"{op_name}: only one dimension can be inferred")
    known = math.prod(s for s in size if s != -1)
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"{op_name}: shape '{list(size)}' is invalid for input of size "
                               f"{numel}")
        size[neg[0]] = numel // known
    elif known != numel:
        raise RuntimeError(f"{op_name}: shape '{list(size)}' is invalid for input of size "
                           f"{numel}")
    return tuple(size)


@op("reshape", node="ViewBackward0", view=True)
def reshape(ctx, x, *shape):
    """The same data with a new shape (a view when the layout allows)."""
    if not shape:
        raise TypeError('reshape() missing 1 required positional arguments: "shape"')
    shape = _infer_shape("reshape", _size_arg(shape), x._data.size)
    ctx.shape = tuple(x._data.shape)
    a = x._data
    b = dispatch.backend_for(a)
    v = b.reshape_view(a, shape)
    return v if v is not None else b.reshape(b.cast(a, x.dtype), shape)


def _view_array(a, shape):
    v = dispatch.backend_for(a).reshape_view(a, shape)
    if v is None:
        raise AttributeError("a copy would be needed")
    return v


@reshape.backward
def reshape_backward(ctx, g):
    return g.reshape(ctx.shape)


reshape.batch_rule = batching.view_rule


@op("view", node="ViewBackward0", view=True)
def view(ctx, x, *shape, dtype=None):
    """A view with a new shape; RuntimeError when the strides do not allow it.
    ``x.view(nb.int32)`` (or ``dtype=``) views the same bytes as another dtype."""
    if dtype is None and len(shape) == 1 and isinstance(shape[0], (_dtypes.dtype, type)):
        dtype, shape = shape[0], ()
    if (dtype is None) == (not shape):   # view() or view(2, dtype=...)
        raise TypeError(f"view() received an invalid combination of arguments - got "
                        f"{len(shape)} sizes and dtype={dtype!r}, but expected one of: "
                        "(torch.dtype dtype), (tuple of ints size)")
    if dtype is not None:
        out = _view_dtype(x, _dtypes.as_dtype(dtype))
        ctx.mark_non_differentiable(out)   # as PyTorch: the bits, not a function of x
        return out
    shape = _infer_shape("view", _size_arg(shape), x._data.size)
    ctx.shape = tuple(x._data.shape)
    try:
        return _view_array(x._data, shape)
    except AttributeError:
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one "
            "dimension spans across two contiguous subspaces). Use .reshape(...) instead. "
            f"(view of shape {list(x._data.shape)} as {list(shape)})") from None


def _view_dtype(x, dt):
    """x's buffer read as dtype `dt` (a NumPy view), with PyTorch's checks when
    the element sizes differ: the last dim is contiguous and the other strides,
    the last size and the offset scale by the size ratio."""
    a, old = x._data, x.dtype
    if dt.itemsize != old.itemsize:
        what = f"to view {old.torch_name} as {dt.torch_name} (different element sizes)"
        if a.ndim == 0:
            raise RuntimeError(f"self.dim() cannot be 0 {what}")
        ratio = max(dt.itemsize, old.itemsize) // min(dt.itemsize, old.itemsize)
        strides = [st // a.itemsize for st in a.strides]
        if strides[-1] != 1 and a.shape[-1] != 1:
            raise RuntimeError(f"self.stride(-1) must be 1 {what}, but got {strides[-1]}")
        if dt.itemsize > old.itemsize:
            offset = _storage_offset(x)
            checks = [("size(-1)", a.shape[-1]), ("storage_offset()", offset)] + \
                [(f"stride({d})", st) for d, st in enumerate(strides[:-1])]
            for name, value in checks:
                if value % ratio:
                    raise RuntimeError(f"self.{name} must be divisible by {ratio} {what}, but "
                                       f"got {value}")
    if x.device.type != "cpu":
        raise NotImplementedError(f"view(dtype) of a {x.device.type} tensor is not supported")
    return a.view(dt.np)


def _storage_offset(x):
    """The element offset of x's buffer into its base's (0 without a base)."""
    if x._base is None:
        return 0
    start = x._data.__array_interface__["data"][0]
    return (start - x._base._data.__array_interface__["data"][0]) // x._data.itemsize


@view.backward
def view_backward(ctx, g):
    return g.reshape(ctx.shape)


view.batch_rule = batching.view_rule


@op("transpose", node="TransposeBackward0", view=True)
def transpose(ctx, x, dim0, dim1):
    """Swap two dimensions (a view): ``x.transpose(0, 1)``."""
    n = x._data.ndim
    d0 = _wrap_dim(dim0, n, "transpose")
    d1 = _wrap_dim(dim1, n, "transpose")
    ctx.dims = (d0, d1)
    a = x._data
    b = dispatch.backend_for(a)
    return b.alias(a) if n < 2 else b.swapaxes(a, d0, d1)


@transpose.backward
def transpose_backward(ctx, g):
    return transpose(g, *ctx.dims)


@op("permute", node="PermuteBackward0", view=True)
def permute(ctx, x, *args, dims=None):
    """Reorder dimensions (a view): ``x.permute(2, 0, 1)``."""
    dims = _size_arg(args if dims is None else (dims,))
    n = x._data.ndim
    if len(dims) != n:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {n} is not equal to len(dims) = {len(dims)}")
    dims = tuple(_wrap_dim(d, n, "permute") for d in dims)
    if len(set(dims)) != n:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    ctx.inverse = tuple(np.argsort(dims).tolist())
    return dispatch.backend_for(x._data).transpose(x._data, dims)


@permute.backward
def permute_backward(ctx, g):
    return permute(g, ctx.inverse)


@op("expand", node="ExpandBackward0", view=True)
def expand(ctx, x, *sizes):
    """Broadcast to a larger shape without copying (-1 keeps a size)."""
    sizes = _size_arg(sizes)
    a = x._data
    if len(sizes) < a.ndim:
        raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be "
                           f"greater or equal to the number of dimensions in the tensor "
                           f"({a.ndim})")
    lead = len(sizes) - a.ndim
    shape, strides = [], []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"expand: the expanded size of the tensor ({s}) isn't "
                                   "allowed in a leading, non-existing dimension")
            shape.append(s)
            strides.append(0)
            continue
        have = a.shape[i - lead]
        if s == -1:
            s = have
        if have == s:
            shape.append(s)
            strides.append(a.strides[i - lead])
        elif have == 1:
            shape.append(s)
            strides.append(0)
        else:
            raise RuntimeError(
                f"expand: The expanded size of the tensor ({s}) must match the existing size "
                f"({have}) at non-singleton dimension {i}.  Target sizes: {list(sizes)}.  "
                f"Tensor sizes: {list(a.shape)}")
    ctx.shape = tuple(a.shape)
    return dispatch.backend_for(a).as_strided(a, tuple(shape), tuple(strides))


@expand.backward
def expand_backward(ctx, g):
    return g.sum_to_size(ctx.shape)


expand.batch_rule = batching.identity_rule


@op("squeeze", node="SqueezeBackward0", view=True)
def squeeze(ctx, x, dim=None):
    """Remove dimensions of size 1 (all, or `dim`)."""
    a = x._data
    ctx.shape = tuple(a.shape)
    if dim is None:
        return dispatch.backend_for(a).reshape(a, tuple(s for s in a.shape if s != 1))
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    dims = {_wrap_dim(d, a.ndim, "squeeze") for d in dims}
    return dispatch.backend_for(a).reshape(a, tuple(s for d, s in enumerate(a.shape)
                                                    if not (d in dims and s == 1)))


@squeeze.backward
def squeeze_backward(ctx, g):
    return g.reshape(ctx.shape)


squeeze.batch_rule = batching.view_rule


@op("unsqueeze", node="UnsqueezeBackward0", view=True)
def unsqueeze(ctx, x, dim):
    """Insert a dimension of size 1 at `dim`."""
    a = x._data
    d = _wrap_dim(dim, a.ndim + 1, "unsqueeze")
    ctx.dim = d
    return dispatch.backend_for(a).expand_dims(a, d)


@unsqueeze.backward
def unsqueeze_backward(ctx, g):
    return squeeze(g, ctx.dim)


unsqueeze.batch_rule = batching.view_rule


def _check_index(a, key):
    """Validate a basic index (ints, slices, None, Ellipsis) against shape; returns the key
    as a tuple ending in Ellipsis (which keeps NumPy from turning an all-int key into a
    scalar copy).  One pass per loop: this runs on every ``x[i]`` that is recorded."""
    if key.__class__ is not tuple:
        key = (key,)
    shape = a.shape
    used, ellipsis = 0, False
    for k in key:
        if k is Ellipsis:
            ellipsis = True
        elif k is not None:
            used += 1
    if used > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)} "
                         f"(got {used} indices for shape {list(shape)})")
    dim = 0
    for k in key:
        c = k.__class__
        if c is int or (c is not bool and isinstance(k, (int, np.integer))):
            size = shape[dim]
            if not -size <= k < size:
                raise IndexError(f"index {k} is out of bounds for dimension {dim} with size "
                                 f"{size}")
            dim += 1
        elif c is slice:
            if k.step is not None and k.step <= 0:
                raise ValueError("step must be greater than zero")
            dim += 1
        elif k is Ellipsis:
            dim += len(shape) - used
        elif k is not None:
            raise IndexError(f"unsupported index of type {type(k).__name__}")
    return key if ellipsis else key + (Ellipsis,)


@op("getitem", node="SliceBackward0", view=True)
def getitem(ctx, x, key):
    """``x[key]`` for ints, slices, None and Ellipsis (a view).  ``Tensor.__getitem__``
    (`nbgrad.ops.indexing`) sends other keys to the copying `index` op."""
    key = _check_index(x._data, key)
    ctx.shape = tuple(x._data.shape)
    ctx.dtype = x.dtype
    ctx.key = key
    a = x._data
    return dispatch.backend_for(a).getitem(a, key)


@getitem.backward
def getitem_backward(ctx, g):
    return slice_scatter_zeros(g, ctx.shape, ctx.key)


@op("slice_scatter_zeros", node="SliceScatterBackward0")
def slice_scatter_zeros(ctx, g, shape, key):
    """A zero tensor of `shape` with `g` written at `key` (getitem's backward)."""
    key = key if isinstance(key, tuple) else (key,)
    ctx.key = key
    return zeros_with_slice(dispatch.backend(g.device), g._data, g.dtype.np, shape, key)


@slice_scatter_zeros.backward
def slice_scatter_zeros_backward(ctx, gg):
    return getitem(gg, ctx.key)


def contiguous(x, memory_format=None):
    """`x` itself if C-contiguous, else a contiguous copy (recorded as a clone)."""
    if memory_format is not None:
        check_memory_format("contiguous", memory_format, x._data.shape)
    return x if dispatch.backend(x.device).is_contiguous(x._data) else clone(x)


@op("clone", node="CloneBackward0")
def clone(ctx, x, *, memory_format=None):
    """A copy of `x` (recorded: gradients flow back to `x`)."""
    if memory_format is not None:
        check_memory_format("clone", memory_format, x._data.shape)
    return dispatch.backend(x.device).cast(x._data, x.dtype)


@clone.backward
def clone_backward(ctx, g):
    return g


clone.batch_rule = batching.identity_rule


@op("to_dtype", node="ToCopyBackward0")
def to_dtype(ctx, x, dtype):
    """`x` converted to `dtype` (a copy)."""
    ctx.dtype = x.dtype
    return dispatch.backend(x.device).cast(x._data, dtype)


@to_dtype.backward
def to_dtype_backward(ctx, g):
    return to_dtype(g, ctx.dtype)


to_dtype.batch_rule = batching.identity_rule


# -- flatten, unflatten, broadcast_to: views built from reshape / expand ----------

def flatten(x, start_dim=0, end_dim=-1):
    """Merge dimensions start_dim..end_dim into one: ``x.flatten(1)`` (2, 3, 4) -> (2, 12)."""
    n = x._data.ndim
    if n == 0:
        return reshape(x, (1,))
    s = _wrap_dim(start_dim, n, "flatten")
    e = _wrap_dim(end_dim, n, "flatten")
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim "
                           f"(got start_dim={start_dim}, end_dim={end_dim} for shape "
                           f"{list(x._data.shape)})")
    shape = tuple(x._data.shape)
    if s == e:
        return x
    return reshape(x, shape[:s] + (math.prod(shape[s:e + 1]),) + shape[e + 1:])


def unflatten(x, dim, sizes):
    """Split dimension `dim` into `sizes` (one may be -1): ``x.unflatten(1, (3, 4))``."""
    shape = tuple(x._data.shape)
    d = _wrap_dim(dim, x._data.ndim, "unflatten")
    sizes = tuple(int(s) for s in sizes)
    if len(sizes) == 0:
        raise RuntimeError("unflatten: sizes must be non-empty")
    if sizes.count(-1) > 1:
        raise RuntimeError("unflatten: only one dimension can be inferred (sizes "
                           f"{list(sizes)})")
    known = math.prod(s for s in sizes if s != -1)
    if (-1 in sizes and (known == 0 or shape[d] % known)) or \
            (-1 not in sizes and known != shape[d]):
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
                           f"size of dim {dim} ({shape[d]}) in the input tensor")
    sizes = tuple(shape[d] // known if s == -1 else s for s in sizes)
    return reshape(x, shape[:d] + sizes + shape[d + 1:])


def broadcast_to(x, size):
    """`x` expanded to `size` (a view): ``nb.broadcast_to(nb.ones(3), (2, 3))``."""
    return expand(x, tuple(size))


def _method(fn):
    def m(self, *args, **kwargs):
        return fn(self, *args, **kwargs)
    m.__name__ = fn.__name__
    return m


for _fn in (reshape, view, transpose, permute, expand, squeeze, unsqueeze, contiguous, clone,
            flatten, unflatten, broadcast_to):
    tensor_method(_fn.__name__)(_method(_fn))
tensor_method("swapaxes", "swapdims")(_method(transpose))


swapaxes = swapdims = transpose


@tensor_method("t")
def t(self):
    """Transpose a tensor of at most 2 dimensions."""
    if self._data.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{self._data.ndim}D")
    return transpose(self, 0, 1) if self._data.ndim == 2 else self


@tensor_method("expand_as")
def expand_as(self, other):
    return expand(self, other._data.shape)


@tensor_method("view_as")
def view_as(self, other):
    return view(self, other._data.shape)


@tensor_method("reshape_as")
def reshape_as(self, other):
    return reshape(self, other._data.shape)


def _T(self):
    return permute(self, tuple(range(self._data.ndim - 1, -1, -1)))


def _mT(self):
    if self._data.ndim < 2:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. "
                           f"Got {self._data.ndim}-D tensor.")
    return transpose(self, -2, -1)


Tensor.T = property(_T)
Tensor.mT = property(_mT)


def _is_dtype(a):
    return isinstance(a, _dtypes.dtype) or a is float or a is int or a is bool


def _to_args(args, dtype, device, copy, non_blocking):
    """(dtype, device, copy) from the arguments of one of PyTorch's overloads
    of ``to``: (device=None, dtype=None, non_blocking=False, copy=False),
    (dtype, non_blocking=False, copy=False), (Tensor other, non_blocking=False,
    copy=False); TypeError for any other combination (``to(float64, float32)``)."""
    from nbgrad.ops.argcheck import invalid_combination
    rest = list(args)
    given = {k: v for k, v in (("dtype", dtype), ("device", device)) if v is not None}
    if rest and (isinstance(rest[0], Tensor) or _is_dtype(rest[0])):
        first = rest.pop(0)
        if given:
            raise invalid_combination("to", *args, **given)
        dtype, device = (first.dtype, first.device) if isinstance(first, Tensor) else \
            (first, None)
    elif rest and not (rest[0] is None or isinstance(rest[0], (str, int)) or
                       rest[0].__class__.__name__ == "device"):
        dtype = rest.pop(0)   # not a dtype: dtype_arg's TypeError names it
    elif rest:
        if device is not None:
            raise invalid_combination("to", *args, **given)
        device = rest.pop(0)
        if rest and (rest[0] is None or _is_dtype(rest[0])):
            if dtype is not None:
                raise invalid_combination("to", *args, **given)
            dtype = rest.pop(0)
    if len(rest) > 2 or any(f.__class__ is not bool for f in rest):
        raise invalid_combination("to", *args, **given)
    return dtype, device, rest[1] if len(rest) == 2 else copy


@tensor_method("to")
def to(self, *args, dtype=None, device=None, copy=False, non_blocking=False,
       memory_format=None):
    """Convert dtype and/or device: ``x.to(nb.float64)``, ``x.to('cpu')``,
    ``x.to(y)`` (y's dtype and device)."""
    if memory_format is not None:
        check_memory_format("to", memory_format, self._data.shape)
    if args:
        dtype, device, copy = _to_args(args, dtype, device, copy, non_blocking)
    out = self
    if dtype is not None:
        d = _dtypes.dtype_arg(dtype, "to")   # no strings or NumPy types, as PyTorch
        if d is not self.dtype or copy:
            out = to_dtype(out, d)
    if device is not None:
        dev = as_device(device)
        if dev != out.device:
            out = _to_device(out, check_device(dev))
        elif copy and out is self:
            out = clone(out)
    return out


def _to_device_forward(ctx, x, dev):
    """`x` copied to device `dev` (host <-> GPU); its gradient moves back."""
    ctx.device = x.device
    a = x._data
    src = dispatch.backend(x.device)
    if dev.type == "cpu":
        data = src.to_host(a)
    else:   # from the host: numba copies contiguous buffers only
        data = dispatch.backend(dev).to_device(src.contiguous(a))
    return x.__class__._make(data, x.dtype, dev)


def _to_device_backward(ctx, g):
    return g.to(ctx.device)


# not registered: a device move is no op of the database (it is the identity)
_to_device = FunctionOp("to_device", _to_device_forward,
                        "ToCopyBackward0").backward(_to_device_backward)


def _caster(d):
    def m(self):
        return to(self, d)
    return m


for _name, _d in (("float", _dtypes.float32), ("double", _dtypes.float64),
                  ("half", _dtypes.float16), ("long", _dtypes.int64), ("int", _dtypes.int32),
                  ("bool", _dtypes.bool)):
    tensor_method(_name)(_caster(_d))


@tensor_method("type_as")
def type_as(self, other):
    """self converted to other's dtype: ``x.type_as(y)``."""
    if not isinstance(other, Tensor):
        raise TypeError(f"type_as(): argument 'other' (position 1) must be Tensor, not "
                        f"{type(other).__name__}")
    return to(self, other.dtype)


@tensor_method("cpu")
def cpu_(self, memory_format=None):
    """This tensor on the CPU (itself if it is there already): ``x.cpu().numpy()``."""
    return self if self.device.type == "cpu" else to(self, "cpu")


@tensor_method("cuda")
def cuda_(self, device=None, non_blocking=False, memory_format=None):
    """This tensor on a CUDA device (itself if it is there already): ``x.cuda()``."""
    from nbgrad._device import device as _dev
    dev = _dev("cuda") if device is None else (_dev("cuda", device) if isinstance(device, int)
                                               else _dev(device))
    return to(self, dev)
