"""Which threads run nbgrad's parallel kernels (`nbgrad.backends.cpu.threads`):
under Numba's workqueue layer, concurrent parallel ops from several threads
are serialised (the layer alone aborts the process); under the OpenMP layer,
Numba runs on its own libgomp even when another OpenMP runtime (PyTorch's,
say) was loaded globally first.  Each case runs in a fresh process: the layer
is chosen once per process."""

import os
import shutil
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="threading layers and libgomp binding are Linux-specific")

_ENV_KEYS = ("NUMBA_THREADING_LAYER", "NUMBA_THREADING_LAYER_PRIORITY", "NUMBA_NUM_THREADS",
             "NBGRAD_OPENMP_DEEPBIND", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT")


def _run(code, timeout=600, **env):
    full = {k: v for k, v in os.environ.items() if k not in _ENV_KEYS}
    full.update(env)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], check=False,
                          env=full,
                          capture_output=True, text=True, timeout=timeout)


# Threads that each run large parallel ops (elementwise, reductions, softmax,
# forward and backward) many times and check every result against NumPy.
_CONCURRENT = """
import threading
import numpy as np
import nbgrad as nb
import nbgrad.nn.functional as F
from nbgrad.backends.cpu import threads

N = 1_000_000
def work(seed, errors):
    try:
        rng = np.random.default_rng(seed)
        a = rng.standard_normal(N).astype(np.float32)
        b = rng.standard_normal((1000, 1000)).astype(np.float32)
        sa = float(np.sum(a.astype(np.float64)))
        for _ in range(ROUNDS):
            x = nb.tensor(a, requires_grad=True)
            y = ((x + 2) * (x + 2) * 3).mean()
            y.backward()
            np.testing.assert_allclose(x.grad.numpy(), (6 * (a + 2) / N), rtol=1e-5, atol=1e-9)
            assert abs(nb.tensor(a).sum().item() - sa) <= 1e-3 * N ** 0.5 + 1e-5 * abs(sa)
            np.testing.assert_allclose((nb.tensor(a) * 2).numpy(), a * 2)
            m = nb.tensor(b)
            np.testing.assert_allclose(m.amax(1).numpy(), b.max(1))
            e = np.exp(b - b.max(1, keepdims=True))
            np.testing.assert_allclose(F.softmax(m, 1).numpy(), e / e.sum(1, keepdims=True),
                                       rtol=1e-5, atol=1e-7)
    except BaseException as exc:
        errors.append(repr(exc))

errors = []
workers = [threading.Thread(target=work, args=(k, errors)) for k in range(THREADS)]
for t in workers:
    t.start()
for t in workers:
    t.join()
import numba
print("LAYER", numba.threading_layer(), "SERIALISED", threads.state["serialised"])
print("ERRORS", errors)
"""


def _concurrent(threads=4, rounds=15, **env):
    code = _CONCURRENT.replace("THREADS", str(threads)).replace("ROUNDS", str(rounds))
    return _run(code, **env)


def _check_clean(out, layer):
    assert out.returncode == 0, (out.returncode, out.stderr[-3000:])
    assert f"LAYER {layer} SERIALISED {layer == 'workqueue'}" in out.stdout, out.stdout
    assert "ERRORS []" in out.stdout, out.stdout


def test_workqueue_concurrent_parallel_ops_do_not_abort():
    """Before nbgrad serialised launches, 3 threads aborted this in 3 of 3 runs."""
    for _ in range(2):
        _check_clean(_concurrent(NUMBA_THREADING_LAYER="workqueue"), "workqueue")


def test_workqueue_chosen_by_priority_is_serialised_too():
    # 'default' with workqueue first: what a process without OpenMP or TBB gets
    out = _concurrent(threads=3, rounds=5, NUMBA_THREADING_LAYER_PRIORITY="workqueue omp tbb")
    _check_clean(out, "workqueue")


def test_default_layer_concurrent_parallel_ops():
    # the OpenMP layer is thread-safe by itself: nothing is serialised there
    layer = _run("from nbgrad.backends.cpu import threads; print(threads.predicted_layer())")
    assert layer.returncode == 0, layer.stderr
    name = layer.stdout.split()[-1]
    if name not in ("omp", "tbb", "workqueue"):
        pytest.skip(f"no usable Numba threading layer here ({name})")
    _check_clean(_concurrent(threads=3, rounds=5), name)


