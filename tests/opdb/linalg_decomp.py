"""Op database entries for ``nb.linalg``: factorizations, solvers, decompositions,
norms and chained products (values against NumPy, float64 gradcheck and
gradgradcheck, the CUDA device).

Inputs are well conditioned where the gradient needs it: general matrices
are diagonally dominant, symmetric ones are ``X + X^T`` of a sample whose
symmetric part is positive definite (the call symmetrizes, as PyTorch's
OpInfos do, so that any perturbation of X stays in the op's domain), and
decompositions with a sign or rotation freedom (eigh, svd) are checked
through gauge-invariant functions of their outputs (V * V, U_k Vh_k), where
random matrices have distinct eigenvalues and singular values.
"""

import numpy as np

import nbgrad as nb
from tests.opdb.common import OpInfo, Sample, uniform


def general(rng, shape, scale=1.0):
    """A diagonally dominant (well-conditioned) matrix, or batch of them."""
    n = shape[-1]
    return uniform(rng, shape, (-1.0, 1.0)) * scale + n * np.eye(n) * scale


def spd_half(rng, shape):
    """X with X + X^T symmetric positive definite (and well conditioned)."""
    m = uniform(rng, shape, (-1.0, 1.0))
    n = shape[-1]
    return (m @ np.swapaxes(m, -1, -2) + n * np.eye(n)) / 2 + uniform(rng, shape, (-.3, .3))


def _sym(x):
    return x + np.swapaxes(x, -1, -2)


def _T(t):
    """The transposed view a '-T' sample's call takes (a non-contiguous input)."""
    return t.mT


def _square_samples(make):
    def samples(rng):
        return [Sample((make(rng, (3, 3)),), desc="3x3"),
                Sample((make(rng, (2, 3, 3)),), desc="batch"),
                Sample((make(rng, (1, 1)),), desc="1x1"),
                Sample((make(rng, (4, 4)),), {"_t": True}, desc="transposed")]
    return samples


def _viewed(fn):
    def call(x, *args, _t=False, **kw):
        return fn(_T(x) if _t else x, *args, **kw)
    return call


def _np_viewed(fn):
    def ref(x, *args, _t=False, **kw):
        return fn(np.swapaxes(x, -1, -2) if _t else x, *args, **kw)
    return ref


# -- solvers --------------------------------------------------------------------------------
def _solve_ref(A, B, left=True):
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    if vector:
        return np.linalg.solve(A, B[..., None])[..., 0]
    if not left:
        return np.swapaxes(np.linalg.solve(np.swapaxes(A, -1, -2), np.swapaxes(B, -1, -2)),
                           -1, -2)
    return np.linalg.solve(A, B)


def _solve_samples(rng):
    g = general
    return [Sample((g(rng, (3, 3)), uniform(rng, (3, 2))), desc="matrix"),
            Sample((g(rng, (3, 3)), uniform(rng, (3,))), desc="vector"),
            Sample((g(rng, (2, 3, 3)), uniform(rng, (2, 3))), desc="batch-vector"),
            Sample((g(rng, (2, 3, 3)), uniform(rng, (3, 2))), desc="broadcast-B"),
            Sample((g(rng, (3, 3)), uniform(rng, (2, 3, 1))), desc="broadcast-A"),
            Sample((g(rng, (3, 3)), uniform(rng, (2, 3))), {"left": False}, desc="right")]


def _tri(A, upper, unit):
    T = np.triu(A) if upper else np.tril(A)
    if unit:
        n = A.shape[-1]
        T = T * (1 - np.eye(n)) + np.eye(n)
    return T


def _trsm_ref(A, B, upper, left=True, unitriangular=False):
    T = _tri(A, upper, unitriangular)
    if left:
        return np.linalg.solve(T, B)
    return np.swapaxes(np.linalg.solve(np.swapaxes(T, -1, -2), np.swapaxes(B, -1, -2)), -1, -2)


def _trsm_samples(rng):
    g = general
    out = []
    for upper in (True, False):
        for left in (True, False):
            b = (3, 2) if left else (2, 3)
            out.append(Sample((g(rng, (3, 3)), uniform(rng, b)), {"upper": upper, "left": left},
                              desc=f"upper={upper},left={left}"))
    out.append(Sample((g(rng, (3, 3)), uniform(rng, (2, 3, 2))),
                      {"upper": False, "unitriangular": True}, desc="unit-broadcast"))
    out.append(Sample((g(rng, (2, 3, 3)), uniform(rng, (3, 1))), {"upper": True},
                      desc="batch-A"))
    return out


