"""Record PyTorch's outcomes for the optimizer tests (run once; the tests never import torch).

    .venv/bin/python -m tests.optim_data.record      # writes tests/optim_data/torch_optim.json

Recorded with PyTorch 2.13 (CPU), single-tensor optimizers (``foreach=False``):

- ``steps``: for each optimizer and option set, the parameters after each of 10
  steps on a fixed problem (tests/optim_data/problems.py) and the losses;
- ``schedulers``: learning rates (and momentum / beta1) over 30 steps, two groups,
  and the scheduler's state_dict keys;
- ``state_dicts``: the optimizer's state_dict after 3 steps, described as data,
  and its ``repr``;
- ``errors``: snippets (``lib`` is the library) and the exception each raises,
  or the warning it gives.
"""

import json
import os
import warnings

import torch

from tests.optim_data import problems

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "torch_optim.json")

STEP_CASES = [
    ("SGD", {"lr": 0.1}, {}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}, {}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01}, {}),
    ("SGD", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.05}, {}),
    ("SGD", {"lr": 0.01, "momentum": 0.5, "maximize": True}, {}),
    ("SGD", {"lr": 0.1, "momentum": 0.9}, {"groups": True, "unused": True}),
    ("Adam", {}, {}),
    ("Adam", {"lr": 0.05}, {}),
    ("Adam", {"lr": 0.05, "amsgrad": True}, {}),
    ("Adam", {"lr": 0.02, "betas": [0.8, 0.99], "eps": 1e-6, "weight_decay": 0.1}, {}),
    ("Adam", {"lr": 0.01, "maximize": True, "amsgrad": True}, {}),
    ("Adam", {"lr": 0.05}, {"groups": True, "unused": True}),
    ("Adam", {"lr": 0.05}, {"noncontiguous": True}),
    ("Adam", {"lr": 0.05, "amsgrad": True}, {"dtype": "float32"}),
    ("AdamW", {"lr": 0.05}, {}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.1, "amsgrad": True}, {}),
    ("AdamW", {"lr": 0.05, "weight_decay": 0.5, "maximize": True}, {"groups": True}),
    ("RMSprop", {}, {}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "momentum": 0.5}, {}),
    ("RMSprop", {"lr": 0.01, "centered": True, "weight_decay": 0.1}, {}),
    ("RMSprop", {"lr": 0.005, "momentum": 0.9, "centered": True, "maximize": True}, {}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}, {"dtype": "float32", "unused": True}),
    ("Adagrad", {}, {}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.01,
                 "initial_accumulator_value": 0.5}, {}),
    ("Adagrad", {"lr": 0.1, "eps": 1e-3, "maximize": True}, {"groups": True, "unused": True}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}, {"dtype": "float32"}),
    ("LBFGS", {"lr": 0.5, "max_iter": 5, "history_size": 3}, {"problem": "rosen"}),
    ("LBFGS", {"line_search_fn": "strong_wolfe"}, {"problem": "rosen"}),
    ("LBFGS", {"line_search_fn": "strong_wolfe", "history_size": 3, "max_iter": 7},
     {"problem": "rosen"}),
    ("LBFGS", {"max_iter": 4, "tolerance_change": 1e-12}, {"problem": "mlp"}),
    ("LBFGS", {"line_search_fn": "strong_wolfe", "max_iter": 6}, {"problem": "mlp"}),
]

SCHEDULER_CASES = [
    ("SGD", {"lr": 0.1}, "StepLR", {"step_size": 7, "gamma": 0.5}, False),
    ("SGD", {"lr": 0.1}, "MultiStepLR", {"milestones": [3, 10, 10, 20], "gamma": 0.3}, False),
    ("SGD", {"lr": 0.1}, "ExponentialLR", {"gamma": 0.9}, False),
    ("SGD", {"lr": 0.1}, "CosineAnnealingLR", {"T_max": 10, "eta_min": 0.001}, False),
    ("SGD", {"lr": 0.1}, "LambdaLR", {}, False),
    ("SGD", {"lr": 0.1}, "LinearLR", {"start_factor": 0.25, "total_iters": 8}, False),
    ("SGD", {"lr": 0.1, "momentum": 0.9}, "OneCycleLR",
     {"max_lr": [1.0, 0.5], "total_steps": 30}, False),
    ("Adam", {"lr": 0.1}, "OneCycleLR",
     {"max_lr": 1.0, "total_steps": 40, "anneal_strategy": "linear", "three_phase": True},
     False),
    ("SGD", {"lr": 0.1}, "ReduceLROnPlateau", {"patience": 2, "factor": 0.5, "cooldown": 1},
     True),
    ("Adam", {"lr": 0.1}, "ReduceLROnPlateau",
     {"mode": "max", "patience": 1, "threshold": 0.1, "threshold_mode": "abs",
      "min_lr": [0.02, 0.0]}, True),
]

