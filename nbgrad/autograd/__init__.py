"""nbgrad.autograd: the tape and the functions that differentiate through it
(``nb.autograd.backward``, ``nb.autograd.grad``)."""

from nbgrad.autograd.engine import backward
from nbgrad.autograd.gradcheck import gradcheck, gradgradcheck
from nbgrad.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from nbgrad.autograd.node import Node

__all__ = ["backward", "grad", "gradcheck", "gradgradcheck", "no_grad", "enable_grad", "set_grad_enabled",
           "is_grad_enabled", "Node"]


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of `outputs` with respect to `inputs`, returned (not accumulated).

    >>> x = nb.tensor(2.0, requires_grad=True)
    >>> nb.autograd.grad(x ** 3, x)
    (tensor(12.),)
    """
    from nbgrad.autograd import engine
    from nbgrad.autograd.node import edge_of
    from nbgrad.tensor import Tensor
    if isinstance(outputs, Tensor):
        outputs = (outputs,)
    single_input = isinstance(inputs, Tensor)
    inputs = (inputs,) if single_input else tuple(inputs)
    if isinstance(grad_outputs, Tensor):
        grad_outputs = (grad_outputs,)
    if allow_unused is None:
        allow_unused = materialize_grads
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError(f"One of the differentiated Tensors (input {i}) does not "
                               "require grad")
    if retain_graph is None:
        retain_graph = create_graph
    edges = engine._roots(outputs)
    grads = engine._make_grads(outputs, grad_outputs, create_graph)
    capture = [edge_of(t) for t in inputs]
    result = engine.run_backward(edges, grads, retain_graph, create_graph, capture=capture)
    out = []
    for i, (t, g) in enumerate(zip(inputs, result)):
        if g is None:
            if materialize_grads:
                from nbgrad import _factories
                g = _factories.zeros_like(t)
            elif not allow_unused:
                raise RuntimeError(
                    f"One of the differentiated Tensors (input {i}) appears to not have been "
                    "used in the graph. Set allow_unused=True if this is the desired behavior.")
        elif g._data.shape != t._data.shape:
            g = g.sum_to_size(t._data.shape)
        if g is not None and not create_graph and g.grad_fn is not None:
            g = g.detach()
        out.append(g)
    return tuple(out)
