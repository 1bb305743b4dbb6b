"""``nb.compile``: record a function once per input signature, replay it after.

The signature of a call is what the recording depends on: every tensor
argument's shape, dtype, device, requires_grad and whether it is a leaf (in
lists and tuples too), the other arguments' values, and the grad mode.  The
first call with a signature runs the function eagerly under a `Recording` and
lowers it to a tape program; later calls with that signature replay the
program, after checking the guards the recording made (captured tensors'
shape, dtype and requires_grad, whether leaves' ``.grad`` is None).

When the recording cannot be replayed faithfully (a tensor's value read into
Python, an op outside the tape's vocabulary, an in-place update...), that
signature runs eagerly from then on, with one `CompileWarning` naming the
reason and the file and line.  At most ``cache_size_limit`` signatures are
kept (the oldest is dropped); ``compiled.stats`` counts recordings, replays
and eager calls, as ``torch._dynamo`` reports recompiles.
"""

import contextlib
import functools
import gc
import threading
import warnings

import numpy as np

from nbgrad.autograd import grad_mode
from nbgrad.compiler.lowering import Unsupported, lower
from nbgrad.compiler.recorder import Recording
from nbgrad.compiler.recorder import _active as _recording
from nbgrad.compiler.arrays import ArrayPlan, NotArrayReplayable
from nbgrad.compiler.fused import FusedPlan, fusable
from nbgrad.compiler.free_values import module_entries, snapshot as free_values_snapshot
from nbgrad.compiler import side_effects
from nbgrad.compiler.guards import fast_check, plan_guards
from nbgrad.compiler.replay import TapePlan, live_outputs, template
from nbgrad.tensor import Tensor, cpu_device

__all__ = ["compile", "CompiledFunction", "CompileWarning"]


class CompileWarning(UserWarning):
    """A compiled function's signature runs eagerly (the message says why and where)."""


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None,
            options=None, disable=False, cache_size_limit=8):
    """`model` (a function or a module) recorded on its first call per signature and
    replayed as one compiled call after (see the module docstring).  Also a
    decorator::

        @nb.compile
        def step(x):
            loss = ((x + 2) * (x + 2) * 3).mean()
            loss.backward()
            return loss

    A module gives an `OptimizedModule`, as ``torch.compile`` does.  ``disable=True``
    returns `model` itself; ``fullgraph``, ``dynamic``, ``backend``, ``mode`` and
    ``options`` are PyTorch's and accepted for its code, with no effect: every
    signature is recorded for its shapes, and what cannot replay runs eagerly
    with a `CompileWarning`.
    """
    if model is None:
        return functools.partial(compile, fullgraph=fullgraph, dynamic=dynamic,
                                 backend=backend, mode=mode, options=options,
                                 disable=disable, cache_size_limit=cache_size_limit)
    if not callable(model):
        raise TypeError(f"nb.compile expects a callable, got {type(model).__name__}")
    if disable:
        return model
    from nbgrad.compiler.modules import Module, OptimizedModule
    if isinstance(model, Module):   # torch.compile(model): a module, as PyTorch returns
        return OptimizedModule(model, CompiledFunction(model, cache_size_limit, wrap=False))
    return CompiledFunction(model, cache_size_limit)


# The tape interpreter runs one row at a time, serially: past a few thousand
# elements per tensor the eager kernels (vectorised, parallel) are faster
# (measured on the tutorial step: 0.2x eager's time at 1,000 elements, 1.4x at
# 10,000).  Larger graphs run eagerly until fused kernels exist for them.
TAPE_MAX_ELEMENTS = 4096


class _Eager:
    def __init__(self, reason, warn=True):
        self.reason = reason
        self.warn = warn


class _LargeTensors(Exception):
    pass


