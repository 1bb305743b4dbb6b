"""CPU elementwise kernels generated from scalar functions.

An op declares its forward and each backward rule as plain scalar functions
(see `nbgrad.ops.registry`); a `KernelFamily` (`nbgrad.backends.family`)
holds such functions over shared arguments, and `kernel` turns it into
``@njit`` loop kernels, one per variant:

- pattern: which arguments are arrays ('a') and which are scalars ('s');
- layout: 'flat' (contiguous, same shape: one loop over raveled buffers),
  'rows' (from ROWS_THRESHOLD elements: C-contiguous arrays that are full (R, M)
  rows, one row 'r' broadcast over them or one value per row 'c': a bias, a
  row's max; the inner loop is contiguous, so it vectorises) or 'nd4' (any
  strided/broadcast views, coalesced and padded to four dimensions);
- parallel: `prange` loops, chosen at run time above `PARALLEL_THRESHOLD`.

Several functions in one family produce several outputs in one pass (a fused
backward computes both input gradients while reading `g` once).
Variants are generated and compiled on first use only.  `cast` (a converted
copy) is the identity family run into an output of another dtype.  `run` is
longer than 60 lines on purpose: it is the hot path of every elementwise op on
the CPU (one pass over the arguments, no further call before the kernel).
"""

import math
import os

import numba
import numpy as np

from nbgrad.backends import codegen
from nbgrad.backends.family import IDENTITY, coalesce4

__all__ = ["PARALLEL_THRESHOLD", "kernel", "run", "write_flat", "cast"]

# Below this many elements a parallel loop costs more than it saves: with idle
# threads spinning briefly (backends/cpu/__init__.py) parallel loops won from
# 65,536 elements in every case of `ratios.py --threshold-sweep` on 2 cores
# (docs/performance.md).
PARALLEL_THRESHOLD = int(os.environ.get("NBGRAD_PARALLEL_THRESHOLD", 1 << 16))
# Below this many elements a broadcast stays on the strided kernel: the 'rows' kernels pay
# off on large batches (a bias add on (256, 512): 67 -> 16 us), and each of their argument
# patterns ('ar', 'ca', ...) is one more compilation where 'nd4' has one ('aa')
ROWS_THRESHOLD = 1 << 12
_ndarray = np.ndarray

_registered = set()   # (stem, fingerprint) of families whose scalar functions are registered


def kernel(family, pattern, layout, parallel):
    """The compiled CPU kernel of `family` for one argument pattern and layout."""
    key = (pattern, layout, parallel)
    k = family._kernels.get(key)
    if k is None:
        k = family._kernels[key] = _build(family, pattern, layout, parallel)
    return k


def _build(family, pattern, layout, parallel):
    tokens = [f"{family.stem}.{family.fp}.{j}" for j in range(len(family.fns))]
    if (family.stem, family.fp) not in _registered:
        for tok, fn in zip(tokens, family.fns):
            # forceinline: LLVM would not inline a large scalar function into
            # the loop, and the loop would then neither vectorise nor hoist
            # its branches
            codegen.register_object(tok, numba.njit(fn, forceinline=True,
                                                    error_model="numpy"))
        _registered.add((family.stem, family.fp))
    source = _kernel_source(family, tokens, pattern, layout, parallel)
    mod = codegen.load_module(f"{family.stem}_{pattern}_{layout}{'_par' if parallel else ''}",
                              source)
    return mod.kernel


def _kernel_source(fam, tokens, pattern, layout, parallel):
    args = fam.arg_names
    outs = [f"out{j}" for j in range(fam.n_outputs)]
    lines = ["from numba import njit, prange"]
    lines += [f"f{j} = _objects[{tok!r}]" for j, tok in enumerate(tokens)]
    # error_model="numpy": x / 0 gives inf or nan, as in PyTorch, not ZeroDivisionError
    opts = 'cache=CACHE, error_model="numpy"' + (", parallel=True" if parallel else "")
    lines.append(f"@njit({opts})")
    lines.append(f"def kernel({', '.join(args + tuple(outs))}):")
    read_at = {"a": "[{}]", "r": "[j]", "c": "[i]"}
    if layout == "flat":
        idx, indent = "i", "        "
        rng = "prange" if parallel else "range"
        lines.append(f"    for i in {rng}(out0.shape[0]):")
    elif layout == "rows":   # C-contiguous (R, M) rows: the inner loop vectorises
        idx, indent = "i, j", "            "
        rng = "prange" if parallel else "range"
        lines += [f"    for i in {rng}(out0.shape[0]):", "        for j in range(out0.shape[1]):"]
    else:
        idx = "i0, i1, i2, i3"
        lines.append("    n0, n1, n2, n3 = out0.shape")
        if parallel:
            lines += ["    for r in prange(n0 * n1 * n2):",
                      "        i0 = r // (n1 * n2)",
                      "        i1 = (r // n2) % n1",
                      "        i2 = r % n2",
                      "        for i3 in range(n3):"]
            indent = "            "
        else:
            lines += ["    for i0 in range(n0):",
                      "        for i1 in range(n1):",
                      "            for i2 in range(n2):",
                      "                for i3 in range(n3):"]
            indent = "                    "
    read = {a: a + read_at[p].format(idx) if p != "s" else a for a, p in zip(args, pattern)}
    for a in args:
        lines.append(f"{indent}{a}_ = {read[a]}")
    lines += fam.body_lines(indent, idx)
    return "\n".join(lines) + "\n"


