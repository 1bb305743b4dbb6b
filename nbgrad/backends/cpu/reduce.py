"""The CPU backend's reductions and scans over a canonical (A, R, B) view: reduce
(or scan) the middle axis.  The ops bring any reduction over a set of
dimensions to this form (adjacent dimensions merge for free on contiguous
input; others are moved last and copied) and call the functions of `__all__`,
which have the same signatures as the CUDA backend's; each chooses its serial
or parallel kernel by size (`PARALLEL_THRESHOLD`).

Kernels of the reductions declared in `nbgrad.backends.reduce_templates`
(sum, prod, all/any, p-norms, var, logsumexp) are generated from the
template, one module per (template, accumulator dtype), as top-level
functions of a cached file (`codegen.load_module`):

- ``serial(x, *outs, *params)``: each row one tile, folded then finished; with
  B == 1 the state is in scalars (a loop that vectorises), else in rows of B;
- ``states(x, *state_arrays, *params)``: the same, writing the unfinished
  states (the tiles of the parallel kernel);
- ``parallel(x, *outs, *params)``: each row `a` one task, cut into chunks of
  R when there are too few rows to keep every thread busy (`plan`); chunk
  states are merged, then finished.

max/min (an integer-key scan with indices) and the scans are written by hand.
Floating reductions accumulate in float64 (int64 for integers) and may be
reassociated (``fastmath={'reassoc'}``) so that the loops vectorise: that
changes the summation order only, as NumPy's pairwise sum also does.  Kernels
use NumPy's error model: 0/0 is NaN and x/0 is inf, never an exception.
"""

import math

import numba
import numpy as np
from numba import njit, prange

from nbgrad.backends import codegen
from nbgrad.backends import reduce_templates as templates
from nbgrad.backends.cpu.elementwise import PARALLEL_THRESHOLD
from nbgrad.backends.cpu.elementwise import run as _run_elementwise
from nbgrad.backends.family import IDENTITY, KernelFamily

__all__ = ["allany_arb", "kernels", "lse_arb", "minmax_arb", "plan", "pnorm_arb", "prod_arb",
           "run", "scan_arb", "spread", "sum_arb", "tile", "var_arb"]

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
def tile(t, nchunk, rs, R):
    """(a, chunk, r0, r1) of task t: x[a, r0:r1] (C-contiguous: loops over it
    start at 0, so Numba drops the negative-index check and LLVM vectorises them)."""
    a = t // nchunk
    c = t % nchunk
    r0 = c * rs
    return a, c, r0, min(r0 + rs, R)


# -- kernels generated from the templates ----------------------------------------------
_HEADER = """\
import math
import numpy as np
from numba import njit, prange
from nbgrad.backends.cpu.reduce import plan, tile
ACC = np.{acc}
_OPTS = dict(fastmath={{"reassoc"}}, error_model="numpy")
"""


def _rows_body(t, store):
    """The lines of a kernel over x (A, R, B) computing each row's state and
    handing it to `store(b)` (the lines using the components at index b)."""
    T = templates
    i1, i2, i3 = (" " * k for k in (8, 12, 16))
    lines = ["    _A, _R, _B = x.shape", "    n = _R", "    if _B == 1:",
             "        for _a in range(_A):"]
    lines += T.fold_lines(t, i2, "x[_a, _r, 0]", "for _r in range(_R):")
    lines += [i2 + ln for ln in store("0")] + ["        return"]
    kinds = T.folded(t)
    rows = (["c"] if t.centre else []) + kinds
    lines += [f"    {k}_row = np.empty(_B, ACC)" for k in rows]
    lines.append("    for _a in range(_A):")
    load_c = [f"{i3}c = c_row[_b]"] if t.centre else []
    if t.centre:
        cinit, cfold, cfinish = t.centre
        lines += [f"{i1}for _b in range(_B):", f"{i2}c_row[_b] = ACC({cinit})",
                  f"{i1}for _r in range(_R):", f"{i2}for _b in range(_B):",
                  f"{i3}v = x[_a, _r, _b]", f"{i3}c = c_row[_b]", f"{i3}c_row[_b] = {cfold}",
                  f"{i1}for _b in range(_B):", f"{i2}c = c_row[_b]",
                  f"{i2}c_row[_b] = {cfinish}"]
    init = T.assign(t.state, [t.init[s] for s in t.state], i2, acc=True)
    lines += [f"{i1}for _b in range(_B):"] + [ln[4:] for ln in load_c] + [init]
    lines += [f"{i2}{k}_row[_b] = {k}" for k in kinds]
    lines += [f"{i1}for _r in range(_R):", f"{i2}for _b in range(_B):",
              f"{i3}v = x[_a, _r, _b]"] + load_c
    lines += [f"{i3}{k} = {k}_row[_b]" for k in kinds]
    lines += [T.assign(kinds, [t.fold[s] for s in kinds], i3)]
    lines += [f"{i3}{k}_row[_b] = {k}" for k in kinds]
    lines += [f"{i1}for _b in range(_B):"] + [ln[4:] for ln in load_c] + [init]
    lines += [f"{i2}{k} = {k}_row[_b]" for k in kinds]
    lines += [i2 + ln for ln in store("_b")]
    return lines


