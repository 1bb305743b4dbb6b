"""Random generators and draws (issue 14): the Philox generator's known answers, the
Generator API and its state, streams that do not depend on how a draw is split or
run (serial, parallel, CPU, CUDA simulator), statistical tests of every
distribution (the checks of asv_benchmarks/random_stats.py on 2*10**4 draws),
PyTorch's zero gradients, nb.compile's handling, and docs/random.md's examples.
PyTorch's errors, shapes, dtypes and node names are in the differential cases
(tests/differential/cases_random.py) and the op database (tests/opdb/random.py)."""

import json
import os
import re
import sys
import threading
import warnings

import numpy as np
import pytest

import nbgrad as nb
from asv_benchmarks import random_stats
from nbgrad.backends import philox
from nbgrad.backends.cpu import creation
from tests.test_cuda_harness import in_simulator_process, needs_numba_cuda, run_child

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Random123's tests/kat_vectors, the three philox4x32 10 lines: counter, key, result
KAT = [((0, 0, 0, 0), (0, 0), (0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8)),
       ((0xffffffff,) * 4, (0xffffffff,) * 2, (0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd)),
       ((0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344), (0xa4093822, 0x299f31d0),
        (0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1))]


@pytest.mark.parametrize("ctr, key, want", KAT)
def test_philox_known_answers_compiled_and_in_python(ctr, key, want):
    args = [np.uint64(v) for v in ctr + key]
    assert tuple(int(w) for w in creation._P["philox4x32"](*args)) == want
    assert tuple(int(w) for w in philox.philox4x32(*args)) == want


# -- the Generator -------------------------------------------------------------------------
def test_a_seed_gives_one_stream_and_generators_are_independent():
    g = nb.Generator().manual_seed(42)
    a = nb.randn(6, generator=g)
    nb.manual_seed(0)
    nb.rand(100)                            # the default generator moves, g does not
    b = nb.randn(6, generator=g)
    assert not np.array_equal(a.numpy(), b.numpy())
    g.manual_seed(42)
    assert np.array_equal(nb.randn(6, generator=g).numpy(), a.numpy())
    assert np.array_equal(nb.randn(6, generator=g).numpy(), b.numpy())
    assert not np.array_equal(nb.randn(6, generator=nb.Generator().manual_seed(43)).numpy(),
                              a.numpy())


def test_state_round_trips_and_is_seed_and_offset():
    g = nb.Generator().manual_seed(2**64 - 3)
    nb.rand(5, generator=g)
    s = g.get_state()
    assert s.dtype is nb.uint8 and tuple(s.shape) == (16,)
    assert list(s.numpy().view("<u8")) == [2**64 - 3, 5]
    a = nb.rand(7, generator=g)
    g.manual_seed(1)
    assert g.set_state(s) is g and g.initial_seed() == 2**64 - 3
    assert np.array_equal(nb.rand(7, generator=g).numpy(), a.numpy())
    with pytest.raises(TypeError):
        g.set_state(nb.zeros(16))
    with pytest.raises(RuntimeError, match="size"):
        g.set_state(nb.zeros(15, dtype=nb.uint8))


def test_default_generator_and_module_functions():
    assert nb.manual_seed(11) is nb.default_generator and nb.initial_seed() == 11
    s = nb.get_rng_state()
    a = nb.rand(4)
    nb.set_rng_state(s)
    assert np.array_equal(nb.rand(4).numpy(), a.numpy())
    seeds = {nb.seed() for _ in range(3)}
    assert len(seeds) == 3 and nb.initial_seed() in seeds and all(0 <= v < 2**63 for v in seeds)
    assert nb.Generator().initial_seed() == 67280421310721   # PyTorch's default seed


def test_generator_device_and_type_are_checked():
    g = nb.Generator("cuda")
    assert g.device == nb.device("cuda", 0)
    with pytest.raises(RuntimeError, match="Expected a 'cpu' device type for generator"):
        nb.rand(2, generator=g)
    with pytest.raises(RuntimeError, match="device type for generator"):
        nb.ones(3).uniform_(generator=g)
    with pytest.raises(TypeError, match="generator"):
        nb.randn(2, generator=3)


def test_a_draw_may_be_split_anywhere():
    """Element i of a draw reads counter offset + i: draws of 10 then 5 numbers give
    one draw of 15's, for every distribution."""
    for fn in (lambda n, g: nb.rand(n, generator=g, dtype=nb.float64),
               lambda n, g: nb.empty(n).cauchy_(generator=g),
               lambda n, g: nb.randint(0, 1000, (n,), generator=g)):
        g = nb.Generator().manual_seed(5)
        parts = np.concatenate([fn(10, g).numpy(), fn(5, g).numpy()])
        assert np.array_equal(parts, fn(15, nb.Generator().manual_seed(5)).numpy())


