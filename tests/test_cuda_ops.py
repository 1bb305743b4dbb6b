"""The whole op database on the CUDA device (numba's simulator in CI): for every
entry and sample, values and gradients on cuda equal those on the CPU.

For each sample, in float32 and float64: the op runs on CPU tensors and on
the same values on the cuda device; every output must be a CUDA tensor over
a device array, with the CPU's shape and dtype and values within 1e-5
relative (float32) or 1e-10 (float64).  When the op is differentiable,
``backward`` with the same cotangent on both devices must give each leaf a
``.grad`` on its device, of its dtype, within the same tolerances.  Random
ops (dropout, normal, multinomial, ...) seed the default generators in their
entries: one seed gives the same numbers on both devices (`nbgrad.backends.philox`),
so they are compared value for value too.  An op in RANDOM would only be checked
to give 0 or the scaled input, and the same mask as gradient.

Everything runs in ONE child process (`tests.test_cuda_harness`: the
simulator is chosen before Numba is imported) that loops over the database
and reports JSON; each entry is then one pytest test.  By default each
entry's first and last samples run (every op, and the last sample is
usually the non-contiguous or edge case): about a third of the database.
``NBGRAD_CUDA_FULL=1`` runs all 1,338 samples (46 s with a warm kernel
cache on 2 cores, 213 s cold: too slow for every CI run; see docs/gpu.md).
Skipped when numba-cuda is not installed.
"""

import json
import os
import sys
import time
import traceback

import numpy as np
import pytest

from tests.opdb import ALL_OPS
from tests.test_cuda_harness import in_simulator_process, needs_numba_cuda, run_child

TOL = {np.float32: 1e-5, np.float64: 1e-10}
RANDOM = set()   # ops whose CUDA values may differ from the CPU's (none now)
FULL = os.environ.get("NBGRAD_CUDA_FULL") == "1"


def _shard():
    """(k, n) from NBGRAD_CUDA_SHARD="k/n": this process checks the entries whose
    position in the database is k modulo n (gpu_check runs n processes at once, so
    a fresh GPU machine compiles the kernels on n cores); (0, 1) when unset."""
    spec = os.environ.get("NBGRAD_CUDA_SHARD")
    if not spec:
        return 0, 1
    k, n = (int(v) for v in spec.split("/"))
    if not 0 <= k < n:
        raise ValueError(f"NBGRAD_CUDA_SHARD={spec!r}: want k/n with 0 <= k < n")
    return k, n


SHARD = _shard()
ENTRY_IDS = list(dict.fromkeys(info.id for info in ALL_OPS))


def _samples(info):
    return info.samples(np.random.default_rng(0))


def _to(a, dtype, device):
    import nbgrad as nb
    if isinstance(a, np.ndarray):
        return nb.tensor(a.astype(dtype) if a.dtype.kind == "f" else a, device=device)
    if isinstance(a, nb.Tensor):
        return a.to(device)
    return a


def _tensors(sample, dtype, grad, device):
    import nbgrad as nb
    diff = sample.diff_positions()
    out = []
    for k, a in enumerate(sample.args):
        t = _to(a, dtype, device)
        if grad and k in diff and isinstance(t, nb.Tensor):
            t.requires_grad_(True)
        out.append(t)
    kwargs = {k: _to(v, dtype, device) for k, v in sample.kwargs.items()}
    return out, kwargs


def _close(got, want, dtype, what):
    want = np.asarray(want)
    got = np.asarray(got)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    if want.dtype.kind == "f":
        tol = TOL[dtype]
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol, err_msg=what)
    else:
        np.testing.assert_array_equal(got, want, err_msg=what)


def _check_on_device(t, what):
    from nbgrad.backends.cuda import _numba_cuda
    assert t.device.type == "cuda", f"{what} is on {t.device}"
    assert _numba_cuda.is_device_array(t._data), f"{what}'s buffer is a {type(t._data)}"


def _outputs(out):
    return list(out) if isinstance(out, tuple) else [out]


