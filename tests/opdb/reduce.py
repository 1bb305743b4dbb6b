"""Op database entries for reductions and scans.

Every reduction is sampled over all dims, an int dim, a negative dim, a
tuple of dims (where PyTorch takes one), keepdim, a 0-d input and two
non-contiguous inputs (a transposed view and a strided slice).  A sample's
``_view`` keyword names the view that `call` takes of its tensor (and `ref`
of its array) before the op: the harness itself passes contiguous tensors.
"""

import numpy as np

import nbgrad as nb
from tests.opdb.common import OpInfo, Sample, uniform

_VIEWS = {None: (lambda t: t, lambda a: a),
          "T": (lambda t: t.transpose(0, -1), lambda a: np.swapaxes(a, 0, -1)),
          "step": (lambda t: t[..., ::2], lambda a: a[..., ::2])}


def _viewed(fn, side):
    def call(x, *args, _view=None, **kw):
        return fn(_VIEWS[_view][side](x), *args, **kw)
    return call


def _entry(name, fn, ref, samples, **kw):
    return OpInfo(name, _viewed(fn, 0), None if ref is None else _viewed(ref, 1), samples, **kw)


def _np_dim(kw, x):
    """NumPy's axis/keepdims for a dim/keepdim kwargs: a 0-d tensor takes dim 0
    or -1 and an empty dim tuple means every dim, as in PyTorch."""
    dim = kw.get("dim")
    if isinstance(dim, (list, tuple)):
        dim = tuple(dim) or None
    return dict(axis=None if x.ndim == 0 else dim, keepdims=kw.get("keepdim", False))


def _full_samples(rng, domain=(-2.0, 2.0)):
    """No dim: the whole tensor."""
    return [Sample((uniform(rng, (5,), domain),), desc="1d"),
            Sample((uniform(rng, (2, 3, 4), domain),), desc="3d"),
            Sample((uniform(rng, (), domain),), desc="0d"),
            Sample((uniform(rng, (3, 4), domain),), {"_view": "T"}, desc="transposed"),
            Sample((uniform(rng, (3, 6), domain),), {"_view": "step"}, desc="strided")]


def _int_dim_samples(rng, domain=(-2.0, 2.0)):
    """An int dim (positive, negative, with keepdim), 0-d and non-contiguous."""
    x = uniform(rng, (2, 3, 4), domain)
    return [Sample((x,), {"dim": 1}, desc="dim1"),
            Sample((x,), {"dim": -1, "keepdim": True}, desc="dim-1-keep"),
            Sample((x,), {"dim": 0}, desc="dim0"),
            Sample((uniform(rng, (5,), domain),), {"dim": 0, "keepdim": True}, desc="1d-keep"),
            Sample((uniform(rng, (), domain),), {"dim": 0}, desc="0d-dim0"),
            Sample((uniform(rng, (), domain),), {"dim": -1, "keepdim": True}, desc="0d-keep"),
            Sample((uniform(rng, (3, 4), domain),), {"dim": 0, "_view": "T"},
                   desc="transposed"),
            Sample((uniform(rng, (2, 3, 6), domain),), {"dim": 1, "_view": "step"},
                   desc="strided")]


def _dim_samples(rng, domain=(-2.0, 2.0)):
    """Int and tuple dims (for ops that take either)."""
    x = uniform(rng, (2, 3, 4), domain)
    return _int_dim_samples(rng, domain) + [
        Sample((x,), {"dim": (0, 2)}, desc="dims02"),
        Sample((x,), {"dim": (0, -2), "keepdim": True}, desc="dims0-2-keep"),
        Sample((x,), {"dim": [2, 1]}, desc="dims-list"),
        Sample((x,), {"dim": ()}, desc="dims-empty-all"),
        Sample((uniform(rng, (3, 4, 2), domain),), {"dim": (0, 1), "_view": "T"},
               desc="dims-transposed")]


def _pos(rng):
    return _dim_samples(rng, (0.5, 1.5))


def _np_var(x, dim=None, keepdim=False, correction=1, unbiased=None):
    if unbiased is not None:
        correction = int(unbiased)
    return np.var(x, ddof=correction, **_np_dim(dict(dim=dim, keepdim=keepdim), x))


def _np_lse(x, dim, keepdim=False):
    if x.ndim == 0:
        return x.copy()
    axis = _np_dim(dict(dim=dim), x)["axis"]
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdim else np.squeeze(out, axis=axis)


def _np_norm(p):
    def ref(x, dim=None, keepdim=False):
        ax = np.abs(x)
        kw = _np_dim(dict(dim=dim, keepdim=keepdim), x)
        if p == np.inf:
            return np.max(ax, **kw)
        if p == -np.inf:
            return np.min(ax, **kw)
        if p == 0:
            return np.sum(x != 0, **kw).astype(x.dtype)
        return np.sum(ax ** p, **kw) ** (1 / p)
    return ref


