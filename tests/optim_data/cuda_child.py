"""Child process of tests/test_optim_cuda.py (run with NUMBA_ENABLE_CUDASIM=1): the same
optimizer steps on the CPU and on the cuda device; prints JSON {case: max difference}."""

import json

import numpy as np

import nbgrad as nb
from tests.optim_data import problems

CASES = [
    ("SGD", {"lr": 0.1}, {}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}, {}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.2, "maximize": True},
     {"dtype": "float32"}),
    ("Adam", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1}, {"groups": True}),
    ("Adam", {"lr": 0.05, "maximize": True}, {"dtype": "float32", "unused": True}),
    ("AdamW", {"lr": 0.05}, {}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True, "weight_decay": 0.1}, {}),
    ("RMSprop", {"lr": 0.01}, {"dtype": "float32"}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.1}, {}),
    ("LBFGS", {"line_search_fn": "strong_wolfe", "max_iter": 4}, {"problem": "rosen"}),
]


def main():
    out = {}
    for name, kw, opts in CASES:
        cpu, _, _ = problems.run_steps(nb, name, kw, steps=3, **opts)
        gpu, _, opt = problems.run_steps(nb, name, kw, steps=3, device="cuda", **opts)
        p = opt.param_groups[0]["params"][0]
        on_device = p.device.type == "cuda" and all(
            v.device.type == "cuda" for s in opt.state.values() for k, v in s.items()
            if isinstance(v, nb.Tensor) and k not in ("step",) and v.dim() > 0)
        out[f"{name}{kw}{opts}"] = [float(np.abs(np.array(cpu) - np.array(gpu)).max()),
                                    opts.get("dtype", "float64"), on_device]
    from nbgrad.backends.cuda import launch
    for name in ("SGD", "Adam", "RMSprop", "Adagrad"):
        params = problems.mlp_params(nb, device="cuda")
        problems.mlp_loss(nb, params, device="cuda").backward()
        opt = getattr(nb.optim, name)([{"params": params[:2]}, {"params": params[2:]}],
                                      lr=0.1)
        opt.step()                     # creates the state (zero-fill launches)
        before = launch.launch_count()
        opt.step()
        out[f"launches {name}"] = launch.launch_count() - before
    print(json.dumps(out))


if __name__ == "__main__":
    main()
