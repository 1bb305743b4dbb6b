"""Elementwise activations of ``torch.nn.functional`` that torch has no top-level
name for: leaky_relu, elu, gelu, silu, softplus, hardtanh, relu6.

PyTorch keeps these in ``torch.nn.functional`` only, so ``__all__`` is empty
(nothing is re-exported as ``nbgrad.<name>``).  `FUNCTIONAL` lists what
`nbgrad.nn.functional` should take from here under PyTorch's names, with
relu, sigmoid and tanh (declared in `nbgrad.ops.unary`)::

    from nbgrad.ops.activation import FUNCTIONAL, leaky_relu, gelu, ...

Each op is declared once (`nbgrad.ops.unary.checked`), and its parameters
(negative_slope, alpha, beta, threshold, min_val, max_val) are kernel scalars:
one compiled kernel serves every parameter value.  The registered ops take
their parameters positionally, e.g. ``REGISTRY['leaky_relu'](x, 0.2)``; the
functions below add PyTorch's keywords and defaults.  Float-only ops raise
NotImplementedError on integer tensors, as PyTorch does.
"""

import math

from nbgrad import _dtypes
from nbgrad.ops import scalar as s
from nbgrad.ops.registry import register
from nbgrad.ops.unary import Checked, checked, floating_only, no_bool, relu, sigmoid, tanh

__all__ = []
FUNCTIONAL = ["relu", "leaky_relu", "elu", "gelu", "silu", "softplus", "hardtanh", "relu6",
              "sigmoid", "tanh"]

_SQRT1_2 = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_GELU_BETA = math.sqrt(2.0 / math.pi)     # PyTorch's kBeta
_GELU_KAPPA = 0.044715


def _number_params(*names):
    """A check: tensor input floating, the named later arguments Python numbers."""
    def check(op, x, *params):
        floating_only(op, x)
        for name, p in zip(names, params):
            if p.__class__ is not float and (isinstance(p, bool) or
                                             not isinstance(p, (int, float))):
                raise TypeError(f"{op.name}(): argument '{name}' must be a number, not "
                                f"{type(p).__name__}")
    return check


# leaky_relu'(0) = negative_slope, as in PyTorch (the slope applies where x <= 0)
_leaky_relu = checked(
    "leaky_relu", lambda x, slope: x if x > 0 else x * slope, node="LeakyReluBackward0",
    grads={"x": lambda g, x, slope: s.where(x > 0, g, g * slope)},
    check=_number_params("negative_slope"), method=False)

# elu'(0) = alpha (the exponential branch covers x <= 0), as in PyTorch
_elu = checked(
    "elu", lambda x, alpha: x if x > 0 else alpha * s.expm1(x), node="EluBackward0",
    grads={"x": lambda g, x, alpha: s.where(x <= 0, g * alpha * s.exp(x), g)},
    check=_number_params("alpha"), method=False)


def _gelu_grad(g, x):
    cdf = 0.5 * (1 + s.erf(x * s.cast_like(_SQRT1_2, x)))
    pdf = s.exp(x * x * s.cast_like(-0.5, x)) * _INV_SQRT_2PI
    return g * (cdf + x * pdf)


# Kernel functions call only the dual vocabulary (a helper's code would not be
# part of the kernel cache key), so the tanh argument is spelled out twice.
def _gelu_tanh_forward(x):
    t = s.tanh(s.cast_like(_GELU_BETA, x) * (x + s.cast_like(_GELU_KAPPA, x) * x * x * x))
    return 0.5 * x * (1 + t)


def _gelu_tanh_grad(g, x):
    # PyTorch's GeluBackward formula for approximate='tanh'
    t = s.tanh(s.cast_like(_GELU_BETA, x) * (x + s.cast_like(_GELU_KAPPA, x) * x * x * x))
    left = 0.5 * x
    right = 1 + t
    dright = left * (1 - t * t) * _GELU_BETA * (1 + 3 * _GELU_KAPPA * x * x)
    return g * (0.5 * right + dright)


