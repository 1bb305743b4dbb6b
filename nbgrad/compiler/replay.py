"""Running a lowered `Program`: copy in, one interpreter call, copy out.

A `TapePlan` owns the arena (``A``) and gradient arena (``G``) of one
program, with the constants written once.  A call copies the inputs, the
captured tensors and the ``.grad`` values the program reads into the arena,
runs the interpreter, and builds the result from the template recorded on the
first call: new tensors for computed values, the caller's own objects for
arguments returned as they are, leaves' ``.grad`` written as the eager
backward writes them (set when it was None, updated in place otherwise).
"""

import threading

import numpy as np

from nbgrad import _dtypes
from nbgrad.autograd import grad_mode
from nbgrad.autograd.node import (SAVED_FREED_MESSAGE, Node, check_watched, flat_edges,
                                  joined_watches, new_node, watch_input)
from nbgrad.compiler.interpreter import BUILTINS, encode_row
from nbgrad.compiler.lowering import Unsupported
from nbgrad.compiler.copies import copy_in_function, finish_function
from nbgrad.tensor import Tensor

__all__ = ["TapePlan", "template", "slot_entries", "live_outputs"]

_HOST = BUILTINS["host"]


class _FreedOp:
    """The op of a replayed output's grad_fn: its graph was already consumed by the
    backward inside the compiled function (PyTorch then raises the same error)."""

    name = "compiled"

    @staticmethod
    def backward(node, grads):
        raise RuntimeError(SAVED_FREED_MESSAGE)


CompiledFunctionBackward = type("CompiledFunctionBackward", (Node,),
                                {"__slots__": (), "op": _FreedOp,
                                 "vjp": staticmethod(_FreedOp.backward)})


class _ReverseOp:
    """The op of the grad_fn of replayed outputs that require grad (no backward
    inside the function consumed them): its backward runs the plan's reverse
    program on the arena the call left (``node.params``)."""

    name = "compiled"

    @staticmethod
    def backward(node, grads):
        plan, arena, state = node.params
        if node.released:   # a backward without retain_graph ran: its values may be gone
            raise RuntimeError(SAVED_FREED_MESSAGE)
        if node.watched:
            check_watched(node, node.watched)
        if grad_mode._state.enabled:
            raise RuntimeError("nb.compile: a backward with create_graph=True through a "
                               "compiled call is not supported yet (call the function "
                               "without nb.compile for higher-order gradients)")
        return plan.run_reverse(arena, state, grads)


CompiledFunctionBackwardWithValues = type(
    "CompiledFunctionBackward", (Node,),
    {"__slots__": (), "op": _ReverseOp, "vjp": staticmethod(_ReverseOp.backward)})


def template(value, slot_of, flat_args, captured=()):
    """How to rebuild `value` (the function's result) on replay: arguments and
    captured tensors are returned as themselves, as eagerly."""
    if isinstance(value, Tensor):
        for i, a in enumerate(flat_args):
            if a is value:
                return ("arg", i)
        for t in captured:
            if t is value:
                return ("obj", t)
        s = slot_of(value)
        if s is None:
            raise Unsupported("returning a tensor not computed by the function's ops")
        if s.__class__ is tuple:   # a host value: the tensor its op returns on each call
            return ("hostval", s)
        if value._requires_grad and value.grad_fn is None:
            raise Unsupported("returning a leaf made inside the function")
        if any(np.may_share_memory(value._data, a._data) for a in list(flat_args) + list(captured)):
            # a replay returns a new tensor: writes into it would not reach the argument
            raise Unsupported("returning a view of an argument or a captured tensor")
        return ("slot", s, value._requires_grad, id(value))
    if isinstance(value, (tuple, list)):
        return (type(value), [template(v, slot_of, flat_args, captured) for v in value])
    if value is None or isinstance(value, (bool, int, float, str)):
        return ("value", value)
    raise Unsupported(f"returning a {type(value).__name__}")