def _var_samples(rng):
    x = uniform(rng, (2, 3, 4))
    return _dim_samples(rng)[:3] + _dim_samples(rng)[6:] + [
        Sample((x,), {"correction": 0}, desc="all-c0"),
        Sample((x,), {"dim": 1, "unbiased": False}, desc="unbiased-false"),
        Sample((x,), {"dim": (0, 2), "correction": 2, "keepdim": True}, desc="c2-keep"),
        Sample((uniform(rng, (5,)),), desc="1d-all")]


def _zeros(shape, where, rng):
    x = uniform(rng, shape, (0.5, 1.5)) * np.where(rng.random(shape) < 0.5, -1, 1)
    for idx in where:
        x[idx] = 0.0
    return x


def _prod_full_samples(rng):
    return _full_samples(rng, (0.5, 1.5)) + [
        Sample((_zeros((2, 3), [(1, 1)], rng),), desc="one-zero"),
        Sample((_zeros((2, 3), [(0, 1), (1, 2)], rng),), desc="two-zeros")]


def _prod_dim_samples(rng):
    return _int_dim_samples(rng, (0.5, 1.5)) + [
        Sample((_zeros((3, 4), [(1, 2)], rng),), {"dim": 1}, desc="one-zero"),
        Sample((_zeros((3, 4), [(1, 0), (1, 3)], rng),), {"dim": -1}, desc="two-zeros"),
        Sample((_zeros((4, 3), [(2, 0), (0, 1), (3, 1)], rng),), {"dim": 0, "keepdim": True},
               desc="zeros-in-columns")]


def _scan_samples(rng, domain=(-2.0, 2.0)):
    x = uniform(rng, (2, 3, 4), domain)
    return [Sample((x,), {"dim": 1}, desc="dim1"),
            Sample((x,), {"dim": -1}, desc="dim-1"),
            Sample((x,), {"dim": 0}, desc="dim0"),
            Sample((uniform(rng, (6,), domain),), {"dim": 0}, desc="1d"),
            Sample((uniform(rng, (), domain),), {"dim": 0}, desc="0d"),
            Sample((uniform(rng, (3, 4), domain),), {"dim": 1, "_view": "T"},
                   desc="transposed"),
            Sample((uniform(rng, (2, 3, 6), domain),), {"dim": 2, "_view": "step"},
                   desc="strided")]


def _np_scan(fn):
    def ref(x, dim, dtype=None):
        return x.copy() if x.ndim == 0 else fn(x, axis=dim)
    return ref


def _bool_samples(rng):
    def mixed(shape):
        return np.where(rng.random(shape) < 0.6, uniform(rng, shape), 0.0)
    x = mixed((2, 3, 4))
    return [Sample((mixed((5,)),), desc="1d"),
            Sample((x,), desc="3d"),
            Sample((x,), {"dim": 1}, desc="dim1"),
            Sample((x,), {"dim": -1, "keepdim": True}, desc="dim-1-keep"),
            Sample((x,), {"dim": (0, 2)}, desc="dims02"),
            Sample((x > 0,), {"dim": 0}, desc="bool-input"),
            Sample((np.zeros((2, 3)),), {"dim": 1}, desc="all-zero"),
            Sample((np.ones((0, 3)),), {"dim": 0}, desc="empty"),
            Sample((mixed(()),), desc="0d"),
            Sample((mixed((3, 4)),), {"dim": 0, "_view": "T"}, desc="transposed")]


def _int_samples(rng):
    x = rng.integers(-3, 4, (2, 3, 4))
    return [Sample((x,), desc="int64"), Sample((x,), {"dim": 1}, desc="int64-dim"),
            Sample((x.astype(np.int32),), {"dim": (0, 2)}, desc="int32"),
            Sample((x > 0,), {"dim": -1}, desc="bool")]


def _np_extrema(np_val, np_idx):
    def ref(x, dim, keepdim=False):
        if x.ndim == 0:
            return x.copy(), np.zeros((), np.int64)
        v = np_val(x, axis=dim, keepdims=keepdim)
        i = np.expand_dims(np_idx(x, axis=dim), dim) if keepdim else np_idx(x, axis=dim)
        return v, i
    return ref


def _np_arg(np_idx):
    def ref(x, dim=None, keepdim=False):
        if dim is None:
            i = np.asarray(np_idx(x))
            return i.reshape((1,) * x.ndim) if keepdim else i
        if x.ndim == 0:
            return np.zeros((), np.int64)
        i = np_idx(x, axis=dim)
        return np.expand_dims(i, dim) if keepdim else i
    return ref


def _arg_samples(rng):
    return _full_samples(rng) + [Sample((uniform(rng, (2, 3)),), {"keepdim": True},
                                        desc="flat-keep")] + _int_dim_samples(rng)


