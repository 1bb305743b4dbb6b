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
from nbgrad.ops.index_plan import IndexPlan
from nbgrad.ops.indexing import key_template, replan
from nbgrad.tensor import Tensor

__all__ = ["HostCall", "source", "tensor_at", "tensor_positions"]


@numba.njit(cache=True)
def _add_into(G, off, g):
    for i in range(g.shape[0]):
        G[off + i] += g[i]


def tensor_positions(args):
    """Where the tensors are in `args`: (i,) for an argument, (i, j) inside a list or
    tuple argument (the order in which a function-style op lists its inputs), then
    (i, j, "key") for the index tensors an index plan argument was made from."""
    out, keys = [], []
    for i, a in enumerate(args):
        if isinstance(a, Tensor):
            out.append((i,))
        elif isinstance(a, (list, tuple)):
            out += [(i, j) for j, x in enumerate(a) if isinstance(x, Tensor)]
        elif isinstance(a, IndexPlan) and a.sources:
            keys += [(i, j, "key") for j in range(len(a.sources))]
    return out + keys


def tensor_at(args, pos):
    """The tensor at position `pos` (from `tensor_positions`) of `args`."""
    if len(pos) == 1:
        return args[pos[0]]
    a = args[pos[0]]
    return a.sources[pos[1]] if len(pos) == 3 else a[pos[1]]


def _view(A, s, dtype):
    return Tensor._make(A[s.off:s.off + s.n].reshape(s.shape), dtype)


def _without_tensors(a):
    if isinstance(a, Tensor):
        return None
    if isinstance(a, IndexPlan) and a.sources:   # planned again from each call's indices
        return key_template(a)
    if isinstance(a, (list, tuple)) and any(isinstance(x, Tensor) for x in a):
        kind = tuple if isinstance(a, tuple) else list
        return kind([None if isinstance(x, Tensor) else x for x in a])
    return a


def _source(A, s, dtype, state):
    if s.__class__ is not tuple:
        return _view(A, s, dtype)
    return source(s, state)


def source(s, state):
    """The tensor a host op reads outside the arena: ("arg", i) the call's flat
    argument i, ("obj", t) captured tensor t, ("val", k) host op k's result."""
    kind = s[0]
    if kind == "arg":
        return state["flat"][s[1]]
    return state[s] if kind == "val" else s[1]


class HostCall:
    """One op run by Python between interpreter rows (see the module docstring)."""

    def __init__(self, index, op, args, kwargs, positions, slots, out, shape):
        self.index, self.op, self.kwargs = index, op, kwargs
        self.shape = shape   # the recorded result's: every replay's must be the same
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
        keys = {}
        for pos, t in zip(self.positions, tensors):
            if len(pos) == 1:
                args[pos[0]] = t
            elif len(pos) == 3:
                keys.setdefault(pos[0], []).append(t)
            else:
                seq = list(args[pos[0]])
                seq[pos[1]] = t
                args[pos[0]] = type(self.args[pos[0]])(seq)
        for i, key_tensors in keys.items():
            args[i] = replan(self.args[i], key_tensors)
        return args

    def forward(self, A, state, dtype):
        tensors = [_source(A, s, dtype, state) for s in self.slots]
        o = self.out
        record = o.__class__ is not tuple and o.rg
        if record:
            for t, s in zip(tensors, self.slots):
                if s.__class__ is not tuple:
                    t._requires_grad = s.rg
        with grad_mode.set_grad_enabled(record):
            r = self.op(*self._arguments(tensors), **self.kwargs)
        if r._data.shape != self.shape:
            raise RuntimeError(
                f"nb.compile: {self.op.name} returned shape {list(r._data.shape)} on a "
                f"replay against {list(self.shape)} when recorded: its result's shape "
                f"depends on values; call the function without nb.compile")
        if o.__class__ is tuple:   # a host value (lowering._host_result)
            state[o] = r
            return
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
