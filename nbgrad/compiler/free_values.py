"""Guards on the Python values a compiled function reads from outside its arguments.

A recording bakes in what ``fn`` read from its globals and closure cells: a float
(``x * scale``) becomes a constant of the program, a tensor (``x @ w``) a captured
input read from that very tensor object, a module its parameters.  Rebinding such a
name afterwards (``scale = 3.0``, ``w = w - lr * w.grad``, ``model = Net()``) must not
replay the old value: ``torch._dynamo`` guards the globals and cells a frame reads, and
so does `snapshot` here.  A snapshot is taken before ``fn`` runs for its recording;
`hold` is part of the plan's guards, so a changed name makes the next call record
again (eagerly right, as a recording runs ``fn`` itself).

What is guarded: every global name a code object loads (``LOAD_GLOBAL``, in ``fn``,
its nested functions, lambdas and comprehensions) that the function's module defines,
and every closure cell of ``fn``.  Numbers, strings, bytes and None are compared by
class and value; anything else by identity.  User functions found that way (a helper
``loss_fn`` reading a global ``alpha``) are scanned too, to `_DEPTH` calls deep;
library functions (nbgrad, NumPy, Numba, PyTorch) are guarded by identity only.  What
is not guarded: attributes (``cfg.lr``) other than those of the modules called while
recording (`module_entries`: ``self.scale``, a dropout's ``p``, which parameter
``self.weight`` is), items of a list or dict, and default arguments -- see
docs/compile.md.
"""

import dis
import functools
import types

__all__ = ["snapshot", "module_entries", "hold"]

_BY_VALUE = (int, float, bool, complex, str, bytes, type(None))
_LIBRARIES = ("nbgrad", "numpy", "numba", "torch")   # their globals are their own
_DEPTH = 3   # helper functions scanned below fn: fn -> helper -> helper's helper
_CELL = object()   # an entry's key for a closure cell (the container is the cell)


def snapshot(fn):
    """The entries ``(container, key, value, by_value)`` guarding what `fn` reads:
    ``container[key]`` for a global, ``container.cell_contents`` for a cell."""
    entries = []
    code_fn = _function_of(fn)
    if code_fn is not None and _user_code(code_fn):
        _scan(code_fn, entries, set(), _DEPTH)
    return tuple(entries)


def module_entries(modules):
    """Entries guarding what a recording read of the modules it called: their number,
    string and None attributes by value (a dropout's ``p``, ``self.scale``), and
    which parameter, buffer and submodule each name holds, by identity."""
    entries = []
    for module in modules:
        members = module.__dict__
        for name, value in members.items():
            if value.__class__ in _BY_VALUE and name != "training":   # training: api's guard
                entries.append((members, name, value, True))
        for store in ("_parameters", "_buffers", "_modules"):
            items = members.get(store) or {}
            entries += [(items, name, value, False) for name, value in items.items()]
    return tuple(entries)


def hold(entries):
    """Whether every global and cell in `entries` still holds its recorded value."""
    for container, key, value, by_value in entries:
        try:
            now = container.cell_contents if key is _CELL else container[key]
        except (KeyError, ValueError):   # a deleted global, an emptied cell
            return False
        if now is not value and not (by_value and now.__class__ is value.__class__
                                     and now == value):
            return False
    return True


def _function_of(fn):
    """The Python function whose code runs when `fn` is called (None: not Python)."""
    for _ in range(8):   # partials of methods of ...: a few layers at most
        if isinstance(fn, types.FunctionType):
            return fn
        if isinstance(fn, types.MethodType):
            fn = fn.__func__
        elif isinstance(fn, functools.partial):
            fn = fn.func
        else:   # a module (its forward) or another callable object (its __call__)
            forward = getattr(type(fn), "forward", None)
            fn = forward if isinstance(forward, types.FunctionType) else \
                getattr(type(fn), "__call__", None)
            if not isinstance(fn, types.FunctionType):
                return None
    return None


def _scan(fn, entries, seen, depth):
    """Append `fn`'s globals and cells to `entries`; scan the user functions found."""
    if fn.__code__ in seen:
        return
    seen.add(fn.__code__)
    found = []
    names = fn.__globals__
    for name in sorted(_global_loads(fn.__code__)):
        if name in names:
            value = names[name]
            entries.append((names, name, value, value.__class__ in _BY_VALUE))
            found.append(value)
    for cell in fn.__closure__ or ():
        try:
            value = cell.cell_contents
        except ValueError:   # not yet assigned when recorded: nothing was read from it
            continue
        entries.append((cell, _CELL, value, value.__class__ in _BY_VALUE))
        found.append(value)
    if depth > 0:
        for value in found:
            if isinstance(value, types.FunctionType) and _user_code(value):
                _scan(value, entries, seen, depth - 1)


def _global_loads(code):
    """The names `code` and the code objects nested in it load as globals."""
    names = {ins.argval for ins in dis.get_instructions(code)
             if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME")}
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_loads(const)
    return names


def _user_code(fn):
    module = (getattr(fn, "__module__", None) or "").partition(".")[0]
    return module not in _LIBRARIES
