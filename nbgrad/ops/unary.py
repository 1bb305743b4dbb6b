"""Unary elementwise ops (see `nbgrad.ops.elementwise` for the form)."""

from nbgrad.ops import scalar as s
from nbgrad.ops.elementwise import elementwise
from nbgrad.ops.registry import tensor_method

__all__ = ["neg", "negative", "exp", "log", "abs", "sign"]

neg = elementwise("neg", lambda x: -x, grads={"x": lambda g: -g})
negative = neg
exp = elementwise("exp", lambda x: s.exp(x), out_dtype="float",
                  grads={"x": lambda g, out: g * out})
log = elementwise("log", lambda x: s.log(x), out_dtype="float",
                  grads={"x": lambda g, x: g / x})

# abs'(0) = 0, as in PyTorch
abs = elementwise("abs", lambda x: s.abs_(x), grads={"x": lambda g, x: g * s.sign(x)})
sign = elementwise("sign", lambda x: s.sign(x), grads={"x": lambda g: 0.0 * g})


@tensor_method("__abs__")
def _abs(self):
    return abs(self)


@tensor_method("__neg__")
def _neg(self):
    return neg(self)
