"""nb.compile of functions that draw random tensors with the factories (``nb.rand``,
``nb.randn``, ``randn_like``, ``nb.randint``, ``nb.randperm``...): each replay draws
fresh numbers from the live generator at the point the eager call draws them, so
after one seed a compiled run gives the eager run's numbers; what cannot replay
that way runs eagerly with a warning."""

import random
import warnings

import numpy as np
import pytest

import nbgrad as nb
from asv_benchmarks import compile_workloads
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


def _replays_eager_draws(fn, x, drawn):
    """4 seeded calls of `fn` compiled give the eager calls' results, with fresh numbers
    in result `drawn` on every call, and no warning; returns the compiled function."""
    step = nb.compile(fn)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)
        got = _runs(step, x, 4)
    want = _runs(fn, x, 4)
    for g, w in zip(got, want):
        for a, b in zip(g, w):
            np.testing.assert_array_equal(a, b)
    assert len({g[drawn].tobytes() for g in got}) == 4
    assert step.stats["replays"] == 3 and step.stats["eager_calls"] == 0
    return step


@pytest.mark.parametrize("shape", [(5,), (64, 128)], ids=["tape", "arrays"])
def test_float_factories_draw_fresh_numbers_as_eagerly(shape):
    x = nb.ones(*shape, dtype=nb.float64)
    step = _replays_eager_draws(_noisy, x, 1)
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
    (lambda x: x * nb.randn(1, dtype=nb.float64).item(), "item"),
    # before: drawn once while recording, then the same number on every replay
    (lambda x: x * random.random(), "random.random()"),
    (lambda x: x * 2 if random.random() < 0.5 else x, "random.random()"),
    (lambda x: x * np.random.rand(), "numpy.random.rand()"),
    (lambda x: x[np.random.randint(3)], "numpy.random.randint()"),
    (lambda x: x * np.random.default_rng().random(), "numpy.random.default_rng()"),
])
def test_what_a_replay_cannot_draw_runs_eagerly_with_a_warning(body, what):
    step = nb.compile(body)
    x = nb.ones(3, dtype=nb.float64)
    with pytest.warns(CompileWarning, match=what.replace("(", r"\(").replace(")", r"\)")):
        step(x)
    step(x)
    assert step.stats["eager_calls"] == 1 and step.stats["replays"] == 0


def test_python_and_numpy_random_are_restored_after_a_recording():
    before = random.random, np.random.rand, np.random.default_rng
    step = nb.compile(lambda x: x * random.random())
    with pytest.warns(CompileWarning):
        step(nb.ones(3, dtype=nb.float64))
    assert (random.random, np.random.rand, np.random.default_rng) == before


GENERATOR = None   # a global generator the functions below draw from


def _draws_from_the_global(x):
    return x * GENERATOR.random()


def _draws_from_its_argument(x, rng):
    return x * rng.random()


class _Noisy(nb.nn.Module):
    def __init__(self, rng):
        super().__init__()
        self.rng = rng

    def forward(self, x):
        return x * self.rng.random()


@pytest.mark.parametrize("make", [lambda: np.random.default_rng(7),
                                  lambda: np.random.RandomState(7), lambda: random.Random(7)],
                         ids=["Generator", "RandomState", "Random"])
@pytest.mark.parametrize("where", ["global", "argument", "module attribute"])
def test_a_generator_object_that_draws_runs_eagerly_with_the_draws_of_eager(make, where):
    """Before, the number drawn while recording was a constant of every replay (the
    three calls returned the same value).  A draw changes the generator's state: the
    recording sees it as a side effect, and the calls draw as eagerly."""
    global GENERATOR

    def calls(compile_fn):
        global GENERATOR
        rng = GENERATOR = make()
        fn = {"global": _draws_from_the_global, "argument": _draws_from_its_argument,
              "module attribute": _Noisy(rng)}[where]
        step = compile_fn(fn)
        extra = (rng,) if where == "argument" else ()
        x = nb.ones(2, dtype=nb.float64)
        return [step(x, *extra)[0].item() for _ in range(3)], step

    try:
        eager, _ = calls(lambda fn: fn)
        with pytest.warns(CompileWarning, match="random number generator"):
            compiled, step = calls(nb.compile)
    finally:
        GENERATOR = None
    assert compiled == eager and len(set(eager)) == 3
    assert step.stats["eager_calls"] == 2


