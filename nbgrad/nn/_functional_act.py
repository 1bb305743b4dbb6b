"""The activations of ``torch.nn.functional`` that nbgrad composes from its
elementwise ops (selu, celu, mish, softsign, logsigmoid, hardsigmoid,
hardswish, glu, softmin, prelu, rrelu, threshold and the shrinks), re-exported
by `nbgrad.nn.functional`.  Their gradients are those of the composition,
which equal PyTorch's away from the kinks."""

import nbgrad as nb
from nbgrad.tensor import Tensor

__all__ = [
    "bilinear",
    "celu",
    "glu",
    "hardshrink",
    "hardsigmoid",
    "hardswish",
    "logsigmoid",
    "mish",
    "prelu",
    "rrelu",
    "selu",
    "softmin",
    "softshrink",
    "softsign",
    "tanhshrink",
    "threshold",
]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _F():
    from nbgrad.nn import functional
    return functional


def _done(input, out, inplace):
    return _F()._inplace(input, out) if inplace else out


def selu(input, inplace=False):
    """scale * elu(x, alpha) with SELU's constants: ``F.selu(x)``."""
    return _done(input, _F().elu(input, _SELU_ALPHA) * _SELU_SCALE, inplace)


def celu(input, alpha=1.0, inplace=False):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1)): ``F.celu(x)``."""
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    return _done(input, _F().elu(input / alpha) * alpha, inplace)


def mish(input, inplace=False):
    """x * tanh(softplus(x)): ``F.mish(x)``."""
    return _done(input, input * _F().softplus(input).tanh(), inplace)


def softsign(input):
    """x / (1 + |x|): ``F.softsign(x)``."""
    return input / (input.abs() + 1)


def logsigmoid(input):
    """log(sigmoid(x)) = -softplus(-x), stable for any x: ``F.logsigmoid(x)``."""
    return -_F().softplus(-input)


def hardsigmoid(input, inplace=False):
    """relu6(x + 3) / 6: ``F.hardsigmoid(x)``."""
    return _done(input, _F().relu6(input + 3) / 6, inplace)


def hardswish(input, inplace=False):
    """x * relu6(x + 3) / 6: ``F.hardswish(x)``."""
    return _done(input, input * _F().relu6(input + 3) / 6, inplace)


def glu(input, dim=-1):
    """a * sigmoid(b), a and b the two halves of `input` along `dim`: ``F.glu(x)``."""
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    n = input.size(dim)
    if n % 2:
        d = dim + input.dim() if dim < 0 else dim
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {n}")
    a, b = input.split(n // 2, dim)
    return a * b.sigmoid()


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-x) over `dim`: ``F.softmin(x, dim=1)``."""
    F = _F()
    if dim is None:
        dim = F._softmax_dim("softmin", input.dim(), _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    return F.softmax(-input, dim)


def prelu(input, weight):
    """x if x >= 0 else weight * x, `weight` per channel (dim 1) or one value:
    ``F.prelu(x, nb.tensor([0.25]))``."""
    if not isinstance(weight, Tensor):
        raise TypeError(f"prelu(): argument 'weight' (position 2) must be Tensor, not "
                        f"{type(weight).__name__}")
    n = weight.numel()
    if n != 1:
        channels = input.size(1) if input.dim() >= 2 else (input.size(0) if input.dim() else 1)
        if input.dim() == 0 or channels != n:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found "
                               f"parameter numbers = {n} and channel size = {channels}.")
        shape = [1] * input.dim()
        shape[1 if input.dim() >= 2 else 0] = n
        weight = weight.reshape(shape)
    else:
        weight = weight.reshape([1] * input.dim()) if input.dim() else weight.reshape(())
    return nb.where(input >= 0, input, weight * input)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Leaky ReLU with a slope drawn from U(lower, upper) per element while
    training, the mean slope otherwise: ``F.rrelu(x)``."""
    if not training:
        return _F().leaky_relu(input, (lower + upper) / 2, inplace)
    slope = nb.rand(*input.shape, dtype=input.dtype, device=input.device) * (upper - lower)
    out = nb.where(input >= 0, input, input * (slope + lower))
    return _done(input, out, inplace)


def threshold(input, threshold, value, inplace=False):
    """x if x > threshold else value: ``F.threshold(x, 0.1, 20.0)``."""
    return _done(input, nb.where(input > threshold, input, value), inplace)


def tanhshrink(input):
    """x - tanh(x): ``F.tanhshrink(x)``."""
    return input - input.tanh()


def hardshrink(input, lambd=0.5):
    """x if |x| > lambd else 0: ``F.hardshrink(x)``."""
    return nb.where(input.abs() > lambd, input, 0.0)


def softshrink(input, lambd=0.5):
    """x - lambd above lambd, x + lambd below -lambd, else 0: ``F.softshrink(x)``."""
    if lambd < 0:
        import numpy as np
        name = {"float32": "Float", "float64": "Double"}.get(input.dtype.name, input.dtype.name)
        top = np.finfo(input.dtype.np).max if input.dtype.is_floating_point else 0
        raise RuntimeError(f"lambda must be in range [0, {top:g}] for input dtype {name}, but "
                           f"found {lambd:g}")
    return nb.where(input > lambd, input - lambd, nb.where(input < -lambd, input + lambd, 0.0))


def bilinear(input1, input2, weight, bias=None):
    """y_k = x1^T W_k x2 + b_k over any leading dims: ``F.bilinear(x1, x2, W, b)``
    with W (out, in1, in2)."""
    k, i, j = weight.shape
    if input1.shape[-1] != i or input2.shape[-1] != j:
        raise RuntimeError(f"bilinear(): input sizes {list(input1.shape)} and "
                           f"{list(input2.shape)} do not match weight {list(weight.shape)}")
    lead = tuple(input1.shape[:-1])
    x1 = input1.reshape(-1, i)
    x2 = input2.reshape(-1, j)
    # (N, i) @ (i, k*j) -> (N, k, j), then contract j with x2
    t = (x1 @ weight.permute(1, 0, 2).reshape(i, k * j)).reshape(-1, k, j)
    out = (t * x2.unsqueeze(1)).sum(-1).reshape(lead + (k,))
    return out if bias is None else out + bias
