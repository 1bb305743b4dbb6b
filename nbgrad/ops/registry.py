"""The op declaration form and the registry of every op.

There are two declaration forms; both give one entry per op with its forward,
its backward and what it saves, and both register the op here (`REGISTRY`),
which is what the test op database is checked against.

1. Elementwise ops (`nbgrad.ops.elementwise.elementwise`): the forward and the
   derivative for each input are scalar functions written in the dual
   vocabulary of `nbgrad.ops.scalar`.  The parameter names say what a rule
   needs: ``g`` (incoming gradient), ``x``/``y`` (inputs), ``out`` (result).
   What the op saves follows from them.  Example::

       mul = elementwise("mul", lambda x, y: x * y,
                         grads={"x": lambda g, y: g * y, "y": lambda g, x: g * x})

2. Any other op (`op` below): a forward function that receives a context
   (``ctx``, the node being recorded) and the op's arguments, checks them,
   computes its result with Numba kernels and returns the output buffer(s);
   and a backward function written with nbgrad Tensor ops (so that it is
   differentiable again)::

       @op("sum", node="SumBackward0")
       def sum(ctx, x, dim=None, keepdim=False):
           ...checks...; ctx.shape = x.shape
           return kernels.sum(x._data, ...)

       @sum.backward
       def sum_backward(ctx, g):
           return g.expand(ctx.shape)       # one gradient per Tensor input

   Inputs are the Tensor arguments (and Tensors inside a list argument), in
   order.  ``ctx.save_for_backward(*tensors)`` / ``ctx.saved_tensors`` keep
   tensors with their version; plain attributes keep anything else.
   Outputs with an integer or bool dtype are never differentiable.
"""

import numpy as np

from nbgrad._dtypes import _FLOAT
from nbgrad.autograd import grad_mode, profiler
from nbgrad.autograd.function import saved_of
from nbgrad.autograd.node import (Node, check_saved_version, check_watched, edge_of, flat_edges,
                                  joined_watches, meta_of,
                                  metas_of_one, new_node, shared_metas, watch_input,
                                  watch_output)

__all__ = ["REGISTRY", "op", "register", "tensor_method", "check_saved_version"]

REGISTRY = {}


def register(name, opdef):
    if name in REGISTRY:
        raise ValueError(f"op {name!r} is declared twice")
    REGISTRY[name] = opdef
    return opdef


def tensor_method(*names):
    """Attach the decorated function to Tensor under `names`."""
    def deco(fn):
        from nbgrad.tensor import Tensor
        for n in names:
            setattr(Tensor, n, fn)
        return fn
    return deco


def attach_methods(plain=(), wrapped=()):
    """Tensor methods of the same names: `plain` functions as they are (they take
    the tensor first), `wrapped` ones (ops, whose calls are objects) in a function."""
    for fn in plain:
        tensor_method(fn.__name__)(fn)
    for fn in wrapped:
        tensor_method(fn.__name__)(_as_method(fn))


def _as_method(fn):
    def method(self, *args, **kwargs):
        return fn(self, *args, **kwargs)
    method.__name__ = fn.__name__
    method.__doc__ = fn.__doc__
    return method


class _Ctx:
    """The context a forward function gets when nothing is recorded."""

    needs_input_grad = ()

    def save_for_backward(self, *tensors):
        pass

    def mark_non_differentiable(self, *outputs):
        pass

    def watch(self, *tensors):
        pass


class FunctionNode(Node):
    """Node of a function-style op: a context with attributes and saved tensors."""

    __slots__ = ("__dict__",)

    def save_for_backward(self, *tensors):
        self.saved = tensors
        self.saved_versions = tuple(None if t is None else t._version for t in tensors)
        self.saved_producers = tuple(None if t is None else (t.grad_fn, t._output_nr)
                                     for t in tensors)

    @property
    def saved_tensors(self):
        saved = saved_of(self)
        if saved is None:
            return ()
        for t, v, p in zip(saved, self.saved_versions, self.saved_producers):
            if t is not None:
                check_saved_version(self, t, v, p)
        return saved

    def mark_non_differentiable(self, *outputs):
        self.non_differentiable = outputs

    def watch(self, *tensors):
        """Check these tensors' versions at backward (read there in a derived form)."""
        self.watched = self.watched + joined_watches(watch_input(t) for t in tensors
                                                     if t is not None and hasattr(t, "_data"))


def _tensor_inputs(args, Tensor):
    found = []
    for a in args:
        c = a.__class__
        if c is Tensor:
            found.append(a)
        elif c is list or c is tuple:
            for x in a:
                if isinstance(x, Tensor):
                    found.append(x)
        elif isinstance(a, Tensor):
            found.append(a)
    return found


_T = []   # nbgrad.tensor.Tensor, bound at first call (import cycle)
_ndarray = np.ndarray
# nbgrad.func.vmap's interceptor while a vmap runs, else empty: called as (op, args, kwargs),
# it runs the op's batching rule when an argument is a batched tensor and returns
# NotImplemented otherwise.  A list (filled in place), so that the check costs one lookup.
batch_hook = []
# non-empty while nb.compile's recorder wraps the dispatch points above (FunctionOp and
# Elementwise calls): the ops layer's fast paths that skip them (x[i], x[i, j] = v in
# nbgrad.ops.indexing) step aside then, so that every op is seen
dispatch_wrapped = []


