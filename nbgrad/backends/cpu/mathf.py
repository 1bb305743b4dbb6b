"""Vectorizable float32 elementary functions for the generated CPU kernels.

Numba lowers ``math.exp`` and friends to scalar libm calls, which LLVM cannot
vectorize: on float32 arrays they run 5-40x slower than NumPy's SIMD loops.
The functions here take a float32 and return a float32, with branch-free
code (selects, not jumps), so a kernel loop that calls them vectorizes.
``exp``, ``expm1``, ``sinh``, ``cosh`` and ``sigmoid`` run entirely in
float32 (16 lanes a vector rather than float64's 8): x = k ln2 + r with ln 2
in two float32 parts (the first product is exact inside an fma), a minimax
polynomial for exp r - 1 kept as a float32 pair (hi + lo), and compensated
(two-sum) final steps; errors measured over millions of random bit patterns:
exp 0.66 ulp, expm1 1.1, sinh 0.8, cosh 0.9, sigmoid 0.8; ``tanh`` is
-m / (m + 2) with m = expm1(-2|x|) as a pair and one corrected division (0.95
ulp).  The log family is float32 too (exponent and mantissa split exactly,
Cephes' polynomial, log1p adds the rounding error of 1 + x as c / u): under
1.1 ulp.  ``pow`` is float32 as well: log2|x| as a pair to ~2**-34 relative
(s = f / (2 + f) as a pair, the leading products of the atanh series exact in
fmas), times y into a pair, then 2**(ph + pl) with the exp core's polynomial;
0.8 ulp measured, also where |y log2 x| is near 128 or 150.  ``sin``/``cos``/
``tan`` reduce the argument by k pi/2 in float64 (FMA, 107-bit pi/2), then
split r into a float32 pair and finish in float32 (minimax polynomials, tan's
cotangent as one division plus a Newton step on the pair): sin and cos within
0.75 ulp, tan 1.16 ulp, measured for |x| < 2**40 (tested below 2**29, where
the reduction is exact); up to 2**50 the absolute error stays under |x| * 2**-52,
and past 2**50 the result is only bounded (use float64 for huge angles).
(A float32 Cody-Waite reduction cannot replace it over that range: k itself
stops being a float32 integer past 2**24.)  ``atan``/``atan2``/``asin``/
``acos`` still compute in float64.  Special values (signed zeros, subnormals,
infinities, NaN) come out as in C.

float64 kernels keep using libm (`math.*`): each function's row in
`nbgrad.backends.mathtable` names its float32 and float64 implementations.
`pow_shortcuts` is the exponent special-casing both devices share.  Divisions go through `fdiv` (one
instruction), so x / 0 gives inf or nan as in PyTorch, never an exception,
whatever error model the calling kernel was compiled with.

(Over 600 lines: one float32 library whose functions share their cores --
`_expf_parts`, `_log_split`, `_trig_reduce`, `_scale2` -- split into modules
they would import each other's private helpers.)
"""

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

__all__ = ["acosf", "asinf", "atan2f", "atanf", "ceil", "cosf", "coshf", "erff", "expf", "expm1f",
           "fdiv", "floor", "frem", "log1pf", "log2f", "log10f", "logf", "pow_shortcuts", "powf",
           "rint", "select", "sigmoidf", "sinf", "sinhf", "tanf", "tanhf", "trunc"]


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


def _llvm_op(name, emit, doc, sig=None):
    """Intrinsic `name`, whose code is ``emit(builder, *args)`` in LLVM IR: of signature
    `sig`, or without one, of arguments and result of one float type (no match
    for others).  One instruction or LLVM intrinsic each: they vectorize where
    Numba's lowering (libm calls, int64 arithmetic, zero checks) would not."""
    def codegen(context, builder, signature, args):
        return emit(builder, *args)

    def typed(*argtys):
        if sig is not None:
            return sig, codegen
        if all(_same_float(argtys[0], t) for t in argtys):
            return argtys[0](*argtys), codegen
        return None
    # Numba calls a typer with the call's arguments and cannot take *args: one per arity
    nargs = emit.__code__.co_argcount - 1
    typer = {1: lambda typingctx, a: typed(a),
             2: lambda typingctx, a, b: typed(a, b),
             3: lambda typingctx, a, b, c: typed(a, b, c)}[nargs]
    typer.__name__ = typer.__qualname__ = name
    typer.__doc__ = doc
    return intrinsic(typer)