class _Gelu(Checked):
    """The exact gelu; ``approximate='tanh'`` hands over to the tanh form."""

    def __call__(self, input, approximate="none"):
        if approximate == "none":
            return Checked.__call__(self, input)
        if approximate == "tanh":
            return _gelu_tanh(input)
        raise RuntimeError(f"approximate argument must be either none or tanh. (gelu got "
                           f"{approximate!r})")


_gelu = register("gelu", _Gelu(
    "gelu", lambda x: 0.5 * x * (1 + s.erf(x * s.cast_like(_SQRT1_2, x))), {"x": _gelu_grad},
    "GeluBackward0",
    "promote", floating_only))
_gelu_tanh = checked(
    "gelu_tanh", _gelu_tanh_forward, node="GeluBackward0",
    grads={"x": _gelu_tanh_grad}, check=floating_only, method=False)


def _silu_grad(g, x):
    sig = s.sigmoid(x)
    return g * sig * (1 + x * (1 - sig))


_silu = checked("silu", lambda x: x * s.sigmoid(x), node="SiluBackward0",
                grads={"x": _silu_grad}, check=floating_only, method=False)


def _softplus_forward(x, beta, threshold):
    bx = x * beta
    # above the threshold softplus is x to working precision (and exp would overflow)
    return x if bx > threshold else s.truediv(s.log1p(s.exp(bx)), beta)


_softplus = checked(
    "softplus", _softplus_forward, node="SoftplusBackward0",
    grads={"x": lambda g, x, beta, threshold: s.where(x * beta > threshold, g,
                                                       g * s.sigmoid(x * beta))},
    check=_number_params("beta", "threshold"), method=False)


def _hardtanh_forward(x, lo, hi):
    # a NaN bound gives NaN, as in PyTorch (lo != lo: NaN; never true for ints)
    t = lo if x < lo or lo != lo else x
    return hi if t > hi or hi != hi else t


# hardtanh's gradient is zero at the bounds (open interval), unlike clamp's:
# PyTorch's choice; relu6 is hardtanh(x, 0, 6)
_hardtanh = checked(
    "hardtanh", _hardtanh_forward, node="HardtanhBackward0", check=no_bool, method=False,
    grads={"x": lambda g, x, lo, hi: s.where((x <= lo) | (x >= hi), s.zero(g), g)})


# -- the functions nbgrad.nn.functional exposes -----------------------------------------
def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x if x > 0 else negative_slope * x: ``leaky_relu(x, 0.2)``."""
    return _inplace(input, _leaky_relu(input, negative_slope), inplace)


def elu(input, alpha=1.0, inplace=False):
    """x if x > 0 else alpha * (exp(x) - 1): ``elu(x)``."""
    return _inplace(input, _elu(input, alpha), inplace)


def gelu(input, approximate="none"):
    """x * Phi(x), Phi the standard normal CDF; ``approximate='tanh'`` uses
    0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x**3))): ``gelu(x)``."""
    return _gelu(input, approximate)


def silu(input, inplace=False):
    """x * sigmoid(x): ``silu(x)``."""
    return _inplace(input, _silu(input), inplace)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta x)) / beta, and x where beta x > threshold: ``softplus(x)``."""
    return _softplus(input, beta, threshold)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """x limited to [min_val, max_val] (an integer tensor stays integer):
    ``hardtanh(x)``."""
    if getattr(input, "dtype", None) is not None and not input.dtype.is_floating_point \
            and input.dtype is not _dtypes.bool:
        # PyTorch's bounds are Scalars that do not promote an integer input
        min_val, max_val = int(min_val), int(max_val)
    return _inplace(input, _hardtanh(input, min_val, max_val), inplace)


def relu6(input, inplace=False):
    """min(max(x, 0), 6) (PyTorch's hardtanh(x, 0, 6)): ``relu6(x)``."""
    return hardtanh(input, 0.0, 6.0, inplace)


def _inplace(input, out, inplace):
    if not inplace:
        return out
    from nbgrad.autograd.grad_mode import is_grad_enabled
    from nbgrad.ops.inplace import commit_inplace
    if input.requires_grad and input.grad_fn is None and is_grad_enabled():
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.")
    return commit_inplace(input, out)


_ = (relu, sigmoid, tanh)   # re-exported for nbgrad.nn.functional (see FUNCTIONAL)
