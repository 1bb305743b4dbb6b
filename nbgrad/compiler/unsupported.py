"""`Unsupported`: what lowering raises when the tape cannot replay a recording."""

__all__ = ["Unsupported"]


class Unsupported(Exception):
    """The recorded run uses something the tape cannot replay (the message says what)."""
