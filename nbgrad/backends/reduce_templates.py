"""Reductions declared once: (init, fold, merge, finish) templates that both backends compile.

A reduction of the middle axis of an (A, R, B) array is declared here as
snippets of Python over scalars; `nbgrad.backends.cpu.reduce` generates its
serial and parallel kernels from them, `nbgrad.backends.cuda.reduce` its
loop, block and split kernels.  Every kernel runs the same scheme: the
elements of a row are cut into *tiles* (the whole row in a serial loop, a
chunk of it on a CPU thread, a strided slice on a GPU thread), each tile is
folded into a *state*, states are merged, and the row's merged state is
finished into the outputs::

    reduction("sumsq", state=("s",), init={"s": "0"}, fold={"s": "s + v * v"},
              merge={"s": "s + s_"}, finish=("s * p",))

- ``state``: the names of the state's components (the accumulator dtype
  ACC: float64 for floats, int64 for integers, chosen by the caller);
- ``init``: each component's value for a tile before its first element;
- ``fold``: the new value of the components an element changes (the others
  keep their init), from the element ``v`` and the current components;
- ``merge``: each component of two merged states, from the components of the
  first (``s``) and of the second (``s_``); the merge of a state with an empty
  tile's must give the state back;
- ``finish``: one expression per output, from the components;
- ``params``: the names of the kernel's runtime scalars, readable everywhere
  (none by default; ``p``: a mean's 1/R, a norm's order);
- ``centre`` (optional): ``(init, fold, finish)`` of a first pass over the
  tile whose result ``c`` init and fold may read: a two-pass reduction (the
  variance folds (v - mean)**2 around its tile's mean; log-sum-exp folds
  exp(v - max)).

``n`` is the tile's number of elements (readable by init and the centre's
finish).  Expressions may use ``math`` and ``np``; a value of an expression
is stored in the component's ACC (``init`` literals are converted).  All the
expressions of one dict are evaluated before any component changes.
"""

import keyword
from collections import namedtuple

__all__ = ["TEMPLATES", "Reduction", "folded", "on_remove", "reduction", "remove"]

Reduction = namedtuple("Reduction", "name state init fold merge finish params centre")

TEMPLATES = {}
_on_remove = []   # backends' hooks: forget the kernels of a removed template

# names the generated kernels use for themselves; templates use v, n, c and their own
_RESERVED = {"v", "n", "c", "x", "math", "np", "ACC", "cuda"}


def _check_names(name, names):
    for s in names:
        if not s.isidentifier() or keyword.iskeyword(s) or s.startswith("_") or \
                s in _RESERVED or s.endswith("_"):
            raise ValueError(f"reduction {name!r}: {s!r} cannot name a state component or "
                             f"a parameter (reserved: {sorted(_RESERVED)}, or a leading or "
                             "trailing underscore)")


def reduction(name, state, init, fold, merge, finish, params=(), centre=None):
    """Declare the reduction template `name` (see the module docstring); returns it."""
    if name in TEMPLATES:
        raise ValueError(f"reduction {name!r} is declared twice")
    state, params, finish = tuple(state), tuple(params), tuple(finish)
    _check_names(name, state + params)
    for what, d in (("init", init), ("merge", merge)):
        if set(d) != set(state):
            raise ValueError(f"reduction {name!r}: {what} must give every component of "
                             f"{state}, got {sorted(d)}")
    if not fold or not set(fold) <= set(state):
        raise ValueError(f"reduction {name!r}: fold must change some of {state}, "
                         f"got {sorted(fold)}")
    if centre is not None and len(centre) != 3:
        raise ValueError(f"reduction {name!r}: centre is (init, fold, finish)")
    t = Reduction(name, state, dict(init), dict(fold), dict(merge), finish, params, centre)
    TEMPLATES[name] = t
    return t


def remove(name):
    """Forget template `name` (one added for a while, e.g. by a test) and the
    backends' kernels of it."""
    TEMPLATES.pop(name, None)
    for hook in _on_remove:
        hook(name)


def on_remove(hook):
    """Call ``hook(name)`` when a template is removed (a backend drops its kernels)."""
    _on_remove.append(hook)


def folded(t):
    """The folded components of `t` (an element changes them), in state order."""
    return [s for s in t.state if s in t.fold]


# -- shared source pieces (both backends) -------------------------------------------
def assign(names, exprs, indent, acc=False):
    """``a, b = (ea, eb)``: every expression evaluated before any name changes
    (``ACC(...)`` around each when `acc`)."""
    vals = [f"ACC({e})" if acc else f"({e})" for e in exprs]
    if len(names) == 1:
        return f"{indent}{names[0]} = {vals[0]}"
    return f"{indent}{', '.join(names)} = {', '.join(vals)}"


