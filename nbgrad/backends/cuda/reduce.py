"""CUDA reduction kernels over a canonical (A, R, B) view: reduce the middle axis.

The twin of `nbgrad.backends.cpu.reduce` (the ops bring any reduction to this
form).  Each reduction is generated from one template in two variants:

- 'loop': one thread per output (a, b), a serial loop over R.  Used when R is
  small, or when B > 1 and there are enough outputs to fill the device
  (neighbouring threads then read neighbouring b: coalesced).
- 'block': one block per output (a, b) (grid-stride over outputs), each thread
  accumulating a strided part of R, then a shared-memory tree reduction.
  Used for long rows: with B == 1 adjacent threads read adjacent r.
- 'split': when there are too few outputs to fill the device with one block
  each (a full reduction has one), each row is cut into G chunks, one block
  per (output, chunk) writes a partial accumulator (or a value and its row
  index), and a second launch ('finish', one block per output) combines the
  G partials and finishes.  One block alone reads a few tens of GB/s; the split reads at the
  device's bandwidth, for one extra launch.

Accumulation: floating sums, products and p-norms accumulate in float64,
integer and bool ones in int64 (as PyTorch sums integers).  A sum does one
add per element read, so it stays bound by memory bandwidth even on cards
with 1/64-rate float64 (an H100 has 1/2), and float64 keeps float32 sums
accurate without a pairwise order.  max/min keep the input dtype and return
the index of the first extreme value; NaN wins (PyTorch propagates NaN) and
ties go to the smaller index, in both variants, so results are deterministic.
"""

import math

import numpy as np

from nbgrad.backends.cpu import codegen
from nbgrad.backends.cuda import _numba_cuda
from nbgrad.backends.cuda import launch as _launch
from nbgrad.backends.cuda._numba_cuda import cuda

__all__ = ["sum_arb", "prod_arb", "max_arb", "min_arb", "minmax_arb", "pnorm_arb",
           "allany_arb", "var_arb", "lse_arb", "scan_arb", "variant"]

# threads of a 'block' reduction: a power of two, compiled into the shared array
BLOCK = 32 if _numba_cuda.SIMULATOR else 256
# below this R a serial loop per output is cheaper than a block
SMALL_R = 32
# with B > 1, this many outputs keep the device busy with one thread each
MANY_OUTPUTS = 1024
# a 'split' chunk is at least this many elements per thread of its block
SPLIT_MIN_PER_THREAD = 4

_modules = {}

_HEADER = """\
import math
import numpy as np
from nbgrad.backends.cuda._numba_cuda import cuda
"""

# a block's shared-memory tree reduction of each thread's `acc` into sh[0]
# (inserted where a template says {tree})
_TREE = """\
        sh[t] = acc
        cuda.syncthreads()
        s = {BLOCK} // 2
        while s > 0:
            if t < s:
                u = sh[t]
                w = sh[t + s]
                sh[t] = {combine}
            cuda.syncthreads()
            s //= 2
"""

# per-op snippets: {init} the identity, {acc} folds v into acc, {combine} merges
# two partial results u and w, {fin} finishes acc; ACC is the accumulator dtype
# and `p` a runtime argument (the mean's scale, a norm's order)
_VALUE_TEMPLATE = """
@cuda.jit(device=True)
def fold(x, a, b, r0, step, p):
    # one thread's accumulator over x[a, r, b] for r = r0, r0 + step, ... < R
    acc = np.{ACC}({init})
    for r in range(r0, x.shape[1], step):
        v = x[a, r, b]
        acc = {acc}
    return acc


@cuda.jit(cache=CACHE)
def loop(x, out, p):
    A, _, B = x.shape
    for ab in range(cuda.grid(1), A * B, cuda.gridsize(1)):
        a = ab // B
        b = ab % B
        acc = fold(x, a, b, 0, 1, p)
        out[a, b] = {fin}


@cuda.jit(cache=CACHE)
def block(x, out, p):
    sh = cuda.shared.array({BLOCK}, np.{ACC})
    A, _, B = x.shape
    t = cuda.threadIdx.x
    for ab in range(cuda.blockIdx.x, A * B, cuda.gridDim.x):
        a = ab // B
        b = ab % B
        acc = fold(x, a, b, t, {BLOCK}, p)
{tree}        if t == 0:
            acc = sh[0]
            out[a, b] = {fin}
        cuda.syncthreads()


@cuda.jit(cache=CACHE)
def split(x, part, p):
    # block k handles chunk g = k % G of output ab = k // G; part is (A * B, G)
    sh = cuda.shared.array({BLOCK}, np.{ACC})
    A, _, B = x.shape
    G = part.shape[1]
    t = cuda.threadIdx.x
    for k in range(cuda.blockIdx.x, A * B * G, cuda.gridDim.x):
        ab = k // G
        g = k % G
        a = ab // B
        b = ab % B
        acc = fold(x, a, b, g * {BLOCK} + t, G * {BLOCK}, p)
{tree}        if t == 0:
            part[ab, g] = sh[0]
        cuda.syncthreads()


@cuda.jit(cache=CACHE)
def finish(part, out, p):
    # one block per output: combine its G partials, then finish
    sh = cuda.shared.array({BLOCK}, np.{ACC})
    N, G = part.shape
    B = out.shape[1]
    t = cuda.threadIdx.x
    for ab in range(cuda.blockIdx.x, N, cuda.gridDim.x):
        acc = np.{ACC}({init})
        for g in range(t, G, {BLOCK}):
            u = acc
            w = part[ab, g]
            acc = {combine}
{tree}        if t == 0:
            acc = sh[0]
            out[ab // B, ab % B] = {fin}
        cuda.syncthreads()
"""

