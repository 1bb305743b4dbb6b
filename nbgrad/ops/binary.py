"""Binary elementwise ops: arithmetic, division modes, powers, maximum/minimum,
atan2, comparisons, logical and bitwise ops, `where`, and the Python
operators (``+ - * / // % ** & | ^ ~`` and their reflected forms).

Each op is one declaration: forward and derivatives as scalar functions of the
dual vocabulary (see `nbgrad.ops.elementwise`).  Tensors and Python numbers
may stand on either side; shapes broadcast; dtypes promote as in PyTorch.
Public functions with keywords (``alpha=``, ``rounding_mode=``) or checks
dispatch to the declared ops; integer division by zero raises PyTorch's
``RuntimeError: ZeroDivisionError``.  Non-differentiable points follow
PyTorch (docs/ops/elementwise.md).
"""

import numpy as np

from nbgrad import _dtypes
from nbgrad.backends import dispatch
from nbgrad.backends.family import KernelFamily
from nbgrad.ops import scalar as s
from nbgrad.ops.argcheck import require_tensor
from nbgrad.ops.elementwise import broadcast_shapes, elementwise, pass_through
from nbgrad.ops.registry import op, tensor_method
from nbgrad.ops.unary import checked, describe

__all__ = ["add", "sub", "mul", "div", "pow", "eq", "ne", "lt", "le", "gt", "ge", "where",
           "divide", "true_divide", "multiply", "subtract", "greater", "less",
           "greater_equal", "less_equal", "not_equal", "floor_divide", "remainder", "fmod",
           "maximum", "minimum", "atan2", "arctan2", "logical_and", "logical_or",
           "logical_xor", "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor",
           "bitwise_not", "rsub"]


def _number(v):
    return isinstance(v, (int, float)) or type(v).__module__ == "numpy"


def _is_integral(v):
    d = getattr(v, "dtype", None)
    if d is not None:
        return not d.is_floating_point
    return isinstance(v, int)


def _no_bool_pair(op, x, y, *params):
    if getattr(x, "dtype", None) is _dtypes.bool and getattr(y, "dtype", None) is _dtypes.bool:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead. "
                           f"({op.name} of a {describe(x)} and a {describe(y)})")


def _integer_division(fn, *args):
    """Run fn(*args); integer division by zero becomes PyTorch's RuntimeError."""
    try:
        return fn(*args)
    except (ZeroDivisionError, SystemError) as e:
        # a parallel Numba kernel reports its ZeroDivisionError as a SystemError
        if isinstance(e, ZeroDivisionError) or isinstance(e.__cause__, ZeroDivisionError):
            raise RuntimeError("ZeroDivisionError") from None
        raise


# -- add, sub, mul -----------------------------------------------------------------------
_add = elementwise("add", lambda x, y: x + y, grads={"x": pass_through, "y": pass_through},
                   method=False)
_add_alpha = elementwise("add_alpha", lambda x, y, alpha: x + alpha * y, node="AddBackward0",
                         grads={"x": pass_through, "y": lambda g, alpha: g * alpha},
                         method=False)
_sub = checked("sub", lambda x, y: x - y, grads={"x": pass_through, "y": lambda g: -g},
               check=_no_bool_pair, method=False)
_sub_alpha = checked("sub_alpha", lambda x, y, alpha: x - alpha * y, node="SubBackward0",
                     grads={"x": pass_through, "y": lambda g, alpha: -g * alpha},
                     check=_no_bool_pair, method=False)
mul = elementwise("mul", lambda x, y: x * y,
                  grads={"x": lambda g, y: g * y, "y": lambda g, x: g * x})
mul.__doc__ = """x * y: ``nb.mul(nb.tensor([1., 2.]), 3)`` is ``tensor([3., 6.])``."""


def _check_alpha(name, input, other, alpha):
    if isinstance(alpha, bool) or not _number(alpha):
        raise TypeError(f"{name}(): argument 'alpha' must be a number, not "
                        f"{type(alpha).__name__}")
    if isinstance(alpha, float) and _is_integral(input) and _is_integral(other):
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating "
                           f"point number. ({name} with alpha={alpha})")
    if isinstance(alpha, int):   # PyTorch checks alpha against the result dtype (no wrap)
        _dtypes.checked_scalar(alpha, _dtypes.result_type(input, other))


