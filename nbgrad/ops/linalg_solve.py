"""Linear algebra ops built on the LU and Cholesky factorizations: det, slogdet,
inv, solve, solve_triangular, cholesky and cholesky_solve (``nb.linalg`` and
PyTorch's top-level names: det, slogdet, logdet, inverse, cholesky,
cholesky_solve).

Forwards run the backend's `lapack` kernels on (B, m, n) stacks; errors are
PyTorch's (shapes and dtypes checked before any kernel, LinAlgError from the
kernels' info codes).  Backward rules are PyTorch's (derivatives.yaml /
FunctionsManual.cpp), written with nbgrad ops so they differentiate again.
When the backward is itself recorded (``create_graph=True``) a rule recomputes
the forward result from the input, as a function of it; otherwise it reads
the saved output buffer.
"""

import numpy as np

from nbgrad.autograd.grad_mode import is_grad_enabled
from nbgrad.ops.binary import where
from nbgrad.ops.linalg import matmul
from nbgrad.ops.linalg_common import (broadcast_batch, check_matrix, check_same_dtype,
                                      check_tensor, host, lapack, outputs, raise_info, stack,
                                      unstack, wrap)
from nbgrad.ops.reduce import return_type
from nbgrad.ops.registry import attach_methods, op

__all__ = ["det", "slogdet", "logdet", "inverse", "cholesky", "cholesky_solve"]

_CHOL_FAIL = ("The factorization could not be completed because the input is not "
              "positive-definite (the leading minor of order {k} is not positive-definite).")
_INV_FAIL = ("The diagonal element {k} is zero, the inversion could not be completed because "
             "the input matrix is singular.")


def _saved_or(ctx, recompute, k=-1):
    """The saved output (position `k` of the saved tensors), or, when the backward is
    recorded, `recompute()`: the output as a function of the inputs."""
    saved = ctx.saved_tensors
    return recompute() if is_grad_enabled() else saved[k]


# -- det, slogdet --------------------------------------------------------------------------
@op("linalg_det", node="LinalgDetBackward0")
def _det(ctx, A):
    check_matrix("linalg.det", A)
    batch = A._data.shape[:-2]
    d = unstack(lapack(A._data).lu_det(stack(A._data)), batch)
    ctx.save_for_backward(A, wrap(d, A))
    return d


@_det.backward
def _det_backward(ctx, g):
    # d det / dA = det(A) A^-T (the cofactors); singular matrices: from the SVD
    A = ctx.saved_tensors[0]
    d = _saved_or(ctx, lambda: _det(A))
    if _singular(host(d._data), A.dtype):
        from nbgrad.ops.linalg_decomp import cofactors
        return g[..., None, None] * cofactors(A)
    return (g * d)[..., None, None] * inv(A).mT


def _singular(det, dtype):
    """Whether det's backward takes the SVD formula: for an exactly singular matrix,
    and, when the backward is recorded (create_graph), for |det| < 100 eps too, as
    PyTorch's linalg_det_backward: the inverse's own derivatives blow up near a
    singular matrix (a rank-2 3x3 built in float64 has a det of 1e-17 or 0,
    depending on the BLAS that multiplied it)."""
    if is_grad_enabled():
        return bool((np.abs(det) < 100 * np.finfo(dtype.np).eps).any())
    return bool((det == 0).any())


def det(A):
    """The determinant of each square matrix of A (..., n, n): ``nb.linalg.det(nb.eye(3))``."""
    return _det(A)


@op("linalg_slogdet", node="LinalgSlogdetBackward0")
def _slogdet(ctx, A, opname="linalg.slogdet"):
    check_matrix(opname, A)
    batch = A._data.shape[:-2]
    sign, logabs, _ = lapack(A._data).slogdet(stack(A._data))
    sign, logabs = unstack(sign, batch), unstack(logabs, batch)
    ctx.save_for_backward(A)
    return outputs(ctx, A, sign, logabs)


