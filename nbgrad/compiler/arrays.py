"""Replay of a program of large tensors an array at a time (a training step).

The tape interpreter runs one row at a time, serially: right for many small
tensors, slow for a layer of 100,000 values, and a `HostCall` row (a matrix
product) runs its op through Python (Tensors, a node, checks).  An `ArrayPlan`
replays the same `Program` as a list of steps, each a direct call of the
kernels the eager op runs, on views of the arena fixed when the plan is built:

- an elementwise row of `ARRAY_MIN_ELEMENTS` or more: its op's kernel family
  (`elementwise.run`, parallel when large) writing the row's result, and for a
  backward row the fused derivative kernel writing each input's gradient;
- a large full sum or mean, softmax row, stack (gather) or copy: its kernels;
- a host row whose op has a form (`array_forms`: addmm, mm, softmax, nll_loss):
  those kernels; a 2-D transpose is no step at all: its result is viewed as
  the transposed source, values and gradients (a linear layer's ``weight.t()``);
- every other row: the interpreter, a run of consecutive rows a call.  A large
  row only the interpreter runs makes the plan refuse (`NotArrayReplayable`:
  the caller runs the eager kernels instead).

The gradient arena is not cleared per backward: a gradient slot whose first
write in a reverse pass is a step's and which no other slot overlaps is
*set* by that step (gemm with beta 0, a kernel writing it); the slots read or
added into before anything set them are zeroed, only those.  Steps reach A
through `ArrayPlan.at`, so `placement` can keep a parameter's values in the
parameter itself and read a gradient where G holds it.  Every step writes what
the eager kernels write, in the same order of operations (the same values).
Returned tensors that still require grad get a backward of steps too
(`array_reverse`).
"""

import numpy as np

from nbgrad.backends.cpu import array, elementwise, nn, reduce
from nbgrad.backends.family import IDENTITY as _COPY
from nbgrad.compiler import array_reverse, hostops
from nbgrad.compiler.array_forms import deliver, form_of, into_gradient, transpose_source
from nbgrad.compiler.copies import copy_in_function
from nbgrad.compiler.placement import GATHERS, moves_of, unplaced
from nbgrad.compiler.replay import TapePlan
from nbgrad.ops.registry import REGISTRY

__all__ = ["ArrayPlan", "ARRAY_MIN_ELEMENTS", "NotArrayReplayable"]

# an elementwise row smaller than this stays on the interpreter: a step's Python
# (1-2 us) costs more than the interpreter's serial loop over it
ARRAY_MIN_ELEMENTS = 2048
_DIV, _ADD = REGISTRY["div"].forward_family, REGISTRY["add"].forward_family


class NotArrayReplayable(Exception):
    """The program has a large row only the serial interpreter would run."""