def _alpha_args(name, input, other, args, alpha):
    """(input, other, alpha) of add/sub: PyTorch's deprecated overload
    ``add(input, alpha, other)`` (alpha positional, before other) and a number
    as input (``nb.add(1, 2)`` is ``tensor(3)``: the number becomes a 0-d tensor)."""
    if args:
        if len(args) > 1 or alpha.__class__ is not int or alpha != 1:
            raise TypeError(f"{name}() takes 2 positional arguments and alpha= (got "
                            f"{2 + len(args)} positional arguments)")
        import warnings
        warnings.warn(f"This overload of {name} is deprecated: {name}(Number alpha, Tensor "
                      f"other); use {name}(Tensor other, *, Number alpha = 1)", UserWarning,
                      stacklevel=4)   # the caller of add/sub
        alpha, other = other, args[0]
    if isinstance(input, (bool, int, float)) and not hasattr(other, "_data") and \
            not isinstance(other, np.ndarray):   # two numbers (a tensor takes a number as is)
        from nbgrad._factories import tensor
        input = tensor(input)
    return input, other, alpha


def _with_alpha(name, plain, scaled, input, other, args, alpha):
    """add's and sub's arguments sorted out: the plain op when alpha is 1, else the scaled one."""
    if args or input.__class__ in (bool, int, float):
        input, other, alpha = _alpha_args(name, input, other, args, alpha)
    if alpha.__class__ is int and alpha == 1:
        return plain(input, other)
    if hasattr(alpha, "_data"):   # a 0-d tensor is a number to PyTorch's Scalar
        if alpha._data.ndim or alpha._requires_grad:
            raise TypeError(f"{name}(): argument 'alpha' must be Number, not Tensor (a "
                            f"{describe(alpha)}: only 0-d tensors that do not require grad)")
        alpha = alpha.item()
    _check_alpha(name, input, other, alpha)
    return scaled(input, other, alpha)


def add(input, other, *args, alpha=1):
    """input + alpha * other: ``nb.add(nb.tensor([1., 2.]), 1)`` is ``tensor([2., 3.])``;
    ``nb.add(x, y, alpha=2)``."""
    return _with_alpha("add", _add, _add_alpha, input, other, args, alpha)


def sub(input, other, *args, alpha=1):
    """input - alpha * other: ``nb.sub(nb.tensor([3., 2.]), 1)`` is ``tensor([2., 1.])``."""
    return _with_alpha("sub", _sub, _sub_alpha, input, other, args, alpha)


def rsub(input, other, *, alpha=1):
    """other - alpha * input: ``nb.rsub(nb.tensor([1.]), 3)`` is ``tensor([2.])``."""
    return sub(other, input, alpha=alpha)


subtract = sub
multiply = mul


# -- division -------------------------------------------------------------------------------
_div = elementwise("div", lambda x, y: s.truediv(x, y), out_dtype="float", method=False,
                   grads={"x": lambda g, y: s.truediv(g, y),
                          "y": lambda g, x, y: -s.truediv(g * x, y * y)})
# a rounded quotient is piecewise constant: zero gradient, as in PyTorch
_div_trunc = elementwise("div_trunc", lambda x, y: s.truncdiv(x, y), node="DivBackward2",
                         grads={"x": lambda g: s.zero(g), "y": lambda g: s.zero(g)},
                         method=False)
_div_floor = elementwise("div_floor", lambda x, y: s.floordiv(x, y), node="DivBackward2",
                         grads={"x": lambda g: s.zero(g), "y": lambda g: s.zero(g)},
                         method=False)


def div(input, other, *, rounding_mode=None):
    """input / other: true division (integers give floats), or rounded with
    ``rounding_mode='trunc'`` (toward zero) or ``'floor'`` (integers stay
    integers): ``nb.div(nb.tensor([7., -7.]), 2, rounding_mode='floor')`` is
    ``tensor([ 3., -4.])``."""
    if rounding_mode is None:
        return _div(input, other)
    if rounding_mode == "trunc":
        return _integer_division(_div_trunc, input, other)
    if rounding_mode == "floor":
        return _integer_division(_div_floor, input, other)
    raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                       f"found {rounding_mode!r}")


divide = true_divide = div


