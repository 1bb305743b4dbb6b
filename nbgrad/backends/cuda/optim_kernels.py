"""CUDA kernels of `nbgrad.optim`: one launch updates every parameter of a group.

The twin of `nbgrad.backends.cpu.optim_kernels`.  A kernel takes tuples of
1-D device arrays (parameters, gradients, state buffers; one entry per
parameter, so Numba compiles one specialisation per group size) and loops
over them with a grid-stride loop each: one launch, whatever the number of
parameters.  Step counters stay on the CPU (PyTorch keeps them there unless
``capturable``): they are advanced by the CPU module and the per-parameter
scalars (bias corrections, step sizes) computed on the host, in float64 as
PyTorch computes them in Python, and passed by value in a tuple.  Arithmetic
runs in float64 (PyTorch rounds a float32 parameter's scalars to float32: the
results agree to float32 rounding).  Imported only when a parameter is on a
GPU.
"""

import math

import numpy as np

from nbgrad.backends.cuda import _numba_cuda
from nbgrad.backends.cuda import launch as _launch
from nbgrad.backends.cuda._numba_cuda import cuda

__all__ = ["adagrad", "adam", "rmsprop", "sgd"]


def _flat(t):
    a = t._data
    if not t.is_contiguous():
        raise RuntimeError(f"nbgrad.optim on CUDA: a tensor of shape {list(t.shape)} is not "
                           "contiguous (make the parameter contiguous)")
    return _numba_cuda.flat(a, a.size)


def _tuples(ps, states, names):
    """(params, grads, state tuples...) of flat device arrays; a missing state is the
    parameters' tuple (never touched: its flag is off)."""
    p = tuple(_flat(x) for x in ps)
    g = tuple(_flat(x._grad) for x in ps)
    s = tuple(p if n is None else tuple(_flat(st[n]) for st in states) for n in names)
    return p, g, s


def _steps(states):
    from nbgrad.backends.cpu import optim_kernels as k
    table = np.zeros((len(states), k.NCOLS), np.int64)
    for r, st in enumerate(states):
        step = st["step"]
        k.put(table, r, k.STEP, step._data)
        if step._data.dtype == np.float64:
            table[r, k.FLAGS] |= k.STEP_F64
    return k.step_values(table)


def _total(ps):
    return max(x.numel() for x in ps)


@cuda.jit(cache=True)
def _sgd(ps, gs, bufs, first, lr, mom, damp1, wd, nesterov, sign):
    start, stride = cuda.grid(1), cuda.gridsize(1)
    for k in range(len(ps)):
        p, g, buf = ps[k], gs[k], bufs[k]
        for i in range(start, p.shape[0], stride):
            d = sign * g[i]
            if wd != 0:
                d = d + wd * p[i]
            if mom != 0:
                b = d if first[k] else buf[i] * mom + damp1 * d
                buf[i] = b
                d = d + mom * b if nesterov else b
            p[i] = p[i] - lr * d


def sgd(ps, states, names, first, lr, momentum, dampening, weight_decay, nesterov, maximize):
    p, g, (buf,) = _tuples(ps, states, names)
    first = tuple(bool(f) for f in first) if first is not None else (False,) * len(ps)
    _launch.launch(_sgd, _total(ps), p, g, buf, first, float(lr), float(momentum),
                   float(1 - dampening), float(weight_decay), bool(nesterov),
                   -1.0 if maximize else 1.0)


