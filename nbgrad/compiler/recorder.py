"""Recording a function's ops while it runs eagerly (the first call of `nb.compile`).

While a `Recording` is active, the two op declaration classes (`Elementwise`,
`FunctionOp`) log every outermost call: the op, its arguments and its result.
Calls an op makes internally (``mean`` calling kernels, a backward rule's ops)
are not logged: the outermost op is the unit that replays.  ``backward()`` and
``autograd.grad`` are logged as one entry each, with the engine running
eagerly underneath.

``optimizer.step()`` and ``lr_scheduler.step()`` are logged as one entry each
(``"host_step"``), with what the step updates: a replay calls them again, after
the program has run (see `nbgrad.compiler.epilogue`).

Everything the tape cannot replay faithfully is noted instead of recorded, with
the user's file and line: a tensor's value read into Python (``item()``,
``bool(t)``, ``tolist()``, ``numpy()``: control flow may depend on it;
``print(t)``: a replay would not print), an
in-place change of a tensor, an assignment to ``.grad``.  A random factory
(``nb.randn``, ``nb.randint``...) is logged as an op of no tensors
(`RandomDraw`) that a replay calls again.  The
caller then runs the function eagerly (see `nbgrad.compiler.api`).

Recording patches classes and module attributes for its duration, so it is
serialised by a lock.  The patches act for the recording's own thread only: a
call from another thread during a recording runs the unpatched code, neither
logged into it (an in-place update made there would replay with it) nor
refusing it (a value read there says nothing about the recorded function).
"""

import os
import sys
import sysconfig
import threading
from threading import get_ident

import numpy as np

from nbgrad import _factories, _random
from nbgrad.autograd import engine
from nbgrad.autograd.node import AccumulateGrad, edges_of
from nbgrad.compiler.side_effects import optimizer_groups
from nbgrad.ops import inplace, registry
from nbgrad.ops.elementwise import Elementwise
from nbgrad.ops.registry import FunctionOp
from nbgrad.tensor import Tensor, cpu_device

# the module, not the `nbgrad.tensor` factory function that shadows it as an attribute
_tensor_module = sys.modules[Tensor.__module__]

__all__ = ["Recording", "reachable_leaves", "user_location"]

_NBGRAD_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_lock = threading.Lock()
# the Recording in progress (at most one); the list is the ops layer's, whose fast paths
# that skip the wrapped dispatch points step aside while it is non-empty
_active = registry.dispatch_wrapped

# (printing is one: a replay would not print)
_ESCAPES = ("item", "tolist", "numpy", "__bool__", "__float__", "__int__", "__index__",
            "__array__", "__repr__", "__str__", "__format__")


_in_nbgrad = {}   # a code object's file name -> whether it is one of nbgrad's files


def _is_nbgrad_file(filename):
    # memoized: a recording asks for every op, and abspath costs a few microseconds
    inside = _in_nbgrad.get(filename)
    if inside is None:
        inside = _in_nbgrad[filename] = os.path.abspath(filename).startswith(_NBGRAD_DIR)
    return inside


def _outside_nbgrad(f):
    """The innermost frame from `f` outwards that is not in one of nbgrad's files."""
    while f is not None and _is_nbgrad_file(f.f_code.co_filename):
        f = f.f_back
    return f


def user_location():
    """'file:line' of the innermost frame outside nbgrad (the user's code)."""
    f = _outside_nbgrad(sys._getframe(1))
    return "<unknown>" if f is None else f"{f.f_code.co_filename}:{f.f_lineno}"


class Recording:
    """The log of one eager run: ``entries`` and, if the run cannot be replayed,
    ``reason`` (why) and ``where`` (the user's file:line)."""

    def __init__(self):
        self.entries = []    # ("op", op, args, kwargs, result) | ("grad"/"backward", ...)
        self.made = {}       # id -> tensor made outside any op (factories) while recording
        self.locations = []  # the user's file:line of each entry
        self.modules = {}    # id -> (module called, its training flag then)
        self.reason = None
        self.where = None
        self.depth = 0       # > 0 inside an op or the engine: nothing is logged there
        self.in_engine = False
        self.in_into = False
        self.in_host_step = False
        self.step_marks = []   # optimizer_groups() before and after each host step

    def refuse(self, reason):
        """Mark the run as not replayable (the first reason wins)."""
        if self.reason is None:
            self.reason = reason
            self.where = user_location()

    def __enter__(self):
        _lock.acquire()
        self.thread = get_ident()
        _active.append(self)
        self._saved = _install(self)
        return self

    def __exit__(self, *exc):
        _uninstall(self._saved)
        _active.pop()
        _lock.release()
        return False


