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


def _t(shape):
    """A non-contiguous input: the transpose of a (reversed shape) array."""
    return lambda rng: uniform(rng, shape[::-1]).T


def _samples(*specs):
    """Samples from (shape or array maker, args..., {kwargs}) tuples."""
    def make(rng):
        out = []
        for spec in specs:
            first, rest = spec[0], spec[1:]
            kwargs = rest[-1] if rest and isinstance(rest[-1], dict) else {}
            args = rest[:-1] if rest and isinstance(rest[-1], dict) else rest
            x = first(rng) if callable(first) else uniform(rng, first)
            out.append(Sample((x,) + tuple(args), dict(kwargs),
                              desc="noncontig" if callable(first) else str(first)))
        return out
    return make


def _np_squeeze(x, dim=None):
    if dim is None:
        return np.squeeze(x)
    dims = np.atleast_1d(dim) % x.ndim
    return np.squeeze(x, tuple(int(d) for d in dims if x.shape[d] == 1))


OPS = [
    OpInfo("reshape", nb.reshape, np.reshape,
           _samples(((2, 3), (3, 2)), ((2, 3), (-1,)), (_t((3, 4)), (12,)),
                    (_t((2, 3, 4)), (4, -1)), ((), (1, 1)))),
    OpInfo("view", lambda x, s: x.view(s), np.reshape,
           _samples(((2, 3), (6, 1)), ((2, 3, 4), (-1, 4)), (_t((2, 3)), (2, 3, 1)))),
    OpInfo("transpose", nb.transpose, np.swapaxes,
           _samples(((2, 3, 4), 0, 2), ((2, 3), -1, -2), (_t((2, 3, 4)), 1, 0), ((3,), 0, -1))),
    OpInfo("permute", nb.permute, np.transpose,
           _samples(((2, 3, 4), (1, 2, 0)), ((2, 3, 4), (-1, 0, 1)), (_t((3, 4)), (1, 0)))),
    OpInfo("expand", lambda x, s: x.expand(*s), np.broadcast_to,
           _samples(((3, 1), (2, 3, 4)), ((3,), (2, 3)), (_t((3, 1)), (3, 5)),
                    ((), (2, 2)))),
    OpInfo("squeeze", lambda x, *d: x.squeeze(*d), _np_squeeze,
           _samples(((2, 1, 3, 1),), ((2, 1, 3), 1), ((2, 1, 3, 1), (1, -1)),
                    ((2, 1, 3), 0), (_t((1, 3)), -2), ((1, 2, 1), (0, 1, -1)))),
    OpInfo("unsqueeze", nb.unsqueeze, np.expand_dims,
           _samples(((2, 3), -1), ((2, 3), 0), ((), 0), (_t((2, 3)), 1))),
    OpInfo("getitem", getitem, lambda x, k: x[k],
           lambda rng: [Sample((uniform(rng, (4, 5)), (slice(1, 3), 2))),
                        Sample((uniform(rng, (4, 5)), (Ellipsis, slice(None, None, 2)))),
                        Sample((uniform(rng, (4, 5)), (None, 1))),
                        Sample((uniform(rng, (4, 5)), (-1, -2)), desc="all-int"),
                        Sample((uniform(rng, (5, 4)).T, (slice(None), slice(1, None, 2))),
                               desc="noncontig")]),
    OpInfo("select", nb.select, lambda x, d, i: np.take(x, i, axis=d),
           _samples(((4, 5), 0, 2), ((4, 5), 1, -1), ((3,), 0, 1), (_t((3, 4)), 1, 0),
                    ((2, 3, 4), -2, 2))),
    OpInfo("slice_scatter_zeros", slice_scatter_zeros, _scatter_ref,
           lambda rng: [Sample((uniform(rng, (2,)), (4, 5), (slice(1, 3), 2))),
                        Sample((uniform(rng, ()), (4, 5), (1, 2)), desc="element")]),
    OpInfo("clone", nb.clone, np.copy, _samples(((2, 3),), (_t((3, 4)),), ((),))),
    OpInfo("to_dtype", lambda x: to_dtype(x, nb.float64), lambda x: x.astype(np.float64),
           _one((2, 3))),
    OpInfo("to_dtype", lambda x: to_dtype(x, nb.float32), lambda x: x.astype(np.float32),
           _one((2, 3)), grad=False, variant="to-float32"),
]


