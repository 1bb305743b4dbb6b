"""User-defined differentiable operations.

- `Function`: PyTorch's ``torch.autograd.Function``: a class with static
  ``forward(ctx, *args)`` and ``backward(ctx, *grads)``, used through
  ``MyFn.apply(...)``.  The context is the graph node itself (class
  ``MyFnBackward``) with ``save_for_backward``/``saved_tensors`` (version
  checked), ``needs_input_grad``, ``mark_non_differentiable``, ``mark_dirty``
  and ``set_materialize_grads``.
- `once_differentiable`: a backward that may not be differentiated again.
- `stack` / `stack_arrays` / `select` / `select_array`: stacking along and
  indexing a leading dim on the tensors' own device (CPU or CUDA), used by the
  engine's batched gradients and by ``autograd.functional``.
"""

import functools

from nbgrad._device import cuda_device
from nbgrad.autograd import grad_mode
from nbgrad.autograd.buffers import zeros
from nbgrad.autograd.node import (SAVED_FREED_MESSAGE, Node, check_saved_version, flat_edges,
                                  new_node)
from nbgrad.backends import dispatch
from nbgrad.tensor import Tensor

__all__ = ["Function", "FunctionCtx", "BackwardCFunction", "once_differentiable", "stack",
           "stack_arrays", "select", "select_array", "saved_of"]


class FunctionCtx:
    """The methods a custom Function's ``ctx`` offers (mixed into its node class)."""

    __slots__ = ()

    def save_for_backward(self, *tensors):
        """Keep `tensors` (or None) for backward; read them with ``ctx.saved_tensors``."""
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save variables, but argument {i} "
                                f"is not a Tensor or None (got {type(t).__name__})")
        self.to_save = tensors

    def mark_non_differentiable(self, *tensors):
        """Outputs among `tensors` do not require grad (their gradient is zero)."""
        self.non_differentiable = tensors

    def mark_dirty(self, *tensors):
        """Inputs among `tensors` were modified in place by forward (and returned)."""
        self.dirty_tensors = tensors

    def set_materialize_grads(self, value):
        """False: backward may receive None for outputs that got no gradient."""
        self.materialize_grads = bool(value)


class _SavedOutput:
    """An output saved for backward, stored without the output Tensor (which
    points at this node: a reference cycle)."""

    __slots__ = ("data", "dtype", "device", "counter", "output_nr")

    def __init__(self, t):
        self.data, self.dtype, self.device = t._data, t.dtype, t.device
        self.counter = t._shared_version_counter()
        self.output_nr = t._output_nr


def saved_of(node):
    """`node`'s saved tuple (None while its forward runs); RuntimeError once a
    backward without ``retain_graph`` has freed it."""
    if node.released:
        raise RuntimeError(SAVED_FREED_MESSAGE)
    return node.saved


class BackwardCFunction(Node, FunctionCtx):
    """Node (and ctx) of a custom Function; subclasses are named ``<Fn>Backward``."""

    __slots__ = ("__dict__",)
    _forward_cls = None
    needs_input_grad = ()   # set per call by Function.apply (shadows Node's property)

    @property
    def saved_tensors(self):
        saved = saved_of(self)
        if saved is None:
            return getattr(self, "to_save", ())   # forward is still running
        out = []
        for t, v in zip(saved, self.saved_versions):
            if t.__class__ is _SavedOutput:
                s = Tensor._make(t.data, t.dtype, t.device)
                s._version_counter = t.counter
                check_saved_version(self, s, v, (self, t.output_nr))
                if grad_mode._state.enabled:   # create_graph: the output's own history
                    s._requires_grad = True
                    s.grad_fn = self
                    s._output_nr = t.output_nr
                t = s
            elif t is not None:
                check_saved_version(self, t, v)
            out.append(t)
        return tuple(out)

    @property
    def saved_variables(self):
        return self.saved_tensors

    def apply(self, grads):
        """Run the user's backward; check and return one gradient per forward input."""
        cls = self._forward_cls
        grads = list(grads)
        if getattr(self, "materialize_grads", True):
            device = next((g.device for g in grads if g is not None), None)
            for i, g in enumerate(grads):
                if g is None and self.out_meta[i] is not None:
                    shape, dtype = self.out_meta[i]
                    grads[i] = zeros(shape, dtype, device)
        result = cls.backward(self, *grads)
        if not isinstance(result, tuple):
            result = (result,)
        n = len(self._next) // 2
        name = type(self).__name__
        if len(result) != n:
            if len(result) > n and all(r is None for r in result[n:]):
                result = result[:n]
            else:
                raise RuntimeError(f"function {name} returned an incorrect number of gradients "
                                   f"(expected {n}, got {len(result)})")
        return _checked(name, result, self.input_meta, self.input_devices)