def _logged(rec, kind, call):
    """Run `call()` with logging suspended inside it; log (kind, result) if outermost."""
    if rec.depth:
        return call()
    rec.depth += 1
    try:
        result = call()
    finally:
        rec.depth -= 1
    rec.locations.append(user_location())
    return kind(result)


def _install(rec):
    saved = []

    def patch(owner, name, value):
        original = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
        saved.append((owner, name, original))
        setattr(owner, name, _in_thread(rec.thread, value, original))

    _patch_ops(rec, patch)
    _patch_state(rec, patch)
    _patch_engine(rec, patch)
    _patch_escapes(rec, patch)
    _patch_host_random(rec, patch)
    _patch_print(rec, patch)
    return saved


def _in_thread(thread, patched, original):
    """`patched` for calls from thread `thread` (the recording's), `original` for calls
    from any other: a function, or the functions of a classmethod or property."""
    if isinstance(patched, classmethod):
        return classmethod(_in_thread(thread, patched.__func__, original.__func__))
    if isinstance(patched, property):
        return property(*(p if p is o else _in_thread(thread, p, o) for p, o in (
            (patched.fget, original.fget), (patched.fset, original.fset),
            (patched.fdel, original.fdel))))

    def routed(*args, **kwargs):
        if get_ident() == thread:
            return patched(*args, **kwargs)
        return original(*args, **kwargs)
    routed.__name__ = patched.__name__
    return routed


def _uninstall(saved):
    for owner, name, value in reversed(saved):
        setattr(owner, name, value)


def _patch_ops(rec, patch):
    ew_call, fn_call = Elementwise.__call__, FunctionOp.__call__

    def elementwise_call(self, *args):
        def log(result):
            rec.entries.append(("op", self, args, {}, result))
            return result
        return _logged(rec, log, lambda: ew_call(self, *args))

    def function_call(self, *args, **kwargs):
        def log(result):
            rec.entries.append(("op", self, args, kwargs, result))
            return result
        return _logged(rec, log, lambda: fn_call(self, *args, **kwargs))

    patch(Elementwise, "__call__", elementwise_call)
    ew_into = Elementwise.into

    def elementwise_into(self, out, *args):
        if rec.depth:
            return ew_into(self, out, *args)
        rec.in_into = True
        try:
            result = ew_into(self, out, *args)
        finally:
            rec.in_into = False
        rec.entries.append(("into", self, out, args))
        rec.locations.append(user_location())
        return result

    patch(Elementwise, "into", elementwise_into)
    commit = inplace.commit_inplace

    def logged_commit(target, result, internal=True):
        # only the unrecorded form (a no_grad update of a whole tensor) replays; a
        # recorded one bumps the version outside and refuses the recording
        plain = (not rec.depth and result.grad_fn is None and target._base is None
                 and target.grad_fn is None and result._data.shape == target._data.shape)
        if not plain:
            return commit(target, result, internal)
        rec.in_into = True
        try:
            out = commit(target, result, internal)
        finally:
            rec.in_into = False
        rec.entries.append(("commit", target, result))
        rec.locations.append(user_location())
        return out

    patch(inplace, "commit_inplace", logged_commit)
    patch(FunctionOp, "__call__", function_call)


def _patch_state(rec, patch):
    """Tensors made outside ops, in-place changes, .grad assignments, random draws (float
    factories logged, integer ones refused)."""
    make = Tensor.__dict__["_make"].__func__

    def tracked_make(cls, data, dtype=None, device=cpu_device):
        t = make(cls, data, dtype, device)
        if not rec.depth:
            rec.made[id(t)] = t
        return t

    patch(Tensor, "_make", classmethod(tracked_make))
    bump = Tensor._bump_version

    def tracked_bump(self):
        if not (rec.in_engine or rec.in_into or rec.in_host_step):
            rec.refuse("an in-place change of a tensor (other than an elementwise op "
                       "written into its target, e.g. `p -= lr * p.grad` under no_grad)")
        bump(self)

    patch(Tensor, "_bump_version", tracked_bump)
    grad_prop = Tensor.__dict__["grad"]

    def set_grad(self, value):
        if value is not None:
            rec.refuse("an assignment of a tensor to .grad")
        elif not rec.depth:
            rec.entries.append(("clear_grad", self))
            rec.locations.append(user_location())
        grad_prop.fset(self, value)

    patch(Tensor, "grad", property(grad_prop.fget, set_grad, grad_prop.fdel))
    for name in ("_random", "_integers", "_permutation"):
        patch(_random, name, _logged_draw(rec, getattr(_random, name)))
    _patch_copies(rec, patch)
    _patch_modules(rec, patch)
    _patch_host_steps(rec, patch)


