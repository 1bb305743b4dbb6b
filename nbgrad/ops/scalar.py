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

import math

import numpy as np
from numba import types
from numba.extending import overload

from nbgrad.backends.cpu import mathf

__all__ = ["exp", "expm1", "log", "log1p", "log2", "log10", "sqrt", "rsqrt", "sin", "cos",
           "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh", "tanh", "sigmoid", "erf",
           "pow", "pow_scalar", "floor", "ceil", "trunc", "rint", "abs_", "sign", "where", "maximum",
           "minimum", "truediv", "floordiv", "truncdiv", "remainder", "fmod", "invert",
           "zero", "cast_like"]

_nbgrad = []


def _nb():
    if not _nbgrad:
        import nbgrad
        _nbgrad.append(nbgrad)
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
    return dual


# -- unary floating functions -------------------------------------------------
def _unary(name, np_fn, f32_impl, f64_impl, tensor_name=None):
    """A dual calling ``nbgrad.<tensor_name>`` on Tensors, `np_fn` on numbers and,
    in kernels, `f32_impl` on float32 and `f64_impl` on anything else."""
    def _kernel(x):
        if _f32(x):
            return lambda x: f32_impl(x)
        return lambda x: f64_impl(x)
    return _unary_dual(name, np_fn, _kernel, tensor_name)


def _rsqrt32(x):
    return np.float32(mathf.fdiv(1.0, math.sqrt(np.float64(x))))


def _rsqrt64(x):
    return mathf.fdiv(1.0, math.sqrt(np.float64(x)))


def _sigmoid64(x):
    x = np.float64(x)
    return mathf.fdiv(1.0, 1.0 + math.exp(-x))


def _j(fn):
    """`fn` as a function Numba can inline into a kernel."""
    from numba import njit
    return njit(inline="always")(fn)


exp = _unary("exp", np.exp, mathf.expf, math.exp)
expm1 = _unary("expm1", np.expm1, mathf.expm1f, math.expm1)
log = _unary("log", np.log, mathf.logf, math.log)
log1p = _unary("log1p", np.log1p, mathf.log1pf, math.log1p)
log2 = _unary("log2", np.log2, mathf.log2f, math.log2)
log10 = _unary("log10", np.log10, mathf.log10f, math.log10)
sqrt = _unary("sqrt", np.sqrt, math.sqrt, math.sqrt)
rsqrt = _unary("rsqrt", lambda v: 1.0 / np.sqrt(np.float64(v)), _j(_rsqrt32), _j(_rsqrt64))
sin = _unary("sin", np.sin, mathf.sinf, math.sin)
cos = _unary("cos", np.cos, mathf.cosf, math.cos)
tan = _unary("tan", np.tan, mathf.tanf, math.tan)
asin = _unary("asin", np.arcsin, mathf.asinf, math.asin)
acos = _unary("acos", np.arccos, mathf.acosf, math.acos)
atan = _unary("atan", np.arctan, mathf.atanf, math.atan)
sinh = _unary("sinh", np.sinh, mathf.sinhf, math.sinh)
cosh = _unary("cosh", np.cosh, mathf.coshf, math.cosh)
tanh = _unary("tanh", np.tanh, mathf.tanhf, math.tanh)
sigmoid = _unary("sigmoid", lambda v: 1.0 / (1.0 + np.exp(-np.float64(v))), mathf.sigmoidf,
                 _j(_sigmoid64))
erf = _unary("erf", lambda v: np.float64(math.erf(v)), mathf.erff, math.erf)


# -- functions that keep integers integers --------------------------------------
def _keep_int(name, np_fn, float_impl, int_impl, tensor_name=None):
    def _kernel(x):
        if isinstance(x, types.Float):
            return float_impl(x)
        return int_impl(x)
    return _unary_dual(name, np_fn, _kernel, tensor_name)


def _same(x):
    return lambda x: x


floor = _keep_int("floor", np.floor, lambda t: lambda x: mathf.floor(x), _same)
ceil = _keep_int("ceil", np.ceil, lambda t: lambda x: mathf.ceil(x), _same)
trunc = _keep_int("trunc", np.trunc, lambda t: lambda x: mathf.trunc(x), _same)
rint = _keep_int("rint", np.rint, lambda t: lambda x: mathf.rint(x), _same,
                 tensor_name="round")
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


def maximum(x, y):
    """The larger of x and y; NaN if either is NaN."""
    if _is_tensor(x, y):
        return _nb().maximum(x, y)
    return _number(np.maximum, x, y)


@overload(maximum, inline="always")
def _maximum_kernel(x, y):
    if isinstance(x, types.Float) or isinstance(y, types.Float):
        return lambda x, y: mathf.select((x > y) | (x != x), x, y)
    return lambda x, y: mathf.select(x > y, x, y)


def minimum(x, y):
    """The smaller of x and y; NaN if either is NaN."""
    if _is_tensor(x, y):
        return _nb().minimum(x, y)
    return _number(np.minimum, x, y)


@overload(minimum, inline="always")
def _minimum_kernel(x, y):
    if isinstance(x, types.Float) or isinstance(y, types.Float):
        return lambda x, y: mathf.select((x < y) | (x != x), x, y)
    return lambda x, y: mathf.select(x < y, x, y)


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


def atan2(y, x):
    """The angle of the point (x, y)."""
    if _is_tensor(y, x):
        return _nb().atan2(y, x)
    return _number(np.arctan2, np.float64(y), np.float64(x))


@overload(atan2, inline="always")
def _atan2_kernel(y, x):
    if _float_pair(y, x) is np.float32:
        return lambda y, x: mathf.atan2f(y, x)
    return lambda y, x: math.atan2(np.float64(y), np.float64(x))


def pow(x, y):
    """x ** y."""
    if _is_tensor(x, y):
        return x ** y
    if isinstance(x, int) and isinstance(y, int) and y >= 0:
        return x ** y
    return _number(np.power, np.float64(x), np.float64(y))


def _pow_float(T, general):
    """x ** y in float type T.  The exponents PyTorch special-cases (2, 3, 0.5,
    -0.5, -1, -2) are computed as PyTorch does (x * x, sqrt...); a branch on a
    kernel-scalar exponent is hoisted out of the loop.  Others: `general`."""
    one = T(1)

    def impl(x, e):
        x = T(x)
        y = T(e)
        if y == 2:
            return x * x
        if y == 1:
            return x
        if y == 0.5:
            return math.sqrt(x)
        if y == 3:
            return x * x * x
        if y == -1:
            return mathf.fdiv(one, x)
        if y == -0.5:
            return mathf.fdiv(one, math.sqrt(x))
        if y == -2:
            return mathf.fdiv(one, x * x)
        return general(x, y)
    return impl


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
        return _pow_float(np.float32, _j(_pow32_general))
    return _pow_float(np.float64, _j(_pow64_general))


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
    def dual(a, b):
        if _is_tensor(a, b):
            return tensor_fn(a, b)
        return _number(np_fn, a, b)
    dual.__name__ = dual.__qualname__ = name

    @overload(dual, inline="always")
    def _kernel(a, b):
        if _ints(a, b):
            return int_impl
        return float_impl(_float_pair(a, b))
    return dual


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
