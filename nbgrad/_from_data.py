"""How ``nb.tensor(data)`` reads its data: nested Python sequences of numbers,
NumPy scalars and arrays, 0-d tensors -> a host NumPy array of the right dtype,
with PyTorch's inference and checks.

PyTorch's rules, followed here (recorded from PyTorch 2.13 in
tests/test_creation_trust.py):
- dtype inference: Python ``bool``/``int``/``float`` are bool, int64 and the
  default float dtype; NumPy scalars and tensors inside the data keep their
  dtype; the element dtypes promote (``[np.int8(1), np.uint8(2)]`` is int16).
- integers never wrap silently: a Python int outside int64 is ``ValueError:
  Overflow when unpacking long long``; a value outside the target integer dtype
  is ``RuntimeError: value cannot be converted to type uint8 without overflow``
  (a negative int into uint8 wraps, as in PyTorch: -1 is 255); a float into an
  integer dtype is truncated, and NaN, infinities and out-of-range floats raise.
- ragged data is ValueError, a scalar where a sequence is expected TypeError,
  ``None`` or another object RuntimeError ("Could not infer dtype of ...").
A NumPy array given as a whole is converted as NumPy converts (wrapping), as
PyTorch does; `check_array` gives PyTorch's errors for arrays it refuses.
"""

import operator

import numpy as np

from nbgrad import _dtypes

__all__ = ["check_array", "from_sequence"]

_SEQUENCES = (list, tuple, range)
_PY_NUMBERS = frozenset((float, int, bool))
_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1


def check_array(a, op):
    """PyTorch's ValueError for a NumPy array it does not take (another byte order,
    negative strides) and TypeError for a dtype nbgrad has no tensor type for;
    returns the nbgrad dtype of `a`."""
    if not a.dtype.isnative:
        return _dtypes.from_numpy_dtype(a.dtype, op)   # raises PyTorch's ValueError
    if any(s < 0 for s in a.strides):
        raise ValueError(f"{op}(): At least one stride in the given numpy array is negative, "
                         "and tensors with negative strides are not currently supported. (You "
                         "can probably work around this by making a copy of your array  with "
                         f"array.copy().) (strides {a.strides})")
    return _dtypes.from_numpy_dtype(a.dtype, op)


def _is_sequence(x):
    return isinstance(x, _SEQUENCES) or (isinstance(x, np.ndarray) and x.ndim > 0)


def _nested(data, Tensor):
    """(shape, flat list of leaves) of nested sequences, breadth first.  The first
    element decides the shape (a tensor there is one value); a tensor where the
    shape expects a sequence is read as one, as PyTorch reads it."""
    shape = []
    level = [data]
    while level and _is_sequence(level[0]):
        n = len(level[0])
        flat = []
        for x in level:
            if not _is_sequence(x):
                if isinstance(x, Tensor) and x.ndim:
                    x = list(x)
                else:
                    raise TypeError(f"tensor(): not a sequence: found a {type(x).__name__} "
                                    f"where dimension {len(shape)} expects sequences of "
                                    f"length {n}")
            if len(x) != n:
                raise ValueError(f"expected sequence of length {n} at dim {len(shape)} "
                                 f"(got {len(x)})")
            flat.extend(x)
        shape.append(n)
        level = flat
        if n == 0:
            break
    return tuple(shape), level


def _leaf_dtype(x, Tensor):
    """The dtype one element contributes to the inference (float16 included: it
    promotes, and only a float16 result is refused)."""
    c = x.__class__
    if c is bool:
        return _dtypes.bool
    if c is int:
        return _dtypes.int64
    if c is float:
        return _dtypes.get_default_dtype()
    if isinstance(x, np.generic):   # NumPy scalars keep their dtype
        if x.dtype == np.float16:
            return _dtypes.float16
        return _dtypes.from_numpy_dtype(x.dtype, "tensor")
    if isinstance(x, Tensor):
        return x.dtype
    if isinstance(x, bool):
        return _dtypes.bool
    if isinstance(x, int):
        return _dtypes.int64
    if isinstance(x, float):
        return _dtypes.get_default_dtype()
    if isinstance(x, complex):
        raise TypeError("tensor(): nbgrad has no complex tensors (PyTorch's complex64 / "
                        f"complex128); got {x!r}")
    if isinstance(x, (str, bytes)) or _is_sequence(x):
        raise TypeError(f"new(): invalid data type '{type(x).__name__}' in tensor() data")
    raise RuntimeError(f"Could not infer dtype of {type(x).__name__}")