def _np_repeat(x, *reps):
    reps = reps[0] if len(reps) == 1 and isinstance(reps[0], tuple) else reps
    return np.tile(x.reshape((1,) * (len(reps) - x.ndim) + x.shape), reps)


def _np_flatten(x, start_dim=0, end_dim=-1):
    if x.ndim == 0:
        return x.reshape(1)
    s, e = start_dim % x.ndim, end_dim % x.ndim
    return x.reshape(x.shape[:s] + (-1,) + x.shape[e + 1:])


def _np_unflatten(x, dim, sizes):
    d = dim % x.ndim
    return x.reshape(x.shape[:d] + tuple(sizes) + x.shape[d + 1:])


OPS += [
    OpInfo("flip", lambda x, *d: nb.flip(x, *d), lambda x, *d: np.flip(x, d[0] if len(d) == 1
                                                                       else d),
           _samples(((2, 3, 4), (0, 2)), ((2, 3, 4), -1), ((5,), 0), (_t((3, 4)), (0, 1)),
                    ((2, 3), ()))),
    OpInfo("roll", lambda x, s, d=None: nb.roll(x, s, d), lambda x, s, d=None: np.roll(x, s, d),
           _samples(((5,), 2), ((2, 3, 4), 1), ((2, 3, 4), (1, -2), (0, 2)),
                    ((2, 3, 4), -7, -1), (_t((3, 4)), 1, 1), ((3, 4), (1, 2), (1, 1)))),
    OpInfo("repeat", lambda x, *r: x.repeat(*r), _np_repeat,
           _samples(((2, 3), 2, 1), ((3,), 2, 1, 2), ((2, 3), (1, 3)), (_t((3, 4)), 2, 2),
                    ((), 3), ((2, 1, 3), 1, 0, 1))),
    OpInfo("tril", lambda x, *a, **k: nb.tril(x, *a, **k), lambda x, d=0, diagonal=None:
           np.tril(x, d if diagonal is None else diagonal),
           _samples(((3, 4),), ((4, 3), -1), ((2, 3, 3), {"diagonal": 1}), (_t((3, 4)),),
                    ((2, 5), 10))),
    OpInfo("triu", lambda x, *a, **k: nb.triu(x, *a, **k), lambda x, d=0, diagonal=None:
           np.triu(x, d if diagonal is None else diagonal),
           _samples(((3, 4),), ((4, 3), 1), ((2, 3, 3), {"diagonal": -1}), (_t((3, 4)),),
                    ((2, 5), -10))),
    OpInfo("flatten", lambda x, *a: nb.flatten(x, *a), _np_flatten,
           _samples(((2, 3, 4),), ((2, 3, 4), 1), ((2, 3, 4), 0, -2), (_t((3, 4)),), ((),),
                    ((2, 3), 1, 1)), composite=True),
    OpInfo("unflatten", lambda x, d, s: x.unflatten(d, s), _np_unflatten,
           _samples(((2, 12), 1, (3, 4)), ((6, 2), 0, (-1, 3)), (_t((4, 6)), -1, (2, 3))),
           composite=True),
    OpInfo("broadcast_to", nb.broadcast_to, np.broadcast_to,
           _samples(((3,), (2, 3)), ((2, 1), (2, 2, 4)), (_t((3, 1)), (2, 3, 4))),
           composite=True),
    OpInfo("expand_as", lambda x, y: x.expand_as(y), lambda x, y: np.broadcast_to(x, y.shape),
           lambda rng: [Sample((uniform(rng, (3, 1)), uniform(rng, (2, 3, 4))), diff=(0,))],
           composite=True),
    OpInfo("T", lambda x: x.T, lambda x: x.T, _samples(((2, 3),), ((2, 3, 4),), ((4,),)),
           composite=True),
    OpInfo("mT", lambda x: x.mT, lambda x: np.swapaxes(x, -1, -2),
           _samples(((2, 3),), ((2, 3, 4),)), composite=True),
    OpInfo("contiguous", lambda x: x.contiguous(), np.ascontiguousarray,
           _samples(((2, 3),), (_t((3, 4)),)), composite=True),
]
