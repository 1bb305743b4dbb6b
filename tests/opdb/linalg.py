"""Op database entries for linear algebra: matrix products, diagonal, trace, einsum."""

import numpy as np

import nbgrad as nb
from nbgrad.ops import linalg
from tests.opdb.common import OpInfo, Sample, uniform

# every rank case of matmul; 2-D @ 2-D and the 1-D cases dispatch to mm / mv / dot
_MATMUL = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
           ((2, 2, 3), (3, 4)), ((3,), (2, 3, 4)), ((2, 2, 3), (3,)), ((2, 3), (2, 3, 4)),
           ((2, 2, 3), (2, 3, 4)), ((2, 1, 2, 3), (3, 3, 2)), ((2, 2, 3), (1, 3, 4))]


def _pairs(cases):
    def make(rng):
        return [Sample((uniform(rng, a), uniform(rng, b)), desc=f"{a}@{b}") for a, b in cases]
    return make


def _transposed_pair(rng, a, b):
    # non-contiguous operands: transposed views
    return Sample((uniform(rng, a[::-1]).T, uniform(rng, b[::-1]).T), desc="transposed")


def _mm_samples(rng):
    return _pairs([((2, 3), (3, 4)), ((1, 5), (5, 1)), ((4, 1), (1, 3)), ((3, 3), (3, 3))])(rng) \
        + [_transposed_pair(rng, (2, 3), (3, 4))]


def _bmm_samples(rng):
    return _pairs([((2, 2, 3), (2, 3, 4)), ((1, 3, 2), (1, 2, 1)), ((3, 1, 2), (3, 2, 2))])(rng)


def _diag_ref(x, offset=0, dim1=0, dim2=1):
    return np.diagonal(x, offset, dim1, dim2)


def _diag_samples(rng):
    x = uniform(rng, (3, 4))
    y = uniform(rng, (2, 3, 4))
    return [Sample((x,), desc="main"), Sample((x, 1), desc="offset1"),
            Sample((x, -2), desc="offset-2"), Sample((x, 5), desc="empty"),
            Sample((y, 0, 0, 2), desc="3d-02"), Sample((y, 1, -1, 1), desc="3d-neg")]


def _scatter_ref(g, shape, offset, d1, d2):
    out = np.zeros(shape)
    view = np.moveaxis(out, (d1, d2), (-2, -1))
    for k in range(g.shape[-1]):
        i, j = (k, k + offset) if offset >= 0 else (k - offset, k)
        view[..., i, j] = g[..., k]
    return out


def _scatter_samples(rng):
    return [Sample((uniform(rng, (3,)), (3, 4), 0, 0, 1), desc="main"),
            Sample((uniform(rng, (2,)), (3, 4), -1, 0, 1), desc="below"),
            Sample((uniform(rng, (2, 3)), (3, 2, 4), 1, 0, 2), desc="3d")]


_EINSUM = [("ij,jk->ik", [(2, 3), (3, 4)]), ("bij,bjk->bik", [(2, 2, 3), (2, 3, 4)]),
           ("ij->ji", [(2, 3)]), ("ii->", [(3, 3)]), ("ii->i", [(3, 3)]), ("ii", [(3, 3)]),
           ("ij->", [(2, 3)]), ("ij->j", [(2, 3)]), ("i,j->ij", [(2,), (3,)]),
           ("i,i->", [(4,)] * 2), ("i,i", [(4,), (1,)]), ("ij,jk", [(2, 3), (3, 4)]),
           ("bn,anm,bm->ba", [(2, 3), (4, 3, 5), (2, 5)]), ("...ij,...jk", [(2, 2, 3), (3, 4)]),
           ("...ij->...ji", [(2, 3, 4)]), ("b...i,b...i->b...", [(2, 3, 4), (2, 1, 4)]),
           ("iij->j", [(2, 2, 3)]), ("ij, jk -> ki", [(2, 3), (3, 4)])]


def _einsum_samples(rng):
    return [Sample((eq,) + tuple(uniform(rng, s) for s in shapes), desc=eq)
            for eq, shapes in _EINSUM]


OPS = [
    OpInfo("matmul", nb.matmul, np.matmul, _pairs(_MATMUL)),
    OpInfo("mm", nb.mm, np.matmul, _mm_samples),
    OpInfo("bmm", nb.bmm, np.matmul, _bmm_samples),
    OpInfo("dot", nb.dot, np.dot, lambda rng: [
        Sample((uniform(rng, (n,)), uniform(rng, (n,))), desc=str(n)) for n in (1, 4, 7)]),
    OpInfo("mv", nb.mv, np.matmul, lambda rng: _pairs([((2, 3), (3,)), ((1, 4), (4,))])(rng)
           + [Sample((uniform(rng, (4, 3)).T, uniform(rng, (8,))[::2]), desc="strided")]),
    OpInfo("outer", nb.outer, np.outer, _pairs([((3,), (4,)), ((1,), (2,))]), composite=True),
    OpInfo("diagonal", nb.diagonal, _diag_ref, _diag_samples),
    OpInfo("diagonal_scatter_zeros", linalg.diagonal_scatter_zeros, _scatter_ref,
           _scatter_samples),
    OpInfo("trace", nb.trace, np.trace, lambda rng: [
        Sample((uniform(rng, s),), desc=str(s)) for s in ((3, 3), (2, 4), (4, 2), (1, 1))]),
    OpInfo("einsum", nb.einsum, np.einsum, _einsum_samples, composite=True),
]
