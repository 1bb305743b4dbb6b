"""The op library: every op is declared once in its family module and
registered in `REGISTRY` (see `nbgrad.ops.registry` for the declaration form).

Families: unary, activation, binary (elementwise); reduce, reduce_extrema,
reduce_scan, reduce_stats; movement, rearrange, indexing, joining, scatter;
linalg; nn; conv, pool; inplace.  Each module's ``__all__`` lists the public functions that
``nbgrad`` re-exports.
"""

from nbgrad.autograd import provided as _provided
from nbgrad.backends import dispatch as _dispatch
from nbgrad.backends.cpu import elementwise as _cpu_ew
from nbgrad.ops.registry import REGISTRY
from nbgrad.ops import (activation, binary, conv, indexing, inplace, joining,  # noqa: F401
                        kernel_op, linalg, movement, nn, pool, rearrange, reduce,
                        reduce_extrema, reduce_scan, reduce_stats, scatter, unary)
from nbgrad.ops import counting, searching, sorting, structure  # noqa: F401,E402,I001

FAMILIES = (unary, activation, binary, reduce, reduce_extrema, reduce_scan, reduce_stats,
            movement, rearrange, indexing, joining, scatter, linalg, nn, conv, pool, inplace)
FAMILIES += (sorting, searching, counting, structure)
from nbgrad.ops import addmm, pointwise_extra  # noqa: E402,I001  (issue 14: isclose, addmm...)
FAMILIES += (pointwise_extra, addmm)
from nbgrad.ops import profiling  # noqa: E402,F401,I001  (op events for autograd.profiler)


def _add_gradients(a, b):
    """a + b of two gradients, not recorded: the add kernel without the op's checks
    when their shapes, dtypes and devices agree (the engine's accumulation)."""
    da, db = a._data, b._data
    if da.shape != db.shape or a.dtype is not b.dtype or a.device is not b.device:
        return a + b
    if da.__class__ is _ndarray and db.__class__ is _ndarray and da.flags.c_contiguous and \
            db.flags.c_contiguous:   # host gradients, the usual case: no dispatch
        return a.__class__._make(_cpu_ew.sum_of_two(_ADD.forward_family, da, db), a.dtype,
                                 a.device)
    out = _dispatch.backend(a.device).run(_ADD.forward_family, [a._data, b._data],
                                          [a.dtype.np], a._data.shape)[0]
    return a.__class__._make(out, a.dtype, a.device)


_ADD = REGISTRY["add"]
_ndarray = _cpu_ew.np.ndarray
# autograd sits below the ops: hand it the ops it calls (nbgrad.autograd.provided)
_provided.provide(add=_add_gradients, add_into=lambda old, g: _ADD.into(old, old, g),
                  kernel_op=kernel_op.kernel_op)

__all__ = ["REGISTRY", "FAMILIES"]
