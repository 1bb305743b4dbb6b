"""CUDA reduction kernels over a canonical (A, R, B) view: reduce the middle axis.

The twin of `nbgrad.backends.cpu.reduce`, with the same API (the ops bring
any reduction to this form and call it).  The value reductions (sum, prod,
all/any, p-norms, var, logsumexp) are generated from their one declaration in
`nbgrad.backends.reduce_templates` (a tile's fold, the merge of two states,
the finish), max/min with indices from the index template below; each in
these variants:

- 'loop': one thread per output (a, b), a serial loop over R.  Used when R is
  small, or when B > 1 and there are enough outputs to fill the device
  (neighbouring threads then read neighbouring b: coalesced).
- 'block': one block per output (a, b) (grid-stride over outputs), each thread
  folding a strided part of R, then a shared-memory tree merging the states.
  Used for long rows: with B == 1 adjacent threads read adjacent r.
- 'split': when there are too few outputs to fill the device with one block
  each (a full reduction has one), each row is cut into G chunks, one block
  per (output, chunk) writes a partial state (or a value and its row index),
  and a second launch ('finish', one block per output) merges the G partials
  and finishes.  One block alone reads a few tens of GB/s; the split reads at
  the device's bandwidth, for one extra launch.

Accumulation: floating sums, products, p-norms, variances and log-sum-exps
accumulate in float64, integer and bool ones in int64 (as PyTorch sums
integers).  A sum does one add per element read, so it stays bound by memory
bandwidth even on cards with 1/64-rate float64 (an H100 has 1/2), and float64
keeps float32 sums accurate without a pairwise order.  A two-pass template
(var: the tile's mean, then squared deviations; logsumexp: its maximum, then
exp(v - max)) makes its two passes over each thread's elements (the second
reads them from cache).  max/min keep the input dtype and return the index of
the first extreme value; NaN wins (PyTorch propagates it) and ties go to the
smaller index, in every variant, so results are deterministic.
"""

import numpy as np

from nbgrad.backends import codegen
from nbgrad.backends import reduce_templates as templates
from nbgrad.backends.cuda import _numba_cuda
from nbgrad.backends.cuda import launch as _launch
from nbgrad.backends.cuda._numba_cuda import cuda
from nbgrad.backends.family import KernelFamily

__all__ = ["allany_arb", "lse_arb", "max_arb", "min_arb", "minmax_arb", "pnorm_arb", "prod_arb",
           "run", "scan_arb", "spread", "sum_arb", "var_arb", "variant"]

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


# -- value reductions, from their template ------------------------------------------
def _names(names):
    """`names` as an unpacking target (``s,`` for one)."""
    return ", ".join(names) + ("," if len(names) == 1 else "")


def _tree(t, P):
    """A block's shared-memory tree merging each thread's state into sh_*[0]."""
    comps = t.state
    mine = ", ".join(f"sh_{k}[_t]" for k in comps)
    theirs = ", ".join(f"sh_{k}[_t + _h]" for k in comps)
    lines = [f"        sh_{k}[_t] = {k}" for k in comps]
    lines += ["        cuda.syncthreads()", f"        _h = {BLOCK} // 2", "        while _h > 0:",
              "            if _t < _h:",
              f"                {_names(comps)} = merge({', '.join([mine, theirs] + P)})"]
    lines += [f"                sh_{k}[_t] = {k}" for k in comps]
    lines += ["            cuda.syncthreads()", "            _h //= 2"]
    return lines


def _device_functions(t, P):
    comps, T = t.state, templates
    ps = "".join(", " + p for p in P)
    lines = ["@cuda.jit(device=True)", f"def fold(x, _a, _b, _r0, _step{ps}):",
             "    # one thread's state over x[a, r, b] for r = r0, r0 + step, ... < R",
             "    _R = x.shape[1]",
             "    n = (_R - _r0 + _step - 1) // _step if _r0 < _R else 0"]
    lines += T.fold_lines(t, "    ", "x[_a, _r, _b]", "for _r in range(_r0, _R, _step):")
    lines += [f"    return {_names(comps)}", "", "", "@cuda.jit(device=True)",
              f"def empty({', '.join(P)}):"] + T.empty_state_lines(t, "    ")
    lines += [f"    return {_names(comps)}", "", "", "@cuda.jit(device=True)",
              f"def merge({', '.join(list(comps) + [k + '_' for k in comps] + P)}):"]
    lines += T.merge_lines(t, "    ") + [f"    return {_names(comps)}"]
    return lines