def _call(builder, name, *args):
    """A call of LLVM intrinsic `name` overloaded on its arguments' one type."""
    t = args[0].type
    fn = builder.module.declare_intrinsic(name, [t], ir.FunctionType(t, [t] * len(args)))
    return builder.call(fn, args)


def _bits32(builder, x):
    return builder.bitcast(x, _I32)


def _i32(v):
    return ir.Constant(_I32, v)


_I32 = ir.IntType(32)
_F32_OF_F32 = types.float32(types.float32)

fdiv = _llvm_op("fdiv", lambda b, x, y: b.fdiv(x, y),
                "a / b for two floats of one type: no zero check whatever the error model.")
frem = _llvm_op("frem", lambda b, x, y: b.frem(x, y),
                "C's fmod(a, b) (the sign of a) for two floats of one type.")
# np.floor and friends lower to libm calls; the LLVM intrinsics vectorize
floor = _llvm_op("floor", lambda b, x: _call(b, "llvm.floor", x),
                 "floor(x) of a float, as a float.")
ceil = _llvm_op("ceil", lambda b, x: _call(b, "llvm.ceil", x), "ceil(x) of a float, as a float.")
trunc = _llvm_op("trunc", lambda b, x: _call(b, "llvm.trunc", x),
                 "trunc(x) of a float, as a float.")
rint = _llvm_op("rint", lambda b, x: _call(b, "llvm.rint", x),
                "x rounded half to even, as a float.")
fma = _llvm_op("fma", lambda b, x, y, z: _call(b, "llvm.fma", x, y, z),
               "a * b + c with one rounding (llvm.fma: one instruction on FMA hardware).")
_copysign = _llvm_op("_copysign", lambda b, x, y: _call(b, "llvm.copysign", x, y),
                     "|a| with the sign bit of b (both one float type).")
_xorsign = _llvm_op(
    "_xorsign",
    lambda b, x, y: b.bitcast(b.xor(_bits32(b, x), b.and_(_bits32(b, y), _i32(-0x80000000))),
                              ir.FloatType()),
    "a with its sign bit flipped where b's is set (both float32): one xor.",
    types.float32(types.float32, types.float32))
_low2_f64 = _llvm_op(
    "_low2_f64",
    lambda b, t: b.uitofp(b.and_(b.trunc(b.bitcast(t, ir.IntType(64)), _I32), _i32(3)),
                          ir.FloatType()),
    "The two lowest significand bits of a float64, as a float32 (0 to 3).",
    types.float32(types.float64))
_f64_bits = _llvm_op("_f64_bits", lambda b, x: b.bitcast(x, ir.IntType(64)),
                     "The bits of a float64 as an int64.", types.int64(types.float64))
# int32 work in LLVM IR (Numba would widen integer arithmetic to int64, halving the lanes)
_expo_f32 = _llvm_op(
    "_expo_f32",
    lambda b, x: b.sitofp(b.and_(b.lshr(_bits32(b, x), _i32(23)), _i32(0xff)), ir.FloatType()),
    "The biased exponent field of a float32, as a float32 (0 to 255).", _F32_OF_F32)
_mant_f32 = _llvm_op(
    "_mant_f32",
    lambda b, x: b.bitcast(b.or_(b.and_(_bits32(b, x), _i32(0x7fffff)), _i32(0x3f800000)),
                           ir.FloatType()),
    "The significand of a float32 as a float32 in [1, 2) (the exponent field set to 127).",
    _F32_OF_F32)
_exp2i_f32 = _llvm_op(
    "_exp2i_f32",
    lambda b, k: b.bitcast(b.shl(b.add(b.fptosi(k, _I32), _i32(127)), _i32(23)), ir.FloatType()),
    "2**k as a float32 for an integer-valued float32 k in [-126, 127].", _F32_OF_F32)


