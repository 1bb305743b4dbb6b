"""Batching rules: how each op runs once over a whole vmap batch.

`RULES` is one table keyed by op object (the entries of `nbgrad.ops.REGISTRY`):
``RULES[op] = rule`` where ``rule(op, args, kwargs)`` receives the op's arguments,
some of them batched tensors (`nbgrad.func._batched`), and returns the batched
result, computed by calling ops on the physical tensors (batch dims first):

- every elementwise op (and ``where``): `broadcast` aligns the batch dims at the
  front and pads the logical dims, then broadcasting does the rest;
- reductions, scans, softmax, movement and joining ops: `dims` shifts their dim
  arguments past the batch dims (a ``dim=None`` reduction flattens the logical dims);
- reshape/view/expand/permute/repeat...: the shape argument gains the batch sizes;
- matmul/mm/mv/bmm/dot, losses, convolutions, pools and indexing: `nbgrad.func._rules_nn`.

An op without a rule raises NotImplementedError naming it: vmap never falls back to
a loop over samples.
"""

import inspect

from nbgrad.func._batched import BatchedTensor, align, levels_of, physical, wrap
from nbgrad.ops import REGISTRY
from nbgrad.ops.elementwise import Elementwise, broadcast_shapes
from nbgrad.tensor import Tensor

__all__ = ["RULES", "intercept", "broadcast", "dims", "batched_getitem"]

RULES = {}


def intercept(op, args, kwargs):
    """The vmap hook (`nbgrad.ops.registry.batch_hook`): run `op`'s batching rule
    when an argument is batched, else NotImplemented (the op runs as usual)."""
    if not _has_batched(args) and not (kwargs and _has_batched(kwargs.values())):
        return NotImplemented
    rule = RULES.get(op)
    if rule is None:
        if isinstance(op, Elementwise):
            rule = broadcast
        else:
            shapes = [list(a.shape) for a in args if isinstance(a, Tensor)]
            raise NotImplementedError(
                f"vmap: there is no batching rule for the op '{op.name}' (called with "
                f"tensors of logical shapes {shapes}); nb.func.vmap does not fall back to a "
                "loop over samples. Compute it outside vmap, or add a rule to "
                "nbgrad.func.rules.RULES")
    return rule(op, args, kwargs or {})


def _has_batched(values):
    for a in values:
        c = a.__class__
        if c is BatchedTensor:
            return True
        if c is list or c is tuple:
            for x in a:
                if x.__class__ is BatchedTensor:
                    return True
    return False


def _ndim(x):
    return len(x._data.shape)


def _result(out, levels):
    if out.__class__ is tuple or out.__class__ is list:
        return out.__class__(wrap(o, levels) if isinstance(o, Tensor) else o for o in out)
    return wrap(out, levels)


# -- elementwise ----------------------------------------------------------------------
def broadcast(op, args, kwargs):
    """Every tensor argument aligned (batch dims first, logical dims padded to the
    largest), then the op itself: its broadcasting covers the batch dims."""
    tensors = [a for a in args if isinstance(a, Tensor)]
    ndim = max(_ndim(t) for t in tensors)
    aligned, levels = align(tensors, ndim=ndim)
    it = iter(aligned)
    new = [next(it) if isinstance(a, Tensor) else a for a in args]
    return wrap(op(*new, **kwargs), levels)


def masked_fill(op, args, kwargs):
    """masked_fill(x, mask, value): as `broadcast`, with x expanded to the mask's
    batch (the op broadcasts the mask to x, not x to the mask)."""
    x, mask = args[0], args[1]
    ndim = max(_ndim(x), _ndim(mask))
    (px, pm), levels = align([x, mask], ndim=ndim)
    shape = broadcast_shapes(op.name, tuple(px.shape), tuple(pm.shape))
    if tuple(px.shape) != shape:
        px = px.expand(shape)
    return wrap(op(px, pm, *args[2:], **kwargs), levels)


# -- dims --------------------------------------------------------------------------------
_SIGNATURES = {}


def _bind(op, args, kwargs):
    sig = _SIGNATURES.get(op)
    if sig is None:
        sig = _SIGNATURES[op] = inspect.signature(op.forward)
    ba = sig.bind(None, *args, **kwargs)
    ba.apply_defaults()
    return ba


def _call(op, ba):
    return op(*ba.args[1:], **ba.kwargs)


def wrap_dim(op, d, n):
    if not isinstance(d, int) or isinstance(d, bool):
        raise TypeError(f"{op.name}(): dim must be an int, got {type(d).__name__}")
    m = max(n, 1)
    if not -m <= d < m:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-m}, {m - 1}],"
                         f" but got {d}) ({op.name} inside vmap of a tensor of logical "
                         f"dimension {n})")
    return d % m


