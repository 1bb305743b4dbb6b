"""``torch.nn.functional`` names: activations, softmax / log_softmax, linear,
dropout and the losses, with PyTorch's signatures and defaults.

This module owns the PyTorch-facing argument handling: implicit softmax
dims, the legacy ``size_average`` / ``reduce`` arguments, ``inplace=``, and
the losses PyTorch itself composes (cross_entropy is log_softmax then
nll_loss; l1_loss and the weighted mse_loss are elementwise ops and a sum).
The ops are declared in `nbgrad.ops.nn` and `nbgrad.ops.linalg`; the
activations are elementwise ops (`nbgrad.ops.unary`, `nbgrad.ops.activation`)
looked up by name when called, their parameters passed positionally.

``inplace=True`` really writes into `input` (as PyTorch does): the result is
computed out of place, then committed into the input's buffer, which takes
over the result's place in the graph.  As in PyTorch, that is an error on a
leaf that requires grad, and an error at backward time if the op saved its
input for the gradient.

Further forms are composed from public ops in sibling modules and re-exported
at the end: activations (`nbgrad.nn._functional_act`), norms, embedding and
pad (`_functional_norm`), more losses (`_functional_loss`), and convolutions
and pools (`_functional_conv`, which call the ops once they are declared).
"""

import warnings

import nbgrad as _nbgrad   # its ops, read on use (the package is still importing now)
from nbgrad.ops import nn as _nn
from nbgrad.ops.addmm import addmm as _addmm
from nbgrad.ops.linalg import matmul as _matmul
from nbgrad.tensor import Tensor

__all__ = ["relu", "leaky_relu", "elu", "gelu", "silu", "softplus", "sigmoid", "tanh",
           "hardtanh", "relu6",
           "softmax", "log_softmax", "linear", "dropout", "mse_loss", "l1_loss", "nll_loss",
           "cross_entropy", "binary_cross_entropy", "binary_cross_entropy_with_logits"]


# -- helpers -----------------------------------------------------------------
def _op(name):
    """The op `name` (``nbgrad.<name>``, else the registry), looked up on use so
    that this module imports whichever ops exist."""
    f = getattr(_nbgrad, name, None)
    if f is None:
        f = _nbgrad._REGISTRY.get(name)
    if f is None:
        raise NotImplementedError(f"nbgrad.nn.functional.{name}: the {name!r} op is not "
                                  "declared in this version of nbgrad")
    return f


def _inplace(input, result):
    """Write `result` into `input` (``inplace=True``) and return `input`."""
    from nbgrad.autograd.grad_mode import is_grad_enabled
    from nbgrad.ops.inplace import commit_inplace
    if input.requires_grad and input.grad_fn is None and is_grad_enabled():
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation.")
    return commit_inplace(input, result)


def _legacy_reduction(size_average, reduce):
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if size_average and reduce else ("sum" if reduce else "none")
    warnings.warn(f"size_average and reduce args will be deprecated, please use "
                  f"reduction='{ret}' instead.", UserWarning, stacklevel=3)
    return ret


def _reduction(size_average, reduce, reduction):
    if size_average is not None or reduce is not None:
        return _legacy_reduction(size_average, reduce)
    _nn.check_reduction(reduction)
    return reduction


def _check_tensor(opname, name, t):
    if not isinstance(t, Tensor):
        raise TypeError(f"{opname}(): argument '{name}' (position 1) must be Tensor, not "
                        f"{type(t).__name__}")


def _warn_target_size(input, target):
    if target._data.shape != input._data.shape:
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input "
                      f"size ({input.shape}). This will likely lead to incorrect results due "
                      "to broadcasting. Please ensure they have the same size.", UserWarning,
                      stacklevel=3)


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


# -- activations -----------------------------------------------------------------
def relu(input, inplace=False):
    """max(x, 0) elementwise: ``F.relu(x)``."""
    out = _op("relu")(input)
    return _inplace(input, out) if inplace else out


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x if x > 0 else negative_slope * x: ``F.leaky_relu(x, 0.2)``."""
    out = _op("leaky_relu")(input, negative_slope)
    return _inplace(input, out) if inplace else out


def elu(input, alpha=1.0, inplace=False):
    """x if x > 0 else alpha * (exp(x) - 1): ``F.elu(x)``."""
    out = _op("elu")(input, alpha)
    return _inplace(input, out) if inplace else out


def gelu(input, approximate="none"):
    """x * Phi(x) (``approximate='tanh'``: the tanh approximation): ``F.gelu(x)``."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError(f"approximate argument must be either none or tanh. (got "
                           f"{approximate!r})")
    f = _op("gelu")
    return f(input) if approximate == "none" else f(input, approximate=approximate)