class CompiledFunction:
    """The callable `compile` returns; ``stats`` counts what each call did."""

    def __init__(self, fn, cache_size_limit, wrap=True):
        self.fn = fn
        self.cache_size_limit = cache_size_limit
        self._plans = {}
        self._fast = []      # (check, plan): generated signature checks, see `guards`
        self.stats = {"recordings": 0, "replays": 0, "eager_calls": 0, "evictions": 0}
        self.last_reason = None   # why the last recording runs eagerly (None: it replays)
        if wrap:   # not for a module: its __dict__ (parameters, training) is its own
            functools.update_wrapper(self, fn)

    def __getstate__(self):
        """Copies and pickles keep the function, not the recordings (arenas, locks):
        a copy records again on its first call, as PyTorch's recompiles."""
        return {"fn": self.fn, "cache_size_limit": self.cache_size_limit,
                "wrap": "__wrapped__" in self.__dict__}

    def __setstate__(self, state):
        self.__init__(state["fn"], state["cache_size_limit"], state["wrap"])

    def __call__(self, *args, **kwargs):
        if _recording:   # inside another compiled function's recording: be part of it
            return self.fn(*args, **kwargs)
        if not kwargs:
            for check, plan in self._fast:
                flat = check(args)
                if flat is not None:
                    self.stats["replays"] += 1
                    return plan(flat)
        flat = []
        key = _key(args, flat)
        if kwargs:
            key = (key, _key(kwargs, flat))
        key = (key, grad_mode._state.enabled, _aliasing(flat) if len(flat) > 1 else None)
        plans = self._plans.get(key)
        if plans is not None:
            for plan in plans:
                if plan.__class__ is _Eager:
                    self.stats["eager_calls"] += 1
                    return self.fn(*args, **kwargs)
                if plan.guards_hold(flat):
                    self.stats["replays"] += 1
                    return plan(flat)
        return self._record(key, flat, args, kwargs)

    def _record(self, key, flat, args, kwargs):
        self.stats["recordings"] += 1
        if _array_argument(key):
            result, plan = self.fn(*args, **kwargs), _Eager(_ARRAY_REASON)
        else:
            with _collector_paused():
                free = free_values_snapshot(self.fn, args, kwargs)   # what fn reads, as called
                before = side_effects.state(free, self.fn, args, kwargs)
                groups = side_effects.optimizer_groups()
                rec = Recording()
                with rec:
                    result = self.fn(*args, **kwargs)
                changed = side_effects.first_change(before) or \
                    side_effects.groups_change(groups, rec.step_marks)
                plan = _Eager(f"the function changes {changed} (a replay runs its ops, not "
                              f"its Python: the change would not be made again)") \
                    if changed is not None else _plan_or_eager(rec, flat, result)
        if plan.__class__ is not _Eager:
            plan.free_values = free + module_entries(m for m, _ in plan.modules)
            plan.guards_hold = plan_guards(plan)
        self.last_reason = getattr(plan, "reason", None)
        if plan.__class__ is _Eager and plan.warn:
            name = getattr(self.fn, "__qualname__", None) or type(self.fn).__name__
            warnings.warn(f"nb.compile: {name} runs "
                          f"eagerly for this signature: {plan.reason}", CompileWarning,
                          stacklevel=3)
        # one plan per guard state (x.grad None on the first step, set after)
        plans = self._plans.pop(key, [])
        self._plans[key] = [plan] if plan.__class__ is _Eager else plans + [plan]
        while sum(len(v) for v in self._plans.values()) > self.cache_size_limit:
            oldest = next(iter(self._plans))
            if len(self._plans[oldest]) > 1:
                self._plans[oldest].pop(0)
            else:
                del self._plans[oldest]
            self.stats["evictions"] += 1
        if plan.__class__ is not _Eager:
            plan.check = None if kwargs else fast_check(args, key[1], plan)
        # the cached plans' fast checks, in the keyed lookup's order
        self._fast = [(p.check, p) for plans in self._plans.values() for p in plans
                      if p.__class__ is not _Eager and p.check is not None]
        return result


# recordings running now (threads may record at once) and whether the collector was on
# before the first of them: the last to finish restores it
_pause = {"depth": 0, "was_enabled": False}
_pause_lock = threading.Lock()


@contextlib.contextmanager
def _collector_paused():
    """Python's cycle collector off while a call records and lowers (its previous state
    restored after the last recording running ends). A recording makes several tracked
    objects per op (tensors, nodes, the recorder's entries), all alive until the plan is
    built, so each collection in between re-scans them to find nothing: 0.1-0.2 s of a
    10,000-op first call. The recording's cycles wait for the next collection after it."""
    with _pause_lock:
        if _pause["depth"] == 0:
            _pause["was_enabled"] = gc.isenabled()
            gc.disable()
        _pause["depth"] += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pause["depth"] -= 1
            if _pause["depth"] == 0 and _pause["was_enabled"]:
                gc.enable()