def _chol_call(X, upper=False, _t=False):
    X = _T(X) if _t else X
    return nb.linalg.cholesky(X + X.mT, upper=upper)


def _chol_ref(X, upper=False, _t=False):
    L = np.linalg.cholesky(_sym(X))
    return np.swapaxes(L, -1, -2) if upper else L


def _chol_samples(rng):
    return _square_samples(spd_half)(rng) + [
        Sample((spd_half(rng, (3, 3)),), {"upper": True}, desc="upper")]


def _cs_call(B, L, upper=False):
    return nb.cholesky_solve(B, L.triu() if upper else L.tril(), upper)


def _cs_ref(B, L, upper=False):
    T = np.triu(L) if upper else np.tril(L)
    A = np.swapaxes(T, -1, -2) @ T if upper else T @ np.swapaxes(T, -1, -2)
    return np.linalg.solve(A, np.broadcast_to(B, np.broadcast_shapes(B.shape[:-2], A.shape[:-2])
                                              + B.shape[-2:]))


def _cs_samples(rng):
    g = general
    return [Sample((uniform(rng, (3, 2)), g(rng, (3, 3))), desc="lower"),
            Sample((uniform(rng, (3, 2)), g(rng, (3, 3))), {"upper": True}, desc="upper"),
            Sample((uniform(rng, (2, 3, 1)), g(rng, (3, 3))), desc="broadcast")]


# -- decompositions -------------------------------------------------------------------------
def _qr_samples(rng):
    return [Sample((uniform(rng, s),), {"mode": mode}, desc=f"{s}-{mode}")
            for s, mode in (((4, 3), "reduced"), ((3, 4), "reduced"), ((3, 3), "reduced"),
                            ((2, 4, 3), "reduced"), ((3, 4), "complete"),
                            ((2, 3, 3), "complete"))]


def _qr_complete_samples(rng):
    return [Sample((uniform(rng, (4, 2)),), {"mode": "complete"}, desc="tall"),
            Sample((uniform(rng, (4, 2)),), {"mode": "r"}, desc="r")]


def _eigh_call(X, UPLO="L", _t=False):
    X = _T(X) if _t else X
    w, V = nb.linalg.eigh(X + X.mT, UPLO)
    return w, V * V


def _eigh_ref(X, UPLO="L", _t=False):
    w, V = np.linalg.eigh(_sym(X))
    return w, V * V


def _eigh_samples(rng):
    return _square_samples(spd_half)(rng) + [
        Sample((uniform(rng, (3, 3)),), {"UPLO": "U"}, desc="indefinite-U")]


def _svd_call(A, full_matrices=True):
    U, S, Vh = nb.linalg.svd(A, full_matrices)
    k = S.shape[-1]
    Uk, Vk = U[..., :, :k], Vh[..., :k, :]
    return S, Uk @ Vk, Uk * Uk


def _svd_ref(A, full_matrices=True):
    U, S, Vh = np.linalg.svd(A, full_matrices=False)
    return S, U @ Vh, U * U


def _rect_samples(rng):
    return [Sample((uniform(rng, s),), desc=str(s)) for s in ((3, 3), (4, 2), (2, 4), (2, 3, 2))]


def _svd_samples(rng):
    return _rect_samples(rng) + [Sample((uniform(rng, (4, 3)),), {"full_matrices": False},
                                        desc="reduced")]


def _pinv_call(A, hermitian=False):
    return nb.linalg.pinv(A + A.mT if hermitian else A, hermitian=hermitian)


def _pinv_ref(A, hermitian=False):
    return np.linalg.pinv(_sym(A) if hermitian else A)


def _pinv_samples(rng):
    return _rect_samples(rng) + [Sample((spd_half(rng, (3, 3)),), {"hermitian": True},
                                        desc="hermitian")]


def _lstsq_call(A, B, driver=None):
    r = nb.linalg.lstsq(A, B, driver=driver)
    return (r.solution, r.residuals) if driver == "gelsd" else r.solution


def _lstsq_ref(A, B, driver=None):
    vector = B.ndim == A.ndim - 1
    Bm = B[..., None] if vector else B
    x = np.linalg.pinv(A) @ Bm
    res = ((A @ x - Bm) ** 2).sum(-2)
    x = x[..., 0] if vector else x
    return (x, res) if driver == "gelsd" else x


