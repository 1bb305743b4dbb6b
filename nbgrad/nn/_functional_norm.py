"""Normalisation, embedding and padding forms of ``torch.nn.functional``
(layer_norm, batch_norm, group_norm, normalize, cosine_similarity, one_hot,
embedding, pad), composed from nbgrad's public ops and re-exported by
`nbgrad.nn.functional`.  Errors are PyTorch's, raised before any kernel runs."""

import nbgrad as nb
from nbgrad.tensor import Tensor

__all__ = [
    "batch_norm",
    "cosine_similarity",
    "embedding",
    "group_norm",
    "layer_norm",
    "normalize",
    "one_hot",
    "pad",
]


def _affine(out, weight, bias, shape):
    if weight is not None:
        out = out * weight.reshape(shape)
    if bias is not None:
        out = out + bias.reshape(shape)
    return out


def _standardize(x, dims, eps):
    mean = x.mean(dims, keepdim=True)
    var = x.var(dims, correction=0, keepdim=True)
    return (x - mean) * (var + eps).rsqrt()


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """(x - mean) / sqrt(var + eps) over the last len(normalized_shape) dims, then
    weight and bias: ``F.layer_norm(x, (8,))``."""
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    shape = list(normalized_shape)
    k = len(shape)
    if k == 0 or input.dim() < k or list(input.shape[input.dim() - k:]) != shape:
        raise RuntimeError(f"Given normalized_shape={shape}, expected input with shape "
                           f"[*, {', '.join(str(s) for s in shape)}], but got input of size"
                           f"{list(input.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and list(t.shape) != shape:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but "
                               f"got {name} of shape {list(t.shape)} and normalized_shape = "
                               f"{shape}")
    dims = tuple(range(input.dim() - k, input.dim()))
    return _affine(_standardize(input, dims, eps), weight, bias, shape)


def _channel_shape(input):
    return [1, input.shape[1]] + [1] * (input.dim() - 2)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Normalise each channel (dim 1) by the batch's statistics while `training`
    (and update the running ones in place: new = (1 - momentum) * old +
    momentum * batch, the variance unbiased), by the running ones otherwise."""
    if input.dim() < 2:
        raise ValueError(f"Expected 2D or higher input to batch_norm (got {input.dim()}D "
                         "input)")
    c = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")
    shape = _channel_shape(input)
    dims = (0,) + tuple(range(2, input.dim()))
    if training or running_mean is None or running_var is None:
        n = input.numel() // c if c else 0
        if training and n <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got "
                             f"input size {input.shape}")
        mean = input.mean(dims, keepdim=True)
        var = input.var(dims, correction=0, keepdim=True)
        if training and running_mean is not None:
            with nb.no_grad():
                running_mean.mul_(1 - momentum).add_(mean.reshape(c) * momentum)
        if training and running_var is not None:
            with nb.no_grad():
                unbiased = var.reshape(c) * (n / (n - 1))
                running_var.mul_(1 - momentum).add_(unbiased * momentum)
    else:
        mean = running_mean.reshape(shape)
        var = running_var.reshape(shape)
    out = (input - mean) * (var + eps).rsqrt()
    return _affine(out, weight, bias, shape)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise each group of num_channels / num_groups channels of every sample,
    then weight and bias per channel: ``F.group_norm(x, 2)``."""
    if input.dim() < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{input.dim()}")
    n, c = input.shape[0], input.shape[1]
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {list(input.shape)} and "
                           f"num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.dim() != 1 or t.numel() != c):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of "
                               f"channels in input, but got {name} of shape {list(t.shape)} "
                               f"and input of shape {list(input.shape)}")
    x = input.reshape(n, num_groups, -1)
    out = _standardize(x, (2,), eps).reshape(input.shape)
    return _affine(out, weight, bias, _channel_shape(input))


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """x / max(||x||_p, eps) along `dim`: ``F.normalize(v, dim=-1)``."""
    if out is not None:
        raise NotImplementedError("nbgrad.nn.functional.normalize: out= is not supported")
    return input / input.norm(p, dim, keepdim=True).clamp_min(eps)


def _clamped_norm(x, dim, eps):
    # PyTorch clamps the norm in place under no_grad: the value is clamped,
    # the gradient is the norm's
    n = x.norm(2, dim, keepdim=True)
    return n + (n.clamp_min(eps) - n).detach()


def _broadcast_shape(a, b):
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    out = []
    for i, (p, q) in enumerate(zip(a, b)):
        if p != q and 1 not in (p, q):
            raise RuntimeError(f"The size of tensor a ({p}) must match the size of tensor b "
                               f"({q}) at non-singleton dimension {i}")
        out.append(q if p == 1 else p)
    return tuple(out)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """sum(x1 / ||x1|| * x2 / ||x2||) along `dim`, each norm at least `eps`
    (broadcasting x1 against x2): ``F.cosine_similarity(a, b, dim=0)``."""
    for i, t in enumerate((x1, x2), 1):
        if not isinstance(t, Tensor):
            raise TypeError(f"cosine_similarity(): argument 'x{i}' (position {i}) must be "
                            f"Tensor, not {type(t).__name__}")
    shape = _broadcast_shape(x1.shape, x2.shape)
    x1, x2 = x1.expand(shape), x2.expand(shape)
    return ((x1 / _clamped_norm(x1, dim, eps)) * (x2 / _clamped_norm(x2, dim, eps))).sum(dim)


