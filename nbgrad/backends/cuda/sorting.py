"""CUDA kernels that order values: the twin of `nbgrad.backends.cpu.sorting`
(the same functions, arguments and results).

The simple correct approach: one thread per row.  A thread sorts its row
with the CPU's stable bottom-up merge sort (scratch rows allocated by the
host), so results, ties included, are the CPU's.  The selections (median,
mode) and binary searches run one thread per row or per value; `runs`
(unique) is one sequential thread, and returns its count to the host.
"""

import numpy as np

from nbgrad.backends import neutral
from nbgrad.backends.cuda import _numba_cuda as nc
from nbgrad.backends.cuda import launch as _launch
from nbgrad.backends.cuda._numba_cuda import cuda

__all__ = ["sort_rows", "select_median", "mode_rows", "runs", "searchsorted"]

_insertion_point, _median_position, _row_mode, _group_runs = neutral.compile_for(
    cuda.jit(device=True), "insertion_point", "median_position", "row_mode", "runs")


@cuda.jit(device=True, inline=True)
def _before(a, b, descending):
    if descending:
        return a > b or (a != a and b == b)
    return a < b or (b != b and a == a)


@cuda.jit(device=True)
def _merge(v, ix, tv, ti, r, lo, mid, hi, descending):
    i, j, k = lo, mid, lo
    while i < mid or j < hi:
        if i < mid and (j >= hi or not _before(v[r, j], v[r, i], descending)):
            tv[r, k] = v[r, i]
            ti[r, k] = ix[r, i]
            i += 1
        else:
            tv[r, k] = v[r, j]
            ti[r, k] = ix[r, j]
            j += 1
        k += 1


@cuda.jit(cache=True)
def _sort_rows(x, v, ix, tv, ti, descending):
    R, n = x.shape
    for r in range(cuda.grid(1), R, cuda.gridsize(1)):
        for k in range(n):
            v[r, k] = x[r, k]
            ix[r, k] = k
        width = 1
        while width < n:
            lo = 0
            while lo < n:
                _merge(v, ix, tv, ti, r, lo, min(lo + width, n), min(lo + 2 * width, n),
                       descending)
                lo += 2 * width
            for k in range(n):
                v[r, k] = tv[r, k]
                ix[r, k] = ti[r, k]
            width *= 2


def sort_rows(x, vals, idx, descending):
    """Sort each row of `x` (R, n) into `vals` and its positions into `idx` (int64)."""
    if x.size == 0:
        return
    tv = nc.empty(x.shape, x.dtype)
    ti = nc.empty(x.shape, np.int64)
    _launch.launch(_sort_rows, x.shape[0], x, vals, idx, tv, ti, bool(descending))


@cuda.jit(cache=True)
def _select_median(svals, sidx, out_v, out_i, ignore_nan):
    for r in range(cuda.grid(1), svals.shape[0], cuda.gridsize(1)):
        k = _median_position(svals, r, ignore_nan)
        out_v[r] = svals[r, k]
        out_i[r] = sidx[r, k]


def select_median(svals, sidx, out_v, out_i, ignore_nan):
    """As `nbgrad.backends.cpu.sorting.select_median`."""
    if out_v.size:
        _launch.launch(_select_median, out_v.shape[0], svals, sidx, out_v, out_i,
                       bool(ignore_nan))


@cuda.jit(cache=True)
def _mode_rows(svals, sidx, out_v, out_i):
    for r in range(cuda.grid(1), svals.shape[0], cuda.gridsize(1)):
        out_v[r], out_i[r] = _row_mode(svals, sidx, r)


def mode_rows(svals, sidx, out_v, out_i):
    """As `nbgrad.backends.cpu.sorting.mode_rows`."""
    if out_v.size:
        _launch.launch(_mode_rows, out_v.shape[0], svals, sidx, out_v, out_i)


@cuda.jit(cache=True)
def _runs(v, perm, use_perm, uniq, inverse, counts, total):
    if cuda.grid(1) == 0:
        total[0] = _group_runs(v, perm, use_perm, uniq, inverse, counts)


def runs(v, perm, uniq, inverse, counts):
    """As `nbgrad.backends.cpu.sorting.runs` (the count comes back to the host)."""
    if v.shape[0] == 0:
        return 0
    use = perm is not None
    total = nc.empty((1,), np.int64)
    _launch.launch_grid(_runs, 1, 1, v, perm if use else inverse, use, uniq, inverse, counts,
                        total)
    return int(total.copy_to_host()[0])


@cuda.jit(cache=True)
def _search(seq, sorter, use_sorter, vals, out, right):
    V, m = vals.shape
    for t in range(cuda.grid(1), V * m, cuda.gridsize(1)):
        r, j = divmod(t, m)
        s = r if seq.shape[0] > 1 else 0
        out[r, j] = _insertion_point(seq, sorter, use_sorter, s, vals[r, j], right)


def searchsorted(seq, sorter, vals, out, right):
    """As `nbgrad.backends.cpu.sorting.searchsorted`."""
    if out.size:
        use = sorter is not None
        dummy = sorter if use else nc.empty((1, 1), np.int64)
        _launch.launch(_search, out.size, seq, dummy, use, vals, out, bool(right))
