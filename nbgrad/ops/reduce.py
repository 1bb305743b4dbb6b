"""Reductions: sum, mean, prod, all, any, count_nonzero, sum_to_size (the
engine's reduction of broadcast gradients), and the machinery every
reduction shares.  The other reductions live next door and are re-exported
here: max/min/amax/amin/argmax/argmin (`nbgrad.ops.reduce_extrema`),
norm/var/std/logsumexp (`nbgrad.ops.reduce_stats`) and cumsum/cumprod
(`nbgrad.ops.reduce_scan`).

Every forward calls the reduce API of the backend where its buffer lives
(``dispatch.backend_for(x3).reduce``: `nbgrad.backends.cpu.reduce` or
`nbgrad.backends.cuda.reduce`, which choose serial or parallel kernels, or
launch settings, themselves) on an (A, R, B) view of its input that
`reduce_view` makes from any set of dimensions.
Backward rules are written with nbgrad ops, so they are differentiable again.
Where PyTorch splits a function into overloads with their own node names
(``sum`` -> SumBackward0, ``sum.dim_IntList`` -> SumBackward1) the op is
registered once per overload with the same forward and backward, as in
PyTorch's derivatives.yaml; the public function picks the overload.
"""

import builtins
import math
import sys
import types
from collections import namedtuple

import numpy as np

from nbgrad import _dtypes
from nbgrad._dtypes import _FLOAT
from nbgrad.autograd import batching, grad_mode
from nbgrad.backends import dispatch
from nbgrad.ops.argcheck import UNSET, check_reduction, invalid_combination, scalar_name
from nbgrad.ops.registry import attach_methods, op, tensor_method
from nbgrad.tensor import Tensor, _wrap_dim

__all__ = ["sum", "mean", "prod", "all", "any", "count_nonzero", "sum_to_size", "return_types"]


# -- shared machinery -------------------------------------------------------------
def _int_dim(dim, opname):
    """`dim` as an int; TypeError (PyTorch's) for anything else, tuples included."""
    if isinstance(dim, (int, np.integer)) and not isinstance(dim, bool):
        return int(dim)
    raise TypeError(f"{opname}(): argument 'dim' must be int, not {type(dim).__name__}")


def normalize_dims(dim, ndim, opname):
    """`dim` (None, int, or tuple/list of ints) as a sorted tuple of distinct
    dims; None and an empty tuple mean every dim; () for a 0-d tensor."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (list, tuple)):
        dims = tuple(_wrap_dim(_int_dim(d, opname), ndim, opname) for d in dim)
        if len(set(dims)) != len(dims):
            twice = next(d for i, d in enumerate(dims) if d in dims[:i])
            raise RuntimeError(f"{opname}(): dim {twice} appears multiple times in the list of "
                               f"dims (dim={list(dim)}, input of {ndim} dims)")
        if not dims:
            return tuple(range(ndim))
    else:
        dims = (_wrap_dim(_int_dim(dim, opname), ndim, opname),)
    return tuple(sorted(dims)) if ndim else ()


def _contiguous(a):
    b = dispatch.backend_for(a)
    return a if b.is_contiguous(a) else b.cast(a, a.dtype)


def reduce_view(a, dims):
    """(x3, kept): `a` as a C-contiguous (A, R, B) array whose middle axis runs
    over `dims`, and the result shape with the reduced dims kept as 1.

    Adjacent dims of a contiguous array merge without a copy; otherwise the
    reduced dims are moved last (a copy unless that view is contiguous)."""
    shape = tuple(a.shape)
    kept = tuple(1 if d in dims else s for d, s in enumerate(shape))
    b = dispatch.backend_for(a)
    reshape = b.reshape
    if not dims:
        return reshape(_contiguous(a), (a.size, 1, 1)), kept
    d0, d1 = dims[0], dims[-1]
    if d1 - d0 + 1 == len(dims) and b.is_contiguous(a):
        return reshape(a, (math.prod(shape[:d0]), math.prod(shape[d0:d1 + 1]),
                           math.prod(shape[d1 + 1:]))), kept
    rest = [d for d in range(a.ndim) if d not in dims]
    moved = _contiguous(b.transpose(a, rest + list(dims)))
    return reshape(moved, (math.prod(shape[d] for d in rest),
                           math.prod(shape[d] for d in dims), 1)), kept


# prepare's answer for a C-contiguous array and one int dim, but the view itself:
# (x3's shape, dims, kept, shape) by (a.shape, dim, keepdim).  Exact ints and bools
# only in the key (True == 1 hashes alike, but True is refused as a dim).
_INT_DIM_PLANS = {}
_PLANS_KEPT = 4096


def prepare(a, dim, keepdim, opname):
    """(x3, dims, kept, shape) for reducing array `a` over `dim`: the (A, R, B)
    view, the reduced dims, the keepdim shape and the result shape."""
    if a.__class__ is np.ndarray and a.flags.c_contiguous:   # the common cases
        if dim is None:
            kept = (1,) * a.ndim
            return a.reshape(1, a.size, 1), tuple(range(a.ndim)), kept, kept if keepdim else ()
        if dim.__class__ is int and keepdim.__class__ is bool:
            key = (a.shape, dim, keepdim)
            plan = _INT_DIM_PLANS.get(key)
            if plan is not None:
                return (a.reshape(plan[0]),) + plan[1:]
            x3, dims, kept, shape = _prepare(a, dim, keepdim, opname)
            if len(_INT_DIM_PLANS) < _PLANS_KEPT:
                _INT_DIM_PLANS[key] = (x3.shape, dims, kept, shape)
            return x3, dims, kept, shape
    return _prepare(a, dim, keepdim, opname)


def _prepare(a, dim, keepdim, opname):
    dims = normalize_dims(dim, a.ndim, opname)
    x3, kept = reduce_view(a, dims)
    shape = kept if keepdim else tuple(s for d, s in enumerate(kept) if d not in dims)
    return x3, dims, kept, shape


def keep_dims(ctx, g):
    """The gradient of a reduction's result, shaped with its reduced dims kept."""
    return g if tuple(g._data.shape) == ctx.kept else g.reshape(ctx.kept)


