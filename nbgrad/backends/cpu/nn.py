"""CPU kernels of the neural-network ops: softmax / log_softmax, dropout, the
negative log-likelihood and the fused losses (mse, binary cross-entropy).

Softmax kernels work on a contiguous canonical (A, R, B) view: normalise over
the middle axis; `softmax` and `softmax_backward` run the serial kernel, or the
parallel one above `PARALLEL_THRESHOLD` elements.  log_softmax is
(x - max) - log(sum(exp(x - max))), as in PyTorch: x - (max + log sum) would
lose log sum to rounding for large logits.  The sum is taken as 1 + rest
(rest: the terms other than the max's own exp(0) = 1) and its log as
log1p(rest), so that a tiny rest (a confident prediction: log_softmax of the
max is -rest) is not rounded away either; the backward writes
exp(out) = 1 + expm1(out) for the same reason.

Loss kernels work on flat contiguous buffers of one shape
(the caller broadcasts and copies first) and return their float64 sums, so
that 'mean' and 'sum' reductions never allocate the elementwise loss;
`reduced_loss` makes the 0-d result from such a sum.
Sums may be reassociated (``fastmath={'reassoc'}``) so that they vectorise.
"""

import math

import numpy as np
from numba import njit, prange

from nbgrad.backends import neutral
from nbgrad.backends.cpu import creation as _creation
from nbgrad.backends.cpu import elementwise as _elementwise

_REASSOC = {"reassoc"}
# softmax columns and the binary cross-entropies' per-element arithmetic, shared with CUDA
(_softmax_column, _softmax_backward_column, _log_softmax_grad) = neutral.compile_for(
    njit(inline="always"), "softmax_column", "softmax_backward_column", "log_softmax_grad")
(_bce_loss, _bce_logits_loss, _scaled_grad, _bce_grad_input, _bce_grad_target,
 _bce_logits_grad_input, _bce_logits_grad_target) = neutral.compile_for(
    njit(inline="always"), "bce_loss", "bce_logits_loss", "scaled_grad",
    "bce_grad_input", "bce_grad_target", "bce_logits_grad_input", "bce_logits_grad_target")


# -- softmax -----------------------------------------------------------------
@njit(cache=True, error_model="numpy", inline="always")
def _softmax_block(x, out, a, log, m, s, ties):
    # the inner axis is contiguous: sweep whole rows of B at a time so that
    # the loops over b vectorise, instead of striding column by column
    R, B = x.shape[1], x.shape[2]
    for b in range(B):
        m[b] = x[a, 0, b]
    for r in range(1, R):
        for b in range(B):
            if x[a, r, b] > m[b]:
                m[b] = x[a, r, b]
    s[:] = 0.0
    if log:
        ties[:] = 0.0
        for r in range(R):   # the terms apart from exp(0) = 1: see neutral.softmax_column
            for b in range(B):
                d = x[a, r, b] - m[b]
                e = math.exp(d)
                s[b] += 0.0 if d == 0 else e
                ties[b] += 1.0 if d == 0 else 0.0
        for b in range(B):
            s[b] = math.log1p(s[b] + (ties[b] - 1.0))
        for r in range(R):   # (x - m) - lse, never x - (m + lse): see neutral.softmax_column
            for b in range(B):
                out[a, r, b] = (x[a, r, b] - m[b]) - s[b]
    else:
        for r in range(R):
            for b in range(B):
                e = math.exp(x[a, r, b] - m[b])
                out[a, r, b] = e
                s[b] += e
        for b in range(B):
            s[b] = 1.0 / s[b]
        for r in range(R):
            for b in range(B):
                out[a, r, b] *= s[b]


def softmax(x, out, log):
    """out = softmax (or log_softmax when `log`) of x over axis 1 of (A, R, B)."""
    if out.size >= _elementwise.PARALLEL_THRESHOLD:
        softmax_parallel(x, out, log)
    else:
        softmax_serial(x, out, log)


def softmax_backward(g, out, gx, log):
    """gx from g and the forward output, over axis 1 of (A, R, B) (`softmax_backward_serial`)."""
    if gx.size >= _elementwise.PARALLEL_THRESHOLD:
        softmax_backward_parallel(g, out, gx, log)
    else:
        softmax_backward_serial(g, out, gx, log)


