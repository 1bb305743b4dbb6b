"""Anomaly detection: ``set_detect_anomaly`` / ``detect_anomaly``.

With anomaly mode on,
- every recorded node keeps a short traceback of the forward call that made
  it (`capture`, called by `nbgrad.autograd.node.new_node` only when the flag
  is set, so recording costs nothing extra when it is off);
- the engine (`nbgrad.autograd.engine`) wraps each backward rule: an error is
  re-raised with a note naming the node and that traceback (and a
  UserWarning as PyTorch prints it), and a NaN in a rule's result raises a
  RuntimeError naming the node.

The engine reads the flag once per backward call.  As in PyTorch the mode is
process-wide, not thread-local.
"""

import functools
import traceback
import warnings

import numba

from nbgrad.backends import dispatch

__all__ = ["set_detect_anomaly", "detect_anomaly", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled"]

# [enabled, check_nan]: a list so that node.py can hold a reference to it and
# test `FLAGS[0]` without an attribute lookup on this module
FLAGS = [False, True]

_ENABLE_WARNING = ("Anomaly Detection has been enabled. This mode will increase the runtime "
                   "and should only be enabled for debugging.")


def is_anomaly_enabled():
    """True while anomaly detection is on."""
    return FLAGS[0]


def is_anomaly_check_nan_enabled():
    """True while anomaly detection also checks backward results for NaN."""
    return FLAGS[1]


class detect_anomaly:
    """Context manager (or decorator) that turns anomaly detection on inside it.

    >>> with nb.autograd.detect_anomaly():
    ...     y = nb.log(nb.tensor([-1.0], requires_grad=True)).sum()
    """

    def __init__(self, check_nan=True):
        self._check_nan = bool(check_nan)

    def __enter__(self):
        warnings.warn(_ENABLE_WARNING, UserWarning, stacklevel=2)
        self._prev = tuple(FLAGS)
        FLAGS[0], FLAGS[1] = True, self._check_nan
        return self

    def __exit__(self, *exc):
        FLAGS[0], FLAGS[1] = self._prev
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self._check_nan):
                return func(*args, **kwargs)
        return wrapper


class set_detect_anomaly:
    """Turn anomaly detection on or off: at once as a call, or for a ``with`` block.

    >>> nb.autograd.set_detect_anomaly(True)     # on until switched off
    >>> with nb.autograd.set_detect_anomaly(False):
    ...     pass                                 # off inside the block, restored after
    """

    def __init__(self, mode, check_nan=True):
        self._prev = tuple(FLAGS)
        FLAGS[0], FLAGS[1] = bool(mode), bool(check_nan)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        FLAGS[0], FLAGS[1] = self._prev
        return False


def capture():
    """A short traceback (the user's frames) of the op being recorded now."""
    stack = traceback.extract_stack()
    # drop nbgrad's own frames at the end: they are the same for every op
    keep = len(stack)
    while keep > 1 and "/nbgrad/" in stack[keep - 1].filename.replace("\\", "/"):
        keep -= 1
    frames = stack[max(0, keep - 12):keep]
    return "".join(traceback.format_list(frames))


def trace_of(node):
    """The recorded forward traceback of `node` (a hint if there is none)."""
    tb = getattr(node, "anomaly_trace", None)
    if tb is None:
        return ("No forward pass information available. Enable detect anomaly during "
                "forward pass for more information.")
    return tb


def run_checked(node, grads_out, apply):
    """`apply(node, grads_out)` with anomaly reporting (the engine's slow path)."""
    try:
        grads_in = apply(node, grads_out)
    except Exception as e:
        tb = trace_of(node)
        msg = f"Error detected in {node.name()}. Traceback of forward call that caused " \
              f"the error:\n{tb}"
        warnings.warn(msg, UserWarning, stacklevel=3)
        if hasattr(e, "add_note"):
            e.add_note(msg)
        raise
    if FLAGS[1] and grads_in is not None:
        for i, g in enumerate(grads_in):
            if g is not None and g.dtype.is_floating_point and _has_nan(g._data):
                raise RuntimeError(
                    f"Function '{node.name()}' returned nan values in its {i}th output "
                    f"(shape {list(g._data.shape)}). It was recorded at:\n{trace_of(node)}")
    return grads_in


def _has_nan(a):
    if a.size == 0:
        return False
    if not a.flags.c_contiguous:
        a = dispatch.backend_for(a).contiguous(a)
    return _any_nan(a.reshape(-1))


@numba.njit(cache=True)
def _any_nan(flat):
    for i in range(flat.shape[0]):
        v = flat[i]
        if v != v:
            return True
    return False