# (value, index) reductions; `wins(v, i, bv, bi)`: does (v, i) replace (bv, bi)?
# bi < 0 marks "no element yet"
_INDEX_TEMPLATE = """
@cuda.jit(device=True)
def wins(v, i, bv, bi):
    if bi < 0:
        return True
    if v != v:
        return bv == bv or i < bi
    if bv != bv:
        return False
    return v {CMP} bv or (v == bv and i < bi)


@cuda.jit(device=True)
def scan(x, a, b, r0, step):
    # one thread's winner (value, row index) over r = r0, r0 + step, ... < R;
    # index -1 when the thread has no element
    bv = x[a, 0, b]
    bi = -1
    for r in range(r0, x.shape[1], step):
        v = x[a, r, b]
        if wins(v, r, bv, bi):
            bv = v
            bi = r
    return bv, bi


@cuda.jit(cache=CACHE)
def loop(x, out, outi):
    A, _, B = x.shape
    for ab in range(cuda.grid(1), A * B, cuda.gridsize(1)):
        a = ab // B
        b = ab % B
        bv, bi = scan(x, a, b, 0, 1)
        out[a, b] = bv
        outi[a, b] = bi


@cuda.jit(cache=CACHE)
def block(x, out, outi):
    shv = cuda.shared.array({BLOCK}, np.{DT})
    shi = cuda.shared.array({BLOCK}, np.int64)
    A, _, B = x.shape
    t = cuda.threadIdx.x
    for ab in range(cuda.blockIdx.x, A * B, cuda.gridDim.x):
        a = ab // B
        b = ab % B
        bv, bi = scan(x, a, b, t, {BLOCK})
{itree}        if t == 0:
            out[a, b] = shv[0]
            outi[a, b] = shi[0]
        cuda.syncthreads()


@cuda.jit(cache=CACHE)
def split(x, pv, pi):
    # block k: chunk g = k % G of output ab = k // G; pv, pi are (A * B, G)
    shv = cuda.shared.array({BLOCK}, np.{DT})
    shi = cuda.shared.array({BLOCK}, np.int64)
    A, _, B = x.shape
    G = pv.shape[1]
    t = cuda.threadIdx.x
    for k in range(cuda.blockIdx.x, A * B * G, cuda.gridDim.x):
        ab = k // G
        g = k % G
        a = ab // B
        b = ab % B
        bv, bi = scan(x, a, b, g * {BLOCK} + t, G * {BLOCK})
{itree}        if t == 0:
            pv[ab, g] = shv[0]
            pi[ab, g] = shi[0]
        cuda.syncthreads()


@cuda.jit(cache=CACHE)
def finish(pv, pi, out, outi):
    # one block per output: the winner of its G partials (indices are row indices)
    shv = cuda.shared.array({BLOCK}, np.{DT})
    shi = cuda.shared.array({BLOCK}, np.int64)
    N, G = pv.shape
    B = out.shape[1]
    t = cuda.threadIdx.x
    for ab in range(cuda.blockIdx.x, N, cuda.gridDim.x):
        bv = pv[ab, 0]
        bi = -1
        for g in range(t, G, {BLOCK}):
            v = pv[ab, g]
            i = pi[ab, g]
            if i >= 0 and wins(v, i, bv, bi):
                bv = v
                bi = i
{itree}        if t == 0:
            out[ab // B, ab % B] = shv[0]
            outi[ab // B, ab % B] = shi[0]
        cuda.syncthreads()
"""

