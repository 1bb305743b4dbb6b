"""Random ops on tensors: ``normal`` (its tensor overloads and the sized
form), ``bernoulli``, ``poisson``, ``multinomial``; and the in-place fills
(`nbgrad._random_fill`).

Each draws from a generator (``generator=``, else the default generator of
the tensor's device: `nbgrad._random`), in the kernels of the backends'
``creation`` modules.  Gradients are PyTorch's (tools/autograd/derivatives.yaml):
``normal``, ``bernoulli`` and ``poisson`` record a node whose gradient is zero
for every tensor input (NormalBackward1/2/3, BernoulliBackward0,
PoissonBackward0); ``bernoulli(x, p)`` records PyTorch's NotImplemented node
(its backward raises); ``multinomial``'s int64 result has none.  Argument
values (std >= 0, p in [0, 1], rates >= 0, probabilities) are checked before
any draw, as PyTorch checks them, with its exception types.
"""

import numbers

import numpy as np

from nbgrad import _dtypes, _factories, _random
from nbgrad.backends import cpu as host
from nbgrad.backends import dispatch, philox
from nbgrad.ops.elementwise import broadcast_shapes
from nbgrad.ops.registry import op, tensor_method
from nbgrad.tensor import Tensor

__all__ = ["bernoulli", "multinomial", "normal", "poisson"]


def fmt(v):
    """A number as PyTorch's messages print it (``-1``, ``1.5``)."""
    return f"{v:g}" if isinstance(v, float) else str(v)


def to_host(t_or_array, device):
    """The buffer on the host (a copy from a GPU): value checks run on the CPU."""
    return t_or_array if device.type == "cpu" else \
        dispatch.backend(device).to_host(t_or_array)


def params(p, shape, device):
    """`p` (a number or a tensor broadcastable to `shape`) as a flat contiguous
    float64 array of shape's size on `device`."""
    b = dispatch.backend(device)
    n = int(np.prod(shape, dtype=np.int64))
    if isinstance(p, Tensor):
        a = b.cast(b.broadcast_to(p._data, shape), np.float64)
        return b.reshape(a, (n,))
    return b.full((n,), np.float64, float(p))


def draw_each(kind, shape, dtype, device, generator, op_name, a, b=0.0):
    """A new array of `shape` and `dtype`: element i of distribution `kind` with
    parameters a[i], b[i] (numbers or broadcast tensors)."""
    be = dispatch.backend(device)
    out = be.empty(shape, dtype.np if dtype.is_floating_point else np.float64)
    n = out.size
    if n:
        s, o = _random.generator_for(generator, device, op_name)._take(n)
        be.creation.sample_each(be.reshape(out, (n,)), kind, s, o, params(a, shape, device),
                                params(b, shape, device))
    return out if dtype.is_floating_point else be.cast(out, dtype)


def _outside(t, lo, hi):
    """True if an element of tensor `t` is outside [lo, hi] or NaN."""
    a = to_host(t._data, t.device)
    flat = np.ascontiguousarray(a).reshape(-1) if a.dtype == np.float64 else \
        host.cast(a, np.float64).reshape(-1)
    return bool(host.creation.outside(flat, lo, hi))


def _zero_grads(ctx, g):
    """PyTorch's gradient of a random draw: zeros for every tensor input."""
    out = tuple(_factories.zeros(shape, dtype=dtype, device=g.device)
                for shape, dtype in ctx.input_meta)
    return out if len(out) > 1 else out[0]


# -- normal ------------------------------------------------------------------------------
def _check_tensor(t, name, op_name):
    if not isinstance(t, Tensor):
        raise TypeError(f"{op_name}(): argument '{name}' must be Tensor, not "
                        f"{type(t).__name__}")


def _normal_dtype(*ts):
    d = _dtypes.result_type(*ts)
    if not d.is_floating_point:
        raise NotImplementedError(f"\"normal_kernel_cpu\" not implemented for '{d.torch_name}' "
                                  f"(normal of {d!r} mean/std: use a float dtype)")
    return d