@_slogdet.backward
def _slogdet_backward(ctx, g_sign, g_logabs):
    (A,) = ctx.saved_tensors
    return g_logabs[..., None, None] * inv(A).mT


def _linalg_slogdet(A):
    """(sign, logabsdet) of each square matrix: det = sign * exp(logabsdet), without
    overflow; sign is 0 and logabsdet -inf for a singular matrix."""
    return return_type("linalg_slogdet", ("sign", "logabsdet"))(*_slogdet(A))


def slogdet(A):
    """``torch.slogdet``: (sign, logabsdet) of each square matrix, as ``linalg.slogdet``."""
    return return_type("slogdet", ("sign", "logabsdet"))(*_slogdet(A, "linalg.slogdet"))


def logdet(A):
    """log(det(A)): NaN where det < 0, -inf where det = 0 (``torch.logdet``)."""
    sign, logabs = _slogdet(A, "logdet")
    return where(sign == -1, float("nan"), logabs)


# -- inv -----------------------------------------------------------------------------------
@op("linalg_inv_ex", node="LinalgInvExBackward0")
def _inv_ex(ctx, A, check_errors=False, opname="linalg.inv_ex"):
    check_matrix(opname, A)
    batch = A._data.shape[:-2]
    x, info = lapack(A._data).inv(stack(A._data))
    if check_errors:
        raise_info(opname, info, batch, _INV_FAIL)
    x, info = unstack(x, batch), unstack(info, batch)
    ctx.save_for_backward(A, wrap(x, A))
    return outputs(ctx, A, x, info)


@_inv_ex.backward
def _inv_ex_backward(ctx, g, g_info=None):
    A = ctx.saved_tensors[0]
    X = _saved_or(ctx, lambda: inv(A)).mT
    return -matmul(X, matmul(g, X))


def inv_ex(A, *, check_errors=False):
    """(inverse, info): info is 0, or k when the k-th pivot is zero (A singular)."""
    return return_type("linalg_inv_ex", ("inverse", "info"))(
        *_inv_ex(A, check_errors, "linalg.inv_ex"))


def inv(A):
    """The inverse of each square matrix; LinAlgError if one is singular."""
    return _inv_ex(A, True, "linalg.inv")[0]


def inverse(A):
    """``torch.inverse``: `nb.linalg.inv`."""
    return inv(A)


# -- solve ---------------------------------------------------------------------------------
def _solve_shapes(opname, A, B, left):
    """(vector case, batch shape) of ``solve(A, B)``, with PyTorch's checks."""
    check_tensor(opname, B, "B")
    check_matrix(opname, A)
    check_same_dtype(opname, A, B)
    a, b = A._data.shape, B._data.shape
    vector = len(b) == 1 or (len(b) == len(a) - 1 and b == a[:-1])
    n = a[-1]
    rhs = (b[-1], 1) if vector else b[-2:]
    if (rhs[0] if left else rhs[1]) != n or (vector and not left):
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"{opname}: Incompatible shapes of A and B for the equation {eq} "
                           f"({n}x{n} and {rhs[0]}x{rhs[1]})")
    return vector, broadcast_batch(opname, a[:-2], b[:-1] if vector else b[:-2])


@op("linalg_solve_ex", node="LinalgSolveExBackward0")
def _solve_ex(ctx, A, B, left=True, check_errors=False, opname="linalg.solve_ex"):
    vector, batch = _solve_shapes(opname, A, B, left)
    b = B._data[..., None] if vector else B._data
    # X A = B is A^T X^T = B^T
    x, info = lapack(A._data).solve(stack(A._data, batch, not left), stack(b, batch, not left))
    if check_errors:
        raise_info("torch.linalg.solve", info, (), "The solver failed because the input "
                   "matrix is singular.")
    x = unstack(x, batch, not left)
    x = x[..., 0] if vector else x
    ctx.args = (left, vector)
    ctx.save_for_backward(A, B, wrap(x, A))
    return outputs(ctx, A, x, unstack(info, batch))