def _checked(name, result, metas, devices):
    """A custom backward's gradients checked against its inputs, as PyTorch's
    validate_outputs: none for a non-Tensor input, a shape that sums to the
    input's, the input's device (a 0-d gradient is moved there)."""
    for i, (r, meta) in enumerate(zip(result, metas)):
        if r is None:
            continue
        if meta is None:
            raise RuntimeError(f"function {name} returned a gradient different than None at "
                               f"position {i + 1}, but the corresponding forward input was "
                               "not a Variable")
        shape = meta[0]
        if r._data.shape != shape and not _reducible(r._data.shape, shape):
            raise RuntimeError(f"Function {name} returned an invalid gradient at index {i} "
                               f"- got {list(r._data.shape)} but expected shape compatible "
                               f"with {list(shape)}")
        device = devices[i]
        if r.device is not device and r.device != device:
            if r._data.ndim:
                raise RuntimeError(f"Function {name} returned an invalid gradient at index {i} "
                                   f"- expected device {device} but got {r.device}")
            result = result[:i] + (r.to(device),) + result[i + 1:]
    return result


def _reducible(have, want):
    lead = len(have) - len(want)
    return lead >= 0 and all(w == 1 or w == h for w, h in zip(want, have[lead:]))


class _FunctionMeta(type):
    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        node_name = attrs.get("_node_name", name + "Backward")
        cls._backward_cls = type(node_name, (BackwardCFunction,),
                                 {"__slots__": (), "_forward_cls": cls})


class Function(metaclass=_FunctionMeta):
    """Base of user-defined differentiable operations.

    >>> class Exp(nb.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         y = x.exp()
    ...         ctx.save_for_backward(y)
    ...         return y
    ...     @staticmethod
    ...     def backward(ctx, g):
    ...         (y,) = ctx.saved_tensors
    ...         return g * y
    >>> Exp.apply(nb.zeros(2, requires_grad=True)).grad_fn
    <ExpBackward object at 0x...>
    """

    _always_record = False   # record even when no input requires grad (DelayedError)

    def __init__(self, *args, **kwargs):
        pass

    def __call__(self, *args, **kwargs):
        raise RuntimeError("Legacy autograd function with non-static forward method is "
                           "deprecated. Please use new-style autograd function with static "
                           "forward method. (Example: "
                           "https://pytorch.org/docs/stable/autograd.html#torch.autograd.Function)")

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for "
                                  "your custom autograd.Function to use it with backward "
                                  "mode AD.")

    vjp = backward

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise NotImplementedError("You must implement the jvp function for custom "
                                  "autograd.Function to use it with forward mode AD.")

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run forward (unrecorded) and record one node for the whole call."""
        record = False
        if grad_mode._state.enabled:
            record = cls._always_record
            for a in args:
                if isinstance(a, Tensor) and a._requires_grad:
                    record = True
                    break
        ctx = new_node(cls._backward_cls)
        ctx._next = flat_edges([a if isinstance(a, Tensor) else None for a in args])
        ctx.input_meta = tuple((a._data.shape, a.dtype) if isinstance(a, Tensor) else None
                               for a in args)
        ctx.input_devices = tuple(a.device if isinstance(a, Tensor) else None for a in args)
        ctx.needs_input_grad = tuple(record and isinstance(a, Tensor) and a._requires_grad
                                     for a in args)
        custom_setup = cls.setup_context is not Function.setup_context
        with grad_mode.no_grad():
            if custom_setup:
                output = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, output)
            else:
                output = cls.forward(ctx, *args, **kwargs)
        return _process_outputs(ctx, args, output, record)


def _process_outputs(ctx, args, output, record):
    single = not isinstance(output, tuple)
    outs = [output] if single else list(output)
    dirty = getattr(ctx, "dirty_tensors", ())
    nondiff = getattr(ctx, "non_differentiable", ())
    name = type(ctx).__name__
    for i, o in enumerate(outs):
        if not isinstance(o, Tensor):
            continue
        is_dirty = any(o is d for d in dirty)
        if is_dirty:
            if record and o.grad_fn is None and o._requires_grad:
                raise RuntimeError("a leaf Variable that requires grad has been used in an "
                                   f"in-place operation ({name}, shape {list(o._data.shape)}).")
        elif any(o is a for a in args):
            # an input returned as is: the output is a new tensor on the same storage
            alias = Tensor._make(o._data, o.dtype, o.device)
            alias._view_of(o)
            outs[i] = o = alias
        if record and o.dtype.is_floating_point and not any(o is n for n in nondiff):
            o._requires_grad = True
            o.grad_fn = ctx
            o._output_nr = i
        elif is_dirty and record:
            o.grad_fn = None
    if not record:
        ctx.__dict__.pop("to_save", None)
        return outs[0] if single else tuple(outs)
    ctx.n_outputs = len(outs)
    ctx.out_meta = tuple((o._data.shape, o.dtype) if isinstance(o, Tensor) else None
                         for o in outs)
    to_save = ctx.__dict__.pop("to_save", None)
    if to_save is not None:
        saved, versions = [], []
        for t in to_save:
            if t is not None and t.grad_fn is ctx:
                t = _SavedOutput(t)
                versions.append(t.counter.value)
            else:
                versions.append(None if t is None else t._version)
            saved.append(t)
        ctx.saved = tuple(saved)
        ctx.saved_versions = tuple(versions)
    return outs[0] if single else tuple(outs)


class _DelayedError(Function):
    """Attached to the results of a once-differentiable backward under create_graph."""

    _node_name = "DelayedError"
    _always_record = True

    @staticmethod
    def forward(ctx, t):
        return t

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError("trying to differentiate twice a function that was marked with "
                           "@once_differentiable")


def once_differentiable(backward):
    """Decorator for ``Function.backward``: it runs without recording, and
    differentiating its result again raises a RuntimeError.

    >>> @staticmethod
    ... @nb.autograd.once_differentiable
    ... def backward(ctx, g): ...
    """
    @functools.wraps(backward)
    def wrapper(ctx, *args):
        with grad_mode.no_grad():
            result = backward(ctx, *args)
        if not grad_mode.is_grad_enabled():
            return result
        if not any(isinstance(a, Tensor) and a._requires_grad for a in args):
            return result
        single = not isinstance(result, tuple)
        res = (result,) if single else result
        res = tuple(_DelayedError.apply(r) if isinstance(r, Tensor) and
                    r.dtype.is_floating_point else r for r in res)
        return res[0] if single else res
    return wrapper


# -- stacking (batched gradients, jacobians) -----------------------------------

def stack_arrays(arrays, like):
    """A new Tensor stacking `arrays` (None: a zero row) along a new first dim,
    on the device of the Tensor `like`, with its shape and dtype.  The copies
    and zero fills run as kernels of that device's backend."""
    shape, dtype, device = tuple(like._data.shape), like.dtype, like.device
    backend = dispatch.backend(device)
    for a in arrays:
        if a is not None and dispatch.backend_for(a) is not backend:
            other = "cpu" if dispatch.backend_for(a).name == "cpu" else cuda_device()
            raise RuntimeError(f"stack: Expected all tensors to be on the same device, but "
                               f"found at least two devices, {device} and {other}!")
    out = backend.empty((len(arrays),) + shape, dtype.np)
    for b, a in enumerate(arrays):
        row = select_array(out, b)
        if a is None:
            backend.fill(row, 0)
        elif row.size:
            backend.copy_into(row, a)
    return Tensor._make(out, dtype, device)


