"""Norms and chained products of ``nb.linalg``: vector_norm, matrix_norm, norm and
multi_dot.

All four are composites of registered ops, as in PyTorch: vector norms are
the `norm` reduction (LinalgVectorNormBackward0), the Frobenius norm is a
vector norm over two dims, the 1 / inf norms are sums of |A| and a max, the
2 and nuclear norms the largest / smallest / summed singular values, and
multi_dot a chain of matrix products in the cheapest order (dynamic
programming over the chain, as PyTorch).
"""

import math

from nbgrad import _dtypes
from nbgrad.ops.argcheck import scalar_name
from nbgrad.ops.linalg import mm
from nbgrad.ops.linalg_common import check_float, check_tensor
from nbgrad.ops.linalg_decomp import svdvals
from nbgrad.ops.reduce_extrema import amax, amin
from nbgrad.ops.reduce_stats import norm as _vector_norm
from nbgrad.ops.registry import tensor_method
from nbgrad.tensor import _wrap_dim

__all__ = []


def torch_norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    """``torch.norm`` / ``Tensor.norm``: the vector p-norm (`reduce_stats.norm`), or with
    ``p='nuc'`` the nuclear norm of the matrices over `dim` (two dims; by default all of a
    2-D input's): ``x.norm(p='nuc')`` is the sum of x's singular values."""
    if not (isinstance(p, str) and p == "nuc"):
        return _vector_norm(input, p, dim, keepdim, out, dtype)
    if out is not None:
        raise TypeError("norm(): out= is not supported")
    check_tensor("linalg.matrix_norm", input)
    if input.ndim >= 2:   # (fewer: _matrix_norm raises PyTorch's error)
        dim = tuple(range(input.ndim)) if dim is None else \
            (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dim) != 2:
            raise RuntimeError("linalg.matrix_norm: dim must be a 2-tuple. Got "
                               + " ".join(str(d) for d in dim))
    return _matrix_norm(input, "nuc", (-2, -1) if dim is None else dim, keepdim, dtype)


tensor_method("norm")(torch_norm)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """The vector `ord`-norm over all elements, or over `dim` (int or tuple): ord is
    any number, inf or -inf: ``nb.linalg.vector_norm(x, 1, dim=0)``."""
    if isinstance(ord, (str, bool)) or not isinstance(ord, (int, float)):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' must be Number, not "
                        f"{type(ord).__name__}")
    check_tensor("linalg.vector_norm", x, "input")
    return _vector_norm(x, ord, dim, keepdim, dtype=dtype)


def _matrix_dims(A, dim):
    if isinstance(dim, int) or len(dim) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {dim}")
    d0, d1 = (_wrap_dim(d, A.ndim, "linalg.matrix_norm") for d in dim)
    if d0 == d1:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dim[0]}, "
                           f"{dim[1]})")
    return d0, d1


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """The matrix norm over dims `dim` (default: the last two): ord 'fro'
    (Frobenius), 'nuc' (nuclear: the sum of singular values), 1 / -1 (max / min
    column sum of |A|), inf / -inf (row sums), 2 / -2 (largest / smallest
    singular value)."""
    if isinstance(dim, int):   # PyTorch's argument parser: dim is a tuple of two ints
        raise TypeError("linalg_matrix_norm(): argument 'dim' must be tuple of ints, not int")
    return _matrix_norm(A, ord, dim, keepdim, dtype)


def _matrix_norm(A, ord, dim, keepdim, dtype):
    check_tensor("linalg.matrix_norm", A)
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    check_float("linalg.matrix_norm", A)
    d0, d1 = _matrix_dims(A, dim)
    if ord == "fro":
        return _vector_norm(A, 2, (d0, d1), keepdim, dtype=dtype)
    if dtype is not None:
        A = _with_dtype(A, dtype)
    if ord == "nuc" or ord in (2, -2):
        return _spectral(A, ord, d0, d1, keepdim)
    if ord in (1, -1, math.inf, -math.inf):
        if abs(ord) == math.inf:
            d0, d1 = d1, d0
        sums = _vector_norm(A, 1, d0, keepdim)
        d1 -= 1 if not keepdim and d1 > d0 else 0
        return (amax if ord > 0 else amin)(sums, d1, keepdim)
    raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")


