"""CPU kernels of `nbgrad.optim`: one call updates every parameter of a group.

A group's tensors do not share one buffer (parameters belong to the model,
gradients are new arrays after each backward), so the optimizer passes a
*table*: an int64 array with one row per parameter holding its element
count and the addresses of its contiguous buffers (see the column names
below).  A kernel turns each address back into an array (`_view`) and runs
the whole update of that parameter in one pass: step counter, bias
corrections, state buffers and the parameter, as PyTorch's single-tensor
(``foreach=False``) formulas write them, operation for operation.

Per-parameter scalars (bias corrections, step sizes) are computed once per
row in float64, as PyTorch computes them in Python, then rounded to the
parameter's dtype, as PyTorch's tensor ops round a Python scalar.  Above
`PARALLEL_THRESHOLD` elements a group is cut into `CHUNK`-element pieces
spread over the threads (one parallel region for the whole group).

The caller (`nbgrad.optim._fused`) keeps the arrays alive during a call and
checks dtypes, shapes and contiguity before; `put` fills one address.
"""

import math
import os

import numpy as np
from numba import carray, njit, prange, types
from numba.extending import intrinsic

__all__ = [
    "CHUNK",
    "FIRST",
    "FLAGS",
    "NCOLS",
    "PARALLEL_THRESHOLD",
    "S0",
    "S1",
    "S2",
    "STEP",
    "STEP_F64",
    "G",
    "N",
    "P",
    "adagrad",
    "adam",
    "axpy_flat",
    "gather_flat",
    "lbfgs_direction",
    "put",
    "rmsprop",
    "sgd",
    "step_values",
]

# table columns: element count, then addresses: parameter, gradient, up to three
# state buffers, the 0-d step counter; then flags
N, P, G, S0, S1, S2, STEP, FLAGS, NCOLS = range(9)
STEP_F64 = 1   # the step counter is float64 (else float32)
FIRST = 2      # SGD: the momentum buffer is new (PyTorch clones the gradient into it)

CHUNK = 1 << 14
PARALLEL_THRESHOLD = int(os.environ.get("NBGRAD_PARALLEL_THRESHOLD", str(1 << 16)))

_F32 = np.zeros(0, np.float32)
_F64 = np.zeros(0, np.float64)


@intrinsic
def _pointer(typingctx, addr, like):
    """A typed pointer to `like`'s dtype at integer address `addr`."""
    sig = types.CPointer(like.dtype)(addr, like)

    def codegen(context, builder, signature, args):
        return builder.inttoptr(args[0], context.get_value_type(signature.return_type))
    return sig, codegen


@njit(cache=True, error_model="numpy", inline="always")
def _view(addr, n, like):
    return carray(_pointer(addr, like), n)


@njit(cache=True, error_model="numpy", inline="always")
def _piece(addr, lo, hi, like):
    """Elements [lo, hi) of the buffer at `addr`.  Kernels loop over such pieces from
    index 0: an index LLVM can prove non-negative needs no wraparound test, so the
    loops vectorise."""
    return carray(_pointer(addr + lo * like.itemsize, like), hi - lo)


@njit(cache=True, error_model="numpy")
def put(table, row, col, a):
    """table[row, col] = the address of `a`; returns whether `a` is C-contiguous."""
    table[row, col] = a.ctypes.data
    expected = a.itemsize
    for d in range(a.ndim - 1, -1, -1):
        if a.shape[d] != 1 and a.strides[d] != expected:
            return False
        expected *= a.shape[d]
    return True


@njit(cache=True, error_model="numpy", inline="always")
def _next_step(row):
    """Add 1 to the row's step counter (float32 or float64, as PyTorch keeps it) and
    return the new value as a Python float would hold it."""
    if row[FLAGS] & STEP_F64:
        s = _view(row[STEP], 1, _F64)
        s[0] += 1.0
        return s[0]
    s32 = _view(row[STEP], 1, _F32)
    s32[0] += np.float32(1.0)
    return np.float64(s32[0])


@njit(cache=True, error_model="numpy")
def step_values(table):
    """Advance each row's step counter; the new values (for kernels on another device,
    whose step counters stay on the CPU, as PyTorch keeps them)."""
    out = np.empty(table.shape[0])
    for r in range(table.shape[0]):
        out[r] = _next_step(table[r])
    return out


