"""Fast signature checks: one generated Python function per replayable plan.

`CompiledFunction` finds a plan by building the call's signature key (a nested
tuple over every argument) and looking it up: about 1 us for one tensor, a
quarter of a 2x2 tutorial step's replay.  For the common call -- positional
arguments that are plain CPU tensors or Python scalars -- this module writes
the same check as straight-line code with the recorded values as constants
(``a0._data.shape == (2, 2) and a0.dtype is float32 ...``), as
``torch._dynamo`` compiles its guards.  A call that fails it takes the keyed
lookup, so the fast check only has to be exact about what it accepts: it
accepts a call only when the keyed lookup would have chosen the same plan.
"""

from nbgrad.autograd import grad_mode
from nbgrad.compiler.free_values import ABSENT, CELL, LENGTH
from nbgrad.compiler.lowering import share_memory
from nbgrad.compiler.source import SourceWriter
from nbgrad.tensor import Tensor, cpu_device

__all__ = ["fast_check", "plan_guards"]

_SCALARS = (int, float, bool, str, type(None))


def _tensor_test(name, t, env, k):
    """The test that `name` is a plain CPU tensor with `t`'s signature."""
    env[f"S{k}"], env[f"D{k}"] = t._data.shape, t.dtype
    return (f"{name}.__class__ is Tensor and {name}.device is cpu and "
            f"{name}._data.shape == S{k} and {name}.dtype is D{k} and "
            f"{name}._requires_grad == {bool(t._requires_grad)} and "
            f"({name}.grad_fn is None) is {t.grad_fn is None}")


def _plain(t):
    return t.__class__ is Tensor and t.device is cpu_device


def _signature(t):
    """What `_tensor_test` compares of a plain CPU tensor."""
    return t._data.shape, t.dtype, t._requires_grad, t.grad_fn is None


def _argument(k, a, env):
    """(test expression, loop lines, its items in the flat list) for positional
    argument `a`, or None when the keyed lookup must judge it."""
    name = f"a{k}"
    if _plain(a):
        return _tensor_test(name, a, env, k), [], name
    if a.__class__ in _SCALARS:
        env[f"C{k}"], env[f"V{k}"] = a.__class__, a
        return f"{name}.__class__ is C{k} and {name} == V{k}", [], None
    if a.__class__ in (list, tuple) and a and all(_plain(t) for t in a):
        first = a[0]
        if any(_signature(t) != _signature(first) for t in a):
            return None
        # a list of like tensors (the scalar graph's 100 inputs): one loop, no key tuples
        loop = [f"    for t in {name}:",
                f"        if not ({_tensor_test('t', first, env, k)}):",
                "            return None"]
        return (f"{name}.__class__ is {a.__class__.__name__} and len({name}) == {len(a)}",
                loop, f"*{name}")
    return None


def _distinct_lines():
    """Lines returning None when a tensor is in `flat` twice (the keyed lookup then
    checks the aliasing).  A set of the ids costs 6 us for 100 tensors back to back but
    100 us when the call follows other work (a new table and 100 new ints, in memory
    the other work left cold), so the ids of the last call that passed are kept
    (``known``): when every id equals its entry, the tensors are as distinct as those
    were, and only a changed list builds the set."""
    return ["    ids = known[0]",
            "    for t, i in zip(flat, ids):",
            "        if id(t) != i:",
            "            if len(set(map(id, flat))) != len(flat):",
            "                return None",
            "            known[0] = tuple(map(id, flat))",
            "            break"]