def _plan_or_eager(rec, flat, result):
    """The recording's plan, or an `_Eager` one saying why it cannot replay."""
    if rec.reason is not None:
        return _Eager(f"{rec.reason} at {rec.where}")
    try:
        return _plan(rec, flat, result)
    except Unsupported as exc:
        return _Eager(str(exc))
    except _LargeTensors as exc:
        return _Eager(str(exc), warn=False)


def _plan(rec, flat, result):
    for t in flat:
        if t._requires_grad and t.grad_fn is not None:
            raise Unsupported("an input computed by a graph outside the function")
    program, slot_of = lower(rec, flat, result)
    largest = program.largest
    roots = set()
    for entry in rec.entries:
        if entry[0] in ("backward", "grad"):
            outs = entry[1]
            roots.update(id(t) for t in ((outs,) if isinstance(outs, Tensor) else outs))
    captured = [t for t, _ in program.captured] + [t for t, *_ in program.side_captured]
    tpl = template(result, slot_of, flat, captured)
    if largest > TAPE_MAX_ELEMENTS:
        plan = _large_plan(program, tpl, roots, largest)
    else:
        plan = TapePlan(program, tpl, roots)
    plan.modules = list(rec.modules.values())
    return plan


def _large_plan(program, tpl, roots, largest):
    """A `FusedPlan` when the program has the fused form (elementwise rows, full
    reductions, one reverse pass), else an `ArrayPlan` when its large rows have
    array forms, else the eager kernels (no warning: a choice of strategy, not a
    fallback)."""
    n = fusable(program)
    live = live_outputs(tpl, roots)
    if n is not None and not live:
        return FusedPlan(program, tpl, n)
    try:
        return ArrayPlan(program, tpl, roots)
    except NotArrayReplayable as exc:
        why = str(exc)
    raise _LargeTensors(f"a tensor of {largest} elements with {why}: the step runs on the "
                        f"eager kernels (the tape interpreter serves up to "
                        f"{TAPE_MAX_ELEMENTS} elements a tensor; the array replay runs "
                        f"elementwise rows, full sums, matrix products, softmax and nll_loss)")


def _aliasing(flat):
    """None when the tensor arguments are distinct objects, else which repeat which
    (a recording made with x passed twice must not replay for two tensors)."""
    if len(set(map(id, flat))) == len(flat):
        return None
    first = {}
    return tuple(first.setdefault(id(t), k) for k, t in enumerate(flat))


def _key(value, flat):
    """The part of the signature for `value`; its tensors are appended to `flat`."""
    c = value.__class__
    if c is Tensor or isinstance(value, Tensor):
        flat.append(value)
        dev = value.device
        return (value._data.shape, value.dtype, None if dev is cpu_device else dev,
                value._requires_grad, value.grad_fn is None)
    if c is tuple or c is list:
        out = [c]
        for v in value:   # a list of tensors (xs) is common: no call per element
            if v.__class__ is Tensor and v.device is cpu_device:
                flat.append(v)
                out.append((v._data.shape, v.dtype, None, v._requires_grad,
                            v.grad_fn is None))
            else:
                out.append(_key(v, flat))
        return tuple(out)
    if c is dict:
        return (dict,) + tuple((k, _key(v, flat)) for k, v in value.items())
    try:
        hash(value)
    except TypeError:   # a NumPy array (see _record), a dataclass with eq=True...
        return (_ById, _ById(value))
    return (c, value)


_ARRAY_REASON = ("a NumPy array argument (a recording would keep the values it read, "
                 "and a replay miss a change made to the array in place): pass a tensor, "
                 "nb.from_numpy(array)")


def _array_argument(key):
    """Whether the signature `key` holds a NumPy array (an argument keyed by identity)."""
    if key.__class__ is _ById:
        return isinstance(key.value, np.ndarray)
    return key.__class__ is tuple and any(_array_argument(k) for k in key)


class _ById:
    """An unhashable argument in a signature key: compared by identity, and kept alive
    by the cached key, so that no later object takes its id (a key holding the id
    alone replayed a recording for a new object that reused a freed one's id)."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __hash__(self):
        return id(self.value)

    def __eq__(self, other):
        return other.__class__ is _ById and other.value is self.value
