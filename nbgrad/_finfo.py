"""Numeric limits of the dtypes (``nb.finfo``, ``nb.iinfo``), the math constants
(``nb.pi``, ``nb.e``, ``nb.inf``, ``nb.nan``, ``nb.newaxis``) and the memory
formats (``nb.contiguous_format``, ``nb.preserve_format``, ``nb.channels_last``,
``nb.channels_last_3d``), with PyTorch's names, attributes, printing and errors.

The limits are properties of the IEEE formats, read from NumPy's tables once
per dtype (no computation on tensors happens here).
"""

import math

import numpy as np

from nbgrad import _dtypes

__all__ = ["finfo", "iinfo", "memory_format", "contiguous_format", "preserve_format",
           "channels_last", "channels_last_3d", "pi", "e", "inf", "nan", "newaxis",
           "check_memory_format"]

pi = math.pi
e = math.e
inf = math.inf
nan = math.nan
newaxis = None

_DEFAULT = object()   # finfo() describes the default dtype; finfo(None) is a TypeError
# PyTorch's resolution: 10 ** -(decimal digits of precision)
_DIGITS = {"float16": 3, "float32": 6, "float64": 15}


def _dtype_arg(op, d):
    if d is float:   # PyTorch takes Python's float as float64 here
        return _dtypes.float64
    if d is int:
        return _dtypes.int64
    if d.__class__ is not _dtypes.dtype:
        raise TypeError(f"{op}(): argument 'type' (position 1) must be torch.dtype, not "
                        f"{type(d).__name__}")
    return d


class _Limits:
    """What finfo and iinfo share: equal when they describe one dtype; str is repr."""

    __slots__ = ()
    # per subclass: whether it describes floating dtypes, the input type it names in
    # its TypeError, the other class, and NumPy's table of the limits
    _floating, _kind, _other, _numpy = None, None, None, None

    def _read(self, d):
        """NumPy's limits of dtype `d` (bits and dtype set), after PyTorch's check
        that `d` is of this class's kind."""
        name = type(self).__name__
        if d.is_floating_point is not self._floating:
            raise TypeError(f"torch.{name}() requires {self._kind} input type. Use "
                            f"torch.{self._other} to handle 'torch.{name}' (got {d!r})")
        self.bits = d.bits
        self.dtype = d.name
        return self._numpy(d.np)

    def __eq__(self, other):
        return isinstance(other, type(self)) and self.dtype == other.dtype

    def __hash__(self):
        return hash((type(self).__name__, self.dtype))

    def __str__(self):
        return repr(self)


class finfo(_Limits):
    """The limits of a floating dtype: ``nb.finfo(nb.float32).eps`` is 1.1920928955078125e-07.

    Attributes as PyTorch's: bits, eps, max, min, tiny, smallest_normal, resolution
    and dtype (its name, a string).  ``nb.finfo()`` describes the default dtype."""

    __slots__ = ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution",
                 "dtype")
    _floating, _kind, _other, _numpy = True, "a floating point", "iinfo", np.finfo

    def __init__(self, type=_DEFAULT):
        d = _dtypes.get_default_dtype() if type is _DEFAULT else _dtype_arg("finfo", type)
        f = self._read(d)
        self.eps = float(f.eps)
        self.max = float(f.max)
        self.min = float(f.min)
        self.tiny = self.smallest_normal = float(f.smallest_normal)
        self.resolution = 10.0 ** -_DIGITS[d.name]

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo(_Limits):
    """The limits of an integer dtype: ``nb.iinfo(nb.int32).max`` is 2147483647.

    Attributes as PyTorch's: bits, max, min and dtype (its name, a string)."""

    __slots__ = ("bits", "max", "min", "dtype")
    _floating, _kind, _other, _numpy = False, "an integer", "finfo", np.iinfo

    def __init__(self, type):
        d = _dtype_arg("iinfo", type)
        if d is _dtypes.bool:
            raise TypeError("torch.bool is not supported by torch.iinfo")
        i = self._read(d)
        self.max = int(i.max)
        self.min = int(i.min)

    def __repr__(self):
        return f"iinfo(min={float(self.min):g}, max={float(self.max):g}, dtype={self.dtype})"


class memory_format:
    """A memory layout name (``nb.contiguous_format``...), printed as PyTorch's."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return "torch." + self.name

    def __reduce__(self):
        return (_memory_format_named, (self.name,))


contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
_FORMATS = {f.name: f for f in (contiguous_format, preserve_format, channels_last,
                                channels_last_3d)}


def _memory_format_named(name):
    return _FORMATS[name]


def check_memory_format(op, value, shape=None):
    """`value` (None, or a memory format) as `op` accepts it: contiguous and preserve
    formats are honoured (nbgrad's buffers are row-major); channels_last needs a
    rank-4 (channels_last_3d a rank-5) tensor as in PyTorch (RuntimeError) and is
    then NotImplementedError: nbgrad has no channels-last buffers."""
    if value is None or value is contiguous_format or value is preserve_format:
        return value
    if value.__class__ is not memory_format:
        raise TypeError(f"{op}(): argument 'memory_format' must be torch.memory_format, not "
                        f"{type(value).__name__}")
    rank = 4 if value is channels_last else 5
    if shape is not None and len(shape) != rank:
        raise RuntimeError(f"required rank {rank} tensor to use {value.name} format "
                           f"({op} of a tensor of shape {list(shape)})")
    raise NotImplementedError(f"{op}(): nbgrad has no {value.name} tensors (its buffers are "
                              "row-major, torch.contiguous_format); leave memory_format out or "
                              "use torch.contiguous_format")