def check_nonempty(opname, a, dim, dim_given):
    """IndexError / RuntimeError as PyTorch for a reduction without identity
    (max, argmax, ...) over `dim` of array `a` when that has no elements."""
    if a.size:
        return
    dims = normalize_dims(dim, a.ndim, opname)
    if not dim_given:
        if a.size == 0:
            raise RuntimeError(
                f"{opname}(): Expected reduction dim to be specified for input.numel() == 0. "
                f"Specify the reduction dim with the 'dim' argument (input shape "
                f"{list(a.shape)}).")
        return
    for d in dims:
        if a.shape[d] == 0:
            raise IndexError(f"{opname}(): Expected reduction dim {d} to have non-zero size "
                             f"(input shape {list(a.shape)}).")


def _reduced_dtype(x, dtype):
    """The result dtype of sum/prod: `dtype`, else x's float dtype, else int64."""
    if dtype is not None:
        return _dtypes.as_dtype(dtype)
    return x.dtype if x.dtype.is_floating_point else _dtypes.int64


def _input_as(x, out_dtype, dim, opname):
    # PyTorch converts the input to an integer dtype= before summing; widening
    # (int -> float, float32 -> float64) happens in the accumulator instead
    if x.dtype.is_floating_point and not out_dtype.is_floating_point:
        normalize_dims(dim, x._data.ndim, opname)   # bad dims raise before the copy
        return dispatch.backend(x.device).cast(x._data, out_dtype)
    return x._data


_F0, _I0, _I1 = np.float64(0), np.int64(0), np.int64(1)


def _sum3(x3, out_dtype, scale=1.0):
    A, R, B = x3.shape
    b = dispatch.backend_for(x3)
    out = b.empty((A, B), out_dtype.np)
    if A and B:
        if out_dtype.category == _FLOAT:
            b.reduce.sum_arb(x3, out, _F0, np.float64(scale))
        else:
            b.reduce.sum_arb(x3, out, _I0, _I1)
    return out


def _sum_array(a, dims, out_dtype):
    """The sum of array `a` over `dims` (a sorted tuple), with the reduced dims
    kept as 1, in `out_dtype` (used by other families too)."""
    x3, kept = reduce_view(a, dims)
    return dispatch.backend_for(a).reshape(_sum3(x3, out_dtype), kept)


def any_nonzero(a):
    """True if some element of array `a` is nonzero (a kernel, not NumPy)."""
    b = dispatch.backend_for(a)
    x3 = b.reshape(_contiguous(a), (1, a.size, 1))
    out = b.empty((1, 1), np.bool_)
    b.reduce.allany_arb(x3, out, False)
    return bool(b.to_host(out)[0, 0])