def floor_divide(input, other):
    """input / other rounded down (Python's ``//``; zero gradient):
    ``nb.floor_divide(nb.tensor([7, -7]), 2)`` is ``tensor([ 3, -4])``."""
    return _integer_division(_div_floor, input, other)


# d/dy of x - y * q is -q, q the rounded quotient, as in PyTorch
_remainder = elementwise("remainder", lambda x, y: s.remainder(x, y), method=False,
                         grads={"x": pass_through,
                                "y": lambda g, x, y: -g * s.floordiv(x, y)})
_fmod = elementwise("fmod", lambda x, y: s.fmod(x, y), method=False,
                    grads={"x": pass_through, "y": lambda g, x, y: -g * s.truncdiv(x, y)})


def remainder(input, other):
    """The remainder with the sign of the divisor (Python's ``%``):
    ``nb.remainder(nb.tensor([-3., 3.]), 2)`` is ``tensor([1., 1.])``."""
    return _integer_division(_remainder, input, other)


def fmod(input, other):
    """The remainder with the sign of the dividend (C's fmod):
    ``nb.fmod(nb.tensor([-3., 3.]), 2)`` is ``tensor([-1., 1.])``."""
    return _integer_division(_fmod, input, other)


# -- powers ----------------------------------------------------------------------------------
# d/dx at y == 0 is 0 (not 0 * x**-1); d/dy where x == 0 and y >= 0 is 0 (not
# out * log 0): PyTorch's choices
_pow = elementwise(
    "pow", lambda x, y: s.pow(x, y), method=False,
    grads={"x": lambda g, x, y: s.where(y == 0, s.zero(g), g * y * s.pow(x, y - 1)),
           "y": lambda g, x, y, out: s.where((x == 0) & (y >= 0), s.zero(g),
                                             g * out * s.log(x))})
# a tensor to a Python number: PyTorch's shortcuts for common exponents
_pow_scalar = elementwise(
    "pow_scalar", lambda x, y: s.pow_scalar(x, y), node="PowBackward0", method=False,
    grads={"x": lambda g, x, y: s.where(y == 0, s.zero(g), g * y * s.pow_scalar(x, y - 1))})
_pow_scalar.checked_scalars = True   # PyTorch checks a scalar exponent


def pow(input, exponent):
    """input ** exponent (either may be a number): ``nb.pow(nb.tensor([2., 3.]), 2)`` is
    ``tensor([4., 9.])``; an integer tensor to a non-negative integer power stays
    integer."""
    if exponent.__class__ is int or exponent.__class__ is float:
        if exponent.__class__ is int and exponent < 0 and _is_integral(input):
            raise RuntimeError("Integers to negative integer powers are not allowed. (pow of "
                               f"a {describe(input)} to {exponent})")
        return _pow_scalar(input, exponent)
    return _pow(input, exponent)


# -- maximum, minimum, atan2 -------------------------------------------------------------
# Ties split the gradient equally (g / 2 each), as in PyTorch; NaN propagates.
maximum = elementwise(
    "maximum", lambda x, y: s.maximum(x, y),
    grads={"x": lambda g, x, y: s.where(x == y, g * 0.5, s.where(x < y, s.zero(g), g)),
           "y": lambda g, x, y: s.where(x == y, g * 0.5, s.where(x > y, s.zero(g), g))})
maximum.__doc__ = """The elementwise larger value (NaN if either is NaN):
``nb.maximum(nb.tensor([1., 4.]), nb.tensor([3., 2.]))`` is ``tensor([3., 4.])``."""
minimum = elementwise(
    "minimum", lambda x, y: s.minimum(x, y),
    grads={"x": lambda g, x, y: s.where(x == y, g * 0.5, s.where(x > y, s.zero(g), g)),
           "y": lambda g, x, y: s.where(x == y, g * 0.5, s.where(x < y, s.zero(g), g))})
minimum.__doc__ = """The elementwise smaller value (NaN if either is NaN):
``nb.minimum(nb.tensor([1., 4.]), nb.tensor([3., 2.]))`` is ``tensor([1., 2.])``."""
# at the origin both partial derivatives are 0 (PyTorch's choice), not 0/0
atan2 = elementwise(
    "atan2", lambda x, y: s.atan2(x, y), out_dtype="float",
    grads={"x": lambda g, x, y: s.where(x * x + y * y == 0, s.zero(g),
                                        s.truediv(g * y, x * x + y * y)),
           "y": lambda g, x, y: s.where(x * x + y * y == 0, s.zero(g),
                                        s.truediv(-g * x, x * x + y * y))})
