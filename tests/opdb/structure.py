"""Op database entries for the structural ops: diag_embed, diag, diagflat,
meshgrid, cartesian_prod, kron, cross, cdist and nan_to_num (references from
NumPy; PyTorch's own outcomes are recorded in
tests/differential/cases_sorting.py).  cdist samples keep every pair of rows
apart (the p-norm is not differentiable at 0) and every coordinate
difference nonzero."""

import itertools

import numpy as np

import nbgrad as nb
from tests.opdb.common import OpInfo, Sample, uniform


def _np_diag_embed(x, offset=0, dim1=-2, dim2=-1):
    n = x.shape[-1] + abs(offset)
    out = np.zeros(x.shape[:-1] + (n, n), x.dtype)
    k = np.arange(x.shape[-1])
    rows, cols = (k, k + offset) if offset >= 0 else (k - offset, k)
    out[..., rows, cols] = x
    return np.moveaxis(out, (-2, -1), (dim1 % out.ndim, dim2 % out.ndim))


def _diag_embed_samples(rng):
    return [Sample((uniform(rng, (3,)),), desc="1d"),
            Sample((uniform(rng, (2, 3)),), {"offset": 1}, desc="offset"),
            Sample((uniform(rng, (2, 3)),), {"offset": -2, "dim1": 0, "dim2": 2}, desc="dims"),
            Sample((uniform(rng, (2, 3)),), {"dim1": -1, "dim2": 0}, desc="dims-reversed")]


def _diag_samples(rng):
    return [Sample((uniform(rng, (3,)),), desc="1d"),
            Sample((uniform(rng, (3,)), -1), desc="1d-offset"),
            Sample((uniform(rng, (3, 4)),), desc="2d"),
            Sample((uniform(rng, (3, 4)), 2), desc="2d-offset"),
            Sample((uniform(rng, (4, 3)).T, -1), desc="2d-transposed")]


def _diagflat_samples(rng):
    return [Sample((uniform(rng, (2, 2)),), desc="2d"),
            Sample((uniform(rng, (3,)), 1), desc="offset"),
            Sample((uniform(rng, ()),), desc="0d")]


def _meshgrid(*ts, indexing="ij"):
    return nb.meshgrid(*ts, indexing=indexing)


def _np_meshgrid(*xs, indexing="ij"):
    return tuple(np.meshgrid(*[np.atleast_1d(x) for x in xs], indexing=indexing))


def _meshgrid_samples(rng):
    return [Sample((uniform(rng, (3,)), uniform(rng, (2,))), desc="ij"),
            Sample((uniform(rng, (3,)), uniform(rng, (2,)), uniform(rng, (4,))),
                   {"indexing": "xy"}, desc="xy-3"),
            Sample((uniform(rng, (2,)), uniform(rng, ())), desc="0d"),
            Sample((uniform(rng, (3,)),), {"indexing": "xy"}, desc="one")]


def _np_cartesian(*xs):
    if len(xs) == 1:
        return xs[0].copy()
    return np.array(list(itertools.product(*xs)), dtype=np.result_type(*xs))


def _cartesian_samples(rng):
    return [Sample((uniform(rng, (3,)), uniform(rng, (2,))), desc="two"),
            Sample((uniform(rng, (2,)), uniform(rng, (2,)), uniform(rng, (3,))), desc="three"),
            Sample((uniform(rng, (4,)),), desc="one")]


def _kron_samples(rng):
    return [Sample((uniform(rng, (2, 3)), uniform(rng, (2, 2))), desc="2d"),
            Sample((uniform(rng, (3,)), uniform(rng, (2, 2))), desc="1d-2d"),
            Sample((uniform(rng, (2, 1, 2)), uniform(rng, (3, 2))), desc="3d-2d"),
            Sample((uniform(rng, ()), uniform(rng, (2,))), desc="0d")]


def _np_cross(a, b, dim=None):
    if dim is None:
        dim = next(d for d, n in enumerate(a.shape) if n == 3)
    a, b = np.broadcast_arrays(a, b)
    return np.cross(a, b, axis=dim)


