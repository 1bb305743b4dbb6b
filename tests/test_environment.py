"""Process settings nbgrad makes at import: idle OpenMP threads sleep unless
the user chose otherwise."""

import os
import subprocess
import sys


def _policy(env_value):
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if env_value is not None:
        env["OMP_WAIT_POLICY"] = env_value
    code = "import os, nbgrad; print(os.environ['OMP_WAIT_POLICY'])"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_openmp_threads_sleep_by_default():
    assert _policy(None) == "PASSIVE"


def test_user_choice_is_kept():
    assert _policy("ACTIVE") == "ACTIVE"
