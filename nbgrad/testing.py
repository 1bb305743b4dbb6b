"""``nbgrad.testing``: ``assert_close`` with PyTorch's defaults, pairing rules and messages.

Tensors (and NumPy arrays) are compared with `nbgrad.isclose` (a Numba kernel); the
mismatch report (counts, greatest absolute and relative differences and where) is
computed with nbgrad ops too.  Python numbers are compared as numbers; sequences and
mappings element by element, the failing item named in the message.  Default
tolerances are PyTorch's per dtype: float16 (rtol 1e-3, atol 1e-5), float32 (1.3e-6,
1e-5), float64 (1e-7, 1e-7), integers and bool exact.

>>> nb.testing.assert_close(nb.tensor([1., 2.]), nb.tensor([1., 2.000001]))
"""

import collections.abc
import math

import numpy as np

__all__ = ["assert_close"]

_TOLERANCES = {"float16": (1e-3, 1e-5), "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7)}


class _Failure(Exception):
    """A mismatch found while comparing (turned into AssertionError, or the type it names)."""

    def __init__(self, message, kind=AssertionError):
        super().__init__(message)
        self.kind = kind


def _tolerances(dtypes, rtol, atol):
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got "
                         f"no {'rtol' if rtol is None else 'atol'}.")
    if rtol is not None:
        return rtol, atol
    pairs = [_TOLERANCES.get(getattr(d, "name", d), (0.0, 0.0)) for d in dtypes]
    return max(p[0] for p in pairs), max(p[1] for p in pairs)


def _diff_line(kind, diff, idx, tol, equality):
    head = f"{kind.title()} difference: {diff}" if idx is None else \
        f"Greatest {kind} difference: {diff} at index {idx}"
    return head + ("" if equality else f" (up to {tol} allowed)") + "\n"


def _mismatch(identifier, extra, abs_diff, abs_idx, rel_diff, rel_idx, rtol, atol):
    equality = rtol == 0 and atol == 0
    msg = f"{identifier} are not {'equal' if equality else 'close'}!\n\n{extra}"
    msg += _diff_line("absolute", abs_diff, abs_idx, atol, equality)
    msg += _diff_line("relative", rel_diff, rel_idx, rtol, equality)
    return msg.strip()


def _compare_numbers(actual, expected, rtol, atol, equal_nan):
    kind = float if isinstance(actual, float) or isinstance(expected, float) else int
    rtol, atol = _tolerances(["float64" if kind is float else "int64"], rtol, atol)
    if actual == expected or (equal_nan and actual != actual and expected != expected):
        return
    diff = abs(actual - expected)
    if math.isfinite(diff) and diff <= atol + rtol * abs(expected):
        return
    rel = math.inf if expected == 0 else diff / abs(expected)
    raise _Failure(_mismatch("Scalars", f"Expected {expected} but got {actual}.\n", diff, None,
                             rel, None, rtol, atol))


def _check_attributes(actual, expected, check_dtype, check_device):
    import nbgrad as nb
    checks = [("shape", actual.shape, expected.shape)]
    if check_device:
        checks.append(("device", actual.device, expected.device))
    if check_dtype:
        checks.append(("dtype", actual.dtype, expected.dtype))
    for name, a, e in checks:
        if a != e:
            raise _Failure(f"The values for attribute '{name}' do not match: {a} != {e}.")
    if actual.device != expected.device:   # check_device=False: compare on the CPU
        actual, expected = actual.cpu(), expected.cpu()
    if actual.dtype is not expected.dtype:
        d = nb.result_type(actual, expected)
        actual, expected = actual.to(d), expected.to(d)
    return actual, expected


def _unravel(flat, shape):
    idx = []
    for n in reversed(shape):
        idx.append(flat % n)
        flat //= n
    return tuple(reversed(idx))


