"""Structural ops: diag, diag_embed, diagflat, tril_indices, triu_indices,
meshgrid, cartesian_prod, kron, cross, cdist and nan_to_num.

`diag_embed` writes its input into a diagonal of zeros (its gradient is that
diagonal); diag and diagflat are built on it and on `diagonal`.  meshgrid is
views (reshape + expand), cartesian_prod, kron and cross are built from
other differentiable ops, so their gradients and higher derivatives are
those ops'.  `cdist` runs the backend's ``structure.cdist`` kernel; its
backward is PyTorch's ``_cdist_backward`` written with nbgrad ops (so,
unlike PyTorch's, it is differentiable again).  `nan_to_num` is an
elementwise declaration.  Triangle indices are written by a backend kernel.
"""

import math
import warnings

import numpy as np

from nbgrad import _dtypes
from nbgrad.autograd import grad_mode
from nbgrad.backends import dispatch
from nbgrad.ops import scalar as s
from nbgrad.ops.argcheck import check_int, check_scalar_type, check_tensor, scalar_name
from nbgrad.ops.binary import where
from nbgrad.ops.elementwise import elementwise
from nbgrad.ops.joining import cat, stack
from nbgrad.ops.linalg import _diagonal_view, diagonal
from nbgrad.ops.registry import attach_methods, op
from nbgrad.ops.unary import abs as abs_
from nbgrad.ops.unary import sign
from nbgrad.tensor import Tensor, _wrap_dim

__all__ = ["diag", "diag_embed", "diagflat", "tril_indices", "triu_indices", "meshgrid",
           "cartesian_prod", "kron", "cross", "cdist", "nan_to_num"]


# -- diag_embed, diag, diagflat -------------------------------------------------------------------
@op("diag_embed", node="DiagEmbedBackward0")
def _diag_embed(ctx, x, offset, dim1, dim2):
    """x's last dim written into the (offset) diagonal of dims dim1, dim2 of zeros."""
    a = x._data
    n = a.ndim + 1
    d1, d2 = _wrap_dim(dim1, n, "diag_embed"), _wrap_dim(dim2, n, "diag_embed")
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    m = (a.shape[-1] if a.ndim else 1) + abs(offset)
    batch = list(a.shape[:-1])
    for d in sorted((d1, d2)):
        batch.insert(d, m)
    b = dispatch.backend(x.device)
    out = b.full(tuple(batch), x.dtype.np, 0)
    dst = _diagonal_view(out, offset, d1, d2)
    if dst.size:
        b.copy_into(dst, a if a.ndim else b.reshape(a, (1,)))
    ctx.args = (offset, d1, d2)
    return out


@_diag_embed.backward
def _diag_embed_backward(ctx, g):
    return diagonal(g, *ctx.args)


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """A tensor whose (offset) diagonals of dims `dim1`, `dim2` are the last dim
    of `input`, zeros elsewhere: ``nb.diag_embed(nb.ones(2, 3))`` is (2, 3, 3)."""
    check_tensor("diag_embed", input)
    return _diag_embed(input, check_int("diag_embed", offset, "offset"), dim1, dim2)


def diag(input, diagonal=0):
    """A 1-D input as the (offset) diagonal of a square matrix, or the
    diagonal of a 2-D input (a copy): ``nb.diag(nb.tensor([1., 2.]))``."""
    check_tensor("diag", input)
    offset = check_int("diag", diagonal, "diagonal")
    nd = input._data.ndim
    if nd == 1:
        return _diag_embed(input, offset, 0, 1)
    if nd == 2:
        from nbgrad.ops.linalg import diagonal as diagonal_
        return diagonal_(input, offset, 0, 1).clone()
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {nd}D")


def diagflat(input, offset=0):
    """The flattened input as the (offset) diagonal of a square matrix:
    ``nb.diagflat(nb.ones(2, 2))`` is a 4 x 4 identity."""
    check_tensor("diagflat", input)
    return _diag_embed(input.reshape(-1), check_int("diagflat", offset, "offset"), 0, 1)


