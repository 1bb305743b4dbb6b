"""Neural-network ops behind `nbgrad.nn.functional`: softmax, log_softmax,
dropout, nll_loss and the fused losses mse_loss, binary_cross_entropy and
binary_cross_entropy_with_logits.

Forward kernels live in the `nn` module of the backend of the tensors' device
(`nbgrad.backends.cpu.nn`, `nbgrad.backends.cuda.nn`).  Each backward rule is
written with nbgrad ops so that it is differentiable again; softmax,
log_softmax and nll_loss also have a fused backward kernel, used when no
graph of the backward pass is being recorded.  The PyTorch-facing argument
handling (legacy ``size_average``/``reduce``, implicit softmax dims, loss
compositions such as cross_entropy) is in `nbgrad.nn.functional`.
"""

import math

import numpy as np

from nbgrad import _dtypes, _random
from nbgrad.autograd import grad_mode
from nbgrad.backends import cpu, dispatch
from nbgrad.ops.argcheck import check_same_device, check_scalar_type, require_tensor, scalar_name
from nbgrad.ops.elementwise import broadcast_shapes
from nbgrad.ops.registry import op, tensor_method
from nbgrad.tensor import Tensor, _wrap_dim

__all__ = ["softmax", "log_softmax", "dropout"]

REDUCTIONS = ("none", "mean", "sum")


def check_reduction(reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _check_half(opname, dtype):
    # Numba has no float16 arithmetic: say so before any kernel is compiled
    if dtype.name == "float16":
        raise NotImplementedError(f"\"{opname}\" not implemented for 'Half': the CPU kernels "
                                  "run in float32 and float64")


def _contiguous(a, dtype=None):
    """`a` as a C-contiguous array of `dtype` (copied by a kernel when needed)."""
    b = dispatch.backend_for(a)
    d = a.dtype if dtype is None else dtype.np
    return a if b.is_contiguous(a) and a.dtype == d else b.cast(a, d)


def _flat(a, dtype, shape):
    """`a` broadcast to `shape` as a flat contiguous array of `dtype`."""
    b = dispatch.backend_for(a)
    if tuple(a.shape) != tuple(shape):
        a = b.broadcast_to(a, shape)
    c = _contiguous(a, dtype)
    return b.reshape(c, (c.size,))


def _grad_like(g, dtype):
    return g if g.dtype is dtype else g.to(dtype)


def _keep(ctx, array, dtype, device):
    """Save a buffer the op made (an output, a mask) so that it is freed after
    backward and a second backward raises, as saved tensors do."""
    ctx.save_for_backward(Tensor._make(array, dtype, device))





# -- softmax and log_softmax ---------------------------------------------------
_ndarray = np.ndarray
_KERNEL_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))   # host arrays' kernel dtypes


def _canonical(a, dim):
    """(A, R, B) shape that reduces axis `dim` of an array of a.shape."""
    shape = tuple(a.shape)
    return (math.prod(shape[:dim]), shape[dim] if shape else 1, math.prod(shape[dim + 1:]))


def _softmax_forward(ctx, x, dim, log):
    a = x._data
    if a.__class__ is _ndarray and a.dtype in _KERNEL_FLOATS and a.flags.c_contiguous and \
            dim.__class__ is int:   # the common case: none of the checks and wrappers below
        d = _wrap_dim(dim, a.ndim, "log_softmax" if log else "softmax")
        out = np.empty(a.shape, a.dtype)
        if out.size:
            shape3 = _canonical(a, d)
            cpu.nn.softmax(a.reshape(shape3), out.reshape(shape3), log)
        ctx.dim, ctx.log = d, log
        if ctx.needs_input_grad:
            _keep(ctx, out, x.dtype, x.device)
        return out
    name = "log_softmax" if log else "softmax"
    _check_half(name, x.dtype)
    if not x.dtype.is_floating_point:
        raise NotImplementedError(f"\"{name}_lastdim_kernel_impl\" not implemented for "
                                  f"'{scalar_name(x.dtype)}'")
    a = x._data
    d = _wrap_dim(dim, a.ndim, name)
    b = dispatch.backend(x.device)
    out = b.empty(tuple(a.shape), a.dtype)
    if out.size:
        shape3 = _canonical(a, d)
        b.nn.softmax(b.reshape(_contiguous(a), shape3), b.reshape(out, shape3), log)
    ctx.dim = d
    ctx.log = log
    if ctx.needs_input_grad:
        _keep(ctx, out, x.dtype, x.device)
    return out


