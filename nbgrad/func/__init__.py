"""nb.func: composable function transforms (PyTorch's torch.func).

``grad``, ``grad_and_value``, ``vjp``, ``jvp``, ``jacrev``, ``jacfwd``, ``hessian``
(`nbgrad.func.transforms`, `nbgrad.func.jacobians`), ``vmap`` (`nbgrad.func._vmap`,
batching rules in `nbgrad.func.rules`) and ``functional_call``.  Per-sample gradients::

    from nbgrad.func import functional_call, grad, vmap
    params = {k: v.detach() for k, v in model.named_parameters()}
    def loss(p, x, y):
        return F.mse_loss(functional_call(model, p, (x,)), y)
    per_sample = vmap(grad(loss), in_dims=(None, 0, 0))(params, xs, ys)

See docs/func.md.
"""

from nbgrad.func import _backward, _rules_nn, rules  # noqa: F401  (fill the rule tables)
from nbgrad.func._functional_call import functional_call
from nbgrad.func.jacobians import hessian, jacfwd, jacrev, jvp
from nbgrad.func.transforms import grad, grad_and_value, vjp
from nbgrad.func._vmap import vmap

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "vmap",
           "functional_call"]
