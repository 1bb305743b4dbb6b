"""From a `Recording` to a tape `Program`: arena slots and interpreter rows.

Every tensor of the recorded run gets a slot (an arena offset and a size):
inputs and captured tensors are copied in on each call, constants (Python
numbers, tensors made inside the function) are written once, op results are
computed by the program, contiguous views alias their base.  ``backward()``
and ``autograd.grad`` entries become a reverse pass over the rows recorded
before them, built from the same declarations.  Anything outside this
vocabulary raises `Unsupported` with the reason; the caller runs the function
eagerly instead (never an approximate replay).
"""

import math

import numpy as np

from nbgrad._device import cpu_device
from nbgrad.compiler.epilogue import Epilogue
from nbgrad.compiler.gathers import Gathers
from nbgrad.compiler.host_rows import HostRows
from nbgrad.compiler.interpreter import BUILTINS, E_LIMIT, WIDTH, encode_row, vocabulary
from nbgrad.compiler.unsupported import Unsupported
from nbgrad.ops.elementwise import Elementwise
from nbgrad.tensor import Tensor

__all__ = ["Unsupported", "Slot", "Program", "lower", "share_memory"]

class Slot:
    __slots__ = ("off", "n", "shape", "rg")

    def __init__(self, off, n, shape, rg):
        self.off, self.n, self.shape, self.rg = off, n, shape, rg

    @property
    def end(self):
        """Where its arena range ends (an empty tensor still has one element there)."""
        return self.off + max(self.n, 1)


class Program:
    """A lowered recording: what `nbgrad.compiler.replay` runs."""

    def __init__(self):
        self.rows = []          # interpreter rows: [(kind, name), n, out, a, sa, b, sb, c, sc, e]
        self.forward = []       # the backward row of each differentiable forward row
        self.size = 0           # arena length
        self.consts = []        # (offset, flat values)
        self.inputs = []        # (flat argument index, slot)
        self.captured = []      # (tensor, slot): read on every call, guarded
        # leaves as `_Lowering._ref` gives them: a flat argument index or a tensor
        self.grad_guards = []   # (leaf, whether its .grad was None before the first backward)
        self.grads_in = []      # (leaf, slot): its .grad read in before the run
        self.grads_out = []     # (leaf, slot, "new"/"inplace"/"clear"): its .grad after
        self.ops = set()
        self.hosts = []         # HostCall per host row
        self.aux = []           # gather rows' source offsets
        self.side_captured = []  # (tensor, shape, dtype): captured, read by host ops only
        self.dtype = None
        self.largest = 0        # the most elements of one slot
        self.all_slots = []     # every slot, views of others included
        self.epilogue = None    # the optimizer steps run after the program (`epilogue`)

    def alloc(self, shape, rg=False):
        n = math.prod(shape)   # Python ints: no overflow, and no NumPy call per slot
        self.largest = max(self.largest, n)
        s = Slot(self.size, n, tuple(shape), rg)
        self.all_slots.append(s)
        self.size += max(n, 1)
        return s

    def encode(self, rows):
        """`rows` as the interpreter's int32 array (after `lower` set the vocabulary)."""
        if self.size >= 2 ** 31:
            raise Unsupported("an arena of 2**31 elements or more")
        code = np.zeros((len(rows), WIDTH), dtype=np.int32)
        for k, row in enumerate(rows):
            n = self.size if row[1] == -1 else row[1]
            if not 0 <= row[9] < E_LIMIT:
                raise Unsupported(f"a row of {row[9]} elements (the tape's limit: {E_LIMIT})")
            code[k] = encode_row(_opcode(row[0], self.vocab), n, *row[2:])
        return code

    def reverse_rows(self, outputs, wrt):
        """Rows for a backward after the call: zero G, seed each of `outputs` from a new
        slot, reverse every differentiable row, copy the gradients of `wrt` out.
        Returns (rows, seed slots, gradient slots)."""
        rows = [[("x", "zero_grad"), -1, 0, 0, 0, 0, 0, 0, 0, 0]]
        seeds, grads = [], []
        for s in outputs:
            seeds.append(self.alloc(s.shape))
            rows.append([("x", "seed_from"), s.n, s.off, seeds[-1].off, 1, 0, 0, 0, 0, 0])
        rows += [list(b) for b in reversed(self.forward)]
        for s in wrt:
            grads.append(self.alloc(s.shape))
            rows.append([("x", "grad_out"), s.n, grads[-1].off, s.off, 1, 0, 0, 0, 0, 0])
        return rows, seeds, grads

    def reverse_reads(self):
        """Arena ranges the reverse rows read from A (what the eager ops save): an
        elementwise rule's operands and result, softmax's result, a host op's
        inputs and result (its node may keep any of them)."""
        ranges = []
        ops = {op.name: op for op in self.ops}
        for row in self.forward:
            kind, name = row[0]
            if name == "host":
                call = self.hosts[row[2]]
                slots = [s for s in call.slots if s.__class__ is not tuple] + [call.out]
                ranges += [(s.off, s.end) for s in slots]
            elif name in ("softmax", "gather_softmax"):
                ranges.append((row[2], row[2] + row[1]))
            elif name not in BUILTINS:
                ranges += _rule_reads(ops[name], row)
        return ranges

    def emit(self, op, n, out, operands=(), e=0):
        row = [op, n, out, 0, 0, 0, 0, 0, 0, e]
        for j, (off, step) in enumerate(operands):
            row[3 + 2 * j], row[4 + 2 * j] = off, step
        self.rows.append(row)
        return row


