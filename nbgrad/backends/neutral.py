"""Kernel pieces written once for both devices: the per-element work of
kernels whose CPU (``@njit`` loops) and CUDA (grid-stride) versions differ
only in how they walk the elements.

The functions here are plain Python that Numba's CPU and CUDA targets (and
the CUDA simulator) both compile, as `nbgrad.backends.philox` is.
`compile_for` returns the ones a module names, compiled for one target (the CPU passes
``njit(inline="always")``, so a kernel's loop stays one function; CUDA passes
``cuda.jit(device=True)``), with their calls to each other bound to the
compiled versions.  Each backend keeps its own loops, launch and
serial/parallel choice; a kernel calls one of these per element.
"""

import math
import types

__all__ = ["compile_for", "compile_functions", "NAMES"]


def compile_functions(namespace, names, jit, bound=None):
    """{name: jit(function)} for each of `names` in `namespace` (a module's
    globals), each a copy whose globals name the compiled versions of the
    ones before it and those of `bound` ({name: compiled}), so that a
    function may call those."""
    done = dict(bound or {})
    for name in names:
        fn = namespace[name]
        env = dict(fn.__globals__)
        env.update(done)
        copy = types.FunctionType(fn.__code__, env, name, fn.__defaults__, fn.__closure__)
        copy.__qualname__ = fn.__qualname__
        copy.__module__ = fn.__module__
        copy.__doc__ = fn.__doc__
        done[name] = jit(copy)
    return done


# -- searching -------------------------------------------------------------------------
def upper_bound(edges, lo, hi, v):
    """The first position in edges[lo:hi] whose edge is > v."""
    while lo < hi:
        mid = (lo + hi) // 2
        if edges[mid] > v:
            hi = mid
        else:
            lo = mid + 1
    return lo


def insertion_point(seq, sorter, use_sorter, s, v, right):
    """Where v goes in row `s` of `seq` (read through row s of `sorter` when
    `use_sorter`): the first position (`right`: the last) that keeps the order."""
    lo, hi = 0, seq.shape[1]
    while lo < hi:
        mid = (lo + hi) // 2
        at = seq[s, sorter[s, mid]] if use_sorter else seq[s, mid]
        # PyTorch's lower/upper bound: a NaN value goes past every number
        if (not (at > v)) if right else (not (at >= v)):
            lo = mid + 1
        else:
            hi = mid
    return lo


# -- scatters ---------------------------------------------------------------------------
# One column (o, i) of a scatter's writes, in index order: a thread that owns
# the column keeps "last write wins" and the accumulation order of a serial loop.
def scatter_column(dst, idx, src, o, i, accumulate):
    """dst[o, idx[o, k, i], i] = (or +=) src[o, k, i] for each k in turn."""
    for k in range(idx.shape[1]):
        if accumulate:
            dst[o, idx[o, k, i], i] += src[o, k, i]
        else:
            dst[o, idx[o, k, i], i] = src[o, k, i]


def put_column(dst, flat, src, p, q, accumulate):
    """dst[p, flat[b], q] = (or +=) src[p, b, q] for each b in turn."""
    for b in range(src.shape[1]):
        if accumulate:
            dst[p, flat[b], q] += src[p, b, q]
        else:
            dst[p, flat[b], q] = src[p, b, q]


# -- sorted rows -----------------------------------------------------------------------
def median_position(svals, r, ignore_nan):
    """Where the lower median of ascending-sorted row r of `svals` is: the first
    NaN when the row has one (median), or the median of the numbers
    (nanmedian: `ignore_nan`; 0 when the row has only NaNs)."""
    n = svals.shape[1]
    m = n   # the number of values before the first NaN (NaNs sort last)
    while m > 0 and svals[r, m - 1] != svals[r, m - 1]:
        m -= 1
    if ignore_nan:
        return (m - 1) // 2 if m > 0 else 0
    return (n - 1) // 2 if m == n else m


def row_mode(svals, sidx, r):
    """(the most frequent value of ascending-sorted row r, the smallest on a tie;
    the last input position `sidx` gives it)."""
    n = svals.shape[1]
    best, best_len, best_pos = svals[r, 0], 0, 0
    start = 0
    for k in range(1, n + 1):
        if k == n or svals[r, k] != svals[r, start]:
            if k - start > best_len:   # the smallest of the most frequent
                best, best_len = svals[r, start], k - start
                best_pos = sidx[r, start]
                for j in range(start, k):   # PyTorch returns the last position
                    best_pos = max(best_pos, sidx[r, j])
            start = k
    return best, best_pos


def runs(v, perm, use_perm, uniq, inverse, counts):
    """The runs of equal values of sorted `v`: each run's value into `uniq` and
    length into `counts`, its number into `inverse` at each member's position
    (perm[k] when `use_perm`); returns the number of runs (serial by nature)."""
    g = -1
    for k in range(v.shape[0]):
        if k == 0 or v[k] != v[k - 1]:
            g += 1
            uniq[g] = v[k]
            counts[g] = 0
        counts[g] += 1
        inverse[perm[k] if use_perm else k] = g
    return g + 1


# -- distances and windows -------------------------------------------------------------
def p_distance(x1, x2, b, i, j, p, zero):
    """The p-norm of x1[b, i] - x2[b, j] (p >= 0, inf included), summed from `zero`."""
    acc = zero
    for m in range(x1.shape[2]):
        d = abs(x1[b, i, m] - x2[b, j, m])
        if p == 0.0:
            acc += 1 if d != 0 else 0
        elif p == math.inf:
            acc = d if d > acc or d != d else acc
        elif p == 1.0:
            acc += d
        elif p == 2.0:
            acc += d * d
        else:
            acc += d ** p
    if p == 2.0:
        return math.sqrt(acc)
    if p == 0.0 or p == 1.0 or p == math.inf:
        return acc
    return acc ** (1.0 / p)


def im2col_entry(x, cols, n, c, row, q, i, j, sh, sw, ph, pw, dh, dw, OW):
    """cols[n, row, q] = the x[n, c] element that window entry (i, j) of output
    position q reads (0 in the padding)."""
    h = (q // OW) * sh - ph + i * dh
    w = (q % OW) * sw - pw + j * dw
    if 0 <= h < x.shape[2] and 0 <= w < x.shape[3]:
        cols[n, row, q] = x[n, c, h, w]
    else:
        cols[n, row, q] = 0


def window_max(x, p, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw):
    """(the maximum, its flat position h * W + w) of plane x[p] over output
    (oh, ow)'s pooling window: the first maximum; a NaN takes over."""
    H, W = x.shape[1], x.shape[2]
    best = -math.inf
    at = -1
    for i in range(kh):
        h = oh * sh - ph + i * dh
        if h < 0 or h >= H:
            continue
        for j in range(kw):
            w = ow * sw - pw + j * dw
            if w < 0 or w >= W:
                continue
            v = x[p, h, w]
            if at < 0:   # PyTorch's start: -inf at the window's first element
                at = h * W + w
            # as PyTorch's kernel: a NaN always takes over (NaN propagates)
            if v > best or math.isnan(v):
                best = v
                at = h * W + w
    return best, at


NAMES = ("scatter_column", "put_column", "upper_bound", "insertion_point", "median_position",
         "row_mode", "runs", "p_distance", "im2col_entry", "window_max")


def compile_for(jit, *names):
    """The functions `names` (of `NAMES`) compiled by `jit`, in that order."""
    done = compile_functions(globals(), NAMES, jit)
    return tuple(done[name] for name in names)
