"""Pooling modules (``MaxPool1d/2d``, ``AvgPool1d/2d``, ``AdaptiveAvgPool1d/2d``)
with PyTorch's arguments and repr.  Their forward calls the functional form,
which calls the pool op of the same name (`nbgrad.ops.pool`)."""

from nbgrad.nn import functional as F
from nbgrad.nn.modules._settings import SettingsModule, named_values

__all__ = [
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AvgPool1d",
    "AvgPool2d",
    "MaxPool1d",
    "MaxPool2d",
]


class _MaxPoolNd(SettingsModule):
    _fn = None
    _settings = ("kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode")

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        stride = stride if stride is not None else kernel_size
        self._keep_settings(locals())

    def forward(self, input):
        return type(self)._fn(input, self.kernel_size, self.stride, self.padding, self.dilation,
                              ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def extra_repr(self):
        return named_values(self, ("kernel_size", "stride", "padding", "dilation", "ceil_mode"))


class MaxPool1d(_MaxPoolNd):
    """Maximum over windows of the last dim."""
    _fn = F.max_pool1d


class MaxPool2d(_MaxPoolNd):
    """Maximum over windows of the last two dims: ``nn.MaxPool2d(2)``."""
    _fn = F.max_pool2d


class _AvgPoolNd(SettingsModule):
    # AvgPool1d's settings; AvgPool2d adds divisor_override
    _settings = ("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad")

    def extra_repr(self):
        return named_values(self, ("kernel_size", "stride", "padding"))


class AvgPool1d(_AvgPoolNd):
    """Mean over windows of the last dim."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        def single(v):
            return tuple(v) if isinstance(v, (tuple, list)) else (v,)
        kernel_size, stride, padding = (single(kernel_size),
                                        single(stride if stride is not None else kernel_size),
                                        single(padding))
        self._keep_settings(locals())

    def forward(self, input):
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)


class AvgPool2d(_AvgPoolNd):
    """Mean over windows of the last two dims: ``nn.AvgPool2d(2)``."""

    _settings = (*_AvgPoolNd._settings, "divisor_override")

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        stride = stride if stride is not None else kernel_size
        self._keep_settings(locals())

    def forward(self, input):
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)


class _AdaptiveAvgPoolNd(SettingsModule):
    _fn = None
    _settings = ("output_size",)

    def __init__(self, output_size):
        self._keep_settings(locals())

    def forward(self, input):
        return type(self)._fn(input, self.output_size)


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """Mean over windows that give `output_size` along the last dim."""
    _fn = F.adaptive_avg_pool1d


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """Mean over windows that give `output_size`: ``nn.AdaptiveAvgPool2d((1, 1))``."""
    _fn = F.adaptive_avg_pool2d