def _lstsq_samples(rng):
    return [Sample((uniform(rng, (4, 2)), uniform(rng, (4, 3))), desc="tall"),
            Sample((uniform(rng, (2, 4)), uniform(rng, (2, 1))), desc="wide"),
            Sample((general(rng, (3, 3)), uniform(rng, (3,))), desc="vector"),
            Sample((uniform(rng, (2, 4, 3)), uniform(rng, (2, 4, 2))), desc="batch"),
            Sample((uniform(rng, (4, 2)), uniform(rng, (4, 2))), {"driver": "gelsd"},
                   desc="gelsd-residuals")]


def _expm_ref(A):
    """exp(A) by a 30-term Taylor series of A / 2^s, squared s times."""
    s = max(0, int(np.ceil(np.log2(max(np.abs(A).sum(-2).max(), 1e-300)))) + 1)
    X = A / 2.0 ** s
    term = np.broadcast_to(np.eye(A.shape[-1]), A.shape).copy()
    out = term.copy()
    for k in range(1, 30):
        term = term @ X / k
        out = out + term
    for _ in range(s):
        out = out @ out
    return out


def _expm_samples(rng):
    return [Sample((uniform(rng, (3, 3)),), desc="3x3"),
            Sample((uniform(rng, (2, 2, 2)),), desc="batch"),
            Sample((uniform(rng, (3, 3)) * 1e-3,), desc="small"),
            Sample((uniform(rng, (3, 3)) * 3,), desc="squarings"),
            Sample((uniform(rng, (3, 3)),), {"_t": True}, desc="transposed")]


# -- norms and multi_dot ------------------------------------------------------------------------
def _vnorm_ref(x, ord=2, dim=None, keepdim=False):
    a = np.abs(x)
    axis = tuple(dim) if isinstance(dim, (tuple, list)) else dim
    if ord == np.inf:
        return a.max(axis=axis, keepdims=keepdim)
    if ord == -np.inf:
        return a.min(axis=axis, keepdims=keepdim)
    return (a ** ord).sum(axis=axis, keepdims=keepdim) ** (1.0 / ord)


def _vnorm_samples(rng):
    x = uniform(rng, (3, 4))
    return [Sample((x,), desc="2"), Sample((x, 1), desc="1"), Sample((x, 3, 1), desc="3-dim1"),
            Sample((x, np.inf, (0, 1)), desc="inf"), Sample((x, 0.5, 0, True), desc="half")]


def _mnorm_ref(A, ord="fro", dim=(-2, -1), keepdim=False):
    A = np.moveaxis(A, dim, (-2, -1))
    if ord in ("nuc", 2, -2):
        s = np.linalg.svd(A, compute_uv=False)
        r = s.sum(-1) if ord == "nuc" else s.max(-1) if ord == 2 else s.min(-1)
    else:
        r = np.linalg.norm(A, ord, axis=(-2, -1))
    if keepdim:
        for d in sorted(x % (A.ndim) for x in dim):
            r = np.expand_dims(r, d)
    return r


def _mnorm_samples(rng):
    A = uniform(rng, (3, 4))
    B = uniform(rng, (2, 3, 4))
    out = [Sample((A, o), desc=str(o)) for o in ("fro", "nuc", 1, -1, np.inf, -np.inf, 2, -2)]
    out += [Sample((B, "nuc", (0, 2)), desc="nuc-dims"), Sample((B, 1, (2, 0), True),
                                                                desc="1-keepdim"),
            Sample((B, "fro", (-1, 0)), desc="fro-dims"), Sample((B, -2), desc="batch-2")]
    return out


def _norm_ref(A, ord=None, dim=None, keepdim=False):
    return np.linalg.norm(A, ord, dim, keepdim)


def _norm_samples(rng):
    A = uniform(rng, (3, 4))
    v = uniform(rng, (5,))
    return [Sample((A,), desc="all"), Sample((v, 3), desc="vector-3"),
            Sample((A, "nuc"), desc="nuc"), Sample((A, 2), desc="matrix-2"),
            Sample((A, None, 1), desc="dim1"), Sample((A, -np.inf, (1, 0)), desc="dims")]


_CHAINS = [[(3,), (3, 4), (4,)], [(2, 3), (3, 4)], [(2, 5), (5, 1), (1, 4), (4, 3)],
           [(4,), (4, 2), (2, 6), (6, 3)], [(3, 2), (2, 4), (4,)]]


