"""``Identity``, ``Linear`` and ``Bilinear`` with PyTorch's default
initialisation: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias
(``kaiming_uniform_(a=sqrt(5))`` for Linear's weight)."""

import math

import nbgrad as nb
from nbgrad.nn import functional as F
from nbgrad.nn import init
from nbgrad.nn.modules.module import Module
from nbgrad.nn.parameter import Parameter

__all__ = ["Bilinear", "Identity", "Linear"]


def weight_and_bias(module, weight_shape, bias, dtype, device):
    """Uninitialised ``module.weight`` of `weight_shape` and ``module.bias`` of its
    first dim (registered as None without `bias`): Linear's, Bilinear's and conv's."""
    module.weight = Parameter(nb.empty(weight_shape, dtype=dtype, device=device))
    if bias:
        module.bias = Parameter(nb.empty(weight_shape[0], dtype=dtype, device=device))
    else:
        module.register_parameter("bias", None)


def kaiming_reset(module):
    """PyTorch's default init of Linear and conv: ``kaiming_uniform_(a=sqrt(5))`` for the
    weight, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the bias."""
    init.kaiming_uniform_(module.weight, a=math.sqrt(5))
    if module.bias is not None:
        fan_in, _ = init._calculate_fan_in_and_fan_out(module.weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        init.uniform_(module.bias, -bound, bound)


class Identity(Module):
    """Returns its input; its arguments are accepted and ignored."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """y = x W^T + b: ``nn.Linear(20, 30)`` maps (*, 20) to (*, 30)."""

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        weight_and_bias(self, (out_features, in_features), bias, dtype, device)
        self.reset_parameters()

    def reset_parameters(self):
        kaiming_reset(self)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Bilinear(Module):
    """y = x1^T A x2 + b: ``nn.Bilinear(20, 30, 40)``."""

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None,
                 dtype=None):
        super().__init__()
        self.in1_features = in1_features
        self.in2_features = in2_features
        self.out_features = out_features
        weight_and_bias(self, (out_features, in1_features, in2_features), bias, dtype, device)
        self.reset_parameters()

    def reset_parameters(self):
        if self.in1_features <= 0:
            raise ValueError(f"in1_features must be > 0, but got (in1_features="
                             f"{self.in1_features})")
        bound = 1 / math.sqrt(self.weight.size(1))
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
