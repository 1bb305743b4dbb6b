"""nbgrad.autograd: the tape and the functions that differentiate through it.

``backward`` and ``grad`` run the engine; ``Function`` and ``kernel_op``
define new differentiable operations; ``functional`` holds vjp, jvp,
jacobian, hessian, hvp and vhp; ``gradcheck``/``gradgradcheck`` compare with
finite differences; ``detect_anomaly`` names the op behind a backward error.
"""

from nbgrad.autograd import functional, provided  # noqa: F401
from nbgrad.autograd.anomaly_mode import (detect_anomaly, is_anomaly_check_nan_enabled,
                                          is_anomaly_enabled, set_detect_anomaly)
from nbgrad.autograd.engine import backward, grad
from nbgrad.autograd.function import Function, FunctionCtx, once_differentiable
from nbgrad.autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from nbgrad.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck
from nbgrad.autograd.node import Node, RetainGradHook, edge_of
from nbgrad.tensor import install as _install_in_tensor

__all__ = ["backward", "grad", "gradcheck", "gradgradcheck", "GradcheckError", "no_grad",
           "enable_grad", "set_grad_enabled", "is_grad_enabled", "Node", "Function",
           "FunctionCtx", "once_differentiable", "kernel_op", "functional",
           "set_detect_anomaly", "detect_anomaly", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled"]


# the core Tensor runs backward and finds hook nodes through these (it never imports autograd)
_install_in_tensor(backward=backward, edge_of=edge_of, retain_grad_hook=RetainGradHook)


def kernel_op(name, forward, backward, *, differentiable_backward=None, node=None,
              out_shape=None, method=False, register=True):
    """Register ``@njit`` kernels `forward`/`backward` as the op `name`; returns it.

    An op declaration, so it is made by the ops layer (`nbgrad.ops.kernel_op`,
    which documents the arguments and the kernel conventions).

    >>> cube = nb.autograd.kernel_op("cube", cube_fwd, cube_bwd,
    ...                              differentiable_backward=lambda g, x, out: 3 * g * x * x)
    """
    return provided.kernel_op(name, forward, backward,
                              differentiable_backward=differentiable_backward, node=node,
                              out_shape=out_shape, method=method, register=register)
