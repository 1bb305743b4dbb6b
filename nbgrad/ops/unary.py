"""Unary elementwise ops: signs, exponentials and logarithms, powers, trigonometric
and hyperbolic functions, rounding and clamping, with their Tensor methods.

Each op is one `elementwise` declaration (see `nbgrad.ops.elementwise`) whose
scalar functions come from the dual vocabulary `nbgrad.ops.scalar`.  An op
whose inputs need checking first (a bool tensor where PyTorch refuses one) is
a `Checked` elementwise op: the check runs before any kernel.  Functions with
keyword arguments or several ops behind them (`clamp`, `round`) are thin
public functions over the declared ops.

Integer inputs: `neg abs sign square floor ceil round trunc clamp` keep the
integer dtype; the others (``out_dtype="float"``) compute in the default float
dtype, as PyTorch does.  Non-differentiable points follow PyTorch; each choice
is listed in docs/ops/elementwise.md.
"""

import math

from nbgrad import _dtypes
from nbgrad.ops import scalar as s
from nbgrad.ops.elementwise import Elementwise, _tensor_cls, declare, elementwise
from nbgrad.ops.registry import tensor_method

__all__ = ["neg", "negative", "abs", "absolute", "sign", "exp", "expm1", "log", "log1p",
           "log2", "log10", "sqrt", "rsqrt", "square", "reciprocal", "sin", "cos", "tan",
           "asin", "acos", "atan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
           "sigmoid", "erf", "floor", "ceil", "round", "trunc", "fix", "clamp", "clip",
           "clamp_min", "clamp_max", "relu", "positive"]

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


class Checked(Elementwise):
    """An elementwise op whose arguments are checked (`check(op, *args)` raises)
    before anything runs; otherwise exactly `Elementwise`."""

    def __init__(self, name, forward, grads, node, out_dtype, check):
        super().__init__(name, forward, grads, node, out_dtype)
        self.check = check

    def __call__(self, *args):
        self.check(self, *args)
        return Elementwise.__call__(self, *args)


def checked(name, forward, grads=None, node=None, out_dtype="promote", check=None,
            method=True):
    """Declare and register a `Checked` elementwise op (arguments as `elementwise`)."""
    return declare(Checked(name, forward, grads, node, out_dtype, check), method)


def describe(t):
    """'torch.float32 tensor of shape [2, 3]' (for error messages)."""
    return f"{t.dtype!r} tensor of shape {list(t._data.shape)}"


def _tensors(args):
    Tensor = _tensor_cls()
    return [a for a in args if isinstance(a, Tensor)]


def no_bool(op, *args):
    """NotImplementedError if a bool tensor reaches an op PyTorch does not define on bool."""
    for t in _tensors(args):
        if t.dtype is _dtypes.bool:
            raise NotImplementedError(
                f"{op.name}: not implemented for bool tensors (got a {describe(t)}); convert "
                "it first, e.g. x.int() or x.float()")


def floating_only(op, *args):
    """NotImplementedError unless every tensor argument has a floating dtype."""
    if len(args) == 1 and args[0].__class__ is _tensor_cls() and \
            args[0].dtype.is_floating_point:
        return   # the usual call, one floating tensor: no list to build
    for t in _tensors(args):
        if not t.dtype.is_floating_point:
            raise NotImplementedError(
                f"{op.name}: not implemented for {t.dtype!r} tensors (got a {describe(t)}); "
                "convert it with x.float() first")


def _no_bool_neg(op, x):
    if getattr(x, "dtype", None) is _dtypes.bool:
        raise RuntimeError(
            "Negation, the `-` operator, on a bool tensor is not supported. If you are trying "
            f"to invert a mask, use the `~` or `logical_not()` operator instead. (neg of a "
            f"{describe(x)})")


def _doc(op, text):
    op.__doc__ = text
    return op


# -- signs --------------------------------------------------------------------------
neg = _doc(checked("neg", lambda x: -x, grads={"x": lambda g: -g}, check=_no_bool_neg),
           """-x elementwise: ``nb.neg(nb.tensor([1., -2.]))`` is ``tensor([-1., 2.])``.""")
negative = neg
# abs'(0) = 0 (sign(0) = 0), as in PyTorch
abs = _doc(checked("abs", lambda x: s.abs_(x), grads={"x": lambda g, x: g * s.sign(x)},
                   check=no_bool),
           """|x| elementwise: ``nb.abs(nb.tensor([-1., 2.]))`` is ``tensor([1., 2.])``.""")
