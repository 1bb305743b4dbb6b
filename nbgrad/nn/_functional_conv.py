"""Convolution and pooling forms of ``torch.nn.functional`` (conv1d, conv2d,
max/avg pools, adaptive average pools), re-exported by `nbgrad.nn.functional`.

They normalise PyTorch's arguments, then call the op of the same name
(`nbgrad.ops.conv`: conv1d, conv2d; `nbgrad.ops.pool`: the pools) with
PyTorch's positional signature.  The ops check everything else and raise
PyTorch's errors before any kernel runs; they run on the CPU and on CUDA, with
gradients of any order.
"""

from nbgrad.ops.conv import _ints

__all__ = [
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "conv1d",
    "conv2d",
    "max_pool1d",
    "max_pool2d",
]


def _op(name):
    import nbgrad
    f = getattr(nbgrad, name, None)
    if f is None:
        f = nbgrad._REGISTRY.get(name)
    if f is None:   # a build without the op: say which, never compute by a stand-in
        raise NotImplementedError(
            f"nbgrad.nn.functional.{name}: the {name!r} op is not declared in this version of "
            f"nbgrad")
    return f


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution over (N, C_in, L) input with (C_out, C_in / groups, k) weight."""
    pad = padding if isinstance(padding, str) else _ints(padding, 1, "padding")
    return _op("conv1d")(input, weight, bias, _ints(stride, 1, "stride"), pad,
                         _ints(dilation, 1, "dilation"), groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution over (N, C_in, H, W) input with (C_out, C_in / groups, kh, kw) weight."""
    pad = padding if isinstance(padding, str) else _ints(padding, 2, "padding")
    return _op("conv2d")(input, weight, bias, _ints(stride, 2, "stride"), pad,
                         _ints(dilation, 2, "dilation"), groups)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Maximum over sliding windows of the last dim."""
    stride = kernel_size if stride is None or stride == [] else stride
    return _op("max_pool1d")(input, kernel_size, stride, padding, dilation, ceil_mode,
                             return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Maximum over sliding windows of the last two dims."""
    stride = kernel_size if stride is None or stride == [] else stride
    return _op("max_pool2d")(input, kernel_size, stride, padding, dilation, ceil_mode,
                             return_indices)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """Mean over sliding windows of the last dim."""
    stride = kernel_size if stride is None or stride == [] else stride
    return _op("avg_pool1d")(input, kernel_size, stride, padding, ceil_mode, count_include_pad)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Mean over sliding windows of the last two dims."""
    stride = kernel_size if stride is None or stride == [] else stride
    return _op("avg_pool2d")(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                             divisor_override)


def adaptive_avg_pool1d(input, output_size):
    """Mean over windows chosen to give `output_size` along the last dim."""
    return _op("adaptive_avg_pool1d")(input, output_size)


def adaptive_avg_pool2d(input, output_size):
    """Mean over windows chosen to give `output_size` over the last two dims."""
    return _op("adaptive_avg_pool2d")(input, output_size)
