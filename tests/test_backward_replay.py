"""The eager backward of a graph whose structure was seen before runs as one tape call
(`nbgrad.compiler.backward_replay`): same gradients as the engine, the engine's errors,
and the engine itself for whatever the tape does not run."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nbgrad as nb
from asv_benchmarks.scalar_graph import make_inputs, scalar_graph
from nbgrad.autograd.node import SAVED_FREED_MESSAGE
from nbgrad.compiler import backward_replay
from tests.test_compile_programs import programs
from tests.test_compile_programs import run as run_program

F = nb.nn.functional
ROUNDS = 12   # 84 ops: above backward_replay.MIN_NODES


@pytest.fixture(autouse=True)
def fresh():
    backward_replay.clear()
    backward_replay.enabled[0] = True
    yield
    backward_replay.enabled[0] = True
    backward_replay.clear()


def _grads(loss, xs, **kw):
    """autograd.grad's results as arrays (None where an input is not on the graph)."""
    return [None if g is None else g.numpy().copy()
            for g in nb.autograd.grad(loss, xs, allow_unused=True, **kw)]


def _engine_grads(fn, xs):
    backward_replay.enabled[0] = False
    try:
        return _grads(fn(xs), xs)
    finally:
        backward_replay.enabled[0] = True


def _same(got, want, rtol=1e-12, atol=1e-14):
    assert [g is None for g in got] == [w is None for w in want]
    for g, w in zip(got, want):
        if w is not None:
            np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)


def _counts():
    return dict(backward_replay.stats)


def _delta(before):
    return {k: backward_replay.stats[k] - before[k] for k in before}


def _graph(xs):
    return scalar_graph(nb, xs, rounds=ROUNDS)


def test_second_and_later_backwards_replay_with_the_engines_gradients():
    xs = make_inputs(nb, 20)
    want = _engine_grads(_graph, xs)
    before = _counts()
    for call in range(4):
        _same(_grads(_graph(xs), xs), want)
    # the first call is the engine's, the second builds, every later one replays
    assert _delta(before) == {"walks": 4, "builds": 1, "replays": 3}


def test_backward_accumulates_into_grad_as_the_engine():
    xs = make_inputs(nb, 20)
    want = _engine_grads(_graph, xs)
    for x in xs:
        x.grad = None
    before = _counts()
    for _ in range(3):
        _graph(xs).backward()
    assert _delta(before)["builds"] == 1 and _delta(before)["replays"] == 2
    _same([None if x.grad is None else x.grad.numpy() for x in xs],
          [None if w is None else 3 * w for w in want])


def test_new_values_same_structure_replay_with_new_gradients():
    for seed in range(3):
        xs = make_inputs(nb, 20, seed=seed)
        want = _engine_grads(_graph, xs)
        _same(_grads(_graph(xs), xs), want)
    assert backward_replay.stats["replays"] >= 1


def _replaying(fn, xs):
    """Run fn's backward twice so that the structure is built: the next one replays."""
    for _ in range(2):
        _grads(fn(xs), xs)


def test_a_saved_tensor_changed_in_place_raises_the_engines_error():
    xs = make_inputs(nb, 20)
    _replaying(_graph, xs)

    def changed(xs):
        loss = _graph(xs)
        with nb.no_grad():
            xs[-1].add_(1.0)   # softplus of the newest input saved it
        return loss
    before = _counts()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        _grads(changed(xs), xs)
    assert _delta(before)["replays"] == 0


@pytest.mark.parametrize("through", ["view", "detach"])
def test_a_saved_input_changed_through_a_later_alias_raises_the_engines_error(through):
    """An elementwise node watches its saved inputs by reading the tensor's version
    when checked (it keeps no counter): a view or detach() made after the forward
    gets a counter that the tensor shares, and a change through it is still seen."""
    xs = make_inputs(nb, 20)
    _replaying(_graph, xs)

    def changed(xs):
        loss = _graph(xs)
        alias = xs[-1].view(1) if through == "view" else xs[-1].detach()
        with nb.no_grad():
            alias.mul_(2.0)   # softplus of the newest input saved it
        return loss
    before = _counts()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        _grads(changed(xs), xs)
    assert _delta(before)["replays"] == 0