class ArrayPlan(TapePlan):
    """A `TapePlan` run as steps of array kernels (see the module docstring)."""

    def __init__(self, program, result_template, roots=()):
        super().__init__(program, result_template, roots)
        self.ops = {op.name: op for op in program.ops}
        self.alias = {}   # id(slot) -> the slot it is a transposed view of
        self.moved = []   # (lo, hi, array, tensor or None): A's lo:hi kept in `array`
        self.bound = []   # (tensor, its array): captured tensors the steps use in place
        self.hosted = []  # the ops of host rows run through their HostCall
        self.gather = self.code[len(program.rows):]   # the output copies: see _collect
        self.rows, self.n_forward, self.pending = program.rows, len(program.rows), None
        if self.live:   # the outputs' later backward: reverse rows after these
            why = array_reverse.prepare(self)
            if why is not None:
                raise NotArrayReplayable(why)
        self._build()

    def _build(self):
        steps = _Builder(self).steps()
        self.steps, self.reverse_steps = steps[:self.split], steps[self.split:]
        self.in_place = frozenset(id(t) for t, _ in self.bound)
        self.copy_in = copy_in_function(self, self.in_place)
        self.collect = self._collect()

    def _collect(self):
        """(offset in the block, length, where the steps left the value) per copy row
        that `TapePlan._gather_outputs` appended: a replay copies each value straight
        into a new block (one pass; a gradient is read where G holds it)."""
        out = []
        for row in self.gather:
            n, o, a = int(row[1]), int(row[2]), int(row[3])
            out.append((o - self.out_lo, n, self.at(a, n)))
        return out

    # -- views of the arenas, as steps read and write them ------------------------
    def a(self, s):
        return self._view(self.A, s)

    def g(self, s):
        return self._view(self.G, s)

    def _view(self, arena, s):
        src = self.alias.get(id(s))
        if src is not None:
            return self._view(arena, src).T
        flat = self.at(s.off, s.n) if arena is self.A else arena[s.off:s.off + s.n]
        return flat.reshape(s.shape)

    def at(self, off, n):
        """The n values at offset `off` of A, where the steps read and write them: the
        arena, or the array a range of it was moved to (`placement`)."""
        for lo, hi, array_, _ in self.moved:
            if lo <= off < hi:
                return array_[off - lo:off - lo + n]
        return self.A[off:off + n]

    def storage(self, s):
        """The arena range (offset, length) holding slot `s`'s values."""
        src = self.alias.get(id(s))
        return self.storage(src) if src is not None else (s.off, max(s.n, 1))

    source = staticmethod(hostops.source)

    def _replay(self, flat):
        for t, data in self.bound:
            if t._data is not data:   # its .data was replaced: bind the new array
                self._build()
                break
        if self.pending is not None:
            array_reverse.save_pending(self)
        state = {"flat": flat}
        A = self.A
        self.copy_in(flat, A)
        for step in self.steps:
            step(state)
        block = np.empty(self.out_hi - self.out_lo, A.dtype)
        for o, n, src in self.collect:
            if n >= ARRAY_MIN_ELEMENTS:
                array.copy_into(block[o:o + n], src)
            else:
                block[o:o + n] = src
        if self.rev is not None:
            node = self.node = self._reverse_node(flat, None, state)
            self.pending = array_reverse.Pending(node)
            node.params = (self, self.pending, state)
        self._write_back(flat, A)
        result = self.finish(self, flat, block, state)
        self.node = None   # only the outputs keep it: a dropped output frees it (array_reverse)
        return result

    def run_reverse(self, pending, state, grads):
        """The outputs' backward (see `array_reverse`), one at a time with replays."""
        self.enter("nb.compile: a compiled call's backward run from inside a replay of the "
                   "same function")
        try:
            return array_reverse.run(self, pending, state, grads)
        finally:
            self.leave()


class _Unit:
    """A row run as a step: what it reads and writes of G (ranges), and how to make
    its step once the gradient modes ("set"/"add") of its writes are known."""

    def __init__(self, make, reads=(), writes=(), by_slot=False):
        self.make, self.reads, self.writes = make, list(reads), list(writes)
        self.by_slot = by_slot   # reads the arenas through the plan's views of slots


