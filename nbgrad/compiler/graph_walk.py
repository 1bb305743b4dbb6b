"""One walk of an eager graph before its backward: its structure and its saved values.

`walk` numbers the nodes reachable from the roots in breadth-first order and
builds, in the same pass, the *key* of the graph's structure (each node's class,
parameters, input shapes and dtypes, and which numbered node each edge leads
to) and the list of the values its nodes saved, in a fixed order.  Two graphs
with equal keys differ only in those values, so one backward program
(`backward_replay`) serves both: the values are copied into its arena.

The walk also makes every check the engine would make before running a node:
saved tensors still at their saved version, nothing freed by an earlier
backward, no hooks.  Where one fails, or a node is of a kind the tape does not
run, it returns None and the engine runs the graph (and raises its errors).
"""

from operator import itemgetter

import numpy as np

from nbgrad.autograd.node import AccumulateGrad, changed_watch
from nbgrad.ops.elementwise import Elementwise
from nbgrad.ops.registry import FunctionOp

__all__ = ["walk", "kind_of", "ELEMENTWISE", "LEAF"]

ELEMENTWISE, LEAF = "elementwise", "leaf"
# function-style ops the tape runs backward: what of their node's attributes the key holds
_PARAMETERS = {"sum": itemgetter("kept"), "mean": itemgetter("kept"),
               "stack": itemgetter("dim"), "softmax": itemgetter("dim", "log"),
               "select": itemgetter("shape", "key")}
_kinds = {AccumulateGrad: LEAF}   # node class -> kind (None: the tape cannot run it)
_ndarray = np.ndarray


def kind_of(cls):
    """The kind of node class `cls`: ELEMENTWISE, LEAF, a function op's name, or None."""
    kind = _kinds.get(cls, False)
    if kind is False:
        op = getattr(cls, "op", None)
        if isinstance(op, Elementwise):
            kind = ELEMENTWISE
        elif isinstance(op, FunctionOp) and op.name in _PARAMETERS:
            kind = op.name
        else:
            kind = None
        _kinds[cls] = kind
    return kind


def walk(roots):
    """(nodes in walk order, {node: its number}, key, saved values) of the graph
    above the root nodes `roots`, or None when the tape cannot run it or the
    engine would raise."""
    index = {}
    order = []
    for r in roots:
        if r not in index:
            index[r] = len(order)
            order.append(r)
    key = []
    add = key.append
    values = []
    for node in order:   # grows as the walk finds nodes: breadth first
        cls = node.__class__
        kind = _kinds.get(cls, False)
        if kind is False:
            kind = kind_of(cls)
        if kind is None or node.pre_hooks or node.post_hooks or node.released:
            return None
        add(cls)
        if kind is not LEAF:
            add(node.input_meta)
            if kind is ELEMENTWISE:
                add(node.params)
                if node.saved and not _elementwise_values(node, values):
                    return None
            else:
                add(_PARAMETERS[kind](node.__dict__))
                if (node.saved or node.watched) and not _function_values(node, values):
                    return None
        it = iter(node._next)   # flat: node, output number of each input
        for nxt, nr in zip(it, it):
            if nxt is None:
                add(-1)
                continue
            j = index.get(nxt)
            if j is None:
                j = index[nxt] = len(order)
                order.append(nxt)
            add(j)
            add(nr)
    return order, index, key, values


def _elementwise_values(node, values):
    """Append what an elementwise node saved (its dict's order: the op's inputs, then
    ``out``); False if a watched tensor changed in place."""
    if changed_watch(node.watched) is not None:
        return False
    saved = node.saved
    if saved:
        for v in saved.values():
            if v.__class__ is _ndarray:
                values.append(v)
            elif hasattr(v, "_data"):
                d = v._data
                if d.__class__ is not _ndarray:
                    return False   # a device tensor: the engine runs it
                values.append(d)
            else:
                values.append(v)   # a Python number
    return True


def _function_values(node, values):
    """Append what a function-style node saved; False if one changed in place."""
    if changed_watch(node.watched) is not None:
        return False
    saved = node.saved
    if saved:
        for t, version in zip(saved, node.saved_versions):
            if t._version != version or t._data.__class__ is not _ndarray:
                return False
            values.append(t._data)
    return True