absolute = abs
sign = _doc(elementwise("sign", lambda x: s.sign(x), grads={"x": lambda g: s.zero(g)}),
            """-1, 0 or 1 by the sign of x (0 for NaN, as PyTorch); zero gradient:
            ``nb.sign(nb.tensor([-2., 0., 3.]))`` is ``tensor([-1., 0., 1.])``.""")

# -- exponentials and logarithms -------------------------------------------------------------
exp = _doc(elementwise("exp", lambda x: s.exp(x), out_dtype="float",
                       grads={"x": lambda g, out: g * out}),
           """e ** x: ``nb.exp(nb.tensor([0., 1.]))`` is ``tensor([1.0000, 2.7183])``.""")
expm1 = _doc(elementwise("expm1", lambda x: s.expm1(x), out_dtype="float",
                         grads={"x": lambda g, out: g * (out + 1)}),
             """exp(x) - 1, accurate near 0: ``nb.expm1(nb.tensor([1e-10]))``.""")
log = _doc(elementwise("log", lambda x: s.log(x), out_dtype="float",
                       grads={"x": lambda g, x: s.truediv(g, x)}),
           """The natural logarithm: ``nb.log(nb.tensor([1., 2.]))`` is
           ``tensor([0.0000, 0.6931])``.""")
log1p = _doc(elementwise("log1p", lambda x: s.log1p(x), out_dtype="float", node="Log1PBackward0",
                         grads={"x": lambda g, x: s.truediv(g, x + 1)}),
             """log(1 + x), accurate near 0: ``nb.log1p(nb.tensor([1e-10]))``.""")
log2 = _doc(elementwise("log2", lambda x: s.log2(x), out_dtype="float",
                        grads={"x": lambda g, x: s.truediv(g, x * _LN2)}),
            """The base-2 logarithm: ``nb.log2(nb.tensor([8.]))`` is ``tensor([3.])``.""")
log10 = _doc(elementwise("log10", lambda x: s.log10(x), out_dtype="float",
                         grads={"x": lambda g, x: s.truediv(g, x * _LN10)}),
             """The base-10 logarithm: ``nb.log10(nb.tensor([100.]))`` is ``tensor([2.])``.""")

# -- powers -------------------------------------------------------------------------------------
# sqrt'(0) = inf (g / (2 * 0)), as in PyTorch
sqrt = _doc(elementwise("sqrt", lambda x: s.sqrt(x), out_dtype="float",
                        grads={"x": lambda g, out: s.truediv(g, 2 * out)}),
            """The square root (NaN below 0): ``nb.sqrt(nb.tensor([4.]))`` is ``tensor([2.])``.""")
rsqrt = _doc(elementwise("rsqrt", lambda x: s.rsqrt(x), out_dtype="float",
                         grads={"x": lambda g, out: -0.5 * g * out * out * out}),
             """1 / sqrt(x): ``nb.rsqrt(nb.tensor([4.]))`` is ``tensor([0.5000])``.""")
_square = elementwise("square", lambda x: x * x, node="PowBackward0",
                      grads={"x": lambda g, x: 2 * g * x}, method=False)


def square(input):
    """x * x (PyTorch's ``pow(x, 2)``; a bool tensor gives int64):
    ``nb.square(nb.tensor([3.]))`` is ``tensor([9.])``."""
    if getattr(input, "dtype", None) is _dtypes.bool:
        input = input.to(_dtypes.int64)
    return _square(input)


tensor_method("square")(square)
reciprocal = _doc(elementwise("reciprocal", lambda x: s.truediv(1, x), out_dtype="float",
                              grads={"x": lambda g, out: -g * out * out}),
                  """1 / x: ``nb.reciprocal(nb.tensor([2.]))`` is ``tensor([0.5000])``.""")


# -- trigonometric and hyperbolic ---------------------------------------------------------------
sin = _doc(elementwise("sin", lambda x: s.sin(x), out_dtype="float",
                       grads={"x": lambda g, x: g * s.cos(x)}),
           """The sine (radians): ``nb.sin(nb.tensor([0.]))`` is ``tensor([0.])``.""")
cos = _doc(elementwise("cos", lambda x: s.cos(x), out_dtype="float",
                       grads={"x": lambda g, x: -g * s.sin(x)}),
           """The cosine (radians): ``nb.cos(nb.tensor([0.]))`` is ``tensor([1.])``.""")