def _multi_dot_samples(rng):
    return [Sample(tuple(uniform(rng, s) for s in chain), desc=str(chain)) for chain in _CHAINS]


def _multi_dot_call(*tensors):
    return nb.linalg.multi_dot(list(tensors))


def _logdet_samples(rng):
    return [Sample((general(rng, (3, 3)),), desc="3x3"),
            Sample((general(rng, (2, 2, 2)),), desc="batch")]


def _logdet_ref(A):
    sign, logabs = np.linalg.slogdet(A)
    return np.where(sign == -1, np.nan, logabs)


def _slogdet_call(A, _t=False):
    r = nb.linalg.slogdet(_T(A) if _t else A)
    return r.logabsdet, r.sign


def _slogdet_ref(A, _t=False):
    sign, logabs = np.linalg.slogdet(np.swapaxes(A, -1, -2) if _t else A)
    return logabs, sign


def _singular_det_samples(rng):
    u, _, vh = np.linalg.svd(uniform(rng, (3, 3)))
    return [Sample(((u * np.array([2.0, 0.7, 0.0])) @ vh,), desc="rank-2")]


OPS = [
    OpInfo("linalg_det", _viewed(nb.linalg.det), _np_viewed(np.linalg.det),
           _square_samples(general)),
    OpInfo("linalg_det", nb.linalg.det, np.linalg.det, _singular_det_samples,
           variant="singular", atol=1e-8),
    OpInfo("linalg_slogdet", _slogdet_call, _slogdet_ref, _square_samples(general)),
    OpInfo("logdet", nb.logdet, _logdet_ref, _logdet_samples, composite=True),
    OpInfo("linalg_inv_ex", _viewed(nb.linalg.inv), _np_viewed(np.linalg.inv),
           _square_samples(general)),
    OpInfo("linalg_solve_ex", nb.linalg.solve, _solve_ref, _solve_samples),
    OpInfo("linalg_solve_triangular", nb.linalg.solve_triangular, _trsm_ref, _trsm_samples),
    OpInfo("linalg_cholesky_ex", _chol_call, _chol_ref, _chol_samples),
    OpInfo("cholesky_solve", _cs_call, _cs_ref, _cs_samples),
    OpInfo("linalg_qr", lambda A, mode="reduced": tuple(nb.linalg.qr(A, mode)),
           lambda A, mode="reduced": np.linalg.qr(A, mode), _qr_samples),
    OpInfo("linalg_qr", lambda A, mode: nb.linalg.qr(A, mode).R,
           lambda A, mode: np.linalg.qr(A, mode) if mode == "r" else np.linalg.qr(A, mode)[1],
           _qr_complete_samples, grad=False, variant="not-differentiable"),
    OpInfo("linalg_eigh", _eigh_call, _eigh_ref, _eigh_samples, rtol=1e-4),
    OpInfo("linalg.eigvalsh", _viewed(lambda X: nb.linalg.eigvalsh(X + X.mT)),
           _np_viewed(lambda X: np.linalg.eigvalsh(_sym(X))), _square_samples(spd_half),
           composite=True),
    OpInfo("linalg_svd", _svd_call, _svd_ref, _svd_samples, rtol=1e-4),
    OpInfo("linalg.svdvals", nb.linalg.svdvals, lambda A: np.linalg.svd(A, compute_uv=False),
           _rect_samples, composite=True),
    OpInfo("linalg_pinv", _pinv_call, _pinv_ref, _pinv_samples, rtol=1e-4),
    OpInfo("linalg_lstsq", _lstsq_call, _lstsq_ref, _lstsq_samples, rtol=1e-4),
    OpInfo("linalg_matrix_exp", _viewed(nb.linalg.matrix_exp), _np_viewed(_expm_ref),
           _expm_samples),
    OpInfo("linalg.vector_norm", nb.linalg.vector_norm, _vnorm_ref, _vnorm_samples,
           composite=True),
    OpInfo("linalg.matrix_norm", nb.linalg.matrix_norm, _mnorm_ref, _mnorm_samples,
           composite=True, rtol=1e-4),
    OpInfo("linalg.norm", nb.linalg.norm, _norm_ref, _norm_samples, composite=True, rtol=1e-4),
    OpInfo("linalg.multi_dot", _multi_dot_call, lambda *ms: np.linalg.multi_dot(ms),
           _multi_dot_samples, composite=True),
]
