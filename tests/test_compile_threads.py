"""A compiled function called from several threads at once: each replay owns the
plan's arenas while it runs (before the plan's lock, two interleaved replays
mixed their values: a silently wrong result about once in 20,000 calls)."""

import sys
import threading

import numpy as np
import pytest

import nbgrad as nb


def _hammer(step, inputs, want, calls):
    """Each thread calls `step` on its own input `calls` times; the mismatches."""
    bad = []

    def worker(k):
        for _ in range(calls):
            got = step(*inputs[k]).item()
            if got != want[k]:
                bad.append((k, got))
                return
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(len(inputs))]
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)   # switch threads as often as the interpreter allows
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)
    return bad


@pytest.fixture
def no_side_effect_check(monkeypatch):
    """The function waits on events while it records (their state changes): that is
    a change to Python state a replay would not make, which these tests are not about."""
    from nbgrad.compiler import side_effects
    monkeypatch.setattr(side_effects, "first_change", lambda before: None)


def _small(x, w):
    return ((x * w + 2) * (x + 2) * 3).sum()


def _large(x, w):
    return (x @ w).tanh().sum()


@pytest.mark.parametrize("fn, shape, calls, kind", [
    (_small, (2, 3), 20_000, "TapePlan"),
    (_large, (80, 60), 400, "ArrayPlan"),
])
def test_concurrent_calls_give_each_thread_its_own_result(fn, shape, calls, kind):
    rng = np.random.default_rng(0)
    w = nb.tensor(rng.standard_normal((shape[1], shape[1]) if fn is _large else shape))
    inputs = [(nb.tensor(rng.standard_normal(shape)), w) for _ in range(2)]
    step = nb.compile(fn)
    want = [step(*args).item() for args in inputs]   # one thread: each input's replay
    np.testing.assert_allclose(want, [fn(*args).item() for args in inputs], rtol=1e-12)
    assert _hammer(step, inputs, want, calls) == []
    assert [type(p).__name__ for ps in step._plans.values() for p in ps] == [kind]


def _while_recording(record, other):
    """Run `other()` in a second thread while `record()` is inside its recording
    (`record` calls `meanwhile()` at that point)."""
    started, finished = threading.Event(), threading.Event()
    errors = []

    def second():
        started.wait(30)
        try:
            other()
        except Exception as exc:   # reported below, not lost in the thread
            errors.append(exc)
        finished.set()

    def meanwhile():
        started.set()
        assert finished.wait(30), "the other thread did not finish"

    t = threading.Thread(target=second)
    t.start()
    record(meanwhile)
    t.join()
    assert errors == []


def test_another_threads_update_during_a_recording_does_not_replay(no_side_effect_check):
    """Thread B updates its own tensor in place (no_grad, the replayable form of an
    update) while thread A records: A's replays must not repeat B's update (they did
    when the recorder's patches logged every thread's calls)."""
    w = nb.zeros(3)
    hold = []

    def step_a(x):
        y = x * 2
        hold[0]()
        return (y + 1).sum()

    def update_b():
        with nb.no_grad():
            w.add_(nb.full((3,), 2.0))

    compiled = nb.compile(step_a)
    x = nb.ones(3)
    _while_recording(lambda meanwhile: (hold.append(meanwhile), compiled(x)), update_b)
    assert w.tolist() == [2.0, 2.0, 2.0]
    for _ in range(3):
        assert compiled(x).item() == 9.0
    assert compiled.stats["replays"] == 3
    assert w.tolist() == [2.0, 2.0, 2.0]


def test_another_threads_value_read_does_not_refuse_a_recording(no_side_effect_check):
    """A value read into Python in thread B (item(), printing) says nothing about A's
    function: A's recording still replays."""
    hold = []

    def step_a(x):
        hold[0]()
        return (x * 3).sum()

    compiled = nb.compile(step_a)
    x = nb.ones(2)
    other = nb.ones(2)
    _while_recording(lambda meanwhile: (hold.append(meanwhile), compiled(x)),
                     lambda: (other.sum().item(), repr(other)))
    assert compiled.last_reason is None
    assert compiled(x).item() == 6.0 and compiled.stats["replays"] == 1


def test_a_call_from_inside_its_own_replay_raises_and_leaves_the_plan_usable():
    """An optimizer step hook that calls the compiled step runs inside the replay's
    epilogue: waiting on the plan's lock would hang, so it raises; the outer call
    then releases the plan and later calls replay."""
    w = nb.tensor([1.0, 2.0], dtype=nb.float64, requires_grad=True)
    opt = nb.optim.SGD([w], lr=0.1)
    x = nb.ones(2, dtype=nb.float64)

    def step(x):
        opt.zero_grad()
        loss = (w * x).sum()
        loss.backward()
        opt.step()
        return loss

    f = nb.compile(step)
    f(x)
    f(x)
    handle = opt.register_step_post_hook(lambda optimizer, args, kwargs: f(x))
    with pytest.raises(RuntimeError, match="from inside its own replay"):
        f(x)
    handle.remove()
    replays = f.stats["replays"]
    f(x)
    assert f.stats["replays"] == replays + 1
