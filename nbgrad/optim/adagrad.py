"""`Adagrad`, as ``torch.optim.Adagrad`` (single-tensor formulas: accumulated squared
gradients, learning-rate decay, weight decay, maximize); state is created for
every parameter at construction, as PyTorch does; each step is one fused
kernel call per parameter group."""

from nbgrad import _factories
from nbgrad.optim import _fused
from nbgrad.optim.adam import scalar_step
from nbgrad.optim.optimizer import Optimizer, check_no_differentiable, check_nonnegative

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad (Duchi et al.), with PyTorch's options and defaults.

    >>> w = nb.tensor([1.0], requires_grad=True)
    >>> opt = nb.optim.Adagrad([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); w
    tensor([0.9000], requires_grad=True)
    """

    _group_defaults = (("foreach", None), ("maximize", False), ("differentiable", False),
                       ("fused", None))

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10, foreach=None, *, maximize=False,
                 differentiable=False, fused=None):
        check_nonnegative(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                          initial_accumulator_value=initial_accumulator_value, eps=eps)
        defaults = {"lr": lr, "lr_decay": lr_decay, "eps": eps, "weight_decay": weight_decay,
                    "initial_accumulator_value": initial_accumulator_value,
                    "foreach": foreach, "maximize": maximize, "differentiable": differentiable,
                    "fused": fused}
        check_no_differentiable("Adagrad", differentiable)
        super().__init__(params, defaults)
        if fused and foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p)

    def _init_state(self, p):
        state = self.state[p]
        state["step"] = scalar_step()
        state["sum"] = _factories.full_like(p, self.defaults["initial_accumulator_value"])

    def step(self, closure=None):
        """One Adagrad step over every group (`closure` re-evaluates the loss, optional)."""
        loss = self._closure_loss(closure)
        for gi, group in enumerate(self.param_groups):
            params = self._with_grad(group)
            for p in params:
                _fused.check_dtype(self, p)
                if len(self.state[p]) == 0:
                    self._init_state(p)
            _fused.run(self, gi, params, ("sum", None, None), "adagrad", "adagrad",
                       (group["lr"], group["lr_decay"], group["eps"], group["weight_decay"],
                        group["maximize"]))
        return loss
