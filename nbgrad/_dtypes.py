"""Dtypes: the `nbgrad.float32`-style objects, the default dtype, and PyTorch's
type-promotion rules (`result_type`).

A dtype wraps a NumPy dtype (the buffer format) and knows its promotion
category: bool < integer < floating.  Printing follows PyTorch (`torch.float32`)
so that code written for PyTorch prints the same.
"""

import numpy as np

__all__ = [
    "dtype", "float16", "float32", "float64", "half", "float", "double",
    "int8", "int16", "int32", "int64", "uint8", "short", "int", "long", "bool",
    "get_default_dtype", "set_default_dtype", "result_type", "as_dtype",
]

_BOOL, _INT, _FLOAT = 0, 1, 2
# the builtins, before this module's dtype names shadow them
_py_float, _py_int, _py_bool = float, int, bool


class dtype:
    """A tensor element type, e.g. ``nbgrad.float32``."""

    __slots__ = ("name", "np", "category", "itemsize")

    def __init__(self, name, np_dtype, category):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.category = category
        self.itemsize = self.np.itemsize

    @property
    def is_floating_point(self):
        return self.category == _FLOAT

    @property
    def is_signed(self):
        return self.name not in ("bool", "uint8")

    def __repr__(self):
        return "torch." + self.name

    def __reduce__(self):
        return (as_dtype, (self.name,))


float16 = half = dtype("float16", np.float16, _FLOAT)
float32 = float = dtype("float32", np.float32, _FLOAT)
float64 = double = dtype("float64", np.float64, _FLOAT)
uint8 = dtype("uint8", np.uint8, _INT)
int8 = dtype("int8", np.int8, _INT)
int16 = short = dtype("int16", np.int16, _INT)
int32 = int = dtype("int32", np.int32, _INT)
int64 = long = dtype("int64", np.int64, _INT)
bool = dtype("bool", np.bool_, _BOOL)

_ALL = (float16, float32, float64, uint8, int8, int16, int32, int64, bool)
_BY_NP = {d.np: d for d in _ALL}
_BY_NAME = {d.name: d for d in _ALL}
_BY_NAME.update(half=float16, float=float32, double=float64, short=int16,
                int=int32, long=int64)

_default = [float32]


def get_default_dtype():
    """The dtype of float tensors made from Python floats (float32 unless set)."""
    return _default[0]


def set_default_dtype(d):
    """Set the default float dtype: ``nb.set_default_dtype(nb.float64)``."""
    d = as_dtype(d)
    if not d.is_floating_point:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default[0] = d


def _usable(d):
    if d is float16:
        raise TypeError("nbgrad does not support float16 tensors: Numba has no float16 "
                        "arithmetic on the CPU; use torch.float32 (nbgrad.float32)")
    return d


def as_dtype(d):
    """Turn an nbgrad dtype, a NumPy dtype, a Python type or a name into a dtype.

    Raises TypeError naming the value for anything else (and for float16).
    """
    if d.__class__ is dtype:
        return d if d is not float16 else _usable(d)
    if d is None:
        return get_default_dtype()
    if d is _py_float:
        return get_default_dtype()
    if d is _py_int:
        return int64
    if d is _py_bool:
        return bool
    if isinstance(d, str) and d in _BY_NAME:
        return _usable(_BY_NAME[d])
    try:
        found = _BY_NP.get(np.dtype(d))
    except TypeError:
        found = None
    if found is None:
        raise TypeError(f"nbgrad does not support dtype {d!r}; use one of "
                        + ", ".join(repr(x) for x in _ALL if x is not float16))
    return _usable(found)


def from_numpy_dtype(np_dtype):
    """The nbgrad dtype of a NumPy dtype (TypeError when unsupported)."""
    found = _BY_NP.get(np_dtype)
    if found is None or found is float16:
        return as_dtype(np_dtype)
    return found


def _promote_pair(a, b):
    if a is b:
        return a
    if a.category != b.category:
        return a if a.category > b.category else b
    if a.category == _FLOAT:
        return a if a.itemsize >= b.itemsize else b
    # integers: uint8 with a signed type needs the next wider signed type
    if a is uint8 or b is uint8:
        other = b if a is uint8 else a
        return int16 if other is int8 else other
    return a if a.itemsize >= b.itemsize else b


def _scalar_dtype(value):
    if isinstance(value, _py_bool) or isinstance(value, np.bool_):
        return bool
    if isinstance(value, (_py_int, np.integer)):
        return int64
    return get_default_dtype()


def result_type(*operands):
    """PyTorch's promotion: tensors with dimensions outrank 0-d tensors, which
    outrank Python scalars; a lower-ranked operand changes the result only when
    its category (bool < int < float) is higher.

    >>> result_type(nb.ones(2), 2.5) is nb.float32
    True
    """
    groups = [None, None, None]  # dimensioned tensors, 0-d tensors, scalars
    for op in operands:
        d = getattr(op, "dtype", None)
        if d is None:
            rank, d = 2, _scalar_dtype(op)
        else:
            rank = 0 if op.ndim else 1
        g = groups[rank]
        groups[rank] = d if g is None else _promote_pair(g, d)
    result = None
    for rank, d in enumerate(groups):
        if d is None:
            continue
        if result is None:
            result = d
        elif d.category > result.category:
            if rank == 2:
                result = get_default_dtype() if d.category == _FLOAT else d
            else:
                result = d
    return result