def _patch_modules(rec, patch):
    """Modules called while recording: their `training` flag is guarded (dropout,
    batch norm behave differently in eval mode)."""
    from nbgrad.nn.modules.module import Module
    call = Module.__call__

    def logged_call(self, *args, **kwargs):
        rec.modules[id(self)] = (self, self.training)
        return call(self, *args, **kwargs)

    patch(Module, "__call__", logged_call)


def _patch_host_steps(rec, patch):
    """``step()`` of every optimizer and learning-rate scheduler class: run as a whole
    (its ops, state and version bumps unlogged) and logged as one ``host_step``."""
    from nbgrad.optim.lr_scheduler import LRScheduler
    from nbgrad.optim.optimizer import Optimizer
    for base in (Optimizer, LRScheduler):
        for cls in _with_subclasses(base):
            step = cls.__dict__.get("step")
            if step is not None:
                patch(cls, "step", _host_step(rec, step))


def _with_subclasses(cls):
    out, todo = [], [cls]
    while todo:
        c = todo.pop()
        if c not in out:
            out.append(c)
            todo.extend(c.__subclasses__())
    return out


def _host_step(rec, step):
    def call(self, *args, **kwargs):
        if rec.depth:
            return step(self, *args, **kwargs)
        if any(a is not None for a in args) or any(v is not None for v in kwargs.values()):
            # a closure re-runs the model on this call's data; a metric is a value
            rec.refuse(f"{type(self).__name__}.step() with an argument (a closure, an epoch "
                       "or a metric)")
            return step(self, *args, **kwargs)
        rec.depth += 1
        rec.in_host_step = True
        before = optimizer_groups()
        try:
            result = step(self, *args, **kwargs)
        finally:
            rec.depth -= 1
            rec.in_host_step = False
        rec.step_marks.append((before, optimizer_groups()))
        rec.entries.append(("host_step", self, _stepped_tensors(self)))
        rec.locations.append(user_location())
        return result
    call.__name__ = step.__name__
    return call


def _stepped_tensors(obj):
    """The tensors an optimizer's step updates (a scheduler's: none)."""
    groups = getattr(obj, "param_groups", None)
    if groups is None or not hasattr(obj, "state"):
        return []
    return [p for g in groups for p in g["params"]]


def _patch_copies(rec, patch):
    """nb.tensor(t) / t.new_tensor(...) of tensors copy their values outside any op:
    the recording would keep the copy as a constant."""
    package = sys.modules["nbgrad"]
    make = _factories.tensor

    def tensor(data, *args, **kwargs):
        if not rec.depth and _holds_tensor(data):
            rec.refuse("nb.tensor() / new_tensor() of tensors copies their values "
                       "outside the ops (use clone() or stack())")
        return make(data, *args, **kwargs)

    patch(_factories, "tensor", tensor)
    patch(package, "tensor", tensor)


def _holds_tensor(data):
    if isinstance(data, Tensor):
        return True
    return isinstance(data, (list, tuple)) and any(_holds_tensor(d) for d in data)


class RandomDraw:
    """A random factory call (``nb.rand``, ``nb.randn``, ``nb.randint``, ``nb.randperm``,
    their ``_like`` forms) as an op of no tensors: lowered to a host row, which calls
    the factory again on every replay, so each replay draws fresh numbers from the live
    generator, at the same point of the program as an eager call (the same numbers
    after one seed).  An integer draw's result lives outside the arena (a host value,
    see `nbgrad.compiler.lowering`)."""

    def __init__(self, draw, name):
        self.draw, self.name = draw, name

    def __call__(self, *args, **kwargs):
        return self.draw(*args, **kwargs)


def _logged_draw(rec, draw):
    def call(size, op, *args, **kwargs):
        if rec.depth:   # inside an op: its result would be recorded as a constant
            rec.refuse("a random draw inside an op")
            return draw(size, op, *args, **kwargs)
        rec.depth += 1
        try:
            result = draw(size, op, *args, **kwargs)
        finally:
            rec.depth -= 1
        if result._requires_grad:
            rec.refuse(f"{op}(requires_grad=True): a random leaf made inside the function")
        rec.entries.append(("op", RandomDraw(draw, op), (size, op) + args, kwargs, result))
        rec.locations.append(user_location())
        return result
    return call


