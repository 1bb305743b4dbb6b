"""Vectorizable float32 elementary functions for the generated CPU kernels.

Numba lowers ``math.exp`` and friends to scalar libm calls, which LLVM cannot
vectorize: on float32 arrays they run 5-40x slower than NumPy's SIMD loops.
The functions here take a float32 and return a float32, computing in float64
with branch-free polynomial code (selects, not jumps), so a kernel loop that
calls them vectorizes.  Working in float64 keeps them simple and accurate:
the results are correctly rounded float32 values except in rare near-halfway
cases (at most one ulp off), for every float32 input, including subnormals,
infinities and NaN.  Exception: ``sinf``/``cosf``/``tanf`` reduce the
argument exactly only for |x| < 2**29 (about 5.4e8, where float32 values are
already 64 apart); beyond that the absolute error grows like |x| * 2**-52 and
past 2**52 the result is only bounded (use float64 for huge angles).

float64 kernels keep using libm (`math.*`): see `nbgrad.ops.scalar`, which
picks between the two by argument type.  Divisions go through `fdiv` (one
instruction), so x / 0 gives inf or nan as in PyTorch, never an exception,
whatever error model the calling kernel was compiled with.
"""

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

__all__ = ["expf", "expm1f", "logf", "log1pf", "log2f", "log10f", "sinf", "cosf", "tanf",
           "asinf", "acosf", "atanf", "atan2f", "sinhf", "coshf", "tanhf", "sigmoidf",
           "powf", "fdiv", "frem", "floor", "ceil", "trunc", "rint", "select"]


# -- single instructions (any float type) -----------------------------------
@intrinsic
def select(typingctx, c, a, b):
    """`a` if `c` else `b` as one select instruction (both are computed): no
    branch, so loops vectorize, and a small IR, so kernels compile fast."""
    ty = typingctx.unify_pairs(a, b)
    if ty is None:
        return None

    def codegen(context, builder, sig, args):
        cond = context.is_true(builder, sig.args[0], args[0])
        va = context.cast(builder, args[1], sig.args[1], ty)
        vb = context.cast(builder, args[2], sig.args[2], ty)
        return builder.select(cond, va, vb)
    return ty(c, a, b), codegen


def _same_float(a, b):
    return isinstance(a, types.Float) and a == b


@intrinsic
def fdiv(typingctx, a, b):
    """a / b for two floats of one type: no zero check whatever the error model."""
    if not _same_float(a, b):
        return None

    def codegen(context, builder, sig, args):
        return builder.fdiv(args[0], args[1])
    return a(a, b), codegen


@intrinsic
def frem(typingctx, a, b):
    """C's fmod(a, b) (the sign of a) for two floats of one type."""
    if not _same_float(a, b):
        return None

    def codegen(context, builder, sig, args):
        return builder.frem(args[0], args[1])
    return a(a, b), codegen


def _llvm_float_unary(name, doc):
    # np.floor and friends lower to libm calls; the LLVM intrinsics vectorize
    def typer(typingctx, x):
        if not isinstance(x, types.Float):
            return None

        def codegen(context, builder, sig, args):
            fn = builder.module.declare_intrinsic(name, [args[0].type])
            return builder.call(fn, args)
        return x(x), codegen
    typer.__doc__ = doc
    return intrinsic(typer)


floor = _llvm_float_unary("llvm.floor", "floor(x) of a float, as a float.")
ceil = _llvm_float_unary("llvm.ceil", "ceil(x) of a float, as a float.")
trunc = _llvm_float_unary("llvm.trunc", "trunc(x) of a float, as a float.")
rint = _llvm_float_unary("llvm.rint", "x rounded half to even, as a float.")


@intrinsic
def _f64_bits(typingctx, x):
    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.IntType(64))
    return types.int64(types.float64), codegen


@intrinsic
def _bits_f64(typingctx, x):
    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.DoubleType())
    return types.float64(types.int64), codegen


# Inlined into the caller's Numba IR: as separate functions LLVM may decline to
# inline the larger ones, and a call per element stops vectorization.
_jit = njit(inline="always")

