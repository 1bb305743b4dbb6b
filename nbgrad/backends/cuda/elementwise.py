"""CUDA elementwise kernels generated from the same `KernelFamily` as the CPU.

An op's declaration (its scalar functions, `nbgrad.backends.family.
KernelFamily`) is compiled here into CUDA grid-stride kernels: each scalar
function becomes a ``cuda.jit(device=True)`` function and a generated kernel
calls them all per element, writing one output each.  Variants, built on
first use:

- pattern: per argument 'a' (an array read at the element's index), 'b' (a
  one-element device array: read once per thread, no host round trip) or 's'
  (a host scalar passed by value);
- layout: 'flat' (contiguous arrays of the output's shape, raveled: one
  index) or 'nd4' (strided/broadcast views, dimensions coalesced to at most
  four and padded, as the CPU's ``_as_nd4``; a flat index is split into four).
  With ``UNROLL = k > 1`` the flat loop ('flat<k>') has each thread load k
  elements (one grid stride apart) before it computes and stores any: k
  loads in flight per thread, for memory-bound kernels.

The scalar functions call the dual vocabulary (`nbgrad.ops.scalar`), which
`vocabulary.register` gives its CUDA implementations before the first
compile.  The kernel sources go through the shared on-disk module mechanism
(`nbgrad.backends.codegen.load_module`) with ``cuda.jit(cache=CACHE)``,
so numba-cuda caches the compiled kernels beside them.  Launches are counted
by `nbgrad.backends.cuda.launch`.
"""

import os

import numpy as np

from nbgrad.backends import codegen
from nbgrad.backends.cuda import _numba_cuda, vocabulary
from nbgrad.backends.cuda import launch as _launch
from nbgrad.backends.family import KernelFamily, coalesce4, param_names

__all__ = ["KernelFamily", "param_names", "run", "kernel"]

_DeviceArray = _numba_cuda.DeviceArray
_ndarray = np.ndarray
_kernels = {}        # (stem, fp, pattern, layout) -> compiled kernel
# elements a thread loads per step of the flat grid-stride loop (see the docstring):
# on an H100 the tutorial step took 2278 µs with 1, 2184 µs with 2, 2382 µs with 4
UNROLL = max(1, int(os.environ.get("NBGRAD_CUDA_UNROLL", "2")))
_registered = set()  # (stem, fingerprint) of families whose device functions are registered


def kernel(family, pattern, layout):
    """The compiled CUDA kernel of `family` for one argument pattern and layout."""
    key = (family.stem, family.fp, pattern, layout)
    k = _kernels.get(key)
    if k is None:
        k = _kernels[key] = _build(family, pattern, layout)
    return k


def _build(family, pattern, layout):
    vocabulary.register()   # before the first compile of a kernel using it
    tokens = [f"cuda.{family.stem}.{family.fp}.{j}" for j in range(len(family.fns))]
    # keyed by stem too: two ops may declare the same functions (one fingerprint)
    # under two names, and the tokens carry the name
    if (family.stem, family.fp) not in _registered:
        for tok, fn in zip(tokens, family.fns):
            codegen.register_object(tok, _numba_cuda.jit_device(fn))
        _registered.add((family.stem, family.fp))
    source = _kernel_source(family, tokens, pattern, layout)
    sim = "_sim" if _numba_cuda.SIMULATOR else ""
    mod = codegen.load_module(f"cuda{sim}_{family.stem}_{pattern}_{layout}", source)
    return mod.kernel


def _kernel_source(fam, tokens, pattern, layout):
    args = fam.arg_names
    outs = [f"out{j}" for j in range(fam.n_outputs)]
    lines = ["from nbgrad.backends.cuda._numba_cuda import cuda"]
    lines += [f"f{j} = _objects[{tok!r}]" for j, tok in enumerate(tokens)]
    lines.append("@cuda.jit(cache=CACHE)")
    lines.append(f"def kernel({', '.join(args + tuple(outs))}):")
    # one-element arrays: one read per thread, hoisted out of the loop
    for a, p in zip(args, pattern):
        if p == "b":
            lines.append(f"    {a}_ = {a}[0]")
        elif p == "s":
            lines.append(f"    {a}_ = {a}")
    lines.append("    start = cuda.grid(1)")
    lines.append("    step = cuda.gridsize(1)")
    if layout.startswith("flat") and layout != "flat":
        k = int(layout[4:])
        loaded = [a for a, p in zip(args, pattern) if p == "a"]
        lines += ["    n = out0.shape[0]",
                  "    i = start",
                  f"    while i + {k - 1} * step < n:"]
        for u in range(k):
            lines.append(f"        j{u} = i + {u} * step")
            lines += [f"        {a}_{u} = {a}[j{u}]" for a in loaded]
        for u in range(k):
            lines += [f"        {a}_ = {a}_{u}" for a in loaded]
            lines += fam.body_lines("        ", f"j{u}")
        lines += [f"        i += {k} * step",
                  "    while i < n:"]
        lines += [f"        {a}_ = {a}[i]" for a in loaded]
        lines += fam.body_lines("        ", "i")
        lines.append("        i += step")
        return "\n".join(lines) + "\n"
    if layout == "flat":
        idx = "i"
        lines.append("    for i in range(start, out0.shape[0], step):")
    else:
        idx = "i0, i1, i2, i3"
        lines += ["    n0, n1, n2, n3 = out0.shape",
                  "    for r in range(start, n0 * n1 * n2 * n3, step):",
                  "        i3 = r % n3",
                  "        t = r // n3",
                  "        i2 = t % n2",
                  "        t = t // n2",
                  "        i1 = t % n1",
                  "        i0 = t // n1"]
    indent = "        "
    for a, p in zip(args, pattern):
        if p == "a":
            lines.append(f"{indent}{a}_ = {a}[{idx}]")
    lines += fam.body_lines(indent, idx)
    return "\n".join(lines) + "\n"