def _cross_samples(rng):
    return [Sample((uniform(rng, (3,)), uniform(rng, (3,))), desc="1d"),
            Sample((uniform(rng, (4, 3)), uniform(rng, (4, 3))), {"dim": 1}, desc="dim1"),
            Sample((uniform(rng, (3, 2)), uniform(rng, (3, 1))), {"dim": 0}, desc="broadcast"),
            Sample((uniform(rng, (2, 3, 3)), uniform(rng, (2, 3, 3))), desc="default-dim")]


def _np_cdist(x1, x2, p=2.0, **kw):
    diff = np.abs(x1[..., :, None, :] - x2[..., None, :, :])
    if p == 0:
        return (diff != 0).sum(-1).astype(x1.dtype)
    if p == np.inf:
        return diff.max(-1)
    return (diff ** p).sum(-1) ** (1 / p)


def _cdist_samples(rng):
    def pts(*shape):
        return uniform(rng, shape, (-2, 2))
    return [Sample((pts(3, 2), pts(4, 2)), desc="p2"),
            Sample((pts(2, 3, 2), pts(2, 2, 2)), {"p": 1.0}, desc="p1-batched"),
            Sample((pts(3, 3), pts(2, 3)), {"p": 3.0}, desc="p3"),
            Sample((pts(3, 2), pts(2, 2)), {"p": 0.5}, desc="p0.5"),
            Sample((pts(3, 2), pts(2, 2)), {"p": float("inf")}, desc="pinf"),
            Sample((pts(3, 2), pts(2, 2)), {"p": 0.0}, desc="p0"),
            Sample((pts(1, 3, 2), pts(2, 4, 2)), desc="broadcast-batch")]


def _nan_to_num_samples(rng):
    return [Sample((uniform(rng, (2, 3)),), desc="finite"),
            Sample((uniform(rng, (4,)),), {"nan": 1.0, "posinf": 2.0, "neginf": -3.0},
                   desc="finite-args")]


def _special(rng):
    x = np.array([np.nan, np.inf, -np.inf, 1.5, -0.5])
    return [Sample((x,), desc="defaults"),
            Sample((x,), {"nan": 1.0, "posinf": 2.0, "neginf": -3.0}, desc="given"),
            Sample((np.array([1, 2, 3]),), {"nan": 0.5}, desc="int")]


def _np_nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    return np.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)


def _tuple(fn):
    def call(*a, **kw):
        return tuple(fn(*a, **kw))
    return call


OPS = [
    OpInfo("diag_embed", nb.diag_embed, _np_diag_embed, _diag_embed_samples),
    OpInfo("diag", nb.diag, lambda x, k=0: np.diag(x, k), _diag_samples, composite=True),
    OpInfo("diagflat", nb.diagflat, lambda x, k=0: np.diagflat(x, k), _diagflat_samples,
           composite=True),
    OpInfo("meshgrid", _tuple(_meshgrid), _np_meshgrid, _meshgrid_samples, composite=True),
    OpInfo("cartesian_prod", nb.cartesian_prod, _np_cartesian, _cartesian_samples,
           composite=True),
    OpInfo("cartesian_prod", nb.cartesian_prod, _np_cartesian,
           lambda rng: [Sample((np.array([1, 2]), np.array([3, 4, 5])), desc="ints")],
           grad=False, gradgrad=False, composite=True, variant="ints"),
    OpInfo("kron", nb.kron, np.kron, _kron_samples, composite=True),
    OpInfo("cross", nb.cross, _np_cross, _cross_samples, composite=True),
    OpInfo("cdist", nb.cdist, _np_cdist, _cdist_samples),
    OpInfo("nan_to_num", nb.nan_to_num, _np_nan_to_num, _nan_to_num_samples),
    OpInfo("nan_to_num", nb.nan_to_num, _np_nan_to_num, _special, grad=False, gradgrad=False,
           variant="special"),
]
