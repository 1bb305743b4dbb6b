"""Argument checks shared by the public ops: PyTorch's TypeError, in PyTorch's
words, for an argument of the wrong Python type (a list where a Tensor goes, a
str or an int as ``keepdim``, None as a required ``dim``), raised before any
kernel runs.

PyTorch's argument parser is strict where Python is loose: ``keepdim=1`` and
``keepdim=np.bool_(True)`` are refused (only ``bool`` is a bool), and a list is
not a tensor.  Without these checks a truthy string would silently mean True.
"""

from nbgrad.tensor import Tensor

__all__ = ["type_name", "check_tensor", "require_tensor", "check_same_device", "check_bool",
           "check_int", "check_sequence", "invalid_combination", "check_reduction",
           "scalar_name", "check_scalar_type", "UNSET"]


class _Unset:
    """The default of an argument whose absence PyTorch tells from None."""

    __slots__ = ()

    def __repr__(self):
        return "<unset>"


UNSET = _Unset()


def type_name(value):
    """The type of `value` as PyTorch's messages name it: ``Tensor``, ``str``,
    ``NoneType``, ``numpy.bool``."""
    if isinstance(value, Tensor):
        return "Tensor"
    cls = type(value)
    module = cls.__module__
    return cls.__name__ if module == "builtins" else f"{module.split('.')[0]}.{cls.__name__}"


def check_tensor(opname, value, name="input", position=1):
    """`value`, or TypeError if it is not a Tensor:
    ``sum(): argument 'input' (position 1) must be Tensor, not list``."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{opname}(): argument '{name}' (position {position}) must be Tensor, "
                        f"not {type_name(value)}")
    return value


def require_tensor(opname, value, name):
    """`value`, or TypeError if it is not a Tensor, in the words of PyTorch's
    checks written by hand (no position, the bare class name):
    ``where(): argument 'condition' must be Tensor, not list``."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{opname}(): argument '{name}' must be Tensor, not "
                        f"{type(value).__name__}")
    return value


def scalar_name(dtype):
    """PyTorch's ScalarType name of `dtype` (``Long``), as its messages spell it."""
    return dtype.torch_name


def check_scalar_type(expected, dtype, detail=""):
    """RuntimeError unless `dtype` is `expected`, in PyTorch's words (then
    `detail`): ``expected scalar type Float but found Double``."""
    if dtype is not expected:
        raise RuntimeError(f"expected scalar type {scalar_name(expected)} but found "
                           f"{scalar_name(dtype)}{detail}")


def check_same_device(opname, input, *others):
    """RuntimeError (PyTorch's elementwise-kernel words) unless every tensor among
    `others` (non-tensors skipped) is on `input`'s device: checked before any kernel
    runs, as a kernel of one device cannot read the other's memory."""
    for t in others:
        if isinstance(t, Tensor) and t.device != input.device:
            raise RuntimeError(f"{opname}: Expected all tensors to be on the same device, but "
                               f"found at least two devices, {input.device} and {t.device}!")


def check_bool(opname, value, name="keepdim"):
    """`value`, or TypeError unless it is a Python bool (PyTorch refuses 1 and
    numpy.bool_ too): ``sum(): argument 'keepdim' must be bool, not str``."""
    if value.__class__ is not bool:
        raise TypeError(f"{opname}(): argument '{name}' must be bool, not {type_name(value)}")
    return value


def check_int(opname, value, name="dim", kind="int"):
    """`value` as an int, or TypeError (bools and floats are not ints here):
    ``chunk(): argument 'chunks' must be int, not str``."""
    if value.__class__ is int:
        return value
    if not isinstance(value, bool) and hasattr(value, "__index__") and \
            not isinstance(value, Tensor):
        return value.__index__()   # NumPy integers
    raise TypeError(f"{opname}(): argument '{name}' must be {kind}, not {type_name(value)}")


def check_sequence(value, cls, not_sequence, bad_element):
    """`value`, or TypeError unless it is a list or tuple of `cls`: `not_sequence`
    formatted with ``type`` (the name of value's type), or `bad_element` with
    ``pos`` and ``type`` of the first element that is not a `cls` (each caller
    keeps PyTorch's words for its argument)."""
    if not isinstance(value, (list, tuple)):
        raise TypeError(not_sequence.format(type=type(value).__name__))
    for pos, elem in enumerate(value):
        if not isinstance(elem, cls):
            raise TypeError(bad_element.format(pos=pos, type=type(elem).__name__))
    return value


def invalid_combination(opname, *args, **kwargs):
    """PyTorch's TypeError for a call that matches none of an op's signatures,
    naming the argument types it got: ``max() received an invalid combination
    of arguments - got (dim=NoneType, )``."""
    got = [type_name(a) for a in args] + [f"{k}={type_name(v)}" for k, v in kwargs.items()]
    text = ", ".join(got) + (", " if kwargs and not args else "")
    return TypeError(f"{opname}() received an invalid combination of arguments - got ({text})")


def check_reduction(opname, input, keepdim):
    """The checks every reduction makes before anything else: `input` is a
    Tensor and `keepdim` a bool (the type of `dim` is checked where it is
    normalized, `nbgrad.ops.reduce.normalize_dims`)."""
    if input.__class__ is not Tensor:
        check_tensor(opname, input)
    if keepdim.__class__ is not bool:
        check_bool(opname, keepdim)
