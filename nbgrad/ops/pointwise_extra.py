"""More pointwise ops: the float classifiers (``isfinite isnan isinf isposinf
isneginf isreal``), closeness (``isclose allclose equal``), the fused
multiply-adds ``addcmul addcdiv``, ``lerp`` and ``copysign``, with their
in-place Tensor methods (``addcmul_``...).

Each computing op is one `elementwise` declaration (see
`nbgrad.ops.elementwise`): CPU and CUDA kernels, a fused backward and
second-order gradients come from it.  The public functions check their
arguments as PyTorch does (dtypes, Scalar arguments) before any kernel runs.
"""

import math

from nbgrad import _dtypes
from nbgrad.ops import scalar as s
from nbgrad.ops.elementwise import elementwise, pass_through
from nbgrad.ops.registry import tensor_method
from nbgrad.ops.unary import describe

__all__ = ["isfinite", "isnan", "isinf", "isposinf", "isneginf", "isreal", "isclose",
           "allclose", "equal", "addcmul", "addcdiv", "lerp", "copysign"]

_INF = math.inf


# -- classifiers (bool results, no gradient) -------------------------------------------------
isnan = elementwise("isnan", lambda x: x != x, out_dtype="bool")
isinf = elementwise("isinf", lambda x: (x == _INF) | (x == -_INF), out_dtype="bool")
isposinf = elementwise("isposinf", lambda x: x == _INF, out_dtype="bool")
isneginf = elementwise("isneginf", lambda x: x == -_INF, out_dtype="bool")
isfinite = elementwise("isfinite", lambda x: (x == x) & (x != _INF) & (x != -_INF),
                       out_dtype="bool")
isnan.__doc__ = """True where x is NaN: ``nb.isnan(nb.tensor([1., float('nan')]))``."""
isinf.__doc__ = """True where x is +-inf: ``nb.isinf(nb.tensor([1., float('inf')]))``."""
isposinf.__doc__ = """True where x is +inf: ``nb.isposinf(nb.tensor([-float('inf')]))``."""
isneginf.__doc__ = """True where x is -inf: ``nb.isneginf(nb.tensor([-float('inf')]))``."""
isfinite.__doc__ = """True where x is neither inf nor NaN (every integer is):
``nb.isfinite(nb.tensor([1., float('inf'), float('nan')]))`` is
``tensor([ True, False, False])``."""


def isreal(input):
    """True everywhere: nbgrad has no complex tensors (PyTorch's result for real ones)."""
    from nbgrad._factories import ones_like
    return ones_like(_tensor("isreal", "input", input), dtype=_dtypes.bool)


tensor_method("isreal")(isreal)


def _tensor(op, name, v):
    if not hasattr(v, "_data"):
        raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(v).__name__}")
    return v


# -- closeness --------------------------------------------------------------------------------
def _isclose_forward(x, y, rtol, atol, nan):
    if x == y:
        return True
    if nan != 0 and x != x and y != y:
        return True
    d = s.abs_(x - y)
    return d - d == 0 and d <= atol + s.abs_(rtol * y)


_isclose = elementwise("isclose", _isclose_forward, out_dtype="bool", method=False)


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Elementwise ``|input - other| <= atol + rtol * |other|`` (equal infinities are
    close; NaNs are close to each other with `equal_nan`), a bool tensor:
    ``nb.isclose(nb.tensor([1., 2.]), nb.tensor([1., 2.1]))`` is ``tensor([ True, False])``."""
    _tensor("isclose", "input", input)
    _tensor("isclose", "other", other)
    if input.dtype is not other.dtype:
        raise RuntimeError(f"{input.dtype!r} did not match {other.dtype!r} (isclose(): input "
                           "and other must have the same dtype)")
    for name, v in (("rtol", rtol), ("atol", atol)):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise TypeError(f"isclose(): argument '{name}' must be float, not "
                            f"{type(v).__name__}")
        if v < 0:
            raise RuntimeError(f"{name} must be greater than or equal to zero, but got {v}")
    if not input.dtype.is_floating_point:   # integers and bools compare as float64 values
        input, other = input.double(), other.double()
    return _isclose(input, other, float(rtol), float(atol), bool(equal_nan))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True if `isclose` holds everywhere (a Python bool): ``nb.allclose(x, x + 1e-9)``."""
    return bool(isclose(input, other, rtol, atol, equal_nan).all())


