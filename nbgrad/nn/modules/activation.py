"""Activation modules: one per activation of `nbgrad.nn.functional`, with
PyTorch's constructor arguments and ``extra_repr``.

Each module keeps its constructor arguments (its settings) under their own names
and passes them to its functional after the input; the ones without a setting
other than ``inplace`` are rows of a table."""

import warnings

from nbgrad.nn import functional as F
from nbgrad.nn import init
from nbgrad.nn.modules._settings import SettingsModule
from nbgrad.nn.modules.module import Module

__all__ = [
    "CELU",
    "ELU",
    "GELU",
    "GLU",
    "SELU",
    "Hardshrink",
    "Hardsigmoid",
    "Hardswish",
    "Hardtanh",
    "LeakyReLU",
    "LogSigmoid",
    "LogSoftmax",
    "Mish",
    "PReLU",
    "RReLU",
    "ReLU",
    "ReLU6",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Softmax2d",
    "Softmin",
    "Softplus",
    "Softshrink",
    "Softsign",
    "Tanh",
    "Tanhshrink",
    "Threshold",
]


class _Plain(SettingsModule):
    """An activation calling `_fn`: of the input alone, unless a subclass passes settings."""

    _fn = None

    def forward(self, input):
        return type(self)._fn(input)


class _Inplace(_Plain):
    """An activation whose only setting is ``inplace``."""

    _settings = ("inplace",)

    def __init__(self, inplace=False):
        self._keep_settings(locals())

    def forward(self, input):
        return type(self)._fn(input, inplace=self.inplace)


class _QuietInplace(_Inplace):
    """PyTorch's Hardsigmoid and Hardswish take ``inplace`` but never print it."""

    def extra_repr(self):
        return ""


class _DimModule(_Plain):
    """Softmax and its kin: a `dim` (None: PyTorch's legacy implicit choice, with a warning)."""

    _settings = ("dim",)

    def __init__(self, dim=None):
        self._keep_settings(locals())

    def forward(self, input):
        # the warning for dim=None points at the caller of the module
        return type(self)._fn(input, self.dim, _stacklevel=5)


def _declare(name, base, fn, doc):
    """The class a ``class name(base)`` statement here with `doc` and ``_fn = fn`` makes."""
    return type(name, (base,), {"__module__": __name__, "__qualname__": name, "__doc__": doc,
                                "_fn": fn})


# the activations that only differ in their functional: (name, base, functional, docstring)
_TABLE = (
    ("ReLU", _Inplace, F.relu, "max(x, 0)."),
    ("SiLU", _Inplace, F.silu, "x * sigmoid(x)."),
    ("Mish", _Inplace, F.mish, "x * tanh(softplus(x))."),
    ("SELU", _Inplace, F.selu, "scale * elu(x, alpha) with the self-normalising constants."),
    ("Hardsigmoid", _QuietInplace, F.hardsigmoid, "relu6(x + 3) / 6."),
    ("Hardswish", _QuietInplace, F.hardswish, "x * relu6(x + 3) / 6."),
    ("Sigmoid", _Plain, F.sigmoid, "1 / (1 + exp(-x))."),
    ("Tanh", _Plain, F.tanh, "tanh(x)."),
    ("LogSigmoid", _Plain, F.logsigmoid, "log(sigmoid(x))."),
    ("Softsign", _Plain, F.softsign, "x / (1 + |x|)."),
    ("Tanhshrink", _Plain, F.tanhshrink, "x - tanh(x)."),
    ("Softmin", _DimModule, F.softmin, "softmax(-x) over `dim`."),
    ("Softmax", _DimModule, F.softmax, "exp(x) / sum(exp(x)) over `dim`."),
    ("LogSoftmax", _DimModule, F.log_softmax, "log(softmax(x)) over `dim`, computed stably."),
)
(ReLU, SiLU, Mish, SELU, Hardsigmoid, Hardswish, Sigmoid, Tanh, LogSigmoid, Softsign, Tanhshrink,
 Softmin, Softmax, LogSoftmax) = [_declare(*row) for row in _TABLE]


