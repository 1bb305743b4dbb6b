"""Op database entries for nn ops."""

OPS = []
