"""Dtypes: the `nbgrad.float32`-style objects, the default dtype, PyTorch's
type-promotion rules (`result_type`), and how a Python or NumPy scalar becomes
a value of a dtype (`scalar_value`: wraps as PyTorch's arithmetic does;
`checked_scalar`: PyTorch's overflow check of fills and factories).

A dtype wraps a NumPy dtype (the buffer format) and knows its promotion
category: bool < integer < floating.  Printing follows PyTorch (`torch.float32`)
so that code written for PyTorch prints the same.  Python's ``float``, ``int``
and ``bool`` given as dtypes mean float64, int64 and bool, as in PyTorch.
"""

import numpy as np

__all__ = [
    "as_dtype",
    "bool",
    "checked_scalar",
    "double",
    "dtype",
    "float",
    "float16",
    "float32",
    "float64",
    "get_default_dtype",
    "half",
    "int",
    "int8",
    "int16",
    "int32",
    "int64",
    "long",
    "python_scalar",
    "result_type",
    "scalar_value",
    "set_default_dtype",
    "short",
    "uint8",
]

_BOOL, _INT, _FLOAT = 0, 1, 2
# the builtins, before this module's dtype names shadow them
_py_float, _py_int, _py_bool = float, int, bool


class dtype:
    """A tensor element type, e.g. ``nbgrad.float32``."""

    __slots__ = ("bits", "c_name", "category", "itemsize", "name", "np", "torch_name")

    def __init__(self, name, np_dtype, category, c_name, torch_name):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.category = category
        self.itemsize = self.np.itemsize
        self.bits = 8 * self.itemsize
        self.c_name = c_name          # ATen's C type, as its messages name it
        self.torch_name = torch_name  # PyTorch's scalar type name ('Long'), ditto

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


float16 = half = dtype("float16", np.float16, _FLOAT, "c10::Half", "Half")
float32 = float = dtype("float32", np.float32, _FLOAT, "float", "Float")
float64 = double = dtype("float64", np.float64, _FLOAT, "double", "Double")
uint8 = dtype("uint8", np.uint8, _INT, "uint8_t", "Byte")
int8 = dtype("int8", np.int8, _INT, "int8_t", "Char")
int16 = short = dtype("int16", np.int16, _INT, "int16_t", "Short")
int32 = int = dtype("int32", np.int32, _INT, "int", "Int")
int64 = long = dtype("int64", np.int64, _INT, "int64_t", "Long")
bool = dtype("bool", np.bool_, _BOOL, "bool", "Bool")

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
    if d.__class__ is not dtype:   # PyTorch takes dtype objects only (not `float`)
        raise TypeError(f"invalid dtype object: only floating-point types are supported as the "
                        f"default type (got {d!r})")
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
        return float64
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


def dtype_arg(d, op):
    """A ``dtype=`` argument as PyTorch parses it: an nbgrad dtype, None (the default
    float dtype), or Python's float/int/bool (float64/int64/bool); TypeError for
    anything else, strings and NumPy types included."""
    if d.__class__ is dtype or d is None or d in (_py_float, _py_int, _py_bool):
        return as_dtype(d)
    if d is complex:
        raise TypeError(f"{op}(): nbgrad has no complex tensors (dtype=complex)")
    raise TypeError(f"{op}(): argument 'dtype' must be torch.dtype, not {type(d).__name__}")


def from_numpy_dtype(np_dtype, op=None):
    """The nbgrad dtype of a NumPy dtype: ValueError for a non-native byte order,
    TypeError naming the dtype when nbgrad has no such dtype (as PyTorch words it,
    when `op` is given)."""
    found = _BY_NP.get(np_dtype)
    if found is not None and found is not float16:
        return found
    if op is None:
        return as_dtype(np_dtype)
    np_dtype = np.dtype(np_dtype)
    if not np_dtype.isnative:
        raise ValueError(f"{op}(): given numpy array has byte order different from the native "
                         "byte order. Conversion between byte orders is currently not "
                         f"supported (dtype {np_dtype.str!r}; use array.astype("
                         f"{np_dtype.newbyteorder('=').name!r}) first)")
    supported = ", ".join(x.name for x in _ALL if x is not float16)
    if np_dtype.kind in "biufc":
        raise TypeError(f"{op}(): nbgrad has no {np_dtype.name} tensors (PyTorch has, nbgrad's "
                        f"kernels do not); the supported dtypes are {supported}: convert the "
                        "array first, e.g. array.astype(np.float32)")
    raise TypeError(f"{op}(): can't convert np.ndarray of type numpy.{np_dtype.type.__name__}. "
                    f"The only supported types are: {supported}.")


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
    # NumPy scalars count as Python numbers of their kind; np.bool_ as a float,
    # as in PyTorch (its argument parser reads np.bool_ as a double)
    if isinstance(value, _py_bool):
        return bool
    if isinstance(value, (_py_int, np.integer)):
        return int64
    return get_default_dtype()


