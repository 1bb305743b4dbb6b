"""`RMSprop`, as ``torch.optim.RMSprop`` (single-tensor formulas: alpha-smoothed
squared gradients, optional centering, momentum, weight decay, maximize); each
step is one fused kernel call per parameter group."""

from nbgrad.optim import _fused
from nbgrad.optim.adam import init_state
from nbgrad.optim.optimizer import Optimizer, check_no_differentiable, check_nonnegative

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop (Hinton), with PyTorch's options and defaults.

    >>> w = nb.tensor([1.0], requires_grad=True)
    >>> opt = nb.optim.RMSprop([w], lr=0.01, momentum=0.9)
    >>> (w * w).sum().backward(); opt.step(); w
    tensor([0.9000], requires_grad=True)
    """

    _group_defaults = (("momentum", 0), ("centered", False), ("foreach", None),
                       ("maximize", False), ("differentiable", False), ("capturable", False))

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        check_nonnegative(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay,
                          alpha=alpha)
        defaults = {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                    "centered": centered, "weight_decay": weight_decay,
                    "capturable": capturable, "foreach": foreach, "maximize": maximize,
                    "differentiable": differentiable}
        check_no_differentiable("RMSprop", differentiable)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One RMSprop step over every group (`closure` re-evaluates the loss, optional)."""
        loss = self._closure_loss(closure)
        for gi, group in enumerate(self.param_groups):
            params = self._with_grad(group)
            names = ("square_avg", "momentum_buffer" if group["momentum"] > 0 else None,
                     "grad_avg" if group["centered"] else None)
            init_state(self, params, names)
            _fused.run(self, gi, params, names, "rmsprop", "rmsprop",
                       (group["lr"], group["alpha"], group["eps"], group["weight_decay"],
                        group["momentum"], group["centered"], group["maximize"]))
        return loss