# -- named (values, indices) results ---------------------------------------------
# ``nbgrad.return_types``, a module of its own (so that the classes pickle)
return_types = types.ModuleType(
    "nbgrad.return_types", "The named tuples of ops that return several tensors; they print "
    "as PyTorch prints ``torch.return_types.max``.")
sys.modules["nbgrad.return_types"] = return_types


def return_type(name, fields=("values", "indices")):
    """The named-tuple class ``return_types.<name>`` (made once)."""
    cls = getattr(return_types, name, None)
    if cls is None:
        base = namedtuple(name, fields)

        def __repr__(self):
            body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
            return f"torch.return_types.{name}(\n{body})"

        cls = type(name, (base,), {"__slots__": (), "__repr__": __repr__,
                                   "__str__": __repr__, "__module__": "nbgrad.return_types"})
        setattr(return_types, name, cls)
    return cls


# -- sum, mean ----------------------------------------------------------------------
def _sum_forward(ctx, x, dim=None, keepdim=False, *, dtype=None):
    """Sum of elements, over all or over `dim` (int or tuple)."""
    if dtype is None:
        out_dtype = x.dtype if x.dtype.category == _FLOAT else _dtypes.int64
        a = x._data
    else:
        out_dtype = _dtypes.as_dtype(dtype)
        a = _input_as(x, out_dtype, dim, "sum")
    x3, dims, kept, shape = prepare(a, dim, keepdim, "sum")
    ctx.shape = tuple(x._data.shape)
    ctx.kept = kept
    return dispatch.backend(x.device).reshape(_sum3(x3, out_dtype), shape)


def _sum_backward(ctx, g):
    if not grad_mode._state.enabled:
        return _spread(ctx, g, None)
    return keep_dims(ctx, g).expand(ctx.shape)


def _spread(ctx, g, scale):
    """g (the reduced gradient) written out to the input's shape, times `scale`:
    the fast path of sum/mean backward when nothing is recorded, by the
    backend's ``reduce.spread`` (on the CPU one elementwise kernel; on a GPU a
    broadcast view of the scaled reduced gradient, which the engine copies
    before it becomes a leaf's .grad)."""
    b = dispatch.backend(g.device)
    gk = b.reshape(g._data, ctx.kept)
    return Tensor._make(b.reduce.spread(gk, ctx.shape, scale), g.dtype, g.device)


_sum = op("sum", node="SumBackward0")(_sum_forward).backward(_sum_backward)
_sum_dim = op("sum.dim_IntList", node="SumBackward1")(_sum_forward).backward(_sum_backward)
_sum.batch_rule = _sum_dim.batch_rule = batching.sum_rule


def sum(input, dim=None, keepdim=False, *, dtype=None):
    """Sum of elements, over all or over `dim` (int or tuple); int and bool
    inputs sum to int64.  ``x.sum()``, ``x.sum((0, 2), keepdim=True)``."""
    check_reduction("sum", input, keepdim)
    if dim is None:
        return _sum(input, None, keepdim, dtype=dtype)
    return _sum_dim(input, dim, keepdim, dtype=dtype)


def _mean_forward(ctx, x, dim=None, keepdim=False, *, dtype=None):
    """Mean of elements, over all or over `dim`."""
    out_dtype = x.dtype if dtype is None else _dtypes.as_dtype(dtype)
    if not out_dtype.is_floating_point:
        which = "Input" if dtype is None else "Optional"
        raise RuntimeError(
            f"mean(): could not infer output dtype. {which} dtype must be either a floating "
            f"point or complex dtype. Got: {scalar_name(out_dtype)} (input shape "
            f"{list(x.shape)})")
    x3, dims, kept, shape = prepare(x._data, dim, keepdim, "mean")
    count = x3.shape[1]
    ctx.shape = tuple(x._data.shape)
    ctx.kept = kept
    ctx.count = count
    total = _sum3(x3, out_dtype, 1.0 / count if count else math.nan)
    return dispatch.backend(x.device).reshape(total, shape)


def _mean_backward(ctx, g):
    if not grad_mode._state.enabled:
        return _spread(ctx, g, 1.0 / ctx.count if ctx.count else math.nan)
    return keep_dims(ctx, g).expand(ctx.shape) / ctx.count


_mean = op("mean", node="MeanBackward0")(_mean_forward).backward(_mean_backward)
_mean_dim = op("mean.dim", node="MeanBackward1")(_mean_forward).backward(_mean_backward)
_mean.batch_rule = _mean_dim.batch_rule = batching.mean_rule


