"""nbgrad.optim against outcomes recorded from PyTorch 2.13 (tests/optim_data/).

- 10 steps of every optimizer and option set on fixed problems: parameters after
  each step within 1e-6 (float64; 1e-5 for the float32 cases), and the losses;
- state_dict layout and values after 3 steps, and ``repr``;
- errors and warnings of bad arguments (same exception type and message);
- the fused kernel: one call per parameter group, the parallel path equal to the
  serial one, versions bumped, no graph recorded, parameters replaced through
  ``.data`` or added in a new group picked up.
"""

import json
import os
import warnings

import numpy as np
import pytest

import nbgrad as nb
from nbgrad.backends.cpu import optim_kernels
from tests.optim_data import problems

with open(os.path.join(os.path.dirname(__file__), "optim_data", "torch_optim.json")) as _f:
    DATA = json.load(_f)


def _case_id(case):
    opts = ",".join(f"{k}={v}" for k, v in case["options"].items())
    kw = ",".join(f"{k}={v}" for k, v in case["kwargs"].items())
    return f"{case['optimizer']}({kw})[{opts}]"


def _kwargs(kwargs):
    return {k: tuple(v) if k == "betas" else v for k, v in kwargs.items()}


@pytest.mark.parametrize("case", DATA["steps"], ids=_case_id)
def test_ten_steps_match_pytorch(case):
    trace, losses, _ = problems.run_steps(nb, case["optimizer"], _kwargs(case["kwargs"]),
                                          **case["options"])
    tol = 1e-5 if case["options"].get("dtype") == "float32" else 1e-6
    expected = np.array(case["params"])
    got = np.array(trace)
    assert got.shape == expected.shape
    err = np.abs(got - expected).max(axis=1)
    assert (err <= tol).all(), f"parameter error per step: {err}"
    np.testing.assert_allclose(losses, case["losses"], rtol=tol, atol=tol)
    # the recorded run moves well beyond the tolerance, so a no-op step would fail
    assert np.abs(expected[-1] - expected[0]).max() > 100 * tol


def _compare(got, want, path="state_dict"):
    """Structural comparison of two `problems.describe` outputs."""
    assert got.keys() == want.keys(), f"{path}: {got} vs {want}"
    kind = next(iter(want))
    if kind == "tensor":
        assert got["tensor"] == want["tensor"] and got["shape"] == want["shape"], path
        np.testing.assert_allclose(got["values"], want["values"], rtol=1e-6, atol=1e-9,
                                   err_msg=path)
    elif kind == "dict":
        gk = [k for k, _ in got["dict"]]
        wk = [k for k, _ in want["dict"]]
        assert gk == wk, f"{path}: keys {gk} vs {wk}"
        for (k, g), (_, w) in zip(got["dict"], want["dict"]):
            _compare(g, w, f"{path}[{k!r}]")
    elif kind in ("list", "tuple"):
        assert len(got[kind]) == len(want[kind]), path
        for i, (g, w) in enumerate(zip(got[kind], want[kind])):
            _compare(g, w, f"{path}[{i}]")
    elif kind == "float":
        assert got[kind] == pytest.approx(want[kind], rel=1e-6, abs=1e-12), path
    else:
        assert got == want, path


def _lbfgs_scalar(d):
    """PyTorch keeps L-BFGS's scalars as 0-d tensors, nbgrad as Python numbers."""
    if "tensor" in d and d["shape"] == []:
        return {"float": d["values"][0]}
    if "int" in d:
        return {"float": float(d["int"])}
    if "list" in d:
        return {"list": [_lbfgs_scalar(x) for x in d["list"]]}
    return d


@pytest.mark.parametrize("case", DATA["state_dicts"], ids=lambda c: c["optimizer"])
def test_state_dict_layout_matches_pytorch(case):
    name = case["optimizer"]
    _, _, opt = problems.run_steps(nb, name, case["kwargs"], problem=case["problem"], steps=3,
                                   groups=name != "LBFGS")
    got = problems.describe(opt.state_dict())
    want = case["state_dict"]
    if name == "LBFGS":
        state = dict(got["dict"])["state"]["dict"][0][1]["dict"]
        wstate = dict(want["dict"])["state"]["dict"][0][1]["dict"]
        for i, (k, v) in enumerate(state):
            if k in ("t", "H_diag", "ro", "al", "func_evals", "n_iter", "prev_loss"):
                state[i] = [k, _lbfgs_scalar(v)]
        for i, (k, v) in enumerate(wstate):
            if k in ("t", "H_diag", "ro", "al", "func_evals", "n_iter", "prev_loss"):
                wstate[i] = [k, _lbfgs_scalar(v)]
    _compare(got, want)
    plain = getattr(nb.optim, name)([nb.zeros(1, requires_grad=True)], **case["kwargs"])
    assert repr(plain) == case["repr"]