_SHIFT = 6755399441055744.0          # 1.5 * 2**52: t + SHIFT - SHIFT rounds t to an integer
_LOG2E = 1.4426950408889634
_LN2_HI = 0.6931471803691238         # ln 2 in two parts: n * LN2_HI is exact
_LN2_LO = 1.9082149292705877e-10
_INV_LN2 = 1.4426950408889634
_INV_LN10 = 0.4342944819032518
_PIO2 = 1.5707963267948966
_PIO4 = 0.7853981633974483
_PIO6 = 0.5235987755982989
_PI = 3.141592653589793
_TAN_PI12 = 0.2679491924311227
_SQRT3 = 1.7320508075688772
_TWO_OVER_PI = 0.6366197723675814
# pi/2 in five parts of at most 24 significant bits: k * part is exact for k < 2**29
_PIO2_1 = 1.570796251296997
_PIO2_2 = 7.549789415861596e-08
_PIO2_3 = 5.390302529957765e-15
_PIO2_4 = 3.282003415807913e-22
_PIO2_5 = 1.2706558760139879e-29
_TWO_PI = 6.283185307179586
_INV_TWO_PI = 0.15915494309189535


# Taylor coefficients (float64 results accurate to ~1e-13, far below float32's ulp)
_EXP_TAYLOR = tuple(1.0 / math.factorial(k) for k in range(13))          # exp x
_ATANH_SERIES = tuple(2.0 / (2 * k + 1) for k in range(10))              # 2 atanh(s) / s in s**2
_ATAN_SERIES = tuple((-1.0) ** k / (2 * k + 1) for k in range(12))       # atan(v) / v in v**2
_SIN_SERIES = tuple((-1.0) ** k / math.factorial(2 * k + 1) for k in range(7))   # sin r / r
_COS_SERIES = tuple((-1.0) ** k / math.factorial(2 * k) for k in range(8))       # cos r


# -- float64 cores (arguments come from float32 values) ---------------------
@_jit
def _exp_d(x):
    # |x| <= 200 covers every float32 result; the clamp keeps 2**n a normal double
    x = min(max(x, -200.0), 200.0)
    t = x * _LOG2E + _SHIFT
    n = t - _SHIFT
    r = (x - n * _LN2_HI) - n * _LN2_LO             # |r| <= ln2 / 2
    p = _EXP_TAYLOR[10]
    p = p * r + _EXP_TAYLOR[9]
    p = p * r + _EXP_TAYLOR[8]
    p = p * r + _EXP_TAYLOR[7]
    p = p * r + _EXP_TAYLOR[6]
    p = p * r + _EXP_TAYLOR[5]
    p = p * r + _EXP_TAYLOR[4]
    p = p * r + _EXP_TAYLOR[3]
    p = p * r + _EXP_TAYLOR[2]
    p = p * r + _EXP_TAYLOR[1]
    p = p * r + _EXP_TAYLOR[0]
    # the low bits of t hold n: shift n + 1023 into the exponent field
    return p * _bits_f64((_f64_bits(t) + 1023) << 52)


@_jit
def _expm1_d(x):
    # near 0, exp(x) - 1 cancels: use the series there
    s = _EXP_TAYLOR[12]
    s = s * x + _EXP_TAYLOR[11]
    s = s * x + _EXP_TAYLOR[10]
    s = s * x + _EXP_TAYLOR[9]
    s = s * x + _EXP_TAYLOR[8]
    s = s * x + _EXP_TAYLOR[7]
    s = s * x + _EXP_TAYLOR[6]
    s = s * x + _EXP_TAYLOR[5]
    s = s * x + _EXP_TAYLOR[4]
    s = s * x + _EXP_TAYLOR[3]
    s = s * x + _EXP_TAYLOR[2]
    s = s * x + _EXP_TAYLOR[1]
    s = s * x
    e = _exp_d(x) - 1.0
    return select(abs(x) < 0.35, s, e)