def equal(input, other):
    """True if both tensors have the same shape and elements (NaN equals nothing), a
    Python bool: ``nb.equal(nb.ones(2), nb.ones(2))`` is True."""
    _tensor("equal", "input", input)
    _tensor("equal", "other", other)
    if input.device != other.device:
        raise RuntimeError(f"equal: Expected all tensors to be on the same device, but found "
                           f"at least two devices, {input.device} and {other.device}!")
    if tuple(input._data.shape) != tuple(other._data.shape):
        return False
    return bool((input == other).all())


for _f in (isclose, allclose, equal):
    tensor_method(_f.__name__)(_f)


# -- addcmul, addcdiv ---------------------------------------------------------------------------
_addcmul = elementwise(
    "addcmul", lambda x, y, z, value: x + value * y * z, method=False,
    grads={"x": pass_through, "y": lambda g, z, value: g * value * z,
           "z": lambda g, y, value: g * value * y})
_addcdiv = elementwise(
    "addcdiv", lambda x, y, z, value: x + value * s.truediv(y, z), method=False,
    grads={"x": pass_through, "y": lambda g, z, value: s.truediv(g * value, z),
           "z": lambda g, y, z, value: -s.truediv(g * value * y, z * z)})


def _scalar(op, name, v):
    """A Scalar argument as PyTorch takes it: a number or a 0-d tensor."""
    if hasattr(v, "_data"):
        if v._data.ndim or v._requires_grad:
            raise TypeError(f"{op}(): argument '{name}' must be Number, not Tensor (a "
                            f"{describe(v)})")
        return v.item()
    v = _dtypes.python_scalar(v)
    if not isinstance(v, (bool, int, float)):
        raise TypeError(f"{op}(): argument '{name}' must be Number, not {type(v).__name__}")
    return v


def addcmul(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 * tensor2 (broadcast):
    ``nb.addcmul(nb.zeros(2), nb.tensor([1., 2.]), nb.tensor([3., 4.]), value=0.5)`` is
    ``tensor([1.5000, 4.0000])``."""
    ts = [_tensor("addcmul", n, v) for n, v in (("input", input), ("tensor1", tensor1),
                                                ("tensor2", tensor2))]
    value = _scalar("addcmul", "value", value)
    if isinstance(value, float) and not any(t.dtype.is_floating_point for t in ts):
        value = int(value)   # PyTorch's Scalar for integer tensors: truncated, no promotion
    return _addcmul(input, tensor1, tensor2, value)


def addcdiv(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 / tensor2 (broadcast; integer tensor1 and tensor2 are
    refused, as PyTorch): ``nb.addcdiv(nb.zeros(1), nb.ones(1), nb.tensor([4.]))`` is
    ``tensor([0.2500])``."""
    ts = [_tensor("addcdiv", n, v) for n, v in (("input", input), ("tensor1", tensor1),
                                                ("tensor2", tensor2))]
    if not ts[1].dtype.is_floating_point and not ts[2].dtype.is_floating_point:
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future release "
            "addcdiv will perform a true division of tensor1 and tensor2. The historic "
            "addcdiv behavior can be implemented as (input + value * torch.trunc(tensor1 / "
            "tensor2)).to(input.dtype) for integer inputs and as (input + value * tensor1 / "
            "tensor2) for float inputs. The future addcdiv behavior is just the latter "
            f"implementation: (input + value * tensor1 / tensor2), for all dtypes. (tensor1 "
            f"{describe(ts[1])}, tensor2 {describe(ts[2])})")
    value = _scalar("addcdiv", "value", value)
    return _addcdiv(input, tensor1, tensor2, value)


# -- lerp ----------------------------------------------------------------------------------------
def _lerp_forward(x, y, w):
    # PyTorch's two-sided form: exact at w = 0 and at w = 1
    if s.abs_(w) < 0.5:
        return x + w * (y - x)
    return y - (y - x) * (s.cast_like(1, w) - w)