def _check_std(std):
    if isinstance(std, Tensor):
        if _outside(std, 0.0, np.inf):
            raise RuntimeError("normal expects all elements of std >= 0.0")
    elif not std >= 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {fmt(std)}")


def _normal(ctx, mean, std, generator):
    tensors = [t for t in (mean, std) if isinstance(t, Tensor)]
    d = _normal_dtype(*tensors)
    shape = tuple(tensors[0]._data.shape)
    if len(tensors) == 2:
        if mean.device is not std.device:
            raise RuntimeError(f"Expected all tensors to be on the same device, but found at "
                               f"least two devices, {mean.device} and {std.device}! (normal)")
        shape = broadcast_shapes("normal", shape, tuple(std._data.shape))
    _check_std(std)
    return draw_each(philox.NORMAL, shape, d, tensors[0].device, generator, "normal", mean,
                     std)


@op("normal.Tensor_Tensor", node="NormalBackward3")
def _normal_tt(ctx, mean, std, generator=None):
    return _normal(ctx, mean, std, generator)


@op("normal.Tensor_float", node="NormalBackward1")
def _normal_tf(ctx, mean, std=1.0, generator=None):
    return _normal(ctx, mean, std, generator)


@op("normal.float_Tensor", node="NormalBackward2")
def _normal_ft(ctx, mean, std, generator=None):
    return _normal(ctx, mean, std, generator)


for _o in (_normal_tt, _normal_tf, _normal_ft):
    _o.backward(_zero_grads)


def _number(v, name):
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(f"normal(): argument '{name}' must be float or Tensor, not "
                        f"{type(v).__name__}")
    return float(v)


def normal(mean, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad=False):
    """Normal samples N(mean, std**2): ``nb.normal(mean_t, std_t)`` (tensors broadcast),
    ``nb.normal(mean_t, 0.5)``, ``nb.normal(0.0, std_t)``, or
    ``nb.normal(0.0, 1.0, size=(2, 3))``."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        if size is not None:
            raise TypeError("normal() received an invalid combination of arguments: size= "
                            "goes with float mean and std, not tensors")
        if isinstance(mean, Tensor) and isinstance(std, Tensor):
            return _normal_tt(mean, std, generator=generator)
        if isinstance(mean, Tensor):
            return _normal_tf(mean, _number(std, "std"), generator=generator)
        return _normal_ft(_number(mean, "mean"), std, generator=generator)
    mean, std = _number(mean, "mean"), _number(std, "std")
    if size is None:
        raise TypeError("normal() received an invalid combination of arguments - got "
                        "(float, float): a float mean and std need size=")
    _check_std(std)
    return _random._random(size, "normal", dtype, device, requires_grad, philox.NORMAL, mean,
                           std, generator)


# -- bernoulli, poisson ------------------------------------------------------------------
def check_probabilities(p):
    """PyTorch's check of a tensor of probabilities (bernoulli, bernoulli_)."""
    if _outside(p, 0.0, 1.0):
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  "
                           "(bernoulli: every probability must be in [0, 1])")


def check_p(p, op_name="bernoulli_"):
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise TypeError(f"{op_name}(): argument 'p' must be float or Tensor, not "
                        f"{type(p).__name__}")
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={fmt(p)}")


@op("bernoulli", node="BernoulliBackward0")
def _bernoulli(ctx, input, generator=None):
    d = input.dtype
    if not d.is_floating_point:
        raise NotImplementedError(f"\"bernoulli_tensor_cpu_p_\" not implemented for "
                                  f"'{d.torch_name}' (bernoulli of probabilities of dtype "
                                  f"{d!r}: use a float dtype)")
    check_probabilities(input)
    return draw_each(philox.BERNOULLI, tuple(input._data.shape), d, input.device, generator,
                     "bernoulli", input)


@op("bernoulli.p", node="NotImplemented")
def _bernoulli_p(ctx, input, p, generator=None):
    check_p(p, "bernoulli")
    return draw_each(philox.BERNOULLI, tuple(input._data.shape), input.dtype, input.device,
                     generator, "bernoulli", p)


