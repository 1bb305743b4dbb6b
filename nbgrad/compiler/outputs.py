"""A `TapePlan`'s copy-out as one generated Python function.

After the interpreter has run, a replay hands out what the function returned
and the ``.grad`` it set: tensors viewing one block copied from the arena.
Walking the result's template and the gradient list for that costs more than
the interpreter on a small graph (1.5 of the 2x2 tutorial step's 4 us), so the
walk is done once: `finish_function` writes it as straight-line code with each
view's bounds and shape as constants.
"""

from nbgrad.tensor import Tensor

__all__ = ["finish_function"]


class _Writer:
    def __init__(self, plan):
        self.plan = plan
        self.env = {"make": Tensor._make, "dt": plan.dtype, "consumed": plan.consumed}
        self.lines = []

    def const(self, value):
        name = f"K{len(self.env)}"
        self.env[name] = value
        return name

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


def finish_function(plan):
    """``finish(plan, flat, block)``: set the leaves' ``.grad`` and return the result,
    built from `block` (the arena's output region) as `plan`'s template says."""
    w = _Writer(plan)
    w.grads(plan.p.grads_out)
    ret = w.result(plan.template)
    body = "\n".join("    " + line for line in w.lines + [f"return {ret}"])
    src = f"def finish(plan, flat, block):\n{body}\n"
    exec(compile(src, "<nb.compile copy-out>", "exec"), w.env)
    return w.env["finish"]
