"""Fused kernels for large tensors: a program of elementwise rows ending in full
reductions, and its reverse pass, as two parallel loops.

The tape interpreter runs one row at a time over the arena, which for tensors
of millions of elements means a pass over memory per op.  A program whose
forward rows are all elementwise over the same N elements (operands of N
elements or constants of one), whose reductions (`sum`, `mean`) reduce one of
those values fully, and whose one reverse pass starts from a reduction, is
generated instead as one Numba function with two ``prange`` loops:

1. forward: every value as a local per element, the reductions accumulated,
   the values the result needs written out;
2. backward: the forward locals recomputed (reading the inputs again is cheaper
   than storing them), each row's derivative rules run in reverse order on
   per-element gradient locals, the leaves' gradients written (or added into
   their existing ``.grad``).

That is the tutorial step's two passes over memory, as the hand-fused
reference.  The kernel is generated per program structure and cached on disk
by its text.  `fusable` says whether a program has this form; anything else
keeps the eager kernels (see `nbgrad.compiler.api`).
"""

import sys

import numpy as np

from nbgrad.backends import codegen
from nbgrad.compiler.interpreter import _register
from nbgrad.compiler.replay import TapePlan, slot_entries
from nbgrad.tensor import Tensor

__all__ = ["fusable", "FusedKernel", "FusedPlan"]


def _elementwise_ops(p):
    return {op.name: op for op in p.ops}


def fusable(p):
    """The element count N when program `p` has the fused form, else None."""
    ops = _elementwise_ops(p)
    if p.hosts or p.aux or p.writes or not p.rows:
        return None
    sizes = {s.off: s.n for _, s in p.inputs} | {s.off: s.n for _, s in p.captured}
    sizes |= {off: v.size for off, v in p.consts}
    n_big = max((r[1] for r in p.rows if r[0][0] == "f"), default=0)
    stage = "forward"
    computed = set()   # one-element values computed after the forward loop
    for row in p.rows:
        kind, name = row[0]
        stage = _next_stage(stage, kind, name)
        if stage is None or not _row_fits(row, kind, name, ops, sizes, n_big, computed):
            return None
    return n_big if n_big > 1 else None


def _next_stage(stage, kind, name):
    """forward -> (zero_grad, seed) -> backward -> grads; None when out of order."""
    if kind == "f":
        return stage if stage == "forward" else None
    if name == "zero_grad":
        return "seed" if stage == "forward" else None
    if name == "seed":
        return "seed" if stage == "seed" else None
    if kind == "b":
        return "backward" if stage in ("seed", "backward") else None
    if name in ("grad_out", "add_prev"):
        return "grads" if stage in ("backward", "grads") else None
    return None


def _row_fits(row, kind, name, ops, sizes, n_big, computed):
    n, out = row[1], row[2]
    if kind == "x":
        if name == "seed":
            return sizes.get(out) == 1
        if name == "grad_out":
            return n in (1, n_big) and sizes.get(row[3]) == n
        if name == "add_prev":
            return n in (1, n_big) and sizes.get(row[5]) == n
        return name == "zero_grad"
    if name in ("sum", "mean"):
        if kind == "f":
            if n != n_big or sizes.get(row[3]) != n_big:
                return False
            sizes[out] = 1
            computed.add(out)
        return True
    op = ops.get(name)
    if op is None or n not in (1, n_big):
        return False
    for j in range(len(op.inputs)):
        off, step = row[3 + 2 * j], row[4 + 2 * j]
        if n == 1:   # arithmetic on reductions and scalars, after the loop
            if sizes.get(off) != 1:
                return False
        elif sizes.get(off) != (n_big if step else 1) or (not step and off in computed):
            return False   # a value computed after the loop cannot feed the loop
    if kind == "f":
        sizes[out] = n
        if n == 1:
            computed.add(out)
    return True