def intercepted():
    """True while a profile, vmap or nb.compile's recording intercepts the ops: the
    fast paths that skip the ops' dispatch step aside then."""
    return bool(batch_hook or profiler.active or dispatch_wrapped)


class FunctionOp:
    """A function-style op (see the module docstring); calling it runs the op."""

    def __init__(self, name, forward, node, view=False):
        self.name = name
        self.forward = forward
        self._backward = None
        self.view = view
        self.node_class = type(node, (FunctionNode,), {"__slots__": (), "op": self,
                                                       "vjp": staticmethod(self.apply_backward)})
        self.__doc__ = forward.__doc__
        self.__name__ = name

    def backward(self, fn):
        """Decorator: set the backward rule; returns the op."""
        self._backward = fn
        return self

    def __call__(self, *args, **kwargs):
        if batch_hook:   # inside nb.func.vmap
            r = batch_hook[0](self, args, kwargs)
            if r is not NotImplemented:
                return r
        if not _T:
            from nbgrad.tensor import Tensor
            _T.append(Tensor)
        inputs = _tensor_inputs(args, _T[0])
        if grad_mode._state.enabled and self._backward is not None:
            for t in inputs:
                if t._requires_grad:
                    ctx = new_node(self.node_class)
                    if len(inputs) == 1:   # most function ops: no list to build
                        x = inputs[0]
                        ctx._next = edge_of(x)   # flat: its node, output number
                        ctx.input_meta = metas_of_one(x._data.shape, x.dtype)
                    else:
                        ctx._next = flat_edges(inputs)
                        ctx.input_meta = shared_metas(tuple([meta_of(t._data.shape, t.dtype)
                                                              for t in inputs]))
                    return self._wrap(ctx, True, inputs, self.forward(ctx, *args, **kwargs))
        return self._wrap(None, False, inputs, self.forward(_Ctx(), *args, **kwargs))

    def _wrap(self, ctx, record, inputs, result):
        Tensor = _T[0]
        if result.__class__ is _ndarray and inputs:
            # the common case, one buffer (new, or a view of the first input): no loop
            t = Tensor._make(result, None, inputs[0].device)
            if self.view:
                t._view_of(inputs[0])
            if record and t.dtype.category == _FLOAT and \
                    "non_differentiable" not in ctx.__dict__:
                t._requires_grad = True
                t.grad_fn = ctx
                _watch_outputs(ctx, (t,))
            return t
        single = result.__class__ is not tuple
        arrays = (result,) if single else result
        device = inputs[0].device if inputs else None
        nondiff = ctx.__dict__.get("non_differentiable", ()) if record else ()
        outs = []
        for i, a in enumerate(arrays):
            if isinstance(a, Tensor):
                t = a
            else:
                t = Tensor._make(a) if device is None else Tensor._make(a, None, device)
            if self.view and inputs:
                t._view_of(inputs[0])
            if record and t.dtype.is_floating_point and not any(a is n for n in nondiff):
                t._requires_grad = True
                t.grad_fn = ctx
                t._output_nr = i
            outs.append(t)
        if record:
            ctx.n_outputs = len(outs)
            _watch_outputs(ctx, outs)
        return outs[0] if single else tuple(outs)

    def apply_backward(self, node, grads):
        if node.watched:
            check_watched(node, node.watched)
        if node.n_outputs > 1:
            grads = _materialize(node, grads)
        result = self._backward(node, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        return result


def _watch_outputs(ctx, outs):
    """Outputs the backward reads must not change in place before it runs.

    A forward keeps an output either as an attribute (``ctx.out``: a view of
    the first output's buffer; ``ctx.idx``: of the last, the indices of
    max/min) or as a saved tensor wrapping the output buffer; both are tied to
    the outputs' version counters here."""
    d = ctx.__dict__
    if "out" in d or "idx" in d:
        kept = ([outs[0]] if "out" in d else []) + ([outs[-1]] if "idx" in d else [])
        ctx.watched = ctx.watched + joined_watches(watch_output(t, ctx) for t in kept)
    saved = ctx.saved
    if not saved:
        return
    versions = list(ctx.saved_versions)
    for k, s in enumerate(saved):
        for t in outs:
            if s is not None and s is not t and s._data is t._data:
                s._version_counter = t._shared_version_counter()
                versions[k] = s._version_counter.value
    ctx.saved_versions = tuple(versions)


def _materialize(node, grads):
    from nbgrad import _factories
    device = next(g.device for g in grads if g is not None)
    out = list(grads)
    for i, g in enumerate(out):
        if g is None:
            shape, dtype = node.metadata[i]
            out[i] = _factories.zeros(shape, dtype=dtype, device=device)
    return out


def op(name, node, view=False):
    """Declare and register a function-style op (see the module docstring)."""
    def deco(forward):
        fop = FunctionOp(name, forward, node, view=view)
        register(name, fop)
        return fop
    return deco


# The engine calls node.apply(grads) -> node.op.backward(node, grads); for a
# FunctionOp `backward` is the decorator, so route the engine through
# `apply_backward` instead.
def _function_node_apply(self, grads):
    return self.op.apply_backward(self, grads)


FunctionNode.apply = _function_node_apply