# Inlined into the caller's Numba IR: as separate functions LLVM may decline to
# inline the larger ones, and a call per element stops vectorization.
_jit = njit(inline="always")


@_jit
def _horner(c, z):
    """c[0] z**(n-1) + ... + c[n-1] by Horner's rule in fmas (the tuple's length
    is a constant: LLVM unrolls the loop and the caller's loop still vectorizes)."""
    p = c[0]
    for k in range(1, len(c)):
        p = fma(p, z, c[k])
    return p

_F = np.float32
_F0 = _F(0.0)
_F1 = _F(1.0)
_FINF = _F(math.inf)
_FNAN = _F(math.nan)
# Cephes logf: log(1 + f) = f - f**2 / 2 + f**3 P(f)
_LOGF_P = tuple(_F(c) for c in (7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1,
                                -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1,
                                2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1))
# minimax fits (relative error of the whole function, float32 coefficients):
# exp r = 1 + r + r**2 Q(r), |r| <= ln2/2 (2**-27); sin r = r + r**3 S(r**2),
# cos r = 1 - r**2/2 + r**4 C(r**2), tan r = r + r**3 T(r**2), |r| <= 0.8 (2**-27,
# 2**-30, 2**-28); sinh x = x + x**3 H(x**2), |x| <= 1 (2**-27)
_EXPF_Q = tuple(_F(c) for c in (0.0013811661629006267, 0.008370134979486465, 0.04166852682828903,
                                0.16666509211063385, 0.4999999403953552))
_SIN_S = tuple(_F(c) for c in (-0.00019503067596815526, 0.008332070894539356, -0.16666653752326965))
_COS_C = tuple(_F(c) for c in (2.4419194232905284e-05, -0.0013887194218114018, 0.04166664183139801))
_TAN_T = tuple(_F(c) for c in (0.004584033973515034, -0.0003278768272139132, 0.011161614209413528,
                               0.021158047020435333, 0.05408361181616783, 0.13332457840442657,
                               0.3333335518836975))
_SINH_H = tuple(_F(c) for c in (2.8169513370812638e-06, 0.0001983615948120132, 0.008333349600434303,
                                0.1666666716337204))
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
_LOG10EF = _F(0.4342944819032518)
_LOG10EF_LO = _F(0.4342944819032518 - float(_LOG10EF))
_LG2F, _LG2F_LO = _F(0.30102999566398120), _F(0.30102999566398120 - float(_F(0.30102999566398120)))
# log2(1 + f) = K s + C s**3 + s**5 P(s**2), s = f / (2 + f), |s| <= 0.172: K = 2 / ln 2
# and C = K / 3 as float32 pairs, P a minimax fit (relative error of the sum 2**-36)
_LOG2_K, _LOG2_K_LO = _F(2.885390043258667), _F(3.851926067000022e-08)
_LOG2_C, _LOG2_C_LO = _F(0.9617967009544373), _F(-7.028461812552678e-09)
_LOG2_P = tuple(_F(c) for c in (0.5770803689956665, 0.41183382272720337, 0.33821162581443787))
_SHIFT = 6755399441055744.0          # 1.5 * 2**52: t + SHIFT - SHIFT rounds t to an integer
_PIO2 = 1.5707963267948966
_PIO4 = 0.7853981633974483
_PIO6 = 0.5235987755982989
_PI = 3.141592653589793
_TAN_PI12 = 0.2679491924311227
_SQRT3 = 1.7320508075688772
_TWO_OVER_PI = 0.6366197723675814
_PIO2_LO = 6.123233995736766e-17     # pi/2 - _PIO2


# Taylor coefficients of atan (float64, for atan2)
_ATAN_SERIES = tuple((-1.0) ** k / (2 * k + 1) for k in range(12))       # atan(v) / v in v**2


# -- float64 cores (arguments come from float32 values) ---------------------
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
    return fma(f * z, _horner(_LOGF_P, f), _F(-0.5) * z)


