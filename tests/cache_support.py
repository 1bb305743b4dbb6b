"""Helpers of the kernel-cache tests: processes that import a frozen copy of nbgrad.

The cache directory is named by a hash of nbgrad's sources; in a shared
checkout they may change while a test runs, which would send a second process
to a new directory.  A copy of the package, imported through ``PYTHONPATH``,
keeps them fixed, and shows whether Numba ever writes into the package.
"""

import glob
import os
import shutil
import subprocess
import sys

import nbgrad


def frozen_copy(site):
    """Copy the nbgrad package (without caches) into directory `site`; returns `site`."""
    shutil.copytree(os.path.dirname(nbgrad.__file__), os.path.join(site, "nbgrad"),
                    ignore=shutil.ignore_patterns("__pycache__", "*.nbi", "*.nbc"))
    return str(site)


def package_artefacts(site):
    """Numba cache files inside the copied package (there must be none)."""
    top = os.path.join(site, "nbgrad")
    return {p for ext in ("nbi", "nbc") for p in glob.glob(f"{top}/**/*.{ext}", recursive=True)}


def _env(site, env):
    # NUMBA_CACHE_DIR would send Numba's own artefacts of the generated modules
    # under it (still a working cache, but not where these tests look)
    full = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    full.update(env or {})
    full["PYTHONPATH"] = os.pathsep.join([site, full.get("PYTHONPATH", "")])
    return full


def run_python(site, code, *args, env=None, timeout=300):
    """Run `code` in a new process that imports nbgrad from `site`."""
    out = subprocess.run([sys.executable, "-c", code, *map(str, args)], env=_env(site, env),
                         cwd=site, capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stderr
    assert not package_artefacts(site), "Numba wrote into the installed package"
    return out


def run_many(site, code, envs, jobs=2, timeout=300):
    """Run `code` once per environment in `envs`, `jobs` processes at a time;
    returns their standard outputs (each process must succeed)."""
    outs = []
    for start in range(0, len(envs), jobs):
        procs = [subprocess.Popen([sys.executable, "-c", code], env=_env(site, env), cwd=site,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for env in envs[start:start + jobs]]
        for p in procs:
            try:
                stdout, stderr = p.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                stdout, stderr = p.communicate()
            assert p.returncode == 0, stderr
            outs.append(stdout)
    assert not package_artefacts(site), "Numba wrote into the installed package"
    return outs