@njit(cache=True, error_model="numpy")
def softmax_serial(x, out, log):
    """out = softmax (or log_softmax when `log`) of x over axis 1 of (A, R, B)."""
    A, B = x.shape[0], x.shape[2]
    if B == 1:
        for a in range(A):
            _softmax_column(x, out, a, 0, log)
        return
    m = np.empty(B, x.dtype)
    s = np.empty(B, np.float64)
    ties = np.empty(B, np.float64)
    for a in range(A):
        _softmax_block(x, out, a, log, m, s, ties)


@njit(cache=True, error_model="numpy", parallel=True)
def softmax_parallel(x, out, log):
    A, B = x.shape[0], x.shape[2]
    if B == 1 or A == 1:
        for ab in prange(A * B):
            _softmax_column(x, out, ab // B, ab % B, log)
        return
    for a in prange(A):
        m = np.empty(B, x.dtype)
        s = np.empty(B, np.float64)
        ties = np.empty(B, np.float64)
        _softmax_block(x, out, a, log, m, s, ties)


@njit(cache=True, error_model="numpy")
def softmax_backward_serial(g, out, gx, log):
    """gx from g and the forward output, over axis 1 of (A, R, B): log_softmax
    g - exp(out) * sum(g) (`_log_softmax_grad`), softmax out * (g - sum(g * out))."""
    A, R, B = g.shape
    if B == 1:
        for a in range(A):
            _softmax_backward_column(g, out, gx, a, 0, log)
        return
    s = np.empty(B, np.float64)
    for a in range(A):
        s[:] = 0.0
        for r in range(R):
            for b in range(B):
                s[b] += g[a, r, b] if log else g[a, r, b] * out[a, r, b]
        for r in range(R):
            for b in range(B):
                if log:
                    gx[a, r, b] = _log_softmax_grad(g[a, r, b], out[a, r, b], s[b])
                else:
                    gx[a, r, b] = out[a, r, b] * (g[a, r, b] - s[b])


@njit(cache=True, error_model="numpy", parallel=True)
def softmax_backward_parallel(g, out, gx, log):
    A, B = g.shape[0], g.shape[2]
    for ab in prange(A * B):
        _softmax_backward_column(g, out, gx, ab // B, ab % B, log)


def reduced_loss(total, n, reduction, dtype):
    """The 0-d `dtype` result of a loss from its float64 `total` over `n` elements:
    the total ('sum') or total / n ('mean'; NaN for no element)."""
    out = np.empty((), dtype)
    out[()] = total if reduction == "sum" else (total / n if n else math.nan)
    return out


# -- dropout -----------------------------------------------------------------
@njit(cache=True, error_model="numpy")
def _dropout(x, out, mask, p, scale, seed, offset):
    for i in range(x.shape[0]):
        # element i's uniform from the generator state (seed, offset): the CUDA draw's
        u = _creation._sample(_creation._UNIFORM, seed, offset + np.uint64(i), 0.0, 1.0, 53)
        mask[i] = scale if u >= p else 0.0
        out[i] = x[i] * mask[i]   # the mask in x's dtype: out is exactly x * mask


def dropout(x, out, mask, p, scale, seed, offset):
    """Keep each element with probability 1 - p, scaled by `scale`; the uniforms
    come from the generator state (seed, offset) (`nbgrad.backends.philox`)."""
    _dropout(x, out, mask, p, scale, np.uint64(seed), np.uint64(offset))


# -- negative log-likelihood ---------------------------------------------------
@njit(cache=True, error_model="numpy")
def class_targets_bad(target, n_classes, ignore_index):
    """The first target that is neither a class index nor ignore_index, or -1
    with ``found`` False."""
    for i in range(target.shape[0]):
        t = target[i]
        if t != ignore_index and (t < 0 or t >= n_classes):
            return True, t
    return False, 0


@njit(cache=True, error_model="numpy", fastmath=_REASSOC)
def nll(x, target, weight, ignore_index, out):
    """out[n, d] = -weight[t] * x[n, t, d] with t = target[n, d] (0 where
    ignored) over an (N, C, D) input; returns (sum of out, sum of the weights
    of the targets that count)."""
    N, C, D = x.shape
    total = 0.0
    wsum = 0.0
    for n in range(N):
        for d in range(D):
            t = target[n, d]
            if t == ignore_index:
                out[n, d] = 0.0
                continue
            w = weight[t]
            v = -w * x[n, t, d]
            out[n, d] = v
            total += v
            wsum += w
    return total, wsum


@njit(cache=True, error_model="numpy", fastmath=_REASSOC)
def target_weight_sum(target, weight, ignore_index):
    """The sum of weight[t] over the targets t that are not ignore_index."""
    total = 0.0
    for i in range(target.shape[0]):
        t = target[i]
        if t != ignore_index:
            total += weight[t]
    return total


@njit(cache=True, error_model="numpy")
def nll_backward(target, weight, ignore_index, g, scale, gx):
    """gx[n, t, d] = -weight[t] * g[n, d] * scale (zero elsewhere); `g` is
    (N, D), or (1, 1) for a reduced loss."""
    N, C, D = gx.shape
    for n in range(N):
        for c in range(C):
            for d in range(D):
                gx[n, c, d] = 0.0
    one = g.shape[0] == 1 and g.shape[1] == 1
    for n in range(N):
        for d in range(D):
            t = target[n, d]
            if t != ignore_index:
                gv = g[0, 0] if one else g[n, d]
                gx[n, t, d] = -weight[t] * gv * scale


# -- fused elementwise losses --------------------------------------------------
@njit(cache=True, error_model="numpy", fastmath=_REASSOC)
def mse(x, t, out):
    """(x - t)**2 into `out` (when it has x's length) and its float64 sum."""
    write = out.shape[0] == x.shape[0]
    total = 0.0
    for i in range(x.shape[0]):
        d = x[i] - t[i]
        v = d * d
        if write:
            out[i] = v
        total += v
    return total


@njit(cache=True, error_model="numpy")
def unit_interval_bad(x):
    """True if some element of x is outside [0, 1] (or nan)."""
    for i in range(x.shape[0]):
        if not (0.0 <= x[i] <= 1.0):
            return True
    return False


@njit(cache=True, error_model="numpy", fastmath=_REASSOC)
def _bce_sum(x, t, w, pw, out, logits):
    """The binary cross-entropy of each element (from logits when `logits`), times
    w, written to `out` when it has x's length; returns the float64 sum.  The
    weight and write are inline, not a shared helper taking the arrays: that kept
    the loop from vectorising (2x slower)."""
    write = out.shape[0] == x.shape[0]
    weighted = w.shape[0] == x.shape[0]
    positive = pw.shape[0] == x.shape[0]
    total = 0.0
    for i in range(x.shape[0]):
        if logits:
            coef = 1.0 + (pw[i] - 1.0) * t[i] if positive else 1.0
            v = _bce_logits_loss(x[i], t[i], coef)
        else:
            v = _bce_loss(x[i], t[i])
        if weighted:
            v *= w[i]
        if write:
            out[i] = v
        total += v
    return total


def binary_cross_entropy(x, t, w, out):
    """-w (t log x + (1 - t) log(1 - x)), each log clamped at -100 as PyTorch;
    `w` has x's length or is empty (no weight).  Returns the float64 sum."""
    return _bce_sum(x, t, w, x[:0], out, False)


def binary_cross_entropy_with_logits(x, t, w, pw, out):
    """(1 - t) x + (1 + (pw - 1) t) softplus(-x), times w (`neutral.bce_logits_loss`);
    `w`, `pw` have x's length or are empty.  Returns the float64 sum."""
    return _bce_sum(x, t, w, pw, out, True)


@njit(cache=True, error_model="numpy")
def binary_cross_entropy_backward(x, t, w, g, scale, gx, gt):
    """The gradients of binary_cross_entropy for input (into `gx`) and target
    (into `gt`), each skipped when empty; g has x's length or is one value."""
    for i in range(x.shape[0]):
        gv = _scaled_grad(g, i, scale, w)
        if gx.shape[0] > 0:
            gx[i] = _bce_grad_input(x[i], t[i], gv)
        if gt.shape[0] > 0:
            gt[i] = _bce_grad_target(x[i], gv)


@njit(cache=True, error_model="numpy")
def binary_cross_entropy_with_logits_backward(x, t, w, pw, g, scale, gx, gt):
    """The gradients of binary_cross_entropy_with_logits for input (into `gx`)
    and target (into `gt`), each skipped when empty."""
    positive = pw.shape[0] > 0
    for i in range(x.shape[0]):
        gv = _scaled_grad(g, i, scale, w)
        if gx.shape[0] > 0:
            gx[i] = _bce_logits_grad_input(x[i], t[i], pw[i] if positive else 1.0, positive, gv)
        if gt.shape[0] > 0:
            gt[i] = _bce_logits_grad_target(x[i], pw[i] if positive else 1.0, positive, gv)
