"""The target-neutral declaration of a generated elementwise kernel, shared by
the CPU and CUDA generators.

A `KernelFamily` is a list of scalar functions over named arguments (an op's
forward, or the input gradients of its fused backward); each backend turns it
into loop kernels of its own (`nbgrad.backends.cpu.elementwise`,
`nbgrad.backends.cuda.elementwise`).  Its `fingerprint` names the generated
modules in the disk cache (`nbgrad.backends.codegen`): it covers the
functions, the argument names and the text of the vocabulary files whose
functions the kernels inline (`add_vocabulary_file`: the math library here,
and the dual vocabulary that the ops layer registers at import).

`IDENTITY` is the one copy kernel of both backends (casts, strided copies);
`coalesce4` is the shape arithmetic of both backends' strided ('nd4') kernels.
"""

import functools
import inspect

from nbgrad.backends import codegen

__all__ = ["KernelFamily", "IDENTITY", "param_names", "coalesce4", "add_vocabulary_file"]

_vocab_files = []   # extra files whose functions generated kernels inline
_vocab_hash = []


def add_vocabulary_file(path):
    """Count the text of `path` in every kernel's fingerprint (a module whose
    functions the generated kernels inline: `nbgrad.ops.scalar` registers itself)."""
    if path not in _vocab_files:
        _vocab_files.append(path)
        _vocab_hash.clear()


def _vocabulary_hash():
    # generated kernels inline the math library (mathtable.py, mathf.py) and
    # the dual scalar functions registered above: a change there must change
    # every kernel's cache key
    if not _vocab_hash:
        from nbgrad.backends import mathtable
        from nbgrad.backends.cpu import mathf
        texts = []
        for path in [mathf.__file__, mathtable.__file__] + _vocab_files:
            with open(path, "rb") as f:
                texts.append(f.read())
        _vocab_hash.append(codegen.fingerprint(*texts))
    return _vocab_hash[0]


def param_names(fn):
    """The parameter names of scalar function `fn` (what a rule reads: x, y, g, out...)."""
    return tuple(inspect.signature(fn).parameters)


class KernelFamily:
    """The generated kernels computing `fns` (one output each, or their sum as
    the one output when `summed`) from `arg_names`.

    ``_kernels`` holds the CPU backend's compiled variants, and ``_serial_flat``
    its serial flat ones again by argument pattern alone (its elementwise hot path
    reads these dicts directly); the CUDA backend keeps its own table."""

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
        self._kernels = {}
        self._serial_flat = {}   # pattern -> the serial flat kernel (run's hot path)

    @functools.cached_property
    def fp(self):
        """The fingerprint of the declaration (computed on first use: families made
        at import must not read the vocabulary before all of it is registered)."""
        return codegen.fingerprint(*self.fns, _vocabulary_hash(), ",".join(self.arg_names),
                                   *(("summed",) if self.summed else ()))

    def body_lines(self, indent, idx):
        """The loop body's stores (shared by the CPU and CUDA generators): output
        j gets f_j of its `<name>_` locals, or out0 gets the sum of them all."""
        calls = [f"f{j}({', '.join(p + '_' for p in ps)})" for j, ps in enumerate(self.params)]
        if self.summed:
            return [f"{indent}out0[{idx}] = " + " + ".join(calls)]
        return [f"{indent}out{j}[{idx}] = {c}" for j, c in enumerate(calls)]


IDENTITY = KernelFamily("identity", [lambda x: x])


_COALESCED = {}   # coalesce4's results by (shape, each array's shape and strides)
_COALESCED_MAX = 4096


def coalesce4(shape, arrays):
    """(shape4, strides4 per array): `arrays` broadcast to `shape`, dimensions
    that are contiguous in all of them merged, padded to four dimensions; None
    if more than four remain.  Shared by the CPU and CUDA strided kernels.

    A pure function of the shapes and strides, kept for the layouts seen: the
    merging loop costs 3.7 us of Python, the lookup 1 (a small broadcast op's
    largest cost after the kernel)."""
    key = [shape if shape.__class__ is tuple else tuple(shape)]
    for a in arrays:
        key.append(a.shape)
        key.append(a.strides)
    key = tuple(key)
    found = _COALESCED.get(key, False)
    if found is False:
        if len(_COALESCED) >= _COALESCED_MAX:
            _COALESCED.clear()
        found = _coalesce4(shape, arrays)
        if found is not None:   # tuples: one result serves every later call
            found = (tuple(found[0]), tuple(tuple(st) for st in found[1]))
        _COALESCED[key] = found
    return found


def _coalesce4(shape, arrays):
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
