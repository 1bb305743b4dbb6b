"""Indexing ops: advanced indexing, __setitem__, gather, scatter, index_select,
masked_fill, cat, stack, split and friends (filled in by issue 3)."""

__all__ = []