class _Builder:
    def __init__(self, plan):
        self.plan, self.p = plan, plan.p
        self.rows = plan.rows   # not the output copies after them: see ArrayPlan._collect

    def steps(self):
        plan = self.plan
        plan.alias = {id(c.out): src for c in self.p.hosts
                      if (src := transpose_source(c)) is not None}
        plan.moved = moves_of(plan, self.rows, ARRAY_MIN_ELEMENTS)
        units = self._units()
        aliases, moves = unplaced(plan, self.rows, units)
        if aliases or moves:   # a row reads them in the arena: they stay there
            for key in aliases:
                del plan.alias[key]
            plan.moved = [m for m in plan.moved if not any(m is x for x in moves)]
            units = self._units()
            if any(unplaced(plan, self.rows, units)):
                plan.alias, plan.moved = {}, []
                units = self._units()
        plan.bound = [(m[3], m[3]._data) for m in plan.moved if m[3] is not None]
        self._check_large_rows(units)
        modes, zeros = _GradientModes(self, units).run()
        return self._assemble(units, modes, zeros)

    # -- which rows are steps ----------------------------------------------------
    def _units(self):
        forms = {}
        for i, call in enumerate(self.p.hosts):
            if id(call.out) in self.plan.alias:
                forms[i] = "view"
            else:
                forms[i] = form_of(call, self.plan)
        self.plan.hosted = [c.op.name for i, c in enumerate(self.p.hosts) if forms[i] is None]
        units = {}
        for k, row in enumerate(self.rows):
            if row is None:
                continue
            unit = self._unit(row, forms)
            if unit is not None:
                units[k] = unit
        return units

    def _unit(self, row, forms):
        kind, name = row[0]
        if name == "host":
            form = forms[row[2]]
            if form is None:
                return None
            if form == "view":
                return _Unit(None, by_slot=True)
            if kind == "x":
                return _Unit(lambda modes: form.forward, by_slot=True)
            plan = self.plan
            return _Unit(form.backward, [plan.storage(form.out)],
                         [plan.storage(s) for s, _ in form.targets], by_slot=True)
        if name in self.plan.ops and row[1] >= ARRAY_MIN_ELEMENTS:
            return (_elementwise_forward if kind == "f" else _elementwise_backward)(
                self.plan, self.plan.ops[name], row)
        if name in ("sum", "mean") and row[1] >= ARRAY_MIN_ELEMENTS:
            return _full_reduction(self.plan, row)
        if name in _MOVES and row[1] >= ARRAY_MIN_ELEMENTS:
            return _move(self.plan, row)
        if name in _SHAPED and row[1] >= ARRAY_MIN_ELEMENTS:
            return _SHAPED[name](self.plan, row)
        return None

    def _check_large_rows(self, units):
        for k, row in enumerate(self.rows):
            if row is not None and k not in units and row[0][1] != "host" and \
                    row[0] != ("x", "zero_grad") and row[1] >= ARRAY_MIN_ELEMENTS:
                raise NotArrayReplayable(f"a {row[0][1]} row of {row[1]} elements")

    # -- the steps -------------------------------------------------------------------
    def _assemble(self, units, modes, zeros):
        plan, steps, start = self.plan, [], None
        for k in range(len(self.rows) + 1):
            unit = units.get(k)
            is_zero = k in zeros
            if k < len(self.rows) and unit is None and not is_zero:
                start = k if start is None else start
                continue
            if start is not None:
                steps.append(_interpreted(plan, plan.code[start:k]))
                start = None
            if k == plan.n_forward:   # the later backward's steps start here
                plan.split = len(steps)
            if is_zero:
                steps.append(_zeroing(plan, zeros[k]))
            elif unit is not None and unit.make is not None:
                steps.append(unit.make(modes.get(k, [])))
        return steps


def _interpreted(plan, code):
    A, G = plan.A, plan.G

    def step(state):
        plan.execute(code, A, G, state)
    return step


def _zeroing(plan, ranges):
    G = plan.G
    views = [G] if ranges is None else [G[lo:hi] for lo, hi in _merged(ranges)]

    def step(state):
        for v in views:
            array.fill(v, 0)
    return step


def _merged(ranges):
    spans = sorted((off, off + n) for off, n in ranges)
    out = []
    for lo, hi in spans:
        if out and lo <= out[-1][1]:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return out


def _operands(op, row):
    """(offset, length) of each operand of an elementwise row."""
    n = row[1]
    return [(row[3 + 2 * j], n if row[4 + 2 * j] else 1) for j in range(len(op.inputs))]


def _elementwise_forward(plan, op, row):
    fam, n, o = op.forward_family, row[1], row[2]
    operands = _operands(op, row)
    if len(fam.arg_names) != len(operands) or \
            any(off != o and off < o + n and o < off + m for off, m in operands):
        return None   # an overlap that is not in place: the interpreter's order
    A = plan.A
    args = [plan.at(off, m) for off, m in operands]   # one element: read per call
    outs, dts, shape = [plan.at(o, n)], [A.dtype], (n,)
    return _Unit(lambda modes: lambda state: elementwise.run(fam, args, dts, shape, outs))


def _elementwise_backward(plan, op, row):
    n, o, operands = row[1], row[2], _operands(op, row)
    needs = tuple(bool(row[9] >> j & 1) for j in range(len(operands)))
    fam, layout = op._backward_plan(needs)
    if fam is None:   # every needed gradient is g itself (add, sub's first input...)
        layout = tuple(-1 if need else None for need in needs)
    A, G = plan.A, plan.G
    where = {"g": G[o:o + n], "out": plan.at(o, n)}
    where.update((name, plan.at(off, m)) for name, (off, m) in zip(op.inputs, operands))
    if fam is not None and any(name not in where for name in fam.arg_names):
        return None
    # a broadcast operand's gradient (one element) is the sum of its n contributions
    targets = [(layout[j], G[off:off + m], m != n) for j, (off, m) in enumerate(operands)
               if needs[j]]

    def make(modes):
        args = [where[name] for name in fam.arg_names] if fam is not None else []
        g, dts = where["g"], [A.dtype] * (fam.n_outputs if fam is not None else 0)

        def step(state):
            outs = [None] * len(dts)
            for (k, target, summed), mode in zip(targets, modes):
                if k >= 0:
                    direct = mode == "set" and not summed
                    outs[k] = target if direct else array.empty((n,), A.dtype)
            if dts:
                elementwise.run(fam, args, dts, (n,), outs)
            for (k, target, summed), mode in zip(targets, modes):
                value = g if k < 0 else outs[k]
                if summed:
                    deliver(target, _total(value), mode)
                elif k < 0 or mode == "add":
                    deliver(target, value, mode)
        return step
    return _Unit(make, [(o, n)], [(off, m) for j, (off, m) in enumerate(operands) if needs[j]])