@njit(cache=True, error_model="numpy")
def _chunk_starts(table):
    starts = np.empty(table.shape[0] + 1, np.int64)
    starts[0] = 0
    for r in range(table.shape[0]):
        starts[r + 1] = starts[r] + (table[r, N] + CHUNK - 1) // CHUNK
    return starts


# -- SGD ---------------------------------------------------------------------------------
@njit(cache=True, error_model="numpy", inline="always")
def _sgd_loop(p, g, buf, n, sign, lr, mom, damp1, wd, nesterov, decay, momentum, first):
    # `decay`, `momentum`, `first` are literals at each call: branch-free copies
    for i in range(n):
        d = sign * g[i]
        if decay:
            d = d + wd * p[i]
        if momentum:
            b = d if first else buf[i] * mom + damp1 * d
            buf[i] = b
            d = d + mom * b if nesterov else b
        p[i] = p[i] + lr * d


@njit(cache=True, error_model="numpy", inline="always")
def _sgd_momentum_cases(p, g, buf, n, sign, lr, mom, damp1, wd, nesterov, decay, momentum,
                        first):
    # `decay` is a literal at each call (inlined: it stays one in _sgd_loop)
    if not momentum:
        _sgd_loop(p, g, buf, n, sign, lr, mom, damp1, wd, nesterov, decay, False, False)
    elif first:
        _sgd_loop(p, g, buf, n, sign, lr, mom, damp1, wd, nesterov, decay, True, True)
    else:
        _sgd_loop(p, g, buf, n, sign, lr, mom, damp1, wd, nesterov, decay, True, False)


@njit(cache=True, error_model="numpy", inline="always")
def _sgd_range(row, like, lo, hi, lr, momentum, dampening, wd, nesterov, maximize):
    p = _piece(row[P], lo, hi, like)
    g = _piece(row[G], lo, hi, like)
    buf = _piece(row[S0], lo, hi, like) if momentum != 0 else g
    n = hi - lo
    t = like.dtype.type
    sg, lr_, mom, d1, wd_ = t(-1 if maximize else 1), t(-lr), t(momentum), t(1 - dampening), t(wd)
    first = row[FLAGS] & FIRST
    if wd != 0:
        _sgd_momentum_cases(p, g, buf, n, sg, lr_, mom, d1, wd_, nesterov, True, momentum != 0,
                            first)
    else:
        _sgd_momentum_cases(p, g, buf, n, sg, lr_, mom, d1, wd_, nesterov, False, momentum != 0,
                            first)


@njit(cache=True, error_model="numpy")
def _sgd_serial(table, like, lr, momentum, dampening, wd, nesterov, maximize):
    for r in range(table.shape[0]):
        _sgd_range(table[r], like, 0, table[r, N], lr, momentum, dampening, wd, nesterov,
                   maximize)


@njit(cache=True, error_model="numpy", parallel=True)
def _sgd_parallel(table, like, lr, momentum, dampening, wd, nesterov, maximize):
    starts = _chunk_starts(table)
    for c in prange(starts[-1]):
        r = np.searchsorted(starts, c, side="right") - 1
        lo = (c - starts[r]) * CHUNK
        _sgd_range(table[r], like, lo, min(lo + CHUNK, table[r, N]), lr, momentum, dampening,
                   wd, nesterov, maximize)


def sgd(table, like, parallel, lr, momentum, dampening, weight_decay, nesterov, maximize):
    """SGD over the table's rows (columns N, P, G, S0: momentum buffer, FLAGS & FIRST)."""
    k = _sgd_parallel if parallel else _sgd_serial
    k(table, like, float(lr), float(momentum), float(dampening), float(weight_decay),
      bool(nesterov), bool(maximize))


# -- Adam / AdamW ------------------------------------------------------------------------
@njit(cache=True, error_model="numpy")
def _adam_scalars(table, lr, beta1, beta2, wd, decoupled):
    """Per row: step size, sqrt of the second bias correction, decoupled decay factor."""
    out = np.empty((table.shape[0], 3))
    for r in range(table.shape[0]):
        step = _next_step(table[r])
        bc1 = 1 - beta1 ** step
        bc2 = 1 - beta2 ** step
        out[r, 0] = lr / bc1
        out[r, 1] = bc2 ** 0.5
        out[r, 2] = 1 - lr * wd if decoupled else 1.0
    return out


