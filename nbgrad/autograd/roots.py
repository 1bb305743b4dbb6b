"""Where a backward pass starts: the root edges and the gradients the caller
gives for them (or the implicit ones of scalar outputs), checked and put on
each output's shape, dtype and device as PyTorch does, before any kernel runs.
"""

from nbgrad.autograd.buffers import ones_like
from nbgrad.autograd.node import edge_of
from nbgrad.tensor import Tensor

__all__ = ["as_tensors", "check_grad_types", "root_edges", "make_grads"]


def as_tensors(x):
    """A Tensor or a sequence of them, as a tuple."""
    return (x,) if isinstance(x, Tensor) else tuple(x)


def check_grad_types(grads):
    """TypeError, as PyTorch, for a gradient that is neither a Tensor nor None
    (a number or a list of numbers is not converted)."""
    for g in grads:
        if g is not None and not isinstance(g, Tensor):
            raise TypeError(f"gradients can be either Tensors or None, but got "
                            f"{type(g).__name__}")


def root_edges(outputs):
    """The (node, output_nr) edge of each output; each must require grad."""
    edges = []
    for i, t in enumerate(outputs):
        if not t._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not "
                               "have a grad_fn")
        edges.append(edge_of(t))
    return edges


def make_grads(outputs, grad_outputs, create_graph, batched=False):
    """One gradient per output: the caller's, converted to the output's dtype
    (and device for a 0-d output), or ones for a scalar output."""
    if grad_outputs is not None and len(grad_outputs) != len(outputs):
        raise RuntimeError(f"grad requires one grad_output per output: got "
                           f"{len(grad_outputs)} grad_outputs and {len(outputs)} outputs")
    if batched:
        return _make_batched_grads(outputs, grad_outputs, create_graph)
    grads = []
    for i, t in enumerate(outputs):
        g = None if grad_outputs is None else grad_outputs[i]
        if g is None:
            if t._requires_grad and t._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            g = ones_like(t)
        elif not isinstance(g, Tensor):
            check_grad_types((g,))
        elif g._data.shape != t._data.shape:
            if g._data.size == t._data.size == 1:
                g = g.reshape(t._data.shape)
            else:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and "
                    f"output[{i}] has a shape of {t.shape}.")
        grads.append(_conform(g, t, i, create_graph))
    return grads


def _conform(g, t, i, create_graph):
    if g.dtype is not t.dtype:   # PyTorch converts it to the output's dtype
        g = g.to(t.dtype)
    if g.device != t.device:
        g = _grad_on_device(g, t, i)
    if not create_graph and g.grad_fn is not None:
        g = g.detach()
    return g


def _make_batched_grads(outputs, grad_outputs, create_graph):
    grads = []
    batch = None
    for i, t in enumerate(outputs):
        g = None if grad_outputs is None else grad_outputs[i]
        if not isinstance(g, Tensor):
            raise RuntimeError(
                f"is_grads_batched=True needs a Tensor grad_output for every output "
                f"(grad_outputs[{i}] is {type(g).__name__}); its first dimension is the batch")
        if g._data.shape[1:] != t._data.shape or g._data.ndim == 0:
            raise RuntimeError(
                f"If `is_grads_batched=True`, we interpret the first dimension of each "
                f"grad_output as the batch dimension. The sizes of the remaining dimensions "
                f"are expected to match the shape of corresponding output, but a mismatch "
                f"was detected: grad_output[{i}] has a shape of {g.shape} and output[{i}] "
                f"has a shape of {t.shape}.")
        if batch is None:
            batch = g._data.shape[0]
        elif g._data.shape[0] != batch:
            raise RuntimeError(f"is_grads_batched=True: every grad_output needs the same batch "
                               f"size; grad_outputs[0] has {batch} and grad_outputs[{i}] has "
                               f"{g._data.shape[0]}")
        if g.device != t.device:
            g = _grad_on_device(g, t, i)
        grads.append(_conform(g, t, i, create_graph))
    return grads


def _grad_on_device(g, t, i):
    """A gradient given on another device than its output `t`: moved there when
    `t` is 0-d (as PyTorch does; per sample when batched), else PyTorch's
    RuntimeError, raised before any kernel mixes the two devices."""
    if t._data.ndim == 0:
        return g.to(t.device)
    raise RuntimeError(f"invalid gradient at index {i} - expected device {t.device} but got "
                       f"{g.device}")