def _one(a):
    # the first element as a 1-element 1-D view (a's buffer starts there)
    return _numba_cuda.as_strided(a, (1,), (a.dtype.itemsize,))


def run(family, args, out_dtypes, shape, outs=None):
    """Compute the family's outputs (new device arrays of `shape`) from `args`.

    The CUDA twin of `nbgrad.backends.cpu.elementwise.run`: `args` follow
    `family.arg_names` and are device arrays broadcastable to `shape` (any
    strides) or NumPy scalars of the compute dtype; `outs`, if given, are
    device arrays (any strides) to write into.  Returns the list of outputs.
    One kernel launch whatever the number of outputs.
    """
    shape = tuple(shape)
    pattern = ""
    flat = True
    kargs = []
    for a in args:
        if a.__class__ is _DeviceArray:
            if a.shape == shape and a.is_c_contiguous():
                kargs.append(a)
                pattern += "a"
            elif a.size == 1 or not any(a.strides):
                # one element, or one value broadcast everywhere (stride 0)
                kargs.append(_one(a))
                pattern += "b"
            else:
                flat = False
                kargs.append(a)
                pattern += "a"
        elif isinstance(a, _ndarray):
            raise TypeError(
                f"cuda elementwise run ({family.stem}): got a host NumPy array of shape "
                f"{a.shape}; copy it to the device first (nbgrad.backends.cuda.copy.to_device)")
        else:
            kargs.append(a)
            pattern += "s"
    if outs is not None:
        for o in outs:
            if o.__class__ is not _DeviceArray:
                raise TypeError(f"cuda elementwise run ({family.stem}): outs must be device "
                                f"arrays, got {type(o).__name__}")
            if not (o.shape == shape and o.is_c_contiguous()):
                flat = False
    if outs is None:
        outs = [_numba_cuda.empty(shape, dt) for dt in out_dtypes]
    n = 1
    for d in shape:
        n *= d
    if n == 0:
        return outs
    if not flat:
        _run_nd4(family, kargs, pattern, shape, outs)
        return outs
    layout = "flat" if UNROLL == 1 else f"flat{UNROLL}"
    k = _kernels.get((family.stem, family.fp, pattern, layout))
    if k is None:
        k = kernel(family, pattern, layout)
    flat = _numba_cuda.flat
    flat_args = [flat(a, n) if p == "a" else a for a, p in zip(kargs, pattern)]
    _launch.launch(k, n, *flat_args, *[flat(o, n) for o in outs])
    return outs


def _run_nd4(family, kargs, pattern, shape, outs):
    arrays = [a for a, p in zip(kargs, pattern) if p == "a"]
    views = _nd4_views(shape, arrays + list(outs))
    if views is None:
        # more than four dimensions survive coalescing: one launch per leading index
        for i in range(shape[0]):
            sub = [(a[i if a.shape[0] != 1 else 0] if a.ndim == len(shape) else a)
                   if p == "a" else a for a, p in zip(kargs, pattern)]
            _run_nd4(family, sub, pattern, shape[1:], [o[i] for o in outs])
        return
    it = iter(views)
    nd_args = [next(it) if p == "a" else a for a, p in zip(kargs, pattern)]
    k = kernel(family, pattern, "nd4")
    n = 1
    for d in shape:
        n *= d
    _launch.launch(k, n, *nd_args, *list(it))


def _nd4_views(shape, arrays):
    """Broadcast `arrays` to `shape`, merge dimensions contiguous in all of them,
    and return 4-D strided device views (None if more than 4 dimensions remain).
    The coalescing is the CPU's (`coalesce4`)."""
    c = coalesce4(shape, arrays)
    if c is None:
        return None
    shape4, strides4 = c
    return [_numba_cuda.as_strided(a, shape4, st) for a, st in zip(arrays, strides4)]
