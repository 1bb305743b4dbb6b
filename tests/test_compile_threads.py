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
