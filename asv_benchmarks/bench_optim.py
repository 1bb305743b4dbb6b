"""asv: optimizer steps of nbgrad.optim (each one fused kernel call per group).

- Adam over 1,000,000 float32 parameters (one tensor): memory-bound, the kernel
  reads 4 and writes 3 arrays once; PyTorch's single-tensor Adam makes ~7 passes.
- Adam, SGD with momentum and RMSprop over the 4 parameters of the issue's MLP
  (256x512 -> 10: a 512x256 and a 10x512 weight, two biases): what a training
  step pays for its update.
- L-BFGS with the strong Wolfe line search on a 1000-dimensional Rosenbrock.

Gradients are set once (the step reads them, never frees them).  Self-contained:
run by asv, or by ``optim_ratio.py`` beside PyTorch.
"""

import nbgrad as nb

MLP_SHAPES = ((512, 256), (512,), (10, 512), (10,))


def params_with_grads(shapes, seed=0):
    nb.manual_seed(seed)
    ps = [nb.randn(*s, requires_grad=True) for s in shapes]
    for p in ps:
        p.grad = nb.randn(*p.shape) * 0.01
    return ps


class Adam1M:
    """``Adam.step()`` over one tensor of 1,000,000 float32 parameters."""

    def setup(self):
        self.opt = nb.optim.Adam(params_with_grads([(1_000_000,)]), lr=1e-3)
        self.opt.step()      # state created, kernels compiled, outside the timing

    def time_adam_step_1m(self):
        self.opt.step()


class MLPStep:
    """One optimizer step over the MLP's 4 parameters (133,898 float32)."""

    params = ["Adam", "SGD", "RMSprop"]  # noqa: RUF012 (asv reads class attributes)
    param_names = ["optimizer"]  # noqa: RUF012

    def setup(self, name):
        kwargs = {"lr": 1e-3, "momentum": 0.9} if name == "SGD" else {"lr": 1e-3}
        self.opt = getattr(nb.optim, name)(params_with_grads(MLP_SHAPES), **kwargs)
        self.opt.step()

    def time_step(self, name):
        self.opt.step()


class LBFGSRosenbrock:
    """``LBFGS.step`` (20 iterations, strong Wolfe) on a 1000-d Rosenbrock, float64."""

    timeout = 120

    def setup(self):
        self.x0 = nb.linspace(-1.0, 1.0, 1000, dtype=nb.float64)

    def time_lbfgs_step(self):
        x = self.x0.clone().requires_grad_()
        opt = nb.optim.LBFGS([x], line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            loss = ((1 - x[:-1]) ** 2).sum() + 100 * ((x[1:] - x[:-1] ** 2) ** 2).sum()
            loss.backward()
            return loss

        opt.step(closure)