def _value_source(t, acc):
    P, comps = list(t.params), t.state
    outs = [f"out{j}" for j in range(len(t.finish))]
    parts = [f"{k}_part" for k in comps]
    shared = [f"    sh_{k} = cuda.shared.array({BLOCK}, ACC)" for k in comps]
    fin = [f"{o}[{{i}}] = {e}" for o, e in zip(outs, t.finish)]
    grid = ["    _A, _, _B = x.shape"]
    ab = ["        _a = _ab // _B", "        _b = _ab % _B"]
    top = [f"            {k} = sh_{k}[0]" for k in comps]
    lines = [f"ACC = np.{acc}", ""] + _device_functions(t, P)
    lines += ["", "", "@cuda.jit(cache=CACHE)", f"def loop({', '.join(['x'] + outs + P)}):"]
    lines += grid + ["    for _ab in range(cuda.grid(1), _A * _B, cuda.gridsize(1)):"] + ab
    lines += [f"        {_names(comps)} = fold({', '.join(['x', '_a', '_b', '0', '1'] + P)})"]
    lines += ["        " + f.format(i="_a, _b") for f in fin]
    lines += ["", "", "@cuda.jit(cache=CACHE)", f"def block({', '.join(['x'] + outs + P)}):"]
    lines += shared + grid + ["    _t = cuda.threadIdx.x",
                              "    for _ab in range(cuda.blockIdx.x, _A * _B, cuda.gridDim.x):"]
    call = ", ".join(["x", "_a", "_b", "_t", str(BLOCK)] + P)
    lines += ab + [f"        {_names(comps)} = fold({call})"]
    lines += _tree(t, P) + ["        if _t == 0:"] + top
    lines += ["            " + f.format(i="_a, _b") for f in fin] + ["        cuda.syncthreads()"]
    lines += ["", "", "@cuda.jit(cache=CACHE)", f"def split({', '.join(['x'] + parts + P)}):",
              "    # block k: chunk g = k % G of output ab = k // G; parts are (A * B, G)"]
    lines += shared + grid + [f"    _G = {parts[0]}.shape[1]", "    _t = cuda.threadIdx.x",
                              "    for _k in range(cuda.blockIdx.x, _A * _B * _G, cuda.gridDim.x):",
                              "        _ab = _k // _G", "        _g = _k % _G"] + ab
    call = ", ".join(["x", "_a", "_b", f"_g * {BLOCK} + _t", f"_G * {BLOCK}"] + P)
    lines += [f"        {_names(comps)} = fold({call})"]
    lines += _tree(t, P) + ["        if _t == 0:"]
    lines += [f"            {k}_part[_ab, _g] = sh_{k}[0]" for k in comps]
    lines += ["        cuda.syncthreads()"]
    lines += ["", "", "@cuda.jit(cache=CACHE)", f"def finish({', '.join(parts + outs + P)}):",
              "    # one block per output: merge its G partials, then finish"]
    lines += shared + [f"    _N, _G = {parts[0]}.shape", "    _B = out0.shape[1]",
                       "    _t = cuda.threadIdx.x",
                       "    for _ab in range(cuda.blockIdx.x, _N, cuda.gridDim.x):",
                       f"        {_names(comps)} = empty({', '.join(P)})",
                       f"        for _g in range(_t, _G, {BLOCK}):"]
    mine = list(comps) + [f"{p}[_ab, _g]" for p in parts] + P
    lines += [f"            {_names(comps)} = merge({', '.join(mine)})"]
    lines += _tree(t, P) + ["        if _t == 0:"] + top
    lines += ["            " + f.format(i="_ab // _B, _ab % _B") for f in fin]
    lines += ["        cuda.syncthreads()", "",
              f"KIND = 'value'\nACC_DTYPE = np.{acc}\nNSTATE = {len(comps)}"]
    return "\n".join(lines) + "\n"


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
        a, b = divmod(ab, B)
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
        a, b = divmod(ab, B)
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
        ab, g = divmod(k, G)
        a, b = divmod(ab, B)
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