@_jit
def _log_d(x):
    bits = _f64_bits(x)
    e = ((bits >> 52) & 0x7ff) - 1023
    m = _bits_f64((bits & 0xfffffffffffff) | 0x3ff0000000000000)     # x = m * 2**e
    big = m > 1.4142135623730951
    m = select(big, m * 0.5, m)
    e = select(big, e + 1, e)
    s = fdiv(m - 1.0, m + 1.0)                     # log m = 2 atanh s, |s| < 0.172
    z = s * s
    p = _ATANH_SERIES[9]
    p = p * z + _ATANH_SERIES[8]
    p = p * z + _ATANH_SERIES[7]
    p = p * z + _ATANH_SERIES[6]
    p = p * z + _ATANH_SERIES[5]
    p = p * z + _ATANH_SERIES[4]
    p = p * z + _ATANH_SERIES[3]
    p = p * z + _ATANH_SERIES[2]
    p = p * z + _ATANH_SERIES[1]
    p = p * z + _ATANH_SERIES[0]
    fe = np.float64(e)
    y = fe * _LN2_HI + (s * p + fe * _LN2_LO)
    y = select(x == 0.0, -math.inf, y)
    y = select(x < 0.0, math.nan, y)
    return select((x == math.inf) | (x != x), x, y)


@_jit
def _atan_unit(t):
    """atan(t) for 0 <= t <= 1."""
    hi = t > _TAN_PI12
    # atan t = pi/6 + atan((t sqrt3 - 1) / (t + sqrt3)) brings t under tan(pi/12)
    v = select(hi, fdiv(t * _SQRT3 - 1.0, t + _SQRT3), t)
    z = v * v
    a = _ATAN_SERIES[11]
    a = a * z + _ATAN_SERIES[10]
    a = a * z + _ATAN_SERIES[9]
    a = a * z + _ATAN_SERIES[8]
    a = a * z + _ATAN_SERIES[7]
    a = a * z + _ATAN_SERIES[6]
    a = a * z + _ATAN_SERIES[5]
    a = a * z + _ATAN_SERIES[4]
    a = a * z + _ATAN_SERIES[3]
    a = a * z + _ATAN_SERIES[2]
    a = a * z + _ATAN_SERIES[1]
    a = a * z + _ATAN_SERIES[0]
    a = a * v
    return select(hi, a + _PIO6, a)


@_jit
def _atan2_d(y, x):
    ax = abs(x)
    ay = abs(y)
    mx = max(ax, ay)
    mn = min(ax, ay)
    t = fdiv(mn, mx)
    t = select(mx == 0.0, 0.0, t)  # atan2(+-0, +-0)
    t = select(mn == math.inf, 1.0, t)  # atan2(+-inf, +-inf)
    a = _atan_unit(t)
    a = select(ay > ax, _PIO2 - a, a)
    a = select(_f64_bits(x) < 0, _PI - a, a)  # the sign bit: -0.0 counts as negative
    a = select(_f64_bits(y) < 0, -a, a)
    return select((x != x) | (y != y), x + y, a)


@_jit
def _sincos_d(x):
    """(sin x, cos x); exact argument reduction for |x| < 2**29."""
    ax = abs(x)
    # beyond 2**52 two rough reductions mod 2 pi bring |x| under 2**26: the result
    # is then only bounded, not accurate (see the module docstring)
    huge = ax >= 4503599627370496.0
    a1 = abs(ax - rint(ax * _INV_TWO_PI) * _TWO_PI)
    a2 = abs(a1 - rint(a1 * _INV_TWO_PI) * _TWO_PI)
    ax = select(huge, a2, ax)
    k = (ax * _TWO_OVER_PI + _SHIFT) - _SHIFT
    r = ((((ax - k * _PIO2_1) - k * _PIO2_2) - k * _PIO2_3) - k * _PIO2_4) - k * _PIO2_5
    z = r * r
    sn = _SIN_SERIES[6]
    sn = sn * z + _SIN_SERIES[5]
    sn = sn * z + _SIN_SERIES[4]
    sn = sn * z + _SIN_SERIES[3]
    sn = sn * z + _SIN_SERIES[2]
    sn = sn * z + _SIN_SERIES[1]
    sn = sn * z + _SIN_SERIES[0]
    sn = sn * r
    cs = _COS_SERIES[7]
    cs = cs * z + _COS_SERIES[6]
    cs = cs * z + _COS_SERIES[5]
    cs = cs * z + _COS_SERIES[4]
    cs = cs * z + _COS_SERIES[3]
    cs = cs * z + _COS_SERIES[2]
    cs = cs * z + _COS_SERIES[1]
    cs = cs * z + _COS_SERIES[0]
    # quadrant q = k mod 4: sin = (s, c, -s, -c)[q], cos = (c, -s, -c, s)[q]
    q = np.int64(k)
    odd = (q & 1) != 0
    s = select(odd, cs, sn)
    c = select(odd, sn, cs)
    s = select((q & 2) != 0, -s, s)
    c = select(((q + 1) & 2) != 0, -c, c)
    s = select(x < 0.0, -s, s)
    nan = not abs(x) < math.inf
    return select(nan, math.nan, s), select(nan, math.nan, c)