@pytest.mark.parametrize("case", DATA["errors"], ids=lambda c: c["code"][:60])
def test_errors_match_pytorch(case):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            eval(case["code"], {"lib": nb})
            outcome = {"ok": True}
        except Exception as e:  # noqa: BLE001 - compared with PyTorch's outcome
            outcome = {"raises": type(e).__name__, "message": str(e)}
    got_warnings = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    if "raises" in case:
        assert outcome.get("raises") == case["raises"], outcome
        want = case["message"]
        if case["code"].startswith("lib.optim.SGD(lib.ones"):   # names the tensor's type
            want = want.replace("torch.", "")
            assert outcome["message"].replace("torch.", "") == want
        else:
            assert outcome["message"] == want
    else:
        assert outcome == {"ok": True}
    assert got_warnings == case["warnings"]


# -- the fused kernel --------------------------------------------------------------------
def _mlp_with_grads(dtype=nb.float64):
    params = problems.mlp_params(nb, str(dtype).split(".")[-1])
    problems.mlp_loss(nb, params, str(dtype).split(".")[-1]).backward()
    return params


@pytest.mark.parametrize("name,serial", [("SGD", "_sgd_serial"), ("Adam", "_adam_serial"),
                                         ("AdamW", "_adam_serial"),
                                         ("RMSprop", "_rmsprop_serial"),
                                         ("Adagrad", "_adagrad_serial")])
def test_one_kernel_call_per_group(monkeypatch, name, serial):
    calls = []
    real = getattr(optim_kernels, serial)
    monkeypatch.setattr(optim_kernels, serial, lambda *a: calls.append(a[0].shape) or real(*a))
    params = _mlp_with_grads()
    opt = getattr(nb.optim, name)([{"params": params[:3]}, {"params": params[3:], "lr": 0.5}],
                                  lr=0.1, momentum=0.9) if name == "SGD" else \
        getattr(nb.optim, name)([{"params": params[:3]}, {"params": params[3:], "lr": 0.5}])
    opt.step()
    opt.step()
    assert calls == [(3, optim_kernels.NCOLS), (1, optim_kernels.NCOLS)] * 2