def _module(op, dtype):
    """The generated kernels (loop, block, split, finish) of reduction `op`
    ('max'/'min', or a template's name) in `dtype` (the accumulator's; the
    input's for max/min)."""
    key = (op, dtype)
    mod = _modules.get(key)
    if mod is None:
        if op in ("max", "min"):
            src = _INDEX_TEMPLATE.replace("{itree}", _INDEX_TREE).format(
                CMP=">" if op == "max" else "<", DT=dtype, BLOCK=BLOCK)
            src += "\nKIND = 'index'\n"
        else:
            src = _value_source(templates.TEMPLATES[op], dtype)
        sim = "_sim" if _numba_cuda.SIMULATOR else ""
        stem = op.replace("-", "neg")
        mod = _modules[key] = codegen.load_module(f"cuda{sim}_reduce_{stem}_{dtype}",
                                                  _HEADER + src)
    return mod


def _forget(name):
    for key in [k for k in _modules if k[0] == name]:
        del _modules[key]


templates.on_remove(_forget)


def __getattr__(name):
    # the per-output ('loop') kernels of the two-pass reductions under their former names
    if name in ("_var", "_lse"):
        return _module(name[1:], "float64").loop
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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


def _lay(a):
    # layout 'A' for every array: one compiled kernel whatever the strides
    return _numba_cuda.any_layout(a) if _numba_cuda.is_device_array(a) else a


def _launch_variant(mod, x, outs, params=()):
    A, _, B = x.shape
    if A * B == 0:
        return
    x = _numba_cuda.any_layout(x)
    outs = tuple(_lay(o) for o in outs)
    kind = variant(x.shape, splittable=True)   # every kernel module has a split form
    if kind == "loop":
        _launch.launch(mod.loop, A * B, x, *outs, *params)
    elif kind == "split":
        if mod.KIND == "value":
            _run_split(mod.split, mod.finish, x, (mod.ACC_DTYPE,) * mod.NSTATE, params,
                       outs + tuple(params))
        else:                         # outs: out, out_index
            _run_split(mod.split, mod.finish, x, (x.dtype, np.int64), (), outs)
    else:
        blocks = min(A * B, _launch.max_blocks())
        _launch.launch_grid(mod.block, blocks, BLOCK, x, *outs, *params)


def _run_split(split, finish, x, part_dtypes, split_args, finish_args):
    """The two launches of a 'split' reduction of x (A, R, B), layout 'A': `split`
    writes one partial per (output, chunk) into arrays of `part_dtypes`
    (A * B, G); `finish` merges each output's G partials."""
    A, R, B = x.shape
    G = _chunks(A * B, R)
    parts = tuple(_numba_cuda.any_layout(_numba_cuda.empty((A * B, G), dt))
                  for dt in part_dtypes)
    _launch.launch_grid(split, min(A * B * G, _launch.max_blocks()), BLOCK,
                        x, *parts, *split_args)
    _launch.launch_grid(finish, min(A * B, _launch.max_blocks()), BLOCK,
                        *parts, *finish_args)


def run(name, x, outs, params, acc="float64"):
    """Reduce x (A, R, B) with template `name` into `outs` ((A, B) device arrays,
    one per output of its finish); `params` its runtime scalars."""
    _launch_variant(_module(name, acc), x, outs, params)


def _acc_dtype(x, zero):
    if zero is not None:
        return np.asarray(zero).dtype.name
    return "float64" if x.dtype.kind in "fc" else "int64"


