"""The on-disk kernel cache: used when writable, skipped when not, and reused
by a second process (so a warm start compiles nothing)."""

import os
import stat
import subprocess
import sys

SCRIPT = """
import nbgrad as nb
x = nb.ones(3, requires_grad=True)
((x + 2) * x).sum().backward()
print(x.grad.tolist())
from nbgrad.backends.cpu import codegen
print(codegen.cache_dir())
"""


def _run(env_extra):
    # NUMBA_CACHE_DIR would send Numba's own artefacts of the generated modules
    # under it (still a working cache, but not where these tests look)
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env.update(env_extra)
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout.splitlines()


def test_kernels_are_cached_and_reused(tmp_path):
    cache = tmp_path / "cache"
    lines = _run({"NBGRAD_CACHE_DIR": str(cache), "NBGRAD_DISABLE_CACHE": ""})
    assert lines[0] == "[4.0, 4.0, 4.0]"
    assert lines[1].startswith(str(cache))
    kernel_dir = lines[1]
    sources = [f for f in os.listdir(kernel_dir) if f.endswith(".py")]
    assert any("_mul_" in f for f in sources) and any("_add_" in f for f in sources)
    compiled = os.listdir(os.path.join(kernel_dir, "__pycache__"))
    assert any(f.endswith(".nbi") for f in compiled) and any(f.endswith(".nbc") for f in compiled)
    # nbgrad's hand-written kernels (the fill kernel of ones) cache there too,
    # not in the installed package
    own = os.path.join(kernel_dir, "numba", "backends.cpu")
    assert any(f.startswith("creation.fill") and f.endswith(".nbi") for f in os.listdir(own))
    before = {f: os.path.getmtime(os.path.join(kernel_dir, "__pycache__", f)) for f in compiled}
    # a second process loads the same kernels: no new compilation artefacts
    assert _run({"NBGRAD_CACHE_DIR": str(cache), "NBGRAD_DISABLE_CACHE": ""})[0] == \
        "[4.0, 4.0, 4.0]"
    after = os.listdir(os.path.join(kernel_dir, "__pycache__"))
    assert set(after) == set(before)


def test_unwritable_cache_dir_falls_back_to_memory(tmp_path):
    ro = tmp_path / "readonly"
    ro.mkdir()
    ro.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        if os.access(ro, os.W_OK):   # running as root: permissions do not bind
            target = "/proc/nbgrad-cache-cannot-exist"
        else:
            target = str(ro)
        lines = _run({"NBGRAD_CACHE_DIR": target, "NBGRAD_DISABLE_CACHE": ""})
        assert lines == ["[4.0, 4.0, 4.0]", "None"]
    finally:
        ro.chmod(stat.S_IRWXU)


def test_cache_can_be_disabled():
    lines = _run({"NBGRAD_DISABLE_CACHE": "1"})
    assert lines == ["[4.0, 4.0, 4.0]", "None"]