def _total(values):
    out = np.empty((1, 1), values.dtype)
    reduce.sum_arb(values.reshape(1, -1, 1), out, np.float64(0), np.float64(1))
    return out.reshape(1)


_MOVES = {"grad_out", "add_prev", "seed_from", "copy"}


def _move(plan, row):
    """Rows that copy or add values between the arenas: a .grad exposed as a value
    (grad_out), added to the leaf's previous .grad (add_prev), a given gradient
    seeding a backward (seed_from), a copy and its backward."""
    (kind, name), n, o, a, b = row[0], row[1], row[2], row[3], row[5]
    A, G = plan.A, plan.G
    if name == "grad_out":
        dst, src = plan.at(o, n), G[a:a + n]
        if dst.ctypes.data == src.ctypes.data:   # the value is read in G (placement)
            return _Unit(None, [(a, n)])
        return _Unit(lambda modes: lambda state: array.copy_into(dst, src), [(a, n)])
    if name == "add_prev":
        args, dst, dts = [plan.at(a, n), G[b:b + n]], [plan.at(o, n)], [A.dtype]
        return _Unit(lambda modes: lambda state: elementwise.run(_ADD, args, dts, (n,), dst),
                     [(b, n)])
    if name == "seed_from":
        dst, src = G[o:o + n], plan.at(a, n)
        return _Unit(lambda modes: lambda state: deliver(dst, src, modes[0]), [], [(o, n)])
    if o < a + n and a < o + n:
        return None   # an overlapping copy: the interpreter's order
    if kind != "b":
        dst, src = plan.at(o, n), plan.at(a, n)
        return _Unit(lambda modes: lambda state: array.copy_into(dst, src))
    dst, src = G[a:a + n], G[o:o + n]
    return _Unit(lambda modes: lambda state: deliver(dst, src, modes[0]), [(o, n)], [(a, n)])