# -- the backend's reduce API (the CPU backend has the same) ---------------------------
def sum_arb(x, out, zero=None, scale=1.0):
    """out[a, b] = scale * sum over r of x[a, r, b] (scale 1/R: a mean).

    x (A, R, B) and out (A, B) are device arrays (any strides).  The
    accumulator's dtype is `zero`'s (as on the CPU), else float64 for floating
    input and int64 otherwise; `scale` is converted to it (an integer sum is exact).
    """
    acc = _acc_dtype(x, zero)
    run("sum", x, (out,), (np.dtype(acc).type(scale),), acc)
    return out


def prod_arb(x, out, one=None):
    """out[a, b] = product over r of x[a, r, b]; accumulator dtype as in `sum_arb`."""
    run("prod", x, (out,), (0.0,), _acc_dtype(x, one))
    return out


_PNORMS = {2.0: "pnorm2", 1.0: "pnorm1", 0.0: "pnorm0", np.inf: "pnorminf",
           -np.inf: "pnorm-inf"}


def pnorm_arb(x, out, p, zero=None):
    """out[a, b] = (sum over r of |x[a, r, b]| ** p) ** (1 / p), accumulated in float64;
    p = inf and -inf give max and min |x| (NaN propagates), p = 0 counts nonzeros."""
    p = float(p)
    acc = "float64" if zero is None else np.asarray(zero).dtype.name
    run(_PNORMS.get(p, "pnorm"), x, (out,), (p,), acc)
    return out


def allany_arb(x, out, want_all):
    """out[a, b] = all (or any) x[a, r, b] != 0 over r (the CPU kernel's signature);
    the value-reduction variants (loop, block, split) with an int64 flag."""
    run("all" if want_all else "any", x, (out,), (0.0,), "int64")
    return out


def var_arb(x, out, mean, zero, scale, root):
    """mean[a, b] and out[a, b] = scale * sum_r (x - mean)**2 (its square root if
    `root`), in float64: two passes over each thread's elements, states merged
    by Chan's formula across threads and chunks."""
    run("var", x, (out, mean), (np.float64(zero), np.float64(scale), bool(root)))
    return out


def lse_arb(x, out, zero):
    """out[a, b] = log(sum_r exp(x[a, r, b])) shifted by the maximum (CPU's `lse_arb`);
    per-thread maxima and scaled sums merged by rescaling."""
    run("lse", x, (out,), (np.float64(zero),))
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


# -- scans: one thread per output (a, b), serial over R as the CPU's serial kernel ----
@cuda.jit(cache=True)
def _scan(x, out, init, is_prod, reverse):
    A, R, B = x.shape
    for ab in range(cuda.grid(1), A * B, cuda.gridsize(1)):
        a, b = divmod(ab, B)
        acc = init
        for k in range(R):
            r = R - 1 - k if reverse else k
            if is_prod:
                acc = acc * x[a, r, b]
            else:
                acc = acc + x[a, r, b]
            out[a, r, b] = acc


def scan_arb(x, out, init, is_prod, reverse):
    """out[a, r, b] = the running sum (or product) along r from `init`, forwards
    or backwards (`reverse`); the accumulator has init's type (CPU's `scan_arb`)."""
    A, _, B = x.shape
    _launch.launch(_scan, A * B, _numba_cuda.any_layout(x), _lay(out), init, bool(is_prod),
                   bool(reverse))
    return out


_SPREAD_SCALED = KernelFamily("reduce_spread_scaled", [lambda g, s: g * s])


def spread(g, shape, scale=None):
    """The gradient of a sum (a mean: times `scale`) seen at the input's `shape`:
    a broadcast (stride-0) view of `g` (its reduced dims kept as 1), scaled by
    one small kernel, instead of a full-size write (the next kernel reads one
    value per row)."""
    from nbgrad.backends.cuda import array, elementwise
    if scale is not None:
        g = elementwise.run(_SPREAD_SCALED, [g, g.dtype.type(scale)], [g.dtype], g.shape)[0]
    return array.broadcast_to(g, shape)
