"""CPU reduction and scan kernels over a canonical (A, R, B) view: reduce (or
scan) the middle axis.

Any reduction over a set of dimensions is brought to this form by
`nbgrad.ops.reduce` (adjacent dimensions merge for free on contiguous input;
others are moved last and copied).  Each kind has one serial kernel and one
``*_parallel`` kernel; the caller picks the parallel one above
`PARALLEL_THRESHOLD` elements.  A parallel kernel splits the work into tiles
(a row `a` and, when there are too few rows to keep every thread busy, a
chunk of `R`), runs the serial kernel on each tile and, for chunked tiles,
combines the partial results with the serial kernel
again (a sum of partial sums, a p-norm of partial p-norms, ...).

Floating sums accumulate in float64 (`zero` is a float64 or int64 scalar, so
its type is the accumulator's) and may be reassociated
(``fastmath={'reassoc'}``) so that the loops vectorise: that changes the
summation order only, as NumPy's pairwise sum also does.  Kernels use NumPy's
error model: 0/0 is NaN and x/0 is inf, never an exception.
"""

import math

import numba
import numpy as np
from numba import njit, prange

_REASSOC = {"reassoc"}
# tasks that keep every thread busy, with some slack for uneven tiles (a
# compile-time constant: a function reading the live thread count cannot be cached)
_WANT_TASKS = 4 * numba.config.NUMBA_NUM_THREADS
# a chunk smaller than this (elements) costs more in scheduling than it saves
_MIN_CHUNK = 16384


