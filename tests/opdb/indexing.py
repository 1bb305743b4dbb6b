"""Op database entries for indexing, gather/scatter and joining ops.

Keys used here mean the same in NumPy and PyTorch (no int next to an index
array: PyTorch applies ints first), so NumPy gives the reference values.
"""

import numpy as np

import nbgrad as nb
from tests.opdb.common import OpInfo, Sample, uniform

I64 = np.int64


def _idx(*values):
    return np.array(values, dtype=I64)


def _getitem_samples(rng):
    x = uniform(rng, (3, 4, 5))
    mask = uniform(rng, (3, 4)) > 0
    return [Sample((x, (_idx(2, 0, 2),)), desc="rows-dup"),
            Sample((x, (slice(None), _idx(-1, 1))), desc="neg-index"),
            Sample((x, (_idx(0, 2), slice(None), _idx(1, 4))), desc="apart"),
            Sample((x, (slice(1, None), _idx([0], [3]), _idx(1, 2, 1))), desc="broadcast"),
            Sample((x, (Ellipsis, _idx(4, 4, 0))), desc="ellipsis"),
            Sample((x, (None, slice(None, None, 2), _idx(3, 1))), desc="none-step"),
            Sample((x, (mask,)), desc="mask"),
            Sample((x, (slice(None), x[0, :, 0] > 0)), desc="mask-dim1"),
            Sample((uniform(rng, (5, 3)).T, (_idx(1, 1), slice(1, 4))), desc="noncontig"),
            Sample((uniform(rng, (4,)), (_idx(3, 0, 3, 3),)), desc="1d-dup"),
            Sample((x, (_idx(),)), desc="empty")]


def _setitem(x, key, v):
    y = x.clone()
    y[key] = v
    return y


def _np_setitem(x, key, v):
    y = x.copy()
    y[key] = v
    return y


def _index_put_samples(rng):
    x = uniform(rng, (3, 4))
    mask = uniform(rng, (3, 4)) > 0
    return [Sample((x, (_idx(2, 0),), uniform(rng, (2, 4))), desc="rows"),
            Sample((x, (_idx(2, 0),), uniform(rng, (4,))), desc="broadcast-value"),
            Sample((x, (_idx(2, 0),), uniform(rng, (1, 1, 4))), desc="leading-ones"),
            Sample((x, (_idx(0, 1), _idx(3, 2)), uniform(rng, ())), desc="points-0d"),
            Sample((x, (slice(1, None), _idx(0, 3)), uniform(rng, (2, 1))), desc="slice-adv"),
            Sample((x, (mask,), 0.5), desc="mask-scalar"),
            Sample((uniform(rng, (4, 3)).T, (_idx(1),), uniform(rng, (4,))),
                   desc="noncontig")]


def _copy_slices_samples(rng):
    x = uniform(rng, (3, 4))
    return [Sample((x, 1, uniform(rng, (4,))), desc="row"),
            Sample((x, (slice(None), 2), uniform(rng, (3,))), desc="column"),
            Sample((x, (slice(None, None, 2), slice(1, 3)), uniform(rng, (1, 2))),
                   desc="step-broadcast"),
            Sample((x, (1, 2), uniform(rng, ())), desc="element"),
            Sample((x, (Ellipsis, slice(0, 1)), -1.0), desc="scalar"),
            Sample((x, 0, uniform(rng, (1, 4))), desc="leading-ones"),
            Sample((uniform(rng, (4, 3)).T, (slice(1, None),), uniform(rng, (2, 1))),
                   desc="noncontig")]


def _region(shape, idx_shape, d):
    return tuple(slice(None) if j == d else slice(0, n) for j, n in enumerate(idx_shape))


def _np_gather(x, d, idx):
    d = d % x.ndim
    return np.take_along_axis(x[_region(x.shape, idx.shape, d)], idx, d)


def _np_scatter(x, d, idx, src, add=False):
    out = x.copy()
    src = np.broadcast_to(src, idx.shape) if np.ndim(src) == 0 else \
        src[tuple(slice(0, n) for n in idx.shape)]
    d = d % x.ndim
    for pos in np.ndindex(idx.shape):
        target = list(pos)
        target[d] = idx[pos]
        if add:
            out[tuple(target)] += src[pos]
        else:
            out[tuple(target)] = src[pos]
    return out


