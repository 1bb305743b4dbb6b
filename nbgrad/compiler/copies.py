"""A `TapePlan`'s copy-in and copy-out, each one generated Python function.

A replay copies the arguments, captured tensors and ``.grad`` values it reads
into the arena, and after the interpreter has run hands out what the function
returned and the ``.grad`` it set: tensors viewing one block copied from the
arena.  Walking the plan's lists and the result's template for that costs more
than the interpreter on a small graph (1.5 of the 2x2 tutorial step's 4 us),
so the walk is done once: `copy_in_function` and `finish_function` write it as
straight-line code with each range and shape as a constant (the guards fix
every shape a replay sees).
"""

from nbgrad.compiler.source import SourceWriter
from nbgrad.tensor import Tensor

__all__ = ["copy_in_function", "finish_function"]


class _Writer(SourceWriter):
    def __init__(self, plan):
        super().__init__({"make": Tensor._make, "dt": plan.dtype, "consumed": plan.consumed})
        self.plan = plan

    def view(self, slot):
        lo, hi, shape = self.plan.region[id(slot)]
        return f"block[{lo}, ...]" if shape == () else f"block[{lo}:{hi}].reshape({shape!r})"

    def leaf(self, ref):
        return f"flat[{ref}]" if ref.__class__ is int else self.const(ref)

    def grads(self, grads_out):
        for ref, slot, mode in grads_out:
            leaf = self.leaf(ref)
            if mode == "clear":
                self.lines.append(f"{leaf}._grad = None")
            elif mode == "new":
                self.lines.append(f"{leaf}._grad = make({self.view(slot)}, dt)")
            else:
                self.lines += [f"g = {leaf}._grad", f"g._data[...] = {self.view(slot)}",
                               "g._bump_version()"]

    def result(self, tpl):
        """An expression for `tpl`'s value (statements for it appended first)."""
        kind = tpl[0]
        if kind == "arg":
            return f"flat[{tpl[1]}]"
        if kind in ("obj", "value"):
            return self.const(tpl[1])
        if kind == "slot":
            return self.slot(tpl)
        if kind == "hostval":
            return f"state[{self.const(tpl[1])}]"
        items = [self.result(v) for v in tpl[1]]
        if kind is tuple:
            return f"({', '.join(items)}{',' if len(items) == 1 else ''})"
        if kind is list:
            return f"[{', '.join(items)}]"
        return f"{self.const(kind)}([{', '.join(items)}])"

    def slot(self, tpl):
        expr = f"make({self.view(tpl[1])}, dt)"
        if not tpl[2]:
            return expr
        name = f"r{len(self.lines)}"
        self.lines += [f"{name} = {expr}", f"{name}._requires_grad = True"]
        if tpl in self.plan.live:   # its grad_fn runs the plan's reverse program
            self.lines += [f"{name}.grad_fn = plan.node",
                           f"{name}._output_nr = {self.plan.live.index(tpl)}"]
        else:                       # its graph was consumed inside the function
            self.lines.append(f"{name}.grad_fn = consumed")
        return name


def copy_in_function(plan, skip=()):
    """``copy_in(flat, A)``: the arguments, captured tensors (but those whose id is in
    `skip`) and read ``.grad`` values written into arena `A`."""
    w = _Writer(plan)
    for i, s in plan.p.inputs:
        w.lines.append(f"A[{s.off}] = flat[{i}]._data" if s.shape == () else
                       f"A[{s.off}:{s.off + s.n}] = flat[{i}]._data.reshape(-1)")
    for t, lo, hi, _, _ in plan.captured:
        if id(t) in skip:
            continue
        w.lines.append(f"A[{lo}:{hi}] = {w.const(t)}._data.reshape(-1)")
    for ref, s in plan.p.grads_in:
        w.lines.append(f"A[{s.off}:{s.off + s.n}] = {w.leaf(ref)}._grad._data.reshape(-1)")
    w.lines.append("return A")
    return w.function("copy_in(flat, A)", "<nb.compile copy-in>")


def finish_function(plan):
    """``finish(plan, flat, block, state)``: set the leaves' ``.grad`` and return the
    result, built from `block` (the arena's output region) and the host values in the
    replay's `state` as `plan`'s template says."""
    w = _Writer(plan)
    w.grads(plan.p.grads_out)
    w.lines.append(f"return {w.result(plan.template)}")
    return w.function("finish(plan, flat, block, state)", "<nb.compile copy-out>")