def silu(input, inplace=False):
    """x * sigmoid(x): ``F.silu(x)``."""
    out = _op("silu")(input)
    return _inplace(input, out) if inplace else out


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta x)) / beta, linear above `threshold`: ``F.softplus(x)``."""
    return _op("softplus")(input, beta, threshold)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """x limited to [min_val, max_val]: ``F.hardtanh(x)``."""
    from nbgrad.ops import activation
    if min_val > max_val:
        raise ValueError(f"min_val cannot be greater than max_val (hardtanh with "
                         f"min_val={min_val}, max_val={max_val})")
    return activation.hardtanh(input, min_val, max_val, inplace)


def relu6(input, inplace=False):
    """min(max(x, 0), 6): ``F.relu6(x)``."""
    from nbgrad.ops import activation
    return activation.relu6(input, inplace)


def sigmoid(input):
    """1 / (1 + exp(-x)): ``F.sigmoid(x)``."""
    return _op("sigmoid")(input)


def tanh(input):
    """The hyperbolic tangent: ``F.tanh(x)``."""
    return _op("tanh")(input)


# -- softmax, linear, dropout -------------------------------------------------------
def _softmax_dim(name, ndim, stacklevel):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", UserWarning, stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """Softmax over `dim`: ``F.softmax(logits, dim=-1)``.  Without `dim` it
    warns and picks PyTorch's legacy choice (0 for 0-, 1- and 3-D input, else 1)."""
    if dim is None:
        dim = _softmax_dim("softmax", input.dim(), _stacklevel)
    return _nn.softmax(input, dim, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """log(softmax(x)) over `dim`, computed stably: ``F.log_softmax(logits, dim=1)``."""
    if dim is None:
        dim = _softmax_dim("log_softmax", input.dim(), _stacklevel)
    return _nn.log_softmax(input, dim, dtype)


def linear(input, weight, bias=None):
    """input @ weight.T + bias over any leading dims: ``F.linear(x, W, b)`` with
    x (..., in), W (out, in), b (out,)."""
    _check_tensor("linear", "input", input)
    _check_tensor("linear", "weight", weight)
    if weight.dim() == 1 and input.dim() != 1 and bias is not None:
        # PyTorch: a 1-D weight is a matrix-vector product, but addmm needs a matrix
        raise RuntimeError(f"mat2 must be a matrix, got 1-D tensor (linear with weight of "
                           f"shape {list(weight.shape)} and a bias)")
    if weight.dim() > 2:
        raise RuntimeError(f"linear(): weight must be 1-D or 2-D, got shape "
                           f"{list(weight.shape)}")
    w = weight.t()
    if _one_addmm(input, weight, bias):
        # as PyTorch: one AddmmBackward0 node, the bias added into the product's buffer
        return _addmm(bias, input, w)
    if input.dim() > 2 and weight.dim() == 2:
        # one matrix product over the flattened leading dims
        lead = tuple(input.shape[:-1])
        out = _matmul(input.reshape(-1, input.shape[-1]), w)
        out = out.reshape(lead + (weight.shape[0],))
    else:
        out = _matmul(input, w)
    return out if bias is None else out + bias


def _one_addmm(input, weight, bias):
    """Whether F.linear is PyTorch's ``addmm(bias, input, weight.t())``: a 2-D input and
    weight that multiply, of one dtype with a bias that broadcasts to the result (any
    other case takes the general path, which raises PyTorch's errors)."""
    if bias is None or input.dim() != 2 or weight.dim() != 2 or bias.dim() > 2:
        return False
    if input.shape[1] != weight.shape[1] or not (input.dtype is weight.dtype is bias.dtype):
        return False
    out = (input.shape[0], weight.shape[0])
    return all(b in (1, o) for b, o in zip(reversed(bias.shape), reversed(out)))


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero elements with probability `p` and scale the rest by 1/(1-p) while
    `training`; the identity (the same tensor) otherwise.  The mask comes from
    the generator ``nb.manual_seed`` seeds: ``F.dropout(x, 0.1)``."""
    out = _nn.dropout(input, p, training)
    if inplace and out is not input:
        return _inplace(input, out)
    return out


# -- losses -------------------------------------------------------------------------
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Squared error, averaged by default: ``F.mse_loss(pred, target)``.

    `weight` (input's shape) weighs each element; 'mean' is then divided by
    ``weight.sum()``, as in PyTorch."""
    _check_tensor("mse_loss", "input", input)
    _check_tensor("mse_loss", "target", target)
    _warn_target_size(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    if weight is None:
        return _nn.mse_loss(input, target, reduction)
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = (input - target) ** 2 * weight
    return loss.sum() / weight.sum() if reduction == "mean" else _reduce(loss, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Absolute error, averaged by default: ``F.l1_loss(pred, target)``."""
    _check_tensor("l1_loss", "input", input)
    _check_tensor("l1_loss", "target", target)
    _warn_target_size(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    loss = (input - target).abs()
    if weight is None:
        return _reduce(loss, reduction)
    if weight.shape != input.shape:
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    return loss.sum() / weight.sum() if reduction == "mean" else _reduce(loss, reduction)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log-likelihood of class indices `target` under log-probabilities
    `input` ((C,), (N, C) or (N, C, d1, ...)): ``F.nll_loss(F.log_softmax(z, 1), t)``.
    'mean' divides by the total weight of the targets not equal to `ignore_index`."""
    reduction = _reduction(size_average, reduce, reduction)
    return _nn.nll_loss(input, target, weight, ignore_index, reduction)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100,
                  reduce=None, reduction="mean", label_smoothing=0.0):
    """log_softmax over the class dim (1, or 0 for 1-D input) then nll_loss:
    ``F.cross_entropy(logits, labels)``.

    `target` holds class indices (int64), or class probabilities (a floating
    tensor of input's shape).  `label_smoothing` mixes the target with the
    uniform distribution, as in PyTorch."""
    _check_tensor("cross_entropy", "input", input)
    _check_tensor("cross_entropy", "target", target)
    reduction = _reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                           f"{label_smoothing}")
    if input.dim() == 0:
        raise ValueError("Expected 1 or more dimensions (got 0)")
    class_dim = 0 if input.dim() == 1 else 1
    n_classes = input.shape[class_dim]
    if target.shape == input.shape and target.dtype.is_floating_point:
        _nn.check_same_device("cross_entropy", input, target, weight)
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing,
                                    class_dim, n_classes)
    if target.shape == input.shape:
        raise RuntimeError(f"Expected floating point type for target with class "
                           f"probabilities, got {_nn.scalar_name(target.dtype)}")
    # every check nll_loss makes, before the softmax kernel runs
    _nn.check_class_targets(input, target, weight, ignore_index, "nll_loss_forward")
    logp = _nn.log_softmax(input, class_dim)
    loss = _nn.nll_loss(logp, target, weight, ignore_index, reduction)
    if label_smoothing == 0.0:
        return loss
    from nbgrad.ops.binary import ne
    if weight is not None:
        bshape = [1] * input.dim()
        bshape[class_dim] = n_classes
        smooth = -(logp * weight.reshape(bshape)).sum(class_dim)
    else:
        smooth = -logp.sum(class_dim)
    smooth = smooth * ne(target, ignore_index)   # ignored targets add nothing
    if reduction == "mean":
        if weight is not None:
            denom = _nn.target_weight_sum(target, weight, ignore_index, n_classes, input.dtype)
        else:
            denom = _count_not_ignored(target, ignore_index)
        smooth = smooth.sum() / denom if denom else smooth.sum() * float("nan")
    elif reduction == "sum":
        smooth = smooth.sum()
    return (1 - label_smoothing) * loss + smooth * (label_smoothing / n_classes)