def _patch_engine(rec, patch):
    import nbgrad.autograd as autograd
    run_backward, run_grad = engine.backward, engine.grad

    def in_engine(call):
        was = rec.in_engine
        rec.in_engine = True
        try:
            return call()
        finally:
            rec.in_engine = was

    def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
                 inputs=None):
        leaves = [] if rec.depth else [(t, t._grad) for t in reachable_leaves(tensors)]

        def log(result):
            rec.entries.append(("backward", tensors, grad_tensors, inputs, create_graph,
                                [(t, before, t._grad) for t, before in leaves]))
            return result
        return _logged(rec, log, lambda: in_engine(lambda: run_backward(
            tensors, grad_tensors, retain_graph, create_graph, inputs)))

    def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
             only_inputs=True, allow_unused=None, is_grads_batched=False,
             materialize_grads=False):
        def log(result):
            rec.entries.append(("grad", outputs, inputs, grad_outputs, create_graph,
                                is_grads_batched, result))
            return result
        return _logged(rec, log, lambda: in_engine(lambda: run_grad(
            outputs, inputs, grad_outputs, retain_graph, create_graph, only_inputs,
            allow_unused, is_grads_batched, materialize_grads)))

    for owner in (engine, autograd):
        patch(owner, "backward", backward)
        patch(owner, "grad", grad)
    patch(_tensor_module, "_backward", backward)


def reachable_leaves(tensors):
    """The leaves whose ``.grad`` a backward from `tensors` accumulates into."""
    roots = (tensors,) if isinstance(tensors, Tensor) else tuple(tensors)
    out, seen, stack = [], set(), []
    for t in roots:
        if t.grad_fn is not None:
            stack.append(t.grad_fn)
        elif t._requires_grad:
            out.append(t)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, AccumulateGrad):
            leaf = node.variable
            if leaf is not None:
                out.append(leaf)
            continue
        stack.extend(fn for fn, _ in edges_of(node) if fn is not None)
    return out


def _patch_escapes(rec, patch):
    for name in _ESCAPES:
        method = Tensor.__dict__.get(name)
        if method is not None:
            patch(Tensor, name, _escape(rec, method, name))
    host_for = Tensor._host_for

    def read_for(self, reader):
        if not rec.depth:
            rec.refuse(f"{reader}(tensor) reads a tensor's values outside the ops (its "
                       f"result depends on them)")
        return host_for(self, reader)

    patch(Tensor, "_host_for", read_for)


def _patch_host_random(rec, patch):
    """The functions of Python's `random` and NumPy's legacy `numpy.random` modules (the
    methods of their global generators): a number drawn there while recording would be
    a constant of every replay (``x * random.random()``, ``if random.random() < p``),
    so a call refuses the recording; so does ``numpy.random.default_rng()``, a generator
    made to draw inside the function (`side_effects` sees the draws of one made
    before: its state changes).  A function imported by name before the recording
    (``from random import random``) is not seen."""
    import random

    for module, generator in ((random, random._inst), (np.random, np.random.mtrand._rand)):
        for name in dir(module):
            method = getattr(module, name)
            if getattr(method, "__self__", None) is generator and not name.startswith("_"):
                patch(module, name, _host_draw(rec, method, f"{module.__name__}.{name}"))
    patch(np.random, "default_rng",
          _host_draw(rec, np.random.default_rng, "numpy.random.default_rng"))


def _library_paths():
    """Where the standard library and installed packages live (not the user's code)."""
    paths = sysconfig.get_paths()
    return tuple({os.path.abspath(paths[k]) for k in ("stdlib", "platstdlib", "purelib",
                                                      "platlib") if k in paths})


_LIBRARY_PATHS = _library_paths()


def _called_by_user():
    """Whether the function calling this one was called from the user's code (not
    nbgrad, the standard library or an installed package: numba prints annotations
    into buffers while it compiles a kernel)."""
    f = _outside_nbgrad(sys._getframe(2))   # past the patch's wrapper
    return f is not None and not os.path.abspath(f.f_code.co_filename).startswith(
        _LIBRARY_PATHS)


def _patch_print(rec, patch):
    """``print()`` of anything (of a tensor too: this refusal comes before the one of
    ``str(tensor)`` that print makes): a replay would not print."""
    import builtins
    print_ = builtins.print

    def refusing_print(*args, **kwargs):
        if not rec.depth and _called_by_user():
            rec.refuse("print() (a replay would not print)")
        return print_(*args, **kwargs)

    patch(builtins, "print", refusing_print)


def _host_draw(rec, method, what):
    def call(*args, **kwargs):
        if not rec.depth and _called_by_user():
            rec.refuse(f"{what}() (a number drawn by Python's or NumPy's generator would "
                       f"be a constant of every replay: draw with nb.rand, nb.randn or "
                       f"nb.randint, which draw on every replay)")
        return method(*args, **kwargs)
    call.__name__ = method.__name__
    return call


def _escape(rec, method, name):
    what = f"Tensor.{name}()" if not name.startswith("__") else f"{name.strip('_')}(tensor)"

    def call(self, *args, **kwargs):
        if not rec.depth:
            rec.refuse(f"{what} reads a tensor's value into Python")
        return method(self, *args, **kwargs)
    call.__name__ = name
    return call
