"""Tensor printing: ``repr``/``str`` byte-identical to PyTorch's.

This module owns the print options (``set_printoptions``,
``get_printoptions``, ``printoptions``) and ``tensor_repr``, which
``Tensor.__repr__`` and ``Tensor.__str__`` return.  It is a compact port of
``torch/_tensor_str.py`` for strided tensors of real dtypes; the layout of the
code follows torch's (``_Formatter``, ``_tensor_str``, ``_add_suffixes``, ...)
so that the two can be compared line by line when torch changes.

Formatting works on the host copy of the values (``t._host()``, a numpy
array).  Every number is formatted by Python's own ``format`` on a Python
scalar, exactly as torch does via ``Tensor.item()``/``tolist()``, because that
is what makes the output identical down to rounding.
"""

import contextlib
import dataclasses
import math

import numpy as np

__all__ = ["get_printoptions", "printoptions", "set_printoptions", "tensor_repr"]


@dataclasses.dataclass
class _PrinterOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = _PrinterOptions()

_PROFILES = {
    "default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}


def set_printoptions(precision=None, threshold=None, edgeitems=None,
                     linewidth=None, profile=None, sci_mode=None):
    """Set the options for printing tensors, as ``torch.set_printoptions``.

    ``profile`` is one of 'default', 'short', 'full'; explicit options
    override it.  As in torch, ``sci_mode`` is always reset (None = automatic).

    Example::

        >>> set_printoptions(precision=2)    # tensor([1.12])
        >>> set_printoptions(profile='default')
    """
    if profile is not None:
        # torch silently ignores an unknown profile name; so do we.
        for name, value in _PROFILES.get(profile, {}).items():
            setattr(PRINT_OPTS, name, value)
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions():
    """Return the current print options as a dict for ``set_printoptions``.

    Example::

        >>> get_printoptions()['precision']
        4
    """
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs):
    """Temporarily change the print options (same arguments as above).

    Example::

        >>> with printoptions(precision=2):
        ...     pass
    """
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


class _Formatter:
    """Chooses int/sci/fixed mode and the column width for a set of values."""

    def __init__(self, values, floating):
        self.floating_dtype = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = values.reshape(-1)

        if not floating:
            for value in flat.tolist():
                self.max_width = max(self.max_width, len(f"{value}"))
            return

        nonzero_finite = flat[np.isfinite(flat) & (flat != 0)]
        if nonzero_finite.size == 0:
            return
        # torch measures the range in double: half overflows at 1e8.
        nonzero_abs = np.abs(nonzero_finite).astype(np.float64)
        vmin, vmax = nonzero_abs.min(), nonzero_abs.max()
        self.int_mode = bool(np.all(nonzero_finite == np.ceil(nonzero_finite)))
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = bool(vmax / vmin > 1000.0 or vmax > 1.0e8 or vmin < 1.0e-4)
        else:
            self.sci_mode = PRINT_OPTS.sci_mode

        precision = PRINT_OPTS.precision
        if self.sci_mode:
            spec, extra = f".{precision}e", 0
        elif self.int_mode:
            # int-mode floats get a trailing '.', hence the extra column.
            spec, extra = ".0f", 1
        else:
            spec, extra = f".{precision}f", 0
        for value in nonzero_finite.tolist():
            self.max_width = max(self.max_width, len(format(value, spec)) + extra)

    def width(self):
        return self.max_width

    def format(self, value):
        if self.floating_dtype:
            if self.sci_mode:
                ret = f"{value:{self.max_width}.{PRINT_OPTS.precision}e}"
            elif self.int_mode:
                ret = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    ret += "."
            else:
                ret = f"{value:.{PRINT_OPTS.precision}f}"
        else:
            ret = f"{value}"
        return (self.max_width - len(ret)) * " " + ret