def _makemore(sizes, dtype=nb.float64):
    """Karpathy's makemore MLP step (the benchmark's `makemore_step`) on data and
    parameters of `sizes` and `dtype`: a minibatch drawn with ``randint`` indexes the
    data, its rows index the embedding table, and SGD updates the parameters."""
    n, emb, hidden, batch = sizes
    g = nb.Generator().manual_seed(1)
    X = nb.randint(0, 27, (n, 3), generator=g)
    Y = nb.randint(0, 27, (n,), generator=g)
    C = nb.randn((27, emb), generator=g, dtype=dtype, requires_grad=True)
    W1 = nb.randn((3 * emb, hidden), generator=g, dtype=dtype).mul_(0.2).requires_grad_()
    b1 = nb.zeros(hidden, dtype=dtype, requires_grad=True)
    W2 = nb.randn((hidden, 27), generator=g, dtype=dtype).mul_(0.1).requires_grad_()
    b2 = nb.zeros(27, dtype=dtype, requires_grad=True)
    params = [C, W1, b1, W2, b2]
    step = compile_workloads.makemore_step(nb, X, Y, params, batch)
    return step, params


@pytest.mark.parametrize("dtype", [nb.float64, nb.float32])
@pytest.mark.parametrize("sizes, plan", [((40, 4, 8, 8), TapePlan),
                                         ((500, 32, 256, 64), ArrayPlan)],
                         ids=["tape", "arrays"])
def test_a_minibatch_drawn_with_randint_indexes_as_eagerly(sizes, plan, dtype):
    results = []
    for compiled in (False, True):
        step, params = _makemore(sizes, dtype)
        fn = nb.compile(step) if compiled else step
        nb.manual_seed(4)
        with warnings.catch_warnings():
            warnings.simplefilter("error", CompileWarning)
            losses = [fn(0.1).item() for _ in range(5)]
        results.append([losses] + [p.detach().numpy().copy() for p in params])
        if compiled:
            assert fn.stats["replays"] == 4 and fn.stats["eager_calls"] == 0
            assert {type(p) for ps in fn._plans.values() for p in ps} == {plan}
            if plan is ArrayPlan:   # C[...] an array step, the view an alias of it
                (arrays,) = [p for ps in fn._plans.values() for p in ps]
                assert arrays.hosted == ["randint", "index", "index"]   # X[ix], Y[ix]
    assert len(set(results[0][0])) == 5   # a new minibatch, so a new loss, every step
    tol = 1e-12 if dtype is nb.float64 else 0   # float32: the eager kernels, bit for bit
    for a, b in zip(*results):
        np.testing.assert_allclose(b, a, rtol=tol, atol=tol)


@pytest.mark.parametrize("body", [
    lambda x: x[nb.randperm(x.shape[0])] * 2,                  # a shuffle
    lambda x: x * (nb.rand_like(x) > 0.5),                      # a bool mask, as dropout
    lambda x: nb.where(x > 0.2, x, nb.zeros_like(x)) + nb.randint(0, 5, x.shape),
    lambda x: x + nb.randperm(x.shape[0], dtype=x.dtype),       # a float permutation
], ids=["randperm-index", "mask", "where-randint", "float-randperm"])
@pytest.mark.parametrize("n", [6, 3000], ids=["tape", "arrays"])
def test_integer_and_bool_results_replay_as_eagerly(body, n):
    x = nb.linspace(-1, 1, n, dtype=nb.float64, requires_grad=True)

    def fn(x):
        out = body(x)
        (g,) = nb.autograd.grad(out.sum(), x)
        return out.detach(), g

    _replays_eager_draws(fn, x, 0)
