"""The op library: every op is declared once in its family module and
registered in `REGISTRY` (see `nbgrad.ops.registry` for the declaration form).

Families: unary, activation, binary (elementwise); reduce, reduce_extrema,
reduce_scan, reduce_stats; movement, indexing, joining, scatter; linalg; nn;
inplace.  Each module's ``__all__`` lists the public functions that
``nbgrad`` re-exports.
"""

from nbgrad.ops.registry import REGISTRY
from nbgrad.ops import (activation, binary, indexing, inplace, joining,  # noqa: F401
                        linalg, movement, nn, reduce, reduce_extrema, reduce_scan,
                        reduce_stats, scatter, unary)

FAMILIES = (unary, activation, binary, reduce, reduce_extrema, reduce_scan, reduce_stats,
            movement, indexing, joining, scatter, linalg, nn, inplace)

__all__ = ["REGISTRY", "FAMILIES"]
