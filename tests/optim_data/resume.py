"""Training runs for tests/test_optim_checkpoint.py: run, checkpoint with nb.save, and
resume in a new process (``python -m tests.optim_data.resume CHECKPOINT OUT CASE``)."""

import sys

import nbgrad as nb
from tests.optim_data import problems

# name -> (optimizer, kwargs, scheduler or None, scheduler kwargs, problem)
CASES = {
    "adam_steplr": ("Adam", {"lr": 0.05, "amsgrad": True}, "StepLR",
                    {"step_size": 3, "gamma": 0.5}, "mlp"),
    "sgd_onecycle": ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}, "OneCycleLR",
                     {"max_lr": 0.2, "total_steps": 12}, "mlp"),
    "rmsprop": ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5}, None, {}, "mlp"),
    "adagrad_cosine": ("Adagrad", {"lr": 0.1}, "CosineAnnealingLR", {"T_max": 4}, "mlp"),
    "lbfgs": ("LBFGS", {"line_search_fn": "strong_wolfe", "history_size": 4, "max_iter": 3},
              None, {}, "rosen"),
}


def build(case, lr_scale=1.0):
    """Fresh parameters, optimizer, scheduler and one-step function for `case`."""
    opt_name, kwargs, sched_name, sched_kwargs, problem = CASES[case]
    if problem == "mlp":
        params = problems.mlp_params(nb)
        loss_fn = lambda: problems.mlp_loss(nb, params)
    else:
        params = problems.rosen_params(nb)
        loss_fn = lambda: problems.rosen_loss(nb, params)
    kwargs = dict(kwargs, lr=kwargs.get("lr", 1.0) * lr_scale)
    opt = getattr(nb.optim, opt_name)(params, **kwargs)
    sched = None if sched_name is None else \
        getattr(nb.optim.lr_scheduler, sched_name)(opt, **sched_kwargs)

    def closure():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss

    def step():
        if opt_name == "LBFGS":
            opt.step(closure)
        else:
            closure()
            opt.step()
        if sched is not None:
            sched.step()

    return params, opt, sched, step


def checkpoint(params, opt, sched):
    return {"params": [p.detach() for p in params], "optimizer": opt.state_dict(),
            "scheduler": None if sched is None else sched.state_dict()}


def resume(path, out, case, steps):
    """Load the checkpoint at `path` into a fresh run (other lr: the state must win), run
    `steps` more steps and save the parameters to `out`."""
    params, opt, sched, step = build(case, lr_scale=3.0)
    ck = nb.load(path)
    with nb.no_grad():
        for p, v in zip(params, ck["params"]):
            p.copy_(v)
    opt.load_state_dict(ck["optimizer"])
    if sched is not None:
        sched.load_state_dict(ck["scheduler"])
    for _ in range(steps):
        step()
    nb.save([p.detach() for p in params], out)


if __name__ == "__main__":
    resume(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
