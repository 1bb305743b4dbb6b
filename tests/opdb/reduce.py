"""Op database entries for reductions."""

import numpy as np

import nbgrad as nb
from tests.opdb.common import OpInfo, Sample, uniform


def _dim_samples(rng):
    x = uniform(rng, (2, 3, 4))
    return [Sample((uniform(rng, (5,)),), desc="all-1d"),
            Sample((x,), desc="all"),
            Sample((x,), {"dim": 1}, desc="dim1"),
            Sample((x,), {"dim": -1, "keepdim": True}, desc="dim-1-keep"),
            Sample((x,), {"dim": (0, 2)}, desc="dims02"),
            Sample((x,), {"dim": (0, 1), "keepdim": True}, desc="dims01-keep"),
            Sample((uniform(rng, ()),), desc="0d"),
            Sample((uniform(rng, (3, 4)).T,), {"dim": 0}, desc="transposed")]


def _np_dim(kwargs):
    return dict(axis=kwargs.get("dim"), keepdims=kwargs.get("keepdim", False))


OPS = [
    OpInfo("sum", nb.sum, lambda x, **kw: np.sum(x, **_np_dim(kw)), _dim_samples),
    OpInfo("mean", nb.mean, lambda x, **kw: np.mean(x, **_np_dim(kw)), _dim_samples),
    OpInfo("norm", lambda x, **kw: nb.norm(x, **kw),
           lambda x, **kw: np.sqrt(np.sum(x * x, **_np_dim(kw))), _dim_samples),
    OpInfo("norm", lambda x, **kw: nb.norm(x, p=3, **kw),
           lambda x, **kw: np.sum(np.abs(x) ** 3, **_np_dim(kw)) ** (1 / 3), _dim_samples,
           variant="p3"),
    OpInfo("sum_to_size", nb.sum_to_size, lambda x, size: np.sum(
        x, axis=(0,) if len(size) < x.ndim else (1,), keepdims=len(size) == x.ndim).reshape(size),
        lambda rng: [Sample((uniform(rng, (2, 3)), (3,)), desc="lead"),
                     Sample((uniform(rng, (2, 3)), (2, 1)), desc="keep")]),
]
