"""The op dispatch points the profiler times (`nbgrad.autograd.profiler`): the calls
of elementwise and function-style ops, named as PyTorch's events ("aten::mul").
Nothing is wrapped until a profile starts."""

from nbgrad.autograd import profiler
from nbgrad.ops.elementwise import Elementwise
from nbgrad.ops.registry import FunctionOp

__all__ = ["event_name"]

# nbgrad's variants of one PyTorch op carry a suffix (add_alpha, pow_scalar, sum.dim_IntList)
_SUFFIXES = ("_alpha", "_scalar", "_tensor", "_trunc", "_floor", "_decimals", "_batched")


def event_name(op):
    """'aten::<name>' of an op: ``event_name(REGISTRY["add_alpha"])`` is 'aten::add'."""
    name = op.name.split(".", 1)[0]
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return "aten::" + name[:-len(suffix)]
    return "aten::" + name


profiler.register_dispatch(Elementwise, "__call__", event_name)
profiler.register_dispatch(FunctionOp, "__call__", event_name)
