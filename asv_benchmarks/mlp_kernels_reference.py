"""How fast issue 12's MLP step can be on nbgrad's own kernels: the reference for a
kernel-level replay.

The step of `compile_workloads.mlp_step` (256x256 -> 512 -> relu -> 10,
cross_entropy, SGD) written as direct calls of the kernels nbgrad's ops run
(BLAS gemm, the relu and SGD elementwise kernels, log_softmax, nll and their
backward kernels, the bias column sums) on NumPy arrays: no Tensor, node, engine
step or op dispatch in Python, buffers allocated per step as the eager step does.
It computes what the eager step computes (`check`: the same parameters), so the
time between it and nbgrad's eager or compiled step is Python per op, the part
a replay that calls these kernels directly on planned buffers would remove.

``python asv_benchmarks/mlp_kernels_reference.py`` checks it against the eager
step, then times it beside nbgrad eager and PyTorch eager (when installed),
interleaved.  It reaches into nbgrad's internals (op declarations, backend
kernels), so it follows them: a rename there breaks it loudly.
"""

import os
import sys

import numba
import numpy as np

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import nbgrad as nb  # noqa: E402
from nbgrad.backends import cpu  # noqa: E402
from nbgrad.backends.cpu import blas, elementwise, nn, reduce  # noqa: E402
from nbgrad.ops.registry import REGISTRY  # noqa: E402

from asv_benchmarks import compile_workloads as cw  # noqa: E402
from asv_benchmarks.ratios import fmt_time, interleaved_best  # noqa: E402


def _column_sum(g):
    out = np.empty((1, g.shape[1]), g.dtype)
    reduce.sum_arb(g.reshape(1, g.shape[0], g.shape[1]), out, np.float64(0), np.float64(1))
    return out.reshape(-1)


def make_step(model, x, target, lr=cw.LR):
    """A zero-argument step updating `model`'s parameters in place; returns the loss."""
    W1, b1, W2, b2 = (p._data for p in model.parameters())
    X, T = x._data, target._data.astype(np.int64).reshape(-1, 1)
    relu = REGISTRY["relu"]
    relu_forward, relu_backward = relu.forward_family, relu._backward_plan((True,))[0]
    mul, sub = REGISTRY["mul"].forward_family, REGISTRY["sub"].forward_family
    threads = numba.get_num_threads()
    (N, C), dt = (X.shape[0], W2.shape[0]), W1.dtype
    ones_c, one = np.ones(C, dt), np.ones((1, 1), dt)
    step_size = dt.type(lr)

    def step():
        h = cpu.matmul.addmm_2d(b1, X, W1.T)
        a = elementwise.run(relu_forward, [h], [dt], h.shape)[0]
        o = cpu.matmul.addmm_2d(b2, a, W2.T)
        logp = np.empty((N, C, 1), dt)
        nn.softmax(o.reshape(N, C, 1), logp, True)
        total, count = nn.nll(logp, T, ones_c, -100, np.empty((N, 1), dt))
        g_logp = np.empty((N, C, 1), dt)
        nn.nll_backward(T, ones_c, -100, one, 1.0 / count, g_logp)
        g_o = np.empty((N, C, 1), dt)
        nn.softmax_backward(g_logp, logp, g_o, True)
        g_o = g_o.reshape(N, C)
        grads = [None, None, blas.gemm_2d(g_o.T, a, threads), _column_sum(g_o)]
        g_h = elementwise.run(relu_backward, [blas.gemm_2d(g_o, W2, threads), a], [dt],
                              h.shape)[0]
        grads[:2] = blas.gemm_2d(g_h.T, X, threads), _column_sum(g_h)
        for p, g in zip((W1, b1, W2, b2), grads):
            update = elementwise.run(mul, [g, step_size], [dt], g.shape)[0]
            elementwise.run(sub, [p, update], [dt], p.shape, outs=[p])
        return total / count
    return step


def check(steps=3):
    """(largest loss difference, largest parameter difference) after `steps` steps of
    this reference and of the eager step from the same start: the parameters are
    expected equal, the losses within float32 rounding (the eager loss is float32)."""
    model, x, target = cw.mlp_model(nb)
    step = make_step(model, x, target)
    losses = [step() for _ in range(steps)]
    eager_model, x2, target2 = cw.mlp_model(nb)
    eager = [cw.mlp_step(nb, eager_model, x2, target2).item() for _ in range(steps)]
    return (max(abs(a - b) for a, b in zip(losses, eager)),
            max(float(np.abs(p._data - q._data).max())
                for p, q in zip(model.parameters(), eager_model.parameters())))


def main():
    loss, params = check()
    print(f"kernel-level MLP step vs the eager step, 3 steps: losses within {loss:.1e}, "
          f"parameters within {params:.1e}")
    model, x, target = cw.mlp_model(nb)
    fns = [make_step(model, x, target), cw.mlp_case(nb).runner()]
    names = ["nbgrad kernels only", "nbgrad eager"]
    try:
        import torch
        fns.append(cw.mlp_case(torch).runner())
        names.append("PyTorch eager (this process)")
    except ImportError:
        pass
    for name, t in zip(names, interleaved_best(fns, 7, 0.05)):
        print(f"  {name:<30} {fmt_time(t)}")


if __name__ == "__main__":
    main()
