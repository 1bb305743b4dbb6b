"""``nbgrad.autograd.profiler``: ``profile`` and ``record_function``, with PyTorch's
``key_averages().table()`` (Name, Self CPU %, Self CPU, CPU total %, CPU total, CPU time
avg, # of Calls; "Self CPU time total").

Op events come from the op dispatch points the ops layer registers here
(`register_dispatch`: the ``__call__`` of elementwise and function-style ops).  While
no profile is active nothing is installed there: the first ``profile`` to start wraps
those entry points with a timing wrapper and the last to stop puts the originals back,
so an unprofiled program pays nothing.  Each event's self time is its time less its
children's (an op calling ops, a ``record_function`` block around them).  This module
sits in the autograd layer and imports no ops.
"""

import json
import time

__all__ = ["profile", "record_function", "register_dispatch", "EventList", "FunctionEvent",
           "FunctionEventAvg"]

_DISPATCH = []   # (owner class, attribute, namer(op) -> event name), from the ops layer
_profiles = []   # the active profiles, innermost last
# read by the ops layer's fast paths (x[i], x[i] = v), which skip the dispatch points and so
# step aside while a profile runs, so that their ops are still timed
active = _profiles
_installed = []  # (owner, attribute, original) while profiling


def register_dispatch(owner, attr, namer):
    """Time every call of ``owner.<attr>`` (a method whose ``self`` is an op) while a
    profile runs, as an event named ``namer(self)``."""
    _DISPATCH.append((owner, attr, namer))


class FunctionEvent:
    """One timed call: its name, input shapes, start and total time (us) and its
    children's total time (us)."""

    __slots__ = ("name", "input_shapes", "start_ns", "cpu_time_total", "children_time",
                 "id")

    def __init__(self, name, input_shapes, start_ns, id):
        self.name, self.input_shapes, self.start_ns, self.id = name, input_shapes, start_ns, id
        self.cpu_time_total = self.children_time = 0.0

    key = property(lambda self: self.name)

    @property
    def self_cpu_time_total(self):
        return self.cpu_time_total - self.children_time

    def __repr__(self):
        return (f"<FunctionEvent id={self.id} name={self.name} cpu_time="
                f"{_format_time(self.cpu_time_total)} input_shapes={self.input_shapes}>")


class FunctionEventAvg:
    """The events of one name (and, grouped by shape, one input shape) summed."""

    def __init__(self, key, input_shapes=None):
        self.key, self.input_shapes = key, input_shapes
        self.count = 0
        self.cpu_time_total = self.self_cpu_time_total = 0.0

    def add(self, event):
        self.count += 1
        self.cpu_time_total += event.cpu_time_total
        self.self_cpu_time_total += event.self_cpu_time_total
        return self

    @property
    def cpu_time(self):
        return self.cpu_time_total / self.count if self.count else 0.0

    self_cpu_time = property(lambda self: self.self_cpu_time_total / max(self.count, 1))

    def __repr__(self):
        return (f"<FunctionEventAvg key={self.key} self_cpu_time="
                f"{_format_time(self.self_cpu_time_total)} cpu_time="
                f"{_format_time(self.cpu_time_total)} count={self.count}>")


def _format_time(us):
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


def _share(us, total):
    return "NaN" if total == 0 else f"{us * 100.0 / total:.2f}%"


class EventList(list):
    """A list of events (or of their averages) that prints as PyTorch's table."""

    def __init__(self, events=(), shapes=False):
        super().__init__(events)
        self._shapes = shapes

    def table(self, sort_by=None, row_limit=100, max_name_column_width=55, header=None,
              top_level_events_only=False):
        """The table of PyTorch's ``key_averages().table()``: rows sorted by the
        attribute `sort_by` (descending; e.g. "self_cpu_time_total", "cpu_time_total",
        "count"), at most `row_limit` of them (-1: all)."""
        rows = list(self)
        if sort_by is not None:
            rows.sort(key=lambda e: getattr(e, sort_by), reverse=True)
        if row_limit is not None and row_limit >= 0:
            rows = rows[:row_limit]
        width = min(max([len(e.key) for e in self] + [4]) + 4, max_name_column_width)
        heads = ["Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg",
                 "# of Calls"] + (["Input Shapes"] if self._shapes else [])
        widths = [width] + [12] * 6 + ([32] if self._shapes else [])
        line = "".join("-" * w + "  " for w in widths)
        total = sum(e.self_cpu_time_total for e in self)
        out = [line, "".join(f"{h:>{w}}  " for h, w in zip(heads, widths)), line]
        for e in rows:
            name = e.key if len(e.key) <= width - 4 else e.key[:width - 7] + "..."
            cells = [name, _share(e.self_cpu_time_total, total),
                     _format_time(e.self_cpu_time_total), _share(e.cpu_time_total, total),
                     _format_time(e.cpu_time_total), _format_time(e.cpu_time), str(e.count)]
            if self._shapes:
                cells.append(str(e.input_shapes)[:32])
            out.append("".join(f"{c:>{w}}  " for c, w in zip(cells, widths)))
        out += [line, f"Self CPU time total: {_format_time(total)}", ""]
        return "\n".join(out)

    @property
    def self_cpu_time_total(self):
        return sum(e.self_cpu_time_total for e in self)

    def __str__(self):
        return self.table()