def _vector_str(values, indent, summarize, formatter):
    # Each element takes its width plus ", ".
    element_length = formatter.width() + 2
    elements_per_line = max(
        1, math.floor((PRINT_OPTS.linewidth - indent) / element_length))
    edge = PRINT_OPTS.edgeitems

    if summarize and not edge:
        data = ["..."]
    elif summarize and values.shape[0] > 2 * edge:
        data = ([formatter.format(v) for v in values[:edge].tolist()] + [" ..."]
                + [formatter.format(v) for v in values[-edge:].tolist()])
    else:
        data = [formatter.format(v) for v in values.tolist()]

    lines = [", ".join(data[i:i + elements_per_line])
             for i in range(0, len(data), elements_per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_str_with_formatter(values, indent, summarize, formatter):
    dim = values.ndim
    if dim == 0:
        return formatter.format(values.item())
    if dim == 1:
        return _vector_str(values, indent, summarize, formatter)

    n, edge = values.shape[0], PRINT_OPTS.edgeitems
    if summarize and n > 2 * edge:
        rows = list(range(edge)) + [None] + list(range(n - edge, n))
    else:
        rows = range(n)
    slices = ["..." if i is None
              else _tensor_str_with_formatter(values[i], indent + 1, summarize, formatter)
              for i in rows]
    # Blocks of rank >= 3 are separated by dim - 2 blank lines.
    return "[" + ("," + "\n" * (dim - 1) + " " * (indent + 1)).join(slices) + "]"


def _get_summarized_data(values):
    """The values that summarized printing shows, so the formatter sees only those."""
    dim, edge = values.ndim, PRINT_OPTS.edgeitems
    if dim == 0:
        return values
    if dim == 1:
        if values.shape[0] > 2 * edge:
            # Like torch, edge == 0 gives values[-0:], i.e. everything.
            return np.concatenate((values[:edge], values[-edge:]))
        return values
    if not edge:
        return np.empty((0,) * dim, dtype=values.dtype)
    n = values.shape[0]
    rows = list(range(edge)) + list(range(n - edge, n)) if n > 2 * edge else range(n)
    return np.stack([_get_summarized_data(values[i]) for i in rows])


def _tensor_str(values, indent, floating):
    if values.size == 0:
        return "[]"
    summarize = values.size > PRINT_OPTS.threshold
    formatter = _Formatter(
        _get_summarized_data(values) if summarize else values, floating)
    return _tensor_str_with_formatter(values, indent, summarize, formatter)


def _add_suffixes(tensor_str, suffixes, indent, force_newline):
    tensor_strs = [tensor_str]
    # torch's off-by-two line length (rfind, + 1); kept for identical wrapping.
    last_line_len = len(tensor_str) - tensor_str.rfind("\n") + 1
    for suffix in suffixes:
        suffix_len = len(suffix)
        if force_newline or last_line_len + suffix_len + 2 > PRINT_OPTS.linewidth:
            tensor_strs.append(",\n" + " " * indent + suffix)
            last_line_len = indent + suffix_len
            force_newline = False
        else:
            tensor_strs.append(", " + suffix)
            last_line_len += suffix_len + 2
    tensor_strs.append(")")
    return "".join(tensor_strs)


def _default_dtype_name():
    try:
        from nbgrad._dtypes import get_default_dtype
    except ImportError:
        # The dtype module may not exist yet; float32 is torch's default.
        return "float32"
    return get_default_dtype().name


def tensor_repr(t):
    """The torch-identical ``repr``/``str`` of tensor ``t``.

    Example::

        >>> tensor_repr(nb.ones(2, requires_grad=True))
        'tensor([1., 1.], requires_grad=True)'
    """
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    values = np.asarray(t._host())
    dtype = t.dtype
    default_name = _default_dtype_name()

    # Only the cpu device is implied; cuda (any index) is always shown.
    if t.device.type != "cpu":
        suffixes.append("device='" + str(t.device) + "'")

    if values.size == 0:
        # Match NumPy: the shape is printed unless it is (0,).
        if values.ndim != 1:
            suffixes.append("size=" + str(tuple(t.shape)))
        # No elements to infer an int64 dtype from, so any non-default shows.
        if dtype.name != default_name:
            suffixes.append("dtype=" + repr(dtype))
        tensor_str = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append("size=" + str(tuple(t.shape)))
        if dtype.name not in (default_name, "int64", "bool"):
            suffixes.append("dtype=" + repr(dtype))
        tensor_str = _tensor_str(values, indent, bool(dtype.is_floating_point))

    grad_fn = t.grad_fn
    if grad_fn is not None:
        suffixes.append(f"grad_fn=<{type(grad_fn).__name__}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")

    return _add_suffixes(prefix + tensor_str, suffixes, indent, force_newline=False)
