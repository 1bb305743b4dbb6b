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

So `register` gives every public function of the vocabulary a CUDA-target
overload (``numba.cuda.extending.overload(..., target="cuda")``, which numba
orders before target-less templates):

- by default the SAME typer as the CPU, recovered from numba.core's typing
  registry: one declaration of the semantics (sign of NaN, floor division,
  x / 0 gives inf);
- for float32 transcendental functions (and powers, `pow_scalar` keeping
  PyTorch's shortcut exponents), CUDA's own float32 libdevice functions
  (``__nv_expf``...), and for trunc/rint (any float), libdevice's.

Nothing is registered on the simulator, where kernels run the Python side of
the vocabulary.
"""

import inspect

import numpy as np

from nbgrad.backends.cuda import _numba_cuda

__all__ = ["register", "cpu_typers", "overridden"]

_done = []
overridden = []   # names given a CUDA-specific float implementation


def cpu_typers(module):
    """{function: typer} of `module`'s public functions, from numba.core's registry."""
    from numba.core.typing.templates import builtin_registry

    wanted = {}
    for name in getattr(module, "__all__", ()):
        fn = getattr(module, name, None)
        if callable(fn):
            wanted[fn] = name
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


def _overrides():
    """{name: typer factory(cpu_typer) -> CUDA typer} for the float cases."""
    L = _numba_cuda.libdevice
    f32 = np.float32
    one = np.float32(1.0)
    table = {}

    def unary_f32(lib32, lib64=None):
        def make(cpu, names):
            def typer(x):
                if _f32(x):
                    return lambda x: lib32(x)
                if lib64 is not None and _float(x):
                    return lambda x: lib64(x)
                return cpu(x)
            return typer
        return make

    for name in ("exp", "expm1", "log", "log1p", "log2", "log10", "sin", "cos", "tan", "asin",
                 "acos", "atan", "sinh", "cosh", "tanh", "erf"):
        table[name] = unary_f32(getattr(L, name + "f"))
    table["rsqrt"] = unary_f32(L.rsqrtf, L.rsqrt)
    table["trunc"] = unary_f32(L.truncf, L.trunc)
    table["rint"] = unary_f32(L.rintf, L.rint)

    def sigmoid(cpu, names):
        def typer(x):
            if _f32(x):
                return lambda x: one / (one + L.expf(-x))
            return cpu(x)
        return typer
    table["sigmoid"] = sigmoid

    def atan2(cpu, names):
        def typer(y, x):
            if _f32(y) and _f32(x):
                return lambda y, x: L.atan2f(y, x)
            return cpu(y, x)
        return typer
    table["atan2"] = atan2

    def pow_(cpu, names):
        def typer(x, y):
            if (_f32(x) or _f32(y)) and (_float(x) or _float(y)):
                return lambda x, y: L.powf(f32(x), f32(y))
            return cpu(x, y)
        return typer
    table["pow"] = pow_

    def pow_scalar(cpu, names):
        from nbgrad.ops import scalar
        # PyTorch's shortcuts for the exponents 2, 3, 0.5, ... as on the CPU; any
        # other exponent through libdevice's powf (mathf's needs llvm.rint)
        shortcut32 = scalar._pow_float(np.float32, L.powf)

        def typer(x, e):
            if (_f32(x) or _f32(e)) and (_float(x) or _float(e)):
                return shortcut32
            return cpu(x, e)
        return typer
    table["pow_scalar"] = pow_scalar

    def truncdiv(cpu, names):
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
    """Give every function of `nbgrad.ops.scalar` its CUDA overload (once; not on the simulator)."""
    if _done or _numba_cuda.SIMULATOR:
        return
    from nbgrad.ops import scalar

    typers = cpu_typers(scalar)
    table = _overrides()
    for fn, cpu in typers.items():
        name = fn.__name__
        typer = cpu
        make = table.get(name)
        if make is not None:
            candidate = make(cpu, None)
            # an override must keep the function's parameter names (numba checks them)
            if list(inspect.signature(candidate).parameters) == \
                    list(inspect.signature(fn).parameters):
                typer = candidate
                overridden.append(name)
        _numba_cuda.overload_cuda(fn, typer)
    _done.append(True)