@_jit
def _log_special(x, y):
    """A log of float32 x: y, or what x = 0, negative, inf or nan gives."""
    y = select(x == _F0, -_FINF, y)
    y = select(x < _F0, _FNAN, y)
    return select((x == _FINF) | (x != x), x, y)


@_jit
def _asin_parts(x):
    """(a, big): for |x| <= 1/2, a = asin x (big false); else a = asin s with
    s = sqrt((1 - |x|) / 2), so that asin |x| = pi/2 - 2 a (big true)."""
    ax = abs(x)
    big = ax > _F(0.5)
    zb = _F(0.5) * (_F1 - ax)                       # exact
    z = select(big, zb, x * x)
    sd = select(big, math.sqrt(np.float64(zb)), np.float64(x))
    return sd + np.float64(np.float32(sd) * z * _horner(_ASINF_P, z)), big

@_jit
def _expf_parts(x):
    """(k, h, l) with exp x = 2**k (1 + h + l) for float32 |x| <= 104, all in
    float32: r = x - k ln2 to ~2**-48 |x| as r + rl (the first fma is exact),
    h + l = expm1 r to 2**-27 with |l| <= ulp(h)."""
    k = rint(x * _LOG2EF)
    r1 = fma(-k, _LN2F, x)                 # exact: k ln2f and x share the 2**-24 grid
    r = fma(-k, _LN2F_LO, r1)
    rl = fma(-k, _LN2F_LO, r1 - r)         # r's rounding error (r1 - r is exact)
    t = fma(r * r, _horner(_EXPF_Q, r), rl)
    h = r + t
    return k, h, (r - h) + t              # fast two-sum: |t| < |r| (or r = 0)


@_jit
def _one_plus(h, l):
    """(a, b) with a + b = 1 + h + l, a = 1 + h rounded, for |h| <= 1/2."""
    a = _F1 + h
    return a, ((_F1 - a) + h) + l


@_jit
def _trig_reduce(x):
    """(rh, rl, q) for float32 x: |x| = k pi/2 + rh + rl with |rh| <= 0.8, rl
    below ulp(rh), q = k mod 4 as a float32.  The reduction runs in float64 (see
    the module docstring for its range), the rest in float32."""
    ax = abs(np.float64(x))
    # from 2**50 on, k below would not be an exact integer: scaling by 2**-80 keeps
    # the result bounded, not accurate (see the module docstring)
    ax = select(ax >= 1125899906842624.0, ax * 8.271806125530277e-25, ax)
    t = fma(ax, _TWO_OVER_PI, _SHIFT)      # k + 1.5 * 2**52: k's low bits are t's
    k = t - _SHIFT
    r = fma(-k, _PIO2_LO, fma(-k, _PIO2, ax))
    rh = np.float32(r)
    rl = np.float32(r - np.float64(rh))
    return rh, rl, _low2_f64(t)


@_jit
def _sin_cos_r(rh, rl):
    """(sin r, cos r) for r = rh + rl, |r| <= 0.8, each rounded once from a
    float32 pair (within ~0.6 ulp)."""
    z = rh * rh
    hz = _F(0.5) * z
    ps = fma(fma(_SIN_S[0], z, _SIN_S[1]), z, _SIN_S[2])
    s = rh + fma(rh * z, ps, fma(rl, -hz, rl))       # sin r = r + r**3 S + rl cos r
    hr = _F(0.5) * rh
    c = fma(-hr, rh, _F1)                             # 1 - r**2/2, and its error:
    ce = fma(-hr, rh, _F1 - c)
    pc = fma(fma(_COS_C[0], z, _COS_C[1]), z, _COS_C[2])
    c = c + fma(z * z, pc, fma(-rh, rl, ce))          # cos r = ... - rl sin r
    return s, c


@_jit
def _scale2(y, k):
    """y 2**k for float32 k in [-150, 128] (integer valued): two products, so
    that subnormal results and 2**128 need no special 2**k."""
    neg = k < _F0
    s = _exp2i_f32(k + select(neg, _F(64.0), _F(-1.0)))
    return (y * s) * select(neg, _F(5.421010862427522e-20), _F(2.0))