def test_workqueue_nested_launch_is_reported_not_hung():
    """A user's parallel function launching another inside its parallel loop is
    not supported by workqueue: Numba aborts with its message.  The mutex must
    not turn that into a process that waits forever."""
    code = """
    import numpy as np
    import nbgrad
    from numba import njit, prange

    @njit(parallel=True)
    def inner(a):
        s = 0.0
        for i in prange(a.size):
            s += a[i]
        return s

    @njit(parallel=True)
    def outer(a):
        out = np.zeros(4)
        for j in prange(4):
            out[j] = inner(a)
        return out

    outer(np.ones(100_000))
    """
    out = _run(code, timeout=300, NUMBA_THREADING_LAYER="workqueue")
    assert out.returncode != 0
    assert "workqueue threading layer" in out.stderr


def test_workqueue_fork_child_runs_parallel_ops_from_threads():
    code = """
    import os, threading
    import nbgrad as nb
    x = nb.ones(1_000_000)
    assert (x * 2).sum().item() == 2e6
    pid = os.fork()
    if pid == 0:
        errors = []
        def work():
            try:
                for _ in range(10):
                    assert (x * 2).sum().item() == 2e6
            except BaseException as exc:
                errors.append(exc)
        ts = [threading.Thread(target=work) for _ in range(3)]
        [t.start() for t in ts]
        [t.join() for t in ts]
        os._exit(1 if errors else 0)
    _, status = os.waitpid(pid, 0)
    print("CHILD", status)
    """
    out = _run(code, timeout=300, NUMBA_THREADING_LAYER="workqueue")
    assert out.returncode == 0, out.stderr[-3000:]
    assert "CHILD 0" in out.stdout


# A copy of the system libgomp loaded with RTLD_GLOBAL before nbgrad plays the
# part of PyTorch's bundled libgomp; NUMBA_NUM_THREADS=3 makes Numba's
# omp_set_num_threads(3) at launch visible in the runtime Numba bound to.
_FOREIGN = """
import ctypes, os
foreign = ctypes.CDLL(FOREIGN_PATH, mode=os.RTLD_NOW | os.RTLD_GLOBAL)
foreign.omp_set_num_threads(1)
import nbgrad as nb
from nbgrad.backends.cpu import threads
x = nb.ones(1_000_000)
assert ((x + 2) * 3).sum().item() == 9e6
own = threads.state["openmp_runtime"]
print("FOREIGN", foreign.omp_get_max_threads(), "BOUND", own != os.path.realpath(FOREIGN_PATH),
      "FRESH", threads.state["openmp_runtime_fresh"])
"""


def _foreign_runtime(tmp_path):
    from nbgrad.backends.cpu import threads
    threads.configure()
    src = threads.state["openmp_runtime"]
    if threads.state["predicted_layer"] != "omp" or not src:
        pytest.skip("Numba's OpenMP layer is not used here, or its runtime is unknown")
    dst = tmp_path / "libgomp-foreign.so.1"
    shutil.copy(src, dst)
    return _FOREIGN.replace("FOREIGN_PATH", repr(str(dst)))


def test_openmp_layer_binds_its_own_runtime_after_a_foreign_one(tmp_path):
    out = _run(_foreign_runtime(tmp_path), NUMBA_NUM_THREADS="3")
    assert out.returncode == 0, out.stderr[-3000:]
    # the foreign runtime kept its own setting: Numba never called into it
    assert "FOREIGN 1 BOUND True FRESH True" in out.stdout, out.stdout


def test_without_deepbind_numba_binds_the_foreign_runtime(tmp_path):
    """The failure the binding prevents, shown with it switched off: Numba's
    loops run on the runtime loaded first (PyTorch's, with its 3 ms spin)."""
    out = _run(_foreign_runtime(tmp_path), NUMBA_NUM_THREADS="3", NBGRAD_OPENMP_DEEPBIND="0")
    assert out.returncode == 0, out.stderr[-3000:]
    assert "FOREIGN 3" in out.stdout, out.stdout