def test_parallel_loops_give_the_serial_numbers():
    n = creation.PARALLEL_THRESHOLD + 10
    big = nb.randn(n, generator=nb.Generator().manual_seed(9)).numpy()
    small = nb.randn(10, generator=nb.Generator().manual_seed(9)).numpy()
    assert np.array_equal(big[:10], small)
    for kind in (philox.UNIFORM, philox.POISSON, philox.LOG_NORMAL):
        serial, parallel = np.empty(n), np.empty(n)
        creation._sample_serial(serial, kind, np.uint64(3), np.uint64(7), 2.0, 0.5, 53)
        creation._sample_parallel(parallel, kind, np.uint64(3), np.uint64(7), 2.0, 0.5, 53)
        assert np.array_equal(serial, parallel)


def test_threads_sharing_a_generator_never_get_the_same_numbers():
    g = nb.Generator().manual_seed(1)
    got = []

    def work():
        for _ in range(200):
            got.append(nb.rand(3, generator=g, dtype=nb.float64).numpy())
    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    values = np.concatenate(got)
    assert len(np.unique(values)) == values.size == 2400
    assert g.get_state().numpy().view("<u8")[1] == 2400


# -- gradients -----------------------------------------------------------------------------
def test_normal_gradients_are_pytorchs_zeros_at_every_order():
    mean = nb.tensor([0.5, -1.0], dtype=nb.float64, requires_grad=True)
    std = nb.tensor([[1.0], [2.0]], dtype=nb.float64, requires_grad=True)
    out = nb.normal(mean, std)
    assert type(out.grad_fn).__name__ == "NormalBackward3" and tuple(out.shape) == (2, 2)
    gm, gs = nb.autograd.grad(out.sum(), [mean, std], create_graph=True)
    assert gm.shape == mean.shape and gs.shape == std.shape
    assert not gm.numpy().any() and not gs.numpy().any()


def test_bernoulli_with_a_float_p_has_pytorchs_unimplemented_derivative():
    p = nb.full((3,), 0.5, requires_grad=True)
    out = nb.bernoulli(p, 0.5)
    assert type(out.grad_fn).__name__ == "NotImplemented"
    with pytest.raises(RuntimeError, match="derivative for aten::bernoulli is not implemented"):
        out.sum().backward()


def test_an_inplace_fill_invalidates_what_a_node_saved():
    x = nb.ones(3, requires_grad=True)
    y = x * 1
    z = (y * y).sum()
    y.exponential_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.backward()


def test_inplace_fills_of_views_and_integer_tensors():
    base = nb.zeros(4, 6, dtype=nb.float64)
    base[:, ::2].uniform_(5.0, 6.0, generator=nb.Generator().manual_seed(0))
    a = base.numpy()
    assert ((a[:, ::2] >= 5) & (a[:, ::2] < 6)).all() and not a[:, 1::2].any()
    ints = nb.zeros(1000, dtype=nb.int32).random_(-3, 4)
    assert set(np.unique(ints.numpy())) == set(range(-3, 4))
    assert nb.zeros(50, dtype=nb.uint8).geometric_(0.9).numpy().min() >= 1
    assert set(np.unique(nb.zeros(100, dtype=nb.bool).bernoulli_(0.5).numpy())) == {False, True}


def test_poisson_refuses_an_infinite_rate():
    # PyTorch returns -2**63 for it: a silently wrong number
    with pytest.raises(RuntimeError, match="finite"):
        nb.poisson(nb.tensor([1.0, float("inf")]))


# -- statistics ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(random_stats.CHECKS))
def test_distribution_passes_its_statistical_test(name):
    i = list(random_stats.CHECKS).index(name)
    g = nb.Generator().manual_seed(77 + i)
    nb.manual_seed(77 + i)
    stat, p = random_stats.CHECKS[name](20000, g, "cpu")
    assert p > random_stats.THRESHOLD, f"{name}: statistic {stat}, p = {p}"


def test_the_statistical_tests_can_fail():
    rng = np.random.default_rng(0)
    assert random_stats.ks(rng.random(20000) ** 1.05, lambda x: x)[1] < 1e-3
    assert random_stats.ks(rng.standard_normal(20000) * 1.05, random_stats._phi)[1] < 1e-3
    counts = np.bincount(rng.integers(0, 10, 20000), minlength=10)
    counts[3] += 400
    assert random_stats.chi2(counts, np.full(10, 0.1))[1] < 1e-3


