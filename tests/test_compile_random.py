"""nb.compile of functions that draw random tensors with the float factories
(``nb.rand``, ``nb.randn``, ``randn_like``...): each replay draws fresh numbers
from the live generator at the point the eager call draws them, so after one
seed a compiled run gives the eager run's numbers; what cannot replay that way
runs eagerly with a warning."""

import warnings

import numpy as np
import pytest

import nbgrad as nb
from nbgrad.compiler import CompileWarning
from nbgrad.compiler.arrays import ArrayPlan
from nbgrad.compiler.replay import TapePlan

F = nb.nn.functional


def _noisy(x):
    eps = nb.randn_like(x)
    u = nb.rand(x.shape[-1], dtype=x.dtype)
    return (x * u + eps).sum(), eps


def _runs(fn, x, calls, seed=3):
    nb.manual_seed(seed)
    return [[v.detach().numpy().copy() for v in fn(x)] for _ in range(calls)]


@pytest.mark.parametrize("shape", [(5,), (64, 128)], ids=["tape", "arrays"])
def test_float_factories_draw_fresh_numbers_as_eagerly(shape):
    x = nb.ones(*shape, dtype=nb.float64)
    step = nb.compile(_noisy)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)
        got = _runs(step, x, 4)
    want = _runs(_noisy, x, 4)
    for g, w in zip(got, want):
        for a, b in zip(g, w):
            np.testing.assert_array_equal(a, b)
    assert len({g[1].tobytes() for g in got}) == 4   # fresh numbers on every call
    assert step.stats["replays"] == 3
    if len(shape) > 1:
        assert all(isinstance(p, ArrayPlan) for ps in step._plans.values() for p in ps)


def _vae(sizes, dtype=nb.float64):
    n_in, hidden, latent = sizes
    nb.manual_seed(0)
    enc, dec = nb.nn.Linear(n_in, hidden).to(dtype), nb.nn.Linear(latent, n_in).to(dtype)
    mu, log_var = nb.nn.Linear(hidden, latent).to(dtype), nb.nn.Linear(hidden, latent).to(dtype)
    params = [p for m in (enc, mu, log_var, dec) for p in m.parameters()]
    opt = nb.optim.Adam(params, lr=1e-3)

    def step(x):   # the reparameterisation trick: z = mu + std * eps, eps drawn per step
        h = F.relu(enc(x))
        m, lv = mu(h), log_var(h)
        z = m + (0.5 * lv).exp() * nb.randn_like(m)
        kl = -0.5 * (1 + lv - m * m - lv.exp()).sum()
        loss = F.mse_loss(dec(z), x, reduction="sum") + kl
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    return step, params


@pytest.mark.parametrize("batch, sizes, plan", [(8, (6, 4, 3), TapePlan),
                                                (128, (256, 64, 16), ArrayPlan)],
                         ids=["tape", "arrays"])
def test_a_vae_training_step_replays_as_eagerly(batch, sizes, plan):
    results = []
    for compiled in (False, True):
        step, params = _vae(sizes)
        fn = nb.compile(step) if compiled else step
        nb.manual_seed(5)
        xs = [nb.randn(batch, sizes[0], dtype=nb.float64) for _ in range(5)]
        nb.manual_seed(9)
        with warnings.catch_warnings():
            warnings.simplefilter("error", CompileWarning)
            losses = [fn(x).detach().numpy().copy() for x in xs]
        results.append(losses + [p.detach().numpy().copy() for p in params])
        if compiled:
            assert fn.stats["replays"] == 3 and fn.stats["eager_calls"] == 0
            assert {type(p) for ps in fn._plans.values() for p in ps} == {plan}
    for a, b in zip(*results):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("body, what", [
    (lambda x: x * nb.randn(3, dtype=nb.float64, requires_grad=True),
     "randn(requires_grad=True)"),
    (lambda x: x * nb.randint(0, 3, (3,)), "a random draw of integers"),
])
def test_what_a_replay_cannot_draw_runs_eagerly_with_a_warning(body, what):
    step = nb.compile(body)
    x = nb.ones(3, dtype=nb.float64)
    with pytest.warns(CompileWarning, match=what.replace("(", r"\(").replace(")", r"\)")):
        step(x)
    step(x)
    assert step.stats["eager_calls"] == 1 and step.stats["replays"] == 0
