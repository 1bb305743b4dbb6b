"""Random programs (hypothesis): nb.compile replays give eager's values, gradients
and parameter updates, or fall back with a warning; never a different number.

A program is a list of steps over a pool of tensors that starts with two
arguments and a captured parameter: unary, binary (broadcasting), scalar,
reduction, matmul, stack and indexing steps (an int, or a third argument: an
int64 index tensor that differs on every call), a bool mask (``t * (t > 0)``), a
reshape, optionally a branch on a tensor's value (must fall back), then a
backward of the sum of everything and an SGD update of the parameter in place.
"""

import types
import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nbgrad as nb
from nbgrad.compiler import CompileWarning

SHAPES = [(), (3,), (2, 3)]
UNARY = ["tanh", "sigmoid", "sin", "neg", "exp"]
BINARY = ["add", "mul", "sub"]


def _broadcastable(a, b):
    try:
        np.broadcast_shapes(a, b)
        return True
    except ValueError:
        return False


@st.composite
def programs(draw):
    shapes = [draw(st.sampled_from(SHAPES)) for _ in range(2)] + [(3,)]
    steps = []
    for _ in range(draw(st.integers(1, 8))):
        n = len(shapes)
        kind = draw(st.sampled_from(["unary", "binary", "scalar", "reduce", "matmul",
                                     "stack", "index", "take", "mask", "flatten"]))
        i, j = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
        a, b = shapes[i], shapes[j]
        if kind == "unary":
            steps.append(("unary", draw(st.sampled_from(UNARY)), i))
            shapes.append(a)
        elif kind == "binary" and _broadcastable(a, b):
            steps.append(("binary", draw(st.sampled_from(BINARY)), i, j))
            shapes.append(np.broadcast_shapes(a, b))
        elif kind == "scalar":
            steps.append(("scalar", draw(st.sampled_from([0.5, -2.0, 3])), i))
            shapes.append(a)
        elif kind == "reduce":
            steps.append(("reduce", draw(st.sampled_from(["sum", "mean"])), i))
            shapes.append(())
        elif kind == "matmul" and a == (2, 3) and b == (3,):
            steps.append(("matmul", i, j))
            shapes.append((2,))
        elif kind == "stack" and a == b:
            steps.append(("stack", i, j))
            shapes.append((2,) + a)
        elif kind == "index" and a:
            steps.append(("index", i))
            shapes.append(a[1:])
        elif kind == "take" and a and a[0] >= 2:   # rows picked by the index argument
            # (values 0, 1; a flattened 0-d tensor has one row)
            steps.append(("take", i))
            shapes.append((2,) + a[1:])
        elif kind == "mask":
            steps.append(("mask", i))
            shapes.append(a)
        elif kind == "flatten" and i >= 3:   # a view aliasing its base on the tape, of
            # a computed tensor (a view of an argument returned must run eagerly)
            steps.append(("flatten", i))
            shapes.append((int(np.prod(a)),))
    branch = draw(st.booleans()) and draw(st.integers(0, 9)) == 0
    return shapes[:2], steps, branch


def run(program, x, y, w, idx):
    _, steps, branch = program
    pool = [x, y, w]
    for step in steps:
        kind = step[0]
        if kind == "unary":
            v = getattr(pool[step[2]], step[1])()
            pool.append(v.tanh() if step[1] == "exp" else v)   # keep values bounded
        elif kind == "binary":
            pool.append(getattr(nb, step[1])(pool[step[2]], pool[step[3]]))
        elif kind == "scalar":
            pool.append(pool[step[2]] * step[1])
        elif kind == "reduce":
            pool.append(getattr(pool[step[2]], step[1])())
        elif kind == "matmul":
            pool.append(pool[step[1]] @ pool[step[2]])
        elif kind == "stack":
            pool.append(nb.stack([pool[step[1]], pool[step[2]]]))
        elif kind == "take":
            pool.append(pool[step[1]][idx])
        elif kind == "mask":
            pool.append(pool[step[1]] * (pool[step[1]] > 0))
        elif kind == "flatten":
            pool.append(pool[step[1]].reshape(-1))
        else:
            pool.append(pool[step[1]][0])
    if branch and pool[-1].sum() > 0:   # control flow on a value: must fall back
        pool.append(pool[-1] * 2)
    loss = w.sum() * 0.0
    for t in pool:
        loss = loss + t.sum()
    loss.backward()
    with nb.no_grad():
        w.sub_(0.1 * w.grad)
        w.grad = None
    return loss, pool[-1]


