"""Op database entries for in-place ops (registered in-place ops, if any)."""

OPS = []