def _softmax_backward(ctx, g):
    (out,) = ctx.saved_tensors
    g = _grad_like(g, out.dtype)
    gd = g._data
    if not grad_mode._state.enabled and gd.__class__ is _ndarray and gd.flags.c_contiguous:
        gx = np.empty(gd.shape, gd.dtype)   # the common case, as the forward's
        if gx.size:
            shape3 = _canonical(gx, ctx.dim)
            cpu.nn.softmax_backward(gd.reshape(shape3), out._data.reshape(shape3),
                                    gx.reshape(shape3), ctx.log)
        return Tensor._make(gx, out.dtype, g.device)
    if not grad_mode.is_grad_enabled():
        b = dispatch.backend(g.device)
        gx = b.empty(tuple(out._data.shape), out.dtype.np)
        if gx.size:
            shape3 = _canonical(gx, ctx.dim)
            r = b.reshape
            b.nn.softmax_backward(r(_contiguous(g._data), shape3), r(out._data, shape3),
                                  r(gx, shape3), ctx.log)
        return Tensor._make(gx, out.dtype, g.device)
    # create_graph: the output as a tensor of this very node, so that the
    # recorded backward is differentiable in the input too
    o = Tensor._make(out._data, out.dtype, g.device)
    o._requires_grad = True
    o.grad_fn = ctx
    if ctx.log:
        return g - o.exp() * g.sum(ctx.dim, keepdim=True)
    return o * (g - (g * o).sum(ctx.dim, keepdim=True))


@op("softmax", node="SoftmaxBackward0")
def _softmax(ctx, x, dim):
    return _softmax_forward(ctx, x, dim, False)


@op("log_softmax", node="LogSoftmaxBackward0")
def _log_softmax(ctx, x, dim):
    return _softmax_forward(ctx, x, dim, True)


_softmax.backward(_softmax_backward)
_log_softmax.backward(_softmax_backward)


def softmax(input, dim, dtype=None):
    """exp(x) / exp(x).sum(dim), computed stably: ``nb.softmax(x, dim=1)``.

    `dtype`: cast the input to it first (e.g. ``nb.float64``)."""
    if dtype is not None:
        input = input.to(dtype)
    return _softmax(input, dim)


def log_softmax(input, dim, dtype=None):
    """log(softmax(x, dim)), computed stably: ``nb.log_softmax(x, dim=1)``."""
    if dtype is not None:
        input = input.to(dtype)
    return _log_softmax(input, dim)


@tensor_method("softmax")
def _softmax_method(self, dim, dtype=None):
    return softmax(self, dim, dtype)


@tensor_method("log_softmax")
def _log_softmax_method(self, dim, dtype=None):
    return log_softmax(self, dim, dtype)


# -- dropout -------------------------------------------------------------------
@op("dropout", node="MulBackward0")
def _dropout(ctx, x, p):
    a = _contiguous(x._data)
    b = dispatch.backend(x.device)
    out = b.empty_like(a)
    mask = b.empty_like(a)
    if out.size:
        scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
        n = (a.size,)
        r = b.reshape
        seed, offset = _random.default_generator_for(x.device)._take(a.size)
        b.nn.dropout(r(a, n), r(out, n), r(mask, n), float(p), scale, seed, offset)
    if ctx.needs_input_grad:
        _keep(ctx, mask, x.dtype, x.device)
    return out


@_dropout.backward
def _dropout_backward(ctx, g):
    (mask,) = ctx.saved_tensors
    return _grad_like(g, mask.dtype) * mask


def dropout(input, p, train):
    """Zero each element with probability `p` and scale the rest by 1/(1-p)
    when `train`; the random numbers come from the device's default generator
    (``nb.manual_seed`` seeds it).  ``nb.dropout(x, 0.5, True)``."""
    if p < 0 or p > 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not train or p == 0 or input._data.size == 0:
        return input
    _check_half("dropout", input.dtype)
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"result type Float can't be cast to the desired output type "
                           f"{scalar_name(input.dtype)} (dropout of a {input.dtype!r} tensor)")
    return _dropout(input, p)