# -- float32 entry points ---------------------------------------------------
@_jit
def expf(x):
    return np.float32(_exp_d(np.float64(x)))


@_jit
def expm1f(x):
    return np.float32(_expm1_d(np.float64(x)))


@_jit
def logf(x):
    return np.float32(_log_d(np.float64(x)))


@_jit
def log1pf(x):
    xd = np.float64(x)
    # 1 + x is exact in float64 for float32 |x| >= 2**-29; below, log1p x = x to float32 precision
    return np.float32(select(abs(xd) < 1.862645149230957e-09, xd, _log_d(1.0 + xd)))


@_jit
def log2f(x):
    return np.float32(_log_d(np.float64(x)) * _INV_LN2)


@_jit
def log10f(x):
    return np.float32(_log_d(np.float64(x)) * _INV_LN10)


@_jit
def sinf(x):
    return np.float32(_sincos_d(np.float64(x))[0])


@_jit
def cosf(x):
    return np.float32(_sincos_d(np.float64(x))[1])


@_jit
def tanf(x):
    s, c = _sincos_d(np.float64(x))
    return np.float32(fdiv(s, c))


@_jit
def atanf(x):
    xd = np.float64(x)
    ax = abs(xd)
    inv = ax > 1.0
    a = _atan_unit(select(inv, fdiv(1.0, ax), ax))
    a = select(inv, _PIO2 - a, a)
    a = select(xd < 0.0, -a, a)
    return np.float32(select(xd != xd, xd, a))


@_jit
def atan2f(y, x):
    return np.float32(_atan2_d(np.float64(y), np.float64(x)))


@_jit
def asinf(x):
    xd = np.float64(x)
    return np.float32(_atan2_d(xd, math.sqrt((1.0 - xd) * (1.0 + xd))))


@_jit
def acosf(x):
    xd = np.float64(x)
    return np.float32(_atan2_d(math.sqrt((1.0 - xd) * (1.0 + xd)), xd))


@_jit
def sinhf(x):
    xd = np.float64(x)
    e = _expm1_d(abs(xd))
    s = 0.5 * (e + fdiv(e, e + 1.0))       # no cancellation for small |x|
    s = select(xd < 0.0, -s, s)
    return np.float32(select(xd != xd, xd, s))


@_jit
def coshf(x):
    e = _exp_d(abs(np.float64(x)))
    return np.float32(0.5 * (e + fdiv(1.0, e)))


@_jit
def tanhf(x):
    xd = np.float64(x)
    e = _expm1_d(-2.0 * abs(xd))
    t = fdiv(-e, e + 2.0)
    t = select(xd < 0.0, -t, t)
    return np.float32(select(xd != xd, xd, t))


@_jit
def sigmoidf(x):
    return np.float32(fdiv(1.0, 1.0 + _exp_d(-np.float64(x))))


@_jit
def powf(x, y):
    xd = np.float64(x)
    yd = np.float64(y)
    ax = abs(xd)
    r = _exp_d(yd * _log_d(ax))
    # a negative base needs an integer exponent; an odd one keeps the sign
    yfl = floor(yd)
    yint = yd == yfl
    yodd = yint & (abs(yd) < 9007199254740992.0) & (floor(yd * 0.5) * 2.0 != yd)
    neg = _f64_bits(xd) < 0
    r = select(neg & yodd, -r, r)
    r = select((xd < 0.0) & (yd != yfl) & (ax < math.inf), math.nan, r)
    r = select((xd != xd) | (yd != yd), math.nan, r)
    r = select((ax == 1.0) & (abs(yd) == math.inf), 1.0, r)
    r = select((xd == 1.0) | (yd == 0.0), 1.0, r)
    return np.float32(r)