def _assert_same_call(expected, got, w_eager, w):
    """A compiled call's results and parameter are the eager call's (1e-12)."""
    for e, g in zip(expected, got):
        np.testing.assert_allclose(g.detach().numpy(), e.detach().numpy(),
                                   rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(w.detach().numpy(), w_eager.detach().numpy(),
                               rtol=1e-12, atol=1e-12)


def _t(shape, seed, rg=False):
    values = np.random.default_rng(seed).uniform(-1, 1, size=shape)
    return nb.tensor(values, dtype=nb.float64, requires_grad=rg)


@settings(max_examples=100, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(programs(), st.booleans())
def test_random_programs_replay_as_eager(program, x_requires_grad):
    step = replay_matches_eager(program, x_requires_grad)
    REPLAYED.append(step.stats["replays"] >= 1)


def replay_matches_eager(program, x_requires_grad, widen=1):
    """Three calls of `program` compiled and eagerly give the same values, parameter
    and .grad; the last dimension of every tensor is `widen` times the drawn one
    (large tensors: the array replay). Returns the compiled function."""
    shapes = [s[:-1] + (s[-1] * widen,) if s else s for s in program[0]]
    w_eager, w = _t((3 * widen,), 2, True), _t((3 * widen,), 2, True)
    step = nb.compile(lambda x, y, idx: run(program, x, y, w, idx))
    warned = []
    for call in range(3):
        x, y = _t(shapes[0], 10 + call, x_requires_grad), _t(shapes[1], 20 + call)
        xe, ye = _t(shapes[0], 10 + call, x_requires_grad), _t(shapes[1], 20 + call)
        idx = nb.tensor([[1, 0], [0, 0], [1, 1]][call])
        expected = run(program, xe, ye, w_eager, idx)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", CompileWarning)
            got = step(x, y, idx)
        _assert_same_call(expected, got, w_eager, w)
        if x_requires_grad:
            np.testing.assert_allclose(x.grad.numpy(), xe.grad.numpy(), rtol=1e-12,
                                       atol=1e-12)
        warned += [str(c.message) for c in caught]
        if program[2] and call == 0:
            assert any("bool(tensor)" in m for m in warned)
    if program[2]:
        assert step.stats["replays"] == 0
    else:   # replayed, or fell back saying why (e.g. a returned graph over updated w);
        # large tensors outside the array replay's forms run eagerly by choice
        assert step.stats["replays"] >= 1 or len(warned) == 1 or \
            (widen > 1 and "eager kernels" in step.last_reason), warned
    return step


REPLAYED = []


def test_most_random_programs_replayed():
    """The property above ran (same session) and most programs did replay."""
    assert len(REPLAYED) >= 20 and sum(REPLAYED) >= len(REPLAYED) // 2, REPLAYED


REBOUND_REPLAYED = []


@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(programs(), st.lists(st.sampled_from([1.0, 0.5, -2.0]), min_size=4, max_size=4))
def test_random_programs_reading_changed_python_values_replay_as_eager(program, scales):
    """The programs with their inputs scaled by a closure variable and shifted by a
    config object's attribute, both changed between calls without being passed
    (rebound: nb.compile's guards, free_values.py): every call gives the eager
    call's values and parameter.  Before the guards, the first value was replayed."""
    cfg = types.SimpleNamespace(shift=0.0)
    scale = scales[0]
    w_eager, w = _t((3,), 2, True), _t((3,), 2, True)

    def fn(x, y, idx, w):
        return run(program, x * scale + cfg.shift, y * scale, w, idx)
    step = nb.compile(lambda x, y, idx: fn(x, y, idx, w))
    for call, scale in enumerate(scales):
        cfg.shift = 0.25 if call == 3 else 0.0
        x, y = _t(program[0][0], 10 + call), _t(program[0][1], 20 + call)
        idx = nb.tensor([[1, 0], [0, 0], [1, 1], [0, 1]][call])
        expected = fn(x, y, idx, w_eager)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CompileWarning)
            got = step(x, y, idx)
        _assert_same_call(expected, got, w_eager, w)
    REBOUND_REPLAYED.append(step.stats["replays"] >= 1)


def test_some_programs_with_rebound_values_replayed():
    """The property above compared replays, not only recordings, for some programs
    (a call whose scale and shift equal the previous call's replays)."""
    assert len(REBOUND_REPLAYED) >= 20 and sum(REBOUND_REPLAYED) >= 5, REBOUND_REPLAYED
