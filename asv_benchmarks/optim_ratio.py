"""Print nbgrad / PyTorch time ratios of optimizer steps, timed interleaved in one run.

    python asv_benchmarks/optim_ratio.py

Cases: Adam over 1,000,000 float32 parameters (the issue's target: at or below
PyTorch), and Adam / SGD(momentum) / RMSprop over the MLP's 4 parameters.
PyTorch runs its default optimizers (on the CPU: the single-tensor ``for``
loop of tensor ops) and, for Adam, ``fused=True`` too; skipped when torch is
not importable.  Best of many short samples, nbgrad and PyTorch in turn, so
that load from other processes hits both alike.
"""

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(_HERE))

from asv_benchmarks import bench_optim
from asv_benchmarks.ratios import fmt_time, interleaved_best


def torch_optimizer(shapes, name, **kwargs):
    import torch
    torch.manual_seed(0)
    ps = [torch.randn(*s, requires_grad=True) for s in shapes]
    for p in ps:
        p.grad = torch.randn(*p.shape) * 0.01
    opt = getattr(torch.optim, name)(ps, **kwargs)
    opt.step()
    return opt.step


def nbgrad_optimizer(shapes, name, **kwargs):
    import nbgrad as nb
    opt = getattr(nb.optim, name)(bench_optim.params_with_grads(shapes), **kwargs)
    opt.step()
    return opt.step


CASES = [
    ("Adam step, 1,000,000 float32 parameters", [(1_000_000,)], "Adam", {"lr": 1e-3}),
    ("Adam step, MLP 256x512->10 (4 params)", bench_optim.MLP_SHAPES, "Adam", {"lr": 1e-3}),
    ("SGD(momentum) step, MLP (4 params)", bench_optim.MLP_SHAPES, "SGD",
     {"lr": 1e-3, "momentum": 0.9}),
    ("RMSprop step, MLP (4 params)", bench_optim.MLP_SHAPES, "RMSprop", {"lr": 1e-3}),
]


def main(repeat=30, min_time=0.01):
    try:
        import torch
        have_torch = True
        print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    except ImportError:
        have_torch = False
    ratios = {}
    for label, shapes, name, kwargs in CASES:
        fns = [nbgrad_optimizer(shapes, name, **kwargs)]
        if have_torch:
            fns.append(torch_optimizer(shapes, name, **kwargs))
            if name == "Adam":
                fns.append(torch_optimizer(shapes, name, fused=True, **kwargs))
        times = interleaved_best(fns, repeat, min_time)
        line = f"{label:<42} nbgrad {fmt_time(times[0]):>9}"
        if have_torch:
            ratios[label] = times[0] / times[1]
            line += f"  PyTorch {fmt_time(times[1]):>9}  ratio {ratios[label]:.2f}"
            if name == "Adam":
                line += f"  (PyTorch fused=True {fmt_time(times[2])}, " \
                        f"ratio {times[0] / times[2]:.2f})"
        print(line)
    return ratios


if __name__ == "__main__":
    main()
