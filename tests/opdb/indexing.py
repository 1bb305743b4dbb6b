"""Op database entries for indexing ops."""

OPS = []
