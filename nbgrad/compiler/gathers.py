"""Stacks on the tape: lowered lazily, fused into the reduction that reads them.

``stack([a, b, c, d])`` copies four slots into a new block; on the tape that is
a gather row forward and a scatter row backward, for a value the scalar graph
only ever sums or softmaxes.  So a stack is first kept as its list of source
offsets (pending), and its reader decides:

- ``sum`` over all of it: one ``gather_sum`` row reads the sources through
  ``aux``; its backward adds the gradient into each source;
- ``softmax`` of a stack of single values: one ``gather_softmax`` row (the
  softmax's own arithmetic, so the values are the eager ones to the bit);
- anything else (an elementwise op, a view, a host op, being returned): the
  gather row is written then, the stack becomes an ordinary slot.

A pending stack must read its sources' values as they were when it was made:
every row that writes a tensor in place, and every host op, first writes the
gather rows of all pending stacks (`flush_pending`).  Rows that only read the
sources may come in between, and a later gather row's backward still runs
before its sources' (it comes after them in the forward order).
"""

import math

from nbgrad.compiler.unsupported import Unsupported

__all__ = ["Gathers"]


class Gathers:
    """The stack rules of `_Lowering` (a mixin: it uses its slots and rows)."""

    def _op_stack(self, result, tensors, dim=0):
        shape = tuple(tensors[0].shape)
        d = dim % (len(shape) + 1)
        if math.prod(shape[:d]) != 1:
            raise Unsupported("stack along an inner dimension")
        self._check(result)
        sources = [self.slot(t).off for t in tensors]
        self.pending[id(result)] = (result, sources)
        self.keep.append(result)

    def materialize(self, t):
        """The slot of pending stack `t`, computed by a gather row written now."""
        result, sources = self.pending.pop(id(t))
        out = self.result(result)
        self._row("gather", out, [(self._aux(sources), 0), (len(sources), 0)],
                  e=out.n // len(sources))
        return out

    def flush_pending(self):
        for result, _ in list(self.pending.values()):
            self.materialize(result)

    def gathered_sum(self, result, x):
        """``x.sum()`` of a pending stack `x` as one row, or False."""
        entry = self.pending.get(id(x))
        if entry is None:
            return False
        sources = entry[1]
        n = x._data.size
        self._row("gather_sum", self.result(result),
                  [(self._aux(sources), 0), (len(sources), 0)], e=n // len(sources), n=n)
        return True

    def gathered_softmax(self, result, x):
        """``softmax(x, -1)`` of a pending stack of single values as one row, or False."""
        entry = self.pending.get(id(x))
        if entry is None or x._data.ndim != 1 or x._data.size != len(entry[1]):
            return False
        sources = entry[1]
        self._row("gather_softmax", self.result(result),
                  [(self._aux(sources), 0), (len(sources), 0)], n=len(sources))
        return True

    def _aux(self, sources):
        off = len(self.p.aux)
        self.p.aux += sources
        return off
