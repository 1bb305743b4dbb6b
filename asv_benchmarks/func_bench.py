"""nb.func speed: per-sample gradients by vmap(grad(...)) against a loop of autograd.grad
calls, and jacrev/hessian of a function of 100 inputs against loops of autograd.grad
(one call per Jacobian row).  Run ``python asv_benchmarks/func_bench.py`` for the
ratios; asv times the same calls (`PerSampleGrad`, `Jacobians`).

Both sides are checked to agree (1e-12, float64) before anything is timed.
"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np

import nbgrad as nb
import nbgrad.nn as nn
import nbgrad.nn.functional as F
from nbgrad import autograd
from nbgrad.func import functional_call, grad, hessian, jacrev, vmap

BATCH, N = 64, 100


def _tensor(*shape, seed=0, scale=1.0):
    return nb.tensor(np.random.default_rng(seed).standard_normal(shape) * scale)


def mlp_case():
    """(vmapped per-sample gradients, loop of autograd.grad) for a 2-layer tanh MLP."""
    nb.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 32), nn.Tanh(), nn.Linear(32, 1)).double()
    params = {k: v.detach() for k, v in model.named_parameters()}
    xs, ys = _tensor(BATCH, 16), _tensor(BATCH, 1, seed=1)

    def loss(p, x, y):
        return F.mse_loss(functional_call(model, p, (x,)), y)
    per_sample = vmap(grad(loss), in_dims=(None, 0, 0))

    def batched():
        return per_sample(params, xs, ys)

    def looped():
        ps = list(model.parameters())
        return [autograd.grad(F.mse_loss(model(xs[i]), ys[i]), ps) for i in range(BATCH)]

    def check():
        got, want = batched(), looped()
        return max(float((g[i] - w[k]).abs().max()) for k, g in enumerate(got.values())
                   for i, w in enumerate(want))
    return batched, looped, check


def jacobian_case():
    """(jacrev, hessian, their loops) for functions of N inputs."""
    A = _tensor(N, N, seed=2, scale=0.1)
    x0 = _tensor(N, seed=3)

    def f(x):
        return (A @ x).tanh() * x.sin()

    def s(x):
        return ((A @ x).tanh() ** 2).sum() + (x ** 3).sum()

    def jac_loop():
        x = x0.detach().requires_grad_()
        y = f(x)
        return nb.stack([autograd.grad(y[i], x, retain_graph=True)[0] for i in range(N)])

    def hess_loop():
        x = x0.detach().requires_grad_()
        (g,) = autograd.grad(s(x), x, create_graph=True)
        return nb.stack([autograd.grad(g[i], x, retain_graph=True)[0] for i in range(N)])
    jac, hess = (lambda: jacrev(f)(x0)), (lambda: hessian(s)(x0))
    return jac, jac_loop, hess, hess_loop


def _time(fn, seconds=1.0):
    fn()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
        n += 1
    return (time.perf_counter() - start) / n


class PerSampleGrad:
    def setup(self):
        self.batched, self.looped, _ = mlp_case()
        self.batched()

    def time_vmap_grad(self):
        self.batched()

    def time_loop_of_autograd_grad(self):
        self.looped()


class Jacobians:
    def setup(self):
        self.jac, self.jac_loop, self.hess, self.hess_loop = jacobian_case()
        self.jac()
        self.hess()

    def time_jacrev(self):
        self.jac()

    def time_jacrev_loop(self):
        self.jac_loop()

    def time_hessian(self):
        self.hess()

    def time_hessian_loop(self):
        self.hess_loop()


def main():
    batched, looped, check = mlp_case()
    print(f"per-sample gradients, MLP 16-32-1, batch {BATCH}: max |vmap - loop| = "
          f"{check():.1e}")
    rows = [("vmap(grad(loss)) vs loop of autograd.grad", batched, looped)]
    jac, jac_loop, hess, hess_loop = jacobian_case()
    print(f"jacrev: max |diff| = {float((jac() - jac_loop()).abs().max()):.1e}; hessian: "
          f"{float((hess() - hess_loop()).abs().max()):.1e}")
    rows += [(f"jacrev, {N} inputs vs {N} autograd.grad", jac, jac_loop),
             (f"hessian, {N} inputs vs {N} autograd.grad", hess, hess_loop)]
    print(f"{'case':48s} {'nb.func':>10s} {'loop':>10s} {'ratio':>7s}")
    for name, fast, slow in rows:
        a, b = _time(fast), _time(slow)
        print(f"{name:48s} {a * 1e3:8.2f}ms {b * 1e3:8.2f}ms {b / a:6.1f}x")


if __name__ == "__main__":
    main()
