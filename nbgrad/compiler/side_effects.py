"""Python state a compiled function changes while it records: refused, as a replay
would not change it.

A replay runs the recorded ops, not the function's Python, so an append to a list
(``losses.append(loss)``), an assignment to a global (``global last; last = loss``),
to an attribute (``self.last = out``, ``cfg.steps += 1``) or to a dict item
(``stats["loss"] = loss``) would happen on the recording call only, and every
later call would leave the list short and the attribute stale.  `state`
fingerprints, before the recording, what the function can reach that way: the
namespaces and containers of its guards (`free_values`: the globals dicts, the
objects and closure cells it reads), the lists, dicts and objects they hold, and
its arguments.  `first_change` names the first of them the recording changed; the
signature then runs eagerly, with the warning (``torch._dynamo`` replays such side
effects; nbgrad does not yet).  A change made through a path the guards do not
see (an object reached through a loop variable) is not detected, but for the
hyperparameters of optimizers (``for g in opt.param_groups: g["lr"] *= 0.9``):
`optimizer_groups` fingerprints every live optimizer's groups, and `groups_change`
names a change that the recording's ``optimizer.step()`` and ``scheduler.step()``
calls do not explain (a replay calls those again, so their own changes are made
again: a scheduler's decay replays as it runs eagerly).
"""

import collections
import pickle
import random
import types

import numpy as np

from nbgrad.compiler.free_values import BY_VALUE, CELL, namespace_of, user_call

__all__ = ["state", "first_change", "optimizer_groups", "groups_change"]

_SEQUENCES = (list, set, collections.deque, bytearray)
# random number generators: a number one draws while recording is a constant of the
# replays, so a draw (a change of its state) is a change like an append
_GENERATORS = (np.random.Generator, np.random.RandomState, np.random.BitGenerator,
               random.Random)


def state(entries, fn, args, kwargs):
    """Fingerprints ``(object, fingerprint, label)`` of what `fn`, called with `args`
    and `kwargs` and guarded by `entries` (`free_values.snapshot`), can change."""
    watched = {}
    code_fn, bound = user_call(fn, args, kwargs)
    cells = {}
    if code_fn is not None:   # `global x; x = ...` with no global read
        _watch(watched, code_fn.__globals__, "a global")
        cells = {id(c): n for n, c in zip(code_fn.__code__.co_freevars,
                                          code_fn.__closure__ or ())}
    for container, key, value, _ in entries:
        if key is CELL:
            name = cells.get(id(container), "a closure variable")
            _watch(watched, container, f"the closure variable `{name}`")
        else:
            if container.__class__ is dict and "__builtins__" in container:   # globals
                _watch(watched, container, "a global")
            name = key if key.__class__ is str else f"item {key!r}"
        _watch_value(watched, value, name)
    for name, value in bound.items():
        _watch_value(watched, value, name)
    return list(watched.values())


def first_change(fingerprints):
    """What the first changed object of `fingerprints` is, or None."""
    for obj, before, label in fingerprints:
        now = _fingerprint(obj)
        if now != before:
            return label + _changed_key(obj, before, now)
    return None


def _watch(watched, obj, label):
    if id(obj) not in watched:
        watched[id(obj)] = (obj, _fingerprint(obj), label)


def _watch_value(watched, value, name, nested=True):
    """Watch `value` (found as `name`): a list's or dict's items, an object's attributes,
    a random number generator's state; with `nested`, also the lists, dicts and
    generators one level inside a dict or an object (``stats[key].append(v)``,
    ``q.put(v)``: the deque inside a Queue), reached there through paths the
    guards do not follow."""
    if isinstance(value, _GENERATORS):
        _watch(watched, value, f"the random number generator `{name}` (it drew numbers "
               "that a replay would repeat: draw with nb.rand, nb.randn or nb.randint)")
        return
    if isinstance(value, (dict,) + _SEQUENCES):
        _watch(watched, value, f"the {type(value).__name__} `{name}`")
        inner = value if isinstance(value, dict) else {}
    else:
        members = namespace_of(value)
        if members is None or isinstance(value, (type, types.ModuleType)):
            return
        _watch(watched, members, f"the attributes of `{name}`")
        inner = members
    if nested:
        for key, item in list(inner.items()):
            if isinstance(item, (dict,) + _SEQUENCES + _GENERATORS):
                _watch_value(watched, item, f"{name}.{key}" if inner is not value
                             else f"{name}[{key!r}]", nested=False)