def centre_lines(t, indent, element, loop):
    """The first pass of a tile (its centre ``c``), or nothing: `loop` is the
    ``for`` header over the tile's elements, `element` reads one into ``v``."""
    if t.centre is None:
        return []
    cinit, cfold, cfinish = t.centre
    return [f"{indent}c = ACC({cinit})",
            f"{indent}{loop}",
            f"{indent}    v = {element}",
            f"{indent}    c = {cfold}",
            f"{indent}c = {cfinish}"]


def fold_lines(t, indent, element, loop):
    """A tile's state: its centre, the components' init, then the fold over
    the elements (`loop`, `element` as in `centre_lines`)."""
    kinds = folded(t)
    lines = centre_lines(t, indent, element, loop)
    lines.append(assign(t.state, [t.init[s] for s in t.state], indent, acc=True))
    lines += [f"{indent}{loop}",
              f"{indent}    v = {element}",
              assign(kinds, [t.fold[s] for s in kinds], indent + "    ")]
    return lines


def merge_lines(t, indent):
    """State (components) merged with state (components + '_'), into the components."""
    return [assign(t.state, [t.merge[s] for s in t.state], indent)]


def empty_state_lines(t, indent):
    """The state of a tile without elements (n = 0): the identity of `merge`."""
    lines = [f"{indent}n = 0"]
    if t.centre is not None:
        lines += [f"{indent}c = ACC({t.centre[0]})", f"{indent}c = {t.centre[2]}"]
    lines.append(assign(t.state, [t.init[s] for s in t.state], indent, acc=True))
    return lines


# -- the reductions ------------------------------------------------------------------
def _value(name, init, fold, merge, finish):
    """A reduction of one component ``s``, reading the runtime scalar ``p`` (the
    CUDA kernels of every such reduction share the signature (x, out, p))."""
    reduction(name, ("s",), {"s": init}, {"s": fold}, {"s": merge}, (finish,), params=("p",))


# A float sum accumulates in float64, an integer one in int64; p scales it (1/R: a
# mean) and has the accumulator's type, so an integer sum stays exact.
#      name  init  fold     merge     finish
_value("sum", "0", "s + v", "s + s_", "s * p")
_value("prod", "1", "s * v", "s * s_", "s")
# all / any: an int64 flag (NaN counts as true, as v != 0 says)
_value("all", "1", "s & (1 if v != 0 else 0)", "s & s_", "s != 0")
_value("any", "0", "s | (1 if v != 0 else 0)", "s | s_", "s != 0")
# vector p-norms, one per special order p; NaN propagates through max/min |v|
_value("pnorm2", "0", "s + v * v", "s + s_", "math.sqrt(s)")
_value("pnorm1", "0", "s + abs(v)", "s + s_", "s")
_value("pnorm0", "0", "s + (v != 0)", "s + s_", "s")
_value("pnorminf", "0", "abs(v) if (abs(v) > s or v != v) and s == s else s",
       "s_ if (s_ > s or s_ != s_) and s == s else s", "s")
_value("pnorm-inf", "np.inf", "abs(v) if (abs(v) < s or v != v) and s == s else s",
       "s_ if (s_ < s or s_ != s_) and s == s else s", "s")
_value("pnorm", "0", "s + abs(v) ** p", "s + s_", "s ** (1.0 / p)")

# The variance: each tile's mean first, then its sum of squared deviations m2
# (two passes, as exact as float64 allows); tiles merge by Chan et al.'s formula.
# Outputs: m2 * scale (or its square root, `root`) and the mean.
reduction(
    "var", ("count", "mean", "m2"), {"count": "n", "mean": "c", "m2": "zero"},
    {"m2": "m2 + (v - c) * (v - c)"},
    {"count": "count + count_",
     "mean": "mean if count_ == 0 else (mean_ if count == 0 else "
             "mean + (mean_ - mean) * (count_ / (count + count_)))",
     "m2": "m2 if count_ == 0 else (m2_ if count == 0 else "
           "m2 + m2_ + (mean_ - mean) * (mean_ - mean) * (count * count_ / (count + count_)))"},
    ("math.sqrt(m2 * scale) if root else m2 * scale", "mean"),
    params=("zero", "scale", "root"),
    centre=("0", "c + v", "c / n if n > 0 else math.nan"))
# log(sum(exp(v))): each tile's maximum m first (NaN wins), then sum exp(v - m);
# tiles merge by rescaling to the larger maximum.  -inf for an empty or all -inf
# row, NaN if any NaN, inf if any inf.
_LSE_S = ("(s * math.exp(m - m_) + s_ if m != -math.inf else s_) if m_ > m else "
          "(s + s_ * math.exp(m_ - m) if m_ != -math.inf else s)")
reduction(
    "lse", ("m", "s"), {"m": "c", "s": "zero"}, {"s": "s + math.exp(v - c)"},
    {"m": "math.nan if (m != m or m_ != m_) else (m_ if m_ > m else m)", "s": _LSE_S},
    ("m if (m != m or math.isinf(m)) else m + math.log(s)",),
    params=("zero",),
    centre=("-math.inf", "v if (v > c or v != v) and c == c else c", "c"))
