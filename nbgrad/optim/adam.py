"""`Adam` and `AdamW`, as ``torch.optim.Adam`` / ``AdamW`` (single-tensor formulas:
``lerp`` first moment, bias corrections from a per-parameter float step counter,
amsgrad, maximize, coupled or decoupled weight decay); each step is one fused
kernel call per parameter group."""

from nbgrad import _dtypes, _factories
from nbgrad.optim import _fused
from nbgrad.optim.optimizer import Optimizer, check_no_differentiable, check_nonnegative
from nbgrad.tensor import Tensor

__all__ = ["Adam", "AdamW", "init_state", "scalar_step"]


def scalar_step(value=0.0):
    """A new per-parameter step counter: a 0-d CPU tensor of PyTorch's scalar dtype
    (float64 when that is the default dtype, else float32)."""
    dt = _dtypes.float64 if _dtypes.get_default_dtype() is _dtypes.float64 else _dtypes.float32
    return _factories.tensor(float(value), dtype=dt)


def init_state(opt, params, names):
    """PyTorch's lazily made per-parameter state (each parameter's dtype checked first):
    a step counter and a zero buffer per name in `names` (None entries skipped).  A state
    made earlier must hold every one of those buffers (else KeyError, as PyTorch's step)."""
    for p in params:
        _fused.check_dtype(opt, p)
        state = opt.state[p]
        if len(state) == 0:
            state["step"] = scalar_step()
            for name in names:
                if name is not None:
                    state[name] = _factories.zeros_like(p)
        else:
            for name in names:
                if name is not None and name not in state:
                    raise KeyError(name)


def _check_betas(betas):
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not ((isinstance(betas[0], float) and isinstance(betas[1], float))
            or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))):
        raise ValueError("betas must be either both floats or both Tensors")  # noqa: TRY004


class Adam(Optimizer):
    """Adam (Kingma & Ba), with PyTorch's options and defaults.

    >>> w = nb.tensor([1.0, -1.0], requires_grad=True)
    >>> opt = nb.optim.Adam([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); w
    tensor([ 0.9000, -0.9000], requires_grad=True)
    """

    _group_defaults = (("amsgrad", False), ("maximize", False), ("foreach", None),
                       ("capturable", False), ("differentiable", False),
                       ("decoupled_weight_decay", False), ("fused", None))

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        check_nonnegative(lr=lr, eps=eps)
        _check_betas(betas)
        check_nonnegative(weight_decay=weight_decay)
        betas = tuple(float(b) for b in betas)
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay,
                    "amsgrad": amsgrad, "maximize": maximize, "foreach": foreach,
                    "capturable": capturable, "differentiable": differentiable,
                    "fused": fused, "decoupled_weight_decay": decoupled_weight_decay}
        check_no_differentiable(type(self).__name__, differentiable)
        super().__init__(params, defaults)
        if fused and foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            for p in group["params"]:
                s = self.state.get(p, [])
                if len(s) != 0 and not isinstance(s["step"], Tensor):
                    s["step"] = scalar_step(float(s["step"]))

    def step(self, closure=None):
        """One Adam step over every group (`closure` re-evaluates the loss, optional)."""
        loss = self._closure_loss(closure)
        for gi, group in enumerate(self.param_groups):
            params = self._with_grad(group)
            beta1, beta2 = group["betas"]
            amsgrad = group["amsgrad"]
            names = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq" if amsgrad else None)
            init_state(self, params, names)
            _fused.run(self, gi, params, names, "adam", "adam",
                       (group["lr"], beta1, beta2, group["eps"], group["weight_decay"],
                        group["decoupled_weight_decay"], amsgrad, group["maximize"]))
        return loss


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): ``p *= 1 - lr * wd``
    before the Adam update; weight_decay defaults to 1e-2.

    >>> w = nb.tensor([1.0], requires_grad=True)
    >>> opt = nb.optim.AdamW([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); w
    tensor([0.8990], requires_grad=True)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