def lower(rec, flat_args, result=None):
    """The `Program` replaying `rec` (raises `Unsupported`) and a function giving
    the slot of a tensor the function returned (`result`, for its template)."""
    low = _Lowering(flat_args, rec.made)
    epilogue = Epilogue()
    for entry, where in zip(rec.entries, rec.locations):
        try:
            if not epilogue.take(entry, low._ref):
                getattr(low, "entry_" + entry[0])(*entry[1:])
        except Unsupported as exc:
            raise Unsupported(f"{exc} at {where}") from None
    for t in _tensors_in(result):   # a returned stack needs its values
        if id(t) in low.pending:
            low.materialize(t)
    program = low.finish()
    program.epilogue = epilogue if epilogue.actions else None
    return program, low.result_slot


def _tensors_in(value):
    if isinstance(value, Tensor):
        yield value
    elif isinstance(value, (tuple, list)):
        for v in value:
            yield from _tensors_in(v)


def _opcode(key, vocab):
    kind, name = key
    if kind == "x":
        return BUILTINS[name]
    base = BUILTINS.get(name)
    if base is None:
        base = vocab.opcode[name]
    return base + (kind == "b")


class _Lowering(Gathers, HostRows):
    def __init__(self, flat_args, made):
        self.p = Program()
        self.slots = {}      # id(tensor) -> Slot
        self.pending = {}    # id(stack result) -> (result, source offsets): see `gathers`
        self.const_slots = {}   # float.hex() of a Python number -> its slot
        self.keep = []       # the tensors behind self.slots' ids (ids stay unique)
        self.made = made
        self.input_index = {}   # id(argument tensor) -> its index in the flat arguments
        self.leaf_grad = {}  # id(leaf) -> slot of its .grad computed by this program, or _CLEARED
        self.leaf_objs = {}  # id(leaf) -> leaf
        self.grad_mode = {}  # id(leaf) -> "new" (.grad was None) or "inplace" (added into)
        self.writes = {}     # id(target) -> [target, slot, number of in-place rows]
        self.copied_views = []   # (lo, hi, view slot): ranges host ops copied views of
        self.stale = set()       # ids of such view slots whose base was updated since
        self.values = {}         # id(tensor) -> ("val", k): host op k's result, not in A
        for i, a in enumerate(flat_args):
            if isinstance(a, Tensor) and id(a) not in self.input_index:
                self.input_index[id(a)] = i
                try:
                    s = self._new_slot(a)
                except Unsupported:
                    continue   # not for the arena: a host op may read it (_host_input)
                self.p.inputs.append((i, s))

    # -- slots ----------------------------------------------------------------
    def _check(self, t):
        if t.device is not cpu_device:
            raise Unsupported(f"a tensor on {t.device} (the tape runs CPU tensors)")
        if not t.dtype.is_floating_point:
            raise Unsupported(f"a tensor of dtype {t.dtype} (the tape holds floats)")
        if self.p.dtype is None:
            self.p.dtype = t.dtype
        elif t.dtype is not self.p.dtype:
            raise Unsupported(f"tensors of two dtypes ({self.p.dtype} and {t.dtype})")

    def _new_slot(self, t):
        self._check(t)
        s = self.p.alloc(t._data.shape, t._requires_grad)
        self.slots[id(t)] = s
        self.keep.append(t)
        return s

    def slot(self, t):
        s = self.slots.get(id(t))
        if s is None and id(t) in self.pending:
            return self.materialize(t)
        if s is not None:
            if id(s) in self.stale:
                raise Unsupported("reading a view after an in-place update of its base (the "
                                  "view is a copy on the tape)")
            return s
        if t.grad_fn is not None:
            raise Unsupported("a captured tensor that has a grad_fn (computed outside the "
                              "function)")
        if id(t) in self.made:
            base = self._memory_base(t)
            if base is not None:   # detach(), .data: a view made outside the ops
                if t._requires_grad:
                    raise Unsupported("a detached tensor that requires grad again")
                self._view(t, base)
                return self.slots[id(t)]
        s = self._new_slot(t)
        if id(t) in self.made:
            # made by a factory inside the function: fresh on every eager call, so a
            # constant here (random factories and copies of tensors' values refuse the
            # recording: see recorder)
            self.p.consts.append((s.off, t._data.reshape(-1).copy()))
        else:
            self.p.captured.append((t, s))
        return s

    def _memory_base(self, t):
        """A tensor of the recording whose memory `t` shares, or None."""
        for u in self.keep:
            if u is not t and np.may_share_memory(t._data, u._data):
                return u
        return None

    def result_slot(self, t):
        """The slot of tensor `t` the function returns, or None: a recorded value, or a
        tensor made outside the ops (a detach() of one: its alias; a factory's: a
        constant, new per call); for a host value, its ``("val", k)``."""
        s = self.slots.get(id(t))
        if s is None and id(t) in self.values:
            return self.values[id(t)]
        if s is None and id(t) in self.made:
            s = self.slot(t)
        return s

    def const(self, value):
        """The slot of Python number `value`: one per distinct value (softplus's beta
        and threshold on every call would take two slots each; nothing writes them)."""
        key = float(value).hex()   # tells -0.0 from 0.0
        s = self.const_slots.get(key)
        if s is None:
            s = self.const_slots[key] = self.p.alloc((), False)
            self.p.consts.append((s.off, np.array([value], dtype=np.float64)))
        return s

    def result(self, t):
        if not isinstance(t, Tensor):
            raise Unsupported("an op returning several tensors")
        return self._new_slot(t)

    # -- entries ----------------------------------------------------------------
    def entry_op(self, op, args, kwargs, result):
        try:
            if isinstance(op, Elementwise):
                return self._elementwise(op, args, result)
            rule = getattr(self, "_op_" + op.name.replace(".", "_"), None)
            if rule is None:
                raise Unsupported(f"the op {op.name!r} (not in the tape's vocabulary)")
            rule(result, *args, **kwargs)
        except Unsupported as exc:
            self._host(op, args, kwargs, result, exc)

    def _elementwise(self, op, args, result):
        out = self.result(result)
        operands, need = self._operands(op, args, out)
        self._row(op.name, out, operands, need)

    def _operands(self, op, args, out):
        """(operand (offset, step) pairs, need bits) of elementwise `op` writing `out`."""
        if op.out_dtype == "bool" or len(args) > 3:
            raise Unsupported(f"the op {op.name!r} (a bool result or more than 3 operands)")
        operands, need = [], 0
        for j, a in enumerate(args):
            if isinstance(a, Tensor):
                s = self.slot(a)
                if s.n not in (out.n, 1):
                    raise Unsupported(f"{op.name}: broadcasting {list(s.shape)} to "
                                      f"{list(out.shape)}")
                step = 1 if s.n == out.n else 0
                if s.rg and op.inputs[j] in op.grads:
                    need |= 1 << j
            elif isinstance(a, (bool, int, float)):
                s, step = self.const(float(a)), 0
            else:
                raise Unsupported(f"{op.name}: an argument of type {type(a).__name__}")
            operands.append((s.off, step))
        self.p.ops.add(op)
        return operands, need

    def entry_into(self, op, target, args):
        """An elementwise op written into `target` (``p -= lr * p.grad`` under no_grad):
        a row writing the target's slot, never reversed (nothing was recorded)."""
        self.flush_pending()
        ts = self._write_target(target)
        operands, _ = self._operands(op, args, ts)
        self.p.emit(("f", op.name), ts.n, ts.off, operands)

    def entry_commit(self, target, result):
        """A result computed out of place, then copied into `target` under no_grad
        (``p.add_(g, alpha=-lr)``): a copy row into the target's slot."""
        self.flush_pending()
        rs = self.slot(result)
        ts = self._write_target(target)
        if rs.n != ts.n:
            raise Unsupported("an in-place update that broadcasts")
        self.p.emit(("f", "copy"), ts.n, ts.off, [(rs.off, 1)])

    def _write_target(self, target):
        """The slot of an in-place update's target, with the update counted."""
        ts = self.slot(target)
        if id(target) in self.made:
            raise Unsupported("an in-place update of a tensor made inside the function")
        for lo, hi, view in self.copied_views:
            if lo < ts.end and ts.off < hi:
                self.stale.add(id(view))   # the copy no longer shows its base
        entry = self.writes.setdefault(id(target), [target, ts, 0])
        entry[2] += 1
        return ts

    def entry_clear_grad(self, leaf):
        """``leaf.grad = None`` (``optimizer.zero_grad()``): a later backward starts anew."""
        self.leaf_grad[id(leaf)] = _CLEARED
        self.leaf_objs[id(leaf)] = leaf

    def _row(self, name, out, operands, need=0, e=0, n=None):
        """A forward row, remembered for reverse passes when its result requires grad."""
        row = self.p.emit(("f", name), out.n if n is None else n, out.off, operands, e)
        if out.rg:
            back = list(row)
            back[0] = ("b", name)
            back[9] = need if need else e
            self.p.forward.append(back)

    def _reduce(self, kind, result, x, dim, keepdim, dtype):
        if dim is not None and sorted(_dims(dim, len(x.shape))) != list(range(len(x.shape))):
            raise Unsupported(f"{kind} over some dimensions (only over all yet)")
        if dtype is not None:
            raise Unsupported(f"{kind}(dtype=...)")
        if kind == "sum" and self.gathered_sum(result, x):
            return
        xs = self.slot(x)
        self._row(kind, self.result(result), [(xs.off, 1)], n=xs.n)

    def _op_sum(self, result, x, dim=None, keepdim=False, *, dtype=None):
        self._reduce("sum", result, x, dim, keepdim, dtype)

    _op_sum_dim_IntList = _op_sum

    def _op_mean(self, result, x, dim=None, keepdim=False, *, dtype=None):
        self._reduce("mean", result, x, dim, keepdim, dtype)

    _op_mean_dim = _op_mean

    def _op_softmax(self, result, x, dim):
        nd = max(len(x.shape), 1)
        if dim % nd != nd - 1 or not x._data.flags.c_contiguous:
            raise Unsupported("softmax over a dimension other than the last")
        if self.gathered_softmax(result, x):
            return
        xs = self.slot(x)
        cols = x.shape[-1] if x.shape else 1
        self._row("softmax", self.result(result), [(xs.off, 1)], e=cols)

    def _view(self, result, x):
        base = self.slot(x)
        a, r = x._data, result._data
        if not (a.flags.c_contiguous and r.flags.c_contiguous and r.size):
            raise Unsupported("a view that is not a contiguous block of its base")
        delta, rem = divmod(r.ctypes.data - a.ctypes.data, a.itemsize)
        if rem or delta < 0 or delta + r.size > a.size:
            raise Unsupported("a view outside its base")
        self._check(result)
        s = Slot(base.off + delta, r.size, tuple(r.shape), result._requires_grad)
        self.p.all_slots.append(s)
        self.slots[id(result)] = s
        self.keep.append(result)

    def _op_getitem(self, result, x, key):
        self._view(result, x)

    def _op_view(self, result, x, *shape, dtype=None):   # reshapes: the same block
        self._view(result, x)

    _op_reshape = _op_squeeze = _op_unsqueeze = _op_view

    def _op_select(self, result, x, dim, index):   # x[i] of a tensor that requires grad
        self._view(result, x)


    # -- reverse passes ---------------------------------------------------------------
    def _reverse(self, roots, seeds):
        """Rows computing the gradients of `roots` (seeded by `seeds`, None: 1) into G."""
        p = self.p
        p.emit(("x", "zero_grad"), -1, 0)
        for r, g in zip(roots, seeds):
            s = self.slot(r)
            if g is None:
                if s.n != 1:
                    raise Unsupported("backward of a non-scalar without a gradient")
                p.emit(("x", "seed"), 1, s.off)
            else:
                p.emit(("x", "seed_from"), s.n, s.off, [(self.slot(g).off, 1)])
        for back in reversed(p.forward):
            p.rows.append(list(back))

    def entry_backward(self, tensors, grad_tensors, inputs, create_graph, leaves):
        if create_graph or inputs is not None:
            raise Unsupported("backward(create_graph=True or inputs=...)")
        roots = _as_tuple(tensors)
        seeds = _as_tuple(grad_tensors) if grad_tensors is not None else (None,) * len(roots)
        self._reverse(roots, seeds)
        for leaf, before, after in leaves:
            ls = self.slot(leaf)
            gs = self.p.alloc(ls.shape)
            prev = self.leaf_grad.get(id(leaf))
            if prev is None and id(leaf) not in self.made:
                prev = self._grad_at_start(leaf, before, ls)
            elif prev is _CLEARED:
                prev = None
                self.grad_mode[id(leaf)] = "new"
            if prev is None:
                self.p.emit(("x", "grad_out"), ls.n, gs.off, [(ls.off, 1)])
            else:
                self.p.emit(("x", "add_prev"), ls.n, gs.off, [(prev.off, 1), (ls.off, 1)])
            self.leaf_grad[id(leaf)] = gs
            self.leaf_objs[id(leaf)] = leaf
            self.slots[id(after)] = gs
            self.keep.append(after)

    def _ref(self, leaf):
        """How a replay finds `leaf`: its index among the flat arguments (each call
        passes its own), or the captured tensor itself (see replay.leaf_of)."""
        return self.input_index.get(id(leaf), leaf)

    def _grad_at_start(self, leaf, before, ls):
        """The slot of `leaf`'s .grad as the call finds it (None: it is None), guarded."""
        self.p.grad_guards.append((self._ref(leaf), before is None))
        self.grad_mode[id(leaf)] = "new" if before is None else "inplace"
        if before is None:
            return None
        if before.grad_fn is not None:
            raise Unsupported("a .grad that has a grad_fn (create_graph before)")
        self._check(before)
        prev = self.p.alloc(ls.shape)
        self.p.grads_in.append((self._ref(leaf), prev))
        return prev

    def entry_grad(self, outputs, inputs, grad_outputs, create_graph, batched, result):
        if create_graph or batched:
            raise Unsupported("autograd.grad(create_graph=True or is_grads_batched=True)")
        roots = _as_tuple(outputs)
        seeds = (_as_tuple(grad_outputs) if grad_outputs is not None else (None,) * len(roots))
        self._reverse(roots, seeds)
        for x, r in zip(_as_tuple(inputs), result):
            if r is None:
                continue
            xs = self.slot(x)
            gs = self.p.alloc(xs.shape)
            self.p.emit(("x", "grad_out"), xs.n, gs.off, [(xs.off, 1)])
            self.slots[id(r)] = gs
            self.keep.append(r)

    def finish(self):
        p = self.p
        # a leaf made inside the function is a new tensor per call: its .grad is
        # not written back (it is reachable only through what the function returns)
        p.vocab = vocabulary(p.ops)
        p.code = p.encode(p.rows)
        p.aux_array = np.array(p.aux + [0], dtype=np.int32)
        p.grads_out = [(self._ref(leaf), None if s is _CLEARED else s,
                        "clear" if s is _CLEARED else self.grad_mode[id(leaf)])
                       for leaf, s in ((self.leaf_objs[i], s) for i, s in self.leaf_grad.items())
                       if id(leaf) not in self.made]
        p.writes = self._write_backs()
        p.written = [slot for _, slot, _ in self.writes.values()]
        return p


    def _write_backs(self):
        """("arg", flat index, slot, count) / ("captured", tensor, slot, count): the
        arguments and captured tensors updated in place, copied back after the run.
        Writes into op results or computed .grad need none (their slot is the value)."""
        where = {id(self.keep[k]): ("arg", i) for k, (i, _) in enumerate(self.p.inputs)}
        where.update((id(t), ("captured", t)) for t, _ in self.p.captured)
        out = [where[key] + (slot, count) for key, (_, slot, count) in self.writes.items()
               if key in where]
        if out:
            self._check_no_sharing([self.keep[k] for k in range(len(self.p.inputs))] +
                                   [t for t, _ in self.p.captured])
        return out

    @staticmethod
    def _check_no_sharing(tensors):
        # each of them is a separate copy in the arena: an in-place update of one
        # would not show in another that shares its memory
        if share_memory(tensors):
            raise Unsupported("an in-place update in a function whose tensor "
                              "arguments or captured tensors share memory")


def share_memory(tensors):
    """Whether two of `tensors` may share memory (also a replay's guard)."""
    for j, t in enumerate(tensors):
        for u in tensors[j + 1:]:
            if np.may_share_memory(t._data, u._data):
                return True
    return False


_CLEARED = object()


def _rule_reads(op, row):
    """The ranges a reversed elementwise row reads: what the derivative rules of the
    inputs it differentiates (need bits in e) name, as the eager op saves them."""
    n, out = row[1], row[2]
    where = {name: (row[3 + 2 * j], n if row[4 + 2 * j] else 1)
             for j, name in enumerate(op.inputs)}
    where["out"] = (out, n)
    ranges = []
    for j, name in enumerate(op.inputs):
        if row[9] >> j & 1:
            ranges += [(where[p][0], where[p][0] + where[p][1])
                       for p in op._grad_params[name] if p in where]
    return ranges


def _as_tuple(x):
    if isinstance(x, Tensor) or x is None:
        return (x,)
    return tuple(x)


def _dims(dim, ndim):
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    return [d % max(ndim, 1) for d in dims]
