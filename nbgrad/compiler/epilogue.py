"""The epilogue: optimizer and scheduler steps a replay calls after its program.

``optimizer.step()`` and ``lr_scheduler.step()`` are Python: state created on the
first step, a learning rate read from the parameter groups on every step, one
fused kernel call per group.  A recording logs each call as one ``host_step``
entry (`nbgrad.compiler.recorder`) and a replay calls ``step()`` again, on the
live optimizer, once the program has run and written the leaves' ``.grad``.
So a replay reads the current learning rate, momentum buffers and step counts,
exactly as an eager call does.

That is faithful only if nothing after the first step depends on it: what
follows it in the function must be further steps, ``.grad`` clears
(``zero_grad()``, replayed here, in order), or ops that read none of the
tensors a step updates (parameters and optimizer state).  Anything else
(a backward, an in-place update, an op on a parameter) raises `Unsupported`:
the function then runs eagerly.
"""

import numpy as np

from nbgrad.compiler.unsupported import Unsupported
from nbgrad.tensor import Tensor

__all__ = ["Epilogue"]


class Epilogue:
    """The steps and clears of a recording after its first ``host_step``."""

    def __init__(self):
        self.actions = []   # ("step", optimizer or scheduler) | ("clear_grad", leaf ref)
        self.stepped = []   # the tensors the steps update

    def take(self, entry, ref):
        """Whether `entry` belongs here (else it is lowered into the program); raises
        `Unsupported` for an entry after a step that the step would change.  `ref`
        gives a leaf's replay reference (a flat argument index or the tensor)."""
        kind = entry[0]
        if kind == "host_step":
            _, obj, stepped = entry
            self.actions.append(("step", obj))
            self.stepped += stepped + _state_tensors(obj)
            return True
        if not self.actions:
            return False
        if kind == "clear_grad":
            self.actions.append(("clear_grad", ref(entry[1])))
            return True
        if kind == "op" and not self._reads_stepped(entry[2], entry[3]):
            return False
        raise Unsupported(f"{_what(entry)} after optimizer.step() or lr_scheduler.step() "
                          "(only zero_grad(), other steps and ops on tensors the steps do "
                          "not update may follow them in a compiled function)")

    def _reads_stepped(self, args, kwargs):
        tensors = [a for a in _tensors_in(list(args) + list(kwargs.values()))]
        return any(np.may_share_memory(t._data, s._data)
                   for t in tensors for s in self.stepped)

    def run(self, flat):
        """The steps and clears, in the recorded order (after a replay's program)."""
        for kind, what in self.actions:
            if kind == "step":
                what.step()
            else:
                (flat[what] if what.__class__ is int else what).grad = None


def _state_tensors(obj):
    state = getattr(obj, "state", None)
    if not isinstance(state, dict):
        return []
    return [v for s in state.values() if isinstance(s, dict)
            for v in s.values() if isinstance(v, Tensor)]


def _tensors_in(values):
    for v in values:
        if isinstance(v, Tensor):
            yield v
        elif isinstance(v, (list, tuple)):
            yield from _tensors_in(v)


def _what(entry):
    kind = entry[0]
    if kind == "op":
        return f"the op {entry[1].name!r} on a tensor a step updates"
    return {"backward": "a backward()", "grad": "an autograd.grad()",
            "into": "an in-place update", "commit": "an in-place update"}.get(kind, kind)