class FusedKernel:
    """The generated two-loop function of a fusable program (see the module
    docstring).  ``arrays``: offsets of the N-element inputs, in argument order;
    ``scalars``: offsets of one-element values (constants, inputs), read into one
    array per call; ``outputs``: offsets written per element (values the result
    needs, leaves' gradients); ``reductions``: offsets of the reduced values,
    returned by the function."""

    def __init__(self, p, n_big, wanted):
        self.n = n_big
        self.ops = _elementwise_ops(p)
        sizes = {s.off: s.n for _, s in p.inputs} | {s.off: s.n for _, s in p.captured}
        self.arrays = [off for off, n in sizes.items() if n == n_big]
        self.scalars = [off for off, n in sizes.items() if n == 1] + \
            [off for off, v in p.consts if v.size == 1]
        self.prev = {row[3]: row[2] for row in p.rows if row[0] == ("x", "add_prev")}
        forward = [r for r in p.rows if r[0][0] == "f"]
        backward = [r for r in p.rows if r[0][0] == "b"]
        grads = [r for r in p.rows if r[0][1] in ("grad_out", "add_prev")]
        self.seeds = {r[2] for r in p.rows if r[0] == ("x", "seed")}
        self.sizes = {s.off: s.n for _, s in p.inputs} | {s.off: s.n for _, s in p.captured}
        self.reductions = [r[2] for r in forward if r[0][1] in ("sum", "mean")]
        self.late = [r for r in forward if r[1] == 1 and r[0][1] not in ("sum", "mean")]
        self.computed = set(self.reductions) | {r[2] for r in self.late}
        forward = [r for r in forward if r[1] != 1 or r[0][1] in ("sum", "mean")]
        computed = {r[2] for r in forward if r[0][1] not in ("sum", "mean")}
        self.outputs = [off for off in wanted if off in computed or off in self.arrays] + \
            [r[2] for r in grads]
        self.out_sizes = {o: n_big for o in self.outputs} | {r[2]: r[1] for r in grads}
        self._grad_outputs = {r[2] for r in grads}
        self.returned = self.reductions + [r[2] for r in self.late]
        self._names = {}
        self.head = ["import numpy as np", "from numba import njit, prange"]
        lines = self._pass1(forward) + (self._pass2(forward, backward, grads) if grads else [])
        args = ["N"] + [f"X{o}" for o in self.arrays] + ["S"] + \
            [f"O{o}" for o in self.outputs] + [f"P{o}" for o in self.prev.values()]
        src = self.head + ['@njit(cache=CACHE, parallel=True, error_model="numpy")',
                           f"def fused({', '.join(args)}):"] + \
            [f"    s{o} = S[{k}]" for k, o in enumerate(self.scalars)] + lines + \
            [f"    return ({''.join(f'r{o}, ' for o in self.returned)})"]
        self.run = codegen.load_module("fused", "\n".join(src) + "\n").fused

    def _fn(self, stem, fn):
        name = self._names.get(stem)
        if name is None:
            name = self._names[stem] = "k" + str(len(self._names))
            self.head.append(f"{name} = _objects[{_register(stem, fn)!r}]")
        return name

    def _value(self, off, step=1):
        if step:
            return f"v{off}"
        return f"r{off}" if off in self.computed else f"s{off}"

    def _forward_body(self, forward, indent, write):
        lines = [f"{indent}v{o} = X{o}[i]" for o in self.arrays]
        for row in forward:
            name, out = row[0][1], row[2]
            if name in ("sum", "mean"):
                if write:
                    lines.append(f"{indent}r{out} += v{row[3]}")
                continue
            op = self.ops[name]
            fn = self._fn(op.name + "_tape", op.forward_fn)
            vals = [self._value(row[3 + 2 * j], row[4 + 2 * j]) for j in range(len(op.inputs))]
            lines.append(f"{indent}v{out} = {fn}({', '.join(vals)})")
        if write:
            lines += [f"{indent}O{o}[i] = v{o}" for o in self.outputs
                      if o not in self._grad_outputs]
        return lines

    def _pass1(self, forward):
        lines = [f"    r{o} = 0.0" for o in self.reductions]
        lines.append("    for i in prange(N):")
        lines += self._forward_body(forward, "        ", True)
        lines += [f"    r{r[2]} = r{r[2]} / N" for r in forward if r[0][1] == "mean"]
        for row in self.late:
            op = self.ops[row[0][1]]
            fn = self._fn(op.name + "_tape", op.forward_fn)
            vals = [self._value(row[3 + 2 * j], 0) for j in range(len(op.inputs))]
            lines.append(f"    r{row[2]} = {fn}({', '.join(vals)})")
        return lines

    def _pass2(self, forward, backward, grads):
        lines = [f"    G{o} = {1.0 if o in self.seeds else 0.0}" for o in sorted(self.computed)]
        # gradients of one-element operands (a scalar parameter): sums over the elements
        lines += [f"    h{o} = 0.0" for o in self.scalars]
        for row in backward:   # the arithmetic after the loop, reversed first
            if row[1] == 1 and row[0][1] not in ("sum", "mean"):
                lines += [ln[4:] for ln in self._reverse_lines(row)]
        backward = [r for r in backward if r[1] != 1 or r[0][1] in ("sum", "mean")]
        lines.append("    for i in prange(N):")
        body = self._forward_body(forward, "        ", False)
        locals_ = self.arrays + [r[2] for r in forward if r[0][1] not in ("sum", "mean")]
        body += [f"        g{o} = 0.0" for o in locals_]
        body += [f"        t{o} = 0.0" for o in self.scalars]
        for row in backward:
            body += self._reverse_lines(row)
        body += [f"        h{o} += t{o}" for o in self.scalars]
        after = []
        for row in grads:
            leaf = row[3] if row[0][1] == "grad_out" else row[5]
            prev = f"P{row[2]}[0] + " if row[0][1] == "add_prev" else ""
            if row[1] == 1:   # a scalar leaf: written once, after the loop
                after.append(f"    O{row[2]}[0] = {prev}h{leaf}")
            else:
                body.append(f"        O{row[2]}[i] = {prev.replace('[0]', '[i]')}g{leaf}")
        return lines + body + after

    def _reverse_lines(self, row):
        name, out = row[0][1], row[2]
        if name == "mean":
            return [f"        g{row[3]} += G{out} / N"]
        if name == "sum":
            return [f"        g{row[3]} += G{out}"]
        op = self.ops[name]
        late = row[1] == 1   # after the loop: every operand is one element (step 1 or 0)
        where = {inp: self._value(row[3 + 2 * j], 0 if late else row[4 + 2 * j])
                 for j, inp in enumerate(op.inputs)}
        where.update(out=f"r{out}" if late else f"v{out}", g=f"G{out}" if late else f"g{out}")
        lines = []
        for j, inp in enumerate(op.inputs):
            if row[9] >> j & 1:
                fn = self._fn(f"{op.name}_tape_d{inp}", op.grads[inp])
                args = ", ".join(where[q] for q in op._grad_params[inp])
                off = row[3 + 2 * j]
                step = 0 if late else row[4 + 2 * j]
                # a scalar's gradient: summed per element into t, t into h once (two
                # updates of h in one iteration are no reduction prange accepts)
                target = "g" if step else "G" if off in self.computed else "h" if late else "t"
                lines.append(f"        {target}{off} += {fn}({args})")
        return lines


