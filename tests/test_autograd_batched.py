"""Batched gradients (one backward, is_grads_batched=True) equal the row-by-row
vector-Jacobian products for every differentiable op of the op database, and
for the reductions and views that have batch-native rules in the engine."""

import numpy as np
import pytest

import nbgrad as nb
from nbgrad.autograd import batching
from tests.opdb import ALL_OPS

CASES = [(info, i) for info in ALL_OPS if info.grad
         for i in range(len(info.samples(np.random.default_rng(0))))]


def _args(sample):
    diff = sample.diff_positions()
    out = []
    for k, a in enumerate(sample.args):
        if isinstance(a, np.ndarray):
            t = nb.tensor(a.astype(np.float64) if a.dtype.kind == "f" else a)
            out.append(t.requires_grad_(True) if k in diff else t)
        else:
            out.append(a)
    return out


def _check_batched_matches_rows(fn, args, batch=3, create_graph=False):
    inputs = [a for a in args if isinstance(a, nb.Tensor) and a.requires_grad]
    outs = fn(*args)
    outs = [o for o in (outs if isinstance(outs, tuple) else (outs,))
            if o.requires_grad and o.numel()]
    if not outs or not inputs:
        pytest.skip("no differentiable output")
    rng = np.random.default_rng(1)
    vs = [nb.tensor(rng.standard_normal((batch,) + tuple(o.shape)), dtype=o.dtype) for o in outs]
    got = nb.autograd.grad(outs, inputs, vs, retain_graph=True, allow_unused=True,
                           is_grads_batched=True, create_graph=create_graph)
    for b in range(batch):
        want = nb.autograd.grad(outs, inputs, [nb.tensor(v.numpy()[b], dtype=v.dtype) for v in vs],
                                retain_graph=True, allow_unused=True)
        for g, w in zip(got, want):
            if w is None:
                assert g is None or not np.any(g.detach().numpy()[b])
                continue
            assert g.shape == (batch,) + tuple(w.shape)
            np.testing.assert_allclose(g.detach().numpy()[b], w.numpy(), rtol=1e-10,
                                       atol=1e-12)
    return got


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0].id}-{c[1]}")
def test_batched_vjp_matches_row_by_row(case):
    info, i = case
    sample = info.samples(np.random.default_rng(0))[i]
    _check_batched_matches_rows(lambda *a: info.call(*a, **sample.kwargs), _args(sample))


NATIVE = {
    "sum": lambda x: x.sum(),
    "sum-dim": lambda x: x.sum(1),
    "sum-keepdim": lambda x: x.sum((0, 2), keepdim=True),
    "mean": lambda x: x.mean(),
    "mean-keepdim": lambda x: x.mean(1, keepdim=True),
    "reshape": lambda x: x.reshape(4, 6),
    "unsqueeze-squeeze": lambda x: x.unsqueeze(1).squeeze(1),
    "expand": lambda x: x[:, :1].expand(2, 5, 4),
    "clone-to": lambda x: x.clone().float().double(),
    "sum_to_size": lambda x: x.sum_to_size(3, 1),
}


@pytest.mark.parametrize("name", sorted(NATIVE))
def test_batch_native_rules(name, monkeypatch):
    x = nb.tensor(np.linspace(-1, 1, 24).reshape(2, 3, 4), requires_grad=True)
    fn = NATIVE[name]
    _check_batched_matches_rows(fn, [x])
    _check_batched_matches_rows(fn, [x], create_graph=True)


def test_native_rules_do_not_fall_back_to_per_sample_calls(monkeypatch):
    def fail(*a):
        raise AssertionError("per-sample fallback")
    monkeypatch.setattr(batching, "stack_rows", fail)
    x = nb.tensor(np.linspace(-1, 1, 24).reshape(2, 3, 4), requires_grad=True)
    y = (x.exp().sum(2, keepdim=True).reshape(6) * 2).mean()
    v = nb.tensor([1.0, 2.0], dtype=nb.float64)
    (g,) = nb.autograd.grad(y, x, v, is_grads_batched=True)
    assert g.shape == (2, 2, 3, 4)
