"""CPU kernels of the dense linear algebra ops (``nb.linalg``): factorizations,
solves, spectral decompositions and the matrix exponential.

Every function takes C-contiguous batches of matrices, shape (B, m, n), in
float32 or float64, allocates its outputs and returns them; a loop over the
batch runs one ``@njit`` kernel per matrix.  Failures are reported the way
LAPACK reports them, as an ``info`` code per matrix (0: success, k > 0: the
pivot or leading minor k failed), never raised here: the ops raise PyTorch's
errors from the codes.

Two sources of kernels:
- written here, with LAPACK's algorithms and conventions, where PyTorch's
  results or errors depend on them: Cholesky (potf2: the order of the failing
  minor), LU with partial pivoting (getf2: the first zero pivot, the sign of
  the determinant), triangular solves (trsm: a zero diagonal gives inf/nan, no
  error), Householder QR (geqr2/org2r: LAPACK's reflector signs, so Q and R
  equal PyTorch's, and the complete Q of mode='complete');
- Numba's ``np.linalg`` (LAPACK through SciPy's exports) for the iterative
  ones: the symmetric eigensolver (syevd), the SVD (gesdd) and least squares
  (gelsd).
The matrix exponential is Pade(13) scaling and squaring (Higham 2005) in
float64 whatever the input dtype.
"""

import numpy as np
from numba import njit

from nbgrad.backends.cpu.array import cast, contiguous

__all__ = ["cholesky", "lu_det", "slogdet", "inv", "solve", "solve_triangular",
           "cholesky_solve", "qr", "eigh", "svd", "lstsq", "pinv", "matrix_exp"]

_NJIT = dict(cache=True, error_model="numpy")


# -- Cholesky ------------------------------------------------------------------------
@njit(**_NJIT)
def _chol_one(a, L):
    """potf2 (lower): L = tril(a) overwritten column by column; info = the order of
    the first leading minor that is not positive definite (its residue stays)."""
    n = a.shape[0]
    for i in range(n):
        for j in range(i + 1):
            L[i, j] = a[i, j]
    for j in range(n):
        s = L[j, j]
        for k in range(j):
            s -= L[j, k] * L[j, k]
        if not s > 0:   # also NaN
            L[j, j] = s
            return j + 1
        d = np.sqrt(s)
        L[j, j] = d
        for i in range(j + 1, n):
            t = L[i, j]
            for k in range(j):
                t -= L[i, k] * L[j, k]
            L[i, j] = t / d
    return 0


@njit(**_NJIT)
def _chol_batch(a, L, info):
    for b in range(a.shape[0]):
        info[b] = _chol_one(a[b], L[b])


def cholesky(a):
    """(L, info): the lower Cholesky factor of each matrix and its info code."""
    L = np.zeros_like(a)
    info = np.zeros(a.shape[0], np.int32)
    _chol_batch(a, L, info)
    return L, info


# -- LU: determinants, inverses, solves ---------------------------------------------------
@njit(**_NJIT)
def _lu_one(lu, piv):
    """getf2 in place: partial pivoting by the largest |entry| (the first one);
    info = 1 + the index of the first zero pivot (0: none)."""
    n = lu.shape[0]
    info = 0
    for k in range(n):
        p = k
        m = abs(lu[k, k])
        for i in range(k + 1, n):
            if abs(lu[i, k]) > m:
                m = abs(lu[i, k])
                p = i
        piv[k] = p
        if lu[p, k] != 0:
            if p != k:
                for j in range(n):
                    t = lu[k, j]
                    lu[k, j] = lu[p, j]
                    lu[p, j] = t
            for i in range(k + 1, n):
                lu[i, k] /= lu[k, k]
        elif info == 0:
            info = k + 1
        for i in range(k + 1, n):
            f = lu[i, k]
            if f != 0:
                for j in range(k + 1, n):
                    lu[i, j] -= f * lu[k, j]
    return info