atan2.__doc__ = """The angle of the point (other, input) in (-pi, pi]:
``nb.atan2(nb.tensor([1.]), nb.tensor([-1.]))`` is ``tensor([2.3562])``."""
arctan2 = atan2
tensor_method("arctan2")(lambda self, other: atan2(self, other))

# -- comparisons, logical ops (bool results, no gradient) ------------------------------------
eq = elementwise("eq", lambda x, y: x == y, out_dtype="bool")
ne = elementwise("ne", lambda x, y: x != y, out_dtype="bool")
lt = elementwise("lt", lambda x, y: x < y, out_dtype="bool")
le = elementwise("le", lambda x, y: x <= y, out_dtype="bool")
gt = elementwise("gt", lambda x, y: x > y, out_dtype="bool")
ge = elementwise("ge", lambda x, y: x >= y, out_dtype="bool")
for _op, _sym in ((eq, "=="), (ne, "!="), (lt, "<"), (le, "<="), (gt, ">"), (ge, ">=")):
    _op.__doc__ = (f"x {_sym} y elementwise, a bool tensor: "
                   f"``nb.{_op.name}(nb.tensor([1., 2.]), 2.)``.")
greater, less, greater_equal, less_equal, not_equal = gt, lt, ge, le, ne


def _method(f):
    return lambda self, other: f(self, other)


for _name, _op in (("greater", gt), ("less", lt), ("greater_equal", ge), ("less_equal", le),
                   ("not_equal", ne)):
    tensor_method(_name)(_method(_op))

logical_and = elementwise("logical_and", lambda x, y: (x != 0) & (y != 0), out_dtype="bool")
logical_or = elementwise("logical_or", lambda x, y: (x != 0) | (y != 0), out_dtype="bool")
logical_xor = elementwise("logical_xor", lambda x, y: (x != 0) != (y != 0), out_dtype="bool")
logical_not = elementwise("logical_not", lambda x: x == 0, out_dtype="bool")
logical_and.__doc__ = """Both nonzero, a bool tensor: ``nb.logical_and(x > 0, x < 1)``."""
logical_or.__doc__ = """Either nonzero, a bool tensor: ``nb.logical_or(x < 0, x > 1)``."""
logical_xor.__doc__ = """Exactly one nonzero, a bool tensor: ``nb.logical_xor(a, b)``."""
logical_not.__doc__ = """x == 0, a bool tensor: ``nb.logical_not(nb.tensor([0., 2.]))`` is
``tensor([ True, False])``."""


# -- bitwise ops (integer and bool tensors) ---------------------------------------------------
def _integral_only(op, *args):
    for a in args:
        d = getattr(a, "dtype", None)
        if d.__class__ is not _dtypes.dtype:   # a Python or NumPy scalar
            d, a = None, _dtypes.python_scalar(a)
        if d is not None and d.is_floating_point:
            raise NotImplementedError(f"{op.name}: not implemented for {d!r} tensors (got a "
                                      f"{describe(a)}); bitwise ops take integer or bool "
                                      "tensors")
        if d is None and isinstance(a, float):   # PyTorch: a float result type, no kernel
            raise NotImplementedError(f'"{op.name}_cpu" not implemented for \'Float\' (a float '
                                      f"operand {a!r}; bitwise ops take integer or bool values)")


bitwise_and = checked("bitwise_and", lambda x, y: x & y, check=_integral_only)
bitwise_or = checked("bitwise_or", lambda x, y: x | y, check=_integral_only)
bitwise_xor = checked("bitwise_xor", lambda x, y: x ^ y, check=_integral_only)
bitwise_not = checked("bitwise_not", lambda x: s.invert(x), check=_integral_only)
bitwise_and.__doc__ = """x & y bitwise (logical for bool): ``nb.tensor([12]) & 10`` is
``tensor([8])``."""
bitwise_or.__doc__ = """x | y bitwise (logical for bool): ``nb.tensor([12]) | 10``."""
bitwise_xor.__doc__ = """x ^ y bitwise (logical for bool): ``nb.tensor([12]) ^ 10``."""
bitwise_not.__doc__ = """~x bitwise (logical not for bool): ``~nb.tensor([True, False])``."""