def _tensor_message(actual, expected, matches, rtol, atol):
    import nbgrad as nb
    total = actual.numel()
    bad = int((~matches).sum())
    a, e, m = actual.reshape(-1), expected.reshape(-1), matches.reshape(-1)
    if not a.dtype.is_floating_point:   # integer differences in int64, as PyTorch
        a, e = a.to(nb.int64), e.to(nb.int64)
    abs_diff = nb.where(m, 0, (a - e).abs())
    rel_diff = nb.where(m, 0, abs_diff / e.abs())
    (ad, ai), (rd, ri) = (tuple(nb.max(d, 0)) for d in (abs_diff, rel_diff))
    extra = f"Mismatched elements: {bad} / {total} ({bad / total:.1%})\n"
    shape = tuple(actual.shape)
    return _mismatch("Tensor-likes", extra, ad.item(), _unravel(int(ai), shape), rd.item(),
                     _unravel(int(ri), shape), rtol, atol)


def _compare_tensors(actual, expected, rtol, atol, equal_nan, check_dtype, check_device):
    import nbgrad as nb
    actual, expected = (nb.as_tensor(v) if isinstance(v, np.ndarray) else v.detach()
                        for v in (actual, expected))
    rtol, atol = _tolerances([actual.dtype, expected.dtype], rtol, atol)
    actual, expected = _check_attributes(actual, expected, check_dtype, check_device)
    matches = nb.isclose(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan)
    if bool(matches.all()):
        return
    if actual.ndim == 0:
        a, e = actual.item(), expected.item()
        rel = math.inf if e == 0 else abs(a - e) / abs(e)
        raise _Failure(_mismatch("Scalars", f"Expected {e} but got {a}.\n", abs(a - e), None,
                                 rel, None, rtol, atol))
    raise _Failure(_tensor_message(actual, expected, matches, rtol, atol))


def _is_tensor_like(v):
    import nbgrad as nb
    return isinstance(v, (nb.Tensor, np.ndarray))


def _is_number(v):
    return isinstance(v, (bool, int, float)) or isinstance(v, (np.integer, np.floating))


def _sequence(v):
    return isinstance(v, collections.abc.Sequence) and not isinstance(v, str)


def _compare(actual, expected, path, options):
    """Compare one pair; containers recurse with `path` (their keys so far)."""
    if _sequence(actual) and _sequence(expected):
        if len(actual) != len(expected):
            raise _Failure(f"The length of the sequences mismatch: {len(actual)} != "
                           f"{len(expected)}")
        for i, (a, e) in enumerate(zip(actual, expected)):
            _compare(a, e, path + (i,), options)
        return
    if isinstance(actual, collections.abc.Mapping) and \
            isinstance(expected, collections.abc.Mapping):
        if set(actual) != set(expected):
            raise _Failure(f"The keys of the mappings do not match:\nMissing keys in the actual "
                           f"mapping: {sorted(set(expected) - set(actual))}\nAdditional keys in "
                           f"the actual mapping: {sorted(set(actual) - set(expected))}")
        for k in expected:
            _compare(actual[k], expected[k], path + (k,), options)
        return
    try:
        if _is_tensor_like(actual) and _is_tensor_like(expected):
            _compare_tensors(actual, expected, **options)
        elif _is_number(actual) and _is_number(expected):
            _compare_numbers(actual.item() if hasattr(actual, "item") else actual,
                             expected.item() if hasattr(expected, "item") else expected,
                             options["rtol"], options["atol"], options["equal_nan"])
        else:
            raise _Failure(f"No comparison pair was able to handle inputs of type "
                           f"{type(actual)} and {type(expected)}.", TypeError)
    except _Failure as f:
        if path and f.kind is AssertionError:
            item = "".join(f"[{k!r}]" for k in path)
            raise _Failure(f"{f}\n\nThe failure occurred for item {item}") from None
        raise


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None,
                 equal_nan=False, check_device=True, check_dtype=True, check_layout=True,
                 check_stride=False, msg=None):
    """Raise AssertionError unless `actual` and `expected` are close: elementwise
    ``|actual - expected| <= atol + rtol * |expected|`` (tolerances by dtype unless both
    are given), same shape, and by default same dtype and device.  `msg` (a string, or
    a function of the generated message) replaces the message.

    >>> nb.testing.assert_close(nb.ones(2), nb.ones(2) + 1e-6)
    """
    options = dict(rtol=rtol, atol=atol, equal_nan=equal_nan, check_dtype=check_dtype,
                   check_device=check_device)
    try:
        _compare(actual, expected, (), options)
    except _Failure as f:
        text = str(f)
        if f.kind is AssertionError and msg is not None:
            text = msg(text) if callable(msg) else msg
        raise f.kind(text) from None