def test_freed_graph_raises_and_a_retained_graph_gives_the_same_gradients_twice():
    xs = make_inputs(nb, 20)
    _replaying(_graph, xs)
    loss = _graph(xs)
    first = _grads(loss, xs, retain_graph=True)
    _same(_grads(loss, xs), first, 0, 0)
    with pytest.raises(RuntimeError, match="second time"):
        _grads(loss, xs)
    assert SAVED_FREED_MESSAGE.startswith("Trying to backward through the graph a second")


def test_a_hook_makes_the_engine_run_it():
    xs = make_inputs(nb, 20)
    _replaying(_graph, xs)
    seen = []
    loss = _graph(xs)
    loss.grad_fn.next_functions[0][0].register_prehook(lambda gs: seen.append(1))
    before = _counts()
    _grads(loss, xs)
    assert seen == [1] and _delta(before)["replays"] == 0


def test_retain_grad_of_an_intermediate_is_the_engines():
    xs = make_inputs(nb, 20)
    _replaying(_graph, xs)
    before = _counts()
    for _ in range(3):   # the same structure each time: never replayed (a hook)
        mid = xs[3] * xs[4]
        mid.retain_grad()
        (_graph(xs) * mid).backward()
        assert mid.grad is not None
    assert _delta(before)["builds"] == 0 and _delta(before)["replays"] == 0


def test_grad_of_an_intermediate_and_an_unused_input():
    xs = make_inputs(nb, 20)
    unused = nb.tensor(1.0, dtype=nb.float64, requires_grad=True)

    def run():
        vals = list(xs)
        mid = nb.stack(vals[:4]).sum() * 2.0
        loss = _graph([mid] + vals[1:]) + mid
        return nb.autograd.grad(loss, [mid, xs[0], unused], allow_unused=True)
    backward_replay.enabled[0] = False
    want = run()
    backward_replay.enabled[0] = True
    before = _counts()
    for _ in range(3):
        got = run()
        assert got[2] is None
        for g, w in zip(got[:2], want[:2]):
            np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-12)
    assert _delta(before)["builds"] == 1 and _delta(before)["replays"] == 2


def test_float32_and_large_graphs_are_the_engines():
    before = _counts()
    x32 = [nb.tensor(0.5, requires_grad=True) for _ in range(20)]
    big = nb.randn(5000, dtype=nb.float64, requires_grad=True)
    for _ in range(3):
        _grads(_graph(x32), x32)
        y = big
        for _ in range(70):
            y = y * 1.001
        y.sum().backward()
    assert _delta(before)["builds"] == 0 and _delta(before)["replays"] == 0


# -- random graphs: replay against the engine ---------------------------------------------
_UNARY = [nb.exp, nb.tanh, nb.sigmoid, F.softplus, lambda t: t * t, lambda t: 2.5 - t,
          lambda t: t / 3.0, nb.sin]
_SHAPES = [(), (3,), (2, 3)]


def _program(draw_ops, n_inputs, shape):
    """A function of `n_inputs` tensors of `shape` made of `draw_ops` (ints): elementwise
    ops (a number or a one-element tensor broadcast), x op x, stacks, full sums and
    means, softmax over the last dimension, x[i]."""
    def fn(xs):
        vals = list(xs)
        for k, code in enumerate(draw_ops):
            a, b = vals[-1], vals[(7 * k + code) % len(vals)]
            kind = code % 6
            if kind == 0:
                v = _UNARY[code % len(_UNARY)](a)
            elif kind == 1:
                v = a * b + b
            elif kind == 2:
                v = nb.stack([a, b, a]).mean() * b
            elif kind == 3:
                v = nb.softmax(nb.stack([a, b]), -1)[1]
            elif kind == 4:
                v = a * a.mean() if shape else a.mean() - b
            else:
                v = nb.stack([a, b])[1] + a.sum()
            vals.append(v)
        return nb.stack(vals[-3:]).sum()
    return fn


