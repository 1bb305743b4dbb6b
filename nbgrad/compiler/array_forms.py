"""Host ops replayed an array at a time: the kernels their eager forward and
backward run, called directly on an `ArrayPlan`'s views of the arena.

A `HostCall` replays an op through the op itself: Tensors wrapping the arena,
a node recorded for the backward, the op's checks, about 10-30 us of Python a
call.  For the ops a training step of large tensors is made of (a linear
layer's transpose and addmm or mm, a bias added by hand, an embedding lookup,
log_softmax, nll_loss)
a form here calls the same kernels on views fixed when the plan is built: BLAS
gemm with the layouts found once, writing into the result's slot, and each
input's gradient written into its gradient slot (``"set"``) or added there
(``"add"``), as the plan's analysis of the reverse pass says
(`nbgrad.compiler.arrays`).

`form_of` returns None where a form does not serve the call (another op, other
arguments, layouts BLAS does not read): the row then runs through its HostCall.
"""

import math

import numba
import numpy as np

from nbgrad import _dtypes
from nbgrad.backends.cpu import array, blas, elementwise, nn, reduce
from nbgrad.ops.index_plan import _put as put
from nbgrad.ops.index_plan import _take as take
from nbgrad.ops.indexing import replan
from nbgrad.ops.nn import _contiguous
from nbgrad.ops.registry import REGISTRY

__all__ = ["form_of", "deliver", "into_gradient", "transpose_source"]

_ADD = REGISTRY["add"].forward_family
_ZERO, _ONE = np.float64(0), np.float64(1)


def deliver(target, value, mode):
    """Write ("set") or add ("add") the array `value` into the gradient view `target`."""
    if mode == "set":
        array.copy_into(target, value)
    else:
        elementwise.run(_ADD, [target, value], [target.dtype], target.shape, outs=[target])


def into_gradient(target, mode, kernel):
    """``kernel(out)`` writing a gradient: into `target` itself ("set"), or into a new
    buffer of its shape then added to `target` ("add")."""
    out = target if mode == "set" else np.empty(target.shape, target.dtype)
    kernel(out)
    if mode == "add":
        deliver(target, out, "add")


def transpose_source(call):
    """The input slot of a 2-D transpose (a linear layer's ``weight.t()``), whose
    result can be a view of it instead of a copy; else None."""
    if call.op.name != "transpose" or call.kwargs or len(call.args) != 3:
        return None
    (src,) = call.slots
    if src.__class__ is tuple or len(src.shape) != 2 or \
            {call.args[1] % 2, call.args[2] % 2} != {0, 1}:
        return None
    return src


def form_of(call, views):
    """The form replaying `call` on `views` (an `ArrayPlan`), or None."""
    kind = _FORMS.get(call.op.name)
    if kind is None or call.out.__class__ is tuple or \
            any(s.__class__ is tuple for s in call.slots[:kind.arena_inputs]):
        return None
    try:
        return kind(call, views)
    except _NotServed:
        return None


class _NotServed(Exception):
    pass


class _Form:
    arena_inputs = 1   # how many leading inputs must be arena slots

    def __init__(self, call, views):
        self.call, self.views = call, views
        self.out = call.out
        # (slot, which input) of each input whose gradient the backward writes
        self.targets = [(s, k) for k, s in enumerate(call.slots[:self.arena_inputs])
                        if s.rg and call.out.rg]

    def backward(self, modes):
        """The backward step, `modes` giving "set" or "add" per entry of `targets`."""
        raise NotImplementedError


def _gemm_into(c, a, b, beta):
    """c = a @ b + beta c with BLAS on a C-contiguous `c` or one whose transpose is
    (then c.T = b.T @ a.T).  The forms check the layouts when the plan is built; a
    product BLAS then refuses raises rather than leave `c` unwritten."""
    if not c.flags.c_contiguous:
        c, a, b = c.T, b.T, a.T
    if not blas.gemm_into(c, a, b, beta, numba.get_num_threads()):
        raise RuntimeError(f"nb.compile: BLAS did not take a planned product of "
                           f"{a.shape} and {b.shape} into {c.shape}")


def _calls(parts):
    """A step calling each ``(fn, *args)`` of `parts` in order."""
    def step(state):
        for fn, *args in parts:
            fn(*args)
    return step