def test_p_values_match_known_values():
    # chi-square: P(X >= 3.841) = 0.05 for 1 dof, P(X >= 18.307) = 0.05 for 10 dof
    assert random_stats.chi2_sf(3.841458820694124, 1) == pytest.approx(0.05, rel=1e-9)
    assert random_stats.chi2_sf(18.307038053275146, 10) == pytest.approx(0.05, rel=1e-9)
    # Kolmogorov: P(sqrt(n) D >= 1.3581) = 0.05 asymptotically
    assert random_stats.ks_sf(1.3580986393225505 / 1e4, 10 ** 8) == pytest.approx(0.05, rel=1e-3)


# -- nb.compile ----------------------------------------------------------------------------
@pytest.mark.parametrize("draw", [lambda x: x + nb.normal(0.0, 1.0, (3,), dtype=nb.float64),
                                  lambda x: x * nb.rand_like(x),
                                  lambda x: x + nb.randperm(3, dtype=nb.float64),
                                  lambda x: x + nb.randint(0, 9, (3,))])
def test_random_factories_replay_eager_draws_under_compile(draw):
    step = nb.compile(draw)
    x = nb.ones(3, dtype=nb.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        step(x)
        nb.manual_seed(5)
        compiled = [step(x).tolist() for _ in range(3)]
    nb.manual_seed(5)
    eager = [draw(x).tolist() for _ in range(3)]
    assert compiled == eager
    assert len({tuple(c) for c in compiled}) == 3
    assert step.stats["replays"] >= 3


def test_random_ops_replay_with_fresh_numbers():
    step = nb.compile(lambda m: nb.normal(m * 2, 1.0))
    m = nb.zeros(8, dtype=nb.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outs = {tuple(step(m).tolist()) for _ in range(4)}
    assert len(outs) == 4


# -- CPU and CUDA: one seed, one stream ----------------------------------------------------
def _draws(device):
    """Every kind of draw on `device`, from seeded generators, as lists."""
    out = {}
    g = nb.Generator(device).manual_seed(123)
    p = nb.tensor([[0.2, 0.0, 0.5, 0.3], [1.0, 1.0, 1.0, 1.0]], device=device)
    out["rand f32"] = nb.rand(5, generator=g, device=device)
    out["randn f64"] = nb.randn(2, 3, generator=g, device=device, dtype=nb.float64)
    out["randint"] = nb.randint(-5, 5, (7,), generator=g, device=device)
    out["randperm"] = nb.randperm(9, generator=g, device=device)
    out["normal"] = nb.normal(nb.zeros(4, device=device), nb.ones(4, device=device),
                              generator=g)
    out["bernoulli"] = nb.bernoulli(nb.full((6,), 0.5, device=device), generator=g)
    out["poisson"] = nb.poisson(nb.tensor([0.5, 4.0, 25.0], device=device), generator=g)
    out["multinomial"] = nb.multinomial(p, 3, generator=g)
    out["multinomial r"] = nb.multinomial(p, 5, True, generator=g)
    for m, args in (("uniform_", (-1.0, 1.0)), ("normal_", ()), ("exponential_", ()),
                    ("geometric_", (0.3,)), ("cauchy_", ()), ("log_normal_", ()),
                    ("random_", (0, 100)), ("bernoulli_", (0.3,))):
        out[m] = getattr(nb.empty(2, 3, device=device, dtype=nb.float64), m)(*args,
                                                                                generator=g)
    nb.manual_seed(5)
    out["dropout"] = nb.nn.functional.dropout(nb.ones(20, device=device), 0.5)
    out["randn default"] = nb.randn(4, device=device)
    return {k: v.cpu().tolist() for k, v in out.items()}


def _cross_device():
    cpu, cuda = _draws("cpu"), _draws("cuda")
    return {k: [cpu[k], cuda[k]] for k in cpu}


@needs_numba_cuda
def test_one_seed_gives_the_same_numbers_on_cpu_and_cuda():
    if in_simulator_process():
        from tests.test_cuda_harness import install
        install()
        got = _cross_device()
    else:
        got = run_child(os.path.abspath(__file__), ["--child"], timeout=900)
    for name, (cpu, cuda) in got.items():
        np.testing.assert_allclose(np.asarray(cuda, dtype=np.float64),
                                   np.asarray(cpu, dtype=np.float64), rtol=1e-12, atol=0,
                                   err_msg=name)


# -- docs ----------------------------------------------------------------------------------
def test_docs_examples_run(capsys):
    with open(os.path.join(ROOT, "docs", "random.md"), encoding="utf-8") as f:
        blocks = re.findall(r"^```python\n(.*?)^```", f.read(), re.S | re.M)
    assert len(blocks) >= 4
    ns = {"__name__": "docs_random"}
    for i, code in enumerate(blocks):
        exec(compile(code, f"random.md[block {i}]", "exec"), ns)
    assert capsys.readouterr().out


if __name__ == "__main__" and "--child" in sys.argv:
    from tests.test_cuda_harness import install
    install()
    print(json.dumps(_cross_device()))