_bernoulli.backward(_zero_grads)


@_bernoulli_p.backward
def _bernoulli_p_backward(ctx, g):
    raise RuntimeError("derivative for aten::bernoulli is not implemented")


def bernoulli(input, p=None, *, generator=None):
    """1 with probability `input` (elementwise), else 0: ``nb.bernoulli(probs)``;
    with a float `p`, every element with probability p (input gives the shape and dtype)."""
    _check_tensor(input, "input", "bernoulli")
    if p is None:
        return _bernoulli(input, generator=generator)
    return _bernoulli_p(input, p, generator=generator)


@op("poisson", node="PoissonBackward0")
def _poisson(ctx, input, generator=None):
    d = input.dtype
    if not d.is_floating_point:
        raise NotImplementedError(f"\"poisson_cpu\" not implemented for '{d.torch_name}' "
                                  f"(poisson of rates of dtype {d!r}: use a float dtype)")
    # an infinite rate is refused too (PyTorch returns -2**63 for it)
    if _outside(input, 0.0, np.finfo(np.float64).max):
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative and finite")
    return draw_each(philox.POISSON, tuple(input._data.shape), d, input.device, generator,
                     "poisson", input)


_poisson.backward(_zero_grads)


def poisson(input, generator=None):
    """Poisson counts with rates `input` (elementwise): ``nb.poisson(rates)``."""
    _check_tensor(input, "input", "poisson")
    return _poisson(input, generator=generator)


# -- multinomial -------------------------------------------------------------------------
_MULTINOMIAL_VALUES = {1: "probability tensor contains either `inf`, `nan` or element < 0",
                       2: "invalid multinomial distribution (sum of probabilities <= 0)"}


def _check_multinomial(input, num_samples, replacement):
    _check_tensor(input, "input", "multinomial")
    if isinstance(num_samples, bool) or not isinstance(num_samples, numbers.Integral):
        raise TypeError(f"multinomial(): argument 'num_samples' (position 2) must be int, not "
                        f"{type(num_samples).__name__}")
    shape = tuple(input._data.shape)
    if len(shape) not in (1, 2):
        raise RuntimeError(f"prob_dist must be 1 or 2 dim (got shape {list(shape)})")
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input, got: "
                           f"{input.dtype.torch_name}")
    if num_samples <= 0:
        raise RuntimeError(f"cannot sample n_sample <= 0 samples (num_samples={num_samples})")
    if not replacement and num_samples > shape[-1]:
        raise RuntimeError(f"cannot sample n_sample > prob_dist.size(-1) samples without "
                           f"replacement ({num_samples} > {shape[-1]})")
    if shape[-1] > 1 << 24:
        raise RuntimeError("number of categories cannot exceed 2^24")


@op("multinomial", node="MultinomialBackward0")
def _multinomial(ctx, input, num_samples, replacement=False, generator=None):
    _check_multinomial(input, num_samples, replacement)
    shape = tuple(input._data.shape)
    rows, C = (1, shape[0]) if len(shape) == 1 else shape
    dev = input.device
    b = dispatch.backend(dev)
    p = b.reshape(b.cast(input._data, np.float64), (rows, C))
    if rows:
        code = host.creation.multinomial_check(to_host(p, dev))
        if code:
            raise RuntimeError(_MULTINOMIAL_VALUES[code])
    out = b.empty((rows, num_samples), np.int64)
    if rows:
        s, o = _random.generator_for(generator, dev, "multinomial")._take(
            rows * (num_samples if replacement else C))
        b.creation.multinomial(p, out, replacement, s, o)
    return out if len(shape) == 2 else b.reshape(out, (num_samples,))


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """`num_samples` class indices per row of `input` (1-D or 2-D, non-negative
    weights), with or without replacement: ``nb.multinomial(probs, 2)``."""
    return _multinomial(input, num_samples, replacement, generator=generator)


tensor_method("bernoulli")(bernoulli)
tensor_method("multinomial")(multinomial)