def _invert(self):
    if self.dtype.is_floating_point:
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                        f"tensors (got a {describe(self)})")
    return bitwise_not(self)


# -- where ------------------------------------------------------------------------------------
_where_kernels = KernelFamily("where", [lambda c, x, y: x if c else y])


@op("where", node="WhereBackward0")
def _where(ctx, condition, input, other):
    from nbgrad.tensor import Tensor
    require_tensor("where", condition, "condition")
    if condition.dtype is not _dtypes.bool:
        raise RuntimeError("where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {condition.dtype.name.capitalize()} (a "
                           f"{describe(condition)}); use e.g. x > 0 or cond.bool()")
    shape = condition._data.shape
    for name, v in (("input", input), ("other", other)):
        if isinstance(v, Tensor):
            if v.device is not condition.device:
                raise RuntimeError(f"where: Expected all tensors to be on the same device, but "
                                   f"found at least two devices, {condition.device} and "
                                   f"{v.device}!")
            if v._data.shape != shape:
                shape = broadcast_shapes("where", shape, v._data.shape)
        elif isinstance(v, bool) or not _number(v):
            raise TypeError(f"where(): argument '{name}' must be a Tensor or a number, not "
                            f"{type(v).__name__}")
    dtype = _dtypes.result_type(input, other)
    args = [condition._data]
    for v in (input, other):
        if isinstance(v, Tensor):
            args.append(v._data if v.dtype is dtype else
                        dispatch.backend(v.device).cast(v._data, dtype))
        else:
            args.append(_dtypes.checked_scalar(v, dtype))   # PyTorch's overflow check
    ctx.save_for_backward(condition)
    ctx.tensor_input = isinstance(input, Tensor)
    ctx.tensor_other = isinstance(other, Tensor)
    return dispatch.backend(condition.device).run(_where_kernels, args, [dtype.np], shape)[0]


@_where.backward
def _where_backward(ctx, g):
    (c,) = ctx.saved_tensors
    grads = [None]   # the condition's
    if ctx.tensor_input:
        grads.append(where(c, g, 0.0))
    if ctx.tensor_other:
        grads.append(where(c, 0.0, g))
    return tuple(grads)


_NO_ARG = object()


def where(condition, input=_NO_ARG, other=_NO_ARG):
    """`input` where `condition` (a bool tensor) is True, else `other`; either may
    be a number; the three broadcast:
    ``nb.where(x > 0, x, 0.)`` keeps the positive entries of x.
    ``nb.where(condition)`` alone is ``nb.nonzero(condition, as_tuple=True)``."""
    if input is _NO_ARG or other is _NO_ARG:
        if input is not other:   # where(c, x): PyTorch has no such overload
            raise TypeError("where() takes a condition alone or a condition, input and other "
                            "(got a condition and one tensor)")
        from nbgrad.ops.indexing import nonzero
        if not hasattr(condition, "_data"):
            raise TypeError(f"where(): argument 'condition' (position 1) must be Tensor, not "
                            f"{type(condition).__name__}")
        return nonzero(condition, as_tuple=True)
    return _where(condition, input, other)


# -- Tensor methods and Python operators ---------------------------------------------------
def _with_array(op, t, a, elementwise=True):
    """``t OP ndarray``: PyTorch hands this to NumPy (NumPy's result dtype, NumPy's
    broadcasting error, no autograd: a tensor that requires grad is refused); the
    values come from nbgrad's kernel on both operands converted to that dtype."""
    from nbgrad.autograd import grad_mode
    from nbgrad.tensor import Tensor
    name = getattr(op, "name", None) or op.__name__
    if t._requires_grad and grad_mode.is_grad_enabled():
        raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                           f"tensor.detach().numpy() instead. ({name} of a tensor that "
                           "requires grad and a NumPy array)")
    if t.device.type != "cpu":
        raise TypeError(f"can't convert {t.device} device type tensor to numpy. Use "
                        f"Tensor.cpu() to copy the tensor to host memory first. ({name} "
                        "with a NumPy array)")
    if elementwise:
        np.broadcast_shapes(t._data.shape, a.shape)   # NumPy's ValueError
    d = _dtypes.from_numpy_dtype(np.result_type(t._data, a), name)
    if getattr(op, "out_dtype", None) == "float" and not d.is_floating_point:
        d = _dtypes.float64   # NumPy's true division of integers
    if d.is_floating_point and op in (bitwise_and, bitwise_or, bitwise_xor):
        raise TypeError(f"ufunc '{name}' not supported for the input types ({d!r})")
    a = a if a.dtype == d.np else a.astype(d.np)   # the foreign operand, taken as dtype d
    return op(t if t.dtype is d else t.to(d), Tensor._make(a, d))