class TapePlan:
    """A program ready to replay (see the module docstring)."""

    def __init__(self, program, result_template, roots=()):
        p = program
        self._common(p, result_template)
        npdt = self.dtype.np
        self.code = self._gather_outputs(p)
        self._plan_reverse(p, roots)
        self.copy_in, self.finish = copy_in_function(self), finish_function(self)
        self.A = np.zeros(max(p.size, 1), dtype=npdt)
        self.G = np.zeros(max(p.size, 1), dtype=npdt)
        for off, values in p.consts:
            self.A[off:off + values.size] = values
        self.run_tape = p.vocab.run
        self.aux = p.aux_array
        # compile (or load from the disk cache) now: the first call pays, not the second
        self.run_tape(self.code[:0], self.A, self.G, 0, self.aux)

    def _common(self, p, result_template):
        """What every plan has: the program, the result's template, the guards."""
        self.p = p
        self.dtype = p.dtype or _dtypes.float64
        self.template = result_template
        self.modules = []   # (module, training flag): set by api._plan, guarded
        self.free_values = ()   # what fn read outside its arguments: set by api, guarded
        # guards_hold(flat=None): generated by api once the two above are set (guards)
        self.guards_hold = None
        self.consumed = _consumed_node()
        self.node = None   # the last replay's reverse node (a plan with live outputs)
        self.hosts = p.hosts
        self.epilogue = p.epilogue
        self._lock, self._busy = threading.RLock(), False   # see enter
        self.in_place = frozenset()   # ids of tensors the replay updates in their arrays
        self.captured = [(t, s.off, s.off + s.n, t._data.shape, t._requires_grad)
                         for t, s in p.captured]

    def _gather_outputs(self, p):
        """Copy rows putting every value the result and .grad need in one region at
        the end of the arena: a call copies that region once, tensors view it."""
        slots = [t[1] for t in _slot_entries(self.template)] + \
            [s for _, s, _ in p.grads_out if s is not None]
        self.out_lo = p.size
        self.region = {}
        rows = []
        for s in slots:
            if id(s) not in self.region:
                o = p.size - self.out_lo
                self.region[id(s)] = (o, o + s.n, s.shape)
                rows.append(encode_row(BUILTINS["copy"], s.n, p.size, s.off, 1))
                p.size += max(s.n, 1)
        self.out_hi = p.size
        if not rows:
            return p.code
        return np.concatenate([p.code, np.array(rows, dtype=np.int32)])

    def _plan_reverse(self, p, roots):
        """The reverse program for outputs that require grad and were not the root of
        a backward inside the function (those get a consumed graph, as eagerly)."""
        self.live = live_outputs(self.template, roots)
        self.rev = None
        if not self.live:
            return
        if p.epilogue is not None and p.epilogue.stepped:
            # its backward, run later, would read the values from before the step
            raise Unsupported("returning a tensor that requires grad from a function that "
                              "calls optimizer.step()")
        reads = p.reverse_reads()
        for w in p.written:
            if any(lo < w.end and w.off < hi for lo, hi in reads):
                raise Unsupported("returning a tensor that requires grad whose backward "
                                  "reads a tensor the function then updates in place")
        self.wrt_inputs = [i for i, s in p.inputs if s.rg]
        self.wrt_captured = [t for t, s in p.captured if s.rg]
        wrt = [s for _, s in p.inputs if s.rg] + [s for _, s in p.captured if s.rg]
        rows, seeds, grads = p.reverse_rows([t[1] for t in self.live], wrt)
        self.rev = (p.encode(rows), seeds, grads)
        self.rev_rows = rows

    def execute(self, code, A, G, state):
        """Run `code`; host rows are run here, between interpreter calls."""
        aux = self.aux
        k = self.run_tape(code, A, G, 0, aux)
        while k >= 0:
            host = self.hosts[code[k, 2]]
            if code[k, 0] & 255 == _HOST:
                host.forward(A, state, self.dtype)
            else:
                host.backward(A, G, state, self.dtype)
            k = self.run_tape(code, A, G, k + 1, aux)

    def run_reverse(self, arena, state, grads):
        code, seeds, gslots = self.rev
        for g, s in zip(grads, seeds):
            arena[s.off:s.off + s.n] = 0 if g is None else g._data.reshape(-1)
        G = np.zeros_like(arena)
        self.execute(code, arena, G, state)
        return tuple(Tensor._make(arena[s.off:s.off + s.n].reshape(s.shape).copy(), self.dtype)
                     for s in gslots)

    def __call__(self, flat):
        self.enter("nb.compile: a compiled function called from inside its own replay "
                   "(an op it runs calling it again)")
        try:
            result = self._replay(flat)
            if self.epilogue is not None:
                self.epilogue.run(flat)
            return result
        finally:
            self.leave()

    def enter(self, message):
        """Take the plan for one replay (or backward): its arenas and buffers serve
        every call, so a second thread waits (two replays interleaved would mix their
        values).  The lock is re-entrant so that a call from inside this thread's own
        replay finds ``_busy`` set and raises RuntimeError(`message`) instead of
        waiting for itself."""
        lock = self._lock
        lock.acquire()
        if self._busy:
            lock.release()
            raise RuntimeError(message)
        self._busy = True

    def leave(self):
        self._busy = False
        self._lock.release()

    def _replay(self, flat):
        hosts = self.hosts
        A = self.A.copy() if hosts else self.A
        state = {"flat": flat} if hosts else None
        self.copy_in(flat, A)
        if hosts:
            self.execute(self.code, A, self.G, state)
        else:
            self.run_tape(self.code, A, self.G, 0, self.aux)
        block = A[self.out_lo:self.out_hi].copy()
        if self.rev is not None:
            self.node = self._reverse_node(flat, A if hosts else A.copy(), state)
        self._write_back(flat, A)
        return self.finish(self, flat, block, state)

    def _write_back(self, flat, A):
        """The arguments and captured tensors the function updated in place (those whose
        id is in ``in_place`` were updated in their own arrays: versions only)."""
        in_place = self.in_place
        for kind, t, s, count in self.p.writes:
            if kind == "arg":
                t = flat[t]
            if id(t) not in in_place:
                t._data[...] = A[s.off:s.off + s.n].reshape(s.shape)
            for _ in range(count):
                t._bump_version()

    def _reverse_node(self, flat, arena, state):
        """The grad_fn of the live outputs; `arena`: what its backward reads values from."""
        node = new_node(CompiledFunctionBackwardWithValues)
        tensors = [flat[i] for i in self.wrt_inputs] + self.wrt_captured
        node._next = flat_edges(tensors)
        node.input_meta = tuple((t._data.shape, t.dtype) for t in tensors)
        node.watched = joined_watches(watch_input(t) for t in tensors)
        node.n_outputs = len(self.live)
        node.params = (self, arena, state)
        node.saved = {}   # the engine releases it after a backward without retain_graph
        return node


def _consumed_node():
    node = new_node(CompiledFunctionBackward)
    node._next = ()
    node.input_meta = ()
    node.released = True
    return node


def live_outputs(tpl, roots):
    """The result's slots that require grad and were no root of a backward inside."""
    return [t for t in _slot_entries(tpl) if t[2] and t[3] not in roots]


def slot_entries(tpl):
    return list(_slot_entries(tpl))


def _slot_entries(tpl):
    if tpl[0] == "slot":
        yield tpl
    elif tpl[0] in (tuple, list):
        for t in tpl[1]:
            yield from _slot_entries(t)
