"""Matrix decompositions of ``nb.linalg``: qr, eigh / eigvalsh, svd / svdvals
(and PyTorch's top-level ``qr`` and ``svd``).

Forwards run the backend's `lapack` kernels; backward rules are PyTorch's
(FunctionsManual.cpp: linalg_qr_backward, linalg_eig_backward for Hermitian
input, svd_backward) written with nbgrad ops, so they differentiate again.
Where a decomposition's gradient is not defined (repeated eigenvalues or
singular values with eigenvector or singular vector gradients, Q of
mode='complete' with more rows than columns) the rule divides by zero or
refuses, as PyTorch's does: see docs/linalg.md.  When the backward is itself
recorded a rule recomputes the decomposition from the input.
"""

from nbgrad.autograd.grad_mode import is_grad_enabled
from nbgrad.ops.linalg import diagonal_scatter_zeros, matmul
from nbgrad.ops.linalg_common import (check_matrix, host, lapack, outputs, stack, unstack,
                                      wrap)
from nbgrad.ops.linalg_solve import solve_triangular
from nbgrad.ops.reduce import return_type
from nbgrad.ops.registry import FunctionNode, attach_methods, op

__all__ = ["qr", "svd"]


def diag_embed(v):
    """Matrices (..., n, n) with the vectors v (..., n) on their diagonals."""
    nd = v.ndim + 1
    return diagonal_scatter_zeros(v, tuple(v.shape) + (v.shape[-1],), 0, nd - 2, nd - 1)


def _is_zero(g):
    """True for a gradient that is all zeros (an output the loss did not use:
    the engine hands the rule zeros for it)."""
    return not host(g._data).any()


def _outputs(ctx, recompute):
    """The saved outputs, or the recomputed ones when the backward is recorded."""
    saved = ctx.saved_tensors
    return recompute() if is_grad_enabled() else saved[1:]


# -- QR ------------------------------------------------------------------------------------
_QR_MODES = ("reduced", "complete", "r")


@op("linalg_qr", node="LinalgQrBackward0")
def _qr(ctx, A, mode="reduced"):
    check_matrix("linalg.qr", A, square=False)
    if mode not in _QR_MODES:
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    batch = A._data.shape[:-2]
    q, r = lapack(A._data).qr(stack(A._data), mode == "complete", mode != "r")
    q = unstack(q, batch) if mode != "r" else q.reshape(0)
    r = unstack(r, batch)
    ctx.mode = mode
    ctx.save_for_backward(A, wrap(q, A), wrap(r, A))
    return outputs(ctx, A, q, r)


def _qr_square_backward(gQ, gR, Q, R):
    # m >= n: gA = (gQ + Q copyltu(M)) R^-T with M = R gR^T - gQ^T Q
    # (copyltu: the lower triangle mirrored to the upper one)
    M = matmul(R, gR.mT) - matmul(gQ.mT, Q)
    M = M.tril() + M.tril(-1).mT
    return solve_triangular(R.mT, gQ + matmul(Q, M), upper=False, left=False)


@_qr.backward
def _qr_backward(ctx, gQ, gR):
    mode = ctx.mode
    if mode == "r":
        raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed "
                           "when mode='r'. Please use linalg.qr(A, mode='reduced') if you are "
                           "going to differentiate through linalg.qr.")
    A = ctx.saved_tensors[0]
    m, n = A.shape[-2:]
    if mode == "complete" and m > n:
        raise RuntimeError("The QR decomposition is not differentiable when mode='complete' "
                           "and nrows > ncols.")
    Q, R = _outputs(ctx, lambda: _qr(A, mode))
    if m >= n:
        return _qr_square_backward(gQ, gR, Q, R)
    # m < n: A = [X | Y] with X = Q U square, R = [U | V]; Y = Q V
    Y = A[..., :, m:]
    U, gU, gV = R[..., :, :m], gR[..., :, :m], gR[..., :, m:]
    gX = _qr_square_backward(gQ + matmul(Y, gV.mT), gU, Q, U)
    from nbgrad.ops.joining import cat
    return cat([gX, matmul(Q, gV)], -1)


def linalg_qr(A, mode="reduced"):
    """(Q, R) with A = Q R, Q with orthonormal columns, R upper triangular (LAPACK's
    signs); mode 'reduced' (k = min(m, n) columns), 'complete' (Q m x m) or 'r'
    (Q empty)."""
    return return_type("linalg_qr", ("Q", "R"))(*_qr(A, mode))


def qr(A, some=True):
    """``torch.qr`` (deprecated in PyTorch): ``linalg.qr`` with mode 'reduced' when
    `some`, else 'complete'."""
    return return_type("qr", ("Q", "R"))(*_qr(A, "reduced" if some else "complete"))


# -- eigh ------------------------------------------------------------------------------------
@op("linalg_eigh", node="LinalgEighBackward0")
def _eigh(ctx, A, UPLO="L", values_only=False, opname="linalg.eigh"):
    check_matrix(opname, A)
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    batch = A._data.shape[:-2]
    # the kernel reads the lower triangle: the upper one of A is the lower one of A^T
    vectors = not values_only or isinstance(ctx, FunctionNode)
    w, v = lapack(A._data).eigh(stack(A._data, None, UPLO == "U"), vectors)
    w = unstack(w, batch)
    v = unstack(v, batch) if vectors else v.reshape(0)
    ctx.args = (UPLO, values_only)
    ctx.save_for_backward(A, wrap(w, A), wrap(v, A))
    return outputs(ctx, A, w, v)