@pytest.mark.parametrize("name,kw", [("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
                                     ("Adam", {"amsgrad": True, "weight_decay": 0.1}),
                                     ("RMSprop", {"centered": True, "momentum": 0.5}),
                                     ("Adagrad", {"weight_decay": 0.1})])
def test_parallel_path_equals_serial(monkeypatch, name, kw):
    rng = np.random.default_rng(0)
    init = [rng.standard_normal(n).astype(np.float32) for n in (70_000, 5, 40_000)]
    grads = [[rng.standard_normal(a.size).astype(np.float32) for a in init] for _ in range(3)]

    def run(threshold):
        monkeypatch.setattr(optim_kernels, "PARALLEL_THRESHOLD", threshold)
        ps = [nb.tensor(a, requires_grad=True) for a in init]
        opt = getattr(nb.optim, name)(ps, **kw)
        for gs in grads:
            for p, g in zip(ps, gs):
                p.grad = nb.tensor(g)
            opt.step()
        return [p.detach().numpy().copy() for p in ps]

    serial, parallel = run(1 << 60), run(1)
    for a, b, a0 in zip(serial, parallel, init):
        assert np.array_equal(a, b)
        assert not np.array_equal(a, a0)


def test_step_is_in_place_without_graph():
    params = _mlp_with_grads()
    before = [p._version for p in params]
    buffers = [p._data for p in params]
    nb.optim.Adam(params, lr=0.1).step()
    for p, v, buf in zip(params, before, buffers):
        assert p._version == v + 1
        assert p._data is buf and p.is_leaf and p.requires_grad and p.grad_fn is None


def test_parameters_without_grad_are_skipped_and_keep_no_state():
    a = nb.tensor([1.0, 2.0], requires_grad=True)
    b = nb.tensor([3.0], requires_grad=True)
    opt = nb.optim.Adam([a, b], lr=0.1)
    (a * a).sum().backward()
    opt.step()
    assert b.tolist() == [3.0] and b not in opt.state and a in opt.state
    assert a.tolist() != [1.0, 2.0]


def test_zero_grad():
    params = _mlp_with_grads()
    opt = nb.optim.SGD(params, lr=0.1)
    grads = [p.grad for p in params]
    opt.zero_grad(set_to_none=False)
    assert all(p.grad is g and not g.numpy().any() for p, g in zip(params, grads))
    opt.zero_grad()
    assert all(p.grad is None for p in params)


def test_closure_runs_with_grad_and_its_loss_is_returned():
    w = nb.tensor([1.0, -2.0], requires_grad=True)
    opt = nb.optim.SGD([w], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss

    with nb.no_grad():
        loss = opt.step(closure)
    assert loss.item() == 5.0 and w.tolist() == [0.5, -1.0]


def test_step_hooks():
    w = nb.tensor([1.0], requires_grad=True)
    opt = nb.optim.SGD([w], lr=1.0)
    seen = []
    h1 = opt.register_step_pre_hook(lambda o, a, k: seen.append(("pre", w.item())))
    opt.register_step_post_hook(lambda o, a, k: seen.append(("post", w.item())))
    w.grad = nb.tensor([0.5])
    opt.step()
    h1.remove()
    opt.step()
    assert seen == [("pre", 1.0), ("post", 0.5), ("post", 0.0)]


def test_data_replacement_and_new_groups_are_picked_up():
    w = nb.tensor([1.0, 1.0], requires_grad=True)
    opt = nb.optim.SGD([w], lr=1.0)
    w.grad = nb.tensor([1.0, 2.0])
    opt.step()
    assert w.tolist() == [0.0, -1.0]
    w.data = nb.tensor([10.0, 10.0])        # a new buffer: the cached table is stale
    opt.step()
    assert w.tolist() == [9.0, 8.0]
    v = nb.tensor([5.0], requires_grad=True)
    opt.add_param_group({"params": [v], "lr": 0.5})
    v.grad = nb.tensor([2.0])
    opt.step()
    assert w.tolist() == [8.0, 6.0] and v.tolist() == [4.0]
    assert opt.param_groups[1]["momentum"] == 0     # defaults filled in


def test_load_state_dict_continues_the_run():
    _, _, ref = problems.run_steps(nb, "Adam", {"lr": 0.05, "amsgrad": True}, steps=6)
    _, _, opt = problems.run_steps(nb, "Adam", {"lr": 0.05, "amsgrad": True}, steps=3)
    params = problems.mlp_params(nb)
    with nb.no_grad():
        for p, v in zip(params, opt.param_groups[0]["params"]):
            p.copy_(v)
    fresh = nb.optim.Adam(params, lr=0.001)
    fresh.load_state_dict(opt.state_dict())
    assert fresh.param_groups[0]["lr"] == 0.05 and fresh.param_groups[0]["params"] == params
    for _ in range(3):
        fresh.zero_grad()
        problems.mlp_loss(nb, params).backward()
        fresh.step()
    assert problems.flat(params) == problems.flat(ref.param_groups[0]["params"])


def test_unsupported_dtype_is_refused():
    w = nb.tensor([1, 2])                       # an integer tensor cannot require grad,
    w.grad = nb.tensor([1, 1])                  # but a stray .grad can be set on it
    with pytest.raises(TypeError, match="float32 and float64"):
        nb.optim.Adam([w]).step()


def test_non_leaf_retaining_grad_is_accepted():
    x = nb.tensor([1.0], requires_grad=True) * 2
    x.retain_grad()
    nb.optim.SGD([x])     # PyTorch allows a non-leaf that retains its grad


def test_float64_step_counters_under_float64_default_dtype():
    case = next(c for c in DATA["steps"] if c["optimizer"] == "Adam" and not c["options"]
                and c["kwargs"] == {"lr": 0.05})
    old = nb.get_default_dtype()
    nb.set_default_dtype(nb.float64)
    try:
        trace, _, opt = problems.run_steps(nb, "Adam", {"lr": 0.05})
    finally:
        nb.set_default_dtype(old)
    step = next(iter(opt.state.values()))["step"]
    assert step.dtype is nb.float64 and step.item() == 10.0     # PyTorch's scalar dtype
    assert np.abs(np.array(trace) - np.array(case["params"])).max() <= 1e-6


def test_deepcopy_gives_an_independent_optimizer():
    import copy
    _, _, opt = problems.run_steps(nb, "SGD", {"lr": 0.1, "momentum": 0.9}, steps=2)
    twin = copy.deepcopy(opt)
    p, q = opt.param_groups[0]["params"][0], twin.param_groups[0]["params"][0]
    assert p is not q and np.array_equal(p.detach().numpy(), q.detach().numpy())
    assert twin.state[q]["momentum_buffer"] is not opt.state[p]["momentum_buffer"]
    assert repr(twin) == repr(opt)