# -- negative log-likelihood -----------------------------------------------------
def check_class_targets(input, target, weight, ignore_index, opname="nll_loss"):
    """Validate an (N, C, d...) input, class-index target and weight as
    PyTorch does; returns (N, C, D) and the target as an (N, D) int64 array."""
    require_tensor(opname, input, "input"), require_tensor(opname, target, "target")
    xs, ts = tuple(input._data.shape), tuple(target._data.shape)
    if len(xs) == 0:
        raise ValueError("Expected 1 or more dimensions (got 0)")
    # PyTorch's order: batch size, then target shape, then dtypes
    n = xs[0] if len(xs) > 1 else 1
    n_target = ts[0] if ts else (0 if len(xs) > 1 else 1)
    if n != n_target:
        raise ValueError(f"Expected input batch_size ({n}) to match target batch_size "
                         f"({n_target}).")
    if len(xs) <= 2 and len(ts) > 1:
        raise RuntimeError("0D or 1D target tensor expected, multi-target not supported "
                           f"({opname} of input {list(xs)} and target {list(ts)})")
    if len(xs) > 2 and ts != xs[:1] + xs[2:]:
        raise RuntimeError(f"Expected target size {list(xs[:1] + xs[2:])}, got {list(ts)}")
    _check_class_devices(input, target, weight)
    if target.dtype.name not in ("int64", "uint8"):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                           f"{scalar_name(target.dtype)}")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"{opname}\" not implemented for "
                                  f"'{scalar_name(input.dtype)}'")
    _check_half(opname, input.dtype)
    C = xs[1] if len(xs) > 1 else xs[0]
    if weight is not None:
        require_tensor(opname, weight, "weight")
        if weight._data.ndim != 1 or weight._data.shape[0] != C:
            raise RuntimeError(f"weight tensor should be defined either for all {C} classes or "
                               f"no classes but got weight tensor of shape: "
                               f"{list(weight._data.shape)}")
        check_scalar_type(input.dtype, weight.dtype)
        _check_not_differentiated(opname, "weight", weight)
    N = xs[0] if len(xs) > 1 else 1
    D = math.prod(xs[2:])
    b = dispatch.backend(target.device)
    t2 = b.reshape(_contiguous(target._data, _dtypes.int64), (N, D))
    if t2.size:
        bad, value = b.nn.class_targets_bad(b.reshape(t2, (t2.size,)), C, int(ignore_index))
        if bad:
            raise IndexError(f"Target {value} is out of bounds.")
    return (N, C, D), t2


def _check_class_devices(input, target, weight):
    """nll_loss's arguments (target, then weight) on input's device, before any
    kernel runs; for a CUDA input in the words of PyTorch's CUDA kernel wrapper."""
    if input.device.type != "cuda":
        return check_same_device("nll_loss", input, target, weight)
    kernel = "nll_loss2d_forward" if input._data.ndim > 2 else "nll_loss_forward"
    for name, t in (("target", target), ("weight", weight)):
        if isinstance(t, Tensor) and t.device != input.device:
            raise RuntimeError(
                f"Expected all tensors to be on the same device, but got {name} is on "
                f"{t.device}, different from other tensors on {input.device} (when checking "
                f"argument in method wrapper_CUDA_{kernel})")


def _weights(weight, C, dtype, like):
    if weight is not None:
        return _contiguous(weight._data, dtype)
    b = dispatch.backend_for(like)
    return b.fill(b.empty((C,), dtype.np), 1)


def target_weight_sum(target, weight, ignore_index, C, dtype):
    """The total weight of the targets that count (the 'mean' denominator)."""
    t = _contiguous(target._data, _dtypes.int64)
    b = dispatch.backend(target.device)
    t2 = b.reshape(t, (t.size,))
    w = _weights(weight, C, dtype, t2)
    return b.nn.target_weight_sum(t2, w, int(ignore_index))