@njit(**_NJIT)
def _lu_solve_one(lu, piv, x):
    """getrs: x (n, k) := A^-1 x from the LU factors, in place."""
    n, k = x.shape
    for i in range(n):
        p = piv[i]
        if p != i:
            for c in range(k):
                t = x[i, c]
                x[i, c] = x[p, c]
                x[p, c] = t
    for i in range(n):
        for j in range(i):
            f = lu[i, j]
            if f != 0:
                for c in range(k):
                    x[i, c] -= f * x[j, c]
    for i in range(n - 1, -1, -1):
        for j in range(i + 1, n):
            f = lu[i, j]
            for c in range(k):
                x[i, c] -= f * x[j, c]
        for c in range(k):
            x[i, c] /= lu[i, i]


@njit(**_NJIT)
def _slogdet_batch(a, sign, logabs, det):
    n = a.shape[1]
    piv = np.empty(n, np.int64)
    for b in range(a.shape[0]):
        lu = a[b].copy()
        _lu_one(lu, piv)
        s = 1.0
        la = 0.0
        d = 1.0
        for i in range(n):
            u = lu[i, i]
            d *= u
            if piv[i] != i:
                s = -s
                d = -d
            if u < 0:
                s = -s
            la += np.log(abs(u))
        if la == -np.inf:
            s = 0.0
        sign[b] = s
        logabs[b] = la
        det[b] = d


def slogdet(a):
    """(sign, log|det|, det) of each matrix, from its LU factors."""
    B = a.shape[0]
    sign, logabs, det = (np.empty(B, a.dtype) for _ in range(3))
    _slogdet_batch(a, sign, logabs, det)
    return sign, logabs, det


def lu_det(a):
    """det of each matrix, the product of its LU factors' pivots."""
    return slogdet(a)[2]


@njit(**_NJIT)
def _solve_batch(a, x, info):
    """x := a^-1 x for every matrix of the batch (a and x of the same batch size)."""
    n = a.shape[1]
    piv = np.empty(n, np.int64)
    for b in range(a.shape[0]):
        lu = a[b].copy()
        info[b] = _lu_one(lu, piv)
        _lu_solve_one(lu, piv, x[b])


def solve(a, rhs):
    """(x, info): x = a^-1 rhs, rhs of shape (B, n, k)."""
    x = rhs.copy()
    info = np.zeros(a.shape[0], np.int32)
    _solve_batch(a, x, info)
    return x, info


def inv(a):
    """(a^-1, info) of each matrix."""
    eye = np.zeros_like(a)
    for i in range(a.shape[1]):
        eye[:, i, i] = 1
    info = np.zeros(a.shape[0], np.int32)
    _solve_batch(a, eye, info)
    return eye, info


# -- triangular solves ----------------------------------------------------------------
@njit(**_NJIT)
def _trsm_one(a, x, upper, unit):
    """x := a^-1 x with a triangular (trsm: no check, a zero diagonal gives inf/nan)."""
    n, k = x.shape
    for step in range(n):
        i = n - 1 - step if upper else step
        lo, hi = (i + 1, n) if upper else (0, i)
        for c in range(k):
            s = x[i, c]
            for j in range(lo, hi):
                s -= a[i, j] * x[j, c]
            x[i, c] = s if unit else s / a[i, i]


@njit(**_NJIT)
def _trsm_batch(a, x, upper, unit):
    for b in range(a.shape[0]):
        _trsm_one(a[b], x[b], upper, unit)


def solve_triangular(a, rhs, upper, unit):
    """a^-1 rhs (left side) with a upper or lower triangular (unit: diagonal of ones)."""
    x = rhs.copy()
    _trsm_batch(a, x, bool(upper), bool(unit))
    return x


@njit(**_NJIT)
def _chol_solve_batch(L, x):
    for b in range(L.shape[0]):
        _trsm_one(L[b], x[b], False, False)
        _trsm_one(L[b].T, x[b], True, False)


def cholesky_solve(rhs, L):
    """(L L^T)^-1 rhs for lower triangular L."""
    x = rhs.copy()
    _chol_solve_batch(contiguous(L), x)
    return x


