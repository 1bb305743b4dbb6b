"""Op database entries for shape and layout ops."""

import numpy as np

import nbgrad as nb
from nbgrad.ops.movement import getitem, slice_scatter_zeros, to_dtype
from tests.opdb.common import OpInfo, Sample, uniform


def _one(shape, *args, **kwargs):
    return lambda rng: [Sample((uniform(rng, shape),) + args, kwargs)]


def _scatter_ref(g, shape, key):
    out = np.zeros(shape, g.dtype)
    out[key] = g
    return out


OPS = [
    OpInfo("reshape", nb.reshape, np.reshape,
           lambda rng: [Sample((uniform(rng, (2, 3)), (3, 2))),
                        Sample((uniform(rng, (2, 3)), (-1,))),
                        Sample((uniform(rng, (3, 4)).T, (12,)), desc="noncontig")]),
    OpInfo("view", lambda x, s: x.view(s), np.reshape, _one((2, 3), (6, 1))),
    OpInfo("transpose", nb.transpose, np.swapaxes, _one((2, 3, 4), 0, 2)),
    OpInfo("permute", nb.permute, np.transpose, _one((2, 3, 4), (1, 2, 0))),
    OpInfo("expand", lambda x, s: x.expand(*s), np.broadcast_to,
           lambda rng: [Sample((uniform(rng, (3, 1)), (2, 3, 4)))]),
    OpInfo("squeeze", lambda x, *d: x.squeeze(*d), lambda x, *d: np.squeeze(x, *d),
           lambda rng: [Sample((uniform(rng, (2, 1, 3, 1)),)),
                        Sample((uniform(rng, (2, 1, 3)), 1))]),
    OpInfo("unsqueeze", nb.unsqueeze, np.expand_dims, _one((2, 3), -1)),
    OpInfo("getitem", getitem, lambda x, k: x[k],
           lambda rng: [Sample((uniform(rng, (4, 5)), (slice(1, 3), 2))),
                        Sample((uniform(rng, (4, 5)), (Ellipsis, slice(None, None, 2)))),
                        Sample((uniform(rng, (4, 5)), (None, 1)))]),
    OpInfo("slice_scatter_zeros", slice_scatter_zeros, _scatter_ref,
           lambda rng: [Sample((uniform(rng, (2,)), (4, 5), (slice(1, 3), 2)))]),
    OpInfo("clone", nb.clone, np.copy, _one((2, 3))),
    OpInfo("to_dtype", lambda x: to_dtype(x, nb.float64), lambda x: x.astype(np.float64),
           _one((2, 3))),
    OpInfo("to_dtype", lambda x: to_dtype(x, nb.float32), lambda x: x.astype(np.float32),
           _one((2, 3)), grad=False, variant="to-float32"),
]
