"""Kernel pieces written once for both devices: the per-element work of
kernels whose CPU (``@njit`` loops) and CUDA (grid-stride) versions differ
only in how they walk the elements.

The functions here are plain Python that Numba's CPU and CUDA targets (and
the CUDA simulator) both compile, as `nbgrad.backends.philox` is.
`compile_for` returns them compiled for one target (the CPU passes
``njit(inline="always")``, so a kernel's loop stays one function; CUDA passes
``cuda.jit(device=True)``), with their calls to each other bound to the
compiled versions.  Each backend keeps its own loops, launch and
serial/parallel choice; a kernel calls one of these per element.
"""

import math
import types

__all__ = ["compile_for", "compile_functions", "NAMES"]


def compile_functions(namespace, names, jit):
    """{name: jit(function)} for each of `names` in `namespace` (a module's
    globals), each a copy whose globals name the compiled versions of the
    ones before it (so a function may call those)."""
    done = {}
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


NAMES = ("upper_bound", "insertion_point", "p_distance", "window_max")


def compile_for(jit):
    """{name: jit(function)} for every function of `NAMES`."""
    return compile_functions(globals(), NAMES, jit)
