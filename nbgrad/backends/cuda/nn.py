"""CUDA kernels of the neural-network ops: the twin of `nbgrad.backends.cpu.nn`.

Same functions, same arguments, same float64 arithmetic inside, so that the
devices agree to rounding.  Differences, all in what comes back:
- the loss kernels return their sum as a one-element float64 device array
  (`finish` turns it into the 0-d 'mean'/'sum' result on the device), and
  always write the elementwise loss into `out` when it has x's length;
- checks (`class_targets_bad`, `unit_interval_bad`) and the total weight of
  the targets (`nll`'s second result, `target_weight_sum`) come back to the
  host: one synchronisation each, as PyTorch's CUDA losses also do for
  their checks;
- `dropout` draws from the generator of `nbgrad.backends.philox`: the same
  seed gives the CPU's masks.
Softmax runs one thread per (a, b) column, serial over the normalised axis;
log_softmax and its gradient are written for precision as on the CPU.
"""

import math

import numpy as np

from nbgrad.backends import neutral
from nbgrad.backends.cuda import _numba_cuda as nc
from nbgrad.backends.cuda import launch as _launch
from nbgrad.backends.cuda._numba_cuda import cuda

# softmax columns and the binary cross-entropies' per-element arithmetic, shared with the CPU
(_softmax_column, _softmax_backward_column) = neutral.compile_for(
    cuda.jit(device=True), "softmax_column", "softmax_backward_column")
(_bce_loss, _bce_logits_loss, _scaled_grad, _bce_grad_input, _bce_grad_target,
 _bce_logits_grad_input, _bce_logits_grad_target) = neutral.compile_for(
    cuda.jit(device=True), "bce_loss", "bce_logits_loss", "scaled_grad",
    "bce_grad_input", "bce_grad_target", "bce_logits_grad_input", "bce_logits_grad_target")

__all__ = ["softmax", "softmax_backward", "dropout", "class_targets_bad", "nll",
           "target_weight_sum", "nll_backward", "mse", "unit_interval_bad",
           "binary_cross_entropy", "binary_cross_entropy_with_logits",
           "binary_cross_entropy_backward", "binary_cross_entropy_with_logits_backward",
           "finish"]


def _a(x):
    return nc.any_layout(x)


# -- softmax -----------------------------------------------------------------
@cuda.jit(cache=True)
def _softmax(x, out, log):
    A, B = x.shape[0], x.shape[2]
    for ab in range(cuda.grid(1), A * B, cuda.gridsize(1)):
        a, b = divmod(ab, B)
        _softmax_column(x, out, a, b, log)


@cuda.jit(cache=True)
def _softmax_backward(g, out, gx, log):
    A, B = g.shape[0], g.shape[2]
    for ab in range(cuda.grid(1), A * B, cuda.gridsize(1)):
        a, b = divmod(ab, B)
        _softmax_backward_column(g, out, gx, a, b, log)


def softmax(x, out, log):
    """out = softmax (or log_softmax) of x over axis 1 of (A, R, B)."""
    if out.size:
        _launch.launch(_softmax, x.shape[0] * x.shape[2], _a(x), _a(out), bool(log))


def softmax_backward(g, out, gx, log):
    """gx from g and the forward output (see the CPU kernel)."""
    if gx.size:
        _launch.launch(_softmax_backward, g.shape[0] * g.shape[2], _a(g), _a(out), _a(gx),
                       bool(log))


# -- dropout -----------------------------------------------------------------
@cuda.jit(cache=True)
def _dropout(u, x, out, mask, p, scale):
    for i in range(cuda.grid(1), x.shape[0], cuda.gridsize(1)):
        mask[i] = scale if u[i] >= p else 0.0
        out[i] = x[i] * mask[i]


def dropout(x, out, mask, p, scale, seed, offset):
    """Keep each element with probability 1 - p, scaled by `scale` (flat arrays); the
    uniforms come from the generator state (seed, offset), as the CPU's."""
    from nbgrad.backends import philox
    from nbgrad.backends.cuda import creation
    n = x.shape[0]
    u = nc.empty((n,), np.float64)
    creation.sample(u, philox.UNIFORM, seed, offset, 0.0, 1.0)
    _launch.launch(_dropout, n, u, _a(x), _a(out), _a(mask), np.float64(p), np.float64(scale))


