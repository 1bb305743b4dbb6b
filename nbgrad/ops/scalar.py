"""The dual scalar vocabulary that elementwise declarations are written in.

Each function here works on two kinds of argument:
- inside a generated Numba kernel, on scalars (a Numba `@overload` gives the
  scalar implementation), which is how forward and fast backward kernels run;
- in Python, on nbgrad Tensors (it calls the Tensor op), which is how the same
  backward formula builds a differentiable graph for ``create_graph=True``.
  On plain Python numbers (a scalar operand saved by an op) it computes the
  number, with NumPy's rules (``log(0)`` is ``-inf``, not an error).

So a derivative written once, e.g. ``lambda g, x: g * cos(x)``, is both the
fused backward kernel and the recorded higher-order rule.

The math functions (exp, log, sin, ..., erf, floor, rint) are not written
here: each is one row of `nbgrad.backends.mathtable` (its NumPy function, its
float32 and float64 CPU implementations, its CUDA libdevice function), and
this module makes the dual ``s.<name>`` of every row, including rows added
later.  This module holds the functions with semantics of their own (division,
powers, selection, signs).

Writing rules:
- divide with `truediv` (or `floordiv`, `truncdiv`, `remainder`, `fmod`),
  not ``/``: Numba's Python error model raises ZeroDivisionError on ``x / 0.0``
  where PyTorch gives inf or nan;
- a float32 kernel computes float32 transcendental functions with the
  vectorized code of `nbgrad.backends.cpu.mathf`; a Python float literal
  turns a float32 value into a float64 one (``0.5 * x``), which would send
  ``exp(0.5 * x)`` to the slow scalar libm: keep literals outside the call or
  wrap them with `cast_like` (``exp(x * cast_like(0.5, x))``).
- integer division by zero raises ZeroDivisionError inside the kernel (the
  ops turn it into PyTorch's RuntimeError).
"""


import numpy as np
from numba import types
from numba.extending import overload

from nbgrad.backends import family, mathtable
from nbgrad.backends.cpu import mathf

# the math functions (exp, log, sin, ..., floor, rint) are added below, one per
# row of `nbgrad.backends.mathtable`
__all__ = ["abs_", "cast_like", "floordiv", "fmod", "invert", "maximum", "minimum", "pow",
           "pow_scalar", "remainder", "sign", "truediv", "truncdiv", "where", "zero"]

_nbgrad = []


class _TensorFunctions:
    """The tensor functions the duals call on Tensors, looked up when called: the
    ops' public names (also ops declared later), the factories and Tensor, from
    this layer, not from the public package."""

    def __getattr__(self, name):
        from nbgrad import _factories
        from nbgrad.ops import FAMILIES
        from nbgrad.tensor import Tensor
        found = Tensor if name == "Tensor" else None
        for module in FAMILIES + (_factories,):
            if found is None and hasattr(module, name):
                found = getattr(module, name)
        if found is not None:
            setattr(self, name, found)   # found once, then a plain attribute
            return found
        raise AttributeError(f"no tensor function {name!r} for a dual")


def _nb():
    if not _nbgrad:
        _nbgrad.append(_TensorFunctions())
    return _nbgrad[0]


def _is_tensor(*args):
    T = _nb().Tensor
    for a in args:
        if isinstance(a, T):
            return True
    return False


def _number(fn, *args):
    with np.errstate(all="ignore"):
        return fn(*args).item()


def _f32(t):
    return isinstance(t, types.Float) and t.bitwidth == 32


def _np_type(t):
    return np.float32 if _f32(t) else np.float64


def _unary_dual(name, np_fn, typer, tensor_name=None):
    """A one-argument dual calling ``nbgrad.<tensor_name>`` on Tensors and
    `np_fn` on numbers, with `typer` as its Numba overload in kernels."""
    tensor_name = tensor_name or name

    def dual(x):
        if _is_tensor(x):
            return getattr(_nb(), tensor_name)(x)
        return _number(np_fn, x)
    dual.__name__ = dual.__qualname__ = name
    overload(dual, inline="always")(typer)
    return mathtable.register_dual(dual)


