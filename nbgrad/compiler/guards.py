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


def fast_check(args, grad_enabled, plan):
    """``check(args) -> flat tensor list or None`` accepting exactly the calls with
    `args`'s signature (positional, no keywords) that `plan`'s guards accept, or
    None when the arguments are not all plain CPU tensors and scalars."""
    env = {"Tensor": Tensor, "cpu": cpu_device, "_state": grad_mode._state,
           "guards_hold": plan.guards_hold}
    tests, tensors = [f"len(args) == {len(args)}"], []
    for k, a in enumerate(args):
        name = f"a{k}"
        if a.__class__ is Tensor and a.device is cpu_device:
            env[f"S{k}"], env[f"D{k}"] = a._data.shape, a.dtype
            tests.append(f"{name}.__class__ is Tensor and {name}.device is cpu and "
                         f"{name}._data.shape == S{k} and {name}.dtype is D{k} and "
                         f"{name}._requires_grad == {bool(a._requires_grad)} and "
                         f"({name}.grad_fn is None) is {a.grad_fn is None}")
            tensors.append(name)
        elif a.__class__ in _SCALARS:
            env[f"C{k}"], env[f"V{k}"] = a.__class__, a
            tests.append(f"{name}.__class__ is C{k} and {name} == V{k}")
        else:
            return None
    if len(set(id(a) for a in args if a.__class__ is Tensor)) != len(tensors):
        return None   # a tensor passed twice: the keyed lookup checks the aliasing
    tests.append(f"_state.enabled is {bool(grad_enabled)}")
    if len(tensors) > 1:
        tests.append(f"len({{{', '.join(f'id({t})' for t in tensors)}}}) == {len(tensors)}")
    unpack = ", ".join(f"a{k}" for k in range(len(args)))
    src = "\n".join([
        "def check(args):",
        f"    if len(args) != {len(args)}:",
        "        return None",
        f"    {unpack}{',' if len(args) == 1 else ''} = args" if args else "    pass",
        f"    if not ({' and '.join(tests[1:])}):",
        "        return None",
        f"    flat = [{', '.join(tensors)}]",
        "    return flat if guards_hold(flat) else None",
    ])
    exec(compile(src, f"<nb.compile guard of {len(args)} arguments>", "exec"), env)
    return env["check"]
