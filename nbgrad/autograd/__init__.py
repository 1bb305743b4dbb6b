"""nbgrad.autograd: the tape and the functions that differentiate through it.

``backward`` and ``grad`` run the engine; ``Function`` and ``kernel_op``
define new differentiable operations; ``functional`` holds vjp, jvp,
jacobian, hessian, hvp and vhp; ``gradcheck``/``gradgradcheck`` compare with
finite differences; ``detect_anomaly`` names the op behind a backward error.
"""

from nbgrad.autograd import functional  # noqa: F401
from nbgrad.autograd.anomaly_mode import (detect_anomaly, is_anomaly_check_nan_enabled,
                                          is_anomaly_enabled, set_detect_anomaly)
from nbgrad.autograd.engine import backward
from nbgrad.autograd.function import Function, FunctionCtx, once_differentiable
from nbgrad.autograd.kernel_op import kernel_op
from nbgrad.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck
from nbgrad.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from nbgrad.autograd.node import Node

__all__ = ["backward", "grad", "gradcheck", "gradgradcheck", "GradcheckError", "no_grad",
           "enable_grad", "set_grad_enabled", "is_grad_enabled", "Node", "Function",
           "FunctionCtx", "once_differentiable", "kernel_op", "functional",
           "set_detect_anomaly", "detect_anomaly", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled"]


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of `outputs` with respect to `inputs`, returned (not accumulated).

    With ``is_grads_batched=True`` the first dimension of every grad_output is
    a batch: one backward pass computes a vector-Jacobian product per row.

    >>> x = nb.tensor(2.0, requires_grad=True)
    >>> nb.autograd.grad(x ** 3, x)
    (tensor(12.),)
    """
    from nbgrad import _factories
    from nbgrad.autograd import engine
    from nbgrad.autograd.node import edge_of
    from nbgrad.tensor import Tensor
    outputs = (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)
    if isinstance(grad_outputs, Tensor):
        grad_outputs = (grad_outputs,)
    elif grad_outputs is not None:
        grad_outputs = tuple(grad_outputs)   # TypeError for a number, as PyTorch
        engine._check_grad_types(grad_outputs)
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when "
                         "materialize_grads=True, but got: allow_unused=False.")
    if allow_unused is None:
        allow_unused = materialize_grads
    if not inputs:
        raise RuntimeError("grad requires non-empty inputs.")
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"grad: inputs[{i}] is a {type(t).__name__}, expected a Tensor")
        if not t._requires_grad:
            raise RuntimeError(f"One of the differentiated Tensors (input {i}, of shape "
                               f"{list(t._data.shape)}) does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    edges = engine._roots(outputs)
    grads = engine._make_grads(outputs, grad_outputs, create_graph, is_grads_batched)
    capture = [edge_of(t) for t in inputs]
    result = engine.run_backward(edges, grads, retain_graph, create_graph, capture=capture,
                                 batched=is_grads_batched)
    batch = grads[0]._data.shape[0] if is_grads_batched else None
    out = []
    for i, (t, g) in enumerate(zip(inputs, result)):
        if g is None:
            if materialize_grads:
                shape = t._data.shape if batch is None else (batch,) + t._data.shape
                g = _factories.zeros(shape, dtype=t.dtype, device=t.device)
            elif not allow_unused:
                raise RuntimeError(
                    f"One of the differentiated Tensors (input {i}) appears to not have been "
                    "used in the graph. Set allow_unused=True if this is the desired behavior.")
        elif batch is None:
            if g._data.shape != t._data.shape:
                g = g.sum_to_size(t._data.shape)
        else:
            g = engine._sum_to_batched(g, t._data.shape)
        if g is not None and not create_graph and g.grad_fn is not None:
            g = g.detach()
        out.append(g)
    return tuple(out)