@njit(cache=True, error_model="numpy", inline="always")
def _adam_loop(p, g, m, v, vmax, n, sign, decay, w1, b2, w2, wd, step_size, bc2s, eps,
               coupled, amsgrad):
    # called with literal `coupled` / `amsgrad`: each copy is a branch-free loop that
    # LLVM vectorises (a branch on a runtime flag inside the loop would stop it)
    small = abs(w1) < 0.5
    for i in range(n):
        d = sign * g[i]
        pi = p[i] * decay            # AdamW's decay; exactly p when decay is 1
        if coupled:
            d = d + wd * pi
        mi = m[i]
        mi = mi + w1 * (d - mi) if small else d - (d - mi) * (1 - w1)   # ATen's lerp
        m[i] = mi
        vi = v[i] * b2 + w2 * d * d
        v[i] = vi
        if amsgrad:
            a = vmax[i]
            vi = a if (a > vi or math.isnan(a)) else vi   # torch.maximum: NaN wins
            vmax[i] = vi
        denom = math.sqrt(vi) / bc2s + eps
        p[i] = pi + step_size * mi / denom   # addcdiv_: self + value * t1 / t2


@njit(cache=True, error_model="numpy", inline="always")
def _adam_range(row, sc, like, lo, hi, beta1, beta2, eps, wd, decoupled, amsgrad, maximize):
    p = _piece(row[P], lo, hi, like)
    g = _piece(row[G], lo, hi, like)
    m = _piece(row[S0], lo, hi, like)
    v = _piece(row[S1], lo, hi, like)
    vmax = _piece(row[S2], lo, hi, like) if amsgrad else v
    n = hi - lo
    t = like.dtype.type
    sg, dc, w1, b2, w2 = t(-1 if maximize else 1), t(sc[2]), t(1 - beta1), t(beta2), t(1 - beta2)
    wd_, ss, bs, ep = t(wd), t(-sc[0]), t(sc[1]), t(eps)
    if wd != 0 and not decoupled:
        if amsgrad:
            _adam_loop(p, g, m, v, vmax, n, sg, dc, w1, b2, w2, wd_, ss, bs, ep, True, True)
        else:
            _adam_loop(p, g, m, v, vmax, n, sg, dc, w1, b2, w2, wd_, ss, bs, ep, True, False)
    elif amsgrad:
        _adam_loop(p, g, m, v, vmax, n, sg, dc, w1, b2, w2, wd_, ss, bs, ep, False, True)
    else:
        _adam_loop(p, g, m, v, vmax, n, sg, dc, w1, b2, w2, wd_, ss, bs, ep, False, False)


@njit(cache=True, error_model="numpy")
def _adam_serial(table, sc, like, beta1, beta2, eps, wd, decoupled, amsgrad, maximize):
    for r in range(table.shape[0]):
        _adam_range(table[r], sc[r], like, 0, table[r, N], beta1, beta2, eps, wd, decoupled,
                    amsgrad, maximize)


@njit(cache=True, error_model="numpy", parallel=True)
def _adam_parallel(table, sc, like, beta1, beta2, eps, wd, decoupled, amsgrad, maximize):
    starts = _chunk_starts(table)
    for c in prange(starts[-1]):
        r = np.searchsorted(starts, c, side="right") - 1
        lo = (c - starts[r]) * CHUNK
        _adam_range(table[r], sc[r], like, lo, min(lo + CHUNK, table[r, N]), beta1, beta2,
                    eps, wd, decoupled, amsgrad, maximize)


def adam(table, like, parallel, lr, beta1, beta2, eps, weight_decay, decoupled, amsgrad,
         maximize):
    """Adam (AdamW when `decoupled`) over the rows (S0 exp_avg, S1 exp_avg_sq, S2
    max_exp_avg_sq when `amsgrad`, STEP)."""
    lr, beta1, beta2, wd = float(lr), float(beta1), float(beta2), float(weight_decay)
    sc = _adam_scalars(table, lr, beta1, beta2, wd, bool(decoupled))
    k = _adam_parallel if parallel else _adam_serial
    k(table, sc, like, beta1, beta2, float(eps), wd, bool(decoupled), bool(amsgrad),
      bool(maximize))


# -- RMSprop -----------------------------------------------------------------------------
@njit(cache=True, error_model="numpy")
def _count_steps(table):
    for r in range(table.shape[0]):
        _next_step(table[r])


