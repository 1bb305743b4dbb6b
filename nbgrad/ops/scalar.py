"""The dual scalar vocabulary that elementwise declarations are written in.

Each function here works on two kinds of argument:
- inside a generated Numba kernel, on scalars (a Numba `@overload` gives the
  scalar implementation), which is how forward and fast backward kernels run;
- in Python, on nbgrad Tensors (it calls the Tensor op), which is how the same
  backward formula builds a differentiable graph for ``create_graph=True``.

So a derivative written once, e.g. ``lambda g, x: g * cos(x)``, is both the
fused backward kernel and the recorded higher-order rule.
"""

import math

from numba.extending import overload

__all__ = ["exp", "log", "sin", "cos", "sqrt", "where", "sign", "tanh", "log1p",
           "expm1", "sigmoid", "erf", "abs_", "floor", "ceil", "cast_like"]


def _tensor_op(name, scalar_impl):
    def call(x, *rest):
        import nbgrad
        if not isinstance(x, nbgrad.Tensor):   # a Python number (a scalar operand)
            return scalar_impl(x, *rest)
        return getattr(nbgrad, name)(x, *rest)
    return call


def _where(c, a, b):
    if isinstance(c, bool):   # a Python-scalar condition (a scalar exponent, say)
        return a if c else b
    import nbgrad
    return nbgrad.where(c, a, b)


def _dual(name, scalar_impl):
    """A function that calls ``nbgrad.<name>`` in Python and `scalar_impl` in Numba."""
    py = _where if name == "where" else _tensor_op(name, scalar_impl)
    py.__name__ = name

    arity = scalar_impl.__code__.co_argcount
    if arity == 1:
        def typer(x):
            return scalar_impl
    elif arity == 2:
        def typer(x, y):
            return scalar_impl
    else:
        def typer(c, a, b):
            return scalar_impl
    overload(py, inline="always")(typer)
    return py


exp = _dual("exp", lambda x: math.exp(x))
log = _dual("log", lambda x: math.log(x))
sin = _dual("sin", lambda x: math.sin(x))
cos = _dual("cos", lambda x: math.cos(x))
sqrt = _dual("sqrt", lambda x: math.sqrt(x))
tanh = _dual("tanh", lambda x: math.tanh(x))
log1p = _dual("log1p", lambda x: math.log1p(x))
expm1 = _dual("expm1", lambda x: math.expm1(x))
erf = _dual("erf", lambda x: math.erf(x))
floor = _dual("floor", lambda x: math.floor(x))
ceil = _dual("ceil", lambda x: math.ceil(x))
abs_ = _dual("abs", lambda x: abs(x))
sign = _dual("sign", lambda x: (x > 0) - (x < 0))
sigmoid = _dual("sigmoid", lambda x: 1.0 / (1.0 + math.exp(-x)))
where = _dual("where", lambda c, a, b: a if c else b)
