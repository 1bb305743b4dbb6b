"""Guards on the Python values a compiled function reads from outside its arguments.

A recording bakes in what ``fn`` read from its globals and closure cells: a float
(``x * scale``) becomes a constant of the program, a tensor (``x @ w``) a captured
input read from that very tensor object, a module its parameters.  Rebinding such a
name afterwards (``scale = 3.0``, ``w = w - lr * w.grad``, ``model = Net()``) must not
replay the old value: ``torch._dynamo`` guards the globals and cells a frame reads, and
so does `snapshot` here.  A snapshot is taken before ``fn`` runs for its recording;
the plan's guards check each of its entries (`guards.plan_guards`: numbers and
strings by class and value, the rest by identity), so a changed name makes the next
call record again (eagerly right, as a recording runs ``fn`` itself).

What is guarded: every global name a code object loads (``LOAD_GLOBAL``, in ``fn``,
its nested functions, lambdas and comprehensions) that the function's module defines,
every closure cell of ``fn``, and the attributes and constant subscripts read of
those and of its arguments (``self``, a config object passed in or a default
argument's): ``cfg.lr``,
``args.model.depth``, ``hp["lr"]``, ``params[0]``, three deep, where the owner's
``__dict__``, a dict or a list holds them.  Numbers, strings, bytes and None are compared by
class and value; anything else by identity.  User functions found that way (a helper
``loss_fn`` reading a global ``alpha``) are scanned too, to `_DEPTH` calls deep;
library functions (nbgrad, NumPy, Numba, PyTorch) are guarded by identity only, and
their modules, classes and objects' attributes not at all.  The modules called while
recording are guarded by `module_entries` (``self.scale``, a dropout's ``p``, which
parameter ``self.weight`` is).  A list or dict of up to `_ITEMS` items found
that way is guarded whole (its length and every item), as a loop or a computed key
(``for p in params``, ``params[i]``) may read any of them.  Not guarded: the items
of a longer one read that way, attributes a property computes -- see
docs/compile.md.  An attribute read from an instance's class (a class-level
default) is guarded where the class defines it, along with its absence from the
namespaces looked up before (`_container`).
"""

import dis
import functools
import types

__all__ = ["snapshot", "module_entries", "user_call", "namespace_of",
           "CELL", "LENGTH", "ABSENT", "BY_VALUE"]

BY_VALUE = (int, float, bool, complex, str, bytes, type(None))   # compared by value
_LIBRARIES = ("nbgrad", "numpy", "numba", "torch")   # their globals are their own
_DEPTH = 3   # helper functions scanned below fn: fn -> helper -> helper's helper
CELL = object()   # an entry's key for a closure cell (the container is the cell)
LENGTH = object()   # an entry's key for a list's or dict's length (the container is it)
ABSENT = object()   # an entry's value for a name its container must not get (_hiders)
_ITEMS = 16   # lists and dicts up to this long are guarded item by item (see _guard)


def snapshot(fn, args=(), kwargs=None):
    """The entries ``(container, key, value, by_value)`` guarding what `fn`, called
    with `args` and `kwargs`, reads: ``container[key]`` for a global, an attribute
    (``container`` is then the owner's ``__dict__``) or an item,
    ``container.cell_contents`` for a cell."""
    entries = []
    code_fn, bound = user_call(fn, args, kwargs)
    if code_fn is not None:
        _scan(code_fn, bound, entries, set(), _DEPTH)
    return tuple(entries)


def module_entries(modules):
    """Entries guarding what a recording read of the modules it called: their number,
    string and None attributes by value (a dropout's ``p``, ``self.scale``), and
    which parameter, buffer and submodule each name holds, by identity."""
    entries = []
    for module in modules:
        members = module.__dict__
        for name, value in members.items():
            if value.__class__ in BY_VALUE and name != "training":   # training: api's guard
                entries.append((members, name, value, True))
        for store in ("_parameters", "_buffers", "_modules"):
            items = members.get(store) or {}
            entries += [(items, name, value, False) for name, value in items.items()]
    return tuple(entries)


