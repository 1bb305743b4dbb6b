"""The op library: every op is declared once in its family module and
registered in `REGISTRY` (see `nbgrad.ops.registry` for the declaration form).

Families: unary, binary (elementwise), reduce, movement, indexing, linalg, nn,
inplace.  Each module's ``__all__`` lists the public functions that
``nbgrad`` re-exports.
"""

from nbgrad.ops.registry import REGISTRY
from nbgrad.ops import (binary, indexing, inplace, linalg, movement, nn,  # noqa: F401
                        reduce, unary)

FAMILIES = (unary, binary, reduce, movement, indexing, linalg, nn, inplace)

__all__ = ["REGISTRY", "FAMILIES"]