@settings(max_examples=25, deadline=None, derandomize=True)
@given(st.lists(st.integers(0, 200), min_size=30, max_size=60), st.sampled_from(_SHAPES))
def test_random_graphs_replay_the_engines_gradients(codes, shape):
    backward_replay.clear()
    min_nodes = backward_replay.MIN_NODES
    backward_replay.MIN_NODES = 8   # small programs replay too
    try:
        _check_program(codes, shape)
    finally:
        backward_replay.MIN_NODES = min_nodes


def _check_program(codes, shape):
    fn = _program(codes, 5, shape)
    rng = np.random.default_rng(len(codes))
    xs = [nb.tensor(rng.uniform(-1, 1, shape), dtype=nb.float64, requires_grad=True)
          for _ in range(5)]
    want = _engine_grads(fn, xs)
    before = _counts()
    for _ in range(3):
        _same(_grads(fn(xs), xs), want, 1e-10, 1e-12)
    # every op is the tape's: the first call walks, the second builds, the third replays
    assert _delta(before)["builds"] == 1 and _delta(before)["replays"] == 2


def test_graphs_that_never_replay_are_walked_one_in_sixteen_and_a_repeat_still_replays():
    xs = make_inputs(nb, 20)
    before = _counts()
    for k in range(40):   # 40 different graphs: none replays
        _grads(scalar_graph(nb, xs, rounds=ROUNDS + k), xs)
    walks = _delta(before)["walks"]
    assert 8 <= walks <= 8 + 32 // 16 + 1
    for _ in range(2 * 16 + 2):   # one graph again and again: walked, built, replayed
        _grads(_graph(xs), xs)
    assert _delta(before)["replays"] >= 1
    before = _counts()
    for _ in range(3):   # once it replays, every backward is walked again
        _grads(_graph(xs), xs)
    assert _delta(before) == {"walks": 3, "builds": 0, "replays": 3}


# -- nb.compile's random programs, eagerly: replay against the engine ----------------------
REPLAYED = []


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(programs(), st.booleans())
def test_compile_programs_backward_as_the_engine(program, x_requires_grad):
    """tests/test_compile_programs' programs (broadcasting, masks, matmul, stacks,
    indexing, an SGD update of a parameter in place) run eagerly three times, with the
    replay and with the engine only: the same losses, values, parameters and .grad."""
    backward_replay.clear()
    min_nodes = backward_replay.MIN_NODES
    backward_replay.MIN_NODES = 1
    try:
        replayed = _run_program(program, x_requires_grad, True)
        engine = _run_program(program, x_requires_grad, False)
    finally:
        backward_replay.MIN_NODES = min_nodes
        backward_replay.enabled[0] = True
    for got, want in zip(replayed[0], engine[0]):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    REPLAYED.append(replayed[1])


def _run_program(program, x_requires_grad, replay):
    """(the arrays of 3 calls: loss, last value, parameter, x.grad; replays made)."""
    backward_replay.enabled[0] = replay
    before = backward_replay.stats["replays"]
    w = _tensor((3,), 2, True)
    out = []
    for call in range(3):
        x = _tensor(program[0][0], 10 + call, x_requires_grad)
        y = _tensor(program[0][1], 20 + call)
        idx = nb.tensor([[1, 0], [0, 0], [1, 1]][call])
        loss, last = run_program(program, x, y, w, idx)
        out += [loss.detach().numpy().copy(), last.detach().numpy().copy(),
                w.detach().numpy().copy()]
        if x_requires_grad:
            out.append(x.grad.numpy().copy())
    return out, backward_replay.stats["replays"] - before


def _tensor(shape, seed, rg=False):
    values = np.random.default_rng(seed).uniform(-1, 1, size=shape)
    return nb.tensor(values, dtype=nb.float64, requires_grad=rg)


def test_a_share_of_the_compile_programs_replayed():
    assert len(REPLAYED) == 60
    assert sum(1 for r in REPLAYED if r) >= 40, REPLAYED   # 51 when written