def user_call(fn, args=(), kwargs=None):
    """(the Python function of user code that runs when `fn` is called with `args` and
    `kwargs`, argument name -> value for that call), or (None, {}) when what runs is
    library code or not Python."""
    code_fn, leading, keywords = _function_of(fn)
    if code_fn is None or not _user_code(code_fn):
        return None, {}
    return code_fn, _bound(code_fn, leading + tuple(args), {**keywords, **(kwargs or {})})


def _function_of(fn):
    """(the Python function whose code runs when `fn` is called, the arguments bound
    before the call's -- a method's ``self``, a partial's -- and the keywords bound);
    (None, (), {}) when no Python function runs."""
    leading, keywords = (), {}
    for _ in range(8):   # partials of methods of ...: a few layers at most
        if isinstance(fn, types.FunctionType):
            return fn, leading, keywords
        if isinstance(fn, types.MethodType):
            leading, fn = (fn.__self__,) + leading, fn.__func__
        elif isinstance(fn, functools.partial):
            leading, keywords = tuple(fn.args) + leading, {**fn.keywords, **keywords}
            fn = fn.func
        else:   # a module (its forward) or another callable object (its __call__)
            leading = (fn,) + leading
            forward = getattr(type(fn), "forward", None)
            fn = forward if isinstance(forward, types.FunctionType) else \
                getattr(type(fn), "__call__", None)
            if not isinstance(fn, types.FunctionType):
                break
    return None, (), {}


def _bound(fn, args, kwargs):
    """Argument name -> value for the call ``fn(*args, **kwargs)`` (named ones only),
    defaults included: ``def step(x, cfg=CONFIG)`` reads ``CONFIG.lr`` as ``cfg.lr``."""
    code = fn.__code__
    n = code.co_argcount
    names = code.co_varnames[:n + code.co_kwonlyargcount]
    bound = dict(zip(names[:n], args))
    bound.update((k, v) for k, v in kwargs.items() if k in names)
    defaults = fn.__defaults__ or ()
    for name, value in zip(names[n - len(defaults):n], defaults):
        bound.setdefault(name, value)
    for name, value in (fn.__kwdefaults__ or {}).items():
        bound.setdefault(name, value)
    return bound


def _scan(fn, bound, entries, seen, depth):
    """Append entries for `fn`'s cells, the globals it loads and the attributes and
    items it reads of them and of its arguments in `bound` (a method's ``self``, a
    config object passed in); scan the user functions found."""
    code = fn.__code__
    if code in seen:
        return
    seen.add(code)
    found = []
    cells = {}
    for name, cell in zip(code.co_freevars, fn.__closure__ or ()):
        try:
            cells[name] = cell.cell_contents
        except ValueError:   # not yet assigned when recorded: nothing was read from it
            continue
        _guard(entries, found, cell, CELL, cells[name])
    names = fn.__globals__
    for kind, name, path in sorted(_reads(code, frozenset(bound))):
        if kind == "global" and name in names:
            base = names[name]
            _guard(entries, found, names, name, base)
        elif kind == "cell" and name in cells:
            base = cells[name]
        elif kind == "local":
            base = bound[name]
        else:   # a builtin, a cell of an enclosing call of a nested function
            continue
        for is_item, key in path:
            container, hiders = _container(base, is_item, key)
            if container is None:
                break
            for hider in hiders:   # see _container
                entries.append((hider, key, ABSENT, False))
            base = container[key]
            _guard(entries, found, container, key, base)
    if depth > 0:
        for value in found:
            if isinstance(value, types.FunctionType) and _user_code(value):
                _scan(value, {}, entries, seen, depth - 1)


def _guard(entries, found, container, key, value):
    entries.append((container, key, value, value.__class__ in BY_VALUE))
    found.append(value)
    if value.__class__ in (list, dict) and len(value) <= _ITEMS:
        # its items may be read with a computed key or in a loop (params[i], for p in
        # params), which `_path` does not follow: a short one is guarded whole
        entries.append((value, LENGTH, len(value), True))
        for k, item in (value.items() if value.__class__ is dict else enumerate(value)):
            entries.append((value, k, item, item.__class__ in BY_VALUE))


