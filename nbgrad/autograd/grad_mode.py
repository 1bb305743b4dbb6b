"""Grad mode: whether operations are recorded on the tape (thread-local).

`no_grad`, `enable_grad` and `set_grad_enabled` work as context managers and
as decorators, as in PyTorch.
"""

import functools
import threading

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled"]


class _State(threading.local):
    enabled = True


_state = _State()


def is_grad_enabled():
    """True when new operations are recorded for autograd."""
    return _state.enabled


class _GradModeContext:
    """Base of the grad-mode context managers; also usable as a decorator."""

    _mode = True

    def __enter__(self):
        self._prev = _state.enabled
        _state.enabled = self._mode

    def __exit__(self, *exc):
        _state.enabled = self._prev
        return False

    def __call__(self, func):
        mode = self._mode

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            prev = _state.enabled
            _state.enabled = mode
            try:
                return func(*args, **kwargs)
            finally:
                _state.enabled = prev
        return wrapper


class no_grad(_GradModeContext):
    """Disable recording: ``with nb.no_grad(): y = x * 2`` gives y.requires_grad False."""

    _mode = False


class enable_grad(_GradModeContext):
    """Enable recording inside a ``no_grad`` block."""

    _mode = True


class set_grad_enabled(_GradModeContext):
    """``set_grad_enabled(False)`` switches recording off at once (as a call), or
    for a ``with`` block (as a context manager)."""

    def __init__(self, mode):
        self._prev = _state.enabled
        self._mode = bool(mode)
        _state.enabled = self._mode

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _state.enabled = self._prev
        return False

    def __call__(self, func):
        # used as a decorator: the constructor already switched the mode; undo that
        _state.enabled = self._prev
        return super().__call__(func)
