"""NumPy functions called on tensors: ``np.exp(x)``, ``np.add(x, 1.)``,
``np.float64(2) * x``.

PyTorch lets NumPy have these: NumPy converts the tensor with ``__array__``
(refused for a tensor that requires grad), computes, and the result comes back
as a tensor.  nbgrad does the same, with one exception that PyTorch makes too:
a NumPy scalar on the left of an operator (``np.float64(2) * x``) is the
tensor's reflected operator, an nbgrad op that records autograd.  An ndarray
operand gives NotImplemented, so ``ndarray + tensor`` raises TypeError as in
PyTorch.  The math here is NumPy's because the user called NumPy.
"""

import numpy as np

__all__ = ["array_ufunc"]

# the ufunc of a binary operator -> the Tensor method it reflects to
_REFLECTED = {
    "add": "__radd__", "subtract": "__rsub__", "multiply": "__rmul__",
    "divide": "__rtruediv__", "true_divide": "__rtruediv__", "floor_divide": "__rfloordiv__",
    "remainder": "__rmod__", "power": "__rpow__", "matmul": "__rmatmul__",
    "bitwise_and": "__rand__", "bitwise_or": "__ror__", "bitwise_xor": "__rxor__",
    "less": "__gt__", "less_equal": "__ge__", "greater": "__lt__", "greater_equal": "__le__",
    "equal": "__eq__", "not_equal": "__ne__",
}


def array_ufunc(self, ufunc, method, *inputs, **kwargs):
    """``Tensor.__array_ufunc__`` (see the module docstring)."""
    from nbgrad.tensor import Tensor
    if method == "__call__" and not kwargs and len(inputs) == 2 and inputs[1] is self \
            and not isinstance(inputs[0], Tensor):
        name = _REFLECTED.get(ufunc.__name__)
        if name is not None:
            return _reflected(self, ufunc, getattr(Tensor, name), inputs[0])
    if any(type(a) is np.ndarray for a in inputs):
        return NotImplemented
    arrays = [np.asarray(a) if isinstance(a, Tensor) else a for a in inputs]
    result = getattr(ufunc, method)(*arrays, **kwargs)
    return _wrap(result, Tensor)


_COMPARISONS = ("less", "less_equal", "greater", "greater_equal", "equal", "not_equal")


def _reflected(self, ufunc, method, other):
    """``other OP tensor`` with a NumPy operand on the left: what Python does when
    NumPy steps aside: the tensor's reflected operator, then ``==``/``!=``'s
    identity fallback, else TypeError."""
    if ufunc.__name__ in _COMPARISONS and _numpy_scalar(other):
        other = other[()]   # NumPy hands a comparison's scalar over as a 0-d array
    try:
        result = method(self, other)
    except TypeError:
        result = NotImplemented
    if result is not NotImplemented:
        return result
    if ufunc.__name__ in ("equal", "not_equal"):
        return ufunc.__name__ == "not_equal"
    raise TypeError(f"unsupported operand types for {ufunc.__name__}: "
                    f"'{type(other).__name__}' and 'Tensor'")


def _numpy_scalar(a):
    # NumPy hands a scalar operand of a comparison over as a 0-d array
    return isinstance(a, np.generic) or (type(a) is np.ndarray and a.ndim == 0)


def _wrap(result, Tensor):
    from nbgrad import _factories
    if isinstance(result, tuple):
        return tuple(_wrap(r, Tensor) for r in result)
    if isinstance(result, (np.ndarray, np.generic)):
        return _factories.tensor(np.asarray(result))
    return result