STATE_DICT_CASES = [
    ("SGD", {"lr": 0.1, "momentum": 0.9}),
    ("SGD", {"lr": 0.1}),
    ("Adam", {"lr": 0.05, "amsgrad": True}),
    ("AdamW", {}),
    ("RMSprop", {"momentum": 0.5, "centered": True}),
    ("Adagrad", {"lr_decay": 0.1}),
    ("LBFGS", {"history_size": 4}),
]

ERROR_CASES = [
    "lib.optim.SGD([], lr=0.1)",
    "lib.optim.SGD(lib.ones(2, requires_grad=True))",
    "lib.optim.SGD([lib.ones(2, requires_grad=True) * 2])",
    "lib.optim.SGD([1.0])",
    "lib.optim.SGD({lib.ones(2, requires_grad=True)})",
    "lib.optim.SGD([lib.ones(2, requires_grad=True)], lr=-1)",
    "lib.optim.SGD([lib.ones(2, requires_grad=True)], momentum=-0.5)",
    "lib.optim.SGD([lib.ones(2, requires_grad=True)], weight_decay=-0.5)",
    "lib.optim.SGD([lib.ones(2, requires_grad=True)], nesterov=True)",
    ("lib.optim.SGD([lib.ones(2, requires_grad=True)], momentum=0.9, dampening=0.1, "
     "nesterov=True)"),
    "lib.optim.Adam([lib.ones(2, requires_grad=True)], lr=-1e-3)",
    "lib.optim.Adam([lib.ones(2, requires_grad=True)], betas=(1.0, 0.999))",
    "lib.optim.Adam([lib.ones(2, requires_grad=True)], betas=(0.9, -0.1))",
    "lib.optim.Adam([lib.ones(2, requires_grad=True)], eps=-1.0)",
    "lib.optim.AdamW([lib.ones(2, requires_grad=True)], weight_decay=-1.0)",
    "lib.optim.RMSprop([lib.ones(2, requires_grad=True)], alpha=-0.1)",
    "lib.optim.RMSprop([lib.ones(2, requires_grad=True)], momentum=-0.1)",
    "lib.optim.Adagrad([lib.ones(2, requires_grad=True)], lr_decay=-0.1)",
    "lib.optim.Adagrad([lib.ones(2, requires_grad=True)], initial_accumulator_value=-1)",
    ("lib.optim.LBFGS([{'params': [lib.ones(2, requires_grad=True)]}, "
     "{'params': [lib.ones(2, requires_grad=True)]}])"),
    "lib.optim.SGD([{'params': [lib.ones(2, requires_grad=True)]}, 'x'])",
    ("(lambda p: lib.optim.SGD([{'params': [p]}, {'params': [p]}]))"
     "(lib.ones(2, requires_grad=True))"),
    "(lambda p: lib.optim.SGD([p, p]))(lib.ones(2, requires_grad=True))",
    "lib.optim.SGD([('a', lib.ones(2, requires_grad=True)), lib.ones(2, requires_grad=True)])",
    ("(lambda o: o.load_state_dict({'state': {}, 'param_groups': []}))"
     "(lib.optim.SGD([lib.ones(2, requires_grad=True)]))"),
    ("(lambda o: o.load_state_dict({'state': {}, 'param_groups': [{'params': [0, 1]}]}))"
     "(lib.optim.SGD([lib.ones(2, requires_grad=True)]))"),
    "lib.optim.lr_scheduler.StepLR(object(), 3)",
    ("lib.optim.lr_scheduler.StepLR(lib.optim.SGD([lib.ones(2, requires_grad=True)]), 3, "
     "last_epoch=4)"),
    "lib.optim.lr_scheduler.OneCycleLR(lib.optim.SGD([lib.ones(2, requires_grad=True)]), 1.0)",
    ("lib.optim.lr_scheduler.OneCycleLR(lib.optim.SGD([lib.ones(2, requires_grad=True)]), 1.0, "
     "total_steps=0)"),
    ("lib.optim.lr_scheduler.OneCycleLR(lib.optim.SGD([lib.ones(2, requires_grad=True)]), 1.0, "
     "total_steps=10, pct_start=1)"),
    ("lib.optim.lr_scheduler.OneCycleLR(lib.optim.Adagrad([lib.ones(2, requires_grad=True)]), "
     "1.0, total_steps=10)"),
    ("lib.optim.lr_scheduler.ReduceLROnPlateau(lib.optim.SGD([lib.ones(2, requires_grad=True)]),"
     " factor=1.0)"),
    ("lib.optim.lr_scheduler.ReduceLROnPlateau(lib.optim.SGD([lib.ones(2, requires_grad=True)]),"
     " mode='avg')"),
    ("lib.optim.lr_scheduler.LambdaLR(lib.optim.SGD([lib.ones(2, requires_grad=True)]), "
     "[lambda e: 1.0, lambda e: 2.0])"),
    ("(lambda s: [s.step() for _ in range(3)])(lib.optim.lr_scheduler.OneCycleLR("
     "lib.optim.SGD([lib.ones(2, requires_grad=True)]), 1.0, total_steps=2))"),
]