# a block's tree of (value, index) pairs into shv[0], shi[0] ({itree} above)
_INDEX_TREE = """\
        shv[t] = bv
        shi[t] = bi
        cuda.syncthreads()
        s = {BLOCK} // 2
        while s > 0:
            if t < s and shi[t + s] >= 0 and wins(shv[t + s], shi[t + s], shv[t], shi[t]):
                shv[t] = shv[t + s]
                shi[t] = shi[t + s]
            cuda.syncthreads()
            s //= 2
"""

_MAX_ABS = "abs(v) if (abs(v) > acc or v != v) and acc == acc else acc"
_MIN_ABS = "abs(v) if (abs(v) < acc or v != v) and acc == acc else acc"
_VALUE_OPS = {
    # op: (init, accumulate, combine, finalize)
    "sum": ("0", "acc + v", "u + w", "acc * p"),
    "prod": ("1", "acc * v", "u * w", "acc"),
    # all / any: an int64 flag (NaN counts as true, as v != 0 says)
    "all": ("1", "acc & (1 if v != 0 else 0)", "u & w", "acc != 0"),
    "any": ("0", "acc | (1 if v != 0 else 0)", "u | w", "acc != 0"),
    "pnorm2": ("0", "acc + v * v", "u + w", "math.sqrt(acc)"),
    "pnorm1": ("0", "acc + abs(v)", "u + w", "acc"),
    "pnorm0": ("0", "acc + (v != 0)", "u + w", "acc"),
    "pnorminf": ("0", _MAX_ABS, "w if (w > u or w != w) and u == u else u", "acc"),
    "pnorm-inf": ("np.inf", _MIN_ABS, "w if (w < u or w != w) and u == u else u", "acc"),
    "pnorm": ("0", "acc + abs(v) ** p", "u + w", "acc ** (1.0 / p)"),
}


def _module(op, dtype):
    key = (op, dtype)
    mod = _modules.get(key)
    if mod is None:
        if op in ("max", "min"):
            src = _INDEX_TEMPLATE.replace("{itree}", _INDEX_TREE).format(
                CMP=">" if op == "max" else "<", DT=dtype, BLOCK=BLOCK)
            src += "\nKIND = 'index'\n"
        else:
            init, acc, combine, fin = _VALUE_OPS[op]
            if op == "sum" and not dtype.startswith("float"):
                fin = "acc"   # an integer sum is exact: no float scale
            src = _VALUE_TEMPLATE.replace("{tree}", _TREE).format(
                ACC=dtype, init=init, acc=acc, combine=combine, fin=fin, BLOCK=BLOCK)
            src += f"\nKIND = 'value'\nACC_DTYPE = np.{dtype}\n"
        sim = "_sim" if _numba_cuda.SIMULATOR else ""
        stem = op.replace("-", "neg")
        mod = _modules[key] = codegen.load_module(f"cuda{sim}_reduce_{stem}_{dtype}",
                                                  _HEADER + src)
    return mod


def variant(shape, splittable=False):
    """'loop', 'block' or (for a reduction with a split form, `splittable`)
    'split': the kernel variant used for an (A, R, B) shape."""
    A, R, B = shape
    if R <= SMALL_R:
        return "loop"
    if B > 1 and A * B >= MANY_OUTPUTS:
        return "loop"
    if splittable and _chunks(A * B, R) > 1:
        return "split"
    return "block"