class FusedPlan(TapePlan):
    """A fusable program replayed by its `FusedKernel`: inputs read in place, no
    arena; guards and the result's template as a `TapePlan`."""

    def __init__(self, program, result_template, n_big):
        p = program
        self._common(p, result_template)
        self.rev, self.live = None, []
        wanted = [t[1].off for t in slot_entries(result_template)]
        self.kernel = k = FusedKernel(p, n_big, wanted)
        self.consts = {off: float(v[0]) for off, v in p.consts if v.size == 1}
        self.spare = {}   # output offset -> the buffer the last call returned (`_output`)
        self.prev_of = {s.off: ref for ref, s in p.grads_in}
        npdt = self.dtype.np
        empty = np.empty(0, npdt)   # compile (or load) now, on empty arrays
        k.run(0, *[empty] * len(k.arrays), np.zeros(len(k.scalars)),
              *[empty] * (len(k.outputs) + len(k.prev)))

    def _replay(self, flat):
        k, p, npdt = self.kernel, self.p, self.dtype.np
        data = {s.off: flat[i]._data for i, s in p.inputs}
        data.update((s.off, t._data) for t, s in p.captured)
        arrays = [np.ascontiguousarray(data[o]).reshape(-1) for o in k.arrays]
        scalars = np.array([self.consts[o] if o in self.consts else data[o].reshape(-1)[0]
                            for o in k.scalars], dtype=np.float64)
        outs = {}
        prev = []
        for prev_off, gs in k.prev.items():
            ref = self.prev_of[prev_off]
            leaf = flat[ref] if ref.__class__ is int else ref
            g = leaf._grad._data
            prev.append(np.ascontiguousarray(g).reshape(-1))
            if g.flags.c_contiguous:
                outs[gs] = prev[-1]   # .grad += g element by element, in its own buffer
        for o in k.outputs:
            if o not in outs:
                outs[o] = self._output(o, k.out_sizes[o], npdt)
        reduced = k.run(k.n, *arrays, scalars, *[outs[o] for o in k.outputs], *prev)
        values = dict(outs)
        values.update((o, np.array(r, dtype=npdt)) for o, r in zip(k.returned, reduced))
        for ref, s, mode in p.grads_out:
            leaf = flat[ref] if ref.__class__ is int else ref
            if mode == "clear":
                leaf._grad = None
            elif mode == "new":
                leaf._grad = Tensor._make(values[s.off].reshape(s.shape), self.dtype)
            else:
                if not np.shares_memory(leaf._grad._data, values[s.off]):
                    leaf._grad._data[...] = values[s.off].reshape(s.shape)
                leaf._grad._bump_version()
        return self._build(self.template, flat, values)

    def _output(self, off, size, npdt):
        """A buffer for output `off`: the last call's when nothing refers to it any more
        (its tensors and their views are gone: the dict, `buf` and getrefcount's
        argument are the only references), else a new one.  A step that sets
        ``x.grad = None`` then writes into the same memory each call instead of
        page-faulting a fresh allocation in (2-3 ms for 10,000,000 float32 here;
        PyTorch's caching allocator does the same)."""
        buf = self.spare.get(off)
        if buf is None or sys.getrefcount(buf) > 3:
            buf = self.spare[off] = np.empty(size, npdt)
        return buf

    def _build(self, tpl, flat, values):
        kind = tpl[0]
        if kind == "slot":
            s = tpl[1]
            t = Tensor._make(values[s.off].reshape(s.shape), self.dtype)
            if tpl[2]:
                t._requires_grad = True
                t.grad_fn = self.consumed
            return t
        if kind == "arg":
            return flat[tpl[1]]
        if kind in ("obj", "value"):
            return tpl[1]
        return kind(self._build(v, flat, values) for v in tpl[1])