def _source(t, acc):
    outs = [f"out{j}" for j in range(len(t.finish))]
    parts = [f"{s}_part" for s in t.state]
    P = list(t.params)
    finish = [f"{o}[_a, {{b}}] = {e}" for o, e in zip(outs, t.finish)]
    keep = [f"{s}_st[_a, {{b}}] = {s}" for s in t.state]
    lines = [_HEADER.format(acc=acc), "@njit(cache=CACHE, **_OPTS)",
             f"def serial({', '.join(['x'] + outs + P)}):"]
    lines += _rows_body(t, lambda b: [f.format(b=b) for f in finish])
    lines += ["", "", "@njit(cache=CACHE, **_OPTS)",
              f"def states({', '.join(['x'] + [s + '_st' for s in t.state] + P)}):"]
    lines += _rows_body(t, lambda b: [f.format(b=b) for f in keep])
    sub = ", ".join([f"{o}[_a:_a + 1]" for o in outs] + P)
    lines += ["", "", "@njit(cache=CACHE, parallel=True, **_OPTS)",
              f"def parallel({', '.join(['x'] + outs + P)}):",
              "    _A, _R, _B = x.shape",
              "    if _A * _B == 0 or _R == 0:",
              f"        serial({', '.join(['x'] + outs + P)})",
              "        return",
              "    _rs, _nchunk = plan(_A, _R, _B)",
              "    if _nchunk == 1:",
              "        for _a in prange(_A):",
              f"            serial(x[_a:_a + 1], {sub})",
              "        return"]
    lines += [f"    {p} = np.empty((_A, _nchunk, _B), ACC)" for p in parts]
    tiles = ", ".join([f"{p}[_a, _ch:_ch + 1]" for p in parts] + P)
    lines += ["    for _t in prange(_A * _nchunk):",
              "        _a, _ch, _r0, _r1 = tile(_t, _nchunk, _rs, _R)",
              f"        states(x[_a, _r0:_r1].reshape((1, _r1 - _r0, _B)), {tiles})",
              "    for _a in range(_A):",
              "        for _b in range(_B):"]
    lines += [f"            {s} = {s}_part[_a, 0, _b]" for s in t.state]
    lines += ["            for _k in range(1, _nchunk):"]
    lines += [f"                {s}_ = {s}_part[_a, _k, _b]" for s in t.state]
    lines += templates.merge_lines(t, "                ")
    lines += [f"            {f.format(b='_b')}" for f in finish]
    return "\n".join(lines) + "\n"


_modules = {}


def kernels(name, acc="float64"):
    """The generated module (``serial``, ``states``, ``parallel``) of template
    `name` accumulating in `acc` ('float64' or 'int64')."""
    key = (name, acc)
    mod = _modules.get(key)
    if mod is None:
        t = templates.TEMPLATES[name]
        stem = name.replace("-", "neg")
        mod = _modules[key] = codegen.load_module(f"reduce_{stem}_{acc}", _source(t, acc))
    return mod


_pairs = {}        # (template, acc) -> (serial kernel, parallel kernel)
_ACC = {np.float64: "float64", float: "float64", np.int64: "int64", int: "int64"}


def _pair(name, acc):
    """(serial, parallel) kernels of template `name` accumulating in `acc` (loaded,
    compiled on first call)."""
    pair = _pairs.get((name, acc))
    if pair is None:
        mod = kernels(name, acc)
        pair = _pairs[name, acc] = (mod.serial, mod.parallel)
    return pair


def _forget(name):
    # a removed template: drop its modules and kernels (a new one may take the name)
    _fixed.pop(name, None)
    for cache in (_modules, _pairs, _by_class):
        for key in [k for k in cache if k[0] == name]:
            del cache[key]


templates.on_remove(_forget)