# -- tril_indices, triu_indices -------------------------------------------------------------------
def _triangle(opname, lower, row, col, offset, dtype, device):
    from nbgrad._factories import _device
    row, col = check_int(opname, row, "row"), check_int(opname, col, "col")
    offset = check_int(opname, offset, "offset")
    for name, v in (("row", row), ("col", col)):
        if v < 0:
            raise RuntimeError(f"{name} must be non-negative, got{v}")
    d = _dtypes.int64 if dtype is None else _dtypes.dtype_arg(dtype, opname)
    if d not in (_dtypes.int64, _dtypes.int32):
        raise NotImplementedError(f"\"{opname}\" not implemented for '{scalar_name(d)}'")
    dev = _device(device)
    from nbgrad.backends import cpu
    count = cpu.structure.triangle_count(row, col, offset, lower)
    b = dispatch.backend(dev)
    out = b.empty((2, count), d.np)
    b.structure.triangle_indices(row, col, offset, lower, out)
    return Tensor._make(out, d, dev)


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None,
                 pin_memory=False):
    """The (row, column) indices of the lower triangle of a row x col matrix
    (on and below diagonal `offset`), as a (2, N) int64 tensor:
    ``nb.tril_indices(2, 2)`` is ``tensor([[0, 1, 1], [0, 0, 1]])``."""
    return _triangle("tril_indices", True, row, col, offset, dtype, device)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None,
                 pin_memory=False):
    """The (row, column) indices of the upper triangle (on and above diagonal
    `offset`): ``nb.triu_indices(2, 2)`` is ``tensor([[0, 0, 1], [0, 1, 1]])``."""
    return _triangle("triu_indices", False, row, col, offset, dtype, device)


# -- meshgrid, cartesian_prod, kron, cross -------------------------------------------------------
def _tensor_list(tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors:
        check_tensor("meshgrid", t, "tensors")
    return tensors


def meshgrid(*tensors, indexing=None):
    """Grids from 0-D or 1-D tensors (views of them): with ``indexing='ij'`` (the
    default) output k varies along dim k; ``'xy'`` swaps the first two dims:
    ``xs, ys = nb.meshgrid(x, y, indexing='xy')``."""
    tensors = _tensor_list(tensors)
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but "
                           f"received: {indexing}")
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but "
                               f"got a tensor of shape {list(t._data.shape)}")
        if t.dtype is not tensors[0].dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
        if t.device != tensors[0].device:
            raise RuntimeError("meshgrid expects all tensors to have the same device")
    swap = indexing == "xy" and len(tensors) >= 2
    ts = [tensors[1], tensors[0], *tensors[2:]] if swap else list(tensors)
    shape = tuple(t._data.size for t in ts)
    n = len(ts)
    grids = [t.reshape((1,) * k + (-1,) + (1,) * (n - k - 1)).expand(shape)
             for k, t in enumerate(ts)]
    if swap:   # PyTorch swaps the inputs, and then the outputs back
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


def cartesian_prod(*tensors):
    """Every combination of the elements of 1-D tensors, one per row:
    ``nb.cartesian_prod(nb.tensor([1, 2]), nb.tensor([3, 4]))`` is (4, 2)."""
    tensors = _tensor_list(tensors)
    for t in tensors:
        if t._data.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t._data.shape)}")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)


def kron(input, other):
    """The Kronecker product: blocks ``input[i, j] * other``:
    ``nb.kron(nb.eye(2), nb.ones(2, 2))`` is (4, 4)."""
    check_tensor("kron", input)
    check_tensor("kron", other, "other", 2)
    sa, sb = tuple(input._data.shape), tuple(other._data.shape)
    n = max(len(sa), len(sb))
    sa, sb = (1,) * (n - len(sa)) + sa, (1,) * (n - len(sb)) + sb
    a = input.reshape(tuple(v for d in sa for v in (d, 1)))
    b = other.reshape(tuple(v for d in sb for v in (1, d)))
    return (a * b).reshape(tuple(p * q for p, q in zip(sa, sb)))


def _cross_dim(a, b, dim):
    if a._data.ndim != b._data.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    from nbgrad.ops.elementwise import broadcast_shapes
    shape = broadcast_shapes("linalg.cross", tuple(a._data.shape), tuple(b._data.shape))
    if dim is None:
        found = [d for d, n in enumerate(a._data.shape) if n == 3]
        if not found:
            raise RuntimeError(f"no dimension of size 3 in input (shape "
                               f"{list(a._data.shape)})")
        return found[0], shape
    d = _wrap_dim(check_int("cross", dim, "dim"), len(shape), "cross")
    if a._data.shape[d] != 3 or b._data.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {d} must have length 3. Got "
                           f"{a._data.shape[d]} and {b._data.shape[d]}")
    return d, shape


def cross(input, other, dim=None):
    """The cross product of 3-vectors along `dim` (by default the first dim of
    size 3), broadcasting the others: ``nb.cross(x, y, dim=1)``."""
    check_tensor("cross", input)
    check_tensor("cross", other, "other", 2)
    check_scalar_type(input.dtype, other.dtype)
    d, shape = _cross_dim(input, other, dim)
    a, b = input.expand(shape), other.expand(shape)
    lead = (slice(None),) * d

    def part(t, i):
        return t[lead + (slice(i, i + 1),)]
    a0, a1, a2 = part(a, 0), part(a, 1), part(a, 2)
    b0, b1, b2 = part(b, 0), part(b, 1), part(b, 2)
    return cat([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], d)