@njit(cache=True)
def plan(A, R, B):
    """(rs, nchunk): each row `a` is one task, cut into `nchunk` chunks of `rs`
    rows of R when there are too few rows to keep the threads busy.  R > 0."""
    nchunk = 1
    if A < _WANT_TASKS:
        nchunk = max(1, min((_WANT_TASKS + A - 1) // A, (R * B) // _MIN_CHUNK, R))
    rs = (R + nchunk - 1) // nchunk
    return rs, (R + rs - 1) // rs


@njit(cache=True)
def _tile(t, nchunk, rs, R):
    # a tile is x[a, r0:r1] (C-contiguous): loops over it start at 0, so Numba
    # drops the negative-index check and LLVM vectorises them
    a = t // nchunk
    c = t % nchunk
    r0 = c * rs
    return a, c, r0, min(r0 + rs, R)


# -- sum and prod -------------------------------------------------------------
@njit(cache=True, fastmath=_REASSOC, error_model="numpy")
def sum_arb(x, out, zero, scale):
    """out[a, b] = scale * sum_r x[a, r, b] (`scale` is 1 for a sum, 1/R for a mean)."""
    A, R, B = x.shape
    if B == 1:
        for a in range(A):
            acc = zero
            for r in range(R):
                acc += x[a, r, 0]
            out[a, 0] = acc * scale
        return
    acc_row = np.empty(B, dtype=np.asarray(zero).dtype)
    for a in range(A):
        acc_row[:] = zero
        for r in range(R):
            for b in range(B):
                acc_row[b] += x[a, r, b]
        for b in range(B):
            out[a, b] = acc_row[b] * scale


@njit(cache=True, parallel=True, fastmath=_REASSOC, error_model="numpy")
def sum_arb_parallel(x, out, zero, scale):
    A, R, B = x.shape
    if A * B == 0 or R == 0:
        sum_arb(x, out, zero, scale)
        return
    rs, nchunk = plan(A, R, B)
    if nchunk == 1:
        for a in prange(A):
            sum_arb(x[a:a + 1], out[a:a + 1], zero, scale)
        return
    part = np.empty((A, nchunk, B), dtype=np.asarray(zero).dtype)
    one = zero + 1
    for t in prange(A * nchunk):
        a, c, r0, r1 = _tile(t, nchunk, rs, R)
        sum_arb(x[a, r0:r1].reshape((1, r1 - r0, B)), part[a, c:c + 1], zero, one)
    sum_arb(part, out, zero, scale)



@njit(cache=True, fastmath=_REASSOC, error_model="numpy")
def prod_arb(x, out, one):
    """out[a, b] = prod_r x[a, r, b]."""
    A, R, B = x.shape
    acc_row = np.empty(B, dtype=np.asarray(one).dtype)
    for a in range(A):
        acc_row[:] = one
        for r in range(R):
            for b in range(B):
                acc_row[b] *= x[a, r, b]
        for b in range(B):
            out[a, b] = acc_row[b]


@njit(cache=True, parallel=True, fastmath=_REASSOC, error_model="numpy")
def prod_arb_parallel(x, out, one):
    A, R, B = x.shape
    if A * B == 0 or R == 0:
        prod_arb(x, out, one)
        return
    rs, nchunk = plan(A, R, B)
    if nchunk == 1:
        for a in prange(A):
            prod_arb(x[a:a + 1], out[a:a + 1], one)
        return
    part = np.empty((A, nchunk, B), dtype=np.asarray(one).dtype)
    for t in prange(A * nchunk):
        a, c, r0, r1 = _tile(t, nchunk, rs, R)
        prod_arb(x[a, r0:r1].reshape((1, r1 - r0, B)), part[a, c:c + 1], one)
    prod_arb(part, out, one)



# -- max / min with their index ----------------------------------------------
# Float compare-and-select chains do not vectorise without fast-math, so the
# kernel compares integer keys: the float's bits read as a signed integer,
# with negative floats reflected (kmin - k) so that integer order is float
# order.  NaNs are the keys above key(+inf) or below key(-inf); a row that
# has one is rescanned in floats, where the first NaN wins.
# a row is scanned in blocks of _BLK keys; the first block that holds the
# extremum is then searched, _SUB keys at a time (each a vectorised test)
_BLK = 256
_SUB = 32


@njit(cache=True, inline="always")
def _key(k, is_float, kmin):
    return kmin - k if is_float and k < 0 else k


@njit(cache=True, inline="always")
def _beats(k, best, want_max):
    return k > best if want_max else k < best


@njit(cache=True, inline="always")
def _better(v, best, want_max):
    # the first NaN wins and stays; ties keep the first index
    if v != v:
        return best == best
    return v > best if want_max else v < best


@njit(cache=True, error_model="numpy")
def _first_extremum(x, a, b, R, want_max):
    i = 0
    for r in range(1, R):
        if _better(x[a, r, b], x[a, i, b], want_max):
            i = r
    return i


@njit(cache=True, error_model="numpy")
def _find(row, best, is_float, kmin):
    """The first j with key(row[j]) == best (there is one)."""
    s = 0
    n = row.shape[0]
    while s < n:
        sub = row[s:min(n, s + _SUB)]
        hit = False
        for j in range(sub.shape[0]):
            hit |= _key(sub[j], is_float, kmin) == best
        if hit:
            break
        s += _SUB
    while _key(row[s], is_float, kmin) != best:
        s += 1
    return s


@njit(cache=True, error_model="numpy")
def minmax_arb(x, keys, vals, idx, want_max, is_float, kmin, klo, khi):
    """vals[a, b] = max (or min) over r of x[a, r, b] and idx[a, b] = its first
    r (R > 0).  `keys` is x itself for integer data, else x viewed as signed
    integers of its width (is_float); kmin is that integer type's minimum and
    klo, khi the keys of -inf and +inf."""
    A, R, B = x.shape
    if B == 1:
        k2 = keys.reshape((A, R))
        for a in range(A):
            best = _key(k2[a, 0], is_float, kmin)
            bblk = 0
            nan = False
            for blk in range((R + _BLK - 1) // _BLK):
                row = k2[a, blk * _BLK:min(R, (blk + 1) * _BLK)]
                hi = _key(row[0], is_float, kmin)
                lo = hi
                for j in range(row.shape[0]):
                    k = _key(row[j], is_float, kmin)
                    hi = k if k > hi else hi
                    lo = k if k < lo else lo
                if hi > khi or lo < klo:
                    nan = True
                    break
                m = hi if want_max else lo
                if _beats(m, best, want_max):
                    best = m
                    bblk = blk
            if nan:
                i = _first_extremum(x, a, 0, R, want_max)
            else:
                i = _find(k2[a, bblk * _BLK:min(R, (bblk + 1) * _BLK)], best, is_float,
                          kmin) + bblk * _BLK
            idx[a, 0] = i
            vals[a, 0] = x[a, i, 0]
        return
    best_row = np.empty(B, dtype=np.int64)
    idx_row = np.empty(B, dtype=np.int64)
    for a in range(A):
        krow = keys[a, 0]
        for b in range(B):
            best_row[b] = _key(krow[b], is_float, kmin)
            idx_row[b] = 0
        nan = False
        for r in range(1, R):
            krow = keys[a, r]
            for b in range(B):
                k = _key(krow[b], is_float, kmin)
                win = _beats(k, best_row[b], want_max)
                best_row[b] = k if win else best_row[b]
                idx_row[b] = r if win else idx_row[b]
                nan |= (k > khi) | (k < klo)
        for b in range(B):
            i = _first_extremum(x, a, b, R, want_max) if nan else idx_row[b]
            idx[a, b] = i
            vals[a, b] = x[a, i, b]


@njit(cache=True, parallel=True, error_model="numpy")
def minmax_arb_parallel(x, keys, vals, idx, want_max, is_float, kmin, klo, khi):
    A, R, B = x.shape
    if A * B == 0:
        return
    rs, nchunk = plan(A, R, B)
    if nchunk == 1:
        for a in prange(A):
            minmax_arb(x[a:a + 1], keys[a:a + 1], vals[a:a + 1], idx[a:a + 1], want_max,
                       is_float, kmin, klo, khi)
        return
    pv = np.empty((A, nchunk, B), dtype=x.dtype)
    pi = np.empty((A, nchunk, B), dtype=idx.dtype)
    for t in prange(A * nchunk):
        a, c, r0, r1 = _tile(t, nchunk, rs, R)
        minmax_arb(x[a, r0:r1].reshape((1, r1 - r0, B)), keys[a, r0:r1].reshape((1, r1 - r0, B)),
                   pv[a, c:c + 1], pi[a, c:c + 1], want_max, is_float, kmin, klo, khi)
    pk = np.empty((A, nchunk, B), dtype=keys.dtype)
    for a in range(A):
        for c in range(nchunk):
            for b in range(B):
                pi[a, c, b] += c * rs
                pk[a, c, b] = keys[a, pi[a, c, b], b]
    minmax_arb(pv, pk, vals, idx, want_max, is_float, kmin, klo, khi)   # idx: the chunk
    for a in range(A):
        for b in range(B):
            idx[a, b] = pi[a, idx[a, b], b]


# -- variance, log-sum-exp, p-norms, all/any ----------------------------------
@njit(cache=True, fastmath=_REASSOC, error_model="numpy")
def var_arb(x, out, mean, zero, scale, root):
    """Two passes: mean[a, b], then out[a, b] = scale * sum_r (x - mean)**2
    (its square root if `root`); scale is 1 / (R - correction)."""
    A, R, B = x.shape
    if B == 1:   # scalar accumulators: array ones would not vectorise
        for a in range(A):
            acc = zero
            for r in range(R):
                acc += x[a, r, 0]
            mu = acc / R
            acc = zero
            for r in range(R):
                d = x[a, r, 0] - mu
                acc += d * d
            mean[a, 0] = mu
            v = acc * scale
            out[a, 0] = math.sqrt(v) if root else v
        return
    s = np.empty(B, dtype=np.asarray(zero).dtype)
    m2 = np.empty(B, dtype=np.asarray(zero).dtype)
    for a in range(A):
        s[:] = zero
        m2[:] = zero
        for r in range(R):
            for b in range(B):
                s[b] += x[a, r, b]
        for b in range(B):
            s[b] = s[b] / R
        for r in range(R):
            for b in range(B):
                d = x[a, r, b] - s[b]
                m2[b] += d * d
        for b in range(B):
            mean[a, b] = s[b]
            v = m2[b] * scale
            out[a, b] = math.sqrt(v) if root else v


@njit(cache=True, parallel=True, fastmath=_REASSOC, error_model="numpy")
def var_arb_parallel(x, out, mean, zero, scale, root):
    A, R, B = x.shape
    if A * B == 0 or R == 0:
        var_arb(x, out, mean, zero, scale, root)
        return
    rs, nchunk = plan(A, R, B)
    if nchunk == 1:
        for a in prange(A):
            var_arb(x[a:a + 1], out[a:a + 1], mean[a:a + 1], zero, scale, root)
        return
    pm2 = np.empty((A, nchunk, B), dtype=np.float64)
    pmean = np.empty((A, nchunk, B), dtype=np.float64)
    for t in prange(A * nchunk):
        a, c, r0, r1 = _tile(t, nchunk, rs, R)
        var_arb(x[a, r0:r1].reshape((1, r1 - r0, B)), pm2[a, c:c + 1], pmean[a, c:c + 1],
                zero, 1.0, False)
    # Chan et al.: M2 = sum_c M2_c + n_c * (mean_c - mean)**2
    for a in range(A):
        for b in range(B):
            mu = 0.0
            for c in range(nchunk):
                mu += min(rs, R - c * rs) * pmean[a, c, b]
            mu /= R
            m2 = 0.0
            for c in range(nchunk):
                d = pmean[a, c, b] - mu
                m2 += pm2[a, c, b] + min(rs, R - c * rs) * d * d
            mean[a, b] = mu
            v = m2 * scale
            out[a, b] = math.sqrt(v) if root else v



@njit(cache=True, fastmath=_REASSOC, error_model="numpy")
def lse_arb(x, out, zero):
    """out[a, b] = log(sum_r exp(x[a, r, b])), shifted by the maximum so that
    nothing overflows; -inf for an empty or all -inf row, NaN if any NaN."""
    A, R, B = x.shape
    if B == 1:
        for a in range(A):
            m = -np.inf
            for r in range(R):
                v = x[a, r, 0]
                if (v > m or v != v) and m == m:
                    m = v
            acc = zero
            for r in range(R):
                acc += math.exp(x[a, r, 0] - m)
            out[a, 0] = m if (m != m or math.isinf(m)) else m + math.log(acc)
        return
    m = np.empty(B, dtype=np.float64)
    s = np.empty(B, dtype=np.float64)
    for a in range(A):
        m[:] = -np.inf
        s[:] = zero
        for r in range(R):
            for b in range(B):
                v = x[a, r, b]
                if v > m[b] or v != v:
                    if m[b] == m[b]:
                        m[b] = v
        for r in range(R):
            for b in range(B):
                s[b] += math.exp(x[a, r, b] - m[b])
        for b in range(B):
            mb = m[b]
            out[a, b] = mb if (mb != mb or math.isinf(mb)) else mb + math.log(s[b])


@njit(cache=True, parallel=True, error_model="numpy")
def lse_arb_parallel(x, out, zero):
    A, R, B = x.shape
    if A * B == 0 or R == 0:
        lse_arb(x, out, zero)
        return
    rs, nchunk = plan(A, R, B)
    if nchunk == 1:
        for a in prange(A):
            lse_arb(x[a:a + 1], out[a:a + 1], zero)
        return
    part = np.empty((A, nchunk, B), dtype=np.float64)
    for t in prange(A * nchunk):
        a, c, r0, r1 = _tile(t, nchunk, rs, R)
        lse_arb(x[a, r0:r1].reshape((1, r1 - r0, B)), part[a, c:c + 1], zero)
    lse_arb(part, out, zero)



@njit(cache=True, inline="always")
def _pnorm_step(acc, v, p):
    av = abs(v)
    if p == 2.0:
        return acc + av * av
    if p == 1.0:
        return acc + av
    if p == 0.0:
        return acc + (av != 0)
    if p == np.inf:
        return av if (av > acc or av != av) and acc == acc else acc
    if p == -np.inf:
        return av if (av < acc or av != av) and acc == acc else acc
    return acc + av ** p


@njit(cache=True, inline="always")
def _pnorm_finish(acc, p):
    if p == 2.0:
        return math.sqrt(acc)
    if p == 1.0 or p == 0.0 or p == np.inf or p == -np.inf:
        return acc
    return acc ** (1.0 / p)


@njit(cache=True, fastmath=_REASSOC, error_model="numpy")
def pnorm_arb(x, out, p, zero):
    """out[a, b] = the p-norm over r of x[a, r, b]: (sum |x|**p)**(1/p); p = inf
    and -inf are max and min |x|, p = 0 counts the nonzeros."""
    A, R, B = x.shape
    init = np.inf if p == -np.inf else 0.0
    if B == 1 and p == 2.0:   # the common case: a loop that vectorises
        for a in range(A):
            acc = zero
            for r in range(R):
                v = x[a, r, 0]
                acc += v * v
            out[a, 0] = math.sqrt(acc)
        return
    if B == 1:
        for a in range(A):
            acc = init
            for r in range(R):
                acc = _pnorm_step(acc, x[a, r, 0], p)
            out[a, 0] = _pnorm_finish(acc, p)
        return
    acc_row = np.empty(B, dtype=np.float64)
    for a in range(A):
        acc_row[:] = init
        for r in range(R):
            for b in range(B):
                acc_row[b] = _pnorm_step(acc_row[b], x[a, r, b], p)
        for b in range(B):
            out[a, b] = _pnorm_finish(acc_row[b], p)


@njit(cache=True, parallel=True, fastmath=_REASSOC, error_model="numpy")
def pnorm_arb_parallel(x, out, p, zero):
    A, R, B = x.shape
    if A * B == 0 or R == 0:
        pnorm_arb(x, out, p, zero)
        return
    rs, nchunk = plan(A, R, B)
    if nchunk == 1:
        for a in prange(A):
            pnorm_arb(x[a:a + 1], out[a:a + 1], p, zero)
        return
    part = np.empty((A, nchunk, B), dtype=np.float64)
    for t in prange(A * nchunk):
        a, c, r0, r1 = _tile(t, nchunk, rs, R)
        pnorm_arb(x[a, r0:r1].reshape((1, r1 - r0, B)), part[a, c:c + 1], p, zero)
    # the p-norm of partial p-norms is the p-norm; partial counts (p = 0) add up
    pnorm_arb(part, out, 1.0 if p == 0.0 else p, zero)



@njit(cache=True)
def allany_arb(x, out, want_all):
    """out[a, b] = all (or any) x[a, r, b] != 0 over r."""
    A, R, B = x.shape
    if B == 1:
        for a in range(A):
            res = want_all
            for r in range(R):
                if (x[a, r, 0] != 0) != want_all:
                    res = not want_all
                    break
            out[a, 0] = res
        return
    acc = np.empty(B, dtype=np.bool_)
    for a in range(A):
        acc[:] = want_all
        for r in range(R):
            for b in range(B):
                nz = x[a, r, b] != 0
                acc[b] = (acc[b] and nz) if want_all else (acc[b] or nz)
        for b in range(B):
            out[a, b] = acc[b]


@njit(cache=True, parallel=True)
def allany_arb_parallel(x, out, want_all):
    A, R, B = x.shape
    if A * B == 0 or R == 0:
        allany_arb(x, out, want_all)
        return
    rs, nchunk = plan(A, R, B)
    if nchunk == 1:
        for a in prange(A):
            allany_arb(x[a:a + 1], out[a:a + 1], want_all)
        return
    part = np.empty((A, nchunk, B), dtype=np.bool_)
    for t in prange(A * nchunk):
        a, c, r0, r1 = _tile(t, nchunk, rs, R)
        allany_arb(x[a, r0:r1].reshape((1, r1 - r0, B)), part[a, c:c + 1], want_all)
    allany_arb(part, out, want_all)



# -- scans ----------------------------------------------------------------------
@njit(cache=True, error_model="numpy")
def scan_arb(x, out, init, is_prod, reverse, start=None):
    """out[a, r, b] = the running sum (or product) of x[a, :r + 1, b] (of
    x[a, r:, b] if `reverse`), accumulated from `init` (or from start[a, b])."""
    A, R, B = x.shape
    if B == 1:
        for a in range(A):
            acc1 = init if start is None else start[a, 0]
            for k in range(R):
                r = R - 1 - k if reverse else k
                if is_prod:
                    acc1 *= x[a, r, 0]
                else:
                    acc1 += x[a, r, 0]
                out[a, r, 0] = acc1
        return
    acc = np.empty(B, dtype=np.asarray(init).dtype)
    for a in range(A):
        if start is None:
            acc[:] = init
        else:
            for b in range(B):
                acc[b] = start[a, b]
        for k in range(R):
            r = R - 1 - k if reverse else k
            for b in range(B):
                if is_prod:
                    acc[b] *= x[a, r, b]
                else:
                    acc[b] += x[a, r, b]
                out[a, r, b] = acc[b]


@njit(cache=True, parallel=True, error_model="numpy")
def scan_arb_parallel(x, out, init, is_prod, reverse):
    A, R, B = x.shape
    if A * B * R == 0:
        return
    rs, nchunk = plan(A, R, B)
    if nchunk == 1:
        for a in prange(A):
            scan_arb(x[a:a + 1], out[a:a + 1], init, is_prod, reverse)
        return
    # chunk totals, their running totals in scan order, then each chunk's scan
    # started from the total of the chunks before it
    total = np.empty((A, nchunk, B), dtype=np.asarray(init).dtype)
    for t in prange(A * nchunk):
        a, c, r0, r1 = _tile(t, nchunk, rs, R)
        xt = x[a, r0:r1].reshape((1, r1 - r0, B))
        if is_prod:
            prod_arb(xt, total[a, c:c + 1], init)
        else:
            sum_arb(xt, total[a, c:c + 1], init, init + 1)
    before = np.empty((A, nchunk, B), dtype=np.asarray(init).dtype)
    for a in range(A):
        for b in range(B):
            acc = init
            for k in range(nchunk):
                c = nchunk - 1 - k if reverse else k
                before[a, c, b] = acc
                if is_prod:
                    acc *= total[a, c, b]
                else:
                    acc += total[a, c, b]
    for t in prange(A * nchunk):
        a, c, r0, r1 = _tile(t, nchunk, rs, R)
        scan_arb(x[a, r0:r1].reshape((1, r1 - r0, B)),
                 out[a, r0:r1].reshape((1, r1 - r0, B)), init, is_prod, reverse,
                 before[a, c:c + 1])
