"""Elementwise ops: the declaration form and the apply/backward machinery.

``elementwise(name, forward, grads, ...)`` declares an op from scalar functions
in the dual vocabulary (`nbgrad.ops.scalar`).  From that one entry:
- the forward kernel and a fused backward kernel (all needed input gradients
  in one pass) are `KernelFamily` declarations (`nbgrad.backends.family`),
  which the backend of the tensors' device compiles (``run``);
- with ``create_graph=True`` the same derivative functions are called on
  Tensors, so the backward pass is recorded and differentiable again;
- the saved values are exactly the names the derivatives use (``x``, ``y``,
  ``out``), kept only for inputs that require grad.

Arguments may be Tensors or Python/NumPy scalars on either side; shapes
broadcast; dtypes promote as in PyTorch (`nbgrad._dtypes.result_type`).
Kernels run on the first tensor argument's device (`nbgrad.backends.dispatch`);
C-contiguous CPU tensors of one shape and dtype take a fast path straight to
the CPU backend's flat kernel.  `Elementwise.__call__` is longer than 60 lines
on purpose: it is the hot path of every elementwise op, and splitting it would
add a Python call to each.
"""

import numpy as np

from nbgrad import _dtypes
from nbgrad._device import cpu_device
from nbgrad._dtypes import _BOOL as _BOOL_CATEGORY
from nbgrad._dtypes import _FLOAT
from nbgrad.autograd import batching, grad_mode
from nbgrad.autograd.node import (
    SAVED_FREED_MESSAGE,
    check_watched,
    edge_of,
    metas_of_flat,
    new_node,
    node_class,
    watch_input,
    watch_output,
)
from nbgrad.backends import dispatch
from nbgrad.backends.cpu import elementwise as cpu
from nbgrad.backends.family import KernelFamily, param_names
from nbgrad.ops.registry import batch_hook, register

__all__ = ["Elementwise", "elementwise", "declare", "broadcast_shapes", "pass_through"]


def pass_through(g):
    """The derivative rule 'the gradient is g itself' (add, sub): no kernel runs."""
    return g

_Tensor = []  # nbgrad.tensor.Tensor, bound on first use (import cycle)
# Tensor subclasses that are plain tensors to an op (nn.Parameter, nn.Buffer register
# themselves): they take the fast path too.  A batched tensor (nb.func.vmap) never does.
plain_subclasses = set()


def _tensor_cls():
    if not _Tensor:
        from nbgrad.tensor import Tensor
        _Tensor.append(Tensor)
    return _Tensor[0]


def broadcast_shapes(op, a, b):
    """The broadcast of shapes `a` and `b`; RuntimeError naming both otherwise."""
    if a == b:
        return a
    n = max(len(a), len(b))
    pa = (1,) * (n - len(a)) + tuple(a)
    pb = (1,) * (n - len(b)) + tuple(b)
    out = []
    for i, (p, q) in enumerate(zip(pa, pb)):
        if p == q or q == 1:
            out.append(p)
        elif p == 1:
            out.append(q)
        else:
            raise RuntimeError(
                f"{op}: The size of tensor a ({p}) must match the size of tensor b ({q}) at "
                f"non-singleton dimension {i} (shapes {list(a)} and {list(b)})")
    return tuple(out)