def _gather_samples(rng):
    x = uniform(rng, (3, 4))
    return [Sample((x, 1, _idx([0, 0], [3, 1], [2, 2])), desc="dim1"),
            Sample((x, 0, _idx([2, 0, 1, 1])), desc="dim0-smaller"),
            Sample((x, -1, _idx([1], [0])), desc="neg-dim-smaller"),
            Sample((uniform(rng, (2, 3, 4)), 2, _idx([[3, 0]], [[1, 1]])), desc="3d"),
            Sample((uniform(rng, (4, 3)).T, 1, _idx([3, 0], [1, 2], [0, 0])),
                   desc="noncontig"),
            Sample((uniform(rng, (5,)), 0, _idx(4, 4, 0, 1, 4, 2)), desc="1d-dup")]


def _scatter_samples(rng):
    # no repeated target position: a scatter (not add) keeps only one of them
    x = uniform(rng, (3, 4))
    return [Sample((x, 1, _idx([0, 3], [1, 2], [2, 0]), uniform(rng, (3, 2))), desc="dim1"),
            Sample((x, 0, _idx([2, 0, 1]), uniform(rng, (2, 4))), desc="src-larger"),
            Sample((x, -1, _idx([1], [3]), uniform(rng, (2, 2))), desc="neg-dim"),
            Sample((uniform(rng, (4, 3)).T, 0, _idx([1, 2, 0, 2]), uniform(rng, (1, 4))),
                   desc="noncontig"),
            Sample((uniform(rng, (2, 3, 4)), 2, _idx([[3, 0]], [[1, 2]]),
                    uniform(rng, (2, 2, 2))), desc="3d")]


def _scatter_value_samples(rng):
    x = uniform(rng, (3, 4))
    return [Sample((x, 1, _idx([0, 3], [1, 1], [2, 0]), 2.5), desc="dim1"),
            Sample((uniform(rng, (4, 3)).T, 0, _idx([1, 2]), -1.0), desc="noncontig")]


def _scatter_add_samples(rng):
    x = uniform(rng, (3, 4))
    return [Sample((x, 1, _idx([0, 0], [1, 3], [2, 2]), uniform(rng, (3, 2))), desc="dup"),
            Sample((x, 0, _idx([2, 0, 2]), uniform(rng, (2, 4))), desc="src-larger"),
            Sample((uniform(rng, (4, 3)).T, -1, _idx([1, 1, 1], [0, 2, 0]),
                    uniform(rng, (3, 3))), desc="noncontig")]


def _np_index_select(x, d, idx):
    return np.take(x, idx, axis=d)


def _index_select_samples(rng):
    x = uniform(rng, (3, 4, 2))
    return [Sample((x, 1, _idx(3, 0, 3)), desc="dup"),
            Sample((x, -1, _idx(1)), desc="neg-dim"),
            Sample((x, 0, _idx()), desc="empty"),
            Sample((uniform(rng, (4, 3)).T, 0, _idx(2, 1)), desc="noncontig")]


def _masked_samples(rng):
    x = uniform(rng, (3, 4))
    return [Sample((x, uniform(rng, (3, 4)) > 0, 0.5), desc="same-shape"),
            Sample((x, uniform(rng, (4,)) > 0, -2.0), desc="broadcast-mask"),
            Sample((uniform(rng, (4, 3)).T, uniform(rng, (3, 1)) > 0, 1.0), desc="noncontig")]


def _masked_tensor_samples(rng):
    return [Sample((uniform(rng, (3, 4)), uniform(rng, (3, 4)) > 0, uniform(rng, ())),
                   desc="tensor-value"),
            Sample((uniform(rng, (4, 3)).T, uniform(rng, (4,)) > 0, uniform(rng, ())),
                   desc="noncontig")]


def _list_args(n_arrays):
    """call/ref wrappers taking the first `n_arrays` args as a list of tensors."""
    def call(fn):
        return lambda *a, **k: fn(list(a[:n_arrays]), *a[n_arrays:], **k)
    return call


def _cat_samples(rng):
    return [Sample((uniform(rng, (2, 3)), uniform(rng, (1, 3))), desc="dim0"),
            Sample((uniform(rng, (2, 3)), uniform(rng, (2, 1)), -1), desc="dim-1"),
            Sample((uniform(rng, (4, 2)).T, uniform(rng, (2, 2)), 1), desc="noncontig"),
            Sample((uniform(rng, (2, 3, 2)), uniform(rng, (2, 0, 2)), 1), desc="empty-part")]


def _stack_samples(rng):
    return [Sample((uniform(rng, (2, 3)), uniform(rng, (2, 3))), desc="dim0"),
            Sample((uniform(rng, (2, 3)), uniform(rng, (2, 3)), -1), desc="dim-1"),
            Sample((uniform(rng, (3, 2)).T, uniform(rng, (2, 3)), 1), desc="noncontig"),
            Sample((uniform(rng, ()), uniform(rng, ())), desc="0d")]