def check_sample(info, sample):
    """Compare one sample on cuda with the CPU, in float32 and float64."""
    import nbgrad as nb
    for dtype in (np.float32, np.float64):
        grad = info.grad
        cpu_args, cpu_kw = _tensors(sample, dtype, grad, "cpu")
        dev_args, dev_kw = _tensors(sample, dtype, grad, "cuda")
        cpu_out = _outputs(info.call(*cpu_args, **cpu_kw))
        dev_out = _outputs(info.call(*dev_args, **dev_kw))
        assert len(cpu_out) == len(dev_out)
        name = np.dtype(dtype).name
        for k, (c, d) in enumerate(zip(cpu_out, dev_out)):
            what = f"{name} output {k}"
            _check_on_device(d, what)
            assert d.dtype is c.dtype, f"{what}: dtype {d.dtype} != {c.dtype}"
            if info.name in RANDOM:
                continue
            _close(d.detach().cpu().numpy(), c.detach().numpy(), dtype, what)
        if info.name in RANDOM:
            _check_random(info, sample, dev_args, dev_out, dtype)
        if not grad:
            continue
        c, d = cpu_out[0], dev_out[0]
        if not (c.requires_grad and d.requires_grad):
            assert c.requires_grad == d.requires_grad, f"{name}: requires_grad differs"
            continue
        v = np.random.default_rng(1).standard_normal(tuple(c.shape))
        c.backward(nb.tensor(v, dtype=c.dtype))
        d.backward(nb.tensor(v, dtype=d.dtype, device="cuda"))
        if info.name in RANDOM:
            mask = (dev_out[0].detach().cpu().numpy() != 0)
            gx = dev_args[0].grad.cpu().numpy()
            assert ((gx != 0) <= mask).all(), "dropout: a gradient where the output is 0"
            continue
        for k, (ca, da) in enumerate(zip(cpu_args, dev_args)):
            if not isinstance(ca, nb.Tensor) or not ca.requires_grad:
                continue
            what = f"{name} gradient of argument {k}"
            if ca.grad is None:
                assert da.grad is None, f"{what}: None on the CPU only"
                continue
            assert da.grad is not None, f"{what}: None on cuda"
            _check_on_device(da.grad, what)
            assert da.grad.dtype is da.dtype, f"{what}: dtype {da.grad.dtype}"
            _close(da.grad.cpu().numpy(), ca.grad.numpy(), dtype, what)


def _check_random(info, sample, dev_args, dev_out, dtype):
    x = dev_args[0].detach().cpu().numpy()
    out = dev_out[0].detach().cpu().numpy()
    p = sample.kwargs.get("p", 0.5)
    scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
    kept = out != 0
    np.testing.assert_allclose(out[kept], (x * dtype(scale))[kept], rtol=TOL[dtype])
    if p == 1:
        assert not kept.any()


def in_shard(entry_id, shard=SHARD):
    """Does this process check database entry `entry_id` (see `_shard`)?"""
    k, n = shard
    return ENTRY_IDS.index(entry_id) % n == k


def cases(full=FULL, shard=SHARD):
    """[(entry index, sample index)] of the run: every sample, or each entry's first
    and last (a deterministic subset); only this shard's entries."""
    out = []
    for e, info in enumerate(ALL_OPS):
        if not in_shard(info.id, shard):
            continue
        n = len(_samples(info))
        out.extend((e, i) for i in (range(n) if full else sorted({0, n - 1})))
    return out


def run_database(full=FULL):
    """{entry id: None or the first failure} and timings, for the chosen cases."""
    results, seconds = {}, {}
    start = time.perf_counter()
    for e, i in cases(full):
        info = ALL_OPS[e]
        key = info.id
        t = time.perf_counter()
        try:
            check_sample(info, _samples(info)[i])
            results.setdefault(key, None)
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
            if results.get(key) is None:
                results[key] = f"sample {i} ({_samples(info)[i].desc}): " + \
                    traceback.format_exc(limit=-6)
        seconds[key] = seconds.get(key, 0.0) + time.perf_counter() - t
    return {"results": results, "seconds": seconds, "total": time.perf_counter() - start,
            "cases": len(cases(full))}


# ------------------------------------------------------------------ pytest side


@pytest.fixture(scope="module")
def database():
    if in_simulator_process():
        from tests.test_cuda_harness import install
        install()
        return run_database()
    return run_child(os.path.abspath(__file__), ["--child"] + (["--full"] if FULL else []),
                     timeout=1800)


@needs_numba_cuda
@pytest.mark.parametrize("entry", ENTRY_IDS)
def test_op_on_cuda_matches_cpu(database, entry):
    if not in_shard(entry):
        pytest.skip(f"another shard's entry (NBGRAD_CUDA_SHARD={SHARD[0]}/{SHARD[1]})")
    err = database["results"].get(entry, "not run")
    if err is not None:
        pytest.fail(err, pytrace=False)


def test_shards_partition_the_database():
    """NBGRAD_CUDA_SHARD's shards are disjoint and together check every case."""
    whole = cases(shard=(0, 1))
    for n in (2, 5):
        parts = [cases(shard=(k, n)) for k in range(n)]
        assert sorted(c for part in parts for c in part) == sorted(whole)
        assert all(part for part in parts)


if __name__ == "__main__":
    from tests.test_cuda_harness import install
    install()
    got = run_database(full="--full" in sys.argv)
    print(json.dumps(got))
