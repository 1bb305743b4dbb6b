"""`kernel_op`: a user's pair of ``@njit`` kernels registered as an nbgrad op
(the implementation of the public ``nb.autograd.kernel_op``, handed to the
autograd layer at import through `nbgrad.autograd.provided`).

The op is declared through the same function-style form as the built-in ops
(`nbgrad.ops.registry.FunctionOp`), so it is registered by name, records a
node named like a built-in one (``CubeBackward0``), saves its inputs and its
output with version checks, and takes part in batched gradients (one call
per sample) and anomaly mode.  Its backward kernel is the fast path; when a
graph of the backward is requested (``create_graph=True``) it uses
``differentiable_backward``, the same rule written with nbgrad ops, or
raises at the second differentiation if there is none.

Kernel conventions (all arrays C-contiguous, in the op's compute dtype):
- ``forward(*args, out)`` writes the result into ``out``;
- ``backward(g, *args, out, *grads)`` writes d(loss)/d(arg) of every Tensor
  argument into ``grads`` (one array per Tensor argument, in order).
Arguments that are Python numbers reach both kernels as scalars.
"""

import numpy as np

from nbgrad import _dtypes
from nbgrad.autograd import grad_mode
from nbgrad.autograd.function import _DelayedError
from nbgrad.backends import dispatch
from nbgrad.ops.registry import FunctionNode, FunctionOp, tensor_method
from nbgrad.ops.registry import register as _register
from nbgrad.tensor import Tensor

__all__ = ["kernel_op"]


def kernel_op(name, forward, backward, *, differentiable_backward=None, node=None,
              out_shape=None, method=False, register=True):
    """Register ``@njit`` kernels `forward`/`backward` as the op `name`; returns it.

    differentiable_backward: ``f(g, *args, out) -> grad or tuple of grads``
        written with nbgrad ops, for ``create_graph=True`` (higher derivatives).
    node: the node class name (default ``<Name>Backward0``).
    out_shape: ``f(*tensor_shapes) -> shape``; by default every Tensor argument
        must have the same shape, which is the output's.
    method: also attach the op as a Tensor method.

    >>> @numba.njit
    ... def cube_fwd(x, out):
    ...     for i in range(x.size): out.flat[i] = x.flat[i] ** 3
    >>> @numba.njit
    ... def cube_bwd(g, x, out, gx):
    ...     for i in range(x.size): gx.flat[i] = 3 * g.flat[i] * x.flat[i] ** 2
    >>> cube = nb.autograd.kernel_op("cube", cube_fwd, cube_bwd,
    ...                              differentiable_backward=lambda g, x, out: 3 * g * x * x)
    """
    if node is None:
        node = name.capitalize() + "Backward0"
    spec = _Spec(name, forward, backward, differentiable_backward, out_shape)
    fop = FunctionOp(name, spec.forward, node)
    fop.backward(spec.backward)
    fop.__doc__ = f"The kernel op {name!r} (see nbgrad.autograd.kernel_op)."
    if register:
        _register(name, fop)
    if method:
        def method_(self, *args):
            return fop(self, *args)
        method_.__name__ = name
        tensor_method(name)(method_)
    return fop


class _Spec:
    """The forward/backward functions of one kernel op (in the registry's form)."""

    def __init__(self, name, fwd, bwd, diff_bwd, out_shape):
        self.name, self.fwd, self.bwd = name, fwd, bwd
        self.diff_bwd, self.out_shape = diff_bwd, out_shape

    def _prepare(self, args):
        """(compute dtype, output shape, kernel args): checks come before any kernel."""
        tensors = [a for a in args if isinstance(a, Tensor)]
        if not tensors:
            raise TypeError(f"{self.name}(): expected at least one Tensor argument")
        for a in args:
            if not isinstance(a, (Tensor, int, float, np.number)) or isinstance(a, bool):
                raise TypeError(f"{self.name}(): unsupported argument of type "
                                f"{type(a).__name__}; expected Tensors and numbers")
        shapes = [t._data.shape for t in tensors]
        if self.out_shape is None:
            if any(s != shapes[0] for s in shapes):
                raise RuntimeError(f"{self.name}: expected all Tensor arguments to have the "
                                   f"same shape, got {', '.join(str(list(s)) for s in shapes)}")
            shape = shapes[0]
        else:
            shape = tuple(self.out_shape(*shapes))
        compute = _dtypes.result_type(*args)
        if not compute.is_floating_point:
            compute = _dtypes.get_default_dtype()
        return compute, shape, [_kernel_arg(a, compute) for a in args]

    def forward(self, ctx, *args):
        compute, shape, kargs = self._prepare(args)
        out = np.empty(shape, compute.np)
        self.fwd(*kargs, out)
        result = Tensor._make(out, compute, args[0].device if isinstance(args[0], Tensor)
                              else _first_tensor(args).device)
        if isinstance(ctx, FunctionNode):   # recorded: keep what backward reads
            alias = Tensor._make(out, compute, result.device)
            alias._version_counter = result._shared_version_counter()
            ctx.args = tuple(None if isinstance(a, Tensor) else a for a in args)
            ctx.compute = compute
            ctx.save_for_backward(*[a for a in args if isinstance(a, Tensor)], alias)
        return result

    def backward(self, ctx, g):
        saved = ctx.saved_tensors   # checks versions: inputs and output unchanged
        tensors, out = iter(saved[:-1]), saved[-1]
        args = [next(tensors) if a is None else a for a in ctx.args]
        if grad_mode.is_grad_enabled():   # create_graph: a recorded backward
            if self.diff_bwd is not None:
                o = Tensor._make(out._data, out.dtype, out.device)
                o._requires_grad, o.grad_fn = True, ctx
                res = self.diff_bwd(g, *args, o)
                return res if isinstance(res, tuple) else (res,)
            return _once_differentiable(self, ctx, g, args, out)
        return self._kernel_backward(ctx, g, args, out)

    def _kernel_backward(self, ctx, g, args, out):
        compute = ctx.compute
        kargs = [_kernel_arg(a, compute) for a in args]
        grads = [np.empty(a._data.shape, compute.np) for a in args if isinstance(a, Tensor)]
        self.bwd(_kernel_arg(g, compute), *kargs, out._data, *grads)
        return tuple(Tensor._make(gr, compute, g.device) for gr in grads)


def _once_differentiable(spec, ctx, g, args, out):
    with grad_mode.no_grad():
        res = spec._kernel_backward(ctx, g, args, out)
    return tuple(_DelayedError.apply(r) for r in res)


def _first_tensor(args):
    return next(a for a in args if isinstance(a, Tensor))


def _kernel_arg(a, compute):
    if isinstance(a, Tensor):
        d = a._data
        if a.dtype is compute and d.flags.c_contiguous:
            return d
        return dispatch.backend(a.device).cast(d, compute)
    return compute.np.type(a)
