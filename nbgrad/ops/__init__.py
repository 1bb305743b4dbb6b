"""The op library: every op is declared once in its family module and
registered in `REGISTRY` (see `nbgrad.ops.registry` for the declaration form)."""

from nbgrad.ops.registry import REGISTRY
from nbgrad.ops import binary, linalg, movement, reduce, unary  # noqa: F401  (registration)

__all__ = ["REGISTRY"]