@_jit
def _sinh_cosh_big(ax, sign):
    """2 (A + sign / (16 A)) with A = exp(|x|) / 4 as a float32 pair: cosh
    (sign 1) and, for |x| >= 1, sinh (sign -1); 2**(k-2) keeps A finite up to
    the overflow of the result."""
    ac = select(ax < _F(89.5), ax, _F(89.5))            # NaN: 89.5
    k, h, l = _expf_parts(ac)
    s = _exp2i_f32(k - _F(2.0))
    b = s * h
    a = s + b
    al = fma(s, l, (s - a) + b)
    return _F(2.0) * (a + (al + fdiv(sign * _F(0.0625), a)))


# -- float32 entry points ---------------------------------------------------
@_jit
def expf(x):
    xc = select(x < _F(89.0), x, _F(89.0))           # NaN becomes 89: no NaN in k
    xc = select(xc > _F(-104.0), xc, _F(-104.0))
    k, h, l = _expf_parts(xc)
    a, b = _one_plus(h, l)
    return select(x != x, x, _scale2(a + b, k))


@_jit
def expm1f(x):
    xc = select(x < _F(88.8), x, _F(88.8))
    xc = select(xc > _F(-25.0), xc, _F(-25.0))
    k, h, l = _expf_parts(xc)
    # expm1 x = 2 (s h + (s - 1/2) + s l), s = 2**(k-1): s h and s - 1/2 are exact
    # (k <= 25), and a fast two-sum adds them (|s - 1/2| >= |s h| or s = 1/2)
    s = _exp2i_f32(k - _F1)
    a = s - _F(0.5)
    b = s * h
    hi = a + b
    y = _F(2.0) * (hi + fma(s, l, (a - hi) + b))
    y = select(abs(x) < _F(2.9802322387695312e-08), x, y)   # |x| < 2**-25: x (signed zeros)
    return select(x != x, x, y)


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
    y = fma(e, _LN2F, f + fma(e, _LN2F_LO, _log1p_tail(f) + fdiv(c, u)))
    return select(x == _F0, x, _log_special(u, y))


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
    rh, rl, q = _trig_reduce(x)
    s, c = _sin_cos_r(rh, rl)
    # quadrant q: sin = (s, c, -s, -c)[q]; sin(-x) = -sin x (signed zeros too)
    v = select((q == _F1) | (q == _F(3.0)), c, s)
    return _xorsign(_xorsign(v, x), _F(1.5) - q)


@_jit
def cosf(x):
    rh, rl, q = _trig_reduce(x)
    s, c = _sin_cos_r(rh, rl)
    # quadrant q: cos = (c, -s, -c, s)[q]
    v = select((q == _F1) | (q == _F(3.0)), s, c)
    return select(abs(q - _F(1.5)) < _F1, -v, v)


@_jit
def tanf(x):
    rh, rl, q = _trig_reduce(x)
    z = rh * rh
    # tan r = rh + tl, rl (1 + tan**2) ~ rl (1 + z)
    tl = fma(rh * z, _horner(_TAN_T, z), fma(rl, z, rl))
    t = rh + tl
    te = (rh - t) + tl                      # t's rounding error
    # odd quadrants: -1/(t + te), one division and a Newton step on the pair
    y0 = fdiv(-_F1, t)
    e = fma(y0, te, fma(y0, t, _F1))
    v = select((q == _F1) | (q == _F(3.0)), fma(y0, e, y0), t)
    return _xorsign(v, x)


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
    a = v + np.float64(vf * z * _horner(_ATANF_P, z))
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
    ax = abs(x)
    # |x| < 1: x + x**3 H(x**2); else (e - 1/e) / 2 with e = exp |x| as a pair
    z = x * x
    p = fma(fma(fma(_SINH_H[0], z, _SINH_H[1]), z, _SINH_H[2]), z, _SINH_H[3])
    small = fma(x * z, p, x)
    big = _sinh_cosh_big(ax, _F(-1.0))
    return select(ax >= _F1, _copysign(big, x), small)