class Elementwise:
    """An elementwise op declared from scalar functions (see `elementwise`)."""

    # Python/NumPy scalar arguments wrap to the compute dtype, as PyTorch's arithmetic
    # does (int8 + 1000 adds -24); ops where PyTorch checks them instead (clamp bounds,
    # a pow exponent) set this, and get its RuntimeError for a value out of range.
    checked_scalars = False
    batch_rule = staticmethod(batching.native)   # rules broadcast over a leading batch dim

    def __init__(self, name, forward, grads, node, out_dtype):
        if node is None:
            node = name.capitalize() + "Backward0"
        self.name = name
        self.inputs = param_names(forward)
        self.grads = grads or {}
        self.out_dtype = out_dtype
        self.differentiable = bool(self.grads) and out_dtype != "bool"
        self.forward_family = KernelFamily(name, [forward])
        self.forward_fn = forward
        self._backward_plans = {}   # needs -> (kernel family, output layout)
        self.node_class = node_class(node, self) if self.differentiable else None
        # which saved names each input's gradient needs
        self._needs = {i: tuple(p for p in param_names(self.grads[i]) if p != "g")
                       for i in self.grads}
        self._grad_list = [self.grads.get(n) for n in self.inputs]
        self._grad_params = {n: param_names(f) for n, f in self.grads.items()}
        self.arity = len(self.inputs)
        self._plans = {}   # _record's plan per set of arguments that require grad

    # -- forward ------------------------------------------------------------
    def __call__(self, *args):
        Tensor = _Tensor[0] if _Tensor else _tensor_cls()
        if len(args) != self.arity:
            raise TypeError(f"{self.name}() takes {self.arity} arguments ({len(args)} given)")
        # The fast path, one pass: C-contiguous CPU tensors of one shape and dtype,
        # and Python floats and ints that keep that dtype (PyTorch's rule).  The
        # buffers go to the flat kernel as they are; anything else (broadcasting,
        # promotion, views, devices, errors) takes `_general`.
        first = None
        pattern = ""
        kargs = []
        requires = deferred = False
        for a in args:
            c = a.__class__
            if c is Tensor or c in plain_subclasses:
                d = a._data
                if first is None:
                    first = a
                    shape = d.shape
                    dtype = a.dtype
                elif d.shape != shape or a.dtype is not dtype:
                    break
                if a.device is not cpu_device or not d.flags.c_contiguous:
                    break
                kargs.append(d.ravel())
                pattern += "a"
                if a._requires_grad:
                    requires = True
            elif c is float or c is int:
                pattern += "s"
                if c is int and not _INT64_MIN <= a <= _UINT64_MAX:
                    break   # PyTorch's OverflowError, from _general
                if first is None:   # converted below, once the dtype is known
                    deferred = True
                    kargs.append(a)
                elif dtype.category == _FLOAT or (c is int and dtype.category != _BOOL_CATEGORY):
                    try:
                        kargs.append(dtype.np.type(a))   # _scalars_keep's rule, inlined
                    except OverflowError:   # beyond the dtype: _general wraps it as PyTorch
                        break
                else:
                    break
            else:
                break
        else:
            if first is not None and (self.out_dtype != "float" or dtype.category == _FLOAT):
                cnp = dtype.np
                if deferred:   # a scalar came before the first tensor
                    if not _scalars_keep(dtype, args):
                        return self._general(args, Tensor)
                    try:
                        kargs = [cnp.type(k) if p == "s" else k for k, p in zip(kargs, pattern)]
                    except OverflowError:   # beyond the dtype: _general wraps it as PyTorch
                        return self._general(args, Tensor)
                n = first._data.size
                fam = self.forward_family
                key = (pattern, "flat", n >= cpu.PARALLEL_THRESHOLD)
                k = fam._kernels.get(key)
                if k is None:
                    k = cpu.kernel(fam, *key)
                if self.out_dtype == "bool":
                    out = np.empty(shape, np.bool_)
                    if n:
                        k(*kargs, out.ravel())
                    return Tensor._make(out, _dtypes.bool, cpu_device)
                try:
                    out = np.empty(shape, cnp)
                except MemoryError:   # _general's allocation raises PyTorch's RuntimeError
                    return self._general(args, Tensor)
                if n:
                    k(*kargs, out.ravel())
                result = Tensor._make(out, dtype, cpu_device)
                if requires and self.differentiable and grad_mode._state.enabled:
                    self._record(args, result, out, dtype, Tensor)
                return result
        return self._general(args, Tensor)

    def _general(self, args, Tensor):
        """Any arguments: checks, broadcasting, promotion, devices (see __call__)."""
        for a in args:
            if a.__class__ is not Tensor and a.__class__ not in _PY_SCALARS:
                # a batched tensor (nb.func.vmap) is a Tensor subclass: never the fast path
                if batch_hook and isinstance(a, Tensor):
                    r = batch_hook[0](self, args, None)
                    if r is not NotImplemented:
                        return r
                args = _numpy_operands(args)
                break
        # one pass over the arguments: devices, broadcast shape, dtypes, grad
        first = None
        mixed = scalars = requires = False
        for a in args:
            if isinstance(a, Tensor):
                if first is None:
                    first, shape, dtype = a, a._data.shape, a.dtype
                else:
                    if a.device is not first.device:
                        raise RuntimeError(
                            f"{self.name}: Expected all tensors to be on the same device, but "
                            f"found at least two devices, {first.device} and {a.device}!")
                    if a._data.shape != shape:
                        shape = broadcast_shapes(self.name, shape, a._data.shape)
                    if a.dtype is not dtype:
                        mixed = True
                if a._requires_grad:
                    requires = True
            elif a.__class__ in _PY_SCALARS or isinstance(a, (np.number, np.bool_)):
                scalars = True
            else:
                raise TypeError(f"{self.name}(): unsupported argument of type "
                                f"{type(a).__name__}; expected a Tensor or a number")
        if first is None:
            raise TypeError(f"{self.name}(): expected at least one Tensor argument, got "
                            + ", ".join(type(a).__name__ for a in args))
        if mixed or (scalars and not _scalars_keep(dtype, args)):
            dtype = _dtypes.result_type(*args)
        compute = dtype
        if self.out_dtype == "float" and dtype.category != _FLOAT:
            compute = _dtypes.get_default_dtype()
        cnp = compute.np
        value = _dtypes.checked_scalar if self.checked_scalars else _dtypes.scalar_value
        kargs = [(a._data if a.dtype is compute else _cast(a._data, compute))
                 if isinstance(a, Tensor) else value(a, compute) for a in args]
        run = cpu.run if first.device is cpu_device else dispatch.backend(first.device).run
        if self.out_dtype == "bool":
            out = run(self.forward_family, kargs, _BOOL_OUT, shape)[0]
            return Tensor._make(out, _dtypes.bool, first.device)
        out = run(self.forward_family, kargs, [cnp], shape)[0]
        result = Tensor._make(out, compute, first.device)
        if requires and self.differentiable and grad_mode._state.enabled:
            self._record(args, result, out, compute, Tensor)
        return result

    def _record(self, args, result, out, compute, Tensor):
        node = new_node(self.node_class)
        edges = []   # flat: node, output number of each argument (see node.edge_of)
        metas = []
        key = 0   # bit i: argument i is a tensor that requires grad
        bit = 1
        for a in args:
            if a.__class__ is Tensor or isinstance(a, Tensor):
                edges += edge_of(a)
                metas.append(a._data.shape)
                metas.append(a.dtype)
                if a._requires_grad:
                    key |= bit
            else:
                edges += _NO_EDGE
                metas.append(None)
            bit <<= 1
        if key == 3 and self.arity == 2 and args[0] is args[1]:
            key = _SAME_TENSOR   # x op x: one fused gradient (see _plan)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plan(key)
        needs, saved_args, save_out, params_by_dtype = plan
        node._next = tuple(edges)
        node.input_meta = metas_of_flat(tuple(metas))   # shared: see node.meta_of
        if saved_args or save_out:
            saved = {}
            watched = ()   # flat: one tuple for all watches (see node.watch_input)
            for i, name in saved_args:
                a = args[i]
                saved[name] = a
                if a.__class__ is Tensor or isinstance(a, Tensor):
                    watched += watch_input(a)
            if save_out:
                saved["out"] = out
                watched += watch_output(result, node)
            node.saved = saved
            node.watched = watched
        else:
            node.saved = {}
        params = params_by_dtype.get(compute)
        if params is None:   # one shared tuple per (dtype, needs): see node.meta_of
            params = params_by_dtype[compute] = (compute, needs)
        node.params = params
        result._requires_grad = True
        result.grad_fn = node

    def _plan(self, key):
        """(needs, saved arguments as (index, name), whether `out` is saved) when
        the arguments flagged in bitmask `key` require grad.  `_SAME_TENSOR`:
        both arguments are one tensor; needs is then (True, _SAME), and the
        backward kernel writes the sum of both gradients once (no second
        buffer, no separate add in the engine)."""
        same = key == _SAME_TENSOR
        bits = 3 if same else key
        needs = []
        wanted = set()
        for i, name in enumerate(self.inputs):
            need = bool(bits >> i & 1) and name in self._needs
            needs.append(need)
            if need:
                wanted.update(self._needs[name])
        if same and all(needs):
            needs[1] = _SAME
        plan = (tuple(needs),
                tuple((i, n) for i, n in enumerate(self.inputs) if n in wanted),
                "out" in wanted, {})   # the last: compute dtype -> the nodes' params
        self._plans[key] = plan
        return plan

    def into(self, out, *args):
        """Write ``op(*args)`` into tensor `out`'s buffer (not recorded); returns out.

        The building block of in-place ops; bumps `out`'s version."""
        Tensor = _tensor_cls()
        kargs = [_kernel_arg(a, out.dtype, Tensor) for a in args]
        run = cpu.run if out.device is cpu_device else dispatch.backend(out.device).run
        run(self.forward_family, kargs, [out.dtype.np], tuple(out._data.shape),
            outs=[out._data])
        out._bump_version()
        return out

    def into_flat(self, out, kargs):
        """`into` when the caller has checked everything (the in-place fast path of
        `nbgrad.ops.inplace`): `out` a C-contiguous CPU tensor, `kargs` the operands
        after it, flat arrays of its size or scalars of its dtype.  Bumps out's version."""
        cpu.write_flat(self.forward_family, out._data.ravel(), kargs)
        out._bump_version()
        return out

    # -- backward -----------------------------------------------------------
    def backward(self, node, grads):
        saved = node.saved
        if saved is None:
            if node.released:
                raise RuntimeError(SAVED_FREED_MESSAGE)
            saved = {}
        if node.watched:
            check_watched(node, node.watched)
        g = grads[0]
        compute, needs = node.params
        Tensor = _Tensor[0]
        if not grad_mode._state.enabled:
            plan = self._backward_plans.get(needs)
            if plan is None:
                plan = self._backward_plan(needs)
            fam, layout = plan
            if fam is None:  # every needed gradient is g itself
                return tuple(g if need else None for need in needs)
            gd = g._data if g.dtype is compute else _cast(g._data, compute)
            args = []
            for n in fam.arg_names:
                if n == "g":
                    args.append(gd)
                elif n == "out":
                    args.append(saved["out"])
                else:
                    v = saved[n]
                    args.append(v._data if v.__class__ is Tensor and v.dtype is compute
                                else _kernel_arg(v, compute, Tensor))
            cnp = compute.np
            device = g.device
            run = cpu.run if device is cpu_device else dispatch.backend(device).run
            res = run(fam, args, [cnp] * fam.n_outputs, gd.shape)
            if len(layout) == 1:
                return (Tensor._make(res[0], compute, device),)
            # layout: per input, None (not needed), -1 (g itself) or the output index
            return tuple([None if k is None else g if k < 0 else   # a list: no generator
                          Tensor._make(res[k], compute, device) for k in layout])
        env = {"g": g}
        for n, v in saved.items():
            if n == "out":
                o = Tensor._make(v, compute, g.device)
                o._requires_grad = True
                o.grad_fn = node
                env["out"] = o
            elif isinstance(v, Tensor) and v.dtype is not compute:
                env[n] = v.to(compute)
            else:
                env[n] = v
        return tuple(self.grads[n](*[env[p] for p in self._grad_params[n]])
                     if need else None for n, need in zip(self.inputs, needs))

    def _backward_plan(self, needs):
        """(fused kernel family, layout) for the needed gradients: one kernel
        computes every needed gradient that is not g itself; the layout says,
        per input, None (not needed), -1 (g itself) or that kernel's output
        index.  (None, None) when every needed gradient is g itself."""
        if _SAME in needs:   # x op x: grad_x + grad_y in one output, for input 0
            fam = KernelFamily(f"{self.name}_bwd_same", [self.grads[n] for n in self.inputs],
                               summed=True)
            plan = (fam, (0, None))
            self._backward_plans[needs] = plan
            return plan
        fns = [self.grads[n] for n, need in zip(self.inputs, needs)
               if need and self.grads[n] is not pass_through]
        if not fns:
            plan = (None, None)
        else:
            stem = f"{self.name}_bwd_" + "".join("1" if n else "0" for n in needs)
            layout = []
            k = 0
            for grad, need in zip(self._grad_list, needs):
                if not need:
                    layout.append(None)
                elif grad is pass_through:
                    layout.append(-1)
                else:
                    layout.append(k)
                    k += 1
            plan = (KernelFamily(stem, fns), tuple(layout))
        self._backward_plans[needs] = plan
        return plan

