"""Process settings nbgrad makes at import: idle OpenMP threads spin briefly
(GOMP_SPINCOUNT) and then sleep, unless the user chose a waiting policy."""

import os
import subprocess
import sys

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