@op("nll_loss", node="NllLossBackward0")
def nll_loss(ctx, input, target, weight=None, ignore_index=-100, reduction="mean"):
    """The negative log-likelihood of class-index targets given log-probabilities
    `input` of shape (C,), (N, C) or (N, C, d1, ...): ``nb.nll_loss(logp, t)``."""
    check_reduction(reduction)
    (N, C, D), t2 = check_class_targets(input, target, weight, ignore_index)
    dtype = input.dtype
    b = dispatch.backend(input.device)
    x3 = b.reshape(_contiguous(input._data), (N, C, D))
    w = _weights(weight, C, dtype, x3)
    losses = b.empty((N, D), dtype.np)
    total, wsum = b.nn.nll(x3, t2, w, int(ignore_index), losses)
    ctx.args = (tuple(input._data.shape), (N, C, D), w, int(ignore_index), reduction,
                1.0 / wsum if reduction == "mean" and wsum else
                (math.nan if reduction == "mean" else 1.0))
    if ctx.needs_input_grad:
        ctx.save_for_backward(target)
        ctx.watch(weight)   # read at backward as `w` (ctx.args)
    if reduction == "none":
        return b.reshape(losses, tuple(target._data.shape))
    return b.nn.reduced_loss(total, wsum, reduction, dtype.np)


@nll_loss.backward
def nll_loss_backward(ctx, g):
    (target,) = ctx.saved_tensors
    shape, (N, C, D), w, ignore_index, reduction, scale = ctx.args
    dtype = _dtypes.from_numpy_dtype(w.dtype)
    g = _grad_like(g, dtype)
    b = dispatch.backend(g.device)
    t2 = b.reshape(_contiguous(target._data, _dtypes.int64), (N, D))
    gx = b.empty((N, C, D), dtype.np)
    record = grad_mode.is_grad_enabled()
    if reduction == "none" and not record:
        g2 = b.reshape(_contiguous(g._data), (N, D))
    elif record:
        g2 = b.fill(b.empty((1, 1), dtype.np), 1)
    else:
        g2 = b.reshape(_contiguous(g._data), (1, 1))
    if gx.size:
        b.nn.nll_backward(t2, w, ignore_index, g2, scale, gx)
    gx = Tensor._make(gx, dtype, g.device)
    if record:   # gx is linear in g: coefficients times g, recorded
        gx = gx * (g.reshape(N, 1, D) if reduction == "none" else g)
    extra = (None,) * (len(ctx.needs_input_grad) - 1)
    return (gx.reshape(shape),) + extra


# -- fused elementwise losses ------------------------------------------------------
@op("mse_loss", node="MseLossBackward0")
def mse_loss(ctx, input, target, reduction="mean"):
    """The (mean, summed or elementwise) squared error: ``nb.nn.functional.mse_loss(y, t)``."""
    check_reduction(reduction)
    _check_pair("mse_loss", input, target)
    dtype = _dtypes.result_type(input, target)
    if not dtype.is_floating_point:
        raise NotImplementedError(f"\"mse_cpu\" not implemented for '{scalar_name(dtype)}'")
    _check_half("mse_loss", dtype)
    shape = broadcast_shapes("mse_loss", tuple(input._data.shape), tuple(target._data.shape))
    operands = (_flat(input._data, dtype, shape), _flat(target._data, dtype, shape))
    return _loss_forward(ctx, "mse", input, target, operands, (), shape, reduction, dtype)


def _loss_forward(ctx, kernel, input, target, operands, constants, shape, reduction, dtype):
    """An elementwise loss by the backend's nn `kernel` over the flat `operands` (x, t,
    weights): the loss of each element, or their mean or sum; saves input and target
    (and the weight tensors `constants`, watched) for the backward."""
    b = dispatch.backend(input.device)
    n = math.prod(shape)
    out = b.empty((n if reduction == "none" else 0,), dtype.np)
    total = getattr(b.nn, kernel)(*operands, out)
    ctx.args = (reduction, n, *constants)
    if ctx.needs_input_grad:
        ctx.save_for_backward(input, target)
        if constants:
            ctx.watch(*constants)
    return b.reshape(out, shape) if reduction == "none" else \
        b.nn.reduced_loss(total, n, reduction, dtype.np)


@mse_loss.backward
def mse_loss_backward(ctx, g):
    x, t = ctx.saved_tensors
    reduction, n = ctx.args
    gx = (x - t) * (g * (2.0 / n if reduction == "mean" and n else 2.0))
    need_x, need_t = ctx.needs_input_grad
    return (gx if need_x else None, -gx if need_t else None)


