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
def write_block(dst, index, src, o, i0, i1, accumulate):
    """dst[o, index[o, k, i], i] = (or +=) src[o, k, i] for each k in turn and
    i in [i0, i1).  `index` broadcasts along its outer and inner axes where
    they have size 1: a scatter's index is (O, K, I), a put's (advanced-indexing
    assignment: one row of dst per k) (1, K, 1).  A thread that owns columns
    [i0, i1) keeps "last write wins" and the accumulation order of a serial loop."""
    io = o if index.shape[0] > 1 else 0
    for k in range(src.shape[1]):
        if index.shape[2] == 1:   # one row of dst: its index read once
            j = index[io, k, 0]
            if accumulate:
                for i in range(i0, i1):
                    dst[o, j, i] += src[o, k, i]
            else:
                for i in range(i0, i1):
                    dst[o, j, i] = src[o, k, i]
        elif accumulate:
            for i in range(i0, i1):
                dst[o, index[io, k, i], i] += src[o, k, i]
        else:
            for i in range(i0, i1):
                dst[o, index[io, k, i], i] = src[o, k, i]


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


# -- softmax over axis 1 of (A, R, B), one (a, b) column --------------------------------
def softmax_column(x, out, a, b, log):
    """out[a, :, b] = softmax (log_softmax when `log`) of x[a, :, b]."""
    # m has x's dtype, so that exp runs in x's precision; sums are float64
    R = x.shape[1]
    m = x[a, 0, b]
    for r in range(1, R):
        if x[a, r, b] > m:
            m = x[a, r, b]
    s = 0.0
    if log:
        ties = 0.0
        for r in range(R):
            d = x[a, r, b] - m
            if d == 0:
                ties += 1.0
            else:
                s += math.exp(d)
        lse = math.log1p(s + (ties - 1.0))
        for r in range(R):   # (x - m) - lse: m + lse would round lse away for a large m
            out[a, r, b] = (x[a, r, b] - m) - lse
    else:
        for r in range(R):   # one exp per element: keep it in out, then scale
            e = math.exp(x[a, r, b] - m)
            out[a, r, b] = e
            s += e
        inv = 1.0 / s
        for r in range(R):
            out[a, r, b] *= inv


_LN2 = math.log(2.0)


def log_softmax_grad(gv, o, s):
    """g - exp(o) * sum(g), with exp(o) = 1 + expm1(o) where o is near 0: the
    gradient of a confident target's loss, softmax - 1, is then -expm1(o)
    itself, not the rounding left by 1 - softmax."""
    if o > -_LN2:
        return (gv - s) - math.expm1(o) * s
    return gv - math.exp(o) * s


def softmax_backward_column(g, out, gx, a, b, log):
    """gx[a, :, b] from g and the forward output: log_softmax g - exp(out) * sum(g)
    (`log_softmax_grad`), softmax out * (g - sum(g * out))."""
    R = g.shape[1]
    s = 0.0
    if log:
        for r in range(R):
            s += g[a, r, b]
        for r in range(R):
            gx[a, r, b] = log_softmax_grad(g[a, r, b], out[a, r, b], s)
    else:
        for r in range(R):
            s += g[a, r, b] * out[a, r, b]
        for r in range(R):
            gx[a, r, b] = out[a, r, b] * (g[a, r, b] - s)


# -- binary cross-entropies ---------------------------------------------------------------
# The logs and exps run in x's precision: Numba's float() keeps a float32 a float32
# (as PyTorch's CPU kernels compute float32 losses); products with the float64
# constants below widen the rest.
def log1p_near_zero(e):
    """log1p(e) for e in [-1, 1]: a short series near 0 and log(1 + e)
    elsewhere (accurate to ~1e-12 in float64), several times faster than libm's log1p."""
    if abs(e) < 1e-4:
        return e * (1.0 - e * (0.5 - e / 3.0))
    return math.log(1.0 + e)


def clamped_logs(xi):
    """max(log x, -100) and max(log(1 - x), -100), as PyTorch clamps them."""
    xd = float(xi)
    lx = max(math.log(xd), -100.0) if xd > 0 else -100.0
    l1x = max(log1p_near_zero(-xd), -100.0) if xd < 1 else -100.0
    return lx, l1x


def softplus_neg_abs(xi):
    """log(1 + exp(-|x|)) and exp(-|x|)."""
    e = math.exp(-abs(float(xi)))
    return log1p_near_zero(e), e


def bce_loss(xi, ti):
    """One element of binary_cross_entropy: -(t log x + (1 - t) log(1 - x)).
    (The per-element functions here take and return numbers: an inlined
    function that takes arrays kept the CPU loops from vectorising, 2x slower.)"""
    lx, l1x = clamped_logs(xi)
    return -(ti * lx + (1.0 - ti) * l1x)


def bce_logits_loss(xi, ti, coef):
    """One element of binary_cross_entropy_with_logits: (1 - t) x + coef softplus(-x)
    (coef: 1 + (pw - 1) t, or 1 without pos_weight), softplus(-x) written
    log1p(exp(-|x|)) + max(-x, 0) so that no exp overflows."""
    sp = softplus_neg_abs(xi)[0] + max(-xi, 0.0)
    return (1.0 - ti) * xi + coef * sp


def scaled_grad(g, i, scale, w):
    """The incoming gradient of element i (g has x's length or is one value),
    times `scale` and w[i] (w empty: no weight)."""
    gv = (g[i] if g.shape[0] > 1 else g[0]) * scale
    return gv * w[i] if w.shape[0] > 0 else gv


def bce_grad_input(xi, ti, gv):
    """binary_cross_entropy's input gradient of one element, times gv."""
    return gv * (xi - ti) / max((1.0 - xi) * xi, 1e-12)


def bce_grad_target(xi, gv):
    """binary_cross_entropy's target gradient of one element, times gv."""
    lx, l1x = clamped_logs(xi)
    return gv * (l1x - lx)


def bce_logits_grad_input(xi, ti, pwi, positive, gv):
    """binary_cross_entropy_with_logits' input gradient of one element."""
    e = softplus_neg_abs(xi)[1]
    sig = 1.0 / (1.0 + e) if xi >= 0 else e / (1.0 + e)
    if positive:
        return gv * ((1.0 + (pwi - 1.0) * ti) * sig - pwi * ti)
    return gv * (sig - ti)


def bce_logits_grad_target(xi, pwi, positive, gv):
    """binary_cross_entropy_with_logits' target gradient of one element."""
    if positive:
        return gv * ((pwi - 1.0) * (softplus_neg_abs(xi)[0] + max(-xi, 0.0)) - xi)
    return -gv * xi


NAMES = ("write_block", "softmax_column", "log_softmax_grad", "softmax_backward_column",
         "upper_bound", "insertion_point", "median_position", "row_mode", "runs", "p_distance",
         "im2col_entry", "window_max", "log1p_near_zero", "clamped_logs", "softplus_neg_abs",
         "bce_loss", "bce_logits_loss", "scaled_grad", "bce_grad_input",
         "bce_grad_target", "bce_logits_grad_input", "bce_logits_grad_target")


def compile_for(jit, *names):
    """The functions `names` (of `NAMES`) compiled by `jit`, in that order."""
    done = compile_functions(globals(), NAMES, jit)
    return tuple(done[name] for name in names)