def _with_dtype(A, dtype):
    want = _dtypes.as_dtype(dtype)
    if not want.is_floating_point or want.itemsize < A.dtype.itemsize:
        raise RuntimeError(f"linalg.matrix_norm: the dtype of the input "
                           f"({scalar_name(A.dtype)}) should be convertible without narrowing "
                           f"to the specified dtype ({scalar_name(want)})")
    return A.to(want)


def _spectral(A, ord, d0, d1, keepdim):
    """The nuclear or +-2 norm: singular values of A with dims d0, d1 moved last."""
    rest = [d for d in range(A.ndim) if d not in (d0, d1)]
    s = svdvals(A.permute(rest + [d0, d1]))
    r = s.sum(-1) if ord == "nuc" else (amax if ord == 2 else amin)(s, -1)
    if keepdim:
        for d in sorted((d0, d1)):
            r = r.unsqueeze(d)
    return r


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """A vector or matrix norm, as ``torch.linalg.norm``: over `dim` (one dim: a
    vector norm, two: a matrix norm); without `dim`, the 2-norm of all elements, or
    with `ord` the vector (1-D) or matrix (2-D) norm of A."""
    check_tensor("linalg.norm", A)
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dims) == 1 and not isinstance(ord, str):
            return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
        if len(dims) == 2 or (len(dims) == 1 and isinstance(ord, str)):
            return _matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype)
        raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. "
                           f"Got {list(dims)}")
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if isinstance(ord, str):
        return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)
    if A.ndim not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must "
                           f"be 1D or 2D. Got {A.ndim}D.")
    if A.ndim == 1:
        return vector_norm(A, ord, None, keepdim, dtype=dtype)
    return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)


# -- multi_dot ------------------------------------------------------------------------------
def _multi_dot_checks(tensors):
    n = len(tensors)
    if n < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {n}")
    for i, t in enumerate(tensors):
        check_tensor("linalg.multi_dot", t, f"tensors[{i}]")
        where = "first" if i == 0 else "last" if i == n - 1 else None
        if where and t.ndim not in (1, 2):
            raise RuntimeError(f"multi_dot(): the {where} tensor must be 1D or 2D but got "
                               f"{t.ndim}D")
        if not where and t.ndim != 2:
            raise RuntimeError(f"multi_dot(): tensor {i} must be 2D but got {t.ndim}D")
        if t.dtype is not tensors[0].dtype:
            raise RuntimeError(f"multi_dot(): all tensors must have be the same dtype but "
                               f"tensor 0 is {_dtypes_c(tensors[0])} and tensor {i} "
                               f"{_dtypes_c(t)}")
    for i in range(n - 1):
        a, b = tensors[i], tensors[i + 1]
        if a.shape[-1] != b.shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes "
                               f"{list(a.shape)} and {list(b.shape)} cannot be multiplied")


def _dtypes_c(t):
    return {"float32": "float", "float64": "double"}.get(t.dtype.name, t.dtype.name)


def _chain_order(dims):
    """split[i][j]: where the cheapest product of matrices i..j splits (the classic
    dynamic program over matrix i of shape dims[i] x dims[i + 1])."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = None
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if cost[i][j] is None or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def multi_dot(tensors):
    """The product of a chain of matrices in the cheapest order; the first may be a
    row vector (1-D) and the last a column vector (1-D):
    ``nb.linalg.multi_dot([a, B, C, d])``."""
    tensors = list(tensors)
    _multi_dot_checks(tensors)
    first, last = tensors[0].ndim == 1, tensors[-1].ndim == 1
    mats = list(tensors)
    if first:
        mats[0] = mats[0].unsqueeze(0)
    if last:
        mats[-1] = mats[-1].unsqueeze(1)
    split = _chain_order([m.shape[0] for m in mats] + [mats[-1].shape[1]])
    # an explicit stack instead of recursion (the style of the graph code)
    results = {}
    todo = [(0, len(mats) - 1, False)]
    while todo:
        i, j, ready = todo.pop()
        if i == j:
            results[i, j] = mats[i]
        elif ready:
            k = split[i][j]
            results[i, j] = mm(results[i, k], results[k + 1, j])
        else:
            k = split[i][j]
            todo += [(i, j, True), (i, k, False), (k + 1, j, False)]
    out = results[0, len(mats) - 1]
    shape = out.shape[1 if first else 0:] if not last else out.shape[1 if first else 0:-1]
    return out.reshape(tuple(shape)) if first or last else out