def _chunks(outputs, R):
    """G, the chunks per output of a 'split' reduction: enough blocks to fill the
    device (the launch cap), each chunk at least SPLIT_MIN_PER_THREAD per thread."""
    fill = _launch.max_blocks() // max(outputs, 1)
    return max(1, min(fill, R // (BLOCK * SPLIT_MIN_PER_THREAD)))


def _launch_variant(mod, x, args):
    A, R, B = x.shape
    if A * B == 0:
        return
    # layout 'A' for every array: one compiled kernel whatever the strides
    x = _numba_cuda.any_layout(x)
    args = tuple(_numba_cuda.any_layout(a) if _numba_cuda.is_device_array(a) else a
                 for a in args)
    kind = variant(x.shape, splittable=True)   # every template has a split form
    if kind == "loop":
        _launch.launch(mod.loop, A * B, x, *args)
    elif kind == "split":
        if mod.KIND == "value":       # args: out, p
            _run_split(mod.split, mod.finish, x, (mod.ACC_DTYPE,), args[1:], args)
        else:                         # args: out, out_index
            _run_split(mod.split, mod.finish, x, (x.dtype, np.int64), (), args)
    else:
        blocks = min(A * B, _launch.max_blocks())
        _launch.launch_grid(mod.block, blocks, BLOCK, x, *args)


def _run_split(split, finish, x, part_dtypes, split_args, finish_args):
    """The two launches of a 'split' reduction of x (A, R, B), layout 'A': `split`
    writes one partial per (output, chunk) into arrays of `part_dtypes`
    (A * B, G); `finish` combines each output's G partials."""
    A, R, B = x.shape
    G = _chunks(A * B, R)
    parts = tuple(_numba_cuda.any_layout(_numba_cuda.empty((A * B, G), dt))
                  for dt in part_dtypes)
    _launch.launch_grid(split, min(A * B * G, _launch.max_blocks()), BLOCK,
                        x, *parts, *split_args)
    _launch.launch_grid(finish, min(A * B, _launch.max_blocks()), BLOCK,
                        *parts, *finish_args)


def _acc_dtype(x, zero):
    if zero is not None:
        return np.asarray(zero).dtype.name
    return "float64" if x.dtype.kind in "fc" else "int64"


def sum_arb(x, out, zero=None, scale=1.0):
    """out[a, b] = scale * sum over r of x[a, r, b] (scale 1/R: a mean).

    x (A, R, B) and out (A, B) are device arrays (any strides).  The
    accumulator's dtype is `zero`'s (as on the CPU), else float64 for floating
    input and int64 otherwise.
    """
    _launch_variant(_module("sum", _acc_dtype(x, zero)), x, (out, float(scale)))
    return out


def prod_arb(x, out, one=None):
    """out[a, b] = product over r of x[a, r, b]; accumulator dtype as in `sum_arb`."""
    _launch_variant(_module("prod", _acc_dtype(x, one)), x, (out, 0.0))
    return out


def pnorm_arb(x, out, p, zero=None):
    """out[a, b] = (sum over r of |x[a, r, b]| ** p) ** (1 / p), accumulated in float64;
    p = inf and -inf give max and min |x| (NaN propagates), p = 0 counts nonzeros."""
    p = float(p)
    op = {2.0: "pnorm2", 1.0: "pnorm1", 0.0: "pnorm0", np.inf: "pnorminf",
          -np.inf: "pnorm-inf"}.get(p, "pnorm")
    acc = "float64" if zero is None else np.asarray(zero).dtype.name
    _launch_variant(_module(op, acc), x, (out, p))
    return out


def max_arb(x, out, out_index):
    """out[a, b], out_index[a, b] = max over r of x[a, r, b] and its first index (R >= 1).

    NaN is the maximum (PyTorch propagates it); out_index is an int64 array.
    """
    _check_nonempty("max", x)
    _launch_variant(_module("max", x.dtype.name), x, (out, out_index))
    return out, out_index


def min_arb(x, out, out_index):
    """Like `max_arb`, for the minimum (NaN wins here too)."""
    _check_nonempty("min", x)
    _launch_variant(_module("min", x.dtype.name), x, (out, out_index))
    return out, out_index


def minmax_arb(x, vals, idx, want_max):
    """`max_arb` or `min_arb`, with the CPU backend's signature."""
    return (max_arb if want_max else min_arb)(x, vals, idx)


def _check_nonempty(op, x):
    if x.shape[1] == 0 and x.shape[0] * x.shape[2] != 0:
        raise RuntimeError(f"cuda {op}_arb: cannot reduce an empty dimension (x of shape "
                           f"{tuple(x.shape)}); PyTorch raises here too")


# -- variance, log-sum-exp, scans: one thread per output (a, b) ---------------------
# Serial over R in each thread, as the CPU's serial kernels (same order, same
# float64 accumulators).  Fast when there are many outputs; a long single row
# runs on one thread (block-wide versions are future work, see docs/gpu.md),
# except the variance and log-sum-exp, which split few long rows (below).
# (all/any are value reductions, above.)
@cuda.jit(cache=True)
def _var(x, out, mean, zero, scale, root):
    A, R, B = x.shape
    for ab in range(cuda.grid(1), A * B, cuda.gridsize(1)):
        a = ab // B
        b = ab % B
        acc = zero
        for r in range(R):
            acc += x[a, r, b]
        mu = acc / R
        acc = zero
        for r in range(R):
            d = x[a, r, b] - mu
            acc += d * d
        mean[a, b] = mu
        v = acc * scale
        out[a, b] = math.sqrt(v) if root else v


@cuda.jit(cache=True)
def _lse(x, out, zero):
    A, R, B = x.shape
    for ab in range(cuda.grid(1), A * B, cuda.gridsize(1)):
        a = ab // B
        b = ab % B
        m = -math.inf
        for r in range(R):
            v = x[a, r, b]
            if (v > m or v != v) and m == m:
                m = v
        acc = zero
        for r in range(R):
            acc += math.exp(x[a, r, b] - m)
        out[a, b] = m if (m != m or math.isinf(m)) else m + math.log(acc)


@cuda.jit(cache=True)
def _scan(x, out, init, is_prod, reverse):
    A, R, B = x.shape
    for ab in range(cuda.grid(1), A * B, cuda.gridsize(1)):
        a = ab // B
        b = ab % B
        acc = init
        for k in range(R):
            r = R - 1 - k if reverse else k
            if is_prod:
                acc = acc * x[a, r, b]
            else:
                acc = acc + x[a, r, b]
            out[a, r, b] = acc


# -- variance of few long rows: Welford per thread, Chan's merge across threads ------
# and chunks (the 'split' layout of the value reductions: G chunks per output)
@cuda.jit(device=True)
def _merge(shn, shm, shq, i, nb, mb, qb):
    """(count, mean, M2) at i merged with (nb, mb, qb) (Chan et al.), into i."""
    if nb > 0:
        na = shn[i]
        n = na + nb
        d = mb - shm[i]
        shm[i] = shm[i] + d * (nb / n)
        shq[i] = shq[i] + qb + d * d * (na * nb / n)
        shn[i] = n


@cuda.jit(device=True)
def _merge_tree(shn, shm, shq, t):
    cuda.syncthreads()
    s = BLOCK // 2
    while s > 0:
        if t < s:
            _merge(shn, shm, shq, t, shn[t + s], shm[t + s], shq[t + s])
        cuda.syncthreads()
        s //= 2


@cuda.jit(cache=True)
def _var_split(x, pn, pm, pq):
    shn = cuda.shared.array(BLOCK, np.float64)
    shm = cuda.shared.array(BLOCK, np.float64)
    shq = cuda.shared.array(BLOCK, np.float64)
    A, R, B = x.shape
    G = pn.shape[1]
    t = cuda.threadIdx.x
    for k in range(cuda.blockIdx.x, A * B * G, cuda.gridDim.x):
        ab = k // G
        g = k % G
        a = ab // B
        b = ab % B
        n = 0.0
        mu = 0.0
        m2 = 0.0
        for r in range(g * BLOCK + t, R, G * BLOCK):
            v = np.float64(x[a, r, b])
            n += 1.0
            d = v - mu
            mu += d / n
            m2 += d * (v - mu)
        shn[t] = n
        shm[t] = mu
        shq[t] = m2
        _merge_tree(shn, shm, shq, t)
        if t == 0:
            pn[ab, g] = shn[0]
            pm[ab, g] = shm[0]
            pq[ab, g] = shq[0]
        cuda.syncthreads()


@cuda.jit(cache=True)
def _var_finish(pn, pm, pq, out, mean, scale, root):
    shn = cuda.shared.array(BLOCK, np.float64)
    shm = cuda.shared.array(BLOCK, np.float64)
    shq = cuda.shared.array(BLOCK, np.float64)
    N, G = pn.shape
    B = out.shape[1]
    t = cuda.threadIdx.x
    for ab in range(cuda.blockIdx.x, N, cuda.gridDim.x):
        shn[t] = 0.0
        shm[t] = 0.0
        shq[t] = 0.0
        for g in range(t, G, BLOCK):   # this thread's triple, merged with partial g
            _merge(shn, shm, shq, t, pn[ab, g], pm[ab, g], pq[ab, g])
        _merge_tree(shn, shm, shq, t)
        if t == 0:
            mean[ab // B, ab % B] = shm[0]
            v = shq[0] * scale
            out[ab // B, ab % B] = math.sqrt(v) if root else v
        cuda.syncthreads()


# -- log-sum-exp of few long rows: a running (max, sum of exp(v - max)) per thread,
# merged across threads and chunks; NaN propagates, as in the CPU's two passes
@cuda.jit(device=True)
def _lse_merge(shm, shs, i, mb, sb):
    """(max, scaled sum) at i merged with (mb, sb), into i."""
    ma = shm[i]
    if ma != ma or mb != mb:
        shm[i] = math.nan
    elif mb > ma:
        shs[i] = shs[i] * math.exp(ma - mb) + sb if ma != -math.inf else sb
        shm[i] = mb
    elif mb != -math.inf:
        shs[i] = shs[i] + sb * math.exp(mb - ma)


@cuda.jit(device=True)
def _lse_tree(shm, shs, t):
    cuda.syncthreads()
    s = BLOCK // 2
    while s > 0:
        if t < s:
            _lse_merge(shm, shs, t, shm[t + s], shs[t + s])
        cuda.syncthreads()
        s //= 2


@cuda.jit(cache=True)
def _lse_split(x, pm, ps):
    shm = cuda.shared.array(BLOCK, np.float64)
    shs = cuda.shared.array(BLOCK, np.float64)
    A, R, B = x.shape
    G = pm.shape[1]
    t = cuda.threadIdx.x
    for k in range(cuda.blockIdx.x, A * B * G, cuda.gridDim.x):
        ab = k // G
        g = k % G
        a = ab // B
        b = ab % B
        shm[t] = -math.inf
        shs[t] = 0.0
        for r in range(g * BLOCK + t, R, G * BLOCK):
            _lse_merge(shm, shs, t, np.float64(x[a, r, b]), 1.0)
        _lse_tree(shm, shs, t)
        if t == 0:
            pm[ab, g] = shm[0]
            ps[ab, g] = shs[0]
        cuda.syncthreads()


@cuda.jit(cache=True)
def _lse_finish(pm, ps, out):
    shm = cuda.shared.array(BLOCK, np.float64)
    shs = cuda.shared.array(BLOCK, np.float64)
    N, G = pm.shape
    B = out.shape[1]
    t = cuda.threadIdx.x
    for ab in range(cuda.blockIdx.x, N, cuda.gridDim.x):
        shm[t] = -math.inf
        shs[t] = 0.0
        for g in range(t, G, BLOCK):
            _lse_merge(shm, shs, t, pm[ab, g], ps[ab, g])
        _lse_tree(shm, shs, t)
        if t == 0:
            m = shm[0]
            out[ab // B, ab % B] = m if (m != m or math.isinf(m)) else m + math.log(shs[0])
        cuda.syncthreads()


def _per_output(kernel, x, *args):
    A, _, B = x.shape
    args = tuple(_numba_cuda.any_layout(a) if _numba_cuda.is_device_array(a) else a
                 for a in args)
    _launch.launch(kernel, A * B, _numba_cuda.any_layout(x), *args)


def allany_arb(x, out, want_all):
    """out[a, b] = all (or any) x[a, r, b] != 0 over r (the CPU kernel's signature);
    the value-reduction variants (loop, block, split) with an int64 flag."""
    _launch_variant(_module("all" if want_all else "any", "int64"), x, (out, 0.0))
    return out


def var_arb(x, out, mean, zero, scale, root):
    """mean[a, b] and out[a, b] = scale * sum_r (x - mean)**2 (its square root if
    `root`), in float64: two passes per output as the CPU's `var_arb`, or, for
    few long rows ('split'), Welford per thread merged by Chan's formula across
    threads and chunks (one read of x, two launches)."""
    A, R, B = x.shape
    if A * B and variant(x.shape, splittable=True) == "split":
        lay = _numba_cuda.any_layout
        _run_split(_var_split, _var_finish, lay(x), (np.float64,) * 3, (),
                   (lay(out), lay(mean), np.float64(scale), bool(root)))
        return out
    _per_output(_var, x, out, mean, np.float64(zero), np.float64(scale), bool(root))
    return out


def lse_arb(x, out, zero):
    """out[a, b] = log(sum_r exp(x[a, r, b])) shifted by the maximum (CPU's `lse_arb`);
    few long rows split into chunks (a running max and scaled sum, merged)."""
    A, R, B = x.shape
    if A * B and variant(x.shape, splittable=True) == "split":
        lay = _numba_cuda.any_layout
        _run_split(_lse_split, _lse_finish, lay(x), (np.float64,) * 2, (), (lay(out),))
        return out
    _per_output(_lse, x, out, np.float64(zero))
    return out


def scan_arb(x, out, init, is_prod, reverse):
    """out[a, r, b] = the running sum (or product) along r from `init`, forwards
    or backwards (`reverse`); the accumulator has init's type (CPU's `scan_arb`)."""
    _per_output(_scan, x, out, init, bool(is_prod), bool(reverse))
    return out