def _np_split(x, size, dim=0):
    d = dim % x.ndim
    n = x.shape[d]
    sizes = size if isinstance(size, (list, tuple)) else \
        [min(size, n - o) for o in range(0, n, size)]
    out, off = [], 0
    for s in sizes:
        out.append(np.take(x, np.arange(off, off + s), axis=d))
        off += s
    return tuple(out)


def _split_samples(rng):
    return [Sample((uniform(rng, (5, 2)), 2), desc="uneven"),
            Sample((uniform(rng, (2, 6)), 3, -1), desc="neg-dim"),
            Sample((uniform(rng, (4, 3)).T, 2, 1), desc="noncontig"),
            Sample((uniform(rng, (3,)), 5), desc="one-piece")]


def _split_sizes_samples(rng):
    return [Sample((uniform(rng, (5, 2)), [1, 4]), desc="dim0"),
            Sample((uniform(rng, (2, 6)), [3, 0, 2, 1], -1), desc="zero-size"),
            Sample((uniform(rng, (4, 3)).T, [3, 1], 1), desc="noncontig")]


def _np_chunk(x, chunks, dim=0):
    n = x.shape[dim % x.ndim]
    return _np_split(x, -(-n // chunks), dim)


def _unbind_samples(rng):
    return [Sample((uniform(rng, (3, 2)),), desc="dim0"),
            Sample((uniform(rng, (2, 3, 2)), -2), desc="neg-dim"),
            Sample((uniform(rng, (4, 3)).T, 1), desc="noncontig")]


def _iterate(x):
    return tuple(row for row in x)


OPS = [
    OpInfo("index", lambda x, k: x[k], lambda x, k: x[k], _getitem_samples),
    OpInfo("index_put", _setitem, _np_setitem, _index_put_samples),
    OpInfo("index_put", lambda x, k, v: nb.index_put(x, k, v, accumulate=True),
           lambda x, k, v: _np_index_add(x, k, v),
           lambda rng: [Sample((uniform(rng, (3, 4)), (_idx(2, 0, 2),), uniform(rng, (3, 4))),
                               desc="dup-rows"),
                        Sample((uniform(rng, (3, 4)), (_idx(1, 1), _idx(0, 0)),
                                uniform(rng, (1,))), desc="dup-points")],
           variant="accumulate"),
    OpInfo("copy_slices", _setitem, _np_setitem, _copy_slices_samples),
    OpInfo("gather", nb.gather, _np_gather, _gather_samples),
    OpInfo("scatter", nb.scatter, _np_scatter, _scatter_samples),
    OpInfo("scatter_value", nb.scatter, _np_scatter, _scatter_value_samples),
    OpInfo("scatter_add", nb.scatter_add, lambda x, d, i, s: _np_scatter(x, d, i, s, add=True),
           _scatter_add_samples),
    OpInfo("index_select", nb.index_select, _np_index_select, _index_select_samples),
    OpInfo("masked_fill", nb.masked_fill, lambda x, m, v: np.where(m, v, x), _masked_samples),
    OpInfo("masked_fill_tensor", nb.masked_fill, lambda x, m, v: np.where(m, v, x),
           _masked_tensor_samples),
    OpInfo("cat", _list_args(2)(nb.cat), _list_args(2)(np.concatenate), _cat_samples),
    OpInfo("concat", _list_args(2)(nb.concat), _list_args(2)(np.concatenate),
           lambda rng: [Sample((uniform(rng, (2, 3)), uniform(rng, (2, 2)), 1))],
           composite=True),
    OpInfo("stack", _list_args(2)(nb.stack), _list_args(2)(np.stack), _stack_samples),
    OpInfo("split", nb.split, _np_split, _split_samples),
    OpInfo("split_with_sizes", nb.split, _np_split, _split_sizes_samples),
    OpInfo("chunk", nb.chunk, _np_chunk,
           lambda rng: [Sample((uniform(rng, (5, 2)), 3)),
                        Sample((uniform(rng, (2, 6)), 4, -1)),
                        Sample((uniform(rng, (4, 3)).T, 2, 1), desc="noncontig")],
           composite=True),
    OpInfo("unbind", nb.unbind, lambda x, d=0: tuple(np.moveaxis(x, d, 0)), _unbind_samples),
    OpInfo("iter", _iterate, lambda x: tuple(x),
           lambda rng: [Sample((uniform(rng, (3, 2)),)),
                        Sample((uniform(rng, (3, 2)).T,), desc="noncontig")],
           composite=True),
]


def _np_index_add(x, key, v):
    out = x.copy()
    np.add.at(out, key, np.broadcast_to(v, x[key].shape))
    return out