def run(family, args, out_dtypes, shape, outs=None):
    """Compute the family's outputs (new arrays of `shape`) from `args`.

    `args` follow `family.arg_names`: NumPy arrays broadcastable to `shape`, or
    NumPy scalars of the compute dtype.  `outs`, if given, are arrays (any
    strides) to write into instead.  Returns the list of output arrays.
    """
    # One pass: contiguous arrays of the full shape are raveled for the flat
    # kernel; a one-element array is passed as a scalar (a broadcast value needs
    # no strided loop); anything else sends the call to the strided kernel.
    # This is the hot path of every elementwise op: keep it free of allocations.
    pattern = ""
    flat = True
    kargs = []
    for a in args:
        if a.__class__ is _ndarray:
            if a.shape == shape and a.flags.c_contiguous:
                kargs.append(a if a.ndim == 1 else a.ravel())
                pattern += "a"
                continue
            if a.size == 1:
                kargs.append(a.reshape(-1)[0])
                pattern += "s"
                continue
            flat = False
            kargs.append(a)
            pattern += "a"
        else:
            kargs.append(a)
            pattern += "s"
    if outs is not None:
        for o in outs:
            if not o.flags.c_contiguous:
                flat = False
    if not flat:
        if outs is None:
            outs = [_empty(shape, dt) for dt in out_dtypes]
        if outs[0].size:
            # strided kernel: the original arrays, not the raveled ones
            arrays = [k if p == "s" else a for a, k, p in zip(args, kargs, pattern)]
            if not _run_rows(family, arrays, shape, outs):
                _run_nd4(family, arrays, shape, outs)
        return outs
    if outs is None and len(out_dtypes) == 1:
        return [_flat_result(family, pattern, kargs, shape, out_dtypes[0])]
    n = 1
    for d in shape:
        n *= d
    key = (pattern, "flat", n >= PARALLEL_THRESHOLD)
    k = family._kernels.get(key)
    if k is None:
        k = kernel(family, *key)
    if outs is None:
        outs = [_empty(shape, dt) for dt in out_dtypes]
        if n:
            k(*kargs, *[o.ravel() for o in outs])
        return outs
    if n:
        k(*kargs, *[o.ravel() for o in outs])
    return outs


def _flat_result(family, pattern, kargs, shape, dtype):
    """The family's one output, a new array of `shape` and `dtype`, by the flat kernel
    of `pattern` from `kargs` (flat arrays of its size and scalars)."""
    # allocated in its final shape (not a reshaped view): a result owns its
    # buffer, which lets the engine hand it to a leaf's .grad without a copy
    try:
        out = np.empty(shape, dtype)
    except MemoryError:
        out = _empty(shape, dtype)   # raises PyTorch's RuntimeError
    n = out.size
    # serial kernels by pattern alone: no key tuple on the hot path
    k = (family._serial_flat.get(pattern) if n < PARALLEL_THRESHOLD else
         family._kernels.get((pattern, "flat", True)))
    if k is None:
        k = kernel(family, pattern, "flat", n >= PARALLEL_THRESHOLD)
        if n < PARALLEL_THRESHOLD:
            family._serial_flat[pattern] = k
    if n:
        k(*kargs, out if out.ndim == 1 else out.ravel())
    return out


def sum_of_two(family, a, b):
    """A new array, ``a + b`` by `family` (the add kernel), `a` and `b` C-contiguous
    arrays of one shape and dtype (checked by the caller: the engine's gradient
    accumulation): the flat kernel, none of `run`'s sorting."""
    return _flat_result(family, "aa", [a.ravel(), b.ravel()], a.shape, a.dtype)


def write_flat(family, out, kargs):
    """``out = f(out, *kargs)`` in place, `out` a 1-D C-contiguous array and `kargs`
    arrays of its size or scalars of its dtype, checked by the caller (the in-place
    fast path of `nbgrad.ops.inplace`): the flat kernel, none of `run`'s sorting."""
    n = out.size
    pattern = "a"
    for k in kargs:
        pattern += "a" if k.__class__ is _ndarray else "s"
    key = (pattern, "flat", n >= PARALLEL_THRESHOLD)
    k = family._kernels.get(key)
    if k is None:
        k = kernel(family, *key)
    if n:
        k(out, *kargs, out)