def _check_pair(opname, input, target):
    require_tensor(opname, input, "input"), require_tensor(opname, target, "target")
    check_same_device(opname, input, target)


def _check_not_differentiated(opname, name, t):
    """RuntimeError where `t` would want a gradient PyTorch does not compute
    (argument `name` of `opname`: a class weight, a constant)."""
    if t.requires_grad and grad_mode.is_grad_enabled():
        raise RuntimeError(f"The function '{opname}' is not differentiable with respect to "
                           f"argument '{name}'. This input cannot have requires_grad True.")


def _check_constant(opname, name, t, shape, dtype, input):
    """A weight-like argument: broadcastable to `shape`, never differentiated.
    Returns it as a flat contiguous array (empty for None) and as a tensor of
    `shape` (None for None)."""
    if t is None:
        return dispatch.backend(input.device).empty((0,), dtype.np), None
    require_tensor(opname, t, name)
    _check_not_differentiated(opname, name, t)
    check_same_device(opname, input, t)
    if broadcast_shapes(opname, shape, tuple(t._data.shape)) != shape:
        raise RuntimeError(f"{opname}: {name} of shape {list(t._data.shape)} cannot be "
                           f"broadcast to the input shape {list(shape)}")
    flat = _flat(t._data, dtype, shape)
    return flat, Tensor._make(dispatch.backend(t.device).reshape(flat, shape), dtype, t.device)


@op("binary_cross_entropy", node="BinaryCrossEntropyBackward0")
def binary_cross_entropy(ctx, input, target, weight=None, reduction="mean"):
    """-w (t log(x) + (1 - t) log(1 - x)) for probabilities x; each log is
    clamped at -100 as in PyTorch: ``F.binary_cross_entropy(p, t)``."""
    check_reduction(reduction)
    _check_pair("binary_cross_entropy", input, target)
    shape = tuple(input._data.shape)
    if target._data.shape != shape:
        raise ValueError(f"Using a target size ({target.shape}) that is different to the "
                         f"input size ({input.shape}) is deprecated. Please ensure they have "
                         "the same size.")
    dtype = input.dtype
    if not dtype.is_floating_point:
        raise NotImplementedError(f"\"binary_cross_entropy\" not implemented for "
                                  f"'{scalar_name(dtype)}'")
    _check_half("binary_cross_entropy", dtype)
    if target.dtype is not dtype:
        raise RuntimeError(f"Found dtype {scalar_name(target.dtype)} but expected "
                           f"{scalar_name(dtype)}")
    w, w_t = _check_constant("binary_cross_entropy", "weight", weight, shape, dtype, input)
    x, t = _flat(input._data, dtype, shape), _flat(target._data, dtype, shape)
    b = dispatch.backend(input.device)
    if b.nn.unit_interval_bad(x):
        raise RuntimeError("all elements of input should be between 0 and 1")
    if b.nn.unit_interval_bad(t):
        raise RuntimeError("all elements of target should be between 0 and 1")
    return _loss_forward(ctx, "binary_cross_entropy", input, target, (x, t, w), (w_t,), shape,
                         reduction, dtype)


def _fused_loss_backward(ctx, kernel, g, constants):
    """The input and target gradients of an elementwise loss in one pass of the
    backend's nn kernel named `kernel` (when no graph of the backward is recorded)."""
    x, t = ctx.saved_tensors
    reduction, n = ctx.args[:2]
    dtype = _dtypes.result_type(x, t)
    shape = tuple(x._data.shape)
    need = ctx.needs_input_grad
    b = dispatch.backend(x.device)
    gx = b.empty((n if need[0] else 0,), dtype.np)
    gt = b.empty((n if need[1] else 0,), dtype.np)
    consts = [b.empty((0,), dtype.np) if c is None else _flat(c._data, dtype, shape)
              for c in constants]
    g1 = _flat(g._data, dtype, tuple(g._data.shape))
    getattr(b.nn, kernel)(_flat(x._data, dtype, shape), _flat(t._data, dtype, shape), *consts,
                          g1, 1.0 / n if reduction == "mean" and n else 1.0, gx, gt)
    dev = g.device
    r = b.reshape
    return (Tensor._make(r(gx, shape), dtype, dev) if need[0] else None,
            Tensor._make(r(gt, shape), dtype, dev) if need[1] else None) + \
        (None,) * (len(need) - 2)