@_solve_ex.backward
def _solve_ex_backward(ctx, g, g_info=None):
    A, B, _ = ctx.saved_tensors
    left, vector = ctx.args
    X = _saved_or(ctx, lambda: solve(A, B, left=left))
    gB = solve(A.mT, g, left=left)
    if not ctx.needs_input_grad[0]:
        return None, gB
    if vector:
        gA = gB[..., :, None] * X[..., None, :]
    else:
        gA = -matmul(gB, X.mT) if left else -matmul(X.mT, gB)
    return (-gA if vector else gA), gB


def solve_ex(A, B, *, left=True, check_errors=False):
    """(result, info) of ``solve``: info is k > 0 where the k-th pivot is zero."""
    return return_type("linalg_solve_ex", ("result", "info"))(
        *_solve_ex(A, B, left, check_errors))


def solve(A, B, *, left=True):
    """X with A X = B (X A = B when not `left`); B may be a vector (..., n) or a
    matrix (..., n, k), batch dims broadcast: ``nb.linalg.solve(A, b)``."""
    return _solve_ex(A, B, left, True, "linalg.solve")[0]


# -- solve_triangular -------------------------------------------------------------------------
@op("linalg_solve_triangular", node="LinalgSolveTriangularBackward0")
def _solve_triangular(ctx, A, B, upper, left=True, unitriangular=False):
    opname = "linalg.solve_triangular"
    check_tensor(opname, B, "B")
    check_matrix(opname, A)
    if B._data.ndim < 2:
        raise RuntimeError(f"{opname}: The input tensor B must have at least 2 dimensions.")
    check_same_dtype(opname, A, B)
    n, (p, q) = A._data.shape[-1], B._data.shape[-2:]
    if (p if left else q) != n:
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"{opname}: Incompatible shapes of A and B for the equation {eq} "
                           f"({n}x{n} and {p}x{q})")
    batch = broadcast_batch(opname, A._data.shape[:-2], B._data.shape[:-2])
    x = lapack(A._data).solve_triangular(stack(A._data, batch, not left),
                                         stack(B._data, batch, not left),
                                         upper == left, unitriangular)
    x = unstack(x, batch, not left)
    ctx.args = (bool(upper), left, bool(unitriangular))
    ctx.save_for_backward(A, B, wrap(x, A))
    return x


@_solve_triangular.backward
def _solve_triangular_backward(ctx, g):
    A, B, _ = ctx.saved_tensors
    upper, left, unit = ctx.args
    gB = solve_triangular(A.mT, g, upper=not upper, left=left, unitriangular=unit)
    if not ctx.needs_input_grad[0]:
        return None, gB
    X = _saved_or(ctx, lambda: solve_triangular(A, B, upper=upper, left=left,
                                                unitriangular=unit))
    gA = -matmul(gB, X.mT) if left else -matmul(X.mT, gB)
    k = 1 if unit else 0
    return (gA.triu(k) if upper else gA.tril(-k)), gB


def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """X with A X = B (X A = B when not `left`) for triangular A, reading only its
    upper or lower triangle (and not its diagonal when `unitriangular`)."""
    return _solve_triangular(A, B, upper, left, unitriangular)


# -- cholesky ---------------------------------------------------------------------------------
@op("linalg_cholesky_ex", node="LinalgCholeskyExBackward0")
def _cholesky_ex(ctx, A, upper=False, check_errors=False, opname="linalg.cholesky_ex"):
    check_matrix(opname, A)
    batch = A._data.shape[:-2]
    # the upper factor of A is the transposed lower factor of A^T (its upper triangle)
    L, info = lapack(A._data).cholesky(stack(A._data, None, upper))
    if check_errors:
        raise_info(opname, info, batch, _CHOL_FAIL)
    L = unstack(L, batch, upper)
    ctx.upper = bool(upper)
    ctx.save_for_backward(A, wrap(L, A))
    return outputs(ctx, A, L, unstack(info, batch))


