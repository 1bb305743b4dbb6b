"""Run code snippets against recorded PyTorch outcomes (tests never import torch).

A case is a snippet whose last line is an expression, run with ``torch`` bound to
nbgrad (in the tests) or to PyTorch (when recording), ``np`` to NumPy (``copy``,
``io`` and ``math`` are there too).  Its outcome is data: ``("raises",
"RuntimeError")`` (the nearest builtin exception class, what a user's ``except``
names) or ``("value", <normalized result>)``, where a tensor is ``("tensor",
dtype name, shape, values)`` and floats that are not finite are the strings
"nan", "inf", "-inf".

To re-record a test module's cases (PyTorch installed)::

    .venv/bin/python -c "import torch, tests.recorded as r, tests.test_creation_trust as m; \\
        r.record(torch, m.CASES)"

and paste the printed dict over the module's ``OUTCOMES``.
"""

import builtins
import copy
import io
import math
import pprint
import warnings

import numpy as np


def _float(v):
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def _values(v):
    if isinstance(v, list):
        return [_values(x) for x in v]
    if isinstance(v, complex):
        return ("complex", _float(v.real), _float(v.imag))
    return _float(v) if isinstance(v, float) else v


def normalize(obj):
    """A comparable description of a result (tensors by dtype, shape and values)."""
    name = type(obj).__name__
    if name in ("Tensor", "Parameter") and hasattr(obj, "dtype"):
        return ("tensor", str(obj.dtype).split(".")[-1], list(obj.shape),
                _values(obj.detach().tolist()))
    if name == "dtype":
        return ("dtype", str(obj).split(".")[-1])
    if isinstance(obj, float):
        return _float(obj)
    if isinstance(obj, (list, tuple)):
        return [normalize(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return ("ndarray", str(obj.dtype), _values(obj.tolist()))
    return obj


def builtin_base(exc_type):
    for cls in exc_type.__mro__:
        if getattr(builtins, cls.__name__, None) is cls:
            return cls.__name__
    return "BaseException"


def outcome(torch, code):
    """The outcome of `code` with `torch` bound to the given module."""
    lines = code.split("\n")
    env = {"torch": torch, "np": np, "copy": copy, "math": math, "io": io}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec("\n".join(lines[:-1]), env)  # noqa: S102 - the case's own statements
            value = eval(lines[-1], env)
            return ("value", normalize(value))
    except Exception as e:  # noqa: BLE001 - the exception class is the outcome
        return ("raises", builtin_base(type(e)))


def record(torch, cases):
    """Print {code: outcome} for `cases` run with `torch` (PyTorch, when recording)."""
    pprint.pprint({code: outcome(torch, code) for code in cases}, width=100, sort_dicts=False)


def close(got, want):
    """Whether two normalized outcomes agree (floats to 1e-6 relative)."""
    if isinstance(want, (list, tuple)):
        return isinstance(got, (list, tuple)) and len(got) == len(want) and all(
            close(g, w) for g, w in zip(got, want))
    if isinstance(want, float) and isinstance(got, float) and not isinstance(got, bool):
        return abs(got - want) <= 1e-6 * (1 + abs(want))
    return type(got) is type(want) and got == want