@_jit
def coshf(x):
    y = _sinh_cosh_big(abs(x), _F1)
    return select(x != x, x, y)


@_jit
def tanhf(x):
    # tanh |x| = -m / (m + 2) with m = expm1(-2 |x|) as a float32 pair
    a = abs(x)
    a = select(a < _F(9.5), a, _F(9.5))              # tanh 9.5 rounds to 1; NaN: 9.5
    k, h, l = _expf_parts(_F(-2.0) * a)               # exp(-2|x|) = 2**k (1 + h + l), k >= -27
    s = _exp2i_f32(k)
    # m = (s - 1) + s h + s l: s h is exact, s - 1 rounds only for k < -24 (its
    # error s - (a1 + 1) is kept), a fast two-sum adds s h (|s h| <= |s - 1| or s = 1)
    a1 = s - _F1
    b = s * h
    mh = a1 + b
    ml = fma(s, l, ((a1 - mh) + b) + (s - (a1 + _F1)))
    d = mh + _F(2.0)
    dl = ((_F(2.0) - d) + mh) + ml                   # 2 - d is exact (d in [1, 2])
    inv = fdiv(_F1, d)
    q0 = -mh * inv
    t = fma(fma(q0, -d, -mh) - fma(q0, dl, ml), inv, q0)   # one correction step
    return select(x != x, x, _copysign(t, x))


@_jit
def sigmoidf(x):
    # e = exp(-|x|) as a pair; sigmoid = (1 or e) / (1 + e), corrected once
    xc = select(abs(x) < _F(104.0), abs(x), _F(104.0))
    k, h, l = _expf_parts(-xc)
    a, b = _one_plus(h, l)
    s = _exp2i_f32(k + _F(64.0))                     # k in [-150, 0]
    eh = (a * s) * _F(5.421010862427522e-20)          # 2**-64: subnormal results round once
    el = (b * s) * _F(5.421010862427522e-20)
    d = _F1 + eh
    dl = ((_F1 - d) + eh) + el
    n = select(x < _F0, eh, _F1)
    nl = select(x < _F0, el, _F0)
    inv = fdiv(_F1, d)
    q0 = n * inv
    res = fma(-q0, d, n) + fma(-q0, dl, nl)
    y = fma(res, inv, q0)
    return select(x != x, x, y)


@_jit
def _log2_pair(ax):
    """(th, tl) with th + tl = log2 ax to ~2**-34 relative (not normalised:
    |tl| < 2**-12 |th|; callers add it with a two-sum), for float32 ax > 0
    (subnormals included), all in float32: ax = 2**e (1 + f),
    s = f / (2 + f) as a pair (sh, sl), log2(1 + f) = K s + C s**3 + s**5 P(s**2)
    with K = 2 / ln 2 and C = K / 3 as pairs, the products K sh and C sh**3
    kept exact by fmas, the small terms summed in float32."""
    e, f = _log_split(ax)
    d = f + _F(2.0)
    dl = (_F(2.0) - d) + f                          # d's rounding error (exact)
    inv = fdiv(_F1, d)
    sh = f * inv
    sl = inv * (fma(-sh, d, f) - sh * dl)
    zh = sh * sh
    zl = fma(sh, sh, -zh)
    w = sh * zh
    we = fma(sh, zh, -w)                            # sh**3 = w + we + sh zl
    p = fma(fma(_LOG2_P[2], zh, _LOG2_P[1]), zh, _LOG2_P[0])
    eta = fma(zh, p, _LOG2_C_LO)                    # C + z P = C_HI + eta
    a = _LOG2_K * sh
    b = _LOG2_C * w
    t = a + b                                       # fast two-sum: |b| < |a| / 90
    sig = (a - t) + b
    sig = sig + fma(_LOG2_K, sh, -a)
    sig = sig + fma(_LOG2_C, w, -b)
    ks = _LOG2_K * sl                               # K sl (1 + z): the derivative
    sig = sig + fma(_LOG2_K_LO, sh, fma(ks, zh, ks))
    sig = fma(_LOG2_C, fma(sh, zl, we), sig)
    sig = fma(eta, w, sig)
    th = e + t                                      # fast two-sum: |t| <= 1/2, e integer
    return th, ((e - th) + t) + sig