# -- cdist ---------------------------------------------------------------------------------------
@op("cdist", node="CdistBackward0")
def _cdist(ctx, x1, x2, p):
    """Pairwise p-norm distances of (B, P, M) and (B, R, M) rows: (B, P, R)."""
    b = dispatch.backend(x1.device)
    B, P, _ = x1._data.shape
    out = b.empty((B, P, x2._data.shape[1]), x1.dtype.np)
    b.structure.cdist(b.contiguous(x1._data), b.contiguous(x2._data), out, p)
    ctx.save_for_backward(x1, x2)
    ctx.p = p
    ctx.out = out
    return out


@_cdist.backward
def _cdist_backward(ctx, g):
    x1, x2 = ctx.saved_tensors
    p = ctx.p
    if grad_mode.is_grad_enabled():   # create_graph: the distances as a function of x
        dist = _cdist(x1, x2, p)
    else:
        dist = Tensor._make(ctx.out, x1.dtype, x1.device)
    diff = x1.unsqueeze(2) - x2.unsqueeze(1)            # (B, P, R, M)
    d, gg = dist.unsqueeze(-1), g.unsqueeze(-1)
    if p == 0:
        t = diff * 0.0
    elif p == 1:
        t = gg * sign(diff)
    elif p == math.inf:
        t = gg * sign(diff) * (abs_(diff) == d)
    else:
        zero_d = d == 0
        d_safe = where(zero_d, 1.0, d)
        if p == 2:
            t = gg * diff / d_safe
        else:   # |diff|^(p-1) sign(diff) / dist^(p-1); 0 where diff is 0 (p < 1: not inf)
            zero = diff == 0
            ad = where(zero, 1.0, abs_(diff))
            t = where(zero, 0.0, gg * sign(diff) * ad ** (p - 1) / d_safe ** (p - 1))
        t = where(zero_d, 0.0, t)
    return t.sum(2), -t.sum(1)


def _check_cdist(x1, x2, p):
    for name, t in (("X1", x1), ("X2", x2)):
        if t._data.ndim < 2:
            raise RuntimeError(f"cdist only supports at least 2D tensors, {name} got: "
                               f"{t._data.ndim}D")
    if x1._data.shape[-1] != x2._data.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{x1._data.shape[-1]} X2: {x2._data.shape[-1]}")
    if not x1.dtype.is_floating_point:
        raise RuntimeError(f"cdist only supports floating-point dtypes, X1 got: "
                           f"{scalar_name(x1.dtype)}")
    check_scalar_type(x1.dtype, x2.dtype)
    if not p >= 0:
        raise RuntimeError("cdist only supports non-negative p values")


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """The p-norm distance between each row of `x1` (..., P, M) and each row of
    `x2` (..., R, M): (..., P, R); batch dims broadcast; p >= 0 (inf too):
    ``nb.cdist(a, b)``."""
    check_tensor("cdist", x1, "x1")
    check_tensor("cdist", x2, "x2", 2)
    p = float(p)
    _check_cdist(x1, x2, p)
    from nbgrad.ops.elementwise import broadcast_shapes
    s1, s2 = tuple(x1._data.shape), tuple(x2._data.shape)
    batch = broadcast_shapes("cdist", s1[:-2], s2[:-2])
    nb_ = math.prod(batch)
    a = x1.expand(batch + s1[-2:]).reshape(nb_, *s1[-2:])
    b = x2.expand(batch + s2[-2:]).reshape(nb_, *s2[-2:])
    return _cdist(a, b, p).reshape(batch + (s1[-2], s2[-2]))


# -- nan_to_num --------------------------------------------------------------------------------
# Infinities are the nonzero numbers with x * 2 == x (no inf - inf: the CUDA
# simulator runs these as NumPy scalars, which warn on it)
def _nan_to_num_forward(x, nan, posinf, neginf):
    if x != x:
        return nan
    if x * 2 == x and x != 0:
        return posinf if x > 0 else neginf
    return x


_nan_to_num = elementwise(
    "nan_to_num", _nan_to_num_forward, node="NanToNumBackward0", method=False,
    grads={"x": lambda g, x: s.where(((x * 2 != x) & (x == x)) | (x == 0), g, s.zero(g))})


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """NaN, +inf and -inf replaced by `nan`, `posinf` and `neginf` (by default
    0 and the dtype's largest and smallest finite values); integer and bool
    tensors are returned as a copy: ``nb.nan_to_num(x, nan=0.0)``."""
    check_tensor("nan_to_num", input)
    if not input.dtype.is_floating_point:
        return input.clone()
    top = float(np.finfo(input.dtype.np).max)
    return _nan_to_num(input, float(nan), top if posinf is None else float(posinf),
                       -top if neginf is None else float(neginf))


attach_methods(plain=(diag, diag_embed, diagflat, kron, cross, nan_to_num))
