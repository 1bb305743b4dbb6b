"""Accumulation into ``.grad`` (PyTorch's AccumulateGrad), with gradient stealing.

A leaf's first gradient becomes its ``.grad`` without a copy when nothing
else can see that tensor: no other buffer, leaf or caller holds it, no other
array or tensor reaches its buffer, and it has no history.  The engine
counts, for the gradient tensors a rule passed through unchanged (add,
reshape...) or the caller gave, how many places still receive each
(`new_holders`, `handed_on`); any other gradient has one holder.  Later
gradients are added in place (``provided.add_into``), or, with
``create_graph`` or a ``.grad`` that has history, as a recorded ``old + g``.
"""

import sys

import numpy as np

from nbgrad.autograd import provided
from nbgrad.autograd.buffers import detached_copy
from nbgrad.autograd.node import edges_of
from nbgrad.tensor import Tensor

__all__ = ["new_holders", "handed_on", "pass_through", "accumulate_leaf", "accumulate_into"]

_CALLER_HOLDS = 1 << 30   # the caller keeps its gradient tensors: never steal them


def new_holders(grads):
    """The holder counts at the start: the caller keeps the root gradients `grads`.

    A dict id(g) -> how many places still receive g (absent: one), and under
    the key None the tensors counted, kept alive so that their ids stay unique."""
    holders = {id(g): _CALLER_HOLDS for g in grads}
    holders[None] = list(grads)
    return holders


def handed_on(holders, g, n):
    """A node's rule handed its incoming gradient `g` on as is to `n` nodes: `g`
    has n new holders, and the node's own use of it ends."""
    key = id(g)
    if key not in holders:
        holders[None].append(g)
    holders[key] = holders.get(key, 1) - 1 + n


def pass_through(holders, node, grads_out, grads_in):
    """`handed_on` for each of `node`'s incoming gradients found (as is) among the
    gradients `grads_in` it hands on (the general case: several incoming)."""
    for g_out in grads_out:
        if g_out is not None:
            n = 0
            for (nxt, _), g_in in zip(edges_of(node), grads_in):
                if g_in is g_out and nxt is not None:
                    n += 1
            if n:
                handed_on(holders, g_out, n)


def _owned_data(g):
    """g's array if nothing but `g` reaches its buffer, else None: the array owns
    it, or is a C-contiguous view of the whole of an array that nothing else
    references but, where `g` is a view tensor, its base tensor, which only `g`
    holds (a kernel's result reshaped or transposed back: a bias gradient's
    (1, n) sum seen as (n,), F.linear's weight gradient transposed twice).  A
    device array has no .base (it may be a view nobody can see): None."""
    a = g._data
    if getattr(a, "base", a) is None:
        return a
    if not (isinstance(a, np.ndarray) and isinstance(a.base, np.ndarray) and a.base.base is None
            and a.flags.c_contiguous and a.size == a.base.size):
        return None
    # references counted: a's .base and getrefcount's argument; for a base tensor,
    # its _data, g's _base and the name `owner`.  One more is another holder (a
    # tensor, another view: views of views point at the owner)
    owner = g._base
    if owner is None:
        return a if sys.getrefcount(a.base) == 2 else None
    if owner._data is a.base and sys.getrefcount(owner) == 3 and sys.getrefcount(a.base) == 3:
        return a
    return None


def _steal(holders, g):
    """`g`, or a tensor on g's array without its view history, if a leaf may keep it
    as its .grad (nobody else receives it or reaches its buffer); else None."""
    key = id(g)
    n = holders.get(key, 1)
    data = None if n > 1 or g.grad_fn is not None else _owned_data(g)
    if data is None:
        if key in holders:
            holders[key] = n - 1
        return None
    return g if g._base is None else Tensor._make(data, g.dtype, g.device)


def accumulate_leaf(node, g, create_graph, holders):
    """Add gradient `g` into the ``.grad`` of the leaf of AccumulateGrad `node`."""
    leaf = node.variable
    if leaf is None:
        return
    old = leaf._grad
    if old is None:
        if create_graph:
            leaf._grad = g
            return
        # a hook on the leaf saw g and may have kept it: copy (g's holder count stays,
        # so that no later leaf takes it either)
        stolen = None if node.pre_hooks else _steal(holders, g)
        leaf._grad = stolen if stolen is not None else detached_copy(g)
    else:
        _add_to_grad(leaf, old, g, create_graph)


def accumulate_into(t, g, create_graph):
    """Add gradient `g` into ``t.grad`` (``backward(inputs=...)``: `t` may be no leaf)."""
    old = t._grad
    if old is None:
        t._grad = g if create_graph else detached_copy(g)
    else:
        _add_to_grad(t, old, g, create_graph)


def _add_to_grad(t, old, g, create_graph):
    if create_graph or old.grad_fn is not None:
        t._grad = old + g
    else:
        provided.add_into(old, g)