def _fingerprint(obj):
    if isinstance(obj, _GENERATORS):
        return _generator_state(obj)
    if isinstance(obj, types.CellType):
        try:
            return id(obj.cell_contents)
        except ValueError:
            return None
    if isinstance(obj, (dict, types.MappingProxyType)):
        # not the dunder entries: a warning sets its caller's __warningregistry__
        return tuple((k, id(v)) for k, v in obj.items()
                     if not (k.__class__ is str and k.startswith("__")))
    if isinstance(obj, bytearray):
        return bytes(obj)
    return tuple(map(id, obj))


def _generator_state(gen):
    """The state of a random number generator as bytes (None for one without a state
    to read: ``random.SystemRandom`` draws from the operating system)."""
    try:
        if isinstance(gen, np.random.Generator):
            state = gen.bit_generator.state
        elif isinstance(gen, np.random.RandomState):
            state = gen.get_state(legacy=False)
        elif isinstance(gen, np.random.BitGenerator):
            state = gen.state
        else:
            state = gen.getstate()
    except NotImplementedError:
        return None
    return pickle.dumps(state)


def _changed_key(obj, before, now):
    """`` (`key`)`` for the first key of a dict whose entry changed, else ''."""
    if not isinstance(obj, (dict, types.MappingProxyType)):
        return ""
    old, new = dict(before), dict(now)
    for k in list(new) + list(old):
        if old.get(k) != new.get(k):
            return f" (`{k}`)" if isinstance(k, str) else f" ({k!r})"
    return ""


# -- optimizers' parameter groups ------------------------------------------------------
def optimizer_groups():
    """A fingerprint of every live optimizer's parameter groups: each hyperparameter
    (``lr``, ``momentum``, ``betas``...) by value, anything else by identity."""
    from nbgrad.optim.optimizer import live_optimizers
    return tuple((id(opt), type(opt).__name__, tuple(_group_key(g) for g in opt.param_groups))
                 for opt in sorted(live_optimizers(), key=id))


def groups_change(start, step_marks):
    """What of the groups a recording changed outside its steps, or None.  `start`: the
    `optimizer_groups` before it; `step_marks`: (before, after) of each of its
    ``step()`` calls, in order (`recorder`)."""
    seen = start
    for before, after in list(step_marks) + [(optimizer_groups(), None)]:
        label = _groups_label(seen, before)
        if label is not None:
            return label
        seen = after
    return None


def _group_key(group):
    params = group.get("params", ())
    return tuple((k, _value_key(v)) for k, v in group.items() if k != "params") + (
        ("params", (id(params), len(params))),)


def _value_key(v):
    if v.__class__ in BY_VALUE or (v.__class__ is tuple
                                    and all(x.__class__ in BY_VALUE for x in v)):
        return v
    return ("object", id(v))


def _groups_label(old, new):
    """Which optimizer's group and option differ from `old` in `new`, or None.  An
    optimizer freed in between is no change; one made is (a replay would not make it)."""
    old_by_id = {opt_id: groups for opt_id, _, groups in old}
    for opt_id, name, groups in new:
        if opt_id not in old_by_id:
            return f"the optimizers (a {name} was made)"
        before = old_by_id[opt_id]
        if len(groups) != len(before):
            return f"the parameter groups of {name} (a group was added)"
        for k, (a, b) in enumerate(zip(before, groups)):
            old_items, new_items = dict(a), dict(b)
            if old_items != new_items:   # (the same options in another order: no change)
                key = next(key for key in list(new_items) + list(old_items)
                           if old_items.get(key) != new_items.get(key))
                return f"the parameter group {k} of {name} (`{key}`)"
    return None