@_cholesky_ex.backward
def _cholesky_ex_backward(ctx, gL, g_info=None):
    # Murray (2016), arXiv:1602.07527, as PyTorch's cholesky_backward:
    # gA = L^-T Phi(L^T gL) L^-1, Phi: the lower triangle, its diagonal halved, symmetrized
    A = ctx.saved_tensors[0]
    upper = ctx.upper
    L = _saved_or(ctx, lambda: cholesky(A, upper=upper))
    if upper:
        L, gL = L.mT, gL.mT
    P = matmul(L.mT, gL).tril()
    P = 0.5 * (P + P.tril(-1).mT)
    P = solve_triangular(L.mT, P, upper=True, left=True)
    return solve_triangular(L, P, upper=False, left=False)


def cholesky_ex(A, *, upper=False, check_errors=False):
    """(L, info): the Cholesky factor and 0, or k where the leading minor of order k is
    not positive definite (no error unless `check_errors`)."""
    return return_type("linalg_cholesky_ex", ("L", "info"))(
        *_cholesky_ex(A, upper, check_errors))


def linalg_cholesky(A, *, upper=False):
    """L (lower triangular) with A = L L^T for symmetric positive-definite A (U = L^T
    with A = U^T U when `upper`); LinAlgError otherwise."""
    return _cholesky_ex(A, upper, True, "linalg.cholesky")[0]


def cholesky(A, upper=False):
    """``torch.cholesky`` (deprecated in PyTorch): `nb.linalg.cholesky`."""
    return _cholesky_ex(A, upper, True, "linalg.cholesky")[0]


# -- cholesky_solve ---------------------------------------------------------------------------
@op("cholesky_solve", node="CholeskySolveBackward0")
def _cholesky_solve(ctx, B, L, upper=False):
    opname = "cholesky_solve"
    check_tensor(opname, B, "input")
    check_tensor(opname, L, "input2")
    if B._data.ndim < 2:
        raise RuntimeError(f"b should have at least 2 dimensions, but has {B._data.ndim} "
                           "dimensions instead")
    if L._data.ndim < 2:
        raise RuntimeError(f"u should have at least 2 dimensions, but has {L._data.ndim} "
                           "dimensions instead")
    check_same_dtype(opname, B, L, "b", "A")
    n, (p, q) = L._data.shape[-1], B._data.shape[-2:]
    if L._data.shape[-2] != n or p != n:
        raise RuntimeError(f"Incompatible matrix sizes for cholesky_solve: each A matrix is "
                           f"{L._data.shape[-2]} by {n} but each b matrix is {p} by {q}")
    check_matrix(opname, L)
    batch = broadcast_batch(opname, B._data.shape[:-2], L._data.shape[:-2])
    x = lapack(B._data).cholesky_solve(stack(B._data, batch), stack(L._data, batch, upper))
    x = unstack(x, batch)
    ctx.upper = bool(upper)
    ctx.save_for_backward(B, L, wrap(x, B))
    return x


@_cholesky_solve.backward
def _cholesky_solve_backward(ctx, g):
    B, L, _ = ctx.saved_tensors
    upper = ctx.upper
    gB = cholesky_solve(g, L, upper)
    if not ctx.needs_input_grad[1]:
        return gB, None
    X = _saved_or(ctx, lambda: cholesky_solve(B, L, upper))
    common = matmul(gB, X.mT)
    common = common + common.mT
    return gB, (-matmul(L, common) if upper else -matmul(common, L))


def cholesky_solve(B, L, upper=False):
    """X with A X = B where A = L L^T (A = U^T U when `upper`), from the Cholesky
    factor: ``nb.cholesky_solve(b, nb.linalg.cholesky(A))``."""
    return _cholesky_solve(B, L, upper)


attach_methods(plain=(det, slogdet, logdet, inverse, cholesky, cholesky_solve))