@_eigh.backward
def _eigh_backward(ctx, gw, gV):
    # gA = V (diag(gw) + skew(V^T gV) / 2 / E) V^T, E_ij = w_j - w_i (Hermitian case of
    # PyTorch's linalg_eig_backward): symmetric, infinite at repeated eigenvalues
    A = ctx.saved_tensors[0]
    UPLO, values_only = ctx.args
    w, V = _outputs(ctx, lambda: _eigh(A, UPLO))
    middle = diag_embed(gw)
    if not values_only and not _is_zero(gV):
        K = matmul(V.mT, gV)
        E = w.unsqueeze(-2) - w.unsqueeze(-1)
        E = E + diag_embed(w * 0 + 1)
        middle = middle + (K - K.mT) / (2 * E)
    return matmul(V, matmul(middle, V.mT))


def eigh(A, UPLO="L"):
    """(eigenvalues ascending, eigenvectors as columns) of each symmetric matrix, read
    from its lower (UPLO='L') or upper triangle."""
    return return_type("linalg_eigh", ("eigenvalues", "eigenvectors"))(*_eigh(A, UPLO))


def eigvalsh(A, UPLO="L"):
    """The eigenvalues (ascending) of each symmetric matrix: ``eigh(A).eigenvalues``."""
    return _eigh(A, UPLO, True, "linalg.eigvalsh")[0]


# -- SVD -------------------------------------------------------------------------------------
@op("linalg_svd", node="LinalgSvdBackward0")
def _svd(ctx, A, full_matrices=True, values_only=False, opname="linalg.svd"):
    check_matrix(opname, A, square=False)
    batch = A._data.shape[:-2]
    if values_only:   # svdvals: the vectors only when a backward will need them
        full_matrices = False
    u, s, vh = lapack(A._data).svd(stack(A._data), bool(full_matrices))
    u, s, vh = unstack(u, batch), unstack(s, batch), unstack(vh, batch)
    ctx.args = (bool(full_matrices), values_only)
    ctx.save_for_backward(A, wrap(u, A), wrap(s, A), wrap(vh, A))
    return outputs(ctx, A, u, s, vh)


@_svd.backward
def _svd_backward(ctx, gU, gS, gVh):
    A = ctx.saved_tensors[0]
    full, values_only = ctx.args
    U, S, Vh = _outputs(ctx, lambda: _svd(A, full))
    k = S.shape[-1]
    if full:   # only the first k singular vectors are determined: PyTorch's narrowing
        U, Vh, gU, gVh = U[..., :k], Vh[..., :k, :], gU[..., :k], gVh[..., :k, :]
    if values_only or (_is_zero(gU) and _is_zero(gVh)):
        return matmul(U * gS.unsqueeze(-2), Vh)
    return _svd_vectors_backward(gU, gS, gVh, U, S, Vh)


def _svd_vectors_backward(gU, gS, gVh, U, S, Vh):
    # PyTorch's svd_backward (real case): infinite at repeated singular values
    m, n = U.shape[-2], Vh.shape[-1]
    UhgU = matmul(U.mT, gU)
    UhgU = UhgU - UhgU.mT
    VhgV = matmul(Vh, gVh.mT)
    VhgV = VhgV - VhgV.mT
    S2 = S * S
    E = S2.unsqueeze(-2) - S2.unsqueeze(-1)
    E = E + diag_embed(S * 0 + 1)
    gA = (UhgU * S.unsqueeze(-2) + S.unsqueeze(-1) * VhgV) / E + diag_embed(gS)
    if m > n:
        gA = matmul(U, gA)
        gUSinv = gU / S.unsqueeze(-2)
        gA = gA + gUSinv - matmul(U, matmul(U.mT, gUSinv))
        return matmul(gA, Vh)
    if m < n:
        gA = matmul(gA, Vh)
        SinvgVh = gVh / S.unsqueeze(-1)
        gA = gA + SinvgVh - matmul(matmul(SinvgVh, Vh.mT), Vh)
        return matmul(U, gA)
    return matmul(U, matmul(gA, Vh))


def linalg_svd(A, full_matrices=True):
    """(U, S, Vh) with A = U diag(S) Vh, S descending; U (..., m, m) and Vh (..., n, n)
    when `full_matrices`, else k = min(m, n) columns / rows."""
    return return_type("linalg_svd", ("U", "S", "Vh"))(*_svd(A, full_matrices))


def svdvals(A):
    """The singular values (descending) of each matrix."""
    return _svd(A, False, True, "linalg.svdvals")[1]


def svd(A, some=True, compute_uv=True):
    """``torch.svd``: (U, S, V) with A = U diag(S) V^T (V, not Vh); reduced when `some`."""
    U, S, Vh = _svd(A, not some)
    if not compute_uv:
        from nbgrad._factories import zeros_like
        U, Vh = zeros_like(U), zeros_like(Vh)
    return return_type("svd", ("U", "S", "V"))(U, S, Vh.mT)


def cofactors(A):
    """det(A) A^-T, defined for singular A too: from the SVD A = U S Vh it is
    det(U) det(Vh) U diag(prod_{j != i} S_j) Vh (the gradient of det at any A)."""
    from nbgrad.ops.linalg_solve import _slogdet
    from nbgrad.ops.binary import where
    from nbgrad.ops.reduce import prod
    U, S, Vh = _svd(A, False)
    n = S.shape[-1]
    off = diag_embed(S * 0 + 1) == 0
    others = prod(where(off, S.unsqueeze(-2).expand(S.shape[:-1] + (n, n)), 1.0), -1)
    sign = (_slogdet(U.detach())[0] * _slogdet(Vh.detach())[0])[..., None, None]
    return sign * matmul(U * others.unsqueeze(-2), Vh)


attach_methods(plain=(qr, svd))
