"""Losses of ``torch.nn.functional`` that nbgrad composes from elementwise ops
and reductions (smooth_l1_loss, huber_loss, kl_div, soft_margin_loss,
poisson_nll_loss, gaussian_nll_loss, margin_ranking_loss, cosine_embedding_loss,
hinge_embedding_loss), re-exported by `nbgrad.nn.functional`."""

import math
import warnings

import nbgrad as nb

__all__ = [
    "cosine_embedding_loss",
    "gaussian_nll_loss",
    "hinge_embedding_loss",
    "huber_loss",
    "kl_div",
    "margin_ranking_loss",
    "poisson_nll_loss",
    "smooth_l1_loss",
    "soft_margin_loss",
]


def _F():
    from nbgrad.nn import functional
    return functional


def _prepare(name, input, target, size_average, reduce, reduction):
    F = _F()
    F._check_tensor(name, "input", input)
    F._check_tensor(name, "target", target)
    F._warn_target_size(input, target)
    return F._reduction(size_average, reduce, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 d**2 / beta where |d| < beta, else |d| - 0.5 beta (d = input - target);
    l1_loss when beta is 0: ``F.smooth_l1_loss(pred, y)``."""
    reduction = _prepare("smooth_l1_loss", input, target, size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    d = input - target
    a = d.abs()
    if beta == 0.0:
        return _F()._reduce(a, reduction)
    loss = nb.where(a < beta, d * d * (0.5 / beta), a - 0.5 * beta)
    return _F()._reduce(loss, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 d**2 where |d| < delta, else delta (|d| - 0.5 delta); `weight` weighs
    each element: ``F.huber_loss(pred, y, delta=2.0)``."""
    reduction = _prepare("huber_loss", input, target, None, None, reduction)
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    d = input - target
    a = d.abs()
    loss = nb.where(a < delta, d * d * 0.5, (a - 0.5 * delta) * delta)
    if weight is not None:
        if weight.shape != input.shape:
            raise ValueError("Weights and input must have the same size.")
        loss = loss * weight
    return _F()._reduce(loss, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """sum target * (log(target) - input) for log-probabilities `input` (a zero
    target adds 0); ``reduction='batchmean'`` divides by the batch size, the
    KL divergence's definition: ``F.kl_div(F.log_softmax(z, 1), p, reduction='batchmean')``."""
    F = _F()
    F._check_tensor("kl_div", "input", input)
    F._check_tensor("kl_div", "target", target)
    if size_average is not None or reduce is not None:
        reduction = F._legacy_reduction(size_average, reduce)
    else:
        if reduction == "mean":
            warnings.warn("reduction: 'mean' divides the total loss by both the batch size and "
                          "the support size.'batchmean' divides only by the batch size, and "
                          "aligns with the KL div math definition.'mean' will be changed to "
                          "behave the same as 'batchmean' in the next major release.",
                          UserWarning, stacklevel=2)
        if reduction != "batchmean":
            F._nn.check_reduction(reduction)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        # xlogy(t, t): 0 where t == 0, with no NaN in the gradient there
        safe = nb.where(target != 0, target, 1.0)
        loss = target * safe.log() - target * input
    if reduction == "batchmean":
        total = loss.sum()
        return total / input.size(0) if input.dim() != 0 else total
    return F._reduce(loss, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-y x)) for labels y in {-1, 1}: ``F.soft_margin_loss(x, y)``."""
    reduction = _prepare("soft_margin_loss", input, target, size_average, reduce, reduction)
    return _F()._reduce(_F().softplus(-target * input), reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """Poisson negative log-likelihood: exp(x) - y x (log_input) or x - y log(x + eps);
    `full` adds Stirling's term for y > 1."""
    F = _F()
    reduction = F._reduction(size_average, reduce, reduction)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        safe = nb.where(target > 1, target, 1.0)
        stirling = safe * safe.log() - safe + 0.5 * (2 * math.pi * safe).log()
        loss = loss + nb.where(target > 1, stirling, 0.0)
    return F._reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """0.5 (log(var) + (input - target)**2 / var) (+ 0.5 log(2 pi) with `full`);
    var is clamped at `eps` with the gradient of the unclamped var, as PyTorch."""
    if isinstance(var, float):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = nb.full(input.shape, var, dtype=input.dtype, device=input.device)
    elif bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    if var.shape != input.shape:
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (input.dim() == var.dim()
                  and sum(y for x, y in zip(input.shape, var.shape) if x != y) == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    clamped = var + (var.clamp_min(eps) - var).detach()
    loss = 0.5 * (clamped.log() + (input - target) ** 2 / clamped)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _F()._reduce(loss, reduction)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                        reduction="mean"):
    """max(0, -y (x1 - x2) + margin): ``F.margin_ranking_loss(a, b, y)``."""
    F = _F()
    reduction = F._reduction(size_average, reduce, reduction)
    return F._reduce((-target * (input1 - input2) + margin).clamp_min(0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """x where y == 1, max(0, margin - x) where y == -1."""
    F = _F()
    reduction = F._reduction(size_average, reduce, reduction)
    neg = nb.where(target == -1, (margin - input).clamp_min(0), 0.0)
    pos = nb.where(target == 1, input, 0.0)
    return F._reduce(pos + neg, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                          reduction="mean"):
    """1 - cos(x1, x2) where y == 1, max(0, cos(x1, x2) - margin) where y == -1."""
    F = _F()
    reduction = F._reduction(size_average, reduce, reduction)
    eps = 1e-12   # PyTorch's EPSILON in this loss
    dot = (input1 * input2).sum(-1)
    m1 = (input1 * input1).sum(-1) + eps
    m2 = (input2 * input2).sum(-1) + eps
    cos = dot / (m1 * m2).sqrt()
    pos = nb.where(target == 1, 1 - cos, 0.0)
    neg = nb.where(target == -1, (cos - margin).clamp_min(0), 0.0)
    return F._reduce(pos + neg, reduction)
