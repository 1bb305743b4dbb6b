"""Where an `ArrayPlan`'s steps find values that need not live in the arena.

The tape copies every captured tensor into its arena before a call and back
after one, and copies a gradient into a value slot to read it (``p.grad`` in
``p -= lr * p.grad``).  For a training step of large parameters those copies
are passes over memory the eager step does not make.  An `ArrayPlan`'s steps
reach A through `ArrayPlan.at`, so a range of A can be *moved*:

- a captured tensor's slot to the tensor's own array (bound: no copy in or
  back; the plan checks each call that the tensor still has that array);
- a gradient exposed as a value after the last reverse pass to its range of G.

A move holds only while no row left to the interpreter (or to a `HostCall`)
addresses the range by offset: `unplaced` finds those; the plan then keeps
that range in the arena.  A 2-D transpose viewed in place (`ArrayPlan.alias`)
is checked the same way, and also against elementwise steps (they read flat
ranges by offset, in the arena's order, not through the transposed view).
"""

__all__ = ["moves_of", "unplaced", "GATHERS"]

_G_WRITERS = {"zero_grad", "seed", "seed_from"}
GATHERS = ("gather", "gather_sum", "gather_softmax")   # rows reading sources via aux


def moves_of(plan, rows, min_elements):
    """Candidate moves of A's ranges: (lo, hi, array, the captured tensor bound or
    None)."""
    moved = []
    for t, s in plan.p.captured:
        data = t._data
        if s.n and data.flags.c_contiguous and data.dtype == plan.A.dtype and \
                data.shape == s.shape:
            moved.append((s.off, s.off + s.n, data.reshape(-1), t))
    last = max((k for k, row in enumerate(rows) if row is not None and
                (row[0][0] == "b" or row[0][1] in _G_WRITERS)), default=-1)
    readers = [row[3] if row[0][1] == "grad_out" else row[5] for row in rows[last + 1:]
               if row is not None and row[0][1] in ("grad_out", "add_prev")]
    for row in rows[last + 1:]:
        if row is not None and row[0] == ("x", "grad_out") and row[1] >= min_elements and \
                readers.count(row[3]) == 1:
            n, o, a = row[1], row[2], row[3]
            moved.append((o, o + n, plan.G[a:a + n], None))
    return moved


def unplaced(plan, rows, units):
    """(ids of aliased slots, moved ranges) that a row addresses in the arena."""
    arena, by_offset = [], []   # (lo, hi) ranges rows read or write by offset
    for k, row in enumerate(rows):
        unit = units.get(k)
        if row is not None and row[0] == ("x", "zero_grad") or unit is not None and \
                unit.by_slot:
            continue
        (by_offset if unit is not None else arena).extend(_addressed(plan, k, row))

    def hit(lo, hi, ranges):
        return any(a < hi and lo < b for a, b in ranges)

    aliases = [id(c.out) for c in plan.p.hosts if id(c.out) in plan.alias and
               hit(c.out.off, c.out.end, arena + by_offset)]
    moves = [m for m in plan.moved if hit(m[0], m[1], arena)]
    return aliases, moves


def _addressed(plan, k, row):
    """The arena ranges row k may address: a host op's slots, a gather's sources
    (through aux), else each offset field as a one-element range."""
    if row is not None and row[0][1] == "host":
        call = plan.p.hosts[row[2]]
        return [(s.off, s.end) for s in call.slots + [call.out]
                if s.__class__ is not tuple]
    out = [(int(v), int(v) + 1) for v in plan.code[k, 2:]]
    if row is not None and row[0][1] in GATHERS:
        a, b, e = row[3], row[5], max(row[9], 1)
        out += [(src, src + e) for src in plan.p.aux[a:a + b]]
    return out