def run(name, x, outs, params, acc="float64"):
    """Reduce x (A, R, B) with template `name` into `outs` ((A, B) arrays, one per
    output of its finish), `params` its runtime scalars: in parallel from
    `PARALLEL_THRESHOLD` elements."""
    _pair(name, acc)[x.size >= PARALLEL_THRESHOLD](x, *outs, *params)


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
def _minmax(x, keys, vals, idx, want_max, is_float, kmin, klo, khi):
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
def _minmax_parallel(x, keys, vals, idx, want_max, is_float, kmin, klo, khi):
    A, R, B = x.shape
    if A * B == 0:
        return
    rs, nchunk = plan(A, R, B)
    if nchunk == 1:
        for a in prange(A):
            _minmax(x[a:a + 1], keys[a:a + 1], vals[a:a + 1], idx[a:a + 1], want_max,
                       is_float, kmin, klo, khi)
        return
    pv = np.empty((A, nchunk, B), dtype=x.dtype)
    pi = np.empty((A, nchunk, B), dtype=idx.dtype)
    for t in prange(A * nchunk):
        a, c, r0, r1 = tile(t, nchunk, rs, R)
        _minmax(x[a, r0:r1].reshape((1, r1 - r0, B)), keys[a, r0:r1].reshape((1, r1 - r0, B)),
                   pv[a, c:c + 1], pi[a, c:c + 1], want_max, is_float, kmin, klo, khi)
    pk = np.empty((A, nchunk, B), dtype=keys.dtype)
    for a in range(A):
        for c in range(nchunk):
            for b in range(B):
                pi[a, c, b] += c * rs
                pk[a, c, b] = keys[a, pi[a, c, b], b]
    _minmax(pv, pk, vals, idx, want_max, is_float, kmin, klo, khi)   # idx: the chunk
    for a in range(A):
        for b in range(B):
            idx[a, b] = pi[a, idx[a, b], b]


# -- scans ----------------------------------------------------------------------
@njit(cache=True, error_model="numpy")
def _scan(x, out, init, is_prod, reverse, start=None):
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


@njit(cache=True, fastmath=_REASSOC, error_model="numpy")
def _total(x, out, init, is_prod):
    """out[0, b] = the sum (or product) of x[0, :, b] from `init`: a chunk's total."""
    _, R, B = x.shape
    if B == 1:
        acc1 = init
        for r in range(R):
            if is_prod:
                acc1 *= x[0, r, 0]
            else:
                acc1 += x[0, r, 0]
        out[0, 0] = acc1
        return
    acc = np.empty(B, dtype=np.asarray(init).dtype)
    acc[:] = init
    for r in range(R):
        for b in range(B):
            if is_prod:
                acc[b] *= x[0, r, b]
            else:
                acc[b] += x[0, r, b]
    for b in range(B):
        out[0, b] = acc[b]


@njit(cache=True, parallel=True, error_model="numpy")
def _scan_parallel(x, out, init, is_prod, reverse):
    A, R, B = x.shape
    if A * B * R == 0:
        return
    rs, nchunk = plan(A, R, B)
    if nchunk == 1:
        for a in prange(A):
            _scan(x[a:a + 1], out[a:a + 1], init, is_prod, reverse)
        return
    # chunk totals, their running totals in scan order, then each chunk's scan
    # started from the total of the chunks before it
    total = np.empty((A, nchunk, B), dtype=np.asarray(init).dtype)
    for t in prange(A * nchunk):
        a, c, r0, r1 = tile(t, nchunk, rs, R)
        xt = x[a, r0:r1].reshape((1, r1 - r0, B))
        _total(xt, total[a, c:c + 1], init, is_prod)
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
        a, c, r0, r1 = tile(t, nchunk, rs, R)
        _scan(x[a, r0:r1].reshape((1, r1 - r0, B)),
                 out[a, r0:r1].reshape((1, r1 - r0, B)), init, is_prod, reverse,
                 before[a, c:c + 1])


# -- the backend's reduce API (the CUDA backend has the same) ---------------------------
# The functions below are the hot path of every reduction of a small tensor: one
# dict lookup by a cached key (the accumulator's class for sum and prod), then
# the serial or parallel kernel by size.
_by_class = {}     # (template, class of zero/one) -> (serial, parallel)
_fixed = {}        # template of a fixed accumulator -> (serial, parallel)


def _acc(zero):
    """The accumulator dtype that the type of `zero` (or `one`) says."""
    acc = _ACC.get(zero.__class__)
    if acc is None:
        acc = "int64" if np.asarray(zero).dtype.kind in "iub" else "float64"
    return acc


def _pair_of(name, zero):
    pair = _by_class[name, zero.__class__] = _pair(name, _acc(zero))
    return pair


def _fixed_pair(name, acc="float64"):
    pair = _fixed[name] = _pair(name, acc)
    return pair