tan = _doc(elementwise("tan", lambda x: s.tan(x), out_dtype="float",
                       grads={"x": lambda g, out: g * (1 + out * out)}),
           """The tangent (radians): ``nb.tan(nb.tensor([0.]))`` is ``tensor([0.])``.""")
# asin'(+-1) = inf and acos'(+-1) = -inf; NaN outside [-1, 1]
asin = _doc(elementwise("asin", lambda x: s.asin(x), out_dtype="float",
                        grads={"x": lambda g, x: g * s.rsqrt(1 - x * x)}),
            """The arcsine: ``nb.asin(nb.tensor([1.]))`` is ``tensor([1.5708])``.""")
acos = _doc(elementwise("acos", lambda x: s.acos(x), out_dtype="float",
                        grads={"x": lambda g, x: -g * s.rsqrt(1 - x * x)}),
            """The arccosine: ``nb.acos(nb.tensor([1.]))`` is ``tensor([0.])``.""")
atan = _doc(elementwise("atan", lambda x: s.atan(x), out_dtype="float",
                        grads={"x": lambda g, x: s.truediv(g, 1 + x * x)}),
            """The arctangent: ``nb.atan(nb.tensor([1.]))`` is ``tensor([0.7854])``.""")
arcsin, arccos, arctan = asin, acos, atan
sinh = _doc(elementwise("sinh", lambda x: s.sinh(x), out_dtype="float",
                        grads={"x": lambda g, x: g * s.cosh(x)}),
            """The hyperbolic sine: ``nb.sinh(nb.tensor([0.]))`` is ``tensor([0.])``.""")
cosh = _doc(elementwise("cosh", lambda x: s.cosh(x), out_dtype="float",
                        grads={"x": lambda g, x: g * s.sinh(x)}),
            """The hyperbolic cosine: ``nb.cosh(nb.tensor([0.]))`` is ``tensor([1.])``.""")
tanh = _doc(elementwise("tanh", lambda x: s.tanh(x), out_dtype="float",
                        grads={"x": lambda g, out: g * (1 - out * out)}),
            """The hyperbolic tangent: ``nb.tanh(nb.tensor([0.]))`` is ``tensor([0.])``.""")
sigmoid = _doc(elementwise("sigmoid", lambda x: s.sigmoid(x), out_dtype="float",
                           grads={"x": lambda g, out: g * out * (1 - out)}),
               """1 / (1 + exp(-x)): ``nb.sigmoid(nb.tensor([0.]))`` is
               ``tensor([0.5000])``.""")
erf = _doc(elementwise("erf", lambda x: s.erf(x), out_dtype="float",
                       grads={"x": lambda g, x: g * _TWO_OVER_SQRT_PI * s.exp(-(x * x))}),
           """The error function: ``nb.erf(nb.tensor([0.]))`` is ``tensor([0.])``.""")

# -- rounding: zero gradient everywhere, as in PyTorch ----------------------------------------
floor = _doc(checked("floor", lambda x: s.floor(x), grads={"x": lambda g: s.zero(g)},
                     check=no_bool),
             """The largest integer <= x: ``nb.floor(nb.tensor([1.5, -1.5]))`` is
             ``tensor([ 1., -2.])``.""")
ceil = _doc(checked("ceil", lambda x: s.ceil(x), grads={"x": lambda g: s.zero(g)},
                    check=no_bool),
            """The smallest integer >= x: ``nb.ceil(nb.tensor([1.5]))`` is ``tensor([2.])``.""")
trunc = _doc(checked("trunc", lambda x: s.trunc(x), grads={"x": lambda g: s.zero(g)},
                     check=no_bool),
             """x rounded toward zero: ``nb.trunc(nb.tensor([-1.5]))`` is ``tensor([-1.])``.""")
fix = trunc
_round = checked("round", lambda x: s.rint(x), grads={"x": lambda g: s.zero(g)},
                 check=no_bool, method=False)


def _round_decimals_forward(x, p, neg):
    # PyTorch's formula and order of operations (p = 10 ** |decimals|)
    return s.rint(s.truediv(x, p)) * p if neg else s.truediv(s.rint(x * p), p)


_round_decimals = checked("round_decimals", _round_decimals_forward, node="RoundBackward1",
                          grads={"x": lambda g: s.zero(g)}, check=floating_only, method=False)