# -- reductions of per-element values -----------------------------------------------
def _sum(vals):
    """The float64 sum of 1-D device array `vals`, as a (1,) device array."""
    from nbgrad.backends.cuda import reduce
    out = nc.empty((1, 1), np.float64)
    n = vals.shape[0]
    reduce.sum_arb(nc.as_strided(vals, (1, n, 1), (0, vals.strides[0], 0)), out,
                   np.float64(0), 1.0)
    return out.reshape(1)


@cuda.jit(cache=True)
def _finish(total, out, scale):
    if cuda.grid(1) == 0:
        out[0] = total[0] * scale


def finish(total, out, scale):
    """out[0] = total[0] * scale: a loss's 0-d result, on the device (out is 1-D)."""
    _launch.launch(_finish, 1, total, out, np.float64(scale))
    return out


def reduced_loss(total, n, reduction, dtype):
    """The 0-d `dtype` device result of a loss from its (1,) float64 device `total`
    over `n` elements: the total ('sum') or total / n ('mean'; NaN for no element)."""
    out = nc.empty((1,), np.dtype(dtype))
    finish(total, out, 1.0 if reduction == "sum" else (1.0 / n if n else math.nan))
    from nbgrad.backends.cuda import array
    return array.reshape(out, ())


def _host_value(d):
    return d.copy_to_host()[0]


# -- negative log-likelihood -----------------------------------------------------
def class_targets_bad(target, n_classes, ignore_index):
    """(True, value) for the first target that is neither a class nor ignore_index."""
    from nbgrad.backends.cpu import nn as cpu_nn
    from nbgrad.backends.cuda import copy
    return cpu_nn.class_targets_bad(copy.to_host(target), n_classes, ignore_index)


@cuda.jit(cache=True)
def _nll(x, target, weight, ignore_index, out, vals, used):
    N, C, D = x.shape
    for t in range(cuda.grid(1), N * D, cuda.gridsize(1)):
        n, d = divmod(t, D)
        c = target[n, d]
        if c == ignore_index:
            out[n, d] = 0.0
            vals[t] = 0.0
            used[t] = 0.0
            continue
        w = weight[c]
        v = -w * x[n, c, d]
        out[n, d] = v
        vals[t] = v
        used[t] = w


def nll(x, target, weight, ignore_index, out):
    """out[n, d] = -weight[t] * x[n, t, d]; returns (the sum of out as a (1,)
    device array, the total weight of the counted targets as a host float)."""
    N, C, D = x.shape
    vals = nc.empty((N * D,), np.float64)
    used = nc.empty((N * D,), np.float64)
    if N * D:
        _launch.launch(_nll, N * D, _a(x), _a(target), _a(weight), np.int64(ignore_index),
                       _a(out), vals, used)
    return _sum(vals), float(_host_value(_sum(used)))


def target_weight_sum(target, weight, ignore_index):
    """The sum of weight[t] over the targets that are not ignore_index (to the host)."""
    from nbgrad.backends.cpu import nn as cpu_nn
    from nbgrad.backends.cuda import copy
    return cpu_nn.target_weight_sum(copy.to_host(target), copy.to_host(weight), ignore_index)


@cuda.jit(cache=True)
def _nll_backward(target, weight, ignore_index, g, scale, gx):
    N, C, D = gx.shape
    one = g.shape[0] == 1 and g.shape[1] == 1
    for t in range(cuda.grid(1), N * C * D, cuda.gridsize(1)):
        n, c, d = _launch.coords3(t, C, D)
        k = target[n, d]
        if k == c and k != ignore_index:
            gv = g[0, 0] if one else g[n, d]
            gx[n, c, d] = -weight[k] * gv * scale
        else:
            gx[n, c, d] = 0.0


def nll_backward(target, weight, ignore_index, g, scale, gx):
    """gx[n, t, d] = -weight[t] * g[n, d] * scale, zero elsewhere (g (N, D) or (1, 1))."""
    if gx.size:
        _launch.launch(_nll_backward, gx.size, _a(target), _a(weight), np.int64(ignore_index),
                       _a(g), np.float64(scale), _a(gx))


# -- fused elementwise losses --------------------------------------------------
@cuda.jit(cache=True)
def _mse(x, t, vals, out, write):
    for i in range(cuda.grid(1), x.shape[0], cuda.gridsize(1)):
        d = x[i] - t[i]
        v = d * d
        if write:
            out[i] = v
        vals[i] = v


@cuda.jit(cache=True)
def _unit_bad(x, flag):
    for i in range(cuda.grid(1), x.shape[0], cuda.gridsize(1)):
        if not (0.0 <= x[i] <= 1.0):
            flag[0] = 1


