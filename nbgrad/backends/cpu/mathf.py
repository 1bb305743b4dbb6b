"""Vectorizable float32 elementary functions for the generated CPU kernels.

Numba lowers ``math.exp`` and friends to scalar libm calls, which LLVM cannot
vectorize: on float32 arrays they run 5-40x slower than NumPy's SIMD loops.
The functions here take a float32 and return a float32, with branch-free
code (selects, not jumps), so a kernel loop that calls them vectorizes.
``exp``, ``sigmoid``, ``atan``/``atan2``/``asin``/``acos`` and ``pow``
compute in float64 and are correctly rounded except in rare near-halfway
cases.  The log family, ``expm1``, ``sinh``/``cosh``/``tanh`` and
``sin``/``cos``/``tan`` are faster: an exact leading part (the reduced
argument, the exponent) stays in float64 or is exact in float32, the
polynomial for the small rest runs in float32 (16 lanes a vector rather than
8), and a few float64 operations add the two and round once.  Their errors
stay under 1.1 ulp (measured over millions of random bit patterns); special
values (signed zeros, subnormals, infinities, NaN) come out as in C.
``sinf``/``cosf``/``tanf`` reduce the argument by k pi/2 with FMA and a
107-bit pi/2: within 1.1 ulp measured for |x| < 2**40 (tested below 2**29,
where the reduction is exact); up to 2**52 the absolute error stays under
|x| * 2**-52, and past 2**52 the result is only bounded (use float64 for huge
angles).

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
def _copysign(typingctx, a, b):
    """|a| with the sign bit of b (both one float type)."""
    if not _same_float(a, b):
        return None

    def codegen(context, builder, sig, args):
        t = args[0].type
        fn = builder.module.declare_intrinsic("llvm.copysign", [t], ir.FunctionType(t, [t, t]))
        return builder.call(fn, args)
    return a(a, b), codegen


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


_I32 = ir.IntType(32)


@intrinsic
def _expo_f32(typingctx, x):
    """The biased exponent field of a float32, as a float32 (0 to 255): int32 work
    in LLVM IR (Numba would widen integer arithmetic to int64, halving the lanes)."""
    def codegen(context, builder, sig, args):
        b = builder.bitcast(args[0], _I32)
        e = builder.and_(builder.lshr(b, ir.Constant(_I32, 23)), ir.Constant(_I32, 0xff))
        return builder.sitofp(e, ir.FloatType())
    return types.float32(types.float32), codegen


@intrinsic
def _mant_f32(typingctx, x):
    """The significand of a float32 as a float32 in [1, 2) (the exponent field set to 127)."""
    def codegen(context, builder, sig, args):
        b = builder.bitcast(args[0], _I32)
        m = builder.or_(builder.and_(b, ir.Constant(_I32, 0x7fffff)), ir.Constant(_I32, 0x3f800000))
        return builder.bitcast(m, ir.FloatType())
    return types.float32(types.float32), codegen


@intrinsic
def _exp2i_f32(typingctx, k):
    """2**k as a float32 for an integer-valued float32 k in [-126, 127]."""
    def codegen(context, builder, sig, args):
        n = builder.fptosi(args[0], _I32)
        b = builder.shl(builder.add(n, ir.Constant(_I32, 127)), ir.Constant(_I32, 23))
        return builder.bitcast(b, ir.FloatType())
    return types.float32(types.float32), codegen


@intrinsic
def fma(typingctx, a, b, c):
    """a * b + c with one rounding (llvm.fma: one instruction on FMA hardware)."""
    if not (_same_float(a, b) and _same_float(b, c)):
        return None

    def codegen(context, builder, sig, args):
        t = args[0].type
        fn = builder.module.declare_intrinsic("llvm.fma", [t], ir.FunctionType(t, [t, t, t]))
        return builder.call(fn, args)
    return a(a, b, c), codegen


# Inlined into the caller's Numba IR: as separate functions LLVM may decline to
# inline the larger ones, and a call per element stops vectorization.
_jit = njit(inline="always")

_F = np.float32
_F0 = _F(0.0)
_F1 = _F(1.0)
_FINF = _F(math.inf)
_FNAN = _F(math.nan)
_LN2 = 0.6931471805599453
# Cephes logf: log(1 + f) = f - f**2 / 2 + f**3 P(f)
_LOGF_P = tuple(_F(c) for c in (7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1,
                                -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1,
                                2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1))
_SINF_P = tuple(_F(c) for c in (-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1))
_COSF_P = tuple(_F(c) for c in (2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2))
_EXPM1F_T = tuple(_F(1.0 / math.factorial(k)) for k in range(9))
# atan v = v + v z P(z), z = v**2 <= tan(pi/8)**2; asin s = s + s z Q(z), z = s**2 <= 1/4
# (relative-error minimax fits with float32 coefficients, error < 2**-27)
_ATANF_P = tuple(_F(c) for c in (-0.06466802209615707, 0.10748846083879471, -0.14264506101608276,
                                 0.19999559223651886, -0.3333333134651184))
_ASINF_P = tuple(_F(c) for c in (0.03392072767019272, 0.01700601540505886, 0.031131867319345474,
                                 0.044596631079912186, 0.07500103116035461, 0.1666666567325592))
_TAN_PI8 = 0.41421356237309503
_TAN_3PI8 = 2.414213562373095
# float32 pairs hi + lo for ln 2, log2 e, log10 e, log10 2
_LN2F, _LN2F_LO = _F(0.6931471805599453), _F(0.6931471805599453 - float(_F(0.6931471805599453)))
_LOG2EF, _LOG2EF_LO = _F(1.4426950408889634), _F(1.4426950408889634 - float(_F(1.4426950408889634)))
_LOG10EF, _LOG10EF_LO = _F(0.4342944819032518), _F(0.4342944819032518 - float(_F(0.4342944819032518)))
_LG2F, _LG2F_LO = _F(0.30102999566398120), _F(0.30102999566398120 - float(_F(0.30102999566398120)))
_SHIFT = 6755399441055744.0          # 1.5 * 2**52: t + SHIFT - SHIFT rounds t to an integer
_LOG2E = 1.4426950408889634
_LN2_HI = 0.6931471803691238         # ln 2 in two parts: n * LN2_HI is exact
_LN2_LO = 1.9082149292705877e-10
_PIO2 = 1.5707963267948966
_PIO4 = 0.7853981633974483
_PIO6 = 0.5235987755982989
_PI = 3.141592653589793
_TAN_PI12 = 0.2679491924311227
_SQRT3 = 1.7320508075688772
_TWO_OVER_PI = 0.6366197723675814
_PIO2_LO = 6.123233995736766e-17     # pi/2 - _PIO2


# Taylor coefficients (float64 results accurate to ~1e-13, far below float32's ulp)
_EXP_TAYLOR = tuple(1.0 / math.factorial(k) for k in range(13))          # exp x
_ATANH_SERIES = tuple(2.0 / (2 * k + 1) for k in range(10))              # 2 atanh(s) / s in s**2
_ATAN_SERIES = tuple((-1.0) ** k / (2 * k + 1) for k in range(12))       # atan(v) / v in v**2


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
    """(sin r, cos r, odd, sin negated, cos negated) for |x| reduced to r by
    k pi/2, exact for |x| < 2**29; the quadrant k mod 4 picks and signs them."""
    ax = abs(x)
    # from 2**52 on, k below would not be an exact integer: scaling by 2**-80 keeps
    # the result bounded, not accurate (see the module docstring)
    ax = select(ax >= 4503599627370496.0, ax * 8.271806125530277e-25, ax)
    k = rint(ax * _TWO_OVER_PI)
    # pi/2 = PIO2 + PIO2_LO to 107 bits; each fma rounds once, to 2**-53 of a result
    # that is already small when the reduced argument is (Cody and Waite with FMA)
    r = fma(-k, _PIO2_LO, fma(-k, _PIO2, ax))
    # float32 polynomials (Cephes sinf, cosf) for the small terms beyond r and 1 - r**2 / 2
    rf = np.float32(r)
    zf = rf * rf
    ps = fma(fma(_SINF_P[0], zf, _SINF_P[1]), zf, _SINF_P[2])
    pc = fma(fma(_COSF_P[0], zf, _COSF_P[1]), zf, _COSF_P[2])
    sn = r + np.float64(rf * zf * ps)
    cs = fma(r * r, -0.5, 1.0) + np.float64(zf * zf * pc)
    # quadrant q = k mod 4: sin = (s, c, -s, -c)[q], cos = (c, -s, -c, s)[q]
    q = fma(floor(k * 0.25), -4.0, k)
    return sn, cs, (q == 1.0) | (q == 3.0), q >= 2.0, (q == 1.0) | (q == 2.0)


# -- float32 cores ---------------------------------------------------------
# Polynomials run in float32 (16 lanes a vector); the few float64 operations
# that assemble a result add a term computed in float32 to an exact leading
# part, so the float32 term's own error is scaled down by its small size.
@_jit
def _log_split(x):
    """(e, f) with x = 2**e (1 + f), sqrt(1/2) <= 1 + f < sqrt 2, for float32
    x > 0 (subnormals included); f is exact."""
    sub = x < _F(1.1754943508222875e-38)
    xs = select(sub, x * _F(16777216.0), x)           # 2**24: normalise subnormals
    e = _expo_f32(xs) - select(sub, _F(151.0), _F(127.0))
    m = _mant_f32(xs)
    big = m > _F(1.4142135)
    f = select(big, m * _F(0.5), m) - _F1
    return select(big, e + _F1, e), f


@_jit
def _log1p_tail(f):
    """log(1 + f) - f in float32 for sqrt(1/2) - 1 <= f < sqrt 2 - 1 (Cephes logf)."""
    z = f * f
    p = _LOGF_P[0]
    p = fma(p, f, _LOGF_P[1])
    p = fma(p, f, _LOGF_P[2])
    p = fma(p, f, _LOGF_P[3])
    p = fma(p, f, _LOGF_P[4])
    p = fma(p, f, _LOGF_P[5])
    p = fma(p, f, _LOGF_P[6])
    p = fma(p, f, _LOGF_P[7])
    p = fma(p, f, _LOGF_P[8])
    return fma(f * z, p, _F(-0.5) * z)


@_jit
def _log_special(x, y):
    """A log of float32 x: y, or what x = 0, negative, inf or nan gives."""
    y = select(x == _F0, -_FINF, y)
    y = select(x < _F0, _FNAN, y)
    return select((x == _FINF) | (x != x), x, y)


@_jit
def _expm1_parts(x):
    """(2**k, p) with exp x = 2**k (1 + p), |p| < 0.42, for float64 x from a
    float32: r = x - k ln 2 in float64, expm1 r - r in float32 (Taylor)."""
    x = min(max(x, -200.0), 200.0)   # every float32 result; 2**k stays a normal double
    t = x * _LOG2E + _SHIFT
    k = t - _SHIFT
    r = fma(-k, _LN2, x)             # |r| <= ln2 / 2, error ~2**-53 |x|
    rf = np.float32(r)
    q = _EXPM1F_T[8]
    q = fma(q, rf, _EXPM1F_T[7])
    q = fma(q, rf, _EXPM1F_T[6])
    q = fma(q, rf, _EXPM1F_T[5])
    q = fma(q, rf, _EXPM1F_T[4])
    q = fma(q, rf, _EXPM1F_T[3])
    q = fma(q, rf, _EXPM1F_T[2])
    p = r + np.float64(rf * rf * q)
    # the low bits of t hold k: shift k + 1023 into the exponent field
    return _bits_f64((_f64_bits(t) + 1023) << 52), p


@_jit
def _asin_parts(x):
    """(a, big): for |x| <= 1/2, a = asin x (big false); else a = asin s with
    s = sqrt((1 - |x|) / 2), so that asin |x| = pi/2 - 2 a (big true)."""
    ax = abs(x)
    big = ax > _F(0.5)
    zb = _F(0.5) * (_F1 - ax)                       # exact
    z = select(big, zb, x * x)
    sd = select(big, math.sqrt(np.float64(zb)), np.float64(x))
    q = _ASINF_P[0]
    q = fma(q, z, _ASINF_P[1])
    q = fma(q, z, _ASINF_P[2])
    q = fma(q, z, _ASINF_P[3])
    q = fma(q, z, _ASINF_P[4])
    q = fma(q, z, _ASINF_P[5])
    return sd + np.float64(np.float32(sd) * z * q), big


# -- float32 entry points ---------------------------------------------------
@_jit
def expf(x):
    e, p = _expm1_parts(np.float64(x))
    return np.float32(fma(e, p, e))


@_jit
def expm1f(x):
    e, p = _expm1_parts(np.float64(x))
    return select(x == _F0, x, np.float32(fma(e, p, e - 1.0)))


@_jit
def logf(x):
    # all float32: e ln2 = e LN2F + e LN2F_LO, the first part exact inside the fma
    e, f = _log_split(x)
    y = fma(e, _LN2F, f + fma(e, _LN2F_LO, _log1p_tail(f)))
    return _log_special(x, y)


@_jit
def log1pf(x):
    u = x + _F1                  # u = 1 + x - c, c the rounding error (exact)
    c = select(u >= _F(2.0), _F1 - (u - x), x - (u - _F1))
    e, f = _log_split(u)
    # log1p x = log u + log(1 + c / u), and c / u is below 2**-24
    y = np.float64(e) * _LN2 + (np.float64(f) + np.float64(_log1p_tail(f))
                                + np.float64(fdiv(c, u)))
    return select(x == _F0, x, _log_special(u, np.float32(y)))


@_jit
def log2f(x):
    e, f = _log_split(x)
    t = _log1p_tail(f)
    y = e + fma(f, _LOG2EF, fma(f, _LOG2EF_LO, t * _LOG2EF))
    return _log_special(x, y)


@_jit
def log10f(x):
    e, f = _log_split(x)
    t = _log1p_tail(f)
    y = fma(e, _LG2F, fma(f, _LOG10EF, fma(f, _LOG10EF_LO, fma(e, _LG2F_LO, t * _LOG10EF))))
    return _log_special(x, y)


@_jit
def sinf(x):
    sn, cs, odd, negs, _ = _sincos_d(np.float64(x))
    s = select(odd, np.float32(cs), np.float32(sn))
    s = select(negs != (x < _F0), -s, s)
    s = select(x == _F0, x, s)                   # sin(-0) = -0
    return select(abs(x) < _FINF, s, _FNAN)


@_jit
def cosf(x):
    sn, cs, odd, _, negc = _sincos_d(np.float64(x))
    c = select(odd, np.float32(sn), np.float32(cs))
    c = select(negc, -c, c)
    return select(abs(x) < _FINF, c, _FNAN)


@_jit
def tanf(x):
    sn, cs, odd, negs, negc = _sincos_d(np.float64(x))
    t = np.float32(select(odd, fdiv(-cs, sn), fdiv(sn, cs)))
    t = select(x < _F0, -t, t)
    t = select(x == _F0, x, t)                   # tan(-0) = -0
    return select(abs(x) < _FINF, t, _FNAN)


@_jit
def atanf(x):
    xd = np.float64(abs(x))
    big = xd > _TAN_3PI8
    mid = xd > _TAN_PI8
    # atan |x| = y0 + atan v: v = -1/|x| (y0 = pi/2), (|x|-1)/(|x|+1) (pi/4), |x| (0)
    num = select(big, -1.0, select(mid, xd - 1.0, xd))
    den = select(big, xd, select(mid, xd + 1.0, 1.0))
    v = fdiv(num, den)
    vf = np.float32(v)
    z = vf * vf
    p = _ATANF_P[0]
    p = fma(p, z, _ATANF_P[1])
    p = fma(p, z, _ATANF_P[2])
    p = fma(p, z, _ATANF_P[3])
    p = fma(p, z, _ATANF_P[4])
    a = v + np.float64(vf * z * p)
    a = select(big, _PIO2 + a, select(mid, _PIO4 + a, a))
    return _copysign(np.float32(a), x)


@_jit
def atan2f(y, x):
    return np.float32(_atan2_d(np.float64(y), np.float64(x)))


@_jit
def asinf(x):
    a, big = _asin_parts(x)
    return np.float32(select(big, _copysign(fma(a, -2.0, _PIO2), np.float64(x)), a))


@_jit
def acosf(x):
    a, big = _asin_parts(x)
    # big: acos |x| = 2 a and acos(-|x|) = pi - 2 a; else acos x = pi/2 - asin x
    b = select(x < _F0, fma(a, -2.0, _PI), 2.0 * a)
    return np.float32(select(big, b, _PIO2 - a))


@_jit
def sinhf(x):
    xd = np.float64(x)
    e, p = _expm1_parts(abs(xd))
    m = fma(e, p, e - 1.0)                 # expm1 |x|
    s = 0.5 * (m + fdiv(m, m + 1.0))       # no cancellation for small |x|
    return _copysign(np.float32(s), x)


@_jit
def coshf(x):
    e, p = _expm1_parts(abs(np.float64(x)))
    ex = fma(e, p, e)
    return np.float32(0.5 * (ex + fdiv(1.0, ex)))


@_jit
def tanhf(x):
    xd = np.float64(x)
    e, p = _expm1_parts(-2.0 * abs(xd))
    m = fma(e, p, e - 1.0)                 # expm1(-2 |x|)
    t = fdiv(-m, m + 2.0)
    return _copysign(np.float32(t), x)


@_jit
def sigmoidf(x):
    e, p = _expm1_parts(-np.float64(x))
    return np.float32(fdiv(1.0, 1.0 + fma(e, p, e)))


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