def _operand(x):
    """True for what the comparison operators compare with (else NotImplemented:
    ``x == 'a'`` is False, as in PyTorch)."""
    return isinstance(x, (int, float, np.generic, np.ndarray)) or hasattr(x, "_data")


def _operator_methods():
    """{Tensor method name: function} of the arithmetic and comparison methods."""
    A = np.ndarray

    def _eq(self, other):
        if other.__class__ is A:
            return _with_array(eq, self, other)
        return eq(self, other) if _operand(other) else NotImplemented

    def _ne(self, other):   # with an ndarray: NotImplemented, so `is not` (PyTorch's True)
        return ne(self, other) if other.__class__ is not A and _operand(other) else \
            NotImplemented

    def div_(self, other, *, rounding_mode=None):
        return div(self, other, rounding_mode=rounding_mode)

    methods = {
        "add": lambda self, other, *args, alpha=1: add(self, other, *args, alpha=alpha),
        "sub": lambda self, other, *args, alpha=1: sub(self, other, *args, alpha=alpha),
        "subtract": lambda self, other, *args, alpha=1: sub(self, other, *args, alpha=alpha),
        "multiply": lambda self, other: mul(self, other),
        "div": div_, "divide": div_, "true_divide": lambda self, other: _div(self, other),
        "floor_divide": floor_divide, "remainder": remainder, "fmod": fmod, "pow": pow,
        "where": lambda self, condition, other: where(condition, self, other),
        "__add__": lambda self, other: _add(self, other) if other.__class__ is not A
        else _with_array(_add, self, other),
        # number op tensor is recorded as tensor op number, as in PyTorch (the
        # order of grad_fn.next_functions shows it)
        "__radd__": lambda self, other: _add(self, other),
        "__sub__": lambda self, other: _sub(self, other) if other.__class__ is not A
        else _with_array(_sub, self, other),
        "__rsub__": lambda self, other: _sub(other, self),
        "__mul__": lambda self, other: mul(self, other) if other.__class__ is not A
        else _with_array(mul, self, other),
        "__rmul__": lambda self, other: mul(self, other),
        "__truediv__": lambda self, other: _div(self, other) if other.__class__ is not A
        else _with_array(_div, self, other),
        # PyTorch: reciprocal() * other, which saves the result, not self
        "__rtruediv__": lambda self, other: mul(self.reciprocal(), other),
        "__floordiv__": floor_divide,
        "__rfloordiv__": lambda self, other: floor_divide(other, self),
        "__mod__": remainder,
        "__rmod__": lambda self, other: remainder(other, self),
        "__pow__": pow,
        "__rpow__": lambda self, other: _pow(other, self),
        "__and__": lambda self, other: bitwise_and(self, other),
        "__rand__": lambda self, other: bitwise_and(other, self),
        "__or__": lambda self, other: bitwise_or(self, other),
        "__ror__": lambda self, other: bitwise_or(other, self),
        "__xor__": lambda self, other: bitwise_xor(self, other),
        "__rxor__": lambda self, other: bitwise_xor(other, self),
        "__invert__": _invert,
        "__eq__": _eq,
        "__ne__": _ne,
        "__lt__": lambda self, other: lt(self, other),
        "__le__": lambda self, other: le(self, other),
        "__gt__": lambda self, other: gt(self, other),
        "__ge__": lambda self, other: ge(self, other),
    }
    return methods


def _operators():
    from nbgrad.tensor import Tensor
    for name, f in _operator_methods().items():
        setattr(Tensor, name, f)
    # NumPy functions and NumPy scalars on the left of an operator (numpy_bridge)
    from nbgrad.ops.numpy_bridge import array_ufunc
    Tensor.__array_ufunc__ = array_ufunc
    Tensor.__hash__ = lambda self: id(self)


_operators()
