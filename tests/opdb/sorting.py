"""Op database entries for sorting, selecting, searching and counting: sort,
argsort, msort, topk, kthvalue, median, nanmedian, mode, unique,
unique_consecutive, searchsorted, bucketize, histc, histogram, bincount.

References are NumPy's stable sorts and searches (``kind="stable"``: ties keep
their input order, as nbgrad's and PyTorch's ``stable=True`` sorts).  Samples
that are differentiated have distinct values (a tie makes the derivative of a
selection ambiguous); ties, NaNs and repeated values are in the ``ties``
variants, which check values only.  PyTorch's own outcomes for these ops are
recorded in tests/differential/cases_sorting.py.
"""

import numpy as np

import nbgrad as nb
from tests.opdb.common import OpInfo, Sample, uniform


def _np_sort(x, dim=-1, descending=False, stable=True):
    if x.ndim == 0:
        return x.copy(), np.zeros((), np.int64)
    idx = np.argsort(-x if descending else x, axis=dim, kind="stable")
    return np.take_along_axis(x, idx, dim), idx


def _np_topk(x, k, dim=-1, largest=True, sorted=True):
    v, i = _np_sort(x, dim, largest)
    if x.ndim == 0:
        return v, i
    return np.take(v, range(k), dim), np.take(i, range(k), dim)


def _select(x, dim, keepdim, pos):
    """(value, index) at sorted position pos(row) of every row along dim."""
    if x.ndim == 0:
        return x.copy(), np.zeros((), np.int64)
    v, i = _np_sort(x, dim)
    n = x.shape[dim]
    v, i = np.take(v, [pos(n)], dim), np.take(i, [pos(n)], dim)
    return (v, i) if keepdim else (np.squeeze(v, dim), np.squeeze(i, dim))


def _np_kthvalue(x, k, dim=-1, keepdim=False):
    return _select(x, dim, keepdim, lambda n: k - 1)