def _count_not_ignored(target, ignore_index):
    from nbgrad.ops.binary import ne
    return int(ne(target, ignore_index).sum())


def _cross_entropy_probs(input, target, weight, reduction, label_smoothing, class_dim,
                         n_classes):
    if weight is not None and (weight.dim() != 1 or weight.shape[0] != n_classes):
        raise RuntimeError(f"weight tensor should be defined either for all {n_classes} "
                           f"classes or no classes but got weight tensor of shape: "
                           f"{list(weight.shape)}")
    logp = _nn.log_softmax(input, class_dim)
    if label_smoothing > 0.0:
        target = target * (1 - label_smoothing) + label_smoothing / n_classes
    prod = logp * target
    if weight is not None:
        bshape = [1] * input.dim()
        bshape[class_dim] = n_classes
        prod = prod * weight.reshape(bshape)
    if reduction == "mean":
        # PyTorch divides by the number of samples (input.numel() / C), not by weights
        return -prod.sum() / (input.numel() // n_classes if n_classes else 0)
    if reduction == "sum":
        return -prod.sum()
    return -prod.sum(class_dim)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """-w (t log(p) + (1 - t) log(1 - p)) for probabilities p (logs clamped at
    -100): ``F.binary_cross_entropy(nb.sigmoid(z), t)``."""
    reduction = _reduction(size_average, reduce, reduction)
    return _nn.binary_cross_entropy(input, target, weight, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,
                                     reduce=None, reduction="mean", pos_weight=None):
    """binary_cross_entropy(sigmoid(z), t), stable for any logits z; `pos_weight`
    weighs the positive examples: ``F.binary_cross_entropy_with_logits(z, t)``."""
    reduction = _reduction(size_average, reduce, reduction)
    return _nn.binary_cross_entropy_with_logits(input, target, weight, reduction, pos_weight)


# -- forms composed in sibling modules (imported last: they use the helpers above) --
from nbgrad.nn import (  # noqa: E402
    _functional_act, _functional_conv, _functional_loss, _functional_norm)

for _module in (_functional_act, _functional_conv, _functional_loss, _functional_norm):
    for _name in _module.__all__:
        globals()[_name] = getattr(_module, _name)
    __all__ += _module.__all__
del _module, _name