def _infer(leaves, kinds, Tensor):
    if kinds <= _PY_NUMBERS:   # the common case: plain Python numbers
        if float in kinds or not kinds:
            return _dtypes.get_default_dtype()
        return _dtypes.int64 if int in kinds else _dtypes.bool
    d = None
    for x in leaves:
        e = _leaf_dtype(x, Tensor)
        d = e if d is None else _dtypes._promote_pair(d, e)
    return d


def _int_leaf(x, d):
    """One element as integer dtype `d` takes it (PyTorch's index protocol; Python
    floats truncate, with the overflow check)."""
    if isinstance(x, float):
        return _dtypes.checked_scalar(float(x), d, d.name)
    v = operator.index(x)   # TypeError for np.bool_, np.float32, float tensors: PyTorch's
    if not _INT64_MIN <= v <= _INT64_MAX:
        raise ValueError(f"Overflow when unpacking long long (value {v} is outside int64)")
    return _dtypes.checked_scalar(v, d, d.name)


def _bool_leaf(x):
    if isinstance(x, (float, int, np.bool_)):
        return bool(x)
    return operator.index(x) != 0


def _check_int_range(arr, d):
    """RuntimeError if int64 array `arr` has a value integer dtype `d` cannot take."""
    if d is _dtypes.int64 or not arr.size or arr.dtype.kind == "b":
        return
    lo, hi = _dtypes._limits(d)
    if d is _dtypes.uint8:
        lo = -hi   # a negative int wraps into uint8 (PyTorch's rule)
    mn, mx = int(arr.min()), int(arr.max())
    if mn < lo or mx > hi:
        bad = mn if mn < lo else mx
        raise RuntimeError(f"value cannot be converted to type {d.name} without overflow "
                           f"(value {bad}, dtype {d!r})")


def _values(leaves, kinds, d):
    """A NumPy array of `leaves` whose values dtype `d` can take as they are (cast later)."""
    if d.category == _dtypes._FLOAT:
        if kinds <= _PY_NUMBERS:
            return np.array(leaves, dtype=np.float64)   # OverflowError for huge ints
        if str in kinds or bytes in kinds:   # float('1.5') would parse it
            raise ValueError("tensor(): too many dimensions 'str' (strings are not numbers)")
        return np.array([float(x) for x in leaves], dtype=np.float64)
    if d is _dtypes.bool:
        if kinds <= _PY_NUMBERS:
            return np.array(leaves, dtype=np.bool_)
        return np.array([_bool_leaf(x) for x in leaves], dtype=np.bool_)
    if kinds <= {int, bool}:
        arr = np.array(leaves) if leaves else np.empty(0, np.int64)
        if arr.dtype.kind not in "bi":   # NumPy went to uint64, float or object
            big = next(v for v in leaves if not _INT64_MIN <= v <= _INT64_MAX)
            raise ValueError(f"Overflow when unpacking long long (value {big} is outside "
                             "int64)")
        _check_int_range(arr, d)
        return arr
    return np.array([_int_leaf(x, d) for x in leaves], dtype=d.np)


def from_sequence(data, dtype, Tensor):
    """(host array, dtype) for ``tensor(data, dtype=dtype)``, `data` not a Tensor
    or an ndarray (see the module docstring)."""
    shape, leaves = _nested(data, Tensor)
    kinds = {x.__class__ for x in leaves}
    if np.ndarray in kinds:   # a 0-d array inside a list: PyTorch's TypeError
        raise TypeError("tensor(): len() of unsized object (a 0-d NumPy array inside the "
                        "data; use its value, array.item())")
    d = _dtypes.as_dtype(_infer(leaves, kinds, Tensor)) if dtype is None else dtype
    arr = _values(leaves, kinds, d)
    return arr.reshape(shape), d
