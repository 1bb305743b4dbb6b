"""Least squares, the pseudo-inverse and the matrix exponential of ``nb.linalg``
(and PyTorch's top-level ``pinverse`` and ``matrix_exp``).

Forwards run the backend's `lapack` kernels (gelsd for lstsq, the SVD or
eigh for pinv, Pade scaling and squaring for matrix_exp).  Backward rules are
PyTorch's: pinv_backward, linalg_lstsq_backward (through the pseudo-inverse),
and the exponential's adjoint as the upper-right block of the exponential of
[[A^T, G], [0, A^T]]; all written with nbgrad ops.
"""

import numpy as np

from nbgrad.autograd.grad_mode import is_grad_enabled
from nbgrad.ops.argcheck import scalar_name
from nbgrad.ops.linalg import matmul
from nbgrad.ops.linalg_common import (broadcast_batch, check_matrix, check_tensor,
                                      empty_like_on, host, lapack, outputs, stack, unstack,
                                      wrap)
from nbgrad.ops.reduce import return_type
from nbgrad.ops.registry import attach_methods, op

__all__ = ["pinverse", "matrix_exp"]

_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


# -- pinv --------------------------------------------------------------------------------------
def _pinv_check(A):
    check_tensor("linalg.pinv", A)
    if A._data.ndim < 2 or not A.dtype.is_floating_point or A.dtype.itemsize < 4:
        raise RuntimeError(f"linalg.pinv({scalar_name(A.dtype)}{list(A.shape)}): expected a "
                           "tensor with 2 or more dimensions of float, double, cfloat or "
                           "cdouble types")


def _tolerances(A, atol, rtol):
    """PyTorch's defaults: rtol = eps * max(m, n) unless atol > 0 alone is given."""
    for name, v in (("atol", atol), ("rtol", rtol)):
        if v is not None and not isinstance(v, (int, float)):
            raise TypeError(f"linalg.pinv(): argument '{name}' must be a float (nbgrad takes "
                            f"no tensor tolerances), not {type(v).__name__}")
    if rtol is None:
        eps = float(np.finfo(A.dtype.np).eps)
        rtol = 0.0 if atol is not None and atol > 0 else eps * max(A.shape[-2:])
    return float(atol or 0.0), float(rtol)


@op("linalg_pinv", node="LinalgPinvBackward0")
def _pinv(ctx, A, atol=None, rtol=None, hermitian=False):
    _pinv_check(A)
    if hermitian:
        check_matrix("linalg.pinv", A)
    atol, rtol = _tolerances(A, atol, rtol)
    batch = A._data.shape[:-2]
    p = unstack(lapack(A._data).pinv(stack(A._data), atol, rtol, bool(hermitian)), batch)
    ctx.args = (atol, rtol, bool(hermitian))
    ctx.save_for_backward(A, wrap(p, A))
    return p


def pinv_backward(g, P, A):
    """PyTorch's pinv_backward (real case): the gradient of the pseudo-inverse P of A."""
    m, n = A.shape[-2:]
    Pt, gt = P.mT, g.mT
    if m <= n:
        K = matmul(gt, P)
        KPt = matmul(K, Pt)
        return (-matmul(P, K).mT + KPt - matmul(matmul(A, P), KPt)
                + matmul(matmul(Pt, P), gt - matmul(K, A)))
    K = matmul(P, gt)
    PtK = matmul(Pt, K)
    return (-matmul(K, P).mT + matmul(matmul(gt - matmul(A, K), P), Pt) + PtK
            - matmul(matmul(PtK, P), A))


@_pinv.backward
def _pinv_backward(ctx, g):
    A, P = ctx.saved_tensors
    if is_grad_enabled():
        P = _pinv(A, *ctx.args)
    return pinv_backward(g, P, A)


def pinv(A, rcond=None, hermitian=False, *, atol=None, rtol=None):
    """The Moore-Penrose pseudo-inverse of each matrix; singular values at or below
    max(atol, rtol * the largest) count as zero (`rcond` is the older name of rtol)."""
    if rcond is not None:
        rtol = rcond
    return _pinv(A, atol, rtol, hermitian)


def pinverse(A, rcond=1e-15):
    """``torch.pinverse``: ``linalg.pinv(A, rtol=rcond)``."""
    return _pinv(A, None, rcond, False)


