"""CPU reduction kernels over a canonical (A, R, B) view: reduce the middle axis.

Any reduction over a set of dimensions is brought to this form by
`nbgrad.ops.reduce` (adjacent dimensions merge for free on contiguous input;
others are moved last and copied).  Floating sums accumulate in float64 and
may be reassociated (``fastmath={'reassoc'}``) so that the loop vectorises:
that changes the summation order only, as NumPy's pairwise sum also does.
"""

import numpy as np
from numba import njit, prange

_REASSOC = {"reassoc"}


@njit(cache=True, fastmath=_REASSOC)
def sum_arb(x, out, zero):
    A, R, B = x.shape
    if B == 1:
        for a in range(A):
            acc = zero
            for r in range(R):
                acc += x[a, r, 0]
            out[a, 0] = acc
        return
    acc_row = np.empty(B, dtype=np.asarray(zero).dtype)
    for a in range(A):
        acc_row[:] = zero
        for r in range(R):
            for b in range(B):
                acc_row[b] += x[a, r, b]
        for b in range(B):
            out[a, b] = acc_row[b]


@njit(cache=True, parallel=True, fastmath=_REASSOC)
def sum_arb_parallel(x, out, zero):
    A, R, B = x.shape
    if A == 1 and B == 1:
        acc = zero
        for r in prange(R):
            acc += x[0, r, 0]
        out[0, 0] = acc
        return
    for ab in prange(A * B):
        a = ab // B
        b = ab % B
        acc = zero
        for r in range(R):
            acc += x[a, r, b]
        out[a, b] = acc


@njit(cache=True, fastmath=_REASSOC)
def pnorm_arb(x, out, p, zero):
    A, R, B = x.shape
    for a in range(A):
        for b in range(B):
            acc = zero
            if p == 2.0:
                for r in range(R):
                    v = x[a, r, b]
                    acc += v * v
                out[a, b] = np.sqrt(acc)
            elif p == 1.0:
                for r in range(R):
                    acc += abs(x[a, r, b])
                out[a, b] = acc
            else:
                for r in range(R):
                    acc += abs(x[a, r, b]) ** p
                out[a, b] = acc ** (1.0 / p)