def _torch_kwargs(name, kwargs):
    return kwargs if name == "LBFGS" else dict(kwargs, foreach=False)


def record_steps():
    out = []
    for name, kwargs, opts in STEP_CASES:
        trace, losses, _ = problems.run_steps(torch, name, _torch_kwargs(name, kwargs), **opts)
        out.append({"optimizer": name, "kwargs": kwargs, "options": opts, "params": trace,
                    "losses": losses})
    return out


def record_schedulers():
    out = []
    for opt_name, opt_kwargs, sched, sched_kwargs, metric in SCHEDULER_CASES:
        seq, s = problems.scheduler_sequence(torch, opt_name, opt_kwargs, sched, sched_kwargs,
                                             metric)
        sd = s.state_dict()
        out.append({"optimizer": opt_name, "opt_kwargs": opt_kwargs, "scheduler": sched,
                    "kwargs": sched_kwargs, "metric": metric, "lrs": seq,
                    "state_keys": sorted(sd), "last_epoch": sd["last_epoch"],
                    "last_lr": [float(v) for v in s.get_last_lr()]})
    return out


def record_state_dicts():
    out = []
    for name, kwargs in STATE_DICT_CASES:
        problem = "rosen" if name == "LBFGS" else "mlp"
        # PyTorch's defaults (foreach=None: single-tensor on the CPU), so that the
        # groups hold the same option values as nbgrad's
        _, _, opt = problems.run_steps(torch, name, kwargs, problem=problem, steps=3,
                                       groups=name != "LBFGS")
        plain = getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)], **kwargs)
        out.append({"optimizer": name, "kwargs": kwargs, "problem": problem,
                    "state_dict": problems.describe(opt.state_dict()), "repr": repr(plain)})
    return out


def record_errors():
    out = []
    for code in ERROR_CASES:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                eval(code, {"lib": torch})
                outcome = {"ok": True}
            except Exception as e:  # noqa: BLE001 - the outcome is the data
                outcome = {"raises": type(e).__name__, "message": str(e)}
        outcome["warnings"] = [str(w.message) for w in caught
                               if issubclass(w.category, UserWarning)]
        out.append({"code": code, **outcome})
    return out


def main():
    torch.set_num_threads(1)
    data = {"torch": torch.__version__, "steps": record_steps(),
            "schedulers": record_schedulers(), "state_dicts": record_state_dicts(),
            "errors": record_errors()}
    with open(OUT, "w") as f:
        json.dump(data, f, indent=1)
    print(f"wrote {OUT}: {len(data['steps'])} step cases, {len(data['schedulers'])} "
          f"schedulers, {len(data['state_dicts'])} state dicts, {len(data['errors'])} errors")


if __name__ == "__main__":
    main()