@njit(cache=True, error_model="numpy", inline="always")
def _rmsprop_loop(p, g, sq, buf, ga, n, sign, lr, a, w, eps, wd, mom, decay, momentum,
                  centered):
    # `decay`, `momentum`, `centered` are literals at each call: branch-free copies
    small = abs(w) < 0.5
    for i in range(n):
        d = sign * g[i]
        if decay:
            d = d + wd * p[i]
        s = sq[i] * a + w * d * d
        sq[i] = s
        if centered:
            gi = ga[i]
            gi = gi + w * (d - gi) if small else d - (d - gi) * (1 - w)   # ATen's lerp
            ga[i] = gi
            avg = math.sqrt(s + -gi * gi) + eps     # addcmul(ga, ga, value=-1).sqrt_()
        else:
            avg = math.sqrt(s) + eps
        if momentum:
            b = buf[i] * mom + d / avg
            buf[i] = b
            p[i] = p[i] + lr * b
        else:
            p[i] = p[i] + lr * d / avg


@njit(cache=True, error_model="numpy", inline="always")
def _rmsprop_cases(p, g, sq, buf, ga, n, sign, lr, a, w, eps, wd, mom, decay, momentum,
                   centered):
    # `decay` is a literal at each call (inlined: it stays one in _rmsprop_loop)
    if momentum:
        if centered:
            _rmsprop_loop(p, g, sq, buf, ga, n, sign, lr, a, w, eps, wd, mom, decay, True, True)
        else:
            _rmsprop_loop(p, g, sq, buf, ga, n, sign, lr, a, w, eps, wd, mom, decay, True, False)
    elif centered:
        _rmsprop_loop(p, g, sq, buf, ga, n, sign, lr, a, w, eps, wd, mom, decay, False, True)
    else:
        _rmsprop_loop(p, g, sq, buf, ga, n, sign, lr, a, w, eps, wd, mom, decay, False, False)


@njit(cache=True, error_model="numpy", inline="always")
def _rmsprop_range(row, like, lo, hi, lr, alpha, eps, wd, momentum, centered, maximize):
    p = _piece(row[P], lo, hi, like)
    g = _piece(row[G], lo, hi, like)
    sq = _piece(row[S0], lo, hi, like)
    buf = _piece(row[S1], lo, hi, like) if momentum > 0 else sq
    ga = _piece(row[S2], lo, hi, like) if centered else sq
    n = hi - lo
    t = like.dtype.type
    sg, lr_, a_, w_ = t(-1 if maximize else 1), t(-lr), t(alpha), t(1 - alpha)
    e_, wd_, mo = t(eps), t(wd), t(momentum)
    if wd != 0:
        _rmsprop_cases(p, g, sq, buf, ga, n, sg, lr_, a_, w_, e_, wd_, mo, True, momentum > 0,
                       centered)
    else:
        _rmsprop_cases(p, g, sq, buf, ga, n, sg, lr_, a_, w_, e_, wd_, mo, False, momentum > 0,
                       centered)


@njit(cache=True, error_model="numpy")
def _rmsprop_serial(table, like, lr, alpha, eps, wd, momentum, centered, maximize):
    for r in range(table.shape[0]):
        _rmsprop_range(table[r], like, 0, table[r, N], lr, alpha, eps, wd, momentum, centered,
                       maximize)


@njit(cache=True, error_model="numpy", parallel=True)
def _rmsprop_parallel(table, like, lr, alpha, eps, wd, momentum, centered, maximize):
    starts = _chunk_starts(table)
    for c in prange(starts[-1]):
        r = np.searchsorted(starts, c, side="right") - 1
        lo = (c - starts[r]) * CHUNK
        _rmsprop_range(table[r], like, lo, min(lo + CHUNK, table[r, N]), lr, alpha, eps, wd,
                       momentum, centered, maximize)


def rmsprop(table, like, parallel, lr, alpha, eps, weight_decay, momentum, centered, maximize):
    """RMSprop over the rows (S0 square_avg, S1 momentum_buffer, S2 grad_avg, STEP)."""
    _count_steps(table)
    k = _rmsprop_parallel if parallel else _rmsprop_serial
    k(table, like, float(lr), float(alpha), float(eps), float(weight_decay), float(momentum),
      bool(centered), bool(maximize))


# -- Adagrad -----------------------------------------------------------------------------
@njit(cache=True, error_model="numpy")
def _adagrad_scalars(table, lr, lr_decay):
    out = np.empty((table.shape[0], 1))
    for r in range(table.shape[0]):
        step = _next_step(table[r])
        out[r, 0] = lr / (1 + (step - 1) * lr_decay)
    return out