class _Addmm(_Form):
    """``bias + m1 @ m2`` (F.linear): the bias broadcast into the result, gemm adding
    the product there; the backward's products written into the gradient slots."""
    arena_inputs = 3
    first = 1   # the input index of m1

    def __init__(self, call, views):
        super().__init__(call, views)
        self._check_arguments(call)
        arrays = [views.a(s) for s in call.slots]
        m1, m2 = arrays[self.first:]
        out = views.a(self.out)
        if m1.ndim != 2 or m2.ndim != 2 or blas.layouts(m1, m2) is None or \
                not out.flags.c_contiguous:
            raise _NotServed
        self.bias = arrays[0] if self.first else None
        if self.first and self.bias.shape not in (out.shape[1:], (1,) + out.shape[1:],
                                                  out.shape):
            raise _NotServed
        self.m1, self.m2, self.o = m1, m2, out
        for slot, k in self.targets:
            if k < self.first:
                continue
            a, b = self._factors(k, out)
            target = views.g(slot)
            if blas.layouts(a, b) is None or not (target.flags.c_contiguous or
                                                  target.T.flags.c_contiguous):
                raise _NotServed

    @staticmethod
    def _check_arguments(call):
        if call.kwargs.get("beta", 1) != 1 or call.kwargs.get("alpha", 1) != 1 or \
                set(call.kwargs) - {"beta", "alpha"}:
            raise _NotServed

    def _factors(self, k, g):
        """The product giving input k's gradient (m1's or m2's) from g."""
        return (g, self.m2.T) if k == self.first else (self.m1.T, g)

    def forward(self, state):
        if self.bias is None:
            _gemm_into(self.o, self.m1, self.m2, 0.0)
        else:
            array.copy_into(self.o, self.bias)
            _gemm_into(self.o, self.m1, self.m2, 1.0)

    def backward(self, modes):
        g = self.views.g(self.out)
        parts = []
        for (slot, k), mode in zip(self.targets, modes):
            target = self.views.g(slot)
            if k < self.first:
                parts.append(self._bias_gradient(g, target, mode))
            else:
                a, b = self._factors(k, g)
                parts.append((_gemm_into, target, a, b, 0.0 if mode == "set" else 1.0))

        return _calls(parts)

    @staticmethod
    def _bias_gradient(g, target, mode):
        if target.shape == g.shape:
            return (deliver, target, g, mode)
        rows = g.reshape(1, g.shape[0], g.shape[1])
        return (into_gradient, target.reshape(1, -1), mode,
                lambda out: reduce.sum_arb(rows, out, _ZERO, _ONE))


class _Mm(_Addmm):
    """``m1 @ m2`` of 2-D tensors (``x @ w``, a Linear without bias): gemm writing
    the result's slot."""
    arena_inputs = 2
    first = 0

    @staticmethod
    def _check_arguments(call):
        if call.kwargs or len(call.args) != 2:
            raise _NotServed


class _AddRow(_Form):
    """``x + b`` of a 2-D x and a row b broadcast over it (``x @ w + b``, a bias added
    by hand): the eager add kernel (its rows loop) writing the result's slot; x's
    gradient is g, b's the sum of g's rows."""
    arena_inputs = 2

    def __init__(self, call, views):
        super().__init__(call, views)
        if call.kwargs or len(call.args) != 2:
            raise _NotServed
        self.x, self.y = (views.a(s) for s in call.slots)
        self.o = views.a(self.out)
        full = self.o.shape
        row = (full[1:], (1,) + full[1:])
        if len(full) != 2 or not self.o.flags.c_contiguous or not (
                self.x.shape == full and self.y.shape in row or
                self.y.shape == full and self.x.shape in row):
            raise _NotServed

    def forward(self, state):
        o = self.o
        elementwise.run(_ADD, [self.x, self.y], [o.dtype], o.shape, outs=[o])

    def backward(self, modes):
        g = self.views.g(self.out)
        return _calls([_Addmm._bias_gradient(g, self.views.g(slot), mode)
                       for (slot, _), mode in zip(self.targets, modes)])