def mean(input, dim=None, keepdim=False, *, dtype=None):
    """Mean of elements, over all or over `dim` (int or tuple): ``z.mean()``.
    Integer inputs need a floating ``dtype=``, as in PyTorch."""
    check_reduction("mean", input, keepdim)
    if dim is None:
        return _mean(input, None, keepdim, dtype=dtype)
    return _mean_dim(input, dim, keepdim, dtype=dtype)


# -- prod -----------------------------------------------------------------------------
def _prod_forward(ctx, x, dim=None, keepdim=False, *, dtype=None):
    """Product of elements, over all or over one `dim`."""
    if dim is not None:
        dim = _int_dim(dim, "prod")
    out_dtype = _reduced_dtype(x, dtype)
    x3, dims, kept, shape = prepare(_input_as(x, out_dtype, dim, "prod"), dim, keepdim, "prod")
    b = dispatch.backend_for(x3)
    out = b.empty((x3.shape[0], x3.shape[2]), out_dtype.np)
    if out.size:
        one = np.float64(1) if out_dtype.is_floating_point else np.int64(1)
        b.reduce.prod_arb(x3, out, one)
    ctx.save_for_backward(x)
    ctx.dim = None if dim is None else (dims[0] if dims else None)
    ctx.kept = kept
    ctx.out = b.reshape(out, kept)
    return b.reshape(out, shape)


def _prod_backward(ctx, g):
    # d prod / d x_k = the product of the other elements: out / x_k when no
    # element is zero, else exclusive cumulative products (one zero: only its
    # own gradient is nonzero; two or more: all are zero), as PyTorch
    (x,) = ctx.saved_tensors
    if x._data.ndim == 0:
        return g
    g = keep_dims(ctx, g)
    if ctx.dim is None:
        xs, d, g = x.reshape(-1), 0, g.reshape(1)
    else:
        xs, d = x, ctx.dim
    if not any_nonzero((xs == 0)._data):
        from nbgrad.autograd.grad_mode import is_grad_enabled
        if is_grad_enabled():   # create_graph: out must stay a function of x
            out = _prod_dim(xs, d, True)
        else:
            out = Tensor._make(dispatch.backend(g.device).reshape(ctx.out, g._data.shape),
                               g.dtype, g.device)
        res = g * out / xs
    else:
        res = g * _product_of_others(xs, d)
    return res.reshape(x._data.shape)


def _product_of_others(x, d):
    """prod_{i != k} x_i along `d` for every k, without division: the
    exclusive cumulative product from the left times the one from the right."""
    from nbgrad._factories import arange
    from nbgrad.ops.movement import slice_scatter_zeros
    from nbgrad.ops.reduce_scan import scan
    n = x._data.shape[d]
    lead = (slice(None),) * d
    head, tail = lead + (slice(0, n - 1),), lead + (slice(1, n),)
    pos = arange(n, device=x.device).reshape((n,) + (1,) * (x._data.ndim - d - 1))
    shape = x._data.shape
    left = slice_scatter_zeros(scan(x, d, prod=True)[head], shape, tail) + (pos == 0)
    right = slice_scatter_zeros(scan(x, d, prod=True, reverse=True)[tail], shape, head) + \
        (pos == n - 1)
    return left * right


_prod = op("prod", node="ProdBackward0")(_prod_forward).backward(_prod_backward)
_prod_dim = op("prod.dim_int", node="ProdBackward1")(_prod_forward).backward(_prod_backward)


def prod(input, dim=UNSET, keepdim=False, *, dtype=None):
    """Product of elements, over all or over one `dim` (an int, as in PyTorch);
    int and bool inputs give int64.  ``x.prod(1)``."""
    check_reduction("prod", input, keepdim)
    if dim is UNSET:
        if keepdim:   # PyTorch's prod() has no keepdim without a dim
            raise invalid_combination("prod", keepdim=keepdim)
        return _prod(input, None, keepdim, dtype=dtype)
    if dim is None:
        raise TypeError("prod(): argument 'dim' must be int, not NoneType")
    return _prod_dim(input, dim, keepdim, dtype=dtype)


