"""Binary elementwise ops: arithmetic and comparisons, with Python operators.

Each entry is the whole op: forward and derivatives as scalar functions (see
`nbgrad.ops.elementwise`).  Scalars may stand on either side; shapes broadcast.
"""

from nbgrad.ops import scalar as s
from nbgrad.ops.elementwise import elementwise, pass_through
from nbgrad.ops.registry import tensor_method

__all__ = ["add", "sub", "mul", "div", "pow", "eq", "ne", "lt", "le", "gt", "ge", "where",
           "divide", "true_divide", "multiply", "subtract", "greater", "less"]

add = elementwise("add", lambda x, y: x + y,
                  grads={"x": pass_through, "y": pass_through})
sub = elementwise("sub", lambda x, y: x - y,
                  grads={"x": pass_through, "y": lambda g: -g})
mul = elementwise("mul", lambda x, y: x * y,
                  grads={"x": lambda g, y: g * y, "y": lambda g, x: g * x})
div = elementwise("div", lambda x, y: x / y, out_dtype="float",
                  grads={"x": lambda g, y: g / y, "y": lambda g, x, y: -g * x / (y * y)})
# d/dx x**y at y == 0 is 0 (not 0 * x**-1), and d/dy at x == 0 is 0: PyTorch's choices
pow = elementwise("pow", lambda x, y: x ** y,
                  grads={"x": lambda g, x, y: s.where(y == 0, 0.0, g * y * x ** (y - 1)),
                         "y": lambda g, x, out: s.where(x == 0, 0.0, g * out * s.log(x))})

# the condition is cast to the compute dtype like any input: nonzero means true
where = elementwise("where", lambda c, x, y: x if c else y,
                    grads={"x": lambda g, c: s.where(c, g, 0.0),
                           "y": lambda g, c: s.where(c, 0.0, g)}, method=False)

eq = elementwise("eq", lambda x, y: x == y, out_dtype="bool")
ne = elementwise("ne", lambda x, y: x != y, out_dtype="bool")
lt = elementwise("lt", lambda x, y: x < y, out_dtype="bool")
le = elementwise("le", lambda x, y: x <= y, out_dtype="bool")
gt = elementwise("gt", lambda x, y: x > y, out_dtype="bool")
ge = elementwise("ge", lambda x, y: x >= y, out_dtype="bool")


def _operators():
    from nbgrad.tensor import Tensor

    def swap(f):
        return lambda self, other: f(other, self)

    table = {
        "__add__": add, "__radd__": swap(add), "__sub__": sub, "__rsub__": swap(sub),
        "__mul__": mul, "__rmul__": swap(mul), "__truediv__": div,
        "__rtruediv__": swap(div), "__pow__": pow, "__rpow__": swap(pow),
        "__eq__": eq, "__ne__": ne, "__lt__": lt, "__le__": le, "__gt__": gt, "__ge__": ge,
    }
    for name, f in table.items():
        setattr(Tensor, name, f if not hasattr(f, "forward_family") else
                (lambda f: lambda self, other: f(self, other))(f))
    # numpy scalars on the left must defer to Tensor's reflected operators
    Tensor.__array_ufunc__ = None
    Tensor.__hash__ = lambda self: id(self)


_operators()


divide = true_divide = div
multiply = mul
subtract = sub
greater = gt
less = lt


@tensor_method("true_divide", "divide")
def _true_divide(self, other):
    return div(self, other)
