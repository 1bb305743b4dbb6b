"""CPU elementwise kernels generated from scalar functions.

An op declares its forward and each backward rule as plain scalar functions
(see `nbgrad.ops.registry`).  `KernelFamily` turns a list of such functions over
shared arguments into `@njit` loop kernels, one per variant:

- pattern: which arguments are arrays ('a') and which are scalars ('s');
- layout: 'flat' (contiguous, same shape: one loop over raveled buffers) or
  'nd4' (strided/broadcast views, coalesced and padded to four dimensions);
- parallel: `prange` loops, chosen at run time above `PARALLEL_THRESHOLD`.

Several functions in one family produce several outputs in one pass (a fused
backward computes both input gradients while reading `g` once).
Variants are generated and compiled on first use only.
"""

import inspect
import os

import numba
import numpy as np

from nbgrad.backends.cpu import codegen

# Below this many elements a parallel loop costs more than it saves: with idle
# threads spinning briefly (backends/cpu/__init__.py) parallel loops won from
# 65,536 elements in every case of `ratios.py --threshold-sweep` on 2 cores
# (docs/performance.md).
PARALLEL_THRESHOLD = int(os.environ.get("NBGRAD_PARALLEL_THRESHOLD", 1 << 16))
_ndarray = np.ndarray

_vocab_hash = []


def _vocabulary_hash():
    # generated kernels inline the dual scalar functions of nbgrad.ops.scalar
    # and the float32 math of mathf.py: a change there must change every
    # kernel's cache key
    if not _vocab_hash:
        from nbgrad.backends.cpu import mathf
        from nbgrad.ops import scalar
        texts = []
        for module in (scalar, mathf):
            with open(module.__file__, "rb") as f:
                texts.append(f.read())
        _vocab_hash.append(codegen.fingerprint(*texts))
    return _vocab_hash[0]


def param_names(fn):
    return tuple(inspect.signature(fn).parameters)


class KernelFamily:
    """The generated kernels computing `fns` (one output each, or their sum as
    the one output when `summed`) from `arg_names`."""

    def __init__(self, stem, fns, arg_names=None, summed=False):
        self.stem = stem
        self.fns = tuple(fns)
        self.summed = summed
        self.n_outputs = 1 if summed else len(self.fns)
        self.params = [param_names(f) for f in self.fns]
        if arg_names is None:
            arg_names = []
            for ps in self.params:
                arg_names.extend(p for p in ps if p not in arg_names)
        self.arg_names = tuple(arg_names)
        self.fp = codegen.fingerprint(*self.fns, _vocabulary_hash(), ",".join(self.arg_names),
                                      *(("summed",) if summed else ()))
        self._kernels = {}
        self._registered = False

    def body_lines(self, indent, idx):
        """The loop body's stores (shared by the CPU and CUDA generators): output
        j gets f_j of its `<name>_` locals, or out0 gets the sum of them all."""
        calls = [f"f{j}({', '.join(p + '_' for p in ps)})" for j, ps in enumerate(self.params)]
        if self.summed:
            return [f"{indent}out0[{idx}] = " + " + ".join(calls)]
        return [f"{indent}out{j}[{idx}] = {c}" for j, c in enumerate(calls)]

    def kernel(self, pattern, layout, parallel):
        key = (pattern, layout, parallel)
        k = self._kernels.get(key)
        if k is None:
            k = self._kernels[key] = self._build(pattern, layout, parallel)
        return k

    def _build(self, pattern, layout, parallel):
        tokens = [f"{self.stem}.{self.fp}.{j}" for j in range(len(self.fns))]
        if not self._registered:
            for tok, fn in zip(tokens, self.fns):
                # forceinline: LLVM would not inline a large scalar function into
                # the loop, and the loop would then neither vectorise nor hoist
                # its branches
                codegen.register_object(tok, numba.njit(fn, forceinline=True,
                                                        error_model="numpy"))
            self._registered = True
        source = _kernel_source(self, tokens, pattern, layout, parallel)
        mod = codegen.load_module(f"{self.stem}_{pattern}_{layout}{'_par' if parallel else ''}",
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
    if layout == "flat":
        idx, indent = "i", "        "
        rng = "prange" if parallel else "range"
        lines.append(f"    for i in {rng}(out0.shape[0]):")
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
    read = {a: (f"{a}[{idx}]" if p == "a" else a) for a, p in zip(args, pattern)}
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
                kargs.append(a.ravel())
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
            _run_nd4(family, [k if p == "s" else a for a, k, p in zip(args, kargs, pattern)],
                     shape, outs)
        return outs
    n = 1
    for d in shape:
        n *= d
    key = (pattern, "flat", n >= PARALLEL_THRESHOLD)
    k = family._kernels.get(key)
    if k is None:
        k = family.kernel(*key)
    if outs is None:
        # allocated in their final shape (not reshaped views): a result owns its
        # buffer, which lets the engine hand it to a leaf's .grad without a copy
        if len(out_dtypes) == 1:
            try:
                out = np.empty(shape, out_dtypes[0])
            except MemoryError:
                out = _empty(shape, out_dtypes[0])   # raises PyTorch's RuntimeError
            if n:
                k(*kargs, out.ravel())
            return [out]
        outs = [_empty(shape, dt) for dt in out_dtypes]
        if n:
            k(*kargs, *[o.ravel() for o in outs])
        return outs
    if n:
        k(*kargs, *[o.ravel() for o in outs])
    return outs


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
    k = family.kernel(pattern, "nd4", parallel)
    k(*nd_args, *list(it))
    return outs


def coalesce4(shape, arrays):
    """(shape4, strides4 per array): `arrays` broadcast to `shape`, dimensions
    that are contiguous in all of them merged, padded to four dimensions; None
    if more than four remain.  Shared by the CPU and CUDA strided kernels."""
    ndim = len(shape)
    strides = []
    for a in arrays:
        s = [0] * ndim
        off = ndim - a.ndim
        for d in range(a.ndim):
            if a.shape[d] != 1:
                s[off + d] = a.strides[d]
        strides.append(s)
    new_shape, new_strides = [], [[] for _ in arrays]
    for d in range(ndim):
        if shape[d] == 1:
            continue
        if new_shape and all(st[d] * shape[d] == ns[-1] for st, ns in zip(strides, new_strides)):
            new_shape[-1] *= shape[d]
            for st, ns in zip(strides, new_strides):
                ns[-1] = st[d]
        else:
            new_shape.append(shape[d])
            for st, ns in zip(strides, new_strides):
                ns.append(st[d])
    if len(new_shape) > 4:
        return None
    pad = 4 - len(new_shape)
    return [1] * pad + new_shape, [[0] * pad + ns for ns in new_strides]


def _as_nd4(shape, arrays):
    """4-D strided views of `arrays` for the nd4 kernels (see `coalesce4`)."""
    c = coalesce4(shape, arrays)
    if c is None:
        return None
    shape4, strides4 = c
    as_strided = np.lib.stride_tricks.as_strided
    return [as_strided(a, shape4, st) for a, st in zip(arrays, strides4)]


def _empty(shape, dtype):
    """np.empty, with PyTorch's RuntimeError for memory that cannot be had."""
    try:
        return np.empty(shape, dtype)
    except MemoryError:   # PyTorch's RuntimeError instead
        from nbgrad.backends.cpu.creation import allocation_error
        raise allocation_error(shape, dtype) from None