# -- Householder QR ---------------------------------------------------------------------
@njit(**_NJIT)
def _householder(r, i, col):
    """larfg on r[i:, col]: r[i, col] := beta, r[i+1:, col] := v[1:]; returns tau."""
    m = r.shape[0]
    alpha = r[i, col]
    xn = 0.0
    for k in range(i + 1, m):
        xn += r[k, col] * r[k, col]
    if xn == 0.0:
        return 0.0
    beta = -np.sqrt(alpha * alpha + xn)
    if alpha < 0:
        beta = -beta
    tau = (beta - alpha) / beta
    scale = 1.0 / (alpha - beta)
    for k in range(i + 1, m):
        r[k, col] *= scale
    r[i, col] = beta
    return tau


@njit(**_NJIT)
def _reflect(r, i, col, tau, x, j0):
    """x[i:, j0:] := (I - tau v v^T) x[i:, j0:] with v = [1, r[i+1:, col]]."""
    m = x.shape[0]
    for j in range(j0, x.shape[1]):
        s = x[i, j]
        for k in range(i + 1, m):
            s += r[k, col] * x[k, j]
        s *= tau
        x[i, j] -= s
        for k in range(i + 1, m):
            x[k, j] -= s * r[k, col]


@njit(**_NJIT)
def _qr_batch(a, q, r_out, want_q):
    B, m, n = a.shape
    kk = min(m, n)
    tau = np.empty(kk, np.float64)
    for b in range(B):
        r = a[b].copy()
        for i in range(kk):
            tau[i] = _householder(r, i, i)
            _reflect(r, i, i, tau[i], r, i + 1)
        for i in range(r_out.shape[1]):
            for j in range(n):
                r_out[b, i, j] = r[i, j] if j >= i else 0.0
        if want_q:
            qb = q[b]
            for i in range(min(m, qb.shape[1])):
                qb[i, i] = 1.0
            for i in range(kk - 1, -1, -1):
                _reflect(r, i, i, tau[i], qb, i)


def qr(a, complete, want_q=True):
    """(Q, R) by Householder reflections: Q (B, m, k) and R (B, k, n), k = min(m, n),
    or Q (B, m, m) and R (B, m, n) when `complete`; Q is empty when not `want_q`."""
    B, m, n = a.shape
    k = m if complete else min(m, n)
    q = np.zeros((B, m, k) if want_q else (B, 0, 0), a.dtype)
    r = np.empty((B, k, n), a.dtype)
    _qr_batch(a, q, r, want_q)
    return q, r


# -- spectral: eigh, svd, lstsq, pinv (Numba's LAPACK) ------------------------------------------
@njit(**_NJIT)
def _eigh_batch(a, w, v):
    for b in range(a.shape[0]):
        wb, vb = np.linalg.eigh(a[b])
        w[b] = wb
        v[b] = vb


@njit(**_NJIT)
def _eigvalsh_batch(a, w):
    for b in range(a.shape[0]):
        w[b] = np.linalg.eigvalsh(a[b])


def eigh(a, vectors=True):
    """(eigenvalues ascending, eigenvectors as columns) of each symmetric matrix, read
    from its lower triangle; eigenvectors are empty when not `vectors`."""
    B, n, _ = a.shape
    w = np.empty((B, n), a.dtype)
    if n == 0:
        return w, np.empty((B, 0, 0), a.dtype)
    if not vectors:
        _eigvalsh_batch(a, w)
        return w, np.empty((B, 0, 0), a.dtype)
    v = np.empty_like(a)
    _eigh_batch(a, w, v)
    return w, v


@njit(**_NJIT)
def _svd_batch(a, u, s, vh, full):
    for b in range(a.shape[0]):
        ub, sb, vhb = np.linalg.svd(a[b], full_matrices=full)
        u[b] = ub
        s[b] = sb
        vh[b] = vhb


def svd(a, full):
    """(U, S, Vh) of each matrix (gesdd); U (B, m, m or k), Vh (B, n or k, n)."""
    B, m, n = a.shape
    k = min(m, n)
    u = np.zeros((B, m, m if full else k), a.dtype)
    vh = np.zeros((B, n if full else k, n), a.dtype)
    s = np.empty((B, k), a.dtype)
    if k == 0:   # LAPACK refuses empty matrices: U and Vh are identities
        for i in range(u.shape[1]):
            u[:, i, i] = 1
        for i in range(vh.shape[1]):
            vh[:, i, i] = 1
        return u, s, vh
    _svd_batch(a, u, s, vh, bool(full))
    return u, s, vh


