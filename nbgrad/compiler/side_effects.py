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
see (an object reached through a loop variable) is not detected.
"""

import collections
import types

from nbgrad.compiler.free_values import CELL, bound_arguments, namespace_of, user_function

__all__ = ["state", "first_change"]

_SEQUENCES = (list, set, collections.deque, bytearray)


def state(entries, fn, args, kwargs):
    """Fingerprints ``(object, fingerprint, label)`` of what `fn`, called with `args`
    and `kwargs` and guarded by `entries` (`free_values.snapshot`), can change."""
    watched = {}
    code_fn = user_function(fn)
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
    for name, value in bound_arguments(fn, args, kwargs).items():
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


def _watch_value(watched, value, name):
    """Watch `value` (found as `name`): a list's or dict's items, an object's attributes."""
    if isinstance(value, (dict,) + _SEQUENCES):
        _watch(watched, value, f"the {type(value).__name__} `{name}`")
        return
    members = namespace_of(value)
    if members is not None and not isinstance(value, (type, types.ModuleType)):
        _watch(watched, members, f"the attributes of `{name}`")


def _fingerprint(obj):
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


def _changed_key(obj, before, now):
    """`` (`key`)`` for the first key of a dict whose entry changed, else ''."""
    if not isinstance(obj, (dict, types.MappingProxyType)):
        return ""
    old, new = dict(before), dict(now)
    for k in list(new) + list(old):
        if old.get(k) != new.get(k):
            return f" (`{k}`)" if isinstance(k, str) else f" ({k!r})"
    return ""
