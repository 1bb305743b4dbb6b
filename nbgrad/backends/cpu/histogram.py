"""CPU kernels that count: histograms over bin edges (histc, histogram) and
bincount.

A value's bin follows PyTorch's histogramdd kernels: evenly spaced edges
(``linear``) place ``(x - lo) * bins / (hi - lo)`` (in the input's dtype) and,
for `histogram`, correct it against the neighbouring edges; given edges
are searched (the last edge that is <= x).  Values outside [first edge, last
edge] and NaNs are skipped; a value equal to the last edge counts in the last
bin.  Counts accumulate in the output's dtype, in input order.
"""

import numpy as np
from numba import njit

from nbgrad.backends import neutral

__all__ = ["histogram", "bincount"]

# a call, not inlined: inlined into the loop, the binary search ran 15-20% slower
(upper_bound,) = neutral.compile_for(njit, "upper_bound")


@njit(cache=True)
def _histogram(x, w, use_w, edges, out, scale, linear, local_search):
    nb = out.shape[0]
    first, last = edges[0], edges[nb]
    for k in range(x.shape[0]):
        v = x[k]
        if not (v >= first and v <= last):
            continue
        if linear:
            pos = int((v - first) * scale / (last - first))
            if local_search:
                pos = upper_bound(edges, max(0, pos - 1), min(pos + 2, nb + 1), v) - 1
        else:
            pos = upper_bound(edges, 0, nb + 1, v) - 1
        if pos == nb:
            pos -= 1
        if use_w:
            out[pos] += w[k]
        else:
            out[pos] += 1


def histogram(x, w, edges, out, linear, local_search):
    """Add the count (or the weight `w`) of each value of 1-D `x` to its bin of
    `out` (zeroed beforehand); ``len(edges) == len(out) + 1``.  `linear`: the
    edges are evenly spaced (`local_search`: check the computed bin against
    its neighbouring edges, as `histogram` does; `histc` does not)."""
    use = w is not None
    _histogram(x, w if use else x, use, edges, out, x.dtype.type(out.shape[0]), bool(linear),
               bool(local_search))


@njit(cache=True)
def _bincount(x, w, use_w, out):
    for k in range(x.shape[0]):
        if use_w:
            out[x[k]] += w[k]
        else:
            out[x[k]] += 1


def bincount(x, w, out):
    """out[v] += 1 (or w[k]) for each value v = x[k] of 1-D non-negative `x`
    (`out` zeroed beforehand, long enough)."""
    use = w is not None
    _bincount(x, w if use else np.zeros(1, out.dtype), use, out)
