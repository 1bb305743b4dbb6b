"""CPU kernels that order values: stable sorts of rows, selections in sorted
rows (median, nanmedian, mode), runs of equal values (unique,
unique_consecutive) and binary searches (searchsorted, bucketize).

Every kernel works on C-contiguous (R, n) arrays: the ops move the sorted
dim last and flatten the others.  The order is PyTorch's: NaN is larger than
every number (last when ascending, first when descending) and equal values
keep their input order (a stable merge sort), so ``stable=True`` results are
PyTorch's.  Rows are sorted in parallel above `PARALLEL_THRESHOLD` elements.
"""

import numpy as np
from numba import njit, prange

from nbgrad.backends import neutral
from nbgrad.backends.cpu.elementwise import PARALLEL_THRESHOLD

__all__ = ["sort_rows", "select_median", "mode_rows", "runs", "searchsorted"]

_insertion_point, _median_position, _row_mode, _group_runs = neutral.compile_for(
    njit(inline="always"), "insertion_point", "median_position", "row_mode", "runs")


@njit(cache=True, inline="always")
def _before(a, b, descending):
    """True when `a` goes strictly before `b` (NaN is the largest value)."""
    if descending:
        return a > b or (a != a and b == b)
    return a < b or (b != b and a == a)


@njit(cache=True)
def _sort_row(v, ix, tv, ti, descending):
    """Stable bottom-up merge sort of v (values) with ix (positions), in place."""
    n = v.shape[0]
    width = 1
    while width < n:
        for lo in range(0, n, 2 * width):
            mid = min(lo + width, n)
            hi = min(lo + 2 * width, n)
            i, j, k = lo, mid, lo
            while i < mid and j < hi:
                if _before(v[j], v[i], descending):
                    tv[k] = v[j]
                    ti[k] = ix[j]
                    j += 1
                else:
                    tv[k] = v[i]
                    ti[k] = ix[i]
                    i += 1
                k += 1
            while i < mid:
                tv[k] = v[i]
                ti[k] = ix[i]
                i += 1
                k += 1
            while j < hi:
                tv[k] = v[j]
                ti[k] = ix[j]
                j += 1
                k += 1
        for k in range(n):
            v[k] = tv[k]
            ix[k] = ti[k]
        width *= 2


@njit(cache=True)
def _sort_rows_serial(x, vals, idx, descending):
    R, n = x.shape
    tv = np.empty(n, x.dtype)
    ti = np.empty(n, np.int64)
    for r in range(R):
        for k in range(n):
            vals[r, k] = x[r, k]
            idx[r, k] = k
        _sort_row(vals[r], idx[r], tv, ti, descending)


@njit(cache=True, parallel=True)
def _sort_rows_parallel(x, vals, idx, descending):
    R, n = x.shape
    for r in prange(R):
        tv = np.empty(n, x.dtype)
        ti = np.empty(n, np.int64)
        for k in range(n):
            vals[r, k] = x[r, k]
            idx[r, k] = k
        _sort_row(vals[r], idx[r], tv, ti, descending)


def sort_rows(x, vals, idx, descending):
    """Sort each row of `x` (R, n) into `vals` and its positions into `idx` (int64)."""
    if x.size == 0:
        return
    if x.size >= PARALLEL_THRESHOLD and x.shape[0] > 1:
        _sort_rows_parallel(x, vals, idx, bool(descending))
    else:
        _sort_rows_serial(x, vals, idx, bool(descending))


@njit(cache=True)
def _select_median(svals, sidx, out_v, out_i, ignore_nan):
    for r in range(svals.shape[0]):
        k = _median_position(svals, r, ignore_nan)
        out_v[r] = svals[r, k]
        out_i[r] = sidx[r, k]


def select_median(svals, sidx, out_v, out_i, ignore_nan):
    """The lower median of each ascending-sorted row (with its input position):
    the first NaN when a row has one (median), or the median of the numbers
    (nanmedian: `ignore_nan`; NaN when a row has only NaNs)."""
    if out_v.size:
        _select_median(svals, sidx, out_v, out_i, bool(ignore_nan))


@njit(cache=True)
def _mode_rows(svals, sidx, out_v, out_i):
    for r in range(svals.shape[0]):
        out_v[r], out_i[r] = _row_mode(svals, sidx, r)


def mode_rows(svals, sidx, out_v, out_i):
    """The most frequent value of each ascending-sorted row (the smallest on a
    tie) and the last input position where it occurs."""
    if out_v.size:
        _mode_rows(svals, sidx, out_v, out_i)


@njit(cache=True)
def _runs(v, perm, use_perm, uniq, inverse, counts):
    return _group_runs(v, perm, use_perm, uniq, inverse, counts)


def runs(v, perm, uniq, inverse, counts):
    """Group the runs of equal values of 1-D `v`: their values into `uniq`,
    their lengths into `counts`, and each element's run number into
    `inverse` (at position ``perm[k]`` when `perm` is given: the sort's
    positions, for unique).  Returns the number of runs; `uniq` and `counts`
    need room for ``len(v)``."""
    if v.shape[0] == 0:
        return 0
    use = perm is not None
    return int(_runs(v, perm if use else inverse, use, uniq, inverse, counts))


_NO_SORTER = np.zeros((1, 1), np.int64)


@njit(cache=True)
def _search(seq, sorter, use_sorter, vals, out, right):
    V, m = vals.shape
    for r in range(V):
        s = r if seq.shape[0] > 1 else 0
        for j in range(m):
            out[r, j] = _insertion_point(seq, sorter, use_sorter, s, vals[r, j], right)


def searchsorted(seq, sorter, vals, out, right):
    """out[r, j] = the insertion position of vals[r, j] in row r of `seq` (row 0
    when `seq` has one row), through `sorter` (positions that sort each row)
    when given; the first position (or, `right`, the last) that keeps the
    order."""
    if out.size:
        use = sorter is not None
        _search(seq, sorter if use else _NO_SORTER, use, vals, out, bool(right))