def round(input, *, decimals=0):
    """Round half to even, to `decimals` decimal places (negative: to tens,
    hundreds...): ``nb.round(nb.tensor([0.5, 1.5, 2.567]))`` is
    ``tensor([0., 2., 3.])``; ``nb.round(x, decimals=1)``."""
    if decimals.__class__ is not int and (isinstance(decimals, bool)
                                          or not isinstance(decimals, int)):
        raise TypeError(f"round(): argument 'decimals' must be int, not "
                        f"{type(decimals).__name__}")
    if decimals == 0:
        return _round(input)
    return _round_decimals(input, 10.0 ** -decimals if decimals < 0 else 10.0 ** decimals,
                           decimals < 0)


tensor_method("round")(lambda self, *, decimals=0: round(self, decimals=decimals))


# -- clamp ------------------------------------------------------------------------------------
# The gradient flows where min <= x <= max (bounds included), as in PyTorch; a
# tensor bound gets the gradient where it is the result.  min > max gives max.
# A NaN bound gives NaN, as a NaN x does (lo != lo: NaN; never true for ints).
def _clamp_forward(x, lo, hi):
    t = lo if x < lo or lo != lo else x
    return hi if t > hi or hi != hi else t


_clamp = checked(
    "clamp", _clamp_forward, node="ClampBackward1", check=no_bool, method=False,
    grads={"x": lambda g, x, lo, hi: s.where((x >= lo) & (x <= hi), g, s.zero(g)),
           "lo": lambda g, x, lo, hi: s.where((x < lo) & (lo < hi), g, s.zero(g)),
           "hi": lambda g, x, lo, hi: s.where((x > hi) | (hi < lo), g, s.zero(g))})
clamp_min = _doc(checked(
    "clamp_min", lambda x, lo: lo if x < lo or lo != lo else x, node="ClampMinBackward0",
    check=no_bool,
    grads={"x": lambda g, x, lo: s.where(x >= lo, g, s.zero(g)),
           "lo": lambda g, x, lo: s.where(x < lo, g, s.zero(g))}),
    """max(x, min) elementwise (a NaN x or min gives NaN): ``nb.clamp_min(x, 0.)``.""")
clamp_max = _doc(checked(
    "clamp_max", lambda x, hi: hi if x > hi or hi != hi else x, node="ClampMaxBackward0",
    check=no_bool,
    grads={"x": lambda g, x, hi: s.where(x <= hi, g, s.zero(g)),
           "hi": lambda g, x, hi: s.where(x > hi, g, s.zero(g))}),
    """min(x, max) elementwise (a NaN x or max gives NaN): ``nb.clamp_max(x, 1.)``.""")
_clamp.checked_scalars = clamp_min.checked_scalars = clamp_max.checked_scalars = True


def clamp(input, min=None, max=None):
    """Limit x to [min, max] (either may be None; a number or a tensor that
    broadcasts): ``nb.clamp(nb.tensor([-2., 0.5, 3.]), min=0., max=1.)`` is
    ``tensor([0.0000, 0.5000, 1.0000])``."""
    if min is None:
        if max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        return clamp_max(input, max)
    if max is None:
        return clamp_min(input, min)
    return _clamp(input, min, max)


clip = clamp
tensor_method("clamp", "clip")(lambda self, min=None, max=None: clamp(self, min, max))


# -- aliases as methods, Python operators --------------------------------------------------------
def _method(f):
    return lambda self: f(self)


for _alias, _op in (("negative", neg), ("absolute", abs), ("arcsin", asin), ("arccos", acos),
                    ("arctan", atan), ("fix", trunc)):
    tensor_method(_alias)(_method(_op))


@tensor_method("__abs__")
def _abs(self):
    return abs(self)


@tensor_method("__neg__")
def _neg(self):
    return neg(self)


def positive(input):
    """`input` itself (``+x``), as PyTorch's; a bool tensor raises RuntimeError."""
    if input.dtype is _dtypes.bool:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported. (a "
                           f"{describe(input)})")
    return input


tensor_method("positive", "__pos__")(positive)


# -- relu (a torch top-level name; the other activations are in activation.py) ----------
def _no_bool_relu(op, x):
    if getattr(x, "dtype", None) is _dtypes.bool:
        raise RuntimeError(f"Boolean inputs not supported for relu (got a {describe(x)})")


# relu'(0) = 0, as in PyTorch (the gradient flows where the result is > 0)
relu = _doc(checked("relu", lambda x: s.where(x <= 0, s.zero(x), x), check=_no_bool_relu,
                    grads={"x": lambda g, out: s.where(out <= 0, s.zero(g), g)}),
            """max(x, 0) (NaN stays NaN): ``nb.relu(nb.tensor([-1., 2.]))`` is
            ``tensor([0., 2.])``.""")