def _np_median_dim(x, dim, keepdim=False):
    return _select(x, dim, keepdim, lambda n: (n - 1) // 2)


def _np_median(x):
    flat = np.sort(x.reshape(-1), kind="stable")
    if np.isnan(flat).any():
        return np.asarray(np.nan, x.dtype)
    return np.asarray(flat[(flat.size - 1) // 2])


def _np_nanmedian(x):
    flat = np.sort(x.reshape(-1)[~np.isnan(x.reshape(-1))], kind="stable")
    return np.asarray(flat[(flat.size - 1) // 2] if flat.size else np.nan, x.dtype)


def _np_mode_row(row):
    values, counts = np.unique(row, return_counts=True)
    best = values[np.argmax(counts)]   # argmax: the first (smallest) of the most frequent
    return best, np.nonzero(row == best)[0][-1]


def _np_mode(x, dim=-1, keepdim=False):
    if x.ndim == 0:
        return x.copy(), np.zeros((), np.int64)
    moved = np.moveaxis(x, dim, -1)
    pairs = [_np_mode_row(r) for r in moved.reshape(-1, moved.shape[-1])]
    v = np.array([p[0] for p in pairs], x.dtype).reshape(moved.shape[:-1])
    i = np.array([p[1] for p in pairs], np.int64).reshape(moved.shape[:-1])
    return (np.expand_dims(v, dim), np.expand_dims(i, dim)) if keepdim else (v, i)


def _distinct(rng, shape):
    """Values with no ties (a random permutation of a spaced grid)."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.37 - n * 0.15 + rng.uniform(-0.1, 0.1, n)).reshape(shape)


def _ties(rng, shape, k=3):
    return rng.integers(0, k, shape).astype(np.float64)


def _dim_samples(rng, extra=None, keepdim=True):
    extra = extra or {}
    out = [Sample((_distinct(rng, (5,)),), dict(extra, dim=0), desc="1d"),
           Sample((_distinct(rng, (2, 3, 4)),), dict(extra, dim=1), desc="dim1"),
           Sample((_distinct(rng, (3, 4)),), dict(extra, dim=0), desc="dim0"),
           Sample((_distinct(rng, ()),), dict(extra, dim=0), desc="0d")]
    if keepdim:
        out.append(Sample((_distinct(rng, (3, 4)),), dict(extra, dim=-1, keepdim=True),
                          desc="keepdim"))
    out.append(Sample((_distinct(rng, (4, 3)).T,), dict(extra, dim=1), desc="transposed"))
    return out


def _sort_samples(rng):
    return [Sample((_distinct(rng, (5,)),), desc="1d"),
            Sample((_distinct(rng, (2, 3, 4)),), {"dim": 1}, desc="dim1"),
            Sample((_distinct(rng, (3, 4)),), {"dim": 0, "descending": True}, desc="desc"),
            Sample((_distinct(rng, ()),), desc="0d"),
            Sample((_distinct(rng, (4, 3)).T,), {"dim": -1, "stable": True}, desc="transposed")]


def _tie_sort_samples(rng):
    return [Sample((_ties(rng, (12,)),), {"stable": True}, desc="ties"),
            Sample((_ties(rng, (3, 8)),), {"dim": 1, "descending": True, "stable": True},
                   desc="ties-desc"),
            Sample((_ties(rng, (6, 2)),), {"dim": 0, "stable": True}, desc="ties-dim0"),
            Sample((np.zeros((0, 3)),), {"dim": 0}, desc="empty")]


def _topk_samples(rng):
    return [Sample((_distinct(rng, (6,)), 3), desc="1d"),
            Sample((_distinct(rng, (2, 5, 3)), 2), {"dim": 1}, desc="dim1"),
            Sample((_distinct(rng, (4, 3)), 2), {"dim": 0, "largest": False}, desc="smallest"),
            Sample((_distinct(rng, (4,)), 0), desc="k0"),
            Sample((_distinct(rng, ()), 1), desc="0d")]


def _kth_samples(rng):
    return [Sample((_distinct(rng, (6,)), 2), desc="1d"),
            Sample((_distinct(rng, (2, 5, 3)), 5), {"dim": 1}, desc="dim1-last"),
            Sample((_distinct(rng, (4, 3)), 1), {"dim": 0, "keepdim": True}, desc="keepdim"),
            Sample((_distinct(rng, ()), 1), desc="0d")]


def _median_all_samples(rng):
    return [Sample((_distinct(rng, (5,)),), desc="odd"),
            Sample((_distinct(rng, (2, 3)),), desc="even-lower"),
            Sample((_distinct(rng, ()),), desc="0d"),
            Sample((_distinct(rng, (4, 3)).T,), desc="transposed")]


def _median_nan_samples(rng):
    x = _distinct(rng, (3, 5))
    x[0, 1] = x[2, 0] = x[2, 3] = np.nan
    return [Sample((x,), desc="nan-all"), Sample((x,), {"dim": 1}, desc="nan-dim"),
            Sample((x,), {"dim": 0, "keepdim": True}, desc="nan-dim0"),
            Sample((np.full((2, 2), np.nan),), {"dim": 1}, desc="all-nan")]


def _median_nan_ref(all_fn, dim_fn):
    def ref(x, dim=None, keepdim=False):
        if dim is None:
            return all_fn(x)
        moved = np.moveaxis(x, dim, -1)
        rows = moved.reshape(-1, moved.shape[-1])
        pairs = [dim_fn(r) for r in rows]
        v = np.array([p[0] for p in pairs], x.dtype).reshape(moved.shape[:-1])
        i = np.array([p[1] for p in pairs], np.int64).reshape(moved.shape[:-1])
        return (np.expand_dims(v, dim), np.expand_dims(i, dim)) if keepdim else (v, i)
    return ref


def _median_row(r):
    nans = np.nonzero(np.isnan(r))[0]
    if nans.size:
        return np.nan, nans[0]
    i = np.argsort(r, kind="stable")[(r.size - 1) // 2]
    return r[i], i


def _nanmedian_row(r):
    keep = np.nonzero(~np.isnan(r))[0]
    if not keep.size:
        return np.nan, 0
    i = keep[np.argsort(r[keep], kind="stable")[(keep.size - 1) // 2]]
    return r[i], i


def _median_call(fn):
    def call(x, dim=None, keepdim=False):
        return fn(x) if dim is None else tuple(fn(x, dim, keepdim))
    return call


def _mode_samples(rng):
    return [Sample((_ties(rng, (9,)),), desc="1d"),
            Sample((_ties(rng, (3, 7)),), {"dim": 1}, desc="dim1"),
            Sample((_ties(rng, (6, 2), 4),), {"dim": 0, "keepdim": True}, desc="dim0"),
            Sample((_distinct(rng, ()),), desc="0d")]


def _tuple(fn):
    def call(*a, **kw):
        return tuple(fn(*a, **kw))
    return call


def _np_unique(x, return_inverse=False, return_counts=False):
    u, inv, cnt = np.unique(x, return_inverse=True, return_counts=True)
    out = (u,) + ((inv.reshape(x.shape),) if return_inverse else ()) + \
        ((cnt,) if return_counts else ())
    return out if len(out) > 1 else u


def _np_unique_consecutive(x, return_inverse=False, return_counts=False):
    flat = x.reshape(-1)
    starts = [k for k in range(flat.size) if k == 0 or flat[k] != flat[k - 1]]
    u = flat[starts]
    cnt = np.diff(starts + [flat.size]).astype(np.int64)
    inv = np.repeat(np.arange(len(starts)), cnt).reshape(x.shape)
    out = (u,) + ((inv,) if return_inverse else ()) + ((cnt,) if return_counts else ())
    return out if len(out) > 1 else u


def _unique_samples(rng):
    return [Sample((_ties(rng, (10,), 4),), desc="1d"),
            Sample((_ties(rng, (3, 4), 5),), {"return_inverse": True}, desc="inverse"),
            Sample((rng.integers(-3, 3, (2, 5)),), {"return_counts": True,
                                                   "return_inverse": True}, desc="int"),
            Sample((np.zeros((0,)),), {"return_counts": True}, desc="empty")]


def _np_unique_dim(x, dim, return_inverse=False, return_counts=False):
    u, inv, cnt = np.unique(x, axis=dim, return_inverse=True, return_counts=True)
    out = (u,) + ((inv.reshape(-1),) if return_inverse else ()) + \
        ((cnt,) if return_counts else ())
    return out if len(out) > 1 else u


def _np_unique_consecutive_dim(x, dim, return_inverse=False, return_counts=False):
    m = np.moveaxis(x, dim, 0)
    starts = [k for k in range(m.shape[0]) if k == 0 or not np.array_equal(m[k], m[k - 1])]
    u = np.moveaxis(m[starts], 0, dim)
    cnt = np.diff(starts + [m.shape[0]]).astype(np.int64)
    inv = np.repeat(np.arange(len(starts)), cnt)
    out = (u,) + ((inv,) if return_inverse else ()) + ((cnt,) if return_counts else ())
    return out if len(out) > 1 else u


def _unique_dim_samples(rng):
    rows = _ties(rng, (6, 3), 2)   # two values: repeated rows and columns
    return [Sample((rows,), {"dim": 0, "return_inverse": True, "return_counts": True},
                   desc="rows"),
            Sample((rows,), {"dim": 1, "return_counts": True}, desc="columns"),
            Sample((rng.integers(0, 2, (3, 2, 4)),), {"dim": -1, "return_inverse": True},
                   desc="int-3d"),
            Sample((np.repeat(rows, 2, axis=0),), {"dim": 0}, desc="runs")]


def _np_searchsorted(seq, values, right=False, side=None, sorter=None, out_int32=False):
    s = "right" if right or side == "right" else "left"
    dtype = np.int32 if out_int32 else np.int64
    if seq.ndim == 1:
        return np.searchsorted(seq, values, side=s, sorter=sorter).astype(dtype)
    rows = [np.searchsorted(a, v, side=s, sorter=None if sorter is None else o)
            for a, v, o in zip(seq.reshape(-1, seq.shape[-1]),
                               values.reshape(-1, values.shape[-1]),
                               (sorter if sorter is not None else seq).reshape(-1,
                                                                            seq.shape[-1]))]
    return np.array(rows, dtype).reshape(values.shape)


def _search_samples(rng):
    seq = np.sort(uniform(rng, (6,)))
    seq2 = np.sort(uniform(rng, (2, 3, 5)), axis=-1)
    perm = rng.permutation(6)
    vals = np.concatenate([uniform(rng, (4,), (-3, 3)), seq[[1, 4]]])
    return [Sample((seq, vals), desc="1d"),
            Sample((seq, vals.reshape(2, 3)), {"right": True}, desc="right-nd-values"),
            Sample((seq2, uniform(rng, (2, 3, 4))), {"side": "right"}, desc="nd"),
            Sample((seq[perm], vals), {"sorter": np.argsort(perm)}, desc="sorter"),
            Sample((seq, vals), {"out_int32": True}, desc="int32"),
            Sample((np.arange(5) * 2, np.array([-1, 0, 3, 8, 9])), desc="ints")]


def _bucket_samples(rng):
    edges = np.sort(uniform(rng, (5,)))
    return [Sample((uniform(rng, (2, 3), (-3, 3)), edges), desc="2d"),
            Sample((np.concatenate([edges, uniform(rng, (3,))]), edges), {"right": True},
                   desc="right-on-edges")]


def _np_bucketize(x, boundaries, right=False, out_int32=False):
    return np.searchsorted(boundaries, x, side="right" if right else "left").astype(
        np.int32 if out_int32 else np.int64)


def _np_histc(x, bins=100, min=0, max=0):
    lo, hi = (float(x.min()), float(x.max())) if min == max and x.size else (min, max)
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    return np.histogram(x, bins, (lo, hi))[0].astype(x.dtype)


def _np_histogram(x, bins, range=None, weight=None, density=False):
    hist, edges = np.histogram(x, bins, range, weights=weight, density=density)
    return hist.astype(x.dtype), edges.astype(x.dtype)


def _hist_samples(rng):
    x = uniform(rng, (40,), (-2, 2))
    return [Sample((x,), {"bins": 7}, desc="data-range"),
            Sample((x.reshape(4, 10),), {"bins": 5, "min": -1, "max": 1.5}, desc="range"),
            Sample((np.array([1.0, 1.0, 1.0]),), {"bins": 3}, desc="one-value"),
            Sample((np.array([0.0, 0.5, 1.0, 2.0, -1.0]),), {"bins": 2, "min": 0, "max": 1},
                   desc="edges")]


def _histogram_samples(rng):
    x = uniform(rng, (30,), (-2, 2))
    w = uniform(rng, (30,), (0, 1))
    return [Sample((x, 6), desc="int-bins"),
            Sample((x, 4), {"range": (-1.0, 1.0), "weight": w}, desc="weighted-range"),
            Sample((x, np.array([-2.0, -0.5, 0.0, 1.5, 2.0])), {"density": True},
                   desc="edges-density"),
            Sample((x, 5), {"density": True}, desc="density")]


def _np_bincount(x, weights=None, minlength=0):
    out = np.bincount(x, weights, minlength)
    if weights is not None and weights.dtype == np.float32:
        return out.astype(np.float32)
    return out


def _bincount_samples(rng):
    x = rng.integers(0, 6, (20,))
    return [Sample((x,), desc="counts"),
            Sample((x, uniform(rng, (20,))), desc="weights"),
            Sample((x,), {"minlength": 9}, desc="minlength"),
            Sample((np.zeros((0,), np.int64),), {"minlength": 2}, desc="empty")]


def _as_tensor(a, like, dtype=None):
    """A kwarg array as a tensor beside `like` (the harnesses convert positional arrays only)."""
    if a is None or isinstance(a, nb.Tensor):
        return a
    return nb.tensor(a, dtype=dtype, device=like.device)


def _searchsorted(seq, values, sorter=None, **kw):
    return nb.searchsorted(seq, values, sorter=_as_tensor(sorter, seq), **kw)


def _histogram(x, bins, weight=None, **kw):
    return tuple(nb.histogram(x, bins, weight=_as_tensor(weight, x, x.dtype), **kw))


def _no_grad(name, call, ref, samples, **kw):
    return OpInfo(name, call, ref, samples, grad=False, gradgrad=False, **kw)


OPS = [
    OpInfo("sort", _tuple(nb.sort), _np_sort, _sort_samples),
    _no_grad("sort", _tuple(nb.sort), _np_sort, _tie_sort_samples, variant="ties"),
    _no_grad("argsort", nb.argsort, lambda *a, **k: _np_sort(*a, **k)[1], _sort_samples,
             composite=True),
    OpInfo("msort", nb.msort, lambda x: _np_sort(x, 0)[0],
           lambda rng: [Sample((_distinct(rng, (4, 3)),), desc="2d")], composite=True),
    OpInfo("topk", _tuple(nb.topk), _np_topk, _topk_samples),
    OpInfo("kthvalue", _tuple(nb.kthvalue), _np_kthvalue, _kth_samples),
    OpInfo("median", nb.median, _np_median, _median_all_samples),
    OpInfo("median.dim", _tuple(nb.median), _np_median_dim,
           lambda rng: _dim_samples(rng)),
    _no_grad("median", _median_call(nb.median), _median_nan_ref(_np_median, _median_row),
             _median_nan_samples, variant="nan"),
    OpInfo("nanmedian", nb.nanmedian, _np_nanmedian, _median_all_samples),
    OpInfo("nanmedian.dim", _tuple(nb.nanmedian), _np_median_dim,
           lambda rng: _dim_samples(rng)),
    _no_grad("nanmedian", _median_call(nb.nanmedian),
             _median_nan_ref(_np_nanmedian, _nanmedian_row), _median_nan_samples,
             variant="nan"),
    _no_grad("mode", _tuple(nb.mode), _np_mode, _mode_samples),
    _no_grad("unique", nb.unique, _np_unique, _unique_samples),
    _no_grad("unique_consecutive", nb.unique_consecutive, _np_unique_consecutive,
             _unique_samples),
    _no_grad("unique_dim", nb.unique, _np_unique_dim, _unique_dim_samples),
    _no_grad("unique_consecutive", nb.unique_consecutive, _np_unique_consecutive_dim,
             _unique_dim_samples, variant="dim"),
    _no_grad("searchsorted", _searchsorted, _np_searchsorted, _search_samples),
    _no_grad("bucketize", nb.bucketize, _np_bucketize, _bucket_samples, composite=True),
    _no_grad("histc", nb.histc, _np_histc, _hist_samples),
    _no_grad("histogram", _histogram, _np_histogram, _histogram_samples),
    _no_grad("bincount", nb.bincount, _np_bincount, _bincount_samples),
]
