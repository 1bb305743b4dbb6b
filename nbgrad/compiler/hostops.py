"""Ops the tape interpreter does not run itself (matmul, broadcasting, indexing...).

A `HostCall` replays one such op with its eager kernels: the interpreter stops
at the op's row, Python calls the op on tensors that wrap the arena slots of
its inputs (no copy) and copies the result into the op's slot, then the
interpreter resumes.  When the result requires grad the op runs in grad mode
on leaf wrappers, so that its node (the eager backward rule) is kept for the
row that reverses it; that row adds the node's input gradients, reduced to
each input's shape as the engine does, into the gradient arena.
"""

import numba

from nbgrad.autograd import grad_mode
from nbgrad.autograd.engine import conform
from nbgrad.ops.elementwise import Elementwise
from nbgrad.tensor import Tensor

__all__ = ["HostCall", "tensor_positions"]


@numba.njit(cache=True)
def _add_into(G, off, g):
    for i in range(g.shape[0]):
        G[off + i] += g[i]


def tensor_positions(args):
    """Where the tensors are in `args`: (i,) for an argument, (i, j) inside a list or
    tuple argument (the order in which a function-style op lists its inputs)."""
    out = []
    for i, a in enumerate(args):
        if isinstance(a, Tensor):
            out.append((i,))
        elif isinstance(a, (list, tuple)):
            out += [(i, j) for j, x in enumerate(a) if isinstance(x, Tensor)]
    return out


def _view(A, s, dtype):
    return Tensor._make(A[s.off:s.off + s.n].reshape(s.shape), dtype)


def _without_tensors(a):
    if isinstance(a, Tensor):
        return None
    if isinstance(a, (list, tuple)) and any(isinstance(x, Tensor) for x in a):
        kind = tuple if isinstance(a, tuple) else list
        return kind([None if isinstance(x, Tensor) else x for x in a])
    return a


def _source(A, s, dtype, state):
    if s.__class__ is not tuple:
        return _view(A, s, dtype)
    return state["flat"][s[1]] if s[0] == "arg" else s[1]


class HostCall:
    """One op run by Python between interpreter rows (see the module docstring)."""

    def __init__(self, index, op, args, kwargs, positions, slots, out):
        self.index, self.op, self.kwargs = index, op, kwargs
        # the recorded tensors are dropped (each call passes its own): keeping them
        # would keep the whole recorded graph alive
        self.args = [_without_tensors(a) for a in args]
        self.positions, self.slots, self.out = positions, slots, out
        # which entry of the node's gradients belongs to each tensor position
        if isinstance(op, Elementwise):
            self.grad_index = [pos[0] for pos in positions]
        else:
            self.grad_index = list(range(len(positions)))

    def _arguments(self, tensors):
        args = list(self.args)
        for pos, t in zip(self.positions, tensors):
            if len(pos) == 1:
                args[pos[0]] = t
            else:
                seq = list(args[pos[0]])
                seq[pos[1]] = t
                args[pos[0]] = type(self.args[pos[0]])(seq)
        return args

    def forward(self, A, state, dtype):
        tensors = [_source(A, s, dtype, state) for s in self.slots]
        record = self.out.rg
        if record:
            for t, s in zip(tensors, self.slots):
                if s.__class__ is not tuple:
                    t._requires_grad = s.rg
        with grad_mode.set_grad_enabled(record):
            r = self.op(*self._arguments(tensors), **self.kwargs)
        o = self.out
        A[o.off:o.off + o.n] = r._data.reshape(-1)
        if record:
            state[self.index] = r.grad_fn

    def backward(self, A, G, state, dtype):
        node = state[self.index]
        o = self.out
        g = Tensor._make(G[o.off:o.off + o.n].reshape(o.shape).copy(), dtype)
        with grad_mode.no_grad():
            grads = node.vjp(node, (g,))
            for s, k in zip(self.slots, self.grad_index):
                gk = grads[k] if k < len(grads) else None
                if gk is None or s.__class__ is tuple or not s.rg:
                    continue
                gk = conform(gk, node.input_meta[k], False)
                _add_into(G, s.off, gk._data.reshape(-1))