def fast_check(args, grad_enabled, plan):
    """``check(args) -> flat tensor list or None`` accepting exactly the calls with
    `args`'s signature (positional, no keywords) that `plan`'s guards accept, or
    None when an argument is not a plain CPU tensor, a Python scalar or a list or
    tuple of like plain CPU tensors."""
    env = {"Tensor": Tensor, "cpu": cpu_device, "_state": grad_mode._state,
           "guards_hold": plan.guards_hold}
    tests, loops, flats = [f"_state.enabled is {bool(grad_enabled)}"], [], []
    for k, a in enumerate(args):
        parts = _argument(k, a, env)
        if parts is None:
            return None
        tests.append(parts[0])
        loops += parts[1]
        if parts[2] is not None:
            flats.append(parts[2])
    tensors = [t for a in args for t in ((a,) if _plain(a) else
                                         a if a.__class__ in (list, tuple) else ())]
    if len(set(map(id, tensors))) != len(tensors):
        return None   # a tensor passed twice: the keyed lookup checks the aliasing
    lines = ["def check(args):",
             f"    if len(args) != {len(args)}:",
             "        return None"]
    if args:
        lines.append(f"    {', '.join(f'a{k}' for k in range(len(args)))}, = args")
    lines += [f"    if not ({' and '.join(tests)}):", "        return None"] + loops
    # one list display (100 tensor arguments: [a0, ..., a99], not 100 lists added)
    lines.append(f"    flat = [{', '.join(flats)}]")
    if len(tensors) > 1:
        env["known"] = [(None,) * len(tensors)]
        lines += _distinct_lines()
    lines.append("    return flat if guards_hold(flat) else None")
    src = "\n".join(lines)
    exec(compile(src, f"<nb.compile guard of {len(args)} arguments>", "exec"), env)
    return env["check"]


# -- a plan's own guards ---------------------------------------------------------------
class _GuardWriter(SourceWriter):
    """Straight-line lines for `plan_guards`, each recorded value a constant."""

    def __init__(self):
        super().__init__({"share_memory": share_memory})

    def fail_if(self, test):
        self.lines += [f"if {test}:", "    return False"]

    def free_value(self, container, key, value, by_value):
        if key is LENGTH:
            return self.fail_if(f"len({self.const(container)}) != {value}")
        if value is ABSENT:
            return self.fail_if(f"{self.const(key)} in {self.const(container)}")
        got = (f"{self.const(container)}.cell_contents" if key is CELL
               else f"{self.const(container)}[{self.const(key)}]")
        v = self.const(value)
        if not by_value:
            return self.fail_if(f"{got} is not {v}")
        self.lines.append(f"now = {got}")
        self.fail_if(f"now is not {v} and not (now.__class__ is {self.const(value.__class__)} "
                     f"and now == {v})")

    def tensor(self, t, shape, dtype, rg=None):
        name = self.const(t)
        test = f"{name}._data.shape != {shape!r} or {name}.dtype is not {self.const(dtype)}"
        self.fail_if(test if rg is None else f"{test} or {name}._requires_grad != {rg}")

    def grad(self, ref, was_none, dtype):
        leaf = f"flat[{ref}]" if ref.__class__ is int else self.const(ref)
        self.lines.append(f"g = {leaf}._grad")
        if was_none:
            return self.fail_if("g is not None")
        self.fail_if(f"g is None or g.dtype is not {self.const(dtype)} or g.grad_fn is not "
                     f"None or g._data.shape != {leaf}._data.shape")


def plan_guards(plan):
    """``guards_hold(flat=None)`` for `plan` (a `TapePlan` whose ``free_values`` and
    ``modules`` are set): the Python values the function read still hold what they
    held (`free_values`), modules' training flags, captured tensors and leaves' .grad
    still look as when recorded and, when the program writes tensors in place, no two
    of its tensors share memory.  Generated as straight-line code: a replay after
    other work finds the plan's lists and attributes cold (16 us for the scalar
    graph's six values walked as data, against 1 us back to back)."""
    w = _GuardWriter()
    for entry in plan.free_values:
        w.free_value(*entry)
    body = w.lines
    w.lines = []
    if body:   # a deleted global, a shortened list, an emptied cell: not as recorded
        w.lines = ["try:"] + ["    " + line for line in body] + [
            "except (KeyError, IndexError, ValueError):", "    return False"]
    for module, training in plan.modules:
        w.fail_if(f"{w.const(module)}.training is not {training}")
    if plan.p.writes:
        captured = w.const([t for t, *_ in plan.captured])
        w.fail_if(f"flat is not None and share_memory(list(flat) + {captured})")
    for t, _, _, shape, rg in plan.captured:
        w.tensor(t, shape, plan.dtype, rg)
    for t, shape, dtype in plan.p.side_captured:
        w.tensor(t, shape, dtype)
    for ref, was_none in plan.p.grad_guards:
        w.grad(ref, was_none, plan.dtype)
    w.lines.append("return True")
    return w.function("guards_hold(flat=None)", "<nb.compile guards of a plan>")