@_jit
def powf(x, y):
    ax = abs(x)
    th, tl = _log2_pair(ax)
    th = select(ax == _F0, -_FINF, select(ax == _FINF, _FINF, th))
    # y log2|x| as a pair ph + pl, clamped to where 2**(ph + pl) is 0 to inf; NaN
    # (0 * inf: |x| = 1, y = +-inf, or y = 0, x = 0 or inf) becomes 0, so 1
    ph = y * th
    pl = fma(y, tl, fma(y, th, -ph))
    pc = select(ph < _F(-150.4), _F(-150.4), ph)
    pc = select(pc > _F(128.49), _F(128.49), pc)
    pl = select(pc == ph, pl, _F0)
    pc = select(pc == pc, pc, _F0)
    k = rint(pc)
    rh = pc - k                                      # exact, |rh| <= 1/2
    r = rh + pl
    rl = (rh - r) + pl
    # 2**(r + rl) = exp(u + ul) = 1 + u + t: u + ul = (r + rl) ln 2 to 2**-48
    u = r * _LN2F
    ul = fma(r, _LN2F, -u) + fma(r, _LN2F_LO, rl * _LN2F)
    t = fma(u * u, _horner(_EXPF_Q, u), ul)
    a = _F1 + u
    res = _scale2(a + (((_F1 - a) + u) + t), k)
    # a negative base needs an integer exponent; an odd one keeps the base's sign
    fy = floor(y)
    hy = _F(0.5) * y
    res = select(hy - floor(hy) == _F(0.5), _xorsign(res, x), res)
    res = select((x < _F0) & (fy != y) & (ax < _FINF), _FNAN, res)
    res = select((x != x) | (y != y), _FNAN, res)
    return select((x == _F1) | (y == _F0), _F1, res)


# erf: N. Juffa's float32 minimax approximations ("a fast and accurate erff",
# 2014-2019): an odd polynomial below |x| = 475/512, 1 - exp(p(|x|)) above;
# measured within 1.0 ulp of the float64 erf over millions of inputs
_ERFF_BIG = tuple(_F(c) for c in (-1.72853470e-5, 3.83197126e-4, -3.88396438e-3, 2.42546219e-2,
                                  -1.06777877e-1, -6.34846687e-1, -1.28717512e-1))
_ERFF_SMALL = tuple(_F(c) for c in (-5.96761703e-4, 4.99119423e-3, -2.67681349e-2,
                                    1.12819925e-1, -3.76125336e-1, 1.28379166e-1))


@_jit
def erff(x):
    t = abs(x)
    s = x * x
    r = fma(_ERFF_BIG[0], t, _ERFF_BIG[1])
    u = fma(_ERFF_BIG[2], t, _ERFF_BIG[3])
    r = fma(r, s, u)
    r = fma(r, t, _ERFF_BIG[4])
    r = fma(r, t, _ERFF_BIG[5])
    r = fma(r, t, _ERFF_BIG[6])
    r = fma(r, t, -t)
    big = _copysign(_F1 - expf(r), x)          # exp(r) < 0.19: no cancellation
    return select(t > _F(0.927734375), big, fma(_horner(_ERFF_SMALL, s), x, x))


def pow_shortcuts(T, general):
    """x ** y in float type T, for a kernel whose exponent is one number for the
    whole loop (a branch on it is hoisted out).  The exponents PyTorch
    special-cases (2, 3, 0.5, -0.5, -1, -2) are computed as PyTorch does (x * x,
    sqrt...); others by `general` (CPU and CUDA pass their own powf)."""
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
            return fdiv(one, x)
        if y == -0.5:
            return fdiv(one, math.sqrt(x))
        if y == -2:
            return fdiv(one, x * x)
        return general(x, y)
    return impl