def _weighted_grad(g, reduction, n, w):
    """A loss's incoming gradient times 1/n for 'mean' and times the weight `w` (when
    given): what the recorded backward of a weighted elementwise loss starts from."""
    if reduction == "mean" and n:
        g = g * (1.0 / n)
    return g if w is None else g * w


def _clamped_log(v, low):
    from nbgrad.ops.binary import where
    lg = v.log()
    return where(lg < low, low, lg)


@binary_cross_entropy.backward
def binary_cross_entropy_backward(ctx, g):
    from nbgrad.ops.binary import where
    x, t = ctx.saved_tensors
    reduction, n, w = ctx.args
    g = _grad_like(g, x.dtype)
    if not grad_mode.is_grad_enabled():
        return _fused_loss_backward(ctx, "binary_cross_entropy_backward", g, (w,))
    g = _weighted_grad(g, reduction, n, w)
    need = ctx.needs_input_grad
    gx = gt = None
    if need[0]:
        # PyTorch's guard: the denominator is at least 1e-12
        d = (1 - x) * x
        gx = g * (x - t) / where(d < 1e-12, 1e-12, d)
    if need[1]:
        gt = g * (_clamped_log(1 - x, -100.0) - _clamped_log(x, -100.0))
    return (gx, gt) + (None,) * (len(need) - 2)


@op("binary_cross_entropy_with_logits", node="BinaryCrossEntropyWithLogitsBackward0")
def binary_cross_entropy_with_logits(ctx, input, target, weight=None, reduction="mean",
                                     pos_weight=None):
    """binary_cross_entropy(sigmoid(x), t) computed stably from the logits x;
    `pos_weight` weighs the positive term: ``F.binary_cross_entropy_with_logits(z, t)``."""
    opname = "binary_cross_entropy_with_logits"
    check_reduction(reduction)
    _check_pair(opname, input, target)
    shape = tuple(input._data.shape)
    if target._data.shape != shape:
        raise ValueError(f"Target size ({target.shape}) must be the same as input size "
                         f"({input.shape})")
    dtype = _dtypes.result_type(input, target)
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"log_sigmoid_cpu\" not implemented for "
                                  f"'{scalar_name(input.dtype)}'")
    if not target.dtype.is_floating_point:   # PyTorch computes into a target-like buffer
        raise RuntimeError(f"result type {scalar_name(dtype)} can't be cast to the desired "
                           f"output type {scalar_name(target.dtype)} ({opname} needs a "
                           "floating point target)")
    _check_half(opname, dtype)
    w, w_t = _check_constant(opname, "weight", weight, shape, dtype, input)
    pw, pw_t = _check_constant(opname, "pos_weight", pos_weight, shape, dtype, input)
    operands = (_flat(input._data, dtype, shape), _flat(target._data, dtype, shape), w, pw)
    return _loss_forward(ctx, opname, input, target, operands, (w_t, pw_t), shape, reduction,
                         dtype)


@binary_cross_entropy_with_logits.backward
def binary_cross_entropy_with_logits_backward(ctx, g):
    x, t = ctx.saved_tensors
    reduction, n, w, pw = ctx.args
    if not grad_mode.is_grad_enabled():
        return _fused_loss_backward(ctx, "binary_cross_entropy_with_logits_backward", g,
                                    (w, pw))
    g = _grad_like(g, x.dtype)
    g = _weighted_grad(g, reduction, n, w)
    need = ctx.needs_input_grad
    gx = gt = None
    if need[0]:
        from nbgrad.ops.unary import sigmoid
        sig = sigmoid(x)
        gx = g * (sig - t) if pw is None else g * ((1 + (pw - 1) * t) * sig - pw * t)
    if need[1]:
        if pw is None:
            gt = -g * x
        else:   # softplus(-x), without overflow
            ax = x.abs()
            softplus = (1 + (-ax).exp()).log() + (ax - x) * 0.5
            gt = g * ((pw - 1) * softplus - x)
    return (gx, gt) + (None,) * (len(need) - 2)
