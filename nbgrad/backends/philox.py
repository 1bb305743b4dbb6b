"""The counter-based generator of every random draw: Philox4x32-10 and the
distributions built on it, written once for both backends.

Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
SC 2011; the generator of PyTorch's and cuRAND's CUDA draws) maps a 128-bit
counter and a 64-bit key to four 32-bit words.  nbgrad's generator state is a
(seed, offset) pair: the key is the seed, and element ``i`` of a draw reads
the block at counter ``(offset + i, sub)``, ``sub`` numbering further blocks
of one element (rejection loops: `poisson`).  A draw of n elements advances
the offset by n.  So element i's numbers depend only on (seed, offset + i):
a ``prange`` loop, a GPU grid of any shape and a serial loop give the same
numbers, and the CPU and CUDA kernels give the same numbers for one seed.

The functions here are plain Python over ``uint64`` values (each below 2**32
for a 32-bit word), so that the same source runs in Numba's CPU and CUDA
targets and in the CUDA simulator.  A function calls the others by name;
`compile_for` returns them compiled for one target (``njit``,
``cuda.jit(device=True)``) with those calls bound to the compiled versions.

Distributions (`sample`): each element uses the four words of its block:
uniform from 53 bits (24 for float32: exact in float32, so never 1.0),
normal by Box-Muller (one output per block), exponential by inversion,
Cauchy by the tangent, log-normal as exp(normal), geometric by inversion,
Bernoulli as ``u < p``, Poisson by multiplication for rates below 10 and by
Hoermann's PTRS transformed rejection above (as NumPy and PyTorch).
`permutation` is randperm's Fisher-Yates walk (one thread on CUDA),
`categorical_draws` a row of multinomial with replacement.
"""

import math

import numpy as np

from nbgrad.backends import neutral
from nbgrad.backends.neutral import upper_bound

__all__ = ["compile_for", "NAMES", "UNIFORM", "NORMAL", "EXPONENTIAL", "CAUCHY", "LOG_NORMAL",
           "GEOMETRIC", "BERNOULLI", "POISSON"]

# what `sample` draws: a + (b - a) * U, a + b * Z, Exp(1) / a, a + b * tan(pi (U - 1/2)),
# exp(a + b * Z), Geometric(a), Bernoulli(a), Poisson(a)
UNIFORM, NORMAL, EXPONENTIAL, CAUCHY, LOG_NORMAL, GEOMETRIC, BERNOULLI, POISSON = range(8)

_M0 = np.uint64(0xD2511F53)   # Philox4x32's multipliers and Weyl key increments
_M1 = np.uint64(0xCD9E8D57)
_W0 = np.uint64(0x9E3779B9)
_W1 = np.uint64(0xBB67AE85)
_LOW = np.uint64(0xFFFFFFFF)
_U0 = np.uint64(0)
_U1 = np.uint64(1)
_S8 = np.uint64(8)
_S11 = np.uint64(11)
_S32 = np.uint64(32)
_2M24 = 1.0 / (1 << 24)
_2M53 = 1.0 / (1 << 53)
_TWO_PI = 2.0 * math.pi


def philox4x32(c0, c1, c2, c3, k0, k1):
    """Philox4x32-10 of counter (c0..c3) and key (k0, k1): four words."""
    for _ in range(10):
        p0 = _M0 * c0          # 32 x 32 -> 64 bits: never overflows a uint64
        p1 = _M1 * c2
        c0, c1, c2, c3 = ((p1 >> _S32) ^ c1 ^ k0, p1 & _LOW, (p0 >> _S32) ^ c3 ^ k1, p0 & _LOW)
        k0 = (k0 + _W0) & _LOW
        k1 = (k1 + _W1) & _LOW
    return c0, c1, c2, c3


def block(seed, index, sub):
    """The four words of element `index`'s block `sub` under key `seed` (all uint64)."""
    return philox4x32(index & _LOW, index >> _S32, sub & _LOW, sub >> _S32, seed & _LOW,
                      seed >> _S32)


def unit53(hi, lo):
    """A float64 in [0, 1) from the top 53 bits of the 64-bit word (hi, lo)."""
    return np.float64(((hi << _S32) | lo) >> _S11) * _2M53


def unit24(w):
    """A float64 in [0, 1) from the top 24 bits of `w` (exact in float32)."""
    return np.float64(w >> _S8) * _2M24


def gaussian(w0, w1, w2, w3):
    """A standard normal number from four words (Box-Muller's cosine branch)."""
    u1 = 1.0 - unit53(w0, w1)       # in (0, 1]: log(u1) is finite
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(_TWO_PI * unit53(w2, w3))


def floor_f(x):
    """floor(x) as a float at any magnitude (math.floor returns an int64 in Numba,
    which overflows beyond 2**63)."""
    if not abs(x) < 4503599627370496.0:   # 2**52: x is an integer already (or inf, NaN)
        return x
    return np.float64(math.floor(x))