def _shapes_of(args):
    return [list(a.shape) if hasattr(a, "_data") else [] for a in args]


class profile:
    """Record the ops run inside ``with profile() as prof:`` and report their times:
    ``print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=10))``.

    `record_shapes` keeps each op's input shapes (``key_averages(group_by_input_shape=
    True)``).  CUDA times, memory, FLOPs and stacks are not measured (their flags are
    accepted)."""

    def __init__(self, enabled=True, *, use_cuda=False, use_device=None, record_shapes=False,
                 with_flops=False, profile_memory=False, with_stack=False, with_modules=False,
                 use_kineto=False, use_cpu=True, experimental_config=None, acc_events=False,
                 custom_trace_id_callback=None):
        self.enabled = enabled
        self.record_shapes = record_shapes
        self.function_events = None
        self._events = []
        self._stack = []

    def __enter__(self):
        if self.enabled:
            if not _profiles:
                _install()
            _profiles.append(self)
        return self

    def __exit__(self, *exc):
        if self.enabled and self in _profiles:
            _profiles.remove(self)
            if not _profiles:
                _uninstall()
        self.function_events = EventList(self._events)
        return False

    # -- events ------------------------------------------------------------------
    def _begin(self, name, args):
        ev = FunctionEvent(name, _shapes_of(args) if self.record_shapes else [],
                           time.perf_counter_ns(), len(self._events))
        self._events.append(ev)
        self._stack.append(ev)
        return ev

    def _end(self, ev):
        ev.cpu_time_total = (time.perf_counter_ns() - ev.start_ns) / 1000.0
        self._stack.pop()
        if self._stack:
            self._stack[-1].children_time += ev.cpu_time_total

    # -- reports -------------------------------------------------------------------
    def _check_finished(self):
        if self.function_events is None:
            raise RuntimeError("Profiler didn't finish running")

    def events(self):
        self._check_finished()
        return self.function_events

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0):
        """The events summed per name (and input shape), in order of first call."""
        self._check_finished()
        groups = {}
        for ev in self.function_events:
            key = (ev.name, str(ev.input_shapes)) if group_by_input_shape else ev.name
            if key not in groups:
                groups[key] = FunctionEventAvg(ev.name, ev.input_shapes
                                               if group_by_input_shape else None)
            groups[key].add(ev)
        return EventList(groups.values(), shapes=group_by_input_shape)

    def table(self, sort_by=None, row_limit=100, **kwargs):
        return self.key_averages().table(sort_by=sort_by, row_limit=row_limit, **kwargs)

    def total_average(self):
        self._check_finished()
        avg = FunctionEventAvg("Total")
        for ev in self.function_events:
            avg.add(ev)
        return avg

    @property
    def self_cpu_time_total(self):
        self._check_finished()
        return self.function_events.self_cpu_time_total

    def export_chrome_trace(self, path):
        """Write the events as a Chrome trace (chrome://tracing, Perfetto)."""
        self._check_finished()
        t0 = min((e.start_ns for e in self.function_events), default=0)
        trace = [{"name": e.name, "ph": "X", "ts": (e.start_ns - t0) / 1000.0,
                  "dur": e.cpu_time_total, "pid": 0, "tid": 0, "cat": "cpu_op",
                  "args": {"Input Dims": e.input_shapes}} for e in self.function_events]
        with open(path, "w") as f:
            json.dump({"traceEvents": trace}, f)

    def __str__(self):
        return self.table()


class record_function:
    """Time a block as one event named `name` (its ops are its children):
    ``with nb.autograd.profiler.record_function("forward"): ...``."""

    def __init__(self, name, args=None):
        self.name = name
        self._open = []

    def __enter__(self):
        self._open = [(p, p._begin(self.name, ())) for p in _profiles]
        return self

    def __exit__(self, *exc):
        for p, ev in reversed(self._open):
            p._end(ev)
        self._open = []
        return False


def _timed(original, namer):
    def call(op, *args, **kwargs):
        if not _profiles:   # a profile ended while this wrapper was still installed
            return original(op, *args, **kwargs)
        name = namer(op)
        opened = [(p, p._begin(name, args)) for p in _profiles]
        try:
            return original(op, *args, **kwargs)
        finally:
            for p, ev in reversed(opened):
                p._end(ev)
    call.__wrapped__ = original
    return call


def _install():
    for owner, attr, namer in _DISPATCH:
        original = owner.__dict__[attr]
        _installed.append((owner, attr, original))
        setattr(owner, attr, _timed(original, namer))


def _uninstall():
    while _installed:
        owner, attr, original = _installed.pop()
        setattr(owner, attr, original)