def _run_rows(family, args, shape, outs):
    """Run the 'rows' kernel when the arrays are rows of one split of `shape` (see
    `_rows_split`): a bias added to a batch, a row's maximum taken from it.  False
    (nothing run) otherwise, for the strided kernel."""
    if outs[0].size < ROWS_THRESHOLD:
        return False
    for o in outs:
        if not o.flags.c_contiguous:
            return False
    split = _rows_split(args, shape)
    if split is None:
        return False
    pattern, views, R, M = split
    k = kernel(family, pattern, "rows", R * M >= PARALLEL_THRESHOLD)
    k(*views, *[o.reshape(R, M) for o in outs])
    return True


def _rows_split(args, shape):
    """(pattern, views, R, M) when `shape` splits into R rows of M elements such that
    each array argument is C-contiguous and either of the full shape ('a', viewed as
    (R, M)), one row broadcast over the leading dims ('r', (M,)) or one value per row
    broadcast over the trailing dims ('c', (R,)); None when no split fits."""
    n = len(shape)
    for s in range(1, n):
        R, M = math.prod(shape[:s]), math.prod(shape[s:])
        pattern, views = "", []
        for a in args:
            if a.__class__ is not _ndarray:
                pattern += "s"
                views.append(a)
                continue
            if not a.flags.c_contiguous:
                return None
            padded = (1,) * (n - a.ndim) + a.shape
            if padded == shape:
                pattern += "a"
                views.append(a.reshape(R, M))
            elif padded[s:] == shape[s:] and math.prod(padded[:s]) == 1:
                pattern += "r"
                views.append(a.reshape(M))
            elif padded[:s] == shape[:s] and math.prod(padded[s:]) == 1:
                pattern += "c"
                views.append(a.reshape(R))
            else:
                break
        else:
            return pattern, views, R, M
    return None


def _run_nd4(family, args, shape, outs):
    pattern = "".join("a" if a.__class__ is np.ndarray else "s" for a in args)
    parallel = outs[0].size >= PARALLEL_THRESHOLD
    views = _as_nd4(shape, [a for a in args if a.__class__ is np.ndarray] + list(outs))
    if views is None:
        # more than four dimensions survive coalescing: run over the leading one
        for i in range(shape[0]):
            sub = [(a if a.ndim < len(shape) else a[i if a.shape[0] != 1 else 0])
                   if a.__class__ is np.ndarray else a for a in args]
            _run_nd4(family, sub, shape[1:], [o[i] for o in outs])
        return outs
    it = iter(views)
    nd_args = [next(it) if a.__class__ is np.ndarray else a for a in args]
    k = kernel(family, pattern, "nd4", parallel)
    k(*nd_args, *list(it))
    return outs


def _as_nd4(shape, arrays):
    """4-D strided views of `arrays` for the nd4 kernels (see `coalesce4`)."""
    c = coalesce4(shape, arrays)
    if c is None:
        return None
    shape4, strides4 = c
    return [_view(a, shape4, st) for a, st in zip(arrays, strides4)]


def _view(a, shape, strides):
    """`a` seen with `shape` and byte `strides` from its element 0 (in bounds by
    construction: `coalesce4` keeps a's own strides or 0).  Over a C-contiguous
    buffer an ndarray made directly costs 0.3 us where ``as_strided`` costs 2.8 us:
    a bias added to a (256, 10) batch spent 12 of its 21 us in three of them."""
    if a.flags.c_contiguous:
        return _ndarray(shape, a.dtype, a, 0, strides)
    return np.lib.stride_tricks.as_strided(a, shape, strides)


def _empty(shape, dtype):
    """np.empty, with PyTorch's RuntimeError for memory that cannot be had."""
    try:
        return np.empty(shape, dtype)
    except MemoryError:   # PyTorch's RuntimeError instead
        from nbgrad.backends.cpu.creation import allocation_error
        raise allocation_error(shape, dtype) from None


def cast(a, dtype):
    """A new C-contiguous copy of host array `a` converted to `dtype` (a NumPy
    dtype, or an nbgrad dtype: its ``.np``), by the identity kernel."""
    dt = dtype.np if hasattr(dtype, "np") else np.dtype(dtype)
    if a.flags.c_contiguous:   # the common case (tensor(), .to(dtype)) without run's sorting
        n = a.size
        k = IDENTITY._kernels.get(("a", "flat", n >= PARALLEL_THRESHOLD))
        if k is not None:
            out = _empty(a.shape, dt)
            if n:
                k(a.ravel(), out.ravel())
            return out
    return run(IDENTITY, [a], [dt], a.shape)[0]
