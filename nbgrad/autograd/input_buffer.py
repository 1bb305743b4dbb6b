"""Input buffers: where the gradients a node receives are collected until it runs.

``buffers[node]`` holds one slot per output of `node`.  Gradients arriving at
the same slot from several consumers (or given twice by the caller) are
summed here, by one rule (`add_to_slot`): with ``create_graph`` the sum is a
recorded ``old + g`` (differentiable again); without it, the add kernel
writes a new tensor (`nbgrad.autograd.provided.add`, registered by the ops).
"""

from nbgrad.autograd import provided

__all__ = ["add_input", "add_to_slot"]


def add_input(buffers, node, nr, g, create_graph):
    """Put gradient `g` for output `nr` of `node` into its buffer.  (The engine's
    loop inlines the first case, a new buffer, its hot path.)"""
    buf = buffers.get(node)
    if buf is None:
        buf = buffers[node] = [None] * node.n_outputs
        buf[nr] = g
    else:
        add_to_slot(buf, nr, g, create_graph)


def add_to_slot(buf, nr, g, create_graph):
    """Put `g` into slot `nr` of an existing buffer, summed with what is there
    (the one accumulation rule, see the module docstring)."""
    old = buf[nr]
    buf[nr] = g if old is None else (old + g if create_graph else provided.add(old, g))
