"""``nn.init``: fill a tensor in place, under ``no_grad``, with PyTorch's
initialisation distributions (``uniform_``, ``kaiming_uniform_``,
``orthogonal_`` ...) and its fan and gain rules (``calculate_gain``).

Samples come from ``generator=`` (an ``nb.Generator``) where PyTorch takes one,
else from the default generator of the tensor's device (``nb.manual_seed``):
PyTorch's distributions, not its exact numbers (see docs/random.md).
``orthogonal_`` orthonormalises with Gram-Schmidt in nbgrad ops (there is no
QR op), which gives the same distribution as PyTorch's sign-corrected QR.
"""

import math
import warnings

import nbgrad as nb

__all__ = [
    "calculate_gain",
    "constant_",
    "dirac_",
    "eye_",
    "kaiming_normal_",
    "kaiming_uniform_",
    "normal_",
    "ones_",
    "orthogonal_",
    "trunc_normal_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]

_LINEAR_FNS = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
               "conv_transpose3d")


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for `nonlinearity`: ``calculate_gain('tanh')`` is 5/3,
    ``calculate_gain('leaky_relu', 0.2)`` is sqrt(2 / (1 + 0.2**2))."""
    if nonlinearity in _LINEAR_FNS or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif (not isinstance(param, bool) and isinstance(param, int)) or isinstance(param, float):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _write(tensor, values):
    """Copy `values` into `tensor` without recording; returns `tensor`."""
    with nb.no_grad():
        tensor.copy_(values)
    return tensor


def _rand(tensor, generator):
    return nb.rand(*tensor.shape, dtype=tensor.dtype, device=tensor.device, generator=generator)


def _randn(tensor, generator):
    return nb.randn(*tensor.shape, dtype=tensor.dtype, device=tensor.device, generator=generator)


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with samples of U(a, b): ``nn.init.uniform_(w, -0.1, 0.1)``."""
    if tensor.numel() == 0:
        return tensor
    with nb.no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with samples of N(mean, std**2): ``nn.init.normal_(w, std=0.02)``."""
    if tensor.numel() == 0:
        return tensor
    with nb.no_grad():
        return tensor.normal_(mean, std, generator=generator)


def _norm_cdf(x):
    return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill with samples of N(mean, std**2) restricted to [a, b] (rejection
    sampling, as PyTorch): ``nn.init.trunc_normal_(w, std=0.02)``."""
    if (mean < a - 2 * std) or (mean > b + 2 * std):
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The "
                      "distribution of values may be incorrect.", stacklevel=2)
    if tensor.numel() == 0:
        return tensor
    with nb.no_grad():
        if _norm_cdf((b - mean) / std) - _norm_cdf((a - mean) / std) > 0.3:
            result = _randn(tensor, generator) * std + mean
            while True:   # redraw the samples outside [a, b]
                mask = (result < a) | (result > b)
                if not bool(mask.any()):
                    break
                result = nb.where(mask, _randn(tensor, generator) * std + mean, result)
        else:
            result = _trunc_by_uniform(tensor, mean, std, a, b, generator)
        return _write(tensor, result)


def _trunc_by_uniform(tensor, mean, std, a, b, generator):
    """A narrow [a, b]: uniform candidates accepted with probability pdf / peak."""
    mode = max(a, min(mean, b))
    log_peak = -0.5 * ((mode - mean) / std) ** 2

    def draw():
        cand = _rand(tensor, generator) * (b - a) + a
        log_pdf = ((cand - mean) / std) ** 2 * -0.5 - log_peak
        return cand, _rand(tensor, generator).log() > log_pdf

    result, pending = draw()
    while bool(pending.any()):
        cand, rejected = draw()
        result = nb.where(pending, cand, result)
        pending = pending & rejected
    return result


def constant_(tensor, val):
    """Fill with `val`: ``nn.init.constant_(b, 0.1)``."""
    with nb.no_grad():
        return tensor.fill_(val)


def ones_(tensor):
    """Fill with ones."""
    return constant_(tensor, 1.0)


def zeros_(tensor):
    """Fill with zeros."""
    with nb.no_grad():
        return tensor.zero_()


def eye_(tensor):
    """Fill a 2-D tensor with the identity matrix (ones on the main diagonal)."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _write(tensor, nb.eye(*tensor.shape, dtype=tensor.dtype, device=tensor.device))


def dirac_(tensor, groups=1):
    """Fill a 3-, 4- or 5-D convolution weight with the Dirac delta (identity convolution)."""
    dims = tensor.dim()
    if dims not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tensor.shape
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    per_group = sizes[0] // groups
    with nb.no_grad():
        tensor.zero_()
        centre = tuple(s // 2 for s in sizes[2:])
        for g in range(groups):
            for d in range(min(per_group, sizes[1])):
                tensor[(g * per_group + d, d) + centre] = 1
    return tensor


def _calculate_fan_in_and_fan_out(tensor):
    if tensor.dim() < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 "
                         "dimensions")
    receptive = 1
    for s in tensor.shape[2:]:
        receptive *= s
    return tensor.size(1) * receptive, tensor.size(0) * receptive


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    valid = ["fan_in", "fan_out"]
    if mode not in valid:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)) (Glorot)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = math.sqrt(3.0) * gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """N(0, std**2) with std = gain * sqrt(2 / (fan_in + fan_out)) (Glorot)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)), generator)


def _kaiming_std(tensor, a, mode, nonlinearity):
    return calculate_gain(nonlinearity, a) / math.sqrt(_calculate_correct_fan(tensor, mode))


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """U(-b, b) with b = gain * sqrt(3 / fan) (He): ``Linear``'s default weight
    init is ``kaiming_uniform_(w, a=math.sqrt(5))``."""
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """N(0, std**2) with std = gain / sqrt(fan) (He)."""
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
        return tensor
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), generator)


def _orthonormal_columns(a):
    """Q of a = QR with R's diagonal positive, for a tall (m, k) `a`, by Gram-Schmidt
    with a second orthogonalisation pass (stable to rounding for random `a`)."""
    m, k = a.shape
    q = nb.zeros(m, k, dtype=a.dtype, device=a.device)
    for j in range(k):
        v = a[:, j]
        if j:
            done = q[:, :j]
            for _ in range(2):
                v = v - done @ (done.t() @ v)
        q[:, j] = v / v.norm()
    return q


def orthogonal_(tensor, gain=1, generator=None):
    """Fill with a (semi-)orthogonal matrix (trailing dims flattened), scaled by
    `gain`: ``nn.init.orthogonal_(w)``."""
    if tensor.dim() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.size(0)
    cols = tensor.numel() // rows
    with nb.no_grad():
        flat = nb.randn(rows, cols, dtype=tensor.dtype, device=tensor.device,
                        generator=generator)
        if rows < cols:
            q = _orthonormal_columns(flat.t()).t()
        else:
            q = _orthonormal_columns(flat)
        return _write(tensor, (q * gain).reshape(tensor.shape))