def select_array(a, i):
    """Array `a`'s row `i` along the first dim: a view on either device (a 0-d
    view for a 1-D `a`, where NumPy's ``a[i]`` would give a scalar)."""
    return dispatch.backend_for(a).getitem(a, (i, Ellipsis))


class _Stack(Function):
    _node_name = "StackBackward0"

    @staticmethod
    def forward(ctx, *tensors):
        return stack_arrays([t._data for t in tensors], tensors[0])

    @staticmethod
    def backward(ctx, g):
        return tuple(select(g, i) for i in range(g._data.shape[0]))


class _Select(Function):
    _node_name = "SelectBackward0"

    @staticmethod
    def forward(ctx, t, i):
        ctx.index, ctx.batch = i, t._data.shape[0]
        return Tensor._make(select_array(t._data, i), t.dtype, t.device)

    @staticmethod
    def backward(ctx, g):
        return _SelectScatter.apply(g, ctx.index, ctx.batch), None


class _SelectScatter(Function):
    _node_name = "SelectBackwardBackward0"

    @staticmethod
    def forward(ctx, g, i, batch):
        ctx.index = i
        rows = [None] * batch
        rows[i] = g._data
        return stack_arrays(rows, g)

    @staticmethod
    def backward(ctx, gg):
        return select(gg, ctx.index), None, None


def select(t, i):
    """Differentiable ``t[i]`` along the first dim (a view)."""
    return _Select.apply(t, i)


def stack(tensors):
    """Differentiable stack of same-shape tensors along a new first dim."""
    tensors = list(tensors)
    shape, device = tensors[0]._data.shape, tensors[0].device
    for t in tensors:
        if t._data.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(shape)} and {list(t._data.shape)}")
        if t.device != device:
            raise RuntimeError(f"stack: Expected all tensors to be on the same device, but "
                               f"found at least two devices, {device} and {t.device}!")
    return _Stack.apply(*tensors)