def _j(fn):
    """`fn` as a function Numba can inline into a kernel."""
    from numba import njit
    return njit(inline="always")(fn)


# -- the math functions: one dual per row of the math table --------------------------
# the Tensor op a dual calls where its name differs from the function's
_TENSOR_NAMES = {"rint": "round"}


def _math_typer(row):
    """The kernel overload of a one-argument row: `row.f32` on float32, `row.f64`
    on other types (or, for ``ints="keep"``, integers unchanged)."""
    f32_impl, f64_impl, keep = row.f32, row.f64, row.ints == "keep"

    def typer(x):
        if _f32(x):
            return lambda x: f32_impl(x)
        if keep and not isinstance(x, types.Float):
            return lambda x: x
        return lambda x: f64_impl(x)
    return typer


def _math_dual2(row):
    """The dual of a two-argument row: `row.f32` when both are float32, else
    `row.f64` in float64."""
    name, np_fn, f32_impl, f64_impl = row.name, row.numpy, row.f32, row.f64
    tensor_name = _TENSOR_NAMES.get(name, name)

    def dual(y, x):
        if _is_tensor(y, x):
            return getattr(_nb(), tensor_name)(y, x)
        return _number(np_fn, np.float64(y), np.float64(x))
    dual.__name__ = dual.__qualname__ = name

    def typer(y, x):
        if _f32(y) and _f32(x):
            return lambda y, x: f32_impl(y, x)
        return lambda y, x: f64_impl(np.float64(y), np.float64(x))
    overload(dual, inline="always")(typer)
    return mathtable.register_dual(dual)


def _add_math_row(row):
    if mathtable.arity(row) == 2:
        dual = _math_dual2(row)
    else:
        dual = _unary_dual(row.name, row.numpy, _math_typer(row),
                           _TENSOR_NAMES.get(row.name, row.name))
    globals()[row.name] = dual
    if row.name not in __all__:
        __all__.append(row.name)


def _remove_math_row(row):
    globals().pop(row.name, None)
    if row.name in __all__:
        __all__.remove(row.name)


mathtable.on_row(_add_math_row, _remove_math_row)


# -- functions that keep integers integers --------------------------------------
def _keep_int(name, np_fn, float_impl, int_impl, tensor_name=None):
    def _kernel(x):
        if isinstance(x, types.Float):
            return float_impl(x)
        return int_impl(x)
    return _unary_dual(name, np_fn, _kernel, tensor_name)


abs_ = _keep_int("abs_", np.abs, lambda t: lambda x: abs(x), lambda t: lambda x: abs(x),
                 tensor_name="abs")


def _sign_float(t):
    T = _np_type(t)
    # sign(nan) is 0, as in PyTorch
    return lambda x: T(x > 0) - T(x < 0)


def _sign_int(t):
    if isinstance(t, types.Boolean):
        return lambda x: x
    return lambda x: (x > 0) - (x < 0)


sign = _keep_int("sign", np.sign, _sign_float, _sign_int)


def _invert_float(t):
    return None


invert = _keep_int("invert", np.invert, _invert_float,
                   lambda t: (lambda x: not x) if isinstance(t, types.Boolean)
                   else (lambda x: ~x), tensor_name="bitwise_not")


def zero(g):
    """A zero gradient like `g` (also where g is inf or nan, unlike 0 * g)."""
    if _is_tensor(g):
        return _nb().zeros_like(g)
    return 0.0


@overload(zero, inline="always")
def _zero_kernel(g):
    if isinstance(g, types.Float):
        T = _np_type(g)
        return lambda g: T(0)
    return lambda g: 0


