"""First use of ops from many threads at once: on a cold kernel cache (every
kernel generated, written and compiled while the threads race), on a warm one
(loaded from disk) and with the cache disabled (generated in memory).

Each run is a new process (first use happens once per process) in which six
threads wait at a barrier, then create tensors and run a few ops forward and
backward; every thread must finish without an exception and with the values
and gradients of the closed forms.  Before nbgrad built a generated module
under a lock, up to 7 runs of 10 failed with ``AttributeError: module
'_nbgrad_gen_...' has no attribute 'kernel'``.
"""

import json

import pytest

from tests.cache_support import frozen_copy, run_many

THREADS = 6
RUNS = 10

SCRIPT = r"""
import json, math, threading, traceback
import nbgrad as nb
import nbgrad.nn.functional as F

N = %d
barrier = threading.Barrier(N)
results, errors = [], []

def close(a, b):
    return all(math.isclose(u, v, rel_tol=1e-12, abs_tol=1e-12) for u, v in zip(a, b))

def work(i):
    try:
        barrier.wait(timeout=120)
        xs = [-1.0 + 0.5 * k + 0.01 * i for k in range(5)]
        ys = [0.5 + 0.25 * k for k in range(5)]
        x = nb.tensor(xs, dtype=nb.float64, requires_grad=True)
        y = nb.tensor(ys, dtype=nb.float64, requires_grad=True)
        z = (x * y + x).tanh()
        out = (z.exp() * y).sum() + F.relu(x).sum()
        out.backward()
        zs = [math.tanh(a * b + a) for a, b in zip(xs, ys)]
        gz = [math.exp(c) * b * (1 - c * c) for c, b in zip(zs, ys)]
        relu_g = [1.0 if a > 0 else 0.0 for a in xs]
        want = sum(math.exp(c) * b for c, b in zip(zs, ys)) + sum(max(a, 0.0) for a in xs)
        ok = (close([out.item()], [want])
              and close(x.grad.tolist(), [g * (b + 1) + r for g, b, r in zip(gz, ys, relu_g)])
              and close(y.grad.tolist(), [g * a + math.exp(c) for g, a, c in zip(gz, xs, zs)]))
        results.append(ok)
    except Exception:
        errors.append(traceback.format_exc())

threads = [threading.Thread(target=work, args=(i,)) for i in range(N)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps({"results": results, "errors": errors}))
""" % THREADS


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return frozen_copy(tmp_path_factory.mktemp("site"))


def _check(outs):
    for out in outs:
        res = json.loads(out.strip().splitlines()[-1])
        assert res["errors"] == [], res["errors"][0]
        assert res["results"] == [True] * THREADS


def test_first_use_from_threads_on_a_cold_cache(site, tmp_path):
    envs = [{"NBGRAD_CACHE_DIR": str(tmp_path / f"cache{r}"), "NBGRAD_DISABLE_CACHE": ""}
            for r in range(RUNS)]
    _check(run_many(site, SCRIPT, envs))


def test_first_use_from_threads_on_a_warm_cache(site, tmp_path):
    env = {"NBGRAD_CACHE_DIR": str(tmp_path / "cache"), "NBGRAD_DISABLE_CACHE": ""}
    _check(run_many(site, SCRIPT, [env]))        # warms the cache
    _check(run_many(site, SCRIPT, [env] * RUNS))


def test_first_use_from_threads_without_a_disk_cache(site):
    _check(run_many(site, SCRIPT, [{"NBGRAD_DISABLE_CACHE": "1"}] * 2))