@njit(**_NJIT)
def _lstsq_batch(a, rhs, x, res, rank, sv, rcond):
    for b in range(a.shape[0]):
        xb, rb, kb, sb = np.linalg.lstsq(a[b], rhs[b], rcond)
        x[b] = xb
        rank[b] = kb
        sv[b] = sb
        if rb.size == res.shape[1]:
            res[b] = rb
        else:
            res[b] = np.nan


def lstsq(a, rhs, rcond):
    """(x, residuals, rank, singular values) of min ||a x - rhs|| (gelsd): the
    minimum-norm solution; residuals (squared, per column) are NaN unless m > n
    and the matrix has full rank."""
    B, m, n = a.shape
    k = rhs.shape[2]
    x = np.zeros((B, n, k), a.dtype)
    res = np.full((B, k), np.nan, a.dtype)
    rank = np.zeros(B, np.int64)
    sv = np.zeros((B, min(m, n)), a.dtype)
    if min(m, n) and k:
        _lstsq_batch(a, rhs, x, res, rank, sv, rcond)
    return x, res, rank, sv


@njit(**_NJIT)
def _pinv_batch(a, out, atol, rtol, hermitian):
    for b in range(a.shape[0]):
        if hermitian:
            w, v = np.linalg.eigh(a[b])
            big = np.max(np.abs(w))
            cut = max(atol, rtol * big)
            inv = np.where(np.abs(w) > cut, 1.0 / w, 0.0).astype(a.dtype)
            out[b] = (v * inv) @ v.T
        else:
            u, s, vh = np.linalg.svd(a[b], full_matrices=False)
            cut = max(atol, rtol * s[0])
            inv = np.where(s > cut, 1.0 / s, 0.0).astype(a.dtype)
            out[b] = (vh.T * inv) @ u.T


def pinv(a, atol, rtol, hermitian):
    """The pseudo-inverse (B, n, m) of each matrix: singular values (or |eigenvalues|)
    at or below max(atol, rtol * the largest) count as zero."""
    B, m, n = a.shape
    out = np.zeros((B, n, m), a.dtype)
    if min(m, n):
        _pinv_batch(a, out, float(atol), float(rtol), bool(hermitian))
    return out


# -- matrix exponential ---------------------------------------------------------------------
_PADE13 = np.array([64764752532480000., 32382376266240000., 7771770303897600.,
                    1187353796428800., 129060195264000., 10559470521600., 670442572800.,
                    33522128640., 1323241920., 40840800., 960960., 16380., 182., 1.])
_THETA13 = 5.371920351148152


@njit(**_NJIT)
def _expm_one(a, c, theta):
    n = a.shape[0]
    norm1 = 0.0
    for j in range(n):
        s = 0.0
        for i in range(n):
            s += abs(a[i, j])
        norm1 = max(norm1, s)
    sq = 0
    if norm1 > theta:
        sq = int(np.ceil(np.log2(norm1 / theta)))
    x = a / 2.0 ** sq
    eye = np.eye(n)
    x2 = x @ x
    x4 = x2 @ x2
    x6 = x4 @ x2
    u = x @ (x6 @ (c[13] * x6 + c[11] * x4 + c[9] * x2)
             + c[7] * x6 + c[5] * x4 + c[3] * x2 + c[1] * eye)
    v = x6 @ (c[12] * x6 + c[10] * x4 + c[8] * x2) + c[6] * x6 + c[4] * x4 + c[2] * x2 \
        + c[0] * eye
    lu = v - u
    r = v + u
    piv = np.empty(n, np.int64)
    _lu_one(lu, piv)
    _lu_solve_one(lu, piv, r)
    for _ in range(sq):
        r = r @ r
    return r


@njit(**_NJIT)
def _expm_batch(a, out, c, theta):
    for b in range(a.shape[0]):
        out[b] = _expm_one(a[b], c, theta)


def matrix_exp(a):
    """exp(a) of each matrix (computed in float64, returned in a's dtype)."""
    out = np.empty(a.shape, np.float64)
    if a.shape[1]:
        _expm_batch(cast(a, np.dtype(np.float64)), out, _PADE13, _THETA13)
    return out if a.dtype == np.float64 else cast(out, a.dtype)