def _shift(op, d, n, k):
    if isinstance(d, (tuple, list)):
        return type(d)(wrap_dim(op, e, n) + k for e in d)
    return wrap_dim(op, d, n) + k


def dims(*names, first="x", whole=(None,), extra=0):
    """The rule of an op whose `names` arguments are dims of its first tensor
    argument `first`: each shifted past the batch dims (counted against the logical
    ndim + `extra`, 1 for unsqueeze/stack).  A first name whose value is in `whole`
    (``dim=None``) means every logical dim: the logical dims are flattened into one."""
    def rule(op, args, kwargs):
        ba = _bind(op, args, kwargs)
        a = ba.arguments
        x = a[first]
        levels = levels_of(x)
        k, n = len(levels), _ndim(x)
        a[first] = physical(x)
        only_batched(op, a, first)
        if names and _in(a[names[0]], whole):
            return _whole(op, ba, names[0], first, k, n, levels)
        for name in names:
            if a[name] is not None:
                a[name] = _shift(op, a[name], n + extra, k)
        return _result(_call(op, ba), levels)
    return rule


def only_batched(op, arguments, first):
    """NotImplementedError when an argument other than `first` is batched."""
    for name, v in arguments.items():
        if name != first and _has_batched((v,)):
            raise NotImplementedError(
                f"vmap: {op.name} with a batched {name!r} argument is not supported (only "
                f"its {first!r} may be batched); compute it outside vmap")


def _in(v, values):
    return any(v is w or (v.__class__ is w.__class__ and v == w) for w in values)


def _whole(op, ba, name, first, k, n, levels):
    """A reduction over every logical dim: over one flattened dim instead."""
    a = ba.arguments
    value = a[first]
    lead = tuple(value._data.shape[:k])
    a[first] = value.reshape(lead + (-1,))
    a[name] = k
    out = _call(op, ba)
    if a.get("keepdim"):
        shape = lead + (1,) * n
        out = tuple(o.reshape(shape) for o in out) if isinstance(out, tuple) else \
            out.reshape(shape)
    return _result(out, levels)


def squeeze(op, args, kwargs):
    ba = _bind(op, args, kwargs)
    x = ba.arguments["x"]
    levels, value = levels_of(x), physical(x)
    k, n = len(levels), _ndim(x)
    d = ba.arguments["dim"]
    if d is None:
        d = tuple(k + i for i, s in enumerate(x.shape) if s == 1)
        if not d:
            return x
    else:
        d = _shift(op, d, n, k)
    return wrap(op(value, d), levels)


def joining(extra):
    """cat(tensors, dim) / stack(tensors, dim): every tensor with the batch dims
    (expanded where it lacks them), dim shifted past them."""
    def rule(op, args, kwargs):
        ba = _bind(op, args, kwargs)
        a = ba.arguments
        ts = list(a["tensors"])
        if a.get("axis") is not None:
            a["dim"], a["axis"] = a["axis"], None
        values, levels = align(ts, expand=True)
        a["tensors"] = values
        a["dim"] = _shift(op, a["dim"], _ndim(ts[0]) + extra, len(levels))
        return wrap(_call(op, ba), levels)
    return rule


def same_shape(op, args, kwargs):
    """Ops that act on each sample's trailing dims as they are (clone, casts, tril)."""
    ba = _bind(op, args, kwargs)
    first = list(ba.arguments)[1]
    x = ba.arguments[first]
    ba.arguments[first] = physical(x)
    return wrap(_call(op, ba), levels_of(x))


def gather(op, args, kwargs):
    """gather/scatter-like ops of (input, dim, index[, src]): all with the batch dims."""
    ba = _bind(op, args, kwargs)
    a = ba.arguments
    names = [n for n, v in a.items() if isinstance(v, Tensor)]
    values, levels = align([a[n] for n in names], expand=True)
    x = a[names[0]]
    for n, v in zip(names, values):
        a[n] = v
    a["dim"] = _shift(op, a["dim"], _ndim(x), len(levels))
    return wrap(_call(op, ba), levels)


# -- shapes --------------------------------------------------------------------------------
def _shape_args(rest):
    if len(rest) == 1 and isinstance(rest[0], (tuple, list)):
        return tuple(rest[0])
    return tuple(rest)


def _lead(x):
    return tuple(physical(x)._data.shape[:len(levels_of(x))])


def reshape(op, args, kwargs):
    """reshape/view(x, *shape): the shape gains the batch sizes in front."""
    x, rest = args[0], args[1:]
    if not rest and kwargs.get("dtype") is not None:
        return wrap(op(physical(x), **kwargs), levels_of(x))
    shape = _shape_args(rest)
    return wrap(op(physical(x), _lead(x) + shape, **kwargs), levels_of(x))