def one_hot(tensor, num_classes=-1):
    """int64 one-hot vectors along a new last dim: ``F.one_hot(nb.tensor([0, 2]), 3)``."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"one_hot(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(tensor).__name__}")
    if tensor.dtype is not nb.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if tensor.numel() == 0:
        if num_classes == -1:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
    else:
        if int(tensor.min()) < 0:
            raise RuntimeError("Class values must be non-negative.")
        if num_classes == -1:
            num_classes = int(tensor.max()) + 1
        elif int(tensor.max()) >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    classes = nb.arange(num_classes, device=tensor.device)
    return (tensor.unsqueeze(-1) == classes).long()


def _embedding_checks(input, weight, padding_idx):
    if not isinstance(input, Tensor) or input.dtype not in (nb.int64, nb.int32):
        name = input.type() if isinstance(input, Tensor) else type(input).__name__
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got {name} instead "
                           "(while checking arguments for embedding)")
    if weight.dim() != 2:
        raise RuntimeError("'weight' must be 2-D")
    if padding_idx is not None:
        n = weight.size(0)
        if padding_idx > 0 and padding_idx >= n:
            raise AssertionError("Padding_idx must be within num_embeddings")
        if padding_idx < 0:
            if padding_idx < -n:
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx += n
    return padding_idx


def _renorm_rows(weight, idx, max_norm, norm_type):
    """PyTorch's embedding_renorm_: rows used by `idx` with a norm above
    `max_norm` are scaled (in place) to max_norm."""
    with nb.no_grad():
        rows = weight.index_select(0, idx)
        norms = rows.norm(norm_type, 1, keepdim=True)
        scale = nb.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        weight[idx] = rows * scale


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """The rows of `weight` at the indices `input` (any shape): the output has
    shape input.shape + (embedding_dim,); the row `padding_idx` gets no gradient.
    ``F.embedding(nb.tensor([[0, 2]]), w)``."""
    padding_idx = _embedding_checks(input, weight, padding_idx)
    if scale_grad_by_freq or sparse:
        raise NotImplementedError("nbgrad.nn.functional.embedding: scale_grad_by_freq and "
                                  "sparse gradients are not implemented")
    idx = input.reshape(-1)
    if max_norm is not None:
        _renorm_rows(weight, idx, max_norm, norm_type)
    out = weight.index_select(0, idx)
    if padding_idx is not None and weight.requires_grad:
        keep = (idx != padding_idx).unsqueeze(1)
        out = nb.where(keep, out, out.detach())   # same values, no gradient to that row
    return out.reshape(tuple(input.shape) + (weight.size(1),))


def pad(input, pad, mode="constant", value=None):
    """Pad (or, with negative sizes, crop) the last len(pad) // 2 dims: `pad` is
    (last_left, last_right, second_last_left, ...).  ``F.pad(x, (1, 1), value=0.)``.
    Only mode 'constant' is implemented."""
    if mode != "constant":
        raise NotImplementedError(f"nbgrad.nn.functional.pad: mode {mode!r} is not "
                                  "implemented (only 'constant')")
    pad = list(pad)
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(pad) // 2 > input.dim():
        raise RuntimeError("Padding length should be less than or equal to two times the "
                           "input dimension but got padding length " + str(len(pad)) +
                           " and input of dimension " + str(input.dim()))
    value = 0 if value is None else value
    out = input
    for i in range(len(pad) // 2):
        out = _pad_dim(out, out.dim() - 1 - i, pad[2 * i], pad[2 * i + 1], value)
    return out


def _pad_dim(x, d, before, after, value):
    n = x.shape[d]
    if n + before + after < 0 or (n + min(before, 0) + min(after, 0)) < 0:
        raise RuntimeError(f"The input size {n}, plus negative padding {before} and {after} "
                           f"resulted in a negative output size, which is invalid. Check "
                           f"dimension {d} of your input.")
    lo, hi = max(-before, 0), n - max(-after, 0)
    if lo or hi != n:
        x = x[(slice(None),) * d + (slice(lo, max(hi, lo)),)]
    parts = []
    for size in (before, None, after):
        if size is None:
            parts.append(x)
        elif size > 0:
            shape = list(x.shape)
            shape[d] = size
            parts.append(nb.full(shape, value, dtype=x.dtype, device=x.device))
    return parts[0] if len(parts) == 1 else nb.cat(parts, d)