def python_scalar(value):
    """A NumPy scalar (or a subclass of int or float) as the Python number PyTorch
    reads it as (np.bool_ as a float); anything else unchanged."""
    c = value.__class__
    if c is _py_float or c is _py_int or c is _py_bool:
        return value
    if isinstance(value, np.generic):
        if isinstance(value, np.integer):
            return _py_int(value)
        if isinstance(value, (np.floating, np.bool_)):
            return _py_float(value)
        if isinstance(value, np.complexfloating):
            return complex(value)   # refused where a real number is needed
    elif isinstance(value, _py_int):   # bool subclasses none; IntEnum and the like
        return _py_int(value)
    elif isinstance(value, _py_float):
        return _py_float(value)
    return value


# -- scalars as values of a dtype --------------------------------------------------------------
def _limits(d):
    if d is uint8:
        return 0, 255
    half_range = 1 << (d.bits - 1)
    return -half_range, half_range - 1


def wrap_int(value, d):
    """Python int `value` as integer dtype `d` holds it: the low bits, two's complement."""
    value &= (1 << d.bits) - 1
    if d is not uint8 and value >> (d.bits - 1):
        value -= 1 << d.bits
    return value


def _as_scalar_int(value):
    """A Python int as PyTorch's Scalar takes it: int64, or uint64 above; OverflowError
    (its words) beyond."""
    if value < -(1 << 63):
        raise OverflowError(f"can't convert negative int to unsigned (value {value})")
    if value >= 1 << 64:
        raise OverflowError(f"int too big to convert (value {value})")
    return value


def scalar_value(value, d):
    """The value a kernel computing in dtype `d` gets for Python/NumPy scalar `value`,
    as PyTorch's arithmetic gives it: integers wrap to `d` (``int8 + 1000`` adds -24,
    ``int64 * 2**63`` multiplies by -2**63); OverflowError beyond uint64."""
    value = python_scalar(value)
    c = value.__class__
    if c is _py_int:
        value = _as_scalar_int(value)
        if d.category == _INT:
            return d.np.type(wrap_int(value, d))
        return d.np.type(_py_float(value) if d.category == _FLOAT else value != 0)
    if c is _py_float and d.category == _INT:   # fill-style C casts (truncation)
        return checked_scalar(value, d)
    if c is not _py_float and c is not _py_bool:
        raise TypeError(f"expected a Tensor or a real number, got {type(value).__name__}")
    return d.np.type(value)


def checked_scalar(value, d, name=None, int64=False):
    """`value` as dtype `d` with PyTorch's overflow check (fills, factories, setitem):
    RuntimeError 'value cannot be converted to type int8_t without overflow' (`name`
    replaces the C type name); a negative int into uint8 wraps, as in PyTorch.
    `int64`: a Python int must fit int64 (setitem's ValueError), not only uint64."""
    value = python_scalar(value)
    c = value.__class__
    if int64 and c is _py_int and not -(1 << 63) <= value < 1 << 63:
        raise ValueError(f"Overflow when unpacking long long (value {value} is outside int64)")
    if c is _py_bool or (d is bool and (c is _py_int or c is _py_float)):
        return d.np.type(value)
    if c is _py_int:
        value = _as_scalar_int(value)
        if d.category == _FLOAT:
            return d.np.type(_py_float(value))
        lo, hi = _limits(d)
        if value > hi or (value < lo and not (d is uint8 and -value <= hi)):
            raise _overflow(d, name, value)
        return d.np.type(wrap_int(value, d))
    if c is _py_float:
        if d.category == _FLOAT:
            if d is float32 and _F32_MAX < abs(value) < _INF:   # NaN and inf pass
                raise _overflow(d, name, value)
            return d.np.type(value)
        lo, hi = _limits(d)
        if not lo <= value <= _py_float(hi):   # in double, as C++ compares; NaN, inf too
            raise _overflow(d, name, value)
        return d.np.type(wrap_int(_py_int(value), d))
    raise TypeError(f"expected a real number for a {d!r} value, got {type(value).__name__}")


_F32_MAX = _py_float(np.finfo(np.float32).max)
_INF = _py_float("inf")


def _overflow(d, name, value):
    return RuntimeError(f"value cannot be converted to type {name or d.c_name} without "
                        f"overflow (value {value!r}, dtype {d!r})")


def result_type(*operands):
    """PyTorch's promotion: tensors with dimensions outrank 0-d tensors, which
    outrank Python scalars; a lower-ranked operand changes the result only when
    its category (bool < int < float) is higher.

    >>> result_type(nb.ones(2), 2.5) is nb.float32
    True
    """
    groups = [None, None, None]  # dimensioned tensors, 0-d tensors, scalars
    unsigned = False   # a Python int PyTorch holds as uint64
    for op in operands:
        d = getattr(op, "dtype", None)
        if d.__class__ is not dtype:   # a Python or NumPy scalar
            rank, d = 2, _scalar_dtype(op)
            unsigned = unsigned or (op.__class__ is _py_int and op >= 1 << 63)
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
    if unsigned and result.category == _INT and bool in groups[:2] and \
            groups[0] in (None, bool) and groups[1] in (None, bool):
        raise RuntimeError("Promotion for uint16, uint32, uint64 types is not supported, "
                           "attempted to promote Bool and UInt64 (a bool tensor and an int "
                           "of 2**63 or more)")
    return result
