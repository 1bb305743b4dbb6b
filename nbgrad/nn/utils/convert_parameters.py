"""``parameters_to_vector`` and ``vector_to_parameters``: all parameters as one
flat vector and back, as PyTorch."""

import nbgrad as nb
from nbgrad.nn.modules._hooks import typename
from nbgrad.tensor import Tensor

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_device(param, old):
    if old is not None and param.device != old:
        raise TypeError("Found two parameters on different devices, this is currently not "
                        "supported.")
    return param.device


def parameters_to_vector(parameters):
    """One flat tensor of every parameter (recorded: its gradient flows back)."""
    device = None
    vec = []
    for param in parameters:
        device = _check_device(param, device)
        vec.append(param.reshape(-1))
    return nb.cat(vec)


def vector_to_parameters(vec, parameters):
    """Make each parameter's data the next numel() elements of `vec` (shared, not copied)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {typename(vec)}")
    device = None
    pointer = 0
    for param in parameters:
        device = _check_device(param, device)
        n = param.numel()
        param.data = vec[pointer:pointer + n].view_as(param).data
        pointer += n
