"""`SGD`: stochastic gradient descent with momentum, dampening, Nesterov momentum,
weight decay and maximize, as ``torch.optim.SGD`` (its single-tensor formulas),
each step one fused kernel call per parameter group."""

from nbgrad import _factories
from nbgrad.optim import _fused
from nbgrad.optim.optimizer import Optimizer, check_no_differentiable

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent (optionally with momentum).

    >>> w = nb.tensor([1.0, 2.0], requires_grad=True)
    >>> opt = nb.optim.SGD([w], lr=0.1, momentum=0.9)
    >>> (w * w).sum().backward(); opt.step(); w
    tensor([0.8000, 1.6000], requires_grad=True)
    """

    _group_defaults = (("nesterov", False), ("maximize", False), ("foreach", None),
                       ("differentiable", False), ("fused", False))

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {"lr": lr, "momentum": momentum, "dampening": dampening,
                    "weight_decay": weight_decay, "nesterov": nesterov, "maximize": maximize,
                    "foreach": foreach, "differentiable": differentiable, "fused": fused}
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        check_no_differentiable("SGD", differentiable)
        super().__init__(params, defaults)
        if fused and foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    def step(self, closure=None):
        """One SGD step over every group (`closure` re-evaluates the loss, optional)."""
        loss = self._closure_loss(closure)
        for gi, group in enumerate(self.param_groups):
            params = self._with_grad(group)
            first = None
            names = (None,)
            if group["momentum"] != 0:
                names = ("momentum_buffer",)
                first = []
                for p in params:
                    _fused.check_dtype(self, p)
                    state = self.state[p]
                    new = state.get("momentum_buffer") is None
                    if new:   # PyTorch clones the first gradient; the kernel writes it
                        state["momentum_buffer"] = _factories.empty_like(p)
                    first.append(new)
            else:
                for p in params:
                    _fused.check_dtype(self, p)
            _fused.run(self, gi, params, names, "sgd", "sgd",
                       (group["lr"], group["momentum"], group["dampening"],
                        group["weight_decay"], group["nesterov"], group["maximize"]), first)
        return loss