class Threshold(SettingsModule):
    """x if x > threshold else value."""

    _settings = ("threshold", "value", "inplace")

    def __init__(self, threshold, value, inplace=False):
        self._keep_settings(locals())

    def forward(self, input):
        return F.threshold(input, self.threshold, self.value, self.inplace)


class RReLU(SettingsModule):
    """Randomised leaky ReLU: slopes from U(lower, upper) while training."""

    _settings = ("lower", "upper", "inplace")

    def __init__(self, lower=1.0 / 8, upper=1.0 / 3, inplace=False):
        self._keep_settings(locals())

    def forward(self, input):
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)


class Hardtanh(SettingsModule):
    """x limited to [min_val, max_val]."""

    _settings = ("min_val", "max_val", "inplace")

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False, min_value=None,
                 max_value=None):
        if min_value is not None:
            warnings.warn("keyword argument `min_value` is deprecated and renamed to `min_val`",
                          FutureWarning, stacklevel=2)
            min_val = min_value
        if max_value is not None:
            warnings.warn("keyword argument `max_value` is deprecated and renamed to `max_val`",
                          FutureWarning, stacklevel=2)
            max_val = max_value
        self._keep_settings(locals())
        if self.max_val <= self.min_val:
            raise AssertionError(f"max_val ({self.max_val}) must be greater than min_val "
                                 f"({self.min_val})")

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)


class ReLU6(Hardtanh):
    """min(max(x, 0), 6)."""

    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class ELU(SettingsModule):
    """x if x > 0 else alpha * (exp(x) - 1)."""

    _fn, _settings = F.elu, ("alpha", "inplace")

    def __init__(self, alpha=1.0, inplace=False):
        self._keep_settings(locals())

    def forward(self, input):
        return type(self)._fn(input, self.alpha, self.inplace)


class CELU(ELU):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""

    _fn = F.celu


class LeakyReLU(SettingsModule):
    """x if x > 0 else negative_slope * x."""

    _settings = ("negative_slope", "inplace")

    def __init__(self, negative_slope=1e-2, inplace=False):
        self._keep_settings(locals())

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope, self.inplace)


class GLU(SettingsModule):
    """a * sigmoid(b) for the halves a, b of the input along `dim`."""

    _settings = ("dim",)

    def __init__(self, dim=-1):
        self._keep_settings(locals())

    def forward(self, input):
        return F.glu(input, self.dim)


class GELU(SettingsModule):
    """x * Phi(x) (``approximate='tanh'``: the tanh approximation)."""

    _settings = ("approximate",)

    def __init__(self, approximate="none"):
        self._keep_settings(locals())

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Hardshrink(SettingsModule):
    """x if |x| > lambd else 0."""

    _fn, _settings = F.hardshrink, ("lambd",)

    def __init__(self, lambd=0.5):
        self._keep_settings(locals())

    def forward(self, input):
        return type(self)._fn(input, self.lambd)

    def extra_repr(self):
        return f"{self.lambd}"


class Softshrink(Hardshrink):
    """x - lambd above lambd, x + lambd below -lambd, else 0."""

    _fn = F.softshrink

    def extra_repr(self):
        return str(self.lambd)


class Softplus(SettingsModule):
    """log(1 + exp(beta x)) / beta, linear above `threshold`."""

    _settings = ("beta", "threshold")

    def __init__(self, beta=1.0, threshold=20.0):
        self._keep_settings(locals())

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)


class PReLU(Module):
    """x if x >= 0 else a * x with a learnt slope `a` (one, or one per channel)."""

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        import nbgrad as nb
        from nbgrad.nn.parameter import Parameter
        self.num_parameters = num_parameters
        super().__init__()
        self.init = init
        self.weight = Parameter(nb.empty(num_parameters, dtype=dtype, device=device))
        self.reset_parameters()

    def reset_parameters(self):
        init.constant_(self.weight, self.init)

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class Softmax2d(Module):
    """Softmax over the channels (dim -3) of (C, H, W) or (N, C, H, W) input."""

    def forward(self, input):
        if input.dim() not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.dim()}D "
                             "instead")
        return F.softmax(input, -3, _stacklevel=5)