# -- lstsq --------------------------------------------------------------------------------------
def _lstsq_shapes(A, B, driver):
    op_ = "torch.linalg.lstsq"
    check_tensor("linalg.lstsq", A, "input")
    check_tensor("linalg.lstsq", B, "other")
    if A._data.ndim < 2:
        raise RuntimeError(f"{op_}: input must have at least 2 dimensions.")
    if B._data.ndim < 1:
        raise RuntimeError(f"{op_}: other must have at least 1 dimension.")
    if not A.dtype.is_floating_point or not B.dtype.is_floating_point:
        raise RuntimeError("This function doesn't handle types other than float and double")
    if A.dtype is not B.dtype:
        raise RuntimeError(f"{op_}: Expected input and other to have the same dtype, but got "
                           f"input's dtype {scalar_name(A.dtype)} and other's dtype "
                           f"{scalar_name(B.dtype)}")
    if driver not in _DRIVERS:
        raise RuntimeError(f"{op_}: parameter `driver` should be one of "
                           "(gels, gelsy, gelsd, gelss)")
    a, b = A._data.shape, B._data.shape
    vector = len(b) == 1 or (len(b) == len(a) - 1 and b == a[:-1])
    if (b[-1] if vector else b[-2]) != a[-2]:
        raise RuntimeError(f"{op_}: input.size(-2) should match other.size(-2)")
    return vector, broadcast_batch("linalg.lstsq", a[:-2], b[:-1] if vector else b[:-2])


@op("linalg_lstsq", node="LinalgLstsqBackward0")
def _lstsq(ctx, A, B, rcond=None, driver=None):
    driver = "gelsy" if driver is None else driver
    vector, batch = _lstsq_shapes(A, B, driver)
    m, n = A._data.shape[-2:]
    if rcond is None:
        rcond = float(np.finfo(A.dtype.np).eps) * max(m, n)
    b = B._data[..., None] if vector else B._data
    x, res, rank, sv = lapack(A._data).lstsq(stack(A._data, batch), stack(b, batch), rcond)
    x, res = unstack(x, batch), unstack(res, batch)
    x = x[..., 0] if vector else x
    full = m > n and driver != "gelsy" and bool((host(rank) == n).all())
    res = res if full else empty_like_on(A._data, (0,), A.dtype.np)
    rank = empty_like_on(A._data, (0,), np.int64) if driver == "gels" else unstack(rank, batch)
    sv = unstack(sv, batch) if driver in ("gelsd", "gelss") else \
        empty_like_on(A._data, (0,), A.dtype.np)
    ctx.args = (full, vector)
    ctx.save_for_backward(A, B, wrap(x, A))
    ctx.mark_non_differentiable(sv)
    return outputs(ctx, A, x, res, rank, sv)


@_lstsq.backward
def _lstsq_backward(ctx, gX, g_res, g_rank=None, g_sv=None):
    # the solution's gradient through the pseudo-inverse, as PyTorch's
    # linalg_lstsq_backward; the residuals' at the optimum, where the solution's
    # own variation does not change them: d|AX - B|^2 = 2 (AX - B) (dA X - dB)
    A, B, X = ctx.saved_tensors
    full, vector = ctx.args
    if is_grad_enabled():
        X = matmul(_pinv(A), B.unsqueeze(-1) if vector else B)
    elif vector:
        X = X.unsqueeze(-1)
    Bm = B.unsqueeze(-1) if vector else B
    gXm = gX.unsqueeze(-1) if vector else gX
    P = _pinv(A)
    gA = pinv_backward(matmul(gXm, Bm.mT), P, A)
    gB = matmul(P.mT, gXm)
    if full:
        r = matmul(A, X) - Bm
        gr = 2 * g_res.unsqueeze(-2) * r
        gA = gA + matmul(gr, X.mT)
        gB = gB - gr
    return gA, (gB.squeeze(-1) if vector else gB)


def lstsq(A, B, rcond=None, *, driver=None):
    """(solution, residuals, rank, singular_values) of min ||A X - B||: the minimum-norm
    solution (gelsd); residuals when m > n, A has full rank and the driver is not
    'gelsy' (the default), rank unless 'gels', singular values for 'gelsd'/'gelss'."""
    return return_type("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))(
        *_lstsq(A, B, rcond, driver))


# -- matrix_exp ---------------------------------------------------------------------------------
@op("linalg_matrix_exp", node="LinalgMatrixExpBackward0")
def _matrix_exp(ctx, A):
    check_matrix("linalg.matrix_exp", A)
    batch = A._data.shape[:-2]
    ctx.save_for_backward(A)
    return unstack(lapack(A._data).matrix_exp(stack(A._data)), batch)


@_matrix_exp.backward
def _matrix_exp_backward(ctx, g):
    # the adjoint of the Frechet derivative: exp([[A^T, G], [0, A^T]]) upper-right block
    from nbgrad._factories import zeros_like
    from nbgrad.ops.joining import cat
    (A,) = ctx.saved_tensors
    n = A.shape[-1]
    At = A.mT
    g = g.to(A.dtype)
    big = cat([cat([At, g], -1), cat([zeros_like(At), At], -1)], -2)
    return _matrix_exp(big)[..., :n, n:]


def matrix_exp(A):
    """exp(A) = sum_k A^k / k! of each square matrix: ``nb.linalg.matrix_exp(A)``."""
    return _matrix_exp(A)


attach_methods(plain=(pinverse, matrix_exp))