# -- all, any, count_nonzero ----------------------------------------------------------
def _allany(opname, want_all):
    def forward(ctx, x, dim=None, keepdim=False):
        x3, dims, kept, shape = prepare(x._data, dim, keepdim, opname)
        # PyTorch keeps uint8 for uint8 input; every other dtype gives bool
        b = dispatch.backend_for(x3)
        out = b.empty((x3.shape[0], x3.shape[2]),
                      np.uint8 if x.dtype is _dtypes.uint8 else np.bool_)
        if out.size:
            b.reduce.allany_arb(x3, out, want_all)
        return b.reshape(out, shape)
    forward.__name__ = opname
    forward.__doc__ = (f"True where {'every' if want_all else 'some'} element over `dim` "
                       "(all dims if None) is nonzero; no gradient.")
    return op(opname, node=opname.capitalize() + "Backward0")(forward)


_all = _allany("all", True)
_any = _allany("any", False)


def all(input, dim=None, keepdim=False):
    """True if every element (over `dim`, int or tuple) is nonzero: ``(x > 0).all()``."""
    check_reduction("all", input, keepdim)
    return _all(input, dim, keepdim)


def any(input, dim=None, keepdim=False):
    """True if some element (over `dim`, int or tuple) is nonzero: ``(x > 0).any(1)``."""
    check_reduction("any", input, keepdim)
    return _any(input, dim, keepdim)


def count_nonzero(input, dim=None):
    """The number of nonzero elements (over `dim`, int or tuple) as int64:
    ``nb.count_nonzero(x, dim=0)``."""
    check_reduction("count_nonzero", input, False)
    if dim is not None:
        normalize_dims(dim, input._data.ndim, "count_nonzero")
    return sum(input != 0, dim)


# -- reductions declared by a template alone ----------------------------------------
def reduction_op(name, backward, template=None, node=None, params=()):
    """Declare op ``name(x, dim=None, keepdim=False)`` (and its Tensor method)
    computed by the kernels of reduce template `template` (default: `name`, see
    `nbgrad.backends.reduce_templates`) with runtime scalars `params`.  Floating
    inputs keep their dtype, others give the default float dtype.
    ``backward(x, g)`` is the gradient for x in nbgrad ops (so differentiable
    again), `g` shaped with the reduced dims kept as 1 (it broadcasts against x).
    ``reduction_op("sumsq", lambda x, g: 2 * x * g)``."""
    template = template or name

    def forward(ctx, x, dim=None, keepdim=False):
        check_reduction(name, x, keepdim)
        out_dtype = x.dtype if x.dtype.is_floating_point else _dtypes.get_default_dtype()
        x3, dims, kept, shape = prepare(x._data, dim, keepdim, name)
        b = dispatch.backend_for(x3)
        out = b.empty((x3.shape[0], x3.shape[2]), out_dtype.np)
        if out.size:
            b.reduce.run(template, x3, (out,), params)
        ctx.save_for_backward(x)
        ctx.kept = kept
        return b.reshape(out, shape)
    forward.__doc__ = f"The {name} reduction (template {template!r}) over `dim`."

    def backward_(ctx, g):
        (x,) = ctx.saved_tensors
        return backward(x, keep_dims(ctx, g))
    declared = op(name, node=node or f"{name.capitalize()}Backward0")(forward)
    declared.backward(backward_)
    tensor_method(name)(lambda self, dim=None, keepdim=False: declared(self, dim, keepdim))
    return declared


# -- sum_to_size ------------------------------------------------------------------------
@op("sum_to_size", node="SumToSizeBackward0")
def sum_to_size(ctx, x, *size):
    """Sum `x` down to `size` (the shape it was broadcast from): the engine's
    reduction of every broadcast gradient.  ``g.sum_to_size(3)``."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    shape = tuple(x._data.shape)
    lead = len(shape) - len(size)
    if lead < 0 or builtins.any(s != 1 and s != shape[lead + i] for i, s in enumerate(size)):
        raise RuntimeError(f"sum_to_size: size {list(size)} is not expandable to size "
                           f"{list(shape)}")
    dims = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(size)
                                      if s == 1 and shape[lead + i] != 1)
    ctx.shape = shape
    out_dtype = x.dtype if x.dtype.is_floating_point else _dtypes.int64
    return dispatch.backend(x.device).reshape(_sum_array(x._data, dims, out_dtype), size)


@sum_to_size.backward
def sum_to_size_backward(ctx, g):
    return g.expand(ctx.shape)


sum_to_size.batch_rule = batching.sum_to_size_rule


# max/min/amax/... (reduce_extrema), var/std/norm/logsumexp (reduce_stats) and
# cumsum/cumprod (reduce_scan) attach their own methods
attach_methods(plain=(sum, mean, prod, all, any, count_nonzero), wrapped=(sum_to_size,))