_NO_EDGE = (None, 0)
_SAME_TENSOR = 1 << 20   # _record's key for "both arguments are one tensor"
_SAME = "same"           # needs[1] then: input 1's gradient is summed into input 0's
_BOOL_OUT = [np.bool_]
_PY_SCALARS = (float, int, bool)
_INT64_MIN, _UINT64_MAX = -(1 << 63), (1 << 64) - 1   # a Python int PyTorch's Scalar takes


def _scalars_keep(dtype, args):
    """True if the Python scalars among `args` leave tensor dtype `dtype` as is
    (a float scalar keeps a float tensor's dtype, an int scalar an int or float
    one, a bool scalar any): PyTorch's rule, without the general promotion."""
    cat = dtype.category
    for a in args:
        c = a.__class__
        if c is float:
            if cat != _FLOAT:
                return False
        elif c is int:
            if cat == 0:
                return False
        elif c is not bool and not hasattr(a, "_data"):
            return False
    return True


def _cast(a, dtype):
    """A copy of array `a` converted to `dtype`, made where `a` lives."""
    return dispatch.backend_for(a).cast(a, dtype)


def _kernel_arg(a, compute, Tensor):
    if isinstance(a, Tensor):
        d = a._data
        return d if a.dtype is compute else _cast(d, compute)
    return _dtypes.scalar_value(a, compute)   # integers wrap, as PyTorch's