def _softmax(plan, row):
    """softmax over rows of e elements (the last dimension), with the eager kernels."""
    (kind, _), n, o, a, e = row[0], row[1], row[2], row[3], row[9]
    if e <= 0 or n % e or (o < a + n and a < o + n):
        return None
    shape3, G = (n // e, e, 1), plan.G
    o3 = plan.at(o, n).reshape(shape3)
    if kind != "b":
        x3 = plan.at(a, n).reshape(shape3)
        return _Unit(lambda modes: lambda state: nn.softmax(x3, o3, False))
    g3, target = G[o:o + n].reshape(shape3), G[a:a + n].reshape(shape3)

    def make(modes):
        return lambda state: into_gradient(
            target, modes[0], lambda gx: nn.softmax_backward(g3, o3, gx, False))
    return _Unit(make, [(o, n)], [(a, n)])


def _gather(plan, row):
    """A stack written block by block from its sources (offsets in aux), and its
    backward: each block's gradient delivered to its source."""
    (kind, _), n, o, a, b, e = row[0], row[1], row[2], row[3], row[5], row[9]
    sources = plan.p.aux[a:a + b]
    if e <= 0 or any(src < o + n and o < src + e for src in sources):
        return None
    if kind != "b":
        pairs = [(plan.at(o + q * e, e), plan.at(src, e)) for q, src in enumerate(sources)]

        def step(state):
            for dst, src in pairs:
                array.copy_into(dst, src)
        return _Unit(lambda modes: step)
    G = plan.G
    blocks = [(G[src:src + e], G[o + q * e:o + (q + 1) * e]) for q, src in enumerate(sources)]

    def make(modes):
        parts = [(target, g, mode) for (target, g), mode in zip(blocks, modes)]

        def step(state):
            for target, g, mode in parts:
                deliver(target, g, mode)
        return step
    return _Unit(make, [(o, n)], [(src, e) for src in sources])


_SHAPED = {"softmax": _softmax, "gather": _gather}


def _full_reduction(plan, row):
    """sum or mean of n elements (the eager reduction kernel), and its backward:
    the gradient broadcast (over n, for a mean)."""
    (kind, name), n, o, a = row[0], row[1], row[2], row[3]
    A, G = plan.A, plan.G
    if kind != "b":
        rows, out = plan.at(a, n).reshape(1, n, 1), plan.at(o, 1).reshape(1, 1)
        zero, scale = np.float64(0), np.float64(1 / n if name == "mean" else 1)
        return _Unit(lambda modes: lambda state: reduce.sum_arb(rows, out, zero, scale))
    g, target, dts = G[o:o + 1], G[a:a + n], [A.dtype]
    fam, divisor = (_DIV, A.dtype.type(n)) if name == "mean" else (_COPY, None)
    args = [g] if divisor is None else [g, divisor]

    def make(modes):
        return lambda state: into_gradient(
            target, modes[0], lambda out: elementwise.run(fam, args, dts, (n,), [out]))
    return _Unit(make, [(o, 1)], [(a, n)])


class _GradientModes:
    """Per reverse pass (rows after a zero_grad row): each step's gradient writes
    "set" or "add", and the ranges to zero first (None: all of G, when a row's
    effects are not known here)."""

    def __init__(self, builder, units):
        self.b, self.units = builder, units
        # (G ranges read, G ranges written) per row but zero_grad's; None: not known
        self.effects = {k: (units[k].reads, units[k].writes) if k in units else
                        self._row_effects(row) for k, row in enumerate(builder.rows)
                        if row is not None and row[0] != ("x", "zero_grad")}
        ranges = {builder.plan.storage(s) for s in builder.p.all_slots}
        for effects in self.effects.values():
            if effects is not None:
                ranges.update(effects[0] + effects[1])
        self.exclusive = _exclusive(ranges)

    def run(self):
        modes, zeros, current = {}, {}, None
        for k, row in enumerate(self.b.rows):
            if row is not None and row[0] == ("x", "zero_grad"):
                current, zeros[k], written, unknown = k, [], set(), False
                continue
            if current is None or row is None:
                continue
            unit, effects = self.units.get(k), self.effects[k]
            if effects is None:
                zeros[current], unknown = None, True
                continue
            reads, writes = effects
            for r in reads:
                if r not in written:
                    self._zero(zeros, current, r)
                    written.add(r)
            row_modes = []
            for w in writes:
                settable = unit is not None and not unknown and w in self.exclusive
                if w in written or not settable:
                    if w not in written:
                        self._zero(zeros, current, w)
                    row_modes.append("add")
                else:
                    row_modes.append("set")
                written.add(w)
            modes[k] = row_modes
        return modes, zeros

    @staticmethod
    def _zero(zeros, current, r):
        if zeros[current] is not None:
            zeros[current].append(r)

    def _row_effects(self, row):
        """(G ranges read, G ranges added into) of a row the interpreter runs."""
        kind, name = row[0]
        n, o, a = row[1], row[2], row[3]
        if name in GATHERS:
            return None
        if name == "host":
            call = self.b.p.hosts[row[2]]
            if kind == "x":
                return [], []
            st = self.b.plan.storage
            return [st(call.out)], [st(s) for s in call.slots
                                    if s.__class__ is not tuple and s.rg]
        if name in self.b.plan.ops:
            if kind == "f":
                return [], []
            op = self.b.plan.ops[name]
            return [(o, n)], [r for j, r in enumerate(_operands(op, row)) if row[9] >> j & 1]
        if kind != "b":   # forward rows read no gradient, but these
            return {"seed": ([], [(o, n)]), "seed_from": ([], [(o, n)]),
                    "grad_out": ([(a, n)], []), "add_prev": ([(row[5], n)], [])}.get(
                        name, ([], []))
        reduced = name in ("sum", "mean")
        return [(o, 1 if reduced else n)], [(a, n)]


def _exclusive(ranges):
    """The ranges no other range overlaps."""
    spans = sorted(ranges)
    out, reach = set(), -1   # reach: the furthest end of the spans before
    for i, (off, n) in enumerate(spans):
        nxt = spans[i + 1][0] if i + 1 < len(spans) else None
        if off >= reach and (nxt is None or nxt >= off + n):
            out.add((off, n))
        reach = max(reach, off + n)
    return out