def _padded(x, m):
    """x's physical tensor with its logical dims padded with leading 1s to `m`."""
    n, lead = _ndim(x), _lead(x)
    value = physical(x)
    return value if m <= n else value.reshape(lead + (1,) * (m - n) + tuple(x.shape))


def expand(op, args, kwargs):
    sizes = _shape_args(args[1:])
    x = args[0]
    return wrap(op(_padded(x, len(sizes)), _lead(x) + sizes), levels_of(x))


def repeat(op, args, kwargs):
    reps = _shape_args(args[1:])
    x = args[0]
    k = len(levels_of(x))
    return wrap(op(_padded(x, len(reps)), (1,) * k + reps), levels_of(x))


def permute(op, args, kwargs):
    x = args[0]
    order = kwargs.get("dims")
    order = _shape_args(args[1:]) if order is None else tuple(order)
    k, n = len(levels_of(x)), _ndim(x)
    return wrap(op(physical(x), tuple(range(k)) + _shift(op, order, n, k)), levels_of(x))


def flip(op, args, kwargs):
    x = args[0]
    d = kwargs.get("dims")
    d = _shape_args(args[1:]) if d is None else tuple(d)
    k, n = len(levels_of(x)), _ndim(x)
    return wrap(op(physical(x), _shift(op, d, n, k)), levels_of(x))


def roll(op, args, kwargs):
    ba = _bind(op, args, kwargs)
    x, shifts, d = ba.arguments["x"], ba.arguments["shifts"], ba.arguments["dims"]
    k, n, lead = len(levels_of(x)), _ndim(x), _lead(x)
    if d is None:   # rolls the flattened tensor
        out = op(physical(x).reshape(lead + (-1,)), shifts, k).reshape(lead + tuple(x.shape))
    else:
        out = op(physical(x), shifts, _shift(op, d, n, k))
    return wrap(out, levels_of(x))


def sum_to_size(op, args, kwargs):
    x = args[0]
    size = _shape_args(args[1:])
    lead, n = _lead(x), _ndim(x)
    target = lead + (1,) * (n - len(size)) + size
    return wrap(op(physical(x), target).reshape(lead + size), levels_of(x))


def full_reduce(name):
    """max(x)/min(x) over every element: amax/amin of the flattened logical dims (the
    same gradient: ties share it evenly)."""
    def rule(op, args, kwargs):
        x = args[0]
        k, lead = len(levels_of(x)), _lead(x)
        return wrap(REGISTRY[name](physical(x).reshape(lead + (-1,)), k), levels_of(x))
    return rule


def trace(op, args, kwargs):
    x = args[0]
    if _ndim(x) != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {_ndim(x)}")
    k = len(levels_of(x))
    d = REGISTRY["diagonal"](physical(x), 0, k, k + 1)
    return wrap(REGISTRY["sum"](d, -1), levels_of(x))


def batched_getitem(x, key):
    from nbgrad.func._rules_nn import getitem_key
    return getitem_key(x, key)


def _table():
    r = REGISTRY
    reduce_ = dims("dim")
    for name in ("sum", "sum.dim_IntList", "mean", "mean.dim", "prod", "prod.dim_int", "all",
                 "any", "argmax", "argmin", "var", "std", "norm", "max.dim", "min.dim",
                 "logsumexp", "cumsum", "cumprod", "softmax", "log_softmax"):
        RULES[r[name]] = reduce_
    for name in ("amax", "amin"):
        RULES[r[name]] = dims("dim", whole=(None, (), []))
    for name in ("split", "split_with_sizes"):
        RULES[r[name]] = dims("dim")
    RULES[r["unbind"]] = dims("dim", first="input")
    RULES[r["transpose"]] = dims("dim0", "dim1", whole=())
    RULES[r["diagonal"]] = dims("dim1", "dim2", first="input", whole=())
    RULES[r["unsqueeze"]] = dims("dim", whole=(), extra=1)
    RULES[r["index_select"]] = dims("dim", first="input", whole=())
    RULES[r["squeeze"]] = squeeze
    RULES[r["cat"]] = joining(0)
    RULES[r["stack"]] = joining(1)
    for name in ("clone", "to_dtype", "tril", "triu"):
        RULES[r[name]] = same_shape
    for name in ("gather", "scatter", "scatter_add", "scatter_value"):
        RULES[r[name]] = gather
    RULES[r["where"]] = broadcast
    RULES[r["masked_fill"]] = masked_fill
    for name, rule in (("reshape", reshape), ("view", reshape), ("expand", expand),
                       ("repeat", repeat), ("permute", permute), ("flip", flip),
                       ("roll", roll), ("sum_to_size", sum_to_size), ("trace", trace)):
        RULES[r[name]] = rule
    RULES[r["max"]] = full_reduce("amax")
    RULES[r["min"]] = full_reduce("amin")


_table()