_lerp_scalar = elementwise(
    "lerp", _lerp_forward, node="LerpBackward0", method=False,
    grads={"x": lambda g, w: g * (1 - w), "y": lambda g, w: g * w})
_lerp_tensor = elementwise(
    "lerp_tensor", _lerp_forward, node="LerpBackward1", method=False,
    grads={"x": lambda g, w: g * (1 - w), "y": lambda g, w: g * w,
           "w": lambda g, x, y: g * (y - x)})


def lerp(input, end, weight):
    """input + weight * (end - input), weight a number or a tensor (all broadcast):
    ``nb.lerp(nb.zeros(2), nb.ones(2), 0.25)`` is ``tensor([0.2500, 0.2500])``."""
    _tensor("lerp", "input", input)
    _tensor("lerp", "end", end)
    for name, t in (("end", end), ("weight", weight)):
        if hasattr(t, "_data") and t.dtype is not input.dtype:
            raise RuntimeError(f"expected dtype {input.dtype.c_name} for `{name}` but got "
                               f"dtype {t.dtype.c_name} (lerp of a {describe(input)})")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f'"lerp_kernel_scalar" not implemented for '
                           f"'{input.dtype.torch_name}' (lerp of a {describe(input)})")
    if hasattr(weight, "_data"):
        return _lerp_tensor(input, end, weight)
    return _lerp_scalar(input, end, _scalar("lerp", "weight", weight))


# -- copysign -------------------------------------------------------------------------------------
def _copysign_self(g, x, out):
    # d/dx |x| * sign(y) is out / x, and 0 at x == 0 (PyTorch's choice)
    return g * s.where(x == 0, s.zero(g), s.truediv(out, x))


_copysign = elementwise("copysign", lambda x, y: s.copysign(x, y), out_dtype="float",
                        method=False, grads={"x": _copysign_self, "y": lambda g: s.zero(g)})
_copysign_scalar = elementwise("copysign_scalar", lambda x, y: s.copysign(x, y),
                               node="CopysignBackward1", out_dtype="float", method=False,
                               grads={"x": _copysign_self})


def copysign(input, other):
    """|input| with the sign of `other` (a tensor or a number; -0.0 counts as negative);
    integers become floats: ``nb.copysign(nb.tensor([1., -2.]), -1.)`` is
    ``tensor([-1., -2.])``."""
    _tensor("copysign", "input", input)
    if hasattr(other, "_data"):
        return _copysign(input, other)
    return _copysign_scalar(input, _scalar("copysign", "other", other))


def inplace_form(name, fn):
    """The Tensor method ``self.<name>_(...)``: `fn`'s result written into self by
    `nbgrad.ops.inplace.commit_inplace` (recorded when something requires grad),
    after PyTorch's checks: self writable, the result's shape self's, its dtype
    castable to self's."""
    from nbgrad.ops import inplace

    def method(self, *args, **kwargs):
        op = name + "_"
        inplace.check_inplace(self, op)
        inplace.check_overlap(op, self._data, inplace.arrays_of(*args))
        if inplace._needs_graph(self, *args):
            return inplace.commit_inplace(self, fn(self, *args, **kwargs))
        from nbgrad.autograd.grad_mode import no_grad
        with no_grad():
            result = fn(self, *args, **kwargs)
        if result.dtype.category > self.dtype.category:
            raise RuntimeError(f"{op}: result type {result.dtype.torch_name} can't be cast to "
                               f"the desired output type {self.dtype.torch_name}")
        if result._data.shape != self._data.shape:
            raise RuntimeError(f"{op}: output with shape {list(self._data.shape)} doesn't "
                               f"match the broadcast shape {list(result._data.shape)}")
        return inplace.commit_inplace(self, result)
    method.__name__ = name + "_"
    method.__doc__ = f"In-place `{name}`: ``x.{name}_(...)`` writes the result into x."
    tensor_method(name + "_")(method)
    return method


for _f in (addcmul, addcdiv, lerp, copysign):
    tensor_method(_f.__name__)(_f)
    inplace_form(_f.__name__, _f)
