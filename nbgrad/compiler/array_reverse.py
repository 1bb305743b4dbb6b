"""The later backward of an `ArrayPlan`'s returned tensors that still require grad.

``model = nb.compile(model)`` then ``loss_fn(model(x), y).backward()``: the
compiled call is the forward alone; the backward comes later, from the engine,
through the outputs' grad_fn.  The plan appends the program's reverse rows
(`Program.reverse_rows`: seed the outputs' gradients, reverse every
differentiable row, copy out the inputs' and parameters' gradients) to its
forward rows and builds the steps of both at once, so that placement and the
gradient modes see every row.  A call runs the forward steps; the grad_fn runs
the reverse steps.

The reverse steps read the forward's values where the forward left them: in
the plan's arena, which the next call overwrites.  So a call first saves the
arena into the previous call's `Pending` when that backward may still run
(its node is alive and not released), and that backward swaps the saved values
in and back.  In a training loop each backward runs before the next call:
nothing is copied.
"""

import weakref

import numpy as np

from nbgrad.backends.cpu import array
from nbgrad.tensor import Tensor

__all__ = ["Pending", "prepare", "save_pending", "run"]


class Pending:
    """The arena one call's backward reads: the plan's own until a later call saves
    a copy of it here (``values``)."""

    __slots__ = ("values", "node")

    def __init__(self, node):
        self.values = None
        self.node = weakref.ref(node)


def prepare(plan):
    """Append the reverse rows to `plan`'s rows and code; the reason it cannot, or None."""
    p = plan.p
    if any(row[0] == ("x", "zero_grad") for row in p.rows):
        return "a returned tensor that requires grad from a function with its own backward"
    plan.rows = p.rows + plan.rev_rows
    plan.code = np.concatenate([plan.code[:len(p.rows)], plan.rev[0]])
    return None


def save_pending(plan):
    """Before a call overwrites the arena: copy it into the last call's `Pending` if
    that call's backward may still run."""
    pending = plan.pending
    node = pending.node()
    if node is not None and not node.released and pending.values is None:
        pending.values = plan.A.copy()


def run(plan, pending, state, grads):
    """The reverse steps for output gradients `grads`: the gradients of the inputs
    and captured tensors that require grad, new tensors."""
    _, seeds, gslots = plan.rev
    current = None
    if pending.values is not None:   # a later call overwrote the arena: swap these in
        current = plan.A.copy()
        plan.A[...] = pending.values
    try:
        for g, s in zip(grads, seeds):
            dst = plan.at(s.off, s.n)
            if g is None:
                array.fill(dst, 0)
            else:
                array.copy_into(dst, g._data.reshape(-1))
        for step in plan.reverse_steps:
            step(state)
        return tuple(Tensor._make(plan.at(s.off, s.n).reshape(s.shape).copy(), plan.dtype)
                     for s in gslots)
    finally:
        if current is not None:
            plan.A[...] = current