@cuda.jit(cache=True)
def _adam(ps, gs, ms, vs, vmaxs, sc, w1, b2, w2, eps, wd, coupled, amsgrad, sign):
    start, stride = cuda.grid(1), cuda.gridsize(1)
    for k in range(len(ps)):
        p, g, m, v, vmax = ps[k], gs[k], ms[k], vs[k], vmaxs[k]
        step_size, bc2s, decay = sc[3 * k], sc[3 * k + 1], sc[3 * k + 2]
        for i in range(start, p.shape[0], stride):
            d = sign * g[i]
            pi = p[i] * decay
            if coupled:
                d = d + wd * pi
            mi = m[i]
            mi = mi + w1 * (d - mi) if abs(w1) < 0.5 else d - (d - mi) * (1 - w1)
            m[i] = mi
            vi = v[i] * b2 + w2 * d * d
            v[i] = vi
            if amsgrad:
                a = vmax[i]
                vi = a if (a > vi or math.isnan(a)) else vi
                vmax[i] = vi
            p[i] = pi - step_size * mi / (math.sqrt(vi) / bc2s + eps)


def adam(ps, states, names, first, lr, beta1, beta2, eps, weight_decay, decoupled, amsgrad,
         maximize):
    p, g, (m, v, vmax) = _tuples(ps, states, names)
    lr, beta1, beta2, wd = float(lr), float(beta1), float(beta2), float(weight_decay)
    sc = []
    for step in _steps(states):
        sc += [lr / (1 - beta1 ** step), (1 - beta2 ** step) ** 0.5,
               1 - lr * wd if decoupled else 1.0]
    _launch.launch(_adam, _total(ps), p, g, m, v, vmax, tuple(sc), 1 - beta1, beta2,
                   1 - beta2, float(eps), wd, wd != 0 and not decoupled, bool(amsgrad),
                   -1.0 if maximize else 1.0)


@cuda.jit(cache=True)
def _rmsprop(ps, gs, sqs, bufs, gas, lr, a, w, eps, wd, mom, centered, sign):
    start, stride = cuda.grid(1), cuda.gridsize(1)
    for k in range(len(ps)):
        p, g, sq, buf, ga = ps[k], gs[k], sqs[k], bufs[k], gas[k]
        for i in range(start, p.shape[0], stride):
            d = sign * g[i]
            if wd != 0:
                d = d + wd * p[i]
            s = sq[i] * a + w * d * d
            sq[i] = s
            if centered:
                gi = ga[i]
                gi = gi + w * (d - gi) if abs(w) < 0.5 else d - (d - gi) * (1 - w)
                ga[i] = gi
                avg = math.sqrt(s + -gi * gi) + eps
            else:
                avg = math.sqrt(s) + eps
            if mom > 0:
                b = buf[i] * mom + d / avg
                buf[i] = b
                p[i] = p[i] - lr * b
            else:
                p[i] = p[i] - lr * d / avg


def rmsprop(ps, states, names, first, lr, alpha, eps, weight_decay, momentum, centered,
            maximize):
    p, g, (sq, buf, ga) = _tuples(ps, states, names)
    _steps(states)
    _launch.launch(_rmsprop, _total(ps), p, g, sq, buf, ga, float(lr), float(alpha),
                   float(1 - alpha), float(eps), float(weight_decay), float(momentum),
                   bool(centered), -1.0 if maximize else 1.0)


@cuda.jit(cache=True)
def _adagrad(ps, gs, accs, clrs, eps, wd, sign):
    start, stride = cuda.grid(1), cuda.gridsize(1)
    for k in range(len(ps)):
        p, g, acc = ps[k], gs[k], accs[k]
        clr = clrs[k]
        for i in range(start, p.shape[0], stride):
            d = sign * g[i]
            if wd != 0:
                d = d + wd * p[i]
            s = acc[i] + d * d
            acc[i] = s
            p[i] = p[i] - clr * d / (math.sqrt(s) + eps)


def adagrad(ps, states, names, first, lr, lr_decay, eps, weight_decay, maximize):
    p, g, (acc, _, _) = _tuples(ps, states, names)
    clrs = tuple(float(lr) / (1 + (step - 1) * float(lr_decay)) for step in _steps(states))
    _launch.launch(_adagrad, _total(ps), p, g, acc, clrs, float(eps), float(weight_decay),
                   -1.0 if maximize else 1.0)
