"""Process settings nbgrad makes at import: idle OpenMP threads spin briefly
(GOMP_SPINCOUNT) and then sleep, unless the user chose a waiting policy; glibc's
malloc keeps freed memory for reuse, unless the user set its parameters."""

import os
import subprocess
import sys

import pytest

_VARS = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")


def _settings(**given):
    env = {k: v for k, v in os.environ.items() if k not in _VARS}
    env.update(given)
    code = ("import os, nbgrad; "
            "print(os.environ.get('OMP_WAIT_POLICY'), os.environ.get('GOMP_SPINCOUNT'))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return tuple(out.stdout.split())


def test_openmp_threads_spin_briefly_by_default():
    assert _settings() == ("None", "2000")


def test_user_choice_is_kept():
    assert _settings(OMP_WAIT_POLICY="ACTIVE") == ("ACTIVE", "None")
    assert _settings(OMP_WAIT_POLICY="PASSIVE") == ("PASSIVE", "None")
    assert _settings(GOMP_SPINCOUNT="10") == ("None", "10")


_FAULTS = """
import resource, sys
import numpy as np
import nbgrad
from nbgrad.backends.cpu import allocator
def cycle():   # what an autograd step at 1M float32 does: several 4 MB buffers, then free
    arrays = [np.empty(1_000_000, np.float32) for _ in range(6)]
    for a in arrays:
        a.fill(1.0)   # touch every page
cycle()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    cycle()
print(allocator.tuned, (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) // 10)
"""


def _faults_per_cycle(**given):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MALLOC_") and k not in ("GLIBC_TUNABLES", "NBGRAD_MALLOC_TUNING")}
    env.update(given)
    out = subprocess.run([sys.executable, "-c", _FAULTS], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    tuned, faults = out.stdout.split()
    return tuned == "True", int(faults)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc only")
def test_freed_buffers_are_reused_without_page_faults():
    tuned, faults = _faults_per_cycle()
    if not tuned:
        pytest.skip("the C library is not glibc")
    # 6 buffers of 4 MB are ~5,900 pages: with glibc's defaults each cycle faults
    # most of them in again (checked below); kept memory faults none
    assert faults < 100
    untuned, faults_default = _faults_per_cycle(NBGRAD_MALLOC_TUNING="0")
    assert not untuned and faults_default > 1000


def test_user_malloc_settings_are_kept():
    tuned, _ = _faults_per_cycle(MALLOC_TRIM_THRESHOLD_="131072")
    assert not tuned
