"""``LayerNorm`` and ``GroupNorm`` (weight ones, bias zeros), composed in
`nbgrad.nn.functional` from mean / var / rsqrt."""

import numbers

import nbgrad as nb
from nbgrad.nn import functional as F
from nbgrad.nn import init
from nbgrad.nn.modules._settings import keep_arguments
from nbgrad.nn.modules.module import Module
from nbgrad.nn.parameter import Parameter

__all__ = ["GroupNorm", "LayerNorm"]


def _affine_params(module, shape, affine, bias, dtype, device):
    if affine:
        module.weight = Parameter(nb.empty(shape, dtype=dtype, device=device))
        if bias:
            module.bias = Parameter(nb.empty(shape, dtype=dtype, device=device))
        else:
            module.register_parameter("bias", None)
    else:
        module.register_parameter("weight", None)
        module.register_parameter("bias", None)


def _reset_affine(module, affine):
    """The default affine parameters of the norm layers: weight ones, bias zeros."""
    if affine:
        init.ones_(module.weight)
        if module.bias is not None:
            init.zeros_(module.bias)


class _AffineNorm(Module):
    """LayerNorm and GroupNorm: the constructor's arguments named in `_settings` (the
    functional's argument after the input first, then ``eps`` and the affine flag)
    kept as attributes; weight (ones) and bias (zeros) when the affine flag is set;
    forward ``_fn(input, <first setting>, weight, bias, eps)``."""

    _fn = None
    _settings = ()

    def _init_affine(self, arguments, shape, bias, dtype, device):
        """After Module.__init__: the settings from the constructor's ``locals()``, the
        affine parameters of `shape` and their initial values."""
        keep_arguments(self, arguments, self._settings)
        _affine_params(self, shape, getattr(self, self._settings[-1]), bias, dtype, device)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_affine(self, getattr(self, self._settings[-1]))

    def forward(self, input):
        return type(self)._fn(input, getattr(self, self._settings[0]), self.weight, self.bias,
                              self.eps)

    def extra_repr(self):
        *sizes, eps, affine = self._settings
        return (", ".join(f"{getattr(self, name)}" for name in sizes) + f", eps={self.eps}, "
                f"{affine}={getattr(self, affine)}, bias={self.bias is not None}")


class LayerNorm(_AffineNorm):
    """Normalise over the last dims given by `normalized_shape`: ``nn.LayerNorm(64)``."""

    _fn, _settings = F.layer_norm, ("normalized_shape", "eps", "elementwise_affine")

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        normalized_shape = tuple(normalized_shape)
        self._init_affine(locals(), normalized_shape, bias, dtype, device)


class GroupNorm(_AffineNorm):
    """Normalise each of `num_groups` groups of channels: ``nn.GroupNorm(4, 32)``."""

    _fn, _settings = F.group_norm, ("num_groups", "num_channels", "eps", "affine")

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None,
                 dtype=None, *, bias=True):
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups "
                             f"({num_groups})")
        self._init_affine(locals(), num_channels, bias, dtype, device)