def below(seed, index, span):
    """A uint64 uniform in [0, span) (span 0: all 2**64 values) from element
    `index`'s block (the modulo's bias is at most span / 2**64)."""
    w0, w1, w2, w3 = block(seed, index, _U0)
    r = (w0 << _S32) | w1
    if span == _U0:
        return r
    return r % span


def poisson(seed, index, lam):
    """A Poisson(lam) count for element `index`, from its blocks 0, 1, 2, ..."""
    if lam <= 0.0:
        return 0.0
    sub = _U0
    if lam < 10.0:   # Knuth: multiply uniforms until the product falls below exp(-lam)
        limit = math.exp(-lam)
        k = 0.0
        prod = 1.0
        while True:
            w0, w1, w2, w3 = block(seed, index, sub)
            sub += _U1
            prod *= unit53(w0, w1)
            if prod <= limit:
                return k
            k += 1.0
            prod *= unit53(w2, w3)
            if prod <= limit:
                return k
            k += 1.0
    slam = math.sqrt(lam)
    loglam = math.log(lam)
    b = 0.931 + 2.53 * slam
    a = -0.059 + 0.02483 * b
    invalpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2.0)
    while True:   # Hoermann (1993), PTRS
        w0, w1, w2, w3 = block(seed, index, sub)
        sub += _U1
        u = unit53(w0, w1) - 0.5
        v = unit53(w2, w3)
        us = 0.5 - abs(u)
        k = floor_f((2.0 * a / us + b) * u + lam + 0.43)
        if us >= 0.07 and v <= vr:
            return k
        if k < 0.0 or (us < 0.013 and v > us):
            continue
        if v > 0.0 and math.log(v) + math.log(invalpha) - math.log(a / (us * us) + b) <= \
                -lam + k * loglam - math.lgamma(k + 1.0):
            return k


def sample(kind, seed, index, a, b, bits):
    """Element `index`'s number of distribution `kind` with parameters a, b
    (`bits`: 24 or 53, the uniform's precision for UNIFORM)."""
    w0, w1, w2, w3 = block(seed, index, _U0)
    if kind == UNIFORM:
        u = unit24(w0) if bits == 24 else unit53(w0, w1)
        return a + (b - a) * u
    if kind == NORMAL:
        return a + b * gaussian(w0, w1, w2, w3)
    if kind == EXPONENTIAL:   # -log(1 - U) / lambda
        return -math.log1p(-unit53(w0, w1)) / a
    if kind == CAUCHY:
        return a + b * math.tan(math.pi * (unit53(w0, w1) - 0.5))
    if kind == LOG_NORMAL:
        return math.exp(a + b * gaussian(w0, w1, w2, w3))
    if kind == GEOMETRIC:   # the first success of Bernoulli(a) trials, >= 1
        return max(1.0, -floor_f(-math.log1p(-unit53(w0, w1)) / math.log1p(-a)))
    if kind == BERNOULLI:
        return 1.0 if unit53(w0, w1) < a else 0.0
    return poisson(seed, index, a)


def permutation(out, seed, offset):
    """A uniform permutation of 0..n-1 into int64 `out` (Fisher-Yates: step k
    swaps k with a position below k + 1 drawn from counter offset + k; serial
    by nature)."""
    n = out.shape[0]
    for i in range(n):
        out[i] = i
    for k in range(n - 1, 0, -1):
        j = np.int64(below(seed, offset + np.uint64(k), np.uint64(k + 1)))
        t = out[k]
        out[k] = out[j]
        out[j] = t


def categorical_draws(p, out, r, seed, offset, cdf):
    """Row r of multinomial with replacement: out[r, s] = the class of uniform
    draw s (counter offset + r * S + s) by a search of row r's cumulative sums
    (written into `cdf`, p's row length)."""
    C = p.shape[1]
    S = out.shape[1]
    acc = 0.0
    for c in range(C):
        acc += p[r, c]
        cdf[c] = acc
    for s in range(S):
        u = sample(UNIFORM, seed, offset + np.uint64(r * S + s), 0.0, 1.0, 53) * acc
        lo = upper_bound(cdf, 0, C - 1, u)
        while p[r, lo] == 0.0:   # u rounded up to the total: the last possible class
            lo -= 1
        out[r, s] = lo


NAMES = ("philox4x32", "block", "unit53", "unit24", "gaussian", "floor_f", "below", "poisson",
         "sample", "permutation", "categorical_draws")


def compile_for(jit):
    """{name: jit(function)} for every function of `NAMES`, each calling the
    compiled versions of the others (a copy of the function whose globals name
    them): the CPU backend passes ``njit``, the CUDA one ``cuda.jit(device=True)``."""
    bound = neutral.compile_functions(vars(neutral), ("upper_bound",), jit)
    return neutral.compile_functions(globals(), NAMES, jit, bound)
