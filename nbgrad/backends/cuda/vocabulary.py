"""The dual scalar vocabulary (`nbgrad.ops.scalar`) inside CUDA kernels.

`nbgrad.ops.scalar` gives each function its kernel implementation with
``numba.extending.overload(fn, inline="always")`` (a typer choosing an
implementation by argument type).  numba-cuda 0.30 does install such
third-party numba.core templates into its CUDA typing context, but:

- an overload inlined from numba.core into a CUDA kernel is mistyped as soon
  as its implementation holds a constant (``1.0 / (1.0 + exp(-x))`` fails
  with ``add(omitted(default=Undefined), ...)``: the two compilers' IRs
  differ), so most of the vocabulary does not compile that way;
- the float32 implementations of `nbgrad.backends.cpu.mathf` compute through
  float64 polynomials so that CPU loops vectorise; on a GPU float64 runs at
  1/2 (H100) to 1/64 (consumer cards) of float32 speed, and libNVVM rejects
  some of their LLVM intrinsics (``llvm.trunc``, ``llvm.rint``: sin, cos,
  tan, trunc, rint and truncdiv fail with ERROR_INVALID_IR).

So `register` gives every function of the vocabulary (those recorded in
`nbgrad.backends.mathtable` by the ops layer) a CUDA-target overload
(``numba.cuda.extending.overload(..., target="cuda")``, which numba orders
before target-less templates):

- by default the SAME typer as the CPU, recovered from numba.core's typing
  registry: one declaration of the semantics (sign of NaN, floor division,
  x / 0 gives inf);
- for a math function whose row in `nbgrad.backends.mathtable` names a CUDA
  implementation (``cuda=``, ``cuda64=``: libdevice's ``__nv_expf``...),
  that implementation for float32 (float64) arguments;
- for powers (`pow_scalar` keeping PyTorch's shortcut exponents) and
  truncated division, libdevice's float32 functions (the CPU's need
  ``llvm.rint``/``llvm.trunc``).

Nothing is registered on the simulator, where kernels run the Python side of
the vocabulary.
"""

import inspect

import numpy as np

from nbgrad.backends import mathtable
from nbgrad.backends.cpu import mathf
from nbgrad.backends.cuda import _numba_cuda

__all__ = ["cpu_typers", "overridden", "register"]

_done = set()     # the functions given their CUDA overload
overridden = []   # names given a CUDA-specific float implementation


def cpu_typers(functions):
    """{function: typer} of `functions` (a list, or a module: its public
    functions), from numba.core's registry."""
    from numba.core.typing.templates import builtin_registry

    if not isinstance(functions, (list, tuple)):
        functions = [getattr(functions, n, None) for n in getattr(functions, "__all__", ())]
    wanted = {fn: fn.__name__ for fn in functions if callable(fn)}
    found = {}
    for gv, fty in builtin_registry.globals:
        if gv in wanted:
            for template in getattr(fty, "templates", ()):
                typer = getattr(template, "_overload_func", None)
                if typer is not None and template.metadata.get("target") != "cuda":
                    found[gv] = typer
    return found


def _f32(t):
    from numba.core import types
    return isinstance(t, types.Float) and t.bitwidth == 32


def _float(t):
    from numba.core import types
    return isinstance(t, types.Float)


def _row_impl(spec, n):
    """The kernel implementation named by a row's ``cuda``/``cuda64`` entry: a
    libdevice function name, or ``lambda L: implementation``; None if none."""
    if spec is None:
        return None
    if not isinstance(spec, str):
        return spec(_numba_cuda.libdevice)
    fn = getattr(_numba_cuda.libdevice, spec)
    return (lambda y, x: fn(y, x)) if n == 2 else (lambda x: fn(x))


def _row_typer(row):
    """The CUDA typer factory of a math-table row naming a CUDA implementation, or None."""
    n = mathtable.arity(row)
    lib32, lib64 = _row_impl(row.cuda, n), _row_impl(row.cuda64, n)
    if lib32 is None and lib64 is None:
        return None

    def make(cpu):
        if n == 2:
            def typer(y, x):
                if lib32 is not None and _f32(y) and _f32(x):
                    return lib32
                if lib64 is not None and _float(y) and _float(x):
                    return lib64
                return cpu(y, x)
            return typer

        def typer(x):
            if lib32 is not None and _f32(x):
                return lib32
            if lib64 is not None and _float(x):
                return lib64
            return cpu(x)
        return typer
    return make


def _overrides():
    """{name: typer factory(cpu_typer) -> CUDA typer} for the float cases."""
    L = _numba_cuda.libdevice
    f32 = np.float32
    table = {}
    for row in mathtable.ROWS.values():
        make = _row_typer(row)
        if make is not None:
            table[row.name] = make

    def pow_(cpu):
        def typer(x, y):
            if (_f32(x) or _f32(y)) and (_float(x) or _float(y)):
                return lambda x, y: L.powf(f32(x), f32(y))
            return cpu(x, y)
        return typer
    table["pow"] = pow_

    def pow_scalar(cpu):
        # PyTorch's shortcuts for the exponents 2, 3, 0.5, ... as on the CPU; any
        # other exponent through libdevice's powf (mathf's needs llvm.rint)
        shortcut32 = mathf.pow_shortcuts(np.float32, L.powf)

        def typer(x, e):
            if (_f32(x) or _f32(e)) and (_float(x) or _float(e)):
                return shortcut32
            return cpu(x, e)
        return typer
    table["pow_scalar"] = pow_scalar

    def truncdiv(cpu):
        def typer(a, b):
            if _float(a) or _float(b):
                if _f32(a) and _f32(b):
                    return lambda a, b: L.truncf(a / b)
                return lambda a, b: L.trunc(np.float64(a) / np.float64(b))
            return cpu(a, b)
        return typer
    table["truncdiv"] = truncdiv
    return table


def register():
    """Give every function of the dual vocabulary its CUDA overload (those recorded
    since the last call; not on the simulator)."""
    if _numba_cuda.SIMULATOR:
        return
    new = [fn for fn in mathtable.duals() if fn not in _done]
    if not new:
        return
    typers = cpu_typers(new)
    table = _overrides()
    for fn, cpu in typers.items():
        name = fn.__name__
        typer = cpu
        make = table.get(name)
        if make is not None:
            candidate = make(cpu)
            # an override must keep the function's parameter names (numba checks them)
            if list(inspect.signature(candidate).parameters) == \
                    list(inspect.signature(fn).parameters):
                typer = candidate
                overridden.append(name)
        _numba_cuda.overload_cuda(fn, typer)
        _done.add(fn)