def sum_arb(x, out, zero, scale):
    """out[a, b] = scale * sum_r x[a, r, b] (`scale` 1/R: a mean), accumulated in
    the type of `zero` (float64 or int64), as `scale` is."""
    pair = _by_class.get(("sum", zero.__class__)) or _pair_of("sum", zero)
    pair[x.size >= PARALLEL_THRESHOLD](x, out, scale)
    return out


def prod_arb(x, out, one):
    """out[a, b] = prod_r x[a, r, b], accumulated in the type of `one`."""
    pair = _by_class.get(("prod", one.__class__)) or _pair_of("prod", one)
    pair[x.size >= PARALLEL_THRESHOLD](x, out, one)
    return out


_PNORMS = {2.0: "pnorm2", 1.0: "pnorm1", 0.0: "pnorm0", math.inf: "pnorminf",
           -math.inf: "pnorm-inf"}


def pnorm_arb(x, out, p, zero=None):
    """out[a, b] = the p-norm over r of x[a, r, b]: (sum |x|**p)**(1/p) in float64;
    p = inf and -inf are max and min |x| (NaN propagates), p = 0 counts nonzeros."""
    name = _PNORMS.get(p, "pnorm")
    pair = _fixed.get(name) or _fixed_pair(name)
    pair[x.size >= PARALLEL_THRESHOLD](x, out, float(p))
    return out


_I0 = np.int64(0)


def allany_arb(x, out, want_all):
    """out[a, b] = all (or any) x[a, r, b] != 0 over r."""
    name = "all" if want_all else "any"
    pair = _fixed.get(name) or _fixed_pair(name, "int64")
    pair[x.size >= PARALLEL_THRESHOLD](x, out, _I0)
    return out


def var_arb(x, out, mean, zero, scale, root):
    """mean[a, b] and out[a, b] = scale * sum_r (x - mean)**2 (its square root if
    `root`; scale is 1 / (R - correction)), two passes in float64 (`zero`, `scale`
    float64 scalars, `root` a bool)."""
    pair = _fixed.get("var") or _fixed_pair("var")
    pair[x.size >= PARALLEL_THRESHOLD](x, out, mean, zero, scale, root)
    return out


def lse_arb(x, out, zero):
    """out[a, b] = log(sum_r exp(x[a, r, b])), shifted by the maximum so that
    nothing overflows; -inf for an empty or all -inf row, NaN if any NaN (`zero`:
    a float64 0)."""
    pair = _fixed.get("lse") or _fixed_pair("lse")
    pair[x.size >= PARALLEL_THRESHOLD](x, out, zero)
    return out


_SPREAD_SCALED = KernelFamily("reduce_spread_scaled", [lambda g, s: g * s])


def spread(g, shape, scale=None):
    """The gradient of a sum (a mean: times `scale`) written out to the input's
    `shape`: `g` has the reduced dims kept as 1; one elementwise kernel."""
    if scale is None:
        return _run_elementwise(IDENTITY, [g], [g.dtype], shape)[0]
    return _run_elementwise(_SPREAD_SCALED, [g, g.dtype.type(scale)], [g.dtype], shape)[0]


_INT_LIMITS = (np.int64(np.iinfo(np.int64).min), np.int64(np.iinfo(np.int64).max))
# (key view, kmin, key(-inf), key(+inf)) of the float dtypes (see _minmax)
_FLOAT_KEYS = {np.dtype(np.float32): (np.int32, np.int64(-2 ** 31), np.int64(-0x7F800000),
                                      np.int64(0x7F800000)),
               np.dtype(np.float64): (np.int64, np.int64(-2 ** 63),
                                      np.int64(-0x7FF0000000000000),
                                      np.int64(0x7FF0000000000000))}


def minmax_arb(x, vals, idx, want_max):
    """vals[a, b], idx[a, b] = the max (or min) over r of x[a, r, b] and its first
    index (R > 0); NaN is the extremum (PyTorch propagates it)."""
    spec = _FLOAT_KEYS.get(x.dtype)
    if spec is not None:
        keys, args = x.view(spec[0]), (True,) + spec[1:]
    else:
        keys = x.view(np.uint8) if x.dtype == np.bool_ else x
        args = (False, _INT_LIMITS[0]) + _INT_LIMITS
    k = _minmax_parallel if x.size >= PARALLEL_THRESHOLD else _minmax
    k(x, keys, vals, idx, want_max, *args)
    return vals, idx


def scan_arb(x, out, init, is_prod, reverse):
    """out[a, r, b] = the running sum (or product) of x[a, :r + 1, b] (of
    x[a, r:, b] if `reverse`) from `init`, whose type is the accumulator's."""
    if x.size >= PARALLEL_THRESHOLD:
        _scan_parallel(x, out, init, is_prod, reverse)
    else:
        _scan(x, out, init, is_prod, reverse)
    return out