def cast_like(v, like):
    """`v` with `like`'s float type in a kernel (a literal that must not widen a
    float32 computation); `v` itself in Python."""
    return v


@overload(cast_like, inline="always")
def _cast_like_kernel(v, like):
    if isinstance(like, types.Float):
        T = _np_type(like)
        return lambda v, like: T(v)
    return lambda v, like: v


# -- selection --------------------------------------------------------------------
def where(c, a, b):
    """`a` where `c` else `b` (a Python or NumPy bool condition picks one operand)."""
    if isinstance(c, (bool, np.bool_)):
        return a if c else b
    return _nb().where(c, a, b)


@overload(where, inline="always")
def _where_kernel(c, a, b):
    return lambda c, a, b: mathf.select(c, a, b)


def _binary_dual(name, np_fn, typer, doc, tensor_fn=None):
    """A two-argument dual calling `tensor_fn` (default: ``nbgrad.<name>``) on
    Tensors and `np_fn` on numbers, with `typer` as its Numba overload in kernels
    (Numba wants its parameters, and its kernels', named as the dual's: a, b)."""
    def dual(a, b):
        if _is_tensor(a, b):
            return tensor_fn(a, b) if tensor_fn else getattr(_nb(), name)(a, b)
        return _number(np_fn, a, b)
    dual.__name__ = dual.__qualname__ = name
    dual.__doc__ = doc
    overload(dual, inline="always")(typer)
    return dual


def _maximum_kernel(a, b):
    if isinstance(a, types.Float) or isinstance(b, types.Float):
        return lambda a, b: mathf.select((a > b) | (a != a), a, b)
    return lambda a, b: mathf.select(a > b, a, b)


def _minimum_kernel(a, b):
    if isinstance(a, types.Float) or isinstance(b, types.Float):
        return lambda a, b: mathf.select((a < b) | (a != a), a, b)
    return lambda a, b: mathf.select(a < b, a, b)


maximum = _binary_dual("maximum", np.maximum, _maximum_kernel,
                       "The larger of a and b; NaN if either is NaN.")
minimum = _binary_dual("minimum", np.minimum, _minimum_kernel,
                       "The smaller of a and b; NaN if either is NaN.")


# -- binary arithmetic --------------------------------------------------------------
def _float_pair(a, b):
    """The NumPy float type two kernel operands are computed in."""
    return np.float32 if _f32(a) and _f32(b) else np.float64


def _ints(a, b):
    return (isinstance(a, (types.Integer, types.Boolean))
            and isinstance(b, (types.Integer, types.Boolean)))


def truediv(a, b):
    """a / b; in kernels x / 0 is inf or nan (never an exception)."""
    if _is_tensor(a, b):
        return a / b
    return _number(np.true_divide, np.float64(a), np.float64(b))


@overload(truediv, inline="always")
def _truediv_kernel(a, b):
    T = _float_pair(a, b)
    return lambda a, b: mathf.fdiv(T(a), T(b))


def pow(x, y):
    """x ** y."""
    if _is_tensor(x, y):
        return x ** y
    if isinstance(x, int) and isinstance(y, int) and y >= 0:
        return x ** y
    return _number(np.power, np.float64(x), np.float64(y))


def _pow32_general(x, y):
    return mathf.powf(x, y)


def _pow64_general(x, y):
    return x ** y


@overload(pow, inline="always")
def _pow_kernel(x, y):
    if _ints(x, y):
        return lambda x, y: x ** y
    if _f32(x) or _f32(y):
        # a float64 operand next to a float32 one comes from a Python literal
        # in a float32 rule (x ** (y - 1)): stay in float32
        return lambda x, y: mathf.powf(np.float32(x), np.float32(y))
    return lambda x, y: np.float64(x) ** np.float64(y)


def pow_scalar(x, e):
    """x ** e for an exponent that is one number for the whole kernel (a tensor
    to a Python number): PyTorch's shortcuts for e in (2, 3, 0.5, -0.5, -1, -2)."""
    return pow(x, e)


