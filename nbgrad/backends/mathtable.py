"""The scalar math functions of the kernels: one row per function, read by both backends.

A row says everything a backend needs to compute one math function in a
generated kernel, and what the tests compare it with::

    math_function("exp", np.exp, mathf.expf, math.exp, cuda="expf")

- ``name``: the function of the dual vocabulary (`nbgrad.ops.scalar` makes
  ``s.exp`` from the row: the math in kernels, ``nbgrad.exp`` on Tensors);
- ``numpy``: the NumPy function (or a NumPy expression) computing it: the
  tests' reference, and how the dual computes a Python number;
- ``f32``, ``f64``: the CPU implementations for float32 and for every other
  argument type (float64, integers), each a function Numba inlines into a
  kernel: ``math.*``, a vectorizable `nbgrad.backends.cpu.mathf` function, or
  ``njit(inline="always")`` of your own;
- ``cuda``: CUDA's float32 implementation, a libdevice function name
  (``"expf"`` is ``__nv_expf``) or ``lambda L: <function>`` built from the
  libdevice module ``L``; ``cuda64`` likewise for float64.  Left out, the GPU
  runs the CPU implementation (fine for ``math.*``: numba-cuda lowers it to
  libdevice);
- ``ints``: ``"float"`` (an integer argument computes in ``f64``) or
  ``"keep"`` (an integer argument is returned as it is: floor, ceil...).

A function's arity is its NumPy function's (``np.arctan2`` takes two); a row
of two arguments runs ``f32`` when both are float32, else ``f64`` on float64.

Rows are read through hooks, so a row added at any time (a test, an
extension) gets its dual and its CUDA overload like the built-in ones:
`on_row` (the dual vocabulary builds ``s.<name>``; `remove` undoes it) and
`register_dual` / `duals` (the vocabulary's functions, which the CUDA backend
gives a CUDA overload; registered from above: this layer never imports the ops).
"""

import math
from collections import namedtuple

import numpy as np
from numba import njit

from nbgrad.backends.cpu import mathf

__all__ = ["ROWS", "MathFunction", "arity", "duals", "math_function", "on_row", "register_dual",
           "remove"]

MathFunction = namedtuple("MathFunction", "name numpy f32 f64 cuda cuda64 ints")

ROWS = {}          # name -> MathFunction, in declaration order
_hooks = []        # (on add, on remove) of each reader of the rows
_duals = {}        # name -> the vocabulary's function (registered by nbgrad.ops.scalar)


def math_function(name, numpy, f32, f64, cuda=None, cuda64=None, ints="float"):
    """Add the row of math function `name` (see the module docstring) and hand
    it to every hook; returns the row."""
    if name in ROWS:
        raise ValueError(f"math function {name!r} is declared twice")
    if ints not in ("float", "keep"):
        raise ValueError(f"math function {name!r}: ints must be 'float' or 'keep', not {ints!r}")
    row = ROWS[name] = MathFunction(name, numpy, f32, f64, cuda, cuda64, ints)
    for added, _ in _hooks:
        added(row)
    return row


def remove(name):
    """Forget the row `name` and its dual (a row added for a while, e.g. by a test)."""
    row = ROWS.pop(name, None)
    _duals.pop(name, None)
    if row is not None:
        for _, removed in _hooks:
            removed(row)


def on_row(added, removed):
    """Call ``added(row)`` for every row (those declared so far now, later ones as
    they come) and ``removed(row)`` when one is removed."""
    _hooks.append((added, removed))
    for row in list(ROWS.values()):
        added(row)


def arity(row):
    """The number of arguments of `row`'s function (its NumPy function's)."""
    return getattr(row.numpy, "nin", 1)


def register_dual(fn):
    """Record `fn`, a function of the dual vocabulary with a Numba overload (the
    CUDA backend gives each recorded function its CUDA overload)."""
    _duals[fn.__name__] = fn
    return fn


def duals():
    """The recorded functions of the dual vocabulary, in registration order."""
    return list(_duals.values())


# -- implementations that are not a library function ---------------------------
_inline = njit(inline="always")


@_inline
def _rsqrt32(x):
    return np.float32(mathf.fdiv(1.0, math.sqrt(np.float64(x))))


@_inline
def _rsqrt64(x):
    return mathf.fdiv(1.0, math.sqrt(np.float64(x)))


@_inline
def _sigmoid64(x):
    x = np.float64(x)
    return mathf.fdiv(1.0, 1.0 + math.exp(-x))


_ONE32 = np.float32(1.0)


def _np_rsqrt(v):
    return 1.0 / np.sqrt(np.float64(v))


def _np_sigmoid(v):
    return 1.0 / (1.0 + np.exp(-np.float64(v)))


def _np_erf(v):
    return np.float64(math.erf(v))


def _cuda_sigmoid32(L):
    return lambda x: _ONE32 / (_ONE32 + L.expf(-x))


# -- the table ------------------------------------------------------------------
def _libm_rows(*names, arc=False):
    """The rows of the functions that follow the common pattern: NumPy's
    ``np.<name>`` (``arc``: ``np.arc<name without its a>``, as np.arcsin for
    asin), ``mathf.<name>f`` for float32, ``math.<name>`` (libm) otherwise,
    libdevice's ``<name>f`` on CUDA."""
    for name in names:
        numpy = getattr(np, "arc" + name[1:] if arc else name)
        math_function(name, numpy, getattr(mathf, name + "f"), getattr(math, name),
                      cuda=name + "f")


# name           NumPy reference   float32 CPU      float64 CPU  CUDA (float32[, float64])
_libm_rows("exp", "expm1", "log", "log1p", "log2", "log10")
math_function("sqrt", np.sqrt, math.sqrt, math.sqrt)
math_function("rsqrt", _np_rsqrt, _rsqrt32, _rsqrt64, cuda="rsqrtf", cuda64="rsqrt")
_libm_rows("sin", "cos", "tan")
_libm_rows("asin", "acos", "atan", "atan2", arc=True)
math_function("copysign", np.copysign, np.copysign, math.copysign, cuda="copysignf",
              cuda64="copysign")
_libm_rows("sinh", "cosh", "tanh")
math_function("sigmoid", _np_sigmoid, mathf.sigmoidf, _sigmoid64, cuda=_cuda_sigmoid32)
math_function("erf", _np_erf, mathf.erff, math.erf, cuda="erff")
# rounding: integers stay integers; llvm.trunc/llvm.rint do not pass libNVVM
math_function("floor", np.floor, mathf.floor, mathf.floor, ints="keep")
math_function("ceil", np.ceil, mathf.ceil, mathf.ceil, ints="keep")
math_function("trunc", np.trunc, mathf.trunc, mathf.trunc, cuda="truncf", cuda64="trunc",
              ints="keep")
math_function("rint", np.rint, mathf.rint, mathf.rint, cuda="rintf", cuda64="rint",
              ints="keep")
