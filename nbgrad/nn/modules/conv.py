"""``Conv1d`` / ``Conv2d``: parameters, PyTorch's default initialisation
(``kaiming_uniform_(a=sqrt(5))``, bias U(-1/sqrt(fan_in), 1/sqrt(fan_in))),
argument checks and repr.  The forward calls ``F.conv1d`` / ``F.conv2d`` (the
``conv1d`` / ``conv2d`` ops of `nbgrad.ops.conv`); a padding_mode other than
'zeros' pads with ``F.pad`` first."""

from nbgrad.nn import functional as F
from nbgrad.nn.modules._settings import keep_arguments
from nbgrad.nn.modules.linear import kaiming_reset, weight_and_bias
from nbgrad.nn.modules.module import Module

__all__ = ["Conv1d", "Conv2d"]


_PADDING_STRINGS = {"same", "valid"}
_PADDING_MODES = {"zeros", "reflect", "replicate", "circular"}


def _ntuple(x, n):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,) * n


def _check_conv(in_channels, out_channels, stride, padding, groups, padding_mode):
    if groups <= 0:
        raise ValueError("groups must be a positive integer")
    if in_channels % groups != 0:
        raise ValueError("in_channels must be divisible by groups")
    if out_channels % groups != 0:
        raise ValueError("out_channels must be divisible by groups")
    if isinstance(padding, str):
        if padding not in ("same", "valid"):
            raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                             f"{_PADDING_STRINGS}")
        if padding == "same" and any(s != 1 for s in stride):
            raise ValueError("padding='same' is not supported for strided convolutions")
    if padding_mode not in ("zeros", "reflect", "replicate", "circular"):
        raise ValueError(f"padding_mode must be one of {_PADDING_MODES}, but got "
                         f"padding_mode='{padding_mode}'")


class _ConvNd(Module):
    _n = 0
    _fn = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, padding_mode="zeros", device=None,
                 dtype=None):
        super().__init__()
        n = self._n
        kernel_size, stride, dilation = (_ntuple(kernel_size, n), _ntuple(stride, n),
                                         _ntuple(dilation, n))
        if not isinstance(padding, str):
            padding = _ntuple(padding, n)
        _check_conv(in_channels, out_channels, stride, padding, groups, padding_mode)
        transposed, output_padding = False, (0,) * n
        keep_arguments(self, locals(), ("in_channels", "out_channels", "kernel_size", "stride",
                                        "padding", "dilation", "transposed", "output_padding",
                                        "groups", "padding_mode"))
        self._reversed_padding_repeated_twice = self._reversed_padding()
        weight_and_bias(self, (out_channels, in_channels // groups, *kernel_size), bias, dtype,
                        device)
        self.reset_parameters()

    def _reversed_padding(self):
        """F.pad's argument for a padding_mode other than 'zeros' (last dim first)."""
        if not isinstance(self.padding, str):
            return [p for p in reversed(self.padding) for _ in range(2)]
        out = [0, 0] * len(self.kernel_size)
        if self.padding == "same":
            for i, (d, k) in enumerate(zip(reversed(self.dilation), reversed(self.kernel_size))):
                total = d * (k - 1)
                out[2 * i], out[2 * i + 1] = total // 2, total - total // 2
        return out

    def reset_parameters(self):
        kaiming_reset(self)

    def forward(self, input):
        fn = type(self)._fn
        if self.padding_mode != "zeros":
            padded = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return fn(padded, self.weight, self.bias, self.stride, 0, self.dilation,
                      self.groups)
        return fn(input, self.weight, self.bias, self.stride, self.padding, self.dilation,
                  self.groups)

    def extra_repr(self):
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * len(self.padding):
            s += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * len(self.output_padding):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv1d(_ConvNd):
    """1-D convolution over (N, C_in, L): ``nn.Conv1d(16, 33, 3, stride=2)``."""
    _n = 1
    _fn = F.conv1d


class Conv2d(_ConvNd):
    """2-D convolution over (N, C_in, H, W): ``nn.Conv2d(1, 16, 3, padding=1)``."""
    _n = 2
    _fn = F.conv2d