@njit(cache=True, error_model="numpy", inline="always")
def _adagrad_loop(p, g, acc, n, sign, clr, eps, wd, decay):
    one = p.dtype.type(1)
    for i in range(n):
        d = sign * g[i]
        if decay:
            d = d + wd * p[i]
        s = acc[i] + one * d * d
        acc[i] = s
        p[i] = p[i] + clr * d / (math.sqrt(s) + eps)


@njit(cache=True, error_model="numpy", inline="always")
def _adagrad_range(row, sc, like, lo, hi, eps, wd, maximize):
    p = _piece(row[P], lo, hi, like)
    g = _piece(row[G], lo, hi, like)
    acc = _piece(row[S0], lo, hi, like)
    t = like.dtype.type
    sg, clr, e_, wd_ = t(-1 if maximize else 1), t(-sc[0]), t(eps), t(wd)
    if wd != 0:
        _adagrad_loop(p, g, acc, hi - lo, sg, clr, e_, wd_, True)
    else:
        _adagrad_loop(p, g, acc, hi - lo, sg, clr, e_, wd_, False)


@njit(cache=True, error_model="numpy")
def _adagrad_serial(table, sc, like, eps, wd, maximize):
    for r in range(table.shape[0]):
        _adagrad_range(table[r], sc[r], like, 0, table[r, N], eps, wd, maximize)


@njit(cache=True, error_model="numpy", parallel=True)
def _adagrad_parallel(table, sc, like, eps, wd, maximize):
    starts = _chunk_starts(table)
    for c in prange(starts[-1]):
        r = np.searchsorted(starts, c, side="right") - 1
        lo = (c - starts[r]) * CHUNK
        _adagrad_range(table[r], sc[r], like, lo, min(lo + CHUNK, table[r, N]), eps, wd,
                       maximize)


def adagrad(table, like, parallel, lr, lr_decay, eps, weight_decay, maximize):
    """Adagrad over the rows (S0 sum, STEP)."""
    sc = _adagrad_scalars(table, float(lr), float(lr_decay))
    k = _adagrad_parallel if parallel else _adagrad_serial
    k(table, sc, like, float(eps), float(weight_decay), bool(maximize))


# -- L-BFGS ------------------------------------------------------------------------------
@njit(cache=True, error_model="numpy")
def axpy_flat(table, like, alpha, flat):
    """p += alpha * flat[offset:offset + n] for each row's parameter, offsets in row order."""
    a = like.dtype.type(alpha)
    off = 0
    for r in range(table.shape[0]):
        n = table[r, N]
        p = _view(table[r, P], n, like)
        for i in range(n):
            p[i] = p[i] + a * flat[off + i]
        off += n


@njit(cache=True, error_model="numpy")
def gather_flat(table, like, out):
    """Each row's gradient (zeros where its address is 0: no gradient) into `out`."""
    off = 0
    for r in range(table.shape[0]):
        n = table[r, N]
        if table[r, G] == 0:
            out[off:off + n] = 0
        else:
            g = _view(table[r, G], n, like)
            for i in range(n):
                out[off + i] = g[i]
        off += n


@njit(cache=True, error_model="numpy")
def _dot(a, b):
    s = a.dtype.type(0)
    for i in range(a.shape[0]):
        s += a[i] * b[i]
    return s


@njit(cache=True, error_model="numpy")
def lbfgs_direction(flat_grad, dirs, stps, ro, h_diag, al, out):
    """L-BFGS two-loop recursion: out = -H @ flat_grad from the history rows (addresses
    of old_dirs[i] and old_stps[i] in `dirs`, `stps`; `ro[i]` = 1 / y_i.s_i).  `al`
    receives the first loop's coefficients (PyTorch keeps them in the state)."""
    n = flat_grad.shape[0]
    like = flat_grad[:0]
    q = out
    for i in range(n):
        q[i] = -flat_grad[i]
    for k in range(dirs.shape[0] - 1, -1, -1):
        s = _view(stps[k], n, like)
        y = _view(dirs[k], n, like)
        al[k] = _dot(s, q) * ro[k]
        a = like.dtype.type(-al[k])
        for i in range(n):
            q[i] = q[i] + a * y[i]
    h = like.dtype.type(h_diag)
    for i in range(n):
        q[i] = q[i] * h
    for k in range(dirs.shape[0]):
        s = _view(stps[k], n, like)
        y = _view(dirs[k], n, like)
        be = _dot(y, q) * ro[k]
        a = like.dtype.type(al[k] - be)
        for i in range(n):
            q[i] = q[i] + a * s[i]
