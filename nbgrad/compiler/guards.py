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
from nbgrad.tensor import Tensor, cpu_device

__all__ = ["fast_check"]

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
    checks the aliasing).  A set of the ids costs 6 us for 100 tensors, 100 us when the
    call follows other work (its table is fresh memory), so the ids of the last call
    that passed are kept (``known``): when every id equals its entry, the tensors are
    as distinct as those were, and only a changed list builds the set."""
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