class _Gather(_Form):
    """``x[ix]`` of an arena tensor by one index tensor (an embedding lookup
    ``C[X[ix]]``): the index planned again from each call's index tensor, the eager
    take kernel writing the result's slot, the eager put kernel (accumulating, as
    ``index_put``) making x's gradient."""

    def __init__(self, call, views):
        super().__init__(call, views)
        if call.kwargs or len(call.args) != 2 or len(call.positions) != 2 or \
                len(call.positions[1]) != 3:
            raise _NotServed
        self.x, self.template = views.a(call.slots[0]), call.args[1]
        self.index, self.o = call.slots[1], views.a(self.out)
        if not self.o.flags.c_contiguous:   # take writes it through a reshape
            raise _NotServed
        self.key = id(self)

    def forward(self, state):
        plan = replan(self.template, [self.views.source(self.index, state)])
        take(self.x, plan, None, out=self.o)
        state[self.key] = plan

    def backward(self, modes):
        ((slot, _),), (mode,) = self.targets, modes
        target, g = self.views.g(slot), self.views.g(self.out)

        def gradient(gx, plan):
            array.fill(gx, 0)
            put(gx, plan, g.reshape(plan.out_shape), True)
        return lambda state: into_gradient(target, mode,
                                           lambda gx: gradient(gx, state[self.key]))


def _canonical(shape, dim):
    return (math.prod(shape[:dim]), shape[dim] if shape else 1, math.prod(shape[dim + 1:]))


class _Softmax(_Form):
    """softmax / log_softmax over one dimension, with their eager kernels."""

    def __init__(self, call, views):
        super().__init__(call, views)
        if call.kwargs or len(call.args) != 2 or not isinstance(call.args[1], int):
            raise _NotServed
        x = views.a(call.slots[0])
        if not x.size or not x.flags.c_contiguous:
            raise _NotServed
        shape3 = _canonical(x.shape, call.args[1] % max(x.ndim, 1))
        self.log = call.op.name == "log_softmax"
        self.x3, self.o3 = x.reshape(shape3), views.a(self.out).reshape(shape3)
        self.shape3 = shape3

    def forward(self, state):
        nn.softmax(self.x3, self.o3, self.log)

    def backward(self, modes):
        ((slot, _),), (mode,) = self.targets, modes
        g3 = self.views.g(self.out).reshape(self.shape3)
        target = self.views.g(slot).reshape(self.shape3)
        o3, log = self.o3, self.log
        return lambda state: into_gradient(
            target, mode, lambda gx: nn.softmax_backward(g3, o3, gx, log))


class _NllLoss(_Form):
    """nll_loss with class-index targets, no weight, reduced ('mean' or 'sum'): the
    targets checked on every call (an out-of-range class raises as eagerly)."""

    def __init__(self, call, views):
        super().__init__(call, views)
        args = call.args
        if call.kwargs or len(args) != 5 or args[2] is not None or \
                args[4] not in ("mean", "sum") or len(call.slots) != 2:
            raise _NotServed
        x = views.a(call.slots[0])
        xs = x.shape
        if len(xs) < 2 or not x.flags.c_contiguous or not x.size:
            raise _NotServed
        self.N, self.C, self.D = xs[0], xs[1], math.prod(xs[2:])
        self.x3 = x.reshape(self.N, self.C, self.D)
        self.ignore, self.reduction = int(args[3]), args[4]
        self.weight = np.ones(self.C, x.dtype)
        self.loss = views.a(self.out)
        self.key = id(self)

    def _targets(self, state):
        t = self.views.source(self.call.slots[1], state)
        t2 = _contiguous(t._data, _dtypes.int64).reshape(self.N, self.D)
        bad, value = nn.class_targets_bad(t2.reshape(-1), self.C, self.ignore)
        if bad:
            raise IndexError(f"Target {value} is out of bounds.")
        return t2

    def forward(self, state):
        t2 = self._targets(state)
        losses = np.empty((self.N, self.D), self.x3.dtype)
        total, wsum = nn.nll(self.x3, t2, self.weight, self.ignore, losses)
        self.loss[()] = nn.reduced_loss(total, wsum, self.reduction, self.x3.dtype)
        mean = self.reduction == "mean"
        state[self.key] = (t2, 1.0 / wsum if mean and wsum else (math.nan if mean else 1.0))

    def backward(self, modes):
        ((slot, _),), (mode,) = self.targets, modes
        target = self.views.g(slot).reshape(self.x3.shape)
        g = self.views.g(self.out).reshape(1, 1)

        def step(state):
            t2, scale = state[self.key]
            into_gradient(target, mode, lambda gx: nn.nll_backward(
                t2, self.weight, self.ignore, g, scale, gx))
        return step


_FORMS = {"addmm": _Addmm, "mm": _Mm, "log_softmax": _Softmax, "softmax": _Softmax,
          "nll_loss": _NllLoss, "add": _AddRow, "index": _Gather}