def _numpy_operands(args):
    """`args` with NumPy scalars as the Python numbers PyTorch reads them as
    (np.bool_ as a float); ndarrays stay (refused below: only the Python operators
    take them, see `nbgrad.ops.binary`)."""
    return tuple(_dtypes.python_scalar(a) for a in args)


def elementwise(name, forward, grads=None, node=None, out_dtype="promote", method=True):
    """Declare and register an elementwise op.

    forward: scalar function of the inputs (named ``x`` or ``x, y`` ...).
    grads: {input name: derivative function of some of g, x, y, out}; omitted
        for ops without a gradient (comparisons, floor...).
    node: the PyTorch node name (default ``<Name>Backward0``).
    out_dtype: 'promote' (the promoted input dtype), 'float' (ints become the
        default float dtype) or 'bool' (comparisons).
    method: also attach as a Tensor method of the same name.
    """
    return declare(Elementwise(name, forward, grads, node, out_dtype), method)


def declare(op, method=True):
    """Register elementwise op `op` and, with `method`, attach it as the Tensor
    method of its name; returns op (`elementwise` and `unary.checked` use it)."""
    register(op.name, op)
    if method:
        from nbgrad.tensor import Tensor

        def method_(self, *args):
            return op(self, *args)
        method_.__name__ = op.name
        setattr(Tensor, op.name, method_)
    return op