@overload(pow_scalar, inline="always")
def _pow_scalar_kernel(x, e):
    if _ints(x, e):
        return lambda x, e: x ** e
    if _f32(x) or _f32(e):
        return mathf.pow_shortcuts(np.float32, _j(_pow32_general))
    return mathf.pow_shortcuts(np.float64, _j(_pow64_general))


# b == -1 is its own case: the smallest integer // -1 overflows, which PyTorch
# wraps (int64 min // -1 is int64 min) and Numba's division makes 0
def _int_floordiv(a, b):
    if b == 0:
        raise ZeroDivisionError("ZeroDivisionError")
    if b == -1:
        return -a
    return a // b


def _int_truncdiv(a, b):
    if b == 0:
        raise ZeroDivisionError("ZeroDivisionError")
    if b == -1:
        return -a
    q = a // b
    return mathf.select((q < 0) & (q * b != a), q + 1, q)


def _int_remainder(a, b):
    if b == 0:
        raise ZeroDivisionError("ZeroDivisionError")
    if b == -1:
        return a - a
    return a % b


def _int_fmod(a, b):
    if b == 0:
        raise ZeroDivisionError("ZeroDivisionError")
    if b == -1:
        return a - a
    q = a // b
    q = mathf.select((q < 0) & (q * b != a), q + 1, q)
    return a - q * b


def _float_floordiv(T):
    zero_, one, half = T(0), T(1), T(0.5)

    def impl(a, b):
        a = T(a)
        b = T(b)
        q = mathf.fdiv(a, b)
        # PyTorch's (and Python's) floor division: exact via fmod, then floored
        mod = mathf.frem(a, b)
        d = mathf.fdiv(a - mod, b)
        d = mathf.select((mod != zero_) & ((b < zero_) != (mod < zero_)), d - one, d)
        fl = mathf.floor(d)
        fl = mathf.select(d - fl > half, fl + one, fl)
        signed_zero = mathf.select(q < zero_, -zero_, zero_)
        r = mathf.select(d != zero_, fl, signed_zero)
        return mathf.select(b == zero_, q, r)
    return impl


def _float_remainder(T):
    zero_ = T(0)

    def impl(a, b):
        a = T(a)
        b = T(b)
        mod = mathf.frem(a, b)
        return mathf.select((mod != zero_) & ((b < zero_) != (mod < zero_)), mod + b, mod)
    return impl


def _binary_int_float(name, np_fn, int_impl, float_impl, tensor_fn):
    def kernel(a, b):
        if _ints(a, b):
            return int_impl
        return float_impl(_float_pair(a, b))
    return _binary_dual(name, np_fn, kernel, None, tensor_fn)


floordiv = _binary_int_float(
    "floordiv", np.floor_divide, _int_floordiv, _float_floordiv,
    lambda a, b: _nb().div(a, b, rounding_mode="floor"))
truncdiv = _binary_int_float(
    "truncdiv", lambda a, b: np.trunc(np.true_divide(a, b)), _int_truncdiv,
    lambda T: lambda a, b: mathf.trunc(mathf.fdiv(T(a), T(b))),
    lambda a, b: _nb().div(a, b, rounding_mode="trunc"))
remainder = _binary_int_float(
    "remainder", np.remainder, _int_remainder, _float_remainder,
    lambda a, b: _nb().remainder(a, b))
fmod = _binary_int_float(
    "fmod", np.fmod, _int_fmod, lambda T: lambda a, b: mathf.frem(T(a), T(b)),
    lambda a, b: _nb().fmod(a, b))


# the CUDA backend gives each function of the vocabulary its CUDA overload, and
# every generated kernel's cache key covers this file (kernels inline its code)
for _name in __all__:
    mathtable.register_dual(globals()[_name])
family.add_vocabulary_file(__file__)