@cuda.jit(device=True)
def _weigh_and_write(v, i, w, weighted, out, write):
    """Element i's loss `v`: times w[i] when `weighted`, written to out[i] when
    `write` (reduction='none'); returned for the sum."""
    if weighted:
        v *= w[i]
    if write:
        out[i] = v
    return v


@cuda.jit(cache=True)
def _bce(x, t, w, vals, out, write, weighted):
    for i in range(cuda.grid(1), x.shape[0], cuda.gridsize(1)):
        vals[i] = _weigh_and_write(_bce_loss(x[i], t[i]), i, w, weighted, out, write)


@cuda.jit(cache=True)
def _bcel(x, t, w, pw, vals, out, write, weighted, positive):
    for i in range(cuda.grid(1), x.shape[0], cuda.gridsize(1)):
        coef = 1.0 + (pw[i] - 1.0) * t[i] if positive else 1.0
        v = _bce_logits_loss(x[i], t[i], coef)
        vals[i] = _weigh_and_write(v, i, w, weighted, out, write)


def _loss(kernel, x, out, *args):
    n = x.shape[0]
    vals = nc.empty((n,), np.float64)
    write = out.shape[0] == n
    if n:
        _launch.launch(kernel, n, *[_a(a) if nc.is_device_array(a) else a for a in args],
                       vals, _a(out), write, *_flags(args, n))
    return _sum(vals)


def _flags(args, n):
    # which optional per-element arrays (weight, pos_weight) are present
    return tuple(a.shape[0] == n for a in args[2:])


def mse(x, t, out):
    """(x - t)**2 into `out` (when it has x's length); returns the float64 sum ((1,) device)."""
    n = x.shape[0]
    vals = nc.empty((n,), np.float64)
    if n:
        _launch.launch(_mse, n, _a(x), _a(t), vals, _a(out), out.shape[0] == n)
    return _sum(vals)


def unit_interval_bad(x):
    """True if some element of x is outside [0, 1] (or nan); a sync."""
    flag = cuda.to_device(np.zeros(1, np.int64))
    if x.shape[0]:
        _launch.launch(_unit_bad, x.shape[0], _a(x), flag)
    return bool(_host_value(flag))


def binary_cross_entropy(x, t, w, out):
    """The clamped binary cross-entropy (see the CPU kernel); returns its sum ((1,) device)."""
    return _loss(_bce, x, out, x, t, w)


def binary_cross_entropy_with_logits(x, t, w, pw, out):
    """binary cross-entropy from logits (see the CPU kernel); returns its sum ((1,) device)."""
    return _loss(_bcel, x, out, x, t, w, pw)


@cuda.jit(cache=True)
def _bce_backward(x, t, w, g, scale, gx, gt):
    for i in range(cuda.grid(1), x.shape[0], cuda.gridsize(1)):
        gv = _scaled_grad(g, i, scale, w)
        if gx.shape[0] > 0:
            gx[i] = _bce_grad_input(x[i], t[i], gv)
        if gt.shape[0] > 0:
            gt[i] = _bce_grad_target(x[i], gv)


@cuda.jit(cache=True)
def _bcel_backward(x, t, w, pw, g, scale, gx, gt):
    positive = pw.shape[0] > 0
    for i in range(cuda.grid(1), x.shape[0], cuda.gridsize(1)):
        gv = _scaled_grad(g, i, scale, w)
        if gx.shape[0] > 0:
            gx[i] = _bce_logits_grad_input(x[i], t[i], pw[i] if positive else 1.0, positive, gv)
        if gt.shape[0] > 0:
            gt[i] = _bce_logits_grad_target(x[i], pw[i] if positive else 1.0, positive, gv)


def binary_cross_entropy_backward(x, t, w, g, scale, gx, gt):
    """Input and target gradients of binary_cross_entropy (each skipped when empty)."""
    if x.shape[0]:
        _launch.launch(_bce_backward, x.shape[0], _a(x), _a(t), _a(w), _a(g),
                       np.float64(scale), _a(gx), _a(gt))


def binary_cross_entropy_with_logits_backward(x, t, w, pw, g, scale, gx, gt):
    """Input and target gradients of binary_cross_entropy_with_logits."""
    if x.shape[0]:
        _launch.launch(_bcel_backward, x.shape[0], _a(x), _a(t), _a(w), _a(pw), _a(g),
                       np.float64(scale), _a(gx), _a(gt))