_LOADS = {"LOAD_GLOBAL": "global", "LOAD_NAME": "global", "LOAD_DEREF": "cell",
          "LOAD_CLASSDEREF": "cell"}


def _reads(code, arguments=frozenset()):
    """``(kind, name, path)`` for each global, cell and (in `code` itself) argument
    named in `arguments` that `code` or a code object nested in it loads, with the
    attributes and constant subscripts read after it (`_path`)."""
    reads = set()
    loads = list(dis.get_instructions(code))
    for k, ins in enumerate(loads):
        kind = _LOADS.get(ins.opname)
        if kind is None:
            if ins.opname != "LOAD_FAST" or ins.argval not in arguments:
                continue
            kind = "local"
        reads.add((kind, ins.argval, _path(loads, k + 1)))
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            reads |= _reads(const)
    return reads


def _path(loads, j):
    """The attributes and constant subscripts read from ``loads[j]`` on, three at
    most: ``(is_item, key)`` pairs (a method looked up ends the path)."""
    path = []
    while len(path) < 3 and j < len(loads):
        op = loads[j].opname
        if op in ("LOAD_ATTR", "LOAD_METHOD"):
            path.append((False, loads[j].argval))
            if op == "LOAD_METHOD":
                break
            j += 1
        elif op == "LOAD_CONST" and j + 1 < len(loads) and \
                loads[j + 1].opname == "BINARY_SUBSCR" and \
                loads[j].argval.__class__ in (str, int):
            path.append((True, loads[j].argval))   # cfg["lr"], params[0]
            j += 2
        else:
            break
    return tuple(path)


def _container(base, is_item, key):
    """(where ``base.key`` -- ``base[key]`` when `is_item` -- is read from, the
    namespaces that must stay without `key`) when it is there and guarded, else
    (None, ()).  A dict or list item; a namespace of `namespace_of`; or the
    namespace of the class of `base` (for a class, of a base class) that defines it
    as a plain value, a class-level default, not a method or property: then `base`'s
    own namespace and those of the classes before it must stay without it
    (``cfg.lr = 0.01`` on an instance would hide the class's ``lr``)."""
    if is_item:
        if base.__class__ is dict and key in base:
            return base, ()
        if base.__class__ is list and key.__class__ is int and -len(base) <= key < len(base):
            return base, ()
        return None, ()
    looked = []
    for members in _lookup_order(base):
        if members is None:   # a library class: not guarded
            return None, ()
        if key in members:
            if looked and hasattr(type(members[key]), "__get__"):   # computed
                return None, ()
            return members, tuple(looked)
        looked.append(members)
    return None, ()


def _lookup_order(obj):
    """The namespaces an attribute of `obj` is looked up in, in order (None for one
    not guarded): its own, then its class's and their bases' (a class's own first)."""
    own = namespace_of(obj)
    if own is None:
        return [None]
    if isinstance(obj, types.ModuleType):
        return [own]
    mro = obj.__mro__[1:] if isinstance(obj, type) else type(obj).__mro__
    return [own] + [namespace_of(cls) for cls in mro]


def namespace_of(obj):
    """The namespace an attribute of `obj` is read from, or None where it is not
    guarded: library modules, classes and their instances, objects without one."""
    if isinstance(obj, types.ModuleType):
        owner = obj.__name__
    else:
        owner = getattr(obj if isinstance(obj, type) else type(obj), "__module__", None)
    if (owner or "").partition(".")[0] in _LIBRARIES:
        return None
    members = getattr(obj, "__dict__", None)
    return members if isinstance(members, (dict, types.MappingProxyType)) else None


def _user_code(fn):
    module = (getattr(fn, "__module__", None) or "").partition(".")[0]
    return module not in _LIBRARIES
