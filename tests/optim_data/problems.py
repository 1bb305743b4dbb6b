"""The fixed problems the optimizer tests run, written once for PyTorch and nbgrad.

Every function takes `lib` (``torch`` when recording, ``nbgrad`` in the tests)
so that both libraries run the same ops on the same float64 numbers; the
starting values come from NumPy's seeded generator, not from either library.
"""

import numpy as np

MLP_SHAPES = {"W1": (3, 4), "b1": (4,), "W2": (4, 2), "b2": (2,)}
ROSEN_X0 = [-1.2, 1.0, -0.5, 0.8, 1.3]
# metrics fed to ReduceLROnPlateau: improving, then a plateau
METRICS = [5, 4, 4, 4, 4, 4, 3, 3, 3, 3, 3, 3] + [3] * 18


def mlp_data():
    """Initial parameters, inputs and targets of the small MLP (float64 NumPy arrays)."""
    rng = np.random.default_rng(1234)
    init = {k: rng.standard_normal(s) * 0.7 for k, s in MLP_SHAPES.items()}
    x = rng.standard_normal((6, 3))
    y = rng.standard_normal((6, 2))
    return init, x, y


def mlp_params(lib, dtype="float64", noncontiguous=False, device="cpu"):
    """Leaf parameters W1, b1, W2, b2 (W1 stored transposed when `noncontiguous`)."""
    init, _, _ = mlp_data()
    dt = getattr(lib, dtype)
    out = []
    for k, v in init.items():
        if noncontiguous and k == "W1":
            t = lib.tensor(np.ascontiguousarray(v.T), dtype=dt, device=device).t()
            t.requires_grad_()
        else:
            t = lib.tensor(v, dtype=dt, requires_grad=True, device=device)
        out.append(t)
    return out


def mlp_loss(lib, params, dtype="float64", device="cpu"):
    """mean((tanh(x @ W1 + b1) @ W2 + b2 - y) ** 2): smooth, nonconvex, 22 parameters."""
    _, x, y = mlp_data()
    dt = getattr(lib, dtype)
    w1, b1, w2, b2 = params[:4]
    h = (lib.tensor(x, dtype=dt, device=device) @ w1 + b1).tanh()
    return ((h @ w2 + b2 - lib.tensor(y, dtype=dt, device=device)) ** 2).mean()


def rosen_params(lib, device="cpu"):
    return [lib.tensor(ROSEN_X0, dtype=lib.float64, requires_grad=True, device=device)]


def rosen_loss(lib, params):
    """The extended Rosenbrock function of a 5-vector."""
    x = params[0]
    return ((1 - x[:-1]) ** 2).sum() + 100 * ((x[1:] - x[:-1] ** 2) ** 2).sum()


def flat(params):
    return np.concatenate([p.detach().cpu().numpy().ravel() for p in params]).tolist()


def run_steps(lib, opt_name, kwargs, problem="mlp", steps=10, groups=False, unused=False,
              dtype="float64", noncontiguous=False, device="cpu"):
    """Run `steps` optimizer steps; returns (parameters after each step, losses, optimizer).

    `groups`: the biases in a second group with half the learning rate.  `unused`: an
    extra parameter that never gets a gradient (its ``.grad`` stays None)."""
    if problem == "mlp":
        params = mlp_params(lib, dtype, noncontiguous, device)
        loss_fn = lambda: mlp_loss(lib, params, dtype, device)
    else:
        params = rosen_params(lib, device)
        loss_fn = lambda: rosen_loss(lib, params)
    extra = [lib.tensor([0.5, -0.5], dtype=getattr(lib, dtype), requires_grad=True,
                        device=device)] if unused else []
    cls = getattr(lib.optim, opt_name)
    if groups:
        lr = kwargs.get("lr", 1e-3)
        spec = [{"params": [params[0], params[2]] + extra},
                {"params": [params[1], params[3]], "lr": lr / 2}]
    else:
        spec = params + extra
    opt = cls(spec, **kwargs)

    def closure():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss

    trace, losses = [], []
    for _ in range(steps):
        if opt_name == "LBFGS":
            loss = opt.step(closure)
        else:
            loss = closure()
            opt.step()
        losses.append(float(loss.detach()))
        trace.append(flat(params + extra))
    return trace, losses, opt


def describe(v):
    """A JSON description of a state_dict value (types kept apart: int, float, tensor)."""
    if type(v).__name__ == "Tensor":   # a torch or nbgrad tensor
        arr = v.detach().cpu().numpy()
        return {"tensor": str(v.dtype).replace("torch.", ""), "shape": list(arr.shape),
                "values": np.asarray(arr, np.float64).ravel().tolist()}
    if isinstance(v, dict):
        return {"dict": [[k, describe(x)] for k, x in v.items()]}
    if isinstance(v, list):
        return {"list": [describe(x) for x in v]}
    if isinstance(v, tuple):
        return {"tuple": [describe(x) for x in v]}
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return {"const": v}
    if isinstance(v, int):
        return {"int": v}
    if isinstance(v, float):
        return {"float": v}
    raise TypeError(f"cannot describe {type(v)}")


def scheduler_sequence(lib, opt_name, opt_kwargs, sched, sched_kwargs, metric, steps=30):
    """lr (and momentum or beta1) of both groups after each of `steps` scheduler steps."""
    ps = [lib.zeros(2, requires_grad=True), lib.zeros(3, requires_grad=True)]
    opt = getattr(lib.optim, opt_name)([{"params": [ps[0]]}, {"params": [ps[1]], "lr": 0.05}],
                                        **opt_kwargs)
    if sched == "LambdaLR":
        sched_kwargs = {"lr_lambda": lambda e: 0.95 ** e + 0.01 * e}
    s = getattr(lib.optim.lr_scheduler, sched)(opt, **sched_kwargs)
    seq = []
    for e in range(steps):
        opt.step()
        s.step(METRICS[e]) if metric else s.step()
        row = [g["lr"] for g in opt.param_groups]
        row += [g["betas"][0] if "betas" in g else g.get("momentum", 0.0)
                for g in opt.param_groups]
        seq.append([float(v) for v in row])
    return seq, s
