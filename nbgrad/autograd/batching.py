"""Batched gradients (``autograd.grad(..., is_grads_batched=True)``): every
gradient carries a leading batch dimension through ONE traversal.

An op says how its backward rule treats that dimension with a ``batch_rule``
attribute on its declaration, set where the op is declared (as JAX keeps
``primitive_batchers`` beside each primitive)::

    expand.batch_rule = batching.identity_rule

- `native`: the rule broadcasts over a leading dim as written (elementwise ops);
- `view_rule`, `identity_rule`, `sum_rule`, `mean_rule`, `sum_to_size_rule`:
  batch-native rules for ops of one input and one output, from the recorded
  input shape and the gradient's shape only; None when they cannot tell.

Any other node (no rule, a custom Function, or a rule that returns None) is
called once per sample inside the traversal, and the per-sample results are
stacked on the gradients' device (`nbgrad.autograd.function.stack_arrays`).
"""

from nbgrad.autograd import function, grad_mode
from nbgrad.autograd.buffers import zeros
from nbgrad.tensor import Tensor

__all__ = ["native", "view_rule", "identity_rule", "sum_rule", "mean_rule", "sum_to_size_rule",
           "apply_batched", "stack_rows", "sum_to_batched"]


def native(node, grads_out):
    """The node's own rule, which broadcasts over the batch dim as written."""
    return node.apply(grads_out)


def _one_to_one(rule):
    """`rule(node, g)` for a node of one input and one output that got a gradient."""
    def batched(node, grads_out):
        if len(grads_out) != 1 or len(node._next) != 2 or grads_out[0] is None:
            return None
        return rule(node, grads_out[0])
    batched.__name__ = rule.__name__
    batched.__doc__ = rule.__doc__
    return batched


@_one_to_one
def view_rule(node, g):
    """A view (reshape, view, squeeze, unsqueeze): g reshaped to the input's shape."""
    return (g.reshape((g._data.shape[0],) + node.input_meta[0][0]),)


@_one_to_one
def identity_rule(node, g):
    """g itself (expand, clone, a dtype copy): the engine's reduction to
    (B,) + input shape and its dtype conversion do the rest."""
    return (g,)


def _spread(g, shape, kept):
    batch = g._data.shape[0]
    return g.reshape((batch,) + kept).expand((batch,) + shape)


def _kept(shape, out):
    """The reduced result's shape with the reduced dims kept as 1, when the
    shapes tell which dims were reduced (one element left, or keepdim)."""
    if _numel(out) == 1:
        return (1,) * len(shape)
    if len(out) == len(shape) and all(o == d or o == 1 for o, d in zip(out, shape)):
        return out
    return None


@_one_to_one
def sum_rule(node, g):
    """A sum: g broadcast back over the reduced dims."""
    shape = node.input_meta[0][0]
    kept = _kept(shape, g._data.shape[1:])
    return None if kept is None else (_spread(g, shape, kept),)


@_one_to_one
def mean_rule(node, g):
    """A mean: g broadcast back over the reduced dims, divided by their size."""
    shape, out = node.input_meta[0][0], g._data.shape[1:]
    kept = _kept(shape, out)
    if kept is None:
        return None
    r = _spread(g, shape, kept)
    n_out = _numel(out)
    return (r / (_numel(shape) // n_out) if n_out else r,)


@_one_to_one
def sum_to_size_rule(node, g):
    """sum_to_size: g broadcast back over the leading and the size-1 dims."""
    shape, out = node.input_meta[0][0], g._data.shape[1:]
    return (_spread(g, shape, (1,) * (len(shape) - len(out)) + out),)


def _numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def apply_batched(node, grads_out):
    """A node's input gradients when every gradient has a leading batch dim:
    its op's batch rule, else one call per sample, stacked."""
    rule = getattr(node.op, "batch_rule", None)   # custom Functions have no op
    if rule is native:
        return node.apply(grads_out)
    if rule is not None:
        res = rule(node, grads_out)
        if res is not None:
            return res
    return _per_sample(node, grads_out)


def _per_sample(node, grads_out):
    recorded = grad_mode._state.enabled
    batch = next(g._data.shape[0] for g in grads_out if g is not None)
    rows = None
    for b in range(batch):
        gb = [None if g is None else
              (function.select(g, b) if recorded else
               Tensor._make(function.select_array(g._data, b), g.dtype, g.device))
              for g in grads_out]
        res = node.apply(gb)
        if res is None:
            return None
        if rows is None:
            rows = [[] for _ in res]
        for k, r in enumerate(res):
            rows[k].append(r)
    if rows is None:
        return None
    return tuple(stack_rows(r, recorded) for r in rows)


def stack_rows(rows, recorded):
    """Stack per-sample gradients (None: a zero row) along a new leading dim."""
    first = next((r for r in rows if r is not None), None)
    if first is None:
        return None
    shape = first._data.shape
    for r in rows:
        if r is not None and r._data.shape != shape:
            raise RuntimeError(f"batched gradient: per-sample gradients of different shapes "
                               f"{list(shape)} and {list(r._data.shape)}")
    if recorded:   # create_graph: the stack itself must be differentiable
        return function.stack([r if r is not None else zeros(shape, first.dtype, first.device)
                               for r in rows])
    return function.stack_arrays([None if r is None else r._data for r in rows], first)


def sum_to_batched(g, shape):
    """Reduce a batched gradient (B, ...) to (B,) + `shape` (keeping the batch dim)."""
    gs = g._data.shape
    if gs[1:] == shape:
        return g
    batch = gs[0]
    pad = len(gs) - 1 - len(shape)
    if pad < 0:   # a rule returned fewer dims than the input has: broadcast it up
        return g.reshape((batch,) + (1,) * -pad + gs[1:]).expand((batch,) + tuple(shape))
    target = (batch,) + (1,) * pad + tuple(shape)
    if gs != target:
        g = g.sum_to_size(target)
    return g.reshape((batch,) + tuple(shape)) if pad else g