def _sum(x, **kw):
    return np.sum(x, **_np_dim(kw, x))


OPS = [
    _entry("sum", nb.sum, _sum, _full_samples),
    _entry("sum", lambda x: nb.sum(x, dtype=nb.float64),
           lambda x: np.sum(x, dtype=np.float64), _full_samples, variant="dtype"),
    _entry("sum.dim_IntList", nb.sum, _sum, _dim_samples),
    _entry("sum.dim_IntList", lambda x, **kw: nb.sum(x, **kw), _sum, _int_samples,
           grad=False, gradgrad=False, variant="int"),
    _entry("mean", nb.mean, lambda x: np.mean(x), _full_samples),
    _entry("mean.dim", nb.mean, lambda x, **kw: np.mean(x, **_np_dim(kw, x)), _dim_samples),
    _entry("prod", nb.prod, lambda x: np.prod(x), _prod_full_samples),
    _entry("prod.dim_int", nb.prod, lambda x, dim, keepdim=False: np.prod(
        x, axis=dim if x.ndim else None, keepdims=keepdim), _prod_dim_samples),
    _entry("max", nb.max, np.max, _full_samples),
    _entry("min", nb.min, np.min, _full_samples),
    _entry("max.dim", nb.max, _np_extrema(np.max, np.argmax), _int_dim_samples),
    _entry("min.dim", nb.min, _np_extrema(np.min, np.argmin), _int_dim_samples),
    _entry("amax", nb.amax, lambda x, **kw: np.max(x, **_np_dim(kw, x)),
           lambda rng: _full_samples(rng) + _dim_samples(rng)),
    _entry("amin", nb.amin, lambda x, **kw: np.min(x, **_np_dim(kw, x)),
           lambda rng: _full_samples(rng) + _dim_samples(rng)),
    _entry("argmax", nb.argmax, _np_arg(np.argmax), _arg_samples, grad=False, gradgrad=False),
    _entry("argmin", nb.argmin, _np_arg(np.argmin), _arg_samples, grad=False, gradgrad=False),
    _entry("norm", nb.norm, _np_norm(2), lambda rng: _full_samples(rng) + _dim_samples(rng)),
    _entry("logsumexp", nb.logsumexp, _np_lse, _dim_samples),
    _entry("var", nb.var, _np_var, _var_samples),
    _entry("std", nb.std, lambda x, **kw: np.sqrt(_np_var(x, **kw)), _var_samples),
    _entry("cumsum", nb.cumsum, _np_scan(np.cumsum), _scan_samples),
    _entry("cumprod", nb.cumprod, _np_scan(np.cumprod), lambda rng: _scan_samples(
        rng, (0.5, 1.5)) + [
            Sample((_zeros((3, 4), [(1, 2)], rng),), {"dim": 1}, desc="one-zero"),
            Sample((_zeros((2, 5), [(0, 1), (0, 3), (1, 0)], rng),), {"dim": -1},
                   desc="zeros"),
            Sample((_zeros((4, 2), [(1, 0), (2, 1)], rng),), {"dim": 0, "_view": "T"},
                   desc="zeros-transposed")]),
    _entry("all", nb.all, lambda x, **kw: np.all(x, **_np_dim(kw, x)), _bool_samples,
           grad=False, gradgrad=False),
    _entry("any", nb.any, lambda x, **kw: np.any(x, **_np_dim(kw, x)), _bool_samples,
           grad=False, gradgrad=False),
    _entry("count_nonzero", nb.count_nonzero,
           lambda x, dim=None: np.count_nonzero(x, axis=dim), lambda rng: [
               s for s in _bool_samples(rng) if "keepdim" not in s.kwargs],
           grad=False, gradgrad=False, composite=True),
    OpInfo("sum_to_size", nb.sum_to_size, lambda x, size: np.sum(
        x, axis=(0,) if len(size) < x.ndim else (1,), keepdims=len(size) == x.ndim).reshape(size),
        lambda rng: [Sample((uniform(rng, (2, 3)), (3,)), desc="lead"),
                     Sample((uniform(rng, (2, 3)), (2, 1)), desc="keep")]),
]

for _p, _tag in ((1, "p1"), (3, "p3"), (0.5, "p0.5"), (1.5, "p1.5"), (-1.5, "p-1.5"),
                 (np.inf, "inf"), (-np.inf, "-inf"), (0, "p0")):
    OPS.append(_entry("norm", lambda x, _p=_p, **kw: nb.norm(x, _p, **kw), _np_norm(_p),
                      lambda rng: _full_samples(rng) + _dim_samples(rng), variant=_tag,
                      gradgrad=_p != 0))
OPS.append(_entry("norm", lambda x, **kw: nb.norm(x, "fro", **kw), _np_norm(2),
                  _dim_samples, variant="fro"))
